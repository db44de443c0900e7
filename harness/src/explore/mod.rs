//! Property-based exploration (`xsoar-harness explore`): generated scenarios on the
//! integration, instance and vendor seed of a base scenario, judged by every rule, and a
//! failure shrunk to an ordinary scenario file that fails the same way under `run`.
//!
//! An exploration first probes the base (its fetch alone), to learn which incidents mirror,
//! their remote ids and mirror tags. Each case is then a plan of remote and local changes,
//! waits, fetches, faults and new local incidents, rendered as steps after the fetch and
//! before a quiet period long enough for the mirroring job to catch up. A case fails when the
//! run breaks any rule. proptest shrinks the first failure, keeping its rule; the steps it
//! left that the failure does not need are dropped one by one, and what remains is written as
//! a scenario (the seed and the rule in its header comment), which is run once more to show
//! it reproduces.
//!
//! ```no_run
//! # async fn example(harness: &xsoar_harness::Harness) -> Result<(), xsoar_harness::explore::ExploreError> {
//! use xsoar_harness::explore::{explore, ExploreConfig};
//!
//! let config = ExploreConfig::new("explore/servicenow-mirror.yaml").cases(50).seed(7);
//! let found = explore(harness, &config, &mut |event| eprintln!("{event}")).await?;
//! if let Some(finding) = found.finding {
//!     println!("{} in {}", finding.rule.id(), finding.scenario.display());
//! }
//! # Ok(())
//! # }
//! ```

mod base;
mod iam;
mod plan;

use std::cell::{Cell, RefCell};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use proptest::strategy::Strategy;
use proptest::test_runner::{
    Config as ProptestConfig, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner,
};
use serde_json::json;

use self::base::{Base, Case};
use self::plan::{Action, Stage, Target};
use crate::checks::closing::{CLOSE_INCIDENT, CLOSE_OUT};
use crate::rules::Rule;
use crate::scenario::{LimitOverrides, Scenario, ScenarioError};
use crate::{Harness, HarnessError, ScenarioOutcome, Secrets};

/// What to explore and how long.
///
/// ```
/// use std::time::Duration;
/// use xsoar_harness::explore::ExploreConfig;
///
/// let config = ExploreConfig::new("base.yaml").cases(20).seed(42).time_budget(Duration::from_secs(60));
/// assert_eq!((config.cases, config.seed), (20, 42));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ExploreConfig {
    /// The base scenario: its integration, instance, server settings and vendor seed.
    pub base: PathBuf,
    /// Cases to run (besides the probe).
    pub cases: u32,
    /// The seed of the generator; the same seed makes the same cases.
    pub seed: u64,
    /// Wall time for the cases; shrinking a failure is not bounded by it.
    pub time_budget: Duration,
    /// Where the shrunk scenario is written.
    pub out: PathBuf,
    /// The most actions in one case.
    pub max_actions: usize,
}

impl ExploreConfig {
    /// The default exploration of `base`: 100 cases of up to 12 actions, seed 0, 10 minutes,
    /// findings written to `explore-findings/`.
    pub fn new(base: impl Into<PathBuf>) -> Self {
        Self {
            base: base.into(),
            cases: 100,
            seed: 0,
            time_budget: Duration::from_secs(600),
            out: PathBuf::from("explore-findings"),
            max_actions: 12,
        }
    }

    /// Sets the number of cases.
    pub fn cases(mut self, cases: u32) -> Self {
        self.cases = cases;
        self
    }

    /// Sets the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the wall-time budget of the cases.
    pub fn time_budget(mut self, budget: Duration) -> Self {
        self.time_budget = budget;
        self
    }

    /// Sets the folder the shrunk scenario is written to.
    pub fn out(mut self, out: impl Into<PathBuf>) -> Self {
        self.out = out.into();
        self
    }
}

