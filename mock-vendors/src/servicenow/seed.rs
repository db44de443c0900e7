//! The ServiceNow seed shape, how a seed becomes a [`Store`], and the dump
//! (the shapes are documented on the `servicenow` module).
//!
//! Seeding is a series of trusted inserts through the store's own rules
//! (so a seeded incident gets its defaults, number and closure stamps),
//! after every reference is checked: a seed that names a missing record is
//! refused with the path of the value, not stored dangling.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::attachments::metadata_json;
use super::schema::{FieldKind, JournalKind, Table};
use super::store::{Actor, NewAttachment, Store, Write, is_sys_id, stored_text};
use crate::clock::parse_sql_datetime;
use crate::kit::vendor::SeedError;

/// Who created seeded records that do not say.
pub(crate) const SEED_AUTHOR: &str = "admin";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServiceNowSeed {
    #[serde(default)]
    sys_user: Vec<Map<String, Value>>,
    #[serde(default)]
    sys_user_group: Vec<Map<String, Value>>,
    #[serde(default)]
    incident: Vec<Map<String, Value>>,
    #[serde(default)]
    sys_journal_field: Vec<Map<String, Value>>,
    #[serde(default)]
    attachments: Vec<SeedAttachment>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedAttachment {
    /// The record's sys_id (or number), like `record`.
    table_sys_id: Option<String>,
    record: Option<String>,
    /// Default `incident`.
    table_name: Option<String>,
    file_name: String,
    /// Default `text/plain`.
    content_type: Option<String>,
    /// The file, as text; default empty.
    #[serde(default)]
    content: String,
    sys_id: Option<String>,
    sys_created_on: Option<String>,
    sys_created_by: Option<String>,
    // Accepted so a dump can be replayed as a seed.
    #[serde(rename = "size_bytes")]
    _size_bytes: Option<Value>,
    #[serde(rename = "size_compressed")]
    _size_compressed: Option<Value>,
    #[serde(rename = "compressed")]
    _compressed: Option<Value>,
    #[serde(rename = "sys_updated_on")]
    _sys_updated_on: Option<Value>,
    #[serde(rename = "sys_updated_by")]
    _sys_updated_by: Option<Value>,
    #[serde(rename = "sys_mod_count")]
    _sys_mod_count: Option<Value>,
    #[serde(rename = "download_link")]
    _download_link: Option<Value>,
}

/// Builds the store a seed describes; `api_user` is the user the API
/// credentials belong to, `now` the default creation time.
pub(crate) fn build(seed: &Value, api_user: &str, now: i64) -> Result<Store, SeedError> {
    let seed = ServiceNowSeed::deserialize(seed)?;
    let mut store = Store::new();
    seed_records(&mut store, Table::SysUser, &seed.sys_user, now)?;
    if store.user(api_user).is_none() {
        let user = Write {
            fields: [
                ("user_name", api_user),
                ("first_name", "Harness"),
                ("last_name", "Integration"),
                ("email", &format!("{api_user}@harness.example")),
            ]
            .into_iter()
            .map(|(field, value)| (field.to_owned(), value.to_owned()))
            .collect(),
            ..Write::default()
        };
        let author = Actor {
            user_name: SEED_AUTHOR,
            now,
        };
        store.insert(Table::SysUser, &user, author);
    }
    seed_records(&mut store, Table::SysUserGroup, &seed.sys_user_group, now)?;
    seed_records(&mut store, Table::Incident, &seed.incident, now)?;
    seed_records(
        &mut store,
        Table::SysJournalField,
        &seed.sys_journal_field,
        now,
    )?;
    for (index, attachment) in seed.attachments.into_iter().enumerate() {
        seed_attachment(&mut store, attachment, index, now)?;
    }
    Ok(store)
}

fn invalid(path: String, reason: impl Into<String>) -> SeedError {
    SeedError::Invalid {
        path,
        reason: reason.into(),
    }
}

fn seed_records(
    store: &mut Store,
    table: Table,
    rows: &[Map<String, Value>],
    now: i64,
) -> Result<(), SeedError> {
    for (index, row) in rows.iter().enumerate() {
        let at = |field: &str| format!("{}[{index}].{field}", table.name());
        let mut fields = Vec::with_capacity(row.len());
        for (field, value) in row {
            let text = seed_text(value)
                .ok_or_else(|| invalid(at(field), "expected a string, number, boolean or null"))?;
            let text = seed_value(store, table, field, text)
                .map_err(|error| invalid(at(field), error.to_string()))?;
            fields.push((field.clone(), text));
        }
        let given = |name: &str| {
            fields
                .iter()
                .find(|(field, value)| field == name && !value.is_empty())
                .map(|(_, value)| value.clone())
        };
        if let Some(sys_id) = given("sys_id") {
            if !is_sys_id(&sys_id) {
                return Err(invalid(at("sys_id"), "a sys_id is 32 hex digits"));
            }
            if store.get(table, &sys_id).is_some() {
                return Err(invalid(
                    at("sys_id"),
                    format!("sys_id {sys_id:?} is used twice"),
                ));
            }
        }
        if table == Table::SysUser {
            let user_name = given("user_name")
                .ok_or_else(|| invalid(at("user_name"), "a user_name is required"))?;
            if store.user(&user_name).is_some() {
                return Err(invalid(
                    at("user_name"),
                    format!("user_name {user_name:?} is used twice"),
                ));
            }
        }
        let created_on = given("sys_created_on")
            .and_then(|text| parse_sql_datetime(&text))
            .unwrap_or(now);
        let author = given("sys_created_by").unwrap_or_else(|| SEED_AUTHOR.to_owned());
        let write = Write {
            fields,
            input_display_value: false,
            trusted: true,
        };
        let actor = Actor {
            user_name: &author,
            now: created_on,
        };
        store.insert(table, &write, actor);
    }
    Ok(())
}

/// A seed value as a stored string: strings, numbers, booleans, null, or
/// the API's `{"value": …}` objects.
fn seed_text(value: &Value) -> Option<String> {
    match value {
        Value::Array(_) => None,
        Value::Object(object) if !object.contains_key("value") => None,
        value => Some(stored_text(value)),
    }
}

/// Why a seeded value does not fit its column.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
enum ValueError {
    /// A reference that names no record.
    #[error("no {} record has the sys_id, name{} {text:?}", .target.name(), reference_keys(*.target))]
    NoReference {
        /// The referenced table.
        target: Table,
        /// The value as seeded.
        text: String,
    },
    /// A datetime that does not parse.
    #[error("{0:?} is not a datetime like 2025-01-01 00:00:00")]
    NotDateTime(String),
    /// A journal row naming no incident.
    #[error("no incident has the sys_id or number {0:?}")]
    NoIncident(String),
    /// A journal row of neither journal.
    #[error("{0:?} is not comments or work_notes")]
    NotJournal(String),
}

/// What a reference may name besides a sys_id and a name.
fn reference_keys(target: Table) -> &'static str {
    if target == Table::SysUser {
        ", user_name or email"
    } else {
        ""
    }
}

