//! Stubs a scenario lays over a vendor: "a request like this gets exactly
//! this answer".
//!
//! A [`Stub`] is plain data (it deserialises from the scenario YAML, and is
//! validated while it does); [`MockVendor::stub`] lays it over the vendor,
//! outranking the vendor's default routes but not
//! [faults](crate::faults). With the stub-only vendor
//! ([`VendorKind::Stub`](crate::VendorKind::Stub)) stubs are the
//! whole API, and answer exactly what they say; over a stateful vendor they
//! override single routes, and their answers also carry the headers that
//! vendor puts on every answer ([`Vendor::common_headers`]: Okta's
//! `X-Rate-Limit-*` and `X-Okta-Request-Id`) unless the stub sets a header
//! of that name itself.
//!
//! ```
//! use mock_vendors::Stub;
//!
//! let yaml = r#"
//! - match:
//!     method: GET
//!     path: /api/now/table/sys_user
//!     query: {email: jdoe@example.com}
//!   respond:
//!     json: {result: [{sys_id: "6816f79cc0a8016401c5a33be04be441"}]}
//!   times: 1
//! - match: {method: GET, path: /api/now/table/sys_user}
//!   respond: {json: {result: []}}
//! "#;
//! let stubs: Vec<Stub> = serde_saphyr::from_str(yaml)?;
//! assert_eq!(stubs[0].times, Some(1));
//! assert_eq!(stubs[1].respond.status, 200);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`MockVendor::stub`]: crate::MockVendor::stub
//! [`Vendor::common_headers`]: crate::Vendor::common_headers

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use wiremock::Request;
use wiremock::http::{HeaderName, HeaderValue, Method};

use crate::response::Response;

use crate::faults::{DelaySpec, glob_matches, path_pattern_problem};

/// One stub: which requests, the answer they get, and how many times.
///
/// Built in code with [`Stub::new`] and the builder methods, or
/// deserialised from YAML/JSON:
///
/// ```yaml
/// match:                                   # every field optional; all given must hold
///   method: POST                           # ASCII case ignored
///   path: /api/now/table/*                 # exact, or a glob: * within a segment, ** across
///   query: {sysparm_limit: 1}              # each listed parameter present with this value
///   body: {active: false}                  # the JSON body contains this (objects as subsets)
///   headers: {Content-Type: application/json}   # header names ignore case, values exact
/// respond:
///   status: 201                            # default 200
///   headers: {Location: /x, Link: [a, b]}  # a list repeats the header
///   json: {result: {}}                     # or body: raw text; not both
///   delay: 250ms
/// times: 2                                 # default: unlimited
/// ```
///
/// Deserialising refuses what could only be a mistake (both `json` and
/// `body`, a status outside 200..=599, a path that can never match, an
/// invalid header or method) with a [`StubError`] message.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Stub {
    /// Which requests the stub answers (default: every request).
    #[serde(rename = "match", default)]
    pub matcher: StubMatch,
    /// The answer they get.
    pub respond: StubResponse,
    /// How many requests the stub answers before it stops matching
    /// (`None`: no limit; `0` makes the stub a no-op). Two stubs with the
    /// same match and `times: 1` answer a sequence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u64>,
}

impl Stub {
    /// A stub answering every request, any number of times, with `respond`.
    ///
    /// ```
    /// use mock_vendors::{Stub, StubResponse};
    /// use serde_json::json;
    ///
    /// let stub = Stub::new(StubResponse::json(json!({"result": []})))
    ///     .method("GET")
    ///     .path("/api/now/table/sys_user")
    ///     .query("sysparm_query", "email=jdoe@example.com")
    ///     .times(1);
    /// assert_eq!(stub.times, Some(1));
    /// assert!(stub.validate().is_ok());
    /// ```
    pub fn new(respond: StubResponse) -> Self {
        Self {
            matcher: StubMatch::default(),
            respond,
            times: None,
        }
    }

    /// Only requests with this HTTP method (ASCII case ignored).
    ///
    /// ```
    /// use mock_vendors::{Stub, StubResponse};
    ///
    /// let stub = Stub::new(StubResponse::new(204)).method("DELETE");
    /// assert_eq!(stub.matcher.method.as_deref(), Some("DELETE"));
    /// ```
    pub fn method(mut self, method: impl Into<String>) -> Self {
        self.matcher.method = Some(method.into());
        self
    }

