//! Where random bytes come from: the OS in production, a seeded stream in tests.

use sha2::{Digest, Sha256};

/// A source of random bytes (key seeds, salts, nonces, ids).
pub trait Entropy: Send {
    /// Fills `buf` with random bytes.
    fn fill(&mut self, buf: &mut [u8]);
}

/// A fresh random array.
pub fn random<const N: usize>(e: &mut dyn Entropy) -> [u8; N] {
    let mut a = [0u8; N];
    e.fill(&mut a);
    a
}

/// The operating system's generator.
pub struct OsEntropy;

impl Entropy for OsEntropy {
    fn fill(&mut self, buf: &mut [u8]) {
        // Without OS randomness no key can be made safely: stop rather than continue weakly.
        getrandom::fill(buf).unwrap_or_else(|e| panic!("operating system randomness failed: {e}"));
    }
}

/// A deterministic stream (SHA-256 of seed and counter) for tests and reproducible demos.
pub struct SeededEntropy {
    seed: [u8; 32],
    counter: u64,
}

impl SeededEntropy {
    /// A stream from this seed.
    pub fn new(seed: [u8; 32]) -> SeededEntropy {
        SeededEntropy { seed, counter: 0 }
    }
}

impl Entropy for SeededEntropy {
    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(32) {
            let block = Sha256::new()
                .chain_update(self.seed)
                .chain_update(self.counter.to_be_bytes())
                .finalize();
            self.counter += 1;
            chunk.copy_from_slice(&block[..chunk.len()]);
        }
    }
}

/// A random UUID (v4 layout) from an entropy source.
pub fn uuid(e: &mut dyn Entropy) -> String {
    let mut b = [0u8; 16];
    e.fill(&mut b);
    uuid::Builder::from_random_bytes(b).into_uuid().to_string()
}
