//! The message templates warroom ships (`assets/comms/`, and in French `assets/comms/fr/`),
//! filled from an incident, and the next-update time a draft promises.

use std::sync::LazyLock;

use regex::Regex;

use super::comms::{DraftKind, next_update_lang};
use super::event::Audience;
use super::lang::Lang;

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

    fn text(self, lang: Lang) -> &'static str {
        match (lang, self) {
            (Lang::En, Template::First) => include_str!("../../assets/comms/first.txt"),
            (Lang::En, Template::Update) => include_str!("../../assets/comms/update.txt"),
            (Lang::En, Template::External) => include_str!("../../assets/comms/external.txt"),
            (Lang::En, Template::FinalInternal) => {
                include_str!("../../assets/comms/final-internal.txt")
            }
            (Lang::En, Template::FinalExternal) => {
                include_str!("../../assets/comms/final-external.txt")
            }
            (Lang::Fr, Template::First) => include_str!("../../assets/comms/fr/first.txt"),
            (Lang::Fr, Template::Update) => include_str!("../../assets/comms/fr/update.txt"),
            (Lang::Fr, Template::External) => include_str!("../../assets/comms/fr/external.txt"),
            (Lang::Fr, Template::FinalInternal) => {
                include_str!("../../assets/comms/fr/final-internal.txt")
            }
            (Lang::Fr, Template::FinalExternal) => {
                include_str!("../../assets/comms/fr/final-external.txt")
            }
        }
    }

    /// The template in `lang` filled in from the incident; `<...>` marks what a person must
    /// write.
    pub fn render(
        self,
        incident: &super::incident::Incident,
        now: chrono::DateTime<chrono::Utc>,
        lang: Lang,
    ) -> String {
        self.render_version(incident, now, lang, lang)
    }

    /// The template in `lang` for a team whose incidents are written in `primary`: in
    /// another language the incident's own title and summary are not copied as they are
    /// but left as blanks quoting them, to be translated.
    pub fn render_version(
        self,
        incident: &super::incident::Incident,
        now: chrono::DateTime<chrono::Utc>,
        lang: Lang,
        primary: Lang,
    ) -> String {
        let w = words(lang);
        let translated = |text: &str, blank: &str| -> String {
            let text = text.trim();
            if lang == primary || text.is_empty() {
                return text.to_string();
            }
            let quoted: String = text
                .chars()
                .map(|c| match c {
                    '<' => '‹',
                    '>' => '›',
                    c if c.is_whitespace() => ' ',
                    c => c,
                })
                .collect();
            if quoted.chars().count() > 150 {
                return blank.to_string();
            }
            match lang {
                Lang::En => format!("<in English: {quoted}>"),
                Lang::Fr => format!("<en français : {quoted}>"),
            }
        };
        let hm = |t: chrono::DateTime<chrono::Utc>| clock_time(t, lang);
        let s = &incident.summary;
        let started = incident.impact.started;
        let mut status: Vec<String> = incident
            .board
            .running_experiments()
            .map(|e| format!("- {} {}", w.trying, e.plan))
            .chain(
                incident
                    .board
                    .observations
                    .iter()
                    .rev()
                    .map(|o| format!("- {} {}", w.seen, o.text)),
            )
            .take(3)
            .collect();
        while status.len() < 2 {
            status.push(format!("- {}", w.status_blank));
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
                format!("- {} {lowered}", w.check_whether)
            })
            .take(3)
            .collect();
        while next.len() < 2 {
            next.push(format!("- {}", w.next_blank));
        }
        let values: [(&str, String); 11] = [
            ("severity", s.severity.label().to_string()),
            ("title", translated(&s.title, w.summary_blank)),
            (
                "summary_or_prompt",
                if incident.description.trim().is_empty() {
                    w.summary_blank.into()
                } else {
                    translated(&incident.description, w.summary_blank)
                },
            ),
            (
                "started",
                started.map(hm).unwrap_or_else(|| w.time_blank.into()),
            ),
            (
                "duration",
                started
                    .map(|t| duration_in(now - t, lang))
                    .unwrap_or_else(|| w.how_long_blank.into()),
            ),
            ("next_update", hm(now + chrono::Duration::minutes(30))),
            ("status_bullets", status.join("\n")),
            ("next_steps", next.join("\n")),
            (
                "impact_duration",
                match (started, incident.impact.ended) {
                    (Some(a), Some(b)) => duration_in(b - a, lang),
                    _ => w.how_long_blank.into(),
                },
            ),
            (
                "impact_window",
                match (started, incident.impact.ended) {
                    (Some(a), Some(b)) => match lang {
                        Lang::En => format!("{} to {}", a.format("%H:%M"), hm(b)),
                        Lang::Fr => format!("de {} à {}", a.format("%Hh%M"), hm(b)),
                    },
                    _ => w.window_blank.into(),
                },
            ),
            (
                "postmortem_line",
                if incident.roster.is_defaulted_to_ic(super::event::Role::Po) {
                    w.postmortem_unnamed.to_string()
                } else {
                    w.postmortem_named.to_string()
                },
            ),
        ];
        let mut out = self.text(lang).to_string();
        for (k, v) in values {
            out = out.replace(&format!("{{{k}}}"), &v);
        }
        out
    }
}

