//! Python environments like an integration's Docker image: the image's Python minor version,
//! its packages, and the packages of what the code imports beyond them, in virtualenvs the
//! harness creates once and reuses (keyed by interpreter and package set), saying what it does.
//! A user never runs pip.
//!
//! For one integration:
//! 1. the interpreter: `$XSOAR_HARNESS_PYTHON` as it is when set (nothing is installed); else
//!    the minor version of the image's tag when the machine has it, else `python3` (and the
//!    environment says so);
//! 2. the base packages: the image's (the default image's when the YAML names none or one the
//!    harness does not know) and the scenario's `python.packages`, installed strictly;
//! 3. the imports of the code and its API modules that are neither standard library nor
//!    provided by the runtime nor importable in the base environment: their packages are added
//!    in a second environment, best effort. A package pip cannot install is remembered with
//!    pip's words, and a run that then cannot import the module fails with
//!    `runtime.missing-module` saying so.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::image::{installable, is_server_module, top_level, DockerImage, DEFAULT_IMAGE};
use super::python::{run_quietly, Interpreter, PythonHost, SetupCommandError, PYTHON_ENV};
use super::RuntimeError;

/// What an integration (or transformer script) needs from Python.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct EnvRequest {
    /// `script.dockerimage`, as written.
    pub image: Option<String>,
    /// The modules the code and the API modules it loads import (dotted names).
    pub imports: BTreeSet<String>,
    /// Modules the runtime or the integration's folder provide (top-level names).
    pub provided: BTreeSet<String>,
    /// Packages the scenario adds (`python: {packages: [...]}`), as pip requirements.
    pub packages: Vec<String>,
}

/// A prepared Python environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PythonEnv {
    /// The interpreter that runs the integration.
    pub python: PathBuf,
    /// Its version, `3.11.7`.
    pub version: String,
    /// The image the environment stands for.
    pub image: String,
    /// The packages installed on top of the interpreter (none when it runs as it is).
    pub packages: Vec<String>,
    /// Packages the code needs that pip could not install, with pip's words.
    pub unavailable: BTreeMap<String, String>,
    /// What differs from the image, for people (`the image asks for Python 3.12; ...`).
    pub notes: Vec<String>,
}

impl PythonEnv {
    /// One line for reports: the Python, the image and the packages.
    pub fn describe(&self) -> String {
        let mut text = format!("Python {} for {}", self.version, self.image);
        if !self.packages.is_empty() {
            text.push_str(&format!(" ({} packages)", self.packages.len()));
        }
        for note in &self.notes {
            text.push_str("; ");
            text.push_str(note);
        }
        text
    }

    /// Why a module cannot be imported here and what to do, for `runtime.missing-module`.
    pub fn missing_module_advice(&self, module: &str) -> String {
        if is_server_module(module) {
            return format!(
                "the integration imports `{module}`, which the server takes from the content repository (Packs/ApiModules/Scripts/{}/): run it with a content root that has it (content_root:, --content-root or ${})",
                top_level(module),
                super::content::ENV
            );
        }
        let Some(package) = installable(module) else {
            return format!(
                "the integration imports `{module}`, which is neither in its folder nor in its Python environment ({}), and no PyPI package can be named so: put the module beside the integration",
                self.describe()
            );
        };
        let mut advice = format!(
            "the integration imports `{module}` (PyPI package `{package}`), which its Python environment ({}) does not have",
            self.describe()
        );
        if let Some(why) = self.unavailable.get(&package) {
            advice.push_str(&format!("; pip could not install `{package}`: {why}"));
        } else if self.packages.is_empty() {
            advice.push_str(&format!(
                "; install `{package}` into the interpreter {PYTHON_ENV} names, or unset {PYTHON_ENV} to let the harness prepare the environment"
            ));
        } else {
            advice.push_str(&format!(
                "; add it to the scenario: `python: {{packages: [{package}]}}`"
            ));
        }
        advice
    }
}

/// The environments prepared in this process, by request.
#[derive(Debug, Default)]
pub(crate) struct Environments {
    prepared: Mutex<HashMap<EnvRequest, Arc<PythonEnv>>>,
    /// One virtualenv is built at a time in this process (others wait for it, then reuse it).
    building: Mutex<()>,
    /// The virtualenvs this process has looked at (to retry what pip could not install once).
    seen: Mutex<BTreeSet<PathBuf>>,
}

/// What the cache folder of a finished virtualenv records.
#[derive(Debug, Serialize, Deserialize)]
struct Marker {
    python: PathBuf,
    packages: Vec<String>,
    unavailable: BTreeMap<String, String>,
}

