//! The client side: a local replica with its outbox. Every change a console or the CLI
//! makes goes through [`Replica::record`]: checked against the current state, written to
//! the outbox durably, then confirmed (in solo mode by the replica itself).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

pub mod engine;
pub mod remote;

use crate::clock::Clock;
use crate::domain::event::{Event, EventKind, Severity};
use crate::domain::incident::{Incident, IncidentSummary};
pub use crate::store::outbox::Pending;
use crate::store::{NewEvent, ResolveError, SqliteStore, StoreError, resolve};
use engine::{Link, LinkStatus, SyncError, Syncer};
use remote::{Remote, RemoteError};

#[derive(Debug, thiserror::Error)]
pub enum ReplicaError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// The change breaks a rule of the workflow; nothing was written.
    #[error("{0}")]
    Refused(String),
    #[error("sync failed: {0}")]
    Sync(String),
}

/// What became of a recorded change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// Confirmed with this seq.
    Confirmed(i64),
    /// Waiting in the outbox for the server.
    Pending,
    /// Refused by the source of truth; kept in the outbox with the reason.
    Rejected(String),
}

impl ReplicaError {
    pub fn is_refusal(&self) -> bool {
        matches!(self, ReplicaError::Refused(_))
    }
}

/// An incident as a console sees it: confirmed log plus this replica's pending changes.
pub struct View {
    pub state: Incident,
    pub confirmed: Vec<Event>,
    pub pending: Vec<Pending>,
}

impl View {
    /// The log as the state was folded from it: confirmed events, then pending ones that
    /// were not refused.
    pub fn events(&self) -> Vec<Event> {
        let mut all = self.confirmed.clone();
        all.extend(
            self.pending
                .iter()
                .filter(|p| p.rejected.is_none())
                .map(|p| p.event.clone()),
        );
        all
    }
}

/// An incident's state as a console sees it, without its log (see [`Replica::current`]).
pub struct Current {
    pub state: Incident,
    /// The newest confirmed seq: how many events the replica holds.
    pub last_seq: i64,
    pub pending: Vec<Pending>,
}

/// Acknowledged changes not yet pulled are applied too, once: pulling removes them.
fn apply_pending(state: &mut Incident, pending: &[Pending]) {
    for p in pending.iter().filter(|p| p.rejected.is_none()) {
        state.apply(&p.event);
    }
}

/// How a shared replica reaches its server from synchronous code (the CLI).
struct Shared {
    syncer: Syncer,
    runtime: tokio::runtime::Runtime,
}

/// How a recorded change gets confirmed.
enum Settle {
    /// This replica is the source of truth.
    Solo,
    /// The CLI: push now, within its patience.
    Now(Box<Shared>),
    /// The console: wake the background syncer and return at once.
    Background(Arc<tokio::sync::Notify>),
}

pub struct Replica {
    store: SqliteStore,
    /// Who this replica's changes are by; in shared mode, the token's handle once known.
    handle: std::sync::RwLock<String>,
    clock: Arc<dyn Clock>,
    settle: Settle,
}

/// The token's handle: remembered from the first time the server answered; until then,
/// asked (briefly), and failing that, the local name.
async fn learn_handle(
    store: &SqliteStore,
    remote: &Remote,
    token: &str,
    fallback: &str,
) -> Result<(String, bool), ReplicaError> {
    let key = format!("handle:{}", crate::store::hash_token(token));
    if let Some(h) = store.sync_value(&key)? {
        return Ok((h, true));
    }
    match tokio::time::timeout(CLI_TIMEOUT, remote.whoami()).await {
        Ok(Ok(h)) => {
            store.set_sync_value(&key, h.clone()).await?;
            Ok((h, true))
        }
        Ok(Err(e @ (RemoteError::Unauthorized(_) | RemoteError::Incompatible(_)))) => {
            Err(ReplicaError::Refused(e.to_string()))
        }
        // Offline on first use: work under the local name until the server answers.
        _ => Ok((fallback.to_string(), false)),
    }
}

