//! The integration under test: its YAML manifest, its code, and its classifiers and mappers.
//!
//! The manifest is read permissively (real integration YAMLs carry many keys the harness has no
//! use for); what the server needs from it is kept: the name, the configuration parameters with
//! their types and defaults, the commands and the script flags.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::mapping::Definition;

/// A loaded integration, ready to be run.
#[derive(Debug, Clone)]
pub struct Integration {
    /// The manifest.
    pub manifest: Manifest,
    /// The manifest file.
    pub yaml_path: PathBuf,
    /// The manifest text, for the manifest conformance check.
    pub yaml_text: String,
    /// The Python code the runner executes.
    pub code: String,
    /// The integration's own code (embedded or beside the YAML), which the manifest describes;
    /// differs from `code` when a scenario runs other code against the YAML.
    pub own_code: Option<String>,
    /// The file the code came from (the YAML itself for a unified integration).
    pub code_path: PathBuf,
    /// The classifiers and mappers the instance can use.
    pub definitions: Vec<Definition>,
}

/// The parts of an integration YAML the server emulation uses.
#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    /// `commonfields.id`.
    pub commonfields: CommonFields,
    /// The integration name: the brand the server reports.
    pub name: String,
    /// The first server version the integration supports.
    #[serde(default)]
    pub fromversion: Option<String>,
    /// The instance parameters.
    #[serde(default)]
    pub configuration: Vec<ParamSpec>,
    /// The classifier instances use unless configured otherwise.
    #[serde(default)]
    pub defaultclassifier: Option<String>,
    /// The incoming mapper instances use unless configured otherwise.
    #[serde(default)]
    pub defaultmapperin: Option<String>,
    /// The outgoing mapper instances use unless configured otherwise.
    #[serde(default)]
    pub defaultmapperout: Option<String>,
    /// The script section.
    pub script: ScriptSpec,
}

/// `commonfields` of a manifest.
#[derive(Debug, Clone, Deserialize)]
pub struct CommonFields {
    /// The integration id.
    pub id: String,
}

/// One instance parameter.
#[derive(Debug, Clone, Deserialize)]
pub struct ParamSpec {
    /// The key integrations read with `demisto.params()`.
    pub name: String,
    /// The label the instance form shows, as written (read permissively: a label is never a
    /// reason to refuse a manifest).
    #[serde(default)]
    pub display: Option<Value>,
    /// The parameter type.
    #[serde(rename = "type", default)]
    pub kind: ParamType,
    /// The default value, as written in the YAML.
    #[serde(default)]
    pub defaultvalue: Option<Value>,
    /// Whether the instance must set it.
    #[serde(default)]
    pub required: bool,
    /// The choices of a select parameter.
    #[serde(default)]
    pub options: Vec<String>,
}

/// A parameter type, by the number the YAML gives it: demisto-sdk's `ParameterType` (0 to 16)
/// and the feed parameters of its `FEED_REQUIRED_PARAMS` (17 to 19); xsoar-runtime.md §6
/// lists a subset of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(from = "u32")]
pub enum ParamType {
    /// 0: short text.
    #[default]
    ShortText,
    /// 1: a number.
    Number,
    /// 4: encrypted text, a secret.
    Encrypted,
    /// 8: a checkbox; arrives as a boolean.
    Boolean,
    /// 9: credentials `{identifier, password}`; the password is a secret.
    Credentials,
    /// 11: a download link.
    DownloadLink,
    /// 12: long text.
    LongText,
    /// 13: an incident type.
    IncidentType,
    /// 14: encrypted long text, a secret.
    EncryptedLongText,
    /// 15: a single select.
    SingleSelect,
    /// 16: a multi-select; arrives as a list.
    MultiSelect,
    /// 17: a feed's expiration policy.
    Expiration,
    /// 18: a feed's reputation.
    FeedReputation,
    /// 19: an interval.
    Interval,
    /// A number the server does not know.
    Unknown(u32),
}

