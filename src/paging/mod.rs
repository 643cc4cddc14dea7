//! Pages out: sends an incident's pages to its teams' Opsgenie or PagerDuty, retrying with
//! exponential backoff, and records what became of each on the incident (`page_delivery`);
//! once the incident is resolved, closes the pages it made at the provider.
//!
//! The teams come from the `[paging]` section of a config file ([`PagingConfig`]); their
//! keys stay in memory and in the provider's request headers or body, never in an event,
//! an error or a log line. Who sends: in solo mode the CLI or the console, with its own
//! config ([`solo`]); in shared mode the server, with the config it was started with
//! (`server/paging.rs`). Both drive the same [`Pager`] over a [`Ledger`], the incident as
//! each of them reads and writes it.
//!
//! Opsgenie answers 202 before it processes a request, and may still fail it: after that
//! answer the sender asks how the request went ([`confirm`]) a few times, briefly, and
//! records a failure in Opsgenie's words, or a delivery Opsgenie had not confirmed yet.

pub mod opsgenie;
pub mod pagerduty;
pub mod solo;

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::domain::event::EventKind;
use crate::domain::incident::Incident;
use crate::domain::page::{self, Job, PageStatus, Provider};

/// How often a page is tried by default, and the pause after the first failed try (it
/// doubles after each, up to [`MAX_PAUSE`]): about four minutes in all.
pub const ATTEMPTS: u32 = 10;
pub const FIRST_PAUSE: Duration = Duration::from_secs(1);
pub const MAX_PAUSE: Duration = Duration::from_secs(60);
/// How long one request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// How often a request Opsgenie took is asked about, and the longest pause between two
/// asks: about eight seconds in all with the default pause.
pub const CONFIRM_TRIES: u32 = 5;
const CONFIRM_MAX_PAUSE: Duration = Duration::from_secs(4);
/// What a delivery (or a close) says when Opsgenie had not processed the request when
/// last asked.
pub const NOT_CONFIRMED: &str = "Opsgenie had not confirmed it yet";

/// One team and how it is paged.
#[derive(Clone, PartialEq, Eq)]
pub struct Team {
    pub name: String,
    pub provider: Provider,
    /// Opsgenie's API key or PagerDuty's routing key.
    key: String,
    /// The provider's endpoint, without a trailing slash (a regional host, or a test's).
    pub base_url: String,
}

/// A team as anyone may see it: its name and provider, never its key or endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TeamInfo {
    /// As pages name it (`warroom page INCIDENT dba`).
    pub name: String,
    pub provider: Provider,
}

/// Shows everything but the key.
impl fmt::Debug for Team {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Team")
            .field("name", &self.name)
            .field("provider", &self.provider)
            .field("key", &"(hidden)")
            .field("base_url", &self.base_url)
            .finish()
    }
}

impl Team {
    /// `text` with the team's key, should a provider or a library echo it, taken out.
    fn scrub(&self, text: &str) -> String {
        if self.key.len() >= 4 && text.contains(&self.key) {
            text.replace(&self.key, "[key]")
        } else {
            text.to_string()
        }
    }

    /// The request that sends `content`.
    fn trigger(&self, content: &page::Content) -> Request {
        match self.provider {
            Provider::Opsgenie => opsgenie::trigger(&self.base_url, &self.key, content),
            Provider::Pagerduty => pagerduty::trigger(&self.base_url, &self.key, content),
        }
    }

    /// The request that asks how the provider processed the request `request_id`, for a
    /// provider that processes them later (Opsgenie); `None` otherwise.
    fn status(&self, request_id: &str) -> Option<Request> {
        match self.provider {
            Provider::Opsgenie if opsgenie::is_plain_id(request_id) => {
                Some(opsgenie::status(&self.base_url, &self.key, request_id))
            }
            Provider::Opsgenie | Provider::Pagerduty => None,
        }
    }

    /// The request that closes the page known by `key` at the provider.
    fn resolve(&self, key: &str) -> Request {
        match self.provider {
            Provider::Opsgenie => opsgenie::close(&self.base_url, &self.key, key),
            Provider::Pagerduty => pagerduty::resolve(&self.base_url, &self.key, key),
        }
    }
}

