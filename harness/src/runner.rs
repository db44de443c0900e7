//! Running a scenario end to end: start the session, run every step, check the contracts, and
//! build the snapshot document.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use mock_vendors::{format_iso_millis, JournalEntry};
use serde_json::{json, Map, Value};

use crate::checks::manifest::{check_manifest, Finding, Severity};
use crate::checks::{self, Rule, Violation};
use crate::error::HarnessError;
use crate::iam;
use crate::integration::ServerCommand;
use crate::rules::ManifestRule;
use crate::runtime::content::{ContentRoot, ModuleSource};
use crate::runtime::{RunEnd, Runtime, RuntimeError};
use crate::scenario::{Check, CommandStep, Scenario, SourcePos, Step, StepExpect};
use crate::secrets::Secrets;
use crate::server::mirroring;
use crate::server::MappingFailure;
use crate::server::{Call, CommandRecord};
use crate::session::Session;
use crate::snapshot::{self, Redactor};

/// Runs scenarios.
#[derive(Debug, Clone)]
pub struct Harness {
    runtime: Runtime,
    modules: ModuleSource,
}

/// What one step did.
#[derive(Debug, Clone)]
pub struct StepOutcome {
    /// The step, for people: the command, or `advance 5m`, `fetch`, `local change`, ...
    pub label: String,
    /// Whether the step was a command the scenario ran (rather than one the server ran).
    pub is_command: bool,
    /// The integration runs the step caused, in order.
    pub runs: Vec<CommandRecord>,
    /// What the server answered, for steps that are not integration commands.
    pub result: Option<Value>,
    /// What the server could not classify or map during the step.
    pub mapping_failures: Vec<MappingFailure>,
    /// Why the step could not be carried out, if it could not, and where in the scenario.
    pub failed: Option<(SourcePos, String)>,
    /// Wall time of the step.
    pub wall: Duration,
}

/// Why a step stopped short.
enum StepError {
    /// The step cannot be carried out on the state the earlier steps left.
    State(String),
    /// Like `State`, about one value of the step.
    StateAt(SourcePos, String),
    /// An integration run could not start.
    Run(RuntimeError),
}

impl From<RuntimeError> for StepError {
    fn from(error: RuntimeError) -> Self {
        match error {
            // A bound of the scenario, not a failure of the machine: the step fails there.
            bound @ RuntimeError::RunsExhausted { .. } => Self::State(bound.to_string()),
            other => Self::Run(other),
        }
    }
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
    /// Which runtime ran the integration: where CommonServerPython and the API modules came
    /// from.
    pub runtime: String,
    /// The Python environment, for people: version, image, packages and what differs.
    pub python: String,
    /// Wall time of the whole scenario.
    pub wall: Duration,
    /// Values that must never be shown.
    pub secrets: Secrets,
}

impl Harness {
    /// A harness on `runtime`, with the built-in CommonServerPython and API modules.
    pub fn new(runtime: Runtime) -> Self {
        Self {
            runtime,
            modules: ModuleSource::BuiltIn,
        }
    }

    /// Takes CommonServerPython and the API modules from a content checkout instead (a
    /// scenario's own `content_root` still wins).
    pub fn with_content_root(mut self, root: ContentRoot) -> Self {
        self.modules = ModuleSource::Content(root);
        self
    }

