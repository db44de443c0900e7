//! Transformer and filter scripts, run the way the server runs automations: from the content
//! checkout (`Packs/*/Scripts/<Name>/`), through the same runtime as the integration, in the
//! Python environment of the script's own Docker image, with `value` (or `left` / `right`)
//! and the operator's arguments (the script YAML's defaults for those not given). The value is
//! what the script returns: the Contents of its one result, a list of them for several.
//! Scripts without the `entirelist` tag run once per item of a list.
//!
//! Without a content root, or for a JavaScript script (the harness runs Python only), the
//! native equivalents of `crate::mapping::scripts` answer; anything else is unsupported.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::mapping::scripts::{native_or, unsupported_filter, unsupported_transformer};
use crate::mapping::transformers::Args;
use crate::mapping::value::{boolean, items};
use crate::mapping::{BoxFuture, OperatorError, Operators};
use crate::runtime::content::{ContentRoot, ModuleSource};
use crate::runtime::protocol::{demisto_version, HarnessInfo, StartMessage, BUILD_NUMBER};
use crate::runtime::{CommandRun, PythonEnv, Refusal, RunEnd, Runtime, ServerSide};
use crate::scenario::RunLimits;

/// Runs the operators a mapper uses that are not built in.
pub(crate) struct ScriptOperators {
    runtime: Runtime,
    content: Option<ContentRoot>,
    server_version: String,
    limits: RunLimits,
    /// The virtual clock, epoch ms, set before each mapping.
    pub now: i64,
    scripts: HashMap<String, Option<Arc<Script>>>,
    /// Results by script, input and clock: a mapping pass asks the same often.
    memo: HashMap<(String, String, i64), Value>,
    /// The search path and environment of each script that ran.
    prepared: HashMap<String, (Vec<PathBuf>, Arc<PythonEnv>)>,
}

