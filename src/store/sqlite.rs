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
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use serde_json::{Map, Value};
use tokio::sync::oneshot;
use uuid::Uuid;

use super::{
    Accepted, Folded, Judge, NewEvent, Store, StoreError, TokenInfo, catch_up, plan_on, resume,
};
use crate::clock::Clock;
use crate::domain::event::{Event, EventKind, format_time};
use crate::domain::incident::{Incident, IncidentSummary};
use crate::domain::rules::Rules;
use std::collections::HashMap;

const MIGRATIONS: &[&str] = &[
    include_str!("migrations/sqlite/0001_init.sql"),
    include_str!("migrations/sqlite/0002_outbox_ack.sql"),
];

/// Writes that arrive while a commit is in flight join the next one, up to this many.
const MAX_GROUP: usize = 4096;

type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

/// One queued write: runs inside a savepoint, answers after the commit.
trait Job: Send {
    fn run(&mut self, conn: &Connection) -> bool;
    fn finish(self: Box<Self>, commit: Result<(), String>);
    /// Whether the write must reach the disk before it is answered.
    fn durable(&self) -> bool;
}

struct WriteJob<T, F> {
    durable: bool,
    work: Option<F>,
    result: Option<Result<T, StoreError>>,
    reply: Reply<T>,
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
type ScrubDirs = Arc<Mutex<Vec<PathBuf>>>;

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
        tx.pragma_update(None, "user_version", (i + 1) as i64)
            .map_err(StoreError::db)?;
    }
    tx.commit().map_err(StoreError::db)
}

fn writer_loop(mut conn: Connection, rx: Receiver<Box<dyn Job>>, files: ScrubDirs) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
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
    static SCRUBBED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// The texts those redactions removed, for the files beside the database.
    static REMOVED: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
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

/// Rewrites a redacted event's stored text (and a copy waiting in the outbox) in place.
pub(crate) fn scrub_in(
    conn: &Connection,
    incident: Uuid,
    original: &Event,
    clean: &EventKind,
) -> Result<(), StoreError> {
    let target = original.id;
    let body = serde_json::to_string(&clean.fields()).map_err(StoreError::db)?;
    conn.prepare_cached("UPDATE events SET body = ?3 WHERE id = ?1 AND incident = ?2")
        .and_then(|mut s| s.execute(params![target.to_string(), incident.to_string(), body]))
        .map_err(StoreError::db)?;
    conn.prepare_cached("UPDATE outbox SET body = ?2 WHERE id = ?1")
        .and_then(|mut s| s.execute(params![target.to_string(), body]))
        .map_err(StoreError::db)?;
    SCRUBBED.set(true);
    REMOVED.with(|r| {
        r.borrow_mut()
            .extend(super::removed_texts(&original.kind, clean))
    });
    Ok(())
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

fn parse_time(s: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Invalid(format!("stored time `{s}` does not parse: {e}")))
}

fn parse_uuid(s: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(s)
        .map_err(|e| StoreError::Invalid(format!("stored id `{s}` does not parse: {e}")))
}

/// Rebuilds a kind from stored columns; a stored body this version cannot read is shown as
/// unknown rather than failing the whole read.
pub(crate) fn kind_from_row(type_name: &str, body: &str) -> EventKind {
    let fields: Map<String, Value> = serde_json::from_str(body).unwrap_or_default();
    EventKind::from_parts(type_name, fields.clone()).unwrap_or(EventKind::Unknown {
        kind: type_name.to_string(),
        fields,
    })
}

/// The incident's folded state as of its newest stored event: the kept one caught up, or
/// folded afresh from the log.
pub(crate) fn state_in(
    conn: &Connection,
    judge: &Judge,
    incident: Uuid,
    stored_last_seq: i64,
) -> Result<Folded, StoreError> {
    let kept = judge.folds.take(incident);
    let id_at = match kept.as_ref().map(|k| k.state.summary.last_seq) {
        Some(seq) if seq > 0 => id_at_seq(conn, incident, seq)?,
        _ => None,
    };
    let mut folded = resume(incident, kept, stored_last_seq, id_at);
    let tail = events_in(conn, incident, folded.state.summary.last_seq, usize::MAX)?;
    catch_up(&mut folded, &tail);
    Ok(folded)
}

