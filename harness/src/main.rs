//! `xsoar-harness`: run scenarios and report.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use xsoar_harness::checks::manifest::{check_manifest, render};
use xsoar_harness::explore::{self, ExploreConfig};
use xsoar_harness::glob::Glob;
use xsoar_harness::init::InitOptions;
use xsoar_harness::partition::Partition;
use xsoar_harness::report::{Format, ReportFile, Reporter, StatusLine, Terminal};
use xsoar_harness::rules::{Rule, Severity};
use xsoar_harness::scenario::{ByteSize, IntegrationSource};
use xsoar_harness::scenario::{HumanDuration, LimitOverrides};
use xsoar_harness::snapshot::review::{self, Mode};
use xsoar_harness::suite::{self, ScenarioList, Signal, Suite, SuiteConfig};
use xsoar_harness::Integration;

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
    /// Generate scenarios on a base scenario's integration, instance and vendor seed; shrink
    /// the first that breaks a rule to a scenario file.
    Explore(ExploreArgs),
    /// Explain a rule: what it asks, where it is documented, how to fix a violation (without
    /// a rule: list every rule).
    Explain(ExplainArgs),
    /// Review pending snapshots (`.snap.new`): show each diff and accept, reject or skip it.
    /// Without a terminal (and without --accept-all / --reject-all) it lists them and exits 1
    /// if any are pending.
    Review(ReviewArgs),
    /// Print the JSON Schema of the scenario format (for editors: see the README, Editor
    /// support).
    Schema(SchemaArgs),
    /// Write a starter set of scenarios for what an integration implements, against the
    /// built-in vendor its API looks like (stubs otherwise), and print the next steps.
    Init(InitArgs),
}

#[derive(Debug, clap::Args)]
struct ExplainArgs {
    /// The rule's id, as reports print it (`mirror.no-echo`).
    rule: Option<String>,
}

#[derive(Debug, clap::Args)]
struct ReviewArgs {
    /// The folder of accepted snapshots.
    #[arg(long, default_value = "snapshots")]
    snapshots: PathBuf,
    /// Accept every pending snapshot without asking.
    #[arg(long, conflicts_with = "reject_all")]
    accept_all: bool,
    /// Reject (delete) every pending snapshot without asking.
    #[arg(long)]
    reject_all: bool,
}

#[derive(Debug, clap::Args)]
struct SchemaArgs {
    /// Write the schema to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct InitArgs {
    /// The integration YAML, an integration folder, a pack folder holding one integration, or
    /// a file in a wheel on PyPI (`pypi:demisto-sdk==1.39.13/<path in the wheel>`).
    integration: String,
    /// Where the scenarios are written.
    #[arg(long, value_name = "DIR", default_value = "starter-scenarios")]
    out: PathBuf,
    /// Replace files that exist (init overwrites nothing without it).
    #[arg(long)]
    force: bool,
}

#[derive(Debug, clap::Args)]
struct ExploreArgs {
    /// The base scenario (its steps, if any, are ignored).
    base: PathBuf,
    /// Cases to generate.
    #[arg(long, default_value_t = 100)]
    cases: u32,
    /// The generator's seed (default: a fresh one, printed).
    #[arg(long)]
    seed: Option<u64>,
    /// Wall time for the cases (shrinking a failure comes on top).
    #[arg(long, value_name = "DURATION", default_value = "10m")]
    time_budget: HumanDuration,
    /// Where the shrunk scenario is written.
    #[arg(long, value_name = "DIR", default_value = "explore-findings")]
    out: PathBuf,
    /// Take CommonServerPython and the API modules from this content checkout.
    #[arg(long, value_name = "DIR")]
    content_root: Option<PathBuf>,
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
    /// Run only the scenarios whose name (`iam/create-new-user`: the path under the root,
    /// without .yaml) matches this glob (`*` within a segment, `**` across, `?` one
    /// character); repeatable, any may match. A glob that matches nothing is an error.
    #[arg(long, value_name = "GLOB")]
    filter: Vec<Glob>,
    /// Run one shard of the scenarios (after --filter): `count:M/N` every Nth of the sorted
    /// list from the Mth, `hash:M/N` by a stable hash of the relative path.
    #[arg(long, value_name = "hash:M/N|count:M/N")]
    partition: Option<Partition>,
    /// Start no scenario after one has failed; those left are reported as not run.
    #[arg(long)]
    fail_fast: bool,
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
    #[arg(long, value_name = "DURATION")]
    timeout: Option<HumanDuration>,
    /// What one command may write to stdout (e.g. 64MiB).
    #[arg(long, value_name = "SIZE")]
    max_output: Option<ByteSize>,
    /// Entries and log lines one command may send.
    #[arg(long, value_name = "N")]
    max_messages: Option<u64>,
    /// The memory one integration process may use (e.g. 4GiB).
    #[arg(long, value_name = "SIZE")]
    max_memory: Option<ByteSize>,
    /// Integration runs per scenario.
    #[arg(long, value_name = "N")]
    max_runs: Option<u64>,
    /// The virtual time one `advance` step may cover (e.g. 30d).
    #[arg(long, value_name = "DURATION")]
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
        Command::Explore(args) => runtime.block_on(explore(args)),
        Command::Explain(args) => explain(&args),
        Command::Review(args) => review(&args),
        Command::Schema(args) => schema(&args),
        Command::Init(args) => init(&args),
    };
    // A package install still running on a blocking thread must not hold the exit.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    code
}

