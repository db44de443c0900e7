//! The virtual clock shared by the harness and the mock vendors, and the
//! timestamp formats the vendors speak.
//!
//! The harness owns one [`Clock`]; every vendor stamps its records from a
//! clone of it, so advancing it moves "now" everywhere at once. Dates are
//! converted by hand (proleptic Gregorian calendar, UTC only) to keep the
//! crate free of a date library.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

const MILLIS_PER_SECOND: i64 = 1_000;
const MILLIS_PER_DAY: i64 = 86_400_000;

/// 2025-01-01T00:00:00.000Z, the default "now" of a fresh [`Clock`].
const DEFAULT_EPOCH_MILLIS: i64 = 1_735_689_600_000;

/// A virtual clock: a shared instant in epoch milliseconds that only moves
/// when told to.
///
/// Clones share the same instant, so the harness can hand a clone to every
/// vendor and keep one to advance.
///
/// ```
/// use mock_vendors::{format_iso_millis, Clock};
/// use std::time::Duration;
///
/// let clock = Clock::default();
/// let vendor_view = clock.clone();
/// clock.advance(Duration::from_secs(90));
/// assert_eq!(format_iso_millis(vendor_view.now_millis()), "2025-01-01T00:01:30.000Z");
/// ```
#[derive(Clone)]
pub struct Clock {
    epoch_millis: Arc<AtomicI64>,
}

impl Clock {
    /// A clock reading `epoch_millis` (milliseconds since 1970-01-01T00:00:00Z).
    ///
    /// ```
    /// use mock_vendors::Clock;
    ///
    /// assert_eq!(Clock::new(0).now_millis(), 0);
    /// ```
    pub fn new(epoch_millis: i64) -> Self {
        Self {
            epoch_millis: Arc::new(AtomicI64::new(epoch_millis)),
        }
    }

    /// The current virtual instant in epoch milliseconds.
    ///
    /// ```
    /// use mock_vendors::Clock;
    ///
    /// assert_eq!(Clock::new(1_000).now_millis(), 1_000);
    /// ```
    pub fn now_millis(&self) -> i64 {
        self.epoch_millis.load(Ordering::SeqCst)
    }

    /// Jump to `epoch_millis` (backwards is allowed).
    ///
    /// ```
    /// use mock_vendors::Clock;
    ///
    /// let clock = Clock::default();
    /// let later = 1_748_779_200_000; // 2025-06-01T12:00:00Z
    /// clock.set_millis(later);
    /// assert_eq!(clock.now_millis(), later);
    /// ```
    pub fn set_millis(&self, epoch_millis: i64) {
        self.epoch_millis.store(epoch_millis, Ordering::SeqCst);
    }

    /// Move the clock forward by `by` (saturating at the end of time).
    ///
    /// ```
    /// use mock_vendors::Clock;
    /// use std::time::Duration;
    ///
    /// let clock = Clock::new(0);
    /// clock.advance(Duration::from_millis(1_500));
    /// assert_eq!(clock.now_millis(), 1_500);
    /// ```
    pub fn advance(&self, by: Duration) {
        let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        // The closure never returns None, so the update cannot fail.
        let _ = self
            .epoch_millis
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |now| {
                Some(now.saturating_add(by))
            });
    }
}

impl Default for Clock {
    /// A clock reading 2025-01-01T00:00:00.000Z.
    fn default() -> Self {
        Self::new(DEFAULT_EPOCH_MILLIS)
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Clock")
            .field(&format_iso_millis(self.now_millis()))
            .finish()
    }
}

/// Formats an instant as ISO-8601 UTC with milliseconds, the way Okta does.
///
/// ```
/// use mock_vendors::format_iso_millis;
///
/// assert_eq!(format_iso_millis(1_735_689_600_123), "2025-01-01T00:00:00.123Z");
/// ```
pub fn format_iso_millis(epoch_millis: i64) -> String {
    let t = CivilTime::from_epoch_millis(epoch_millis);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year, t.month, t.day, t.hour, t.minute, t.second, t.millis
    )
}

/// Parses an ISO-8601 instant: `YYYY-MM-DDTHH:MM:SS`, optional fraction
/// (kept to milliseconds), then `Z` or a `±HH:MM` offset.
///
/// Returns `None` for anything else, including impossible dates.
pub(crate) fn parse_iso(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    // ASCII only, so the byte slicing below stays on character boundaries.
    if !text.is_ascii() || bytes.len() < 20 || !matches!(bytes[10], b'T' | b't') {
        return None;
    }
    let date = parse_date(&text[..10])?;
    let (time_of_day, rest) = parse_time(&text[11..])?;
    let (fraction_millis, rest) = parse_fraction(rest)?;
    let offset_millis = parse_offset(rest)?;
    Some(date * MILLIS_PER_DAY + time_of_day + fraction_millis - offset_millis)
}

