//! Contract checks, independent of snapshots: each failure names the rule and the seed section
//! it comes from.

pub(crate) mod closing;
pub(crate) mod convergence;
mod iam;
mod iam_semantics;
pub mod manifest;
pub(crate) mod mirroring;

use std::fmt;

use serde_json::Value;

pub(crate) use crate::rules::Rule;
pub(crate) use iam::check_iam_command;
pub(crate) use iam_semantics::iam_semantics;

/// One broken rule, at one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The rule.
    pub rule: Rule,
    /// The step (1-based) and its command, when the violation belongs to one.
    pub step: Option<(usize, String)>,
    /// What happened.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some((index, command)) = &self.step {
            write!(f, "step {index} ({command}): ")?;
        }
        write!(
            f,
            "[{}] {} ({})",
            self.rule,
            self.message,
            self.rule.source()
        )
    }
}

/// The outgoing mapper's target fields that the schema get-mapping-fields returned lacks, per
/// incident type of the schema.
pub(crate) fn mapper_fields_in_schema(
    schema: &Value,
    mapper: &crate::mapping::Mapper,
) -> Vec<(Rule, String)> {
    let Some(types) = schema.as_object() else {
        return Vec::new();
    };
    types
        .iter()
        .filter_map(|(incident_type, fields)| {
            let rules = mapper.rules_for(incident_type)?;
            let fields = fields.as_object()?;
            let unknown: Vec<&str> = rules
                .keys()
                .map(|k| k.as_str())
                .filter(|field| !fields.contains_key(*field))
                .collect();
            (!unknown.is_empty()).then(|| {
                (
                    Rule::MapperFieldsInSchema,
                    format!(
                        "the outgoing mapper `{}` writes {} for `{incident_type}`, which get-mapping-fields does not list",
                        mapper.name,
                        unknown.join(", ")
                    ),
                )
            })
        })
        .collect()
}

/// Whether `actual` contains `expected`: objects key by key, lists item by item from the
/// start (the actual list may be longer), everything else equal (numbers and strings compared
/// by their text, since XSOAR outputs mix them).
///
/// ```
/// use serde_json::json;
/// use xsoar_harness::checks::subset_mismatch;
///
/// assert_eq!(subset_mismatch(&json!({"a": 1, "b": {"c": "x"}}), &json!({"b": {"c": "x"}})), None);
/// assert_eq!(
///     subset_mismatch(&json!({"a": 1}), &json!({"a": 2})).as_deref(),
///     Some("a: expected 2, got 1")
/// );
/// ```
pub fn subset_mismatch(actual: &Value, expected: &Value) -> Option<String> {
    match (actual, expected) {
        (Value::Object(have), Value::Object(want)) => {
            want.iter().find_map(|(key, w)| match have.get(key) {
                Some(h) => subset_mismatch(h, w).map(|m| {
                    if m.starts_with("expected") {
                        format!("{key}: {m}")
                    } else {
                        format!("{key}.{m}")
                    }
                }),
                None => Some(format!("{key}: expected {w}, got nothing")),
            })
        }
        (Value::Array(have), Value::Array(want)) if have.len() >= want.len() => want
            .iter()
            .zip(have)
            .enumerate()
            .find_map(|(i, (w, h))| subset_mismatch(h, w).map(|m| format!("[{i}]: {m}"))),
        (h, w) if h == w => None,
        (Value::Number(n), Value::String(s)) | (Value::String(s), Value::Number(n))
            if n.to_string() == *s =>
        {
            None
        }
        (h, w) => Some(format!("expected {w}, got {h}")),
    }
}
