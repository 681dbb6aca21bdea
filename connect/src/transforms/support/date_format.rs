//! `java.text.SimpleDateFormat` in UTC, US locale: compiles the pattern with Java's rules (quotes,
//! illegal letters), formats epoch milliseconds, and parses leniently like `DateFormat.parse`
//! (abutting numeric fields obey their width, two-digit years use the 80/20 window).

use std::time::{SystemTime, UNIX_EPOCH};

const MS_PER_DAY: i64 = 86_400_000;
const PATTERN_LETTERS: &str = "GyMdkHmsSEDFwWahKzZYuXL";
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
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

#[derive(Debug, Clone, PartialEq)]
enum Item {
    Literal(String),
    Field(char, usize),
}

impl Item {
    fn is_numeric(&self) -> bool {
        match self {
            Item::Field(c, n) => match c {
                'M' | 'L' => *n <= 2,
                'y' | 'Y' | 'd' | 'k' | 'H' | 'm' | 's' | 'S' | 'D' | 'F' | 'w' | 'W' | 'h'
                | 'K' | 'u' => true,
                _ => false,
            },
            Item::Literal(_) => false,
        }
    }
}

/// A compiled SimpleDateFormat pattern (time zone fixed to UTC).
#[derive(Debug, Clone, PartialEq)]
pub struct SimpleDateFormat {
    pattern: String,
    items: Vec<Item>,
}

impl SimpleDateFormat {
    /// `new SimpleDateFormat(pattern)`; the error is the IllegalArgumentException message.
    pub fn new(pattern: &str) -> Result<SimpleDateFormat, String> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut items: Vec<Item> = Vec::new();
        let mut literal = String::new();
        let mut i = 0;
        let mut in_quote = false;
        while i < chars.len() {
            let c = chars[i];
            if c == '\'' {
                if chars.get(i + 1) == Some(&'\'') {
                    literal.push('\'');
                    i += 2;
                    continue;
                }
                in_quote = !in_quote;
                i += 1;
                continue;
            }
            if in_quote || !c.is_ascii_alphabetic() {
                literal.push(c);
                i += 1;
                continue;
            }
            if !PATTERN_LETTERS.contains(c) {
                return Err(format!("Illegal pattern character '{c}'"));
            }
            let mut n = 1;
            while chars.get(i + n) == Some(&c) {
                n += 1;
            }
            if c == 'X' && n > 3 {
                return Err(format!("invalid ISO 8601 format: length={n}"));
            }
            if !literal.is_empty() {
                items.push(Item::Literal(std::mem::take(&mut literal)));
            }
            items.push(Item::Field(c, n));
            i += n;
        }
        if in_quote {
            return Err("Unterminated quote".to_string());
        }
        if !literal.is_empty() {
            items.push(Item::Literal(literal));
        }
        Ok(SimpleDateFormat {
            pattern: pattern.to_string(),
            items,
        })
    }

    /// `toPattern()`.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// `format(new Date(epoch_ms))` in UTC.
    pub fn format(&self, epoch_ms: i64) -> String {
        let days = epoch_ms.div_euclid(MS_PER_DAY);
        let ms_of_day = epoch_ms.rem_euclid(MS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        let hour = ms_of_day / 3_600_000;
        let minute = ms_of_day / 60_000 % 60;
        let second = ms_of_day / 1000 % 60;
        let millis = ms_of_day % 1000;
        let dow = (days + 4).rem_euclid(7); // 0 = Sunday
        let jan1 = days_from_civil(year, 1, 1);
        let (week_year, week) = week_of_year(days, year);
        let first_of_month_dow = (days_from_civil(year, month, 1) + 4).rem_euclid(7);
        let era_year = if year <= 0 { 1 - year } else { year };
        let mut out = String::new();
        for item in &self.items {
            let (c, n) = match item {
                Item::Literal(s) => {
                    out.push_str(s);
                    continue;
                }
                Item::Field(c, n) => (*c, *n),
            };
            let number = |v: i64| pad(v, n);
            let text = match c {
                'G' => (if year <= 0 { "BC" } else { "AD" }).to_string(),
                'y' | 'Y' => {
                    let y = if c == 'y' { era_year } else { week_year };
                    if n == 2 {
                        pad(y.rem_euclid(100), 2)
                    } else {
                        number(y)
                    }
                }
                'M' | 'L' => month_text(month, n),
                'd' => number(day as i64),
                'H' => number(hour),
                'k' => number(if hour == 0 { 24 } else { hour }),
                'K' => number(hour % 12),
                'h' => number(if hour % 12 == 0 { 12 } else { hour % 12 }),
                'm' => number(minute),
                's' => number(second),
                'S' => number(millis),
                'E' => day_text(dow, n),
                'u' => number(if dow == 0 { 7 } else { dow }),
                'D' => number(days - jan1 + 1),
                'F' => number((day as i64 - 1) / 7 + 1),
                'w' => number(week),
                'W' => number((day as i64 - 1 + first_of_month_dow) / 7 + 1),
                'a' => (if hour < 12 { "AM" } else { "PM" }).to_string(),
                'z' => (if n >= 4 {
                    "Coordinated Universal Time"
                } else {
                    "UTC"
                })
                .to_string(),
                'Z' => "+0000".to_string(),
                'X' => "Z".to_string(),
                _ => String::new(),
            };
            out.push_str(&text);
        }
        out
    }

    /// `parse(text)` (lenient, UTC unless the text carries a zone). Trailing text is ignored,
    /// as in `DateFormat.parse(String)`.
    pub fn parse(&self, text: &str) -> Option<i64> {
        let chars: Vec<char> = text.chars().collect();
        let mut pos = 0usize;
        let mut f = Parsed::default();
        for (idx, item) in self.items.iter().enumerate() {
            match item {
                Item::Literal(lit) => {
                    for lc in lit.chars() {
                        if chars.get(pos) != Some(&lc) {
                            return None;
                        }
                        pos += 1;
                    }
                }
                Item::Field(c, n) => {
                    while matches!(chars.get(pos), Some(' ') | Some('\t')) {
                        pos += 1;
                    }
                    let obey = self.items.get(idx + 1).is_some_and(Item::is_numeric);
                    pos = parse_field(&chars, pos, *c, *n, obey, item.is_numeric(), &mut f)?;
                }
            }
        }
        f.resolve()
    }
}

