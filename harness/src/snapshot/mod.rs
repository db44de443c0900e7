//! Snapshots: what a scenario produced, redacted and rendered as YAML for reviewers, and the
//! store of accepted snapshots under the top-level `snapshots/` folder.
//!
//! Files use insta's format (a YAML header between `---` lines, then the content), so
//! `cargo insta review` works on them; the CLI compares against the same files, and
//! [`review`] shows, accepts and rejects the pending ones (`.snap.new`) without cargo-insta.
//!
//! Redaction replaces values that change between runs or reveal nothing to a reviewer, and
//! checks their shape while doing so: an Okta user id (`00u` + 17 alphanumerics) becomes
//! `[okta-user-N]`, numbered by first appearance so a reviewer still sees which record is
//! which; ServiceNow sys_ids (32 lowercase hex) `[sys-id-N]`; ISO-8601 timestamps
//! `[timestamp]`; UUIDs `[uuid-N]`; Okta error ids `[okta-error-id]`. A value of the wrong shape
//! is left as it is, so the diff shows it.

use serde_json::Value;
use std::collections::HashMap;

pub mod review;
mod store;

pub use store::{Comparison, Header, Judgement, SnapshotStore, StoreError};

/// The test file insta records as the snapshots' source.
pub const SOURCE: &str = "tests/scenarios.rs";

/// The snapshot name of a scenario: `iam/create-new-user` -> `iam__create-new-user`.
pub fn name_for(scenario: &str) -> String {
    scenario.replace('/', "__")
}

/// Replaces run-dependent values with stable placeholders.
#[derive(Debug, Default)]
pub struct Redactor {
    numbered: HashMap<String, String>,
    counters: HashMap<&'static str, usize>,
    /// Values of this run (a mock vendor's base URL, temp folders, the host name), longest
    /// first, with their placeholders; `true` for prefixes that also take the name after them.
    literals: Vec<(String, String, bool)>,
}

/// A kind of token redaction recognises inside strings.
struct Token {
    label: &'static str,
    numbered: bool,
    /// The length of the token starting at the beginning of the text, if one does.
    matches: fn(&[u8]) -> Option<usize>,
}

const TOKENS: &[Token] = &[
    Token {
        label: "okta-user",
        numbered: true,
        matches: |b| prefixed_alnum(b, b"00u", 17),
    },
    Token {
        label: "okta-error-id",
        numbered: false,
        matches: |b| prefixed_alnum(b, b"oae", 22),
    },
    Token {
        label: "sys-id",
        numbered: true,
        matches: |b| {
            (b.len() >= 32
                && b[..32]
                    .iter()
                    .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c)))
            .then_some(32)
        },
    },
    Token {
        label: "timestamp",
        numbered: false,
        matches: iso_timestamp,
    },
    Token {
        label: "uuid",
        numbered: true,
        matches: uuid,
    },
];

impl Redactor {
    /// Also replaces `value` (and its percent-encoded form, as in query strings) with
    /// `[placeholder]` wherever it appears.
    ///
    /// ```
    /// use xsoar_harness::snapshot::Redactor;
    /// let mut redactor = Redactor::default().with_literal("http://127.0.0.1:40019", "vendor-url");
    /// assert_eq!(
    ///     redactor.redact_str("see http://127.0.0.1:40019/api/v1/users?next=http%3A%2F%2F127.0.0.1%3A40019"),
    ///     "see [vendor-url]/api/v1/users?next=[vendor-url]"
    /// );
    /// ```
    pub fn with_literal(self, value: &str, placeholder: &str) -> Self {
        self.with(value, placeholder, false)
    }

    /// Also replaces `prefix` and the file-name characters after it (`/tmp/xsoar-harness-`
    /// + `4242-7`) with `[placeholder]`.
    pub fn with_prefix(self, prefix: &str, placeholder: &str) -> Self {
        self.with(prefix, placeholder, true)
    }

    fn with(mut self, value: &str, placeholder: &str, prefix: bool) -> Self {
        // Short values would match ordinary text.
        if value.len() < 4 {
            return self;
        }
        let encoded = crate::secrets::percent_encoded(value);
        for form in [value.to_owned(), encoded] {
            if !self.literals.iter().any(|(known, _, _)| *known == form) {
                self.literals
                    .push((form, format!("[{placeholder}]"), prefix));
            }
        }
        self.literals
            .sort_by_key(|(form, _, _)| std::cmp::Reverse(form.len()));
        self
    }

    fn replace_literals(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for (form, placeholder, prefix) in &self.literals {
            if !text.contains(form.as_str()) {
                continue;
            }
            let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
            let mut out = String::with_capacity(text.len());
            let mut rest = text.as_str();
            while let Some(at) = rest.find(form.as_str()) {
                let after = &rest[at + form.len()..];
                // Inside a longer word or path segment it is something else.
                let inside = word(rest[..at].chars().next_back())
                    || (!*prefix && word(after.chars().next()));
                out.push_str(&rest[..at]);
                if inside {
                    out.push_str(form);
                    rest = after;
                    continue;
                }
                out.push_str(placeholder);
                rest = after;
                if *prefix {
                    let name = rest
                        .find(|c: char| {
                            !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                        })
                        .unwrap_or(rest.len());
                    rest = &rest[name..];
                }
            }
            out.push_str(rest);
            text = out;
        }
        text
    }

