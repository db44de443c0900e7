//! Contract checks, independent of snapshots: each failure names the rule and the seed section
//! it comes from.

use std::fmt;

use mock_vendors::vendor::Vendor;
use serde_json::Value;

use crate::iam;
use crate::runtime::{CommandRun, RunEnd};
use crate::server::instance::Instance;

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
    /// A step's `expect` did not hold.
    ScenarioExpect,
}

impl Rule {
    /// Every rule.
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
        Rule::ScenarioExpect,
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
            Rule::ScenarioExpect => "scenario.expect",
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
            Rule::ScenarioExpect => "the scenario's own `expect`",
        }
    }

    /// The rule with this id.
    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|rule| rule.id() == id)
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

/// The runtime rule a run's end breaks, if any.
pub fn runtime_violation(end: &RunEnd, stderr: &str) -> Option<(Rule, String)> {
    let tail = stderr_tail(stderr);
    match end {
        RunEnd::Completed | RunEnd::Exception(_) => None,
        RunEnd::Crashed(status) => Some((
            Rule::RuntimeCrash,
            format!("the integration process exited ({status}) before completing{tail}"),
        )),
        RunEnd::TimedOut(after) => Some((
            Rule::RuntimeTimeout,
            format!("the integration did not complete within {after:?} and was killed{tail}"),
        )),
        RunEnd::Protocol(why) => Some((Rule::RuntimeProtocol, why.clone())),
        RunEnd::Incomplete => Some((
            Rule::RuntimeIncomplete,
            format!(
                "the integration process exited successfully without sending `completed`{tail}"
            ),
        )),
    }
}

fn stderr_tail(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.is_empty() {
        String::new()
    } else {
        let start = lines.len().saturating_sub(3);
        format!("; stderr ends: {}", lines[start..].join(" | "))
    }
}

/// The IAM contract checks of one management command's run.
pub fn check_iam_command(
    run: &CommandRun,
    instance: &Instance,
    vendor: Option<&dyn Vendor>,
) -> Vec<(Rule, String)> {
    let mut found = Vec::new();
    if let RunEnd::Exception(traceback) = &run.end {
        let last = traceback
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        found.push((
            Rule::IamNoUncaughtException,
            format!("the command ended in an uncaught exception: {last}"),
        ));
        return found;
    }
    if run.end != RunEnd::Completed {
        return found;
    }
    let records = iam::outputs(&run.entries, iam::VENDOR_PATH);
    if records.is_empty() {
        found.push((
            Rule::IamVendorRecordShape,
            "the command produced no IAM.Vendor record".to_owned(),
        ));
    }
    for record in &records {
        found.extend(
            record_shape(record, instance)
                .into_iter()
                .map(|m| (Rule::IamVendorRecordShape, m)),
        );
        let flag = |key: &str| record.get(key).and_then(Value::as_bool) == Some(true);
        let present = |key: &str| match record.get(key) {
            None | Some(Value::Null) => false,
            Some(Value::String(s)) => !s.trim().is_empty(),
            Some(_) => true,
        };
        let skipped = flag("skipped");
        if record.get("success") == Some(&Value::Bool(false)) && !skipped {
            for key in ["errorCode", "errorMessage"] {
                if !present(key) {
                    found.push((
                        Rule::IamFailureHasError,
                        format!("success is false but {key} is {}", shown(record.get(key))),
                    ));
                }
            }
        }
        if skipped && !present("reason") {
            found.push((
                Rule::IamSkipHasReason,
                format!(
                    "skipped is true but reason is {}",
                    shown(record.get("reason"))
                ),
            ));
        }
        if flag("success") && !skipped {
            if let (Some(vendor), Some(id)) = (vendor, record.get("id").and_then(Value::as_str)) {
                let reported = record.get("active").and_then(Value::as_bool);
                match vendor.account_active(id) {
                    None => found.push((
                        Rule::IamActiveMatchesVendor,
                        format!("IAM.Vendor.id `{id}` is not an account at the vendor"),
                    )),
                    Some(actual) if reported != Some(actual) => found.push((
                        Rule::IamActiveMatchesVendor,
                        format!(
                            "IAM.Vendor.active is {} but the vendor reports account `{id}` as {}",
                            shown(record.get("active")),
                            if actual { "active" } else { "inactive" }
                        ),
                    )),
                    Some(_) => {}
                }
            }
        }
    }
    found
}

