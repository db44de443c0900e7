//! Running an integration command the way the XSOAR server does: a separate Python process
//! speaking the script protocol.
//!
//! Every run has a timeout. A run ends in one of the ways of [`RunEnd`]: the harness never
//! hangs on an integration that crashes, hangs, prints garbage or stops without `completed`,
//! and stderr is kept for the report.

pub mod content;
pub mod protocol;
pub mod python;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use protocol::{ScriptMessage, StartMessage, ERROR_MARKER};
pub use python::PythonEnv;

/// How much of stderr a run keeps.
const STDERR_LIMIT: usize = 64 * 1024;

/// The server side of a run: what the integration's requests reach.
pub trait ServerSide: Send {
    /// An `executeCommand` request; `Err` is sent back as an error the script raises.
    fn execute_command(&mut self, command: &str, args: &Value) -> Result<Value, String>;
    /// The reply to `demistoVersion`.
    fn demisto_version(&self) -> Value;
    /// The reply to `getFilePath`.
    fn file_by_entry_id(&mut self, id: &str) -> Result<Value, String>;
}

/// A log line the integration wrote.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LogLine {
    /// `info`, `error`, `debug`, or `entry` for `demisto.log`.
    pub level: String,
    /// The text.
    pub message: String,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunEnd {
    /// The script sent `completed`.
    Completed,
    /// The script raised: the traceback.
    Exception(String),
    /// The process exited before completing, with this status.
    Crashed(String),
    /// The process did not complete within the timeout and was killed.
    TimedOut(Duration),
    /// The process wrote something that is not a protocol message.
    Protocol(String),
    /// The process exited successfully without sending `completed` or `exception`.
    Incomplete,
}

/// Everything one run produced.
#[derive(Debug, Clone)]
pub struct CommandRun {
    /// The war-room entries, in order.
    pub entries: Vec<Value>,
    /// The log lines, in order.
    pub logs: Vec<LogLine>,
    /// How it ended.
    pub end: RunEnd,
    /// What the process wrote to stderr (truncated).
    pub stderr: String,
    /// Wall time from spawn to end.
    pub wall: Duration,
}

/// Why a run could not even start.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The interpreter could not be started.
    #[error("cannot run the Python interpreter {python}: {source}; install python3 or set XSOAR_HARNESS_PYTHON")]
    NoPython {
        /// The interpreter tried.
        python: PathBuf,
        /// The spawn error.
        source: std::io::Error,
    },
    /// Preparing the Python environment failed.
    #[error("preparing the Python environment failed at {step}: {detail}")]
    Setup {
        /// The step.
        step: String,
        /// What it printed.
        detail: String,
    },
    /// An I/O error around the process.
    #[error("cannot {action}: {source}")]
    Io {
        /// What was being done.
        action: String,
        /// The error.
        source: std::io::Error,
    },
}

impl RuntimeError {
    pub(crate) fn io(action: &str, source: std::io::Error) -> Self {
        Self::Io {
            action: action.to_owned(),
            source,
        }
    }
}

/// Starts integration processes.
///
/// Each command runs in a process of its own, as on the server. To keep the interpreter's start
/// and imports off the critical path, the runtime keeps warm spares: processes already started,
/// handshaken and with `requests` (and the built-in modules) imported, waiting for a start
/// message. A spare serves exactly one command, so nothing carries over between commands.
/// Spares belong to the tokio runtime that spawned them: use one tokio runtime per `Runtime`.
#[derive(Debug, Clone)]
pub struct Runtime {
    env: PythonEnv,
    spares: Arc<Mutex<HashMap<Vec<PathBuf>, Vec<Process>>>>,
}

/// How many warm processes the runtime keeps per module search path.
const SPARES: usize = 1;

impl Runtime {
    /// A runtime on a prepared Python environment.
    pub fn new(env: PythonEnv) -> Self {
        Self {
            env,
            spares: Arc::default(),
        }
    }

    /// The Python environment.
    pub fn env(&self) -> &PythonEnv {
        &self.env
    }

