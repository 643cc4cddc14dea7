//! The alerts above the incident list: the server's firing alerts that no incident still
//! open has taken in (none linked, or linked to one since closed), most recently started
//! first. The list's cursor moves up into them from the first incident. On an alert,
//! `enter` or the declare-from-alert key opens the declaration form filled in from it
//! (its name and summary; the severity is the responder's to choose), and the attach key
//! links it to the open incident, or with none open to the incident last under the
//! cursor. A new critical alert notifies once.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use uuid::Uuid;

use super::action::Action;
use super::ctx::{Ctx, Look};
use super::effect::Effect;
use super::fit;
use super::overlay::form::{Answers, Field, Purpose};
use crate::domain::alert::{Alert, AlertStatus};
use crate::domain::describe::visible_line;
use crate::domain::event::{Severity, Status};
use crate::domain::incident::IncidentSummary;
use crate::domain::metrics::format_duration;

/// Most alert rows shown above the list; the cursor scrolls through the rest.
pub const MOST_SHOWN: usize = 5;

// The fields of the declaration form.
const TITLE: &str = "Title";
const SEVERITY: &str = "Severity";
const SUMMARY: &str = "Summary";

/// The firing alerts no incident still open has taken in, in the server's order.
pub fn unlinked<'a>(alerts: &'a [Alert], incidents: &[IncidentSummary]) -> Vec<&'a Alert> {
    alerts
        .iter()
        .filter(|a| a.status == AlertStatus::Firing)
        .filter(|a| {
            a.incident.is_none_or(|id| {
                incidents
                    .iter()
                    .find(|i| i.id == id)
                    .is_none_or(|i| i.status == Status::Closed)
            })
        })
        .collect()
}

/// How many rows the alerts take above the list (with their frame), none when there are
/// none.
pub fn height(shown: usize) -> u16 {
    if shown == 0 {
        0
    } else {
        shown.min(MOST_SHOWN) as u16 + 2
    }
}

/// A key in the list while alerts are shown: moving between the alerts and the incidents,
/// and the alert keys. `None` leaves the key to the incident list.
#[allow(clippy::too_many_arguments)]
pub fn act(
    ctx: &mut Ctx,
    shown: &[&Alert],
    row: &mut Option<usize>,
    incident_row: usize,
    target: Option<&IncidentSummary>,
    action: Action,
) -> Option<Vec<Effect>> {
    if shown.is_empty() {
        *row = None;
        if matches!(action, Action::DeclareFromAlert | Action::AttachAlert) {
            ctx.say("no alert is firing that an open incident has not taken in");
            return Some(Vec::new());
        }
        return None;
    }
    let last = shown.len() - 1;
    let chosen = match (*row, action) {
        (None, Action::Up) if incident_row == 0 => {
            *row = Some(last);
            return Some(Vec::new());
        }
        (None, Action::Top) => {
            *row = Some(0);
            return Some(Vec::new());
        }
        (None, Action::DeclareFromAlert | Action::AttachAlert) if shown.len() > 1 => {
            *row = Some(0);
            ctx.say("choose the alert (↑/↓), then press the key again");
            return Some(Vec::new());
        }
        (None, Action::DeclareFromAlert | Action::AttachAlert) => 0,
        (None, _) => return None,
        (Some(i), Action::Up) => {
            *row = Some(i.saturating_sub(1));
            return Some(Vec::new());
        }
        (Some(i), Action::Down) => {
            *row = (i < last).then_some(i + 1);
            return Some(Vec::new());
        }
        (Some(_), Action::Top) => {
            *row = Some(0);
            return Some(Vec::new());
        }
        (Some(_), Action::Bottom) => {
            *row = None;
            return None;
        }
        (Some(i), Action::Open | Action::DeclareFromAlert | Action::AttachAlert) => i.min(last),
        (Some(_), _) => return None,
    };
    let alert = shown[chosen];
    *row = Some(chosen);
    if action == Action::AttachAlert {
        return Some(attach(ctx, alert, target));
    }
    open_declaration(ctx, alert);
    Some(Vec::new())
}

/// The declaration form, filled in from the alert.
fn open_declaration(ctx: &mut Ctx, alert: &Alert) {
    let says = match alert.labels.get("severity") {
        Some(label) => format!(
            "1 critical · 2 major · 3 minor: choose one (the alert says {})",
            visible_line(label)
        ),
        None => "1 critical · 2 major · 3 minor: choose one".to_string(),
    };
    ctx.open_form(
        format!("Declare from alert {}", visible_line(alert.name())),
        Purpose::DeclareFromAlert {
            alert: Box::new(alert.clone()),
        },
        vec![
            Field::line(TITLE, alert.name(), "what is wrong, in one line"),
            Field::line(SEVERITY, "", says),
            Field::line(
                SUMMARY,
                alert.summary(),
                "current state and impact, a sentence or two",
            ),
        ],
    );
}

