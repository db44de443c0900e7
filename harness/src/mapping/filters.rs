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
use super::error::{BuiltinError, Side};
use super::value::{boolean, integer, is_empty, items, number, string};
use crate::text::text;

/// Evaluates the built-in `id` on the resolved sides; `None` when there is no such built-in.
pub(crate) fn holds(
    id: &str,
    left: &Value,
    right: &Value,
    ignore_case: bool,
) -> Option<Result<bool, BuiltinError>> {
    let sides = Sides {
        left,
        right,
        ignore_case,
    };
    match sides.evaluate(id) {
        Ok(holds) => Some(Ok(holds)),
        Err(Failure::Failed(why)) => Some(Err(why)),
        Err(Failure::NotBuiltIn) => None,
    }
}

/// Why a filter gives no answer.
enum Failure {
    /// There is no built-in filter of that id.
    NotBuiltIn,
    /// The built-in could not compare the sides.
    Failed(BuiltinError),
}

impl From<BuiltinError> for Failure {
    fn from(why: BuiltinError) -> Self {
        Self::Failed(why)
    }
}

/// The negated filters and the filter each negates.
const NEGATIONS: &[(&str, &str)] = &[
    ("isNotEqualString", "isEqualString"),
    ("isNotEqualCase", "isEqualString"),
    ("isNotEqual", "isEqual"),
    ("notContainsString", "containsString"),
    ("notStartWith", "startWith"),
    ("notEndWith", "endWith"),
    ("notInList", "inList"),
    ("isNotEqualNumber", "isEqualNumber"),
    ("notContainsGeneral", "containsGeneral"),
    ("notContains", "containsGeneral"),
    ("notIn", "in"),
];

/// The resolved sides of a condition.
#[derive(Clone, Copy)]
struct Sides<'a> {
    left: &'a Value,
    right: &'a Value,
    ignore_case: bool,
}

