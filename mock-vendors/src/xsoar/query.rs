//! The incident search language, the subset integrations send:
//! `field:value`, `-field:value` (negation), quoted values
//! (`sourceBrand:"My Brand"`, `\"` and `\\` escapes), comparisons
//! (`created:>="2025-01-01T00:00:00Z"`, also `>`, `<=`, `<`), and terms
//! joined by `and` (or by plain spaces, which mean the same). Anything
//! else (`or`, `not`, parentheses, wildcards, free text) is refused with a
//! [`QueryError`] rather than guessed at.
//!
//! Matching ignores ASCII case for text; `status` takes numbers or
//! `pending`, `active`, `closed`/`done`, `archived`; the time fields
//! (`created`, `occurred`, `modified`, `closed`) compare as instants; other
//! names are looked up in the incident's own fields, then its
//! `CustomFields` (a field the incident lacks matches nothing).

use serde_json::Value;

use super::incident::{Incident, Status};
use crate::clock::parse_iso;

/// Why a query was refused; the text names the place and what was wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum QueryError {
    /// A term is not `field:value`.
    #[error("expected field:value at position {at}, found {found:?}")]
    NotATerm {
        /// Character offset in the query.
        at: usize,
        /// The text there.
        found: String,
    },
    /// An operator or form outside the supported subset.
    #[error(
        "unsupported syntax {found:?} at position {at} (supported: field:value, -field:value, quoted values, >=, >, <=, <, and)"
    )]
    Unsupported {
        /// Character offset in the query.
        at: usize,
        /// The text there.
        found: String,
    },
    /// A quoted value without its closing quote.
    #[error("unterminated quote starting at position {0}")]
    UnterminatedQuote(usize),
    /// `and` with no term on one side.
    #[error("\"and\" at position {0} must join two terms")]
    DanglingAnd(usize),
    /// A value the field cannot take.
    #[error("{field}: {reason}")]
    BadValue {
        /// The field.
        field: String,
        /// What is wrong.
        reason: String,
    },
}

/// A parsed query: every term must hold (an empty query matches all).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Query {
    terms: Vec<Term>,
}

/// One `[-]field:[op]value`.
#[derive(Clone, Debug, PartialEq)]
struct Term {
    negated: bool,
    test: Test,
}

/// What one term checks.
#[derive(Clone, Debug, PartialEq)]
enum Test {
    /// `status:<status>`.
    Status(Status),
    /// A time field against an instant.
    Time(TimeField, Cmp, i64),
    /// A number (`severity`, ...) against a number.
    Number(String, Cmp, f64),
    /// Text equality, ASCII case ignored.
    Text(String, String),
    /// A text field compared by order (lexicographic).
    TextOrder(String, Cmp, String),
}

/// The incident's time fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TimeField {
    Created,
    Occurred,
    Modified,
    Closed,
}

/// A comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cmp {
    Eq,
    Ge,
    Gt,
    Le,
    Lt,
}

impl Cmp {
    fn holds<T: PartialOrd>(self, left: T, right: T) -> bool {
        match self {
            Cmp::Eq => left == right,
            Cmp::Ge => left >= right,
            Cmp::Gt => left > right,
            Cmp::Le => left <= right,
            Cmp::Lt => left < right,
        }
    }
}

impl Query {
    /// Parses `text`.
    ///
    /// # Errors
    ///
    /// [`QueryError`] for anything outside the subset in the module docs.
    pub(crate) fn parse(text: &str) -> Result<Query, QueryError> {
        let chars: Vec<char> = text.chars().collect();
        let mut at = 0;
        let mut terms = Vec::new();
        // Where a pending `and` stood, until a term follows it.
        let mut pending_and: Option<usize> = None;
        loop {
            while chars.get(at).is_some_and(|c| c.is_whitespace()) {
                at += 1;
            }
            if at >= chars.len() {
                break;
            }
            let word = bare_word(&chars, at);
            let lower = word.to_ascii_lowercase();
            if lower == "and" {
                if terms.is_empty() || pending_and.is_some() {
                    return Err(QueryError::DanglingAnd(at));
                }
                pending_and = Some(at);
                at += 3;
                continue;
            }
            if matches!(lower.as_str(), "or" | "not") || word.starts_with(['(', ')', '!', '|', '&'])
            {
                return Err(QueryError::Unsupported { at, found: word });
            }
            let (term, next) = parse_term(&chars, at)?;
            terms.push(term);
            pending_and = None;
            at = next;
        }
        if let Some(and_at) = pending_and {
            return Err(QueryError::DanglingAnd(and_at));
        }
        Ok(Query { terms })
    }

