//! The steps of a scenario: one action each, and the values the actions take.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;
use serde_saphyr::Spanned;

use super::HumanDuration;

/// One step of a scenario: exactly one action, by construction.
///
/// In YAML a step is a mapping with one action key (`command`, `fetch`, `advance`, `sync`,
/// `remote`, `local`, `create`, `debug` or `check`); only a `command` step has `args` and
/// `expect` beside it.
#[derive(Debug)]
pub enum Step {
    /// Run a command as the server would call it (`iam-get-user`, `test-module`).
    Command(CommandStep),
    /// Run fetch-incidents once: `fetch: {}`.
    Fetch,
    /// Move the virtual clock; the mirroring job (and fetch, when scheduled) runs at every
    /// tick that falls due: `advance: 5m`.
    Advance(HumanDuration),
    /// Run the mirroring job once now: `sync: {}`.
    Sync,
    /// Turn the scheduled mirroring job (`sync.mirror.job.enable`) off or on: `job: off`.
    Job(JobSwitch),
    /// A change made at the vendor by a person, in the vendor's own terms, e.g.
    /// `{update: {table: incident, record: INC0010001, fields: {state: "2"}}}`.
    Remote(Spanned<Value>),
    /// A fault laid over the mock vendor from now on (its `times` count from here), as a
    /// `vendor.faults` item is from the start: `fault: {match: {path: /api/now/table/*}, respond: rate-limit}`.
    Fault(Spanned<mock_vendors::Fault>),
    /// An analyst's change to an incident in XSOAR.
    Local(LocalChange),
    /// A new incident created in XSOAR and mirrored out.
    Create(NewIncident),
    /// A mirroring debug command of the server.
    Debug(DebugStep),
    /// Assertions on the server's incidents at this point.
    Check(Check),
}

/// A `command` step.
#[derive(Debug)]
pub struct CommandStep {
    /// The command name.
    pub name: Spanned<String>,
    /// The command arguments. Mappings and lists are sent as their JSON text and scalars as
    /// strings, the way the server passes arguments.
    pub args: BTreeMap<String, Value>,
    /// What the command must produce, beyond the contract checks.
    pub expect: Option<StepExpect>,
}

/// What kind of step a step is, without its content: for reports and filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StepKind {
    /// `command`.
    Command,
    /// `fetch`.
    Fetch,
    /// `advance`.
    Advance,
    /// `sync`.
    Sync,
    /// `job`.
    Job,
    /// `remote`.
    Remote,
    /// `fault`.
    Fault,
    /// `local`.
    Local,
    /// `create`.
    Create,
    /// `debug`.
    Debug,
    /// `check`.
    Check,
}

impl StepKind {
    /// Every kind, in the order the format documents them.
    pub const ALL: [StepKind; 11] = [
        StepKind::Command,
        StepKind::Fetch,
        StepKind::Advance,
        StepKind::Sync,
        StepKind::Job,
        StepKind::Remote,
        StepKind::Fault,
        StepKind::Local,
        StepKind::Create,
        StepKind::Debug,
        StepKind::Check,
    ];

    /// The action keys, for messages: `command, fetch, ...`.
    fn keys() -> String {
        let keys: Vec<&str> = StepKind::ALL.iter().map(|k| k.key()).collect();
        keys.join(", ")
    }

    /// The key that names the action in YAML.
    pub fn key(self) -> &'static str {
        match self {
            StepKind::Command => "command",
            StepKind::Fetch => "fetch",
            StepKind::Advance => "advance",
            StepKind::Sync => "sync",
            StepKind::Job => "job",
            StepKind::Remote => "remote",
            StepKind::Fault => "fault",
            StepKind::Local => "local",
            StepKind::Create => "create",
            StepKind::Debug => "debug",
            StepKind::Check => "check",
        }
    }
}

impl Step {
    /// The step's kind.
    pub fn kind(&self) -> StepKind {
        match self {
            Step::Command(_) => StepKind::Command,
            Step::Fetch => StepKind::Fetch,
            Step::Advance(_) => StepKind::Advance,
            Step::Sync => StepKind::Sync,
            Step::Job(_) => StepKind::Job,
            Step::Remote(_) => StepKind::Remote,
            Step::Fault(_) => StepKind::Fault,
            Step::Local(_) => StepKind::Local,
            Step::Create(_) => StepKind::Create,
            Step::Debug(_) => StepKind::Debug,
            Step::Check(_) => StepKind::Check,
        }
    }

