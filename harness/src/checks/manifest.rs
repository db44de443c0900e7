//! Manifest conformance: what an integration YAML must declare for the server to run it the
//! documented way — mirroring flags that match the commands the code handles, the server
//! version mirroring needs, the IAM commands, arguments and mappers, the `mirror_direction`
//! choices, secrets in secret parameter types, known parameter types and unique names.
//!
//! The checks are static: nothing runs. Rules about what the integration *implements* look for
//! the command name as a string literal in the code (how every dispatcher in `main()` names
//! them), because the server runs those commands without the YAML declaring them.
//!
//! ```
//! use std::path::Path;
//! use xsoar_harness::checks::manifest::{check_manifest, render};
//! use xsoar_harness::Manifest;
//!
//! let yaml = "
//! commonfields: {id: Demo}
//! name: Demo
//! configuration:
//! - {name: api_token, type: 0}
//! script:
//!   script: \"if demisto.command() == 'test-module': demisto.results('ok')\"
//! ";
//! let findings = check_manifest(&Manifest::parse(yaml, Path::new("Demo.yml"))?, None);
//! assert_eq!(findings.len(), 1);
//! assert_eq!(findings[0].rule.id(), "manifest.secret-in-clear-text");
//! assert!(render(&findings).starts_with("error[manifest.secret-in-clear-text] configuration[0].type: "));
//! # Ok::<(), xsoar_harness::IntegrationError>(())
//! ```

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde_json::Value;

use crate::iam::IamCommand;
use crate::integration::{CommandSpec, Manifest, ParamSpec, ParamType, ServerCommand};
pub(crate) use crate::rules::{ManifestRule, Severity};
use crate::scenario::Direction;
use crate::secrets::{looks_secret, name_words};
use crate::version::Version;

/// One broken rule, at one place in the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule.
    pub rule: ManifestRule,
    /// How bad it is (the rule's severity).
    pub severity: Severity,
    /// Where in the YAML, e.g. `script.commands[3].arguments[1]`.
    pub path: String,
    /// What is wrong and what to do.
    pub message: String,
}

impl Finding {
    fn new(rule: ManifestRule, path: impl Into<String>, message: String) -> Self {
        Self {
            rule,
            severity: rule.severity(),
            path: path.into(),
            message,
        }
    }

    /// A finding that only looks like a break of `rule`: the message says why it is not.
    fn note(rule: ManifestRule, path: impl Into<String>, message: String) -> Self {
        Self {
            severity: Severity::Note,
            ..Self::new(rule, path, message)
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}[{}] {}: {} ({})",
            self.severity,
            self.rule,
            self.path,
            self.message,
            self.rule.source()
        )
    }
}

/// Checks an integration manifest against the documented rules.
///
/// `code` is the integration's code; without it the YAML's embedded script is used, and without
/// either the rules about handled commands (`manifest.flag-without-command`,
/// `manifest.command-without-flag`, `manifest.modified-remote-data-missing`) are skipped.
/// Findings come in a stable order: structure, parameters, mirroring, IAM.
///
/// ```
/// use std::path::Path;
/// use xsoar_harness::checks::manifest::check_manifest;
/// use xsoar_harness::Manifest;
///
/// let yaml = "
/// commonfields: {id: Fetcher}
/// name: Fetcher
/// script: {script: '-', isfetch: true}
/// ";
/// let manifest = Manifest::parse(yaml, Path::new("Fetcher.yml"))?;
/// let findings = check_manifest(&manifest, Some("if command == 'test-module': pass"));
/// assert_eq!(findings[0].rule.id(), "manifest.flag-without-command");
/// assert_eq!(findings[0].path, "script.isfetch");
/// # Ok::<(), xsoar_harness::IntegrationError>(())
/// ```
pub fn check_manifest(manifest: &Manifest, code: Option<&str>) -> Vec<Finding> {
    let embedded = manifest
        .script
        .script
        .as_deref()
        .filter(|s| crate::integration::is_embedded_code(s));
    let literals = code.or(embedded).map(string_literals);

    let mut findings = Vec::new();
    check_duplicates(manifest, &mut findings);
    check_param_types(manifest, &mut findings);
    check_secrets(manifest, &mut findings);
    if let Some(literals) = &literals {
        check_flags(manifest, literals, &mut findings);
    }
    check_fromversion(manifest, &mut findings);
    check_mirror_direction(manifest, &mut findings);
    check_iam(manifest, &mut findings);
    findings
}

