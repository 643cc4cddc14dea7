//! The built-in scenarios as confirmed incident logs, with fixed times (and, where a test
//! needs them stable, fixed ids).

use chrono::{DateTime, Duration, TimeZone, Utc};
use uuid::Uuid;
use warroom::domain::event::Event;
use warroom::domain::scenario::{Scenario, built_in};

/// When the fixtures' incidents are declared: 26 November 2026, 21:00 UTC.
pub fn demo_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 21, 0, 0).unwrap()
}

/// The demo incident's id where the console tests need a stable, time-ordered one.
pub const DEMO_INCIDENT: Uuid = Uuid::from_u128(0x0190_d5a0_0000_7000_8000_0000_0000_0001);

/// Event ids counting up from `first`: `first`, `first + 1`, ...
pub fn numbered_ids(first: u128) -> impl FnMut() -> Uuid {
    let mut next = first;
    move || {
        let id = Uuid::from_u128(next);
        next += 1;
        id
    }
}

/// Time-ordered event ids for [`DEMO_INCIDENT`]: 0190d5a0-0000-7000-8000-000000001001,
/// ...1002, and so on.
pub fn demo_ids() -> impl FnMut() -> Uuid {
    numbered_ids(0x0190_d5a0_0000_7000_8000_0000_0000_1001)
}

/// When the server is taken to have recorded each event of a fixture log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// The moment the event happened (its `at`).
    AsItHappened,
    /// One second apart from the declaration: the declaration at the scenario's start, the
    /// next event a second later, and so on, whatever the events' own times.
    OneSecondApart,
}

/// The built-in scenario `name`, declared at `start` as `incident`, as the log a server
/// would hold: every event confirmed, with seqs 1..N in the scenario's order and ids from
/// `ids` (the declaration's id is the incident's).
pub fn scenario_events(
    name: &str,
    incident: Uuid,
    start: DateTime<Utc>,
    ids: impl FnMut() -> Uuid,
    recorded: Recorded,
) -> Vec<Event> {
    let text = built_in(name).unwrap_or_else(|| panic!("no built-in scenario {name:?}"));
    Scenario::parse(text)
        .unwrap_or_else(|e| panic!("the {name} scenario parses: {e}"))
        .events(incident, start, false, ids)
        .unwrap_or_else(|e| panic!("the {name} scenario has valid steps: {e}"))
        .into_iter()
        .enumerate()
        .map(|(i, e)| Event {
            id: e.id,
            incident,
            seq: Some(i as i64 + 1),
            at: e.at,
            recorded_at: Some(match recorded {
                Recorded::AsItHappened => e.at,
                Recorded::OneSecondApart => start + Duration::seconds(i as i64),
            }),
            author: e.author,
            persona: None,
            kind: e.kind,
        })
        .collect()
}

/// The built-in demo scenario (the first hour of a card-payments outage, declared by maya)
/// as the confirmed log of `incident`, each event recorded as it happened.
pub fn demo_events(incident: Uuid, start: DateTime<Utc>, ids: impl FnMut() -> Uuid) -> Vec<Event> {
    scenario_events("demo", incident, start, ids, Recorded::AsItHappened)
}
