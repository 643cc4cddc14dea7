//! The PostgreSQL store, for teams that run several `warroom serve` instances on one
//! database. Appends to an incident serialize on its row lock, so seqs are contiguous and a
//! reader never sees a gap; each commit NOTIFYs `warroom_events` so long-polls on every
//! instance wake.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgListener, PgPool, PgPoolOptions};
use sqlx::{Postgres, Row, Transaction};
use uuid::Uuid;

use super::sqlite_log::{body_of, kind_from_row};
use super::{
    Accepted, AppendHook, CurrentState, Folded, Judge, NewEvent, Store, StoreError, TokenInfo,
    catch_up, kept_state_holds, plan_on, snapshot,
};
use crate::clock::Clock;
use crate::domain::event::{Event, EventKind};
use crate::domain::incident::{Incident, IncidentSummary};
use crate::domain::rules::Rules;

const MIGRATIONS: &[&str] = &[
    include_str!("migrations/postgres/0001_init.sql"),
    include_str!("migrations/postgres/0002_refold_summaries.sql"),
    include_str!("migrations/postgres/0003_alerts.sql"),
    include_str!("migrations/postgres/0004_snapshots.sql"),
];
/// Schema versions after whose migration every stored summary is folded again from its
/// events, because the summary gained fields SQL cannot fill in.
const REFOLD_AT: &[usize] = &[2];
pub(super) const CHANNEL: &str = "warroom_events";
/// An incident's events after a seq, in order, at most a limit.
pub(crate) const EVENTS_AFTER: &str = "SELECT seq, id, at, recorded_at, author, type, body FROM events \
                            WHERE incident = $1 AND seq > $2 ORDER BY seq LIMIT $3";

pub struct PgStore {
    pool: PgPool,
    clock: Arc<dyn Clock>,
    shown_url: String,
    judge: Arc<Judge>,
}

/// The URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{}@{}", &url[..scheme + 3], user, &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

pub(crate) fn db(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(d) = &e
        && d.code().as_deref() == Some("23505")
    {
        return StoreError::Invalid(format!("that id is already in use: {}", d.message()));
    }
    StoreError::db(e)
}

fn summary_from(json: &str) -> Result<IncidentSummary, StoreError> {
    serde_json::from_str(json)
        .map_err(|e| StoreError::Invalid(format!("stored summary does not parse: {e}")))
}

