//! Scenarios: what a YAML scenario file says, parsed strictly.
//!
//! A scenario names an integration, the instance configuration, the mock vendor's seed and
//! faults, and the commands to run in order, with optional expectations per step. Parsing is
//! strict: unknown keys, wrong types, duplicate keys and missing files are errors that name the
//! file, line and column and say what was expected.
//!
//! ```yaml
//! description: iam-create-user provisions a user that does not exist yet.
//! integration:
//!   yaml: ../../integrations/OktaIAM/OktaIAM.yml
//! instance:
//!   params:
//!     credentials: {identifier: "", password: harness-okta-token}
//! vendor:
//!   kind: okta
//! steps:
//!   - command: iam-create-user
//!     args:
//!       user-profile: {email: jdoe@example.com, givenname: John}
//!     expect:
//!       vendor: {action: create, success: true, active: true}
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use mock_vendors::faults::Fault;
use mock_vendors::stubs::Stub;
use mock_vendors::vendor::VendorKind;
use serde::Deserialize;
use serde_json::Value;
use serde_saphyr::Spanned;

use crate::quantity::ByteSize;
pub use crate::quantity::HumanDuration;
use crate::runtime::RunLimits;
use crate::secrets::Secrets;

/// A parsed scenario file.
#[derive(Debug)]
pub struct Scenario {
    /// The stable name: the path under the scenarios root without extension (`iam/create-new-user`).
    pub name: String,
    /// The file the scenario was read from.
    pub path: PathBuf,
    /// What the file says.
    pub spec: ScenarioSpec,
    /// The values the file gives keys that name secrets (`password:`, `token:`, ...): masked
    /// in everything the harness shows, from the first error on.
    pub secrets: Secrets,
    /// Bounds from outside the file.
    pub overrides: LimitOverrides,
}

/// The content of a scenario file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSpec {
    /// One line saying what the scenario proves.
    pub description: String,
    /// The integration under test.
    pub integration: IntegrationRef,
    /// A checkout of the XSOAR content repository whose CommonServerPython and API modules
    /// replace the built-in ones (relative to this file; overrides `--content-root` and
    /// `$XSOAR_CONTENT_ROOT`).
    pub content_root: Option<Spanned<PathBuf>>,
    /// The integration instance: its name and parameter overrides.
    #[serde(default)]
    pub instance: InstanceSpec,
    /// The mock vendor the integration talks to.
    pub vendor: Option<Spanned<VendorSpec>>,
    /// The integration's Python environment beyond what its Docker image gives it.
    #[serde(default)]
    pub python: PythonSpec,
    /// The timeout of each command run (`500ms`, `10s`, `1m`), at least 100ms.
    pub timeout: Option<Spanned<HumanDuration>>,
    /// The bounds beyond the timeout; each has a default.
    #[serde(default)]
    pub limits: LimitsSpec,
    /// Server settings: version and the mirroring job.
    #[serde(default)]
    pub server: ServerSpec,
    /// The steps, in order.
    pub steps: Vec<Spanned<Step>>,
    /// For scenarios of deliberately broken integrations: the rule the run must violate.
    pub expect_failure: Option<ExpectedFailure>,
    /// Manifest errors the integration YAML is known to have (for integrations the scenario
    /// author does not own); any other manifest error fails the scenario, and so does a listed
    /// one that is no longer found.
    #[serde(default)]
    pub manifest_findings: Vec<Spanned<String>>,
}

/// Where the integration under test lives.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntegrationRef {
    /// The integration YAML (or a pack integration folder), relative to the scenario file.
    pub yaml: Spanned<PathBuf>,
    /// Code to run instead of the `.py` beside the YAML (or the YAML's embedded script).
    pub code: Option<Spanned<PathBuf>>,
    /// Classifier and mapper files; by default every `classifier-*.json` beside the YAML and
    /// in the pack's `Classifiers/` folder.
    pub mappers: Option<Vec<Spanned<PathBuf>>>,
}

