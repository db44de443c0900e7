//! `xsoar-harness init`: a starter set of scenarios for what an integration implements.
//!
//! [`plan`] reads the manifest and the code (pure: no files), finds what the server would run
//! on the integration (the IAM commands it declares, `get-mapping-fields`, fetching, mirroring
//! in and out: `detect::Capabilities`), picks the mock vendor its API looks like (the rules
//! are in one place, `detect::FINGERPRINTS`), and lays out one scenario per flow with the
//! instance params the integration requires and the vendor records the flows need. [`write()`]
//! puts the set in a folder, refusing to overwrite; [`init`] does both from a path or a
//! `pypi:` location, as the CLI's `init` does.
//!
//! Every scenario loads and runs: it passes, or fails with the rule or the `expect` that did
//! not hold, never with a load error.

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};

use mock_vendors::VendorKind;
use serde_json::{json, Map, Value};

use crate::checks::closing::{CLOSE_INCIDENT, CLOSE_OUT};
use crate::checks::manifest::{check_manifest, string_literals};
use crate::iam::IamCommand;
use crate::integration::{Integration, IntegrationError, Manifest, ParamType, ServerCommand};
use crate::rules::Severity;
use crate::scenario::{Direction, IntegrationSource};

mod detect;
mod text;

pub use detect::VendorChoice;
use detect::{Capabilities, CodePaths};
use text::{flow, scalar};

/// The scenarios (and any mapper files) `init` writes, with the vendor they run against.
#[derive(Debug, Clone)]
pub struct StarterSet {
    /// The integration's name.
    pub integration: String,
    /// The vendor the scenarios start, and why it was chosen.
    pub vendor: VendorChoice,
    /// The files, by path relative to the output folder.
    pub files: Vec<StarterFile>,
    /// What the author should look at first (a required param given a placeholder, mappers
    /// written for the integration, ...).
    pub notes: Vec<String>,
}

/// One file of a starter set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StarterFile {
    /// The path relative to the output folder (`iam-create-user.yaml`, `mappers/...json`).
    pub path: PathBuf,
    /// The content.
    pub text: String,
}

impl StarterFile {
    /// Whether the file is a scenario (the others are mappers the scenarios use).
    pub fn is_scenario(&self) -> bool {
        self.path.extension().is_some_and(|e| e == "yaml")
    }
}

/// How the written scenarios name the integration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRef {
    /// The value of `integration.yaml`: a path relative to the output folder, or a `pypi:`
    /// location.
    pub yaml: String,
    /// The integration as the user named it, for the files' header comment.
    pub origin: String,
}

/// Why `init` could not write a starter set: what, why, and what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InitError {
    /// The integration could not be loaded.
    #[error("cannot read the integration: {0}")]
    Integration(#[from] IntegrationError),
    /// The `pypi:` location could not be fetched.
    #[error("cannot fetch {location}: {source}")]
    Pypi {
        /// The location.
        location: String,
        /// Why.
        #[source]
        source: crate::pypi::PypiError,
    },
    /// No Python to fetch a `pypi:` location with.
    #[error("cannot fetch {location}: {source}; install python3 or name a local integration YAML instead")]
    Python {
        /// The location.
        location: String,
        /// Why.
        #[source]
        source: crate::runtime::RuntimeError,
    },
    /// The pack folder holds no integration, or several.
    #[error("{folder} is a pack folder with {found}; name one integration: xsoar-harness init {folder}/Integrations/<Name>")]
    Pack {
        /// The pack folder.
        folder: PathBuf,
        /// What it holds (`no integration`, `3 integrations: A, B, C`).
        found: String,
    },
    /// Files of the set exist already.
    #[error("{} already exist{} in {}: init overwrites nothing; pass --force to replace {}, or choose another --out folder", list(.paths), if .paths.len() == 1 { "s" } else { "" }, .out.display(), if .paths.len() == 1 { "it" } else { "them" })]
    Exists {
        /// The output folder.
        out: PathBuf,
        /// The files there, relative to it.
        paths: Vec<PathBuf>,
    },
    /// A file or folder could not be written.
    #[error("cannot write {path}: {source}; check that the folder is writable")]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

fn list(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What `init` wrote.
#[derive(Debug, Clone)]
pub struct Initialized {
    /// The starter set.
    pub set: StarterSet,
    /// The output folder, as given.
    pub out: PathBuf,
    /// The files written, under `out`.
    pub written: Vec<PathBuf>,
}

impl Initialized {
    /// The report `init` prints: the vendor, the files written and the next steps.
    pub fn summary(&self) -> String {
        let out = self.out.display();
        let mut text = format!(
            "xsoar-harness init: {} scenarios for {} against {}\n",
            self.set.files.iter().filter(|f| f.is_scenario()).count(),
            self.set.integration,
            self.set.vendor.reason
        );
        text.push_str("wrote:\n");
        for path in &self.written {
            text.push_str(&format!("  {}\n", path.display()));
        }
        if !self.set.notes.is_empty() {
            text.push_str("look at:\n");
            for note in &self.set.notes {
                text.push_str(&format!("  - {note}\n"));
            }
        }
        text.push_str(&format!(
            "next steps:\n  1. run the set once and accept the snapshots of what happened:\n       xsoar-harness run {out} --root {out} --snapshots {out}/snapshots --accept-snapshots\n  2. review: read {out}/snapshots/*.snap (the requests, entries and vendor state of each flow), the report's failures, and each scenario's expect and check steps; the comment at the top of each file says what to adjust\n  3. from then on run it like any suite (a changed snapshot fails until accepted):\n       xsoar-harness run {out} --root {out} --snapshots {out}/snapshots\n"
        ));
        text
    }
}

/// Where `init` reads the integration and writes the set.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// An integration YAML, an integration folder, a pack folder holding one integration, or a
    /// `pypi:<requirement>/<path in the wheel>` location.
    pub source: IntegrationSource,
    /// The output folder.
    pub out: PathBuf,
    /// Replace files that exist.
    pub force: bool,
}

/// Loads the integration, plans its starter set and writes it.
pub fn init(options: &InitOptions) -> Result<Initialized, InitError> {
    let (integration, yaml_ref) = match &options.source {
        IntegrationSource::Path(path) => {
            let integration = Integration::load(&integration_path(path)?, None, None)?;
            (integration, None)
        }
        IntegrationSource::Pypi { requirement, path } => {
            let location = options.source.to_string();
            let host =
                crate::runtime::PythonHost::discover().map_err(|source| InitError::Python {
                    location: location.clone(),
                    source,
                })?;
            let local = crate::pypi::resolve(&host, requirement, path).map_err(|source| {
                InitError::Pypi {
                    location: location.clone(),
                    source,
                }
            })?;
            (Integration::load(&local, None, None)?, Some(location))
        }
    };
    create_dir(&options.out)?;
    let yaml = match yaml_ref {
        Some(location) => location,
        None => {
            let out = options
                .out
                .canonicalize()
                .map_err(|source| InitError::Write {
                    path: options.out.clone(),
                    source,
                })?;
            let target = canonical(&integration.yaml_path)?;
            relative_path(&out, &target).to_string_lossy().into_owned()
        }
    };
    let source = SourceRef {
        yaml,
        origin: options.source.to_string(),
    };
    let set = plan(&integration, &source);
    let written = write(&set, &options.out, options.force)?;
    Ok(Initialized {
        set,
        out: options.out.clone(),
        written,
    })
}

/// The integration YAML or folder `path` names: a pack folder (one with `Integrations/`) gives
/// its only integration.
fn integration_path(path: &Path) -> Result<PathBuf, InitError> {
    let integrations = path.join("Integrations");
    if !path.is_dir() || !integrations.is_dir() {
        return Ok(path.to_owned());
    }
    let entries = std::fs::read_dir(&integrations).map_err(|source| {
        InitError::Integration(IntegrationError::Read {
            path: integrations.clone(),
            source,
        })
    })?;
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| {
            InitError::Integration(IntegrationError::Read {
                path: integrations.clone(),
                source,
            })
        })?;
        found.push(entry.path());
    }
    let mut found: Vec<PathBuf> = found
        .into_iter()
        .filter(|dir| {
            dir.file_name().is_some_and(|name| {
                let name = name.to_string_lossy();
                ["yml", "yaml"]
                    .iter()
                    .any(|ext| dir.join(format!("{name}.{ext}")).is_file())
            })
        })
        .collect();
    found.sort();
    match found.as_slice() {
        [only] => Ok(only.clone()),
        [] => Err(InitError::Pack {
            folder: path.to_owned(),
            found: "no integration (no Integrations/<Name>/<Name>.yml)".to_owned(),
        }),
        several => Err(InitError::Pack {
            folder: path.to_owned(),
            found: format!(
                "{} integrations: {}",
                several.len(),
                several
                    .iter()
                    .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }),
    }
}

