//! Where a server keeps alerts: one row per fingerprint (the `alerts` table of schema v4 on
//! SQLite, v3 on PostgreSQL), the record as JSON beside the columns lookups need: its
//! fingerprint, a hash of its group key, its status and the incident it is linked to.
//! What a delivery changes is decided in `domain::alert`; this only reads and writes.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use sqlx::Row;
use uuid::Uuid;

use super::postgres::PgStore;
use super::sqlite::SqliteStore;
use super::{StoreError, sqlite_log::parse_uuid};
use crate::domain::alert::Alert;
use crate::domain::event::format_time;

/// What a store offers for alerts (see [`super::Store::alert_store`]).
#[async_trait]
pub trait AlertStore: Send + Sync {
    /// The kept alerts that fire, or with `all` every kept alert, in no particular order.
    async fn alerts(&self, all: bool) -> Result<Vec<Alert>, StoreError>;

    /// The kept alerts with these fingerprints.
    async fn alerts_by_fingerprint(
        &self,
        fingerprints: &[String],
    ) -> Result<Vec<Alert>, StoreError>;

    /// The incident an alert of the group `group_key` is linked to (the most recently
    /// changed such alert's), if any.
    async fn group_incident(&self, group_key: &str) -> Result<Option<Uuid>, StoreError>;

    /// Stores these records by fingerprint. A fingerprint already kept keeps its row's id
    /// and its link (a link made meanwhile wins over the one the record carries). Answers
    /// the records as stored.
    async fn save_alerts(&self, alerts: Vec<Alert>) -> Result<Vec<Alert>, StoreError>;

    /// Links the alert `alert`, and every alert of its group not linked yet, to `incident`.
    /// Answers the alerts linked; none when no alert has that id.
    async fn link_alert(&self, alert: Uuid, incident: Uuid) -> Result<Vec<Alert>, StoreError>;

    /// The reverse of [`AlertStore::link_alert`]: takes the alert `alert`, and every alert
    /// of its group linked to `incident`, off that incident, but for the alerts in `keep`
    /// (those the incident still links itself). An alert linked to another incident
    /// meanwhile keeps that link. Answers the alerts unlinked; none when no alert has
    /// that id.
    async fn unlink_alert(
        &self,
        alert: Uuid,
        incident: Uuid,
        keep: &[Uuid],
    ) -> Result<Vec<Alert>, StoreError>;

    /// Deletes the resolved alerts last changed before `before`; a firing alert is never
    /// deleted, however old. An alert linked to an incident goes only with every alert of
    /// its group linked to that incident: while one of them stays, the group reaches the
    /// incident through it, and unlinking it ([`AlertStore::unlink_alert`] finds the group
    /// by its row) takes the group off. Answers how many were deleted. The events of
    /// incidents they were linked to stay as they are (they carry the alert's name and
    /// summary); a later delivery of a deleted fingerprint is kept as a new alert.
    async fn prune_resolved(&self, before: DateTime<Utc>) -> Result<usize, StoreError>;
}

/// The statement of [`AlertStore::prune_resolved`], `cutoff` its parameter: the resolved
/// alerts changed before it that are unlinked, or linked to an incident no alert of their
/// group that stays is linked to. An alert that stays is never deleted, so the rows this
/// names do not change as they go.
fn prune_sql(cutoff: &str) -> String {
    format!(
        "DELETE FROM alerts WHERE status = 'resolved' AND updated_at < {cutoff} \
         AND (incident IS NULL OR NOT EXISTS (SELECT 1 FROM alerts AS mate \
         WHERE mate.group_hash = alerts.group_hash AND mate.incident = alerts.incident \
         AND NOT (mate.status = 'resolved' AND mate.updated_at < {cutoff})))"
    )
}

/// The group key's column: its SHA-256, so any text can be a key.
pub fn group_hash(group_key: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(group_key.as_bytes()))
}

fn body_of(alert: &Alert) -> Result<String, StoreError> {
    serde_json::to_string(alert).map_err(StoreError::db)
}

/// A stored alert: its record, with the row's id and link, which may have moved on since
/// the record was written.
fn from_row(id: Uuid, incident: Option<Uuid>, body: &str) -> Result<Alert, StoreError> {
    let mut alert: Alert = serde_json::from_str(body)
        .map_err(|e| StoreError::Invalid(format!("a stored alert does not parse: {e}")))?;
    alert.id = id;
    alert.incident = incident;
    Ok(alert)
}

