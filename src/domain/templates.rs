//! The message templates warroom ships (`assets/comms/`), filled from an incident, and the
//! next-update time a draft promises.

use std::sync::LazyLock;

use regex::Regex;

use super::comms::{DraftKind, NEXT_UPDATE};
use super::event::Audience;

#[expect(
    clippy::panic,
    reason = "the patterns are literals in this file, each compiled by the tests"
)]
fn re(p: &str) -> Regex {
    Regex::new(p).unwrap_or_else(|e| panic!("built-in pattern {p}: {e}"))
}

/// The message templates warroom ships, in `assets/comms/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Template {
    /// The first internal update.
    First,
    /// A regular internal update.
    Update,
    /// An update for customers.
    External,
    /// The last internal message, at resolution.
    FinalInternal,
    /// The last message for customers, at resolution.
    FinalExternal,
}

impl Template {
    pub const ALL: [Template; 5] = [
        Template::First,
        Template::Update,
        Template::External,
        Template::FinalInternal,
        Template::FinalExternal,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Template::First => "first",
            Template::Update => "update",
            Template::External => "external",
            Template::FinalInternal => "final-internal",
            Template::FinalExternal => "final-external",
        }
    }

    pub fn parse(s: &str) -> Option<Template> {
        Template::ALL.into_iter().find(|t| t.name() == s.trim())
    }

    pub fn audience(self) -> Audience {
        match self {
            Template::External | Template::FinalExternal => Audience::External,
            _ => Audience::Internal,
        }
    }

    pub fn kind(self) -> DraftKind {
        match self {
            Template::FinalInternal | Template::FinalExternal => DraftKind::Final,
            _ => DraftKind::Update,
        }
    }

    fn text(self) -> &'static str {
        match self {
            Template::First => include_str!("../../assets/comms/first.txt"),
            Template::Update => include_str!("../../assets/comms/update.txt"),
            Template::External => include_str!("../../assets/comms/external.txt"),
            Template::FinalInternal => include_str!("../../assets/comms/final-internal.txt"),
            Template::FinalExternal => include_str!("../../assets/comms/final-external.txt"),
        }
    }

    /// The template filled in from the incident; `<...>` marks what a person must write.
    pub fn render(
        self,
        incident: &super::incident::Incident,
        now: chrono::DateTime<chrono::Utc>,
    ) -> String {
        use super::metrics::format_duration;
        let hm = |t: chrono::DateTime<chrono::Utc>| t.format("%H:%M UTC").to_string();
        let s = &incident.summary;
        let started = incident.impact.started;
        let mut status: Vec<String> = incident
            .board
            .running_experiments()
            .map(|e| format!("- Trying: {}", e.plan))
            .chain(
                incident
                    .board
                    .observations
                    .iter()
                    .rev()
                    .map(|o| format!("- Seen: {}", o.text)),
            )
            .take(3)
            .collect();
        while status.len() < 2 {
            status.push("- <current status>".into());
        }
        let mut next: Vec<String> = incident
            .board
            .open_theories()
            .map(|t| {
                let text = t.text.trim_end_matches('.');
                let mut chars = text.chars();
                let lowered: String = chars
                    .next()
                    .map(|c| c.to_lowercase().chain(chars).collect())
                    .unwrap_or_default();
                format!("- Check whether {lowered}")
            })
            .take(3)
            .collect();
        while next.len() < 2 {
            next.push("- <next step>".into());
        }
        let values: [(&str, String); 11] = [
            ("severity", s.severity.label().to_string()),
            ("title", s.title.clone()),
            (
                "summary_or_prompt",
                if incident.description.trim().is_empty() {
                    "<One or two sentences: where things stand and what users feel.>".into()
                } else {
                    incident.description.trim().to_string()
                },
            ),
            (
                "started",
                started.map(hm).unwrap_or_else(|| "<time>".into()),
            ),
            (
                "duration",
                started
                    .map(|t| format_duration(now - t))
                    .unwrap_or_else(|| "<how long>".into()),
            ),
            ("next_update", hm(now + chrono::Duration::minutes(30))),
            ("status_bullets", status.join("\n")),
            ("next_steps", next.join("\n")),
            (
                "impact_duration",
                match (started, incident.impact.ended) {
                    (Some(a), Some(b)) => format_duration(b - a),
                    _ => "<how long>".into(),
                },
            ),
            (
                "impact_window",
                match (started, incident.impact.ended) {
                    (Some(a), Some(b)) => format!("{} to {}", a.format("%H:%M"), hm(b)),
                    _ => "<from when to when>".into(),
                },
            ),
            (
                "postmortem_line",
                if incident.roster.is_defaulted_to_ic(super::event::Role::Po) {
                    "a Postmortem Owner will be named and will share the postmortem.".to_string()
                } else {
                    "the Postmortem Owner will share the postmortem.".to_string()
                },
            ),
        ];
        let mut out = self.text().to_string();
        for (k, v) in values {
            out = out.replace(&format!("{{{k}}}"), &v);
        }
        out
    }
}

