//! The handlers of REST API v1.

use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use crate::domain::document::{IncidentDocument, LATEST};
use crate::domain::event::{Event, EventKind, Severity};
use crate::domain::incident::IncidentSummary;
use crate::store::{Accepted, NewEvent, resolve};

/// Largest request body the API reads.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Most events in one append.
pub const MAX_BATCH: usize = 1000;
/// Longest a long-poll waits.
pub const MAX_WAIT_SECS: u64 = 60;
/// Most events one read answers.
pub const MAX_LIMIT: usize = 10_000;

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: String,
    pub version: String,
}

/// Liveness; needs no token.
#[utoipa::path(get, path = "/healthz", responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

/// Readiness: the database answers within a second. 503 (with `Retry-After`) otherwise.
#[utoipa::path(get, path = "/readyz", responses((status = 200, body = Health), (status = 503, body = ErrorBody)))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    match tokio::time::timeout(Duration::from_secs(1), state.store.ready()).await {
        Ok(Ok(())) => Json(Health {
            status: "ready".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        })
        .into_response(),
        Ok(Err(e)) => {
            tracing::error!("readiness: {e}");
            ApiError::unavailable("the database does not answer; see the server's log")
                .into_response()
        }
        Err(_) => {
            tracing::error!("readiness: the database took more than a second to answer");
            ApiError::unavailable("the database did not answer within a second").into_response()
        }
    }
}

fn body_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large(format!(
                "the request body is larger than the limit of {MAX_BODY_BYTES} bytes; send fewer events per batch"
            ))
        } else {
            ApiError::bad_request(format!("the request body could not be read: {e}"))
        }
    })
}

fn parse_json(bytes: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::malformed(format!("the body is not valid JSON: {e}")))
}

fn object(v: Value, what: &str) -> Result<Map<String, Value>, ApiError> {
    match v {
        Value::Object(m) => Ok(m),
        _ => Err(ApiError::invalid(format!("{what} must be a JSON object"))),
    }
}

/// Ids clients make: time-ordered UUIDs (v7; v8 for ids warroom derives from others).
/// The nil and max UUIDs and random or name-based versions are refused.
pub fn client_made_id(id: Uuid, what: &str) -> Result<Uuid, ApiError> {
    if id.is_nil() || id.is_max() {
        return Err(ApiError::invalid(format!(
            "{what}: {id} is not an id anything can have; make a UUID v7"
        )));
    }
    if id.get_variant() != uuid::Variant::RFC4122 {
        return Err(ApiError::invalid(format!(
            "{what}: {id} is not an RFC 9562 UUID; make a UUID v7"
        )));
    }
    match id.get_version_num() {
        7 | 8 => Ok(id),
        v => Err(ApiError::invalid(format!(
            "{what}: {id} is a version {v} UUID; warroom takes time-ordered UUID v7 ids"
        ))),
    }
}

fn take_uuid(m: &mut Map<String, Value>, key: &str, what: &str) -> Result<Uuid, ApiError> {
    match m.remove(key) {
        Some(Value::String(s)) if s.len() != 36 => Err(ApiError::invalid(format!(
            "{what}: `{key}` must be a hyphenated UUID like 01a21b57-0822-71ee-bcf3-8d333c583cbd"
        ))),
        Some(Value::String(s)) => Uuid::parse_str(&s)
            .map_err(|_| ApiError::invalid(format!("{what}: `{key}` must be a UUID, not `{s}`")))
            .and_then(|id| client_made_id(id, what)),
        Some(_) => Err(ApiError::invalid(format!(
            "{what}: `{key}` must be a UUID string"
        ))),
        None => Err(ApiError::invalid(format!(
            "{what}: `{key}` is missing (a client-made UUID, so retries are safe)"
        ))),
    }
}

fn take_time(
    m: &mut Map<String, Value>,
    key: &str,
    what: &str,
) -> Result<Option<DateTime<Utc>>, ApiError> {
    match m.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => DateTime::parse_from_rfc3339(&s)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| {
                ApiError::invalid(format!(
                    "{what}: `{key}` must be an RFC 3339 time, not `{s}`"
                ))
            }),
        Some(_) => Err(ApiError::invalid(format!(
            "{what}: `{key}` must be an RFC 3339 time string"
        ))),
    }
}

