//! What every mock vendor implements ([`Vendor`]), the vendors this crate
//! knows ([`VendorKind`]), and why a seed or an action is refused.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use wiremock::Request;

use super::change::RemoteChange;
use crate::faults::FaultResponse;
use crate::rejection::Rejection;
use crate::response::Response;

/// An account an identity vendor keeps, as the IAM checks see it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Account {
    /// The vendor's id of the account.
    pub id: String,
    /// Its email address, if it has one.
    pub email: Option<String>,
    /// Whether the vendor considers it active, as
    /// [`Vendor::account_active`] says.
    pub active: bool,
}

impl Account {
    /// An account with this id, email and status.
    pub fn new(id: impl Into<String>, email: Option<String>, active: bool) -> Self {
        Self {
            id: id.into(),
            email,
            active,
        }
    }
}

/// A stateful fake of one vendor API.
///
/// Implementations answer requests synchronously from in-memory state
/// ([`handle`](Vendor::handle) runs on the server's own thread, so it must
/// be fast and must never block on I/O), keep a seed to return to, and dump
/// their state for assertions.
///
/// ```
/// use mock_vendors::Clock;
/// use mock_vendors::okta::Okta;
/// use mock_vendors::{Vendor, VendorKind};
/// use serde_json::json;
///
/// let okta = Okta::new(Clock::default(), "token");
/// okta.seed(&json!({"users": [{"profile": {"login": "ada@example.com"}}]}))?;
/// assert_eq!(okta.kind(), VendorKind::Okta);
/// assert_eq!(okta.dump()["users"].as_array().map(Vec::len), Some(2)); // Ada + the admin
/// # Ok::<(), mock_vendors::SeedError>(())
/// ```
pub trait Vendor: Send + Sync + 'static {
    /// Which vendor this is.
    ///
    /// ```
    /// use mock_vendors::{Clock, okta::Okta, Vendor, VendorKind};
    ///
    /// assert_eq!(Okta::new(Clock::default(), "t").kind(), VendorKind::Okta);
    /// ```
    fn kind(&self) -> VendorKind;

    /// The stateful default routes: answer one request.
    ///
    /// ```
    /// use mock_vendors::{Clock, okta::Okta, Vendor};
    /// use wiremock::http::{HeaderMap, Method, Url};
    ///
    /// let okta = Okta::new(Clock::default(), "t");
    /// let mut headers = HeaderMap::new();
    /// headers.insert("authorization", "SSWS t".parse()?);
    /// let request = wiremock::Request {
    ///     url: Url::parse("http://okta.test/api/v1/users?activate=false")?,
    ///     method: Method::POST,
    ///     headers,
    ///     body: br#"{"profile": {"login": "ada@example.com", "email": "ada@example.com",
    ///               "firstName": "Ada", "lastName": "Lovelace"}}"#.to_vec(),
    /// };
    /// let _answer = okta.handle(&request);
    /// assert_eq!(okta.dump()["users"][1]["status"], "STAGED");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn handle(&self, request: &Request) -> Response;

    /// The vendor's own answer for an injected fault (its error body and
    /// headers for that status).
    ///
    /// [`MockVendor`](crate::MockVendor) asks only for
    /// [`FaultResponse::RateLimit`] and [`FaultResponse::Status`]; it
    /// answers [`FaultResponse::Delay`] (the normal answer, late) and
    /// [`FaultResponse::Drop`] (no answer at all) by itself.
    ///
    /// ```
    /// use mock_vendors::{Clock, FaultResponse, okta::Okta, Vendor};
    ///
    /// let okta = Okta::new(Clock::default(), "t");
    /// let too_many = okta.fault_response(&FaultResponse::RateLimit); // 429 E0000047
    /// # drop(too_many);
    /// ```
    fn fault_response(&self, fault: &FaultResponse) -> Response;

    /// The vendor's answer to a request the server could not read whole:
    /// malformed or truncated framing, a head or body over its
    /// [limit](crate::Limits), ... The status is
    /// [`Rejection::status`]; the body is the vendor's own error format.
    /// Rejected requests never reach [`handle`](Vendor::handle). The
    /// stub-only vendor answers a generic JSON error, `{"error": <what was
    /// wrong>, "status": <status>}`.
    ///
    /// ```
    /// use mock_vendors::{Clock, okta::Okta, Rejection, StubVendor, Vendor};
    ///
    /// let chunk = Rejection::MalformedChunk("the chunk size \"zz\" is not hexadecimal".into());
    /// let okta = Okta::new(Clock::default(), "t").reject(&chunk);
    /// assert_eq!(okta.status(), 400);
    /// let body: serde_json::Value = serde_json::from_slice(okta.body())?;
    /// assert_eq!(body["errorCode"], "E0000003");
    ///
    /// let generic = StubVendor::new().reject(&Rejection::BodyTooLarge { limit: 10 });
    /// assert_eq!(generic.status(), 413);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    fn reject(&self, rejection: &Rejection) -> Response;

    /// The headers the vendor puts on every answer whoever writes its body
    /// (rate-limit budget, request ids), drawn fresh for one answer.
    ///
    /// [`MockVendor`](crate::MockVendor) adds them to the
    /// answers of [stubs](crate::Stub) laid over the vendor, except
    /// a header the stub sets itself; the vendor's own answers and faults
    /// carry them already. The default is none (the stub-only vendor, and
    /// ServiceNow, whose rate-limit headers come only with its 429).
    ///
    /// ```
    /// use mock_vendors::{Clock, okta::Okta, servicenow::ServiceNow, Vendor};
    ///
    /// let okta = Okta::new(Clock::default(), "t");
    /// let names: Vec<&str> = okta.common_headers().iter().map(|(name, _)| *name).collect();
    /// assert_eq!(
    ///     names,
    ///     ["X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset", "X-Okta-Request-Id"]
    /// );
    /// assert!(ServiceNow::new(Clock::default(), "u:p").common_headers().is_empty());
    /// ```
    fn common_headers(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    /// Replaces the whole state with `seed` (a vendor-specific JSON shape)
    /// and keeps the seed for [`reset`](Vendor::reset).
    ///
    /// # Errors
    ///
    /// [`SeedError`] when the seed does not have the vendor's shape or holds
    /// an unacceptable value; the state is then left as it was.
    ///
    /// ```
    /// use mock_vendors::{Clock, okta::Okta, Vendor};
    /// use serde_json::json;
    ///
    /// let okta = Okta::new(Clock::default(), "t");
    /// okta.seed(&json!({"users": [{"profile": {"login": "ada@example.com"}}], "owner": "ada@example.com"}))?;
    /// assert_eq!(okta.dump()["users"].as_array().map(Vec::len), Some(1));
    /// # Ok::<(), mock_vendors::SeedError>(())
    /// ```
    fn seed(&self, seed: &serde_json::Value) -> Result<(), SeedError>;

    /// Returns to the last seed (or to the empty state when never seeded).
    ///
    /// ```
    /// use mock_vendors::{Clock, okta::Okta, Vendor};
    ///
    /// let okta = Okta::new(Clock::default(), "t");
    /// let fresh = okta.dump();
    /// okta.reset();
    /// assert_eq!(okta.dump(), fresh);
    /// ```
    fn reset(&self);

    /// The whole state as JSON in a deterministic order, for assertions and
    /// snapshots.
    ///
    /// ```
    /// use mock_vendors::{Clock, okta::Okta, Vendor};
    ///
    /// let dump = Okta::new(Clock::default(), "t").dump();
    /// assert_eq!(dump["users"][0]["created"], "2025-01-01T00:00:00.000Z");
    /// ```
    fn dump(&self) -> serde_json::Value;

    /// Whether the vendor considers this account active (IAM checks);
    /// `None` when the id is unknown or the vendor has no accounts.
    ///
    /// ```
    /// use mock_vendors::{Clock, okta::Okta, Vendor};
    ///
    /// let okta = Okta::new(Clock::default(), "t");
    /// assert_eq!(okta.account_active("admin@harness.example"), Some(true));
    /// assert_eq!(okta.account_active("00unknown"), None);
    /// ```
    fn account_active(&self, _id: &str) -> Option<bool> {
        None
    }

    /// Every account the vendor keeps, for the IAM checks that compare a
    /// command's result and effect with what the IAM contract predicts;
    /// `None` from vendors that keep no accounts (the default).
    ///
    /// ```
    /// use mock_vendors::{Clock, okta::Okta, Vendor};
    ///
    /// let okta = Okta::new(Clock::default(), "t");
    /// let accounts = okta.accounts().expect("Okta keeps accounts");
    /// assert_eq!(accounts[0].email.as_deref(), Some("admin@harness.example"));
    /// assert!(accounts[0].active);
    /// ```
    fn accounts(&self) -> Option<Vec<Account>> {
        None
    }

    /// Whether the record mirroring knows by `record` (its id, or the
    /// vendor's other key for it) is closed, as the vendor's own UI would
    /// show it; `None` for an unknown record or a vendor without records
    /// (the default).
    ///
    /// ```
    /// use mock_vendors::{Clock, servicenow::ServiceNow, Vendor};
    /// use serde_json::json;
    ///
    /// let snow = ServiceNow::new(Clock::default(), "harness:pw");
    /// snow.seed(&json!({"incident": [{"short_description": "x"}]}))?;
    /// assert_eq!(snow.record_closed("INC0010001"), Some(false));
    /// snow.act(&json!({"update": {"record": "INC0010001", "fields": {"state": "7"}}}))?;
    /// assert_eq!(snow.record_closed("INC0010001"), Some(true));
    /// assert_eq!(snow.record_closed("nope"), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn record_closed(&self, _record: &str) -> Option<bool> {
        None
    }

    /// The record mirroring knows by `record`, as the vendor keeps it, so
    /// that a change to it shows; `None` for an unknown record or a vendor
    /// without records (the default).
    ///
    /// ```
    /// use mock_vendors::{Clock, servicenow::ServiceNow, Vendor};
    /// use serde_json::json;
    ///
    /// let snow = ServiceNow::new(Clock::default(), "harness:pw");
    /// snow.seed(&json!({"incident": [{"short_description": "x"}]}))?;
    /// let before = snow.record("INC0010001");
    /// snow.act(&json!({"update": {"record": "INC0010001", "fields": {"urgency": "1"}}}))?;
    /// assert_ne!(snow.record("INC0010001"), before);
    /// assert_eq!(snow.record("nope"), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn record(&self, _record: &str) -> Option<serde_json::Value> {
        None
    }

    /// A change made directly at the vendor, as a person using the
    /// vendor's own UI would make it (scenarios use this for "remote"
    /// changes). `action` is vendor-specific JSON; the answer describes
    /// what changed.
    ///
    /// # Errors
    ///
    /// [`ActError::Unsupported`] from a vendor that takes no actions (the
    /// default), [`ActError::Invalid`] for an action the vendor cannot
    /// carry out, saying what is wrong and what it expects.
    ///
    /// ```
    /// use mock_vendors::{Clock, servicenow::ServiceNow, Vendor};
    /// use serde_json::json;
    ///
    /// let servicenow = ServiceNow::new(Clock::default(), "harness:pw");
    /// let inserted = servicenow.act(&json!({"insert": {"fields": {"short_description": "x"}}}))?;
    /// assert_eq!(inserted["record"]["number"], "INC0010001");
    /// let closed = servicenow.act(&json!({"update": {
    ///     "record": "INC0010001", "fields": {"state": "7", "comments": "done"}, "user": "beth",
    /// }}))?;
    /// assert_eq!(closed["record"]["closed_at"], "2025-01-01 00:00:00");
    /// # Ok::<(), mock_vendors::ActError>(())
    /// ```
    fn act(&self, _action: &serde_json::Value) -> Result<serde_json::Value, ActError> {
        Err(ActError::Unsupported(format!(
            "the {} mock vendor takes no actions",
            self.kind()
        )))
    }

    /// The [`act`](Vendor::act) action that makes `change`, in the vendor's
    /// own spelling; `None` when the vendor has no such change (the default:
    /// a vendor without records).
    ///
    /// ```
    /// use mock_vendors::{Clock, RemoteChange, Vendor, okta::Okta};
    ///
    /// let okta = Okta::new(Clock::default(), "t");
    /// assert_eq!(okta.remote_change(&RemoteChange::Close { record: "1" }), None);
    /// ```
    fn remote_change(&self, _change: &RemoteChange<'_>) -> Option<serde_json::Value> {
        None
    }

    /// The comments and notes on a ticket-like record, oldest first (for
    /// mirroring checks); `None` when the vendor has no such concept or no
    /// such record.
    ///
    /// ```
    /// use mock_vendors::{Clock, servicenow::ServiceNow, Vendor};
    /// use serde_json::json;
    ///
    /// let servicenow = ServiceNow::new(Clock::default(), "harness:pw");
    /// servicenow.act(&json!({"insert": {"fields": {"work_notes": "look here"}}}))?;
    /// let notes = servicenow.ticket_notes("INC0010001").unwrap_or_default();
    /// assert_eq!((notes[0].kind.as_str(), notes[0].text.as_str()), ("work_notes", "look here"));
    /// assert_eq!(servicenow.ticket_notes("INC0099999"), None);
    /// # Ok::<(), mock_vendors::ActError>(())
    /// ```
    fn ticket_notes(&self, _record_id: &str) -> Option<Vec<TicketNote>> {
        None
    }

    /// The record a request writes to and the fields it writes (mirroring checks judge that
    /// a push writes only what changed, and nothing against an incident's direction): the
    /// record's id and the fields its body sets, leaving out what the vendor's writes carry
    /// whatever changed (journal and close fields, ids, versions); no fields for a write that
    /// only adds a note or a file. `None` for a request that writes to no known record (the
    /// default).
    ///
    /// ```
    /// use mock_vendors::{Clock, servicenow::ServiceNow, xsoar::Xsoar, Vendor};
    /// use serde_json::json;
    ///
    /// let servicenow = ServiceNow::new(Clock::default(), "harness:pw");
    /// let body = json!({"urgency": "1", "comments": "called the user"});
    /// let write = servicenow.record_write("PATCH", "/api/now/table/incident/9d3f", None, Some(&body));
    /// assert_eq!(write.map(|w| (w.record, w.fields)), Some(("9d3f".into(), vec!["urgency".into()])));
    ///
    /// // A remote XSOAR server: what a client's save changed, however much of the
    /// // incident its body carried.
    /// let xsoar = Xsoar::new(Clock::default(), "key");
    /// xsoar.act(&json!({"create": {"fields": {"name": "Phish", "severity": 2}}}))?;
    /// let whole = json!({"id": "1", "version": 1, "name": "Phish", "severity": 3});
    /// let mut headers = wiremock::http::HeaderMap::new();
    /// headers.insert("authorization", "key".parse()?);
    /// let _saved = xsoar.handle(&wiremock::Request {
    ///     url: wiremock::http::Url::parse("http://xsoar.test/incident")?,
    ///     method: wiremock::http::Method::POST,
    ///     headers,
    ///     body: whole.to_string().into_bytes(),
    /// });
    /// let write = xsoar.record_write("POST", "/incident", None, Some(&whole));
    /// assert_eq!(write.map(|w| (w.record, w.fields)), Some(("1".into(), vec!["severity".into()])));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn record_write(
        &self,
        _method: &str,
        _path: &str,
        _query: Option<&str>,
        _body: Option<&serde_json::Value>,
    ) -> Option<RecordWrite> {
        None
    }
}

