//! The machine's Python: the interpreters it has, and the runtime files the harness installs.
//!
//! The default interpreter is `python3`; `$XSOAR_HARNESS_PYTHON` names another one and then
//! always wins: the harness runs every integration with it, as it is. Otherwise the harness
//! looks for the Python minor version an integration's image asks for (`python3.12` on the
//! `PATH`, pyenv's versions, the system's) and prepares virtualenvs from it
//! (see the `environment` module).

use std::collections::{BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use super::RuntimeError;

/// The environment variable naming the interpreter that runs every integration.
pub(crate) const PYTHON_ENV: &str = "XSOAR_HARNESS_PYTHON";

/// The runtime's Python files, embedded in the binary: the runner, `demistomock` and the
/// protocol's shared spellings (always used: they speak the protocol), the built-in modules a
/// content root replaces, and the modules the server always provides (an empty
/// CommonServerUserPython).
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
        "runner/xsoar_protocol.py",
        include_str!("../../python/runner/xsoar_protocol.py"),
    ),
    (
        "runner/protocol.json",
        include_str!("../../python/runner/protocol.json"),
    ),
    (
        "builtin/CommonServerPython.py",
        include_str!("../../python/builtin/CommonServerPython.py"),
    ),
    (
        "builtin/IAMApiModule.py",
        include_str!("../../python/builtin/IAMApiModule.py"),
    ),
    (
        "server/CommonServerUserPython.py",
        include_str!("../../python/server/CommonServerUserPython.py"),
    ),
];

/// One interpreter on this machine, as it describes itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interpreter {
    /// The executable (shims resolved).
    pub path: PathBuf,
    /// `major.minor.patch`.
    pub version: [u32; 3],
    /// The standard library's top-level module names.
    pub stdlib: BTreeSet<String>,
    /// Whether it can create virtualenvs (the `venv` and `ensurepip` modules).
    pub can_venv: bool,
}

impl Interpreter {
    /// `3.11.7`.
    pub fn version_text(&self) -> String {
        let [major, minor, patch] = self.version;
        format!("{major}.{minor}.{patch}")
    }

    /// Asks an interpreter about itself.
    fn probe(python: &Path) -> std::io::Result<Self> {
        const PROBE: &str = r#"import sys, json
names = set(getattr(sys, 'stdlib_module_names', ())) | set(sys.builtin_module_names)
if not hasattr(sys, 'stdlib_module_names'):
    import pkgutil, sysconfig
    names |= {m.name for m in pkgutil.iter_modules([sysconfig.get_paths()['stdlib']])}
try:
    import venv, ensurepip
    can_venv = True
except Exception:
    can_venv = False
print(json.dumps({'exe': sys.executable, 'version': list(sys.version_info[:3]), 'stdlib': sorted(names), 'venv': can_venv}))
"#;
        #[derive(serde::Deserialize)]
        struct Probe {
            exe: PathBuf,
            version: [u32; 3],
            stdlib: BTreeSet<String>,
            venv: bool,
        }
        let output = Command::new(python)
            .args(["-I", "-c", PROBE])
            .stdin(Stdio::null())
            .stderr(Stdio::piped())
            .output()?;
        if !output.status.success() {
            return Err(std::io::Error::other(format!(
                "it exited with {}: {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            )));
        }
        let probe: Probe = serde_json::from_slice(&output.stdout).map_err(|e| {
            std::io::Error::other(format!("it did not describe itself as Python 3 does ({e})"))
        })?;
        Ok(Self {
            path: if probe.exe.as_os_str().is_empty() {
                python.to_owned()
            } else {
                probe.exe
            },
            version: probe.version,
            stdlib: probe.stdlib,
            can_venv: probe.venv,
        })
    }
}

/// The machine's Python as the harness uses it: the default interpreter, the others it finds
/// on demand, and the folder of the runtime files.
#[derive(Debug, Clone)]
pub struct PythonHost {
    base: Interpreter,
    pinned: bool,
    runtime_dir: PathBuf,
    cache: PathBuf,
    found: Arc<Mutex<Found>>,
}

/// The interpreter found for each minor version asked for (`None`: the machine has none).
type Found = HashMap<(u32, u32), Option<Interpreter>>;

impl PythonHost {
    /// Finds the default interpreter (`$XSOAR_HARNESS_PYTHON`, else `python3`) and writes the
    /// runtime files into the cache folder.
    pub fn discover() -> Result<Self, RuntimeError> {
        let cache = cache_dir();
        let named = std::env::var_os(PYTHON_ENV).filter(|v| !v.is_empty());
        let pinned = named.is_some();
        let python = named.map_or_else(|| PathBuf::from("python3"), PathBuf::from);
        let base = Interpreter::probe(&python).map_err(|source| RuntimeError::NoPython {
            python: python.clone(),
            source,
        })?;
        let runtime_dir = install_files(&cache)?;
        Ok(Self {
            base,
            pinned,
            runtime_dir,
            cache,
            found: Arc::default(),
        })
    }

    /// The default interpreter.
    pub fn base(&self) -> &Interpreter {
        &self.base
    }

    /// Whether `$XSOAR_HARNESS_PYTHON` names the interpreter: it then runs everything as it is.
    pub fn pinned(&self) -> bool {
        self.pinned
    }

    /// The harness's cache folder.
    pub fn cache(&self) -> &Path {
        &self.cache
    }

    /// An interpreter of this minor version that can create virtualenvs, if the machine has one.
    pub fn find(&self, minor: (u32, u32)) -> Option<Interpreter> {
        let matches = |i: &Interpreter| i.version[..2] == [minor.0, minor.1] && i.can_venv;
        if matches(&self.base) {
            return Some(self.base.clone());
        }
        let mut found = self.found.lock().unwrap_or_else(|p| p.into_inner());
        found
            .entry(minor)
            .or_insert_with(|| {
                candidates(minor)
                    .iter()
                    .filter_map(|path| Interpreter::probe(path).ok())
                    .find(matches)
            })
            .clone()
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

    /// The top-level modules a run with `python_path` gets without installing anything: the
    /// runner's (`demistomock`) and those of the search path's folders.
    pub fn provided_modules(&self, python_path: &[PathBuf]) -> BTreeSet<String> {
        let mut provided = super::content::provided_modules(python_path);
        provided.extend(super::content::provided_modules(&[self.runner_dir()]));
        provided
    }

    /// The folder of the modules the server always provides: last on every search path, so a
    /// content root's own versions win.
    pub fn server_dir(&self) -> PathBuf {
        self.runtime_dir.join("server")
    }
}

/// Where an interpreter of a minor version may be: on the `PATH` by its versioned name, among
/// pyenv's versions (newest patch first), in the system's folders.
fn candidates((major, minor): (u32, u32)) -> Vec<PathBuf> {
    let name = format!("python{major}.{minor}");
    let mut found = vec![PathBuf::from(&name)];
    let pyenv = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".pyenv")));
    if let Some(versions) = pyenv.map(|root| root.join("versions")) {
        let prefix = format!("{major}.{minor}.");
        let mut installed: Vec<(u32, PathBuf)> = std::fs::read_dir(versions)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let dir = entry.file_name().to_string_lossy().into_owned();
                let patch = dir.strip_prefix(&prefix)?.parse().ok()?;
                Some((patch, entry.path().join("bin").join(&name)))
            })
            .collect();
        installed.sort_by_key(|(patch, _)| std::cmp::Reverse(*patch));
        found.extend(installed.into_iter().map(|(_, path)| path));
    }
    found.extend(["/usr/local/bin", "/usr/bin"].map(|dir| Path::new(dir).join(&name)));
    found
}

