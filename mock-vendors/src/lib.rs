//! Stateful fakes of vendor APIs, for contract-testing XSOAR-style
//! integrations. Requests reach the vendors as [`wiremock::Request`]s and
//! are answered with [`Response`]s, over an HTTP/1.1 server of this crate's
//! own that answers every request, however broken, in the vendor's format.
//!
//! - [`Vendor`]: what every fake implements; [`create`] builds a built-in
//!   one by [`VendorKind`].
//! - [`okta`]: the Okta-like Users API.
//! - [`servicenow`]: the ServiceNow-like Table, Attachment and OAuth APIs.
//! - [`xsoar`]: a remote XSOAR server (incidents, search, versions).
//! - [`StubVendor`]: no API of its own: only stubs answer.
//! - [`MockVendor`]: a vendor served over HTTP within [`Limits`], with its
//!   bounded request journal ([`JournalEntry`]) and admin routes.
//! - [`Rejection`]: why a request could not be read (and the status it
//!   gets).
//! - [`Fault`]s laid over the default routes (429, 5xx, delays, dropped
//!   connections) and [`Stub`]s, scripted answers laid over any vendor
//!   (below faults, above the default routes).
//! - [`Clock`]: the virtual clock the harness shares with the vendors.
//! - [`cli`]: the `mock-vendors` binary.
//!
//! # Layers
//!
//! Modules depend one way, from the bottom up:
//!
//! 1. plain data and helpers: `clock`, `prng`, `response`, `rejection`,
//!    `faults`;
//! 2. the vendor kit (`kit`): the [`Vendor`] trait, `Call`/`Reply`, the
//!    state holder, the fault ladder, the rate window (its module docs say
//!    how to write a new vendor against it);
//! 3. the vendors, written against the kit: `okta`, `servicenow`,
//!    `xsoar`, `stub_vendor`; and `stubs`;
//! 4. the server (`mock_vendor`) and the registry ([`create`]);
//! 5. the command line ([`cli`]).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use mock_vendors::{create, Clock, MockVendor, VendorKind};
//! use serde_json::json;
//!
//! let clock = Clock::default();
//! let okta = create(VendorKind::Okta, clock.clone(), Some("t0ken".into()))?;
//! okta.seed(&json!({"users": [{"profile": {"login": "ada@example.com", "email": "ada@example.com"}}]}))?;
//! let server = MockVendor::start(okta).await;
//!
//! let found: serde_json::Value = reqwest::Client::new()
//!     .get(format!("{}/api/v1/users", server.uri()))
//!     .query(&[("filter", r#"profile.login eq "ada@example.com""#)])
//!     .header("Authorization", "SSWS t0ken")
//!     .send()
//!     .await?
//!     .json()
//!     .await?;
//! assert_eq!(found[0]["status"], "ACTIVE");
//! assert_eq!(server.journal().await[0].path, "/api/v1/users");
//! # Ok(())
//! # }
//! ```

pub mod cli;
mod clock;
mod faults;
mod kit;
mod mock_vendor;
pub mod okta;
mod prng;
mod registry;
mod rejection;
mod response;
pub mod servicenow;
mod stub_vendor;
mod stubs;
pub mod xsoar;

pub use clock::{Clock, format_iso_millis};
pub use faults::{DelaySpec, DelaySpecError, Fault, FaultMatch, FaultResponse};
pub use kit::change::RemoteChange;
pub use kit::vendor::{
    Account, ActError, RecordWrite, SeedError, TicketNote, UnknownVendor, Vendor, VendorKind,
};
pub use mock_vendor::{JournalEntry, JournalWindow, Limits, MockVendor, truncation_marker};
pub use registry::{CreateError, create};
pub use rejection::Rejection;
pub use response::Response;
pub use stub_vendor::StubVendor;
pub use stubs::{Stub, StubError, StubMatch, StubResponse};
