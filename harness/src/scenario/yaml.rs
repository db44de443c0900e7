//! Scenario files read and parsed strictly: one UTF-8 YAML document of plain values (no tags
//! the harness would have to drop), bounded in size, every error told in the project's words
//! at its place in the file, with a snippet that never shows a secret.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde_saphyr::budget::BudgetBreach;

use super::{ScenarioError, SourcePos};
use crate::quantity::ByteSize;
use crate::secrets::Secrets;

/// The largest scenario file the harness reads.
const MOST_BYTES: u64 = 16 << 20;

/// The text of the scenario file at `path`: a regular file of UTF-8 text.
pub(crate) fn read(path: &Path) -> Result<String, ScenarioError> {
    let unreadable = |why: String| ScenarioError::Read {
        path: path.to_owned(),
        source: std::io::Error::other(why),
    };
    let failed = |source| ScenarioError::Read {
        path: path.to_owned(),
        source,
    };
    // Opened without waiting (a pipe would wait for a writer), then judged by what was opened,
    // so a file swapped in between cannot slip past.
    let file = {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
            .map_err(failed)?
    };
    let metadata = file.metadata().map_err(failed)?;
    if metadata.is_dir() {
        return Err(unreadable(
            "it is a folder; give a scenario file, or run the folder's scenarios".into(),
        ));
    }
    if !metadata.is_file() {
        return Err(unreadable(format!("it {}", super::NOT_A_FILE)));
    }
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(file, MOST_BYTES + 1), &mut bytes)
        .map_err(failed)?;
    if bytes.len() as u64 > MOST_BYTES {
        return Err(unreadable(format!(
            "it is larger than a scenario file may be ({})",
            ByteSize(MOST_BYTES)
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
        let line_start = valid.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&valid[line_start..])
            .chars()
            .count()
            + 1;
        let pos = SourcePos {
            path: path.to_owned(),
            line: line as u64,
            column: column as u64,
        };
        ScenarioError::Invalid {
            pos,
            message: format!(
                "the file is not UTF-8 text (byte 0x{:02x} here); save it as UTF-8",
                e.as_bytes()[valid.len()]
            ),
        }
    })
}

/// Parses `text` as one YAML document into `T`.
pub(crate) fn parse<T: DeserializeOwned>(text: &str, path: &Path) -> Result<T, ScenarioError> {
    let mut options = serde_saphyr::Options::default();
    options.reject_unsupported_tags = true;
    options.with_snippet = false;
    serde_saphyr::from_str_with_options(text, options).map_err(|e| syntax_error(path, &e, text))
}

fn syntax_error(path: &Path, err: &serde_saphyr::Error, text: &str) -> ScenarioError {
    let err = err.without_snippet();
    let (line, column) = err
        .location()
        .map_or((1, 1), |loc| (loc.line().max(1), loc.column().max(1)));
    let pos = SourcePos {
        path: path.to_owned(),
        line,
        column,
    };
    let secrets = Secrets::in_yaml(text);
    ScenarioError::Syntax {
        // Read from the file as it is, so that what was found is quoted right, then masked.
        message: secrets.mask(&describe(err, text, &pos)),
        snippet: snippet(&pos, text, &secrets),
        pos,
    }
}