// ---- SQLite ------------------------------------------------------------------------------

fn sqlite_rows(
    c: &Connection,
    sql: &str,
    args: impl rusqlite::Params,
) -> Result<Vec<Alert>, StoreError> {
    let mut s = c.prepare_cached(sql).map_err(StoreError::db)?;
    let rows = s
        .query_map(args, |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .map_err(StoreError::db)?;
    let mut out = Vec::new();
    for row in rows {
        let (id, incident, body) = row.map_err(StoreError::db)?;
        let incident = incident.as_deref().map(parse_uuid).transpose()?;
        out.push(from_row(parse_uuid(&id)?, incident, &body)?);
    }
    Ok(out)
}

const SQLITE_COLUMNS: &str = "SELECT id, incident, body FROM alerts";

fn sqlite_by_fingerprint(
    c: &Connection,
    fingerprints: &[String],
) -> Result<Vec<Alert>, StoreError> {
    let mut out = Vec::new();
    for fp in fingerprints {
        out.extend(sqlite_rows(
            c,
            &format!("{SQLITE_COLUMNS} WHERE fingerprint = ?1"),
            [fp],
        )?);
    }
    Ok(out)
}

impl SqliteStore {
    async fn read_alerts<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.read(f))
            .await
            .map_err(|e| StoreError::Unavailable(format!("reader failed: {e}")))?
    }
}

#[async_trait]
impl AlertStore for SqliteStore {
    async fn alerts(&self, all: bool) -> Result<Vec<Alert>, StoreError> {
        self.read_alerts(move |c| {
            if all {
                sqlite_rows(c, SQLITE_COLUMNS, [])
            } else {
                sqlite_rows(c, &format!("{SQLITE_COLUMNS} WHERE status = 'firing'"), [])
            }
        })
        .await
    }

    async fn alerts_by_fingerprint(
        &self,
        fingerprints: &[String],
    ) -> Result<Vec<Alert>, StoreError> {
        let fingerprints = fingerprints.to_vec();
        self.read_alerts(move |c| sqlite_by_fingerprint(c, &fingerprints))
            .await
    }

    async fn group_incident(&self, group_key: &str) -> Result<Option<Uuid>, StoreError> {
        let hash = group_hash(group_key);
        self.read_alerts(move |c| {
            let found: Option<String> = c
                .prepare_cached(
                    "SELECT incident FROM alerts WHERE group_hash = ?1 AND incident IS NOT NULL \
                     ORDER BY updated_at DESC LIMIT 1",
                )
                .and_then(|mut s| s.query_row([hash], |r| r.get(0)).optional())
                .map_err(StoreError::db)?;
            found.as_deref().map(parse_uuid).transpose()
        })
        .await
    }

    // A delivery sets the incident of an alert it brings for the first time (one of a
    // linked group) and never that of one already kept: links are made and undone by
    // responders only, so a delivery that read a link just undone cannot bring it back.
    async fn save_alerts(&self, alerts: Vec<Alert>) -> Result<Vec<Alert>, StoreError> {
        self.write_async(move |c| {
            let mut s = c
                .prepare_cached(
                    "INSERT INTO alerts (id, fingerprint, group_hash, status, incident, \
                     updated_at, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
                     ON CONFLICT (fingerprint) DO UPDATE SET group_hash = excluded.group_hash, \
                     status = excluded.status, updated_at = excluded.updated_at, body = excluded.body",
                )
                .map_err(StoreError::db)?;
            for a in &alerts {
                s.execute(params![
                    a.id.to_string(),
                    a.fingerprint,
                    group_hash(&a.group_key),
                    a.status.as_str(),
                    a.incident.map(|i| i.to_string()),
                    format_time(a.updated_at),
                    body_of(a)?,
                ])
                .map_err(StoreError::db)?;
            }
            let fingerprints: Vec<String> = alerts.iter().map(|a| a.fingerprint.clone()).collect();
            sqlite_by_fingerprint(c, &fingerprints)
        })
        .await
    }

