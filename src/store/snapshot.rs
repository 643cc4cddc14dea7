//! Snapshots: an incident's folded state stored with the seq and event id it was folded up
//! to, so whoever needs the state (the server after a restart, a cold incident, a CLI
//! command, a console opening) folds only the events after the latest snapshot.
//!
//! One snapshot per incident, in the `snapshots` table, replaced as the log grows: an
//! append saves one when [`due`] says so (and at a close, and after a redaction folded the
//! state again); a reader that had to fold many events saves what it folded. A snapshot is
//! used only if
//!
//! - it was written by this format of the state ([`FORMAT`]) and this version of warroom
//!   (another version may fold differently: its snapshots are ignored and the state is
//!   folded from the start, then saved again);
//! - the stored event at its seq is still the one it was folded up to;
//! - no redaction was stored after it: a redaction rewrites earlier events, so a state
//!   folded before it would still hold the redacted text. Storing a redaction replaces
//!   the snapshot (or, on a replica, deletes it), and the check keeps a reader that raced
//!   one from using or saving a stale state.

use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use super::sqlite_log::{events_in, parse_uuid};
use super::{CurrentState, Folded, Judge, Look, StoreError, catch_up};
use crate::domain::event::{Event, EventKind};
use crate::domain::incident::Incident;

/// The shape of the state a snapshot holds: the fold's own format
/// ([`STATE_FORMAT`](crate::domain::incident::STATE_FORMAT), which every digest names too).
/// It is raised whenever `Incident` (or anything in it) changes how it serializes or what
/// the fold makes of an event; the test `the_snapshot_format_names_the_shape_of_the_state`
/// fails when the shape changes. Format 2 holds the digest of the log; format 3 the
/// alerts linked and unlinked.
pub const FORMAT: i64 = crate::domain::incident::STATE_FORMAT;

/// Which warroom wrote a snapshot: only this one's are used.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Events between snapshots, at least; beyond 50,000 events, a fiftieth of the log, so
/// the cost of writing them stays in proportion to what they save.
pub const EVERY: i64 = 1000;

/// Whether a state at `seq`, last snapshotted at `snapshot_seq`, is due a new snapshot.
pub fn due(snapshot_seq: i64, seq: i64) -> bool {
    seq - snapshot_seq >= EVERY.max(seq / 50)
}

/// Whether these events hold a redaction, which rewrites earlier stored events.
pub fn scrubs(events: &[Event]) -> bool {
    events
        .iter()
        .any(|e| matches!(e.kind, EventKind::EventRedacted { .. }))
}

/// A stored snapshot as read, before it is trusted.
pub struct Stored {
    pub seq: i64,
    pub last_id: Uuid,
    pub format: i64,
    pub version: String,
    pub state: String,
}

impl Stored {
    /// The state it holds, if this warroom wrote it in this format and it parses.
    pub fn decode(&self, incident: Uuid) -> Option<Incident> {
        if self.format != FORMAT || self.version != VERSION || self.seq < 1 {
            return None;
        }
        let state: Incident = serde_json::from_str(&self.state)
            .map_err(|e| tracing::warn!("snapshot of {incident} at #{} ignored: {e}", self.seq))
            .ok()?;
        (state.id() == incident && state.summary.last_seq == self.seq).then_some(state)
    }
}

/// The state `stored` holds, caught up with `tail` (the stored events after the
/// snapshot's seq minus one, in order: the first must be the event it was folded up to),
/// unless it cannot be trusted (see the module's documentation).
pub fn resume_from(incident: Uuid, stored: &Stored, tail: &[Event]) -> Option<Folded> {
    let (first, rest) = tail.split_first()?;
    if first.id != stored.last_id || first.seq != Some(stored.seq) || scrubs(rest) {
        return None;
    }
    let state = stored.decode(incident)?;
    let mut folded = Folded::new(state, Some(stored.last_id));
    folded.snapshot_seq = stored.seq;
    catch_up(&mut folded, rest);
    Some(folded)
}

