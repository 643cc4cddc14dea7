//! `warroom serve` and `warroom token`.

use crate::domain::rules::Rules;
use std::net::SocketAddr;
use std::path::Path;

use anyhow::{Context, Result, bail};

use super::Ctx;
use crate::server;
use crate::server::auth::new_token;
use crate::store::{self, Store, hash_token};

/// The store a `--db` names, or the server's SQLite file in the data dir.
pub fn db_spec(ctx: &Ctx, db: Option<&str>) -> String {
    match db {
        Some(d) => d.to_string(),
        None => ctx.data_dir.join("server.db").display().to_string(),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// SIGINT or SIGTERM, listened for from the moment this is called (before anything is
/// announced), so a stop that arrives early is still a graceful one.
fn stop_signals() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => Box::pin(async move {
                tokio::select! {
                    _ = term.recv() => {},
                    _ = int.recv() => {},
                }
            }),
            _ => Box::pin(async {
                let _ = tokio::signal::ctrl_c().await;
            }),
        }
    }
    #[cfg(not(unix))]
    {
        Box::pin(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}

/// How `serve` runs, beyond where it listens and what it stores.
pub struct ServeSettings {
    pub rules: Rules,
    pub tls: Option<server::TlsFiles>,
    pub limits: server::ConnectionLimits,
    pub json_logs: bool,
    /// The teams this server pages: the `[paging]` of `--config FILE`.
    pub paging: crate::paging::PagingConfig,
    /// The public status page: `[status_page]` and `[comms] languages` of `--config FILE`.
    pub status: server::status::StatusConfig,
    /// How long resolved alerts are kept: `[alerts]` of `--config FILE`.
    pub alerts: server::alerts::AlertsConfig,
}

/// How long the server keeps resolved alerts: `[alerts] keep_resolved` of `--config FILE`
/// (or of the user's config file), 30 days unless set. A file that cannot be used stops
/// the start, saying why.
pub fn alerts_config(file: Option<&Path>) -> Result<server::alerts::AlertsConfig> {
    let config = super::page::load_config(file)?;
    Ok(server::alerts::AlertsConfig {
        keep_resolved: config.keep_resolved,
    })
}

/// The public status page's settings: `[status_page]` of `--config FILE` (or of the user's
/// config file), with the languages of `[comms]`; `enabled` false for `--no-status-page`.
pub fn status_config(file: Option<&Path>, enabled: bool) -> Result<server::status::StatusConfig> {
    let config = super::page::load_config(file)?;
    let mut status = server::status::StatusConfig::default();
    let settings = config.status_page;
    status.enabled = enabled && settings.enabled;
    if !settings.title.is_empty() {
        status.title = settings.title;
    }
    status.intro = settings.intro;
    status.url = settings.url;
    status.languages = config.languages;
    Ok(status)
}

/// The teams the server pages: the `[paging]` of `--config FILE`, or of the user's
/// config file when there is one. A file that cannot be used stops the start, saying why.
pub fn paging_config(file: Option<&Path>) -> Result<crate::paging::PagingConfig> {
    let mut paging = super::page::load_paging(file)?;
    // Refusals name it so to clients, who cannot see the file.
    paging.source = "this server's config".into();
    Ok(paging)
}

/// Logs go to stderr: one line per request, database errors, start and stop. `RUST_LOG`
/// chooses what (default `info`); `--log-format json` writes one JSON object a line.
fn start_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

pub fn serve(
    ctx: &Ctx,
    listen: SocketAddr,
    db: Option<&str>,
    settings: ServeSettings,
) -> Result<()> {
    start_logging(settings.json_logs);
    let spec = db_spec(ctx, db);
    let clock = ctx.clock.clone();
    let tls = match &settings.tls {
        Some(files) => Some(std::sync::Arc::new(std::sync::Mutex::new(
            files.load().map_err(anyhow::Error::msg)?,
        ))),
        None => None,
    };
    if let Some((before, after)) = server::listen::raise_file_limit()
        && after > before
    {
        tracing::info!("open-file limit raised from {before} to {after}");
    }
    runtime()?.block_on(async move {
        let stopped = stop_signals();
        let store = store::open(&spec, clock.clone(), settings.rules).await?;
        let described = store.describe();
        let options = server::Options {
            limits: settings.limits,
            tls: tls.clone(),
            paging: settings.paging,
            status: settings.status,
            alerts: settings.alerts,
        };
        let running = server::start_with(listen, store, clock, options)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        // One line, flushed at once: scripts and tests read the address from it.
        {
            // A reader of this line that went away is no reason to stop serving.
            use std::io::Write;
            let mut out = std::io::stdout();
            let _ = writeln!(
                out,
                "warroom serve: listening on {scheme}://{} using {described}",
                running.addr
            );
            let _ = out.flush();
        }
        tracing::info!("listening on {scheme}://{} using {described}", running.addr);
        if tls.is_none() && !server::listen::is_loopback(&running.addr) {
            tracing::warn!(
                "listening on {} without TLS: tokens and incidents cross the network in \
                 clear. Pass --tls-cert and --tls-key, or put a TLS proxy in front and \
                 listen on 127.0.0.1",
                running.addr
            );
        }
        #[cfg(unix)]
        if let (Some(tls), Some(files)) = (tls, settings.tls) {
            tokio::spawn(reload_tls_on_hangup(tls, files));
        }
        stopped.await;
        tracing::info!("shutting down; finishing requests in flight");
        running.shutdown().await?;
        tracing::info!("stopped");
        Ok(())
    })
}

/// SIGHUP reads the certificate and key again (a renewed certificate, without a restart);
/// new connections use them, and a broken pair keeps the old one in force.
#[cfg(unix)]
async fn reload_tls_on_hangup(tls: server::listen::TlsConfig, files: server::TlsFiles) {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut hup) = signal(SignalKind::hangup()) else {
        return;
    };
    while hup.recv().await.is_some() {
        match files.load() {
            Ok(config) => {
                *tls.lock().unwrap_or_else(|e| e.into_inner()) = config;
                tracing::info!("TLS certificate and key read again");
            }
            Err(e) => tracing::error!("TLS reload failed, keeping the old certificate: {e}"),
        }
    }
}

