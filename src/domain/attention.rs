//! What needs a responder across incidents, read from the incident list alone.
//!
//! Every incident summary carries an [`Attention`]: who holds each delegated role, the
//! change requests and requests for command nobody has answered, when the next update to
//! each audience was promised, and the roles given to someone who has recorded nothing on
//! the incident since. [`fold`] keeps it up to date as part of `IncidentSummary::apply`;
//! [`needs`] says which of it is one responder's to act on now, and [`rank`] orders a list
//! so that what needs them comes first. Every field is bounded: at most one entry per role
//! and audience, and at most [`MAX_TRACKED`] open requests of each kind named by id.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::event::{Audience, Event, EventKind, Role, Status};
use super::incident::IncidentSummary;

/// Most open requests of one kind a summary names by id; any beyond are only counted.
pub const MAX_TRACKED: usize = 100;

/// The part of an incident's summary that says what waits for whom.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Attention {
    /// Roles other than IC given to someone, by role (`cl`, `pl`, `ol`, `po`). A role not
    /// listed is held by the incident commander.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schema(value_type = HashMap<String, String>)]
    pub roles: BTreeMap<Role, String>,
    /// Change requests the IC has not decided.
    #[serde(default, skip_serializing_if = "Requests::is_empty")]
    pub change_requests: Requests,
    /// Requests for command the IC has not answered.
    #[serde(default, skip_serializing_if = "Requests::is_empty")]
    pub command_requests: Requests,
    /// When the next update to each audience (`internal`, `external`) was promised, by the
    /// newest update sent to it. Nothing is owed once the incident is resolved or closed,
    /// and a reopened incident owes nothing until the next update promises it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schema(value_type = HashMap<String, DateTime<Utc>>)]
    pub updates_due: BTreeMap<Audience, DateTime<Utc>>,
    /// Roles (`ic` included) given by someone else to a responder who has recorded nothing
    /// on the incident since.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schema(value_type = HashMap<String, Handed>)]
    pub handed: BTreeMap<Role, Handed>,
}

/// Open requests of one kind: the first hundred (`MAX_TRACKED`) by id with who asked, and
/// a count of any more.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Requests {
    /// Request (event) id → who asked.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schema(value_type = HashMap<String, String>)]
    pub open: BTreeMap<Uuid, String>,
    /// Open requests beyond those listed in `open`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub more: u32,
}

/// A role given to `handle` at `at` (the time of the event that gave it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Handed {
    pub handle: String,
    pub at: DateTime<Utc>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Requests {
    pub fn is_empty(&self) -> bool {
        self.open.is_empty() && self.more == 0
    }

    /// How many are open.
    pub fn count(&self) -> usize {
        self.open.len() + self.more as usize
    }

    fn add(&mut self, id: Uuid, who: &str) {
        if self.open.len() < MAX_TRACKED {
            self.open.insert(id, who.to_string());
        } else {
            self.more = self.more.saturating_add(1);
        }
    }

    /// Settles one request; answers who asked, when it was listed.
    fn settle(&mut self, id: Uuid) -> Option<String> {
        let who = self.open.remove(&id);
        if who.is_none() {
            // The rule book only lets an open request be answered: one beyond the list.
            self.more = self.more.saturating_sub(1);
        }
        who
    }
}

impl Attention {
    pub fn is_empty(&self) -> bool {
        *self == Attention::default()
    }

    /// Who holds `role`, given the incident's commander.
    pub fn holder<'a>(&'a self, role: Role, commander: Option<&'a str>) -> Option<&'a str> {
        match role {
            Role::Ic => commander,
            _ => self.roles.get(&role).map(String::as_str).or(commander),
        }
    }

    /// `role` was given to `handle` by the author of `ev`: new to them unless they gave it
    /// to themselves.
    fn hand(&mut self, role: Role, handle: &str, ev: &Event) {
        if handle == ev.author || handle.is_empty() {
            self.handed.remove(&role);
        } else {
            let at = ev.at;
            let handle = handle.to_string();
            self.handed.insert(role, Handed { handle, at });
        }
    }

    /// `handle` commands from `ev` on: their own delegations and requests for command are
    /// settled, as the incident's fold settles them.
    fn new_commander(&mut self, handle: &str, ev: &Event) {
        self.roles.retain(|_, h| h != handle);
        self.handed
            .retain(|role, h| *role == Role::Ic || h.handle != handle);
        self.command_requests.open.retain(|_, who| who != handle);
        self.hand(Role::Ic, handle, ev);
    }
}

