//! Persistence behind one trait. SQLite is the embedded default (a solo console, a replica,
//! or a server on one machine); PostgreSQL serves teams that run several servers.

pub mod alerts;
pub mod outbox;
pub mod postgres;
pub mod snapshot;
pub mod sqlite;
pub mod sqlite_log;
mod sqlite_writer;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::event::{Event, EventKind};
use crate::domain::ids::matches_reference;
use crate::domain::incident::{Incident, IncidentSummary};
use crate::domain::rules::{self, Refusal, Rules};

pub use sqlite::SqliteStore;

/// An event as a client makes it: the store adds seq, recorded_at and author.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvent {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    /// The drill persona the event is recorded for (see [`Event::persona`]).
    pub persona: Option<String>,
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
    /// The rule book refused an event of the batch; nothing of the batch was stored.
    #[error("event {event}: {refusal}")]
    Refused { event: Uuid, refusal: Refusal },
    /// An event id already stored with other content; nothing of the batch was stored.
    #[error(
        "event {event} is already recorded as #{seq} with other content ({what}); a retry must send exactly the same event, a new event needs a new id"
    )]
    Conflict { event: Uuid, seq: i64, what: String },
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

    /// When each of these already-stored events happened (a retry that left its time to
    /// the server is answered as the original).
    async fn stored_times(
        &self,
        ids: &[Uuid],
    ) -> Result<std::collections::HashMap<Uuid, DateTime<Utc>>, StoreError>;

    /// The incident's folded state as of its newest stored event, with its digest; `None`
    /// for an incident with no stored event. The backends keep it in memory between calls
    /// and catch it up from the log, or start from the latest snapshot (`snapshot.rs`);
    /// this default folds the whole log.
    async fn state(&self, incident: Uuid) -> Result<Option<CurrentState>, StoreError> {
        let events = self.events_after(incident, 0, usize::MAX).await?;
        if events.is_empty() {
            return Ok(None);
        }
        let state = Incident::fold(incident, &events);
        Ok(Some(CurrentState {
            digest: state.digest(),
            state: std::sync::Arc::new(state),
        }))
    }

    /// Whether the database answers a trivial query now (for `/readyz`).
    async fn ready(&self) -> Result<(), StoreError>;

    /// A short name of the backend for logs and start-up lines.
    fn describe(&self) -> String;

    /// Where the server keeps alerts from monitoring (`store/alerts.rs`); `None` for a
    /// store that keeps none, whose server then answers the alert endpoints 503.
    fn alert_store(&self) -> Option<&dyn alerts::AlertStore> {
        None
    }
}

