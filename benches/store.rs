//! Durable appends to the SQLite store (WAL, `synchronous = FULL`: every answered append
//! has been fsynced). Three shapes of load:
//!
//! - `single`: one event per append, one thread: one commit (one fsync) per event;
//! - `batch_100`: 100 events per append, one thread: one commit per 100 events;
//! - `concurrent_64`: 64 threads each appending single events at once: the writer's group
//!   commit gathers whatever is queued into one transaction, so the fsync is shared.
//!
//! The database lives in a temp dir under Cargo's target dir rather than the system temp
//! dir, which on many machines is a tmpfs where an fsync costs nothing and the figures would
//! say nothing about durability.
//!
//! Run: `cargo bench --bench store`

// A benchmark stops at the first thing that goes wrong: unwrapping is how it says so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use chrono::Utc;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use tempfile::TempDir;
use uuid::Uuid;
use warroom::clock::SystemClock;
use warroom::domain::event::{EventKind, Severity};
use warroom::store::{NewEvent, SqliteStore};

const BATCH: usize = 100;
const WRITERS: usize = 64;

/// A fresh store with one declared incident.
struct Fixture {
    store: SqliteStore,
    incident: Uuid,
    // Dropped last: the store closes before its directory goes.
    _dir: TempDir,
}

fn fixture() -> Fixture {
    let dir = tempfile::Builder::new()
        .prefix("warroom-bench-store-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("a temp dir under the target dir");
    let store = SqliteStore::open(dir.path().join("bench.db"), Arc::new(SystemClock))
        .expect("the store opens");
    let incident = Uuid::now_v7();
    // The first event of an incident declares it, with the incident's id as its own.
    let accepted = store
        .append_blocking(
            incident,
            "maya",
            vec![NewEvent {
                id: incident,
                at: Utc::now(),
                persona: None,
                kind: EventKind::IncidentDeclared {
                    title: "Card payments failing at checkout".into(),
                    severity: Severity::MAJOR,
                    summary: "Roughly a third of card payments fail at checkout.".into(),
                    drill: false,
                    restricted: false,
                },
            }],
        )
        .expect("the declaration is appended");
    assert_eq!(accepted[0].seq, 1);
    Fixture {
        store,
        incident,
        _dir: dir,
    }
}

fn note(n: usize) -> NewEvent {
    NewEvent {
        id: Uuid::now_v7(),
        at: Utc::now(),
        persona: None,
        kind: EventKind::Note {
            text: format!("Error rate on the canary is unchanged after rollback step {n}."),
        },
    }
}

/// How many events the incident holds now (checks that the appends really happened).
fn last_seq(f: &Fixture) -> i64 {
    f.store
        .incidents_blocking()
        .expect("incidents")
        .iter()
        .find(|i| i.id == f.incident)
        .map_or(0, |i| i.last_seq)
}

fn appends(c: &mut Criterion) {
    let mut group = c.benchmark_group("append");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));

    {
        let f = fixture();
        let mut n = 0;
        group.throughput(Throughput::Elements(1));
        group.bench_function("single", |b| {
            b.iter(|| {
                n += 1;
                let accepted = f
                    .store
                    .append_blocking(f.incident, "tomas", vec![note(n)])
                    .expect("append");
                black_box(accepted)
            })
        });
        assert_eq!(last_seq(&f), 1 + n as i64, "every append was stored");
    }

    {
        let f = fixture();
        let mut n = 0;
        group.throughput(Throughput::Elements(BATCH as u64));
        group.bench_function("batch_100", |b| {
            b.iter_batched(
                || {
                    let batch: Vec<NewEvent> = (0..BATCH).map(|k| note(n * BATCH + k)).collect();
                    n += 1;
                    batch
                },
                |batch| {
                    f.store
                        .append_blocking(f.incident, "tomas", batch)
                        .expect("append")
                },
                BatchSize::SmallInput,
            )
        });
        assert_eq!(
            last_seq(&f),
            1 + (n * BATCH) as i64,
            "every batch was stored"
        );
    }

    {
        let f = fixture();
        let mut total = 0u64;
        // One iteration: each of 64 threads appends one event, all at once.
        group.throughput(Throughput::Elements(WRITERS as u64));
        group.bench_function("concurrent_64", |b| {
            b.iter_custom(|iters| {
                let start = Arc::new(Barrier::new(WRITERS + 1));
                let writers: Vec<_> = (0..WRITERS)
                    .map(|w| {
                        let store = f.store.clone();
                        let start = start.clone();
                        let incident = f.incident;
                        thread::spawn(move || {
                            start.wait();
                            for i in 0..iters as usize {
                                store
                                    .append_blocking(
                                        incident,
                                        "tomas",
                                        vec![note(w * 1_000_000 + i)],
                                    )
                                    .expect("append");
                            }
                        })
                    })
                    .collect();
                start.wait();
                let t0 = Instant::now();
                for w in writers {
                    w.join().expect("a writer thread");
                }
                total += iters * WRITERS as u64;
                t0.elapsed()
            })
        });
        assert_eq!(last_seq(&f), 1 + total as i64, "every append was stored");
    }

    group.finish();
}

criterion_group!(benches, appends);
criterion_main!(benches);