    /// Whether `incident` satisfies every term.
    pub(crate) fn matches(&self, incident: &Incident) -> bool {
        self.terms
            .iter()
            .all(|term| term.test.holds(incident) != term.negated)
    }
}

/// The run of non-space characters at `at`.
fn bare_word(chars: &[char], at: usize) -> String {
    chars[at..]
        .iter()
        .take_while(|c| !c.is_whitespace())
        .collect()
}

/// One term at `at`; returns it and the position after it.
fn parse_term(chars: &[char], start: usize) -> Result<(Term, usize), QueryError> {
    let mut at = start;
    let negated = chars.get(at) == Some(&'-');
    if negated {
        at += 1;
    }
    let name_start = at;
    while chars
        .get(at)
        .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.'))
    {
        at += 1;
    }
    let field: String = chars[name_start..at].iter().collect();
    if field.is_empty() || chars.get(at) != Some(&':') {
        return Err(QueryError::NotATerm {
            at: start,
            found: bare_word(chars, start),
        });
    }
    at += 1;
    let (cmp, len) = match (chars.get(at), chars.get(at + 1)) {
        (Some('>'), Some('=')) => (Cmp::Ge, 2),
        (Some('<'), Some('=')) => (Cmp::Le, 2),
        (Some('>'), _) => (Cmp::Gt, 1),
        (Some('<'), _) => (Cmp::Lt, 1),
        _ => (Cmp::Eq, 0),
    };
    at += len;
    let value_at = at;
    let value = if chars.get(at) == Some(&'"') {
        let mut value = String::new();
        at += 1;
        loop {
            match chars.get(at) {
                None => return Err(QueryError::UnterminatedQuote(value_at)),
                Some('"') => break,
                Some('\\') => {
                    let escaped = chars
                        .get(at + 1)
                        .ok_or(QueryError::UnterminatedQuote(value_at))?;
                    value.push(*escaped);
                    at += 2;
                    continue;
                }
                Some(c) => value.push(*c),
            }
            at += 1;
        }
        at += 1;
        value
    } else {
        let value = bare_word(chars, at);
        if value.is_empty() {
            return Err(QueryError::BadValue {
                field,
                reason: "a value is required after the colon".to_owned(),
            });
        }
        if value.contains(['*', '?', '(', ')', '"', '[', ']', '{', '}']) {
            return Err(QueryError::Unsupported { at, found: value });
        }
        at += value.chars().count();
        value
    };
    // A quoted value must end the term.
    if chars.get(at).is_some_and(|c| !c.is_whitespace()) {
        return Err(QueryError::Unsupported {
            at,
            found: bare_word(chars, at),
        });
    }
    let test = Test::new(field, cmp, value)?;
    Ok((Term { negated, test }, at))
}

impl Test {
    /// The test for `field` `cmp` `value`, with the value typed by field.
    fn new(field: String, cmp: Cmp, value: String) -> Result<Test, QueryError> {
        let bad = |reason: &str| QueryError::BadValue {
            field: field.clone(),
            reason: reason.to_owned(),
        };
        let time_field = match field.as_str() {
            "created" => Some(TimeField::Created),
            "occurred" => Some(TimeField::Occurred),
            "modified" => Some(TimeField::Modified),
            "closed" => Some(TimeField::Closed),
            _ => None,
        };
        if let Some(time_field) = time_field {
            let instant = parse_iso(&value)
                .ok_or_else(|| bad("expected an ISO-8601 time such as 2025-01-01T00:00:00Z"))?;
            return Ok(Test::Time(time_field, cmp, instant));
        }
        if field == "status" {
            return match (cmp, Status::parse(&value)) {
                (Cmp::Eq, Some(status)) => Ok(Test::Status(status)),
                (Cmp::Eq, None) => Err(bad("expected pending, active, closed, archived or 0-3")),
                _ => Err(bad("status takes no comparison")),
            };
        }
        if let Ok(number) = value.parse::<f64>() {
            if cmp != Cmp::Eq || field == "severity" {
                return Ok(Test::Number(field, cmp, number));
            }
        } else if field == "severity" {
            return Err(bad("expected a number from 0 to 4"));
        }
        Ok(match cmp {
            Cmp::Eq => Test::Text(field, value),
            _ => Test::TextOrder(field, cmp, value),
        })
    }

