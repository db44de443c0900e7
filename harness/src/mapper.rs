//! The server's `mapObject`: XSOAR mapper JSON applied to an object.
//!
//! A mapper holds, per incident type, an `internalMapping` from target fields to either a
//! `simple` path into the source object or a `complex` rule: a `root` path, an `accessor`
//! below it, `filters` that keep matching items, and `transformers` applied in order.
//! Incoming mappers map vendor objects onto XSOAR fields; outgoing mappers the other way.
//!
//! ```
//! use serde_json::json;
//! use xsoar_harness::mapper::Mapper;
//!
//! let mapper = Mapper::from_json(r#"{"name": "out", "type": "mapping-outgoing", "mapping": {
//!     "User Profile": {"internalMapping": {
//!         "login": {"complex": {"root": "email", "transformers": [{"operator": "toLowerCase"}]}},
//!         "firstName": {"simple": "givenname"}}}}}"#).unwrap();
//! let mapped = mapper
//!     .map(&json!({"email": "JDoe@Example.com", "givenname": "John"}), "User Profile - Create")
//!     .unwrap();
//! assert_eq!(mapped, json!({"login": "jdoe@example.com", "firstName": "John"}));
//! ```

use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The incident type every mapper may fall back to.
const DEFAULT_TYPE: &str = "dbot_classification_incident_type_all";

/// A parsed XSOAR mapper.
#[derive(Debug, Clone, Deserialize)]
pub struct Mapper {
    /// The mapper id.
    #[serde(default)]
    pub id: Option<String>,
    /// The name instances refer to it by.
    pub name: String,
    /// `mapping-incoming` or `mapping-outgoing`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// Per incident type, the field rules.
    #[serde(default)]
    pub mapping: BTreeMap<String, TypeMapping>,
}

/// The rules of one incident type.
#[derive(Debug, Clone, Deserialize)]
pub struct TypeMapping {
    /// Target field -> rule.
    #[serde(rename = "internalMapping", default)]
    pub internal_mapping: BTreeMap<String, FieldRule>,
}

/// How one target field is computed.
#[derive(Debug, Clone, Deserialize)]
pub struct FieldRule {
    /// A path into the source.
    #[serde(default)]
    pub simple: Option<String>,
    /// A root path with accessor, filters and transformers.
    #[serde(default)]
    pub complex: Option<Complex>,
}

/// A complex field rule.
#[derive(Debug, Clone, Deserialize)]
pub struct Complex {
    /// The path into the source.
    #[serde(default)]
    pub root: String,
    /// A path below the root, applied after the filters.
    #[serde(default)]
    pub accessor: Option<String>,
    /// Outer list: all must hold; inner list: any may hold.
    #[serde(default)]
    pub filters: Vec<Vec<Condition>>,
    /// Applied in order.
    #[serde(default)]
    pub transformers: Vec<Transformer>,
}

/// One filter condition.
#[derive(Debug, Clone, Deserialize)]
pub struct Condition {
    /// `isEqualString`, `containsString`, `isExists`, ...
    pub operator: String,
    /// The left operand, usually a path into the item.
    #[serde(default)]
    pub left: Option<Operand>,
    /// The right operand, usually a literal.
    #[serde(default)]
    pub right: Option<Operand>,
    /// Compare strings ignoring case.
    #[serde(rename = "ignoreCase", default)]
    pub ignore_case: bool,
}

/// An operand or transformer argument: a literal or a path (`isContext`).
#[derive(Debug, Clone, Deserialize)]
pub struct Operand {
    /// `{"simple": "..."}`.
    pub value: Option<FieldRule>,
    /// Whether `value.simple` is a path rather than a literal.
    #[serde(rename = "isContext", default)]
    pub is_context: bool,
}

