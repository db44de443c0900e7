//! Reading the mirroring commands' results and applying them to incidents.

use serde_json::{json, Map, Value};

use super::incident::{Classified, Incident, Origin, Status, WarRoomEntry};
use super::{configured_incident_type, UNCLASSIFIED};
use crate::entries::{entry_contents, EntryType};
use crate::runtime::RunEnd;
use crate::scenario::Direction;
use crate::server::run::CommandRecord;
use crate::server::{MapperRole, Server};

/// The mirroring fields a mapper may set.
const MIRROR_FIELDS: &[&str] = &[
    "dbotMirrorId",
    "dbotMirrorInstance",
    "dbotMirrorDirection",
    "dbotMirrorTags",
];

/// The id update-remote-system returned: the text of its first entry. `return_results(None)`
/// arrives as the text `None`: no id.
pub(crate) fn returned_id(record: &CommandRecord) -> Option<String> {
    if record.run.end != RunEnd::Completed || record.error_text().is_some() {
        return None;
    }
    let first = record.run.entries.first()?;
    let id = match entry_contents(first) {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    };
    Some(if matches!(id.as_str(), "None" | "null") {
        String::new()
    } else {
        id
    })
}

/// What get-modified-remote-data said.
#[derive(Debug)]
pub(super) enum Modified {
    /// These remote ids changed.
    Ids(Vec<String>),
    /// Full incident data: apply directly.
    Entries(Vec<Value>),
    /// Not implemented: refresh every mirrored incident.
    All,
    /// `API rate limit`: no get-remote-data this run.
    RateLimited,
    /// `skip update` or another failure: no get-remote-data this run.
    Skip,
}

/// Classifies a get-modified-remote-data run. `return_error` prefixes every error of this
/// command with `skip update` except a NotImplementedError, so an error entry without the
/// prefix (or an uncaught NotImplementedError) means "not implemented".
pub(super) fn modified(record: &CommandRecord) -> Modified {
    if let RunEnd::Exception(traceback) = &record.run.end {
        return if traceback.contains(super::RATE_LIMIT) {
            Modified::RateLimited
        } else if traceback.contains("NotImplementedError") {
            Modified::All
        } else {
            Modified::Skip
        };
    }
    if let Some(error) = record.error_text() {
        return if error.contains(super::RATE_LIMIT) {
            Modified::RateLimited
        } else if error.contains(super::SKIP_UPDATE) {
            Modified::Skip
        } else {
            Modified::All
        };
    }
    if record.run.end != RunEnd::Completed {
        return Modified::Skip;
    }
    match record.run.entries.first().map(entry_contents) {
        Some(Value::Array(items)) if items.iter().all(Value::is_object) && !items.is_empty() => {
            Modified::Entries(items)
        }
        Some(Value::Array(items)) => Modified::Ids(items.iter().map(crate::text::text).collect()),
        _ => Modified::Ids(Vec::new()),
    }
}

/// A new incident from one fetched incident object: classified (the instance's classifier,
/// else its `incidentType` param, else the incident's own `type`), then mapped by the
/// instance's incoming mapper from its `rawJSON`, as the server does at fetch.
pub(super) async fn incident_from_fetch(
    server: &mut Server,
    id: u64,
    raw: &Value,
    now: i64,
) -> Incident {
    let during = format!("fetch of incident {id}");
    let name = raw
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("Untitled")
        .to_owned();
    let source = match raw.get("rawJSON") {
        Some(Value::String(text)) => match serde_json::from_str(text) {
            Ok(parsed) => parsed,
            Err(e) => {
                server.record_failure(
                    "the incident fetch-incidents returned".to_owned(),
                    "",
                    Some("rawJSON".into()),
                    format!("rawJSON is not JSON ({e}); the server classifies and maps the incident itself instead"),
                    &during,
                );
                raw.clone()
            }
        },
        Some(object @ Value::Object(_)) => object.clone(),
        _ => raw.clone(),
    };
    server.operators.now = now;
    let classification = server.classify(&source, &during).await;
    let own_type = raw
        .get("type")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty());
    let param_type = configured_incident_type(&server.instance.params);
    let (kind, type_from) = match (&classification, param_type, own_type) {
        (Some((_, c)), _, _) if c.incident_type.is_some() => (
            c.incident_type.clone().unwrap_or_default(),
            if c.matched {
                "keyTypeMap"
            } else {
                "the classifier's default"
            },
        ),
        (_, Some(param), _) => (param, "the incidentType param"),
        (_, None, Some(own)) => (own.to_owned(), "the incident's type"),
        _ => (UNCLASSIFIED.to_owned(), "no classification"),
    };
    let mut incident = Incident::new(id, name, kind, now);
    if let Some(fields) = raw.as_object() {
        for (key, value) in fields {
            if !matches!(key.as_str(), "name" | "type" | "rawJSON") {
                incident.fields.insert(key.clone(), value.clone());
            }
        }
    }
    let mapped = server
        .map_with(MapperRole::Incoming, &source, &incident.kind, &during)
        .await;
    incident.classified = Some(Classified {
        classifier: classification.as_ref().map(|(name, _)| name.clone()),
        key: classification.and_then(|(_, c)| c.key),
        type_from,
        mapper: server.incoming_mapper.clone(),
    });
    apply_fields(&mut incident, &mapped.unwrap_or_default());
    take_mirror_fields(server, &mut incident, &during);
    incident
}

