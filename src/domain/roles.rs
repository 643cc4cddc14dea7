//! Who holds which role. The incident commander holds every role not yet delegated.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::event::{HandoverBrief, Role};

/// One change of command, as the timeline and the postmortem show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handover {
    pub at: DateTime<Utc>,
    pub from: Option<String>,
    pub to: String,
    pub brief: HandoverBrief,
    /// Set when command was taken without the IC's consent: the taker's reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken_because: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roster {
    /// The incident commander; the declaring responder until command is handed over.
    pub commander: Option<String>,
    /// Roles other than IC that were explicitly delegated.
    pub delegated: BTreeMap<Role, String>,
    /// When each role last changed hands (for "time in role").
    pub since: BTreeMap<Role, DateTime<Utc>>,
    pub handovers: Vec<Handover>,
}

impl Roster {
    /// Who holds `role` now: its delegate, or else the commander.
    pub fn holder(&self, role: Role) -> Option<&str> {
        match role {
            Role::Ic => self.commander.as_deref(),
            _ => self
                .delegated
                .get(&role)
                .map(String::as_str)
                .or(self.commander.as_deref()),
        }
    }

    /// Whether `role` is held by the commander only because nobody else was given it.
    pub fn is_defaulted_to_ic(&self, role: Role) -> bool {
        role != Role::Ic && !self.delegated.contains_key(&role)
    }

    /// Every role `handle` holds, the defaulted ones included when they command.
    pub fn roles_of(&self, handle: &str) -> Vec<Role> {
        Role::ALL
            .into_iter()
            .filter(|r| self.holder(*r) == Some(handle))
            .collect()
    }

    pub fn assign(&mut self, role: Role, handle: &str, at: DateTime<Utc>) {
        if role == Role::Ic {
            self.take_command(handle, at, None);
            return;
        }
        self.delegated.insert(role, handle.to_string());
        self.since.insert(role, at);
    }

    pub fn release(&mut self, role: Role, at: DateTime<Utc>) {
        if role != Role::Ic && self.delegated.remove(&role).is_some() {
            self.since.insert(role, at);
        }
    }

    /// A departing responder's delegated roles fall back to the commander.
    pub fn release_all_of(&mut self, handle: &str, at: DateTime<Utc>) {
        let held: Vec<Role> = self
            .delegated
            .iter()
            .filter(|(_, h)| h.as_str() == handle)
            .map(|(r, _)| *r)
            .collect();
        for role in held {
            self.release(role, at);
        }
    }

    pub fn take_command(&mut self, to: &str, at: DateTime<Utc>, brief: Option<HandoverBrief>) {
        let from = self.commander.replace(to.to_string());
        self.since.insert(Role::Ic, at);
        // The new commander no longer needs a separate delegation to themselves.
        self.delegated.retain(|_, h| h != to);
        if let Some(brief) = brief {
            self.handovers.push(Handover {
                at,
                from,
                to: to.to_string(),
                brief,
                taken_because: None,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_commander_holds_every_undelegated_role() {
        let t = DateTime::<Utc>::UNIX_EPOCH;
        let mut r = Roster::default();
        r.take_command("ana", t, None);
        for role in Role::ALL {
            assert_eq!(r.holder(role), Some("ana"));
        }
        r.assign(Role::Cl, "bo", t);
        assert_eq!(r.holder(Role::Cl), Some("bo"));
        assert!(!r.is_defaulted_to_ic(Role::Cl));
        assert!(r.is_defaulted_to_ic(Role::Ol));
        assert_eq!(
            r.roles_of("ana"),
            vec![Role::Ic, Role::Pl, Role::Ol, Role::Po]
        );
        r.release(Role::Cl, t);
        assert_eq!(r.holder(Role::Cl), Some("ana"));
    }

    #[test]
    fn handing_over_command_moves_the_defaults_with_it() {
        let t = DateTime::<Utc>::UNIX_EPOCH;
        let mut r = Roster::default();
        r.take_command("ana", t, None);
        r.assign(Role::Ol, "cy", t);
        r.take_command("cy", t, Some(HandoverBrief::default()));
        assert_eq!(r.holder(Role::Ic), Some("cy"));
        assert_eq!(r.holder(Role::Po), Some("cy"));
        assert!(r.is_defaulted_to_ic(Role::Ol));
        assert_eq!(r.handovers.len(), 1);
        assert_eq!(r.handovers[0].from.as_deref(), Some("ana"));
    }
}
