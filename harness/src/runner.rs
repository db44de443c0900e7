//! Running a scenario end to end: start the mock vendor, configure the instance, run every
//! step through the runtime, check the contracts, and build the snapshot document.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mock_vendors::clock::Clock;
use mock_vendors::mock_vendor::{JournalEntry, MockVendor};
use mock_vendors::vendor::{self, Vendor};
use serde_json::{json, Map, Value};

use crate::checks::{self, Rule, Violation};
use crate::iam;
use crate::integration::Integration;
use crate::runtime::protocol::{HarnessInfo, StartMessage};
use crate::runtime::{CommandRun, RunEnd, Runtime};
use crate::scenario::{Scenario, ScenarioError, SourcePos, Step};
use crate::server::instance::{Instance, Secrets};
use crate::server::{xsoar_args, Server};
use crate::snapshot::{self, Redactor};

/// Runs scenarios.
#[derive(Debug, Clone)]
pub struct Harness {
    runtime: Runtime,
}

/// What one step did.
#[derive(Debug, Clone)]
pub struct StepOutcome {
    /// The command.
    pub command: String,
    /// The arguments as the scenario wrote them (the runtime receives them as strings).
    pub args: Map<String, Value>,
    /// The run.
    pub run: CommandRun,
    /// The vendor requests the step caused.
    pub requests: Vec<JournalEntry>,
}

/// Whether a scenario passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// No rule was violated.
    Passed,
    /// A broken integration violated the rule its scenario expects: the check is proven.
    ExpectedFailure(Rule),
    /// Something failed: the reasons, for people.
    Failed(Vec<String>),
}

impl Verdict {
    /// Whether the scenario counts as passing.
    pub fn is_pass(&self) -> bool {
        !matches!(self, Verdict::Failed(_))
    }
}

/// Everything a scenario run produced.
#[derive(Debug)]
pub struct ScenarioOutcome {
    /// The scenario name (`iam/create-new-user`).
    pub name: String,
    /// Its description.
    pub description: String,
    /// The scenario file.
    pub path: PathBuf,
    /// The steps that ran.
    pub steps: Vec<StepOutcome>,
    /// The rules broken.
    pub violations: Vec<Violation>,
    /// The verdict on violations and `expect_failure` (snapshots are judged separately).
    pub verdict: Verdict,
    /// The redacted snapshot document, rendered.
    pub snapshot: String,
    /// Which runtime ran the integration.
    pub runtime: String,
    /// Wall time of the whole scenario.
    pub wall: Duration,
    /// Values that must never be shown.
    pub secrets: Secrets,
}

/// The integration, instance and vendor a scenario runs against.
struct Setup {
    integration: Integration,
    server: Server,
    vendor: Option<MockVendor>,
    clock: Clock,
}

impl Harness {
    /// A harness on `runtime`.
    pub fn new(runtime: Runtime) -> Self {
        Self { runtime }
    }

