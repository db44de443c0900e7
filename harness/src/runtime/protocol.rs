//! The messages of the XSOAR script protocol (JSON lines over stdin/stdout).
//!
//! The server writes `ping`, the runner answers `{"type":"pong"}`; the server writes one start
//! message; the script then sends results, logs and requests (some of which the server
//! answers with one line) until it sends `completed` or `exception`.
//!
//! What both sides spell (the handshake, the message names, the log levels, the start message's
//! keys, the error marker, the versions) is defined once, in `harness/python/runner/protocol.json`:
//! the Python runner reads it (and its own tests check the start-message keys it reads), and the
//! tests of this module fail when the spellings here differ from it.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What the server writes to shake hands with a new runner.
pub(crate) const PING: &str = "ping";

/// The marker that makes the script raise `ValueError` with the text after it.
pub(crate) const ERROR_MARKER: &str = "[ERROR-fd5a7750-7182-4b38-90ba-091824478903]";

/// The build number the harness's server reports.
pub(crate) const BUILD_NUMBER: &str = "harness";

/// The name of the one message whose parse can fail past its `type` (its `command`).
const EXECUTE_COMMAND: &str = "executeCommand";

/// The reply to `demistoVersion`.
pub(crate) fn demisto_version(version: &str) -> Value {
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

/// One message from the script, as the protocol defines it: the `type` names the variant.
///
/// Like the server, the harness reads the fields it needs leniently: an absent or `null` text
/// is empty, a number or object where text belongs is read as its JSON, an `args` that is not
/// an object holds nothing, a single `results` value is one entry. Only the envelope (a JSON
/// object with a known `type`) and an `executeCommand`'s `command` are required.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
#[non_exhaustive]
pub enum ScriptMessage {
    /// `{"type":"pong"}`.
    Pong,
    /// War-room entries (`results`).
    #[serde(rename = "result", deserialize_with = "wire::results")]
    Results(Vec<Value>),
    /// `demisto.log`: no reply.
    #[serde(deserialize_with = "wire::entry_log")]
    EntryLog(String),
    /// `demisto.info/error/debug`: the server replies with one line.
    Log {
        /// The `command`: `info`, `error` or `debug`.
        #[serde(rename = "command", default, deserialize_with = "wire::level")]
        level: LogLevel,
        /// The logged parts (`args.args`), joined by spaces.
        #[serde(rename = "args", default, deserialize_with = "wire::log_message")]
        message: String,
    },
    /// A server command; the reply is its result.
    ExecuteCommand {
        /// The command name.
        command: String,
        /// Its arguments.
        #[serde(default)]
        args: Value,
    },
    /// `demistoVersion()`.
    DemistoVersion,
    /// `getFilePath(id)`.
    #[serde(rename = "getFileByEntryID")]
    GetFile {
        /// The entry id (`args.id`).
        #[serde(rename = "args", default, deserialize_with = "wire::file_id")]
        id: String,
    },
    /// The run ended normally.
    Completed,
    /// The run ended in an uncaught exception: the traceback.
    #[serde(deserialize_with = "wire::exception")]
    Exception(String),
    /// Harness extension, sent by the runner just before the run's end: what the run left
    /// running.
    Leftovers {
        /// The processes.
        #[serde(default, deserialize_with = "wire::processes")]
        processes: Vec<LeftoverProcess>,
        /// The threads' names.
        #[serde(default, deserialize_with = "wire::texts")]
        threads: Vec<String>,
    },
}

impl ScriptMessage {
    /// Parses one stdout line; `Err` says why the line is not a protocol message.
    pub fn parse(line: &str) -> Result<Self, ProtocolError> {
        let value: Value = serde_json::from_str(line).map_err(ProtocolError::not_json)?;
        let kind = match &value {
            Value::Object(object) => match object.get("type") {
                Some(Value::String(kind)) => kind,
                None => return Err(ProtocolError::NoType),
                Some(other) => {
                    return Err(ProtocolError::TypeNotText {
                        found: JsonKind::of(other),
                    })
                }
            },
            other => {
                return Err(ProtocolError::NotAnObject {
                    found: JsonKind::of(other),
                })
            }
        };
        Self::deserialize(&value).map_err(|source| {
            if kind != EXECUTE_COMMAND {
                // Every field of the other messages reads from any JSON: only the type is off.
                return ProtocolError::UnknownType {
                    name: kind.clone(),
                    source,
                };
            }
            match value.get("command") {
                None => ProtocolError::NoCommand { source },
                Some(Value::String(_)) => ProtocolError::Shape {
                    name: kind.clone(),
                    source,
                },
                Some(other) => ProtocolError::CommandNotText {
                    found: JsonKind::of(other),
                    value: other.clone(),
                    source,
                },
            }
        })
    }
}

/// The level of a log line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum LogLevel {
    /// `demisto.info`, and a `log` message of a level the server does not know.
    #[default]
    Info,
    /// `demisto.error`.
    Error,
    /// `demisto.debug`.
    Debug,
    /// `demisto.log`: the run's log entry (an `entryLog` message, not a `log` level).
    #[serde(skip_deserializing)]
    Entry,
}

