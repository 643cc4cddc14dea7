//! Long-poll fan-out: many long-polls waiting on one incident are answered from one read of
//! the new events, with the same bytes; a waiter whose `after` differs reads the store and
//! gets what is new to it; a waiter who lost access to a restricted incident while waiting
//! gets 404 like before.
//!
//! Servers run in this process on 127.0.0.1:0 over a SQLite file in a temp dir, behind a
//! store that counts reads and tells the test when a long-poll starts waiting (its read found
//! nothing). Nothing sleeps to wait for anything: waits are on signals, bounded by a timeout.

// Tests fail by panicking, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use tokio::sync::watch;
use uuid::Uuid;
use warroom::clock::SystemClock;
use warroom::server::Running;
use warroom::store::SqliteStore;

use common::Token;

const ANA: &str = "wr_fanout_ana";
const BOB: &str = "wr_fanout_bob";
const CAROL: &str = "wr_fanout_carol";
const TOKENS: [Token; 3] = [
    Token::read_write("ana", ANA),
    Token::read_write("bob", BOB),
    Token::read_write("carol", CAROL),
];
const WAIT: Duration = Duration::from_secs(30);

/// What the server's store saw: how many reads of events, and after which seq each read
/// that found nothing asked (the moment a long-poll starts waiting).
struct Counted {
    reads: Arc<AtomicUsize>,
}

struct Served {
    store: Arc<Counted>,
    empty_reads: watch::Receiver<Vec<i64>>,
    running: Running,
    base: String,
    http: Client,
    _dir: tempfile::TempDir,
}

async fn serve() -> Served {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(SystemClock);
    let inner = SqliteStore::open(dir.path().join("server.db"), clock.clone()).unwrap();
    let (tx, empty_reads) = watch::channel(Vec::new());
    let reads = Arc::new(AtomicUsize::new(0));
    let counting = reads.clone();
    let watched = common::Watched::new(Arc::new(inner)).after_read(move |_, after, got| {
        counting.fetch_add(1, Ordering::AcqRel);
        if matches!(got, Ok(events) if events.is_empty()) {
            tx.send_modify(|v| v.push(after));
        }
    });
    let running = common::serve(Arc::new(watched), clock, &TOKENS).await;
    let store = Arc::new(Counted { reads });
    Served {
        store,
        empty_reads,
        base: format!("http://{}", running.addr),
        running,
        // Every long-poll on a connection of its own, as separate consoles would.
        http: Client::builder().pool_max_idle_per_host(0).build().unwrap(),
        _dir: dir,
    }
}

fn ev(kind: &str, fields: Value) -> Value {
    let mut m = fields.as_object().cloned().unwrap_or_default();
    m.insert("id".into(), json!(Uuid::now_v7()));
    m.insert("type".into(), json!(kind));
    Value::Object(m)
}

impl Served {
    async fn post(&self, path: &str, token: &str, body: Value) -> Value {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "POST {path}: {}", r.status());
        r.json().await.unwrap()
    }

    async fn append(&self, incident: Uuid, token: &str, events: Vec<Value>) -> Value {
        let path = format!("/api/v1/incidents/{incident}/events");
        self.post(&path, token, json!({ "events": events })).await
    }

    /// A restricted incident ana declared, with bob and carol granted access; its last seq.
    async fn restricted_incident(&self) -> (Uuid, i64) {
        let id = Uuid::now_v7();
        self.post(
            "/api/v1/incidents",
            ANA,
            json!({ "id": id, "title": "Leaked keys", "severity": 1, "visibility": "restricted" }),
        )
        .await;
        let body = self
            .append(
                id,
                ANA,
                vec![
                    ev("access_granted", json!({ "handle": "bob" })),
                    ev("access_granted", json!({ "handle": "carol" })),
                ],
            )
            .await;
        (id, body["accepted"][1]["seq"].as_i64().unwrap())
    }

    /// A long-poll for the events after `after`, as `token`: its status and body bytes.
    fn long_poll(
        &self,
        incident: Uuid,
        token: &'static str,
        after: i64,
    ) -> tokio::task::JoinHandle<(StatusCode, Vec<u8>)> {
        let req = self
            .http
            .get(format!(
                "{}/api/v1/incidents/{incident}/events?after={after}&wait=30",
                self.base
            ))
            .bearer_auth(token);
        tokio::spawn(async move {
            let r = req.send().await.unwrap();
            let status = r.status();
            (status, r.bytes().await.unwrap().to_vec())
        })
    }

    /// Waits until `n` long-polls after `after` have read nothing and so wait.
    async fn until_waiting(&mut self, after: i64, n: usize) {
        tokio::time::timeout(
            WAIT,
            self.empty_reads
                .wait_for(|reads| reads.iter().filter(|a| **a == after).count() >= n),
        )
        .await
        .unwrap_or_else(|_| panic!("{n} long-polls after {after} did not all start waiting"))
        .unwrap();
    }
}

