//! The incident list, where the console starts: every incident this replica knows, with
//! its short id, severity, status, stage, age, commander, what on it needs you and title,
//! drills marked. What needs you comes first, then active incidents by severity and the
//! most recently updated (`domain::attention`); the cursor stays on its incident while the
//! list reorders or grows. The incident commander opens one, declares a new one (title,
//! severity, summary and, if known, when impact started), or looks at TTD and TTR across
//! incidents.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::action::Action;
use super::ctx::{Ctx, Look, severity_style};
use super::effect::Effect;
use super::footer::status_line;
use super::keymap::Section;
use super::overlay::Overlay;
use super::overlay::form::{Answers, Field, Purpose};
use crate::domain::attention::{self, Need};
use crate::domain::describe::clip;
use crate::domain::event::Severity;
use crate::domain::incident::IncidentSummary;
use crate::domain::metrics::format_duration;
use crate::sync::engine::LinkStatus;
use uuid::Uuid;

/// What the footer offers in the list.
pub const HINTS: &[Action] = &[Action::Open, Action::Declare, Action::Help, Action::Quit];

// The fields of the declare form.
const TITLE: &str = "Title";
const SEVERITY: &str = "Severity";
const SUMMARY: &str = "Summary";
const STARTED: &str = "Impact started";

/// Widest the "needs you" column gets; longer text ends in …
const NEEDS_WIDTH: usize = 30;
/// Columns a row takes before the "needs you" column and the title.
const FIXED: usize = 64;

/// Orders `incidents` for `me` at `now` and keeps the cursor on its incident: `selected`
/// is the incident under the cursor and `row` where it now is. When that incident is gone
/// (or none was chosen yet) the cursor stays on its row and takes the incident there.
pub fn order(
    incidents: &mut [IncidentSummary],
    me: &str,
    now: DateTime<Utc>,
    selected: &mut Option<Uuid>,
    row: &mut usize,
) {
    attention::order(incidents, me, now);
    match selected.and_then(|id| incidents.iter().position(|i| i.id == id)) {
        Some(found) => *row = found,
        None => {
            *row = (*row).min(incidents.len().saturating_sub(1));
            *selected = incidents.get(*row).map(|i| i.id);
        }
    }
}

/// The incidents other than `open` on which something needs `me`, each with what, in the
/// list's order.
pub fn needing<'a>(
    incidents: &'a [IncidentSummary],
    me: &str,
    now: DateTime<Utc>,
    open: Option<Uuid>,
) -> Vec<(&'a IncidentSummary, Vec<Need>)> {
    let mut found: Vec<(&IncidentSummary, Vec<Need>)> = incidents
        .iter()
        .filter(|i| Some(i.id) != open)
        .map(|i| (i, attention::needs(i, me, now)))
        .filter(|(_, needs)| !needs.is_empty())
        .collect();
    found.sort_by_cached_key(|(i, _)| attention::rank(i, me, now));
    found
}

