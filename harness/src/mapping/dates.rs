//! Dates as the server's operators read and write them.
//!
//! The server is written in Go: its date filters and `toUnix` read the layouts of Go's `time`
//! package (RFC 3339 and ISO 8601 first, then RFC 1123 / 822 / 850, ANSIC, Unix and Ruby
//! dates), and Date to string (`toString`) writes a Go layout (`02 Jan 06 15:04 MST`, RFC 822,
//! by default). A time without a zone is UTC, as the server's own location is.
//!
//! The native equivalents of the date transformer scripts read dates the way the scripts'
//! Python libraries do, for the forms content sends (see [`parse_loose`]).

use chrono::{
    DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone,
    Timelike, Utc,
};

/// A text that is not a date in the form an operator expects, or a date it cannot write.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum DateError {
    /// Not in any layout the server's date operators read (see [`parse`]).
    #[error("cannot read {text:?} as a date (expected ISO 8601 / RFC 3339 such as 2021-10-06T13:44:07Z, or RFC 1123, RFC 822, RFC 850, ANSIC, Unix or Ruby dates)")]
    NotAServerDate {
        /// The text, trimmed.
        text: String,
    },
    /// Not in a form the scripts' Python libraries read (see [`parse_loose`]).
    #[error("could not parse {text:?} as a date")]
    NotALooseDate {
        /// The text.
        text: String,
    },
    /// A local time that its zone skips or repeats.
    #[error("{text:?} is not a single point in time")]
    NotAPointInTime {
        /// The text.
        text: String,
    },
    /// The text does not match a `strptime` format.
    #[error("{text:?} does not match the format {format:?}")]
    FormatMismatch {
        /// The text.
        text: String,
        /// The `strptime` format.
        format: String,
        /// What chrono found wrong.
        #[source]
        source: chrono::ParseError,
    },
    /// A value that JavaScript's `parseInt` reads as NaN.
    #[error("{value} is not a time stamp (parseInt gives NaN; RangeError: Invalid time value)")]
    NotATimeStamp {
        /// The value as JSON.
        value: String,
    },
    /// Seconds too many to be milliseconds in an `i64`.
    #[error("{seconds} s is not a date (RangeError: Invalid time value)")]
    SecondsOutOfRange {
        /// The seconds.
        seconds: i64,
    },
    /// Milliseconds outside the years 0 to 9999 that `toISOString` writes.
    #[error("{millis} ms is not a date JavaScript can write (RangeError)")]
    OutOfJavaScriptRange {
        /// The epoch milliseconds.
        millis: i64,
    },
}

/// RFC 822 in Go's notation: the default output of Date to string.
pub(crate) const RFC822: &str = "02 Jan 06 15:04 MST";

/// Go's named layouts, which a `format` argument may name instead of spelling out.
const NAMED_LAYOUTS: &[(&str, &str)] = &[
    ("ANSIC", "Mon Jan _2 15:04:05 2006"),
    ("UnixDate", "Mon Jan _2 15:04:05 MST 2006"),
    ("RubyDate", "Mon Jan 02 15:04:05 -0700 2006"),
    ("RFC822", "02 Jan 06 15:04 MST"),
    ("RFC822Z", "02 Jan 06 15:04 -0700"),
    ("RFC850", "Monday, 02-Jan-06 15:04:05 MST"),
    ("RFC1123", "Mon, 02 Jan 2006 15:04:05 MST"),
    ("RFC1123Z", "Mon, 02 Jan 2006 15:04:05 -0700"),
    ("RFC3339", "2006-01-02T15:04:05Z07:00"),
    ("RFC3339Nano", "2006-01-02T15:04:05.999999999Z07:00"),
    ("Kitchen", "3:04PM"),
    ("Stamp", "Jan _2 15:04:05"),
    ("StampMilli", "Jan _2 15:04:05.000"),
    ("StampMicro", "Jan _2 15:04:05.000000"),
    ("StampNano", "Jan _2 15:04:05.000000000"),
    ("DateTime", "2006-01-02 15:04:05"),
    ("DateOnly", "2006-01-02"),
    ("TimeOnly", "15:04:05"),
    ("Layout", "01/02 03:04:05PM '06 -0700"),
];

