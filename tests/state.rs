//! `GET /api/v1/incidents/{id}`: the state the server keeps in memory and snapshots, served
//! as a bounded document with the digest of the whole state, against a full fold of the
//! stored log, on SQLite and (`#[ignore]`d unless `WARROOM_TEST_POSTGRES` is set)
//! PostgreSQL: after appends, after a restart, from another instance, after a redaction.

// Tests fail by panicking, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;
use warroom::clock::{Clock, SystemClock};
use warroom::domain::document::LATEST;
use warroom::domain::incident::Incident;
use warroom::store::Store;
use warroom::store::postgres::PgStore;

use common::{TestDb, Token};

const ALICE: &str = "wr_state_test_alice";
const TOKENS: [Token; 1] = [Token::read_write("alice", ALICE)];

/// Event `i` of a long incident: every list of the state grows with these.
fn event(i: usize) -> Value {
    let text = format!("entry {i:06}: the pool on pay-3 is saturated");
    let id = Uuid::now_v7();
    match i % 5 {
        0 => json!({ "id": id, "type": "observation", "text": text }),
        1 => json!({ "id": id, "type": "theory", "text": text }),
        2 => json!({ "id": id, "type": "change_requested", "description": text }),
        3 => json!({ "id": id, "type": "comms_sent", "audience": "internal", "text": text,
                     "override_reason": "a test" }),
        _ => json!({ "id": id, "type": "note", "text": text }),
    }
}

struct Api {
    base: String,
    http: Client,
}

impl Api {
    fn new(base: String) -> Api {
        Api {
            base,
            http: Client::new(),
        }
    }