    /// Runs a scenario. `Err` means the scenario cannot run at all (it names the place in the
    /// file); everything the integration does wrong is in the outcome.
    pub async fn run(&self, scenario: &Scenario) -> Result<ScenarioOutcome, ScenarioError> {
        let began = Instant::now();
        let mut setup = setup(scenario).await?;
        let mut steps = Vec::new();
        let mut violations = Vec::new();
        for (index, step) in scenario.spec.steps.iter().enumerate() {
            let number = index + 1;
            let command = step.command.value.clone();
            let at_step = |rule: Rule, message: String| Violation {
                rule,
                step: Some((number, command.clone())),
                message,
            };
            let outcome = self.run_step(scenario, &mut setup, step).await?;
            for entry in &outcome.run.entries {
                if let Some(context) = entry.get("EntryContext") {
                    setup.server.context.merge(context);
                }
            }
            let vendor = setup
                .vendor
                .as_ref()
                .map(|v| v.vendor().as_ref() as &dyn Vendor);
            let runtime_failure = checks::runtime_violation(&outcome.run.end, &outcome.run.stderr);
            if iam::is_management_command(&command) {
                for (rule, message) in
                    checks::check_iam_command(&outcome.run, &setup.server.instance, vendor)
                {
                    violations.push(at_step(rule, message));
                }
            } else if let RunEnd::Exception(traceback) = &outcome.run.end {
                let last = traceback
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("");
                violations.push(at_step(
                    Rule::ScenarioExpect,
                    format!("the command raised: {last}"),
                ));
            }
            if let Some(expect) = &step.expect {
                for message in expectation_mismatches(expect, &outcome.run) {
                    violations.push(at_step(Rule::ScenarioExpect, message));
                }
            }
            let stop = runtime_failure.is_some();
            if let Some((rule, message)) = runtime_failure {
                violations.push(at_step(rule, message));
            }
            steps.push(outcome);
            if stop {
                // Later steps build on this one; their results would only add noise.
                break;
            }
        }
        let secrets = setup.server.instance.secrets.clone();
        for violation in &mut violations {
            violation.message = secrets.mask(&violation.message);
        }
        let verdict = verdict(scenario, &violations);
        let document = snapshot_document(scenario, &setup, &steps);
        let document = Redactor::default().redact(&secrets.mask_value(&document));
        Ok(ScenarioOutcome {
            name: scenario.name.clone(),
            description: scenario.spec.description.clone(),
            path: scenario.path.clone(),
            steps,
            violations,
            verdict,
            snapshot: snapshot::render(&document),
            runtime: "built-in".to_owned(),
            wall: began.elapsed(),
            secrets,
        })
    }

    async fn run_step(
        &self,
        scenario: &Scenario,
        setup: &mut Setup,
        step: &Step,
    ) -> Result<StepOutcome, ScenarioError> {
        let instance = &setup.server.instance;
        let start = StartMessage {
            script: setup.integration.code.clone(),
            integration: true,
            native: false,
            command: step.command.value.clone(),
            args: xsoar_args(&step.args),
            params: instance.params.clone(),
            context: instance.calling_context(&[]),
            harness: HarnessInfo {
                now: setup.clock.now_millis(),
                script_name: setup.integration.script_name(),
                server_version: setup.server.version.clone(),
                build_number: "harness".to_owned(),
            },
        };
        let journal_before = match &setup.vendor {
            Some(vendor) => vendor.journal().await.len(),
            None => 0,
        };
        // The process runs in a private folder: the search path must be absolute.
        let folder = setup.integration.folder();
        let python_path = [std::path::absolute(folder).unwrap_or_else(|_| folder.to_owned())];
        let run = self
            .runtime
            .run(&start, &python_path, &mut setup.server, scenario.timeout())
            .await
            .map_err(|e| ScenarioError::invalid(&scenario.path, &step.command, e.to_string()))?;
        let requests = match &setup.vendor {
            Some(vendor) => vendor.journal().await.split_off(journal_before),
            None => Vec::new(),
        };
        Ok(StepOutcome {
            command: start.command,
            args: step
                .args
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            run,
            requests,
        })
    }
}

