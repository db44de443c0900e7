//! Running a suite: list the scenario files, run them a few at a time, judge each snapshot,
//! and tell reporters what happens as it happens.
//!
//! The stages run one way, each using only the next: [`SuiteConfig`] (what to run and how) ->
//! [`ScenarioList`] (the files, narrowed by [`ScenarioList::filter`] and
//! [`ScenarioList::partition`]) -> [`Suite::run`] (the runner, [`Harness`], for each file,
//! the [snapshot store](crate::snapshot) for each outcome) -> [reporters](crate::report), which
//! see only the report records built here and the [`Event`]s carrying them.
//!
//! ```no_run
//! use std::path::PathBuf;
//! use xsoar_harness::report::Terminal;
//! use xsoar_harness::suite::{self, ScenarioList, Suite, SuiteConfig};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let config = SuiteConfig::new("scenarios").judge_snapshots("snapshots", false);
//! let list = ScenarioList::discover(&[], &config.root)?;
//! let suite = Suite::new(suite::prepare_harness(None)?, config);
//! let run = suite.run(&list, &mut [&mut Terminal], std::future::pending()).await;
//! assert_eq!(run.report.failed(), 0);
//! # Ok(())
//! # }
//! ```

use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::error::{FailureKind, HarnessError};
use crate::glob::Glob;
use crate::partition::Partition;
use crate::report::{
    Checks, Event, Report, ReportError, Reporter, RunReport, ScenarioFailure, ScenarioReport,
    SnapshotStatus, StepReport, ViolationReport,
};
use crate::runner::{end_label, Harness, ScenarioOutcome, StepOutcome, Verdict};
use crate::runtime::content::{ContentRoot, ContentRootError};
use crate::runtime::{PythonHost, RunEnd, Runtime, RuntimeError};
use crate::scenario::{self, LimitOverrides, Scenario};
use crate::secrets::Secrets;
use crate::snapshot::{self, Header, SnapshotStore};

/// What a suite runs and how.
#[derive(Debug, Clone)]
pub struct SuiteConfig {
    /// The folder scenario names are relative to.
    pub root: PathBuf,
    /// Scenarios run at once (at least one).
    pub jobs: usize,
    /// Bounds for every scenario, replacing the scenario's own.
    pub overrides: LimitOverrides,
    /// Start no scenario after one has failed; those left are reported as not run.
    pub fail_fast: bool,
    snapshots: Option<SnapshotJudging>,
}

/// Where snapshots are judged, and whether changed ones are accepted.
#[derive(Debug, Clone)]
struct SnapshotJudging {
    store: SnapshotStore,
    accept: bool,
}

impl SuiteConfig {
    /// Scenarios named relative to `root`, two at a time, with their own bounds, snapshots
    /// not judged.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            jobs: 2,
            overrides: LimitOverrides::default(),
            fail_fast: false,
            snapshots: None,
        }
    }

    /// Judges every outcome's snapshot against the accepted ones in `dir`; a new or changed
    /// one is written as accepted (`accept`) or as a `.snap.new` file for review.
    pub fn judge_snapshots(mut self, dir: impl Into<PathBuf>, accept: bool) -> Self {
        self.snapshots = Some(SnapshotJudging {
            store: SnapshotStore::new(dir),
            accept,
        });
        self
    }
}

/// The scenario files of a suite, in the order they are reported.
#[derive(Debug, Clone, Default)]
pub struct ScenarioList {
    files: Vec<PathBuf>,
    /// Each file's scenario name (`iam/create-new-user`), as [`Scenario`] names it.
    names: Vec<String>,
    /// Each file's path relative to the root, `/`-separated (`iam/create-new-user.yaml`).
    relative: Vec<String>,
    skipped: Vec<(PathBuf, String)>,
}

/// Why a [`ScenarioList`] could not be narrowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SelectError {
    /// A filter matches no scenario listed: a misspelt filter is not an empty run.
    #[error(
        "the filter `{glob}` matches none of the {listed} scenarios listed (names are relative \
         to the scenarios root, without .yaml, such as `{example}`)"
    )]
    NoMatch {
        /// The filter as written.
        glob: String,
        /// How many scenarios were listed.
        listed: usize,
        /// A name that was listed, to show how names read.
        example: String,
    },
}

