//! Contract checks, independent of snapshots: each failure names the rule and the seed section
//! it comes from.

mod iam;
pub mod manifest;
pub mod mirroring;

use std::fmt;

use serde_json::Value;

use crate::quantity::ByteSize;
use crate::runtime::{Bound, CommandRun, RunEnd};
pub use iam::check_iam_command;

/// A documented rule a run can violate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Rule {
    /// Every IAM.Vendor record has all documented keys with the right types.
    IamVendorRecordShape,
    /// A failure (success false) carries errorCode and errorMessage.
    IamFailureHasError,
    /// A skipped result carries a reason.
    IamSkipHasReason,
    /// `active` matches the vendor's state of the account.
    IamActiveMatchesVendor,
    /// Management commands never end in an uncaught exception.
    IamNoUncaughtException,
    /// The integration process died before completing.
    RuntimeCrash,
    /// The integration did not complete within the timeout.
    RuntimeTimeout,
    /// The integration wrote something that is not a protocol message.
    RuntimeProtocol,
    /// The integration exited without `completed` or `exception`.
    RuntimeIncomplete,
    /// The integration imports a module its Python environment does not have.
    RuntimeMissingModule,
    /// A run ended while processes it started were still running.
    RuntimeLeftoverProcess,
    /// A run reached a bound: its output, its messages or its memory.
    RuntimeLimit,
    /// Every fetched incident mirrored in some direction has a dbotMirrorId.
    MirrorIdSet,
    /// update-remote-system returns the remote id.
    MirrorUpdateReturnsId,
    /// Entries mirrored out do not come back in.
    MirrorNoEcho,
    /// No entry is lost or duplicated in either direction.
    MirrorEntriesExactlyOnce,
    /// Nothing is mirrored against the incident's direction.
    MirrorDirection,
    /// update-remote-system writes only what changed locally.
    MirrorDeltaOnly,
    /// The outgoing mapper writes only fields the remote schema (get-mapping-fields) has.
    MapperFieldsInSchema,
    /// A classifier or mapper uses an operator that is neither built in nor a runnable script.
    MapperUnsupportedOperator,
    /// A classifier or mapper field could not be computed.
    MapperMappingFailed,
    /// A step's `expect` did not hold.
    ScenarioExpect,
    /// A step could not be carried out on the state the earlier steps left.
    ScenarioStep,
    /// The integration YAML breaks a manifest rule (errors only; warnings do not fail).
    Manifest(manifest::ManifestRule),
}

