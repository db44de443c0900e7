//! What the tests that build their own files share: a temp folder of files written by the test,
//! and running a scenario in it.

#![allow(dead_code)] // Each test file uses a part.

pub(crate) mod content_pack;
pub(crate) mod explore;

use std::path::{Path, PathBuf};

use xsoar_harness::runtime::ContentRoot;
use xsoar_harness::runtime::{PythonHost, Runtime};
use xsoar_harness::scenario::Scenario;
use xsoar_harness::{Harness, HarnessError, ScenarioOutcome};

/// A temp folder with the files a test writes, removed afterwards.
pub(crate) struct Tree(PathBuf);

impl Tree {
    /// A fresh folder named after the test, holding `files` (path, text).
    pub(crate) fn new(name: &str, files: &[(&str, &str)]) -> Self {
        let dir = std::env::temp_dir().join(format!("harness-test-{name}-{}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir).expect("remove an old test folder");
        }
        let tree = Self(dir);
        for (path, text) in files {
            tree.write(path, text);
        }
        tree
    }

    /// Writes one file, creating its folders.
    pub(crate) fn write(&self, path: &str, text: &str) {
        let file = self.0.join(path);
        std::fs::create_dir_all(file.parent().expect("a parent")).expect("create folders");
        std::fs::write(file, text).expect("write a test file");
    }

    /// A path inside the folder.
    pub(crate) fn path(&self, relative: &str) -> PathBuf {
        self.0.join(relative)
    }

    /// Loads and runs `scenarios/<scenario>` (scenario names are relative to `scenarios/`).
    pub(crate) fn run(&self, scenario: &str) -> Result<ScenarioOutcome, HarnessError> {
        self.run_with(&harness(), scenario)
    }

    /// Like [`Tree::run`], with this harness.
    pub(crate) fn run_with(
        &self,
        harness: &Harness,
        scenario: &str,
    ) -> Result<ScenarioOutcome, HarnessError> {
        let root = self.0.join("scenarios");
        let loaded = Scenario::load(&root.join(scenario), &root)?;
        block_on(harness.run(&loaded))
    }

    /// The harness with this folder's `relative` checkout as its content root.
    pub(crate) fn harness_with_content(&self, relative: &str) -> Harness {
        harness().with_content_root(ContentRoot::open(self.path(relative)).expect("a content root"))
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        // A folder left behind is harmless; a panic in drop would hide the test's own.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A harness on the machine's Python.
pub(crate) fn harness() -> Harness {
    Harness::new(Runtime::new(PythonHost::discover().expect("python")))
}

/// Runs a future to its end on a runtime of its own.
pub(crate) fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(future)
}

/// The workspace's own files, for tests that build on the bundled integrations.
pub(crate) fn workspace_file(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The reasons of a failed verdict, or a panic saying it did not fail.
pub(crate) fn failure_reasons(outcome: &ScenarioOutcome) -> Vec<String> {
    match &outcome.verdict {
        xsoar_harness::Verdict::Failed(reasons) => reasons.clone(),
        other => panic!(
            "expected the scenario to fail, got {other:?}\n{}",
            outcome.snapshot
        ),
    }
}