    /// Runs a scenario. `Err` means the scenario cannot run at all: its file is wrong (a load
    /// error naming the place) or the harness could not run it; everything the integration
    /// does wrong is in the outcome.
    pub async fn run(&self, scenario: &Scenario) -> Result<ScenarioOutcome, HarnessError> {
        let began = Instant::now();
        let mut session = Session::start(&self.runtime, &self.modules, scenario)
            .await
            .map_err(|e| e.masked(&scenario.secrets))?;
        let mut steps = Vec::new();
        let integration = &session.integration;
        let manifest = check_manifest(&integration.manifest, integration.own_code.as_deref());
        let mut violations = manifest_violations(&session, &manifest);
        for (index, step) in scenario.spec.steps.iter().enumerate() {
            let mut outcome = match run_step(&mut session, step).await {
                Ok(outcome) => outcome,
                Err(StepError::Run(e)) => return Err(HarnessError::run(&scenario.path, e)),
                Err(StepError::State(message)) => {
                    failed_step(step, SourcePos::of(&scenario.path, step), message)
                }
                Err(StepError::StateAt(at, message)) => failed_step(step, at, message),
            };
            outcome.mapping_failures = session.server.take_mapping_failures();
            let label = outcome.label.clone();
            let mut found = step_violations(&session, &step.value, &outcome);
            if let Some((at, why)) = &outcome.failed {
                found.push((Rule::ScenarioStep, format!("{at}: {why}")));
            }
            let stop = outcome.failed.is_some()
                || found
                    .iter()
                    .any(|(rule, _)| rule.id().starts_with("runtime."));
            violations.extend(found.into_iter().map(|(rule, message)| Violation {
                rule,
                step: Some((index + 1, label.clone())),
                message,
            }));
            steps.push(outcome);
            if stop {
                // Later steps build on this one; their results would only add noise.
                break;
            }
        }
        let journal = session.runs.journal().await;
        violations.extend(
            checks::mirroring::end_of_scenario(
                &session.server,
                session.runs.vendor_state(),
                &journal,
            )
            .into_iter()
            .map(|(rule, message)| Violation {
                rule,
                step: None,
                message,
            }),
        );
        let secrets = session.server.instance.secrets.clone();
        for violation in &mut violations {
            violation.message = secrets.mask(&violation.message);
        }
        let earlier = earlier_failures(&steps, &violations, &secrets);
        let verdict = verdict(scenario, &violations, &earlier);
        let document = snapshot_document(&session, &steps, &manifest);
        let document = run_redactor(&session).redact(&secrets.mask_value(&document));
        Ok(ScenarioOutcome {
            name: scenario.name.clone(),
            description: scenario.spec.description.clone(),
            path: scenario.path.clone(),
            steps,
            violations,
            verdict,
            snapshot: snapshot::render(&document),
            runtime: session.modules.to_string(),
            python: session.runs.python.describe(),
            wall: began.elapsed(),
            secrets,
        })
    }
}

/// A redactor for what differs between two runs of the same scenario: the mock vendor's
/// address (its port is random), the harness's temp folders and cache, the content root, the
/// Python installation, the integration's folder, the working folder and the host name.
fn run_redactor(session: &Session<'_>) -> Redactor {
    let mut redactor = Redactor::default();
    if let Some(vendor) = &session.runs.vendor {
        let url = vendor.uri();
        redactor = redactor.with_literal(&url, "vendor-url");
        if let Some(host) = url.split_once("://").map(|(_, host)| host.to_owned()) {
            redactor = redactor.with_literal(&host, "vendor-host");
            // urllib3 names the port alone: `host='127.0.0.1', port=40019`.
            if let Some((_, port)) = host.rsplit_once(':') {
                redactor = redactor.with_literal(&format!("port={port}"), "vendor-port");
            }
        }
    }
    let temp = std::env::temp_dir().join("xsoar-harness-");
    redactor = redactor.with_prefix(&temp.to_string_lossy(), "temp");
    let host = session.runs.host();
    redactor = redactor.with_literal(&host.cache().to_string_lossy(), "cache");
    if let ModuleSource::Content(root) = &session.modules {
        redactor = redactor.with_literal(&root.root().to_string_lossy(), "content-root");
    }
    // The virtualenv's folder is named for the interpreter and packages of this machine.
    let venv_python = &session.runs.python.python;
    let venv = venv_python.parent().and_then(std::path::Path::parent);
    if let Some(venv) = venv.filter(|venv| venv.join("pyvenv.cfg").is_file()) {
        redactor = redactor.with_literal(&venv.to_string_lossy(), "venv");
    }
    // The standard library of the interpreter behind the virtualenv (tracebacks name it).
    let python = std::fs::canonicalize(venv_python).unwrap_or_else(|_| venv_python.clone());
    if let Some(prefix) = python.parent().and_then(std::path::Path::parent) {
        let version: Vec<&str> = session.runs.python.version.split('.').take(2).collect();
        let lib = prefix
            .join("lib")
            .join(format!("python{}", version.join(".")));
        redactor = redactor.with_literal(&lib.to_string_lossy(), "python-lib");
    }
    let folder = session.integration.folder();
    if let Ok(folder) = std::path::absolute(folder) {
        redactor = redactor.with_literal(&folder.to_string_lossy(), "integration-folder");
    }
    if let Ok(cwd) = std::env::current_dir() {
        redactor = redactor.with_literal(&cwd.to_string_lossy(), "cwd");
    }
    // A host name that could be a word stays: redacting it would change text by machine.
    let distinctive =
        |n: &String| n.len() >= 10 || n.contains(|c: char| c.is_ascii_digit() || c == '-');
    if let Some(name) = hostname().filter(distinctive) {
        redactor = redactor.with_literal(&name, "hostname");
    }
    redactor
}

