//! A ServiceNow-like instance: the Table API, the Attachment API and the
//! OAuth token endpoint, stateful and deterministic.
//!
//! What it serves (with the real API's statuses and error bodies):
//!
//! - `/api/now/table/{table}` and `/api/now/table/{table}/{sys_id}` (also
//!   under `/api/now/v1/` and `/api/now/v2/`) for `incident`, `sys_user`,
//!   `sys_user_group` and `sys_journal_field`: `GET` (list or one), `POST`
//!   (201), `PATCH`/`PUT` (200), `DELETE` (204). Bodies are
//!   `{"result": …}`; every value is a string.
//! - Lists take `sysparm_query` (the encoded query language: `^`, `^OR`,
//!   `^NQ`, `ORDERBY`/`ORDERBYDESC`, `=`, `!=`, `>`, `>=`, `<`, `<=`,
//!   `LIKE`, `NOTLIKE`, `STARTSWITH`, `ENDSWITH`, `IN`, `NOT IN`,
//!   `ISEMPTY`, `ISNOTEMPTY`, `ANYTHING`, `BETWEEN`; unusable parts are
//!   ignored), name-value filters (`?number=INC0010001`),
//!   `sysparm_limit`, `sysparm_offset` and `sysparm_fields`, and answer
//!   with `X-Total-Count` and (past one page) `Link` headers.
//! - Reads take `sysparm_display_value` (`false`, `true`, `all`) and
//!   `sysparm_exclude_reference_link`; writes take
//!   `sysparm_input_display_value`.
//! - Incidents follow the instance's rules: `INC` numbers, state model
//!   (resolving and closing stamp `resolved_at`/`closed_at`, reopening
//!   clears them), priority from impact and urgency, and `comments` /
//!   `work_notes` writes appending `sys_journal_field` rows.
//! - `/api/now/attachment` (and `/api/now/v1/attachment`): list, metadata,
//!   download, raw and multipart upload, delete.
//! - `POST /oauth_token.do`: password and refresh-token grants; the
//!   access tokens work as `Authorization: Bearer …` until they expire on
//!   the virtual [`Clock`].
//!
//! Every API call needs Basic credentials (`user:password`, default
//! [`DEFAULT_CREDENTIALS`]) or a bearer token. sys_ids come from a
//! fixed-seed generator, so the same scenario always produces the same ids.
//!
//! # Seed and dump
//!
//! ```json
//! {"sys_user": [{"user_name": "beth", "name": "Beth Anglin", "email": "beth@example.com"}],
//!  "sys_user_group": [{"name": "Security"}],
//!  "incident": [{"short_description": "Phishing", "assigned_to": "beth",
//!                "assignment_group": "Security", "comments": "first comment"}],
//!  "sys_journal_field": [{"element_id": "INC0010001", "element": "work_notes", "value": "…"}],
//!  "attachments": [{"record": "INC0010001", "file_name": "a.txt", "content": "hello",
//!                   "content_type": "text/plain"}]}
//! ```
//!
//! Every section is optional. Records may omit `sys_id`, `number` and the
//! `sys_*` stamps (generated; created by `admin` at the clock's now unless
//! `sys_created_by`/`sys_created_on` say otherwise); values may be strings,
//! numbers, booleans or null. A reference names its record by sys_id,
//! display name, or (users) user_name or email. A seeded incident's
//! `comments`/`work_notes` become journal rows; journal rows and
//! attachments name their incident by sys_id or number (`record` or
//! `table_sys_id`). Unless the seed has a sys_user with the API user's
//! user_name, one is added after the seeded users (`Harness Integration`).
//!
//! The dump has the same five sections: raw records in creation order
//! (references as plain sys_ids, journal columns `""`), attachments as
//! metadata without bytes or `download_link`. A dump is a valid seed
//! (attachment bytes aside).
//!
//! # Remote actions ([`Vendor::act`])
//!
//! ```json
//! {"update": {"table": "incident", "record": "INC0010001", "fields": {"state": "Closed"}, "user": "beth"}}
//! {"insert": {"table": "incident", "fields": {"short_description": "…"}, "user": "beth"}}
//! {"attach": {"record": "INC0010001", "file_name": "a.txt", "content": "…", "content_type": "text/plain"}}
//! {"delete": {"table": "incident", "record": "INC0010001"}}
//! ```
//!
//! `table` defaults to `incident`, `record` is a sys_id or incident number,
//! `user` defaults to [`DEFAULT_ACT_USER`]. Writes follow the API's rules
//! (journal rows, closure stamps, `sys_updated_*` from the clock) and accept
//! choice labels. The answer is `{"table", "sys_id", "record"}` (the raw
//! record or attachment metadata), plus `"changed"` (column names) and
//! `"journal_rows"` for an update, `"deleted": true` for a delete.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use mock_vendors::Clock;
//! use mock_vendors::MockVendor;
//! use mock_vendors::servicenow::{ServiceNow, DEFAULT_CREDENTIALS};
//! use serde_json::{json, Value};
//!
//! let servicenow = ServiceNow::new(Clock::default(), DEFAULT_CREDENTIALS);
//! let server = MockVendor::start(Arc::new(servicenow)).await;
//! let client = reqwest::Client::new();
//! let created: Value = client
//!     .post(format!("{}/api/now/table/incident", server.uri()))
//!     .basic_auth("harness", Some("harness-password"))
//!     .json(&json!({"short_description": "Phishing", "urgency": "1"}))
//!     .send()
//!     .await?
//!     .json()
//!     .await?;
//! assert_eq!(created["result"]["number"], "INC0010001");
//! assert_eq!(created["result"]["priority"], "3");
//! # Ok(())
//! # }
//! ```

