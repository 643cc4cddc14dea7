//! Push and pull between a replica and its server.
//!
//! Push: the outbox in order, grouped by incident, in batches; a 2xx records each change's
//! seq; a 4xx marks the refused change rejected (kept, shown, never dropped); network
//! errors and 5xx leave everything waiting for the next try. Pull: events after the
//! replica's newest contiguous seq, in order, page by page; an out-of-order event stops
//! the page and the next request refills the gap.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;
use tokio::sync::{Notify, mpsc, watch};
use uuid::Uuid;

use super::remote::{Remote, RemoteError};
use crate::clock::Clock;
use crate::domain::alert::Alert;
use crate::domain::event::{EventKind, format_time};
use crate::domain::incident::IncidentSummary;
use crate::store::outbox::{Mirrored, Pending};
use crate::store::{NewEvent, SqliteStore, Store, StoreError};

const PUSH_BATCH: usize = 500;
const LAST_SYNC: &str = "last_sync";
/// How long the console's long-polls wait on the server.
const POLL_WAIT: Duration = Duration::from_secs(25);
/// How often the list is asked again of a server that cannot long-poll it.
const LIST_EVERY: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Remote(#[from] RemoteError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SyncError {
    pub fn is_offline(&self) -> bool {
        matches!(self, SyncError::Remote(r) if r.is_offline())
    }
}

/// What the status bar and `warroom sync` say about the link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Link {
    /// No server: this machine's replica is the source of truth.
    Solo,
    Connecting,
    Connected,
    Offline {
        since: DateTime<Utc>,
        retry_at: Option<DateTime<Utc>>,
        reason: String,
    },
    /// Retrying will not help until a person acts (bad token, not a warroom server).
    Broken(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkStatus {
    pub link: Link,
    /// Changes waiting for the server.
    pub pending: usize,
    /// Changes the server refused.
    pub rejected: usize,
    pub last_sync: Option<DateTime<Utc>>,
}

impl LinkStatus {
    pub fn solo() -> Self {
        LinkStatus {
            link: Link::Solo,
            pending: 0,
            rejected: 0,
            last_sync: None,
        }
    }

    /// One line for a status bar or stderr.
    pub fn describe(&self, now: DateTime<Utc>) -> String {
        let mut s = match &self.link {
            Link::Solo => "solo (no server)".to_string(),
            Link::Connecting => "connecting".to_string(),
            Link::Connected => "connected".to_string(),
            Link::Offline {
                since,
                retry_at,
                reason,
            } => {
                let mut s = format!("OFFLINE since {} ({reason})", since.format("%H:%M:%S UTC"));
                if let Some(r) = retry_at {
                    let secs = (*r - now).num_seconds().max(0);
                    s.push_str(&format!(", retrying in {secs}s"));
                }
                s
            }
            Link::Broken(why) => format!("NOT SYNCING: {why}"),
        };
        if self.link != Link::Solo {
            s.push_str(&format!(" · {} pending", self.pending));
            if self.rejected > 0 {
                s.push_str(&format!(" · {} REJECTED", self.rejected));
            }
            if let Some(t) = self.last_sync {
                s.push_str(&format!(" · synced {}", t.format("%H:%M:%S UTC")));
            }
        }
        s
    }
}

/// What a push did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pushed {
    pub delivered: usize,
    pub rejected: Vec<(Uuid, String)>,
    pub incidents: BTreeSet<Uuid>,
}

pub struct Syncer {
    store: SqliteStore,
    remote: Remote,
    clock: Arc<dyn Clock>,
    /// The server's firing alerts, as last fetched with the list (`None` until then).
    alerts: watch::Sender<Option<Vec<Alert>>>,
}

impl Syncer {
    pub fn new(store: SqliteStore, remote: Remote, clock: Arc<dyn Clock>) -> Self {
        Syncer {
            store,
            remote,
            clock,
            alerts: watch::channel(None).0,
        }
    }

    /// The server's firing alerts, fetched again whenever `run` fetches the incident list
    /// (whose version counts them, so a new alert wakes its long-poll).
    pub fn watch_alerts(&self) -> watch::Receiver<Option<Vec<Alert>>> {
        self.alerts.subscribe()
    }