    async fn link_alert(&self, alert: Uuid, incident: Uuid) -> Result<Vec<Alert>, StoreError> {
        self.write_async(move |c| {
            let group: Option<String> = c
                .query_row(
                    "SELECT group_hash FROM alerts WHERE id = ?1",
                    [alert.to_string()],
                    |r| r.get(0),
                )
                .optional()
                .map_err(StoreError::db)?;
            let Some(group) = group else {
                return Ok(Vec::new());
            };
            let (alert, incident) = (alert.to_string(), incident.to_string());
            c.execute(
                "UPDATE alerts SET incident = ?1 WHERE id = ?2 \
                 OR (group_hash = ?3 AND incident IS NULL)",
                params![incident, alert, group],
            )
            .map_err(StoreError::db)?;
            sqlite_rows(
                c,
                &format!("{SQLITE_COLUMNS} WHERE group_hash = ?1 AND incident = ?2"),
                params![group, incident],
            )
        })
        .await
    }
    async fn unlink_alert(
        &self,
        alert: Uuid,
        incident: Uuid,
        keep: &[Uuid],
    ) -> Result<Vec<Alert>, StoreError> {
        let keep = keep.to_vec();
        self.write_async(move |c| {
            let Some(group) = sqlite_group_of(c, alert)? else {
                return Ok(Vec::new());
            };
            let linked = incident.to_string();
            let mut found = sqlite_rows(
                c,
                &format!("{SQLITE_COLUMNS} WHERE incident = ?1 AND (id = ?2 OR group_hash = ?3)"),
                params![linked, alert.to_string(), group],
            )?;
            found.retain(|a| !keep.contains(&a.id));
            let mut s = c
                .prepare_cached("UPDATE alerts SET incident = NULL WHERE id = ?1 AND incident = ?2")
                .map_err(StoreError::db)?;
            for a in &mut found {
                s.execute(params![a.id.to_string(), linked])
                    .map_err(StoreError::db)?;
                a.incident = None;
            }
            Ok(found)
        })
        .await
    }

    async fn prune_resolved(&self, before: DateTime<Utc>) -> Result<usize, StoreError> {
        // `updated_at` is written fixed width (`format_time`), so text order is time order.
        let before = format_time(before);
        self.write_async(move |c| {
            c.execute(&prune_sql("?1"), [before])
                .map_err(StoreError::db)
        })
        .await
    }
}

/// The group (its hash) of the alert with this id, if one has it.
fn sqlite_group_of(c: &Connection, alert: Uuid) -> Result<Option<String>, StoreError> {
    c.query_row(
        "SELECT group_hash FROM alerts WHERE id = ?1",
        [alert.to_string()],
        |r| r.get(0),
    )
    .optional()
    .map_err(StoreError::db)
}

// ---- PostgreSQL --------------------------------------------------------------------------

fn pg(e: sqlx::Error) -> StoreError {
    StoreError::db(e)
}

fn pg_rows(rows: &[sqlx::postgres::PgRow]) -> Result<Vec<Alert>, StoreError> {
    rows.iter()
        .map(|r| {
            let id: Uuid = r.try_get("id").map_err(pg)?;
            let incident: Option<Uuid> = r.try_get("incident").map_err(pg)?;
            let body: String = r.try_get("body").map_err(pg)?;
            from_row(id, incident, &body)
        })
        .collect()
}

impl PgStore {
    /// Wakes the incident-list long-polls of every instance: an alert changed.
    async fn alerts_changed(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(super::postgres::CHANNEL)
            .bind(format!("{}:0", Uuid::nil()))
            .execute(self.pool())
            .await
            .map_err(pg)?;
        Ok(())
    }
}

#[async_trait]
impl AlertStore for PgStore {
    async fn alerts(&self, all: bool) -> Result<Vec<Alert>, StoreError> {
        let sql = if all {
            "SELECT id, incident, body FROM alerts"
        } else {
            "SELECT id, incident, body FROM alerts WHERE status = 'firing'"
        };
        let rows = sqlx::query(sql).fetch_all(self.pool()).await.map_err(pg)?;
        pg_rows(&rows)
    }

    async fn alerts_by_fingerprint(
        &self,
        fingerprints: &[String],
    ) -> Result<Vec<Alert>, StoreError> {
        let rows = sqlx::query("SELECT id, incident, body FROM alerts WHERE fingerprint = ANY($1)")
            .bind(fingerprints)
            .fetch_all(self.pool())
            .await
            .map_err(pg)?;
        pg_rows(&rows)
    }