/// The integration instance the server would configure.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceSpec {
    /// The instance name; by default `<integration name>_instance_1`.
    pub name: Option<String>,
    /// Parameter values laid over the YAML defaults.
    #[serde(default)]
    pub params: BTreeMap<String, Spanned<Value>>,
    /// The classifier's name or id (default: the YAML's `defaultclassifier`, else the only
    /// classifier loaded).
    pub classifier: Option<String>,
    /// The incoming mapper's name (default: the `mapper-in` param, then the YAML's
    /// `defaultmapperin`, else the only incoming mapper).
    pub incoming_mapper: Option<String>,
    /// The outgoing mapper's name (default: the `mapper-out` param, then the YAML's
    /// `defaultmapperout`, else the only outgoing mapper).
    pub outgoing_mapper: Option<String>,
}

/// The integration's Python environment.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PythonSpec {
    /// pip requirements to install besides the image's packages and what the code imports
    /// (`[okta==2.9.*]`).
    #[serde(default)]
    pub packages: Vec<String>,
}

/// The mock vendor behind the integration.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VendorSpec {
    /// Which vendor API to mock.
    pub kind: VendorKind,
    /// The instance parameter that receives the mock's base URL (default `url`).
    #[serde(default = "default_url_param")]
    pub url_param: String,
    /// The API token the mock accepts (default: the vendor's default token).
    pub token: Option<String>,
    /// The vendor state before the first step (vendor-specific shape).
    pub seed: Option<Spanned<Value>>,
    /// Faults laid over the default routes and stubs.
    #[serde(default)]
    pub faults: Vec<Fault>,
    /// Request/response stubs laid over the default routes (`kind: stub` has nothing else).
    #[serde(default)]
    pub stubs: Vec<Stub>,
}

fn default_url_param() -> String {
    "url".to_owned()
}

/// One step: exactly one action (`command`, `fetch`, `advance`, `sync`, `remote`, `local`,
/// `create`, `debug` or `check`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Run a command as the server would call it (`iam-get-user`, `test-module`).
    pub command: Option<Spanned<String>>,
    /// The command arguments. Mappings and lists are sent as their JSON text and scalars as
    /// strings, the way the server passes arguments.
    #[serde(default)]
    pub args: BTreeMap<String, Value>,
    /// What the command must produce, beyond the contract checks.
    pub expect: Option<StepExpect>,
    /// Run fetch-incidents once: `fetch: {}`.
    pub fetch: Option<Empty>,
    /// Move the virtual clock; the mirroring job (and fetch, when scheduled) runs at every
    /// tick that falls due: `advance: 5m`.
    pub advance: Option<HumanDuration>,
    /// Run the mirroring job once now: `sync: {}`.
    pub sync: Option<Empty>,
    /// A change made at the vendor by a person, in the vendor's own terms, e.g.
    /// `{update: {table: incident, record: INC0010001, fields: {state: "2"}}}`.
    pub remote: Option<Spanned<Value>>,
    /// An analyst's change to an incident in XSOAR.
    pub local: Option<LocalChange>,
    /// A new incident created in XSOAR and mirrored out.
    pub create: Option<NewIncident>,
    /// A mirroring debug command of the server.
    pub debug: Option<DebugStep>,
    /// Assertions on the server's incidents at this point.
    pub check: Option<Check>,
}

/// A step parameter that takes no options: written `{}`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

