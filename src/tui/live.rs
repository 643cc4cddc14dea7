//! Solo mode live: a console open on a data directory shows what any other warroom process
//! writes to the same replica (a CLI verb in another terminal, a script, a drill) as soon
//! as it is committed, as a shared console shows what its server long-polls bring.
//!
//! A thread of its own looks at the store every [`POLL`] through a [`CommitWatch`] (SQLite's
//! `PRAGMA data_version`, which moves on any other connection's commit); when it moved, the
//! console gets [`Msg::StoreChanged`] and reloads the incident list and the tail of the open
//! incident, which raise the same alerts and notifications as news from a server. A look
//! costs microseconds and reads no page of the database, so an idle console stays idle.
//! The console's own writes move it too; the reload they cause finds nothing new.

use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;

use super::app::Msg;
use crate::store::sqlite::{CommitWatch, SqliteStore};

/// How often the store is looked at: well within the second in which another process's
/// write should show.
pub const POLL: Duration = Duration::from_millis(250);

/// Starts watching `store` for commits, telling the console through `tx` until it is gone.
/// A store that cannot be watched is logged, and the console goes on without it.
pub fn spawn(store: &SqliteStore, tx: UnboundedSender<Msg>) {
    let watch = match store.watch_commits() {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!("other processes' writes will show only on reload: {e}");
            return;
        }
    };
    let started = std::thread::Builder::new()
        .name("warroom-watch".into())
        .spawn(move || watch_loop(watch, &tx));
    if let Err(e) = started {
        tracing::warn!("cannot watch the store for other processes' writes: {e}");
    }
}

fn watch_loop(mut watch: CommitWatch, tx: &UnboundedSender<Msg>) {
    let mut failing = false;
    while !tx.is_closed() {
        // The poll's interval, not a wait for something: there is nothing to wait on
        // across processes but the file.
        std::thread::sleep(POLL);
        match watch.changed() {
            Ok(true) => {
                failing = false;
                if tx.send(Msg::StoreChanged).is_err() {
                    return;
                }
            }
            Ok(false) => failing = false,
            Err(e) => {
                // Said once per spell of trouble (a long checkpoint, a full disk).
                if !failing {
                    tracing::warn!("{e}");
                }
                failing = true;
            }
        }
    }
}
