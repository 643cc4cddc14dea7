//! What needs the responder now, raised once each as a desktop notification (or the
//! bell) and in the status line: a status update overdue, someone past a fatigue warning
//! or limit, a change request or a request for command waiting for the IC, the team's
//! health check due, the next step of a possible privacy breach for the Policy Lead, a
//! role just given to this responder, their request for command declined, and command
//! taken without the IC's consent (told to everyone, the previous IC first). The same,
//! read from the incident list, for every other incident (`list_alerts`).

use chrono::{DateTime, Utc};

use super::authority;
use super::data::IncidentData;
use crate::domain::attention::{self, Need};
use crate::domain::event::{Audience, PrivacyAssessment, Role, Status};
use crate::domain::fatigue::{self, Level, Thresholds};
use crate::domain::incident::{Decision, IncidentSummary};
use crate::domain::metrics::format_duration;
use crate::domain::privacy;

/// An alert: the key that raises it once, its title and its body.
pub type Alert = (String, String, String);

/// What needs the responder `me` now, each with a key so it is raised once.
pub fn alerts(
    data: Option<&IncidentData>,
    me: &str,
    now: DateTime<Utc>,
    thresholds: &Thresholds,
) -> Vec<Alert> {
    let Some(d) = data else {
        return Vec::new();
    };
    let s = &d.state;
    let short = &s.summary.short_id;
    let mut out = Vec::new();
    for (audience, due) in s.next_updates().into_iter().filter(|(_, due)| *due < now) {
        let who = match audience {
            crate::domain::event::Audience::Internal => "internal",
            crate::domain::event::Audience::External => "external",
        };
        out.push((
            format!("overdue:{short}:{who}:{due}"),
            format!("{short}: {who} status update overdue"),
            format!(
                "The next {who} update was due at {}.",
                due.format("%H:%M UTC")
            ),
        ));
    }
    for c in fatigue::assess(s, now, thresholds) {
        if c.level > Level::Ok {
            let word = if c.level == Level::Over {
                "past the limit"
            } else {
                "past the warning"
            };
            out.push((
                format!("fatigue:{short}:{}:{:?}", c.handle, c.level),
                format!("{short}: {} is {word}", c.handle),
                c.reasons.join(", "),
            ));
        }
    }
    // Whoever asked for a change hears the answer.
    for c in s.change_requests.iter().filter(|c| c.author == me) {
        let answer = match c.decision {
            crate::domain::incident::Decision::Pending => continue,
            crate::domain::incident::Decision::Approved => "approved",
            crate::domain::incident::Decision::Denied => "denied",
        };
        out.push((
            format!("decided:{}", c.id),
            format!(
                "{short}: {} {answer} your change",
                c.decided_by.as_deref().unwrap_or("the IC")
            ),
            if c.reason.is_empty() {
                c.description.clone()
            } else {
                format!("{} — {}", c.description, c.reason)
            },
        ));
    }
    // A page that did not go out (or did not close): whoever paged, and the IC, hear it.
    for p in crate::domain::page::failed(s) {
        if p.by == me || s.commander() == Some(me) {
            let status = p.status.map_or("", |st| st.as_str());
            let what = if status == "resolve_failed" {
                "was not closed"
            } else {
                "failed"
            };
            out.push((
                format!("page:{}:{status}", p.id),
                format!("{short}: the page to {} {what}", p.team),
                p.error.clone(),
            ));
        }
    }
    if s.commander() == Some(me) {
        for c in s.pending_change_requests() {
            out.push((
                format!("change:{}", c.id),
                format!("{short}: {} asks to change production", c.author),
                c.description.clone(),
            ));
        }
        if let Some(due) = fatigue::health_check_due(s, s.last_health_check, thresholds)
            && due < now
        {
            out.push((
                format!("health:{short}:{due}"),
                format!("{short}: time for a team health check"),
                format!(
                    "Last one {} ago.",
                    format_duration(
                        now - s.last_health_check.or(s.summary.declared_at).unwrap_or(now)
                    )
                ),
            ));
        }
    }
    if s.privacy == PrivacyAssessment::PossibleBreach
        && s.roster.holder(Role::Pl) == Some(me)
        && let Some(step) = privacy::next_step(&s.privacy_steps)
    {
        out.push((
            format!("privacy:{short}:{step}"),
            format!("{short}: possible privacy breach, step {step} is next"),
            format!(
                "As Policy Lead you lead the breach steps; next: {} (V records it).",
                privacy::STEPS[usize::from(step) - 1]
            ),
        ));
    }
    for role in s.roster.roles_of(me) {
        if !s.roster.is_defaulted_to_ic(role) || role == Role::Ic {
            let since = s
                .roster
                .since
                .get(&role)
                .map(|t| t.to_rfc3339())
                .unwrap_or_default();
            out.push((
                format!("role:{short}:{role}:{since}"),
                format!("{short}: you are now {}", role.title()),
                format!(
                    "You hold the {} role on “{}”.",
                    role.code(),
                    s.summary.title
                ),
            ));
        }
    }
    command_alerts(d, me, now, &mut out);
    out
}

