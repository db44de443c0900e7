//! The request journal: what reached a vendor, in order, without secrets.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;
use serde_json::Value;
use wiremock::Request;

use crate::faults::FaultResponse;

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
/// use mock_vendors::JournalEntry;
///
/// let entry = JournalEntry {
///     method: "GET".into(),
///     path: "/api/v1/users".into(),
///     query: Some("limit=2".into()),
///     body: None,
///     fault: None,
///     status: Some(200),
/// };
/// assert_eq!(
///     serde_json::to_value(&entry)?,
///     serde_json::json!({"method": "GET", "path": "/api/v1/users", "query": "limit=2", "body": null, "status": 200})
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
    /// The fault the mock answered with instead of the vendor, if one did
    /// (absent from the JSON otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<FaultResponse>,
    /// The status of the answer; `None` when the connection was dropped
    /// (absent from the JSON then).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
}

impl JournalEntry {
    fn from_request(
        request: &Request,
        body_limit: usize,
        fault: Option<&FaultResponse>,
        status: Option<u16>,
    ) -> Self {
        Self {
            method: request.method.as_str().to_owned(),
            path: request.url.path().to_owned(),
            query: request.url.query().map(str::to_owned),
            body: body(request, body_limit),
            fault: fault.cloned(),
            status,
        }
    }
}

/// The journaled body: redacted JSON, or redacted text; a body over
/// `limit` bytes becomes its first `limit` bytes of (redacted) text
/// followed by [`truncation_marker`].
fn body(request: &Request, limit: usize) -> Option<Value> {
    if request.body.is_empty() {
        return None;
    }
    let value = full_body(request);
    if request.body.len() <= limit {
        return Some(value);
    }
    let text = match value {
        Value::String(text) => text,
        json => json.to_string(),
    };
    let mut cut = limit.min(text.len());
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    Some(Value::String(format!(
        "{}{}",
        &text[..cut],
        truncation_marker(request.body.len(), cut)
    )))
}

/// What ends a cut body: `…[truncated by the mock: N bytes received, K kept]`.
///
/// ```
/// # use mock_vendors::truncation_marker;
/// assert_eq!(truncation_marker(70_000, 65_536), "…[truncated by the mock: 70000 bytes received, 65536 kept]");
/// ```
pub fn truncation_marker(received: usize, kept: usize) -> String {
    format!("…[truncated by the mock: {received} bytes received, {kept} kept]")
}

fn full_body(request: &Request) -> Value {
    if let Ok(mut json) = serde_json::from_slice::<Value>(&request.body) {
        redact_json(&mut json);
        return json;
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
    Value::String(text)
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

/// What [`MockVendor::journal_window`](super::MockVendor::journal_window)
/// answers: the entries still held since a mark, and how many entries
/// after that mark are no longer held (pushed out of the bounded ring, or
/// cleared by `POST /__admin/reset`).
///
/// ```
/// use mock_vendors::JournalWindow;
///
/// let window = JournalWindow { dropped: 0, entries: Vec::new() };
/// assert!(window.is_complete());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct JournalWindow {
    /// Entries recorded after the mark that are gone: the oldest ones,
    /// before every entry in [`entries`](Self::entries).
    pub dropped: u64,
    /// The entries still held, oldest first.
    pub entries: Vec<JournalEntry>,
}

impl JournalWindow {
    /// Whether every entry since the mark is still there.
    pub fn is_complete(&self) -> bool {
        self.dropped == 0
    }
}

/// A shared ring of the latest entries.
///
/// Every entry gets a sequence number (0 for the first request ever
/// recorded); a mark is such a number. The ring holds at most `capacity`
/// entries (the oldest leave first), each body cut to `body_limit` bytes.
#[derive(Clone, Debug)]
pub(crate) struct Journal {
    ring: Arc<Mutex<Ring>>,
}

#[derive(Debug)]
struct Ring {
    entries: VecDeque<(usize, JournalEntry)>,
    /// The sequence number of `entries[0]` (of the next entry when empty).
    first: u64,
    capacity: usize,
    body_limit: usize,
    /// The sum of the held entries' weights, and its bound.
    weight: usize,
    max_weight: usize,
}

impl Journal {
    /// A journal of at most `capacity` entries and about `max_weight`
    /// bytes, bodies cut at `body_limit` bytes.
    pub(crate) fn new(capacity: usize, body_limit: usize, max_weight: usize) -> Self {
        Self {
            ring: Arc::new(Mutex::new(Ring {
                entries: VecDeque::with_capacity(capacity.min(1024)),
                first: 0,
                capacity,
                body_limit,
                weight: 0,
                max_weight,
            })),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ring> {
        self.ring.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records `request`, the fault it gets instead of the vendor's answer,
    /// if any, and the status of the answer (`None`: dropped).
    pub(crate) fn record(
        &self,
        request: &Request,
        fault: Option<&FaultResponse>,
        status: Option<u16>,
    ) {
        let body_limit = self.lock().body_limit;
        // Built outside the lock: parsing a body can take a while.
        let entry = JournalEntry::from_request(request, body_limit, fault, status);
        // Roughly what the entry holds: parsed JSON takes a few times its
        // text.
        let weight = 96 + request.url.as_str().len() + 3 * request.body.len().min(body_limit);
        let mut ring = self.lock();
        if ring.capacity == 0 || weight > ring.max_weight {
            ring.first += 1 + ring.entries.len() as u64;
            ring.entries.clear();
            ring.weight = 0;
            return;
        }
        while ring.entries.len() >= ring.capacity || ring.weight + weight > ring.max_weight {
            let Some((oldest, _)) = ring.entries.pop_front() else {
                break;
            };
            ring.weight -= oldest;
            ring.first += 1;
        }
        ring.weight += weight;
        ring.entries.push_back((weight, entry));
    }

    /// The entries held from sequence number `mark` on, and how many after
    /// `mark` are gone.
    pub(crate) fn window(&self, mark: u64) -> JournalWindow {
        let ring = self.lock();
        let skip = usize::try_from(mark.saturating_sub(ring.first)).unwrap_or(usize::MAX);
        JournalWindow {
            dropped: ring.first.saturating_sub(mark),
            entries: ring
                .entries
                .iter()
                .skip(skip)
                .map(|(_, entry)| entry.clone())
                .collect(),
        }
    }

    /// The sequence number the next entry will get: how many requests were
    /// ever recorded.
    pub(crate) fn total(&self) -> u64 {
        let ring = self.lock();
        ring.first + ring.entries.len() as u64
    }

    /// How many entries the ring holds now.
    pub(crate) fn held(&self) -> usize {
        self.lock().entries.len()
    }

    /// Forgets every entry (sequence numbers go on).
    pub(crate) fn clear(&self) {
        let mut ring = self.lock();
        ring.first += ring.entries.len() as u64;
        ring.entries = VecDeque::new();
        ring.weight = 0;
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
