//! What the server reads from war-room entries: their contents and whether they are errors.

use serde_json::Value;

/// An entry's Contents, parsed when it is JSON text.
pub fn entry_contents(entry: &Value) -> Value {
    match entry.get("Contents") {
        Some(Value::String(text))
            if entry.get("ContentsFormat").and_then(Value::as_str) == Some("json") =>
        {
            serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.clone()))
        }
        Some(other) => other.clone(),
        None => Value::Null,
    }
}

/// Whether a war-room entry is an error entry (Type 4).
pub fn is_error_entry(entry: &Value) -> bool {
    entry.get("Type").and_then(Value::as_i64) == Some(4)
}

/// The Contents of the error entries (Type 4), as text.
pub fn error_entries(entries: &[Value]) -> Vec<String> {
    entries
        .iter()
        .filter(|e| is_error_entry(e))
        .map(|e| match entry_contents(e) {
            Value::String(s) => s,
            other => other.to_string(),
        })
        .collect()
}
