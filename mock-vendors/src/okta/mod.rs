//! An Okta-like Users API under `/api/v1`, stateful and deterministic.
//!
//! What it serves (with the real API's statuses, error codes and bodies):
//!
//! - `POST /users?activate=&provider=&nextLogin=`: create (200); STAGED,
//!   PROVISIONED or ACTIVE depending on `activate` and whether the user can
//!   sign in (a password or `provider=true`); PASSWORD_EXPIRED for a user
//!   created with a password, `activate=true` and `nextLogin=changePassword`.
//! - `GET /users/{id | login | shortname | me}`; `POST /users/{id}` merges
//!   the profile, `PUT /users/{id}` replaces it; `DELETE /users/{id}`
//!   deactivates, then deletes.
//! - `GET /users` with `q`, `filter`, `search` (+ `sortBy`, `sortOrder`),
//!   `limit` and `after`, paged with `Link` headers (`q` answers one page,
//!   without a `next` link, as Okta does). `filter` takes only
//!   what Okta documents for it (`eq` on a few attributes, ranges on
//!   `lastUpdated`); `search` takes most attributes, `sw`, `co`, `pr`,
//!   ranges and `not` (see the `filter` module). Listed users carry only
//!   `_links.self`; a single user (get, create, update) its lifecycle links.
//! - `POST /users/{id}/lifecycle/{activate | reactivate | deactivate |
//!   suspend | unsuspend | unlock | reset_password | expire_password |
//!   expire_password_with_temp_password | reset_factors}`;
//!   `expire_password?tempPassword=true` is the older spelling of the
//!   temporary-password variant, which answers `{"tempPassword": …}`.
//! - `GET /meta/schemas/user/default`.
//!
//! Every answer needs `Authorization: SSWS <token>` (`SSWS<token>`, as the
//! official SDK sends it, works too) and carries
//! `X-Rate-Limit-Limit`, `X-Rate-Limit-Remaining` and `X-Rate-Limit-Reset`,
//! counted per minute of the virtual [`Clock`], and a fresh
//! `X-Okta-Request-Id` (errors, faults and stubs laid over the vendor
//! included). Ids come from fixed-seed generators, so the same scenario
//! always produces the same ids.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use mock_vendors::Clock;
//! use mock_vendors::MockVendor;
//! use mock_vendors::okta::{Okta, DEFAULT_TOKEN};
//!
//! let okta = MockVendor::start(Arc::new(Okta::new(Clock::default(), DEFAULT_TOKEN))).await;
//! let me: serde_json::Value = reqwest::Client::new()
//!     .get(format!("{}/api/v1/users/me", okta.uri()))
//!     .header("Authorization", format!("SSWS {DEFAULT_TOKEN}"))
//!     .send()
//!     .await?
//!     .json()
//!     .await?;
//! assert_eq!(me["profile"]["login"], "admin@harness.example");
//! # Ok(())
//! # }
//! ```

mod act;
mod errors;
mod filter;
mod routes;
mod schema;
mod seed;
mod stamp;
mod store;
mod user;

use serde_json::{Value, json};
use wiremock::Request;

use self::errors::OktaError;
use self::stamp::{REQUEST_ID_LEN, Stamp};
use self::store::Store;
use crate::clock::Clock;
use crate::faults::FaultResponse;
use crate::kit::call::Call;
use crate::kit::errors::VendorErrors;
use crate::kit::rate::{MINUTE_MILLIS, RateWindow};
use crate::kit::reply::Reply;
use crate::kit::state::{Seeded, VendorState};
use crate::kit::vendor::{Account, ActError, SeedError, Vendor, VendorKind};
use crate::prng::Prng;
use crate::rejection::Rejection;
use crate::response::Response;

/// The API token a vendor built by [`create`](crate::create) accepts when
/// none is given.
///
/// ```
/// use mock_vendors::okta::DEFAULT_TOKEN;
///
/// let authorization = format!("SSWS {DEFAULT_TOKEN}");
/// # assert_eq!(authorization, "SSWS harness-okta-token");
/// ```
pub const DEFAULT_TOKEN: &str = "harness-okta-token";

/// Requests per virtual minute reported in `X-Rate-Limit-Limit`.
///
/// ```
/// use mock_vendors::okta::DEFAULT_RATE_LIMIT;
///
/// assert_eq!(DEFAULT_RATE_LIMIT, 600);
/// ```
pub const DEFAULT_RATE_LIMIT: u32 = 600;

