//! The server's built-in filter operators.
//!
//! Ids are the server's own (demisto-sdk's list of server built-ins); semantics follow the
//! admin guide ("Filter Operators") and how content uses them:
//! - a list on the left of a single-value operator passes when any item passes; a negated
//!   operator passes when its positive form does not (no item matches);
//! - string operators compare text, `ignoreCase` folding both sides (and adding `(?i)` to
//!   `match`); number and date operators cast both sides and fail when a side does not cast,
//!   as a failed cast fails the task; a missing left side never matches;
//! - `isExists` is true for every present value, `false`, `""` and `[]` included; `isEmpty`
//!   for missing, `""`, `[]` and `{}`.
//!
//! | category | operators |
//! |---|---|
//! | String | `isEqualString`, `isNotEqualString`, `containsString`, `notContainsString`, `startWith`, `notStartWith`, `endWith`, `notEndWith`, `inList`, `notInList` (the right side split at commas), `match` (a regular expression found anywhere), `stringHasLength` |
//! | Number | `isEqualNumber`, `isNotEqualNumber`, `greaterThan`, `greaterThanOrEqual`, `lessThan`, `lessThanOrEqual` |
//! | Date | `isBefore`, `isAfter`, `isSame` (see [`super::dates::parse`]) |
//! | Boolean | `isTrue`, `isFalse` (a bool or its text) |
//! | General | `containsGeneral`, `notContainsGeneral` (a list contains the right item, a string the right text), `in`, `notIn` (the left is an item of the right list), `hasLength`, `isExists`, `isNotExists`, `isEmpty`, `isNotEmpty` |
//! | Older ids | `isEqual`, `isNotEqual` (text, ignoring case), `isEqualCase`, `isNotEqualCase`, `contains`, `notContains` (as the General ones) |
//!
//! `isIdenticalIncident` / `isNotIdenticalIncident` compare with existing incidents in
//! pre-process rules; a mapper cannot use them, and saying so is an error.

use regex::RegexBuilder;
use serde_json::Value;

use super::dates;
use super::value::{boolean, integer, is_empty, items, number, string, text};

/// Evaluates the built-in `id` on the resolved sides; `None` when there is no such built-in.
///
/// ```
/// use serde_json::json;
/// use xsoar_harness::mapping::filters::holds;
/// assert_eq!(holds("isEqualString", &json!(["a", "B"]), &json!("b"), true), Some(Ok(true)));
/// assert_eq!(holds("isAfter", &json!("2024-01-02T00:00:00Z"), &json!("0001-01-01T00:00:00Z"), false), Some(Ok(true)));
/// assert!(holds("greaterThan", &json!("many"), &json!(1), false).unwrap().is_err());
/// assert_eq!(holds("isMagic", &json!(1), &json!(1), false), None);
/// ```
pub fn holds(
    id: &str,
    left: &Value,
    right: &Value,
    ignore_case: bool,
) -> Option<Result<bool, String>> {
    match evaluate(id, left, right, ignore_case) {
        Ok(holds) => Some(Ok(holds)),
        Err(Failure::Failed(why)) => Some(Err(why)),
        Err(Failure::NotBuiltIn) => None,
    }
}

/// Why a filter gives no answer.
enum Failure {
    /// There is no built-in filter of that id.
    NotBuiltIn,
    /// The built-in could not compare the sides: why.
    Failed(String),
}

impl From<String> for Failure {
    fn from(why: String) -> Self {
        Self::Failed(why)
    }
}

