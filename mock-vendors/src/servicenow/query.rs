//! Encoded queries (`sysparm_query`): parsing, matching and `ORDERBY`.
//!
//! ```text
//! stateNOT IN6,7^ORDERBYopened_at^opened_at>2024-01-02 03:04:05
//! element_id=<id>^element=comments^ORelement=work_notes
//! priority=1^NQstate=2
//! ```
//!
//! `^` joins conditions with AND; `^OR` binds tighter, to the condition
//! before it (`a^b^ORc` is a AND (b OR c)); `^NQ` starts a new group, and a
//! record matches when any group does. Parts the instance cannot use (an
//! unknown column, an unknown operator, a datetime that does not parse)
//! are dropped silently, as the real instance does by default. Text
//! compares ignore ASCII case; numbers and datetimes compare as such.

use std::cmp::Ordering;

use crate::clock::{parse_iso, parse_sql_datetime};

/// How a column's values compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ValueKind {
    Text,
    Number,
    DateTime,
}

/// A parsed encoded query.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Query {
    /// OR'd groups (`^NQ`); no groups matches everything.
    groups: Vec<Group>,
    order: Vec<OrderKey>,
}

/// Conditions joined by AND, each an OR of alternatives.
#[derive(Clone, Debug, Default, PartialEq)]
struct Group {
    clauses: Vec<Vec<Condition>>,
}

#[derive(Clone, Debug, PartialEq)]
struct Condition {
    path: String,
    operator: Operator,
}

#[derive(Clone, Debug, PartialEq)]
enum Operator {
    Equals(Operand),
    NotEquals(Operand),
    Greater(Operand),
    GreaterOrEqual(Operand),
    Less(Operand),
    LessOrEqual(Operand),
    Like(String),
    NotLike(String),
    StartsWith(String),
    EndsWith(String),
    In(Vec<Operand>),
    NotIn(Vec<Operand>),
    IsEmpty,
    IsNotEmpty,
    Anything,
    Between(Operand, Operand),
}

/// A comparison value, parsed for the column's kind.
#[derive(Clone, Debug, PartialEq)]
enum Operand {
    /// Lowercased.
    Text(String),
    Number(f64),
    /// Epoch millis.
    Instant(i64),
}

#[derive(Clone, Debug, PartialEq)]
struct OrderKey {
    path: String,
    kind: ValueKind,
    descending: bool,
}

/// Operators by their encoded spelling, longest first where one is a
/// prefix of another.
const OPERATORS: [&str; 17] = [
    "ISNOTEMPTY",
    "ISEMPTY",
    "ANYTHING",
    "NOT LIKE",
    "NOTLIKE",
    "NOT IN",
    "STARTSWITH",
    "ENDSWITH",
    "BETWEEN",
    "LIKE",
    "IN",
    "!=",
    ">=",
    "<=",
    ">",
    "<",
    "=",
];

impl Query {
    /// Parses `text`; `kind_of` says how a column (or dot-walked path)
    /// compares, `None` for one the table does not have.
    pub(crate) fn parse(text: &str, kind_of: &dyn Fn(&str) -> Option<ValueKind>) -> Query {
        let mut query = Query::default();
        let mut group = Group::default();
        for token in split_tokens(text) {
            if token.is_empty() || token == "EQ" {
                continue;
            }
            if let Some(path) = token.strip_prefix("ORDERBYDESC") {
                query.push_order(path, true, kind_of);
            } else if let Some(path) = token.strip_prefix("ORDERBY") {
                query.push_order(path, false, kind_of);
            } else if let Some(rest) = token.strip_prefix("NQ") {
                query.groups.push(std::mem::take(&mut group));
                group
                    .clauses
                    .push(Condition::parse(rest, kind_of).into_iter().collect());
            } else if let Some(rest) = token.strip_prefix("OR") {
                let condition = Condition::parse(rest, kind_of);
                match group.clauses.last_mut() {
                    Some(clause) => clause.extend(condition),
                    None => group.clauses.push(condition.into_iter().collect()),
                }
            } else {
                let condition = Condition::parse(&token, kind_of);
                group.clauses.push(condition.into_iter().collect());
            }
        }
        query.groups.push(group);
        // Placeholders of dropped conditions anchored `^OR`s; now they go.
        for group in &mut query.groups {
            group
                .clauses
                .retain(|alternatives| !alternatives.is_empty());
        }
        query.groups.retain(|group| !group.clauses.is_empty());
        query
    }