/// The incident `reference` names, if the caller may know it exists: a restricted
/// incident answers exactly like an unknown one to anyone who is not a member.
async fn find_incident(
    state: &AppState,
    caller: &Caller,
    reference: &str,
) -> Result<IncidentSummary, ApiError> {
    if let Ok(id) = Uuid::parse_str(reference) {
        return state
            .store
            .incident(id)
            .await?
            .filter(|s| s.can_see(&caller.handle))
            .ok_or_else(|| ApiError::not_found(format!("no incident {id}")));
    }
    let all = visible(state.store.incidents().await?, caller);
    resolve(&all, reference)
        .cloned()
        .map_err(|e| ApiError::not_found(e.to_string()))
}

/// The incidents the caller may know exist.
fn visible(all: Vec<IncidentSummary>, caller: &Caller) -> Vec<IncidentSummary> {
    all.into_iter()
        .filter(|s| s.can_see(&caller.handle))
        .collect()
}

/// What a client-made id looks like: a UUID v7 (or v8, for ids warroom derives).
pub const CLIENT_ID_PATTERN: &str =
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[78][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$";

/// Who may see an incident.
#[derive(Clone, Copy, Debug, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Everyone with a token (the default).
    Open,
    /// Only the declarer and whoever the IC grants; to anyone else it does not exist.
    Restricted,
}

/// Declares an incident. The body carries a client-made id, so a retry is idempotent.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "01a21b56-cc04-761a-a082-ca990be3f0c0",
    "title": "Card payments failing at checkout",
    "severity": 2,
    "summary": "A third of card payments fail; wallets work.",
    "visibility": "open"
}))]
pub struct DeclareRequest {
    /// A UUID v7 the client makes; it becomes the incident's id.
    #[schema(value_type = String, format = Uuid, pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[78][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$")]
    pub id: Uuid,
    /// One line saying what is wrong (not blank).
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub title: String,
    /// 1 critical, 2 major, 3 minor.
    #[schema(minimum = 1, maximum = 3)]
    pub severity: i64,
    #[serde(default)]
    #[schema(max_length = 16384)]
    pub summary: Option<String>,
    /// When impact started, if known (back-dating is normal).
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    /// Marks a training incident, excluded from metrics.
    #[serde(default)]
    pub drill: Option<bool>,
    /// When it was declared, if not now (a client that declared while offline says when).
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
    /// `open` (the default) or `restricted`.
    #[serde(default)]
    pub visibility: Option<Visibility>,
}

