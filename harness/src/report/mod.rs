//! Reports of a run: the typed records a suite builds from its outcomes, the events it tells
//! its reporters, and the reporters for people (the terminal and its live status line), JUnit
//! XML and JSON (for CI).
//!
//! This module knows nothing of how scenarios run: the suite copies what a report shows out
//! of each outcome, with the instance's secrets masked, so every text here is safe to print.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use crate::error::FailureKind;
use crate::rules::Rule;
use crate::scenario::StepKind;
use crate::snapshot::{Comparison, Judgement, StoreError};

mod conformance;
mod formats;
mod reporters;
mod status;

pub use conformance::{Conformance, SectionScore};
pub use reporters::{Event, Format, ReportError, ReportFile, Reporter, Terminal};
pub use status::StatusLine;

/// The results of a run.
#[derive(Debug, Default)]
pub struct Report {
    /// The scenarios that ran, in the order they were listed.
    pub scenarios: Vec<ScenarioReport>,
    /// The scenarios that produced no outcome: their file is wrong, or they could not run.
    pub failures: Vec<ScenarioFailure>,
    /// The scenario files never started because an earlier one failed (fail-fast).
    pub not_run: Vec<String>,
    /// Wall time of the whole run.
    pub wall: Duration,
}

/// One scenario that ran.
#[derive(Debug)]
pub struct ScenarioReport {
    /// The scenario name (`iam/create-new-user`).
    pub name: String,
    /// Its description.
    pub description: String,
    /// The scenario file.
    pub path: PathBuf,
    /// The integration under test (see [`ScenarioOutcome::integration`](crate::ScenarioOutcome::integration)).
    pub integration: String,
    /// The rules that needed more than the commands to judge, and did (see
    /// [`ScenarioOutcome::judged`](crate::ScenarioOutcome::judged)).
    pub judged: Vec<Rule>,
    /// The manifest errors the scenario lists as known.
    pub acknowledged: Vec<Rule>,
    /// What the contract checks found.
    pub checks: Checks,
    /// The rules broken.
    pub violations: Vec<ViolationReport>,
    /// The steps that ran.
    pub steps: Vec<StepReport>,
    /// Where CommonServerPython and the API modules came from.
    pub runtime: String,
    /// The Python environment, for people.
    pub python: String,
    /// Wall time of the scenario.
    pub wall: Duration,
    /// How its snapshot was judged.
    pub snapshot: SnapshotStatus,
}

/// What the contract checks of a scenario found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checks {
    /// No rule was violated.
    Passed,
    /// The broken integration violated the rule (its id) its scenario expects.
    ProvenFailure(&'static str),
    /// Something failed: the reasons, for people.
    Failed(Vec<String>),
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ViolationReport {
    /// The rule's id.
    pub rule: &'static str,
    /// Where the rule is documented.
    pub source: &'static str,
    /// The step (1-based) it belongs to, if any.
    pub step: Option<usize>,
    /// That step's command or label.
    pub command: Option<String>,
    /// What happened.
    pub message: String,
}

/// One step that ran.
#[derive(Debug, Clone)]
pub struct StepReport {
    /// The step, for people: the command, or `advance 5m`, `fetch`, `local change`, ...
    pub label: String,
    /// What kind of step it is.
    pub kind: StepKind,
    /// The integration runs it caused, in order.
    pub runs: Vec<RunReport>,
    /// Wall time of the step.
    pub wall: Duration,
}

/// One integration run of a step.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// The command.
    pub command: String,
    /// How it ended, for people (`completed`, `timed out after 10s`, ...).
    pub end: String,
    /// Whether it completed.
    pub completed: bool,
    /// What it wrote to stderr, masked.
    pub stderr: String,
    /// Wall time of the run.
    pub wall: Duration,
}

/// How a scenario's snapshot was judged.
#[derive(Debug)]
pub enum SnapshotStatus {
    /// The suite was told not to judge snapshots.
    NotJudged,
    /// Compared with the accepted one.
    Judged(Judgement),
    /// The store could not be read or written: not judged, and the scenario fails.
    Error(StoreError),
}