impl ParamType {
    /// The types the server knows.
    pub const KNOWN: [ParamType; 14] = [
        ParamType::ShortText,
        ParamType::Number,
        ParamType::Encrypted,
        ParamType::Boolean,
        ParamType::Credentials,
        ParamType::DownloadLink,
        ParamType::LongText,
        ParamType::IncidentType,
        ParamType::EncryptedLongText,
        ParamType::SingleSelect,
        ParamType::MultiSelect,
        ParamType::Expiration,
        ParamType::FeedReputation,
        ParamType::Interval,
    ];

    /// The number the YAML gives the type.
    pub fn code(self) -> u32 {
        match self {
            ParamType::ShortText => 0,
            ParamType::Number => 1,
            ParamType::Encrypted => 4,
            ParamType::Boolean => 8,
            ParamType::Credentials => 9,
            ParamType::DownloadLink => 11,
            ParamType::LongText => 12,
            ParamType::IncidentType => 13,
            ParamType::EncryptedLongText => 14,
            ParamType::SingleSelect => 15,
            ParamType::MultiSelect => 16,
            ParamType::Expiration => 17,
            ParamType::FeedReputation => 18,
            ParamType::Interval => 19,
            ParamType::Unknown(code) => code,
        }
    }

    /// Whether a value of the type is typed in and shown as plain text.
    pub fn is_clear_text(self) -> bool {
        matches!(
            self,
            ParamType::ShortText | ParamType::Number | ParamType::LongText
        )
    }
}

impl From<u32> for ParamType {
    fn from(code: u32) -> Self {
        ParamType::KNOWN
            .into_iter()
            .find(|t| t.code() == code)
            .unwrap_or(ParamType::Unknown(code))
    }
}

impl std::fmt::Display for ParamType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.code())
    }
}

/// The `script` section of a manifest.
#[derive(Debug, Clone, Deserialize)]
pub struct ScriptSpec {
    /// The embedded code of a unified YAML (`-` or empty when the code is a separate file).
    #[serde(default)]
    pub script: Option<String>,
    /// `python`, `powershell`, ...
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// The Docker image the server runs it in (`demisto/python3:3.11.10.116949`).
    #[serde(default)]
    pub dockerimage: Option<String>,
    /// The commands the integration declares.
    #[serde(default)]
    pub commands: Vec<CommandSpec>,
    /// Whether it fetches incidents.
    #[serde(default)]
    pub isfetch: bool,
    /// Whether the remote schema can be pulled (`get-mapping-fields`).
    #[serde(default)]
    pub ismappable: bool,
    /// Whether it mirrors in.
    #[serde(default)]
    pub isremotesyncin: bool,
    /// Whether it mirrors out.
    #[serde(default)]
    pub isremotesyncout: bool,
}

/// One declared command.
#[derive(Debug, Clone, Deserialize)]
pub struct CommandSpec {
    /// The command name.
    pub name: String,
    /// Its arguments.
    #[serde(default)]
    pub arguments: Vec<ArgumentSpec>,
}

/// One declared command argument.
#[derive(Debug, Clone, Deserialize)]
pub struct ArgumentSpec {
    /// The argument name.
    pub name: String,
    /// Whether it is required.
    #[serde(default)]
    pub required: bool,
    /// The default value.
    #[serde(rename = "defaultValue", default)]
    pub default_value: Option<Value>,
    /// The choices offered, as written: a value, not a list of strings, so that a malformed
    /// list is a manifest finding rather than a parse error.
    #[serde(default)]
    pub predefined: Option<Value>,
}

/// The commands the server itself runs, without the YAML declaring them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ServerCommand {
    /// `test-module`: the instance's Test button.
    TestModule,
    /// `fetch-incidents`: the fetch schedule.
    FetchIncidents,
    /// `get-mapping-fields`: the remote schema for the mapping editor.
    GetMappingFields,
    /// `get-remote-data`: the mirroring job refreshing one incident.
    GetRemoteData,
    /// `get-modified-remote-data`: the mirroring job asking what changed.
    GetModifiedRemoteData,
    /// `update-remote-system`: the mirroring job pushing local changes.
    UpdateRemoteSystem,
}

