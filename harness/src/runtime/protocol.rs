//! The messages of the XSOAR script protocol (JSON lines over stdin/stdout).
//!
//! The server writes `ping`, the runner answers `{"type":"pong"}`; the server writes one start
//! message; the script then sends results, logs and requests (some of which the server
//! answers with one line) until it sends `completed` or `exception`.

use serde::Serialize;
use serde_json::{Map, Value};

/// The marker that makes the script raise `ValueError` with the text after it.
pub const ERROR_MARKER: &str = "[ERROR-fd5a7750-7182-4b38-90ba-091824478903]";

/// The build number the harness's server reports.
pub const BUILD_NUMBER: &str = "harness";

/// The reply to `demistoVersion`.
pub fn demisto_version(version: &str) -> Value {
    serde_json::json!({"version": version, "buildNumber": BUILD_NUMBER})
}

/// The message that starts one command run.
#[derive(Debug, Clone, Serialize)]
pub struct StartMessage {
    /// The integration code.
    pub script: String,
    /// Always true: the harness runs integrations, not automation scripts.
    pub integration: bool,
    /// Always false: the code is Python run by the runner.
    pub native: bool,
    /// The command to run.
    pub command: String,
    /// The command arguments.
    pub args: Map<String, Value>,
    /// The instance parameters.
    pub params: Map<String, Value>,
    /// The calling context (`IntegrationBrand`, `IntegrationInstance`, `Inv`, `Incidents`, ...).
    pub context: Value,
    /// Harness extensions the real server does not send: the virtual "now" and versions.
    pub harness: HarnessInfo,
}

/// What the harness tells the runner beyond the real start message.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HarnessInfo {
    /// The virtual clock, epoch milliseconds: the integration's `time.time()` and
    /// `datetime.now()` follow it.
    pub now: i64,
    /// The file name shown in tracebacks.
    pub script_name: String,
    /// The server version `demistoVersion()` reports.
    pub server_version: String,
    /// The build number `demistoVersion()` reports.
    pub build_number: String,
    /// Modules whose public names the script gets without importing them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub preload: Vec<String>,
    /// The memory (data segment, bytes) the run's process may use; the runtime sets it from
    /// the run's limits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_limit: Option<u64>,
}

/// One message from the script.
#[derive(Debug, Clone, PartialEq)]
pub enum ScriptMessage {
    /// `{"type":"pong"}`.
    Pong,
    /// War-room entries (`results`).
    Results(Vec<Value>),
    /// `demisto.log`: no reply.
    EntryLog(String),
    /// `demisto.info/error/debug`: the server replies with one line.
    Log {
        /// `info`, `error` or `debug`.
        level: String,
        /// The logged text.
        message: String,
    },
    /// A server command; the reply is its result.
    ExecuteCommand {
        /// The command name.
        command: String,
        /// Its arguments.
        args: Value,
    },
    /// `demistoVersion()`.
    DemistoVersion,
    /// `getFilePath(id)`.
    GetFile {
        /// The entry id.
        id: String,
    },
    /// The run ended normally.
    Completed,
    /// The run ended in an uncaught exception.
    Exception(String),
    /// Harness extension, sent by the runner just before the run's end: what the run left
    /// running.
    Leftovers {
        /// The processes.
        processes: Vec<LeftoverProcess>,
        /// The threads' names.
        threads: Vec<String>,
    },
}

impl ScriptMessage {
    /// Parses one stdout line; `Err` says why the line is not a protocol message.
    pub fn parse(line: &str) -> Result<Self, String> {
        let value: Value = serde_json::from_str(line).map_err(|e| not_json(&e))?;
        if !value.is_object() {
            return Err(format!(
                "it is JSON, but {} rather than an object",
                kind_of(&value)
            ));
        }
        let kind = match value.get("type") {
            Some(Value::String(kind)) => kind.as_str(),
            None => return Err("it has no `type`".to_owned()),
            Some(other) => return Err(format!("its `type` is {}, not text", kind_of(other))),
        };
        let args = value.get("args").cloned().unwrap_or(Value::Null);
        Ok(match kind {
            "pong" => Self::Pong,
            "result" => Self::Results(match value.get("results") {
                Some(Value::Array(entries)) => entries.clone(),
                Some(Value::Null) | None => Vec::new(),
                Some(single) => vec![single.clone()],
            }),
            "entryLog" => Self::EntryLog(text_of(args.get("message"))),
            "log" => Self::Log {
                level: value
                    .get("command")
                    .and_then(Value::as_str)
                    .unwrap_or("info")
                    .to_owned(),
                message: match args.get("args") {
                    Some(Value::Array(parts)) => parts
                        .iter()
                        .map(|p| text_of(Some(p)))
                        .collect::<Vec<_>>()
                        .join(" "),
                    other => text_of(other),
                },
            },
            "executeCommand" => Self::ExecuteCommand {
                command: match value.get("command") {
                    Some(Value::String(command)) => command.clone(),
                    None => return Err("it is an executeCommand without a `command`".to_owned()),
                    Some(other) => {
                        return Err(format!(
                            "it is an executeCommand whose `command` is {} ({other}), not the \
                             name of a command",
                            kind_of(other)
                        ))
                    }
                },
                args,
            },
            "demistoVersion" => Self::DemistoVersion,
            "getFileByEntryID" => Self::GetFile {
                id: text_of(args.get("id")),
            },
            "completed" => Self::Completed,
            "exception" => Self::Exception(text_of(args.get("exception"))),
            "leftovers" => Self::Leftovers {
                processes: match value.get("processes") {
                    Some(Value::Array(items)) => items.iter().map(LeftoverProcess::of).collect(),
                    _ => Vec::new(),
                },
                threads: texts_of(value.get("threads")),
            },
            other => return Err(format!("its type `{other}` is not part of the protocol")),
        })
    }
}