/// The record a request writes to, and the fields it writes ([`Vendor::record_write`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordWrite {
    /// The record's id as the vendor names it (a sys_id, an incident id).
    pub record: String,
    /// The fields set, by the names a mapper writes them under.
    pub fields: Vec<String>,
}

/// One comment or note on a ticket-like record
/// ([`Vendor::ticket_notes`]).
///
/// ```
/// use mock_vendors::TicketNote;
///
/// let note = TicketNote {
///     kind: "comments".into(),
///     text: "Mirrored from Cortex XSOAR".into(),
///     created_by: "harness".into(),
///     created_at_millis: 1_735_689_600_000,
///     must_mirror: true,
/// };
/// assert_eq!(serde_json::to_value(&note)?["kind"], "comments");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct TicketNote {
    /// What kind of note, in the vendor's words for messages: `comments` (visible to the
    /// customer) or `work_notes` (internal) on a ticket, `note` or `chat message` in a war room.
    pub kind: String,
    /// The text as written.
    pub text: String,
    /// The user name of the author.
    pub created_by: String,
    /// When it was written, epoch milliseconds.
    pub created_at_millis: i64,
    /// Whether a mirror bringing the record's notes in must bring this
    /// one: every comment and work note of a ticket, only what the client
    /// asked for where it filters (a remote XSOAR server's war room, read
    /// by category and tag). Notes that need not mirror are still judged
    /// for duplicates.
    pub must_mirror: bool,
}

