//! The console: `warroom` with no subcommand. One loop receives terminal input, ticks,
//! sync news (in solo mode, what other warroom processes commit to the same data dir,
//! `live.rs`) and finished work on one channel, updates the state and redraws; disk,
//! network and timers run on tasks so the loop never waits on them.

pub mod action;
pub mod alerts;
pub mod amend;
pub mod app;
pub mod authority;
pub mod command;
pub mod ctx;
pub mod data;
pub mod drafts;
pub mod effect;
pub mod fit;
pub mod footer;
pub mod header;
pub mod history;
pub mod incident;
pub mod keymap;
pub mod layout;
pub mod live;
pub mod overlay;
pub mod pane;
pub mod picker;
pub mod picker_alerts;
pub mod view;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use chrono::{Local, Offset};
use crossterm::event::{DisableMouseCapture, EnableMouseCapture, Event as TermEvent, EventStream};
use futures_util::StreamExt;
use tokio::sync::{mpsc, watch};
use uuid::Uuid;

use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::sync::engine::LinkStatus;
use crate::sync::{Recorded, Replica};
use app::{App, Effect, Msg};
use data::{History, IncidentData};
use keymap::Keymap;

pub struct Options {
    pub data_dir: PathBuf,
    pub handle: String,
    pub server: Option<(String, String)>,
    /// Open this incident (short id, UUID or prefix) instead of the list.
    pub incident: Option<String>,
    /// A keymap file to use instead of the one in the config dir.
    pub keymap: Option<PathBuf>,
    /// A config file to use instead of the one in the config dir.
    pub config: Option<PathBuf>,
}

/// What the worker needs to carry out effects.
struct Worker {
    replica: Arc<Replica>,
    data_dir: PathBuf,
    config: Config,
    client: reqwest::Client,
    runtime: tokio::runtime::Handle,
}

pub fn run(opts: Options) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(run_async(opts))
}

/// Logs to `DATA_DIR/warroom.log`, which may quote incidents: a new data directory is
/// owner-only (0700), and so is a new log (0600).
fn start_log(data_dir: &std::path::Path) {
    let _ = crate::files::create_private_dir_all(data_dir);
    let Ok(file) = crate::files::append_private(&data_dir.join("warroom.log")) else {
        return;
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("WARROOM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init();
}

/// Restores the terminal however the console ends, a panic included.
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let _ = crossterm::execute!(std::io::stdout(), DisableMouseCapture);
        ratatui::restore();
    }
}

