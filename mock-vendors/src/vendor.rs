//! What every fake vendor implements, and a factory for the built-in ones.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use wiremock::{Request, ResponseTemplate};

use crate::clock::Clock;
use crate::faults::FaultResponse;
use crate::okta::{self, Okta};

/// A stateful fake of one vendor API.
///
/// Implementations answer requests synchronously from in-memory state
/// ([`handle`](Vendor::handle) runs inside wiremock's responder, so it must
/// be fast and must never block on I/O), keep a seed to return to, and dump
/// their state for assertions.
///
/// ```
/// use mock_vendors::clock::Clock;
/// use mock_vendors::okta::Okta;
/// use mock_vendors::vendor::{Vendor, VendorKind};
/// use serde_json::json;
///
/// let okta = Okta::new(Clock::default(), "token");
/// okta.seed(&json!({"users": [{"profile": {"login": "ada@example.com"}}]}))?;
/// assert_eq!(okta.kind(), VendorKind::Okta);
/// assert_eq!(okta.dump()["users"].as_array().map(Vec::len), Some(2)); // Ada + the admin
/// # Ok::<(), mock_vendors::vendor::SeedError>(())
/// ```
pub trait Vendor: Send + Sync + 'static {
    /// Which vendor this is.
    ///
    /// ```
    /// use mock_vendors::{Clock, Okta, Vendor, VendorKind};
    ///
    /// assert_eq!(Okta::new(Clock::default(), "t").kind(), VendorKind::Okta);
    /// ```
    fn kind(&self) -> VendorKind;

    /// The stateful default routes: answer one request.
    ///
    /// ```
    /// use mock_vendors::{Clock, Okta, Vendor};
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
    fn handle(&self, request: &Request) -> ResponseTemplate;

    /// The vendor's own answer for an injected fault (its error body and
    /// headers for that status).
    ///
    /// [`MockVendor`](crate::mock_vendor::MockVendor) asks only for
    /// [`FaultResponse::RateLimit`] and [`FaultResponse::Status`]; it
    /// answers [`FaultResponse::Delay`] (the normal answer, late) and
    /// [`FaultResponse::Drop`] (no answer at all) by itself.
    ///
    /// ```
    /// use mock_vendors::{Clock, FaultResponse, Okta, Vendor};
    ///
    /// let okta = Okta::new(Clock::default(), "t");
    /// let too_many = okta.fault_response(&FaultResponse::RateLimit); // 429 E0000047
    /// # drop(too_many);
    /// ```
    fn fault_response(&self, fault: &FaultResponse) -> ResponseTemplate;

    /// Replaces the whole state with `seed` (a vendor-specific JSON shape)
    /// and keeps the seed for [`reset`](Vendor::reset).
    ///
    /// # Errors
    ///
    /// [`SeedError`] when the seed does not have the vendor's shape or holds
    /// an unacceptable value; the state is then left as it was.
    ///
    /// ```
    /// use mock_vendors::{Clock, Okta, Vendor};
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
    /// use mock_vendors::{Clock, Okta, Vendor};
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
    /// use mock_vendors::{Clock, Okta, Vendor};
    ///
    /// let dump = Okta::new(Clock::default(), "t").dump();
    /// assert_eq!(dump["users"][0]["created"], "2025-01-01T00:00:00.000Z");
    /// ```
    fn dump(&self) -> serde_json::Value;

    /// Whether the vendor considers this account active (IAM checks);
    /// `None` when the id is unknown or the vendor has no accounts.
    ///
    /// ```
    /// use mock_vendors::{Clock, Okta, Vendor};
    ///
    /// let okta = Okta::new(Clock::default(), "t");
    /// assert_eq!(okta.account_active("admin@harness.example"), Some(true));
    /// assert_eq!(okta.account_active("00unknown"), None);
    /// ```
    fn account_active(&self, _id: &str) -> Option<bool> {
        None
    }
}

/// The vendors this crate knows.
///
/// Serialised in lowercase (`okta`, `servicenow`), the spelling scenarios
/// and the command line use.
///
/// ```
/// use mock_vendors::vendor::VendorKind;
///
/// assert_eq!("okta".parse::<VendorKind>(), Ok(VendorKind::Okta));
/// assert_eq!(VendorKind::ServiceNow.to_string(), "servicenow");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VendorKind {
    /// The Okta-like Users API ([`crate::okta`]).
    Okta,
    /// The ServiceNow-like Table API (not implemented yet).
    ServiceNow,
}

impl VendorKind {
    /// Every kind, in declaration order.
    pub const ALL: [VendorKind; 2] = [VendorKind::Okta, VendorKind::ServiceNow];

    /// The lowercase name (`okta`, `servicenow`).
    ///
    /// ```
    /// use mock_vendors::vendor::VendorKind;
    ///
    /// assert_eq!(VendorKind::Okta.as_str(), "okta");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            VendorKind::Okta => "okta",
            VendorKind::ServiceNow => "servicenow",
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
/// use mock_vendors::vendor::VendorKind;
///
/// let error = "jira".parse::<VendorKind>().unwrap_err();
/// assert_eq!(error.to_string(), r#"unknown vendor "jira" (expected okta or servicenow)"#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown vendor {0:?} (expected okta or servicenow)")]
pub struct UnknownVendor(pub String);

/// Why a seed was refused.
///
/// ```
/// use mock_vendors::clock::Clock;
/// use mock_vendors::okta::Okta;
/// use mock_vendors::vendor::{SeedError, Vendor};
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

/// Why [`create`] could not build a vendor.
///
/// ```
/// use mock_vendors::clock::Clock;
/// use mock_vendors::vendor::{create, CreateError, VendorKind};
///
/// let error = create(VendorKind::ServiceNow, Clock::default(), None).err();
/// assert!(matches!(error, Some(CreateError::NotImplemented(VendorKind::ServiceNow))));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CreateError {
    /// The vendor is planned but not written yet.
    #[error("the {0} mock vendor is not implemented yet")]
    NotImplemented(VendorKind),
}

/// Builds a built-in vendor in its empty state.
///
/// `token` is the credential the vendor accepts; `None` picks the vendor's
/// default (for Okta [`okta::DEFAULT_TOKEN`]).
///
/// # Errors
///
/// [`CreateError::NotImplemented`] for a vendor that is not written yet.
///
/// ```
/// use mock_vendors::clock::Clock;
/// use mock_vendors::vendor::{create, VendorKind};
///
/// let okta = create(VendorKind::Okta, Clock::default(), None)?;
/// assert_eq!(okta.kind(), VendorKind::Okta);
/// # Ok::<(), mock_vendors::vendor::CreateError>(())
/// ```
pub fn create(
    kind: VendorKind,
    clock: Clock,
    token: Option<String>,
) -> Result<Arc<dyn Vendor>, CreateError> {
    match kind {
        VendorKind::Okta => {
            let token = token.unwrap_or_else(|| okta::DEFAULT_TOKEN.to_owned());
            Ok(Arc::new(Okta::new(clock, token)))
        }
        VendorKind::ServiceNow => Err(CreateError::NotImplemented(kind)),
    }
}