    /// Fetches the firing alerts and tells the watchers when they changed. A server that
    /// keeps no alerts (an older one) leaves the list empty; other failures wait for the
    /// next fetch.
    async fn refresh_alerts(&self) {
        let fetched = match self.remote.alerts(false).await {
            Ok(list) => list,
            Err(RemoteError::Rejected { status: 404, .. }) => Vec::new(),
            Err(e) => {
                tracing::debug!("alerts: {e}");
                return;
            }
        };
        self.alerts.send_if_modified(|held| {
            let changed = held.as_ref() != Some(&fetched);
            if changed {
                *held = Some(fetched);
            }
            changed
        });
    }

    pub fn remote(&self) -> &Remote {
        &self.remote
    }

    /// Delivers every waiting change, oldest first.
    pub async fn push(&self) -> Result<Pushed, SyncError> {
        let waiting: Vec<Pending> = self
            .store
            .outbox_async(None)
            .await?
            .into_iter()
            .filter(Pending::is_waiting)
            .collect();
        let mut report = Pushed::default();
        let mut i = 0;
        while i < waiting.len() {
            let incident = waiting[i].event.incident;
            let mut group = Vec::new();
            while i < waiting.len()
                && waiting[i].event.incident == incident
                && group.len() < PUSH_BATCH
            {
                group.push(&waiting[i]);
                i += 1;
            }
            report.incidents.insert(incident);
            self.push_group(incident, &group, &mut report).await?;
        }
        Ok(report)
    }

