//! Changes made on the remote server itself, as a person using its UI
//! would make them ([`Vendor::act`](crate::Vendor::act)):
//!
//! ```json
//! {"entry": {"incident": "1", "contents": "…", "note": false, "tags": ["t"], "format": "text", "user": "beth"}}
//! {"file": {"incident": "1", "name": "a.txt", "content": "…", "type": "text/plain", "tags": [], "user": "beth"}}
//! {"edit": {"incident": "1", "fields": {"severity": 3, "CustomFields": {"x": 1}}}}
//! {"close": {"incident": "1", "reason": "Resolved", "notes": "…"}}
//! {"reopen": {"incident": "1"}}
//! {"create": {"fields": {"name": "…", "sourceBrand": "Mail"}}}
//! ```
//!
//! `incident` is the incident's id; an entry's `user` defaults to
//! [`DEFAULT_ACT_USER`] (incidents do not record who changed them). Edits, closes and reopens bump the version and
//! `modified` as the API's writes do (and never conflict: the person sees
//! the current incident); entries stamp `modified` only.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::incident::{Incident, NotAnId, id_field};
use super::investigation::{FileSpec, NewEntry};
use super::store::{Store, WriteError};
use crate::kit::vendor::ActError;

/// Who acts when an action names no user.
///
/// ```
/// use mock_vendors::xsoar::{DEFAULT_ACT_USER, Xsoar};
/// use mock_vendors::{Clock, Vendor};
/// use serde_json::json;
///
/// let xsoar = Xsoar::new(Clock::default(), "key");
/// xsoar.act(&json!({"create": {"fields": {"name": "Phish"}}}))?;
/// let entry = xsoar.act(&json!({"entry": {"incident": "1", "contents": "seen it"}}))?;
/// assert_eq!(entry["entry"]["user"], DEFAULT_ACT_USER);
/// # Ok::<(), mock_vendors::ActError>(())
/// ```
pub const DEFAULT_ACT_USER: &str = "remote.analyst";

/// What the error says is expected.
const EXPECTED: &str = "expected {\"entry\": {incident, contents, note?, tags?, format?, file?, user?}}, \
    {\"file\": {incident, name, content, type?, tags?, user?}}, \
    {\"edit\": {incident, fields}}, {\"close\": {incident, reason?, notes?}}, \
    {\"reopen\": {incident}} or {\"create\": {fields}}";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
enum Action {
    Entry(EntryAction),
    File(FileAction),
    Edit(Edit),
    Close(Close),
    Reopen(Reopen),
    Create(Create),
}

/// An incident id, as text or a number.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
struct IncidentId(Value);

impl IncidentId {
    fn text(&self) -> Result<String, ActError> {
        id_field(Some(&self.0))
            .ok()
            .flatten()
            .ok_or_else(|| ActError::Invalid(format!("incident: {}, found {}", NotAnId, self.0)))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryAction {
    incident: IncidentId,
    #[serde(default)]
    contents: String,
    #[serde(default)]
    note: bool,
    #[serde(default)]
    tags: Vec<String>,
    format: Option<String>,
    file: Option<FileSpec>,
    user: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileAction {
    incident: IncidentId,
    name: String,
    #[serde(default)]
    content: String,
    #[serde(rename = "type")]
    content_type: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    user: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Edit {
    incident: IncidentId,
    fields: Map<String, Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Close {
    incident: IncidentId,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    notes: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Reopen {
    incident: IncidentId,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Create {
    #[serde(default)]
    fields: Map<String, Value>,
}

/// Runs one action at `now`; the answer says what changed.
pub(crate) fn act(store: &mut Store, action: &Value, now: i64) -> Result<Value, ActError> {
    let action = Action::deserialize(action)
        .map_err(|error| ActError::Invalid(format!("{error}; {EXPECTED}")))?;
    let user = |user: Option<String>| user.unwrap_or_else(|| DEFAULT_ACT_USER.to_owned());
    match action {
        Action::Entry(entry) => {
            let new = NewEntry::written(
                entry.contents,
                entry.format.as_deref(),
                entry.note,
                entry.tags,
                entry.file,
                user(entry.user),
            )
            .map_err(|(field, reason)| ActError::Invalid(format!("{field}: {reason}")))?;
            add_entry(store, &entry.incident, new, now)
        }
        Action::File(file) => {
            let spec = FileSpec {
                name: file.name,
                content: file.content,
                content_type: file.content_type,
            };
            let new = NewEntry::written(
                String::new(),
                None,
                false,
                file.tags,
                Some(spec),
                user(file.user),
            )
            .map_err(|(field, reason)| ActError::Invalid(format!("{field}: {reason}")))?;
            add_entry(store, &file.incident, new, now)
        }
        Action::Edit(edit) => {
            let fields = edit.fields;
            changed(store.update(&edit.incident.text()?, -1, now, |incident| {
                incident.edit(&fields)
            }))
        }
        Action::Close(close) => changed(store.close(
            &close.incident.text()?,
            -1,
            &close.reason,
            &close.notes,
            now,
        )),
        Action::Reopen(reopen) => changed(store.reopen(&reopen.incident.text()?, -1, now)),
        Action::Create(create) => changed(store.create(&create.fields, true, now)),
    }
}

/// An entry on incident `incident`'s investigation.
fn add_entry(
    store: &mut Store,
    incident: &IncidentId,
    new: NewEntry,
    now: i64,
) -> Result<Value, ActError> {
    let id = incident.text()?;
    let investigation = store
        .get(&id)
        .map(|incident| incident.investigation_id.clone())
        .filter(|investigation| !investigation.is_empty())
        .ok_or_else(|| {
            ActError::Invalid(format!(
                "incident {id:?}: no such incident with an investigation (a pending incident has none)"
            ))
        })?;
    let entry = store
        .add_entry(&investigation, new, now)
        .map_err(|error| ActError::Invalid(error.to_string()))?;
    Ok(json!({"entry": entry.to_json()}))
}

fn changed(outcome: Result<&Incident, WriteError>) -> Result<Value, ActError> {
    outcome
        .map(|incident| json!({"incident": incident.to_json()}))
        .map_err(|error| ActError::Invalid(error.to_string()))
}
