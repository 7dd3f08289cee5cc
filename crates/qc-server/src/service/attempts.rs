//! A limit on wrong enrolment codes, per source and in all: a code has 60 random bits, and this
//! keeps guessing at a few hundred tries an hour instead of a thousand a second. The wrong codes
//! are counted in the store, so station processes sharing one database share the limit too
//! (counted per process, N processes would give an attacker N times the tries).

use std::net::IpAddr;

use qc_domain::Timestamp;

use super::ServiceError;
use crate::storage::Storage;

/// Wrong codes one source may offer per window.
pub const WRONG_CODES_PER_SOURCE: u32 = 10;
/// Wrong codes all sources together may offer per window (an attacker with many addresses
/// can then hold up enrolment for a window, but cannot guess faster).
pub const WRONG_CODES_IN_ALL: u32 = 100;
/// The window, ms: a wrong code counts for this long after it was offered.
pub const WRONG_CODES_WINDOW_MS: i64 = 10 * 60 * 1000;

/// Refuses with [`ServiceError::TooManyAttempts`] when `source`, or all sources together,
/// offered as many wrong codes as allowed within the window before `now`.
pub(super) fn check<S: Storage>(
    storage: &S,
    source: IpAddr,
    now: Timestamp,
) -> Result<(), ServiceError> {
    let since = Timestamp(now.0 - WRONG_CODES_WINDOW_MS);
    let mut wait_ms = None;
    for (from, limit) in [
        (Some(source), WRONG_CODES_PER_SOURCE),
        (None, WRONG_CODES_IN_ALL),
    ] {
        let latest = storage.code_failures(from, since, limit)?;
        // At the limit until the oldest of the latest `limit` leaves the window.
        if latest.len() >= limit as usize
            && let Some(oldest) = latest.last()
        {
            let left = oldest.0 + WRONG_CODES_WINDOW_MS - now.0;
            wait_ms = wait_ms.max(Some(left));
        }
    }
    match wait_ms {
        None => Ok(()),
        // A clock set back leaves failures "from the future": never ask for more than a window.
        Some(ms) => Err(ServiceError::TooManyAttempts {
            retry_after_s: (ms.clamp(1, WRONG_CODES_WINDOW_MS) as u64).div_ceil(1000),
        }),
    }
}

/// Counts a wrong code offered by `source` (and forgets those no window counts any more).
pub(super) fn failed<S: Storage>(
    storage: &S,
    source: IpAddr,
    now: Timestamp,
) -> Result<(), ServiceError> {
    let forget_before = Timestamp(now.0 - WRONG_CODES_WINDOW_MS);
    Ok(storage.add_code_failure(source, now, forget_before)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SqliteStorage;

    const T: Timestamp = Timestamp(1_795_000_000_000);

    fn retry_after<S: Storage>(s: &S, source: IpAddr, now: Timestamp) -> Option<u64> {
        match check(s, source, now) {
            Ok(()) => None,
            Err(ServiceError::TooManyAttempts { retry_after_s }) => Some(retry_after_s),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn a_source_and_all_sources_are_limited_for_a_window() {
        let s = SqliteStorage::temporary().unwrap();
        let one: IpAddr = [10, 0, 0, 1].into();
        let at = |ms: i64| Timestamp(T.0 + ms);
        // One wrong code a second: the window slides, freeing a try as each leaves it.
        for i in 0..i64::from(WRONG_CODES_PER_SOURCE) {
            assert_eq!(retry_after(&s, one, at(i * 1000)), None);
            failed(&s, one, at(i * 1000)).unwrap();
        }
        let last = i64::from(WRONG_CODES_PER_SOURCE) * 1000;
        assert_eq!(
            retry_after(&s, one, at(last)),
            Some((WRONG_CODES_WINDOW_MS / 1000 - last / 1000) as u64)
        );
        assert_eq!(retry_after(&s, one, at(last + 1500)), Some(589));
        assert_eq!(retry_after(&s, [10, 0, 0, 2].into(), at(last)), None);
        assert_eq!(retry_after(&s, one, at(WRONG_CODES_WINDOW_MS - 1)), Some(1));
        assert_eq!(retry_after(&s, one, at(WRONG_CODES_WINDOW_MS)), None);
        let later = at(2 * WRONG_CODES_WINDOW_MS);
        for i in 0..WRONG_CODES_IN_ALL {
            failed(&s, [10, 1, (i / 256) as u8, i as u8].into(), later).unwrap();
        }
        assert_eq!(
            retry_after(&s, [10, 9, 9, 9].into(), later),
            Some((WRONG_CODES_WINDOW_MS / 1000) as u64)
        );
        // A clock set back an hour: asked to wait no longer than a window.
        assert_eq!(
            retry_after(&s, [10, 9, 9, 9].into(), Timestamp(later.0 - 3_600_000)),
            Some((WRONG_CODES_WINDOW_MS / 1000) as u64)
        );
    }
}
