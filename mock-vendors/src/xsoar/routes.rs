//! The routes: the key check, then one handler per path.

use serde_json::{Map, Value, json};

use super::errors::XsoarError;
use super::incident::Incident;
use super::query::Query;
use super::schema::to_json;
use super::store::{Store, WriteError};
use crate::clock::parse_iso;
use crate::kit::call::Call;
use crate::kit::reply::Reply;

/// Incidents per search page when `size` is absent or 0.
const DEFAULT_PAGE_SIZE: usize = 50;

/// The fields a search can sort by.
const SORT_FIELDS: [&str; 7] = [
    "id", "created", "modified", "occurred", "name", "severity", "status",
];

/// Answers one request against `store`, for the API key `key`.
pub(crate) fn dispatch(store: &mut Store, key: &str, call: &Call<'_>) -> Result<Reply, XsoarError> {
    authenticate(key, call)?;
    let segments = Call::segments(call.path());
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let method = call.method();
    match (method, segments.as_slice()) {
        ("POST", ["incidents", "search"]) => search(store, call),
        ("GET", ["incident", "load", id]) => load(store, id),
        ("POST", ["incident"]) => save(store, call),
        ("POST", ["incident", "close"]) => close(store, call),
        ("GET", ["incidentfields"]) => Ok(Reply::json(200, to_json(&store.fields))),
        ("GET", ["incidenttype"]) => Ok(Reply::json(200, to_json(&store.types))),
        (_, ["incidents", "search"] | ["incident"] | ["incident", "close"]) => {
            Err(not_allowed(call, "POST"))
        }
        (_, ["incident", "load", _] | ["incidentfields"] | ["incidenttype"]) => {
            Err(not_allowed(call, "GET"))
        }
        _ => Err(XsoarError::UnknownPath(call.path().to_owned())),
    }
}

/// 405 for a known path, naming the method it serves.
fn not_allowed(call: &Call<'_>, allow: &'static str) -> XsoarError {
    XsoarError::MethodNotAllowed {
        method: call.method().to_owned(),
        path: call.path().to_owned(),
        allow,
    }
}

/// The raw key in `Authorization` (no scheme).
fn authenticate(key: &str, call: &Call<'_>) -> Result<(), XsoarError> {
    match call.header("authorization").map(str::trim) {
        None | Some("") => Err(XsoarError::MissingKey),
        Some(sent) if sent == key => Ok(()),
        Some(_) => Err(XsoarError::WrongKey),
    }
}

/// The body as a JSON object.
fn body_object(call: &Call<'_>) -> Result<Map<String, Value>, XsoarError> {
    if call.body().iter().all(u8::is_ascii_whitespace) {
        return Err(XsoarError::BadRequest(
            "the request body is empty".to_owned(),
        ));
    }
    match serde_json::from_slice(call.body()) {
        Ok(Value::Object(body)) => Ok(body),
        Ok(_) => Err(XsoarError::BadRequest(
            "the request body must be a JSON object".to_owned(),
        )),
        Err(error) => Err(XsoarError::BadRequest(format!(
            "the request body is not JSON: {error}"
        ))),
    }
}

/// A whole number, sent as a number or decimal text.
fn whole(value: &Value) -> Option<i64> {
    match value {
        Value::Number(number) => number.as_i64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// A field that must be a whole number of at least `min` when present.
fn count(filter: &Map<String, Value>, field: &str, min: i64) -> Result<Option<i64>, XsoarError> {
    match filter.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => whole(value)
            .filter(|number| *number >= min)
            .map(Some)
            .ok_or_else(|| {
                XsoarError::BadRequest(format!(
                    "filter.{field}: expected a whole number from {min}"
                ))
            }),
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
    let from = match filter.get("fromDate") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) if text.trim().is_empty() => None,
        Some(value) => Some(value.as_str().and_then(parse_iso).ok_or_else(|| {
            XsoarError::BadRequest("filter.fromDate: expected an ISO-8601 time".to_owned())
        })?),
    };
    let size = match count(&filter, "size", 0)? {
        None | Some(0) => DEFAULT_PAGE_SIZE,
        Some(size) => usize::try_from(size).unwrap_or(usize::MAX),
    };
    let page =
        count(&filter, "page", 0)?.map_or(0, |page| usize::try_from(page).unwrap_or(usize::MAX));
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
    match body.get("id") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.trim().to_owned())),
        Some(Value::Number(number)) => Ok(Some(number.to_string())),
        Some(_) => Err(XsoarError::BadRequest(
            "id: expected the incident id as text".to_owned(),
        )),
    }
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
    match outcome {
        Ok(incident) => Ok(Reply::json(200, incident.to_json())),
        Err(WriteError::NoIncident(id)) => Err(XsoarError::NoIncident(id)),
        Err(WriteError::Stale { id, stored, sent }) => {
            Err(XsoarError::VersionConflict { id, stored, sent })
        }
        Err(WriteError::Field(error)) => Err(XsoarError::BadRequest(error.to_string())),
    }
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
            written(store.update(&id, version, call.now, |incident| incident.edit(&body)))
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
