//! Times as responders type them: `now`, `21:40`, `-15m`, `15m ago`, `in 30m`,
//! `2026-11-26 21:40`, or full RFC 3339. Times without a zone are read in the given time
//! zone, at the offset in force on that date; a bare clock time later than now means
//! yesterday (back-dating past midnight).

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

pub fn parse_when<Tz: TimeZone>(
    input: &str,
    now: DateTime<Utc>,
    local: Tz,
) -> Result<DateTime<Utc>, String> {
    let s = input.trim();
    let bad = || {
        format!(
            "cannot read the time `{input}`: use e.g. `now`, `21:40`, `-15m`, `15m ago`, \
             `in 30m`, `2026-11-26 21:40` or `2026-11-26T21:40:00Z`"
        )
    };
    if s.is_empty() {
        return Err(bad());
    }
    let lower = s.to_ascii_lowercase();
    if lower == "now" {
        return Ok(now);
    }
    if let Some(rest) = lower
        .strip_suffix(" ago")
        .or_else(|| lower.strip_prefix('-'))
    {
        return parse_span(rest).map(|d| now - d).ok_or_else(bad);
    }
    if let Some(rest) = lower
        .strip_prefix("in ")
        .or_else(|| lower.strip_prefix('+'))
    {
        return parse_span(rest).map(|d| now + d).ok_or_else(bad);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(s, fmt) {
            return from_local(naive, &local).ok_or_else(bad);
        }
    }
    if let Ok(date) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return from_local(date.and_time(NaiveTime::MIN), &local).ok_or_else(bad);
    }
    for fmt in ["%H:%M:%S", "%H:%M"] {
        if let Ok(time) = NaiveTime::parse_from_str(s, fmt) {
            let today = now.with_timezone(&local).date_naive();
            let candidate = from_local(today.and_time(time), &local).ok_or_else(bad)?;
            // A clock time in the future most likely meant the same time yesterday.
            return Ok(if candidate > now + Duration::minutes(1) {
                candidate - Duration::days(1)
            } else {
                candidate
            });
        }
    }
    Err(bad())
}

fn from_local<Tz: TimeZone>(naive: NaiveDateTime, local: &Tz) -> Option<DateTime<Utc>> {
    // In a daylight-saving gap no such local time exists; in an overlap, take the earlier.
    local
        .from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// `90s`, `15m`, `2h`, `1h30m`, `1d`, `15 min`, `2 hours`.
pub fn parse_span(s: &str) -> Option<Duration> {
    let s: String = s.split_whitespace().collect();
    if s.is_empty() {
        return None;
    }
    let mut total = Duration::zero();
    let mut rest = s.as_str();
    while !rest.is_empty() {
        let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        let n: i64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest.chars().take_while(|c| c.is_ascii_alphabetic()).count();
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let d = match unit {
            "s" | "sec" | "secs" | "second" | "seconds" => Duration::try_seconds(n)?,
            "m" | "min" | "mins" | "minute" | "minutes" => Duration::try_minutes(n)?,
            "h" | "hr" | "hrs" | "hour" | "hours" => Duration::try_hours(n)?,
            "d" | "day" | "days" => Duration::try_days(n)?,
            "w" | "wk" | "week" | "weeks" => Duration::try_weeks(n)?,
            _ => return None,
        };
        total = total.checked_add(&d)?;
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::FixedOffset;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 26, 0, 30, 0).unwrap()
    }

    #[test]
    fn relative_and_absolute_times() {
        let utc = FixedOffset::east_opt(0).unwrap();
        assert_eq!(parse_when("now", now(), utc).unwrap(), now());
        assert_eq!(
            parse_when("-15m", now(), utc).unwrap(),
            now() - Duration::minutes(15)
        );
        assert_eq!(
            parse_when("1h 30m ago", now(), utc).unwrap(),
            now() - Duration::minutes(90)
        );
        assert_eq!(
            parse_when("in 30m", now(), utc).unwrap(),
            now() + Duration::minutes(30)
        );
        assert_eq!(
            parse_when("2026-11-25T23:10:00Z", now(), utc).unwrap(),
            Utc.with_ymd_and_hms(2026, 11, 25, 23, 10, 0).unwrap()
        );
        assert_eq!(
            parse_when("2026-11-25 23:10", now(), utc).unwrap(),
            Utc.with_ymd_and_hms(2026, 11, 25, 23, 10, 0).unwrap()
        );
    }

    #[test]
    fn a_future_clock_time_means_yesterday() {
        let utc = FixedOffset::east_opt(0).unwrap();
        assert_eq!(
            parse_when("23:50", now(), utc).unwrap(),
            Utc.with_ymd_and_hms(2026, 11, 25, 23, 50, 0).unwrap()
        );
        assert_eq!(
            parse_when("00:10", now(), utc).unwrap(),
            Utc.with_ymd_and_hms(2026, 11, 26, 0, 10, 0).unwrap()
        );
    }

    #[test]
    fn local_offsets_apply_to_times_without_a_zone() {
        let plus2 = FixedOffset::east_opt(2 * 3600).unwrap();
        assert_eq!(
            parse_when("2026-11-26 02:00", now(), plus2).unwrap(),
            Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 0).unwrap()
        );
    }

    #[test]
    fn nonsense_is_refused_with_examples() {
        let utc = FixedOffset::east_opt(0).unwrap();
        for bad in ["", "yesterday-ish", "25:99", "-15x", "2026-13-01"] {
            let err = parse_when(bad, now(), utc).unwrap_err();
            assert!(err.contains("cannot read the time"), "{bad}: {err}");
        }
    }
}