/// Checks a seeded value against its column: references must resolve,
/// datetimes must parse, journal rows must name their record.
fn seed_value(
    store: &Store,
    table: Table,
    field: &str,
    text: String,
) -> Result<String, ValueError> {
    if text.is_empty() {
        return Ok(text);
    }
    match (table, table.kind(field)) {
        (_, FieldKind::Reference(target)) => store
            .resolve_reference(target, &text)
            .ok_or(ValueError::NoReference { target, text }),
        (_, FieldKind::DateTime) => match parse_sql_datetime(&text) {
            Some(_) => Ok(text),
            None => Err(ValueError::NotDateTime(text)),
        },
        (Table::SysJournalField, _) if field == "element_id" => store
            .find(Table::Incident, &text)
            .map(|record| record.sys_id().to_owned())
            .ok_or(ValueError::NoIncident(text)),
        (Table::SysJournalField, _) if field == "element" => {
            if JournalKind::from_element(&text).is_some() {
                Ok(text)
            } else {
                Err(ValueError::NotJournal(text))
            }
        }
        _ => Ok(text),
    }
}

fn seed_attachment(
    store: &mut Store,
    attachment: SeedAttachment,
    index: usize,
    now: i64,
) -> Result<(), SeedError> {
    let at = |field: &str| format!("attachments[{index}].{field}");
    let table_name = attachment.table_name.as_deref().unwrap_or("incident");
    let table = Table::from_api_name(table_name)
        .ok_or_else(|| invalid(at("table_name"), format!("{table_name:?} is not a table")))?;
    let key = attachment
        .table_sys_id
        .or(attachment.record)
        .ok_or_else(|| invalid(at("record"), "record (or table_sys_id) is required"))?;
    let record = store
        .find(table, &key)
        .map(|record| record.sys_id().to_owned())
        .ok_or_else(|| {
            invalid(
                at("record"),
                format!("no {table_name} has the sys_id or number {key:?}"),
            )
        })?;
    if let Some(sys_id) = &attachment.sys_id
        && (!is_sys_id(sys_id) || store.get(Table::SysAttachment, sys_id).is_some())
    {
        return Err(invalid(
            at("sys_id"),
            "a sys_id is 32 hex digits, used once",
        ));
    }
    let created_on = match &attachment.sys_created_on {
        Some(text) => parse_sql_datetime(text).ok_or_else(|| {
            invalid(
                at("sys_created_on"),
                format!("{text:?} is not a datetime like 2025-01-01 00:00:00"),
            )
        })?,
        None => now,
    };
    let author = attachment.sys_created_by.as_deref().unwrap_or(SEED_AUTHOR);
    let new = NewAttachment {
        sys_id: attachment.sys_id,
        table,
        table_sys_id: record,
        file_name: attachment.file_name,
        content_type: attachment
            .content_type
            .unwrap_or_else(|| "text/plain".to_owned()),
        bytes: attachment.content.into_bytes(),
    };
    store.add_attachment(
        new,
        Actor {
            user_name: author,
            now: created_on,
        },
    );
    Ok(())
}

