//! Every contract rule is only trusted once it has been seen to fail: each one must be the
//! `expect_failure` of at least one bundled scenario (a deliberately broken integration).

use std::collections::HashSet;
use std::path::Path;

use xsoar_harness::rules::Rule;
use xsoar_harness::scenario::{self, Scenario};

#[test]
fn every_rule_has_a_scenario_that_proves_it_can_fail() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut proven = HashSet::new();
    for file in scenario::discover(&root)
        .expect("the scenarios folder")
        .files
    {
        let scenario = Scenario::load(&file, &root).expect("bundled scenarios parse");
        if let Some(expected) = scenario.spec.expect_failure {
            proven.insert(expected.rule.value);
        }
    }
    let unproven: Vec<&str> = Rule::ALL
        .iter()
        .filter(|rule| !matches!(rule, Rule::ScenarioExpect | Rule::ScenarioStep))
        .filter(|rule| !proven.contains(*rule))
        .map(|rule| rule.id())
        .collect();
    assert!(
        unproven.is_empty(),
        "rules no scenario proves: {unproven:?}"
    );
}
