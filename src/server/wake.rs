//! Long-poll wakeups: one watch channel per incident carrying its newest seq. An append
//! on this instance notifies it directly; on PostgreSQL, appends on other instances
//! arrive through LISTEN/NOTIFY and notify it too.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::watch;
use uuid::Uuid;

#[derive(Default)]
pub struct Wakeups {
    channels: Mutex<HashMap<Uuid, watch::Sender<i64>>>,
}

impl Wakeups {
    /// A receiver that changes whenever the incident gets a newer seq.
    pub fn subscribe(&self, incident: Uuid) -> watch::Receiver<i64> {
        let mut map = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(incident)
            .or_insert_with(|| watch::channel(0).0)
            .subscribe()
    }

    /// Wakes the waiters of one incident, when `seq` is newer than what they were told.
    pub fn notify(&self, incident: Uuid, seq: i64) {
        let map = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = map.get(&incident) {
            tx.send_if_modified(|current| {
                if seq > *current {
                    *current = seq;
                    true
                } else {
                    false
                }
            });
        }
    }

    /// Wakes every waiter to read again: only after the store may have missed telling of
    /// appends (a PostgreSQL listener that lost its connection). No request can cause it.
    pub fn notify_all(&self) {
        let map = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        for tx in map.values() {
            tx.send_modify(|_| {});
        }
    }
}
