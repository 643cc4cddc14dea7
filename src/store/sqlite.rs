//! The SQLite store: one file, one writer thread with group commit, a few reader connections.
//!
//! Durability: WAL journal with `synchronous = FULL`. In WAL mode FULL syncs the WAL on
//! every commit, so a transaction that returned has reached the disk and survives a power
//! cut as well as a `kill -9`; NORMAL would only survive the latter. The cost is one fsync
//! per commit, which group commit spreads over every write that arrived meanwhile: the
//! writer thread takes all queued writes, runs each in its own savepoint inside one
//! transaction, commits once, and only then answers them all. One kind of write is
//! relaxed: events a replica pulls from its server commit without the sync (they can be
//! pulled again), and the next durable commit carries them to the disk.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};
use std::thread;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use tokio::sync::oneshot;
use uuid::Uuid;

use super::sqlite_log::{
    append_in, event_anywhere, events_in, incident_in, incidents_in, parse_time,
};
use super::sqlite_writer::{Job, ScrubDirs, WriteJob, writer_loop};
use super::{Accepted, Judge, NewEvent, Store, StoreError, TokenInfo};
use crate::clock::Clock;
use crate::domain::event::{Event, format_time};
use crate::domain::incident::IncidentSummary;
use crate::domain::rules::Rules;
use std::collections::HashMap;

const MIGRATIONS: &[&str] = &[
    include_str!("migrations/sqlite/0001_init.sql"),
    include_str!("migrations/sqlite/0002_outbox_ack.sql"),
    include_str!("migrations/sqlite/0003_refold_summaries.sql"),
    include_str!("migrations/sqlite/0004_alerts.sql"),
    include_str!("migrations/sqlite/0005_snapshots.sql"),
];

/// Schema versions after whose migration every stored summary is folded again from its
/// events, because the summary gained fields SQL cannot fill in.
const REFOLD_AT: &[usize] = &[3];

struct Inner {
    path: PathBuf,
    scrub_dirs: ScrubDirs,
    writer: Mutex<Option<Sender<Box<dyn Job>>>>,
    writer_thread: Mutex<Option<thread::JoinHandle<()>>>,
    readers: Mutex<Vec<Connection>>,
    clock: Arc<dyn Clock>,
    judge: Arc<Judge>,
}

/// A warroom SQLite file. Cheap to clone; every clone shares the writer.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

fn corrupt(path: &Path, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        path: path.display().to_string(),
        message: format!("not a readable warroom database ({e}); move it aside to start afresh"),
    }
}