impl ServerCommand {
    /// Every server-run command.
    pub(crate) const ALL: [ServerCommand; 6] = [
        ServerCommand::TestModule,
        ServerCommand::FetchIncidents,
        ServerCommand::GetMappingFields,
        ServerCommand::GetRemoteData,
        ServerCommand::GetModifiedRemoteData,
        ServerCommand::UpdateRemoteSystem,
    ];

    /// The command name.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            ServerCommand::TestModule => "test-module",
            ServerCommand::FetchIncidents => "fetch-incidents",
            ServerCommand::GetMappingFields => "get-mapping-fields",
            ServerCommand::GetRemoteData => "get-remote-data",
            ServerCommand::GetModifiedRemoteData => "get-modified-remote-data",
            ServerCommand::UpdateRemoteSystem => "update-remote-system",
        }
    }

    /// The server-run command of this name.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// Why an integration could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IntegrationError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The YAML is not an integration manifest.
    #[error("{path} is not a valid integration YAML: {message}")]
    Manifest {
        /// The YAML file.
        path: PathBuf,
        /// What the parser said.
        message: String,
    },
    /// Neither embedded code nor a `.py` file beside the YAML.
    #[error("{yaml} has no embedded script and there is no {expected} beside it; give the code with `integration.code`")]
    NoCode {
        /// The YAML file.
        yaml: PathBuf,
        /// The file that was looked for.
        expected: PathBuf,
    },
    /// A classifier or mapper file is invalid.
    #[error("{path} is not a valid XSOAR classifier or mapper: {source}")]
    Mapper {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        source: crate::mapping::DefinitionParseError,
    },
}

impl Manifest {
    /// Parses a manifest from YAML text; `path` is used in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, IntegrationError> {
        serde_saphyr::from_str(text).map_err(|err| IntegrationError::Manifest {
            path: path.to_owned(),
            message: err
                .to_string()
                .replace("<input>", &path.display().to_string()),
        })
    }

    /// Whether the integration implements `command` (declared, or a server-run command).
    pub fn knows_command(&self, command: &str) -> bool {
        ServerCommand::from_name(command).is_some() || self.command(command).is_some()
    }

    /// The declared command called `name`.
    pub fn command(&self, name: &str) -> Option<&CommandSpec> {
        self.script.commands.iter().find(|c| c.name == name)
    }

    /// The parameter called `name`.
    pub fn param(&self, name: &str) -> Option<&ParamSpec> {
        self.configuration.iter().find(|p| p.name == name)
    }
}