/// What a step does.
#[derive(Debug)]
pub enum Action<'a> {
    /// Run a command.
    Command(&'a Spanned<String>),
    /// Run fetch-incidents.
    Fetch,
    /// Move the clock.
    Advance(std::time::Duration),
    /// Run the mirroring job once.
    Sync,
    /// Change the vendor directly.
    Remote(&'a Spanned<Value>),
    /// Change an incident locally.
    Local(&'a LocalChange),
    /// Create a local incident.
    Create(&'a NewIncident),
    /// Run a debug command.
    Debug(&'a DebugStep),
    /// Assert.
    Check(&'a Check),
}

impl Step {
    /// The step's action, or why the step has none or several.
    pub fn action(&self) -> Result<Action<'_>, String> {
        let mut actions = Vec::new();
        if let Some(command) = &self.command {
            actions.push(Action::Command(command));
        }
        if self.fetch.is_some() {
            actions.push(Action::Fetch);
        }
        if let Some(by) = self.advance {
            actions.push(Action::Advance(by.0));
        }
        if self.sync.is_some() {
            actions.push(Action::Sync);
        }
        if let Some(remote) = &self.remote {
            actions.push(Action::Remote(remote));
        }
        if let Some(local) = &self.local {
            actions.push(Action::Local(local));
        }
        if let Some(create) = &self.create {
            actions.push(Action::Create(create));
        }
        if let Some(debug) = &self.debug {
            actions.push(Action::Debug(debug));
        }
        if let Some(check) = &self.check {
            actions.push(Action::Check(check));
        }
        let is_command = matches!(actions.first(), Some(Action::Command(_)));
        if !is_command && (!self.args.is_empty() || self.expect.is_some()) {
            return Err("`args` and `expect` belong to a `command` step".to_owned());
        }
        match actions.len() {
            1 => Ok(actions.remove(0)),
            0 => Err(format!(
                "a step needs one action: {}",
                STEP_ACTIONS.join(", ")
            )),
            _ => Err(format!(
                "a step has exactly one action, this one has several; split it (actions: {})",
                STEP_ACTIONS.join(", ")
            )),
        }
    }
}

/// The keys that name a step's action.
pub const STEP_ACTIONS: &[&str] = &[
    "command", "fetch", "advance", "sync", "remote", "local", "create", "debug", "check",
];

/// An analyst's change to an incident in XSOAR.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalChange {
    /// The XSOAR incident id (incidents are numbered from 1 in creation order).
    pub incident: Spanned<u64>,
    /// Field edits.
    #[serde(default)]
    pub set: BTreeMap<String, Value>,
    /// A war-room entry.
    pub entry: Option<LocalEntry>,
    /// A file entry.
    pub file: Option<LocalFile>,
    /// Close the incident.
    pub close: Option<CloseSpec>,
    /// Reopen the incident.
    #[serde(default)]
    pub reopen: bool,
}

/// A war-room note written by an analyst.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalEntry {
    /// The text.
    pub text: String,
    /// Tags, e.g. the instance's comment or work-notes tag.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Mark it as a note.
    #[serde(default)]
    pub note: bool,
}

/// A file an analyst attached in the war room.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalFile {
    /// The file name.
    pub name: String,
    /// The file content (text).
    pub text: String,
    /// Tags, e.g. the instance's file tag.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// Closing an incident.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseSpec {
    /// The close reason.
    #[serde(default)]
    pub reason: String,
    /// The close notes.
    #[serde(default)]
    pub notes: String,
}

/// A new local incident, mirrored out by the instance.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewIncident {
    /// The incident name.
    pub name: String,
    /// The incident type (default the instance's `incidentType` param, else `Unclassified`).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Other fields.
    #[serde(default)]
    pub fields: BTreeMap<String, Value>,
    /// `Out` or `Both` to mirror it out.
    pub direction: crate::mirroring::Direction,
}

/// A mirroring debug command of the server.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DebugStep {
    /// `getMirrorStatistics`, `getSyncMirrorRecords`, `purgeClosedSyncMirrorRecords` or
    /// `triggerDebugMirroringRun`.
    pub command: Spanned<String>,
    /// Its arguments.
    #[serde(default)]
    pub args: BTreeMap<String, Value>,
}

/// Assertions on the server's incidents.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// How many incidents exist.
    pub incidents: Option<usize>,
    /// One incident, as a subset of its snapshot view (`id` selects it).
    pub incident: Option<Spanned<Value>>,
    /// A subset of the vendor's state dump.
    pub vendor: Option<Value>,
    /// A subset of what the server stores for the instance: `last_run`, `last_mirror_run`,
    /// `integration_context`.
    pub server: Option<Value>,
}

/// Server settings.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSpec {
    /// The server version (`6.1.0` turns on the dirty-field rule of 6.1 and earlier).
    #[serde(default = "default_server_version")]
    pub version: String,
    /// `sync.mirror.job.enable`.
    #[serde(default = "yes")]
    pub mirror_job_enable: bool,
    /// `sync.mirror.job.delay`, in minutes.
    #[serde(default = "one")]
    pub mirror_job_delay: u64,
    /// `sync.mirror.job.delayAdvanced`, in seconds; overrides the delay.
    pub mirror_job_delay_advanced: Option<u64>,
    /// Fetch incidents on this interval while the clock advances (default: only `fetch` steps).
    pub fetch_interval: Option<HumanDuration>,
}