/// Seed of the stream behind `errorId`s and activation tokens.
const TOKEN_SEED: u64 = 0x006F_6165; // "oae"

/// Seed of the stream behind `X-Okta-Request-Id`s (kept across seeds and
/// resets, so ids stay fresh for the life of the vendor).
const REQUEST_ID_SEED: u64 = 0x0072_6571; // "req"

/// The Okta-like vendor. Cheap to build; share it as `Arc<dyn Vendor>`.
///
/// ```
/// use mock_vendors::Clock;
/// use mock_vendors::okta::Okta;
/// use mock_vendors::Vendor;
///
/// let okta = Okta::new(Clock::default(), "secret").with_rate_limit(50);
/// assert_eq!(okta.dump()["users"][0]["profile"]["login"], "admin@harness.example");
/// ```
pub struct Okta {
    token: String,
    state: Seeded<State>,
}

/// What stays across seeds and resets.
struct Config {
    rate_limit: u32,
}

/// Everything a reset puts back.
struct State {
    store: Store,
    rate: RateWindow,
    tokens: Prng,
    request_ids: Prng,
}

impl Okta {
    /// An org holding only the admin user (the owner of `token`), stamping
    /// records from `clock`.
    ///
    /// ```
    /// use mock_vendors::Clock;
    /// use mock_vendors::okta::{Okta, DEFAULT_TOKEN};
    ///
    /// let okta = Okta::new(Clock::default(), DEFAULT_TOKEN);
    /// assert_eq!(okta.token(), DEFAULT_TOKEN);
    /// ```
    pub fn new(clock: Clock, token: impl Into<String>) -> Self {
        let config = Config {
            rate_limit: DEFAULT_RATE_LIMIT,
        };
        Self {
            token: token.into(),
            state: Seeded::new(clock, config),
        }
    }

    /// Reports `per_minute` as the rate limit (default
    /// [`DEFAULT_RATE_LIMIT`]). The mock never refuses on its own; inject a
    /// `rate-limit` fault for that.
    ///
    /// ```
    /// use mock_vendors::Clock;
    /// use mock_vendors::okta::Okta;
    ///
    /// let okta = Okta::new(Clock::default(), "t").with_rate_limit(100);
    /// // Answers now carry `X-Rate-Limit-Limit: 100`.
    /// # drop(okta);
    /// ```
    pub fn with_rate_limit(mut self, per_minute: u32) -> Self {
        self.state.config_mut().rate_limit = per_minute;
        self.state.lock().rate = RateWindow::new(per_minute, MINUTE_MILLIS);
        self
    }

    /// The API token requests must present as `SSWS <token>`.
    ///
    /// ```
    /// use mock_vendors::Clock;
    /// use mock_vendors::okta::Okta;
    ///
    /// assert_eq!(Okta::new(Clock::default(), "t").token(), "t");
    /// ```
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Spends one unit of the rate budget and draws a request id: the
    /// headers of one answer.
    fn stamp(&self) -> Stamp {
        let now = self.state.now();
        let mut state = self.state.lock();
        Stamp {
            rate: state.rate.spend(now),
            request_id: state.request_ids.alphanumeric(REQUEST_ID_LEN),
        }
    }
}

impl VendorState for State {
    type Config = Config;

    fn build(seed: &Value, config: &Config, now: i64) -> Result<State, SeedError> {
        Ok(State {
            store: seed::build(seed, now)?,
            ..State::empty(config)
        })
    }

    fn empty(config: &Config) -> State {
        State {
            store: Store::new(),
            rate: RateWindow::new(config.rate_limit, MINUTE_MILLIS),
            tokens: Prng::new(TOKEN_SEED),
            request_ids: Prng::new(REQUEST_ID_SEED),
        }
    }

    /// Request ids stay fresh for the life of the vendor.
    fn carry_over(&mut self, replaced: &State) {
        self.request_ids = replaced.request_ids.clone();
    }
}

impl VendorErrors for Okta {
    type Error = OktaError;

    /// 429 `E0000047`, 5xx `E0000009`, ...
    fn status_error(&self, status: u16) -> OktaError {
        OktaError::for_status(status)
    }

    /// 400 E0000003 ("The request body was not well-formed.") when the body
    /// could not be read (malformed chunks, a body shorter than its
    /// `Content-Length`, ...); the rejection's status with E0000002 for the
    /// rest (413, 431, ...).
    fn rejection_error(&self, rejection: &Rejection) -> OktaError {
        OktaError::rejected(rejection)
    }