impl Rule {
    /// Every scenario rule (the manifest rules are in [`manifest::ManifestRule::ALL`]).
    pub const ALL: &'static [Rule] = &[
        Rule::IamVendorRecordShape,
        Rule::IamFailureHasError,
        Rule::IamSkipHasReason,
        Rule::IamActiveMatchesVendor,
        Rule::IamNoUncaughtException,
        Rule::RuntimeCrash,
        Rule::RuntimeTimeout,
        Rule::RuntimeProtocol,
        Rule::RuntimeIncomplete,
        Rule::RuntimeMissingModule,
        Rule::RuntimeLeftoverProcess,
        Rule::RuntimeLimit,
        Rule::MirrorIdSet,
        Rule::MirrorUpdateReturnsId,
        Rule::MirrorNoEcho,
        Rule::MirrorEntriesExactlyOnce,
        Rule::MirrorDirection,
        Rule::MirrorDeltaOnly,
        Rule::MapperFieldsInSchema,
        Rule::MapperUnsupportedOperator,
        Rule::MapperMappingFailed,
        Rule::ScenarioExpect,
        Rule::ScenarioStep,
    ];

    /// The id scenarios and reports use.
    pub fn id(self) -> &'static str {
        match self {
            Rule::IamVendorRecordShape => "iam.vendor-record-shape",
            Rule::IamFailureHasError => "iam.failure-has-error",
            Rule::IamSkipHasReason => "iam.skip-has-reason",
            Rule::IamActiveMatchesVendor => "iam.active-matches-vendor",
            Rule::IamNoUncaughtException => "iam.no-uncaught-exception",
            Rule::RuntimeCrash => "runtime.crash",
            Rule::RuntimeTimeout => "runtime.timeout",
            Rule::RuntimeProtocol => "runtime.protocol",
            Rule::RuntimeIncomplete => "runtime.incomplete",
            Rule::RuntimeMissingModule => "runtime.missing-module",
            Rule::RuntimeLeftoverProcess => "runtime.leftover-process",
            Rule::RuntimeLimit => "runtime.limit",
            Rule::MirrorIdSet => "mirror.mirror-id-set",
            Rule::MirrorUpdateReturnsId => "mirror.update-returns-id",
            Rule::MirrorNoEcho => "mirror.no-echo",
            Rule::MirrorEntriesExactlyOnce => "mirror.entries-exactly-once",
            Rule::MirrorDirection => "mirror.direction",
            Rule::MirrorDeltaOnly => "mirror.delta-only",
            Rule::MapperFieldsInSchema => "mapper.fields-in-schema",
            Rule::MapperUnsupportedOperator => "mapper.unsupported-operator",
            Rule::MapperMappingFailed => "mapper.mapping-failed",
            Rule::ScenarioExpect => "scenario.expect",
            Rule::ScenarioStep => "scenario.step",
            Rule::Manifest(rule) => rule.id(),
        }
    }

    /// Where the rule is documented.
    pub fn source(self) -> &'static str {
        match self {
            Rule::IamVendorRecordShape => "seed iam-integration.md, \"IAM Commands need to be supported\", Outputs",
            Rule::IamFailureHasError => "seed iam-integration.md, \"Additional Methods to Implement\" 2 (handle_exception); xsoar-runtime.md §3",
            Rule::IamSkipHasReason => "xsoar-runtime.md §3, IAMCommand table (skipped, reason)",
            Rule::IamActiveMatchesVendor => "seed iam-integration.md, iam-disable-user / allow-enable Outputs (active)",
            Rule::IamNoUncaughtException => "seed iam-integration.md, \"Additional Methods to Implement\" 2: management commands must not fail",
            Rule::RuntimeCrash | Rule::RuntimeTimeout | Rule::RuntimeProtocol | Rule::RuntimeIncomplete => {
                "xsoar-runtime.md §0, the server <-> script protocol"
            }
            Rule::RuntimeLimit => "the scenario's `limits` (output, messages and memory of one command); README, Limits",
            Rule::RuntimeLeftoverProcess => "xsoar-runtime.md §0 (a run ends at `completed` or `exception`; the runner then waits for the next start message)",
            Rule::RuntimeMissingModule => "xsoar-runtime.md §8, the integration's Docker image (its packages and what the code imports)",
            Rule::MirrorIdSet => "seed mirroring-integration.md, \"Incident fields on a XSOAR incident\" (dbotMirrorId)",
            Rule::MirrorUpdateReturnsId => "seed mirroring-integration.md, update-remote-system (returns the remote incident id)",
            Rule::MirrorNoEcho => "vendors.md A, Journal (mirroring clients skip what they wrote); seed mirroring-integration.md, get-remote-data",
            Rule::MirrorEntriesExactlyOnce => "seed mirroring-integration.md, get-remote-data (API rate limit) and update-remote-system (entries)",
            Rule::MirrorDirection => "seed mirroring-integration.md, dbotMirrorDirection; design.md, Mirroring semantics",
            Rule::MirrorDeltaOnly => "seed mirroring-integration.md, update-remote-system (delta) and the dirty-fields note",
            Rule::MapperFieldsInSchema => "seed mirroring-integration.md, get-mapping-fields (the schema users map outgoing fields to); seed iam-integration.md, get-mapping-fields",
            Rule::MapperUnsupportedOperator => "xsoar-runtime.md §4, transformers and filters (built-in operators, or automation scripts tagged transformer / filter)",
            Rule::MapperMappingFailed => "xsoar-runtime.md §4 (a mapping that cannot be computed is an error the server shows for that field); admin guide, Transformers Operators (a failed cast fails the task)",
            Rule::ScenarioExpect => "the scenario's own `expect`",
            Rule::ScenarioStep => "the scenario's own steps",
            Rule::Manifest(rule) => rule.source(),
        }
    }

    /// The rule with this id.
    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL
            .iter()
            .copied()
            .find(|rule| rule.id() == id)
            .or_else(|| manifest::ManifestRule::from_id(id).map(Rule::Manifest))
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// One broken rule, at one step.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
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
pub fn mapper_fields_in_schema(
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

/// The module a run could not import: Python's `No module named 'x'` in its traceback, its
/// stderr or an error entry (an integration that catches the ImportError and reports it).
///
/// ```
/// use xsoar_harness::checks::missing_module;
/// let traceback = "Traceback ...\nModuleNotFoundError: No module named 'jwt'\n";
/// assert_eq!(missing_module([traceback]).as_deref(), Some("jwt"));
/// assert_eq!(missing_module(["No module named 'google.oauth2'"]).as_deref(), Some("google.oauth2"));
/// assert_eq!(missing_module(["all fine"]), None);
/// ```
pub fn missing_module<'a>(texts: impl IntoIterator<Item = &'a str>) -> Option<String> {
    const MARK: &str = "No module named '";
    texts.into_iter().find_map(|text| {
        let start = text.rfind(MARK)? + MARK.len();
        let name: String = text[start..].chars().take_while(|c| *c != '\'').collect();
        (!name.is_empty()).then_some(name)
    })
}

