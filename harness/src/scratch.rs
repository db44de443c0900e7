//! The harness's scratch folders in the system temp folder.
//!
//! Each is named `xsoar-harness-<pid>-<purpose>-<n>` and removed when dropped. A harness that
//! was killed cannot remove its own: the first scratch folder a later harness creates removes
//! the folders of every harness process that is no longer running.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;

const PREFIX: &str = "xsoar-harness-";

/// A scratch folder, removed with everything in it when dropped.
#[derive(Debug)]
pub(crate) struct ScratchDir(PathBuf);

impl ScratchDir {
    /// Creates a fresh folder; `purpose` is a word that says what it holds.
    pub(crate) fn create(purpose: &str) -> std::io::Result<Self> {
        static CLEANED: Once = Once::new();
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let temp = std::env::temp_dir();
        CLEANED.call_once(|| remove_stale(&temp));
        let dir = temp.join(format!(
            "{PREFIX}{}-{purpose}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir)?;
        Ok(Self(dir))
    }

    /// The folder.
    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        // Nothing to report to: a folder that cannot be removed now goes at a later start.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Removes the scratch folders of harness processes that are gone.
fn remove_stale(temp: &Path) {
    let Ok(entries) = std::fs::read_dir(temp) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(owner) = name.to_str().and_then(owner_pid) else {
            continue;
        };
        if !is_running(owner) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// The pid in a scratch folder's name.
fn owner_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(PREFIX)?;
    let (pid, _) = rest.split_once('-')?;
    pid.parse().ok()
}

fn is_running(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: kill(2) with signal 0 only checks that the process exists.
    let answer = unsafe { libc::kill(pid, 0) };
    // EPERM: it exists, under another user.
    answer == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_owner_is_read_from_the_name() {
        assert_eq!(owner_pid("xsoar-harness-4242-run-7"), Some(4242));
        assert_eq!(owner_pid("xsoar-harness-files-7"), None);
        assert_eq!(owner_pid("xsoar-harness"), None);
        assert_eq!(owner_pid("other-4242-run-7"), None);
    }

    #[test]
    fn folders_of_gone_processes_are_removed_and_live_ones_kept() {
        let temp = std::env::temp_dir().join(format!("scratch-test-{}", std::process::id()));
        // pid_max is at most 2^22: this pid cannot be running.
        let gone = temp.join("xsoar-harness-4294967-run-0");
        let live = temp.join(format!("xsoar-harness-{}-run-0", std::process::id()));
        for dir in [&gone, &live] {
            std::fs::create_dir_all(dir.join("inner")).expect("a folder");
        }
        remove_stale(&temp);
        assert!(!gone.exists());
        assert!(live.exists());
        std::fs::remove_dir_all(&temp).expect("clean up");
    }
}
