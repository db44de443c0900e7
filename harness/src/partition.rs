//! Shards of a scenario list, for spreading one suite over several CI jobs: `count:M/N` and
//! `hash:M/N`, as cargo-nextest spells them.
//!
//! `count:M/N` takes every Nth scenario of the list sorted by relative path, starting at the
//! Mth (M counts from 1): a scenario's shard depends on the others listed. `hash:M/N` takes
//! the scenarios whose [`stable_hash`] of their relative path leaves M - 1 divided by N: a
//! scenario stays in its shard when others come or go. Either way the N shards 1/N..N/N
//! together take every scenario exactly once.

use std::fmt;
use std::str::FromStr;

/// One shard of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partition {
    /// `count:M/N`: by place in the sorted list.
    Count(Shard),
    /// `hash:M/N`: by the [`stable_hash`] of the relative path.
    Hash(Shard),
}

/// Shard M of N, with 1 <= M <= N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    number: u64,
    total: u64,
}

impl Shard {
    /// Shard `number` of `total`; `None` unless 1 <= number <= total.
    pub fn new(number: u64, total: u64) -> Option<Self> {
        (1..=total)
            .contains(&number)
            .then_some(Self { number, total })
    }

    /// M, from 1.
    pub fn number(self) -> u64 {
        self.number
    }

    /// N.
    pub fn total(self) -> u64 {
        self.total
    }

    /// Whether `value` (a place or a hash) belongs to this shard.
    fn takes(self, value: u64) -> bool {
        value % self.total == self.number - 1
    }
}

impl Partition {
    /// Whether the scenario at `place` (from 0) of the list sorted by relative path, with
    /// that `relative_path` (`/`-separated, e.g. `iam/create-new-user.yaml`), is in this shard.
    pub fn takes(&self, place: usize, relative_path: &str) -> bool {
        match self {
            // A place always fits in u64 on the targets Rust supports.
            Partition::Count(shard) => shard.takes(place as u64),
            Partition::Hash(shard) => shard.takes(stable_hash(relative_path)),
        }
    }
}

/// FNV-1a, 64 bits, over the UTF-8 bytes of `key`: the same number on every machine, Rust
/// version and run (unlike std's `DefaultHasher`), so a `hash:` shard is the same everywhere.
pub fn stable_hash(key: &str) -> u64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    key.bytes().fold(OFFSET_BASIS, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(PRIME)
    })
}

/// A partition that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected hash:M/N or count:M/N with 1 <= M <= N, found `{found}` ({why})")]
pub struct PartitionError {
    found: String,
    why: &'static str,
}

impl FromStr for Partition {
    type Err = PartitionError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = |why| PartitionError {
            found: text.to_owned(),
            why,
        };
        let (kind, shard) = text
            .split_once(':')
            .ok_or_else(|| error("no `hash:` or `count:` before M/N"))?;
        let kind = match kind {
            "hash" => Partition::Hash,
            "count" => Partition::Count,
            _ => return Err(error("the kind is `hash` or `count`")),
        };
        let (m, n) = shard
            .split_once('/')
            .ok_or_else(|| error("no `/` between M and N"))?;
        let whole = |digits: &str| {
            // Digits only: `parse` would also take a leading `+`.
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(error("M and N are whole numbers"));
            }
            digits
                .parse::<u64>()
                .map_err(|_| error("the number is too large"))
        };
        let (m, n) = (whole(m)?, whole(n)?);
        if n == 0 {
            return Err(error("N is at least 1"));
        }
        let shard = Shard::new(m, n).ok_or_else(|| error("M is from 1 to N"))?;
        Ok(kind(shard))
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, shard) = match self {
            Partition::Count(shard) => ("count", shard),
            Partition::Hash(shard) => ("hash", shard),
        };
        write!(f, "{kind}:{}/{}", shard.number, shard.total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_read_and_print_the_same() {
        for text in ["hash:1/3", "count:3/3", "hash:1/1", "count:2/5"] {
            let partition: Partition = text.parse().expect("a partition");
            assert_eq!(partition.to_string(), text);
        }
        assert_eq!(
            "count:2/5".parse(),
            Ok(Partition::Count(Shard::new(2, 5).expect("a shard")))
        );
    }

    #[test]
    fn bad_partitions_say_what_is_expected_and_what_was_found() {
        let cases = [
            ("", "no `hash:` or `count:` before M/N"),
            ("hash", "no `hash:` or `count:` before M/N"),
            ("hash:1", "no `/` between M and N"),
            ("hash:0/3", "M is from 1 to N"),
            ("hash:4/3", "M is from 1 to N"),
            ("count:1/0", "N is at least 1"),
            ("count:a/3", "M and N are whole numbers"),
            ("count:+1/3", "M and N are whole numbers"),
            ("count:1/", "M and N are whole numbers"),
            ("count:-1/3", "M and N are whole numbers"),
            ("count:1/99999999999999999999", "the number is too large"),
            ("slice:1/3", "the kind is `hash` or `count`"),
            ("slice:x", "the kind is `hash` or `count`"),
            ("Hash:1/3", "the kind is `hash` or `count`"),
        ];
        for (text, why) in cases {
            let error = text.parse::<Partition>().expect_err(text).to_string();
            assert_eq!(
                error,
                format!("expected hash:M/N or count:M/N with 1 <= M <= N, found `{text}` ({why})")
            );
        }
    }

    #[test]
    fn the_hash_is_fnv_1a_64() {
        // The published test vectors of FNV-1a 64.
        assert_eq!(stable_hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(stable_hash("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(stable_hash("foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn every_place_is_in_exactly_one_shard() {
        for total in 1..=7 {
            for place in 0..50 {
                let path = format!("area/scenario-{place}.yaml");
                for kind in [Partition::Count, Partition::Hash] {
                    let shards = (1..=total)
                        .filter_map(|m| Shard::new(m, total))
                        .filter(|&shard| kind(shard).takes(place, &path))
                        .count();
                    assert_eq!(shards, 1, "{path} in {total} shards");
                }
            }
        }
    }
}