/// An incident's folded state and the digest of it (see [`Store::state`]).
#[derive(Clone, Debug)]
pub struct CurrentState {
    pub state: std::sync::Arc<Incident>,
    /// [`Incident::digest`] of `state`.
    pub digest: String,
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
/// retries of earlier ones (answered with their original seq), which get the next seqs, and
/// the state after them. Every new event is judged by the rule book against the state it
/// meets, so a batch is stored whole or not at all. `prior` maps already-stored event ids
/// to the event stored under them; `stored` finds an already-stored event of this incident
/// by id (the target of a redaction). Re-sending an event exactly answers its original seq;
/// the same id with other content is a conflict.
pub struct AppendPlan {
    pub accepted: Vec<Accepted>,
    pub to_insert: Vec<Event>,
    /// Redactions in this batch: each target event as it was, with its scrubbed kind.
    pub scrub: Vec<(Event, EventKind)>,
}

#[allow(clippy::too_many_arguments)]
pub fn plan_append(
    incident: Uuid,
    state: &mut Incident,
    author: &str,
    events: &[NewEvent],
    prior: &std::collections::HashMap<Uuid, Event>,
    now: DateTime<Utc>,
    rules: &Rules,
    stored: &mut dyn FnMut(Uuid) -> Result<Option<Event>, StoreError>,
) -> Result<AppendPlan, StoreError> {
    // Stored times keep microseconds; the summary must agree with the stored events.
    let now = crate::domain::event::truncate_micros(now);
    let mut accepted = Vec::with_capacity(events.len());
    let mut to_insert: Vec<Event> = Vec::with_capacity(events.len());
    let mut scrub = Vec::new();
    // To whoever may not see a restricted incident it does not exist: not even a retry of
    // an event they sent while they were a member is answered.
    if state.summary.declared_at.is_some()
        && !state.summary.can_see(author)
        && let Some(first) = events.first()
    {
        return Err(StoreError::Refused {
            event: first.id,
            refusal: Refusal::hidden(incident),
        });
    }
    for ev in events {
        if let Some(earlier) = prior.get(&ev.id) {
            let seq = earlier.seq.unwrap_or_default();
            if let Some(what) = difference(earlier, incident, author, ev) {
                return Err(StoreError::Conflict {
                    event: ev.id,
                    seq,
                    what,
                });
            }
            accepted.push(Accepted {
                id: ev.id,
                seq,
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
        let declared = state.summary.declared_at.is_some();
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
            seq: Some(state.summary.last_seq + 1),
            // As stored, so the state kept is the fold of the stored log.
            at: crate::domain::event::truncate_micros(ev.at),
            recorded_at: Some(now),
            author: author.to_string(),
            persona: ev.persona.clone(),
            kind: ev.kind.clone(),
        };
        let refuse = |refusal: Refusal| StoreError::Refused {
            event: ev.id,
            refusal,
        };
        rules::check(state, &event, author, rules).map_err(refuse)?;
        if let Some(target) = event.kind.refers_to() {
            let found = match to_insert.iter().find(|e| e.id == target) {
                Some(e) => Some(e.clone()),
                None => stored(target)?,
            };
            rules::check_target(state, &event, author, target, found.as_ref()).map_err(refuse)?;
            if let EventKind::EventRedacted { .. } = &event.kind
                && let Some(found) = found
                && let Some(clean) = found.kind.scrubbed()
            {
                scrub.push((found, clean));
            }
        }
        state.apply(&event);
        accepted.push(Accepted {
            id: ev.id,
            seq: state.summary.last_seq,
            duplicate: false,
        });
        to_insert.push(event);
    }
    // A target redacted in the same batch that wrote it is stored scrubbed at once.
    for (target, clean) in &scrub {
        if let Some(e) = to_insert.iter_mut().find(|e| e.id == target.id) {
            e.kind = clean.clone();
        }
    }
    Ok(AppendPlan {
        accepted,
        to_insert,
        scrub,
    })
}

/// How a re-sent event differs from the one stored under its id, if it does. A retry of an
/// event redacted since is the same event.
fn difference(stored: &Event, incident: Uuid, author: &str, new: &NewEvent) -> Option<String> {
    if stored.incident != incident {
        return Some("on another incident".into());
    }
    if stored.author != author {
        return Some(format!("by {}", stored.author));
    }
    if stored.kind.type_name() != new.kind.type_name() {
        return Some(format!("a {}", stored.kind.type_name()));
    }
    if stored.persona != new.persona {
        return Some(match &stored.persona {
            Some(p) => format!("for the persona {p}"),
            None => "without a persona".into(),
        });
    }
    if stored.at != crate::domain::event::truncate_micros(new.at) {
        return Some(format!(
            "dated {}",
            crate::domain::event::format_time(stored.at)
        ));
    }
    let same = stored.kind == new.kind || new.kind.scrubbed().as_ref() == Some(&stored.kind);
    (!same).then(|| "other fields".to_string())
}

/// Each incident's folded state as of its newest stored event, kept between appends so the
/// rule book can judge an append without replaying the whole log. An entry is trusted only
/// while the stored log still ends where it does (same seq, same event id); otherwise the
/// backend catches up from the log.
#[derive(Default)]
pub struct Folds {
    map: std::sync::Mutex<std::collections::HashMap<Uuid, Folded>>,
}

/// A folded state and the id of the last event folded into it. The state is shared with
/// readers serving it (`Store::state`); an append changes its own copy if one is still
/// reading (`Arc::make_mut`).
pub struct Folded {
    pub state: std::sync::Arc<Incident>,
    pub last_id: Option<Uuid>,
    /// The seq of the stored snapshot this state was resumed from or last saved as (0:
    /// none), to know when the next one is due.
    pub snapshot_seq: i64,
}

impl Folded {
    pub fn new(state: Incident, last_id: Option<Uuid>) -> Folded {
        Folded {
            state: std::sync::Arc::new(state),
            last_id,
            snapshot_seq: 0,
        }
    }

    pub fn seq(&self) -> i64 {
        self.state.summary.last_seq
    }
}

/// What a store judges appends with: the rule book's settings and the kept states.
#[derive(Default)]
pub struct Judge {
    pub rules: Rules,
    pub folds: Folds,
}

impl Judge {
    pub fn new(rules: Rules) -> std::sync::Arc<Judge> {
        std::sync::Arc::new(Judge {
            rules,
            folds: Folds::default(),
        })
    }
}

/// How many incidents' states are kept; beyond it the least recently used go.
const FOLDS_KEPT: usize = 256;

impl Folds {
    /// Takes the kept state of `incident` out, if any (an append owns it until it puts it back).
    pub fn take(&self, incident: Uuid) -> Option<Folded> {
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&incident)
    }

    pub fn put(&self, folded: Folded) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= FOLDS_KEPT {
            // Forget the incident that changed longest ago.
            if let Some(oldest) = map
                .iter()
                .min_by_key(|(_, f)| f.state.summary.updated_at)
                .map(|(id, _)| *id)
            {
                map.remove(&oldest);
            }
        }
        map.insert(folded.state.id(), folded);
    }

    pub fn forget(&self, incident: Uuid) {
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&incident);
    }