/// The teams that may be paged, and how hard delivery is tried.
#[derive(Clone, Debug)]
pub struct PagingConfig {
    pub teams: BTreeMap<String, Team>,
    pub attempts: u32,
    /// The pause after the first failed attempt; it doubles up to [`MAX_PAUSE`].
    pub first_pause: Duration,
    /// Where the teams were read from (a file), for messages.
    pub source: String,
    /// Why the teams could not be read, when they could not: no team is paged, and each
    /// page that needs one says this.
    pub problem: Option<String>,
}

/// Two configs are the same when they page the same way, wherever they were read from.
impl PartialEq for PagingConfig {
    fn eq(&self, other: &Self) -> bool {
        self.teams == other.teams
            && self.attempts == other.attempts
            && self.first_pause == other.first_pause
    }
}

impl Eq for PagingConfig {}

impl Default for PagingConfig {
    fn default() -> Self {
        PagingConfig {
            teams: BTreeMap::new(),
            attempts: ATTEMPTS,
            first_pause: FIRST_PAUSE,
            source: String::new(),
            problem: None,
        }
    }
}

/// `[paging]` as a config file writes it.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawPaging {
    attempts: Option<u32>,
    retry_after: Option<String>,
    #[serde(default)]
    teams: BTreeMap<String, RawTeam>,
}

/// `[paging.teams.NAME]` as a config file writes it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTeam {
    provider: Option<String>,
    api_key: Option<String>,
    routing_key: Option<String>,
    base_url: Option<String>,
}

/// `250ms`, `2s`, `1m`...
fn pause(text: &str) -> Option<Duration> {
    let t = text.trim();
    if let Some(ms) = t.strip_suffix("ms") {
        return ms.trim().parse::<u64>().ok().map(Duration::from_millis);
    }
    crate::domain::time::parse_span(t).and_then(|d| d.to_std().ok())
}

impl PagingConfig {
    /// The `[paging]` of the file `source`; the error names the table and the key.
    pub fn from_raw(raw: RawPaging, source: &str) -> Result<PagingConfig, String> {
        let mut config = PagingConfig {
            source: source.to_string(),
            ..PagingConfig::default()
        };
        if let Some(n) = raw.attempts {
            if !(1..=100).contains(&n) {
                return Err(format!("[paging] attempts = {n}: give 1 to 100"));
            }
            config.attempts = n;
        }
        if let Some(p) = raw.retry_after {
            config.first_pause = pause(&p).filter(|d| *d <= MAX_PAUSE).ok_or_else(|| {
                format!(
                    "[paging] retry_after = \"{p}\" is not a pause of at most a minute \
                     (e.g. \"1s\", \"500ms\")"
                )
            })?;
        }
        for (name, t) in raw.teams {
            let table = format!("[paging.teams.{name}]");
            crate::domain::rules::check_handle("the team's name", &name)
                .map_err(|r| format!("{table}: {}", r.message))?;
            let provider = match t.provider.as_deref() {
                None => {
                    return Err(format!(
                        "{table} needs a provider: provider = \"opsgenie\" or \"pagerduty\""
                    ));
                }
                Some(p) => Provider::parse(p).ok_or_else(|| {
                    format!("{table} provider = \"{p}\" is not one warroom pages through: opsgenie or pagerduty")
                })?,
            };
            let (wanted, other, key) = match provider {
                Provider::Opsgenie => ("api_key", t.routing_key.is_some(), t.api_key),
                Provider::Pagerduty => ("routing_key", t.api_key.is_some(), t.routing_key),
            };
            if other {
                return Err(format!(
                    "{table} pages through {}, which takes `{wanted}`, not `{}`",
                    provider.name(),
                    if wanted == "api_key" {
                        "routing_key"
                    } else {
                        "api_key"
                    }
                ));
            }
            let key = key.map(|k| k.trim().to_string()).unwrap_or_default();
            if key.is_empty() {
                return Err(format!(
                    "{table} pages through {} and needs `{wanted}` ({})",
                    provider.name(),
                    match provider {
                        Provider::Opsgenie => "the key of an API integration of the team",
                        Provider::Pagerduty =>
                            "the integration key of an Events API v2 integration",
                    }
                ));
            }
            let base_url = match t.base_url {
                None => match provider {
                    Provider::Opsgenie => opsgenie::DEFAULT_BASE.to_string(),
                    Provider::Pagerduty => pagerduty::DEFAULT_BASE.to_string(),
                },
                Some(u) if u.starts_with("https://") || u.starts_with("http://") => {
                    u.trim_end_matches('/').to_string()
                }
                Some(u) => {
                    return Err(format!("{table} base_url = \"{u}\" is not an http(s) URL"));
                }
            };
            config.teams.insert(
                name.clone(),
                Team {
                    name,
                    provider,
                    key,
                    base_url,
                },
            );
        }
        Ok(config)
    }