async fn run_async(opts: Options) -> Result<()> {
    start_log(&opts.data_dir);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    // Everything that can fail with a plain message fails before the screen changes.
    let (replica, syncer) = match &opts.server {
        None => {
            let open = || Replica::open_solo(&opts.data_dir, &opts.handle, clock.clone());
            (tokio::task::block_in_place(open)?, None)
        }
        Some((server, token)) => {
            let (r, s, kick, learned) = Replica::open_shared_background(
                &opts.data_dir,
                server,
                token,
                &opts.handle,
                clock.clone(),
            )
            .await?;
            (r, Some((s, kick, learned, token.clone())))
        }
    };
    let replica = Arc::new(replica);
    let open_first = match &opts.incident {
        Some(reference) => match (replica.resolve(reference), &syncer) {
            (Ok(found), _) => Some(found.id),
            // Not here yet: a replica that has not synced asks the server once.
            (Err(crate::sync::ReplicaError::Resolve(_)), Some((syncer, ..))) => {
                let pulled =
                    tokio::time::timeout(std::time::Duration::from_secs(10), syncer.pull_all())
                        .await;
                if let Ok(Err(e)) = &pulled {
                    tracing::warn!("first sync: {e}");
                }
                Some(replica.resolve(reference)?.id)
            }
            (Err(e), _) => return Err(e.into()),
        },
        None => None,
    };
    if !std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        anyhow::bail!(
            "the console needs a terminal; for scripts use the commands (`warroom --help`)"
        );
    }
    let keymap_file = opts.keymap.clone().or_else(Keymap::user_file);
    let (keymap, keymap_problem) = Keymap::load(keymap_file.as_deref());

    let config_file = opts.config.clone().or_else(Config::user_file);
    let (config, config_problem) = Config::load(config_file.as_deref());

    let local = Local::now().offset().fix();
    let mut app = App::new(&replica.handle(), keymap, clock.now(), local);
    app.link_warning = opts
        .server
        .as_ref()
        .and_then(|(url, _)| crate::sync::remote::plain_http_warning(url));
    app.system_zone = true;
    app.thresholds = config.thresholds;
    app.action_due = config.action_due;
    app.ask_awake = config.ask_awake;
    app.set_languages(config.languages.clone());
    if !replica.is_shared() {
        app.paging_teams = config.paging.listed();
    }
    app.command_history = history::load(&opts.data_dir);
    for problem in [keymap_problem, config_problem].into_iter().flatten() {
        tracing::warn!("{problem}");
        app.message = Some((problem, true));
    }
    if replica.is_shared() {
        app.link = LinkStatus {
            link: crate::sync::engine::Link::Connecting,
            ..LinkStatus::solo()
        };
    }

    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let (focus_tx, focus_rx) = watch::channel::<Option<Uuid>>(None);

    if !replica.is_shared() {
        // Solo: what other warroom processes write to this data dir shows within a second.
        live::spawn(replica.store(), tx.clone());
    }
    if let Some((syncer, kick, learned, token)) = syncer {
        if !learned {
            // Started offline on first use: learn the token's handle once the server answers.
            let (t, replica, remote) = (tx.clone(), replica.clone(), syncer.remote().clone());
            tokio::spawn(crate::sync::relearn_handle(
                replica,
                remote,
                token,
                move |h| {
                    let _ = t.send(Msg::Handle(h));
                },
            ));
        }
        let (status_tx, mut status_rx) = watch::channel(LinkStatus::solo());
        let (changed_tx, mut changed_rx) = mpsc::unbounded_channel::<Uuid>();
        let mut alerts_rx = syncer.watch_alerts();
        spawn_paging_teams(syncer.remote().clone(), tx.clone());
        tokio::spawn(syncer.run(kick, focus_rx, changed_tx, status_tx));
        let t = tx.clone();
        tokio::spawn(async move {
            while alerts_rx.changed().await.is_ok() {
                let alerts = alerts_rx.borrow_and_update().clone();
                if let Some(alerts) = alerts
                    && t.send(Msg::Alerts(alerts)).is_err()
                {
                    break;
                }
            }
        });
        let t = tx.clone();
        tokio::spawn(async move {
            while status_rx.changed().await.is_ok() {
                let s = status_rx.borrow_and_update().clone();
                if t.send(Msg::Link(s)).is_err() {
                    break;
                }
            }
        });
        let t = tx.clone();
        tokio::spawn(async move {
            while let Some(id) = changed_rx.recv().await {
                if t.send(Msg::Changed(id)).is_err() {
                    break;
                }
            }
        });
    }

    // The worker carries out effects one after another, in the order they were asked for.
    let (work_tx, mut work_rx) = mpsc::unbounded_channel::<Effect>();
    {
        let worker = Arc::new(Worker {
            replica: replica.clone(),
            data_dir: opts.data_dir.clone(),
            config,
            client: reqwest::Client::new(),
            runtime: tokio::runtime::Handle::current(),
        });
        let tx = tx.clone();
        tokio::spawn(async move {
            while let Some(effect) = work_rx.recv().await {
                let (worker, tx) = (worker.clone(), tx.clone());
                let _ = tokio::task::spawn_blocking(move || perform(&worker, effect, &tx)).await;
            }
        });
    }

    let mut terminal = ratatui::try_init().context("cannot start the console on this terminal")?;
    let _guard = TerminalGuard;
    let _ = crossterm::execute!(std::io::stdout(), EnableMouseCapture);
    if let Ok(size) = terminal.size() {
        app.size = (size.width, size.height);
    }

    {
        let tx = tx.clone();
        tokio::spawn(async move {
            let mut events = EventStream::new();
            while let Some(Ok(ev)) = events.next().await {
                let msg = match ev {
                    TermEvent::Key(k) => Msg::Key(k),
                    TermEvent::Mouse(m) => Msg::Mouse(m),
                    TermEvent::Resize(w, h) => Msg::Resize(w, h),
                    _ => continue,
                };
                if tx.send(msg).is_err() {
                    break;
                }
            }
        });
    }
    {
        let (tx, clock) = (tx.clone(), clock.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
            loop {
                tick.tick().await;
                if tx.send(Msg::Tick(clock.now())).is_err() {
                    break;
                }
            }
        });
    }

    let _ = work_tx.send(Effect::LoadIncidents);
    if let Some(id) = open_first {
        let _ = work_tx.send(Effect::LoadIncident { id, after: 0 });
        let _ = focus_tx.send(Some(id));
    }

    loop {
        terminal.draw(|f| view::view(&app, f))?;
        for effect in app.after_draw() {
            let _ = work_tx.send(effect);
        }
        let Some(first) = rx.recv().await else { break };
        let mut batch = vec![first];
        while let Ok(more) = rx.try_recv() {
            batch.push(more);
        }
        for msg in batch {
            for effect in app.update(msg) {
                match effect {
                    Effect::Quit => {}
                    Effect::Focus(id) => {
                        let _ = focus_tx.send(id);
                    }
                    other => {
                        let _ = work_tx.send(other);
                    }
                }
            }
        }
        if app.quit {
            break;
        }
    }
    Ok(())
}

