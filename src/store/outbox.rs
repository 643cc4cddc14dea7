//! The replica's outbox: changes written durably here before they are shown, then confirmed
//! by the source of truth (the server, or in solo mode this same file).

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use uuid::Uuid;

use super::sqlite::{append_in, kind_from_row};
use super::{Accepted, NewEvent, SqliteStore, StoreError};
use crate::domain::event::{Event, format_time};

/// One change waiting in the outbox.
#[derive(Clone, Debug, PartialEq)]
pub struct Pending {
    pub event: Event,
    /// The server refused it; the reason, kept and shown, never dropped silently.
    pub rejected: Option<String>,
    pub attempts: i64,
}

fn pending_in(conn: &Connection, incident: Option<Uuid>) -> Result<Vec<Pending>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, incident, at, author, type, body, error, attempts FROM outbox \
             WHERE ?1 IS NULL OR incident = ?1 ORDER BY pos",
        )
        .map_err(StoreError::db)?;
    let rows = stmt
        .query_map([incident.map(|i| i.to_string())], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, i64>(7)?,
            ))
        })
        .map_err(StoreError::db)?;
    let mut out = Vec::new();
    for row in rows {
        let (id, inc, at, author, type_name, body, error, attempts) =
            row.map_err(StoreError::db)?;
        let parse_id = |s: &str| {
            Uuid::parse_str(s).map_err(|e| StoreError::Invalid(format!("outbox id `{s}`: {e}")))
        };
        out.push(Pending {
            event: Event {
                id: parse_id(&id)?,
                incident: parse_id(&inc)?,
                seq: None,
                at: DateTime::parse_from_rfc3339(&at)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|e| StoreError::Invalid(format!("outbox time `{at}`: {e}")))?,
                recorded_at: None,
                author,
                kind: kind_from_row(&type_name, &body),
            },
            rejected: error,
            attempts,
        });
    }
    Ok(out)
}

impl SqliteStore {
    /// Writes changes to the outbox; durable when this returns.
    pub fn outbox_add(
        &self,
        incident: Uuid,
        author: &str,
        events: Vec<NewEvent>,
    ) -> Result<(), StoreError> {
        let author = author.to_string();
        let now = format_time(self.now());
        self.write_blocking(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "INSERT OR IGNORE INTO outbox (id, incident, at, author, type, body, created_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .map_err(StoreError::db)?;
            for ev in &events {
                let body = serde_json::to_string(&ev.kind.fields()).map_err(StoreError::db)?;
                stmt.execute(params![
                    ev.id.to_string(),
                    incident.to_string(),
                    format_time(ev.at),
                    author,
                    ev.kind.type_name(),
                    body,
                    now
                ])
                .map_err(StoreError::db)?;
            }
            Ok(())
        })
    }

    /// Everything in the outbox (of one incident, or all), oldest first.
    pub fn outbox(&self, incident: Option<Uuid>) -> Result<Vec<Pending>, StoreError> {
        self.read(|c| pending_in(c, incident))
    }

    /// Solo mode: this file is the source of truth, so it confirms its own outbox, in order,
    /// each change appended with its author. A change the log refuses stays in the outbox,
    /// marked rejected with the reason. Answers each change's seq or reason.
    pub fn confirm_outbox_locally(&self) -> Result<Vec<(Uuid, Result<i64, String>)>, StoreError> {
        let now = self.now();
        self.write_blocking(move |c| {
            let pending = pending_in(c, None)?;
            let mut answers = Vec::new();
            for p in pending.iter().filter(|p| p.rejected.is_none()) {
                let ev = &p.event;
                let new = NewEvent {
                    id: ev.id,
                    at: ev.at,
                    kind: ev.kind.clone(),
                };
                let result: Result<Vec<Accepted>, StoreError> =
                    append_in(c, ev.incident, &ev.author, &[new], now);
                match result {
                    Ok(acc) => {
                        c.prepare_cached("DELETE FROM outbox WHERE id = ?1")
                            .and_then(|mut s| s.execute([ev.id.to_string()]))
                            .map_err(StoreError::db)?;
                        answers.push((ev.id, Ok(acc.first().map_or(0, |a| a.seq))));
                    }
                    Err(StoreError::Unavailable(e)) => return Err(StoreError::Unavailable(e)),
                    Err(e) => {
                        c.prepare_cached(
                            "UPDATE outbox SET state = 'rejected', error = ?2, attempts = attempts + 1 \
                             WHERE id = ?1",
                        )
                        .and_then(|mut s| s.execute(params![ev.id.to_string(), e.to_string()]))
                        .map_err(StoreError::db)?;
                        answers.push((ev.id, Err(e.to_string())));
                    }
                }
            }
            Ok(answers)
        })
    }
}