    /// How reports name the step: the command, or what the step does.
    pub fn label(&self) -> String {
        match self {
            Step::Command(command) => command.name.value.clone(),
            Step::Advance(by) => format!("advance {by}"),
            Step::Job(switch) => format!("job {}", switch.as_str()),
            Step::Remote(_) => "remote change".into(),
            Step::Fault(fault) => format!("fault {}", fault.value.respond),
            Step::Local(change) => format!("local change to incident {}", change.incident.value),
            Step::Create(_) => "create incident".into(),
            Step::Debug(debug) => debug.command.value.name().to_owned(),
            Step::Fetch | Step::Sync | Step::Check(_) => self.kind().key().to_owned(),
        }
    }
}

/// A step as written: every action key optional, so that a step with none or several gets an
/// error that says so.
///
/// Its schema is the schema of [`Step`]: an action key is never null there (a null action is
/// no action to the parser).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct StepKeys {
    /// Run a command as the server would call it (`iam-get-user`, `test-module`).
    #[schemars(with = "String")]
    command: Option<Spanned<String>>,
    /// The command arguments (only beside `command`). Mappings and lists are sent as their JSON
    /// text and scalars as strings, the way the server passes arguments.
    #[serde(default)]
    args: BTreeMap<String, Value>,
    /// What the command must produce, beyond the contract checks (only beside `command`).
    expect: Option<StepExpect>,
    /// Run fetch-incidents once: `fetch: {}`.
    #[schemars(with = "Empty")]
    fetch: Option<Empty>,
    /// Move the virtual clock; the mirroring job (and fetch, when scheduled) runs at every tick
    /// that falls due: `advance: 5m`.
    #[schemars(with = "HumanDuration")]
    advance: Option<HumanDuration>,
    /// Run the mirroring job once now: `sync: {}`.
    #[schemars(with = "Empty")]
    sync: Option<Empty>,
    /// Turn the scheduled mirroring job off or on: `job: off`.
    #[schemars(with = "bool")]
    job: Option<JobSwitch>,
    /// A change made at the vendor by a person, in the vendor's own terms, e.g.
    /// `{update: {table: incident, record: INC0010001, fields: {state: "2"}}}`.
    #[schemars(with = "Value")]
    remote: Option<Spanned<Value>>,
    /// A fault laid over the mock vendor from now on (its `times` count from here), as a
    /// `vendor.faults` item is from the start.
    #[schemars(with = "mock_vendors::Fault")]
    fault: Option<Spanned<mock_vendors::Fault>>,
    /// An analyst's change to an incident in XSOAR.
    #[schemars(with = "LocalChange")]
    local: Option<LocalChange>,
    /// A new incident created in XSOAR and mirrored out.
    #[schemars(with = "NewIncident")]
    create: Option<NewIncident>,
    /// A mirroring debug command of the server.
    #[schemars(with = "DebugStep")]
    debug: Option<DebugStep>,
    /// Assertions on the server's incidents at this point.
    #[schemars(with = "Check")]
    check: Option<Check>,
}

/// The scheduled mirroring job, switched off or on: written `off` / `on` (YAML reads them as
/// booleans, as it does `false` / `true`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobSwitch {
    /// The job runs at its interval again (from the next tick of its interval).
    On,
    /// The job stops; `sync` steps still run it.
    Off,
}

impl<'de> Deserialize<'de> for JobSwitch {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Switch;
        impl serde::de::Visitor<'_> for Switch {
            type Value = JobSwitch;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("`on` or `off`")
            }
            fn visit_bool<E: serde::de::Error>(self, on: bool) -> Result<JobSwitch, E> {
                Ok(if on { JobSwitch::On } else { JobSwitch::Off })
            }
            // Quoted, the words YAML reads as booleans.
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<JobSwitch, E> {
                match text.trim().to_ascii_lowercase().as_str() {
                    "on" | "true" | "yes" | "y" => Ok(JobSwitch::On),
                    "off" | "false" | "no" | "n" => Ok(JobSwitch::Off),
                    _ => Err(E::invalid_value(serde::de::Unexpected::Str(text), &self)),
                }
            }
        }
        deserializer.deserialize_any(Switch)
    }
}