/// Alerts about command: requests waiting for the IC, an answer to one's own request,
/// and command taken without consent (told to everyone, the previous IC first).
fn command_alerts(d: &IncidentData, me: &str, now: DateTime<Utc>, out: &mut Vec<Alert>) {
    let s = &d.state;
    let short = &s.summary.short_id;
    if s.commander() == Some(me) {
        for r in s.pending_command_requests() {
            out.push((
                format!("cmdreq:{}", r.id),
                format!("{short}: {} asks for command", r.author),
                if r.reason.is_empty() {
                    "y hands over, x declines (roles pane).".into()
                } else {
                    format!("{} — y hands over, x declines (roles pane).", r.reason)
                },
            ));
        }
    }
    for r in s.command_requests.iter().filter(|r| r.author == me) {
        if r.decision == Decision::Denied {
            out.push((
                format!("cmdans:{}", r.id),
                format!(
                    "{short}: {} declined your request for command",
                    r.decided_by.as_deref().unwrap_or("the IC")
                ),
                String::new(),
            ));
        }
    }
    if let Some(h) = authority::command_taken_recently(Some(d), now)
        && s.summary.status != Status::Closed
    {
        let from = h.from.as_deref().unwrap_or("the IC");
        let reason = h.taken_because.clone().unwrap_or_default();
        let title = if from == me {
            format!("{short}: {} took command from you", h.to)
        } else if h.to == me {
            format!("{short}: you took command from {from}")
        } else {
            format!("{short}: {} took command from {from}", h.to)
        };
        out.push((
            format!("taken:{short}:{}", h.at.to_rfc3339()),
            title,
            reason,
        ));
    }
}

/// What needs `me` on the incidents of the list other than `open`, raised once each like
/// the open incident's own alerts, and under the same keys, so opening that incident later
/// does not raise them again.
pub fn list_alerts(
    incidents: &[IncidentSummary],
    open: Option<uuid::Uuid>,
    me: &str,
    now: DateTime<Utc>,
) -> Vec<Alert> {
    let mut out = Vec::new();
    for s in incidents.iter().filter(|s| Some(s.id) != open) {
        let short = &s.short_id;
        let a = &s.attention;
        for need in attention::needs(s, me, now) {
            match need {
                Need::ChangeRequestsWaiting(_) => {
                    for (id, who) in &a.change_requests.open {
                        out.push((
                            format!("change:{id}"),
                            format!("{short}: {who} asks to change production"),
                            format!("On “{}”; open it to decide.", s.title),
                        ));
                    }
                }
                Need::CommandRequestsWaiting(_) => {
                    for (id, who) in &a.command_requests.open {
                        out.push((
                            format!("cmdreq:{id}"),
                            format!("{short}: {who} asks for command"),
                            format!("On “{}”; open it to answer.", s.title),
                        ));
                    }
                }
                Need::UpdateOverdue(audience) => {
                    let Some(due) = a.updates_due.get(&audience) else {
                        continue;
                    };
                    let who = match audience {
                        Audience::Internal => "internal",
                        Audience::External => "external",
                    };
                    out.push((
                        format!("overdue:{short}:{who}:{due}"),
                        format!("{short}: {who} status update overdue"),
                        format!(
                            "The next {who} update on “{}” was due at {}.",
                            s.title,
                            due.format("%H:%M UTC")
                        ),
                    ));
                }
                Need::RoleHandedToYou(role) => {
                    let since = a
                        .handed
                        .get(&role)
                        .map(|h| h.at.to_rfc3339())
                        .unwrap_or_default();
                    out.push((
                        format!("role:{short}:{role}:{since}"),
                        format!("{short}: you are now {}", role.title()),
                        format!("You hold the {} role on “{}”.", role.code(), s.title),
                    ));
                }
            }
        }
    }
    out
}
