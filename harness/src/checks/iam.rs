//! The IAM contract checks of one management command's run.

use mock_vendors::Vendor;
use serde_json::Value;

use super::Rule;
use crate::iam;
use crate::runtime::{CommandRun, RunEnd};
use crate::server::instance::Instance;

/// The IAM contract checks of one management command's run.
pub(crate) fn check_iam_command(
    run: &CommandRun,
    instance: &Instance,
    vendor: Option<&dyn Vendor>,
) -> Vec<(Rule, String)> {
    let mut found = Vec::new();
    if let RunEnd::Exception(traceback) = &run.end {
        found.push((
            Rule::IamNoUncaughtException,
            format!(
                "the command ended in an uncaught exception: {}",
                crate::failure::error_summary(traceback)
            ),
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
            // Only vendors that keep accounts can say whether one is active (not stub vendors).
            let accounts = vendor.filter(|v| v.accounts().is_some());
            if let (Some(vendor), Some(id)) = (accounts, record.get("id").and_then(Value::as_str)) {
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

/// A record value for messages: its JSON, or `missing`.
pub(super) fn shown(value: Option<&Value>) -> String {
    match value {
        None => "missing".to_owned(),
        Some(v) => v.to_string(),
    }
}