impl JobSwitch {
    /// `on` or `off`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::On => "on",
            Self::Off => "off",
        }
    }
}

/// A step parameter that takes no options: written `{}`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Empty {}

/// A mapping of `StepKeys` with exactly one action key of [`StepKind::ALL`]; `args` and
/// `expect` only beside `command`.
impl JsonSchema for Step {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Step".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let mut schema = StepKeys::json_schema(generator);
        // Every key is optional in itself (their schemas are the non-null ones); which keys a
        // step needs is the `oneOf` below.
        schema.remove("required");
        let one_action: Vec<Value> = StepKind::ALL
            .iter()
            .map(|kind| serde_json::json!({"required": [kind.key()]}))
            .collect();
        let command = StepKind::Command.key();
        schema.insert(
            "description".into(),
            format!(
                "One step: a mapping with exactly one action ({}); only a `{command}` step \
                 has `args` and `expect` beside it.",
                StepKind::keys()
            )
            .into(),
        );
        schema.insert("oneOf".into(), one_action.into());
        schema.insert(
            "dependencies".into(),
            serde_json::json!({"args": [command], "expect": [command]}),
        );
        schema
    }
}

/// Why a step mapping is not one step.
#[derive(Debug, thiserror::Error)]
enum StepShapeError {
    #[error("a step needs one action: {}", StepKind::keys())]
    NoAction,
    #[error(
        "a step has exactly one action, this one has several; split it (actions: {})",
        StepKind::keys()
    )]
    SeveralActions,
    #[error("`args` and `expect` belong to a `command` step")]
    StrayCommandKeys,
}

impl TryFrom<StepKeys> for Step {
    type Error = StepShapeError;

    fn try_from(keys: StepKeys) -> Result<Self, StepShapeError> {
        let StepKeys {
            command,
            args,
            expect,
            fetch,
            advance,
            sync,
            job,
            remote,
            fault,
            local,
            create,
            debug,
            check,
        } = keys;
        let mut actions: Vec<Step> = [
            fetch.map(|_| Step::Fetch),
            advance.map(Step::Advance),
            sync.map(|_| Step::Sync),
            job.map(Step::Job),
            remote.map(Step::Remote),
            fault.map(Step::Fault),
            local.map(Step::Local),
            create.map(Step::Create),
            debug.map(Step::Debug),
            check.map(Step::Check),
        ]
        .into_iter()
        .flatten()
        .collect();
        match command {
            Some(name) => actions.insert(0, Step::Command(CommandStep { name, args, expect })),
            None if !args.is_empty() || expect.is_some() => {
                return Err(StepShapeError::StrayCommandKeys)
            }
            None => {}
        }
        match actions.len() {
            1 => Ok(actions.remove(0)),
            0 => Err(StepShapeError::NoAction),
            _ => Err(StepShapeError::SeveralActions),
        }
    }
}

impl<'de> Deserialize<'de> for Step {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let keys = StepKeys::deserialize(deserializer)?;
        Step::try_from(keys).map_err(serde::de::Error::custom)
    }
}

/// An analyst's change to an incident in XSOAR.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LocalChange {
    /// The XSOAR incident id (incidents are numbered from 1 in creation order).
    #[schemars(with = "u64")]
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
#[derive(Debug, Deserialize, JsonSchema)]
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
#[derive(Debug, Deserialize, JsonSchema)]
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
#[derive(Debug, Deserialize, JsonSchema)]
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
#[derive(Debug, Deserialize, JsonSchema)]
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
    pub direction: Direction,
    /// Its `dbotMirrorTags`: entries with one of these tags are mirrored out (none by default,
    /// as on the server, where the analyst or a playbook sets them).
    #[serde(default)]
    pub tags: Vec<String>,
}

/// A mirroring debug command of the server.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DebugStep {
    /// Which one.
    #[schemars(with = "DebugCommand")]
    pub command: Spanned<DebugCommand>,
    /// Its arguments.
    #[serde(default)]
    pub args: BTreeMap<String, Value>,
}

/// The server's hidden mirroring debug commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DebugCommand {
    /// `getMirrorStatistics`: counts of mirrored incidents and rate limits.
    GetMirrorStatistics,
    /// `getSyncMirrorRecords`: the sync records of mirrored incidents.
    GetSyncMirrorRecords,
    /// `purgeClosedSyncMirrorRecords`: drops the records of closed incidents.
    PurgeClosedSyncMirrorRecords,
    /// `triggerDebugMirroringRun`: one job run for one incident, with debug logging.
    TriggerDebugMirroringRun,
}

