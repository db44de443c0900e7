//! The casts operators apply to their input and arguments, as the server does: "transformers
//! try to cast the transformed value (and arguments) to the necessary type; tasks fail if
//! casting has failed" (admin guide, Transformers Operators).

use serde_json::{Number, Value};

/// A value that does not cast to what an operator needs; the value is quoted as [`shown`]
/// renders it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum CastError {
    /// An object or a list where a scalar text is needed.
    #[error("cannot cast {0} to a string")]
    NotAString(String),
    /// Neither a JSON number nor numeric text.
    #[error("cannot cast {0} to a number")]
    NotANumber(String),
    /// A JSON number without an `f64` value.
    #[error("{0} is not a finite number")]
    NotFinite(String),
    /// A number with a fraction, or too large to be exact, where a count or index is needed.
    #[error("cannot cast {0} to a whole number")]
    NotAWholeNumber(String),
    /// An operator computed infinity or NaN, which JSON cannot hold.
    #[error("the result {0} is not a finite number")]
    ResultNotFinite(String),
}

/// A scalar as text; objects and lists do not cast to strings.
pub(crate) fn string(value: &Value) -> Result<String, CastError> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Null => Ok(String::new()),
        Value::Object(_) | Value::Array(_) => Err(CastError::NotAString(shown(value))),
    }
}

/// A number, from a JSON number or numeric text.
pub(crate) fn number(value: &Value) -> Result<f64, CastError> {
    match value {
        Value::Number(n) => n
            .as_f64()
            .ok_or_else(|| CastError::NotFinite(n.to_string())),
        Value::String(s) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .ok_or_else(|| CastError::NotANumber(shown(value))),
        Value::Bool(_) | Value::Null | Value::Object(_) | Value::Array(_) => {
            Err(CastError::NotANumber(shown(value)))
        }
    }
}

/// A whole number (an index or a count), from a number or numeric text.
pub(crate) fn integer(value: &Value) -> Result<i64, CastError> {
    exact_integer(number(value)?).ok_or_else(|| CastError::NotAWholeNumber(shown(value)))
}

/// A number as JSON: integral results stay integers (`3`, not `3.0`).
pub(crate) fn from_number(n: f64) -> Result<Value, CastError> {
    if let Some(whole) = exact_integer(n) {
        return Ok(Value::from(whole));
    }
    Number::from_f64(n)
        .map(Value::Number)
        .ok_or_else(|| CastError::ResultNotFinite(n.to_string()))
}

/// `n` as an `i64` when that is exact: integral and far inside the range of `i64`.
fn exact_integer(n: f64) -> Option<i64> {
    (n.fract() == 0.0 && n.abs() < 9.0e15).then_some(n as i64)
}

/// A boolean from a bool or the text `true` / `false` (any case).
pub(crate) fn boolean(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.trim().eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.trim().eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// The items of a value seen as a list: a list's items, nothing for `null`, else the value.
pub(crate) fn items(value: &Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    }
}

/// Whether a value is empty: `null`, `""`, `[]` or `{}`.
pub(crate) fn is_empty(value: &Value) -> bool {
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
pub(crate) fn per_item<E>(
    value: Value,
    mut f: impl FnMut(&Value) -> Result<Value, E>,
) -> Result<Value, E> {
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
pub(crate) fn shown(value: &Value) -> String {
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
        assert_eq!(
            number(&json!("abc")).unwrap_err().to_string(),
            "cannot cast \"abc\" to a number"
        );
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
        let same = |v: &Value| Ok::<_, CastError>(v.clone());
        let doubled = per_item(json!(["a", "b"]), |v| Ok::<_, CastError>(json!([v, v])));
        assert_eq!(doubled, Ok(json!(["a", "a", "b", "b"])));
        assert_eq!(per_item(Value::Null, same), Ok(Value::Null));
        assert_eq!(per_item(json!("x"), same), Ok(json!("x")));
    }
}
