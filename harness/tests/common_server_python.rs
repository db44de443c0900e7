//! The built-in CommonServerPython hands `from CommonServerPython import *` the modules the
//! server's does, no more and no fewer: an integration that works here works on the server
//! (e.g. Okta_IAM uses `dateparser` without importing it), and one that would fail there with
//! a NameError fails here too.

mod support;

use support::Tree;

const YAML: &str = "commonfields: {id: Exports, version: -1}
name: Exports
script: {script: '-', type: python, subtype: python3}
";

const CODE: &str = "import types as _types
import demistomock as demisto
from CommonServerPython import *

exported = sorted(k for k, v in globals().items()
                  if not k.startswith('_') and isinstance(v, _types.ModuleType))
demisto.results({'Type': 1, 'ContentsFormat': 'json', 'Contents': {
    'modules': exported,
    'dateparser': dateparser.parse('2024-01-02T03:04:05Z').isoformat(),
    'LooseVersion': LooseVersion('1.10') > LooseVersion('1.9'),
    'names': [name for name in ('ET', 'randint', 'OrderedDict', 'datetime', 'timedelta', 'timezone',
                                'abstractmethod', 'Lock', 'wraps', 'currentframe', 'HTTPAdapter', 'Retry',
                                'Any', 'Dict', 'List', 'Optional', 'Union', 'Set', 'cast', 'demisto')
              if name in globals()],
}})
";

#[test]
fn the_star_import_exports_the_servers_modules() {
    let tree = Tree::new(
        "csp-exports",
        &[
            ("integration/Exports/Exports.yml", YAML),
            ("integration/Exports/Exports.py", CODE),
            (
                "scenarios/exports.yaml",
                "description: d\nintegration:\n  yaml: ../integration/Exports/Exports.yml\nsteps:\n  - command: test-module\n",
            ),
        ],
    );
    let outcome = tree.run("exports.yaml").expect("the scenario runs");
    let run = &outcome.steps[0].runs[0].run;
    let contents = run
        .entries
        .first()
        .map(|e| e["Contents"].clone())
        .unwrap_or_else(|| panic!("{:?}\n{}", run.end, run.stderr));
    // Modules the server's CommonServerPython imports at module level, and only those:
    // `dateparser` is imported on first use (it is slow to import), so it is no module object.
    let modules: Vec<&str> = contents["modules"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|m| m.as_str())
        .collect();
    assert_eq!(
        modules,
        [
            "ET",
            "base64",
            "binascii",
            "demisto",
            "gc",
            "gzip",
            "json",
            "logging",
            "os",
            "re",
            "requests",
            "socket",
            "ssl",
            "sys",
            "time",
            "traceback",
            "types",
            "urllib",
            "warnings"
        ]
    );
    assert_eq!(contents["dateparser"], "2024-01-02T03:04:05+00:00");
    assert_eq!(contents["LooseVersion"], true);
    assert_eq!(
        contents["names"].as_array().map(Vec::len),
        Some(20),
        "{contents}"
    );
}
