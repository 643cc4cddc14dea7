//! The fatigue commands: recording since when a responder has been awake, so the fatigue
//! clocks can warn before a tired responder makes mistakes, and standing the team down
//! once the incident is over.

use anyhow::{Result, bail};

use super::Ctx;
use super::incidents::{emit, open_for_write, say_recorded};
use super::output::{self, with_visible_errors};
use crate::domain::event::EventKind;
use crate::domain::fatigue;
use crate::sync::Recorded;

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

/// Ends the duty of everyone still on a resolved or closed incident (the IC's act), one
/// `duty_ended` each; prints who was stood down, one handle a line.
pub fn stand_down(ctx: &Ctx, reference: &str) -> Result<()> {
    with_visible_errors(|| {
        let (replica, inc) = open_for_write(ctx, reference)?;
        let state = replica.view(inc.id)?.state;
        if let Some(why) = fatigue::stand_down_refusal(&state, &replica.handle()) {
            bail!("{why}");
        }
        let who = fatigue::on_duty(&state);
        if who.is_empty() {
            output::tell(&format!(
                "nobody is on duty on {}: there is no one to stand down",
                inc.short_id
            ));
            return Ok(());
        }
        let now = ctx.now();
        let kinds = fatigue::stand_down(&state)
            .into_iter()
            .map(|kind| (now, kind))
            .collect();
        let note = match replica.record(inc.id, kinds)? {
            Recorded::Rejected(reason) => {
                bail!("the stand-down on {} was refused: {reason}", inc.short_id)
            }
            Recorded::Pending => ": pending, will sync when the server answers",
            Recorded::Confirmed(_) => "",
        };
        emit(&who.iter().map(|h| format!("{h}\n")).collect::<String>())?;
        output::tell(&format!(
            "stood down {} on {}{note}; a responder who joins again is back on duty",
            who.len(),
            inc.short_id
        ));
        Ok(())
    })
}
