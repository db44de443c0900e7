//! The server's built-in transformer operators.
//!
//! The operator ids are the server's own (the list demisto-sdk keeps of server built-ins);
//! arguments, per-item versus whole-list behaviour and casts follow the admin guide
//! ("Transformers Operators") and how content uses them. Per-item operators apply to each item
//! of a list; whole-list operators see the list (a single value is a list of one). A value
//! that does not cast to what the operator needs is an error, as a failed cast fails the task
//! on the server.
//!
//! | category | operators (arguments) |
//! |---|---|
//! | String, per item | `toUpperCase`, `toLowerCase`, `trim`, `strLength`, `substringFrom` (from), `substringTo` (to), `substring` (from, to), `split` / `splitAndTrim` (delimiter, default `,`), `replace` (toReplace, replaceWith, limit), `replaceMatch` (regex, replaceWith), `concat` (prefix, suffix) |
//! | Number, per item | `round`, `floor`, `ceil`, `abs`, `precision` (by: decimals), `addition` / `subtraction` / `multiply` / `division` / `modulo` (by), `toPercent` (total), `quadraticEquation` (a, b, c) |
//! | Date, per item | `toString` (format: a Go layout or its name, default RFC 822; a value that is not a date stays its text when no format is given), `toUnix` (epoch seconds) |
//! | General, whole list | `count`, `atIndex` (index; negative from the end), `join` (separator, default `,`), `uniq`, `sort` (descending), `indexOf` (item), `slice` (from, to), `sliceByItem` (from, to), `splice` (index, deleteCount, item), `append` (item) |
//! | General, per item | `getField` (field: a path), `Stringify` (JSON text of objects and lists) |

use regex::Regex;
use serde_json::{Map, Value};

use super::dates;
use super::error::BuiltinError;
use super::path::get_path;
use super::value::{boolean, from_number, integer, items, number, per_item, shown, string};
use crate::text::text;

/// The resolved arguments of one transformer (`null` when not given).
pub(crate) type Args = Map<String, Value>;

/// What a built-in does with its input.
struct Builtin {
    id: &'static str,
    args: &'static [&'static str],
    apply: fn(Value, &Args) -> Result<Value, BuiltinError>,
}

