//! The emulation of the XSOAR server side of an integration instance: what it stores between
//! runs (last run, last mirror run, integration context), the classifier and mappers behind
//! classification and `mapObject`, the context store the entries' EntryContext merges into,
//! and the incidents with their war rooms and mirroring state.

mod classification;
pub(crate) mod instance;
pub(crate) mod mirroring;
mod run;
pub(crate) mod scripts;

pub(crate) use classification::MapperRole;
pub use classification::MappingFailure;
pub use run::CommandRecord;
pub(crate) use run::{Call, Driver, Invocation};

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{json, Map, Value};

use mock_vendors::{format_iso_millis, Clock};

use crate::context::ContextStore;
use crate::integration::Manifest;
use crate::mapping::{Definition, FieldError};
use crate::runtime::{Refusal, ServerSide};
use crate::scenario::ServerSpec;
use crate::scratch::ScratchDir;
use crate::server::mirroring::MirrorState;
use crate::BoxFuture;

use instance::Instance;
use scripts::ScriptOperators;

/// The id of the investigation every run belongs to.
pub(crate) const INVESTIGATION_ID: &str = "harness-investigation";

/// The server-side state of one instance across a scenario's runs.
#[derive(Debug)]
pub(crate) struct Server {
    /// The instance.
    instance: Instance,
    /// The classifiers and mappers the instance can use (shared: mapping borrows one while
    /// the operators it runs change the server).
    definitions: Arc<[Definition]>,
    /// Those left out because they are for other server versions (`fromVersion` / `toVersion`).
    other_versions: Vec<String>,
    /// The investigation context.
    context: ContextStore,
    /// `getLastRun`.
    last_run: Value,
    /// `getLastMirrorRun`.
    last_mirror_run: Value,
    /// `getIntegrationContext`.
    integration_context: Value,
    /// Bumped on every `setIntegrationContext`.
    integration_context_version: i64,
    /// Incidents sent with `createIncidents`.
    created_incidents: Vec<Value>,
    /// The version `demistoVersion()` reports.
    version: String,
    /// The instance's classifier (fetch).
    classifier: Option<String>,
    /// The instance's incoming mapper (fetch and mirror-in).
    incoming_mapper: Option<String>,
    /// The instance's outgoing mapper (mirror-out and IAM).
    outgoing_mapper: Option<String>,
    /// Incidents, war rooms and the mirroring job.
    mirror: MirrorState,
    /// Files in war rooms, by entry id: name and path (`getFilePath`).
    files: BTreeMap<String, (String, PathBuf)>,
    /// The transformer and filter scripts mappers use.
    operators: ScriptOperators,
    /// The command running now, for the mapping failures of its `mapObject` calls.
    running: Option<String>,
    /// The virtual clock, shared with the mock vendor.
    clock: Clock,
    /// The folder of war-room files (created on first use, removed with the server).
    files_dir: Option<ScratchDir>,
    /// The declared defaults of each command's arguments, filled in when a call leaves them out.
    argument_defaults: HashMap<String, Vec<(String, Value)>>,
    mapping_failures: Vec<MappingFailure>,
    /// Every failure reported so far: a mapper that fails at each sync is reported once.
    reported: HashSet<(String, String, Option<String>, FieldError)>,
}

/// Why the server refused an integration's request; the script raises it.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Refused {
    /// `mapObject` named a mapper that is not loaded.
    #[error("mapObject: no mapper named `{mapper}` is loaded (loaded: {loaded}); give the file under integration.mappers or put classifier-mapper-*.json beside the integration YAML")]
    NoMapper {
        /// The mapper asked for.
        mapper: String,
        /// The mappers there are, or `none`.
        loaded: String,
    },
    /// `mapObject` named a mapper without a mapping for the type.
    #[error(transparent)]
    NoMapping(#[from] crate::mapping::NoMapping),
    /// `setIntegrationContext` wrote over a newer version.
    #[error("integration context version conflict: the integration wrote version {requested} but the stored version is {stored}")]
    ContextVersionConflict {
        /// The version the integration said it read.
        requested: i64,
        /// The version stored.
        stored: i64,
    },
    /// A server command the emulation does not have.
    #[error("the harness's server emulation does not implement executeCommand `{0}`")]
    NotImplemented(String),
    /// `getFilePath` of an entry that is not a file of the investigation.
    #[error("no file entry with id `{0}` in this investigation")]
    NoFileEntry(String),
}

