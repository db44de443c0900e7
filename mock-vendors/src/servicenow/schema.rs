//! The tables the mock knows and what it knows about their columns: which
//! are references (and to what), choices (and their labels), datetimes,
//! journals.

/// A table of the mock instance.
///
/// [`SysAttachment`](Table::SysAttachment) holds attachment metadata and is
/// reached only through the Attachment API; the other four are the Table
/// API's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Table {
    Incident,
    SysUser,
    SysUserGroup,
    SysJournalField,
    SysAttachment,
}

/// What a column holds, as far as queries and display values care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FieldKind {
    Text,
    Integer,
    Boolean,
    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    DateTime,
    /// A sys_id of a record in this table.
    Reference(Table),
    /// Stored values with display labels (value, label).
    Choice(&'static [(&'static str, &'static str)]),
    /// Read as `""`; writes append to `sys_journal_field`.
    Journal,
}

/// Columns every table has.
const SYSTEM_FIELDS: [&str; 6] = [
    "sys_id",
    "sys_created_on",
    "sys_created_by",
    "sys_updated_on",
    "sys_updated_by",
    "sys_mod_count",
];

const INCIDENT_FIELDS: [&str; 28] = [
    "number",
    "short_description",
    "description",
    "state",
    "incident_state",
    "impact",
    "urgency",
    "priority",
    "severity",
    "active",
    "opened_at",
    "opened_by",
    "caller_id",
    "assigned_to",
    "assignment_group",
    "category",
    "subcategory",
    "close_code",
    "close_notes",
    "closed_at",
    "closed_by",
    "resolved_at",
    "resolved_by",
    "comments",
    "work_notes",
    "comments_and_work_notes",
    "contact_type",
    "sys_class_name",
];

const SYS_USER_FIELDS: [&str; 8] = [
    "user_name",
    "name",
    "first_name",
    "last_name",
    "email",
    "title",
    "department",
    "active",
];

const SYS_USER_GROUP_FIELDS: [&str; 5] = ["name", "description", "email", "manager", "active"];

/// Journal rows have no `sys_updated_*` columns.
const SYS_JOURNAL_FIELD_FIELDS: [&str; 7] = [
    "sys_id",
    "element_id",
    "name",
    "element",
    "value",
    "sys_created_on",
    "sys_created_by",
];

const SYS_ATTACHMENT_FIELDS: [&str; 7] = [
    "file_name",
    "table_name",
    "table_sys_id",
    "content_type",
    "size_bytes",
    "size_compressed",
    "compressed",
];

/// Incident states (also `incident_state`).
pub(crate) const STATES: [(&str, &str); 8] = [
    ("1", "New"),
    ("2", "In Progress"),
    ("3", "On Hold"),
    ("4", "Awaiting Caller"),
    ("5", "Awaiting Evidence"),
    ("6", "Resolved"),
    ("7", "Closed"),
    ("8", "Canceled"),
];

/// Impact, urgency and severity.
const LEVELS: [(&str, &str); 3] = [("1", "1 - High"), ("2", "2 - Medium"), ("3", "3 - Low")];

const PRIORITIES: [(&str, &str); 5] = [
    ("1", "1 - Critical"),
    ("2", "2 - High"),
    ("3", "3 - Moderate"),
    ("4", "4 - Low"),
    ("5", "5 - Planning"),
];

const CATEGORIES: [(&str, &str); 6] = [
    ("inquiry", "Inquiry / Help"),
    ("software", "Software"),
    ("hardware", "Hardware"),
    ("network", "Network"),
    ("database", "Database"),
    ("security", "Security"),
];

/// The journal columns of a table with a journal.
pub(crate) const JOURNAL_FIELDS: [&str; 3] = ["comments", "work_notes", "comments_and_work_notes"];

impl Table {
    /// The tables the Table API serves.
    pub(crate) const API: [Table; 4] = [
        Table::Incident,
        Table::SysUser,
        Table::SysUserGroup,
        Table::SysJournalField,
    ];

