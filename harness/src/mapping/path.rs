//! Reading values out of an object: dotted paths, and the part of XSOAR's DT language that
//! mappers use.
//!
//! A mapper's `simple` value is a DT expression. What real mappers write, and what is
//! implemented: a dotted path (`profile.email`, through lists as XSOAR does), an index
//! (`emails.[0]` or `emails[0]`), a selector on list items (`labels.(val.type == 'Email').value`,
//! with `==`, `===`, `!=`, `!==` against a quoted text, a number, `true`, `false` or `null`),
//! a constant (`.='Both'`, `.=["a", "b"]`, `.=true`), and `${path}` inside literal texts.
//! Anything else of DT (functions, arithmetic) is an error that names the expression.

use serde_json::Value;

use super::value::items;
use crate::text::text;

/// A DT expression the harness cannot evaluate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PathError {
    /// `.=` followed by something that is not a literal.
    #[error(
        "DT constant `{expression}` is not a text, number, true, false, null or list of those"
    )]
    BadConstant {
        /// The whole expression.
        expression: String,
    },
    /// DT beyond paths, indexes, selectors and constants (functions, arithmetic).
    #[error("DT expression `{expression}` is beyond what the harness reads (paths, [n], (val.x == 'y') selectors, .= constants)")]
    Unsupported {
        /// The whole expression.
        expression: String,
    },
    /// A literal text with `${` and no `}` after it.
    #[error("`{text}` opens `${{` without closing it")]
    UnclosedInterpolation {
        /// The literal text.
        text: String,
    },
}

/// Reads a dotted path; through a list it collects the path from every item, as XSOAR does.
/// Keys may contain dots themselves: the longest key that prefixes the path wins.
pub(crate) fn get_path(value: &Value, path: &str) -> Value {
    let path = path.trim();
    if path.is_empty() {
        return value.clone();
    }
    let (head, rest) = path.split_once('.').unwrap_or((path, ""));
    match value {
        Value::Object(map) if map.contains_key(path) => map[path].clone(),
        Value::Object(map) => match map.get(head) {
            Some(next) => get_path(next, rest),
            None => map
                .iter()
                .filter(|(k, _)| path.starts_with(k.as_str()) && path[k.len()..].starts_with('.'))
                .max_by_key(|(k, _)| k.len())
                .map_or(Value::Null, |(k, v)| get_path(v, &path[k.len() + 1..])),
        },
        Value::Array(items) => {
            // Through a list the path is read from every item, and lists found inside the
            // items are joined into one.
            let mut found = Vec::new();
            for item in items {
                match get_path(item, path) {
                    Value::Null => {}
                    Value::Array(inner) => found.extend(inner.into_iter().filter(|v| !v.is_null())),
                    one => found.push(one),
                }
            }
            if found.is_empty() {
                Value::Null
            } else {
                Value::Array(found)
            }
        }
        _ => Value::Null,
    }
}

/// Evaluates a DT expression against `source`.
pub(crate) fn evaluate(source: &Value, expression: &str) -> Result<Value, PathError> {
    let expression = expression.trim();
    if let Some(constant) = expression.strip_prefix(".=") {
        return literal(constant.trim()).ok_or_else(|| PathError::BadConstant {
            expression: expression.to_owned(),
        });
    }
    let mut current = source.clone();
    for segment in segments(expression)? {
        current = match segment {
            Segment::Key(key) => get_path(&current, &key),
            Segment::Index(index) => match current {
                Value::Array(items) => items.into_iter().nth(index).unwrap_or(Value::Null),
                other if index == 0 => other,
                _ => Value::Null,
            },
            Segment::Select(selector) => {
                let mut kept: Vec<Value> = items(&current)
                    .into_iter()
                    .filter(|item| selector.matches(item))
                    .collect();
                // One match reads as the item itself, as in DT.
                match kept.len() {
                    0 => Value::Null,
                    1 => kept.remove(0),
                    _ => Value::Array(kept),
                }
            }
        };
    }
    Ok(current)
}

/// Interpolates every `${path}` of a literal text with the text of the path's value.
pub(crate) fn interpolate(source: &Value, literal: &str) -> Result<String, PathError> {
    let mut out = String::new();
    let mut rest = literal;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| PathError::UnclosedInterpolation {
                text: literal.to_owned(),
            })?;
        out.push_str(&text(&evaluate(source, &after[..end])?));
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

enum Segment {
    Key(String),
    Index(usize),
    Select(Selector),
}

struct Selector {
    path: String,
    equal: bool,
    value: Value,
}

impl Selector {
    fn matches(&self, item: &Value) -> bool {
        let found = get_path(item, &self.path);
        let same = match (&found, &self.value) {
            (Value::String(a), Value::String(b)) => a == b,
            (a, b) => a == b || text(a) == text(b),
        };
        same == self.equal
    }
}