impl Environments {
    /// The environment for `request`, created on first use. Blocking: call it off the async
    /// workers.
    pub(crate) fn prepare(
        &self,
        host: &PythonHost,
        request: &EnvRequest,
    ) -> Result<Arc<PythonEnv>, RuntimeError> {
        if let Some(env) = self.cached(request) {
            return Ok(env);
        }
        let env = Arc::new(self.build(host, request)?);
        self.prepared
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(request.clone(), Arc::clone(&env));
        Ok(env)
    }

    fn cached(&self, request: &EnvRequest) -> Option<Arc<PythonEnv>> {
        let prepared = self.prepared.lock().unwrap_or_else(|p| p.into_inner());
        prepared.get(request).cloned()
    }

    fn build(&self, host: &PythonHost, request: &EnvRequest) -> Result<PythonEnv, RuntimeError> {
        let named = request.image.as_deref().and_then(DockerImage::parse);
        let image = named.clone().unwrap_or(DockerImage {
            repository: DEFAULT_IMAGE.to_owned(),
            tag: String::new(),
            python: None,
        });
        let mut notes = Vec::new();
        if host.pinned() {
            let base = host.base();
            if !request.packages.is_empty() {
                return Err(RuntimeError::Setup {
                    step: "the scenario's python.packages".into(),
                    detail: format!(
                        "the scenario needs {}, but {PYTHON_ENV} names {}, which the harness runs as it is: install them into it, or unset {PYTHON_ENV} to let the harness prepare the environment",
                        request.packages.join(", "),
                        base.path.display()
                    ),
                });
            }
            if let Some((major, minor)) = image.python {
                if base.version[..2] != [major, minor] {
                    notes.push(format!(
                        "{image} asks for Python {major}.{minor}; {PYTHON_ENV} names {}",
                        base.version_text()
                    ));
                }
            }
            notes.push(format!("{PYTHON_ENV} runs it as it is"));
            return Ok(PythonEnv {
                python: base.path.clone(),
                version: base.version_text(),
                image: image.to_string(),
                packages: Vec::new(),
                unavailable: BTreeMap::new(),
                notes,
            });
        }
        let interpreter = match image.python {
            Some(minor) => host.find(minor).unwrap_or_else(|| {
                notes.push(format!(
                    "{image} asks for Python {}.{}, which this machine lacks, so {} runs it",
                    minor.0,
                    minor.1,
                    host.base().version_text()
                ));
                host.base().clone()
            }),
            None => host.base().clone(),
        };
        if !interpreter.can_venv {
            return Err(RuntimeError::Setup {
                step: "creating a virtualenv".into(),
                detail: format!(
                    "{} cannot create virtualenvs (no `venv` / `ensurepip` module); install python3-venv or set {PYTHON_ENV} to an interpreter that has the integration's packages",
                    interpreter.path.display()
                ),
            });
        }
        let base_packages: Vec<String> = match image.packages() {
            Some(packages) => packages.into_iter().map(str::to_owned).collect(),
            None => {
                notes.push(format!(
                    "the harness does not know what {image} installs, so it uses {DEFAULT_IMAGE}'s packages"
                ));
                default_packages()
            }
        };
        let mut required = base_packages;
        required.extend(request.packages.iter().cloned());
        required.sort();
        required.dedup();
        let base = self.venv(host, &interpreter, &required, &[], None)?;
        let needed: Vec<&String> = request
            .imports
            .iter()
            .filter(|module| {
                let top = top_level(module);
                !interpreter.stdlib.contains(top) && !request.provided.contains(top)
            })
            .collect();
        let missing = importable(&base.python, &needed)?;
        let mut extra: Vec<String> = missing.iter().filter_map(|m| installable(m)).collect();
        let (venv, python) = if extra.is_empty() {
            (base.marker, base.python)
        } else {
            extra.sort();
            extra.dedup();
            extra.retain(|p| !required.contains(p));
            let base_dir = base
                .python
                .parent()
                .and_then(Path::parent)
                .map(Path::to_path_buf);
            let derived = self.venv(host, &interpreter, &required, &extra, base_dir.as_deref())?;
            (derived.marker, derived.python)
        };
        Ok(PythonEnv {
            python,
            version: interpreter.version_text(),
            image: named.map_or_else(
                || format!("{DEFAULT_IMAGE} (the YAML names no image)"),
                |i| i.to_string(),
            ),
            packages: venv.packages,
            unavailable: venv.unavailable,
            notes,
        })
    }

