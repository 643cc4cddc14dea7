//! The fold: how fast an incident's state is rebuilt from its log.
//!
//! A long incident's log, 100,000 events: mostly notes and observations, with theories,
//! experiments and their outcomes, role changes, responders joining and leaving, comms and
//! impact times among them. The goal is at least 2 million events a second, so that even a
//! very long incident folds in well under a tenth of a second.
//!
//! Run: `cargo bench --bench fold`

// A benchmark stops at the first thing that goes wrong: unwrapping is how it says so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;

use chrono::{DateTime, Duration, TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use uuid::Uuid;
use warroom::domain::Incident;
use warroom::domain::event::{
    Audience, ChecklistResult, Event, EventKind, Outcome, Role, Severity, TheoryStatus,
};

const N: usize = 100_000;

const HANDLES: [&str; 12] = [
    "maya", "tomas", "amira", "lee", "jonas", "priya", "sven", "kofi", "ines", "yuki", "omar",
    "lena",
];

const NOTES: [&str; 4] = [
    "Paged the payments on-call; they are joining the bridge.",
    "Rolled back the 21:10 deploy of checkout-api on one canary host.",
    "Error rate on the canary is unchanged after the rollback.",
    "Vendor status page says all systems operational.",
];

const OBSERVATIONS: [&str; 4] = [
    "Card payment error rate is 38% since about nine minutes ago; wallets unaffected.",
    "p99 latency of the card gateway client went from 180 ms to 2.4 s at 21:31.",
    "Connection pool to the gateway is saturated on every checkout-api host.",
    "Only cards issued in the EU fail; US cards go through.",
];

/// Builds a realistic log for one incident, deterministic so every run folds the same.
fn build_log(incident: Uuid, n: usize) -> Vec<Event> {
    let start: DateTime<Utc> = Utc.with_ymd_and_hms(2026, 11, 26, 21, 0, 0).unwrap();
    let mut events = Vec::with_capacity(n);
    let mut theories: Vec<Uuid> = Vec::new();
    let mut running: Vec<Uuid> = Vec::new();
    let push = |events: &mut Vec<Event>, author: &str, kind: EventKind| -> Uuid {
        let seq = events.len() as i64 + 1;
        let at = start + Duration::seconds(seq);
        let id = if seq == 1 { incident } else { Uuid::now_v7() };
        events.push(Event {
            id,
            incident,
            seq: Some(seq),
            at,
            recorded_at: Some(at + Duration::milliseconds(40)),
            author: author.to_string(),
            persona: None,
            kind,
        });
        id
    };
    push(
        &mut events,
        HANDLES[0],
        EventKind::IncidentDeclared {
            title: "Card payments failing at checkout".into(),
            severity: Severity::MAJOR,
            summary: "Roughly a third of card payments fail at checkout.".into(),
            drill: false,
            restricted: false,
        },
    );
    let mut i = 0usize;
    while events.len() < n {
        i += 1;
        let author = HANDLES[i % HANDLES.len()];
        let other = HANDLES[(i / 7) % HANDLES.len()];
        // Out of every 200 events: 110 notes, 60 observations, and a few of the rest.
        let kind = match i % 200 {
            0..=109 => EventKind::Note {
                text: NOTES[i % NOTES.len()].into(),
            },
            110..=169 => EventKind::Observation {
                text: OBSERVATIONS[i % OBSERVATIONS.len()].into(),
                from_event: None,
            },
            170..=173 => EventKind::Theory {
                text: "The gateway's TLS certificate rotation broke EU card routing.".into(),
            },
            174..=175 => EventKind::Experiment {
                plan: "Route EU cards through the secondary gateway for five minutes.".into(),
                tests: theories.iter().rev().take(2).copied().collect(),
            },
            176..=177 => match running.pop() {
                Some(experiment) => EventKind::ExperimentOutcome {
                    experiment,
                    outcome: Some(if i.is_multiple_of(3) {
                        Outcome::Refutes
                    } else {
                        Outcome::Supports
                    }),
                    verdicts: Vec::new(),
                    notes: "Errors stopped on the secondary gateway.".into(),
                },
                None => EventKind::Note {
                    text: NOTES[0].into(),
                },
            },
            178 => match theories.last() {
                Some(&theory) => EventKind::TheoryStatusChanged {
                    theory,
                    status: TheoryStatus::Refuted,
                    reason: "Certificates were not rotated this week.".into(),
                },
                None => EventKind::Note {
                    text: NOTES[1].into(),
                },
            },
            179..=184 => EventKind::ResponderJoined {
                handle: other.into(),
                skills: vec!["payments".into(), "postgres".into()],
            },
            185..=186 => EventKind::ResponderLeft {
                handle: other.into(),
            },
            187..=189 => EventKind::RoleAssigned {
                role: [Role::Cl, Role::Ol, Role::Pl, Role::Po][i % 4],
                handle: other.into(),
            },
            190 => EventKind::RoleReleased {
                role: [Role::Cl, Role::Ol, Role::Pl, Role::Po][i % 4],
            },
            191..=192 => EventKind::DutyEnded {
                handle: author.into(),
            },
            193..=194 => EventKind::DutyStarted {
                handle: author.into(),
            },
            195 => EventKind::CommsSent {
                audience: Audience::External,
                text: "We are investigating failed card payments at checkout.".into(),
                checklist: ChecklistResult {
                    passed: vec!["impact".into(), "next update".into()],
                    failed: vec![],
                },
                override_reason: None,
                next_update_due: Some(start + Duration::seconds(i as i64 + 1800)),
                lang: None,
                versions: Vec::new(),
            },
            196 => EventKind::ChangeRequested {
                description: "Fail EU card traffic over to the secondary gateway.".into(),
            },
            197 => EventKind::ImpactStarted {},
            198 => EventKind::Detected {},
            _ => EventKind::SeverityChanged {
                severity: [Severity::CRITICAL, Severity::MAJOR][i % 2],
                reason: "Impact widened to wallets.".into(),
            },
        };
        let is_theory = matches!(kind, EventKind::Theory { .. });
        let is_experiment = matches!(kind, EventKind::Experiment { .. });
        let id = push(&mut events, author, kind);
        if is_theory {
            theories.push(id);
        }
        if is_experiment {
            running.push(id);
        }
    }
    events
}

fn fold(c: &mut Criterion) {
    let incident = Uuid::now_v7();
    let events = build_log(incident, N);

    // The log is what it claims to be: folding it makes sense of (nearly) every event.
    let state = Incident::fold(incident, &events);
    assert_eq!(state.summary.event_count, N as u64);
    assert!(state.board.observations.len() > N / 4);
    assert!(!state.board.theories.is_empty() && !state.board.experiments.is_empty());
    assert!(
        state.ignored_events < (N / 100) as u64,
        "{}",
        state.ignored_events
    );

    let mut group = c.benchmark_group("fold");
    group.throughput(Throughput::Elements(N as u64));
    group.sample_size(20);
    group.measurement_time(std::time::Duration::from_secs(5));
    // The state is dropped inside the timing too: a console folds, shows, and lets go.
    group.bench_function("100k_mixed_events", |b| {
        b.iter(|| Incident::fold(black_box(incident), black_box(&events)))
    });
    group.finish();
}

criterion_group!(benches, fold);
criterion_main!(benches);