impl Template {
    /// A new update from `last`, the last one sent to the same audience: its facts kept
    /// (the summary, the status, the impact, the numbers, the cause), and what time makes
    /// stale brought up to date as this template has it now: the title line (the severity
    /// may have changed), how long impact has lasted ("ongoing for 1h 05m") and the clock
    /// time the next update is promised at. A next update promised "in 30 minutes" stays.
    pub fn follow_up(
        self,
        last: &str,
        incident: &super::incident::Incident,
        now: chrono::DateTime<chrono::Utc>,
    ) -> String {
        static CLOCK_TIME: LazyLock<Regex> =
            LazyLock::new(|| re(r"(?i)\b\d{1,2}[:h]\d{2}(?:\s*UTC)?\b"));
        static ONGOING: LazyLock<Regex> =
            LazyLock::new(|| re(r"(?i)\bongoing for (?:\d+d \d+h|\d+h \d{2}m|\d+m|\d+s)"));
        let fresh = self.render(incident, now);
        let title = fresh.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        let next_at = (now + chrono::Duration::minutes(30))
            .format("%H:%M UTC")
            .to_string();
        let ongoing = incident
            .impact
            .started
            .filter(|_| incident.impact.ended.is_none())
            .map(|t| format!("ongoing for {}", super::metrics::format_duration(now - t)));
        let (mut titled, mut promised) = (false, false);
        let mut out: Vec<String> = Vec::new();
        for line in last.lines() {
            if !titled && !line.trim().is_empty() {
                titled = true;
                out.push(title.to_string());
                continue;
            }
            let mut line = line.to_string();
            if !promised && NEXT_UPDATE.is_match(&line) {
                promised = true;
                line = CLOCK_TIME.replace(&line, next_at.as_str()).into_owned();
            }
            if let Some(o) = &ongoing {
                line = ONGOING.replace_all(&line, o.as_str()).into_owned();
            }
            out.push(line);
        }
        out.join("\n")
    }
}

/// The time a draft promises the next update, read from its next-update line: a clock
/// time (today, or tomorrow if it has passed; in `local` when no zone is given) or
/// "in 30 minutes".
pub fn next_update_time(
    text: &str,
    now: chrono::DateTime<chrono::Utc>,
    local: chrono::FixedOffset,
) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::{Duration, NaiveTime, TimeZone};
    let line = text.lines().find(|l| NEXT_UPDATE.is_match(l))?;
    static CLOCK: LazyLock<Regex> =
        LazyLock::new(|| re(r"(?i)\b(\d{1,2})(?:[:h](\d{2}))?\s*(am|pm)?\s*(utc|z)?\b"));
    static IN: LazyLock<Regex> = LazyLock::new(|| {
        re(
            r"(?i)\bin\s+(?:about\s+|around\s+)?(\d+|an?|one|two|half\s+an)\s*(mins?|minutes?|hours?|hrs?|h|m)\b",
        )
    });
    // A clock time has minutes or am/pm: "22:30", "10pm", "10:30 pm UTC".
    let clock = CLOCK
        .captures_iter(line)
        .find(|c| c.get(2).is_some() || c.get(3).is_some());
    if let Some(c) = clock {
        let mut h: u32 = c[1].parse().ok()?;
        let m: u32 = c.get(2).map_or(Some(0), |m| m.as_str().parse().ok())?;
        match c.get(3).map(|x| x.as_str().to_ascii_lowercase()) {
            Some(ap) if ap == "pm" && h < 12 => h += 12,
            Some(ap) if ap == "am" && h == 12 => h = 0,
            _ => {}
        }
        let time = NaiveTime::from_hms_opt(h, m, 0)?;
        let utc = c.get(4).is_some();
        let at = if utc {
            chrono::Utc.from_utc_datetime(&now.date_naive().and_time(time))
        } else {
            let day = now.with_timezone(&local).date_naive();
            local
                .from_local_datetime(&day.and_time(time))
                .single()?
                .with_timezone(&chrono::Utc)
        };
        return Some(if at <= now {
            at + Duration::days(1)
        } else {
            at
        });
    }
    let c = IN.captures(line)?;
    let n: i64 = match c[1].to_ascii_lowercase().as_str() {
        "a" | "an" | "one" => 1,
        "two" => 2,
        "half an" => return Some(now + Duration::minutes(30)),
        digits => digits.parse().ok()?,
    };
    let unit = c[2].to_ascii_lowercase();
    Some(if unit.starts_with('h') {
        now + Duration::hours(n)
    } else {
        now + Duration::minutes(n)
    })
}

#[cfg(test)]
mod template_tests {
    use super::*;
    use crate::domain::comms::{Options, validate};
    use crate::domain::event::Severity;
    use chrono::TimeZone;

