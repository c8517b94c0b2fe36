//! Instants in microseconds since the Unix epoch, UTC: the precision events keep on the wire.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Days, Months, SecondsFormat, Utc};

/// An instant, microsecond precision, UTC.
///
/// The domain never reads a clock: instants arrive in commands and in [`crate::CommandContext`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

/// A timestamp outside what can be represented, or text that is not RFC 3339.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    #[error("timestamp is out of range")]
    OutOfRange,
    #[error("timestamp is not RFC 3339: {0}")]
    Format(String),
}

impl Timestamp {
    pub const UNIX_EPOCH: Timestamp = Timestamp(0);

    pub fn from_unix_micros(micros: i64) -> Result<Self, TimestampError> {
        DateTime::from_timestamp_micros(micros)
            .map(|_| Timestamp(micros))
            .ok_or(TimestampError::OutOfRange)
    }

    /// Truncates to microseconds.
    pub fn from_datetime(instant: DateTime<Utc>) -> Self {
        Timestamp(instant.timestamp_micros())
    }

    pub const fn unix_micros(self) -> i64 {
        self.0
    }

    pub fn to_datetime(self) -> DateTime<Utc> {
        // Every constructor checked the range.
        DateTime::from_timestamp_micros(self.0).unwrap_or_default()
    }

    pub fn checked_add_days(self, days: u32) -> Option<Timestamp> {
        self.to_datetime()
            .checked_add_days(Days::new(u64::from(days)))
            .map(Self::from_datetime)
    }

    pub fn checked_add_hours(self, hours: u32) -> Option<Timestamp> {
        self.to_datetime()
            .checked_add_signed(chrono::TimeDelta::hours(i64::from(hours)))
            .map(Self::from_datetime)
    }

    /// Subtracts whole days.
    pub fn checked_sub_days(self, days: u32) -> Option<Timestamp> {
        self.to_datetime()
            .checked_sub_days(Days::new(u64::from(days)))
            .map(Self::from_datetime)
    }

    /// RFC 3339 in UTC with exactly six decimals (`2026-01-31T12:00:00.000000Z`): as text,
    /// these sort like the instants, which is how read models order by time.
    pub fn to_rfc3339_micros(self) -> String {
        self.to_datetime()
            .to_rfc3339_opts(SecondsFormat::Micros, true)
    }

    /// Adds calendar months, clamping to the end of shorter months (Jan 31 + 1 month = Feb 28/29).
    pub fn checked_add_months(self, months: u32) -> Option<Timestamp> {
        self.to_datetime()
            .checked_add_months(Months::new(months))
            .map(Self::from_datetime)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            &self
                .to_datetime()
                .to_rfc3339_opts(SecondsFormat::AutoSi, true),
        )
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| Timestamp::from_datetime(t.with_timezone(&Utc)))
            .map_err(|e| TimestampError::Format(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adding_a_month_clamps_to_the_end_of_a_shorter_month() {
        let jan31: Timestamp = "2026-01-31T10:00:00Z".parse().unwrap();
        let feb28: Timestamp = "2026-02-28T10:00:00Z".parse().unwrap();
        assert_eq!(jan31.checked_add_months(1), Some(feb28));
    }

    #[test]
    fn prints_rfc3339_and_parses_it_back() {
        let t = Timestamp::from_unix_micros(1_780_000_000_123_456).unwrap();
        assert_eq!(t.to_string().parse::<Timestamp>(), Ok(t));
        assert!(t.to_string().ends_with('Z'));
    }

    #[test]
    fn rejects_out_of_range_and_malformed_input() {
        assert_eq!(
            Timestamp::from_unix_micros(i64::MAX),
            Err(TimestampError::OutOfRange)
        );
        assert!(matches!(
            "yesterday".parse::<Timestamp>(),
            Err(TimestampError::Format(_))
        ));
    }
}
