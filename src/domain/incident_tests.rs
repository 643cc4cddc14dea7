//! Tests of `incident`.

use super::*;
use crate::domain::event::{HandoverBrief, Outcome};
use chrono::TimeZone;

struct Log {
    incident: Uuid,
    events: Vec<Event>,
    now: DateTime<Utc>,
}

impl Log {
    fn new() -> Self {
        Log {
            incident: Uuid::now_v7(),
            events: Vec::new(),
            now: Utc.with_ymd_and_hms(2026, 11, 26, 21, 0, 0).unwrap(),
        }
    }

    fn push(&mut self, author: &str, kind: EventKind) -> Uuid {
        self.now += Duration::minutes(1);
        let id = Uuid::now_v7();
        self.events.push(Event {
            id,
            incident: self.incident,
            seq: Some(self.events.len() as i64 + 1),
            at: self.now,
            recorded_at: Some(self.now),
            author: author.into(),
            persona: None,
            kind,
        });
        id
    }

    fn state(&self) -> Incident {
        Incident::fold(self.incident, &self.events)
    }
}

fn declared() -> Log {
    let mut log = Log::new();
    log.push(
        "ana",
        EventKind::IncidentDeclared {
            title: "Checkout errors".into(),
            severity: Severity::MAJOR,
            summary: "5xx on checkout".into(),
            drill: false,
            restricted: false,
        },
    );
    log
}

#[test]
fn the_declarer_commands_and_holds_every_role() {
    let log = declared();
    let s = log.state();
    assert_eq!(s.commander(), Some("ana"));
    for role in Role::ALL {
        assert_eq!(s.roster.holder(role), Some("ana"), "{role}");
    }
    assert!(s.responders["ana"].is_present());
}

#[test]
fn delegation_handover_and_departure() {
    let mut log = declared();
    log.push(
        "ana",
        EventKind::RoleAssigned {
            role: Role::Cl,
            handle: "bo".into(),
        },
    );
    log.push(
        "ana",
        EventKind::CommandHandedOver {
            to: "cy".into(),
            brief: HandoverBrief {
                current_state: "stable".into(),
                next_steps: vec!["watch".into()],
                people: vec!["ana".into(), "bo".into()],
            },
        },
    );
    log.push(
        "bo",
        EventKind::ResponderLeft {
            handle: "bo".into(),
        },
    );
    let s = log.state();
    assert_eq!(s.commander(), Some("cy"));
    assert_eq!(s.summary.commander.as_deref(), Some("cy"));
    assert_eq!(
        s.roster.holder(Role::Cl),
        Some("cy"),
        "CL falls back to the IC"
    );
    assert_eq!(s.roster.handovers.len(), 1);
    assert!(!s.responders["bo"].is_present());
}

#[test]
fn experiments_move_the_theories_they_test() {
    let mut log = declared();
    let t1 = log.push(
        "ana",
        EventKind::Theory {
            text: "bad deploy".into(),
        },
    );
    let t2 = log.push(
        "ana",
        EventKind::Theory {
            text: "db full".into(),
        },
    );
    let e = log.push(
        "ana",
        EventKind::Experiment {
            plan: "roll back".into(),
            tests: vec![t1],
        },
    );
    assert!(
        log.state()
            .check(
                "ana",
                log.now,
                &EventKind::Experiment {
                    plan: "x".into(),
                    tests: vec![Uuid::nil()],
                }
            )
            .is_err()
    );
    log.push(
        "ana",
        EventKind::ExperimentOutcome {
            experiment: e,
            outcome: Some(Outcome::Supports),
            verdicts: Vec::new(),
            notes: "errors stopped".into(),
        },
    );
    let s = log.state();
    assert_eq!(s.board.theory(t1).unwrap().status, TheoryStatus::Supported);
    assert_eq!(s.board.theory(t2).unwrap().status, TheoryStatus::Open);
    assert_eq!(s.board.running_experiments().count(), 0);
}