/// This machine's host name, as the kernel reports it.
fn hostname() -> Option<String> {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()?;
    Some(name.trim().to_owned()).filter(|n| !n.is_empty())
}

/// The runs of earlier steps that failed without breaking a rule themselves (an uncaught
/// exception of a server-run command, an error entry), by step: what a later failure is
/// told after.
fn earlier_failures(
    steps: &[StepOutcome],
    violations: &[Violation],
    secrets: &Secrets,
) -> Vec<(usize, String)> {
    let reported: BTreeSet<usize> = violations
        .iter()
        .filter_map(|v| v.step.as_ref().map(|(n, _)| *n))
        .collect();
    let mut found = Vec::new();
    for (index, step) in steps.iter().enumerate() {
        // A step with violations of its own has said what failed.
        if reported.contains(&(index + 1)) {
            continue;
        }
        for record in &step.runs {
            let Some(error) = record.error_text() else {
                continue;
            };
            // Rate limits and skipped updates are retried by the next run, by design.
            if error.contains(mirroring::RATE_LIMIT) || error.contains(mirroring::SKIP_UPDATE) {
                continue;
            }
            let last = crate::failure::error_summary(&error);
            let how = match record.run.end {
                RunEnd::Exception(_) => "raised",
                _ => "returned an error",
            };
            let mut note = format!(
                "step {} ({}): {} {how}: {last}",
                index + 1,
                step.label,
                record.command
            );
            let tail = crate::failure::stderr_tail(&record.run.stderr);
            note.push_str(&tail);
            found.push((index + 1, secrets.mask(&note)));
        }
    }
    found
}

/// The manifest rules the integration YAML breaks (errors; warnings do not fail a scenario),
/// less those the scenario lists as known, plus listed ones that are no longer found.
fn manifest_violations(session: &Session<'_>, findings: &[Finding]) -> Vec<Violation> {
    let violation = |rule, message| Violation {
        rule,
        step: None,
        message,
    };
    let known: Vec<ManifestRule> = session
        .scenario
        .spec
        .manifest_findings
        .iter()
        .map(|f| f.value)
        .collect();
    let errors: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    let mut found: Vec<Violation> = errors
        .iter()
        .filter(|f| !known.contains(&f.rule))
        .map(|f| violation(Rule::Manifest(f.rule), format!("{}: {}", f.path, f.message)))
        .collect();
    found.extend(
        known
            .iter()
            .filter(|rule| !errors.iter().any(|f| f.rule == **rule))
            .map(|id| {
                violation(
                    Rule::ScenarioExpect,
                    format!("manifest_findings lists `{id}`, but the manifest check no longer finds it: remove it"),
                )
            }),
    );
    found
}

/// The outcome of a step that could not be carried out.
fn failed_step(step: &serde_saphyr::Spanned<Step>, at: SourcePos, message: String) -> StepOutcome {
    StepOutcome {
        failed: Some((at, message)),
        ..StepOutcome::before(&step.value)
    }
}