impl Sides<'_> {
    fn evaluate(&self, id: &str) -> Result<bool, Failure> {
        if let Some((_, positive)) = NEGATIONS.iter().find(|(negated, _)| *negated == id) {
            return self.evaluate(positive).map(|b| !b);
        }
        match id {
            "isEqualString" | "isEqualCase" => Ok(self.any_text(|l, r| l == r)?),
            // The older id compares ignoring case whatever the condition says.
            "isEqual" => Sides {
                ignore_case: true,
                ..*self
            }
            .evaluate("isEqualString"),
            "containsString" => Ok(self.any_text(|l, r| l.contains(r))?),
            "startWith" => Ok(self.any_text(|l, r| l.starts_with(r))?),
            "endWith" => Ok(self.any_text(|l, r| l.ends_with(r))?),
            "inList" => Ok(self.in_list()?),
            "match" => Ok(self.matches()?),
            "stringHasLength" => {
                let wanted = self.whole_right()?;
                Ok(self.any_text(|l, _| l.chars().count() as i64 == wanted)?)
            }
            "isEqualNumber" => Ok(self.any_number(|l, r| l == r)?),
            "greaterThan" => Ok(self.any_number(|l, r| l > r)?),
            "greaterThanOrEqual" => Ok(self.any_number(|l, r| l >= r)?),
            "lessThan" => Ok(self.any_number(|l, r| l < r)?),
            "lessThanOrEqual" => Ok(self.any_number(|l, r| l <= r)?),
            "isBefore" => Ok(self.any_date(|l, r| l < r)?),
            "isAfter" => Ok(self.any_date(|l, r| l > r)?),
            "isSame" => Ok(self.any_date(|l, r| l == r)?),
            "isTrue" => Ok(items(self.left).iter().any(|v| boolean(v) == Some(true))),
            "isFalse" => Ok(items(self.left).iter().any(|v| boolean(v) == Some(false))),
            "containsGeneral" | "contains" => Ok(self.contains()),
            "in" => {
                let choices = self.right_list();
                Ok(items(self.left)
                    .iter()
                    .any(|item| choices.contains(&self.fold(text(item)))))
            }
            "hasLength" => Ok(items(self.left).len() as i64 == self.whole_right()?),
            "isExists" => Ok(!self.left.is_null()),
            "isNotExists" => Ok(self.left.is_null()),
            "isEmpty" => Ok(is_empty(self.left)),
            "isNotEmpty" => Ok(!is_empty(self.left)),
            "isIdenticalIncident" | "isNotIdenticalIncident" => Err(BuiltinError::PreProcessOnly {
                operator: id.to_owned(),
            }
            .into()),
            _ => Err(Failure::NotBuiltIn),
        }
    }

    /// Text folded for comparison when the condition ignores case.
    fn fold(&self, s: String) -> String {
        if self.ignore_case {
            s.to_lowercase()
        } else {
            s
        }
    }

    /// Whether `test` holds for the text of any left item and the right text.
    fn any_text(&self, test: impl Fn(&str, &str) -> bool) -> Result<bool, BuiltinError> {
        let r = self.fold(string(self.right)?);
        for item in items(self.left) {
            if test(&self.fold(string(&item)?), &r) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Whether `test` holds for any left item and the right side, both cast with `cast`; a
    /// missing left side never matches (and its right side is not cast).
    fn any_cast<T: Copy>(
        &self,
        cast: impl Fn(&Value, Side) -> Result<T, BuiltinError>,
        test: fn(T, T) -> bool,
    ) -> Result<bool, BuiltinError> {
        let left_items = items(self.left);
        if left_items.is_empty() {
            return Ok(false);
        }
        let r = cast(self.right, Side::Right)?;
        for item in left_items {
            if test(cast(&item, Side::Left)?, r) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn any_number(&self, test: fn(f64, f64) -> bool) -> Result<bool, BuiltinError> {
        self.any_cast(
            |value, side| number(value).map_err(|source| BuiltinError::SideCast { side, source }),
            test,
        )
    }

    /// Compares dates as nanoseconds since the epoch.
    fn any_date(&self, test: fn(i64, i64) -> bool) -> Result<bool, BuiltinError> {
        self.any_cast(
            |value, side| {
                let date = dates::parse(&string(value)?)
                    .map_err(|source| BuiltinError::SideNotADate { side, source })?;
                Ok(date.timestamp().saturating_mul(1_000_000_000)
                    + i64::from(date.timestamp_subsec_nanos()))
            },
            test,
        )
    }

    /// The right side as a whole number (a length).
    fn whole_right(&self) -> Result<i64, BuiltinError> {
        integer(self.right).map_err(|source| BuiltinError::SideCast {
            side: Side::Right,
            source,
        })
    }

    /// The right side as a list of texts: a list's items, or a text split at commas.
    fn right_list(&self) -> Vec<String> {
        match self.right {
            Value::Array(values) => values.iter().map(|v| self.fold(text(v))).collect(),
            other => text(other)
                .split(',')
                .map(|p| self.fold(p.trim().to_owned()))
                .collect(),
        }
    }

    /// `inList`: a left item is one of the right side's texts; every left item must be text.
    fn in_list(&self) -> Result<bool, BuiltinError> {
        let choices = self.right_list();
        let values = items(self.left)
            .iter()
            .map(|item| string(item).map(|s| self.fold(s)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(values.iter().any(|v| choices.contains(v)))
    }

    /// `match`: the right side is a regular expression found in any left item.
    fn matches(&self) -> Result<bool, BuiltinError> {
        let pattern = string(self.right)?;
        match RegexBuilder::new(&pattern)
            .case_insensitive(self.ignore_case)
            .build()
        {
            Ok(regex) => self.any_text(|l, _| regex.is_match(l)),
            Err(source) => Err(BuiltinError::BadRegex {
                argument: None,
                pattern,
                source,
            }),
        }
    }

    /// `containsGeneral`: a text contains the right text, an object the key, a list the item.
    fn contains(&self) -> bool {
        match self.left {
            Value::String(s) => self.fold(s.clone()).contains(&self.fold(text(self.right))),
            Value::Object(map) => map.contains_key(&text(self.right)),
            other => {
                let wanted = self.fold(text(self.right));
                items(other)
                    .iter()
                    .any(|item| self.fold(text(item)) == wanted)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(id: &str, left: Value, right: Value) -> Result<bool, BuiltinError> {
        holds(id, &left, &right, false).expect("a built-in")
    }

    /// What the report says when the filter fails.
    fn failure(id: &str, left: Value, right: Value) -> String {
        check(id, left, right).expect_err("a failure").to_string()
    }

    #[test]
    fn lists_on_the_left_pass_when_any_item_passes() {
        assert_eq!(
            holds("isEqualString", &json!(["a", "B"]), &json!("b"), true),
            Some(Ok(true))
        );
        assert_eq!(
            check(
                "isAfter",
                json!("2024-01-02T00:00:00Z"),
                json!("0001-01-01T00:00:00Z")
            ),
            Ok(true)
        );
        assert_eq!(holds("isMagic", &json!(1), &json!(1), false), None);
        assert_eq!(check("isEqual", json!("A"), json!("a")), Ok(true));
        assert_eq!(check("isNotEqual", json!("A"), json!("a")), Ok(false));
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
        assert!(failure("match", json!("x"), json!("("))
            .starts_with("\"(\" is not a valid regular expression: "));
        assert_eq!(
            check("stringHasLength", json!("abcd"), json!("4")),
            Ok(true)
        );
        assert_eq!(
            failure("isEqualString", json!({"a": 1}), json!("a")),
            r#"cannot cast {"a":1} to a string"#
        );
        assert!(check("inList", json!(["b", {"a": 1}]), json!("b")).is_err());
    }

    #[test]
    fn numbers_and_dates_cast_or_fail() {
        assert_eq!(check("greaterThanOrEqual", json!("3"), json!(3)), Ok(true));
        assert_eq!(check("lessThan", Value::Null, json!(3)), Ok(false));
        assert_eq!(
            failure("isEqualNumber", json!("3"), json!("three")),
            "right side: cannot cast \"three\" to a number"
        );
        assert_eq!(
            failure("greaterThan", json!("many"), json!(1)),
            "left side: cannot cast \"many\" to a number"
        );
        assert_eq!(
            failure("hasLength", json!([]), json!(1.5)),
            "right side: cannot cast 1.5 to a whole number"
        );
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
        assert!(failure("isAfter", json!("last week"), json!("2024-01-01"))
            .starts_with("left side: cannot read \"last week\" as a date"));
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
        assert_eq!(
            failure("isIdenticalIncident", json!(1), json!(1)),
            "`isIdenticalIncident` compares with existing incidents in pre-process rules; a mapper cannot use it"
        );
    }
}
