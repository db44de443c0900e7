//! The harness's scratch folders in the system temp folder.
//!
//! Each is named `xsoar-harness-<pid>-<purpose>-<n>-<random>`, created afresh (never an
//! existing folder, and only its owner may enter it), and removed when dropped. It holds a lock
//! file its harness keeps locked while it lives: a harness that was killed cannot remove its
//! own folders, and the first scratch folder a later harness creates removes every folder whose
//! lock nobody holds. A lock, unlike a pid, means the same in every container sharing the temp
//! folder.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;

const PREFIX: &str = "xsoar-harness-";
const LOCK: &str = ".owner.lock";

/// A scratch folder, removed with everything in it when dropped.
#[derive(Debug)]
pub(crate) struct ScratchDir {
    path: PathBuf,
    /// Locked while the folder is in use.
    _lock: File,
}

impl ScratchDir {
    /// Creates a fresh folder; `purpose` is a word that says what it holds.
    pub(crate) fn create(purpose: &str) -> std::io::Result<Self> {
        static CLEANED: Once = Once::new();
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let temp = std::env::temp_dir();
        CLEANED.call_once(|| remove_stale(&temp));
        let path = temp.join(format!(
            "{PREFIX}{}-{purpose}-{}-{:08x}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            unpredictable()
        ));
        create_private(&path)?;
        let lock = File::create(path.join(LOCK))?;
        if !try_lock(&lock) {
            return Err(std::io::Error::other(format!(
                "cannot lock {}",
                path.join(LOCK).display()
            )));
        }
        Ok(Self { path, _lock: lock })
    }

    /// The folder.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        // Nothing to report to: a folder that cannot be removed now goes at a later start.
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A new folder only its owner may use; an existing one (another user's trap) is an error.
fn create_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().mode(0o700).create(path)
}

/// Bits a name gets so that it cannot be guessed ahead.
fn unpredictable() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |t| t.as_nanos()),
    );
    // Truncation keeps the low bits, which is all a name needs.
    hasher.finish() as u32
}

/// Takes the lock on `file` without waiting; false when someone holds it.
fn try_lock(file: &File) -> bool {
    // SAFETY: flock(2) on a file descriptor this `File` owns; no memory is involved.
    unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
}

/// Removes the scratch folders whose harness is gone: their lock file is not held.
fn remove_stale(temp: &Path) {
    let Ok(entries) = std::fs::read_dir(temp) else {
        return;
    };
    for entry in entries.flatten() {
        let is_scratch = entry
            .file_name()
            .to_str()
            .is_some_and(|name| name.starts_with(PREFIX));
        // Only our own folders, and never through a link.
        let ours = entry.file_type().is_ok_and(|t| t.is_dir());
        if !is_scratch || !ours {
            continue;
        }
        // A folder without a lock file is being created, or not ours: it stays.
        let Ok(lock) = File::open(entry.path().join(LOCK)) else {
            continue;
        };
        if try_lock(&lock) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_nobody_holds_are_removed_and_held_ones_kept() {
        let temp = std::env::temp_dir().join(format!("scratch-test-{}", std::process::id()));
        let (gone, held) = (
            temp.join("xsoar-harness-1-run-0-0"),
            temp.join("xsoar-harness-2-run-0-0"),
        );
        for dir in [&gone, &held] {
            std::fs::create_dir_all(dir.join("inner")).expect("a folder");
        }
        std::fs::write(gone.join(LOCK), "").expect("a lock file");
        let lock = File::create(held.join(LOCK)).expect("a lock file");
        assert!(try_lock(&lock));
        remove_stale(&temp);
        assert!(!gone.exists());
        assert!(held.exists());
        drop(lock);
        std::fs::remove_dir_all(&temp).expect("clean up");
    }

    #[test]
    fn a_folder_is_created_afresh_and_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = ScratchDir::create("test").expect("a scratch folder");
        let mode = std::fs::metadata(dir.path())
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
        assert!(
            create_private(dir.path()).is_err(),
            "an existing folder is refused"
        );
        let path = dir.path().to_owned();
        drop(dir);
        assert!(!path.exists());
    }
}
