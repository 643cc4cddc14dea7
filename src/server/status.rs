//! The public status page: `GET /status` (HTML, no JavaScript), `/status.json` and the
//! Atom feed `/status/feed.atom`, with no token.
//!
//! It is what everybody reloads during an outage, so no request reads the store: a builder
//! task renders every variant (each language, and all of them together) once per change
//! into memory, and requests are answered from there with `ETag`, `Last-Modified` and
//! `Cache-Control`, so a proxy or CDN can front it and revalidations cost a 304; each is
//! kept gzip-compressed too, for callers that take it.
//!
//! What it shows is the domain's to say (`domain/public.rs`): external updates only, never
//! restricted incidents or drills. An append on this server that can change the page
//! (an external update, severity, resolution, a redaction, impact times) makes the next
//! request wait for the new rendering, so a responder who just sent an update sees it; a
//! change on another instance (PostgreSQL) rebuilds it in the background, at most twice a
//! second.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration as StdDuration;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::sync::watch;
use uuid::Uuid;

use super::AppState;
use super::error::ErrorBody;
use crate::clock::Clock;
use crate::domain::event::{Audience, EventKind};
use crate::domain::lang::Lang;
use crate::domain::public::{
    PublicIncident, PublicStatus, PublicUpdate, Text, order, public_view, severity_words,
    status_words,
};
use crate::store::Store;

/// How the page is set up: `[status_page]` of `serve --config FILE`, and `[comms]
/// languages` for the languages it shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusConfig {
    /// False with `serve --no-status-page` or `[status_page] enabled = false`.
    pub enabled: bool,
    /// The page's title and introduction, per language (the first is used where one is
    /// missing).
    pub title: Vec<Text>,
    pub intro: Vec<Text>,
    /// Where the page is published (`https://status.example.com`), for the feed's links;
    /// without it the feed's links are relative.
    pub url: Option<String>,
    /// The languages updates are written in; the first is the one an update that names
    /// none is in.
    pub languages: Vec<Lang>,
}

impl Default for StatusConfig {
    fn default() -> Self {
        StatusConfig {
            enabled: true,
            title: vec![
                Text {
                    lang: Lang::En,
                    text: "Service status".into(),
                },
                Text {
                    lang: Lang::Fr,
                    text: "État des services".into(),
                },
            ],
            intro: Vec::new(),
            url: None,
            languages: vec![Lang::En],
        }
    }
}

impl StatusConfig {
    fn primary(&self) -> Lang {
        self.languages.first().copied().unwrap_or(Lang::En)
    }

    fn title_in(&self, lang: Lang) -> &str {
        in_lang(&self.title, lang)
    }

    fn intro_in(&self, lang: Lang) -> &str {
        in_lang(&self.intro, lang)
    }
}

fn in_lang(texts: &[Text], lang: Lang) -> &str {
    texts
        .iter()
        .find(|t| t.lang == lang)
        .or_else(|| texts.first())
        .map_or("", |t| t.text.as_str())
}

/// One answer kept in memory.
#[derive(Clone)]
struct Variant {
    body: Bytes,
    etag: HeaderValue,
    /// The same body gzip-compressed, for the browsers and proxies that take it, with an
    /// ETag of its own (another representation).
    gzipped: Bytes,
    gzip_etag: HeaderValue,
}

/// Every variant, as of one build.
struct Rendered {
    /// False only before the first build that could read the store: the page says it is
    /// not ready (503) rather than showing an empty page that would read as all clear.
    available: bool,
    /// The change count this build includes.
    generation: u64,
    /// When its content last changed.
    modified: DateTime<Utc>,
    last_modified: HeaderValue,
    incidents: Vec<PublicIncident>,
    /// (format, language; `None` is every language).
    variants: HashMap<(Format, Option<Lang>), Variant>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Html,
    Json,
    Atom,
}

/// The page kept in memory and the task that renders it.
pub struct StatusPage {
    config: StatusConfig,
    /// Counts changes a request must see (appends on this server).
    wanted: AtomicU64,
    strict: watch::Sender<u64>,
    /// Counts changes seen elsewhere (other instances), rebuilt in the background.
    loose: watch::Sender<u64>,
    built: watch::Sender<Arc<Rendered>>,
}

/// How long a request waits for a rendering that includes its server's newest change
/// before it is answered with the one before.
const FRESH_WAIT: StdDuration = StdDuration::from_secs(3);
/// Changes from other instances rebuild the page at most this often.
const LOOSE_EVERY: StdDuration = StdDuration::from_millis(500);
/// Resolved incidents leave the page after 90 days even when nothing else changes.
const REBUILD_EVERY: StdDuration = StdDuration::from_secs(3600);
/// The newest updates the feed carries.
const FEED_ENTRIES: usize = 100;
/// After a build that could not read the store, the first pause before trying again, and
/// the longest.
const RETRY_FIRST: StdDuration = StdDuration::from_secs(1);
const RETRY_MAX: StdDuration = StdDuration::from_secs(30);

