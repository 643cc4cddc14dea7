//! Alerts in: Alertmanager's webhook (`POST /api/v1/alerts/alertmanager`), warroom's own
//! small alert shape (`POST /api/v1/alerts`) and the list (`GET /api/v1/alerts`).
//!
//! Each delivery is merged into the kept alerts by fingerprint (`domain::alert::merge`).
//! When an alert of a group linked to an incident fires, fires again or resolves, the
//! server records an `alert_observed` event on that incident under the handle of the token
//! that delivered it, judged by the rule book like any other append: refused on a closed
//! incident, and on a restricted one unless the IC granted that handle access. Those
//! events are written before the alerts, with ids derived from the change, so a delivery
//! that fails half way is simply sent again by its sender and records each change once.
//! Links are made by responders: an `alert_linked` event appended to an incident links the
//! alert, and the alerts of its group not linked yet, once the append is stored; an
//! `alert_unlinked` event takes it, and the alerts of its group linked to that incident,
//! off it again, so the group's later changes record nothing there.
//!
//! Resolved alerts are not kept forever: at start and then every hour the server deletes
//! those unchanged for `[alerts] keep_resolved` (30 days unless set; [`prune_hourly`]).
//! Firing alerts stay however old, and the events of incidents a deleted alert was linked
//! to stay as they are: they carry the alert's name and summary.

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::routes::MAX_BODY_BYTES;
use crate::domain::alert::{self, Alert, AlertStatus, Incoming, Rejection};
use crate::domain::event::EventKind;
use crate::domain::rules::{RefusalCode, limits};
use crate::store::alerts::AlertStore;
use crate::store::{NewEvent, StoreError};

/// How long the server keeps what: `[alerts]` of `serve --config FILE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertsConfig {
    /// A resolved alert unchanged this long is deleted (`keep_resolved`, 30 days unless
    /// set).
    pub keep_resolved: chrono::Duration,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig {
            keep_resolved: crate::config::KEEP_RESOLVED,
        }
    }
}

/// How often the server deletes the resolved alerts it no longer keeps.
pub const PRUNE_EVERY: std::time::Duration = std::time::Duration::from_secs(60 * 60);

/// Deletes the resolved alerts unchanged for `keep` now, and then every [`PRUNE_EVERY`],
/// until the server shuts down; the cutoff is read from the server's clock each time. A
/// failure is logged and tried again at the next hour; it never stops the server.
pub fn prune_hourly(state: &AppState, keep: chrono::Duration) {
    if state.store.alert_store().is_none() {
        return;
    }
    let (store, clock, mut shutdown) = (
        state.store.clone(),
        state.clock.clone(),
        state.shutdown.clone(),
    );
    tokio::spawn(async move {
        let mut hourly = tokio::time::interval(PRUNE_EVERY);
        hourly.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                // The first tick is at once: a prune at start.
                _ = hourly.tick() => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
            let Some(alerts) = store.alert_store() else {
                return;
            };
            prune_once(alerts, clock.now(), keep).await;
        }
    });
}

/// One prune: the resolved alerts unchanged for `keep` at `now` are deleted, and how many
/// is logged. Answers how many.
pub async fn prune_once(
    alerts: &dyn AlertStore,
    now: chrono::DateTime<chrono::Utc>,
    keep: chrono::Duration,
) -> usize {
    // A span reaching before the earliest time there is keeps everything.
    let Some(before) = now.checked_sub_signed(keep) else {
        return 0;
    };
    let kept_for = crate::domain::metrics::format_duration(keep);
    match alerts.prune_resolved(before).await {
        Ok(0) => 0,
        Ok(n) => {
            tracing::info!(
                "removed {n} resolved alert{} unchanged for {kept_for} ([alerts] keep_resolved)",
                if n == 1 { "" } else { "s" }
            );
            n
        }
        Err(e) => {
            tracing::warn!(
                "the resolved alerts unchanged for {kept_for} could not be removed: {e}; \
                 trying again in an hour"
            );
            0
        }
    }
}

/// The alerts an endpoint answers with.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct AlertList {
    /// Firing alerts first, the most recently started first.
    pub alerts: Vec<Alert>,
}

fn store(state: &AppState) -> Result<&dyn AlertStore, ApiError> {
    state
        .store
        .alert_store()
        .ok_or_else(|| ApiError::unavailable("this server's store keeps no alerts"))
}