impl std::fmt::Debug for ScriptOperators {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScriptOperators")
            .field("content", &self.content)
            .field("scripts", &self.scripts.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// A script loaded from the checkout.
#[derive(Debug)]
struct Script {
    name: String,
    code: String,
    python: bool,
    entire_list: bool,
    defaults: Map<String, Value>,
    image: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ScriptYaml {
    #[serde(default)]
    script: Option<String>,
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    dockerimage: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    args: Vec<ScriptArg>,
}

#[derive(Debug, Deserialize)]
struct ScriptArg {
    name: String,
    #[serde(rename = "defaultValue", default)]
    default_value: Option<Value>,
}

impl ScriptOperators {
    /// Operators for an instance whose modules come from `content` (none: native only).
    pub(crate) fn new(
        runtime: Runtime,
        content: Option<ContentRoot>,
        server_version: String,
        limits: RunLimits,
    ) -> Self {
        Self {
            runtime,
            content,
            server_version,
            limits,
            now: 0,
            scripts: HashMap::new(),
            memo: HashMap::new(),
            prepared: HashMap::new(),
        }
    }

    /// Why operator `name` cannot run: a JavaScript script, or no script at all (`absent`
    /// says so for its kind of operator).
    fn unsupported(&self, name: &str, absent: fn(&str, Option<&str>) -> String) -> OperatorError {
        OperatorError::Unsupported(match self.scripts.get(name) {
            Some(Some(_)) => format!(
                "`{name}` is a JavaScript script, which the harness cannot run, and it has no native equivalent"
            ),
            _ => {
                let searched = self.content.as_ref().map(|c| c.root().display().to_string());
                absent(name, searched.as_deref())
            }
        })
    }

    /// The script `name` from the checkout, read once; `Err` when its files are unreadable.
    fn script(&mut self, name: &str) -> Result<Option<Arc<Script>>, OperatorError> {
        if let Some(known) = self.scripts.get(name) {
            return Ok(known.clone());
        }
        let found = match &self.content {
            Some(content) => content.script(name).map_err(|e| {
                OperatorError::Failed(format!(
                    "cannot look for the script in the content root: {e}"
                ))
            })?,
            None => None,
        };
        let loaded = match found {
            None => None,
            Some(files) => {
                let read = |path: &std::path::Path| {
                    std::fs::read_to_string(path).map_err(|e| {
                        OperatorError::Failed(format!("cannot read {}: {e}", path.display()))
                    })
                };
                let yaml: ScriptYaml =
                    serde_saphyr::from_str(&read(&files.yaml)?).map_err(|e| {
                        OperatorError::Failed(format!(
                            "{} is not a valid script YAML: {e}",
                            files.yaml.display()
                        ))
                    })?;
                let embedded = yaml
                    .script
                    .clone()
                    .filter(|s| crate::integration::is_embedded_code(s));
                let code = match (&files.code, embedded) {
                    (Some(path), _) => read(path)?,
                    (None, Some(code)) => code,
                    (None, None) => {
                        return Err(OperatorError::Failed(format!(
                            "{} has no code: neither an embedded script nor {name}.py beside it",
                            files.yaml.display()
                        )))
                    }
                };
                let python = yaml.kind.as_deref().is_none_or(|k| k == "python")
                    && files
                        .code
                        .as_ref()
                        .is_none_or(|p| p.extension().is_some_and(|e| e == "py"));
                Some(Arc::new(Script {
                    name: name.to_owned(),
                    code,
                    python,
                    entire_list: yaml.tags.iter().any(|t| t == "entirelist"),
                    defaults: yaml
                        .args
                        .iter()
                        .filter_map(|a| a.default_value.clone().map(|v| (a.name.clone(), v)))
                        .collect(),
                    image: yaml.dockerimage,
                }))
            }
        };
        self.scripts.insert(name.to_owned(), loaded.clone());
        Ok(loaded)
    }

    /// Runs `script` once with `args` and returns its value.
    async fn run(
        &mut self,
        script: &Script,
        args: Map<String, Value>,
    ) -> Result<Value, OperatorError> {
        let key = (
            script.name.clone(),
            Value::Object(args.clone()).to_string(),
            self.now,
        );
        if let Some(value) = self.memo.get(&key) {
            return Ok(value.clone());
        }
        let failed = |message: String| OperatorError::Failed(message);
        let content = self
            .content
            .as_ref()
            .ok_or_else(|| failed("no content root".into()))?;
        // Prepared once per script. The code goes in the start message; the script's folder
        // stays off the path, so that every script of an image shares its warm processes.
        let (python_path, env) = match self.prepared.get(&script.name) {
            Some(prepared) => prepared.clone(),
            None => {
                let modules = ModuleSource::Content(content.clone());
                let prepared = self
                    .runtime
                    .prepare(
                        &modules,
                        &script.code,
                        &[],
                        script.image.clone(),
                        Vec::new(),
                    )
                    .await
                    .map_err(|e| failed(format!("its Python environment: {e}")))?;
                self.prepared.insert(script.name.clone(), prepared.clone());
                prepared
            }
        };
        let start = StartMessage {
            script: script.code.clone(),
            integration: false,
            native: false,
            command: String::new(),
            args,
            params: Map::new(),
            context: json!({"ScriptName": script.name, "Inv": {"id": super::INVESTIGATION_ID}, "IsDebug": false}),
            harness: HarnessInfo {
                now: self.now,
                script_name: format!("{}.py", script.name),
                server_version: self.server_version.clone(),
                build_number: BUILD_NUMBER.to_owned(),
                preload: Vec::new(),
                memory_limit: None,
            },
        };
        let run = self
            .runtime
            .run(
                &start,
                &env.python,
                &python_path,
                &mut ScriptServer {
                    version: &self.server_version,
                },
                self.limits,
            )
            .await
            .map_err(|e| failed(format!("cannot run it: {e}")))?;
        let value = script_value(&run).map_err(|why| failed(format!("the script {why}")))?;
        self.memo.insert(key, value.clone());
        Ok(value)
    }

    /// The arguments a script gets: the given ones over the YAML's defaults.
    fn arguments(script: &Script, given: Map<String, Value>) -> Map<String, Value> {
        let mut args = script.defaults.clone();
        args.extend(given.into_iter().filter(|(_, v)| !v.is_null()));
        args
    }
}

impl Operators for ScriptOperators {
    fn transformer<'a>(
        &'a mut self,
        name: &'a str,
        value: Value,
        args: Args,
    ) -> BoxFuture<'a, Result<Value, OperatorError>> {
        Box::pin(async move {
            let script = self.script(name)?;
            let Some(script) = script.filter(|s| s.python) else {
                return native_or(name, value, &args, || {
                    self.unsupported(name, unsupported_transformer)
                });
            };
            // Without `entirelist` the server runs the script on each item of a list, and the
            // results make a list again (of one item for a list of one).
            let per_item = !script.entire_list && value.is_array();
            let inputs = if per_item { items(&value) } else { vec![value] };
            let mut outputs = Vec::new();
            for input in inputs {
                let mut given = args.clone();
                given.insert("value".into(), input);
                let arguments = Self::arguments(&script, given);
                outputs.push(self.run(&script, arguments).await?);
            }
            Ok(if per_item {
                Value::Array(outputs.into_iter().flat_map(|v| items(&v)).collect())
            } else {
                outputs.pop().unwrap_or(Value::Null)
            })
        })
    }

    fn filter<'a>(
        &'a mut self,
        name: &'a str,
        left: Value,
        right: Value,
    ) -> BoxFuture<'a, Result<bool, OperatorError>> {
        Box::pin(async move {
            let Some(script) = self.script(name)?.filter(|s| s.python) else {
                return Err(self.unsupported(name, unsupported_filter));
            };
            let mut given = Map::new();
            given.insert("left".into(), left);
            given.insert("right".into(), right);
            let arguments = Self::arguments(&script, given);
            let value = self.run(&script, arguments).await?;
            // A script answers true/false, their text, or one answer per left item.
            let answers: Vec<Option<bool>> = items(&value).iter().map(boolean).collect();
            match answers.iter().copied().collect::<Option<Vec<bool>>>() {
                Some(answers) if !answers.is_empty() => Ok(answers.into_iter().any(|b| b)),
                _ => Err(OperatorError::Failed(format!(
                    "the filter script returned {value}, not true or false"
                ))),
            }
        })
    }
}

