//! A contract-testing harness for XSOAR-style integrations.
//!
//! An integration author writes YAML [scenarios](scenario); the harness starts the stateful
//! mock vendor the scenario names (see the `mock-vendors` crate), runs the integration as a
//! separate process speaking the XSOAR script protocol ([runtime]), emulates the server side
//! of the instance ([server], [mapping], [context]), checks the documented contracts
//! ([checks], [iam]), and renders what happened as a redacted [snapshot] for review. The
//! [runner] ties these together for one scenario; a [suite] runs many, judges their
//! snapshots, and tells reporters ([report]: terminal, JUnit, JSON) what happens.
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
pub mod context;
pub mod entries;
pub mod error;
pub mod failure;
pub mod iam;
pub mod integration;
pub mod mapping;
pub mod pypi;
pub mod quantity;
pub mod report;
pub mod rules;
pub mod runner;
pub mod runtime;
pub mod scenario;
mod scratch;
pub mod secrets;
pub mod server;
pub mod session;
pub mod snapshot;
pub mod suite;
pub mod version;

pub use error::HarnessError;
pub use runner::{Harness, ScenarioOutcome, Verdict};

/// A boxed future that can cross threads: what the server emulation's trait methods return
/// where answering may run another script (a transformer of `mapObject`).
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;
