//! Tests of `attention`.

use chrono::{Duration, TimeZone};
use serde_json::json;

use super::*;
use crate::domain::event::{HandoverBrief, Severity};
use crate::domain::incident::Incident;

/// An incident's log, built one event a minute.
struct Log {
    incident: Uuid,
    events: Vec<Event>,
    now: DateTime<Utc>,
}

impl Log {
    /// Declared by ana, who commands.
    fn declared() -> Log {
        let mut log = Log {
            incident: Uuid::now_v7(),
            events: Vec::new(),
            now: Utc.with_ymd_and_hms(2026, 11, 26, 21, 0, 0).unwrap(),
        };
        log.push(
            "ana",
            EventKind::IncidentDeclared {
                title: "Checkout errors".into(),
                severity: Severity::MAJOR,
                summary: String::new(),
                drill: false,
                restricted: false,
            },
        );
        log
    }

    /// Records `kind` by `author` a minute after the previous event; answers its id.
    fn push(&mut self, author: &str, kind: EventKind) -> Uuid {
        self.now += Duration::minutes(1);
        // Built from the wire form, so the test does not depend on the envelope's fields.
        let mut ev: Event = serde_json::from_value(json!({
            "id": Uuid::now_v7(),
            "incident": self.incident,
            "seq": self.events.len() + 1,
            "at": self.now,
            "recorded_at": self.now,
            "author": author,
            "type": "note",
            "text": "-",
        }))
        .unwrap();
        ev.kind = kind;
        let id = ev.id;
        self.events.push(ev);
        id
    }

    fn note(&mut self, author: &str) {
        self.push(
            author,
            EventKind::Note {
                text: "on it".into(),
            },
        );
    }

    fn summary(&self) -> IncidentSummary {
        let mut s = IncidentSummary::new(self.incident);
        for ev in &self.events {
            s.apply(ev);
        }
        s
    }

    fn needs(&self, handle: &str) -> Vec<Need> {
        needs(&self.summary(), handle, self.now)
    }

    /// The summary must agree with the whole fold on everything it shares with it.
    fn agrees_with_the_fold(&self) {
        let state = Incident::fold(self.incident, &self.events);
        let a = &state.summary.attention;
        assert_eq!(
            a.roles, state.roster.delegated,
            "delegated roles: {:?}",
            state.roster
        );
        for role in Role::ALL {
            assert_eq!(
                a.holder(role, state.summary.commander.as_deref()),
                state.roster.holder(role),
                "{role}"
            );
        }
        assert_eq!(
            a.change_requests.count(),
            state.pending_change_requests().count()
        );
        assert_eq!(
            a.command_requests.count(),
            state.pending_command_requests().count()
        );
        for audience in [Audience::Internal, Audience::External] {
            let due = a
                .updates_due
                .get(&audience)
                .copied()
                .filter(|_| state.summary.status == Status::Active);
            assert_eq!(due, state.next_update_due_for(audience), "{audience:?}");
        }
    }
}

fn assign(role: Role, handle: &str) -> EventKind {
    EventKind::RoleAssigned {
        role,
        handle: handle.into(),
    }
}

fn update(audience: Audience, due: Option<DateTime<Utc>>) -> EventKind {
    EventKind::CommsSent {
        audience,
        text: "update".into(),
        checklist: Default::default(),
        override_reason: None,
        next_update_due: due,
        lang: None,
        versions: Vec::new(),
    }
}