/// The state serialized for a snapshot.
pub fn encode(state: &Incident) -> Result<String, StoreError> {
    serde_json::to_string(state).map_err(StoreError::db)
}

// ---- SQLite ----------------------------------------------------------------------------

/// The snapshot stored for `incident`, if any.
pub(crate) fn load_in(conn: &Connection, incident: Uuid) -> Result<Option<Stored>, StoreError> {
    let row: Option<(i64, String, i64, String, String)> = conn
        .prepare_cached(
            "SELECT seq, last_id, format, version, state FROM snapshots WHERE incident = ?1",
        )
        .and_then(|mut s| {
            s.query_row([incident.to_string()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .optional()
        })
        .map_err(StoreError::db)?;
    row.map(|(seq, last_id, format, version, state)| {
        Ok(Stored {
            seq,
            last_id: parse_uuid(&last_id)?,
            format,
            version,
            state,
        })
    })
    .transpose()
}

/// What [`fold_in`] read and folded.
pub(crate) struct Loaded {
    pub folded: Folded,
    /// The events read: those after the snapshot's seq, or every one when there was no
    /// usable snapshot. In seq order.
    pub read: Vec<Event>,
}

/// The incident's state as of its newest stored event: the latest snapshot and the events
/// after it, or the whole log folded when there is no usable snapshot.
pub(crate) fn fold_in(conn: &Connection, incident: Uuid) -> Result<Loaded, StoreError> {
    if let Some(stored) = load_in(conn, incident)? {
        let mut tail = events_in(conn, incident, stored.seq - 1, usize::MAX)?;
        if let Some(folded) = resume_from(incident, &stored, &tail) {
            tail.remove(0);
            return Ok(Loaded { folded, read: tail });
        }
    }
    let all = events_in(conn, incident, 0, usize::MAX)?;
    Ok(Loaded {
        folded: Folded::new(Incident::fold(incident, &all), all.last().map(|e| e.id)),
        read: all,
    })
}

/// Stores `state` (serialized as `json`) as the snapshot of its incident, unless the log no
/// longer ends the way it was folded (its last event is not `last_id` at its seq), a
/// redaction was stored after it, or a newer snapshot is stored. Answers whether it did.
pub(crate) fn save_in(
    conn: &Connection,
    incident: Uuid,
    seq: i64,
    last_id: Uuid,
    json: &str,
) -> Result<bool, StoreError> {
    let id_at: Option<String> = conn
        .prepare_cached("SELECT id FROM events WHERE incident = ?1 AND seq = ?2")
        .and_then(|mut s| {
            s.query_row(params![incident.to_string(), seq], |r| r.get(0))
                .optional()
        })
        .map_err(StoreError::db)?;
    if id_at.as_deref().map(parse_uuid).transpose()? != Some(last_id) {
        return Ok(false);
    }
    let redacted_after: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM events WHERE incident = ?1 AND seq > ?2 \
             AND type = 'event_redacted')",
        )
        .and_then(|mut s| s.query_row(params![incident.to_string(), seq], |r| r.get(0)))
        .map_err(StoreError::db)?;
    if redacted_after {
        return Ok(false);
    }
    let written = conn
        .prepare_cached(
            "INSERT INTO snapshots (incident, seq, last_id, format, version, state) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
             ON CONFLICT (incident) DO UPDATE SET seq = excluded.seq, \
             last_id = excluded.last_id, format = excluded.format, \
             version = excluded.version, state = excluded.state \
             WHERE snapshots.seq < excluded.seq OR snapshots.format <> excluded.format \
             OR snapshots.version <> excluded.version",
        )
        .and_then(|mut s| {
            s.execute(params![
                incident.to_string(),
                seq,
                last_id.to_string(),
                FORMAT,
                VERSION,
                json
            ])
        })
        .map_err(StoreError::db)?;
    Ok(written > 0)
}

