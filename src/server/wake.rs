//! Long-poll wakeups: one watch channel per incident carrying its newest seq, and one for
//! the whole list that changes whenever any incident does. An append on this instance
//! notifies them directly; on PostgreSQL, appends on other instances arrive through
//! LISTEN/NOTIFY and notify them too.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::watch;
use uuid::Uuid;

pub struct Wakeups {
    channels: Mutex<HashMap<Uuid, watch::Sender<i64>>>,
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
    pub fn subscribe(&self, incident: Uuid) -> watch::Receiver<i64> {
        let mut map = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(incident)
            .or_insert_with(|| watch::channel(0).0)
            .subscribe()
    }

    /// Wakes the waiters of one incident, when `seq` is newer than what they were told, and
    /// every long-poll of the list.
    pub fn notify(&self, incident: Uuid, seq: i64) {
        self.wake_all_lists();
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
        self.wake_all_lists();
        let map = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        for tx in map.values() {
            tx.send_modify(|_| {});
        }
    }
}