/// Shared mode: asks the server which teams it pages, for the page form, at start and
/// every few minutes after (every half minute while it does not answer); a server older
/// than that question is not asked again.
fn spawn_paging_teams(remote: crate::sync::remote::Remote, tx: mpsc::UnboundedSender<Msg>) {
    use crate::sync::remote::RemoteError;
    tokio::spawn(async move {
        loop {
            let wait = match remote.paging_teams().await {
                Ok(teams) => {
                    if tx.send(Msg::PagingTeams(teams)).is_err() {
                        break;
                    }
                    300
                }
                Err(RemoteError::Rejected { status: 404, .. }) => break,
                Err(e) => {
                    tracing::debug!("the server's paging teams: {e}");
                    30
                }
            };
            tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
        }
    });
}

/// Carries out one effect against the replica (on a blocking thread) and reports back.
fn perform(worker: &Worker, effect: Effect, tx: &mpsc::UnboundedSender<Msg>) {
    let replica = &worker.replica;
    let msg = match effect {
        Effect::LoadIncidents => match replica.incidents() {
            Ok(list) => Msg::Incidents(list),
            Err(e) => Msg::Recorded(Err(e.to_string())),
        },
        Effect::LoadIncident { id, after: 0 } => match open_incident(worker, id, tx) {
            Ok(()) => return,
            Err(e) => Msg::Recorded(Err(e.to_string())),
        },
        Effect::LoadHistory { id, upto } => {
            load_history(worker, id, upto, tx);
            return;
        }
        Effect::LoadIncident { id, after } => {
            let store = replica.store();
            let loaded = store
                .events_blocking(id, after, usize::MAX)
                .and_then(|new| store.outbox(Some(id)).map(|pending| (new, pending)));
            match loaded {
                Ok((new, pending)) => Msg::Loaded {
                    id,
                    new,
                    pending,
                    full: after == 0,
                },
                Err(e) => Msg::Recorded(Err(e.to_string())),
            }
        }
        Effect::Record {
            incident,
            mut kinds,
            what,
        } => {
            // Solo mode: this console sends the pages itself (shared: the server does).
            let paging = match pages_to_send(worker, incident, &mut kinds) {
                Ok(p) => p,
                Err(e) => {
                    let _ = tx.send(Msg::Recorded(Err(e)));
                    return;
                }
            };
            match replica.record(incident, kinds) {
                // Pending or confirmed alike: the timeline marks what the server has not
                // confirmed.
                Ok(Recorded::Confirmed(_) | Recorded::Pending) => {
                    if let Some(config) = paging {
                        send_pages(worker, incident, config, tx);
                    }
                    Msg::Recorded(Ok(what))
                }
                Ok(Recorded::Rejected(reason)) => Msg::Recorded(Err(format!("refused: {reason}"))),
                Err(e) => Msg::Recorded(Err(e.to_string())),
            }
        }
        Effect::Declare {
            title,
            severity,
            summary,
            started_at,
        } => match replica.declare(&title, severity, &summary, started_at, false, false) {
            Ok((summary, Recorded::Rejected(reason))) => {
                Msg::Declared(Err(format!("{} was refused: {reason}", summary.short_id)))
            }
            Ok((summary, _)) => Msg::Declared(Ok(summary)),
            Err(e) => Msg::Declared(Err(e.to_string())),
        },
        Effect::DeclareFromAlert {
            title,
            severity,
            summary,
            alert,
        } => {
            let (then, _) = alert.declared_from(replica.now());
            match replica.declare_with(&title, severity, &summary, None, false, false, then) {
                Ok((summary, Recorded::Rejected(reason))) => {
                    Msg::Declared(Err(format!("{} was refused: {reason}", summary.short_id)))
                }
                Ok((summary, _)) => Msg::Declared(Ok(summary)),
                Err(e) => Msg::Declared(Err(e.to_string())),
            }
        }
        Effect::SaveDraft {
            incident,
            audience,
            lang,
            text,
        } => match drafts::save_version(&worker.data_dir, incident, audience, lang, &text) {
            Ok(()) => return,
            Err(e) => Msg::Recorded(Err(format!("the draft could not be saved: {e}"))),
        },
        Effect::RememberCommand(line) => match history::remember(&worker.data_dir, &line) {
            Ok(()) => return,
            Err(e) => Msg::Recorded(Err(format!("the command history could not be saved: {e}"))),
        },
        Effect::LoadDrafts(id) => Msg::Drafts {
            id,
            internal: drafts::load(
                &worker.data_dir,
                id,
                crate::domain::event::Audience::Internal,
            ),
            external: drafts::load(
                &worker.data_dir,
                id,
                crate::domain::event::Audience::External,
            ),
            versions: worker
                .config
                .languages
                .iter()
                .skip(1)
                .map(|l| {
                    let external = crate::domain::event::Audience::External;
                    (
                        *l,
                        drafts::load_version(&worker.data_dir, id, external, Some(*l)),
                    )
                })
                .collect(),
        },
        Effect::Webhook { audience, text } => {
            let url = match audience {
                crate::domain::event::Audience::Internal => worker.config.webhook_internal.clone(),
                crate::domain::event::Audience::External => worker.config.webhook_external.clone(),
            };
            let Some(url) = url else { return };
            let (client, tx) = (worker.client.clone(), tx.clone());
            // Delivery retries for minutes; it runs on its own and reports when done.
            worker.runtime.spawn(async move {
                let result = crate::webhook::deliver(
                    &client,
                    &url,
                    &text,
                    crate::webhook::ATTEMPTS,
                    crate::webhook::backoff,
                )
                .await;
                let msg = match result {
                    Ok(1) => Ok("update delivered to the webhook".to_string()),
                    Ok(n) => Ok(format!(
                        "update delivered to the webhook after {n} attempts"
                    )),
                    Err(e) => Err(e),
                };
                let _ = tx.send(Msg::Recorded(msg));
            });
            return;
        }
        Effect::Notify { title, body } => {
            let (desktop, bell) = (worker.config.desktop_notifications, worker.config.bell);
            worker.runtime.spawn(async move {
                let shown = desktop && crate::notify::desktop(&title, &body).await;
                if !shown && bell {
                    crate::notify::bell();
                }
            });
            return;
        }
        Effect::LoadKnownErrors => match replica.known_errors() {
            Ok(all) => Msg::KnownErrors(all.into_values().collect()),
            Err(e) => Msg::Recorded(Err(e.to_string())),
        },
        Effect::LinkKnownError {
            incident,
            key,
            symptom,
        } => {
            let link = replica
                .record_known_error(crate::domain::event::EventKind::KnownErrorRecorded {
                    key: key.clone(),
                    symptom: String::new(),
                    root_cause: String::new(),
                    workaround: String::new(),
                    incidents: vec![incident],
                })
                .and_then(|_| {
                    replica.record(
                        incident,
                        vec![(
                            replica.now(),
                            crate::domain::event::EventKind::KnownErrorLinked {
                                known_error: key.clone(),
                                title: symptom,
                            },
                        )],
                    )
                });
            match link {
                Ok(_) => Msg::Recorded(Ok(format!("{key} linked to this incident"))),
                Err(e) => Msg::Recorded(Err(e.to_string())),
            }
        }
        Effect::WritePostmortem { incident, force } => write_postmortem(worker, incident, force),
        Effect::DropRejected { incident, id } => match replica.store().outbox_drop_rejected_one(id)
        {
            Ok(true) => Msg::Changed(incident),
            Ok(false) => Msg::Recorded(Err("that change is no longer refused".into())),
            Err(e) => Msg::Recorded(Err(e.to_string())),
        },
        Effect::Focus(_) | Effect::Quit => return,
    };
    let _ = tx.send(msg);
}

