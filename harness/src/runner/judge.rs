//! Judging a run: the rules each step broke, the expectations that did not hold, the
//! failures told first, and the verdict.

use std::collections::BTreeSet;

use mock_vendors::{format_iso_millis, Account};
use serde_json::Value;

use crate::checks::manifest::{Finding, Severity};
use crate::checks::{self, Rule, Violation};
use crate::iam::{self, IamSettings};
use crate::integration::ServerCommand;
use crate::rules::ManifestRule;
use crate::runtime::RunEnd;
use crate::scenario::{Check, CommandStep, Scenario, SourcePos, Step, StepExpect};
use crate::secrets::Secrets;
use crate::server::mirroring;
use crate::server::{CommandRecord, MapperRole};
use crate::session::Session;

use super::document::stored_state;
use super::{StepOutcome, Verdict};

/// The runs of earlier steps that failed without breaking a rule themselves (an uncaught
/// exception of a server-run command, an error entry), by step: what a later failure is
/// told after.
pub(super) fn earlier_failures(
    steps: &[StepOutcome],
    violations: &[Violation],
    secrets: &Secrets,
) -> Vec<(usize, String)> {
    let reported: BTreeSet<usize> = violations
        .iter()
        .filter_map(|v| v.step.as_ref().map(|(n, _)| *n))
        .collect();
    let mut found = Vec::new();
    for (index, step) in steps.iter().enumerate() {
        // A step with violations of its own has said what failed.
        if reported.contains(&(index + 1)) {
            continue;
        }
        for record in &step.runs {
            let Some(error) = record.error_text() else {
                continue;
            };
            // Rate limits and skipped updates are retried by the next run, by design.
            if error.contains(mirroring::RATE_LIMIT) || error.contains(mirroring::SKIP_UPDATE) {
                continue;
            }
            let last = crate::failure::error_summary(&error);
            let how = match record.run.end {
                RunEnd::Exception(_) => "raised",
                _ => "returned an error",
            };
            let mut note = format!(
                "step {} ({}): {} {how}: {last}",
                index + 1,
                step.label,
                record.command
            );
            let tail = crate::failure::stderr_tail(&record.run.stderr);
            note.push_str(&tail);
            found.push((index + 1, secrets.mask(&note)));
        }
    }
    found
}

/// The manifest rules the integration YAML breaks (errors; warnings do not fail a scenario),
/// less those the scenario lists as known, plus listed ones that are no longer found.
pub(super) fn manifest_violations(session: &Session<'_>, findings: &[Finding]) -> Vec<Violation> {
    let violation = |rule, message| Violation {
        rule,
        step: None,
        message,
    };
    let known: Vec<ManifestRule> = session
        .scenario()
        .spec
        .manifest_findings
        .iter()
        .map(|f| f.value)
        .collect();
    let errors: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    let mut found: Vec<Violation> = errors
        .iter()
        .filter(|f| !known.contains(&f.rule))
        .map(|f| violation(Rule::Manifest(f.rule), format!("{}: {}", f.path, f.message)))
        .collect();
    found.extend(
        known
            .iter()
            .filter(|rule| !errors.iter().any(|f| f.rule == **rule))
            .map(|id| {
                violation(
                    Rule::ScenarioExpect,
                    format!("manifest_findings lists `{id}`, but the manifest check no longer finds it: remove it"),
                )
            }),
    );
    found
}

/// What a completed management command breaks of the IAMCommand model, given the accounts
/// before and after it; `None` when the model could not judge it.
fn iam_semantics(
    session: &Session<'_>,
    record: &CommandRecord,
    before: Option<&[Account]>,
    after: &[Account],
) -> Option<Vec<String>> {
    let vendor_records = iam::outputs(&record.run.entries, iam::VENDOR_PATH);
    match (before, vendor_records.first(), &record.run.end) {
        (Some(before), Some(vendor_record), RunEnd::Completed) => {
            let settings = IamSettings::of(&session.server().instance().params);
            checks::iam_semantics(record, vendor_record, &settings, before, after)
        }
        _ => None,
    }
}

