//! The incident list, where the console starts: every incident this replica knows, with
//! its short id, severity, status, stage, age, commander and title, drills marked. The
//! incident commander opens one, declares a new one (title, severity, summary and, if
//! known, when impact started), or looks at TTD and TTR across incidents.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::action::Action;
use super::ctx::{Ctx, Look, severity_style};
use super::effect::Effect;
use super::footer::status_line;
use super::keymap::Section;
use super::overlay::Overlay;
use super::overlay::form::{Answers, Field, Purpose};
use crate::domain::describe::clip;
use crate::domain::event::Severity;
use crate::domain::incident::IncidentSummary;
use crate::domain::metrics::format_duration;
use crate::sync::engine::LinkStatus;

/// What the footer offers in the list.
pub const HINTS: &[Action] = &[Action::Open, Action::Declare, Action::Help, Action::Quit];

// The fields of the declare form.
const TITLE: &str = "Title";
const SEVERITY: &str = "Severity";
const SUMMARY: &str = "Summary";
const STARTED: &str = "Impact started";

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
        let mut lines = Vec::new();
        for (i, inc) in incidents.iter().enumerate().skip(offset).take(h) {
            let age = inc
                .declared_at
                .map(|d| format_duration(now - d))
                .unwrap_or_default();
            let ic = inc.commander.clone().unwrap_or_default();
            let drill = if inc.drill { "[DRILL] " } else { "" };
            let mut line = Line::from(vec![
                Span::raw(format!("{:<7}", inc.short_id)),
                Span::styled(format!(" {} ", inc.severity), severity_style(inc.severity)),
                Span::raw(format!(
                    " {:<8} {:<16} {:>7}  IC {:<10} {}",
                    inc.status.as_str(),
                    inc.stage.title(),
                    age,
                    clip(&ic, 10),
                    // The rest of the line is the title's; it ends in … when cut.
                    clip(
                        &format!("{drill}{}", inc.title),
                        (inner.width as usize).saturating_sub(64).max(8)
                    )
                )),
            ]);
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
