//! The client side: a local replica with its outbox. Every change a console or the CLI
//! makes goes through [`Replica::record`]: checked against the current state, written to
//! the outbox durably, then confirmed (in solo mode by the replica itself).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::clock::Clock;
use crate::domain::event::{Event, EventKind, Severity};
use crate::domain::incident::{Incident, IncidentSummary};
use crate::store::outbox::Pending;
use crate::store::{NewEvent, ResolveError, SqliteStore, StoreError, resolve};

#[derive(Debug, thiserror::Error)]
pub enum ReplicaError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// The change breaks a rule of the workflow; nothing was written.
    #[error("{0}")]
    Refused(String),
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

/// An incident as a console sees it: confirmed log plus this replica's pending changes.
pub struct View {
    pub state: Incident,
    pub confirmed: Vec<Event>,
    pub pending: Vec<Pending>,
}

pub struct Replica {
    store: SqliteStore,
    handle: String,
    clock: Arc<dyn Clock>,
}

/// The solo replica's file inside a data directory.
pub fn solo_path(data_dir: &Path) -> PathBuf {
    data_dir.join("solo.db")
}

impl Replica {
    /// Opens the solo replica in `data_dir`, creating it if needed.
    pub fn open_solo(
        data_dir: &Path,
        handle: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ReplicaError> {
        let store = SqliteStore::open(solo_path(data_dir), clock.clone())?;
        let replica = Replica {
            store,
            handle: handle.to_string(),
            clock,
        };
        // Changes a crash left between outbox and log are confirmed now.
        replica.store.confirm_outbox_locally()?;
        Ok(replica)
    }

    pub fn handle(&self) -> &str {
        &self.handle
    }

    pub fn store(&self) -> &SqliteStore {
        &self.store
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn incidents(&self) -> Result<Vec<IncidentSummary>, ReplicaError> {
        Ok(self.store.incidents_blocking()?)
    }

    /// The one incident `reference` names: short id, UUID, or a unique prefix of either.
    pub fn resolve(&self, reference: &str) -> Result<IncidentSummary, ReplicaError> {
        let all = self.incidents()?;
        Ok(resolve(&all, reference)?.clone())
    }

    pub fn view(&self, incident: Uuid) -> Result<View, ReplicaError> {
        let confirmed = self.store.all_events(incident)?;
        let pending = self.store.outbox(Some(incident))?;
        let mut state = Incident::fold(incident, &confirmed);
        for p in pending.iter().filter(|p| p.rejected.is_none()) {
            state.apply(&p.event);
        }
        Ok(View {
            state,
            confirmed,
            pending,
        })
    }

    /// Declares a new incident with this replica's handle as its commander.
    pub fn declare(
        &self,
        title: &str,
        severity: Severity,
        summary: &str,
        started_at: Option<DateTime<Utc>>,
        drill: bool,
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
        let outcome = self.record_with_ids(id, self.handle.clone(), kinds, Some(id))?;
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
        self.record_with_ids(incident, self.handle.clone(), kinds, None)
    }

    /// As [`Replica::record`], with a given author (seeding a demo or a drill in solo mode).
    pub fn record_as(
        &self,
        incident: Uuid,
        author: &str,
        events: Vec<NewEvent>,
    ) -> Result<Recorded, ReplicaError> {
        let view = self.view(incident)?;
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
                kind,
            })
            .collect();
        self.record_as(incident, &author, events)
    }

    /// Solo mode confirms at once; answers what became of the last of `events`.
    fn settle(&self, events: &[NewEvent]) -> Result<Recorded, ReplicaError> {
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

/// Checks each event against the state it would meet, folding as it goes.
fn check_all(
    state: &mut Incident,
    incident: Uuid,
    author: &str,
    events: &[NewEvent],
) -> Result<(), ReplicaError> {
    for ev in events {
        state
            .check(author, ev.at, &ev.kind)
            .map_err(ReplicaError::Refused)?;
        state.apply(&Event {
            id: ev.id,
            incident,
            seq: None,
            at: ev.at,
            recorded_at: None,
            author: author.to_string(),
            kind: ev.kind.clone(),
        });
    }
    Ok(())
}
