//! Exploration figures: cases per second on each base of the reference integrations, and the
//! time `explore` takes to find and shrink each broken mirroring variant.
//!
//! `cargo bench -p xsoar-harness --bench explore` (`CASES` sets the cases per base, 40 by
//! default). Prints figures; asserts nothing about time.

#[path = "../tests/support/mod.rs"]
mod support;

use support::explore::{base_text, config, variant_name, BASES, VARIANTS};
use support::Tree;
use xsoar_harness::explore::{explore, Exploration};
use xsoar_harness::runtime::{PythonHost, Runtime};
use xsoar_harness::Harness;

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    let cases: u32 = std::env::var("CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(40);
    let harness = Harness::new(Runtime::new(PythonHost::discover()?));
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let tree = Tree::new("explore-bench", &[]);
    let run = |name: &str, text: &str, cases: u32| -> Result<Exploration, Error> {
        let config = config(&tree, name, text, cases);
        Ok(tokio.block_on(explore(&harness, &config, &mut |_| {}))?)
    };
    for base in BASES {
        let found = run(
            base.trim_end_matches(".yaml"),
            &base_text(base, None),
            cases,
        )?;
        println!(
            "{base}: {} cases in {:.1} s, {:.1} cases/s{}",
            found.cases,
            found.wall.as_secs_f64(),
            f64::from(found.cases) / found.wall.as_secs_f64().max(f64::EPSILON),
            match &found.finding {
                Some(finding) => format!(", FOUND {}", finding.rule.id()),
                None => String::new(),
            }
        );
    }
    for &(base, code, rules) in VARIANTS {
        let name = variant_name(base, code);
        let found = run(&name, &base_text(base, code), 80)?;
        match found.finding {
            Some(finding) => println!(
                "{name}: {} after {} cases, found and shrunk to {} steps in {:.2} s{}",
                finding.rule.id(),
                found.cases.max(1),
                finding.steps,
                found.wall.as_secs_f64(),
                if rules.contains(&finding.rule) {
                    ""
                } else {
                    " (EXPECTED ANOTHER RULE)"
                }
            ),
            None => println!("{name}: NOT FOUND in {} cases", found.cases),
        }
    }
    Ok(())
}
