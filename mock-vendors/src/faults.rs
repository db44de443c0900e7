//! Faults a scenario lays over a vendor's default routes: "the next N
//! matching requests answer 429 / 5xx / late / not at all".
//!
//! A [`Fault`] is plain data (it deserialises from the scenario YAML);
//! [`MockVendor::inject`](crate::MockVendor::inject) turns it
//! into a layer that outranks the default routes and expires after
//! [`times`](Fault::times) matches.
//!
//! ```
//! use mock_vendors::{Fault, FaultResponse};
//!
//! let yaml = "match: {method: GET, path: /api/v1/users}\ntimes: 2\nrespond: rate-limit\n";
//! let fault: Fault = serde_saphyr::from_str(yaml)?;
//! assert_eq!(fault.times, 2);
//! assert_eq!(fault.respond, FaultResponse::RateLimit);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

/// One fault: which requests, how many of them, and the answer they get.
///
/// Built in code with [`Fault::new`] and the builder methods, or
/// deserialised from YAML/JSON:
///
/// ```yaml
/// match: {method: POST, path: /api/v1/users/*/lifecycle/**}
/// times: 2          # default 1
/// respond: {status: 503}
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// Which requests the fault applies to (default: every request).
    #[serde(rename = "match", default)]
    pub matcher: FaultMatch,
    /// How many matching requests get the fault; afterwards the default
    /// routes answer again. `0` makes the fault a no-op.
    #[serde(default = "one")]
    pub times: u64,
    /// How many matching requests pass untouched before the fault applies
    /// (default 0: from the first), to reach the second call of a sequence.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub after: u64,
    /// The answer those requests get.
    pub respond: FaultResponse,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn one() -> u64 {
    1
}

impl Fault {
    /// A fault answering the next request, whatever it is, with `respond`.
    ///
    /// ```
    /// use mock_vendors::{Fault, FaultResponse};
    ///
    /// let fault = Fault::new(FaultResponse::Status(503))
    ///     .method("GET")
    ///     .path("/api/v1/users/*")
    ///     .times(2);
    /// assert!(fault.matcher.matches("get", "/api/v1/users/00u1"));
    /// ```
    pub fn new(respond: FaultResponse) -> Self {
        Self {
            matcher: FaultMatch::default(),
            times: 1,
            after: 0,
            respond,
        }
    }

    /// Only requests with this HTTP method (ASCII case ignored).
    ///
    /// ```
    /// use mock_vendors::{Fault, FaultResponse};
    ///
    /// let fault = Fault::new(FaultResponse::Drop).method("DELETE");
    /// assert!(!fault.matcher.matches("GET", "/"));
    /// ```
    pub fn method(mut self, method: impl Into<String>) -> Self {
        self.matcher.method = Some(method.into());
        self
    }

    /// Only requests whose path matches this pattern (see [`FaultMatch::path`]).
    ///
    /// ```
    /// use mock_vendors::{Fault, FaultResponse};
    ///
    /// let fault = Fault::new(FaultResponse::RateLimit).path("/api/v1/**");
    /// assert!(fault.matcher.matches("POST", "/api/v1/users/00u1/lifecycle/activate"));
    /// ```
    pub fn path(mut self, pattern: impl Into<String>) -> Self {
        self.matcher.path = Some(pattern.into());
        self
    }

    /// Applies to this many matching requests (default 1).
    ///
    /// ```
    /// use mock_vendors::{Fault, FaultResponse};
    ///
    /// assert_eq!(Fault::new(FaultResponse::RateLimit).times(3).times, 3);
    /// ```
    pub fn times(mut self, times: u64) -> Self {
        self.times = times;
        self
    }

    /// Lets this many matching requests pass before the fault applies.
    ///
    /// ```
    /// use mock_vendors::{Fault, FaultResponse};
    ///
    /// assert_eq!(Fault::new(FaultResponse::Drop).after(1).after, 1);
    /// ```
    pub fn after(mut self, after: u64) -> Self {
        self.after = after;
        self
    }
}