impl Default for ServerSpec {
    fn default() -> Self {
        Self {
            version: default_server_version(),
            mirror_job_enable: true,
            mirror_job_delay: 1,
            mirror_job_delay_advanced: None,
            fetch_interval: None,
        }
    }
}

fn default_server_version() -> String {
    crate::server::DEFAULT_SERVER_VERSION.to_owned()
}

fn yes() -> bool {
    true
}

fn one() -> u64 {
    1
}

/// Expectations on one step. Every key is optional; mappings match as subsets.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepExpect {
    /// A subset of this command's `IAM.Vendor` record.
    pub vendor: Option<Value>,
    /// A subset of this command's `IAM.UserProfile`.
    pub user_profile: Option<Value>,
    /// A subset of the Contents of the command's first entry (`ok` for test-module).
    pub contents: Option<Value>,
    /// The command must produce an error entry (Type 4) containing this text.
    pub error: Option<String>,
}

/// The bounds a scenario runs within, beyond the per-command timeout.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsSpec {
    /// What one command may write to stdout: its entries, logs and requests (`64MiB`).
    pub output: Option<Spanned<ByteSize>>,
    /// The memory one integration process may use (`4GiB`).
    pub memory: Option<Spanned<ByteSize>>,
    /// Integration runs in the whole scenario: commands, fetches, mirroring runs (`5000`).
    pub runs: Option<Spanned<u64>>,
    /// The virtual time one `advance` step may cover (`30d`).
    pub advance: Option<Spanned<HumanDuration>>,
}

/// The bounds a scenario runs within, defaults filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The bounds of each integration run.
    pub run: RunLimits,
    /// Integration runs in the whole scenario.
    pub runs: u64,
    /// The virtual time one `advance` step may cover.
    pub advance: Duration,
}

impl Limits {
    /// Integration runs per scenario unless `limits.runs` says otherwise.
    pub const RUNS: u64 = 5000;
    /// Virtual time per `advance` step unless `limits.advance` says otherwise.
    pub const ADVANCE: Duration = Duration::from_secs(30 * 86_400);
}

/// The smallest values a scenario may set: below them nothing an integration does fits.
const MIN_TIMEOUT: Duration = Duration::from_millis(100);
const MIN_OUTPUT: u64 = 64 << 10;
const MIN_MEMORY: u64 = 256 << 20;

/// The failure a scenario of a broken integration must produce.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedFailure {
    /// The rule id, e.g. `iam.failure-has-error`.
    pub rule: Spanned<String>,
    /// A substring of the failure message.
    pub message: Option<String>,
}

/// A position in a scenario file, for errors that point back at the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourcePos {
    /// The file.
    pub path: PathBuf,
    /// 1-based line.
    pub line: u64,
    /// 1-based column.
    pub column: u64,
}

impl SourcePos {
    /// The position of a spanned value of the scenario at `path`.
    pub fn of<T>(path: &Path, spanned: &Spanned<T>) -> Self {
        Self {
            path: path.to_owned(),
            line: spanned.referenced.line(),
            column: spanned.referenced.column(),
        }
    }
}

impl fmt::Display for SourcePos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.path.display(), self.line, self.column)
    }
}

/// Why a scenario could not be loaded or prepared.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("cannot read scenario {path}: {source}")]
    Read {
        /// The scenario file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a valid scenario; `snippet` shows the place.
    #[error("{pos}: {message}\n{snippet}")]
    Syntax {
        /// Where.
        pos: SourcePos,
        /// What was found and what was expected.
        message: String,
        /// The offending lines, rendered for people.
        snippet: String,
    },
    /// The file parses but says something that cannot be run.
    #[error("{pos}: {message}")]
    Invalid {
        /// Where.
        pos: SourcePos,
        /// What is wrong and what to do.
        message: String,
    },
}

impl ScenarioError {
    /// The error with `secrets` masked in its message and snippet.
    pub fn masked(self, secrets: &Secrets) -> Self {
        match self {
            Self::Syntax {
                pos,
                message,
                snippet,
            } => Self::Syntax {
                pos,
                message: secrets.mask(&message),
                snippet: secrets.mask(&snippet),
            },
            Self::Invalid { pos, message } => Self::Invalid {
                pos,
                message: secrets.mask(&message),
            },
            read @ Self::Read { .. } => read,
        }
    }