/// Every table's raw records in creation order, and attachment metadata
/// without bytes or links.
pub(crate) fn dump(store: &Store) -> Value {
    let records = |table: Table| -> Vec<Value> {
        store
            .records(table)
            .iter()
            .map(|record| json!(record.fields))
            .collect()
    };
    let attachments: Vec<Value> = store
        .records(Table::SysAttachment)
        .iter()
        .map(|record| metadata_json(record, None))
        .collect();
    json!({
        "incident": records(Table::Incident),
        "sys_user": records(Table::SysUser),
        "sys_user_group": records(Table::SysUserGroup),
        "sys_journal_field": records(Table::SysJournalField),
        "attachments": attachments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_735_689_600_000;

    #[test]
    fn empty_seed_has_only_the_api_user() -> Result<(), SeedError> {
        let store = build(&json!({}), "harness", NOW)?;
        let users = store.records(Table::SysUser);
        assert_eq!(users.len(), 1);
        assert_eq!(users[0].get("user_name"), "harness");
        assert_eq!(users[0].get("name"), "Harness Integration");
        assert!(store.records(Table::Incident).is_empty());
        Ok(())
    }

    #[test]
    fn references_journals_and_attachments() -> Result<(), SeedError> {
        let seed = json!({
            "sys_user": [{"user_name": "beth", "name": "Beth Anglin"}],
            "sys_user_group": [{"name": "Security"}],
            "incident": [{
                "short_description": "Phishing",
                "assigned_to": "beth",
                "assignment_group": "Security",
                "state": 2,
                "comments": "seeded comment",
                "sys_created_on": "2024-06-01 12:00:00",
                "sys_created_by": "beth",
            }],
            "sys_journal_field": [{"element_id": "INC0010001", "element": "work_notes", "value": "note"}],
            "attachments": [{"record": "INC0010001", "file_name": "a.txt", "content": "hello"}],
        });
        let store = build(&seed, "harness", NOW)?;
        let incident = &store.records(Table::Incident)[0];
        let beth = store.user("beth").map(|user| user.sys_id().to_owned());
        assert_eq!(Some(incident.get("assigned_to").to_owned()), beth);
        assert_eq!(incident.get("state"), "2");
        assert_eq!(incident.get("opened_at"), "2024-06-01 12:00:00");
        assert_eq!(incident.get("sys_updated_on"), "2024-06-01 12:00:00");
        let journal = store.records(Table::SysJournalField);
        assert_eq!(journal.len(), 2);
        assert_eq!(journal[0].get("sys_created_by"), "beth");
        assert_eq!(journal[1].get("element_id"), incident.sys_id());
        let files = store.records(Table::SysAttachment);
        assert_eq!(store.file(files[0].sys_id()), Some(&b"hello"[..]));
        // The users: Beth, then the API user.
        assert_eq!(store.records(Table::SysUser).len(), 2);
        Ok(())
    }

    #[test]
    fn a_dump_round_trips() -> Result<(), SeedError> {
        let seed = json!({
            "sys_user": [{"user_name": "beth"}],
            "incident": [{"short_description": "x", "caller_id": "beth", "work_notes": "n"}],
        });
        let first = dump(&build(&seed, "harness", NOW)?);
        let second = dump(&build(&first, "harness", NOW + 60_000)?);
        assert_eq!(first, second);
        Ok(())
    }

    #[test]
    fn bad_seeds_say_where() {
        let cases = [
            (
                json!({"incident": [{"assigned_to": "nobody"}]}),
                "incident[0].assigned_to",
            ),
            (
                json!({"incident": [{"opened_at": "yesterday"}]}),
                "incident[0].opened_at",
            ),
            (
                json!({"incident": [{"short_description": ["x"]}]}),
                "incident[0].short_description",
            ),
            (
                json!({"incident": [{"sys_id": "short"}]}),
                "incident[0].sys_id",
            ),
            (
                json!({"sys_user": [{"name": "No Login"}]}),
                "sys_user[0].user_name",
            ),
            (
                json!({"sys_user": [{"user_name": "a"}, {"user_name": "A"}]}),
                "sys_user[1].user_name",
            ),
            (
                json!({"sys_journal_field": [{"element_id": "INC0", "element": "comments"}]}),
                "sys_journal_field[0].element_id",
            ),
            (
                json!({"attachments": [{"record": "INC0010001", "file_name": "a"}]}),
                "attachments[0].record",
            ),
        ];
        for (seed, expected) in cases {
            match build(&seed, "harness", NOW) {
                Err(SeedError::Invalid { path, .. }) => assert_eq!(path, expected, "{seed}"),
                other => panic!("{seed} gave {other:?}"),
            }
        }
        assert!(matches!(
            build(&json!({"problem": []}), "harness", NOW),
            Err(SeedError::Shape(_))
        ));
    }
}