#[test]
fn a_role_given_by_someone_else_is_new_until_its_holder_records_anything() {
    let mut log = Log::declared();
    log.push("ana", assign(Role::Ol, "bo"));
    assert_eq!(log.needs("bo"), vec![Need::RoleHandedToYou(Role::Ol)]);
    assert_eq!(log.needs("ana"), vec![]);
    assert_eq!(
        log.summary()
            .attention
            .roles
            .get(&Role::Ol)
            .map(String::as_str),
        Some("bo")
    );
    // Someone else acting changes nothing; bo acting is bo having seen it.
    log.note("cy");
    assert_eq!(log.needs("bo"), vec![Need::RoleHandedToYou(Role::Ol)]);
    log.note("bo");
    assert_eq!(log.needs("bo"), vec![]);
    // Given again after a release: new again.
    log.push("ana", EventKind::RoleReleased { role: Role::Ol });
    assert!(log.summary().attention.roles.is_empty());
    log.push("ana", assign(Role::Ol, "bo"));
    assert_eq!(log.needs("bo"), vec![Need::RoleHandedToYou(Role::Ol)]);
    // Leaving hands the role back to the IC: nothing is bo's any more.
    log.push(
        "ana",
        EventKind::ResponderLeft {
            handle: "bo".into(),
        },
    );
    assert_eq!(log.needs("bo"), vec![]);
    assert!(log.summary().attention.handed.is_empty());
    // Taking a role oneself is not news to oneself.
    log.push("ana", assign(Role::Cl, "ana"));
    assert_eq!(log.needs("ana"), vec![]);
    log.agrees_with_the_fold();
}

#[test]
fn command_handed_over_or_accepted_is_new_to_the_new_commander_but_taken_is_not() {
    let mut log = Log::declared();
    log.push("ana", assign(Role::Ol, "bo"));
    log.note("bo");
    log.push(
        "ana",
        EventKind::CommandHandedOver {
            to: "bo".into(),
            brief: HandoverBrief::default(),
        },
    );
    let s = log.summary();
    assert_eq!(s.commander.as_deref(), Some("bo"));
    // Commanding, bo holds OL by default: the delegation to themselves is gone.
    assert!(s.attention.roles.is_empty(), "{:?}", s.attention);
    assert_eq!(log.needs("bo"), vec![Need::RoleHandedToYou(Role::Ic)]);
    log.agrees_with_the_fold();

    // cy asks for command, bo accepts (the answer and the handover, as the console sends).
    log.note("bo");
    let asked = log.push(
        "cy",
        EventKind::CommandRequested {
            reason: "fresh".into(),
        },
    );
    assert_eq!(log.needs("bo"), vec![Need::CommandRequestsWaiting(1)]);
    log.push(
        "bo",
        EventKind::CommandRequestDecided {
            request: asked,
            accepted: true,
            reason: String::new(),
        },
    );
    // Accepted but not yet handed over: cy does not command, so nothing is cy's yet.
    assert_eq!(log.needs("cy"), vec![]);
    assert_eq!(log.needs("bo"), vec![]);
    log.push(
        "bo",
        EventKind::CommandHandedOver {
            to: "cy".into(),
            brief: HandoverBrief::default(),
        },
    );
    assert_eq!(log.needs("cy"), vec![Need::RoleHandedToYou(Role::Ic)]);
    log.agrees_with_the_fold();

    // dee takes command: they know, they did it.
    log.push(
        "dee",
        EventKind::CommandTaken {
            reason: "cy is unreachable".into(),
        },
    );
    assert_eq!(log.needs("dee"), vec![]);
    assert_eq!(log.needs("cy"), vec![]);
    assert!(log.summary().attention.handed.is_empty());
    log.agrees_with_the_fold();
}

#[test]
fn a_new_commander_s_own_request_for_command_is_settled() {
    let mut log = Log::declared();
    log.push(
        "bo",
        EventKind::CommandRequested {
            reason: String::new(),
        },
    );
    log.push(
        "ana",
        EventKind::CommandHandedOver {
            to: "bo".into(),
            brief: HandoverBrief::default(),
        },
    );
    assert!(log.summary().attention.command_requests.is_empty());
    log.agrees_with_the_fold();
}

#[test]
fn change_requests_wait_for_the_commander_only_until_decided() {
    let mut log = Log::declared();
    let first = log.push(
        "bo",
        EventKind::ChangeRequested {
            description: "restart pay-3".into(),
        },
    );
    log.push(
        "cy",
        EventKind::ChangeRequested {
            description: "flip the flag".into(),
        },
    );
    assert_eq!(log.needs("ana"), vec![Need::ChangeRequestsWaiting(2)]);
    assert_eq!(log.needs("bo"), vec![]);
    log.push(
        "ana",
        EventKind::ChangeDecided {
            request: first,
            approved: true,
            reason: String::new(),
        },
    );
    assert_eq!(log.needs("ana"), vec![Need::ChangeRequestsWaiting(1)]);
    assert_eq!(Need::ChangeRequestsWaiting(1).label(), "1 change waits");
    assert_eq!(Need::ChangeRequestsWaiting(2).label(), "2 changes wait");
    log.agrees_with_the_fold();
}

