//! Server figures, measured together in one run so they can be compared:
//! loopback /healthz round trip, plain SQLite durable inserts (the raw limit), the API's
//! durable append latency and throughput with 64 concurrent writers (group commit), and
//! long-poll wake latency (append on one connection, wake on another).
//!
//! Run: `cargo bench --bench server`

// A benchmark stops at the first thing that goes wrong: unwrapping is how it says so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use uuid::Uuid;
use warroom::clock::SystemClock;
use warroom::server;
use warroom::store::{SqliteStore, Store, hash_token};

const TOKEN: &str = "wr_bench";

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// `n` round trips of `/healthz` through `client` (a pooled client reuses its connection;
/// one with no idle pool opens a new one each time), sorted.
async fn healthz_round_trips(client: &reqwest::Client, base: &str, n: usize) -> Vec<Duration> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let r = client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .expect("healthz");
        assert!(r.status().is_success());
        r.bytes().await.expect("body");
        out.push(t.elapsed());
    }
    out.sort();
    out
}

fn note(text: &str) -> Value {
    json!({ "events": [ { "id": Uuid::now_v7(), "type": "note", "text": text } ] })
}

/// Plain SQLite: one row per transaction, WAL + synchronous=FULL, as the store uses.
fn raw_sqlite_inserts(dir: &std::path::Path, n: usize) -> f64 {
    let conn = rusqlite::Connection::open(dir.join("raw.db")).expect("open raw db");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("wal");
    conn.pragma_update(None, "synchronous", "FULL")
        .expect("full");
    conn.execute_batch("CREATE TABLE t (id TEXT PRIMARY KEY, body TEXT NOT NULL)")
        .expect("table");
    let start = Instant::now();
    for i in 0..n {
        conn.execute(
            "INSERT INTO t (id, body) VALUES (?1, ?2)",
            rusqlite::params![Uuid::now_v7().to_string(), format!("note {i}")],
        )
        .expect("insert");
    }
    n as f64 / start.elapsed().as_secs_f64()
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(SystemClock);
    let store = SqliteStore::open(dir.path().join("server.db"), clock.clone()).expect("store");
    store
        .add_token("bench", &hash_token(TOKEN), false)
        .await
        .expect("token");
    let running = server::start("127.0.0.1:0".parse().expect("addr"), Arc::new(store), clock)
        .await
        .expect("server");
    let base = format!("http://{}", running.addr);
    let client = reqwest::Client::new();
    let auth = format!("Bearer {TOKEN}");

    // Loopback round trip.
    let health = healthz_round_trips(&client, &base, 1000).await;

    // What a monitor opening a new connection feels, alone and beside 2,000 idle or
    // half-sent connections (a slow-loris crowd): the ratio is the figure.
    let fresh = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");
    let alone = healthz_round_trips(&fresh, &base, 300).await;
    let mut crowd = Vec::new();
    for i in 0..2000 {
        let mut s = tokio::net::TcpStream::connect(running.addr)
            .await
            .expect("connect");
        if i % 2 == 0 {
            use tokio::io::AsyncWriteExt;
            s.write_all(b"GET /healthz HTTP/1.1\r\nHo")
                .await
                .expect("half a head");
        }
        crowd.push(s);
    }
    let flooded = healthz_round_trips(&fresh, &base, 300).await;
    drop(crowd);

    let raw = raw_sqlite_inserts(dir.path(), 300);

    let incident = Uuid::now_v7();
    let r = client
        .post(format!("{base}/api/v1/incidents"))
        .header("authorization", &auth)
        .json(&json!({ "id": incident, "title": "bench", "severity": 3 }))
        .send()
        .await
        .expect("declare");
    assert_eq!(r.status().as_u16(), 201);
    let events_url = format!("{base}/api/v1/incidents/{incident}/events");

    // Durable append latency, one writer.
    let mut append = Vec::new();
    for i in 0..300 {
        let t = Instant::now();
        let r = client
            .post(&events_url)
            .header("authorization", &auth)
            .json(&note(&format!("single {i}")))
            .send()
            .await
            .expect("append");
        assert!(r.status().is_success());
        r.bytes().await.expect("body");
        append.push(t.elapsed());
    }
    append.sort();

    // Throughput: 64 concurrent writers, one event per request.
    let writers = 64;
    let per_writer = 250;
    let start = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let (client, url, auth) = (client.clone(), events_url.clone(), auth.clone());
            tokio::spawn(async move {
                for i in 0..per_writer {
                    let r = client
                        .post(&url)
                        .header("authorization", &auth)
                        .json(&note(&format!("w{w} {i}")))
                        .send()
                        .await
                        .expect("append");
                    assert!(r.status().is_success());
                    r.bytes().await.expect("body");
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("writer");
    }
    let throughput = (writers * per_writer) as f64 / start.elapsed().as_secs_f64();

    // Long-poll wake: B waits after the newest seq; A appends; B's answer is timed from A's send.
    let mut wake = Vec::new();
    let mut ack = Vec::new();
    let last = |v: &Value| v["last_seq"].as_i64().unwrap_or(0);
    let page: Value = client
        .get(&events_url)
        .header("authorization", &auth)
        .query(&[("after", "0"), ("limit", "1")])
        .send()
        .await
        .expect("read")
        .json()
        .await
        .expect("json");
    let mut after = last(&page);
    let poller = reqwest::Client::new();
    for i in 0..200 {
        let (p, url, a) = (poller.clone(), events_url.clone(), auth.clone());
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<()>();
        let waiter = tokio::spawn(async move {
            let req = p
                .get(&url)
                .header("authorization", &a)
                .query(&[("after", after.to_string()), ("wait", "30".to_string())]);
            let _ = ready_tx.send(());
            let r = req.send().await.expect("poll");
            let v: Value = r.json().await.expect("json");
            (Instant::now(), v)
        });
        ready_rx.await.expect("ready");
        // Give the poll time to reach the server and subscribe; a poll that arrives after
        // the append returns at once, which would only flatter the figure, so wait.
        tokio::time::sleep(Duration::from_millis(5)).await;
        let t = Instant::now();
        let r = client
            .post(&events_url)
            .header("authorization", &auth)
            .json(&note(&format!("wake {i}")))
            .send()
            .await
            .expect("append");
        assert!(r.status().is_success());
        r.bytes().await.expect("body");
        ack.push(t.elapsed());
        let (woke, v) = waiter.await.expect("waiter");
        assert_eq!(v["events"].as_array().map(Vec::len), Some(1));
        wake.push(woke.duration_since(t));
        after = last(&v);
    }
    wake.sort();
    ack.sort();

    println!("warroom server figures (SQLite, WAL + synchronous=FULL, loopback)");
    println!(
        "  /healthz round trip            p50 {}  p99 {}",
        ms(pct(&health, 0.5)),
        ms(pct(&health, 0.99))
    );
    println!(
        "  /healthz, new connection       p50 {}  p99 {}",
        ms(pct(&alone, 0.5)),
        ms(pct(&alone, 0.99))
    );
    println!(
        "  the same beside 2,000 idle/half-sent connections  p50 {}  p99 {}  (p50 ratio {:.2})",
        ms(pct(&flooded, 0.5)),
        ms(pct(&flooded, 0.99)),
        pct(&flooded, 0.5).as_secs_f64() / pct(&alone, 0.5).as_secs_f64()
    );
    println!("  plain SQLite durable inserts   {raw:.0} inserts/s (one row per transaction)");
    println!(
        "  API durable append, 1 writer   p50 {}  p99 {}",
        ms(pct(&append, 0.5)),
        ms(pct(&append, 0.99))
    );
    println!("  API durable appends, 64 writers {throughput:.0} events/s (one event per request)");
    println!(
        "  durable append in wake runs    p50 {}  p99 {}",
        ms(pct(&ack, 0.5)),
        ms(pct(&ack, 0.99))
    );
    println!(
        "  long-poll wake (append->wake)  p50 {}  p99 {}",
        ms(pct(&wake, 0.5)),
        ms(pct(&wake, 0.99))
    );
    running.shutdown().await.expect("shutdown");
}