fn create_dir(dir: &Path) -> Result<(), InitError> {
    std::fs::create_dir_all(dir).map_err(|source| InitError::Write {
        path: dir.to_owned(),
        source,
    })
}

fn canonical(path: &Path) -> Result<PathBuf, InitError> {
    path.canonicalize().map_err(|source| {
        InitError::Integration(IntegrationError::Read {
            path: path.to_owned(),
            source,
        })
    })
}

/// `target` relative to the folder `from` (both absolute): `../../integrations/X/X.yml`.
fn relative_path(from: &Path, target: &Path) -> PathBuf {
    let from: Vec<Component> = from.components().collect();
    let to: Vec<Component> = target.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut relative = PathBuf::new();
    for _ in common..from.len() {
        relative.push("..");
    }
    for part in &to[common..] {
        relative.push(part);
    }
    relative
}

/// Writes the set under `out`; with `force` false, refuses (writing nothing) if any file
/// exists. Returns the files written.
pub fn write(set: &StarterSet, out: &Path, force: bool) -> Result<Vec<PathBuf>, InitError> {
    let existing: Vec<PathBuf> = set
        .files
        .iter()
        .filter(|f| out.join(&f.path).exists())
        .map(|f| f.path.clone())
        .collect();
    if !existing.is_empty() && !force {
        return Err(InitError::Exists {
            out: out.to_owned(),
            paths: existing,
        });
    }
    let mut written = Vec::new();
    for file in &set.files {
        let path = out.join(&file.path);
        if let Some(parent) = path.parent() {
            create_dir(parent)?;
        }
        std::fs::write(&path, &file.text).map_err(|source| InitError::Write {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}

/// The starter set for `integration`, whose scenarios name it as `source` says.
pub fn plan(integration: &Integration, source: &SourceRef) -> StarterSet {
    let manifest = &integration.manifest;
    let code = integration.own_code.as_deref().unwrap_or(&integration.code);
    let literals = string_literals(code);
    let capabilities = Capabilities::of(manifest);
    let vendor = detect::choose_vendor(manifest, &literals, &capabilities);
    let mut planner = Planner::new(
        integration,
        source,
        vendor.clone(),
        &literals,
        &capabilities,
    );
    planner.iam(&capabilities);
    planner.mirroring(&capabilities);
    if capabilities.mapping_fields {
        planner.mapping_fields(&capabilities);
    }
    planner.test_module();
    StarterSet {
        integration: manifest.name.clone(),
        vendor,
        files: planner.files,
        notes: planner.notes,
    }
}

/// The secret the mock vendor accepts, as the instance's secret params carry it.
struct Secret {
    /// `credentials.identifier`.
    identifier: String,
    /// `credentials.password`, or an encrypted param's value.
    password: String,
    /// `vendor.token`, when the vendor takes one.
    token: Option<String>,
}

impl Secret {
    fn of(kind: VendorKind) -> Self {
        match kind {
            VendorKind::Okta => Self {
                identifier: String::new(),
                password: mock_vendors::okta::DEFAULT_TOKEN.to_owned(),
                token: Some(mock_vendors::okta::DEFAULT_TOKEN.to_owned()),
            },
            VendorKind::ServiceNow => {
                let credentials = mock_vendors::servicenow::DEFAULT_CREDENTIALS;
                let (user, password) = credentials
                    .split_once(':')
                    .unwrap_or(("harness", credentials));
                Self {
                    identifier: user.to_owned(),
                    password: password.to_owned(),
                    token: Some(credentials.to_owned()),
                }
            }
            VendorKind::Xsoar => Self {
                identifier: String::new(),
                password: mock_vendors::xsoar::DEFAULT_API_KEY.to_owned(),
                token: Some(mock_vendors::xsoar::DEFAULT_API_KEY.to_owned()),
            },
            VendorKind::Stub => Self {
                identifier: "harness".to_owned(),
                password: "harness-secret".to_owned(),
                token: None,
            },
        }
    }
}

/// A param value with the comment that says where it came from.
struct ParamValue {
    name: String,
    value: Value,
    comment: Option<String>,
}

/// The test user of the IAM flows.
const EMAIL: &str = "jdoe@example.com";
/// An email no account has.
const NOBODY: &str = "nobody@example.com";
/// The id the stubs give the test user.
const STUB_USER_ID: &str = "1001";

struct Planner<'a> {
    manifest: &'a Manifest,
    source: &'a SourceRef,
    vendor: VendorChoice,
    secret: Secret,
    paths: CodePaths,
    /// The mapper files init writes (for an IAM integration that comes without any).
    mappers: Vec<String>,
    /// The manifest errors listed as known.
    findings: Vec<String>,
    files: Vec<StarterFile>,
    notes: Vec<String>,
}

impl<'a> Planner<'a> {
    fn new(
        integration: &'a Integration,
        source: &'a SourceRef,
        vendor: VendorChoice,
        literals: &HashSet<&str>,
        capabilities: &Capabilities,
    ) -> Self {
        let manifest = &integration.manifest;
        let findings: Vec<String> = {
            let mut ids: Vec<String> = check_manifest(manifest, integration.own_code.as_deref())
                .into_iter()
                .filter(|f| f.severity == Severity::Error)
                .map(|f| f.rule.id().to_owned())
                .collect();
            ids.sort();
            ids.dedup();
            ids
        };
        let mut planner = Self {
            manifest,
            source,
            secret: Secret::of(vendor.kind),
            vendor,
            paths: CodePaths::of(literals),
            mappers: Vec::new(),
            findings,
            files: Vec::new(),
            notes: Vec::new(),
        };
        if !planner.findings.is_empty() {
            planner.notes.push(format!(
                "the integration YAML breaks manifest rules ({}); every scenario lists them under manifest_findings so the flows are judged: `xsoar-harness manifest` says how to fix them, then delete that line",
                planner.findings.join(", ")
            ));
        }
        if !capabilities.iam.is_empty() && integration.definitions.is_empty() {
            planner.write_mappers();
        }
        if detect::url_param(manifest).is_none() {
            planner.notes.push(format!(
                "no instance param looks like the vendor's URL; the scenarios give the mock's address as `url`: set vendor.url_param to the param {} reads the base URL from",
                manifest.name
            ));
        }
        planner
    }

    /// Mapper files for an IAM integration that has none: the instance's mapper params name
    /// them, and `mapObject` fails without them.
    fn write_mappers(&mut self) {
        let (email, username, given, family) = match self.vendor.kind {
            VendorKind::Okta => ("email", "login", "firstName", "lastName"),
            _ => ("email", "user_name", "first_name", "last_name"),
        };
        let id = sanitize(&self.manifest.commonfields.id);
        for (direction, kind, mapping) in [
            (
                "incoming",
                "mapping-incoming",
                json!({
                    "email": {"simple": email},
                    "username": {"simple": username},
                    "givenname": {"simple": given},
                    "surname": {"simple": family},
                }),
            ),
            (
                "outgoing",
                "mapping-outgoing",
                json!({
                    email: {"simple": "email"},
                    username: {"simple": "email"},
                    given: {"simple": "givenname"},
                    family: {"simple": "surname"},
                }),
            ),
        ] {
            let name = self.mapper_name(direction);
            let mut map = Map::new();
            map.insert("id".into(), Value::String(name.clone()));
            map.insert("name".into(), Value::String(name.clone()));
            map.insert("type".into(), Value::String(kind.to_owned()));
            map.insert(
                "description".into(),
                Value::String(format!(
                    "Generated by xsoar-harness init: a starter {direction} mapper between the XSOAR user profile and the {} user ({email}, {username}, {given}, {family}); replace it with the integration's own.",
                    self.vendor.kind.as_str()
                )),
            );
            map.insert(
                "mapping".into(),
                json!({"User Profile": {"internalMapping": mapping}}),
            );
            let file = format!("mappers/classifier-mapper-{direction}-{id}.json");
            let text = serde_json::to_string_pretty(&Value::Object(map))
                .map(|t| t + "\n")
                .unwrap_or_default();
            self.files.push(StarterFile {
                path: PathBuf::from(&file),
                text,
            });
            self.mappers.push(file);
        }
        self.notes.push(
            "the integration comes without classifier-mapper-*.json files: init wrote starter mappers under mappers/ (named as the mapper params say) that map email, username, givenname and surname; give the scenarios the integration's real mappers under integration.mappers"
                .to_owned(),
        );
    }

    /// The mapper the instance's `mapper-in` / `mapper_in` (or `-out`) param names, else the
    /// manifest's default mapper, else one named after the integration.
    fn mapper_name(&self, direction: &str) -> String {
        let short = if direction == "incoming" { "in" } else { "out" };
        let from_param = self
            .mapper_param(short)
            .and_then(|p| p.defaultvalue.as_ref())
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        let from_manifest = if direction == "incoming" {
            self.manifest.defaultmapperin.clone()
        } else {
            self.manifest.defaultmapperout.clone()
        };
        from_param.or(from_manifest).unwrap_or_else(|| {
            let label = if direction == "incoming" {
                "Incoming"
            } else {
                "Outgoing"
            };
            format!("User Profile - {} ({label})", self.manifest.name)
        })
    }

    fn mapper_param(&self, short: &str) -> Option<&crate::integration::ParamSpec> {
        self.manifest.configuration.iter().find(|p| {
            p.name
                .replace('_', "-")
                .eq_ignore_ascii_case(&format!("mapper-{short}"))
        })
    }

    /// The instance params every scenario sets: every secret param the vendor's token goes in,
    /// and a value for every required param without a default.
    fn base_params(&self) -> Vec<ParamValue> {
        let url = detect::url_param(self.manifest).map(|p| p.name.clone());
        let secret_types = [
            ParamType::Credentials,
            ParamType::Encrypted,
            ParamType::EncryptedLongText,
        ];
        let any_required_secret = self
            .manifest
            .configuration
            .iter()
            .any(|p| p.required && secret_types.contains(&p.kind));
        let mut params = Vec::new();
        for param in &self.manifest.configuration {
            if Some(&param.name) == url.as_ref() {
                continue;
            }
            let is_secret = secret_types.contains(&param.kind);
            if is_secret && (param.required || !any_required_secret) {
                let comment = match self.secret.token {
                    Some(_) => format!("the secret the {} mock accepts", self.vendor.kind.as_str()),
                    None => "a dummy secret: the stubs do not check it".to_owned(),
                };
                let value = match param.kind {
                    ParamType::Credentials => json!({
                        "identifier": self.secret.identifier,
                        "password": self.secret.password,
                    }),
                    _ => Value::String(self.secret.password.clone()),
                };
                params.push(ParamValue {
                    name: param.name.clone(),
                    value,
                    comment: Some(comment),
                });
                continue;
            }
            let has_default = param
                .defaultvalue
                .as_ref()
                .is_some_and(|v| !matches!(v, Value::Null) && v.as_str() != Some(""));
            if !param.required || has_default {
                continue;
            }
            let short = param.name.replace('_', "-");
            let (value, comment) = if short == "mapper-in" || short == "mapper-out" {
                let direction = if short == "mapper-in" {
                    "incoming"
                } else {
                    "outgoing"
                };
                (
                    Value::String(self.mapper_name(direction)),
                    "the mapper the instance uses".to_owned(),
                )
            } else {
                match param.kind {
                    ParamType::Boolean => (Value::Bool(false), "required".to_owned()),
                    ParamType::Number => (json!(1), "required: give a real value".to_owned()),
                    ParamType::SingleSelect | ParamType::MultiSelect
                        if !param.options.is_empty() =>
                    {
                        (
                            Value::String(param.options[0].clone()),
                            "required: the first option".to_owned(),
                        )
                    }
                    ParamType::IncidentType => (
                        Value::String("Unclassified".to_owned()),
                        "required".to_owned(),
                    ),
                    _ => (
                        Value::String("change-me".to_owned()),
                        "required: give a real value".to_owned(),
                    ),
                }
            };
            params.push(ParamValue {
                name: param.name.clone(),
                value,
                comment: Some(comment),
            });
        }
        params
    }

    /// The value to set a param to, if the manifest declares it.
    fn declared(&self, name: &str, value: Value, comment: &str) -> Option<ParamValue> {
        self.manifest.param(name).map(|_| ParamValue {
            name: name.to_owned(),
            value,
            comment: Some(comment.to_owned()),
        })
    }

    /// `mirror_direction` set to `direction`, if the manifest declares it with that option.
    fn direction(&self, direction: Direction) -> Option<ParamValue> {
        let param = self.manifest.param("mirror_direction")?;
        let label = direction.label();
        if !param.options.is_empty() && !param.options.iter().any(|o| o == label) {
            return None;
        }
        Some(ParamValue {
            name: param.name.clone(),
            value: Value::String(label.to_owned()),
            comment: None,
        })
    }

    /// Writes one scenario.
    fn scenario(&mut self, file: &str, scenario: Scenario) {
        let mut text = String::new();
        text.push_str(&format!(
            "# Generated by `xsoar-harness init` from {}.\n",
            self.source.origin
        ));
        for line in scenario.header {
            text.push_str(&format!("# {line}\n"));
        }
        text.push_str(&format!("description: {}\n", scalar(&scenario.description)));
        text.push_str("integration:\n");
        text.push_str(&format!("  yaml: {}\n", scalar(&self.source.yaml)));
        if !self.mappers.is_empty() {
            text.push_str("  # Written by init: the integration comes without mappers.\n");
            text.push_str(&format!(
                "  mappers: [{}]\n",
                self.mappers
                    .iter()
                    .map(|m| scalar(m))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if !self.findings.is_empty() {
            text.push_str("# Manifest errors of the integration YAML, listed as known so that the flows are judged;\n# `xsoar-harness manifest` explains them. Fix the YAML, then delete this line.\n");
            text.push_str(&format!(
                "manifest_findings: [{}]\n",
                self.findings.join(", ")
            ));
        }
        let mut params = self.base_params();
        params.extend(scenario.params);
        if !params.is_empty() {
            text.push_str("instance:\n  params:\n");
            for param in params {
                let comment = param
                    .comment
                    .map(|c| format!("   # {c}"))
                    .unwrap_or_default();
                text.push_str(&format!(
                    "    {}: {}{comment}\n",
                    scalar(&param.name),
                    flow(&param.value)
                ));
            }
        }
        if let Some(server) = scenario.server {
            text.push_str(&server);
        }
        text.push_str("vendor:\n");
        text.push_str(&format!("  kind: {}\n", self.vendor.kind.as_str()));
        if let Some(url) = detect::url_param(self.manifest) {
            if url.name != "url" {
                text.push_str(&format!(
                    "  url_param: {}   # receives the mock's address\n",
                    scalar(&url.name)
                ));
            }
        }
        if let Some(token) = &self.secret.token {
            text.push_str(&format!(
                "  token: {}   # what the mock accepts\n",
                scalar(token)
            ));
        }
        if let Some(seed) = scenario.seed {
            text.push_str("  seed:\n");
            text.push_str(&seed);
        }
        if !scenario.stubs.is_empty() {
            text.push_str("  # Guessed from the paths the code names; answer as your API does.\n");
            text.push_str("  stubs:\n");
            for stub in &scenario.stubs {
                text.push_str(&format!("    - {}\n", flow(stub)));
            }
        }
        text.push_str("steps:\n");
        text.push_str(&scenario.steps);
        self.files.push(StarterFile {
            path: PathBuf::from(file),
            text,
        });
    }

    /// The IAM flows of the declared management commands.
    fn iam(&mut self, capabilities: &Capabilities) {
        let okta = self.vendor.kind == VendorKind::Okta;
        let adjust_seed = if okta {
            "Adjust the seeded Okta user and the profile to what your mappers read."
        } else {
            "Adjust the stubs to your API's requests and answers, and the profile to your mappers."
        };
        for command in &capabilities.iam {
            let name = command.name();
            match command {
                IamCommand::Create => self.scenario(
                    "iam-create-user.yaml",
                    Scenario {
                        header: vec![
                            format!("{name} provisions a user the vendor does not have yet."),
                            adjust_seed.to_owned(),
                        ],
                        description: format!("{name} creates a user that does not exist yet and reports it active."),
                        stubs: self.user_stubs(false, Some("POST")),
                        steps: command_step(
                            name,
                            &json!({"user-profile": {"email": EMAIL, "givenname": "John", "surname": "Doe"}, "allow-enable": "true"}),
                            Some(&json!({"vendor": {"action": "create", "success": true, "active": true}})),
                        ),
                        ..Scenario::default()
                    },
                ),
                IamCommand::Get => {
                    self.scenario(
                        "iam-get-user-found.yaml",
                        Scenario {
                            header: vec![
                                format!("{name} finds a user by email and maps the vendor's profile back."),
                                adjust_seed.to_owned(),
                            ],
                            description: format!("{name} finds an existing user by email."),
                            seed: self.user_seed(),
                            stubs: self.user_stubs(true, None),
                            steps: command_step(
                                name,
                                &json!({"user-profile": {"email": EMAIL}}),
                                Some(&json!({"vendor": {"action": "get", "success": true, "active": true}})),
                            ),
                            ..Scenario::default()
                        },
                    );
                    self.scenario(
                        "iam-get-user-not-found.yaml",
                        Scenario {
                            header: vec![
                                format!("{name} for an email no user has fails softly: success false, errorCode 404, 'User does not exist' (IAMErrors.USER_DOES_NOT_EXIST)."),
                                adjust_seed.to_owned(),
                            ],
                            description: format!("{name} for an email no user has reports that the user does not exist."),
                            seed: self.user_seed(),
                            stubs: self.nobody_stubs(),
                            steps: command_step(
                                name,
                                &json!({"user-profile": {"email": NOBODY}}),
                                Some(&json!({"vendor": {"action": "get", "success": false, "errorCode": 404}})),
                            ),
                            ..Scenario::default()
                        },
                    );
                }
                IamCommand::Update => self.scenario(
                    "iam-update-user.yaml",
                    Scenario {
                        header: vec![
                            format!("{name} changes the attributes the profile carries on an existing user."),
                            adjust_seed.to_owned(),
                        ],
                        description: format!("{name} updates an existing user."),
                        seed: self.user_seed(),
                        stubs: self.user_stubs(true, Some("PATCH")),
                        steps: command_step(
                            name,
                            &json!({"user-profile": {"email": EMAIL, "surname": "Doe-Smith"}, "allow-enable": "false"}),
                            Some(&json!({"vendor": {"action": "update", "success": true, "active": true}})),
                        ),
                        ..Scenario::default()
                    },
                ),
                IamCommand::Disable => self.scenario(
                    "iam-disable-user.yaml",
                    Scenario {
                        header: vec![
                            format!("{name} deactivates an active user, who is then reported inactive."),
                            adjust_seed.to_owned(),
                        ],
                        description: format!("{name} disables an active user."),
                        seed: self.user_seed(),
                        stubs: self.user_stubs(true, Some("PATCH")),
                        steps: command_step(
                            name,
                            &json!({"user-profile": {"email": EMAIL}}),
                            Some(&json!({"vendor": {"action": "disable", "success": true, "active": false}})),
                        ),
                        ..Scenario::default()
                    },
                ),
            }
        }
    }

    /// The Okta seed with the test user (nothing for other vendors).
    fn user_seed(&self) -> Option<String> {
        (self.vendor.kind == VendorKind::Okta).then(|| {
            format!(
                "    users:\n      - {}\n",
                flow(&json!({"profile": {"login": EMAIL, "email": EMAIL, "firstName": "John", "lastName": "Doe"}}))
            )
        })
    }

    /// The stub user, in the demisto-sdk HelloIAMWorld template's shape.
    fn stub_user(active: bool) -> Value {
        json!({"user_id": STUB_USER_ID, "user_name": EMAIL, "email": EMAIL, "first_name": "John", "last_name": "Doe", "active": active})
    }

    /// Stubs for the user flows: the lookup by email (finding the user or not), and a write
    /// (`POST` to the users path, or `PATCH` of the user) answering the user.
    fn user_stubs(&self, exists: bool, write: Option<&str>) -> Vec<Value> {
        if self.vendor.kind != VendorKind::Stub {
            return Vec::new();
        }
        let users = self.users_path();
        let found = if exists {
            json!([Self::stub_user(true)])
        } else {
            json!([])
        };
        let mut stubs = vec![json!({
            "match": {"method": "GET", "path": users, "query": {"email": EMAIL}},
            "respond": {"json": {"result": found}},
        })];
        match write {
            Some("PATCH") => stubs.push(json!({
                "match": {"method": "PATCH", "path": format!("{users}/{STUB_USER_ID}")},
                "respond": {"json": {"result": Self::stub_user(true)}},
            })),
            Some(method) => stubs.push(json!({
                "match": {"method": method, "path": users},
                "respond": {"status": 201, "json": {"result": Self::stub_user(true)}},
            })),
            None => {}
        }
        stubs
    }

    fn nobody_stubs(&self) -> Vec<Value> {
        if self.vendor.kind != VendorKind::Stub {
            return Vec::new();
        }
        vec![json!({
            "match": {"method": "GET", "path": self.users_path(), "query": {"email": NOBODY}},
            "respond": {"json": {"result": []}},
        })]
    }

    fn users_path(&self) -> String {
        self.paths
            .endpoint("users")
            .unwrap_or_else(|| self.paths.under_base("users"))
    }

    /// The mirroring flows: fetch and mirror in, push out, both ways, close.
    fn mirroring(&mut self, capabilities: &Capabilities) {
        if !capabilities.fetch && !capabilities.mirrors() {
            return;
        }
        let seed = self.incident_seed();
        let adjust = match self.vendor.kind {
            VendorKind::ServiceNow => "Adjust the seeded ticket, the remote changes and the checks to your flows.",
            VendorKind::Xsoar => "Adjust the seeded remote incident, the remote changes and the checks to your flows.",
            _ => "Stubs cannot answer fetching and mirroring plausibly: add stubs for your API's incident routes, or run against a built-in vendor.",
        };
        let fetch_first = if capabilities.fetch {
            "  - fetch: {}\n  - check: {incidents: 1}\n".to_owned()
        } else {
            format!(
                "  - create: {}\n",
                flow(
                    &json!({"name": "Local incident from init", "direction": "Out", "tags": [self.mirror_tag()]})
                )
            )
        };
        if capabilities.fetch && !capabilities.mirrors() {
            self.scenario(
                "fetch-incidents.yaml",
                Scenario {
                    header: vec![
                        "fetch-incidents creates one incident for the remote incident.".to_owned(),
                        adjust.to_owned(),
                    ],
                    description: "fetch-incidents fetches the remote incident once.".to_owned(),
                    seed: seed.clone(),
                    steps: "  - fetch: {}\n  - check: {incidents: 1}\n  # A second fetch brings nothing new.\n  - fetch: {}\n  - check: {incidents: 1}\n".to_owned(),
                    ..Scenario::default()
                },
            );
        }
        if capabilities.incoming && capabilities.fetch {
            let steps = format!(
                "{fetch_first}  # A person comments on and edits the remote incident; the mirroring job brings both in.\n{}  - advance: 2m\n  - check: {{incidents: 1}}\n",
                self.remote_changes()
            );
            self.scenario(
                "mirror-incoming.yaml",
                Scenario {
                    header: vec![
                        "Fetch, then the remote comment and field change mirror in once (mirror.entries-exactly-once, mirror.no-echo judge it).".to_owned(),
                        adjust.to_owned(),
                    ],
                    description: "A fetched incident mirrors in the remote comment and field change.".to_owned(),
                    params: self.direction(Direction::In).into_iter().collect(),
                    seed: seed.clone(),
                    steps,
                    ..Scenario::default()
                },
            );
        }
        if capabilities.outgoing {
            let steps = format!(
                "{fetch_first}  # The analyst writes an entry tagged with the mirror tag and changes a field; the job pushes both.\n{}  - advance: 1m\n  - advance: 2m\n",
                self.local_changes()
            );
            self.scenario(
                "mirror-outgoing.yaml",
                Scenario {
                    header: vec![
                        "The analyst's tagged entry and field change are pushed out once (mirror.entries-exactly-once, mirror.delta-only judge it).".to_owned(),
                        adjust.to_owned(),
                    ],
                    description: "A local entry tagged with the mirror tag and a field change are pushed to the remote incident.".to_owned(),
                    params: self.direction(Direction::Out).into_iter().collect(),
                    seed: seed.clone(),
                    steps,
                    ..Scenario::default()
                },
            );
        }
        if capabilities.incoming && capabilities.outgoing && capabilities.fetch {
            let steps = format!(
                "{fetch_first}{}  - advance: 1m\n{}  - advance: 2m\n  - check: {{incidents: 1}}\n",
                self.local_changes(),
                self.remote_changes()
            );
            self.scenario(
                "mirror-both.yaml",
                Scenario {
                    header: vec![
                        "Changes on both sides mirror both ways, each exactly once, with no echo."
                            .to_owned(),
                        adjust.to_owned(),
                    ],
                    description: "Local and remote changes mirror both ways.".to_owned(),
                    params: self.direction(Direction::Both).into_iter().collect(),
                    seed: seed.clone(),
                    steps,
                    ..Scenario::default()
                },
            );
        }
        if capabilities.fetch && capabilities.mirrors() {
            self.close_scenarios(capabilities, seed, &fetch_first, adjust);
        }
    }

    fn close_scenarios(
        &mut self,
        capabilities: &Capabilities,
        seed: Option<String>,
        fetch_first: &str,
        adjust: &str,
    ) {
        let both = if capabilities.incoming && capabilities.outgoing {
            Direction::Both
        } else if capabilities.incoming {
            Direction::In
        } else {
            Direction::Out
        };
        let close_out = self.manifest.param(CLOSE_OUT).is_some();
        let close_in = self.manifest.param(CLOSE_INCIDENT).is_some();
        if capabilities.outgoing {
            let mut params: Vec<ParamValue> = self.direction(both).into_iter().collect();
            params.extend(self.declared(
                CLOSE_OUT,
                Value::Bool(true),
                "close the remote incident too",
            ));
            let vendor_check = if close_out {
                self.closed_remotely_check()
            } else {
                String::new()
            };
            let steps = format!(
                "{fetch_first}  - local:\n      incident: 1\n      close: {{reason: Resolved, notes: Closed by the starter scenario}}\n  - advance: 1m\n  - advance: 2m\n  - check:\n      incident: {{id: 1, status: closed}}\n{vendor_check}"
            );
            let mut header = vec!["The analyst closes the incident locally; it stays closed and the close does not bounce back.".to_owned()];
            if close_out {
                header.push("With close_out on, the remote incident is closed too.".to_owned());
            } else {
                header.push("The manifest declares no close_out param: add a vendor check if your integration closes the remote incident.".to_owned());
            }
            header.push(adjust.to_owned());
            self.scenario(
                "mirror-close-out.yaml",
                Scenario {
                    header,
                    description: "Closing the incident locally is mirrored out.".to_owned(),
                    params,
                    seed: seed.clone(),
                    steps,
                    ..Scenario::default()
                },
            );
        }
        if capabilities.incoming && close_in {
            let mut params: Vec<ParamValue> = self.direction(both).into_iter().collect();
            params.extend(self.declared(
                CLOSE_INCIDENT,
                Value::Bool(true),
                "close the local incident too",
            ));
            let steps = format!(
                "{fetch_first}{}  - advance: 1m\n  - advance: 2m\n  - check:\n      incident: {{id: 1, status: closed}}\n",
                self.remote_close()
            );
            self.scenario(
                "mirror-close-in.yaml",
                Scenario {
                    header: vec![
                        "The remote incident is closed; with close_incident on, the mirrored incident closes once.".to_owned(),
                        adjust.to_owned(),
                    ],
                    description: "Closing the remote incident closes the mirrored incident.".to_owned(),
                    params,
                    seed,
                    steps,
                    ..Scenario::default()
                },
            );
        }
    }

    /// The vendor seed with the one remote incident the flows fetch.
    fn incident_seed(&self) -> Option<String> {
        match self.vendor.kind {
            VendorKind::ServiceNow => Some(format!(
                "    incident:\n      - {}\n",
                flow(
                    &json!({"short_description": "Suspicious login", "state": "2", "severity": "2"})
                )
            )),
            VendorKind::Xsoar => Some(format!(
                "    users: [{}]   # the first is the API key's user\n    incidents:\n      - {}\n",
                flow(&json!({"username": "mirror-bot"})),
                flow(&json!({"name": "Suspicious login", "sourceBrand": "IdP", "severity": 2}))
            )),
            _ => None,
        }
    }

    /// A person's comment and field change on the remote incident, in the vendor's terms.
    fn remote_changes(&self) -> String {
        match self.vendor.kind {
            VendorKind::ServiceNow => format!(
                "  - remote:\n      update: {}\n  - remote:\n      update: {}\n",
                flow(&json!({"record": "INC0010001", "fields": {"comments": "The user confirms the login was theirs"}})),
                flow(&json!({"record": "INC0010001", "fields": {"urgency": "1"}}))
            ),
            VendorKind::Xsoar => format!(
                "  - remote:\n      entry: {}\n  - remote:\n      edit: {}\n",
                flow(&json!({"incident": "1", "contents": "The user confirms the login was theirs", "note": true})),
                flow(&json!({"incident": "1", "fields": {"severity": 3}}))
            ),
            _ => "  # A stub vendor has no remote changes: add stubs that answer get-remote-data with one.\n".to_owned(),
        }
    }

    /// The remote incident closed by a person.
    fn remote_close(&self) -> String {
        match self.vendor.kind {
            VendorKind::ServiceNow => format!(
                "  - remote:\n      update: {}\n",
                flow(&json!({"record": "INC0010001", "fields": {"state": "7", "close_code": "Solved (Permanently)", "close_notes": "False positive"}}))
            ),
            VendorKind::Xsoar => format!(
                "  - remote:\n      close: {}\n",
                flow(&json!({"incident": "1", "reason": "Resolved", "notes": "False positive"}))
            ),
            _ => "  # A stub vendor cannot close anything: add stubs that answer get-remote-data with a closed incident.\n".to_owned(),
        }
    }

    /// A check that the remote incident is closed.
    fn closed_remotely_check(&self) -> String {
        match self.vendor.kind {
            VendorKind::ServiceNow => format!(
                "  - check:\n      vendor: {}\n",
                flow(&json!({"incident": [{"state": "7"}]}))
            ),
            VendorKind::Xsoar => format!(
                "  - check:\n      vendor: {}\n",
                flow(&json!({"incidents": [{"status": 2}]}))
            ),
            _ => String::new(),
        }
    }

    /// An analyst's tagged entry and field change on incident 1.
    fn local_changes(&self) -> String {
        format!(
            "  - local:\n      incident: 1\n      entry: {}\n  - local:\n      incident: 1\n      set: {{severity: 3}}\n",
            flow(&json!({"text": "Reset the user's sessions", "tags": [self.mirror_tag()]}))
        )
    }

    /// The tag of entries mirrored out: the default of the instance's comment tag or mirror tag
    /// param, else of any `*_tag` param, else `comments`.
    fn mirror_tag(&self) -> String {
        let tag_params: Vec<&crate::integration::ParamSpec> = self
            .manifest
            .configuration
            .iter()
            .filter(|p| p.name.to_ascii_lowercase().contains("tag"))
            .filter(|p| {
                p.defaultvalue
                    .as_ref()
                    .and_then(Value::as_str)
                    .is_some_and(|v| !v.is_empty())
            })
            .collect();
        let pick = ["comment", "mirror", "note", ""].iter().find_map(|word| {
            tag_params.iter().find(|p| {
                p.name.to_ascii_lowercase().contains(word) && !p.name.contains("incoming")
            })
        });
        pick.and_then(|p| p.defaultvalue.as_ref())
            .and_then(Value::as_str)
            .unwrap_or("comments")
            .to_owned()
    }

    /// get-mapping-fields, judged by mapper.fields-in-schema.
    fn mapping_fields(&mut self, capabilities: &Capabilities) {
        let name = ServerCommand::GetMappingFields.name();
        let stubs = if self.vendor.kind == VendorKind::Stub && !capabilities.iam.is_empty() {
            let schema = self
                .paths
                .endpoint("schema")
                .unwrap_or_else(|| self.paths.under_base("schema"));
            vec![json!({
                "match": {"method": "GET", "path": schema},
                "respond": {"json": {"result": [
                    {"name": "email", "description": "Primary email"},
                    {"name": "user_name", "description": "The login name"},
                    {"name": "first_name", "description": "Given name"},
                    {"name": "last_name", "description": "Family name"},
                ]}},
            })]
        } else {
            Vec::new()
        };
        self.scenario(
            "get-mapping-fields.yaml",
            Scenario {
                header: vec![
                    format!("{name} returns the remote schema; mapper.fields-in-schema checks that the outgoing mapper writes only fields it lists."),
                    "Add an expect (contents: {<type>: {<field>: <description>}}) once the snapshot shows the schema.".to_owned(),
                ],
                description: format!("{name} describes the remote schema."),
                seed: None,
                stubs,
                steps: command_step(name, &json!({}), None),
                ..Scenario::default()
            },
        );
    }

    /// test-module with a working URL and secret.
    fn test_module(&mut self) {
        let name = ServerCommand::TestModule.name();
        let stubs = if self.vendor.kind == VendorKind::Stub {
            let path = self
                .paths
                .endpoint("test")
                .unwrap_or_else(|| "/**".to_owned());
            vec![json!({
                "match": {"method": "GET", "path": path},
                "respond": {"json": {}},
            })]
        } else {
            Vec::new()
        };
        let seed = if self.vendor.kind == VendorKind::Xsoar {
            self.incident_seed()
        } else {
            None
        };
        self.scenario(
            "test-module.yaml",
            Scenario {
                header: vec![
                    format!("{name} answers ok with the mock's URL and a valid secret."),
                    "Adjust the instance params if your test-module checks more of them."
                        .to_owned(),
                ],
                description: format!("{name} answers ok with a valid URL and secret."),
                seed,
                stubs,
                steps: command_step(name, &json!({}), Some(&json!({"contents": "ok"}))),
                ..Scenario::default()
            },
        );
    }
}

/// What one scenario file says besides what every file of the set shares.
#[derive(Default)]
struct Scenario {
    header: Vec<String>,
    description: String,
    params: Vec<ParamValue>,
    server: Option<String>,
    seed: Option<String>,
    stubs: Vec<Value>,
    steps: String,
}

/// A `command` step with its args and expect.
fn command_step(name: &str, args: &Value, expect: Option<&Value>) -> String {
    let mut text = format!("  - command: {}\n", scalar(name));
    if let Some(args) = args.as_object().filter(|a| !a.is_empty()) {
        text.push_str("    args:\n");
        for (key, value) in args {
            text.push_str(&format!("      {}: {}\n", scalar(key), flow(value)));
        }
    }
    if let Some(expect) = expect.and_then(Value::as_object) {
        text.push_str("    expect:\n");
        for (key, value) in expect {
            text.push_str(&format!("      {}: {}\n", scalar(key), flow(value)));
        }
    }
    text
}

/// A file-name-safe form of an integration id.
fn sanitize(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn integration(yaml: &str, code: &str) -> Integration {
        let path = PathBuf::from("X/X.yml");
        Integration {
            manifest: Manifest::parse(yaml, &path).expect("a manifest"),
            yaml_path: path.clone(),
            yaml_text: yaml.to_owned(),
            code: code.to_owned(),
            own_code: Some(code.to_owned()),
            code_path: path.with_extension("py"),
            definitions: Vec::new(),
        }
    }

    fn source() -> SourceRef {
        SourceRef {
            yaml: "../X/X.yml".to_owned(),
            origin: "X/X.yml".to_owned(),
        }
    }

    fn names(set: &StarterSet) -> Vec<String> {
        set.files
            .iter()
            .map(|f| f.path.display().to_string())
            .collect()
    }

    #[test]
    fn a_fetch_only_integration_gets_a_fetch_scenario_and_every_file_parses() {
        let yaml = "{commonfields: {id: F}, name: F, configuration: [{name: url, type: 0, required: true, defaultvalue: 'https://acme.service-now.com'}, {name: credentials, type: 9, required: true}], script: {script: '-', isfetch: true}}";
        let code = "if command == 'fetch-incidents': client.get('/api/now/table/incident')";
        let set = plan(&integration(yaml, code), &source());
        assert_eq!(
            set.vendor.kind,
            VendorKind::ServiceNow,
            "{}",
            set.vendor.reason
        );
        assert_eq!(names(&set), ["fetch-incidents.yaml", "test-module.yaml"]);
        for file in &set.files {
            let spec = crate::scenario::Scenario::parse(&file.text, &file.path)
                .unwrap_or_else(|e| panic!("{e}\n{}", file.text));
            assert_eq!(spec.integration.yaml.value.to_string(), "../X/X.yml");
            assert!(file
                .text
                .starts_with("# Generated by `xsoar-harness init` from X/X.yml."));
            assert!(
                file.text
                    .contains("credentials: {identifier: harness, password: harness-password}"),
                "{}",
                file.text
            );
        }
    }

    #[test]
    fn only_the_declared_iam_commands_get_scenarios() {
        let yaml = "{commonfields: {id: I}, name: I, configuration: [{name: url, type: 0, required: true}, {name: apitoken, type: 4, required: true}], script: {script: '-', commands: [{name: iam-get-user}, {name: iam-disable-user}]}}";
        let code = "BASE = '/api/v1/'\nclient.get('users')";
        let set = plan(&integration(yaml, code), &source());
        assert_eq!(set.vendor.kind, VendorKind::Okta, "{}", set.vendor.reason);
        assert_eq!(
            names(&set),
            [
                "mappers/classifier-mapper-incoming-I.json",
                "mappers/classifier-mapper-outgoing-I.json",
                "iam-get-user-found.yaml",
                "iam-get-user-not-found.yaml",
                "iam-disable-user.yaml",
                "test-module.yaml",
            ]
        );
        let disable = &set.files[4].text;
        assert!(
            disable.contains("apitoken: harness-okta-token"),
            "{disable}"
        );
        assert!(disable.contains("manifest_findings: ["), "{disable}");
        crate::scenario::Scenario::parse(disable, Path::new("d.yaml")).expect("parses");
    }

    #[test]
    fn relative_paths_climb_to_the_common_folder() {
        assert_eq!(
            relative_path(
                Path::new("/w/out/starter"),
                Path::new("/w/integrations/X/X.yml")
            ),
            PathBuf::from("../../integrations/X/X.yml")
        );
        assert_eq!(
            relative_path(Path::new("/w"), Path::new("/w/X.yml")),
            PathBuf::from("X.yml")
        );
    }
}
