//! One line of plain text per event, for the timeline, the CLI and the postmortem.

use std::borrow::Cow;

use super::event::{Audience, Event, EventKind, Outcome, PrivacyAssessment, TheoryStatus};
use super::metrics::format_duration;

/// A short label of the kind, e.g. `note`, `theory`, `handover`.
pub fn label(kind: &EventKind) -> &str {
    match kind {
        EventKind::IncidentDeclared { .. } => "declared",
        EventKind::SeverityChanged { .. } => "severity",
        EventKind::StageChanged { .. } => "stage",
        EventKind::Resolved { .. } => "resolved",
        EventKind::Reopened { .. } => "reopened",
        EventKind::Closed { .. } => "closed",
        EventKind::ImpactStarted {} => "impact start",
        EventKind::Detected {} => "detected",
        EventKind::ImpactEnded {} => "impact end",
        EventKind::ResponderJoined { .. } => "joined",
        EventKind::ResponderLeft { .. } => "left",
        EventKind::DutyStarted { .. } => "on duty",
        EventKind::DutyEnded { .. } => "off duty",
        EventKind::AwakeSince { .. } => "awake",
        EventKind::RoleAssigned { .. } => "role",
        EventKind::RoleReleased { .. } => "role",
        EventKind::CommandHandedOver { .. } => "handover",
        EventKind::Note { .. } => "note",
        EventKind::Observation { .. } => "observation",
        EventKind::Theory { .. } => "theory",
        EventKind::TheoryStatusChanged { .. } => "theory",
        EventKind::Experiment { .. } => "experiment",
        EventKind::ExperimentOutcome { .. } => "outcome",
        EventKind::ChangeRequested { .. } => "change req",
        EventKind::ChangeDecided { .. } => "decision",
        EventKind::CommsSent { .. } => "comms",
        EventKind::ActionItemAdded { .. } => "action",
        EventKind::ActionItemDone { .. } => "action done",
        EventKind::PrivacyAssessed { .. } => "privacy",
        EventKind::KnownErrorLinked { .. } => "known error",
        EventKind::HealthCheck { .. } => "health",
        EventKind::PrivacyStepDone { .. } => "privacy step",
        EventKind::KnownErrorRecorded { .. } => "known error",
        EventKind::CommandRequested { .. } => "asks command",
        EventKind::CommandRequestDecided { .. } => "command ans",
        EventKind::CommandTaken { .. } => "COMMAND TAKEN",
        EventKind::AccessGranted { .. } => "access",
        EventKind::AccessRevoked { .. } => "access",
        EventKind::EventRedacted { .. } => "redaction",
        EventKind::Amended { .. } => "amended",
        EventKind::AlertLinked { .. } => "alert",
        EventKind::AlertObserved { .. } => "observation",
        EventKind::AlertUnlinked { .. } => "alert",
        EventKind::PageRequested { .. } => "page",
        EventKind::PageDelivery { .. } => "page",
        EventKind::Unknown { .. } => "unknown",
    }
}

fn first_line(s: &str) -> &str {
    s.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
}

