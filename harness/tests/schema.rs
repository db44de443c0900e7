//! The JSON Schema of the scenario format (`xsoar-harness schema`): the committed
//! `scenario.schema.json` is the generated one, every bundled scenario and explore base
//! validates against it, and it rejects every malformed fixture whose error is a schema error
//! (an unknown key, a wrong type, a missing key, a bad enum value or quantity).

use std::path::{Path, PathBuf};

use serde_json::Value;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The malformed fixtures the schema cannot reject, each with why: their error is in the YAML
/// itself (read before any schema applies), in a bound or a count, or in what the scenario
/// names outside the file.
const NOT_SCHEMA_ERRORS: &[(&str, &str)] = &[
    (
        "advance-beyond-limit.yaml",
        "a bound: the advance is a valid duration, only longer than limits.advance",
    ),
    (
        "alias-bomb.yaml",
        "YAML: aliases expand beyond the reader's budget before any schema applies",
    ),
    ("bad-yaml.yaml", "YAML syntax: an unclosed flow sequence"),
    (
        "colon-in-plain-value.yaml",
        "YAML syntax: `: ` inside a plain value",
    ),
    (
        "deep-nesting.yaml",
        "YAML: nesting beyond the reader's depth before any schema applies",
    ),
    (
        "missing-integration.yaml",
        "a file: the integration YAML does not exist",
    ),
    ("not-utf8.yaml", "the file is not UTF-8 text"),
    (
        "tag-include.yaml",
        "YAML tags are refused by the reader, not by a schema",
    ),
    (
        "tag-python.yaml",
        "YAML tags are refused by the reader, not by a schema",
    ),
    (
        "tag-secret.yaml",
        "YAML tags are refused by the reader, not by a schema",
    ),
    (
        "tiny-output-limit.yaml",
        "a bound: 1KiB is a valid size, only below the smallest output limit",
    ),
    (
        "two-documents.yaml",
        "YAML: a second document; a schema judges one",
    ),
    ("unclosed-quote.yaml", "YAML syntax: an unclosed quote"),
    (
        "unknown-command.yaml",
        "the integration: its YAML declares no such command",
    ),
    (
        "unknown-param.yaml",
        "the integration: its YAML declares no such param",
    ),
    (
        "vendor-bad-token.yaml",
        "the vendor: a ServiceNow token's user:password form is the mock's own check",
    ),
    (
        "zero-timeout.yaml",
        "a bound: 0s is a valid duration, only below the shortest timeout",
    ),
];

/// The schema, compiled.
struct Validator {
    schemas: boon::Schemas,
    index: boon::SchemaIndex,
}

impl Validator {
    fn new() -> Self {
        const LOCATION: &str = "http://xsoar-harness.invalid/scenario.schema.json";
        let mut schemas = boon::Schemas::new();
        let mut compiler = boon::Compiler::new();
        compiler
            .add_resource(LOCATION, xsoar_harness::scenario::schema())
            .expect("the schema is a JSON document");
        let index = compiler
            .compile(LOCATION, &mut schemas)
            .unwrap_or_else(|e| panic!("the schema compiles: {e:#}"));
        Self { schemas, index }
    }

    /// Why `value` does not match, if it does not.
    fn problem(&self, value: &Value) -> Option<String> {
        self.schemas
            .validate(value, self.index)
            .err()
            .map(|e| format!("{e:#}"))
    }
}

/// The file as JSON, read as the harness reads scenarios (one document, no tags); `None` for
/// a file the YAML reader refuses.
fn yaml_value(path: &Path) -> Option<Value> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    yaml_text_value(&String::from_utf8(bytes).ok()?)
}

fn yaml_text_value(text: &str) -> Option<Value> {
    let mut options = serde_saphyr::Options::default();
    options.reject_unsupported_tags = true;
    serde_saphyr::from_str_with_options(text, options).ok()
}

