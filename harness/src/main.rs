//! `xsoar-harness`: run scenarios and report.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use clap::{Parser, Subcommand};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use xsoar_harness::checks::manifest::{check_manifest, render, Severity};
use xsoar_harness::integration::Integration;
use xsoar_harness::quantity::ByteSize;
use xsoar_harness::report::{Report, ScenarioFailure, ScenarioReport, SnapshotStatus};
use xsoar_harness::runtime::content::ContentRoot;
use xsoar_harness::runtime::{PythonHost, Runtime};
use xsoar_harness::scenario::{self, HumanDuration, LimitOverrides, Scenario};
use xsoar_harness::snapshot::{self, Comparison, SnapshotStore};
use xsoar_harness::{Harness, HarnessError};

/// Contract tests for XSOAR-style integrations against stateful mock vendors.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run scenarios and report.
    Run(Box<RunArgs>),
    /// Check an integration YAML against the documented manifest rules.
    Manifest(ManifestArgs),
}

#[derive(Debug, clap::Args)]
struct ManifestArgs {
    /// The integration YAML, or a pack integration folder.
    yaml: PathBuf,
    /// The integration code (default: the YAML's embedded script or the .py beside it).
    #[arg(long, value_name = "FILE")]
    code: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Scenario files or folders (default: the scenarios root).
    paths: Vec<PathBuf>,
    /// The folder scenario names are relative to.
    #[arg(long, default_value = "scenarios")]
    root: PathBuf,
    /// The folder of accepted snapshots.
    #[arg(long, default_value = "snapshots")]
    snapshots: PathBuf,
    /// Write new and changed snapshots as accepted instead of failing on them.
    #[arg(long)]
    accept_snapshots: bool,
    /// Also write a JUnit XML report here.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Also write a JSON report here.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Scenarios run at once.
    #[arg(long, short, default_value_t = 2)]
    jobs: usize,
    /// Take CommonServerPython and the API modules from this content checkout
    /// (default: $XSOAR_CONTENT_ROOT, else the built-in ones).
    #[arg(long, value_name = "DIR")]
    content_root: Option<PathBuf>,
    /// Bounds for every scenario, replacing the scenario's own `timeout` and `limits`.
    #[command(flatten)]
    limits: LimitArgs,
}

/// `--timeout` and `--max-*`: see `LimitOverrides`.
#[derive(Debug, clap::Args)]
struct LimitArgs {
    /// The timeout of each command run (e.g. 30s).
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    timeout: Option<HumanDuration>,
    /// What one command may write to stdout (e.g. 64MiB).
    #[arg(long, value_name = "SIZE", value_parser = size)]
    max_output: Option<ByteSize>,
    /// Entries and log lines one command may send.
    #[arg(long, value_name = "N")]
    max_messages: Option<u64>,
    /// The memory one integration process may use (e.g. 4GiB).
    #[arg(long, value_name = "SIZE", value_parser = size)]
    max_memory: Option<ByteSize>,
    /// Integration runs per scenario.
    #[arg(long, value_name = "N")]
    max_runs: Option<u64>,
    /// The virtual time one `advance` step may cover (e.g. 30d).
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    max_advance: Option<HumanDuration>,
}

impl LimitArgs {
    fn overrides(&self) -> LimitOverrides {
        LimitOverrides {
            timeout: self.timeout,
            output: self.max_output,
            messages: self.max_messages,
            memory: self.max_memory,
            runs: self.max_runs,
            advance: self.max_advance,
        }
    }
}

fn duration(text: &str) -> Result<HumanDuration, String> {
    HumanDuration::parse(text)
        .ok_or_else(|| format!("found `{text}`, expected {}", HumanDuration::EXPECTED))
}

fn size(text: &str) -> Result<ByteSize, String> {
    ByteSize::parse(text).ok_or_else(|| format!("found `{text}`, expected {}", ByteSize::EXPECTED))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("xsoar-harness: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let code = match cli.command {
        Command::Run(args) => runtime.block_on(run(*args)),
        Command::Manifest(args) => manifest(&args),
    };
    // A package install still running on a blocking thread must not hold the exit.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    code
}