impl PgStore {
    pub(super) fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub async fn connect(
        url: &str,
        clock: Arc<dyn Clock>,
        rules: Rules,
    ) -> Result<Self, StoreError> {
        let shown_url = redact(url);
        let pool = PgPoolOptions::new()
            .max_connections(16)
            // While the database is down, requests fail fast (503, Retry-After) rather
            // than queueing; the pool reconnects by itself when it is back.
            .acquire_timeout(Duration::from_secs(2))
            .connect(url)
            .await
            .map_err(|e| {
                StoreError::Unavailable(format!("cannot connect to PostgreSQL at {shown_url}: {e}"))
            })?;
        let store = PgStore {
            pool,
            clock,
            shown_url,
            judge: Judge::new(rules),
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        // One instance migrates at a time; the others wait and then find nothing to do.
        sqlx::query("SELECT pg_advisory_xact_lock(7878001)")
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        sqlx::query("CREATE TABLE IF NOT EXISTS warroom_schema (version integer NOT NULL)")
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let version: Option<i32> = sqlx::query("SELECT max(version) AS v FROM warroom_schema")
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?
            .try_get("v")
            .map_err(db)?;
        let version = version.unwrap_or(0) as usize;
        if version > MIGRATIONS.len() {
            return Err(StoreError::Unavailable(format!(
                "the database at {} was set up by a newer warroom (schema v{version}); upgrade warroom",
                self.shown_url
            )));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            sqlx::raw_sql(sqlx::AssertSqlSafe(*sql))
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            if REFOLD_AT.contains(&(i + 1)) {
                Self::refold_summaries(&mut tx).await?;
            }
            sqlx::query("INSERT INTO warroom_schema (version) VALUES ($1)")
                .bind((i + 1) as i32)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        tx.commit().await.map_err(db)
    }

    /// Folds every incident's summary again from its stored events, in the migration's
    /// transaction. A placeholder row with no events is left alone.
    async fn refold_summaries(tx: &mut Transaction<'_, Postgres>) -> Result<(), StoreError> {
        let ids: Vec<Uuid> = sqlx::query("SELECT id FROM incidents")
            .fetch_all(&mut **tx)
            .await
            .map_err(db)?
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<Result<_, _>>()
            .map_err(db)?;
        for id in ids {
            let events = Self::events_tx(tx, id, 0, i64::MAX).await?;
            if events.is_empty() {
                continue;
            }
            let mut summary = IncidentSummary::new(id);
            for ev in &events {
                summary.apply(ev);
            }
            sqlx::query("UPDATE incidents SET summary = $2 WHERE id = $1")
                .bind(id)
                .bind(serde_json::to_string(&summary).map_err(StoreError::db)?)
                .execute(&mut **tx)
                .await
                .map_err(db)?;
        }
        Ok(())
    }

    async fn append_tx(
        tx: &mut Transaction<'_, Postgres>,
        judge: &Judge,
        incident: Uuid,
        author: &str,
        events: &[NewEvent],
        now: DateTime<Utc>,
    ) -> Result<Vec<Accepted>, StoreError> {
        let lock = "SELECT summary FROM incidents WHERE id = $1 FOR UPDATE";
        let mut row = sqlx::query(lock)
            .bind(incident)
            .fetch_optional(&mut **tx)
            .await
            .map_err(db)?;
        if row.is_none() {
            // A placeholder row to lock; it only survives if the batch declares the incident.
            let blank =
                serde_json::to_string(&IncidentSummary::new(incident)).map_err(StoreError::db)?;
            sqlx::query(
                "INSERT INTO incidents (id, short_id, declared_at, last_seq, summary) \
                 VALUES ($1, $2, $3, 0, $4) ON CONFLICT (id) DO NOTHING",
            )
            .bind(incident)
            .bind(crate::domain::ids::short_id(&incident))
            .bind(now)
            .bind(blank)
            .execute(&mut **tx)
            .await
            .map_err(db)?;
            row = sqlx::query(lock)
                .bind(incident)
                .fetch_optional(&mut **tx)
                .await
                .map_err(db)?;
        }
        let stored_last_seq = match row {
            Some(r) => summary_from(&r.try_get::<String, _>("summary").map_err(db)?)?.last_seq,
            None => 0,
        };
        let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
        let mut prior: HashMap<Uuid, Event> = HashMap::new();
        for r in sqlx::query(
            "SELECT incident, seq, id, at, recorded_at, author, type, body FROM events \
             WHERE id = ANY($1)",
        )
        .bind(&ids)
        .fetch_all(&mut **tx)
        .await
        .map_err(db)?
        {
            let owner: Uuid = r.try_get("incident").map_err(db)?;
            let e = event_from_row(owner, &r)?;
            prior.insert(e.id, e);
        }
        let folded = Self::state_tx(tx, judge, incident, stored_last_seq).await?;
        // Redaction targets are looked up before judging (the judge itself is not async).
        let mut targets: HashMap<Uuid, Event> = HashMap::new();
        for ev in events {
            if let EventKind::EventRedacted { event, .. } = &ev.kind
                && let Some(found) = Self::event_tx(tx, incident, *event).await?
            {
                targets.insert(*event, found);
            }
        }
        let (plan, mut folded) = plan_on(
            judge,
            folded,
            incident,
            author,
            events,
            &prior,
            now,
            &mut |id| Ok(targets.get(&id).cloned()),
        )?;
        if plan.to_insert.is_empty() {
            judge.folds.put(folded);
            return Ok(plan.accepted);
        }
        for ev in &plan.to_insert {
            let body = body_of(&ev.kind, ev.persona.as_deref())?;
            sqlx::query(
                "INSERT INTO events (incident, seq, id, at, recorded_at, author, type, body) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(incident)
            .bind(ev.seq)
            .bind(ev.id)
            .bind(ev.at)
            .bind(now)
            .bind(&ev.author)
            .bind(ev.kind.type_name())
            .bind(body)
            .execute(&mut **tx)
            .await
            .map_err(db)?;
        }
        folded.last_id = plan.to_insert.last().map(|e| e.id);
        if !plan.scrub.is_empty() {
            for (target, clean) in &plan.scrub {
                let body = body_of(clean, target.persona.as_deref())?;
                // Updated in place; the old row version is dead from this commit on and
                // goes at the next VACUUM (see the README on redaction).
                sqlx::query("UPDATE events SET body = $3 WHERE id = $1 AND incident = $2")
                    .bind(target.id)
                    .bind(incident)
                    .bind(body)
                    .execute(&mut **tx)
                    .await
                    .map_err(db)?;
            }
            let all = Self::events_tx(tx, incident, 0, i64::MAX).await?;
            folded.state = Arc::new(Incident::fold(incident, &all));
            // The snapshot holds the removed text too: it is replaced.
            snapshot::pg::delete(tx, incident).await?;
            snapshot::pg::save_folded(tx, &mut folded).await?;
        } else if snapshot::due(folded.snapshot_seq, folded.seq())
            || plan
                .to_insert
                .iter()
                .any(|e| matches!(e.kind, EventKind::Closed { .. }))
        {
            snapshot::pg::save_folded(tx, &mut folded).await?;
        }
        let s = &folded.state.summary;
        sqlx::query(
            "UPDATE incidents SET last_seq = $2, summary = $3, declared_at = $4 WHERE id = $1",
        )
        .bind(incident)
        .bind(s.last_seq)
        .bind(serde_json::to_string(s).map_err(StoreError::db)?)
        .bind(s.declared_at.unwrap_or(now))
        .execute(&mut **tx)
        .await
        .map_err(db)?;
        let last_seq = s.last_seq;
        judge.folds.put(folded);
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(format!("{incident}:{last_seq}"))
            .execute(&mut **tx)
            .await
            .map_err(db)?;
        Ok(plan.accepted)
    }
}

impl PgStore {
    /// The incident's folded state as of its newest stored event (see `Folds`).
    async fn state_tx(
        tx: &mut Transaction<'_, Postgres>,
        judge: &Judge,
        incident: Uuid,
        stored_last_seq: i64,
    ) -> Result<Folded, StoreError> {
        let kept = judge.folds.take(incident);
        let id_at: Option<Uuid> = match kept.as_ref().map(|k| k.state.summary.last_seq) {
            Some(seq) if seq > 0 => {
                sqlx::query("SELECT id FROM events WHERE incident = $1 AND seq = $2")
                    .bind(incident)
                    .bind(seq)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(db)?
                    .map(|r| r.try_get("id"))
                    .transpose()
                    .map_err(db)?
            }
            _ => None,
        };
        if let Some(mut kept) = kept.filter(|k| kept_state_holds(k, stored_last_seq, id_at)) {
            let tail = Self::events_tx(tx, incident, kept.seq(), i64::MAX).await?;
            // A redaction stored since (by another instance) rewrote earlier events.
            if !snapshot::scrubs(&tail) {
                catch_up(&mut kept, &tail);
                return Ok(kept);
            }
        }
        snapshot::pg::fold(tx, incident).await
    }

    async fn event_tx(
        tx: &mut Transaction<'_, Postgres>,
        incident: Uuid,
        id: Uuid,
    ) -> Result<Option<Event>, StoreError> {
        let seq: Option<i64> =
            sqlx::query("SELECT seq FROM events WHERE id = $1 AND incident = $2")
                .bind(id)
                .bind(incident)
                .fetch_optional(&mut **tx)
                .await
                .map_err(db)?
                .map(|r| r.try_get("seq"))
                .transpose()
                .map_err(db)?;
        match seq {
            Some(seq) => Ok(Self::events_tx(tx, incident, seq - 1, 1)
                .await?
                .into_iter()
                .next()),
            None => Ok(None),
        }
    }

    async fn events_tx(
        tx: &mut Transaction<'_, Postgres>,
        incident: Uuid,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Event>, StoreError> {
        let rows = sqlx::query(EVENTS_AFTER)
            .bind(incident)
            .bind(after)
            .bind(limit)
            .fetch_all(&mut **tx)
            .await
            .map_err(db)?;
        rows.iter().map(|r| event_from_row(incident, r)).collect()
    }
}

pub(crate) fn event_from_row(
    incident: Uuid,
    r: &sqlx::postgres::PgRow,
) -> Result<Event, StoreError> {
    let type_name: String = r.try_get("type").map_err(db)?;
    let body: String = r.try_get("body").map_err(db)?;
    let (kind, persona) = kind_from_row(&type_name, &body);
    Ok(Event {
        id: r.try_get("id").map_err(db)?,
        incident,
        seq: Some(r.try_get("seq").map_err(db)?),
        at: r.try_get("at").map_err(db)?,
        recorded_at: Some(r.try_get("recorded_at").map_err(db)?),
        author: r.try_get("author").map_err(db)?,
        persona,
        kind,
    })
}

fn token_info(r: &sqlx::postgres::PgRow) -> Result<TokenInfo, StoreError> {
    Ok(TokenInfo {
        handle: r.try_get("handle").map_err(db)?,
        read_only: r.try_get("read_only").map_err(db)?,
        created_at: r.try_get("created_at").map_err(db)?,
        revoked_at: r.try_get("revoked_at").map_err(db)?,
    })
}

#[async_trait]
impl Store for PgStore {
    async fn append(
        &self,
        incident: Uuid,
        author: &str,
        events: Vec<NewEvent>,
    ) -> Result<Vec<Accepted>, StoreError> {
        let now = self.clock.now();
        let mut tx = self.pool.begin().await.map_err(db)?;
        let accepted =
            Self::append_tx(&mut tx, &self.judge, incident, author, &events, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(accepted)
    }

    async fn events_after(
        &self,
        incident: Uuid,
        after: i64,
        limit: usize,
    ) -> Result<Vec<Event>, StoreError> {
        let rows = sqlx::query(EVENTS_AFTER)
            .bind(incident)
            .bind(after)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter().map(|r| event_from_row(incident, r)).collect()
    }

    async fn incidents(&self) -> Result<Vec<IncidentSummary>, StoreError> {
        let rows = sqlx::query(
            "SELECT summary FROM incidents WHERE last_seq > 0 ORDER BY declared_at DESC, id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| summary_from(&r.try_get::<String, _>("summary").map_err(db)?))
            .collect()
    }

    async fn incident(&self, id: Uuid) -> Result<Option<IncidentSummary>, StoreError> {
        let row = sqlx::query("SELECT summary FROM incidents WHERE id = $1 AND last_seq > 0")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.map(|r| summary_from(&r.try_get::<String, _>("summary").map_err(db)?))
            .transpose()
    }

    async fn add_token(&self, handle: &str, hash: &str, read_only: bool) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO tokens (handle, hash, read_only, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(handle)
        .bind(hash)
        .bind(read_only)
        .bind(self.clock.now())
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenInfo>, StoreError> {
        let row = sqlx::query(
            "SELECT handle, read_only, created_at, revoked_at FROM tokens \
             WHERE hash = $1 AND revoked_at IS NULL",
        )
        .bind(hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.as_ref().map(token_info).transpose()
    }

    async fn tokens(&self) -> Result<Vec<TokenInfo>, StoreError> {
        let rows =
            sqlx::query("SELECT handle, read_only, created_at, revoked_at FROM tokens ORDER BY id")
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
        rows.iter().map(token_info).collect()
    }

    async fn revoke_tokens(&self, handle: &str) -> Result<usize, StoreError> {
        let done = sqlx::query(
            "UPDATE tokens SET revoked_at = $2 WHERE handle = $1 AND revoked_at IS NULL",
        )
        .bind(handle)
        .bind(self.clock.now())
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(done.rows_affected() as usize)
    }

    async fn listen_for_appends(&self, hook: AppendHook) -> Result<(), StoreError> {
        let mut listener = PgListener::connect_with(&self.pool).await.map_err(db)?;
        listener.listen(CHANNEL).await.map_err(db)?;
        let (pool, judge) = (self.pool.clone(), self.judge.clone());
        let news = snapshot::pg::Notified::default();
        tokio::spawn(async move {
            loop {
                // `try_recv` tells of a lost connection (Ok(None)) and reconnects on the
                // next call; notifications sent meanwhile are lost, so every waiter is woken
                // to read again.
                match listener.try_recv().await {
                    Ok(Some(n)) => {
                        let mut parts = n.payload().splitn(2, ':');
                        let id = parts.next().and_then(|s| Uuid::parse_str(s).ok());
                        let seq = parts.next().and_then(|s| s.parse::<i64>().ok());
                        if let (Some(id), Some(seq)) = (id, seq) {
                            // Another instance's append: the state kept here folds it in.
                            snapshot::pg::notified(&pool, &judge, &news, id, seq);
                            hook(id, seq);
                        }
                    }
                    Ok(None) => {
                        tracing::warn!("PostgreSQL listener lost its connection; reconnecting");
                        hook(Uuid::nil(), 0);
                    }
                    Err(e) => {
                        tracing::warn!("PostgreSQL listener: {e}");
                        // Do not spin while the database is away.
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        hook(Uuid::nil(), 0);
                    }
                }
            }
        });
        Ok(())
    }

    async fn stored_times(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, DateTime<Utc>>, StoreError> {
        let rows = sqlx::query("SELECT id, at FROM events WHERE id = ANY($1)")
            .bind(ids)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter()
            .map(|r| Ok((r.try_get("id").map_err(db)?, r.try_get("at").map_err(db)?)))
            .collect()
    }

    async fn state(&self, incident: Uuid) -> Result<Option<CurrentState>, StoreError> {
        match snapshot::pg::current(&self.pool, &self.judge, incident).await? {
            Some(found) => Ok(Some(snapshot::pg::finish(&self.pool, found))),
            None => Ok(None),
        }
    }

    async fn ready(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(db)
    }

    fn describe(&self) -> String {
        format!("PostgreSQL {}", self.shown_url)
    }

    fn alert_store(&self) -> Option<&dyn super::alerts::AlertStore> {
        Some(self)
    }
}
