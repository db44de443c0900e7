//! Every scenario file under `scenarios/` is its own test: it runs against the bundled
//! integrations and mock vendors, must pass its contract checks (or prove the failure it
//! declares), and must match its snapshot under `snapshots/` (`cargo insta review` to accept).
//! A scenario is loaded and run as the suite runs it ([`suite::run_file`]); its snapshot is
//! judged by insta's `assert_snapshot!`, whose rule the suite's judging applies too.
//!
//! Every file under `tests/fixtures/malformed/` is a broken scenario whose first line says
//! which error it must produce (`# expect-error: <text>`): a clear message, never a panic.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use xsoar_harness::runtime::{PythonHost, Runtime};
use xsoar_harness::scenario::LimitOverrides;
use xsoar_harness::{snapshot, suite, Harness, HarnessError, ScenarioOutcome, Verdict};

/// Relative to the crate root (the workspace root), where tests run; datatest-stable passes
/// paths below these.
const SCENARIOS: &str = "scenarios";
const MALFORMED: &str = "harness/tests/fixtures/malformed";

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One harness per test process: the Python environment is prepared once.
fn harness() -> Result<&'static Harness, String> {
    static HARNESS: OnceLock<Result<Harness, String>> = OnceLock::new();
    HARNESS
        .get_or_init(|| {
            PythonHost::discover()
                .map(|env| Harness::new(Runtime::new(env)))
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// One tokio runtime for every test: the harness's warm processes belong to the runtime that
/// started them.
fn tokio() -> Result<&'static tokio::runtime::Runtime, String> {
    static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// Loads and runs a scenario file as the suite does, as a task of the shared runtime (like the
/// CLI does), so the processes the harness keeps warm live on the runtime's own threads.
fn run(
    harness: &'static Harness,
    path: &Path,
    root: &'static str,
) -> Result<Result<ScenarioOutcome, HarnessError>, String> {
    let runtime = tokio()?;
    let path = path.to_path_buf();
    runtime
        .block_on(runtime.spawn(async move {
            suite::run_file(harness, &path, Path::new(root), LimitOverrides::default()).await
        }))
        .map_err(|e| e.to_string())
}

fn scenario(path: &Path) -> datatest_stable::Result<()> {
    let outcome = run(harness()?, path, SCENARIOS)??;
    if let Verdict::Failed(reasons) = &outcome.verdict {
        return Err(format!(
            "scenario {} failed:\n- {}",
            outcome.name,
            reasons.join("\n- ")
        )
        .into());
    }
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(workspace().join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_description(outcome.description.clone());
    settings.set_input_file(path);
    settings.bind(|| {
        insta::assert_snapshot!(snapshot::name_for(&outcome.name), outcome.snapshot);
    });
    Ok(())
}

fn malformed(path: &Path, bytes: Vec<u8>) -> datatest_stable::Result<()> {
    // Bytes: some fixtures are not UTF-8 on purpose.
    let text = String::from_utf8_lossy(&bytes);
    let expected = text
        .lines()
        .next()
        .and_then(|line| line.strip_prefix("# expect-error: "))
        .ok_or("a malformed fixture starts with `# expect-error: <text>`")?;
    let error = match run(harness()?, path, MALFORMED)? {
        Err(e) => e.to_string(),
        Ok(outcome) => {
            return Err(format!(
                "expected an error, but the scenario ran: {:?}",
                outcome.verdict
            )
            .into())
        }
    };
    if !error.contains(expected) {
        return Err(format!("expected an error containing {expected:?}, got:\n{error}").into());
    }
    // The error is in our words: no library type names, option names or hints.
    const LIBRARY_WORDS: &[&str] = &[
        "u64",
        "i64",
        "u32",
        "usize",
        "f64",
        "struct ",
        "Options",
        "from_str",
        "Policy",
        "budget breached",
        "Nodes {",
        "serde",
        "saphyr",
        "sequence start",
        "mapping start",
        "invalid type:",
        "recursion limit",
    ];
    if let Some(word) = LIBRARY_WORDS.iter().find(|w| error.contains(**w)) {
        return Err(format!("the error speaks the library's words ({word:?}):\n{error}").into());
    }
    if !error.starts_with(&path.display().to_string()) {
        return Err(format!("the error must start with the file path, got:\n{error}").into());
    }
    Ok(())
}

datatest_stable::harness! {
    { test = scenario, root = SCENARIOS, pattern = r"\.ya?ml$" },
    { test = malformed, root = MALFORMED, pattern = r"\.ya?ml$" },
}