/// Reads a date in one of the forms the server's date operators accept.
pub(crate) fn parse(text: &str) -> Result<DateTime<FixedOffset>, DateError> {
    let text = text.trim();
    if let Some(date) = parse_iso(text) {
        return Ok(date);
    }
    if let Ok(date) = DateTime::parse_from_rfc2822(text) {
        return Ok(date);
    }
    const ZONED: &[&str] = &[
        "%a %b %e %H:%M:%S %z %Y", // RubyDate
        "%d %b %y %H:%M %z",       // RFC822Z
    ];
    for format in ZONED {
        if let Ok(date) = DateTime::parse_from_str(text, format) {
            return Ok(date);
        }
    }
    // Layouts with a zone name: Go keeps the name with a zero offset unless it knows it.
    const NAMED_ZONE: &[&str] = &[
        "%a %b %e %H:%M:%S %Z %Y",  // UnixDate
        "%d %b %y %H:%M %Z",        // RFC822
        "%A, %d-%b-%y %H:%M:%S %Z", // RFC850
        "%a, %d %b %Y %H:%M:%S %Z", // RFC1123
    ];
    for format in NAMED_ZONE {
        if let Ok(date) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(utc(date));
        }
    }
    if let Ok(date) = NaiveDateTime::parse_from_str(text, "%a %b %e %H:%M:%S %Y") {
        return Ok(utc(date)); // ANSIC
    }
    Err(DateError::NotAServerDate {
        text: text.to_owned(),
    })
}

fn utc(date: NaiveDateTime) -> DateTime<FixedOffset> {
    Utc.from_utc_datetime(&date).fixed_offset()
}

/// `YYYY-MM-DD`, optionally with `T` or a space, `HH:MM[:SS[.fraction]]` and a zone.
fn parse_iso(text: &str) -> Option<DateTime<FixedOffset>> {
    if let Ok(date) = DateTime::parse_from_rfc3339(text) {
        return Some(date);
    }
    // `get`, not `split_at`: byte 10 may fall inside a character of vendor text.
    let date_part = text.get(..10).unwrap_or(text);
    let rest = &text[date_part.len()..];
    let date = NaiveDate::parse_from_str(date_part, "%Y-%m-%d").ok()?;
    if rest.is_empty() {
        return Some(utc(date.and_time(NaiveTime::MIN)));
    }
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    let (time, offset) = split_zone(rest)?;
    let local = date.and_time(time_of_day(time)?);
    match offset {
        None => Some(utc(local)),
        Some(offset) => offset.from_local_datetime(&local).single(),
    }
}

/// `HH:MM[:SS[.fraction]]`.
fn time_of_day(text: &str) -> Option<NaiveTime> {
    ["%H:%M:%S%.f", "%H:%M"]
        .iter()
        .find_map(|f| NaiveTime::parse_from_str(text, f).ok())
}

/// Splits `HH:MM:SS.fff+01:00` into the time and its zone (`None` when there is none).
fn split_zone(text: &str) -> Option<(&str, Option<FixedOffset>)> {
    if let Some(time) = text.strip_suffix(['Z', 'z']) {
        return Some((time, FixedOffset::east_opt(0)));
    }
    let Some(at) = text.rfind(['+', '-']) else {
        return Some((text, None));
    };
    let (time, zone) = text.split_at(at);
    let sign = if zone.starts_with('-') { -1 } else { 1 };
    let digits: String = zone[1..].chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let hours: i32 = digits[..2].parse().ok()?;
    let minutes: i32 = digits[2..].parse().ok()?;
    Some((
        time,
        FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60)),
    ))
}

