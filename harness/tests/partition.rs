//! Choosing scenarios on the bundled `scenarios/` folder: `--filter` globs and `--partition`
//! shards. Nothing runs: these test the list, which is what decides what would run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use xsoar_harness::glob::Glob;
use xsoar_harness::partition::{Partition, Shard};
use xsoar_harness::suite::{ScenarioList, SelectError};

fn scenarios() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios")
}

fn bundled() -> ScenarioList {
    let root = scenarios();
    ScenarioList::discover(&[], &root).expect("the bundled scenarios are listed")
}

#[test]
fn the_shards_of_a_partition_take_every_bundled_scenario_exactly_once() {
    let all = bundled();
    assert!(all.len() > 100, "{} scenarios", all.len());
    for total in [1, 2, 3, 5] {
        for kind in [Partition::Count, Partition::Hash] {
            let mut taken: BTreeMap<PathBuf, u64> = BTreeMap::new();
            let mut sizes = Vec::new();
            for number in 1..=total {
                let shard = Shard::new(number, total).expect("1 <= M <= N");
                let partition = kind(shard);
                let part = all.clone().partition(&partition);
                sizes.push(part.len());
                for file in part.files() {
                    if let Some(before) = taken.insert(file.clone(), number) {
                        panic!(
                            "{partition} takes {} again (shard {before} took it)",
                            file.display()
                        );
                    }
                }
            }
            let kind_name = kind(Shard::new(1, total).expect("a shard"));
            assert_eq!(
                taken.keys().collect::<Vec<_>>(),
                {
                    let mut files: Vec<_> = all.files().iter().collect();
                    files.sort();
                    files
                },
                "{kind_name}: the shards together are the whole list"
            );
            if matches!(kind_name, Partition::Count(_)) {
                // Counting deals the scenarios out like cards: sizes differ by one at most.
                let (min, max) = (sizes.iter().min(), sizes.iter().max());
                assert!(
                    max.zip(min).is_some_and(|(max, min)| max - min <= 1),
                    "{sizes:?}"
                );
            } else if total > 1 {
                // A hash spreads them too, if less evenly.
                assert!(sizes.iter().all(|&size| size > 0), "{kind_name}: {sizes:?}");
            }
        }
    }
}

#[test]
fn count_takes_every_nth_of_the_sorted_list_from_the_mth() {
    let all = bundled();
    let mut sorted: Vec<&String> = all.relative_paths().iter().collect();
    sorted.sort();
    let second_of_three = all
        .clone()
        .partition(&"count:2/3".parse().expect("a partition"));
    let expected: Vec<&String> = sorted.iter().skip(1).step_by(3).copied().collect();
    let mut got: Vec<&String> = second_of_three.relative_paths().iter().collect();
    got.sort();
    assert_eq!(got, expected);
}

#[test]
fn a_hash_shard_does_not_depend_on_the_other_scenarios_listed() {
    let all = bundled();
    let partition: Partition = "hash:2/3".parse().expect("a partition");
    let whole = all.clone().partition(&partition);
    let iam = all
        .filter(&[Glob::new("iam/**")])
        .expect("iam scenarios")
        .partition(&partition);
    let iam_of_whole: Vec<&String> = whole
        .relative_paths()
        .iter()
        .filter(|path| path.starts_with("iam/"))
        .collect();
    assert_eq!(
        iam.relative_paths().iter().collect::<Vec<_>>(),
        iam_of_whole
    );
    assert!(!iam.is_empty());
}

#[test]
fn filters_keep_the_names_any_glob_matches_and_name_a_glob_that_matches_none() {
    let all = bundled();
    let chosen = all
        .clone()
        .filter(&[
            Glob::new("iam/create-*"),
            Glob::new("**/get-mapping-fields"),
        ])
        .expect("both globs match");
    assert!(chosen.names().contains(&"iam/create-new-user".to_owned()));
    assert!(chosen
        .names()
        .contains(&"xsoar-mirroring/get-mapping-fields".to_owned()));
    assert!(chosen
        .names()
        .iter()
        .all(|name| name.starts_with("iam/create-") || name.ends_with("/get-mapping-fields")));
    assert_eq!(chosen.names().len(), chosen.files().len());

    let error = all
        .filter(&[Glob::new("iam/*"), Glob::new("iam/create-new-user.yaml")])
        .expect_err("a glob with .yaml matches no name");
    assert!(
        matches!(&error, SelectError::NoMatch { glob, .. } if glob == "iam/create-new-user.yaml"),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.starts_with("the filter `iam/create-new-user.yaml` matches none of the "),
        "{message}"
    );
}
