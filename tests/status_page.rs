//! The public status page of a real server on 127.0.0.1: only external updates of open
//! incidents, newest first, the same in HTML, JSON and Atom, revalidated with 304s, in one
//! language or two, and absent with the page turned off.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use reqwest::StatusCode;
use reqwest::header::{ETAG, IF_NONE_MATCH};
use serde_json::{Value, json};
use uuid::Uuid;
use warroom::clock::SystemClock;
use warroom::domain::lang::Lang;
use warroom::server::status::StatusConfig;
use warroom::server::{self, Options, Running};
use warroom::store::{SqliteStore, Store, StoreError, hash_token};

const TOKEN: &str = "ic-secret";

struct Site {
    running: Running,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Site {
    async fn start(status: StatusConfig) -> Site {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(
            SqliteStore::open(dir.path().join("server.db"), Arc::new(SystemClock)).unwrap(),
        );
        store
            .add_token("ana", &hash_token(TOKEN), false)
            .await
            .unwrap();
        let options = Options {
            status,
            ..Options::default()
        };
        let running = server::start_with(
            "127.0.0.1:0".parse().unwrap(),
            store as Arc<dyn Store>,
            Arc::new(SystemClock),
            options,
        )
        .await
        .unwrap();
        Site {
            running,
            http: reqwest::Client::new(),
            _dir: dir,
        }
    }

    /// A page in English with one open incident and one external update on it.
    async fn with_one_update() -> (Site, Uuid) {
        let site = Site::start(config(vec![Lang::En])).await;
        let open = site.declare("Checkout", false).await;
        site.send(
            open,
            "external",
            "SEV1 – Checkout is failing\nWe are on it.",
        )
        .await;
        (site, open)
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.running.addr)
    }