const BUILTINS: &[Builtin] = &[
    // String
    Builtin {
        id: "toUpperCase",
        args: &[],
        apply: |v, _| each_str(v, |s| Ok(s.to_uppercase().into())),
    },
    Builtin {
        id: "toLowerCase",
        args: &[],
        apply: |v, _| each_str(v, |s| Ok(s.to_lowercase().into())),
    },
    Builtin {
        id: "trim",
        args: &[],
        apply: |v, _| each_str(v, |s| Ok(s.trim().into())),
    },
    Builtin {
        id: "strLength",
        args: &[],
        apply: |v, _| each_str(v, |s| Ok(s.chars().count().into())),
    },
    Builtin {
        id: "substringFrom",
        args: &["from"],
        apply: |v, a| {
            let from = index_arg(a, "from")?.unwrap_or(0);
            each_str(v, |s| Ok(chars(s, from, None).into()))
        },
    },
    Builtin {
        id: "substringTo",
        args: &["to"],
        apply: |v, a| {
            let to = index_arg(a, "to")?;
            each_str(v, |s| Ok(chars(s, 0, to).into()))
        },
    },
    Builtin {
        id: "substring",
        args: &["from", "to"],
        apply: |v, a| {
            let (from, to) = (index_arg(a, "from")?.unwrap_or(0), index_arg(a, "to")?);
            each_str(v, |s| Ok(chars(s, from, to).into()))
        },
    },
    Builtin {
        id: "split",
        args: &["delimiter"],
        apply: |v, a| split(v, a, false),
    },
    Builtin {
        id: "splitAndTrim",
        args: &["delimiter"],
        apply: |v, a| split(v, a, true),
    },
    Builtin {
        id: "replace",
        args: &["toReplace", "replaceWith", "limit"],
        apply: |v, a| {
            let from = str_arg(a, "toReplace")?.unwrap_or_default();
            let to = str_arg(a, "replaceWith")?.unwrap_or_default();
            let limit = index_arg(a, "limit")?.filter(|l| *l > 0);
            each_str(v, |s| {
                Ok(match (from.is_empty(), limit) {
                    (true, _) => s.to_owned(),
                    (false, Some(n)) => s.replacen(&from, &to, n as usize),
                    (false, None) => s.replace(&from, &to),
                }
                .into())
            })
        },
    },
    Builtin {
        id: "replaceMatch",
        args: &["regex", "replaceWith"],
        apply: |v, a| {
            let pattern = str_arg(a, "regex")?.unwrap_or_default();
            let regex = Regex::new(&pattern).map_err(|source| BuiltinError::BadRegex {
                argument: Some("regex"),
                pattern: pattern.clone(),
                source,
            })?;
            let to = str_arg(a, "replaceWith")?.unwrap_or_default();
            each_str(v, |s| {
                Ok(regex.replace_all(s, to.as_str()).into_owned().into())
            })
        },
    },
    Builtin {
        id: "concat",
        args: &["prefix", "suffix"],
        apply: |v, a| {
            let prefix = str_arg(a, "prefix")?.unwrap_or_default();
            let suffix = str_arg(a, "suffix")?.unwrap_or_default();
            each_str(v, |s| Ok(format!("{prefix}{s}{suffix}").into()))
        },
    },
    // Number
    Builtin {
        id: "round",
        args: &[],
        apply: |v, _| each_num(v, |n| Ok(n.round())),
    },
    Builtin {
        id: "floor",
        args: &[],
        apply: |v, _| each_num(v, |n| Ok(n.floor())),
    },
    Builtin {
        id: "ceil",
        args: &[],
        apply: |v, _| each_num(v, |n| Ok(n.ceil())),
    },
    Builtin {
        id: "abs",
        args: &[],
        apply: |v, _| each_num(v, |n| Ok(n.abs())),
    },
    Builtin {
        id: "precision",
        args: &["by"],
        apply: |v, a| {
            let places = index_arg(a, "by")?.unwrap_or(0).clamp(0, 15);
            let scale = 10f64.powi(places as i32);
            each_num(v, |n| Ok((n * scale).round() / scale))
        },
    },
    Builtin {
        id: "addition",
        args: &["by"],
        apply: |v, a| by(v, a, |n, by| Ok(n + by)),
    },
    Builtin {
        id: "subtraction",
        args: &["by"],
        apply: |v, a| by(v, a, |n, by| Ok(n - by)),
    },
    Builtin {
        id: "multiply",
        args: &["by"],
        apply: |v, a| by(v, a, |n, by| Ok(n * by)),
    },
    Builtin {
        id: "division",
        args: &["by"],
        apply: |v, a| {
            by(v, a, |n, by| {
                if by == 0.0 {
                    Err(BuiltinError::DivisionByZero)
                } else {
                    Ok(n / by)
                }
            })
        },
    },
    Builtin {
        id: "modulo",
        args: &["by"],
        apply: |v, a| {
            by(v, a, |n, by| {
                if by == 0.0 {
                    Err(BuiltinError::ModuloByZero)
                } else {
                    Ok(n % by)
                }
            })
        },
    },
    Builtin {
        id: "toPercent",
        args: &["total"],
        apply: |v, a| {
            let total = num_arg(a, "total")?;
            each_num(v, |n| {
                if total == 0.0 {
                    Err(BuiltinError::PercentOfZero)
                } else {
                    Ok(n / total * 100.0)
                }
            })
        },
    },
    Builtin {
        id: "quadraticEquation",
        args: &["a", "b", "c"],
        apply: |v, args| {
            let coefficient = |name: &'static str| -> Result<f64, BuiltinError> {
                match args.get(name).filter(|v| !v.is_null()) {
                    Some(value) => {
                        number(value).map_err(|source| BuiltinError::Argument { name, source })
                    }
                    None => Ok(0.0),
                }
            };
            let (a, b, c) = (coefficient("a")?, coefficient("b")?, coefficient("c")?);
            each_num(v, |x| Ok(a * x * x + b * x + c))
        },
    },
    // Date
    Builtin {
        id: "toString",
        args: &["format"],
        apply: |v, a| {
            let format = str_arg(a, "format")?.filter(|f| !f.is_empty());
            per_item(v, |item| {
                let s = string(item)?;
                match (dates::parse(&s), &format) {
                    (Ok(date), Some(format)) => Ok(dates::format_go(&date, format).into()),
                    (Ok(date), None) => Ok(dates::format_go(&date, dates::RFC822).into()),
                    (Err(e), Some(_)) => Err(e.into()),
                    (Err(_), None) => Ok(s.into()),
                }
            })
        },
    },
    Builtin {
        id: "toUnix",
        args: &[],
        apply: |v, _| each_str(v, |s| Ok(dates::parse(s)?.timestamp().into())),
    },
    // General, whole list
    Builtin {
        id: "count",
        args: &[],
        apply: |v, _| Ok(items(&v).len().into()),
    },
    Builtin {
        id: "atIndex",
        args: &["index"],
        apply: |v, a| {
            let list = items(&v);
            let index = index_arg(a, "index")?.unwrap_or(0);
            Ok(position(index, list.len())
                .and_then(|i| list.get(i).cloned())
                .unwrap_or(Value::Null))
        },
    },
    Builtin {
        id: "join",
        args: &["separator"],
        apply: |v, a| {
            let separator = str_arg(a, "separator")?.unwrap_or_else(|| ",".into());
            Ok(items(&v)
                .iter()
                .map(text)
                .collect::<Vec<_>>()
                .join(&separator)
                .into())
        },
    },
    Builtin {
        id: "uniq",
        args: &[],
        apply: |v, _| {
            let mut seen = Vec::new();
            for item in items(&v) {
                if !seen.contains(&item) {
                    seen.push(item);
                }
            }
            Ok(Value::Array(seen))
        },
    },
    Builtin {
        id: "sort",
        args: &["descending"],
        apply: |v, a| {
            let descending = a.get("descending").and_then(boolean).unwrap_or(false);
            let mut list = items(&v);
            let numeric: Option<Vec<f64>> = list.iter().map(|i| number(i).ok()).collect();
            match numeric {
                Some(numbers) => {
                    let mut pairs: Vec<(f64, Value)> = numbers.into_iter().zip(list).collect();
                    pairs.sort_by(|x, y| x.0.total_cmp(&y.0));
                    list = pairs.into_iter().map(|(_, v)| v).collect();
                }
                None => list.sort_by_key(text),
            }
            if descending {
                list.reverse();
            }
            Ok(Value::Array(list))
        },
    },
    Builtin {
        id: "indexOf",
        args: &["item"],
        apply: |v, a| {
            let wanted = a.get("item").map(text).unwrap_or_default();
            let found = items(&v).iter().position(|i| text(i) == wanted);
            Ok(found.map_or(Value::from(-1), Value::from))
        },
    },
    Builtin {
        id: "slice",
        args: &["from", "to"],
        apply: |v, a| {
            let list = items(&v);
            let len = list.len();
            let from = bound(index_arg(a, "from")?.unwrap_or(0), len);
            let to = index_arg(a, "to")?.map_or(len, |t| bound(t, len));
            Ok(Value::Array(
                list.get(from..to.max(from)).unwrap_or_default().to_vec(),
            ))
        },
    },
    Builtin {
        id: "sliceByItem",
        args: &["from", "to"],
        apply: |v, a| {
            let list = items(&v);
            let find = |name: &str, after: usize| {
                a.get(name).filter(|x| !x.is_null()).map(|wanted| {
                    let wanted = text(wanted);
                    list.iter()
                        .skip(after)
                        .position(|i| text(i) == wanted)
                        .map(|p| p + after)
                })
            };
            let from = match find("from", 0) {
                Some(Some(at)) => at,
                Some(None) => return Ok(Value::Array(Vec::new())),
                None => 0,
            };
            let to = find("to", from).flatten().unwrap_or(list.len());
            Ok(Value::Array(list[from..to].to_vec()))
        },
    },
    Builtin {
        id: "splice",
        args: &["index", "deleteCount", "item"],
        apply: |v, a| {
            let mut list = items(&v);
            let len = list.len();
            let at = bound(index_arg(a, "index")?.unwrap_or(0), len);
            let delete = index_arg(a, "deleteCount")?
                .map_or(len - at, |d| (d.max(0) as usize).min(len - at));
            let inserted = a.get("item").map(items).unwrap_or_default();
            list.splice(at..at + delete, inserted);
            Ok(Value::Array(list))
        },
    },
    Builtin {
        id: "append",
        args: &["item"],
        apply: |v, a| {
            let mut list = items(&v);
            list.extend(a.get("item").map(items).unwrap_or_default());
            Ok(Value::Array(list))
        },
    },
    // General, per item
    Builtin {
        id: "getField",
        args: &["field"],
        apply: |v, a| {
            let field = str_arg(a, "field")?.unwrap_or_default();
            per_item(v, |item| Ok(get_path(item, &field)))
        },
    },
    Builtin {
        id: "Stringify",
        args: &[],
        apply: |v, _| {
            per_item(v, |item| {
                Ok(match item {
                    Value::String(s) => Value::String(s.clone()),
                    other => Value::String(other.to_string()),
                })
            })
        },
    },
];