/// Writes a date in a Go layout (or one of Go's layout names, e.g. `RFC3339`).
pub(crate) fn format_go(date: &DateTime<FixedOffset>, layout: &str) -> String {
    let layout = NAMED_LAYOUTS
        .iter()
        .find(|(name, _)| *name == layout)
        .map_or(layout, |(_, spelled)| spelled);
    let mut out = String::new();
    let mut rest = layout;
    while !rest.is_empty() {
        let (token, len) = next_token(rest);
        match token {
            Some(token) => out.push_str(&render(date, token, &rest[..len])),
            None => out.push_str(&rest[..len]),
        }
        rest = &rest[len..];
    }
    out
}

/// A piece of a Go layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekDay,
    WeekDay,
    Day,
    UnderDay,
    ZeroDay,
    YearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    LongYear,
    Year,
    PM,
    Pm,
    ZoneName,
    /// `Z07:00`-style: `Z` for UTC, else the offset; (colon, seconds, hours only).
    Iso8601Zone(bool, bool, bool),
    /// `-0700`-style offset: (colon, seconds, hours only).
    NumZone(bool, bool, bool),
    /// `.000` (zeros: fixed) or `.999` (nines: trailing zeros dropped), with the digit count.
    Fraction(usize, bool),
}

/// The token at the start of `s` (or none) and how many bytes it covers.
fn next_token(s: &str) -> (Option<Token>, usize) {
    let starts = |p: &str| s.starts_with(p);
    let next_is_lower = |at: usize| {
        s[at..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase())
    };
    const TABLE: &[(&str, Token)] = &[
        ("January", Token::LongMonth),
        ("Monday", Token::LongWeekDay),
        ("Z07:00:00", Token::Iso8601Zone(true, true, false)),
        ("-07:00:00", Token::NumZone(true, true, false)),
        ("Z070000", Token::Iso8601Zone(false, true, false)),
        ("-070000", Token::NumZone(false, true, false)),
        ("Z07:00", Token::Iso8601Zone(true, false, false)),
        ("-07:00", Token::NumZone(true, false, false)),
        ("Z0700", Token::Iso8601Zone(false, false, false)),
        ("-0700", Token::NumZone(false, false, false)),
        ("2006", Token::LongYear),
        ("Z07", Token::Iso8601Zone(false, false, true)),
        ("-07", Token::NumZone(false, false, true)),
        ("002", Token::YearDay),
        ("__2", Token::YearDay),
        ("Jan", Token::Month),
        ("Mon", Token::WeekDay),
        ("MST", Token::ZoneName),
        ("01", Token::ZeroMonth),
        ("02", Token::ZeroDay),
        ("03", Token::ZeroHour12),
        ("04", Token::ZeroMinute),
        ("05", Token::ZeroSecond),
        ("06", Token::Year),
        ("_2", Token::UnderDay),
        ("15", Token::Hour),
        ("PM", Token::PM),
        ("pm", Token::Pm),
        ("1", Token::NumMonth),
        ("2", Token::Day),
        ("3", Token::Hour12),
        ("4", Token::Minute),
        ("5", Token::Second),
    ];
    for (text, token) in TABLE {
        if starts(text) {
            // `Jan`/`Mon` followed by a lowercase letter are words, not tokens (Go's rule).
            if matches!(token, Token::Month | Token::WeekDay) && next_is_lower(text.len()) {
                continue;
            }
            return (Some(*token), text.len());
        }
    }
    if let Some(sep) = s.chars().next().filter(|c| *c == '.' || *c == ',') {
        let digits = &s[sep.len_utf8()..];
        let kind = digits.chars().next().filter(|c| *c == '0' || *c == '9');
        if let Some(kind) = kind {
            let count = digits.chars().take_while(|c| *c == kind).count();
            let after = digits[count..].chars().next();
            if !after.is_some_and(|c| c.is_ascii_digit()) {
                return (Some(Token::Fraction(count, kind == '9')), 1 + count);
            }
        }
    }
    let len = s.chars().next().map_or(1, char::len_utf8);
    (None, len)
}

