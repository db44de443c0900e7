//! Snapshots: what a scenario produced, redacted and rendered as YAML for reviewers, and the
//! store of accepted snapshots under the top-level `snapshots/` folder.
//!
//! Files use insta's format (a YAML header between `---` lines, then the content), so
//! `cargo insta review` works on them; the CLI compares against the same files.
//!
//! Redaction replaces values that change between runs or reveal nothing to a reviewer, and
//! checks their shape while doing so: an Okta user id (`00u` + 17 alphanumerics) becomes
//! `[okta-user-N]`, numbered by first appearance so a reviewer still sees which record is
//! which; ServiceNow sys_ids (32 lowercase hex) `[sys-id-N]`; ISO-8601 timestamps
//! `[timestamp]`; UUIDs `[uuid-N]`; Okta error ids `[okta-error-id]`. A value of the wrong shape
//! is left as it is, so the diff shows it.

use std::collections::HashMap;
use std::path::PathBuf;

use insta::internals::{SnapshotContents, TextSnapshotContents};
use insta::TextSnapshotKind;
use serde_json::Value;

/// The test file insta records as the snapshots' source.
pub const SOURCE: &str = "harness/tests/scenarios.rs";

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

/// How a rendered snapshot compares with the accepted one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Comparison {
    /// Identical to the accepted snapshot.
    Matches,
    /// No accepted snapshot yet.
    New,
    /// Different: a unified diff, old to new.
    Differs(String),
}

/// What judging a scenario's snapshot did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Judgement {
    /// Matches the accepted snapshot.
    Matches,
    /// New or changed, and written as the accepted snapshot (`--accept-snapshots`).
    Accepted,
    /// New or changed: a `.snap.new` file was written for review; the comparison says which.
    Pending(Comparison),
}

impl Judgement {
    /// Whether the snapshot waits for review (the scenario fails on it).
    pub fn is_pending(&self) -> bool {
        matches!(self, Self::Pending(_))
    }
}

/// Why the store could not be read or written: the file and the cause.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The accepted snapshot exists but cannot be read.
    #[error("cannot read the snapshot {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The accepted snapshot is not an insta snapshot file.
    #[error("cannot parse the snapshot {}: {reason}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// insta's words (its error type is not public).
        reason: String,
    },
    /// The header cannot be rendered as YAML.
    #[error("cannot render the header of the snapshot {}: {source}", path.display())]
    Header {
        /// The file.
        path: PathBuf,
        /// The YAML error.
        #[source]
        source: serde_saphyr::SerializeError,
    },
    /// A snapshot file cannot be written.
    #[error("cannot write the snapshot {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// The header insta writes above a snapshot: what the reviewer sees besides the content.
#[derive(Debug, Clone, Copy)]
pub struct Header<'a> {
    /// The scenario's description.
    pub description: &'a str,
    /// The scenario file, relative to the working folder.
    pub input_file: &'a str,
}

/// The folder of accepted snapshots.
#[derive(Debug, Clone)]
pub struct SnapshotStore {
    dir: PathBuf,
}