impl DebugCommand {
    /// Every debug command.
    pub const ALL: [DebugCommand; 4] = [
        DebugCommand::GetMirrorStatistics,
        DebugCommand::GetSyncMirrorRecords,
        DebugCommand::PurgeClosedSyncMirrorRecords,
        DebugCommand::TriggerDebugMirroringRun,
    ];

    /// The name the server knows it by.
    pub fn name(self) -> &'static str {
        match self {
            DebugCommand::GetMirrorStatistics => "getMirrorStatistics",
            DebugCommand::GetSyncMirrorRecords => "getSyncMirrorRecords",
            DebugCommand::PurgeClosedSyncMirrorRecords => "purgeClosedSyncMirrorRecords",
            DebugCommand::TriggerDebugMirroringRun => "triggerDebugMirroringRun",
        }
    }
}

/// The names of [`DebugCommand::ALL`].
impl JsonSchema for DebugCommand {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "DebugCommand".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names: Vec<&str> = DebugCommand::ALL.iter().map(|c| c.name()).collect();
        schemars::json_schema!({
            "description": "A mirroring debug command of the server.",
            "type": "string",
            "enum": names,
        })
    }
}

impl<'de> Deserialize<'de> for DebugCommand {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        DebugCommand::ALL
            .into_iter()
            .find(|c| c.name() == name)
            .ok_or_else(|| {
                let known: Vec<&str> = DebugCommand::ALL.iter().map(|c| c.name()).collect();
                serde::de::Error::custom(format!(
                    "unknown debug command `{name}` (known: {})",
                    known.join(", ")
                ))
            })
    }
}

/// `dbotMirrorDirection`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
pub enum Direction {
    /// Not mirrored.
    #[default]
    None,
    /// Remote changes mirror in.
    In,
    /// Local changes mirror out.
    Out,
    /// Both ways.
    Both,
}

impl Direction {
    /// Reads the field value or the `mirror_direction` option label.
    ///
    /// ```
    /// use xsoar_harness::scenario::Direction;
    /// assert_eq!(Direction::parse("Incoming And Outgoing"), Some(Direction::Both));
    /// assert_eq!(Direction::parse("Out"), Some(Direction::Out));
    /// assert_eq!(Direction::parse("sideways"), None);
    /// ```
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.is_empty() {
            return Some(Self::None);
        }
        [Self::None, Self::In, Self::Out, Self::Both]
            .into_iter()
            .find(|d| d.as_str() == text || d.label() == text)
    }

    /// The label of the `mirror_direction` option that selects it.
    pub const fn label(self) -> &'static str {
        match self {
            Self::None => "None",
            Self::In => "Incoming",
            Self::Out => "Outgoing",
            Self::Both => "Incoming And Outgoing",
        }
    }

    /// Whether remote changes mirror in.
    pub fn incoming(self) -> bool {
        matches!(self, Self::In | Self::Both)
    }

    /// Whether local changes mirror out.
    pub fn outgoing(self) -> bool {
        matches!(self, Self::Out | Self::Both)
    }

    /// The field value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "None",
            Self::In => "In",
            Self::Out => "Out",
            Self::Both => "Both",
        }
    }
}

/// Assertions on the server's incidents.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// How many incidents exist.
    pub incidents: Option<usize>,
    /// One incident, as a subset of its snapshot view (`id` selects it).
    #[schemars(with = "Option<Value>")]
    pub incident: Option<Spanned<Value>>,
    /// A subset of the vendor's state dump.
    pub vendor: Option<Value>,
    /// A subset of what the server stores for the instance: `last_run`, `last_mirror_run`,
    /// `integration_context`.
    pub server: Option<Value>,
    /// `settled: true`: the mirroring job has caught up, so the closes and reopens people made
    /// since the scenario began (or the last settled check) must have mirrored as
    /// close_incident and close_out say (rule `mirror.close-follows-settings`).
    #[serde(default)]
    pub settled: bool,
}

/// Expectations on one step. Every key is optional; mappings match as subsets.
#[derive(Debug, Default, Deserialize, JsonSchema)]
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