/// The id of the `impact_started` event a declaration carries: derived from the
/// incident id, so a retried declaration cannot record it twice.
pub fn started_event_id(incident: Uuid) -> Uuid {
    let hash = Sha256::digest([incident.as_bytes().as_slice(), b"impact_started"].concat());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&hash[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

#[utoipa::path(
    post, path = "/api/v1/incidents", request_body = DeclareRequest,
    responses(
        (status = 201, description = "declared", body = IncidentSummary),
        (status = 200, description = "already declared with this id (a retry)", body = IncidentSummary),
        (status = 400, description = "not JSON", body = ErrorBody),
        (status = 401, description = "no valid token", body = ErrorBody),
        (status = 403, description = "a read-only token", body = ErrorBody),
        (status = 409, description = "this id is already an incident declared otherwise", body = ErrorBody),
        (status = 413, description = "body over 1 MiB", body = ErrorBody),
        (status = 422, description = "invalid, or refused by the rule book", body = ErrorBody),
        (status = 503, description = "the database is unavailable; retry after the Retry-After seconds", body = ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn declare(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    caller.require_write()?;
    let value = parse_json(&body_bytes(body)?)?;
    let fields = object(value.clone(), "the declaration")?;
    if fields
        .get("id")
        .and_then(Value::as_str)
        .is_some_and(|s| s.len() != 36)
    {
        return Err(ApiError::invalid(
            "the declaration's `id` must be a hyphenated UUID v7",
        ));
    }
    match fields.get("visibility") {
        None | Some(Value::Null) => {}
        Some(Value::String(v)) if v == "open" || v == "restricted" => {}
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "the declaration's `visibility` must be \"open\" or \"restricted\", not {other}"
            )));
        }
    }
    let req: DeclareRequest = serde_json::from_value(value)
        .map_err(|e| ApiError::invalid(format!("the declaration is not valid: {e}")))?;
    client_made_id(req.id, "the declaration's `id`")?;
    let severity = Severity::new(req.severity).map_err(ApiError::invalid)?;
    if req.title.trim().is_empty() {
        return Err(ApiError::invalid("the title must not be empty"));
    }
    let restricted = req.visibility == Some(Visibility::Restricted);
    let now = state.clock.now();
    if req
        .started_at
        .is_some_and(|s| s > now + chrono::Duration::minutes(5))
    {
        return Err(ApiError::invalid("started_at is in the future"));
    }
    if req
        .at
        .is_some_and(|s| s > now + chrono::Duration::minutes(5))
    {
        return Err(ApiError::invalid("at is in the future"));
    }
    // A retry that left the time to the server is the original declaration.
    let at = match req.at {
        Some(at) => at,
        None => state
            .store
            .stored_times(&[req.id])
            .await?
            .get(&req.id)
            .copied()
            .unwrap_or(now),
    };
    let mut events = vec![NewEvent {
        id: req.id,
        at,
        persona: None,
        kind: EventKind::IncidentDeclared {
            title: req.title.trim().to_string(),
            severity,
            summary: req.summary.unwrap_or_default().trim().to_string(),
            drill: req.drill.unwrap_or(false),
            restricted,
        },
    }];
    if let Some(start) = req.started_at {
        events.push(NewEvent {
            id: started_event_id(req.id),
            at: start,
            persona: None,
            kind: EventKind::ImpactStarted {},
        });
    }
    let accepted = state.store.append(req.id, &caller.handle, events).await?;
    let fresh = accepted.iter().any(|a| !a.duplicate);
    if let Some(last) = accepted.iter().map(|a| a.seq).max() {
        state.wake.notify(req.id, last);
    }
    let summary = state
        .store
        .incident(req.id)
        .await?
        .filter(|s| s.can_see(&caller.handle))
        .ok_or_else(|| ApiError::not_found(format!("no incident {}", req.id)))?;
    let status = if fresh {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(summary)).into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Long-poll: when the list is still the one `known` names, wait up to this many
    /// seconds for any incident to change before answering.
    #[param(minimum = 0, maximum = 60, example = 30)]
    pub wait: Option<u64>,
    /// The `ETag` of the list the caller already holds, as it was answered (quoted or
    /// not); any other value answers at once.
    pub known: Option<String>,
}

/// The caller's list as it is answered, and its version: a hash of those bytes.
async fn list_body(state: &AppState, caller: &Caller) -> Result<(Vec<u8>, String), ApiError> {
    let list = visible(state.store.incidents().await?, caller);
    let body = serde_json::to_vec(&list)
        .map_err(|e| ApiError::unavailable(format!("the list could not be written: {e}")))?;
    // The firing alerts count too: a console waiting on the list shows them.
    let mut hasher = Sha256::new();
    hasher.update(&body);
    hasher.update(super::alerts::list_version(state, &list).await?);
    let hash = hasher.finalize();
    let tag: String = hash[..16].iter().map(|b| format!("{b:02x}")).collect();
    Ok((body, tag))
}

#[utoipa::path(
    get, path = "/api/v1/incidents",
    params(ListQuery),
    responses(
        (status = 200, description = "the incidents the caller may see; with `wait` and a \
            current `known`, once one of them changes or the wait is over (then the same \
            list again)", body = [IncidentSummary],
            headers(("ETag" = String, description = "the version of this list for this caller; \
                pass it back as `known` to wait for the next"))),
        (status = 400, description = "a query parameter out of range", body = ErrorBody),
        (status = 401, description = "no valid token", body = ErrorBody),
        (status = 503, description = "the database is unavailable", body = ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) =
        query.map_err(|e| ApiError::bad_request(format!("bad query: {}", e.body_text())))?;
    let wait = q.wait.unwrap_or(0);
    if wait > MAX_WAIT_SECS {
        return Err(ApiError::bad_request(format!(
            "`wait` must be from 0 to {MAX_WAIT_SECS} seconds"
        )));
    }
    let known = q.known.as_deref().map(|k| {
        let k = k.trim();
        let k = k.strip_prefix("W/").unwrap_or(k);
        k.trim_matches('"').to_string()
    });
    // Subscribe before reading, so a change between the read and the wait still wakes us.
    let mut wake = state.wake.subscribe_all();
    wake.borrow_and_update();
    let (mut body, mut tag) = list_body(&state, &caller).await?;
    if wait > 0 && known.as_deref() == Some(tag.as_str()) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(wait);
        let mut shutdown = state.shutdown.clone();
        loop {
            tokio::select! {
                changed = wake.changed() => if changed.is_err() { break },
                _ = tokio::time::sleep_until(deadline) => break,
                _ = shutdown.changed() => break,
            }
            // A change the caller may not see (a restricted incident) leaves their list as
            // it was: keep waiting.
            (body, tag) = list_body(&state, &caller).await?;
            if known.as_deref() != Some(tag.as_str()) {
                break;
            }
        }
    }
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (header::ETAG, format!("\"{tag}\"")),
        ],
        body,
    )
        .into_response())
}

