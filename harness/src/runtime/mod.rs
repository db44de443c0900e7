//! Running an integration command the way the XSOAR server does: a separate Python process
//! speaking the script protocol.
//!
//! Every run has a timeout. A run ends in one of the ways of [`RunEnd`]: the harness never
//! hangs on an integration that crashes, hangs, prints garbage or stops without `completed`,
//! and stderr is kept for the report.

pub(crate) mod content;
pub(crate) mod environment;
pub(crate) mod image;
mod lines;
mod process_tree;
pub(crate) mod protocol;
pub(crate) mod python;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::scenario::RunLimits;
use crate::scratch::ScratchDir;
pub use content::{ContentRoot, ContentRootError, ModuleSource};
pub use environment::{EnvRequest, PythonEnv};
use lines::{Line, Lines};
use process_tree::Marker;
pub use protocol::{LeftoverProcess, LogLevel, ProtocolError, ScriptMessage};
use protocol::{StartMessage, ERROR_MARKER, PING};
pub use python::PythonHost;

/// How much of stderr a run keeps.
const STDERR_LIMIT: usize = 64 * 1024;

/// Why the server side refused a request: the script raises an error with its text. Each
/// server side has its own error type; the runtime only sends the text.
pub type Refusal = Box<dyn std::error::Error + Send + Sync>;

/// The server side of a run: what the integration's requests reach.
pub trait ServerSide: Send {
    /// An `executeCommand` request; `Err` is sent back as an error the script raises. It may
    /// run other scripts (the transformers of `mapObject`) while the integration waits.
    fn execute_command<'a>(
        &'a mut self,
        command: &'a str,
        args: &'a Value,
    ) -> crate::BoxFuture<'a, Result<Value, Refusal>>;
    /// The reply to `demistoVersion`.
    fn demisto_version(&self) -> Value;
    /// The reply to `getFilePath`.
    fn file_by_entry_id(&mut self, id: &str) -> Result<Value, Refusal>;
}

/// A log line the integration wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// `info`, `error`, `debug`, or `entry` for `demisto.log`.
    pub level: LogLevel,
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
    /// The process went past one of its run's bounds and was stopped.
    Limit(Bound),
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
    /// What the run left running after it ended (the harness then ended it).
    pub leftovers: Leftovers,
    /// The bounds it ran within.
    pub limits: RunLimits,
}

/// What a run left running after it ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Leftovers {
    /// Processes the integration started.
    pub processes: Vec<LeftoverProcess>,
    /// Threads the integration started, by name.
    pub threads: Vec<String>,
}

impl Leftovers {
    /// Nothing was left running.
    pub fn is_empty(&self) -> bool {
        self.processes.is_empty() && self.threads.is_empty()
    }
}

/// A bound of [`RunLimits`] a run went past.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// More than this many bytes on stdout.
    Output(u64),
    /// More than this many entries and log lines.
    Messages(u64),
}

