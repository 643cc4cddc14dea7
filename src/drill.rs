//! Drills: a scripted scenario played into a new incident marked as a drill, its events
//! arriving over time so a team can practise the workflow in the console. The scenario's
//! `trainee` is whoever runs the drill: they declare it and hold command.
//!
//! In solo mode each scripted act is recorded under its scripted author. A server writes
//! every act under the token's handle instead, so in shared mode the acts of the script's
//! other people carry them as a persona: shown as theirs (`priya (drill)`), while the rule
//! book still judges them as the trainee's.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use anyhow::{Result, anyhow, bail};
use chrono::Duration;
use uuid::Uuid;

use crate::clock::Clock;
use crate::domain::scenario::{Scenario, ScriptedEvent, built_in};
use crate::store::NewEvent;
use crate::sync::{Recorded, Replica};

/// Who the scenario calls the person running it.
pub const TRAINEE: &str = "trainee";

pub struct Drill {
    pub incident: Uuid,
    pub events: Vec<ScriptedEvent>,
    /// Who runs the drill (the scenario's trainee).
    pub trainee: String,
}

/// Prepares a drill from a built-in scenario: ids, times compressed by `speed`, the trainee
/// replaced by `handle`.
pub fn prepare(
    name: &str,
    handle: &str,
    clock: &dyn Clock,
    speed: f64,
    restricted: bool,
) -> Result<Drill> {
    let text = built_in(name).ok_or_else(|| {
        let names: Vec<&str> = crate::domain::scenario::BUILT_IN
            .iter()
            .map(|(n, _)| *n)
            .collect();
        anyhow!("no scenario `{name}`: use one of {}", names.join(", "))
    })?;
    if !(speed.is_finite() && speed > 0.0) {
        bail!("--speed must be a positive number, e.g. 1 (real time) or 10");
    }
    let mut scenario = Scenario::parse(text).map_err(anyhow::Error::msg)?;
    scenario.restricted = restricted;
    let incident = Uuid::now_v7();
    let start = clock.now();
    let mut events = scenario
        .events(incident, start, true, Uuid::now_v7)
        .map_err(anyhow::Error::msg)?;
    for e in &mut events {
        if e.author == TRAINEE {
            e.author = handle.to_string();
        }
        e.minute /= speed;
        e.at = start + Duration::milliseconds((e.fact_minute / speed * 60_000.0) as i64);
    }
    Ok(Drill {
        incident,
        events,
        trainee: handle.to_string(),
    })
}

/// Plays a drill: each event is recorded when its minute comes. `wait` passes the time
/// (a real sleep in the CLI, a clock that jumps in tests); `played` hears of each event.
pub fn play(
    replica: &Replica,
    drill: &Drill,
    clock: &Arc<dyn Clock>,
    mut wait: impl FnMut(StdDuration),
    mut played: impl FnMut(&ScriptedEvent, &Recorded),
) -> Result<()> {
    let start = clock.now();
    for e in &drill.events {
        let due = start + Duration::milliseconds((e.minute * 60_000.0) as i64);
        let now = clock.now();
        if due > now {
            wait((due - now).to_std().unwrap_or_default());
        }
        // Shared: the server writes the token's handle; the scripted person rides along.
        let (author, persona) = if replica.is_shared() && e.author != drill.trainee {
            (replica.handle(), Some(e.author.clone()))
        } else {
            (e.author.clone(), None)
        };
        let new = NewEvent {
            id: e.id,
            at: e.at,
            persona,
            kind: e.kind.clone(),
        };
        let recorded = replica.record_as(drill.incident, &author, vec![new])?;
        played(e, &recorded);
    }
    Ok(())
}
