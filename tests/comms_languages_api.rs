//! A server started with two `[comms] languages` refuses an external update that lacks a
//! version in one of them, and takes one that has both; internal updates stay one text.

// Tests fail by panicking, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;
use warroom::clock::SystemClock;
use warroom::domain::lang::Lang;
use warroom::server;
use warroom::store::{SqliteStore, Store};

use common::Token;

const WRITER: &str = "wr_alice_languages";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_external_update_needs_a_version_in_every_language_of_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> =
        Arc::new(SqliteStore::open(dir.path().join("server.db"), Arc::new(SystemClock)).unwrap());
    common::add_tokens(store.as_ref(), &[Token::read_write("alice", WRITER)]).await;
    let mut options = server::Options::default();
    options.status.enabled = false;
    options.status.languages = vec![Lang::En, Lang::Fr];
    let running = server::start_with(
        "127.0.0.1:0".parse().unwrap(),
        store,
        Arc::new(SystemClock),
        options,
    )
    .await
    .unwrap();
    let base = format!("http://{}", running.addr);
    let client = Client::new();
    let post = |path: String, body: Value| {
        client
            .post(format!("{base}{path}"))
            .bearer_auth(WRITER)
            .json(&body)
            .send()
    };
    let id = Uuid::now_v7();
    let declared = post(
        "/api/v1/incidents".into(),
        json!({ "id": id, "title": "Card payments failing", "severity": 2 }),
    )
    .await
    .unwrap();
    assert_eq!(declared.status(), StatusCode::CREATED);
    let events = format!("/api/v1/incidents/{id}/events");
    let update = |audience: &str, extra: Value| {
        let mut e = json!({
            "id": Uuid::now_v7(),
            "type": "comms_sent",
            "audience": audience,
            "text": "SEV2 – Card payments failing",
        });
        for (k, v) in extra.as_object().unwrap() {
            e[k] = v.clone();
        }
        json!({ "events": [e] })
    };

    // English alone: refused, saying which version is missing.
    let refused = post(events.clone(), update("external", json!({ "lang": "en" })))
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = refused.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("published in English and French")
            && message.contains("no French version"),
        "{message}"
    );
    // No language named at all: the same.
    let refused = post(events.clone(), update("external", json!({})))
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Both: taken.
    let both = json!({
        "lang": "en",
        "versions": [{ "lang": "fr", "text": "SEV2 – Paiements par carte en échec" }],
    });
    let taken = post(events.clone(), update("external", both))
        .await
        .unwrap();
    assert_eq!(
        taken.status(),
        StatusCode::OK,
        "{}",
        taken.text().await.unwrap()
    );

    // A version in the text's own language is refused by the rule book.
    let twice = json!({
        "lang": "en",
        "versions": [{ "lang": "en", "text": "SEV2 – Card payments failing" }],
    });
    let refused = post(events.clone(), update("external", twice))
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Internal updates stay one text.
    let internal = post(events.clone(), update("internal", json!({})))
        .await
        .unwrap();
    assert_eq!(internal.status(), StatusCode::OK);
    running.shutdown().await.unwrap();
}