mod act;
mod attachments;
mod auth;
mod display;
mod encoding;
mod errors;
mod journal;
mod listing;
mod query;
mod routes;
mod schema;
mod seed;
mod store;

use serde_json::{Value, json};
use wiremock::Request;

pub use self::act::DEFAULT_ACT_USER;

use self::auth::{Credentials, OAuthClient, Sessions};
use self::errors::ServiceNowError;
use self::schema::{JournalKind, Table};
use self::store::Store;
use crate::clock::{Clock, parse_sql_datetime};
use crate::faults::FaultResponse;
use crate::kit::call::Call;
use crate::kit::change::RemoteChange;
use crate::kit::errors::VendorErrors;
use crate::kit::rate::{HOUR_MILLIS, RateWindow};
use crate::kit::reply::Reply;
use crate::kit::state::{Seeded, VendorState};
use crate::kit::vendor::{ActError, RecordWrite, SeedError, TicketNote, Vendor, VendorKind};
use crate::rejection::Rejection;
use crate::response::Response;

/// The `user:password` a vendor built by [`create`](crate::create) accepts
/// when none is given.
///
/// ```
/// use mock_vendors::servicenow::DEFAULT_CREDENTIALS;
///
/// let (user, password) = DEFAULT_CREDENTIALS.split_once(':').unwrap_or_default();
/// assert_eq!((user, password), ("harness", "harness-password"));
/// ```
pub const DEFAULT_CREDENTIALS: &str = "harness:harness-password";

/// The OAuth `client_id` token requests must carry (see
/// [`ServiceNow::with_oauth_client`]).
///
/// ```
/// assert_eq!(mock_vendors::servicenow::DEFAULT_OAUTH_CLIENT_ID, "harness-client-id");
/// ```
pub const DEFAULT_OAUTH_CLIENT_ID: &str = "harness-client-id";

/// The OAuth `client_secret` token requests must carry.
///
/// ```
/// assert_eq!(mock_vendors::servicenow::DEFAULT_OAUTH_CLIENT_SECRET, "harness-client-secret");
/// ```
pub const DEFAULT_OAUTH_CLIENT_SECRET: &str = "harness-client-secret";

/// Requests per hour reported in `X-RateLimit-Limit` by a rate-limited
/// answer.
///
/// ```
/// assert_eq!(mock_vendors::servicenow::DEFAULT_RATE_LIMIT, 5_000);
/// ```
pub const DEFAULT_RATE_LIMIT: u32 = 5_000;

/// `error.message` of a rate-limited (429) answer.
///
/// ```
/// assert_eq!(mock_vendors::servicenow::RATE_LIMIT_MESSAGE, "Too many requests");
/// ```
pub const RATE_LIMIT_MESSAGE: &str = "Too many requests";

/// `X-RateLimit-Rule` of a rate-limited answer: the sys_id of the
/// instance's rate limit rule.
///
/// ```
/// assert_eq!(mock_vendors::servicenow::RATE_LIMIT_RULE.len(), 32);
/// ```
pub const RATE_LIMIT_RULE: &str = "6d1c5b7f1b0a2010a1b2c3d4e5f60718";

