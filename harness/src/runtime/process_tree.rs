//! A runner process and everything it started, ended together.
//!
//! Each runner leads its own process group, is a child subreaper and carries a marker in its
//! environment that every process it starts inherits. Whatever an integration starts (a forked
//! child, a daemon that left the group with `setsid`) stays below the runner while it lives;
//! once the runner has crashed, the marker still names its orphans. Ending a runner stops the
//! group, kills every descendant and every marked process `/proc` shows, then kills the group.
//! What escapes: a process that cleared its environment and detached from a runner that
//! crashed (it is nobody's descendant and unmarked), or a fork bomb faster than the rounds.

use std::collections::{HashMap, HashSet};
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::process::Command;

/// The environment variable that marks a runner and everything it starts.
const MARKER: &str = "XSOAR_HARNESS_RUNNER";

/// What marks one runner's processes: `XSOAR_HARNESS_RUNNER=<harness pid>-<n>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Marker(String);

impl Marker {
    fn new() -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        Self(format!("{MARKER}={}-{n}", std::process::id()))
    }

    /// Whether a `/proc/<pid>/environ` (NUL-separated) carries this marker.
    fn marks(&self, environ: &[u8]) -> bool {
        environ
            .split(|b| *b == 0)
            .any(|entry| entry == self.0.as_bytes())
    }
}

/// Makes `command` start a runner as described above: its own process group, on Linux a child
/// subreaper, and a fresh marker, which it returns.
pub(crate) fn isolate(command: &mut Command) -> Marker {
    let marker = Marker::new();
    if let Some((name, value)) = marker.0.split_once('=') {
        command.env(name, value);
    }
    command.process_group(0);
    #[cfg(target_os = "linux")]
    {
        let harness = std::process::id();
        // SAFETY: the closure runs between fork and exec and only makes async-signal-safe
        // system calls.
        unsafe {
            command.pre_exec(move || {
                // SIGTERM when the harness dies, however it dies: the runner then ends its
                // tree (it also watches its parent, for a handler the integration replaced).
                let set = |option: libc::c_int, value: libc::c_ulong| {
                    libc::prctl(option, value, 0, 0, 0) == 0
                };
                if !set(libc::PR_SET_CHILD_SUBREAPER, 1)
                    || !set(libc::PR_SET_PDEATHSIG, libc::SIGTERM as libc::c_ulong)
                {
                    return Err(io::Error::last_os_error());
                }
                // The harness may have died before the signal was armed.
                if u32::try_from(libc::getppid()).ok() != Some(harness) {
                    // No allocation between fork and exec: a plain error number.
                    return Err(io::Error::from_raw_os_error(libc::ESRCH));
                }
                Ok(())
            });
        }
    }
    marker
}

/// Ends a runner (a group leader started by [`isolate`] with `marker`): its group, its
/// descendants and every process carrying its marker. `root` is its pid while that is still
/// its own (not yet reaped); afterwards the number may be another process's, and only the
/// marker names what is ours.
pub(crate) fn kill(root: Option<u32>, marker: &Marker) {
    let group = root.and_then(|pid| libc::pid_t::try_from(pid).ok());
    // Stopped, the tree cannot grow while it is walked; SIGKILL ends stopped processes too.
    if let Some(group) = group {
        signal_group(group, libc::SIGSTOP);
    }
    // A fork bomb outside the group keeps adding processes: a few rounds catch what each
    // previous round's victims started.
    for _ in 0..8 {
        let ours = ours(root, marker);
        if ours.is_empty() {
            break;
        }
        for pid in ours {
            if let Ok(pid) = libc::pid_t::try_from(pid) {
                // SAFETY: kill(2) has no memory-safety preconditions.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
    }
    if let Some(group) = group {
        signal_group(group, libc::SIGKILL);
    }
}

fn signal_group(group: libc::pid_t, signal: libc::c_int) {
    // The group may be gone already: there is nothing left to end then.
    // SAFETY: killpg(2) has no memory-safety preconditions.
    unsafe { libc::killpg(group, signal) };
}

/// The live (not zombie) processes below `root` or marked with `marker`, and below those, as
/// `/proc` shows them; none where there is no `/proc` (the group is all that is ended there).
fn ours(root: Option<u32>, marker: &Marker) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let table: Vec<Stat> = entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| Some(*pid) != root)
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            Stat::parse(pid, &stat)
        })
        .collect();
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for stat in &table {
        children.entry(stat.parent).or_default().push(stat.pid);
    }
    let marked = table.iter().map(|s| s.pid).filter(|pid| {
        std::fs::read(format!("/proc/{pid}/environ")).is_ok_and(|env| marker.marks(&env))
    });
    let mut found: HashSet<u32> = marked.collect();
    let mut pending: Vec<u32> = root.into_iter().chain(found.iter().copied()).collect();
    while let Some(pid) = pending.pop() {
        for child in children.get(&pid).into_iter().flatten() {
            if found.insert(*child) {
                pending.push(*child);
            }
        }
    }
    table
        .iter()
        .filter(|s| found.contains(&s.pid) && s.state != 'Z' && s.state != 'X')
        .map(|s| s.pid)
        .collect()
}

/// The fields of `/proc/<pid>/stat` the walk needs.
#[derive(Debug, PartialEq)]
struct Stat {
    pid: u32,
    state: char,
    parent: u32,
}

impl Stat {
    /// Parses `pid (comm) state ppid ...`; the command name may hold spaces and parentheses,
    /// so the fields start after the last `)`.
    fn parse(pid: u32, stat: &str) -> Option<Self> {
        let mut fields = stat.get(stat.rfind(')')? + 1..)?.split_whitespace();
        let state = fields.next()?.chars().next()?;
        let parent = fields.next()?.parse().ok()?;
        Some(Self { pid, state, parent })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_follow_the_last_parenthesis() {
        let stat = "4242 (a (b) c) S 17 4242 4242 0 -1";
        assert_eq!(
            Stat::parse(4242, stat),
            Some(Stat {
                pid: 4242,
                state: 'S',
                parent: 17
            })
        );
        assert_eq!(Stat::parse(1, "garbage"), None);
    }

    #[test]
    fn a_marker_matches_whole_entries_only() {
        let marker = Marker("XSOAR_HARNESS_RUNNER=7-1".into());
        assert!(marker.marks(b"PATH=/bin\0XSOAR_HARNESS_RUNNER=7-1\0"));
        assert!(!marker.marks(b"XSOAR_HARNESS_RUNNER=7-12\0"));
        assert!(!marker.marks(b""));
    }
}