    pub fn is_empty(&self) -> bool {
        self.teams.is_empty()
    }

    /// The teams by name, each with its provider only: what may be shown to anyone.
    pub fn listed(&self) -> Vec<TeamInfo> {
        self.teams
            .values()
            .map(|t| TeamInfo {
                name: t.name.clone(),
                provider: t.provider,
            })
            .collect()
    }

    /// `dba (Opsgenie), payments (PagerDuty)`.
    pub fn describe(&self) -> String {
        self.teams
            .values()
            .map(|t| format!("{} ({})", t.name, t.provider.name()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The team called `name`; the error names it, where teams are configured, and the
    /// ones that are.
    pub fn team(&self, name: &str) -> Result<&Team, String> {
        if let Some(p) = &self.problem {
            return Err(p.clone());
        }
        if let Some(t) = self.teams.get(name) {
            return Ok(t);
        }
        let place = if self.source.is_empty() {
            String::new()
        } else {
            format!(" in {}", self.source)
        };
        if self.teams.is_empty() {
            Err(format!(
                "no team is configured for paging{place}: add [paging.teams.{name}] with \
                 provider = \"opsgenie\" and api_key, or provider = \"pagerduty\" and \
                 routing_key"
            ))
        } else {
            Err(format!(
                "no team `{name}` is configured for paging{place}; the teams are: {}",
                self.teams.keys().cloned().collect::<Vec<_>>().join(", ")
            ))
        }
    }

    /// The pause after failed attempt `n` (1-based).
    pub fn pause(&self, n: u32) -> Duration {
        self.first_pause
            .saturating_mul(1 << n.saturating_sub(1).min(16))
            .min(MAX_PAUSE)
    }
}

/// One HTTP request to a provider.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub url: String,
    /// The `Authorization` header, where the provider takes the key there.
    authorization: Option<String>,
    pub body: Value,
}

/// What became of a request, tried as often as it took.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    /// The provider's id of the request, or the reason it did not take it.
    pub result: Result<String, String>,
    pub attempts: u32,
    /// On a request taken: what is not known of it yet ([`NOT_CONFIRMED`]), else empty.
    pub note: String,
}

/// How the provider processed a request it took for later.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Processed {
    /// Done as asked; the alert's id, where the provider gave it.
    Done(String),
    /// Failed, in the provider's words.
    Failed(String),
    /// Not known: not processed yet when last asked, or no answer that said.
    Unknown,
    /// The provider would not say (a 4xx other than 404 and 429: a key without the right
    /// to read requests, say), in these words; asking again would not help.
    Unasked(String),
}

/// The provider's own words from an error body: its `message`, and its `errors`.
fn provider_message(body: &str) -> String {
    let Ok(v) = serde_json::from_str::<Value>(body) else {
        return body.trim().chars().take(300).collect();
    };
    let mut text = v
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let errors: Vec<String> = match v.get("errors") {
        Some(Value::Array(list)) => list
            .iter()
            .map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_string))
            .collect(),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, e)| {
                format!(
                    "{k}: {}",
                    e.as_str().map_or_else(|| e.to_string(), str::to_string)
                )
            })
            .collect(),
        _ => Vec::new(),
    };
    if !errors.is_empty() {
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&errors.join("; "));
    }
    if text.is_empty() {
        body.trim().chars().take(300).collect()
    } else {
        text
    }
}

/// A network error with its causes: `error sending request ...: connection refused`.
fn network_error(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = source {
        let said = s.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        source = s.source();
    }
    text
}