/// Applies the built-in `id`; `None` when there is no such built-in.
pub(crate) fn apply(id: &str, value: Value, args: &Args) -> Option<Result<Value, BuiltinError>> {
    let builtin = BUILTINS.iter().find(|b| b.id == id)?;
    let unknown: Vec<String> = args
        .iter()
        .filter(|(name, value)| !value.is_null() && !builtin.args.contains(&name.as_str()))
        .map(|(name, _)| name.clone())
        .collect();
    if !unknown.is_empty() {
        return Some(Err(BuiltinError::UnknownArguments {
            operator: builtin.id,
            unknown,
            known: builtin.args,
        }));
    }
    Some((builtin.apply)(value, args))
}

fn each_str(
    value: Value,
    f: impl Fn(&str) -> Result<Value, BuiltinError>,
) -> Result<Value, BuiltinError> {
    per_item(value, |item| f(&string(item)?))
}

fn each_num(
    value: Value,
    f: impl Fn(f64) -> Result<f64, BuiltinError>,
) -> Result<Value, BuiltinError> {
    per_item(value, |item| Ok(from_number(f(number(item)?)?)?))
}

/// An arithmetic operator: `f` of each item and the required argument `by`.
fn by(
    value: Value,
    args: &Args,
    f: impl Fn(f64, f64) -> Result<f64, BuiltinError>,
) -> Result<Value, BuiltinError> {
    let by = num_arg(args, "by")?;
    each_num(value, |n| f(n, by))
}