    async fn declare(&self) -> Uuid {
        let id = Uuid::now_v7();
        let r = self
            .http
            .post(format!("{}/api/v1/incidents", self.base))
            .bearer_auth(ALICE)
            .json(&json!({ "id": id, "title": "Card payments failing", "severity": 2 }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        id
    }

    /// Appends events `from..to` of the long incident, 500 a batch.
    async fn append(&self, incident: Uuid, from: usize, to: usize) {
        let mut i = from;
        while i < to {
            let end = (i + 500).min(to);
            let events: Vec<Value> = (i..end).map(event).collect();
            self.append_events(incident, events).await;
            i = end;
        }
    }

    async fn append_events(&self, incident: Uuid, events: Vec<Value>) {
        let r = self
            .http
            .post(format!("{}/api/v1/incidents/{incident}/events", self.base))
            .bearer_auth(ALICE)
            .json(&json!({ "events": events }))
            .send()
            .await
            .unwrap();
        let status = r.status();
        assert_eq!(status, StatusCode::OK, "{}", r.text().await.unwrap());
    }

    /// The answer of GET, and its size in bytes.
    async fn state(&self, incident: Uuid) -> (Value, usize) {
        let r = self
            .http
            .get(format!("{}/api/v1/incidents/{incident}", self.base))
            .bearer_auth(ALICE)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let body = r.bytes().await.unwrap();
        (serde_json::from_slice(&body).unwrap(), body.len())
    }
}

/// Asserts that the server answers what a full fold of the stored log makes: the digest of
/// the whole state, and the bounded document of it.
async fn assert_full_fold(api: &Api, store: &dyn Store, incident: Uuid, what: &str) -> String {
    let all = store.events_after(incident, 0, usize::MAX).await.unwrap();
    let full = Incident::fold(incident, &all);
    let (shown, _) = api.state(incident).await;
    assert_eq!(shown["digest"], full.digest(), "{what}: the digest");
    assert_eq!(
        shown["state"],
        serde_json::to_value(full.document(LATEST)).unwrap(),
        "{what}: the document"
    );
    full.digest()
}

fn redaction(target: &str) -> Value {
    json!({ "id": Uuid::now_v7(), "type": "event_redacted", "event": target,
            "reason": "a secret was pasted" })
}

/// The id and text of the newest observation at or before `seq`.
async fn observation_before(store: &dyn Store, incident: Uuid, seq: i64) -> (String, String) {
    let all = store.events_after(incident, 0, usize::MAX).await.unwrap();
    all.iter()
        .rev()
        .filter(|e| e.seq <= Some(seq))
        .find_map(|e| match &e.kind {
            warroom::domain::event::EventKind::Observation { text, .. } => {
                Some((e.id.to_string(), text.clone()))
            }
            _ => None,
        })
        .expect("an observation")
}

#[tokio::test]
async fn the_state_served_follows_appends_restarts_and_redactions_as_a_full_fold() {
    let mut server = common::Server::start(&TOKENS).await;
    let api = Api::new(server.url());
    let incident = api.declare().await;
    api.append(incident, 0, 1_500).await;
    let first = assert_full_fold(&api, server.store.as_ref(), incident, "after appends").await;
    // Asked again with nothing new: the same, from memory.
    assert_full_fold(&api, server.store.as_ref(), incident, "asked again").await;
    api.append(incident, 1_500, 1_530).await;
    let later = assert_full_fold(&api, server.store.as_ref(), incident, "30 more").await;
    assert_ne!(first, later);

    // A restart keeps nothing in memory: the state comes from the snapshot and the tail.
    server.restart().await;
    assert_full_fold(&api, server.store.as_ref(), incident, "after a restart").await;
    api.append(incident, 1_530, 1_545).await;
    assert_full_fold(&api, server.store.as_ref(), incident, "appended after it").await;

    // A redaction of an observation the snapshot and the kept state hold.
    let (target, secret) = observation_before(server.store.as_ref(), incident, 900).await;
    api.append_events(incident, vec![redaction(&target)]).await;
    assert_full_fold(&api, server.store.as_ref(), incident, "after a redaction").await;
    server.restart().await;
    assert_full_fold(&api, server.store.as_ref(), incident, "redacted, restarted").await;
    let file = std::fs::read(&server.db).unwrap();
    assert!(
        !file.windows(secret.len()).any(|w| w == secret.as_bytes()),
        "the redacted text is left nowhere in the file, snapshots included"
    );
    server.close().await;
}

#[tokio::test]
async fn the_state_served_does_not_grow_with_the_incident() {
    let server = common::Server::start(&TOKENS).await;
    let api = Api::new(server.url());
    let incident = api.declare().await;
    // Every list holds more than the document shows, and more change requests are open
    // than the summary names (100).
    api.append(incident, 0, 600).await;
    let (early, early_size) = api.state(incident).await;
    assert_eq!(early["state"]["board"]["observations"]["total"], 120);
    // 10,000 more events, 2,000 onto each list.
    api.append(incident, 600, 10_600).await;
    let (late, late_size) = api.state(incident).await;
    assert_eq!(late["state"]["board"]["observations"]["total"], 2_120);
    assert_eq!(late["state"]["notes"], 2_120);
    let latest = late["state"]["board"]["observations"]["latest"]
        .as_array()
        .unwrap();
    assert_eq!(latest.len(), LATEST);
    assert!(
        latest.last().unwrap()["text"]
            .as_str()
            .unwrap()
            .starts_with("entry 010595"),
        "the newest is last: {}",
        latest.last().unwrap()
    );
    let full = Incident::fold(incident, &server.store.all_events(incident).unwrap());
    let full_size = serde_json::to_vec(&full).unwrap().len();
    assert!(
        full_size > 20 * late_size,
        "the whole state ({full_size} bytes) grew"
    );
    // Only the totals' digits may differ.
    let grew: Vec<String> = late["state"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k, v.to_string().len(), early["state"][k].to_string().len()))
        .filter(|(_, late, early)| late > early)
        .map(|(k, late, early)| format!("{k}: {early} -> {late}"))
        .collect();
    assert!(
        late_size <= early_size + 64,
        "10,000 events grew the answer from {early_size} to {late_size} bytes: {grew:?}"
    );
    assert_eq!(late["digest"], full.digest());
}

/// GETs while 200 appends go on, one event each: every answer is the fold of the stored
/// events up to its seq (never a state ahead of what is stored), and none goes back.
async fn served_while_appending(api: Arc<Api>, store: &dyn Store) {
    let incident = api.declare().await;
    api.append(incident, 0, 50).await;
    let writer = {
        let api = api.clone();
        tokio::spawn(async move {
            for i in 50..250 {
                api.append_events(incident, vec![event(i)]).await;
            }
        })
    };
    let mut seen = Vec::new();
    while !writer.is_finished() {
        let (shown, _) = api.state(incident).await;
        let seq = shown["state"]["summary"]["last_seq"].as_i64().unwrap();
        seen.push((seq, shown["digest"].as_str().unwrap().to_string()));
    }
    writer.await.unwrap();
    let all = store.events_after(incident, 0, usize::MAX).await.unwrap();
    assert!(seen.len() > 10, "{} answers", seen.len());
    for (seq, digest) in &seen {
        let prefix = &all[..*seq as usize];
        assert_eq!(
            &Incident::fold(incident, prefix).digest(),
            digest,
            "the answer at #{seq}"
        );
    }
    assert!(
        seen.windows(2).all(|w| w[0].0 <= w[1].0),
        "answers never go back"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_state_served_while_appends_go_on_is_always_a_stored_prefix() {
    let server = common::Server::start(&TOKENS).await;
    served_while_appending(Arc::new(Api::new(server.url())), server.store.as_ref()).await;
}

// ---- PostgreSQL ---------------------------------------------------------------------

async fn pg_store(db: &TestDb) -> Arc<dyn Store> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    Arc::new(
        PgStore::connect(&db.url, clock, warroom::domain::rules::Rules::default())
            .await
            .expect("connect to the test database"),
    )
}

async fn pg_instance(db: &TestDb, tokens: &[Token]) -> (Arc<dyn Store>, warroom::server::Running) {
    let store = pg_store(db).await;
    let running = common::serve(store.clone(), Arc::new(SystemClock), tokens).await;
    (store, running)
}

#[tokio::test]
#[ignore = "needs PostgreSQL: set WARROOM_TEST_POSTGRES"]
async fn postgres_state_follows_other_instances_restarts_and_redactions() {
    let db = TestDb::create().await;
    let (a_store, a) = pg_instance(&db, &TOKENS).await;
    let (b_store, b) = pg_instance(&db, &[]).await;
    let api_a = Api::new(format!("http://{}", a.addr));
    let api_b = Api::new(format!("http://{}", b.addr));
    let incident = api_a.declare().await;
    api_a.append(incident, 0, 1_200).await;
    // B never folded it: from the snapshot A saved, and the events after it.
    assert_full_fold(&api_b, b_store.as_ref(), incident, "B, cold").await;
    assert_full_fold(&api_a, a_store.as_ref(), incident, "A").await;
    // A appends; B's kept state catches up (told by NOTIFY, or when asked).
    api_a.append(incident, 1_200, 1_240).await;
    assert_full_fold(&api_b, b_store.as_ref(), incident, "B after A appended").await;
    api_b.append(incident, 1_240, 1_250).await;
    assert_full_fold(&api_a, a_store.as_ref(), incident, "A after B appended").await;

    // A redaction through A of an observation B's kept state holds.
    let (target, secret) = observation_before(a_store.as_ref(), incident, 900).await;
    api_a
        .append_events(incident, vec![redaction(&target)])
        .await;
    assert_full_fold(&api_b, b_store.as_ref(), incident, "B after a redaction").await;
    let (shown, _) = api_b.state(incident).await;
    assert!(!shown.to_string().contains(&secret));

    // A new instance (a restart) starts from the snapshot saved with the redaction.
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
    let (c_store, c) = pg_instance(&db, &[]).await;
    let api_c = Api::new(format!("http://{}", c.addr));
    assert_full_fold(&api_c, c_store.as_ref(), incident, "C, restarted").await;
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    let (seq, state): (i64, String) =
        sqlx::query_as("SELECT seq, state FROM snapshots WHERE incident = $1")
            .bind(incident)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(seq >= 1_000, "a snapshot at #{seq}");
    assert!(
        !state.contains(&secret),
        "the snapshot lost the redacted text"
    );
    pool.close().await;
    c.shutdown().await.unwrap();
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set WARROOM_TEST_POSTGRES"]
async fn postgres_state_served_while_appends_go_on_is_always_a_stored_prefix() {
    let db = TestDb::create().await;
    let (store, running) = pg_instance(&db, &TOKENS).await;
    served_while_appending(
        Arc::new(Api::new(format!("http://{}", running.addr))),
        store.as_ref(),
    )
    .await;
    running.shutdown().await.unwrap();
    db.drop_db().await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL: set WARROOM_TEST_POSTGRES"]
async fn postgres_snapshots_round_trip_and_another_format_is_ignored() {
    let db = TestDb::create().await;
    let (store, running) = pg_instance(&db, &TOKENS).await;
    let api = Api::new(format!("http://{}", running.addr));
    let incident = api.declare().await;
    api.append(incident, 0, 1_100).await;
    api.append(incident, 1_100, 1_150).await;
    running.shutdown().await.unwrap();
    let full = Incident::fold(
        incident,
        &store.events_after(incident, 0, usize::MAX).await.unwrap(),
    );
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    let (seq, format, state): (i64, i32, String) =
        sqlx::query_as("SELECT seq, format, state FROM snapshots WHERE incident = $1")
            .bind(incident)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!((1_000..1_151).contains(&seq), "a snapshot at #{seq}");

    // A new store (nothing kept) resumes from the snapshot: equal to the full fold.
    let fresh = pg_store(&db).await;
    let got = fresh.state(incident).await.unwrap().unwrap();
    assert_eq!(*got.state, full);
    assert_eq!(got.digest, full.digest());

    // It is read: a mark put in it shows.
    let mut marked: Value = serde_json::from_str(&state).unwrap();
    marked["notes"] = 1_000_000.into();
    sqlx::query("UPDATE snapshots SET state = $2 WHERE incident = $1")
        .bind(incident)
        .bind(marked.to_string())
        .execute(&pool)
        .await
        .unwrap();
    let got = pg_store(&db).await.state(incident).await.unwrap().unwrap();
    assert!(got.state.notes > 1_000_000, "the snapshot was used");

    // Another format: ignored, the whole log folded (and a good snapshot saved again).
    sqlx::query("UPDATE snapshots SET format = $2 WHERE incident = $1")
        .bind(incident)
        .bind(format + 1)
        .execute(&pool)
        .await
        .unwrap();
    let got = pg_store(&db).await.state(incident).await.unwrap().unwrap();
    assert_eq!(*got.state, full);
    assert_eq!(got.digest, full.digest());
    pool.close().await;
    db.drop_db().await;
}