/// Why [`Vendor::act`] did nothing.
///
/// ```
/// use mock_vendors::{Clock, servicenow::ServiceNow, Vendor};
/// use mock_vendors::ActError;
/// use serde_json::json;
///
/// let servicenow = ServiceNow::new(Clock::default(), "harness:pw");
/// let error = servicenow.act(&json!({"close": "INC0010001"})).unwrap_err();
/// assert!(matches!(error, ActError::Invalid(_)));
/// assert!(error.to_string().starts_with("invalid action: "));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ActError {
    /// The vendor takes no actions at all.
    #[error("unsupported action: {0}")]
    Unsupported(String),
    /// The action is not one the vendor can carry out: what is wrong and
    /// what is expected.
    #[error("invalid action: {0}")]
    Invalid(String),
}

/// The vendors this crate knows.
///
/// Serialised in lowercase (`okta`, `servicenow`, `stub`, `xsoar`), the spelling scenarios
/// and the command line use.
///
/// ```
/// use mock_vendors::VendorKind;
///
/// assert_eq!("okta".parse::<VendorKind>(), Ok(VendorKind::Okta));
/// assert_eq!(VendorKind::ServiceNow.to_string(), "servicenow");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum VendorKind {
    /// The Okta-like Users API (`mock_vendors::okta`).
    Okta,
    /// The ServiceNow-like Table API (`mock_vendors::servicenow`).
    ServiceNow,
    /// No API of its own: only the [`Stub`](crate::Stub)s laid over
    /// it answer ([`StubVendor`](crate::StubVendor)).
    Stub,
    /// A remote XSOAR server (`mock_vendors::xsoar`).
    Xsoar,
}

