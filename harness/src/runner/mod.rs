//! Running a scenario end to end: start the session, run every step, judge it (`judge`), and
//! build the snapshot document (`document`).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use crate::checks::closing::{close_states, CloseLedger};
use crate::checks::convergence::{remote_records, FieldLedger};
use crate::checks::manifest::check_manifest;
use crate::checks::{self, Rule, Violation};
use crate::error::HarnessError;
use crate::iam;
use crate::runtime::content::{ContentRoot, ModuleSource};
use crate::runtime::{Runtime, RuntimeError};
use crate::scenario::{Check, JobSwitch, Scenario, SourcePos, Step, StepKind};
use crate::secrets::Secrets;
use crate::server::mirroring::{self, MirrorFields};
use crate::server::MappingFailure;
use crate::server::{Call, CommandRecord};
use crate::session::Session;
use crate::snapshot;
use document::{run_redactor, snapshot_document};
use judge::{earlier_failures, manifest_violations, step_violations, verdict};

mod document;
mod judge;

pub(crate) use document::end_label;

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
    /// What kind of step it was.
    pub kind: StepKind,
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

/// The integration a session tests, as reports name it.
fn under_test(session: &Session<'_>) -> String {
    let integration = session.integration();
    let name = &integration.manifest.name;
    match (
        &session.scenario().spec.integration.code,
        integration.code_path.file_name(),
    ) {
        (Some(_), Some(file)) => format!("{name} ({})", file.to_string_lossy()),
        _ => name.clone(),
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
    /// The integration under test: its name, and the code file when the scenario runs other
    /// code against its YAML (`OktaIAM (okta_iam_crash.py)`).
    pub integration: String,
    /// The rules whose checks need more than the commands that ran to judge anything (a
    /// vendor that keeps accounts, a settled check) and that had something to judge.
    pub judged: BTreeSet<Rule>,
    /// The manifest errors the scenario lists as known (`manifest_findings`).
    pub acknowledged: Vec<Rule>,
    /// Each incident's id and mirroring fields at the end, for what builds on a run
    /// (exploration learns the incidents a fetch makes).
    pub(crate) mirrors: Vec<(u64, MirrorFields)>,
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
        self.run_observed(scenario, &mut |_, _, _| {}).await
    }

    /// Like [`Harness::run`], telling `on_step` of each step as it ends: its number (from 1),
    /// its outcome, and the secrets to mask in what it shows.
    pub async fn run_observed(
        &self,
        scenario: &Scenario,
        on_step: &mut (dyn FnMut(usize, &StepOutcome, &Secrets) + Send),
    ) -> Result<ScenarioOutcome, HarnessError> {
        let began = Instant::now();
        let mut session = Session::start(&self.runtime, &self.modules, scenario)
            .await
            .map_err(|e| e.masked(&scenario.secrets))?;
        let mut steps = Vec::new();
        let integration = session.integration();
        let manifest = check_manifest(&integration.manifest, integration.own_code.as_deref());
        let mut violations = manifest_violations(&session, &manifest);
        let mut closes = CloseLedger::default();
        let mut fields = FieldLedger::default();
        let mut judged = BTreeSet::new();
        for (index, step) in scenario.spec.steps.iter().enumerate() {
            // A person's change: what it closes or reopens is kept for a settled check.
            let closes_before = matches!(step.value, Step::Remote(_) | Step::Local(_))
                .then(|| close_states(session.server(), session.runs().vendor_state()));
            let records_before = matches!(step.value, Step::Remote(_))
                .then(|| remote_records(session.server(), session.runs().vendor_state()));
            let accounts_before = match &step.value {
                Step::Command(command) if iam::is_management_command(&command.name.value) => {
                    session.runs().vendor_state().and_then(|v| v.accounts())
                }
                _ => None,
            };
            let mut outcome = match run_step(&mut session, step).await {
                Ok(outcome) => outcome,
                Err(StepError::Run(e)) => return Err(HarnessError::run(&scenario.path, e)),
                Err(StepError::State(message)) => {
                    failed_step(step, SourcePos::of(&scenario.path, step), message)
                }
                Err(StepError::StateAt(at, message)) => failed_step(step, at, message),
            };
            if let Some(before) = &records_before {
                fields.record_remote(
                    before,
                    &remote_records(session.server(), session.runs().vendor_state()),
                );
            }
            if let (Step::Local(change), None) = (&step.value, &outcome.failed) {
                fields.record_local(change.incident.value, &change.set);
            }
            let converged = match &step.value {
                Step::Check(Check { settled: true, .. }) => {
                    let (runs, found) = read_back_fields(&mut session, &mut fields)
                        .await
                        .map_err(|e| HarnessError::run(&scenario.path, e))?;
                    if !runs.is_empty() {
                        // Tells the reader why a check step ran get-remote-data.
                        outcome.result = Some(json!({
                            "read_back": "get-remote-data of each incident people changed, to compare its fields with the remote"
                        }));
                    }
                    outcome.runs.extend(runs);
                    found
                }
                _ => Vec::new(),
            };
            outcome.mapping_failures = session.server_mut().take_mapping_failures();
            let label = outcome.label.clone();
            let mut found = step_violations(
                &session,
                &step.value,
                &outcome,
                accounts_before.as_deref(),
                &mut judged,
            );
            let closes_now = || close_states(session.server(), session.runs().vendor_state());
            if let Some(before) = &closes_before {
                closes.record(before, &closes_now());
            }
            if let Step::Check(Check { settled: true, .. }) = &step.value {
                if !session.server().mirror_job_enabled() {
                    found.push((
                        Rule::ScenarioStep,
                        "a settled check needs the mirroring job on (`job: on` first): with it \
                         off, nothing has caught up"
                            .to_owned(),
                    ));
                }
                found.extend(
                    closes
                        .judge(session.server(), &closes_now())
                        .into_iter()
                        .map(|message| (Rule::MirrorCloseFollowsSettings, message)),
                );
            }
            found.extend(
                converged
                    .into_iter()
                    .map(|message| (Rule::MirrorFieldsConverge, message)),
            );
            if let Some((at, why)) = &outcome.failed {
                found.push((Rule::ScenarioStep, format!("{at}: {why}")));
            }
            let stop = outcome.failed.is_some() || found.iter().any(|(rule, _)| rule.is_runtime());
            violations.extend(found.into_iter().map(|(rule, message)| Violation {
                rule,
                step: Some((index + 1, label.clone())),
                message,
            }));
            on_step(index + 1, &outcome, &session.server().instance().secrets);
            steps.push(outcome);
            if stop {
                // Later steps build on this one; their results would only add noise.
                break;
            }
        }
        let journal = session.runs().journal().await;
        violations.extend(
            checks::mirroring::end_of_scenario(
                session.server(),
                session.runs().vendor_state(),
                &journal,
            )
            .into_iter()
            .map(|(rule, message)| Violation {
                rule,
                step: None,
                message,
            }),
        );
        let secrets = session.server().instance().secrets.clone();
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
            runtime: session.modules().to_string(),
            python: session.runs().python().describe(),
            wall: began.elapsed(),
            secrets,
            integration: under_test(&session),
            judged: {
                if closes.judged_any {
                    judged.insert(Rule::MirrorCloseFollowsSettings);
                }
                if fields.judged_any {
                    judged.insert(Rule::MirrorFieldsConverge);
                }
                judged
            },
            acknowledged: scenario
                .spec
                .manifest_findings
                .iter()
                .map(|finding| Rule::Manifest(finding.value))
                .collect(),
            mirrors: session
                .server()
                .incidents()
                .iter()
                .map(|incident| (incident.id(), incident.mirror().clone()))
                .collect(),
        })
    }
}

