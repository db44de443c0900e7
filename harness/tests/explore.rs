//! `explore` finds what no hand-written case has to ask: every broken mirroring and IAM variant
//! in `integrations/broken/` is found from a base scenario without steps (`explore/*.yaml`), within
//! a short budget, and shrunk to a scenario of a few steps that breaks the same rule when run on
//! its own; the reference integrations pass the same budget.
//!
//! `XSOAR_HARNESS_EXPLORE_CASES=500 cargo test --release -p xsoar-harness --test explore` runs a
//! long exploration of the reference integrations.

mod support;

use support::explore::{base_text, config, variant_name, BASES, VARIANTS};
use support::{block_on, harness, Tree};
use xsoar_harness::explore::{explore, Exploration};

/// The most steps a shrunk scenario may have: the fetch, a few changes, the quiet period and
/// its settled check.
const FEW_STEPS: usize = 7;

fn run(tree: &Tree, name: &str, text: &str, cases: u32) -> Exploration {
    let config = config(tree, name, text, cases);
    block_on(async { explore(&harness(), &config, &mut |_| {}).await })
        .unwrap_or_else(|e| panic!("{name}: explore could not run: {e}"))
}

#[test]
fn every_broken_integration_variant_is_found_and_shrunk_to_a_few_steps() {
    let tree = Tree::new("explore-variants", &[]);
    let mut wrong = Vec::new();
    for &(base, code, rules) in VARIANTS {
        let name = variant_name(base, code);
        let found = run(&tree, &name, &base_text(base, code), 80);
        match found.finding {
            Some(finding)
                if rules.contains(&finding.rule) && finding.reproduced && finding.steps <= FEW_STEPS =>
            {
                // The shrunk file is an ordinary scenario that fails the same way under `run`.
                let text = std::fs::read_to_string(&finding.scenario).expect("the shrunk scenario");
                assert!(text.starts_with("# Found by `xsoar-harness explore"), "{text}");
            }
            Some(finding) => wrong.push(format!(
                "{name}: found {} (reproduced: {}, {} steps), expected {} in at most {FEW_STEPS} steps: {}",
                finding.rule.id(),
                finding.reproduced,
                finding.steps,
                rules.iter().map(|r| r.id()).collect::<Vec<_>>().join(" or "),
                finding.message
            )),
            None => wrong.push(format!("{name}: nothing found in {} cases", found.cases)),
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_reference_integrations_pass_a_short_exploration() {
    let cases = std::env::var("XSOAR_HARNESS_EXPLORE_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(12);
    let tree = Tree::new("explore-reference", &[]);
    let mut failed = Vec::new();
    for base in BASES {
        let name = base.trim_end_matches(".yaml");
        let found = run(&tree, name, &base_text(base, None), cases);
        if let Some(finding) = found.finding {
            failed.push(format!(
                "{base}: {} in {}: {}",
                finding.rule.id(),
                finding.scenario.display(),
                finding.message
            ));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