    /// A Table API table by name; `sys_attachment` is not one.
    pub(crate) fn from_api_name(name: &str) -> Option<Table> {
        Table::API.into_iter().find(|table| table.name() == name)
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Table::Incident => "incident",
            Table::SysUser => "sys_user",
            Table::SysUserGroup => "sys_user_group",
            Table::SysJournalField => "sys_journal_field",
            Table::SysAttachment => "sys_attachment",
        }
    }

    /// The built-in columns, system columns included.
    pub(crate) fn fields(self) -> impl Iterator<Item = &'static str> {
        let (system, own): (&[&str], &[&str]) = match self {
            Table::Incident => (&SYSTEM_FIELDS, &INCIDENT_FIELDS),
            Table::SysUser => (&SYSTEM_FIELDS, &SYS_USER_FIELDS),
            Table::SysUserGroup => (&SYSTEM_FIELDS, &SYS_USER_GROUP_FIELDS),
            Table::SysJournalField => (&[], &SYS_JOURNAL_FIELD_FIELDS),
            Table::SysAttachment => (&SYSTEM_FIELDS, &SYS_ATTACHMENT_FIELDS),
        };
        system.iter().chain(own).copied()
    }

    /// Whether `field` is a built-in column.
    pub(crate) fn has_builtin(self, field: &str) -> bool {
        self.fields().any(|known| known == field)
    }

    /// Whether the table keeps `sys_updated_*` and `sys_mod_count`.
    pub(crate) fn tracks_updates(self) -> bool {
        self != Table::SysJournalField
    }

    /// The column whose value stands for a record in display values.
    pub(crate) fn display_field(self) -> &'static str {
        match self {
            Table::Incident => "number",
            Table::SysUser | Table::SysUserGroup => "name",
            Table::SysJournalField => "value",
            Table::SysAttachment => "file_name",
        }
    }

    /// What a column holds; unknown and custom columns are text.
    pub(crate) fn kind(self, field: &str) -> FieldKind {
        match (self, field) {
            (_, "sys_created_on" | "sys_updated_on") => FieldKind::DateTime,
            (_, "sys_mod_count") => FieldKind::Integer,
            (Table::Incident, "opened_at" | "closed_at" | "resolved_at") => FieldKind::DateTime,
            (
                Table::Incident,
                "opened_by" | "caller_id" | "assigned_to" | "closed_by" | "resolved_by",
            ) => FieldKind::Reference(Table::SysUser),
            (Table::Incident, "assignment_group") => FieldKind::Reference(Table::SysUserGroup),
            (Table::Incident, "state" | "incident_state") => FieldKind::Choice(&STATES),
            (Table::Incident, "impact" | "urgency" | "severity") => FieldKind::Choice(&LEVELS),
            (Table::Incident, "priority") => FieldKind::Choice(&PRIORITIES),
            (Table::Incident, "category") => FieldKind::Choice(&CATEGORIES),
            (Table::Incident, field) if JOURNAL_FIELDS.contains(&field) => FieldKind::Journal,
            (Table::Incident | Table::SysUser | Table::SysUserGroup, "active") => {
                FieldKind::Boolean
            }
            (Table::SysUserGroup, "manager") => FieldKind::Reference(Table::SysUser),
            (Table::SysAttachment, "size_bytes" | "size_compressed") => FieldKind::Integer,
            (Table::SysAttachment, "compressed") => FieldKind::Boolean,
            _ => FieldKind::Text,
        }
    }

    /// Whether clients may set `field` in a write (system columns are
    /// stamped by the instance).
    pub(crate) fn is_writable(self, field: &str) -> bool {
        !SYSTEM_FIELDS.contains(&field) && field != "sys_class_name"
    }
}

impl FieldKind {
    /// The label of a stored value; values without a label show as
    /// themselves.
    pub(crate) fn label(self, value: &str) -> Option<&'static str> {
        match self {
            FieldKind::Choice(choices) => choices
                .iter()
                .find(|(stored, _)| *stored == value)
                .map(|(_, label)| *label),
            _ => None,
        }
    }

    /// The stored value for a label or a value (`"Closed"`, `"7 - Closed"`
    /// and `"7"` all give `"7"`; `"High"` and `"1 - High"` give `"1"`),
    /// ASCII case ignored.
    pub(crate) fn value_for_label(self, text: &str) -> Option<&'static str> {
        let FieldKind::Choice(choices) = self else {
            return None;
        };
        let text = text.trim();
        choices.iter().find_map(|(value, label)| {
            // Labels like "1 - High" also answer to "High" and vice versa.
            let bare = label.split_once(" - ").map_or(*label, |(_, bare)| bare);
            let numbered = format!("{value} - {bare}");
            let matches = [value, label, bare, numbered.as_str()]
                .iter()
                .any(|candidate| text.eq_ignore_ascii_case(candidate));
            matches.then_some(*value)
        })
    }
}

