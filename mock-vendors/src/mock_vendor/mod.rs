//! A running vendor: a wiremock [`MockServer`] whose lowest-priority mock
//! hands every request to [`Vendor::handle`], with stubs, faults and admin
//! routes laid over it by priority.
//!
//! | priority | mocks | among equals |
//! |---|---|---|
//! | 1 | admin routes (`/__admin/*`) | - |
//! | 2 | [faults](MockVendor::inject) | first injected first |
//! | 3 | [stubs](MockVendor::stub) | first mounted first |
//! | 255 | the vendor's default routes ([`Vendor::handle`]) | - |
//!
//! wiremock tries mocks in priority order (1 is the highest) and, within a
//! priority, in mount order: it stably sorts its mocks by priority before
//! each request. A mock whose `times` are spent stops matching, so the
//! next one in that order answers.

mod admin;
mod journal;

use std::fmt;
use std::io;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use wiremock::http::HeaderValue;
use wiremock::matchers::any;
use wiremock::{Match, Mock, MockServer, Request};

pub use self::journal::JournalEntry;

use self::admin::AdminPath;
use self::journal::Journal;
use crate::faults::{Fault, FaultMatch, FaultResponse};
use crate::stubs::{Stub, StubError, StubMatch};
use crate::vendor::Vendor;

/// Admin routes outrank everything (wiremock: 1 is the highest priority).
const ADMIN_PRIORITY: u8 = 1;
/// Faults outrank the default routes; among faults, the first injected
/// answers first.
const FAULT_PRIORITY: u8 = 2;
/// Stubs outrank the default routes (a scenario overrides one route of a
/// stateful vendor) but not faults (which exist to break any answer);
/// among stubs, the first mounted answers first.
const STUB_PRIORITY: u8 = 3;
/// The vendor's stateful routes catch whatever is left.
const DEFAULT_PRIORITY: u8 = u8::MAX;

/// A vendor served over HTTP on `127.0.0.1`.
///
/// Dropping it stops the server.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use mock_vendors::clock::Clock;
/// use mock_vendors::faults::{Fault, FaultResponse};
/// use mock_vendors::mock_vendor::MockVendor;
/// use mock_vendors::vendor::{create, VendorKind};
///
/// let vendor = create(VendorKind::Okta, Clock::default(), None)?;
/// let server = MockVendor::start(vendor).await;
/// server.inject(&Fault::new(FaultResponse::Status(503))).await;
///
/// let url = format!("{}/api/v1/users/me", server.uri());
/// let client = reqwest::Client::new();
/// let auth = ("Authorization", "SSWS harness-okta-token");
/// let first = client.get(&url).header(auth.0, auth.1).send().await?;
/// let second = client.get(&url).header(auth.0, auth.1).send().await?;
/// assert_eq!((first.status().as_u16(), second.status().as_u16()), (503, 200));
/// assert_eq!(server.journal().await.len(), 2);
/// # Ok(())
/// # }
/// ```
pub struct MockVendor {
    server: MockServer,
    vendor: Arc<dyn Vendor>,
    journal: Journal,
    admin_mounted: AtomicBool,
}

