//! Paging a team from an incident, through Opsgenie or PagerDuty: the pages an incident
//! made, what became of each, what is left to do for them, and what a page says.
//!
//! A page is a `page_requested` event (by the IC or the Operations Lead); whoever holds the
//! team's keys sends it (the CLI or console in solo mode, the server in shared mode, see
//! `crate::paging`) and records the outcome as a `page_delivery` event: delivered or
//! failed, and once the incident is resolved, closed at the provider (or not). Pure: the
//! sending lives in `crate::paging`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::event::{Event, Severity, Status};
use super::incident::Incident;

/// Where a team is paged.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    Opsgenie,
    Pagerduty,
}

impl Provider {
    /// As configured and stored: `opsgenie`, `pagerduty`.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Opsgenie => "opsgenie",
            Provider::Pagerduty => "pagerduty",
        }
    }

    /// As people write it: `Opsgenie`, `PagerDuty`.
    pub fn name(self) -> &'static str {
        match self {
            Provider::Opsgenie => "Opsgenie",
            Provider::Pagerduty => "PagerDuty",
        }
    }

    pub fn parse(s: &str) -> Option<Provider> {
        match s.trim().to_ascii_lowercase().as_str() {
            "opsgenie" => Some(Provider::Opsgenie),
            "pagerduty" => Some(Provider::Pagerduty),
            _ => None,
        }
    }
}

/// What became of a page at its provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageStatus {
    /// The provider accepted the page.
    Delivered,
    /// The provider refused it, or could not be reached for as long as it was tried.
    Failed,
    /// Closed (Opsgenie) or resolved (PagerDuty) at the provider after the incident was.
    Resolved,
    /// The provider did not take the close.
    ResolveFailed,
    /// Never sent: the incident was resolved before the page went out.
    Withdrawn,
}

impl PageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PageStatus::Delivered => "delivered",
            PageStatus::Failed => "failed",
            PageStatus::Resolved => "resolved",
            PageStatus::ResolveFailed => "resolve_failed",
            PageStatus::Withdrawn => "withdrawn",
        }
    }

    /// A failure someone must see: the page did not go out, or did not close.
    pub fn is_failure(self) -> bool {
        matches!(self, PageStatus::Failed | PageStatus::ResolveFailed)
    }
}

/// One page of the incident, as folded from its events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    /// The `page_requested` event.
    pub id: Uuid,
    pub team: String,
    /// As requested, or as the sender found it configured.
    pub provider: Option<Provider>,
    pub message: String,
    pub by: String,
    pub at: DateTime<Utc>,
    /// `None` while it is being sent.
    pub status: Option<PageStatus>,
    /// The provider's id of the request that settled it (Opsgenie's `requestId`,
    /// PagerDuty's `dedup_key`).
    pub request_id: String,
    /// Why it failed, in the provider's words where it gave some; on a page delivered or
    /// closed, what is not known of it yet (Opsgenie had not confirmed it).
    pub error: String,
    /// How many times the last step was tried.
    pub attempts: u32,
    pub updated_at: Option<DateTime<Utc>>,
}

impl Page {
    /// The key the provider knows the page by (Opsgenie's alias, PagerDuty's dedup_key):
    /// closing the page later names it.
    pub fn key(&self) -> String {
        format!("warroom-{}", self.id)
    }
}

/// What is left to do for a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Job {
    /// Send it.
    Trigger(Uuid),
    /// Close it at the provider: the incident was resolved.
    Resolve(Uuid),
    /// Record that it will not be sent: the incident was resolved first.
    Withdraw(Uuid),
}

impl Job {
    pub fn page(self) -> Uuid {
        match self {
            Job::Trigger(p) | Job::Resolve(p) | Job::Withdraw(p) => p,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Job::Trigger(_) => "trigger",
            Job::Resolve(_) => "resolve",
            Job::Withdraw(_) => "withdraw",
        }
    }
}

/// What the incident's pages still need: sending while the incident is active; once it
/// is resolved or closed, closing those delivered and withdrawing those never sent.
pub fn outstanding(state: &Incident) -> Vec<Job> {
    let active = state.summary.status == Status::Active;
    state
        .pages
        .iter()
        .filter_map(|p| match (p.status, active) {
            (None, true) => Some(Job::Trigger(p.id)),
            (None, false) => Some(Job::Withdraw(p.id)),
            (Some(PageStatus::Delivered), false) => Some(Job::Resolve(p.id)),
            _ => None,
        })
        .collect()
}