    async fn push_group(
        &self,
        incident: Uuid,
        group: &[&Pending],
        report: &mut Pushed,
    ) -> Result<(), SyncError> {
        let mut rest = group;
        if let Some(first) = rest.first()
            && matches!(first.event.kind, EventKind::IncidentDeclared { .. })
        {
            match self
                .remote
                .declare(incident, first.event.at, &first.event.kind)
                .await
            {
                Ok(()) => {
                    self.store.outbox_ack(vec![(first.event.id, 1)]).await?;
                    report.delivered += 1;
                }
                Err(RemoteError::Rejected { message, .. }) => {
                    self.reject(vec![first.event.id], message, report).await?;
                }
                Err(e) => return Err(e.into()),
            }
            rest = &rest[1..];
        }
        if rest.is_empty() {
            return Ok(());
        }
        let events: Vec<NewEvent> = rest
            .iter()
            .map(|p| NewEvent {
                id: p.event.id,
                at: p.event.at,
                persona: p.event.persona.clone(),
                kind: p.event.kind.clone(),
            })
            .collect();
        match self.remote.append(incident, &events).await {
            Ok(acks) => {
                report.delivered += acks.len();
                self.store.outbox_ack(acks).await?;
                Ok(())
            }
            Err(RemoteError::Rejected { message, .. }) if events.len() == 1 => {
                self.reject(vec![events[0].id], message, report).await
            }
            Err(RemoteError::Rejected { .. }) => {
                // The batch is refused whole: find the refused change by sending one at a time.
                for ev in &events {
                    match self.remote.append(incident, std::slice::from_ref(ev)).await {
                        Ok(acks) => {
                            report.delivered += acks.len();
                            self.store.outbox_ack(acks).await?;
                        }
                        Err(RemoteError::Rejected { message, .. }) => {
                            self.reject(vec![ev.id], message, report).await?;
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn reject(
        &self,
        ids: Vec<Uuid>,
        message: String,
        report: &mut Pushed,
    ) -> Result<(), SyncError> {
        for id in &ids {
            report.rejected.push((*id, message.clone()));
        }
        self.store.outbox_reject(ids, message).await?;
        Ok(())
    }

    async fn local_last_seq(&self, incident: Uuid) -> Result<i64, SyncError> {
        Ok(Store::incident(&self.store, incident)
            .await?
            .map_or(0, |i| i.last_seq))
    }

    /// Pulls an incident up to the server's newest seq; with `wait`, the first request is a
    /// long-poll. Answers what was added.
    ///
    /// Pipelined: as soon as a page arrives, the next one (after its last event) is asked
    /// for while this one is written, each page in one transaction of its own. When the
    /// write does not end where the page did (a gap, or events already here), the page
    /// fetched meanwhile is dropped and the next request starts from what was written.
    pub async fn pull(&self, incident: Uuid, wait: Duration) -> Result<Mirrored, SyncError> {
        let mut last = self.local_last_seq(incident).await?;
        let mut total = Mirrored {
            last_seq: last,
            ..Mirrored::default()
        };
        let mut next = Some(self.remote.events(incident, last, wait).await);
        // Bounded: each round either advances or stops.
        for _ in 0..10_000 {
            let page = match next.take() {
                Some(fetched) => fetched?,
                None => self.remote.events(incident, last, Duration::ZERO).await?,
            };
            let Some(page_end) = page.events.last().and_then(|e| e.seq) else {
                break;
            };
            let more = page_end < page.last_seq;
            let write = self.store.mirror(incident, page.events);
            let got = if more {
                let fetch = self.remote.events(incident, page_end, Duration::ZERO);
                let (got, fetched) = tokio::join!(write, fetch);
                next = Some(fetched);
                got?
            } else {
                write.await?
            };
            total.applied += got.applied;
            total.last_seq = got.last_seq;
            total.gap |= got.gap;
            total.redacted |= got.redacted;
            if got.last_seq <= last && !got.gap {
                break;
            }
            last = got.last_seq;
            if got.gap || last != page_end {
                // The page fetched meanwhile does not follow what was written.
                next = None;
            }
            if !more && !got.gap {
                break;
            }
        }
        Ok(total)
    }

    /// Pulls every incident the server has, each up to date.
    pub async fn pull_all(&self) -> Result<usize, SyncError> {
        let remote = self.remote.incidents().await?;
        let pulled = self.pull_listed(&remote).await?;
        Ok(pulled.iter().map(|(_, n)| n).sum())
    }

    /// Brings every incident of the server's `list` up to date here; answers each incident
    /// that got events, with how many.
    async fn pull_listed(&self, list: &[IncidentSummary]) -> Result<Vec<(Uuid, usize)>, SyncError> {
        let mut pulled = Vec::new();
        for summary in list {
            let local = self.local_last_seq(summary.id).await?;
            if summary.last_seq > local {
                let applied = self.pull(summary.id, Duration::ZERO).await?.applied;
                if applied > 0 {
                    pulled.push((summary.id, applied));
                }
            }
        }
        self.store
            .set_sync_value(LAST_SYNC, format_time(self.clock.now()))
            .await?;
        Ok(pulled)
    }

    /// Push everything, then pull everything.
    pub async fn sync_once(&self) -> Result<Pushed, SyncError> {
        let pushed = self.push().await?;
        self.pull_all().await?;
        Ok(pushed)
    }

    pub async fn status(&self, link: Link) -> Result<LinkStatus, SyncError> {
        let outbox = self.store.outbox_async(None).await?;
        let last_sync = self
            .store
            .sync_value(LAST_SYNC)?
            .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
            .map(|t| t.with_timezone(&Utc));
        Ok(LinkStatus {
            link,
            pending: outbox.iter().filter(|p| p.rejected.is_none()).count(),
            rejected: outbox.iter().filter(|p| p.rejected.is_some()).count(),
            last_sync,
        })
    }

    /// The console's background sync: pushes when told (`kick`) and on a backoff after
    /// failures, long-polls the focused incident and the incident list at once (the list
    /// answers as soon as any incident the server has changes, so every incident stays
    /// current within moments). Sends the id of every incident that changed on `changed`,
    /// and the link on `status`. A server that does not version its list (an older one)
    /// is listed again every `LIST_EVERY` instead.
    pub async fn run(
        self: Arc<Self>,
        kick: Arc<Notify>,
        mut focus: watch::Receiver<Option<Uuid>>,
        changed: mpsc::UnboundedSender<Uuid>,
        status: watch::Sender<LinkStatus>,
    ) {
        let mut failures: u32 = 0;
        let mut poll_failures: u32 = 0;
        let mut offline_since: Option<DateTime<Utc>> = None;
        if let Ok(s) = self.status(Link::Connecting).await {
            status.send_replace(s);
        }
        // The version (ETag) of the server's list this replica has caught up with.
        let mut known: Option<String> = None;
        let mut last_list = None::<tokio::time::Instant>;
        loop {
            let round = async {
                let pushed = self.push().await?;
                for id in &pushed.incidents {
                    let got = self.pull(*id, Duration::ZERO).await?;
                    if got.applied > 0 || !pushed.rejected.is_empty() {
                        let _ = changed.send(*id);
                    }
                }
                // After a failure (a long-poll included) the round must reach the server,
                // or a console with nothing to push would report Connected and retry at once.
                let due = failures > 0
                    || known.is_none()
                        && last_list.is_none_or(|t: tokio::time::Instant| t.elapsed() > LIST_EVERY);
                if due {
                    let (list, tag) = self.remote.incidents_after(None, Duration::ZERO).await?;
                    for (id, _) in self.pull_listed(&list).await? {
                        let _ = changed.send(id);
                    }
                    known = tag;
                    last_list = Some(tokio::time::Instant::now());
                    self.refresh_alerts().await;
                }
                Ok::<(), SyncError>(())
            }
            .await;
            let mut link = match round {
                Ok(()) => {
                    failures = 0;
                    offline_since = None;
                    Link::Connected
                }
                Err(SyncError::Remote(
                    RemoteError::Unauthorized(m) | RemoteError::Incompatible(m),
                )) => {
                    failures += 1;
                    Link::Broken(m)
                }
                Err(e) => {
                    failures += 1;
                    let since = *offline_since.get_or_insert_with(|| self.clock.now());
                    Link::Offline {
                        since,
                        retry_at: None,
                        reason: e.to_string(),
                    }
                }
            };
            let delay = backoff(failures);
            if let Link::Offline { retry_at, .. } = &mut link {
                *retry_at = chrono::Duration::from_std(delay)
                    .ok()
                    .map(|d| self.clock.now() + d);
            }
            if let Ok(s) = self.status(link.clone()).await {
                status.send_replace(s);
            }
            if failures > 0 {
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = kick.notified() => {}
                    _ = focus.changed() => {}
                }
                continue;
            }
            // Connected: wait on the focused incident and on the list (long-polls), or a kick.
            let focused = *focus.borrow_and_update();
            let incident_poll = async {
                match focused {
                    Some(id) => (id, self.pull(id, POLL_WAIT).await),
                    None => std::future::pending().await,
                }
            };
            let list_poll = async {
                match known.as_deref() {
                    Some(k) => self.remote.incidents_after(Some(k), POLL_WAIT).await,
                    None => std::future::pending().await,
                }
            };
            let polled = tokio::select! {
                (id, got) = incident_poll => Some(got.map(|m| {
                    if m.applied > 0 {
                        let _ = changed.send(id);
                    }
                })),
                got = list_poll => Some(match got {
                    Ok((list, tag)) => {
                        self.refresh_alerts().await;
                        self.pull_listed(&list).await.map(|pulled| {
                            for (id, _) in pulled {
                                let _ = changed.send(id);
                            }
                            known = tag;
                        })
                    }
                    Err(e) => Err(e.into()),
                }),
                _ = kick.notified() => None,
                _ = focus.changed() => None,
                _ = tokio::time::sleep(LIST_EVERY), if known.is_none() => None,
            };
            match polled {
                None => {}
                Some(Ok(())) => poll_failures = 0,
                Some(Err(e)) => {
                    // The rest of the link may be fine (an incident this server does not
                    // have, say): pause before asking again rather than spin.
                    poll_failures += 1;
                    failures = failures.max(1);
                    tracing::warn!("long-poll: {e}");
                    tokio::select! {
                        _ = tokio::time::sleep(backoff(poll_failures)) => {}
                        _ = kick.notified() => {}
                        _ = focus.changed() => {}
                    }
                }
            }
        }
    }
}

/// Capped exponential backoff with jitter: ~0.5 s, 1 s, 2 s ... up to 30 s.
pub fn backoff(failures: u32) -> Duration {
    if failures == 0 {
        return Duration::from_secs(30);
    }
    let base = 500u64.saturating_mul(1u64 << failures.min(7).saturating_sub(1));
    let capped = base.min(30_000);
    let jitter = rand::rng().random_range(0..=capped / 4);
    Duration::from_millis(capped - capped / 8 + jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let first = backoff(1);
        assert!(
            first >= Duration::from_millis(400) && first <= Duration::from_millis(700),
            "{first:?}"
        );
        let later = backoff(20);
        assert!(later <= Duration::from_millis(37_500), "{later:?}");
        assert!(later >= Duration::from_millis(26_000), "{later:?}");
        assert!(backoff(3) > backoff(1));
    }
}
