//! Who may do what on the open incident, as the console shows it: the rule book lets only
//! the incident commander assign roles, hand over, decide change requests, change severity
//! or stage, resolve and redact; the Communications Lead may also send updates and the
//! Policy Lead record privacy. What this responder may not do is greyed in the footer and
//! the help, so nobody types a form only to be refused. It also says when command was
//! taken without the IC's consent, and what waits for the IC's answer.

use chrono::{DateTime, Duration, Utc};

use super::action::Action;
use super::data::IncidentData;
use crate::domain::event::Role;
use crate::domain::incident::{ChangeRequest, Decision};
use crate::domain::roles::Handover;

/// How long the header keeps shouting that command was taken.
const TAKEN_ALARM: i64 = 30;

fn is_ic(d: &IncidentData, handle: &str) -> bool {
    d.state.commander() == Some(handle)
}

fn holds(d: &IncidentData, handle: &str, role: Role) -> bool {
    d.state.roster.holder(role) == Some(handle)
}

/// Whether the rule book lets `handle` do `action` on the open incident (anything, when
/// none is open).
pub fn may(data: Option<&IncidentData>, handle: &str, action: Action) -> bool {
    let Some(d) = data else {
        return true;
    };
    let ic = is_ic(d, handle);
    let restricted = d.state.summary.restricted;
    match action {
        Action::AssignRole
        | Action::ReleaseRole
        | Action::HandOver
        | Action::ApproveChange
        | Action::DenyChange
        | Action::ApproveWaiting
        | Action::DenyWaiting
        | Action::ChangeSeverity
        | Action::ChangeStage
        | Action::Resolve
        | Action::HealthCheck
        | Action::ApplySuggestion
        | Action::Redact => ic,
        Action::GrantAccess | Action::RevokeAccess => ic && restricted,
        Action::StandDown => crate::domain::fatigue::stand_down_refusal(&d.state, handle).is_none(),
        Action::SendUpdate => ic || holds(d, handle, Role::Cl),
        Action::Privacy => ic || holds(d, handle, Role::Pl),
        Action::Page => ic || holds(d, handle, Role::Ol),
        Action::AskCommand | Action::TakeCommand => !ic,
        _ => true,
    }
}

/// The newest change of command made without the IC's consent, while it is news.
pub fn command_taken_recently(
    data: Option<&IncidentData>,
    now: DateTime<Utc>,
) -> Option<&Handover> {
    let d = data?;
    d.state
        .roster
        .handovers
        .last()
        .filter(|h| h.taken_because.is_some())
        .filter(|h| now - h.at < Duration::minutes(TAKEN_ALARM))
}

/// The undecided change request that has waited longest, with its label (`C2`: the
/// second asked), whoever commands.
pub fn longest_waiting_change(data: Option<&IncidentData>) -> Option<(String, &ChangeRequest)> {
    let d = data?;
    d.state
        .change_requests
        .iter()
        .enumerate()
        .filter(|(_, c)| c.decision == Decision::Pending)
        .min_by_key(|(i, c)| (c.at, *i))
        .map(|(i, c)| (format!("C{}", i + 1), c))
}

/// Change requests and requests for command waiting for `handle`, when they command.
pub fn waiting_for_me(data: Option<&IncidentData>, handle: &str) -> usize {
    data.filter(|d| is_ic(d, handle)).map_or(0, |d| {
        d.state
            .change_requests
            .iter()
            .filter(|c| c.decision == Decision::Pending)
            .count()
            + d.state.pending_command_requests().count()
    })
}
