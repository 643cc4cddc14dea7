//! The roles and responders pane (2): who holds each incident role (Incident Commander,
//! Communications Lead, Policy Lead, Operations Lead, Postmortem Owner) and for how long,
//! who is on the response and how long they have been on duty, and what waits for the
//! IC's answer: requests to change production and requests for command. From here the IC
//! assigns and releases roles, hands over command with a brief, approves or denies
//! changes, and grants or revokes access to a restricted incident; any responder joins,
//! asks before touching production, or asks for command (and, once the IC has been silent
//! long enough, takes it). Its last lines keep the incident's other obligations in sight:
//! privacy, action items, linked known errors.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use uuid::Uuid;

use super::Pane;
use crate::domain::describe::clip;
use crate::domain::event::{EventKind, HandoverBrief, PrivacyAssessment, Role};
use crate::domain::incident::Decision;
use crate::domain::metrics::format_duration;
use crate::tui::action::Action;
use crate::tui::ctx::{Ctx, Look};
use crate::tui::data::IncidentData;
use crate::tui::effect::Effect;
use crate::tui::overlay::form::{Answers, Field, Purpose};

/// What the footer offers while the roster has the focus.
pub const HINTS: &[Action] = &[
    Action::AssignRole,
    Action::ReleaseRole,
    Action::Join,
    Action::HandOver,
    Action::RequestChange,
    Action::ApproveChange,
    Action::DenyChange,
    Action::AskCommand,
    Action::Help,
];

// The fields of the roster's forms.
const ROLE: &str = "Role";
const RESPONDER: &str = "Responder";
const HANDLE: &str = "Handle";
const SKILLS: &str = "Skills";
const NEW_IC: &str = "New IC";
const BRIEF: &str = "Brief";
const CHANGE: &str = "Change";
const REASON: &str = "Reason";
const WHY: &str = "Why";

/// One row of the roster pane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RosterRow {
    Role(Role),
    Change(Uuid),
    /// A request for command waiting for the IC.
    CommandRequest(Uuid),
    Responder(String),
}

/// The pane's rows: the roles, waiting change requests and requests for command, then the
/// responders present.
pub fn rows(data: Option<&IncidentData>) -> Vec<RosterRow> {
    let Some(d) = data else {
        return Vec::new();
    };
    let mut rows: Vec<RosterRow> = Role::ALL.into_iter().map(RosterRow::Role).collect();
    rows.extend(
        d.state
            .pending_change_requests()
            .map(|c| RosterRow::Change(c.id)),
    );
    rows.extend(
        d.state
            .pending_command_requests()
            .map(|r| RosterRow::CommandRequest(r.id)),
    );
    rows.extend(
        d.state
            .present_responders()
            .map(|r| RosterRow::Responder(r.handle.clone())),
    );
    rows
}

/// Moves the selection by `delta` rows.
pub fn navigate(data: Option<&IncidentData>, selected: &mut usize, delta: isize) {
    let n = rows(data).len() as isize;
    *selected = (*selected as isize + delta).clamp(0, (n - 1).max(0)) as usize;
}

