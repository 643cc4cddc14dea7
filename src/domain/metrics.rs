//! Start of impact, detection, end of impact, and the two intervals that follow:
//! time to detect (start to detection) and time to recover (start to end).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImpactTimes {
    pub started: Option<DateTime<Utc>>,
    pub detected: Option<DateTime<Utc>>,
    pub ended: Option<DateTime<Utc>>,
    /// How many times any of the three was corrected after first being set.
    pub corrections: u32,
}

/// Which of the three impact times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    Started,
    Detected,
    Ended,
}

impl Mark {
    pub fn label(self) -> &'static str {
        match self {
            Mark::Started => "start of impact",
            Mark::Detected => "detection",
            Mark::Ended => "end of impact",
        }
    }
}

impl ImpactTimes {
    pub fn get(&self, mark: Mark) -> Option<DateTime<Utc>> {
        match mark {
            Mark::Started => self.started,
            Mark::Detected => self.detected,
            Mark::Ended => self.ended,
        }
    }

    /// Sets a time; returns whether it corrected an earlier value.
    pub fn set(&mut self, mark: Mark, at: DateTime<Utc>) -> bool {
        let slot = match mark {
            Mark::Started => &mut self.started,
            Mark::Detected => &mut self.detected,
            Mark::Ended => &mut self.ended,
        };
        let corrected = slot.is_some();
        *slot = Some(at);
        if corrected {
            self.corrections += 1;
        }
        corrected
    }

    /// Refuses an order of times that cannot be: detection or end before start.
    pub fn check(&self, mark: Mark, at: DateTime<Utc>) -> Result<(), String> {
        let mut next = *self;
        next.set(mark, at);
        if let (Some(s), Some(d)) = (next.started, next.detected)
            && d < s
        {
            return Err(format!(
                "detection ({}) cannot come before start of impact ({})",
                d.format("%Y-%m-%d %H:%M UTC"),
                s.format("%Y-%m-%d %H:%M UTC")
            ));
        }
        if let (Some(s), Some(e)) = (next.started, next.ended)
            && e < s
        {
            return Err(format!(
                "end of impact ({}) cannot come before start of impact ({})",
                e.format("%Y-%m-%d %H:%M UTC"),
                s.format("%Y-%m-%d %H:%M UTC")
            ));
        }
        Ok(())
    }

    /// Time to detect: start of impact to detection.
    pub fn ttd(&self) -> Option<Duration> {
        Some(self.detected? - self.started?).filter(|d| *d >= Duration::zero())
    }

    /// Time to recover: start of impact to end of impact.
    pub fn ttr(&self) -> Option<Duration> {
        Some(self.ended? - self.started?).filter(|d| *d >= Duration::zero())
    }
}

/// `1h 05m`, `12m`, `45s`, `3d 4h`: compact, for headers and tables.
pub fn format_duration(d: Duration) -> String {
    let secs = d.num_seconds().max(0);
    let (days, hours, mins) = (secs / 86_400, (secs / 3_600) % 24, (secs / 60) % 60);
    if days > 0 {
        format!("{days}d {hours}h")
    } else if hours > 0 {
        format!("{hours}h {mins:02}m")
    } else if mins > 0 {
        format!("{mins}m")
    } else {
        format!("{secs}s")
    }
}

/// Count, median, 90th percentile and maximum of a set of durations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Distribution {
    pub count: usize,
    #[serde(serialize_with = "secs")]
    pub p50: Duration,
    #[serde(serialize_with = "secs")]
    pub p90: Duration,
    #[serde(serialize_with = "secs")]
    pub max: Duration,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_i64(d.num_seconds())
}

/// The nearest-rank percentile of sorted values: the smallest value with at least `p`
/// percent of the values at or below it.
pub fn percentile(sorted: &[Duration], p: f64) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted.get(rank.min(sorted.len()) - 1).copied()
}

pub fn distribution(mut values: Vec<Duration>) -> Option<Distribution> {
    values.sort();
    Some(Distribution {
        count: values.len(),
        p50: percentile(&values, 50.0)?,
        p90: percentile(&values, 90.0)?,
        max: *values.last()?,
    })
}

/// TTD and TTR of one severity (or of all).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Group {
    pub incidents: usize,
    pub ttd: Option<Distribution>,
    pub ttr: Option<Distribution>,
    #[serde(skip)]
    pub ttd_values: Vec<Duration>,
    #[serde(skip)]
    pub ttr_values: Vec<Duration>,
}

/// An incident left out of a figure, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Missing {
    pub short_id: String,
    pub title: String,
    pub missing: Vec<&'static str>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    pub all: Group,
    pub by_severity: std::collections::BTreeMap<u8, Group>,
    pub missing: Vec<Missing>,
    pub drills_excluded: usize,
}

/// TTD and TTR across incidents declared since `since`, by severity. Drills are left out;
/// incidents without the times a figure needs are listed, not silently dropped.
pub fn stats(
    incidents: &[super::incident::IncidentSummary],
    since: Option<DateTime<Utc>>,
) -> Stats {
    let mut out = Stats::default();
    for i in incidents {
        if since.is_some_and(|s| i.declared_at.is_none_or(|d| d < s)) {
            continue;
        }
        if i.drill {
            out.drills_excluded += 1;
            continue;
        }
        let times = ImpactTimes {
            started: i.impact_started,
            detected: i.detected,
            ended: i.impact_ended,
            corrections: 0,
        };
        let mut missing = Vec::new();
        if times.started.is_none() {
            missing.push("start of impact");
        }
        if times.detected.is_none() {
            missing.push("detection");
        }
        if times.ended.is_none() {
            missing.push("end of impact");
        }
        let level = i.severity.level();
        for g in [&mut out.all, out.by_severity.entry(level).or_default()] {
            g.incidents += 1;
            if let Some(d) = times.ttd() {
                g.ttd_values.push(d);
            }
            if let Some(d) = times.ttr() {
                g.ttr_values.push(d);
            }
        }
        if !missing.is_empty() {
            out.missing.push(Missing {
                short_id: i.short_id.clone(),
                title: i.title.clone(),
                missing,
            });
        }
    }
    for g in std::iter::once(&mut out.all).chain(out.by_severity.values_mut()) {
        g.ttd = distribution(g.ttd_values.clone());
        g.ttr = distribution(g.ttr_values.clone());
    }
    out
}

