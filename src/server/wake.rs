//! Long-poll wakeups: one watch channel per incident carrying its newest seq, and one for
//! the whole list that changes whenever any incident does. An append on this instance
//! notifies them directly; on PostgreSQL, appends on other instances arrive through
//! LISTEN/NOTIFY and notify them too.
//!
//! Fan-out: when long-polls wait on an incident, an append on this instance reads its new
//! events once, writes them as the answer a long-poll waiting after the seq before them
//! gives, and hands that same answer (an `Arc` of the bytes) to every such waiter, with the
//! incident's summary as it stood after them, so each waiter can tell whether its caller
//! may still see the incident without reading the store. A waiter that waits after another
//! seq, or one woken with no page (an append on another instance, several appends at once),
//! reads the store as before.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use tokio::sync::watch;
use uuid::Uuid;

use super::routes::EventsPage;
use crate::domain::incident::IncidentSummary;
use crate::store::Store;

/// The answer for every long-poll of one incident waiting after `after`: the events an
/// append stored (seqs `after + 1` to the tail's seq), read once.
pub struct Page {
    /// The seq the waiters this page answers wait after.
    pub after: i64,
    /// How many events it holds (a waiter whose `limit` is smaller reads the store).
    pub count: usize,
    /// The response body: `{"events":[...],"last_seq":N}`.
    pub body: Bytes,
    /// The incident's summary read after the events: who may see it now.
    pub summary: IncidentSummary,
}

/// What the waiters of one incident are told: its newest seq, and the page of the events
/// that made it so, when this instance read them.
#[derive(Clone, Default)]
pub struct Tail {
    pub seq: i64,
    pub page: Option<Arc<Page>>,
}

pub struct Wakeups {
    channels: Mutex<HashMap<Uuid, watch::Sender<Tail>>>,
    /// Counts every notification, whichever incident it was for: the list's long-polls
    /// wait on it.
    any: watch::Sender<u64>,
}

impl Default for Wakeups {
    fn default() -> Self {
        Wakeups {
            channels: Mutex::default(),
            any: watch::channel(0).0,
        }
    }
}

impl Wakeups {
    /// A receiver that changes whenever any incident may have changed.
    pub fn subscribe_all(&self) -> watch::Receiver<u64> {
        self.any.subscribe()
    }

    fn wake_all_lists(&self) {
        self.any.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver that changes whenever the incident gets a newer seq.
    pub fn subscribe(&self, incident: Uuid) -> watch::Receiver<Tail> {
        let mut map = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(incident)
            .or_insert_with(|| watch::channel(Tail::default()).0)
            .subscribe()
    }

    /// Whether any long-poll waits on the incident now.
    fn waited_on(&self, incident: Uuid) -> bool {
        let map = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&incident).is_some_and(|tx| tx.receiver_count() > 0)
    }

    /// Wakes the waiters of one incident, when `seq` is newer than what they were told, and
    /// every long-poll of the list. They read the store.
    pub fn notify(&self, incident: Uuid, seq: i64) {
        self.publish(incident, Tail { seq, page: None });
    }

    fn publish(&self, incident: Uuid, tail: Tail) {
        self.wake_all_lists();
        let map = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = map.get(&incident) {
            tx.send_if_modified(|current| {
                if tail.seq > current.seq {
                    *current = tail;
                    true
                } else {
                    false
                }
            });
        }
    }

    /// Told by an append on this instance that stored the seqs `after + 1 ..= last`: when
    /// long-polls wait on the incident, reads those events and the summary once (in a task
    /// of its own, so the append is answered meanwhile) and hands the page to all of them;
    /// otherwise, or when the read fails, wakes them to read the store.
    pub fn appended(
        self: &Arc<Self>,
        store: Arc<dyn Store>,
        incident: Uuid,
        after: i64,
        last: i64,
    ) {
        if last <= after || !self.waited_on(incident) {
            self.notify(incident, last);
            return;
        }
        let this = self.clone();
        tokio::spawn(async move {
            let page = read_page(store.as_ref(), incident, after, last).await;
            this.publish(
                incident,
                Tail {
                    seq: last,
                    page: page.map(Arc::new),
                },
            );
        });
    }

    /// Wakes every waiter to read again: only after the store may have missed telling of
    /// appends (a PostgreSQL listener that lost its connection). No request can cause it.
    pub fn notify_all(&self) {
        self.wake_all_lists();
        let map = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        for tx in map.values() {
            tx.send_modify(|tail| tail.page = None);
        }
    }
}

/// The page of the events with seqs `after + 1 ..= last`, if the store holds exactly those.
async fn read_page(store: &dyn Store, incident: Uuid, after: i64, last: i64) -> Option<Page> {
    let want = usize::try_from(last - after).ok()?;
    let events = match store.events_after(incident, after, want).await {
        Ok(events) => events,
        Err(e) => {
            tracing::warn!("reading the events of an append for its waiters: {e}");
            return None;
        }
    };
    // Read after the events, so it is at least as new: an access revoked meanwhile counts.
    let summary = match store.incident(incident).await {
        Ok(summary) => summary?,
        Err(e) => {
            tracing::warn!("reading an incident for its waiters: {e}");
            return None;
        }
    };
    let first = events.first().and_then(|e| e.seq);
    let newest = events.last().and_then(|e| e.seq);
    if events.len() != want || first != Some(after + 1) || newest != Some(last) {
        return None;
    }
    let count = events.len();
    let body = serde_json::to_vec(&EventsPage {
        events,
        last_seq: last,
    })
    .ok()?;
    Some(Page {
        after,
        count,
        body: Bytes::from(body),
        summary,
    })
}