/// The roster's own acts, on the selected row.
pub fn act(ctx: &mut Ctx, selected: usize, action: Action) -> Vec<Effect> {
    let Some(d) = ctx.data else {
        return Vec::new();
    };
    let state = &d.state;
    let now = ctx.now;
    let row = rows(ctx.data).get(selected).cloned();
    let ic = state.commander().unwrap_or("-").to_string();
    match action {
        Action::AssignRole => {
            let role = match &row {
                Some(RosterRow::Role(r)) => r.code().to_string(),
                _ => String::new(),
            };
            ctx.open_form(
                "Assign a role",
                Purpose::AssignRole,
                vec![
                    Field::line(ROLE, &role, "IC, CL, PL, OL or PO"),
                    Field::line(RESPONDER, "", "their handle"),
                ],
            );
        }
        Action::ReleaseRole => match row {
            Some(RosterRow::Role(role)) => {
                return ctx.record(
                    vec![(now, EventKind::RoleReleased { role })],
                    format!("{} released", role.title()),
                );
            }
            _ => ctx.complain("select a role first"),
        },
        Action::Join => {
            let handle = ctx.handle.to_string();
            ctx.open_form(
                "A responder joins",
                Purpose::Join,
                vec![
                    Field::line(HANDLE, &handle, "who joins"),
                    Field::line(SKILLS, "", "optional, e.g. postgres, networking"),
                ],
            );
        }
        Action::Leave => match row {
            Some(RosterRow::Responder(handle)) => {
                return ctx.record(
                    vec![(
                        now,
                        EventKind::ResponderLeft {
                            handle: handle.clone(),
                        },
                    )],
                    format!("{handle} left"),
                );
            }
            _ => ctx.complain("select a responder first"),
        },
        Action::HandOver => open_handover(ctx, "", &state.draft_brief(now)),
        Action::ApproveChange | Action::DenyChange => match row {
            Some(RosterRow::Change(id)) => {
                let approve = action == Action::ApproveChange;
                ctx.open_form(
                    if approve {
                        "Approve change"
                    } else {
                        "Deny change"
                    },
                    Purpose::Decide {
                        request: id,
                        approve,
                    },
                    vec![Field::line(REASON, "", "optional")],
                );
            }
            Some(RosterRow::CommandRequest(id)) => {
                answer_command_request(ctx, id, action == Action::ApproveChange);
            }
            _ => ctx.complain("select a waiting change request or request for command first"),
        },
        Action::RequestChange => ctx.open_form(
            "Ask the IC before touching production",
            Purpose::ChangeRequest,
            vec![Field::line(
                CHANGE,
                "",
                "what you want to change, where, and how to undo it",
            )],
        ),
        Action::AskCommand => ctx.open_form(
            format!("Ask {ic} for command"),
            Purpose::AskCommand,
            vec![Field::line(
                WHY,
                "",
                "optional: fresh, closer to the problem, ...",
            )],
        ),
        Action::TakeCommand => {
            let silent = state
                .commander_active_at
                .map(|t| format_duration(now - t))
                .unwrap_or_else(|| "?".into());
            ctx.open_form(
                format!("Take command from {ic} (silent for {silent})"),
                Purpose::TakeCommand,
                vec![Field::line(
                    REASON,
                    "",
                    "required; everyone on the response is told",
                )],
            );
        }
        Action::GrantAccess => ctx.open_form(
            "Grant access to this restricted incident",
            Purpose::GrantAccess,
            vec![Field::line(RESPONDER, "", "their handle")],
        ),
        Action::RevokeAccess => match row {
            Some(RosterRow::Responder(handle)) => {
                return ctx.record(
                    vec![(
                        now,
                        EventKind::AccessRevoked {
                            handle: handle.clone(),
                        },
                    )],
                    format!("{handle} may no longer see this incident"),
                );
            }
            _ => ctx.complain("select a responder first"),
        },
        _ => {}
    }
    Vec::new()
}

/// The handover form: the new IC (`to`, if already known) and the brief to edit.
pub fn open_handover(ctx: &mut Ctx, to: &str, brief: &HandoverBrief) {
    ctx.open_form(
        "Hand over command",
        Purpose::HandOver,
        vec![
            Field::line(NEW_IC, to, "who takes command"),
            Field::text(BRIEF, &brief.to_text(), "edit freely; Ctrl-S posts it"),
        ],
    );
}

/// y / x on a request for command: accepting opens the handover with a drafted brief.
fn answer_command_request(ctx: &mut Ctx, request: Uuid, accept: bool) {
    let Some(d) = ctx.data else { return };
    let Some(r) = d.state.command_requests.iter().find(|r| r.id == request) else {
        return;
    };
    let who = r.author.clone();
    if accept {
        let brief = d.state.draft_brief(ctx.now);
        ctx.open_form(
            format!("Hand command to {who}"),
            Purpose::AnswerCommand {
                request,
                accept: true,
            },
            vec![Field::text(
                BRIEF,
                &brief.to_text(),
                "edit freely; Ctrl-S hands over",
            )],
        );
    } else {
        ctx.open_form(
            format!("Decline {who}'s request for command"),
            Purpose::AnswerCommand {
                request,
                accept: false,
            },
            vec![Field::line(REASON, "", "optional, told to them")],
        );
    }
}

