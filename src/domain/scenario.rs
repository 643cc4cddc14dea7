//! Scripted incidents (the demo and the drills), written in TOML in `assets/scenarios/`.
//!
//! A scenario names the incident and lists steps in log order. Each step says when the fact
//! happened (`minute`, relative to the declaration; negative for back-dated facts such as
//! start of impact), who recorded it, its `type` and fields. A step may carry `ref = "name"`;
//! any later string field `"@name"` becomes that step's event id (an experiment naming the
//! theories it tests, an outcome naming its experiment).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::event::{EventKind, Severity};
use super::time::parse_span;

#[derive(Clone, Debug, Deserialize)]
pub struct Scenario {
    pub title: String,
    pub severity: u8,
    #[serde(default)]
    pub summary: String,
    /// Who declares the incident.
    pub commander: String,
    #[serde(default, rename = "step")]
    pub steps: Vec<Map<String, Value>>,
    /// Played into a restricted incident (set by whoever plays it).
    #[serde(default)]
    pub restricted: bool,
}

/// One scripted fact, ready to be recorded.
#[derive(Clone, Debug, PartialEq)]
pub struct ScriptedEvent {
    pub id: Uuid,
    pub author: String,
    pub at: DateTime<Utc>,
    /// Minutes after the declaration at which this step is played (drills replay in time).
    pub minute: f64,
    /// Minutes after the declaration at which the fact happened (negative: back-dated).
    pub fact_minute: f64,
    pub kind: EventKind,
}

impl Scenario {
    pub fn parse(text: &str) -> Result<Scenario, String> {
        let s: Scenario = toml::from_str(text).map_err(|e| format!("scenario: {e}"))?;
        Severity::new(i64::from(s.severity))?;
        Ok(s)
    }

    /// The declaration followed by every step, ids from `new_id`, times from `start`.
    pub fn events(
        &self,
        incident: Uuid,
        start: DateTime<Utc>,
        drill: bool,
        mut new_id: impl FnMut() -> Uuid,
    ) -> Result<Vec<ScriptedEvent>, String> {
        let severity = Severity::new(i64::from(self.severity))?;
        let mut out = vec![ScriptedEvent {
            id: incident,
            author: self.commander.clone(),
            at: start,
            minute: 0.0,
            fact_minute: 0.0,
            kind: EventKind::IncidentDeclared {
                title: self.title.clone(),
                severity,
                summary: self.summary.clone(),
                drill,
                restricted: self.restricted,
            },
        }];
        let mut refs: HashMap<String, Uuid> = HashMap::new();
        let mut last_minute = 0.0_f64;
        for (n, step) in self.steps.iter().enumerate() {
            let where_ = format!("step {}", n + 1);
            let mut fields = step.clone();
            let minute = fields
                .remove("minute")
                .and_then(|v| v.as_f64())
                .ok_or_else(|| format!("{where_}: `minute` (a number) is required"))?;
            let author = match fields.remove("author") {
                Some(Value::String(a)) => a,
                None => self.commander.clone(),
                Some(_) => return Err(format!("{where_}: `author` must be a string")),
            };
            let type_name = match fields.remove("type") {
                Some(Value::String(t)) => t,
                _ => return Err(format!("{where_}: `type` is required")),
            };
            let id = new_id();
            if let Some(Value::String(r)) = fields.remove("ref") {
                refs.insert(r, id);
            }
            let mut value = Value::Object(fields);
            substitute(&mut value, &refs, start).map_err(|e| format!("{where_}: {e}"))?;
            let Value::Object(fields) = value else {
                unreachable!("an object stays an object")
            };
            let kind =
                EventKind::from_parts(&type_name, fields).map_err(|e| format!("{where_}: {e}"))?;
            // Back-dated facts play when they are recorded, not when they happened.
            last_minute = last_minute.max(minute);
            out.push(ScriptedEvent {
                id,
                author,
                at: start + Duration::milliseconds((minute * 60_000.0) as i64),
                minute: last_minute,
                fact_minute: minute,
                kind,
            });
        }
        if self.restricted {
            // Everyone the script makes act is let in by the commander first.
            let mut authors: Vec<String> = Vec::new();
            for e in &out {
                if e.author != self.commander && !authors.contains(&e.author) {
                    authors.push(e.author.clone());
                }
            }
            let grants: Vec<ScriptedEvent> = authors
                .into_iter()
                .map(|handle| ScriptedEvent {
                    id: new_id(),
                    author: self.commander.clone(),
                    at: start,
                    minute: 0.0,
                    fact_minute: 0.0,
                    kind: EventKind::AccessGranted { handle },
                })
                .collect();
            out.splice(1..1, grants);
        }
        Ok(out)
    }
}

