//! The SQLite writer thread: every write of a store runs here, each in its own savepoint
//! inside one transaction, committed once for the whole group (group commit). The group is
//! whatever is queued when the writer takes the next write: alone, a write commits at once.

use std::path::PathBuf;
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::oneshot;

use super::StoreError;

/// Writes that arrive while a commit is in flight join the next one, up to this many.
const MAX_GROUP: usize = 4096;

pub(super) type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

/// One queued write: runs inside a savepoint, answers after the commit.
pub(super) trait Job: Send {
    fn run(&mut self, conn: &Connection) -> bool;
    fn finish(self: Box<Self>, commit: Result<(), String>);
    /// Whether the write must reach the disk before it is answered.
    fn durable(&self) -> bool;
}

pub(super) struct WriteJob<T, F> {
    pub(super) durable: bool,
    pub(super) work: Option<F>,
    pub(super) result: Option<Result<T, StoreError>>,
    pub(super) reply: Reply<T>,
}

impl<T, F> Job for WriteJob<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> Result<T, StoreError> + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let result = match self.work.take() {
            Some(work) => work(conn),
            None => Err(StoreError::Unavailable("write ran twice".into())),
        };
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn durable(&self) -> bool {
        self.durable
    }

    fn finish(self: Box<Self>, commit: Result<(), String>) {
        let answer = match (commit, self.result) {
            // A job that failed rolled back its own savepoint: its error is the answer.
            (_, Some(Err(mine))) => Err(mine),
            (Ok(()), Some(Ok(value))) => Ok(value),
            (Err(e), _) => Err(StoreError::db(e)),
            (Ok(()), None) => Err(StoreError::Unavailable("write did not run".into())),
        };
        let _ = self.reply.send(answer);
    }
}

/// Folders of files written from this database's content (drafts, postmortems), scrubbed
/// when a redaction arrives.
pub(super) type ScrubDirs = Arc<Mutex<Vec<PathBuf>>>;

/// Where the writer takes its writes from. It waits in one place only, [`Queue::wait`],
/// parked until the next write arrives; there is no batch window and no timer. A write that
/// finds the writer idle commits at once, alone; writes that arrive while a commit is in
/// flight queue up and all join the next one.
pub(super) trait Queue {
    /// The next write, parked until one arrives; `None` once the store is closed.
    fn wait(&mut self) -> Option<Box<dyn Job>>;
    /// A write already queued, without waiting.
    fn queued(&mut self) -> Option<Box<dyn Job>>;
}

impl Queue for Receiver<Box<dyn Job>> {
    fn wait(&mut self) -> Option<Box<dyn Job>> {
        self.recv().ok()
    }

    fn queued(&mut self) -> Option<Box<dyn Job>> {
        self.try_recv().ok()
    }
}

pub(super) fn writer_loop(mut conn: Connection, mut queue: impl Queue, files: ScrubDirs) {
    while let Some(first) = queue.wait() {
        let mut batch = vec![first];
        while batch.len() < MAX_GROUP {
            match queue.queued() {
                Some(job) => batch.push(job),
                None => break,
            }
        }
        let commit = commit_group(&mut conn, &mut batch);
        let removed = REMOVED.take();
        if SCRUBBED.replace(false) && commit.is_ok() {
            // A redaction rewrote an event: the old text must leave the WAL too, and the
            // drafts and reports this machine keeps beside the database.
            checkpoint_truncate(&conn);
            let dirs = files.lock().unwrap_or_else(|e| e.into_inner()).clone();
            super::scrub_files(&dirs, &removed);
        }
        for job in batch {
            job.finish(commit.clone());
        }
    }
}

thread_local! {
    /// Set on the writer thread when a write scrubbed a redacted event.
    pub(super) static SCRUBBED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// The texts those redactions removed, for the files beside the database.
    pub(super) static REMOVED: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Copies the WAL into the database file and empties it, so text overwritten by a
/// redaction survives in neither.
fn checkpoint_truncate(conn: &Connection) {
    for _ in 0..50 {
        match conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
            r.get::<_, i64>(0)
        }) {
            Ok(0) => return,
            Ok(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
            Err(e) => {
                tracing::warn!("checkpoint after a redaction failed: {e}");
                return;
            }
        }
    }
    tracing::warn!("checkpoint after a redaction stayed busy; the next one will finish it");
}

fn commit_group(conn: &mut Connection, batch: &mut [Box<dyn Job>]) -> Result<(), String> {
    // A group of writes that can be fetched again (events pulled from a server) commits
    // without waiting for the disk; any durable write in the group makes it wait. The
    // next durable commit flushes the relaxed ones with it.
    let level = if batch.iter().any(|j| j.durable()) {
        "FULL"
    } else {
        "NORMAL"
    };
    conn.pragma_update(None, "synchronous", level)
        .map_err(|e| e.to_string())?;
    let mut tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| e.to_string())?;
    for job in batch.iter_mut() {
        let sp = tx.savepoint().map_err(|e| e.to_string())?;
        if job.run(&sp) {
            sp.commit().map_err(|e| e.to_string())?;
        }
        // A failed job's savepoint rolls back when dropped; the others still commit.
    }
    tx.commit().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    /// A queue holding one write and then nothing more, ever: nothing else arrives and no
    /// time passes for the writer, so a writer that waited for company (or for a window
    /// to close) before committing would never commit. It logs what the writer asks of it.
    struct Lone {
        job: Option<Box<dyn Job>>,
        log: mpsc::Sender<&'static str>,
        /// Dropped by the test to close the store.
        closed: mpsc::Receiver<()>,
    }

    impl Queue for Lone {
        fn wait(&mut self) -> Option<Box<dyn Job>> {
            let _ = self.log.send("wait");
            match self.job.take() {
                Some(job) => Some(job),
                None => {
                    let _ = self.closed.recv();
                    None
                }
            }
        }

        fn queued(&mut self) -> Option<Box<dyn Job>> {
            let _ = self.log.send("queued: none");
            None
        }
    }

    #[test]
    fn a_lone_write_commits_at_once_while_the_queue_stays_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; CREATE TABLE t (x TEXT);",
        )
        .unwrap();
        let (log, logged) = mpsc::channel();
        let (reply, mut answer) = oneshot::channel();
        let answered = log.clone();
        let job = Box::new(WriteJob {
            durable: true,
            work: Some(move |c: &Connection| {
                c.execute("INSERT INTO t (x) VALUES ('lone')", [])
                    .map_err(StoreError::db)?;
                let _ = answered.send("ran");
                Ok(())
            }),
            result: None,
            reply,
        });
        let (close, closed) = mpsc::channel();
        let queue = Lone {
            job: Some(job),
            log,
            closed,
        };
        let writer = std::thread::spawn(move || writer_loop(conn, queue, ScrubDirs::default()));

        let mut seen = Vec::new();
        while seen.len() < 4 {
            seen.push(
                logged
                    .recv_timeout(Duration::from_secs(30))
                    .unwrap_or_else(|_| panic!("the writer stalled after {seen:?}")),
            );
        }
        // Took the write, asked once for more without waiting, ran it, and only then went
        // back to waiting: the commit did not wait for anything.
        assert_eq!(seen, ["wait", "queued: none", "ran", "wait"]);
        // Answered, and on disk for any other connection, while the queue is still open.
        assert!(matches!(answer.try_recv(), Ok(Ok(()))));
        let other = Connection::open(&path).unwrap();
        let rows: i64 = other
            .query_row("SELECT count(*) FROM t WHERE x = 'lone'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 1);

        drop(close);
        writer.join().unwrap();
    }
}
