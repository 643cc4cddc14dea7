//! The Learn and Improve commands: resolve and close, the postmortem, action items,
//! TTD/TTR statistics, the known-error database, privacy steps and drills.

use std::io::Write;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use uuid::Uuid;

use super::Ctx;
use super::incidents::emit;
use super::output::{self, visible_line, with_visible_errors};
use crate::config::Config;
use crate::domain::event::{EventKind, Role, Status};
use crate::domain::metrics::{Distribution, format_duration, histogram, stats};
use crate::domain::{kedb, postmortem};
use crate::sync::Recorded;

use super::incidents::open_for_write as open;

fn done(what: &str, short: &str, r: Recorded) -> Result<()> {
    super::incidents::say_recorded(what, short, &r)
}

/// Writes the blameless postmortem; refuses while the text still blames, unless forced.
pub fn postmortem(ctx: &Ctx, reference: &str, out: Option<&str>, force: bool) -> Result<()> {
    with_visible_errors(|| {
        let (replica, inc) = open(ctx, reference)?;
        let view = replica.view(inc.id)?;
        let events = view.events();
        let findings = postmortem::blame_check(&view.state, &events);
        for f in &findings {
            let kind = if f.blocking { "blame" } else { "name" };
            output::tell(&format!(
                "{kind}: {}: {} — “{}”",
                f.spot, f.problem, f.excerpt
            ));
        }
        let blocking = findings.iter().filter(|f| f.blocking).count();
        if blocking > 0 && !force {
            bail!(
                "{blocking} passage(s) read as blame: rephrase them around systems and processes \
                 (`warroom amend {} #SEQ TEXT` corrects an entry), or pass --force to write the \
                 report anyway",
                inc.short_id
            );
        }
        // Shown visibly in a file too, so `--out FILE` writes what stdout would.
        let text = postmortem::report(&view.state, &events, ctx.now());
        let text = output::visible(&text);
        match out {
            Some(path) if path != "-" => {
                // A new file is readable by its owner only: the report quotes the incident.
                crate::files::write_private(std::path::Path::new(path), text.as_bytes())
                    .with_context(|| format!("cannot write {path}"))?;
                output::tell(&format!("postmortem of {} written to {path}", inc.short_id));
                Ok(())
            }
            _ => emit(&text),
        }
    })
}

fn parse_date(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .with_context(|| format!("`{s}` is not a date like 2026-12-31"))
}

pub fn action_add(
    ctx: &Ctx,
    reference: &str,
    text: &str,
    owner: &str,
    due: Option<&str>,
) -> Result<()> {
    with_visible_errors(|| {
        let Some(owner_role) = Role::parse(owner) else {
            bail!("`{owner}` is not a role: IC, CL, PL, OL or PO");
        };
        if text.trim().is_empty() {
            bail!("the action item is empty");
        }
        let explicit = due.map(parse_date).transpose()?;
        let (replica, inc) = open(ctx, reference)?;
        let state = replica.current(inc.id)?.state;
        let due = match explicit {
            Some(d) => d,
            None => {
                let (config, problem) = Config::load(Config::user_file().as_deref());
                if let Some(p) = problem {
                    output::tell(&format!("warroom: {p}"));
                }
                let from = state.resolved_at.unwrap_or_else(|| ctx.now());
                (from + config.action_due).date_naive()
            }
        };
        let r = replica.record(
            inc.id,
            vec![(
                ctx.now(),
                EventKind::ActionItemAdded {
                    text: text.trim().to_string(),
                    owner_role,
                    due,
                },
            )],
        )?;
        done(
            &format!("action item (owner {owner_role}, due {due})"),
            &inc.short_id,
            r,
        )
    })
}