/// Sends `request` to `team`'s provider until it is taken (2xx) or refused (a 4xx other
/// than 429), or the attempts run out; 5xx answers, 429 and network errors are tried
/// again after `pause(n)`.
pub async fn send(
    client: &reqwest::Client,
    team: &Team,
    request: &Request,
    attempts: u32,
    pause: impl Fn(u32) -> Duration,
) -> Sent {
    let name = team.provider.name();
    let attempts = attempts.max(1);
    let mut last = String::new();
    for n in 1..=attempts {
        let mut r = client
            .post(&request.url)
            .json(&request.body)
            .timeout(REQUEST_TIMEOUT);
        if let Some(auth) = &request.authorization {
            r = r.header(reqwest::header::AUTHORIZATION, auth);
        }
        match r.send().await {
            Ok(resp) => {
                let status = resp.status();
                let body = resp.text().await.unwrap_or_default();
                if status.is_success() {
                    let id = serde_json::from_str::<Value>(&body)
                        .map(|v| match team.provider {
                            Provider::Opsgenie => opsgenie::request_id(&v),
                            Provider::Pagerduty => pagerduty::request_id(&v),
                        })
                        .unwrap_or_default();
                    return Sent {
                        result: Ok(team.scrub(&id)),
                        attempts: n,
                        note: String::new(),
                    };
                }
                let said = provider_message(&body);
                let said = if said.is_empty() {
                    String::new()
                } else {
                    format!(": {said}")
                };
                if status.is_client_error() && status.as_u16() != 429 {
                    return Sent {
                        result: Err(
                            team.scrub(&format!("{name} refused it ({}){said}", status.as_u16()))
                        ),
                        attempts: n,
                        note: String::new(),
                    };
                }
                last = format!("{name} answered {}{said}", status.as_u16());
            }
            Err(e) => last = format!("{name} could not be reached: {}", network_error(&e)),
        }
        if n < attempts {
            tokio::time::sleep(pause(n)).await;
        }
    }
    let tries = if attempts == 1 {
        "tried once".to_string()
    } else {
        format!("gave up after {attempts} attempts")
    };
    Sent {
        result: Err(team.scrub(&format!("{last} ({tries})"))),
        attempts,
        note: String::new(),
    }
}

/// Asks Opsgenie how it processed a request it took, with `check`, the request's status
/// request ([`Team::status`]), up to `tries` times, pausing before each ask half of
/// `pause` of the ask before (at most [`CONFIRM_MAX_PAUSE`]): with `pause` doubling from a
/// second, asks come after 0.5, 1, 2, 4 and 8 seconds. A 404 means not processed yet, as do
/// 429, 5xx and network errors; any other 4xx stops the asking, since asking again would
/// get the same answer.
pub async fn confirm(
    client: &reqwest::Client,
    check: &Request,
    tries: u32,
    pause: impl Fn(u32) -> Duration,
) -> Processed {
    for n in 1..=tries {
        tokio::time::sleep((pause(n.saturating_sub(1).max(1)) / 2).min(CONFIRM_MAX_PAUSE)).await;
        let mut r = client.get(&check.url).timeout(REQUEST_TIMEOUT);
        if let Some(auth) = &check.authorization {
            r = r.header(reqwest::header::AUTHORIZATION, auth);
        }
        let Ok(resp) = r.send().await else { continue };
        let status = resp.status();
        if status.is_client_error()
            && status != reqwest::StatusCode::NOT_FOUND
            && status != reqwest::StatusCode::TOO_MANY_REQUESTS
        {
            let said = provider_message(&resp.text().await.unwrap_or_default());
            let said = if said.is_empty() {
                String::new()
            } else {
                format!(": {said}")
            };
            return Processed::Unasked(format!(
                "could not confirm it: Opsgenie answered {}{said}",
                status.as_u16()
            ));
        }
        if status != reqwest::StatusCode::OK {
            continue;
        }
        let body = resp.text().await.unwrap_or_default();
        let verdict = serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|v| opsgenie::processed(&v));
        match verdict {
            Some(Ok(alert)) => return Processed::Done(alert),
            Some(Err(why)) => return Processed::Failed(why),
            None => {}
        }
    }
    Processed::Unknown
}

