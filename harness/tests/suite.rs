//! A suite run as its reporters see it: the events in order, a load error as a failure, and a
//! snapshot store that cannot be read as an error naming the file, never a pending snapshot.

use std::path::{Path, PathBuf};

use xsoar_harness::report::{Event, ReportError, SnapshotStatus};
use xsoar_harness::runtime::{PythonHost, Runtime};
use xsoar_harness::snapshot::StoreError;
use xsoar_harness::suite::{ScenarioList, Signal, Suite, SuiteConfig};
use xsoar_harness::Harness;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn a_suite_tells_each_scenario_in_order_and_an_unreadable_snapshot_is_an_error() {
    let scenarios = workspace().join("scenarios");
    let malformed = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/malformed");
    let snapshots = std::env::temp_dir().join(format!("suite-events-{}", std::process::id()));
    // A folder where the accepted snapshot should be: it exists, but cannot be read.
    let accepted = snapshots.join("iam__get-user-found.snap");
    std::fs::create_dir_all(&accepted).expect("a snapshot folder");
    let list = ScenarioList::discover(
        &[
            scenarios.join("iam/get-user-found.yaml"),
            malformed.join("bad-yaml.yaml"),
        ],
        &scenarios,
    )
    .expect("the files are listed");
    let harness = Harness::new(Runtime::new(PythonHost::discover().expect("python3")));
    let suite = Suite::new(
        harness,
        SuiteConfig::new(&scenarios).judge_snapshots(&snapshots, false),
    );
    let mut seen = Vec::new();
    let mut record = |event: &Event<'_>| {
        seen.push(match event {
            Event::Listed { scenarios, .. } => format!("listed {scenarios}"),
            Event::ScenarioStarted { path, .. } => format!("started {}", name(path)),
            Event::StepFinished { scenario, step, .. } => format!("step {scenario} {}", step.label),
            Event::ScenarioFinished(report) => format!("finished {}", report.name),
            Event::ScenarioFailed(failure) => format!("failed {}", name(Path::new(&failure.path))),
            Event::Finished(_) => "done".to_owned(),
            _ => "other".to_owned(),
        });
        Ok::<(), ReportError>(())
    };
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let run = tokio.block_on(suite.run(&list, &mut [&mut record], std::future::pending()));
    let at = |what: &str| seen.iter().position(|s| s == what);
    assert_eq!(
        seen.first().map(String::as_str),
        Some("listed 2"),
        "{seen:?}"
    );
    assert_eq!(seen.last().map(String::as_str), Some("done"), "{seen:?}");
    assert!(
        at("started get-user-found") < at("step iam/get-user-found iam-get-user")
            && at("step iam/get-user-found iam-get-user") < at("finished iam/get-user-found"),
        "{seen:?}"
    );
    assert!(at("started bad-yaml") < at("failed bad-yaml"), "{seen:?}");

    let report = &run.report;
    assert_eq!((report.passed(), report.failed()), (0, 2));
    let scenario = &report.scenarios[0];
    match &scenario.snapshot {
        SnapshotStatus::Error(StoreError::Read { path, .. }) => assert_eq!(path, &accepted),
        other => panic!("expected a read error, got {other:?}"),
    }
    let human = report.human();
    assert!(
        human.contains(&format!(
            "the snapshot could not be judged: cannot read the snapshot {}",
            accepted.display()
        )),
        "{human}"
    );
    assert!(!snapshots.join("iam__get-user-found.snap.new").exists());
    assert!(run.reporter_errors.is_empty() && run.interrupted.is_none());
    std::fs::remove_dir_all(&snapshots).expect("clean up");
}

/// Three malformed fixtures (each fails at load), listed, and their folder.
fn three_malformed() -> (PathBuf, ScenarioList) {
    let malformed = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/malformed");
    let files: Vec<PathBuf> = ["bad-yaml.yaml", "bad-size.yaml", "bad-timeout.yaml"]
        .iter()
        .map(|file| malformed.join(file))
        .collect();
    let list = ScenarioList::discover(&files, &malformed).expect("the files are listed");
    (malformed, list)
}

#[test]
fn a_failing_fast_suite_starts_nothing_after_the_first_failure() {
    let (malformed, list) = three_malformed();
    let harness = Harness::new(Runtime::new(PythonHost::discover().expect("python3")));
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    for fail_fast in [true, false] {
        let mut config = SuiteConfig::new(&malformed);
        config.jobs = 1;
        config.fail_fast = fail_fast;
        let suite = Suite::new(harness.clone(), config);
        let mut seen = Vec::new();
        let mut record = |event: &Event<'_>| {
            match event {
                Event::ScenarioStarted { name, .. } => seen.push(format!("started {name}")),
                Event::ScenarioNotRun { path } => seen.push(format!("not run {}", name(path))),
                _ => {}
            }
            Ok::<(), ReportError>(())
        };
        let run = tokio.block_on(suite.run(&list, &mut [&mut record], std::future::pending()));
        let report = &run.report;
        let human = report.human();
        if fail_fast {
            assert_eq!(
                seen,
                [
                    "started bad-yaml",
                    "not run bad-size",
                    "not run bad-timeout"
                ]
            );
            assert_eq!(report.failed(), 1);
            assert_eq!(report.not_run.len(), 2);
            assert!(
                human.ends_with("0 passed, 1 failed, 2 not run (--fail-fast)\n"),
                "{human}"
            );
            let json: serde_json::Value =
                serde_json::from_str(&report.json().expect("json")).expect("valid json");
            assert_eq!(json["not_run"].as_array().map(Vec::len), Some(2));
            let junit = report.junit().expect("junit");
            assert!(junit.contains("skipped=\"2\""), "{junit}");
        } else {
            assert_eq!(
                seen,
                [
                    "started bad-yaml",
                    "started bad-size",
                    "started bad-timeout"
                ]
            );
            assert_eq!((report.failed(), report.not_run.len()), (3, 0));
            assert!(human.ends_with("0 passed, 3 failed\n"), "{human}");
        }
    }
}

#[test]
fn scenarios_an_interruption_keeps_from_starting_are_interrupted_not_held_back() {
    let (malformed, list) = three_malformed();
    let harness = Harness::new(Runtime::new(PythonHost::discover().expect("python3")));
    let mut config = SuiteConfig::new(&malformed);
    config.jobs = 1;
    config.fail_fast = true;
    let suite = Suite::new(harness, config);
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let term = Signal {
        name: "SIGTERM",
        number: 15,
    };
    let run = tokio.block_on(suite.run(&list, &mut [], std::future::ready(term)));
    assert_eq!(run.interrupted, Some(term));
    // The first may have ended (as a load failure) before the signal was seen; the others
    // never started.
    assert_eq!(run.report.failures.len(), 3, "{:?}", run.report.failures);
    assert!(run.unfinished() >= 2, "{:?}", run.report.failures);
    assert!(run.report.not_run.is_empty());
}

fn name(path: &Path) -> String {
    path.file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default()
}
