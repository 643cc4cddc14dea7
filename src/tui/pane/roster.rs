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
use crate::domain::describe::{clip, visible_line};
use crate::domain::event::{EventKind, HandoverBrief, PrivacyAssessment, Role};
use crate::domain::incident::Decision;
use crate::domain::metrics::format_duration;
use crate::domain::rules::check_handle;
use crate::tui::action::Action;
use crate::tui::ctx::{Ctx, Look};
use crate::tui::data::IncidentData;
use crate::tui::effect::Effect;
use crate::tui::keymap::Section;
use crate::tui::overlay::Overlay;
use crate::tui::overlay::choose::{Chooser, Entry, Picked, Question};
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
const TEAM: &str = "Team";
const MESSAGE: &str = "Message";

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
        Action::AssignRole => open_assign(ctx),
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
        Action::HandOver => open_quick_handover(ctx),
        Action::ApproveWaiting | Action::DenyWaiting => {
            let approve = action == Action::ApproveWaiting;
            match crate::tui::authority::longest_waiting_change(ctx.data) {
                Some((label, c)) => {
                    let title = format!("{label} {}: {}", c.author, c.description);
                    let (request, title) = (c.id, visible_line(&title).into_owned());
                    ctx.open_form(
                        if approve {
                            format!("Approve {}", clip(&title, 70))
                        } else {
                            format!("Deny {}", clip(&title, 70))
                        },
                        Purpose::Decide { request, approve },
                        vec![Field::line(
                            REASON,
                            "",
                            if approve {
                                "optional; enter approves"
                            } else {
                                "why not: told to who asked; enter denies"
                            },
                        )],
                    );
                }
                None => ctx.say("no change request is waiting"),
            }
        }
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
        Action::Page => open_page(ctx),
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

/// The roles by the key that picks each in the assign chooser.
const ROLE_KEYS: [(char, Role); 5] = [
    ('i', Role::Ic),
    ('c', Role::Cl),
    ('p', Role::Pl),
    ('o', Role::Ol),
    ('m', Role::Po),
];

/// The responders on the incident, for Tab to complete a handle from; `but` left out.
fn handles(ctx: &Ctx, but: &str) -> Vec<String> {
    let Some(d) = ctx.data else {
        return Vec::new();
    };
    d.state
        .present_responders()
        .map(|r| r.handle.clone())
        .filter(|h| h != but)
        .collect()
}

/// `a`: one key picks the role, then the handle (Tab completes it from the responders).
fn open_assign(ctx: &mut Ctx) {
    let Some(d) = ctx.data else { return };
    let holders: Vec<String> = ROLE_KEYS
        .iter()
        .map(|(_, r)| format!("{} {}", r.code(), d.state.roster.holder(*r).unwrap_or("-")))
        .collect();
    let options: Vec<(char, String)> = ROLE_KEYS
        .iter()
        .map(|(k, r)| (*k, r.code().to_string()))
        .collect();
    let chooser = Chooser::new("Assign a role", Purpose::AssignRole)
        .about(vec![format!("now: {}", holders.join(" · "))])
        .ask(Question {
            label: "Role".into(),
            options,
        })
        .then(
            Entry::new(RESPONDER, "their handle; tab completes from the responders")
                .completing(handles(ctx, "")),
        );
    ctx.open_chooser(chooser);
}

/// `h`: the new IC's handle (Tab completes it), handed the brief drafted from the
/// incident; Ctrl-E opens the whole brief to edit first.
fn open_quick_handover(ctx: &mut Ctx) {
    let Some(d) = ctx.data else { return };
    let brief = d.state.draft_brief(ctx.now);
    let mut about = vec![
        "The brief, drafted from the incident:".to_string(),
        format!("  {}", brief.current_state.trim()),
    ];
    if let Some(first) = brief.next_steps.first() {
        let more = match brief.next_steps.len() {
            1 => String::new(),
            n => format!(" (+{} more)", n - 1),
        };
        about.push(format!("  next: {first}{more}"));
    }
    if !brief.people.is_empty() {
        about.push(format!("  people: {}", brief.people.join(", ")));
    }
    let me = ctx.handle.to_string();
    let chooser = Chooser::new("Hand over command", Purpose::HandOver)
        .about(about)
        .then(
            Entry::new(
                NEW_IC,
                "who takes command; tab completes from the responders",
            )
            .completing(handles(ctx, &me)),
        )
        .or_more("edit the brief first");
    ctx.open_chooser(chooser);
}

