//! Changes made at the instance itself, as an analyst in the ServiceNow UI
//! would make them ([`Vendor::act`](crate::Vendor::act)):
//!
//! ```json
//! {"update": {"table": "incident", "record": "INC0010001", "fields": {"state": "Closed"}, "user": "beth"}}
//! {"insert": {"table": "incident", "fields": {"short_description": "…"}, "user": "beth"}}
//! {"attach": {"table": "incident", "record": "INC0010001", "file_name": "a.txt", "content": "…", "content_type": "text/plain"}}
//! {"delete": {"table": "incident", "record": "INC0010001"}}
//! ```
//!
//! `table` defaults to `incident`, `record` is a sys_id or an incident
//! number, `user` defaults to [`DEFAULT_ACT_USER`]. Writes go through the
//! same rules as the API's (journal rows for `comments`/`work_notes`,
//! closure stamps, `sys_updated_*` from the clock); choice labels are
//! accepted as the UI's pickers would set them.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::attachments::metadata_json;
use super::schema::Table;
use super::store::{Actor, NewAttachment, Store, Write, stored_text};
use crate::kit::vendor::ActError;

/// Who acts when an action names no user.
///
/// ```
/// use mock_vendors::servicenow::{ServiceNow, DEFAULT_ACT_USER};
/// use mock_vendors::{Clock, Vendor};
/// use serde_json::json;
///
/// let servicenow = ServiceNow::new(Clock::default(), "harness:pw");
/// let inserted = servicenow.act(&json!({"insert": {"fields": {}}}))?;
/// assert_eq!(inserted["record"]["sys_created_by"], DEFAULT_ACT_USER);
/// # Ok::<(), mock_vendors::ActError>(())
/// ```
pub const DEFAULT_ACT_USER: &str = "remote.analyst";

/// What the error says is expected.
const EXPECTED: &str = "expected {\"update\": {record, fields, table?, user?}}, \
    {\"insert\": {fields, table?, user?}}, \
    {\"attach\": {record, file_name, content, content_type?, table?, user?}} or \
    {\"delete\": {record, table?}}";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
