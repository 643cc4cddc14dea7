//! Command and access in the console: asking for, taking and answering command, granting
//! and revoking access, redacting an entry, dismissing a refused change, and which acts
//! the rule book allows this responder (the rest are greyed in the footer and help).

use chrono::Duration;
use uuid::Uuid;

use super::action::Action;
use super::app::{App, Effect, RosterRow};
use super::form::{Field, Purpose};
use crate::domain::event::{EventKind, HandoverBrief, Role, Status};
use crate::domain::roles::Handover;

/// How long the header keeps shouting that command was taken.
const TAKEN_ALARM: i64 = 30;

impl App {
    fn is_ic(&self) -> bool {
        self.data
            .as_ref()
            .is_some_and(|d| d.state.commander() == Some(self.handle.as_str()))
    }

    fn holds(&self, role: Role) -> bool {
        self.data
            .as_ref()
            .is_some_and(|d| d.state.roster.holder(role) == Some(self.handle.as_str()))
    }

    /// Whether the rule book lets this responder do `action` on the open incident; the
    /// footer and help grey what it does not, so nobody types a form only to be refused.
    pub fn may(&self, action: Action) -> bool {
        let Some(d) = &self.data else {
            return true;
        };
        let ic = self.is_ic();
        let restricted = d.state.summary.restricted;
        match action {
            Action::AssignRole
            | Action::ReleaseRole
            | Action::HandOver
            | Action::ApproveChange
            | Action::DenyChange
            | Action::ChangeSeverity
            | Action::ChangeStage
            | Action::Resolve
            | Action::HealthCheck
            | Action::ApplySuggestion
            | Action::Redact => ic,
            Action::GrantAccess | Action::RevokeAccess => ic && restricted,
            Action::SendUpdate => ic || self.holds(Role::Cl),
            Action::Privacy => ic || self.holds(Role::Pl),
            Action::AskCommand | Action::TakeCommand => !ic,
            _ => true,
        }
    }

    /// The newest change of command made without the IC's consent, while it is news.
    pub fn command_taken_recently(&self) -> Option<&Handover> {
        let d = self.data.as_ref()?;
        d.state
            .roster
            .handovers
            .last()
            .filter(|h| h.taken_because.is_some())
            .filter(|h| self.now - h.at < Duration::minutes(TAKEN_ALARM))
    }

    pub(super) fn act_authority(&mut self, action: Action) -> Vec<Effect> {
        let Some(d) = &self.data else {
            return Vec::new();
        };
        let state = &d.state;
        let ic = state.commander().unwrap_or("-").to_string();
        match action {
            Action::AskCommand => self.open_form(
                format!("Ask {ic} for command"),
                Purpose::AskCommand,
                vec![Field::line(
                    "Why",
                    "",
                    "optional: fresh, closer to the problem, ...",
                )],
            ),
            Action::TakeCommand => {
                let silent = state
                    .commander_active_at
                    .map(|t| crate::domain::metrics::format_duration(self.now - t))
                    .unwrap_or_else(|| "?".into());
                self.open_form(
                    format!("Take command from {ic} (silent for {silent})"),
                    Purpose::TakeCommand,
                    vec![Field::line(
                        "Reason",
                        "",
                        "required; everyone on the response is told",
                    )],
                );
            }
            Action::GrantAccess => self.open_form(
                "Grant access to this restricted incident",
                Purpose::GrantAccess,
                vec![Field::line("Responder", "", "their handle")],
            ),
            Action::RevokeAccess => match self.roster_rows().get(self.roster_selected) {
                Some(RosterRow::Responder(h)) => {
                    let handle = h.clone();
                    return self.record(
                        vec![(
                            self.now,
                            EventKind::AccessRevoked {
                                handle: handle.clone(),
                            },
                        )],
                        format!("{handle} may no longer see this incident"),
                    );
                }
                _ => self.complain("select a responder first"),
            },
            Action::Redact => match self.selected_event() {
                Some(ev) => {
                    let target = ev.id;
                    if let Err(r) =
                        crate::domain::rules::check_redaction_target(d.id, target, Some(ev))
                    {
                        self.complain(r.message);
                        return Vec::new();
                    }
                    let what = format!(
                        "Redact the {} at {} by {}",
                        crate::domain::describe::label(&ev.kind),
                        ev.at.format("%H:%M"),
                        ev.author
                    );
                    self.open_form(
                        what,
                        Purpose::Redact { event: target },
                        vec![Field::line(
                            "Reason",
                            "",
                            "required, shown in its place (say what, not the secret)",
                        )],
                    );
                }
                None => self.complain("select a timeline entry first"),
            },
            Action::DismissRejected => {
                let rejected = self.data.as_ref().and_then(|d| {
                    let i = self.row_index(self.timeline.selected)?;
                    match d.row(i)? {
                        (ev, super::data::RowStatus::Rejected(_)) => Some((d.id, ev.id)),
                        _ => None,
                    }
                });
                match rejected {
                    Some((incident, id)) => return vec![Effect::DropRejected { incident, id }],
                    None => self.complain("select a refused (✗) entry to dismiss it"),
                }
            }
            _ => {}
        }
        Vec::new()
    }

