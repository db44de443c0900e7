//! One incident as the remote server stores it, and the edits a body
//! (`POST /incident`) or a seed makes to it.

use serde_json::{Map, Value, json};

use crate::clock::{format_iso_millis, parse_iso};

/// An incident's lifecycle status, sent as a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Status {
    /// 0: created without an investigation.
    Pending,
    /// 1: open, with its investigation.
    Active,
    /// 2: closed ("done").
    Done,
    /// 3: archived.
    Archived,
}

impl Status {
    /// The number the API sends.
    pub(crate) fn code(self) -> u8 {
        match self {
            Status::Pending => 0,
            Status::Active => 1,
            Status::Done => 2,
            Status::Archived => 3,
        }
    }

    /// From the number, or the words the query language takes
    /// (`pending`, `active`, `closed`/`done`, `archived`), ASCII case ignored.
    pub(crate) fn parse(text: &str) -> Option<Status> {
        match text.trim().to_ascii_lowercase().as_str() {
            "0" | "pending" | "new" => Some(Status::Pending),
            "1" | "active" => Some(Status::Active),
            "2" | "done" | "closed" => Some(Status::Done),
            "3" | "archived" => Some(Status::Archived),
            _ => None,
        }
    }

    fn from_value(value: &Value) -> Option<Status> {
        match value {
            Value::Number(number) => number
                .as_u64()
                .and_then(|code| Status::parse(&code.to_string())),
            Value::String(text) => Status::parse(text),
            _ => None,
        }
    }
}

/// A field of an incident body that cannot be taken as it is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub(crate) struct FieldError {
    /// The field's name as sent.
    pub(crate) field: String,
    /// What is wrong with it.
    pub(crate) reason: String,
}

impl FieldError {
    fn new(field: &str, reason: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            reason: reason.into(),
        }
    }
}

/// The largest id or version a seed may give: whole numbers beyond it lose
/// precision in the JSON clients read (and the next id would overflow).
pub(crate) const MAX_NUMBER: u64 = 1 << 53;

/// What an `id` field holds: nothing (absent, `null`, `""`), or an id's
/// decimal text (sent as text or as a number).
///
/// # Errors
///
/// [`NotAnId`] for anything else (a list, an object, a fraction, text
/// that is not a whole number).
pub(crate) fn id_field(value: Option<&Value>) -> Result<Option<String>, NotAnId> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
        Some(Value::String(text)) => text
            .trim()
            .parse::<u64>()
            .map(|id| Some(id.to_string()))
            .map_err(|_| NotAnId),
        Some(Value::Number(number)) => number
            .as_u64()
            .map(|id| Some(id.to_string()))
            .ok_or(NotAnId),
        Some(_) => Err(NotAnId),
    }
}

/// A value that is not an incident id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("expected the incident id, a whole number as text")]
pub(crate) struct NotAnId;

/// Fields the server keeps for itself: a body may send them but never
/// changes them through an edit.
const SERVER_FIELDS: [&str; 5] = ["id", "version", "created", "modified", "closed"];

/// One stored incident.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Incident {
    pub(crate) id: u64,
    /// Bumped by every change; a write must name the current one.
    pub(crate) version: i64,
    pub(crate) name: String,
    /// `type` in the API.
    pub(crate) kind: String,
    /// 0 unknown, 0.5 informational, 1 low, 2 medium, 3 high, 4 critical.
    pub(crate) severity: f64,
    pub(crate) status: Status,
    pub(crate) owner: String,
    pub(crate) details: String,
    pub(crate) source_brand: String,
    pub(crate) source_instance: String,
    pub(crate) labels: Vec<Value>,
    /// `[{name, path, type}]`; the files slice will keep the bytes beside.
    pub(crate) attachment: Vec<Value>,
    /// `CustomFields`, by cliName.
    pub(crate) custom_fields: Map<String, Value>,
    /// Epoch millis.
    pub(crate) occurred: i64,
    pub(crate) created: i64,
    pub(crate) modified: i64,
    pub(crate) closed: Option<i64>,
    pub(crate) close_reason: String,
    pub(crate) close_notes: String,
    /// The incident's id when it has an investigation, empty otherwise
    /// (entries hang off it).
    pub(crate) investigation_id: String,
    /// Everything else a body sent (`dbotMirror*`, `playbookId`, `phase`,
    /// `category`, ...), kept and answered as sent.
    pub(crate) other: Map<String, Value>,
}

impl Incident {
    /// A fresh incident with id `id`, version 1, stamped `now`; pending
    /// until it gets an investigation.
    pub(crate) fn new(id: u64, now: i64) -> Self {
        Self {
            id,
            version: 1,
            name: String::new(),
            kind: "Unclassified".to_owned(),
            severity: 0.0,
            status: Status::Pending,
            owner: String::new(),
            details: String::new(),
            source_brand: String::new(),
            source_instance: String::new(),
            labels: Vec::new(),
            attachment: Vec::new(),
            custom_fields: Map::new(),
            occurred: now,
            created: now,
            modified: now,
            closed: None,
            close_reason: String::new(),
            close_notes: String::new(),
            investigation_id: String::new(),
            other: Map::new(),
        }
    }

    /// Opens the incident's investigation (its id is the incident's).
    pub(crate) fn open_investigation(&mut self) {
        self.investigation_id = self.id.to_string();
        if self.status == Status::Pending {
            self.status = Status::Active;
        }
    }