/// What a template fills in, in one language.
struct Words {
    trying: &'static str,
    seen: &'static str,
    check_whether: &'static str,
    status_blank: &'static str,
    next_blank: &'static str,
    summary_blank: &'static str,
    time_blank: &'static str,
    how_long_blank: &'static str,
    window_blank: &'static str,
    postmortem_unnamed: &'static str,
    postmortem_named: &'static str,
    /// How an update says impact still goes on: “ongoing for 1h 05m”.
    ongoing_for: &'static str,
}

fn words(lang: Lang) -> &'static Words {
    static ENGLISH: Words = Words {
        trying: "Trying:",
        seen: "Seen:",
        check_whether: "Check whether",
        status_blank: "<current status>",
        next_blank: "<next step>",
        summary_blank: "<One or two sentences: where things stand and what users feel.>",
        time_blank: "<time>",
        how_long_blank: "<how long>",
        window_blank: "<from when to when>",
        postmortem_unnamed: "a Postmortem Owner will be named and will share the postmortem.",
        postmortem_named: "the Postmortem Owner will share the postmortem.",
        ongoing_for: "ongoing for",
    };
    static FRENCH: Words = Words {
        trying: "Tentative :",
        seen: "Constaté :",
        check_whether: "Vérifier si",
        status_blank: "<état actuel>",
        next_blank: "<prochaine étape>",
        summary_blank: "<Une ou deux phrases : où en sont les choses et ce que constatent les utilisateurs.>",
        time_blank: "<heure>",
        how_long_blank: "<durée>",
        window_blank: "<de quand à quand>",
        postmortem_unnamed: "un responsable du post-mortem sera désigné et le partagera.",
        postmortem_named: "le responsable du post-mortem partagera le post-mortem.",
        ongoing_for: "en cours depuis",
    };
    match lang {
        Lang::En => &ENGLISH,
        Lang::Fr => &FRENCH,
    }
}

/// A clock time as an update in `lang` writes it: `22:30 UTC`, `22h30 UTC`.
fn clock_time(t: chrono::DateTime<chrono::Utc>, lang: Lang) -> String {
    match lang {
        Lang::En => t.format("%H:%M UTC").to_string(),
        Lang::Fr => t.format("%Hh%M UTC").to_string(),
    }
}

/// A span of time as the language writes it: `1h 05m`, or in French `1 h 05 min`.
fn duration_in(d: chrono::Duration, lang: Lang) -> String {
    if lang == Lang::En {
        return super::metrics::format_duration(d);
    }
    let secs = d.num_seconds().max(0);
    let (days, hours, mins) = (secs / 86_400, (secs / 3_600) % 24, (secs / 60) % 60);
    if days > 0 {
        format!("{days} j {hours} h")
    } else if hours > 0 {
        format!("{hours} h {mins:02} min")
    } else if mins > 0 {
        format!("{mins} min")
    } else {
        format!("{secs} s")
    }
}

