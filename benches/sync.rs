//! Sync figures on loopback, measured together in one run so they can be compared:
//!
//! - durable append: one writer posting one note at a time; each answer means the note is
//!   on disk (p50, p99);
//! - propagation: a change recorded on console A (its background syncer, kicked) until
//!   console B, long-polling the incident through its focus, reports it on its `changed`
//!   channel and holds it in its replica (p50, p99);
//! - catch-up: a fresh client pulling an incident of 100,000 events (built through the
//!   store in batches of 1000 before the server starts) until its replica holds them all;
//!   once through the library's syncer, once as `warroom sync` (the real binary, which
//!   pulls every incident).
//!
//! Run: `cargo bench --bench sync`

// A benchmark stops at the first thing that goes wrong: unwrapping is how it says so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::runtime::Runtime;
use tokio::sync::{mpsc, watch};
use uuid::Uuid;
use warroom::clock::{Clock, SystemClock};
use warroom::domain::event::{EventKind, Severity};
use warroom::server;
use warroom::store::{NewEvent, SqliteStore, Store, hash_token};
use warroom::sync::engine::{Link, LinkStatus, Syncer};
use warroom::sync::{Replica, shared_path};

const ALICE: &str = "wr_bench_sync_alice";
const BOB: &str = "wr_bench_sync_bob";
const CAROL: &str = "wr_bench_sync_carol";
const BIG: usize = 100_000;
const BATCH: usize = 1000;
const APPENDS: usize = 1000;
const CHANGES: usize = 300;

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn row(what: &str, n: usize, p50: &str, p99: &str) {
    println!("{what:<64} {n:>7} {p50:>11} {p99:>11}");
}

fn note(text: String) -> EventKind {
    EventKind::Note { text }
}

/// An incident of `BIG` events, appended through the store in batches of `BATCH`.
fn build_big(store: &SqliteStore, now: chrono::DateTime<chrono::Utc>) -> Uuid {
    let id = Uuid::now_v7();
    let mut made = 0;
    while made < BIG {
        let events: Vec<NewEvent> = (made..(made + BATCH).min(BIG))
            .map(|i| NewEvent {
                id: Uuid::now_v7(),
                at: now,
                persona: None,
                kind: if i == 0 {
                    EventKind::IncidentDeclared {
                        title: "A long night".into(),
                        severity: Severity::CRITICAL,
                        summary: String::new(),
                        drill: false,
                        restricted: false,
                    }
                } else {
                    note(format!("event {i}: replica lag on shard {}", i % 64))
                },
            })
            .collect();
        made += events.len();
        store
            .append_blocking(id, "seed", events)
            .expect("append a batch");
    }
    id
}

/// A console: its replica and its background syncer, focused on `focus`.
struct Console {
    replica: Replica,
    changed: mpsc::UnboundedReceiver<Uuid>,
    status: watch::Receiver<LinkStatus>,
    _focus: watch::Sender<Option<Uuid>>,
}

fn console(rt: &Runtime, dir: &Path, url: &str, token: &str, focus: Uuid) -> Console {
    let (replica, syncer, kick, _) = rt
        .block_on(Replica::open_shared_background(
            dir,
            url,
            token,
            "bench",
            Arc::new(SystemClock),
        ))
        .expect("open a console replica");
    let (focus_tx, focus_rx) = watch::channel(Some(focus));
    let (changed_tx, changed) = mpsc::unbounded_channel();
    let (status_tx, status) = watch::channel(LinkStatus::solo());
    rt.spawn(syncer.run(kick, focus_rx, changed_tx, status_tx));
    Console {
        replica,
        changed,
        status,
        _focus: focus_tx,
    }
}

impl Console {
    /// Waits on `changed` until `done` holds.
    fn wait(&mut self, rt: &Runtime, what: &str, mut done: impl FnMut(&Replica) -> bool) {
        rt.block_on(async {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
            while !done(&self.replica) {
                match tokio::time::timeout_at(deadline, self.changed.recv()).await {
                    Ok(Some(_)) => {}
                    _ => panic!("{what}: nothing within 30 s"),
                }
            }
        });
    }

    fn connected(&mut self, rt: &Runtime) {
        rt.block_on(async {
            tokio::time::timeout(
                Duration::from_secs(30),
                self.status.wait_for(|s| s.link == Link::Connected),
            )
            .await
            .expect("connected within 30 s")
            .expect("the syncer runs");
        });
    }
}