/// The id of the `page_delivery` event a job records: the same wherever and however often
/// the job is done, so the outcome of one job is recorded once.
pub fn delivery_id(job: Job) -> Uuid {
    let mut h = Sha256::new();
    h.update(b"warroom page delivery\0");
    h.update(job.page().as_bytes());
    h.update(b"\0");
    h.update(job.name().as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&h.finalize()[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// Opsgenie's priority for an incident of `severity`: SEV1 P1, SEV2 P2, SEV3 P3.
pub fn priority(severity: Severity) -> &'static str {
    match severity.level() {
        1 => "P1",
        2 => "P2",
        _ => "P3",
    }
}

/// PagerDuty's severity for an incident of `severity`: SEV1 critical, SEV2 error, SEV3
/// warning.
pub fn pagerduty_severity(severity: Severity) -> &'static str {
    match severity.level() {
        1 => "critical",
        2 => "error",
        _ => "warning",
    }
}

/// The fold of a `page_requested` event.
pub(super) fn requested(
    pages: &mut Vec<Page>,
    ev: &Event,
    team: &str,
    provider: Option<Provider>,
    message: &str,
) {
    pages.push(Page {
        id: ev.id,
        team: team.to_string(),
        provider,
        message: message.to_string(),
        by: ev.shown_author().to_string(),
        at: ev.at,
        status: None,
        request_id: String::new(),
        error: String::new(),
        attempts: 0,
        updated_at: None,
    });
}

/// What a `page_delivery` event says, for the fold.
pub(super) struct Delivery<'a> {
    pub page: Uuid,
    pub provider: Option<Provider>,
    pub status: PageStatus,
    pub request_id: &'a str,
    pub error: &'a str,
    pub attempts: u32,
}

/// The fold of a `page_delivery` event: false when it names no page of the incident.
pub(super) fn delivered(pages: &mut [Page], ev: &Event, d: Delivery) -> bool {
    let Some(p) = pages.iter_mut().find(|p| p.id == d.page) else {
        return false;
    };
    p.status = Some(d.status);
    if d.provider.is_some() {
        p.provider = d.provider;
    }
    // A close keeps the id of the request that delivered the page when it has none.
    if !d.request_id.is_empty() || d.status != PageStatus::Resolved {
        p.request_id = d.request_id.to_string();
    }
    p.error = d.error.to_string();
    p.attempts = d.attempts;
    p.updated_at = Some(ev.at);
    true
}

/// Pages someone must hear about, while the incident is not closed: the newest page to
/// each team, when it failed to go out or to close.
pub fn failed(state: &Incident) -> Vec<&Page> {
    if state.summary.status == Status::Closed {
        return Vec::new();
    }
    let mut newest: BTreeMap<&str, &Page> = BTreeMap::new();
    for p in &state.pages {
        newest.insert(p.team.as_str(), p);
    }
    let mut out: Vec<&Page> = newest
        .into_values()
        .filter(|p| p.status.is_some_and(PageStatus::is_failure))
        .collect();
    out.sort_by_key(|p| p.at);
    out
}

/// Pages being sent now (requested, no outcome yet).
pub fn sending(state: &Incident) -> Vec<&Page> {
    state.pages.iter().filter(|p| p.status.is_none()).collect()
}

fn through(provider: Option<Provider>) -> String {
    provider
        .map(|p| format!(" through {}", p.name()))
        .unwrap_or_default()
}

/// How a `page_requested` event reads: `paged dba through Opsgenie: MESSAGE`.
pub fn requested_text(team: &str, provider: Option<Provider>, message: &str) -> String {
    let message = message
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let head = format!("paged {team}{}", through(provider));
    if message.is_empty() {
        head
    } else {
        format!("{head}: {message}")
    }
}

/// How a `page_delivery` event reads: `page to dba delivered through Opsgenie (request
/// 4b1c…)`, `PAGE TO dba FAILED: WHY`, ...
pub fn delivery_text(
    team: &str,
    provider: Option<Provider>,
    status: PageStatus,
    request_id: &str,
    error: &str,
    attempts: u32,
) -> String {
    let tries = if attempts > 1 {
        format!(" after {attempts} attempts")
    } else {
        String::new()
    };
    let request = if request_id.is_empty() {
        String::new()
    } else {
        format!(" (request {request_id})")
    };
    let error = error.lines().next().unwrap_or("").trim();
    let via = through(provider);
    // On a delivery or a close, `error` is what is not known of it yet.
    let note = if error.is_empty() {
        String::new()
    } else {
        format!("; {error}")
    };
    match status {
        PageStatus::Delivered => format!("page to {team} delivered{via}{tries}{request}{note}"),
        PageStatus::Failed => format!("PAGE TO {team} FAILED{via}{tries}: {error}"),
        PageStatus::Resolved => format!("page to {team} closed{via}{tries}{request}{note}"),
        PageStatus::ResolveFailed => {
            format!("page to {team} NOT CLOSED{via}{tries}: {error}")
        }
        PageStatus::Withdrawn => {
            format!("page to {team} not sent: the incident was resolved first")
        }
    }
}