    /// Only requests whose path matches this pattern (see
    /// [`StubMatch::path`]).
    ///
    /// ```
    /// use mock_vendors::{Stub, StubResponse};
    ///
    /// let stub = Stub::new(StubResponse::new(404)).path("/api/v1/users/*");
    /// assert_eq!(stub.matcher.path.as_deref(), Some("/api/v1/users/*"));
    /// ```
    pub fn path(mut self, pattern: impl Into<String>) -> Self {
        self.matcher.path = Some(pattern.into());
        self
    }

    /// Only requests with this query parameter and value (may be given
    /// several times).
    ///
    /// ```
    /// use mock_vendors::{Stub, StubResponse};
    ///
    /// let stub = Stub::new(StubResponse::new(200)).query("limit", "2").query("after", "x");
    /// assert_eq!(stub.matcher.query.len(), 2);
    /// ```
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.matcher.query.insert(name.into(), value.into());
        self
    }

    /// Only requests whose JSON body contains `body` (see
    /// [`StubMatch::body`]).
    ///
    /// ```
    /// use mock_vendors::{Stub, StubResponse};
    /// use serde_json::json;
    ///
    /// let stub = Stub::new(StubResponse::new(200)).body(json!({"profile": {"login": "ada"}}));
    /// assert!(stub.matcher.body.is_some());
    /// ```
    pub fn body(mut self, body: Value) -> Self {
        self.matcher.body = Some(body);
        self
    }

    /// Only requests carrying this header with this value (may be given
    /// several times; names ignore ASCII case).
    ///
    /// ```
    /// use mock_vendors::{Stub, StubResponse};
    ///
    /// let stub = Stub::new(StubResponse::new(401)).header("Authorization", "Bearer expired");
    /// assert_eq!(stub.matcher.headers["Authorization"], "Bearer expired");
    /// ```
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.matcher.headers.insert(name.into(), value.into());
        self
    }

    /// Answers this many matching requests, then stops matching.
    ///
    /// ```
    /// use mock_vendors::{Stub, StubResponse};
    ///
    /// assert_eq!(Stub::new(StubResponse::new(503)).times(2).times, Some(2));
    /// ```
    pub fn times(mut self, times: u64) -> Self {
        self.times = Some(times);
        self
    }

    /// Checks what deserialising checks, for stubs built in code.
    ///
    /// # Errors
    ///
    /// The first [`StubError`] found, matcher first.
    ///
    /// ```
    /// use mock_vendors::{Stub, StubError, StubResponse};
    ///
    /// let stub = Stub::new(StubResponse::new(200)).path("api/v1/users");
    /// assert!(matches!(stub.validate(), Err(StubError::Path { .. })));
    /// ```
    pub fn validate(&self) -> Result<(), StubError> {
        self.matcher.validate()?;
        self.respond.to_template().map(drop)
    }

    /// A short label for logs and mock names, e.g. `GET /api/v1/users -> 200`.
    ///
    /// ```
    /// use mock_vendors::{Stub, StubResponse};
    ///
    /// let stub = Stub::new(StubResponse::new(404)).method("GET").path("/x");
    /// assert_eq!(stub.label(), "GET /x -> 404");
    /// assert_eq!(Stub::new(StubResponse::new(200)).label(), "* ** -> 200");
    /// ```
    pub fn label(&self) -> String {
        format!(
            "{} {} -> {}",
            self.matcher.method.as_deref().unwrap_or("*"),
            self.matcher.path.as_deref().unwrap_or("**"),
            self.respond.status
        )
    }
}