#[test]
fn open_requests_beyond_the_limit_are_counted_not_named() {
    let mut log = Log::declared();
    let mut ids = Vec::new();
    for _ in 0..MAX_TRACKED + 5 {
        ids.push(log.push(
            "bo",
            EventKind::ChangeRequested {
                description: "one more".into(),
            },
        ));
    }
    let s = log.summary();
    assert_eq!(s.attention.change_requests.open.len(), MAX_TRACKED);
    assert_eq!(s.attention.change_requests.count(), MAX_TRACKED + 5);
    // Deciding one named and one beyond the list.
    for id in [ids[0], ids[MAX_TRACKED + 2]] {
        log.push(
            "ana",
            EventKind::ChangeDecided {
                request: id,
                approved: false,
                reason: String::new(),
            },
        );
    }
    assert_eq!(
        log.needs("ana"),
        vec![Need::ChangeRequestsWaiting(MAX_TRACKED + 3)]
    );
    log.agrees_with_the_fold();
}

#[test]
fn an_overdue_update_is_the_communications_lead_s_or_else_the_commander_s() {
    let mut log = Log::declared();
    let due = log.now + Duration::minutes(3);
    log.push("ana", update(Audience::External, Some(due)));
    assert_eq!(log.needs("ana"), vec![], "not due yet");
    log.note("ana");
    log.note("ana");
    log.note("ana");
    assert_eq!(
        log.needs("ana"),
        vec![Need::UpdateOverdue(Audience::External)]
    );
    assert_eq!(
        Need::UpdateOverdue(Audience::External).label(),
        "ext update overdue"
    );
    log.push("ana", assign(Role::Cl, "bo"));
    log.note("bo");
    assert_eq!(log.needs("ana"), vec![]);
    assert_eq!(
        log.needs("bo"),
        vec![Need::UpdateOverdue(Audience::External)]
    );
    // A newer update to that audience with no promise owes nothing; the other audience
    // runs on its own.
    log.push("bo", update(Audience::Internal, Some(log.now)));
    log.push("bo", update(Audience::External, None));
    log.note("bo");
    assert_eq!(
        log.needs("bo"),
        vec![Need::UpdateOverdue(Audience::Internal)]
    );
    log.agrees_with_the_fold();
}

#[test]
fn resolving_clears_what_is_owed_and_reopening_does_not_bring_it_back() {
    let mut log = Log::declared();
    log.push("ana", update(Audience::Internal, Some(log.now)));
    log.note("ana");
    assert_eq!(
        log.needs("ana"),
        vec![Need::UpdateOverdue(Audience::Internal)]
    );
    log.push("ana", EventKind::ImpactEnded {});
    log.push(
        "ana",
        EventKind::Resolved {
            summary: String::new(),
        },
    );
    assert!(log.summary().attention.updates_due.is_empty());
    log.push(
        "ana",
        EventKind::Reopened {
            reason: String::new(),
        },
    );
    assert!(log.summary().attention.updates_due.is_empty());
    assert_eq!(log.needs("ana"), vec![]);
}

#[test]
fn a_closed_incident_needs_nobody() {
    let mut log = Log::declared();
    log.push(
        "bo",
        EventKind::ChangeRequested {
            description: "restart".into(),
        },
    );
    log.push("ana", assign(Role::Po, "bo"));
    log.push(
        "ana",
        EventKind::Resolved {
            summary: String::new(),
        },
    );
    // Resolved: the postmortem owner still has news, the IC still has a request.
    assert_eq!(log.needs("bo"), vec![Need::RoleHandedToYou(Role::Po)]);
    assert_eq!(log.needs("ana"), vec![Need::ChangeRequestsWaiting(1)]);
    log.push(
        "ana",
        EventKind::Closed {
            reason: String::new(),
        },
    );
    assert_eq!(log.needs("bo"), vec![]);
    assert_eq!(log.needs("ana"), vec![]);
}

