//! Comments and work notes: rows of `sys_journal_field`, and the text the
//! journal columns show with display values.
//!
//! A write of `comments` or `work_notes` appends a row `{sys_id, element_id,
//! name, element, value, sys_created_on, sys_created_by}`; raw reads of the
//! journal columns are `""`, display values are the whole journal, newest
//! entry first:
//!
//! ```text
//! 2025-01-01 00:05:00 - Beth Anglin (Additional comments)
//! second comment
//!
//! 2025-01-01 00:01:00 - Harness Integration (Additional comments)
//! first comment
//!
//! ```

use super::schema::{JournalKind, Table};
use super::store::{Record, Store};

/// A record's journal rows of these kinds, oldest first.
pub(crate) fn entries<'a>(
    store: &'a Store,
    table: Table,
    sys_id: &str,
    kinds: &[JournalKind],
) -> Vec<(JournalKind, &'a Record)> {
    let mut rows: Vec<(JournalKind, &Record)> = store
        .records(Table::SysJournalField)
        .iter()
        .filter(|row| row.get("element_id") == sys_id && row.get("name") == table.name())
        .filter_map(|row| {
            let kind = JournalKind::from_element(row.get("element"))?;
            kinds.contains(&kind).then_some((kind, row))
        })
        .collect();
    // The datetime format sorts as text; creation order breaks ties.
    rows.sort_by(|(_, a), (_, b)| {
        (a.get("sys_created_on"), a.seq).cmp(&(b.get("sys_created_on"), b.seq))
    });
    rows
}

/// The display value of a journal column: every entry, newest first.
pub(crate) fn render(store: &Store, table: Table, sys_id: &str, column: &str) -> String {
    entries(store, table, sys_id, JournalKind::shown_in(column))
        .into_iter()
        .rev()
        .map(|(kind, row)| {
            format!(
                "{} - {} ({})\n{}\n\n",
                row.get("sys_created_on"),
                store.full_name(row.get("sys_created_by")),
                kind.label(),
                row.get("value"),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::servicenow::store::{Actor, Write};

    #[test]
    fn renders_newest_first_with_full_names() {
        let mut store = Store::new();
        let at = |now, user_name| Actor { user_name, now };
        let t0 = 1_735_689_600_000;
        let user = Write {
            fields: vec![
                ("user_name".into(), "beth".into()),
                ("name".into(), "Beth Anglin".into()),
            ],
            ..Write::default()
        };
        store.insert(Table::SysUser, &user, at(t0, "admin"));
        let comment = |text: &str, element: &str| Write {
            fields: vec![(element.to_owned(), text.to_owned())],
            ..Write::default()
        };
        let id = store.insert(
            Table::Incident,
            &comment("first", "comments"),
            at(t0, "harness"),
        );
        let later = at(t0 + 60_000, "beth");
        store
            .update(Table::Incident, &id, &comment("note", "work_notes"), later)
            .unwrap_or_default();
        store
            .update(Table::Incident, &id, &comment("second", "comments"), later)
            .unwrap_or_default();

        assert_eq!(
            render(&store, Table::Incident, &id, "comments"),
            "2025-01-01 00:01:00 - Beth Anglin (Additional comments)\nsecond\n\n\
             2025-01-01 00:00:00 - harness (Additional comments)\nfirst\n\n"
        );
        assert_eq!(
            render(&store, Table::Incident, &id, "work_notes"),
            "2025-01-01 00:01:00 - Beth Anglin (Work notes)\nnote\n\n"
        );
        let all = render(&store, Table::Incident, &id, "comments_and_work_notes");
        assert_eq!(all.matches(" - ").count(), 3);
        assert!(all.starts_with("2025-01-01 00:01:00 - Beth Anglin (Additional comments)\nsecond"));
        let oldest_first: Vec<&str> = entries(&store, Table::Incident, &id, &JournalKind::ALL)
            .iter()
            .map(|(_, row)| row.get("value"))
            .collect();
        assert_eq!(oldest_first, ["first", "note", "second"]);
    }
}
