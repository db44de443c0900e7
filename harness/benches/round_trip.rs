//! Speed figures: the median command round trip (harness -> integration process -> mock
//! vendor -> back) and the wall time of the whole IAM suite.
//!
//! `cargo bench -p xsoar-harness --bench round_trip` (set `ROUND_TRIPS` to change the sample).
//! Prints figures; asserts nothing about time.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use xsoar_harness::runtime::{PythonEnv, Runtime};
use xsoar_harness::scenario::{self, Scenario};
use xsoar_harness::Harness;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let scenarios = workspace.join("scenarios");
    let samples: usize = std::env::var("ROUND_TRIPS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(30);
    let harness = Harness::new(Runtime::new(PythonEnv::prepare()?));
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;

    // One get-user step: a fresh integration process, one lookup at the mock vendor.
    let probe = Scenario::load(&scenarios.join("iam/get-user-found.yaml"), &scenarios)?;
    let mut round_trips = Vec::with_capacity(samples);
    for _ in 0..samples {
        let outcome = tokio.block_on(harness.run(&probe))?;
        round_trips.extend(
            outcome
                .steps
                .iter()
                .flat_map(|s| &s.runs)
                .map(|r| r.run.wall),
        );
    }
    round_trips.sort();
    println!(
        "command round trip (cold process, {} samples): median {:.1} ms, p90 {:.1} ms, min {:.1} ms",
        round_trips.len(),
        ms(percentile(&round_trips, 50)),
        ms(percentile(&round_trips, 90)),
        ms(round_trips[0]),
    );

    let files: Vec<PathBuf> = scenario::discover(&scenarios.join("iam"))?;
    let began = Instant::now();
    let suite = tokio.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for file in files {
            let (harness, root) = (harness.clone(), scenarios.clone());
            set.spawn(async move {
                let scenario = Scenario::load(&file, &root).map_err(|e| e.to_string())?;
                harness
                    .run(&scenario)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            });
        }
        let mut count = 0;
        while let Some(done) = set.join_next().await {
            done.map_err(|e| e.to_string())??;
            count += 1;
        }
        Ok::<usize, String>(count)
    })?;
    println!(
        "IAM suite: {suite} scenarios in {:.2} s wall",
        began.elapsed().as_secs_f64()
    );
    Ok(())
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    sorted[(sorted.len() - 1) * p / 100]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