/// A submitted roster form.
pub fn submit(ctx: &mut Ctx, form: &Answers) -> Vec<Effect> {
    let now = ctx.now;
    match form.purpose {
        Purpose::AssignRole => {
            let (role, handle) = (form.value(ROLE), form.value(RESPONDER));
            let Some(role) = Role::parse(&role) else {
                return ctx.refuse(format!("`{role}` is not a role: IC, CL, PL, OL or PO"));
            };
            if handle.is_empty() || handle.contains(char::is_whitespace) {
                return ctx.refuse("give the responder's handle (no spaces)".into());
            }
            let what = format!("{} → {handle}", role.title());
            let kind = if role == Role::Ic {
                EventKind::CommandHandedOver {
                    to: handle,
                    brief: HandoverBrief::default(),
                }
            } else {
                EventKind::RoleAssigned { role, handle }
            };
            ctx.record(vec![(now, kind)], what)
        }
        Purpose::Join => {
            let handle = form.value(HANDLE);
            if handle.is_empty() || handle.contains(char::is_whitespace) {
                return ctx.refuse("give the responder's handle (no spaces)".into());
            }
            let skills = form
                .value(SKILLS)
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            let what = format!("{handle} joined");
            ctx.record(
                vec![(now, EventKind::ResponderJoined { handle, skills })],
                what,
            )
        }
        Purpose::HandOver => {
            let to = form.value(NEW_IC);
            if to.is_empty() || to.contains(char::is_whitespace) {
                return ctx.refuse("name the new incident commander (their handle)".into());
            }
            let brief = HandoverBrief::from_text(&form.value(BRIEF));
            let what = format!("command handed over to {to}");
            ctx.record(
                vec![(now, EventKind::CommandHandedOver { to, brief })],
                what,
            )
        }
        Purpose::ChangeRequest => ctx.record(
            vec![(
                now,
                EventKind::ChangeRequested {
                    description: form.value(CHANGE),
                },
            )],
            "change request filed; the IC decides".into(),
        ),
        Purpose::Decide { request, approve } => ctx.record(
            vec![(
                now,
                EventKind::ChangeDecided {
                    request,
                    approved: approve,
                    reason: form.value(REASON),
                },
            )],
            if approve {
                "change approved".into()
            } else {
                "change denied".into()
            },
        ),
        Purpose::AskCommand => ctx.record(
            vec![(
                now,
                EventKind::CommandRequested {
                    reason: form.value(WHY),
                },
            )],
            "asked the IC for command; they accept or decline".into(),
        ),
        Purpose::TakeCommand => {
            let reason = form.value(REASON);
            if reason.is_empty() {
                return ctx.refuse("say why you take command: everyone is told".into());
            }
            ctx.record(
                vec![(now, EventKind::CommandTaken { reason })],
                "you took command; everyone on the response is told".into(),
            )
        }
        Purpose::GrantAccess => {
            let handle = form.value(RESPONDER);
            if handle.is_empty() || handle.contains(char::is_whitespace) {
                return ctx.refuse("name the responder (their handle)".into());
            }
            let what = format!("{handle} may now see this incident");
            ctx.record(vec![(now, EventKind::AccessGranted { handle })], what)
        }
        Purpose::AnswerCommand { request, accept } => {
            let Some(d) = ctx.data else {
                return Vec::new();
            };
            let Some(r) = d.state.command_requests.iter().find(|r| r.id == request) else {
                return ctx.refuse("that request for command is gone".into());
            };
            let who = r.author.clone();
            let (reason, brief) = if accept {
                (String::new(), HandoverBrief::from_text(&form.value(BRIEF)))
            } else {
                (form.value(REASON), HandoverBrief::default())
            };
            let kinds = crate::domain::handover::answer_request(r, accept, &reason, brief, now);
            let what = if accept {
                format!("command handed over to {who}")
            } else {
                format!("declined {who}'s request for command")
            };
            ctx.record(kinds, what)
        }
        _ => Vec::new(),
    }
}

/// The pane's title, with how many requests wait for this responder's answer.
pub fn title(look: &Look) -> String {
    let pane = Pane::Roster;
    let mut t = format!(" {} {} ", pane.index() + 1, pane.title());
    let waiting = look.waiting_for_me();
    if waiting > 0 {
        t.push_str(&format!("⚠ {waiting} waiting "));
    }
    t
}