/// Why a line is not JSON, in our words.
fn not_json(error: &serde_json::Error) -> String {
    let column = error.column();
    // serde_json stops nesting at 128 levels; its message is the only place that says so.
    if error.to_string().starts_with("recursion limit exceeded") {
        return format!("its JSON nests deeper than 128 levels (at column {column})");
    }
    match error.classify() {
        serde_json::error::Category::Eof => {
            format!("its JSON is cut off (it ends at column {column})")
        }
        _ => format!("it is not JSON (unexpected text at column {column})"),
    }
}

/// `a number`, `a list`, ... for messages.
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn text_of(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn texts_of(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items.iter().map(|item| text_of(Some(item))).collect(),
        _ => Vec::new(),
    }
}

/// A process a run left running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftoverProcess {
    /// Its pid, where the system shows it.
    pub pid: Option<u32>,
    /// Its command line (bounded), empty where the system does not show it.
    pub command: String,
}

impl LeftoverProcess {
    fn of(value: &Value) -> Self {
        Self {
            pid: value
                .get("pid")
                .and_then(Value::as_u64)
                .and_then(|pid| u32::try_from(pid).ok()),
            command: text_of(value.get("command")),
        }
    }
}

impl std::fmt::Display for LeftoverProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let command = if self.command.is_empty() {
            "(command line unknown)"
        } else {
            &self.command
        };
        match self.pid {
            Some(pid) => write!(f, "`{command}` (pid {pid})"),
            None => write!(f, "`{command}`"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_every_message_kind() {
        let cases = [
            (r#"{"type":"pong"}"#, ScriptMessage::Pong),
            (
                r#"{"type":"result","results":[{"Type":1}]}"#,
                ScriptMessage::Results(vec![json!({"Type":1})]),
            ),
            (
                r#"{"type":"entryLog","args":{"message":"m"}}"#,
                ScriptMessage::EntryLog("m".into()),
            ),
            (
                r#"{"type":"log","command":"debug","args":{"args":["a",1]}}"#,
                ScriptMessage::Log {
                    level: "debug".into(),
                    message: "a 1".into(),
                },
            ),
            (
                r#"{"type":"executeCommand","command":"getLastRun","args":{}}"#,
                ScriptMessage::ExecuteCommand {
                    command: "getLastRun".into(),
                    args: json!({}),
                },
            ),
            (r#"{"type":"completed"}"#, ScriptMessage::Completed),
            (
                r#"{"type":"exception","args":{"exception":"tb"}}"#,
                ScriptMessage::Exception("tb".into()),
            ),
            (
                r#"{"type":"leftovers","processes":[{"pid":7,"command":"sleep 60"}]}"#,
                ScriptMessage::Leftovers {
                    processes: vec![LeftoverProcess {
                        pid: Some(7),
                        command: "sleep 60".into(),
                    }],
                    threads: Vec::new(),
                },
            ),
        ];
        for (line, expected) in cases {
            assert_eq!(ScriptMessage::parse(line), Ok(expected), "{line}");
        }
    }

    #[test]
    fn garbage_is_explained() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        for (line, why) in [
            ("hello", "it is not JSON (unexpected text at column 1)"),
            (r#"{"type": "res"#, "its JSON is cut off (it ends at column 13)"),
            ("[1, 2]", "it is JSON, but a list rather than an object"),
            (r#"{"type": 5}"#, "its `type` is a number, not text"),
            (r#"{"args": {}}"#, "it has no `type`"),
            (
                r#"{"type": "executeCommand", "command": 5}"#,
                "it is an executeCommand whose `command` is a number (5), not the name of a command",
            ),
            (&deep, "its JSON nests deeper than 128 levels (at column 128)"),
        ] {
            assert_eq!(ScriptMessage::parse(line).unwrap_err(), why, "{line:.40}");
        }
        assert!(ScriptMessage::parse(r#"{"type":"shout"}"#)
            .unwrap_err()
            .contains("`shout`"));
    }
}
