//! A running vendor: a small HTTP/1.1 server of this crate's own that reads and bounds every request, then answers it from the
//! admin routes, the injected faults, the stubs or the vendor's default
//! routes, in that order.
//!
//! | order | answers | among equals |
//! |---|---|---|
//! | 1 | admin routes (`/__admin/*`, once [mounted](MockVendor::mount_admin)) | - |
//! | 2 | [faults](MockVendor::inject) | first injected first |
//! | 3 | [stubs](MockVendor::stub) | first mounted first |
//! | 4 | the vendor's default routes ([`Vendor::handle`]) | - |
//!
//! A fault or stub whose `times` are spent stops matching (and is
//! forgotten), so the next one in that order answers.
//!
//! # Broken requests
//!
//! The server never hands the vendor a request it could not read whole. A
//! request whose head or body is broken or over a [`Limits`] bound gets the
//! vendor's own error answer for that [`Rejection`] ([`Vendor::reject`]:
//! 400 for malformed or truncated framing, 413 for a body over the limit,
//! 431 for headers over the limit, ...), then the connection is closed;
//! the server goes on serving every other connection. Bodies that arrive
//! whole but are not what a route expects (not JSON, not UTF-8, a wrong
//! `Content-Type`) are the routes' business: each vendor answers them in
//! its own format.
//!
//! Only HTTP/1.0 and 1.1 are served (no HTTP/2, no upgrades); answers
//! always carry `Content-Length`, keep-alive and pipelining work as usual.
//!
//! # Memory
//!
//! Nothing grows with the number of requests served: the
//! [journal](MockVendor::journal) is a ring bounded in entries and bytes
//! (bodies cut at a bound, with a marker), spent faults and stubs are
//! dropped, and each connection holds at most one request at a time.

mod admin;
mod journal;
mod server;
mod wire;

use std::fmt;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use wiremock::Request;

pub use self::journal::{JournalEntry, JournalWindow, truncation_marker};

use self::journal::Journal;
use crate::faults::{Fault, FaultMatch, FaultResponse};
use crate::kit::vendor::Vendor;
use crate::rejection::Rejection;
use crate::response::Response;
use crate::stubs::{Stub, StubError, StubMatch};

/// The bounds a [`MockVendor`] holds every connection, request and its
/// journal to. [`Limits::default`] suits tests and a long standalone run.
///
/// ```
/// use mock_vendors::Limits;
///
/// let limits = Limits { journal_entries: 100, ..Limits::default() };
/// assert_eq!(limits.journal_body_bytes, 64 * 1024);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The request line and headers together, in bytes; more is a 431.
    pub max_head_bytes: usize,
    /// Header lines per request; more is a 431.
    pub max_headers: usize,
    /// A request body, in bytes; more is a 413 (said before the body is
    /// read when `Content-Length` announces it).
    pub max_body_bytes: usize,
    /// How long a request that has started may take to arrive whole (per
    /// read), and an answer to be taken by the client; past it, a 408
    /// (the connection is dropped if the answer cannot be written).
    pub read_timeout: Duration,
    /// How long a kept-alive connection may sit idle between requests
    /// before the server closes it.
    pub idle_timeout: Duration,
    /// Open connections at once; one more is answered 503 and closed.
    pub max_connections: usize,
    /// Journal entries held (the oldest leave first).
    pub journal_entries: usize,
    /// A journaled body is cut to this many bytes, with a
    /// [`truncation_marker`].
    pub journal_body_bytes: usize,
    /// Roughly the bytes the whole journal may hold (the oldest entries
    /// leave first).
    pub journal_bytes: usize,
}

impl Default for Limits {
    /// 64 KiB of head in at most 100 headers, 32 MiB of body, 30 s to
    /// send a request, 120 s idle, 1024 connections, and a journal of
    /// 10 000 entries, bodies cut at 64 KiB, 256 MiB in all.
    fn default() -> Self {
        Self {
            max_head_bytes: 64 * 1024,
            max_headers: 100,
            max_body_bytes: 32 * 1024 * 1024,
            read_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(120),
            max_connections: 1024,
            journal_entries: 10_000,
            journal_body_bytes: 64 * 1024,
            journal_bytes: 256 * 1024 * 1024,
        }
    }
}

/// A vendor served over HTTP on `127.0.0.1`.
///
/// Dropping it stops the server and closes its connections.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use mock_vendors::Clock;
/// use mock_vendors::{Fault, FaultResponse};
/// use mock_vendors::MockVendor;
/// use mock_vendors::{create, VendorKind};
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
    address: SocketAddr,
    app: Arc<App>,
    _server: server::Running,
}