/// The latest entries an incident opens with; the rest of its log follows.
const OPEN_ROWS: usize = 500;

/// Opens an incident: its state (from the latest snapshot) and its latest entries are
/// shown at once; once they are on screen, the start of its log is read
/// (`Effect::LoadHistory`) and goes in front of them, so a long incident shows its newest
/// entry about as fast as a short one.
fn open_incident(
    worker: &Worker,
    id: Uuid,
    tx: &mpsc::UnboundedSender<Msg>,
) -> Result<(), crate::sync::ReplicaError> {
    let (recent, pending) = worker.replica.recent(id, OPEN_ROWS)?;
    let data = IncidentData::from_recent(id, recent.state, recent.tail, pending);
    let _ = tx.send(Msg::Opened(Box::new(data)));
    Ok(())
}

/// Reads the start of an incident's log (seq 1 to `upto`) and sorts it on a thread of its
/// own, so the effects after it do not wait.
fn load_history(worker: &Worker, id: Uuid, upto: i64, tx: &mpsc::UnboundedSender<Msg>) {
    let store = worker.replica.store().clone();
    let tx = tx.clone();
    worker.runtime.spawn_blocking(move || {
        let msg = match store.events_blocking(id, 0, usize::try_from(upto).unwrap_or(0)) {
            Ok(events) => Msg::History {
                id,
                history: Box::new(History::new(events)),
            },
            Err(e) => Msg::Recorded(Err(format!(
                "the start of the timeline could not be read: {e}"
            ))),
        };
        let _ = tx.send(msg);
    });
}

