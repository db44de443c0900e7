//! A contract-testing harness for XSOAR-style integrations.
//!
//! An integration author writes YAML [scenarios](scenario); the harness starts the stateful
//! mock vendor the scenario names (see the `mock-vendors` crate), runs the integration as a
//! separate process speaking the XSOAR script protocol ([runtime]), emulates the server side
//! of the instance ([server], [mapper], [context]), checks the documented contracts
//! ([checks], [iam]), and renders what happened as a redacted [snapshot] for review. The
//! [runner] ties these together; [report] turns outcomes into terminal, JUnit and JSON reports.
//!
//! ```no_run
//! use std::path::Path;
//! use xsoar_harness::runtime::{PythonEnv, Runtime};
//! use xsoar_harness::scenario::Scenario;
//! use xsoar_harness::Harness;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let harness = Harness::new(Runtime::new(PythonEnv::prepare()?));
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
pub mod iam;
pub mod integration;
pub mod mapper;
pub mod mirroring;
pub mod pypi;
pub mod report;
pub mod runner;
pub mod runtime;
pub mod scenario;
pub mod server;
pub mod session;
pub mod snapshot;

pub use runner::{Harness, ScenarioOutcome, Verdict};