/// What the server answers from: shared by every connection.
pub(crate) struct App {
    vendor: Arc<dyn Vendor>,
    journal: Journal,
    limits: Limits,
    admin_mounted: AtomicBool,
    layers: Mutex<Layers>,
}

/// The faults and stubs laid over the default routes, in answer order.
#[derive(Default)]
struct Layers {
    faults: Vec<MountedFault>,
    stubs: Vec<MountedStub>,
}

struct MountedFault {
    matcher: FaultMatch,
    respond: FaultResponse,
    /// Matching requests still to pass before it applies.
    passing: u64,
    remaining: u64,
}

struct MountedStub {
    matcher: StubMatch,
    answer: Response,
    /// The lowercase names of the headers the stub sets itself.
    own_headers: Vec<String>,
    /// `None`: for ever.
    remaining: Option<u64>,
}

/// What a request gets.
pub(crate) enum Outcome {
    /// This answer (after its delay).
    Answer(Response),
    /// No answer: the connection is dropped.
    Drop,
}

/// What the layers chose, taken out of the lock before the vendor runs.
enum Chosen {
    Fault(FaultResponse),
    Stub(Response, Vec<String>),
    Default,
}

impl App {
    /// Answers one complete request.
    pub(crate) fn answer(&self, request: &Request) -> Outcome {
        if self.admin_mounted.load(Ordering::SeqCst) && admin::is_admin(request) {
            return Outcome::Answer(admin::respond(&self.vendor, &self.journal, request));
        }
        let chosen = self.choose(request);
        let fault = match &chosen {
            Chosen::Fault(fault) => Some(fault.clone()),
            Chosen::Stub(..) | Chosen::Default => None,
        };
        let answer = match chosen {
            Chosen::Fault(FaultResponse::Drop) => {
                self.journal.record(request, fault.as_ref(), None);
                return Outcome::Drop;
            }
            Chosen::Fault(FaultResponse::Delay(delay)) => {
                self.vendor.handle(request).set_delay(delay.duration())
            }
            Chosen::Fault(respond) => self.vendor.fault_response(&respond),
            Chosen::Stub(mut answer, own) => {
                for (name, value) in self.vendor.common_headers() {
                    if !own.contains(&name.to_ascii_lowercase()) {
                        answer = answer.insert_header(name, value);
                    }
                }
                answer
            }
            Chosen::Default => self.vendor.handle(request),
        };
        // The one place requests are recorded, whichever layer answers: no
        // responder records anything itself.
        self.journal
            .record(request, fault.as_ref(), Some(answer.status()));
        Outcome::Answer(answer)
    }

    fn choose(&self, request: &Request) -> Chosen {
        let mut layers = self.layers.lock().unwrap_or_else(PoisonError::into_inner);
        let (method, path) = (request.method.as_str(), request.url.path());
        let mut applies = None;
        for (at, fault) in layers.faults.iter_mut().enumerate() {
            if !fault.matcher.matches(method, path) {
                continue;
            }
            if fault.passing > 0 {
                // Its `after` count: this request passes it (a later fault may still apply).
                fault.passing -= 1;
                continue;
            }
            applies = Some(at);
            break;
        }
        if let Some(at) = applies {
            let fault = &mut layers.faults[at];
            fault.remaining -= 1;
            let respond = fault.respond.clone();
            if fault.remaining == 0 {
                layers.faults.remove(at);
            }
            return Chosen::Fault(respond);
        }
        if let Some(at) = layers
            .stubs
            .iter()
            .position(|stub| stub.matcher.matches(request))
        {
            let stub = &mut layers.stubs[at];
            let chosen = Chosen::Stub(stub.answer.clone(), stub.own_headers.clone());
            if let Some(remaining) = &mut stub.remaining {
                *remaining -= 1;
                if *remaining == 0 {
                    layers.stubs.remove(at);
                }
            }
            return chosen;
        }
        Chosen::Default
    }

    /// The vendor's answer to a request the server could not read.
    pub(crate) fn reject(&self, rejection: &Rejection) -> Response {
        self.vendor.reject(rejection)
    }

    pub(crate) fn limits(&self) -> &Limits {
        &self.limits
    }
}