/// Asks the server who the token is until it answers, remembers it, and tells `done`.
/// For a console that started offline on first use.
pub async fn relearn_handle(
    replica: std::sync::Arc<Replica>,
    remote: Remote,
    token: String,
    done: impl FnOnce(String),
) {
    let mut failures = 0;
    loop {
        match remote.whoami().await {
            Ok(h) => {
                let key = format!("handle:{}", crate::store::hash_token(&token));
                let _ = replica.store.set_sync_value(&key, h.clone()).await;
                replica.set_handle(&h);
                done(h);
                return;
            }
            Err(RemoteError::Unauthorized(_) | RemoteError::Incompatible(_)) => return,
            Err(_) => {
                failures += 1;
                tokio::time::sleep(engine::backoff(failures)).await;
            }
        }
    }
}

/// A redaction reaching this replica also scrubs the drafts and rendered postmortems kept
/// in its data directory.
fn scrub_beside(store: &SqliteStore, data_dir: &Path) {
    store.scrub_files_in(vec![data_dir.join("drafts"), data_dir.join("postmortems")]);
}

/// The solo replica's file inside a data directory.
pub fn solo_path(data_dir: &Path) -> PathBuf {
    data_dir.join("solo.db")
}

/// The replica of one server: one file per server URL.
pub fn shared_path(data_dir: &Path, server: &str) -> PathBuf {
    use sha2::{Digest, Sha256};
    let url = server.trim().trim_end_matches('/');
    let readable: String = url
        .split("://")
        .last()
        .unwrap_or(url)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(48)
        .collect();
    let hash = hex::encode(&Sha256::digest(url.as_bytes())[..4]);
    data_dir
        .join("replicas")
        .join(format!("{readable}-{hash}.db"))
}

/// How long a CLI command waits for the server before leaving its change pending.
const CLI_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