/// Why a run could not even start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
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
    /// A command preparing the Python environment (venv, pip) failed.
    #[error("preparing the Python environment failed at {step}: {source}")]
    SetupCommand {
        /// The step.
        step: String,
        /// Why the command failed.
        #[source]
        source: python::SetupCommandError,
    },
    /// The scenario used up its integration runs.
    #[error("the scenario reached its bound of {limit} integration runs (limits.runs); a step that advances the clock runs the fetch and mirroring jobs at every interval: advance less, or raise limits.runs")]
    RunsExhausted {
        /// The bound.
        limit: u64,
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

/// Starts integration processes and keeps them warm.
///
/// Like the server's script loop, a runner process serves start messages one after another,
/// each with fresh globals and fresh `demistomock` state. The runtime keeps two kinds of
/// idle processes: fresh spares (interpreter started, `requests` and the built-in modules
/// imported, never used) and workers that completed a run of one integration's code and serve
/// only that code again. A run that crashes, hangs or breaks the protocol ends its process.
/// Processes belong to the tokio runtime that started them: use one tokio runtime per
/// `Runtime`. On Linux a runner also ends when the thread that started it ends (its
/// parent-death signal), so that no runner outlives a harness killed without warning.
#[derive(Debug, Clone)]
pub struct Runtime {
    host: PythonHost,
    environments: Arc<environment::Environments>,
    idle: Arc<Mutex<Idle>>,
}

/// What a runner process was started with: the interpreter and the module search path.
type Launch = (PathBuf, Vec<PathBuf>);

/// Idle processes by launch, and by launch and code.
#[derive(Debug, Default)]
struct Idle {
    fresh: HashMap<Launch, Vec<Process>>,
    workers: HashMap<(Launch, u64), Vec<Process>>,
}

/// How many idle processes the runtime keeps per key.
const IDLE_PER_KEY: usize = 2;

impl Runtime {
    /// A runtime on the machine's Python.
    pub fn new(host: PythonHost) -> Self {
        Self {
            host,
            environments: Arc::default(),
            idle: Arc::default(),
        }
    }

    /// The machine's Python and the runtime files.
    pub fn host(&self) -> &PythonHost {
        &self.host
    }

    /// What runs `code`: its module search path (the built-in or content-root modules, then
    /// `folders`, then the modules the server always provides) and its Python environment
    /// (`image`'s, with what the code and the API modules it loads import, and `packages`).
    pub async fn prepare(
        &self,
        modules: &content::ModuleSource,
        code: &str,
        folders: &[PathBuf],
        image: Option<String>,
        packages: Vec<String>,
    ) -> Result<(Vec<PathBuf>, Arc<PythonEnv>), RuntimeError> {
        let (mut python_path, imports) = match modules {
            content::ModuleSource::BuiltIn => {
                (vec![self.host.builtin_dir()], image::imported_modules(code))
            }
            content::ModuleSource::Content(root) => {
                let loaded = root.modules(code);
                (loaded.search_path, loaded.imports)
            }
        };
        python_path.extend(folders.iter().cloned());
        python_path.push(self.host.server_dir());
        let request = EnvRequest {
            image,
            imports,
            provided: self.host.provided_modules(&python_path),
            packages,
        };
        let python = self.environment(request).await?;
        Ok((python_path, python))
    }

    /// The Python environment for `request`, created on first use (in the harness's cache,
    /// once per interpreter and package set).
    pub async fn environment(&self, request: EnvRequest) -> Result<Arc<PythonEnv>, RuntimeError> {
        let (host, environments) = (self.host.clone(), Arc::clone(&self.environments));
        // pip and the interpreter probes block: keep them off the async workers the mock
        // vendors answer on.
        tokio::task::spawn_blocking(move || environments.prepare(&host, &request))
            .await
            .map_err(|e| {
                RuntimeError::io("prepare the Python environment", std::io::Error::other(e))
            })?
    }

    /// Runs one command with `python`. The module search path is the runner's folder, then
    /// `python_path` (the built-in or content-root modules, the integration's folder).
    pub async fn run(
        &self,
        start: &StartMessage,
        python: &Path,
        python_path: &[PathBuf],
        server: &mut dyn ServerSide,
        limits: RunLimits,
    ) -> Result<CommandRun, RuntimeError> {
        let began = Instant::now();
        let code = code_hash(&start.script);
        let launch: Launch = (python.to_owned(), python_path.to_vec());
        let mut process = match self.take(&launch, code) {
            Some(process) => process,
            None => {
                // Nothing was waiting: start one for this run, and a spare for the next.
                self.replenish(&launch);
                Process::start(&self.host, &launch).await?
            }
        };
        process.clear_stderr();
        process.stdout.set_budget(limits.output);
        let mut conversation = Conversation {
            process: &mut process,
            entries: Vec::new(),
            logs: Vec::new(),
            leftovers: Leftovers::default(),
        };
        let mut start = start.clone();
        start.harness.memory_limit = Some(limits.memory);
        let end = match conversation.drive(&start, server, limits).await {
            Ok(end) => end,
            Err(Eof) => conversation.process.exit_status_end().await,
        };
        let (entries, logs, leftovers) = (
            conversation.entries,
            conversation.logs,
            conversation.leftovers,
        );
        // A worker that left something running would carry it into the next run.
        let reusable = matches!(end, RunEnd::Completed | RunEnd::Exception(_))
            && leftovers.is_empty()
            && process.is_alive();
        let stderr = if reusable {
            let stderr = process.run_stderr();
            self.keep(launch, code, process);
            stderr
        } else {
            // A hung process, one blocked on a full stdout and one with leftovers would not
            // exit by themselves; any other gets to finish, so its requests are all made.
            let kill =
                matches!(end, RunEnd::TimedOut(_) | RunEnd::Limit(_)) || !leftovers.is_empty();
            process.finish(kill).await
        };
        Ok(CommandRun {
            entries,
            logs,
            end,
            stderr,
            wall: began.elapsed(),
            leftovers,
            limits,
        })
    }

    /// A live worker of this code, else a live fresh spare, for this launch.
    fn take(&self, launch: &Launch, code: u64) -> Option<Process> {
        let mut dead = Vec::new();
        let found = {
            let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
            let Idle { fresh, workers } = &mut *idle;
            let found = [
                workers.get_mut(&(launch.clone(), code)),
                fresh.get_mut(launch),
            ]
            .into_iter()
            .flatten()
            .find_map(|waiting| {
                while let Some(mut process) = waiting.pop() {
                    if process.is_alive() {
                        return Some(process);
                    }
                    dead.push(process);
                }
                None
            });
            found
        };
        // Ended here, not under the lock: ending walks /proc.
        drop(dead);
        found
    }

    /// Keeps a worker that ran `code` for the next run of the same code.
    fn keep(&self, launch: Launch, code: u64, process: Process) {
        let surplus = {
            let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
            admit(idle.workers.entry((launch, code)).or_default(), process)
        };
        drop(surplus);
    }

    /// Starts a fresh spare in the background for this launch.
    fn replenish(&self, launch: &Launch) {
        let (host, idle, key) = (self.host.clone(), Arc::clone(&self.idle), launch.clone());
        tokio::spawn(async move {
            // A spare that fails to start is no loss: the next command starts its own and
            // reports why.
            if let Ok(process) = Process::start(&host, &key).await {
                let surplus = {
                    let mut idle = idle.lock().unwrap_or_else(|p| p.into_inner());
                    admit(idle.fresh.entry(key).or_default(), process)
                };
                drop(surplus);
            }
        });
    }
}

/// Keeps `process` waiting if there is room, else hands it back (to be ended outside the lock).
fn admit(waiting: &mut Vec<Process>, process: Process) -> Option<Process> {
    if waiting.len() < IDLE_PER_KEY {
        waiting.push(process);
        None
    } else {
        Some(process)
    }
}

/// Identifies an integration's code, so a worker only ever serves the code it ran.
fn code_hash(code: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    code.hash(&mut hasher);
    hasher.finish()
}

/// A runner process that has answered `ping`, waiting for a start message. Dropped, it ends
/// with everything it started.
#[derive(Debug)]
struct Process {
    child: Child,
    /// The runner's pid, which is also its process group's id.
    pid: u32,
    /// What marks the processes it starts.
    marker: Marker,
    /// Set once its exit was collected: its pid is free for the system to reuse.
    reaped: bool,
    /// Set once the process and its descendants were ended.
    ended: bool,
    stdin: Option<ChildStdin>,
    stdout: Lines<BufReader<ChildStdout>>,
    /// Everything the process wrote to stderr so far (bounded), filled by a reader task.
    stderr: Arc<Mutex<Vec<u8>>>,
    stderr_reader: tokio::task::JoinHandle<()>,
    /// The runner's working folder.
    _workdir: ScratchDir,
}

impl Process {
    /// Spawns the runner, imports the heavy modules ahead, and shakes hands.
    async fn start(
        host: &PythonHost,
        (python, python_path): &Launch,
    ) -> Result<Self, RuntimeError> {
        let workdir =
            ScratchDir::create("run").map_err(|e| RuntimeError::io("create a work folder", e))?;
        let mut search_path = vec![host.runner_dir()];
        search_path.extend(python_path.iter().cloned());
        let search_path = std::env::join_paths(&search_path)
            .map_err(|e| RuntimeError::io("build PYTHONPATH", std::io::Error::other(e)))?;
        // The built-in modules are ours and safe to import before a run; a content root's
        // CommonServerPython is imported by the script itself.
        let builtin = python_path.contains(&host.builtin_dir());
        let warm = if builtin {
            "requests,CommonServerPython,IAMApiModule"
        } else {
            "requests"
        };
        let mut command = Command::new(python);
        let marker = process_tree::isolate(&mut command);
        let mut child = command
            .arg("-u")
            .arg("-B")
            .arg(host.runner())
            .env("PYTHONPATH", search_path)
            .env("PYTHONIOENCODING", "utf-8")
            .env("TZ", "UTC")
            .env("XSOAR_RUNNER_WARM", warm)
            .current_dir(workdir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| RuntimeError::NoPython {
                python: python.clone(),
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
        let pid = child.id().ok_or_else(|| {
            RuntimeError::io(
                "start the runner",
                std::io::Error::other("it exited at once"),
            )
        })?;
        let collected = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&collected);
        let stderr_reader = tokio::spawn(async move {
            let mut chunk = [0u8; 4096];
            let mut stderr = stderr;
            while let Ok(read) = stderr.read(&mut chunk).await {
                if read == 0 {
                    break;
                }
                let mut sink = sink.lock().unwrap_or_else(|p| p.into_inner());
                let room = STDERR_LIMIT.saturating_sub(sink.len());
                sink.extend_from_slice(&chunk[..read.min(room)]);
            }
        });
        let mut process = Self {
            child,
            pid,
            marker,
            reaped: false,
            ended: false,
            stdin: Some(stdin),
            stdout: Lines::new(BufReader::new(stdout), HANDSHAKE_BUDGET),
            stderr: collected,
            stderr_reader,
            _workdir: workdir,
        };
        let handshake = async {
            process.send(PING).await?;
            receive(&mut process.stdout).await
        };
        let answer = match tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake).await {
            Ok(Ok(Received::Message(ScriptMessage::Pong))) => return Ok(process),
            Ok(Ok(Received::Message(other))) => format!("answered {other:?} instead of pong"),
            Ok(Ok(Received::NotProtocol(line))) => line,
            Ok(Ok(Received::OverBudget)) => "wrote more than a handshake".to_owned(),
            Ok(Err(Eof)) => "exited before answering".to_owned(),
            Err(_) => format!("did not answer within {HANDSHAKE_TIMEOUT:?}"),
        };
        let stderr = process.finish(true).await;
        Err(RuntimeError::Setup {
            step: "the runner's handshake".into(),
            detail: format!(
                "the Python runner {answer}; its stderr: {}; check the interpreter \
                 (XSOAR_HARNESS_PYTHON) and the content root, if one is set",
                stderr.trim()
            ),
        })
    }

    fn is_alive(&mut self) -> bool {
        match self.child.try_wait() {
            Ok(None) => true,
            Ok(Some(_)) => {
                self.reaped = true;
                false
            }
            Err(_) => false,
        }
    }

    async fn send(&mut self, line: &str) -> Result<(), Eof> {
        let stdin = self.stdin.as_mut().ok_or(Eof)?;
        stdin.write_all(line.as_bytes()).await.map_err(|_| Eof)?;
        stdin.write_all(b"\n").await.map_err(|_| Eof)?;
        stdin.flush().await.map_err(|_| Eof)
    }

    async fn exit_status_end(&mut self) -> RunEnd {
        let waited = tokio::time::timeout(Duration::from_secs(2), self.child.wait()).await;
        self.reaped |= matches!(waited, Ok(Ok(_)));
        match waited {
            Ok(status) => exit_end(&status.map_err(|source| StatusUnknown { source }), ""),
            Err(_) => RunEnd::Crashed("closed stdout but kept running".into()),
        }
    }

    /// Forgets what earlier runs wrote to stderr (a reused worker's buffer would fill up).
    fn clear_stderr(&self) {
        self.stderr
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// What the process wrote to stderr during this run (bounded).
    fn run_stderr(&self) -> String {
        let buffer = self.stderr.lock().unwrap_or_else(|p| p.into_inner());
        String::from_utf8_lossy(&buffer[..buffer.len().min(STDERR_LIMIT)]).into_owned()
    }

    /// Ends the process (closing stdin lets the runner exit; a hung one is killed) and
    /// whatever it started, and returns what it wrote to stderr during this run.
    async fn finish(mut self, kill: bool) -> String {
        self.stdin.take();
        if !kill {
            // Whether it exits in time or not, the tree is ended below.
            let waited = tokio::time::timeout(Duration::from_secs(2), self.child.wait()).await;
            self.reaped |= matches!(waited, Ok(Ok(_)));
        }
        self.end();
        // The reader ends at the pipe's end (every process holding it is gone now); all of
        // stderr is in the buffer then. A reader still waiting is cut off with what it has.
        let _ = tokio::time::timeout(Duration::from_secs(2), &mut self.stderr_reader).await;
        self.run_stderr()
    }

    fn end(&mut self) {
        if !self.ended {
            // Once reaped, the pid may belong to someone else: only the marker is ours.
            let root = (!self.reaped).then_some(self.pid);
            process_tree::kill(root, &self.marker);
            self.ended = true;
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.end();
    }
}

/// How long a new runner may take to answer `ping`.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);
/// What a new runner may write before its `pong`.
const HANDSHAKE_BUDGET: u64 = 64 * 1024;
/// How long stdout may stay open once the runner has exited (a process it started holds it).
const STDOUT_AFTER_EXIT: Duration = Duration::from_secs(1);

/// What one read of the runner's stdout brought.
enum Received {
    Message(ScriptMessage),
    /// A line that is not a protocol message: why, for people.
    NotProtocol(String),
    OverBudget,
}

/// The next non-blank line, parsed.
async fn receive(stdout: &mut Lines<BufReader<ChildStdout>>) -> Result<Received, Eof> {
    loop {
        let text = match stdout.next().await.ok_or(Eof)? {
            Line::Text(text) => text,
            Line::OverBudget => return Ok(Received::OverBudget),
            Line::NotUtf8 { at, before } => {
                let skip = before.chars().count().saturating_sub(80);
                let shown: String = before.chars().skip(skip).collect();
                let after = if shown.is_empty() {
                    String::new()
                } else {
                    format!(", after {shown:?}")
                };
                return Ok(Received::NotProtocol(format!(
                    "the integration wrote bytes to stdout that are not UTF-8 (at byte {at} of a line{after}); protocol lines are UTF-8 JSON: write binary data as a file entry, logs with demisto.debug/info"
                )));
            }
        };
        let line = text.trim();
        if line.is_empty() {
            continue;
        }
        return Ok(match ScriptMessage::parse(line) {
            Ok(message) => Received::Message(message),
            Err(why) => {
                let shown: String = line.chars().take(200).collect();
                Received::NotProtocol(format!("the integration wrote a line to stdout that is not a protocol message ({why}): {shown:?}; write logs with demisto.debug/info, not print"))
            }
        });
    }
}

/// The process closed stdout (or a pipe broke) before the run ended.
#[derive(Debug)]
struct Eof;

struct Conversation<'p> {
    process: &'p mut Process,
    entries: Vec<Value>,
    logs: Vec<LogLine>,
    leftovers: Leftovers,
}

impl Conversation<'_> {
    /// Runs the start message to its end within `limits`. The timeout bounds the integration's
    /// own time, reading and writing alike (an integration that stops reading its replies
    /// cannot stall the harness); what the server spends answering it (`mapObject` running
    /// transformer scripts, which may first prepare their environments) does not count.
    async fn drive(
        &mut self,
        start: &StartMessage,
        server: &mut dyn ServerSide,
        limits: RunLimits,
    ) -> Result<RunEnd, Eof> {
        let timed_out = RunEnd::TimedOut(limits.timeout);
        let mut deadline = later(tokio::time::Instant::now(), limits.timeout);
        let line = serde_json::to_string(start).map_err(|_| Eof)?;
        if !self.send_by(deadline, &line).await? {
            return Ok(timed_out);
        }
        // Once the runner has exited, stdout gets a moment to deliver what is left in it.
        let mut exited: Option<(Result<std::process::ExitStatus, StatusUnknown>, _)> = None;
        loop {
            let Process {
                child,
                stdout,
                reaped,
                ..
            } = &mut *self.process;
            let received = match &exited {
                Some((status, drained_by)) => {
                    match tokio::time::timeout_at(*drained_by, receive(stdout)).await {
                        Ok(received) => received?,
                        Err(_) => {
                            let held = ", while a process it started kept its stdout open";
                            return Ok(exit_end(status, held));
                        }
                    }
                }
                None => tokio::select! {
                    received = tokio::time::timeout_at(deadline, receive(stdout)) => match received {
                        Ok(received) => received?,
                        Err(_) => return Ok(timed_out),
                    },
                    status = child.wait() => {
                        *reaped = true;
                        let status = status.map_err(|source| StatusUnknown { source });
                        exited = Some((status, tokio::time::Instant::now() + STDOUT_AFTER_EXIT));
                        continue;
                    }
                },
            };
            let message = match received {
                Received::Message(message) => message,
                Received::NotProtocol(why) => return Ok(RunEnd::Protocol(why)),
                Received::OverBudget => {
                    return Ok(RunEnd::Limit(Bound::Output(self.process.stdout.budget())))
                }
            };
            let reply = match message {
                ScriptMessage::Completed => return Ok(RunEnd::Completed),
                ScriptMessage::Exception(traceback) => return Ok(RunEnd::Exception(traceback)),
                ScriptMessage::Pong => None,
                ScriptMessage::Leftovers { processes, threads } => {
                    self.leftovers = Leftovers { processes, threads };
                    None
                }
                ScriptMessage::Results(entries) => {
                    self.entries.extend(entries);
                    None
                }
                ScriptMessage::EntryLog(message) => {
                    self.logs.push(LogLine {
                        level: LogLevel::Entry,
                        message,
                    });
                    None
                }
                ScriptMessage::Log { level, message } => {
                    self.logs.push(LogLine { level, message });
                    Some("{}".to_owned())
                }
                ScriptMessage::ExecuteCommand { command, args } => {
                    let asked = tokio::time::Instant::now();
                    let reply = server.execute_command(&command, &args).await;
                    deadline = later(deadline, asked.elapsed());
                    Some(reply_line(reply))
                }
                ScriptMessage::DemistoVersion => Some(server.demisto_version().to_string()),
                ScriptMessage::GetFile { id } => Some(reply_line(server.file_by_entry_id(&id))),
            };
            let sent = self.entries.len() + self.logs.len();
            if u64::try_from(sent).unwrap_or(u64::MAX) > limits.messages {
                return Ok(RunEnd::Limit(Bound::Messages(limits.messages)));
            }
            if let Some(line) = reply {
                if !self.send_by(deadline, &line).await? {
                    return Ok(timed_out);
                }
            }
        }
    }

    /// Sends one line unless `deadline` passes first (false then).
    async fn send_by(&mut self, deadline: tokio::time::Instant, line: &str) -> Result<bool, Eof> {
        match tokio::time::timeout_at(deadline, self.process.send(line)).await {
            Ok(sent) => sent.map(|()| true),
            Err(_) => Ok(false),
        }
    }
}

/// The line answering a request: the value, or the error marker and the message.
fn reply_line(reply: Result<Value, Refusal>) -> String {
    match reply {
        Ok(value) => value.to_string(),
        Err(refusal) => format!("{ERROR_MARKER}{}", refusal.to_string().replace('\n', " ")),
    }
}

/// `from + by`, or a day past `from` when that is beyond what the clock can hold.
fn later(from: tokio::time::Instant, by: Duration) -> tokio::time::Instant {
    from.checked_add(by)
        .unwrap_or_else(|| from + Duration::from_secs(86_400))
}

/// Why a runner's exit status could not be collected.
#[derive(Debug, thiserror::Error)]
#[error("unknown status ({source})")]
struct StatusUnknown {
    /// The error waiting for it.
    #[source]
    source: std::io::Error,
}

/// How a run ends whose runner exited without completing; `note` adds to a crash's status.
fn exit_end(status: &Result<std::process::ExitStatus, StatusUnknown>, note: &str) -> RunEnd {
    match status {
        Ok(status) if status.success() => RunEnd::Incomplete,
        Ok(status) => RunEnd::Crashed(format!("{status}{note}")),
        Err(unknown) => RunEnd::Crashed(format!("{unknown}{note}")),
    }
}