pub fn draw(look: &Look, selected: usize, f: &mut Frame, area: Rect, focused: bool) {
    let Some(d) = look.data else { return };
    let s = &d.state;
    let now = look.now;
    let w = area.width as usize;
    let mut lines = Vec::new();
    let rows = rows(look.data);
    let h = area.height as usize;
    let offset = selected.saturating_sub(h.saturating_sub(1));
    for (i, row) in rows.iter().enumerate().skip(offset).take(h) {
        let mut line = match row {
            RosterRow::Role(role) => {
                let holder = s.roster.holder(*role).unwrap_or("-").to_string();
                let since = s
                    .roster
                    .since
                    .get(role)
                    .map(|t| format!(" {}", format_duration(now - *t)))
                    .unwrap_or_default();
                let note = if s.roster.is_defaulted_to_ic(*role) {
                    " (IC holds it)"
                } else {
                    ""
                };
                let style = if s.roster.is_defaulted_to_ic(*role) {
                    Style::new().fg(Color::DarkGray)
                } else {
                    Style::new()
                };
                Line::from(vec![
                    Span::styled(format!("{:<3}", role.code()), Style::new().bold()),
                    Span::styled(
                        clip(&format!("{holder}{note}{since}"), w.saturating_sub(3)),
                        style,
                    ),
                ])
            }
            RosterRow::Change(id) => {
                let c = s.change_requests.iter().find(|c| c.id == *id);
                let text = c
                    .map(|c| format!("⚠ {} asks: {}", c.author, c.description))
                    .unwrap_or_default();
                Line::from(Span::styled(
                    clip(&text, w),
                    Style::new().fg(Color::Black).bg(Color::Yellow),
                ))
            }
            RosterRow::CommandRequest(id) => {
                let r = s.command_requests.iter().find(|r| r.id == *id);
                let text = r
                    .map(|r| {
                        let why = if r.reason.is_empty() {
                            String::new()
                        } else {
                            format!(": {}", r.reason)
                        };
                        format!("⚠ {} asks for command{why}", r.author)
                    })
                    .unwrap_or_default();
                Line::from(Span::styled(
                    clip(&text, w),
                    Style::new().fg(Color::Black).bg(Color::Yellow),
                ))
            }
            RosterRow::Responder(handle) => {
                let r = s.responders.get(handle);
                let duty = r
                    .map(|r| format_duration(r.time_on_duty(now)))
                    .unwrap_or_default();
                let roles: Vec<&str> = s.roster.roles_of(handle).iter().map(|r| r.code()).collect();
                let state = if r.is_some_and(|r| r.on_duty_since.is_some()) {
                    "on"
                } else {
                    "off"
                };
                Line::from(clip(
                    &format!(
                        "  {handle:<12} {state:<3} duty {duty:>7} {}",
                        roles.join(",")
                    ),
                    w,
                ))
            }
        };
        if focused && i == selected {
            line = line.style(Style::new().add_modifier(Modifier::REVERSED));
        }
        lines.push(line);
    }
    let decided = s
        .change_requests
        .iter()
        .filter(|c| c.decision != Decision::Pending)
        .count();
    if lines.len() < h && decided > 0 {
        lines.push(Line::from(Span::styled(
            format!("  {decided} change request(s) decided"),
            Style::new().fg(Color::DarkGray),
        )));
    }
    if lines.len() < h && s.summary.restricted {
        let members: Vec<&str> = s.summary.members.iter().map(String::as_str).collect();
        lines.push(Line::from(Span::styled(
            clip(
                &format!("  restricted, seen only by: {}", members.join(", ")),
                w,
            ),
            Style::new().fg(Color::Blue),
        )));
    }
    // The rest of the incident's obligations, while there is room.
    let privacy_style = match s.privacy {
        PrivacyAssessment::NotAssessed => Style::new().fg(Color::Yellow),
        PrivacyAssessment::NoPersonalInformation => Style::new().fg(Color::DarkGray),
        PrivacyAssessment::PossibleBreach => Style::new().fg(Color::White).bg(Color::Red),
    };
    let privacy = Span::styled(
        format!("Privacy: {} (V)", s.privacy.describe(s.privacy_steps.len())),
        privacy_style,
    );
    let open_actions = s.open_action_items();
    let mut extra = vec![Line::from(privacy)];
    if !s.action_items.is_empty() {
        extra.push(Line::from(format!(
            "Action items: {open_actions} open of {}",
            s.action_items.len()
        )));
    }
    if !s.known_errors.is_empty() {
        extra.push(Line::from(clip(
            &format!("Known errors: {}", s.known_error_keys().join(", ")),
            w,
        )));
    }
    for line in extra {
        if lines.len() < h {
            lines.push(line);
        }
    }
    f.render_widget(Paragraph::new(lines), area);
}
