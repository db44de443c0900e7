//! A runner process and everything it started, ended together.
//!
//! Each runner leads its own process group, is a child subreaper and carries a marker in its
//! environment that every process it starts inherits. Whatever an integration starts (a forked
//! child, a daemon that left the group with `setsid`) stays below the runner while it lives;
//! once the runner has crashed, the marker still names its orphans. Ending a runner stops the
//! group, kills every descendant and every marked process `/proc` shows, then kills the group:
//! nothing an integration started outlives its run.

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
                    return Err(io::Error::other("the harness exited"));
                }
                Ok(())
            });
        }
    }
    marker
}

/// Ends the runner `root` (a group leader started by [`isolate`] with `marker`), all its
/// descendants and every process carrying its marker.
pub(crate) fn kill(root: u32, marker: &Marker) {
    let Ok(group) = libc::pid_t::try_from(root) else {
        return;
    };
    // Stopped, the tree cannot grow while it is walked; SIGKILL ends stopped processes too.
    signal_group(group, libc::SIGSTOP);
    // A fork bomb outside the group keeps adding processes: a few rounds catch what each
    // previous round's victims started.
    for _ in 0..8 {
        let below = descendants(root, marker);
        if below.is_empty() {
            break;
        }
        for pid in below {
            if let Ok(pid) = libc::pid_t::try_from(pid) {
                // SAFETY: kill(2) has no memory-safety preconditions.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
    }
    signal_group(group, libc::SIGKILL);
}

fn signal_group(group: libc::pid_t, signal: libc::c_int) {
    // The group may be gone already: there is nothing left to end then.
    // SAFETY: killpg(2) has no memory-safety preconditions.
    unsafe { libc::killpg(group, signal) };
}

/// The live (not zombie) processes below `root` or marked with `marker`, as `/proc` shows
/// them; none where there is no `/proc` (the process group is all that is ended there).
fn descendants(root: u32, marker: &Marker) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let table: Vec<Stat> = entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            Stat::parse(pid, &stat)
        })
        .collect();
    let mut found = vec![root];
    found.extend(table.iter().map(|s| s.pid).filter(|pid| {
        *pid != root
            && std::fs::read(format!("/proc/{pid}/environ")).is_ok_and(|env| marker.marks(&env))
    }));
    let mut index = 0;
    while let Some(&parent) = found.get(index) {
        found.extend(
            table
                .iter()
                .filter(|s| s.parent == parent && !found.contains(&s.pid))
                .map(|s| s.pid)
                .collect::<Vec<_>>(),
        );
        index += 1;
    }
    found.retain(|pid| {
        *pid != root
            && table
                .iter()
                .any(|s| s.pid == *pid && s.state != 'Z' && s.state != 'X')
    });
    found
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