/// Why the scenario files could not be listed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ListError {
    /// A folder given cannot be read.
    #[error("cannot read the scenario folder {}: {source}", path.display())]
    Read {
        /// The folder.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A path given does not exist (or is neither a file nor a folder).
    #[error("{} is neither a scenario file nor a folder", path.display())]
    Missing {
        /// The path.
        path: PathBuf,
    },
    /// Nothing to run; what was passed over, and why.
    #[error(
        "no scenario files (*.yaml) found{}; give files or folders, or run from the repository root",
        skipped_note(.skipped)
    )]
    Empty {
        /// Entries named like scenario files that were not read, and why.
        skipped: Vec<(PathBuf, String)>,
    },
}

/// ` (skipped a: why; b: why)`, or nothing.
fn skipped_note(skipped: &[(PathBuf, String)]) -> String {
    if skipped.is_empty() {
        return String::new();
    }
    let notes: Vec<String> = skipped
        .iter()
        .map(|(path, why)| format!("{}: {why}", path.display()))
        .collect();
    format!(" (skipped {})", notes.join("; "))
}

impl ScenarioList {
    /// The files given and the scenario files under the folders given; `root` when `paths` is
    /// empty.
    pub fn discover(paths: &[PathBuf], root: &Path) -> Result<Self, ListError> {
        let roots = if paths.is_empty() {
            vec![root.to_path_buf()]
        } else {
            paths.to_vec()
        };
        let mut list = Self::default();
        for path in roots {
            if path.is_dir() {
                let found = scenario::discover(&path).map_err(|source| ListError::Read {
                    path: path.clone(),
                    source,
                })?;
                list.files.extend(found.files);
                list.skipped.extend(found.skipped);
            } else if path.is_file() {
                list.files.push(path);
            } else {
                return Err(ListError::Missing { path });
            }
        }
        if list.files.is_empty() {
            return Err(ListError::Empty {
                skipped: list.skipped,
            });
        }
        list.names = list
            .files
            .iter()
            .map(|file| scenario::scenario_name(file, root))
            .collect();
        list.relative = list
            .files
            .iter()
            .map(|file| {
                let relative = file.strip_prefix(root).unwrap_or(file);
                let parts: Vec<_> = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect();
                parts.join("/")
            })
            .collect();
        Ok(list)
    }

    /// The files, in order.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// The scenario names (`iam/create-new-user`), in the order of [`files`](Self::files).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The files relative to the root, `/`-separated (`iam/create-new-user.yaml`): what a
    /// `hash:` [`Partition`] hashes, in the order of [`files`](Self::files).
    pub fn relative_paths(&self) -> &[String] {
        &self.relative
    }

    /// How many scenarios are listed.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The scenarios whose name matches any of `globs` (all of them when there are none).
    /// A glob that matches none is an error naming it.
    pub fn filter(self, globs: &[Glob]) -> Result<Self, SelectError> {
        if globs.is_empty() {
            return Ok(self);
        }
        if let Some(unmatched) = globs
            .iter()
            .find(|glob| !self.names.iter().any(|name| glob.matches(name)))
        {
            return Err(SelectError::NoMatch {
                glob: unmatched.to_string(),
                listed: self.len(),
                example: self.names.first().cloned().unwrap_or_default(),
            });
        }
        let keep: Vec<bool> = self
            .names
            .iter()
            .map(|name| globs.iter().any(|glob| glob.matches(name)))
            .collect();
        Ok(self.keep(&keep))
    }

    /// The scenarios of one shard (see [`Partition`]); a shard may be empty when there are
    /// fewer scenarios than shards.
    pub fn partition(self, partition: &Partition) -> Self {
        // Places count in the list sorted by relative path, whatever order the files were
        // given in, so every shard of one command agrees.
        let mut by_path: Vec<usize> = (0..self.len()).collect();
        by_path.sort_by(|&a, &b| self.relative[a].cmp(&self.relative[b]));
        let mut keep = vec![false; self.len()];
        for (place, &index) in by_path.iter().enumerate() {
            keep[index] = partition.takes(place, &self.relative[index]);
        }
        self.keep(&keep)
    }

    /// The entries whose `keep` is true, in order; the notes on skipped files stay.
    fn keep(self, keep: &[bool]) -> Self {
        fn pick<T>(values: Vec<T>, keep: &[bool]) -> Vec<T> {
            values
                .into_iter()
                .zip(keep)
                .filter_map(|(value, &keep)| keep.then_some(value))
                .collect()
        }
        Self {
            files: pick(self.files, keep),
            names: pick(self.names, keep),
            relative: pick(self.relative, keep),
            skipped: self.skipped,
        }
    }
}