/// What a page says to the people it wakes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Content {
    /// The key the provider knows the page by (alias, dedup_key).
    pub key: String,
    /// `SEV1 k7m2qx: MESSAGE`, whole; each provider cuts it to its own limit.
    pub headline: String,
    /// The message, the incident and who paged, in a few lines.
    pub description: String,
    pub severity: Severity,
    /// Facts as key and value: incident, title, severity, team, who paged, the IC.
    pub details: BTreeMap<String, String>,
    /// `warroom`, the severity, `incident-SHORTID`.
    pub tags: Vec<String>,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
}

/// What `page` of the incident `state` says.
pub fn content(state: &Incident, page: &Page) -> Content {
    let sum = &state.summary;
    let message = if page.message.trim().is_empty() {
        sum.title.trim()
    } else {
        page.message.trim()
    };
    let first = message.lines().next().unwrap_or("").trim();
    let headline = format!("{} {}: {first}", sum.severity, sum.short_id);
    let ic = state.commander().unwrap_or("-");
    let mut description = format!(
        "{message}\n\nIncident {} ({}, {}): {}\n",
        sum.short_id,
        sum.severity,
        sum.severity.name(),
        sum.title
    );
    if !state.description.trim().is_empty() {
        description.push_str(state.description.trim());
        description.push('\n');
    }
    description.push_str(&format!(
        "Paged by {} for the {} team; incident commander: {ic}.\nIncident id: {}\n",
        page.by, page.team, sum.id
    ));
    let details: BTreeMap<String, String> = [
        ("incident", sum.short_id.clone()),
        ("incident_id", sum.id.to_string()),
        ("title", sum.title.clone()),
        ("severity", sum.severity.to_string()),
        ("team", page.team.clone()),
        ("paged_by", page.by.clone()),
        ("commander", ic.to_string()),
        ("message", message.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    Content {
        key: page.key(),
        headline,
        description,
        severity: sum.severity,
        details,
        tags: vec![
            "warroom".into(),
            sum.severity.to_string(),
            format!("incident-{}", sum.short_id),
        ],
        requested_by: page.by.clone(),
        requested_at: page.at,
    }
}

/// `text` cut to at most `max` characters, an ellipsis marking the cut.
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::{EventKind, Role};

    fn ev(seq: i64, author: &str, kind: EventKind) -> Event {
        Event {
            id: Uuid::from_u128(seq as u128),
            incident: Uuid::from_u128(1000),
            seq: Some(seq),
            at: DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::minutes(seq),
            recorded_at: None,
            author: author.into(),
            persona: None,
            kind,
        }
    }

    fn declared() -> Vec<Event> {
        vec![ev(
            1,
            "maya",
            EventKind::IncidentDeclared {
                title: "Checkout down".into(),
                severity: Severity::CRITICAL,
                summary: "Card payments fail.".into(),
                drill: false,
                restricted: false,
            },
        )]
    }

    fn page(seq: i64, team: &str) -> Event {
        ev(
            seq,
            "maya",
            EventKind::PageRequested {
                team: team.into(),
                provider: Some(Provider::Opsgenie),
                message: "need a DBA".into(),
            },
        )
    }

    fn outcome(seq: i64, page: i64, status: PageStatus) -> Event {
        ev(
            seq,
            "warroom",
            EventKind::PageDelivery {
                page: Uuid::from_u128(page as u128),
                team: "dba".into(),
                provider: Some(Provider::Opsgenie),
                status,
                request_id: "r-1".into(),
                error: if status.is_failure() {
                    "Key format is not valid!".into()
                } else {
                    String::new()
                },
                attempts: 1,
            },
        )
    }

    #[test]
    fn a_page_is_sent_then_closed_when_the_incident_is_resolved() {
        let mut log = declared();
        log.push(page(2, "dba"));
        let state = Incident::fold(Uuid::from_u128(1000), &log);
        assert_eq!(outstanding(&state), vec![Job::Trigger(Uuid::from_u128(2))]);
        assert_eq!(sending(&state).len(), 1);

        log.push(outcome(3, 2, PageStatus::Delivered));
        let state = Incident::fold(Uuid::from_u128(1000), &log);
        assert!(outstanding(&state).is_empty(), "delivered, incident active");
        assert_eq!(state.pages[0].request_id, "r-1");
        assert!(
            !state.responders.contains_key("warroom"),
            "the sender joins nobody's response"
        );

        log.push(ev(4, "maya", EventKind::ImpactEnded {}));
        log.push(ev(
            5,
            "maya",
            EventKind::Resolved {
                summary: String::new(),
            },
        ));
        let state = Incident::fold(Uuid::from_u128(1000), &log);
        assert_eq!(outstanding(&state), vec![Job::Resolve(Uuid::from_u128(2))]);

        log.push(outcome(6, 2, PageStatus::Resolved));
        let state = Incident::fold(Uuid::from_u128(1000), &log);
        assert!(outstanding(&state).is_empty());
        assert_eq!(state.pages[0].status, Some(PageStatus::Resolved));
    }

    #[test]
    fn a_page_not_sent_before_the_resolve_is_withdrawn_and_failures_are_kept() {
        let mut log = declared();
        log.push(page(2, "dba"));
        log.push(page(3, "payments"));
        log.push(outcome(4, 3, PageStatus::Failed));
        let state = Incident::fold(Uuid::from_u128(1000), &log);
        assert!(outstanding(&state).contains(&Job::Trigger(Uuid::from_u128(2))));
        assert!(
            !outstanding(&state).contains(&Job::Trigger(Uuid::from_u128(3))),
            "a failure is final: the IC pages again"
        );
        let failed: Vec<&str> = failed(&state).iter().map(|p| p.team.as_str()).collect();
        assert_eq!(
            failed,
            ["payments"],
            "the failed page is the one to payments"
        );

        log.push(ev(5, "maya", EventKind::ImpactEnded {}));
        log.push(ev(
            6,
            "maya",
            EventKind::Resolved {
                summary: String::new(),
            },
        ));
        let state = Incident::fold(Uuid::from_u128(1000), &log);
        assert_eq!(outstanding(&state), vec![Job::Withdraw(Uuid::from_u128(2))]);
    }

    #[test]
    fn a_later_page_to_the_same_team_clears_its_alarm() {
        let mut log = declared();
        log.push(page(2, "dba"));
        log.push(outcome(3, 2, PageStatus::Failed));
        let state = Incident::fold(Uuid::from_u128(1000), &log);
        assert_eq!(failed(&state).len(), 1);
        log.push(page(4, "dba"));
        log.push(outcome(5, 4, PageStatus::Delivered));
        let state = Incident::fold(Uuid::from_u128(1000), &log);
        assert!(failed(&state).is_empty());
    }

    #[test]
    fn a_delivery_for_no_page_is_ignored() {
        let mut log = declared();
        log.push(outcome(2, 99, PageStatus::Delivered));
        let state = Incident::fold(Uuid::from_u128(1000), &log);
        assert_eq!(state.ignored_events, 1);
        assert!(state.pages.is_empty());
    }

    #[test]
    fn severities_map_to_priorities() {
        assert_eq!(priority(Severity::CRITICAL), "P1");
        assert_eq!(priority(Severity::MAJOR), "P2");
        assert_eq!(priority(Severity::MINOR), "P3");
        assert_eq!(pagerduty_severity(Severity::CRITICAL), "critical");
        assert_eq!(pagerduty_severity(Severity::MAJOR), "error");
        assert_eq!(pagerduty_severity(Severity::MINOR), "warning");
    }

    #[test]
    fn each_job_records_under_its_own_stable_id() {
        let p = Uuid::from_u128(7);
        assert_eq!(delivery_id(Job::Trigger(p)), delivery_id(Job::Trigger(p)));
        assert_ne!(delivery_id(Job::Trigger(p)), delivery_id(Job::Resolve(p)));
        assert_ne!(
            delivery_id(Job::Trigger(p)),
            delivery_id(Job::Trigger(Uuid::from_u128(8)))
        );
        assert!(!delivery_id(Job::Withdraw(p)).is_nil());
    }

    #[test]
    fn a_page_says_what_the_incident_is_and_who_paged() {
        let mut log = declared();
        log.push(ev(
            2,
            "maya",
            EventKind::RoleAssigned {
                role: Role::Ol,
                handle: "tomas".into(),
            },
        ));
        log.push(page(3, "dba"));
        let state = Incident::fold(Uuid::from_u128(1000), &log);
        let c = content(&state, &state.pages[0]);
        assert_eq!(
            c.headline,
            format!("SEV1 {}: need a DBA", state.summary.short_id)
        );
        assert!(c.description.contains("Checkout down"), "{}", c.description);
        assert!(c.description.contains("Card payments fail."));
        assert!(c.description.contains("Paged by maya"));
        assert_eq!(c.details["commander"], "maya");
        assert_eq!(c.key, format!("warroom-{}", Uuid::from_u128(3)));
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("abc", 4), "abc");
    }
}