    /// The virtualenv of `interpreter` with `required` (strict) and `extra` (best effort);
    /// `base`, a finished virtualenv with `required`, is copied instead of installing again.
    fn venv(
        &self,
        host: &PythonHost,
        interpreter: &Interpreter,
        required: &[String],
        extra: &[String],
        base: Option<&Path>,
    ) -> Result<Venv, RuntimeError> {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (&interpreter.path, interpreter.version, required, extra).hash(&mut hasher);
        let [major, minor, _] = interpreter.version;
        let dir = host
            .cache()
            .join("venvs")
            .join(format!("py{major}.{minor}-{:016x}", hasher.finish()));
        let python = dir.join("bin").join("python");
        let retry = |marker: &Marker| !marker.unavailable.is_empty() && self.first_look(&dir);
        match read_marker(&dir) {
            Some(marker) if !retry(&marker) => return Ok(Venv { python, marker }),
            _ => {}
        }
        let _one_at_a_time = self.building.lock().unwrap_or_else(|p| p.into_inner());
        // Other processes (test binaries, CI shards) build the same folder: one at a time.
        let lock = lock_file(&dir)?;
        if let Some(mut marker) = read_marker(&dir) {
            // What pip could not install last time may have been a network failure: ask once
            // more in each process that needs it.
            if !marker.unavailable.is_empty() {
                retry_unavailable(&dir, &python, &mut marker)?;
            }
            return Ok(Venv { python, marker });
        }
        let began = Instant::now();
        match base {
            Some(base) => eprintln!(
                "xsoar-harness: adding {} to a copy of {} in {} (once)",
                extra.join(", "),
                base.display(),
                dir.display()
            ),
            None => eprintln!(
                "xsoar-harness: preparing a Python {} environment with {} in {} (once)",
                interpreter.version_text(),
                required.join(", "),
                dir.display()
            ),
        }
        let marker = create_venv(&dir, interpreter, required, extra, base)?;
        eprintln!(
            "xsoar-harness: the environment took {:.1}s",
            began.elapsed().as_secs_f64()
        );
        drop(lock);
        Ok(Venv { python, marker })
    }
}

impl Environments {
    /// Whether this process looks at `dir` for the first time.
    fn first_look(&self, dir: &Path) -> bool {
        self.seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(dir.to_owned())
    }
}

/// Installs again what pip could not install into the virtualenv, and records the result.
fn retry_unavailable(dir: &Path, python: &Path, marker: &mut Marker) -> Result<(), RuntimeError> {
    let packages: Vec<String> = marker.unavailable.keys().cloned().collect();
    for package in packages {
        if pip_install(python, std::slice::from_ref(&package), Source::WheelsOnly).is_ok() {
            marker.unavailable.remove(&package);
            marker.packages.push(package);
        }
    }
    write_marker(dir, marker)
}

fn write_marker(dir: &Path, marker: &Marker) -> Result<(), RuntimeError> {
    let text = serde_json::to_string_pretty(marker)
        .map_err(|e| RuntimeError::io("record the virtualenv", std::io::Error::other(e)))?;
    std::fs::write(dir.join(".complete"), text)
        .map_err(|e| RuntimeError::io("record the virtualenv", e))
}

/// Where pip may take packages from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// Wheels and source archives: the image's packages and the scenario's own.
    Any,
    /// Wheels only, so that installing runs no code of the package: what the harness guesses
    /// from import names.
    WheelsOnly,
}

/// The packages of the default image.
fn default_packages() -> Vec<String> {
    DockerImage::parse(DEFAULT_IMAGE)
        .and_then(|image| image.packages())
        .unwrap_or_default()
        .into_iter()
        .map(str::to_owned)
        .collect()
}

struct Venv {
    python: PathBuf,
    marker: Marker,
}

fn read_marker(dir: &Path) -> Option<Marker> {
    let text = std::fs::read_to_string(dir.join(".complete")).ok()?;
    let marker: Marker = serde_json::from_str(&text).ok()?;
    dir.join("bin").join("python").exists().then_some(marker)
}

/// An exclusive lock on `<dir>.lock`, held while the folder is built.
fn lock_file(dir: &Path) -> Result<std::fs::File, RuntimeError> {
    let parent = dir.parent().unwrap_or(dir);
    std::fs::create_dir_all(parent).map_err(|e| RuntimeError::io("create the venv folder", e))?;
    let mut name = dir.as_os_str().to_owned();
    name.push(".lock");
    let file = std::fs::File::create(PathBuf::from(name))
        .map_err(|e| RuntimeError::io("create the venv lock", e))?;
    file.lock()
        .map_err(|e| RuntimeError::io("lock the venv folder", e))?;
    Ok(file)
}

