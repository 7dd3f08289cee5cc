//! A limit on wrong enrolment codes, per source and in all: a code has 60 random bits, and this
//! keeps guessing at a few hundred tries an hour instead of a thousand a second.

use std::collections::HashMap;
use std::net::IpAddr;

use qc_domain::Timestamp;

/// Wrong codes one source may offer per window.
pub const WRONG_CODES_PER_SOURCE: u32 = 10;
/// Wrong codes all sources together may offer per window (an attacker with many addresses
/// can then hold up enrolment for a window, but cannot guess faster).
pub const WRONG_CODES_IN_ALL: u32 = 100;
/// The window, ms.
pub const WRONG_CODES_WINDOW_MS: i64 = 10 * 60 * 1000;
/// Sources counted at most: past that, the limit in all still holds and memory stays bounded.
const MAX_SOURCES: usize = 10_000;

/// Wrong codes offered in the current window.
#[derive(Debug, Default)]
pub(super) struct CodeAttempts {
    /// Start of the window, ms.
    since: i64,
    in_all: u32,
    by_source: HashMap<IpAddr, u32>,
}

impl CodeAttempts {
    /// Starts a new window when the current one is over (or the clock went back).
    fn roll(&mut self, now: Timestamp) {
        if now.0 >= self.since + WRONG_CODES_WINDOW_MS || now.0 < self.since {
            *self = CodeAttempts {
                since: now.0,
                ..CodeAttempts::default()
            };
        }
    }

    /// Whether `source` may offer a code now; if not, the seconds until it may.
    pub(super) fn check(&mut self, source: IpAddr, now: Timestamp) -> Result<(), u64> {
        self.roll(now);
        let from_source = self.by_source.get(&source).copied().unwrap_or(0);
        if self.in_all >= WRONG_CODES_IN_ALL || from_source >= WRONG_CODES_PER_SOURCE {
            let left_ms = (self.since + WRONG_CODES_WINDOW_MS - now.0).max(1) as u64;
            return Err(left_ms.div_ceil(1000));
        }
        Ok(())
    }

    /// Counts a wrong code offered by `source`.
    pub(super) fn failed(&mut self, source: IpAddr, now: Timestamp) {
        self.roll(now);
        self.in_all += 1;
        if self.by_source.len() < MAX_SOURCES || self.by_source.contains_key(&source) {
            *self.by_source.entry(source).or_default() += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Timestamp = Timestamp(1_795_000_000_000);

    #[test]
    fn a_source_and_all_sources_are_limited_for_a_window() {
        let mut a = CodeAttempts::default();
        let one: IpAddr = [10, 0, 0, 1].into();
        for _ in 0..WRONG_CODES_PER_SOURCE {
            a.check(one, T).unwrap();
            a.failed(one, T);
        }
        assert_eq!(a.check(one, T), Err((WRONG_CODES_WINDOW_MS / 1000) as u64));
        assert_eq!(a.check(one, Timestamp(T.0 + 1500)), Err(599));
        a.check([10, 0, 0, 2].into(), T).unwrap();
        a.check(one, Timestamp(T.0 + WRONG_CODES_WINDOW_MS))
            .unwrap();
        for i in 0..WRONG_CODES_IN_ALL {
            a.failed(
                [10, 1, (i / 256) as u8, i as u8].into(),
                Timestamp(T.0 + WRONG_CODES_WINDOW_MS),
            );
        }
        assert!(
            a.check([10, 9, 9, 9].into(), Timestamp(T.0 + WRONG_CODES_WINDOW_MS))
                .is_err()
        );
    }
}