impl MockVendor {
    /// Serves `vendor` on `127.0.0.1`, a free port, with the default
    /// [`Limits`].
    ///
    /// # Panics
    ///
    /// If no port on `127.0.0.1` can be bound (the machine is out of
    /// ports or sockets); [`MockVendor::start_with`] returns that error
    /// instead.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), mock_vendors::CreateError> {
    /// use mock_vendors::{create, Clock, MockVendor, VendorKind};
    ///
    /// let server = MockVendor::start(create(VendorKind::Okta, Clock::default(), None)?).await;
    /// println!("Okta at {}/api/v1", server.uri());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn start(vendor: Arc<dyn Vendor>) -> MockVendor {
        match Self::start_with(vendor, None, Limits::default()).await {
            Ok(server) => server,
            Err(error) => panic!("cannot serve a mock vendor on 127.0.0.1: {error}"),
        }
    }

    /// Serves `vendor` on a listener the caller bound (a fixed port), with
    /// the default [`Limits`].
    ///
    /// # Panics
    ///
    /// If the listener cannot be handed to the async runtime (it is
    /// closed); [`MockVendor::start_with`] returns that error instead.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// use mock_vendors::{create, Clock, MockVendor, VendorKind};
    ///
    /// let listener = std::net::TcpListener::bind("127.0.0.1:8443")?;
    /// let vendor = create(VendorKind::Okta, Clock::default(), None)?;
    /// let server = MockVendor::start_on(vendor, listener).await;
    /// assert_eq!(server.uri(), "http://127.0.0.1:8443");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn start_on(vendor: Arc<dyn Vendor>, listener: TcpListener) -> MockVendor {
        match Self::start_with(vendor, Some(listener), Limits::default()).await {
            Ok(server) => server,
            Err(error) => panic!("cannot serve a mock vendor on the given listener: {error}"),
        }
    }

    /// Serves `vendor` on `listener` (or on a free port of `127.0.0.1`)
    /// within `limits`.
    ///
    /// # Errors
    ///
    /// The I/O error of binding a port or of preparing the listener.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use mock_vendors::{Limits, MockVendor};
    /// use mock_vendors::{create, Clock, VendorKind};
    ///
    /// let vendor = create(VendorKind::Okta, Clock::default(), None)?;
    /// let limits = Limits { journal_entries: 2, ..Limits::default() };
    /// let server = MockVendor::start_with(vendor, None, limits).await?;
    /// assert_eq!(server.limits().journal_entries, 2);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn start_with(
        vendor: Arc<dyn Vendor>,
        listener: Option<TcpListener>,
        limits: Limits,
    ) -> io::Result<MockVendor> {
        let listener = match listener {
            Some(listener) => listener,
            None => TcpListener::bind(("127.0.0.1", 0))?,
        };
        let address = listener.local_addr()?;
        let app = Arc::new(App {
            journal: Journal::new(
                limits.journal_entries,
                limits.journal_body_bytes,
                limits.journal_bytes,
            ),
            vendor,
            limits,
            admin_mounted: AtomicBool::new(false),
            layers: Mutex::new(Layers::default()),
        });
        let running = server::spawn(listener, Arc::clone(&app))?;
        Ok(MockVendor {
            address,
            app,
            _server: running,
        })
    }

    /// The base URL, `http://127.0.0.1:PORT`.
    ///
    /// ```no_run
    /// # async fn example(server: mock_vendors::MockVendor) {
    /// let okta_base = format!("{}/api/v1", server.uri());
    /// # }
    /// ```
    pub fn uri(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The address the server listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The bounds the server holds requests and its journal to.
    pub fn limits(&self) -> &Limits {
        &self.app.limits
    }

    /// The vendor behind the server, e.g. to [`dump`](Vendor::dump) it.
    ///
    /// ```no_run
    /// # async fn example(server: mock_vendors::MockVendor) {
    /// let state = server.vendor().dump();
    /// # }
    /// ```
    pub fn vendor(&self) -> &Arc<dyn Vendor> {
        &self.app.vendor
    }

    /// Lays `fault` over the default routes for its next
    /// [`times`](Fault::times) matching requests, once
    /// [`after`](Fault::after) of them passed (a no-op when `times` is 0).
    /// Faults answer in injection order.
    ///
    /// ```no_run
    /// # async fn example(server: mock_vendors::MockVendor) {
    /// use mock_vendors::{Fault, FaultResponse};
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
        self.app
            .layers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .faults
            .push(MountedFault {
                matcher: fault.matcher.clone(),
                respond: fault.respond.clone(),
                passing: fault.after,
                remaining: fault.times,
            });
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
    /// use mock_vendors::{Stub, StubResponse};
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
        // Built once: only cloned per request.
        let answer = stub.respond.to_template()?;
        if stub.times == Some(0) {
            return Ok(());
        }
        // The stub's own headers win over the vendor's common ones.
        let own_headers = stub
            .respond
            .headers
            .keys()
            .map(|name| name.to_ascii_lowercase())
            .collect();
        self.app
            .layers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .stubs
            .push(MountedStub {
                matcher: stub.matcher.clone(),
                answer,
                own_headers,
                remaining: stub.times,
            });
        Ok(())
    }

    /// Every request the journal still holds, oldest first (admin routes
    /// excluded): all of them unless more than the
    /// [`journal_entries`](Limits::journal_entries) bound were received, or
    /// `POST /__admin/reset` emptied it.
    ///
    /// ```no_run
    /// # async fn example(server: mock_vendors::MockVendor) {
    /// let creates = server
    ///     .journal()
    ///     .await
    ///     .into_iter()
    ///     .filter(|entry| entry.method == "POST" && entry.path == "/api/v1/users")
    ///     .count();
    /// # }
    /// ```
    pub async fn journal(&self) -> Vec<JournalEntry> {
        self.app.journal.window(0).entries
    }

    /// A mark for [`MockVendor::journal_since`]: how many requests were
    /// journaled since the server started (held or not). It never goes
    /// down, not even when the ring drops entries or a reset empties it.
    pub fn journal_len(&self) -> usize {
        usize::try_from(self.app.journal.total()).unwrap_or(usize::MAX)
    }

    /// The requests journaled since `mark` (a [`journal_len`](Self::journal_len))
    /// that the journal still holds, oldest first.
    ///
    /// When more requests than the ring holds arrived since the mark (or a
    /// reset emptied it), the oldest of them are missing: the answer is the
    /// newest ones, never a panic, and [`journal_window`](Self::journal_window)
    /// says how many are missing. A mark from the future gives nothing.
    ///
    /// ```no_run
    /// # async fn demo(server: &mock_vendors::MockVendor) {
    /// let mark = server.journal_len();
    /// // ... the integration sends requests ...
    /// let new = server.journal_since(mark);
    /// # }
    /// ```
    pub fn journal_since(&self, mark: usize) -> Vec<JournalEntry> {
        self.journal_window(mark).entries
    }

    /// Like [`journal_since`](Self::journal_since), with the count of the
    /// entries since `mark` the journal no longer holds.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use mock_vendors::{Limits, MockVendor};
    /// use mock_vendors::{create, Clock, VendorKind};
    ///
    /// let vendor = create(VendorKind::Okta, Clock::default(), None)?;
    /// let limits = Limits { journal_entries: 2, ..Limits::default() };
    /// let server = MockVendor::start_with(vendor, None, limits).await?;
    /// let mark = server.journal_len();
    /// let client = reqwest::Client::new();
    /// for _ in 0..3 {
    ///     client.get(format!("{}/api/v1/users", server.uri())).send().await?;
    /// }
    /// let window = server.journal_window(mark);
    /// assert_eq!((window.dropped, window.entries.len()), (1, 2));
    /// # Ok(())
    /// # }
    /// ```
    pub fn journal_window(&self, mark: usize) -> JournalWindow {
        self.app.journal.window(mark as u64)
    }

    /// How many entries the journal holds right now (at most
    /// [`journal_entries`](Limits::journal_entries)).
    pub fn journal_held(&self) -> usize {
        self.app.journal.held()
    }

    /// Mounts the admin routes (`GET /__admin/state`, `POST /__admin/reset`,
    /// `GET /__admin/journal`, `POST /__admin/seed`) above everything else.
    /// Mounting twice is harmless.
    ///
    /// ```no_run
    /// # async fn example(server: mock_vendors::MockVendor) {
    /// server.mount_admin().await;
    /// let state_url = format!("{}/__admin/state", server.uri());
    /// # }
    /// ```
    pub async fn mount_admin(&self) {
        self.app.admin_mounted.store(true, Ordering::SeqCst);
    }

    /// The admin routes as `(method, path)` pairs, for help texts.
    pub(crate) fn admin_routes() -> &'static [(&'static str, &'static str)] {
        &admin::ADMIN_ROUTES
    }
}

impl fmt::Debug for MockVendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockVendor")
            .field("kind", &self.app.vendor.kind())
            .field("uri", &self.uri())
            .finish_non_exhaustive()
    }
}
