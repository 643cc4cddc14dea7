//! Tests of `public`.

use super::*;
use crate::domain::event::{ChecklistResult, Event, EventKind};
use crate::domain::lang::CommsVersion;
use chrono::TimeZone;

struct Log {
    incident: Uuid,
    events: Vec<Event>,
    now: DateTime<Utc>,
}

impl Log {
    fn declared(title: &str, restricted: bool, drill: bool) -> Log {
        let mut log = Log {
            incident: Uuid::now_v7(),
            events: Vec::new(),
            now: Utc.with_ymd_and_hms(2026, 11, 26, 21, 0, 0).unwrap(),
        };
        log.push(EventKind::IncidentDeclared {
            title: title.into(),
            severity: Severity::MAJOR,
            summary: String::new(),
            drill,
            restricted,
        });
        log
    }

    fn push(&mut self, kind: EventKind) -> Uuid {
        self.now += Duration::minutes(5);
        let id = Uuid::now_v7();
        self.events.push(Event {
            id,
            incident: self.incident,
            seq: Some(self.events.len() as i64 + 1),
            at: self.now,
            recorded_at: Some(self.now),
            author: "ana".into(),
            persona: None,
            kind,
        });
        id
    }

    fn send(&mut self, audience: Audience, text: &str, versions: Vec<CommsVersion>) -> Uuid {
        self.push(EventKind::CommsSent {
            audience,
            text: text.into(),
            checklist: ChecklistResult::default(),
            override_reason: None,
            next_update_due: None,
            lang: None,
            versions,
        })
    }

    fn view(&self) -> Option<PublicIncident> {
        let state = Incident::fold(self.incident, &self.events);
        public_view(&state.summary.clone(), &state, Lang::En, self.now)
    }
}

#[test]
fn only_external_updates_make_an_incident_public_and_only_they_are_shown() {
    let mut log = Log::declared("db-7.internal disk full", false, false);
    log.send(
        Audience::Internal,
        "SEV2 – disk full on db-7.internal",
        vec![],
    );
    assert_eq!(log.view(), None, "no external update: not on the page");

    log.send(
        Audience::External,
        "SEV2 – Some payments are failing\nWe are looking into it.",
        vec![],
    );
    let newest = log.send(
        Audience::External,
        "SEV2 – Card payments failing at checkout\nA fix is being rolled out.",
        vec![CommsVersion {
            lang: Lang::Fr,
            text: "Majeur – Échec des paiements par carte\nUn correctif est en cours.".into(),
            checklist: ChecklistResult::default(),
        }],
    );
    let view = log.view().expect("public now");
    assert_eq!(view.status, PublicStatus::Ongoing);
    assert_eq!(view.updates.len(), 2);
    assert_eq!(view.updates[0].id, newest, "newest first");
    assert_eq!(
        view.title_in(Lang::En).text,
        "Card payments failing at checkout"
    );
    assert_eq!(
        view.title_in(Lang::Fr).text,
        "Échec des paiements par carte"
    );
    let all = serde_json::to_string(&view).unwrap();
    assert!(!all.contains("db-7.internal"), "nothing internal: {all}");
    assert!(!all.contains("ana"), "no handles: {all}");
}

#[test]
fn restricted_incidents_drills_and_redacted_updates_stay_off() {
    for (restricted, drill) in [(true, false), (false, true)] {
        let mut log = Log::declared("Payments", restricted, drill);
        log.send(Audience::External, "SEV2 – Payments slow\nLooking.", vec![]);
        assert_eq!(log.view(), None, "restricted {restricted}, drill {drill}");
    }
    let mut log = Log::declared("Payments", false, false);
    let first = log.send(Audience::External, "SEV2 – Payments slow\nLooking.", vec![]);
    let second = log.send(Audience::External, "SEV2 – Payments slow\nStill.", vec![]);
    log.push(EventKind::EventRedacted {
        event: second,
        reason: "wrong audience".into(),
    });
    let view = log.view().unwrap();
    assert_eq!(
        view.updates.iter().map(|u| u.id).collect::<Vec<_>>(),
        [first]
    );
}

