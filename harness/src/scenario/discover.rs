//! Finding the scenario files under a folder.
//!
//! Symbolic links within the folder are followed, each folder visited once however many links
//! lead to it (a link loop ends there), each file found once; a link out of the folder is
//! skipped with a note. A `*.yaml` entry that is not a regular file (a pipe,
//! a socket, a device, a dangling link) is skipped with a note: reading it could block forever.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// What [`discover`] found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Discovery {
    /// The scenario files, sorted by path.
    pub files: Vec<PathBuf>,
    /// Entries named like scenario files that are not read, and why.
    pub skipped: Vec<(PathBuf, String)>,
}

/// Every scenario file (`*.yaml`, `*.yml`) under `dir`. Only `dir` itself must be readable:
/// an entry below it that is not is skipped with a note.
pub fn discover(dir: &Path) -> std::io::Result<Discovery> {
    let root = std::fs::canonicalize(dir)?;
    let mut found = Discovery::default();
    let mut visited = BTreeSet::new();
    let mut candidates = Vec::new();
    let mut pending = vec![(dir.to_owned(), root.clone())];
    while let Some((current, canonical)) = pending.pop() {
        // A folder reached again through a link is not read again.
        if !visited.insert(canonical) {
            continue;
        }
        let entries = match std::fs::read_dir(&current) {
            Ok(entries) => entries,
            Err(e) if current == dir => return Err(e),
            Err(e) => {
                found
                    .skipped
                    .push((current, format!("cannot be read ({e})")));
                continue;
            }
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let is_scenario = matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml")
            );
            let meta = match std::fs::metadata(&path) {
                Ok(meta) => meta,
                Err(e) if is_scenario => {
                    let why = format!("cannot be read ({e}): a dangling link?");
                    found.skipped.push((path, why));
                    continue;
                }
                Err(_) => continue,
            };
            if !meta.is_dir() && !is_scenario {
                continue;
            }
            let canonical = match std::fs::canonicalize(&path) {
                Ok(canonical) => canonical,
                Err(e) => {
                    found.skipped.push((path, format!("cannot be read ({e})")));
                    continue;
                }
            };
            // A link out of the folder would take in whatever it points at.
            if !canonical.starts_with(&root) {
                let why = format!(
                    "a link out of {} (to {})",
                    dir.display(),
                    canonical.display()
                );
                found.skipped.push((path, why));
            } else if meta.is_dir() {
                pending.push((path, canonical));
            } else if meta.is_file() {
                candidates.push((path, canonical));
            } else {
                found
                    .skipped
                    .push((path, format!("it {}", super::NOT_A_FILE)));
            }
        }
    }
    // A file reached by several paths runs once, under the first path in order.
    candidates.sort();
    let mut seen = BTreeSet::new();
    found.files = candidates
        .into_iter()
        .filter(|(_, canonical)| seen.insert(canonical.clone()))
        .map(|(path, _)| path)
        .collect();
    found.skipped.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_followed_once_and_odd_files_are_skipped_with_a_note() {
        let dir = std::env::temp_dir().join(format!("discover-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("iam")).expect("folders");
        std::fs::write(dir.join("iam/a.yaml"), "x").expect("a file");
        std::fs::write(dir.join("notes.txt"), "x").expect("a file");
        std::os::unix::fs::symlink(&dir, dir.join("iam/loop")).expect("a link loop");
        std::os::unix::fs::symlink(dir.join("iam/a.yaml"), dir.join("b.yaml")).expect("a link");
        std::os::unix::fs::symlink(dir.join("gone.yaml"), dir.join("dangling.yaml"))
            .expect("a dangling link");
        std::os::unix::fs::symlink("/", dir.join("outside")).expect("a link out");
        let fifo = dir.join("pipe.yaml");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo runs");
        assert!(made.success());

        let found = discover(&dir).expect("the folder is read");
        assert_eq!(found.files, [dir.join("b.yaml")], "{found:?}");
        let skipped: Vec<&Path> = found.skipped.iter().map(|(p, _)| p.as_path()).collect();
        assert_eq!(
            skipped,
            [dir.join("dangling.yaml"), dir.join("outside"), fifo]
        );
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}