    fn holds(&self, incident: &Incident) -> bool {
        match self {
            Test::Status(status) => incident.status == *status,
            Test::Time(field, cmp, instant) => {
                let value = match field {
                    TimeField::Created => Some(incident.created),
                    TimeField::Occurred => Some(incident.occurred),
                    TimeField::Modified => Some(incident.modified),
                    TimeField::Closed => incident.closed,
                };
                value.is_some_and(|value| cmp.holds(value, *instant))
            }
            Test::Number(field, cmp, number) => {
                field_value(incident, field).is_some_and(|value| match value_number(&value) {
                    Some(value) => cmp.holds(value, *number),
                    None => false,
                })
            }
            Test::Text(field, text) => field_value(incident, field).is_some_and(|value| {
                value_texts(&value)
                    .iter()
                    .any(|v| v.eq_ignore_ascii_case(text))
            }),
            Test::TextOrder(field, cmp, text) => {
                field_value(incident, field).is_some_and(|value| {
                    value_texts(&value)
                        .iter()
                        .any(|v| cmp.holds(v.to_ascii_lowercase(), text.to_ascii_lowercase()))
                })
            }
        }
    }
}

/// An incident's field by name: its own fields first, then `CustomFields`.
fn field_value(incident: &Incident, field: &str) -> Option<Value> {
    let json = incident.to_json();
    if let Some(value) = json.get(field).filter(|_| field != "CustomFields") {
        return Some(value.clone());
    }
    incident.custom_fields.get(field).cloned()
}

fn value_number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// The texts a value matches as: itself, or each item of a list.
fn value_texts(value: &Value) -> Vec<String> {
    match value {
        Value::String(text) => vec![text.clone()],
        Value::Array(items) => items.iter().flat_map(value_texts).collect(),
        Value::Null => Vec::new(),
        other => vec![other.to_string()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, json};

    fn incident(fields: Value) -> Incident {
        let mut incident = Incident::new(3, 1_735_689_600_000);
        incident
            .edit(fields.as_object().unwrap_or(&Map::new()))
            .ok();
        incident
    }

    fn matches(query: &str, incident: &Incident) -> bool {
        Query::parse(query).is_ok_and(|query| query.matches(incident))
    }

    #[test]
    fn the_subset_integrations_send() {
        let phishing = incident(json!({
            "name": "Phish", "type": "Phishing", "sourceBrand": "My Brand", "status": 1,
            "severity": 2, "CustomFields": {"team": "blue"},
        }));
        assert!(matches("", &phishing));
        assert!(matches("type:phishing", &phishing));
        assert!(matches(r#"sourceBrand:"My Brand""#, &phishing));
        assert!(!matches(r#"-sourceBrand:"My Brand""#, &phishing));
        assert!(matches("-status:closed and type:Phishing", &phishing));
        assert!(matches(
            "status:active severity:>=2 team:blue id:3",
            &phishing
        ));
        assert!(matches(r#"created:>="2025-01-01T00:00:00Z""#, &phishing));
        assert!(!matches(r#"created:>"2025-01-01T00:00:00Z""#, &phishing));
        assert!(!matches("closed:>=2020-01-01T00:00:00Z", &phishing));
        assert!(!matches("nosuchfield:x", &phishing));
    }

    #[test]
    fn what_is_outside_the_subset_is_refused_with_a_place() {
        let refused = |query: &str| Query::parse(query).err().map(|error| error.to_string());
        assert_eq!(
            refused("type:a or type:b"),
            Some(r#"unsupported syntax "or" at position 7 (supported: field:value, -field:value, quoted values, >=, >, <=, <, and)"#.to_owned())
        );
        assert!(matches!(
            Query::parse("phishing"),
            Err(QueryError::NotATerm { at: 0, .. })
        ));
        assert_eq!(
            Query::parse(r#"name:"open"#),
            Err(QueryError::UnterminatedQuote(5))
        );
        assert_eq!(Query::parse("and type:a"), Err(QueryError::DanglingAnd(0)));
        assert_eq!(Query::parse("type:a and"), Err(QueryError::DanglingAnd(7)));
        assert!(matches!(
            Query::parse("created:>=yesterday"),
            Err(QueryError::BadValue { .. })
        ));
        assert!(matches!(
            Query::parse("status:shut"),
            Err(QueryError::BadValue { .. })
        ));
        assert!(matches!(
            Query::parse("name:phi*"),
            Err(QueryError::Unsupported { .. })
        ));
        assert!(matches!(
            Query::parse("(type:a)"),
            Err(QueryError::Unsupported { .. })
        ));
        assert!(matches!(
            Query::parse("type:"),
            Err(QueryError::BadValue { .. })
        ));
    }
}