/// A text histogram: one row per bucket, a bar of `#` scaled to `width`.
pub fn histogram(values: &[Duration], width: usize) -> String {
    const BOUNDS: [(i64, &str); 7] = [
        (5 * 60, "< 5m"),
        (15 * 60, "5-15m"),
        (30 * 60, "15-30m"),
        (60 * 60, "30-60m"),
        (2 * 3600, "1-2h"),
        (4 * 3600, "2-4h"),
        (i64::MAX, "4h+"),
    ];
    let mut counts = [0usize; 7];
    for v in values {
        let s = v.num_seconds();
        let i = BOUNDS.iter().position(|(b, _)| s < *b).unwrap_or(6);
        counts[i] += 1;
    }
    let top = counts.iter().copied().max().unwrap_or(0).max(1);
    let mut out = String::new();
    for (i, (_, label)) in BOUNDS.iter().enumerate() {
        let bar = "#".repeat((counts[i] * width).div_ceil(top).min(width));
        out.push_str(&format!("  {label:>7} | {bar} {}\n", counts[i]));
    }
    out
}

#[cfg(test)]
mod stats_tests {
    use super::*;
    use crate::domain::event::Severity;
    use crate::domain::incident::IncidentSummary;
    use chrono::TimeZone;

    fn inc(
        sev: Severity,
        ttd_min: Option<i64>,
        ttr_min: Option<i64>,
        drill: bool,
    ) -> IncidentSummary {
        let start = Utc.with_ymd_and_hms(2026, 11, 1, 10, 0, 0).unwrap();
        let mut s = IncidentSummary::new(uuid::Uuid::now_v7());
        s.title = "t".into();
        s.severity = sev;
        s.drill = drill;
        s.declared_at = Some(start);
        s.impact_started = Some(start);
        s.detected = ttd_min.map(|m| start + Duration::minutes(m));
        s.impact_ended = ttr_min.map(|m| start + Duration::minutes(m));
        s
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let v: Vec<Duration> = (1..=10).map(Duration::minutes).collect();
        assert_eq!(percentile(&v, 50.0), Some(Duration::minutes(5)));
        assert_eq!(percentile(&v, 90.0), Some(Duration::minutes(9)));
        assert_eq!(percentile(&v, 100.0), Some(Duration::minutes(10)));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn stats_group_by_severity_skip_drills_and_list_gaps() {
        let all = vec![
            inc(Severity::CRITICAL, Some(5), Some(60), false),
            inc(Severity::CRITICAL, Some(15), Some(120), false),
            inc(Severity::CRITICAL, Some(10), None, false),
            inc(Severity::MINOR, Some(40), Some(300), false),
            inc(Severity::MINOR, Some(1), Some(2), true),
        ];
        let s = stats(&all, None);
        assert_eq!(s.drills_excluded, 1);
        assert_eq!(s.all.incidents, 4);
        let sev1 = &s.by_severity[&1];
        assert_eq!(sev1.incidents, 3);
        let ttd = sev1.ttd.unwrap();
        assert_eq!(
            (ttd.count, ttd.p50, ttd.p90, ttd.max),
            (
                3,
                Duration::minutes(10),
                Duration::minutes(15),
                Duration::minutes(15)
            )
        );
        let ttr = sev1.ttr.unwrap();
        assert_eq!(
            (ttr.count, ttr.p50, ttr.max),
            (2, Duration::minutes(60), Duration::minutes(120))
        );
        assert_eq!(s.missing.len(), 1);
        assert_eq!(s.missing[0].missing, vec!["end of impact"]);
        let h = histogram(&s.all.ttr_values, 10);
        assert!(h.contains("30-60m |"), "{h}");
        assert!(
            h.lines().any(|l| l.contains("4h+") && l.ends_with(" 1")),
            "{h}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 26, h, m, 0).unwrap()
    }

    #[test]
    fn ttd_and_ttr_follow_from_the_three_times() {
        let mut i = ImpactTimes::default();
        assert_eq!(i.ttd(), None);
        i.set(Mark::Started, t(10, 0));
        i.set(Mark::Detected, t(10, 12));
        assert_eq!(i.ttd(), Some(Duration::minutes(12)));
        assert_eq!(i.ttr(), None);
        i.set(Mark::Ended, t(11, 30));
        assert_eq!(i.ttr(), Some(Duration::minutes(90)));
        assert_eq!(format_duration(i.ttr().unwrap()), "1h 30m");
    }

    #[test]
    fn corrections_are_counted_and_impossible_orders_refused() {
        let mut i = ImpactTimes::default();
        i.set(Mark::Started, t(10, 0));
        assert!(i.check(Mark::Detected, t(9, 59)).is_err());
        assert!(i.check(Mark::Ended, t(9, 0)).is_err());
        assert!(i.check(Mark::Detected, t(10, 5)).is_ok());
        i.set(Mark::Detected, t(10, 5));
        // Moving the start after detection is refused too.
        assert!(i.check(Mark::Started, t(10, 6)).is_err());
        assert!(i.set(Mark::Started, t(9, 50)));
        assert_eq!(i.corrections, 1);
    }
}