/// What an exploration tells as it goes.
#[derive(Debug)]
#[non_exhaustive]
pub enum ExploreEvent<'a> {
    /// The probe ran: how many incidents mirror, and whether stalls are laid.
    Probed {
        /// Incidents with a remote id.
        mirrored: usize,
        /// The base's command timeout.
        timeout: Duration,
        /// Whether cases lay stalls past it (only when it is short enough to wait out).
        stalls: bool,
    },
    /// A case ran.
    Case {
        /// Its number, from 1.
        number: u32,
        /// Of how many.
        of: u32,
        /// Its steps.
        steps: usize,
        /// Whether it broke no rule.
        passed: bool,
        /// Its wall time.
        wall: Duration,
    },
    /// The first failure, before shrinking.
    Found {
        /// The rule.
        rule: Rule,
        /// Its message.
        message: &'a str,
    },
    /// A smaller failing case while shrinking.
    Shrunk {
        /// Its steps.
        steps: usize,
    },
    /// The budget ran out before every case ran.
    OutOfTime {
        /// The cases that ran.
        ran: u32,
    },
}

impl fmt::Display for ExploreEvent<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Probed {
                mirrored,
                timeout,
                stalls,
            } => {
                write!(f, "probe: the fetch made {mirrored} mirrored incidents; ")?;
                if *stalls {
                    write!(f, "stalls past the {timeout:?} timeout are laid")
                } else {
                    write!(
                        f,
                        "no stalls past the {timeout:?} timeout (each would cost that long; a base \
                         with `timeout` of {:?} or less gets them)",
                        plan::STALLS_UP_TO
                    )
                }
            }
            Self::Case {
                number,
                of,
                steps,
                passed,
                wall,
            } => write!(
                f,
                "case {number}/{of}: {steps} steps, {} in {:.2}s",
                if *passed { "passed" } else { "FAILED" },
                wall.as_secs_f64()
            ),
            Self::Found { rule, message } => write!(f, "found {}: {message}; shrinking", rule.id()),
            Self::Shrunk { steps } => write!(f, "shrunk to {steps} steps"),
            Self::OutOfTime { ran } => write!(f, "the time budget ran out after {ran} cases"),
        }
    }
}

/// A rule an exploration broke, and the scenario that shows it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Finding {
    /// The rule.
    pub rule: Rule,
    /// The violation's message in the shrunk scenario's run.
    pub message: String,
    /// The seed that found it.
    pub seed: u64,
    /// The shrunk scenario, written.
    pub scenario: PathBuf,
    /// Its steps.
    pub steps: usize,
    /// Whether running the written file broke the same rule again.
    pub reproduced: bool,
}

/// What an exploration ended with.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Exploration {
    /// The cases that ran (the probe not counted).
    pub cases: u32,
    /// The rule broken, if one was.
    pub finding: Option<Finding>,
    /// Wall time, shrinking included.
    pub wall: Duration,
    /// Whether the budget stopped it before every case ran.
    pub out_of_time: bool,
}

/// Why an exploration could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExploreError {
    /// The base file is not a scenario.
    #[error(transparent)]
    Scenario(ScenarioError),
    /// The base cannot be explored.
    #[error("{}: {reason}", path.display())]
    Base {
        /// The base file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The harness could not run a case.
    #[error("the harness could not run a case: {0}")]
    Harness(#[source] HarnessError),
    /// A generated case does not parse: a bug of the generator.
    #[error(
        "a generated case does not parse (a bug of explore; please report it with the seed): {0}"
    )]
    Generated(#[source] ScenarioError),
    /// Reading or writing a file failed.
    #[error("cannot {what} {}: {source}", path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// proptest gave up (too many rejected cases).
    #[error("the generator gave up: {0}")]
    Aborted(String),
    /// Exploration needs the multi-threaded tokio runtime (the CLI's).
    #[error("explore must run on a multi-threaded tokio runtime")]
    Runtime,
}