/// What happened, in a sentence fragment.
pub fn text(kind: &EventKind) -> String {
    match kind {
        EventKind::IncidentDeclared {
            title,
            severity,
            drill,
            ..
        } => format!(
            "{}declared {severity} ({}): {title}",
            if *drill { "DRILL " } else { "" },
            severity.name()
        ),
        EventKind::SeverityChanged { severity, reason } => with_reason(
            format!("severity now {severity} ({})", severity.name()),
            reason,
        ),
        EventKind::StageChanged { stage } => format!("stage now {}", stage.title()),
        EventKind::Resolved { summary } => with_reason("incident resolved".into(), summary),
        EventKind::Reopened { reason } => with_reason("incident reopened".into(), reason),
        EventKind::Closed { reason } => with_reason("incident closed".into(), reason),
        EventKind::ImpactStarted {} => "start of impact".into(),
        EventKind::Detected {} => "impact detected".into(),
        EventKind::ImpactEnded {} => "end of impact".into(),
        EventKind::ResponderJoined { handle, skills } if skills.is_empty() => {
            format!("{handle} joined")
        }
        EventKind::ResponderJoined { handle, skills } => {
            format!("{handle} joined ({})", skills.join(", "))
        }
        EventKind::ResponderLeft { handle } => format!("{handle} left"),
        EventKind::DutyStarted { handle } => format!("{handle} back on duty"),
        EventKind::DutyEnded { handle } => format!("{handle} off duty"),
        EventKind::AwakeSince { handle, since } => {
            format!(
                "{handle} awake since {}",
                since.format("%Y-%m-%d %H:%M UTC")
            )
        }
        EventKind::RoleAssigned { role, handle } => {
            format!("{} ({role}) → {handle}", role.title())
        }
        EventKind::RoleReleased { role } => {
            format!("{} ({role}) released, back with the IC", role.title())
        }
        EventKind::CommandHandedOver { to, brief } => {
            let state = first_line(&brief.current_state);
            if state.is_empty() {
                format!("command handed over to {to}")
            } else {
                format!("command handed over to {to}: {state}")
            }
        }
        EventKind::CommandRequested { reason } => {
            with_reason("asks the IC for command".into(), reason)
        }
        EventKind::CommandRequestDecided {
            accepted, reason, ..
        } => with_reason(
            if *accepted {
                "request for command accepted".into()
            } else {
                "request for command declined".into()
            },
            reason,
        ),
        EventKind::CommandTaken { reason } => {
            with_reason("TOOK COMMAND without the IC's consent".into(), reason)
        }
        EventKind::AccessGranted { handle } => format!("{handle} may now see this incident"),
        EventKind::AccessRevoked { handle } => format!("{handle} may no longer see this incident"),
        EventKind::EventRedacted { reason, .. } => with_reason("redacted an entry".into(), reason),
        EventKind::Note { text } => first_line(text).to_string(),
        EventKind::Observation { text, .. } => first_line(text).to_string(),
        EventKind::Theory { text } => first_line(text).to_string(),
        EventKind::TheoryStatusChanged { status, reason, .. } => {
            let s = match status {
                TheoryStatus::Open => "theory reopened",
                TheoryStatus::Supported => "theory supported",
                TheoryStatus::Refuted => "theory refuted",
            };
            with_reason(s.into(), reason)
        }
        EventKind::Experiment { plan, .. } => first_line(plan).to_string(),
        EventKind::ExperimentOutcome {
            outcome,
            verdicts,
            notes,
            ..
        } => {
            let o = if verdicts.is_empty() {
                match outcome {
                    Some(Outcome::Supports) => "supports its theory".to_string(),
                    Some(Outcome::Refutes) => "refutes its theory".to_string(),
                    Some(Outcome::Inconclusive) | None => "inconclusive".to_string(),
                }
            } else {
                let v: Vec<&str> = verdicts.iter().map(|v| v.outcome.as_str()).collect();
                format!("verdicts: {}", v.join(", "))
            };
            with_reason(format!("experiment {o}"), notes)
        }
        EventKind::Amended { text, .. } => format!("amended to: {}", first_line(text)),
        EventKind::ChangeRequested { description } => {
            format!("asks to change: {}", first_line(description))
        }
        EventKind::ChangeDecided {
            approved, reason, ..
        } => with_reason(
            if *approved {
                "change approved".into()
            } else {
                "change denied".into()
            },
            reason,
        ),
        EventKind::CommsSent {
            audience,
            text,
            checklist,
            override_reason,
            ..
        } => {
            let who = match audience {
                Audience::Internal => "internal",
                Audience::External => "external",
            };
            let check = if checklist.failed.is_empty() {
                String::new()
            } else if override_reason.is_some() {
                format!(" [sent over {} failed checks]", checklist.failed.len())
            } else {
                format!(" [{} checks failed]", checklist.failed.len())
            };
            format!("{who} update: {}{check}", first_line(text))
        }
        EventKind::ActionItemAdded {
            text,
            owner_role,
            due,
        } => format!("{} (owner {owner_role}, due {due})", first_line(text)),
        EventKind::ActionItemDone { .. } => "action item done".into(),
        EventKind::PrivacyAssessed { assessment, notes } => {
            let a = match assessment {
                PrivacyAssessment::NotAssessed => "privacy not yet assessed",
                PrivacyAssessment::NoPersonalInformation => "no personal information involved",
                PrivacyAssessment::PossibleBreach => "POSSIBLE PRIVACY BREACH",
            };
            with_reason(a.into(), notes)
        }
        EventKind::KnownErrorLinked { known_error, title } => {
            with_reason(format!("linked known error {known_error}"), title)
        }
        EventKind::HealthCheck { summary } => with_reason("team health check".into(), summary),
        EventKind::PrivacyStepDone { step, note } => with_reason(
            format!(
                "privacy step {step} done: {}",
                super::privacy::STEPS
                    .get(usize::from(*step).wrapping_sub(1))
                    .copied()
                    .unwrap_or("?")
            ),
            note,
        ),
        EventKind::KnownErrorRecorded { key, symptom, .. } => {
            format!("{key}: {}", first_line(symptom))
        }
        EventKind::AlertLinked {
            fingerprint,
            name,
            summary,
            ..
        } => with_reason(
            format!("alert linked: {} ({fingerprint})", alert_name(name)),
            summary,
        ),
        EventKind::AlertObserved {
            status,
            name,
            summary,
            ..
        } => alert_observed(*status, name, summary),
        EventKind::AlertUnlinked { alert, reason } => {
            with_reason(format!("alert unlinked: {alert}"), reason)
        }
        EventKind::PageRequested {
            team,
            provider,
            message,
        } => super::page::requested_text(team, *provider, message),
        EventKind::PageDelivery {
            team,
            provider,
            status,
            request_id,
            error,
            attempts,
            ..
        } => super::page::delivery_text(team, *provider, *status, request_id, error, *attempts),
        EventKind::Unknown { kind, .. } => {
            format!("({kind}: recorded by a newer warroom; update to see it)")
        }
    }
}

