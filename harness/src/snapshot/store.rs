//! The store of accepted snapshots: insta's files, read with insta's own parser and compared
//! by its rule, written in the bytes insta writes.

use std::path::{Path, PathBuf};

use insta::internals::{SnapshotContents, TextSnapshotContents};
use insta::TextSnapshotKind;

use super::SOURCE;

/// How a rendered snapshot compares with the accepted one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Comparison {
    /// Identical to the accepted snapshot.
    Matches,
    /// No accepted snapshot yet.
    New,
    /// Different: a unified diff, old to new.
    Differs(String),
}

/// What judging a scenario's snapshot did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Judgement {
    /// Matches the accepted snapshot.
    Matches,
    /// New or changed, and written as the accepted snapshot (`--accept-snapshots`).
    Accepted,
    /// New or changed: a `.snap.new` file was written for review; the comparison says which.
    Pending(Comparison),
}

impl Judgement {
    /// Whether the snapshot waits for review (the scenario fails on it).
    pub fn is_pending(&self) -> bool {
        matches!(self, Self::Pending(_))
    }
}

/// Why the store could not be read or written: the file and the cause.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The accepted snapshot exists but cannot be read.
    #[error("cannot read the snapshot {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The accepted snapshot is not an insta snapshot file.
    #[error("cannot parse the snapshot {}: {reason}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// insta's words (its error type is not public).
        reason: String,
    },
    /// The header cannot be rendered as YAML.
    #[error("cannot render the header of the snapshot {}: {source}", path.display())]
    Header {
        /// The file.
        path: PathBuf,
        /// The YAML error.
        #[source]
        source: serde_saphyr::SerializeError,
    },
    /// A snapshot file cannot be written.
    #[error("cannot write the snapshot {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// The header insta writes above a snapshot: what the reviewer sees besides the content.
#[derive(Debug, Clone, Copy)]
pub struct Header<'a> {
    /// The scenario's description.
    pub description: &'a str,
    /// The scenario file, relative to the working folder.
    pub input_file: &'a str,
}

/// The folder of accepted snapshots.
#[derive(Debug, Clone)]
pub struct SnapshotStore {
    dir: PathBuf,
}

impl SnapshotStore {
    /// A store in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The accepted snapshot file of `name`.
    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.snap"))
    }

    /// The accepted content of `name`, if any, as insta parses it.
    fn accepted(&self, name: &str) -> Result<Option<TextSnapshotContents>, StoreError> {
        read_text(&self.path(name))
    }

    /// Compares `content` with the accepted snapshot of `name` by insta's rule for text
    /// snapshots (what `assert_snapshot!` in the tests applies), so the CLI and `cargo test`
    /// agree on every file.
    pub fn compare(&self, name: &str, content: &str) -> Result<Comparison, StoreError> {
        let Some(old) = self.accepted(name)? else {
            return Ok(Comparison::New);
        };
        let new = TextSnapshotContents::new(content.to_owned(), TextSnapshotKind::File);
        if SnapshotContents::from(old.clone()) == SnapshotContents::from(new.clone()) {
            return Ok(Comparison::Matches);
        }
        // Display is insta's normalized text: what it compared.
        Ok(Comparison::Differs(unified_diff(
            &old.to_string(),
            &new.to_string(),
        )))
    }

    /// Compares `content` with the accepted snapshot of `name`; one that is new or differs is
    /// written as accepted (`accept`) or as a `.snap.new` file for `cargo insta review`.
    pub fn judge(
        &self,
        name: &str,
        header: Header<'_>,
        content: &str,
        accept: bool,
    ) -> Result<Judgement, StoreError> {
        let comparison = self.compare(name, content)?;
        if comparison == Comparison::Matches {
            return Ok(Judgement::Matches);
        }
        self.write(name, header, content, !accept)?;
        Ok(if accept {
            Judgement::Accepted
        } else {
            Judgement::Pending(comparison)
        })
    }

    /// Writes `content` as the accepted snapshot (`pending: false`) or as a `.snap.new` file
    /// for `cargo insta review` (`pending: true`), in the bytes insta writes.
    fn write(
        &self,
        name: &str,
        header: Header<'_>,
        content: &str,
        pending: bool,
    ) -> Result<PathBuf, StoreError> {
        let mut path = self.path(name);
        if pending {
            path.set_extension("snap.new");
        }
        let header = serde_saphyr::to_string(&serde_json::json!({
            "source": SOURCE,
            "description": header.description,
            "input_file": header.input_file,
        }))
        .map_err(|source| StoreError::Header {
            path: path.clone(),
            source,
        })?;
        let text = format!("---\n{header}---\n{}\n", content.trim_end());
        std::fs::create_dir_all(&self.dir)
            .and_then(|()| std::fs::write(&path, text))
            .map_err(|source| StoreError::Write {
                path: path.clone(),
                source,
            })?;
        Ok(path)
    }
}

