//! The whole of one timeline entry, field by field: where the timeline and `warroom
//! events` show one line per entry, this is everything the entry holds, for the console's
//! detail view and the full text under each row of `warroom events`. Each part is a name
//! and a text that may run over several lines; lists read one item a line, marked `•`.
//! Other entries an entry refers to (the change request a decision answers, the theories
//! an experiment tests, the entry a redaction or an amendment acts on) are named with
//! their own text. The text is as people typed it: whoever prints it makes it safe for a
//! terminal.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::describe;
use super::event::{Audience, Event, EventKind, Outcome, PrivacyAssessment, TheoryStatus};
use super::incident::{Decision, Incident};

/// One field of an entry: its name and its (possibly multi-line) text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    pub name: &'static str,
    pub text: String,
}

/// What an entry's parts are read against: the folded incident, the other entries, and
/// how times are shown.
pub struct Lookup<'a> {
    pub state: &'a Incident,
    /// Another entry of the incident by its id.
    pub find: &'a dyn Fn(Uuid) -> Option<&'a Event>,
    /// A time as the reader wants it shown (UTC or local).
    pub time: &'a dyn Fn(DateTime<Utc>) -> String,
}

impl Lookup<'_> {
    /// Another entry in a line: its kind, time, author and first line of text.
    fn entry(&self, id: Uuid) -> String {
        match (self.find)(id) {
            Some(ev) => format!(
                "the {} of {} by {}: {}",
                describe::label(&ev.kind),
                (self.time)(ev.at),
                ev.author_label(),
                describe::text_in(self.state, ev)
            ),
            None => format!("an entry this copy does not hold ({id})"),
        }
    }

    fn theory(&self, id: Uuid) -> String {
        let label = self
            .state
            .board
            .theory_label(id)
            .unwrap_or_else(|| "T?".into());
        match self.state.board.theory(id) {
            Some(t) => format!("{label}: {}", t.text.trim()),
            None => format!("{label} (not on the board)"),
        }
    }

    fn experiment(&self, id: Uuid) -> String {
        let label = self
            .state
            .board
            .experiment_label(id)
            .unwrap_or_else(|| "E?".into());
        match self.state.board.experiment(id) {
            Some(e) => format!("{label}: {}", e.plan.trim()),
            None => format!("{label} (not on the board)"),
        }
    }
}

/// Every part of `ev`, in reading order; empty fields are left out. A redacted entry
/// starts with who redacted it and why, and keeps only the structure that is left.
pub fn parts(look: &Lookup, ev: &Event) -> Vec<Part> {
    let mut out = Parts(Vec::new());
    if let Some(r) = look.state.redactions.get(&ev.id) {
        out.text("redacted", describe::redacted(r));
    }
    kind_parts(look, ev, &mut out);
    out.0
}

struct Parts(Vec<Part>);

impl Parts {
    /// A text part; left out when empty.
    fn text(&mut self, name: &'static str, text: impl Into<String>) {
        let text: String = text.into();
        let text = text.trim_end();
        if !text.trim().is_empty() {
            self.0.push(Part {
                name,
                text: text.to_string(),
            });
        }
    }

    /// A list, one item a line; left out when empty.
    fn list<S: AsRef<str>>(&mut self, name: &'static str, items: &[S]) {
        let lines: Vec<String> = items
            .iter()
            .map(|s| s.as_ref().trim())
            .filter(|s| !s.is_empty())
            .map(|s| format!("• {s}"))
            .collect();
        self.text(name, lines.join("\n"));
    }
}

fn decision(d: Decision) -> &'static str {
    match d {
        Decision::Pending => "waiting for the IC",
        Decision::Approved => "approved",
        Decision::Denied => "denied",
    }
}