#[test]
fn corrections_replace_times_and_ttd_ttr_follow() {
    let mut log = declared();
    log.now = Utc.with_ymd_and_hms(2026, 11, 26, 20, 0, 0).unwrap();
    log.push("ana", EventKind::ImpactStarted {});
    log.push("ana", EventKind::Detected {});
    log.now = Utc.with_ymd_and_hms(2026, 11, 26, 19, 30, 0).unwrap();
    log.push("ana", EventKind::ImpactStarted {});
    let s = log.state();
    assert_eq!(s.ttd(), Some(Duration::minutes(31)));
    assert_eq!(s.impact.corrections, 1);
    assert_eq!(s.ttr(), None);
}

#[test]
fn nonsense_is_ignored_and_unknown_kinds_counted() {
    let mut log = declared();
    log.push(
        "ana",
        EventKind::ExperimentOutcome {
            experiment: Uuid::nil(),
            outcome: Some(Outcome::Refutes),
            verdicts: Vec::new(),
            notes: String::new(),
        },
    );
    log.push(
        "ana",
        EventKind::Unknown {
            kind: "pager_escalated".into(),
            fields: Default::default(),
        },
    );
    let s = log.state();
    assert_eq!(s.ignored_events, 1);
    assert_eq!(s.unknown_events, 1);
    assert_eq!(s.summary.event_count, 3);
}

#[test]
fn resolving_needs_end_of_impact_and_closing_a_major_needs_a_po() {
    let mut log = declared();
    let s = log.state();
    let err = s.check(
        "ana",
        log.now,
        &EventKind::Resolved {
            summary: String::new(),
        },
    );
    assert!(err.unwrap_err().message.contains("end of impact"));
    log.push("ana", EventKind::ImpactStarted {});
    log.push("ana", EventKind::ImpactEnded {});
    log.push(
        "ana",
        EventKind::Resolved {
            summary: String::new(),
        },
    );
    let closed = EventKind::Closed {
        reason: String::new(),
    };
    assert!(
        log.state()
            .check("ana", log.now, &closed)
            .unwrap_err()
            .message
            .contains("Postmortem Owner")
    );
    log.push(
        "ana",
        EventKind::RoleAssigned {
            role: Role::Po,
            handle: "di".into(),
        },
    );
    assert!(log.state().check("ana", log.now, &closed).is_ok());
}

#[test]
fn only_the_commander_decides_change_requests() {
    let mut log = declared();
    let req = log.push(
        "bo",
        EventKind::ChangeRequested {
            description: "restart db".into(),
        },
    );
    let decide = EventKind::ChangeDecided {
        request: req,
        approved: true,
        reason: String::new(),
    };
    let s = log.state();
    assert_eq!(s.pending_change_requests().count(), 1);
    assert!(s.check("bo", log.now, &decide).is_err());
    assert!(s.check("ana", log.now, &decide).is_ok());
}

#[test]
fn a_writer_joins_when_they_acted_not_when_the_server_heard() {
    let mut log = declared();
    log.push(
        "kim",
        EventKind::Note {
            text: "on it".into(),
        },
    );
    // Recorded an hour after the fact (a client that was offline, or a seeded demo).
    for e in &mut log.events {
        e.recorded_at = Some(e.at + Duration::hours(1));
    }
    let s = log.state();
    let kim = &s.responders["kim"];
    assert_eq!(kim.joined_at, log.events[1].at);
    assert_eq!(s.responders["ana"].joined_at, log.events[0].at);
    assert_eq!(
        kim.time_on_duty(log.now + Duration::minutes(10)),
        Duration::minutes(10)
    );
}

