//! The same events give the same state, however they arrive: all at once, in batches of
//! any size, or through a store that confirms them in different-sized appends.

// Tests fail by panicking, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use uuid::Uuid;
use warroom::clock::ManualClock;
use warroom::domain::event::Event;
use warroom::domain::incident::Incident;
use warroom::store::{NewEvent, SqliteStore};

use common::Recorded;

/// The built-in scenario `name` as the confirmed log of a new incident, with fresh ids.
fn scenario_events(name: &str) -> (Uuid, Vec<Event>) {
    let incident = Uuid::now_v7();
    let events = common::scenario_events(
        name,
        incident,
        common::demo_start(),
        Uuid::now_v7,
        Recorded::OneSecondApart,
    );
    (incident, events)
}

/// A small deterministic generator, so batch splits vary without a dependency.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % below.max(1)
    }
}

#[test]
fn any_batch_split_gives_the_same_digest() {
    for name in ["demo", "database-failover", "privacy-leak"] {
        let (id, events) = scenario_events(name);
        let whole = Incident::fold(id, &events).digest();
        let mut rng = Lcg(name.len() as u64);
        for _ in 0..20 {
            let mut state = Incident::new(id);
            let mut i = 0;
            while i < events.len() {
                let n = 1 + rng.next(7);
                for e in &events[i..(i + n).min(events.len())] {
                    state.apply(e);
                }
                i += n;
            }
            assert_eq!(state.digest(), whole, "{name}");
        }
        // Folding is not order-blind, though: the digest sees the log, not a bag of events.
        let mut reversed = events.clone();
        reversed.reverse();
        assert_ne!(Incident::fold(id, &reversed).digest(), whole, "{name}");
    }
}

#[test]
fn stores_fed_in_different_batches_agree() {
    let (id, events) = scenario_events("demo");
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 26, 23, 0, 0).unwrap(),
    ));
    let mut digests = Vec::new();
    for batch in [1usize, 3, 100] {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("s.db"), clock.clone()).unwrap();
        for chunk in events.chunks(batch) {
            // One author per append, as a server would see it.
            for group in chunk.chunk_by(|a, b| a.author == b.author) {
                let new: Vec<NewEvent> = group
                    .iter()
                    .map(|e| NewEvent {
                        id: e.id,
                        at: e.at,
                        persona: None,
                        kind: e.kind.clone(),
                    })
                    .collect();
                store.append_blocking(id, &group[0].author, new).unwrap();
            }
        }
        let stored = store.all_events(id).unwrap();
        assert_eq!(stored.len(), events.len());
        digests.push(Incident::fold(id, &stored).digest());
    }
    assert!(digests.windows(2).all(|w| w[0] == w[1]), "{digests:?}");
}