impl StepOutcome {
    /// The outcome of `step` before it ran: its label, nothing else yet.
    fn before(step: &Step) -> Self {
        Self {
            label: step.label(),
            is_command: false,
            runs: Vec::new(),
            result: None,
            mapping_failures: Vec::new(),
            failed: None,
            wall: Duration::ZERO,
        }
    }
}

/// Runs one step.
async fn run_step(
    session: &mut Session<'_>,
    step: &serde_saphyr::Spanned<Step>,
) -> Result<StepOutcome, StepError> {
    let began = Instant::now();
    let mut outcome = StepOutcome::before(&step.value);
    match &step.value {
        Step::Command(command) => {
            let args: Map<String, Value> = command
                .args
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let record = session
                .run_command(Call::new(command.name.value.clone()).args(args))
                .await
                .map_err(StepError::from)?;
            outcome.is_command = true;
            outcome.runs.push(record);
        }
        Step::Fetch => {
            let (record, created) = mirroring::fetch(&mut session.server, &mut session.runs)
                .await
                .map_err(StepError::from)?;
            outcome.runs.push(record);
            outcome.result = Some(json!({"created": created}));
        }
        Step::Advance(by) => {
            let advanced = mirroring::advance(&mut session.server, &mut session.runs, by.0)
                .await
                .map_err(StepError::from)?;
            outcome.runs = advanced.records;
            let mut result = json!({"now": session.server.now_iso()});
            if !advanced.created.is_empty() {
                result["created"] = json!(advanced.created);
            }
            outcome.result = Some(result);
        }
        Step::Sync => {
            outcome.runs = mirroring::run_job(&mut session.server, &mut session.runs, None, false)
                .await
                .map_err(StepError::from)?;
        }
        Step::Remote(remote) => {
            // A person acts after the job tick the clock stands on, not within it: vendors
            // stamp whole seconds, and `updated > lastUpdate` must see the change.
            session.server.clock.advance(Duration::from_secs(1));
            let vendor = session
                .runs
                .vendor_state()
                .ok_or_else(|| StepError::State("a `remote` step needs a `vendor`".into()))?;
            let mut changed = vendor
                .act(&remote.value)
                .map_err(|e| StepError::State(format!("the vendor refused the change: {e}")))?;
            // The whole record is in vendor_state already; keep what the action changed.
            if let Some(map) = changed.as_object_mut() {
                map.remove("record");
            }
            outcome.result = Some(json!({"action": remote.value, "changed": changed}));
        }
        Step::Local(change) => {
            mirroring::local_change(&mut session.server, change).map_err(|message| {
                StepError::StateAt(
                    SourcePos::of(&session.scenario.path, &change.incident),
                    message.to_string(),
                )
            })?;
        }
        Step::Create(new) => {
            let id = mirroring::create_local(&mut session.server, new);
            outcome.result = Some(json!({"incident": id}));
        }
        Step::Debug(debug) => {
            let args: Map<String, Value> = debug
                .args
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let (result, runs) = mirroring::debug::run(
                &mut session.server,
                &mut session.runs,
                debug.command.value,
                &args,
            )
            .await
            .map_err(|e| match e {
                mirroring::debug::DebugError::Usage(message) => StepError::State(message),
                mirroring::debug::DebugError::Runtime(e) => StepError::from(e),
            })?;
            outcome.runs = runs;
            outcome.result = Some(result);
        }
        Step::Check(_) => {}
    }
    outcome.wall = began.elapsed();
    Ok(outcome)
}