impl Integration {
    /// Loads the manifest at `yaml_path` (a YAML file, or a pack integration folder
    /// `Packs/<Pack>/Integrations/<Name>/` holding `<Name>.yml`), the code (from `code_path`,
    /// the YAML's embedded script, or the `.py` beside the YAML), and the classifiers and
    /// mappers (`mapper_paths`, or every `classifier-*.json` beside the YAML and in the pack's
    /// `Classifiers/` folder).
    pub fn load(
        yaml_path: &Path,
        code_path: Option<&Path>,
        mapper_paths: Option<&[PathBuf]>,
    ) -> Result<Self, IntegrationError> {
        let folder_yaml;
        let yaml_path = if yaml_path.is_dir() {
            folder_yaml = manifest_in_folder(yaml_path)?;
            folder_yaml.as_path()
        } else {
            yaml_path
        };
        let yaml_text = read(yaml_path)?;
        let manifest = Manifest::parse(&yaml_text, yaml_path)?;
        let own = own_code(&manifest, yaml_path)?;
        let (code, code_path) = match (code_path, &own) {
            (Some(path), _) => (read(path)?, path.to_owned()),
            (None, Some((code, path))) => (code.clone(), path.clone()),
            (None, None) => {
                return Err(IntegrationError::NoCode {
                    yaml: yaml_path.to_owned(),
                    expected: yaml_path.with_extension("py"),
                })
            }
        };
        let mapper_files = match mapper_paths {
            Some(paths) => paths.to_vec(),
            None => mappers_beside(yaml_path)?,
        };
        let definitions = mapper_files
            .iter()
            .map(|path| {
                Definition::from_json(&read(path)?).map_err(|source| IntegrationError::Mapper {
                    path: path.clone(),
                    source,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            manifest,
            yaml_path: yaml_path.to_owned(),
            yaml_text,
            own_code: own.map(|(code, _)| code),
            code,
            code_path,
            definitions,
        })
    }

    /// The integration's folder: put on the Python path so sibling modules import.
    pub fn folder(&self) -> &Path {
        self.yaml_path.parent().unwrap_or_else(|| Path::new("."))
    }

    /// The file name shown in tracebacks.
    pub fn script_name(&self) -> String {
        self.code_path.file_name().map_or_else(
            || "integration.py".to_owned(),
            |n| n.to_string_lossy().into_owned(),
        )
    }
}

/// Whether a YAML's `script.script` is code: split packs write `-` (or nothing) and keep the
/// code in the `.py` beside it.
pub(crate) fn is_embedded_code(script: &str) -> bool {
    let script = script.trim();
    !script.is_empty() && script != "-"
}

/// The code the manifest belongs to: the embedded script of a unified YAML, else the `.py`
/// beside it, with the file it came from.
fn own_code(
    manifest: &Manifest,
    yaml_path: &Path,
) -> Result<Option<(String, PathBuf)>, IntegrationError> {
    match manifest.script.script.as_deref().map(str::trim) {
        Some(embedded) if is_embedded_code(embedded) => {
            Ok(Some((embedded.to_owned(), yaml_path.to_owned())))
        }
        _ => {
            let beside = yaml_path.with_extension("py");
            if beside.is_file() {
                Ok(Some((read(&beside)?, beside)))
            } else {
                Ok(None)
            }
        }
    }
}

fn read(path: &Path) -> Result<String, IntegrationError> {
    std::fs::read_to_string(path).map_err(|source| IntegrationError::Read {
        path: path.to_owned(),
        source,
    })
}

/// `<folder>/<folder name>.yml` (or `.yaml`), as a pack integration folder holds it.
fn manifest_in_folder(folder: &Path) -> Result<PathBuf, IntegrationError> {
    let name = folder
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    ["yml", "yaml"]
        .iter()
        .map(|ext| folder.join(format!("{name}.{ext}")))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| IntegrationError::Read {
            path: folder.join(format!("{name}.yml")),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "a pack integration folder holds <folder name>.yml",
            ),
        })
}

/// The classifier and mapper files beside the YAML and, for a pack integration
/// (`Packs/<Pack>/Integrations/<Name>/`), in the pack's `Classifiers/` folder.
fn mappers_beside(yaml_path: &Path) -> Result<Vec<PathBuf>, IntegrationError> {
    let folder = yaml_path.parent().unwrap_or_else(|| Path::new("."));
    let mut found = mapper_files(folder)?;
    let pack_classifiers = folder
        .parent()
        .filter(|integrations| {
            integrations
                .file_name()
                .is_some_and(|n| n == "Integrations")
        })
        .and_then(Path::parent)
        .map(|pack| pack.join("Classifiers"))
        .filter(|dir| dir.is_dir());
    if let Some(classifiers) = pack_classifiers {
        found.extend(mapper_files(&classifiers)?);
    }
    Ok(found)
}

fn mapper_files(folder: &Path) -> Result<Vec<PathBuf>, IntegrationError> {
    let entries = std::fs::read_dir(folder).map_err(|source| IntegrationError::Read {
        path: folder.to_owned(),
        source,
    })?;
    let read_error = |source| IntegrationError::Read {
        path: folder.to_owned(),
        source,
    };
    let paths = entries
        .map(|entry| entry.map(|e| e.path()).map_err(read_error))
        .collect::<Result<Vec<_>, _>>()?;
    let mut found: Vec<PathBuf> = paths
        .into_iter()
        .filter(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|name| name.starts_with("classifier-") && name.ends_with(".json"))
        })
        .collect();
    found.sort();
    Ok(found)
}
