//! A content integration whose pack classifies and maps with transformer scripts runs the way
//! the server runs it: proven on a small content tree the test writes (no network for the
//! content, no copy of the real repository; see `support/content_pack.rs`).

mod support;

use support::content_pack::{scenario, tree, MIRROR_BOTH_WAYS};
use support::failure_reasons;

#[test]
fn a_pack_with_transformer_scripts_classifies_maps_and_mirrors_both_ways() {
    let tree = tree("content-pack", "SeverityLabel");
    tree.write("scenarios/mirror.yaml", &scenario(true, MIRROR_BOTH_WAYS));
    let outcome = tree.run("mirror.yaml").expect("the scenario runs");
    assert!(
        outcome.verdict.is_pass(),
        "{:#?}\n{}",
        outcome.verdict,
        outcome.snapshot
    );
    assert!(
        outcome.runtime.starts_with("content root"),
        "{}",
        outcome.runtime
    );
    // The classification and the mapper are in the snapshot for reviewers.
    assert!(
        outcome.snapshot.contains("type_from: keyTypeMap"),
        "{}",
        outcome.snapshot
    );
    // Priority 2 no longer passes the filter script: the field is no longer mapped, so it keeps
    // its value from the fetch, as the server keeps fields a mapping leaves out.
    assert!(
        outcome.snapshot.contains("Priority One: \"1\""),
        "{}",
        outcome.snapshot
    );
}

#[test]
fn a_failing_transformer_script_is_a_mapping_failure_naming_the_field() {
    let tree = tree("content-pack-failing", "FailingLabel");
    tree.write("scenarios/failing.yaml", &scenario(true, ""));
    let outcome = tree.run("failing.yaml").expect("the scenario runs");
    let reasons = failure_reasons(&outcome);
    assert_eq!(reasons.len(), 1, "{reasons:#?}");
    assert!(
        reasons[0].contains("[mapper.mapping-failed]"),
        "{reasons:#?}"
    );
    assert!(
        reasons[0].contains(
            "field `Severity Label` (fetch of incident 1): operator `FailingLabel`: the script raised: ValueError: no label for '1'"
        ),
        "{reasons:#?}"
    );
}

#[test]
fn without_the_content_root_the_packs_own_scripts_are_unsupported_and_the_date_ones_native() {
    let tree = tree("content-pack-native", "SeverityLabel");
    tree.write(
        "scenarios/native.yaml",
        &scenario(
            false,
            "  - check:\n      incident: {id: 1, fields: {Opened: \"2024-06-11T10:00:00.000Z\"}}\n",
        ),
    );
    let outcome = tree.run("native.yaml").expect("the scenario runs");
    let reasons = failure_reasons(&outcome);
    let unsupported: Vec<&String> = reasons
        .iter()
        .filter(|r| r.contains("[mapper.unsupported-operator]"))
        .collect();
    assert_eq!(unsupported.len(), 3, "{reasons:#?}");
    for script in ["`SeverityLabel`", "`IsEqualText`", "`JoinLabels`"] {
        assert!(
            unsupported.iter().any(|r| r.contains(script)),
            "{script}: {reasons:#?}"
        );
    }
    assert!(
        unsupported[0].contains("without a content root the harness cannot run the script"),
        "{reasons:#?}"
    );
    // The date chain ran on the native equivalents: its check held.
    assert!(
        !reasons.iter().any(|r| r.contains("scenario.expect")),
        "{reasons:#?}"
    );
}
