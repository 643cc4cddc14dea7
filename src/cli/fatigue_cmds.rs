//! The fatigue commands: recording since when a responder has been awake, so the fatigue
//! clocks can warn before a tired responder makes mistakes.

use anyhow::{Result, bail};

use super::Ctx;
use super::incidents::{open_for_write, say_recorded};
use super::output::with_visible_errors;
use crate::domain::event::EventKind;

/// Records that `who` (default: yourself) has been awake since `since`, said now.
pub fn awake(ctx: &Ctx, reference: &str, since: &str, who: Option<&str>) -> Result<()> {
    with_visible_errors(|| {
        let handle = match who {
            Some(h) => super::valid_handle(h)?,
            None => ctx.handle.clone(),
        };
        let now = ctx.now();
        let since = ctx.parse_time(since)?;
        if since > now {
            bail!(
                "{} is in the future: say since when {handle} has been awake, e.g. 06:30 or -16h",
                since.format("%Y-%m-%d %H:%M UTC")
            );
        }
        let (replica, inc) = open_for_write(ctx, reference)?;
        let r = replica.record(
            inc.id,
            vec![(
                now,
                EventKind::AwakeSince {
                    handle: handle.clone(),
                    since,
                },
            )],
        )?;
        say_recorded(
            &format!(
                "{handle} awake since {}",
                since.format("%Y-%m-%d %H:%M UTC")
            ),
            &inc.short_id,
            &r,
        )
    })
}
