//! The replica's outbox: changes written durably here before they are shown, then confirmed
//! by the source of truth (the server, or in solo mode this same file).

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use super::sqlite_log::{
    append_in, body_of, each_event_in, event_in, kind_from_row, save_summary, scrub_in,
};
use super::{Accepted, NewEvent, SqliteStore, StoreError};
use crate::domain::event::EventKind;
use crate::domain::event::{Event, format_time};
use crate::domain::incident::IncidentSummary;

/// A change's id and its seq, or why the log refused it.
pub type Confirmation = (Uuid, Result<i64, String>);

/// One change waiting in the outbox.
#[derive(Clone, Debug, PartialEq)]
pub struct Pending {
    pub event: Event,
    /// The server refused it; the reason, kept and shown, never dropped silently.
    pub rejected: Option<String>,
    pub attempts: i64,
    /// The server accepted it with this seq; the row goes when the event is pulled.
    pub acked_seq: Option<i64>,
}

impl Pending {
    /// Still waiting to be delivered (neither refused nor acknowledged).
    pub fn is_waiting(&self) -> bool {
        self.rejected.is_none() && self.acked_seq.is_none()
    }
}

/// What a pull added to the replica.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mirrored {
    pub applied: usize,
    /// The replica's newest contiguous seq for the incident after the pull.
    pub last_seq: i64,
    /// An event arrived out of order: the pull stopped before it and must ask again.
    pub gap: bool,
    /// A redaction arrived: earlier events changed, so whoever folded them folds again.
    pub redacted: bool,
}

fn pending_in(conn: &Connection, incident: Option<Uuid>) -> Result<Vec<Pending>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, incident, at, author, type, body, error, attempts, acked_seq FROM outbox \
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
                r.get::<_, Option<i64>>(8)?,
            ))
        })
        .map_err(StoreError::db)?;
    let mut out = Vec::new();
    for row in rows {
        let (id, inc, at, author, type_name, body, error, attempts, acked_seq) =
            row.map_err(StoreError::db)?;
        let (kind, persona) = kind_from_row(&type_name, &body);
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
                persona,
                kind,
            },
            rejected: error,
            attempts,
            acked_seq,
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
                let body = body_of(&ev.kind, ev.persona.as_deref())?;
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

    /// An incident's log from one snapshot of the file, without holding it in memory:
    /// every confirmed event in seq order, handed to `each` as it is read, then the
    /// changes to it still in the outbox (oldest first), answered. Stops at the first
    /// error `each` answers and hands it back.
    pub fn each_event<E: From<StoreError>>(
        &self,
        incident: Uuid,
        each: impl FnMut(Event) -> Result<(), E>,
    ) -> Result<Vec<Pending>, E> {
        self.read(|c| {
            // One read transaction: a change confirmed meanwhile is in one list or the other.
            let snapshot = c.unchecked_transaction().map_err(StoreError::db)?;
            if let Err(e) = each_event_in(&snapshot, incident, 0, each) {
                return Ok(Err(e));
            }
            Ok(Ok(pending_in(&snapshot, Some(incident))?))
        })?
    }

    /// Solo mode: this file is the source of truth, so it confirms its own outbox, in order,
    /// each change appended with its author. A change the log refuses stays in the outbox,
    /// marked rejected with the reason. Answers each change's seq or reason.
    pub fn confirm_outbox_locally(&self) -> Result<Vec<Confirmation>, StoreError> {
        let now = self.now();
        let judge = self.judge();
        self.write_blocking(move |c| {
            let pending = pending_in(c, None)?;
            let mut answers = Vec::new();
            for p in pending.iter().filter(|p| p.is_waiting()) {
                let ev = &p.event;
                let new = NewEvent {
                    id: ev.id,
                    at: ev.at,
                    persona: ev.persona.clone(),
                    kind: ev.kind.clone(),
                };
                let result: Result<Vec<Accepted>, StoreError> =
                    append_in(c, &judge, ev.incident, &ev.author, &[new], now);
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

    /// Records the server's seqs for pushed changes.
    pub async fn outbox_ack(&self, acks: Vec<(Uuid, i64)>) -> Result<(), StoreError> {
        self.write_async(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "UPDATE outbox SET acked_seq = ?2, attempts = attempts + 1 WHERE id = ?1",
                )
                .map_err(StoreError::db)?;
            for (id, seq) in &acks {
                stmt.execute(params![id.to_string(), seq])
                    .map_err(StoreError::db)?;
            }
            Ok(())
        })
        .await
    }

    /// Marks changes the server refused, with its reason; they stay visible.
    pub async fn outbox_reject(&self, ids: Vec<Uuid>, reason: String) -> Result<(), StoreError> {
        self.write_async(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "UPDATE outbox SET state = 'rejected', error = ?2, attempts = attempts + 1 WHERE id = ?1",
                )
                .map_err(StoreError::db)?;
            for id in &ids {
                stmt.execute(params![id.to_string(), reason]).map_err(StoreError::db)?;
            }
            Ok(())
        })
        .await
    }

    pub async fn outbox_async(&self, incident: Option<Uuid>) -> Result<Vec<Pending>, StoreError> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.outbox(incident))
            .await
            .map_err(|e| StoreError::Unavailable(format!("reader failed: {e}")))?
    }

    /// Adds confirmed events pulled from the server, in seq order, keeping their seq,
    /// author and receipt time; each one's outbox row (if it was ours) goes with it.
    pub async fn mirror(&self, incident: Uuid, events: Vec<Event>) -> Result<Mirrored, StoreError> {
        // Pulled events can always be pulled again: no need to wait for the disk.
        self.write_relaxed(move |c| mirror_in(c, incident, &events))
            .await
    }

    /// Deletes the changes the server refused, answering what they were.
    pub fn outbox_drop_rejected(&self) -> Result<Vec<Pending>, StoreError> {
        self.write_blocking(|c| {
            let refused: Vec<Pending> = pending_in(c, None)?
                .into_iter()
                .filter(|p| p.rejected.is_some())
                .collect();
            c.execute("DELETE FROM outbox WHERE state = 'rejected'", [])
                .map_err(StoreError::db)?;
            Ok(refused)
        })
    }

    /// Deletes one refused change (the console dismissing it); answers whether it was there.
    pub fn outbox_drop_rejected_one(&self, id: Uuid) -> Result<bool, StoreError> {
        self.write_blocking(move |c| {
            c.execute(
                "DELETE FROM outbox WHERE id = ?1 AND state = 'rejected'",
                [id.to_string()],
            )
            .map(|n| n > 0)
            .map_err(StoreError::db)
        })
    }

    /// The seq of an event: confirmed in the log, or acknowledged by the server.
    pub fn seq_of(&self, id: Uuid) -> Result<Option<i64>, StoreError> {
        self.read(move |c| {
            c.prepare_cached(
                "SELECT seq FROM events WHERE id = ?1 \
                 UNION ALL SELECT acked_seq FROM outbox WHERE id = ?1 AND acked_seq IS NOT NULL",
            )
            .and_then(|mut s| s.query_row([id.to_string()], |r| r.get(0)).optional())
            .map_err(StoreError::db)
        })
    }

    /// A value the replica keeps about its server (e.g. the last successful sync).
    pub fn sync_value(&self, key: &str) -> Result<Option<String>, StoreError> {
        let key = key.to_string();
        self.read(move |c| {
            c.prepare_cached("SELECT value FROM sync_state WHERE key = ?1")
                .and_then(|mut s| s.query_row([key], |r| r.get(0)).optional())
                .map_err(StoreError::db)
        })
    }

    pub async fn set_sync_value(&self, key: &str, value: String) -> Result<(), StoreError> {
        let key = key.to_string();
        self.write_async(move |c| {
            c.execute(
                "INSERT INTO sync_state (key, value) VALUES (?1, ?2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map(|_| ())
            .map_err(StoreError::db)
        })
        .await
    }
}

