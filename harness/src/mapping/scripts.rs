//! Native equivalents of common transformer scripts, for runs without a content checkout (and
//! for JavaScript scripts, which the harness cannot run).
//!
//! They follow what the content scripts do, including their quirks, so that a scenario maps
//! the same with and without a content root:
//! - `DateStringToISOFormat` (value, dayfirst = true, yearfirst = false, fuzzy = true,
//!   add_utc_timezone = false; the YAML's defaults): python-dateutil's reading
//!   ([`dates::parse_loose`]), written as `datetime.isoformat()`; a value it cannot read comes
//!   back unchanged.
//! - `FormattedDateToEpoch` (value, formatter: a `strptime` format): epoch seconds; a
//!   zone-less date is UTC.
//! - `DateToTimeStamp` (value): epoch seconds.
//! - `TimeStampToDate` (value; JavaScript): `parseInt` of the value, seconds below 10^10, else
//!   milliseconds, written as `toISOString()` (`2018-04-29T13:02:19.000Z`).
//! - `FirstArrayElement`, `LastArrayElement` (tagged `entirelist`: the whole list).
//!
//! Per-item scripts run once per item of a list, as the server runs scripts without the
//! `entirelist` tag.

use chrono::{DateTime, FixedOffset, Offset, Utc};
use serde_json::Value;

use super::dates::{self, DateError, Order};
use super::error::BuiltinError;
use super::transformers::{str_arg, Args};
use super::value::{boolean, items, per_item, string};
use super::OperatorError;

/// A native equivalent: what the script computes from its value and arguments.
type Native = fn(Value, &Args) -> Result<Value, BuiltinError>;

/// The transformer scripts with a native equivalent, by name.
const NATIVE: &[(&str, Native)] = &[
    ("DateStringToISOFormat", date_string_to_iso),
    ("FormattedDateToEpoch", formatted_date_to_epoch),
    ("DateToTimeStamp", |value, _| {
        per_item(value, |item| {
            Ok(epoch_text(&loose_epoch_date(&string(item)?)?))
        })
    }),
    ("TimeStampToDate", time_stamp_to_date),
    ("FirstArrayElement", |value, _| {
        Ok(items(&value).into_iter().next().unwrap_or(Value::Null))
    }),
    ("LastArrayElement", |value, _| {
        Ok(items(&value).into_iter().last().unwrap_or(Value::Null))
    }),
];

/// Runs the native equivalent of transformer script `name`; `None` when there is none.
fn native_transformer(
    name: &str,
    value: Value,
    args: &Args,
) -> Option<Result<Value, BuiltinError>> {
    let (_, native) = NATIVE.iter().find(|(native, _)| *native == name)?;
    Some(native(value, args))
}

fn date_string_to_iso(value: Value, args: &Args) -> Result<Value, BuiltinError> {
    let flag = |arg: &str, default: bool| args.get(arg).and_then(boolean).unwrap_or(default);
    let order = Order {
        day_first: flag("dayfirst", true),
    };
    let add_utc = flag("add_utc_timezone", false);
    per_item(value, |item| {
        let text = string(item)?;
        Ok(Value::String(match dates::parse_loose(&text, order) {
            Some((date, zone)) => {
                let zone = zone.or_else(|| add_utc.then(|| Utc.fix()));
                dates::python_isoformat(date, zone)
            }
            None => text,
        }))
    })
}

fn formatted_date_to_epoch(value: Value, args: &Args) -> Result<Value, BuiltinError> {
    let formatter = str_arg(args, "formatter")?.filter(|f| !f.is_empty());
    per_item(value, |item| {
        let text = string(item)?;
        let date = match &formatter {
            Some(format) => dates::parse_strptime(&text, format)?,
            None => loose_epoch_date(&text)?,
        };
        Ok(epoch_text(&date))
    })
}

