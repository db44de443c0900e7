//! The manifest conformance check against its fixtures and the bundled integrations.
//!
//! Every `tests/fixtures/manifests/*.yml` starts with one `# expect: manifest.<rule>` line per
//! finding it must produce (none for the good ones); its code is the `.py` beside it, or the
//! script embedded in the YAML.

use std::path::{Path, PathBuf};

use xsoar_harness::checks::manifest::{check_manifest, render, Finding};
use xsoar_harness::rules::{ManifestRule, Severity};
use xsoar_harness::Manifest;

const FIXTURES: &str = "tests/fixtures/manifests";

fn crate_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn fixtures() -> Vec<PathBuf> {
    let folder = crate_path(FIXTURES);
    let entries = std::fs::read_dir(&folder)
        .unwrap_or_else(|err| panic!("cannot list {}: {err}", folder.display()));
    let mut found: Vec<PathBuf> = entries
        .map(|entry| entry.expect("a readable directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yml"))
        .collect();
    found.sort();
    found
}

/// The rule ids of the leading `# expect:` lines, sorted.
fn expected_ids(text: &str) -> Vec<String> {
    let mut ids: Vec<String> = text
        .lines()
        .take_while(|line| line.starts_with('#'))
        .filter_map(|line| line.strip_prefix("# expect:"))
        .map(|id| id.trim().to_owned())
        .collect();
    ids.sort();
    ids
}

/// The findings for the YAML at `path`, with the `.py` beside it as its code when there is one.
fn check_file(path: &Path) -> Vec<Finding> {
    let read = |path: &Path| {
        std::fs::read_to_string(path)
            .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()))
    };
    let code_path = path.with_extension("py");
    let code = code_path.is_file().then(|| read(&code_path));
    let manifest = Manifest::parse(&read(path), path)
        .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    check_manifest(&manifest, code.as_deref())
}

fn name(path: &Path) -> String {
    path.file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
}

#[test]
fn every_fixture_produces_exactly_its_expected_findings() {
    let mut failures = Vec::new();
    for path in fixtures() {
        let text = std::fs::read_to_string(&path).expect("a readable fixture");
        let expected = expected_ids(&text);
        let findings = check_file(&path);
        let mut found: Vec<String> = findings.iter().map(|f| f.rule.id().to_owned()).collect();
        found.sort();
        if found != expected {
            failures.push(format!(
                "{}: expected {expected:?}, found:\n{}",
                name(&path),
                render(&findings)
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn the_good_fixtures_exist_and_expect_nothing() {
    for good in ["good-mirroring.yml", "good-iam.yml"] {
        let path = crate_path(FIXTURES).join(good);
        let text = std::fs::read_to_string(&path).expect("the good fixture");
        assert!(expected_ids(&text).is_empty(), "{good} expects findings");
        let findings = check_file(&path);
        assert!(findings.is_empty(), "{good}:\n{}", render(&findings));
    }
}

#[test]
fn every_rule_has_a_fixture_and_every_expectation_names_a_rule() {
    let mut expected = Vec::new();
    for path in fixtures() {
        let text = std::fs::read_to_string(&path).expect("a readable fixture");
        for id in expected_ids(&text) {
            assert!(
                ManifestRule::from_id(&id).is_some(),
                "{}: unknown rule {id}",
                name(&path)
            );
            expected.push(id);
        }
    }
    let uncovered: Vec<&str> = ManifestRule::ALL
        .iter()
        .map(|rule| rule.id())
        .filter(|id| !expected.iter().any(|e| e == id))
        .collect();
    assert!(
        uncovered.is_empty(),
        "rules without a fixture: {uncovered:?}"
    );
}

#[test]
fn the_bundled_integrations_are_clean() {
    for yaml in [
        "../integrations/OktaIAM/OktaIAM.yml",
        "../integrations/ServiceNowMirror/ServiceNowMirror.yml",
    ] {
        let findings = check_file(&crate_path(yaml));
        assert!(findings.is_empty(), "{yaml}:\n{}", render(&findings));
    }
}

#[test]
fn the_iam_outgoing_mapper_pattern_is_a_note_not_an_error() {
    let findings = check_file(&crate_path(FIXTURES).join("iam-schema-pattern.yml"));
    let severities: Vec<Severity> = findings.iter().map(|f| f.severity).collect();
    assert_eq!(severities, [Severity::Note], "{}", render(&findings));
    assert!(
        findings[0].message.contains("Get Schema"),
        "{}",
        render(&findings)
    );
}

#[test]
fn findings_render_one_line_each_with_rule_path_and_source() {
    let path = crate_path(FIXTURES).join("mirroring-fromversion-5.yml");
    let rendered = render(&check_file(&path));
    assert_eq!(rendered.lines().count(), 1, "{rendered}");
    assert!(
        rendered.starts_with("warning[manifest.mirroring-fromversion] fromversion: "),
        "{rendered}"
    );
    assert!(
        rendered.trim_end().ends_with(&format!(
            "({})",
            ManifestRule::MirroringFromversion.source()
        )),
        "{rendered}"
    );
}