/// Which requests a [`Fault`] applies to; an absent field matches anything.
///
/// ```
/// use mock_vendors::FaultMatch;
///
/// let any = FaultMatch::default();
/// assert!(any.matches("PUT", "/whatever"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FaultMatch {
    /// The HTTP method, ASCII case ignored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The request path (no query string): exact, or a glob where `*`
    /// matches within one path segment and `**` matches anything,
    /// slashes included.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl FaultMatch {
    /// Whether a request with this method and path is matched.
    ///
    /// ```
    /// use mock_vendors::FaultMatch;
    ///
    /// let matcher = FaultMatch {
    ///     method: Some("post".into()),
    ///     path: Some("/api/v1/users/*/lifecycle/*".into()),
    /// };
    /// assert!(matcher.matches("POST", "/api/v1/users/00u1/lifecycle/activate"));
    /// assert!(!matcher.matches("POST", "/api/v1/users/00u1/x/lifecycle/activate"));
    /// assert!(!matcher.matches("GET", "/api/v1/users/00u1/lifecycle/activate"));
    /// ```
    pub fn matches(&self, method: &str, path: &str) -> bool {
        let method_matches = self
            .method
            .as_deref()
            .is_none_or(|expected| expected.eq_ignore_ascii_case(method));
        let path_matches = self
            .path
            .as_deref()
            .is_none_or(|pattern| glob_matches(pattern.as_bytes(), path.as_bytes()));
        method_matches && path_matches
    }
}

/// Why a path pattern can never match a request path, if it cannot
/// (stubs refuse such patterns up front rather than never matching).
///
/// Request paths are matched as clients send them: without scheme, host or
/// query, and percent-encoded.
pub(crate) fn path_pattern_problem(pattern: &str) -> Option<&'static str> {
    if !pattern.starts_with(['/', '*']) {
        Some("must start with / or * (paths are matched without scheme and host)")
    } else if pattern.contains('?') {
        Some("holds a query string (paths are matched without it)")
    } else if pattern.contains('#') {
        Some("holds a fragment (clients never send it)")
    } else if pattern.contains("***") {
        Some("has ***: use * within a segment or ** across segments")
    } else if pattern
        .chars()
        .any(|c| !c.is_ascii() || c.is_ascii_whitespace() || c.is_ascii_control())
    {
        Some("has spaces or non-ASCII characters: write it percent-encoded, as clients send it")
    } else {
        None
    }
}

/// Glob matching by dynamic programming over (pattern, text) positions, so
/// hostile patterns cannot make it exponential.
pub(crate) fn glob_matches(pattern: &[u8], text: &[u8]) -> bool {
    // reachable[j]: the pattern consumed so far can match text[..j].
    let mut reachable = vec![false; text.len() + 1];
    reachable[0] = true;
    let mut p = 0;
    while p < pattern.len() {
        let double_star = pattern[p..].starts_with(b"**");
        if double_star || pattern[p] == b'*' {
            // A star extends any reachable position forward, a single star
            // only until the next slash.
            for j in 1..=text.len() {
                if !reachable[j] && reachable[j - 1] && (double_star || text[j - 1] != b'/') {
                    reachable[j] = true;
                }
            }
            p += if double_star { 2 } else { 1 };
        } else {
            for j in (1..=text.len()).rev() {
                reachable[j] = reachable[j - 1] && text[j - 1] == pattern[p];
            }
            reachable[0] = false;
            p += 1;
        }
    }
    reachable[text.len()]
}

/// The answer a faulted request gets.
///
/// In YAML: `rate-limit`, `{status: 503}`, `{delay: 2s}`, `drop`.
///
/// ```
/// use mock_vendors::{DelaySpec, FaultResponse};
/// use std::time::Duration;
///
/// let delay: FaultResponse = serde_saphyr::from_str("delay: 250ms")?;
/// assert_eq!(delay, FaultResponse::Delay(DelaySpec::from(Duration::from_millis(250))));
/// let drop: FaultResponse = serde_saphyr::from_str("drop")?;
/// assert_eq!(drop, FaultResponse::Drop);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(transform = unit_variants_as_mappings)]
pub enum FaultResponse {
    /// The vendor's own rate-limit answer (Okta: 429 `E0000047` with the
    /// rate-limit headers, remaining 0).
    RateLimit,
    /// This HTTP status (200-599) with the vendor's own error body for it.
    Status(
        #[serde(deserialize_with = "http_status")]
        #[schemars(range(min = 200, max = 599))]
        u16,
    ),
    /// The normal answer, after this wall-clock delay (for client timeouts).
    Delay(DelaySpec),
    /// No answer: the connection is closed, the client sees a transport
    /// error.
    Drop,
}

