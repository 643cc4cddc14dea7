//! Pages from the command line (`warroom page`, and the pages a `resolve` or `close`
//! closes). In solo mode the CLI sends them itself with the teams of its own config,
//! waiting for the outcome (retries included) and recording it; a failure is the
//! command's error. In shared mode the server sends them.

use std::path::Path;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};

use super::Ctx;
use super::output;
use crate::config::Config;
use crate::domain::event::EventKind;
use crate::domain::incident::{Incident, IncidentSummary};
use crate::paging::PagingConfig;
use crate::sync::Replica;
use crate::verbs::Verb;

/// The `[paging]` of `file`, or of the user's config file. No file: no teams (messages name
/// where they would go). A file that cannot be used is an error saying why.
pub fn load_paging(file: Option<&Path>) -> Result<PagingConfig> {
    let Some(path) = file.map(Path::to_path_buf).or_else(Config::user_file) else {
        return Ok(PagingConfig::default());
    };
    let shown = path.display().to_string();
    if !path.exists() {
        if file.is_some() {
            bail!("the config file {shown} does not exist");
        }
        return Ok(PagingConfig {
            source: shown,
            ..PagingConfig::default()
        });
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read the config file {shown}"))?;
    let config = Config::parse(&text, &shown).map_err(anyhow::Error::msg)?;
    Ok(config.paging)
}

/// Before a verb's events are recorded on `state`, in solo mode: the teams its pages name
/// must be in this machine's config (their provider is filled in). Answers the teams when,
/// once recorded, there are pages to send or close. A config that cannot be used stops a
/// page; a resolve still goes through, and each page it should close records why not.
pub fn prepare(
    ctx: &Ctx,
    replica: &Replica,
    state: &Incident,
    kinds: &mut [(DateTime<Utc>, EventKind)],
) -> Result<Option<PagingConfig>> {
    if replica.is_shared() || !crate::paging::solo::needs_settle(state, kinds) {
        return Ok(None);
    }
    let paging = kinds
        .iter()
        .any(|(_, k)| matches!(k, EventKind::PageRequested { .. }));
    let config = match load_paging(ctx.config.as_deref()) {
        Ok(c) => c,
        Err(e) if !paging => PagingConfig {
            problem: Some(format!("the paging config could not be used: {e:#}")),
            ..PagingConfig::default()
        },
        Err(e) => return Err(e),
    };
    crate::paging::solo::fill_providers(kinds, &config).map_err(anyhow::Error::msg)?;
    Ok(Some(config))
}

/// After the verb is recorded: in solo mode sends what the incident's pages need and says
/// what became of each (a failure is the command's error); in shared mode says who sends.
pub fn deliver(
    replica: &Replica,
    inc: &IncidentSummary,
    verb: &Verb,
    paging: Option<PagingConfig>,
) -> Result<()> {
    let Some(config) = paging else {
        if replica.is_shared() && matches!(verb, Verb::Page { .. }) {
            output::tell(&format!(
                "The server sends the page and records what became of it: `warroom events {}`.",
                inc.short_id
            ));
        }
        return Ok(());
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let reports = runtime.block_on(crate::paging::solo::settle(replica, inc.id, config));
    let mut failed = Vec::new();
    for r in &reports {
        if r.is_failure() {
            failed.push(r.line());
        } else {
            output::tell(&r.line());
        }
    }
    if !failed.is_empty() {
        bail!("{}", failed.join("; "));
    }
    Ok(())
}
