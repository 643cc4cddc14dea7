//! Accepting connections, so that slow or hostile clients cannot starve honest ones.
//!
//! - A connection that has sent no complete request within the header timeout (10 s), or
//!   that sits idle between requests longer than the idle timeout, is closed.
//! - At most `max_connections` are open at once. When the cap is reached, the oldest
//!   connection with no request in flight makes room for the new one, so a flood of idle
//!   or half-open connections cannot keep `/healthz` from answering; only requests really
//!   being served (a long-poll, say) hold their place.
//! - With TLS, the handshake must also finish within the header timeout.
//! - Stopping stops accepting, lets requests in flight finish, and closes idle connections.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio::time::Instant;

/// How the server treats connections.
#[derive(Clone, Debug)]
pub struct ConnectionLimits {
    /// Longest wait for a new connection's first complete request (and TLS handshake).
    pub header_timeout: Duration,
    /// Longest a connection may sit with no request between two of them.
    pub idle_timeout: Duration,
    /// Most connections open at once.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(75),
            max_connections: 4096,
        }
    }
}

/// The certificate chain and private key `serve` presents, both PEM files.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TlsFiles {
    /// Reads the files into a TLS server configuration, with a clear message on failure.
    pub fn load(&self) -> Result<Arc<rustls::ServerConfig>, String> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&self.cert)
            .and_then(|it| it.collect::<Result<Vec<_>, _>>())
            .map_err(|e| format!("--tls-cert {}: {e}", self.cert.display()))?;
        if certs.is_empty() {
            return Err(format!(
                "--tls-cert {}: no PEM certificate in it",
                self.cert.display()
            ));
        }
        let key = PrivateKeyDer::from_pem_file(&self.key)
            .map_err(|e| format!("--tls-key {}: {e}", self.key.display()))?;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| {
                format!(
                    "--tls-cert {} and --tls-key {} do not make a usable pair: {e}",
                    self.cert.display(),
                    self.key.display()
                )
            })?;
        Ok(Arc::new(config))
    }
}

/// The TLS configuration in force; replaced whole when the files are read again.
pub type TlsConfig = Arc<Mutex<Arc<rustls::ServerConfig>>>;

struct Slot {
    in_flight: Arc<AtomicUsize>,
    close: Arc<Notify>,
}

/// The open connections, oldest first.
#[derive(Default)]
struct Registry {
    slots: Mutex<BTreeMap<u64, Slot>>,
    next: AtomicU64,
    emptied: Notify,
}

impl Registry {
    /// Makes room for one more connection when `max` are open: the oldest one with no
    /// request in flight is told to close. Answers false when every one is busy.
    fn make_room(&self, max: usize) -> bool {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        if slots.len() < max {
            return true;
        }
        let idle = slots
            .iter()
            .find(|(_, s)| s.in_flight.load(Ordering::Acquire) == 0)
            .map(|(id, _)| *id);
        match idle {
            Some(id) => {
                if let Some(slot) = slots.remove(&id) {
                    slot.close.notify_one();
                }
                true
            }
            None => false,
        }
    }

    fn add(&self, in_flight: Arc<AtomicUsize>, close: Arc<Notify>) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.slots
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, Slot { in_flight, close });
        id
    }

    fn remove(&self, id: u64) {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        slots.remove(&id);
        if slots.is_empty() {
            self.emptied.notify_waiters();
        }
    }

    fn len(&self) -> usize {
        self.slots.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    fn close_all(&self) {
        for slot in self
            .slots
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
        {
            slot.close.notify_one();
        }
    }
}

/// Counts a connection's requests (in flight and served) and when it last saw one.
#[derive(Clone)]
struct Activity {
    in_flight: Arc<AtomicUsize>,
    served: Arc<AtomicU64>,
    last: Arc<Mutex<Instant>>,
}

impl Activity {
    fn new() -> Self {
        Activity {
            in_flight: Arc::new(AtomicUsize::new(0)),
            served: Arc::new(AtomicU64::new(0)),
            last: Arc::new(Mutex::new(Instant::now())),
        }
    }

    fn touch(&self) {
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
    }

    fn idle_since(&self) -> Option<Instant> {
        if self.in_flight.load(Ordering::Acquire) > 0 {
            None
        } else {
            Some(*self.last.lock().unwrap_or_else(|e| e.into_inner()))
        }
    }
}

