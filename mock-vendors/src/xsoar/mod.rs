//! A remote XSOAR server, the other side of XSOAR-to-XSOAR mirroring:
//! stateful, deterministic, stamped by the virtual [`Clock`].
//!
//! What it serves (with the server's statuses and error bodies,
//! `{"id", "status", "title", "detail", "error"}`):
//!
//! - `POST /incidents/search` `{"filter": {"query", "size", "page",
//!   "fromDate", "sort": [{"field", "asc"}]}}` -> `{"data": [...],
//!   "total": N}`: the query language of the `query` module (a query outside
//!   it is a 400), `fromDate` bounding `created`, `size` 50 by default,
//!   `page` from 0, ties and the default order by id.
//! - `GET /incident/load/{id}`: the incident (404 for an unknown id).
//! - `POST /incident`: without an `id`, creates (id from 1 up, version 1;
//!   `createInvestigation: true` makes it active with its investigation,
//!   otherwise it is pending); with one, edits the fields sent
//!   (`CustomFields` merge by key) if `version` is the stored one (`-1`
//!   skips the check); a stale version is a 409. Answers the incident.
//! - `POST /incident/close` `{"id", "version", "closeReason",
//!   "closeNotes"}`: status 2 and `closed` now, with the same version rule.
//! - `POST /incident/reopen` `{"id", "version"}`, the mock's own (a real
//!   server reopens through its UI): status 1, `closed` cleared.
//!   A `status` edit closes (2, 3) or reopens (0, 1) the same way.
//! - `GET /incidentfields`, `GET /incidenttype`: the seeded definitions.
//! - `POST /investigation/{id}` `{"pageSize", "fromTime", "categories",
//!   "tags", "tagsAndOperator"}` -> `{"entries": [...], "total": N}`: the
//!   war room, oldest first, entries created strictly after `fromTime`;
//!   categories `notes` (entries marked as notes), `chats` (other text),
//!   `attachments` (files), none meaning all; any of the tags, or all of
//!   them with `tagsAndOperator`; `pageSize` 100 by default.
//! - `GET /entry/download/{entryId}`: a file entry's bytes.
//! - `POST /entry/formatted` `{"investigationId", "contents", "format"}`,
//!   `POST /entry/note` `{"investigationId", "data", "markdown"}` and
//!   `POST /entry/upload/{investigationId}` (multipart, part `file`) write
//!   entries as the API key's user (`tags` is taken too: a list, or
//!   comma-separated in the upload form).
//! - `GET /user`: the API key's user.
//! - XSOAR 8 only (seed `version: 8.x`): `POST /public/v1/incidents/modified`
//!   `{"fromDate"}` -> `{"data": [{"id", "version", "modified"}], "total"}`,
//!   the incidents modified after `fromDate` (an entry counts as a change);
//!   a 6.x server answers 404 for it.
//!
//! Every request needs `Authorization: <api key>` (the raw key): none is a
//! 401, a wrong one a 403 `Forbidden`. XSOAR 8 serves every path under
//! `/xsoar` (and nothing at the root) and wants the key's id in
//! `x-xdr-auth-id` (401 without it). Unknown paths are 404s, a known path
//! with another method a 405.
//!
//! Scenarios' `remote:` steps ([`Vendor::act`]) are a person's changes on
//! the remote server: `{"entry": ...}`, `{"file": ...}`, `{"edit": ...}`,
//! `{"close": ...}`, `{"reopen": ...}`, `{"create": ...}` (the README has
//! their fields and the seed's shape); entries are [`DEFAULT_ACT_USER`]'s
//! unless they name a user.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use mock_vendors::{Clock, MockVendor, Vendor};
//! use mock_vendors::xsoar::{Xsoar, DEFAULT_API_KEY};
//! use serde_json::json;
//!
//! let xsoar = Arc::new(Xsoar::new(Clock::default(), DEFAULT_API_KEY));
//! xsoar.seed(&json!({"incidents": [{"name": "Phish", "sourceBrand": "Mail"}]}))?;
//! let server = MockVendor::start(xsoar).await;
//! let found: serde_json::Value = reqwest::Client::new()
//!     .post(format!("{}/incidents/search", server.uri()))
//!     .header("Authorization", DEFAULT_API_KEY)
//!     .json(&json!({"filter": {"query": r#"sourceBrand:"Mail" and -status:closed"#}}))
//!     .send()
//!     .await?
//!     .json()
//!     .await?;
//! assert_eq!((found["total"].clone(), found["data"][0]["id"].clone()), (json!(1), json!("1")));
//! # Ok(())
//! # }
//! ```

mod act;
mod body;
mod entries;
mod errors;
mod incident;
mod investigation;
mod query;
mod routes;
mod schema;
mod seed;
mod store;

pub use self::act::DEFAULT_ACT_USER;

use serde_json::{Value, json};
use wiremock::Request;

