//! The incident commands: declare, list, show, log, events, impact, demo.

use anyhow::{Result, bail};
use uuid::Uuid;

use super::Ctx;
use super::output::{self, visible_line, with_visible_errors};
use crate::domain::IncidentSummary;
use crate::domain::event::{Severity, Status};
use crate::domain::scenario::{BUILT_IN, Scenario};
use crate::store::NewEvent;
use crate::sync::{Recorded, Replica};

/// Writes to stdout, reporting a closed pipe as an error the caller can recognise. Any
/// character that would steer the terminal is shown instead (line breaks and tabs stay):
/// the renderings show user text on one line where they must, this catches the rest.
/// JSON from [`output::json_pretty`] has nothing left for it to show.
pub(super) fn emit(text: &str) -> Result<()> {
    let mut out = output::Out::stdout();
    out.text(&output::visible(text))?;
    Ok(out.finish()?)
}

/// Says what was recorded; `what` may quote a handle or other text someone typed.
pub(super) fn say_recorded(what: &str, short: &str, r: &Recorded) -> Result<()> {
    let what = visible_line(what);
    match r {
        Recorded::Confirmed(seq) => emit(&format!("{what} on {short} (#{seq})\n"))?,
        Recorded::Pending => emit(&format!(
            "{what} on {short}: pending, will sync when the server answers\n"
        ))?,
        // `what` says the act as done; the server did not take it, so it is not quoted.
        Recorded::Rejected(reason) => bail!("{short}: refused: {reason}"),
    }
    Ok(())
}

/// The replica and the one incident `reference` names; reading commands say when the
/// server could not be reached, writing ones leave that to the write.
fn open_incident(
    ctx: &Ctx,
    reference: &str,
    writing: bool,
) -> Result<(Replica, crate::domain::IncidentSummary)> {
    let replica = if writing {
        ctx.replica_for_writing()?
    } else {
        ctx.existing_replica()?
    };
    let Some(replica) = replica else {
        bail!(
            "no incident matches `{reference}`: there are no incidents in {} yet",
            ctx.data_dir.display()
        );
    };
    let summary = replica.resolve(reference)?;
    Ok((replica, summary))
}

pub(super) fn open_existing(
    ctx: &Ctx,
    reference: &str,
) -> Result<(Replica, crate::domain::IncidentSummary)> {
    open_incident(ctx, reference, false)
}

pub(super) fn open_for_write(
    ctx: &Ctx,
    reference: &str,
) -> Result<(Replica, crate::domain::IncidentSummary)> {
    open_incident(ctx, reference, true)
}

pub fn declare(
    ctx: &Ctx,
    title: &str,
    severity: u8,
    summary: &str,
    started_at: Option<&str>,
    restricted: bool,
) -> Result<()> {
    with_visible_errors(|| {
        if title.trim().is_empty() {
            bail!("the title must not be empty");
        }
        let severity = Severity::new(i64::from(severity)).map_err(anyhow::Error::msg)?;
        // Every argument is checked before anything is written.
        let started = started_at.map(|s| ctx.parse_time(s)).transpose()?;
        let replica = ctx.replica()?;
        let (incident, outcome) =
            replica.declare(title, severity, summary, started, false, restricted)?;
        match outcome {
            Recorded::Rejected(reason) => bail!("the declaration was refused: {reason}"),
            Recorded::Pending => eprintln!(
                "declared on this machine; pending until the server answers (`warroom sync` delivers it)"
            ),
            Recorded::Confirmed(_) => {}
        }
        emit(&format!("{}\n", incident.short_id))?;
        Ok(())
    })
}

pub fn list(ctx: &Ctx, json: bool) -> Result<()> {
    with_visible_errors(|| {
        let incidents = match ctx.existing_replica()? {
            Some(r) => r.incidents()?,
            None => Vec::new(),
        };
        if json {
            emit(&output::json_pretty(&incidents)?)?;
        } else if incidents.is_empty() {
            eprintln!(
                "No incidents yet. Declare one: warroom declare --title \"...\" --severity 2"
            );
        } else {
            let mut out = output::Out::stdout();
            output::incident_table(&mut out, &incidents, ctx.now())?;
            out.finish()?;
        }
        Ok(())
    })
}

