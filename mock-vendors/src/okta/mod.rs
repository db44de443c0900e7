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
//! use mock_vendors::clock::Clock;
//! use mock_vendors::mock_vendor::MockVendor;
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
mod rate_limit;
mod routes;
mod schema;
mod seed;
mod stamp;
mod store;
mod user;

use std::sync::{Mutex, MutexGuard, PoisonError};

use serde_json::{Value, json};
use wiremock::Request;

use crate::rejection::Rejection;
use crate::response::Response;

use self::errors::OktaError;
use self::rate_limit::RateWindow;
use self::routes::{Call, Reply};
use self::stamp::{REQUEST_ID_LEN, Stamp};
use self::store::Store;
use self::user::Status;
use crate::clock::Clock;
use crate::faults::FaultResponse;
use crate::prng::Prng;
use crate::vendor::{ActError, SeedError, Vendor, VendorKind};

/// The API token a vendor built by [`crate::vendor::create`] accepts when
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
/// use mock_vendors::clock::Clock;
/// use mock_vendors::okta::Okta;
/// use mock_vendors::vendor::Vendor;
///
/// let okta = Okta::new(Clock::default(), "secret").with_rate_limit(50);
/// assert_eq!(okta.dump()["users"][0]["profile"]["login"], "admin@harness.example");
/// ```
pub struct Okta {
    clock: Clock,
    token: String,
    rate_limit: u32,
    state: Mutex<State>,
}

/// Everything a reset puts back.
struct State {
    store: Store,
    /// The last accepted seed, for `reset`.
    seed: Value,
    rate: RateWindow,
    tokens: Prng,
    request_ids: Prng,
}

impl Okta {
    /// An org holding only the admin user (the owner of `token`), stamping
    /// records from `clock`.
    ///
    /// ```
    /// use mock_vendors::clock::Clock;
    /// use mock_vendors::okta::{Okta, DEFAULT_TOKEN};
    ///
    /// let okta = Okta::new(Clock::default(), DEFAULT_TOKEN);
    /// assert_eq!(okta.token(), DEFAULT_TOKEN);
    /// ```
    pub fn new(clock: Clock, token: impl Into<String>) -> Self {
        let rate_limit = DEFAULT_RATE_LIMIT;
        let seed = json!({});
        let state = State::from_seed(&seed, clock.now_millis(), rate_limit)
            .unwrap_or_else(|_| State::empty(seed, rate_limit));
        Self {
            clock,
            token: token.into(),
            rate_limit,
            state: Mutex::new(state),
        }
    }

    /// Reports `per_minute` as the rate limit (default
    /// [`DEFAULT_RATE_LIMIT`]). The mock never refuses on its own; inject a
    /// `rate-limit` fault for that.
    ///
    /// ```
    /// use mock_vendors::clock::Clock;
    /// use mock_vendors::okta::Okta;
    ///
    /// let okta = Okta::new(Clock::default(), "t").with_rate_limit(100);
    /// // Answers now carry `X-Rate-Limit-Limit: 100`.
    /// # drop(okta);
    /// ```
    pub fn with_rate_limit(mut self, per_minute: u32) -> Self {
        self.rate_limit = per_minute;
        self.lock().rate = RateWindow::new(per_minute);
        self
    }

    /// The API token requests must present as `SSWS <token>`.
    ///
    /// ```
    /// use mock_vendors::clock::Clock;
    /// use mock_vendors::okta::Okta;
    ///
    /// assert_eq!(Okta::new(Clock::default(), "t").token(), "t");
    /// ```
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The state, even if a panic elsewhere poisoned the lock: every
    /// mutation is completed before it becomes visible, so the data is
    /// consistent.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl State {
    fn from_seed(seed: &Value, now: i64, rate_limit: u32) -> Result<State, SeedError> {
        Ok(State {
            store: seed::build(seed, now)?,
            seed: seed.clone(),
            rate: RateWindow::new(rate_limit),
            tokens: Prng::new(TOKEN_SEED),
            request_ids: Prng::new(REQUEST_ID_SEED),
        })
    }

    /// Only reachable if a seed that was accepted once is refused later.
    fn empty(seed: Value, rate_limit: u32) -> State {
        State {
            store: Store::new(),
            seed,
            rate: RateWindow::new(rate_limit),
            tokens: Prng::new(TOKEN_SEED),
            request_ids: Prng::new(REQUEST_ID_SEED),
        }
    }

    /// Spends one unit of the rate budget at `now` and draws a request id:
    /// the headers of one answer.
    fn stamp(&mut self, now: i64) -> Stamp {
        Stamp {
            rate: self.rate.tick(now),
            request_id: self.request_ids.alphanumeric(REQUEST_ID_LEN),
        }
    }

    /// Takes over the request-id stream of the state it replaces.
    fn replacing(mut self, old: &State) -> State {
        self.request_ids = old.request_ids.clone();
        self
    }

    /// `oae` + 22 characters, like Okta's `errorId`.
    fn error_id(&mut self) -> String {
        format!("oae{}", self.tokens.alphanumeric(22))
    }
}