/// The incident through the outgoing mapper (the raw incident when nothing maps it).
pub(super) async fn outgoing_data(server: &mut Server, incident: &Incident, now: i64) -> Value {
    let object = incident.as_object();
    server.operators.now = now;
    let during = format!("update-remote-system data of incident {}", incident.id);
    match server
        .map_with(MapperRole::Outgoing, &object, &incident.kind, &during)
        .await
    {
        Some(fields) => Value::Object(fields),
        None => object,
    }
}

/// Sets mapped fields.
pub(super) fn apply_fields(incident: &mut Incident, mapped: &Map<String, Value>) {
    for (field, value) in mapped {
        match field.as_str() {
            "name" => {
                if let Some(name) = value.as_str() {
                    incident.name = name.to_owned();
                }
            }
            "type" => {}
            _ => {
                incident.fields.insert(field.clone(), value.clone());
            }
        }
    }
}

/// Sets the fields an incoming update maps, but those a local change holds: on an incident
/// that mirrors out, one still waiting for its push (a push that failed goes again with the
/// next run, and the remote value it would overwrite predates it), and, when `dirty_stick`
/// (server 6.1 and earlier), every dirty field.
fn apply_incoming(incident: &mut Incident, mapped: &Map<String, Value>, dirty_stick: bool) {
    let mirror = &incident.mirror;
    let held = |field: &str| {
        (mirror.direction.outgoing() && mirror.current_dirty.contains(field))
            || (dirty_stick && mirror.dirty.contains(field))
    };
    let taken: Map<String, Value> = mapped
        .iter()
        .filter(|(field, _)| !held(field))
        .map(|(field, value)| (field.clone(), value.clone()))
        .collect();
    apply_fields(incident, &taken);
}

/// Moves the dbotMirror* fields the mapper set into the mirroring state; a direction that is
/// not one of the documented values is reported.
fn take_mirror_fields(server: &mut Server, incident: &mut Incident, during: &str) {
    for field in MIRROR_FIELDS {
        let Some(value) = incident.fields.remove(*field) else {
            continue;
        };
        let mirror = &mut incident.mirror;
        match *field {
            "dbotMirrorId" => mirror.id = text(&value).filter(|s| !s.is_empty()),
            "dbotMirrorInstance" => mirror.instance = text(&value).filter(|s| !s.is_empty()),
            "dbotMirrorDirection" => {
                let written = text(&value).unwrap_or_default();
                match Direction::parse(&written) {
                    Some(direction) => mirror.direction = direction,
                    None => server.record_failure(
                        "the mirroring fields of the fetched incident".to_owned(),
                        &incident.kind,
                        Some((*field).to_owned()),
                        format!(
                            "{written:?} is not a mirroring direction (None, In, Out, Both, or the mirror_direction options); the incident does not mirror"
                        ),
                        during,
                    ),
                }
            }
            _ => {
                mirror.tags = match value {
                    Value::Array(tags) => tags.iter().filter_map(text).collect(),
                    Value::String(s) => s
                        .split(',')
                        .map(|t| t.trim().to_owned())
                        .filter(|t| !t.is_empty())
                        .collect(),
                    _ => Vec::new(),
                };
            }
        }
    }
}

/// A value as text; `null` is no value.
fn text(value: &Value) -> Option<String> {
    (!value.is_null()).then(|| crate::text::text(value))
}

