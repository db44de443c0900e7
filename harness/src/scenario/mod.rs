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

use mock_vendors::faults::Fault;
use mock_vendors::stubs::Stub;
use mock_vendors::vendor::VendorKind;
use serde::Deserialize;
use serde_json::Value;
use serde_saphyr::Spanned;

pub use crate::quantity::HumanDuration;
use crate::secrets::Secrets;

mod discover;
mod limits;
mod yaml;

pub use discover::{discover, Discovery};

/// What the harness says of a path that is neither a file nor a folder: reading it could
/// block forever.
pub(crate) const NOT_A_FILE: &str = "is not a regular file (a pipe, socket or device)";
pub use limits::{LimitOverrides, Limits, LimitsSpec};

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
    /// The steps, in order: at least one.
    #[serde(deserialize_with = "at_least_one_step")]
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
        Self::load_with(path, root, LimitOverrides::default())
    }

    /// Like [`Scenario::load`], with bounds from outside the file that replace the file's
    /// own (see [`LimitOverrides`]).
    pub fn load_with(
        path: &Path,
        root: &Path,
        overrides: LimitOverrides,
    ) -> Result<Self, ScenarioError> {
        let text = yaml::read(path)?;
        let spec: ScenarioSpec = yaml::parse(&text, path)?;
        spec.check_bounds(path, &overrides)?;
        Ok(Self {
            name: scenario_name(path, root),
            path: path.to_owned(),
            spec,
            secrets: Secrets::in_yaml(&text),
            overrides,
        })
    }

    /// Parses scenario text; `path` is used in error messages only, which never show the
    /// file's secrets.
    pub fn parse(text: &str, path: &Path) -> Result<ScenarioSpec, ScenarioError> {
        let spec: ScenarioSpec = yaml::parse(text, path)?;
        spec.check_bounds(path, &LimitOverrides::default())?;
        Ok(spec)
    }

    /// Resolves a path written in the scenario relative to the scenario's folder.
    pub fn resolve(&self, relative: &Path) -> PathBuf {
        self.path
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join(relative)
    }
}

fn at_least_one_step<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<Spanned<Step>>, D::Error> {
    let steps = Vec::<Spanned<Step>>::deserialize(deserializer)?;
    if steps.is_empty() {
        return Err(serde::de::Error::custom(
            "found no steps, expected at least one: a scenario without steps checks nothing",
        ));
    }
    Ok(steps)
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
    fn command_line_bounds_replace_the_files_own() {
        let text = format!("{MINIMAL}  - advance: 45d\ntimeout: 50ms\n");
        let err = parse(&text).expect_err("both beyond the file's bounds");
        assert!(err.to_string().contains("timeout of 50ms"), "{err}");
        let spec: ScenarioSpec = yaml::parse(&text, Path::new("x.yaml")).expect("parses");
        let overrides = LimitOverrides {
            timeout: HumanDuration::parse("5s"),
            advance: HumanDuration::parse("60d"),
            ..LimitOverrides::default()
        };
        spec.check_bounds(Path::new("x.yaml"), &overrides)
            .expect("the command line's bounds apply");
        let tighter = LimitOverrides {
            timeout: HumanDuration::parse("5s"),
            advance: HumanDuration::parse("1d"),
            ..LimitOverrides::default()
        };
        let err = spec
            .check_bounds(Path::new("x.yaml"), &tighter)
            .expect_err("beyond --max-advance");
        assert!(err.to_string().contains("(--max-advance)"), "{err}");
    }

    #[test]
    fn names_are_relative_paths_without_extension() {
        let name = scenario_name(Path::new("/s/iam/create-new.yaml"), Path::new("/s"));
        assert_eq!(name, "iam/create-new");
    }
}
