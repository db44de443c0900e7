//! How the server reads a JSON value where it wants text.

use serde_json::Value;

/// A value as text: strings as they are, `null` as nothing, anything else as its JSON.
pub(crate) fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}