/// Priority from impact and urgency, as the instance's data lookup does:
/// 1+1 is Critical, 3+3 is Planning.
pub(crate) fn priority_for(impact: &str, urgency: &str) -> Option<&'static str> {
    let impact: u8 = impact.trim().parse().ok().filter(|n| (1..=3).contains(n))?;
    let urgency: u8 = urgency
        .trim()
        .parse()
        .ok()
        .filter(|n| (1..=3).contains(n))?;
    Some(match impact + urgency {
        2 => "1",
        3 => "2",
        4 => "3",
        5 => "4",
        _ => "5",
    })
}

/// Whether an incident in this state is finished (Resolved, Closed,
/// Canceled).
pub(crate) fn is_inactive_state(state: &str) -> bool {
    matches!(state.trim(), "6" | "7" | "8")
}

/// Which journal an entry belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JournalKind {
    Comments,
    WorkNotes,
}

impl JournalKind {
    pub(crate) const ALL: [JournalKind; 2] = [JournalKind::Comments, JournalKind::WorkNotes];

    /// The journal column (`element`): `comments` or `work_notes`.
    pub(crate) fn element(self) -> &'static str {
        match self {
            JournalKind::Comments => "comments",
            JournalKind::WorkNotes => "work_notes",
        }
    }

    /// The kind written through this column; `comments_and_work_notes` is
    /// read-only.
    pub(crate) fn from_element(element: &str) -> Option<JournalKind> {
        JournalKind::ALL
            .into_iter()
            .find(|kind| kind.element() == element)
    }

    /// How an entry header names the journal.
    pub(crate) fn label(self) -> &'static str {
        match self {
            JournalKind::Comments => "Additional comments",
            JournalKind::WorkNotes => "Work notes",
        }
    }

    /// The journals a journal column shows.
    pub(crate) fn shown_in(column: &str) -> &'static [JournalKind] {
        match column {
            "comments" => &[JournalKind::Comments],
            "work_notes" => &[JournalKind::WorkNotes],
            "comments_and_work_notes" => &JournalKind::ALL,
            _ => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_tables_by_name() {
        assert_eq!(Table::from_api_name("incident"), Some(Table::Incident));
        assert_eq!(
            Table::from_api_name("sys_journal_field"),
            Some(Table::SysJournalField)
        );
        assert_eq!(Table::from_api_name("sys_attachment"), None);
        assert_eq!(Table::from_api_name("problem"), None);
    }

    #[test]
    fn labels_both_ways() {
        let state = Table::Incident.kind("state");
        assert_eq!(state.label("7"), Some("Closed"));
        assert_eq!(state.label("42"), None);
        for text in ["7", "closed", "7 - Closed", " Closed "] {
            assert_eq!(state.value_for_label(text), Some("7"), "{text}");
        }
        let impact = Table::Incident.kind("impact");
        assert_eq!(impact.value_for_label("1 - High"), Some("1"));
        assert_eq!(impact.value_for_label("High"), Some("1"));
        assert_eq!(FieldKind::Text.value_for_label("1"), None);
    }

    #[test]
    fn priority_matrix() {
        assert_eq!(priority_for("1", "1"), Some("1"));
        assert_eq!(priority_for("1", "2"), Some("2"));
        assert_eq!(priority_for("2", "2"), Some("3"));
        assert_eq!(priority_for("3", "2"), Some("4"));
        assert_eq!(priority_for("3", "3"), Some("5"));
        assert_eq!(priority_for("4", "1"), None);
        assert_eq!(priority_for("", "1"), None);
    }

    #[test]
    fn kinds() {
        assert_eq!(
            Table::Incident.kind("assigned_to"),
            FieldKind::Reference(Table::SysUser)
        );
        assert_eq!(Table::Incident.kind("comments"), FieldKind::Journal);
        assert_eq!(Table::SysUser.kind("comments"), FieldKind::Text);
        assert_eq!(
            Table::SysJournalField.kind("sys_created_on"),
            FieldKind::DateTime
        );
        assert_eq!(Table::Incident.kind("u_custom"), FieldKind::Text);
        assert!(!Table::SysJournalField.has_builtin("sys_updated_on"));
    }
}