/// Formats an instant as `YYYY-MM-DD HH:MM:SS` UTC, the ServiceNow way.
pub(crate) fn format_sql_datetime(epoch_millis: i64) -> String {
    let t = CivilTime::from_epoch_millis(epoch_millis);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

/// The IMF-fixdate of an HTTP `Date` header (RFC 9110), e.g.
/// `Wed, 01 Jan 2025 00:00:00 GMT`.
pub(crate) fn format_http_date(epoch_millis: i64) -> String {
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let t = CivilTime::from_epoch_millis(epoch_millis);
    // 1970-01-01 was a Thursday.
    let days = epoch_millis.div_euclid(86_400_000);
    let weekday = WEEKDAYS[usize::try_from(days.rem_euclid(7)).unwrap_or_default()];
    let month = MONTHS[usize::try_from(t.month.saturating_sub(1)).unwrap_or_default() % 12];
    format!(
        "{weekday}, {:02} {month} {:04} {:02}:{:02}:{:02} GMT",
        t.day, t.year, t.hour, t.minute, t.second
    )
}

/// Parses exactly `YYYY-MM-DD HH:MM:SS` (UTC).
pub(crate) fn parse_sql_datetime(text: &str) -> Option<i64> {
    if !text.is_ascii() || text.len() != 19 || text.as_bytes()[10] != b' ' {
        return None;
    }
    let date = parse_date(&text[..10])?;
    let (time_of_day, rest) = parse_time(&text[11..])?;
    rest.is_empty()
        .then_some(date * MILLIS_PER_DAY + time_of_day)
}

/// A broken-down UTC instant.
struct CivilTime {
    year: i64,
    month: u32,
    day: u32,
    hour: i64,
    minute: i64,
    second: i64,
    millis: i64,
}

impl CivilTime {
    fn from_epoch_millis(epoch_millis: i64) -> Self {
        let days = epoch_millis.div_euclid(MILLIS_PER_DAY);
        let millis_of_day = epoch_millis.rem_euclid(MILLIS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        let seconds = millis_of_day / MILLIS_PER_SECOND;
        Self {
            year,
            month,
            day,
            hour: seconds / 3_600,
            minute: seconds / 60 % 60,
            second: seconds % 60,
            millis: millis_of_day % MILLIS_PER_SECOND,
        }
    }
}

fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
///
/// Counts from a year that starts in March so the leap day is the last day
/// of the counting year, and works in 400-year eras (146 097 days each).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    // 719 468 days separate 0000-03-01 from 1970-01-01.
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    // Both values are small and positive by construction.
    (year, month as u32, day as u32)
}

/// Parses a fixed-width run of ASCII digits.
fn digits(text: &str) -> Option<i64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `YYYY-MM-DD` -> days since the epoch.
fn parse_date(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let year = digits(&text[..4])?;
    let month = u32::try_from(digits(&text[5..7])?).ok()?;
    let day = u32::try_from(digits(&text[8..10])?).ok()?;
    let valid = (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month);
    valid.then(|| days_from_civil(year, month, day))
}

/// `HH:MM:SS` at the start of `text` -> (millis of the day, the rest).
fn parse_time(text: &str) -> Option<(i64, &str)> {
    let bytes = text.as_bytes();
    if bytes.len() < 8 || bytes[2] != b':' || bytes[5] != b':' {
        return None;
    }
    let hour = digits(&text[..2])?;
    let minute = digits(&text[3..5])?;
    let second = digits(&text[6..8])?;
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let millis = ((hour * 60 + minute) * 60 + second) * MILLIS_PER_SECOND;
    Some((millis, &text[8..]))
}

/// An optional `.fff…` fraction -> (millis, the rest); extra digits are cut.
fn parse_fraction(text: &str) -> Option<(i64, &str)> {
    let Some(fraction) = text.strip_prefix('.') else {
        return Some((0, text));
    };
    let end = fraction
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(fraction.len());
    if end == 0 {
        return None;
    }
    let mut millis = 0;
    for (position, digit) in fraction[..end].bytes().take(3).enumerate() {
        let weight = [100, 10, 1][position];
        millis += i64::from(digit - b'0') * weight;
    }
    Some((millis, &fraction[end..]))
}

/// `Z` or `±HH:MM` (the whole remaining text) -> offset east of UTC in millis.
fn parse_offset(text: &str) -> Option<i64> {
    if text.eq_ignore_ascii_case("z") {
        return Some(0);
    }
    let bytes = text.as_bytes();
    if bytes.len() != 6 || bytes[3] != b':' {
        return None;
    }
    let sign = match bytes[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let hours = digits(&text[1..3])?;
    let minutes = digits(&text[4..6])?;
    if hours > 23 || minutes > 59 {
        return None;
    }
    Some(sign * (hours * 60 + minutes) * 60 * MILLIS_PER_SECOND)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_as_documented() {
        assert_eq!(parse_iso("2025-01-01T00:00:00Z"), Some(1_735_689_600_000));
        assert_eq!(
            parse_iso("2025-01-01T00:00:00.250Z"),
            Some(1_735_689_600_250)
        );
        assert_eq!(
            parse_iso("2025-01-01T01:00:00+01:00"),
            Some(1_735_689_600_000)
        );
        assert_eq!(parse_iso("2025-02-29T00:00:00Z"), None);
        assert_eq!(
            format_sql_datetime(1_735_689_600_999),
            "2025-01-01 00:00:00"
        );
        assert_eq!(
            format_http_date(1_735_689_600_999),
            "Wed, 01 Jan 2025 00:00:00 GMT"
        );
        assert_eq!(format_http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(
            parse_sql_datetime("2025-01-01 00:00:01"),
            Some(1_735_689_601_000)
        );
        assert_eq!(parse_sql_datetime("2025-01-01T00:00:01"), None);
    }

    #[test]
    fn default_is_new_year_2025() {
        assert_eq!(
            format_iso_millis(Clock::default().now_millis()),
            "2025-01-01T00:00:00.000Z"
        );
    }

    #[test]
    fn epoch_and_negative_instants_format() {
        assert_eq!(format_iso_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_iso_millis(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(parse_iso("1969-12-31T23:59:59.999Z"), Some(-1));
    }

    #[test]
    fn leap_days_round_trip() {
        for text in [
            "2000-02-29T12:34:56.789Z",
            "2024-02-29T00:00:00.000Z",
            "1600-02-29T23:59:59.999Z",
            "2024-12-31T23:59:59.999Z",
            "2025-03-01T00:00:00.000Z",
        ] {
            let millis = parse_iso(text).unwrap_or_else(|| panic!("{text} should parse"));
            assert_eq!(format_iso_millis(millis), text);
        }
    }

    #[test]
    fn impossible_dates_are_rejected() {
        for text in [
            "1900-02-29T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2025-04-31T00:00:00Z",
            "2025-13-01T00:00:00Z",
            "2025-01-01T24:00:00Z",
            "2025-01-01T00:60:00Z",
            "2025-01-01T00:00:00",
            "2025-01-01T00:00:00.Z",
            "2025-01-01 00:00:00Z",
            "25-01-01T00:00:00Z",
            "",
        ] {
            assert_eq!(parse_iso(text), None, "{text:?} should be rejected");
        }
    }

    #[test]
    fn every_day_of_a_leap_cycle_round_trips() {
        let start = parse_iso("1999-12-25T00:00:00Z").unwrap_or_default();
        for day in 0..(4 * 366) {
            let millis = start + day * MILLIS_PER_DAY + 1_234;
            assert_eq!(parse_iso(&format_iso_millis(millis)), Some(millis));
            let whole_seconds = millis - 234;
            assert_eq!(
                parse_sql_datetime(&format_sql_datetime(millis)),
                Some(whole_seconds)
            );
        }
    }

    #[test]
    fn fractions_are_cut_to_millis() {
        assert_eq!(parse_iso("1970-01-01T00:00:00.5Z"), Some(500));
        assert_eq!(parse_iso("1970-01-01T00:00:00.123456789Z"), Some(123));
    }

    #[test]
    fn offsets_shift_to_utc() {
        assert_eq!(parse_iso("1970-01-01T00:00:00-07:00"), Some(7 * 3_600_000));
    }

    #[test]
    fn sql_datetime_is_strict() {
        assert_eq!(
            parse_sql_datetime("2024-02-29 23:59:59"),
            parse_iso("2024-02-29T23:59:59Z")
        );
        assert_eq!(parse_sql_datetime("2024-02-29 23:59:59.000"), None);
        assert_eq!(parse_sql_datetime("2023-02-29 00:00:00"), None);
    }

    #[test]
    fn advance_saturates() {
        let clock = Clock::new(i64::MAX - 1);
        clock.advance(Duration::from_secs(10));
        assert_eq!(clock.now_millis(), i64::MAX);
    }
}