impl VendorKind {
    /// Every kind, in declaration order.
    pub const ALL: [VendorKind; 4] = [
        VendorKind::Okta,
        VendorKind::ServiceNow,
        VendorKind::Stub,
        VendorKind::Xsoar,
    ];

    /// The lowercase name (`okta`, `servicenow`, `stub`, `xsoar`).
    ///
    /// ```
    /// use mock_vendors::VendorKind;
    ///
    /// assert_eq!(VendorKind::Okta.as_str(), "okta");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            VendorKind::Okta => "okta",
            VendorKind::ServiceNow => "servicenow",
            VendorKind::Stub => "stub",
            VendorKind::Xsoar => "xsoar",
        }
    }
}

impl fmt::Display for VendorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for VendorKind {
    type Err = UnknownVendor;

    /// Parses a lowercase name, ignoring ASCII case.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        VendorKind::ALL
            .into_iter()
            .find(|kind| kind.as_str().eq_ignore_ascii_case(text))
            .ok_or_else(|| UnknownVendor(text.to_owned()))
    }
}

/// A vendor name that is not one of [`VendorKind::ALL`].
///
/// ```
/// use mock_vendors::VendorKind;
///
/// let error = "jira".parse::<VendorKind>().unwrap_err();
/// assert_eq!(error.to_string(), r#"unknown vendor "jira" (expected okta, servicenow, stub or xsoar)"#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown vendor {0:?} (expected okta, servicenow, stub or xsoar)")]
pub struct UnknownVendor(pub String);

/// Why a seed was refused.
///
/// ```
/// use mock_vendors::Clock;
/// use mock_vendors::okta::Okta;
/// use mock_vendors::{SeedError, Vendor};
/// use serde_json::json;
///
/// let okta = Okta::new(Clock::default(), "token");
/// let error = okta.seed(&json!({"users": [{"profile": {}}]})).unwrap_err();
/// assert!(matches!(error, SeedError::Invalid { .. }));
/// assert_eq!(error.to_string(), "invalid seed at users[0].profile.login: a login is required");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SeedError {
    /// The JSON does not have the vendor's seed shape (unknown or
    /// mistyped fields).
    #[error("invalid seed: {0}")]
    Shape(#[from] serde_json::Error),
    /// The shape is right but a value is not acceptable.
    #[error("invalid seed at {path}: {reason}")]
    Invalid {
        /// Where in the seed, e.g. `users[2].profile.login`.
        path: String,
        /// What is wrong there.
        reason: String,
    },
}