/// The rules a step's runs broke; `accounts_before` are the vendor's accounts before the step,
/// for a management command at a vendor that keeps them. The rules whose checks need more
/// than the command to judge anything (a vendor that keeps accounts) go into `judged` when
/// they did.
pub(super) fn step_violations(
    session: &Session<'_>,
    step: &Step,
    outcome: &StepOutcome,
    accounts_before: Option<&[Account]>,
    judged: &mut BTreeSet<Rule>,
) -> Vec<(Rule, String)> {
    let mut found = Vec::new();
    for record in &outcome.runs {
        let run = &record.run;
        let prefix = if outcome.is_command {
            String::new()
        } else {
            format!("{}: ", record.command)
        };
        if let Some(module) = missing_module(run) {
            found.push((
                Rule::RuntimeMissingModule,
                format!(
                    "{prefix}{}{}",
                    session.runs().python().missing_module_advice(&module),
                    crate::failure::stderr_tail(&run.stderr)
                ),
            ));
            continue;
        }
        // A scheduled run the vendor stalled is retried by the server: what arrives in the
        // end is judged, not the kill.
        let retried = !outcome.is_command && record.vendor_stall().is_some();
        if let (false, Some((rule, message))) = (retried, crate::failure::runtime_violation(run)) {
            found.push((rule, format!("{prefix}{message}")));
            continue;
        }
        if iam::is_management_command(&record.command) {
            found.extend(checks::check_iam_command(
                run,
                session.server().instance(),
                session.runs().vendor_state(),
            ));
            // The vendor's accounts after the command, read once for both account checks.
            if let Some(after) = session.runs().vendor_state().and_then(|v| v.accounts()) {
                judged.insert(Rule::IamActiveMatchesVendor);
                if let Some(messages) = iam_semantics(session, record, accounts_before, &after) {
                    judged.insert(Rule::IamCommandSemantics);
                    found.extend(
                        messages
                            .into_iter()
                            .map(|message| (Rule::IamCommandSemantics, message)),
                    );
                }
            }
        } else if let (true, RunEnd::Exception(traceback)) = (outcome.is_command, &run.end) {
            found.push((
                Rule::ScenarioExpect,
                format!(
                    "the command raised: {}",
                    crate::failure::error_summary(traceback)
                ),
            ));
        }
        let outgoing = session.server().instance_mapper(MapperRole::Outgoing);
        if let (true, Some(mapper), RunEnd::Completed) = (
            record.command == ServerCommand::GetMappingFields.name(),
            outgoing,
            &run.end,
        ) {
            let schema = run
                .entries
                .first()
                .map(crate::entries::entry_contents)
                .unwrap_or_default();
            found.extend(checks::mapper_fields_in_schema(&schema, mapper));
        }
        found.extend(
            checks::mirroring::per_run(session.server(), session.runs().vendor_state(), record)
                .into_iter()
                .map(|(rule, message)| (rule, format!("{prefix}{message}"))),
        );
    }
    for failure in &outcome.mapping_failures {
        let rule = if failure.error.unsupported {
            Rule::MapperUnsupportedOperator
        } else {
            Rule::MapperMappingFailed
        };
        found.push((rule, failure.to_string()));
    }
    if let Some(created) = outcome.result.as_ref().and_then(|r| r.get("created")) {
        found.extend(checks::mirroring::after_fetch(session.server(), created));
    }
    if let Step::Check(check) = step {
        found.extend(
            check_mismatches(session, check)
                .into_iter()
                .map(|m| (Rule::ScenarioExpect, m)),
        );
    }
    if let (
        Step::Command(CommandStep {
            expect: Some(expect),
            ..
        }),
        Some(record),
    ) = (step, outcome.runs.first())
    {
        found.extend(
            expectation_mismatches(expect, record)
                .into_iter()
                .map(|m| (Rule::ScenarioExpect, m)),
        );
    }
    found
}

/// The module a run could not import, if that is how it failed.
fn missing_module(run: &crate::runtime::CommandRun) -> Option<String> {
    let traceback = match &run.end {
        RunEnd::Exception(traceback) => traceback.as_str(),
        RunEnd::Completed => "",
        _ => run.stderr.as_str(),
    };
    let errors = crate::entries::error_entries(&run.entries);
    crate::failure::missing_module(
        std::iter::once(traceback).chain(errors.iter().map(String::as_str)),
    )
}