    /// The error body with a fresh `errorId`, and `Allow` for a 405.
    fn error_reply(&self, error: &OktaError) -> Reply {
        // `oae` + 22 characters, like Okta's `errorId`.
        let error_id = format!("oae{}", self.state.lock().tokens.alphanumeric(22));
        let reply = Reply::json(error.status, error.body(&error_id));
        match error.allow {
            Some(allow) => reply.header("Allow", allow.to_owned()),
            None => reply,
        }
    }

    fn success_body(&self) -> Value {
        json!({})
    }

    /// The rate-limit headers and a request id on every answer; a 429 says
    /// the budget is spent.
    fn finish(&self, reply: Reply) -> Response {
        let stamp = match reply.status() {
            429 => self.stamp().exhausted(),
            _ => self.stamp(),
        };
        stamp.apply(reply.into_response())
    }
}

impl Vendor for Okta {
    fn kind(&self) -> VendorKind {
        VendorKind::Okta
    }

    fn handle(&self, request: &Request) -> Response {
        let call = Call::new(request, self.state.now());
        let outcome = {
            let mut state = self.state.lock();
            let State { store, tokens, .. } = &mut *state;
            routes::dispatch(store, tokens, &self.token, &call)
        };
        self.answer(outcome)
    }

    /// Okta's error for the status (429 `E0000047` with the budget spent,
    /// 5xx `E0000009`, ...); 2xx/3xx statuses with `{}`. Asked directly for
    /// the transport faults, it answers the closest HTTP equivalent: 504
    /// `E0000009` after the delay, 502 `E0000009` for a drop.
    fn fault_response(&self, fault: &FaultResponse) -> Response {
        self.fault_answer(fault)
    }

    /// Okta's error for the rejection (400 E0000003 for an unreadable
    /// body, E0000002 with the rejection's status otherwise), with the
    /// usual rate-limit headers and request id.
    fn reject(&self, rejection: &Rejection) -> Response {
        self.rejection_answer(rejection)
    }

    /// `X-Rate-Limit-*` and `X-Okta-Request-Id`; like any answer, a
    /// stubbed one spends a unit of the rate budget.
    fn common_headers(&self) -> Vec<(&'static str, String)> {
        self.stamp().headers()
    }

    fn seed(&self, seed: &Value) -> Result<(), SeedError> {
        self.state.seed(seed)
    }

    fn reset(&self) {
        self.state.reset();
    }

    /// `{"users": [...]}`: every user, DEPROVISIONED included, in creation
    /// order, without `_links` (they depend on the address used).
    fn dump(&self) -> Value {
        let state = self.state.lock();
        let users: Vec<Value> = state
            .store
            .users()
            .iter()
            .map(|user| user.to_json(None))
            .collect();
        json!({ "users": users })
    }

    /// False for DEPROVISIONED and SUSPENDED users, true otherwise; looks
    /// the user up like `GET /users/{id}` does.
    fn account_active(&self, id: &str) -> Option<bool> {
        let state = self.state.lock();
        Some(state.store.get(id).ok()?.status.is_active())
    }

    /// Every user, in creation order; `profile.email` is the email.
    fn accounts(&self) -> Option<Vec<Account>> {
        let state = self.state.lock();
        let accounts = state.store.users().iter().map(|user| {
            let email = user.profile.get("email").and_then(Value::as_str);
            Account::new(&user.id, email.map(str::to_owned), user.status.is_active())
        });
        Some(accounts.collect())
    }

    /// `{"deactivate": login}`, `{"activate": login}` and
    /// `{"update": {"login", "profile"}}` (a profile merge), with the
    /// API's status rules; answers with the user afterwards.
    ///
    /// ```
    /// use mock_vendors::{Clock, Vendor};
    /// use mock_vendors::okta::Okta;
    /// use serde_json::json;
    ///
    /// let okta = Okta::new(Clock::default(), "t");
    /// let user = okta.act(&json!({"deactivate": "admin@harness.example"}))?;
    /// assert_eq!(user["status"], "DEPROVISIONED");
    /// assert_eq!(okta.account_active("admin@harness.example"), Some(false));
    /// # Ok::<(), mock_vendors::ActError>(())
    /// ```
    fn act(&self, action: &Value) -> Result<Value, ActError> {
        let now = self.state.now();
        act::act(&mut self.state.lock().store, action, now)
    }
}

impl std::fmt::Debug for Okta {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token stays out of debug output.
        f.debug_struct("Okta")
            .field("clock", self.state.clock())
            .field("users", &self.state.lock().store.users().len())
            .finish_non_exhaustive()
    }
}