fn manifest(args: &ManifestArgs) -> ExitCode {
    let integration = match Integration::load(&args.yaml, args.code.as_deref(), Some(&[])) {
        Ok(integration) => integration,
        Err(e) => {
            eprintln!("xsoar-harness: {e}");
            return ExitCode::from(2);
        }
    };
    let code = match &args.code {
        Some(_) => Some(integration.code.as_str()),
        None => integration.own_code.as_deref(),
    };
    let findings = check_manifest(&integration.manifest, code);
    print!("{}", render(&findings));
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    println!(
        "{}: {errors} errors, {} warnings",
        integration.yaml_path.display(),
        findings.len() - errors
    );
    if errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

async fn run(args: RunArgs) -> ExitCode {
    let began = Instant::now();
    let files = match scenario_files(&args) {
        Ok(files) if !files.is_empty() => files,
        Ok(_) => {
            eprintln!("xsoar-harness: no scenario files (*.yaml) found; give files or folders, or run from the repository root");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("xsoar-harness: {e}");
            return ExitCode::from(2);
        }
    };
    let overrides = args.limits.overrides();
    if let Err(e) = overrides.check() {
        eprintln!("xsoar-harness: {e}");
        return ExitCode::from(2);
    }
    let host = match PythonHost::discover() {
        Ok(host) => host,
        Err(e) => {
            eprintln!("xsoar-harness: {e}");
            return ExitCode::from(2);
        }
    };
    let mut harness = Harness::new(Runtime::new(host));
    let content_root = match &args.content_root {
        Some(dir) => Some(ContentRoot::open(dir)),
        None => ContentRoot::from_env(),
    };
    match content_root {
        Some(Ok(root)) => harness = harness.with_content_root(root),
        Some(Err(e)) => {
            eprintln!("xsoar-harness: {e}");
            return ExitCode::from(2);
        }
        None => {}
    }
    let store = SnapshotStore::new(&args.snapshots);
    let permits = Arc::new(Semaphore::new(args.jobs.max(1)));
    let mut tasks = JoinSet::new();
    let mut files_of_tasks = std::collections::HashMap::new();
    for (order, file) in files.into_iter().enumerate() {
        let (harness, permits, root) = (harness.clone(), Arc::clone(&permits), args.root.clone());
        let overrides = overrides.clone();
        let task_file = file.clone();
        let task = tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let loaded = Scenario::load_with(&file, &root, overrides);
            let result = match loaded {
                Ok(scenario) => harness.run(&scenario).await,
                Err(e) => Err(HarnessError::Load(e)),
            };
            (order, file, result)
        });
        files_of_tasks.insert(task.id(), (order, task_file));
    }
    let mut results = Vec::new();
    let mut first_signal = std::pin::pin!(interruption());
    let mut interrupted = None;
    let mut unfinished = 0;
    loop {
        let joined = if interrupted.is_some() {
            tasks.join_next_with_id().await
        } else {
            tokio::select! {
                joined = tasks.join_next_with_id() => joined,
                signal = &mut first_signal => {
                    // Dropping a scenario's run ends its integration processes and folders.
                    tasks.abort_all();
                    interrupted = Some(signal);
                    // A second signal does not wait for that: the integration processes end
                    // with the harness anyway (their parent-death signal).
                    tokio::spawn(async {
                        let again = interruption().await;
                        eprintln!("xsoar-harness: {} again: exiting now", again.name);
                        std::process::exit(128 + i32::from(again.number));
                    });
                    continue;
                }
            }
        };
        let Some(joined) = joined else { break };
        match joined {
            Ok((_, result)) => results.push(result),
            // A scenario whose run panicked or was interrupted is a failure with the reason,
            // never a silent skip.
            Err(e) => {
                if let Some((order, file)) = files_of_tasks.remove(&e.id()) {
                    let error = match interrupted {
                        Some(signal) if e.is_cancelled() => {
                            unfinished += 1;
                            HarnessError::Interrupted {
                                path: file.clone(),
                                signal: signal.name,
                            }
                        }
                        _ => HarnessError::Internal {
                            path: file.clone(),
                            message: e.to_string(),
                        },
                    };
                    results.push((order, file, Err(error)));
                }
            }
        }
    }
    results.sort_by_key(|(order, _, _)| *order);

    let mut report = Report::default();
    for (_, file, result) in results {
        match result {
            Ok(outcome) => {
                let snapshot = judge_snapshot(&store, &outcome, args.accept_snapshots);
                report.scenarios.push(ScenarioReport { outcome, snapshot });
            }
            Err(e) => report.failures.push(ScenarioFailure {
                path: file.display().to_string(),
                kind: e.kind(),
                message: e.to_string(),
            }),
        }
    }
    report.wall = began.elapsed();
    print!("{}", report.human());
    for (path, text) in [
        (&args.junit, report.junit()),
        (&args.json, report.json().to_string()),
    ] {
        if let Some(path) = path {
            if let Err(e) = std::fs::write(path, text) {
                eprintln!("xsoar-harness: cannot write {}: {e}", path.display());
                return ExitCode::from(2);
            }
        }
    }
    if let Some(signal) = interrupted {
        let scenarios = if unfinished == 1 {
            "scenario"
        } else {
            "scenarios"
        };
        eprintln!(
            "xsoar-harness: interrupted by {}: {unfinished} {scenarios} did not finish",
            signal.name
        );
        return ExitCode::from(128 + signal.number);
    }
    if report.failed() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// A signal that asks the harness to stop.