    /// Runs one command in a fresh process. The module search path is the runner's folder,
    /// then `python_path` (the built-in or content-root modules, the integration's folder).
    pub async fn run(
        &self,
        start: &StartMessage,
        python_path: &[PathBuf],
        server: &mut dyn ServerSide,
        timeout: Duration,
    ) -> Result<CommandRun, RuntimeError> {
        let began = Instant::now();
        let mut process = match self.take_spare(python_path) {
            Some(process) => process,
            None => Process::start(&self.env, python_path).await?,
        };
        self.replenish(python_path);
        let mut conversation = Conversation {
            process: &mut process,
            entries: Vec::new(),
            logs: Vec::new(),
        };
        let end = match tokio::time::timeout(timeout, conversation.drive(start, server)).await {
            Ok(Ok(end)) => end,
            Ok(Err(Eof)) => conversation.process.exit_status_end().await,
            Err(_) => RunEnd::TimedOut(timeout),
        };
        let (entries, logs) = (conversation.entries, conversation.logs);
        let stderr = process.finish(matches!(end, RunEnd::TimedOut(_))).await;
        Ok(CommandRun {
            entries,
            logs,
            end,
            stderr,
            wall: began.elapsed(),
        })
    }

    /// A live spare for this search path, if one is waiting.
    fn take_spare(&self, python_path: &[PathBuf]) -> Option<Process> {
        let mut spares = self.spares.lock().unwrap_or_else(|p| p.into_inner());
        let waiting = spares.get_mut(python_path)?;
        while let Some(mut process) = waiting.pop() {
            if process.is_alive() {
                return Some(process);
            }
        }
        None
    }

    /// Starts spares in the background until the search path has enough.
    fn replenish(&self, python_path: &[PathBuf]) {
        let (env, spares, key) = (
            self.env.clone(),
            Arc::clone(&self.spares),
            python_path.to_vec(),
        );
        tokio::spawn(async move {
            let missing = {
                let spares = spares.lock().unwrap_or_else(|p| p.into_inner());
                SPARES.saturating_sub(spares.get(&key).map_or(0, Vec::len))
            };
            for _ in 0..missing {
                // A spare that fails to start is no loss: the next command starts its own.
                if let Ok(process) = Process::start(&env, &key).await {
                    let mut spares = spares.lock().unwrap_or_else(|p| p.into_inner());
                    spares.entry(key.clone()).or_default().push(process);
                }
            }
        });
    }
}

/// A runner process that has answered `ping`, waiting for a start message.
#[derive(Debug)]
struct Process {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    stderr: tokio::task::JoinHandle<String>,
    _workdir: WorkDir,
}

impl Process {
    /// Spawns the runner, imports the heavy modules ahead, and shakes hands.
    async fn start(env: &PythonEnv, python_path: &[PathBuf]) -> Result<Self, RuntimeError> {
        let workdir = WorkDir::create()?;
        let mut search_path = vec![env.runner_dir()];
        search_path.extend(python_path.iter().cloned());
        let search_path = std::env::join_paths(&search_path)
            .map_err(|e| RuntimeError::io("build PYTHONPATH", std::io::Error::other(e)))?;
        // The built-in modules are ours and safe to import before a run; a content root's
        // CommonServerPython is imported by the script itself.
        let builtin = python_path.contains(&env.builtin_dir());
        let warm = if builtin {
            "requests,CommonServerPython,IAMApiModule"
        } else {
            "requests"
        };
        let mut child = Command::new(&env.python)
            .arg("-u")
            .arg("-B")
            .arg(env.runner())
            .env("PYTHONPATH", search_path)
            .env("PYTHONIOENCODING", "utf-8")
            .env("TZ", "UTC")
            .env("XSOAR_RUNNER_WARM", warm)
            .current_dir(&workdir.0)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| RuntimeError::NoPython {
                python: env.python.clone(),
                source,
            })?;
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(RuntimeError::io(
                "open the process pipes",
                std::io::Error::other("missing pipe"),
            ));
        };
        let stderr = tokio::spawn(async move {
            let mut buffer = Vec::new();
            let _ = stderr
                .take(STDERR_LIMIT as u64)
                .read_to_end(&mut buffer)
                .await;
            String::from_utf8_lossy(&buffer).into_owned()
        });
        let mut process = Self {
            child,
            stdin: Some(stdin),
            stdout: BufReader::new(stdout),
            stderr,
            _workdir: workdir,
        };
        let handshake = async {
            process.send("ping").await?;
            process.receive().await
        };
        match tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake).await {
            Ok(Ok(Ok(ScriptMessage::Pong))) => Ok(process),
            other => Err(RuntimeError::Setup {
                step: "the runner's handshake".into(),
                detail: format!("expected pong, got {other:?}"),
            }),
        }
    }

    fn is_alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    async fn send(&mut self, line: &str) -> Result<(), Eof> {
        let stdin = self.stdin.as_mut().ok_or(Eof)?;
        stdin.write_all(line.as_bytes()).await.map_err(|_| Eof)?;
        stdin.write_all(b"\n").await.map_err(|_| Eof)?;
        stdin.flush().await.map_err(|_| Eof)
    }

    /// The next non-blank line, parsed; `Ok(Err(why))` for a line that is not a message.
    async fn receive(&mut self) -> Result<Result<ScriptMessage, String>, Eof> {
        loop {
            let mut line = String::new();
            let read = self.stdout.read_line(&mut line).await.map_err(|_| Eof)?;
            if read == 0 {
                return Err(Eof);
            }
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            return Ok(ScriptMessage::parse(line).map_err(|why| {
                let shown: String = line.chars().take(200).collect();
                format!("the integration wrote a line to stdout that is not a protocol message ({why}): {shown:?}; write logs with demisto.debug/info, not print")
            }));
        }
    }

    async fn exit_status_end(&mut self) -> RunEnd {
        match tokio::time::timeout(Duration::from_secs(2), self.child.wait()).await {
            Ok(Ok(status)) if status.success() => RunEnd::Incomplete,
            Ok(Ok(status)) => RunEnd::Crashed(status.to_string()),
            Ok(Err(e)) => RunEnd::Crashed(format!("unknown status ({e})")),
            Err(_) => RunEnd::Crashed("closed stdout but kept running".into()),
        }
    }

    /// Ends the process (closing stdin lets the runner exit; a hung one is killed) and returns
    /// what it wrote to stderr.
    async fn finish(mut self, kill: bool) -> String {
        self.stdin.take();
        let exited = !kill
            && tokio::time::timeout(Duration::from_secs(2), self.child.wait())
                .await
                .is_ok();
        if !exited {
            let _ = self.child.kill().await;
        }
        (&mut self.stderr).await.unwrap_or_default()
    }
}