pub fn show(ctx: &Ctx, reference: &str, json: bool) -> Result<()> {
    with_visible_errors(|| {
        let (replica, summary) = open_existing(ctx, reference)?;
        // The state alone, from the latest snapshot: the log is not read whole.
        let view = replica.current(summary.id)?;
        if json {
            let mut value = serde_json::to_value(&view.state)?;
            if let Some(m) = value.as_object_mut() {
                m.insert("digest".into(), view.state.digest().into());
                m.insert("pending".into(), view.pending.len().into());
            }
            emit(&output::json_pretty(&value)?)?;
        } else {
            emit(&output::incident_report(&view, ctx.now()))?;
        }
        Ok(())
    })
}

pub fn events(ctx: &Ctx, reference: &str, json: bool) -> Result<()> {
    use std::io::Write;
    with_visible_errors(|| {
        let (replica, summary) = open_existing(ctx, reference)?;
        if json {
            return print_log_json(&replica, summary.id);
        }
        let mut out = output::Out::stdout();
        let view = replica.view(summary.id)?;
        // For people: in the order things happened, each back-dated entry marked with
        // when it was recorded, and under each row what the row leaves out.
        let all = view
            .confirmed
            .iter()
            .chain(view.pending.iter().map(|p| &p.event));
        let by_id: std::collections::HashMap<Uuid, &crate::domain::event::Event> =
            all.clone().map(|e| (e.id, e)).collect();
        let find = |id: Uuid| by_id.get(&id).copied();
        let time = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
        let lookup = crate::domain::entry::Lookup {
            state: &view.state,
            find: &find,
            time: &time,
        };
        let width = output_width();
        for ev in crate::domain::describe::in_time_order(all) {
            let mut marks = Vec::new();
            if let Some(r) = crate::domain::describe::recorded_later(ev) {
                marks.push(format!("recorded {}", r.format("%H:%M:%S")));
            }
            if let Some(p) = view.pending.iter().find(|p| p.event.id == ev.id) {
                marks.push(match &p.rejected {
                    Some(reason) => format!("REJECTED: {reason}"),
                    None => "pending".to_string(),
                });
            }
            let mark = (!marks.is_empty()).then(|| marks.join("; "));
            writeln!(
                out,
                "{}",
                output::event_line(&view.state, ev, mark.as_deref())
            )?;
            out.text(&entry_block(&lookup, ev, width))?;
        }
        Ok(out.finish()?)
    })
}

/// `events --json`: the log as stored, in seq order, then what is still pending, one JSON
/// line per event. Reading (SQLite, each row decoded) and writing (JSON to stdout) run on
/// two threads that hand events over in batches, so neither waits for the other; no more
/// than a few batches are held at once. A closed pipe stops the writer, and then the reader.
fn print_log_json(replica: &Replica, incident: Uuid) -> Result<()> {
    use crate::domain::event::Event;
    const BATCH: usize = 256;
    let (send, receive) = std::sync::mpsc::sync_channel::<Vec<Event>>(4);
    std::thread::scope(|scope| {
        let writer = scope.spawn(move || -> Result<()> {
            let mut out = output::Out::stdout();
            for batch in receive {
                for ev in &batch {
                    out.json_line(ev)?;
                }
            }
            Ok(out.finish()?)
        });
        let mut batch = Vec::with_capacity(BATCH);
        let read = replica
            .store()
            .each_event(incident, |ev| -> Result<(), anyhow::Error> {
                batch.push(ev);
                if batch.len() == BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    // Refused only when the writer has stopped; its error says why.
                    send.send(full)
                        .map_err(|_| anyhow::anyhow!("the output stopped"))?;
                }
                Ok(())
            })
            .and_then(|pending| {
                batch.extend(pending.into_iter().map(|p| p.event));
                send.send(batch)
                    .map_err(|_| anyhow::anyhow!("the output stopped"))
            });
        drop(send);
        let written = writer
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("writing the events failed")));
        // The writer's error (a closed pipe) comes first: the reader's follows from it.
        written.and(read)
    })
}

/// How wide `events` lays its text out: the terminal's width, or 100 columns when the
/// output goes to a file or a pipe.
fn output_width() -> usize {
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal()
        && let Ok((columns, _)) = crossterm::terminal::size()
        && columns > 0
    {
        return usize::from(columns).max(40);
    }
    100
}