impl std::fmt::Display for LogLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Info => "info",
            Self::Error => "error",
            Self::Debug => "debug",
            Self::Entry => "entry",
        })
    }
}

/// Why a line from the runner is not a protocol message; the text completes "the line is not a
/// protocol message (...)".
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// Not JSON at all.
    #[error("it is not JSON (unexpected text at column {column})")]
    NotJson {
        /// Where the JSON went wrong.
        column: usize,
        /// The JSON parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// JSON that ends too early.
    #[error("its JSON is cut off (it ends at column {column})")]
    CutOff {
        /// Where it ends.
        column: usize,
        /// The JSON parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// JSON nested deeper than the parser follows.
    #[error("its JSON nests deeper than 128 levels (at column {column})")]
    TooDeep {
        /// Where the parser stopped.
        column: usize,
        /// The JSON parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// JSON, but not an object.
    #[error("it is JSON, but {found} rather than an object")]
    NotAnObject {
        /// What it is instead.
        found: JsonKind,
    },
    /// An object without `type`.
    #[error("it has no `type`")]
    NoType,
    /// A `type` that is not text.
    #[error("its `type` is {found}, not text")]
    TypeNotText {
        /// What it is instead.
        found: JsonKind,
    },
    /// A `type` the protocol does not have.
    #[error("its type `{name}` is not part of the protocol")]
    UnknownType {
        /// The type.
        name: String,
        /// What reading it as a message said.
        #[source]
        source: serde_json::Error,
    },
    /// An `executeCommand` without `command`.
    #[error("it is an executeCommand without a `command`")]
    NoCommand {
        /// What reading it as a message said.
        #[source]
        source: serde_json::Error,
    },
    /// An `executeCommand` whose `command` is not text.
    #[error(
        "it is an executeCommand whose `command` is {found} ({value}), not the name of a command"
    )]
    CommandNotText {
        /// What it is instead.
        found: JsonKind,
        /// The value.
        value: Value,
        /// What reading it as a message said.
        #[source]
        source: serde_json::Error,
    },
    /// A known message that does not read as one for another reason.
    #[error("it is a `{name}` message of a shape the protocol does not have")]
    Shape {
        /// The type.
        name: String,
        /// What reading it as a message said.
        #[source]
        source: serde_json::Error,
    },
}

impl ProtocolError {
    /// Why a line is not JSON, in our words.
    fn not_json(source: serde_json::Error) -> Self {
        let column = source.column();
        // serde_json stops nesting at 128 levels; its message is the only place that says so.
        if source.to_string().starts_with("recursion limit exceeded") {
            return Self::TooDeep { column, source };
        }
        match source.classify() {
            serde_json::error::Category::Eof => Self::CutOff { column, source },
            _ => Self::NotJson { column, source },
        }
    }
}

/// What kind of JSON value stands where another was expected, as messages name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonKind {
    /// `null`.
    Null,
    /// `true` or `false`.
    Boolean,
    /// A number.
    Number,
    /// A string.
    Text,
    /// An array.
    List,
    /// An object.
    Object,
}

impl JsonKind {
    /// The kind of `value`.
    pub fn of(value: &Value) -> Self {
        match value {
            Value::Null => Self::Null,
            Value::Bool(_) => Self::Boolean,
            Value::Number(_) => Self::Number,
            Value::String(_) => Self::Text,
            Value::Array(_) => Self::List,
            Value::Object(_) => Self::Object,
        }
    }
}