impl StatusPage {
    /// Starts the builder; the first rendering is ready before this returns.
    pub async fn start(
        config: StatusConfig,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
    ) -> Arc<StatusPage> {
        let mut cache = Cache::default();
        let first = build(&config, store.as_ref(), clock.as_ref(), &mut cache, None, 0).await;
        let ready = first.is_some();
        let first = first.unwrap_or_else(|| Rendered {
            available: false,
            generation: 0,
            modified: clock.now(),
            last_modified: header_value(&http_date(clock.now())),
            incidents: Vec::new(),
            variants: HashMap::new(),
        });
        let page = Arc::new(StatusPage {
            config,
            wanted: AtomicU64::new(0),
            strict: watch::channel(0).0,
            loose: watch::channel(0).0,
            built: watch::channel(Arc::new(first)).0,
        });
        tokio::spawn(builder(Arc::downgrade(&page), store, clock, cache, !ready));
        page
    }

    /// Whether events of these kinds can change what the page shows.
    pub fn would_change<'a>(&self, mut kinds: impl Iterator<Item = &'a EventKind>) -> bool {
        kinds.any(changes_public_view)
    }

    /// An append on this server stored such events: the next request waits for a
    /// rendering that includes them.
    pub fn changed(&self) {
        let n = self.wanted.fetch_add(1, Ordering::AcqRel) + 1;
        self.strict.send_replace(n);
    }

    /// Something changed elsewhere (another instance appended): rebuild in the background.
    pub fn nudged(&self) {
        self.loose.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// The newest rendering, once there is one and it includes every change this server
    /// made before the call (or after [`FRESH_WAIT`], the one there is).
    async fn current(&self) -> Arc<Rendered> {
        let want = self.wanted.load(Ordering::Acquire);
        let mut rx = self.built.subscribe();
        let ready = |r: &Arc<Rendered>| r.available && r.generation >= want;
        if ready(&rx.borrow()) {
            return rx.borrow().clone();
        }
        let _ = tokio::time::timeout(FRESH_WAIT, rx.wait_for(ready)).await;
        rx.borrow().clone()
    }
}

/// Whether an event of this kind can change what the page shows.
fn changes_public_view(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::CommsSent {
            audience: Audience::External,
            ..
        } | EventKind::SeverityChanged { .. }
            | EventKind::Resolved { .. }
            | EventKind::Reopened { .. }
            | EventKind::Closed { .. }
            | EventKind::EventRedacted { .. }
            | EventKind::ImpactStarted {}
            | EventKind::ImpactEnded {}
    )
}

async fn builder(
    page: std::sync::Weak<StatusPage>,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    mut cache: Cache,
    failed: bool,
) {
    // After a build that could not read the store: when to try again, and how long the
    // next pause is (doubling up to RETRY_MAX).
    let mut backoff = RETRY_FIRST;
    let mut retry = failed.then(|| tokio::time::Instant::now() + backoff);
    let (mut strict, mut loose) = match page.upgrade() {
        Some(p) => (p.strict.subscribe(), p.loose.subscribe()),
        None => return,
    };
    let mut hourly = tokio::time::interval(REBUILD_EVERY);
    hourly.tick().await;
    let mut last_loose = tokio::time::Instant::now();
    loop {
        tokio::select! {
            changed = strict.changed() => if changed.is_err() { return },
            changed = loose.changed() => {
                if changed.is_err() {
                    return;
                }
                // Other instances' changes come in bursts: one rebuild for each burst, and
                // a change of our own does not wait behind them.
                let due = last_loose + LOOSE_EVERY;
                tokio::select! {
                    _ = tokio::time::sleep_until(due) => {}
                    changed = strict.changed() => if changed.is_err() { return },
                }
                last_loose = tokio::time::Instant::now();
            }
            _ = hourly.tick() => {}
            _ = sleep_until_some(retry) => {}
        }
        let Some(page) = page.upgrade() else { return };
        strict.mark_unchanged();
        loose.mark_unchanged();
        let generation = page.wanted.load(Ordering::Acquire);
        let previous = page.built.borrow().clone();
        let next = build(
            &page.config,
            store.as_ref(),
            clock.as_ref(),
            &mut cache,
            Some(&previous),
            generation,
        )
        .await;
        match next {
            Some(next) => {
                page.built.send_replace(Arc::new(next));
                retry = None;
                backoff = RETRY_FIRST;
            }
            // The previous page stays, and stays marked as of its own changes: a request
            // waiting for a newer one waits its few seconds and gets it; the build is tried
            // again soon.
            None => {
                retry = Some(tokio::time::Instant::now() + backoff);
                backoff = (backoff * 2).min(RETRY_MAX);
            }
        }
    }
}

