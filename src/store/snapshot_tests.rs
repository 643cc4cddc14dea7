//! Tests of `snapshot` on SQLite (the PostgreSQL ones are in tests/postgres.rs).

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rusqlite::params;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::*;
use crate::clock::{Clock, ManualClock};
use crate::domain::event::{
    Audience, ChecklistResult, EventKind, HandoverBrief, Outcome, PrivacyAssessment, Role,
    Severity, TheoryStatus,
};
use crate::store::{NewEvent, SqliteStore};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 21, 0, 0).unwrap()
}

fn store(path: &std::path::Path) -> SqliteStore {
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(t0() + Duration::days(1)));
    SqliteStore::open(path, clock).unwrap()
}

/// A log touching every list of the state: `n` events by whom, deterministic (ids and
/// times from the position), each valid in the state before it. The first 24 hold the
/// rare acts (a handover and back, a redaction, privacy steps); then a cycle of the
/// common ones.
fn rich_log(incident: Uuid, n: usize) -> Vec<(&'static str, NewEvent)> {
    let mut out: Vec<(&'static str, NewEvent)> = Vec::with_capacity(n);
    let id = |i: usize| Uuid::from_u128(incident.as_u128() ^ ((i as u128 + 1) << 20));
    let push = |out: &mut Vec<(&'static str, NewEvent)>, who: &'static str, kind| {
        let i = out.len();
        out.push((
            who,
            NewEvent {
                id: if i == 0 { incident } else { id(i) },
                at: t0() + Duration::seconds(i as i64),
                persona: None,
                kind,
            },
        ));
    };
    push(
        &mut out,
        "ana",
        EventKind::IncidentDeclared {
            title: "Checkout errors".into(),
            severity: Severity::MAJOR,
            summary: "5xx on checkout".into(),
            drill: false,
            restricted: false,
        },
    );
    let text = |i: usize| format!("entry {i}: the pool is saturated on pay-3");
    let joins = [
        EventKind::ResponderJoined {
            handle: "bo".into(),
            skills: vec!["payments".into()],
        },
        EventKind::ImpactStarted {},
        EventKind::Detected {},
        EventKind::RoleAssigned {
            role: Role::Ol,
            handle: "bo".into(),
        },
        EventKind::PrivacyAssessed {
            assessment: PrivacyAssessment::PossibleBreach,
            notes: "card numbers in a log line".into(),
        },
        EventKind::PrivacyStepDone {
            step: 1,
            note: "contained".into(),
        },
        EventKind::AwakeSince {
            handle: "ana".into(),
            since: t0() - Duration::hours(3),
        },
    ];
    for kind in joins {
        push(&mut out, "ana", kind);
    }
    push(&mut out, "ana", EventKind::Note { text: text(8) });
    push(
        &mut out,
        "ana",
        EventKind::EventRedacted {
            event: id(8),
            reason: "a card number".into(),
        },
    );
    push(
        &mut out,
        "ana",
        EventKind::CommandHandedOver {
            to: "bo".into(),
            brief: HandoverBrief {
                current_state: "pool saturated".into(),
                next_steps: vec!["raise the pool".into()],
                people: vec!["ana".into()],
            },
        },
    );
    push(
        &mut out,
        "bo",
        EventKind::CommandHandedOver {
            to: "ana".into(),
            brief: HandoverBrief::default(),
        },
    );
    push(
        &mut out,
        "bo",
        EventKind::CommandRequested {
            reason: "I know the pool".into(),
        },
    );
    push(
        &mut out,
        "ana",
        EventKind::CommandRequestDecided {
            request: id(12),
            accepted: false,
            reason: "not now".into(),
        },
    );
    push(
        &mut out,
        "ana",
        EventKind::ActionItemAdded {
            text: "alert on pool saturation".into(),
            owner_role: Role::Ol,
            due: NaiveDate::from_ymd_opt(2027, 1, 15).unwrap(),
        },
    );
    push(&mut out, "ana", EventKind::ActionItemDone { item: id(14) });
    push(
        &mut out,
        "ana",
        EventKind::KnownErrorLinked {
            known_error: "KE-7".into(),
            title: "tokeniser pool".into(),
        },
    );
    push(
        &mut out,
        "ana",
        EventKind::HealthCheck {
            summary: "tired but fine".into(),
        },
    );
    // The cycle starts at a multiple of its length.
    while out.len() < 24.min(n) {
        let i = out.len();
        push(&mut out, "ana", EventKind::Note { text: text(i) });
    }
    while out.len() < n {
        let i = out.len();
        let who = if i.is_multiple_of(12) { "bo" } else { "ana" };
        let kind = match i % 12 {
            0 => EventKind::Note { text: text(i) },
            1 => EventKind::Observation {
                text: text(i),
                from_event: None,
            },
            2 => EventKind::Theory { text: text(i) },
            3 => EventKind::Experiment {
                plan: text(i),
                tests: vec![id(i - 1)],
            },
            4 => EventKind::ExperimentOutcome {
                experiment: id(i - 1),
                outcome: Some(Outcome::Supports),
                verdicts: vec![],
                notes: text(i),
            },
            5 => EventKind::TheoryStatusChanged {
                theory: id(i - 3),
                status: TheoryStatus::Supported,
                reason: text(i),
            },
            6 => EventKind::ChangeRequested {
                description: text(i),
            },
            7 => EventKind::ChangeDecided {
                request: id(i - 1),
                approved: i.is_multiple_of(2),
                reason: text(i),
            },
            8 => EventKind::CommsSent {
                audience: if i % 24 == 8 {
                    Audience::Internal
                } else {
                    Audience::External
                },
                text: text(i),
                checklist: ChecklistResult::default(),
                override_reason: Some("drill".into()),
                next_update_due: Some(t0() + Duration::seconds(i as i64 + 1800)),
                lang: None,
                versions: Vec::new(),
            },
            9 => EventKind::Amended {
                event: id(i - 9),
                text: text(i),
            },
            10 => EventKind::Note { text: text(i) },
            _ => EventKind::Observation {
                text: text(i),
                from_event: Some(id(i - 1)),
            },
        };
        // Decisions and updates are the commander's.
        let who = match kind {
            EventKind::ChangeDecided { .. } | EventKind::CommsSent { .. } => "ana",
            EventKind::Amended { .. } => "ana",
            _ => who,
        };
        push(&mut out, who, kind);
    }
    out
}

/// Appends `log` to `store`, consecutive events of one author in one batch.
fn append_all(store: &SqliteStore, incident: Uuid, log: &[(&'static str, NewEvent)]) {
    let mut start = 0;
    while start < log.len() {
        let who = log[start].0;
        let end = (start..log.len())
            .find(|&i| log[i].0 != who || i - start == 400)
            .unwrap_or(log.len());
        let batch: Vec<NewEvent> = log[start..end].iter().map(|(_, e)| e.clone()).collect();
        store
            .append_blocking(incident, who, batch)
            .unwrap_or_else(|e| panic!("events {start}..{end} by {who}: {e}"));
        start = end;
    }
}

fn stored(store: &SqliteStore, incident: Uuid) -> Option<Stored> {
    store.read(|c| load_in(c, incident)).unwrap()
}

fn full_fold(store: &SqliteStore, incident: Uuid) -> Incident {
    Incident::fold(incident, &store.all_events(incident).unwrap())
}

fn resumed(store: &SqliteStore, incident: Uuid) -> Loaded {
    store.read(|c| fold_in(c, incident)).unwrap()
}

/// The state a snapshot holds is this format's: any change to what the fold makes of a
/// log (a field added or renamed, an event folded differently) changes the hash of its
/// JSON, and any change to how the digest chains the log changes the digest; then
/// `STATE_FORMAT` (`domain/incident.rs`, which `FORMAT` is) must be raised, so that
/// snapshots of the old shape are ignored and no digest of the old fold passes for one of
/// the new.
#[test]
fn the_snapshot_format_names_the_shape_of_the_state() {
    const SHAPE: (i64, &str, &str) = (
        3,
        "003fe9136875ecfb6dcf3cf03d6058d69ebcf3dbc9c417c07fc01b01eb09c8e7",
        "b53b892322eef6358f71cb39f15159ec5e2f5f74e05fa45288cb458bc9a60288",
    );
    let incident = Uuid::from_u128(0x0190_d5a0_0000_7000_8000_0000_0000_0002);
    let events: Vec<Event> = rich_log(incident, 60)
        .into_iter()
        .enumerate()
        .map(|(i, (who, e))| Event {
            id: e.id,
            incident,
            seq: Some(i as i64 + 1),
            at: e.at,
            recorded_at: Some(e.at),
            author: who.to_string(),
            persona: None,
            kind: e.kind,
        })
        .collect();
    let state = Incident::fold(incident, &events);
    // The shape: the state's JSON without the digest, which names the format itself.
    let mut json = serde_json::to_value(&state).unwrap();
    let digest = json
        .as_object_mut()
        .and_then(|m| m.remove("digest"))
        .expect("the state holds its digest");
    assert_eq!(digest, state.digest().as_str());
    let shape = hex::encode(Sha256::digest(serde_json::to_vec(&json).unwrap()));
    assert_eq!(
        (FORMAT, shape.as_str()),
        (SHAPE.0, SHAPE.1),
        "the state's shape changed: raise STATE_FORMAT in domain/incident.rs, and set SHAPE \
         here to ({}, \"{shape}\", and the digest this test then prints)",
        FORMAT + i64::from(SHAPE.1 != shape)
    );
    assert_eq!(
        state.digest(),
        SHAPE.2,
        "the digest of this log changed: if the fold's format changed, set SHAPE's digest \
         to it; if only the chain did, raise STATE_FORMAT too"
    );
}

#[test]
fn appends_save_snapshots_and_a_state_resumed_from_one_is_the_full_fold() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.db");
    let incident = Uuid::from_u128(0x0190_d5a0_0000_7000_8000_0000_0000_0003);
    let s = store(&path);
    append_all(&s, incident, &rich_log(incident, 2_600));
    let snap = stored(&s, incident).expect("a snapshot was saved on the way");
    assert!(
        snap.seq >= 2_000 && snap.seq < 2_600,
        "the latest snapshot is at #{}",
        snap.seq
    );
    drop(s);

    // A new opening (a restart) keeps nothing in memory: it starts from the snapshot.
    let s = store(&path);
    let loaded = resumed(&s, incident);
    assert_eq!(loaded.folded.snapshot_seq, snap.seq);
    assert_eq!(
        loaded.read.len() as i64,
        2_600 - snap.seq,
        "only the tail is read"
    );
    let full = full_fold(&s, incident);
    assert_eq!(*loaded.folded.state, full);
    let served = s.state_blocking(incident).unwrap().expect("the state");
    assert_eq!(*served.state, full);
    assert_eq!(served.digest, full.digest());

    // From a snapshot at any point, the same state and digest.
    let events = s.all_events(incident).unwrap();
    for at in [1, 2, 9, 10, 17, 18, 333, 1_999, 2_599, 2_600] {
        let state = Incident::fold(incident, &events[..at]);
        let json = encode(&state).unwrap();
        s.write_blocking(move |c| {
            c.execute("DELETE FROM snapshots", [])
                .map_err(StoreError::db)?;
            save_in(
                c,
                incident,
                at as i64,
                events_id(c, incident, at as i64),
                &json,
            )
        })
        .map(|saved| assert_eq!(saved, at >= REDACTED, "saved at #{at}"))
        .unwrap();
        let loaded = resumed(&s, incident);
        // Before the log's redaction, a snapshot is never saved (nor used).
        let from = if at >= REDACTED { at as i64 } else { 0 };
        assert_eq!(loaded.folded.snapshot_seq, from, "resumed from #{at}");
        assert_eq!(*loaded.folded.state, full, "from #{at}");
        assert_eq!(loaded.folded.state.digest(), full.digest(), "from #{at}");
    }
}

/// The seq of the redaction in [`rich_log`].
const REDACTED: usize = 10;

fn events_id(c: &Connection, incident: Uuid, seq: i64) -> Uuid {
    let id: String = c
        .query_row(
            "SELECT id FROM events WHERE incident = ?1 AND seq = ?2",
            params![incident.to_string(), seq],
            |r| r.get(0),
        )
        .unwrap();
    Uuid::parse_str(&id).unwrap()
}

#[test]
fn a_snapshot_of_another_format_or_version_or_unreadable_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let incident = Uuid::from_u128(0x0190_d5a0_0000_7000_8000_0000_0000_0004);
    let s = store(&dir.path().join("w.db"));
    append_all(&s, incident, &rich_log(incident, 1_300));
    let snap = stored(&s, incident).expect("a snapshot");
    let full = full_fold(&s, incident);
    let set = |sql: &'static str, value: String| {
        s.write_blocking(move |c| c.execute(sql, [value]).map_err(StoreError::db))
            .unwrap();
    };

    // Read and used as it is: a state it holds is what the fold starts from.
    let mut marked: serde_json::Value = serde_json::from_str(&snap.state).unwrap();
    marked["notes"] = 1_000_000.into();
    set("UPDATE snapshots SET state = ?1", marked.to_string());
    let loaded = resumed(&s, incident);
    assert_eq!(loaded.folded.snapshot_seq, snap.seq);
    assert!(
        loaded.folded.state.notes > 1_000_000,
        "the snapshot was used"
    );

    // Another format: ignored, the whole log folded.
    set("UPDATE snapshots SET format = ?1", (FORMAT + 1).to_string());
    let loaded = resumed(&s, incident);
    assert_eq!(loaded.folded.snapshot_seq, 0);
    assert_eq!(*loaded.folded.state, full);

    // This format, another version of warroom: ignored too.
    set("UPDATE snapshots SET format = ?1", FORMAT.to_string());
    set("UPDATE snapshots SET version = ?1", "0.0.1-older".into());
    assert_eq!(resumed(&s, incident).folded.snapshot_seq, 0);
    assert_eq!(*resumed(&s, incident).folded.state, full);

    // This format and version, a state that does not parse as one: ignored.
    set("UPDATE snapshots SET version = ?1", VERSION.into());
    set("UPDATE snapshots SET state = ?1", "{\"summary\": 7}".into());
    assert_eq!(resumed(&s, incident).folded.snapshot_seq, 0);
    assert_eq!(*resumed(&s, incident).folded.state, full);

    // A reader (keeping nothing yet) that folded the whole log saves a good one again.
    s.close();
    let s = store(&dir.path().join("w.db"));
    let served = s.state_blocking(incident).unwrap().unwrap();
    assert_eq!(served.digest, full.digest());
    s.close();
    let s = store(&dir.path().join("w.db"));
    let again = stored(&s, incident).expect("saved again");
    assert_eq!((again.seq, again.format), (1_300, FORMAT));
    assert_eq!(resumed(&s, incident).folded.snapshot_seq, 1_300);
}

#[test]
fn a_redaction_replaces_the_snapshot_and_a_snapshot_before_one_is_never_used() {
    let dir = tempfile::tempdir().unwrap();
    let incident = Uuid::from_u128(0x0190_d5a0_0000_7000_8000_0000_0000_0005);
    let s = store(&dir.path().join("w.db"));
    let log = rich_log(incident, 1_200);
    append_all(&s, incident, &log);
    let before = stored(&s, incident).expect("a snapshot");
    // An observation's text is in the snapshot; the IC redacts it.
    let (target, secret) = log[..before.seq as usize]
        .iter()
        .rev()
        .find_map(|(_, e)| match &e.kind {
            EventKind::Observation { text, .. } => Some((e.id, text.clone())),
            _ => None,
        })
        .unwrap();
    let target_seq = log.iter().position(|(_, e)| e.id == target).unwrap() as i64 + 1;
    assert!(target_seq <= before.seq && before.state.contains(&secret));
    let redaction = NewEvent {
        id: Uuid::from_u128(incident.as_u128() ^ (1 << 90)),
        at: t0() + Duration::hours(2),
        persona: None,
        kind: EventKind::EventRedacted {
            event: target,
            reason: "a secret".into(),
        },
    };
    s.append_blocking(incident, "ana", vec![redaction]).unwrap();
    let after = stored(&s, incident).expect("replaced");
    assert_eq!(after.seq, 1_201, "saved with the redaction");
    assert!(
        !after.state.contains(&secret),
        "the old text is gone from it"
    );
    assert_eq!(*resumed(&s, incident).folded.state, full_fold(&s, incident));

    // A snapshot from before the redaction is not saved, and if it were there it would
    // not be used: the events after it rewrote one it folded.
    let old_json = before.state.clone();
    let saved = s
        .write_blocking(move |c| save_in(c, incident, before.seq, before.last_id, &old_json))
        .unwrap();
    assert!(!saved, "a state folded before a redaction is not saved");
    let (seq, last_id, old_json) = (before.seq, before.last_id, before.state.clone());
    s.write_blocking(move |c| {
        c.execute(
            "UPDATE snapshots SET seq = ?1, last_id = ?2, state = ?3",
            params![seq, last_id.to_string(), old_json],
        )
        .map_err(StoreError::db)
    })
    .unwrap();
    let loaded = resumed(&s, incident);
    assert_eq!(
        loaded.folded.snapshot_seq, 0,
        "not resumed from before the redaction"
    );
    assert_eq!(*loaded.folded.state, full_fold(&s, incident));
}

#[test]
fn a_replica_drops_its_snapshot_when_a_redaction_arrives() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let incident = Uuid::from_u128(0x0190_d5a0_0000_7000_8000_0000_0000_0006);
    // The server's log, then a replica pulling it.
    let server = store(&dir.path().join("server.db"));
    append_all(&server, incident, &rich_log(incident, 1_100));
    let replica = store(&dir.path().join("replica.db"));
    let events = server.all_events(incident).unwrap();
    rt.block_on(replica.mirror(incident, events.clone()))
        .unwrap();
    let state = replica.folded_blocking(incident).unwrap();
    assert_eq!(*state, full_fold(&server, incident));
    replica.close();
    let replica = store(&dir.path().join("replica.db"));
    assert_eq!(
        stored(&replica, incident).map(|s| s.seq),
        Some(1_100),
        "the reader that folded the whole log saved it"
    );

    let note = events
        .iter()
        .find(|e| matches!(e.kind, EventKind::Note { .. }) && e.seq > Some(100))
        .unwrap()
        .id;
    let redaction = NewEvent {
        id: Uuid::from_u128(incident.as_u128() ^ (1 << 91)),
        at: t0() + Duration::hours(2),
        persona: None,
        kind: EventKind::EventRedacted {
            event: note,
            reason: "a secret".into(),
        },
    };
    server
        .append_blocking(incident, "ana", vec![redaction])
        .unwrap();
    let tail = server.events_blocking(incident, 1_100, 10).unwrap();
    rt.block_on(replica.mirror(incident, tail)).unwrap();
    assert!(
        stored(&replica, incident).is_none(),
        "dropped with the text it held"
    );
    assert_eq!(
        *replica.folded_blocking(incident).unwrap(),
        full_fold(&server, incident)
    );
}

