//! Pages from the command line (`warroom page`, and the pages a `resolve` or `close`
//! closes). In solo mode the CLI sends them itself with the teams of its own config,
//! waiting for the outcome (retries included) and recording it; a failure is the
//! command's error. In shared mode the server sends them. `warroom teams` lists the teams
//! that can be paged: the server's in shared mode, the config's alone.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use chrono::{DateTime, Utc};

use super::Ctx;
use super::incidents::emit;
use super::output::{self, visible_line, with_visible_errors};
use crate::config::Config;
use crate::domain::event::EventKind;
use crate::domain::incident::{Incident, IncidentSummary};
use crate::paging::{PagingConfig, TeamInfo};
use crate::sync::Replica;
use crate::sync::remote::{Remote, RemoteError};
use crate::verbs::Verb;

/// The `[paging]` of `file`, or of the user's config file. No file: no teams (messages name
/// where they would go). A file that cannot be used is an error saying why.
pub fn load_paging(file: Option<&Path>) -> Result<PagingConfig> {
    let mut config = load_config(file)?;
    if config.paging.source.is_empty() {
        config.paging.source = file
            .map(Path::to_path_buf)
            .or_else(Config::user_file)
            .map(|p| p.display().to_string())
            .unwrap_or_default();
    }
    Ok(config.paging)
}

/// The settings in `file`, or in the user's config file when none is given (the defaults
/// when that does not exist). A given file that is missing or broken stops the command,
/// saying why.
pub fn load_config(file: Option<&Path>) -> Result<Config> {
    let Some(path) = file.map(Path::to_path_buf).or_else(Config::user_file) else {
        return Ok(Config::default());
    };
    let shown = path.display().to_string();
    if !path.exists() {
        if file.is_some() {
            bail!("the config file {shown} does not exist");
        }
        return Ok(Config::default());
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read the config file {shown}"))?;
    Config::parse(&text, &shown).map_err(anyhow::Error::msg)
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

/// The teams the server pages (shared mode).
fn server_teams(server: &str, token: &str) -> Result<Vec<TeamInfo>> {
    let remote = Remote::new(server, token).map_err(|e| anyhow!("{e}"))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow!("cannot start the network runtime: {e}"))?;
    let answer = runtime.block_on(async {
        tokio::time::timeout(Duration::from_secs(30), remote.paging_teams())
            .await
            .unwrap_or_else(|_| Err(RemoteError::Offline("timed out".into())))
    });
    match answer {
        Ok(list) => Ok(list),
        Err(RemoteError::Rejected { status: 404, .. }) => bail!(
            "{} does not say which teams it pages: it runs a warroom older than this one",
            remote.base()
        ),
        Err(e) => bail!("cannot read the teams the server pages: {e}"),
    }
}

/// `warroom teams [--json]`: the teams that can be paged, by name and provider (never a
/// key). Shared: the server's; solo: the `[paging]` of this machine's config. No team says
/// where teams are configured.
pub fn teams(ctx: &Ctx, json: bool) -> Result<()> {
    with_visible_errors(|| {
        let (teams, none) = match &ctx.server {
            Some((server, token)) => (
                server_teams(server, token)?,
                format!(
                    "No team can be paged: the server at {server} has no [paging] teams. Its \
                     operator adds [paging.teams.NAME] to the config file it is started with \
                     (`warroom serve --config FILE`)."
                ),
            ),
            None => {
                let config = load_paging(ctx.config.as_deref())?;
                let place = if config.source.is_empty() {
                    "the config file (--config FILE)".to_string()
                } else {
                    config.source.clone()
                };
                (
                    config.listed(),
                    format!(
                        "No team is configured for paging: add [paging.teams.NAME] to {place}, \
                         with provider = \"opsgenie\" and api_key, or provider = \
                         \"pagerduty\" and routing_key."
                    ),
                )
            }
        };
        if json {
            emit(&output::json_pretty(
                &serde_json::json!({ "teams": teams }),
            )?)
        } else if teams.is_empty() {
            output::tell(&none);
            Ok(())
        } else {
            emit(&table(&teams))
        }
    })
}

/// One team a line: its name and provider.
fn table(teams: &[TeamInfo]) -> String {
    let width = teams
        .iter()
        .map(|t| t.name.chars().count())
        .max()
        .unwrap_or(0)
        .max(4);
    let mut out = String::new();
    let _ = writeln!(out, "{:<width$}  PROVIDER", "TEAM");
    for t in teams {
        let _ = writeln!(
            out,
            "{:<width$}  {}",
            visible_line(&t.name),
            t.provider.name()
        );
    }
    out
}
