//! The java.time pieces the converters need: LocalDate/LocalDateTime with their validation,
//! Debezium's two-digit-year adjuster, the MySQL TIME text parser (`stringToDuration`) and the
//! ISO-8601 renderings ZonedTimestamp produces.

use crate::converters::java::{civil_from_days, days_from_civil};

pub const NANOS_PER_SECOND: i64 = 1_000_000_000;
const SECONDS_PER_DAY: i64 = 86_400;

/// java.time.LocalDate (proleptic Gregorian).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalDate {
    pub year: i64,
    pub month: u32,
    pub day: u32,
}

impl LocalDate {
    /// `LocalDate.of`: `None` when the month or day is out of range for the year.
    pub fn new(year: i64, month: u32, day: u32) -> Option<LocalDate> {
        let valid = (-999_999_999..=999_999_999).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= month_length(year, month);
        valid.then_some(LocalDate { year, month, day })
    }

    pub fn epoch_day(self) -> i64 {
        days_from_civil(self.year, self.month, self.day)
    }

    pub fn from_epoch_day(days: i64) -> LocalDate {
        let (year, month, day) = civil_from_days(days);
        LocalDate { year, month, day }
    }

    /// Debezium's `adjustTemporal` (enable.time.adjuster=true, the default): years 0-69 become
    /// 2000-2069 and 70-99 become 1970-1999.
    pub fn adjusted(self) -> LocalDate {
        let year = adjust_year(self.year);
        let day = self.day.min(month_length(year, self.month));
        LocalDate { year, day, ..self }
    }
}

/// java.time.LocalDateTime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalDateTime {
    pub date: LocalDate,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub nano: u32,
}

impl LocalDateTime {
    /// `LocalDateTime.of`: `None` when a field is out of range.
    pub fn new(
        date: LocalDate,
        hour: u32,
        minute: u32,
        second: u32,
        nano: u32,
    ) -> Option<LocalDateTime> {
        let valid = hour < 24 && minute < 60 && second < 60 && i64::from(nano) < NANOS_PER_SECOND;
        valid.then_some(LocalDateTime {
            date,
            hour,
            minute,
            second,
            nano,
        })
    }

    pub fn midnight(date: LocalDate) -> LocalDateTime {
        LocalDateTime {
            date,
            hour: 0,
            minute: 0,
            second: 0,
            nano: 0,
        }
    }

    /// The UTC date-time at `epoch_second` plus `nano` (0..1e9).
    pub fn from_epoch(epoch_second: i64, nano: u32) -> LocalDateTime {
        let days = epoch_second.div_euclid(SECONDS_PER_DAY);
        let secs = epoch_second.rem_euclid(SECONDS_PER_DAY) as u32;
        LocalDateTime {
            date: LocalDate::from_epoch_day(days),
            hour: secs / 3600,
            minute: secs / 60 % 60,
            second: secs % 60,
            nano,
        }
    }

    /// Seconds since the epoch, reading the wall clock as UTC.
    pub fn epoch_second(self) -> i64 {
        self.date.epoch_day() * SECONDS_PER_DAY
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }

    /// `Instant.toEpochMilli()` of the wall clock read as UTC (floor for pre-1970 values);
    /// `None` on overflow, where Java throws.
    pub fn epoch_millis(self) -> Option<i64> {
        self.epoch_second()
            .checked_mul(1000)?
            .checked_add(i64::from(self.nano / 1_000_000))
    }

    /// Debezium's MicroTimestamp: epoch seconds × 10^6 + nano / 1000.
    pub fn epoch_micros(self) -> Option<i64> {
        self.epoch_second()
            .checked_mul(1_000_000)?
            .checked_add(i64::from(self.nano / 1000))
    }

    pub fn adjusted(self) -> LocalDateTime {
        LocalDateTime {
            date: self.date.adjusted(),
            ..self
        }
    }
}

