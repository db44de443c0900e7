//! The records of one instance and the rules every write goes through:
//! defaults, sys_id and number generation, reference resolution, the
//! incident state model, journal rows and the `sys_*` stamps.

use std::collections::BTreeMap;

use serde_json::Value;

use super::errors::ServiceNowError;
use super::schema::{self, FieldKind, JournalKind, Table};
use crate::clock::format_sql_datetime;
use crate::prng::Prng;

/// Seed of the sys_id stream; fixed so ids repeat from run to run.
const SYS_ID_SEED: u64 = 0x5359_5349_4453; // "SYSIDS"

/// The first incident number an empty instance hands out (`INC0010001`).
const FIRST_INCIDENT_NUMBER: u64 = 10_001;

/// One row of a table. Every value is a string, as the API shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Record {
    /// Creation order across all tables.
    pub(crate) seq: u64,
    pub(crate) fields: BTreeMap<String, String>,
}

impl Record {
    /// A column's value; absent columns read as `""`.
    pub(crate) fn get(&self, field: &str) -> &str {
        self.fields.get(field).map_or("", String::as_str)
    }

    pub(crate) fn sys_id(&self) -> &str {
        self.get("sys_id")
    }
}

/// Who makes a change: `sys_created_by`, `sys_updated_by`, journal authors.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Actor<'a> {
    pub(crate) user_name: &'a str,
    /// Virtual now, epoch millis.
    pub(crate) now: i64,
}

/// A write as the client sent it, values already strings.
#[derive(Clone, Debug, Default)]
pub(crate) struct Write {
    pub(crate) fields: Vec<(String, String)>,
    /// `sysparm_input_display_value=true`: choice labels are accepted.
    pub(crate) input_display_value: bool,
    /// A seed: system columns (`sys_*`) may be set too.
    pub(crate) trusted: bool,
}

/// What an update changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Changes {
    /// Columns whose value changed, in name order.
    pub(crate) fields: Vec<String>,
    /// Journal rows appended.
    pub(crate) journal_rows: usize,
}

impl Changes {
    pub(crate) fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.journal_rows == 0
    }
}

/// A file to attach.
#[derive(Clone, Debug)]
pub(crate) struct NewAttachment {
    /// A sys_id to keep (seeds); `None` generates one.
    pub(crate) sys_id: Option<String>,
    pub(crate) table: Table,
    pub(crate) table_sys_id: String,
    pub(crate) file_name: String,
    pub(crate) content_type: String,
    pub(crate) bytes: Vec<u8>,
}

/// A write after validation: known columns only, references resolved.
#[derive(Debug, Default)]
struct Prepared {
    values: BTreeMap<String, String>,
    journal: Vec<(JournalKind, String)>,
}

/// Every table's records, attachment bytes, and the id generators.
#[derive(Clone, Debug)]
pub(crate) struct Store {
    tables: BTreeMap<Table, Vec<Record>>,
    /// Attachment bytes by the attachment's sys_id.
    files: BTreeMap<String, Vec<u8>>,
    ids: Prng,
    next_seq: u64,
    next_number: u64,
}

impl Store {
    /// No records, fresh id streams.
    pub(crate) fn new() -> Self {
        Self {
            tables: BTreeMap::new(),
            files: BTreeMap::new(),
            ids: Prng::new(SYS_ID_SEED),
            next_seq: 0,
            next_number: FIRST_INCIDENT_NUMBER,
        }
    }

    /// A table's records in creation order.
    pub(crate) fn records(&self, table: Table) -> &[Record] {
        self.tables.get(&table).map_or(&[], Vec::as_slice)
    }

    fn index_of(&self, table: Table, sys_id: &str) -> Option<usize> {
        self.records(table)
            .iter()
            .position(|record| record.sys_id() == sys_id)
    }

    /// The record with this sys_id.
    pub(crate) fn get(&self, table: Table, sys_id: &str) -> Option<&Record> {
        self.records(table)
            .iter()
            .find(|record| record.sys_id() == sys_id)
    }