fn id_at_seq(conn: &Connection, incident: Uuid, seq: i64) -> Result<Option<Uuid>, StoreError> {
    let id: Option<String> = conn
        .prepare_cached("SELECT id FROM events WHERE incident = ?1 AND seq = ?2")
        .and_then(|mut s| {
            s.query_row(params![incident.to_string(), seq], |r| r.get(0))
                .optional()
        })
        .map_err(StoreError::db)?;
    id.as_deref().map(parse_uuid).transpose()
}

/// A stored event by its id, on whichever incident it is.
fn event_anywhere(conn: &Connection, id: Uuid) -> Result<Option<Event>, StoreError> {
    let found: Option<(String, i64)> = conn
        .prepare_cached("SELECT incident, seq FROM events WHERE id = ?1")
        .and_then(|mut s| {
            s.query_row([id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
        })
        .map_err(StoreError::db)?;
    match found {
        Some((incident, seq)) => Ok(events_in(conn, parse_uuid(&incident)?, seq - 1, 1)?
            .into_iter()
            .next()),
        None => Ok(None),
    }
}

/// One stored event of `incident` by its id.
pub(crate) fn event_in(
    conn: &Connection,
    incident: Uuid,
    id: Uuid,
) -> Result<Option<Event>, StoreError> {
    let seq: Option<i64> = conn
        .prepare_cached("SELECT seq FROM events WHERE id = ?1 AND incident = ?2")
        .and_then(|mut s| {
            s.query_row(params![id.to_string(), incident.to_string()], |r| r.get(0))
                .optional()
        })
        .map_err(StoreError::db)?;
    match seq {
        Some(seq) => Ok(events_in(conn, incident, seq - 1, 1)?.into_iter().next()),
        None => Ok(None),
    }
}

/// The append itself, run inside the writer's transaction: judged by the rule book against
/// the incident's state, then written whole or not at all.
pub(crate) fn append_in(
    conn: &Connection,
    judge: &Judge,
    incident: Uuid,
    author: &str,
    events: &[NewEvent],
    now: DateTime<Utc>,
) -> Result<Vec<Accepted>, StoreError> {
    let row: Option<String> = conn
        .prepare_cached("SELECT summary FROM incidents WHERE id = ?1")
        .and_then(|mut s| s.query_row([incident.to_string()], |r| r.get(0)).optional())
        .map_err(StoreError::db)?;
    let existed = row.is_some();
    let stored_last_seq = match row {
        Some(json) => {
            serde_json::from_str::<IncidentSummary>(&json)
                .map_err(|e| StoreError::Invalid(format!("stored summary does not parse: {e}")))?
                .last_seq
        }
        None => 0,
    };
    let mut prior = HashMap::new();
    for ev in events {
        if let Some(found) = event_anywhere(conn, ev.id)? {
            prior.insert(ev.id, found);
        }
    }
    let folded = state_in(conn, judge, incident, stored_last_seq)?;
    let (plan, mut folded) = plan_on(
        judge,
        folded,
        incident,
        author,
        events,
        &prior,
        now,
        &mut |id| event_in(conn, incident, id),
    )?;
    if plan.to_insert.is_empty() {
        judge.folds.put(folded);
        return Ok(plan.accepted);
    }
    let mut insert = conn
        .prepare_cached(
            "INSERT INTO events (incident, seq, id, at, recorded_at, author, type, body) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .map_err(StoreError::db)?;
    let (incident_text, recorded) = (incident.to_string(), format_time(now));
    for ev in &plan.to_insert {
        let body = serde_json::to_string(&ev.kind.fields()).map_err(StoreError::db)?;
        insert
            .execute(params![
                incident_text,
                ev.seq,
                ev.id.to_string(),
                format_time(ev.at),
                recorded,
                ev.author,
                ev.kind.type_name(),
                body
            ])
            .map_err(StoreError::db)?;
    }
    folded.last_id = plan.to_insert.last().map(|e| e.id);
    if !plan.scrub.is_empty() {
        for (target, clean) in &plan.scrub {
            scrub_in(conn, incident, target, clean)?;
        }
        // The state must be the fold of what is stored now, scrubbed text and all.
        let all = events_in(conn, incident, 0, usize::MAX)?;
        folded.state = Incident::fold(incident, &all);
    }
    save_summary(
        conn,
        &folded.state.summary,
        folded.state.summary.last_seq,
        existed,
    )?;
    judge.folds.put(folded);
    Ok(plan.accepted)
}

pub(crate) fn save_summary(
    conn: &Connection,
    summary: &IncidentSummary,
    last_seq: i64,
    existed: bool,
) -> Result<(), StoreError> {
    let json = serde_json::to_string(summary).map_err(StoreError::db)?;
    if existed {
        conn.prepare_cached("UPDATE incidents SET last_seq = ?2, summary = ?3 WHERE id = ?1")
            .and_then(|mut s| s.execute(params![summary.id.to_string(), last_seq, json]))
            .map_err(StoreError::db)?;
    } else {
        let declared = summary.declared_at.map(format_time).unwrap_or_default();
        conn.prepare_cached(
            "INSERT INTO incidents (id, short_id, declared_at, last_seq, summary) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .and_then(|mut s| {
            s.execute(params![
                summary.id.to_string(),
                summary.short_id,
                declared,
                last_seq,
                json
            ])
        })
        .map_err(StoreError::db)?;
    }
    Ok(())
}

pub(crate) fn events_in(
    conn: &Connection,
    incident: Uuid,
    after: i64,
    limit: usize,
) -> Result<Vec<Event>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT seq, id, at, recorded_at, author, type, body FROM events \
             WHERE incident = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        )
        .map_err(StoreError::db)?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = stmt
        .query_map(params![incident.to_string(), after, limit], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
            ))
        })
        .map_err(StoreError::db)?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, id, at, recorded_at, author, type_name, body) = row.map_err(StoreError::db)?;
        out.push(Event {
            id: parse_uuid(&id)?,
            incident,
            seq: Some(seq),
            at: parse_time(&at)?,
            recorded_at: Some(parse_time(&recorded_at)?),
            author,
            kind: kind_from_row(&type_name, &body),
        });
    }
    Ok(out)
}

