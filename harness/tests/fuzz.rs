//! Mutation fuzzing of what the harness reads from outside: scenario files and the lines an
//! integration writes to stdout. Every bundled scenario is cut, spliced and bit-flipped; every
//! mutant must load or fail with an error that starts with the file's path and names a line,
//! in the project's words; no mutant may panic or hang. Protocol lines get the same treatment.
//!
//! `cargo test` runs a short round (a few hundred mutants); `XSOAR_HARNESS_FUZZ=<n>` runs `n`
//! mutants of each seed (for example 10000, in a few minutes).

use std::path::{Path, PathBuf};

use xsoar_harness::runtime::ScriptMessage;
use xsoar_harness::scenario::{self, Scenario};

/// A small deterministic generator (xorshift64*): the same run every time unless the seed
/// changes, so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n.max(1) as u64).unwrap_or(0)
    }
}

/// Fragments that make YAML interesting: structure, tags, anchors, odd scalars.
const FRAGMENTS: &[&str] = &[
    ":",
    "- ",
    "[",
    "]",
    "{",
    "}",
    "\"",
    "'",
    "#",
    "&a ",
    "*a",
    "!!python/object ",
    "!x ",
    "---\n",
    "...\n",
    "\t",
    "\n  ",
    "~",
    "-1",
    "1e999",
    "0x",
    "null",
    "<<: *a",
    "|\n",
    ">-\n",
    "\u{feff}",
    "\u{0}",
    "😀",
    "\\",
    "%YAML 1.1\n",
];

fn mutate(rng: &mut Rng, text: &[u8]) -> Vec<u8> {
    let mut bytes = text.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(5) {
            0 => bytes.truncate(at),
            1 => {
                let fragment = FRAGMENTS[rng.below(FRAGMENTS.len())];
                bytes.splice(at..at, fragment.bytes());
            }
            2 if at < bytes.len() => bytes[at] ^= 1 << rng.below(8),
            3 if at < bytes.len() => {
                let end = (at + rng.below(40)).min(bytes.len());
                bytes.drain(at..end);
            }
            _ => {
                let from = rng.below(text.len());
                let end = (from + rng.below(80)).min(text.len());
                bytes.splice(at..at, text[from..end].iter().copied());
            }
        }
    }
    bytes
}

fn rounds() -> usize {
    std::env::var("XSOAR_HARNESS_FUZZ")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(8)
}

fn seeds() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    scenario::discover(&root).expect("the scenarios").files
}

#[test]
fn mutated_scenarios_load_or_fail_with_a_placed_message_in_our_words() {
    let dir = std::env::temp_dir().join(format!("fuzz-scenarios-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a folder");
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut tried = 0;
    for seed in seeds() {
        let text = std::fs::read(&seed).expect("a seed");
        for _ in 0..rounds() {
            let mutant = mutate(&mut rng, &text);
            let file = dir.join("mutant.yaml");
            std::fs::write(&file, &mutant).expect("write the mutant");
            tried += 1;
            let Err(error) = Scenario::load(&file, &dir) else {
                continue;
            };
            let message = error.to_string();
            let shown = String::from_utf8_lossy(&mutant);
            assert!(
                message.starts_with(&file.display().to_string()),
                "no path in {message:?}\nfor:\n{shown}"
            );
            for word in [
                "serde",
                "saphyr",
                "Options",
                "from_str",
                "budget breached",
                "u64",
            ] {
                assert!(
                    !message.contains(word),
                    "library words ({word}) in {message:?}\nfor:\n{shown}"
                );
            }
        }
    }
    std::fs::remove_dir_all(&dir).expect("clean up");
    assert!(tried > 100, "only {tried} mutants");
}

#[test]
fn mutated_protocol_lines_parse_or_say_why() {
    let lines = [
        r#"{"type":"result","results":[{"Type":1,"Contents":"ok","ContentsFormat":"text"}]}"#,
        r#"{"type":"executeCommand","command":"getIntegrationContext","args":{"refresh":true}}"#,
        r#"{"type":"log","command":"debug","args":{"args":["fetched",3,"incidents"]}}"#,
        r#"{"type":"exception","args":{"exception":"Traceback ...\nValueError: x\n"}}"#,
        r#"{"type":"leftovers","processes":[{"pid":7,"command":"sleep 60"}]}"#,
    ];
    let mut rng = Rng(0x5eed_1234_abcd_0002);
    for line in lines {
        for _ in 0..rounds() * 50 {
            let mutant = mutate(&mut rng, line.as_bytes());
            let text = String::from_utf8_lossy(&mutant);
            if let Err(why) = ScriptMessage::parse(&text) {
                let why = why.to_string();
                assert!(
                    !why.is_empty() && !why.contains("serde"),
                    "{why:?} for {text}"
                );
            }
        }
    }
}