/// The months' names, in order.
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn render(date: &DateTime<FixedOffset>, token: Token, written: &str) -> String {
    const DAYS: [&str; 7] = [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ];
    let month = MONTHS[date.month0() as usize];
    let weekday = DAYS[date.weekday().num_days_from_monday() as usize];
    let hour12 = match date.hour() % 12 {
        0 => 12,
        h => h,
    };
    let offset = date.offset().fix().local_minus_utc();
    match token {
        Token::LongMonth => month.to_owned(),
        Token::Month => month[..3].to_owned(),
        Token::NumMonth => date.month().to_string(),
        Token::ZeroMonth => format!("{:02}", date.month()),
        Token::LongWeekDay => weekday.to_owned(),
        Token::WeekDay => weekday[..3].to_owned(),
        Token::Day => date.day().to_string(),
        Token::UnderDay => format!("{:>2}", date.day()),
        Token::ZeroDay => format!("{:02}", date.day()),
        Token::YearDay if written == "002" => format!("{:03}", date.ordinal()),
        Token::YearDay => format!("{:>3}", date.ordinal()),
        Token::Hour => format!("{:02}", date.hour()),
        Token::Hour12 => hour12.to_string(),
        Token::ZeroHour12 => format!("{hour12:02}"),
        Token::Minute => date.minute().to_string(),
        Token::ZeroMinute => format!("{:02}", date.minute()),
        Token::Second => date.second().to_string(),
        Token::ZeroSecond => format!("{:02}", date.second()),
        Token::LongYear => format!("{:04}", date.year()),
        Token::Year => format!("{:02}", date.year().rem_euclid(100)),
        Token::PM => (if date.hour() >= 12 { "PM" } else { "AM" }).to_owned(),
        Token::Pm => (if date.hour() >= 12 { "pm" } else { "am" }).to_owned(),
        Token::ZoneName if offset == 0 => "UTC".to_owned(),
        Token::ZoneName => zone(offset, false, false, false),
        Token::Iso8601Zone(..) if offset == 0 => "Z".to_owned(),
        Token::Iso8601Zone(colon, seconds, hours) | Token::NumZone(colon, seconds, hours) => {
            zone(offset, colon, seconds, hours)
        }
        Token::Fraction(count, trim) => {
            let nanos = format!("{:09}", date.nanosecond() % 1_000_000_000);
            let mut digits = nanos[..count.min(9)].to_owned();
            if trim {
                while digits.ends_with('0') {
                    digits.pop();
                }
                if digits.is_empty() {
                    return String::new();
                }
            }
            format!("{}{digits}", &written[..1])
        }
    }
}

fn zone(offset: i32, colon: bool, seconds: bool, hours_only: bool) -> String {
    let sign = if offset < 0 { '-' } else { '+' };
    let abs = offset.unsigned_abs();
    let (h, m, s) = (abs / 3600, abs / 60 % 60, abs % 60);
    let sep = if colon { ":" } else { "" };
    let mut text = format!("{sign}{h:02}");
    if !hours_only {
        text.push_str(&format!("{sep}{m:02}"));
    }
    if seconds {
        text.push_str(&format!("{sep}{s:02}"));
    }
    text
}

/// Epoch milliseconds -> `YYYY-MM-DDTHH:MM:SS.mmmZ`, as JavaScript's `toISOString` writes it.
pub(crate) fn iso_millis(millis: i64) -> Result<String, DateError> {
    let date = Utc
        .timestamp_millis_opt(millis)
        .single()
        .filter(|d| (0..=9999).contains(&d.year()))
        .ok_or(DateError::OutOfJavaScriptRange { millis })?;
    Ok(date.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
}

/// A date as Python's `datetime.isoformat()` writes it: microseconds only when not zero, the
/// offset only for a zoned date.
pub(crate) fn python_isoformat(date: NaiveDateTime, offset: Option<FixedOffset>) -> String {
    let mut text = date.format("%Y-%m-%dT%H:%M:%S").to_string();
    let micros = date.nanosecond() / 1000 % 1_000_000;
    if micros != 0 {
        text.push_str(&format!(".{micros:06}"));
    }
    if let Some(offset) = offset {
        text.push_str(&zone(offset.local_minus_utc(), true, false, false));
    }
    text
}

/// How [`parse_loose`] reads an all-numeric date whose day and month could be swapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Order {
    /// The first of two ambiguous numbers is the day (`dayfirst`).
    pub(crate) day_first: bool,
}

