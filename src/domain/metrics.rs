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
