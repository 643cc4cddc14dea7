//! Catch-up of a long incident by a fresh replica: pages asked for while the page before is
//! written (pipelined), every event once and in seq order; also when the server goes away
//! between two pages and comes back, and through `warroom sync` (the real binary) over
//! several of the server's largest pages.
//!
//! Servers run in this process on 127.0.0.1:0 over a SQLite file in a temp dir, behind a
//! store that answers a set number of event pages and then fails as a server whose
//! database went away would (503). Nothing sleeps to wait for anything.

// Tests fail by panicking, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::Utc;
use uuid::Uuid;
use warroom::clock::{Clock, SystemClock};
use warroom::domain::event::{Event, EventKind, Severity};
use warroom::server::routes::MAX_LIMIT;
use warroom::store::{NewEvent, SqliteStore, Store, StoreError};
use warroom::sync::engine::Syncer;
use warroom::sync::remote::Remote;
use warroom::sync::shared_path;

use common::Token;

const ANA: &str = "wr_catchup_ana";
const TOKENS: [Token; 1] = [Token::read_write("ana", ANA)];
/// The page size the library tests ask for: many pages from a few hundred events.
const PAGE: usize = 7;

fn clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

/// The server's store, passed through, but answering only `pages` more reads of a page
/// of `PAGE` events; after that such reads fail as a database that went away.
fn dying(inner: Arc<SqliteStore>, pages: usize) -> Arc<common::Watched> {
    let pages_left = AtomicUsize::new(pages);
    Arc::new(common::Watched::new(inner).before_read(move |_, _, limit| {
        if limit == PAGE
            && pages_left
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
                .is_err()
        {
            return Err(StoreError::Unavailable(
                "the test's database went away".into(),
            ));
        }
        Ok(())
    }))
}

/// Appends `count` notes to `incident` (declaring it first when `declare`), in batches of
/// up to 1000, as ana.
async fn append_notes(store: &SqliteStore, incident: Uuid, declare: bool, count: usize) {
    let mut events: Vec<NewEvent> = Vec::new();
    if declare {
        events.push(NewEvent {
            id: incident,
            at: Utc::now(),
            persona: None,
            kind: EventKind::IncidentDeclared {
                title: "A long night".into(),
                severity: Severity::CRITICAL,
                summary: String::new(),
                drill: false,
                restricted: false,
            },
        });
    }
    events.extend((0..count).map(|i| NewEvent {
        id: Uuid::now_v7(),
        at: Utc::now(),
        persona: None,
        kind: EventKind::Note {
            text: format!("replica lag on shard {} ({i})", i % 64),
        },
    }));
    for batch in events.chunks(1000) {
        store
            .append(incident, "ana", batch.to_vec())
            .await
            .expect("append a batch");
    }
}

/// Every event the replica at `store` holds for `incident`, checked to be seqs 1..=N in
/// order, each once; answers their ids.
fn held_in_order(store: &SqliteStore, incident: Uuid) -> Vec<Uuid> {
    let held = store.all_events(incident).expect("read the replica");
    let seqs: Vec<i64> = held
        .iter()
        .map(|e| e.seq.expect("a confirmed seq"))
        .collect();
    let want: Vec<i64> = (1..=held.len() as i64).collect();
    assert_eq!(
        seqs, want,
        "the replica's events are not seqs 1..N, each once"
    );
    held.iter().map(|e| e.id).collect()
}