/// Why a harness could not be prepared.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// No usable Python, or the runtime files cannot be installed.
    #[error(transparent)]
    Python(#[from] RuntimeError),
    /// The content checkout named does not hold CommonServerPython.
    #[error(transparent)]
    ContentRoot(#[from] ContentRootError),
}

/// A harness on the default Python, with CommonServerPython and the API modules from
/// `content_root`, else `$XSOAR_CONTENT_ROOT`, else the built-in ones.
pub fn prepare_harness(content_root: Option<&Path>) -> Result<Harness, SetupError> {
    let harness = Harness::new(Runtime::new(PythonHost::discover()?));
    let root = match content_root {
        Some(dir) => Some(ContentRoot::open(dir)),
        None => ContentRoot::from_env(),
    };
    Ok(match root.transpose()? {
        Some(root) => harness.with_content_root(root),
        None => harness,
    })
}

/// A signal that stops a suite: its name (reports show it) and number (for the exit code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signal {
    /// `SIGINT`, `SIGTERM`, ...
    pub name: &'static str,
    /// Its number.
    pub number: u8,
}

/// What a suite run ended with.
#[derive(Debug)]
#[non_exhaustive]
pub struct SuiteRun {
    /// The report, scenarios in list order.
    pub report: Report,
    /// The signal that stopped the run, if one did.
    pub interrupted: Option<Signal>,
    /// What reporters could not do.
    pub reporter_errors: Vec<ReportError>,
}

impl SuiteRun {
    /// Scenarios stopped by the interruption before they ended.
    pub fn unfinished(&self) -> usize {
        self.report
            .failures
            .iter()
            .filter(|f| f.kind == FailureKind::Interrupted)
            .count()
    }
}

/// Runs the scenarios of a list with one harness.
#[derive(Debug, Clone)]
pub struct Suite {
    harness: Harness,
    config: SuiteConfig,
}

/// Hands every event to every reporter, keeping what they could not do.
struct Tell<'r, 'a> {
    reporters: &'r mut [&'a mut dyn Reporter],
    errors: Vec<ReportError>,
}

impl Tell<'_, '_> {
    fn event(&mut self, event: Event<'_>) {
        for reporter in self.reporters.iter_mut() {
            if let Err(error) = reporter.report(&event) {
                self.errors.push(error);
            }
        }
    }
}

/// What a scenario's task tells the suite while it runs.
enum Progress {
    /// The scenario has a job and begins.
    Started(usize),
    /// One of its steps ended.
    Step {
        scenario: String,
        number: usize,
        step: StepReport,
    },
}

impl Suite {
    /// A suite on `harness`.
    pub fn new(harness: Harness, config: SuiteConfig) -> Self {
        Self { harness, config }
    }