#[test]
fn resolved_incidents_stay_for_ninety_days() {
    let mut log = Log::declared("Payments", false, false);
    log.send(Audience::External, "SEV2 – Payments slow\nLooking.", vec![]);
    log.push(EventKind::Resolved {
        summary: String::new(),
    });
    let view = log.view().unwrap();
    assert_eq!(view.status, PublicStatus::Resolved);
    assert_eq!(view.resolved_at, Some(log.now));
    let state = Incident::fold(log.incident, &log.events);
    let later = log.now + Duration::days(RESOLVED_SHOWN_FOR_DAYS + 1);
    assert_eq!(public_view(&state.summary, &state, Lang::En, later), None);
    let sooner = log.now + Duration::days(RESOLVED_SHOWN_FOR_DAYS - 1);
    assert!(public_view(&state.summary, &state, Lang::En, sooner).is_some());
}

#[test]
fn headlines_drop_the_severity_and_keep_plain_titles() {
    assert_eq!(headline("SEV1 – Login down").as_deref(), Some("Login down"));
    assert_eq!(
        headline("[Critique] : Connexion impossible").as_deref(),
        Some("Connexion impossible")
    );
    assert_eq!(
        headline("\n\nCheckout slow for some").as_deref(),
        Some("Checkout slow for some")
    );
    assert_eq!(headline("  "), None);
    assert_eq!(headline("###"), None);
    // Only a severity at the start is taken off; a colon in the words stays.
    assert_eq!(
        headline("SEV2 - Login: slow for EU users").as_deref(),
        Some("Login: slow for EU users")
    );
    assert_eq!(
        headline("Several regions – down").as_deref(),
        Some("Several regions – down")
    );
    assert_eq!(
        headline("Majeure – Paiements : rétabli").as_deref(),
        Some("Paiements : rétabli")
    );
}

#[test]
fn an_incident_ongoing_again_drops_the_final_words_from_its_heading() {
    let mut log = Log::declared("Payments", false, false);
    log.send(Audience::External, "SEV2 – Payments slow\nLooking.", vec![]);
    log.push(EventKind::ImpactEnded {});
    log.push(EventKind::Resolved {
        summary: String::new(),
    });
    log.send(
        Audience::External,
        "SEV2 – Payments slow: restored\nAll good.",
        vec![],
    );
    assert_eq!(
        log.view().unwrap().title_in(Lang::En).text,
        "Payments slow: restored"
    );
    log.push(EventKind::Reopened {
        reason: "back again".into(),
    });
    let view = log.view().unwrap();
    assert_eq!(view.status, PublicStatus::Ongoing);
    assert_eq!(view.title_in(Lang::En).text, "Payments slow");
}

#[test]
fn ongoing_come_first_by_severity_then_resolved_latest_first() {
    let at = Utc.with_ymd_and_hms(2026, 11, 26, 21, 0, 0).unwrap();
    let one = |status, severity, minutes: i64| PublicIncident {
        id: Uuid::now_v7(),
        status,
        severity,
        title: vec![],
        started_at: None,
        resolved_at: (status == PublicStatus::Resolved).then(|| at + Duration::minutes(minutes)),
        updated_at: at + Duration::minutes(minutes),
        updates: vec![],
    };
    let mut list = vec![
        one(PublicStatus::Resolved, 1, 10),
        one(PublicStatus::Ongoing, 3, 50),
        one(PublicStatus::Resolved, 3, 40),
        one(PublicStatus::Ongoing, 1, 5),
    ];
    let ids: Vec<Uuid> = [3, 1, 2, 0].iter().map(|&i| list[i].id).collect();
    order(&mut list);
    assert_eq!(list.iter().map(|i| i.id).collect::<Vec<_>>(), ids);
}