/// Loads the integration, starts the vendor and configures the instance.
async fn setup(scenario: &Scenario) -> Result<Setup, ScenarioError> {
    let spec = &scenario.spec;
    let path = &scenario.path;
    let yaml = scenario.resolve(&spec.integration.yaml.value);
    if !yaml.is_file() {
        return Err(ScenarioError::invalid(
            path,
            &spec.integration.yaml,
            format!("integration YAML {} does not exist", yaml.display()),
        ));
    }
    let code = match &spec.integration.code {
        Some(code) => {
            let resolved = scenario.resolve(&code.value);
            if !resolved.is_file() {
                return Err(ScenarioError::invalid(
                    path,
                    code,
                    format!("integration code {} does not exist", resolved.display()),
                ));
            }
            Some(resolved)
        }
        None => None,
    };
    let mappers = match &spec.integration.mappers {
        Some(list) => {
            let mut resolved = Vec::new();
            for mapper in list {
                let file = scenario.resolve(&mapper.value);
                if !file.is_file() {
                    return Err(ScenarioError::invalid(
                        path,
                        mapper,
                        format!("mapper file {} does not exist", file.display()),
                    ));
                }
                resolved.push(file);
            }
            Some(resolved)
        }
        None => None,
    };
    let integration = Integration::load(&yaml, code.as_deref(), mappers.as_deref())
        .map_err(|e| ScenarioError::invalid(path, &spec.integration.yaml, e.to_string()))?;
    let manifest = &integration.manifest;
    for step in &spec.steps {
        if !manifest.knows_command(&step.command.value) {
            let declared: Vec<&str> = manifest
                .script
                .commands
                .iter()
                .map(|c| c.name.as_str())
                .collect();
            return Err(ScenarioError::invalid(
                path,
                &step.command,
                format!(
                    "integration `{}` has no command `{}` (declared: {}; the server also runs test-module, fetch-incidents, get-mapping-fields and the mirroring commands)",
                    manifest.name,
                    step.command.value,
                    declared.join(", ")
                ),
            ));
        }
    }
    if let Some(expected) = &spec.expect_failure {
        if Rule::from_id(&expected.rule.value).is_none() {
            let known: Vec<&str> = Rule::ALL.iter().map(|r| r.id()).collect();
            return Err(ScenarioError::invalid(
                path,
                &expected.rule,
                format!(
                    "unknown rule `{}` (rules: {})",
                    expected.rule.value,
                    known.join(", ")
                ),
            ));
        }
    }
    let clock = Clock::default();
    let mut vendor_url = None;
    let vendor = match &spec.vendor {
        None => None,
        Some(vendor_spec) => {
            let created =
                vendor::create(vendor_spec.kind, clock.clone(), vendor_spec.token.clone())
                    .map_err(|e| {
                        ScenarioError::invalid(path, &spec.integration.yaml, e.to_string())
                    })?;
            if let Some(seed) = &vendor_spec.seed {
                created
                    .seed(&seed.value)
                    .map_err(|e| ScenarioError::invalid(path, seed, format!("vendor seed: {e}")))?;
            }
            let running = MockVendor::start(Arc::clone(&created)).await;
            for fault in &vendor_spec.faults {
                running.inject(fault).await;
            }
            vendor_url = Some((vendor_spec.url_param.as_str(), running.uri()));
            Some(running)
        }
    };
    let instance = Instance::configure(manifest, scenario, vendor_url)?;
    let server = Server::new(instance, integration.mappers.clone());
    Ok(Setup {
        integration,
        server,
        vendor,
        clock,
    })
}

/// The mismatches between a step's `expect` and its run.
fn expectation_mismatches(expect: &crate::scenario::StepExpect, run: &CommandRun) -> Vec<String> {
    let mut found = Vec::new();
    let mut against = |label: &str, expected: &Option<Value>, actual: Option<Value>| {
        if let Some(expected) = expected {
            match actual {
                None => found.push(format!(
                    "expected {label} {expected}, but the command produced none"
                )),
                Some(actual) => {
                    if let Some(m) = checks::subset_mismatch(&actual, expected) {
                        found.push(format!("{label}: {m}"));
                    }
                }
            }
        }
    };
    let last = |path: &str| iam::outputs(&run.entries, path).pop();
    against("IAM.Vendor", &expect.vendor, last(iam::VENDOR_PATH));
    against(
        "IAM.UserProfile",
        &expect.user_profile,
        last(iam::USER_PROFILE_PATH),
    );
    against(
        "Contents",
        &expect.contents,
        run.entries.first().map(entry_contents),
    );
    if let Some(text) = &expect.error {
        let errors: Vec<String> = run
            .entries
            .iter()
            .filter(|e| e.get("Type").and_then(Value::as_i64) == Some(4))
            .map(|e| entry_contents(e).to_string())
            .collect();
        if !errors.iter().any(|e| e.contains(text.as_str())) {
            found.push(if errors.is_empty() {
                format!("expected an error entry containing {text:?}, but there was none")
            } else {
                format!(
                    "expected an error entry containing {text:?}, got {}",
                    errors.join(" | ")
                )
            });
        }
    }
    found
}

