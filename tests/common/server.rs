//! A warroom server in the test's own process, on a port of 127.0.0.1 the system picks,
//! with the test's tokens put in its store before it starts.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tempfile::TempDir;
use warroom::clock::{Clock, SystemClock};
use warroom::server::{self, Running};
use warroom::store::{SqliteStore, Store, hash_token};

/// What a token lets its holder do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    ReadWrite,
    ReadOnly,
    /// Made read-write, then revoked before the server starts.
    Revoked,
}

/// A token put in the server's store before it starts: who holds it, the secret they send
/// as `Authorization: Bearer`, and what it lets them do.
#[derive(Clone, Copy, Debug)]
pub struct Token {
    pub handle: &'static str,
    pub secret: &'static str,
    pub access: Access,
}

impl Token {
    pub const fn read_write(handle: &'static str, secret: &'static str) -> Token {
        Token {
            handle,
            secret,
            access: Access::ReadWrite,
        }
    }

    pub const fn read_only(handle: &'static str, secret: &'static str) -> Token {
        Token {
            handle,
            secret,
            access: Access::ReadOnly,
        }
    }

    pub const fn revoked(handle: &'static str, secret: &'static str) -> Token {
        Token {
            handle,
            secret,
            access: Access::Revoked,
        }
    }
}

/// Puts `tokens` in `store`, in order; a revoked one is added and then revoked.
pub async fn add_tokens(store: &dyn Store, tokens: &[Token]) {
    for t in tokens {
        store
            .add_token(
                t.handle,
                &hash_token(t.secret),
                t.access == Access::ReadOnly,
            )
            .await
            .unwrap_or_else(|e| panic!("add {}'s token: {e}", t.handle));
        if t.access == Access::Revoked {
            let revoked = store
                .revoke_tokens(t.handle)
                .await
                .unwrap_or_else(|e| panic!("revoke {}'s token: {e}", t.handle));
            assert_eq!(revoked, 1, "revoking {}'s one token", t.handle);
        }
    }
}

/// 127.0.0.1 with no port: the system picks a free one.
fn any_local_port() -> SocketAddr {
    "127.0.0.1:0".parse().expect("an address")
}

/// Serves `store` on `addr`. When the port is still taken (a server on it just closed),
/// tries again until it is free, for at most ten seconds.
pub async fn serve_at(addr: SocketAddr, store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Running {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match server::start(addr, store.clone(), clock.clone()).await {
            Ok(running) => return running,
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => panic!("cannot serve on {addr}: {e}"),
        }
    }
}

/// Puts `tokens` in `store` and serves it on a free port of 127.0.0.1, whatever the store
/// (SQLite, PostgreSQL, or a wrapper a test watches through).
pub async fn serve(store: Arc<dyn Store>, clock: Arc<dyn Clock>, tokens: &[Token]) -> Running {
    add_tokens(store.as_ref(), tokens).await;
    serve_at(any_local_port(), store, clock).await
}

fn system_clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

fn open(db: &Path) -> Arc<SqliteStore> {
    Arc::new(
        SqliteStore::open(db, system_clock())
            .unwrap_or_else(|e| panic!("open the server database {}: {e}", db.display())),
    )
}

/// A warroom server over a SQLite file, on the system clock: stoppable, and startable
/// again on the same file and the same address.
pub struct Server {
    /// Where it listens (127.0.0.1 and the port the system picked at the first start).
    pub addr: SocketAddr,
    /// Its database file.
    pub db: PathBuf,
    /// The store it serves, for reading what the server holds.
    pub store: Arc<SqliteStore>,
    running: Option<Running>,
    /// The temp dir holding `db`, when the server made its own.
    _dir: Option<TempDir>,
}

impl Server {
    /// A new database in a temp dir of the server's own (removed with the server), holding
    /// `tokens`, served on a free port.
    pub async fn start(tokens: &[Token]) -> Server {
        let dir = tempfile::tempdir().expect("a temp dir");
        let mut server = Server::start_at(&dir.path().join("server.db"), tokens).await;
        server._dir = Some(dir);
        server
    }

    /// A new database at `db`, holding `tokens`, served on a free port.
    pub async fn start_at(db: &Path, tokens: &[Token]) -> Server {
        let store = open(db);
        let running = serve(store.clone(), system_clock(), tokens).await;
        Server {
            addr: running.addr,
            db: db.to_path_buf(),
            store,
            running: Some(running),
            _dir: None,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the server: no more connections, long-polls ended. The database stays open.
    pub async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown().await.expect("a clean shutdown");
        }
    }

    /// Serves the same store again on the same address, as a server that only lost its
    /// network for a while.
    pub async fn serve_again(&mut self) {
        self.stop().await;
        let running = serve_at(self.addr, self.store.clone(), system_clock()).await;
        self.running = Some(running);
    }

    /// Serves the same store again on the same address, on `clock`: a server started
    /// later (or with its clock moved on), for what it does at start.
    pub async fn serve_again_on(&mut self, clock: Arc<dyn Clock>) {
        self.stop().await;
        let running = serve_at(self.addr, self.store.clone(), clock).await;
        self.running = Some(running);
    }

    /// A new server process's worth of state (store, wake-ups, token cache) on the same
    /// database and the same address.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.store = open(&self.db);
        let running = serve_at(self.addr, self.store.clone(), system_clock()).await;
        self.running = Some(running);
    }

    /// Stops the server and closes its database, after every write it accepted is in the
    /// file.
    pub async fn close(mut self) {
        self.stop().await;
        self.store.close();
    }
}
