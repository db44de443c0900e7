//! How a record reads: `sysparm_display_value` (`false`, `true`, `all`),
//! `sysparm_exclude_reference_link` and `sysparm_fields`.
//!
//! | column | `false` | `true` | `all` |
//! |---|---|---|---|
//! | reference | `{"link", "value"}` | `{"display_value", "link"}` | `{"display_value", "link", "value"}` |
//! | empty reference | `""` | `""` | `{"display_value": "", "value": ""}` |
//! | choice | `"7"` | `"Closed"` | `{"display_value": "Closed", "value": "7"}` |
//! | journal | `""` | the journal | `{"display_value": <journal>, "value": ""}` |
//! | other | `"x"` | `"x"` | `{"display_value": "x", "value": "x"}` |
//!
//! With `sysparm_exclude_reference_link=true` references lose `link`
//! (and become plain strings outside `all`).

use serde_json::{Map, Value, json};

use super::journal;
use super::schema::{FieldKind, Table};
use super::store::{Record, Store};
use crate::kit::call::Call;
use crate::kit::reply::Reply;

/// `{"result": result}`, the envelope of every Table and Attachment API
/// answer.
pub(crate) fn result(status: u16, result: Value) -> Reply {
    Reply::json(status, json!({ "result": result }))
}

/// `sysparm_display_value`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum DisplayMode {
    /// `false` (the default): stored values.
    #[default]
    Raw,
    /// `true`: display values.
    Display,
    /// `all`: both, as `{"display_value", "value"}`.
    All,
}

impl DisplayMode {
    /// `true` and `all` (ASCII case ignored); anything else is `false`.
    pub(crate) fn parse(text: Option<&str>) -> DisplayMode {
        match text.map(str::trim) {
            Some(text) if text.eq_ignore_ascii_case("true") => DisplayMode::Display,
            Some(text) if text.eq_ignore_ascii_case("all") => DisplayMode::All,
            _ => DisplayMode::Raw,
        }
    }
}

/// How to render records for one request.
#[derive(Clone, Debug, Default)]
pub(crate) struct View {
    pub(crate) mode: DisplayMode,
    pub(crate) exclude_reference_link: bool,
    /// `sysparm_fields`: only these columns (or dot-walked paths), in this
    /// order; `None` for every column.
    pub(crate) fields: Option<Vec<String>>,
    /// `http://host:port`, for reference links.
    pub(crate) base: String,
}