#[test]
fn duty_clocks_add_up_stretches() {
    let mut log = declared();
    let start = log.now;
    log.push(
        "ana",
        EventKind::DutyEnded {
            handle: "ana".into(),
        },
    );
    log.now += Duration::minutes(58);
    log.push(
        "ana",
        EventKind::DutyStarted {
            handle: "ana".into(),
        },
    );
    let s = log.state();
    let r = &s.responders["ana"];
    let now = log.now + Duration::minutes(10);
    // One minute on duty, then a break, then ten minutes more.
    assert_eq!(
        r.time_on_duty(now),
        Duration::minutes(1) + Duration::minutes(10)
    );
    assert!(r.joined_at <= start);
}

#[test]
fn internal_and_external_updates_owe_their_own_next_update_until_resolved() {
    use crate::domain::event::Audience;
    let mut log = declared();
    let sent = |audience, due| EventKind::CommsSent {
        audience,
        text: "update".into(),
        checklist: ChecklistResult::default(),
        override_reason: None,
        next_update_due: Some(due),
        lang: None,
        versions: Vec::new(),
    };
    let internal_due = log.now + Duration::minutes(30);
    let external_due = log.now + Duration::minutes(60);
    log.push("ana", sent(Audience::Internal, internal_due));
    log.push("ana", sent(Audience::External, external_due));
    let s = log.state();
    // The external update does not replace the internal promise.
    assert_eq!(
        s.next_update_due_for(Audience::Internal),
        Some(internal_due)
    );
    assert_eq!(
        s.next_update_due_for(Audience::External),
        Some(external_due)
    );
    assert_eq!(s.next_update_due(), Some(internal_due), "the soonest");
    assert_eq!(
        s.next_updates(),
        vec![
            (Audience::Internal, internal_due),
            (Audience::External, external_due)
        ]
    );
    log.push("ana", EventKind::ImpactEnded {});
    log.push(
        "ana",
        EventKind::Resolved {
            summary: String::new(),
        },
    );
    let s = log.state();
    assert_eq!(s.next_updates(), vec![], "resolving stops the countdowns");
    assert_eq!(s.next_update_due(), None);
}

fn theories_and_experiment(log: &mut Log) -> (Uuid, Uuid, Uuid) {
    let t1 = log.push(
        "ana",
        EventKind::Theory {
            text: "bad deploy".into(),
        },
    );
    let t2 = log.push(
        "ana",
        EventKind::Theory {
            text: "pool exhausted".into(),
        },
    );
    let e = log.push(
        "ana",
        EventKind::Experiment {
            plan: "roll back pay-3".into(),
            tests: vec![t1, t2],
        },
    );
    (t1, t2, e)
}

#[test]
fn each_theory_moves_with_its_own_verdict() {
    use crate::domain::event::Verdict;
    let mut log = declared();
    let (t1, t2, e) = theories_and_experiment(&mut log);
    log.push(
        "ana",
        EventKind::ExperimentOutcome {
            experiment: e,
            outcome: None,
            verdicts: vec![
                Verdict {
                    theory: t1,
                    outcome: Outcome::Refutes,
                },
                Verdict {
                    theory: t2,
                    outcome: Outcome::Supports,
                },
            ],
            notes: "old release fails the same".into(),
        },
    );
    let s = log.state();
    assert_eq!(s.board.theory(t1).unwrap().status, TheoryStatus::Refuted);
    assert_eq!(s.board.theory(t2).unwrap().status, TheoryStatus::Supported);
    let exp = s.board.experiment(e).unwrap();
    assert!(!exp.is_running());
    assert_eq!(
        s.board.result_of(exp).as_deref(),
        Some("refutes T1, supports T2")
    );
    let outcome = log.events.last().unwrap();
    let line = crate::domain::describe::text_in(&s, outcome);
    assert!(line.starts_with("E1: refutes T1, supports T2"), "{line}");
}