    /// The record with this sys_id or, for incidents, this number.
    pub(crate) fn find(&self, table: Table, key: &str) -> Option<&Record> {
        self.get(table, key).or_else(|| {
            (table == Table::Incident).then_some(())?;
            self.records(table)
                .iter()
                .find(|record| record.get("number").eq_ignore_ascii_case(key))
        })
    }

    /// The sys_user with this user_name.
    pub(crate) fn user(&self, user_name: &str) -> Option<&Record> {
        self.records(Table::SysUser)
            .iter()
            .find(|user| user.get("user_name").eq_ignore_ascii_case(user_name))
    }

    /// A user's full name for journal headers: `name`, else the user name.
    pub(crate) fn full_name(&self, user_name: &str) -> String {
        self.user(user_name)
            .map(|user| user.get("name"))
            .filter(|name| !name.is_empty())
            .unwrap_or(user_name)
            .to_owned()
    }

    /// Whether a table has this column: built in, custom (`u_*`), or
    /// present on some record (seeds may add columns).
    pub(crate) fn has_field(&self, table: Table, field: &str) -> bool {
        table.has_builtin(field)
            || field.starts_with("u_")
            || self
                .records(table)
                .iter()
                .any(|record| record.fields.contains_key(field))
    }

    /// The kind of a column or a dot-walked path (`caller_id.email`);
    /// `None` when the path does not exist.
    pub(crate) fn field_kind(&self, table: Table, path: &str) -> Option<FieldKind> {
        let (field, rest) = match path.split_once('.') {
            Some((field, rest)) => (field, Some(rest)),
            None => (path, None),
        };
        if !self.has_field(table, field) {
            return None;
        }
        let kind = table.kind(field);
        match (rest, kind) {
            (None, kind) => Some(kind),
            (Some(rest), FieldKind::Reference(target)) => self.field_kind(target, rest),
            (Some(_), _) => None,
        }
    }

    /// The raw value of a column or dot-walked path; journal columns read
    /// as `""`, and so does a path through an empty reference.
    pub(crate) fn field_value(&self, table: Table, record: &Record, path: &str) -> String {
        let (field, rest) = match path.split_once('.') {
            Some((field, rest)) => (field, Some(rest)),
            None => (path, None),
        };
        match (rest, table.kind(field)) {
            (None, FieldKind::Journal) => String::new(),
            (None, _) => record.get(field).to_owned(),
            (Some(rest), FieldKind::Reference(target)) => self
                .get(target, record.get(field))
                .map(|referenced| self.field_value(target, referenced, rest))
                .unwrap_or_default(),
            (Some(_), _) => String::new(),
        }
    }

    /// The sys_id a reference value points at: the value itself when it is
    /// a sys_id, else the record whose display value (or, for users,
    /// user_name or email) it is.
    pub(crate) fn resolve_reference(&self, target: Table, text: &str) -> Option<String> {
        let text = text.trim();
        if self.get(target, text).is_some() {
            return Some(text.to_owned());
        }
        let display = target.display_field();
        self.records(target)
            .iter()
            .find(|record| {
                record.get(display).eq_ignore_ascii_case(text)
                    || (target == Table::SysUser
                        && (record.get("user_name").eq_ignore_ascii_case(text)
                            || record.get("email").eq_ignore_ascii_case(text)))
            })
            .map(|record| record.sys_id().to_owned())
    }

    /// A fresh sys_id: 32 lowercase hex digits no record or file has.
    pub(crate) fn new_sys_id(&mut self) -> String {
        loop {
            let id = format!("{:016x}{:016x}", self.ids.next_u64(), self.ids.next_u64());
            let taken = self.tables.values().flatten().any(|r| r.sys_id() == id);
            if !taken {
                return id;
            }
        }
    }

    /// `INC` + 7 digits, increasing.
    fn new_number(&mut self) -> String {
        let number = format!("INC{:07}", self.next_number);
        self.next_number += 1;
        number
    }

    /// Keeps generated numbers above one given explicitly.
    fn note_number(&mut self, number: &str) {
        let digits = number.trim_start_matches(|c: char| c.is_ascii_alphabetic());
        if let Ok(value) = digits.parse::<u64>() {
            self.next_number = self.next_number.max(value.saturating_add(1));
        }
    }

