//! YAML text for people: values in flow style, plain where YAML reads them back as the same
//! string, quoted (as JSON, which YAML reads) where it would not.

use serde_json::Value;

/// A value in YAML flow style: `{email: jdoe@example.com, active: true}`.
pub(crate) fn flow(value: &Value) -> String {
    match value {
        Value::String(s) => scalar(s),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(flow).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(map) => {
            if map.is_empty() {
                return "{}".to_owned();
            }
            let pairs: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", scalar(k), flow(v)))
                .collect();
            format!("{{{}}}", pairs.join(", "))
        }
        other => other.to_string(),
    }
}

/// A string as a YAML scalar that reads back as that string, in flow or block context.
pub(crate) fn scalar(text: &str) -> String {
    if is_plain(text) {
        text.to_owned()
    } else {
        // A JSON string is a YAML double-quoted scalar.
        Value::String(text.to_owned()).to_string()
    }
}

/// Whether `text` can stand unquoted: starts with a letter or `/`, holds no flow or comment
/// indicator, and is no word YAML reads as a boolean or null.
fn is_plain(text: &str) -> bool {
    const WORDS: [&str; 11] = [
        "true", "false", "yes", "no", "on", "off", "null", "y", "n", "~", "none",
    ];
    let Some(first) = text.chars().next() else {
        return false;
    };
    (first.is_ascii_alphabetic() || first == '/' || first == '.')
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " _.@/-()'".contains(c))
        && !text.ends_with(' ')
        && !WORDS.contains(&text.to_ascii_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flow_reads_back_as_the_same_value() {
        let value = json!({
            "email": "jdoe@example.com", "n": "2", "b": "true", "empty": "", "t": true,
            "colon": "a: b", "hash": "a #b", "list": ["Incoming And Outgoing", 3], "path": "/api/**",
            "None": "None", "nested": {"k-1": "Solved (Permanently)"}
        });
        let text = format!("v: {}\n", flow(&value));
        let back: serde_json::Map<String, Value> =
            serde_saphyr::from_str(&text).expect("valid YAML");
        assert_eq!(back["v"], value, "{text}");
    }
}
