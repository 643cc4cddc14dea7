//! The command line: parses, then hands off to one function per subcommand.

mod acts;
mod alerts;
mod comms_cmds;
mod incidents;
mod learn;
mod output;
mod page;
mod server_cmds;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Local, Utc};
use clap::{Parser, Subcommand, ValueEnum};

use crate::clock::{Clock, SystemClock};
use crate::domain::time::parse_when;
use crate::sync::Replica;
pub use crate::verbs::{AudienceArg, CommandAnswer, ImpactMark, PrivacyArg, Verb};

#[derive(Parser, Debug)]
#[command(
    name = "warroom",
    version,
    about = "A terminal console for incident commanders",
    long_about = "warroom keeps one incident's timeline, roles, board, comms and fatigue clocks in \
                  one place. `warroom` alone opens the console (`warroom demo` shows a living \
                  incident); the commands below script the same workflow. Run it alone (solo, \
                  the default) or shared through `warroom serve`."
)]
pub struct Cli {
    /// Where warroom keeps its files [default: the XDG data dir, e.g. ~/.local/share/warroom]
    #[arg(long, global = true, env = "WARROOM_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Who you are in solo mode [default: your login name]
    #[arg(long = "as", global = true, env = "WARROOM_AS", value_name = "HANDLE")]
    pub as_handle: Option<String>,

    /// Shared mode: the warroom server to sync with
    #[arg(long, global = true, env = "WARROOM_SERVER", value_name = "URL")]
    pub server: Option<String>,

    /// Shared mode: trust this CA certificate (PEM) besides the system's, for a server
    /// whose certificate your own CA signed
    #[arg(long, global = true, env = "WARROOM_CA_CERT", value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,

    /// Shared mode: your API token (from `warroom token create`)
    #[arg(
        long,
        global = true,
        env = "WARROOM_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,

    /// The console: open this incident (short id, UUID or prefix) instead of the list
    #[arg(long, value_name = "INCIDENT")]
    pub incident: Option<String>,

    /// The console: a keymap file [default: ~/.config/warroom/keymap.toml]
    #[arg(long, global = true, env = "WARROOM_KEYMAP", value_name = "FILE")]
    pub keymap: Option<PathBuf>,