    fn push_order(
        &mut self,
        path: &str,
        descending: bool,
        kind_of: &dyn Fn(&str) -> Option<ValueKind>,
    ) {
        if let Some(kind) = kind_of(path) {
            self.order.push(OrderKey {
                path: path.to_owned(),
                kind,
                descending,
            });
        }
    }

    /// Adds `path = value` to every group (name-value filter parameters).
    pub(crate) fn and_equals(&mut self, path: &str, value: &str, kind: ValueKind) {
        let condition = Condition {
            path: path.to_owned(),
            operator: Operator::Equals(Operand::parse(value, kind)),
        };
        if self.groups.is_empty() {
            self.groups.push(Group::default());
        }
        for group in &mut self.groups {
            group.clauses.push(vec![condition.clone()]);
        }
    }

    /// Whether a record matches; `value_of` gives a path's raw value.
    pub(crate) fn matches(&self, value_of: &dyn Fn(&str) -> String) -> bool {
        self.groups.is_empty() || self.groups.iter().any(|group| group.matches(value_of))
    }

    /// Sorts `items` by the `ORDERBY` keys (stably, so ties keep their
    /// order); `value_of` gives an item's raw value for a path.
    pub(crate) fn sort<T>(&self, items: &mut [T], value_of: &dyn Fn(&T, &str) -> String) {
        if self.order.is_empty() {
            return;
        }
        items.sort_by_cached_key(|item| {
            self.order
                .iter()
                .map(|key| SortKey {
                    value: SortValue::of(&value_of(item, &key.path), key.kind),
                    descending: key.descending,
                })
                .collect::<Vec<_>>()
        });
    }
}

impl Group {
    fn matches(&self, value_of: &dyn Fn(&str) -> String) -> bool {
        self.clauses.iter().all(|alternatives| {
            alternatives
                .iter()
                .any(|condition| condition.matches(&value_of(&condition.path)))
        })
    }
}

/// Splits on `^`; `^^` is a literal `^`.
fn split_tokens(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '^' {
            current.push(c);
        } else if chars.peek() == Some(&'^') {
            chars.next();
            current.push('^');
        } else {
            tokens.push(std::mem::take(&mut current));
        }
    }
    tokens.push(current);
    tokens
}

impl Condition {
    /// `<path><OPERATOR><value>`, or `None` when it cannot be used.
    fn parse(text: &str, kind_of: &dyn Fn(&str) -> Option<ValueKind>) -> Option<Condition> {
        let path_end = text
            .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.'))
            .unwrap_or(text.len());
        let (path, rest) = text.split_at(path_end);
        let kind = kind_of(path)?;
        let spelling = OPERATORS.into_iter().find(|op| rest.starts_with(op))?;
        let value = &rest[spelling.len()..];
        let operand = || Operand::parse(value, kind);
        let ordered = || Operand::parse_ordered(value, kind);
        let text_value = || value.to_lowercase();
        let list = || {
            value
                .split(',')
                .map(|item| Operand::parse(item, kind))
                .collect()
        };
        let operator = match spelling {
            "ISNOTEMPTY" => Operator::IsNotEmpty,
            "ISEMPTY" => Operator::IsEmpty,
            "ANYTHING" => Operator::Anything,
            "NOT LIKE" | "NOTLIKE" => Operator::NotLike(text_value()),
            "NOT IN" => Operator::NotIn(list()),
            "STARTSWITH" => Operator::StartsWith(text_value()),
            "ENDSWITH" => Operator::EndsWith(text_value()),
            "LIKE" => Operator::Like(text_value()),
            "IN" => Operator::In(list()),
            "!=" => Operator::NotEquals(operand()),
            ">=" => Operator::GreaterOrEqual(ordered()?),
            "<=" => Operator::LessOrEqual(ordered()?),
            ">" => Operator::Greater(ordered()?),
            "<" => Operator::Less(ordered()?),
            "=" => Operator::Equals(operand()),
            _ => {
                // BETWEEN
                let (low, high) = value.split_once('@')?;
                Operator::Between(
                    Operand::parse_ordered(low, kind)?,
                    Operand::parse_ordered(high, kind)?,
                )
            }
        };
        Some(Condition {
            path: path.to_owned(),
            operator,
        })
    }