/// Under an entry's row, the fields its one line leaves out (a note's further lines, an
/// update's whole text and checklist, a handover's brief, the request a decision answers),
/// each named, wrapped to `width` and indented under the row. Empty when the row says it
/// all. Shown visibly, like every line of `events`.
fn entry_block(
    lookup: &crate::domain::entry::Lookup,
    ev: &crate::domain::event::Event,
    width: usize,
) -> String {
    use std::fmt::Write;
    const INDENT: usize = 8;
    const NAME: usize = 18;
    let row = visible_line(&crate::domain::describe::text_in(lookup.state, ev)).into_owned();
    // What the row already says is not said again: a field it holds whole is left out,
    // and a text whose first line it shows goes on from its second.
    let parts: Vec<(&str, String)> = crate::domain::entry::parts(lookup, ev)
        .into_iter()
        .filter(|p| p.name != "sets" && !row.contains(visible_line(&p.text).as_ref()))
        .map(|p| {
            let text = match p.text.split_once('\n') {
                Some((first, rest)) if row.contains(visible_line(first.trim()).as_ref()) => {
                    rest.trim_start_matches(['\n', '\r'])
                }
                _ => p.text.as_str(),
            };
            (p.name, output::visible(text).replace('\t', "    "))
        })
        .collect();
    let beside = width >= INDENT + NAME + 30;
    let mut out = String::new();
    for (name, text) in parts {
        let margin = if beside { INDENT + NAME } else { INDENT + 2 };
        let lines = crate::domain::entry::wrap(&text, width.saturating_sub(margin).max(20));
        if beside {
            for (i, line) in lines.iter().enumerate() {
                let head = if i == 0 { name } else { "" };
                let _ = writeln!(out, "{:INDENT$}{head:<NAME$}{line}", "");
            }
        } else {
            let _ = writeln!(out, "{:INDENT$}{name}", "");
            for line in lines {
                let _ = writeln!(out, "{:margin$}{line}", "");
            }
        }
    }
    // Lines that only pad are left bare.
    out.lines().map(|l| format!("{}\n", l.trim_end())).collect()
}

/// The demo incident this replica already holds, if it is still active: a drill with the
/// demo's title and restriction, declared by whoever seeds the demo here (the script's
/// commander in solo mode, you in shared mode, so someone else's demo on a shared server
/// is left alone). The newest wins.
fn active_demo(replica: &Replica, scenario: &Scenario) -> Result<Option<IncidentSummary>> {
    let declarer = if replica.is_shared() {
        replica.handle()
    } else {
        scenario.commander.clone()
    };
    // Newest first, as the store lists them.
    for summary in replica.incidents()? {
        if summary.drill
            && summary.status == Status::Active
            && summary.title == scenario.title
            && summary.restricted == scenario.restricted
            && replica.current(summary.id)?.state.declared_by.as_deref() == Some(declarer.as_str())
        {
            return Ok(Some(summary));
        }
    }
    Ok(None)
}

/// Opens the demo incident: the one still active in this data dir if there is one,
/// otherwise a new one seeded as if its first hour had just happened. The demo is a drill,
/// so it is labelled DRILL and left out of the statistics. Prints its short id and
/// answers it.
pub fn demo(ctx: &Ctx, restricted: bool) -> Result<String> {
    with_visible_errors(|| {
        let text = BUILT_IN
            .iter()
            .find(|(name, _)| *name == "demo")
            .map(|(_, t)| *t)
            .unwrap_or_default();
        let mut scenario = Scenario::parse(text).map_err(anyhow::Error::msg)?;
        scenario.restricted = restricted;
        let replica = ctx.replica()?;
        // Shared mode: a demo seeded from another of your machines counts too; offline, the
        // copy here is what there is.
        let _ = replica.refresh();
        if let Some(existing) = active_demo(&replica, &scenario)? {
            let short = existing.short_id;
            if replica.is_shared() {
                output::tell(&format!(
                    "reopening the demo incident {short} you seeded earlier; it is \
                     reused until it is resolved"
                ));
            } else {
                let ic = existing
                    .commander
                    .unwrap_or_else(|| scenario.commander.clone());
                output::tell(&format!(
                    "reopening the demo incident {short} seeded earlier in {}; for a \
                     fresh one next time, end it as its IC: `warroom --as {ic} impact {short} \
                     ended`, then `warroom --as {ic} resolve {short}`",
                    ctx.data_dir.display()
                ));
            }
            emit(&format!("{short}\n"))?;
            return Ok(short);
        }
        let incident = Uuid::now_v7();
        let start = ctx.now() - chrono::Duration::minutes(60);
        // A drill: labelled DRILL wherever it shows, and never counted in `stats`.
        let events = scenario
            .events(incident, start, true, Uuid::now_v7)
            .map_err(anyhow::Error::msg)?;
        if replica.is_shared() {
            // The server writes every act under this token's handle: the script's acts become
            // yours, and those the rule book does not give you are left out.
            let me = replica.handle();
            let mut left_out = 0;
            for e in &events {
                let one = vec![NewEvent {
                    id: e.id,
                    at: e.at,
                    persona: None,
                    kind: e.kind.clone(),
                }];
                match replica.record_as(incident, &me, one) {
                    Ok(Recorded::Rejected(_)) => left_out += 1,
                    Err(err) if err.is_refusal() => left_out += 1,
                    Err(err) => return Err(err.into()),
                    Ok(_) => {}
                }
            }
            if left_out > 0 {
                output::tell(&format!(
                    "shared mode: every scripted act is recorded as yours ({me}); {left_out} that \
                     only another role could do were left out"
                ));
            }
            let summary = replica.resolve(&incident.to_string())?;
            emit(&format!("{}\n", summary.short_id))?;
            return Ok(summary.short_id);
        }
        // Consecutive steps by one author go in one batch.
        let mut i = 0;
        while i < events.len() {
            let author = events[i].author.clone();
            let mut batch = Vec::new();
            while i < events.len() && events[i].author == author {
                let e = &events[i];
                batch.push(NewEvent {
                    id: e.id,
                    at: e.at,
                    persona: None,
                    kind: e.kind.clone(),
                });
                i += 1;
            }
            if let Recorded::Rejected(reason) = replica.record_as(incident, &author, batch)? {
                bail!("the demo could not be seeded: {reason}");
            }
        }
        let summary = replica.resolve(&incident.to_string())?;
        emit(&format!("{}\n", summary.short_id))?;
        Ok(summary.short_id)
    })
}