/// Stores the snapshot of `folded` in the append's transaction: the seq and event id
/// are those just written.
pub(crate) fn save_folded_in(conn: &Connection, folded: &mut Folded) -> Result<(), StoreError> {
    let Some(last_id) = folded.last_id else {
        return Ok(());
    };
    let json = encode(&folded.state)?;
    if save_in(conn, folded.state.id(), folded.seq(), last_id, &json)? {
        folded.snapshot_seq = folded.seq();
    }
    Ok(())
}

/// Deletes the snapshot of `incident` (a redaction arrived on a replica: the snapshot
/// holds the text it removed).
pub(crate) fn delete_in(conn: &Connection, incident: Uuid) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM snapshots WHERE incident = ?1")
        .and_then(|mut s| s.execute([incident.to_string()]))
        .map(|_| ())
        .map_err(StoreError::db)
}

/// The stored log's newest seq and the id of the event at it; `None` for an incident
/// with no stored event.
pub(crate) fn head_in(
    conn: &Connection,
    incident: Uuid,
) -> Result<Option<(i64, Option<Uuid>)>, StoreError> {
    let row: Option<(i64, Option<String>)> = conn
        .prepare_cached(
            "SELECT i.last_seq, e.id FROM incidents i \
             LEFT JOIN events e ON e.incident = i.id AND e.seq = i.last_seq \
             WHERE i.id = ?1 AND i.last_seq > 0",
        )
        .and_then(|mut s| {
            s.query_row([incident.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
        })
        .map_err(StoreError::db)?;
    row.map(|(seq, id)| Ok((seq, id.as_deref().map(parse_uuid).transpose()?)))
        .transpose()
}

/// An incident's confirmed state and its latest events (see [`SqliteStore::recent`]).
///
/// [`SqliteStore::recent`]: super::SqliteStore::recent
pub struct Recent {
    pub state: Incident,
    /// The latest events, in seq order, up to the state's seq. All of them when the
    /// first is seq 1.
    pub tail: Vec<Event>,
}

/// What a reader of the state found: the state, and whether it folded enough events that
/// its snapshot is due.
pub(crate) struct Found {
    pub state: Arc<Incident>,
    /// The state and the event it was folded up to, if it was folded here and its
    /// snapshot is due.
    pub save: Option<(Arc<Incident>, Uuid)>,
}

/// What [`kept_in`] found.
pub(crate) enum Kept {
    /// The incident has no stored event.
    NoIncident,
    Found(Found),
    /// No state of the stored log's newest seq is kept: none, one an append holds, or one
    /// ahead of what was read of the log (an append not committed yet).
    No,
}

/// The incident's state as of its newest stored event, from the state `judge` keeps,
/// caught up with the events after it if it is behind.
pub(crate) fn kept_in(
    conn: &Connection,
    judge: &Judge,
    incident: Uuid,
) -> Result<Kept, StoreError> {
    let Some((seq, last_id)) = head_in(conn, incident)? else {
        return Ok(Kept::NoIncident);
    };
    // At most twice: once to catch up, once to serve.
    for _ in 0..2 {
        match judge.folds.look(incident, seq, last_id) {
            Look::Current { state } => {
                return Ok(Kept::Found(Found { state, save: None }));
            }
            Look::Behind {
                seq: kept,
                last_id: kept_id,
            } => {
                // Up to the head read, not beyond: what was appended since is for the
                // next reader.
                let count = usize::try_from(seq - kept + 1).unwrap_or(0);
                let mut tail = events_in(conn, incident, (kept - 1).max(0), count)?;
                if kept > 0 {
                    if tail.first().map(|e| e.id) != kept_id {
                        break;
                    }
                    tail.remove(0);
                }
                if !judge.folds.advance(incident, kept, kept_id, &tail) {
                    break;
                }
            }
            Look::Missing => break,
        }
    }
    Ok(Kept::No)
}

/// The incident's state folded from the latest snapshot and the events after it, kept in
/// `judge` for the next reader (unless a newer one is kept meanwhile).
pub(crate) fn cold_in(
    conn: &Connection,
    judge: &Judge,
    incident: Uuid,
) -> Result<Found, StoreError> {
    let Loaded { folded, .. } = fold_in(conn, incident)?;
    let state = folded.state.clone();
    let save = folded
        .last_id
        .filter(|_| due(folded.snapshot_seq, folded.seq()))
        .map(|id| (state.clone(), id));
    judge.folds.offer(folded);
    Ok(Found { state, save })
}

/// The incident's state as of its newest stored event, from the state `judge` keeps, or
/// else folded from the latest snapshot and kept.
pub(crate) fn current_in(
    conn: &Connection,
    judge: &Judge,
    incident: Uuid,
) -> Result<Option<Found>, StoreError> {
    match kept_in(conn, judge, incident)? {
        Kept::NoIncident => Ok(None),
        Kept::Found(found) => Ok(Some(found)),
        Kept::No => cold_in(conn, judge, incident).map(Some),
    }
}

impl super::SqliteStore {
    /// Saves `state`, folded up to the event `last_id`, as its incident's snapshot in the
    /// background: the writer serializes and stores it when it gets to it (see [`save_in`]
    /// for when it does not). A reader that folded many events calls it.
    pub(crate) fn save_snapshot_later(&self, state: Arc<Incident>, last_id: Uuid) {
        drop(self.write(move |c| {
            let json = encode(&state)?;
            save_in(c, state.id(), state.summary.last_seq, last_id, &json).map(|_| ())
        }));
    }

    /// As [`Store::state`](super::Store::state), from synchronous code.
    pub fn state_blocking(&self, incident: Uuid) -> Result<Option<CurrentState>, StoreError> {
        let judge = self.judge();
        let found = match self.read(|c| kept_in(c, &judge, incident))? {
            Kept::NoIncident => return Ok(None),
            Kept::Found(found) => found,
            Kept::No => {
                // An append may hold the kept state, or have put it back ahead of its
                // commit: asked again by the writer, which runs after it, and answered
                // once what it saw is committed. Only then is the log folded here.
                let writer_judge = judge.clone();
                match self.write_blocking(move |c| kept_in(c, &writer_judge, incident)) {
                    Ok(Kept::NoIncident) => return Ok(None),
                    Ok(Kept::Found(found)) => found,
                    Ok(Kept::No) | Err(_) => self.read(|c| cold_in(c, &judge, incident))?,
                }
            }
        };
        Ok(Some(self.finish(found)))
    }

    /// The confirmed state of an incident as of its newest stored event (a fresh one for
    /// an incident with none), without its digest: kept between calls like
    /// [`Store::state`](super::Store::state)'s, so an append that follows finds it.
    pub fn folded_blocking(&self, incident: Uuid) -> Result<Arc<Incident>, StoreError> {
        let judge = self.judge();
        let Some(found) = self.read(|c| current_in(c, &judge, incident))? else {
            return Ok(Arc::new(Incident::new(incident)));
        };
        if let Some((state, last_id)) = found.save {
            self.save_snapshot_later(state, last_id);
        }
        Ok(found.state)
    }

    /// One confirmed event of an incident, by its id.
    pub fn event_blocking(&self, incident: Uuid, id: Uuid) -> Result<Option<Event>, StoreError> {
        self.read(|c| super::sqlite_log::event_in(c, incident, id))
    }

    /// Every confirmed event of an incident and the state folded from them (from the
    /// latest snapshot when it is usable), read at one moment.
    pub fn log_and_state(&self, incident: Uuid) -> Result<(Vec<Event>, Incident), StoreError> {
        let (events, state, save) = self.read(|c| {
            let tx = c.unchecked_transaction().map_err(StoreError::db)?;
            let events = events_in(&tx, incident, 0, usize::MAX)?;
            let resumed = load_in(&tx, incident)?.and_then(|stored| {
                let from = usize::try_from(stored.seq - 1).ok()?;
                resume_from(incident, &stored, events.get(from..)?)
            });
            Ok(match resumed {
                Some(folded) => {
                    let save = due(folded.snapshot_seq, folded.seq());
                    (events, folded.state, save)
                }
                None => {
                    let state = Arc::new(Incident::fold(incident, &events));
                    let save = due(0, state.summary.last_seq);
                    (events, state, save)
                }
            })
        })?;
        if save && let Some(last) = events.last() {
            self.save_snapshot_later(state.clone(), last.id);
        }
        Ok((events, Arc::unwrap_or_clone(state)))
    }

    /// The confirmed state of an incident and at least its latest `rows` events (all of
    /// them after the snapshot the state was resumed from), read at one moment: what a
    /// console needs to show an incident before the rest of its log is read.
    pub fn recent(&self, incident: Uuid, rows: usize) -> Result<Recent, StoreError> {
        let (folded, tail) = self.read(|c| {
            let tx = c.unchecked_transaction().map_err(StoreError::db)?;
            let Loaded { folded, read } = fold_in(&tx, incident)?;
            let seq = folded.seq();
            let first = read.first().and_then(|e| e.seq).unwrap_or(seq + 1);
            let from = (seq - i64::try_from(rows).unwrap_or(i64::MAX)).max(0);
            let tail = if from + 1 < first {
                let mut tail = events_in(
                    &tx,
                    incident,
                    from,
                    usize::try_from(first - 1 - from).unwrap_or(0),
                )?;
                tail.extend(read);
                tail
            } else {
                read
            };
            Ok((folded, tail))
        })?;
        if let Some(last_id) = folded
            .last_id
            .filter(|_| due(folded.snapshot_seq, folded.seq()))
        {
            self.save_snapshot_later(folded.state.clone(), last_id);
        }
        Ok(Recent {
            state: Arc::unwrap_or_clone(folded.state),
            tail,
        })
    }

    /// What a reader found, with its digest (kept by the fold: nothing to compute), and
    /// its snapshot saved if it is due.
    pub(crate) fn finish(&self, found: Found) -> CurrentState {
        if let Some((state, last_id)) = found.save {
            self.save_snapshot_later(state, last_id);
        }
        CurrentState {
            digest: found.state.digest(),
            state: found.state,
        }
    }
}

// ---- PostgreSQL ------------------------------------------------------------------------

/// The same, on PostgreSQL: every function takes a connection (a pooled one, or the one of
/// an append's transaction).
pub(crate) mod pg {
    use std::sync::Arc;

    use sqlx::{PgConnection, PgPool, Row};
    use uuid::Uuid;

    use super::{Found, Stored, due, encode, resume_from};
    use crate::domain::event::Event;
    use crate::domain::incident::Incident;
    use crate::store::postgres::{EVENTS_AFTER, db, event_from_row};
    use crate::store::{CurrentState, Folded, Judge, Look, StoreError};

    pub(crate) async fn load(
        conn: &mut PgConnection,
        incident: Uuid,
    ) -> Result<Option<Stored>, StoreError> {
        let row = sqlx::query(
            "SELECT seq, last_id, format, version, state FROM snapshots WHERE incident = $1",
        )
        .bind(incident)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
        row.map(|r| {
            Ok(Stored {
                seq: r.try_get("seq").map_err(db)?,
                last_id: r.try_get("last_id").map_err(db)?,
                format: r.try_get::<i32, _>("format").map_err(db)?.into(),
                version: r.try_get("version").map_err(db)?,
                state: r.try_get("state").map_err(db)?,
            })
        })
        .transpose()
    }

    /// The incident's events after seq `after`, at most `limit`, in order.
    pub(crate) async fn events(
        conn: &mut PgConnection,
        incident: Uuid,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Event>, StoreError> {
        let rows = sqlx::query(EVENTS_AFTER)
            .bind(incident)
            .bind(after)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?;
        rows.iter().map(|r| event_from_row(incident, r)).collect()
    }

    /// The incident's state as of its newest stored event, from the latest snapshot and
    /// the events after it, or from the whole log.
    pub(crate) async fn fold(
        conn: &mut PgConnection,
        incident: Uuid,
    ) -> Result<Folded, StoreError> {
        if let Some(stored) = load(conn, incident).await? {
            let tail = events(conn, incident, stored.seq - 1, i64::MAX).await?;
            if let Some(folded) = resume_from(incident, &stored, &tail) {
                return Ok(folded);
            }
        }
        let all = events(conn, incident, 0, i64::MAX).await?;
        Ok(Folded::new(
            Incident::fold(incident, &all),
            all.last().map(|e| e.id),
        ))
    }

    /// As `save_in` on SQLite.
    pub(crate) async fn save(
        conn: &mut PgConnection,
        incident: Uuid,
        seq: i64,
        last_id: Uuid,
        json: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO snapshots (incident, seq, last_id, format, version, state) \
             SELECT $1, $2, $3, $4, $5, $6 \
             WHERE EXISTS (SELECT 1 FROM events WHERE incident = $1 AND seq = $2 AND id = $3) \
             AND NOT EXISTS (SELECT 1 FROM events WHERE incident = $1 AND seq > $2 \
                             AND type = 'event_redacted') \
             ON CONFLICT (incident) DO UPDATE SET seq = excluded.seq, \
             last_id = excluded.last_id, format = excluded.format, \
             version = excluded.version, state = excluded.state \
             WHERE snapshots.seq < excluded.seq OR snapshots.format <> excluded.format \
             OR snapshots.version <> excluded.version",
        )
        .bind(incident)
        .bind(seq)
        .bind(last_id)
        .bind(super::FORMAT as i32)
        .bind(super::VERSION)
        .bind(json)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
        Ok(done.rows_affected() > 0)
    }

    /// Stores the snapshot of `folded` in the append's transaction.
    pub(crate) async fn save_folded(
        conn: &mut PgConnection,
        folded: &mut Folded,
    ) -> Result<(), StoreError> {
        let Some(last_id) = folded.last_id else {
            return Ok(());
        };
        let json = encode(&folded.state)?;
        if save(conn, folded.state.id(), folded.seq(), last_id, &json).await? {
            folded.snapshot_seq = folded.seq();
        }
        Ok(())
    }

    pub(crate) async fn delete(conn: &mut PgConnection, incident: Uuid) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM snapshots WHERE incident = $1")
            .bind(incident)
            .execute(&mut *conn)
            .await
            .map(|_| ())
            .map_err(db)
    }

    async fn head(
        conn: &mut PgConnection,
        incident: Uuid,
    ) -> Result<Option<(i64, Option<Uuid>)>, StoreError> {
        let row = sqlx::query(
            "SELECT i.last_seq, e.id FROM incidents i \
             LEFT JOIN events e ON e.incident = i.id AND e.seq = i.last_seq \
             WHERE i.id = $1 AND i.last_seq > 0",
        )
        .bind(incident)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
        row.map(|r| {
            Ok((
                r.try_get("last_seq").map_err(db)?,
                r.try_get("id").map_err(db)?,
            ))
        })
        .transpose()
    }

    /// Catches the kept state of `incident` up with the stored log, if it is behind;
    /// answers what it found: `Look::Current` when the kept state is now the log's.
    async fn refresh(
        conn: &mut PgConnection,
        judge: &Judge,
        incident: Uuid,
        seq: i64,
        last_id: Option<Uuid>,
    ) -> Result<Look, StoreError> {
        for _ in 0..2 {
            match judge.folds.look(incident, seq, last_id) {
                Look::Behind {
                    seq: kept,
                    last_id: kept_id,
                } => {
                    // Up to the head read, not beyond (as on SQLite).
                    let mut tail =
                        events(conn, incident, (kept - 1).max(0), seq - kept + 1).await?;
                    if kept > 0 {
                        if tail.first().map(|e| e.id) != kept_id {
                            return Ok(Look::Missing);
                        }
                        tail.remove(0);
                    }
                    if !judge.folds.advance(incident, kept, kept_id, &tail) {
                        return Ok(Look::Missing);
                    }
                }
                found => return Ok(found),
            }
        }
        Ok(Look::Missing)
    }

    /// As `current_in` on SQLite.
    pub(crate) async fn current(
        pool: &PgPool,
        judge: &Judge,
        incident: Uuid,
    ) -> Result<Option<Found>, StoreError> {
        let mut conn = pool.acquire().await.map_err(db)?;
        let Some((seq, last_id)) = head(&mut conn, incident).await? else {
            return Ok(None);
        };
        if let Look::Current { state } = refresh(&mut conn, judge, incident, seq, last_id).await? {
            return Ok(Some(Found { state, save: None }));
        }
        let folded = fold(&mut conn, incident).await?;
        let state = folded.state.clone();
        let save = folded
            .last_id
            .filter(|_| due(folded.snapshot_seq, folded.seq()))
            .map(|id| (state.clone(), id));
        judge.folds.offer(folded);
        Ok(Some(Found { state, save }))
    }

    /// The newest seq NOTIFY told of, per incident whose kept state is being caught up.
    pub(crate) type Notified = Arc<std::sync::Mutex<std::collections::HashMap<Uuid, i64>>>;

    /// Told by NOTIFY that another instance appended to `incident` up to `seq`: the state
    /// kept here, if any, folds the new events in now, so the next read serves it as it
    /// is. One catch-up at a time per incident, which goes on while news keeps coming.
    pub(crate) fn notified(
        pool: &PgPool,
        judge: &Arc<Judge>,
        news: &Notified,
        incident: Uuid,
        seq: i64,
    ) {
        let start = {
            let mut map = news.lock().unwrap_or_else(|e| e.into_inner());
            let running = map.contains_key(&incident);
            let newest = map.entry(incident).or_insert(seq);
            *newest = (*newest).max(seq);
            !running
        };
        if start {
            tokio::spawn(catch_up(
                pool.clone(),
                judge.clone(),
                news.clone(),
                incident,
            ));
        }
    }

    async fn catch_up(pool: PgPool, judge: Arc<Judge>, news: Notified, incident: Uuid) {
        loop {
            let Some(seq) = news
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&incident)
                .copied()
            else {
                return;
            };
            let result = async {
                if !judge.folds.behind(incident, seq) {
                    return Ok(());
                }
                let mut conn = pool.acquire().await.map_err(db)?;
                if let Some((seq, last_id)) = head(&mut conn, incident).await? {
                    refresh(&mut conn, &judge, incident, seq, last_id).await?;
                }
                Ok::<_, StoreError>(())
            }
            .await;
            let mut map = news.lock().unwrap_or_else(|e| e.into_inner());
            if let Err(e) = &result {
                // The next read catches it up instead.
                tracing::warn!("catching up the state of {incident}: {e}");
            }
            if result.is_err() || map.get(&incident) == Some(&seq) {
                map.remove(&incident);
                return;
            }
        }
    }

    /// What a reader found, with its digest (kept by the fold), and its snapshot saved in
    /// the background if it is due.
    pub(crate) fn finish(pool: &PgPool, found: Found) -> CurrentState {
        if let Some((state, last_id)) = found.save {
            let pool = pool.clone();
            tokio::spawn(async move {
                let result = async {
                    let s = state.clone();
                    let json = tokio::task::spawn_blocking(move || encode(&s))
                        .await
                        .map_err(|e| StoreError::Unavailable(e.to_string()))??;
                    let mut conn = pool.acquire().await.map_err(db)?;
                    save(
                        &mut conn,
                        state.id(),
                        state.summary.last_seq,
                        last_id,
                        &json,
                    )
                    .await
                }
                .await;
                if let Err(e) = result {
                    tracing::warn!("snapshot of {} not written: {e}", state.id());
                }
            });
        }
        CurrentState {
            digest: found.state.digest(),
            state: found.state,
        }
    }
}

#[cfg(test)]
#[path = "snapshot_tests.rs"]
mod tests;