/// Sleeps until `at`, or forever when there is nothing to wait for.
async fn sleep_until_some(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Each incident's public view, kept with the seq it was made at, so a rebuild reads the
/// state only of incidents that changed.
#[derive(Default)]
struct Cache {
    views: HashMap<Uuid, (i64, Option<PublicIncident>)>,
}

/// Renders the page from the store, as of change `generation`; `None` (said in the log)
/// when the store could not be read.
async fn build(
    config: &StatusConfig,
    store: &dyn Store,
    clock: &dyn Clock,
    cache: &mut Cache,
    previous: Option<&Rendered>,
    generation: u64,
) -> Option<Rendered> {
    let now = clock.now();
    let incidents = match collect(config, store, cache, now).await {
        Ok(incidents) => incidents,
        Err(e) => {
            tracing::warn!("the status page could not be rebuilt (tried again shortly): {e}");
            return None;
        }
    };
    let previous = previous.filter(|p| p.available);
    if let Some(prev) = previous
        && prev.incidents == incidents
    {
        return Some(Rendered {
            available: true,
            generation,
            modified: prev.modified,
            last_modified: prev.last_modified.clone(),
            incidents,
            variants: prev.variants.clone(),
        });
    }
    // HTTP dates have whole seconds: a change within the second of the last one is dated a
    // second later, so `If-Modified-Since` never takes it for the copy before.
    let modified = match previous {
        Some(prev) => now.max(prev.modified + chrono::Duration::seconds(1)),
        None => now,
    };
    Some(render(config, incidents, modified, generation))
}

async fn collect(
    config: &StatusConfig,
    store: &dyn Store,
    cache: &mut Cache,
    now: DateTime<Utc>,
) -> Result<Vec<PublicIncident>, crate::store::StoreError> {
    let summaries = store.incidents().await?;
    let mut seen = HashMap::with_capacity(cache.views.len());
    for summary in summaries
        .iter()
        .filter(|s| crate::domain::public::may_be_public(s, now))
    {
        let view = match cache.views.get(&summary.id) {
            Some((seq, view)) if *seq == summary.last_seq => view.clone(),
            _ => match store.state(summary.id).await? {
                Some(current) => public_view(summary, &current.state, config.primary(), now),
                None => None,
            },
        };
        seen.insert(summary.id, (summary.last_seq, view));
    }
    cache.views = seen;
    let mut list: Vec<PublicIncident> = cache
        .views
        .values()
        .filter_map(|(_, v)| v.clone())
        // A view made before the window passed: judged again by the time now.
        .filter(|v| {
            v.resolved_at.is_none_or(|t| {
                t >= now - chrono::Duration::days(crate::domain::public::RESOLVED_SHOWN_FOR_DAYS)
            })
        })
        .collect();
    order(&mut list);
    Ok(list)
}

fn render(
    config: &StatusConfig,
    incidents: Vec<PublicIncident>,
    now: DateTime<Utc>,
    generation: u64,
) -> Rendered {
    let mut variants = HashMap::new();
    // Every language a reader can ask for: the page's own words in it, and each update
    // in it where it was written in it (as written otherwise).
    let langs = std::iter::once(None).chain(Lang::ALL.into_iter().map(Some));
    for lang in langs {
        variants.insert(
            (Format::Html, lang),
            variant(html(config, &incidents, lang)),
        );
        variants.insert(
            (Format::Atom, lang),
            variant(atom(config, &incidents, lang, now)),
        );
    }
    variants.insert((Format::Json, None), variant(json(config, &incidents)));
    Rendered {
        available: true,
        generation,
        modified: now,
        last_modified: header_value(&http_date(now)),
        incidents,
        variants,
    }
}

fn variant(body: String) -> Variant {
    let hash = hex::encode(&Sha256::digest(body.as_bytes())[..12]);
    let gzipped = gzip(body.as_bytes());
    Variant {
        etag: header_value(&format!("\"{hash}\"")),
        gzip_etag: header_value(&format!("\"{hash}-gz\"")),
        body: Bytes::from(body),
        gzipped: Bytes::from(gzipped),
    }
}

/// `bytes` gzip-compressed (once per change, so at the best ratio).
fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut out = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing to memory cannot fail.
    let _ = out.write_all(bytes);
    out.finish().unwrap_or_default()
}

