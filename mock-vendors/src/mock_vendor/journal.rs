//! The request journal: what reached a vendor, in order, without secrets.

use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;
use serde_json::Value;
use wiremock::Request;

/// Placeholder for redacted values.
const REDACTED: &str = "[REDACTED]";

/// Body keys whose values never enter the journal (substring match,
/// ASCII case ignored): `password`, `client_secret`, `refresh_token`, ...
const SECRET_KEYS: [&str; 4] = ["password", "secret", "token", "answer"];

/// One request a vendor received.
///
/// Headers are not recorded at all (they carry the credentials); in bodies,
/// the values of password-, secret-, token- and answer-like keys are
/// replaced by `"[REDACTED]"`.
///
/// ```
/// use mock_vendors::mock_vendor::JournalEntry;
///
/// let entry = JournalEntry {
///     method: "GET".into(),
///     path: "/api/v1/users".into(),
///     query: Some("limit=2".into()),
///     body: None,
/// };
/// assert_eq!(
///     serde_json::to_value(&entry)?,
///     serde_json::json!({"method": "GET", "path": "/api/v1/users", "query": "limit=2", "body": null})
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JournalEntry {
    /// The HTTP method, e.g. `POST`.
    pub method: String,
    /// The path as sent (still percent-encoded).
    pub path: String,
    /// The raw query string, without `?`.
    pub query: Option<String>,
    /// The body: JSON if it parses as JSON, else the text; `None` if empty.
    pub body: Option<Value>,
}

impl JournalEntry {
    fn from_request(request: &Request) -> Self {
        Self {
            method: request.method.as_str().to_owned(),
            path: request.url.path().to_owned(),
            query: request.url.query().map(str::to_owned),
            body: body(request),
        }
    }
}

fn body(request: &Request) -> Option<Value> {
    if request.body.is_empty() {
        return None;
    }
    if let Ok(mut json) = serde_json::from_slice::<Value>(&request.body) {
        redact_json(&mut json);
        return Some(json);
    }
    let text = String::from_utf8_lossy(&request.body);
    let is_form = request
        .headers
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    let text = if is_form {
        redact_form(&text)
    } else {
        text.into_owned()
    };
    Some(Value::String(text))
}

fn is_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SECRET_KEYS.iter().any(|secret| key.contains(secret))
}

fn redact_json(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if is_secret(key) && !value.is_null() {
                    *value = Value::String(REDACTED.to_owned());
                } else {
                    redact_json(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_json),
        _ => {}
    }
}

fn redact_form(text: &str) -> String {
    text.split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if is_secret(key) => format!("{key}={REDACTED}"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A shared, append-only list of entries.
#[derive(Clone, Debug, Default)]
pub(crate) struct Journal {
    entries: Arc<Mutex<Vec<JournalEntry>>>,
}

impl Journal {
    pub(crate) fn record(&self, request: &Request) {
        let entry = JournalEntry::from_request(request);
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(entry);
    }

    /// The entries from index `from` on (all of them from 0).
    pub(crate) fn since(&self, from: usize) -> Vec<JournalEntry> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.get(from..).unwrap_or_default().to_vec()
    }

    pub(crate) fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_secrets_are_redacted_at_any_depth() {
        let mut body = json!({
            "profile": {"login": "ada@example.com"},
            "credentials": {"password": {"value": "hunter2"}, "recovery_question": {"question": "q", "answer": "a"}},
            "items": [{"client_secret": "s"}],
            "refresh_token": null,
        });
        redact_json(&mut body);
        assert_eq!(
            body,
            json!({
                "profile": {"login": "ada@example.com"},
                "credentials": {"password": "[REDACTED]", "recovery_question": {"question": "q", "answer": "[REDACTED]"}},
                "items": [{"client_secret": "[REDACTED]"}],
                "refresh_token": null,
            })
        );
    }

    #[test]
    fn form_secrets_are_redacted() {
        assert_eq!(
            redact_form("grant_type=password&username=ada&password=hunter2&client_secret=x"),
            "grant_type=password&username=ada&password=[REDACTED]&client_secret=[REDACTED]"
        );
    }
}
