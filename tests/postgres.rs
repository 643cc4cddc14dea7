//! REST API v1 over PostgreSQL: idempotent appends, concurrent writers through several
//! server instances, and long-poll wakeups across instances (LISTEN/NOTIFY).
//!
//! Needs a PostgreSQL the tests may create databases on:
//! `WARROOM_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/postgres cargo test --test postgres -- --ignored`
//! Each test makes its own database, so they run in parallel.

// Tests fail by panicking, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;
use warroom::clock::{Clock, SystemClock};
use warroom::domain::event::Role;
use warroom::server::Running;
use warroom::store::Store;
use warroom::store::postgres::PgStore;

const WRITER: &str = "wr_pg_test_alice";
const READER: &str = "wr_pg_test_rita";

/// The tokens in each test database.
const TOKENS: [Token; 2] = [
    Token::read_write("alice", WRITER),
    Token::read_only("rita", READER),
];

mod common;
use common::{TestDb, Token, with_database};

/// One `server::start` instance on the test database.
struct Instance {
    base: String,
    running: Running,
}

async fn store(db: &TestDb) -> Arc<dyn Store> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    Arc::new(
        PgStore::connect(&db.url, clock, warroom::domain::rules::Rules::default())
            .await
            .expect("connect to the test database"),
    )
}

/// Puts the tokens in the test database, for every instance that serves it.
async fn add_tokens(db: &TestDb) {
    common::add_tokens(store(db).await.as_ref(), &TOKENS).await;
}

async fn instance(db: &TestDb) -> Instance {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    // No tokens of its own: `add_tokens` put them in the shared database.
    let running = common::serve(store(db).await, clock, &[]).await;
    Instance {
        base: format!("http://{}", running.addr),
        running,
    }
}

impl Instance {
    fn events_url(&self, incident: &str) -> String {
        format!("{}/api/v1/incidents/{incident}/events", self.base)
    }

    async fn stop(self) {
        self.running.shutdown().await.expect("a clean shutdown");
    }
}

async fn answer(req: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let resp = req.send().await.expect("the server answers");
    let status = resp.status();
    let body = resp.json().await.unwrap_or(Value::Null);
    (status, body)
}

async fn declare(http: &Client, at: &Instance, id: Uuid, expected: StatusCode) -> Value {
    let req = http
        .post(format!("{}/api/v1/incidents", at.base))
        .bearer_auth(WRITER)
        .json(&json!({ "id": id, "title": "replica lag", "severity": 2 }));
    let (status, body) = answer(req).await;
    assert_eq!(status, expected, "{body}");
    body
}

async fn append(http: &Client, at: &Instance, incident: Uuid, events: Value) -> Vec<(Uuid, i64)> {
    let req = http
        .post(at.events_url(&incident.to_string()))
        .bearer_auth(WRITER)
        .json(&json!({ "events": events }));
    let (status, body) = answer(req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["accepted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["id"].as_str().unwrap().parse().unwrap(),
                a["seq"].as_i64().unwrap(),
            )
        })
        .collect()
}

async fn all_events(http: &Client, at: &Instance, incident: Uuid) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let req = http
            .get(at.events_url(&incident.to_string()))
            .bearer_auth(READER)
            .query(&[("after", after.to_string()), ("limit", "10000".into())]);
        let (status, page) = answer(req).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let events = page["events"].as_array().unwrap();
        match events.last() {
            None => return out,
            Some(last) => after = last["seq"].as_i64().unwrap(),
        }
        out.extend(events.iter().cloned());
    }
}

/// Starts `GET .../events?after=AFTER&wait=30` on `at`; answers how long it took and what.
fn long_poll(
    http: &Client,
    at: &Instance,
    incident: Uuid,
    after: i64,
) -> tokio::task::JoinHandle<(Duration, (StatusCode, Value))> {
    let req = http
        .get(at.events_url(&incident.to_string()))
        .bearer_auth(READER)
        .query(&[("after", after.to_string()), ("wait", "30".into())]);
    tokio::spawn(async move {
        let started = Instant::now();
        let got = answer(req).await;
        (started.elapsed(), got)
    })
}

fn note(text: &str) -> Value {
    json!({ "id": Uuid::now_v7(), "type": "note", "text": text })
}