impl Template {
    /// A new update from `last`, the last one sent to the same audience: its facts kept
    /// (the title's words, the summary, the status, the impact, the numbers, the cause),
    /// and what time makes stale brought up to date: the severity in the title, how long
    /// impact has lasted ("ongoing for 1h 05m") and the clock time the next update is
    /// promised at. A next update promised "in 30 minutes" stays. The incident's own title
    /// is not copied in: the last update's title was written for its audience.
    pub fn follow_up(
        self,
        last: &str,
        incident: &super::incident::Incident,
        now: chrono::DateTime<chrono::Utc>,
        lang: Lang,
    ) -> String {
        static CLOCK_TIME: LazyLock<Regex> =
            LazyLock::new(|| re(r"(?i)\b\d{1,2}\s?[:h]\s?\d{2}(?:\s*UTC)?\b"));
        static ONGOING: LazyLock<Regex> = LazyLock::new(|| {
            re(
                r"(?i)\b(?:ongoing for|en cours depuis) (?:\d+d \d+h|\d+h \d{2}m|\d+m|\d+s|\d+ j \d+ h|\d+ h \d{2} min|\d+ min|\d+ s)\b",
            )
        });
        // The title keeps the words the last update chose (in its language), with the
        // severity as it is now.
        let fresh = self.render(incident, now, lang);
        let fresh_title = fresh.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        let title = match last
            .lines()
            .find(|l| !l.trim().is_empty())
            .and_then(super::public::headline)
        {
            Some(words) if !words.trim().is_empty() => {
                format!("{} – {words}", incident.summary.severity.label())
            }
            _ => fresh_title.to_string(),
        };
        let next_at = clock_time(now + chrono::Duration::minutes(30), lang);
        let ongoing = incident
            .impact
            .started
            .filter(|_| incident.impact.ended.is_none())
            .map(|t| format!("{} {}", words(lang).ongoing_for, duration_in(now - t, lang)));
        let (mut titled, mut promised) = (false, false);
        let mut out: Vec<String> = Vec::new();
        for line in last.lines() {
            if !titled && !line.trim().is_empty() {
                titled = true;
                out.push(title.clone());
                continue;
            }
            let mut line = line.to_string();
            if !promised && next_update_lang(&line).is_some() {
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
/// "in 30 minutes"; in French « à 14h30 », « à 15h » or « dans 30 minutes ».
pub fn next_update_time(
    text: &str,
    now: chrono::DateTime<chrono::Utc>,
    local: chrono::FixedOffset,
) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::Duration;
    let (line, lang) = text
        .lines()
        .find_map(|l| next_update_lang(l).map(|lang| (l, lang)))?;
    if lang == Lang::Fr {
        return french_next_update_time(line, now, local);
    }
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
        return next_clock_time(h, m, c.get(4).is_some(), now, local);
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

/// The next time the clock shows `h:m` (in UTC, or else in `local`), after `now`.
fn next_clock_time(
    h: u32,
    m: u32,
    utc: bool,
    now: chrono::DateTime<chrono::Utc>,
    local: chrono::FixedOffset,
) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::{Duration, NaiveTime, TimeZone};
    let time = NaiveTime::from_hms_opt(h, m, 0)?;
    let at = if utc {
        chrono::Utc.from_utc_datetime(&now.date_naive().and_time(time))
    } else {
        let day = now.with_timezone(&local).date_naive();
        local
            .from_local_datetime(&day.and_time(time))
            .single()?
            .with_timezone(&chrono::Utc)
    };
    Some(if at <= now {
        at + Duration::days(1)
    } else {
        at
    })
}

/// [`next_update_time`] for a French line: « dans 30 minutes », « dans une heure », « dans
/// une demi-heure », or a clock time « 14h30 », « 14 h 30 », « 15h », « 14:30 UTC ».
fn french_next_update_time(
    line: &str,
    now: chrono::DateTime<chrono::Utc>,
    local: chrono::FixedOffset,
) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::Duration;
    static IN: LazyLock<Regex> = LazyLock::new(|| {
        re(
            r"(?i)\bdans\s+(?:environ\s+|[àa]\s+peu\s+pr[èe]s\s+)?(\d+|une?|deux|trois|une\s+demi-?\s*)\s*(min(?:ute)?s?|heures?|h)\b",
        )
    });
    static CLOCK: LazyLock<Regex> =
        LazyLock::new(|| re(r"(?i)\b(\d{1,2})\s?(?:h\s?(\d{2})?|:(\d{2}))(?:\s*(utc|z)\b)?"));
    if let Some(c) = IN.captures(line) {
        let unit = c[2].to_lowercase();
        let n: i64 = match c[1].trim().to_lowercase().as_str() {
            "un" | "une" => 1,
            "deux" => 2,
            "trois" => 3,
            half if half.starts_with("une") => return Some(now + Duration::minutes(30)),
            digits => digits.parse().ok()?,
        };
        return Some(if unit.starts_with('h') {
            now + Duration::hours(n)
        } else {
            now + Duration::minutes(n)
        });
    }
    let c = CLOCK.captures(line)?;
    let h: u32 = c[1].parse().ok()?;
    let m: u32 = match c.get(2).or(c.get(3)) {
        Some(m) => m.as_str().parse().ok()?,
        None => 0,
    };
    next_clock_time(h, m, c.get(4).is_some(), now, local)
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
            let text = t.render(&inc, now, Lang::En);
            assert!(!text.contains('{'), "{}: {text}", t.name());
            let v = validate(
                &text,
                Options {
                    audience: t.audience(),
                    kind: t.kind(),
                    severity: None,
                    lang: crate::domain::lang::Lang::En,
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
            .render(&inc, now, Lang::En)
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
                lang: crate::domain::lang::Lang::En,
            },
        );
        assert!(v.passed(), "{:#?}", v.failed().collect::<Vec<_>>());
    }

    #[test]
    fn a_follow_up_keeps_the_facts_and_its_title_and_brings_severity_and_times_up_to_date() {
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
        let text = Template::Update.follow_up(last, &inc, now, Lang::En);
        assert_eq!(
            text,
            "SEV2 – Card payments slow\n\nA third of card payments fail.\n\nImpact: customers cannot pay by card (ongoing for 1h 05m).\nRoot cause: a full pool.\nNext update at 22:35 UTC in #inc-pay."
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

#[cfg(test)]
mod french_template_tests {
    use super::*;
    use crate::domain::comms::{Options, validate, validate_version};
    use crate::domain::event::{Event, EventKind, Severity};
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc.with_ymd_and_hms(2026, 11, 26, h, m, 0).unwrap()
    }

    fn event(n: u128, at: chrono::DateTime<chrono::Utc>, kind: EventKind) -> Event {
        Event {
            id: uuid::Uuid::from_u128(n),
            incident: uuid::Uuid::nil(),
            seq: Some(n as i64),
            at,
            recorded_at: None,
            author: "ana".into(),
            persona: None,
            kind,
        }
    }

    /// A declared incident whose impact started at 21:40 and, when `ended`, ended at 23:05.
    fn incident(ended: bool) -> crate::domain::incident::Incident {
        let mut events = vec![
            event(
                1,
                at(21, 40),
                EventKind::IncidentDeclared {
                    title: "Paiements par carte en échec".into(),
                    severity: Severity::MAJOR,
                    summary: String::new(),
                    drill: false,
                    restricted: false,
                },
            ),
            event(2, at(21, 40), EventKind::ImpactStarted {}),
        ];
        if ended {
            events.push(event(3, at(23, 5), EventKind::ImpactEnded {}));
        }
        crate::domain::incident::Incident::fold(uuid::Uuid::nil(), events.iter())
    }

    fn options(t: Template) -> Options {
        Options {
            audience: t.audience(),
            kind: t.kind(),
            severity: Some(Severity::MAJOR),
            lang: Lang::Fr,
        }
    }

    /// What a French responder writes over each blank of each template.
    fn fill(t: Template, text: &str) -> String {
        let answers: &[(&str, &str)] = match t {
            Template::First => &[
                (
                    "<ce que nous avons constaté jusqu’ici>",
                    "Le taux d’erreur des cartes atteint 38 %",
                ),
                (
                    "<ce que l’équipe tente en premier>",
                    "Revenir à la version d’hier soir",
                ),
                (
                    "<ce que les utilisateurs constatent ou ne peuvent plus faire>",
                    "les clients ne peuvent pas payer par carte",
                ),
                ("<combien> clients", "environ 2 400 clients"),
                ("<combien> utilisateurs", "une dizaine d’utilisateurs"),
                ("<canal ou page de statut>", "#inc-paiements"),
                (
                    "<Une ou deux phrases : où en sont les choses et ce que constatent les utilisateurs.>",
                    "Un tiers des paiements par carte échoue depuis 21h40.",
                ),
            ],
            Template::Update => &[
                (
                    "<état actuel>",
                    "Le taux d’erreur baisse depuis le retour arrière",
                ),
                ("<prochaine étape>", "Surveiller le taux d’erreur"),
                (
                    "<ce que les utilisateurs constatent ou ne peuvent plus faire>",
                    "certains paiements par carte échouent encore",
                ),
                ("<combien> clients", "environ 300 clients"),
                ("<combien> utilisateurs", "une dizaine d’utilisateurs"),
                (
                    "<la cause, ou : toujours inconnue>",
                    "une mise en production défectueuse",
                ),
                (
                    "<une heure, ou : pas encore d’estimation>",
                    "prévu vers 23h00",
                ),
                ("<canal ou page de statut>", "#inc-paiements"),
                (
                    "<Une ou deux phrases : où en sont les choses et ce que constatent les utilisateurs.>",
                    "Le retour arrière fait effet : les échecs diminuent.",
                ),
            ],
            Template::External => &[
                (
                    "<Une ou deux phrases simples : ce que les clients peuvent remarquer, et que nous y travaillons.>",
                    "Certains paiements par carte échouent en ce moment ; nos équipes y travaillent.",
                ),
                (
                    "<ce que les clients ne peuvent pas faire>",
                    "une partie des clients ne peut pas payer par carte",
                ),
                (
                    "<combien, ou : nous ne savons pas encore combien de>",
                    "environ un tiers des",
                ),
            ],
            Template::FinalInternal => &[
                (
                    "<une phrase sur ce qui fonctionne de nouveau, et depuis quand>",
                    "les paiements par carte fonctionnent de nouveau depuis 23h05",
                ),
                (
                    "<ce que les utilisateurs n’ont pas pu faire>",
                    "les clients n’ont pas pu payer par carte",
                ),
                ("<combien> clients", "environ 2 400 clients"),
                ("<combien> utilisateurs", "une dizaine d’utilisateurs"),
                ("<nombre>", "37"),
            ],
            Template::FinalExternal => &[("<Le service>", "Le paiement par carte")],
        };
        let mut out = text.to_string();
        for (blank, answer) in answers {
            assert!(
                out.contains(blank) || out.contains("<à compléter>"),
                "{}: no {blank} in {out}",
                t.name()
            );
            out = out.replace(blank, answer);
        }
        out
    }

    #[test]
    fn every_french_template_filled_in_passes_its_checklist_in_french() {
        for t in Template::ALL {
            let inc = incident(t.kind() == DraftKind::Final);
            let raw = t.render(&inc, at(22, 0), Lang::Fr);
            assert!(!raw.contains('{'), "{}: {raw}", t.name());
            assert!(!raw.contains("Seen:") && !raw.contains("UTC to"), "{raw}");
            let v = validate(&raw, options(t));
            assert!(
                v.failed().any(|r| r.id == "filled_in"),
                "{} has nothing to fill in",
                t.name()
            );
            assert!(!v.failed().any(|r| r.id == "title"), "{}: {raw}", t.name());

            let filled = fill(t, &raw);
            let v = validate_version(&filled, options(t));
            assert!(
                v.passed(),
                "{}: {:#?}\n{filled}",
                t.name(),
                v.failed().collect::<Vec<_>>()
            );
            // A blank left over fails, and is named.
            let first_blank = crate::domain::comms::blanks(&raw)[0].0.clone();
            let left = fill(t, &raw.replacen(&first_blank, "<à compléter>", 1));
            let v = validate(&left, options(t));
            let rule = v.rules.iter().find(|r| r.id == "filled_in").unwrap();
            assert!(
                !rule.passed && rule.hint.contains("<à compléter>"),
                "{}",
                t.name()
            );
        }
    }

    #[test]
    fn french_fill_ins_and_times_are_french() {
        let mut inc = incident(true);
        inc.board
            .observations
            .push(crate::domain::board::Observation {
                id: uuid::Uuid::from_u128(9),
                text: "le pool de connexions est plein".into(),
                at: at(21, 50),
                author: "ana".into(),
                from_event: None,
            });
        let text = Template::Update.render(&inc, at(22, 0), Lang::Fr);
        assert!(
            text.contains("- Constaté : le pool de connexions est plein"),
            "{text}"
        );
        assert!(text.contains("Prochaine mise à jour à 22h30 UTC"), "{text}");
        let text = Template::FinalInternal.render(&inc, at(23, 30), Lang::Fr);
        assert!(text.contains("(de 21h40 à 23h05 UTC)"), "{text}");
    }

    #[test]
    fn a_version_in_another_language_leaves_the_title_to_translate() {
        let inc = incident(false);
        let en = Template::External.render_version(&inc, at(22, 0), Lang::En, Lang::Fr);
        let title = en.lines().next().unwrap();
        assert_eq!(title, "SEV2 – <in English: Paiements par carte en échec>");
        let v = validate(
            &en,
            Options {
                lang: Lang::En,
                ..options(Template::External)
            },
        );
        assert!(v.failed().any(|r| r.id == "filled_in"), "{en}");
        // In its own language the title is the incident's.
        let fr = Template::External.render_version(&inc, at(22, 0), Lang::Fr, Lang::Fr);
        assert!(
            fr.starts_with("SEV2 – Paiements par carte en échec\n"),
            "{fr}"
        );
    }

    #[test]
    fn a_french_follow_up_keeps_the_facts_and_updates_the_times() {
        let inc = incident(false);
        let last = "SEV3 – Paiements lents\n\nUn tiers des paiements échoue.\n\nImpact : les clients ne peuvent pas payer (en cours depuis 20 min).\nProchaine mise à jour à 21h50 UTC dans #inc-pay.";
        let text = Template::Update.follow_up(last, &inc, at(22, 45), Lang::Fr);
        assert_eq!(
            text,
            "SEV2 – Paiements lents\n\nUn tiers des paiements échoue.\n\nImpact : les clients ne peuvent pas payer (en cours depuis 1 h 05 min).\nProchaine mise à jour à 23h15 UTC dans #inc-pay."
        );
    }

    #[test]
    fn french_next_update_times_are_read() {
        let now = at(22, 0);
        let utc = chrono::FixedOffset::east_opt(0).unwrap();
        let paris = chrono::FixedOffset::east_opt(3600).unwrap();
        let read = |text: &str, zone| next_update_time(text, now, zone);
        let mins = chrono::Duration::minutes;
        assert_eq!(
            read("Prochaine mise à jour à 22h30 UTC dans #inc.", utc),
            Some(now + mins(30))
        );
        assert_eq!(
            read(
                "Prochaine mise à jour à 23h30 sur la page de statut.",
                paris
            ),
            Some(now + mins(30))
        );
        assert_eq!(
            read("Prochaine mise à jour à 23 h 15 ici.", utc),
            Some(now + mins(75))
        );
        assert_eq!(read("Prochain point à 23h ici.", utc), Some(now + mins(60)));
        assert_eq!(
            read(
                "Prochaine mise à jour dans 30 minutes sur la page de statut.",
                utc
            ),
            Some(now + mins(30))
        );
        assert_eq!(
            read("Prochaine mise a jour dans 2 h par e-mail.", utc),
            Some(now + mins(120))
        );
        assert_eq!(
            read("Prochaine mise à jour dans une demi-heure ici.", utc),
            Some(now + mins(30))
        );
        assert_eq!(
            read("Prochaine mise à jour dans une heure ici.", utc),
            Some(now + mins(60))
        );
        // Already past today: tomorrow.
        assert_eq!(
            read("Prochaine mise à jour à 21h30 UTC ici.", utc),
            Some(now + mins(23 * 60 + 30))
        );
        assert_eq!(read("Rien de promis.", utc), None);
    }
}