#[derive(Default)]
struct Parsed {
    era_bc: bool,
    year: Option<i64>,
    month: Option<i64>,
    day: Option<i64>,
    day_of_year: Option<i64>,
    hour_of_day: Option<i64>,
    hour12: Option<i64>,
    pm: Option<bool>,
    minute: i64,
    second: i64,
    millis: i64,
    offset_ms: i64,
}

impl Parsed {
    fn resolve(&self) -> Option<i64> {
        let mut year = self.year.unwrap_or(1970) as i128;
        if self.era_bc {
            year = 1 - year;
        }
        let days: i128 = match (self.day_of_year, self.month, self.day) {
            (Some(doy), None, None) => {
                i128::from(days_from_civil(clamp_year(year)?, 1, 1)) + i128::from(doy) - 1
            }
            _ => {
                let m0 = i128::from(self.month.unwrap_or(1)) - 1;
                let y = year + m0.div_euclid(12);
                let m = m0.rem_euclid(12) + 1;
                i128::from(days_from_civil(clamp_year(y)?, m as u32, 1))
                    + i128::from(self.day.unwrap_or(1))
                    - 1
            }
        };
        let hour = match (self.hour_of_day, self.hour12) {
            (Some(h), _) => i128::from(h),
            (None, Some(h)) => i128::from(h % 12) + if self.pm == Some(true) { 12 } else { 0 },
            (None, None) => {
                if self.pm == Some(true) {
                    12
                } else {
                    0
                }
            }
        };
        let total = days * i128::from(MS_PER_DAY)
            + hour * 3_600_000
            + i128::from(self.minute) * 60_000
            + i128::from(self.second) * 1000
            + i128::from(self.millis)
            - i128::from(self.offset_ms);
        i64::try_from(total).ok()
    }
}

fn clamp_year(y: i128) -> Option<i64> {
    if y.abs() > 300_000_000 {
        None
    } else {
        Some(y as i64)
    }
}

