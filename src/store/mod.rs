//! Persistence behind one trait. SQLite is the embedded default (a solo console, a replica,
//! or a server on one machine); PostgreSQL serves teams that run several servers.

pub mod outbox;
pub mod postgres;
pub mod sqlite;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::event::{Event, EventKind};
use crate::domain::ids::matches_reference;
use crate::domain::incident::IncidentSummary;

pub use sqlite::SqliteStore;

/// An event as a client makes it: the store adds seq, recorded_at and author.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvent {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub kind: EventKind,
}

/// The answer to one appended event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    pub id: Uuid,
    pub seq: i64,
    /// The id was appended before; `seq` is the original one and nothing was written.
    #[serde(skip)]
    pub duplicate: bool,
}

/// A stored API token (the token itself is never stored, only its hash).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub handle: String,
    pub read_only: bool,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no incident {0}")]
    UnknownIncident(Uuid),
    /// The request is well-formed but cannot be applied (an id reused across incidents...).
    #[error("{0}")]
    Invalid(String),
    #[error("{path}: {message}")]
    Corrupt { path: String, message: String },
    #[error("{0}")]
    Unavailable(String),
}

impl StoreError {
    pub(crate) fn db(e: impl std::fmt::Display) -> Self {
        StoreError::Unavailable(format!("database error: {e}"))
    }
}

/// What every backend offers: an append-only, idempotent event log per incident.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Appends a batch atomically and durably: on `Ok`, every event survives a crash.
    /// An incident comes into being with its `incident_declared` event.
    /// Re-sending an id answers its original seq and writes nothing.
    async fn append(
        &self,
        incident: Uuid,
        author: &str,
        events: Vec<NewEvent>,
    ) -> Result<Vec<Accepted>, StoreError>;

    /// Events with seq > `after`, in seq order, at most `limit`.
    async fn events_after(
        &self,
        incident: Uuid,
        after: i64,
        limit: usize,
    ) -> Result<Vec<Event>, StoreError>;

    async fn incidents(&self) -> Result<Vec<IncidentSummary>, StoreError>;

    async fn incident(&self, id: Uuid) -> Result<Option<IncidentSummary>, StoreError>;

    async fn add_token(&self, handle: &str, hash: &str, read_only: bool) -> Result<(), StoreError>;

    /// The live (not revoked) token with this hash.
    async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenInfo>, StoreError>;

    async fn tokens(&self) -> Result<Vec<TokenInfo>, StoreError>;

    /// Revokes every live token of `handle`; answers how many.
    async fn revoke_tokens(&self, handle: &str) -> Result<usize, StoreError>;

    /// Calls `hook(incident, seq)` for appends made by *other* processes sharing this store
    /// (PostgreSQL LISTEN/NOTIFY). A store only one process writes needs nothing.
    async fn listen_for_appends(&self, hook: AppendHook) -> Result<(), StoreError> {
        let _ = hook;
        Ok(())
    }

    /// A short name of the backend for logs and start-up lines.
    fn describe(&self) -> String;
}

/// Told of each append: the incident and its newest seq. The nil id means "anything may
/// have changed" (after a lost connection), and every waiter should read again.
pub type AppendHook = std::sync::Arc<dyn Fn(Uuid, i64) + Send + Sync>;

/// Why a reference to an incident named none or several.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ResolveError {
    #[error("no incident matches `{0}` (see `warroom incidents`)")]
    NotFound(String),
    #[error("`{reference}` matches {} incidents: {}; type more of the id", .matches.len(), .matches.join(", "))]
    Ambiguous {
        reference: String,
        matches: Vec<String>,
    },
}