/// The runtime rule a run breaks, if any: how it ended, or what it left running.
pub fn runtime_violation(run: &CommandRun) -> Option<(Rule, String)> {
    let tail = stderr_tail(&run.stderr);
    match &run.end {
        RunEnd::Completed | RunEnd::Exception(_) if !run.leftovers.processes.is_empty() => {
            let processes = &run.leftovers.processes;
            Some((
                Rule::RuntimeLeftoverProcess,
                format!(
                    "the integration returned while {} it started kept running ({}); the harness \
                     killed {}. Wait for subprocesses to end (subprocess.run, Popen.wait) before \
                     the command returns",
                    if processes.len() == 1 {
                        "a process"
                    } else {
                        "processes"
                    },
                    processes
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; "),
                    if processes.len() == 1 { "it" } else { "them" },
                ),
            ))
        }
        RunEnd::Exception(traceback) if error_summary(traceback).starts_with("MemoryError") => {
            Some(out_of_memory(run.limits.memory, &tail))
        }
        RunEnd::Completed | RunEnd::Exception(_) => None,
        RunEnd::Crashed(_) if run.stderr.contains("MemoryError") => {
            Some(out_of_memory(run.limits.memory, &tail))
        }
        RunEnd::Crashed(status) => Some((
            Rule::RuntimeCrash,
            format!("the integration process exited ({status}) before completing{tail}"),
        )),
        RunEnd::TimedOut(after) => Some((
            Rule::RuntimeTimeout,
            format!("the integration did not complete within {after:?} and was killed{tail}"),
        )),
        RunEnd::Protocol(why) => Some((Rule::RuntimeProtocol, why.clone())),
        RunEnd::Limit(Bound::Output(budget)) => Some((
            Rule::RuntimeLimit,
            format!(
                "the integration wrote more than {} to stdout in one command and was stopped \
                 (limits.output); return large data as a file entry, or raise limits.output{tail}",
                ByteSize(*budget)
            ),
        )),
        RunEnd::Limit(Bound::Messages(most)) => Some((
            Rule::RuntimeLimit,
            format!(
                "the integration sent more than {most} entries and log lines in one command and \
                 was stopped (limits.messages); send results in fewer entries, or raise \
                 limits.messages{tail}"
            ),
        )),
        RunEnd::Incomplete => Some((
            Rule::RuntimeIncomplete,
            format!(
                "the integration process exited successfully without sending `completed`{tail}"
            ),
        )),
    }
}

fn out_of_memory(limit: u64, tail: &str) -> (Rule, String) {
    (
        Rule::RuntimeLimit,
        format!(
            "the integration ran out of memory: its process may use {} (limits.memory); page \
             through large results instead of loading them whole, or raise limits.memory{tail}",
            ByteSize(limit)
        ),
    )
}

/// The part of an error people need: for a Python traceback, the exception and its message
/// (the lines after the last frame); for other text, its last non-empty line. Bounded.
///
/// ```
/// use xsoar_harness::checks::error_summary;
/// let traceback = "Traceback (most recent call last):\n  File \"x.py\", line 1, in <module>\n    f()\nValueError: bad\n{\"detail\": 1}\n";
/// assert_eq!(error_summary(traceback), "ValueError: bad | {\"detail\": 1}");
/// assert_eq!(error_summary("first\nlast\n\n"), "last");
/// ```
pub fn error_summary(text: &str) -> String {
    const LIMIT: usize = 600;
    let lines: Vec<&str> = text.lines().collect();
    let exception = lines
        .iter()
        .rposition(|l| l.starts_with("  File ") || l.starts_with("    "))
        .filter(|_| text.contains("Traceback (most recent call last)"))
        .map(|frame| {
            lines[frame + 1..]
                .iter()
                .map(|l| l.trim())
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(" | ")
        })
        .filter(|e| !e.is_empty());
    let summary = exception.unwrap_or_else(|| {
        lines
            .iter()
            .rev()
            .find(|l| !l.trim().is_empty())
            .map(|l| l.trim().to_owned())
            .unwrap_or_default()
    });
    if summary.chars().count() > LIMIT {
        format!("{}...", summary.chars().take(LIMIT).collect::<String>())
    } else {
        summary
    }
}

/// `; stderr ends: <the last three lines>`, or nothing when stderr is empty.
pub fn stderr_tail(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.is_empty() {
        String::new()
    } else {
        let start = lines.len().saturating_sub(3);
        format!("; stderr ends: {}", lines[start..].join(" | "))
    }
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