    fn matches(&self, value: &str) -> bool {
        let lower = || value.to_lowercase();
        let compare = |operand: &Operand| operand.compare(value);
        match &self.operator {
            Operator::Equals(operand) => compare(operand) == Some(Ordering::Equal),
            Operator::NotEquals(operand) => compare(operand) != Some(Ordering::Equal),
            Operator::Greater(operand) => compare(operand) == Some(Ordering::Greater),
            Operator::GreaterOrEqual(operand) => {
                matches!(compare(operand), Some(Ordering::Greater | Ordering::Equal))
            }
            Operator::Less(operand) => compare(operand) == Some(Ordering::Less),
            Operator::LessOrEqual(operand) => {
                matches!(compare(operand), Some(Ordering::Less | Ordering::Equal))
            }
            Operator::Like(text) => lower().contains(text.as_str()),
            Operator::NotLike(text) => !lower().contains(text.as_str()),
            Operator::StartsWith(text) => lower().starts_with(text.as_str()),
            Operator::EndsWith(text) => lower().ends_with(text.as_str()),
            Operator::In(items) => items
                .iter()
                .any(|item| compare(item) == Some(Ordering::Equal)),
            Operator::NotIn(items) => items
                .iter()
                .all(|item| compare(item) != Some(Ordering::Equal)),
            Operator::IsEmpty => value.trim().is_empty(),
            Operator::IsNotEmpty => !value.trim().is_empty(),
            Operator::Anything => true,
            Operator::Between(low, high) => {
                matches!(compare(low), Some(Ordering::Greater | Ordering::Equal))
                    && matches!(compare(high), Some(Ordering::Less | Ordering::Equal))
            }
        }
    }
}

impl Operand {
    /// For equality: the column's kind when the text parses as one, else
    /// text (so `closed_at=` means "is empty").
    fn parse(text: &str, kind: ValueKind) -> Operand {
        Operand::parse_ordered(text, kind).unwrap_or_else(|| Operand::Text(text.to_lowercase()))
    }

    /// For ordering: a number or datetime column needs a number or a
    /// datetime.
    fn parse_ordered(text: &str, kind: ValueKind) -> Option<Operand> {
        match kind {
            ValueKind::Text => Some(Operand::Text(text.to_lowercase())),
            ValueKind::Number => text.trim().parse().ok().map(Operand::Number),
            ValueKind::DateTime => parse_instant(text).map(Operand::Instant),
        }
    }

    /// How a stored value compares with this operand; `None` when they
    /// cannot be compared (an empty datetime, a non-number).
    fn compare(&self, value: &str) -> Option<Ordering> {
        match self {
            Operand::Text(text) => Some(value.to_lowercase().as_str().cmp(text.as_str())),
            Operand::Number(number) => {
                let value: f64 = value.trim().parse().ok()?;
                value.partial_cmp(number)
            }
            Operand::Instant(instant) => Some(parse_instant(value)?.cmp(instant)),
        }
    }
}