/// Why a transformer or filter script gave no value.
#[derive(Debug, thiserror::Error)]
enum ScriptFailure {
    /// A crash, a hang, a bound reached or a process left running: what the rule says.
    #[error("{0}")]
    Ended(String),
    /// An uncaught exception: its summary.
    #[error("raised: {0}")]
    Raised(String),
    /// An error entry: its contents.
    #[error("returned an error: {0}")]
    ReturnedError(Value),
}

/// The value a script run returns, or why it returns none.
fn script_value(run: &CommandRun) -> Result<Value, ScriptFailure> {
    if let Some((_, why)) = crate::failure::runtime_violation(run) {
        return Err(ScriptFailure::Ended(why));
    }
    if let RunEnd::Exception(traceback) = &run.end {
        return Err(ScriptFailure::Raised(crate::failure::error_summary(
            traceback,
        )));
    }
    if let Some(error) = run
        .entries
        .iter()
        .find(|e| crate::entries::is_error_entry(e))
    {
        return Err(ScriptFailure::ReturnedError(
            crate::entries::entry_contents(error),
        ));
    }
    let mut values: Vec<Value> = run
        .entries
        .iter()
        .map(crate::entries::entry_contents)
        .collect();
    Ok(match values.len() {
        0 => Value::Null,
        1 => values.remove(0),
        _ => Value::Array(values),
    })
}

/// What a transformer or filter script may not ask of the server.
#[derive(Debug, thiserror::Error)]
enum ScriptRefused {
    #[error("a transformer or filter script cannot run the server command `{0}` in the harness")]
    ServerCommand(String),
    #[error("a transformer or filter script has no war room (entry `{0}`)")]
    NoWarRoom(String),
}

/// The server side of a script run: scripts used as operators get no server state.
struct ScriptServer<'v> {
    version: &'v str,
}

impl ServerSide for ScriptServer<'_> {
    fn execute_command<'a>(
        &'a mut self,
        command: &'a str,
        _args: &'a Value,
    ) -> BoxFuture<'a, Result<Value, Refusal>> {
        Box::pin(async move { Err(ScriptRefused::ServerCommand(command.to_owned()).into()) })
    }

    fn demisto_version(&self) -> Value {
        demisto_version(self.version)
    }

    fn file_by_entry_id(&mut self, id: &str) -> Result<Value, Refusal> {
        Err(ScriptRefused::NoWarRoom(id.to_owned()).into())
    }
}