fn substitute(
    v: &mut Value,
    refs: &HashMap<String, Uuid>,
    start: DateTime<Utc>,
) -> Result<(), String> {
    match v {
        Value::String(s) if s.starts_with("start+") || s.starts_with("start-") => {
            let span = parse_span(&s[6..]).ok_or_else(|| format!("`{s}`: cannot read the span"))?;
            let t = if s.as_bytes()[5] == b'+' {
                start + span
            } else {
                start - span
            };
            *s = super::event::format_time(t);
        }
        Value::String(s) if s.starts_with('@') => {
            let id = refs
                .get(&s[1..])
                .ok_or_else(|| format!("`{s}` names no earlier step's ref"))?;
            *s = id.to_string();
        }
        Value::Array(items) => {
            for item in items {
                substitute(item, refs, start)?;
            }
        }
        Value::Object(m) => {
            for item in m.values_mut() {
                substitute(item, refs, start)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// The scenarios warroom ships, by name.
pub const BUILT_IN: &[(&str, &str)] = &[
    ("demo", include_str!("../../assets/scenarios/demo.toml")),
    (
        "database-failover",
        include_str!("../../assets/scenarios/database-failover.toml"),
    ),
    (
        "privacy-leak",
        include_str!("../../assets/scenarios/privacy-leak.toml"),
    ),
];

/// A built-in scenario by name.
pub fn built_in(name: &str) -> Option<&'static str> {
    BUILT_IN.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::{Event, TheoryStatus};
    use crate::domain::incident::Incident;
    use chrono::TimeZone;

    #[test]
    fn every_built_in_scenario_folds_cleanly() {
        for ((name, text), restricted) in BUILT_IN.iter().flat_map(|b| [(b, false), (b, true)]) {
            let mut s = Scenario::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            s.restricted = restricted;
            let start = Utc.with_ymd_and_hms(2026, 11, 26, 21, 0, 0).unwrap();
            let incident = Uuid::now_v7();
            let events = s.events(incident, start, false, Uuid::now_v7).unwrap();
            let mut state = Incident::new(incident);
            for (i, e) in events.iter().enumerate() {
                state
                    .check(&e.author, e.at, &e.kind)
                    .unwrap_or_else(|err| panic!("{name} step {i}: {err}"));
                state.apply(&Event {
                    id: e.id,
                    incident,
                    seq: Some(i as i64 + 1),
                    at: e.at,
                    recorded_at: None,
                    author: e.author.clone(),
                    persona: None,
                    kind: e.kind.clone(),
                });
            }
            assert_eq!(state.ignored_events, 0, "{name}");
            assert_eq!(state.unknown_events, 0, "{name}");
            assert_eq!(state.summary.restricted, restricted, "{name}");
        }
    }

    #[test]
    fn the_demo_is_a_living_incident() {
        let s = Scenario::parse(BUILT_IN[0].1).unwrap();
        let start = Utc.with_ymd_and_hms(2026, 11, 26, 21, 0, 0).unwrap();
        let incident = Uuid::now_v7();
        let events = s.events(incident, start, false, Uuid::now_v7).unwrap();
        let state = Incident::fold(
            incident,
            &events
                .iter()
                .map(|e| Event {
                    id: e.id,
                    incident,
                    seq: None,
                    at: e.at,
                    recorded_at: None,
                    author: e.author.clone(),
                    persona: None,
                    kind: e.kind.clone(),
                })
                .collect::<Vec<_>>(),
        );
        assert!(state.ttd().is_some());
        assert!(state.responders.len() >= 4);
        assert!(!state.roster.handovers.is_empty());
        assert!(
            state
                .board
                .theories
                .iter()
                .any(|t| t.status == TheoryStatus::Refuted)
        );
        assert!(!state.comms.is_empty());
    }

    #[test]
    fn unknown_refs_and_missing_minutes_are_reported_with_the_step() {
        let text = "title='x'\nseverity=2\ncommander='a'\n[[step]]\nminute=1\ntype='experiment'\nplan='p'\ntests=['@nope']\n";
        let s = Scenario::parse(text).unwrap();
        let err = s
            .events(Uuid::nil(), Utc::now(), false, Uuid::now_v7)
            .unwrap_err();
        assert!(err.contains("step 1") && err.contains("@nope"), "{err}");
        let text = "title='x'\nseverity=2\ncommander='a'\n[[step]]\ntype='note'\ntext='n'\n";
        let err =
            Scenario::parse(text)
                .unwrap()
                .events(Uuid::nil(), Utc::now(), false, Uuid::now_v7);
        assert!(err.unwrap_err().contains("minute"));
        assert!(Scenario::parse("title='x'\nseverity=9\ncommander='a'\n").is_err());
    }
}