    async fn group_incident(&self, group_key: &str) -> Result<Option<Uuid>, StoreError> {
        let row = sqlx::query(
            "SELECT incident FROM alerts WHERE group_hash = $1 AND incident IS NOT NULL \
             ORDER BY updated_at DESC LIMIT 1",
        )
        .bind(group_hash(group_key))
        .fetch_optional(self.pool())
        .await
        .map_err(pg)?;
        row.map(|r| r.try_get("incident")).transpose().map_err(pg)
    }

    async fn save_alerts(&self, alerts: Vec<Alert>) -> Result<Vec<Alert>, StoreError> {
        let mut tx = self.pool().begin().await.map_err(pg)?;
        for a in &alerts {
            sqlx::query(
                "INSERT INTO alerts (id, fingerprint, group_hash, status, incident, updated_at, \
                 body) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (fingerprint) DO UPDATE SET group_hash = excluded.group_hash, \
                 status = excluded.status, updated_at = excluded.updated_at, body = excluded.body",
            )
            .bind(a.id)
            .bind(&a.fingerprint)
            .bind(group_hash(&a.group_key))
            .bind(a.status.as_str())
            .bind(a.incident)
            .bind(a.updated_at)
            .bind(body_of(a)?)
            .execute(&mut *tx)
            .await
            .map_err(pg)?;
        }
        let fingerprints: Vec<String> = alerts.iter().map(|a| a.fingerprint.clone()).collect();
        let rows = sqlx::query("SELECT id, incident, body FROM alerts WHERE fingerprint = ANY($1)")
            .bind(&fingerprints)
            .fetch_all(&mut *tx)
            .await
            .map_err(pg)?;
        tx.commit().await.map_err(pg)?;
        self.alerts_changed().await?;
        pg_rows(&rows)
    }

    async fn link_alert(&self, alert: Uuid, incident: Uuid) -> Result<Vec<Alert>, StoreError> {
        let mut tx = self.pool().begin().await.map_err(pg)?;
        let group: Option<String> = sqlx::query("SELECT group_hash FROM alerts WHERE id = $1")
            .bind(alert)
            .fetch_optional(&mut *tx)
            .await
            .map_err(pg)?
            .map(|r| r.try_get("group_hash"))
            .transpose()
            .map_err(pg)?;
        let Some(group) = group else {
            return Ok(Vec::new());
        };
        sqlx::query(
            "UPDATE alerts SET incident = $1 WHERE id = $2 \
             OR (group_hash = $3 AND incident IS NULL)",
        )
        .bind(incident)
        .bind(alert)
        .bind(&group)
        .execute(&mut *tx)
        .await
        .map_err(pg)?;
        let rows = sqlx::query(
            "SELECT id, incident, body FROM alerts WHERE group_hash = $1 AND incident = $2",
        )
        .bind(&group)
        .bind(incident)
        .fetch_all(&mut *tx)
        .await
        .map_err(pg)?;
        tx.commit().await.map_err(pg)?;
        self.alerts_changed().await?;
        pg_rows(&rows)
    }
    async fn unlink_alert(
        &self,
        alert: Uuid,
        incident: Uuid,
        keep: &[Uuid],
    ) -> Result<Vec<Alert>, StoreError> {
        let rows = sqlx::query(
            "UPDATE alerts SET incident = NULL WHERE incident = $1 AND NOT (id = ANY($3)) \
             AND (id = $2 OR group_hash = (SELECT group_hash FROM alerts WHERE id = $2)) \
             RETURNING id, incident, body",
        )
        .bind(incident)
        .bind(alert)
        .bind(keep)
        .fetch_all(self.pool())
        .await
        .map_err(pg)?;
        if !rows.is_empty() {
            self.alerts_changed().await?;
        }
        pg_rows(&rows)
    }

