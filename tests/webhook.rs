//! Webhook delivery of sent updates to a real HTTP receiver on 127.0.0.1.

// Tests fail by panicking, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use tokio::sync::Mutex;

/// A receiver that answers `failures` times with `fail_status`, then 200, keeping bodies.
struct Receiver {
    calls: AtomicUsize,
    failures: usize,
    fail_status: StatusCode,
    bodies: Mutex<Vec<String>>,
}

async fn hook(State(r): State<Arc<Receiver>>, body: Bytes) -> StatusCode {
    let n = r.calls.fetch_add(1, Ordering::SeqCst);
    r.bodies
        .lock()
        .await
        .push(String::from_utf8_lossy(&body).into_owned());
    if n < r.failures {
        r.fail_status
    } else {
        StatusCode::OK
    }
}

async fn receiver(failures: usize, fail_status: StatusCode) -> (String, Arc<Receiver>) {
    let r = Arc::new(Receiver {
        calls: AtomicUsize::new(0),
        failures,
        fail_status,
        bodies: Mutex::new(Vec::new()),
    });
    let app = Router::new()
        .route("/hook", post(hook))
        .with_state(r.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/hook"), r)
}

fn no_pause(_: u32) -> Duration {
    Duration::ZERO
}

#[tokio::test]
async fn an_update_is_posted_as_slack_compatible_json() {
    let (url, r) = receiver(0, StatusCode::OK).await;
    let client = reqwest::Client::new();
    let n = warroom::webhook::deliver(
        &client,
        &url,
        "SEV2 – Card payments failing\n\nDetails",
        3,
        no_pause,
    )
    .await
    .unwrap();
    assert_eq!(n, 1);
    let bodies = r.bodies.lock().await;
    let v: serde_json::Value = serde_json::from_str(&bodies[0]).unwrap();
    assert_eq!(v["text"], "SEV2 – Card payments failing\n\nDetails");
}

#[tokio::test]
async fn a_failing_receiver_is_retried_until_it_recovers() {
    let (url, r) = receiver(2, StatusCode::SERVICE_UNAVAILABLE).await;
    let client = reqwest::Client::new();
    let n = warroom::webhook::deliver(&client, &url, "update", 5, no_pause)
        .await
        .unwrap();
    assert_eq!(n, 3);
    assert_eq!(r.calls.load(Ordering::SeqCst), 3);
    // Every attempt carried the same update.
    assert!(r.bodies.lock().await.iter().all(|b| b.contains("update")));
}

#[tokio::test]
async fn giving_up_says_why_after_the_last_attempt() {
    let (url, r) = receiver(100, StatusCode::INTERNAL_SERVER_ERROR).await;
    let client = reqwest::Client::new();
    let err = warroom::webhook::deliver(&client, &url, "update", 4, no_pause)
        .await
        .unwrap_err();
    assert_eq!(r.calls.load(Ordering::SeqCst), 4);
    assert!(
        err.contains("500") && err.contains("gave up after 4 attempts"),
        "{err}"
    );
}

#[tokio::test]
async fn a_refusal_is_not_retried() {
    let (url, r) = receiver(100, StatusCode::NOT_FOUND).await;
    let client = reqwest::Client::new();
    let err = warroom::webhook::deliver(&client, &url, "update", 5, no_pause)
        .await
        .unwrap_err();
    assert_eq!(r.calls.load(Ordering::SeqCst), 1);
    assert!(err.contains("refused") && err.contains("404"), "{err}");
}

#[tokio::test]
async fn an_unreachable_receiver_is_reported() {
    // A port that was free a moment ago: nothing listens there now.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let client = reqwest::Client::new();
    let err = warroom::webhook::deliver(&client, &format!("http://{addr}/hook"), "u", 2, no_pause)
        .await
        .unwrap_err();
    assert!(
        err.contains("unreachable") && err.contains("2 attempts"),
        "{err}"
    );
}

#[test]
fn the_backoff_doubles_and_is_capped() {
    use warroom::webhook::{MAX_PAUSE, backoff};
    assert_eq!(backoff(1), Duration::from_millis(500));
    assert_eq!(backoff(2), Duration::from_secs(1));
    assert_eq!(backoff(4), Duration::from_secs(4));
    assert_eq!(backoff(30), MAX_PAUSE);
}