fn explain(args: &ExplainArgs) -> ExitCode {
    let Some(id) = &args.rule else {
        let width = Rule::every().map(|r| r.id().len()).max().unwrap_or(0);
        for rule in Rule::every() {
            println!("{:width$}  {}", rule.id(), rule.summary());
        }
        return ExitCode::SUCCESS;
    };
    match Rule::from_id(id.trim()) {
        Some(rule) => {
            print!("{}", rule.explain());
            ExitCode::SUCCESS
        }
        None => {
            // The ids that share the most with what was typed, as suggestions.
            let typed = id.trim().to_ascii_lowercase();
            let mut near: Vec<&str> = Rule::every()
                .map(Rule::id)
                .filter(|known| {
                    typed
                        .split(['.', '-'])
                        .any(|part| part.len() > 2 && known.contains(part))
                })
                .collect();
            near.truncate(5);
            eprintln!("xsoar-harness: there is no rule `{id}`");
            if !near.is_empty() {
                eprintln!("  did you mean: {}", near.join(", "));
            }
            eprintln!("  `xsoar-harness explain` lists every rule");
            ExitCode::from(2)
        }
    }
}

fn schema(args: &SchemaArgs) -> ExitCode {
    let text = xsoar_harness::scenario::schema_text();
    let Some(out) = &args.out else {
        print!("{text}");
        return ExitCode::SUCCESS;
    };
    match std::fs::write(out, text) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xsoar-harness: cannot write {}: {e}", out.display());
            ExitCode::from(2)
        }
    }
}