    /// Takes the fields `body` sends, leaving the others as they are;
    /// `CustomFields` merge by key. On an error nothing has changed.
    ///
    /// # Errors
    ///
    /// [`FieldError`] for a field of the wrong type or value.
    pub(crate) fn edit(&mut self, body: &Map<String, Value>) -> Result<(), FieldError> {
        let mut edited = self.clone();
        for (field, value) in body {
            edited.set(field, value)?;
        }
        *self = edited;
        Ok(())
    }

    fn set(&mut self, field: &str, value: &Value) -> Result<(), FieldError> {
        match field {
            _ if SERVER_FIELDS.contains(&field) => {}
            "name" => self.name = text(field, value)?,
            "type" => self.kind = text(field, value)?,
            "owner" => self.owner = text(field, value)?,
            "details" => self.details = text(field, value)?,
            "sourceBrand" => self.source_brand = text(field, value)?,
            "sourceInstance" => self.source_instance = text(field, value)?,
            "closeReason" => self.close_reason = text(field, value)?,
            "closeNotes" => self.close_notes = text(field, value)?,
            // The server names the investigation itself.
            "investigationId" | "createInvestigation" => {}
            "severity" => {
                let severity = value
                    .as_f64()
                    .filter(|severity| (0.0..=4.0).contains(severity))
                    .ok_or_else(|| FieldError::new(field, "expected a number from 0 to 4"))?;
                self.severity = severity;
            }
            "status" => {
                self.status = Status::from_value(value).ok_or_else(|| {
                    FieldError::new(
                        field,
                        "expected 0 (pending), 1 (active), 2 (done) or 3 (archived)",
                    )
                })?;
            }
            "occurred" => self.occurred = time(field, value)?,
            "labels" => self.labels = list(field, value)?,
            "attachment" => self.attachment = list(field, value)?,
            "CustomFields" => match value {
                Value::Object(fields) => {
                    for (name, value) in fields {
                        self.custom_fields.insert(name.clone(), value.clone());
                    }
                }
                Value::Null => {}
                _ => {
                    return Err(FieldError::new(
                        field,
                        "expected an object of fields by cliName",
                    ));
                }
            },
            _ => {
                self.other.insert(field.to_owned(), value.clone());
            }
        }
        Ok(())
    }

    /// The incident as the API answers it.
    pub(crate) fn to_json(&self) -> Value {
        let mut json = json!({
            "id": self.id.to_string(),
            "version": self.version,
            "name": self.name,
            "type": self.kind,
            "severity": severity_json(self.severity),
            "status": self.status.code(),
            "owner": self.owner,
            "details": self.details,
            "sourceBrand": self.source_brand,
            "sourceInstance": self.source_instance,
            "labels": self.labels,
            "attachment": self.attachment,
            "CustomFields": self.custom_fields,
            "occurred": format_iso_millis(self.occurred),
            "created": format_iso_millis(self.created),
            "modified": format_iso_millis(self.modified),
            // The server's zero time for an open incident.
            "closed": self.closed.map_or_else(|| "0001-01-01T00:00:00Z".to_owned(), format_iso_millis),
            "closeReason": self.close_reason,
            "closeNotes": self.close_notes,
            "investigationId": self.investigation_id,
        });
        if let Value::Object(fields) = &mut json {
            for (name, value) in &self.other {
                fields.entry(name.clone()).or_insert_with(|| value.clone());
            }
        }
        json
    }
}

/// Whole severities as integers (`2`, not `2.0`), as the server sends them.
fn severity_json(severity: f64) -> Value {
    if severity.fract() == 0.0 {
        // In 0..=4, so the cast is exact.
        json!(severity as i64)
    } else {
        json!(severity)
    }
}

fn text(field: &str, value: &Value) -> Result<String, FieldError> {
    match value {
        Value::String(text) => Ok(text.clone()),
        Value::Null => Ok(String::new()),
        _ => Err(FieldError::new(field, "expected a string")),
    }
}

fn list(field: &str, value: &Value) -> Result<Vec<Value>, FieldError> {
    match value {
        Value::Array(items) => Ok(items.clone()),
        Value::Null => Ok(Vec::new()),
        _ => Err(FieldError::new(field, "expected a list")),
    }
}

/// An ISO-8601 instant, as epoch millis.
pub(crate) fn time(field: &str, value: &Value) -> Result<i64, FieldError> {
    value.as_str().and_then(parse_iso).ok_or_else(|| {
        FieldError::new(
            field,
            "expected an ISO-8601 time such as 2025-01-01T00:00:00Z",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edit_with_a_bad_field_changes_nothing() {
        let mut incident = Incident::new(1, 0);
        let body = json!({"name": "changed", "severity": "high"});
        let error = incident.edit(body.as_object().unwrap_or(&Map::new()));
        assert_eq!(
            error.map_err(|error| error.field),
            Err("severity".to_owned())
        );
        assert_eq!(incident.name, "");
    }

    #[test]
    fn custom_fields_merge_and_server_fields_stay() {
        let mut incident = Incident::new(7, 0);
        let first = json!({"CustomFields": {"a": 1}, "id": "99", "version": 40});
        let second = json!({"CustomFields": {"b": 2}, "playbookId": "p"});
        for body in [first, second] {
            incident.edit(body.as_object().unwrap_or(&Map::new())).ok();
        }
        let json = incident.to_json();
        assert_eq!(json["CustomFields"], json!({"a": 1, "b": 2}));
        assert_eq!(
            (json["id"].clone(), json["version"].clone()),
            (json!("7"), json!(1))
        );
        assert_eq!(json["playbookId"], "p");
    }
}
