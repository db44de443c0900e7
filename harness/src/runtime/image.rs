//! What an integration's Docker image gives it: the Python version its tag names, the packages
//! the image installs, and the modules its code imports beyond those.
//!
//! The server runs every Python integration in the image its YAML names (`script.dockerimage`,
//! e.g. `demisto/python3:3.11.10.116949`). The harness builds the closest local equivalent: a
//! virtualenv on the same Python minor version with the image's packages, plus the packages of
//! whatever else the code imports (xsoar-runtime.md §8).

use std::collections::BTreeSet;
use std::fmt;

/// The image integrations run in when their YAML names none: the server's default for Python 3.
pub(crate) const DEFAULT_IMAGE: &str = "demisto/python3";

/// A parsed `script.dockerimage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DockerImage {
    /// The repository, e.g. `demisto/python3`.
    pub repository: String,
    /// The tag, e.g. `3.11.10.116949` (empty when none is given).
    pub tag: String,
    /// The Python minor version the tag names (`3.11.10.116949` -> 3.11).
    pub python: Option<(u32, u32)>,
}

impl DockerImage {
    /// Parses `<repository>[:<tag>]`; `None` for an empty name.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        let (repository, tag) = text.split_once(':').unwrap_or((text, ""));
        Some(Self {
            repository: repository.to_owned(),
            tag: tag.to_owned(),
            python: python_of_tag(tag),
        })
    }

    /// The packages the image installs besides the standard library, when the harness knows
    /// the image.
    pub(crate) fn packages(&self) -> Option<Vec<&'static str>> {
        IMAGE_PACKAGES
            .iter()
            .find(|(repository, _)| *repository == self.repository)
            .map(|(_, added)| PYTHON3.iter().chain(added.iter()).copied().collect())
    }
}

impl fmt::Display for DockerImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.tag.is_empty() {
            f.write_str(&self.repository)
        } else {
            write!(f, "{}:{}", self.repository, self.tag)
        }
    }
}

/// `3.11.10.116949` -> (3, 11): demisto's tags start with the Python version.
fn python_of_tag(tag: &str) -> Option<(u32, u32)> {
    let mut parts = tag.split('.');
    let major: u32 = parts.next()?.parse().ok()?;
    let minor: u32 = parts.next()?.parse().ok()?;
    (major == 3).then_some((major, minor))
}

/// What the common demisto images install (their Pipfiles in demisto/dockerfiles), as pip
/// requirements: the images are built on `demisto/python3`, each adding its own packages.
const IMAGE_PACKAGES: &[(&str, &[&str])] = &[
    ("demisto/python3", &[]),
    ("demisto/python3-deb", &[]),
    ("demisto/crypto", &["cryptography", "pyOpenSSL"]),
    ("demisto/pyjwt3", &["PyJWT", "cryptography"]),
    ("demisto/auth-utils", &["PyJWT", "cryptography", "msal"]),
];

/// What `demisto/python3` installs.
const PYTHON3: &[&str] = &[
    "setuptools",
    "requests[socks]",
    "olefile",
    "python-dateutil",
    "dateparser",
    "pyyaml",
    "funcy",
    "tldextract",
    "more-itertools",
    "defusedxml",
];

