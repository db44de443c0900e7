//! The report serialized for CI: JUnit XML (through quick-junit) and JSON.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestSuite};
use serde::Serialize;

use super::{Checks, Conformance, Report, ScenarioReport, SnapshotStatus, ViolationReport};
use crate::error::FailureKind;

impl Report {
    /// The report as JUnit XML.
    pub fn junit(&self) -> Result<String, quick_junit::SerializeError> {
        let mut suite = TestSuite::new("scenarios");
        // The conformance scores: `conformance.<integration>.<section>` = `passed/applicable`,
        // and the rules broken.
        for score in Conformance::of(&self.scenarios) {
            for section in &score.sections {
                suite.add_property(Property::new(
                    format!("conformance.{}.{}", score.integration, section.section),
                    format!("{}/{}", section.passed, section.applicable),
                ));
            }
            let failed: Vec<&str> = score.failed().collect();
            if !failed.is_empty() {
                suite.add_property(Property::new(
                    format!("conformance.{}.broken", score.integration),
                    failed.join(","),
                ));
            }
        }
        for scenario in &self.scenarios {
            suite.add_test_case(scenario.junit_case());
        }
        for failure in &self.failures {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status
                .set_type(failure.label())
                .set_message(&failure.message);
            let mut case = TestCase::new(&failure.path, status);
            case.set_classname(failure.label());
            suite.add_test_case(case);
        }
        for path in &self.not_run {
            let mut status = TestCaseStatus::skipped();
            status.set_message("not run: an earlier scenario failed (--fail-fast)");
            let mut case = TestCase::new(path, status);
            case.set_classname("not-run");
            suite.add_test_case(case);
        }
        let mut report = quick_junit::Report::new("xsoar-harness");
        report.set_time(self.wall).add_test_suite(suite);
        report.to_string()
    }

    /// The report as JSON.
    pub fn json(&self) -> Result<String, serde_json::Error> {
        let failures_of = |kind: FailureKind| -> Vec<JsonFailure<'_>> {
            self.failures
                .iter()
                .filter(|f| f.kind == kind)
                .map(|f| JsonFailure {
                    file: &f.path,
                    message: &f.message,
                })
                .collect()
        };
        serde_json::to_string(&JsonReport {
            passed: self.passed(),
            failed: self.failed(),
            wall_ms: millis(self.wall),
            scenarios: self.scenarios.iter().map(JsonScenario::of).collect(),
            conformance: Conformance::of(&self.scenarios),
            load_failures: failures_of(FailureKind::Load),
            run_failures: failures_of(FailureKind::Run),
            interrupted: failures_of(FailureKind::Interrupted),
            not_run: &self.not_run,
        })
    }
}

impl ScenarioReport {
    /// Its JUnit test case: a failure, or an error where the snapshot could not be judged.
    fn junit_case(&self) -> TestCase {
        let (class, name) = self
            .name
            .rsplit_once('/')
            .unwrap_or(("scenarios", &self.name));
        let passed = self.passed();
        let status = if passed {
            TestCaseStatus::success()
        } else {
            let failures = self.failures();
            let mut status = match &self.snapshot {
                SnapshotStatus::Error(_) => {
                    let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
                    status.set_type("snapshot");
                    status
                }
                _ => TestCaseStatus::non_success(NonSuccessKind::Failure),
            };
            status
                .set_message(failures.first().map_or("", String::as_str))
                .set_description(failures.join("\n"));
            status
        };
        let mut case = TestCase::new(name, status);
        case.set_classname(class).set_time(self.wall);
        if !passed {
            case.set_system_err(self.stderr_of_failed_steps().join("\n"));
        }
        case
    }
}

fn millis(wall: Duration) -> f64 {
    wall.as_secs_f64() * 1000.0
}

/// The JSON report's shape.
#[derive(Serialize)]
struct JsonReport<'a> {
    passed: usize,
    failed: usize,
    wall_ms: f64,
    scenarios: Vec<JsonScenario<'a>>,
    conformance: Vec<Conformance>,
    load_failures: Vec<JsonFailure<'a>>,
    run_failures: Vec<JsonFailure<'a>>,
    interrupted: Vec<JsonFailure<'a>>,
    not_run: &'a [String],
}

#[derive(Serialize)]
struct JsonScenario<'a> {
    name: &'a str,
    file: String,
    description: &'a str,
    integration: &'a str,
    passed: bool,
    runtime: &'a str,
    python: &'a str,
    expected_failure: Option<&'static str>,
    violations: &'a [ViolationReport],
    failures: Vec<String>,
    steps: Vec<JsonStep<'a>>,
    wall_ms: f64,
}

impl<'a> JsonScenario<'a> {
    fn of(scenario: &'a ScenarioReport) -> Self {
        Self {
            name: &scenario.name,
            file: scenario.path.to_string_lossy().into_owned(),
            description: &scenario.description,
            integration: &scenario.integration,
            passed: scenario.passed(),
            runtime: &scenario.runtime,
            python: &scenario.python,
            expected_failure: match scenario.checks {
                Checks::ProvenFailure(rule) => Some(rule),
                Checks::Passed | Checks::Failed(_) => None,
            },
            violations: &scenario.violations,
            failures: scenario.failures(),
            steps: scenario
                .steps
                .iter()
                .map(|step| JsonStep {
                    step: &step.label,
                    runs: step
                        .runs
                        .iter()
                        .map(|r| JsonRun {
                            command: &r.command,
                            end: &r.end,
                            wall_ms: millis(r.wall),
                        })
                        .collect(),
                })
                .collect(),
            wall_ms: millis(scenario.wall),
        }
    }
}

#[derive(Serialize)]
struct JsonStep<'a> {
    step: &'a str,
    runs: Vec<JsonRun<'a>>,
}

#[derive(Serialize)]
struct JsonRun<'a> {
    command: &'a str,
    end: &'a str,
    wall_ms: f64,
}

#[derive(Serialize)]
struct JsonFailure<'a> {
    file: &'a str,
    message: &'a str,
}