impl std::fmt::Display for FaultResponse {
    /// As scenarios write it: `rate-limit`, `status 503`, `delay 2s`, `drop`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FaultResponse::RateLimit => f.write_str("rate-limit"),
            FaultResponse::Status(status) => write!(f, "status {status}"),
            FaultResponse::Delay(delay) => write!(f, "delay {delay}"),
            FaultResponse::Drop => f.write_str("drop"),
        }
    }
}

/// The YAML reader also takes a unit variant as a mapping to null (`{drop: null}`): each
/// `const` branch of the derived schema gets that spelling beside it.
fn unit_variants_as_mappings(schema: &mut schemars::Schema) {
    let Some(serde_json::Value::Array(branches)) = schema.get_mut("oneOf") else {
        return;
    };
    let mappings: Vec<serde_json::Value> = branches
        .iter()
        .filter_map(|branch| branch.get("const")?.as_str())
        .map(|name| {
            serde_json::json!({
                "type": "object",
                "properties": {name: {"type": "null"}},
                "required": [name],
                "additionalProperties": false,
            })
        })
        .collect();
    branches.extend(mappings);
}

fn http_status<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u16, D::Error> {
    let status = u16::deserialize(deserializer)?;
    if (200..=599).contains(&status) {
        Ok(status)
    } else {
        Err(serde::de::Error::custom(format!(
            "status {status} is not an HTTP status between 200 and 599"
        )))
    }
}

/// A wall-clock delay written `250ms`, `2s` or `1m`.
///
/// ```
/// use mock_vendors::DelaySpec;
/// use std::time::Duration;
///
/// let delay: DelaySpec = "2s".parse()?;
/// assert_eq!(delay.duration(), Duration::from_secs(2));
/// assert_eq!(delay.to_string(), "2s");
/// assert!("2 seconds".parse::<DelaySpec>().is_err());
/// # Ok::<(), mock_vendors::DelaySpecError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
pub struct DelaySpec(Duration);

/// What [`DelaySpec`]'s parser reads: digits and `ms`, `s` or `m`, nothing around them.
impl JsonSchema for DelaySpec {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "DelaySpec".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A wall-clock delay: a whole number and `ms`, `s` or `m` (`250ms`, `2s`, `1m`).",
            "type": "string",
            "pattern": "^[0-9]+(ms|s|m)$",
        })
    }
}

impl DelaySpec {
    /// The delay as a [`Duration`].
    ///
    /// ```
    /// use mock_vendors::DelaySpec;
    /// use std::time::Duration;
    ///
    /// assert_eq!(DelaySpec::from(Duration::from_secs(60)).duration(), Duration::from_secs(60));
    /// ```
    pub fn duration(&self) -> Duration {
        self.0
    }
}

impl From<Duration> for DelaySpec {
    fn from(duration: Duration) -> Self {
        Self(duration)
    }
}

impl FromStr for DelaySpec {
    type Err = DelaySpecError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || DelaySpecError(text.to_owned());
        let digits_end = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(error)?;
        let (number, unit) = text.split_at(digits_end);
        let number: u64 = number.parse().map_err(|_| error())?;
        let duration = match unit {
            "ms" => Duration::from_millis(number),
            "s" => Duration::from_secs(number),
            "m" => Duration::from_secs(number.checked_mul(60).ok_or_else(error)?),
            _ => return Err(error()),
        };
        Ok(Self(duration))
    }
}

impl TryFrom<String> for DelaySpec {
    type Error = DelaySpecError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl fmt::Display for DelaySpec {
    /// The largest unit that states the delay exactly.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let millis = self.0.as_millis();
        if millis != 0 && millis.is_multiple_of(60_000) {
            write!(f, "{}m", millis / 60_000)
        } else if millis != 0 && millis.is_multiple_of(1_000) {
            write!(f, "{}s", millis / 1_000)
        } else {
            write!(f, "{millis}ms")
        }
    }
}

impl From<DelaySpec> for String {
    fn from(delay: DelaySpec) -> Self {
        delay.to_string()
    }
}