/// The incident as the sender reads and writes it: the server's store, or a solo
/// replica.
#[async_trait]
pub trait Ledger: Send + Sync {
    /// The incident's state now (`None`: no such incident).
    async fn state(&self, incident: Uuid) -> Result<Option<Incident>, String>;
    /// Records `kind` (a `page_delivery`) on the incident under the event id `id`, at the
    /// sender's time and in the sender's name.
    async fn record(&self, incident: Uuid, id: Uuid, kind: EventKind) -> Result<(), String>;
}

/// What one job came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub page: Uuid,
    pub team: String,
    pub job: Job,
    pub status: PageStatus,
    /// How the outcome reads on the timeline.
    pub text: String,
    /// Whether the outcome made it onto the incident.
    pub recorded: Result<(), String>,
}

impl Report {
    /// Something went wrong: the page did not go out or close, or that was not recorded.
    pub fn is_failure(&self) -> bool {
        self.status.is_failure() || self.recorded.is_err()
    }

    /// One line for a person: what happened, and that it was not recorded if so.
    pub fn line(&self) -> String {
        match &self.recorded {
            Ok(()) => self.text.clone(),
            Err(e) => format!("{} — and it could not be recorded: {e}", self.text),
        }
    }
}

/// The pages this process is working on, so two settles never send one page twice.
fn busy() -> &'static Mutex<HashSet<Uuid>> {
    static BUSY: OnceLock<Mutex<HashSet<Uuid>>> = OnceLock::new();
    BUSY.get_or_init(Mutex::default)
}

/// A page this process works on until dropped.
struct Claim(Uuid);

impl Claim {
    fn take(page: Uuid) -> Option<Claim> {
        let mut b = busy().lock().unwrap_or_else(|e| e.into_inner());
        b.insert(page).then_some(Claim(page))
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        busy()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.0);
    }
}

/// Sends pages for whoever holds the keys.
pub struct Pager {
    config: PagingConfig,
    client: reqwest::Client,
}

impl Pager {
    pub fn new(config: PagingConfig) -> Pager {
        Pager {
            config,
            client: reqwest::Client::new(),
        }
    }

    pub fn config(&self) -> &PagingConfig {
        &self.config
    }