/// A date read the way python-dateutil and dateparser read the forms content sends: numeric
/// dates (`2020-06-11`, `2020/06/11`, `20200611`, `06/11/2020`, with an optional time and
/// zone) and dates with month names (`Fri, 20 Nov 2020 11:41:42`, `June 21st 2020`,
/// `21 June 2020 10:00`). With `day_first`, the first of two numbers that could be the day or
/// the month is the day, even after a four-digit year (`2020-06-11` is 6 November), as
/// dateutil does. `None` for anything else.
pub(crate) fn parse_loose(
    text: &str,
    order: Order,
) -> Option<(NaiveDateTime, Option<FixedOffset>)> {
    let text = text.trim();
    numeric_date(text, order).or_else(|| named_month_date(text))
}

/// `<date>[T| ]<time>[zone]` with an all-numeric date.
fn numeric_date(text: &str, order: Order) -> Option<(NaiveDateTime, Option<FixedOffset>)> {
    let date_len = text
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '-' | '/' | '.')))
        .unwrap_or(text.len());
    let (date_text, rest) = text.split_at(date_len);
    let date_text = date_text.trim_end_matches(['-', '.']);
    let parts: Vec<&str> = date_text.split(['-', '/', '.']).collect();
    let numbers: Vec<u32> = parts
        .iter()
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let (year, a, b) = match (parts.as_slice(), numbers.as_slice()) {
        ([only], _) if only.len() == 8 => (
            only[..4].parse().ok()?,
            only[4..6].parse().ok()?,
            only[6..].parse().ok()?,
        ),
        ([y, _, _], [_, a, b]) if y.len() == 4 => (numbers[0] as i32, *a, *b),
        ([_, _, y], [a, b, _]) if y.len() == 4 => (numbers[2] as i32, *a, *b),
        _ => return None,
    };
    // dateutil: `dayfirst` makes the first ambiguous number the day, unless it cannot be.
    let (month, day) = if order.day_first {
        if b <= 12 {
            (b, a)
        } else {
            (a, b)
        }
    } else if a <= 12 {
        (a, b)
    } else {
        (b, a)
    };
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let rest = rest.trim_start_matches(['T', 't', ' ']);
    if rest.is_empty() {
        return Some((date.and_time(NaiveTime::MIN), None));
    }
    let (time, zone) = time_and_zone(rest)?;
    Some((date.and_time(time), zone))
}

/// `HH:MM[:SS[.fraction]]` followed by nothing, `Z`, `UTC`/`GMT` or an offset.
fn time_and_zone(text: &str) -> Option<(NaiveTime, Option<FixedOffset>)> {
    let text = text.trim();
    let (time_text, zone_text) =
        match text.find(|c: char| !(c.is_ascii_digit() || c == ':' || c == '.')) {
            Some(at) => text.split_at(at),
            None => (text, ""),
        };
    let time = time_of_day(time_text)?;
    let zone_text = zone_text.trim();
    let zone = match zone_text {
        "" => None,
        "Z" | "z" | "UTC" | "GMT" | "UT" => FixedOffset::east_opt(0),
        other => {
            let (_, zone) = split_zone(&format!("00{other}"))?;
            Some(zone?)
        }
    };
    Some((time, zone))
}