fn evaluate(id: &str, left: &Value, right: &Value, ignore_case: bool) -> Result<bool, Failure> {
    let negated = |positive: &str| evaluate(positive, left, right, ignore_case).map(|b| !b);
    let fold = |s: String| if ignore_case { s.to_lowercase() } else { s };
    let any_text = |test: &dyn Fn(&str, &str) -> bool| -> Result<bool, Failure> {
        let r = fold(string(right)?);
        for item in items(left) {
            if test(&fold(string(&item)?), &r) {
                return Ok(true);
            }
        }
        Ok(false)
    };
    let any_number = |test: fn(f64, f64) -> bool| -> Result<bool, Failure> {
        let left_items = items(left);
        if left_items.is_empty() {
            return Ok(false);
        }
        let r = number(right).map_err(|e| format!("right side: {e}"))?;
        for item in left_items {
            if test(number(&item).map_err(|e| format!("left side: {e}"))?, r) {
                return Ok(true);
            }
        }
        Ok(false)
    };
    let any_date = |test: fn(i64, i64) -> bool| -> Result<bool, Failure> {
        let left_items = items(left);
        if left_items.is_empty() {
            return Ok(false);
        }
        let r = dates::parse(&string(right)?).map_err(|e| format!("right side: {e}"))?;
        for item in left_items {
            let l = dates::parse(&string(&item)?).map_err(|e| format!("left side: {e}"))?;
            let nanos = |d: chrono::DateTime<chrono::FixedOffset>| {
                d.timestamp().saturating_mul(1_000_000_000) + i64::from(d.timestamp_subsec_nanos())
            };
            if test(nanos(l), nanos(r)) {
                return Ok(true);
            }
        }
        Ok(false)
    };
    let list_of_right = || -> Vec<String> {
        match right {
            Value::Array(values) => values.iter().map(|v| fold(text(v))).collect(),
            other => text(other)
                .split(',')
                .map(|p| fold(p.trim().to_owned()))
                .collect(),
        }
    };
    match id {
        "isEqualString" | "isEqualCase" => any_text(&|l, r| l == r),
        "isEqual" => evaluate("isEqualString", left, right, true),
        "isNotEqualString" | "isNotEqualCase" => negated("isEqualString"),
        "isNotEqual" => evaluate("isEqualString", left, right, true).map(|b| !b),
        "containsString" => any_text(&|l, r| l.contains(r)),
        "notContainsString" => negated("containsString"),
        "startWith" => any_text(&|l, r| l.starts_with(r)),
        "notStartWith" => negated("startWith"),
        "endWith" => any_text(&|l, r| l.ends_with(r)),
        "notEndWith" => negated("endWith"),
        "inList" => {
            let choices = list_of_right();
            items(left)
                .iter()
                .map(|item| string(item).map(fold))
                .collect::<Result<Vec<_>, String>>()
                .map(|values| values.iter().any(|v| choices.contains(v)))
                .map_err(Failure::from)
        }
        "notInList" => negated("inList"),
        "match" => {
            let pattern = string(right)?;
            match RegexBuilder::new(&pattern)
                .case_insensitive(ignore_case)
                .build()
            {
                Ok(regex) => any_text(&|l, _| regex.is_match(l)),
                Err(e) => Err(format!("{pattern:?} is not a valid regular expression: {e}").into()),
            }
        }
        "stringHasLength" => {
            let wanted = integer(right).map_err(|e| format!("right side: {e}"))?;
            any_text(&|l, _| l.chars().count() as i64 == wanted)
        }
        "isEqualNumber" => any_number(|l, r| l == r),
        "isNotEqualNumber" => negated("isEqualNumber"),
        "greaterThan" => any_number(|l, r| l > r),
        "greaterThanOrEqual" => any_number(|l, r| l >= r),
        "lessThan" => any_number(|l, r| l < r),
        "lessThanOrEqual" => any_number(|l, r| l <= r),
        "isBefore" => any_date(|l, r| l < r),
        "isAfter" => any_date(|l, r| l > r),
        "isSame" => any_date(|l, r| l == r),
        "isTrue" => Ok(items(left).iter().any(|v| boolean(v) == Some(true))),
        "isFalse" => Ok(items(left).iter().any(|v| boolean(v) == Some(false))),
        "containsGeneral" | "contains" => Ok(match left {
            Value::String(s) => fold(s.clone()).contains(&fold(text(right))),
            Value::Object(map) => map.contains_key(&text(right)),
            other => {
                let wanted = fold(text(right));
                items(other).iter().any(|item| fold(text(item)) == wanted)
            }
        }),
        "notContainsGeneral" | "notContains" => negated("containsGeneral"),
        "in" => {
            let choices = list_of_right();
            Ok(items(left)
                .iter()
                .any(|item| choices.contains(&fold(text(item)))))
        }
        "notIn" => negated("in"),
        "hasLength" => {
            let wanted = integer(right).map_err(|e| format!("right side: {e}"))?;
            Ok(items(left).len() as i64 == wanted)
        }
        "isExists" => Ok(!left.is_null()),
        "isNotExists" => Ok(left.is_null()),
        "isEmpty" => Ok(is_empty(left)),
        "isNotEmpty" => Ok(!is_empty(left)),
        "isIdenticalIncident" | "isNotIdenticalIncident" => Err(format!(
            "`{id}` compares with existing incidents in pre-process rules; a mapper cannot use it"
        )
        .into()),
        _ => Err(Failure::NotBuiltIn),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(id: &str, left: Value, right: Value) -> Result<bool, String> {
        holds(id, &left, &right, false).expect("a built-in")
    }

    #[test]
    fn strings_lists_and_negations() {
        assert_eq!(
            check("containsString", json!(["abc", "x"]), json!("b")),
            Ok(true)
        );
        assert_eq!(
            check("notContainsString", json!(["abc", "x"]), json!("b")),
            Ok(false)
        );
        assert_eq!(
            check("endWith", json!("report.pdf"), json!(".pdf")),
            Ok(true)
        );
        assert_eq!(check("inList", json!("b"), json!("a, b ,c")), Ok(true));
        assert_eq!(check("notInList", json!("d"), json!("a,b")), Ok(true));
        assert_eq!(
            check("match", json!("INC0010001"), json!("^INC\\d{7}$")),
            Ok(true)
        );
        assert_eq!(
            holds("match", &json!("inc1"), &json!("^INC"), true),
            Some(Ok(true))
        );
        assert!(check("match", json!("x"), json!("("))
            .unwrap_err()
            .contains("not a valid"));
        assert_eq!(
            check("stringHasLength", json!("abcd"), json!("4")),
            Ok(true)
        );
        assert!(check("isEqualString", json!({"a": 1}), json!("a")).is_err());
    }

    #[test]
    fn numbers_and_dates_cast_or_fail() {
        assert_eq!(check("greaterThanOrEqual", json!("3"), json!(3)), Ok(true));
        assert_eq!(check("lessThan", Value::Null, json!(3)), Ok(false));
        assert!(check("isEqualNumber", json!("3"), json!("three"))
            .unwrap_err()
            .contains("right side"));
        assert_eq!(
            check(
                "isBefore",
                json!("2024-01-01 00:00:00"),
                json!("2024-01-01T00:00:01Z")
            ),
            Ok(true)
        );
        assert_eq!(
            check(
                "isSame",
                json!("2024-01-01T01:00:00+01:00"),
                json!("2024-01-01T00:00:00Z")
            ),
            Ok(true)
        );
        assert!(check("isAfter", json!("last week"), json!("2024-01-01"))
            .unwrap_err()
            .contains("left side"));
        assert_eq!(
            check("isAfter", Value::Null, json!("2024-01-01")),
            Ok(false)
        );
    }

    #[test]
    fn general_operators() {
        assert_eq!(
            check("containsGeneral", json!(["Low", "Medium"]), json!("Medium")),
            Ok(true)
        );
        assert_eq!(
            check("containsGeneral", json!("text/rtf"), json!("rtf")),
            Ok(true)
        );
        assert_eq!(check("in", json!("bob"), json!(["alice", "bob"])), Ok(true));
        assert_eq!(
            check("notIn", json!("eve"), json!(["alice", "bob"])),
            Ok(true)
        );
        assert_eq!(check("hasLength", json!(["a", "b"]), json!(2)), Ok(true));
        assert_eq!(check("isExists", json!(false), Value::Null), Ok(true));
        assert_eq!(check("isEmpty", json!({}), Value::Null), Ok(true));
        assert_eq!(check("isTrue", json!("True"), Value::Null), Ok(true));
        assert_eq!(check("isFalse", Value::Null, Value::Null), Ok(false));
        assert!(check("isIdenticalIncident", json!(1), json!(1))
            .unwrap_err()
            .contains("pre-process"));
    }
}
