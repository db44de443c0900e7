//! Secrets, and every form an integration or an HTTP client writes them in, masked wherever the
//! harness shows or stores text: snapshots, reports, logs, stderr, error snippets.
//!
//! For each secret the masker knows its raw text and what code makes of it:
//! - percent-encodings (query strings and form bodies): every byte but the unreserved ones
//!   as `%XX` in either case, Python's `quote` (which keeps `/`), and each with a space as `+`;
//! - base64 and base64url, with and without padding, of the secret, of `user:secret` (HTTP
//!   Basic) and of the secret inside any longer text (the part of the encoding that depends
//!   on the secret alone, whatever precedes it);
//! - JSON string escapes, once and twice (JSON text inside a JSON string), with non-ASCII
//!   characters as they are and as `\uXXXX` (Python's `json.dumps`), and Python's `repr`.
//!
//! Scenario files are masked before their text is ever shown: the values of keys that name a
//! secret ([`looks_secret`]) are secrets even when the file does not parse.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::Value;

/// What a masked secret reads as.
pub(crate) const MASK: &str = "[secret]";

/// Encoded forms shorter than this are not masked on their own: they would match ordinary
/// text (the raw secret always is).
const SHORTEST_FORM: usize = 6;

/// Secret values and their forms, masked wherever the harness shows or stores text.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    /// Longest first, so that a form containing another is masked whole.
    forms: Vec<String>,
}

impl Secrets {
    /// Adds a secret and its encoded forms; empty strings are not secrets.
    pub fn add(&mut self, secret: &str) {
        if secret.is_empty() {
            return;
        }
        let escaped = escaped_forms(secret);
        let mut forms = vec![secret.to_owned()];
        forms.extend(url_forms(secret));
        // Base64 of the secret as it is, and as it stands escaped inside JSON that is encoded
        // in base64 (a token holding it).
        for text in std::iter::once(secret).chain(escaped.iter().map(String::as_str)) {
            forms.extend(base64_forms(text.as_bytes()));
        }
        forms.extend(escaped);
        self.extend(secret, forms);
    }

    /// Adds a credentials pair: the password as [`Secrets::add`] does, and `user:password`
    /// as HTTP Basic authentication sends it.
    pub fn add_credentials(&mut self, identifier: &str, password: &str) {
        if password.is_empty() {
            return;
        }
        self.add(password);
        let pair = format!("{identifier}:{password}");
        let forms = base64_forms(pair.as_bytes());
        self.extend(password, forms);
    }