/// An entry's Contents, parsed when it is JSON text.
fn entry_contents(entry: &Value) -> Value {
    match entry.get("Contents") {
        Some(Value::String(text))
            if entry.get("ContentsFormat").and_then(Value::as_str) == Some("json") =>
        {
            serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.clone()))
        }
        Some(other) => other.clone(),
        None => Value::Null,
    }
}

fn verdict(scenario: &Scenario, violations: &[Violation]) -> Verdict {
    match &scenario.spec.expect_failure {
        None if violations.is_empty() => Verdict::Passed,
        None => Verdict::Failed(violations.iter().map(ToString::to_string).collect()),
        Some(expected) => {
            let wanted = expected.rule.value.as_str();
            let proven = violations.iter().find(|v| {
                v.rule.id() == wanted
                    && expected
                        .message
                        .as_deref()
                        .is_none_or(|m| v.message.contains(m))
            });
            match proven {
                Some(v) => Verdict::ExpectedFailure(v.rule),
                None => {
                    let mut reasons = vec![format!(
                        "{}: expected the run to violate `{wanted}`{}, but it did not",
                        SourcePos::of(&scenario.path, &expected.rule),
                        expected
                            .message
                            .as_deref()
                            .map(|m| format!(" with a message containing {m:?}"))
                            .unwrap_or_default()
                    )];
                    reasons.extend(violations.iter().map(|v| format!("instead: {v}")));
                    Verdict::Failed(reasons)
                }
            }
        }
    }
}

fn snapshot_document(scenario: &Scenario, setup: &Setup, steps: &[StepOutcome]) -> Value {
    let steps: Vec<Value> = steps
        .iter()
        .map(|step| {
            let entries: Vec<Value> = step.run.entries.iter().map(snapshot_entry).collect();
            let requests: Vec<String> = step.requests.iter().map(request_line).collect();
            let mut record = Map::new();
            record.insert("command".into(), json!(step.command));
            if !step.args.is_empty() {
                record.insert("args".into(), Value::Object(step.args.clone()));
            }
            record.insert("end".into(), json!(end_label(&step.run.end)));
            record.insert("entries".into(), Value::Array(entries));
            record.insert("requests".into(), json!(requests));
            Value::Object(record)
        })
        .collect();
    json!({
        "scenario": scenario.name,
        "integration": setup.integration.manifest.name,
        "steps": steps,
        "context": {
            "IAM.Vendor": setup.server.context.get(iam::VENDOR_PATH),
            "IAM.UserProfile": setup.server.context.get(iam::USER_PROFILE_PATH),
        },
        "vendor_state": setup.vendor.as_ref().map(|v| v.vendor().dump()),
    })
}

fn snapshot_entry(entry: &Value) -> Value {
    let mut record = Map::new();
    for (key, label) in [("Type", "type"), ("ContentsFormat", "format")] {
        if let Some(value) = entry.get(key) {
            record.insert(label.into(), value.clone());
        }
    }
    record.insert("contents".into(), entry_contents(entry));
    if let Some(Value::String(readable)) = entry.get("HumanReadable") {
        if !readable.is_empty() {
            record.insert("human_readable".into(), json!(readable));
        }
    }
    Value::Object(record)
}

fn request_line(request: &JournalEntry) -> String {
    let mut line = format!("{} {}", request.method, request.path);
    if let Some(query) = request.query.as_deref().filter(|q| !q.is_empty()) {
        line.push('?');
        line.push_str(query);
    }
    if let Some(body) = &request.body {
        line.push(' ');
        line.push_str(&body.to_string());
    }
    line
}

/// A short label for how a run ended.
pub fn end_label(end: &RunEnd) -> String {
    match end {
        RunEnd::Completed => "completed".into(),
        RunEnd::Exception(_) => "exception".into(),
        RunEnd::Crashed(status) => format!("crashed ({status})"),
        RunEnd::TimedOut(after) => format!("timed out after {after:?}"),
        RunEnd::Protocol(_) => "protocol error".into(),
        RunEnd::Incomplete => "exited without completing".into(),
    }
}