fn split(value: Value, args: &Args, trim: bool) -> Result<Value, BuiltinError> {
    let delimiter = str_arg(args, "delimiter")?
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| ",".into());
    each_str(value, |s| {
        Ok(Value::Array(
            s.split(delimiter.as_str())
                .map(|part| if trim { part.trim() } else { part })
                .filter(|part| !trim || !part.is_empty())
                .map(|part| Value::String(part.to_owned()))
                .collect(),
        ))
    })
}

/// The characters of `s` from `from` to `to` (exclusive); negative positions count from the end.
fn chars(s: &str, from: i64, to: Option<i64>) -> String {
    let all: Vec<char> = s.chars().collect();
    let from = bound(from, all.len());
    let to = to.map_or(all.len(), |t| bound(t, all.len()));
    all.get(from..to.max(from))
        .unwrap_or_default()
        .iter()
        .collect()
}

/// A position in `0..=len`, negative positions counting from the end.
fn bound(at: i64, len: usize) -> usize {
    let len = len as i64;
    let at = if at < 0 { len + at } else { at };
    at.clamp(0, len) as usize
}

/// An index into a list of `len`, negative from the end; `None` when outside.
fn position(at: i64, len: usize) -> Option<usize> {
    let at = if at < 0 { len as i64 + at } else { at };
    (0..len as i64).contains(&at).then_some(at as usize)
}