fn mirror_in(conn: &Connection, incident: Uuid, events: &[Event]) -> Result<Mirrored, StoreError> {
    let row: Option<String> = conn
        .prepare_cached("SELECT summary FROM incidents WHERE id = ?1")
        .and_then(|mut s| s.query_row([incident.to_string()], |r| r.get(0)).optional())
        .map_err(StoreError::db)?;
    let existed = row.is_some();
    let mut summary = match row {
        Some(json) => serde_json::from_str::<IncidentSummary>(&json)
            .map_err(|e| StoreError::Invalid(format!("stored summary does not parse: {e}")))?,
        None => IncidentSummary::new(incident),
    };
    let mut out = Mirrored {
        last_seq: summary.last_seq,
        ..Mirrored::default()
    };
    let mut insert = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO events (incident, seq, id, at, recorded_at, author, type, body) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .map_err(StoreError::db)?;
    let mut drop_outbox = conn
        .prepare_cached("DELETE FROM outbox WHERE id = ?1")
        .map_err(StoreError::db)?;
    // A replica catching up usually has nothing waiting: then no event needs looking for
    // in the outbox.
    let outbox_empty: bool = conn
        .prepare_cached("SELECT NOT EXISTS (SELECT 1 FROM outbox)")
        .and_then(|mut s| s.query_row([], |r| r.get(0)))
        .map_err(StoreError::db)?;
    for ev in events {
        let Some(seq) = ev.seq else { continue };
        if seq <= out.last_seq {
            continue;
        }
        if seq != out.last_seq + 1 {
            out.gap = true;
            break;
        }
        let body = body_of(&ev.kind, ev.persona.as_deref())?;
        insert
            .execute(params![
                incident.to_string(),
                seq,
                ev.id.to_string(),
                format_time(ev.at),
                format_time(ev.recorded_at.unwrap_or(ev.at)),
                ev.author,
                ev.kind.type_name(),
                body
            ])
            .map_err(StoreError::db)?;
        if !outbox_empty {
            drop_outbox
                .execute([ev.id.to_string()])
                .map_err(StoreError::db)?;
        }
        if let EventKind::EventRedacted { event: target, .. } = &ev.kind
            && let Some(original) = event_in(conn, incident, *target)?
            && let Some(clean) = original.kind.scrubbed()
        {
            // The server has dropped the text; so does every replica, on this pull.
            scrub_in(conn, incident, &original, &clean)?;
            out.redacted = true;
        }
        summary.apply(ev);
        out.last_seq = seq;
        out.applied += 1;
    }
    if out.redacted {
        // A redacted declaration changes the title: the summary is folded again from the
        // stored, scrubbed events, as the server does.
        let all = super::sqlite_log::events_in(conn, incident, 0, usize::MAX)?;
        summary = crate::domain::incident::Incident::fold(incident, &all).summary;
        // The snapshot holds the removed text too; the next reader folds the log again.
        super::snapshot::delete_in(conn, incident)?;
    }
    if out.applied > 0 {
        save_summary(conn, &summary, out.last_seq, existed)?;
    }
    Ok(out)
}
