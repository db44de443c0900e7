//! Integrations shipped inside Python packages on PyPI, such as the templates in the
//! demisto-sdk wheel: `pypi:<requirement>/<path inside the wheel>`.
//!
//! The wheel is downloaded once with the harness's interpreter (`pip download --no-deps`),
//! unpacked into the cache folder and reused; nothing of it goes into the repository. Pin the
//! version (`demisto-sdk==1.39.13`) so that snapshots stay stable.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::runtime::python::run_quietly;
use crate::runtime::PythonHost;

/// Why a PyPI location could not be resolved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PypiError {
    /// pip or the unpacking failed.
    #[error("cannot fetch {requirement} from PyPI ({step}): {detail}")]
    Fetch {
        /// The requirement.
        requirement: String,
        /// What was being done.
        step: String,
        /// What it printed.
        detail: String,
    },
    /// The wheel does not hold the path.
    #[error("{requirement} has no {path} (unpacked in {folder})")]
    NotInWheel {
        /// The requirement.
        requirement: String,
        /// The path asked for.
        path: String,
        /// Where the wheel was unpacked.
        folder: PathBuf,
    },
}

/// The local path of `inner` in the wheel of `requirement`, downloading and unpacking the
/// wheel on first use.
pub(crate) fn resolve(
    host: &PythonHost,
    requirement: &str,
    inner: &str,
) -> Result<PathBuf, PypiError> {
    let folder = host.cache().join("pypi").join(sanitize(requirement));
    if !folder.join(".complete").is_file() {
        // One fetch at a time in this process; other processes are kept apart by the staging
        // folder and the final rename.
        static FETCHING: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _one_at_a_time = FETCHING.lock().unwrap_or_else(|p| p.into_inner());
        if !folder.join(".complete").is_file() {
            fetch(host, requirement, &folder)?;
        }
    }
    let path = folder.join(inner);
    if path.exists() {
        Ok(path)
    } else {
        Err(PypiError::NotInWheel {
            requirement: requirement.to_owned(),
            path: inner.to_owned(),
            folder,
        })
    }
}

fn sanitize(requirement: &str) -> String {
    requirement
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn fetch(host: &PythonHost, requirement: &str, folder: &Path) -> Result<(), PypiError> {
    let failed = |step: &str, detail: String| PypiError::Fetch {
        requirement: requirement.to_owned(),
        step: step.to_owned(),
        detail,
    };
    eprintln!(
        "xsoar-harness: fetching {requirement} from PyPI into {} (once)",
        folder.display()
    );
    // Work beside the final place and rename, so concurrent runs never see half a wheel.
    let mut staging = folder.as_os_str().to_owned();
    staging.push(format!(".staging-{}", std::process::id()));
    let staging = PathBuf::from(staging);
    let _ = std::fs::remove_dir_all(&staging);
    let download = staging.join("download");
    std::fs::create_dir_all(&download)
        .map_err(|e| failed("create the cache folder", e.to_string()))?;
    run_quietly(
        Command::new(&host.base().path)
            .args([
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "--quiet",
                "--disable-pip-version-check",
                "-d",
            ])
            .arg(&download)
            .arg(requirement),
    )
    .map_err(|detail| failed("pip download", detail.to_string()))?;
    let wheel = std::fs::read_dir(&download)
        .map_err(|e| failed("list the download", e.to_string()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|e| e == "whl"))
        .ok_or_else(|| failed("pip download", "no wheel was downloaded".to_owned()))?;
    let unpacked = staging.join("wheel");
    run_quietly(
        Command::new(&host.base().path)
            .args(["-m", "zipfile", "-e"])
            .arg(&wheel)
            .arg(&unpacked),
    )
    .map_err(|detail| failed("unpack the wheel", detail.to_string()))?;
    std::fs::write(unpacked.join(".complete"), requirement)
        .map_err(|e| failed("mark the cache", e.to_string()))?;
    if let Some(parent) = folder.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| failed("create the cache folder", e.to_string()))?;
    }
    if std::fs::rename(&unpacked, folder).is_err() && !folder.join(".complete").is_file() {
        return Err(failed(
            "move the wheel into the cache",
            folder.display().to_string(),
        ));
    }
    let _ = std::fs::remove_dir_all(&staging);
    Ok(())
}