/// Which requests a [`Stub`] answers; an absent (or empty) field matches
/// anything, and every given field must hold.
///
/// ```
/// use mock_vendors::StubMatch;
/// use wiremock::http::{HeaderMap, Method, Url};
///
/// let matcher: StubMatch = serde_saphyr::from_str(
///     "{method: post, path: /api/v1/users, query: {activate: false}, body: {profile: {login: ada}}}",
/// )?;
/// let request = wiremock::Request {
///     url: Url::parse("http://okta.test/api/v1/users?activate=false")?,
///     method: Method::POST,
///     headers: HeaderMap::new(),
///     body: br#"{"profile": {"login": "ada", "email": "ada@example.com"}}"#.to_vec(),
/// };
/// assert!(matcher.matches(&request));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StubMatch {
    /// The HTTP method, ASCII case ignored.
    #[serde(
        default,
        deserialize_with = "method",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "String")]
    pub method: Option<String>,
    /// The request path as sent (percent-encoded, no query string): exact,
    /// or the [fault](crate::FaultMatch::path) glob where `*`
    /// matches within one path segment and `**` matches anything, slashes
    /// included.
    #[serde(
        default,
        deserialize_with = "path_pattern",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(schema_with = "path_pattern_schema")]
    pub path: Option<String>,
    /// Query parameters (percent-decoded) that must be present with these
    /// values; other parameters are ignored. YAML numbers and booleans
    /// compare as their text.
    #[serde(
        default,
        deserialize_with = "match_query",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    #[schemars(schema_with = "scalar_map_schema")]
    pub query: BTreeMap<String, String>,
    /// What the JSON body must contain: objects key by key (recursively,
    /// extra keys allowed), everything else (arrays included) equal. A
    /// string also matches a body that is not JSON (a form, plain text)
    /// when it is exactly that text.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub body: Option<Value>,
    /// Headers that must be present with these exact values; names ignore
    /// ASCII case.
    #[serde(
        default,
        deserialize_with = "match_headers",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    #[schemars(schema_with = "scalar_map_schema")]
    pub headers: BTreeMap<String, String>,
}

impl StubMatch {
    /// Whether `request` is matched.
    ///
    /// ```
    /// use mock_vendors::StubMatch;
    /// use wiremock::http::{HeaderMap, Method, Url};
    ///
    /// let matcher = StubMatch { path: Some("/api/v1/users/*".into()), ..StubMatch::default() };
    /// let request = |path: &str| -> Result<wiremock::Request, Box<dyn std::error::Error>> {
    ///     Ok(wiremock::Request {
    ///         url: Url::parse(&format!("http://okta.test{path}"))?,
    ///         method: Method::GET,
    ///         headers: HeaderMap::new(),
    ///         body: Vec::new(),
    ///     })
    /// };
    /// assert!(matcher.matches(&request("/api/v1/users/00u1")?));
    /// assert!(!matcher.matches(&request("/api/v1/users/00u1/lifecycle")?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn matches(&self, request: &Request) -> bool {
        // Cheapest checks first; the body is parsed only when all else holds.
        self.method
            .as_deref()
            .is_none_or(|method| method.eq_ignore_ascii_case(request.method.as_str()))
            && self.path.as_deref().is_none_or(|pattern| {
                glob_matches(pattern.as_bytes(), request.url.path().as_bytes())
            })
            && self.query.iter().all(|(name, value)| {
                request
                    .url
                    .query_pairs()
                    .any(|(have_name, have_value)| have_name == *name && have_value == *value)
            })
            && self.headers.iter().all(|(name, value)| {
                request
                    .headers
                    .get_all(name.as_str())
                    .iter()
                    .any(|have| have.as_bytes() == value.as_bytes())
            })
            && self
                .body
                .as_ref()
                .is_none_or(|body| body_matches(body, &request.body))
    }

    /// Checks what deserialising checks, for matchers built in code.
    ///
    /// # Errors
    ///
    /// [`StubError::Method`], [`StubError::Path`],
    /// [`StubError::HeaderName`] or [`StubError::HeaderValue`].
    ///
    /// ```
    /// use mock_vendors::{StubError, StubMatch};
    ///
    /// let matcher = StubMatch { method: Some("GET /x".into()), ..StubMatch::default() };
    /// assert_eq!(matcher.validate(), Err(StubError::Method("GET /x".into())));
    /// ```
    pub fn validate(&self) -> Result<(), StubError> {
        if let Some(method) = &self.method {
            check_method(method)?;
        }
        if let Some(pattern) = &self.path {
            check_path(pattern)?;
        }
        for (name, value) in &self.headers {
            parse_header(MATCH_HEADERS, name, value)?;
        }
        Ok(())
    }
}