#[test]
fn an_old_single_outcome_on_several_theories_moves_none_and_says_so() {
    let mut log = declared();
    let (t1, t2, e) = theories_and_experiment(&mut log);
    // As recorded before per-theory verdicts existed: one outcome for the experiment.
    log.push(
        "ana",
        EventKind::ExperimentOutcome {
            experiment: e,
            outcome: Some(Outcome::Supports),
            verdicts: Vec::new(),
            notes: String::new(),
        },
    );
    let s = log.state();
    assert_eq!(s.board.theory(t1).unwrap().status, TheoryStatus::Open);
    assert_eq!(s.board.theory(t2).unwrap().status, TheoryStatus::Open);
    let exp = s.board.experiment(e).unwrap();
    assert_eq!(exp.verdict_on(t1), Some(Outcome::Inconclusive));
    let result = s.board.result_of(exp).unwrap();
    assert!(
        result.contains("outcome recorded before per-theory verdicts"),
        "{result}"
    );
    let report = crate::domain::postmortem::report(&s, &log.events, log.now);
    assert!(
        report.contains("outcome recorded before per-theory verdicts"),
        "{report}"
    );
    assert!(!report.contains("SUPPORTED"), "{report}");
}

#[test]
fn verdicts_are_read_from_what_a_person_types() {
    use crate::domain::board::parse_verdicts;
    let mut log = declared();
    let (t1, t2, e) = theories_and_experiment(&mut log);
    let s = log.state();
    let exp = s.board.experiment(e).unwrap();
    let (single, v) = parse_verdicts(&s.board, exp, "t1=s, T2=refutes").unwrap();
    assert_eq!(single, None);
    assert_eq!(
        v.iter().map(|v| (v.theory, v.outcome)).collect::<Vec<_>>(),
        vec![(t1, Outcome::Supports), (t2, Outcome::Refutes)]
    );
    let missing = parse_verdicts(&s.board, exp, "T1=supports").unwrap_err();
    assert!(missing.contains("no verdict for T2"), "{missing}");
    let bare = parse_verdicts(&s.board, exp, "supports").unwrap_err();
    assert!(bare.contains("T1=… T2=…"), "{bare}");
    let typo = parse_verdicts(&s.board, exp, "T1=maybe T2=s").unwrap_err();
    assert!(typo.contains("`maybe` is not a verdict"), "{typo}");
    let stranger = parse_verdicts(&s.board, exp, "T9=s").unwrap_err();
    assert!(stranger.contains("T1, T2"), "{stranger}");
}

#[test]
fn an_amended_entry_reads_as_its_latest_text_everywhere() {
    let mut log = declared();
    let note = log.push(
        "bo",
        EventKind::Note {
            text: "bo forgot to drain pay-3 first".into(),
        },
    );
    let theory = log.push(
        "bo",
        EventKind::Theory {
            text: "the pool is to blame".into(),
        },
    );
    let s = log.state();
    let blocking = |s: &Incident, events: &[Event]| {
        crate::domain::postmortem::blame_check(s, events)
            .iter()
            .filter(|f| f.blocking)
            .count()
    };
    assert_eq!(blocking(&s, &log.events), 2);
    log.push(
        "bo",
        EventKind::Amended {
            event: note,
            text: "pay-3 was not drained before the deploy: the runbook has no such step".into(),
        },
    );
    log.push(
        "ana",
        EventKind::Amended {
            event: theory,
            text: "the tokeniser pool is exhausted".into(),
        },
    );
    let s = log.state();
    assert_eq!(
        blocking(&s, &log.events),
        0,
        "the advice works: amend, W again"
    );
    assert_eq!(
        s.board.theory(theory).unwrap().text,
        "the tokeniser pool is exhausted"
    );
    let ev = log.events.iter().find(|e| e.id == note).unwrap();
    let line = crate::domain::describe::text_in(&s, ev);
    assert!(
        line.starts_with("[amended] pay-3 was not drained"),
        "{line}"
    );
    let report = crate::domain::postmortem::report(&s, &log.events, log.now);
    assert!(!report.contains("forgot"), "{report}");
    assert!(report.contains("the runbook has no such step"), "{report}");
}