fn parse_field(
    chars: &[char],
    pos: usize,
    c: char,
    n: usize,
    obey: bool,
    numeric: bool,
    f: &mut Parsed,
) -> Option<usize> {
    if numeric {
        let (value, end) = parse_number(chars, pos, if obey { n } else { usize::MAX })?;
        match c {
            'y' | 'Y' => {
                let digits = end - pos;
                f.year = Some(if n <= 2 && digits == 2 {
                    two_digit_year(value)
                } else {
                    value
                });
            }
            'M' | 'L' => f.month = Some(value),
            'd' => f.day = Some(value),
            'D' => f.day_of_year = Some(value),
            'H' => f.hour_of_day = Some(value),
            'k' => f.hour_of_day = Some(if value == 24 { 0 } else { value }),
            'h' | 'K' => f.hour12 = Some(value),
            'm' => f.minute = value,
            's' => f.second = value,
            'S' => f.millis = value,
            _ => {} // F, w, W, u: accepted, not used to resolve the date
        }
        return Some(end);
    }
    match c {
        'M' | 'L' => {
            let (idx, end) = match_names(chars, pos, &MONTHS)?;
            f.month = Some(idx as i64 + 1);
            Some(end)
        }
        'E' => match_names(chars, pos, &DAYS).map(|(_, end)| end),
        'a' => {
            let (idx, end) = match_any(chars, pos, &["AM", "PM"])?;
            f.pm = Some(idx == 1);
            Some(end)
        }
        'G' => {
            let (idx, end) = match_any(chars, pos, &["AD", "BC"])?;
            f.era_bc = idx == 1;
            Some(end)
        }
        'z' | 'Z' | 'X' => {
            let (offset, end) = parse_zone(chars, pos)?;
            f.offset_ms = offset;
            Some(end)
        }
        _ => None,
    }
}

fn parse_number(chars: &[char], pos: usize, max_len: usize) -> Option<(i64, usize)> {
    let mut end = pos;
    let mut value: i64 = 0;
    while end < chars.len() && end - pos < max_len {
        let Some(d) = chars[end].to_digit(10) else {
            break;
        };
        value = value.checked_mul(10)?.checked_add(i64::from(d))?;
        end += 1;
    }
    if end == pos {
        None
    } else {
        Some((value, end))
    }
}

/// SimpleDateFormat's default century: 80 years before now to 20 years after.
fn two_digit_year(yy: i64) -> i64 {
    let now_days = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64 / 86_400)
        .unwrap_or(0);
    let start_year = civil_from_days(now_days).0 - 80;
    let ambiguous = start_year.rem_euclid(100);
    yy + start_year.div_euclid(100) * 100 + if yy < ambiguous { 100 } else { 0 }
}

fn match_any(chars: &[char], pos: usize, options: &[&str]) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize)> = None;
    for (i, opt) in options.iter().enumerate() {
        let len = opt.chars().count();
        if pos + len > chars.len() {
            continue;
        }
        let candidate: String = chars[pos..pos + len].iter().collect();
        if candidate.eq_ignore_ascii_case(opt) && best.is_none_or(|(_, e)| pos + len > e) {
            best = Some((i, pos + len));
        }
    }
    best
}

/// Long names or their three-letter abbreviations, longest match wins.
fn match_names(chars: &[char], pos: usize, names: &[&str]) -> Option<(usize, usize)> {
    let short: Vec<&str> = names.iter().map(|n| &n[..3]).collect();
    let long = match_any(chars, pos, names);
    let abbrev = match_any(chars, pos, &short);
    match (long, abbrev) {
        (Some(l), Some(s)) => Some(if l.1 >= s.1 { l } else { s }),
        (l, s) => l.or(s),
    }
}

/// `Z`, `UTC`/`GMT` (optionally followed by an offset), `+hh`, `+hhmm`, `+hh:mm`.
fn parse_zone(chars: &[char], pos: usize) -> Option<(i64, usize)> {
    let mut p = pos;
    if chars.get(p) == Some(&'Z') {
        return Some((0, p + 1));
    }
    if let Some((_, end)) = match_any(chars, p, &["UTC", "GMT"]) {
        p = end;
        if !matches!(chars.get(p), Some('+') | Some('-')) {
            return Some((0, p));
        }
    }
    let sign = match chars.get(p) {
        Some('+') => 1,
        Some('-') => -1,
        _ => return None,
    };
    p += 1;
    let (hours, end) = parse_number(chars, p, 2)?;
    p = end;
    if chars.get(p) == Some(&':') {
        p += 1;
    }
    let (minutes, p) = match parse_number(chars, p, 2) {
        Some((m, e)) => (m, e),
        None => (0, p),
    };
    Some((sign * (hours * 3_600_000 + minutes * 60_000), p))
}

fn pad(v: i64, width: usize) -> String {
    if v < 0 {
        format!("-{:0>width$}", -v, width = width.saturating_sub(1))
    } else {
        format!("{v:0>width$}")
    }
}

fn month_text(month: u32, n: usize) -> String {
    let name = MONTHS[(month as usize + 11) % 12];
    match n {
        1 | 2 => pad(month as i64, n),
        3 => name[..3].to_string(),
        _ => name.to_string(),
    }
}

fn day_text(dow: i64, n: usize) -> String {
    let name = DAYS[dow.rem_euclid(7) as usize];
    if n >= 4 {
        name.to_string()
    } else {
        name[..3].to_string()
    }
}