/// Applies one get-remote-data run to incident `id`.
pub(super) async fn apply_remote_data(server: &mut Server, id: u64, record: &CommandRecord) {
    if record.run.end != RunEnd::Completed || record.error_text().is_some() {
        return;
    }
    let now = server.now();
    let mut entries = record.run.entries.iter();
    let object = entries.next().map(entry_contents);
    let Some(kind) = server.mirror.incident(id).map(|i| i.kind.clone()) else {
        return;
    };
    let mapped = match &object {
        Some(source @ Value::Object(fields)) if !fields.is_empty() => {
            incoming_map(server, source, &kind, id, now).await
        }
        _ => Map::new(),
    };
    let dirty_stick = server.mirror.dirty_fields_stick;
    let Some(incident) = server.mirror.incident_mut(id) else {
        return;
    };
    apply_incoming(incident, &mapped, dirty_stick);
    for entry in entries {
        add_remote_entry(incident, entry, now);
    }
    incident.mirror.last_sync = Some(now);
}

/// Applies one full incident object from get-modified-remote-data to the incident it names.
pub(super) async fn apply_full_entry(server: &mut Server, candidates: &[u64], object: &Value) {
    let remote_id = ["id", "dbotMirrorId", "sys_id"]
        .iter()
        .find_map(|k| object.get(*k).and_then(text));
    let Some(id) = candidates.iter().copied().find(|id| {
        server
            .mirror
            .incident(*id)
            .and_then(|i| i.mirror.id.clone())
            == remote_id
    }) else {
        return;
    };
    let now = server.now();
    let Some(kind) = server.mirror.incident(id).map(|i| i.kind.clone()) else {
        return;
    };
    let mapped = incoming_map(server, object, &kind, id, now).await;
    let dirty_stick = server.mirror.dirty_fields_stick;
    if let Some(incident) = server.mirror.incident_mut(id) {
        apply_incoming(incident, &mapped, dirty_stick);
        incident.mirror.last_sync = Some(now);
    }
}

/// A remote object mirrored in, through the instance's incoming mapper, without the
/// mirroring fields (those are set at fetch).
pub(super) async fn incoming_map(
    server: &mut Server,
    source: &Value,
    kind: &str,
    id: u64,
    now: i64,
) -> Map<String, Value> {
    server.operators.now = now;
    let during = format!("mirror-in of incident {id}");
    let mut mapped = server
        .map_with(MapperRole::Incoming, source, kind, &during)
        .await
        .unwrap_or_default();
    for field in MIRROR_FIELDS {
        mapped.remove(*field);
    }
    mapped
}

/// Adds one entry of get-remote-data: a close or reopen instruction, or a war-room entry.
fn add_remote_entry(incident: &mut Incident, entry: &Value, now: i64) {
    let contents = entry_contents(entry);
    let flag = |key: &str| contents.get(key).and_then(Value::as_bool) == Some(true);
    if flag("dbotIncidentClose") {
        if incident.status != Status::Done {
            incident.status = Status::Done;
            incident.closed = Some(now);
            for field in ["closeReason", "closeNotes"] {
                let value = contents.get(field).cloned().unwrap_or(json!(""));
                incident.fields.insert(field.into(), value);
            }
            incident.add_entry(server_entry("Incident closed by the mirror"));
        }
        return;
    }
    if flag("dbotIncidentReopen") {
        if incident.status == Status::Done {
            incident.status = Status::Active;
            incident.closed = None;
            incident.add_entry(server_entry("Incident reopened by the mirror"));
        }
        return;
    }
    let tags = match entry.get("Tags") {
        Some(Value::Array(tags)) => tags.iter().filter_map(text).collect(),
        _ => Vec::new(),
    };
    incident.add_entry(WarRoomEntry {
        id: String::new(),
        kind: EntryType::of(entry),
        contents,
        format: entry
            .get("ContentsFormat")
            .and_then(Value::as_str)
            .unwrap_or("text")
            .to_owned(),
        tags,
        note: entry.get("Note").and_then(Value::as_bool).unwrap_or(false),
        origin: Origin::Mirrored,
        file: entry.get("File").and_then(text),
        queued: false,
    });
}

fn server_entry(text: &str) -> WarRoomEntry {
    WarRoomEntry {
        id: String::new(),
        kind: EntryType::Note,
        contents: json!(text),
        format: "text".into(),
        tags: Vec::new(),
        note: false,
        origin: Origin::Server,
        file: None,
        queued: false,
    }
}
