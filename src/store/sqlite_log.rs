//! The event log in SQLite: reading events and incidents, and the append itself (judged by
//! the rule book, written whole or not at all), run on the writer thread.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::sqlite_writer::{REMOVED, SCRUBBED};
use super::{
    Accepted, Folded, Judge, NewEvent, StoreError, catch_up, kept_state_holds, plan_on, snapshot,
};
use crate::domain::event::{Event, EventKind, format_time};
use crate::domain::incident::{Incident, IncidentSummary};

/// Rewrites a redacted event's stored text (and a copy waiting in the outbox) in place.
pub(crate) fn scrub_in(
    conn: &Connection,
    incident: Uuid,
    original: &Event,
    clean: &EventKind,
) -> Result<(), StoreError> {
    let target = original.id;
    let body = body_of(clean, original.persona.as_deref())?;
    conn.prepare_cached("UPDATE events SET body = ?3 WHERE id = ?1 AND incident = ?2")
        .and_then(|mut s| s.execute(params![target.to_string(), incident.to_string(), body]))
        .map_err(StoreError::db)?;
    conn.prepare_cached("UPDATE outbox SET body = ?2 WHERE id = ?1")
        .and_then(|mut s| s.execute(params![target.to_string(), body]))
        .map_err(StoreError::db)?;
    SCRUBBED.set(true);
    REMOVED.with(|r| {
        r.borrow_mut()
            .extend(super::removed_texts(&original.kind, clean))
    });
    Ok(())
}

pub(super) fn parse_time(s: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Invalid(format!("stored time `{s}` does not parse: {e}")))
}

pub(super) fn parse_uuid(s: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(s)
        .map_err(|e| StoreError::Invalid(format!("stored id `{s}` does not parse: {e}")))
}

/// Where the `body` column keeps a drill persona, beside the kind's own fields (no kind
/// has a field of that name: it is an envelope key).
const PERSONA: &str = "persona";

/// What the `body` column holds: the kind's fields, and the drill persona if there is one.
pub(crate) fn body_of(kind: &EventKind, persona: Option<&str>) -> Result<String, StoreError> {
    let mut fields = kind.fields();
    if let Some(p) = persona {
        fields.insert(PERSONA.into(), Value::String(p.to_string()));
    }
    serde_json::to_string(&fields).map_err(StoreError::db)
}

/// Rebuilds a kind and its drill persona from stored columns; a stored body this version
/// cannot read is shown as unknown rather than failing the whole read.
pub(crate) fn kind_from_row(type_name: &str, body: &str) -> (EventKind, Option<String>) {
    let mut fields: Map<String, Value> = serde_json::from_str(body).unwrap_or_default();
    let persona = match fields.remove(PERSONA) {
        Some(Value::String(p)) => Some(p),
        _ => None,
    };
    (EventKind::from_stored(type_name, fields), persona)
}

/// The incident's folded state as of its newest stored event: the kept one caught up, or
/// folded afresh from the log.
pub(crate) fn state_in(
    conn: &Connection,
    judge: &Judge,
    incident: Uuid,
    stored_last_seq: i64,
) -> Result<Folded, StoreError> {
    let kept = judge.folds.take(incident);
    let id_at = match kept.as_ref().map(|k| k.state.summary.last_seq) {
        Some(seq) if seq > 0 => id_at_seq(conn, incident, seq)?,
        _ => None,
    };
    if let Some(mut kept) = kept.filter(|k| kept_state_holds(k, stored_last_seq, id_at)) {
        let tail = events_in(conn, incident, kept.seq(), usize::MAX)?;
        // A redaction stored since (by another process) rewrote earlier events.
        if !snapshot::scrubs(&tail) {
            catch_up(&mut kept, &tail);
            return Ok(kept);
        }
    }
    Ok(snapshot::fold_in(conn, incident)?.folded)
}

fn id_at_seq(conn: &Connection, incident: Uuid, seq: i64) -> Result<Option<Uuid>, StoreError> {
    let id: Option<String> = conn
        .prepare_cached("SELECT id FROM events WHERE incident = ?1 AND seq = ?2")
        .and_then(|mut s| {
            s.query_row(params![incident.to_string(), seq], |r| r.get(0))
                .optional()
        })
        .map_err(StoreError::db)?;
    id.as_deref().map(parse_uuid).transpose()
}

