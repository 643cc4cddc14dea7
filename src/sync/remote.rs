//! The REST client of API v1.

use std::time::Duration;

use reqwest::StatusCode;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::domain::event::{Event, EventKind};
use crate::domain::incident::IncidentSummary;
use crate::server::routes::MAX_LIMIT;
use crate::store::NewEvent;

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum RemoteError {
    /// The server could not be reached or failed (network, timeout, 5xx): try again later.
    #[error("server unreachable: {0}")]
    Offline(String),
    /// The token was refused: nothing will work until it is fixed.
    #[error("the server refused the token: {0}")]
    Unauthorized(String),
    /// The server refused this request (4xx): retrying will not help.
    #[error("the server refused it ({status}): {message}")]
    Rejected { status: u16, message: String },
    /// What answered is not a warroom API v1 server.
    #[error("{0}")]
    Incompatible(String),
}

impl RemoteError {
    pub fn is_offline(&self) -> bool {
        matches!(self, RemoteError::Offline(_))
    }
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    message: String,
}

#[derive(Deserialize)]
struct AcceptedBody {
    accepted: Vec<AcceptedItem>,
}

#[derive(Deserialize)]
struct AcceptedItem {
    id: Uuid,
    seq: i64,
}

#[derive(Deserialize)]
pub struct Page {
    pub events: Vec<Event>,
    pub last_seq: i64,
}

/// A CA certificate (PEM) trusted besides the system's roots, for a server whose
/// certificate a private CA signed. Set once at start (`--ca-cert` / `WARROOM_CA_CERT`).
static CA_CERT: std::sync::OnceLock<Option<std::path::PathBuf>> = std::sync::OnceLock::new();

/// Trust `path` (a PEM file of one or more CA certificates) for every server this process
/// talks to. The first call wins.
pub fn trust_ca_cert(path: Option<std::path::PathBuf>) {
    let _ = CA_CERT.set(path);
}

fn extra_roots() -> Result<Vec<reqwest::Certificate>, RemoteError> {
    let Some(Some(path)) = CA_CERT.get() else {
        return Ok(Vec::new());
    };
    let pem = std::fs::read(path)
        .map_err(|e| RemoteError::Incompatible(format!("--ca-cert {}: {e}", path.display())))?;
    reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
        RemoteError::Incompatible(format!(
            "--ca-cert {}: not a PEM certificate ({e})",
            path.display()
        ))
    })
}

/// Why talking to `server` is unsafe, if it is: plain http:// to another machine sends
/// the token and every incident in clear.
pub fn plain_http_warning(server: &str) -> Option<String> {
    let url = reqwest::Url::parse(server.trim()).ok()?;
    if url.scheme() != "http" {
        return None;
    }
    let host = url.host_str()?;
    let loopback = host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    (!loopback).then(|| {
        format!(
            "{host} is reached over plain http://: your token and the incident travel in clear; \
             use https://"
        )
    })
}

/// The page size every API v1 server takes (its default `limit`).
pub const FALLBACK_PAGE: usize = 1000;

