//! `warroom serve`: REST API v1 over a store, with long-poll wakeups.

pub mod alerts;
pub mod auth;
pub mod error;
pub mod listen;
pub mod openapi;
pub mod paging;
pub mod routes;
pub mod status;
pub mod wake;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::catch_panic::CatchPanicLayer;

use crate::clock::Clock;
use crate::store::Store;
pub use listen::{ConnectionLimits, TlsFiles};
use wake::Wakeups;

/// How `serve` runs: connection limits and, optionally, TLS.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub limits: ConnectionLimits,
    pub tls: Option<listen::TlsConfig>,
    /// The teams this server pages (`[paging]` of `serve --config FILE`); none by default.
    pub paging: crate::paging::PagingConfig,
    /// The public status page (`status.rs`): on by default.
    pub status: status::StatusConfig,
    /// How long resolved alerts are kept (`[alerts]` of `serve --config FILE`; `alerts.rs`):
    /// 30 days by default.
    pub alerts: alerts::AlertsConfig,
}

/// Filled in by the token check, read by the request log: who made the request.
#[derive(Clone, Default)]
pub struct CallerSlot(pub Arc<std::sync::Mutex<Option<String>>>);

/// Filled in once the request has matched a route: its template, for the request log.
#[derive(Clone, Default)]
struct RouteSlot(Arc<std::sync::Mutex<Option<String>>>);

async fn note_route(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if let (Some(slot), Some(path)) = (
        req.extensions().get::<RouteSlot>(),
        req.extensions().get::<axum::extract::MatchedPath>(),
    ) {
        *slot.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(path.as_str().to_string());
    }
    next.run(req).await
}

/// One log line per request: method, route, status, time taken and who asked; never the
/// token, never a body.
async fn log_request(
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let slot = CallerSlot::default();
    let route_slot = RouteSlot::default();
    req.extensions_mut().insert(slot.clone());
    req.extensions_mut().insert(route_slot.clone());
    let response = next.run(req).await;
    // The route's template, never the path as sent (which is the caller's text).
    let route = route_slot
        .0
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .unwrap_or_else(|| "(no route)".into());
    let who = slot
        .0
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .unwrap_or_else(|| "-".into());
    let status = response.status().as_u16();
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    if status >= 500 {
        tracing::warn!(target: "warroom::request", %method, route, status, ms, who, "request");
    } else {
        tracing::info!(target: "warroom::request", %method, route, status, ms, who, "request");
    }
    response
}

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub wake: Arc<Wakeups>,
    pub clock: Arc<dyn Clock>,
    pub tokens: Arc<auth::TokenCache>,
    /// Flips to true when the server is shutting down, ending long-polls at once.
    pub shutdown: watch::Receiver<bool>,
    /// Sends the pages clients request (`paging.rs`).
    pub paging: Arc<crate::paging::Pager>,
    /// The public status page, unless turned off.
    pub status: Option<Arc<status::StatusPage>>,
    /// The languages external updates are written in (`[comms] languages` of `serve
    /// --config`, carried in `Options::status`): with more than one, an external update
    /// without a version in each is refused (`rules::check_languages`).
    pub languages: Arc<[crate::domain::lang::Lang]>,
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    use axum::response::IntoResponse;
    error::ApiError::new(
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "the server hit a bug handling this request; nothing was written by it",
    )
    .into_response()
}

pub fn router(state: AppState) -> Router {
    let router = Router::new();
    let router = if state.status.is_some() {
        router
            .route("/status", get(status::html_page))
            .route("/status.json", get(status::json_page))
            .route("/status/feed.atom", get(status::atom_feed))
    } else {
        router
    };
    router
        .route("/healthz", get(routes::healthz))
        .route("/readyz", get(routes::readyz))
        .route("/api/v1/openapi.json", get(openapi::serve))
        .route("/api/v1/me", get(routes::me))
        .route("/api/v1/paging/teams", get(paging::teams))
        .route("/api/v1/alerts", get(alerts::list).post(alerts::generic))
        .route(
            "/api/v1/alerts/alertmanager",
            axum::routing::post(alerts::alertmanager),
        )
        .route("/api/v1/incidents", get(routes::list).post(routes::declare))
        .route("/api/v1/incidents/{id}", get(routes::show))
        .route(
            "/api/v1/incidents/{id}/events",
            get(routes::events).post(routes::append),
        )
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .layer(DefaultBodyLimit::max(routes::MAX_BODY_BYTES))
        .layer(CatchPanicLayer::custom(panic_response))
        .route_layer(axum::middleware::from_fn(note_route))
        .layer(axum::middleware::from_fn(log_request))
        .with_state(state)
}

/// A running server: where it listens and how to stop it.
pub struct Running {
    pub addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Stops accepting, ends long-polls, lets in-flight requests finish.
    pub async fn shutdown(self) -> std::io::Result<()> {
        let _ = self.stop.send(true);
        self.task
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }
}

/// Binds `listen` (port 0 picks a free port) and serves until [`Running::shutdown`].
pub async fn start(
    listen: SocketAddr,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
) -> std::io::Result<Running> {
    start_with(listen, store, clock, Options::default()).await
}

/// As [`start`], with connection limits and TLS.
pub async fn start_with(
    listen: SocketAddr,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    options: Options,
) -> std::io::Result<Running> {
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let (stop, shutdown) = watch::channel(false);
    let wake = Arc::new(Wakeups::default());
    let languages: Arc<[crate::domain::lang::Lang]> = options.status.languages.clone().into();
    let status = if options.status.enabled {
        Some(status::StatusPage::start(options.status, store.clone(), clock.clone()).await)
    } else {
        None
    };
    {
        let wake = wake.clone();
        let status = status.clone();
        store
            .listen_for_appends(Arc::new(move |incident, seq| {
                if let Some(page) = &status {
                    page.nudged();
                }
                if incident.is_nil() {
                    wake.notify_all()
                } else {
                    wake.notify(incident, seq)
                }
            }))
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))?;
    }
    let state = AppState {
        store,
        wake,
        clock,
        tokens: Arc::default(),
        shutdown: shutdown.clone(),
        paging: paging::pager(options.paging),
        status,
        languages,
    };
    paging::recover(&state);
    alerts::prune_hourly(&state, options.alerts.keep_resolved);
    let app = router(state);
    let task = tokio::spawn(listen::serve(
        listener,
        app,
        options.limits,
        options.tls,
        shutdown,
    ));
    Ok(Running { addr, stop, task })
}
