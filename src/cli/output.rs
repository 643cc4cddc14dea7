//! Plain-text renderings for the terminal.

use std::fmt::Write;

use chrono::{DateTime, Utc};

use crate::domain::describe::{self, clip};
use crate::domain::event::{Event, Role, TheoryStatus};
use crate::domain::incident::{Incident, IncidentSummary};
use crate::domain::metrics::format_duration;
use crate::domain::severity;
use crate::sync::View;

fn hm(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "not set".into())
}

pub fn incident_table(incidents: &[IncidentSummary], now: DateTime<Utc>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<7} {:<5} {:<9} {:<17} {:>9}  {:<12} TITLE",
        "ID", "SEV", "STATUS", "STAGE", "AGE", "IC"
    );
    for i in incidents {
        let age = i
            .declared_at
            .map(|d| format_duration(now - d))
            .unwrap_or_default();
        let title = if i.drill {
            format!("[DRILL] {}", i.title)
        } else {
            i.title.clone()
        };
        let _ = writeln!(
            out,
            "{:<7} {:<5} {:<9} {:<17} {:>9}  {:<12} {}",
            i.short_id,
            i.severity.label(),
            i.status.as_str(),
            i.stage.title(),
            age,
            clip(i.commander.as_deref().unwrap_or("-"), 12),
            title
        );
    }
    out
}

pub fn event_line(state: &Incident, ev: &Event, mark: Option<&str>) -> String {
    let seq = ev
        .seq
        .map(|s| format!("#{s}"))
        .unwrap_or_else(|| "#-".into());
    let mut line = format!(
        "{seq:>6}  {}  {:<10} {:<12} {}",
        ev.at.format("%Y-%m-%d %H:%M:%S"),
        clip(&ev.author, 10),
        describe::label(&ev.kind),
        describe::text_in(state, ev)
    );
    if let Some(m) = mark {
        let _ = write!(line, "  [{m}]");
    }
    line
}

pub fn incident_report(view: &View, now: DateTime<Utc>) -> String {
    let s = &view.state;
    let sum = &s.summary;
    let mut out = String::new();
    let drill = if sum.drill { "  [DRILL]" } else { "" };
    let _ = writeln!(
        out,
        "{}  {} ({})  {} · {}{drill}",
        sum.short_id,
        sum.severity,
        sum.severity.name(),
        sum.status.as_str(),
        sum.stage.title()
    );
    let _ = writeln!(out, "{}", sum.title);
    if !s.description.is_empty() {
        let _ = writeln!(out, "  {}", s.description);
    }
    let _ = writeln!(
        out,
        "\nDeclared          {} by {}",
        hm(sum.declared_at),
        s.declared_by.as_deref().unwrap_or("?")
    );
    let _ = writeln!(out, "Start of impact   {}", hm(s.impact.started));
    let _ = writeln!(out, "Detected          {}", hm(s.impact.detected));
    let _ = writeln!(out, "End of impact     {}", hm(s.impact.ended));
    let dur = |d: Option<chrono::Duration>| d.map(format_duration).unwrap_or_else(|| "-".into());
    let _ = writeln!(out, "TTD {}   TTR {}", dur(s.ttd()), dur(s.ttr()));
    if s.impact.corrections > 0 {
        let _ = writeln!(
            out,
            "({} correction(s) to the impact times)",
            s.impact.corrections
        );
    }
    let _ = writeln!(out, "\nRoles");
    for role in Role::ALL {
        let holder = s.roster.holder(role).unwrap_or("-");
        let note = if s.roster.is_defaulted_to_ic(role) {
            "  (held by the IC)"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  {:<3} {:<20} {holder}{note}",
            role.code(),
            role.title()
        );
    }
    let present: Vec<_> = s.present_responders().collect();
    let _ = writeln!(out, "\nResponders ({} present)", present.len());
    for r in &present {
        let duty = format_duration(r.time_on_duty(now));
        let awake = r
            .awake_since
            .map(|a| format!(", awake {}", format_duration(now - a)))
            .unwrap_or_default();
        let state = if r.on_duty_since.is_some() {
            "on duty"
        } else {
            "off duty"
        };
        let _ = writeln!(
            out,
            "  {:<16} {state}, {duty} on the incident{awake}",
            r.handle
        );
    }
    let b = &s.board;
    let count = |st| b.theories.iter().filter(|t| t.status == st).count();
    let _ = writeln!(
        out,
        "\nBoard             {} observations, {} theories ({} open, {} supported, {} refuted), \
         {} experiments ({} running)",
        b.observations.len(),
        b.theories.len(),
        count(TheoryStatus::Open),
        count(TheoryStatus::Supported),
        count(TheoryStatus::Refuted),
        b.experiments.len(),
        b.running_experiments().count()
    );
    let waiting = s.pending_change_requests().count();
    let _ = writeln!(
        out,
        "Change requests   {} ({} waiting for the IC)",
        s.change_requests.len(),
        waiting
    );
    let due = match s.next_update_due() {
        Some(d) if d < now => format!(", next update OVERDUE by {}", format_duration(now - d)),
        Some(d) => format!(", next update due in {}", format_duration(d - now)),
        None => String::new(),
    };
    let _ = writeln!(out, "Comms             {} sent{due}", s.comms.len());
    let privacy = s.privacy.describe(s.privacy_steps.len());
    let _ = writeln!(out, "Privacy           {privacy}");
    if !s.action_items.is_empty() {
        let open = s.open_action_items();
        let _ = writeln!(
            out,
            "Action items      {open} open of {}",
            s.action_items.len()
        );
    }
    if !s.known_errors.is_empty() {
        let _ = writeln!(out, "Known errors      {}", s.known_error_keys().join(", "));
    }
    let rejected = view.pending.iter().filter(|p| p.rejected.is_some()).count();
    let _ = writeln!(
        out,
        "Events            {} confirmed, {} pending, {} rejected",
        view.confirmed.len(),
        view.pending.len() - rejected,
        rejected
    );
    if s.unknown_events > 0 {
        let _ = writeln!(
            out,
            "                  {} of a kind this version does not know",
            s.unknown_events
        );
    }
    out
}

pub fn severities() -> String {
    let mut out = String::new();
    for level in severity::table() {
        let _ = writeln!(out, "SEV{}  {}: {}", level.level, level.name, level.meaning);
        for e in &level.examples {
            let _ = writeln!(out, "        - {e}");
        }
    }
    out
}
