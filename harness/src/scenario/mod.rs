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

use mock_vendors::{Fault, Stub, VendorKind};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;
use serde_saphyr::Spanned;

pub use crate::quantity::{ByteSize, HumanDuration, QuantityError};
use crate::rules::{ManifestRule, Rule};
use crate::secrets::Secrets;
pub use crate::version::Version;

mod discover;
mod limits;
mod schema;
mod step;
pub(crate) mod yaml;

pub use discover::{discover, Discovery};
pub use step::{
    Check, CloseSpec, CommandStep, DebugCommand, DebugStep, Direction, JobSwitch, LocalChange,
    LocalEntry, LocalFile, NewIncident, Step, StepExpect, StepKind,
};

/// What the harness says of a path that is neither a file nor a folder: reading it could
/// block forever.
pub(crate) const NOT_A_FILE: &str = "is not a regular file (a pipe, socket or device)";
pub use limits::{BoundProblem, LimitOverrides, Limits, LimitsSpec, RunLimits};
pub use schema::{schema, schema_text};

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
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSpec {
    /// One line saying what the scenario proves.
    pub description: String,
    /// The integration under test.
    pub integration: IntegrationRef,
    /// A checkout of the XSOAR content repository whose CommonServerPython and API modules
    /// replace the built-in ones (relative to this file; overrides `--content-root` and
    /// `$XSOAR_CONTENT_ROOT`).
    #[schemars(with = "Option<PathBuf>")]
    pub content_root: Option<Spanned<PathBuf>>,
    /// The integration instance: its name and parameter overrides.
    #[serde(default)]
    pub instance: InstanceSpec,
    /// The mock vendor the integration talks to.
    #[schemars(with = "Option<VendorSpec>")]
    pub vendor: Option<Spanned<VendorSpec>>,
    /// The integration's Python environment beyond what its Docker image gives it.
    #[serde(default)]
    pub python: PythonSpec,
    /// The timeout of each command run (`500ms`, `10s`, `1m`), at least 100ms.
    #[schemars(with = "Option<HumanDuration>")]
    pub timeout: Option<Spanned<HumanDuration>>,
    /// The bounds beyond the timeout; each has a default.
    #[serde(default)]
    pub limits: LimitsSpec,
    /// Server settings: version and the mirroring job.
    #[serde(default)]
    pub server: ServerSpec,
    /// The steps, in order: at least one.
    #[serde(deserialize_with = "at_least_one_step")]
    #[schemars(with = "Vec<Step>", length(min = 1))]
    pub steps: Vec<Spanned<Step>>,
    /// For scenarios of deliberately broken integrations: the rule the run must violate.
    pub expect_failure: Option<ExpectedFailure>,
    /// Manifest errors the integration YAML is known to have (for integrations the scenario
    /// author does not own); any other manifest error fails the scenario, and so does a listed
    /// one that is no longer found.
    #[serde(default)]
    #[schemars(with = "Vec<ManifestRule>")]
    pub manifest_findings: Vec<Spanned<ManifestRule>>,
}

/// Where the integration under test lives.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IntegrationRef {
    /// The integration YAML (or a pack integration folder), relative to the scenario file, or
    /// a file inside a wheel on PyPI.
    #[schemars(with = "IntegrationSource")]
    pub yaml: Spanned<IntegrationSource>,
    /// Code to run instead of the `.py` beside the YAML (or the YAML's embedded script).
    #[schemars(with = "Option<PathBuf>")]
    pub code: Option<Spanned<PathBuf>>,
    /// Classifier and mapper files; by default every `classifier-*.json` beside the YAML and
    /// in the pack's `Classifiers/` folder.
    #[schemars(with = "Option<Vec<PathBuf>>")]
    pub mappers: Option<Vec<Spanned<PathBuf>>>,
}

/// Where an integration's YAML comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntegrationSource {
    /// A YAML file or a pack integration folder, relative to the scenario file.
    Path(PathBuf),
    /// A file inside a wheel on PyPI, such as a demisto-sdk template:
    /// `pypi:<requirement>/<path inside the wheel>`. Pin the version so snapshots stay stable.
    Pypi {
        /// What pip installs, e.g. `demisto-sdk==1.39.13`.
        requirement: String,
        /// The file's path inside the wheel.
        path: String,
    },
}

impl IntegrationSource {
    /// The prefix that marks a PyPI location.
    pub const PYPI: &str = "pypi:";

