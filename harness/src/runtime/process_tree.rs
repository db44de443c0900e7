//! A runner process and everything it started, ended together.
//!
//! Each runner leads its own process group and is a child subreaper, so whatever an integration
//! starts (a forked child, a detached daemon that left the group with `setsid`) stays below the
//! runner until it ends. Ending a runner stops the group, kills every descendant `/proc` shows,
//! then kills the group: nothing an integration started outlives its run.

use std::io;

use tokio::process::Command;

/// Makes `command` start a runner as described above: its own process group and, on Linux, a
/// child subreaper.
pub(crate) fn isolate(command: &mut Command) {
    command.process_group(0);
    #[cfg(target_os = "linux")]
    // SAFETY: the closure runs between fork and exec and only makes one async-signal-safe
    // system call.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 {
                Ok(())
            } else {
                Err(io::Error::last_os_error())
            }
        });
    }
}

/// Ends the runner `root` (a group leader started by [`isolate`]) and all its descendants.
pub(crate) fn kill(root: u32) {
    let Ok(group) = libc::pid_t::try_from(root) else {
        return;
    };
    // Stopped, the tree cannot grow while it is walked; SIGKILL ends stopped processes too.
    signal_group(group, libc::SIGSTOP);
    // A fork bomb outside the group keeps adding processes: a few rounds catch what each
    // previous round's victims started.
    for _ in 0..8 {
        let below = descendants(root);
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

/// The live (not zombie) processes below `root`, as `/proc` shows them; none where there is no
/// `/proc` (the process group is all that is ended there).
fn descendants(root: u32) -> Vec<u32> {
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
}