/// Week-based year and week number, US rules (weeks start Sunday, week 1 holds 1 January).
fn week_of_year(days: i64, year: i64) -> (i64, i64) {
    let dow = (days + 4).rem_euclid(7);
    let week_start = days - dow;
    let next_jan1 = days_from_civil(year + 1, 1, 1);
    if week_start + 6 >= next_jan1 {
        return (year + 1, 1);
    }
    let jan1 = days_from_civil(year, 1, 1);
    let jan1_dow = (jan1 + 4).rem_euclid(7);
    (year, (days - jan1 + jan1_dow) / 7 + 1)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian (year, month, day) of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2024-01-15T10:30:45.123Z
    const TS: i64 = 1_705_314_645_123;

    fn fmt(p: &str, ms: i64) -> String {
        SimpleDateFormat::new(p).unwrap().format(ms)
    }

    #[test]
    fn formats_common_patterns() {
        assert_eq!(fmt("yyyy-MM-dd", TS), "2024-01-15");
        assert_eq!(fmt("yyyyMMdd", TS), "20240115");
        assert_eq!(
            fmt("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", TS),
            "2024-01-15T10:30:45.123Z"
        );
        assert_eq!(fmt("yy/M/d h:mm a", TS), "24/1/15 10:30 AM");
        assert_eq!(
            fmt("EEE, d MMM yyyy HH:mm:ss Z", TS),
            "Mon, 15 Jan 2024 10:30:45 +0000"
        );
        assert_eq!(fmt("EEEE MMMM dd", TS), "Monday January 15");
        assert_eq!(
            fmt("D w W F u k K z zzzz XXX G", TS),
            "15 3 3 3 1 10 10 UTC Coordinated Universal Time Z AD"
        );
        assert_eq!(fmt("'o''clock' ''", 0), "o'clock '");
        assert_eq!(fmt("S SSSS", 5), "5 0005");
        assert_eq!(fmt("yyyy-MM-dd HH:mm", -1), "1969-12-31 23:59");
    }

    #[test]
    fn week_of_year_wraps_into_next_year() {
        // 2024-12-31 is a Tuesday; the week holding 2025-01-01 is week 1 of 2025.
        let ms = days_from_civil(2024, 12, 31) * MS_PER_DAY;
        assert_eq!(fmt("YYYY-ww", ms), "2025-01");
    }

    #[test]
    fn rejects_bad_patterns() {
        assert_eq!(
            SimpleDateFormat::new("yyyy-bb").unwrap_err(),
            "Illegal pattern character 'b'"
        );
        assert_eq!(
            SimpleDateFormat::new("yyyy'").unwrap_err(),
            "Unterminated quote"
        );
    }

    #[test]
    fn parses_leniently() {
        let p = |pat: &str, s: &str| SimpleDateFormat::new(pat).unwrap().parse(s);
        assert_eq!(
            p("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", "2024-01-15T10:30:45.123Z"),
            Some(TS)
        );
        assert_eq!(
            p("yyyyMMdd", "20240115"),
            Some(days_from_civil(2024, 1, 15) * MS_PER_DAY)
        );
        assert_eq!(
            p("yyyy-MM-dd", "2024-13-01"),
            Some(days_from_civil(2025, 1, 1) * MS_PER_DAY)
        );
        assert_eq!(
            p("yyyy-MM-dd", "2024-01-15 trailing"),
            p("yyyy-MM-dd", "2024-01-15")
        );
        assert_eq!(p("yyyy-MM-dd", "15/01/2024"), None);
        assert_eq!(p("yyyy-MM-dd", ""), None);
        assert_eq!(
            p("dd MMM yyyy hh:mm a", "15 jan 2024 01:05 PM"),
            Some(days_from_civil(2024, 1, 15) * MS_PER_DAY + 13 * 3_600_000 + 5 * 60_000)
        );
        assert_eq!(
            p("yyyy-MM-dd HH:mm Z", "2024-01-15 12:00 +0100"),
            Some(days_from_civil(2024, 1, 15) * MS_PER_DAY + 11 * 3_600_000)
        );
        assert_eq!(
            p("yyyy-MM-dd HH:mm:ssXXX", "2024-01-15 12:00:00-02:30"),
            Some(days_from_civil(2024, 1, 15) * MS_PER_DAY + 14 * 3_600_000 + 30 * 60_000)
        );
        assert_eq!(p("yyyy", "99999999999999999999999"), None);
    }

    #[test]
    fn civil_round_trip() {
        for days in [-719_468, -1, 0, 1, 11_016, 19_737, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(19_737), (2024, 1, 15));
    }
}