/// `p`: the page's form (the team typed, the message drafted from the title); when the
/// teams that can be paged are known, a chooser first, Tab completing the team from them
/// (another name may still be typed) and Ctrl-E opening the form to write the message.
fn open_page(ctx: &mut Ctx) {
    let Some(d) = ctx.data else { return };
    if ctx.teams.is_empty() {
        open_page_form(ctx, "");
        return;
    }
    let known: Vec<String> = ctx
        .teams
        .iter()
        .map(|t| format!("{} ({})", t.name, t.provider.name()))
        .collect();
    let names: Vec<String> = ctx.teams.iter().map(|t| t.name.clone()).collect();
    let chooser = Chooser::new("Page a team (Opsgenie or PagerDuty)", Purpose::Page)
        .about(vec![
            format!("teams: {}", known.join(" · ")),
            format!("the page says: {}", d.state.summary.title.trim()),
        ])
        .then(Entry::new(TEAM, "tab completes from the teams; enter pages").completing(names))
        .or_more("write the message");
    ctx.open_chooser(chooser);
}

/// The page's whole form, the team as given.
fn open_page_form(ctx: &mut Ctx, team: &str) {
    let Some(d) = ctx.data else { return };
    let title = d.state.summary.title.trim().to_string();
    let hint = if ctx.teams.is_empty() {
        "a team of [paging.teams] in the config (the server's, when shared)".to_string()
    } else {
        let names: Vec<&str> = ctx.teams.iter().map(|t| t.name.as_str()).collect();
        format!("one of: {}", names.join(", "))
    };
    ctx.open_form(
        "Page a team (Opsgenie or PagerDuty)",
        Purpose::Page,
        vec![
            Field::line(TEAM, team, hint),
            Field::line(MESSAGE, &title, "what the page says"),
        ],
    );
    if !team.is_empty()
        && let Overlay::Form(form) = ctx.overlay
    {
        // The team is chosen: the message is next.
        form.focus_on(1);
    }
}

/// A page to `team` saying `message` (empty: the incident's title).
fn page(ctx: &mut Ctx, team: String, message: String) -> Vec<Effect> {
    if let Err(r) = check_handle("the team", &team) {
        return ctx.refuse(r.message);
    }
    let message = match message {
        m if m.trim().is_empty() => ctx
            .data
            .map(|d| d.state.summary.title.clone())
            .unwrap_or_default(),
        m => m,
    };
    let what = format!("paging {team}…");
    ctx.record(
        vec![(
            ctx.now,
            EventKind::PageRequested {
                team,
                provider: None,
                message,
            },
        )],
        what,
    )
}

/// An answered roster chooser: a role assigned, command handed over with the drafted
/// brief, or a team paged.
pub fn submit_picked(ctx: &mut Ctx, picked: &Picked) -> Vec<Effect> {
    match picked.purpose {
        Purpose::Page => page(ctx, picked.text.clone(), String::new()),
        Purpose::AssignRole => {
            let role = picked
                .keys
                .first()
                .and_then(|k| ROLE_KEYS.iter().find(|(key, _)| key == k))
                .map(|(_, r)| r.code())
                .unwrap_or_default();
            assign(ctx, role, &picked.text)
        }
        Purpose::HandOver => {
            let Some(d) = ctx.data else {
                return Vec::new();
            };
            let brief = d.state.draft_brief(ctx.now);
            hand_over(ctx, picked.text.clone(), brief)
        }
        _ => Vec::new(),
    }
}

