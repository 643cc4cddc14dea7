//! The fatigue pane (5): how long each responder has been on the incident, awake and in
//! their role, the commander first, turning yellow past the warning and red past the limit
//! (the thresholds come from the config). Tired people make mistakes during long incidents,
//! so the pane suggests handovers to someone fresh, carried out with one key, and reminds
//! the IC when the team's health check is due.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::roster;
use crate::domain::describe::clip;
use crate::domain::event::{EventKind, Role};
use crate::domain::fatigue::{self, Level, Suggestion, Thresholds};
use crate::domain::metrics::format_duration;
use crate::tui::action::Action;
use crate::tui::ctx::{Ctx, Look};
use crate::tui::data::IncidentData;
use crate::tui::effect::Effect;
use crate::tui::overlay::Overlay;
use crate::tui::overlay::form::{Answers, Field, Purpose};

/// What the footer offers while fatigue has the focus.
pub const HINTS: &[Action] = &[
    Action::ApplySuggestion,
    Action::HealthCheck,
    Action::AwakeSince,
    Action::FocusNext,
    Action::Help,
];

// The field of the health-check form.
const HEALTH: &str = "How is the team?";
// The fields of the awake-since form.
const WHO: &str = "Responder";
const SINCE: &str = "Awake since";

/// Suggested handovers, most pressing first.
pub fn suggestions(
    data: Option<&IncidentData>,
    now: chrono::DateTime<chrono::Utc>,
    thresholds: &Thresholds,
) -> Vec<Suggestion> {
    data.map(|d| fatigue::suggestions(&d.state, now, thresholds))
        .unwrap_or_default()
}

/// Moves the selection by `delta` among `n` suggestions.
pub fn navigate(n: usize, selected: &mut usize, delta: isize) {
    let n = n as isize;
    *selected = (*selected as isize + delta).clamp(0, (n - 1).max(0)) as usize;
}

/// The fatigue pane's own acts, on the selected suggestion.
pub fn act(ctx: &mut Ctx, selected: usize, action: Action) -> Vec<Effect> {
    match action {
        Action::ApplySuggestion => {
            let Some(s) = suggestions(ctx.data, ctx.now, ctx.thresholds)
                .into_iter()
                .nth(selected)
            else {
                ctx.complain("no handover to suggest: nobody is past a warning, or nobody is free");
                return Vec::new();
            };
            if s.role == Role::Ic {
                let brief = ctx
                    .data
                    .map(|d| d.state.draft_brief(ctx.now))
                    .unwrap_or_default();
                roster::open_handover(ctx, &s.to, &brief);
            } else {
                let what = format!("{} ({}) → {}", s.role.title(), s.from, s.to);
                return ctx.record(
                    vec![(
                        ctx.now,
                        EventKind::RoleAssigned {
                            role: s.role,
                            handle: s.to.clone(),
                        },
                    )],
                    what,
                );
            }
        }
        Action::HealthCheck => {
            let prompt = "Energy: \nStrong emotions or noise: \nWho needs relief: \n";
            ctx.open_form(
                "Team health check",
                Purpose::HealthCheck,
                vec![Field::text(HEALTH, prompt, "Ctrl-S logs it")],
            );
        }
        Action::AwakeSince => {
            // The responder of the selected suggestion, else yourself.
            let who = suggestions(ctx.data, ctx.now, ctx.thresholds)
                .into_iter()
                .nth(selected)
                .map(|s| s.from)
                .unwrap_or_else(|| ctx.handle.to_string());
            ctx.open_form(
                "Awake since",
                Purpose::AwakeSince,
                vec![
                    Field::line(WHO, &who, "yourself, or anyone as IC"),
                    Field::line(SINCE, "", "e.g. 06:30 (local), -16h, 2026-11-26T06:30:00Z"),
                ],
            );
            // The time is what there is to type; the responder is prefilled (up to change it).
            if let Overlay::Form(form) = &mut *ctx.overlay {
                form.focus = 1;
            }
        }
        _ => {}
    }
    Vec::new()
}

