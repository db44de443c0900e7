//! The JSON Schema of the scenario format, generated from the types the parser reads
//! ([`ScenarioSpec`] and what it holds), for editors (`xsoar-harness schema`,
//! `scenario.schema.json` at the repository root).
//!
//! The schema never refuses a file the parser reads; it refuses what it can of the rest. What
//! only the parser refuses: bounds (a timeout under 100ms, a limit too small), quantities that
//! overflow, `***` in a stub path, and everything that needs the integration or the files
//! (an unknown command or param, a missing file, a vendor's token format).

use schemars::generate::SchemaSettings;
use schemars::transform::{transform_subschemas, Transform};
use schemars::Schema;
use serde_json::{json, Value};

use super::ScenarioSpec;

/// The scenario format's schema (JSON Schema draft 7, which editors' YAML plugins read).
///
/// ```
/// let schema = xsoar_harness::scenario::schema();
/// assert_eq!(schema["required"][0], "description");
/// ```
pub fn schema() -> Value {
    let mut schema = SchemaSettings::draft07()
        .with_transform(YamlScalars)
        .with_transform(ForEditors)
        .into_generator()
        .into_root_schema_for::<ScenarioSpec>();
    schema.insert("title".into(), "xsoar-harness scenario".into());
    schema.to_value()
}

/// [`schema`] as pretty JSON with a final newline: what `scenario.schema.json` holds.
pub fn schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&schema()).unwrap_or_default();
    text.push('\n');
    text
}

/// The YAML scalars the parser reads as other types than JSON would: any plain scalar as text
/// (`name: 123`), text as a number (`times: "2"`, `0x10`), YAML 1.1 words as booleans
/// (`reopen: yes`). Editors see such scalars as JSON types, so a plain `string`, `integer` or
/// `boolean` schema takes them too; schemas with a pattern or an enum are left as they are.
#[derive(Clone, Copy)]
struct YamlScalars;

/// Unsigned integers as the YAML reader parses text: decimal, hex, octal, binary, `_` between
/// digits, an optional `+`, blanks around.
const INTEGER_TEXT: &str = r"^\s*\+?([0-9][0-9_]*|0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+)\s*$";

/// The words the YAML reader takes as booleans, any case.
const BOOLEAN_WORDS: [&str; 8] = ["true", "yes", "y", "on", "false", "no", "n", "off"];

impl Transform for YamlScalars {
    fn transform(&mut self, schema: &mut Schema) {
        transform_subschemas(self, schema);
        let Some(object) = schema.as_object_mut() else {
            return;
        };
        if ["enum", "const", "pattern"]
            .iter()
            .any(|k| object.contains_key(*k))
        {
            return;
        }
        let mut types: Vec<String> = match object.get("type") {
            Some(Value::String(one)) => vec![one.clone()],
            Some(Value::Array(many)) => many
                .iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect(),
            _ => return,
        };
        let has = |types: &[String], t: &str| types.iter().any(|have| have == t);
        let add = |types: &mut Vec<String>, t: &str| {
            if !has(types, t) {
                types.push(t.to_owned());
            }
        };
        let pattern = if has(&types, "string") {
            add(&mut types, "number");
            add(&mut types, "boolean");
            None
        } else if has(&types, "integer") {
            add(&mut types, "string");
            Some(INTEGER_TEXT.to_owned())
        } else if has(&types, "boolean") {
            add(&mut types, "string");
            Some(boolean_words())
        } else {
            return;
        };
        object.insert("type".into(), json!(types));
        if let Some(pattern) = pattern {
            object.insert("pattern".into(), pattern.into());
        }
    }
}

/// Descriptions for people writing YAML: the doc comments without their Rust examples
/// (fenced blocks other than `yaml`) and with rustdoc links as plain code (`[`Fault`]`,
/// `[text](crate::x)`).
#[derive(Clone, Copy)]
struct ForEditors;