/// A datetime as clients write it: `YYYY-MM-DD HH:MM:SS` (a fraction is
/// ignored), `YYYY-MM-DD`, ISO-8601, or
/// `javascript:gs.dateGenerate('2019-01-01','00:00:00')` (the time may be
/// `start` or `end`).
pub(crate) fn parse_instant(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Some(arguments) = text
        .strip_prefix("javascript:gs.dateGenerate(")
        .and_then(|rest| rest.strip_suffix(')'))
    {
        let unquote = |part: &str| {
            part.trim()
                .trim_matches(|c| c == '\'' || c == '"')
                .to_owned()
        };
        let (date, time) = arguments.split_once(',')?;
        let time = match unquote(time).as_str() {
            "start" => "00:00:00".to_owned(),
            "end" => "23:59:59".to_owned(),
            time => time.to_owned(),
        };
        return parse_sql_datetime(&format!("{} {time}", unquote(date)));
    }
    if !text.is_ascii() {
        return None;
    }
    if text.len() == 10 {
        return parse_sql_datetime(&format!("{text} 00:00:00"));
    }
    if text.len() < 19 {
        return None;
    }
    let head = text[..19].replacen('T', " ", 1);
    let tail = &text[19..];
    let fraction = tail.strip_prefix('.').unwrap_or(tail);
    let fraction = fraction.strip_suffix(['Z', 'z']).unwrap_or(fraction);
    if fraction.bytes().all(|b| b.is_ascii_digit()) && (tail.is_empty() || tail != fraction) {
        return parse_sql_datetime(&head);
    }
    parse_iso(&text.replacen(' ', "T", 1))
}

/// One `ORDERBY` key of one item.
#[derive(Clone, Debug, PartialEq)]
struct SortKey {
    value: SortValue,
    descending: bool,
}

/// Empty and unparsable values sort first.
#[derive(Clone, Debug, PartialEq)]
enum SortValue {
    Missing,
    Number(f64),
    Instant(i64),
    Text(String),
}

impl SortValue {
    fn of(value: &str, kind: ValueKind) -> SortValue {
        let parsed = match kind {
            ValueKind::Number => value.trim().parse().ok().map(SortValue::Number),
            ValueKind::DateTime => parse_instant(value).map(SortValue::Instant),
            ValueKind::Text => (!value.is_empty()).then(|| SortValue::Text(value.to_lowercase())),
        };
        parsed.unwrap_or(SortValue::Missing)
    }

    fn rank(&self) -> u8 {
        match self {
            SortValue::Missing => 0,
            SortValue::Number(_) => 1,
            SortValue::Instant(_) => 2,
            SortValue::Text(_) => 3,
        }
    }
}

impl Eq for SortKey {}

impl Ord for SortKey {
    fn cmp(&self, other: &Self) -> Ordering {
        let ordering = match (&self.value, &other.value) {
            (SortValue::Number(a), SortValue::Number(b)) => a.total_cmp(b),
            (SortValue::Instant(a), SortValue::Instant(b)) => a.cmp(b),
            (SortValue::Text(a), SortValue::Text(b)) => a.cmp(b),
            (a, b) => a.rank().cmp(&b.rank()),
        };
        if self.descending {
            ordering.reverse()
        } else {
            ordering
        }
    }
}