/// Fields a push writes besides what changed: the journal, the state and the close fields.
const JOURNAL_AND_CLOSE_FIELDS: &[&str] = &[
    "comments",
    "work_notes",
    "state",
    "incident_state",
    "close_code",
    "close_notes",
    "active",
];

/// The ServiceNow-like vendor. Cheap to build; share it as `Arc<dyn Vendor>`.
///
/// ```
/// use mock_vendors::Clock;
/// use mock_vendors::servicenow::ServiceNow;
/// use mock_vendors::Vendor;
///
/// let servicenow = ServiceNow::new(Clock::default(), "svc:secret");
/// assert_eq!(servicenow.dump()["sys_user"][0]["user_name"], "svc");
/// ```
pub struct ServiceNow {
    state: Seeded<State>,
}

/// What stays across resets.
#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) credentials: Credentials,
    pub(crate) oauth: OAuthClient,
    pub(crate) rate_limit: u32,
}

/// Everything a reset puts back.
struct State {
    store: Store,
    sessions: Sessions,
}

impl ServiceNow {
    /// An instance holding only the API user (the owner of `credentials`,
    /// `user:password`; without a colon the whole text is the user name and
    /// the password is empty), stamping records from `clock`.
    ///
    /// ```
    /// use mock_vendors::Clock;
    /// use mock_vendors::servicenow::{ServiceNow, DEFAULT_CREDENTIALS};
    ///
    /// let servicenow = ServiceNow::new(Clock::default(), DEFAULT_CREDENTIALS);
    /// assert_eq!(servicenow.user_name(), "harness");
    /// ```
    pub fn new(clock: Clock, credentials: impl Into<String>) -> Self {
        let config = Config {
            credentials: Credentials::parse(&credentials.into()),
            oauth: OAuthClient {
                id: DEFAULT_OAUTH_CLIENT_ID.to_owned(),
                secret: DEFAULT_OAUTH_CLIENT_SECRET.to_owned(),
            },
            rate_limit: DEFAULT_RATE_LIMIT,
        };
        Self {
            state: Seeded::new(clock, config),
        }
    }

    /// Token requests must name this OAuth application (default
    /// [`DEFAULT_OAUTH_CLIENT_ID`] and [`DEFAULT_OAUTH_CLIENT_SECRET`]).
    ///
    /// ```
    /// use mock_vendors::Clock;
    /// use mock_vendors::servicenow::ServiceNow;
    ///
    /// let servicenow = ServiceNow::new(Clock::default(), "harness:pw").with_oauth_client("app", "s3cret");
    /// # drop(servicenow);
    /// ```
    pub fn with_oauth_client(mut self, id: impl Into<String>, secret: impl Into<String>) -> Self {
        self.state.config_mut().oauth = OAuthClient {
            id: id.into(),
            secret: secret.into(),
        };
        self
    }

    /// Reports `per_hour` in `X-RateLimit-Limit` (default
    /// [`DEFAULT_RATE_LIMIT`]). The mock never refuses on its own; inject
    /// a `rate-limit` fault for that.
    ///
    /// ```
    /// use mock_vendors::Clock;
    /// use mock_vendors::servicenow::ServiceNow;
    ///
    /// let servicenow = ServiceNow::new(Clock::default(), "harness:pw").with_rate_limit(100);
    /// # drop(servicenow);
    /// ```
    pub fn with_rate_limit(mut self, per_hour: u32) -> Self {
        self.state.config_mut().rate_limit = per_hour;
        self
    }

    /// The API user's user_name (`sys_created_by` of API writes).
    ///
    /// ```
    /// use mock_vendors::Clock;
    /// use mock_vendors::servicenow::ServiceNow;
    ///
    /// assert_eq!(ServiceNow::new(Clock::default(), "svc:pw").user_name(), "svc");
    /// ```
    pub fn user_name(&self) -> &str {
        &self.state.config().credentials.user_name
    }
}

impl VendorState for State {
    type Config = Config;

    fn build(seed: &Value, config: &Config, now: i64) -> Result<State, SeedError> {
        Ok(State {
            store: seed::build(seed, &config.credentials.user_name, now)?,
            sessions: Sessions::new(),
        })
    }

    fn empty(_config: &Config) -> State {
        State {
            store: Store::new(),
            sessions: Sessions::new(),
        }
    }
}

