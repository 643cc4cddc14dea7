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

    // No customer reads a drill or a restricted incident: one language is enough there.
    for extra in [
        json!({ "drill": true }),
        json!({ "visibility": "restricted" }),
    ] {
        let private = Uuid::now_v7();
        let mut body = json!({ "id": private, "title": "Practice", "severity": 3 });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let declared = post("/api/v1/incidents".into(), body).await.unwrap();
        assert_eq!(declared.status(), StatusCode::CREATED);
        let taken = post(
            format!("/api/v1/incidents/{private}/events"),
            update("external", json!({ "lang": "en" })),
        )
        .await
        .unwrap();
        assert_eq!(taken.status(), StatusCode::OK, "{extra}");
    }
    running.shutdown().await.unwrap();
}

/// An update stored while the server wrote in one language is a retry, not a new update,
/// once the server writes in two: it is answered as stored, not refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_of_an_update_stored_before_a_second_language_is_taken_as_stored() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> =
        Arc::new(SqliteStore::open(dir.path().join("server.db"), Arc::new(SystemClock)).unwrap());
    common::add_tokens(store.as_ref(), &[Token::read_write("alice", WRITER)]).await;
    let start = |languages: Vec<Lang>| {
        let store = store.clone();
        async move {
            let mut options = server::Options::default();
            options.status.enabled = false;
            options.status.languages = languages;
            server::start_with(
                "127.0.0.1:0".parse().unwrap(),
                store,
                Arc::new(SystemClock),
                options,
            )
            .await
            .unwrap()
        }
    };
    let client = Client::new();
    let id = Uuid::now_v7();
    let update = json!({ "events": [{ "id": Uuid::now_v7(), "type": "comms_sent",
        "audience": "external", "text": "SEV2 – Card payments failing" }] });
    let english = start(vec![Lang::En]).await;
    let base = format!("http://{}", english.addr);
    let declared = client
        .post(format!("{base}/api/v1/incidents"))
        .bearer_auth(WRITER)
        .json(&json!({ "id": id, "title": "Card payments failing", "severity": 2 }))
        .send()
        .await
        .unwrap();
    assert_eq!(declared.status(), StatusCode::CREATED);
    let send = |base: String| {
        client
            .post(format!("{base}/api/v1/incidents/{id}/events"))
            .bearer_auth(WRITER)
            .json(&update)
            .send()
    };
    let first = send(base).await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let first: Value = first.json().await.unwrap();
    english.shutdown().await.unwrap();

    let both = start(vec![Lang::En, Lang::Fr]).await;
    let again = send(format!("http://{}", both.addr)).await.unwrap();
    assert_eq!(
        again.status(),
        StatusCode::OK,
        "{}",
        again.text().await.unwrap()
    );
    let again: Value = again.json().await.unwrap();
    assert_eq!(
        again["accepted"], first["accepted"],
        "the same event, the same seq"
    );
    both.shutdown().await.unwrap();
}