/// Shared mode: push everything, pull everything; exit 0 only when nothing is left.
pub fn sync(ctx: &Ctx, drop_rejected: bool) -> Result<()> {
    with_visible_errors(|| {
        if ctx.server.is_none() {
            bail!(
                "`warroom sync` needs a server: pass --server and --token (or set WARROOM_SERVER and WARROOM_TOKEN)"
            );
        }
        let replica = ctx.replica()?;
        if drop_rejected {
            let dropped = replica.store().outbox_drop_rejected()?;
            for p in &dropped {
                output::tell(&format!(
                    "dropped refused change {} on {}: {}",
                    p.event.kind.type_name(),
                    crate::domain::ids::short_id(&p.event.incident),
                    p.rejected.as_deref().unwrap_or("")
                ));
            }
        }
        let result = replica.sync();
        let status = replica.link_status(crate::sync::engine::Link::Connected)?;
        if let Err(e) = result {
            bail!(
                "{e}; {} change(s) still pending on this machine",
                status.pending
            );
        }
        let outbox = replica.store().outbox(None)?;
        let refused: Vec<_> = outbox.iter().filter(|p| p.rejected.is_some()).collect();
        for p in &refused {
            output::tell(&format!(
                "refused by the server: {} on {} ({}): {}",
                p.event.kind.type_name(),
                crate::domain::ids::short_id(&p.event.incident),
                p.event.id,
                p.rejected.as_deref().unwrap_or("")
            ));
        }
        if !refused.is_empty() {
            bail!(
                "{} change(s) were refused by the server (kept here; `warroom sync --drop-rejected` deletes them)",
                refused.len()
            );
        }
        if !outbox.is_empty() {
            bail!(
                "{} change(s) are still waiting for the server",
                outbox.len()
            );
        }
        let n = replica.incidents()?.len();
        emit(&format!(
            "in sync: nothing pending, {n} incident(s) up to date\n"
        ))?;
        Ok(())
    })
}

/// The link as the console's status bar shows it, for scripts and people at a shell.
pub fn status(ctx: &Ctx) -> Result<()> {
    with_visible_errors(|| {
        use crate::sync::engine::Link;
        let Some((server, _)) = &ctx.server else {
            return emit(&format!(
                "solo (no server): this machine's copy in {} is the record\n",
                visible_line(&ctx.data_dir.display().to_string())
            ));
        };
        let replica = ctx.replica()?;
        let link = match replica.sync() {
            Ok(_) => Link::Connected,
            Err(e) => Link::Offline {
                since: ctx.now(),
                retry_at: None,
                reason: e.to_string(),
            },
        };
        let status = replica.link_status(link)?;
        emit(&format!(
            "{}: {}\nyou are {}\n",
            visible_line(server),
            visible_line(&status.describe(ctx.now())),
            visible_line(&replica.handle())
        ))
    })
}