/// Decrements the in-flight count when the response is done (or dropped).
struct InFlight(Activity);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Serves `app` on `listener` until `stop` turns true; then waits for the connections.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    tls: Option<TlsConfig>,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let registry = Arc::new(Registry::default());
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stop.wait_for(|s| *s) => break,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of file descriptors, most often: wait a little rather than spin.
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        if !registry.make_room(limits.max_connections) {
            tracing::warn!(
                "{} connections, every one busy: refusing {peer}",
                limits.max_connections
            );
            drop(stream);
            continue;
        }
        let _ = stream.set_nodelay(true);
        let activity = Activity::new();
        let close = Arc::new(Notify::new());
        let id = registry.add(activity.in_flight.clone(), close.clone());
        let (app, limits, tls, stop) = (app.clone(), limits.clone(), tls.clone(), stop.clone());
        let registry = registry.clone();
        tokio::spawn(async move {
            match tls {
                None => connection(stream, app, &limits, activity, close, stop).await,
                Some(tls) => {
                    let config = tls.lock().unwrap_or_else(|e| e.into_inner()).clone();
                    let acceptor = tokio_rustls::TlsAcceptor::from(config);
                    // A handshake is idle as far as the cap is concerned: made room for, it ends.
                    let handshake = tokio::select! {
                        done = tokio::time::timeout(limits.header_timeout, acceptor.accept(stream)) => Some(done),
                        _ = close.notified() => None,
                    };
                    match handshake {
                        Some(Ok(Ok(stream))) => {
                            connection(stream, app, &limits, activity, close, stop).await
                        }
                        Some(Ok(Err(e))) => {
                            tracing::debug!("TLS handshake with {peer} failed: {e}")
                        }
                        Some(Err(_)) => tracing::debug!("TLS handshake with {peer} timed out"),
                        None => tracing::debug!("TLS handshake with {peer} made room for another"),
                    }
                }
            }
            registry.remove(id);
        });
    }
    drop(listener);
    // Requests in flight finish (long-polls are answered by the shutdown signal); idle
    // connections close now.
    registry.close_all();
    let deadline = Instant::now() + Duration::from_secs(30);
    while registry.len() > 0 {
        let emptied = registry.emptied.notified();
        if registry.len() == 0 {
            break;
        }
        if tokio::time::timeout_at(deadline, emptied).await.is_err() {
            tracing::warn!("{} connections still open at shutdown", registry.len());
            break;
        }
    }
    Ok(())
}

async fn connection<S>(
    stream: S,
    app: Router,
    limits: &ConnectionLimits,
    activity: Activity,
    close: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let counted = activity.clone();
    let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
        let guard = {
            counted.in_flight.fetch_add(1, Ordering::AcqRel);
            counted.served.fetch_add(1, Ordering::AcqRel);
            counted.touch();
            InFlight(counted.clone())
        };
        let mut app = app.clone();
        async move {
            use tower::Service;
            let response = app.call(req).await;
            // The count drops when the response head is ready; a streamed body is short.
            drop(guard);
            response
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let first_deadline = Instant::now() + limits.header_timeout;
    let mut check = tokio::time::interval(Duration::from_millis(250));
    check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut stopping = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!("connection ended: {e}");
                }
                return;
            }
            _ = close.notified() => {
                if activity.idle_since().is_some() {
                    return;
                }
                conn.as_mut().graceful_shutdown();
            }
            _ = stop.wait_for(|s| *s), if !stopping => {
                stopping = true;
                conn.as_mut().graceful_shutdown();
            }
            _ = check.tick() => {
                let Some(since) = activity.idle_since() else {
                    continue;
                };
                let limit = if activity.served.load(Ordering::Acquire) > 0 {
                    since + limits.idle_timeout
                } else {
                    first_deadline
                };
                if Instant::now() >= limit {
                    return;
                }
            }
        }
    }
}

/// The address a client reaches the server on is this machine only.
pub fn is_loopback(addr: &SocketAddr) -> bool {
    addr.ip().is_loopback()
}

/// Raises this process's soft limit on open files to its hard limit, so a crowd of
/// clients meets the connection cap rather than the descriptor limit. Answers the limit
/// before and after.
pub fn raise_file_limit() -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        let (before, _) = rlimit::getrlimit(rlimit::Resource::NOFILE).ok()?;
        let after = rlimit::increase_nofile_limit(u64::MAX).ok()?;
        Some((before, after))
    }
    #[cfg(not(unix))]
    {
        None
    }
}