fn last_seq(store: &SqliteStore, incident: Uuid) -> i64 {
    store
        .incidents_blocking()
        .expect("read incidents")
        .iter()
        .find(|i| i.id == incident)
        .map_or(0, |i| i.last_seq)
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store = SqliteStore::open(dir.path().join("server.db"), clock.clone()).expect("store");
    for (handle, token) in [("alice", ALICE), ("bob", BOB), ("carol", CAROL)] {
        rt.block_on(store.add_token(handle, &hash_token(token), false))
            .expect("token");
    }
    let t = Instant::now();
    let big = build_big(&store, clock.now());
    let built = t.elapsed();
    let server_store: Arc<dyn Store> = Arc::new(store);
    let running = rt
        .block_on(server::start(
            "127.0.0.1:0".parse().expect("addr"),
            server_store,
            clock.clone(),
        ))
        .expect("server");
    let url = format!("http://{}", running.addr);
    let http = reqwest::Client::new();

    // Durable append, one writer.
    let hot = Uuid::now_v7();
    let appends: Vec<Duration> = rt.block_on(async {
        http.post(format!("{url}/api/v1/incidents"))
            .bearer_auth(ALICE)
            .json(&json!({ "id": hot, "title": "Hot path", "severity": 2 }))
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .expect("declare");
        let events = format!("{url}/api/v1/incidents/{hot}/events");
        let mut took = Vec::with_capacity(APPENDS);
        for i in 0..APPENDS + 50 {
            let body = json!({ "events": [
                { "id": Uuid::now_v7(), "type": "note", "text": format!("append {i}") }
            ] });
            let t = Instant::now();
            let r = http
                .post(&events)
                .bearer_auth(ALICE)
                .json(&body)
                .send()
                .await
                .and_then(|r| r.error_for_status())
                .expect("append");
            r.bytes().await.expect("answer");
            if i >= 50 {
                took.push(t.elapsed());
            }
        }
        took
    });

    // Propagation: console A records, console B (long-polling the incident) shows it.
    let prop = Uuid::now_v7();
    rt.block_on(async {
        http.post(format!("{url}/api/v1/incidents"))
            .bearer_auth(ALICE)
            .json(&json!({ "id": prop, "title": "Propagation", "severity": 2 }))
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .expect("declare");
    });
    let mut a = console(&rt, &dir.path().join("a"), &url, ALICE, prop);
    let mut b = console(&rt, &dir.path().join("b"), &url, BOB, prop);
    for c in [&mut a, &mut b] {
        c.connected(&rt);
        c.wait(&rt, "the incident reaches the console", |r| {
            last_seq(r.store(), prop) >= 1
        });
    }
    let mut propagation = Vec::with_capacity(CHANGES);
    for i in 0..CHANGES + 20 {
        let id = Uuid::now_v7();
        let t = Instant::now();
        let change = NewEvent {
            id,
            at: a.replica.now(),
            persona: None,
            kind: note(format!("change {i}")),
        };
        let handle = a.replica.handle().to_string();
        a.replica
            .record_as(prop, &handle, vec![change])
            .expect("record on A");
        b.wait(&rt, "the change reaches B", |r| {
            r.store().seq_of(id).ok().flatten().is_some()
        });
        if i >= 20 {
            propagation.push(t.elapsed());
        }
        // A's own `changed` reports are not measured.
        while a.changed.try_recv().is_ok() {}
    }

    // Catch-up: a fresh client pulls the big incident.
    let fresh = dir.path().join("fresh");
    let t = Instant::now();
    let (replica, syncer, _kick, _): (Replica, Arc<Syncer>, _, _) = rt
        .block_on(Replica::open_shared_background(
            &fresh,
            &url,
            CAROL,
            "carol",
            clock.clone(),
        ))
        .expect("open a fresh replica");
    rt.block_on(syncer.pull(big, Duration::ZERO))
        .expect("pull the big incident");
    let caught_up = t.elapsed();
    assert_eq!(last_seq(replica.store(), big), BIG as i64);
    assert_eq!(
        replica.store().outbox(None).expect("outbox").len(),
        0,
        "a fresh client sends nothing"
    );

    // The same as a person types it: `warroom sync` into an empty data dir.
    let cli_dir = dir.path().join("cli");
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .env_remove("WARROOM_DB")
        .arg("--data-dir")
        .arg(&cli_dir)
        .args(["--server", &url, "--token", CAROL, "sync"])
        .output()
        .expect("run warroom sync");
    let cli_caught_up = t.elapsed();
    assert!(
        out.status.success(),
        "warroom sync: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cli_replica =
        SqliteStore::open(shared_path(&cli_dir, &url), clock.clone()).expect("cli replica");
    assert_eq!(last_seq(&cli_replica, big), BIG as i64);

    rt.block_on(running.shutdown()).expect("shutdown");

    let mut appends = appends;
    appends.sort_unstable();
    propagation.sort_unstable();
    println!("\nwarroom sync figures (loopback; server and clients in one process unless noted)\n");
    println!("{:<64} {:>7} {:>11} {:>11}", "figure", "n", "p50", "p99");
    println!("{}", "-".repeat(96));
    row(
        "durable append, 1 writer (POST one note, answered when on disk)",
        appends.len(),
        &ms(pct(&appends, 0.5)),
        &ms(pct(&appends, 0.99)),
    );
    row(
        "propagation: record on A -> in B's replica (B long-polls)",
        propagation.len(),
        &ms(pct(&propagation, 0.5)),
        &ms(pct(&propagation, 0.99)),
    );
    row(
        &format!("catch-up: fresh client pulls {BIG} events (Syncer::pull)"),
        1,
        &format!("{:.2} s", caught_up.as_secs_f64()),
        "",
    );
    row(
        "catch-up: `warroom sync` into an empty data dir (binary)",
        1,
        &format!("{:.2} s", cli_caught_up.as_secs_f64()),
        "",
    );
    println!(
        "\n(catch-up goal: under 2 s; {:.0} events/s through the library; \
         building the incident through the store took {:.2} s)",
        BIG as f64 / caught_up.as_secs_f64(),
        built.as_secs_f64()
    );
}