#[test]
fn database_urls_are_rewritten() {
    assert_eq!(
        with_database("postgres://u:p@h:5432/postgres", "t1"),
        "postgres://u:p@h:5432/t1"
    );
    assert_eq!(
        with_database("postgresql://h/db?sslmode=disable", "t2"),
        "postgresql://h/t2?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h:1", "t3"), "postgres://h:1/t3");
}

#[tokio::test]
#[ignore = "needs PostgreSQL: set WARROOM_TEST_POSTGRES"]
async fn idempotent_declare_and_append() {
    let db = TestDb::create().await;
    add_tokens(&db).await;
    let a = instance(&db).await;
    let http = Client::new();
    let id = Uuid::now_v7();
    let first = declare(&http, &a, id, StatusCode::CREATED).await;
    let again = declare(&http, &a, id, StatusCode::OK).await;
    assert_eq!(first, again);
    assert_eq!(first["id"], id.to_string());
    assert_eq!(first["severity"], 2);

    let ev = note("once");
    let once = append(&http, &a, id, json!([ev])).await;
    let twice = append(&http, &a, id, json!([ev, note("next")])).await;
    assert_eq!(once, vec![(ev["id"].as_str().unwrap().parse().unwrap(), 2)]);
    assert_eq!(twice[0], once[0], "a retry answers the original seq");
    assert_eq!(twice[1].1, 3);
    let stored = all_events(&http, &a, id).await;
    let seqs: Vec<i64> = stored.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, vec![1, 2, 3]);
    assert!(stored.iter().all(|e| e["author"] == "alice"));

    // The errors are the same as on SQLite.
    let other = Uuid::now_v7();
    declare(&http, &a, other, StatusCode::CREATED).await;
    let reuse = http
        .post(a.events_url(&other.to_string()))
        .bearer_auth(WRITER)
        .json(&json!({ "events": [ev] }));
    let (status, body) = answer(reuse).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "conflict");
    let unknown = http
        .post(a.events_url(&Uuid::now_v7().to_string()))
        .bearer_auth(WRITER)
        .json(&json!({ "events": [note("nowhere")] }));
    let (status, body) = answer(unknown).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["error"]["code"], "not_found");
    let read_only = http
        .post(a.events_url(&id.to_string()))
        .bearer_auth(READER)
        .json(&json!({ "events": [note("rita")] }));
    let (status, body) = answer(read_only).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let list = http
        .get(format!("{}/api/v1/incidents", a.base))
        .bearer_auth(READER);
    let (status, body) = answer(list).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body.as_array().unwrap().len(),
        2,
        "no placeholder rows: {body}"
    );
    a.stop().await;
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: set WARROOM_TEST_POSTGRES"]
async fn concurrent_writers_through_two_instances_get_contiguous_seqs() {
    const CLIENTS: usize = 20;
    const EACH: usize = 100;
    let db = TestDb::create().await;
    add_tokens(&db).await;
    let a = instance(&db).await;
    let b = instance(&db).await;
    let incident = Uuid::now_v7();
    declare(&Client::new(), &a, incident, StatusCode::CREATED).await;

    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let url = if c % 2 == 0 { &a } else { &b }.events_url(&incident.to_string());
        tasks.push(tokio::spawn(async move {
            let http = Client::new();
            let mut acked = Vec::with_capacity(EACH);
            for n in 0..EACH {
                let ev = note(&format!("client {c} event {n}"));
                let req = http
                    .post(&url)
                    .bearer_auth(WRITER)
                    .json(&json!({ "events": [ev] }));
                let (status, body) = answer(req).await;
                assert_eq!(status, StatusCode::OK, "{body}");
                assert_eq!(body["accepted"][0]["id"], ev["id"]);
                let id: Uuid = ev["id"].as_str().unwrap().parse().unwrap();
                acked.push((id, body["accepted"][0]["seq"].as_i64().unwrap()));
            }
            acked
        }));
    }
    let mut acked: HashMap<Uuid, i64> = HashMap::new();
    for t in tasks {
        for (id, seq) in t.await.unwrap() {
            assert!(acked.insert(id, seq).is_none());
        }
    }
    let total = (CLIENTS * EACH) as i64;
    let mut seqs: Vec<i64> = acked.values().copied().collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (2..=total + 1).collect::<Vec<_>>(), "unique, no gaps");

    let http = Client::new();
    let from_a = all_events(&http, &a, incident).await;
    let from_b = all_events(&http, &b, incident).await;
    assert_eq!(from_a, from_b, "both instances read the same log");
    let stored: Vec<i64> = from_a.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(stored, (1..=total + 1).collect::<Vec<_>>());
    let mut seen = HashSet::new();
    for e in &from_a[1..] {
        let id: Uuid = e["id"].as_str().unwrap().parse().unwrap();
        assert!(seen.insert(id), "{id} stored twice");
        assert_eq!(acked.get(&id), e["seq"].as_i64().as_ref());
    }
    assert_eq!(seen.len() as i64, total);
    a.stop().await;
    b.stop().await;
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set WARROOM_TEST_POSTGRES"]
async fn long_poll_on_one_instance_wakes_on_append_through_another() {
    let db = TestDb::create().await;
    add_tokens(&db).await;
    let a = instance(&db).await;
    let b = instance(&db).await;
    let http = Client::new();
    let incident = Uuid::now_v7();
    declare(&http, &a, incident, StatusCode::CREATED).await;

    let poll = long_poll(&http, &b, incident, 1);
    // Whether this lands before or after B's poll subscribes, the poll must return it.
    let ev = note("written through A");
    let accepted = append(&http, &a, incident, json!([ev])).await;
    let (elapsed, (status, page)) = poll.await.unwrap();
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["events"].as_array().unwrap().len(), 1, "{page}");
    assert_eq!(page["events"][0]["id"], ev["id"]);
    assert_eq!(page["events"][0]["seq"], accepted[0].1);
    assert!(
        elapsed < Duration::from_secs(5),
        "B should wake on A's append (LISTEN/NOTIFY), it took {elapsed:?}"
    );

    // And the other way round, several times, with nothing local to B's process.
    for round in 0..3 {
        let poll = long_poll(&http, &a, incident, accepted[0].1 + round);
        let got = append(&http, &b, incident, json!([note("through B")])).await;
        let (elapsed, (status, page)) = poll.await.unwrap();
        assert_eq!(status, StatusCode::OK);
        assert_eq!(page["events"].as_array().unwrap().len(), 1, "{page}");
        assert_eq!(page["events"][0]["seq"], got[0].1, "{page}");
        assert!(
            elapsed < Duration::from_secs(5),
            "round {round}: {elapsed:?}"
        );
    }
    a.stop().await;
    b.stop().await;
    db.drop_db().await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL: set WARROOM_TEST_POSTGRES"]