/// The text content of the snapshot file at `path` as insta parses it; `None` if there is no
/// such file.
pub(crate) fn read_text(path: &Path) -> Result<Option<TextSnapshotContents>, StoreError> {
    let path = path.to_path_buf();
    let snapshot = match insta::Snapshot::from_file(&path) {
        Ok(snapshot) => snapshot,
        Err(error) => {
            return match error.downcast::<std::io::Error>() {
                Ok(io) if io.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Ok(io) => Err(StoreError::Read { path, source: *io }),
                Err(other) => Err(StoreError::Parse {
                    path,
                    reason: other.to_string(),
                }),
            }
        }
    };
    match snapshot.as_text() {
        Some(text) => Ok(Some(text.clone())),
        None => Err(StoreError::Parse {
            path,
            reason: "a binary snapshot, where a scenario's is text".into(),
        }),
    }
}

/// The unified diff, accepted to new, of two snapshot contents: what the CLI's report and
/// `xsoar-harness review` show.
pub(crate) fn unified_diff(accepted: &str, new: &str) -> String {
    similar::TextDiff::from_lines(accepted, new)
        .unified_diff()
        .context_radius(3)
        .header("accepted", "new")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: Header<'static> = Header {
        description: "d",
        input_file: "scenarios/s.yaml",
    };

    fn temp_store(name: &str) -> (PathBuf, SnapshotStore) {
        let dir = std::env::temp_dir().join(format!("snapshot-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        (dir.clone(), SnapshotStore::new(dir))
    }

    #[test]
    fn store_round_trips_through_the_insta_format() {
        let (dir, store) = temp_store("round-trip");
        assert_eq!(store.compare("s", "a: 1\n").unwrap(), Comparison::New);
        assert_eq!(
            store.judge("s", HEADER, "a: 1\n", true).unwrap(),
            Judgement::Accepted
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("s.snap")).unwrap(),
            "---\nsource: tests/scenarios.rs\ndescription: d\ninput_file: scenarios/s.yaml\n---\na: 1\n"
        );
        assert_eq!(store.compare("s", "a: 1").unwrap(), Comparison::Matches);
        match store.judge("s", HEADER, "a: 2\n", false).unwrap() {
            Judgement::Pending(Comparison::Differs(diff)) => {
                assert!(diff.contains("-a: 1") && diff.contains("+a: 2"), "{diff}")
            }
            other => panic!("expected a diff, got {other:?}"),
        }
        assert!(dir.join("s.snap.new").is_file());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_snapshot_insta_wrote_with_more_header_matches() {
        let (dir, store) = temp_store("insta-header");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("s.snap"),
            "---\nsource: tests/scenarios.rs\nassertion_line: 83\nexpression: outcome.snapshot\n---\na: 1\r\nb: 2\n\n",
        )
        .unwrap();
        assert_eq!(
            store.compare("s", "a: 1\nb: 2").unwrap(),
            Comparison::Matches
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_unreadable_snapshot_is_an_error_naming_the_file() {
        let (dir, store) = temp_store("unreadable");
        // A folder where the file should be: it opens, but reading it fails.
        std::fs::create_dir_all(dir.join("s.snap")).unwrap();
        let error = store.judge("s", HEADER, "a: 1\n", false).unwrap_err();
        assert!(matches!(error, StoreError::Read { .. }), "{error:?}");
        let message = error.to_string();
        assert!(
            message.contains(&dir.join("s.snap").display().to_string()),
            "{message}"
        );
        assert!(std::error::Error::source(&error).is_some());
        assert!(!dir.join("s.snap.new").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
