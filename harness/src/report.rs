//! Reports of a run: for people (the terminal), JUnit XML and JSON (for CI).
//!
//! Every text that reaches a report has the instance's secrets masked.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::{json, Value};

use crate::error::FailureKind;
use crate::runner::{end_label, ScenarioOutcome, Verdict};
use crate::snapshot::Comparison;

/// One scenario in a report.
#[derive(Debug)]
pub struct ScenarioReport {
    /// What ran.
    pub outcome: ScenarioOutcome,
    /// How its snapshot compared.
    pub snapshot: SnapshotStatus,
}

/// What happened to a scenario's snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotStatus {
    /// Compared and matching.
    Matches,
    /// Compared: accepted snapshot written because `--accept-snapshots` was given.
    Accepted,
    /// Compared: different or new; a `.snap.new` file was written for review.
    Pending(Comparison),
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

/// The results of a run.
#[derive(Debug, Default)]
pub struct Report {
    /// The scenarios that ran.
    pub scenarios: Vec<ScenarioReport>,
    /// The scenarios that produced no outcome: their file is wrong, or they could not run.
    pub failures: Vec<ScenarioFailure>,
    /// Wall time of the whole run.
    pub wall: Duration,
}

impl ScenarioReport {
    /// Whether the scenario passed: its verdict, and its snapshot.
    pub fn passed(&self) -> bool {
        self.outcome.verdict.is_pass() && !matches!(self.snapshot, SnapshotStatus::Pending(_))
    }

    /// The reasons it failed, for people.
    pub fn failures(&self) -> Vec<String> {
        let mut reasons = match &self.outcome.verdict {
            Verdict::Failed(reasons) => reasons.clone(),
            _ => Vec::new(),
        };
        match &self.snapshot {
            SnapshotStatus::Pending(Comparison::New) => {
                reasons.push("no accepted snapshot yet: review the .snap.new file (cargo insta review) or rerun with --accept-snapshots".into());
            }
            SnapshotStatus::Pending(Comparison::Differs(diff)) => {
                reasons.push(format!(
                    "snapshot differs from the accepted one (review with cargo insta review):\n{diff}"
                ));
            }
            SnapshotStatus::Pending(Comparison::Matches)
            | SnapshotStatus::Matches
            | SnapshotStatus::Accepted => {}
        }
        reasons
    }

    /// The stderr of steps that did not complete, masked.
    fn stderr_of_failed_steps(&self) -> Vec<String> {
        self.outcome
            .steps
            .iter()
            .flat_map(|s| &s.runs)
            .filter(|r| {
                r.run.end != crate::runtime::RunEnd::Completed && !r.run.stderr.trim().is_empty()
            })
            .map(|r| {
                format!(
                    "stderr of {}:\n{}",
                    r.command,
                    self.outcome.secrets.mask(r.run.stderr.trim_end())
                )
            })
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
            .map(|s| s.outcome.name.len())
            .max()
            .unwrap_or(0);
        for scenario in &self.scenarios {
            let outcome = &scenario.outcome;
            let status = if scenario.passed() { "PASS" } else { "FAIL" };
            let note = match (&outcome.verdict, scenario.passed()) {
                (Verdict::ExpectedFailure(rule), true) => format!("  proves {rule} fails"),
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "{status}  {:width$}  {:>6.2}s{note}",
                outcome.name,
                outcome.wall.as_secs_f64()
            );
            if !scenario.passed() {
                let _ = writeln!(out, "      {}", outcome.description);
                let _ = writeln!(out, "      file: {}", outcome.path.display());
                for run in outcome.steps.iter().flat_map(|s| &s.runs) {
                    let _ = writeln!(
                        out,
                        "      ran {} -> {} in {:.0?}",
                        run.command,
                        end_label(&run.run.end),
                        run.run.wall
                    );
                }
                for reason in scenario
                    .failures()
                    .iter()
                    .chain(&scenario.stderr_of_failed_steps())
                {
                    for (i, line) in reason.lines().enumerate() {
                        let bullet = if i == 0 { "- " } else { "  " };
                        let _ = writeln!(out, "      {bullet}{line}");
                    }
                }
            }
        }
        for failure in &self.failures {
            let what = match failure.kind {
                FailureKind::Load => "the scenario file is wrong",
                FailureKind::Run => "the harness could not run the scenario",
                FailureKind::Interrupted => "stopped before it ended",
            };
            let _ = writeln!(out, "ERROR {} ({what})", failure.path);
            for line in failure.message.lines() {
                let _ = writeln!(out, "      {line}");
            }
        }
        let distinct = |of: fn(&ScenarioOutcome) -> &str| {
            let mut values: Vec<&str> = self.scenarios.iter().map(|s| of(&s.outcome)).collect();
            values.sort_unstable();
            values.dedup();
            values
        };
        let runtimes = distinct(|o| &o.runtime);
        let pythons = distinct(|o| &o.python);
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
        let _ = writeln!(out, "{} passed, {} failed", self.passed(), self.failed());
        out
    }