pub fn adjust_year(year: i64) -> i64 {
    match year {
        0..=69 => year + 2000,
        70..=99 => year + 1900,
        _ => year,
    }
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn month_length(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// How ZonedTimestamp renders the fraction of a second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fraction {
    /// `ISO_OFFSET_DATE_TIME`: none when zero, else without trailing zeros.
    Minimal,
    /// Exactly this many digits (truncated), for TIMESTAMP(1..6) from the binlog.
    Fixed(u32),
}

/// `2018-06-20T13:37:03.12Z`: the date-time in UTC as DateTimeFormatter writes it.
pub fn iso_utc(t: LocalDateTime, fraction: Fraction) -> String {
    let year = t.date.year;
    let year = if year > 9999 {
        format!("+{year}")
    } else if year < 0 {
        format!("-{:04}", year.unsigned_abs())
    } else {
        format!("{year:04}")
    };
    let mut out = format!(
        "{year}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.date.month, t.date.day, t.hour, t.minute, t.second
    );
    let nanos = format!("{:09}", t.nano);
    match fraction {
        Fraction::Minimal if t.nano == 0 => {}
        Fraction::Minimal => {
            out.push('.');
            out.push_str(nanos.trim_end_matches('0'));
        }
        Fraction::Fixed(width) => {
            out.push('.');
            out.push_str(nanos.get(..width.min(9) as usize).unwrap_or(&nanos));
        }
    }
    out.push('Z');
    out
}

/// Digits only (`[0-9]*`, possibly empty).
fn all_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

/// Java's `Long.parseLong`/`Integer.parseInt` of a `[0-9]*` group: empty fails.
fn parse_digits(s: &str) -> Option<i64> {
    if s.is_empty() || !all_digits(s) {
        return None;
    }
    s.parse().ok()
}

/// Nanoseconds from fraction digits, right-padded to 9 digits (`Strings.justifyLeft`).
fn fraction_nanos(digits: &str) -> Option<i64> {
    if !all_digits(digits) || digits.len() > 18 {
        return None;
    }
    let padded = format!("{digits:0<9}");
    padded.parse().ok()
}

/// `BinlogValueConverters.stringToDuration`: `[-]H+:MM[:SS[.ffffff]]` (hours may exceed 24)
/// to signed nanoseconds.
pub fn parse_duration(s: &str) -> Option<i64> {
    let negative = s.starts_with('-');
    let (hours, rest) = s.split_once(':')?;
    let hours_digits = hours.strip_prefix('-').unwrap_or(hours);
    let hours = parse_digits(hours_digits)?;
    let (minutes, rest) = match rest.split_once(':') {
        Some((m, r)) => (m, Some(r)),
        None => {
            // `H:MM.fff` matches the pattern, but the fraction is read only with seconds.
            let (m, frac) = rest.split_once('.').unwrap_or((rest, ""));
            if !all_digits(frac) {
                return None;
            }
            (m, None)
        }
    };
    let minutes = parse_digits(minutes)?;
    let (seconds, nanos) = match rest {
        None => (0, 0),
        Some(r) => {
            let (secs, frac) = match r.split_once('.') {
                Some((s, f)) => (s, Some(f)),
                None => (r, None),
            };
            let secs = parse_digits(secs)?;
            let nanos = match frac {
                Some(f) => fraction_nanos(f)?,
                None => 0,
            };
            (secs, nanos)
        }
    };
    let magnitude = hours
        .checked_mul(3600)?
        .checked_add(minutes.checked_mul(60)?)?
        .checked_add(seconds)?
        .checked_mul(NANOS_PER_SECOND)?
        .checked_add(nanos)?;
    Some(if negative { -magnitude } else { magnitude })
}

/// `([0-9]*)-([0-9]*)-([0-9]*)` with Integer.parseInt of each group.
pub fn parse_date_parts(s: &str) -> Option<(i64, u32, u32)> {
    let mut parts = s.splitn(3, '-');
    let year = parse_digits(parts.next()?)?;
    let month = u32::try_from(parse_digits(parts.next()?)?).ok()?;
    let day = u32::try_from(parse_digits(parts.next()?)?).ok()?;
    Some((year, month, day))
}

/// Hour, minute, second, nanosecond.
pub type TimeOfDay = (u32, u32, u32, u32);

/// `HH:MM:SS[.f{0,9}]` with exactly two digits per field (ISO_LOCAL_TIME; seconds optional).
pub fn parse_iso_time(s: &str) -> Option<TimeOfDay> {
    let two = |t: &str| -> Option<u32> { (t.len() == 2 && all_digits(t)).then(|| t.parse().ok())? };
    let (hour, rest) = s.split_once(':')?;
    let (minute, rest) = match rest.split_once(':') {
        Some((m, r)) => (m, Some(r)),
        None => (rest, None),
    };
    let (second, nano) = match rest {
        None => (0, 0),
        Some(r) => match r.split_once('.') {
            Some((sec, frac)) if !frac.is_empty() && frac.len() <= 9 && all_digits(frac) => {
                (two(sec)?, format!("{frac:0<9}").parse().ok()?)
            }
            Some(_) => return None,
            None => (two(r)?, 0),
        },
    };
    Some((two(hour)?, two(minute)?, second, nano))
}

/// MySQL's `YYYY-MM-DD HH:MM:SS[.ffffff]` text (DATETIME/TIMESTAMP over the text protocol).
pub fn parse_mysql_datetime(s: &str) -> Option<LocalDateTime> {
    let (date, time) = s.split_once(' ').unwrap_or((s, "00:00:00"));
    let (year, month, day) = parse_date_parts(date)?;
    let (hms, frac) = match time.split_once('.') {
        Some((hms, frac)) => (hms, frac),
        None => (time, ""),
    };
    let mut fields = hms.splitn(3, ':');
    let hour = u32::try_from(parse_digits(fields.next()?)?).ok()?;
    let minute = u32::try_from(parse_digits(fields.next()?)?).ok()?;
    let second = u32::try_from(parse_digits(fields.next()?)?).ok()?;
    let nano = if frac.is_empty() {
        0
    } else {
        u32::try_from(fraction_nanos(frac)?).ok()?
    };
    LocalDateTime::new(
        LocalDate::new(year, month, day)?,
        hour,
        minute,
        second,
        nano,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_follow_debezium() {
        assert_eq!(
            parse_duration("-838:59:59.000000"),
            Some(-3_020_399_000_000_000)
        );
        assert_eq!(parse_duration("-00:00:01.5"), Some(-1_500_000_000));
        assert_eq!(parse_duration("25:00"), Some(90_000 * NANOS_PER_SECOND));
        assert_eq!(parse_duration("10:00:"), None);
        assert_eq!(parse_duration("abc"), None);
    }

    #[test]
    fn iso_rendering() {
        let t = LocalDateTime::from_epoch(1_529_501_823, 120_000_000);
        assert_eq!(iso_utc(t, Fraction::Minimal), "2018-06-20T13:37:03.12Z");
        assert_eq!(iso_utc(t, Fraction::Fixed(3)), "2018-06-20T13:37:03.120Z");
        assert_eq!(
            iso_utc(t, Fraction::Fixed(6)),
            "2018-06-20T13:37:03.120000Z"
        );
        let t = LocalDateTime::from_epoch(0, 0);
        assert_eq!(iso_utc(t, Fraction::Minimal), "1970-01-01T00:00:00Z");
        assert_eq!(iso_utc(t, Fraction::Fixed(2)), "1970-01-01T00:00:00.00Z");
    }

    #[test]
    fn dates_validate_and_adjust() {
        assert!(LocalDate::new(2023, 2, 29).is_none());
        assert!(LocalDate::new(2024, 2, 29).is_some());
        let d = LocalDate::new(24, 5, 1).map(LocalDate::adjusted);
        assert_eq!(d, LocalDate::new(2024, 5, 1));
        let d = LocalDate::new(1999, 5, 1).map(LocalDate::adjusted);
        assert_eq!(d, LocalDate::new(1999, 5, 1));
    }
}
