//! The vendor kit: what every mock vendor is written against, and nothing
//! that knows any one vendor.
//!
//! - [`vendor`]: the [`Vendor`](vendor::Vendor) trait the server calls, the
//!   [`VendorKind`](vendor::VendorKind)s, and the errors of seeds and
//!   actions.
//! - [`change`]: [`RemoteChange`](change::RemoteChange), a person's change
//!   named by what it does, which each vendor spells as its own action.
//! - [`call`]: [`Call`](call::Call), one request as routes read it
//!   (virtual now, base URL, decoded query and path segments).
//! - [`reply`]: [`Reply`](reply::Reply), the answer a route builds.
//! - [`state`]: [`Seeded`](state::Seeded), the vendor's state behind one
//!   lock with its seed, reset and configuration.
//! - [`errors`]: [`VendorErrors`](errors::VendorErrors), how the vendor's
//!   errors look; the ladder from faults and unreadable requests to them
//!   is written there once.
//! - [`rate`]: [`RateWindow`](rate::RateWindow), a rate-limit budget per
//!   virtual minute or hour.
//! - [`multipart`]: the `multipart/form-data` bodies of file uploads.
//! - [`request`]: base URLs, `Content-Type`s and percent-decoding.
//!
//! # Writing a vendor
//!
//! A new vendor is a module of its own beside `okta` and `servicenow`,
//! importing the kit and never the server:
//!
//! 1. A `State` (its store) implementing [`VendorState`](state::VendorState):
//!    `build` it from the vendor's seed JSON, refusing a bad one with a
//!    [`SeedError`](vendor::SeedError) that names the path.
//! 2. An error enum and a [`VendorErrors`](errors::VendorErrors) impl on
//!    the vendor: the error for an HTTP status, for a rejected request,
//!    its body ([`error_reply`](errors::VendorErrors::error_reply)), and
//!    `finish` if every answer carries headers.
//! 3. Routes: `fn dispatch(state, &Call) -> Result<Reply, Error>`, matching
//!    on [`Call::segments`](call::Call::segments) and the method, answering
//!    every request (unknown paths and methods too) the way the real API
//!    does, never panicking.
//! 4. The [`Vendor`](vendor::Vendor) impl: `handle` runs `dispatch` under
//!    [`Seeded::lock`](state::Seeded::lock) and hands the outcome, the lock
//!    released, to [`answer`](errors::VendorErrors::answer) (its hooks may
//!    lock the state again, to draw an error id);
//!    `fault_response` is `fault_answer`, `reject` is `rejection_answer`,
//!    `seed`/`reset` go to [`Seeded`](state::Seeded), `dump` serialises the
//!    state.
//! 5. A [`VendorKind`](vendor::VendorKind) variant and an arm in the
//!    registry's `create`.
//!
//! The server records every request in its journal before any layer
//! answers it, so routes never record anything themselves.

pub(crate) mod call;
pub(crate) mod change;
pub(crate) mod errors;
pub(crate) mod multipart;
pub(crate) mod rate;
pub(crate) mod reply;
pub(crate) mod request;
pub(crate) mod state;
pub(crate) mod vendor;