impl Server {
    /// A fresh server for `instance`, configured by the scenario's `server` settings; `now` is
    /// the clock at the start.
    pub(crate) fn new(
        instance: Instance,
        manifest: &Manifest,
        definitions: Vec<Definition>,
        spec: &ServerSpec,
        operators: ScriptOperators,
        clock: Clock,
    ) -> Self {
        let now = clock.now_millis();
        let argument_defaults = manifest
            .script
            .commands
            .iter()
            .map(|command| {
                let defaults = command
                    .arguments
                    .iter()
                    .filter_map(|a| Some((a.name.clone(), a.default_value.clone()?)))
                    .collect();
                (command.name.clone(), defaults)
            })
            .collect();
        // The server loads only the content items for its version.
        let version = spec.version;
        let (definitions, other_versions): (Vec<Definition>, Vec<Definition>) =
            definitions.into_iter().partition(|d| d.serves(version));
        Self {
            instance,
            definitions: definitions.into(),
            other_versions: other_versions.iter().map(|d| d.name().to_owned()).collect(),
            context: ContextStore::default(),
            last_run: json!({}),
            last_mirror_run: json!({}),
            integration_context: json!({}),
            integration_context_version: 0,
            created_incidents: Vec::new(),
            version: spec.version.to_string(),
            classifier: None,
            incoming_mapper: None,
            outgoing_mapper: None,
            mirror: MirrorState::new(spec, now),
            files: BTreeMap::new(),
            operators,
            running: None,
            clock,
            files_dir: None,
            argument_defaults,
            mapping_failures: Vec::new(),
            reported: HashSet::new(),
        }
    }

    /// The instance the server runs commands for.
    pub(crate) fn instance(&self) -> &Instance {
        &self.instance
    }

    /// Whether the scheduled mirroring job runs.
    pub(crate) fn mirror_job_enabled(&self) -> bool {
        self.mirror.enabled
    }

    /// Turns the scheduled mirroring job on or off (a `job` step).
    pub(crate) fn switch_mirror_job(&mut self, on: bool) {
        let now = self.now();
        self.mirror.switch_job(on, now);
    }

    /// Whether an incoming update keeps the fields changed locally (server 6.1.0 and earlier).
    pub(crate) fn dirty_fields_stick(&self) -> bool {
        self.mirror.dirty_fields_stick
    }

    /// Every incident, in id order.
    pub(crate) fn incidents(&self) -> &[mirroring::Incident] {
        &self.mirror.incidents
    }

    /// The incident with this id.
    pub(crate) fn incident(&self, id: u64) -> Option<&mirroring::Incident> {
        self.mirror.incident(id)
    }

    /// The investigation context.
    pub(crate) fn context(&self) -> &ContextStore {
        &self.context
    }

