//! The fatigue pane (5): how long each responder has been on the incident, awake and in
//! their role, the commander first, turning yellow past the warning and red past the limit
//! (the thresholds come from the config). Tired people make mistakes during long incidents,
//! so the pane suggests handovers to someone fresh, carried out with one key, and reminds
//! the IC when the team's health check is due. Once the incident is resolved or closed,
//! the IC stands the team down here (`D`): everyone's duty ends, listed before it is done.
//! A responder who joins with no awake time recorded is asked for it, once.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::roster;
use crate::domain::describe::clip;
use crate::domain::event::{EventKind, Role, Status};
use crate::domain::fatigue::{self, Level, Suggestion, Thresholds};
use crate::domain::metrics::format_duration;
use crate::tui::action::Action;
use crate::tui::ctx::{Ctx, Look};
use crate::tui::data::IncidentData;
use crate::tui::effect::Effect;
use crate::tui::keymap::Section;
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
// The field of the stand-down form.
const STANDING_DOWN: &str = "Stand down";

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
            open_awake(ctx, "Awake since", &who);
        }
        Action::StandDown => {
            let Some(d) = ctx.data else {
                return Vec::new();
            };
            if let Some(why) = fatigue::stand_down_refusal(&d.state, ctx.handle) {
                ctx.complain(why);
                return Vec::new();
            }
            let who = fatigue::on_duty(&d.state);
            if who.is_empty() {
                ctx.say("nobody is on duty: there is no one to stand down");
                return Vec::new();
            }
            ctx.open_form(
                format!("Stand down: end the duty of {}", who.join(", ")),
                Purpose::StandDown,
                vec![Field::line(
                    STANDING_DOWN,
                    &who.join(" "),
                    "enter stands them down · take a name out to keep them on · esc cancels",
                )],
            );
        }
        _ => {}
    }
    Vec::new()
}

/// Whether the footer offers the stand-down: the incident is over, this responder
/// commands it, and someone is still on duty.
pub fn stand_down_offered(look: &Look) -> bool {
    look.data
        .is_some_and(|d| look.may(Action::StandDown) && !fatigue::on_duty(&d.state).is_empty())
}

/// Opens the awake-since form for `who`, the time field ready to type in.
fn open_awake(ctx: &mut Ctx, title: &str, who: &str) {
    ctx.open_form(
        title,
        Purpose::AwakeSince,
        vec![
            Field::line(WHO, who, "yourself, or anyone as IC"),
            Field::line(SINCE, "", "e.g. 06:30 (local), -16h, 2026-11-26T06:30:00Z"),
        ],
    );
    // The time is what there is to type; the responder is prefilled (up to change it).
    if let Overlay::Form(form) = &mut *ctx.overlay {
        form.focus_on(1);
    }
}

/// Whether to ask this console's responder since when they have been awake: they are on
/// duty on the active incident and no awake time is recorded for them.
pub fn awake_unknown(data: &IncidentData, handle: &str) -> bool {
    data.state.summary.status == Status::Active
        && data
            .state
            .responders
            .get(handle)
            .is_some_and(|r| r.is_present() && r.on_duty_since.is_some() && r.awake_since.is_none())
}

/// Asks this console's responder, on joining, since when they have been awake (Esc skips).
pub fn ask_awake(ctx: &mut Ctx) {
    let me = ctx.handle.to_string();
    open_awake(
        ctx,
        "You are on duty: since when have you been awake? (esc skips)",
        &me,
    );
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
            if let Err(r) = crate::domain::rules::check_handle("the responder", &handle) {
                return ctx.refuse(r.message);
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
        Purpose::StandDown => {
            let Some(d) = ctx.data else {
                return Vec::new();
            };
            let on_duty = fatigue::on_duty(&d.state);
            let listed = form.value(STANDING_DOWN);
            let mut who: Vec<String> = Vec::new();
            for name in listed.split([' ', ',']).filter(|n| !n.is_empty()) {
                if !on_duty.iter().any(|h| h == name) {
                    return ctx.refuse(format!(
                        "{} is not on duty; on duty: {}",
                        crate::domain::describe::visible_line(name),
                        on_duty.join(", ")
                    ));
                }
                if !who.iter().any(|h| h == name) {
                    who.push(name.to_string());
                }
            }
            if who.is_empty() {
                return ctx.refuse("name who stands down, or esc to cancel".into());
            }
            let what = format!(
                "stood down: {} (joining again puts them back on duty)",
                who.join(", ")
            );
            let now = ctx.now;
            ctx.record(
                who.into_iter()
                    .map(|handle| (now, EventKind::DutyEnded { handle }))
                    .collect(),
                what,
            )
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
    let on_duty = fatigue::on_duty(s);
    if s.summary.status != Status::Active && !on_duty.is_empty() {
        let key = look.keymap.hint(Section::Global, Action::StandDown);
        let text = if look.may(Action::StandDown) {
            format!(
                "The incident is {}: {key} stands the team down ({} on duty)",
                s.summary.status.as_str(),
                on_duty.len()
            )
        } else {
            format!(
                "The incident is {}; the IC stands the team down ({} on duty)",
                s.summary.status.as_str(),
                on_duty.len()
            )
        };
        lines.push(Line::from(Span::styled(
            clip(&text, w),
            Style::new().fg(Color::Black).bg(Color::Green),
        )));
    }
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