async fn appends_through_one_store_are_announced_to_another() {
    use warroom::domain::event::{EventKind, Severity};
    use warroom::store::NewEvent;

    let db = TestDb::create().await;
    let writer = store(&db).await;
    let watcher = store(&db).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    // Listening has begun when this returns: no append after it can be missed.
    watcher
        .listen_for_appends(Arc::new(move |incident, seq| {
            let _ = tx.send((incident, seq));
        }))
        .await
        .unwrap();
    let incident = Uuid::now_v7();
    let declared = NewEvent {
        id: incident,
        at: chrono::Utc::now(),
        persona: None,
        kind: EventKind::IncidentDeclared {
            title: "t".into(),
            severity: Severity::MAJOR,
            summary: String::new(),
            drill: false,
            restricted: false,
        },
    };
    let notes: Vec<NewEvent> = (0..3)
        .map(|n| NewEvent {
            id: Uuid::now_v7(),
            at: chrono::Utc::now(),
            persona: None,
            kind: EventKind::Note {
                text: format!("n{n}"),
            },
        })
        .collect();
    writer
        .append(incident, "alice", vec![declared])
        .await
        .unwrap();
    writer
        .append(incident, "alice", notes.clone())
        .await
        .unwrap();
    // A retry writes nothing, so it announces nothing.
    writer.append(incident, "alice", notes).await.unwrap();
    let mut heard = Vec::new();
    while heard.last() != Some(&(incident, 4)) {
        let next = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .unwrap_or_else(|_| panic!("no NOTIFY within 5 s; heard {heard:?}"))
            .unwrap();
        heard.push(next);
    }
    assert_eq!(heard, vec![(incident, 1), (incident, 4)]);
    // The next thing heard is the next append, not an echo of the retry.
    let more = NewEvent {
        id: Uuid::now_v7(),
        at: chrono::Utc::now(),
        persona: None,
        kind: EventKind::Note { text: "n3".into() },
    };
    writer.append(incident, "alice", vec![more]).await.unwrap();
    let next = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("a NOTIFY within 5 s");
    assert_eq!(next, Some((incident, 5)));
    db.drop_db().await;
}