/// Whether the caller takes gzip: `Accept-Encoding` names it (or `*`) with a weight above 0.
fn takes_gzip(headers: &HeaderMap) -> bool {
    let (mut named, mut any) = (None, None);
    for coding in headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
    {
        let mut parts = coding.split(';').map(str::trim);
        let name = parts.next().unwrap_or("").to_ascii_lowercase();
        let weight = parts
            .find_map(|p| p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")))
            .map_or(1.0, |q| q.trim().parse::<f32>().unwrap_or(0.0));
        match name.as_str() {
            "gzip" | "x-gzip" => named = Some(weight > 0.0),
            "*" => any = Some(weight > 0.0),
            _ => {}
        }
    }
    // gzip named outright decides; `*` stands for it only when it is not named.
    named.or(any).unwrap_or(false)
}

fn header_value(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn parse_http_date(s: &str) -> Option<DateTime<Utc>> {
    chrono::NaiveDateTime::parse_from_str(s.trim(), "%a, %d %b %Y %H:%M:%S GMT")
        .ok()
        .map(|t| t.and_utc())
}

// ---- HTTP ----

#[derive(serde::Deserialize)]
pub struct PageQuery {
    lang: Option<String>,
}

/// The public status page: HTML, no token, readable without JavaScript.
#[utoipa::path(
    get, path = "/status",
    params(("lang" = Option<Lang>, Query, description = "one language only; without it, every language the page is published in")),
    responses(
        (status = 200, description = "the page", content_type = "text/html", body = String),
        (status = 304, description = "the copy named by If-None-Match or If-Modified-Since is current"),
        (status = 400, description = "`lang` is not a language code warroom knows (en, fr)", content_type = "text/plain", body = String),
        (status = 404, description = "the page is turned off (`serve --no-status-page`)", body = ErrorBody),
        (status = 503, description = "not ready: the server could not read its data yet", content_type = "text/plain", body = String)
    )
)]
pub async fn html_page(
    State(state): State<AppState>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    answer(&state, Format::Html, q, &headers).await
}

/// The status page's content as JSON, no token.
#[utoipa::path(
    get, path = "/status.json",
    responses(
        (status = 200, description = "the page's content", body = StatusDocument),
        (status = 304, description = "the copy named by If-None-Match or If-Modified-Since is current"),
        (status = 404, description = "the page is turned off (`serve --no-status-page`)", body = ErrorBody),
        (status = 503, description = "not ready: the server could not read its data yet", content_type = "text/plain", body = String)
    )
)]
pub async fn json_page(
    State(state): State<AppState>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    answer(&state, Format::Json, q, &headers).await
}

/// The status page's updates as an Atom feed, newest first, no token.
#[utoipa::path(
    get, path = "/status/feed.atom",
    params(("lang" = Option<Lang>, Query, description = "one language only; without it, every language the page is published in")),
    responses(
        (status = 200, description = "the feed", content_type = "application/atom+xml", body = String),
        (status = 304, description = "the copy named by If-None-Match or If-Modified-Since is current"),
        (status = 400, description = "`lang` is not a language code warroom knows (en, fr)", content_type = "text/plain", body = String),
        (status = 404, description = "the page is turned off (`serve --no-status-page`)", body = ErrorBody),
        (status = 503, description = "not ready: the server could not read its data yet", content_type = "text/plain", body = String)
    )
)]
pub async fn atom_feed(
    State(state): State<AppState>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    answer(&state, Format::Atom, q, &headers).await
}

async fn answer(state: &AppState, format: Format, q: PageQuery, headers: &HeaderMap) -> Response {
    let Some(page) = &state.status else {
        return super::routes::not_found().await.into_response();
    };
    // Exactly a code, as the links and the API document give them; `/status.json` is
    // every language at once and takes none.
    let lang = match q.lang.as_deref().filter(|_| format != Format::Json) {
        None => None,
        Some(l) => match Lang::ALL.into_iter().find(|c| c.code() == l) {
            Some(l) => Some(l),
            None => {
                let shown: Vec<&str> = Lang::ALL.iter().map(|l| l.code()).collect();
                return (
                    StatusCode::BAD_REQUEST,
                    [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                    format!(
                        "This page is published in {}; ask for ?lang={} or for no language \
                         to see them all.\n",
                        shown.join(", "),
                        shown.join(" or ?lang=")
                    ),
                )
                    .into_response();
            }
        },
    };
    let rendered = page.current().await;
    if !rendered.available {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [
                (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                (header::RETRY_AFTER, "5"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            "The status page is not ready yet: its data could not be read. Try again in a few \
             seconds.\n",
        )
            .into_response();
    }
    let Some(v) = rendered.variants.get(&(format, lang)) else {
        return super::routes::not_found().await.into_response();
    };
    let gzipped = takes_gzip(headers);
    let (body, etag) = if gzipped {
        (&v.gzipped, &v.gzip_etag)
    } else {
        (&v.body, &v.etag)
    };
    let content_type = match format {
        Format::Html => "text/html; charset=utf-8",
        Format::Json => "application/json",
        Format::Atom => "application/atom+xml; charset=utf-8",
    };
    let common = [
        (header::ETAG, etag.clone()),
        (header::LAST_MODIFIED, rendered.last_modified.clone()),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static(
                "public, max-age=10, stale-while-revalidate=30, stale-if-error=600",
            ),
        ),
        (header::VARY, HeaderValue::from_static("Accept-Encoding")),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
    ];
    if not_modified(headers, etag, rendered.modified) {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }

    let mut response = (
        StatusCode::OK,
        common,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
                ),
            ),
        ],
        body.clone(),
    )
        .into_response();
    if gzipped {
        response
            .headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    response
}

