//! Paging in solo mode: the CLI or the console sends the pages itself, with the teams of
//! its own config, and records each outcome in the solo replica under its responder's
//! name. Used by the edges (`cli`, `tui`) only; in shared mode the server sends.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Ledger, Pager, PagingConfig, Report};
use crate::domain::event::EventKind;
use crate::domain::incident::Incident;
use crate::domain::page::PageStatus;
use crate::store::NewEvent;
use crate::sync::{Recorded, Replica};

/// A solo replica as the pager's ledger. The replica's calls block (its writes wait for
/// its writer thread, which must not happen on a thread driving async tasks), so each
/// runs on a thread of its own, briefly.
pub struct SoloLedger<'a> {
    pub replica: &'a Replica,
}

/// Runs `work` on a thread of its own and waits for it.
fn off_runtime<T: Send>(work: impl FnOnce() -> Result<T, String> + Send) -> Result<T, String> {
    std::thread::scope(|s| {
        s.spawn(work)
            .join()
            .unwrap_or_else(|_| Err("the replica's thread stopped".into()))
    })
}

#[async_trait]
impl Ledger for SoloLedger<'_> {
    async fn state(&self, incident: Uuid) -> Result<Option<Incident>, String> {
        off_runtime(|| {
            self.replica
                .current(incident)
                .map(|c| Some(c.state))
                .map_err(|e| e.to_string())
        })
    }

    async fn record(&self, incident: Uuid, id: Uuid, kind: EventKind) -> Result<(), String> {
        let replica = self.replica;
        off_runtime(move || {
            let event = NewEvent {
                id,
                at: replica.now(),
                persona: None,
                kind,
            };
            match replica.record_as(incident, &replica.handle(), vec![event]) {
                Ok(Recorded::Confirmed(_) | Recorded::Pending) => Ok(()),
                Ok(Recorded::Rejected(why)) => Err(why),
                Err(e) => Err(e.to_string()),
            }
        })
    }
}

/// Whether recording `kinds` on the incident `state` leaves pages to send or close: a
/// page, or a resolve or close while pages are being sent or open at a provider.
pub fn needs_settle(state: &Incident, kinds: &[(DateTime<Utc>, EventKind)]) -> bool {
    let paging = kinds
        .iter()
        .any(|(_, k)| matches!(k, EventKind::PageRequested { .. }));
    paging
        || (super::wants_settle(kinds.iter().map(|(_, k)| k))
            && state
                .pages
                .iter()
                .any(|p| matches!(p.status, None | Some(PageStatus::Delivered))))
}

/// Pages in `kinds` name their provider as `config` has their team; a team it does not
/// have is refused before anything is recorded.
pub fn fill_providers(
    kinds: &mut [(DateTime<Utc>, EventKind)],
    config: &PagingConfig,
) -> Result<(), String> {
    for (_, kind) in kinds.iter_mut() {
        if let EventKind::PageRequested { team, provider, .. } = kind {
            let found = config.team(team)?;
            *provider = Some(found.provider);
        }
    }
    Ok(())
}

/// Sends what the incident's pages need with `config`'s teams and records the outcomes;
/// returns when all is done (retries included).
pub async fn settle(replica: &Replica, incident: Uuid, config: PagingConfig) -> Vec<Report> {
    let pager = Pager::new(config);
    pager.settle(&SoloLedger { replica }, incident).await
}
