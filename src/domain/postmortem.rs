//! The blameless postmortem: a Markdown report of the incident in which people appear by
//! role, never by name, and a check that flags free text that names people or blames.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use regex::Regex;
use serde::Serialize;

use super::describe;
use super::event::{Audience, Event, EventKind, Role, TheoryStatus};
use super::incident::{Decision, Incident};
use super::metrics::format_duration;

fn ordinal(n: usize) -> &'static str {
    [
        "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
    ]
    .get(n)
    .copied()
    .unwrap_or("next")
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Ic => "incident commander",
        Role::Cl => "communications lead",
        Role::Pl => "policy lead",
        Role::Ol => "operations lead",
        Role::Po => "postmortem owner",
    }
}

/// How each person is named in the report: by the role they held first (commanders in
/// the order they took command), else as "responder N" in the order they joined.
#[derive(Clone, Debug, Default)]
pub struct Aliases {
    names: BTreeMap<String, String>,
    /// Each handle as a whole word, longest first (so `ana` does not eat into `anabel`).
    patterns: Vec<(String, Regex)>,
}

impl Aliases {
    pub fn from_events(events: &[Event]) -> Aliases {
        let mut by_role: BTreeMap<Role, Vec<String>> = BTreeMap::new();
        let mut first_role: Vec<(String, Role)> = Vec::new();
        let mut joined: Vec<String> = Vec::new();
        let mut note = |handle: &str, role: Option<Role>, joined: &mut Vec<String>| {
            if handle.is_empty() {
                return;
            }
            if !joined.iter().any(|h| h == handle) {
                joined.push(handle.to_string());
            }
            if let Some(role) = role {
                let holders = by_role.entry(role).or_default();
                if !holders.iter().any(|h| h == handle) {
                    holders.push(handle.to_string());
                }
                if !first_role.iter().any(|(h, _)| h == handle) {
                    first_role.push((handle.to_string(), role));
                }
            }
        };
        for ev in events {
            match &ev.kind {
                EventKind::IncidentDeclared { .. } => {
                    note(ev.shown_author(), Some(Role::Ic), &mut joined)
                }
                EventKind::CommandHandedOver { to, .. } => {
                    note(ev.shown_author(), None, &mut joined);
                    note(to, Some(Role::Ic), &mut joined);
                }
                EventKind::RoleAssigned { role, handle } => {
                    note(ev.shown_author(), None, &mut joined);
                    note(handle, Some(*role), &mut joined);
                }
                EventKind::ResponderJoined { handle, .. }
                | EventKind::ResponderLeft { handle }
                | EventKind::DutyStarted { handle }
                | EventKind::DutyEnded { handle }
                | EventKind::AwakeSince { handle, .. } => {
                    note(ev.shown_author(), None, &mut joined);
                    note(handle, None, &mut joined);
                }
                _ => note(ev.shown_author(), None, &mut joined),
            }
        }
        let mut names = BTreeMap::new();
        for (handle, role) in &first_role {
            let holders = &by_role[role];
            let i = holders.iter().position(|h| h == handle).unwrap_or(0);
            let name = if holders.len() > 1 {
                format!("the {} {}", ordinal(i), role_name(*role))
            } else {
                format!("the {}", role_name(*role))
            };
            names.insert(handle.clone(), name);
        }
        let mut n = 0;
        for handle in joined {
            names.entry(handle).or_insert_with(|| {
                n += 1;
                format!("responder {n}")
            });
        }
        let mut handles: Vec<&String> = names.keys().collect();
        handles.sort_by_key(|h| std::cmp::Reverse(h.len()));
        let patterns = handles
            .into_iter()
            .filter_map(|h| {
                Regex::new(&format!(r"(?i)(^|[^\w@])@?({})\b", regex::escape(h)))
                    .ok()
                    .map(|r| (h.clone(), r))
            })
            .collect();
        Aliases { names, patterns }
    }

    pub fn of(&self, handle: &str) -> String {
        self.names
            .get(handle)
            .cloned()
            .unwrap_or_else(|| "a responder".into())
    }

    /// Replaces every handle in free text by its alias (whole words only).
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (h, re) in &self.patterns {
            let alias = &self.names[h];
            out = re
                .replace_all(&out, |c: &regex::Captures<'_>| format!("{}{alias}", &c[1]))
                .into_owned();
        }
        out
    }

    /// The first handle named in `text`: the handle and where it stands.
    pub fn find_name(&self, text: &str) -> Option<(&str, usize, usize)> {
        self.patterns.iter().find_map(|(h, re)| {
            re.captures(text)
                .and_then(|c| c.get(2))
                .map(|m| (h.as_str(), m.start(), m.end()))
        })
    }
}