/// Whether the caller's copy is current: `If-None-Match` first; `If-Modified-Since` only
/// without it (RFC 9110, 13.2.2).
fn not_modified(headers: &HeaderMap, etag: &HeaderValue, modified: DateTime<Utc>) -> bool {
    if let Some(inm) = headers.get(header::IF_NONE_MATCH) {
        let Ok(inm) = inm.to_str() else { return false };
        let ours = etag.to_str().unwrap_or("");
        return inm
            .split(',')
            .map(str::trim)
            .any(|t| t == "*" || t == ours || t.strip_prefix("W/") == Some(ours));
    }
    headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_http_date)
        // HTTP dates have whole seconds.
        .is_some_and(|since| modified.timestamp() <= since.timestamp())
}

// ---- HTML ----

/// Writes `s` with every character HTML or XML gives a meaning escaped.
fn esc(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters are not allowed in XML and mean nothing on a page.
            // Nor are U+FFFE and U+FFFF.
            c if (c.is_control() && c != '\n' && c != '\t')
                || c == '\u{FFFE}'
                || c == '\u{FFFF}' =>
            {
                out.push('\u{FFFD}')
            }
            c => out.push(c),
        }
    }
}

/// The page's own words, in one language.
struct Words {
    lang: Lang,
    ongoing: &'static str,
    none_ongoing: &'static str,
    resolved: &'static str,
    none_resolved: &'static str,
    started: &'static str,
    resolved_at: &'static str,
    updates: &'static str,
    skip: &'static str,
    languages: &'static str,
    all: &'static str,
    feed: &'static str,
    severity: &'static str,
}

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::En => &Words {
            lang: Lang::En,
            ongoing: "Ongoing incidents",
            none_ongoing: "All services are running normally.",
            resolved: "Resolved in the last 90 days",
            none_resolved: "No incidents in the last 90 days.",
            started: "Started",
            resolved_at: "Resolved",
            updates: "Updates",
            skip: "Skip to the incidents",
            languages: "Language",
            all: "All languages",
            feed: "Atom feed",
            severity: "Severity",
        },
        Lang::Fr => &Words {
            lang: Lang::Fr,
            ongoing: "Incidents en cours",
            none_ongoing: "Tous les services fonctionnent normalement.",
            resolved: "Résolus ces 90 derniers jours",
            none_resolved: "Aucun incident ces 90 derniers jours.",
            started: "Début",
            resolved_at: "Résolu le",
            updates: "Mises à jour",
            skip: "Aller aux incidents",
            languages: "Langue",
            all: "Toutes les langues",
            feed: "Flux Atom",
            severity: "Gravité",
        },
    }
}

/// The languages a variant speaks: one, or all configured.
fn speaks(config: &StatusConfig, lang: Option<Lang>) -> Vec<Lang> {
    match lang {
        Some(l) => vec![l],
        None => config.languages.clone(),
    }
}