use self::errors::XsoarError;
use self::routes::Route;
use self::schema::to_json;
use self::store::Store;
use crate::clock::Clock;
use crate::faults::FaultResponse;
use crate::kit::call::Call;
use crate::kit::change::RemoteChange;
use crate::kit::errors::VendorErrors;
use crate::kit::reply::Reply;
use crate::kit::state::{Seeded, VendorState};
use crate::kit::vendor::{ActError, RecordWrite, SeedError, TicketNote, Vendor, VendorKind};
use crate::rejection::Rejection;
use crate::response::Response;

/// The API key a vendor built by [`create`](crate::create) accepts when
/// none is given.
///
/// ```
/// use mock_vendors::xsoar::DEFAULT_API_KEY;
///
/// assert_eq!(DEFAULT_API_KEY, "harness-xsoar-key");
/// ```
pub const DEFAULT_API_KEY: &str = "harness-xsoar-key";

/// The remote XSOAR server. Cheap to build; share it as `Arc<dyn Vendor>`.
///
/// ```
/// use mock_vendors::{Clock, Vendor};
/// use mock_vendors::xsoar::Xsoar;
///
/// let xsoar = Xsoar::new(Clock::default(), "key");
/// assert_eq!(xsoar.dump()["incidents"], serde_json::json!([]));
/// assert_eq!(xsoar.dump()["types"][0]["name"], "Unclassified");
/// ```
pub struct Xsoar {
    api_key: String,
    state: Seeded<State>,
}

/// Everything a reset puts back.
struct State {
    store: Store,
}

impl Xsoar {
    /// A server with no incidents and no fields, stamping from `clock`,
    /// accepting `api_key`.
    ///
    /// ```
    /// use mock_vendors::Clock;
    /// use mock_vendors::xsoar::Xsoar;
    ///
    /// assert_eq!(Xsoar::new(Clock::default(), "key").api_key(), "key");
    /// ```
    pub fn new(clock: Clock, api_key: impl Into<String>) -> Self {
        Self {
            api_key: api_key.into(),
            state: Seeded::new(clock, ()),
        }
    }

    /// The key requests must send in `Authorization`.
    ///
    /// ```
    /// use mock_vendors::Clock;
    /// use mock_vendors::xsoar::Xsoar;
    ///
    /// assert_eq!(Xsoar::new(Clock::default(), "k").api_key(), "k");
    /// ```
    pub fn api_key(&self) -> &str {
        &self.api_key
    }
}

impl VendorState for State {
    type Config = ();

    fn build(seed: &Value, _config: &(), now: i64) -> Result<State, SeedError> {
        Ok(State {
            store: seed::build(seed, now)?,
        })
    }

    fn empty(_config: &()) -> State {
        State {
            store: Store::new(),
        }
    }
}

impl VendorErrors for Xsoar {
    type Error = XsoarError;

    fn status_error(&self, status: u16) -> XsoarError {
        XsoarError::Injected(status)
    }

    fn rejection_error(&self, rejection: &Rejection) -> XsoarError {
        XsoarError::rejected(rejection)
    }

    fn error_reply(&self, error: &XsoarError) -> Reply {
        let reply = Reply::json(error.status(), error.body());
        match error {
            XsoarError::MethodNotAllowed { allow, .. } => {
                reply.header("Allow", (*allow).to_owned())
            }
            _ => reply,
        }
    }

    fn success_body(&self) -> Value {
        json!({})
    }
}

impl Vendor for Xsoar {
    fn kind(&self) -> VendorKind {
        VendorKind::Xsoar
    }

    fn handle(&self, request: &Request) -> Response {
        let call = Call::new(request, self.state.now());
        let outcome = routes::dispatch(&mut self.state.lock().store, &self.api_key, &call);
        self.answer(outcome)
    }

    /// The server's error body for the status (429 `too_many_requests`,
    /// 5xx, ...); 2xx/3xx with `{}`; asked directly, 504 after a delay and
    /// 502 for a drop.
    fn fault_response(&self, fault: &FaultResponse) -> Response {
        self.fault_answer(fault)
    }

    /// The server's error body with the rejection's status.
    fn reject(&self, rejection: &Rejection) -> Response {
        self.rejection_answer(rejection)
    }

    fn seed(&self, seed: &Value) -> Result<(), SeedError> {
        self.state.seed(seed)
    }

    fn reset(&self) {
        self.state.reset();
    }

    /// `{"version", "incidents": [...], "investigations": {...}, "fields",
    /// "types", "users"}`: incidents by id in the API's shape, each
    /// investigation's entries (and the last filter they were read with),
    /// definitions in seed order.
    fn dump(&self) -> Value {
        let state = self.state.lock();
        let store = &state.store;
        let incidents: Vec<Value> = store
            .incidents()
            .map(|incident| incident.to_json())
            .collect();
        let investigations: serde_json::Map<String, Value> = store
            .incidents()
            .filter_map(|incident| {
                let id = &incident.investigation_id;
                store
                    .entries_of(id)
                    .map(|investigation| (id.clone(), investigation.to_json()))
            })
            .collect();
        json!({
            "version": store.version.text,
            "incidents": incidents,
            "investigations": investigations,
            "fields": to_json(&store.fields),
            "types": to_json(&store.types),
            "users": to_json(&store.users),
        })
    }