/// Whether a request body contains `expected` (see [`StubMatch::body`]).
fn body_matches(expected: &Value, body: &[u8]) -> bool {
    match serde_json::from_slice::<Value>(body) {
        Ok(actual) => contains(&actual, expected),
        // Forms and plain text: only a string stub body can describe them.
        Err(_) => matches!(expected, Value::String(text) if text.as_bytes() == body),
    }
}

/// Objects as subsets, recursively; everything else equal.
fn contains(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Object(have), Value::Object(want)) => want
            .iter()
            .all(|(key, want)| have.get(key).is_some_and(|have| contains(have, want))),
        _ => actual == expected,
    }
}

/// The answer a stubbed request gets.
///
/// ```
/// use mock_vendors::StubResponse;
/// use serde_json::json;
///
/// let created: StubResponse = serde_saphyr::from_str("{status: 201, json: {id: 7}, delay: 1s}")?;
/// assert_eq!(created, StubResponse::json(json!({"id": 7})).status(201).delay("1s".parse()?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(try_from = "ResponseFields")]
pub struct StubResponse {
    /// The HTTP status, 200..=599 (default 200). A 1xx is no final
    /// answer: the HTTP server would turn it into a 500.
    pub status: u16,
    /// Response headers; several values repeat the header. A
    /// `Content-Type` here overrides the one `json`/`body` imply.
    #[serde(
        skip_serializing_if = "BTreeMap::is_empty",
        serialize_with = "one_or_many"
    )]
    pub headers: BTreeMap<String, Vec<String>>,
    /// A JSON body (`Content-Type: application/json`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json: Option<Value>,
    /// A raw text body (`Content-Type: text/plain`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Answer this much later (wall clock), e.g. to trip client timeouts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay: Option<DelaySpec>,
}

impl StubResponse {
    /// An empty answer with this status.
    ///
    /// ```
    /// use mock_vendors::StubResponse;
    ///
    /// assert_eq!(StubResponse::new(204).status, 204);
    /// ```
    pub fn new(status: u16) -> Self {
        Self {
            status,
            headers: BTreeMap::new(),
            json: None,
            body: None,
            delay: None,
        }
    }

    /// A 200 answer with this JSON body.
    ///
    /// ```
    /// use mock_vendors::StubResponse;
    /// use serde_json::json;
    ///
    /// let answer = StubResponse::json(json!({"result": []}));
    /// assert_eq!((answer.status, answer.json), (200, Some(json!({"result": []}))));
    /// ```
    pub fn json(body: Value) -> Self {
        Self {
            json: Some(body),
            ..Self::new(200)
        }
    }

    /// A 200 answer with this text body.
    ///
    /// ```
    /// use mock_vendors::StubResponse;
    ///
    /// assert_eq!(StubResponse::text("pong").body.as_deref(), Some("pong"));
    /// ```
    pub fn text(body: impl Into<String>) -> Self {
        Self {
            body: Some(body.into()),
            ..Self::new(200)
        }
    }