    /// A settings file: the console's, and the teams to page ([paging]; `serve` reads
    /// only those) [default: ~/.config/warroom/config.toml]
    #[arg(long, global = true, env = "WARROOM_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Print JSON instead of text (lists, reports; for acts, the events recorded)
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    #[command(flatten)]
    Act(Verb),
    /// Declare a new incident; prints its short id alone on stdout
    Declare {
        /// One line saying what is wrong, e.g. "Card payments failing at checkout"
        #[arg(long, required_unless_present = "from_alert")]
        title: Option<String>,
        /// 1 critical, 2 major, 3 minor (see `warroom severities`); from an alert, its
        /// severity label when this is left out
        #[arg(
            long,
            value_parser = clap::value_parser!(u8).range(1..=3),
            required_unless_present = "from_alert"
        )]
        severity: Option<u8>,
        /// A sentence or two on the current state and impact
        #[arg(long, default_value = "", conflicts_with = "from_alert")]
        summary: String,
        /// When impact started, if known: `21:40`, `-15m`, `2026-11-26T21:40:00Z`, ...
        #[arg(
            long,
            value_name = "TIME",
            allow_hyphen_values = true,
            conflicts_with = "from_alert"
        )]
        started_at: Option<String>,
        /// Only you and whoever the IC grants can see it (security and privacy incidents)
        #[arg(long)]
        restricted: bool,
        /// Declare from an alert (its id or a unique prefix of its fingerprint, see
        /// `warroom alerts`): its name and summary, detection when it fired, the alert
        /// linked (shared mode)
        #[arg(long, value_name = "ALERT", conflicts_with = "title")]
        from_alert: Option<String>,
    },
    /// The alerts the server holds, firing first (shared mode)
    Alerts {
        /// Resolved alerts too
        #[arg(long)]
        all: bool,
    },
    /// Attach an alert to an incident: later alerts of its group reach its timeline
    LinkAlert {
        /// Short id, UUID, or a unique prefix of either
        incident: String,
        /// The alert's id or a unique prefix of its fingerprint
        alert: String,
    },
    /// List incidents, newest first
    Incidents,
    /// Show an incident's folded state
    Show {
        /// Short id, UUID, or a unique prefix of either
        incident: String,
    },
    /// Print an incident's events in order (JSON Lines with --json)
    Events { incident: String },
    /// Seed a realistic demo incident (the first hour of an outage)
    Demo {
        /// Only seed it and print its short id
        #[arg(long)]
        no_tui: bool,
        /// Seed it as a restricted incident
        #[arg(long)]
        restricted: bool,
    },
    /// The severity levels and what they mean
    Severities,
    /// The teams that can be paged: the server's in shared mode, else those of [paging]
    /// in the config file
    Teams,
    /// Where this machine stands: solo or shared, the link, pending changes, last sync
    Status,
    /// Shared mode: deliver pending changes and bring this machine's copy up to date
    Sync {
        /// Delete changes the server refused (they are listed first)
        #[arg(long)]
        drop_rejected: bool,
    },
    /// Write the blameless postmortem report (Markdown)
    Postmortem {
        incident: String,
        /// Write it to this file instead of stdout
        #[arg(long, value_name = "FILE")]
        out: Option<String>,
        /// Write it even if the blame check flags passages
        #[arg(long)]
        force: bool,
    },
    /// Add or complete an incident's action items
    Action {
        #[command(subcommand)]
        action: ActionCmd,
    },
    /// Action items across incidents
    Actions {
        /// Only those past their due date and not done
        #[arg(long)]
        overdue: bool,
    },
    /// TTD and TTR across incidents, by severity (drills left out)
    Stats {
        /// Only incidents declared since this time, e.g. 2026-01-01 or -30d
        #[arg(long, value_name = "DATE", allow_hyphen_values = true)]
        since: Option<String>,
    },
    /// The known-error database: symptoms, root causes, workarounds
    Kedb {
        #[command(subcommand)]
        action: KedbCmd,
    },
    /// Play a scripted drill into a new incident marked as a drill (no name: list them)
    Drill {
        scenario: Option<String>,
        /// Play faster than real time, e.g. 10
        #[arg(long, default_value_t = 1.0)]
        speed: f64,
        /// Play it into a restricted incident
        #[arg(long)]
        restricted: bool,
    },
    /// Status updates: check a draft against the comms checklist
    Comms {
        #[command(subcommand)]
        action: CommsAction,
    },
    /// Run the shared backend (REST API v1)
    Serve {
        /// Address to listen on (port 0 picks a free one)
        #[arg(long, default_value = "127.0.0.1:7878")]
        listen: std::net::SocketAddr,
        /// A SQLite path (or sqlite:PATH), or a postgres:// URL [default: DATA_DIR/server.db]
        #[arg(long, value_name = "PATH_OR_URL", env = "WARROOM_DB")]
        db: Option<String>,
        /// How long the incident commander must be silent on an incident before someone
        /// else may take command without their consent
        #[arg(long, value_name = "SPAN", default_value = "15m")]
        take_command_after: String,
        /// Serve HTTPS with this certificate chain (PEM); needs --tls-key. SIGHUP reads it
        /// again
        #[arg(long, value_name = "FILE", requires = "tls_key")]
        tls_cert: Option<std::path::PathBuf>,
        /// The private key of --tls-cert (PEM)
        #[arg(long, value_name = "FILE", requires = "tls_cert")]
        tls_key: Option<std::path::PathBuf>,
        /// Most connections open at once; beyond it, idle ones make room
        #[arg(long, value_name = "N", default_value_t = 4096)]
        max_connections: usize,
        /// Seconds a new connection has to send a complete request (and finish TLS)
        #[arg(long, value_name = "SECS", default_value_t = 10)]
        header_timeout: u64,
        /// Seconds a connection may sit idle between requests
        #[arg(long, value_name = "SECS", default_value_t = 75)]
        idle_timeout: u64,
        /// Log lines as text or as JSON objects (RUST_LOG chooses what is logged)
        #[arg(long, value_enum, default_value = "text")]
        log_format: LogFormat,
        /// Do not publish the public status page (/status, /status.json,
        /// /status/feed.atom)
        #[arg(long)]
        no_status_page: bool,
    },
    /// Make, list and revoke the server's API tokens
    Token {
        #[command(subcommand)]
        action: TokenAction,
        /// The server's database, as for `serve --db`
        #[arg(long, global = true, value_name = "PATH_OR_URL", env = "WARROOM_DB")]
        db: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum ActionCmd {
    /// Add an action item: an owner role and a due date (default: some weeks after resolution)
    Add {
        incident: String,
        text: String,
        /// IC, CL, PL, OL or PO
        #[arg(long, default_value = "po")]
        owner: String,
        /// YYYY-MM-DD [default: 8 weeks after resolution; [postmortem] action_due in the config]
        #[arg(long)]
        due: Option<String>,
    },
    /// Mark an action item done (A1, A2, ... or a prefix of its id)
    Done { incident: String, item: String },
}

#[derive(Subcommand, Debug)]
pub enum KedbCmd {
    /// Record a known error; prints its key
    Add {
        #[arg(long, default_value = "")]
        symptom: String,
        #[arg(long, default_value = "")]
        root_cause: String,
        #[arg(long, default_value = "")]
        workaround: String,
        /// Link it to this incident
        #[arg(long)]
        incident: Option<String>,
        /// Fill it from an incident's postmortem (title, supported theories) and link it
        #[arg(long, value_name = "INCIDENT")]
        from_postmortem: Option<String>,
    },
    /// Search, best match first (typos and prefixes are fine)
    Search {
        #[arg(required = true, num_args = 1..)]
        query: Vec<String>,
    },
    Show {
        key: String,
    },
    /// Link a known error to an incident
    Link {
        key: String,
        incident: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum CommsAction {
    /// Check a draft (a file, or - for stdin); prints every rule, exits 0 only if all pass
    Check {
        /// The draft, or - to read it from standard input
        file: String,
        #[arg(long, value_enum, default_value = "internal")]
        audience: AudienceArg,
        /// Check it as the final message at resolution (the recap rules)
        #[arg(long = "final")]
        final_message: bool,
        /// The incident's severity: the title must carry it
        #[arg(long, value_parser = clap::value_parser!(u8).range(1..=3))]
        severity: Option<u8>,
        /// The language it is written in: en or fr [default: the first of `[comms] languages`]
        #[arg(long, value_name = "LANG")]
        lang: Option<String>,
    },
    /// Print a template: first, update, external, final-internal or final-external
    Template {
        name: String,
        /// Fill it in from this incident
        #[arg(long)]
        incident: Option<String>,
        /// The language: en or fr [default: the first of `[comms] languages`]
        #[arg(long, value_name = "LANG")]
        lang: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenAction {
    /// Make a token for HANDLE; prints it alone on stdout, once
    Create {
        handle: String,
        /// Can read everything and write nothing (stakeholders, status screens)
        #[arg(long)]
        read_only: bool,
    },
    /// List tokens (never the tokens themselves)
    List,
    /// Revoke every token of HANDLE
    Revoke { handle: String },
}

/// What every command needs: where the data lives, who is acting, and the clock.
pub struct Ctx {
    pub data_dir: PathBuf,
    pub handle: String,
    pub clock: Arc<dyn Clock>,
    /// Shared mode: the server and token.
    pub server: Option<(String, String)>,
    /// The settings file given (`--config`); `None`: the user's.
    pub config: Option<PathBuf>,
}

impl Ctx {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Reads a time as typed, in this machine's local zone where none is given.
    pub fn parse_time(&self, input: &str) -> Result<DateTime<Utc>> {
        parse_when(input, self.now(), Local).map_err(anyhow::Error::msg)
    }

    /// The replica, created if missing (for commands that write).
    pub fn replica(&self) -> Result<Replica> {
        match &self.server {
            None => Replica::open_solo(&self.data_dir, &self.handle, self.clock.clone()),
            Some((server, token)) => Replica::open_shared(
                &self.data_dir,
                server,
                token,
                &self.handle,
                self.clock.clone(),
            ),
        }
        .map_err(anyhow::Error::from)
    }

    /// The replica for reading, freshly synced in shared mode (offline: says so on stderr
    /// and reads this machine's copy). In solo mode, reading never creates files.
    pub fn existing_replica(&self) -> Result<Option<Replica>> {
        self.fresh_replica(true)
    }

    /// As [`Ctx::existing_replica`], for a command about to write: the write reports any
    /// trouble with the server itself, so the refresh stays quiet.
    pub fn replica_for_writing(&self) -> Result<Option<Replica>> {
        self.fresh_replica(false)
    }

    fn fresh_replica(&self, announce: bool) -> Result<Option<Replica>> {
        if self.server.is_none() && !crate::sync::solo_path(&self.data_dir).exists() {
            return Ok(None);
        }
        let replica = self.replica()?;
        if let Some(warning) = replica.refresh()
            && announce
        {
            eprintln!(
                "warroom: {}",
                crate::domain::describe::visible_line(&warning)
            );
        }
        Ok(Some(replica))
    }
}

/// Who this run acts as (`--as`, `WARROOM_AS`, else the login name), by the one rule for
/// handles (`rules::check_handle`).
fn valid_handle(h: &str) -> Result<String> {
    let h = h.trim();
    crate::domain::rules::check_handle("--as", h).map_err(|r| anyhow::anyhow!(r.message))?;
    Ok(h.to_string())
}

fn default_handle() -> String {
    ["WARROOM_AS", "USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()))
        .unwrap_or_else(|| "responder".to_string())
}

pub fn run(cli: Cli) -> Result<()> {
    let data_dir = match cli.data_dir.clone() {
        Some(d) => d,
        None => dirs::data_dir()
            .map(|d| d.join("warroom"))
            .context("cannot find a data directory for this user: pass --data-dir")?,
    };
    let handle = valid_handle(&cli.as_handle.clone().unwrap_or_else(default_handle))?;
    let server = match (cli.server.filter(|s| !s.trim().is_empty()), cli.token) {
        (Some(s), Some(t)) => Some((s, t)),
        (Some(_), None) => bail!(
            "--server needs a token too: pass --token or set WARROOM_TOKEN \
             (the server's admin makes one with `warroom token create HANDLE`)"
        ),
        (None, _) => None,
    };
    crate::sync::remote::trust_ca_cert(cli.ca_cert.clone());
    let console_wanted =
        cli.command.is_none() || matches!(cli.command, Some(Command::Demo { no_tui: false, .. }));
    if let Some((url, _)) = &server
        && let Some(warning) = crate::sync::remote::plain_http_warning(url)
        && !console_wanted
    {
        // Once per run; the console shows it in its header instead.
        eprintln!("warroom: warning: {warning}");
    }
    let json = cli.json;
    let ctx = Ctx {
        data_dir,
        handle,
        clock: Arc::new(SystemClock),
        server,
        config: cli.config.clone(),
    };
    let console = |incident: Option<String>| {
        crate::tui::run(crate::tui::Options {
            data_dir: ctx.data_dir.clone(),
            handle: ctx.handle.clone(),
            server: ctx.server.clone(),
            incident,
            keymap: cli.keymap.clone(),
            config: cli.config.clone(),
        })
    };
    match cli.command {
        None => console(cli.incident.clone()),
        Some(Command::Declare {
            from_alert: Some(alert),
            severity,
            restricted,
            ..
        }) => alerts::declare_from(&ctx, &alert, severity, restricted),
        Some(Command::Declare {
            title,
            severity,
            summary,
            started_at,
            restricted,
            from_alert: None,
        }) => incidents::declare(
            &ctx,
            title.as_deref().unwrap_or_default(),
            severity.unwrap_or_default(),
            &summary,
            started_at.as_deref(),
            restricted,
        ),
        Some(Command::Alerts { all }) => alerts::list(&ctx, all, json),
        Some(Command::LinkAlert { incident, alert }) => alerts::link(&ctx, &incident, &alert),
        Some(Command::Act(verb)) => acts::run(&ctx, &verb, json),
        Some(Command::Incidents) => incidents::list(&ctx, json),
        Some(Command::Show { incident }) => incidents::show(&ctx, &incident, json),
        Some(Command::Events { incident }) => incidents::events(&ctx, &incident, json),
        Some(Command::Demo { no_tui, restricted }) => {
            let short = incidents::demo(&ctx, restricted)?;
            if no_tui { Ok(()) } else { console(Some(short)) }
        }
        Some(Command::Postmortem {
            incident,
            out,
            force,
        }) => learn::postmortem(&ctx, &incident, out.as_deref(), force),
        Some(Command::Action { action }) => match action {
            ActionCmd::Add {
                incident,
                text,
                owner,
                due,
            } => learn::action_add(&ctx, &incident, &text, &owner, due.as_deref()),
            ActionCmd::Done { incident, item } => learn::action_done(&ctx, &incident, &item),
        },
        Some(Command::Actions { overdue }) => learn::actions(&ctx, overdue, json),
        Some(Command::Stats { since }) => learn::stats_cmd(&ctx, json, since.as_deref()),
        Some(Command::Kedb { action }) => match action {
            KedbCmd::Add {
                symptom,
                root_cause,
                workaround,
                incident,
                from_postmortem,
            } => learn::kedb_add(
                &ctx,
                &symptom,
                &root_cause,
                &workaround,
                incident.as_deref(),
                from_postmortem.as_deref(),
            ),
            KedbCmd::Search { query } => learn::kedb_search(&ctx, &query.join(" "), json),
            KedbCmd::Show { key } => learn::kedb_show(&ctx, &key),
            KedbCmd::Link { key, incident } => learn::kedb_link(&ctx, &key, &incident),
        },
        Some(Command::Drill {
            scenario,
            speed,
            restricted,
        }) => learn::drill(&ctx, scenario.as_deref(), speed, restricted),
        Some(Command::Comms { action }) => match action {
            CommsAction::Check {
                file,
                audience,
                final_message,
                severity,
                lang,
            } => {
                let lang = comms_cmds::language(&ctx, lang.as_deref())?;
                comms_cmds::check(&file, audience, final_message, severity, lang, json)
            }
            CommsAction::Template {
                name,
                incident,
                lang,
            } => {
                let lang = comms_cmds::language(&ctx, lang.as_deref())?;
                comms_cmds::template(&ctx, &name, incident.as_deref(), lang)
            }
        },
        Some(Command::Serve {
            listen,
            db,
            take_command_after,
            tls_cert,
            tls_key,
            max_connections,
            header_timeout,
            idle_timeout,
            log_format,
            no_status_page,
        }) => {
            let rules = crate::domain::rules::Rules {
                take_command_after: crate::domain::time::parse_span(&take_command_after)
                    .ok_or_else(|| {
                        anyhow::anyhow!(
                            "--take-command-after `{take_command_after}` is not a span like 15m or 1h"
                        )
                    })?,
                ..Default::default()
            };
            if max_connections == 0 || header_timeout == 0 || idle_timeout == 0 {
                anyhow::bail!(
                    "--max-connections, --header-timeout and --idle-timeout must be at least 1"
                );
            }
            let settings = server_cmds::ServeSettings {
                rules,
                tls: tls_cert
                    .zip(tls_key)
                    .map(|(cert, key)| crate::server::TlsFiles { cert, key }),
                limits: crate::server::ConnectionLimits {
                    max_connections,
                    header_timeout: std::time::Duration::from_secs(header_timeout),
                    idle_timeout: std::time::Duration::from_secs(idle_timeout),
                },
                json_logs: log_format == LogFormat::Json,
                paging: server_cmds::paging_config(cli.config.as_deref())?,
                status: server_cmds::status_config(cli.config.as_deref(), !no_status_page)?,
                alerts: server_cmds::alerts_config(cli.config.as_deref())?,
            };
            server_cmds::serve(&ctx, listen, db.as_deref(), settings)
        }
        Some(Command::Token { action, db }) => match action {
            TokenAction::Create { handle, read_only } => {
                server_cmds::token_create(&ctx, &handle, read_only, db.as_deref())
            }
            TokenAction::List => server_cmds::token_list(&ctx, db.as_deref()),
            TokenAction::Revoke { handle } => {
                server_cmds::token_revoke(&ctx, &handle, db.as_deref())
            }
        },
        Some(Command::Sync { drop_rejected }) => incidents::sync(&ctx, drop_rejected),
        Some(Command::Status) => incidents::status(&ctx),
        Some(Command::Severities) => incidents::emit(&output::severities()),
        Some(Command::Teams) => page::teams(&ctx, json),
    }
}