/// In solo mode, before `kinds` are recorded: the teams their pages name must be in the
/// config (their provider is filled in); answers the teams when, once recorded, pages are
/// to be sent or closed.
fn pages_to_send(
    worker: &Worker,
    incident: Uuid,
    kinds: &mut [(
        chrono::DateTime<chrono::Utc>,
        crate::domain::event::EventKind,
    )],
) -> Result<Option<crate::paging::PagingConfig>, String> {
    if worker.replica.is_shared() || !crate::paging::wants_settle(kinds.iter().map(|(_, k)| k)) {
        return Ok(None);
    }
    let state = worker
        .replica
        .current(incident)
        .map_err(|e| e.to_string())?
        .state;
    if !crate::paging::solo::needs_settle(&state, kinds) {
        return Ok(None);
    }
    let config = worker.config.paging.clone();
    crate::paging::solo::fill_providers(kinds, &config)?;
    Ok(Some(config))
}

/// Sends what the incident's pages need on a thread of its own (retries take minutes) and
/// says what became of each; the outcomes are on the timeline, failures in the header.
fn send_pages(
    worker: &Worker,
    incident: Uuid,
    config: crate::paging::PagingConfig,
    tx: &mpsc::UnboundedSender<Msg>,
) {
    let (replica, tx, runtime) = (worker.replica.clone(), tx.clone(), worker.runtime.clone());
    worker.runtime.spawn_blocking(move || {
        let reports = runtime.block_on(crate::paging::solo::settle(&replica, incident, config));
        for r in reports {
            let said = if r.is_failure() {
                Err(r.line())
            } else {
                Ok(r.line())
            };
            let _ = tx.send(Msg::Recorded(said));
        }
    });
}

