//! Reviewing pending snapshots without cargo-insta: every `.snap.new` file under a snapshot
//! folder, its diff against the accepted `.snap`, and accepting (the `.snap.new` replaces the
//! `.snap`, written by insta as `cargo insta accept` writes it) or rejecting (the `.snap.new`
//! is deleted) each.
//!
//! [`review`] drives one [`Mode`]: asking about each snapshot on a reader and writer (a
//! terminal in the CLI, buffers in tests), accepting or rejecting all, or listing them.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use super::store::{read_text, unified_diff};
use super::StoreError;

/// The file ending insta and the harness give a pending snapshot.
const PENDING: &str = ".snap.new";

/// A snapshot waiting for review: a `.snap.new` file and the accepted `.snap` it would replace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The snapshot's name: its path under the snapshot folder, without `.snap.new`.
    pub name: String,
    /// The pending file (`<name>.snap.new`).
    pub new: PathBuf,
    /// The accepted file it would replace (`<name>.snap`), which may not exist yet.
    pub accepted: PathBuf,
}

/// What to do with the pending snapshots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Show each with its diff and ask: accept, reject, skip or quit.
    Ask,
    /// Accept every one.
    AcceptAll,
    /// Reject every one.
    RejectAll,
    /// Show each with its diff and change nothing.
    List,
}

/// What a review did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Snapshots accepted.
    pub accepted: usize,
    /// Snapshots rejected.
    pub rejected: usize,
    /// Snapshots still pending: skipped, listed, or not reached before quitting.
    pub left: usize,
}

/// Why a review could not go on: what failed, on which file, and what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReviewError {
    /// The snapshot folder does not exist.
    #[error("the snapshot folder {} does not exist: pass the folder of accepted snapshots with --snapshots DIR", dir.display())]
    NoFolder {
        /// The folder.
        dir: PathBuf,
    },
    /// A folder under the snapshot folder cannot be listed.
    #[error("cannot list the snapshot folder {}: {source}", dir.display())]
    List {
        /// The folder.
        dir: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A pending or accepted snapshot cannot be read or parsed.
    #[error("{source}; fix or delete the file, then review again")]
    Snapshot {
        /// The store's error, naming the file.
        #[from]
        source: StoreError,
    },
    /// insta could not write the accepted snapshot.
    #[error("cannot accept {}: writing {} failed: {reason}; the pending file is kept", new.display(), accepted.display())]
    Accept {
        /// The pending file.
        new: PathBuf,
        /// The accepted file being written.
        accepted: PathBuf,
        /// insta's words (its error type is not public).
        reason: String,
    },
    /// The pending file cannot be deleted (after rejecting it, or after accepting it).
    #[error("cannot delete {}: {source}; delete it by hand", path.display())]
    Delete {
        /// The pending file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The reviewer's terminal (or the writer standing for it) failed.
    #[error("cannot talk to the reviewer: {source}")]
    Terminal {
        /// The I/O error.
        #[from]
        source: std::io::Error,
    },
}

/// Every pending snapshot under `dir` (its subfolders too), sorted by name.
pub fn pending(dir: &Path) -> Result<Vec<Pending>, ReviewError> {
    if !dir.is_dir() {
        return Err(ReviewError::NoFolder {
            dir: dir.to_path_buf(),
        });
    }
    let mut found = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let list = |source| ReviewError::List {
            dir: folder.clone(),
            source,
        };
        for entry in std::fs::read_dir(&folder).map_err(list)? {
            let entry = entry.map_err(list)?;
            let path = entry.path();
            // Not followed: a link could lead out of the folder or round in a loop.
            let kind = entry.file_type().map_err(list)?;
            if kind.is_dir() {
                folders.push(path);
                continue;
            }
            let Some(file) = path.file_name().and_then(|f| f.to_str()) else {
                continue;
            };
            let Some(stem) = file.strip_suffix(PENDING).filter(|s| !s.is_empty()) else {
                continue;
            };
            let relative = path.strip_prefix(dir).unwrap_or(&path);
            let name = relative
                .with_file_name(stem)
                .to_string_lossy()
                .replace('\\', "/");
            let accepted = path.with_file_name(format!("{stem}.snap"));
            found.push(Pending {
                name,
                new: path,
                accepted,
            });
        }
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

impl Pending {
    /// What a reviewer reads: the snapshot's name, whether it is new or changed, and the
    /// unified diff of the accepted content to the pending one (every line, for a new one).
    pub fn describe(&self) -> Result<String, ReviewError> {
        let new = read_text(&self.new)?.ok_or_else(|| gone(&self.new))?;
        let (what, old) = match read_text(&self.accepted)? {
            Some(old) => ("changed", old.to_string()),
            None => ("new", String::new()),
        };
        let mut text = format!("{} ({what}): {}\n", self.name, self.new.display());
        let diff = unified_diff(&old, &new.to_string());
        if diff.is_empty() {
            text.push_str("  the content is the accepted one; only the header differs\n");
        } else {
            text.push_str(&diff);
            if !diff.ends_with('\n') {
                text.push('\n');
            }
        }
        Ok(text)
    }

    /// Makes the pending snapshot the accepted one: insta writes it as the `.snap` (as
    /// `cargo insta accept` does: the same header, less the assertion line), then the
    /// `.snap.new` is deleted.
    pub fn accept(&self) -> Result<(), ReviewError> {
        // Parsed first: a broken pending file is an error, never an accepted snapshot.
        read_text(&self.new)?.ok_or_else(|| gone(&self.new))?;
        let failed = |reason: String| ReviewError::Accept {
            new: self.new.clone(),
            accepted: self.accepted.clone(),
            reason,
        };
        insta::Snapshot::from_file(&self.new)
            .and_then(|snapshot| snapshot.save(&self.accepted))
            .map_err(|e| failed(e.to_string()))?;
        self.reject()
    }

    /// Drops the pending snapshot: deletes the `.snap.new`; the accepted one stays.
    pub fn reject(&self) -> Result<(), ReviewError> {
        std::fs::remove_file(&self.new).map_err(|source| ReviewError::Delete {
            path: self.new.clone(),
            source,
        })
    }
}

/// The pending file vanished between listing and reading.
fn gone(path: &Path) -> ReviewError {
    ReviewError::Snapshot {
        source: StoreError::Read {
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "the file is gone"),
        },
    }
}

/// Reviews `pending` in `mode`: shows each on `output` (with its diff, except when accepting
/// or rejecting all) and, in [`Mode::Ask`], reads a decision for each from `input`: `a`
/// accept, `r` reject, `s` skip, `q` quit (the end of the input quits too).
pub fn review(
    pending: &[Pending],
    mode: Mode,
    input: &mut dyn BufRead,
    output: &mut dyn Write,
) -> Result<Summary, ReviewError> {
    let mut summary = Summary::default();
    for (n, snapshot) in pending.iter().enumerate() {
        let decision = match mode {
            Mode::AcceptAll => Decision::Accept,
            Mode::RejectAll => Decision::Reject,
            Mode::List => {
                write!(output, "{}", snapshot.describe()?)?;
                Decision::Skip
            }
            Mode::Ask => {
                write!(
                    output,
                    "[{}/{}] {}",
                    n + 1,
                    pending.len(),
                    snapshot.describe()?
                )?;
                ask(input, output)?
            }
        };
        match decision {
            Decision::Accept => {
                snapshot.accept()?;
                summary.accepted += 1;
                writeln!(output, "accepted {}", snapshot.name)?;
            }
            Decision::Reject => {
                snapshot.reject()?;
                summary.rejected += 1;
                writeln!(output, "rejected {}", snapshot.name)?;
            }
            Decision::Skip => summary.left += 1,
            Decision::Quit => {
                summary.left += pending.len() - n;
                break;
            }
        }
    }
    output.flush()?;
    Ok(summary)
}

/// A reviewer's answer about one snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    Accept,
    Reject,
    Skip,
    Quit,
}