/// A stored event by its id, on whichever incident it is.
pub(super) fn event_anywhere(conn: &Connection, id: Uuid) -> Result<Option<Event>, StoreError> {
    let found: Option<(String, i64)> = conn
        .prepare_cached("SELECT incident, seq FROM events WHERE id = ?1")
        .and_then(|mut s| {
            s.query_row([id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
        })
        .map_err(StoreError::db)?;
    match found {
        Some((incident, seq)) => Ok(events_in(conn, parse_uuid(&incident)?, seq - 1, 1)?
            .into_iter()
            .next()),
        None => Ok(None),
    }
}

/// One stored event of `incident` by its id.
pub(crate) fn event_in(
    conn: &Connection,
    incident: Uuid,
    id: Uuid,
) -> Result<Option<Event>, StoreError> {
    let seq: Option<i64> = conn
        .prepare_cached("SELECT seq FROM events WHERE id = ?1 AND incident = ?2")
        .and_then(|mut s| {
            s.query_row(params![id.to_string(), incident.to_string()], |r| r.get(0))
                .optional()
        })
        .map_err(StoreError::db)?;
    match seq {
        Some(seq) => Ok(events_in(conn, incident, seq - 1, 1)?.into_iter().next()),
        None => Ok(None),
    }
}

/// The append itself, run inside the writer's transaction: judged by the rule book against
/// the incident's state, then written whole or not at all.
pub(crate) fn append_in(
    conn: &Connection,
    judge: &Judge,
    incident: Uuid,
    author: &str,
    events: &[NewEvent],
    now: DateTime<Utc>,
) -> Result<Vec<Accepted>, StoreError> {
    let row: Option<String> = conn
        .prepare_cached("SELECT summary FROM incidents WHERE id = ?1")
        .and_then(|mut s| s.query_row([incident.to_string()], |r| r.get(0)).optional())
        .map_err(StoreError::db)?;
    let existed = row.is_some();
    let stored_last_seq = match row {
        Some(json) => {
            serde_json::from_str::<IncidentSummary>(&json)
                .map_err(|e| StoreError::Invalid(format!("stored summary does not parse: {e}")))?
                .last_seq
        }
        None => 0,
    };
    let mut prior = HashMap::new();
    for ev in events {
        if let Some(found) = event_anywhere(conn, ev.id)? {
            prior.insert(ev.id, found);
        }
    }
    let folded = state_in(conn, judge, incident, stored_last_seq)?;
    let (plan, mut folded) = plan_on(
        judge,
        folded,
        incident,
        author,
        events,
        &prior,
        now,
        &mut |id| event_in(conn, incident, id),
    )?;
    if plan.to_insert.is_empty() {
        judge.folds.put(folded);
        return Ok(plan.accepted);
    }
    let mut insert = conn
        .prepare_cached(
            "INSERT INTO events (incident, seq, id, at, recorded_at, author, type, body) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .map_err(StoreError::db)?;
    let (incident_text, recorded) = (incident.to_string(), format_time(now));
    for ev in &plan.to_insert {
        let body = body_of(&ev.kind, ev.persona.as_deref())?;
        insert
            .execute(params![
                incident_text,
                ev.seq,
                ev.id.to_string(),
                format_time(ev.at),
                recorded,
                ev.author,
                ev.kind.type_name(),
                body
            ])
            .map_err(StoreError::db)?;
    }
    folded.last_id = plan.to_insert.last().map(|e| e.id);
    if !plan.scrub.is_empty() {
        for (target, clean) in &plan.scrub {
            scrub_in(conn, incident, target, clean)?;
        }
        // The state must be the fold of what is stored now, scrubbed text and all; the
        // snapshot holds the removed text too, and is replaced.
        let all = events_in(conn, incident, 0, usize::MAX)?;
        folded.state = std::sync::Arc::new(Incident::fold(incident, &all));
        snapshot::delete_in(conn, incident)?;
        snapshot::save_folded_in(conn, &mut folded)?;
    } else if snapshot::due(folded.snapshot_seq, folded.seq())
        || plan
            .to_insert
            .iter()
            .any(|e| matches!(e.kind, EventKind::Closed { .. }))
    {
        snapshot::save_folded_in(conn, &mut folded)?;
    }
    save_summary(
        conn,
        &folded.state.summary,
        folded.state.summary.last_seq,
        existed,
    )?;
    judge.folds.put(folded);
    Ok(plan.accepted)
}

pub(crate) fn save_summary(
    conn: &Connection,
    summary: &IncidentSummary,
    last_seq: i64,
    existed: bool,
) -> Result<(), StoreError> {
    let json = serde_json::to_string(summary).map_err(StoreError::db)?;
    if existed {
        conn.prepare_cached("UPDATE incidents SET last_seq = ?2, summary = ?3 WHERE id = ?1")
            .and_then(|mut s| s.execute(params![summary.id.to_string(), last_seq, json]))
            .map_err(StoreError::db)?;
    } else {
        let declared = summary.declared_at.map(format_time).unwrap_or_default();
        conn.prepare_cached(
            "INSERT INTO incidents (id, short_id, declared_at, last_seq, summary) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .and_then(|mut s| {
            s.execute(params![
                summary.id.to_string(),
                summary.short_id,
                declared,
                last_seq,
                json
            ])
        })
        .map_err(StoreError::db)?;
    }
    Ok(())
}

pub(crate) fn events_in(
    conn: &Connection,
    incident: Uuid,
    after: i64,
    limit: usize,
) -> Result<Vec<Event>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT seq, id, at, recorded_at, author, type, body FROM events \
             WHERE incident = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        )
        .map_err(StoreError::db)?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = stmt
        .query_map(params![incident.to_string(), after, limit], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
            ))
        })
        .map_err(StoreError::db)?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, id, at, recorded_at, author, type_name, body) = row.map_err(StoreError::db)?;
        out.push(event_from_row(
            incident,
            seq,
            &id,
            &at,
            &recorded_at,
            author,
            &type_name,
            &body,
        )?);
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn event_from_row(
    incident: Uuid,
    seq: i64,
    id: &str,
    at: &str,
    recorded_at: &str,
    author: String,
    type_name: &str,
    body: &str,
) -> Result<Event, StoreError> {
    let (kind, persona) = kind_from_row(type_name, body);
    Ok(Event {
        id: parse_uuid(id)?,
        incident,
        seq: Some(seq),
        at: parse_time(at)?,
        recorded_at: Some(parse_time(recorded_at)?),
        author,
        persona,
        kind,
    })
}