fn time_stamp_to_date(value: Value, _: &Args) -> Result<Value, BuiltinError> {
    per_item(value, |item| {
        let number = parse_int(&string(item)?).ok_or_else(|| DateError::NotATimeStamp {
            value: item.to_string(),
        })?;
        let millis = if number < 10_000_000_000 {
            number
                .checked_mul(1000)
                .ok_or(DateError::SecondsOutOfRange { seconds: number })?
        } else {
            number
        };
        Ok(Value::String(dates::iso_millis(millis)?))
    })
}

/// Epoch seconds as the scripts return them: text.
fn epoch_text(date: &DateTime<FixedOffset>) -> Value {
    Value::String(date.timestamp().to_string())
}

/// A date read as dateparser reads the forms content sends (month first when ambiguous).
fn loose_epoch_date(text: &str) -> Result<DateTime<FixedOffset>, DateError> {
    if let Ok(date) = dates::parse(text) {
        return Ok(date);
    }
    let (date, zone) = dates::parse_loose(text, Order { day_first: false }).ok_or_else(|| {
        DateError::NotALooseDate {
            text: text.to_owned(),
        }
    })?;
    date.and_local_timezone(zone.unwrap_or(Utc.fix()))
        .single()
        .ok_or_else(|| DateError::NotAPointInTime {
            text: text.to_owned(),
        })
}

/// JavaScript's `parseInt(text)`: an optional sign and the leading digits.
fn parse_int(text: &str) -> Option<i64> {
    let text = text.trim_start();
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, text.strip_prefix('+').unwrap_or(text)),
    };
    let digits: String = digits.chars().take_while(char::is_ascii_digit).collect();
    digits.parse::<i64>().ok().map(|n| sign * n)
}

/// The native equivalent's answer, or `unsupported` when transformer `name` has none.
pub(crate) fn native_or(
    name: &str,
    value: Value,
    args: &Args,
    unsupported: impl FnOnce() -> OperatorError,
) -> Result<Value, OperatorError> {
    match native_transformer(name, value, args) {
        Some(result) => result.map_err(OperatorError::Builtin),
        None => Err(unsupported()),
    }
}

/// Operators without scripts, for the tests: built-ins (applied by the mapper) and the
/// native equivalents.
#[cfg(test)]
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct NativeOperators;

#[cfg(test)]
impl super::Operators for NativeOperators {
    fn transformer<'a>(
        &'a mut self,
        name: &'a str,
        value: Value,
        args: Args,
    ) -> crate::BoxFuture<'a, Result<Value, OperatorError>> {
        Box::pin(async move {
            native_or(name, value, &args, || {
                OperatorError::Unsupported(unsupported_transformer(name, None))
            })
        })
    }

    fn filter<'a>(
        &'a mut self,
        name: &'a str,
        _left: Value,
        _right: Value,
    ) -> crate::BoxFuture<'a, Result<bool, OperatorError>> {
        Box::pin(async move { Err(OperatorError::Unsupported(unsupported_filter(name, None))) })
    }
}

/// Why a transformer is neither built in nor runnable; `searched` names the content root
/// that was searched for the script, if any.
pub(crate) fn unsupported_transformer(name: &str, searched: Option<&str>) -> String {
    let natives: Vec<&str> = NATIVE.iter().map(|(native, _)| *native).collect();
    format!(
        "`{name}` is neither a built-in transformer nor a transformer script the harness can run: {}; native equivalents exist for {}",
        where_searched(name, searched),
        natives.join(", ")
    )
}

/// Why a filter is neither built in nor runnable.
pub(crate) fn unsupported_filter(name: &str, searched: Option<&str>) -> String {
    format!(
        "`{name}` is neither a built-in filter nor a filter script the harness can run: {}",
        where_searched(name, searched)
    )
}

