//! The bounds a scenario runs within: the file's `timeout` and `limits`, their defaults, the
//! overrides from the command line, and the smallest values that can run anything.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::{HumanDuration, Scenario, ScenarioError, ScenarioSpec, Step};
use crate::quantity::ByteSize;

/// The bounds a scenario runs within, beyond the per-command timeout.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitsSpec {
    /// What one command may write to stdout: its entries, logs and requests (`64MiB`).
    #[schemars(with = "Option<ByteSize>")]
    pub output: Option<Spanned<ByteSize>>,
    /// Entries and log lines one command may send (`100000`).
    #[schemars(with = "Option<u64>")]
    pub messages: Option<Spanned<u64>>,
    /// The memory one integration process may use (`4GiB`).
    #[schemars(with = "Option<ByteSize>")]
    pub memory: Option<Spanned<ByteSize>>,
    /// Integration runs in the whole scenario: commands, fetches, mirroring runs (`5000`).
    #[schemars(with = "Option<u64>")]
    pub runs: Option<Spanned<u64>>,
    /// The virtual time one `advance` step may cover (`30d`).
    #[schemars(with = "Option<HumanDuration>")]
    pub advance: Option<Spanned<HumanDuration>>,
}

/// The bounds of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunLimits {
    /// The integration's own time (what the server spends answering it does not count).
    pub timeout: Duration,
    /// What the run may write to stdout, in bytes: its entries, logs and requests.
    pub output: u64,
    /// How many entries and log lines the run may send.
    pub messages: u64,
    /// The memory (data segment) its process may use, in bytes.
    pub memory: u64,
}

impl Default for RunLimits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            output: 64 << 20,
            messages: 100_000,
            memory: 4 << 30,
        }
    }
}

/// The bounds a scenario runs within, defaults filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The bounds of each integration run.
    pub run: RunLimits,
    /// Integration runs in the whole scenario.
    pub runs: u64,
    /// The virtual time one `advance` step may cover.
    pub advance: Duration,
}

impl Limits {
    /// Integration runs per scenario unless `limits.runs` says otherwise.
    pub const RUNS: u64 = 5000;
    /// Virtual time per `advance` step unless `limits.advance` says otherwise.
    pub const ADVANCE: Duration = Duration::from_secs(30 * 86_400);
}

/// The smallest values a scenario may set: below them nothing an integration does fits.
const MIN_TIMEOUT: Duration = Duration::from_millis(100);
/// The longest timeout: a command that needs longer is stuck.
const MAX_TIMEOUT: Duration = Duration::from_secs(86_400);
const MIN_OUTPUT: u64 = 64 << 10;
const MIN_MEMORY: u64 = 256 << 20;

impl Scenario {
    /// The bounds the scenario runs within: the file's, with the overrides applied.
    pub fn limits(&self) -> Limits {
        let mut limits = self.spec.limits();
        self.overrides.apply(&mut limits);
        limits
    }
}

impl ScenarioSpec {
    /// The bounds the scenario runs within.
    pub fn limits(&self) -> Limits {
        let defaults = RunLimits::default();
        let limits = &self.limits;
        Limits {
            run: RunLimits {
                timeout: self
                    .timeout
                    .as_ref()
                    .map_or(defaults.timeout, |t| t.value.0),
                output: limits
                    .output
                    .as_ref()
                    .map_or(defaults.output, |o| o.value.0),
                messages: limits
                    .messages
                    .as_ref()
                    .map_or(defaults.messages, |m| m.value),
                memory: limits
                    .memory
                    .as_ref()
                    .map_or(defaults.memory, |m| m.value.0),
            },
            runs: limits.runs.as_ref().map_or(Limits::RUNS, |r| r.value),
            advance: limits
                .advance
                .as_ref()
                .map_or(Limits::ADVANCE, |a| a.value.0),
        }
    }

    /// Refuses bounds too small to run anything (the file's own, unless `overrides` replaces
    /// them) and `advance` steps beyond the bound that applies.
    pub(super) fn check_bounds(
        &self,
        path: &Path,
        overrides: &LimitOverrides,
    ) -> Result<(), ScenarioError> {
        let limits = &self.limits;
        let problems = [
            judge(path, &self.timeout, &overrides.timeout, |t| {
                timeout_problem("a timeout", t)
            }),
            judge(path, &limits.output, &overrides.output, |o| {
                size_problem("limits.output", o, MIN_OUTPUT)
            }),
            judge(path, &limits.memory, &overrides.memory, |m| {
                size_problem("limits.memory", m, MIN_MEMORY)
            }),
            judge(path, &limits.runs, &overrides.runs, |r| {
                count_problem("limits.runs", r)
            }),
            judge(path, &limits.messages, &overrides.messages, |m| {
                count_problem("limits.messages", m)
            }),
        ];
        if let Some(error) = problems.into_iter().flatten().next() {
            return Err(error);
        }
        let mut bounds = self.limits();
        overrides.apply(&mut bounds);
        let what = if overrides.advance.is_some() {
            "--max-advance"
        } else {
            "limits.advance"
        };
        self.check_advance(path, bounds.advance, what)
    }

