//! Command and access: asking for and taking command, answering a request for command,
//! granting and revoking access to a restricted incident, redacting and amending an entry.

use anyhow::{Result, bail};

use super::Ctx;
use super::incidents::{open_for_write as open, say_recorded};
use super::output::with_visible_errors;
use crate::domain::event::{Event, EventKind};
use crate::domain::incident::{CommandRequest, Incident};
use crate::sync::View;

/// The one event `reference` names: its id, a unique prefix of it, or `#SEQ`.
pub fn find_event<'a>(view: &'a View, reference: &str) -> Result<&'a Event> {
    let r = reference.trim().to_ascii_lowercase();
    let all: Vec<&Event> = view
        .confirmed
        .iter()
        .chain(view.pending.iter().map(|p| &p.event))
        .collect();
    if let Some(seq) = r.strip_prefix('#').and_then(|s| s.parse::<i64>().ok()) {
        return all
            .into_iter()
            .find(|e| e.seq == Some(seq))
            .ok_or_else(|| anyhow::anyhow!("no event #{seq} on this incident"));
    }
    if r.len() < 4 {
        bail!(
            "`{reference}` is too short to name an event: give #SEQ or at least 4 characters of its id"
        );
    }
    let found: Vec<&Event> = all
        .into_iter()
        .filter(|e| {
            let id = e.id.to_string();
            id.starts_with(&r) || id.replace('-', "").starts_with(&r.replace('-', ""))
        })
        .collect();
    match found.as_slice() {
        [one] => Ok(one),
        [] => bail!(
            "no event on this incident has an id starting with `{reference}` (see `warroom events`)"
        ),
        many => bail!(
            "`{reference}` matches {} events; give more of the id or #SEQ",
            many.len()
        ),
    }
}

pub fn redact(ctx: &Ctx, reference: &str, event: &str, reason: &str) -> Result<()> {
    with_visible_errors(|| {
        let (replica, inc) = open(ctx, reference)?;
        let view = replica.view(inc.id)?;
        let target = find_event(&view, event)?;
        crate::domain::rules::check_redaction_target(inc.id, target.id, Some(target))?;
        let kind = EventKind::EventRedacted {
            event: target.id,
            reason: reason.trim().to_string(),
        };
        let what = format!(
            "redacted the {} at {}",
            crate::domain::describe::label(&target.kind),
            target.at.format("%H:%M:%S UTC")
        );
        let r = replica.record(inc.id, vec![(ctx.now(), kind)])?;
        say_recorded(&what, &inc.short_id, &r)
    })
}

/// Records one act on the incident now and says what became of it.
fn act(
    ctx: &Ctx,
    reference: &str,
    kind: EventKind,
    what: impl FnOnce(&crate::domain::IncidentSummary) -> String,
) -> Result<()> {
    with_visible_errors(|| {
        let (replica, inc) = open(ctx, reference)?;
        let r = replica.record(inc.id, vec![(ctx.now(), kind)])?;
        say_recorded(&what(&inc), &inc.short_id, &r)
    })
}

pub fn grant(ctx: &Ctx, reference: &str, handle: &str) -> Result<()> {
    let handle = handle.trim().to_string();
    let what = format!("{handle} may now see it");
    act(ctx, reference, EventKind::AccessGranted { handle }, |_| {
        what
    })
}

pub fn revoke_access(ctx: &Ctx, reference: &str, handle: &str) -> Result<()> {
    let handle = handle.trim().to_string();
    let what = format!("{handle} may no longer see it");
    act(ctx, reference, EventKind::AccessRevoked { handle }, |_| {
        what
    })
}

pub fn ask_command(ctx: &Ctx, reference: &str, reason: &str) -> Result<()> {
    let kind = EventKind::CommandRequested {
        reason: reason.trim().to_string(),
    };
    act(ctx, reference, kind, |inc| {
        format!(
            "asked {} for command",
            inc.commander.as_deref().unwrap_or("the IC")
        )
    })
}

pub fn take_command(ctx: &Ctx, reference: &str, reason: &str) -> Result<()> {
    let kind = EventKind::CommandTaken {
        reason: reason.trim().to_string(),
    };
    act(ctx, reference, kind, |_| {
        "you took command; everyone on the response is told".into()
    })
}

/// The request for command the IC answers: the only one waiting, or the one by `from`.
pub fn pending_request<'a>(state: &'a Incident, from: Option<&str>) -> Result<&'a CommandRequest> {
    let waiting: Vec<&CommandRequest> = state
        .pending_command_requests()
        .filter(|r| from.is_none_or(|f| r.author == f))
        .collect();
    match (waiting.as_slice(), from) {
        ([one], _) => Ok(one),
        ([], Some(f)) => bail!("{f} has no request for command waiting"),
        ([], None) => bail!("nobody is waiting for an answer about command"),
        (many, _) => bail!(
            "{} requests for command are waiting ({}); name one with --from",
            many.len(),
            many.iter()
                .map(|r| r.author.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

pub fn answer_command(
    ctx: &Ctx,
    reference: &str,
    accept: bool,
    from: Option<&str>,
    reason: &str,
) -> Result<()> {
    with_visible_errors(|| {
        let (replica, inc) = open(ctx, reference)?;
        let state = replica.view(inc.id)?.state;
        let request = pending_request(&state, from)?;
        let who = request.author.clone();
        let kinds = crate::domain::handover::answer_request(
            request,
            accept,
            reason,
            state.draft_brief(ctx.now()),
            ctx.now(),
        );
        let r = replica.record(inc.id, kinds)?;
        let what = if accept {
            format!("command handed over to {who}")
        } else {
            format!("declined {who}'s request for command")
        };
        say_recorded(&what, &inc.short_id, &r)
    })
}

/// Corrects the text of a note, observation or theory (its author or the IC).
pub fn amend(ctx: &Ctx, reference: &str, event: &str, text: &str) -> Result<()> {
    with_visible_errors(|| {
        let (replica, inc) = open(ctx, reference)?;
        let view = replica.view(inc.id)?;
        let target = find_event(&view, event)?;
        crate::domain::rules::check_amend_target(
            &view.state,
            &replica.handle(),
            target.id,
            Some(target),
        )?;
        let text = if text == "-" {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
                .map_err(|e| anyhow::anyhow!("cannot read the text from standard input: {e}"))?;
            s
        } else {
            text.to_string()
        };
        if text.trim().is_empty() {
            bail!("the amended text must not be empty (redact the entry instead)");
        }
        let what = format!(
            "amended the {} at {}",
            crate::domain::describe::label(&target.kind),
            target.at.format("%H:%M:%S UTC")
        );
        let kind = EventKind::Amended {
            event: target.id,
            text: text.trim_end().to_string(),
        };
        let r = replica.record(inc.id, vec![(ctx.now(), kind)])?;
        say_recorded(&what, &inc.short_id, &r)
    })
}