/// Why a setup command (pip, venv) failed; the text is what people are shown as its detail.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupCommandError {
    /// It could not be started.
    #[error("{source}")]
    Spawn {
        /// The spawn error.
        #[source]
        source: std::io::Error,
    },
    /// It ran and failed.
    #[error("{stderr}")]
    Failed {
        /// How it exited.
        status: std::process::ExitStatus,
        /// What it wrote to stderr, trimmed.
        stderr: String,
    },
}

/// Runs a setup command (pip, venv) to its end without input.
pub(crate) fn run_quietly(command: &mut Command) -> Result<(), SetupCommandError> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|source| SetupCommandError::Spawn { source })?;
    if output.status.success() {
        Ok(())
    } else {
        Err(SetupCommandError::Failed {
            status: output.status,
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        })
    }
}

/// `$XSOAR_HARNESS_CACHE`, else `$XDG_CACHE_HOME/xsoar-harness`, else `~/.cache/xsoar-harness`.
pub(crate) fn cache_dir() -> PathBuf {
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

/// Writes the runtime files into a folder named by their content hash, atomically: each caller
/// (threads of one test binary, other processes) stages its own copy, and the first rename wins.
fn install_files(cache: &Path) -> Result<PathBuf, RuntimeError> {
    static STAGED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    FILES.hash(&mut hasher);
    let dir = cache.join(format!("runtime-{:016x}", hasher.finish()));
    let complete = |dir: &Path| FILES.iter().all(|(name, _)| dir.join(name).is_file());
    if complete(&dir) {
        return Ok(dir);
    }
    let staging = cache.join(format!(
        "runtime.staging-{}-{}",
        std::process::id(),
        STAGED.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let write = || -> std::io::Result<()> {
        for (name, text) in FILES {
            let path = staging.join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(path, text)?;
        }
        Ok(())
    };
    write().map_err(|e| RuntimeError::io("write the runtime files", e))?;
    if std::fs::rename(&staging, &dir).is_err() {
        // Another caller installed the same files first: theirs are identical.
        std::fs::remove_dir_all(&staging)
            .map_err(|e| RuntimeError::io("remove the runtime staging folder", e))?;
        if !complete(&dir) {
            return Err(RuntimeError::Setup {
                step: "installing the runtime files".into(),
                detail: format!("{} exists but lacks some of them", dir.display()),
            });
        }
    }
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrent_installs_of_the_runtime_files_all_succeed() {
        let cache = std::env::temp_dir().join(format!("runtime-files-{}", std::process::id()));
        let installs: Vec<_> = (0..8)
            .map(|_| {
                let cache = cache.clone();
                std::thread::spawn(move || install_files(&cache).map_err(|e| e.to_string()))
            })
            .collect();
        let dirs: Vec<PathBuf> = installs
            .into_iter()
            .map(|t| t.join().expect("no panic").expect("installed"))
            .collect();
        assert!(dirs.windows(2).all(|w| w[0] == w[1]), "{dirs:?}");
        assert!(dirs[0].join("runner/xsoar_runner.py").is_file());
        let left: Vec<_> = std::fs::read_dir(&cache)
            .expect("the cache")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(left.len(), 1, "staging folders left: {left:?}");
        std::fs::remove_dir_all(&cache).expect("clean up");
    }
}