impl Vendor for Okta {
    fn kind(&self) -> VendorKind {
        VendorKind::Okta
    }

    fn handle(&self, request: &Request) -> Response {
        let call = Call::new(request, self.clock.now_millis());
        let mut state = self.lock();
        let stamp = state.stamp(call.now);
        let State { store, tokens, .. } = &mut *state;
        let reply = routes::dispatch(store, tokens, &self.token, &call)
            .unwrap_or_else(|error| Reply::error(&error, &state.error_id()));
        reply.into_template(&stamp)
    }

    /// Rate limits and 4xx/5xx statuses answer with Okta's error for them
    /// (429 `E0000047`, 5xx `E0000009`, ...); 2xx/3xx statuses with `{}`.
    /// Asked directly for the transport faults, it answers the closest HTTP
    /// equivalent: 504 `E0000009` after the delay, 502 `E0000009` for a drop.
    fn fault_response(&self, fault: &FaultResponse) -> Response {
        let mut state = self.lock();
        let stamp = state.stamp(self.clock.now_millis());
        let error = match fault {
            FaultResponse::RateLimit | FaultResponse::Status(429) => {
                let reply = Reply::error(&OktaError::rate_limited(), &state.error_id());
                return reply.into_template(&stamp.exhausted());
            }
            FaultResponse::Status(status @ (204 | 304)) => {
                return Reply::empty(*status).into_template(&stamp);
            }
            FaultResponse::Status(status @ 200..=399) => {
                return Reply::json(*status, json!({})).into_template(&stamp);
            }
            FaultResponse::Status(status @ 400..=599) => OktaError::for_status(*status),
            FaultResponse::Status(_) => OktaError::internal(),
            FaultResponse::Delay(delay) => {
                let reply = Reply::error(&OktaError::for_status(504), &state.error_id());
                return reply.into_template(&stamp).set_delay(delay.duration());
            }
            FaultResponse::Drop => OktaError::for_status(502),
        };
        Reply::error(&error, &state.error_id()).into_template(&stamp)
    }

    /// 400 E0000003 ("The request body was not well-formed.") when the body
    /// could not be read (malformed chunks, a body shorter than its
    /// `Content-Length`, ...); the rejection's status with E0000002 for the
    /// rest (413, 431, ...); with the usual rate-limit headers and request id.
    fn reject(&self, rejection: &Rejection) -> Response {
        let mut state = self.lock();
        let stamp = state.stamp(self.clock.now_millis());
        Reply::error(&OktaError::rejected(rejection), &state.error_id()).into_template(&stamp)
    }

    /// `X-Rate-Limit-*` and `X-Okta-Request-Id`; like any answer, a
    /// stubbed one spends a unit of the rate budget.
    fn common_headers(&self) -> Vec<(&'static str, String)> {
        self.lock().stamp(self.clock.now_millis()).headers()
    }

    fn seed(&self, seed: &Value) -> Result<(), SeedError> {
        let fresh = State::from_seed(seed, self.clock.now_millis(), self.rate_limit)?;
        let mut state = self.lock();
        *state = fresh.replacing(&state);
        Ok(())
    }

    fn reset(&self) {
        let mut state = self.lock();
        let seed = std::mem::take(&mut state.seed);
        let fresh = State::from_seed(&seed, self.clock.now_millis(), self.rate_limit)
            .unwrap_or_else(|_| State::empty(seed, self.rate_limit));
        *state = fresh.replacing(&state);
    }

    /// `{"users": [...]}`: every user, DEPROVISIONED included, in creation
    /// order, without `_links` (they depend on the address used).
    fn dump(&self) -> Value {
        let state = self.lock();
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
        let state = self.lock();
        let user = state.store.get(id).ok()?;
        Some(!matches!(
            user.status,
            Status::Deprovisioned | Status::Suspended
        ))
    }

    /// `{"deactivate": login}`, `{"activate": login}` and
    /// `{"update": {"login", "profile"}}` (a profile merge), with the
    /// API's status rules; answers with the user afterwards.
    ///
    /// ```
    /// use mock_vendors::{Clock, Okta, Vendor};
    /// use serde_json::json;
    ///
    /// let okta = Okta::new(Clock::default(), "t");
    /// let user = okta.act(&json!({"deactivate": "admin@harness.example"}))?;
    /// assert_eq!(user["status"], "DEPROVISIONED");
    /// assert_eq!(okta.account_active("admin@harness.example"), Some(false));
    /// # Ok::<(), mock_vendors::ActError>(())
    /// ```
    fn act(&self, action: &Value) -> Result<Value, ActError> {
        act::act(&mut self.lock().store, action, self.clock.now_millis())
    }
}

impl std::fmt::Debug for Okta {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token stays out of debug output.
        f.debug_struct("Okta")
            .field("clock", &self.clock)
            .field("users", &self.lock().store.users().len())
            .finish_non_exhaustive()
    }
}