    /// An error about a spanned value of the scenario at `path`.
    pub fn invalid<T>(path: &Path, at: &Spanned<T>, message: impl Into<String>) -> Self {
        Self::Invalid {
            pos: SourcePos::of(path, at),
            message: message.into(),
        }
    }
}

impl Scenario {
    /// Reads and parses the scenario at `path`; `root` is the folder its name is relative to.
    pub fn load(path: &Path, root: &Path) -> Result<Self, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
            path: path.to_owned(),
            source,
        })?;
        let spec = Self::parse(&text, path)?;
        Ok(Self {
            name: scenario_name(path, root),
            path: path.to_owned(),
            spec,
            secrets: Secrets::in_yaml(&text),
            overrides: LimitOverrides::default(),
        })
    }

    /// Parses scenario text; `path` is used in error messages only, which never show the
    /// file's secrets.
    pub fn parse(text: &str, path: &Path) -> Result<ScenarioSpec, ScenarioError> {
        let spec = serde_saphyr::from_str::<ScenarioSpec>(text)
            .map_err(|err| syntax_error(path, &err, text))?;
        spec.check_bounds(path)?;
        Ok(spec)
    }

    /// Resolves a path written in the scenario relative to the scenario's folder.
    pub fn resolve(&self, relative: &Path) -> PathBuf {
        self.path
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join(relative)
    }

    /// The bounds the scenario runs within: the file's, with the overrides applied.
    pub fn limits(&self) -> Limits {
        let mut limits = self.spec.limits();
        self.overrides.apply(&mut limits);
        limits
    }

    /// The scenario with bounds from outside the file applied (see [`LimitOverrides`]); an
    /// `advance` step beyond the new `advance` bound is an error at that step.
    pub fn with_overrides(mut self, overrides: LimitOverrides) -> Result<Self, ScenarioError> {
        self.overrides = overrides;
        if self.overrides.advance.is_some() {
            self.spec
                .check_advance(&self.path, self.limits().advance, "--max-advance")?;
        }
        Ok(self)
    }
}

impl ScenarioSpec {
    /// The bounds the scenario runs within.
    pub fn limits(&self) -> Limits {
        let defaults = RunLimits::default();
        let limits = &self.limits;
        Limits {
            run: RunLimits {
                timeout: self
                    .timeout
                    .as_ref()
                    .map_or(defaults.timeout, |t| t.value.0),
                output: limits
                    .output
                    .as_ref()
                    .map_or(defaults.output, |o| o.value.0),
                memory: limits
                    .memory
                    .as_ref()
                    .map_or(defaults.memory, |m| m.value.0),
            },
            runs: limits.runs.as_ref().map_or(Limits::RUNS, |r| r.value),
            advance: limits
                .advance
                .as_ref()
                .map_or(Limits::ADVANCE, |a| a.value.0),
        }
    }

    /// Refuses bounds too small to run anything and `advance` steps beyond `limits.advance`.
    fn check_bounds(&self, path: &Path) -> Result<(), ScenarioError> {
        let limits = &self.limits;
        let problems = [
            self.timeout.as_ref().and_then(|t| {
                Some(ScenarioError::invalid(
                    path,
                    t,
                    timeout_problem("a timeout", t.value)?,
                ))
            }),
            limits.output.as_ref().and_then(|o| {
                Some(ScenarioError::invalid(
                    path,
                    o,
                    size_problem("limits.output", o.value, MIN_OUTPUT)?,
                ))
            }),
            limits.memory.as_ref().and_then(|m| {
                Some(ScenarioError::invalid(
                    path,
                    m,
                    size_problem("limits.memory", m.value, MIN_MEMORY)?,
                ))
            }),
            limits.runs.as_ref().and_then(|r| {
                Some(ScenarioError::invalid(
                    path,
                    r,
                    runs_problem("limits.runs", r.value)?,
                ))
            }),
        ];
        match problems.into_iter().flatten().next() {
            Some(error) => Err(error),
            None => self.check_advance(path, self.limits().advance, "limits.advance"),
        }
    }