impl Replica {
    /// Opens the solo replica in `data_dir`, creating it if needed.
    pub fn open_solo(
        data_dir: &Path,
        handle: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ReplicaError> {
        let store = SqliteStore::open(solo_path(data_dir), clock.clone())?;
        scrub_beside(&store, data_dir);
        let replica = Replica {
            store,
            handle: std::sync::RwLock::new(handle.to_string()),
            clock,
            settle: Settle::Solo,
        };
        // Changes a crash left between outbox and log are confirmed now.
        replica.store.confirm_outbox_locally()?;
        Ok(replica)
    }

    /// Opens the replica of `server`. Reaches the server only to learn the token's handle
    /// the first time; after that it opens offline too.
    pub fn open_shared(
        data_dir: &Path,
        server: &str,
        token: &str,
        fallback_handle: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ReplicaError> {
        let remote =
            Remote::new(server, token).map_err(|e| ReplicaError::Refused(e.to_string()))?;
        let store = SqliteStore::open(shared_path(data_dir, server), clock.clone())?;
        scrub_beside(&store, data_dir);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ReplicaError::Refused(format!("cannot start the network runtime: {e}")))?;
        let (handle, _) =
            runtime.block_on(learn_handle(&store, &remote, token, fallback_handle))?;
        let syncer = Syncer::new(store.clone(), remote, clock.clone());
        Ok(Replica {
            store,
            handle: std::sync::RwLock::new(handle),
            clock,
            settle: Settle::Now(Box::new(Shared { syncer, runtime })),
        })
    }

    /// The console's replica of `server`: changes are confirmed by the returned syncer,
    /// which the console runs in the background.
    pub async fn open_shared_background(
        data_dir: &Path,
        server: &str,
        token: &str,
        fallback_handle: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<(Self, Arc<Syncer>, Arc<tokio::sync::Notify>, bool), ReplicaError> {
        let remote =
            Remote::new(server, token).map_err(|e| ReplicaError::Refused(e.to_string()))?;
        let store = SqliteStore::open(shared_path(data_dir, server), clock.clone())?;
        scrub_beside(&store, data_dir);
        let (handle, learned) = learn_handle(&store, &remote, token, fallback_handle).await?;
        let kick = Arc::new(tokio::sync::Notify::new());
        let syncer = Arc::new(Syncer::new(store.clone(), remote, clock.clone()));
        let replica = Replica {
            store,
            handle: std::sync::RwLock::new(handle),
            clock,
            settle: Settle::Background(kick.clone()),
        };
        Ok((replica, syncer, kick, learned))
    }

    fn shared(&self) -> Option<&Shared> {
        match &self.settle {
            Settle::Now(shared) => Some(shared),
            _ => None,
        }
    }

    pub fn is_shared(&self) -> bool {
        !matches!(self.settle, Settle::Solo)
    }

    /// Pushes and pulls once (shared mode), within the CLI's patience.
    pub fn sync(&self) -> Result<engine::Pushed, ReplicaError> {
        let Some(shared) = self.shared() else {
            return Ok(engine::Pushed::default());
        };
        shared
            .runtime
            .block_on(async {
                tokio::time::timeout(CLI_TIMEOUT * 6, shared.syncer.sync_once())
                    .await
                    .unwrap_or_else(|_| {
                        Err(SyncError::Remote(RemoteError::Offline("timed out".into())))
                    })
            })
            .map_err(|e| ReplicaError::Sync(e.to_string()))
    }

    /// Tries a quick sync so reads are fresh; offline, says so and reads the replica.
    pub fn refresh(&self) -> Option<String> {
        let shared = self.shared()?;
        let result = shared.runtime.block_on(async {
            tokio::time::timeout(CLI_TIMEOUT, shared.syncer.sync_once())
                .await
                .unwrap_or_else(|_| {
                    Err(SyncError::Remote(RemoteError::Offline("timed out".into())))
                })
        });
        match result {
            Ok(_) => None,
            Err(e) => Some(format!("{e}; showing this machine's copy")),
        }
    }

    pub fn link_status(&self, link: Link) -> Result<LinkStatus, ReplicaError> {
        match self.shared() {
            None => Ok(LinkStatus::solo()),
            Some(shared) => shared
                .runtime
                .block_on(shared.syncer.status(link))
                .map_err(|e| ReplicaError::Sync(e.to_string())),
        }
    }

    pub fn handle(&self) -> String {
        self.handle
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The token's handle, learned after the replica opened.
    pub fn set_handle(&self, handle: &str) {
        *self.handle.write().unwrap_or_else(|e| e.into_inner()) = handle.to_string();
    }

    pub fn store(&self) -> &SqliteStore {
        &self.store
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Confirmed incidents and, in shared mode, ones declared here and not yet delivered.
    pub fn incidents(&self) -> Result<Vec<IncidentSummary>, ReplicaError> {
        let mut all = self.store.incidents_blocking()?;
        let pending = self.store.outbox(None)?;
        for p in &pending {
            if matches!(p.event.kind, EventKind::IncidentDeclared { .. })
                && p.rejected.is_none()
                && !all.iter().any(|i| i.id == p.event.incident)
            {
                let mut s = IncidentSummary::new(p.event.incident);
                for q in pending
                    .iter()
                    .filter(|q| q.event.incident == p.event.incident)
                {
                    s.apply(&q.event);
                }
                all.insert(0, s);
            }
        }
        all.retain(|i| !crate::domain::kedb::is_kedb(i.id));
        Ok(all)
    }

    /// The one incident `reference` names: short id, UUID, or a unique prefix of either.
    pub fn resolve(&self, reference: &str) -> Result<IncidentSummary, ReplicaError> {
        let all = self.incidents()?;
        Ok(resolve(&all, reference)?.clone())
    }

    /// The incident with its whole log. The state is folded from the latest snapshot and
    /// the events after it; [`Replica::current`] reads no more of the log than that.
    pub fn view(&self, incident: Uuid) -> Result<View, ReplicaError> {
        let (confirmed, mut state) = self.store.log_and_state(incident)?;
        let pending = self.store.outbox(Some(incident))?;
        apply_pending(&mut state, &pending);
        Ok(View {
            state,
            confirmed,
            pending,
        })
    }

    /// The incident's state (confirmed, then this replica's pending changes) without its
    /// log: from the state kept since the last call, or the latest snapshot, and the
    /// events after it. What `show` and most verbs need.
    pub fn current(&self, incident: Uuid) -> Result<Current, ReplicaError> {
        let confirmed = self.store.folded_blocking(incident)?;
        let pending = self.store.outbox(Some(incident))?;
        let last_seq = confirmed.summary.last_seq;
        let mut state = Arc::unwrap_or_clone(confirmed);
        apply_pending(&mut state, &pending);
        Ok(Current {
            state,
            last_seq,
            pending,
        })
    }

    /// The incident's confirmed state, at least its latest `rows` confirmed events, and
    /// its pending changes: what the console shows first, before the rest of the log.
    pub fn recent(
        &self,
        incident: Uuid,
        rows: usize,
    ) -> Result<(crate::store::snapshot::Recent, Vec<Pending>), ReplicaError> {
        let recent = self.store.recent(incident, rows)?;
        let pending = self.store.outbox(Some(incident))?;
        Ok((recent, pending))
    }

    /// Declares a new incident with this replica's handle as its commander.
    pub fn declare(
        &self,
        title: &str,
        severity: Severity,
        summary: &str,
        started_at: Option<DateTime<Utc>>,
        drill: bool,
        restricted: bool,
    ) -> Result<(IncidentSummary, Recorded), ReplicaError> {
        self.declare_with(
            title,
            severity,
            summary,
            started_at,
            drill,
            restricted,
            Vec::new(),
        )
    }

    /// As [`Replica::declare`], recording `then` right after the declaration, in the same
    /// batch (declaring from an alert: its detection time and the link).
    #[allow(clippy::too_many_arguments)]
    pub fn declare_with(
        &self,
        title: &str,
        severity: Severity,
        summary: &str,
        started_at: Option<DateTime<Utc>>,
        drill: bool,
        restricted: bool,
        then: Vec<(DateTime<Utc>, EventKind)>,
    ) -> Result<(IncidentSummary, Recorded), ReplicaError> {
        let id = Uuid::now_v7();
        let now = self.now();
        let mut kinds = vec![(
            now,
            EventKind::IncidentDeclared {
                title: title.trim().to_string(),
                severity,
                summary: summary.trim().to_string(),
                drill,
                restricted,
            },
        )];
        if let Some(start) = started_at {
            if start > now {
                return Err(ReplicaError::Refused(
                    "start of impact cannot be in the future".into(),
                ));
            }
            kinds.push((start, EventKind::ImpactStarted {}));
        }
        kinds.extend(then);
        let outcome = self.record_with_ids(id, self.handle(), kinds, Some(id))?;
        let summary = self
            .incidents()?
            .into_iter()
            .find(|i| i.id == id)
            .unwrap_or_else(|| IncidentSummary::new(id));
        Ok((summary, outcome))
    }

    /// Records changes by this replica's responder, each checked against the state first.
    pub fn record(
        &self,
        incident: Uuid,
        kinds: Vec<(DateTime<Utc>, EventKind)>,
    ) -> Result<Recorded, ReplicaError> {
        self.record_with_ids(incident, self.handle(), kinds, None)
    }

    /// As [`Replica::record`], with a given author (seeding a demo or a drill in solo mode).
    pub fn record_as(
        &self,
        incident: Uuid,
        author: &str,
        events: Vec<NewEvent>,
    ) -> Result<Recorded, ReplicaError> {
        let view = self.current(incident)?;
        for ev in &events {
            if let Some(target) = ev.kind.refers_to() {
                let confirmed = self.store.event_blocking(incident, target)?;
                let found = confirmed.as_ref().or_else(|| {
                    view.pending
                        .iter()
                        .map(|p| &p.event)
                        .find(|e| e.id == target)
                });
                let probe = Event {
                    id: ev.id,
                    incident,
                    seq: None,
                    at: ev.at,
                    recorded_at: None,
                    author: author.to_string(),
                    persona: ev.persona.clone(),
                    kind: ev.kind.clone(),
                };
                crate::domain::rules::check_target(&view.state, &probe, author, target, found)
                    .map_err(|r| ReplicaError::Refused(r.to_string()))?;
            }
        }
        let mut state = view.state;
        check_all(&mut state, incident, author, &events)?;
        self.store.outbox_add(incident, author, events.clone())?;
        self.settle(&events)
    }

    fn record_with_ids(
        &self,
        incident: Uuid,
        author: String,
        kinds: Vec<(DateTime<Utc>, EventKind)>,
        first_id: Option<Uuid>,
    ) -> Result<Recorded, ReplicaError> {
        let events: Vec<NewEvent> = kinds
            .into_iter()
            .enumerate()
            .map(|(i, (at, kind))| NewEvent {
                id: if i == 0 {
                    first_id.unwrap_or_else(Uuid::now_v7)
                } else {
                    Uuid::now_v7()
                },
                at,
                persona: None,
                kind,
            })
            .collect();
        self.record_as(incident, &author, events)
    }

    /// Solo mode confirms at once; shared mode pushes now and leaves the change pending when
    /// the server does not answer. Answers what became of the last of `events`.
    fn settle(&self, events: &[NewEvent]) -> Result<Recorded, ReplicaError> {
        if let Settle::Background(kick) = &self.settle {
            kick.notify_one();
            return Ok(Recorded::Pending);
        }
        if let Some(shared) = self.shared() {
            let pushed = shared.runtime.block_on(async {
                let pushed = tokio::time::timeout(CLI_TIMEOUT, shared.syncer.push()).await;
                if let Ok(Ok(p)) = &pushed {
                    for id in &p.incidents {
                        let _ = tokio::time::timeout(
                            CLI_TIMEOUT,
                            shared.syncer.pull(*id, std::time::Duration::ZERO),
                        )
                        .await;
                    }
                }
                pushed
            });
            return match pushed {
                Ok(Ok(report)) => {
                    if let Some((_, why)) = report
                        .rejected
                        .iter()
                        .find(|(id, _)| events.iter().any(|e| e.id == *id))
                    {
                        return Ok(Recorded::Rejected(why.clone()));
                    }
                    let last = events.last().map(|e| e.id);
                    match last.and_then(|id| self.store.seq_of(id).ok().flatten()) {
                        Some(seq) => Ok(Recorded::Confirmed(seq)),
                        None => Ok(Recorded::Pending),
                    }
                }
                Ok(Err(SyncError::Remote(
                    e @ (RemoteError::Unauthorized(_) | RemoteError::Incompatible(_)),
                ))) => Err(ReplicaError::Sync(format!(
                    "{e}; the change is kept and will be sent once this is fixed"
                ))),
                _ => Ok(Recorded::Pending),
            };
        }
        let answers = self.store.confirm_outbox_locally()?;
        let mut outcome = Recorded::Pending;
        for ev in events {
            if let Some((_, answer)) = answers.iter().find(|(id, _)| *id == ev.id) {
                outcome = match answer {
                    Ok(seq) => Recorded::Confirmed(*seq),
                    Err(reason) => return Ok(Recorded::Rejected(reason.clone())),
                };
            }
        }
        Ok(outcome)
    }
}

impl Replica {
    /// The known-error database: confirmed entries and this replica's pending ones.
    pub fn known_errors(
        &self,
    ) -> Result<std::collections::BTreeMap<String, crate::domain::kedb::KnownError>, ReplicaError>
    {
        let view = self.view(crate::domain::kedb::KEDB_ID)?;
        Ok(crate::domain::kedb::fold(&view.events()))
    }

    /// Records a known-error entry (declaring the known-error stream the first time).
    pub fn record_known_error(&self, kind: EventKind) -> Result<Recorded, ReplicaError> {
        use crate::domain::kedb::{KEDB_ID, KEDB_TITLE};
        let now = self.now();
        let view = self.view(KEDB_ID)?;
        if view.state.summary.declared_at.is_none() {
            let declare = NewEvent {
                id: KEDB_ID,
                at: now,
                persona: None,
                kind: EventKind::IncidentDeclared {
                    title: KEDB_TITLE.into(),
                    severity: Severity::MINOR,
                    summary: "Known errors: symptoms, root causes and workarounds.".into(),
                    drill: false,
                    restricted: false,
                },
            };
            if let Recorded::Rejected(r) = self.record_as(KEDB_ID, &self.handle(), vec![declare])? {
                return Ok(Recorded::Rejected(r));
            }
        }
        self.record(KEDB_ID, vec![(now, kind)])
    }
}

/// Checks each event against the state it would meet, folding as it goes.
fn check_all(
    state: &mut Incident,
    incident: Uuid,
    author: &str,
    events: &[NewEvent],
) -> Result<(), ReplicaError> {
    for ev in events {
        let event = Event {
            id: ev.id,
            incident,
            seq: None,
            at: ev.at,
            recorded_at: None,
            author: author.to_string(),
            persona: ev.persona.clone(),
            kind: ev.kind.clone(),
        };
        crate::domain::rules::check(state, &event, author, &Default::default())
            .map_err(|r| ReplicaError::Refused(r.to_string()))?;
        state.apply(&event);
    }
    Ok(())
}