/// The ids the server holds for `incident`, in seq order.
async fn server_ids(store: &SqliteStore, incident: Uuid) -> Vec<Uuid> {
    Store::events_after(store, incident, 0, usize::MAX)
        .await
        .expect("read the server")
        .iter()
        .map(|e| e.id)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_replica_catches_up_page_by_page_across_a_server_that_dies_and_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(SqliteStore::open(dir.path().join("server.db"), clock()).unwrap());
    let incident = Uuid::now_v7();
    // 1 + 199 events: 28 pages of 7, the last one short.
    append_notes(&db, incident, true, 199).await;

    // The server answers three pages, then its database goes away.
    let failing = dying(db.clone(), 3);
    let running = common::serve(failing.clone(), clock(), &TOKENS).await;
    let addr = running.addr;
    let url = format!("http://{addr}");
    let replica = SqliteStore::open(dir.path().join("replica.db"), clock()).unwrap();
    let remote = Remote::new(&url, ANA).unwrap();
    remote.set_page_limit(PAGE);
    let syncer = Syncer::new(replica.clone(), remote, clock());

    let failed = syncer.pull(incident, Duration::ZERO).await;
    assert!(
        matches!(&failed, Err(e) if e.is_offline()),
        "a server failing mid-catch-up is an outage: {:?}",
        failed.map(|m| m.applied)
    );
    // Each page answered was written whole, in its own transaction, before the failure
    // was told; the page asked for meanwhile failed and nothing follows a gap.
    let held = held_in_order(&replica, incident);
    assert_eq!(held.len(), 3 * PAGE, "the three pages answered, written");
    assert_eq!(held, server_ids(&db, incident).await[..3 * PAGE]);

    // The server goes away altogether; more happens on it while this replica cannot see.
    running.shutdown().await.unwrap();
    let refused = syncer.pull(incident, Duration::ZERO).await;
    assert!(
        matches!(&refused, Err(e) if e.is_offline()),
        "nothing listens"
    );
    assert_eq!(held_in_order(&replica, incident).len(), 3 * PAGE);
    append_notes(&db, incident, false, 40).await;

    // It comes back on the same address: the replica goes on from where it stopped.
    let revived = dying(db.clone(), usize::MAX);
    let running = common::serve_at(addr, revived, clock()).await;
    let got = syncer.pull(incident, Duration::ZERO).await.unwrap();
    assert_eq!(got.applied, 240 - 3 * PAGE, "every event missing, once");
    assert_eq!(got.last_seq, 240);
    assert!(!got.gap);
    let held = held_in_order(&replica, incident);
    assert_eq!(
        held,
        server_ids(&db, incident).await,
        "the server's log, whole"
    );
    let summary = Store::incident(&replica, incident).await.unwrap().unwrap();
    assert_eq!(summary.last_seq, 240);
    assert_eq!(summary.title, "A long night");

    // Up to date, a pull adds nothing.
    let again = syncer.pull(incident, Duration::ZERO).await.unwrap();
    assert_eq!((again.applied, again.last_seq), (0, 240));
    running.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_ending_short_of_the_newest_seq_is_followed_to_the_end() {
    // Pages of every size from 1 to past the log's length, each from an empty replica.
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(SqliteStore::open(dir.path().join("server.db"), clock()).unwrap());
    let incident = Uuid::now_v7();
    append_notes(&db, incident, true, 22).await;
    let running = common::serve(db.clone(), clock(), &TOKENS).await;
    let url = format!("http://{}", running.addr);
    let want = server_ids(&db, incident).await;
    for page in 1..=25 {
        let replica =
            SqliteStore::open(dir.path().join(format!("replica-{page}.db")), clock()).unwrap();
        let remote = Remote::new(&url, ANA).unwrap();
        remote.set_page_limit(page);
        let syncer = Syncer::new(replica.clone(), remote, clock());
        let got = syncer.pull(incident, Duration::ZERO).await.unwrap();
        assert_eq!((got.applied, got.last_seq), (23, 23), "pages of {page}");
        assert_eq!(held_in_order(&replica, incident), want, "pages of {page}");
    }
    running.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_answering_smaller_pages_is_asked_for_pages_it_takes() {
    use axum::extract::{Query, State};
    use axum::http::StatusCode;
    use axum::response::{IntoResponse, Response};
    use serde_json::json;
    use std::sync::Mutex;

    // A server whose pages hold at most 1000 events (the size every API v1 server takes),
    // refusing a larger `limit` with 400 as warroom's own server refuses one past its most.
    type Served = (Arc<Vec<Event>>, Arc<Mutex<Vec<usize>>>);
    async fn page(
        State((log, asked)): State<Served>,
        Query(q): Query<HashMap<String, String>>,
    ) -> Response {
        let after: i64 = q["after"].parse().unwrap();
        let limit: usize = q["limit"].parse().unwrap();
        asked.lock().unwrap().push(limit);
        if limit > 1000 {
            let error = json!({ "error": { "code": "bad_request",
                "message": "`limit` must be from 1 to 1000" } });
            return (StatusCode::BAD_REQUEST, axum::Json(error)).into_response();
        }
        let events: Vec<&Event> = log
            .iter()
            .filter(|e| e.seq.unwrap() > after)
            .take(limit)
            .collect();
        let last_seq = log.last().and_then(|e| e.seq).unwrap();
        axum::Json(json!({ "events": events, "last_seq": last_seq })).into_response()
    }

    let dir = tempfile::tempdir().unwrap();
    let db = SqliteStore::open(dir.path().join("server.db"), clock()).unwrap();
    let incident = Uuid::now_v7();
    append_notes(&db, incident, true, 2499).await;
    let log = Arc::new(
        Store::events_after(&db, incident, 0, usize::MAX)
            .await
            .unwrap(),
    );
    let asked = Arc::new(Mutex::new(Vec::new()));
    let app = axum::Router::new()
        .route("/api/v1/incidents/{id}/events", axum::routing::get(page))
        .with_state((log.clone(), asked.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let served = tokio::spawn(async move { axum::serve(listener, app).await });

    let replica = SqliteStore::open(dir.path().join("replica.db"), clock()).unwrap();
    let remote = Remote::new(&url, ANA).unwrap();
    assert_eq!(
        remote.page_limit(),
        MAX_LIMIT,
        "a client asks for the most first"
    );
    let syncer = Syncer::new(replica.clone(), remote, clock());
    let got = syncer.pull(incident, Duration::ZERO).await.unwrap();
    assert_eq!((got.applied, got.last_seq), (2500, 2500));
    let want: Vec<Uuid> = log.iter().map(|e| e.id).collect();
    assert_eq!(held_in_order(&replica, incident), want);
    assert_eq!(*asked.lock().unwrap(), [MAX_LIMIT, 1000, 1000, 1000]);
    assert_eq!(
        syncer.remote().page_limit(),
        1000,
        "and keeps to what it learned"
    );
    served.abort();
}

#[test]
fn warroom_sync_catches_up_an_incident_of_several_full_pages() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(SqliteStore::open(dir.path().join("server.db"), clock()).unwrap());
    let incident = Uuid::now_v7();
    // Two of the largest pages the server answers, and three events more.
    let total = 2 * MAX_LIMIT + 3;
    rt.block_on(append_notes(&db, incident, true, total - 1));
    let running = rt.block_on(common::serve(db.clone(), clock(), &TOKENS));
    let url = format!("http://{}", running.addr);

    let data = dir.path().join("data");
    let out = common::warroom(&data)
        .args(["--server", &url, "--token", ANA, "sync"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "warroom sync: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let replica = SqliteStore::open(shared_path(&data, &url), clock()).unwrap();
    let held = held_in_order(&replica, incident);
    assert_eq!(held.len(), total);
    assert_eq!(held, rt.block_on(server_ids(&db, incident)));
    rt.block_on(running.shutdown()).unwrap();
}