/// Builds the virtualenv beside `dir` (from a copy of `base` when given) and moves it into
/// place. Called with the folder's lock held: whatever else is beside it was left by a run
/// that stopped half-way, and goes; so does this run's own staging folder when it fails.
fn create_venv(
    dir: &Path,
    interpreter: &Interpreter,
    required: &[String],
    extra: &[String],
    base: Option<&Path>,
) -> Result<Marker, RuntimeError> {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let parent = dir.parent().unwrap_or(dir);
    let remove = |path: &Path| {
        std::fs::remove_dir_all(path)
            .map_err(|e| RuntimeError::io("remove a half-built virtualenv", e))
    };
    for entry in
        std::fs::read_dir(parent).map_err(|e| RuntimeError::io("list the venv folder", e))?
    {
        let entry = entry.map_err(|e| RuntimeError::io("list the venv folder", e))?;
        let stale = entry
            .file_name()
            .to_string_lossy()
            .starts_with(&format!("{name}.staging-"));
        if stale {
            remove(&entry.path())?;
        }
    }
    if dir.exists() {
        remove(dir)?;
    }
    let staging = parent.join(format!("{name}.staging-{}", std::process::id()));
    let built = build_venv(&staging, interpreter, required, extra, base).and_then(|marker| {
        std::fs::rename(&staging, dir)
            .map_err(|e| RuntimeError::io("move the virtualenv", e))
            .map(|()| marker)
    });
    if built.is_err() && staging.exists() {
        remove(&staging)?;
    }
    built
}

/// Creates the virtualenv in `staging` and records it there.
fn build_venv(
    staging: &Path,
    interpreter: &Interpreter,
    required: &[String],
    extra: &[String],
    base: Option<&Path>,
) -> Result<Marker, RuntimeError> {
    let python = staging.join("bin").join("python");
    match base {
        // Its packages are installed already: copying takes a fraction of a second.
        Some(base) => {
            copy_tree(base, staging).map_err(|e| RuntimeError::io("copy the base virtualenv", e))?
        }
        None => {
            run_setup(
                Command::new(&interpreter.path)
                    .arg("-m")
                    .arg("venv")
                    .arg(staging),
                "python -m venv",
            )?;
            pip_install(&python, required, Source::Any).map_err(|source| {
                RuntimeError::SetupCommand {
                    step: format!("pip install {}", required.join(" ")),
                    source,
                }
            })?;
        }
    }
    let mut installed = required.to_vec();
    let mut unavailable = BTreeMap::new();
    if !extra.is_empty() && pip_install(&python, extra, Source::WheelsOnly).is_err() {
        // One package pip cannot find must not cost the others: try them one by one.
        for package in extra {
            match pip_install(&python, std::slice::from_ref(package), Source::WheelsOnly) {
                Ok(()) => installed.push(package.clone()),
                Err(why) => {
                    unavailable.insert(package.clone(), last_line(&why.to_string()));
                }
            }
        }
    } else {
        installed.extend(extra.iter().cloned());
    }
    let marker = Marker {
        python: interpreter.path.clone(),
        packages: installed,
        unavailable,
    };
    write_marker(staging, &marker)?;
    Ok(marker)
}

/// Copies a folder, keeping symbolic links as links (a virtualenv's `bin/python`).
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type()?;
        if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&source)?, &target)?;
        } else if kind.is_dir() {
            copy_tree(&source, &target)?;
        } else if entry.file_name() != ".complete" {
            std::fs::copy(&source, &target)?;
        }
    }
    Ok(())
}

fn pip_install(
    python: &Path,
    packages: &[String],
    source: Source,
) -> Result<(), SetupCommandError> {
    run_quietly(
        Command::new(python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-input",
            ])
            .args(match source {
                Source::WheelsOnly => &["--only-binary", ":all:"][..],
                Source::Any => &[],
            })
            .args(packages),
    )
}

fn last_line(text: &str) -> String {
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("pip failed without a message")
        .trim()
        .to_owned()
}

/// The modules that `python` cannot import, looked up with `find_spec` (which imports the
/// parent package of a dotted name, not the module itself).
fn importable(python: &Path, modules: &[&String]) -> Result<Vec<String>, RuntimeError> {
    if modules.is_empty() {
        return Ok(Vec::new());
    }
    const PROBE: &str = r#"import importlib.util, json, sys
missing = []
for name in json.loads(sys.argv[1]):
    try:
        found = importlib.util.find_spec(name) is not None
    except Exception:
        found = False
    if not found:
        missing.append(name)
print(json.dumps(missing))
"#;
    let names = serde_json::to_string(modules)
        .map_err(|e| RuntimeError::io("list the imports", std::io::Error::other(e)))?;
    let output = Command::new(python)
        .args(["-c", PROBE, &names])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| RuntimeError::io("look up the integration's imports", e))?;
    serde_json::from_slice(&output.stdout).map_err(|_| RuntimeError::Setup {
        step: "looking up the integration's imports".into(),
        detail: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
    })
}

fn run_setup(command: &mut Command, step: &str) -> Result<(), RuntimeError> {
    run_quietly(command).map_err(|source| RuntimeError::SetupCommand {
        step: step.to_owned(),
        source,
    })
}
