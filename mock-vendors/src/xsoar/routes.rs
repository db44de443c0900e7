//! The routes: the key check, then one handler per path.

use serde_json::{Map, Value, json};

use super::body::{body_object, count, instant, whole};
use super::entries;
use super::errors::XsoarError;
use super::incident::{Incident, id_field};
use super::query::Query;
use super::schema::{User, to_json};
use super::store::{Store, WriteError};
use crate::clock::format_iso_millis;
use crate::kit::call::Call;
use crate::kit::reply::Reply;

/// Incidents per search page when `size` is absent or 0.
const DEFAULT_PAGE_SIZE: usize = 50;

/// The fields a search can sort by.
const SORT_FIELDS: [&str; 7] = [
    "id", "created", "modified", "occurred", "name", "severity", "status",
];

/// One route of the API, parsed from the method and path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    Search,
    Load(String),
    Save,
    Close,
    /// The mock's own: real servers reopen through their UI only.
    Reopen,
    Fields,
    Types,
    User,
    ReadEntries(String),
    Download(String),
    Formatted,
    Note,
    Upload(String),
    /// XSOAR 8's listing of modified incidents.
    Modified,
}

impl Route {
    /// The route `method` `path` names on a 6.x or (`is_8`) an 8.x server.
    ///
    /// # Errors
    ///
    /// 404 for a path the server does not serve, 405 for a method a
    /// served path does not take.
    pub(crate) fn parse(is_8: bool, method: &str, path: &str) -> Result<Route, XsoarError> {
        let segments = Call::segments(path);
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        let unknown = || XsoarError::UnknownPath(path.to_owned());
        // XSOAR 8 serves the API under /xsoar only; 6.x at the root only.
        let route = match (is_8, segments.split_first()) {
            (true, Some((&"xsoar", rest))) => rest,
            (true, _) => return Err(unknown()),
            (false, _) => segments.as_slice(),
        };
        let (route, serves) = match route {
            ["incidents", "search"] => (Route::Search, "POST"),
            ["incident", "load", id] => (Route::Load((*id).to_owned()), "GET"),
            ["incident"] => (Route::Save, "POST"),
            ["incident", "close"] => (Route::Close, "POST"),
            ["incident", "reopen"] => (Route::Reopen, "POST"),
            ["incidentfields"] => (Route::Fields, "GET"),
            ["incidenttype"] => (Route::Types, "GET"),
            ["user"] => (Route::User, "GET"),
            ["investigation", id] => (Route::ReadEntries((*id).to_owned()), "POST"),
            ["entry", "download", id] => (Route::Download((*id).to_owned()), "GET"),
            ["entry", "formatted"] => (Route::Formatted, "POST"),
            ["entry", "note"] => (Route::Note, "POST"),
            ["entry", "upload", id] => (Route::Upload((*id).to_owned()), "POST"),
            ["public", "v1", "incidents", "modified"] if is_8 => (Route::Modified, "POST"),
            _ => return Err(unknown()),
        };
        if method != serves {
            return Err(XsoarError::MethodNotAllowed {
                method: method.to_owned(),
                path: path.to_owned(),
                allow: serves,
            });
        }
        Ok(route)
    }
}

/// Answers one request against `store`, for the API key `key`.
pub(crate) fn dispatch(store: &mut Store, key: &str, call: &Call<'_>) -> Result<Reply, XsoarError> {
    authenticate(store, key, call)?;
    match Route::parse(store.version.is_8(), call.method(), call.path())? {
        Route::Search => search(store, call),
        Route::Load(id) => load(store, &id),
        Route::Save => save(store, call),
        Route::Close => close(store, call),
        Route::Reopen => reopen(store, call),
        Route::Fields => Ok(Reply::json(200, to_json(&store.fields))),
        Route::Types => Ok(Reply::json(200, to_json(&store.types))),
        Route::User => Ok(Reply::json(200, user_json(&store.api_user()))),
        Route::ReadEntries(id) => entries::read(store, &id, call),
        Route::Download(id) => entries::download(store, &id),
        Route::Formatted => entries::formatted(store, call),
        Route::Note => entries::note(store, call),
        Route::Upload(id) => entries::upload(store, &id, call),
        Route::Modified => modified(store, call),
    }
}