    fn push(&mut self, table: Table, fields: BTreeMap<String, String>) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.tables
            .entry(table)
            .or_default()
            .push(Record { seq, fields });
    }

    /// Creates a record with the table's defaults, `write` on top, and the
    /// business rules applied; returns its sys_id.
    pub(crate) fn insert(&mut self, table: Table, write: &Write, actor: Actor<'_>) -> String {
        let prepared = self.prepare(table, write, true);
        let mut fields = self.defaults(table, actor);
        let before = fields.clone();
        fields.extend(prepared.values.clone());
        self.apply_rules(table, &before, &mut fields, &prepared, actor);
        if table == Table::Incident && fields.get("number").is_none_or(String::is_empty) {
            let number = self.new_number();
            fields.insert("number".to_owned(), number);
        } else if let Some(number) = fields.get("number").cloned() {
            self.note_number(&number);
        }
        let sys_id = match prepared.values.get("sys_id") {
            Some(id) if is_sys_id(id) && self.index_of(table, id).is_none() => id.clone(),
            _ => self.new_sys_id(),
        };
        fields.insert("sys_id".to_owned(), sys_id.clone());
        self.push(table, fields);
        self.append_journal(table, &sys_id, &prepared.journal, actor);
        sys_id
    }

    /// Applies `write` to the record with this sys_id; a write that changes
    /// nothing leaves the record (and its `sys_updated_on`) alone.
    pub(crate) fn update(
        &mut self,
        table: Table,
        sys_id: &str,
        write: &Write,
        actor: Actor<'_>,
    ) -> Result<Changes, ServiceNowError> {
        let index = self
            .index_of(table, sys_id)
            .ok_or(ServiceNowError::NoRecord)?;
        let prepared = self.prepare(table, write, false);
        let before = self.records(table)[index].fields.clone();
        let mut fields = before.clone();
        fields.extend(prepared.values.clone());
        self.apply_rules(table, &before, &mut fields, &prepared, actor);
        let changed: Vec<String> = fields
            .iter()
            .filter(|(field, value)| before.get(*field) != Some(*value))
            .map(|(field, _)| field.clone())
            .collect();
        let changes = Changes {
            fields: changed,
            journal_rows: prepared.journal.len(),
        };
        if changes.is_empty() {
            return Ok(changes);
        }
        if table.tracks_updates() {
            let mod_count = before
                .get("sys_mod_count")
                .and_then(|count| count.parse::<u64>().ok())
                .unwrap_or(0);
            fields.insert("sys_mod_count".to_owned(), (mod_count + 1).to_string());
            fields.insert("sys_updated_on".to_owned(), format_sql_datetime(actor.now));
            fields.insert("sys_updated_by".to_owned(), actor.user_name.to_owned());
        }
        if let Some(number) = prepared.values.get("number") {
            self.note_number(number);
        }
        if let Some(records) = self.tables.get_mut(&table) {
            records[index].fields = fields;
        }
        self.append_journal(table, sys_id, &prepared.journal, actor);
        Ok(changes)
    }

    /// Deletes a record with its attachments and journal rows.
    pub(crate) fn delete(&mut self, table: Table, sys_id: &str) -> Result<(), ServiceNowError> {
        let index = self
            .index_of(table, sys_id)
            .ok_or(ServiceNowError::NoRecord)?;
        if let Some(records) = self.tables.get_mut(&table) {
            records.remove(index);
        }
        let attachments: Vec<String> = self
            .records(Table::SysAttachment)
            .iter()
            .filter(|file| file.get("table_sys_id") == sys_id)
            .map(|file| file.sys_id().to_owned())
            .collect();
        for attachment in attachments {
            self.delete_attachment(&attachment)?;
        }
        if let Some(rows) = self.tables.get_mut(&Table::SysJournalField) {
            rows.retain(|row| row.get("element_id") != sys_id);
        }
        Ok(())
    }

    /// Stores a file for a record; returns the attachment's sys_id.
    pub(crate) fn add_attachment(&mut self, new: NewAttachment, actor: Actor<'_>) -> String {
        let size = new.bytes.len().to_string();
        let mut write = Write {
            fields: vec![
                ("file_name".to_owned(), new.file_name),
                ("table_name".to_owned(), new.table.name().to_owned()),
                ("table_sys_id".to_owned(), new.table_sys_id),
                ("content_type".to_owned(), new.content_type),
                ("size_bytes".to_owned(), size.clone()),
                ("size_compressed".to_owned(), size),
                ("compressed".to_owned(), "false".to_owned()),
            ],
            ..Write::default()
        };
        if let Some(sys_id) = new.sys_id {
            write.fields.push(("sys_id".to_owned(), sys_id));
        }
        let sys_id = self.insert(Table::SysAttachment, &write, actor);
        self.files.insert(sys_id.clone(), new.bytes);
        sys_id
    }

    /// An attachment's bytes.
    pub(crate) fn file(&self, sys_id: &str) -> Option<&[u8]> {
        self.files.get(sys_id).map(Vec::as_slice)
    }

    pub(crate) fn delete_attachment(&mut self, sys_id: &str) -> Result<(), ServiceNowError> {
        let index = self
            .index_of(Table::SysAttachment, sys_id)
            .ok_or(ServiceNowError::NoRecord)?;
        if let Some(records) = self.tables.get_mut(&Table::SysAttachment) {
            records.remove(index);
        }
        self.files.remove(sys_id);
        Ok(())
    }

    /// Keeps known, writable columns; resolves references; maps choice
    /// labels when asked to; splits journal writes off.
    fn prepare(&self, table: Table, write: &Write, creating: bool) -> Prepared {
        let mut prepared = Prepared::default();
        for (field, value) in &write.fields {
            let field = field.trim();
            let kind = table.kind(field);
            if kind == FieldKind::Journal {
                let entry = JournalKind::from_element(field).filter(|_| !value.trim().is_empty());
                if let Some(kind) = entry {
                    prepared.journal.push((kind, value.clone()));
                }
                continue;
            }
            let allowed =
                write.trusted || table.is_writable(field) || (creating && field == "sys_id");
            if !allowed || !(write.trusted || self.has_field(table, field)) {
                continue;
            }
            let value = match kind {
                FieldKind::Reference(target) if !value.trim().is_empty() => self
                    .resolve_reference(target, value)
                    .unwrap_or_else(|| value.clone()),
                FieldKind::Choice(_) if write.input_display_value => kind
                    .value_for_label(value)
                    .map_or_else(|| value.clone(), str::to_owned),
                _ => value.clone(),
            };
            prepared.values.insert(field.to_owned(), value);
        }
        prepared
    }

    /// A new record before the client's values: every built-in column,
    /// empty unless the table has a default for it.
    fn defaults(&self, table: Table, actor: Actor<'_>) -> BTreeMap<String, String> {
        let now = format_sql_datetime(actor.now);
        let mut fields: BTreeMap<String, String> = table
            .fields()
            .map(|field| (field.to_owned(), String::new()))
            .collect();
        let mut set = |field: &str, value: &str| {
            fields.insert(field.to_owned(), value.to_owned());
        };
        set("sys_created_on", &now);
        set("sys_created_by", actor.user_name);
        if table.tracks_updates() {
            set("sys_updated_on", &now);
            set("sys_updated_by", actor.user_name);
            set("sys_mod_count", "0");
        }
        match table {
            Table::Incident => {
                let opener = self
                    .user(actor.user_name)
                    .map(|user| user.sys_id().to_owned())
                    .unwrap_or_default();
                for (field, value) in [
                    ("state", "1"),
                    ("incident_state", "1"),
                    ("impact", "3"),
                    ("urgency", "3"),
                    ("priority", "5"),
                    ("severity", "3"),
                    ("active", "true"),
                    ("sys_class_name", "incident"),
                ] {
                    set(field, value);
                }
                set("opened_at", &now);
                set("opened_by", &opener);
            }
            Table::SysUser | Table::SysUserGroup => set("active", "true"),
            Table::SysJournalField => set("name", Table::Incident.name()),
            Table::SysAttachment => {}
        }
        fields
    }

    /// The instance's business rules, run after the client's values are
    /// in: state and incident_state in step, priority from impact and
    /// urgency, resolution and closure stamps, a user's full name.
    fn apply_rules(
        &self,
        table: Table,
        before: &BTreeMap<String, String>,
        fields: &mut BTreeMap<String, String>,
        prepared: &Prepared,
        actor: Actor<'_>,
    ) {
        let explicit = |field: &str| prepared.values.contains_key(field);
        let value = |fields: &BTreeMap<String, String>, field: &str| {
            fields.get(field).cloned().unwrap_or_default()
        };
        match table {
            Table::Incident => {
                if explicit("state") && !explicit("incident_state") {
                    let state = value(fields, "state");
                    fields.insert("incident_state".to_owned(), state);
                } else if explicit("incident_state") && !explicit("state") {
                    let state = value(fields, "incident_state");
                    fields.insert("state".to_owned(), state);
                }
                if (explicit("impact") || explicit("urgency")) && !explicit("priority") {
                    let priority =
                        schema::priority_for(&value(fields, "impact"), &value(fields, "urgency"));
                    if let Some(priority) = priority {
                        fields.insert("priority".to_owned(), priority.to_owned());
                    }
                }
                self.state_rules(before, fields, &explicit, actor);
            }
            Table::SysUser => {
                if (explicit("first_name") || explicit("last_name")) && !explicit("name") {
                    let name = [value(fields, "first_name"), value(fields, "last_name")]
                        .iter()
                        .map(|part| part.trim())
                        .filter(|part| !part.is_empty())
                        .collect::<Vec<_>>()
                        .join(" ");
                    fields.insert("name".to_owned(), name);
                }
            }
            Table::SysUserGroup | Table::SysJournalField | Table::SysAttachment => {}
        }
    }

    /// Resolving (6) stamps resolved_at/by, closing (7) also closed_at/by,
    /// and both (and canceling, 8) make the incident inactive; moving back
    /// below 6 reopens it: stamps cleared, active again. Values the client
    /// sent itself win.
    fn state_rules(
        &self,
        before: &BTreeMap<String, String>,
        fields: &mut BTreeMap<String, String>,
        explicit: &dyn Fn(&str) -> bool,
        actor: Actor<'_>,
    ) {
        let old_state = before.get("state").map_or("", String::as_str);
        let new_state = fields.get("state").cloned().unwrap_or_default();
        if old_state == new_state {
            return;
        }
        let now = format_sql_datetime(actor.now);
        let who = self
            .user(actor.user_name)
            .map(|user| user.sys_id().to_owned())
            .unwrap_or_default();
        let mut set = |field: &str, value: &str, only_if_empty: bool| {
            let current = fields.get(field).map_or("", String::as_str);
            if !explicit(field) && (!only_if_empty || current.is_empty()) {
                fields.insert(field.to_owned(), value.to_owned());
            }
        };
        if schema::is_inactive_state(&new_state) {
            set("active", "false", false);
            if matches!(new_state.trim(), "6" | "7") {
                set("resolved_at", &now, true);
                set("resolved_by", &who, true);
            }
            if new_state.trim() == "7" {
                set("closed_at", &now, true);
                set("closed_by", &who, true);
            }
        } else if schema::is_inactive_state(old_state) {
            set("active", "true", false);
            for field in ["resolved_at", "resolved_by", "closed_at", "closed_by"] {
                set(field, "", false);
            }
        }
    }

    fn append_journal(
        &mut self,
        table: Table,
        element_id: &str,
        entries: &[(JournalKind, String)],
        actor: Actor<'_>,
    ) {
        for (kind, text) in entries {
            let sys_id = self.new_sys_id();
            let row = [
                ("sys_id", sys_id),
                ("element_id", element_id.to_owned()),
                ("name", table.name().to_owned()),
                ("element", kind.element().to_owned()),
                ("value", text.clone()),
                ("sys_created_on", format_sql_datetime(actor.now)),
                ("sys_created_by", actor.user_name.to_owned()),
            ]
            .into_iter()
            .map(|(field, value)| (field.to_owned(), value))
            .collect();
            self.push(Table::SysJournalField, row);
        }
    }
}