/// How long a new runner may take to answer `ping`.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// The process closed stdout (or a pipe broke) before the run ended.
#[derive(Debug)]
struct Eof;

struct Conversation<'p> {
    process: &'p mut Process,
    entries: Vec<Value>,
    logs: Vec<LogLine>,
}

impl Conversation<'_> {
    async fn drive(
        &mut self,
        start: &StartMessage,
        server: &mut dyn ServerSide,
    ) -> Result<RunEnd, Eof> {
        let line = serde_json::to_string(start).map_err(|_| Eof)?;
        self.process.send(&line).await?;
        loop {
            let message = match self.process.receive().await? {
                Ok(message) => message,
                Err(bad) => return Ok(RunEnd::Protocol(bad)),
            };
            match message {
                ScriptMessage::Completed => return Ok(RunEnd::Completed),
                ScriptMessage::Exception(traceback) => return Ok(RunEnd::Exception(traceback)),
                ScriptMessage::Pong => {}
                ScriptMessage::Results(entries) => self.entries.extend(entries),
                ScriptMessage::EntryLog(message) => self.logs.push(LogLine {
                    level: "entry".into(),
                    message,
                }),
                ScriptMessage::Log { level, message } => {
                    self.logs.push(LogLine { level, message });
                    self.process.send("{}").await?;
                }
                ScriptMessage::ExecuteCommand { command, args } => {
                    let reply = server.execute_command(&command, &args);
                    self.reply(reply).await?;
                }
                ScriptMessage::DemistoVersion => {
                    let version = server.demisto_version().to_string();
                    self.process.send(&version).await?;
                }
                ScriptMessage::GetFile { id } => {
                    let reply = server.file_by_entry_id(&id);
                    self.reply(reply).await?;
                }
            }
        }
    }

    async fn reply(&mut self, reply: Result<Value, String>) -> Result<(), Eof> {
        let line = match reply {
            Ok(value) => value.to_string(),
            Err(message) => format!("{ERROR_MARKER}{}", message.replace('\n', " ")),
        };
        self.process.send(&line).await
    }
}

/// A private working folder for one run, removed afterwards.
#[derive(Debug)]
struct WorkDir(PathBuf);

impl WorkDir {
    fn create() -> Result<Self, RuntimeError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "xsoar-harness-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).map_err(|e| RuntimeError::io("create a work folder", e))?;
        Ok(Self(dir))
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