#[derive(Debug, Clone, Copy)]
struct Signal {
    name: &'static str,
    number: u8,
}

/// Resolves at the first SIGINT or SIGTERM; never, where they cannot be watched.
async fn interruption() -> Signal {
    use tokio::signal::unix::{signal, SignalKind};
    const INT: Signal = Signal {
        name: "SIGINT",
        number: 2,
    };
    const TERM: Signal = Signal {
        name: "SIGTERM",
        number: 15,
    };
    match (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) {
        (Ok(mut int), Ok(mut term)) => tokio::select! {
            _ = int.recv() => INT,
            _ = term.recv() => TERM,
        },
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("xsoar-harness: cannot watch for SIGINT and SIGTERM ({e}); an interrupted run may leave integration processes behind");
            std::future::pending().await
        }
    }
}

fn scenario_files(args: &RunArgs) -> std::io::Result<Vec<PathBuf>> {
    let roots = if args.paths.is_empty() {
        vec![args.root.clone()]
    } else {
        args.paths.clone()
    };
    let mut files = Vec::new();
    for path in roots {
        if path.is_dir() {
            let found = scenario::discover(&path)?;
            for (skipped, why) in &found.skipped {
                eprintln!("xsoar-harness: note: skipped {}: {why}", skipped.display());
            }
            files.extend(found.files);
        } else if path.is_file() {
            files.push(path);
        } else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{} is neither a scenario file nor a folder", path.display()),
            ));
        }
    }
    Ok(files)
}

fn judge_snapshot(
    store: &SnapshotStore,
    outcome: &xsoar_harness::ScenarioOutcome,
    accept: bool,
) -> SnapshotStatus {
    let name = snapshot::name_for(&outcome.name);
    let comparison = match store.compare(&name, &outcome.snapshot) {
        Ok(comparison) => comparison,
        Err(e) => return SnapshotStatus::Pending(Comparison::Differs(e.to_string())),
    };
    if comparison == Comparison::Matches {
        return SnapshotStatus::Matches;
    }
    let input = relative(&outcome.path);
    match store.write(
        &name,
        &outcome.description,
        &input,
        &outcome.snapshot,
        !accept,
    ) {
        Ok(_) if accept => SnapshotStatus::Accepted,
        Ok(_) => SnapshotStatus::Pending(comparison),
        Err(e) => SnapshotStatus::Pending(Comparison::Differs(e.to_string())),
    }
}

/// The path as written relative to the current folder, with `/` separators.
fn relative(path: &Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    path.strip_prefix(&cwd)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}