/// The folded state of an incident, bounded whatever the length of its history, with the
/// digest of the whole state.
#[derive(Serialize, ToSchema)]
pub struct IncidentState {
    /// The digest of the whole folded state (every list whole, not only the latest items
    /// `state` holds): a chain over the ids and seqs of the events it was folded from, in
    /// order, and the format of the fold, so equal on every machine that folded the same
    /// events (as `warroom show --json` prints it) and new with every event. A redaction
    /// does not change it.
    pub digest: String,
    /// The state: everything but the lists whole, and of each list (board items, change
    /// requests, updates, handovers...) its total and its latest 20. The events endpoint
    /// pages through all of them, up to `state.summary.last_seq`.
    pub state: IncidentDocument,
}

#[utoipa::path(
    get, path = "/api/v1/incidents/{id}",
    params(("id" = String, Path, description = "incident UUID or short id")),
    responses(
        (status = 200, body = IncidentState),
        (status = 401, description = "no valid token", body = ErrorBody),
        (status = 404, description = "no such incident, or one the caller may not see", body = ErrorBody),
        (status = 503, description = "the database is unavailable", body = ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(reference): Path<String>,
) -> Result<Json<IncidentState>, ApiError> {
    let summary = find_incident(&state, &caller, &reference).await?;
    // Kept in memory by the store and caught up event by event, the digest with it.
    let current = state
        .store
        .state(summary.id)
        .await?
        .filter(|c| c.state.summary.can_see(&caller.handle))
        .ok_or_else(|| ApiError::not_found(format!("no incident {}", summary.id)))?;
    Ok(Json(IncidentState {
        digest: current.digest,
        state: current.state.document(LATEST),
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Only events with a seq greater than this (default 0: from the start).
    #[param(minimum = 0, example = 0)]
    pub after: Option<i64>,
    /// At most this many events (default 1000).
    #[param(minimum = 1, maximum = 10000, example = 1000)]
    pub limit: Option<usize>,
    /// Long-poll: when nothing is newer than `after`, wait up to this many seconds for an
    /// append before answering an empty list.
    #[param(minimum = 0, maximum = 60, example = 30)]
    pub wait: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub struct EventsPage {
    /// Event envelopes in seq order.
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<Event>,
    /// The incident's newest seq: when it is beyond the last event here, read on.
    pub last_seq: i64,
}

#[utoipa::path(
    get, path = "/api/v1/incidents/{id}/events",
    params(("id" = String, Path, description = "incident UUID or short id"), EventsQuery),
    responses(
        (status = 200, body = EventsPage),
        (status = 400, description = "a query parameter out of range", body = ErrorBody),
        (status = 401, description = "no valid token", body = ErrorBody),
        (status = 404, description = "no such incident, or one the caller may not see", body = ErrorBody),
        (status = 503, description = "the database is unavailable", body = ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn events(
    State(state): State<AppState>,
    caller: Caller,
    Path(reference): Path<String>,
    query: Result<Query<EventsQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) =
        query.map_err(|e| ApiError::bad_request(format!("bad query: {}", e.body_text())))?;
    let after = q.after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::bad_request("`after` must be 0 or more"));
    }
    let limit = q.limit.unwrap_or(1000);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(ApiError::bad_request(format!(
            "`limit` must be from 1 to {MAX_LIMIT}"
        )));
    }
    let wait = q.wait.unwrap_or(0);
    if wait > MAX_WAIT_SECS {
        return Err(ApiError::bad_request(format!(
            "`wait` must be from 0 to {MAX_WAIT_SECS} seconds"
        )));
    }
    let wait = Duration::from_secs(wait);
    let summary = find_incident(&state, &caller, &reference).await?;
    let id = summary.id;
    // Subscribe before reading, so an append between the read and the wait still wakes us.
    let mut wake = state.wake.subscribe(id);
    wake.borrow_and_update();
    let mut events = state.store.events_after(id, after, limit).await?;
    if events.is_empty() && !wait.is_zero() {
        let deadline = tokio::time::Instant::now() + wait;
        let mut shutdown = state.shutdown.clone();
        loop {
            tokio::select! {
                changed = wake.changed() => if changed.is_err() { break },
                _ = tokio::time::sleep_until(deadline) => break,
                _ = shutdown.changed() => break,
            }
            // The append read its events once for every waiter after the same seq.
            let page = wake.borrow_and_update().page.clone();
            if let Some(page) = page.filter(|p| p.after == after && p.count <= limit) {
                // Access may have been taken away while waiting: the incident is gone
                // for this caller from that moment.
                if !page.summary.can_see(&caller.handle) {
                    return Err(ApiError::not_found(format!("no incident {id}")));
                }
                return Ok(json_body(page.body.clone()));
            }
            find_incident(&state, &caller, &id.to_string()).await?;
            events = state.store.events_after(id, after, limit).await?;
            if !events.is_empty() {
                break;
            }
        }
    }
    let last_seq = match events.last().and_then(|e| e.seq) {
        // A page shorter than the limit ends at the newest event.
        Some(seq) if events.len() < limit => seq,
        Some(seq) => seq.max(state.store.incident(id).await?.map_or(seq, |s| s.last_seq)),
        None => state
            .store
            .incident(id)
            .await?
            .map_or(summary.last_seq, |s| s.last_seq),
    };
    let body = serde_json::to_vec(&EventsPage { events, last_seq })
        .map_err(|e| ApiError::unavailable(format!("the events could not be written: {e}")))?;
    Ok(json_body(Bytes::from(body)))
}

/// A JSON body already written (a page shared by every waiter of an append, or one of our own).
fn json_body(body: Bytes) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

#[derive(Serialize, ToSchema)]
pub struct AppendResponse {
    pub accepted: Vec<AcceptedEvent>,
}

#[derive(Serialize, ToSchema)]
pub struct AcceptedEvent {
    pub id: Uuid,
    pub seq: i64,
}

/// A batch of new events, stored whole or not at all.
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(example = json!({ "events": [
    { "id": "01a21b57-0822-71ee-bcf3-8d333c583cbd", "type": "note",
      "text": "rolled back payments-api on pay-3" }
] }))]
pub struct AppendRequest {
    #[schema(min_items = 1, max_items = 1000)]
    pub events: Vec<NewEventBody>,
}

/// One new event: `{ "id", "type", "at"?, ...the kind's own fields }`. `author`, `seq`
/// and `recorded_at` are set by the server. Kinds this server does not know are kept as
/// sent. Whether a known kind may be appended now is the rule book's to say (422 refused,
/// 403 forbidden).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct NewEventBody {
    /// A UUID v7 the client makes: the key for safe retries.
    #[schema(value_type = String, format = Uuid, pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[78][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$")]
    pub id: String,
    /// The kind, lower snake case: `note`, `observation`, `theory`, ...
    #[schema(rename = "type", pattern = "^[a-z][a-z0-9_]{0,63}$", example = "note")]
    pub kind: String,
    /// When it happened, if not now; back-dating is normal.
    pub at: Option<DateTime<Utc>>,
    /// On a drill only: the scripted person whose act this is, shown in place of the
    /// author (who is still the token's handle, and whose role decides what is allowed).
    #[schema(pattern = "^[^\\s]{1,64}$", example = "ops1")]
    pub persona: Option<String>,
}

/// The fields of a `comms_sent` event (a status update), beside `id`, `type` and `at`.
/// With several `[comms] languages` on the server, an external update carries a version in
/// each: `text` in `lang`, the others in `versions` (422 when one is missing).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CommsSentFields {
    /// `internal` or `external`.
    #[schema(example = "external")]
    pub audience: String,
    /// The update, in `lang` when given.
    pub text: String,
    /// The checklist's rule ids, passed and failed.
    pub checklist: Option<ChecklistBody>,
    /// Why it was sent although checks failed.
    pub override_reason: Option<String>,
    /// When the next update is promised.
    pub next_update_due: Option<DateTime<Utc>>,
    /// The language `text` is written in, when the team writes in more than one.
    #[schema(pattern = "^(en|fr)$", example = "en")]
    pub lang: Option<String>,
    /// The same update in the other languages, each checked on its own; no language twice,
    /// none in `lang`.
    pub versions: Option<Vec<CommsVersionBody>>,
}