    /// y / x on a request for command: accepting opens the handover with a drafted brief.
    pub(super) fn answer_command_request(&mut self, request: Uuid, accept: bool) {
        let Some(d) = &self.data else { return };
        let Some(r) = d.state.command_requests.iter().find(|r| r.id == request) else {
            return;
        };
        let who = r.author.clone();
        if accept {
            let brief = d.state.draft_brief(self.now);
            self.open_form(
                format!("Hand command to {who}"),
                Purpose::AnswerCommand {
                    request,
                    accept: true,
                },
                vec![Field::text(
                    "Brief",
                    &brief.to_text(),
                    "edit freely; Ctrl-S hands over",
                )],
            );
        } else {
            self.open_form(
                format!("Decline {who}'s request for command"),
                Purpose::AnswerCommand {
                    request,
                    accept: false,
                },
                vec![Field::line("Reason", "", "optional, told to them")],
            );
        }
    }

    pub(super) fn submit_authority(&mut self, purpose: Purpose, v: &[String]) -> Vec<Effect> {
        let now = self.now;
        let first = v.first().map(|s| s.trim().to_string()).unwrap_or_default();
        match purpose {
            Purpose::AskCommand => self.record(
                vec![(now, EventKind::CommandRequested { reason: first })],
                "asked the IC for command; they accept or decline".into(),
            ),
            Purpose::TakeCommand => {
                if first.is_empty() {
                    return self.refuse("say why you take command: everyone is told".into());
                }
                self.record(
                    vec![(now, EventKind::CommandTaken { reason: first })],
                    "you took command; everyone on the response is told".into(),
                )
            }
            Purpose::GrantAccess => {
                if first.is_empty() || first.contains(char::is_whitespace) {
                    return self.refuse("name the responder (their handle)".into());
                }
                self.record(
                    vec![(
                        now,
                        EventKind::AccessGranted {
                            handle: first.clone(),
                        },
                    )],
                    format!("{first} may now see this incident"),
                )
            }
            Purpose::Redact { event } => {
                if first.is_empty() {
                    return self.refuse("give the reason for the redaction".into());
                }
                self.record(
                    vec![(
                        now,
                        EventKind::EventRedacted {
                            event,
                            reason: first,
                        },
                    )],
                    "entry redacted; every copy drops its text".into(),
                )
            }
            Purpose::AnswerCommand { request, accept } => {
                let Some(d) = &self.data else {
                    return Vec::new();
                };
                let Some(r) = d.state.command_requests.iter().find(|r| r.id == request) else {
                    return self.refuse("that request for command is gone".into());
                };
                let who = r.author.clone();
                let mut kinds = vec![(
                    now,
                    EventKind::CommandRequestDecided {
                        request,
                        accepted: accept,
                        reason: if accept { String::new() } else { first },
                    },
                )];
                if accept {
                    kinds.push((
                        now,
                        EventKind::CommandHandedOver {
                            to: who.clone(),
                            brief: HandoverBrief::from_text(&v[0]),
                        },
                    ));
                }
                let what = if accept {
                    format!("command handed over to {who}")
                } else {
                    format!("declined {who}'s request for command")
                };
                self.record(kinds, what)
            }
            _ => Vec::new(),
        }
    }

    /// Alerts about command: requests waiting for the IC, an answer to one's own request,
    /// and command taken without consent (told to everyone, the previous IC first).
    pub(super) fn command_alerts(&self, out: &mut Vec<(String, String, String)>) {
        let Some(d) = &self.data else { return };
        let s = &d.state;
        let me = self.handle.as_str();
        let short = &s.summary.short_id;
        if s.commander() == Some(me) {
            for r in s.pending_command_requests() {
                out.push((
                    format!("cmdreq:{}", r.id),
                    format!("{short}: {} asks for command", r.author),
                    if r.reason.is_empty() {
                        "y hands over, x declines (roles pane).".into()
                    } else {
                        format!("{} — y hands over, x declines (roles pane).", r.reason)
                    },
                ));
            }
        }
        for r in s.command_requests.iter().filter(|r| r.author == me) {
            if r.decision == crate::domain::incident::Decision::Denied {
                out.push((
                    format!("cmdans:{}", r.id),
                    format!(
                        "{short}: {} declined your request for command",
                        r.decided_by.as_deref().unwrap_or("the IC")
                    ),
                    String::new(),
                ));
            }
        }
        if let Some(h) = self.command_taken_recently()
            && s.summary.status != Status::Closed
        {
            let from = h.from.as_deref().unwrap_or("the IC");
            let reason = h.taken_because.clone().unwrap_or_default();
            let title = if from == me {
                format!("{short}: {} took command from you", h.to)
            } else if h.to == me {
                format!("{short}: you took command from {from}")
            } else {
                format!("{short}: {} took command from {from}", h.to)
            };
            out.push((
                format!("taken:{short}:{}", h.at.to_rfc3339()),
                title,
                reason,
            ));
        }
    }
}