fn alert_name(name: &str) -> &str {
    let name = first_line(name);
    if name.is_empty() { "an alert" } else { name }
}

/// How an alert's firing or resolution reads as an observation: `alert firing: NAME —
/// SUMMARY`, `alert resolved: NAME`.
pub fn alert_observed(status: super::alert::AlertStatus, name: &str, summary: &str) -> String {
    let head = format!("alert {}: {}", status.as_str(), alert_name(name));
    let summary = first_line(summary);
    if summary.is_empty() || status == super::alert::AlertStatus::Resolved {
        head
    } else {
        format!("{head} — {summary}")
    }
}

/// What an event of `state` says: its text, or for a redacted entry who redacted it and why.
pub fn text_in(state: &super::incident::Incident, ev: &Event) -> String {
    if let Some(r) = state.redactions.get(&ev.id) {
        return redacted(r);
    }
    match &ev.kind {
        // A decision names the request it answers, and who asked.
        EventKind::ChangeDecided {
            request,
            approved,
            reason,
        } => match state.change_requests.iter().find(|c| c.id == *request) {
            Some(c) => with_reason(
                format!(
                    "{} {}'s change “{}”",
                    if *approved { "approved" } else { "denied" },
                    c.author,
                    first_line(&c.description)
                ),
                reason,
            ),
            None => text(&ev.kind),
        },
        EventKind::CommandRequestDecided {
            request,
            accepted,
            reason,
        } => match state.command_requests.iter().find(|r| r.id == *request) {
            Some(r) => with_reason(
                format!(
                    "{} {}'s request for command",
                    if *accepted { "accepted" } else { "declined" },
                    r.author
                ),
                reason,
            ),
            None => text(&ev.kind),
        },
        // An outcome names each theory and its verdict, as the board labels them.
        EventKind::ExperimentOutcome {
            experiment, notes, ..
        } => match state.board.experiment(*experiment) {
            Some(e) => {
                let label = state
                    .board
                    .experiment_label(e.id)
                    .unwrap_or_else(|| "E?".into());
                let result = state.board.result_of(e).unwrap_or_default();
                with_reason(format!("{label}: {result}"), notes)
            }
            None => text(&ev.kind),
        },
        // An unlinked alert is named as it was linked.
        EventKind::AlertUnlinked { alert, reason } => {
            match state.alert_links.iter().find(|l| l.alert == *alert) {
                Some(l) => with_reason(
                    format!(
                        "alert unlinked: {} ({})",
                        alert_name(&l.name),
                        l.fingerprint
                    ),
                    reason,
                ),
                None => text(&ev.kind),
            }
        }
        // An amended entry reads as its latest text, marked.
        EventKind::Note { .. } | EventKind::Observation { .. } | EventKind::Theory { .. } => {
            match state.amendments.get(&ev.id) {
                Some(a) if state.redactions.contains_key(&a.id) => {
                    format!("(amended; the amendment was redacted) {}", text(&ev.kind))
                }
                Some(a) => format!("[amended] {}", first_line(&a.text)),
                None => text(&ev.kind),
            }
        }
        kind => text(kind),
    }
}