    /// What the server stores for the instance between runs, by the name scenarios check it
    /// under: `last_run`, `last_mirror_run`, `integration_context`.
    pub(crate) fn stored(&self) -> [(&'static str, &Value); 3] {
        [
            ("last_run", &self.last_run),
            ("last_mirror_run", &self.last_mirror_run),
            ("integration_context", &self.integration_context),
        ]
    }

    /// Moves the virtual clock on by `by` (a person acting between job ticks).
    pub(crate) fn wait(&self, by: std::time::Duration) {
        self.clock.advance(by);
    }

    /// When the mirroring job last finished its incoming pass (get-modified-remote-data's
    /// next `lastUpdate`), epoch milliseconds, for an incident the job still mirrors: a remote
    /// change made before it has been read. `None` for an incident it no longer mirrors
    /// (another instance's, a purged sync record).
    pub(crate) fn mirrored_until(&self, incident: &mirroring::Incident) -> Option<i64> {
        self.mirror
            .mirrors(incident, &self.instance.name)
            .then_some(self.mirror.last_update)
    }

    /// The virtual clock's time, epoch milliseconds.
    pub(crate) fn now(&self) -> i64 {
        self.clock.now_millis()
    }

    /// The clock as the ISO text integrations receive.
    pub(crate) fn now_iso(&self) -> String {
        format_iso_millis(self.now())
    }

    /// The folder war-room files are stored in (created on first use).
    pub(crate) fn files_dir(&mut self) -> std::io::Result<PathBuf> {
        if let Some(dir) = &self.files_dir {
            return Ok(dir.path().to_owned());
        }
        let dir = ScratchDir::create("files")?;
        let path = dir.path().to_owned();
        self.files_dir = Some(dir);
        Ok(path)
    }

    fn set_integration_context(&mut self, args: &Value) -> Result<Value, Refused> {
        let requested = args.get("version").and_then(Value::as_i64).unwrap_or(-1);
        if requested >= 0 && requested != self.integration_context_version {
            return Err(Refused::ContextVersionConflict {
                requested,
                stored: self.integration_context_version,
            });
        }
        self.integration_context = args.get("value").cloned().unwrap_or_else(|| json!({}));
        self.integration_context_version += 1;
        Ok(Value::Null)
    }

    /// The commands that need no script: everything but `mapObject`.
    fn execute_local(&mut self, command: &str, args: &Value) -> Result<Value, Refused> {
        match command {
            "getLastRun" => Ok(self.last_run.clone()),
            "setLastRun" => {
                self.last_run = object_or_empty(arg(args, "value"));
                Ok(Value::Null)
            }
            "getLastMirrorRun" => Ok(self.last_mirror_run.clone()),
            "setLastMirrorRun" => {
                self.last_mirror_run = object_or_empty(arg(args, "value"));
                Ok(Value::Null)
            }
            "getIntegrationContext" => Ok(json!({
                "context": self.integration_context,
                "version": self.integration_context_version,
            })),
            "setIntegrationContext" => self.set_integration_context(args),
            "createIncidents" => {
                if let Value::Array(incidents) = arg(args, "incidents") {
                    self.created_incidents.extend(incidents.iter().cloned());
                }
                Ok(Value::Null)
            }
            // The instance's health is shown in the UI only; the run's entries and logs
            // already say what went wrong.
            "updateModuleHealth" | "findUser" => Ok(Value::Null),
            other => Err(Refused::NotImplemented(other.to_owned())),
        }
    }
}

fn arg<'a>(args: &'a Value, name: &str) -> &'a Value {
    args.get(name).unwrap_or(&Value::Null)
}

/// An object value, or `{}` for anything else (`null` included).
fn object_or_empty(value: &Value) -> Value {
    match value {
        Value::Object(_) => value.clone(),
        _ => Value::Object(Map::new()),
    }
}

impl ServerSide for Server {
    fn execute_command<'a>(
        &'a mut self,
        command: &'a str,
        args: &'a Value,
    ) -> BoxFuture<'a, Result<Value, Refusal>> {
        Box::pin(async move {
            let reply = if command == "mapObject" {
                let mapper = arg(args, "mapper").as_str().unwrap_or_default().to_owned();
                let kind = arg(args, "mapperType")
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                self.map_object(arg(args, "source"), &mapper, &kind).await
            } else {
                self.execute_local(command, args)
            };
            Ok(reply?)
        })
    }

    fn demisto_version(&self) -> Value {
        crate::runtime::protocol::demisto_version(&self.version)
    }

    fn file_by_entry_id(&mut self, id: &str) -> Result<Value, Refusal> {
        let (name, path) = self
            .files
            .get(id)
            .ok_or_else(|| Refused::NoFileEntry(id.to_owned()))?;
        Ok(json!({"id": id, "path": path, "name": name}))
    }
}

/// Command arguments the way the server passes them to commands run from the war room or a
/// playbook: mappings and lists as their JSON text, scalars as strings.
pub(crate) fn xsoar_args<'a>(
    args: impl IntoIterator<Item = (&'a String, &'a Value)>,
) -> Map<String, Value> {
    args.into_iter()
        .map(|(name, value)| (name.clone(), Value::String(crate::text::text(value))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_arrive_as_strings() {
        let args: Map<String, Value> = serde_json::from_value(json!({
            "user-profile": {"email": "a@x"}, "allow-enable": true, "n": 3
        }))
        .unwrap();
        let sent = xsoar_args(&args);
        assert_eq!(sent["user-profile"], json!(r#"{"email":"a@x"}"#));
        assert_eq!(sent["allow-enable"], json!("true"));
        assert_eq!(sent["n"], json!("3"));
    }
}