/// The rules a step's runs broke.
fn step_violations(
    session: &Session<'_>,
    step: &Step,
    outcome: &StepOutcome,
) -> Vec<(Rule, String)> {
    let mut found = Vec::new();
    for record in &outcome.runs {
        let run = &record.run;
        let prefix = if outcome.is_command {
            String::new()
        } else {
            format!("{}: ", record.command)
        };
        if let Some(module) = missing_module(run) {
            found.push((
                Rule::RuntimeMissingModule,
                format!(
                    "{prefix}{}{}",
                    session.runs.python.missing_module_advice(&module),
                    crate::failure::stderr_tail(&run.stderr)
                ),
            ));
            continue;
        }
        if let Some((rule, message)) = crate::failure::runtime_violation(run) {
            found.push((rule, format!("{prefix}{message}")));
            continue;
        }
        if iam::is_management_command(&record.command) {
            found.extend(checks::check_iam_command(
                run,
                &session.server.instance,
                session.runs.vendor_state(),
            ));
        } else if let (true, RunEnd::Exception(traceback)) = (outcome.is_command, &run.end) {
            found.push((
                Rule::ScenarioExpect,
                format!(
                    "the command raised: {}",
                    crate::failure::error_summary(traceback)
                ),
            ));
        }
        let outgoing = session
            .server
            .outgoing_mapper
            .as_deref()
            .and_then(|m| session.server.mapper(m));
        if let (true, Some(mapper), RunEnd::Completed) = (
            record.command == ServerCommand::GetMappingFields.name(),
            outgoing,
            &run.end,
        ) {
            let schema = run
                .entries
                .first()
                .map(crate::entries::entry_contents)
                .unwrap_or_default();
            found.extend(checks::mapper_fields_in_schema(&schema, mapper));
        }
        found.extend(
            checks::mirroring::per_run(&session.server, record)
                .into_iter()
                .map(|(rule, message)| (rule, format!("{prefix}{message}"))),
        );
    }
    for failure in &outcome.mapping_failures {
        let rule = if failure.error.unsupported {
            Rule::MapperUnsupportedOperator
        } else {
            Rule::MapperMappingFailed
        };
        found.push((rule, failure.to_string()));
    }
    if let Some(created) = outcome.result.as_ref().and_then(|r| r.get("created")) {
        found.extend(checks::mirroring::after_fetch(&session.server, created));
    }
    if let Step::Check(check) = step {
        found.extend(
            check_mismatches(session, check)
                .into_iter()
                .map(|m| (Rule::ScenarioExpect, m)),
        );
    }
    if let (
        Step::Command(CommandStep {
            expect: Some(expect),
            ..
        }),
        Some(record),
    ) = (step, outcome.runs.first())
    {
        found.extend(
            expectation_mismatches(expect, record)
                .into_iter()
                .map(|m| (Rule::ScenarioExpect, m)),
        );
    }
    found
}

/// The module a run could not import, if that is how it failed.
fn missing_module(run: &crate::runtime::CommandRun) -> Option<String> {
    let traceback = match &run.end {
        RunEnd::Exception(traceback) => traceback.as_str(),
        RunEnd::Completed => "",
        _ => run.stderr.as_str(),
    };
    let errors = crate::entries::error_entries(&run.entries);
    crate::failure::missing_module(
        std::iter::once(traceback).chain(errors.iter().map(String::as_str)),
    )
}