/// The handle a token is made for, by the one rule for handles (`rules::check_handle`).
fn valid_token_handle(handle: &str) -> Result<&str> {
    let handle = handle.trim();
    crate::domain::rules::check_handle("the token's handle", handle)
        .map_err(|r| anyhow::anyhow!(r.message))?;
    Ok(handle)
}

/// The server's store for token commands. Only `token create` may create it (so tokens
/// can be made before the first start); listing or revoking never makes a new file.
async fn open_for_tokens(
    ctx: &Ctx,
    db: Option<&str>,
    create: bool,
) -> Result<std::sync::Arc<dyn Store>> {
    let spec = db_spec(ctx, db);
    let path = spec
        .strip_prefix("sqlite://")
        .or_else(|| spec.strip_prefix("sqlite:"))
        .unwrap_or(&spec);
    if !spec.contains("://") && !Path::new(path).exists() {
        if !create {
            bail!("there is no server database at {path} (make a token first, or pass --db)");
        }
        eprintln!("warroom: creating the server database {path}");
    }
    Ok(store::open(&spec, ctx.clock.clone(), Rules::default()).await?)
}

pub fn token_create(ctx: &Ctx, handle: &str, read_only: bool, db: Option<&str>) -> Result<()> {
    let handle = valid_token_handle(handle)?;
    runtime()?.block_on(async {
        let store = open_for_tokens(ctx, db, true).await?;
        let token = new_token();
        store
            .add_token(handle, &hash_token(&token), read_only)
            .await?;
        super::incidents::emit(&format!("{token}\n"))?;
        eprintln!(
            "token for {handle}{} made; it is shown only this once",
            if read_only { " (read-only)" } else { "" }
        );
        Ok(())
    })
}

pub fn token_list(ctx: &Ctx, db: Option<&str>) -> Result<()> {
    runtime()?.block_on(async {
        let store = open_for_tokens(ctx, db, false).await?;
        let tokens = store.tokens().await?;
        if tokens.is_empty() {
            eprintln!("no tokens yet: warroom token create HANDLE");
        }
        for t in tokens {
            let access = if t.read_only {
                "read-only"
            } else {
                "read-write"
            };
            let state = match t.revoked_at {
                Some(r) => format!("revoked {}", r.format("%Y-%m-%d %H:%M UTC")),
                None => "live".to_string(),
            };
            super::incidents::emit(&format!(
                "{:<20} {access:<10} created {}  {state}\n",
                crate::domain::describe::visible_line(&t.handle),
                t.created_at.format("%Y-%m-%d %H:%M UTC")
            ))?;
        }
        Ok(())
    })
}

pub fn token_revoke(ctx: &Ctx, handle: &str, db: Option<&str>) -> Result<()> {
    runtime()?.block_on(async {
        let store = open_for_tokens(ctx, db, false).await?;
        let n = store.revoke_tokens(handle).await?;
        if n == 0 {
            bail!("{handle} has no live token");
        }
        super::incidents::emit(&format!("revoked {n} token(s) of {handle}\n"))?;
        Ok(())
    })
}