/// A phrase of the page's own in each language the variant speaks, each marked.
fn phrase(out: &mut String, langs: &[Lang], primary: Lang, pick: impl Fn(&Words) -> &str) {
    for (n, l) in langs.iter().enumerate() {
        if n > 0 {
            out.push_str(" <span aria-hidden=\"true\">/</span> ");
        }
        if *l == primary {
            esc(out, pick(words(*l)));
        } else {
            let _ = write!(out, "<span lang=\"{}\">", l.code());
            esc(out, pick(words(*l)));
            out.push_str("</span>");
        }
    }
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn time_tag(out: &mut String, t: DateTime<Utc>) {
    let _ = write!(
        out,
        "<time datetime=\"{}\">{}</time>",
        t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        stamp(t)
    );
}

const STYLE: &str = "\
:root{color-scheme:light;--ink:#1b1b1b;--muted:#4a4a4a;--line:#c9c9c9;--bg:#fff;--band:#f3f4f6}\
*{box-sizing:border-box}\
body{margin:0;font:1rem/1.55 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--ink);background:var(--bg)}\
.wrap{max-width:46rem;margin:0 auto;padding:1rem}\
header{background:var(--band);border-bottom:1px solid var(--line)}\
h1{font-size:1.6rem;margin:.3rem 0}h2{font-size:1.25rem;margin:2rem 0 .6rem}\
h3{font-size:1.1rem;margin:0 0 .3rem}\
a{color:#0b4fa8}a:focus,a:hover{outline:2px solid #0b4fa8;outline-offset:2px}\
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem}\
nav ul{list-style:none;margin:.5rem 0 0;padding:0;display:flex;flex-wrap:wrap;gap:.3rem 1rem}\
[aria-current=page]{font-weight:700;text-decoration:none;color:var(--ink)}\
.incident{border:1px solid var(--line);border-left:.4rem solid #555;border-radius:.3rem;padding:.8rem 1rem;margin:0 0 1rem}\
.sev1{border-left-color:#a4161a}.sev2{border-left-color:#b45309}.sev3{border-left-color:#1d4ed8}.resolved{border-left-color:#166534}\
.meta{color:var(--muted);margin:0 0 .6rem}\
.badge{display:inline-block;padding:0 .45rem;border-radius:.2rem;color:#fff;font-weight:600;font-size:.9rem}\
.b1{background:#a4161a}.b2{background:#8a3c00}.b3{background:#1d4ed8}.bok{background:#166534}\
.updates{list-style:none;margin:0;padding:0}\
.update{border-top:1px solid var(--line);padding:.6rem 0}\
.update h4{font-size:.95rem;margin:0 0 .3rem;color:var(--muted)}\
.version{margin:.3rem 0 .6rem}.version+.version{border-left:3px solid var(--line);padding-left:.7rem}\
.lang{font-size:.8rem;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);margin:0}\
.version p{margin:.2rem 0}.version ul{margin:.2rem 0;padding-left:1.3rem}\
time{white-space:nowrap}\
footer{color:var(--muted);font-size:.9rem;border-top:1px solid var(--line);margin-top:2rem}\
@media (max-width:30rem){.wrap{padding:.7rem}h1{font-size:1.35rem}}";

fn html(config: &StatusConfig, incidents: &[PublicIncident], lang: Option<Lang>) -> String {
    let primary = lang.unwrap_or(config.primary());
    let langs = speaks(config, lang);
    let mut out = String::with_capacity(8192);
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
        primary.code()
    );
    esc(&mut out, config.title_in(primary));
    out.push_str("</title>\n");
    let query = lang.map_or(String::new(), |l| format!("?lang={}", l.code()));
    let _ = writeln!(
        out,
        "<link rel=\"alternate\" type=\"application/atom+xml\" href=\"/status/feed.atom{query}\">"
    );
    let _ = writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>");
    out.push_str("<a class=\"skip\" href=\"#main\">");
    phrase(&mut out, &langs, primary, |w| w.skip);
    out.push_str("</a>\n<header><div class=\"wrap\">\n<h1>");
    for (n, l) in langs.iter().enumerate() {
        if n > 0 {
            out.push_str(" <span aria-hidden=\"true\">/</span> ");
        }
        let _ = write!(out, "<span lang=\"{}\">", l.code());
        esc(&mut out, config.title_in(*l));
        out.push_str("</span>");
    }
    out.push_str("</h1>\n");
    for l in &langs {
        let intro = config.intro_in(*l);
        if !intro.is_empty() {
            let _ = write!(out, "<p lang=\"{}\">", l.code());
            esc(&mut out, intro);
            out.push_str("</p>\n");
        }
    }
    if config.languages.len() > 1 {
        out.push_str("<nav aria-label=\"");
        esc(&mut out, words(primary).languages);
        out.push_str("\"><ul>");
        let current = |on: bool| if on { " aria-current=\"page\"" } else { "" };
        let _ = write!(out, "<li><a href=\"/status\"{}>", current(lang.is_none()));
        phrase(&mut out, &config.languages, primary, |w| w.all);
        out.push_str("</a></li>");
        for l in &config.languages {
            let _ = write!(
                out,
                "<li><a href=\"/status?lang={c}\" hreflang=\"{c}\" lang=\"{c}\"{}>{}</a></li>",
                current(lang == Some(*l)),
                l.name(),
                c = l.code()
            );
        }
        out.push_str("</ul></nav>\n");
    }
    out.push_str("</div></header>\n<main id=\"main\" class=\"wrap\">\n");
    let (ongoing, resolved): (Vec<&PublicIncident>, Vec<&PublicIncident>) = incidents
        .iter()
        .partition(|i| i.status == PublicStatus::Ongoing);
    for (id, heading, empty, list) in [
        (
            "ongoing",
            (|w: &Words| w.ongoing) as fn(&Words) -> &str,
            (|w: &Words| w.none_ongoing) as fn(&Words) -> &str,
            &ongoing,
        ),
        ("resolved", |w| w.resolved, |w| w.none_resolved, &resolved),
    ] {
        let _ = write!(out, "<section aria-labelledby=\"{id}\">\n<h2 id=\"{id}\">");
        phrase(&mut out, &langs, primary, heading);
        out.push_str("</h2>\n");
        if list.is_empty() {
            out.push_str("<p>");
            phrase(&mut out, &langs, primary, empty);
            out.push_str("</p>\n");
        }
        for i in list.iter() {
            incident_html(&mut out, i, &langs, primary);
        }
        out.push_str("</section>\n");
    }
    out.push_str("</main>\n<footer><div class=\"wrap\"><p>");
    let _ = write!(out, "<a href=\"/status/feed.atom{query}\">");
    phrase(&mut out, &langs, primary, |w| w.feed);
    out.push_str("</a> · <a href=\"/status.json\">JSON</a></p></div></footer>\n</body>\n</html>\n");
    out
}