    /// See the `act` module's actions: entries and files added by a
    /// person, field edits, close, reopen, a new incident.
    fn act(&self, action: &Value) -> Result<Value, ActError> {
        let now = self.state.now();
        act::act(&mut self.state.lock().store, action, now)
    }

    /// The text entries of the incident's war room. An entry must mirror
    /// in when it matches the filter the client last read the war room
    /// with (the categories and tags it said it mirrors; every entry when
    /// it never read it) and was not written by the API key's user (the
    /// client itself).
    fn ticket_notes(&self, record_id: &str) -> Option<Vec<TicketNote>> {
        let state = self.state.lock();
        let store = &state.store;
        let investigation = store.entries_of(&store.get(record_id)?.investigation_id)?;
        let api_user = store.api_user().username;
        Some(
            investigation
                .entries
                .iter()
                .filter(|entry| entry.new.file.is_none())
                .map(|entry| TicketNote {
                    kind: if entry.new.note {
                        "note"
                    } else {
                        "chat message"
                    }
                    .to_owned(),
                    text: entry.new.contents.clone(),
                    created_by: entry.new.user.clone(),
                    created_at_millis: entry.created,
                    // Never read at all: every entry was owed.
                    must_mirror: entry.new.user != api_user
                        && investigation
                            .last_filter
                            .as_ref()
                            .is_none_or(|filter| filter.matches(entry)),
                })
                .collect(),
        )
    }

    /// Incidents with status 2 (done), by id.
    fn record_closed(&self, record: &str) -> Option<bool> {
        let state = self.state.lock();
        let incident = state.store.get(record)?;
        Some(incident.status == self::incident::Status::Done)
    }

    fn record(&self, record: &str) -> Option<Value> {
        Some(self.state.lock().store.get(record)?.to_json())
    }

    /// War-room chats and notes, a file, a severity edit (1 to 4), a close,
    /// a reopen.
    fn remote_change(&self, change: &RemoteChange<'_>) -> Option<Value> {
        Some(match *change {
            RemoteChange::Comment { record, text } => {
                json!({"entry": {"incident": record, "contents": text}})
            }
            RemoteChange::Note { record, text } => {
                json!({"entry": {"incident": record, "contents": text, "note": true}})
            }
            RemoteChange::Attach {
                record,
                name,
                content,
            } => json!({"file": {"incident": record, "name": name, "content": content}}),
            // Even variants edit the severity, odd ones the details.
            RemoteChange::Edit { record, variant } if variant % 2 == 0 => {
                json!({"edit": {"incident": record, "fields": {"severity": variant / 2 % 4 + 1}}})
            }
            RemoteChange::Edit { record, variant } => json!({"edit": {
                "incident": record, "fields": {"details": format!("Detailed on the remote server ({variant})")},
            }}),
            RemoteChange::Close { record } => json!({"close": {
                "incident": record, "reason": "Resolved", "notes": "Closed on the remote server",
            }}),
            RemoteChange::Reopen { record } => json!({"reopen": {"incident": record}}),
        })
    }

    /// `POST /incident` with an `id` and a `version`: the fields whose values that write
    /// changed (custom fields by cliName), so that a client saving the whole incident it
    /// loaded writes only what it changed; with version `-1` every field sent. Notes,
    /// formatted entries, uploads, closes and reopens name their incident with no fields.
    fn record_write(
        &self,
        method: &str,
        path: &str,
        _query: Option<&str>,
        body: Option<&Value>,
    ) -> Option<RecordWrite> {
        let body = body.unwrap_or(&Value::Null);
        let state = self.state.lock();
        let store = &state.store;
        let route = Route::parse(store.version.is_8(), method, path).ok()?;
        let id_of = |value: Option<&Value>| incident::id_field(value).ok().flatten();
        let record_only = |record: Option<String>| {
            record.map(|record| RecordWrite {
                record,
                fields: Vec::new(),
            })
        };
        match route {
            Route::Save => {
                let body = body.as_object()?;
                let record = id_of(body.get("id"))?;
                let version = body.get("version").and_then(body::whole)?;
                let fields = if version == -1 {
                    body.keys()
                        .filter(|field| !matches!(field.as_str(), "id" | "version"))
                        .cloned()
                        .collect()
                } else {
                    // A save that did not go through (a conflict) wrote nothing.
                    store
                        .changed_by_save(record.parse().ok()?, version)?
                        .to_vec()
                };
                Some(RecordWrite { record, fields })
            }
            Route::Close | Route::Reopen => record_only(id_of(body.get("id"))),
            Route::Note | Route::Formatted => record_only(id_of(body.get("investigationId"))),
            Route::Upload(investigation) => record_only(Some(investigation)),
            _ => None,
        }
    }
}

impl std::fmt::Debug for Xsoar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key stays out of debug output.
        f.debug_struct("Xsoar")
            .field("clock", self.state.clock())
            .field("incidents", &self.state.lock().store.incidents().count())
            .finish_non_exhaustive()
    }
}