impl MockVendor {
    /// Serves `vendor` on a pooled wiremock server (`127.0.0.1`, random
    /// port).
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), mock_vendors::vendor::CreateError> {
    /// use mock_vendors::{clock::Clock, mock_vendor::MockVendor, vendor::{create, VendorKind}};
    ///
    /// let server = MockVendor::start(create(VendorKind::Okta, Clock::default(), None)?).await;
    /// println!("Okta at {}/api/v1", server.uri());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn start(vendor: Arc<dyn Vendor>) -> MockVendor {
        Self::serve(MockServer::start().await, vendor).await
    }

    /// Serves `vendor` on a listener the caller bound (a fixed port).
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// use mock_vendors::{clock::Clock, mock_vendor::MockVendor, vendor::{create, VendorKind}};
    ///
    /// let listener = std::net::TcpListener::bind("127.0.0.1:8443")?;
    /// let vendor = create(VendorKind::Okta, Clock::default(), None)?;
    /// let server = MockVendor::start_on(vendor, listener).await;
    /// assert_eq!(server.uri(), "http://127.0.0.1:8443");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn start_on(vendor: Arc<dyn Vendor>, listener: TcpListener) -> MockVendor {
        let server = MockServer::builder().listener(listener).start().await;
        Self::serve(server, vendor).await
    }

    async fn serve(server: MockServer, vendor: Arc<dyn Vendor>) -> MockVendor {
        let journal = Journal::default();
        let (routes, log) = (Arc::clone(&vendor), journal.clone());
        Mock::given(any())
            .respond_with(move |request: &Request| {
                log.record(request);
                routes.handle(request)
            })
            .with_priority(DEFAULT_PRIORITY)
            .named(format!("{} default routes", vendor.kind()))
            .mount(&server)
            .await;
        MockVendor {
            server,
            vendor,
            journal,
            admin_mounted: AtomicBool::new(false),
        }
    }

    /// The base URL, `http://127.0.0.1:PORT`.
    ///
    /// ```no_run
    /// # async fn example(server: mock_vendors::mock_vendor::MockVendor) {
    /// let okta_base = format!("{}/api/v1", server.uri());
    /// # }
    /// ```
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// The vendor behind the server, e.g. to [`dump`](Vendor::dump) it.
    ///
    /// ```no_run
    /// # async fn example(server: mock_vendors::mock_vendor::MockVendor) {
    /// let state = server.vendor().dump();
    /// # }
    /// ```
    pub fn vendor(&self) -> &Arc<dyn Vendor> {
        &self.vendor
    }

    /// Lays `fault` over the default routes for its next
    /// [`times`](Fault::times) matching requests (a no-op when `times` is
    /// 0). Faults answer in injection order.
    ///
    /// ```no_run
    /// # async fn example(server: mock_vendors::mock_vendor::MockVendor) {
    /// use mock_vendors::faults::{Fault, FaultResponse};
    ///
    /// // Two rate-limited list calls, then a dropped connection on the third.
    /// let list = Fault::new(FaultResponse::RateLimit).method("GET").path("/api/v1/users");
    /// server.inject(&list.clone().times(2)).await;
    /// server.inject(&Fault { respond: FaultResponse::Drop, ..list }).await;
    /// # }
    /// ```
    pub async fn inject(&self, fault: &Fault) {
        if fault.times == 0 {
            return;
        }
        let name = format!("fault {:?} x{}", fault.respond, fault.times);
        let mock = Mock::given(FaultMatcher(fault.matcher.clone()));
        let (vendor, log) = (Arc::clone(&self.vendor), self.journal.clone());
        let mock = match fault.respond.clone() {
            FaultResponse::Delay(delay) => mock.respond_with(move |request: &Request| {
                log.record(request);
                vendor.handle(request).set_delay(delay.duration())
            }),
            FaultResponse::Drop => mock.respond_with_err(move |request: &Request| {
                log.record(request);
                io::Error::new(
                    io::ErrorKind::ConnectionReset,
                    "connection dropped by an injected fault",
                )
            }),
            respond => mock.respond_with(move |request: &Request| {
                log.record(request);
                vendor.fault_response(&respond)
            }),
        };
        mock.up_to_n_times(fault.times)
            .with_priority(FAULT_PRIORITY)
            .named(name)
            .mount(&self.server)
            .await;
    }

    /// Lays `stub` over the default routes: matching requests get its
    /// answer, for its next [`times`](Stub::times) matches (for ever when
    /// `None`; a no-op when 0). Faults still win over stubs; among stubs
    /// the first mounted answers first, so two stubs with the same match
    /// and `times: 1` answer a sequence. Stubbed requests are journaled
    /// like any other, and their answers get the vendor's
    /// [common headers](Vendor::common_headers) (Okta's rate-limit headers
    /// and request id) unless the stub sets a header of that name.
    ///
    /// # Errors
    ///
    /// The [`StubError`] of [`Stub::validate`] (never for a stub that
    /// deserialised); nothing is mounted then.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use mock_vendors::stubs::{Stub, StubResponse};
    /// use mock_vendors::{create, Clock, MockVendor, VendorKind};
    /// use serde_json::json;
    ///
    /// let server = MockVendor::start(create(VendorKind::Okta, Clock::default(), None)?).await;
    /// // Okta is down for the first user lookup, then answers from its state again.
    /// let lookup = Stub::new(StubResponse::json(json!({"errorCode": "E0000009"})).status(500))
    ///     .method("GET")
    ///     .path("/api/v1/users/*")
    ///     .times(1);
    /// server.stub(&lookup).await?;
    ///
    /// let url = format!("{}/api/v1/users/me", server.uri());
    /// let client = reqwest::Client::new();
    /// let auth = ("Authorization", "SSWS harness-okta-token");
    /// let first = client.get(&url).header(auth.0, auth.1).send().await?;
    /// let second = client.get(&url).header(auth.0, auth.1).send().await?;
    /// assert_eq!((first.status().as_u16(), second.status().as_u16()), (500, 200));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn stub(&self, stub: &Stub) -> Result<(), StubError> {
        stub.matcher.validate()?;
        // Built once: wiremock only clones it per request.
        let template = stub.respond.to_template()?;
        if stub.times == Some(0) {
            return Ok(());
        }
        let (vendor, log) = (Arc::clone(&self.vendor), self.journal.clone());
        // The stub's own headers win over the vendor's common ones.
        let own: Vec<String> = stub
            .respond
            .headers
            .keys()
            .map(|name| name.to_ascii_lowercase())
            .collect();
        let mock = Mock::given(StubMatcher(stub.matcher.clone()))
            .respond_with(move |request: &Request| {
                log.record(request);
                let mut answer = template.clone();
                for (name, value) in vendor.common_headers() {
                    if own.contains(&name.to_ascii_lowercase()) {
                        continue;
                    }
                    if let Ok(value) = HeaderValue::from_str(&value) {
                        answer = answer.insert_header(name, value);
                    }
                }
                answer
            })
            .with_priority(STUB_PRIORITY)
            .named(format!("stub {}", stub.label()));
        let mock = match stub.times {
            Some(times) => mock.up_to_n_times(times),
            None => mock,
        };
        mock.mount(&self.server).await;
        Ok(())
    }

    /// Every request received so far, in order (admin routes excluded).
    ///
    /// ```no_run
    /// # async fn example(server: mock_vendors::mock_vendor::MockVendor) {
    /// let creates = server
    ///     .journal()
    ///     .await
    ///     .into_iter()
    ///     .filter(|entry| entry.method == "POST" && entry.path == "/api/v1/users")
    ///     .count();
    /// # }
    /// ```
    pub async fn journal(&self) -> Vec<JournalEntry> {
        self.journal.since(0)
    }

    /// How many requests the journal holds: a mark for [`MockVendor::journal_since`].
    pub fn journal_len(&self) -> usize {
        self.journal.len()
    }

    /// The requests received since the journal held `mark` entries, without copying the rest.
    ///
    /// ```no_run
    /// # async fn demo(server: &mock_vendors::MockVendor) {
    /// let mark = server.journal_len();
    /// // ... the integration sends requests ...
    /// let new = server.journal_since(mark);
    /// # }
    /// ```
    pub fn journal_since(&self, mark: usize) -> Vec<JournalEntry> {
        self.journal.since(mark)
    }

    /// Mounts the admin routes (`GET /__admin/state`, `POST /__admin/reset`,
    /// `GET /__admin/journal`, `POST /__admin/seed`) above everything else.
    /// Mounting twice is harmless.
    ///
    /// ```no_run
    /// # async fn example(server: mock_vendors::mock_vendor::MockVendor) {
    /// server.mount_admin().await;
    /// let state_url = format!("{}/__admin/state", server.uri());
    /// # }
    /// ```
    pub async fn mount_admin(&self) {
        if self.admin_mounted.swap(true, Ordering::SeqCst) {
            return;
        }
        let (vendor, journal) = (Arc::clone(&self.vendor), self.journal.clone());
        Mock::given(AdminPath)
            .respond_with(move |request: &Request| admin::respond(&vendor, &journal, request))
            .with_priority(ADMIN_PRIORITY)
            .named("admin routes")
            .mount(&self.server)
            .await;
    }

    /// The admin routes as `(method, path)` pairs, for help texts.
    ///
    /// ```
    /// use mock_vendors::mock_vendor::MockVendor;
    ///
    /// assert!(MockVendor::admin_routes().contains(&("GET", "/__admin/state")));
    /// ```
    pub fn admin_routes() -> &'static [(&'static str, &'static str)] {
        &admin::ADMIN_ROUTES
    }
}

impl fmt::Debug for MockVendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockVendor")
            .field("kind", &self.vendor.kind())
            .field("uri", &self.uri())
            .finish_non_exhaustive()
    }
}

/// A [`StubMatch`] as a wiremock matcher.
struct StubMatcher(StubMatch);

impl Match for StubMatcher {
    fn matches(&self, request: &Request) -> bool {
        self.0.matches(request)
    }
}

/// A [`FaultMatch`] as a wiremock matcher.
struct FaultMatcher(FaultMatch);

impl Match for FaultMatcher {
    fn matches(&self, request: &Request) -> bool {
        self.0.matches(request.method.as_str(), request.url.path())
    }
}
