//! Server and content versions (`6.10.0`), compared part by part as numbers.

use std::fmt;

use serde::Deserialize;

/// `major.minor.patch`; missing parts are 0.
///
/// ```
/// use xsoar_harness::scenario::Version;
/// assert!(Version::parse("6.10.0") > Version::parse("6.9.9"));
/// assert_eq!(Version::parse("6.10"), Version::parse("6.10.0"));
/// assert_eq!(Version::parse("6.0.0.1"), None);
/// assert_eq!(Version::parse("six"), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub [u32; 3]);

impl Version {
    /// Parses `6`, `6.1` or `6.1.0`; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let mut version = [0; 3];
        let mut parts = text.trim().split('.');
        for slot in &mut version {
            match parts.next() {
                Some(part) => *slot = part.trim().parse().ok()?,
                None => break,
            }
        }
        parts.next().is_none().then_some(Self(version))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [major, minor, patch] = self.0;
        write!(f, "{major}.{minor}.{patch}")
    }
}

/// What [`Version::parse`] reads: up to three numbers joined by dots. A YAML number (`6.10`
/// reads as the float 6.1 elsewhere) is taken as written, so numbers are allowed too.
impl schemars::JsonSchema for Version {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Version".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A version of up to three numbers, like 6.10.0.",
            "type": ["string", "number"],
            "minimum": 0,
            "pattern": r"^\s*\+?[0-9]+\s*(\.\s*\+?[0-9]+\s*){0,2}$",
        })
    }
}

/// Where a scenario gives a version (`server.version`): text like `6.10.0`.
impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Version::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "found `{text}`, expected a version of up to three numbers, like 6.10.0"
            ))
        })
    }
}