fn where_searched(name: &str, searched: Option<&str>) -> String {
    match searched {
        Some(root) => format!("{root} has no Python script Packs/*/Scripts/{name}/"),
        None => format!(
            "without a content root the harness cannot run the script {name} (give one with content_root:, --content-root or $XSOAR_CONTENT_ROOT)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(name: &str, value: Value, args: Value) -> Result<Value, BuiltinError> {
        let args = args.as_object().cloned().unwrap_or_default();
        native_transformer(name, value, &args).expect("a native equivalent")
    }

    /// What the report says when the native equivalent fails.
    fn failure(name: &str, value: Value, args: Value) -> String {
        run(name, value, args).expect_err("a failure").to_string()
    }

    #[test]
    fn unsupported_transformers_name_the_native_equivalents() {
        assert!(unsupported_transformer("X", None).ends_with(
            "native equivalents exist for DateStringToISOFormat, FormattedDateToEpoch, DateToTimeStamp, TimeStampToDate, FirstArrayElement, LastArrayElement"
        ));
    }

    #[test]
    fn the_servicenow_date_chain_gives_an_iso_utc_date() {
        let iso = run(
            "DateStringToISOFormat",
            json!("2020-03-31 13:19:41"),
            json!({"dayfirst": null}),
        )
        .unwrap();
        assert_eq!(iso, json!("2020-03-31T13:19:41"));
        let epoch = run("FormattedDateToEpoch", iso, json!({"formatter": null})).unwrap();
        assert_eq!(epoch, json!("1585660781"));
        assert_eq!(
            run("TimeStampToDate", epoch, json!({})),
            Ok(json!("2020-03-31T13:19:41.000Z"))
        );
    }

    #[test]
    fn date_string_to_iso_keeps_the_scripts_quirks() {
        assert_eq!(
            run(
                "DateStringToISOFormat",
                json!("2020-06-11 10:00:00"),
                json!({})
            ),
            Ok(json!("2020-11-06T10:00:00"))
        );
        assert_eq!(
            run(
                "DateStringToISOFormat",
                json!("2020-06-11 10:00:00"),
                json!({"dayfirst": "false", "add_utc_timezone": "true"})
            ),
            Ok(json!("2020-06-11T10:00:00+00:00"))
        );
        assert_eq!(
            run("DateStringToISOFormat", json!("not a date"), json!({})),
            Ok(json!("not a date"))
        );
    }

    #[test]
    fn epochs_and_time_stamps() {
        assert_eq!(
            run(
                "FormattedDateToEpoch",
                json!("2020-03-31T13:19:41.000+0100"),
                json!({"formatter": "%Y-%m-%dT%H:%M:%S.%f%z"})
            ),
            Ok(json!("1585657181"))
        );
        assert_eq!(
            failure("FormattedDateToEpoch", json!("soon"), json!({})),
            "could not parse \"soon\" as a date"
        );
        assert_eq!(
            failure(
                "FormattedDateToEpoch",
                json!("x"),
                json!({"formatter": ["%Y"]})
            ),
            r#"`formatter`: cannot cast ["%Y"] to a string"#
        );
        assert_eq!(
            run("DateToTimeStamp", json!("2020-03-31T13:19:41Z"), json!({})),
            Ok(json!("1585660781"))
        );
        assert_eq!(
            run("TimeStampToDate", json!(1525006939000_i64), json!({})),
            Ok(json!("2018-04-29T13:02:19.000Z"))
        );
        assert_eq!(
            failure("TimeStampToDate", json!("abc"), json!({})),
            "\"abc\" is not a time stamp (parseInt gives NaN; RangeError: Invalid time value)"
        );
        assert_eq!(
            failure("TimeStampToDate", json!(i64::MIN), json!({})),
            format!(
                "{} is not a time stamp (parseInt gives NaN; RangeError: Invalid time value)",
                i64::MIN
            )
        );
        assert_eq!(
            failure(
                "TimeStampToDate",
                json!(-9_300_000_000_000_000_i64),
                json!({})
            ),
            "-9300000000000000 s is not a date (RangeError: Invalid time value)"
        );
        assert_eq!(
            run("DateStringToISOFormat", json!("Straße München"), json!({})),
            Ok(json!("Straße München"))
        );
        assert_eq!(
            run("FirstArrayElement", json!(["a", "b"]), json!({})),
            Ok(json!("a"))
        );
        assert_eq!(
            run("LastArrayElement", json!("a"), json!({})),
            Ok(json!("a"))
        );
        assert_eq!(
            run("FirstArrayElement", Value::Null, json!({})),
            Ok(Value::Null)
        );
    }
}