/// The mismatches between a step's `expect` and its run.
fn expectation_mismatches(expect: &StepExpect, record: &CommandRecord) -> Vec<String> {
    let run = &record.run;
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
        run.entries.first().map(crate::entries::entry_contents),
    );
    if let Some(text) = &expect.error {
        let errors = crate::entries::error_entries(&run.entries);
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

/// The mismatches of a `check` step.
fn check_mismatches(session: &Session<'_>, check: &Check) -> Vec<String> {
    let mut found = Vec::new();
    let incidents = &session.server.mirror.incidents;
    if let Some(count) = check.incidents {
        if incidents.len() != count {
            found.push(format!(
                "expected {count} incidents, there are {}",
                incidents.len()
            ));
        }
    }
    if let Some(expected) = &check.incident {
        let id = expected.value.get("id").and_then(Value::as_u64);
        match id.and_then(|id| session.server.mirror.incident(id)) {
            None => found.push(format!(
                "check.incident needs the `id` of an existing incident, got {}",
                expected.value
            )),
            Some(incident) => {
                if let Some(m) =
                    checks::subset_mismatch(&incident.view(format_iso_millis), &expected.value)
                {
                    found.push(format!("incident {}: {m}", incident.id));
                }
            }
        }
    }
    if let Some(expected) = &check.server {
        if let Some(m) = checks::subset_mismatch(&stored_state(session), expected) {
            found.push(format!("server: {m}"));
        }
    }
    if let Some(expected) = &check.vendor {
        match session.runs.vendor_state() {
            None => found.push("check.vendor needs a vendor".to_owned()),
            Some(vendor) => {
                if let Some(m) = checks::subset_mismatch(&vendor.dump(), expected) {
                    found.push(format!("vendor state: {m}"));
                }
            }
        }
    }
    found
}

/// The verdict; `earlier` are the failed runs each violation is told after (the command that
/// failed first comes first, never only its later symptom).
fn verdict(scenario: &Scenario, violations: &[Violation], earlier: &[(usize, String)]) -> Verdict {
    let told = |selected: &[&Violation], prefix: &str| -> Vec<String> {
        let mut reasons = Vec::new();
        let mut notes = earlier.iter().peekable();
        for violation in selected {
            // Manifest findings come before every step, end-of-scenario checks after them all.
            let at = match (&violation.step, violation.rule) {
                (Some((n, _)), _) => *n,
                (None, Rule::Manifest(_)) => 0,
                (None, _) => usize::MAX,
            };
            while let Some((_, note)) = notes.next_if(|(step, _)| *step < at) {
                reasons.push(format!("first, {note}"));
            }
            reasons.push(format!("{prefix}{violation}"));
        }
        reasons
    };
    match &scenario.spec.expect_failure {
        None if violations.is_empty() => Verdict::Passed,
        None => Verdict::Failed(told(&violations.iter().collect::<Vec<_>>(), "")),
        Some(expected) => {
            let wanted = expected.rule.value;
            let proven = violations.iter().find(|v| {
                v.rule == wanted
                    && expected
                        .message
                        .as_deref()
                        .is_none_or(|m| v.message.contains(m))
            });
            // The scenario's own checks still have to hold around the expected failure.
            let unmet: Vec<&Violation> = violations
                .iter()
                .filter(|v| {
                    matches!(v.rule, Rule::ScenarioExpect | Rule::ScenarioStep) && wanted != v.rule
                })
                .collect();
            match proven {
                Some(_) if !unmet.is_empty() => {
                    Verdict::Failed(told(&unmet, "besides the expected failure: "))
                }
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
                    reasons.extend(told(&violations.iter().collect::<Vec<_>>(), "instead: "));
                    Verdict::Failed(reasons)
                }
            }
        }
    }
}

fn snapshot_document(session: &Session<'_>, steps: &[StepOutcome], manifest: &[Finding]) -> Value {
    let steps: Vec<Value> = steps.iter().map(snapshot_step).collect();
    let mut document = Map::new();
    document.insert("scenario".into(), json!(session.scenario.name));
    document.insert(
        "integration".into(),
        json!(session.integration.manifest.name),
    );
    if !manifest.is_empty() {
        let lines: Vec<String> = manifest.iter().map(ToString::to_string).collect();
        document.insert("manifest".into(), json!(lines));
    }
    document.insert("steps".into(), Value::Array(steps));
    let context = session.server.context.to_value();
    if context.as_object().is_some_and(|c| !c.is_empty()) {
        document.insert("context".into(), context);
    }
    let stored = stored_state(session);
    if stored.as_object().is_some_and(|s| !s.is_empty()) {
        document.insert("server".into(), stored);
    }
    let incidents = &session.server.mirror.incidents;
    if !incidents.is_empty() {
        let views = incidents
            .iter()
            .map(|i| i.view(format_iso_millis))
            .collect();
        document.insert("incidents".into(), Value::Array(views));
    }
    if let Some(vendor) = session.runs.vendor_state() {
        document.insert("vendor_state".into(), vendor.dump());
    }
    Value::Object(document)
}