/// What the library found wrong, in our words: what was found, what was expected.
fn describe(err: &serde_saphyr::Error, text: &str, pos: &SourcePos) -> String {
    use serde_saphyr::Error as E;
    match err {
        E::AliasError { error, .. } => describe(error, text, pos),
        E::InvalidScalar { ty, .. } => {
            format!(
                "found `{}`, expected {}",
                token_at(text, pos),
                expected_scalar(ty)
            )
        }
        E::InvalidBooleanStrict { .. } => {
            format!("found `{}`, expected true or false", token_at(text, pos))
        }
        E::Unexpected { expected, .. } => {
            let expected = match *expected {
                "mapping start" => "a mapping (`key: value` lines)",
                "sequence start" => "a list (`- item` lines)",
                "string scalar" => "text",
                "scalar" => "a single value",
                other => other,
            };
            format!("found {}, expected {expected}", found_at(text, pos))
        }
        E::SerdeInvalidType {
            unexpected,
            expected,
            ..
        } => format!("found {}, expected {}", ours(unexpected), ours(expected)),
        E::SerdeInvalidValue {
            unexpected,
            expected,
            ..
        } => format!("found {}, expected {}", ours(unexpected), ours(expected)),
        E::SerdeInvalidLength { len, expected, .. } => {
            format!("found {len} items, expected {}", ours(expected))
        }
        E::SerdeUnknownField {
            field, expected, ..
        } => format!(
            "unknown field `{field}`, expected one of {}",
            expected.join(", ")
        ),
        E::SerdeUnknownVariant {
            variant, expected, ..
        } => format!("found `{variant}`, expected one of {}", expected.join(", ")),
        E::SerdeMissingField { field, .. } => {
            format!("missing field `{field}`, which is required here")
        }
        E::DuplicateMappingKey { key, .. } => match key {
            Some(key) => format!("duplicate mapping key `{key}`: a key appears once per mapping"),
            None => "duplicate mapping key: a key appears once per mapping".to_owned(),
        },
        E::MultipleDocuments { .. } => "found a second YAML document (after `---`), expected \
            one: a scenario file holds one scenario"
            .to_owned(),
        E::UnsupportedTag { tag, .. } => format!(
            "found the tag `{tag}`, expected a plain value: scenarios hold no tags (no \
             `!!python/...`, `!include` or `!secret`); write the value itself"
        ),
        E::Eof { .. } => "the file ends in the middle of a value".to_owned(),
        E::Budget { breach, .. } => format!(
            "the file goes beyond what a scenario may hold: {}",
            budget(breach)
        ),
        E::AliasReplayLimitExceeded { .. }
        | E::AliasExpansionLimitExceeded { .. }
        | E::AliasReplayStackDepthExceeded { .. } => {
            "its aliases (`*name`) expand to more than a scenario may hold".to_owned()
        }
        E::UnknownAnchor { .. } => {
            "found an alias (`*name`) to an anchor (`&name`) that is not defined before it"
                .to_owned()
        }
        E::InvalidUtf8Input => "the file is not UTF-8 text; save it as UTF-8".to_owned(),
        E::Message { msg, .. } | E::ExternalMessage { msg, .. }
            if msg.starts_with("recursion limit exceeded") =>
        {
            "values nest deeper than a scenario may (too many levels of lists and mappings)"
                .to_owned()
        }
        // The rest are the scanner's own words about YAML syntax (`unclosed quote`, ...),
        // which mostly say what they mean; the library's location suffix goes.
        other => {
            let rendered = other.to_string();
            let headline = rendered.lines().next().unwrap_or_default();
            let message = headline
                .rsplit_once(" at line ")
                .map_or(headline, |(message, _)| message)
                .trim_start_matches("error: ");
            if message.contains("mapping values are not allowed") {
                // A plain value that holds `: ` reads as a second key on the same line.
                "found `: ` inside a plain value, expected the value to end before it: quote \
                 a value that holds `: ` (`message: \"a: b\"`)"
                    .to_owned()
            } else {
                message.to_owned()
            }
        }
    }
}

/// What a scalar of the library's type `ty` must look like.
fn expected_scalar(ty: &str) -> &'static str {
    match ty {
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "a whole number of 0 or more",
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "a whole number",
        "f32" | "f64" => "a number",
        "bool" => "true or false",
        "char" => "a single character",
        _ => "a value of another kind",
    }
}

/// The library's words for kinds of values, as people who write YAML say them.
fn ours(library: &str) -> String {
    let words = [
        ("a sequence", "a list"),
        ("sequence", "list"),
        ("a map", "a mapping"),
        ("unit value", "nothing"),
        ("a string", "text"),
        ("string ", "text "),
        ("a borrowed string", "text"),
        ("integer ", "the number "),
        ("floating point ", "the number "),
        ("boolean ", ""),
    ];
    // `struct StepExpect` names a Rust type; what the file needs there is a mapping.
    if library.starts_with("struct ") {
        return "a mapping".to_owned();
    }
    let mut text = library.to_owned();
    for (theirs, our) in words {
        if text.starts_with(theirs) {
            text = format!("{our}{}", &text[theirs.len()..]);
            break;
        }
    }
    text
}

/// The plain scalar at `pos`, for "found `...`".
fn token_at(text: &str, pos: &SourcePos) -> String {
    let Some(rest) = rest_of_line(text, pos) else {
        return String::new();
    };
    let token: String = rest
        .chars()
        .take_while(|c| !matches!(c, ',' | ']' | '}' | '#'))
        .take(80)
        .collect();
    token.trim().trim_matches(['"', '\'']).to_owned()
}

/// What kind of value starts at `pos`.
fn found_at(text: &str, pos: &SourcePos) -> String {
    match rest_of_line(text, pos).and_then(|rest| rest.trim_start().chars().next()) {
        Some('[' | '-') => "a list".to_owned(),
        Some('{') => "a mapping".to_owned(),
        Some(_) if is_key(&token_at(text, pos)) => "a mapping".to_owned(),
        Some(_) => format!("the value `{}`", token_at(text, pos)),
        None => "nothing".to_owned(),
    }
}

/// Whether a line starts a `key: value` pair.
fn is_key(token: &str) -> bool {
    token.ends_with(':') || token.contains(": ")
}