    /// The same answer with another status.
    ///
    /// ```
    /// use mock_vendors::StubResponse;
    ///
    /// assert_eq!(StubResponse::text("gone").status(410).status, 410);
    /// ```
    pub fn status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// Adds a header value (a second value for a name repeats the header).
    ///
    /// ```
    /// use mock_vendors::StubResponse;
    ///
    /// let answer = StubResponse::new(200)
    ///     .header("Link", r#"<http://x/a>; rel="self""#)
    ///     .header("Link", r#"<http://x/b>; rel="next""#);
    /// assert_eq!(answer.headers["Link"].len(), 2);
    /// ```
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers
            .entry(name.into())
            .or_default()
            .push(value.into());
        self
    }

    /// The same answer, this much later.
    ///
    /// ```
    /// use mock_vendors::StubResponse;
    /// use std::time::Duration;
    ///
    /// let late = StubResponse::new(200).delay(Duration::from_millis(250).into());
    /// assert_eq!(late.delay.map(|delay| delay.to_string()).as_deref(), Some("250ms"));
    /// ```
    pub fn delay(mut self, delay: DelaySpec) -> Self {
        self.delay = Some(delay);
        self
    }

    /// The [`Response`], built once when a stub is mounted.
    ///
    /// # Errors
    ///
    /// [`StubError::Status`], [`StubError::JsonAndBody`],
    /// [`StubError::HeaderName`] or [`StubError::HeaderValue`] (never a
    /// panic).
    pub(crate) fn to_template(&self) -> Result<Response, StubError> {
        check_status(self.status)?;
        let mut headers = Vec::new();
        for (name, values) in &self.headers {
            for value in values {
                headers.push(parse_header(RESPOND_HEADERS, name, value)?);
            }
        }
        let body = match (&self.json, &self.body) {
            (Some(_), Some(_)) => return Err(StubError::JsonAndBody),
            (Some(json), None) => Some((json.to_string().into_bytes(), "application/json")),
            (None, Some(text)) => Some((text.clone().into_bytes(), "text/plain")),
            (None, None) => None,
        };
        let mut template = Response::new(self.status);
        let mut content_type = None;
        for (name, value) in headers {
            // The body's MIME type replaces any Content-Type header, so an
            // explicit one must become that MIME type.
            if name.as_str() == "content-type" {
                content_type = value.to_str().ok().map(str::to_owned);
            }
            template = template.append_header(name, value);
        }
        if let Some((bytes, implied)) = body {
            let mime = content_type.as_deref().unwrap_or(implied);
            template = template.set_body_raw(bytes, mime);
        }
        if let Some(delay) = self.delay {
            template = template.set_delay(delay.duration());
        }
        Ok(template)
    }
}

impl Default for StubResponse {
    /// An empty 200.
    fn default() -> Self {
        Self::new(200)
    }
}

/// The answer a stubbed request gets: `json` or `body`, not both.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("not" = {"required": ["json", "body"]}))]
struct ResponseFields {
    /// The HTTP status, 200..=599 (default 200).
    #[serde(default = "ok", deserialize_with = "status")]
    #[schemars(range(min = 200, max = 599))]
    status: u16,
    /// Response headers: a value, or a list of values that repeats the header.
    #[serde(default, deserialize_with = "respond_headers")]
    #[schemars(schema_with = "respond_headers_schema")]
    headers: BTreeMap<String, Vec<String>>,
    /// A JSON body (`Content-Type: application/json`).
    #[serde(default, deserialize_with = "present")]
    json: Option<Value>,
    /// A raw text body (`Content-Type: text/plain`).
    #[serde(default)]
    body: Option<String>,
    /// Answer this much later (wall clock), e.g. to trip client timeouts.
    #[serde(default)]
    delay: Option<DelaySpec>,
}

/// A match path as [`path_pattern_problem`] lets through: from `/` or `*`, printable ASCII
/// without spaces, `?` or `#` (`***` is refused by the parser only).
fn path_pattern_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "string",
        "pattern": r#"^[/*][!"$->@-~]*$"#,
    })
}

/// What [`scalar_text`] reads: a string, number or boolean.
fn scalar_schema() -> Value {
    serde_json::json!({"type": ["string", "number", "boolean"]})
}

/// A mapping of names to scalars (`match.query`, `match.headers`).
fn scalar_map_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "additionalProperties": scalar_schema(),
    })
}

/// `respond.headers`: each a scalar or a list of scalars.
fn respond_headers_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "additionalProperties": {
            "anyOf": [scalar_schema(), {"type": "array", "items": scalar_schema()}],
        },
    })
}

fn ok() -> u16 {
    200
}

impl TryFrom<ResponseFields> for StubResponse {
    type Error = StubError;

    fn try_from(fields: ResponseFields) -> Result<Self, Self::Error> {
        if fields.json.is_some() && fields.body.is_some() {
            return Err(StubError::JsonAndBody);
        }
        Ok(Self {
            status: fields.status,
            headers: fields.headers,
            json: fields.json,
            body: fields.body,
            delay: fields.delay,
        })
    }
}