/// Something in the text to rephrase before the report goes out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Where: the event's seq and kind, or the section of the report.
    pub spot: String,
    pub excerpt: String,
    pub problem: String,
    /// Blame must be fixed; a name is replaced by its role in the report anyway.
    pub blocking: bool,
}

static BLAME: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        (r"(?i)\b(?:fault|blame[sd]?|to blame)\b", "speaks of fault or blame"),
        (r"(?i)\bshould(?:n't| not)? have\b", "second-guesses a person (“should have”)"),
        (r"(?i)\b(?:careless(?:ly)?|negligen(?:t|ce)|incompetent|sloppy|lazy|stupid|reckless|irresponsible)\b", "judges a person"),
        (r"(?i)\b(?:screwed|messed|botched|fumbled)\s+(?:up|it)?", "judges a person"),
        (r"(?i)\bhuman error\b", "stops at “human error”: ask what let the error happen"),
        (r"(?i)\b(?:his|her|their) (?:mistake|error|fault)\b", "pins a mistake on a person"),
        (r"(?i)\bforgot to\b", "pins an omission on a person: say what the process missed"),
        (r"(?i)\bfailed to\b", "frames a person as failing: say what the system did not do"),
    ]
    .into_iter()
    .filter_map(|(p, why)| Regex::new(p).ok().map(|r| (r, why)))
    .collect()
});

/// The free texts of an entry as it reads now: an amended entry's latest text; an
/// amendment itself is read through the entry it amends.
fn free_texts<'a>(incident: &'a Incident, ev: &'a Event) -> Vec<&'a str> {
    match &ev.kind {
        EventKind::Amended { .. } => Vec::new(),
        EventKind::Note { .. } | EventKind::Observation { .. } | EventKind::Theory { .. } => {
            incident.current_text(ev).into_iter().collect()
        }
        EventKind::CommandHandedOver { brief, .. } => {
            let mut v = vec![brief.current_state.as_str()];
            v.extend(brief.next_steps.iter().map(String::as_str));
            v
        }
        EventKind::ExperimentOutcome { notes, .. } => vec![notes.as_str()],
        EventKind::ChangeDecided { reason, .. } => vec![reason.as_str()],
        EventKind::TheoryStatusChanged { reason, .. } => vec![reason.as_str()],
        EventKind::Resolved { summary } => vec![summary.as_str()],
        EventKind::HealthCheck { summary } => vec![summary.as_str()],
        other => other.text().into_iter().collect(),
    }
}

/// Flags free text that blames, or that names someone on the incident.
pub fn blame_check(incident: &Incident, events: &[Event]) -> Vec<Finding> {
    let aliases = Aliases::from_events(events);
    let mut findings = Vec::new();
    let mut check = |spot: String, text: &str| {
        for (re, why) in BLAME.iter() {
            if let Some(m) = re.find(text) {
                findings.push(Finding {
                    spot: spot.clone(),
                    excerpt: excerpt(text, m.start(), m.end()),
                    problem: why.to_string(),
                    blocking: true,
                });
            }
        }
        if let Some((h, start, end)) = aliases.find_name(text) {
            findings.push(Finding {
                spot: spot.clone(),
                excerpt: excerpt(text, start, end),
                problem: format!(
                    "names a person (shown as “{}” in the report)",
                    aliases.of(h)
                ),
                blocking: false,
            });
        }
    };
    check("the incident summary".into(), &incident.description);
    for ev in events {
        let spot = format!(
            "#{} {} at {}",
            ev.seq.map_or_else(|| "-".into(), |s| s.to_string()),
            describe::label(&ev.kind),
            ev.at.format("%H:%M UTC")
        );
        for text in free_texts(incident, ev) {
            check(spot.clone(), text);
        }
    }
    findings
}

fn excerpt(text: &str, start: usize, end: usize) -> String {
    let from = text[..start]
        .char_indices()
        .rev()
        .nth(30)
        .map_or(0, |(i, _)| i);
    let to = text[end..]
        .char_indices()
        .nth(30)
        .map_or(text.len(), |(i, _)| end + i);
    let mut s = text[from..to].replace('\n', " ");
    if from > 0 {
        s.insert(0, '…');
    }
    if to < text.len() {
        s.push('…');
    }
    s
}

fn utc(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "not recorded".into())
}