fn kind_parts(look: &Lookup, ev: &Event, out: &mut Parts) {
    let state = look.state;
    match &ev.kind {
        EventKind::IncidentDeclared {
            title,
            severity,
            summary,
            drill,
            restricted,
        } => {
            out.text("title", title.as_str());
            out.text("severity", format!("{severity} ({})", severity.name()));
            out.text("summary", summary.as_str());
            if *drill {
                out.text("drill", "yes: left out of statistics");
            }
            if *restricted {
                out.text("restricted", "yes: only its members see it");
            }
        }
        EventKind::SeverityChanged { severity, reason } => {
            out.text("severity", format!("{severity} ({})", severity.name()));
            out.text("reason", reason.as_str());
        }
        EventKind::StageChanged { stage } => out.text("stage", stage.title()),
        EventKind::Resolved { summary } => out.text("summary", summary.as_str()),
        EventKind::Reopened { reason } | EventKind::Closed { reason } => {
            out.text("reason", reason.as_str())
        }
        EventKind::ImpactStarted {} | EventKind::Detected {} | EventKind::ImpactEnded {} => out
            .text(
                "sets",
                format!("{} at {}", describe::text(&ev.kind), (look.time)(ev.at)),
            ),
        EventKind::ResponderJoined { handle, skills } => {
            out.text("responder", handle.as_str());
            out.text("skills", skills.join(", "));
        }
        EventKind::ResponderLeft { handle }
        | EventKind::DutyStarted { handle }
        | EventKind::DutyEnded { handle } => out.text("responder", handle.as_str()),
        EventKind::AwakeSince { handle, since } => {
            out.text("responder", handle.as_str());
            out.text("awake since", (look.time)(*since));
        }
        EventKind::RoleAssigned { role, handle } => {
            out.text("role", format!("{} ({role})", role.title()));
            out.text("given to", handle.as_str());
        }
        EventKind::RoleReleased { role } => {
            out.text("role", format!("{} ({role})", role.title()));
            out.text("now held by", "the incident commander");
        }
        EventKind::CommandHandedOver { to, brief } => {
            out.text("new commander", to.as_str());
            out.text("current state", brief.current_state.as_str());
            out.list("next steps", &brief.next_steps);
            out.list("people", &brief.people);
        }
        EventKind::Note { text } | EventKind::Theory { text } => {
            written(look, ev, text, out);
            if let EventKind::Theory { .. } = ev.kind
                && let Some(t) = state.board.theory(ev.id)
            {
                let label = state.board.theory_label(ev.id).unwrap_or_default();
                let status = match t.status {
                    TheoryStatus::Open => "open",
                    TheoryStatus::Supported => "supported",
                    TheoryStatus::Refuted => "refuted",
                };
                out.text("on the board", format!("{label}, {status}"));
                out.text("why", t.reason.as_str());
            }
        }
        EventKind::Observation { text, from_event } => {
            written(look, ev, text, out);
            if let Some(from) = from_event {
                out.text("from", look.entry(*from));
            }
        }
        EventKind::TheoryStatusChanged {
            theory,
            status,
            reason,
        } => {
            out.text("theory", look.theory(*theory));
            let s = match status {
                TheoryStatus::Open => "open again",
                TheoryStatus::Supported => "supported",
                TheoryStatus::Refuted => "refuted",
            };
            out.text("now", s);
            out.text("reason", reason.as_str());
        }
        EventKind::Experiment { plan, tests } => {
            if let Some(label) = state.board.experiment_label(ev.id) {
                out.text("experiment", label);
            }
            out.text("plan", plan.as_str());
            let tested: Vec<String> = tests.iter().map(|t| look.theory(*t)).collect();
            out.list("tests", &tested);
            if let Some(result) = state
                .board
                .experiment(ev.id)
                .and_then(|e| state.board.result_of(e))
            {
                out.text("result", result);
            }
        }
        EventKind::ExperimentOutcome {
            experiment,
            outcome,
            verdicts,
            notes,
        } => {
            out.text("experiment", look.experiment(*experiment));
            if let Some(o) = outcome {
                out.text("outcome", outcome_text(*o));
            }
            let v: Vec<String> = verdicts
                .iter()
                .map(|v| format!("{} {}", v.outcome.as_str(), look.theory(v.theory)))
                .collect();
            out.list("verdicts", &v);
            if let Some(result) = state
                .board
                .experiment(*experiment)
                .and_then(|e| state.board.result_of(e))
            {
                out.text("on the board", result);
            }
            out.text("notes", notes.as_str());
        }
        EventKind::ChangeRequested { description } => {
            out.text("change", description.as_str());
            if let Some(c) = state.change_requests.iter().find(|c| c.id == ev.id) {
                let by = c
                    .decided_by
                    .as_deref()
                    .map(|b| format!(" by {b}"))
                    .unwrap_or_default();
                out.text("decision", format!("{}{by}", decision(c.decision)));
                out.text("reason given", c.reason.as_str());
            }
        }
        EventKind::ChangeDecided {
            request,
            approved,
            reason,
        } => {
            out.text("decision", if *approved { "approved" } else { "denied" });
            match state.change_requests.iter().find(|c| c.id == *request) {
                Some(c) => {
                    out.text(
                        "request",
                        format!("{}'s, at {}", c.author, (look.time)(c.at)),
                    );
                    let text = if state.redactions.contains_key(&c.id) {
                        "(the request was redacted)".to_string()
                    } else {
                        c.description.clone()
                    };
                    out.text("change asked for", text);
                }
                None => out.text("request", look.entry(*request)),
            }
            out.text("reason", reason.as_str());
        }
        EventKind::CommsSent {
            audience,
            text,
            checklist,
            override_reason,
            next_update_due,
            lang,
            versions,
        } => {
            out.text(
                "audience",
                match audience {
                    Audience::Internal => "internal",
                    Audience::External => "external",
                },
            );
            let [update, passed, failed] =
                lang.map_or(["update", "checks passed", "checks failed"], version_labels);
            out.text(update, text.as_str());
            out.list(passed, &checklist.passed);
            out.list(failed, &checklist.failed);
            for v in versions {
                let [update, passed, failed] = version_labels(v.lang);
                out.text(update, v.text.as_str());
                out.list(passed, &v.checklist.passed);
                out.list(failed, &v.checklist.failed);
            }
            if let Some(r) = override_reason {
                out.text("sent anyway because", r.as_str());
            }
            if let Some(due) = next_update_due {
                out.text("next update due", (look.time)(*due));
            }
        }
        EventKind::ActionItemAdded {
            text,
            owner_role,
            due,
        } => {
            out.text("action item", text.as_str());
            out.text("owner", format!("{} ({owner_role})", owner_role.title()));
            out.text("due", due.format("%Y-%m-%d").to_string());
        }
        EventKind::ActionItemDone { item } => {
            match state.action_items.iter().find(|a| a.id == *item) {
                Some(a) => out.text("action item", a.text.as_str()),
                None => out.text("action item", look.entry(*item)),
            }
        }
        EventKind::PrivacyAssessed { assessment, notes } => {
            let a = match assessment {
                PrivacyAssessment::NotAssessed => "not yet assessed",
                PrivacyAssessment::NoPersonalInformation => "no personal information involved",
                PrivacyAssessment::PossibleBreach => "possible privacy breach",
            };
            out.text("assessment", a);
            out.text("notes", notes.as_str());
        }
        EventKind::PrivacyStepDone { step, note } => {
            let name = super::privacy::STEPS
                .get(usize::from(*step).wrapping_sub(1))
                .copied()
                .unwrap_or("?");
            out.text("step", format!("{step} of 6: {name}"));
            out.text("note", note.as_str());
        }
        EventKind::KnownErrorLinked { known_error, title } => {
            out.text("known error", known_error.as_str());
            out.text("title", title.as_str());
        }
        EventKind::HealthCheck { summary } => out.text("summary", summary.as_str()),
        EventKind::KnownErrorRecorded {
            key,
            symptom,
            root_cause,
            workaround,
            incidents,
        } => {
            out.text("key", key.as_str());
            out.text("symptom", symptom.as_str());
            out.text("root cause", root_cause.as_str());
            out.text("workaround", workaround.as_str());
            let ids: Vec<String> = incidents.iter().map(Uuid::to_string).collect();
            out.list("incidents", &ids);
        }
        EventKind::CommandRequested { reason } => {
            out.text("reason", reason.as_str());
            if let Some(r) = state.command_requests.iter().find(|r| r.id == ev.id) {
                let by = r
                    .decided_by
                    .as_deref()
                    .map(|b| format!(" by {b}"))
                    .unwrap_or_default();
                let d = match r.decision {
                    Decision::Approved => "accepted",
                    Decision::Denied => "declined",
                    Decision::Pending => "waiting for the IC",
                };
                out.text("answer", format!("{d}{by}"));
            }
        }
        EventKind::CommandRequestDecided {
            request,
            accepted,
            reason,
        } => {
            out.text("answer", if *accepted { "accepted" } else { "declined" });
            match state.command_requests.iter().find(|r| r.id == *request) {
                Some(r) => {
                    out.text(
                        "request",
                        format!("{}'s, at {}", r.author, (look.time)(r.at)),
                    );
                    out.text("their reason", r.reason.as_str());
                }
                None => out.text("request", look.entry(*request)),
            }
            out.text("reason", reason.as_str());
        }
        EventKind::CommandTaken { reason } => {
            out.text("taken without consent by", ev.author.as_str());
            out.text("reason", reason.as_str());
        }
        EventKind::AccessGranted { handle } => out.text("may now see it", handle.as_str()),
        EventKind::AccessRevoked { handle } => out.text("may no longer see it", handle.as_str()),
        EventKind::EventRedacted { event, reason } => {
            out.text("entry", look.entry(*event));
            out.text("reason", reason.as_str());
        }
        EventKind::Amended { event, text } => {
            out.text("entry", look.entry(*event));
            out.text("new text", text.as_str());
        }
        EventKind::AlertLinked {
            alert,
            fingerprint,
            name,
            summary,
        } => {
            out.text("alert", name.as_str());
            out.text("summary", summary.as_str());
            out.text("fingerprint", fingerprint.as_str());
            out.text("alert id", alert.to_string());
        }
        EventKind::AlertUnlinked { alert, reason } => {
            if let Some(l) = state.alert_links.iter().find(|l| l.alert == *alert) {
                out.text("alert", l.name.as_str());
                out.text("fingerprint", l.fingerprint.as_str());
                out.text(
                    "linked",
                    format!("by {}, at {}", l.linked_by, (look.time)(l.linked_at)),
                );
                if l.is_linked() {
                    out.text("now", "linked again since");
                }
            }
            out.text("alert id", alert.to_string());
            out.text("reason", reason.as_str());
        }
        EventKind::AlertObserved {
            alert,
            fingerprint,
            status,
            name,
            summary,
        } => {
            out.text("alert", name.as_str());
            out.text("status", status.as_str());
            out.text("summary", summary.as_str());
            out.text("fingerprint", fingerprint.as_str());
            out.text("alert id", alert.to_string());
        }
        EventKind::PageRequested {
            team,
            provider,
            message,
        } => {
            out.text("team", team.as_str());
            out.text(
                "provider",
                provider.map(|p| p.name()).unwrap_or("as the sender has it"),
            );
            out.text("message", message.as_str());
        }
        EventKind::PageDelivery {
            page,
            team,
            provider,
            status,
            request_id,
            error,
            attempts,
        } => {
            out.text("page", look.entry(*page));
            out.text("team", team.as_str());
            out.text("provider", provider.map(|p| p.name()).unwrap_or("-"));
            out.text("status", status.as_str());
            out.text("request id", request_id.as_str());
            // On a delivery or a close, what is not known of it yet.
            let label = if status.is_failure() { "error" } else { "note" };
            out.text(label, error.as_str());
            out.text("attempts", attempts.to_string());
        }
        EventKind::Unknown { kind, fields } => {
            out.text("type", kind.as_str());
            out.text(
                "note",
                "recorded by a newer warroom; update to see it as meant",
            );
            let mut shown = Vec::new();
            for (name, value) in fields {
                let v = match value {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                shown.push(format!("{name}: {v}"));
            }
            out.list("fields", &shown);
        }
    }
}

/// The text of a note, observation or theory; when amended, the latest text first and
/// what was first written after it.
fn written(look: &Lookup, ev: &Event, text: &str, out: &mut Parts) {
    match look.state.amendments.get(&ev.id) {
        Some(a) if look.state.redactions.contains_key(&a.id) => {
            out.text("text", text);
            out.text("amended", "yes; the amendment was redacted");
        }
        Some(a) => {
            out.text("text", a.text.as_str());
            let times = if a.times > 1 {
                format!(" ({} times)", a.times)
            } else {
                String::new()
            };
            out.text(
                "amended",
                format!("by {} at {}{times}", a.by, (look.time)(a.at)),
            );
            out.text("first written", text);
        }
        None => out.text("text", text),
    }
}

/// `text` in lines of at most `width` characters: its own line breaks kept, words moved
/// whole to the next line where they fit, longer ones cut. A line of a list (`• item`)
/// continues under its item's text.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim_end();
        let hang = if line.starts_with("• ") && width > 4 {
            "  "
        } else {
            ""
        };
        let mut current = String::new();
        let mut len = 0usize;
        for word in line.split(' ') {
            let wlen = word.chars().count();
            let gap = usize::from(len > 0);
            if len > 0 && len + gap + wlen > width {
                out.push(std::mem::take(&mut current));
                current.push_str(hang);
                len = hang.len();
            } else if gap == 1 {
                current.push(' ');
                len += 1;
            }
            // A word longer than a line is cut where the line ends.
            let mut rest = word;
            while len + rest.chars().count() > width {
                let room = width.saturating_sub(len).max(1);
                let cut = rest
                    .char_indices()
                    .nth(room)
                    .map(|(i, _)| i)
                    .unwrap_or(rest.len());
                current.push_str(&rest[..cut]);
                out.push(std::mem::take(&mut current));
                current.push_str(hang);
                len = hang.len();
                rest = &rest[cut..];
            }
            current.push_str(rest);
            len += rest.chars().count();
        }
        out.push(current);
    }
    out
}

