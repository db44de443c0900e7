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

/// The environment variable naming a content checkout.
pub const ENV: &str = "XSOAR_CONTENT_ROOT";

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

    /// The module folders an integration with this code needs: CommonServerPython,
    /// CommonServerUserPython when present, and every API module the code imports (and the
    /// API modules those import).
    pub fn search_path(&self, code: &str) -> Vec<PathBuf> {
        let scripts = self.root.join("Packs/Base/Scripts");
        let mut path = vec![scripts.join("CommonServerPython")];
        let user = scripts.join("CommonServerUserPython");
        if user.join("CommonServerUserPython.py").is_file() {
            path.push(user);
        }
        let modules_dir = self.root.join("Packs/ApiModules/Scripts");
        let mut seen = BTreeSet::new();
        let mut pending = imported_api_modules(code);
        while let Some(module) = pending.pop() {
            let dir = modules_dir.join(&module);
            let file = dir.join(format!("{module}.py"));
            if !seen.insert(module) || !file.is_file() {
                continue;
            }
            if let Ok(text) = std::fs::read_to_string(&file) {
                pending.extend(imported_api_modules(&text));
            }
            path.push(dir);
        }
        path
    }
}

/// The API modules (`*ApiModule`) that code imports.
///
/// ```
/// use xsoar_harness::runtime::content::imported_api_modules;
/// let code = "from CommonServerPython import *\nfrom IAMApiModule import *  # noqa\nimport MicrosoftApiModule\n";
/// assert_eq!(imported_api_modules(code), vec!["IAMApiModule", "MicrosoftApiModule"]);
/// ```
pub fn imported_api_modules(code: &str) -> Vec<String> {
    code.lines()
        .filter_map(|line| {
            let line = line.trim_start();
            let rest = line
                .strip_prefix("from ")
                .or_else(|| line.strip_prefix("import "))?;
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            name.ends_with("ApiModule").then_some(name)
        })
        .collect()
}
