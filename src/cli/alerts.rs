//! The alert commands: `alerts`, `declare --from-alert`, `link-alert`. Alerts live on the
//! server (`warroom serve` takes them from Alertmanager or `POST /api/v1/alerts`), so these
//! ask it directly; in solo mode they say alerts need a server. An alert is named by its
//! id or a prefix of its fingerprint only it has (`domain::alert::find`).

use std::fmt::Write as _;
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use chrono::{DateTime, Utc};

use super::Ctx;
use super::incidents::{emit, open_for_write, say_recorded};
use super::output::{self, visible_line, with_visible_errors};
use crate::domain::alert::{self, Alert, AlertStatus};
use crate::domain::event::Severity;
use crate::domain::metrics::format_duration;
use crate::domain::rules::limits;
use crate::sync::Recorded;
use crate::sync::remote::{Remote, RemoteError};

/// What solo mode says to every alert command.
const NEEDS_SERVER: &str = "alerts need a server: Alertmanager (or a script) sends them to \
     `warroom serve`; point this warroom at it with --server URL and --token TOKEN (or \
     WARROOM_SERVER and WARROOM_TOKEN)";

/// The server's alerts (with `all`, resolved ones too), firing first.
fn fetch(ctx: &Ctx, all: bool) -> Result<Vec<Alert>> {
    let Some((server, token)) = &ctx.server else {
        bail!("{NEEDS_SERVER}");
    };
    let remote = Remote::new(server, token).map_err(|e| anyhow!("{e}"))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow!("cannot start the network runtime: {e}"))?;
    let answer = runtime.block_on(async {
        tokio::time::timeout(Duration::from_secs(30), remote.alerts(all))
            .await
            .unwrap_or_else(|_| Err(RemoteError::Offline("timed out".into())))
    });
    match answer {
        Ok(list) => Ok(list),
        Err(RemoteError::Rejected { status: 404, .. }) => bail!(
            "{} keeps no alerts: it runs a warroom older than this one",
            remote.base()
        ),
        Err(e) => bail!("cannot read the alerts: {e}"),
    }
}

/// `warroom alerts [--all] [--json]`.
pub fn list(ctx: &Ctx, all: bool, json: bool) -> Result<()> {
    with_visible_errors(|| {
        let alerts = fetch(ctx, all)?;
        if json {
            emit(&output::json_pretty(
                &serde_json::json!({ "alerts": alerts }),
            )?)?;
        } else if alerts.is_empty() {
            output::tell(if all {
                "No alerts yet."
            } else {
                "No alert is firing (`warroom alerts --all` lists resolved ones too)."
            });
        } else {
            emit(&table(&alerts, ctx.now()))?;
        }
        Ok(())
    })
}

/// One alert a line: status, fingerprint, severity, since when, its incident, name and
/// summary.
pub fn table(alerts: &[Alert], now: DateTime<Utc>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<8} {:<16} {:<9} {:>14}  {:<8} ALERT",
        "STATUS", "FINGERPRINT", "SEVERITY", "SINCE", "INCIDENT"
    );
    for a in alerts {
        let since = match a.status {
            AlertStatus::Firing => format_duration(now - a.starts_at),
            AlertStatus::Resolved => a
                .ends_at
                .map(|e| format!("ended {}", format_duration(now - e)))
                .unwrap_or_default(),
        };
        let severity = a.labels.get("severity").map(String::as_str).unwrap_or("-");
        let incident = a
            .incident
            .map(|i| crate::domain::ids::short_id(&i))
            .unwrap_or_else(|| "-".into());
        let summary = a.summary();
        let what = if summary.is_empty() {
            visible_line(a.name()).into_owned()
        } else {
            format!("{} — {}", visible_line(a.name()), visible_line(summary))
        };
        let _ = writeln!(
            out,
            "{:<8} {:<16} {:<9} {:>14}  {:<8} {}",
            a.status.as_str(),
            a.fingerprint,
            crate::domain::describe::clip(&visible_line(severity), 9),
            since,
            incident,
            what
        );
    }
    out
}

/// `warroom declare --from-alert ALERT [--severity N] [--restricted]`: declares with the
/// alert's name as title and its summary, detection when it fired, and the alert linked.
/// Without `--severity`, the alert's `severity` label must name one.
pub fn declare_from(
    ctx: &Ctx,
    reference: &str,
    severity: Option<u8>,
    restricted: bool,
) -> Result<()> {
    with_visible_errors(|| {
        let alerts = fetch(ctx, true)?;
        let a = alert::find(&alerts, reference)
            .map_err(anyhow::Error::msg)?
            .clone();
        let label = a.labels.get("severity").cloned().unwrap_or_default();
        let (severity, chosen) = match severity {
            Some(level) => (
                Severity::new(i64::from(level)).map_err(anyhow::Error::msg)?,
                true,
            ),
            None => (
                a.severity_hint().ok_or_else(|| {
                    anyhow!(
                        "the alert's severity label ({}) names no warroom severity; choose one \
                         with --severity 1, 2 or 3 (see `warroom severities`)",
                        if label.is_empty() {
                            "none".to_string()
                        } else {
                            format!("`{}`", visible_line(&label))
                        }
                    )
                })?,
                false,
            ),
        };
        let now = ctx.now();
        let fired = a.starts_at.min(now);
        let (then, detected) = a.declared_from(now);
        let replica = ctx.replica()?;
        let title = alert::clipped(a.name(), limits::TITLE);
        let summary = alert::clipped(a.summary(), limits::TEXT);
        let (incident, outcome) =
            replica.declare_with(&title, severity, &summary, None, false, restricted, then)?;
        match outcome {
            Recorded::Rejected(reason) => bail!("the declaration was refused: {reason}"),
            Recorded::Pending => output::tell(
                "declared on this machine; pending until the server answers (`warroom sync` \
                 delivers it)",
            ),
            Recorded::Confirmed(_) => {}
        }
        let short = &incident.short_id;
        let stamp = crate::domain::event::format_time(fired);
        if !chosen {
            output::tell(&format!(
                "{short}: {severity} from the alert's severity label `{}` (--severity chooses \
                 another)",
                label
            ));
        }
        if detected {
            output::tell(&format!(
                "{short}: detection set to {} UTC, when the alert fired; the start of impact \
                 is not set. If impact began then: warroom impact {short} started --at {stamp}",
                fired.format("%Y-%m-%d %H:%M")
            ));
        } else {
            output::tell(&format!(
                "{short}: the alert fired at {stamp}, too long before now to record as the \
                 detection; set it with `warroom impact {short} detected --at TIME`"
            ));
        }
        if restricted {
            output::tell(&format!(
                "{short} is restricted: later alerts of its group reach it once the IC grants \
                 access to the handle of the token that delivers them (warroom grant {short} \
                 HANDLE)"
            ));
        }
        emit(&format!("{short}\n"))?;
        Ok(())
    })
}

/// `warroom link-alert INCIDENT ALERT`.
pub fn link(ctx: &Ctx, incident: &str, reference: &str) -> Result<()> {
    with_visible_errors(|| {
        let alerts = fetch(ctx, true)?;
        let a = alert::find(&alerts, reference).map_err(anyhow::Error::msg)?;
        let (replica, inc) = open_for_write(ctx, incident)?;
        let recorded = replica.record(inc.id, vec![(ctx.now(), a.link())])?;
        say_recorded(
            &format!("alert {} ({}) linked", a.name(), a.short_fingerprint()),
            &inc.short_id,
            &recorded,
        )
    })
}