pub fn action_done(ctx: &Ctx, reference: &str, item: &str) -> Result<()> {
    with_visible_errors(|| {
        let (replica, inc) = open(ctx, reference)?;
        let state = replica.current(inc.id)?.state;
        let number = item
            .trim()
            .trim_start_matches(['A', 'a'])
            .parse::<usize>()
            .ok();
        // A1, A2, ... by number; otherwise a prefix of the item's id long enough to be one.
        let prefix = item.trim().to_ascii_lowercase();
        let by_id: Vec<_> = if prefix.len() >= 4 {
            state
                .action_items
                .iter()
                .filter(|a| a.id.to_string().starts_with(&prefix))
                .collect()
        } else {
            Vec::new()
        };
        if by_id.len() > 1 {
            bail!(
                "`{item}` matches {} action items: type more of the id, or use A1, A2, ...",
                by_id.len()
            );
        }
        let found = number
            .and_then(|n| state.action_items.get(n.wrapping_sub(1)))
            .filter(|_| item.trim().len() <= 4)
            .or(by_id.first().copied());
        let Some(a) = found else {
            bail!(
                "no action item `{item}` on {} (see `warroom actions`)",
                inc.short_id
            );
        };
        let r = replica.record(
            inc.id,
            vec![(ctx.now(), EventKind::ActionItemDone { item: a.id })],
        )?;
        done("action item done", &inc.short_id, r)
    })
}

pub fn actions(ctx: &Ctx, overdue: bool, json: bool) -> Result<()> {
    with_visible_errors(|| {
        let Some(replica) = ctx.existing_replica()? else {
            return if json { emit("[]\n") } else { Ok(()) };
        };
        let today = ctx.now().date_naive();
        let mut rows = Vec::new();
        for inc in replica.incidents()? {
            let state = replica.current(inc.id)?.state;
            for (i, a) in state.action_items.iter().enumerate() {
                let late = a.done_at.is_none() && a.due < today;
                if overdue && !late {
                    continue;
                }
                rows.push(serde_json::json!({
                    "incident": inc.short_id,
                    "item": format!("A{}", i + 1),
                    "id": a.id,
                    "text": a.text,
                    "owner_role": a.owner_role,
                    "due": a.due,
                    "done": a.done_at.is_some(),
                    "overdue": late,
                }));
            }
        }
        if json {
            return emit(&output::json_pretty(&rows)?);
        }
        if rows.is_empty() {
            eprintln!(
                "{}",
                if overdue {
                    "No overdue action items."
                } else {
                    "No action items yet."
                }
            );
        }
        let mut out = String::new();
        for r in rows {
            let state = if r["done"] == true {
                "done"
            } else if r["overdue"] == true {
                "OVERDUE"
            } else {
                "open"
            };
            out.push_str(&format!(
                "{} {:<4} {:<8} {:<3} due {}  {}\n",
                r["incident"].as_str().unwrap_or(""),
                r["item"].as_str().unwrap_or(""),
                state,
                r["owner_role"].as_str().unwrap_or("").to_ascii_uppercase(),
                r["due"].as_str().unwrap_or(""),
                visible_line(r["text"].as_str().unwrap_or(""))
            ));
        }
        emit(&out)
    })
}

fn dist(d: &Option<Distribution>) -> String {
    match d {
        Some(d) => format!(
            "n={:<3} p50 {:>7}  p90 {:>7}  max {:>7}",
            d.count,
            format_duration(d.p50),
            format_duration(d.p90),
            format_duration(d.max)
        ),
        None => "no incident has both times".into(),
    }
}

pub fn stats_cmd(ctx: &Ctx, json: bool, since: Option<&str>) -> Result<()> {
    with_visible_errors(|| {
        let since = since.map(|s| ctx.parse_time(s)).transpose()?;
        let incidents = match ctx.existing_replica()? {
            Some(r) => r.incidents()?,
            None => Vec::new(),
        };
        let s = stats(&incidents, since);
        if json {
            return emit(&output::json_pretty(&s)?);
        }
        let mut out = String::new();
        out.push_str(&format!(
            "{} incident(s){}; {} drill(s) left out\n\n",
            s.all.incidents,
            since
                .map(|t| format!(" since {}", t.format("%Y-%m-%d")))
                .unwrap_or_default(),
            s.drills_excluded
        ));
        for (label, g) in std::iter::once(("all".to_string(), &s.all))
            .chain(s.by_severity.iter().map(|(l, g)| (format!("SEV{l}"), g)))
        {
            out.push_str(&format!(
                "{label:<4} TTD {}\n     TTR {}\n",
                dist(&g.ttd),
                dist(&g.ttr)
            ));
        }
        out.push_str("\nTime to detect, all severities\n");
        out.push_str(&histogram(&s.all.ttd_values, 30));
        out.push_str("\nTime to recover, all severities\n");
        out.push_str(&histogram(&s.all.ttr_values, 30));
        if !s.missing.is_empty() {
            out.push_str("\nLeft out of a figure for a missing time:\n");
            for m in &s.missing {
                out.push_str(&format!(
                    "  {} {} (no {})\n",
                    m.short_id,
                    visible_line(&m.title),
                    m.missing.join(", no ")
                ));
            }
        }
        emit(&out)
    })
}