/// A scenario that produced no outcome.
#[derive(Debug, Clone)]
pub struct ScenarioFailure {
    /// The scenario file.
    pub path: String,
    /// Whether the file is wrong (load) or the harness could not run it (run).
    pub kind: FailureKind,
    /// Why, with the place in the file for load errors.
    pub message: String,
}

impl ScenarioFailure {
    fn label(&self) -> &'static str {
        match self.kind {
            FailureKind::Load => "load",
            FailureKind::Run => "run",
            FailureKind::Interrupted => "interrupted",
        }
    }
}

impl ScenarioReport {
    /// Whether the scenario passed: its checks, and its snapshot.
    pub fn passed(&self) -> bool {
        let snapshot_holds = match &self.snapshot {
            SnapshotStatus::NotJudged => true,
            SnapshotStatus::Judged(judgement) => !judgement.is_pending(),
            SnapshotStatus::Error(_) => false,
        };
        !matches!(self.checks, Checks::Failed(_)) && snapshot_holds
    }

    /// The reasons it failed, for people.
    pub fn failures(&self) -> Vec<String> {
        let mut reasons = match &self.checks {
            Checks::Failed(reasons) => reasons.clone(),
            Checks::Passed | Checks::ProvenFailure(_) => Vec::new(),
        };
        match &self.snapshot {
            SnapshotStatus::Judged(Judgement::Pending(Comparison::New)) => {
                reasons.push("no accepted snapshot yet: review the .snap.new file (cargo insta review) or rerun with --accept-snapshots".into());
            }
            SnapshotStatus::Judged(Judgement::Pending(Comparison::Differs(diff))) => {
                reasons.push(format!(
                    "snapshot differs from the accepted one (review with cargo insta review):\n{diff}"
                ));
            }
            SnapshotStatus::Error(error) => {
                reasons.push(format!("the snapshot could not be judged: {error}"));
            }
            SnapshotStatus::NotJudged | SnapshotStatus::Judged(_) => {}
        }
        reasons
    }

    /// The stderr of runs that did not complete.
    fn stderr_of_failed_steps(&self) -> Vec<String> {
        self.steps
            .iter()
            .flat_map(|s| &s.runs)
            .filter(|r| !r.completed && !r.stderr.trim().is_empty())
            .map(|r| format!("stderr of {}:\n{}", r.command, r.stderr.trim_end()))
            .collect()
    }
}

impl Report {
    /// Scenarios that passed.
    pub fn passed(&self) -> usize {
        self.scenarios.iter().filter(|s| s.passed()).count()
    }

    /// Scenarios that failed, including those that could not run.
    pub fn failed(&self) -> usize {
        self.scenarios.len() - self.passed() + self.failures.len()
    }

    /// The report for a terminal.
    pub fn human(&self) -> String {
        let mut out = String::new();
        let width = self
            .scenarios
            .iter()
            .map(|s| s.name.len())
            .max()
            .unwrap_or(0);
        for scenario in &self.scenarios {
            scenario.write_human(&mut out, width);
        }
        for failure in &self.failures {
            let (what, to_do) = match failure.kind {
                FailureKind::Load => (
                    "the scenario file is wrong",
                    "fix the file at the place named; nothing of the integration was judged",
                ),
                FailureKind::Run => (
                    "the harness could not run the scenario",
                    "the scenario may well be right: fix what the message names (Python, \
                     the machine, the harness) and run it again",
                ),
                FailureKind::Interrupted => {
                    ("stopped before it ended", "run it again to have it judged")
                }
            };
            let _ = writeln!(out, "ERROR {} ({what})", failure.path);
            for line in failure.message.lines() {
                let _ = writeln!(out, "      {line}");
            }
            let _ = writeln!(out, "      what to do: {to_do}");
        }
        let distinct = |of: fn(&ScenarioReport) -> &str| {
            let mut values: Vec<&str> = self.scenarios.iter().map(of).collect();
            values.sort_unstable();
            values.dedup();
            values
        };
        let runtimes = distinct(|s| &s.runtime);
        let pythons = distinct(|s| &s.python);
        let _ = writeln!(
            out,
            "\n{} scenarios in {:.2}s (CommonServerPython and API modules: {})",
            self.scenarios.len() + self.failures.len(),
            self.wall.as_secs_f64(),
            if runtimes.is_empty() {
                "none ran".to_owned()
            } else {
                runtimes.join(", ")
            }
        );
        for python in pythons {
            let _ = writeln!(out, "Python: {python}");
        }
        let scores = Conformance::of(&self.scenarios);
        if !scores.is_empty() {
            let _ = writeln!(
                out,
                "Conformance (rules passed / exercised; xsoar-harness explain RULE):"
            );
            let width = scores
                .iter()
                .map(|s| s.integration.len())
                .max()
                .unwrap_or(0);
            for score in &scores {
                let _ = write!(out, "  {:width$}  {}", score.integration, score.line());
                let failed: Vec<&str> = score.failed().collect();
                if !failed.is_empty() {
                    let _ = write!(out, "  broken: {}", failed.join(", "));
                }
                out.push('\n');
            }
        }
        let _ = write!(out, "{} passed, {} failed", self.passed(), self.failed());
        if !self.not_run.is_empty() {
            let _ = write!(out, ", {} not run (--fail-fast)", self.not_run.len());
        }
        out.push('\n');
        out
    }
}