#[test]
fn a_kept_state_follows_what_another_process_appends() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.db");
    let incident = Uuid::from_u128(0x0190_d5a0_0000_7000_8000_0000_0000_0007);
    let log = rich_log(incident, 700);
    // Two openings of one file, as two processes: one writes, the other serves states.
    let writer = store(&path);
    let reader = store(&path);
    append_all(&writer, incident, &log[..300]);
    let first = reader.state_blocking(incident).unwrap().unwrap();
    assert_eq!(*first.state, full_fold(&writer, incident));
    append_all(&writer, incident, &log[300..]);
    let later = reader.state_blocking(incident).unwrap().unwrap();
    let full = full_fold(&writer, incident);
    assert_eq!(*later.state, full);
    assert_eq!(later.digest, full.digest());
    assert!(
        !Arc::ptr_eq(&first.state, &later.state),
        "the first answer is left as it was"
    );
    assert_eq!(first.state.summary.last_seq, 300);

    // A redaction the other process stored rewrote an event the kept state folded.
    let target = log[1..]
        .iter()
        .find(|(_, e)| matches!(e.kind, EventKind::Observation { .. }))
        .unwrap()
        .1
        .id;
    writer
        .append_blocking(
            incident,
            "ana",
            vec![NewEvent {
                id: Uuid::from_u128(incident.as_u128() ^ (1 << 92)),
                at: t0() + Duration::hours(2),
                persona: None,
                kind: EventKind::EventRedacted {
                    event: target,
                    reason: "a secret".into(),
                },
            }],
        )
        .unwrap();
    let redacted = reader.state_blocking(incident).unwrap().unwrap();
    let full = full_fold(&writer, incident);
    assert_eq!(*redacted.state, full);
    assert_eq!(
        redacted
            .state
            .board
            .observations
            .iter()
            .find(|o| o.id == target)
            .map(|o| o.text.as_str()),
        Some(""),
        "the redacted text is gone from the kept state"
    );
}