/// Import names whose PyPI package is called otherwise, by dotted prefix (the longest wins).
const MODULE_PACKAGES: &[(&str, &str)] = &[
    ("Crypto", "pycryptodome"),
    ("Cryptodome", "pycryptodomex"),
    ("Levenshtein", "python-Levenshtein"),
    ("OpenSSL", "pyOpenSSL"),
    ("PIL", "pillow"),
    ("attr", "attrs"),
    ("bs4", "beautifulsoup4"),
    ("confluent_kafka", "confluent-kafka"),
    ("cv2", "opencv-python"),
    ("dateutil", "python-dateutil"),
    ("dns", "dnspython"),
    ("docx", "python-docx"),
    ("git", "GitPython"),
    ("google.auth", "google-auth"),
    ("google.cloud.bigquery", "google-cloud-bigquery"),
    ("google.cloud.pubsub", "google-cloud-pubsub"),
    ("google.cloud.pubsub_v1", "google-cloud-pubsub"),
    ("google.cloud.storage", "google-cloud-storage"),
    ("google.oauth2", "google-auth"),
    ("google.protobuf", "protobuf"),
    ("googleapiclient", "google-api-python-client"),
    ("jose", "python-jose"),
    ("jwt", "PyJWT"),
    ("kafka", "kafka-python"),
    ("magic", "python-magic"),
    ("markdown", "Markdown"),
    ("more_itertools", "more-itertools"),
    ("nacl", "PyNaCl"),
    ("pptx", "python-pptx"),
    ("psycopg2", "psycopg2-binary"),
    ("pymysql", "PyMySQL"),
    ("requests_ntlm", "requests-ntlm"),
    ("requests_oauthlib", "requests-oauthlib"),
    ("serial", "pyserial"),
    ("sklearn", "scikit-learn"),
    ("slack", "slackclient"),
    ("socks", "PySocks"),
    ("whois", "python-whois"),
    ("yaml", "pyyaml"),
    ("zmq", "pyzmq"),
];

/// The PyPI package that provides an import name (the name itself unless it is one of the
/// known exceptions).
pub(crate) fn package_for_module(module: &str) -> String {
    MODULE_PACKAGES
        .iter()
        .filter(|(prefix, _)| {
            module == *prefix
                || module
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('.'))
        })
        .max_by_key(|(prefix, _)| prefix.len())
        .map_or_else(
            || top_level(module).to_owned(),
            |(_, package)| (*package).to_owned(),
        )
}

/// Modules the XSOAR server or a content checkout provides, never PyPI: the protocol's
/// `demistomock`, CommonServerPython and CommonServerUserPython, and the API modules
/// (`Packs/ApiModules/Scripts/`, named `*ApiModule`, and `IAMModule`).
pub(crate) fn is_server_module(module: &str) -> bool {
    let top = top_level(module);
    matches!(
        top,
        "demistomock" | "CommonServerPython" | "CommonServerUserPython" | "IAMModule"
    ) || top.ends_with("ApiModule")
}

/// The PyPI package the harness may install for an import, or `None` when no package may
/// provide it: a module of the server or the content checkout, or a name no PyPI project can
/// have (PEP 508: a letter or digit first and last, then letters, digits, `.`, `_`, `-`).
pub(crate) fn installable(module: &str) -> Option<String> {
    if is_server_module(module) {
        return None;
    }
    let package = package_for_module(module);
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    let valid = edge(package.chars().next())
        && edge(package.chars().last())
        && package
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '[' | ']'));
    valid.then_some(package)
}

/// The absolute imports of Python code: `import a.b, c` gives `a.b` and `c`, `from d.e import f`
/// gives `d.e`; relative imports and `__future__` are left out, and so are lines inside
/// triple-quoted strings (docstrings). Imports inside functions and `try` blocks count too:
/// they are what the code may need.
pub(crate) fn imported_modules(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut in_string: Option<&str> = None;
    for raw in code.lines() {
        let line = raw.trim();
        let opener = in_string;
        in_string = string_state(line, in_string);
        if opener.is_some() {
            continue;
        }
        let line = line.split('#').next().unwrap_or_default().trim();
        if let Some(rest) = line.strip_prefix("from ") {
            let mut words = rest.split_whitespace();
            if let (Some(module), Some("import")) = (words.next(), words.next()) {
                found.extend(module_name(module));
            }
        } else if let Some(rest) = line.strip_prefix("import ") {
            // Every part is `name` or `name as alias`; anything else is not an import line.
            let parts: Option<Vec<String>> = rest
                .split(',')
                .map(
                    |part| match part.split_whitespace().collect::<Vec<_>>().as_slice() {
                        [name] | [name, "as", _] => module_name(name),
                        _ => None,
                    },
                )
                .collect();
            found.extend(parts.into_iter().flatten());
        }
    }
    found
}