enum Action {
    Update(Update),
    Insert(Insert),
    Attach(Attach),
    Delete(Delete),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Update {
    table: Option<String>,
    record: String,
    fields: Map<String, Value>,
    user: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Insert {
    table: Option<String>,
    fields: Map<String, Value>,
    user: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Attach {
    table: Option<String>,
    record: String,
    file_name: String,
    content: String,
    content_type: Option<String>,
    user: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Delete {
    table: Option<String>,
    record: String,
}

/// Runs one action at `now`; the answer says what changed.
pub(crate) fn act(store: &mut Store, action: &Value, now: i64) -> Result<Value, ActError> {
    let action = Action::deserialize(action)
        .map_err(|error| ActError::Invalid(format!("{error}; {EXPECTED}")))?;
    let actor = |user: &Option<String>| user.clone().unwrap_or_else(|| DEFAULT_ACT_USER.to_owned());
    match action {
        Action::Update(update) => {
            let table = table(update.table.as_deref())?;
            let sys_id = record(store, table, &update.record)?;
            let user_name = actor(&update.user);
            let changes = store
                .update(
                    table,
                    &sys_id,
                    &write(&update.fields),
                    Actor {
                        user_name: &user_name,
                        now,
                    },
                )
                .map_err(|error| ActError::Invalid(error.to_string()))?;
            Ok(json!({
                "table": table.name(),
                "sys_id": sys_id,
                "changed": changes.fields,
                "journal_rows": changes.journal_rows,
                "record": raw(store, table, &sys_id),
            }))
        }
        Action::Insert(insert) => {
            let table = table(insert.table.as_deref())?;
            let user_name = actor(&insert.user);
            let sys_id = store.insert(
                table,
                &write(&insert.fields),
                Actor {
                    user_name: &user_name,
                    now,
                },
            );
            Ok(json!({
                "table": table.name(),
                "sys_id": sys_id,
                "record": raw(store, table, &sys_id),
            }))
        }
        Action::Attach(attach) => {
            let table = table(attach.table.as_deref())?;
            let table_sys_id = record(store, table, &attach.record)?;
            let user_name = actor(&attach.user);
            let new = NewAttachment {
                sys_id: None,
                table,
                table_sys_id,
                file_name: attach.file_name,
                content_type: attach
                    .content_type
                    .unwrap_or_else(|| "text/plain".to_owned()),
                bytes: attach.content.into_bytes(),
            };
            let sys_id = store.add_attachment(
                new,
                Actor {
                    user_name: &user_name,
                    now,
                },
            );
            let metadata = store
                .get(Table::SysAttachment, &sys_id)
                .map(|record| metadata_json(record, None))
                .unwrap_or_default();
            Ok(json!({"table": Table::SysAttachment.name(), "sys_id": sys_id, "record": metadata}))
        }
        Action::Delete(delete) => {
            let table = table(delete.table.as_deref())?;
            let sys_id = record(store, table, &delete.record)?;
            store
                .delete(table, &sys_id)
                .map_err(|error| ActError::Invalid(error.to_string()))?;
            Ok(json!({"table": table.name(), "sys_id": sys_id, "deleted": true}))
        }
    }
}

fn table(name: Option<&str>) -> Result<Table, ActError> {
    let name = name.unwrap_or("incident");
    Table::from_api_name(name).ok_or_else(|| {
        ActError::Invalid(format!(
            "no table {name:?}; expected incident, sys_user, sys_user_group or sys_journal_field"
        ))
    })
}

fn record(store: &Store, table: Table, key: &str) -> Result<String, ActError> {
    store
        .find(table, key)
        .map(|record| record.sys_id().to_owned())
        .ok_or_else(|| {
            ActError::Invalid(format!(
                "no {} record has the sys_id{} {key:?}",
                table.name(),
                if table == Table::Incident {
                    " or number"
                } else {
                    ""
                },
            ))
        })
}

fn write(fields: &Map<String, Value>) -> Write {
    Write {
        fields: fields
            .iter()
            .map(|(field, value)| (field.clone(), stored_text(value)))
            .collect(),
        input_display_value: true,
        trusted: false,
    }
}

fn raw(store: &Store, table: Table, sys_id: &str) -> Value {
    store
        .get(table, sys_id)
        .map(|record| json!(record.fields))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_735_689_600_000;

    #[test]
    fn insert_update_attach_delete() -> Result<(), ActError> {
        let mut store = Store::new();
        let inserted = act(
            &mut store,
            &json!({"insert": {"fields": {"short_description": "x"}}}),
            NOW,
        )?;
        assert_eq!(inserted["record"]["number"], "INC0010001");
        assert_eq!(inserted["record"]["sys_created_by"], DEFAULT_ACT_USER);

        let updated = act(
            &mut store,
            &json!({"update": {"record": "INC0010001", "fields": {"state": "Closed", "comments": "done"}, "user": "beth"}}),
            NOW + 1_000,
        )?;
        assert_eq!(updated["record"]["state"], "7");
        assert_eq!(updated["record"]["sys_updated_by"], "beth");
        assert_eq!(updated["journal_rows"], 1);
        assert!(
            updated["changed"]
                .as_array()
                .is_some_and(|c| c.contains(&json!("closed_at")))
        );

        let attached = act(
            &mut store,
            &json!({"attach": {"record": "INC0010001", "file_name": "a.txt", "content": "hi"}}),
            NOW,
        )?;
        assert_eq!(attached["record"]["size_bytes"], "2");

        let deleted = act(
            &mut store,
            &json!({"delete": {"record": "INC0010001"}}),
            NOW,
        )?;
        assert_eq!(deleted["deleted"], true);
        assert!(store.records(Table::Incident).is_empty());
        assert!(store.records(Table::SysAttachment).is_empty());
        Ok(())
    }

    #[test]
    fn bad_actions_say_what_is_expected() {
        let mut store = Store::new();
        for action in [
            json!({"close": {}}),
            json!({"update": {"record": "INC0010001"}}),
            json!({"update": {"record": "INC0010001", "fields": {}}}),
            json!({"insert": {"table": "problem", "fields": {}}}),
            json!("update"),
        ] {
            match act(&mut store, &action, NOW) {
                Err(ActError::Invalid(message)) => assert!(!message.is_empty(), "{action}"),
                other => panic!("{action} gave {other:?}"),
            }
        }
    }
}