/// Explores `config.base` with `harness`, telling `on_event` as it goes.
///
/// # Errors
///
/// [`ExploreError`] when the base is not a scenario, the output folder cannot be written, or
/// the harness cannot run a case; a broken rule is a [`Finding`], not an error.
pub async fn explore(
    harness: &Harness,
    config: &ExploreConfig,
    on_event: &mut (dyn FnMut(&ExploreEvent<'_>) + Send),
) -> Result<Exploration, ExploreError> {
    if tokio::runtime::Handle::current().runtime_flavor()
        != tokio::runtime::RuntimeFlavor::MultiThread
    {
        return Err(ExploreError::Runtime);
    }
    // The cases run one after another under proptest's synchronous runner.
    tokio::task::block_in_place(|| Explorer::new(harness, config)?.run(on_event))
}

/// One exploration in progress.
struct Explorer<'a> {
    harness: &'a Harness,
    config: &'a ExploreConfig,
    base: Base,
    out: PathBuf,
    began: Instant,
}

impl<'a> Explorer<'a> {
    fn new(harness: &'a Harness, config: &'a ExploreConfig) -> Result<Self, ExploreError> {
        let out = config.out.clone();
        std::fs::create_dir_all(&out).map_err(|source| ExploreError::Io {
            what: "create the output folder",
            path: out.clone(),
            source,
        })?;
        Ok(Self {
            harness,
            config,
            base: Base::load(&config.base, &out)?,
            out,
            began: Instant::now(),
        })
    }

    fn run(
        &self,
        on_event: &mut (dyn FnMut(&ExploreEvent<'_>) + Send),
    ) -> Result<Exploration, ExploreError> {
        if self.base.manages_identities {
            // IAM commands need no probe: users are named by the plan.
            return self.search(&iam::plans(self.config.max_actions), iam::case, on_event);
        }
        // The probe: the fetch alone, which is also the first case.
        let probe_case = Case::steps(vec![json!({"fetch": {}})]);
        let probe = self.run_case(&probe_case)?;
        if let Some(broken) = first_broken(&probe) {
            on_event(&ExploreEvent::Found {
                rule: broken.0,
                message: &broken.1,
            });
            let finding = self.write_finding(broken.0, &probe_case)?;
            return Ok(self.ended(0, Some(finding), false));
        }
        let stage = self.stage(&probe)?;
        on_event(&ExploreEvent::Probed {
            mirrored: stage.targets.len(),
            timeout: self.base.timeout,
            stalls: stage.stall.is_some(),
        });
        // close_incident and close_out vary, on in most cases.
        let settings = (proptest::bool::weighted(0.7), proptest::bool::weighted(0.7));
        self.search(
            &(settings, plan::plans(self.config.max_actions)),
            |((close_incident, close_out), actions): &((bool, bool), Vec<Action>)| Case {
                params: [(CLOSE_INCIDENT, close_incident), (CLOSE_OUT, close_out)]
                    .into_iter()
                    .map(|(name, on)| (name.to_owned(), json!(on)))
                    .collect(),
                steps: stage.steps(actions),
            },
            on_event,
        )
    }

    /// Runs the cases `strategy` generates, each as `render` makes it; shrinks
    /// the first that breaks a rule, keeping the rule, and writes it.
    fn search<S: Strategy>(
        &self,
        strategy: &S,
        render: impl Fn(&S::Value) -> Case,
        on_event: &mut (dyn FnMut(&ExploreEvent<'_>) + Send),
    ) -> Result<Exploration, ExploreError> {
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&self.config.seed.to_le_bytes());
        let proptest = ProptestConfig {
            cases: self.config.cases,
            failure_persistence: None,
            max_shrink_iters: 512,
            max_global_rejects: self.config.cases.saturating_mul(4).max(64),
            ..ProptestConfig::default()
        };
        let mut runner =
            TestRunner::new_with_rng(proptest, TestRng::from_seed(RngAlgorithm::ChaCha, &seed));
        let target: Cell<Option<Rule>> = Cell::new(None);
        let ran = Cell::new(0u32);
        let out_of_time = Cell::new(false);
        let failed: RefCell<Option<ExploreError>> = RefCell::new(None);
        let events = RefCell::new(on_event);
        let result = runner.run(strategy, |plan: S::Value| {
            if failed.borrow().is_some() {
                return Ok(());
            }
            let shrinking = target.get().is_some();
            if !shrinking && self.began.elapsed() > self.config.time_budget {
                out_of_time.set(true);
                return Ok(());
            }
            let case = render(&plan);
            let began = Instant::now();
            let outcome = match self.run_case(&case) {
                Ok(outcome) => outcome,
                Err(error) => {
                    *failed.borrow_mut() = Some(error);
                    return Ok(());
                }
            };
            if outcome
                .violations
                .iter()
                .any(|v| v.rule == Rule::ScenarioStep)
            {
                // A step the state could not take: not a finding, a case to skip.
                return Err(TestCaseError::reject("a generated step did not apply"));
            }
            let broken = first_broken(&outcome);
            if !shrinking {
                ran.set(ran.get() + 1);
                (events.borrow_mut())(&ExploreEvent::Case {
                    number: ran.get(),
                    of: self.config.cases,
                    steps: case.steps.len(),
                    passed: broken.is_none(),
                    wall: began.elapsed(),
                });
            }
            match (target.get(), broken) {
                (None, Some((rule, message))) => {
                    target.set(Some(rule));
                    (events.borrow_mut())(&ExploreEvent::Found {
                        rule,
                        message: &message,
                    });
                    Err(TestCaseError::fail(message))
                }
                // While shrinking, only the same rule counts as the same failure.
                (Some(rule), _) if breaks(&outcome, rule) => {
                    (events.borrow_mut())(&ExploreEvent::Shrunk {
                        steps: case.steps.len(),
                    });
                    Err(TestCaseError::fail(rule.id()))
                }
                _ => Ok(()),
            }
        });
        if let Some(error) = failed.into_inner() {
            return Err(error);
        }
        if out_of_time.get() {
            (events.borrow_mut())(&ExploreEvent::OutOfTime { ran: ran.get() });
        }
        match (result, target.get()) {
            (Ok(()), _) => Ok(self.ended(ran.get(), None, out_of_time.get())),
            (Err(TestError::Fail(_, smallest)), Some(rule)) => {
                let smallest = self.trim(rule, render(&smallest), *events.borrow_mut())?;
                let finding = self.write_finding(rule, &smallest)?;
                Ok(self.ended(ran.get(), Some(finding), out_of_time.get()))
            }
            (Err(TestError::Fail(reason, _)), None) | (Err(TestError::Abort(reason)), _) => {
                Err(ExploreError::Aborted(reason.to_string()))
            }
        }
    }

    /// Drops the steps of `case` that breaking `rule` does not need, one at a time. proptest
    /// simplifies each action once, in plan order, so a change it could only drop after a
    /// later action was simplified (four entries, once a fault moved earlier) would stay.
    /// Time is left as it is: without its quiet period a settled check would judge a job
    /// that never had the time to catch up.
    fn trim(
        &self,
        rule: Rule,
        mut case: Case,
        on_event: &mut (dyn FnMut(&ExploreEvent<'_>) + Send),
    ) -> Result<Case, ExploreError> {
        let mut index = 0;
        // A scenario has at least one step.
        while index < case.steps.len() && case.steps.len() > 1 {
            if ["advance", "check"]
                .iter()
                .any(|kind| case.steps[index].get(kind).is_some())
            {
                index += 1;
                continue;
            }
            let mut fewer = case.clone();
            fewer.steps.remove(index);
            if breaks(&self.run_case(&fewer)?, rule) {
                on_event(&ExploreEvent::Shrunk {
                    steps: fewer.steps.len(),
                });
                case = fewer;
            } else {
                index += 1;
            }
        }
        Ok(case)
    }

    fn ended(&self, cases: u32, finding: Option<Finding>, out_of_time: bool) -> Exploration {
        Exploration {
            cases,
            finding,
            wall: self.began.elapsed(),
            out_of_time,
        }
    }

    /// The incidents the probe's fetch made that mirror, and the vendor's spelling.
    fn stage(&self, probe: &ScenarioOutcome) -> Result<Stage, ExploreError> {
        let targets = probe
            .mirrors
            .iter()
            .filter_map(|(id, mirror)| {
                Some(Target {
                    id: *id,
                    remote: mirror.id.clone()?,
                    tags: mirror.tags.clone(),
                })
            })
            .collect();
        // A vendor of the base's kind, asked only for its spelling of remote changes.
        let vendor = match self.base.vendor_kind {
            Some(kind) => Some(
                mock_vendors::create(kind, mock_vendors::Clock::default(), None).map_err(
                    |error| ExploreError::Base {
                        path: self.base.path.clone(),
                        reason: error.to_string(),
                    },
                )?,
            ),
            None => None,
        };
        Ok(Stage {
            targets,
            vendor,
            job_interval_secs: self.base.job_interval_secs,
            stall: plan::stall_past(self.base.timeout),
        })
    }

    /// Runs the base with `case`.
    fn run_case(&self, case: &Case) -> Result<ScenarioOutcome, ExploreError> {
        let path = self.out.join(format!("{}-case.yaml", self.base.stem()));
        let text = self.base.text(&[], "exploration case", case);
        let scenario = scenario(&text, &path)?;
        tokio::runtime::Handle::current()
            .block_on(self.harness.run(&scenario))
            .map_err(ExploreError::Harness)
    }

    /// Writes the scenario of `case` that broke `rule` and runs it once more.
    fn write_finding(&self, rule: Rule, case: &Case) -> Result<Finding, ExploreError> {
        let path = self.out.join(format!(
            "{}-{}.yaml",
            self.base.stem(),
            rule.id().replace('.', "-")
        ));
        let header = [
            format!(
                "Found by `xsoar-harness explore {} --seed {}`: it breaks {}.",
                self.config.base.display(),
                self.config.seed,
                rule.id()
            ),
            "Commit it as a regression test (with an expect_failure while the bug stands)."
                .to_owned(),
        ];
        let description = format!(
            "Shrunk by explore from {}: these steps break {}.",
            self.base.stem(),
            rule.id()
        );
        let text = self.base.text(&header, &description, case);
        std::fs::write(&path, &text).map_err(|source| ExploreError::Io {
            what: "write the shrunk scenario",
            path: path.clone(),
            source,
        })?;
        let written = Scenario::load(&path, &self.out).map_err(ExploreError::Generated)?;
        let outcome = tokio::runtime::Handle::current()
            .block_on(self.harness.run(&written))
            .map_err(ExploreError::Harness)?;
        let again = outcome.violations.iter().find(|v| v.rule == rule);
        Ok(Finding {
            rule,
            message: again.map_or_else(String::new, |v| v.message.clone()),
            seed: self.config.seed,
            scenario: path,
            steps: case.steps.len(),
            reproduced: again.is_some(),
        })
    }
}

/// The first rule an outcome breaks (a generated case's own step failures aside).
fn first_broken(outcome: &ScenarioOutcome) -> Option<(Rule, String)> {
    outcome
        .violations
        .iter()
        .find(|v| v.rule != Rule::ScenarioStep)
        .map(|v| (v.rule, v.message.clone()))
}

/// Whether `outcome` breaks `rule`, every generated step having applied.
fn breaks(outcome: &ScenarioOutcome, rule: Rule) -> bool {
    outcome
        .violations
        .iter()
        .all(|v| v.rule != Rule::ScenarioStep)
        && outcome.violations.iter().any(|v| v.rule == rule)
}

/// A scenario from generated text, as if read from `path`.
fn scenario(text: &str, path: &Path) -> Result<Scenario, ExploreError> {
    let spec = Scenario::parse(text, path).map_err(ExploreError::Generated)?;
    let stem = path
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    Ok(Scenario {
        name: format!("explore/{stem}"),
        path: path.to_owned(),
        spec,
        secrets: Secrets::in_yaml(text),
        overrides: LimitOverrides::default(),
    })
}