fn rest_of_line<'t>(text: &'t str, pos: &SourcePos) -> Option<&'t str> {
    let line = text
        .lines()
        .nth(usize::try_from(pos.line).ok()?.checked_sub(1)?)?;
    let column = usize::try_from(pos.column).ok()?.saturating_sub(1);
    let start = line
        .char_indices()
        .nth(column)
        .map_or(line.len(), |(i, _)| i);
    Some(&line[start..])
}

fn budget(breach: &BudgetBreach) -> String {
    let most = serde_saphyr::Budget::default();
    match breach {
        BudgetBreach::Nodes { .. } => format!("more than {} values", most.max_nodes),
        BudgetBreach::Depth { .. } => format!("nested deeper than {} levels", most.max_depth),
        BudgetBreach::Events { .. } => format!("more than {} YAML events", most.max_events),
        BudgetBreach::Aliases { .. } => format!("more than {} aliases", most.max_aliases),
        BudgetBreach::Anchors { .. } => format!("more than {} anchors", most.max_anchors),
        BudgetBreach::ScalarBytes { .. } => format!(
            "more than {} of text in values",
            ByteSize(most.max_total_scalar_bytes as u64)
        ),
        BudgetBreach::Documents { .. } => "more than one document".to_owned(),
        _ => "more YAML than the harness reads".to_owned(),
    }
}

/// The lines around `pos` in `text`, numbered, secrets masked, with a caret under the column;
/// long lines are cut (the error's line around the caret).
fn snippet(pos: &SourcePos, text: &str, secrets: &Secrets) -> String {
    const WIDTH: usize = 100;
    let line = usize::try_from(pos.line).unwrap_or(usize::MAX);
    let column = usize::try_from(pos.column).unwrap_or(1).max(1);
    let lines: Vec<&str> = text.lines().collect();
    let first = line.saturating_sub(2).max(1);
    let last = (line + 1).min(lines.len());
    let gutter = last.to_string().len();
    let cut = |text: &str, start: usize| -> String {
        let chars: Vec<char> = text.chars().collect();
        let from = start.min(chars.len());
        let to = (from + WIDTH).min(chars.len());
        let mut shown: String = chars[from..to].iter().collect();
        if from > 0 {
            shown.insert(0, '…');
        }
        if to < chars.len() {
            shown.push('…');
        }
        shown
    };
    let mut out = format!("{:gutter$}--> {pos}\n{:gutter$} |\n", "", "");
    for number in first..=last {
        let Some(original) = lines.get(number - 1) else {
            break;
        };
        let shown = secrets.mask(original);
        if number != line {
            out.push_str(&format!("{number:>gutter$} | {}\n", cut(&shown, 0)));
            continue;
        }
        // The caret's column in the masked line: the masked text before it, counted.
        let before: String = original.chars().take(column - 1).collect();
        let caret = secrets.mask(&before).chars().count();
        let start = caret.saturating_sub(WIDTH / 2);
        out.push_str(&format!("{number:>gutter$} | {}\n", cut(&shown, start)));
        let offset = caret - start + usize::from(start > 0);
        out.push_str(&format!("{:gutter$} | {}^\n", "", " ".repeat(offset)));
    }
    out.push_str(&format!("{:gutter$} |", ""));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u64, column: u64) -> SourcePos {
        SourcePos {
            path: "x.yaml".into(),
            line,
            column,
        }
    }

    #[test]
    fn a_snippet_cuts_only_the_error_line_around_its_caret() {
        let long = format!("  key: {}[oops", "v".repeat(200));
        let text = format!("before: 1\n{long}\nafter: 2\n");
        let shown = snippet(&pos(2, 208), &text, &Secrets::default());
        assert!(shown.contains("1 | before: 1\n"), "{shown}");
        assert!(shown.contains("3 | after: 2\n"), "{shown}");
        let caret_line = shown.lines().find(|l| l.ends_with('^')).expect("a caret");
        let error_line = shown
            .lines()
            .find(|l| l.contains("[oops"))
            .expect("the line");
        assert_eq!(
            caret_line.find('^').map(|i| error_line.chars().nth(i)),
            Some(Some('['))
        );
    }

    #[test]
    fn the_caret_stays_under_its_value_when_a_secret_before_it_is_masked() {
        let text = "params: {password: hunter2hunter2, port: [5}\n";
        let mut secrets = Secrets::default();
        secrets.add("hunter2hunter2");
        let column = text.find('[').expect("a bracket") as u64 + 1;
        let shown = snippet(&pos(1, column), text, &secrets);
        assert!(!shown.contains("hunter2"), "{shown}");
        let caret_line = shown.lines().find(|l| l.ends_with('^')).expect("a caret");
        let error_line = shown
            .lines()
            .find(|l| l.contains("port"))
            .expect("the line");
        assert_eq!(
            caret_line.find('^').map(|i| error_line.chars().nth(i)),
            Some(Some('['))
        );
    }
}