/// Every event of `incident` after `after`, in seq order, handed to `each` as it is read
/// (none is kept); stops at the first error `each` answers and hands it back.
pub(crate) fn each_event_in<E: From<StoreError>>(
    conn: &Connection,
    incident: Uuid,
    after: i64,
    mut each: impl FnMut(Event) -> Result<(), E>,
) -> Result<(), E> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT seq, id, at, recorded_at, author, type, body FROM events \
             WHERE incident = ?1 AND seq > ?2 ORDER BY seq",
        )
        .map_err(StoreError::db)?;
    let mut rows = stmt
        .query(params![incident.to_string(), after])
        .map_err(StoreError::db)?;
    while let Some(r) = rows.next().map_err(StoreError::db)? {
        let text = |i| r.get_ref(i).and_then(|v| v.as_str().map_err(Into::into));
        let event = (|| {
            Ok::<_, rusqlite::Error>((
                r.get::<_, i64>(0)?,
                text(1)?,
                text(2)?,
                text(3)?,
                r.get::<_, String>(4)?,
                text(5)?,
                text(6)?,
            ))
        })()
        .map_err(StoreError::db)
        .and_then(|(seq, id, at, recorded_at, author, type_name, body)| {
            event_from_row(incident, seq, id, at, recorded_at, author, type_name, body)
        })?;
        each(event)?;
    }
    Ok(())
}

pub(crate) fn incidents_in(conn: &Connection) -> Result<Vec<IncidentSummary>, StoreError> {
    let mut stmt = conn
        .prepare_cached("SELECT summary FROM incidents ORDER BY declared_at DESC, id")
        .map_err(StoreError::db)?;
    let rows = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(StoreError::db)?;
    let mut out = Vec::new();
    for row in rows {
        let json = row.map_err(StoreError::db)?;
        out.push(
            serde_json::from_str(&json)
                .map_err(|e| StoreError::Invalid(format!("stored summary does not parse: {e}")))?,
        );
    }
    Ok(out)
}

pub(super) fn incident_in(
    conn: &Connection,
    id: Uuid,
) -> Result<Option<IncidentSummary>, StoreError> {
    let json: Option<String> = conn
        .prepare_cached("SELECT summary FROM incidents WHERE id = ?1")
        .and_then(|mut s| s.query_row([id.to_string()], |r| r.get(0)).optional())
        .map_err(StoreError::db)?;
    json.map(|j| {
        serde_json::from_str(&j)
            .map_err(|e| StoreError::Invalid(format!("stored summary does not parse: {e}")))
    })
    .transpose()
}