/// A submitted health check or awake-since time.
pub fn submit(ctx: &mut Ctx, form: &Answers) -> Vec<Effect> {
    match form.purpose {
        Purpose::HealthCheck => {
            let summary = form.value(HEALTH);
            if summary.is_empty() {
                return ctx.refuse("say how the team is doing".into());
            }
            ctx.record(
                vec![(ctx.now, EventKind::HealthCheck { summary })],
                "health check logged".into(),
            )
        }
        Purpose::AwakeSince => {
            let handle = form.value(WHO);
            if handle.is_empty() {
                return ctx.refuse("say who has been awake".into());
            }
            let typed = form.value(SINCE);
            if typed.is_empty() {
                return ctx.refuse("say since when, e.g. 06:30 or -16h".into());
            }
            match ctx.parse_time(&typed) {
                Ok(since) if since > ctx.now => ctx.refuse(format!(
                    "{} is in the future: say since when {handle} has been awake",
                    since.format("%Y-%m-%d %H:%M UTC")
                )),
                Ok(since) => {
                    let what = format!(
                        "{handle} awake since {}",
                        since.format("%Y-%m-%d %H:%M UTC")
                    );
                    ctx.record(
                        vec![(ctx.now, EventKind::AwakeSince { handle, since })],
                        what,
                    )
                }
                Err(e) => ctx.refuse(e),
            }
        }
        _ => Vec::new(),
    }
}

pub fn draw(look: &Look, selected: usize, f: &mut Frame, area: Rect, focused: bool) {
    let Some(d) = look.data else { return };
    let s = &d.state;
    let now = look.now;
    let clocks = fatigue::assess(s, now, look.thresholds);
    let w = area.width as usize;
    let mut lines = vec![Line::from(Span::styled(
        format!(
            "{:<12} {:>8} {:>8} {:>8}  roles",
            "responder", "on inc.", "awake", "in role"
        ),
        Style::new().bold(),
    ))];
    // The commander's clocks come first, whatever their level.
    let ic = clocks.iter().filter(|c| c.is_commander);
    let others = clocks.iter().filter(|c| !c.is_commander);
    for c in ic.chain(others) {
        let style = match c.level {
            Level::Over => Style::new().fg(Color::White).bg(Color::Red),
            Level::Warn => Style::new().fg(Color::Black).bg(Color::Yellow),
            Level::Ok if !c.on_duty => Style::new().fg(Color::DarkGray),
            Level::Ok => Style::new(),
        };
        let roles: Vec<&str> = c.roles.iter().map(|r| r.code()).collect();
        let opt =
            |d: Option<chrono::Duration>| d.map(format_duration).unwrap_or_else(|| "?".into());
        let mut style = style;
        if c.is_commander {
            style = style.bold();
        }
        lines.push(Line::from(Span::styled(
            clip(
                &format!(
                    "{:<12} {:>8} {:>8} {:>8}  {}{}",
                    clip(&c.handle, 12),
                    format_duration(c.on_incident),
                    opt(c.awake),
                    opt(c.in_role),
                    roles.join(","),
                    if c.on_duty { "" } else { "(off duty)" }
                ),
                w,
            ),
            style,
        )));
    }
    let suggestions = suggestions(look.data, now, look.thresholds);
    lines.push(Line::from(""));
    if suggestions.is_empty() {
        lines.push(Line::from(Span::styled(
            "No handover needed now.",
            Style::new().fg(Color::DarkGray),
        )));
    } else {
        lines.push(Line::from(Span::styled(
            "Suggested handovers (enter carries one out)",
            Style::new().bold(),
        )));
        for (i, sg) in suggestions.iter().enumerate() {
            let mut line = Line::from(clip(
                &format!("{} {} → {}  ({})", sg.role.code(), sg.from, sg.to, sg.why),
                w,
            ));
            if focused && i == selected {
                line = line.style(Style::new().add_modifier(Modifier::REVERSED));
            }
            lines.push(line);
        }
    }
    if let Some(due) = fatigue::health_check_due(s, s.last_health_check, look.thresholds) {
        let text = if due < now {
            Span::styled(
                "Team health check due now (H)",
                Style::new().fg(Color::Black).bg(Color::Yellow),
            )
        } else {
            Span::raw(format!(
                "Next team health check in {}",
                format_duration(due - now)
            ))
        };
        lines.push(Line::from(text));
    }
    f.render_widget(Paragraph::new(lines), area);
}