/// What the server stores for the instance between runs, the parts that are set.
fn stored_state(session: &Session<'_>) -> Value {
    let server = &session.server;
    let mut stored = Map::new();
    for (key, value) in [
        ("last_run", &server.last_run),
        ("last_mirror_run", &server.last_mirror_run),
        ("integration_context", &server.integration_context),
    ] {
        if value.as_object().is_some_and(|v| !v.is_empty()) {
            stored.insert(key.into(), value.clone());
        }
    }
    Value::Object(stored)
}

fn snapshot_step(step: &StepOutcome) -> Value {
    let mut record = snapshot_run_step(step);
    if !step.mapping_failures.is_empty() {
        let failures: Vec<String> = step
            .mapping_failures
            .iter()
            .map(ToString::to_string)
            .collect();
        record.insert("mapping_failures".into(), json!(failures));
    }
    Value::Object(record)
}

fn snapshot_run_step(step: &StepOutcome) -> Map<String, Value> {
    let mut record = Map::new();
    if step.is_command {
        if let Some(run) = step.runs.first() {
            record.insert("command".into(), json!(run.command));
            if !run.args.is_empty() {
                record.insert("args".into(), Value::Object(run.args.clone()));
            }
            record.insert("end".into(), json!(end_label(&run.run.end)));
            if let RunEnd::Exception(traceback) = &run.run.end {
                record.insert(
                    "error".into(),
                    json!(crate::failure::error_summary(traceback)),
                );
            }
            if !run.run.leftovers.processes.is_empty() {
                let commands: Vec<&str> = run
                    .run
                    .leftovers
                    .processes
                    .iter()
                    .map(|p| p.command.as_str())
                    .collect();
                record.insert("left_running".into(), json!(commands));
            }
            let entries: Vec<Value> = run.run.entries.iter().map(snapshot_entry).collect();
            record.insert("entries".into(), Value::Array(entries));
            record.insert(
                "requests".into(),
                json!(run.requests.iter().map(request_line).collect::<Vec<_>>()),
            );
        }
        return record;
    }
    record.insert("step".into(), json!(step.label));
    if let Some(result) = &step.result {
        record.insert("result".into(), result.clone());
    }
    if let Some((_, why)) = &step.failed {
        record.insert("failed".into(), json!(why));
    }
    if !step.runs.is_empty() {
        let runs: Vec<Value> = step
            .runs
            .iter()
            .map(|run| {
                let mut entry = Map::new();
                entry.insert("command".into(), json!(run.command));
                if !run.args.is_empty() {
                    entry.insert("args".into(), Value::Object(run.args.clone()));
                }
                entry.insert("end".into(), json!(end_label(&run.run.end)));
                if let Some(error) = run.error_text() {
                    entry.insert("error".into(), json!(crate::failure::error_summary(&error)));
                }
                entry.insert(
                    "requests".into(),
                    json!(run.requests.iter().map(request_line).collect::<Vec<_>>()),
                );
                Value::Object(entry)
            })
            .collect();
        record.insert("runs".into(), Value::Array(runs));
    }
    record
}

fn snapshot_entry(entry: &Value) -> Value {
    let mut record = Map::new();
    for (key, label) in [("Type", "type"), ("ContentsFormat", "format")] {
        if let Some(value) = entry.get(key) {
            record.insert(label.into(), value.clone());
        }
    }
    record.insert("contents".into(), crate::entries::entry_contents(entry));
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
pub(crate) fn end_label(end: &RunEnd) -> String {
    match end {
        RunEnd::Completed => "completed".into(),
        RunEnd::Exception(_) => "exception".into(),
        RunEnd::Crashed(status) => format!("crashed ({status})"),
        RunEnd::TimedOut(after) => format!("timed out after {after:?}"),
        RunEnd::Protocol(_) => "protocol error".into(),
        RunEnd::Limit(crate::runtime::Bound::Output(_)) => "stopped at the output limit".into(),
        RunEnd::Limit(crate::runtime::Bound::Messages(_)) => "stopped at the message limit".into(),
        RunEnd::Incomplete => "exited without completing".into(),
    }
}
