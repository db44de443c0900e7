//! The casts operators apply to their input and arguments, as the server does: "transformers
//! try to cast the transformed value (and arguments) to the necessary type; tasks fail if
//! casting has failed" (admin guide, Transformers Operators).

use serde_json::{Number, Value};

/// A value as text: strings as they are, `null` as the empty string, anything else as JSON.
pub fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A scalar as text; objects and lists do not cast to strings.
pub fn string(value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Null => Ok(String::new()),
        Value::Object(_) | Value::Array(_) => {
            Err(format!("cannot cast {} to a string", shown(value)))
        }
    }
}

/// A number, from a JSON number or numeric text.
pub fn number(value: &Value) -> Result<f64, String> {
    match value {
        Value::Number(n) => n
            .as_f64()
            .ok_or_else(|| format!("{n} is not a finite number")),
        Value::String(s) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .ok_or_else(|| format!("cannot cast {} to a number", shown(value))),
        Value::Bool(_) | Value::Null | Value::Object(_) | Value::Array(_) => {
            Err(format!("cannot cast {} to a number", shown(value)))
        }
    }
}

/// A whole number (an index or a count), from a number or numeric text.
pub fn integer(value: &Value) -> Result<i64, String> {
    let n = number(value)?;
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        // Exact: integral and far inside i64.
        Ok(n as i64)
    } else {
        Err(format!("cannot cast {} to a whole number", shown(value)))
    }
}

/// A number as JSON: integral results stay integers (`3`, not `3.0`).
pub fn from_number(n: f64) -> Result<Value, String> {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        return Ok(Value::from(n as i64));
    }
    Number::from_f64(n)
        .map(Value::Number)
        .ok_or_else(|| format!("the result {n} is not a finite number"))
}

/// A boolean from a bool or the text `true` / `false` (any case).
pub fn boolean(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.trim().eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.trim().eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// The items of a value seen as a list: a list's items, nothing for `null`, else the value.
pub fn items(value: &Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    }
}

/// Whether a value is empty: `null`, `""`, `[]` or `{}`.
pub fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::Bool(_) | Value::Number(_) => false,
    }
}

/// Applies `f` to every item of a list (to the value itself otherwise); `null` stays `null`.
/// A list result of one item's `f` is flattened into the output, as the server collects
/// per-item results into one list.
pub fn per_item(
    value: Value,
    mut f: impl FnMut(&Value) -> Result<Value, String>,
) -> Result<Value, String> {
    match value {
        Value::Null => Ok(Value::Null),
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in &items {
                match f(item)? {
                    Value::Array(parts) => out.extend(parts),
                    Value::Null => {}
                    one => out.push(one),
                }
            }
            Ok(Value::Array(out))
        }
        other => f(&other),
    }
}

/// A short rendering of a value for error messages.
pub fn shown(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 80 {
        let cut: String = text.chars().take(77).collect();
        format!("{cut}...")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn casts_follow_the_value() {
        assert_eq!(number(&json!(" 2.5 ")), Ok(2.5));
        assert!(number(&json!("abc")).unwrap_err().contains("\"abc\""));
        assert!(number(&json!(null)).is_err());
        assert_eq!(integer(&json!("3")), Ok(3));
        assert!(integer(&json!(3.5)).is_err());
        assert_eq!(from_number(3.0), Ok(json!(3)));
        assert_eq!(from_number(0.5), Ok(json!(0.5)));
        assert!(string(&json!({"some": "object"})).is_err());
        assert_eq!(boolean(&json!("TRUE")), Some(true));
        assert_eq!(boolean(&json!("yes")), None);
    }

    #[test]
    fn per_item_flattens_and_keeps_null() {
        let doubled = per_item(json!(["a", "b"]), |v| Ok(json!([v, v]))).unwrap();
        assert_eq!(doubled, json!(["a", "a", "b", "b"]));
        assert_eq!(
            per_item(Value::Null, |_| Ok(json!(1))).unwrap(),
            Value::Null
        );
        assert_eq!(per_item(json!("x"), |v| Ok(v.clone())).unwrap(), json!("x"));
    }
}