impl Transform for ForEditors {
    fn transform(&mut self, schema: &mut Schema) {
        transform_subschemas(self, schema);
        if let Some(Value::String(text)) = schema.get("description") {
            let text = for_editors(text);
            schema.insert("description".into(), text.into());
        }
    }
}

fn for_editors(doc: &str) -> String {
    let mut lines = Vec::new();
    let mut fence: Option<bool> = None; // Some(kept) inside a fenced block
    for line in doc.lines() {
        let trimmed = line.trim_start();
        if let Some(info) = trimmed.strip_prefix("```") {
            match fence {
                None => {
                    let kept = info.trim() == "yaml";
                    fence = Some(kept);
                    if kept {
                        lines.push(line.to_owned());
                    }
                }
                Some(kept) => {
                    fence = None;
                    if kept {
                        lines.push(line.to_owned());
                    }
                }
            }
            continue;
        }
        match fence {
            Some(false) => {}
            Some(true) => lines.push(line.to_owned()),
            None => lines.push(without_links(line)),
        }
    }
    // The blank lines a dropped block stood between become one.
    lines.dedup_by(|a, b| a.trim().is_empty() && b.trim().is_empty());
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    lines.join("\n")
}

/// `[`X`](target)` and `[`X`]` as `` `X` ``; `[text](target)` as `text`.
fn without_links(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = rest.find('[') {
        let Some(len) = rest[start..].find(']') else {
            break;
        };
        let inner = &rest[start + 1..start + len];
        let after = &rest[start + len + 1..];
        let is_code = inner.starts_with('`') && inner.ends_with('`') && inner.len() >= 2;
        let target_len = after
            .strip_prefix('(')
            .and_then(|t| t.find(')'))
            .map(|end| end + 2);
        out.push_str(&rest[..start]);
        match target_len {
            Some(skip) => {
                out.push_str(inner);
                rest = &after[skip..];
            }
            None if is_code => {
                out.push_str(inner);
                rest = after;
            }
            None => {
                out.push('[');
                rest = &rest[start + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// `^\s*([Tt][Rr][Uu][Ee]|...)\s*$`: case-insensitive without flags, which JSON Schema's
/// regular expressions lack.
fn boolean_words() -> String {
    let words: Vec<String> = BOOLEAN_WORDS
        .iter()
        .map(|word| {
            word.chars()
                .map(|c| format!("[{}{}]", c.to_ascii_uppercase(), c))
                .collect()
        })
        .collect();
    format!(r"^\s*({})\s*$", words.join("|"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::StepKind;

    #[test]
    fn a_step_offers_every_action_key_and_needs_exactly_one() {
        let schema = schema();
        let step = &schema["definitions"]["Step"];
        let properties: Vec<&str> = step["properties"]
            .as_object()
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let mut expected: Vec<&str> = StepKind::ALL.iter().map(|k| k.key()).collect();
        expected.extend(["args", "expect"]);
        expected.sort_unstable();
        let mut found = properties.clone();
        found.sort_unstable();
        assert_eq!(found, expected);
        assert_eq!(
            step["oneOf"].as_array().map(Vec::len),
            Some(StepKind::ALL.len())
        );
        assert_eq!(step["additionalProperties"], false);
    }

    #[test]
    fn descriptions_drop_rust_examples_and_links() {
        let doc = "One [`Fault`], see [the glob](crate::FaultMatch::path) [x].\n\n```\nlet a = 1;\n```\n\n```yaml\ntimes: 2\n```";
        assert_eq!(
            for_editors(doc),
            "One `Fault`, see the glob [x].\n\n```yaml\ntimes: 2\n```"
        );
    }

    #[test]
    fn boolean_words_ignore_case() {
        let pattern = regex::Regex::new(&boolean_words()).expect("a valid pattern");
        for word in ["yes", "No", "TRUE", " off "] {
            assert!(pattern.is_match(word), "{word}");
        }
        assert!(!pattern.is_match("maybe"));
    }
}