/// The mismatches between a step's `expect` and its run.
fn expectation_mismatches(expect: &StepExpect, record: &CommandRecord) -> Vec<String> {
    let run = &record.run;
    let mut found = Vec::new();
    let mut against = |label: &str, expected: &Option<Value>, actual: Option<Value>| {
        if let Some(expected) = expected {
            match actual {
                None => found.push(format!(
                    "expected {label} {expected}, but the command produced none"
                )),
                Some(actual) => {
                    if let Some(m) = checks::subset_mismatch(&actual, expected) {
                        found.push(format!("{label}: {m}"));
                    }
                }
            }
        }
    };
    let last = |path: &str| iam::outputs(&run.entries, path).pop();
    against("IAM.Vendor", &expect.vendor, last(iam::VENDOR_PATH));
    against(
        "IAM.UserProfile",
        &expect.user_profile,
        last(iam::USER_PROFILE_PATH),
    );
    against(
        "Contents",
        &expect.contents,
        run.entries.first().map(crate::entries::entry_contents),
    );
    if let Some(text) = &expect.error {
        let errors = crate::entries::error_entries(&run.entries);
        if !errors.iter().any(|e| e.contains(text.as_str())) {
            found.push(if errors.is_empty() {
                format!("expected an error entry containing {text:?}, but there was none")
            } else {
                format!(
                    "expected an error entry containing {text:?}, got {}",
                    errors.join(" | ")
                )
            });
        }
    }
    found
}

/// The mismatches of a `check` step.
fn check_mismatches(session: &Session<'_>, check: &Check) -> Vec<String> {
    let mut found = Vec::new();
    let incidents = session.server().incidents();
    if let Some(count) = check.incidents {
        if incidents.len() != count {
            found.push(format!(
                "expected {count} incidents, there are {}",
                incidents.len()
            ));
        }
    }
    if let Some(expected) = &check.incident {
        let id = expected.value.get("id").and_then(Value::as_u64);
        match id.and_then(|id| session.server().incident(id)) {
            None => found.push(format!(
                "check.incident needs the `id` of an existing incident, got {}",
                expected.value
            )),
            Some(incident) => {
                if let Some(m) =
                    checks::subset_mismatch(&incident.view(format_iso_millis), &expected.value)
                {
                    found.push(format!("incident {}: {m}", incident.id()));
                }
            }
        }
    }
    if let Some(expected) = &check.server {
        if let Some(m) = checks::subset_mismatch(&stored_state(session), expected) {
            found.push(format!("server: {m}"));
        }
    }
    if let Some(expected) = &check.vendor {
        match session.runs().vendor_state() {
            None => found.push("check.vendor needs a vendor".to_owned()),
            Some(vendor) => {
                if let Some(m) = checks::subset_mismatch(&vendor.dump(), expected) {
                    found.push(format!("vendor state: {m}"));
                }
            }
        }
    }
    found
}

/// The verdict; `earlier` are the failed runs each violation is told after (the command that
/// failed first comes first, never only its later symptom).
pub(super) fn verdict(
    scenario: &Scenario,
    violations: &[Violation],
    earlier: &[(usize, String)],
) -> Verdict {
    let told = |selected: &[&Violation], prefix: &str| -> Vec<String> {
        let mut reasons = Vec::new();
        let mut notes = earlier.iter().peekable();
        for violation in selected {
            // Manifest findings come before every step, end-of-scenario checks after them all.
            let at = match (&violation.step, violation.rule) {
                (Some((n, _)), _) => *n,
                (None, Rule::Manifest(_)) => 0,
                (None, _) => usize::MAX,
            };
            while let Some((_, note)) = notes.next_if(|(step, _)| *step < at) {
                reasons.push(format!("first, {note}"));
            }
            reasons.push(format!("{prefix}{violation}"));
        }
        reasons
    };
    match &scenario.spec.expect_failure {
        None if violations.is_empty() => Verdict::Passed,
        None => Verdict::Failed(told(&violations.iter().collect::<Vec<_>>(), "")),
        Some(expected) => {
            let wanted = expected.rule.value;
            let proven = violations.iter().find(|v| {
                v.rule == wanted
                    && expected
                        .message
                        .as_deref()
                        .is_none_or(|m| v.message.contains(m))
            });
            // The scenario's own checks still have to hold around the expected failure.
            let unmet: Vec<&Violation> = violations
                .iter()
                .filter(|v| {
                    matches!(v.rule, Rule::ScenarioExpect | Rule::ScenarioStep) && wanted != v.rule
                })
                .collect();
            match proven {
                Some(_) if !unmet.is_empty() => {
                    Verdict::Failed(told(&unmet, "besides the expected failure: "))
                }
                Some(v) => Verdict::ExpectedFailure(v.rule),
                None => {
                    let mut reasons = vec![format!(
                        "{}: expected the run to violate `{wanted}`{}, but it did not",
                        SourcePos::of(&scenario.path, &expected.rule),
                        expected
                            .message
                            .as_deref()
                            .map(|m| format!(" with a message containing {m:?}"))
                            .unwrap_or_default()
                    )];
                    reasons.extend(told(&violations.iter().collect::<Vec<_>>(), "instead: "));
                    Verdict::Failed(reasons)
                }
            }
        }
    }
}