/// Asks until the answer is one of a / r / s / q (or a word starting so); the end of the
/// input is a quit.
fn ask(input: &mut dyn BufRead, output: &mut dyn Write) -> Result<Decision, ReviewError> {
    loop {
        write!(output, "accept (a), reject (r), skip (s), quit (q)? ")?;
        output.flush()?;
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 {
            writeln!(output)?;
            return Ok(Decision::Quit);
        }
        match line.trim().to_ascii_lowercase().as_str() {
            "a" | "accept" => return Ok(Decision::Accept),
            "r" | "reject" => return Ok(Decision::Reject),
            "s" | "skip" => return Ok(Decision::Skip),
            "q" | "quit" => return Ok(Decision::Quit),
            other => writeln!(output, "{other:?} is none of a, r, s, q")?,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{Header, SnapshotStore};

    const HEADER: Header<'static> = Header {
        description: "d",
        input_file: "scenarios/s.yaml",
    };

    /// A snapshot folder with `changed` (accepted `a: 1`, pending `a: 2`) and `fresh` (only
    /// pending), as the harness writes them.
    fn folder(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("review-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = SnapshotStore::new(&dir);
        store.judge("changed", HEADER, "a: 1\n", true).unwrap();
        store.judge("changed", HEADER, "a: 2\n", false).unwrap();
        store.judge("fresh", HEADER, "b: 1\n", false).unwrap();
        dir
    }

    fn run(dir: &Path, mode: Mode, answers: &str) -> (Summary, String) {
        let found = pending(dir).unwrap();
        let mut output = Vec::new();
        let summary = review(&found, mode, &mut answers.as_bytes(), &mut output).unwrap();
        (summary, String::from_utf8(output).unwrap())
    }

    #[test]
    fn pending_snapshots_are_found_with_their_accepted_files() {
        let dir = folder("found");
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("sub/x.snap.new"), "---\n---\nx\n").unwrap();
        std::fs::write(dir.join(".snap.new"), "").unwrap();
        let found = pending(&dir).unwrap();
        let names: Vec<&str> = found.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["changed", "fresh", "sub/x"]);
        assert_eq!(found[0].accepted, dir.join("changed.snap"));
        assert_eq!(found[2].new, dir.join("sub/x.snap.new"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_folder_says_which_and_what_to_pass() {
        let error = pending(Path::new("/nonexistent/snapshots")).unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("/nonexistent/snapshots") && message.contains("--snapshots"),
            "{message}"
        );
    }

    #[test]
    fn accept_writes_the_snapshot_as_the_harness_writes_an_accepted_one() {
        let dir = folder("accept");
        let (summary, output) = run(&dir, Mode::Ask, "a\n");
        assert_eq!(
            summary,
            Summary {
                accepted: 1,
                rejected: 0,
                left: 1
            }
        );
        assert!(
            output.contains("-a: 1") && output.contains("+a: 2"),
            "{output}"
        );
        assert!(output.contains("accepted changed"), "{output}");
        assert!(!dir.join("changed.snap.new").exists());
        // Byte for byte what `--accept-snapshots` writes.
        let reference = folder("accept-reference");
        SnapshotStore::new(&reference)
            .judge("changed", HEADER, "a: 2\n", true)
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("changed.snap")).unwrap(),
            std::fs::read_to_string(reference.join("changed.snap")).unwrap()
        );
        // The answer ran out: quit, `fresh` is left.
        assert!(dir.join("fresh.snap.new").is_file());
        std::fs::remove_dir_all(&dir).unwrap();
        std::fs::remove_dir_all(&reference).unwrap();
    }

    #[test]
    fn accept_drops_the_assertion_line_insta_writes_into_pending_files() {
        let dir = std::env::temp_dir().join(format!("review-insta-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("s.snap.new"),
            "---\nsource: tests/scenarios.rs\nassertion_line: 87\ndescription: d\n---\na: 1\n",
        )
        .unwrap();
        let (summary, _) = run(&dir, Mode::AcceptAll, "");
        assert_eq!(summary.accepted, 1);
        let accepted = std::fs::read_to_string(dir.join("s.snap")).unwrap();
        assert!(!accepted.contains("assertion_line"), "{accepted}");
        assert!(accepted.contains("description: d") && accepted.ends_with("a: 1\n"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn reject_deletes_the_pending_file_and_keeps_the_accepted_one() {
        let dir = folder("reject");
        let (summary, output) = run(&dir, Mode::Ask, "r\nreject\n");
        assert_eq!(
            summary,
            Summary {
                accepted: 0,
                rejected: 2,
                left: 0
            }
        );
        assert!(
            output.contains("fresh (new)") && output.contains("+b: 1"),
            "{output}"
        );
        assert!(!dir.join("changed.snap.new").exists() && !dir.join("fresh.snap.new").exists());
        assert!(!dir.join("fresh.snap").exists());
        assert!(std::fs::read_to_string(dir.join("changed.snap"))
            .unwrap()
            .ends_with("a: 1\n"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn skip_and_quit_change_nothing_and_unclear_answers_are_asked_again() {
        let dir = folder("skip");
        let (summary, output) = run(&dir, Mode::Ask, "x\ns\nq\n");
        assert_eq!(
            summary,
            Summary {
                accepted: 0,
                rejected: 0,
                left: 2
            }
        );
        assert!(output.contains("\"x\" is none of a, r, s, q"), "{output}");
        assert_eq!(output.matches("accept (a), reject (r)").count(), 3);
        assert!(dir.join("changed.snap.new").is_file() && dir.join("fresh.snap.new").is_file());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn list_shows_every_diff_and_reject_all_removes_every_pending_file() {
        let dir = folder("list");
        let (summary, output) = run(&dir, Mode::List, "");
        assert_eq!(summary.left, 2);
        assert!(output.contains("changed (changed)") && output.contains("fresh (new)"));
        assert!(!output.contains("accept (a)"), "{output}");
        let (summary, _) = run(&dir, Mode::RejectAll, "");
        assert_eq!(summary.rejected, 2);
        assert!(pending(&dir).unwrap().is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_broken_pending_file_is_an_error_naming_it_and_is_not_accepted() {
        let dir = folder("broken");
        std::fs::write(dir.join("changed.snap.new"), [0xff, 0xfe, 0x00]).unwrap();
        let found = pending(&dir).unwrap();
        let error = found[0].accept().unwrap_err();
        assert!(error.to_string().contains("changed.snap.new"), "{error}");
        assert!(std::fs::read_to_string(dir.join("changed.snap"))
            .unwrap()
            .ends_with("a: 1\n"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