    /// Refuses `advance` steps beyond `most`.
    fn check_advance(&self, path: &Path, most: Duration, what: &str) -> Result<(), ScenarioError> {
        for step in &self.steps {
            let Step::Advance(by) = &step.value else {
                continue;
            };
            if by.0 > most {
                return Err(ScenarioError::invalid(
                    path,
                    step,
                    format!(
                        "advance {by} goes beyond the {} one step may cover ({what}); advance \
                         in smaller steps or raise {what}",
                        HumanDuration(most)
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Bounds given from outside the scenario files (the command line): each replaces the
/// scenario's own value and the default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LimitOverrides {
    /// Replaces `timeout`.
    pub timeout: Option<HumanDuration>,
    /// Replaces `limits.output`.
    pub output: Option<ByteSize>,
    /// Replaces `limits.messages`.
    pub messages: Option<u64>,
    /// Replaces `limits.memory`.
    pub memory: Option<ByteSize>,
    /// Replaces `limits.runs`.
    pub runs: Option<u64>,
    /// Replaces `limits.advance`.
    pub advance: Option<HumanDuration>,
}

impl LimitOverrides {
    /// Refuses values too small to run anything; the error names the option (`--timeout`,
    /// `--max-output`, ...).
    pub fn check(&self) -> Result<(), BoundProblem> {
        let problems = [
            self.timeout.and_then(|t| timeout_problem("--timeout", t)),
            self.output
                .and_then(|o| size_problem("--max-output", o, MIN_OUTPUT)),
            self.memory
                .and_then(|m| size_problem("--max-memory", m, MIN_MEMORY)),
            self.runs.and_then(|r| count_problem("--max-runs", r)),
            self.messages
                .and_then(|m| count_problem("--max-messages", m)),
        ];
        problems.into_iter().flatten().next().map_or(Ok(()), Err)
    }

    fn apply(&self, limits: &mut Limits) {
        if let Some(timeout) = self.timeout {
            limits.run.timeout = timeout.0;
        }
        if let Some(output) = self.output {
            limits.run.output = output.0;
        }
        if let Some(messages) = self.messages {
            limits.run.messages = messages;
        }
        if let Some(memory) = self.memory {
            limits.run.memory = memory.0;
        }
        if let Some(runs) = self.runs {
            limits.runs = runs;
        }
        if let Some(advance) = self.advance {
            limits.advance = advance.0;
        }
    }
}

/// The file's own `value`, unless the command line `replaced` it, judged by `problem`.
fn judge<T: Copy, R>(
    path: &Path,
    value: &Option<Spanned<T>>,
    replaced: &Option<R>,
    problem: impl FnOnce(T) -> Option<BoundProblem>,
) -> Option<ScenarioError> {
    let value = value.as_ref().filter(|_| replaced.is_none())?;
    Some(ScenarioError::invalid(
        path,
        value,
        problem(value.value)?.to_string(),
    ))
}

/// A bound that leaves nothing to run, or more than any command should take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BoundProblem {
    /// A timeout below the shortest that can run a command.
    #[error("{what} of {given} leaves no time to run a command; give at least {least}")]
    TooShort {
        /// The setting (`a timeout`, `--timeout`).
        what: &'static str,
        /// The value given.
        given: HumanDuration,
        /// The shortest allowed.
        least: HumanDuration,
    },
    /// A timeout beyond the longest any command should take.
    #[error("{what} of {given} is longer than any command should take; give at most {most}")]
    TooLong {
        /// The setting.
        what: &'static str,
        /// The value given.
        given: HumanDuration,
        /// The longest allowed.
        most: HumanDuration,
    },
    /// A size below what any integration needs.
    #[error("{what} of {given} is too small for any integration; give at least {least}")]
    TooSmall {
        /// The setting (`limits.output`, `--max-memory`).
        what: &'static str,
        /// The value given.
        given: ByteSize,
        /// The smallest allowed.
        least: ByteSize,
    },
    /// A count of zero.
    #[error("{what} of 0 leaves nothing to run; give at least 1")]
    Zero {
        /// The setting.
        what: &'static str,
    },
}

fn timeout_problem(what: &'static str, timeout: HumanDuration) -> Option<BoundProblem> {
    if timeout.0 < MIN_TIMEOUT {
        return Some(BoundProblem::TooShort {
            what,
            given: timeout,
            least: HumanDuration(MIN_TIMEOUT),
        });
    }
    (timeout.0 > MAX_TIMEOUT).then_some(BoundProblem::TooLong {
        what,
        given: timeout,
        most: HumanDuration(MAX_TIMEOUT),
    })
}

fn size_problem(what: &'static str, size: ByteSize, minimum: u64) -> Option<BoundProblem> {
    (size.0 < minimum).then_some(BoundProblem::TooSmall {
        what,
        given: size,
        least: ByteSize(minimum),
    })
}

fn count_problem(what: &'static str, count: u64) -> Option<BoundProblem> {
    (count == 0).then_some(BoundProblem::Zero { what })
}
