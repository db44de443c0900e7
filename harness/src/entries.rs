//! What the server reads from war-room entries: their contents and whether they are errors.

use serde_json::Value;

/// An entry's Contents, parsed when it is JSON text.
pub(crate) fn entry_contents(entry: &Value) -> Value {
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

/// A war-room entry's `Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntryType {
    /// 1: a note or a command's regular output.
    Note,
    /// 3: a file.
    File,
    /// 4: an error.
    Error,
    /// Any other type, by its number.
    Other(i64),
}

impl EntryType {
    /// The number entries carry.
    pub(crate) fn code(self) -> i64 {
        match self {
            EntryType::Note => 1,
            EntryType::File => 3,
            EntryType::Error => 4,
            EntryType::Other(code) => code,
        }
    }

    /// The type of an entry object; an entry without one is a note, as the server takes it.
    pub(crate) fn of(entry: &Value) -> Self {
        match entry.get("Type").and_then(Value::as_i64) {
            None | Some(1) => EntryType::Note,
            Some(3) => EntryType::File,
            Some(4) => EntryType::Error,
            Some(code) => EntryType::Other(code),
        }
    }
}

/// Whether a war-room entry is an error entry (Type 4).
pub(crate) fn is_error_entry(entry: &Value) -> bool {
    EntryType::of(entry) == EntryType::Error
}

/// The Contents of the error entries (Type 4), as text.
pub(crate) fn error_entries(entries: &[Value]) -> Vec<String> {
    entries
        .iter()
        .filter(|e| is_error_entry(e))
        .map(|e| crate::text::text(&entry_contents(e)))
        .collect()
}
