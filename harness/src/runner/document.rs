//! The snapshot document of a run: what reviewers read, redacted of what differs between
//! machines and runs.

use mock_vendors::{format_iso_millis, JournalEntry};
use serde_json::{json, Map, Value};

use crate::checks::manifest::Finding;
use crate::runtime::content::ModuleSource;
use crate::runtime::RunEnd;
use crate::session::Session;
use crate::snapshot::Redactor;

use super::StepOutcome;

/// A redactor for what differs between two runs of the same scenario: the mock vendor's
/// address (its port is random), the harness's temp folders and cache, the content root, the
/// Python installation, the integration's folder, the working folder and the host name.
pub(super) fn run_redactor(session: &Session<'_>) -> Redactor {
    let mut redactor = Redactor::default();
    if let Some(vendor) = session.runs().vendor() {
        let url = vendor.uri();
        redactor = redactor.with_literal(&url, "vendor-url");
        if let Some(host) = url.split_once("://").map(|(_, host)| host.to_owned()) {
            redactor = redactor.with_literal(&host, "vendor-host");
            // urllib3 names the port alone: `host='127.0.0.1', port=40019`.
            if let Some((_, port)) = host.rsplit_once(':') {
                redactor = redactor.with_literal(&format!("port={port}"), "vendor-port");
            }
        }
    }
    let temp = std::env::temp_dir().join("xsoar-harness-");
    redactor = redactor.with_prefix(&temp.to_string_lossy(), "temp");
    let host = session.runs().host();
    redactor = redactor.with_literal(&host.cache().to_string_lossy(), "cache");
    if let ModuleSource::Content(root) = session.modules() {
        redactor = redactor.with_literal(&root.root().to_string_lossy(), "content-root");
    }
    // The virtualenv's folder is named for the interpreter and packages of this machine.
    let venv_python = &session.runs().python().python;
    let venv = venv_python.parent().and_then(std::path::Path::parent);
    if let Some(venv) = venv.filter(|venv| venv.join("pyvenv.cfg").is_file()) {
        redactor = redactor.with_literal(&venv.to_string_lossy(), "venv");
    }
    // The standard library of the interpreter behind the virtualenv (tracebacks name it).
    let python = std::fs::canonicalize(venv_python).unwrap_or_else(|_| venv_python.clone());
    if let Some(prefix) = python.parent().and_then(std::path::Path::parent) {
        let version: Vec<&str> = session.runs().python().version.split('.').take(2).collect();
        let lib = prefix
            .join("lib")
            .join(format!("python{}", version.join(".")));
        redactor = redactor.with_literal(&lib.to_string_lossy(), "python-lib");
    }
    let folder = session.integration().folder();
    if let Ok(folder) = std::path::absolute(folder) {
        redactor = redactor.with_literal(&folder.to_string_lossy(), "integration-folder");
    }
    if let Ok(cwd) = std::env::current_dir() {
        redactor = redactor.with_literal(&cwd.to_string_lossy(), "cwd");
    }
    // A host name that could be a word stays: redacting it would change text by machine.
    let distinctive =
        |n: &String| n.len() >= 10 || n.contains(|c: char| c.is_ascii_digit() || c == '-');
    if let Some(name) = hostname().filter(distinctive) {
        redactor = redactor.with_literal(&name, "hostname");
    }
    redactor
}

/// This machine's host name, as the kernel reports it.
fn hostname() -> Option<String> {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()?;
    Some(name.trim().to_owned()).filter(|n| !n.is_empty())
}

pub(super) fn snapshot_document(
    session: &Session<'_>,
    steps: &[StepOutcome],
    manifest: &[Finding],
) -> Value {
    let steps: Vec<Value> = steps.iter().map(snapshot_step).collect();
    let mut document = Map::new();
    document.insert("scenario".into(), json!(session.scenario().name));
    document.insert(
        "integration".into(),
        json!(session.integration().manifest.name),
    );
    if !manifest.is_empty() {
        let lines: Vec<String> = manifest.iter().map(ToString::to_string).collect();
        document.insert("manifest".into(), json!(lines));
    }
    document.insert("steps".into(), Value::Array(steps));
    let context = session.server().context().to_value();
    if context.as_object().is_some_and(|c| !c.is_empty()) {
        document.insert("context".into(), context);
    }
    let stored = stored_state(session);
    if stored.as_object().is_some_and(|s| !s.is_empty()) {
        document.insert("server".into(), stored);
    }
    let incidents = session.server().incidents();
    if !incidents.is_empty() {
        let views = incidents
            .iter()
            .map(|i| i.view(format_iso_millis))
            .collect();
        document.insert("incidents".into(), Value::Array(views));
    }
    if let Some(vendor) = session.runs().vendor_state() {
        document.insert("vendor_state".into(), vendor.dump());
    }
    Value::Object(document)
}