/// A text argument; `None` when not given.
pub(crate) fn str_arg(args: &Args, name: &'static str) -> Result<Option<String>, BuiltinError> {
    match args.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => string(value)
            .map(Some)
            .map_err(|source| BuiltinError::Argument { name, source }),
    }
}

fn num_arg(args: &Args, name: &'static str) -> Result<f64, BuiltinError> {
    match args.get(name) {
        None | Some(Value::Null) => Err(BuiltinError::MissingArgument { name }),
        Some(value) => number(value).map_err(|source| BuiltinError::Argument { name, source }),
    }
}

fn index_arg(args: &Args, name: &'static str) -> Result<Option<i64>, BuiltinError> {
    match args.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(value) => integer(value)
            .map(Some)
            .map_err(|source| BuiltinError::NotAnIndex {
                name,
                source,
                got: shown(value),
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(id: &str, value: Value, args: Value) -> Result<Value, BuiltinError> {
        let args = args.as_object().cloned().unwrap_or_default();
        apply(id, value, &args).expect("a built-in")
    }

    /// What the report says when the built-in fails.
    fn failure(id: &str, value: Value, args: Value) -> String {
        run(id, value, args).expect_err("a failure").to_string()
    }

    #[test]
    fn string_operators_apply_per_item() {
        assert_eq!(
            run("toUpperCase", json!(["a", "b"]), json!({})),
            Ok(json!(["A", "B"]))
        );
        assert_eq!(
            failure("toUpperCase", json!({"some": "object"}), json!({})),
            r#"cannot cast {"some":"object"} to a string"#
        );
        assert_eq!(
            run(
                "substring",
                json!("abcdef"),
                json!({"from": "1", "to": "-1"})
            ),
            Ok(json!("bcde"))
        );
        assert_eq!(
            run("substringTo", json!("2020-01-01T12:40"), json!({"to": 10})),
            Ok(json!("2020-01-01"))
        );
        assert_eq!(run("strLength", json!("héllo"), json!({})), Ok(json!(5)));
        assert_eq!(
            run(
                "replaceMatch",
                json!("INC0010001"),
                json!({"regex": "^INC0*", "replaceWith": "#"})
            ),
            Ok(json!("#10001"))
        );
        assert_eq!(
            run(
                "replaceMatch",
                json!("a-b"),
                json!({"regex": "(\\w)-(\\w)", "replaceWith": "$2-$1"})
            ),
            Ok(json!("b-a"))
        );
        assert!(failure("replaceMatch", json!("x"), json!({"regex": "("}))
            .starts_with("`regex` \"(\" is not a valid regular expression: "));
        assert_eq!(
            run(
                "replace",
                json!("1-1-1"),
                json!({"toReplace": "1", "replaceWith": "2", "limit": "2"})
            ),
            Ok(json!("2-2-1"))
        );
        assert_eq!(
            run("split", json!(["a,b", "c"]), json!({})),
            Ok(json!(["a", "b", "c"]))
        );
        // A missing value has no items to transform: it stays missing.
        assert_eq!(
            run("concat", Value::Null, json!({"prefix": "p"})),
            Ok(Value::Null)
        );
    }

    #[test]
    fn number_operators_cast_and_fail_on_text() {
        assert_eq!(
            run("addition", json!("2"), json!({"by": "3"})),
            Ok(json!(5))
        );
        assert_eq!(run("division", json!(1), json!({"by": 4})), Ok(json!(0.25)));
        assert_eq!(
            failure("division", json!(1), json!({"by": 0})),
            "division by zero"
        );
        assert_eq!(
            failure("multiply", json!("many"), json!({"by": 2})),
            "cannot cast \"many\" to a number"
        );
        assert_eq!(failure("addition", json!(1), json!({})), "`by` is required");
        assert_eq!(
            failure("addition", json!(1), json!({"by": "x"})),
            "`by`: cannot cast \"x\" to a number"
        );
        assert_eq!(
            failure("atIndex", json!([1]), json!({"index": 1.5})),
            "`index`: cannot cast 1.5 to a whole number (got 1.5)"
        );
        assert_eq!(
            run("precision", json!(2.34567), json!({"by": 2})),
            Ok(json!(2.35))
        );
        assert_eq!(
            run(
                "quadraticEquation",
                json!(2),
                json!({"a": 1, "b": 2, "c": 1})
            ),
            Ok(json!(9))
        );
        assert_eq!(
            run("round", json!(["1.5", 2.4]), json!({})),
            Ok(json!([2, 2]))
        );
    }

    #[test]
    fn list_operators_see_the_whole_list() {
        let list = json!(["b", "a", "b", "c"]);
        assert_eq!(run("count", list.clone(), json!({})), Ok(json!(4)));
        assert_eq!(
            run("uniq", list.clone(), json!({})),
            Ok(json!(["b", "a", "c"]))
        );
        assert_eq!(
            run("sort", list.clone(), json!({"descending": "true"})),
            Ok(json!(["c", "b", "b", "a"]))
        );
        assert_eq!(
            run("sort", json!([10, 9, "100"]), json!({})),
            Ok(json!([9, 10, "100"]))
        );
        assert_eq!(
            run("atIndex", list.clone(), json!({"index": "-1"})),
            Ok(json!("c"))
        );
        assert_eq!(
            run("atIndex", list.clone(), json!({"index": 9})),
            Ok(Value::Null)
        );
        assert_eq!(
            run("slice", list.clone(), json!({"from": 1, "to": 3})),
            Ok(json!(["a", "b"]))
        );
        assert_eq!(
            run("sliceByItem", list.clone(), json!({"from": "a", "to": "c"})),
            Ok(json!(["a", "b"]))
        );
        assert_eq!(
            run(
                "splice",
                list.clone(),
                json!({"index": 1, "deleteCount": 2, "item": "x"})
            ),
            Ok(json!(["b", "x", "c"]))
        );
        assert_eq!(
            run("indexOf", list.clone(), json!({"item": "c"})),
            Ok(json!(3))
        );
        assert_eq!(
            run("append", json!("a"), json!({"item": ["b"]})),
            Ok(json!(["a", "b"]))
        );
        assert_eq!(
            run("join", list, json!({"separator": ";"})),
            Ok(json!("b;a;b;c"))
        );
        assert_eq!(run("count", Value::Null, json!({})), Ok(json!(0)));
    }

    #[test]
    fn date_operators_read_and_write_go_layouts() {
        assert_eq!(
            run("toString", json!("2021-10-06T13:44:07Z"), json!({})),
            Ok(json!("06 Oct 21 13:44 UTC"))
        );
        assert_eq!(
            run(
                "toString",
                json!("2021-10-06T13:44:07Z"),
                json!({"format": "2006/01/02"})
            ),
            Ok(json!("2021/10/06"))
        );
        assert!(
            failure("toString", json!("soon"), json!({"format": "2006"}))
                .starts_with("cannot read \"soon\" as a date")
        );
        assert_eq!(run("toString", json!(42), json!({})), Ok(json!("42")));
        assert_eq!(
            run("toUnix", json!("2021-10-06T13:44:07Z"), json!({})),
            Ok(json!(1633527847))
        );
    }

    #[test]
    fn unknown_arguments_are_named() {
        assert_eq!(
            failure("trim", json!("a"), json!({"chars": "x", "by": 1})),
            "`trim` takes no argument `chars`, `by` (its arguments: none)"
        );
        assert_eq!(
            failure("join", json!("a"), json!({"sep": ";"})),
            "`join` takes no argument `sep` (its arguments: separator)"
        );
        assert_eq!(
            run("replace", json!("a"), json!({"limit": null})),
            Ok(json!("a"))
        );
        assert!(apply("toMagic", json!(1), &Args::new()).is_none());
        assert_eq!(
            run(
                "getField",
                json!([{"a": {"b": 1}}, {"a": {"b": 2}}]),
                json!({"field": "a.b"})
            ),
            Ok(json!([1, 2]))
        );
        assert_eq!(
            run("Stringify", json!({"a": 1}), json!({})),
            Ok(json!("{\"a\":1}"))
        );
    }
}