fn user_json(user: &User) -> Value {
    json!({"id": user.id, "username": user.username, "name": user.name, "email": user.email})
}

/// The raw key in `Authorization` (no scheme); on XSOAR 8 its id in
/// `x-xdr-auth-id` too.
fn authenticate(store: &Store, key: &str, call: &Call<'_>) -> Result<(), XsoarError> {
    match call.header("authorization").map(str::trim) {
        None | Some("") => return Err(XsoarError::MissingKey),
        Some(sent) if sent == key => {}
        Some(_) => return Err(XsoarError::WrongKey),
    }
    match &store.version.key_id {
        Some(key_id) if call.header("x-xdr-auth-id").map(str::trim) != Some(key_id.as_str()) => {
            Err(XsoarError::KeyId)
        }
        _ => Ok(()),
    }
}

/// One `sort` key.
struct SortKey {
    field: String,
    asc: bool,
}

fn sort_keys(filter: &Map<String, Value>) -> Result<Vec<SortKey>, XsoarError> {
    let items = match filter.get("sort") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(XsoarError::BadRequest(
                "filter.sort: expected a list of {field, asc}".to_owned(),
            ));
        }
    };
    items
        .iter()
        .enumerate()
        .map(|(at, item)| {
            let field = item["field"].as_str().unwrap_or_default();
            if !SORT_FIELDS.contains(&field) {
                return Err(XsoarError::BadRequest(format!(
                    "filter.sort[{at}].field: {field:?} is not sortable (expected one of {})",
                    SORT_FIELDS.join(", ")
                )));
            }
            Ok(SortKey {
                field: field.to_owned(),
                asc: item["asc"].as_bool().unwrap_or(false),
            })
        })
        .collect()
}

fn compare(left: &Incident, right: &Incident, field: &str) -> std::cmp::Ordering {
    match field {
        "created" => left.created.cmp(&right.created),
        "modified" => left.modified.cmp(&right.modified),
        "occurred" => left.occurred.cmp(&right.occurred),
        "name" => left.name.cmp(&right.name),
        "severity" => left.severity.total_cmp(&right.severity),
        "status" => left.status.cmp(&right.status),
        _ => left.id.cmp(&right.id),
    }
}

/// `POST /incidents/search` `{"filter": {query, size, page, fromDate,
/// sort}}` -> `{"data": [...], "total": N}`; `fromDate` bounds `created`.
fn search(store: &Store, call: &Call<'_>) -> Result<Reply, XsoarError> {
    let body = body_object(call)?;
    let filter = match body.get("filter") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(filter)) => filter.clone(),
        Some(_) => {
            return Err(XsoarError::BadRequest(
                "filter: expected an object".to_owned(),
            ));
        }
    };
    let query = match filter.get("query") {
        None | Some(Value::Null) => Query::parse(""),
        Some(Value::String(text)) => Query::parse(text),
        Some(_) => {
            return Err(XsoarError::BadRequest(
                "filter.query: expected a string".to_owned(),
            ));
        }
    }
    .map_err(|error| XsoarError::BadQuery(error.to_string()))?;
    let from = instant(&filter, "fromDate", "filter.")?;
    let size = match count(&filter, "size", 0, "filter.")? {
        None | Some(0) => DEFAULT_PAGE_SIZE,
        Some(size) => usize::try_from(size).unwrap_or(usize::MAX),
    };
    let page = count(&filter, "page", 0, "filter.")?
        .map_or(0, |page| usize::try_from(page).unwrap_or(usize::MAX));
    let sort = sort_keys(&filter)?;
    let mut found: Vec<&Incident> = store
        .incidents()
        .filter(|incident| from.is_none_or(|from| incident.created >= from))
        .filter(|incident| query.matches(incident))
        .collect();
    // Ties fall back to the id, so pages are stable.
    found.sort_by(|left, right| {
        sort.iter()
            .map(|key| {
                let order = compare(left, right, &key.field);
                if key.asc { order } else { order.reverse() }
            })
            .find(|order| order.is_ne())
            .unwrap_or_else(|| left.id.cmp(&right.id))
    });
    let total = found.len();
    let data: Vec<Value> = found
        .into_iter()
        .skip(page.saturating_mul(size))
        .take(size)
        .map(Incident::to_json)
        .collect();
    Ok(Reply::json(200, json!({"data": data, "total": total})))
}

