//! The shapes an integration comes in: a unified YAML whose `script.script` holds the code, and
//! a pack folder (`Packs/<Pack>/Integrations/<Name>/`) whose mappers live in the pack's
//! `Classifiers/` folder and are found by the names the instance params give.

use std::path::PathBuf;

use xsoar_harness::runtime::{PythonHost, Runtime};
use xsoar_harness::scenario::Scenario;
use xsoar_harness::Harness;

/// A temp folder with the files a test writes, removed afterwards.
struct Tree(PathBuf);

impl Tree {
    fn new(name: &str, files: &[(&str, &str)]) -> Self {
        let dir = std::env::temp_dir().join(format!("sources-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (path, text) in files {
            let file = dir.join(path);
            std::fs::create_dir_all(file.parent().expect("a parent")).expect("create folders");
            std::fs::write(file, text).expect("write a fixture file");
        }
        Self(dir)
    }

    /// Runs the scenario file and returns the Contents of the first entry of its first step.
    fn first_contents(&self, scenario: &str) -> String {
        let root = self.0.join("scenarios");
        let loaded = Scenario::load(&root.join(scenario), &root).expect("the scenario loads");
        let harness = Harness::new(Runtime::new(PythonHost::discover().expect("python")));
        let outcome = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
            .block_on(harness.run(&loaded))
            .expect("the scenario runs");
        let run = &outcome.steps[0].runs[0].run;
        let contents = run.entries.first().map(|e| e["Contents"].clone());
        match contents {
            Some(serde_json::Value::String(text)) => text,
            other => panic!(
                "expected a text entry, got {other:?} ({:?}, stderr {})",
                run.end, run.stderr
            ),
        }
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const SCENARIO: &str =
    "description: d\nintegration:\n  yaml: ../INTEGRATION\nsteps:\n  - command: test-module\n";

#[test]
fn a_unified_yaml_runs_its_embedded_script() {
    let yaml = "commonfields: {id: Unified, version: -1}\nname: Unified\nscript:\n  type: python\n  script: |\n    \
                import demistomock as demisto\n    \
                from CommonServerPython import *\n    \
                return_results('embedded code ran')\n";
    let tree = Tree::new(
        "unified",
        &[
            ("Unified/integration-Unified.yml", yaml),
            (
                "scenarios/s.yaml",
                &SCENARIO.replace("INTEGRATION", "Unified/integration-Unified.yml"),
            ),
        ],
    );
    assert_eq!(tree.first_contents("s.yaml"), "embedded code ran");
}

#[test]
fn a_pack_folder_finds_its_code_and_the_mappers_in_classifiers() {
    let yaml = "commonfields: {id: Greeter, version: -1}\nname: Greeter\n\
                configuration:\n- {name: mapper-in, type: 0, defaultvalue: Greeter - Incoming}\n\
                script: {script: '-', type: python}\n";
    let code = "import demistomock as demisto\nfrom CommonServerPython import *\n\n\
                mapped = demisto.mapObject({'salutation': 'Hello'}, demisto.params()['mapper-in'], 'Greeting')\n\
                return_results(mapped['greeting'])\n";
    let mapper = r#"{"id": "Greeter - Incoming", "name": "Greeter - Incoming", "type": "mapping-incoming",
                     "mapping": {"Greeting": {"internalMapping": {"greeting": {"complex": {"root": "salutation",
                     "transformers": [{"operator": "concat", "args": {"suffix": {"value": {"simple": " from the pack"}}}}]}}}}}}"#;
    let tree = Tree::new(
        "pack",
        &[
            ("Packs/Greet/Integrations/Greeter/Greeter.yml", yaml),
            ("Packs/Greet/Integrations/Greeter/Greeter.py", code),
            (
                "Packs/Greet/Classifiers/classifier-mapper-incoming-Greeter.json",
                mapper,
            ),
            (
                "scenarios/s.yaml",
                &SCENARIO.replace("INTEGRATION", "Packs/Greet/Integrations/Greeter"),
            ),
        ],
    );
    assert_eq!(tree.first_contents("s.yaml"), "Hello from the pack");
}
