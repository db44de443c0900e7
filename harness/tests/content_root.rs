//! Content-root mode, proven on a small fake content tree the test builds (no network, no copy
//! of the real repository): modules come from the tree, and its CommonServerPython wins over
//! the built-in one.

use std::path::{Path, PathBuf};

use xsoar_harness::runtime::ContentRoot;
use xsoar_harness::runtime::{PythonHost, Runtime};
use xsoar_harness::scenario::Scenario;
use xsoar_harness::{Harness, ScenarioOutcome};

/// A fake checkout, an integration using an API module, and scenarios, in a temp folder.
struct Fixture(PathBuf);

impl Fixture {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("content-root-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let write = |path: &str, text: &str| {
            let file = dir.join(path);
            std::fs::create_dir_all(file.parent().expect("a parent")).expect("create folders");
            std::fs::write(file, text).expect("write a fixture file");
        };
        write(
            "content/Packs/Base/Scripts/CommonServerPython/CommonServerPython.py",
            "import demistomock as demisto\n\n\
             def return_results(value):\n    \
             demisto.results({'Type': 1, 'ContentsFormat': 'text', 'Contents': 'fake CSP: ' + str(value)})\n",
        );
        write(
            "content/Packs/ApiModules/Scripts/GreetingApiModule/GreetingApiModule.py",
            "from CommonServerPython import *\n\n\ndef greeting():\n    return 'hello from the API module'\n",
        );
        write(
            "integration/Greeter/Greeter.yml",
            "commonfields: {id: Greeter, version: -1}\nname: Greeter\nscript: {script: '-', type: python, subtype: python3}\n",
        );
        write(
            "integration/Greeter/Greeter.py",
            "import demistomock as demisto\nfrom CommonServerPython import *\nfrom GreetingApiModule import *\n\n\
             if demisto.command() == 'test-module':\n    return_results(greeting())\n",
        );
        let scenario = |content_root: &str| {
            format!(
                "description: the integration greets through its API module\n{content_root}\
                 integration:\n  yaml: ../integration/Greeter/Greeter.yml\nsteps:\n  - command: test-module\n"
            )
        };
        write(
            "scenarios/in-scenario.yaml",
            &scenario("content_root: ../content\n"),
        );
        write("scenarios/plain.yaml", &scenario(""));
        Self(dir)
    }

    fn run(&self, harness: &Harness, scenario: &str) -> ScenarioOutcome {
        let root = self.0.join("scenarios");
        let loaded = Scenario::load(&root.join(scenario), &root).expect("the scenario loads");
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
            .block_on(harness.run(&loaded))
            .expect("the scenario runs")
    }

    fn content(&self) -> PathBuf {
        self.0.join("content")
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn harness() -> Harness {
    Harness::new(Runtime::new(PythonHost::discover().expect("python")))
}

fn contents(outcome: &ScenarioOutcome) -> String {
    let run = &outcome.steps[0].runs[0].run;
    assert!(
        run.stderr.is_empty() || run.entries.len() == 1,
        "stderr: {}",
        run.stderr
    );
    run.entries
        .first()
        .and_then(|e| e["Contents"].as_str())
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn a_scenario_content_root_supplies_common_server_python_and_api_modules() {
    let fixture = Fixture::new("scenario");
    let outcome = fixture.run(&harness(), "in-scenario.yaml");
    assert_eq!(contents(&outcome), "fake CSP: hello from the API module");
    assert!(
        outcome.runtime.starts_with("content root"),
        "{}",
        outcome.runtime
    );
    assert!(outcome.verdict.is_pass(), "{:?}", outcome.verdict);
}

#[test]
fn the_harness_content_root_applies_to_scenarios_without_one() {
    let fixture = Fixture::new("harness");
    let root = ContentRoot::open(fixture.content()).expect("a content root");
    let outcome = fixture.run(&harness().with_content_root(root), "plain.yaml");
    assert_eq!(contents(&outcome), "fake CSP: hello from the API module");
}

#[test]
fn without_a_content_root_the_built_in_modules_run() {
    let fixture = Fixture::new("builtin");
    let outcome = fixture.run(&harness(), "plain.yaml");
    assert_eq!(outcome.runtime, "built-in");
    let run = &outcome.steps[0].runs[0].run;
    let failure = format!("{:?}", run.end);
    assert!(
        failure.contains("No module named 'GreetingApiModule'"),
        "{failure}"
    );
}

#[test]
fn a_folder_without_common_server_python_is_refused_with_the_reason() {
    let error = ContentRoot::open(Path::new("/nonexistent/content")).expect_err("not a checkout");
    assert!(
        error
            .to_string()
            .contains("CommonServerPython.py does not exist"),
        "{error}"
    );
}