    async fn declare(&self, title: &str, restricted: bool) -> Uuid {
        let id = Uuid::now_v7();
        let r = self
            .http
            .post(self.url("/api/v1/incidents"))
            .bearer_auth(TOKEN)
            .json(&json!({ "id": id, "title": title, "severity": 1,
                "visibility": if restricted { "restricted" } else { "open" } }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::CREATED,
            "{}",
            r.text().await.unwrap()
        );
        id
    }

    async fn append(&self, incident: Uuid, event: Value) -> Uuid {
        let id = Uuid::now_v7();
        let mut event = event;
        event["id"] = json!(id);
        let r = self
            .http
            .post(self.url(&format!("/api/v1/incidents/{incident}/events")))
            .bearer_auth(TOKEN)
            .json(&json!({ "events": [event] }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
        id
    }

    async fn send(&self, incident: Uuid, audience: &str, text: &str) -> Uuid {
        self.append(
            incident,
            json!({ "type": "comms_sent", "audience": audience, "text": text }),
        )
        .await
    }

    async fn get(&self, path: &str) -> (StatusCode, reqwest::header::HeaderMap, String) {
        let r = self.http.get(self.url(path)).send().await.unwrap();
        let status = r.status();
        let headers = r.headers().clone();
        (status, headers, r.text().await.unwrap())
    }
}

fn config(languages: Vec<Lang>) -> StatusConfig {
    StatusConfig {
        languages,
        ..StatusConfig::default()
    }
}

#[tokio::test]
async fn only_external_updates_of_open_incidents_are_published_newest_first() {
    let site = Site::start(config(vec![Lang::En])).await;
    let (status, _, empty) = site.get("/status").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        empty.contains("All services are running normally."),
        "{empty}"
    );

    let open = site.declare("db-7.internal primary lost", false).await;
    site.send(
        open,
        "internal",
        "SEV1 – primary on db-7.internal is gone, @bo failing over",
    )
    .await;
    let first = site
        .send(
            open,
            "external",
            "SEV1 – Checkout is failing\nWe are on it.",
        )
        .await;
    let newest = site
        .send(
            open,
            "external",
            "SEV1 – Checkout is failing <again>\nA fix is rolling out & payments recover.\n- cards work\n- wallets work",
        )
        .await;
    let secret = site.declare("Leaked customer list", true).await;
    site.send(secret, "external", "SEV1 – Secret incident text")
        .await;

    let (status, headers, page) = site.get("/status").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers["content-type"], "text/html; charset=utf-8",
        "{headers:?}"
    );
    assert!(
        headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("public")
    );
    assert!(
        page.starts_with("<!doctype html>\n<html lang=\"en\">"),
        "{page}"
    );
    assert!(page.contains("<main id=\"main\""), "a main landmark");
    assert!(page.contains("Checkout is failing &lt;again&gt;"), "{page}");
    assert!(page.contains("payments recover"), "{page}");
    assert!(
        page.contains("<ul><li>cards work</li><li>wallets work</li></ul>"),
        "{page}"
    );
    for hidden in [
        "db-7.internal",
        "@bo",
        "failing over",
        "Secret incident",
        "Leaked",
        "ana",
    ] {
        assert!(!page.contains(hidden), "`{hidden}` is internal: {page}");
    }
    let at_newest = page.find(&format!("update-{newest}")).unwrap();
    let at_first = page.find(&format!("update-{first}")).unwrap();
    assert!(at_newest < at_first, "newest first");

    // The JSON says the same.
    let (_, headers, body) = site.get("/status.json").await;
    assert_eq!(headers["content-type"], "application/json");
    let doc: Value = serde_json::from_str(&body).unwrap();
    let incidents = doc["incidents"].as_array().unwrap();
    assert_eq!(incidents.len(), 1, "{doc}");
    assert_eq!(incidents[0]["id"], json!(open));
    assert_eq!(incidents[0]["status"], "ongoing");
    assert_eq!(incidents[0]["severity"], 1);
    let updates = incidents[0]["updates"].as_array().unwrap();
    assert_eq!(updates.len(), 2);
    assert_eq!(updates[0]["id"], json!(newest));
    assert_eq!(
        updates[0]["versions"][0]["text"],
        "SEV1 – Checkout is failing <again>\nA fix is rolling out & payments recover.\n- cards work\n- wallets work"
    );
    assert_eq!(
        incidents[0]["title"][0]["text"],
        "Checkout is failing <again>"
    );
    assert!(
        !body.contains("db-7.internal") && !body.contains("Secret"),
        "{body}"
    );

    // The feed parses, and carries one entry per update, newest first.
    let (_, headers, feed) = site.get("/status/feed.atom").await;
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/atom+xml")
    );
    let xml = roxmltree::Document::parse(&feed).unwrap_or_else(|e| panic!("{e}: {feed}"));
    let atom = "http://www.w3.org/2005/Atom";
    let root = xml.root_element();
    assert_eq!(root.tag_name().name(), "feed");
    assert_eq!(root.tag_name().namespace(), Some(atom));
    let entries: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name((atom, "entry")))
        .collect();
    assert_eq!(entries.len(), 2);
    let id_of = |e: &roxmltree::Node| {
        e.children()
            .find(|n| n.has_tag_name((atom, "id")))
            .and_then(|n| n.text())
            .unwrap()
            .to_string()
    };
    assert_eq!(id_of(&entries[0]), format!("urn:uuid:{newest}"));
    let content: String = entries[0]
        .descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect();
    assert!(content.contains("Checkout is failing <again>"), "{content}");
    for required in ["id", "title", "updated", "author"] {
        assert!(
            root.children().any(|n| n.has_tag_name((atom, required))),
            "the feed needs <{required}>"
        );
    }
    site.running.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_copy_is_revalidated_until_a_public_change_and_internal_ones_keep_it() {
    let (site, open) = Site::with_one_update().await;
    let (_, headers, _) = site.get("/status").await;
    let etag = headers[ETAG].clone();
    let last_modified = headers["last-modified"].clone();

    let revalidate = |tag: reqwest::header::HeaderValue| {
        site.http
            .get(site.url("/status"))
            .header(IF_NONE_MATCH, tag)
            .send()
    };
    let r = revalidate(etag.clone()).await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(r.headers()[ETAG], etag);
    assert!(r.text().await.unwrap().is_empty());
    let r = site
        .http
        .get(site.url("/status"))
        .header("if-modified-since", last_modified)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);

    // Notes and internal updates change nothing the public sees: still the same copy.
    site.append(open, json!({ "type": "note", "text": "restarting pay-3" }))
        .await;
    site.send(open, "internal", "SEV1 – still on it").await;
    let r = revalidate(etag.clone()).await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);

    // An external update is on the very next request.
    site.send(
        open,
        "external",
        "SEV1 – Checkout recovering\nMost payments work.",
    )
    .await;
    let r = revalidate(etag.clone()).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_ne!(r.headers()[ETAG], etag);
    assert!(r.text().await.unwrap().contains("Checkout recovering"));

    // So is a resolution: the incident moves to the resolved list.
    site.append(open, json!({ "type": "impact_ended" })).await;
    site.append(open, json!({ "type": "resolved", "summary": "fixed" }))
        .await;
    let (_, _, page) = site.get("/status").await;
    let resolved = page.find("id=\"resolved\"").unwrap();
    assert!(
        page.find("Checkout recovering").unwrap() > resolved,
        "{page}"
    );
    assert!(
        page.contains("All services are running normally."),
        "{page}"
    );
    site.running.shutdown().await.unwrap();
}