impl VendorErrors for ServiceNow {
    type Error = ServiceNowError;

    /// `User Not Authenticated`, `No Record found`, ...; 429 is
    /// [`RATE_LIMIT_MESSAGE`].
    fn status_error(&self, status: u16) -> ServiceNowError {
        ServiceNowError::for_status(status, self.state.config().rate_limit)
    }

    /// 400 "Exception while reading request" when the body could not be
    /// read (malformed chunks, a body shorter than its `Content-Length`,
    /// ...), the rejection's status with a message for it otherwise (413,
    /// 431, ...); the detail says what was wrong.
    fn rejection_error(&self, rejection: &Rejection) -> ServiceNowError {
        ServiceNowError::rejected(rejection)
    }

    /// The error body; a 429 also carries `Retry-After` and the
    /// `X-RateLimit-*` headers, the window being the clock's current hour.
    fn error_reply(&self, error: &ServiceNowError) -> Reply {
        let reply = Reply::json(error.status(), error.body());
        let ServiceNowError::RateLimited { per_hour } = error else {
            return reply;
        };
        let budget = RateWindow::new(*per_hour, HOUR_MILLIS).exhausted(self.state.now());
        reply
            .header("Retry-After", budget.retry_after.to_string())
            .header("X-RateLimit-Limit", budget.limit.to_string())
            .header("X-RateLimit-Reset", budget.reset.to_string())
            .header("X-RateLimit-Rule", RATE_LIMIT_RULE.to_owned())
    }

    fn success_body(&self) -> Value {
        json!({ "result": {} })
    }
}

impl Vendor for ServiceNow {
    fn kind(&self) -> VendorKind {
        VendorKind::ServiceNow
    }

    fn handle(&self, request: &Request) -> Response {
        let call = Call::new(request, self.state.now());
        let outcome = {
            let mut state = self.state.lock();
            let State { store, sessions } = &mut *state;
            routes::dispatch(store, sessions, self.state.config(), &call)
        };
        self.answer(outcome)
    }

    /// Rate limits answer 429 with [`RATE_LIMIT_MESSAGE`], `Retry-After`
    /// and the `X-RateLimit-*` headers; 4xx/5xx statuses with ServiceNow's
    /// error for them (`User Not Authenticated`, `No Record found`, …);
    /// 2xx/3xx statuses with `{"result": {}}` (or no body for 204/304).
    /// Asked directly for the transport faults, it answers the closest HTTP
    /// equivalent: 504 after the delay, 502 for a drop.
    fn fault_response(&self, fault: &FaultResponse) -> Response {
        self.fault_answer(fault)
    }

    /// ServiceNow's error body: 400 "Exception while reading request" when
    /// the body could not be read, the rejection's status with a message
    /// for it otherwise; the detail says what was wrong.
    fn reject(&self, rejection: &Rejection) -> Response {
        self.rejection_answer(rejection)
    }

    fn seed(&self, seed: &Value) -> Result<(), SeedError> {
        self.state.seed(seed)
    }

    fn reset(&self) {
        self.state.reset();
    }

    /// `{"incident", "sys_user", "sys_user_group", "sys_journal_field"}`:
    /// raw records (references as plain sys_ids, journal columns `""`) in
    /// creation order; `"attachments"`: metadata without bytes or
    /// `download_link`.
    fn dump(&self) -> Value {
        seed::dump(&self.state.lock().store)
    }

    /// `update`, `insert`, `attach` and `delete`; see the [module
    /// docs](self) for the shapes.
    fn act(&self, action: &Value) -> Result<Value, ActError> {
        let now = self.state.now();
        act::act(&mut self.state.lock().store, action, now)
    }

    /// Incidents in state 6 (Resolved) or 7 (Closed), by sys_id or number.
    fn record_closed(&self, record: &str) -> Option<bool> {
        let state = self.state.lock();
        let incident = state.store.find(Table::Incident, record)?;
        Some(matches!(incident.get("state"), "6" | "7"))
    }

    fn record(&self, record: &str) -> Option<Value> {
        let state = self.state.lock();
        Some(json!(state.store.find(Table::Incident, record)?.fields))
    }