/// A JSON value as a stored string: numbers and booleans as written,
/// `null` as `""` (clearing the column), `{"value": x}` as `x`.
pub(crate) fn stored_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => number.to_string(),
        Value::Object(object) if object.contains_key("value") => stored_text(&object["value"]),
        other => other.to_string(),
    }
}

/// 32 hex digits.
pub(crate) fn is_sys_id(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const T0: i64 = 1_735_689_600_000; // 2025-01-01 00:00:00

    fn write(fields: &[(&str, &str)]) -> Write {
        Write {
            fields: fields
                .iter()
                .map(|(field, value)| ((*field).to_owned(), (*value).to_owned()))
                .collect(),
            ..Write::default()
        }
    }

    fn stored(store: &Store, sys_id: &str) -> Record {
        store
            .get(Table::Incident, sys_id)
            .cloned()
            .unwrap_or_else(|| panic!("no incident {sys_id}"))
    }

    fn actor(now: i64) -> Actor<'static> {
        Actor {
            user_name: "harness",
            now,
        }
    }

    #[test]
    fn incidents_get_defaults_numbers_and_ids() {
        let mut store = Store::new();
        let first = store.insert(
            Table::Incident,
            &write(&[("short_description", "x"), ("bogus", "y")]),
            actor(T0),
        );
        let second = store.insert(Table::Incident, &write(&[]), actor(T0));
        assert!(is_sys_id(&first) && first != second);
        let record = stored(&store, &first);
        assert_eq!(record.get("number"), "INC0010001");
        assert_eq!(record.get("state"), "1");
        assert_eq!(record.get("active"), "true");
        assert_eq!(record.get("priority"), "5");
        assert_eq!(record.get("opened_at"), "2025-01-01 00:00:00");
        assert_eq!(record.get("sys_created_by"), "harness");
        assert_eq!(record.get("sys_mod_count"), "0");
        assert!(!record.fields.contains_key("bogus"));
        assert_eq!(
            store.get(Table::Incident, &second).map(|r| r.get("number")),
            Some("INC0010002")
        );
        assert_eq!(
            store
                .find(Table::Incident, "inc0010002")
                .map(Record::sys_id),
            Some(second.as_str())
        );
    }

    #[test]
    fn close_and_reopen() -> Result<(), ServiceNowError> {
        let mut store = Store::new();
        let id = store.insert(Table::Incident, &write(&[]), actor(T0));
        let changes = store.update(
            Table::Incident,
            &id,
            &write(&[("state", "7")]),
            actor(T0 + 1_000),
        )?;
        assert!(changes.fields.contains(&"closed_at".to_owned()));
        let record = stored(&store, &id);
        assert_eq!(record.get("closed_at"), "2025-01-01 00:00:01");
        assert_eq!(record.get("resolved_at"), "2025-01-01 00:00:01");
        assert_eq!(record.get("incident_state"), "7");
        assert_eq!(record.get("active"), "false");
        assert_eq!(record.get("sys_mod_count"), "1");

        store.update(
            Table::Incident,
            &id,
            &write(&[("state", "2")]),
            actor(T0 + 2_000),
        )?;
        let record = stored(&store, &id);
        assert_eq!(record.get("closed_at"), "");
        assert_eq!(record.get("resolved_at"), "");
        assert_eq!(record.get("active"), "true");
        Ok(())
    }

    #[test]
    fn a_write_that_changes_nothing_is_not_an_update() -> Result<(), ServiceNowError> {
        let mut store = Store::new();
        let id = store.insert(Table::Incident, &write(&[("state", "2")]), actor(T0));
        let changes = store.update(
            Table::Incident,
            &id,
            &write(&[("state", "2")]),
            actor(T0 + 5_000),
        )?;
        assert!(changes.is_empty());
        let record = stored(&store, &id);
        assert_eq!(record.get("sys_updated_on"), "2025-01-01 00:00:00");
        assert_eq!(
            store.update(Table::Incident, "nope", &write(&[]), actor(T0)),
            Err(ServiceNowError::NoRecord)
        );
        Ok(())
    }

    #[test]
    fn priority_follows_impact_and_urgency() -> Result<(), ServiceNowError> {
        let mut store = Store::new();
        let id = store.insert(
            Table::Incident,
            &write(&[("impact", "1"), ("urgency", "1")]),
            actor(T0),
        );
        assert_eq!(
            store.get(Table::Incident, &id).map(|r| r.get("priority")),
            Some("1")
        );
        store.update(
            Table::Incident,
            &id,
            &write(&[("urgency", "3"), ("priority", "2")]),
            actor(T0),
        )?;
        assert_eq!(
            store.get(Table::Incident, &id).map(|r| r.get("priority")),
            Some("2")
        );
        Ok(())
    }

    #[test]
    fn references_resolve_by_id_name_or_user_name() {
        let mut store = Store::new();
        let user = store.insert(
            Table::SysUser,
            &write(&[
                ("user_name", "beth"),
                ("first_name", "Beth"),
                ("last_name", "Anglin"),
            ]),
            actor(T0),
        );
        assert_eq!(store.full_name("beth"), "Beth Anglin");
        assert_eq!(store.full_name("nobody"), "nobody");
        for given in [user.as_str(), "beth", "Beth Anglin"] {
            let id = store.insert(
                Table::Incident,
                &write(&[("assigned_to", given)]),
                actor(T0),
            );
            assert_eq!(
                store
                    .get(Table::Incident, &id)
                    .map(|r| r.get("assigned_to")),
                Some(user.as_str()),
                "{given}"
            );
        }
        let id = store.insert(
            Table::Incident,
            &write(&[("caller_id", "ghost")]),
            actor(T0),
        );
        assert_eq!(
            store.get(Table::Incident, &id).map(|r| r.get("caller_id")),
            Some("ghost")
        );
    }

    #[test]
    fn labels_need_input_display_value() {
        let mut store = Store::new();
        let raw = store.insert(Table::Incident, &write(&[("state", "Closed")]), actor(T0));
        assert_eq!(
            store.get(Table::Incident, &raw).map(|r| r.get("state")),
            Some("Closed")
        );
        let mut labelled = write(&[("state", "Closed"), ("impact", "1 - High")]);
        labelled.input_display_value = true;
        let id = store.insert(Table::Incident, &labelled, actor(T0));
        let record = stored(&store, &id);
        assert_eq!((record.get("state"), record.get("impact")), ("7", "1"));
    }

    #[test]
    fn dot_walked_paths() {
        let mut store = Store::new();
        let user = store.insert(
            Table::SysUser,
            &write(&[("user_name", "beth"), ("email", "b@x.io")]),
            actor(T0),
        );
        let id = store.insert(Table::Incident, &write(&[("caller_id", &user)]), actor(T0));
        let record = stored(&store, &id);
        assert_eq!(
            store.field_value(Table::Incident, &record, "caller_id.email"),
            "b@x.io"
        );
        assert_eq!(
            store.field_value(Table::Incident, &record, "assigned_to.email"),
            ""
        );
        assert_eq!(
            store.field_kind(Table::Incident, "caller_id.sys_created_on"),
            Some(FieldKind::DateTime)
        );
        assert_eq!(store.field_kind(Table::Incident, "state.x"), None);
        assert_eq!(store.field_kind(Table::Incident, "nonsense"), None);
        assert_eq!(
            store.field_kind(Table::Incident, "u_anything"),
            Some(FieldKind::Text)
        );
    }

    #[test]
    fn body_values_become_strings() {
        assert_eq!(stored_text(&json!("x")), "x");
        assert_eq!(stored_text(&json!(7)), "7");
        assert_eq!(stored_text(&json!(true)), "true");
        assert_eq!(stored_text(&json!(null)), "");
        assert_eq!(stored_text(&json!({"value": "abc", "link": "l"})), "abc");
        assert_eq!(stored_text(&json!([1, 2])), "[1,2]");
    }
}
