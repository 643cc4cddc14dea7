//! The acts on an incident (`warroom VERB INCIDENT …`): each verb is planned by
//! [`crate::verbs`], as the console's `:` line plans it, recorded through the replica, and
//! answered with one line saying what was recorded (with `--json`, the events).

use std::collections::HashSet;

use anyhow::{Context, Result, bail};
use chrono::{Local, Offset, TimeZone};

use super::Ctx;
use super::incidents::{emit, open_for_write, say_recorded};
use super::output::{self, visible_line, with_visible_errors};
use crate::domain::event::{Event, PrivacyAssessment, Role};
use crate::domain::privacy;
use crate::sync::{Recorded, Replica};
use crate::verbs::{Scene, Verb};

/// Reads the file a verb names; `-` is standard input.
pub fn read_input(path: &str) -> Result<String, String> {
    if path == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        Ok(s)
    } else {
        std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))
    }
}

pub fn run(ctx: &Ctx, verb: &Verb, json: bool) -> Result<()> {
    with_visible_errors(|| {
        let (replica, inc) = open_for_write(ctx, verb.incident())?;
        let me = replica.handle();
        let now = ctx.now();
        // Only a verb naming an entry (by id or #SEQ) needs the log; the others plan on the
        // state alone, which is read without it.
        let (state, all, pending) = if matches!(verb, Verb::Redact { .. } | Verb::Amend { .. }) {
            let view = replica.view(inc.id)?;
            let all = view.events();
            let last = view.confirmed.last().and_then(|e| e.seq).unwrap_or(0);
            (view.state, all, (last, view.pending))
        } else {
            let current = replica.current(inc.id)?;
            (
                current.state,
                Vec::new(),
                (current.last_seq, current.pending),
            )
        };
        // What was there before: confirmed up to this seq, and these pending changes.
        let (before_seq, pending) = pending;
        let before: HashSet<uuid::Uuid> = pending.iter().map(|p| p.event.id).collect();
        // Only `send` needs the config: the languages external updates are written in.
        let languages = if matches!(verb, Verb::Send { .. }) {
            super::page::load_config(ctx.config.as_deref())?.languages
        } else {
            vec![crate::domain::lang::Lang::En]
        };
        let scene = Scene {
            state: &state,
            events: all.iter().collect(),
            me: &me,
            now,
            local: Local.offset_from_utc_datetime(&now.naive_utc()).fix(),
            read: &read_input,
            languages: &languages,
        };
        let mut plan = verb.plan(&scene).map_err(anyhow::Error::msg)?;
        let paging = super::page::prepare(ctx, &replica, &state, &mut plan.events)?;
        if plan.events.is_empty() && matches!(verb, Verb::Privacy { .. }) {
            // Nothing to assess or mark: where privacy stands.
            return privacy_status(&replica, &inc);
        }
        if plan.events.is_empty() {
            // Nothing needed recording (nobody left to stand down, say): said so.
            output::tell(&format!("{} on {}", visible_line(&plan.said), inc.short_id));
            return Ok(());
        }
        let stood_down: Vec<String> = plan
            .events
            .iter()
            .filter_map(|(_, k)| match k {
                crate::domain::event::EventKind::DutyEnded { handle } => Some(handle.clone()),
                _ => None,
            })
            .collect();
        let r = replica.record(inc.id, plan.events)?;
        if json {
            if let Recorded::Rejected(reason) = &r {
                bail!("{}: refused: {reason}", inc.short_id);
            }
            let confirmed = replica
                .store()
                .events_blocking(inc.id, before_seq, usize::MAX)?;
            let pending = replica.store().outbox(Some(inc.id))?;
            let recorded: Vec<Event> = confirmed
                .into_iter()
                .chain(
                    pending
                        .into_iter()
                        .filter(|p| p.rejected.is_none())
                        .map(|p| p.event),
                )
                .filter(|e| !before.contains(&e.id) && e.author == me)
                .collect();
            let mut out = String::new();
            for e in &recorded {
                out.push_str(&output::json_line(e)?);
                out.push('\n');
            }
            emit(&out)?;
        } else if matches!(verb, Verb::StandDown { .. }) {
            // Who was stood down, one handle a line, for scripts; the sentence on stderr.
            let note = match &r {
                Recorded::Rejected(reason) => {
                    bail!("the stand-down on {} was refused: {reason}", inc.short_id)
                }
                Recorded::Pending => ": pending, will sync when the server answers",
                Recorded::Confirmed(_) => "",
            };
            emit(
                &stood_down
                    .iter()
                    .map(|h| format!("{h}\n"))
                    .collect::<String>(),
            )?;
            output::tell(&format!(
                "{} on {}{note}",
                visible_line(&plan.said),
                inc.short_id
            ));
        } else {
            say_recorded(&plan.said, &inc.short_id, &r)?;
        }
        after(verb, &replica, &inc)?;
        super::page::deliver(&replica, &inc, verb, paging)
    })
}