impl PartialOrd for SortKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn kind_of(path: &str) -> Option<ValueKind> {
        match path {
            "state" | "priority" | "sys_mod_count" => Some(ValueKind::Number),
            "opened_at" | "sys_created_on" | "sys_updated_on" | "closed_at" => {
                Some(ValueKind::DateTime)
            }
            "number" | "short_description" | "element" | "element_id" | "active"
            | "caller_id.name" | "category" => Some(ValueKind::Text),
            _ => None,
        }
    }

    fn parse(text: &str) -> Query {
        Query::parse(text, &kind_of)
    }

    fn record(fields: &[(&str, &str)]) -> BTreeMap<String, String> {
        fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn matches(query: &str, fields: &[(&str, &str)]) -> bool {
        let record = record(fields);
        parse(query).matches(&|path| record.get(path).cloned().unwrap_or_default())
    }

    #[test]
    fn client_strings_parse_into_the_expected_shape() {
        let query = parse("stateNOT IN6,7^ORDERBYopened_at^opened_at>2024-01-02 03:04:05");
        assert_eq!(query.groups.len(), 1);
        assert_eq!(query.groups[0].clauses.len(), 2);
        assert_eq!(query.order.len(), 1);
        assert!(!query.order[0].descending);

        let notes = parse(
            "element_id=abc^element=comments^ORelement=work_notes^sys_created_on>2024-01-02 03:04:05",
        );
        let clauses = &notes.groups[0].clauses;
        assert_eq!(clauses.iter().map(Vec::len).collect::<Vec<_>>(), [1, 2, 1]);
    }

    #[test]
    fn every_operator() {
        let r = [
            ("state", "2"),
            ("short_description", "Phishing mail from Eve"),
            ("opened_at", "2024-03-01 10:00:00"),
            ("closed_at", ""),
            ("number", "INC0010002"),
        ];
        let cases: [(&str, bool); 38] = [
            ("state=2", true),
            ("state=3", false),
            ("state!=2", false),
            ("state!=3", true),
            ("state>1", true),
            ("state>2", false),
            ("state>=2", true),
            ("state<2", false),
            ("state<3", true),
            ("state<=2", true),
            ("state<10", true),
            ("short_descriptionLIKEmail", true),
            ("short_descriptionLIKEMAIL", true),
            ("short_descriptionNOTLIKEmail", false),
            ("short_descriptionNOT LIKEspam", true),
            ("short_descriptionSTARTSWITHphish", true),
            ("short_descriptionSTARTSWITHmail", false),
            ("short_descriptionENDSWITHeve", true),
            ("short_descriptionENDSWITHmail", false),
            ("stateIN1,2,3", true),
            ("stateIN6,7", false),
            ("stateNOT IN6,7", true),
            ("stateNOT IN2", false),
            ("closed_atISEMPTY", true),
            ("opened_atISEMPTY", false),
            ("opened_atISNOTEMPTY", true),
            ("closed_atISNOTEMPTY", false),
            ("closed_atANYTHING", true),
            ("stateBETWEEN1@2", true),
            ("stateBETWEEN3@5", false),
            (
                "opened_atBETWEEN2024-03-01 00:00:00@2024-03-02 00:00:00",
                true,
            ),
            ("opened_at>2024-03-01 09:59:59", true),
            ("opened_at>2024-03-01 10:00:00", false),
            ("opened_at>=2024-03-01 10:00:00", true),
            ("opened_at<2024-03-01", false),
            (
                "opened_at>javascript:gs.dateGenerate('2024-03-01','start')",
                true,
            ),
            ("closed_at>2024-01-01 00:00:00", false),
            ("number=inc0010002", true),
        ];
        for (query, expected) in cases {
            assert_eq!(matches(query, &r), expected, "{query}");
        }
    }

    #[test]
    fn or_binds_to_the_neighbouring_condition() {
        // a ^ (b OR c)
        let query = "state=1^element=comments^ORelement=work_notes";
        assert!(matches(query, &[("state", "1"), ("element", "work_notes")]));
        assert!(!matches(
            query,
            &[("state", "2"), ("element", "work_notes")]
        ));
        assert!(!matches(query, &[("state", "1"), ("element", "other")]));
        // (a OR b) ^ c
        let query = "state=1^ORstate=2^element=comments";
        assert!(matches(query, &[("state", "2"), ("element", "comments")]));
        assert!(!matches(
            query,
            &[("state", "2"), ("element", "work_notes")]
        ));
    }

    #[test]
    fn nq_starts_an_ored_group() {
        let query = "state=1^element=comments^NQstate=2";
        assert!(matches(query, &[("state", "1"), ("element", "comments")]));
        assert!(!matches(query, &[("state", "1"), ("element", "x")]));
        assert!(matches(query, &[("state", "2"), ("element", "x")]));
        assert!(!matches(query, &[("state", "3")]));
    }

    #[test]
    fn invalid_parts_are_ignored() {
        assert_eq!(parse("bogus=1").groups.len(), 0);
        assert_eq!(parse("stateSAMEASpriority").groups.len(), 0);
        assert_eq!(parse("opened_at>yesterday").groups.len(), 0);
        assert_eq!(parse("ORDERBYbogus").order.len(), 0);
        assert!(matches("bogus=1^state=2", &[("state", "2")]));
        // A group of dropped parts is dropped, not "match everything".
        assert!(!matches("bogus=1^NQstate=3", &[("state", "2")]));
        assert!(!matches("bogus=1^state=3", &[("state", "2")]));
        // An OR whose partner was dropped still applies on its own.
        assert!(!matches("bogus=1^ORstate=3", &[("state", "2")]));
        assert!(matches("", &[]));
        assert!(matches("^^^EQ", &[]));
    }

    #[test]
    fn dot_walked_paths_and_escaped_carets() {
        assert!(matches(
            "caller_id.name=Beth",
            &[("caller_id.name", "beth")]
        ));
        assert!(matches(
            "short_description=a^^b",
            &[("short_description", "a^b")]
        ));
    }

    #[test]
    fn order_by_keys() {
        let query = parse("ORDERBYDESCpriority^ORDERBYopened_at^ORDERBYbogus");
        let mut items = vec![
            record(&[
                ("id", "a"),
                ("priority", "2"),
                ("opened_at", "2024-01-02 00:00:00"),
            ]),
            record(&[
                ("id", "b"),
                ("priority", "10"),
                ("opened_at", "2024-01-01 00:00:00"),
            ]),
            record(&[
                ("id", "c"),
                ("priority", "2"),
                ("opened_at", "2024-01-01 00:00:00"),
            ]),
            record(&[("id", "d"), ("priority", ""), ("opened_at", "")]),
        ];
        assert_eq!(query.order.len(), 2);
        query.sort(&mut items, &|item, path| {
            item.get(path).cloned().unwrap_or_default()
        });
        let ids: Vec<&str> = items.iter().map(|item| item["id"].as_str()).collect();
        assert_eq!(ids, ["b", "c", "a", "d"]);
    }

    #[test]
    fn name_value_filters_join_every_group() {
        let mut query = parse("state=1^NQstate=2");
        query.and_equals("number", "INC0010001", ValueKind::Text);
        assert!(matches_query(
            &query,
            &[("state", "2"), ("number", "INC0010001")]
        ));
        assert!(!matches_query(
            &query,
            &[("state", "2"), ("number", "INC0010002")]
        ));
        let mut query = parse("");
        query.and_equals("number", "INC0010001", ValueKind::Text);
        assert!(!matches_query(&query, &[("number", "INC0010002")]));
    }

    fn matches_query(query: &Query, fields: &[(&str, &str)]) -> bool {
        let record = record(fields);
        query.matches(&|path| record.get(path).cloned().unwrap_or_default())
    }

    #[test]
    fn instants_in_every_client_spelling() {
        let expected = parse_sql_datetime("2019-01-01 00:00:00");
        for text in [
            "2019-01-01 00:00:00",
            "2019-01-01",
            "2019-01-01T00:00:00",
            "2019-01-01T00:00:00Z",
            "2019-01-01T00:00:00.000Z",
            "2019-01-01 00:00:00.123456",
            "2019-01-01T01:00:00+01:00",
            "javascript:gs.dateGenerate('2019-01-01','00:00:00')",
            "javascript:gs.dateGenerate('2019-01-01', 'start')",
        ] {
            let parsed = parse_instant(text);
            let parsed = parsed.map(|millis| millis - millis % 1_000);
            assert_eq!(parsed, expected, "{text}");
        }
        for text in [
            "",
            "yesterday",
            "2019-13-01",
            "javascript:gs.beginningOfToday()",
            "2019-01-01 00:00:00x",
        ] {
            assert_eq!(parse_instant(text), None, "{text}");
        }
    }
}
