//! Finding a Python interpreter with what the runtime needs, and installing the runtime files.
//!
//! The interpreter is `$XSOAR_HARNESS_PYTHON` or `python3`. When it cannot import `requests`
//! (what integrations' `BaseClient` is built on), the harness prepares a private virtualenv in
//! its cache folder, once, saying so on stderr: a user never runs pip by hand.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::RuntimeError;

/// The runtime's Python files, embedded in the binary: the runner and `demistomock` (always
/// used: they speak the protocol), and the built-in modules a content root replaces.
const FILES: &[(&str, &str)] = &[
    (
        "runner/xsoar_runner.py",
        include_str!("../../python/runner/xsoar_runner.py"),
    ),
    (
        "runner/demistomock.py",
        include_str!("../../python/runner/demistomock.py"),
    ),
    (
        "builtin/CommonServerPython.py",
        include_str!("../../python/builtin/CommonServerPython.py"),
    ),
    (
        "builtin/CommonServerUserPython.py",
        include_str!("../../python/builtin/CommonServerUserPython.py"),
    ),
    (
        "builtin/IAMApiModule.py",
        include_str!("../../python/builtin/IAMApiModule.py"),
    ),
];

/// The packages the runtime needs besides the standard library.
const REQUIREMENTS: &[&str] = &["requests>=2.28"];

/// An interpreter able to run integrations, and the folder holding the runtime files.
#[derive(Debug, Clone)]
pub struct PythonEnv {
    /// The interpreter.
    pub python: PathBuf,
    /// The folder with `runner/` (the runner and demistomock) and `builtin/` (the built-in
    /// CommonServerPython and API modules).
    pub runtime_dir: PathBuf,
}

impl PythonEnv {
    /// Finds or prepares the interpreter and writes the runtime files into the cache folder.
    pub fn prepare() -> Result<Self, RuntimeError> {
        let cache = cache_dir();
        let python = interpreter(&cache)?;
        let runtime_dir = install_files(&cache)?;
        Ok(Self {
            python,
            runtime_dir,
        })
    }

    /// The runner script.
    pub fn runner(&self) -> PathBuf {
        self.runner_dir().join("xsoar_runner.py")
    }

    /// The folder of the runner and `demistomock`: first on the module search path.
    pub fn runner_dir(&self) -> PathBuf {
        self.runtime_dir.join("runner")
    }

    /// The folder of the built-in CommonServerPython and API modules.
    pub fn builtin_dir(&self) -> PathBuf {
        self.runtime_dir.join("builtin")
    }
}

/// `$XSOAR_HARNESS_CACHE`, else `$XDG_CACHE_HOME/xsoar-harness`, else `~/.cache/xsoar-harness`.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("XSOAR_HARNESS_CACHE") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(dir).join("xsoar-harness");
    }
    match std::env::var_os("HOME") {
        Some(home) => PathBuf::from(home).join(".cache").join("xsoar-harness"),
        None => std::env::temp_dir().join("xsoar-harness"),
    }
}

fn interpreter(cache: &Path) -> Result<PathBuf, RuntimeError> {
    let base = std::env::var_os("XSOAR_HARNESS_PYTHON")
        .map_or_else(|| PathBuf::from("python3"), PathBuf::from);
    // Resolve shims (pyenv, asdf) to the real executable: a shim costs ~100 ms per start.
    let base = real_executable(&base).map_err(|source| RuntimeError::NoPython {
        python: base.clone(),
        source,
    })?;
    if matches!(has_requirements(&base), Ok(true)) {
        return Ok(base);
    }
    let venv = cache.join("venv");
    let venv_python = venv.join("bin").join("python");
    if matches!(has_requirements(&venv_python), Ok(true)) {
        return Ok(venv_python);
    }
    eprintln!(
        "xsoar-harness: {} cannot import `requests`; preparing a private virtualenv in {} (once)",
        base.display(),
        venv.display()
    );
    // Build beside the final place and rename, so concurrent test processes never see half a venv.
    let staging = cache.join(format!("venv.staging-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(cache).map_err(|e| RuntimeError::io("create the cache folder", e))?;
    run_setup(
        Command::new(&base).arg("-m").arg("venv").arg(&staging),
        "python3 -m venv",
    )?;
    run_setup(
        Command::new(staging.join("bin").join("python"))
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(REQUIREMENTS),
        "pip install requests",
    )?;
    // A venv that cannot import `requests` (e.g. left by an older Python) is replaced.
    if !matches!(has_requirements(&venv_python), Ok(true)) {
        let _ = std::fs::remove_dir_all(&venv);
    }
    if std::fs::rename(&staging, &venv).is_err() {
        // Another process finished first: use its venv.
        let _ = std::fs::remove_dir_all(&staging);
    }
    match has_requirements(&venv_python) {
        Ok(true) => Ok(venv_python),
        _ => Err(RuntimeError::Setup {
            step: "the prepared virtualenv".into(),
            detail: "still cannot import `requests`".into(),
        }),
    }
}

fn real_executable(python: &Path) -> std::io::Result<PathBuf> {
    let output = Command::new(python)
        .args(["-c", "import sys; print(sys.executable)"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()?;
    let printed = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    Ok(if output.status.success() && !printed.is_empty() {
        PathBuf::from(printed)
    } else {
        python.to_owned()
    })
}

fn has_requirements(python: &Path) -> std::io::Result<bool> {
    Command::new(python)
        .args(["-c", "import requests"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|status| status.success())
}

fn run_setup(command: &mut Command, step: &str) -> Result<(), RuntimeError> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| RuntimeError::io(step, e))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(RuntimeError::Setup {
            step: step.to_owned(),
            detail: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }
}

/// Writes the runtime files into a folder named by their content hash, atomically.
fn install_files(cache: &Path) -> Result<PathBuf, RuntimeError> {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    FILES.hash(&mut hasher);
    let dir = cache.join(format!("runtime-{:016x}", hasher.finish()));
    if FILES.iter().all(|(name, _)| dir.join(name).is_file()) {
        return Ok(dir);
    }
    let staging = cache.join(format!("runtime.staging-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging)
        .map_err(|e| RuntimeError::io("create the runtime folder", e))?;
    for (name, text) in FILES {
        let path = staging.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| RuntimeError::io("create the runtime folder", e))?;
        }
        std::fs::write(path, text).map_err(|e| RuntimeError::io("write the runtime files", e))?;
    }
    if std::fs::rename(&staging, &dir).is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    Ok(dir)
}