    /// Does what the incident's pages need (`domain::page::outstanding`) until nothing is
    /// left that this call has not tried: sends them (all at once), closes them once the
    /// incident is resolved, and after each round reads the incident again, so a page
    /// delivered after the incident was resolved is closed too. Pages another call of
    /// this process is working on are left to it.
    pub async fn settle(&self, ledger: &dyn Ledger, incident: Uuid) -> Vec<Report> {
        let mut reports = Vec::new();
        let mut tried: HashSet<Job> = HashSet::new();
        loop {
            let state = match ledger.state(incident).await {
                Ok(Some(s)) => s,
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!("paging: incident {incident} could not be read: {e}");
                    break;
                }
            };
            let jobs: Vec<(Job, Claim)> = page::outstanding(&state)
                .into_iter()
                .filter(|j| !tried.contains(j))
                .filter_map(|j| Claim::take(j.page()).map(|c| (j, c)))
                .collect();
            if jobs.is_empty() {
                break;
            }
            tried.extend(jobs.iter().map(|(j, _)| *j));
            let runs = jobs.into_iter().map(|(job, claim)| {
                let state = &state;
                async move {
                    let report = self.run(ledger, state, job).await;
                    drop(claim);
                    report
                }
            });
            reports.extend(futures_util::future::join_all(runs).await);
        }
        reports
    }

    /// Does one job and records its outcome.
    async fn run(&self, ledger: &dyn Ledger, state: &Incident, job: Job) -> Report {
        let incident = state.id();
        let Some(p) = state.pages.iter().find(|p| p.id == job.page()) else {
            return Report {
                page: job.page(),
                team: String::new(),
                job,
                status: PageStatus::Failed,
                text: "the page is gone".into(),
                recorded: Err("no such page on the incident".into()),
            };
        };
        let (status, provider, sent) = match job {
            Job::Withdraw(_) => (PageStatus::Withdrawn, p.provider, None),
            Job::Trigger(_) => match self.config.team(&p.team) {
                Err(e) => (
                    PageStatus::Failed,
                    p.provider,
                    Some((Err(e), 0, String::new())),
                ),
                Ok(team) => {
                    let request = team.trigger(&page::content(state, p));
                    let sent = self.send_and_confirm(team, &request).await;
                    let status = if sent.result.is_ok() {
                        PageStatus::Delivered
                    } else {
                        PageStatus::Failed
                    };
                    (
                        status,
                        Some(team.provider),
                        Some((sent.result, sent.attempts, sent.note)),
                    )
                }
            },
            Job::Resolve(_) => match self.config.team(&p.team) {
                Err(e) => (
                    PageStatus::ResolveFailed,
                    p.provider,
                    Some((Err(e), 0, String::new())),
                ),
                Ok(team) => {
                    let sent = self.send_and_confirm(team, &team.resolve(&p.key())).await;
                    let status = if sent.result.is_ok() {
                        PageStatus::Resolved
                    } else {
                        PageStatus::ResolveFailed
                    };
                    (
                        status,
                        Some(team.provider),
                        Some((sent.result, sent.attempts, sent.note)),
                    )
                }
            },
        };
        // On a delivery (or a close), `error` holds what is not known of it yet.
        let (request_id, error, attempts) = match sent {
            None => (String::new(), String::new(), 0),
            Some((Ok(id), n, note)) => (id, note, n),
            Some((Err(e), n, _)) => (String::new(), e, n),
        };
        let text = page::delivery_text(&p.team, provider, status, &request_id, &error, attempts);
        let kind = EventKind::PageDelivery {
            page: p.id,
            team: p.team.clone(),
            provider,
            status,
            request_id: clipped(&request_id, crate::domain::rules::limits::TITLE),
            error: clipped(&error, crate::domain::rules::limits::TEXT),
            attempts,
        };
        let recorded = ledger.record(incident, page::delivery_id(job), kind).await;
        match (&recorded, status.is_failure()) {
            (Ok(()), false) => tracing::info!("incident {incident}: {text}"),
            (Ok(()), true) => tracing::warn!("incident {incident}: {text}"),
            (Err(e), _) => {
                tracing::warn!("incident {incident}: {text}; not recorded: {e}")
            }
        }
        Report {
            page: p.id,
            team: p.team.clone(),
            job,
            status,
            text,
            recorded,
        }
    }

    async fn send(&self, team: &Team, request: &Request) -> Sent {
        send(&self.client, team, request, self.config.attempts, |n| {
            self.config.pause(n)
        })
        .await
    }

    /// Sends `request`; once a provider that processes requests later (Opsgenie) took it,
    /// asks how it went: failed there is failed here, in the provider's words and not
    /// tried again; not processed yet is taken, with [`NOT_CONFIRMED`] as its note.
    async fn send_and_confirm(&self, team: &Team, request: &Request) -> Sent {
        let mut sent = self.send(team, request).await;
        let Ok(id) = &sent.result else {
            return sent;
        };
        let Some(check) = team.status(id) else {
            if team.provider == Provider::Opsgenie {
                sent.note = NOT_CONFIRMED.to_string();
            }
            return sent;
        };
        let name = team.provider.name();
        match confirm(&self.client, &check, CONFIRM_TRIES, |n| {
            self.config.pause(n)
        })
        .await
        {
            Processed::Done(_) => {}
            // The request id stays in the words: it is what Opsgenie's support asks for.
            Processed::Failed(why) => {
                sent.result = Err(team.scrub(&format!(
                    "{name} took it (request {id}), then failed it: {why}"
                )));
            }
            Processed::Unknown => sent.note = NOT_CONFIRMED.to_string(),
            Processed::Unasked(why) => sent.note = team.scrub(&why),
        }
        sent
    }
}