    /// Puts `folded` back unless a state of the same incident at least as new is kept (a
    /// reader offering what it folded, while an append may have put a newer one).
    pub fn offer(&self, folded: Folded) {
        let newer_kept = self
            .map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&folded.state.id())
            .is_some_and(|k| k.seq() >= folded.seq());
        if !newer_kept {
            self.put(folded);
        }
    }

    /// What is kept of `incident`, against the stored log's newest seq and event id.
    pub fn look(&self, incident: Uuid, seq: i64, last_id: Option<Uuid>) -> Look {
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        match map.get(&incident) {
            Some(k) if k.seq() == seq && k.last_id == last_id => Look::Current {
                state: k.state.clone(),
            },
            Some(k) if k.seq() < seq => Look::Behind {
                seq: k.seq(),
                last_id: k.last_id,
            },
            _ => Look::Missing,
        }
    }

    /// Folds `tail` (the stored events after `seq`, whose event is `last_id`) into the kept
    /// state of `incident` if it is still at that seq; answers whether it was. A tail
    /// holding a redaction changed earlier events: the kept state is forgotten instead,
    /// to be folded again from the scrubbed log.
    pub fn advance(&self, incident: Uuid, seq: i64, last_id: Option<Uuid>, tail: &[Event]) -> bool {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let Some(kept) = map.get_mut(&incident) else {
            return false;
        };
        if kept.seq() != seq || kept.last_id != last_id {
            return false;
        }
        if snapshot::scrubs(tail) {
            map.remove(&incident);
            return false;
        }
        catch_up(kept, tail);
        true
    }

    /// Whether a state of `incident` older than `seq` is kept (told of an append made by
    /// another instance).
    pub fn behind(&self, incident: Uuid, seq: i64) -> bool {
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&incident)
            .is_some_and(|k| k.seq() < seq)
    }
}

/// What [`Folds::look`] found.
pub enum Look {
    /// The kept state is the stored log's: served as it is.
    Current { state: std::sync::Arc<Incident> },
    /// A state of an older seq is kept: the events after it are to be folded in.
    Behind { seq: i64, last_id: Option<Uuid> },
    /// Nothing usable is kept (none, or one ahead of what was read of the log).
    Missing,
}

/// Whether a kept state can be caught up to the stored log: it must not be ahead of it,
/// and the stored event at its last seq must be the one it folded last.
pub fn kept_state_holds(kept: &Folded, stored_last_seq: i64, id_at_kept_seq: Option<Uuid>) -> bool {
    let seq = kept.state.summary.last_seq;
    seq <= stored_last_seq && (seq == 0 || id_at_kept_seq == kept.last_id)
}