/// Links the alert to `target`: checked by the rule book first when it is the incident
/// open on screen.
fn attach(ctx: &mut Ctx, alert: &Alert, target: Option<&IncidentSummary>) -> Vec<Effect> {
    let Some(target) = target else {
        ctx.complain("open the incident to attach the alert to (or select it in the list)");
        return Vec::new();
    };
    let what = format!(
        "alert {} linked to {}",
        visible_line(alert.name()),
        target.short_id
    );
    let kinds = vec![(ctx.now, alert.link())];
    if ctx.data.is_some_and(|d| d.id == target.id) {
        return ctx.record(kinds, what);
    }
    vec![Effect::Record {
        incident: target.id,
        kinds,
        what,
    }]
}

/// The submitted declaration form.
pub fn submit(ctx: &mut Ctx, form: &Answers) -> Vec<Effect> {
    let Purpose::DeclareFromAlert { alert } = &form.purpose else {
        return Vec::new();
    };
    let severity = match form
        .value(SEVERITY)
        .trim()
        .parse::<i64>()
        .map_err(|_| String::new())
        .and_then(Severity::new)
    {
        Ok(s) => s,
        Err(_) => return ctx.refuse("choose the severity: 1, 2 or 3".into()),
    };
    let title = form.value(TITLE);
    if title.is_empty() {
        return ctx.refuse("the title must not be empty".into());
    }
    let alert = alert.clone();
    ctx.close_overlay();
    vec![Effect::DeclareFromAlert {
        title,
        severity,
        summary: form.value(SUMMARY),
        alert,
    }]
}

/// New critical alerts, each raised once (the console's alert keys): the title names it,
/// the body says what it is about.
pub fn notices(alerts: &[Alert]) -> Vec<super::alerts::Alert> {
    alerts
        .iter()
        .filter(|a| a.is_critical())
        .map(|a| {
            (
                notice_key(a),
                format!("ALERT critical: {}", a.name()),
                if a.summary().is_empty() {
                    format!(
                        "Fingerprint {}; d on the list declares from it.",
                        a.fingerprint
                    )
                } else {
                    a.summary().to_string()
                },
            )
        })
        .collect()
}

/// The key a critical alert is raised under: the same alert firing again is news again.
pub fn notice_key(a: &Alert) -> String {
    format!("alert:{}:{}", a.id, a.starts_at.timestamp())
}

/// Draws the alerts in `area` (one frame, a row each), the cursor's reversed.
pub fn draw(look: &Look, shown: &[&Alert], row: Option<usize>, f: &mut Frame, area: Rect) {
    let block = Block::bordered()
        .title(format!(" Alerts firing, not taken in ({}) ", shown.len()))
        .border_style(Style::new().fg(Color::Red));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let h = usize::from(inner.height).max(1);
    let offset = row.map_or(0, |r| r.saturating_sub(h - 1));
    let width = usize::from(inner.width);
    let mut lines = Vec::new();
    for (i, a) in shown.iter().enumerate().skip(offset).take(h) {
        let severity = a
            .labels
            .get("severity")
            .map(|s| visible_line(s).into_owned())
            .unwrap_or_else(|| "-".into());
        let head = format!(
            "{:<8} {:<9} {:>8} ",
            a.short_fingerprint(),
            fit::clip(&severity, 9),
            format_duration(look.now - a.starts_at)
        );
        let summary = a.summary();
        let what = if summary.is_empty() {
            visible_line(a.name()).into_owned()
        } else {
            format!("{} — {}", visible_line(a.name()), visible_line(summary))
        };
        let rest = width.saturating_sub(fit::text_width(&head));
        let style = if a.is_critical() {
            Style::new().fg(Color::Red).bold()
        } else {
            Style::new().fg(Color::Yellow)
        };
        let mut line = Line::from(vec![
            Span::styled(head, style),
            Span::raw(fit::clip(&what, rest)),
        ]);
        if row == Some(i) {
            line = line.style(Style::new().add_modifier(Modifier::REVERSED));
        }
        lines.push(line);
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// The incident an alert is attached to from the list: the open one, else the one last
/// under the list's cursor.
pub fn target(
    incidents: &[IncidentSummary],
    open: Option<Uuid>,
    selected: Option<Uuid>,
) -> Option<&IncidentSummary> {
    open.or(selected)
        .and_then(|id| incidents.iter().find(|i| i.id == id))
}