    /// The value with every recognised token replaced.
    pub fn redact(&mut self, value: &Value) -> Value {
        match value {
            Value::String(s) => Value::String(self.redact_str(s)),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.redact(v)).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (self.redact_str(k), self.redact(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// The text with every recognised token replaced.
    pub fn redact_str(&mut self, text: &str) -> String {
        let text = self.replace_literals(text);
        let text = text.as_str();
        let bytes = text.as_bytes();
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        let mut copied = 0;
        while i < bytes.len() {
            // A token starts at a word boundary, or right after a percent-escape (`%3D<id>`).
            let boundary = i == 0
                || !bytes[i - 1].is_ascii_alphanumeric()
                || (i >= 3 && bytes[i - 3] == b'%' && bytes[i - 2].is_ascii_hexdigit());
            let hit = boundary
                .then(|| {
                    TOKENS.iter().find_map(|token| {
                        (token.matches)(&bytes[i..])
                            .filter(|len| {
                                bytes
                                    .get(i + len)
                                    .is_none_or(|b| !b.is_ascii_alphanumeric())
                            })
                            .map(|len| (token, len))
                    })
                })
                .flatten();
            match hit {
                Some((token, len)) => {
                    out.push_str(&text[copied..i]);
                    let found = &text[i..i + len];
                    out.push_str(&self.placeholder(token, found));
                    i += len;
                    copied = i;
                }
                None => i += 1,
            }
        }
        out.push_str(&text[copied..]);
        out
    }

    fn placeholder(&mut self, token: &Token, found: &str) -> String {
        if !token.numbered {
            return format!("[{}]", token.label);
        }
        if let Some(known) = self.numbered.get(found) {
            return known.clone();
        }
        let counter = self.counters.entry(token.label).or_insert(0);
        *counter += 1;
        let placeholder = format!("[{}-{}]", token.label, counter);
        self.numbered.insert(found.to_owned(), placeholder.clone());
        placeholder
    }
}

fn prefixed_alnum(bytes: &[u8], prefix: &[u8], rest: usize) -> Option<usize> {
    let total = prefix.len() + rest;
    (bytes.len() >= total
        && bytes.starts_with(prefix)
        && bytes[prefix.len()..total]
            .iter()
            .all(u8::is_ascii_alphanumeric))
    .then_some(total)
}

/// `YYYY-MM-DDTHH:MM:SS`, optional fraction, `Z` or `+HH:MM`.
fn iso_timestamp(b: &[u8]) -> Option<usize> {
    const SHAPE: &[u8] = b"dddd-dd-ddTdd:dd:dd";
    if b.len() < SHAPE.len() {
        return None;
    }
    let fits = SHAPE.iter().zip(b).all(|(s, c)| match s {
        b'd' => c.is_ascii_digit(),
        other => other == c,
    });
    if !fits {
        return None;
    }
    let mut len = SHAPE.len();
    if b.get(len) == Some(&b'.') {
        len += 1;
        while b.get(len).is_some_and(u8::is_ascii_digit) {
            len += 1;
        }
    }
    let offset = |o: &[u8]| {
        o.len() >= 6
            && o[1].is_ascii_digit()
            && o[2].is_ascii_digit()
            && o[3] == b':'
            && o[4].is_ascii_digit()
            && o[5].is_ascii_digit()
    };
    match b.get(len) {
        Some(b'Z') => Some(len + 1),
        Some(b'+' | b'-') if offset(&b[len..]) => Some(len + 6),
        _ => Some(len),
    }
}

fn uuid(b: &[u8]) -> Option<usize> {
    const GROUPS: [usize; 5] = [8, 4, 4, 4, 12];
    let mut at = 0;
    for (n, group) in GROUPS.iter().enumerate() {
        if n > 0 {
            if b.get(at) != Some(&b'-') {
                return None;
            }
            at += 1;
        }
        let part = b.get(at..at + group)?;
        if !part.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        at += group;
    }
    Some(at)
}

/// Renders a snapshot document as YAML.
pub fn render(document: &Value) -> String {
    serde_saphyr::to_string(document).unwrap_or_else(|e| format!("# cannot render: {e}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_are_numbered_by_first_appearance_and_shapes_are_checked() {
        let mut redactor = Redactor::default();
        let doc = json!({
            "a": "00uabcdefghij0123456",
            "b": "/api/v1/users/00uZZZZZZZZZZZZZZZZZ/lifecycle",
            "c": "00uabcdefghij0123456",
            "short": "00uabc",
            "at": "2025-01-01T00:00:00.000Z",
            "err": "oae0123456789012345678901",
            "file": "0f8fad5b-d9cb-469f-a165-70867728950e",
            "sys": "/table/incident/419211477b1ef39ad45afc39bf77c548?q=element_id%3D419211477b1ef39ad45afc39bf77c548",
        });
        assert_eq!(
            redactor.redact(&doc),
            json!({
                "a": "[okta-user-1]",
                "b": "/api/v1/users/[okta-user-2]/lifecycle",
                "c": "[okta-user-1]",
                "short": "00uabc",
                "at": "[timestamp]",
                "err": "[okta-error-id]",
                "file": "[uuid-1]",
                "sys": "/table/incident/[sys-id-1]?q=element_id%3D[sys-id-1]",
            })
        );
    }

    #[test]
    fn tokens_inside_longer_words_are_left_alone() {
        let mut redactor = Redactor::default();
        assert_eq!(
            redactor.redact_str("x00uabcdefghij0123456"),
            "x00uabcdefghij0123456"
        );
        assert_eq!(
            redactor.redact_str("00uabcdefghij01234567"),
            "00uabcdefghij01234567"
        );
        assert_eq!(
            redactor.redact_str("2025-01-01T00:00:00+01:00 x"),
            "[timestamp] x"
        );
        assert_eq!(
            redactor.redact_str("2025-01-01T00:00:00+ééé"),
            "[timestamp]+ééé"
        );
    }
}