/// The state to judge an append with: the kept one when it still fits the stored log
/// (`id_at_kept_seq` is the stored event id at the kept state's last seq), else a fresh
/// one. The caller folds in the tail after its last seq.
pub fn resume(
    incident: Uuid,
    kept: Option<Folded>,
    stored_last_seq: i64,
    id_at_kept_seq: Option<Uuid>,
) -> Folded {
    kept.filter(|k| kept_state_holds(k, stored_last_seq, id_at_kept_seq))
        .unwrap_or_else(|| Folded::new(Incident::new(incident), None))
}

/// Judges and plans an append on `folded`. A refused batch leaves the kept state as it
/// was (events before the refused one were folded into it) and puts it back.
#[allow(clippy::too_many_arguments)]
pub fn plan_on(
    judge: &Judge,
    mut folded: Folded,
    incident: Uuid,
    author: &str,
    events: &[NewEvent],
    prior: &std::collections::HashMap<Uuid, Event>,
    now: DateTime<Utc>,
    stored: &mut dyn FnMut(Uuid) -> Result<Option<Event>, StoreError>,
) -> Result<(AppendPlan, Folded), StoreError> {
    let backup = (events.len() > 1).then(|| folded.state.clone());
    match plan_append(
        incident,
        std::sync::Arc::make_mut(&mut folded.state),
        author,
        events,
        prior,
        now,
        &judge.rules,
        stored,
    ) {
        Ok(plan) => Ok((plan, folded)),
        Err(e) => {
            if let Some(state) = backup {
                folded.state = state;
            }
            judge.folds.put(folded);
            Err(e)
        }
    }
}

/// Folds `tail` (events after the kept state's last seq) into it.
pub fn catch_up(kept: &mut Folded, tail: &[Event]) {
    if tail.is_empty() {
        return;
    }
    let state = std::sync::Arc::make_mut(&mut kept.state);
    for e in tail {
        state.apply(e);
        kept.last_id = Some(e.id);
    }
}

/// The words a redaction removes from `original` (every string in it that its scrubbed
/// form no longer holds), longest first: what must also leave drafts and reports on disk.
pub fn removed_texts(original: &EventKind, clean: &EventKind) -> Vec<String> {
    fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
            serde_json::Value::Object(m) => m.values().for_each(|x| strings(x, out)),
            _ => {}
        }
    }
    let (mut before, mut after) = (Vec::new(), Vec::new());
    strings(&serde_json::Value::Object(original.fields()), &mut before);
    strings(&serde_json::Value::Object(clean.fields()), &mut after);
    let mut gone: Vec<String> = Vec::new();
    for s in before {
        if s.trim().is_empty() || after.contains(&s) {
            continue;
        }
        // The whole text, and each of its lines (a draft may quote one line of a note).
        for piece in std::iter::once(s.trim()).chain(s.lines().map(str::trim)) {
            if piece.chars().count() >= 4 && !gone.iter().any(|g| g == piece) {
                gone.push(piece.to_string());
            }
        }
    }
    gone.sort_by_key(|s| std::cmp::Reverse(s.len()));
    gone
}

/// Replaces every removed text in the files directly under `dirs` (drafts, rendered
/// postmortems) with a mark, each file rewritten whole.
pub fn scrub_files(dirs: &[std::path::PathBuf], texts: &[String]) {
    if texts.is_empty() {
        return;
    }
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if !path.is_file() {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let mut clean = text.clone();
            for t in texts {
                clean = clean.replace(t.as_str(), "[redacted]");
            }
            if clean != text
                && let Err(e) = crate::files::replace_private(&path, clean.as_bytes())
            {
                tracing::warn!("cannot scrub {}: {e}", path.display());
            }
        }
    }
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
    rules: Rules,
) -> Result<std::sync::Arc<dyn Store>, StoreError> {
    if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
        Ok(std::sync::Arc::new(
            postgres::PgStore::connect(spec, clock, rules).await?,
        ))
    } else {
        let path = spec
            .strip_prefix("sqlite://")
            .or_else(|| spec.strip_prefix("sqlite:"))
            .unwrap_or(spec);
        if path.trim().is_empty() {
            return Err(StoreError::Unavailable("--db names no file".into()));
        }
        let store = SqliteStore::open_with_rules(path, clock, rules)?;
        if !store.quick_check(std::time::Duration::from_secs(2))? {
            tracing::warn!(
                "the integrity check of {path} did not finish within 2 s; it was skipped"
            );
        }
        Ok(std::sync::Arc::new(store))
    }
}
