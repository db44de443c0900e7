//! A contract-testing harness for XSOAR-style integrations.
//!
//! An integration author writes YAML [scenarios](scenario); the harness starts the stateful
//! mock vendor the scenario names (see the `mock-vendors` crate), runs the integration as a
//! separate process speaking the XSOAR script protocol ([runtime]), emulates the server side
//! of the instance (context, incidents, classification and mapping, the mirroring job),
//! checks the documented contracts ([rules], [checks]), and renders what happened as a
//! redacted [snapshot] for review. A [`Harness`] runs one scenario into a
//! [`ScenarioOutcome`]; a [suite] runs many, judges their snapshots, and tells reporters
//! ([report]: terminal, JUnit, JSON) what happens. README.md, "Architecture", draws the
//! modules and how they depend on each other.
//!
//! ```no_run
//! use std::path::Path;
//! use xsoar_harness::runtime::{PythonHost, Runtime};
//! use xsoar_harness::scenario::Scenario;
//! use xsoar_harness::Harness;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let harness = Harness::new(Runtime::new(PythonHost::discover()?));
//! let scenario = Scenario::load(
//!     Path::new("scenarios/iam/create-new-user.yaml"),
//!     Path::new("scenarios"),
//! )?;
//! let outcome = harness.run(&scenario).await?;
//! println!("{:?}\n{}", outcome.verdict, outcome.snapshot);
//! # Ok(())
//! # }
//! ```

pub mod checks;
mod context;
mod entries;
mod error;
pub mod explore;
mod failure;
pub mod glob;
mod iam;
pub mod init;
mod integration;
mod mapping;
pub mod partition;
mod pypi;
mod quantity;
pub mod report;
pub mod rules;
mod runner;
pub mod runtime;
pub mod scenario;
mod scratch;
mod secrets;
mod server;
mod session;
pub mod snapshot;
pub mod suite;
mod text;
mod version;

pub use checks::Violation;
pub use error::{FailureKind, HarnessError};
pub use integration::{Integration, IntegrationError, Manifest};
pub use mapping::FieldError;
pub use pypi::PypiError;
pub use runner::{Harness, ScenarioOutcome, StepOutcome, Verdict};
pub use secrets::Secrets;
pub use server::{CommandRecord, MappingFailure};

/// A boxed future that can cross threads: what the server emulation's trait methods return
/// where answering may run another script (a transformer of `mapObject`).
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;