    fn extend(&mut self, secret: &str, forms: Vec<String>) {
        for form in forms {
            let long_enough = form == secret || form.len() >= SHORTEST_FORM;
            if long_enough && !form.is_empty() && !self.forms.contains(&form) {
                self.forms.push(form);
            }
        }
        self.forms.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    /// Adds every secret of `other`.
    pub fn merge(&mut self, other: &Secrets) {
        for form in &other.forms {
            if !self.forms.contains(form) {
                self.forms.push(form.clone());
            }
        }
        self.forms.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    /// Whether there is nothing to mask.
    pub fn is_empty(&self) -> bool {
        self.forms.is_empty()
    }

    /// `text` with every form of every secret replaced by `[secret]`.
    ///
    /// ```
    /// # use xsoar_harness::Secrets;
    /// let mut secrets = Secrets::default();
    /// secrets.add_credentials("admin", "s3cr3t pw");
    /// assert_eq!(secrets.mask("Authorization: SSWS s3cr3t pw"), "Authorization: SSWS [secret]");
    /// // base64("admin:s3cr3t pw"), as HTTP Basic sends it
    /// assert_eq!(secrets.mask("Basic YWRtaW46czNjcjN0IHB3"), "Basic [secret]");
    /// assert_eq!(secrets.mask("?password=s3cr3t+pw&x=1"), "?password=[secret]&x=1");
    /// ```
    pub fn mask(&self, text: &str) -> String {
        self.forms
            .iter()
            .filter(|form| text.contains(form.as_str()))
            .fold(text.to_owned(), |acc, form| {
                acc.replace(form.as_str(), MASK)
            })
    }

    /// `value` with every secret in its strings (keys included) masked.
    pub fn mask_value(&self, value: &Value) -> Value {
        match value {
            Value::String(s) => Value::String(self.mask(s)),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.mask_value(v)).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (self.mask(k), self.mask_value(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// The secrets a YAML text names: the values of keys that look like secrets
    /// (`password: ...`, `token: ...`, `apitoken: ...`), whether or not the text parses.
    ///
    /// ```
    /// # use xsoar_harness::Secrets;
    /// let text = "instance:\n  params:\n    credentials: {identifier: admin, password: \"hunter 2\"}\n    apitoken: 'abc123xyz'\n";
    /// let secrets = Secrets::in_yaml(text);
    /// assert_eq!(secrets.mask(text), "instance:\n  params:\n    credentials: {identifier: admin, password: \"[secret]\"}\n    apitoken: '[secret]'\n");
    /// ```
    pub fn in_yaml(text: &str) -> Self {
        let mut secrets = Self::default();
        for line in text.lines() {
            let mut rest = line;
            while let Some(colon) = rest.find(':') {
                let key = key_before(&rest[..colon]);
                let after = &rest[colon + 1..];
                if !after.starts_with([' ', '\t']) && !after.is_empty() {
                    rest = after;
                    continue;
                }
                if looks_secret(key) {
                    // A short value of a key that merely looks secret is more likely a
                    // placeholder than a password; masking it would garble the text.
                    let values =
                        scalar_after(after).filter(|(value, _)| value.chars().count() >= 3);
                    if let Some((value, written)) = values {
                        secrets.add(&value);
                        secrets.add(written);
                        // `user:password` tokens (a vendor's Basic credentials).
                        if let Some((_, password)) = value.split_once(':') {
                            secrets.add(password);
                        }
                    }
                }
                rest = after;
            }
        }
        secrets
    }
}

/// The key that ends `text` (`  - password` -> `password`, `{identifier: x, password` ->
/// `password`), without quotes.
fn key_before(text: &str) -> &str {
    let start = text
        .rfind(['{', ',', '[', ' ', '\t', '-'])
        .map_or(0, |at| at + 1);
    text[start..].trim_matches(['"', '\''])
}

/// The scalar value at the start of `text` (after `key:`), and how the file writes it: quoted
/// (YAML's escapes undone), or plain up to a comment, a comma or a closing brace.
fn scalar_after(text: &str) -> Option<(String, &str)> {
    let text = text.trim_start();
    if let Some(inner) = text.strip_prefix('"') {
        let mut value = String::new();
        let mut chars = inner.char_indices();
        while let Some((at, c)) = chars.next() {
            match c {
                '"' => return Some((value, &inner[..at])).filter(|(v, _)| !v.is_empty()),
                '\\' => match chars.next().map(|(_, e)| e) {
                    Some('n') => value.push('\n'),
                    Some('t') => value.push('\t'),
                    Some(other) => value.push(other),
                    None => return None,
                },
                c => value.push(c),
            }
        }
        return None;
    }
    if let Some(inner) = text.strip_prefix('\'') {
        // `''` is a quote inside single quotes.
        let mut value = String::new();
        let mut rest = inner;
        while let Some(at) = rest.find('\'') {
            value.push_str(&rest[..at]);
            if rest[at + 1..].starts_with('\'') {
                value.push('\'');
                rest = &rest[at + 2..];
            } else {
                let written = &inner[..inner.len() - rest.len() + at];
                return Some((value, written)).filter(|(v, _)| !v.is_empty());
            }
        }
        return None;
    }
    let end = text.find([',', '}', ']']).unwrap_or(text.len());
    let value = text[..end].split(" #").next().unwrap_or_default().trim();
    let plain = !value.is_empty() && !value.starts_with(['{', '[', '|', '>', '&', '*', '!']);
    plain.then(|| (value.to_owned(), value))
}

/// Whether a parameter or key name says it holds a secret: its last word is or ends in a
/// password, secret, token or credentials (`apitoken`), or the name ends in an API / secret /
/// private key. Only the last word counts, so `token_url` or `use_password_file` are not
/// secrets.
pub(crate) fn looks_secret(name: &str) -> bool {
    const SECRET_ENDINGS: &[&str] = &[
        "password",
        "passwd",
        "secret",
        "token",
        "credential",
        "credentials",
        "creds",
        "apikey",
    ];
    match name_words(name).as_slice() {
        [.., prev, last] if last == "key" => ["api", "secret", "private"].contains(&prev.as_str()),
        [.., last] => last == "pwd" || SECRET_ENDINGS.iter().any(|end| last.ends_with(end)),
        [] => false,
    }
}

/// The lowercase words of a snake, kebab, dotted, spaced or camelCase name.
pub(crate) fn name_words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut after_lower = false;
    for ch in name.chars() {
        if !ch.is_ascii_alphanumeric() {
            words.extend((!current.is_empty()).then(|| std::mem::take(&mut current)));
            after_lower = false;
            continue;
        }
        if ch.is_ascii_uppercase() && after_lower {
            words.push(std::mem::take(&mut current));
        }
        after_lower = ch.is_ascii_lowercase() || ch.is_ascii_digit();
        current.push(ch.to_ascii_lowercase());
    }
    words.extend((!current.is_empty()).then_some(current));
    words
}

/// `text` with every byte but the unreserved ones (and `keep`) written `%XX`.
fn percent(text: &str, keep: &[u8], plus_for_space: bool, upper: bool) -> String {
    text.bytes()
        .map(|b| match b {
            b' ' if plus_for_space => "+".to_owned(),
            b if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || keep.contains(&b) => {
                (b as char).to_string()
            }
            b if upper => format!("%{b:02X}"),
            b => format!("%{b:02x}"),
        })
        .collect()
}

/// The forms a secret takes in URLs and form bodies.
fn url_forms(secret: &str) -> Vec<String> {
    let mut forms = Vec::new();
    for keep in [&b""[..], b"/"] {
        for plus in [false, true] {
            for upper in [true, false] {
                forms.push(percent(secret, keep, plus, upper));
            }
        }
    }
    forms
}

/// `text` percent-encoded as a URL path or query carries it (upper-case hex): for redacting
/// values of the run in URLs.
pub(crate) fn percent_encoded(text: &str) -> String {
    percent(text, b"", false, true)
}

/// The base64 and base64url forms of `data`, alone and inside any longer text.
fn base64_forms(data: &[u8]) -> Vec<String> {
    let mut forms: Vec<String> = [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD]
        .iter()
        .map(|engine| engine.encode(data))
        .collect();
    // Inside a longer text the secret starts at one of three offsets of a 3-byte group; the
    // characters that encode it alone (not its neighbours) are the same whatever surrounds it.
    for offset in 0..3usize {
        let mut padded = vec![0u8; offset];
        padded.extend_from_slice(data);
        for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
            let encoded = engine.encode(&padded);
            let skip = (offset * 4).div_ceil(3);
            let whole = padded.len() * 8 / 6;
            if let Some(core) = encoded.get(skip..whole) {
                forms.push(core.to_owned());
            }
        }
    }
    forms
}

/// The forms of a secret inside JSON strings and Python reprs.
fn escaped_forms(secret: &str) -> Vec<String> {
    let once = json_escaped(secret, false);
    let ascii = json_escaped(secret, true);
    let python = secret.replace('\\', "\\\\").replace('\'', "\\'");
    vec![
        json_escaped(&once, false),
        json_escaped(&ascii, true),
        once,
        ascii,
        python,
    ]
}

/// `text` as the inside of a JSON string; `ascii` writes non-ASCII characters `\uXXXX`.
fn json_escaped(text: &str, ascii: bool) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || (ascii && !c.is_ascii()) => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_last_word_makes_a_name_secret() {
        assert!(
            looks_secret("apitoken") && looks_secret("client_secret") && looks_secret("API Key")
        );
        assert!(!looks_secret("token_url") && !looks_secret("identifier"));
    }

    fn masked(secrets: &Secrets, text: &str) -> bool {
        secrets.mask(text).contains(MASK)
    }

    #[test]
    fn every_encoding_is_masked() {
        let mut secrets = Secrets::default();
        secrets.add_credentials("admin", "p@ss wörd/\"x\"");
        let cases = [
            "p@ss wörd/\"x\"",
            "p%40ss%20w%C3%B6rd%2F%22x%22",
            "p%40ss+w%c3%b6rd%2f%22x%22",
            "p%40ss%20w%C3%B6rd/%22x%22",
            "cEBzcyB3w7ZyZC8ieCI=",
            "cEBzcyB3w7ZyZC8ieCI",
            "YWRtaW46cEBzcyB3w7ZyZC8ieCI=",
            "p@ss wörd/\\\"x\\\"",
            "p@ss w\\u00f6rd/\\\"x\\\"",
            "p@ss wörd/\\\\\\\"x\\\\\\\"",
        ];
        for case in cases {
            assert_eq!(secrets.mask(case), MASK, "{case}");
        }
    }

    #[test]
    fn a_secret_inside_any_base64_text_is_masked() {
        let mut secrets = Secrets::default();
        secrets.add("hunter2-long-secret");
        for prefix in ["", "a", "ab", "abc", "{\"token\": \""] {
            let blob = STANDARD.encode(format!("{prefix}hunter2-long-secret\"}}"));
            assert!(masked(&secrets, &blob), "{prefix}: {blob}");
            let url = URL_SAFE_NO_PAD.encode(format!("{prefix}hunter2-long-secret"));
            assert!(masked(&secrets, &url), "{prefix}: {url}");
        }
    }

    #[test]
    fn short_forms_do_not_mask_ordinary_text_but_the_secret_itself_is_masked() {
        let mut secrets = Secrets::default();
        secrets.add("ab");
        assert_eq!(secrets.mask("grab a cab"), "gr[secret] a c[secret]");
        assert_eq!(secrets.mask("YWI="), "YWI=");
        secrets.add("");
        assert!(!secrets.is_empty());
    }

    #[test]
    fn yaml_secrets_are_found_in_files_that_do_not_parse() {
        let text = "vendor:\n  token: harness:harness-password\ninstance:\n  params:\n    credentials: {identifier: u, password: [oops\n    password: pw-1 # comment\n    apikey: x\n";
        let secrets = Secrets::in_yaml(text);
        let masked = secrets.mask(text);
        assert!(!masked.contains("harness-password"), "{masked}");
        assert!(masked.contains("password: [secret] # comment"), "{masked}");
        assert!(masked.contains("identifier: u"), "{masked}");
        assert!(
            masked.contains("password: [oops") && masked.contains("apikey: x"),
            "{masked}"
        );
    }
}
