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

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {},
                    _ = term.recv() => {},
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

pub fn serve(ctx: &Ctx, listen: SocketAddr, db: Option<&str>, rules: Rules) -> Result<()> {
    let spec = db_spec(ctx, db);
    let clock = ctx.clock.clone();
    runtime()?.block_on(async move {
        let store = store::open(&spec, clock.clone(), rules).await?;
        let described = store.describe();
        let running = server::start(listen, store, clock)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        // One line, flushed at once: scripts and tests read the address from it.
        println!(
            "warroom serve: listening on http://{} using {described}",
            running.addr
        );
        use std::io::Write;
        let _ = std::io::stdout().flush();
        shutdown_signal().await;
        eprintln!("warroom serve: shutting down; finishing requests in flight");
        running.shutdown().await?;
        eprintln!("warroom serve: stopped");
        Ok(())
    })
}

fn valid_token_handle(handle: &str) -> Result<()> {
    if handle.trim().is_empty() || handle.len() > 64 || handle.chars().any(char::is_whitespace) {
        bail!("`{handle}` is not a usable handle: 1 to 64 characters, no spaces");
    }
    Ok(())
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
    valid_token_handle(handle)?;
    runtime()?.block_on(async {
        let store = open_for_tokens(ctx, db, true).await?;
        let token = new_token();
        store
            .add_token(handle, &hash_token(&token), read_only)
            .await?;
        println!("{token}");
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
            println!(
                "{:<20} {access:<10} created {}  {state}",
                t.handle,
                t.created_at.format("%Y-%m-%d %H:%M UTC")
            );
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
        println!("revoked {n} token(s) of {handle}");
        Ok(())
    })
}