/// With the database gone, requests fail fast with 503 and Retry-After, `/readyz` says so
/// within a second, and `/healthz` (liveness) still answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set WARROOM_TEST_POSTGRES"]
async fn a_lost_database_is_a_fast_503_and_not_ready() {
    let db = TestDb::create().await;
    add_tokens(&db).await;
    let a = instance(&db).await;
    let http = Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let ready = http.get(format!("{}/readyz", a.base)).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);

    // The database disappears under the running server (its connections are cut).
    let admin = sqlx::postgres::PgPool::connect(&db.admin).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE {} WITH (FORCE)",
        db.name
    )))
    .execute(&admin)
    .await
    .unwrap();
    admin.close().await;

    let started = Instant::now();
    let ready = http.get(format!("{}/readyz", a.base)).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let list = http
        .get(format!("{}/api/v1/incidents", a.base))
        .bearer_auth(WRITER)
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(list.headers()["retry-after"], "2");
    let body: Value = list.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "both answered within the pool's 2 s acquire timeout each: {:?}",
        started.elapsed()
    );
    let health = http
        .get(format!("{}/healthz", a.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    a.running.shutdown().await.unwrap();
}

#[tokio::test]
#[ignore = "needs PostgreSQL: set WARROOM_TEST_POSTGRES"]
async fn summaries_written_before_attention_existed_are_refolded_on_connecting() {
    let db = TestDb::create().await;
    add_tokens(&db).await;
    let at = instance(&db).await;
    let http = Client::new();
    let id = Uuid::now_v7();
    declare(&http, &at, id, StatusCode::CREATED).await;
    let assign =
        json!({ "id": Uuid::now_v7(), "type": "role_assigned", "role": "cl", "handle": "bo" });
    append(&http, &at, id, json!([assign])).await;
    at.stop().await;

    // As an older warroom left the database: schema v1, the summary without the new fields.
    let pool = sqlx::postgres::PgPool::connect(&db.url).await.unwrap();
    let stored: String = sqlx::query_scalar("SELECT summary FROM incidents WHERE id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
    let mut old: Value = serde_json::from_str(&stored).unwrap();
    assert_eq!(old["attention"]["roles"]["cl"], "bo", "{old}");
    old.as_object_mut().unwrap().remove("attention");
    sqlx::query("UPDATE incidents SET summary = $2 WHERE id = $1")
        .bind(id)
        .bind(old.to_string())
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM warroom_schema WHERE version > 1")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let summary = store(&db).await.incident(id).await.unwrap().unwrap();
    assert_eq!(
        summary.attention.roles.get(&Role::Cl).map(String::as_str),
        Some("bo"),
        "{summary:?}"
    );
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set WARROOM_TEST_POSTGRES"]
async fn a_list_long_poll_on_one_instance_wakes_on_a_declaration_through_another() {
    let db = TestDb::create().await;
    add_tokens(&db).await;
    let a = instance(&db).await;
    let b = instance(&db).await;
    let http = Client::new();
    declare(&http, &a, Uuid::now_v7(), StatusCode::CREATED).await;
    let list_url = format!("{}/api/v1/incidents", b.base);
    let first = http
        .get(&list_url)
        .bearer_auth(READER)
        .send()
        .await
        .unwrap();
    let known = first.headers()["etag"].to_str().unwrap().to_string();
    let poll = {
        let req = http
            .get(&list_url)
            .bearer_auth(READER)
            .query(&[("wait", "30"), ("known", known.as_str())]);
        tokio::spawn(async move {
            let started = Instant::now();
            let got = answer(req).await;
            (started.elapsed(), got)
        })
    };
    // Whether this lands before or after B's poll starts waiting, the poll must answer it.
    let second = Uuid::now_v7();
    declare(&http, &a, second, StatusCode::CREATED).await;
    let (elapsed, (status, list)) = poll.await.unwrap();
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == second.to_string()),
        "{list}"
    );
    assert!(
        elapsed < Duration::from_secs(5),
        "B's list should wake on A's declaration (LISTEN/NOTIFY), it took {elapsed:?}"
    );
    a.stop().await;
    b.stop().await;
    db.drop_db().await;
}