pub(crate) fn incidents_in(conn: &Connection) -> Result<Vec<IncidentSummary>, StoreError> {
    let mut stmt = conn
        .prepare_cached("SELECT summary FROM incidents ORDER BY declared_at DESC, id")
        .map_err(StoreError::db)?;
    let rows = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(StoreError::db)?;
    let mut out = Vec::new();
    for row in rows {
        let json = row.map_err(StoreError::db)?;
        out.push(
            serde_json::from_str(&json)
                .map_err(|e| StoreError::Invalid(format!("stored summary does not parse: {e}")))?,
        );
    }
    Ok(out)
}

fn incident_in(conn: &Connection, id: Uuid) -> Result<Option<IncidentSummary>, StoreError> {
    let json: Option<String> = conn
        .prepare_cached("SELECT summary FROM incidents WHERE id = ?1")
        .and_then(|mut s| s.query_row([id.to_string()], |r| r.get(0)).optional())
        .map_err(StoreError::db)?;
    json.map(|j| {
        serde_json::from_str(&j)
            .map_err(|e| StoreError::Invalid(format!("stored summary does not parse: {e}")))
    })
    .transpose()
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::domain::event::Severity;
    use chrono::TimeZone;

    fn clock() -> Arc<dyn Clock> {
        Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2026, 11, 26, 22, 0, 0).unwrap(),
        ))
    }

    fn declare(id: Uuid, at: DateTime<Utc>) -> NewEvent {
        NewEvent {
            id,
            at,
            kind: EventKind::IncidentDeclared {
                title: "Checkout errors".into(),
                severity: Severity::MAJOR,
                summary: String::new(),
                drill: false,
                restricted: false,
            },
        }
    }

    fn note(text: &str, at: DateTime<Utc>) -> NewEvent {
        NewEvent {
            id: Uuid::now_v7(),
            at,
            kind: EventKind::Note { text: text.into() },
        }
    }

    #[test]
    fn appends_are_idempotent_and_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let store = SqliteStore::open(&path, clock()).unwrap();
        let inc = Uuid::now_v7();
        let t = store.now();
        let first = store
            .append_blocking(inc, "ana", vec![declare(inc, t)])
            .unwrap();
        assert_eq!(first[0].seq, 1);
        let n = note("hello", t);
        let a = store.append_blocking(inc, "ana", vec![n.clone()]).unwrap();
        let b = store.append_blocking(inc, "ana", vec![n]).unwrap();
        assert_eq!(a[0].seq, 2);
        assert_eq!(b[0].seq, 2);
        assert!(b[0].duplicate);
        drop(store);

        let store = SqliteStore::open(&path, clock()).unwrap();
        let events = store.all_events(inc).unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(
            events[1].kind,
            EventKind::Note {
                text: "hello".into()
            }
        );
        assert_eq!(events[1].author, "ana");
        let list = store.incidents_blocking().unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].last_seq, 2);
        assert_eq!(list[0].commander.as_deref(), Some("ana"));
    }

    #[test]
    fn a_bad_batch_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("w.db"), clock()).unwrap();
        let inc = Uuid::now_v7();
        let t = store.now();
        // A note on an incident nobody declared.
        let err = store
            .append_blocking(inc, "ana", vec![note("x", t)])
            .unwrap_err();
        assert!(matches!(err, StoreError::UnknownIncident(_)));
        // Declared, then declared again in the same batch: the whole batch is refused.
        let err = store
            .append_blocking(
                inc,
                "ana",
                vec![declare(inc, t), declare(Uuid::now_v7(), t)],
            )
            .unwrap_err();
        assert!(err.to_string().contains("already declared"), "{err}");
        assert!(store.incidents_blocking().unwrap().is_empty());
    }

    #[test]
    fn a_file_that_is_not_a_database_is_reported_clearly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        std::fs::write(&path, vec![b'x'; 4096]).unwrap();
        let err = SqliteStore::open(&path, clock()).err().expect("must fail");
        let text = err.to_string();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{text}");
        assert!(
            text.contains("w.db") && text.contains("not a readable warroom database"),
            "{text}"
        );
        // And the file is left as it was.
        assert_eq!(std::fs::read(&path).unwrap(), vec![b'x'; 4096]);
    }

    #[test]
    fn concurrent_writers_get_unique_contiguous_seqs() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("w.db"), clock()).unwrap();
        let inc = Uuid::now_v7();
        let t = store.now();
        store
            .append_blocking(inc, "ana", vec![declare(inc, t)])
            .unwrap();
        let threads: Vec<_> = (0..8)
            .map(|w| {
                let s = store.clone();
                thread::spawn(move || {
                    for i in 0..50 {
                        s.append_blocking(inc, "ana", vec![note(&format!("{w}-{i}"), t)])
                            .unwrap();
                    }
                })
            })
            .collect();
        for th in threads {
            th.join().unwrap();
        }
        let seqs: Vec<i64> = store
            .all_events(inc)
            .unwrap()
            .iter()
            .filter_map(|e| e.seq)
            .collect();
        assert_eq!(seqs, (1..=401).collect::<Vec<_>>());
    }
}
