//! One command run as the server makes it: the call, what the server sends with it, the
//! driver that runs the integration, and the record the run leaves.

use mock_vendors::{FaultResponse, JournalEntry};
use serde_json::{Map, Value};

use super::{xsoar_args, Server};
use crate::entries::error_entries;
use crate::runtime::{CommandRun, RunEnd, RuntimeError, ServerSide};
use crate::BoxFuture;

/// One command run and what it caused at the vendor.
#[derive(Debug, Clone)]
pub struct CommandRecord {
    /// The command.
    pub command: String,
    /// The arguments as given (before the server turns them into strings).
    pub args: Map<String, Value>,
    /// The run.
    pub run: CommandRun,
    /// The vendor requests it caused, in order.
    pub requests: Vec<JournalEntry>,
}

impl CommandRecord {
    /// The text of the run's error: an error entry (Type 4) or an uncaught exception.
    pub fn error_text(&self) -> Option<String> {
        if let RunEnd::Exception(traceback) = &self.run.end {
            return Some(traceback.clone());
        }
        error_entries(&self.run.entries).into_iter().next()
    }

    /// Whether the run crashed, hung or broke the protocol (an exception is an answer, and so
    /// is a run killed at its timeout while the vendor stalled a request past it).
    pub fn is_broken(&self) -> bool {
        !matches!(self.run.end, RunEnd::Completed | RunEnd::Exception(_))
            && self.vendor_stall().is_none()
    }

    /// The request that kept a run killed at its timeout waiting: one the vendor answered only
    /// after a delay fault at least as long as the timeout, which no run could sit out. The
    /// server's scheduled runs (fetch, the mirroring job) treat such a run as the vendor's
    /// failure and try again at the next tick.
    pub(crate) fn vendor_stall(&self) -> Option<&JournalEntry> {
        let RunEnd::TimedOut(timeout) = self.run.end else {
            return None;
        };
        self.requests.iter().find(|request| {
            matches!(&request.fault, Some(FaultResponse::Delay(delay)) if delay.duration() >= timeout)
        })
    }

    /// Whether the run sent a write the vendor took but answered late (a delay fault): a run
    /// that then failed cannot know the write landed, so what it carried may land twice when
    /// the server sends it again. A write answered in time is known, and an integration must
    /// not send it again.
    pub(crate) fn sent_a_write_answered_late(&self) -> bool {
        self.requests.iter().any(|request| {
            request.method != "GET" && matches!(request.fault, Some(FaultResponse::Delay(_)))
        })
    }
}

/// A command call.
#[derive(Debug, Clone, Default)]
pub(crate) struct Call {
    command: String,
    args: Map<String, Value>,
    server_invoked: bool,
    incidents: Vec<Value>,
    debug: bool,
}

impl Call {
    /// A call of `command` without arguments.
    pub(crate) fn new(command: impl Into<String>) -> Self {
        Self {
            command: command.into(),
            ..Self::default()
        }
    }

    /// The arguments.
    pub(crate) fn args(mut self, args: Map<String, Value>) -> Self {
        self.args = args;
        self
    }

    /// A command the server itself invokes (the mirroring commands): arguments go as JSON
    /// values, not as the strings a war-room command receives.
    pub(crate) fn server_invoked(mut self) -> Self {
        self.server_invoked = true;
        self
    }

    /// The incidents of the calling context.
    pub(crate) fn incidents(mut self, incidents: Vec<Value>) -> Self {
        self.incidents = incidents;
        self
    }

    /// Runs with `IsDebug` on.
    pub(crate) fn debug(mut self, debug: bool) -> Self {
        self.debug = debug;
        self
    }
}

/// What the server sends to start one run of the integration.
#[derive(Debug, Clone)]
pub(crate) struct Invocation {
    /// The command.
    pub command: String,
    /// Its arguments, as the script receives them.
    pub args: Map<String, Value>,
    /// The instance parameters.
    pub params: Map<String, Value>,
    /// The calling context.
    pub context: Value,
    /// The virtual clock, epoch milliseconds.
    pub now: i64,
    /// The version `demistoVersion()` reports.
    pub server_version: String,
}

/// What runs the integration for the server: one command at a time, with the server
/// answering the run's requests. The harness's session drives the real integration process;
/// anything else that can run a command (a test double) can stand in.
pub(crate) trait Driver: Send {
    /// Runs one command; `server` answers its `executeCommand`, `demistoVersion` and file
    /// requests. Returns the run and the vendor requests it caused.
    fn run<'a>(
        &'a mut self,
        invocation: Invocation,
        server: &'a mut dyn ServerSide,
    ) -> BoxFuture<'a, Result<(CommandRun, Vec<JournalEntry>), RuntimeError>>;
}

impl Server {
    /// Runs a command as the server would: declared argument defaults filled in, the
    /// instance's params and calling context sent, the entries' EntryContext merged into the
    /// investigation context afterwards.
    pub(crate) async fn run(
        &mut self,
        driver: &mut dyn Driver,
        call: Call,
    ) -> Result<CommandRecord, RuntimeError> {
        let Call {
            command,
            args,
            server_invoked,
            incidents,
            debug,
        } = call;
        let mut sent = if server_invoked {
            args.clone()
        } else {
            xsoar_args(&args)
        };
        // The server fills the declared defaults of arguments the caller left out.
        if let Some(defaults) = self.argument_defaults.get(&command) {
            for (name, default) in defaults {
                if !sent.contains_key(name) {
                    sent.extend(xsoar_args([(name, default)]));
                }
            }
        }
        let mut context = self.instance.calling_context(&incidents);
        if let Some(flag) = context.get_mut("IsDebug") {
            *flag = Value::Bool(debug);
        }
        let invocation = Invocation {
            command: command.clone(),
            args: sent,
            params: self.instance.params.clone(),
            context,
            now: self.now(),
            server_version: self.version.clone(),
        };
        self.running = Some(command.clone());
        self.operators.now = invocation.now;
        let ran = driver.run(invocation, self).await;
        self.running = None;
        let (run, requests) = ran?;
        for entry in &run.entries {
            if let Some(context) = entry.get("EntryContext") {
                self.context.merge(context);
            }
        }
        Ok(CommandRecord {
            command,
            args,
            run,
            requests,
        })
    }
}