fn incident_html(out: &mut String, i: &PublicIncident, langs: &[Lang], primary: Lang) {
    let class = match i.status {
        PublicStatus::Ongoing => format!("sev{}", i.severity),
        PublicStatus::Resolved => "resolved".into(),
    };
    let _ = write!(
        out,
        "<article class=\"incident {class}\" aria-labelledby=\"i-{id}\" id=\"incident-{id}\">\n\
         <h3 id=\"i-{id}\">",
        id = i.id
    );
    let titles: Vec<&Text> = langs
        .iter()
        .filter_map(|l| i.title.iter().find(|t| t.lang == *l))
        .collect();
    let titles = if titles.is_empty() {
        vec![i.title_in(primary)]
    } else {
        titles
    };
    for (n, t) in titles.iter().enumerate() {
        if n > 0 {
            out.push_str(" <span aria-hidden=\"true\">/</span> ");
        }
        let _ = write!(out, "<span lang=\"{}\">", t.lang.code());
        esc(out, &t.text);
        out.push_str("</span>");
    }
    out.push_str("</h3>\n<p class=\"meta\">");
    let badge = match i.status {
        PublicStatus::Ongoing => format!("b{}", i.severity.clamp(1, 3)),
        PublicStatus::Resolved => "bok".into(),
    };
    let _ = write!(out, "<span class=\"badge {badge}\">");
    phrase(out, langs, primary, |w| status_words(i.status, w.lang));
    out.push_str("</span> · ");
    phrase(out, langs, primary, |w| w.severity);
    out.push_str(": ");
    phrase(out, langs, primary, |w| severity_words(i.severity, w.lang));
    if let Some(t) = i.started_at {
        out.push_str(" · ");
        phrase(out, langs, primary, |w| w.started);
        out.push(' ');
        time_tag(out, t);
    }
    if let Some(t) = i.resolved_at {
        out.push_str(" · ");
        phrase(out, langs, primary, |w| w.resolved_at);
        out.push(' ');
        time_tag(out, t);
    }
    out.push_str("</p>\n<h4 class=\"lang\">");
    phrase(out, langs, primary, |w| w.updates);
    out.push_str("</h4>\n<ol class=\"updates\">\n");
    for u in &i.updates {
        update_html(out, u, langs);
    }
    out.push_str("</ol>\n</article>\n");
}

fn update_html(out: &mut String, u: &PublicUpdate, langs: &[Lang]) {
    let shown: Vec<&Text> = langs.iter().filter_map(|l| u.version_in(*l)).collect();
    // An update not written in the variant's language is shown as it was written.
    let shown = if shown.is_empty() {
        u.versions.iter().collect()
    } else {
        shown
    };
    let _ = write!(out, "<li class=\"update\" id=\"update-{}\"><h4>", u.id);
    time_tag(out, u.at);
    out.push_str("</h4>\n");
    let marked = langs.len() > 1 || shown.iter().any(|v| !langs.contains(&v.lang));
    for v in shown {
        let _ = write!(out, "<div class=\"version\" lang=\"{}\">", v.lang.code());
        if marked {
            let _ = write!(out, "<p class=\"lang\">{}</p>", v.lang.name());
        }
        text_html(out, &v.text);
        out.push_str("</div>\n");
    }
    out.push_str("</li>\n");
}

/// An update's text: its first line in bold, bullet lines as a list, other lines as
/// paragraphs. Everything escaped.
fn text_html(out: &mut String, text: &str) {
    let mut in_list = false;
    let mut first = true;
    for line in text.lines().map(str::trim) {
        let bullet = ["- ", "* ", "• "]
            .iter()
            .find_map(|b| line.strip_prefix(b))
            .map(str::trim);
        match bullet {
            Some(item) if !first => {
                if !in_list {
                    out.push_str("<ul>");
                    in_list = true;
                }
                out.push_str("<li>");
                esc(out, item);
                out.push_str("</li>");
                continue;
            }
            _ => {}
        }
        if in_list {
            out.push_str("</ul>");
            in_list = false;
        }
        if line.is_empty() {
            continue;
        }
        if first {
            out.push_str("<p><strong>");
            esc(out, line);
            out.push_str("</strong></p>");
            first = false;
        } else {
            out.push_str("<p>");
            esc(out, line);
            out.push_str("</p>");
        }
    }
    if in_list {
        out.push_str("</ul>");
    }
}

// ---- JSON ----

/// `/status.json`: the page's title and introduction per language code, the languages
/// updates are written in, and the public incidents (ongoing first, then resolved).
#[derive(Serialize, utoipa::ToSchema)]
pub struct StatusDocument<'a> {
    #[schema(value_type = std::collections::BTreeMap<String, String>)]
    title: std::collections::BTreeMap<Lang, &'a str>,
    #[schema(value_type = std::collections::BTreeMap<String, String>)]
    intro: std::collections::BTreeMap<Lang, &'a str>,
    #[schema(value_type = Vec<Lang>)]
    languages: &'a [Lang],
    #[schema(value_type = Vec<PublicIncident>)]
    incidents: &'a [PublicIncident],
}