/// One transformer.
#[derive(Debug, Clone, Deserialize)]
pub struct Transformer {
    /// `toLowerCase`, `splitAndTrim`, `concat`, ...
    pub operator: String,
    /// Named arguments.
    #[serde(default)]
    pub args: BTreeMap<String, Operand>,
}

/// The transformers `mapObject` implements.
pub const TRANSFORMERS: &[&str] = &[
    "toLowerCase",
    "toUpperCase",
    "Trim",
    "split",
    "splitAndTrim",
    "concat",
    "join",
    "FirstArrayElement",
    "LastArrayElement",
    "toString",
    "replace",
];

impl Mapper {
    /// Parses mapper JSON.
    pub fn from_json(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    /// Maps `source` with the rules of `incident_type`, falling back to the type before ` - `
    /// (`User Profile - Create` -> `User Profile`) and then to the default type.
    pub fn map(&self, source: &Value, incident_type: &str) -> Result<Value, String> {
        let rules = self.rules_for(incident_type).ok_or_else(|| {
            format!(
                "mapper `{}` has no mapping for incident type `{incident_type}` (it maps: {})",
                self.name,
                self.mapping.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        })?;
        let mut out = Map::new();
        for (field, rule) in &rules.internal_mapping {
            let value = rule
                .evaluate(source)
                .map_err(|e| format!("mapper `{}`, field `{field}`: {e}", self.name))?;
            if !value.is_null() {
                out.insert(field.clone(), value);
            }
        }
        Ok(Value::Object(out))
    }

    /// The rules for `incident_type`, falling back to the type before ` - ` and then to the
    /// default type.
    pub fn rules_for(&self, incident_type: &str) -> Option<&TypeMapping> {
        let base = incident_type.split(" - ").next().unwrap_or(incident_type);
        [incident_type, base, DEFAULT_TYPE]
            .iter()
            .find_map(|t| self.mapping.get(*t))
    }
}

impl FieldRule {
    fn evaluate(&self, source: &Value) -> Result<Value, String> {
        match (&self.simple, &self.complex) {
            (_, Some(complex)) => complex.evaluate(source),
            (Some(path), None) => Ok(get_path(source, path)),
            (None, None) => Ok(Value::Null),
        }
    }
}

impl Complex {
    fn evaluate(&self, source: &Value) -> Result<Value, String> {
        let root = get_path(source, &self.root);
        let filtered = if self.filters.is_empty() {
            root
        } else {
            let keep = |item: &Value| -> Result<bool, String> {
                for any_of in &self.filters {
                    let mut holds = false;
                    for condition in any_of {
                        holds |= condition.holds(item)?;
                    }
                    if !holds {
                        return Ok(false);
                    }
                }
                Ok(true)
            };
            match root {
                Value::Array(items) => {
                    let mut kept = Vec::new();
                    for item in items {
                        if keep(&item)? {
                            kept.push(item);
                        }
                    }
                    Value::Array(kept)
                }
                other if keep(&other)? => other,
                _ => Value::Null,
            }
        };
        let mut value = match self.accessor.as_deref() {
            Some(accessor) if !accessor.is_empty() => get_path(&filtered, accessor),
            _ => filtered,
        };
        for transformer in &self.transformers {
            value = transformer.apply(value, source)?;
        }
        Ok(value)
    }
}

impl Operand {
    fn resolve(&self, item: &Value) -> Value {
        let simple = self.value.as_ref().and_then(|v| v.simple.as_deref());
        match simple {
            Some(path) if self.is_context => get_path(item, path),
            Some(literal) => Value::String(literal.to_owned()),
            None => Value::Null,
        }
    }
}

impl Condition {
    fn holds(&self, item: &Value) -> Result<bool, String> {
        let left = self.left.as_ref().map_or(Value::Null, |o| o.resolve(item));
        let right = self.right.as_ref().map_or(Value::Null, |o| o.resolve(item));
        let fold = |v: &Value| {
            let s = text(v);
            if self.ignore_case {
                s.to_lowercase()
            } else {
                s
            }
        };
        let (l, r) = (fold(&left), fold(&right));
        let number = |v: &Value| text(v).trim().parse::<f64>().ok();
        Ok(match self.operator.as_str() {
            "isEqualString" => l == r,
            "isNotEqualString" => l != r,
            "containsString" => l.contains(&r),
            "notContainsString" => !l.contains(&r),
            "startWith" => l.starts_with(&r),
            "endWith" => l.ends_with(&r),
            "inList" => r.split(',').any(|x| x.trim() == l),
            "notInList" => !r.split(',').any(|x| x.trim() == l),
            "isExists" => !left.is_null(),
            "isNotExists" => left.is_null(),
            "isEmpty" => is_empty(&left),
            "isNotEmpty" => !is_empty(&left),
            "isTrue" => truthy(&left),
            "isFalse" => !truthy(&left),
            "isEqualNumber" => number(&left).is_some() && number(&left) == number(&right),
            "greaterThan" => matches!((number(&left), number(&right)), (Some(a), Some(b)) if a > b),
            "lessThan" => matches!((number(&left), number(&right)), (Some(a), Some(b)) if a < b),
            other => return Err(format!("unsupported filter operator `{other}`")),
        })
    }
}

impl Transformer {
    fn arg(&self, name: &str, source: &Value) -> Option<String> {
        self.args
            .get(name)
            .map(|operand| operand.resolve(source))
            .filter(|v| !v.is_null())
            .map(|v| text(&v))
    }

    fn apply(&self, value: Value, source: &Value) -> Result<Value, String> {
        let per_item = |value: Value, f: &dyn Fn(String) -> Value| -> Value {
            match value {
                Value::Null => Value::Null,
                Value::Array(items) => Value::Array(items.iter().map(|v| f(text(v))).collect()),
                other => f(text(&other)),
            }
        };
        let split = |value: Value, delimiter: String, trim: bool| -> Value {
            per_item(value, &|s| {
                Value::Array(
                    s.split(delimiter.as_str())
                        .map(|part| if trim { part.trim() } else { part })
                        .filter(|part| !trim || !part.is_empty())
                        .map(|part| Value::String(part.to_owned()))
                        .collect(),
                )
            })
        };
        Ok(match self.operator.as_str() {
            "toLowerCase" => per_item(value, &|s| Value::String(s.to_lowercase())),
            "toUpperCase" => per_item(value, &|s| Value::String(s.to_uppercase())),
            "Trim" => per_item(value, &|s| Value::String(s.trim().to_owned())),
            "toString" => per_item(value, &Value::String),
            "split" => split(
                value,
                self.arg("delimiter", source).unwrap_or(",".into()),
                false,
            ),
            "splitAndTrim" => split(
                value,
                self.arg("delimiter", source).unwrap_or(",".into()),
                true,
            ),
            "concat" => {
                let prefix = self.arg("prefix", source).unwrap_or_default();
                let suffix = self.arg("suffix", source).unwrap_or_default();
                per_item(value, &|s| Value::String(format!("{prefix}{s}{suffix}")))
            }
            "replace" => {
                let from = self.arg("toReplace", source).unwrap_or_default();
                let to = self.arg("replaceWith", source).unwrap_or_default();
                per_item(value, &|s| {
                    Value::String(if from.is_empty() {
                        s
                    } else {
                        s.replace(&from, &to)
                    })
                })
            }
            "join" => match value {
                Value::Array(items) => {
                    let separator = self.arg("separator", source).unwrap_or(",".into());
                    Value::String(items.iter().map(text).collect::<Vec<_>>().join(&separator))
                }
                other => other,
            },
            "FirstArrayElement" => match value {
                Value::Array(items) => items.into_iter().next().unwrap_or(Value::Null),
                other => other,
            },
            "LastArrayElement" => match value {
                Value::Array(items) => items.into_iter().last().unwrap_or(Value::Null),
                other => other,
            },
            other => {
                return Err(format!(
                    "unsupported transformer `{other}` (supported: {})",
                    TRANSFORMERS.join(", ")
                ))
            }
        })
    }
}

/// Reads a dotted path; through a list it collects the path from every item, as XSOAR does.
pub fn get_path(value: &Value, path: &str) -> Value {
    let path = path.trim();
    if path.is_empty() {
        return value.clone();
    }
    let (head, rest) = path.split_once('.').unwrap_or((path, ""));
    match value {
        Value::Object(map) => match map.get(head) {
            Some(next) => get_path(next, rest),
            // Keys may themselves contain dots: try the longest key that prefixes the path.
            None => map
                .iter()
                .filter(|(k, _)| path.starts_with(k.as_str()) && path[k.len()..].starts_with('.'))
                .max_by_key(|(k, _)| k.len())
                .map_or(Value::Null, |(k, v)| get_path(v, &path[k.len() + 1..])),
        },
        Value::Array(items) => {
            let collected: Vec<Value> = items
                .iter()
                .map(|item| get_path(item, path))
                .filter(|v| !v.is_null())
                .collect();
            if collected.is_empty() {
                Value::Null
            } else {
                Value::Array(collected)
            }
        }
        _ => Value::Null,
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

fn truthy(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::String(s) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn mapper(rules: Value) -> Mapper {
        serde_json::from_value(
            json!({"name": "m", "mapping": {"User Profile": {"internalMapping": rules}}}),
        )
        .expect("valid mapper")
    }

    #[test]
    fn simple_paths_and_missing_fields() {
        let m =
            mapper(json!({"first": {"simple": "profile.firstName"}, "gone": {"simple": "nope"}}));
        let out = m
            .map(&json!({"profile": {"firstName": "Ann"}}), "User Profile")
            .unwrap();
        assert_eq!(out, json!({"first": "Ann"}));
    }

    #[test]
    fn subtypes_fall_back_to_the_base_type_and_unknown_types_are_errors() {
        let m = mapper(json!({"x": {"simple": "a"}}));
        assert_eq!(
            m.map(&json!({"a": 1}), "User Profile - Update").unwrap(),
            json!({"x": 1})
        );
        let err = m.map(&json!({}), "Phishing").unwrap_err();
        assert!(
            err.contains("no mapping for incident type `Phishing`"),
            "{err}"
        );
    }

    #[test]
    fn complex_rules_filter_access_and_transform() {
        let m = mapper(json!({
            "work": {"complex": {
                "root": "emails",
                "filters": [[{"operator": "isEqualString", "left": {"value": {"simple": "type"}, "isContext": true},
                              "right": {"value": {"simple": "WORK"}}, "ignoreCase": true}]],
                "accessor": "value",
                "transformers": [{"operator": "FirstArrayElement"},
                                 {"operator": "concat", "args": {"prefix": {"value": {"simple": "<"}}, "suffix": {"value": {"simple": ">"}}}}]}},
            "tags": {"complex": {"root": "tags", "transformers": [{"operator": "splitAndTrim", "args": {"delimiter": {"value": {"simple": ";"}}}}]}}
        }));
        let source = json!({"emails": [{"type": "home", "value": "a@x"}, {"type": "work", "value": "b@x"}], "tags": " a; b ;"});
        assert_eq!(
            m.map(&source, "User Profile").unwrap(),
            json!({"work": "<b@x>", "tags": ["a", "b"]})
        );
    }

    #[test]
    fn unsupported_operators_are_named() {
        let m = mapper(
            json!({"x": {"complex": {"root": "a", "transformers": [{"operator": "toMagic"}]}}}),
        );
        let err = m.map(&json!({"a": "v"}), "User Profile").unwrap_err();
        assert!(err.contains("unsupported transformer `toMagic`"), "{err}");
    }
}