/// Why a [`Stub`] was refused, naming the field.
///
/// ```
/// use mock_vendors::Stub;
///
/// let error = serde_saphyr::from_str::<Stub>("respond: {json: {}, body: x}").unwrap_err();
/// assert!(error.to_string().contains("respond has both json and body"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StubError {
    /// `match.method` is not an HTTP method token.
    #[error("match.method {0:?} is not an HTTP method")]
    Method(String),
    /// `match.path` can never match a request path.
    #[error("match.path {pattern:?} {reason}")]
    Path {
        /// The pattern as written.
        pattern: String,
        /// Why it can never match.
        reason: &'static str,
    },
    /// A header name that HTTP does not allow.
    #[error("{field}: {name:?} is not a valid header name")]
    HeaderName {
        /// `match.headers` or `respond.headers`.
        field: &'static str,
        /// The name as written.
        name: String,
    },
    /// A header value that HTTP does not allow (e.g. a line break).
    #[error("{field}: the value of {name} is not a valid header value")]
    HeaderValue {
        /// `match.headers` or `respond.headers`.
        field: &'static str,
        /// The header name.
        name: String,
    },
    /// `respond.status` outside 200..=599 (1xx statuses are not final
    /// answers; the server would send 500 instead).
    #[error("respond.status {0} is not a final HTTP status between 200 and 599")]
    Status(u16),
    /// `respond` has both `json` and `body`.
    #[error("respond has both json and body: give one of them")]
    JsonAndBody,
}

const MATCH_HEADERS: &str = "match.headers";
const RESPOND_HEADERS: &str = "respond.headers";

fn check_method(method: &str) -> Result<(), StubError> {
    match Method::from_bytes(method.as_bytes()) {
        Ok(_) => Ok(()),
        Err(_) => Err(StubError::Method(method.to_owned())),
    }
}

fn check_path(pattern: &str) -> Result<(), StubError> {
    match path_pattern_problem(pattern) {
        None => Ok(()),
        Some(reason) => Err(StubError::Path {
            pattern: pattern.to_owned(),
            reason,
        }),
    }
}

fn check_status(status: u16) -> Result<(), StubError> {
    if (200..=599).contains(&status) {
        Ok(())
    } else {
        Err(StubError::Status(status))
    }
}

fn parse_header(
    field: &'static str,
    name: &str,
    value: &str,
) -> Result<(HeaderName, HeaderValue), StubError> {
    let parsed_name =
        HeaderName::from_bytes(name.as_bytes()).map_err(|_| StubError::HeaderName {
            field,
            name: name.to_owned(),
        })?;
    let parsed_value = HeaderValue::from_str(value).map_err(|_| StubError::HeaderValue {
        field,
        name: name.to_owned(),
    })?;
    Ok((parsed_name, parsed_value))
}

// Field deserialisers: each runs the same check as `validate`, so a YAML
// error points at the offending field.

fn method<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let method = String::deserialize(deserializer)?;
    check_method(&method).map_err(D::Error::custom)?;
    Ok(Some(method))
}

fn path_pattern<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let pattern = String::deserialize(deserializer)?;
    check_path(&pattern).map_err(D::Error::custom)?;
    Ok(Some(pattern))
}

fn status<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u16, D::Error> {
    let status = u16::deserialize(deserializer)?;
    check_status(status).map_err(D::Error::custom)?;
    Ok(status)
}

/// `Some` even for an explicit `null`, so `json: null` answers `null`.
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

/// A mapping whose values are scalars, kept as their text.
fn scalar_map<'de, D: Deserializer<'de>>(
    deserializer: D,
    field: &str,
) -> Result<BTreeMap<String, String>, D::Error> {
    BTreeMap::<String, Value>::deserialize(deserializer)?
        .into_iter()
        .map(|(key, value)| match scalar_text(&value) {
            Some(text) => Ok((key, text)),
            None => Err(D::Error::custom(format!(
                "{field}.{key}: expected a string, number or boolean, found {value}"
            ))),
        })
        .collect()
}

fn match_query<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, String>, D::Error> {
    scalar_map(deserializer, "match.query")
}

fn match_headers<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, String>, D::Error> {
    let headers = scalar_map(deserializer, MATCH_HEADERS)?;
    for (name, value) in &headers {
        parse_header(MATCH_HEADERS, name, value).map_err(D::Error::custom)?;
    }
    Ok(headers)
}