fn clipped(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// Whether recording `kinds` leaves pages to send or close: a page, a resolve or a close.
pub fn wants_settle<'a>(kinds: impl IntoIterator<Item = &'a EventKind>) -> bool {
    kinds.into_iter().any(|k| {
        matches!(
            k,
            EventKind::PageRequested { .. } | EventKind::Resolved { .. } | EventKind::Closed { .. }
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<PagingConfig, String> {
        let raw: RawPaging = toml::from_str(text).map_err(|e| e.to_string())?;
        PagingConfig::from_raw(raw, "c.toml")
    }

    #[test]
    fn teams_are_read_with_their_keys_and_endpoints() {
        let c = parse(
            "attempts = 3\nretry_after = \"250ms\"\n\
             [teams.dba]\nprovider = \"opsgenie\"\napi_key = \"og-key\"\n\
             base_url = \"https://api.eu.opsgenie.com/\"\n\
             [teams.payments]\nprovider = \"pagerduty\"\nrouting_key = \"pd-key\"\n",
        )
        .unwrap();
        assert_eq!(c.attempts, 3);
        assert_eq!(c.first_pause, Duration::from_millis(250));
        assert_eq!(c.pause(1), Duration::from_millis(250));
        assert_eq!(c.pause(3), Duration::from_secs(1));
        assert_eq!(c.pause(30), MAX_PAUSE);
        let dba = c.team("dba").unwrap();
        assert_eq!(dba.provider, Provider::Opsgenie);
        assert_eq!(dba.base_url, "https://api.eu.opsgenie.com");
        let pay = c.team("payments").unwrap();
        assert_eq!(pay.base_url, pagerduty::DEFAULT_BASE);
        assert_eq!(c.describe(), "dba (Opsgenie), payments (PagerDuty)");
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("og-key") && !shown.contains("pd-key"),
            "{shown}"
        );
    }

    #[test]
    fn unknown_teams_and_missing_keys_are_named() {
        let e = parse("[teams.dba]\nprovider = \"opsgenie\"\n").unwrap_err();
        assert!(
            e.contains("[paging.teams.dba]") && e.contains("api_key"),
            "{e}"
        );
        let e = parse("[teams.pay]\nprovider = \"pagerduty\"\napi_key = \"k\"\n").unwrap_err();
        assert!(e.contains("routing_key"), "{e}");
        let e = parse("[teams.pay]\nprovider = \"victorops\"\nrouting_key = \"k\"\n").unwrap_err();
        assert!(e.contains("victorops"), "{e}");
        let e = parse("[teams.pay]\nrouting_key = \"k\"\n").unwrap_err();
        assert!(e.contains("needs a provider"), "{e}");
        let e = parse(
            "[teams.pay]\nprovider = \"pagerduty\"\nrouting_key = \"k\"\nbase_url = \"ftp://x\"\n",
        )
        .unwrap_err();
        assert!(e.contains("base_url"), "{e}");
        let e = parse("retry_after = \"soon\"\n").unwrap_err();
        assert!(e.contains("retry_after"), "{e}");

        let c = parse("[teams.dba]\nprovider = \"opsgenie\"\napi_key = \"k\"\n").unwrap();
        let e = c.team("network").unwrap_err();
        assert!(
            e.contains("`network`") && e.contains("dba") && e.contains("c.toml"),
            "{e}"
        );
        let e = PagingConfig::default().team("dba").unwrap_err();
        assert!(e.contains("no team is configured"), "{e}");
    }

    #[test]
    fn a_provider_message_is_read_from_either_error_shape() {
        assert_eq!(
            provider_message(
                r#"{"message":"Key format is not valid!","took":0.0,"requestId":"x"}"#
            ),
            "Key format is not valid!"
        );
        assert_eq!(
            provider_message(
                r#"{"status":"invalid event","message":"Event object is invalid","errors":["Length of 'routing_key' is incorrect"]}"#
            ),
            "Event object is invalid: Length of 'routing_key' is incorrect"
        );
        assert_eq!(provider_message("Bad Gateway"), "Bad Gateway");
    }

    #[test]
    fn a_key_never_leaves_in_an_error() {
        let c =
            parse("[teams.dba]\nprovider = \"opsgenie\"\napi_key = \"secret-og-key\"\n").unwrap();
        let t = c.team("dba").unwrap();
        assert_eq!(t.scrub("bad key secret-og-key"), "bad key [key]");
    }
}