/// The findings for people, one line each:
/// `error[manifest.x] path: message (where the rule is documented)`.
///
/// ```
/// use std::path::Path;
/// use xsoar_harness::checks::manifest::{check_manifest, render};
/// use xsoar_harness::Manifest;
///
/// let yaml = "{commonfields: {id: X}, name: X, script: {script: '-'}}";
/// assert_eq!(render(&check_manifest(&Manifest::parse(yaml, Path::new("X.yml"))?, None)), "");
/// # Ok::<(), xsoar_harness::IntegrationError>(())
/// ```
pub fn render(findings: &[Finding]) -> String {
    findings.iter().map(|f| format!("{f}\n")).collect()
}

/// The documented `mirror_direction` options.
const MIRROR_DIRECTIONS: &[&str] = &[
    Direction::None.label(),
    Direction::In.label(),
    Direction::Out.label(),
    Direction::Both.label(),
];
const GET_MAPPING_FIELDS: &str = ServerCommand::GetMappingFields.name();

fn param_path(index: usize) -> String {
    format!("configuration[{index}]")
}

fn command_path(index: usize) -> String {
    format!("script.commands[{index}]")
}

fn argument_path(command: usize, argument: usize) -> String {
    format!("script.commands[{command}].arguments[{argument}]")
}

fn check_duplicates(manifest: &Manifest, out: &mut Vec<Finding>) {
    for (later, first) in duplicates(manifest.configuration.iter().map(|p| p.name.as_str())) {
        let name = &manifest.configuration[later].name;
        out.push(Finding::new(
            ManifestRule::DuplicateParam,
            param_path(later),
            format!(
                "parameter `{name}` is declared again (first at {}); the instance keeps one value per name: remove or rename one",
                param_path(first)
            ),
        ));
    }
    let commands = &manifest.script.commands;
    for (later, first) in duplicates(commands.iter().map(|c| c.name.as_str())) {
        out.push(Finding::new(
            ManifestRule::DuplicateCommand,
            command_path(later),
            format!(
                "command `{}` is declared again (first at {}); merge the two declarations",
                commands[later].name,
                command_path(first)
            ),
        ));
    }
    for (c, command) in commands.iter().enumerate() {
        let arguments = &command.arguments;
        for (later, first) in duplicates(arguments.iter().map(|a| a.name.as_str())) {
            out.push(Finding::new(
                ManifestRule::DuplicateArgument,
                argument_path(c, later),
                format!(
                    "argument `{}` of `{}` is declared again (first at {}); remove or rename one",
                    arguments[later].name,
                    command.name,
                    argument_path(c, first)
                ),
            ));
        }
    }
}

/// Each repeated name as (its index, the index of its first occurrence), in order.
fn duplicates<'a>(names: impl Iterator<Item = &'a str>) -> Vec<(usize, usize)> {
    let mut first_seen: HashMap<&str, usize> = HashMap::new();
    let mut repeated = Vec::new();
    for (index, name) in names.enumerate() {
        match first_seen.get(name) {
            Some(&first) => repeated.push((index, first)),
            None => {
                first_seen.insert(name, index);
            }
        }
    }
    repeated
}

