//! Why a scenario produced no outcome: its file is wrong (a load error, with the place in the
//! file), or the harness could not run it (the machine, Python or the harness failed before
//! the integration could be judged). Everything the integration itself does wrong is a
//! violation in the outcome instead.

use std::path::PathBuf;

use crate::runtime::RuntimeError;
use crate::scenario::ScenarioError;

/// A scenario that produced no outcome.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HarnessError {
    /// The scenario file is wrong: fix the file at the place named.
    #[error(transparent)]
    Load(#[from] ScenarioError),
    /// The harness could not run the scenario.
    #[error("{}: cannot run the scenario: {source}", path.display())]
    Run {
        /// The scenario file.
        path: PathBuf,
        /// What failed.
        #[source]
        source: RuntimeError,
    },
    /// The integration could not be fetched from PyPI (pip, the network or the cache failed).
    #[error("{}: cannot fetch the integration: {source}", path.display())]
    Fetch {
        /// The scenario file.
        path: PathBuf,
        /// What failed.
        #[source]
        source: crate::pypi::PypiError,
    },
    /// The harness itself failed (a bug): the scenario could not be judged.
    #[error("{}: the harness failed while running this scenario ({message}); please report it", path.display())]
    Internal {
        /// The scenario file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The harness was told to stop (a signal) before the scenario ended.
    #[error("{}: interrupted by {signal} before the scenario ended", path.display())]
    Interrupted {
        /// The scenario file.
        path: PathBuf,
        /// The signal's name.
        signal: &'static str,
    },
}

/// Which kind of failure a report shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureKind {
    /// The file is wrong.
    Load,
    /// The harness, Python or the machine failed.
    Run,
    /// The run was stopped (a signal) before the scenario ended.
    Interrupted,
}

impl HarnessError {
    /// The error with `secrets` masked wherever it quotes the scenario.
    pub fn masked(self, secrets: &crate::secrets::Secrets) -> Self {
        match self {
            Self::Load(error) => Self::Load(error.masked(secrets)),
            Self::Internal { path, message } => Self::Internal {
                path,
                message: secrets.mask(&message),
            },
            other @ (Self::Run { .. } | Self::Fetch { .. } | Self::Interrupted { .. }) => other,
        }
    }

    /// A run error of the scenario at `path`.
    pub fn run(path: impl Into<PathBuf>, source: RuntimeError) -> Self {
        Self::Run {
            path: path.into(),
            source,
        }
    }

    /// Whether the file is wrong or the run failed.
    pub fn kind(&self) -> FailureKind {
        match self {
            Self::Load(_) => FailureKind::Load,
            Self::Run { .. } | Self::Fetch { .. } | Self::Internal { .. } => FailureKind::Run,
            Self::Interrupted { .. } => FailureKind::Interrupted,
        }
    }
}