    /// Reads a location as a scenario writes it.
    ///
    /// ```
    /// use xsoar_harness::scenario::IntegrationSource;
    /// assert_eq!(
    ///     IntegrationSource::parse("pypi:demisto-sdk==1.39.13/a/b.yml"),
    ///     Ok(IntegrationSource::Pypi {
    ///         requirement: "demisto-sdk==1.39.13".into(),
    ///         path: "a/b.yml".into(),
    ///     })
    /// );
    /// assert_eq!(
    ///     IntegrationSource::parse("integrations/x.yml"),
    ///     Ok(IntegrationSource::Path("integrations/x.yml".into()))
    /// );
    /// assert!(IntegrationSource::parse("pypi:demisto-sdk").is_err());
    /// ```
    pub fn parse(location: &str) -> Result<Self, BadPypiLocation> {
        let Some(rest) = location.strip_prefix(Self::PYPI) else {
            return Ok(Self::Path(PathBuf::from(location)));
        };
        match rest.split_once('/') {
            Some((requirement, path)) if !requirement.is_empty() && !path.is_empty() => {
                Ok(Self::Pypi {
                    requirement: requirement.to_owned(),
                    path: path.to_owned(),
                })
            }
            _ => Err(BadPypiLocation(location.to_owned())),
        }
    }
}

/// A `pypi:` location without a requirement or a path inside the wheel.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a PyPI location; write pypi:<package>[==<version>]/<path inside the wheel>")]
pub struct BadPypiLocation(pub String);

impl fmt::Display for IntegrationSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Path(path) => write!(f, "{}", path.display()),
            Self::Pypi { requirement, path } => write!(f, "{}{requirement}/{path}", Self::PYPI),
        }
    }
}

/// Any text; text that starts with `pypi:` must go on with a requirement, `/` and a path.
impl JsonSchema for IntegrationSource {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "IntegrationSource".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let prefix = regex::escape(Self::PYPI);
        schemars::json_schema!({
            "description": "The integration YAML (or a pack integration folder), relative to the \
                scenario file, or `pypi:<requirement>/<path inside the wheel>`.",
            "type": "string",
            "anyOf": [
                {"not": {"pattern": format!("^{prefix}")}},
                {"pattern": format!("^{prefix}[^/]+/.+$")},
            ],
        })
    }
}

impl<'de> Deserialize<'de> for IntegrationSource {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let location = String::deserialize(deserializer)?;
        Self::parse(&location).map_err(serde::de::Error::custom)
    }
}

/// The integration instance the server would configure.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InstanceSpec {
    /// The instance name; by default `<integration name>_instance_1`.
    pub name: Option<String>,
    /// Parameter values laid over the YAML defaults.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, Value>")]
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
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PythonSpec {
    /// pip requirements to install besides the image's packages and what the code imports
    /// (`[okta==2.9.*]`).
    #[serde(default)]
    pub packages: Vec<String>,
}

/// The mock vendor behind the integration.
#[derive(Debug, Deserialize, JsonSchema)]
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
    #[schemars(with = "Option<Value>")]
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

/// Server settings.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerSpec {
    /// The server version (`6.1.0` turns on the dirty-field rule of 6.1 and earlier).
    #[serde(default = "default_server_version")]
    pub version: Version,
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

impl ServerSpec {
    /// The server version unless the scenario names one: a current 6.x server.
    pub const DEFAULT_VERSION: Version = Version([6, 10, 0]);
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

fn default_server_version() -> Version {
    ServerSpec::DEFAULT_VERSION
}

fn yes() -> bool {
    true
}

fn one() -> u64 {
    1
}

/// The failure a scenario of a broken integration must produce.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectedFailure {
    /// The rule, by id, e.g. `iam.failure-has-error`.
    #[schemars(with = "Rule")]
    pub rule: Spanned<Rule>,
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
#[non_exhaustive]
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
pub(crate) fn scenario_name(path: &Path, root: &Path) -> String {
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
        assert!(matches!(&step.value, Step::Command(c) if c.name.value == "test-module"));
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
        let error = |step: &str| {
            parse(&format!("{MINIMAL}{step}"))
                .expect_err("not one action")
                .to_string()
        };
        let several = error("  - advance: 5m\n    sync: {}\n");
        assert!(
            several.contains(":6:5: a step has exactly one action, this one has several"),
            "{several}"
        );
        let none = error("  - {}\n");
        assert!(none.contains(":6:5: a step needs one action"), "{none}");
        let stray = error("  - fetch: {}\n    args: {a: 1}\n");
        assert!(stray.contains("belong to a `command` step"), "{stray}");
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