/// Finds the one incident that `reference` (short id, UUID, or a prefix) names.
pub fn resolve<'a>(
    incidents: &'a [IncidentSummary],
    reference: &str,
) -> Result<&'a IncidentSummary, ResolveError> {
    let exact: Vec<&IncidentSummary> = incidents
        .iter()
        .filter(|i| i.short_id == reference.trim().to_ascii_lowercase())
        .collect();
    let found: Vec<&IncidentSummary> = if exact.len() == 1 {
        exact
    } else {
        incidents
            .iter()
            .filter(|i| matches_reference(&i.id, &i.short_id, reference))
            .collect()
    };
    match found.as_slice() {
        [one] => Ok(one),
        [] => Err(ResolveError::NotFound(reference.to_string())),
        many => Err(ResolveError::Ambiguous {
            reference: reference.to_string(),
            matches: many
                .iter()
                .map(|i| format!("{} ({}, \"{}\")", i.short_id, i.id, i.title))
                .collect(),
        }),
    }
}

/// What an append will write, decided the same way by every backend: which events are
/// retries of earlier ones (answered with their original seq), which get the next seqs,
/// and the summary after them. `prior` maps already-stored event ids to (incident, seq).
pub struct AppendPlan {
    pub accepted: Vec<Accepted>,
    pub to_insert: Vec<Event>,
    pub summary: IncidentSummary,
}

pub fn plan_append(
    incident: Uuid,
    mut summary: IncidentSummary,
    author: &str,
    events: &[NewEvent],
    prior: &std::collections::HashMap<Uuid, (Uuid, i64)>,
    now: DateTime<Utc>,
) -> Result<AppendPlan, StoreError> {
    // Stored times keep microseconds; the summary must agree with the stored events.
    let now = crate::domain::event::truncate_micros(now);
    let mut accepted = Vec::with_capacity(events.len());
    let mut to_insert: Vec<Event> = Vec::with_capacity(events.len());
    for ev in events {
        if let Some((other, seq)) = prior.get(&ev.id) {
            if *other != incident {
                return Err(StoreError::Invalid(format!(
                    "event id {} is already used on another incident",
                    ev.id
                )));
            }
            accepted.push(Accepted {
                id: ev.id,
                seq: *seq,
                duplicate: true,
            });
            continue;
        }
        if let Some(earlier) = to_insert.iter().find(|e| e.id == ev.id) {
            let seq = earlier.seq.unwrap_or_default();
            accepted.push(Accepted {
                id: ev.id,
                seq,
                duplicate: true,
            });
            continue;
        }
        let declares = matches!(ev.kind, EventKind::IncidentDeclared { .. });
        let declared = summary.declared_at.is_some();
        if declares && declared {
            return Err(StoreError::Invalid(format!(
                "incident {incident} is already declared"
            )));
        }
        if !declares && !declared {
            return Err(StoreError::UnknownIncident(incident));
        }
        let event = Event {
            id: ev.id,
            incident,
            seq: Some(summary.last_seq + 1),
            at: ev.at,
            recorded_at: Some(now),
            author: author.to_string(),
            kind: ev.kind.clone(),
        };
        summary.apply(&event);
        accepted.push(Accepted {
            id: ev.id,
            seq: summary.last_seq,
            duplicate: false,
        });
        to_insert.push(event);
    }
    Ok(AppendPlan {
        accepted,
        to_insert,
        summary,
    })
}

/// SHA-256 of an API token, hex: what the token table stores.
pub fn hash_token(token: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Opens the store a `--db` argument names: `postgres://...` (or `postgresql://`) is
/// PostgreSQL; a path or `sqlite:PATH` is a SQLite file.
pub async fn open(
    spec: &str,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
) -> Result<std::sync::Arc<dyn Store>, StoreError> {
    if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
        Ok(std::sync::Arc::new(
            postgres::PgStore::connect(spec, clock).await?,
        ))
    } else {
        let path = spec
            .strip_prefix("sqlite://")
            .or_else(|| spec.strip_prefix("sqlite:"))
            .unwrap_or(spec);
        if path.trim().is_empty() {
            return Err(StoreError::Unavailable("--db names no file".into()));
        }
        Ok(std::sync::Arc::new(SqliteStore::open(path, clock)?))
    }
}