pub fn kedb_add(
    ctx: &Ctx,
    symptom: &str,
    root_cause: &str,
    workaround: &str,
    incident: Option<&str>,
    from_postmortem: Option<&str>,
) -> Result<()> {
    with_visible_errors(|| {
        let replica = ctx.replica()?;
        let (mut symptom, mut root_cause, mut incidents) = (
            symptom.trim().to_string(),
            root_cause.trim().to_string(),
            Vec::new(),
        );
        if let Some(reference) = from_postmortem.or(incident) {
            let inc = replica.resolve(reference)?;
            incidents.push(inc.id);
            if from_postmortem.is_some() {
                // From a postmortem: the incident's title as symptom, its supported theories as cause.
                let state = replica.current(inc.id)?.state;
                if symptom.is_empty() {
                    symptom = state.summary.title.clone();
                }
                if root_cause.is_empty() {
                    let supported: Vec<String> = state
                        .board
                        .theories
                        .iter()
                        .filter(|t| t.status == crate::domain::event::TheoryStatus::Supported)
                        .map(|t| t.text.clone())
                        .collect();
                    root_cause = supported.join(" ");
                }
            }
        }
        if symptom.is_empty() {
            bail!("say what responders see: --symptom \"...\" (or --from-postmortem INCIDENT)");
        }
        let event_id = Uuid::now_v7();
        let key = kedb::new_key(&event_id);
        let kind = EventKind::KnownErrorRecorded {
            key: key.clone(),
            symptom,
            root_cause,
            workaround: workaround.trim().to_string(),
            incidents: incidents.clone(),
        };
        if let Recorded::Rejected(r) = replica.record_known_error(kind)? {
            bail!("the known error was refused: {r}");
        }
        for id in incidents {
            replica.record(
                id,
                vec![(
                    ctx.now(),
                    EventKind::KnownErrorLinked {
                        known_error: key.clone(),
                        title: String::new(),
                    },
                )],
            )?;
        }
        emit(&format!("{key}\n"))
    })
}

pub fn kedb_search(ctx: &Ctx, query: &str, json: bool) -> Result<()> {
    with_visible_errors(|| {
        let entries = match ctx.existing_replica()? {
            Some(r) => r.known_errors()?,
            None => Default::default(),
        };
        let hits = kedb::search(entries.values(), query);
        if json {
            let list: Vec<_> = hits
                .iter()
                .map(|(score, e)| serde_json::json!({ "score": score, "entry": e }))
                .collect();
            return emit(&output::json_pretty(&list)?);
        }
        if hits.is_empty() {
            output::tell(&format!("no known error matches “{query}”"));
        }
        let mut out = String::new();
        for (_, e) in hits {
            out.push_str(&format!(
                "{:<10} {}\n",
                visible_line(&e.key),
                visible_line(&e.symptom)
            ));
            if !e.workaround.is_empty() {
                out.push_str(&format!(
                    "{:<10} workaround: {}\n",
                    "",
                    visible_line(&e.workaround)
                ));
            }
        }
        emit(&out)
    })
}