/// Splits a DT path into keys, `[n]` indexes and `(val.x == 'y')` selectors.
fn segments(expression: &str) -> Result<Vec<Segment>, PathError> {
    let unsupported = || PathError::Unsupported {
        expression: expression.to_owned(),
    };
    let mut out = Vec::new();
    let mut rest = expression;
    while !rest.is_empty() {
        rest = rest.strip_prefix('.').unwrap_or(rest);
        if let Some(inner) = rest.strip_prefix('(') {
            let end = inner.find(')').ok_or_else(unsupported)?;
            out.push(Segment::Select(
                selector(&inner[..end]).ok_or_else(unsupported)?,
            ));
            rest = &inner[end + 1..];
        } else if let Some(inner) = rest.strip_prefix('[') {
            let end = inner.find(']').ok_or_else(unsupported)?;
            let index = inner[..end].trim().parse().map_err(|_| unsupported())?;
            out.push(Segment::Index(index));
            rest = &inner[end + 1..];
        } else {
            let end = rest.find(['.', '[', '(']).unwrap_or(rest.len());
            let key = &rest[..end];
            // Vendor keys may hold spaces (`Event Type`); operators are DT beyond paths.
            if key.trim().is_empty()
                || key.contains(['=', '+', '*', '/', '&', '|', '!', '<', '>', '?', '\'', '"'])
            {
                return Err(unsupported());
            }
            out.push(Segment::Key(key.to_owned()));
            rest = &rest[end..];
        }
    }
    Ok(out)
}

/// `val.type == 'Email'` and friends.
fn selector(text: &str) -> Option<Selector> {
    let (at, op) = ["!==", "===", "!=", "=="]
        .iter()
        .find_map(|op| text.find(op).map(|at| (at, *op)))?;
    let path = text[..at].trim().strip_prefix("val.")?.to_owned();
    let value = literal(text[at + op.len()..].trim())?;
    Some(Selector {
        path,
        equal: op.starts_with('='),
        value,
    })
}

/// A JavaScript literal: a quoted text, a number, `true`, `false`, `null`, or a list of those.
fn literal(text: &str) -> Option<Value> {
    let text = text.trim();
    if let Some(inner) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        if inner.trim().is_empty() {
            return Some(Value::Array(Vec::new()));
        }
        return split_top(inner)
            .iter()
            .map(|part| literal(part))
            .collect::<Option<Vec<_>>>()
            .map(Value::Array);
    }
    for quote in ['\'', '"'] {
        if let Some(inner) = text.strip_prefix(quote).and_then(|t| t.strip_suffix(quote)) {
            return Some(Value::String(
                inner.replace(&format!("\\{quote}"), &quote.to_string()),
            ));
        }
    }
    match text {
        "true" => Some(Value::Bool(true)),
        "false" => Some(Value::Bool(false)),
        "null" => Some(Value::Null),
        number => serde_json::from_str::<serde_json::Number>(number)
            .ok()
            .map(Value::Number),
    }
}

/// Splits list items at commas outside quotes.
fn split_top(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quote = None;
    for c in text.chars() {
        match (quote, c) {
            (None, '\'' | '"') => {
                quote = Some(c);
                current.push(c);
            }
            (Some(q), c) if c == q => {
                quote = None;
                current.push(c);
            }
            (None, ',') => parts.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    parts.push(current);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_and_selectors_through_lists() {
        let doc = json!({"a": [{"b": [{"c": 1}, {"c": 2}]}, {"b": [{"c": 3}]}], "n": {"x": 1}});
        assert_eq!(evaluate(&doc, "a.b.c"), Ok(json!([1, 2, 3])));
        assert_eq!(evaluate(&doc, "n.x"), Ok(json!(1)));
        assert_eq!(evaluate(&doc, "a.b.(val.c != 2).c"), Ok(json!([1, 3])));
        assert_eq!(evaluate(&doc, "a[0].b[1].c"), Ok(json!(2)));
        assert_eq!(evaluate(&doc, "missing.path"), Ok(Value::Null));
        assert_eq!(
            evaluate(
                &json!({"Event Type": {"Sub Type": 1}}),
                "Event Type.Sub Type"
            ),
            Ok(json!(1))
        );
        assert_eq!(evaluate(&doc, ".=3"), Ok(json!(3)));
        assert_eq!(
            evaluate(&doc, ".=Both").unwrap_err().to_string(),
            "DT constant `.=Both` is not a text, number, true, false, null or list of those"
        );
    }

    #[test]
    fn dotted_paths_read_keys_with_dots_and_lists() {
        let user = json!({"emails": [{"value": "a@x"}, {"value": "b@x"}], "a.b": 1});
        assert_eq!(get_path(&user, "emails.value"), json!(["a@x", "b@x"]));
        assert_eq!(get_path(&user, "a.b"), json!(1));
        assert_eq!(get_path(&user, "nope"), json!(null));
    }

    #[test]
    fn selectors_constants_and_indexes() {
        let event = json!({"labels": [{"type": "Email", "value": "a@x"}, {"type": "IP", "value": "1.2.3.4"}]});
        assert_eq!(
            evaluate(&event, "labels.(val.type == 'Email').value"),
            Ok(json!("a@x"))
        );
        assert_eq!(evaluate(&event, ".='Both'"), Ok(json!("Both")));
        assert_eq!(
            evaluate(&event, ".=['ForServiceNow', 'comments']"),
            Ok(json!(["ForServiceNow", "comments"]))
        );
        assert_eq!(evaluate(&event, "labels.[1].type"), Ok(json!("IP")));
        assert_eq!(
            evaluate(&event, "labels.length + 1").unwrap_err().to_string(),
            "DT expression `labels.length + 1` is beyond what the harness reads (paths, [n], (val.x == 'y') selectors, .= constants)"
        );
    }

    #[test]
    fn literals_interpolate_paths() {
        let doc = json!({"givenname": "Ann", "surname": "Lee"});
        assert_eq!(
            interpolate(&doc, "CN=${givenname} ${surname}"),
            Ok("CN=Ann Lee".into())
        );
        assert_eq!(
            interpolate(&doc, "${open").unwrap_err().to_string(),
            "`${open` opens `${` without closing it"
        );
    }
}