thread_local! {
    /// Bytes hashed into digests on this thread (`LogDigest::then`).
    pub(super) static HASHED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// A declared incident with `notes` notes after the declaration.
fn with_notes(notes: usize) -> Log {
    let mut log = declared();
    for i in 0..notes {
        log.push(
            "ana",
            EventKind::Note {
                text: format!("note {i}"),
            },
        );
    }
    log
}

#[test]
fn the_digest_changes_with_every_event_and_resumes_from_a_stored_state() {
    let log = with_notes(40);
    let full = log.state();
    let mut state = Incident::new(log.incident);
    let mut seen = BTreeSet::new();
    assert!(seen.insert(state.digest()));
    for (i, ev) in log.events.iter().enumerate() {
        state.apply(ev);
        assert!(seen.insert(state.digest()), "a new digest after #{}", i + 1);
        // As a snapshot stores it, then the rest of the log: the full fold's digest.
        let json = serde_json::to_string(&state).unwrap();
        let mut resumed: Incident = serde_json::from_str(&json).unwrap();
        assert_eq!(resumed, state);
        for ev in &log.events[i + 1..] {
            resumed.apply(ev);
        }
        assert_eq!(resumed.digest(), full.digest(), "resumed after #{}", i + 1);
    }
    // The same events in another order, or one seq other, are another log.
    let mut swapped = log.events.clone();
    swapped.swap(3, 4);
    assert_ne!(
        Incident::fold(log.incident, &swapped).digest(),
        full.digest()
    );
    let mut renumbered = log.events.clone();
    renumbered[5].seq = Some(99);
    assert_ne!(
        Incident::fold(log.incident, &renumbered).digest(),
        full.digest()
    );
    // Pending (no seq) is not confirmed.
    let mut pending = log.events.clone();
    pending.last_mut().unwrap().seq = None;
    assert_ne!(
        Incident::fold(log.incident, &pending).digest(),
        full.digest()
    );
    // A digest that is not 64 hex digits is no state.
    let bad = serde_json::to_string(&full)
        .unwrap()
        .replacen(&full.digest(), "zz", 1);
    assert!(serde_json::from_str::<Incident>(&bad).is_err());
}

#[test]
fn a_redaction_keeps_the_digest_of_the_scrubbed_log() {
    let mut log = declared();
    let secret = log.push(
        "ana",
        EventKind::Note {
            text: "the password is hunter2".into(),
        },
    );
    log.push(
        "ana",
        EventKind::EventRedacted {
            event: secret,
            reason: "a password".into(),
        },
    );
    let before = log.state();
    // Every store scrubs the stored copy; every machine folds the scrubbed log.
    let mut scrubbed = log.events.clone();
    scrubbed[1].kind = scrubbed[1].kind.scrubbed().unwrap();
    assert_ne!(scrubbed[1].kind, log.events[1].kind);
    assert_eq!(
        Incident::fold(log.incident, &scrubbed).digest(),
        before.digest()
    );
}

#[test]
fn the_digest_costs_the_same_at_any_length_of_history() {
    let hashed = |notes: usize| {
        let mut log = with_notes(notes);
        let mut state = log.state();
        log.push(
            "ana",
            EventKind::Note {
                text: "one more".into(),
            },
        );
        let next = log.events.last().unwrap().clone();
        HASHED.with(|h| h.set(0));
        state.apply(&next);
        let digest = state.digest();
        assert_eq!(digest.len(), 64);
        HASHED.with(|h| h.get())
    };
    let short = hashed(10);
    assert!(
        short > 0 && short < 128,
        "one link of a fixed size: {short} bytes"
    );
    assert_eq!(hashed(10_000), short, "the same work after 10,000 events");
    // Reading it again hashes nothing.
    let state = with_notes(3).state();
    HASHED.with(|h| h.set(0));
    for _ in 0..10 {
        state.digest();
    }
    assert_eq!(HASHED.with(|h| h.get()), 0);
}