/// Runs the blame check, then writes `DATA_DIR/postmortems/<short id>.md`: owner-only
/// (0600, in a 0700 directory), with any control character in the incident's text shown
/// visibly, the same report `warroom postmortem` prints.
fn write_postmortem(worker: &Worker, incident: Uuid, force: bool) -> Msg {
    let replica = &worker.replica;
    let view = match replica.view(incident) {
        Ok(v) => v,
        Err(e) => return Msg::Recorded(Err(e.to_string())),
    };
    let events = view.events();
    let findings = crate::domain::postmortem::blame_check(&view.state, &events);
    if !force && findings.iter().any(|f| f.blocking) {
        return Msg::Findings(findings);
    }
    let text = crate::domain::postmortem::report(&view.state, &events, replica.now());
    let text = crate::domain::describe::visible(&text);
    let dir = worker.data_dir.join("postmortems");
    let path = dir.join(format!("{}.md", view.state.summary.short_id));
    match crate::files::create_private_dir_all(&dir)
        .and_then(|_| crate::files::replace_private(&path, text.as_bytes()))
    {
        Ok(()) => Msg::Recorded(Ok(format!("postmortem written to {}", path.display()))),
        Err(e) => Msg::Recorded(Err(format!("cannot write {}: {e}", path.display()))),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::domain::event::Severity;

    #[test]
    fn the_console_writes_postmortems_readable_by_their_writer_only_and_terminal_safe() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let data = tempfile::tempdir().unwrap();
        let replica = Replica::open_solo(data.path(), "ana", Arc::new(SystemClock)).unwrap();
        let (incident, _) = replica
            .declare(
                "Checkout \u{1b}]0;owned\u{7}down",
                Severity::new(2).unwrap(),
                "",
                None,
                false,
                false,
            )
            .unwrap();
        let worker = Worker {
            replica: Arc::new(replica),
            data_dir: data.path().to_path_buf(),
            config: Config::default(),
            client: reqwest::Client::new(),
            runtime: runtime.handle().clone(),
        };
        let written = write_postmortem(&worker, incident.id, true);
        assert!(
            matches!(written, Msg::Recorded(Ok(_))),
            "the report is written"
        );

        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let dir = data.path().join("postmortems");
        let path = dir.join(format!("{}.md", incident.short_id));
        assert_eq!(mode(&dir), 0o700, "the postmortems directory");
        assert_eq!(mode(&path), 0o600, "the report");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(r"Checkout \x1b]0;owned\x07down"), "{text}");
        assert!(!text.contains(['\u{1b}', '\u{7}']), "{text}");
    }

    #[test]
    fn a_solo_console_sends_a_page_off_its_loop_and_records_what_became_of_it() {
        use axum::http::StatusCode;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        // An Opsgenie stand-in: one 503, then the page is taken.
        let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = calls.clone();
        let base = runtime.block_on(async move {
            let app = axum::Router::new().fallback(move || {
                let n = seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                async move {
                    if n == 0 {
                        (StatusCode::SERVICE_UNAVAILABLE, String::new())
                    } else {
                        (
                            StatusCode::ACCEPTED,
                            r#"{"result":"Request will be processed","requestId":"og-7"}"#
                                .to_string(),
                        )
                    }
                }
            });
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            tokio::spawn(async move { axum::serve(listener, app).await });
            format!("http://{addr}")
        });
        let config = Config::parse(
            &format!(
                "[paging]\nretry_after = \"10ms\"\n[paging.teams.dba]\nprovider = \"opsgenie\"\n\
                 api_key = \"k\"\nbase_url = \"{base}\"\n"
            ),
            "c.toml",
        )
        .unwrap();
        let data = tempfile::tempdir().unwrap();
        let replica = Replica::open_solo(data.path(), "ana", Arc::new(SystemClock)).unwrap();
        let (incident, _) = replica
            .declare(
                "Checkout down",
                Severity::new(1).unwrap(),
                "",
                None,
                false,
                false,
            )
            .unwrap();
        let worker = Worker {
            replica: Arc::new(replica),
            data_dir: data.path().to_path_buf(),
            config,
            client: reqwest::Client::new(),
            runtime: runtime.handle().clone(),
        };
        let (tx, mut rx) = mpsc::unbounded_channel();
        let page = crate::domain::event::EventKind::PageRequested {
            team: "dba".into(),
            provider: None,
            message: "need a DBA".into(),
        };
        perform(
            &worker,
            Effect::Record {
                incident: incident.id,
                kinds: vec![(worker.replica.now(), page)],
                what: "paging dba…".into(),
            },
            &tx,
        );
        let mut said = Vec::new();
        while said.len() < 2 {
            let msg = runtime
                .block_on(async {
                    tokio::time::timeout(std::time::Duration::from_secs(60), rx.recv()).await
                })
                .expect("the console hears back")
                .unwrap();
            if let Msg::Recorded(r) = msg {
                said.push(r);
            }
        }
        assert_eq!(said[0], Ok("paging dba…".to_string()), "recorded at once");
        let delivered = said[1].clone().unwrap();
        assert!(
            delivered.contains("delivered through Opsgenie after 2 attempts"),
            "{delivered}"
        );
        let state = worker.replica.current(incident.id).unwrap().state;
        let p = &state.pages[0];
        assert_eq!(p.provider, Some(crate::domain::page::Provider::Opsgenie));
        assert_eq!(p.status, Some(crate::domain::page::PageStatus::Delivered));
        assert_eq!(p.request_id, "og-7");
    }
}