/// What a responder should know next, on standard error: the steps a resolve or a close
/// leaves, and where the privacy steps stand.
fn after(verb: &Verb, replica: &Replica, inc: &crate::domain::IncidentSummary) -> Result<()> {
    match verb {
        Verb::Resolve { .. } => {
            eprintln!(
                "Send the final messages: `warroom comms template final-internal --incident {0}` \
                 and `warroom comms template final-external --incident {0}`.",
                inc.short_id
            );
            offer_stand_down(replica, inc);
            if inc.severity.is_major() {
                eprintln!(
                    "A {} incident needs a postmortem: assign a Postmortem Owner before closing it.",
                    inc.severity
                );
            }
        }
        Verb::Close { .. } => offer_stand_down(replica, inc),
        Verb::Privacy { .. } => privacy_status(replica, inc)?,
        _ => {}
    }
    Ok(())
}

/// After a resolve or a close: who is still on duty, and how to stand them down.
fn offer_stand_down(replica: &Replica, inc: &crate::domain::IncidentSummary) {
    let Ok(view) = replica.current(inc.id) else {
        return;
    };
    let who = crate::domain::fatigue::on_duty(&view.state);
    if !who.is_empty() && view.state.commander() == Some(replica.handle().as_str()) {
        eprintln!(
            "Still on duty: {}. Stand them down with `warroom stand-down {}`.",
            visible_line(&who.join(", ")),
            inc.short_id
        );
    }
}

fn privacy_status(replica: &Replica, inc: &crate::domain::IncidentSummary) -> Result<()> {
    let state = replica.current(inc.id)?.state;
    if state.privacy == PrivacyAssessment::PossibleBreach && state.privacy_steps.is_empty() {
        let pl = state.roster.holder(Role::Pl).unwrap_or("the IC");
        output::tell(&format!(
            "A possible breach: the Policy Lead ({pl}) leads the six breach steps. Step 1: {}.",
            privacy::STEPS[0]
        ));
    }
    let mut out = format!(
        "Privacy on {}: {}\n",
        inc.short_id,
        match state.privacy {
            PrivacyAssessment::NotAssessed =>
                "NOT YET ASSESSED (every incident needs an assessment)",
            PrivacyAssessment::NoPersonalInformation => "no personal information involved",
            PrivacyAssessment::PossibleBreach => "POSSIBLE BREACH",
        }
    );
    if state.privacy == PrivacyAssessment::PossibleBreach {
        for (i, name) in privacy::STEPS.iter().enumerate() {
            let n = i as u8 + 1;
            let when = state
                .privacy_steps
                .get(&n)
                .map(|t| format!("done {}", t.format("%Y-%m-%d %H:%M UTC")))
                .unwrap_or_else(|| "open".into());
            out.push_str(&format!("  {n}. {name}: {when}\n"));
        }
    }
    emit(&out).context("cannot write the privacy status")
}
