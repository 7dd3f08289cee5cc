//! Time as the procedure counts it: instants in UTC, deadlines in calendar days of China Standard Time.

use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime, UtcOffset};

/// Beijing time (UTC+8), the offset in which legal day counts are made.
pub const CHINA_OFFSET: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(o) => o,
    Err(_) => panic!("UTC+8 is a valid offset"),
};

/// An instant, in milliseconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The instant as an offset date-time in Beijing time.
    pub fn to_china_time(self) -> OffsetDateTime {
        let nanos = i128::from(self.0) * 1_000_000;
        OffsetDateTime::from_unix_timestamp_nanos(nanos)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
            .to_offset(CHINA_OFFSET)
    }

    /// The calendar day (Beijing time) this instant falls on.
    pub fn china_date(self) -> Date {
        self.to_china_time().date()
    }

    /// The last millisecond of the given Beijing calendar day.
    pub fn end_of_china_day(date: Date) -> Timestamp {
        let next = date
            .next_day()
            .unwrap_or(date)
            .midnight()
            .assume_offset(CHINA_OFFSET);
        Timestamp((next.unix_timestamp_nanos() / 1_000_000) as i64 - 1)
    }

    /// Builds a timestamp from a date-time.
    pub fn from_datetime(dt: OffsetDateTime) -> Timestamp {
        Timestamp((dt.unix_timestamp_nanos() / 1_000_000) as i64)
    }

    /// This instant plus a duration.
    pub fn plus(self, d: Duration) -> Timestamp {
        Timestamp(self.0 + d.whole_milliseconds() as i64)
    }

    /// `YYYY-MM-DD HH:MM` in Beijing time, the way officers read times on a record.
    pub fn display_china(self) -> String {
        let t = self.to_china_time();
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute()
        )
    }
}

/// Where the current time comes from; injected so rules and tests are deterministic.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// A clock that always says the same time (tests, replays).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub Timestamp);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn china_day_boundaries_are_utc_plus_8() {
        // 2026-03-01 23:30 in Beijing is still 2026-03-01 there, though UTC says 15:30 the same day.
        let t = Timestamp::from_datetime(datetime!(2026-03-01 15:30 UTC));
        assert_eq!(t.china_date(), date!(2026 - 03 - 01));
        let t = Timestamp::from_datetime(datetime!(2026-03-01 16:30 UTC));
        assert_eq!(t.china_date(), date!(2026 - 03 - 02));
        let end = Timestamp::end_of_china_day(date!(2026 - 03 - 01));
        assert_eq!(end.china_date(), date!(2026 - 03 - 01));
        assert_eq!(Timestamp(end.0 + 1).china_date(), date!(2026 - 03 - 02));
        assert_eq!(t.display_china(), "2026-03-02 00:30");
    }
}