async fn answer(poll: tokio::task::JoinHandle<(StatusCode, Vec<u8>)>) -> (StatusCode, Vec<u8>) {
    tokio::time::timeout(WAIT, poll)
        .await
        .expect("the append ends the wait well before its 30 s")
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_append_answers_200_waiters_from_one_read() {
    let mut s = serve().await;
    let (incident, last) = s.restricted_incident().await;
    let waiters: Vec<_> = (0..200)
        .map(|i| s.long_poll(incident, if i % 2 == 0 { BOB } else { CAROL }, last))
        .collect();
    // One more, ahead of the log (it has seen an event that is not stored yet, say): the
    // page of the next append is not the answer to it.
    let ahead = s.long_poll(incident, BOB, last + 1);
    s.until_waiting(last, 200).await;
    s.until_waiting(last + 1, 1).await;
    let reads_before = s.store.reads.load(Ordering::Acquire);

    let note = ev(
        "note",
        json!({ "text": "payments-api rolled back on pay-3" }),
    );
    s.append(incident, ANA, vec![note.clone()]).await;

    let mut first_body: Option<Vec<u8>> = None;
    for w in waiters {
        let (status, body) = answer(w).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        let page: Value = serde_json::from_slice(&body).unwrap();
        let events = page["events"].as_array().unwrap();
        assert_eq!(events.len(), 1, "{page}");
        assert_eq!(events[0]["id"], note["id"]);
        assert_eq!(events[0]["type"], "note");
        assert_eq!(events[0]["text"], "payments-api rolled back on pay-3");
        assert_eq!(events[0]["author"], "ana");
        assert_eq!(events[0]["seq"], last + 1);
        assert_eq!(events[0]["incident"], incident.to_string());
        assert_eq!(page["last_seq"], last + 1);
        // The very same answer for everyone.
        match &first_body {
            None => first_body = Some(body),
            Some(first) => assert_eq!(first, &body),
        }
    }
    // The append read its events once for all 200 (the one waiting further on read again,
    // found nothing new to it, and waits on).
    let reads = s.store.reads.load(Ordering::Acquire) - reads_before;
    assert!(reads <= 2, "{reads} reads of events to answer 200 waiters");
    s.until_waiting(last + 1, 2).await;
    assert!(
        !ahead.is_finished(),
        "the waiter ahead got an answer not meant for it"
    );

    let second = ev("note", json!({ "text": "error rate back under 0.1%" }));
    s.append(incident, ANA, vec![second.clone()]).await;
    let (status, body) = answer(ahead).await;
    assert_eq!(status, StatusCode::OK);
    let page: Value = serde_json::from_slice(&body).unwrap();
    let events = page["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{page}");
    assert_eq!(events[0]["id"], second["id"]);
    assert_eq!(events[0]["seq"], last + 2);
    s.running.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiter_who_lost_access_while_waiting_gets_404() {
    let mut s = serve().await;
    let (incident, last) = s.restricted_incident().await;
    let bobs: Vec<_> = (0..20).map(|_| s.long_poll(incident, BOB, last)).collect();
    let carols: Vec<_> = (0..20)
        .map(|_| s.long_poll(incident, CAROL, last))
        .collect();
    s.until_waiting(last, 40).await;

    let revoke = ev("access_revoked", json!({ "handle": "carol" }));
    s.append(incident, ANA, vec![revoke.clone()]).await;

    for c in carols {
        let (status, body) = answer(c).await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "{}",
            String::from_utf8_lossy(&body)
        );
        let err: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(err["error"]["code"], "not_found");
        assert!(
            err["error"]["message"]
                .as_str()
                .unwrap()
                .contains(&incident.to_string())
        );
    }
    for b in bobs {
        let (status, body) = answer(b).await;
        assert_eq!(status, StatusCode::OK);
        let page: Value = serde_json::from_slice(&body).unwrap();
        let events = page["events"].as_array().unwrap();
        assert_eq!(events.len(), 1, "{page}");
        assert_eq!(events[0]["id"], revoke["id"]);
        assert_eq!(events[0]["handle"], "carol");
    }
    // And from then on the incident does not exist for carol.
    let r = s
        .http
        .get(format!("{}/api/v1/incidents/{incident}/events", s.base))
        .bearer_auth(CAROL)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    s.running.shutdown().await.unwrap();
}
