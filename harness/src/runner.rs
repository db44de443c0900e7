//! Running a scenario end to end: start the session, run every step, check the contracts, and
//! build the snapshot document.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use mock_vendors::clock::format_iso_millis;
use mock_vendors::mock_vendor::JournalEntry;
use serde_json::{json, Map, Value};

use crate::checks::manifest::{check_manifest, Finding, Severity};
use crate::checks::{self, Rule, Violation};
use crate::iam;
use crate::mirroring;
use crate::runtime::content::{ContentRoot, ModuleSource};
use crate::runtime::{RunEnd, Runtime};
use crate::scenario::{Action, Check, Scenario, ScenarioError, SourcePos, Step, StepExpect};
use crate::server::instance::Secrets;
use crate::session::{Call, CommandRecord, Session};
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
    /// Wall time of the step.
    pub wall: Duration,
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

    /// Runs a scenario. `Err` means the scenario cannot run at all (it names the place in the
    /// file); everything the integration does wrong is in the outcome.
    pub async fn run(&self, scenario: &Scenario) -> Result<ScenarioOutcome, ScenarioError> {
        let began = Instant::now();
        let mut session = Session::start(&self.runtime, &self.modules, scenario).await?;
        let mut steps = Vec::new();
        let integration = &session.integration;
        let manifest = check_manifest(&integration.yaml_text, integration.own_code.as_deref())
            .map_err(|e| e.to_string());
        let mut violations = manifest_violations(&session, &manifest);
        for (index, step) in scenario.spec.steps.iter().enumerate() {
            let outcome = run_step(&mut session, step).await?;
            let label = outcome.label.clone();
            let found = step_violations(&session, &step.value, &outcome);
            let stop = found
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
        let journal = session.journal().await;
        violations.extend(
            checks::mirroring::end_of_scenario(&session, &journal)
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
        let verdict = verdict(scenario, &violations);
        let document = snapshot_document(&session, &steps, manifest.as_deref().unwrap_or_default());
        let document = Redactor::default().redact(&secrets.mask_value(&document));
        Ok(ScenarioOutcome {
            name: scenario.name.clone(),
            description: scenario.spec.description.clone(),
            path: scenario.path.clone(),
            steps,
            violations,
            verdict,
            snapshot: snapshot::render(&document),
            runtime: session.modules.to_string(),
            wall: began.elapsed(),
            secrets,
        })
    }
}

/// The manifest rules the integration YAML breaks (errors; warnings do not fail a scenario),
/// less those the scenario lists as known, plus listed ones that are no longer found.
fn manifest_violations(
    session: &Session<'_>,
    manifest: &Result<Vec<Finding>, String>,
) -> Vec<Violation> {
    let violation = |rule, message| Violation {
        rule,
        step: None,
        message,
    };
    let findings = match manifest {
        Ok(findings) => findings,
        Err(e) => {
            return vec![violation(
                Rule::ScenarioExpect,
                format!("the integration YAML cannot be checked: {e}"),
            )]
        }
    };
    let known: Vec<&str> = session
        .scenario
        .spec
        .manifest_findings
        .iter()
        .map(|f| f.value.as_str())
        .collect();
    let errors: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    let mut found: Vec<Violation> = errors
        .iter()
        .filter(|f| !known.contains(&f.rule.id()))
        .map(|f| violation(Rule::Manifest(f.rule), format!("{}: {}", f.path, f.message)))
        .collect();
    found.extend(
        known
            .iter()
            .filter(|id| !errors.iter().any(|f| f.rule.id() == **id))
            .map(|id| {
                violation(
                    Rule::ScenarioExpect,
                    format!("manifest_findings lists `{id}`, but the manifest check no longer finds it: remove it"),
                )
            }),
    );
    found
}

/// Runs one step.
async fn run_step(
    session: &mut Session<'_>,
    step: &serde_saphyr::Spanned<Step>,
) -> Result<StepOutcome, ScenarioError> {
    let began = Instant::now();
    let path = session.scenario.path.clone();
    let invalid = |message: String| ScenarioError::invalid(&path, step, message);
    let action = step.value.action().map_err(invalid)?;
    let mut outcome = StepOutcome {
        label: String::new(),
        is_command: false,
        runs: Vec::new(),
        result: None,
        wall: Duration::ZERO,
    };
    match action {
        Action::Command(command) => {
            let args: Map<String, Value> = step
                .value
                .args
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let record = session
                .run_command(Call::new(command.value.clone()).args(args))
                .await
                .map_err(|e| invalid(e.to_string()))?;
            outcome.label = command.value.clone();
            outcome.is_command = true;
            outcome.runs.push(record);
        }
        Action::Fetch => {
            let (record, created) = mirroring::fetch(session)
                .await
                .map_err(|e| invalid(e.to_string()))?;
            outcome.label = "fetch".into();
            outcome.runs.push(record);
            outcome.result = Some(json!({"created": created}));
        }
        Action::Advance(by) => {
            outcome.label = format!("advance {}", human(by));
            let advanced = mirroring::advance(session, by)
                .await
                .map_err(|e| invalid(e.to_string()))?;
            outcome.runs = advanced.records;
            let mut result = json!({"now": session.now_iso()});
            if !advanced.created.is_empty() {
                result["created"] = json!(advanced.created);
            }
            outcome.result = Some(result);
        }
        Action::Sync => {
            outcome.label = "sync".into();
            outcome.runs = mirroring::run_job(session, None, false)
                .await
                .map_err(|e| invalid(e.to_string()))?;
        }
        Action::Remote(remote) => {
            // A person acts after the job tick the clock stands on, not within it: vendors
            // stamp whole seconds, and `updated > lastUpdate` must see the change.
            session.clock.advance(Duration::from_secs(1));
            let vendor = session.vendor_state().ok_or_else(|| {
                ScenarioError::invalid(&path, remote, "a `remote` step needs a `vendor`")
            })?;
            let changed = vendor
                .act(&remote.value)
                .map_err(|e| ScenarioError::invalid(&path, remote, e.to_string()))?;
            outcome.label = "remote change".into();
            // The whole record is in vendor_state already; keep what the action changed.
            let mut changed = changed;
            if let Some(map) = changed.as_object_mut() {
                map.remove("record");
            }
            outcome.result = Some(json!({"action": remote.value, "changed": changed}));
        }
        Action::Local(change) => {
            mirroring::local_change(session, change)
                .map_err(|message| ScenarioError::invalid(&path, &change.incident, message))?;
            outcome.label = format!("local change to incident {}", change.incident.value);
        }
        Action::Create(new) => {
            let id = mirroring::create_local(session, new);
            outcome.label = "create incident".into();
            outcome.result = Some(json!({"incident": id}));
        }
        Action::Debug(debug) => {
            let args: Map<String, Value> = debug
                .args
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let (result, runs) = mirroring::debug::run(session, &debug.command.value, &args)
                .await
                .map_err(|e| ScenarioError::invalid(&path, &debug.command, e.to_string()))?;
            outcome.label = debug.command.value.clone();
            outcome.runs = runs;
            outcome.result = Some(result);
        }
        Action::Check(_) => outcome.label = "check".into(),
    }
    outcome.wall = began.elapsed();
    Ok(outcome)
}

fn human(duration: Duration) -> String {
    let ms = duration.as_millis();
    match ms {
        ms if ms % 3_600_000 == 0 => format!("{}h", ms / 3_600_000),
        ms if ms % 60_000 == 0 => format!("{}m", ms / 60_000),
        ms if ms % 1000 == 0 => format!("{}s", ms / 1000),
        ms => format!("{ms}ms"),
    }
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
        if let Some((rule, message)) = checks::runtime_violation(&run.end, &run.stderr) {
            found.push((rule, format!("{prefix}{message}")));
            continue;
        }
        if iam::is_management_command(&record.command) {
            found.extend(checks::check_iam_command(
                run,
                &session.server.instance,
                session.vendor_state(),
            ));
        } else if let (true, RunEnd::Exception(traceback)) = (outcome.is_command, &run.end) {
            let last = traceback
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            found.push((Rule::ScenarioExpect, format!("the command raised: {last}")));
        }
        let outgoing = session
            .server
            .outgoing_mapper
            .as_deref()
            .and_then(|m| session.server.mapper(m));
        if let (true, Some(mapper), RunEnd::Completed) =
            (record.command == "get-mapping-fields", outgoing, &run.end)
        {
            let schema = run
                .entries
                .first()
                .map(mirroring::entry_contents)
                .unwrap_or_default();
            found.extend(checks::mapper_fields_in_schema(&schema, mapper));
        }
        found.extend(
            checks::mirroring::per_run(session, record)
                .into_iter()
                .map(|(rule, message)| (rule, format!("{prefix}{message}"))),
        );
    }
    if let Some(created) = outcome.result.as_ref().and_then(|r| r.get("created")) {
        found.extend(checks::mirroring::after_fetch(session, created));
    }
    if let Ok(Action::Check(check)) = step.action() {
        found.extend(
            check_mismatches(session, check)
                .into_iter()
                .map(|m| (Rule::ScenarioExpect, m)),
        );
    }
    if let (Some(expect), Some(record)) = (&step.expect, outcome.runs.first()) {
        found.extend(
            expectation_mismatches(expect, record)
                .into_iter()
                .map(|m| (Rule::ScenarioExpect, m)),
        );
    }
    found
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
        run.entries.first().map(mirroring::entry_contents),
    );
    if let Some(text) = &expect.error {
        let errors: Vec<String> = run
            .entries
            .iter()
            .filter(|e| e.get("Type").and_then(Value::as_i64) == Some(4))
            .map(|e| mirroring::entry_contents(e).to_string())
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
        match session.vendor_state() {
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
            // The scenario's own checks still have to hold around the expected failure.
            let unmet: Vec<String> = violations
                .iter()
                .filter(|v| v.rule == Rule::ScenarioExpect && wanted != Rule::ScenarioExpect.id())
                .map(|v| format!("besides the expected failure: {v}"))
                .collect();
            match proven {
                Some(_) if !unmet.is_empty() => Verdict::Failed(unmet),
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
    if let Some(vendor) = session.vendor_state() {
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
    let mut record = Map::new();
    if step.is_command {
        if let Some(run) = step.runs.first() {
            record.insert("command".into(), json!(run.command));
            if !run.args.is_empty() {
                record.insert("args".into(), Value::Object(run.args.clone()));
            }
            record.insert("end".into(), json!(end_label(&run.run.end)));
            let entries: Vec<Value> = run.run.entries.iter().map(snapshot_entry).collect();
            record.insert("entries".into(), Value::Array(entries));
            record.insert(
                "requests".into(),
                json!(run.requests.iter().map(request_line).collect::<Vec<_>>()),
            );
        }
        return Value::Object(record);
    }
    record.insert("step".into(), json!(step.label));
    if let Some(result) = &step.result {
        record.insert("result".into(), result.clone());
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
                if let Some(error) = mirroring::error_text(run) {
                    entry.insert(
                        "error".into(),
                        json!(error.lines().last().unwrap_or_default()),
                    );
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
    Value::Object(record)
}

fn snapshot_entry(entry: &Value) -> Value {
    let mut record = Map::new();
    for (key, label) in [("Type", "type"), ("ContentsFormat", "format")] {
        if let Some(value) = entry.get(key) {
            record.insert(label.into(), value.clone());
        }
    }
    record.insert("contents".into(), mirroring::entry_contents(entry));
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