impl View {
    /// How records should read in the answer to `call`.
    pub(crate) fn of(call: &Call<'_>) -> View {
        let fields = call
            .param("sysparm_fields")
            .map(|fields| {
                fields
                    .split(',')
                    .map(str::trim)
                    .filter(|field| !field.is_empty())
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .filter(|fields| !fields.is_empty());
        View {
            mode: DisplayMode::parse(call.param("sysparm_display_value")),
            exclude_reference_link: call.flag("sysparm_exclude_reference_link"),
            fields,
            base: call.base.clone(),
        }
    }

    /// The record as the API shows it.
    pub(crate) fn render(&self, store: &Store, table: Table, record: &Record) -> Value {
        let mut object = Map::new();
        match &self.fields {
            Some(paths) => {
                for path in paths {
                    if store.field_kind(table, path).is_some() {
                        let value = self.render_path(store, table, record, path);
                        object.insert(path.clone(), value);
                    }
                }
            }
            None => {
                for field in record.fields.keys() {
                    let value = self.render_path(store, table, record, field);
                    object.insert(field.clone(), value);
                }
            }
        }
        Value::Object(object)
    }

    fn render_path(&self, store: &Store, table: Table, record: &Record, path: &str) -> Value {
        let (table, record, field) = walk(store, table, record, path);
        let raw = match (record, table.kind(field)) {
            (_, FieldKind::Journal) | (None, _) => "",
            (Some(record), _) => record.get(field),
        };
        match table.kind(field) {
            FieldKind::Reference(target) => self.reference(store, target, raw),
            FieldKind::Journal => {
                let journal = record
                    .map(|record| journal::render(store, table, record.sys_id(), field))
                    .unwrap_or_default();
                self.plain(&journal, raw)
            }
            kind => self.plain(kind.label(raw).unwrap_or(raw), raw),
        }
    }

    /// A column that is not a reference.
    fn plain(&self, display: &str, raw: &str) -> Value {
        match self.mode {
            DisplayMode::Raw => json!(raw),
            DisplayMode::Display => json!(display),
            DisplayMode::All => json!({"display_value": display, "value": raw}),
        }
    }

    fn reference(&self, store: &Store, target: Table, id: &str) -> Value {
        if id.is_empty() {
            return self.plain("", "");
        }
        let display = store
            .get(target, id)
            .map_or("", |referenced| referenced.get(target.display_field()));
        if self.exclude_reference_link {
            return self.plain(display, id);
        }
        let link = format!("{}/api/now/table/{}/{id}", self.base, target.name());
        match self.mode {
            DisplayMode::Raw => json!({"link": link, "value": id}),
            DisplayMode::Display => json!({"display_value": display, "link": link}),
            DisplayMode::All => json!({"display_value": display, "link": link, "value": id}),
        }
    }
}

/// Follows a dot-walked path to the table, record and column it ends at;
/// the record is `None` past an empty or dangling reference.
fn walk<'a, 'p>(
    store: &'a Store,
    table: Table,
    record: &'a Record,
    path: &'p str,
) -> (Table, Option<&'a Record>, &'p str) {
    let mut table = table;
    let mut record = Some(record);
    let mut segments = path.split('.').peekable();
    while let Some(segment) = segments.next() {
        if segments.peek().is_none() {
            return (table, record, segment);
        }
        let FieldKind::Reference(target) = table.kind(segment) else {
            return (table, None, segment);
        };
        record = record.and_then(|current| store.get(target, current.get(segment)));
        table = target;
    }
    (table, record, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::servicenow::store::{Actor, Write};

    fn write(fields: &[(&str, &str)]) -> Write {
        Write {
            fields: fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            ..Write::default()
        }
    }

    fn fixture() -> (Store, String) {
        let mut store = Store::new();
        let actor = Actor {
            user_name: "beth",
            now: 1_735_689_600_000,
        };
        let beth = store.insert(
            Table::SysUser,
            &write(&[
                ("user_name", "beth"),
                ("name", "Beth Anglin"),
                ("email", "beth@x.io"),
            ]),
            actor,
        );
        let incident = store.insert(
            Table::Incident,
            &write(&[
                ("assigned_to", &beth),
                ("state", "2"),
                ("comments", "hello"),
            ]),
            actor,
        );
        (store, incident)
    }

    fn view(mode: DisplayMode, exclude: bool, fields: Option<&[&str]>) -> View {
        View {
            mode,
            exclude_reference_link: exclude,
            fields: fields.map(|fields| fields.iter().map(|f| (*f).to_owned()).collect()),
            base: "http://sn.test".to_owned(),
        }
    }

    fn render(store: &Store, id: &str, view: &View) -> Value {
        store
            .get(Table::Incident, id)
            .map(|record| view.render(store, Table::Incident, record))
            .unwrap_or_default()
    }

    #[test]
    fn raw_display_and_all() {
        let (store, id) = fixture();
        let fields = [
            "assigned_to",
            "caller_id",
            "state",
            "comments",
            "assigned_to.email",
            "nope",
        ];
        let beth = store.records(Table::SysUser)[0].sys_id().to_owned();
        let link = format!("http://sn.test/api/now/table/sys_user/{beth}");
        let journal = "2025-01-01 00:00:00 - Beth Anglin (Additional comments)\nhello\n\n";

        let raw = render(&store, &id, &view(DisplayMode::Raw, false, Some(&fields)));
        assert_eq!(
            raw,
            json!({
                "assigned_to": {"link": link, "value": beth},
                "caller_id": "",
                "state": "2",
                "comments": "",
                "assigned_to.email": "beth@x.io",
            })
        );
        let display = render(
            &store,
            &id,
            &view(DisplayMode::Display, false, Some(&fields)),
        );
        assert_eq!(
            display["assigned_to"],
            json!({"display_value": "Beth Anglin", "link": link})
        );
        assert_eq!(display["state"], "In Progress");
        assert_eq!(display["comments"], journal);

        let all = render(&store, &id, &view(DisplayMode::All, false, Some(&fields)));
        assert_eq!(
            all["assigned_to"],
            json!({"display_value": "Beth Anglin", "link": link, "value": beth})
        );
        assert_eq!(all["caller_id"], json!({"display_value": "", "value": ""}));
        assert_eq!(
            all["state"],
            json!({"display_value": "In Progress", "value": "2"})
        );
        assert_eq!(
            all["comments"],
            json!({"display_value": journal, "value": ""})
        );
    }

    #[test]
    fn excluded_reference_links() {
        let (store, id) = fixture();
        let beth = store.records(Table::SysUser)[0].sys_id().to_owned();
        let fields = Some(&["assigned_to"][..]);
        let raw = render(&store, &id, &view(DisplayMode::Raw, true, fields));
        assert_eq!(raw, json!({"assigned_to": beth}));
        let display = render(&store, &id, &view(DisplayMode::Display, true, fields));
        assert_eq!(display, json!({"assigned_to": "Beth Anglin"}));
        let all = render(&store, &id, &view(DisplayMode::All, true, fields));
        assert_eq!(
            all,
            json!({"assigned_to": {"display_value": "Beth Anglin", "value": beth}})
        );
    }

    #[test]
    fn every_column_by_default() {
        let (store, id) = fixture();
        let raw = render(&store, &id, &view(DisplayMode::Raw, false, None));
        assert_eq!(raw["number"], "INC0010001");
        assert_eq!(raw["work_notes"], "");
        assert_eq!(raw["sys_class_name"], "incident");
        assert!(raw.as_object().is_some_and(|o| o.len() > 30));
    }

    #[test]
    fn display_modes_parse() {
        assert_eq!(DisplayMode::parse(Some("TRUE")), DisplayMode::Display);
        assert_eq!(DisplayMode::parse(Some("all")), DisplayMode::All);
        assert_eq!(DisplayMode::parse(Some("false")), DisplayMode::Raw);
        assert_eq!(DisplayMode::parse(Some("maybe")), DisplayMode::Raw);
        assert_eq!(DisplayMode::parse(None), DisplayMode::Raw);
    }
}