impl std::fmt::Display for JsonKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Null => "null",
            Self::Boolean => "a boolean",
            Self::Number => "a number",
            Self::Text => "text",
            Self::List => "a list",
            Self::Object => "an object",
        })
    }
}

/// A process a run left running.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct LeftoverProcess {
    /// Its pid, where the system shows it.
    #[serde(deserialize_with = "wire::pid")]
    pub pid: Option<u32>,
    /// Its command line (bounded), empty where the system does not show it.
    #[serde(deserialize_with = "wire::text")]
    pub command: String,
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

/// The lenient readings of [`ScriptMessage`]'s fields (see there).
mod wire {
    use serde::de::{DeserializeOwned, Error as _};
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    use super::{LeftoverProcess, LogLevel};

    /// The `args` object of the messages that carry one, as far as the harness reads it.
    #[derive(Default, Deserialize)]
    #[serde(default)]
    struct Args {
        /// `entryLog`.
        #[serde(deserialize_with = "text")]
        message: String,
        /// `log`: its parts.
        #[serde(deserialize_with = "joined")]
        args: String,
        /// `getFileByEntryID`.
        #[serde(deserialize_with = "text")]
        id: String,
        /// `exception`.
        #[serde(deserialize_with = "text")]
        exception: String,
    }

    /// A message whose fields are all in `args`.
    #[derive(Deserialize)]
    struct WithArgs {
        #[serde(default, deserialize_with = "args")]
        args: Args,
    }

    fn args<'de, D: Deserializer<'de>>(d: D) -> Result<Args, D::Error> {
        object_or_default(Value::deserialize(d)?).map_err(D::Error::custom)
    }

    /// The fields of an object; what is not an object has none.
    fn object_or_default<T: DeserializeOwned + Default>(value: Value) -> serde_json::Result<T> {
        match value {
            object @ Value::Object(_) => T::deserialize(object),
            _ => Ok(T::default()),
        }
    }

    fn text_of(value: Value) -> String {
        crate::text::text(&value)
    }