    /// Comments, work notes, an attachment, an urgency edit (1, 2 or 3),
    /// a close (state 7 with a close code and notes), a reopen (state 2),
    /// on the incident table.
    fn remote_change(&self, change: &RemoteChange<'_>) -> Option<Value> {
        let update =
            |record: &str, fields: Value| json!({"update": {"record": record, "fields": fields}});
        Some(match *change {
            RemoteChange::Comment { record, text } => update(record, json!({"comments": text})),
            RemoteChange::Note { record, text } => update(record, json!({"work_notes": text})),
            RemoteChange::Attach {
                record,
                name,
                content,
            } => json!({"attach": {"record": record, "file_name": name, "content": content}}),
            // Even variants edit a choice field, odd ones a text field.
            RemoteChange::Edit { record, variant } if variant % 2 == 0 => update(
                record,
                json!({"urgency": (variant / 2 % 3 + 1).to_string()}),
            ),
            RemoteChange::Edit { record, variant } => update(
                record,
                json!({"description": format!("Described at ServiceNow ({variant})")}),
            ),
            RemoteChange::Close { record } => update(
                record,
                json!({"state": "7", "close_code": "Solved (Permanently)", "close_notes": "Closed at ServiceNow"}),
            ),
            RemoteChange::Reopen { record } => update(record, json!({"state": "2"})),
        })
    }

    /// `PATCH`/`PUT /api/now/table/{table}/{sys_id}`: the body's fields but the journal
    /// (`comments`, `work_notes`) and the state and close fields, which a push writes
    /// whenever it mirrors entries or a close; a `DELETE` of the record, and attachments
    /// uploaded to it (`table_sys_id` in the query or the form), with no fields.
    fn record_write(
        &self,
        method: &str,
        path: &str,
        query: Option<&str>,
        body: Option<&Value>,
    ) -> Option<RecordWrite> {
        let segments = Call::segments(path);
        let mut segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        if segments.get(2).is_some_and(|s| matches!(*s, "v1" | "v2")) {
            segments.remove(2);
        }
        let record_only = |record: String| RecordWrite {
            record,
            fields: Vec::new(),
        };
        match (method, &segments[..]) {
            ("PATCH" | "PUT", ["api", "now", "table", _table, sys_id]) => {
                let fields = body?
                    .as_object()?
                    .keys()
                    .filter(|field| !JOURNAL_AND_CLOSE_FIELDS.contains(&field.as_str()))
                    .cloned()
                    .collect();
                Some(RecordWrite {
                    record: (*sys_id).to_owned(),
                    fields,
                })
            }
            ("DELETE", ["api", "now", "table", _table, sys_id]) => {
                Some(record_only((*sys_id).to_owned()))
            }
            ("POST", ["api", "now", "attachment", "file"]) => query?
                .split('&')
                .filter_map(|pair| pair.split_once('='))
                .find(|(name, _)| *name == "table_sys_id")
                .map(|(_, sys_id)| record_only(sys_id.to_owned())),
            ("POST", ["api", "now", "attachment", "upload"]) => {
                // The journal keeps a form as its text: the field's value follows its head.
                let form = body?.as_str()?;
                let (_, after) = form.split_once("name=\"table_sys_id\"")?;
                let value = after
                    .trim_start_matches(['\r', '\n'])
                    .lines()
                    .next()?
                    .trim();
                Some(record_only(value.to_owned()))
            }
            _ => None,
        }
    }

    /// The comments and work notes of an incident (by sys_id or number),
    /// oldest first.
    fn ticket_notes(&self, record_id: &str) -> Option<Vec<TicketNote>> {
        let state = self.state.lock();
        let record = state.store.find(Table::Incident, record_id)?;
        let notes = journal::entries(
            &state.store,
            Table::Incident,
            record.sys_id(),
            &JournalKind::ALL,
        )
        .into_iter()
        .map(|(kind, row)| TicketNote {
            kind: kind.element().to_owned(),
            text: row.get("value").to_owned(),
            created_by: row.get("sys_created_by").to_owned(),
            created_at_millis: parse_sql_datetime(row.get("sys_created_on")).unwrap_or_default(),
            must_mirror: true,
        })
        .collect();
        Some(notes)
    }
}

impl std::fmt::Debug for ServiceNow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password stays out of debug output.
        let state = self.state.lock();
        f.debug_struct("ServiceNow")
            .field("clock", self.state.clock())
            .field("user_name", &self.user_name())
            .field("incidents", &state.store.records(Table::Incident).len())
            .finish_non_exhaustive()
    }
}
