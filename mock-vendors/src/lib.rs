//! Stateful fakes of vendor APIs, for contract-testing XSOAR-style
//! integrations. Requests reach the vendors as [`wiremock::Request`]s and
//! are answered with [`Response`]s, over an HTTP/1.1 server of this crate's
//! own that answers every request, however broken, in the vendor's format.
//!
//! - [`vendor`]: the [`Vendor`] trait every fake implements, and [`create`].
//! - [`okta`]: the Okta-like Users API.
//! - [`servicenow`]: the ServiceNow-like Table, Attachment and OAuth APIs.
//! - [`stub_vendor`]: [`StubVendor`], no API of its own: only stubs answer.
//! - [`mock_vendor`]: [`MockVendor`], a vendor served over HTTP within
//!   [`Limits`], with its bounded request journal and admin routes.
//! - [`response`]: [`Response`], a vendor's answer to one request.
//! - [`rejection`]: [`Rejection`], why a request could not be read (and the
//!   status it gets).
//! - [`faults`]: [`Fault`]s laid over the default routes (429, 5xx, delays,
//!   dropped connections).
//! - [`stubs`]: [`Stub`]s, scripted answers laid over any vendor (below
//!   faults, above the default routes).
//! - [`clock`]: the virtual [`Clock`] the harness shares with the vendors.
//! - [`cli`]: the `mock-vendors` binary.
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
pub mod clock;
pub mod faults;
pub mod mock_vendor;
pub mod okta;
mod prng;
pub mod rejection;
mod request;
pub mod response;
pub mod servicenow;
pub mod stub_vendor;
pub mod stubs;
pub mod vendor;

pub use clock::Clock;
pub use faults::{DelaySpec, Fault, FaultMatch, FaultResponse};
pub use mock_vendor::{JournalEntry, JournalWindow, Limits, MockVendor};
pub use okta::Okta;
pub use rejection::Rejection;
pub use response::Response;
pub use servicenow::ServiceNow;
pub use stub_vendor::StubVendor;
pub use stubs::{Stub, StubError, StubMatch, StubResponse};
pub use vendor::{ActError, SeedError, TicketNote, Vendor, VendorKind, create};