/// `GET /incident/load/{id}`.
fn load(store: &Store, id: &str) -> Result<Reply, XsoarError> {
    store
        .get(id)
        .map(|incident| Reply::json(200, incident.to_json()))
        .ok_or_else(|| XsoarError::NoIncident(id.to_owned()))
}

/// The id a body names, if any (`""` and `null` name none).
fn body_id(body: &Map<String, Value>) -> Result<Option<String>, XsoarError> {
    id_field(body.get("id")).map_err(|error| XsoarError::BadRequest(format!("id: {error}")))
}

/// The `version` a write must carry.
fn body_version(body: &Map<String, Value>) -> Result<i64, XsoarError> {
    match body.get("version") {
        None | Some(Value::Null) => Err(XsoarError::BadRequest(
            "version: the incident's current version is required (-1 to skip the check)".to_owned(),
        )),
        Some(value) => whole(value)
            .ok_or_else(|| XsoarError::BadRequest("version: expected a whole number".to_owned())),
    }
}

fn written(outcome: Result<&Incident, WriteError>) -> Result<Reply, XsoarError> {
    outcome
        .map(|incident| Reply::json(200, incident.to_json()))
        .map_err(XsoarError::from)
}

/// `POST /incident`: without an id, creates (`createInvestigation: true`
/// opens its investigation); with one, edits the fields sent if `version`
/// is current.
fn save(store: &mut Store, call: &Call<'_>) -> Result<Reply, XsoarError> {
    let body = body_object(call)?;
    match body_id(&body)? {
        None => {
            let investigation = body
                .get("createInvestigation")
                .is_some_and(|flag| flag.as_bool() == Some(true) || flag.as_str() == Some("true"));
            written(store.create(&body, investigation, call.now))
        }
        Some(id) => {
            let version = body_version(&body)?;
            written(store.save(&id, version, call.now, &body))
        }
    }
}

/// `POST /incident/close` `{id, version, closeReason, closeNotes}`.
fn close(store: &mut Store, call: &Call<'_>) -> Result<Reply, XsoarError> {
    let body = body_object(call)?;
    let id = body_id(&body)?.ok_or_else(|| {
        XsoarError::BadRequest("id: the incident to close is required".to_owned())
    })?;
    let version = body_version(&body)?;
    let text = |field: &str| match body.get(field) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(text)) => Ok(text.clone()),
        Some(_) => Err(XsoarError::BadRequest(format!(
            "{field}: expected a string"
        ))),
    };
    let (reason, notes) = (text("closeReason")?, text("closeNotes")?);
    written(store.close(&id, version, &reason, &notes, call.now))
}

/// XSOAR 8: `POST /public/v1/incidents/modified` `{"fromDate"}` ->
/// `{"data": [{id, version, modified}], "total"}`, the incidents modified
/// strictly after `fromDate` (all without one), by id.
fn modified(store: &Store, call: &Call<'_>) -> Result<Reply, XsoarError> {
    let body = body_object(call)?;
    let from = instant(&body, "fromDate", "")?;
    let data: Vec<Value> = store
        .incidents()
        .filter(|incident| from.is_none_or(|from| incident.modified > from))
        .map(|incident| {
            json!({
                "id": incident.id.to_string(),
                "version": incident.version,
                "modified": format_iso_millis(incident.modified),
            })
        })
        .collect();
    Ok(Reply::json(200, json!({"total": data.len(), "data": data})))
}

/// `POST /incident/reopen` `{id, version}` (the mock's own route): active again, `closed`
/// cleared, with the same version rule as a save.
fn reopen(store: &mut Store, call: &Call<'_>) -> Result<Reply, XsoarError> {
    let body = body_object(call)?;
    let id = body_id(&body)?.ok_or_else(|| {
        XsoarError::BadRequest("id: the incident to reopen is required".to_owned())
    })?;
    let version = body_version(&body)?;
    written(store.reopen(&id, version, call.now))
}