fn read_body(body: Result<Bytes, BytesRejection>) -> Result<Value, ApiError> {
    let bytes = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large(format!(
                "the request body is larger than the limit of {MAX_BODY_BYTES} bytes; send \
                 fewer alerts at once (Alertmanager: `max_alerts` in the webhook config)"
            ))
        } else {
            ApiError::bad_request(format!("the request body could not be read: {e}"))
        }
    })?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::malformed(format!("the body is not valid JSON: {e}")))
}

fn rejected(r: Rejection) -> ApiError {
    if r.malformed {
        ApiError::bad_request(r.message)
    } else {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_alert", r.message)
    }
}

#[utoipa::path(
    post, path = "/api/v1/alerts/alertmanager", operation_id = "alertmanager_webhook", request_body = alert::AlertmanagerMessage,
    description = "Alertmanager's webhook (payload version 4). Point a `webhook_configs` \
        receiver here with `http_config.authorization.credentials` set to a warroom token; \
        every delivery updates the alerts by fingerprint, and changes of alerts whose group \
        is linked to an incident are recorded on it as observations.",
    responses(
        (status = 200, description = "stored; the delivered alerts as warroom keeps them", body = AlertList),
        (status = 400, description = "not JSON, or not Alertmanager's webhook message version 4", body = ErrorBody),
        (status = 401, description = "no valid token", body = ErrorBody),
        (status = 403, description = "a read-only token", body = ErrorBody),
        (status = 413, description = "body over 1 MiB", body = ErrorBody),
        (status = 422, description = "a time outside the years 1 to 9999", body = ErrorBody),
        (status = 503, description = "the database is unavailable; Alertmanager sends it again", body = ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn alertmanager(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<AlertList>, ApiError> {
    caller.require_write()?;
    let (_, incoming) = alert::parse_alertmanager(read_body(body)?).map_err(rejected)?;
    let alerts = receive(&state, &caller, incoming).await?;
    Ok(Json(AlertList { alerts }))
}

#[utoipa::path(
    post, path = "/api/v1/alerts", operation_id = "receive_alert", request_body = alert::GenericAlert,
    description = "One alert in warroom's own shape, for Grafana and scripts. The same \
        source, title, severity and labels update the same alert; an `ends_at` that has \
        passed resolves it.",
    responses(
        (status = 200, description = "stored; the alert as warroom keeps it", body = AlertList),
        (status = 400, description = "not JSON, or not an alert of this shape", body = ErrorBody),
        (status = 401, description = "no valid token", body = ErrorBody),
        (status = 403, description = "a read-only token", body = ErrorBody),
        (status = 413, description = "body over 1 MiB", body = ErrorBody),
        (status = 422, description = "times that cannot be (an end before the start, a year \
            beyond 9999)", body = ErrorBody),
        (status = 503, description = "the database is unavailable", body = ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn generic(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<AlertList>, ApiError> {
    caller.require_write()?;
    let incoming = alert::parse_generic(read_body(body)?, state.clock.now()).map_err(rejected)?;
    let alerts = receive(&state, &caller, vec![incoming]).await?;
    Ok(Json(AlertList { alerts }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertsQuery {
    /// Resolved alerts too (default: only those firing).
    pub all: Option<bool>,
}

#[utoipa::path(
    get, path = "/api/v1/alerts", operation_id = "list_alerts",
    params(AlertsQuery),
    responses(
        (status = 200, description = "the kept alerts, firing first; `incident` only where \
            the caller may see that incident", body = AlertList),
        (status = 400, description = "a query parameter that is not true or false", body = ErrorBody),
        (status = 401, description = "no valid token", body = ErrorBody),
        (status = 503, description = "the database is unavailable", body = ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<AlertsQuery>, QueryRejection>,
) -> Result<Json<AlertList>, ApiError> {
    let Query(q) =
        query.map_err(|e| ApiError::bad_request(format!("bad query: {}", e.body_text())))?;
    let mut alerts = store(&state)?.alerts(q.all.unwrap_or(false)).await?;
    alerts = visible(&state, &caller, alerts).await?;
    Ok(Json(AlertList { alerts }))
}

/// `alerts` in list order, the link to an incident `sees` says the caller may not know of
/// left out.
fn shown(mut alerts: Vec<Alert>, sees: impl Fn(Uuid) -> bool) -> Vec<Alert> {
    for a in &mut alerts {
        if a.incident.is_some_and(|i| !sees(i)) {
            a.incident = None;
        }
    }
    alert::sort(&mut alerts);
    alerts
}

/// `alerts` as the caller may see them (see [`shown`]).
async fn visible(
    state: &AppState,
    caller: &Caller,
    alerts: Vec<Alert>,
) -> Result<Vec<Alert>, ApiError> {
    if alerts.iter().all(|a| a.incident.is_none()) {
        return Ok(shown(alerts, |_| false));
    }
    let seen: HashMap<Uuid, bool> = state
        .store
        .incidents()
        .await?
        .into_iter()
        .map(|s| (s.id, s.can_see(&caller.handle)))
        .collect();
    Ok(shown(alerts, |i| seen.get(&i).copied().unwrap_or(false)))
}

/// What the firing alerts add to the version (`ETag`) of a caller's incident list, given
/// the incidents that caller may see, so a console waiting on the list hears of alerts
/// too. Nothing when the store keeps none.
pub async fn list_version(
    state: &AppState,
    visible: &[crate::domain::incident::IncidentSummary],
) -> Result<Vec<u8>, ApiError> {
    let Some(store) = state.store.alert_store() else {
        return Ok(Vec::new());
    };
    let firing = shown(store.alerts(false).await?, |i| {
        visible.iter().any(|s| s.id == i)
    });
    serde_json::to_vec(&firing)
        .map_err(|e| ApiError::unavailable(format!("the alerts could not be written: {e}")))
}

/// Merges a delivery into the kept alerts, records what changed on linked incidents, and
/// answers the delivered alerts as kept.
async fn receive(
    state: &AppState,
    caller: &Caller,
    incoming: Vec<Incoming>,
) -> Result<Vec<Alert>, ApiError> {
    let store = store(state)?;
    let now = state.clock.now();
    let mut fingerprints: Vec<String> = incoming.iter().map(|i| i.fingerprint.clone()).collect();
    fingerprints.sort();
    fingerprints.dedup();
    let mut kept: BTreeMap<String, Alert> = store
        .alerts_by_fingerprint(&fingerprints)
        .await?
        .into_iter()
        .map(|a| (a.fingerprint.clone(), a))
        .collect();
    let mut groups: HashMap<String, Option<Uuid>> = HashMap::new();
    for i in &incoming {
        if !groups.contains_key(&i.group_key) {
            let linked = store.group_incident(&i.group_key).await?;
            groups.insert(i.group_key.clone(), linked);
        }
    }
    let mut told: Vec<(Uuid, Alert, AlertStatus)> = Vec::new();
    for i in &incoming {
        let group = groups.get(&i.group_key).copied().flatten();
        let (merged, change) =
            alert::merge(kept.get(&i.fingerprint), i, Uuid::now_v7(), group, now);
        if let (Some(status), Some(incident)) = (change.told(), merged.incident) {
            told.push((incident, merged.clone(), status));
        }
        kept.insert(merged.fingerprint.clone(), merged);
    }
    // First what the incidents hear, so a delivery that fails here is sent again whole.
    record(state, caller, told, now).await?;
    let delivered: Vec<Alert> = fingerprints.iter().filter_map(|f| kept.remove(f)).collect();
    let saved = store.save_alerts(delivered).await?;
    // The incident lists' long-polls: their version includes the firing alerts.
    state.wake.notify(Uuid::nil(), 0);
    visible(state, caller, saved).await
}

/// Records each change on its incident as an `alert_observed` event by the caller. A
/// change the rule book refuses is left out and logged; an unreachable database fails the
/// delivery (503), so its sender sends it again.
async fn record(
    state: &AppState,
    caller: &Caller,
    told: Vec<(Uuid, Alert, AlertStatus)>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), ApiError> {
    let mut by_incident: BTreeMap<Uuid, Vec<NewEvent>> = BTreeMap::new();
    for (incident, a, status) in told {
        by_incident.entry(incident).or_default().push(NewEvent {
            id: alert::observation_id(&a, status),
            at: alert::observed_at(&a, status, now),
            persona: None,
            kind: EventKind::AlertObserved {
                alert: a.id,
                fingerprint: a.fingerprint.clone(),
                status,
                name: alert::clipped(a.name(), limits::TITLE),
                summary: alert::clipped(a.summary(), limits::TEXT),
            },
        });
    }
    for (incident, mut events) in by_incident {
        events.sort_by_key(|e| e.at);
        match state
            .store
            .append(incident, &caller.handle, events.clone())
            .await
        {
            Ok(accepted) => wake(state, incident, &accepted),
            Err(e @ (StoreError::Unavailable(_) | StoreError::Corrupt { .. })) => {
                return Err(e.into());
            }
            Err(_) if events.len() > 1 => {
                // Refused whole: record what the rule book takes, one at a time.
                for ev in events {
                    match state.store.append(incident, &caller.handle, vec![ev]).await {
                        Ok(accepted) => wake(state, incident, &accepted),
                        Err(e @ (StoreError::Unavailable(_) | StoreError::Corrupt { .. })) => {
                            return Err(e.into());
                        }
                        Err(e) => not_recorded(incident, &caller.handle, &e),
                    }
                }
            }
            Err(e) => not_recorded(incident, &caller.handle, &e),
        }
    }
    Ok(())
}

fn wake(state: &AppState, incident: Uuid, accepted: &[crate::store::Accepted]) {
    if let Some(last) = accepted.iter().map(|a| a.seq).max() {
        state.wake.notify(incident, last);
    }
}

fn not_recorded(incident: Uuid, handle: &str, e: &StoreError) {
    match e {
        StoreError::Refused { refusal, .. } if refusal.code == RefusalCode::Hidden => {
            tracing::warn!(
                "an alert of a group linked to the restricted incident {incident} was not \
                 recorded on it: {handle} may not see it (the IC grants access with \
                 `warroom grant INCIDENT {handle}`)"
            )
        }
        e => tracing::warn!(
            "an alert of a group linked to incident {incident} was not recorded on it: {e}"
        ),
    }
}

/// The alerts the `alert_linked` and `alert_unlinked` events of an append name, each once,
/// in the order they are first named.
pub fn links_in(events: &[NewEvent]) -> Vec<Uuid> {
    let mut named: Vec<Uuid> = Vec::new();
    for e in events {
        if let EventKind::AlertLinked { alert, .. } | EventKind::AlertUnlinked { alert, .. } =
            &e.kind
            && !named.contains(alert)
        {
            named.push(*alert);
        }
    }
    named
}

/// After an append naming alerts in `alert_linked` or `alert_unlinked` events is stored:
/// makes the kept alerts agree with the incident's state. An alert the incident links
/// now is linked to it with the alerts of its group not linked yet; one it does not (it
/// was unlinked) is taken off it with the alerts of its group linked to it, but for those
/// the incident still links itself, so its group's later changes no longer reach it. A
/// retry of the append does the same again, which changes nothing, and a retry of an old
/// link after its unlink does not link the alert again.
pub async fn link_all(state: &AppState, incident: Uuid, links: &[Uuid]) -> Result<(), ApiError> {
    if links.is_empty() {
        return Ok(());
    }
    let Some(store) = state.store.alert_store() else {
        return Ok(());
    };
    let Some(current) = state.store.state(incident).await? else {
        return Ok(());
    };
    let keep: Vec<Uuid> = current.state.linked_alerts().map(|l| l.alert).collect();
    for alert in links {
        if keep.contains(alert) {
            store.link_alert(*alert, incident).await?;
        } else {
            store.unlink_alert(*alert, incident, &keep).await?;
        }
    }
    state.wake.notify(Uuid::nil(), 0);
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::{Duration, TimeZone, Utc};

    use super::*;
    use crate::clock::ManualClock;
    use crate::store::SqliteStore;

    #[tokio::test]
    async fn a_prune_that_fails_or_reaches_before_time_removes_nothing_and_goes_on() {
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 22, 0, 0).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store =
            SqliteStore::open(dir.path().join("a.db"), Arc::new(ManualClock::new(now))).unwrap();
        assert_eq!(prune_once(&store, now, Duration::days(30)).await, 0);
        // A span no clock can go back: nothing is older.
        assert_eq!(prune_once(&store, now, Duration::MAX).await, 0);
        // A store that fails: logged, not raised.
        store.close();
        assert_eq!(prune_once(&store, now, Duration::days(30)).await, 0);
    }
}
