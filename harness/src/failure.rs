//! What a failed run says, in words people can act on: the runtime rule a bad end breaks,
//! the module it could not import, the summary of a traceback and the tail of stderr. Both
//! the checks and the server (for the transformer scripts it runs) read runs this way.

use crate::quantity::ByteSize;
use crate::rules::Rule;
use crate::runtime::{Bound, CommandRun, RunEnd};

/// The module a run could not import: Python's `No module named 'x'` in its traceback, its
/// stderr or an error entry (an integration that catches the ImportError and reports it).
pub(crate) fn missing_module<'a>(texts: impl IntoIterator<Item = &'a str>) -> Option<String> {
    const MARK: &str = "No module named '";
    texts.into_iter().find_map(|text| {
        let start = text.rfind(MARK)? + MARK.len();
        let name: String = text[start..].chars().take_while(|c| *c != '\'').collect();
        (!name.is_empty()).then_some(name)
    })
}

/// The runtime rule a run breaks, if any: how it ended, or what it left running.
pub(crate) fn runtime_violation(run: &CommandRun) -> Option<(Rule, String)> {
    let tail = stderr_tail(&run.stderr);
    match &run.end {
        RunEnd::Completed | RunEnd::Exception(_) if !run.leftovers.processes.is_empty() => {
            let processes = &run.leftovers.processes;
            Some((
                Rule::RuntimeLeftoverProcess,
                format!(
                    "the integration returned while {} it started kept running ({}); the harness \
                     killed {}. Wait for subprocesses to end (subprocess.run, Popen.wait) before \
                     the command returns",
                    if processes.len() == 1 {
                        "a process"
                    } else {
                        "processes"
                    },
                    processes
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; "),
                    if processes.len() == 1 { "it" } else { "them" },
                ),
            ))
        }
        RunEnd::Exception(traceback) if error_summary(traceback).starts_with("MemoryError") => {
            Some(out_of_memory(run.limits.memory, &tail))
        }
        RunEnd::Completed | RunEnd::Exception(_) => None,
        RunEnd::Crashed(_) if run.stderr.contains("MemoryError") => {
            Some(out_of_memory(run.limits.memory, &tail))
        }
        RunEnd::Crashed(status) => Some((
            Rule::RuntimeCrash,
            format!("the integration process exited ({status}) before completing{tail}"),
        )),
        RunEnd::TimedOut(after) => Some((
            Rule::RuntimeTimeout,
            format!("the integration did not complete within {after:?} and was killed{tail}"),
        )),
        RunEnd::Protocol(why) => Some((Rule::RuntimeProtocol, why.clone())),
        RunEnd::Limit(Bound::Output(budget)) => Some((
            Rule::RuntimeLimit,
            format!(
                "the integration wrote more than {} to stdout in one command and was stopped \
                 (limits.output); return large data as a file entry, or raise limits.output{tail}",
                ByteSize(*budget)
            ),
        )),
        RunEnd::Limit(Bound::Messages(most)) => Some((
            Rule::RuntimeLimit,
            format!(
                "the integration sent more than {most} entries and log lines in one command and \
                 was stopped (limits.messages); send results in fewer entries, or raise \
                 limits.messages{tail}"
            ),
        )),
        RunEnd::Incomplete => Some((
            Rule::RuntimeIncomplete,
            format!(
                "the integration process exited successfully without sending `completed`{tail}"
            ),
        )),
    }
}

fn out_of_memory(limit: u64, tail: &str) -> (Rule, String) {
    (
        Rule::RuntimeLimit,
        format!(
            "the integration ran out of memory: its process may use {} (limits.memory); page \
             through large results instead of loading them whole, or raise limits.memory{tail}",
            ByteSize(limit)
        ),
    )
}

/// The part of an error people need: for a Python traceback, the exception and its message
/// (the lines after the last frame); for other text, its last non-empty line. Bounded.
pub(crate) fn error_summary(text: &str) -> String {
    const LIMIT: usize = 600;
    let lines: Vec<&str> = text.lines().collect();
    let exception = lines
        .iter()
        .rposition(|l| l.starts_with("  File ") || l.starts_with("    "))
        .filter(|_| text.contains("Traceback (most recent call last)"))
        .map(|frame| {
            lines[frame + 1..]
                .iter()
                .map(|l| l.trim())
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(" | ")
        })
        .filter(|e| !e.is_empty());
    let summary = exception.unwrap_or_else(|| {
        lines
            .iter()
            .rev()
            .find(|l| !l.trim().is_empty())
            .map(|l| l.trim().to_owned())
            .unwrap_or_default()
    });
    if summary.chars().count() > LIMIT {
        format!("{}...", summary.chars().take(LIMIT).collect::<String>())
    } else {
        summary
    }
}

/// `; stderr ends: <the last three lines>`, or nothing when stderr is empty.
pub(crate) fn stderr_tail(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.is_empty() {
        String::new()
    } else {
        let start = lines.len().saturating_sub(3);
        format!("; stderr ends: {}", lines[start..].join(" | "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_traceback_summary_is_its_exception_and_message() {
        let traceback = "Traceback (most recent call last):\n  File \"x.py\", line 1, in <module>\n    f()\nValueError: bad\n{\"detail\": 1}\n";
        assert_eq!(
            error_summary(traceback),
            "ValueError: bad | {\"detail\": 1}"
        );
        assert_eq!(error_summary("first\nlast\n\n"), "last");
    }

    #[test]
    fn the_missing_module_is_read_from_any_of_the_texts() {
        let traceback = "Traceback ...\nModuleNotFoundError: No module named 'jwt'\n";
        assert_eq!(missing_module([traceback]).as_deref(), Some("jwt"));
        assert_eq!(
            missing_module(["No module named 'google.oauth2'"]).as_deref(),
            Some("google.oauth2")
        );
        assert_eq!(missing_module(["all fine"]), None);
    }
}
