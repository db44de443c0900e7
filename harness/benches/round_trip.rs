//! Speed figures: the command round trip (harness -> integration process -> mock vendor ->
//! back) cold and warm, one full mirror cycle, a push with a file to a remote XSOAR server, an
//! hour of virtual mirroring with ServiceNow and between two XSOAR tenants, creating the
//! Python environments of an image (from nothing, and one more package on a copy), the first
//! and a warm run of a content-pack scenario with transformer scripts, and the suites.
//!
//! `cargo bench -p xsoar-harness --bench round_trip` (`SAMPLES` sets the sample size).
//! Prints figures; asserts nothing about time.

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use xsoar_harness::report::{Event, ReportError};
use xsoar_harness::runtime::{EnvRequest, PythonHost, Runtime};
use xsoar_harness::scenario::{Scenario, Step, StepKind};
use xsoar_harness::suite::{ScenarioList, Signal, Suite, SuiteConfig, SuiteRun};
use xsoar_harness::{Harness, ScenarioOutcome};

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let scenarios = workspace.join("scenarios");
    let samples: usize = std::env::var("SAMPLES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20);
    let env = PythonHost::discover()?;
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let run = |harness: &Harness, scenario: &Scenario| -> Result<ScenarioOutcome, Error> {
        Ok(tokio.block_on(harness.run(scenario))?)
    };

    // One iam-get-user: a process, one lookup at the mock vendor, the result back.
    let probe = Scenario::load(&scenarios.join("iam/get-user-found.yaml"), &scenarios)?;
    let mut cold = Vec::new();
    for _ in 0..samples {
        // A new runtime has no warm process: every command starts an interpreter.
        let fresh = Harness::new(Runtime::new(env.clone()));
        cold.push(first_run(&run(&fresh, &probe)?));
    }
    let harness = Harness::new(Runtime::new(env.clone()));
    let mut warm = Vec::new();
    for _ in 0..samples {
        // Between commands, as between playbook tasks; the worker that ran the last command waits.
        std::thread::sleep(Duration::from_millis(300));
        warm.push(first_run(&run(&harness, &probe)?));
    }
    report("command round trip, cold process", &mut cold);
    report("command round trip, warm worker ", &mut warm);

    // The fetch and sync steps of each run, as the suite tells them.
    let suite = Suite::new(harness.clone(), SuiteConfig::new(&workspace));
    let cycles = [
        (
            "mirror-cycle.yaml",
            "full mirror cycle (fetch + update-remote-system + get-modified + get-remote-data)",
            &[StepKind::Fetch, StepKind::Sync][..],
        ),
        (
            "xsoar-push-file.yaml",
            "push to a remote XSOAR with a field, a note and a file (one job run)",
            &[StepKind::Sync][..],
        ),
    ];
    for (file, what, kinds) in cycles {
        let list =
            ScenarioList::discover(&[workspace.join("harness/benches").join(file)], &workspace)?;
        let mut walls = Vec::new();
        for _ in 0..samples.min(10) {
            let mut wall = Duration::ZERO;
            let mut steps = |event: &Event<'_>| {
                if let Event::StepFinished { step, .. } = event {
                    if kinds.contains(&step.kind) {
                        wall += step.wall;
                    }
                }
                Ok::<(), ReportError>(())
            };
            let run = tokio.block_on(suite.run(&list, &mut [&mut steps], never()));
            ran_all(&run)?;
            walls.push(wall);
        }
        report(what, &mut walls);
    }

    for (hour, what) in [
        ("mirroring/hour-of-mirroring.yaml", "with ServiceNow"),
        (
            "xsoar-mirroring/hour-of-two-tenant-mirroring.yaml",
            "between two XSOAR tenants",
        ),
    ] {
        let hour = Scenario::load(&scenarios.join(hour), &scenarios)?;
        let virtual_span: Duration = hour
            .spec
            .steps
            .iter()
            .filter_map(|s| match &s.value {
                Step::Advance(by) => Some(by.0),
                _ => None,
            })
            .sum();
        let began = Instant::now();
        let outcome = run(&harness, &hour)?;
        let runs: usize = outcome.steps.iter().map(|s| s.runs.len()).sum();
        println!(
            "{} of virtual mirroring {what} ({runs} integration runs): {:.2} s wall, {}",
            human(virtual_span),
            began.elapsed().as_secs_f64(),
            if outcome.verdict.is_pass() {
                "checks passed"
            } else {
                "CHECKS FAILED"
            }
        );
    }

    environments(&tokio)?;

    // A content pack with transformer scripts: the first run starts every process (its
    // environments exist already), a warm run reuses them.
    let tree = support::content_pack::tree("bench", "SeverityLabel");
    tree.write(
        "scenarios/mirror.yaml",
        &support::content_pack::scenario(true, support::content_pack::MIRROR_BOTH_WAYS),
    );
    let root = tree.path("scenarios");
    let content = Scenario::load(&root.join("mirror.yaml"), &root)?;
    let fresh = Harness::new(Runtime::new(env.clone()));
    let began = Instant::now();
    let first = run(&fresh, &content)?;
    let first_wall = began.elapsed();
    let began = Instant::now();
    let again = run(&fresh, &content)?;
    println!(
        "content-pack scenario (fetch with 8 transformer scripts, mirror in and out): first run {:.2} s, warm run {:.2} s, {}",
        first_wall.as_secs_f64(),
        began.elapsed().as_secs_f64(),
        if first.verdict.is_pass() && again.verdict.is_pass() {
            "checks passed"
        } else {
            "CHECKS FAILED"
        }
    );

    // Two at a time, as the CLI runs them on this 2-core machine.
    let suite = Suite::new(harness.clone(), SuiteConfig::new(&scenarios));
    for area in ["iam", "mirroring", "xsoar-mirroring", "hello-iam-world"] {
        let list = ScenarioList::discover(&[scenarios.join(area)], &scenarios)?;
        let began = Instant::now();
        let run = tokio.block_on(suite.run(&list, &mut [], never()));
        ran_all(&run)?;
        println!(
            "{area} suite: {} scenarios in {:.2} s wall",
            run.report.scenarios.len(),
            began.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// A stop that never comes: a bench runs to the end.
fn never() -> std::future::Pending<Signal> {
    std::future::pending()
}

/// Fails unless every scenario of the run produced an outcome.
fn ran_all(run: &SuiteRun) -> Result<(), Error> {
    match run.report.failures.first() {
        Some(failure) => Err(failure.message.clone().into()),
        None => Ok(()),
    }
}

/// Creates the python3 image's environment in an empty cache, then the same with one package
/// more (a copy of the first), and prints how long each took.
fn environments(tokio: &tokio::runtime::Runtime) -> Result<(), Error> {
    let cache = std::env::temp_dir().join(format!("bench-venvs-{}", std::process::id()));
    let previous = std::env::var_os("XSOAR_HARNESS_CACHE");
    std::env::set_var("XSOAR_HARNESS_CACHE", &cache);
    let host = PythonHost::discover();
    match previous {
        Some(value) => std::env::set_var("XSOAR_HARNESS_CACHE", value),
        None => std::env::remove_var("XSOAR_HARNESS_CACHE"),
    }
    let runtime = Runtime::new(host?);
    let request = |imports: &[&str]| EnvRequest {
        image: Some("demisto/python3:3.11.10.116949".into()),
        imports: imports.iter().map(|m| (*m).to_owned()).collect(),
        ..EnvRequest::default()
    };
    let began = Instant::now();
    let base = tokio.block_on(runtime.environment(request(&[])))?;
    let created = began.elapsed();
    let began = Instant::now();
    tokio.block_on(runtime.environment(request(&["xmltodict"])))?;
    println!(
        "Python environment of demisto/python3 ({}, {} packages) from nothing: {:.1} s; with one more package, on a copy: {:.1} s",
        base.version,
        base.packages.len(),
        created.as_secs_f64(),
        began.elapsed().as_secs_f64()
    );
    std::fs::remove_dir_all(&cache)?;
    Ok(())
}

fn first_run(outcome: &ScenarioOutcome) -> Duration {
    outcome
        .steps
        .iter()
        .flat_map(|s| &s.runs)
        .map(|r| r.run.wall)
        .next()
        .unwrap_or_default()
}

fn report(what: &str, samples: &mut [Duration]) {
    samples.sort();
    let at = |p: usize| samples[(samples.len() - 1) * p / 100].as_secs_f64() * 1000.0;
    println!(
        "{what}: median {:.1} ms, p90 {:.1} ms, min {:.1} ms ({} samples)",
        at(50),
        at(90),
        at(0),
        samples.len()
    );
}

fn human(d: Duration) -> String {
    let minutes = d.as_secs() / 60;
    if minutes >= 60 {
        format!("{}h{:02}m", minutes / 60, minutes % 60)
    } else {
        format!("{minutes}m")
    }
}