#[derive(Clone)]
pub struct Remote {
    base: String,
    token: String,
    client: reqwest::Client,
    /// Events asked for per page (see [`Remote::page_limit`]); shared by clones.
    page_limit: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Remote {
    pub fn new(server: &str, token: &str) -> Result<Self, RemoteError> {
        let base = server.trim().trim_end_matches('/').to_string();
        let parsed = reqwest::Url::parse(&base).map_err(|e| {
            RemoteError::Incompatible(format!("`{server}` is not a server URL: {e}"))
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(RemoteError::Incompatible(format!(
                "`{server}` is not an http:// or https:// URL"
            )));
        }
        if token.trim().is_empty() {
            return Err(RemoteError::Unauthorized(
                "no token: pass --token or set WARROOM_TOKEN (make one with `warroom token create`)"
                    .into(),
            ));
        }
        let mut builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .pool_idle_timeout(Duration::from_secs(90));
        for cert in extra_roots()? {
            builder = builder.add_root_certificate(cert);
        }
        let client = builder
            .build()
            .map_err(|e| RemoteError::Offline(e.to_string()))?;
        Ok(Remote {
            base,
            token: token.trim().to_string(),
            client,
            page_limit: std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(MAX_LIMIT)),
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    async fn answer(
        &self,
        req: reqwest::RequestBuilder,
        timeout: Duration,
    ) -> Result<Value, RemoteError> {
        self.answer_tagged(req, timeout).await.map(|(v, _)| v)
    }

    /// The answer with its `ETag` header, when it has one.
    async fn answer_tagged<T: DeserializeOwned>(
        &self,
        req: reqwest::RequestBuilder,
        timeout: Duration,
    ) -> Result<(T, Option<String>), RemoteError> {
        let resp = req
            .bearer_auth(&self.token)
            .timeout(timeout)
            .send()
            .await
            .map_err(|e| {
                let what = describe_reqwest(&e);
                if what.contains("certificate") || what.contains("UnknownIssuer") {
                    // Not a passing outage: retrying will not help until it is trusted.
                    RemoteError::Incompatible(format!(
                        "{}: its TLS certificate is not trusted ({what}); pass --ca-cert FILE \
                         (or set WARROOM_CA_CERT) naming the CA that signed it",
                        self.base
                    ))
                } else {
                    RemoteError::Offline(format!("{what} ({})", self.base))
                }
            })?;
        let status = resp.status();
        let tag = resp
            .headers()
            .get(reqwest::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let is_json = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        let bytes = resp.bytes().await.map_err(|e| {
            RemoteError::Offline(format!("{} ({})", describe_reqwest(&e), self.base))
        })?;
        if status.is_server_error() {
            return Err(RemoteError::Offline(format!(
                "the server answered {status}"
            )));
        }
        if !is_json {
            return Err(RemoteError::Incompatible(format!(
                "{} answered {status} without JSON: it does not look like a warroom server (API v1)",
                self.base
            )));
        }
        let message = || {
            serde_json::from_slice::<ErrorEnvelope>(&bytes)
                .map(|e| e.error.message)
                .unwrap_or_else(|_| String::from_utf8_lossy(&bytes).into_owned())
        };
        match status {
            s if s.is_success() => serde_json::from_slice(&bytes)
                .map(|v| (v, tag))
                .map_err(|e| {
                    RemoteError::Incompatible(format!("the server's answer does not parse: {e}"))
                }),
            StatusCode::UNAUTHORIZED => Err(RemoteError::Unauthorized(message())),
            s => Err(RemoteError::Rejected {
                status: s.as_u16(),
                message: message(),
            }),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Checks that a warroom API v1 server answers and takes the token; answers the
    /// token's handle.
    pub async fn whoami(&self) -> Result<String, RemoteError> {
        let v = self
            .answer(
                self.client.get(self.url("/api/v1/me")),
                Duration::from_secs(10),
            )
            .await?;
        v.get("handle")
            .and_then(|h| h.as_str())
            .map(str::to_string)
            .ok_or_else(|| {
                RemoteError::Incompatible("the server did not say who the token is".into())
            })
    }

    pub async fn incidents(&self) -> Result<Vec<IncidentSummary>, RemoteError> {
        let v = self
            .answer(
                self.client.get(self.url("/api/v1/incidents")),
                Duration::from_secs(30),
            )
            .await?;
        serde_json::from_value(v)
            .map_err(|e| RemoteError::Incompatible(format!("incident list: {e}")))
    }

    /// The incident list and its version (`ETag`). With `known` (the version the caller
    /// holds) and a `wait`, a long-poll: answered once the list differs from `known`, or
    /// when the wait is over.
    pub async fn incidents_after(
        &self,
        known: Option<&str>,
        wait: Duration,
    ) -> Result<(Vec<IncidentSummary>, Option<String>), RemoteError> {
        let mut query = vec![("wait", wait.as_secs().to_string())];
        if let Some(k) = known {
            query.push(("known", k.to_string()));
        }
        let (v, tag) = self
            .answer_tagged(
                self.client.get(self.url("/api/v1/incidents")).query(&query),
                wait + Duration::from_secs(30),
            )
            .await?;
        let list = serde_json::from_value(v)
            .map_err(|e| RemoteError::Incompatible(format!("incident list: {e}")))?;
        Ok((list, tag))
    }

    /// The server's alerts: those firing, or with `all` every kept one, firing first.
    pub async fn alerts(&self, all: bool) -> Result<Vec<crate::domain::alert::Alert>, RemoteError> {
        let v = self
            .answer(
                self.client
                    .get(self.url("/api/v1/alerts"))
                    .query(&[("all", all.to_string())]),
                Duration::from_secs(30),
            )
            .await?;
        #[derive(Deserialize)]
        struct Alerts {
            alerts: Vec<crate::domain::alert::Alert>,
        }
        serde_json::from_value::<Alerts>(v)
            .map(|l| l.alerts)
            .map_err(|e| RemoteError::Incompatible(format!("alert list: {e}")))
    }

    /// The teams the server pages, by name (`GET /api/v1/paging/teams`); a server older
    /// than that endpoint answers 404.
    pub async fn paging_teams(&self) -> Result<Vec<crate::paging::TeamInfo>, RemoteError> {
        let v = self
            .answer(
                self.client.get(self.url("/api/v1/paging/teams")),
                Duration::from_secs(15),
            )
            .await?;
        #[derive(Deserialize)]
        struct Teams {
            teams: Vec<crate::paging::TeamInfo>,
        }
        serde_json::from_value::<Teams>(v)
            .map(|l| l.teams)
            .map_err(|e| RemoteError::Incompatible(format!("paging teams: {e}")))
    }

    /// Declares from a pending `incident_declared` event (its id is the incident's).
    pub async fn declare(
        &self,
        incident: Uuid,
        at: chrono::DateTime<chrono::Utc>,
        kind: &EventKind,
    ) -> Result<(), RemoteError> {
        let EventKind::IncidentDeclared {
            title,
            severity,
            summary,
            drill,
            restricted,
        } = kind
        else {
            return Err(RemoteError::Rejected {
                status: 422,
                message: "not a declaration".into(),
            });
        };
        let body = json!({
            "id": incident,
            "title": title,
            "severity": severity.level(),
            "summary": summary,
            "drill": drill,
            "visibility": if *restricted { "restricted" } else { "open" },
            "at": crate::domain::event::format_time(at),
        });
        self.answer(
            self.client.post(self.url("/api/v1/incidents")).json(&body),
            Duration::from_secs(30),
        )
        .await
        .map(|_| ())
    }

    pub async fn append(
        &self,
        incident: Uuid,
        events: &[NewEvent],
    ) -> Result<Vec<(Uuid, i64)>, RemoteError> {
        let list: Vec<Value> = events
            .iter()
            .map(|e| {
                let mut m = e.kind.fields();
                m.insert("id".into(), json!(e.id));
                m.insert("type".into(), json!(e.kind.type_name()));
                m.insert("at".into(), json!(crate::domain::event::format_time(e.at)));
                if let Some(p) = &e.persona {
                    m.insert("persona".into(), json!(p));
                }
                Value::Object(m)
            })
            .collect();
        let v = self
            .answer(
                self.client
                    .post(self.url(&format!("/api/v1/incidents/{incident}/events")))
                    .json(&json!({ "events": list })),
                Duration::from_secs(30),
            )
            .await?;
        let body: AcceptedBody = serde_json::from_value(v)
            .map_err(|e| RemoteError::Incompatible(format!("append answer: {e}")))?;
        Ok(body.accepted.into_iter().map(|a| (a.id, a.seq)).collect())
    }

    /// Events after `after`; with `wait`, a long-poll. Asks for pages of
    /// [`Remote::page_limit`] events.
    pub async fn events(
        &self,
        incident: Uuid,
        after: i64,
        wait: Duration,
    ) -> Result<Page, RemoteError> {
        let limit = self.page_limit();
        match self.events_limited(incident, after, limit, wait).await {
            // A server whose pages are smaller refuses the limit (400): from then on this
            // client asks for the size every API v1 server takes.
            Err(RemoteError::Rejected { status: 400, .. }) if limit > FALLBACK_PAGE => {
                self.set_page_limit(FALLBACK_PAGE);
                self.events_limited(incident, after, FALLBACK_PAGE, wait)
                    .await
            }
            other => other,
        }
    }

    /// How many events this client asks for a page: the most the server answers (its
    /// `limit` maximum, [`MAX_LIMIT`]), or [`FALLBACK_PAGE`] once a server refused that.
    pub fn page_limit(&self) -> usize {
        self.page_limit.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Asks for pages of at most `limit` events from now on (at least 1; a server that
    /// takes fewer is met as [`Remote::events`] says).
    pub fn set_page_limit(&self, limit: usize) {
        self.page_limit
            .store(limit.max(1), std::sync::atomic::Ordering::Relaxed);
    }

    /// Events after `after`, at most `limit`; with `wait`, a long-poll.
    pub async fn events_limited(
        &self,
        incident: Uuid,
        after: i64,
        limit: usize,
        wait: Duration,
    ) -> Result<Page, RemoteError> {
        let secs = wait.as_secs();
        self.answer_tagged(
            self.client
                .get(self.url(&format!("/api/v1/incidents/{incident}/events")))
                .query(&[
                    ("after", after.to_string()),
                    ("limit", limit.to_string()),
                    ("wait", secs.to_string()),
                ]),
            wait + Duration::from_secs(30),
        )
        .await
        .map(|(page, _)| page)
    }
}

fn describe_reqwest(e: &reqwest::Error) -> String {
    let chain = || {
        let mut s = e.to_string();
        let mut src = std::error::Error::source(e);
        while let Some(inner) = src {
            s = format!("{s}: {inner}");
            src = inner.source();
        }
        s
    };
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() && chain().contains("certificate") {
        chain()
    } else if e.is_connect() {
        "cannot connect".into()
    } else {
        let mut s = e.to_string();
        let mut src = std::error::Error::source(e);
        while let Some(inner) = src {
            s = format!("{s}: {inner}");
            src = inner.source();
        }
        s
    }
}