/// Dates with a month name: `Fri, 20 Nov 2020 11:41:42 GMT`, `June 21st 2020`,
/// `21 June 2020 10:00`, `Jun 21, 2020`.
fn named_month_date(text: &str) -> Option<(NaiveDateTime, Option<FixedOffset>)> {
    if let Ok(date) = DateTime::parse_from_rfc2822(text) {
        return Some((date.naive_local(), Some(*date.offset())));
    }
    let words: Vec<String> = text
        .split([' ', ','])
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    let mut month = None;
    let mut numbers = Vec::new();
    let mut time = None;
    let mut zone = None;
    for word in &words {
        let lower = word.to_ascii_lowercase();
        if let Some(m) = month_number(&lower) {
            month.get_or_insert(m);
        } else if word.contains(':') {
            let (t, z) = time_and_zone(word)?;
            time = Some(t);
            zone = zone.or(z);
        } else if matches!(lower.as_str(), "utc" | "gmt" | "z") {
            zone = FixedOffset::east_opt(0);
        } else {
            let digits = lower.trim_end_matches(|c: char| c.is_ascii_alphabetic());
            if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
                numbers.push(digits.to_owned());
            }
        }
    }
    let month = month?;
    let (year, day) = match numbers.as_slice() {
        [a, b] if a.len() == 4 => (a.parse().ok()?, b.parse().ok()?),
        [a, b] => (b.parse().ok()?, a.parse().ok()?),
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    Some((date.and_time(time.unwrap_or(NaiveTime::MIN)), zone))
}

fn month_number(word: &str) -> Option<u32> {
    let word = word.trim_end_matches('.').to_lowercase();
    if word.len() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .position(|name| name.to_lowercase().starts_with(&word))
        .map(|i| i as u32 + 1)
}

