//! A tiny deterministic generator for vendor ids and tokens.
//!
//! Ids must repeat from run to run (the same scenario gives the same
//! snapshots), so each vendor instance owns generators with fixed seeds and
//! restarts them on reset. SplitMix64 is plenty for that and needs no crate.

const ALPHANUMERIC: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A SplitMix64 stream.
#[derive(Clone, Debug)]
pub(crate) struct Prng {
    state: u64,
}

impl Prng {
    /// A stream starting from `seed`; equal seeds give equal streams.
    pub(crate) const fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// `len` characters from `[0-9A-Za-z]`.
    pub(crate) fn alphanumeric(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| {
                // The modulo bias over 2^64 values is far too small to matter here.
                let index = (self.next_u64() % ALPHANUMERIC.len() as u64) as usize;
                char::from(ALPHANUMERIC[index])
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_seeds_give_equal_streams() {
        let mut a = Prng::new(7);
        let mut b = Prng::new(7);
        assert_eq!(a.alphanumeric(17), b.alphanumeric(17));
        assert_ne!(a.alphanumeric(17), Prng::new(8).alphanumeric(17));
    }

    #[test]
    fn alphanumeric_has_the_requested_shape() {
        let text = Prng::new(1).alphanumeric(22);
        assert_eq!(text.len(), 22);
        assert!(text.bytes().all(|b| b.is_ascii_alphanumeric()));
    }
}