fn outcome_text(o: Outcome) -> &'static str {
    match o {
        Outcome::Supports => "supports its theory",
        Outcome::Refutes => "refutes its theory",
        Outcome::Inconclusive => "inconclusive",
    }
}

/// The field names of one language's version of an update.
fn version_labels(lang: super::lang::Lang) -> [&'static str; 3] {
    match lang {
        super::lang::Lang::En => [
            "update (English)",
            "checks passed (English)",
            "checks failed (English)",
        ],
        super::lang::Lang::Fr => [
            "update (French)",
            "checks passed (French)",
            "checks failed (French)",
        ],
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::domain::event::{ChecklistResult, HandoverBrief};

    fn event(seq: i64, kind: EventKind) -> Event {
        let at = Utc.with_ymd_and_hms(2026, 11, 26, 21, 0, 0).unwrap();
        Event {
            id: Uuid::from_u128(seq as u128),
            incident: Uuid::from_u128(99),
            seq: Some(seq),
            at,
            recorded_at: Some(at),
            author: "maya".into(),
            persona: None,
            kind,
        }
    }

    fn parts_of(state: &Incident, events: &[Event], ev: &Event) -> Vec<Part> {
        let find = |id: Uuid| events.iter().find(|e| e.id == id);
        let time = |t: DateTime<Utc>| t.format("%H:%M").to_string();
        parts(
            &Lookup {
                state,
                find: &find,
                time: &time,
            },
            ev,
        )
    }

    fn text_of<'a>(parts: &'a [Part], name: &str) -> Option<&'a str> {
        parts
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.text.as_str())
    }

    #[test]
    fn a_sent_update_shows_every_field() {
        let ev = event(
            1,
            EventKind::CommsSent {
                audience: Audience::External,
                text: "SEV2 – Payments\n\nStatus:\n- one\n- two".into(),
                checklist: ChecklistResult {
                    passed: vec!["title".into()],
                    failed: vec!["eta".into(), "impact".into()],
                },
                override_reason: Some("customers need to hear now".into()),
                next_update_due: Some(Utc.with_ymd_and_hms(2026, 11, 26, 21, 30, 0).unwrap()),
                lang: None,
                versions: Vec::new(),
            },
        );
        let state = Incident::new(Uuid::from_u128(99));
        let p = parts_of(&state, &[], &ev);
        assert_eq!(text_of(&p, "audience"), Some("external"));
        assert_eq!(
            text_of(&p, "update"),
            Some("SEV2 – Payments\n\nStatus:\n- one\n- two")
        );
        assert_eq!(text_of(&p, "checks passed"), Some("• title"));
        assert_eq!(text_of(&p, "checks failed"), Some("• eta\n• impact"));
        assert_eq!(
            text_of(&p, "sent anyway because"),
            Some("customers need to hear now")
        );
        assert_eq!(text_of(&p, "next update due"), Some("21:30"));
    }

    #[test]
    fn a_handover_shows_the_whole_brief() {
        let ev = event(
            1,
            EventKind::CommandHandedOver {
                to: "jonas".into(),
                brief: HandoverBrief {
                    current_state: "Errors are down.\nWatching.".into(),
                    next_steps: vec!["watch".into(), "send update".into()],
                    people: vec!["tomas (OL)".into()],
                },
            },
        );
        let state = Incident::new(Uuid::from_u128(99));
        let p = parts_of(&state, &[], &ev);
        assert_eq!(text_of(&p, "new commander"), Some("jonas"));
        assert_eq!(
            text_of(&p, "current state"),
            Some("Errors are down.\nWatching.")
        );
        assert_eq!(text_of(&p, "next steps"), Some("• watch\n• send update"));
        assert_eq!(text_of(&p, "people"), Some("• tomas (OL)"));
    }

    #[test]
    fn a_decision_names_the_request_it_answers() {
        let request = event(
            2,
            EventKind::ChangeRequested {
                description: "Raise the pool to 400".into(),
            },
        );
        let decided = event(
            3,
            EventKind::ChangeDecided {
                request: request.id,
                approved: true,
                reason: String::new(),
            },
        );
        let declared = event(
            1,
            EventKind::IncidentDeclared {
                title: "Payments".into(),
                severity: crate::domain::event::Severity::MAJOR,
                summary: String::new(),
                drill: false,
                restricted: false,
            },
        );
        let events = vec![declared, request, decided.clone()];
        let state = Incident::fold(Uuid::from_u128(99), &events);
        let p = parts_of(&state, &events, &decided);
        assert_eq!(text_of(&p, "decision"), Some("approved"));
        assert_eq!(
            text_of(&p, "change asked for"),
            Some("Raise the pool to 400")
        );
        assert_eq!(text_of(&p, "reason"), None, "empty fields are left out");
    }

    #[test]
    fn wrapping_keeps_lines_moves_words_and_cuts_long_ones() {
        assert_eq!(
            wrap("one two three\nfour", 7),
            vec!["one two", "three", "four"]
        );
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap("• alpha beta", 9), vec!["• alpha", "  beta"]);
        assert_eq!(wrap("", 10), Vec::<String>::new());
        assert!(
            wrap("x y z w v u", 3)
                .iter()
                .all(|l| l.chars().count() <= 3),
            "no line is wider than asked"
        );
    }
}