impl ScenarioReport {
    /// Its lines of the terminal report; names are padded to `width`.
    fn write_human(&self, out: &mut String, width: usize) {
        let passed = self.passed();
        let status = if passed { "PASS" } else { "FAIL" };
        let note = match (&self.checks, passed) {
            (Checks::ProvenFailure(rule), true) => format!("  proves {rule} fails"),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "{status}  {:width$}  {:>6.2}s{note}",
            self.name,
            self.wall.as_secs_f64()
        );
        if passed {
            return;
        }
        let _ = writeln!(out, "      {}", self.description);
        let _ = writeln!(out, "      file: {}", self.path.display());
        for run in self.steps.iter().flat_map(|s| &s.runs) {
            let _ = writeln!(
                out,
                "      ran {} -> {} in {:.0?}",
                run.command, run.end, run.wall
            );
        }
        for reason in self.failures().iter().chain(&self.stderr_of_failed_steps()) {
            for (i, line) in reason.lines().enumerate() {
                let bullet = if i == 0 { "- " } else { "  " };
                let _ = writeln!(out, "      {bullet}{line}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failures() -> Report {
        Report {
            failures: vec![
                ScenarioFailure {
                    path: "scenarios/x.yaml".into(),
                    kind: FailureKind::Load,
                    message: "scenarios/x.yaml:3:5: unknown field `argz` <here> & \"there\"".into(),
                },
                ScenarioFailure {
                    path: "scenarios/y.yaml".into(),
                    kind: FailureKind::Run,
                    message: "scenarios/y.yaml: cannot run the scenario: pip failed".into(),
                },
            ],
            ..Report::default()
        }
    }

    fn scenario(name: &str, snapshot: SnapshotStatus) -> ScenarioReport {
        ScenarioReport {
            name: name.into(),
            description: "d".into(),
            path: format!("scenarios/{name}.yaml").into(),
            integration: "OktaIAM".into(),
            judged: vec![Rule::IamActiveMatchesVendor, Rule::IamCommandSemantics],
            acknowledged: Vec::new(),
            checks: Checks::Passed,
            violations: Vec::new(),
            steps: vec![StepReport {
                label: "test-module".into(),
                kind: StepKind::Command,
                runs: vec![RunReport {
                    command: "test-module".into(),
                    end: "crashed (exit status: 1)".into(),
                    completed: false,
                    stderr: "boom\n".into(),
                    wall: Duration::from_millis(5),
                }],
                wall: Duration::from_millis(6),
            }],
            runtime: "built-in".into(),
            python: "Python 3".into(),
            wall: Duration::from_millis(7),
            snapshot,
        }
    }

    #[test]
    fn the_conformance_score_counts_the_rules_exercised_and_broken_in_every_format() {
        let mut create = scenario("iam/create", SnapshotStatus::NotJudged);
        create.steps[0].runs[0].command = "iam-create-user".into();
        create.violations.push(ViolationReport {
            rule: Rule::IamSkipHasReason.id(),
            source: Rule::IamSkipHasReason.source(),
            step: Some(1),
            command: Some("iam-create-user".into()),
            message: "skipped is true but reason is null".into(),
        });
        create.checks = Checks::Failed(vec!["skipped is true but reason is null".into()]);
        // A scenario proving a check on a broken variant does not count.
        let mut proof = scenario("iam/broken", SnapshotStatus::NotJudged);
        proof.integration = "OktaIAM (okta_iam_crash.py)".into();
        proof.checks = Checks::ProvenFailure("runtime.crash");
        let report = Report {
            scenarios: vec![
                create,
                scenario("iam/test", SnapshotStatus::NotJudged),
                proof,
            ],
            ..Report::default()
        };
        let scores = Conformance::of(&report.scenarios);
        assert_eq!(scores.len(), 1, "{scores:?}");
        let iam = &scores[0].sections[0];
        assert_eq!((iam.section, iam.applicable, iam.passed), ("iam", 6, 5));
        assert_eq!(iam.failed, ["iam.skip-has-reason"]);
        assert!(scores[0]
            .line()
            .starts_with("iam 5/6, mapping 2/2, runtime 7/7"));

        let human = report.human();
        assert!(
            human.contains("OktaIAM  iam 5/6, mapping 2/2, runtime 7/7, manifest 10/10  broken: iam.skip-has-reason"),
            "{human}"
        );
        let junit = report.junit().unwrap();
        assert!(
            junit.contains(r#"<property name="conformance.OktaIAM.iam" value="5/6"/>"#),
            "{junit}"
        );
        assert!(
            junit.contains(
                r#"<property name="conformance.OktaIAM.broken" value="iam.skip-has-reason"/>"#
            ),
            "{junit}"
        );
        let json: serde_json::Value = serde_json::from_str(&report.json().unwrap()).unwrap();
        assert_eq!(json["conformance"][0]["integration"], "OktaIAM");
        assert_eq!(
            json["conformance"][0]["sections"][0]["failed"][0],
            "iam.skip-has-reason"
        );
    }

    #[test]
    fn scenarios_that_cannot_run_count_as_failures_in_every_format() {
        let report = failures();
        assert_eq!((report.passed(), report.failed()), (0, 2));
        let human = report.human();
        assert!(human.ends_with("0 passed, 2 failed\n"), "{human}");
        assert!(
            human.contains("ERROR scenarios/x.yaml (the scenario file is wrong)"),
            "{human}"
        );
        assert!(
            human.contains("ERROR scenarios/y.yaml (the harness could not run the scenario)"),
            "{human}"
        );
        let junit = report.junit().unwrap();
        assert!(junit.contains("errors=\"2\""), "{junit}");
        assert!(
            junit.contains("unknown field `argz` &lt;here&gt; &amp; &quot;there&quot;"),
            "{junit}"
        );
        assert!(
            junit.contains("type=\"load\"") && junit.contains("type=\"run\""),
            "{junit}"
        );
        let json: serde_json::Value = serde_json::from_str(&report.json().unwrap()).unwrap();
        assert_eq!(json["failed"], 2);
        assert_eq!(json["load_failures"][0]["file"], "scenarios/x.yaml");
        assert_eq!(json["run_failures"][0]["file"], "scenarios/y.yaml");
    }

    #[test]
    fn a_snapshot_that_cannot_be_judged_is_an_error_with_its_file_and_cause() {
        let error = StoreError::Read {
            path: "snapshots/iam__x.snap".into(),
            source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        };
        let report = Report {
            scenarios: vec![
                scenario("iam/x", SnapshotStatus::Error(error)),
                scenario("iam/y", SnapshotStatus::Judged(Judgement::Matches)),
            ],
            ..Report::default()
        };
        assert_eq!((report.passed(), report.failed()), (1, 1));
        let human = report.human();
        assert!(
            human.contains("- the snapshot could not be judged: cannot read the snapshot snapshots/iam__x.snap: permission denied"),
            "{human}"
        );
        assert!(!human.contains(".snap.new"), "{human}");
        let junit = report.junit().unwrap();
        assert!(
            junit.contains("<error message=\"the snapshot could not be judged"),
            "{junit}"
        );
        assert!(junit.contains("type=\"snapshot\""), "{junit}");
        assert!(junit.contains("stderr of test-module:\nboom"), "{junit}");
        assert!(
            junit.contains("<testcase name=\"y\" classname=\"iam\""),
            "{junit}"
        );
    }
}