/// Reads back the remote side of every incident people changed since the last settled check,
/// and judges its fields: the read-back runs, and what they break.
async fn read_back_fields(
    session: &mut Session<'_>,
    fields: &mut FieldLedger,
) -> Result<(Vec<CommandRecord>, Vec<String>), RuntimeError> {
    let (mut runs, mut found) = (Vec::new(), Vec::new());
    for (incident, touched) in fields.take() {
        let (server, driver) = session.parts_mut();
        let Some(read) = mirroring::read_back(server, driver, incident).await? else {
            continue;
        };
        if let Some(remote) = &read.fields {
            found.extend(fields.judge(server, incident, &touched, remote).await);
        }
        runs.push(read.record);
    }
    Ok((runs, found))
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
            kind: step.kind(),
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
            let (server, runs) = session.parts_mut();
            let (record, created) = mirroring::fetch(server, runs)
                .await
                .map_err(StepError::from)?;
            outcome.runs.push(record);
            outcome.result = Some(json!({"created": created}));
        }
        Step::Advance(by) => {
            let (server, runs) = session.parts_mut();
            let advanced = mirroring::advance(server, runs, by.0)
                .await
                .map_err(StepError::from)?;
            outcome.runs = advanced.records;
            let mut result = json!({"now": session.server().now_iso()});
            if !advanced.created.is_empty() {
                result["created"] = json!(advanced.created);
            }
            outcome.result = Some(result);
        }
        Step::Sync => {
            let (server, runs) = session.parts_mut();
            outcome.runs = mirroring::run_job(server, runs, None, false)
                .await
                .map_err(StepError::from)?;
        }
        Step::Remote(remote) => {
            // A person acts after the job tick the clock stands on, not within it: vendors
            // stamp whole seconds, and `updated > lastUpdate` must see the change.
            session.server().wait(Duration::from_secs(1));
            let vendor = session
                .runs()
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
        Step::Job(switch) => {
            session
                .server_mut()
                .switch_mirror_job(*switch == JobSwitch::On);
            outcome.result = Some(json!({"job": switch.as_str()}));
        }
        Step::Fault(fault) => {
            let vendor = session
                .runs()
                .vendor()
                .ok_or_else(|| StepError::State("a `fault` step needs a `vendor`".into()))?;
            vendor.inject(&fault.value).await;
            outcome.result = Some(json!({"armed": fault.value}));
        }
        Step::Local(change) => {
            mirroring::local_change(session.server_mut(), change).map_err(|message| {
                StepError::StateAt(
                    SourcePos::of(&session.scenario().path, &change.incident),
                    message.to_string(),
                )
            })?;
        }
        Step::Create(new) => {
            let id = mirroring::create_local(session.server_mut(), new);
            outcome.result = Some(json!({"incident": id}));
        }
        Step::Debug(debug) => {
            let args: Map<String, Value> = debug
                .args
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let (server, driver) = session.parts_mut();
            let (result, runs) = mirroring::debug::run(server, driver, debug.command.value, &args)
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