/// Ctrl-E in the handover chooser: the whole form, the handle as typed; in the page
/// chooser, the page's form, the team as typed.
pub fn expand_picked(ctx: &mut Ctx, picked: &Picked) {
    if picked.purpose == Purpose::Page {
        open_page_form(ctx, &picked.text);
        return;
    }
    if picked.purpose != Purpose::HandOver {
        return;
    }
    let Some(d) = ctx.data else { return };
    let brief = d.state.draft_brief(ctx.now);
    open_handover(ctx, &picked.text, &brief);
}

/// The role named `role` (a code such as `OL`) given to `handle`; the IC's role is a
/// handover.
fn assign(ctx: &mut Ctx, role: &str, handle: &str) -> Vec<Effect> {
    let Some(role) = Role::parse(role) else {
        return ctx.refuse(format!("`{role}` is not a role: IC, CL, PL, OL or PO"));
    };
    if let Err(r) = check_handle("the responder", handle) {
        return ctx.refuse(r.message);
    }
    let handle = handle.to_string();
    let what = format!("{} → {handle}", role.title());
    let kind = if role == Role::Ic {
        EventKind::CommandHandedOver {
            to: handle,
            brief: HandoverBrief::default(),
        }
    } else {
        EventKind::RoleAssigned { role, handle }
    };
    ctx.record(vec![(ctx.now, kind)], what)
}

/// Command handed to `to` with `brief`.
fn hand_over(ctx: &mut Ctx, to: String, brief: HandoverBrief) -> Vec<Effect> {
    if let Err(r) = check_handle("the new incident commander", &to) {
        return ctx.refuse(r.message);
    }
    let what = format!("command handed over to {to}");
    ctx.record(
        vec![(ctx.now, EventKind::CommandHandedOver { to, brief })],
        what,
    )
}

/// "C2 waits: raise the pool · Y approve N deny": the change request waiting longest for
/// this responder's answer as IC, with the keys that answer it from anywhere (as bound
/// where the focus is, `section`); then shorter, "C2 waits · Y approve N deny" and "C2 ·
/// Y/N", for the header to fit. Nothing when none waits or another commands.
pub fn waiting_change_alarm(look: &Look, section: Section) -> Option<Vec<String>> {
    if look.waiting_for_me() == 0 {
        return None;
    }
    let (label, c) = crate::tui::authority::longest_waiting_change(look.data)?;
    let what = clip(&visible_line(&c.description), 40);
    let keys: Vec<(String, &str)> = [
        (Action::ApproveWaiting, "approve"),
        (Action::DenyWaiting, "deny"),
    ]
    .into_iter()
    .map(|(a, word)| (look.keymap.hint(section, a), word))
    .filter(|(key, _)| key != "-")
    .collect();
    if keys.is_empty() {
        return Some(vec![
            format!("{label} waits: {what}"),
            format!("{label} waits"),
        ]);
    }
    let words: Vec<String> = keys.iter().map(|(k, w)| format!("{k} {w}")).collect();
    let bare: Vec<&str> = keys.iter().map(|(k, _)| k.as_str()).collect();
    let words = words.join(" ");
    Some(vec![
        format!("{label} waits: {what} · {words}"),
        format!("{label} waits · {words}"),
        format!("{label} · {}", bare.join("/")),
    ])
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
        Purpose::AssignRole => assign(ctx, &form.value(ROLE), &form.value(RESPONDER)),
        Purpose::Join => {
            let handle = form.value(HANDLE);
            if let Err(r) = check_handle("the responder", &handle) {
                return ctx.refuse(r.message);
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
        Purpose::HandOver => hand_over(
            ctx,
            form.value(NEW_IC),
            HandoverBrief::from_text(&form.value(BRIEF)),
        ),
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
        Purpose::Page => page(ctx, form.value(TEAM), form.value(MESSAGE)),
        Purpose::GrantAccess => {
            let handle = form.value(RESPONDER);
            if let Err(r) = check_handle("the responder", &handle) {
                return ctx.refuse(r.message);
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
