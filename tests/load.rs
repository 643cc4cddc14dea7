//! Load as a test: 100 concurrent clients on loopback for a bounded time, 70 appending and
//! 30 long-polling, then every acknowledged event must be stored once, with the seq it was
//! acknowledged with, seqs contiguous from 1, and every long-poller must have seen an
//! unbroken run of seqs. Against one server on a real SQLite file, and (in CI, marked
//! ignored) against two servers sharing one PostgreSQL database.

// Tests fail by panicking, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Client;
use serde_json::{Value, json};
use tokio::time::Instant;
use uuid::Uuid;
use warroom::clock::{Clock, SystemClock};
use warroom::store::Store;

use common::{Server, Token};

const TOKEN: &str = "wr_load_test_alice";
const APPENDERS: usize = 70;
const POLLERS: usize = 30;
/// How long the clients keep at it.
const RUN: Duration = Duration::from_secs(30);
/// Each appender stops after this many, so the test is bounded in count as well as time.
const MOST_EACH: usize = 400;

/// alice's token, the one every client uses.
const TOKENS: [Token; 1] = [Token::read_write("alice", TOKEN)];

async fn declare(http: &Client, base: &str) -> Uuid {
    let id = Uuid::now_v7();
    let resp = http
        .post(format!("{base}/api/v1/incidents"))
        .bearer_auth(TOKEN)
        .json(&json!({ "id": id, "title": "load", "severity": 3 }))
        .send()
        .await
        .expect("declare");
    assert!(resp.status().is_success(), "declare: {}", resp.status());
    id
}

/// Appends one note at a time until the deadline; answers what was acknowledged.
async fn appender(http: Client, base: String, incident: Uuid, until: Instant) -> Vec<(Uuid, i64)> {
    let mut acked = Vec::new();
    while Instant::now() < until && acked.len() < MOST_EACH {
        let id = Uuid::now_v7();
        let resp = http
            .post(format!("{base}/api/v1/incidents/{incident}/events"))
            .bearer_auth(TOKEN)
            .json(&json!({ "events": [ { "id": id, "type": "note", "text": "load" } ] }))
            .send()
            .await
            .expect("the server answers every append");
        assert!(
            resp.status().is_success(),
            "append answered {}",
            resp.status()
        );
        let body: Value = resp.json().await.expect("an append answer");
        let seq = body["accepted"][0]["seq"].as_i64().expect("a seq");
        acked.push((id, seq));
    }
    acked
}

/// Long-polls from seq 0 until the deadline; answers the seqs it saw, in order.
async fn poller(http: Client, base: String, incident: Uuid, until: Instant) -> Vec<i64> {
    let mut seen = Vec::new();
    let mut after = 0;
    while Instant::now() < until {
        let resp = http
            .get(format!(
                "{base}/api/v1/incidents/{incident}/events?after={after}&limit=10000&wait=2"
            ))
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("the server answers every long-poll");
        assert!(
            resp.status().is_success(),
            "poll answered {}",
            resp.status()
        );
        let page: Value = resp.json().await.expect("an events page");
        for e in page["events"].as_array().expect("events") {
            let seq = e["seq"].as_i64().expect("a seq");
            seen.push(seq);
            after = seq;
        }
    }
    seen
}

async fn all_events(http: &Client, base: &str, incident: Uuid) -> Vec<Value> {
    let mut out = Vec::new();
    loop {
        let after = out.len();
        let page: Value = http
            .get(format!(
                "{base}/api/v1/incidents/{incident}/events?after={after}&limit=10000"
            ))
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("read")
            .json()
            .await
            .expect("a page");
        let events = page["events"].as_array().expect("events").clone();
        if events.is_empty() {
            return out;
        }
        out.extend(events);
    }
}

/// Runs the crowd against `bases` (clients spread over them) and checks the outcome.
async fn crowd(bases: &[String]) {
    let http = Client::builder()
        .pool_max_idle_per_host(128)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("a client");
    let incident = declare(&http, &bases[0]).await;
    let until = Instant::now() + RUN;
    let appenders: Vec<_> = (0..APPENDERS)
        .map(|i| {
            let base = bases[i % bases.len()].clone();
            tokio::spawn(appender(http.clone(), base, incident, until))
        })
        .collect();
    let pollers: Vec<_> = (0..POLLERS)
        .map(|i| {
            // Pollers sit on the other instance where there is one: its wake-ups come
            // through the database.
            let base = bases[(i + 1) % bases.len()].clone();
            tokio::spawn(poller(http.clone(), base, incident, until))
        })
        .collect();
    let mut acked: HashMap<Uuid, i64> = HashMap::new();
    for a in appenders {
        for (id, seq) in a.await.expect("an appender") {
            assert!(acked.insert(id, seq).is_none(), "{id} acknowledged twice");
        }
    }
    let mut seen = Vec::new();
    for p in pollers {
        seen.push(p.await.expect("a poller"));
    }
    assert!(
        acked.len() > APPENDERS,
        "the crowd got something done: {} appends",
        acked.len()
    );

    let stored = all_events(&http, &bases[0], incident).await;
    let seqs: Vec<i64> = stored.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(
        seqs,
        (1..=stored.len() as i64).collect::<Vec<_>>(),
        "seqs contiguous from 1"
    );
    let mut by_id: HashMap<Uuid, i64> = HashMap::new();
    for e in &stored {
        let id: Uuid = e["id"].as_str().unwrap().parse().unwrap();
        assert!(
            by_id.insert(id, e["seq"].as_i64().unwrap()).is_none(),
            "{id} stored twice"
        );
    }
    for (id, seq) in &acked {
        assert_eq!(by_id.get(id), Some(seq), "{id} as acknowledged");
    }
    assert_eq!(
        stored.len(),
        acked.len() + 1,
        "the declaration and every append"
    );
    for run in &seen {
        assert!(!run.is_empty(), "every poller saw events");
        assert_eq!(
            *run,
            (1..=*run.last().unwrap()).collect::<Vec<_>>(),
            "a poller sees an unbroken run of seqs"
        );
    }
    eprintln!(
        "{} clients on {} server(s): {} appends acknowledged, each stored once",
        APPENDERS + POLLERS,
        bases.len(),
        acked.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_clients_for_thirty_seconds_on_sqlite() {
    let mut server = Server::start(&TOKENS).await;
    crowd(&[server.url()]).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set WARROOM_TEST_POSTGRES"]
async fn a_hundred_clients_for_thirty_seconds_on_two_servers_sharing_postgres() {
    let db = common::TestDb::create().await;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut servers = Vec::new();
    for n in 0..2 {
        let store: Arc<dyn Store> = Arc::new(
            warroom::store::postgres::PgStore::connect(
                &db.url,
                clock.clone(),
                warroom::domain::rules::Rules::default(),
            )
            .await
            .expect("connect"),
        );
        // The tokens are in the shared database: the first server puts them there.
        let tokens: &[Token] = if n == 0 { &TOKENS } else { &[] };
        servers.push(common::serve(store, clock.clone(), tokens).await);
    }
    let bases: Vec<String> = servers
        .iter()
        .map(|s| format!("http://{}", s.addr))
        .collect();
    crowd(&bases).await;
    for s in servers {
        s.shutdown().await.expect("a clean stop");
    }
    db.drop_db().await;
}