/// The report, in Markdown. Every handle is replaced by its role alias.
pub fn report(incident: &Incident, events: &[Event], now: DateTime<Utc>) -> String {
    let a = Aliases::from_events(events);
    let s = &incident.summary;
    let mut o = String::new();
    let w = &mut o;
    let _ = writeln!(
        w,
        "# Postmortem: {} ({}, {})\n",
        a.scrub(&s.title),
        s.severity,
        s.short_id
    );
    if s.drill {
        let _ = writeln!(w, "_This was a drill._\n");
    }
    let _ = writeln!(
        w,
        "> **This review is blameless.** We look at how our systems, processes and \
         decisions shaped what happened, not at who is at fault. People are named by the \
         role they held, because the question is never \"why did this person do that?\" \
         but \"why did the system let it happen, or make it look like the right thing to \
         do?\". Everyone acted in good faith with what they knew at the time.\n"
    );
    let _ = writeln!(w, "## Summary\n");
    let desc = if incident.description.trim().is_empty() {
        "_No summary was recorded._".to_string()
    } else {
        a.scrub(&incident.description)
    };
    let _ = writeln!(w, "{desc}\n");
    let _ = writeln!(w, "- Severity: {} ({})", s.severity, s.severity.name());
    let _ = writeln!(
        w,
        "- Status: {}, stage {}",
        s.status.as_str(),
        s.stage.title()
    );
    let _ = writeln!(
        w,
        "- Privacy: {}",
        incident.privacy.describe(incident.privacy_steps.len())
    );
    let _ = writeln!(w, "\n## Impact\n");
    let impact_notes: Vec<String> = incident
        .comms
        .iter()
        .flat_map(|c| c.text.lines())
        .filter(|l| l.to_ascii_lowercase().starts_with("impact"))
        .map(|l| a.scrub(l.trim()))
        .collect();
    match impact_notes.last() {
        Some(l) => {
            let _ = writeln!(w, "As last stated to stakeholders: {l}\n");
        }
        None => {
            let _ = writeln!(w, "_No statement of impact was sent; describe it here._\n");
        }
    }
    let _ = writeln!(w, "## Key times\n");
    let _ = writeln!(w, "| | UTC |\n|---|---|");
    let _ = writeln!(w, "| Start of impact | {} |", utc(incident.impact.started));
    let _ = writeln!(w, "| Detection | {} |", utc(incident.impact.detected));
    let _ = writeln!(w, "| End of impact | {} |", utc(incident.impact.ended));
    let _ = writeln!(w, "| Declared | {} |", utc(s.declared_at));
    let _ = writeln!(w, "| Resolved | {} |\n", utc(incident.resolved_at));
    let d =
        |x: Option<chrono::Duration>| x.map(format_duration).unwrap_or_else(|| "unknown".into());
    let _ = writeln!(w, "- Time to detect (TTD): {}", d(incident.ttd()));
    let _ = writeln!(w, "- Time to recover (TTR): {}", d(incident.ttr()));
    if incident.impact.corrections > 0 {
        let _ = writeln!(
            w,
            "- The impact times were corrected {} time(s) during the incident.",
            incident.impact.corrections
        );
    }

    let _ = writeln!(w, "\n## Roles and handovers\n");
    for role in Role::ALL {
        let holder = incident
            .roster
            .holder(role)
            .map(|h| a.of(h))
            .unwrap_or_else(|| "nobody".into());
        let how = if incident.roster.is_defaulted_to_ic(role) {
            " (held by the incident commander)"
        } else {
            ""
        };
        let _ = writeln!(w, "- {}: {holder}{how}", role.title());
    }
    if incident.roster.handovers.is_empty() {
        let _ = writeln!(w, "\nCommand did not change hands.");
    }
    for h in &incident.roster.handovers {
        let from = h
            .from
            .as_deref()
            .map(|f| a.of(f))
            .unwrap_or_else(|| "nobody".into());
        let _ = writeln!(
            w,
            "\n**{}: command passed from {from} to {}.**",
            h.at.format("%H:%M UTC"),
            a.of(&h.to)
        );
        if !h.brief.current_state.is_empty() {
            let _ = writeln!(w, "State at handover: {}", a.scrub(&h.brief.current_state));
        }
        for step in &h.brief.next_steps {
            let _ = writeln!(w, "- next: {}", a.scrub(step));
        }
    }

    let _ = writeln!(w, "\n## What we saw, what we thought, what we tried\n");
    let b = &incident.board;
    let _ = writeln!(w, "### Observations\n");
    if b.observations.is_empty() {
        let _ = writeln!(w, "_None recorded._");
    }
    for ob in &b.observations {
        let _ = writeln!(w, "- {} — {}", ob.at.format("%H:%M"), a.scrub(&ob.text));
    }
    let _ = writeln!(w, "\n### Theories\n");
    if b.theories.is_empty() {
        let _ = writeln!(w, "_None recorded._");
    }
    for (i, t) in b.theories.iter().enumerate() {
        let status = match t.status {
            TheoryStatus::Open => "left open",
            TheoryStatus::Supported => "supported",
            TheoryStatus::Refuted => "refuted",
        };
        let why = if t.reason.is_empty() {
            String::new()
        } else {
            format!(" ({})", a.scrub(&t.reason))
        };
        let _ = writeln!(w, "- T{}: {} — **{status}**{why}", i + 1, a.scrub(&t.text));
    }
    let _ = writeln!(w, "\n### Experiments\n");
    if b.experiments.is_empty() {
        let _ = writeln!(w, "_None recorded._");
    }
    for (i, e) in b.experiments.iter().enumerate() {
        let tests: Vec<String> = e
            .tests
            .iter()
            .filter_map(|t| {
                b.theories
                    .iter()
                    .position(|x| x.id == *t)
                    .map(|p| format!("T{}", p + 1))
            })
            .collect();
        let outcome = match b.result_of(e) {
            None => "no outcome recorded".to_string(),
            Some(r) => r,
        };
        let notes = if e.notes.is_empty() {
            String::new()
        } else {
            format!(": {}", a.scrub(&e.notes))
        };
        let _ = writeln!(
            w,
            "- E{} (tests {}): {} — {outcome}{notes}",
            i + 1,
            tests.join(", "),
            a.scrub(&e.plan)
        );
    }
    if !incident.change_requests.is_empty() {
        let _ = writeln!(w, "\n### Changes to production\n");
        for c in &incident.change_requests {
            let d = match c.decision {
                Decision::Pending => "never decided",
                Decision::Approved => "approved",
                Decision::Denied => "denied",
            };
            let _ = writeln!(
                w,
                "- {} — {} asked: {} — {d}",
                c.at.format("%H:%M"),
                a.of(&c.author),
                a.scrub(&c.description)
            );
        }
    }

    let _ = writeln!(w, "\n## Status updates sent\n");
    if incident.comms.is_empty() {
        let _ = writeln!(w, "_None were sent._");
    }
    for c in &incident.comms {
        let who = match c.audience {
            Audience::Internal => "internal",
            Audience::External => "external",
        };
        let checks = if c.checklist.failed.is_empty() {
            "all checks passed".to_string()
        } else {
            format!("sent with failed checks: {}", c.checklist.failed.join(", "))
        };
        let _ = writeln!(
            w,
            "### {} — {who}, by {} ({checks})\n",
            c.at.format("%H:%M UTC"),
            a.of(&c.author)
        );
        for line in c.text.lines() {
            let _ = writeln!(w, "> {}", a.scrub(line));
        }
        let _ = writeln!(w);
    }

    let _ = writeln!(w, "## Action items\n");
    if incident.action_items.is_empty() {
        let _ = writeln!(
            w,
            "_None yet. Agree them in the meeting; each gets an owner role and a due date._"
        );
    } else {
        let _ = writeln!(w, "| | Action | Owner | Due |\n|---|---|---|---|");
        for item in &incident.action_items {
            let done = if item.done_at.is_some() {
                "done"
            } else {
                "open"
            };
            let _ = writeln!(
                w,
                "| {done} | {} | {} | {} |",
                a.scrub(&item.text),
                item.owner_role.title(),
                item.due
            );
        }
    }

    let _ = writeln!(w, "\n## Timeline (UTC)\n");
    // Amendments show through the entries they amend, which read as their latest text.
    let story = events
        .iter()
        .filter(|e| !matches!(e.kind, EventKind::Amended { .. }));
    for ev in describe::in_time_order(story) {
        let later = describe::recorded_later(ev)
            .map(|r| format!(" _(recorded {})_", r.format("%H:%M")))
            .unwrap_or_default();
        let _ = writeln!(
            w,
            "- {} — {} — {}: {}{later}",
            ev.at.format("%Y-%m-%d %H:%M:%S"),
            a.of(ev.shown_author()),
            describe::label(&ev.kind),
            a.scrub(&describe::text_in(incident, ev))
        );
    }

    let _ = writeln!(w, "\n## Meeting invitation\n");
    let _ = writeln!(
        w,
        "> You are invited to the blameless postmortem of **{}** ({}). In about an hour we \
         will walk through what happened, agree on what made it possible and how it was \
         found and fixed, and decide on actions that make this whole class of incident \
         less likely or less harmful. We are here to learn, not to find fault: come with \
         questions and what you saw.",
        a.scrub(&s.title),
        s.short_id
    );
    let _ = writeln!(
        w,
        "\n---\n_Written by warroom on {}._",
        now.format("%Y-%m-%d %H:%M UTC")
    );
    o
}