/// What needs `me` on an incident, as one short line.
pub fn needs_text(needs: &[Need]) -> String {
    needs
        .iter()
        .map(|n| n.label())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The list's own acts, on the selected incident.
pub fn act(
    ctx: &mut Ctx,
    incidents: &[IncidentSummary],
    selected: &mut usize,
    action: Action,
) -> Vec<Effect> {
    let n = incidents.len();
    match action {
        Action::Up => *selected = selected.saturating_sub(1),
        Action::Down => *selected = (*selected + 1).min(n.saturating_sub(1)),
        Action::Top => *selected = 0,
        Action::Bottom => *selected = n.saturating_sub(1),
        Action::Open => {
            if let Some(i) = incidents.get(*selected) {
                let id = i.id;
                return vec![
                    Effect::LoadIncident { id, after: 0 },
                    Effect::Focus(Some(id)),
                ];
            }
        }
        Action::Declare => ctx.open_form(
            "Declare an incident",
            Purpose::Declare,
            vec![
                Field::line(TITLE, "", "what is wrong, in one line"),
                Field::line(SEVERITY, "2", "1 critical · 2 major · 3 minor"),
                Field::line(SUMMARY, "", "current state and impact, a sentence or two"),
                Field::line(STARTED, "", "e.g. 21:40 or -15m; empty if unknown"),
            ],
        ),
        Action::Stats => *ctx.overlay = Overlay::Stats,
        _ => {}
    }
    Vec::new()
}

/// A submitted declaration.
pub fn submit(ctx: &mut Ctx, form: &Answers) -> Vec<Effect> {
    if form.purpose != Purpose::Declare {
        return Vec::new();
    }
    let severity = match form
        .value(SEVERITY)
        .trim()
        .parse::<i64>()
        .map_err(|_| String::new())
        .and_then(Severity::new)
    {
        Ok(s) => s,
        Err(_) => return ctx.refuse("severity must be 1, 2 or 3".into()),
    };
    let title = form.value(TITLE);
    if title.is_empty() {
        return ctx.refuse("the title must not be empty".into());
    }
    let started = form.value(STARTED);
    let started_at = if started.is_empty() {
        None
    } else {
        match ctx.parse_time(&started) {
            Ok(t) => Some(t),
            Err(e) => return ctx.refuse(e),
        }
    };
    ctx.close_overlay();
    vec![Effect::Declare {
        title,
        severity,
        summary: form.value(SUMMARY),
        started_at,
    }]
}

/// Draws the list with its title line and footer.
pub fn draw(
    look: &Look,
    incidents: &[IncidentSummary],
    selected: usize,
    link: &LinkStatus,
    f: &mut Frame,
    area: Rect,
) {
    let [title, list, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let now = look.now;
    let link = link.describe(now);
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(" warroom ", Style::new().reversed().bold()),
            Span::raw(format!(" incidents · you are {} · {link}", look.handle)),
        ])),
        title,
    );
    let block = Block::bordered().title(" Incidents ");
    let inner = block.inner(list);
    f.render_widget(block, list);
    if incidents.is_empty() {
        let hint = format!(
            "No incidents yet. Press {} to declare one.",
            look.keymap.hint(Section::Picker, Action::Declare)
        );
        f.render_widget(Paragraph::new(hint).wrap(Wrap { trim: true }), inner);
    } else {
        let h = inner.height as usize;
        let offset = selected.saturating_sub(h.saturating_sub(1));
        let needs: Vec<String> = incidents
            .iter()
            .map(|i| needs_text(&attention::needs(i, look.handle, now)))
            .collect();
        // The column shows only while something needs you, as wide as its longest text.
        let needs_width = needs
            .iter()
            .map(|t| t.chars().count())
            .max()
            .unwrap_or(0)
            .min(NEEDS_WIDTH);
        let needs_room = if needs_width > 0 { needs_width + 1 } else { 0 };
        // A narrow list gives the stage's room to what needs you, so titles still show.
        let width = inner.width as usize;
        let show_stage = needs_width == 0 || width >= FIXED + needs_room + 24;
        let fixed = if show_stage { FIXED } else { FIXED - 17 };
        let mut lines = Vec::new();
        for (i, inc) in incidents.iter().enumerate().skip(offset).take(h) {
            let age = inc
                .declared_at
                .map(|d| format_duration(now - d))
                .unwrap_or_default();
            let ic = inc.commander.clone().unwrap_or_default();
            let drill = if inc.drill { "[DRILL] " } else { "" };
            let mut spans = vec![
                Span::raw(format!("{:<7}", inc.short_id)),
                Span::styled(format!(" {} ", inc.severity), severity_style(inc.severity)),
                Span::raw(format!(
                    " {:<8}{} {:>7}  IC {:<10} ",
                    inc.status.as_str(),
                    if show_stage {
                        format!(" {:<16}", inc.stage.title())
                    } else {
                        String::new()
                    },
                    age,
                    clip(&ic, 10),
                )),
            ];
            if needs_width > 0 {
                spans.push(Span::styled(
                    format!("{:<needs_width$} ", clip(&needs[i], needs_width)),
                    Style::new().fg(Color::Yellow).bold(),
                ));
            }
            // The rest of the line is the title's; it ends in … when cut.
            spans.push(Span::raw(clip(
                &format!("{drill}{}", inc.title),
                width.saturating_sub(fixed + needs_room).max(8),
            )));
            let mut line = Line::from(spans);
            if i == selected {
                line = line.style(Style::new().add_modifier(Modifier::REVERSED));
            }
            lines.push(line);
        }
        f.render_widget(Paragraph::new(lines), inner);
    }
    let hints = status_line(look, Section::Picker, HINTS);
    f.render_widget(Paragraph::new(hints), status);
}
