//! What a suite tells reporters, and the reporters: the terminal, and report files.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{Report, ScenarioFailure, ScenarioReport, StepReport};

/// What a suite tells its reporters while it runs, in this order: `Listed` once, then per
/// scenario `ScenarioStarted`, its `StepFinished`s and `ScenarioFinished` (or
/// `ScenarioFailed`), scenarios interleaved as they run at once, `ScenarioNotRun` for each
/// scenario a failure held back (fail-fast), and `Finished` once. `Tick`s come between, to
/// reporters that ask for them ([`Reporter::tick`]).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Event<'a> {
    /// The scenarios to run are listed.
    Listed {
        /// How many will run.
        scenarios: usize,
        /// Entries named like scenario files that are not read, and why.
        skipped: &'a [(PathBuf, String)],
    },
    /// A scenario began (it had waited for a free job).
    ScenarioStarted {
        /// The scenario file.
        path: &'a Path,
        /// The scenario name (`iam/create-new-user`).
        name: &'a str,
    },
    /// A step of a scenario ended (told as it ends, while the scenario runs on).
    StepFinished {
        /// The scenario name.
        scenario: &'a str,
        /// The step's place in the scenario, from 1.
        number: usize,
        /// What it did.
        step: &'a StepReport,
    },
    /// A scenario ran and its snapshot was judged.
    ScenarioFinished(&'a ScenarioReport),
    /// A scenario produced no outcome.
    ScenarioFailed(&'a ScenarioFailure),
    /// A scenario was never started: an earlier one failed and the suite fails fast.
    ScenarioNotRun {
        /// The scenario file.
        path: &'a Path,
    },
    /// Time passes (see [`Reporter::tick`]).
    Tick {
        /// Since the suite began.
        elapsed: Duration,
    },
    /// Every scenario ended (or was interrupted): the whole report.
    Finished(&'a Report),
}

/// Consumes a suite's events.
pub trait Reporter {
    /// Takes one event. An error does not stop the suite; it is handed back at the end.
    fn report(&mut self, event: &Event<'_>) -> Result<(), ReportError>;

    /// How often the reporter wants an [`Event::Tick`] while the suite runs (a live status
    /// line redraws its clock); `None`, the default, for never.
    fn tick(&self) -> Option<Duration> {
        None
    }
}

/// A closure is a reporter: what a bench or a test watching one kind of event needs.
impl<F> Reporter for F
where
    F: FnMut(&Event<'_>) -> Result<(), ReportError>,
{
    fn report(&mut self, event: &Event<'_>) -> Result<(), ReportError> {
        self(event)
    }
}

/// Why a reporter could not write its report.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// A report file cannot be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The terminal (stdout or stderr) cannot be written.
    #[error("cannot write the report to the terminal: {source}")]
    Terminal {
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The JUnit report cannot be serialized.
    #[error("cannot serialize the JUnit report: {source}")]
    Junit {
        /// The serializer's error.
        #[source]
        source: quick_junit::SerializeError,
    },
    /// The JSON report cannot be serialized.
    #[error("cannot serialize the JSON report: {source}")]
    Json {
        /// The serializer's error.
        #[source]
        source: serde_json::Error,
    },
}

/// The report for people: notes on skipped files to stderr as the list is made, the report
/// to stdout at the end.
#[derive(Debug, Default)]
pub struct Terminal;

impl Reporter for Terminal {
    fn report(&mut self, event: &Event<'_>) -> Result<(), ReportError> {
        let terminal = |source| ReportError::Terminal { source };
        match event {
            Event::Listed { skipped, .. } => {
                let mut err = std::io::stderr().lock();
                for (path, why) in *skipped {
                    writeln!(
                        err,
                        "xsoar-harness: note: skipped {}: {why}",
                        path.display()
                    )
                    .map_err(terminal)?;
                }
            }
            Event::Finished(report) => {
                let mut out = std::io::stdout().lock();
                out.write_all(report.human().as_bytes())
                    .and_then(|()| out.flush())
                    .map_err(terminal)?;
            }
            _ => {}
        }
        Ok(())
    }
}

/// Which format a [`ReportFile`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// JUnit XML.
    Junit,
    /// JSON.
    Json,
}

/// A report written to a file at the end of the run.
#[derive(Debug, Clone)]
pub struct ReportFile {
    format: Format,
    path: PathBuf,
}

impl ReportFile {
    /// A reporter that writes `format` to `path`.
    pub fn new(format: Format, path: impl Into<PathBuf>) -> Self {
        Self {
            format,
            path: path.into(),
        }
    }
}

impl Reporter for ReportFile {
    fn report(&mut self, event: &Event<'_>) -> Result<(), ReportError> {
        let Event::Finished(report) = event else {
            return Ok(());
        };
        let text = match self.format {
            Format::Junit => report
                .junit()
                .map_err(|source| ReportError::Junit { source })?,
            Format::Json => report
                .json()
                .map_err(|source| ReportError::Json { source })?,
        };
        std::fs::write(&self.path, text).map_err(|source| ReportError::Write {
            path: self.path.clone(),
            source,
        })
    }
}
