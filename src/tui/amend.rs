//! Amending a note, an observation or a theory (`m` on a timeline row or a board item):
//! its author or the IC corrects the text, and everyone sees the latest text marked
//! "amended". The postmortem and its blame check read the latest text too, so a passage
//! the blame check stopped is fixed by amending it.

use uuid::Uuid;

use super::ctx::Ctx;
use super::effect::Effect;
use super::overlay::form::{Answers, Field, Purpose};
use crate::domain::describe;
use crate::domain::event::EventKind;

const TEXT: &str = "Text";

/// Opens the amend form on the entry `target`, pre-filled with its current text.
pub fn open(ctx: &mut Ctx, target: Uuid) {
    let Some(d) = ctx.data else {
        return;
    };
    let Some(ev) = d
        .confirmed
        .iter()
        .chain(d.pending.iter().map(|p| &p.event))
        .find(|e| e.id == target)
    else {
        ctx.complain("that entry is not recorded yet");
        return;
    };
    if let Err(r) = crate::domain::rules::check_amend_target(&d.state, ctx.handle, target, Some(ev))
    {
        ctx.complain(r.message);
        return;
    }
    let current = d.state.current_text(ev).unwrap_or("").to_string();
    let title = format!(
        "Amend the {} of {} by {}",
        describe::label(&ev.kind),
        ev.at.format("%H:%M"),
        ev.author_label()
    );
    ctx.open_form(
        title,
        Purpose::Amend { event: target },
        vec![Field::text(
            TEXT,
            &current,
            "the corrected text; the entry keeps its place and shows this, marked amended",
        )],
    );
}

/// A submitted amendment.
pub fn submit(ctx: &mut Ctx, form: &Answers) -> Vec<Effect> {
    let Purpose::Amend { event } = form.purpose else {
        return Vec::new();
    };
    let text = form.value(TEXT);
    if text.trim().is_empty() {
        return ctx.refuse("the amended text must not be empty (redact the entry instead)".into());
    }
    let now = ctx.now;
    ctx.record(
        vec![(now, EventKind::Amended { event, text })],
        "entry amended".into(),
    )
}
