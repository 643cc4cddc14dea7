//! `warroom comms check` and `warroom comms template`: the console's comms checklist and
//! templates on the command line, so drafts can be linted anywhere.

use std::io::Read;

use anyhow::{Context, Result, bail};

use super::incidents::emit;
use super::output::{self, visible_line, with_visible_errors};
use super::{AudienceArg, Ctx};
use crate::domain::comms::{DraftKind, Options, validate};
use crate::domain::event::{Audience, Severity};
use crate::domain::lang::Lang;
use crate::domain::templates::Template;

/// The language asked for (`--lang`), or the first of `[comms] languages`.
pub fn language(ctx: &Ctx, asked: Option<&str>) -> Result<Lang> {
    match asked {
        Some(code) => Lang::parse(code).map_err(anyhow::Error::msg),
        None => Ok(super::page::load_config(ctx.config.as_deref())?
            .languages
            .first()
            .copied()
            .unwrap_or(Lang::En)),
    }
}

pub fn check(
    file: &str,
    audience: AudienceArg,
    final_message: bool,
    severity: Option<u8>,
    lang: Lang,
    json: bool,
) -> Result<()> {
    with_visible_errors(|| {
        let text = if file == "-" {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .context("cannot read the draft from standard input")?;
            s
        } else {
            std::fs::read_to_string(file)
                .with_context(|| format!("cannot read the draft {file}"))?
        };
        let opts = Options {
            audience: match audience {
                AudienceArg::Internal => Audience::Internal,
                AudienceArg::External => Audience::External,
            },
            kind: if final_message {
                DraftKind::Final
            } else {
                DraftKind::Update
            },
            severity: severity
                .map(|s| Severity::new(i64::from(s)))
                .transpose()
                .map_err(anyhow::Error::msg)?,
            lang,
        };
        let verdict = validate(&text, opts);
        let shown = if json {
            output::json_pretty(&verdict)?
        } else {
            // A hint may quote the draft.
            let mut shown = String::new();
            for r in &verdict.rules {
                let mark = if r.passed { "pass" } else { "FAIL" };
                shown.push_str(&format!(
                    "{mark}  {:<36} {}\n",
                    r.label,
                    visible_line(&r.hint)
                ));
            }
            shown
        };
        // A reader that went away (`| head`) does not change the verdict: the exit status
        // still says whether the draft passed.
        if let Err(e) = emit(&shown)
            && !is_broken_pipe(&e)
        {
            return Err(e);
        }
        let failed = verdict.failed().count();
        if failed > 0 {
            bail!("{failed} of {} checks failed", verdict.rules.len());
        }
        Ok(())
    })
}

/// Whether writing ended because stdout's reader went away.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.downcast_ref::<std::io::Error>()
        .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}

pub fn template(ctx: &Ctx, name: &str, incident: Option<&str>, lang: Lang) -> Result<()> {
    with_visible_errors(|| {
        let Some(t) = Template::parse(name) else {
            let names: Vec<&str> = Template::ALL.iter().map(|t| t.name()).collect();
            bail!(
                "`{name}` is not a template: use one of {}",
                names.join(", ")
            );
        };
        let state = match incident {
            Some(reference) => {
                let Some(replica) = ctx.existing_replica()? else {
                    bail!("no incident matches `{reference}`: there are no incidents yet");
                };
                let summary = replica.resolve(reference)?;
                replica.current(summary.id)?.state
            }
            None => crate::domain::incident::Incident::new(uuid::Uuid::nil()),
        };
        // The template quotes the incident's title, summary and board over several lines.
        emit(&t.render(&state, ctx.now(), lang))
    })
}