/// A checklist's result: the ids of the rules passed and failed.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ChecklistBody {
    pub passed: Vec<String>,
    pub failed: Vec<String>,
}

/// An update in another language.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CommsVersionBody {
    #[schema(pattern = "^(en|fr)$", example = "fr")]
    pub lang: String,
    pub text: String,
    pub checklist: Option<ChecklistBody>,
}

/// An event of an append, and whether it left its time to the server.
fn parse_new_event(
    incident: Uuid,
    n: usize,
    v: Value,
    now: DateTime<Utc>,
) -> Result<(NewEvent, bool), ApiError> {
    let what = format!("event {}", n + 1);
    let mut m = object(v, &what)?;
    let id = take_uuid(&mut m, "id", &what)?;
    if let Some(inc) = m.remove("incident").filter(|v| !v.is_null())
        && inc.as_str().and_then(|s| Uuid::parse_str(s).ok()) != Some(incident)
    {
        return Err(ApiError::invalid(format!(
            "{what}: `incident` {inc} is not the incident in the path ({incident})"
        )));
    }
    let given = take_time(&mut m, "at", &what)?;
    let timeless = given.is_none();
    let at = given.unwrap_or(now);
    // Set by the server, never trusted from a client.
    for key in ["author", "seq", "recorded_at"] {
        m.remove(key);
    }
    // A drill's scripted person; the rule book says whether the incident takes one.
    let persona = match m.remove("persona") {
        None | Some(Value::Null) => None,
        Some(Value::String(p)) => Some(p),
        Some(_) => {
            return Err(ApiError::invalid(format!(
                "{what}: `persona` must be a string (a drill's scripted handle)"
            )));
        }
    };
    let type_name = match m.remove("type") {
        Some(Value::String(t)) => t,
        Some(_) => {
            return Err(ApiError::invalid(format!(
                "{what}: `type` must be a string"
            )));
        }
        None => {
            return Err(ApiError::invalid(format!(
                "{what}: `type` is missing, e.g. \"note\""
            )));
        }
    };
    if type_name == "incident_declared" {
        return Err(ApiError::invalid(format!(
            "{what}: incidents are declared with POST /api/v1/incidents"
        )));
    }
    let kind = EventKind::from_parts(&type_name, m)
        .map_err(|e| ApiError::invalid(format!("{what}: {e}")))?;
    Ok((
        NewEvent {
            id,
            at,
            persona,
            kind,
        },
        timeless,
    ))
}