fn check_param_types(manifest: &Manifest, out: &mut Vec<Finding>) {
    for (i, param) in manifest.configuration.iter().enumerate() {
        if matches!(param.kind, ParamType::Unknown(_)) {
            out.push(Finding::new(
                ManifestRule::UnknownParamType,
                format!("{}.type", param_path(i)),
                format!(
                    "parameter `{}` has type {}, which the server does not know; use one of {}",
                    param.name,
                    param.kind,
                    ParamType::KNOWN
                        .iter()
                        .map(ParamType::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
}

fn check_secrets(manifest: &Manifest, out: &mut Vec<Finding>) {
    for (i, param) in manifest.configuration.iter().enumerate() {
        if !looks_secret(&param.name) || !param.kind.is_clear_text() {
            continue;
        }
        let advice = if name_words(&param.name)
            .last()
            .is_some_and(|w| w.starts_with("cred"))
        {
            format!(
                "make it type {} (credentials: the instance sends {{identifier, password}})",
                ParamType::Credentials
            )
        } else {
            format!(
                "make it type {} (credentials, the documented way, with the secret in `password`) or {} (encrypted)",
                ParamType::Credentials,
                ParamType::Encrypted
            )
        };
        out.push(Finding::new(
            ManifestRule::SecretInClearText,
            format!("{}.type", param_path(i)),
            format!(
                "parameter `{}` holds a secret but is type {}, stored and shown in clear text; {advice}",
                param.name, param.kind
            ),
        ));
    }
}

/// A script flag, the command it makes the server run, and one it recommends.
struct Gate {
    flag: &'static str,
    on: bool,
    required: &'static str,
    recommended: Option<&'static str>,
}

fn gates(manifest: &Manifest) -> [Gate; 4] {
    let script = &manifest.script;
    [
        Gate {
            flag: "isfetch",
            on: script.isfetch,
            required: ServerCommand::FetchIncidents.name(),
            recommended: None,
        },
        Gate {
            flag: "ismappable",
            on: script.ismappable,
            required: GET_MAPPING_FIELDS,
            recommended: None,
        },
        Gate {
            flag: "isremotesyncin",
            on: script.isremotesyncin,
            required: ServerCommand::GetRemoteData.name(),
            recommended: Some(ServerCommand::GetModifiedRemoteData.name()),
        },
        Gate {
            flag: "isremotesyncout",
            on: script.isremotesyncout,
            required: ServerCommand::UpdateRemoteSystem.name(),
            recommended: None,
        },
    ]
}

fn check_flags(manifest: &Manifest, literals: &HashSet<&str>, out: &mut Vec<Finding>) {
    for gate in gates(manifest) {
        let path = format!("script.{}", gate.flag);
        let handles_required = literals.contains(gate.required);
        let handles_recommended = gate.recommended.filter(|c| literals.contains(c));
        if gate.on && !handles_required && iam_schema_pattern(manifest, &gate, literals) {
            out.push(Finding::note(
                ManifestRule::FlagWithoutCommand,
                path.clone(),
                format!(
                    "`{}: true` without `{}` is the IAM pattern: it enables the outgoing mapper's Get Schema, which get-mapping-fields answers (seed iam-integration.md, get-mapping-fields); the server mirrors nothing out for IAM instances",
                    gate.flag, gate.required
                ),
            ));
        } else if gate.on && !handles_required {
            out.push(Finding::new(
                ManifestRule::FlagWithoutCommand,
                path.clone(),
                format!(
                    "`{}: true` makes the server run `{}`, but the code does not handle it (no '{}' string literal): implement the command or set `{}: false`",
                    gate.flag, gate.required, gate.required, gate.flag
                ),
            ));
        }
        if gate.on {
            if let (Some(recommended), None) = (gate.recommended, handles_recommended) {
                out.push(Finding::new(
                    ManifestRule::ModifiedRemoteDataMissing,
                    path.clone(),
                    format!(
                        "`{}: true` without `{recommended}`: from server 6.1.0 the server asks it which incidents changed and otherwise runs `{}` for every mirrored incident every minute; implement it",
                        gate.flag, gate.required
                    ),
                ));
            }
        } else {
            let mut handled = Vec::new();
            if handles_required {
                handled.push(gate.required);
            }
            handled.extend(handles_recommended);
            if !handled.is_empty() {
                out.push(Finding::new(
                    ManifestRule::CommandWithoutFlag,
                    path,
                    format!(
                        "the code handles {}, but `{}` is not true, so the server never runs {}: set `{}: true` or remove the dead code",
                        quoted_list(&handled),
                        gate.flag,
                        if handled.len() == 1 { "it" } else { "them" },
                        gate.flag
                    ),
                ));
            }
        }
    }
}

/// `isremotesyncout` on an IAM integration that answers get-mapping-fields: the flag turns on
/// the outgoing mapper's schema, not outgoing mirroring.
fn iam_schema_pattern(manifest: &Manifest, gate: &Gate, literals: &HashSet<&str>) -> bool {
    gate.flag == "isremotesyncout" && is_iam(manifest) && literals.contains(GET_MAPPING_FIELDS)
}

fn is_iam(manifest: &Manifest) -> bool {
    manifest
        .script
        .commands
        .iter()
        .any(|c| crate::iam::is_management_command(&c.name))
}

/// Whether the integration mirrors incidents (an IAM integration's `isremotesyncout` alone is
/// the outgoing-mapper pattern, not mirroring).
fn is_mirroring(manifest: &Manifest) -> bool {
    manifest.script.isremotesyncin || (manifest.script.isremotesyncout && !is_iam(manifest))
}

fn check_fromversion(manifest: &Manifest, out: &mut Vec<Finding>) {
    if !is_mirroring(manifest) {
        return;
    }
    let problem = match manifest.fromversion.as_deref() {
        None => "is missing".to_owned(),
        Some(text) => match Version::parse(text) {
            Some(version) if version >= Version([6, 0, 0]) => return,
            Some(_) => format!("is {text}"),
            None => format!("`{text}` is not a version"),
        },
    };
    out.push(Finding::new(
        ManifestRule::MirroringFromversion,
        "fromversion",
        format!(
            "mirroring (isremotesyncin / isremotesyncout) works only on server 6.0.0 and later, but `fromversion` {problem}: older servers install the integration and never run its mirroring commands; set `fromversion: 6.0.0` if it serves nothing else there"
        ),
    ));
}

fn check_mirror_direction(manifest: &Manifest, out: &mut Vec<Finding>) {
    let Some((i, param)) = find_param(manifest, "mirror_direction") else {
        if is_mirroring(manifest) {
            out.push(Finding::new(
                ManifestRule::MirrorDirectionMissing,
                "configuration",
                format!(
                    "a mirroring integration lets the instance choose the direction: add a `mirror_direction` parameter (type {}, options {})",
                    ParamType::SingleSelect,
                    quoted_list(MIRROR_DIRECTIONS)
                ),
            ));
        }
        return;
    };
    if param.kind != ParamType::SingleSelect {
        out.push(Finding::new(
            ManifestRule::MirrorDirectionOptions,
            format!("{}.type", param_path(i)),
            format!(
                "`mirror_direction` is type {}; make it a single select (type {})",
                param.kind,
                ParamType::SingleSelect
            ),
        ));
    }
    if !same_choices(&param.options, MIRROR_DIRECTIONS) {
        out.push(Finding::new(
            ManifestRule::MirrorDirectionOptions,
            format!("{}.options", param_path(i)),
            format!(
                "`mirror_direction` offers [{}]; it must offer exactly {}",
                quoted_list(&param.options),
                quoted_list(MIRROR_DIRECTIONS)
            ),
        ));
    }
    if let Some(default) = param.defaultvalue.as_ref().and_then(scalar_text) {
        if !MIRROR_DIRECTIONS.contains(&default.as_str()) {
            out.push(Finding::new(
                ManifestRule::MirrorDirectionOptions,
                format!("{}.defaultvalue", param_path(i)),
                format!(
                    "`mirror_direction` defaults to '{default}', which is not one of {}",
                    quoted_list(MIRROR_DIRECTIONS)
                ),
            ));
        }
    }
}

fn check_iam(manifest: &Manifest, out: &mut Vec<Finding>) {
    let commands = &manifest.script.commands;
    if !commands.iter().any(|c| c.name.starts_with("iam-")) {
        return;
    }
    let required = IamCommand::ALL.iter().map(|c| c.name());
    for name in required.chain([GET_MAPPING_FIELDS]) {
        if manifest.command(name).is_none() {
            out.push(Finding::new(
                ManifestRule::IamCommands,
                "script.commands",
                format!("an IAM integration supports `{name}`, but it is not declared: declare and implement it"),
            ));
        }
    }
    for (c, command) in commands.iter().enumerate() {
        let Some(iam_command) = IamCommand::from_name(&command.name) else {
            continue;
        };
        check_user_profile(c, command, out);
        if iam_command.takes_allow_enable() {
            check_allow_enable(c, command, out);
        }
    }
    for (name, direction, used_by) in [
        ("mapper-in", "incoming", "iam-get-user"),
        (
            "mapper-out",
            "outgoing",
            "iam-create-user, iam-update-user and iam-disable-user",
        ),
    ] {
        let (path, problem) = match find_param(manifest, name) {
            None => (
                "configuration".to_owned(),
                format!("there is no `{name}` parameter"),
            ),
            Some((i, param)) if !has_text(param.defaultvalue.as_ref()) => (
                format!("{}.defaultvalue", param_path(i)),
                format!("`{name}` has no default"),
            ),
            Some(_) => continue,
        };
        out.push(Finding::new(
            ManifestRule::IamMappers,
            path,
            format!(
                "{problem}; an IAM integration names its {direction} mapper (used by {used_by}) as the default of `{name}`: add it with the mapper's name as `defaultvalue`"
            ),
        ));
    }
}

fn check_user_profile(c: usize, command: &CommandSpec, out: &mut Vec<Finding>) {
    match find_argument(command, "user-profile") {
        None => out.push(Finding::new(
            ManifestRule::IamUserProfileRequired,
            format!("{}.arguments", command_path(c)),
            format!(
                "`{}` has no `user-profile` argument; every management command receives the user profile in it: declare it with `required: true`",
                command.name
            ),
        )),
        Some((a, argument)) if !argument.required => out.push(Finding::new(
            ManifestRule::IamUserProfileRequired,
            argument_path(c, a),
            format!(
                "`user-profile` of `{}` is optional; the command cannot act without a user profile: set `required: true`",
                command.name
            ),
        )),
        Some(_) => {}
    }
}

fn check_allow_enable(c: usize, command: &CommandSpec, out: &mut Vec<Finding>) {
    const CHOICES: &[&str] = &["true", "false"];
    let Some((a, argument)) = find_argument(command, "allow-enable") else {
        out.push(Finding::new(
            ManifestRule::IamAllowEnable,
            format!("{}.arguments", command_path(c)),
            format!(
                "`{}` has no `allow-enable` argument; declare it with `predefined: ['true', 'false']`",
                command.name
            ),
        ));
        return;
    };
    let predefined = argument.predefined.as_ref();
    let texts: Option<Vec<String>> = match predefined {
        Some(Value::Array(items)) => items.iter().map(scalar_text).collect(),
        _ => None,
    };
    if !texts.as_deref().is_some_and(|t| same_choices(t, CHOICES)) {
        let offered = match (&texts, predefined) {
            (Some(texts), _) => format!("offers [{}]", quoted_list(texts)),
            (None, None) => "has no predefined choices".to_owned(),
            (None, Some(other)) => format!("has `predefined: {other}`"),
        };
        out.push(Finding::new(
            ManifestRule::IamAllowEnable,
            format!("{}.predefined", argument_path(c, a)),
            format!(
                "`allow-enable` of `{}` {offered}; the server passes 'true' or 'false': set `predefined: ['true', 'false']`",
                command.name
            ),
        ));
    }
    if let Some(default) = argument.default_value.as_ref().and_then(scalar_text) {
        if !CHOICES.contains(&default.as_str()) {
            out.push(Finding::new(
                ManifestRule::IamAllowEnable,
                format!("{}.defaultValue", argument_path(c, a)),
                format!(
                    "`allow-enable` of `{}` defaults to '{default}'; make it 'true' or 'false'",
                    command.name
                ),
            ));
        }
    }
}

fn find_param<'m>(manifest: &'m Manifest, name: &str) -> Option<(usize, &'m ParamSpec)> {
    manifest
        .configuration
        .iter()
        .enumerate()
        .find(|(_, p)| p.name == name)
}

fn find_argument<'c>(
    command: &'c CommandSpec,
    name: &str,
) -> Option<(usize, &'c crate::integration::ArgumentSpec)> {
    command
        .arguments
        .iter()
        .enumerate()
        .find(|(_, a)| a.name == name)
}

/// The text of a YAML scalar as the server would pass it (`true` and `'true'` alike).
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

fn has_text(value: Option<&Value>) -> bool {
    value
        .and_then(scalar_text)
        .is_some_and(|t| !t.trim().is_empty())
}

/// The same choices in any order, each once.
fn same_choices<S: AsRef<str>>(actual: &[S], expected: &[&str]) -> bool {
    let actual: Vec<&str> = actual.iter().map(AsRef::as_ref).collect();
    let unique: HashSet<&str> = actual.iter().copied().collect();
    actual.len() == expected.len()
        && unique.len() == actual.len()
        && expected.iter().all(|e| unique.contains(e))
}

fn quoted_list<S: AsRef<str>>(items: &[S]) -> String {
    items
        .iter()
        .map(|s| format!("'{}'", s.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The contents of every string literal in Python code, outside comments: how a dispatcher
/// names the commands it handles (`command == 'get-remote-data'`, `{'iam-get-user': ...}`).
/// Prefixes (`r`, `f`, `b`) are ignored; escapes are kept as written, since only where a
/// literal ends matters.
pub(crate) fn string_literals(code: &str) -> HashSet<&str> {
    let bytes = code.as_bytes();
    let mut found = HashSet::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                i = bytes[i..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(bytes.len(), |n| i + n);
            }
            quote @ (b'\'' | b'"') => {
                let triple = bytes[i..].starts_with(&[quote; 3]);
                let closing: &[u8] = if triple { &[quote; 3] } else { &[quote] };
                let start = i + closing.len();
                let mut j = start;
                let end = loop {
                    match bytes.get(j) {
                        None => break None,
                        Some(b'\\') => j += 2,
                        // A single-quoted literal cannot span lines: unterminated, move on.
                        Some(b'\n') if !triple => break None,
                        Some(_) if bytes[j..].starts_with(closing) => break Some(j),
                        Some(_) => j += 1,
                    }
                };
                match end {
                    // Quotes are ASCII, so both ends are char boundaries.
                    Some(end) => {
                        found.insert(&code[start..end]);
                        i = end + closing.len();
                    }
                    None => i = j.min(bytes.len()),
                }
            }
            _ => i += 1,
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_yaml(yaml: &str) -> Result<Vec<Finding>, crate::integration::IntegrationError> {
        let manifest = Manifest::parse(yaml, std::path::Path::new("X.yml"))?;
        Ok(check_manifest(&manifest, None))
    }

    #[test]
    fn string_literals_skip_comments_and_docstring_mentions() {
        let code = r#"
"""Handles:
- fetch-incidents creates incidents
"""
# elif command == 'get-remote-data':  (disabled)
def main():
    command = demisto.command()  # don't forget 'update-remote-system'
    if command == "fetch-incidents":
        pass
    handlers = {'iam-get-user': get_user, r'get-mapping-fields': fields}
    msg = f'it\'s {command}'
"#;
        let literals = string_literals(code);
        assert!(literals.contains("fetch-incidents"));
        assert!(literals.contains("iam-get-user"));
        assert!(literals.contains("get-mapping-fields"));
        assert!(literals.contains(r"it\'s {command}"));
        assert!(!literals.contains("get-remote-data"));
        assert!(!literals.contains("update-remote-system"));
    }

    #[test]
    fn string_literals_survive_unterminated_and_empty_strings() {
        let literals = string_literals("x = 'oops\ny = ''\nz = \"get-remote-data\"\nw = '''open");
        assert!(literals.contains(""));
        assert!(literals.contains("get-remote-data"));
        assert!(!literals
            .iter()
            .any(|l| l.contains("oops") || l.contains("open")));
    }

    #[test]
    fn secret_names_are_judged_by_their_last_word() {
        for secret in [
            "credentials",
            "password",
            "api_token",
            "apiKey",
            "APIKey",
            "api-key",
            "client_secret",
            "refresh.token",
            "apitoken",
            "AccessToken",
            "pwd",
        ] {
            assert!(looks_secret(secret), "{secret}");
        }
        for plain in [
            "url",
            "token_url",
            "max_tokens",
            "use_password_file",
            "access_key",
            "key",
            "monkey",
            "tokens",
            "",
        ] {
            assert!(!looks_secret(plain), "{plain}");
        }
    }

    #[test]
    fn name_words_split_snake_kebab_and_camel_case() {
        assert_eq!(name_words("clientSecret"), ["client", "secret"]);
        assert_eq!(name_words("mapper-in"), ["mapper", "in"]);
        assert_eq!(name_words("__API_token2__"), ["api", "token2"]);
        assert_eq!(name_words("HTTPProxy"), ["httpproxy"]);
    }

    #[test]
    fn duplicates_point_at_the_first_occurrence() {
        let names = ["a", "b", "a", "c", "b", "a"];
        assert_eq!(duplicates(names.into_iter()), [(2, 0), (4, 1), (5, 0)]);
    }

    #[test]
    fn choices_match_in_any_order_but_exactly() {
        assert!(same_choices(&["false", "true"], &["true", "false"]));
        assert!(!same_choices(&["true", "true"], &["true", "false"]));
        assert!(!same_choices(
            &["true", "false", "maybe"],
            &["true", "false"]
        ));
        assert!(!same_choices(&["True", "False"], &["true", "false"]));
    }

    #[test]
    fn yaml_none_is_a_string_not_null() {
        // mirror_direction's first option is the word None, which YAML 1.1 parsers may null.
        let yaml = "{commonfields: {id: X}, name: X, script: {script: '-'}, configuration: [{name: mirror_direction, type: 15, defaultvalue: None, options: [None, Incoming, Outgoing, Incoming And Outgoing]}]}";
        assert_eq!(check_yaml(yaml).map(|f| f.len()).ok(), Some(0));
    }

    #[test]
    fn allow_enable_accepts_unquoted_booleans() {
        let yaml = r"
commonfields: {id: X}
name: X
configuration:
- {name: mapper-in, type: 0, defaultvalue: In}
- {name: mapper-out, type: 0, defaultvalue: Out}
script:
  script: '-'
  commands:
  - {name: iam-create-user, arguments: [{name: user-profile, required: true}, {name: allow-enable, predefined: [true, false], defaultValue: true}]}
  - {name: iam-update-user, arguments: [{name: user-profile, required: true}, {name: allow-enable, predefined: ['false', 'true']}]}
  - {name: iam-get-user, arguments: [{name: user-profile, required: true}]}
  - {name: iam-disable-user, arguments: [{name: user-profile, required: true}]}
  - {name: get-mapping-fields}
";
        let findings = check_yaml(yaml).map_err(|e| e.to_string());
        assert_eq!(findings, Ok(Vec::new()));
    }

    #[test]
    fn invalid_yaml_is_an_error_not_a_finding() {
        assert!(check_yaml("name: [unclosed").is_err());
        assert!(check_yaml("name: X").is_err());
    }
}