#[test]
fn summaries_stored_before_attention_existed_still_parse_and_empty_attention_is_not_written() {
    let log = Log::declared();
    let s = log.summary();
    let json = serde_json::to_value(&s).unwrap();
    assert!(json.get("attention").is_none(), "{json}");
    let back: IncidentSummary = serde_json::from_value(json).unwrap();
    assert_eq!(back, s);

    let mut log = log;
    log.push("ana", assign(Role::Cl, "bo"));
    let s = log.summary();
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["attention"]["roles"], json!({ "cl": "bo" }), "{json}");
    assert_eq!(json["attention"]["handed"]["cl"]["handle"], "bo", "{json}");
    let back: IncidentSummary = serde_json::from_value(json).unwrap();
    assert_eq!(back, s);
}

/// A summary with the given status, severity and last update, needing `ana` or not.
fn listed(
    n: u128,
    status: Status,
    severity: u8,
    updated_min: i64,
    needs_ana: bool,
) -> IncidentSummary {
    let mut s = IncidentSummary::new(Uuid::from_u128(n));
    s.title = format!("incident {n}");
    s.status = status;
    s.severity = Severity::new(i64::from(severity)).unwrap();
    let base = Utc.with_ymd_and_hms(2026, 11, 26, 21, 0, 0).unwrap();
    s.updated_at = Some(base + Duration::minutes(updated_min));
    s.commander = Some("ana".into());
    if needs_ana {
        s.attention
            .change_requests
            .add(Uuid::from_u128(1000 + n), "bo");
    }
    s
}

#[test]
fn the_list_puts_what_needs_you_first_then_active_then_severity_then_the_newest() {
    let now = Utc.with_ymd_and_hms(2026, 11, 26, 23, 0, 0).unwrap();
    let mut list = vec![
        listed(1, Status::Closed, 1, 50, false),
        listed(2, Status::Active, 3, 40, false),
        listed(3, Status::Resolved, 1, 45, false),
        listed(4, Status::Active, 1, 10, false),
        listed(5, Status::Active, 3, 5, true),
        listed(6, Status::Active, 1, 30, false),
        listed(7, Status::Resolved, 2, 1, true),
        listed(8, Status::Active, 3, 41, false),
    ];
    order(&mut list, "ana", now);
    let ids: Vec<u128> = list.iter().map(|s| s.id.as_u128()).collect();
    assert_eq!(ids, vec![5, 7, 6, 4, 8, 2, 3, 1]);
    // For someone whom nothing needs, the same list is ordered without that step.
    order(&mut list, "bo", now);
    let ids: Vec<u128> = list.iter().map(|s| s.id.as_u128()).collect();
    assert_eq!(ids, vec![6, 4, 8, 2, 5, 3, 7, 1]);
}

#[test]
fn a_drifting_log_keeps_the_summary_in_step_with_the_fold() {
    // Every kind that moves roles, requests and updates, in one long log.
    let mut log = Log::declared();
    let ask = log.push(
        "bo",
        EventKind::CommandRequested {
            reason: String::new(),
        },
    );
    log.push("ana", assign(Role::Cl, "cy"));
    log.push("ana", assign(Role::Ol, "bo"));
    log.push("cy", update(Audience::Internal, Some(log.now)));
    let change = log.push(
        "bo",
        EventKind::ChangeRequested {
            description: "drain".into(),
        },
    );
    log.agrees_with_the_fold();
    log.push(
        "ana",
        EventKind::CommandRequestDecided {
            request: ask,
            accepted: false,
            reason: "not yet".into(),
        },
    );
    log.push(
        "ana",
        EventKind::ChangeDecided {
            request: change,
            approved: true,
            reason: String::new(),
        },
    );
    log.push("ana", assign(Role::Ic, "cy"));
    log.agrees_with_the_fold();
    log.push(
        "cy",
        EventKind::ResponderLeft {
            handle: "bo".into(),
        },
    );
    log.agrees_with_the_fold();
}