/// The `.yaml` files under `dir`, recursively, sorted.
fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![dir.to_owned()];
    while let Some(folder) = folders.pop() {
        let entries =
            std::fs::read_dir(&folder).unwrap_or_else(|e| panic!("{}: {e}", folder.display()));
        for entry in entries {
            let path = entry.expect("a folder entry").path();
            if path.is_dir() {
                folders.push(path);
            } else if path
                .extension()
                .is_some_and(|ext| ext == "yaml" || ext == "yml")
            {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn the_committed_schema_is_the_generated_one() {
    let path = workspace().join("scenario.schema.json");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == xsoar_harness::scenario::schema_text(),
        "{} is not the schema the scenario types generate; regenerate it with\n    \
         cargo run -p xsoar-harness -- schema > scenario.schema.json",
        path.display()
    );
}

#[test]
fn every_bundled_scenario_and_explore_base_matches_the_schema() {
    let validator = Validator::new();
    let mut files = yaml_files(&workspace().join("scenarios"));
    let scenarios = files.len();
    let bases = yaml_files(&workspace().join("explore"));
    files.extend(bases.iter().cloned());
    assert!(scenarios > 100, "found only {scenarios} scenarios");
    assert!(!bases.is_empty(), "found no explore bases");
    let mut failures = Vec::new();
    for path in &files {
        let Some(mut value) = yaml_value(path) else {
            failures.push(format!("{}: not a YAML document", path.display()));
            continue;
        };
        // An explore base has no steps: the harness reads it with one step added.
        if bases.contains(path) {
            if let Value::Object(fields) = &mut value {
                fields
                    .entry("steps")
                    .or_insert_with(|| serde_json::json!([{"fetch": {}}]));
            }
        }
        if let Some(problem) = validator.problem(&value) {
            failures.push(format!("{}: {problem}", path.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} files do not match the schema:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn the_schema_rejects_every_malformed_fixture_that_is_a_schema_error() {
    let validator = Validator::new();
    let dir = workspace().join("harness/tests/fixtures/malformed");
    let fixtures = yaml_files(&dir);
    let mut problems = Vec::new();
    for (listed, _) in NOT_SCHEMA_ERRORS {
        if !dir.join(listed).exists() {
            problems.push(format!("{listed} is listed but no fixture has that name"));
        }
    }
    for path in &fixtures {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let name = name.unwrap_or_default();
        let listed = NOT_SCHEMA_ERRORS.iter().find(|(n, _)| *n == name);
        let rejection = yaml_value(path).map(|value| validator.problem(&value));
        match (rejection, listed) {
            // The YAML reader refuses it: only a listed fixture may be such a file.
            (None, Some(_)) | (Some(None), Some(_)) => {}
            (Some(Some(_)), None) => {}
            (None, None) => problems.push(format!(
                "{name}: the YAML reader refuses it; list it in NOT_SCHEMA_ERRORS with the reason"
            )),
            (Some(None), None) => problems.push(format!(
                "{name}: the schema accepts it; make the schema reject it, or list it in \
                 NOT_SCHEMA_ERRORS with the reason it is not a schema error"
            )),
            (Some(Some(problem)), Some(_)) => problems.push(format!(
                "{name}: listed as not a schema error, but the schema rejects it (take it off \
                 the list):\n{problem}"
            )),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Scenarios at the edges of the format, each with whether the parser reads it: the schema
/// must say the same.
const EDGES: &[(bool, &str)] = &[
    // Plain scalars are text where the parser wants text, YAML 1.1 words are booleans, and
    // quoted or hex numbers are numbers.
    (true, "description: 123\nsteps: [{command: true}]"),
    (true, "steps: [{local: {incident: \"1\", reopen: yes, entry: {text: 42}}}]"),
    (true, "steps: [{fault: {times: \"2\", after: 0x1, respond: drop}}]"),
    (true, "server: {version: 6.10, mirror_job_enable: off, mirror_job_delay: 1_0}\nsteps: [{sync: {}}]"),
    (true, "timeout: \" 5 s \"\nlimits: {output: 1 MiB, memory: 4GiB, advance: 2d}\nsteps: [{advance: 90m}]"),
    (true, "integration: {yaml: \"pypi:demisto-sdk==1.0/a/b.yml\"}\nsteps: [{command: x, expect: null}]"),
    (true, "expect_failure: {rule: manifest.iam-mappers}\nmanifest_findings: [manifest.iam-mappers]\nsteps: [{fetch: {}}]"),
    (true, "vendor:\n  kind: stub\n  stubs:\n    - match: {method: GET, path: /a/*, query: {n: 1}, headers: {X-A: true}}\n      respond: {status: 201, headers: {Link: [a, 2]}, json: {ok: 1}, delay: 2s}\n      times: 1\n  faults: [{match: {path: /a/**}, respond: {status: 503}}, {respond: {delay: 250ms}}]\nsteps: [{remote: {update: {}}}]"),
    (true, "vendor: {kind: okta, faults: [{respond: {drop: null}}, {respond: {rate-limit: ~}}]}\nsteps: [{fetch: {}}]"),
    (true, "steps: [{create: {name: n, type: Phishing, direction: Both, tags: [a]}}, {debug: {command: getMirrorStatistics}}, {check: {incidents: 1, incident: {id: 1}}}]"),
    // What the parser refuses and the schema can tell.
    (false, "steps: [{fetch: {}, args: {a: 1}}]"),
    (false, "steps: [{}]"),
    (false, "steps: [{fetch: null}]"),
    (false, "steps: [{advance: 5m, sync: {}}]"),
    (false, "steps: [{advance: 5 parsecs}]"),
    (false, "steps: [{advance: 5}]"),
    (false, "integration: {yaml: \"pypi:demisto-sdk\"}\nsteps: [{fetch: {}}]"),
    (false, "limits: {output: 64}\nsteps: [{fetch: {}}]"),
    (false, "server: {version: six}\nsteps: [{fetch: {}}]"),
    (false, "server: {mirror_job_enable: maybe}\nsteps: [{fetch: {}}]"),
    (false, "expect_failure: {rule: nope}\nsteps: [{fetch: {}}]"),
    (false, "manifest_findings: [iam.failure-has-error]\nsteps: [{fetch: {}}]"),
    (false, "steps: [{debug: {command: getMirrorStats}}]"),
    (false, "steps: [{create: {name: n, direction: Sideways}}]"),
    (false, "vendor: {kind: oktaa}\nsteps: [{fetch: {}}]"),
    (false, "vendor: {kind: stub, stubs: [{respond: {json: {}, body: x}}]}\nsteps: [{fetch: {}}]"),
    (false, "vendor: {kind: stub, stubs: [{match: {path: api}, respond: {}}]}\nsteps: [{fetch: {}}]"),
    (false, "vendor: {kind: okta, faults: [{respond: {status: 99}}]}\nsteps: [{fetch: {}}]"),
    (false, "vendor: {kind: okta, faults: [{respond: {delay: 1.5s}}]}\nsteps: [{fetch: {}}]"),
    (false, "vendor: {kind: okta, faults: [{respond: teapot}]}\nsteps: [{fetch: {}}]"),
];

#[test]
fn the_schema_agrees_with_the_parser_at_the_edges() {
    let validator = Validator::new();
    let mut problems = Vec::new();
    for (parses, edge) in EDGES {
        let mut text = String::new();
        if !edge.contains("description:") {
            text.push_str("description: d\n");
        }
        if !edge.contains("integration:") {
            text.push_str("integration: {yaml: a.yml}\n");
        }
        text.push_str(edge);
        text.push('\n');
        let parsed = xsoar_harness::scenario::Scenario::parse(&text, Path::new("edge.yaml"));
        if parsed.is_ok() != *parses {
            problems.push(format!(
                "the parser {} this case, the test says otherwise:\n{text}{:?}",
                if parsed.is_ok() { "reads" } else { "refuses" },
                parsed.err().map(|e| e.to_string())
            ));
            continue;
        }
        let Some(value) = yaml_text_value(&text) else {
            problems.push(format!("not a YAML document:\n{text}"));
            continue;
        };
        match (validator.problem(&value), parses) {
            (Some(problem), true) => problems.push(format!(
                "the schema refuses a scenario the parser reads:\n{text}{problem}"
            )),
            (None, false) => problems.push(format!(
                "the schema accepts a scenario the parser refuses:\n{text}"
            )),
            _ => {}
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