    pub(super) fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        Value::deserialize(d).map(text_of)
    }

    /// A list's items as text joined by spaces; anything else as one text.
    fn joined<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Array(parts) => parts.into_iter().map(text_of).collect::<Vec<_>>().join(" "),
            other => text_of(other),
        })
    }

    pub(super) fn texts<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Array(items) => items.into_iter().map(text_of).collect(),
            _ => Vec::new(),
        })
    }

    pub(super) fn results<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Value>, D::Error> {
        #[derive(Deserialize)]
        struct Body {
            #[serde(default)]
            results: Value,
        }
        Ok(match Body::deserialize(d)?.results {
            Value::Array(entries) => entries,
            Value::Null => Vec::new(),
            single => vec![single],
        })
    }

    pub(super) fn entry_log<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        Ok(WithArgs::deserialize(d)?.args.message)
    }

    pub(super) fn exception<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        Ok(WithArgs::deserialize(d)?.args.exception)
    }

    pub(super) fn log_message<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        Ok(args(d)?.args)
    }

    pub(super) fn file_id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        Ok(args(d)?.id)
    }

    pub(super) fn level<'de, D: Deserializer<'de>>(d: D) -> Result<LogLevel, D::Error> {
        // The server logs a line of a level it does not know at info.
        Ok(LogLevel::deserialize(Value::deserialize(d)?).unwrap_or_default())
    }

    pub(super) fn processes<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<LeftoverProcess>, D::Error> {
        match Value::deserialize(d)? {
            Value::Array(items) => items
                .into_iter()
                .map(|item| object_or_default(item).map_err(D::Error::custom))
                .collect(),
            _ => Ok(Vec::new()),
        }
    }

    pub(super) fn pid<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
        Ok(Value::deserialize(d)?
            .as_u64()
            .and_then(|pid| u32::try_from(pid).ok()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeMap;

    fn parsed(line: &str) -> ScriptMessage {
        ScriptMessage::parse(line).unwrap_or_else(|why| panic!("{line}: {why}"))
    }

    fn why(line: &str) -> String {
        match ScriptMessage::parse(line) {
            Ok(message) => panic!("{line:.40} parsed as {message:?}"),
            Err(why) => why.to_string(),
        }
    }

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
                    level: LogLevel::Debug,
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
            (
                r#"{"type":"demistoVersion"}"#,
                ScriptMessage::DemistoVersion,
            ),
            (
                r#"{"type":"getFileByEntryID","command":"getFilePath","args":{"id":"3@1"}}"#,
                ScriptMessage::GetFile { id: "3@1".into() },
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
            assert_eq!(parsed(line), expected, "{line}");
        }
    }

    #[test]
    fn fields_are_read_leniently() {
        let cases = [
            (
                r#"{"type":"result","results":{"Type":1}}"#,
                ScriptMessage::Results(vec![json!({"Type":1})]),
            ),
            (
                r#"{"type":"result","results":null,"extra":1}"#,
                ScriptMessage::Results(Vec::new()),
            ),
            (
                r#"{"type":"entryLog"}"#,
                ScriptMessage::EntryLog(String::new()),
            ),
            (
                r#"{"type":"entryLog","args":{"message":{"a":[1,null]}}}"#,
                ScriptMessage::EntryLog(r#"{"a":[1,null]}"#.into()),
            ),
            (
                r#"{"type":"entryLog","args":[1]}"#,
                ScriptMessage::EntryLog(String::new()),
            ),
            (
                r#"{"type":"log","args":{"args":"one"}}"#,
                ScriptMessage::Log {
                    level: LogLevel::Info,
                    message: "one".into(),
                },
            ),
            (
                r#"{"type":"log","command":5,"args":{"args":[null,true,1.5]}}"#,
                ScriptMessage::Log {
                    level: LogLevel::Info,
                    message: " true 1.5".into(),
                },
            ),
            (
                r#"{"type":"log","command":"entry"}"#,
                ScriptMessage::Log {
                    level: LogLevel::Info,
                    message: String::new(),
                },
            ),
            (
                r#"{"type":"executeCommand","command":"c"}"#,
                ScriptMessage::ExecuteCommand {
                    command: "c".into(),
                    args: Value::Null,
                },
            ),
            (
                r#"{"type":"getFileByEntryID","args":{"id":3}}"#,
                ScriptMessage::GetFile { id: "3".into() },
            ),
            (
                r#"{"type":"exception","args":null}"#,
                ScriptMessage::Exception(String::new()),
            ),
            (
                r#"{"type":"leftovers","processes":[{"pid":-1},"x",{"pid":99999999999,"command":7}],"threads":["t",2]}"#,
                ScriptMessage::Leftovers {
                    processes: vec![
                        LeftoverProcess::default(),
                        LeftoverProcess::default(),
                        LeftoverProcess {
                            pid: None,
                            command: "7".into(),
                        },
                    ],
                    threads: vec!["t".into(), "2".into()],
                },
            ),
            (
                r#"{"type":"leftovers","processes":{},"threads":"t"}"#,
                ScriptMessage::Leftovers {
                    processes: Vec::new(),
                    threads: Vec::new(),
                },
            ),
        ];
        for (line, expected) in cases {
            assert_eq!(parsed(line), expected, "{line}");
        }
    }

    #[test]
    fn garbage_is_explained() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        for (line, expected) in [
            ("hello", "it is not JSON (unexpected text at column 1)"),
            (r#"{"type": "res"#, "its JSON is cut off (it ends at column 13)"),
            ("[1, 2]", "it is JSON, but a list rather than an object"),
            (r#"["pong"]"#, "it is JSON, but a list rather than an object"),
            (r#"{"type": 5}"#, "its `type` is a number, not text"),
            (r#"{"args": {}}"#, "it has no `type`"),
            (
                r#"{"type": "executeCommand"}"#,
                "it is an executeCommand without a `command`",
            ),
            (
                r#"{"type": "executeCommand", "command": 5}"#,
                "it is an executeCommand whose `command` is a number (5), not the name of a command",
            ),
            (
                r#"{"type": "shout"}"#,
                "its type `shout` is not part of the protocol",
            ),
            (&deep, "its JSON nests deeper than 128 levels (at column 128)"),
        ] {
            assert_eq!(why(line), expected, "{line:.40}");
        }
    }

    /// `protocol.json`, the definition the Python runner reads.
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct Shared {
        #[allow(dead_code)] // for people
        about: String,
        ping: String,
        error_marker: String,
        default_server_version: String,
        build_number: String,
        messages: BTreeMap<String, String>,
        log_levels: Vec<String>,
        start_message: Vec<String>,
        harness: Vec<String>,
    }

    fn shared() -> Shared {
        serde_json::from_str(include_str!("../../python/runner/protocol.json"))
            .expect("protocol.json holds the shared spellings")
    }

    /// The key of a message in `protocol.json`'s `messages`; a new variant must be added here
    /// (the match is exhaustive) and there.
    fn key(message: &ScriptMessage) -> &'static str {
        match message {
            ScriptMessage::Pong => "pong",
            ScriptMessage::Results(_) => "results",
            ScriptMessage::EntryLog(_) => "entryLog",
            ScriptMessage::Log { .. } => "log",
            ScriptMessage::ExecuteCommand { .. } => "executeCommand",
            ScriptMessage::DemistoVersion => "demistoVersion",
            ScriptMessage::GetFile { .. } => "getFile",
            ScriptMessage::Completed => "completed",
            ScriptMessage::Exception(_) => "exception",
            ScriptMessage::Leftovers { .. } => "leftovers",
        }
    }

    #[test]
    fn the_constants_are_those_the_runner_reads() {
        let shared = shared();
        assert_eq!(PING, shared.ping);
        assert_eq!(ERROR_MARKER, shared.error_marker);
        assert_eq!(BUILD_NUMBER, shared.build_number);
        assert_eq!(
            crate::scenario::ServerSpec::DEFAULT_VERSION.to_string(),
            shared.default_server_version
        );
        assert_eq!(
            Some(EXECUTE_COMMAND),
            shared.messages.get("executeCommand").map(String::as_str)
        );
    }

    #[test]
    fn the_start_message_has_the_keys_the_runner_reads() {
        let start = StartMessage {
            script: String::new(),
            integration: true,
            native: false,
            command: String::new(),
            args: Map::new(),
            params: Map::new(),
            context: Value::Null,
            harness: HarnessInfo {
                now: 0,
                script_name: String::new(),
                server_version: String::new(),
                build_number: String::new(),
                preload: vec!["CommonServerPython".into()],
                memory_limit: Some(1),
            },
        };
        let keys = |value: &Value| -> Vec<String> {
            let mut keys: Vec<String> = value
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, _)| k.clone())
                .collect();
            keys.sort();
            keys
        };
        let sorted = |mut names: Vec<String>| {
            names.sort();
            names
        };
        let written = serde_json::to_value(&start).expect("a start message serializes");
        let shared = shared();
        assert_eq!(keys(&written), sorted(shared.start_message));
        assert_eq!(keys(&written["harness"]), sorted(shared.harness));
    }

    #[test]
    fn the_message_names_are_those_the_runner_sends() {
        let shared = shared();
        let mut reached = Vec::new();
        for (role, name) in &shared.messages {
            let line = json!({"type": name, "command": "c"}).to_string();
            let message = ScriptMessage::parse(&line)
                .unwrap_or_else(|why| panic!("the runner's `{role}` ({name}): {why}"));
            assert_eq!(key(&message), role, "{name}");
            reached.push(key(&message));
        }
        let every = [
            "pong",
            "results",
            "entryLog",
            "log",
            "executeCommand",
            "demistoVersion",
            "getFile",
            "completed",
            "exception",
            "leftovers",
        ];
        reached.sort_unstable();
        let mut every = every.to_vec();
        every.sort_unstable();
        assert_eq!(reached, every, "protocol.json lacks a message");
        let levels: Vec<String> = shared
            .log_levels
            .iter()
            .map(|name| {
                let line = json!({"type": "log", "command": name}).to_string();
                match parsed(&line) {
                    ScriptMessage::Log { level, .. } => level.to_string(),
                    other => panic!("{other:?}"),
                }
            })
            .collect();
        assert_eq!(levels, shared.log_levels);
        let ours = [LogLevel::Info, LogLevel::Error, LogLevel::Debug].map(|l| l.to_string());
        assert_eq!(ours.to_vec(), shared.log_levels);
    }
}