fn json(config: &StatusConfig, incidents: &[PublicIncident]) -> String {
    let by_lang = |f: fn(&StatusConfig, Lang) -> &str| {
        config
            .languages
            .iter()
            .map(|l| (*l, f(config, *l)))
            .filter(|(_, t)| !t.is_empty())
            .collect()
    };
    let page = StatusDocument {
        title: by_lang(StatusConfig::title_in),
        intro: by_lang(StatusConfig::intro_in),
        languages: &config.languages,
        incidents,
    };
    serde_json::to_string(&page).unwrap_or_else(|_| "{}".into())
}

// ---- Atom ----

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A stable id for the feed: its address when the page has one, else a UUID made from
/// the page's title.
fn feed_id(config: &StatusConfig, lang: Option<Lang>) -> String {
    let suffix = lang.map_or(String::new(), |l| format!("?lang={}", l.code()));
    match &config.url {
        Some(url) => format!("{}/status/feed.atom{suffix}", url.trim_end_matches('/')),
        None => {
            let hash = Sha256::digest(
                format!(
                    "warroom status feed {}{suffix}",
                    config.title_in(config.primary())
                )
                .as_bytes(),
            );
            let mut bytes = [0u8; 16];
            bytes.copy_from_slice(&hash[..16]);
            bytes[6] = (bytes[6] & 0x0f) | 0x80;
            bytes[8] = (bytes[8] & 0x3f) | 0x80;
            format!("urn:uuid:{}", Uuid::from_bytes(bytes))
        }
    }
}

fn atom(
    config: &StatusConfig,
    incidents: &[PublicIncident],
    lang: Option<Lang>,
    now: DateTime<Utc>,
) -> String {
    let primary = lang.unwrap_or(config.primary());
    let langs = speaks(config, lang);
    let base = config
        .url
        .as_deref()
        .map(|u| u.trim_end_matches('/').to_string())
        .unwrap_or_default();
    let mut entries: Vec<(&PublicIncident, &PublicUpdate)> = incidents
        .iter()
        .flat_map(|i| i.updates.iter().map(move |u| (i, u)))
        .collect();
    entries.sort_by(|a, b| b.1.at.cmp(&a.1.at).then(b.1.id.cmp(&a.1.id)));
    entries.truncate(FEED_ENTRIES);
    let updated = entries.first().map_or(now, |(_, u)| u.at);
    let mut out = String::with_capacity(8192);
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">\n<title>",
        primary.code()
    );
    esc(&mut out, config.title_in(primary));
    out.push_str("</title>\n");
    let intro = config.intro_in(primary);
    if !intro.is_empty() {
        out.push_str("<subtitle>");
        esc(&mut out, intro);
        out.push_str("</subtitle>\n");
    }
    let _ = write!(out, "<id>");
    esc(&mut out, &feed_id(config, lang));
    let _ = writeln!(out, "</id>\n<updated>{}</updated>", rfc3339(updated));
    let query = lang.map_or(String::new(), |l| format!("?lang={}", l.code()));
    out.push_str("<link rel=\"alternate\" type=\"text/html\" href=\"");
    esc(&mut out, &format!("{base}/status{query}"));
    out.push_str("\"/>\n<link rel=\"self\" type=\"application/atom+xml\" href=\"");
    esc(&mut out, &format!("{base}/status/feed.atom{query}"));
    out.push_str("\"/>\n<author><name>");
    esc(&mut out, config.title_in(primary));
    out.push_str("</name></author>\n<generator>warroom</generator>\n");
    for (i, u) in entries {
        let title = i.title_in(primary);
        let _ = write!(
            out,
            "<entry>\n<id>urn:uuid:{}</id>\n<published>{}</published>\n<updated>{}</updated>\n<title xml:lang=\"{}\">",
            u.id,
            rfc3339(u.at),
            rfc3339(u.at),
            title.lang.code()
        );
        let _ = write!(
            out,
            "[{} · {}] ",
            status_words(i.status, primary),
            severity_words(i.severity, primary)
        );
        esc(&mut out, &title.text);
        out.push_str("</title>\n<link rel=\"alternate\" type=\"text/html\" href=\"");
        esc(&mut out, &format!("{base}/status{query}#update-{}", u.id));
        out.push_str("\"/>\n<content type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\">");
        let shown: Vec<&Text> = langs.iter().filter_map(|l| u.version_in(*l)).collect();
        let shown = if shown.is_empty() {
            u.versions.iter().collect()
        } else {
            shown
        };
        for v in shown {
            let _ = write!(
                out,
                "<div xml:lang=\"{c}\" lang=\"{c}\">",
                c = v.lang.code()
            );
            if langs.len() > 1 {
                let _ = write!(out, "<p><em>{}</em></p>", v.lang.name());
            }
            text_html(&mut out, &v.text);
            out.push_str("</div>");
        }
        out.push_str("</div></content>\n</entry>\n");
    }
    out.push_str("</feed>\n");
    out
}

#[cfg(test)]
#[path = "status_tests.rs"]
mod tests;