/// Whether a triple-quoted string is open after `line`, given whether one was before it.
fn string_state<'q>(line: &str, mut open: Option<&'q str>) -> Option<&'q str> {
    let mut rest = line;
    loop {
        match open {
            Some(quote) => match rest.find(quote) {
                Some(at) => {
                    rest = &rest[at + 3..];
                    open = None;
                }
                None => return open,
            },
            None => {
                let next = ["\"\"\"", "'''"]
                    .into_iter()
                    .filter_map(|q| rest.find(q).map(|at| (at, q)))
                    .min_by_key(|(at, _)| *at);
                match next {
                    // A comment before the quotes ends the line's code.
                    Some((at, _)) if rest[..at].contains('#') => return None,
                    Some((at, quote)) => {
                        rest = &rest[at + 3..];
                        open = Some(quote);
                    }
                    None => return None,
                }
            }
        }
    }
}

/// A dotted module name, or `None` for a relative import or something that is not a name.
fn module_name(text: &str) -> Option<String> {
    let valid = !text.is_empty()
        && !text.starts_with('.')
        && text != "__future__"
        && text.split('.').all(|part| {
            part.chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
                && part.chars().all(|c| c.is_alphanumeric() || c == '_')
        });
    valid.then(|| text.to_owned())
}

/// The top-level package of a dotted module name.
pub(crate) fn top_level(module: &str) -> &str {
    module.split('.').next().unwrap_or(module)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_modules_and_impossible_names_are_not_installable() {
        assert_eq!(installable("jwt").as_deref(), Some("PyJWT"));
        assert_eq!(installable("MicrosoftApiModule"), None);
        assert_eq!(installable("_private_sdk"), None);
    }

    #[test]
    fn the_image_names_the_python_and_packages_and_imports_map_to_packages() {
        let image = DockerImage::parse("demisto/python3:3.11.10.116949").expect("an image");
        assert_eq!(image.python, Some((3, 11)));
        assert!(image.packages().expect("known").contains(&"dateparser"));

        let code = "import jwt\nfrom dateutil import parser  # noqa\nfrom .local import x\n";
        assert_eq!(
            imported_modules(code).into_iter().collect::<Vec<_>>(),
            ["dateutil", "jwt"]
        );
        assert_eq!(package_for_module("jwt"), "PyJWT");
        assert_eq!(
            package_for_module("google.oauth2.service_account"),
            "google-auth"
        );
        assert_eq!(package_for_module("tldextract"), "tldextract");
    }

    #[test]
    fn tags_name_the_python_version() {
        let image = DockerImage::parse("demisto/python3:3.12.13.10116658").unwrap();
        assert_eq!(image.python, Some((3, 12)));
        assert_eq!(image.to_string(), "demisto/python3:3.12.13.10116658");
        assert_eq!(
            DockerImage::parse("demisto/py3-tools:1.0.0.1")
                .unwrap()
                .python,
            None
        );
        assert_eq!(DockerImage::parse("demisto/python3").unwrap().python, None);
        assert_eq!(DockerImage::parse("  "), None);
    }

    #[test]
    fn imports_are_read_from_every_form() {
        let code = "import os, sys as system\nimport xml.etree.ElementTree as ET\n    from google.oauth2 import service_account\nfrom __future__ import annotations\nfrom . import sibling\ntext = 'import nothing'  # import commented\nfrom typing import (\n    Any,\n)\n\"\"\"Docs:\nimport time. Fails, saying which\nfrom here on\n\"\"\"\nx = 1  # \"\"\" not a string\nimport re\n";
        let found: Vec<String> = imported_modules(code).into_iter().collect();
        assert_eq!(
            found,
            [
                "google.oauth2",
                "os",
                "re",
                "sys",
                "typing",
                "xml.etree.ElementTree"
            ]
        );
    }

    #[test]
    fn packages_follow_the_longest_known_prefix() {
        assert_eq!(package_for_module("yaml"), "pyyaml");
        assert_eq!(package_for_module("yamlish"), "yamlish");
        assert_eq!(
            package_for_module("google.cloud.storage.blob"),
            "google-cloud-storage"
        );
        assert_eq!(package_for_module("dateutil.parser"), "python-dateutil");
        assert_eq!(package_for_module("pkg.sub"), "pkg");
    }
}