impl SnapshotStore {
    /// A store in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The accepted snapshot file of `name`.
    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.snap"))
    }

    /// The accepted content of `name`, if any, as insta parses it.
    fn accepted(&self, name: &str) -> Result<Option<TextSnapshotContents>, StoreError> {
        let path = self.path(name);
        let snapshot = match insta::Snapshot::from_file(&path) {
            Ok(snapshot) => snapshot,
            Err(error) => {
                return match error.downcast::<std::io::Error>() {
                    Ok(io) if io.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Ok(io) => Err(StoreError::Read { path, source: *io }),
                    Err(other) => Err(StoreError::Parse {
                        path,
                        reason: other.to_string(),
                    }),
                }
            }
        };
        match snapshot.as_text() {
            Some(text) => Ok(Some(text.clone())),
            None => Err(StoreError::Parse {
                path,
                reason: "a binary snapshot, where a scenario's is text".into(),
            }),
        }
    }

    /// Compares `content` with the accepted snapshot of `name` by insta's rule for text
    /// snapshots (what `assert_snapshot!` in the tests applies), so the CLI and `cargo test`
    /// agree on every file.
    pub fn compare(&self, name: &str, content: &str) -> Result<Comparison, StoreError> {
        let Some(old) = self.accepted(name)? else {
            return Ok(Comparison::New);
        };
        let new = TextSnapshotContents::new(content.to_owned(), TextSnapshotKind::File);
        if SnapshotContents::from(old.clone()) == SnapshotContents::from(new.clone()) {
            return Ok(Comparison::Matches);
        }
        // Display is insta's normalized text: what it compared.
        let (old, new) = (old.to_string(), new.to_string());
        Ok(Comparison::Differs(
            similar::TextDiff::from_lines(&old, &new)
                .unified_diff()
                .context_radius(3)
                .header("accepted", "new")
                .to_string(),
        ))
    }

    /// Compares `content` with the accepted snapshot of `name`; one that is new or differs is
    /// written as accepted (`accept`) or as a `.snap.new` file for `cargo insta review`.
    pub fn judge(
        &self,
        name: &str,
        header: Header<'_>,
        content: &str,
        accept: bool,
    ) -> Result<Judgement, StoreError> {
        let comparison = self.compare(name, content)?;
        if comparison == Comparison::Matches {
            return Ok(Judgement::Matches);
        }
        self.write(name, header, content, !accept)?;
        Ok(if accept {
            Judgement::Accepted
        } else {
            Judgement::Pending(comparison)
        })
    }

    /// Writes `content` as the accepted snapshot (`pending: false`) or as a `.snap.new` file
    /// for `cargo insta review` (`pending: true`), in the bytes insta writes.
    fn write(
        &self,
        name: &str,
        header: Header<'_>,
        content: &str,
        pending: bool,
    ) -> Result<PathBuf, StoreError> {
        let mut path = self.path(name);
        if pending {
            path.set_extension("snap.new");
        }
        let header = serde_saphyr::to_string(&serde_json::json!({
            "source": SOURCE,
            "description": header.description,
            "input_file": header.input_file,
        }))
        .map_err(|source| StoreError::Header {
            path: path.clone(),
            source,
        })?;
        let text = format!("---\n{header}---\n{}\n", content.trim_end());
        std::fs::create_dir_all(&self.dir)
            .and_then(|()| std::fs::write(&path, text))
            .map_err(|source| StoreError::Write {
                path: path.clone(),
                source,
            })?;
        Ok(path)
    }
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

    const HEADER: Header<'static> = Header {
        description: "d",
        input_file: "scenarios/s.yaml",
    };

    fn temp_store(name: &str) -> (PathBuf, SnapshotStore) {
        let dir = std::env::temp_dir().join(format!("snapshot-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        (dir.clone(), SnapshotStore::new(dir))
    }

    #[test]
    fn store_round_trips_through_the_insta_format() {
        let (dir, store) = temp_store("round-trip");
        assert_eq!(store.compare("s", "a: 1\n").unwrap(), Comparison::New);
        assert_eq!(
            store.judge("s", HEADER, "a: 1\n", true).unwrap(),
            Judgement::Accepted
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("s.snap")).unwrap(),
            "---\nsource: harness/tests/scenarios.rs\ndescription: d\ninput_file: scenarios/s.yaml\n---\na: 1\n"
        );
        assert_eq!(store.compare("s", "a: 1").unwrap(), Comparison::Matches);
        match store.judge("s", HEADER, "a: 2\n", false).unwrap() {
            Judgement::Pending(Comparison::Differs(diff)) => {
                assert!(diff.contains("-a: 1") && diff.contains("+a: 2"), "{diff}")
            }
            other => panic!("expected a diff, got {other:?}"),
        }
        assert!(dir.join("s.snap.new").is_file());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_snapshot_insta_wrote_with_more_header_matches() {
        let (dir, store) = temp_store("insta-header");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("s.snap"),
            "---\nsource: harness/tests/scenarios.rs\nassertion_line: 83\nexpression: outcome.snapshot\n---\na: 1\r\nb: 2\n\n",
        )
        .unwrap();
        assert_eq!(
            store.compare("s", "a: 1\nb: 2").unwrap(),
            Comparison::Matches
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_unreadable_snapshot_is_an_error_naming_the_file() {
        let (dir, store) = temp_store("unreadable");
        // A folder where the file should be: it opens, but reading it fails.
        std::fs::create_dir_all(dir.join("s.snap")).unwrap();
        let error = store.judge("s", HEADER, "a: 1\n", false).unwrap_err();
        assert!(matches!(error, StoreError::Read { .. }), "{error:?}");
        let message = error.to_string();
        assert!(
            message.contains(&dir.join("s.snap").display().to_string()),
            "{message}"
        );
        assert!(std::error::Error::source(&error).is_some());
        assert!(!dir.join("s.snap.new").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