    /// Refuses `advance` steps beyond `most`.
    fn check_advance(&self, path: &Path, most: Duration, what: &str) -> Result<(), ScenarioError> {
        for step in &self.steps {
            if let Some(by) = step.value.advance.filter(|by| by.0 > most) {
                return Err(ScenarioError::invalid(
                    path,
                    step,
                    format!(
                        "advance {by} goes beyond the {} one step may cover ({what}); advance \
                         in smaller steps or raise {what}",
                        HumanDuration(most)
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Bounds given from outside the scenario files (the command line): each replaces the
/// scenario's own value and the default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LimitOverrides {
    /// Replaces `timeout`.
    pub timeout: Option<HumanDuration>,
    /// Replaces `limits.output`.
    pub output: Option<ByteSize>,
    /// Replaces `limits.memory`.
    pub memory: Option<ByteSize>,
    /// Replaces `limits.runs`.
    pub runs: Option<u64>,
    /// Replaces `limits.advance`.
    pub advance: Option<HumanDuration>,
}

impl LimitOverrides {
    /// Refuses values too small to run anything; the error names the option (`--timeout`,
    /// `--max-output`, ...).
    pub fn check(&self) -> Result<(), String> {
        let problems = [
            self.timeout.and_then(|t| timeout_problem("--timeout", t)),
            self.output
                .and_then(|o| size_problem("--max-output", o, MIN_OUTPUT)),
            self.memory
                .and_then(|m| size_problem("--max-memory", m, MIN_MEMORY)),
            self.runs.and_then(|r| runs_problem("--max-runs", r)),
        ];
        problems.into_iter().flatten().next().map_or(Ok(()), Err)
    }

    fn apply(&self, limits: &mut Limits) {
        if let Some(timeout) = self.timeout {
            limits.run.timeout = timeout.0;
        }
        if let Some(output) = self.output {
            limits.run.output = output.0;
        }
        if let Some(memory) = self.memory {
            limits.run.memory = memory.0;
        }
        if let Some(runs) = self.runs {
            limits.runs = runs;
        }
        if let Some(advance) = self.advance {
            limits.advance = advance.0;
        }
    }
}

fn timeout_problem(what: &str, timeout: HumanDuration) -> Option<String> {
    (timeout.0 < MIN_TIMEOUT).then(|| {
        format!(
            "{what} of {timeout} leaves no time to run a command; give at least {}",
            HumanDuration(MIN_TIMEOUT)
        )
    })
}

fn size_problem(what: &str, size: ByteSize, minimum: u64) -> Option<String> {
    (size.0 < minimum).then(|| {
        format!(
            "{what} of {size} is too small for any integration; give at least {}",
            ByteSize(minimum)
        )
    })
}

fn runs_problem(what: &str, runs: u64) -> Option<String> {
    (runs == 0).then(|| format!("{what} of 0 allows no command at all; give at least 1"))
}

/// `root/iam/create-new-user.yaml` -> `iam/create-new-user`.
fn scenario_name(path: &Path, root: &Path) -> String {
    let relative = path.strip_prefix(root).unwrap_or(path);
    let without_ext = relative.with_extension("");
    without_ext
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Turns a serde-saphyr error into one that names the file and keeps the rendered snippet.
/// Turns a serde-saphyr error into one that names the file, with a snippet of the file around
/// the place, drawn from the file's text with its secrets masked.
fn syntax_error(path: &Path, err: &serde_saphyr::Error, text: &str) -> ScenarioError {
    let secrets = Secrets::in_yaml(text);
    let (line, column) = err
        .location()
        .map_or((1, 1), |loc| (loc.line().max(1), loc.column().max(1)));
    let rendered = err.to_string();
    // The headline reads `error: line L column C: <message>`; keep the message only.
    let headline = rendered.lines().next().unwrap_or_default();
    let message = headline
        .split_once(": ")
        .and_then(|(_, rest)| rest.split_once(": ").map(|(_, m)| m))
        .unwrap_or(headline)
        .replace(", set DuplicateKeyPolicy in Options if acceptable", "");
    let pos = SourcePos {
        path: path.to_owned(),
        line,
        column,
    };
    ScenarioError::Syntax {
        snippet: snippet(&pos, &secrets.mask(text)),
        message: secrets.mask(&message),
        pos,
    }
}

/// The lines around `pos` in `text`, numbered, with a caret under the column; long lines are
/// cut around it.
fn snippet(pos: &SourcePos, text: &str) -> String {
    const WIDTH: usize = 100;
    let line = usize::try_from(pos.line).unwrap_or(usize::MAX);
    let column = usize::try_from(pos.column).unwrap_or(1).max(1);
    let lines: Vec<&str> = text.lines().collect();
    let first = line.saturating_sub(2).max(1);
    let last = (line + 1).min(lines.len());
    let gutter = last.to_string().len();
    // The window of columns shown: all of a short line, else around the caret.
    let start = column
        .saturating_sub(WIDTH / 2)
        .min(column.saturating_sub(1));
    let cut = |text: &str| -> String {
        let chars: Vec<char> = text.chars().collect();
        let from = start.min(chars.len());
        let to = (from + WIDTH).min(chars.len());
        let mut shown: String = chars[from..to].iter().collect();
        if from > 0 {
            shown.insert(0, '…');
        }
        if to < chars.len() {
            shown.push('…');
        }
        shown
    };
    let mut out = format!("{:gutter$}--> {pos}\n{:gutter$} |\n", "", "");
    for number in first..=last {
        let Some(text) = lines.get(number - 1) else {
            break;
        };
        out.push_str(&format!("{number:>gutter$} | {}\n", cut(text)));
        if number == line {
            let offset = column - 1 - start + usize::from(start > 0);
            out.push_str(&format!("{:gutter$} | {}^\n", "", " ".repeat(offset)));
        }
    }
    out.push_str(&format!("{:gutter$} |", ""));
    out
}

/// Every scenario file (`*.yaml`, `*.yml`) under `dir`, sorted by path.
pub fn discover(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current)? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml")
            ) {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ScenarioSpec, ScenarioError> {
        Scenario::parse(text, Path::new("scenarios/x.yaml"))
    }

    const MINIMAL: &str =
        "description: d\nintegration:\n  yaml: a.yml\nsteps:\n  - command: test-module\n";

    #[test]
    fn minimal_scenario_parses() {
        let spec = parse(MINIMAL).expect("parses");
        let step = &spec.steps[0];
        assert!(matches!(step.value.action(), Ok(Action::Command(c)) if c.value == "test-module"));
        assert_eq!(step.referenced.line(), 5);
    }

    #[test]
    fn unknown_key_names_file_line_column_and_expected_keys() {
        let text = format!("{MINIMAL}    argz: {{}}\n");
        let err = parse(&text).expect_err("unknown key").to_string();
        assert!(
            err.starts_with("scenarios/x.yaml:6:5: unknown field `argz`"),
            "{err}"
        );
        assert!(err.contains("expected one of"), "{err}");
    }

    #[test]
    fn wrong_type_and_bad_duration_are_reported_with_position() {
        let err = parse(&format!("{MINIMAL}timeout: soon\n")).expect_err("bad duration");
        assert!(err.to_string().contains("scenarios/x.yaml:6:"), "{err}");
        assert!(
            err.to_string().contains("expected a number and a unit"),
            "{err}"
        );
        let err = parse("description: [1\n").expect_err("bad yaml");
        assert!(err.to_string().starts_with("scenarios/x.yaml:1:"), "{err}");
    }

    #[test]
    fn duplicate_keys_are_rejected() {
        let err = parse(&format!("description: again\n{MINIMAL}")).expect_err("duplicate");
        assert!(err.to_string().contains("duplicate mapping key"), "{err}");
        assert!(!err.to_string().contains("DuplicateKeyPolicy"), "{err}");
    }

    #[test]
    fn steps_have_exactly_one_action() {
        let spec = parse(&format!("{MINIMAL}  - advance: 5m\n    sync: {{}}\n  - {{}}\n  - fetch: {{}}\n    args: {{a: 1}}\n")).unwrap();
        let errors: Vec<String> = spec.steps[1..]
            .iter()
            .map(|s| s.value.action().unwrap_err())
            .collect();
        assert!(errors[0].contains("several"), "{errors:?}");
        assert!(errors[1].contains("needs one action"), "{errors:?}");
        assert!(
            errors[2].contains("belong to a `command` step"),
            "{errors:?}"
        );
    }

    #[test]
    fn names_are_relative_paths_without_extension() {
        let name = scenario_name(Path::new("/s/iam/create-new.yaml"), Path::new("/s"));
        assert_eq!(name, "iam/create-new");
    }
}