    /// Runs every scenario of `list`, `config.jobs` at a time, until all end or `stop`
    /// resolves: then the runs still going are dropped (which ends their integration
    /// processes) and they and the scenarios not yet started are reported as interrupted.
    /// With `config.fail_fast`, no scenario starts after one has failed; those are reported
    /// as not run.
    pub async fn run(
        &self,
        list: &ScenarioList,
        reporters: &mut [&mut dyn Reporter],
        stop: impl Future<Output = Signal>,
    ) -> SuiteRun {
        let began = Instant::now();
        let tick = reporters.iter().filter_map(|r| r.tick()).min();
        let mut tell = Tell {
            reporters,
            errors: Vec::new(),
        };
        tell.event(Event::Listed {
            scenarios: list.files.len(),
            skipped: &list.skipped,
        });
        let (progress, mut told) = mpsc::unbounded_channel();
        let mut tasks = JoinSet::new();
        let mut order_of_task = HashMap::new();
        // Scenarios start in list order as jobs free up.
        let mut waiting = (0..list.files.len()).peekable();
        let jobs = self.config.jobs.max(1);
        for order in waiting.by_ref().take(jobs) {
            let task = tasks.spawn(self.task(list, order, progress.clone()));
            order_of_task.insert(task.id(), order);
        }
        let mut entries: Vec<Option<Entry>> = list.files.iter().map(|_| None).collect();
        let mut stop = std::pin::pin!(stop);
        let mut interrupted = None;
        let mut failed = false;
        // Without a reporter asking for ticks the timer is never read.
        let mut ticks = tokio::time::interval(tick.unwrap_or(Duration::from_secs(3600)));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                // Progress first: what a task told is queued before the task ends.
                biased;
                Some(progress) = told.recv() => match progress {
                    Progress::Started(order) => tell.event(Event::ScenarioStarted {
                        path: &list.files[order],
                        name: &list.names[order],
                    }),
                    Progress::Step { scenario, number, step } => {
                        tell.event(Event::StepFinished { scenario: &scenario, number, step: &step });
                    }
                },
                joined = tasks.join_next_with_id() => {
                    let Some(joined) = joined else { break };
                    let (id, ran) = match joined {
                        Ok((id, ran)) => (id, Ok(ran)),
                        Err(e) => (e.id(), Err(e)),
                    };
                    // Every task's id was recorded when it was spawned.
                    let Some(&order) = order_of_task.get(&id) else { continue };
                    let ran = ran.unwrap_or_else(|e| Err(unjoined(&list.files[order], &e, interrupted)));
                    let entry = self.entry(&list.files[order], ran);
                    entry.tell(&mut tell);
                    failed |= entry.failed();
                    entries[order] = Some(entry);
                    let starting = interrupted.is_none() && !(failed && self.config.fail_fast);
                    if let Some(order) = waiting.next_if(|_| starting) {
                        let task = tasks.spawn(self.task(list, order, progress.clone()));
                        order_of_task.insert(task.id(), order);
                    }
                }
                signal = &mut stop, if interrupted.is_none() => {
                    tasks.abort_all();
                    interrupted = Some(signal);
                }
                _ = ticks.tick(), if tick.is_some() => {
                    tell.event(Event::Tick { elapsed: began.elapsed() });
                }
            }
        }
        let mut report = Report::default();
        // What never started: stopped by the signal, or held back by a failure.
        for order in waiting {
            let path = &list.files[order];
            if let Some(signal) = interrupted {
                let error = HarnessError::Interrupted {
                    path: path.clone(),
                    signal: signal.name,
                };
                let entry = self.entry(path, Err(error));
                entry.tell(&mut tell);
                entries[order] = Some(entry);
            } else {
                tell.event(Event::ScenarioNotRun { path });
                report.not_run.push(path.display().to_string());
            }
        }
        for entry in entries.into_iter().flatten() {
            match entry {
                Entry::Ran(scenario) => report.scenarios.push(*scenario),
                Entry::Failed(failure) => report.failures.push(failure),
            }
        }
        report.wall = began.elapsed();
        tell.event(Event::Finished(&report));
        SuiteRun {
            report,
            interrupted,
            reporter_errors: tell.errors,
        }
    }

    /// The task that loads and runs the scenario at `order` of `list`, telling `progress`.
    fn task(
        &self,
        list: &ScenarioList,
        order: usize,
        progress: mpsc::UnboundedSender<Progress>,
    ) -> impl Future<Output = Result<ScenarioOutcome, HarnessError>> + Send + 'static {
        let harness = self.harness.clone();
        let (file, root, overrides) = (
            list.files[order].clone(),
            self.config.root.clone(),
            self.config.overrides.clone(),
        );
        async move {
            // The receiver goes only when the suite ends, after every task: a send fails
            // only when nobody is left to tell.
            let _ = progress.send(Progress::Started(order));
            let scenario = Scenario::load_with(&file, &root, overrides)?;
            harness
                .run_observed(&scenario, &mut |number, step, secrets| {
                    let _ = progress.send(Progress::Step {
                        scenario: scenario.name.clone(),
                        number,
                        step: step_report(step, secrets),
                    });
                })
                .await
        }
    }

    /// The report entry of one scenario, its snapshot judged.
    fn entry(&self, file: &Path, ran: Result<ScenarioOutcome, HarnessError>) -> Entry {
        match ran {
            Ok(outcome) => {
                let snapshot = self.judge(&outcome);
                Entry::Ran(Box::new(scenario_report(outcome, snapshot)))
            }
            Err(e) => Entry::Failed(ScenarioFailure {
                path: file.display().to_string(),
                kind: e.kind(),
                message: e.to_string(),
            }),
        }
    }

    fn judge(&self, outcome: &ScenarioOutcome) -> SnapshotStatus {
        let Some(judging) = &self.config.snapshots else {
            return SnapshotStatus::NotJudged;
        };
        let input_file = relative(&outcome.path);
        let header = Header {
            description: &outcome.description,
            input_file: &input_file,
        };
        let name = snapshot::name_for(&outcome.name);
        match judging
            .store
            .judge(&name, header, &outcome.snapshot, judging.accept)
        {
            Ok(judgement) => SnapshotStatus::Judged(judgement),
            Err(error) => SnapshotStatus::Error(error),
        }
    }
}