fn init(args: &InitArgs) -> ExitCode {
    let source = match IntegrationSource::parse(&args.integration) {
        Ok(source) => source,
        Err(e) => return cannot_start(&e),
    };
    let options = InitOptions {
        source,
        out: args.out.clone(),
        force: args.force,
    };
    match xsoar_harness::init::init(&options) {
        Ok(done) => {
            print!("{}", done.summary());
            ExitCode::SUCCESS
        }
        Err(e) => cannot_start(&e),
    }
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

/// Exit 0 when no snapshot is left pending, 1 when some are, 2 when the review failed.
fn review(args: &ReviewArgs) -> ExitCode {
    use std::io::IsTerminal;
    let stdin = std::io::stdin();
    let mode = if args.accept_all {
        Mode::AcceptAll
    } else if args.reject_all {
        Mode::RejectAll
    } else if stdin.is_terminal() {
        Mode::Ask
    } else {
        Mode::List
    };
    let summary = review::pending(&args.snapshots).and_then(|pending| {
        review::review(
            &pending,
            mode,
            &mut stdin.lock(),
            &mut std::io::stdout().lock(),
        )
    });
    let summary = match summary {
        Ok(summary) => summary,
        Err(e) => return cannot_start(&e),
    };
    println!(
        "{}: {} accepted, {} rejected, {} pending",
        args.snapshots.display(),
        summary.accepted,
        summary.rejected,
        summary.left
    );
    if summary.left == 0 {
        ExitCode::SUCCESS
    } else {
        if mode == Mode::List {
            eprintln!("xsoar-harness: snapshots are pending review: run `xsoar-harness review` on a terminal, or pass --accept-all / --reject-all");
        }
        ExitCode::FAILURE
    }
}

async fn run(args: RunArgs) -> ExitCode {
    let list = match ScenarioList::discover(&args.paths, &args.root) {
        Ok(list) => list,
        Err(e) => return cannot_start(&e),
    };
    let listed = list.len();
    let mut list = match list.filter(&args.filter) {
        Ok(list) => list,
        Err(e) => return cannot_start(&e),
    };
    if let Some(partition) = &args.partition {
        list = list.partition(partition);
    }
    if list.len() < listed {
        let mut how: Vec<String> = args
            .filter
            .iter()
            .map(|g| format!("--filter {g}"))
            .collect();
        how.extend(args.partition.iter().map(|p| format!("--partition {p}")));
        eprintln!(
            "xsoar-harness: running {} of {listed} scenarios ({})",
            list.len(),
            how.join(", ")
        );
    }
    let overrides = args.limits.overrides();
    if let Err(e) = overrides.check() {
        return cannot_start(&e);
    }
    let harness = match suite::prepare_harness(args.content_root.as_deref()) {
        Ok(harness) => harness,
        Err(e) => return cannot_start(&e),
    };
    let mut config =
        SuiteConfig::new(&args.root).judge_snapshots(&args.snapshots, args.accept_snapshots);
    config.jobs = args.jobs;
    config.overrides = overrides;
    config.fail_fast = args.fail_fast;
    let mut files: Vec<ReportFile> = [(Format::Junit, &args.junit), (Format::Json, &args.json)]
        .into_iter()
        .filter_map(|(format, path)| path.as_ref().map(|path| ReportFile::new(format, path)))
        .collect();
    let mut terminal = Terminal;
    let mut status = StatusLine::on_terminal();
    // The status line first: it is wiped before the terminal report is printed.
    let mut reporters: Vec<&mut dyn Reporter> = Vec::new();
    if let Some(status) = status.as_mut() {
        reporters.push(status);
    }
    reporters.push(&mut terminal);
    reporters.extend(files.iter_mut().map(|file| file as &mut dyn Reporter));
    let run = Suite::new(harness, config)
        .run(&list, &mut reporters, first_interruption())
        .await;
    if !run.reporter_errors.is_empty() {
        for e in &run.reporter_errors {
            eprintln!("xsoar-harness: {e}");
        }
        return ExitCode::from(2);
    }
    if let Some(signal) = run.interrupted {
        let unfinished = run.unfinished();
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
    if run.report.failed() == 0 && run.report.not_run.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

async fn explore(args: ExploreArgs) -> ExitCode {
    let harness = match suite::prepare_harness(args.content_root.as_deref()) {
        Ok(harness) => harness,
        Err(e) => return cannot_start(&e),
    };
    let seed = args.seed.unwrap_or_else(fresh_seed);
    let config = ExploreConfig::new(&args.base)
        .cases(args.cases)
        .seed(seed)
        .time_budget(args.time_budget.0)
        .out(&args.out);
    eprintln!(
        "xsoar-harness: exploring {} with seed {seed} ({} cases, budget {})",
        args.base.display(),
        args.cases,
        args.time_budget
    );
    let found = match explore::explore(&harness, &config, &mut |event| eprintln!("  {event}")).await
    {
        Ok(found) => found,
        Err(e) => return cannot_start(&e),
    };
    match found.finding {
        Some(finding) => {
            println!(
                "found {} with seed {seed}: {}",
                finding.rule.id(),
                finding.message
            );
            println!(
                "shrunk scenario ({} steps): {}",
                finding.steps,
                finding.scenario.display()
            );
            if finding.reproduced {
                println!(
                    "reproduce: xsoar-harness run {}",
                    finding.scenario.display()
                );
            } else {
                println!("the written scenario did not break {} again when run alone: the failure depends on timing; rerun explore with --seed {seed}", finding.rule.id());
            }
            ExitCode::FAILURE
        }
        None => {
            println!(
                "{} cases passed{} in {:.1}s (seed {seed})",
                found.cases,
                if found.out_of_time {
                    ", then the time budget ran out"
                } else {
                    ""
                },
                found.wall.as_secs_f64()
            );
            ExitCode::SUCCESS
        }
    }
}

/// A seed from the clock and the process id, for runs that name none.
fn fresh_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    // The low bits move fastest; folded with the pid so two runs in one instant differ.
    (nanos as u64) ^ (u64::from(std::process::id()) << 32)
}

/// The run cannot start (a wrong argument, no Python, ...): said, and exit 2.
/// Says why nothing could run: the error, then each cause it does not already quote.
fn cannot_start(error: &dyn std::error::Error) -> ExitCode {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(source) = cause {
        let because = source.to_string();
        if !text.contains(&because) {
            text.push_str(&format!("\n  because: {because}"));
        }
        cause = source.source();
    }
    eprintln!("xsoar-harness: {text}");
    ExitCode::from(2)
}

/// The first SIGINT or SIGTERM; from then on, a second one exits at once.
async fn first_interruption() -> Signal {
    let signal = interruption().await;
    // Dropping the runs ends their integration processes; a second signal does not wait for
    // that: the integration processes end with the harness anyway (their parent-death signal).
    tokio::spawn(async {
        let again = interruption().await;
        eprintln!("xsoar-harness: {} again: exiting now", again.name);
        std::process::exit(128 + i32::from(again.number));
    });
    signal
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
