//! Quantities written for people in scenario files: durations (`250ms`, `5m`, `7d`) and sizes
//! (`64MiB`).

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

/// A duration written for people: `250ms`, `10s`, `5m`, `1h`, `7d`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct HumanDuration(pub Duration);

impl HumanDuration {
    /// What a duration looks like, for messages.
    pub const EXPECTED: &'static str = "a number and a unit: 250ms, 10s, 5m, 1h, 7d";

    /// Parses `<number><unit>` with unit `ms`, `s`, `m`, `h` or `d`.
    ///
    /// ```
    /// # use xsoar_harness::scenario::HumanDuration;
    /// # use std::time::Duration;
    /// assert_eq!(HumanDuration::parse("5m"), Some(HumanDuration(Duration::from_secs(300))));
    /// assert_eq!(HumanDuration::parse("2d"), Some(HumanDuration(Duration::from_secs(172_800))));
    /// assert_eq!(HumanDuration::parse("5 parsecs"), None);
    /// ```
    pub fn parse(text: &str) -> Option<Self> {
        let (n, unit) = number_and_unit(text)?;
        let seconds = |per: u64| n.checked_mul(per).map(Duration::from_secs);
        let duration = match unit {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => seconds(60)?,
            "h" => seconds(3600)?,
            "d" => seconds(86_400)?,
            _ => return None,
        };
        Some(Self(duration))
    }
}

impl fmt::Display for HumanDuration {
    /// The largest unit that shows the duration exactly.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        let units = [
            (86_400_000, "d"),
            (3_600_000, "h"),
            (60_000, "m"),
            (1000, "s"),
        ];
        match units
            .iter()
            .find(|(per, _)| ms >= *per && ms.is_multiple_of(*per))
        {
            Some((per, unit)) => write!(f, "{}{unit}", ms / per),
            None => write!(f, "{ms}ms"),
        }
    }
}

impl std::str::FromStr for HumanDuration {
    type Err = QuantityError;

    fn from_str(text: &str) -> Result<Self, QuantityError> {
        Self::parse(text).ok_or_else(|| QuantityError {
            what: "duration",
            found: text.to_owned(),
            expected: Self::EXPECTED,
        })
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// What [`HumanDuration::parse`] reads: digits and a unit, spaces allowed around and between.
impl schemars::JsonSchema for HumanDuration {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "HumanDuration".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": format!("A duration: {}.", Self::EXPECTED),
            "type": "string",
            "pattern": r"^\s*[0-9]+\s*(ms|s|m|h|d)\s*$",
        })
    }
}

/// A size in bytes written for people: `512KiB`, `64MiB`, `2GiB` (or `KB`, `MB`, `GB` for
/// powers of 1000, `B` for bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ByteSize(pub u64);

impl ByteSize {
    /// What a size looks like, for messages.
    pub const EXPECTED: &'static str = "a number and a unit: 512KiB, 64MiB, 2GiB";

    /// Parses `<number><unit>`.
    ///
    /// ```
    /// # use xsoar_harness::scenario::ByteSize;
    /// assert_eq!(ByteSize::parse("64MiB"), Some(ByteSize(64 << 20)));
    /// assert_eq!(ByteSize::parse("1 KB"), Some(ByteSize(1000)));
    /// assert_eq!(ByteSize::parse("64"), None);
    /// ```
    pub fn parse(text: &str) -> Option<Self> {
        let (n, unit) = number_and_unit(text)?;
        let per: u64 = match unit {
            "B" => 1,
            "KB" => 1000,
            "MB" => 1000 * 1000,
            "GB" => 1000 * 1000 * 1000,
            "KiB" => 1 << 10,
            "MiB" => 1 << 20,
            "GiB" => 1 << 30,
            _ => return None,
        };
        n.checked_mul(per).map(Self)
    }
}

impl fmt::Display for ByteSize {
    /// The largest binary unit that shows the size exactly.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let units = [(1u64 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
        match units
            .iter()
            .find(|(per, _)| self.0 >= *per && self.0.is_multiple_of(*per))
        {
            Some((per, unit)) => write!(f, "{}{unit}", self.0 / per),
            None => write!(f, "{}B", self.0),
        }
    }
}

impl std::str::FromStr for ByteSize {
    type Err = QuantityError;

    fn from_str(text: &str) -> Result<Self, QuantityError> {
        Self::parse(text).ok_or_else(|| QuantityError {
            what: "size",
            found: text.to_owned(),
            expected: Self::EXPECTED,
        })
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// What [`ByteSize::parse`] reads: digits and a unit, spaces allowed around and between.
impl schemars::JsonSchema for ByteSize {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ByteSize".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": format!("A size: {} (KB, MB, GB for powers of 1000, B for bytes).", Self::EXPECTED),
            "type": "string",
            "pattern": r"^\s*[0-9]+\s*(B|KB|MB|GB|KiB|MiB|GiB)\s*$",
        })
    }
}

/// Text that is not a quantity: what kind was expected and what it looks like.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} `{found}`, expected {expected}")]
pub struct QuantityError {
    what: &'static str,
    found: String,
    expected: &'static str,
}

/// `"<digits><unit>"`, the unit trimmed; `None` without digits or unit.
fn number_and_unit(text: &str) -> Option<(u64, &str)> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    Some((number.parse().ok()?, unit.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_show_as_they_are_written() {
        for text in ["250ms", "10s", "5m", "1h", "7d", "90s"] {
            let parsed = HumanDuration::parse(text).expect(text);
            assert_eq!(parsed.to_string(), text);
        }
        for text in ["512KiB", "64MiB", "2GiB", "1000B"] {
            let parsed = ByteSize::parse(text).expect(text);
            assert_eq!(parsed.to_string(), text);
        }
        assert_eq!(
            ByteSize::parse("1MB").map(|s| s.to_string()).as_deref(),
            Some("1000000B")
        );
    }

    #[test]
    fn overflow_is_not_a_quantity() {
        assert_eq!(HumanDuration::parse("99999999999999999999d"), None);
        assert_eq!(HumanDuration::parse("999999999999999999d"), None);
        assert_eq!(ByteSize::parse("99999999999GiB"), None);
    }
}