#[utoipa::path(
    post, path = "/api/v1/incidents/{id}/events", request_body = AppendRequest,
    params(("id" = String, Path, description = "incident UUID or short id")),
    responses(
        (status = 200, description = "every event is durable; each id with its seq", body = AppendResponse),
        (status = 400, description = "not JSON", body = ErrorBody),
        (status = 401, description = "no valid token", body = ErrorBody),
        (status = 403, description = "a read-only token, or an act the author's role does not allow", body = ErrorBody),
        (status = 404, description = "no such incident, or one the caller may not see", body = ErrorBody),
        (status = 409, description = "an event id already stored with other content", body = ErrorBody),
        (status = 413, description = "body over 1 MiB or more than 1000 events", body = ErrorBody),
        (status = 422, description = "invalid, or refused by the rule book", body = ErrorBody),
        (status = 503, description = "the database is unavailable", body = ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn append(
    State(state): State<AppState>,
    caller: Caller,
    Path(reference): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<AppendResponse>, ApiError> {
    caller.require_write()?;
    let bytes = body_bytes(body)?;
    let mut m = object(parse_json(&bytes)?, "the body")?;
    let list = match m.remove("events") {
        Some(Value::Array(list)) => list,
        _ => {
            return Err(ApiError::invalid(
                "the body must be `{ \"events\": [ ... ] }`",
            ));
        }
    };
    if list.is_empty() {
        return Err(ApiError::invalid("`events` is empty"));
    }
    if list.len() > MAX_BATCH {
        return Err(ApiError::too_large(format!(
            "{} events in one batch; send at most {MAX_BATCH}",
            list.len()
        )));
    }
    // A UUID goes straight to the store, which answers 404 for an unknown incident; only
    // a short id needs looking up first.
    let id = match Uuid::parse_str(&reference) {
        Ok(id) if id.is_nil() || id.is_max() => {
            return Err(ApiError::not_found(format!("no incident {id}")));
        }
        Ok(id) => id,
        Err(_) => find_incident(&state, &caller, &reference).await?.id,
    };
    let now = state.clock.now();
    let parsed = list
        .into_iter()
        .enumerate()
        .map(|(n, v)| parse_new_event(id, n, v, now))
        .collect::<Result<Vec<_>, _>>()?;
    // Events that left their time to the server keep the time they got the first time, so
    // sending one again is a retry, not a conflict.
    let timeless: Vec<Uuid> = parsed
        .iter()
        .filter(|(_, t)| *t)
        .map(|(e, _)| e.id)
        .collect();
    let first_times = if timeless.is_empty() {
        Default::default()
    } else {
        state.store.stored_times(&timeless).await?
    };
    let events: Vec<NewEvent> = parsed
        .into_iter()
        .map(|(mut e, _)| {
            if let Some(at) = first_times.get(&e.id) {
                e.at = *at;
            }
            e
        })
        .collect();
    // Every language this server publishes external updates in, in each one: checked only
    // where it fails, and then not for a retry of an update already stored (the languages
    // may have changed since) nor on a drill or a restricted incident, which no customer
    // reads.
    let short: Vec<(Uuid, String)> = events
        .iter()
        .filter_map(|e| {
            crate::domain::rules::check_languages(&e.kind, &state.languages)
                .err()
                .map(|r| (e.id, r.message))
        })
        .collect();
    if !short.is_empty() {
        let private = state
            .store
            .incident(id)
            .await?
            .is_some_and(|s| s.drill || s.restricted);
        let ids: Vec<Uuid> = short.iter().map(|(e, _)| *e).collect();
        let stored = state.store.stored_times(&ids).await?;
        if let Some((event, message)) = short
            .into_iter()
            .find(|(e, _)| !private && !stored.contains_key(e))
        {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "refused",
                format!("event {event}: {message}"),
            ));
        }
    }
    let pages = super::paging::check_append(&state, &events)?;
    let links = super::alerts::links_in(&events);
    let public = state
        .status
        .as_ref()
        .filter(|page| page.would_change(events.iter().map(|e| &e.kind)))
        .cloned();
    let accepted: Vec<Accepted> = state.store.append(id, &caller.handle, events).await?;
    if let Some(page) = public {
        page.changed();
    }
    super::alerts::link_all(&state, id, &links).await?;
    if pages {
        super::paging::settle_later(&state, id);
    }
    // The new events have contiguous seqs; retries in the batch keep their earlier ones.
    let fresh = accepted.iter().filter(|a| !a.duplicate).map(|a| a.seq);
    match (fresh.clone().min(), fresh.max()) {
        (Some(first), Some(last)) => state
            .wake
            .appended(state.store.clone(), id, first - 1, last),
        _ => {
            if let Some(last) = accepted.iter().map(|a| a.seq).max() {
                state.wake.notify(id, last);
            }
        }
    }
    Ok(Json(AppendResponse {
        accepted: accepted
            .into_iter()
            .map(|a| AcceptedEvent {
                id: a.id,
                seq: a.seq,
            })
            .collect(),
    }))
}

/// Who the token belongs to.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct Me {
    pub handle: String,
    pub read_only: bool,
}

#[utoipa::path(
    get, path = "/api/v1/me",
    responses((status = 200, body = Me), (status = 401, description = "no valid token", body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn me(caller: Caller) -> Json<Me> {
    Json(Me {
        handle: caller.handle,
        read_only: caller.read_only,
    })
}

pub async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint; see GET /api/v1/openapi.json")
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take that method; see GET /api/v1/openapi.json",
    )
}
