//! Failures are told where they happen: a step that fails because an earlier command failed
//! reports that command first (its error and the end of its stderr), never only the later
//! symptom; and a scenario the harness cannot run is a run error, told apart from a file that
//! is wrong.

mod support;

use std::path::Path;

use support::{failure_reasons, Tree};
use xsoar_harness::FailureKind;

fn bundled(relative: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative)
        .display()
        .to_string()
}

/// A scenario of the bundled ServiceNowMirror against the ServiceNow mock; `rest` goes on
/// from inside the `vendor` mapping.
fn servicenow_scenario(description: &str, rest: &str) -> String {
    format!(
        "description: {description}
integration:
  yaml: {}
instance:
  params:
    credentials: {{identifier: harness, password: harness-password}}
vendor:
  kind: servicenow
  token: harness:harness-password
{rest}",
        bundled("integrations/ServiceNowMirror/ServiceNowMirror.yml")
    )
}

#[test]
fn a_step_after_a_failed_fetch_reports_the_fetch_first() {
    let scenario = servicenow_scenario(
        "the vendor fails the fetch, then an analyst works on the incident it did not create",
        "  seed:
    incident:
      - {short_description: Phishing report, state: \"1\"}
  faults:
    - match: {method: GET, path: /api/now/table/incident}
      respond: {status: 500}
steps:
  - fetch: {}
  - local:
      incident: 1
      entry: {text: Looking into it}
",
    );
    let tree = Tree::new(
        "step-failures",
        &[("scenarios/fetch-fails.yaml", &scenario)],
    );
    let outcome = tree.run("fetch-fails.yaml").expect("the scenario runs");
    let reasons = failure_reasons(&outcome);
    assert!(
        reasons[0].starts_with("first, step 1 (fetch): fetch-incidents raised: "),
        "{reasons:#?}"
    );
    assert!(reasons[0].contains("500"), "{reasons:#?}");
    assert!(reasons[1].contains("[scenario.step]"), "{reasons:#?}");
    assert!(
        reasons[1].contains("fetch-fails.yaml:19:17: there is no incident 1"),
        "{reasons:#?}"
    );
    // The failed step is in the snapshot too, without the machine's paths.
    assert!(
        outcome
            .snapshot
            .contains("failed: \"there is no incident 1 (incidents: none yet)\""),
        "{}",
        outcome.snapshot
    );
}

#[test]
fn an_environment_that_cannot_be_prepared_is_a_run_error_not_a_load_error() {
    let scenario = format!(
        "description: a scenario asks for a package pip cannot find
integration:
  yaml: {}
python:
  packages: [xsoar-harness-no-such-package-anywhere==1.0]
steps:
  - command: test-module
",
        bundled("integrations/OktaIAM/OktaIAM.yml")
    );
    let tree = Tree::new("run-error", &[("scenarios/no-package.yaml", &scenario)]);
    let error = tree
        .run("no-package.yaml")
        .expect_err("the environment cannot be prepared");
    assert_eq!(error.kind(), FailureKind::Run, "{error}");
    let message = error.to_string();
    assert!(message.contains("cannot run the scenario"), "{message}");
    assert!(
        message.contains("xsoar-harness-no-such-package-anywhere"),
        "{message}"
    );
}

#[test]
fn a_scenario_stops_at_its_bound_of_integration_runs_with_the_step_named() {
    let scenario = servicenow_scenario(
        "fetching every minute for a day runs the integration far more than the bound",
        "server:
  fetch_interval: 1m
limits:
  runs: 20
steps:
  - advance: 1d
",
    );
    let tree = Tree::new("runs-bound", &[("scenarios/bound.yaml", &scenario)]);
    let outcome = tree.run("bound.yaml").expect("the scenario runs");
    let reasons = failure_reasons(&outcome);
    assert!(
        reasons.iter().any(|r| r.contains("[scenario.step]")
            && r.contains("bound.yaml:15:5")
            && r.contains("its bound of 20 integration runs (limits.runs)")),
        "{reasons:#?}"
    );
}