    #[test]
    fn templates_render_and_fail_only_where_a_person_must_write() {
        let now = chrono::Utc
            .with_ymd_and_hms(2026, 11, 26, 22, 0, 0)
            .unwrap();
        let declared = crate::domain::event::Event {
            id: uuid::Uuid::nil(),
            incident: uuid::Uuid::nil(),
            seq: Some(1),
            at: now,
            recorded_at: None,
            author: "ana".into(),
            persona: None,
            kind: crate::domain::event::EventKind::IncidentDeclared {
                title: "Card payments failing".into(),
                severity: Severity::MAJOR,
                summary: String::new(),
                drill: false,
                restricted: false,
            },
        };
        let inc = crate::domain::incident::Incident::fold(uuid::Uuid::nil(), [&declared]);
        for t in Template::ALL {
            let text = t.render(&inc, now);
            assert!(!text.contains('{'), "{}: {text}", t.name());
            let v = validate(
                &text,
                Options {
                    audience: t.audience(),
                    kind: t.kind(),
                    severity: None,
                },
            );
            // A raw template is never ready to send as it stands...
            assert!(
                v.failed().any(|r| r.id == "filled_in"),
                "{} has nothing to fill in",
                t.name()
            );
            // ...and its title and layout are right from the start.
            assert!(!v.failed().any(|r| r.id == "title"), "{}: {text}", t.name());
        }
        // ...and once its blanks are filled, the first update passes.
        let filled = Template::First
            .render(&inc, now)
            .replace("<what we have seen so far>", "Card errors at 38%")
            .replace(
                "<what the team is trying first>",
                "Roll back tonight's release",
            )
            .replace(
                "<what users see or cannot do>",
                "customers cannot pay by card",
            )
            .replace("<how many> external", "2,400 external")
            .replace("<how many> internal", "no internal")
            .replace("<channel or status page>", "#inc-payments")
            .replace("<time>", "21:40 UTC")
            .replace(
                "<One or two sentences: where things stand and what users feel.>",
                "Card payments fail for a third of customers.",
            );
        let v = validate(
            &filled,
            Options {
                audience: Audience::Internal,
                kind: DraftKind::Update,
                severity: None,
            },
        );
        assert!(v.passed(), "{:#?}", v.failed().collect::<Vec<_>>());
    }

    #[test]
    fn a_follow_up_keeps_the_facts_and_brings_the_title_and_times_up_to_date() {
        use crate::domain::event::{Event, EventKind};
        let start = chrono::Utc
            .with_ymd_and_hms(2026, 11, 26, 21, 0, 0)
            .unwrap();
        let event = |n: u128, kind: EventKind| Event {
            id: uuid::Uuid::from_u128(n),
            incident: uuid::Uuid::nil(),
            seq: Some(n as i64),
            at: start,
            recorded_at: None,
            author: "ana".into(),
            persona: None,
            kind,
        };
        let declared = event(
            1,
            EventKind::IncidentDeclared {
                title: "Card payments failing".into(),
                severity: Severity::MAJOR,
                summary: String::new(),
                drill: false,
                restricted: false,
            },
        );
        let started = event(2, EventKind::ImpactStarted {});
        let inc = crate::domain::incident::Incident::fold(uuid::Uuid::nil(), [&declared, &started]);
        let last = "SEV3 – Card payments slow\n\nA third of card payments fail.\n\nImpact: customers cannot pay by card (ongoing for 20m).\nRoot cause: a full pool.\nNext update at 21:50 UTC in #inc-pay.";
        let now = start + chrono::Duration::minutes(65);
        let text = Template::Update.follow_up(last, &inc, now);
        assert_eq!(
            text,
            "SEV2 – Card payments failing\n\nA third of card payments fail.\n\nImpact: customers cannot pay by card (ongoing for 1h 05m).\nRoot cause: a full pool.\nNext update at 22:35 UTC in #inc-pay."
        );
    }

    #[test]
    fn the_next_update_time_is_read_from_the_draft() {
        let now = chrono::Utc
            .with_ymd_and_hms(2026, 11, 26, 22, 0, 0)
            .unwrap();
        let utc = chrono::FixedOffset::east_opt(0).unwrap();
        let t = next_update_time("x\nNext update at 22:30 UTC in #inc.", now, utc).unwrap();
        assert_eq!(t, now + chrono::Duration::minutes(30));
        let t = next_update_time("Next update in 45 minutes on the status page", now, utc).unwrap();
        assert_eq!(t, now + chrono::Duration::minutes(45));
        let t = next_update_time("Next update at 21:30 UTC here", now, utc).unwrap();
        assert_eq!(
            t,
            now + chrono::Duration::hours(23) + chrono::Duration::minutes(30)
        );
        assert!(next_update_time("nothing promised", now, utc).is_none());
        let t = next_update_time("Next update at 11pm UTC in #inc", now, utc).unwrap();
        assert_eq!(t, now + chrono::Duration::hours(1));
        let t = next_update_time("Next update in 20 mins here", now, utc).unwrap();
        assert_eq!(t, now + chrono::Duration::minutes(20));
    }
}