/// A new database file is made owner-only before SQLite opens it (SQLite gives its WAL and
/// shared-memory files the same mode). An existing one must look like a database: an
/// empty file is refused rather than silently made into an empty database.
fn prepare_file(path: &Path) -> Result<(), StoreError> {
    match std::fs::metadata(path) {
        // Empty beside a write-ahead log: made, written, never checkpointed (a crash).
        Ok(meta) if meta.len() == 0 && wal_beside(path) => Ok(()),
        Ok(meta) if meta.len() == 0 => Err(StoreError::Corrupt {
            path: path.display().to_string(),
            message: "the file is empty (0 bytes), not a warroom database; move it aside to \
                      start afresh, or restore it from a backup"
                .into(),
        }),
        Ok(_) => {
            let mut header = [0u8; 16];
            let read = std::fs::File::open(path)
                .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut header));
            if read.is_err() || &header != b"SQLite format 3\0" {
                return Err(corrupt(path, "no SQLite header"));
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            match options.open(path) {
                Ok(_) => Ok(()),
                // Another process made it meanwhile: theirs is as good.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
                Err(e) => Err(StoreError::Unavailable(format!(
                    "cannot create {}: {e}",
                    path.display()
                ))),
            }
        }
        Err(e) => Err(StoreError::Unavailable(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}

fn wal_beside(path: &Path) -> bool {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(std::path::PathBuf::from(wal)).is_ok_and(|m| m.len() > 0)
}

fn open_connection(path: &Path, create: bool) -> Result<Connection, StoreError> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(|e| corrupt(path, e))?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(|e| corrupt(path, e))?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(|e| corrupt(path, e))?;
    // Deleted and overwritten content is zeroed, so a redacted text leaves no trace in
    // free pages.
    conn.pragma_update(None, "secure_delete", "ON")
        .map_err(|e| corrupt(path, e))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(StoreError::db)?;
    Ok(conn)
}

fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    // The version is read and raised under one write lock, so two processes opening the
    // same file at once cannot both run a migration.
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(StoreError::db)?;
    let version: i64 = tx
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| corrupt(path, e))?;
    let known = MIGRATIONS.len() as i64;
    if version > known {
        return Err(StoreError::Unavailable(format!(
            "{} was written by a newer warroom (schema v{version}; this one knows up to v{known}): \
             upgrade warroom",
            path.display()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        tx.execute_batch(sql).map_err(|e| {
            StoreError::Unavailable(format!(
                "{}: upgrading to schema v{}: {e}",
                path.display(),
                i + 1
            ))
        })?;
        if REFOLD_AT.contains(&(i + 1)) {
            refold_summaries(&tx)?;
        }
        tx.pragma_update(None, "user_version", (i + 1) as i64)
            .map_err(StoreError::db)?;
    }
    tx.commit().map_err(StoreError::db)
}

/// Folds every incident's summary again from its stored events, in the migration's
/// transaction. An incident with no stored event (a replica's placeholder) is left alone.
fn refold_summaries(conn: &Connection) -> Result<(), StoreError> {
    let ids: Vec<String> = conn
        .prepare("SELECT id FROM incidents")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(StoreError::db)?;
    for id in ids {
        let id = super::sqlite_log::parse_uuid(&id)?;
        let events = events_in(conn, id, 0, usize::MAX)?;
        if events.is_empty() {
            continue;
        }
        let mut summary = IncidentSummary::new(id);
        for ev in &events {
            summary.apply(ev);
        }
        super::sqlite_log::save_summary(conn, &summary, summary.last_seq, true)?;
    }
    Ok(())
}

/// Tells whether anything was committed to a store's file since it last looked, by
/// SQLite's `PRAGMA data_version` on a connection of its own, which changes whenever
/// another connection commits, in this process or any other. A look reads the WAL index
/// in shared memory and touches no page of the database, so it costs microseconds and may
/// be taken several times a second.
pub struct CommitWatch {
    conn: Connection,
    path: PathBuf,
    seen: i64,
}

impl CommitWatch {
    /// Whether a commit happened since the last look (or since the watch began).
    pub fn changed(&mut self) -> Result<bool, StoreError> {
        let now = data_version(&self.conn, &self.path)?;
        let changed = now != self.seen;
        self.seen = now;
        Ok(changed)
    }
}

fn data_version(conn: &Connection, path: &Path) -> Result<i64, StoreError> {
    conn.pragma_query_value(None, "data_version", |r| r.get(0))
        .map_err(|e| StoreError::Unavailable(format!("cannot watch {}: {e}", path.display())))
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path`, migrating it to this version.
    pub fn open(path: impl AsRef<Path>, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        Self::open_with_rules(path, clock, Rules::default())
    }

    /// Opens the store judging appends with `rules`.
    pub fn open_with_rules(
        path: impl AsRef<Path>,
        clock: Arc<dyn Clock>,
        rules: Rules,
    ) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::files::create_private_dir_all(dir).map_err(|e| {
                StoreError::Unavailable(format!(
                    "cannot create the directory {}: {e}",
                    dir.display()
                ))
            })?;
        }
        prepare_file(&path)?;
        let mut conn = open_connection(&path, true)?;
        migrate(&mut conn, &path)?;
        let (tx, rx) = mpsc::channel::<Box<dyn Job>>();
        let scrub_dirs: ScrubDirs = Arc::default();
        let files = scrub_dirs.clone();
        let handle = thread::Builder::new()
            .name("warroom-sqlite-writer".into())
            .spawn(move || writer_loop(conn, rx, files))
            .map_err(|e| StoreError::Unavailable(format!("cannot start the writer: {e}")))?;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                path,
                scrub_dirs,
                writer: Mutex::new(Some(tx)),
                writer_thread: Mutex::new(Some(handle)),
                readers: Mutex::new(Vec::new()),
                clock,
                judge: Judge::new(rules),
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// SQLite's quick integrity check, given at most `budget`: a damaged page is refused
    /// with what SQLite found; a check that needs longer is cut short and says so.
    pub fn quick_check(&self, budget: std::time::Duration) -> Result<bool, StoreError> {
        let path = self.inner.path.clone();
        self.read(move |c| {
            let deadline = std::time::Instant::now() + budget;
            c.progress_handler(10_000, Some(move || std::time::Instant::now() > deadline));
            let found: Result<Vec<String>, rusqlite::Error> = c
                .prepare("PRAGMA quick_check(20)")
                .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect());
            c.progress_handler(0, None::<fn() -> bool>);
            match found {
                Ok(lines) if lines == ["ok"] => Ok(true),
                Ok(lines) => Err(corrupt(&path, lines.join("; "))),
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if e.code == rusqlite::ErrorCode::OperationInterrupted =>
                {
                    Ok(false)
                }
                Err(e) => Err(corrupt(&path, e)),
            }
        })
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    /// Folders whose files hold this database's text (a console's drafts, its rendered
    /// postmortems): a redaction scrubs them too.
    pub fn scrub_files_in(&self, dirs: Vec<PathBuf>) {
        *self
            .inner
            .scrub_dirs
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = dirs;
    }

    pub(crate) fn judge(&self) -> Arc<Judge> {
        self.inner.judge.clone()
    }

    /// Queues a write; the answer comes after the transaction holding it has committed.
    pub fn write<T, F>(&self, work: F) -> oneshot::Receiver<Result<T, StoreError>>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.queue(true, work)
    }

    /// A write that may be lost in a power cut because it can be fetched again (events
    /// pulled from the server); it commits without waiting for the disk.
    pub async fn write_relaxed<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.queue(false, work)
            .await
            .unwrap_or_else(|_| Err(StoreError::Unavailable("the writer stopped".into())))
    }

    fn queue<T, F>(&self, durable: bool, work: F) -> oneshot::Receiver<Result<T, StoreError>>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, rx) = oneshot::channel();
        let job = Box::new(WriteJob {
            durable,
            work: Some(work),
            result: None,
            reply,
        });
        let sender = self.inner.writer.lock().unwrap_or_else(|e| e.into_inner());
        match sender.as_ref() {
            Some(s) => {
                if let Err(mpsc::SendError(job)) = s.send(job) {
                    job.finish(Err("the store is closed".into()));
                }
            }
            None => job.finish(Err("the store is closed".into())),
        }
        rx
    }

    /// A write from async code.
    pub async fn write_async<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.write(work)
            .await
            .unwrap_or_else(|_| Err(StoreError::Unavailable("the writer stopped".into())))
    }

    /// A write from synchronous code (the CLI). Must not be called on an async runtime thread.
    pub fn write_blocking<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.write(work)
            .blocking_recv()
            .unwrap_or_else(|_| Err(StoreError::Unavailable("the writer stopped".into())))
    }

    /// Watches the file for commits by any connection, this process's writer and other
    /// warroom processes alike (see [`CommitWatch`]).
    pub fn watch_commits(&self) -> Result<CommitWatch, StoreError> {
        let conn = open_connection(&self.inner.path, false)?;
        let seen = data_version(&conn, &self.inner.path)?;
        Ok(CommitWatch {
            conn,
            path: self.inner.path.clone(),
            seen,
        })
    }

    /// Runs `f` on a reader connection (WAL: readers never wait for the writer).
    pub fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let conn = {
            let mut pool = self.inner.readers.lock().unwrap_or_else(|e| e.into_inner());
            pool.pop()
        };
        let conn = match conn {
            Some(c) => c,
            None => open_connection(&self.inner.path, false)?,
        };
        let result = f(&conn);
        let mut pool = self.inner.readers.lock().unwrap_or_else(|e| e.into_inner());
        if pool.len() < 8 {
            pool.push(conn);
        }
        result
    }

    async fn read_async<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.read(f))
            .await
            .map_err(|e| StoreError::Unavailable(format!("reader failed: {e}")))?
    }

    /// Closes the writer after every queued write has committed.
    pub fn close(&self) {
        self.inner
            .writer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(h) = self
            .inner
            .writer_thread
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            let _ = h.join();
        }
    }

    pub fn append_blocking(
        &self,
        incident: Uuid,
        author: &str,
        events: Vec<NewEvent>,
    ) -> Result<Vec<Accepted>, StoreError> {
        let author = author.to_string();
        let now = self.now();
        let judge = self.inner.judge.clone();
        self.write_blocking(move |c| append_in(c, &judge, incident, &author, &events, now))
    }

    pub fn events_blocking(
        &self,
        incident: Uuid,
        after: i64,
        limit: usize,
    ) -> Result<Vec<Event>, StoreError> {
        self.read(|c| events_in(c, incident, after, limit))
    }

    /// Every confirmed event of an incident, in seq order.
    pub fn all_events(&self, incident: Uuid) -> Result<Vec<Event>, StoreError> {
        self.events_blocking(incident, 0, usize::MAX)
    }

    pub fn incidents_blocking(&self) -> Result<Vec<IncidentSummary>, StoreError> {
        self.read(incidents_in)
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.writer.get_mut().map(|w| w.take()).ok();
        if let Ok(slot) = self.writer_thread.get_mut()
            && let Some(h) = slot.take()
        {
            let _ = h.join();
        }
    }
}

fn token_from_row(
    r: &rusqlite::Row<'_>,
) -> rusqlite::Result<(String, bool, String, Option<String>)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
}

fn token_info(row: (String, bool, String, Option<String>)) -> Result<TokenInfo, StoreError> {
    Ok(TokenInfo {
        handle: row.0,
        read_only: row.1,
        created_at: parse_time(&row.2)?,
        revoked_at: row.3.as_deref().map(parse_time).transpose()?,
    })
}

#[async_trait]
impl Store for SqliteStore {
    async fn append(
        &self,
        incident: Uuid,
        author: &str,
        events: Vec<NewEvent>,
    ) -> Result<Vec<Accepted>, StoreError> {
        let author = author.to_string();
        let now = self.now();
        let judge = self.inner.judge.clone();
        self.write_async(move |c| append_in(c, &judge, incident, &author, &events, now))
            .await
    }

    async fn events_after(
        &self,
        incident: Uuid,
        after: i64,
        limit: usize,
    ) -> Result<Vec<Event>, StoreError> {
        self.read_async(move |c| events_in(c, incident, after, limit))
            .await
    }

    async fn incidents(&self) -> Result<Vec<IncidentSummary>, StoreError> {
        self.read_async(incidents_in).await
    }

    async fn incident(&self, id: Uuid) -> Result<Option<IncidentSummary>, StoreError> {
        self.read_async(move |c| incident_in(c, id)).await
    }

    async fn add_token(&self, handle: &str, hash: &str, read_only: bool) -> Result<(), StoreError> {
        let (handle, hash, now) = (
            handle.to_string(),
            hash.to_string(),
            format_time(self.now()),
        );
        self.write(move |c| {
            c.execute(
                "INSERT INTO tokens (handle, hash, read_only, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![handle, hash, read_only, now],
            )
            .map(|_| ())
            .map_err(StoreError::db)
        })
        .await
        .unwrap_or_else(|_| Err(StoreError::Unavailable("the writer stopped".into())))
    }

    async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenInfo>, StoreError> {
        let hash = hash.to_string();
        self.read_async(move |c| {
            c.prepare_cached(
                "SELECT handle, read_only, created_at, revoked_at FROM tokens \
                 WHERE hash = ?1 AND revoked_at IS NULL",
            )
            .and_then(|mut s| s.query_row([hash], token_from_row).optional())
            .map_err(StoreError::db)?
            .map(token_info)
            .transpose()
        })
        .await
    }

    async fn tokens(&self) -> Result<Vec<TokenInfo>, StoreError> {
        self.read_async(|c| {
            let mut s = c
                .prepare_cached(
                    "SELECT handle, read_only, created_at, revoked_at FROM tokens ORDER BY id",
                )
                .map_err(StoreError::db)?;
            let rows = s.query_map([], token_from_row).map_err(StoreError::db)?;
            rows.map(|r| r.map_err(StoreError::db).and_then(token_info))
                .collect()
        })
        .await
    }

    async fn revoke_tokens(&self, handle: &str) -> Result<usize, StoreError> {
        let (handle, now) = (handle.to_string(), format_time(self.now()));
        self.write(move |c| {
            c.execute(
                "UPDATE tokens SET revoked_at = ?2 WHERE handle = ?1 AND revoked_at IS NULL",
                params![handle, now],
            )
            .map_err(StoreError::db)
        })
        .await
        .unwrap_or_else(|_| Err(StoreError::Unavailable("the writer stopped".into())))
    }

    async fn stored_times(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, DateTime<Utc>>, StoreError> {
        let ids = ids.to_vec();
        self.read_async(move |c| {
            let mut out = HashMap::new();
            for id in ids {
                if let Some(e) = event_anywhere(c, id)? {
                    out.insert(id, e.at);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn state(&self, incident: Uuid) -> Result<Option<super::CurrentState>, StoreError> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.state_blocking(incident))
            .await
            .map_err(|e| StoreError::Unavailable(format!("reader failed: {e}")))?
    }

    async fn ready(&self) -> Result<(), StoreError> {
        self.read_async(|c| {
            c.query_row("SELECT count(*) FROM incidents", [], |r| r.get::<_, i64>(0))
                .map(|_| ())
                .map_err(StoreError::db)
        })
        .await
    }

    fn describe(&self) -> String {
        format!("SQLite {}", self.inner.path.display())
    }

    fn alert_store(&self) -> Option<&dyn super::alerts::AlertStore> {
        Some(self)
    }
}

#[cfg(test)]
#[path = "sqlite_tests.rs"]
mod tests;
