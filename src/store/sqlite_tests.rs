//! Tests of `sqlite`.

use super::*;
use crate::clock::ManualClock;
use crate::domain::event::EventKind;
use crate::domain::event::Severity;
use chrono::TimeZone;

fn clock() -> Arc<dyn Clock> {
    Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 26, 22, 0, 0).unwrap(),
    ))
}

fn declare(id: Uuid, at: DateTime<Utc>) -> NewEvent {
    NewEvent {
        id,
        at,
        persona: None,
        kind: EventKind::IncidentDeclared {
            title: "Checkout errors".into(),
            severity: Severity::MAJOR,
            summary: String::new(),
            drill: false,
            restricted: false,
        },
    }
}

fn note(text: &str, at: DateTime<Utc>) -> NewEvent {
    NewEvent {
        id: Uuid::now_v7(),
        at,
        persona: None,
        kind: EventKind::Note { text: text.into() },
    }
}

#[test]
fn appends_are_idempotent_and_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.db");
    let store = SqliteStore::open(&path, clock()).unwrap();
    let inc = Uuid::now_v7();
    let t = store.now();
    let first = store
        .append_blocking(inc, "ana", vec![declare(inc, t)])
        .unwrap();
    assert_eq!(first[0].seq, 1);
    let n = note("hello", t);
    let a = store.append_blocking(inc, "ana", vec![n.clone()]).unwrap();
    let b = store.append_blocking(inc, "ana", vec![n]).unwrap();
    assert_eq!(a[0].seq, 2);
    assert_eq!(b[0].seq, 2);
    assert!(b[0].duplicate);
    drop(store);

    let store = SqliteStore::open(&path, clock()).unwrap();
    let events = store.all_events(inc).unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(
        events[1].kind,
        EventKind::Note {
            text: "hello".into()
        }
    );
    assert_eq!(events[1].author, "ana");
    let list = store.incidents_blocking().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].last_seq, 2);
    assert_eq!(list[0].commander.as_deref(), Some("ana"));
}

#[test]
fn a_bad_batch_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("w.db"), clock()).unwrap();
    let inc = Uuid::now_v7();
    let t = store.now();
    // A note on an incident nobody declared.
    let err = store
        .append_blocking(inc, "ana", vec![note("x", t)])
        .unwrap_err();
    assert!(matches!(err, StoreError::UnknownIncident(_)));
    // Declared, then declared again in the same batch: the whole batch is refused.
    let err = store
        .append_blocking(
            inc,
            "ana",
            vec![declare(inc, t), declare(Uuid::now_v7(), t)],
        )
        .unwrap_err();
    assert!(err.to_string().contains("already declared"), "{err}");
    assert!(store.incidents_blocking().unwrap().is_empty());
}

#[test]
fn a_file_that_is_not_a_database_is_reported_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.db");
    std::fs::write(&path, vec![b'x'; 4096]).unwrap();
    let err = SqliteStore::open(&path, clock()).err().expect("must fail");
    let text = err.to_string();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{text}");
    assert!(
        text.contains("w.db") && text.contains("not a readable warroom database"),
        "{text}"
    );
    // And the file is left as it was.
    assert_eq!(std::fs::read(&path).unwrap(), vec![b'x'; 4096]);
}

#[test]
fn concurrent_writers_get_unique_contiguous_seqs() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("w.db"), clock()).unwrap();
    let inc = Uuid::now_v7();
    let t = store.now();
    store
        .append_blocking(inc, "ana", vec![declare(inc, t)])
        .unwrap();
    let threads: Vec<_> = (0..8)
        .map(|w| {
            let s = store.clone();
            thread::spawn(move || {
                for i in 0..50 {
                    s.append_blocking(inc, "ana", vec![note(&format!("{w}-{i}"), t)])
                        .unwrap();
                }
            })
        })
        .collect();
    for th in threads {
        th.join().unwrap();
    }
    let seqs: Vec<i64> = store
        .all_events(inc)
        .unwrap()
        .iter()
        .filter_map(|e| e.seq)
        .collect();
    assert_eq!(seqs, (1..=401).collect::<Vec<_>>());
}

#[test]
fn summaries_written_before_attention_existed_are_refolded_on_opening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.db");
    let store = SqliteStore::open(&path, clock()).unwrap();
    let inc = Uuid::now_v7();
    let t = store.now();
    let mut assign = note("-", t);
    assign.kind = EventKind::RoleAssigned {
        role: crate::domain::event::Role::Cl,
        handle: "bo".into(),
    };
    store
        .append_blocking(inc, "ana", vec![declare(inc, t), assign])
        .unwrap();
    let folded = store.incidents_blocking().unwrap().remove(0);
    assert!(!folded.attention.is_empty(), "{folded:?}");
    drop(store);

    // As an older warroom left the file: schema v2, the summary without the new fields.
    let mut old = serde_json::to_value(&folded).unwrap();
    old.as_object_mut().unwrap().remove("attention");
    let conn = Connection::open(&path).unwrap();
    conn.execute("UPDATE incidents SET summary = ?1", [old.to_string()])
        .unwrap();
    conn.pragma_update(None, "user_version", 2).unwrap();
    drop(conn);

    let store = SqliteStore::open(&path, clock()).unwrap();
    assert_eq!(store.incidents_blocking().unwrap(), vec![folded]);
}

#[test]
fn a_commit_watch_sees_commits_from_this_store_and_from_another_opening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.db");
    let store = SqliteStore::open(&path, clock()).unwrap();
    let mut watch = store.watch_commits().unwrap();
    assert!(!watch.changed().unwrap(), "nothing committed yet");

    // Reading commits nothing.
    store.incidents_blocking().unwrap();
    assert!(!watch.changed().unwrap());

    let inc = Uuid::now_v7();
    let t = store.now();
    store
        .append_blocking(inc, "ana", vec![declare(inc, t)])
        .unwrap();
    assert!(watch.changed().unwrap(), "this store's writer committed");
    assert!(!watch.changed().unwrap(), "seen once");

    // Another opening of the file stands for another process: its commits show too.
    let other = SqliteStore::open(&path, clock()).unwrap();
    other
        .append_blocking(inc, "bo", vec![note("from elsewhere", t)])
        .unwrap();
    assert!(watch.changed().unwrap(), "another connection committed");
    assert!(!watch.changed().unwrap());
}