/// Header values: a scalar, or a list of scalars to repeat the header.
fn respond_headers<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, Vec<String>>, D::Error> {
    let mut headers = BTreeMap::new();
    for (name, value) in BTreeMap::<String, Value>::deserialize(deserializer)? {
        let values = match &value {
            Value::Array(items) => items.iter().map(scalar_text).collect(),
            scalar => scalar_text(scalar).map(|text| vec![text]),
        };
        let values = values.ok_or_else(|| {
            D::Error::custom(format!(
                "{RESPOND_HEADERS}.{name}: expected a string, number, boolean or a list of them, found {value}"
            ))
        })?;
        for value in &values {
            parse_header(RESPOND_HEADERS, &name, value).map_err(D::Error::custom)?;
        }
        headers.insert(name, values);
    }
    Ok(headers)
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// Writes a single header value as a scalar, several as a list (the YAML
/// shape they were read from).
fn one_or_many<S: Serializer>(
    headers: &BTreeMap<String, Vec<String>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let shaped: BTreeMap<&str, Value> = headers
        .iter()
        .map(|(name, values)| {
            let value = match values.as_slice() {
                [one] => Value::String(one.clone()),
                many => Value::from(many.to_vec()),
            };
            (name.as_str(), value)
        })
        .collect();
    shaped.serialize(serializer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_built_or_refused() {
        assert!(StubResponse::text("ok").to_template().is_ok());
        assert_eq!(
            StubResponse::new(600).to_template().err(),
            Some(StubError::Status(600))
        );
    }
    use serde_json::json;

    fn parse(yaml: &str) -> Result<Stub, serde_saphyr::Error> {
        serde_saphyr::from_str(yaml)
    }

    #[test]
    fn defaults() -> Result<(), serde_saphyr::Error> {
        let stub = parse("respond: {}")?;
        assert_eq!(stub, Stub::new(StubResponse::new(200)));
        assert_eq!(stub.matcher, StubMatch::default());
        assert_eq!(stub.times, None);
        Ok(())
    }

    #[test]
    fn full_yaml_shape() -> Result<(), Box<dyn std::error::Error>> {
        let stub = parse(
            r#"
match:
  method: GET
  path: /api/now/users
  query: {email: jdoe@example.com, limit: 2, active: true}
  body: {active: false}
  headers: {Content-Type: application/json}
respond:
  status: 201
  headers: {X-Thing: a, Link: [one, two], X-Count: 3}
  json: {result: [1, 2]}
  delay: 250ms
times: 1
"#,
        )?;
        let expected = Stub::new(
            StubResponse::json(json!({"result": [1, 2]}))
                .status(201)
                .header("X-Thing", "a")
                .header("Link", "one")
                .header("Link", "two")
                .header("X-Count", "3")
                .delay("250ms".parse()?),
        )
        .method("GET")
        .path("/api/now/users")
        .query("email", "jdoe@example.com")
        .query("limit", "2")
        .query("active", "true")
        .body(json!({"active": false}))
        .header("Content-Type", "application/json")
        .times(1);
        assert_eq!(stub, expected);
        Ok(())
    }

    #[test]
    fn serialises_back_to_the_yaml_shape() -> Result<(), Box<dyn std::error::Error>> {
        let stub = Stub::new(
            StubResponse::text("hi")
                .header("Link", "a")
                .header("Link", "b")
                .header("X-One", "1"),
        )
        .path("/x")
        .times(2);
        let json = serde_json::to_value(&stub)?;
        assert_eq!(
            json,
            json!({
                "match": {"path": "/x"},
                "respond": {"status": 200, "headers": {"Link": ["a", "b"], "X-One": "1"}, "body": "hi"},
                "times": 2,
            })
        );
        assert_eq!(serde_json::from_value::<Stub>(json)?, stub);
        Ok(())
    }

    #[test]
    fn explicit_null_bodies_are_kept() -> Result<(), serde_saphyr::Error> {
        let stub = parse("match: {body: null}\nrespond: {json: null}")?;
        assert_eq!(stub.matcher.body, Some(Value::Null));
        assert_eq!(stub.respond.json, Some(Value::Null));
        Ok(())
    }

    #[test]
    fn invalid_stubs_are_refused_with_the_field() {
        for (yaml, message) in [
            (
                "respond: {json: {}, body: x}",
                "respond has both json and body",
            ),
            (
                "respond: {status: 99}",
                "respond.status 99 is not a final HTTP status",
            ),
            (
                "respond: {status: 101}",
                "respond.status 101 is not a final",
            ),
            ("respond: {status: 600}", "respond.status 600"),
            ("respond: {status: -1}", ""),
            (
                "match: {path: api/v1}\nrespond: {}",
                "match.path \"api/v1\" must start with /",
            ),
            (
                "match: {path: '/a?b=1'}\nrespond: {}",
                "holds a query string",
            ),
            ("match: {path: /a/***}\nrespond: {}", "has ***"),
            (
                "match: {method: 'GET /'}\nrespond: {}",
                "not an HTTP method",
            ),
            ("match: {method: ''}\nrespond: {}", "not an HTTP method"),
            (
                "match: {headers: {'Bad Name': x}}\nrespond: {}",
                "not a valid header name",
            ),
            (
                "match: {query: {a: [1]}}\nrespond: {}",
                "match.query.a: expected a string, number or boolean",
            ),
            (
                "respond: {headers: {X: {a: 1}}}",
                "respond.headers.X: expected",
            ),
            (
                "respond: {headers: {X: \"a\\nb\"}}",
                "the value of X is not a valid header value",
            ),
            ("respond: {delay: soon}", "invalid delay"),
            ("respond: {}\nextra: 1", "extra"),
            ("match: {host: x}\nrespond: {}", "host"),
            ("respond: {text: x}", "text"),
            ("match: {}", "respond"),
        ] {
            match parse(yaml) {
                Ok(stub) => panic!("{yaml:?} should be refused, got {stub:?}"),
                Err(error) => assert!(
                    error.to_string().contains(message),
                    "{yaml:?}: {error} should mention {message:?}"
                ),
            }
        }
    }

    #[test]
    fn validate_catches_what_code_can_build() {
        let both = StubResponse {
            body: Some("x".into()),
            ..StubResponse::json(json!({}))
        };
        assert_eq!(Stub::new(both).validate(), Err(StubError::JsonAndBody));
        assert_eq!(
            Stub::new(StubResponse::new(42)).validate(),
            Err(StubError::Status(42))
        );
        assert_eq!(
            Stub::new(StubResponse::new(200).header("X", "a\nb")).validate(),
            Err(StubError::HeaderValue {
                field: RESPOND_HEADERS,
                name: "X".into()
            })
        );
        assert_eq!(
            Stub::new(StubResponse::new(200))
                .header("bad name", "x")
                .validate(),
            Err(StubError::HeaderName {
                field: MATCH_HEADERS,
                name: "bad name".into()
            })
        );
        assert!(
            Stub::new(StubResponse::new(200))
                .path("/ok/*")
                .method("patch")
                .validate()
                .is_ok()
        );
    }

    #[test]
    fn bodies_match_as_subsets() {
        let matches = |expected: Value, body: &str| body_matches(&expected, body.as_bytes());
        assert!(matches(json!({}), r#"{"a": 1}"#));
        assert!(matches(
            json!({"a": {"b": 1}}),
            r#"{"a": {"b": 1, "c": 2}, "d": 3}"#
        ));
        assert!(!matches(json!({"a": {"b": 2}}), r#"{"a": {"b": 1}}"#));
        assert!(!matches(json!({"a": 1}), r#"{"b": 1}"#));
        // Arrays and scalars compare whole.
        assert!(matches(json!({"a": [1, 2]}), r#"{"a": [1, 2]}"#));
        assert!(!matches(json!({"a": [1]}), r#"{"a": [1, 2]}"#));
        assert!(!matches(json!({"a": "1"}), r#"{"a": 1}"#));
        // Not JSON: only an exactly equal string.
        assert!(matches(json!("grant_type=password"), "grant_type=password"));
        assert!(!matches(json!("grant_type"), "grant_type=password"));
        assert!(!matches(json!({}), "grant_type=password"));
        assert!(!matches(json!({}), ""));
    }
}