    // Only resolved alerts go, so the firing ones the incident lists' versions include do
    // not change: no instance needs waking.
    async fn prune_resolved(&self, before: DateTime<Utc>) -> Result<usize, StoreError> {
        let done = sqlx::query(sqlx::AssertSqlSafe(prune_sql("$1")))
            .bind(before)
            .execute(self.pool())
            .await
            .map_err(pg)?;
        Ok(usize::try_from(done.rows_affected()).unwrap_or(usize::MAX))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::clock::ManualClock;
    use crate::domain::alert::AlertStatus;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 26, 22, 0, 0).unwrap()
    }

    fn alert(fingerprint: &str, status: AlertStatus, updated_at: DateTime<Utc>) -> Alert {
        Alert {
            id: Uuid::now_v7(),
            fingerprint: fingerprint.into(),
            status,
            labels: BTreeMap::from([("alertname".to_string(), fingerprint.to_string())]),
            annotations: BTreeMap::new(),
            starts_at: updated_at - Duration::hours(1),
            ends_at: (status == AlertStatus::Resolved).then_some(updated_at),
            incident: None,
            group_key: format!("{{}}:{{alertname=\"{fingerprint}\"}}"),
            source: "warroom".into(),
            generator_url: String::new(),
            updated_at,
        }
    }

    #[tokio::test]
    async fn only_resolved_alerts_older_than_the_cutoff_are_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let store =
            SqliteStore::open(dir.path().join("a.db"), Arc::new(ManualClock::new(now()))).unwrap();
        let old = now() - Duration::days(40);
        let saved = store
            .save_alerts(vec![
                alert("aa01", AlertStatus::Resolved, old),
                alert("bb02", AlertStatus::Resolved, now() - Duration::days(2)),
                alert("cc03", AlertStatus::Firing, old),
            ])
            .await
            .unwrap();
        assert_eq!(saved.len(), 3);
        let cutoff = now() - Duration::days(30);
        assert_eq!(store.prune_resolved(cutoff).await.unwrap(), 1);
        let mut kept: Vec<String> = store
            .alerts(true)
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.fingerprint)
            .collect();
        kept.sort();
        assert_eq!(
            kept,
            ["bb02", "cc03"],
            "recent resolved and old firing stay"
        );
        assert_eq!(store.prune_resolved(cutoff).await.unwrap(), 0, "once");
        // Linking the pruned alert finds nothing to link.
        let pruned = saved.iter().find(|a| a.fingerprint == "aa01").unwrap().id;
        assert!(
            store
                .link_alert(pruned, Uuid::now_v7())
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            store
                .unlink_alert(pruned, Uuid::now_v7(), &[])
                .await
                .unwrap()
                .is_empty()
        );
        store.close();
    }

    /// Alerts of one group linked to incidents: `fingerprint`'s status and last change.
    fn grouped(
        fingerprint: &str,
        status: AlertStatus,
        updated_at: DateTime<Utc>,
        incident: Uuid,
    ) -> Alert {
        Alert {
            group_key: "{}:{alertname=\"HighErrorRate\"}".into(),
            incident: Some(incident),
            ..alert(fingerprint, status, updated_at)
        }
    }

    #[tokio::test]
    async fn a_linked_alert_goes_only_with_its_group_on_that_incident() {
        let dir = tempfile::tempdir().unwrap();
        let store =
            SqliteStore::open(dir.path().join("a.db"), Arc::new(ManualClock::new(now()))).unwrap();
        let (old, cutoff) = (now() - Duration::days(40), now() - Duration::days(30));
        let (one, two) = (Uuid::now_v7(), Uuid::now_v7());
        store
            .save_alerts(vec![
                // On `one`, the group still fires through dd04: dd01 stays with it.
                grouped("dd01", AlertStatus::Resolved, old, one),
                grouped("dd04", AlertStatus::Firing, old, one),
                // On `two`, every alert of the group is resolved and old: all go.
                grouped("dd02", AlertStatus::Resolved, old, two),
                grouped("dd03", AlertStatus::Resolved, old, two),
            ])
            .await
            .unwrap();
        assert_eq!(store.prune_resolved(cutoff).await.unwrap(), 2);
        let mut kept: Vec<String> = store
            .alerts(true)
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.fingerprint)
            .collect();
        kept.sort();
        assert_eq!(kept, ["dd01", "dd04"]);
        // Unlinking the alert `one` links still takes its group off.
        let dd01 = store.alerts(true).await.unwrap();
        let dd01 = dd01.iter().find(|a| a.fingerprint == "dd01").unwrap().id;
        assert_eq!(store.unlink_alert(dd01, one, &[]).await.unwrap().len(), 2);
        // Unlinked, the old resolved one goes at the next prune.
        assert_eq!(store.prune_resolved(cutoff).await.unwrap(), 1);
        store.close();
    }
}