#[tokio::test]
async fn two_languages_are_shown_side_by_side_and_one_at_a_time() {
    let site = Site::start(config(vec![Lang::En, Lang::Fr])).await;
    let open = site.declare("Checkout", false).await;
    site.append(
        open,
        json!({ "type": "comms_sent", "audience": "external", "lang": "en",
            "text": "SEV1 – Checkout is failing\nWe are on it.",
            "versions": [{ "lang": "fr",
                "text": "Critique – Le paiement échoue\nNous y travaillons." }] }),
    )
    .await;

    let (_, _, both) = site.get("/status").await;
    assert!(
        both.contains("<div class=\"version\" lang=\"en\">"),
        "{both}"
    );
    assert!(
        both.contains("<div class=\"version\" lang=\"fr\">"),
        "{both}"
    );
    assert!(both.contains("Nous y travaillons.") && both.contains("We are on it."));
    assert!(
        both.contains("href=\"/status?lang=fr\""),
        "a switch: {both}"
    );

    let (status, _, fr) = site.get("/status?lang=fr").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        fr.starts_with("<!doctype html>\n<html lang=\"fr\">"),
        "{fr}"
    );
    assert!(fr.contains("Incidents en cours"), "{fr}");
    assert!(
        fr.contains("Le paiement échoue") && !fr.contains("We are on it."),
        "{fr}"
    );

    let (_, _, feed) = site.get("/status/feed.atom?lang=fr").await;
    let xml = roxmltree::Document::parse(&feed).unwrap();
    assert_eq!(
        xml.root_element()
            .attribute(("http://www.w3.org/XML/1998/namespace", "lang")),
        Some("fr")
    );
    assert!(feed.contains("Nous y travaillons.") && !feed.contains("We are on it."));

    for odd in ["de", "", "%20fr", "FR", "fr-CA"] {
        let (status, _, said) = site.get(&format!("/status?lang={odd}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "?lang={odd}");
        assert!(said.contains("en, fr"), "{said}");
    }
    // A page in one language still speaks French to a French reader.
    let site_en = Site::start(config(vec![Lang::En])).await;
    let (status, _, fr) = site_en.get("/status?lang=fr").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        fr.contains("Tous les services fonctionnent normalement."),
        "{fr}"
    );
    site_en.running.shutdown().await.unwrap();
    site.running.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_caller_that_takes_gzip_gets_the_same_page_compressed() {
    let (site, _) = Site::with_one_update().await;
    let (_, plain_headers, plain) = site.get("/status").await;
    let r = site
        .http
        .get(site.url("/status"))
        .header("accept-encoding", "br;q=1, gzip;q=0.8")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-encoding"], "gzip");
    assert_eq!(r.headers()["vary"], "Accept-Encoding");
    let gz_etag = r.headers()[ETAG].clone();
    assert_ne!(
        gz_etag, plain_headers[ETAG],
        "another representation, another ETag"
    );
    let body = r.bytes().await.unwrap();
    assert!(
        body.len() * 2 < plain.len(),
        "{} vs {}",
        body.len(),
        plain.len()
    );
    let mut unzipped = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&body[..]), &mut unzipped)
        .unwrap();
    assert_eq!(unzipped, plain);
    assert!(!plain_headers.contains_key("content-encoding"));
    // Revalidating the compressed copy by its own ETag.
    let r = site
        .http
        .get(site.url("/status"))
        .header("accept-encoding", "gzip")
        .header(IF_NONE_MATCH, gz_etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    // gzip;q=0 is a refusal.
    let r = site
        .http
        .get(site.url("/status"))
        .header("accept-encoding", "gzip;q=0")
        .send()
        .await
        .unwrap();
    assert!(!r.headers().contains_key("content-encoding"));
    site.running.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_server_that_cannot_read_its_data_says_not_ready_then_serves_the_page() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite =
        Arc::new(SqliteStore::open(dir.path().join("server.db"), Arc::new(SystemClock)).unwrap());
    let down = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let failing = down.clone();
    let store = common::Watched::new(sqlite).before_list(move || {
        if failing.load(std::sync::atomic::Ordering::Acquire) {
            Err(StoreError::Unavailable(
                "the test's database is away".into(),
            ))
        } else {
            Ok(())
        }
    });
    let running = server::start_with(
        "127.0.0.1:0".parse().unwrap(),
        Arc::new(store),
        Arc::new(SystemClock),
        Options {
            status: config(vec![Lang::En]),
            ..Options::default()
        },
    )
    .await
    .unwrap();
    let url = format!("http://{}/status", running.addr);
    let http = reqwest::Client::new();
    // Not an empty page that would read as all clear.
    let r = http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.headers()["retry-after"], "5");
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert!(!r.text().await.unwrap().contains("running normally"));

    // Back: the builder's next try (within seconds) serves the page.
    down.store(false, std::sync::atomic::Ordering::Release);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let r = http.get(&url).send().await.unwrap();
        if r.status() == StatusCode::OK {
            assert!(r.text().await.unwrap().contains("running normally"));
            break;
        }
        // Each request waits up to 3 s for the page to be ready before it says 503.
        assert!(
            std::time::Instant::now() < deadline,
            "the page never came back"
        );
    }
    running.shutdown().await.unwrap();
}

#[tokio::test]
async fn with_the_page_off_nothing_is_published() {
    let site = Site::start(StatusConfig {
        enabled: false,
        ..StatusConfig::default()
    })
    .await;
    for path in ["/status", "/status.json", "/status/feed.atom"] {
        let (status, _, _) = site.get(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let (status, _, _) = site.get("/healthz").await;
    assert_eq!(status, StatusCode::OK);
    site.running.shutdown().await.unwrap();
}
