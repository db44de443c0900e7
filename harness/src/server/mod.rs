//! The emulation of the XSOAR server side of an integration instance: what it stores between
//! runs (last run, last mirror run, integration context), the mappers behind `mapObject`, the
//! context store the entries' EntryContext merges into, and the incidents with their war rooms
//! and mirroring state.

pub mod instance;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{json, Map, Value};

use crate::context::ContextStore;
use crate::mapper::Mapper;
use crate::mirroring::MirrorState;
use crate::runtime::ServerSide;
use crate::scenario::{InstanceSpec, ServerSpec};
use instance::Instance;

/// The server version the emulation reports by default (6.6+ behaviour throughout).
pub const DEFAULT_SERVER_VERSION: &str = "6.10.0";

/// The server-side state of one instance across a scenario's runs.
#[derive(Debug)]
pub struct Server {
    /// The instance.
    pub instance: Instance,
    /// The mappers `mapObject` can use.
    pub mappers: Vec<Mapper>,
    /// The investigation context.
    pub context: ContextStore,
    /// `getLastRun`.
    pub last_run: Value,
    /// `getLastMirrorRun`.
    pub last_mirror_run: Value,
    /// `getIntegrationContext`.
    pub integration_context: Value,
    /// Bumped on every `setIntegrationContext`.
    pub integration_context_version: i64,
    /// Every `updateModuleHealth` error, in order.
    pub module_health: Vec<Value>,
    /// Incidents sent with `createIncidents`.
    pub created_incidents: Vec<Value>,
    /// The version `demistoVersion()` reports.
    pub version: String,
    /// The instance's incoming mapper (fetch and mirror-in).
    pub incoming_mapper: Option<String>,
    /// The instance's outgoing mapper (mirror-out and IAM).
    pub outgoing_mapper: Option<String>,
    /// Incidents, war rooms and the mirroring job.
    pub mirror: MirrorState,
    /// Files in war rooms, by entry id: name and path (`getFilePath`).
    pub files: BTreeMap<String, (String, PathBuf)>,
}

impl Server {
    /// A fresh server for `instance`, configured by the scenario's `server` settings; `now` is
    /// the clock at the start.
    pub fn new(instance: Instance, mappers: Vec<Mapper>, spec: &ServerSpec, now: i64) -> Self {
        Self {
            instance,
            mappers,
            context: ContextStore::default(),
            last_run: json!({}),
            last_mirror_run: json!({}),
            integration_context: json!({}),
            integration_context_version: 0,
            module_health: Vec::new(),
            created_incidents: Vec::new(),
            version: spec.version.clone(),
            incoming_mapper: None,
            outgoing_mapper: None,
            mirror: MirrorState::new(spec, now),
            files: BTreeMap::new(),
        }
    }

    /// Picks the instance's mappers: the scenario's choice, else the `mapper-in` / `mapper-out`
    /// params, else the only loaded mapper of each direction. A name that is not loaded is an
    /// error.
    pub fn resolve_mappers(&mut self, spec: &InstanceSpec) -> Result<(), String> {
        let pick = |chosen: &Option<String>,
                    param: &str,
                    kind: &str|
         -> Result<Option<String>, String> {
            let named = chosen.clone().or_else(|| {
                self.instance
                    .params
                    .get(param)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            });
            match named.filter(|n| !n.is_empty()) {
                Some(name) if self.mappers.iter().any(|m| m.name == name || m.id.as_deref() == Some(&name)) => Ok(Some(name)),
                Some(name) => Err(format!(
                    "the instance's {kind} mapper `{name}` is not loaded (loaded: {}); give its file under integration.mappers",
                    self.mappers.iter().map(|m| m.name.as_str()).collect::<Vec<_>>().join(", ")
                )),
                None => {
                    let mut of_kind = self.mappers.iter().filter(|m| m.kind.as_deref() == Some(kind));
                    match (of_kind.next(), of_kind.next()) {
                        (Some(only), None) => Ok(Some(only.name.clone())),
                        _ => Ok(None),
                    }
                }
            }
        };
        self.incoming_mapper = pick(&spec.incoming_mapper, "mapper-in", "mapping-incoming")?;
        self.outgoing_mapper = pick(&spec.outgoing_mapper, "mapper-out", "mapping-outgoing")?;
        Ok(())
    }

    /// Applies a mapper by name or id, as `mapObject` does. Without a mapper name the object
    /// passes through unchanged, as on an instance with no mapper selected.
    pub fn map_object(&self, source: &Value, mapper: &str, kind: &str) -> Result<Value, String> {
        if mapper.trim().is_empty() {
            return Ok(source.clone());
        }
        let found = self.mapper(mapper).ok_or_else(|| {
                let loaded: Vec<&str> = self.mappers.iter().map(|m| m.name.as_str()).collect();
                format!(
                    "mapObject: no mapper named `{mapper}` is loaded (loaded: {}); give the file under integration.mappers or put classifier-mapper-*.json beside the integration YAML",
                    if loaded.is_empty() { "none".to_owned() } else { loaded.join(", ") }
                )
            })?;
        found.map(source, kind)
    }

    /// The loaded mapper with this name or id.
    pub fn mapper(&self, name: &str) -> Option<&Mapper> {
        self.mappers
            .iter()
            .find(|m| m.name == name || m.id.as_deref() == Some(name))
    }

    fn set_integration_context(&mut self, args: &Value) -> Result<Value, String> {
        let requested = args.get("version").and_then(Value::as_i64).unwrap_or(-1);
        if requested >= 0 && requested != self.integration_context_version {
            return Err(format!(
                "integration context version conflict: the integration wrote version {requested} but the stored version is {}",
                self.integration_context_version
            ));
        }
        self.integration_context = args.get("value").cloned().unwrap_or_else(|| json!({}));
        self.integration_context_version += 1;
        Ok(Value::Null)
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
    fn execute_command(&mut self, command: &str, args: &Value) -> Result<Value, String> {
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
            "mapObject" => {
                let mapper = arg(args, "mapper").as_str().unwrap_or_default();
                let kind = arg(args, "mapperType").as_str().unwrap_or_default();
                self.map_object(arg(args, "source"), mapper, kind)
            }
            "createIncidents" => {
                if let Value::Array(incidents) = arg(args, "incidents") {
                    self.created_incidents.extend(incidents.iter().cloned());
                }
                Ok(Value::Null)
            }
            "updateModuleHealth" => {
                self.module_health.push(args.clone());
                Ok(Value::Null)
            }
            "findUser" => Ok(Value::Null),
            other => Err(format!(
                "the harness's server emulation does not implement executeCommand `{other}`"
            )),
        }
    }

    fn demisto_version(&self) -> Value {
        json!({"version": self.version, "buildNumber": "harness"})
    }

    fn file_by_entry_id(&mut self, id: &str) -> Result<Value, String> {
        let (name, path) = self
            .files
            .get(id)
            .ok_or_else(|| format!("no file entry with id `{id}` in this investigation"))?;
        Ok(json!({"id": id, "path": path, "name": name}))
    }
}

/// Command arguments the way the server passes them to commands run from the war room or a
/// playbook: mappings and lists as their JSON text, scalars as strings.
pub fn xsoar_args<'a>(
    args: impl IntoIterator<Item = (&'a String, &'a Value)>,
) -> Map<String, Value> {
    args.into_iter()
        .map(|(name, value)| {
            let sent = match value {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            (name.clone(), Value::String(sent))
        })
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