    /// The report as JUnit XML.
    pub fn junit(&self) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            out,
            "<testsuites name=\"xsoar-harness\" tests=\"{}\" failures=\"{}\" time=\"{:.3}\">",
            self.scenarios.len() + self.failures.len(),
            self.failed(),
            self.wall.as_secs_f64()
        );
        let _ = writeln!(
            out,
            "  <testsuite name=\"scenarios\" tests=\"{}\" failures=\"{}\">",
            self.scenarios.len() + self.failures.len(),
            self.failed()
        );
        for scenario in &self.scenarios {
            let outcome = &scenario.outcome;
            let (class, name) = outcome
                .name
                .rsplit_once('/')
                .unwrap_or(("scenarios", &outcome.name));
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
                xml(class),
                xml(name),
                outcome.wall.as_secs_f64()
            );
            if scenario.passed() {
                out.push_str("/>\n");
            } else {
                let failures = scenario.failures();
                let _ = writeln!(
                    out,
                    ">\n      <failure message=\"{}\">{}</failure>\n      <system-err>{}</system-err>\n    </testcase>",
                    xml(failures.first().map_or("", String::as_str)),
                    xml(&failures.join("\n")),
                    xml(&scenario.stderr_of_failed_steps().join("\n"))
                );
            }
        }
        for failure in &self.failures {
            let _ = writeln!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\">\n      <error type=\"{}\" message=\"{}\"/>\n    </testcase>",
                failure.label(),
                xml(&failure.path),
                failure.label(),
                xml(&failure.message)
            );
        }
        out.push_str("  </testsuite>\n</testsuites>\n");
        out
    }

    /// The report as JSON.
    pub fn json(&self) -> Value {
        let scenarios: Vec<Value> = self
            .scenarios
            .iter()
            .map(|s| {
                let o = &s.outcome;
                json!({
                    "name": o.name,
                    "file": o.path,
                    "description": o.description,
                    "passed": s.passed(),
                    "runtime": o.runtime,
                    "python": o.python,
                    "expected_failure": match &o.verdict { Verdict::ExpectedFailure(rule) => Some(rule.id()), _ => None },
                    "violations": o.violations.iter().map(|v| json!({
                        "rule": v.rule.id(),
                        "source": v.rule.source(),
                        "step": v.step.as_ref().map(|(n, _)| n),
                        "command": v.step.as_ref().map(|(_, c)| c),
                        "message": v.message,
                    })).collect::<Vec<_>>(),
                    "failures": s.failures(),
                    "steps": o.steps.iter().map(|step| json!({
                        "step": step.label,
                        "runs": step.runs.iter().map(|r| json!({
                            "command": r.command,
                            "end": end_label(&r.run.end),
                            "wall_ms": r.run.wall.as_secs_f64() * 1000.0,
                        })).collect::<Vec<_>>(),
                    })).collect::<Vec<_>>(),
                    "wall_ms": o.wall.as_secs_f64() * 1000.0,
                })
            })
            .collect();
        json!({
            "passed": self.passed(),
            "failed": self.failed(),
            "wall_ms": self.wall.as_secs_f64() * 1000.0,
            "scenarios": scenarios,
            "load_failures": self.failures_of(FailureKind::Load),
            "run_failures": self.failures_of(FailureKind::Run),
            "interrupted": self.failures_of(FailureKind::Interrupted),
        })
    }
}

impl Report {
    fn failures_of(&self, kind: FailureKind) -> Vec<Value> {
        self.failures
            .iter()
            .filter(|f| f.kind == kind)
            .map(|f| json!({"file": f.path, "message": f.message}))
            .collect()
    }
}

fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenarios_that_cannot_run_count_as_failures_in_every_format() {
        let report = Report {
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
        };
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
        let junit = report.junit();
        assert!(junit.contains("failures=\"2\""), "{junit}");
        assert!(
            junit.contains("unknown field `argz` &lt;here&gt; &amp; &quot;there&quot;"),
            "{junit}"
        );
        assert!(
            junit.contains("<error type=\"load\"") && junit.contains("<error type=\"run\""),
            "{junit}"
        );
        let json = report.json();
        assert_eq!(json["failed"], 2);
        assert_eq!(json["load_failures"][0]["file"], "scenarios/x.yaml");
        assert_eq!(json["run_failures"][0]["file"], "scenarios/y.yaml");
    }
}