/// The documented keys of an IAM.Vendor record and the JSON types each may have.
const RECORD_KEYS: &[(&str, &[Kind])] = &[
    ("brand", &[Kind::String]),
    ("instanceName", &[Kind::String]),
    ("action", &[Kind::String]),
    ("success", &[Kind::Bool]),
    ("active", &[Kind::Bool, Kind::Null]),
    ("id", &[Kind::String, Kind::Null]),
    ("username", &[Kind::String, Kind::Null]),
    ("email", &[Kind::String, Kind::Null]),
    ("errorCode", &[Kind::String, Kind::Number, Kind::Null]),
    ("errorMessage", &[Kind::String, Kind::Null]),
    (
        "details",
        &[Kind::Object, Kind::Array, Kind::String, Kind::Null],
    ),
    ("skipped", &[Kind::Bool]),
    ("reason", &[Kind::String, Kind::Null]),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    Bool,
    Number,
    Object,
    Array,
    Null,
}

impl Kind {
    fn of(value: &Value) -> Kind {
        match value {
            Value::String(_) => Kind::String,
            Value::Bool(_) => Kind::Bool,
            Value::Number(_) => Kind::Number,
            Value::Object(_) => Kind::Object,
            Value::Array(_) => Kind::Array,
            Value::Null => Kind::Null,
        }
    }
}

fn record_shape(record: &Value, instance: &Instance) -> Vec<String> {
    let Some(map) = record.as_object() else {
        return vec![format!("an IAM.Vendor record is not an object: {record}")];
    };
    let mut problems = Vec::new();
    let missing: Vec<&str> = RECORD_KEYS
        .iter()
        .map(|(key, _)| *key)
        .filter(|key| !map.contains_key(*key))
        .collect();
    if !missing.is_empty() {
        problems.push(format!(
            "the IAM.Vendor record lacks {}",
            missing.join(", ")
        ));
    }
    for (key, kinds) in RECORD_KEYS {
        if let Some(value) = map.get(*key) {
            if !kinds.contains(&Kind::of(value)) {
                problems.push(format!(
                    "IAM.Vendor.{key} should be {kinds:?} but is {value}"
                ));
            }
        }
    }
    let expect_equal = [("brand", &instance.brand), ("instanceName", &instance.name)];
    for (key, expected) in expect_equal {
        if let Some(Value::String(actual)) = map.get(key) {
            if actual != expected {
                problems.push(format!(
                    "IAM.Vendor.{key} is `{actual}` but the calling context says `{expected}`"
                ));
            }
        }
    }
    if let Some(Value::String(action)) = map.get("action") {
        if !iam::ACTIONS.contains(&action.to_lowercase().as_str()) {
            problems.push(format!(
                "IAM.Vendor.action `{action}` is not one of the IAMActions ({})",
                iam::ACTIONS.join(", ")
            ));
        }
    }
    problems
}

fn shown(value: Option<&Value>) -> String {
    match value {
        None => "missing".to_owned(),
        Some(v) => v.to_string(),
    }
}

/// Whether `actual` contains `expected`: objects key by key, everything else equal (numbers
/// and strings compared by their text, since XSOAR outputs mix them).
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
        (h, w) if h == w => None,
        (Value::Number(n), Value::String(s)) | (Value::String(s), Value::Number(n))
            if n.to_string() == *s =>
        {
            None
        }
        (h, w) => Some(format!("expected {w}, got {h}")),
    }
}