/// Events in the order things happened: by their own time, ties by the order they were
/// recorded. A back-dated entry (a start of impact found later, a note written up after
/// the fact) slots in where it belongs.
pub fn in_time_order<'a>(events: impl IntoIterator<Item = &'a Event>) -> Vec<&'a Event> {
    let mut all: Vec<(usize, &Event)> = events.into_iter().enumerate().collect();
    all.sort_by_key(|(i, e)| (e.at, e.seq.unwrap_or(i64::MAX), *i));
    all.into_iter().map(|(_, e)| e).collect()
}

/// When a back-dated entry was recorded, if it was recorded more than a minute after the
/// time it carries: shown beside it so the order of the story and of the log both stay
/// readable.
pub fn recorded_later(ev: &Event) -> Option<chrono::DateTime<chrono::Utc>> {
    ev.recorded_at
        .filter(|r| *r - ev.at > chrono::Duration::minutes(1))
}

/// How a redacted entry reads in place of its text.
pub fn redacted(r: &super::incident::Redaction) -> String {
    with_reason(format!("redacted by the IC ({})", r.by), &r.reason)
}

fn with_reason(head: String, reason: &str) -> String {
    let r = first_line(reason);
    if r.is_empty() {
        head
    } else {
        format!("{head}: {r}")
    }
}

/// At most `width` characters, ending in … when cut.
pub fn clip(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// "12m ago", "2h 05m ago", "in 5m".
pub fn relative(d: chrono::Duration) -> String {
    if d < chrono::Duration::zero() {
        format!("in {}", format_duration(-d))
    } else {
        format!("{} ago", format_duration(d))
    }
}

/// `text` made safe to print on a terminal: every character that would steer the terminal
/// (retitle it, clear the screen, reorder the line) is shown instead of obeyed. ESC reads
/// `\x1b`, BEL `\x07`, any other C0 control, CR included, and DEL `\xNN`; a C1 control
/// (U+0080 to U+009F) reads `\u{NN}` and a bidi override or isolate (U+202A to U+202E,
/// U+2066 to U+2069) `\u{NNNN}`. Line breaks and tabs stay, for text meant to run over
/// several lines; [`visible_line`] shows them too. Text with nothing to show comes back
/// borrowed, so the common case costs one scan.
pub fn visible(text: &str) -> Cow<'_, str> {
    shown(text, true)
}

/// As [`visible`], for text that must stay on one line (a row of a list, one event):
/// line breaks and tabs are shown as `\x0a` and `\x09` too.
pub fn visible_line(text: &str) -> Cow<'_, str> {
    shown(text, false)
}

fn shown(text: &str, keep_lines: bool) -> Cow<'_, str> {
    let steers = |c: char| match c {
        '\n' | '\t' => !keep_lines,
        _ => c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'),
    };
    // One pass over the bytes settles most text: whatever `steers` catches is a C0
    // control, DEL, or a character whose UTF-8 starts with 0xC2 (C1 controls) or 0xE2
    // (the bidi controls).
    let suspect = |b: u8| match b {
        b'\n' | b'\t' => !keep_lines,
        0..=0x1f | 0x7f | 0xc2 | 0xe2 => true,
        _ => false,
    };
    if !text.bytes().any(suspect) {
        return Cow::Borrowed(text);
    }
    let Some(first) = text.find(steers) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len() + 16);
    out.push_str(&text[..first]);
    for c in text[first..].chars() {
        match u32::from(c) {
            _ if !steers(c) => out.push(c),
            n @ (0..=0x1f | 0x7f) => out.push_str(&format!("\\x{n:02x}")),
            n => out.push_str(&format!("\\u{{{n:x}}}")),
        }
    }
    Cow::Owned(out)
}
