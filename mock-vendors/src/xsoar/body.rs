//! Reading request bodies: a JSON object, whole numbers and instants in
//! it, with the server's 400 for what cannot be used.

use serde_json::{Map, Value};

use super::errors::XsoarError;
use crate::clock::parse_iso;
use crate::kit::call::Call;

/// The body as a JSON object.
pub(crate) fn body_object(call: &Call<'_>) -> Result<Map<String, Value>, XsoarError> {
    if call.body().iter().all(u8::is_ascii_whitespace) {
        return Err(XsoarError::BadRequest(
            "the request body is empty".to_owned(),
        ));
    }
    match serde_json::from_slice(call.body()) {
        Ok(Value::Object(body)) => Ok(body),
        Ok(_) => Err(XsoarError::BadRequest(
            "the request body must be a JSON object".to_owned(),
        )),
        Err(error) => Err(XsoarError::BadRequest(format!(
            "the request body is not JSON: {error}"
        ))),
    }
}

/// A whole number, sent as a number or decimal text.
pub(crate) fn whole(value: &Value) -> Option<i64> {
    match value {
        Value::Number(number) => number.as_i64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// A field that must be a whole number of at least `min` when present;
/// `place` prefixes the field's name in the error.
pub(crate) fn count(
    object: &Map<String, Value>,
    field: &str,
    min: i64,
    place: &str,
) -> Result<Option<i64>, XsoarError> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => whole(value)
            .filter(|number| *number >= min)
            .map(Some)
            .ok_or_else(|| {
                XsoarError::BadRequest(format!(
                    "{place}{field}: expected a whole number from {min}"
                ))
            }),
    }
}

/// An optional ISO-8601 field (`""` counts as absent), as epoch millis;
/// `place` prefixes the field's name in the error.
pub(crate) fn instant(
    object: &Map<String, Value>,
    field: &str,
    place: &str,
) -> Result<Option<i64>, XsoarError> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
        Some(value) => value.as_str().and_then(parse_iso).map(Some).ok_or_else(|| {
            XsoarError::BadRequest(format!("{place}{field}: expected an ISO-8601 time"))
        }),
    }
}
