//! Content-root mode: a checkout of the XSOAR content repository supplies CommonServerPython,
//! CommonServerUserPython and the API modules an integration imports, the way the server uses
//! the content it ships, instead of the built-in ones. The runner and `demistomock` stay ours:
//! they speak the protocol.
//!
//! ```text
//! <root>/Packs/Base/Scripts/CommonServerPython/CommonServerPython.py
//! <root>/Packs/Base/Scripts/CommonServerUserPython/CommonServerUserPython.py   (optional)
//! <root>/Packs/ApiModules/Scripts/<Name>ApiModule/<Name>ApiModule.py
//! ```

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use super::image::{imported_modules, top_level};

/// The environment variable naming a content checkout.
pub(crate) const ENV: &str = "XSOAR_CONTENT_ROOT";

/// Where the integration's modules come from.
#[derive(Debug, Clone)]
pub enum ModuleSource {
    /// The harness's own CommonServerPython and IAMApiModule.
    BuiltIn,
    /// A content checkout.
    Content(ContentRoot),
}

impl fmt::Display for ModuleSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModuleSource::BuiltIn => f.write_str("built-in"),
            ModuleSource::Content(root) => write!(f, "content root {}", root.root.display()),
        }
    }
}

/// A content checkout.
#[derive(Debug, Clone)]
pub struct ContentRoot {
    root: PathBuf,
}

/// Why a folder is not a usable content checkout.
#[derive(Debug, thiserror::Error)]
#[error("{root} is not a content checkout: {missing} does not exist (expected the layout of the demisto/content repository)")]
pub struct ContentRootError {
    /// The folder given.
    pub root: PathBuf,
    /// The file that was looked for.
    pub missing: PathBuf,
}

impl ContentRoot {
    /// Opens a checkout; it must hold CommonServerPython.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, ContentRootError> {
        let root = root.into();
        let root = std::path::absolute(&root).unwrap_or(root);
        let csp = root.join("Packs/Base/Scripts/CommonServerPython/CommonServerPython.py");
        if !csp.is_file() {
            return Err(ContentRootError { root, missing: csp });
        }
        Ok(Self { root })
    }

    /// The checkout named by `$XSOAR_CONTENT_ROOT`, if set.
    pub fn from_env() -> Option<Result<Self, ContentRootError>> {
        std::env::var_os(ENV)
            .filter(|v| !v.is_empty())
            .map(|v| Self::open(PathBuf::from(v)))
    }

    /// The folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The modules an integration with this code loads from the checkout: CommonServerPython,
    /// CommonServerUserPython when present, and every API module (a module of
    /// `Packs/ApiModules/Scripts/`) the code, CommonServerPython and those modules import.
    pub fn modules(&self, code: &str) -> ContentModules {
        let scripts = self.root.join("Packs/Base/Scripts");
        let mut search_path = vec![scripts.join("CommonServerPython")];
        let user = scripts.join("CommonServerUserPython");
        if user.join("CommonServerUserPython.py").is_file() {
            search_path.push(user);
        }
        let top_levels = |names: &BTreeSet<String>| -> Vec<String> {
            names.iter().map(|m| top_level(m).to_owned()).collect()
        };
        let mut imports = imported_modules(code);
        let mut pending = top_levels(&imports);
        // CommonServerPython imports API modules of its own (DemistoClassApiModule).
        for dir in &search_path {
            let module = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if let Ok(text) = std::fs::read_to_string(dir.join(format!("{module}.py"))) {
                pending.extend(top_levels(&imported_modules(&text)));
            }
        }
        let modules_dir = self.root.join("Packs/ApiModules/Scripts");
        let mut seen = BTreeSet::new();
        while let Some(module) = pending.pop() {
            if !seen.insert(module.clone()) {
                continue;
            }
            let dir = modules_dir.join(&module);
            // Not an API module (or one the checkout lacks: the run reports the ImportError).
            let Ok(text) = std::fs::read_to_string(dir.join(format!("{module}.py"))) else {
                continue;
            };
            let needs = imported_modules(&text);
            pending.extend(top_levels(&needs));
            imports.extend(needs);
            search_path.push(dir);
        }
        ContentModules {
            search_path,
            imports,
        }
    }

    /// The folder of a transformer or filter script named `name` in any pack
    /// (`Packs/*/Scripts/<name>/`), with its YAML and its code (`.py` or `.js`).
    pub fn script(&self, name: &str) -> std::io::Result<Option<ScriptFiles>> {
        let mut folders = Vec::new();
        for pack in std::fs::read_dir(self.root.join("Packs"))? {
            let dir = pack?.path().join("Scripts").join(name);
            if dir.is_dir() {
                folders.push(dir);
            }
        }
        folders.sort();
        Ok(folders.into_iter().find_map(|dir| {
            let yaml = ["yml", "yaml"]
                .iter()
                .map(|ext| dir.join(format!("{name}.{ext}")))
                .find(|p| p.is_file())?;
            let code = ["py", "js"]
                .iter()
                .map(|ext| dir.join(format!("{name}.{ext}")))
                .find(|p| p.is_file());
            Some(ScriptFiles { yaml, code })
        }))
    }
}

/// What an integration loads from a content checkout.
#[derive(Debug, Clone, Default)]
pub struct ContentModules {
    /// The module folders, in search order.
    pub search_path: Vec<PathBuf>,
    /// What the code and the API modules it loads import (dotted names), for its environment.
    pub imports: BTreeSet<String>,
}

/// A script's files in a content checkout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptFiles {
    /// `<Name>.yml`.
    pub yaml: PathBuf,
    /// `<Name>.py` or `<Name>.js`, when the code is not embedded in the YAML.
    pub code: Option<PathBuf>,
}

/// The top-level modules the folders of a module search path provide: their `.py` files and
/// packages (folders with `__init__.py`).
pub(crate) fn provided_modules(search_path: &[PathBuf]) -> BTreeSet<String> {
    let mut provided = BTreeSet::new();
    for dir in search_path {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = path.file_stem().map(|s| s.to_string_lossy().into_owned());
            let module = match name {
                Some(name) if path.extension().is_some_and(|e| e == "py") => name,
                Some(name) if path.join("__init__.py").is_file() => name,
                _ => continue,
            };
            provided.insert(module);
        }
    }
    provided
}