pub fn kedb_show(ctx: &Ctx, key: &str) -> Result<()> {
    with_visible_errors(|| {
        let replica = ctx.existing_replica()?.context("no known errors yet")?;
        let entries = replica.known_errors()?;
        let e = entries
            .values()
            .find(|e| e.key.eq_ignore_ascii_case(key))
            .with_context(|| format!("no known error {key} (see `warroom kedb search`)"))?;
        let all = replica.incidents()?;
        let linked: Vec<String> = e
            .incidents
            .iter()
            .map(|id| {
                all.iter()
                    .find(|i| i.id == *id)
                    .map_or(id.to_string(), |i| {
                        format!("{} {}", i.short_id, visible_line(&i.title))
                    })
            })
            .collect();
        // Each field may run over several lines, indented under its first.
        let field = |text: &str, missing: &str| {
            if text.is_empty() {
                missing.to_string()
            } else {
                output::block(text, "            ")
            }
        };
        emit(&format!(
            "{}\nSymptom:    {}\nRoot cause: {}\nWorkaround: {}\nIncidents:  {}\nRecorded:   {}\n",
            visible_line(&e.key),
            field(&e.symptom, ""),
            field(&e.root_cause, "not known yet"),
            field(&e.workaround, "none known"),
            if linked.is_empty() {
                "none".to_string()
            } else {
                linked.join("; ")
            },
            e.recorded_at.format("%Y-%m-%d %H:%M UTC")
        ))
    })
}

pub fn kedb_link(ctx: &Ctx, key: &str, reference: &str) -> Result<()> {
    with_visible_errors(|| {
        let replica = ctx.replica()?;
        let entries = replica.known_errors()?;
        let e = entries
            .values()
            .find(|e| e.key.eq_ignore_ascii_case(key))
            .with_context(|| format!("no known error {key} (see `warroom kedb search`)"))?
            .clone();
        let inc = replica.resolve(reference)?;
        replica.record_known_error(EventKind::KnownErrorRecorded {
            key: e.key.clone(),
            symptom: String::new(),
            root_cause: String::new(),
            workaround: String::new(),
            incidents: vec![inc.id],
        })?;
        let r = replica.record(
            inc.id,
            vec![(
                ctx.now(),
                EventKind::KnownErrorLinked {
                    known_error: e.key.clone(),
                    title: e.symptom.clone(),
                },
            )],
        )?;
        done(&format!("linked {}", e.key), &inc.short_id, r)
    })
}

pub fn drill(ctx: &Ctx, scenario: Option<&str>, speed: f64, restricted: bool) -> Result<()> {
    with_visible_errors(|| {
        let Some(name) = scenario else {
            let mut out = String::from("Scenarios (play one with `warroom drill NAME`):\n");
            for (name, text) in crate::domain::scenario::BUILT_IN {
                if let Ok(s) = crate::domain::scenario::Scenario::parse(text) {
                    out.push_str(&format!("  {name:<20} SEV{} {}\n", s.severity, s.title));
                }
            }
            return emit(&out);
        };
        let replica = ctx.replica()?;
        let clock: Arc<dyn crate::clock::Clock> = ctx.clock.clone();
        let d = crate::drill::prepare(name, &replica.handle(), clock.as_ref(), speed, restricted)?;
        let short = crate::domain::ids::short_id(&d.incident);
        eprintln!(
            "Drill {short} started: you are the incident commander. Open it in another terminal \
             with `warroom --incident {short}`; events arrive here as they happen (ctrl-c stops)."
        );
        crate::drill::play(&replica, &d, &clock, std::thread::sleep, |e, r| {
            let mark = match r {
                Recorded::Rejected(_) => " (refused)",
                Recorded::Pending => " (pending)",
                Recorded::Confirmed(_) => "",
            };
            let line = format!(
                "{}  {:<10} {}{mark}\n",
                e.at.format("%H:%M:%S"),
                visible_line(&e.author),
                visible_line(&crate::domain::describe::text(&e.kind))
            );
            let _ = std::io::stdout().write_all(line.as_bytes());
        })?;
        let state = replica.current(d.incident)?.state;
        if state.summary.status == Status::Active {
            eprintln!("The script is done; the incident is yours to resolve.");
        }
        Ok(())
    })
}