/// Reads `text` with a Python `strptime` format (`%Y-%m-%dT%H:%M:%S.%f%z`); a zone-less result
/// is UTC.
pub(crate) fn parse_strptime(text: &str, format: &str) -> Result<DateTime<FixedOffset>, DateError> {
    // chrono's fraction takes any number of digits after a dot that the format spells.
    let translated = format.replace(".%f", "%.f").replace("%f", "%6f");
    let zoned = match DateTime::parse_from_str(text, &translated) {
        Ok(date) => return Ok(date),
        Err(e) => e,
    };
    let with_time = match NaiveDateTime::parse_from_str(text, &translated) {
        Ok(date) => return Ok(utc(date)),
        Err(e) => e,
    };
    let date_only = match NaiveDate::parse_from_str(text, &translated) {
        Ok(date) => return Ok(utc(date.and_time(NaiveTime::MIN))),
        Err(e) => e,
    };
    // "Not enough" only says a reading lacked the zone or the time that the format does not
    // spell; the cause is the first reading that found the text wrong.
    let source = [zoned, with_time, date_only]
        .into_iter()
        .find(|e| e.kind() != chrono::format::ParseErrorKind::NotEnough)
        .unwrap_or(zoned);
    Err(DateError::FormatMismatch {
        text: text.to_owned(),
        format: format.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_text_that_is_no_date_is_an_error_not_a_panic() {
        for text in ["Straße München", "ééééééééééé", "2024-01-0é", ""] {
            assert!(parse(text).is_err(), "{text}");
            assert!(
                parse_loose(text, Order { day_first: true }).is_none(),
                "{text}"
            );
        }
        assert!(parse("2024-01-01T").is_err());
        assert!(iso_millis(i64::MIN).is_err());
    }

    #[test]
    fn server_dates_read_iso_and_rfc_forms() {
        for text in [
            "2021-10-06T13:44:07Z",
            "2021-10-06 13:44:07",
            "Wed, 06 Oct 2021 13:44:07 GMT",
        ] {
            assert_eq!(parse(text).map(|d| d.timestamp()), Ok(1633527847), "{text}");
        }
        assert_eq!(
            parse(" yesterday ").unwrap_err().to_string(),
            "cannot read \"yesterday\" as a date (expected ISO 8601 / RFC 3339 such as 2021-10-06T13:44:07Z, or RFC 1123, RFC 822, RFC 850, ANSIC, Unix or Ruby dates)"
        );
    }

    #[test]
    fn go_layouts_and_their_names() {
        let date = parse("2021-10-06T13:44:07Z").unwrap();
        assert_eq!(format_go(&date, RFC822), "06 Oct 21 13:44 UTC");
        assert_eq!(
            format_go(&date, "2006-01-02 15:04:05.000 -0700"),
            "2021-10-06 13:44:07.000 +0000"
        );
        assert_eq!(format_go(&date, "Kitchen"), "1:44PM");
    }

    #[test]
    fn iso_forms_and_zones() {
        let cases = [
            ("2021-10-06T13:44:07.250+03:00", 1633517047),
            ("2021-10-06T13:44:07+0300", 1633517047),
            ("2021-10-06", 1633478400),
            ("2021-10-06 13:44", 1633527840),
            ("Wed Oct  6 13:44:07 2021", 1633527847),
            ("06 Oct 21 13:44 UTC", 1633527840),
        ];
        for (text, epoch) in cases {
            assert_eq!(parse(text).map(|d| d.timestamp()), Ok(epoch), "{text}");
        }
    }

    #[test]
    fn go_layouts_render_every_token() {
        let date = parse("2006-01-02T15:04:05.120+01:00").unwrap();
        assert_eq!(
            format_go(
                &date,
                "Monday January 2 _2 002 3:4:5 PM pm 06 Z07:00 -07 .999 ,000"
            ),
            "Monday January 2  2 002 3:4:5 PM pm 06 +01:00 +01 .12 ,120"
        );
        assert_eq!(format_go(&date, "RFC3339"), "2006-01-02T15:04:05+01:00");
        assert_eq!(format_go(&date, "Janitor Monitor"), "Janitor Monitor");
    }

    #[test]
    fn loose_dates_follow_dateutil() {
        let read = |t: &str, day_first| {
            parse_loose(t, Order { day_first }).map(|(d, z)| python_isoformat(d, z))
        };
        let cases = [
            (
                "2020-06-11T17:34:35.754Z",
                true,
                "2020-11-06T17:34:35.754000+00:00",
            ),
            (
                "2020-06-11T17:34:35.754203+03:00",
                false,
                "2020-06-11T17:34:35.754203+03:00",
            ),
            ("06/11/2020", false, "2020-06-11T00:00:00"),
            ("11/06/2020 10:00", true, "2020-06-11T10:00:00"),
            ("20200611", false, "2020-06-11T00:00:00"),
            ("Fri, 20 Nov 2020 11:41:42", true, "2020-11-20T11:41:42"),
            ("June 21st 2020", true, "2020-06-21T00:00:00"),
            ("The 1st of June 2020", true, "2020-06-01T00:00:00"),
            ("05-11-2929", true, "2929-11-05T00:00:00"),
            ("05-11-2929", false, "2929-05-11T00:00:00"),
        ];
        for (text, day_first, expected) in cases {
            assert_eq!(read(text, day_first).as_deref(), Some(expected), "{text}");
        }
        assert_eq!(read("not a date", true), None);
        let (date, zone) = parse_loose("2020-06-11 10:00:00", Order { day_first: true }).unwrap();
        assert_eq!(date.to_string(), "2020-11-06 10:00:00");
        assert!(zone.is_none());
        assert_eq!(read("1585660781", true), None);
    }

    #[test]
    fn strptime_formats() {
        let date =
            parse_strptime("2020-03-31T13:19:41.000+0100", "%Y-%m-%dT%H:%M:%S.%f%z").unwrap();
        assert_eq!(date.timestamp(), 1585657181);
        assert_eq!(
            parse_strptime("2020/03/31", "%Y/%m/%d")
                .unwrap()
                .timestamp(),
            1585612800
        );
        let mismatch = parse_strptime("31.03.2020", "%Y/%m/%d").unwrap_err();
        assert_eq!(
            mismatch.to_string(),
            "\"31.03.2020\" does not match the format \"%Y/%m/%d\""
        );
        assert!(std::error::Error::source(&mismatch).is_some());
        assert_eq!(
            iso_millis(1525006939000).unwrap(),
            "2018-04-29T13:02:19.000Z"
        );
        assert_eq!(
            iso_millis(i64::MAX).unwrap_err().to_string(),
            format!(
                "{} ms is not a date JavaScript can write (RangeError)",
                i64::MAX
            )
        );
    }
}