/// The attention share of the summary's fold: `ev` taken in, after the rest of the
/// summary has taken it.
pub fn fold(summary: &mut IncidentSummary, ev: &Event) {
    let a = &mut summary.attention;
    // Whoever records anything has seen what was handed to them.
    if !ev.author.is_empty() {
        a.handed.retain(|_, h| h.handle != ev.author);
    }
    match &ev.kind {
        EventKind::RoleAssigned {
            role: Role::Ic,
            handle,
        }
        | EventKind::CommandHandedOver { to: handle, .. } => a.new_commander(handle, ev),
        EventKind::CommandTaken { .. } => a.new_commander(&ev.author, ev),
        EventKind::RoleAssigned { role, handle } => {
            a.roles.insert(*role, handle.clone());
            a.hand(*role, handle, ev);
        }
        EventKind::RoleReleased { role } if *role != Role::Ic => {
            a.roles.remove(role);
            a.handed.remove(role);
        }
        EventKind::ResponderLeft { handle } => {
            a.roles.retain(|_, h| h != handle);
            a.handed
                .retain(|role, h| *role == Role::Ic || h.handle != *handle);
        }
        EventKind::ChangeRequested { .. } => a.change_requests.add(ev.id, ev.shown_author()),
        EventKind::ChangeDecided { request, .. } => {
            a.change_requests.settle(*request);
        }
        EventKind::CommandRequested { .. } => a.command_requests.add(ev.id, &ev.author),
        EventKind::CommandRequestDecided {
            request, accepted, ..
        } => {
            if let Some(who) = a.command_requests.settle(*request)
                && *accepted
            {
                a.hand(Role::Ic, &who, ev);
            }
        }
        EventKind::CommsSent {
            audience,
            next_update_due,
            ..
        } => match next_update_due {
            Some(due) => {
                a.updates_due.insert(*audience, *due);
            }
            None => {
                a.updates_due.remove(audience);
            }
        },
        EventKind::Resolved { .. } | EventKind::Closed { .. } => a.updates_due.clear(),
        _ => {}
    }
}

/// Something on an incident that is one responder's to act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Change requests wait for your decision (you command).
    ChangeRequestsWaiting(usize),
    /// Requests for command wait for your answer (you command).
    CommandRequestsWaiting(usize),
    /// The update to this audience is overdue, and sending it is yours (you are the
    /// Communications Lead, or command with no Communications Lead named).
    UpdateOverdue(Audience),
    /// This role was given to you and you have recorded nothing on the incident since.
    RoleHandedToYou(Role),
}

impl Need {
    /// A few words for a list row or a badge: "2 changes wait", "ext update overdue".
    pub fn label(self) -> String {
        match self {
            Need::ChangeRequestsWaiting(1) => "1 change waits".into(),
            Need::ChangeRequestsWaiting(n) => format!("{n} changes wait"),
            Need::CommandRequestsWaiting(1) => "1 asks for command".into(),
            Need::CommandRequestsWaiting(n) => format!("{n} ask for command"),
            Need::UpdateOverdue(Audience::Internal) => "int update overdue".into(),
            Need::UpdateOverdue(Audience::External) => "ext update overdue".into(),
            Need::RoleHandedToYou(role) => format!("you are now {}", role.code()),
        }
    }
}

/// What on `summary` needs `handle` at `now`, most pressing first. A closed incident needs
/// nobody.
pub fn needs(summary: &IncidentSummary, handle: &str, now: DateTime<Utc>) -> Vec<Need> {
    let mut out = Vec::new();
    if summary.status == Status::Closed || handle.is_empty() {
        return out;
    }
    let a = &summary.attention;
    let commander = summary.commander.as_deref();
    if commander == Some(handle) {
        let changes = a.change_requests.count();
        if changes > 0 {
            out.push(Need::ChangeRequestsWaiting(changes));
        }
        let asks = a.command_requests.count();
        if asks > 0 {
            out.push(Need::CommandRequestsWaiting(asks));
        }
    }
    if summary.status == Status::Active && a.holder(Role::Cl, commander) == Some(handle) {
        for (audience, due) in &a.updates_due {
            if *due < now {
                out.push(Need::UpdateOverdue(*audience));
            }
        }
    }
    for (role, given) in &a.handed {
        if given.handle == handle && a.holder(*role, commander) == Some(handle) {
            out.push(Need::RoleHandedToYou(*role));
        }
    }
    out
}

/// Where an incident goes in `handle`'s list: what needs them first, then active before
/// resolved before closed, then by severity (SEV1 first), then the most recently updated;
/// the id settles ties so the order is total.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rank {
    needs_nothing: bool,
    status: u8,
    severity: u8,
    updated: Reverse<Option<DateTime<Utc>>>,
    id: Uuid,
}

pub fn rank(summary: &IncidentSummary, handle: &str, now: DateTime<Utc>) -> Rank {
    Rank {
        needs_nothing: needs(summary, handle, now).is_empty(),
        status: match summary.status {
            Status::Active => 0,
            Status::Resolved => 1,
            Status::Closed => 2,
        },
        severity: summary.severity.level(),
        updated: Reverse(summary.updated_at),
        id: summary.id,
    }
}

/// Sorts `list` for `handle` at `now` (see [`Rank`]).
pub fn order(list: &mut [IncidentSummary], handle: &str, now: DateTime<Utc>) {
    list.sort_by_cached_key(|s| rank(s, handle, now));
}

#[cfg(test)]
#[path = "attention_tests.rs"]
mod tests;