/// The error of a scenario's task that did not return: interrupted, or it panicked.
fn unjoined(
    path: &Path,
    error: &tokio::task::JoinError,
    interrupted: Option<Signal>,
) -> HarnessError {
    let path = path.to_path_buf();
    match interrupted {
        Some(signal) if error.is_cancelled() => HarnessError::Interrupted {
            path,
            signal: signal.name,
        },
        // A scenario whose run panicked is a failure with the reason, never a silent skip.
        _ => HarnessError::Internal {
            path,
            message: error.to_string(),
        },
    }
}

/// What the report holds for one listed scenario.
enum Entry {
    Ran(Box<ScenarioReport>),
    Failed(ScenarioFailure),
}

impl Entry {
    /// Whether the scenario failed (for `fail_fast`).
    fn failed(&self) -> bool {
        match self {
            Entry::Ran(scenario) => !scenario.passed(),
            Entry::Failed(_) => true,
        }
    }

    fn tell(&self, tell: &mut Tell<'_, '_>) {
        match self {
            Entry::Ran(scenario) => tell.event(Event::ScenarioFinished(scenario)),
            Entry::Failed(failure) => tell.event(Event::ScenarioFailed(failure)),
        }
    }
}

/// Loads the scenario file (with `overrides`) and runs it: what a suite does with each file.
/// `Err` is a scenario that produced no outcome (see [`HarnessError`]).
pub async fn run_file(
    harness: &Harness,
    file: &Path,
    root: &Path,
    overrides: LimitOverrides,
) -> Result<ScenarioOutcome, HarnessError> {
    let scenario = Scenario::load_with(file, root, overrides)?;
    harness.run(&scenario).await
}

/// The report record of one step, its stderr masked with `secrets`.
fn step_report(step: &StepOutcome, secrets: &Secrets) -> StepReport {
    StepReport {
        label: step.label.clone(),
        kind: step.kind,
        runs: step
            .runs
            .iter()
            .map(|record| RunReport {
                command: record.command.clone(),
                end: end_label(&record.run.end),
                completed: record.run.end == RunEnd::Completed,
                stderr: secrets.mask(record.run.stderr.trim_end()),
                wall: record.run.wall,
            })
            .collect(),
        wall: step.wall,
    }
}

/// The report record of an outcome.
fn scenario_report(outcome: ScenarioOutcome, snapshot: SnapshotStatus) -> ScenarioReport {
    let steps = outcome
        .steps
        .iter()
        .map(|step| step_report(step, &outcome.secrets))
        .collect();
    let violations = outcome
        .violations
        .iter()
        .map(|v| ViolationReport {
            rule: v.rule.id(),
            source: v.rule.source(),
            step: v.step.as_ref().map(|(n, _)| *n),
            command: v.step.as_ref().map(|(_, c)| c.clone()),
            message: v.message.clone(),
        })
        .collect();
    let checks = match outcome.verdict {
        Verdict::Passed => Checks::Passed,
        Verdict::ExpectedFailure(rule) => Checks::ProvenFailure(rule.id()),
        Verdict::Failed(reasons) => Checks::Failed(reasons),
    };
    ScenarioReport {
        name: outcome.name,
        description: outcome.description,
        path: outcome.path,
        integration: outcome.integration,
        judged: outcome.judged.into_iter().collect(),
        acknowledged: outcome.acknowledged,
        checks,
        violations,
        steps,
        runtime: outcome.runtime,
        python: outcome.python,
        wall: outcome.wall,
        snapshot,
    }
}

/// The path as written relative to the current folder, with `/` separators (the snapshot
/// header's `input_file`, as insta writes it).
fn relative(path: &Path) -> String {
    // Without a current folder the path stays as given: only the header's text differs.
    let cwd = std::env::current_dir().unwrap_or_default();
    path.strip_prefix(&cwd)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}