/// A delay that is not a whole number followed by `ms`, `s` or `m`.
///
/// ```
/// use mock_vendors::DelaySpec;
///
/// let error = "1.5s".parse::<DelaySpec>().unwrap_err();
/// assert!(error.to_string().contains("250ms, 2s, 1m"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid delay {0:?}: expected a whole number and a unit, e.g. 250ms, 2s, 1m")]
pub struct DelaySpecError(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(pattern: &str, text: &str) -> bool {
        glob_matches(pattern.as_bytes(), text.as_bytes())
    }

    #[test]
    fn exact_paths() {
        assert!(glob("/api/v1/users", "/api/v1/users"));
        assert!(!glob("/api/v1/users", "/api/v1/users/"));
        assert!(!glob("/api/v1/users", "/api/v1/user"));
        assert!(glob("", ""));
    }

    #[test]
    fn single_star_stays_in_its_segment() {
        assert!(glob("/api/v1/users/*", "/api/v1/users/00u1"));
        assert!(glob("/api/v1/users/*", "/api/v1/users/"));
        assert!(!glob("/api/v1/users/*", "/api/v1/users/00u1/lifecycle"));
        assert!(glob("/api/v1/users/00u*", "/api/v1/users/00uabc"));
        assert!(glob("/*/v1/*/x", "/api/v1/users/x"));
    }

    #[test]
    fn double_star_crosses_segments() {
        assert!(glob("/api/**", "/api/v1/users/00u1/lifecycle/activate"));
        assert!(glob("**", "/anything/at/all"));
        assert!(glob(
            "/api/**/activate",
            "/api/v1/users/00u1/lifecycle/activate"
        ));
        assert!(!glob(
            "/api/**/activate",
            "/api/v1/users/00u1/lifecycle/deactivate/x"
        ));
    }

    #[test]
    fn many_stars_stay_fast() {
        let pattern = "*".repeat(200) + "x";
        let text = "a".repeat(5_000);
        assert!(!glob(&pattern, &text));
    }

    #[test]
    fn path_patterns_that_can_never_match_are_named() {
        for good in ["/api/v1/users", "/api/**", "**", "*/x", "/a%20b/*"] {
            assert_eq!(path_pattern_problem(good), None, "{good:?}");
        }
        for bad in [
            "",
            "api/v1/users",
            "https://okta.test/api/v1/users",
            "/api/v1/users?limit=2",
            "/page#top",
            "/api/***",
            "/users/John Doe",
            "/users/jos\u{e9}",
        ] {
            assert!(path_pattern_problem(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn fault_yaml_forms() -> Result<(), serde_saphyr::Error> {
        let fault: Fault = serde_saphyr::from_str("respond: rate-limit")?;
        assert_eq!(fault, Fault::new(FaultResponse::RateLimit));

        let fault: Fault = serde_saphyr::from_str(
            "match: {method: POST, path: '/api/v1/users'}\ntimes: 3\nrespond: {status: 503}",
        )?;
        assert_eq!(
            fault,
            Fault::new(FaultResponse::Status(503))
                .method("POST")
                .path("/api/v1/users")
                .times(3)
        );

        let fault: Fault = serde_saphyr::from_str("respond: {delay: 1m}")?;
        assert_eq!(
            fault.respond,
            FaultResponse::Delay(Duration::from_secs(60).into())
        );
        let fault: Fault = serde_saphyr::from_str("respond: drop")?;
        assert_eq!(fault.respond, FaultResponse::Drop);
        Ok(())
    }

    #[test]
    fn bad_fault_yaml_is_refused() {
        for yaml in [
            "respond: {status: 99}",
            "respond: {status: 600}",
            "respond: {delay: soon}",
            "respond: explode",
            "respond: drop\nextra: 1",
            "match: {host: x}\nrespond: drop",
        ] {
            assert!(
                serde_saphyr::from_str::<Fault>(yaml).is_err(),
                "{yaml:?} should be refused"
            );
        }
    }

    #[test]
    fn delay_spec_round_trips() {
        for text in ["250ms", "0ms", "2s", "1m", "90s", "1500ms"] {
            let delay: DelaySpec = text.parse().unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(delay.to_string(), text);
        }
        for text in ["", "ms", "5", "5h", "-1s", "1.5s", " 1s"] {
            assert!(text.parse::<DelaySpec>().is_err(), "{text:?}");
        }
    }

    #[test]
    fn fault_serialises_back_to_the_yaml_shape() -> Result<(), serde_json::Error> {
        let fault = Fault::new(FaultResponse::Delay(Duration::from_secs(2).into())).times(2);
        let json = serde_json::to_value(&fault)?;
        assert_eq!(
            json,
            serde_json::json!({
                "match": {},
                "times": 2,
                "respond": {"delay": "2s"}
            })
        );
        let back: Fault = serde_json::from_value(json)?;
        assert_eq!(back, fault);
        Ok(())
    }
}