/// What the server stores for the instance between runs, the parts that are set.
pub(super) fn stored_state(session: &Session<'_>) -> Value {
    let server = session.server();
    let mut stored = Map::new();
    for (key, value) in server.stored() {
        if value.as_object().is_some_and(|v| !v.is_empty()) {
            stored.insert(key.into(), value.clone());
        }
    }
    Value::Object(stored)
}

fn snapshot_step(step: &StepOutcome) -> Value {
    let mut record = snapshot_run_step(step);
    if !step.mapping_failures.is_empty() {
        let failures: Vec<String> = step
            .mapping_failures
            .iter()
            .map(ToString::to_string)
            .collect();
        record.insert("mapping_failures".into(), json!(failures));
    }
    Value::Object(record)
}

fn snapshot_run_step(step: &StepOutcome) -> Map<String, Value> {
    let mut record = Map::new();
    if step.is_command {
        if let Some(run) = step.runs.first() {
            record.insert("command".into(), json!(run.command));
            if !run.args.is_empty() {
                record.insert("args".into(), Value::Object(run.args.clone()));
            }
            record.insert("end".into(), json!(end_label(&run.run.end)));
            if let RunEnd::Exception(traceback) = &run.run.end {
                record.insert(
                    "error".into(),
                    json!(crate::failure::error_summary(traceback)),
                );
            }
            if !run.run.leftovers.processes.is_empty() {
                let commands: Vec<&str> = run
                    .run
                    .leftovers
                    .processes
                    .iter()
                    .map(|p| p.command.as_str())
                    .collect();
                record.insert("left_running".into(), json!(commands));
            }
            let entries: Vec<Value> = run.run.entries.iter().map(snapshot_entry).collect();
            record.insert("entries".into(), Value::Array(entries));
            record.insert(
                "requests".into(),
                json!(run.requests.iter().map(request_line).collect::<Vec<_>>()),
            );
        }
        return record;
    }
    record.insert("step".into(), json!(step.label));
    if let Some(result) = &step.result {
        record.insert("result".into(), result.clone());
    }
    if let Some((_, why)) = &step.failed {
        record.insert("failed".into(), json!(why));
    }
    if !step.runs.is_empty() {
        let runs: Vec<Value> = step
            .runs
            .iter()
            .map(|run| {
                let mut entry = Map::new();
                entry.insert("command".into(), json!(run.command));
                if !run.args.is_empty() {
                    entry.insert("args".into(), Value::Object(run.args.clone()));
                }
                entry.insert("end".into(), json!(end_label(&run.run.end)));
                if let Some(stall) = run.vendor_stall() {
                    entry.insert(
                        "retried".into(),
                        json!(format!(
                            "the vendor stalled {} {} past the timeout; the server runs it again at the next tick",
                            stall.method, stall.path
                        )),
                    );
                }
                if let Some(error) = run.error_text() {
                    entry.insert("error".into(), json!(crate::failure::error_summary(&error)));
                }
                entry.insert(
                    "requests".into(),
                    json!(run.requests.iter().map(request_line).collect::<Vec<_>>()),
                );
                Value::Object(entry)
            })
            .collect();
        record.insert("runs".into(), Value::Array(runs));
    }
    record
}

fn snapshot_entry(entry: &Value) -> Value {
    let mut record = Map::new();
    for (key, label) in [("Type", "type"), ("ContentsFormat", "format")] {
        if let Some(value) = entry.get(key) {
            record.insert(label.into(), value.clone());
        }
    }
    record.insert("contents".into(), crate::entries::entry_contents(entry));
    if let Some(Value::String(readable)) = entry.get("HumanReadable") {
        if !readable.is_empty() {
            record.insert("human_readable".into(), json!(readable));
        }
    }
    Value::Object(record)
}

fn request_line(request: &JournalEntry) -> String {
    let mut line = format!("{} {}", request.method, request.path);
    if let Some(query) = request.query.as_deref().filter(|q| !q.is_empty()) {
        line.push('?');
        line.push_str(query);
    }
    if let Some(body) = &request.body {
        line.push(' ');
        line.push_str(&body.to_string());
    }
    line
}

/// A short label for how a run ended.
pub(crate) fn end_label(end: &RunEnd) -> String {
    match end {
        RunEnd::Completed => "completed".into(),
        RunEnd::Exception(_) => "exception".into(),
        RunEnd::Crashed(status) => format!("crashed ({status})"),
        RunEnd::TimedOut(after) => format!("timed out after {after:?}"),
        RunEnd::Protocol(_) => "protocol error".into(),
        RunEnd::Limit(crate::runtime::Bound::Output(_)) => "stopped at the output limit".into(),
        RunEnd::Limit(crate::runtime::Bound::Messages(_)) => "stopped at the message limit".into(),
        RunEnd::Incomplete => "exited without completing".into(),
    }
}
