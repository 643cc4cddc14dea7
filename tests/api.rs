//! REST API v1 against a real server on 127.0.0.1:0 over a real SQLite file.
//!
//! Every test starts its own server (in this process) on its own database in a temp dir;
//! tokens are put in the store before the server starts. Nothing here sleeps to wait for
//! anything: long-polls are raced against appends and must be correct whichever wins.

// Tests fail by panicking, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;
use warroom::domain::event::{Event, format_time};
use warroom::domain::incident::Incident;

use common::Token;

/// alice: read-write.
const WRITER: &str = "wr_test_alice_read_write";
/// rita: read-only.
const READER: &str = "wr_test_rita_read_only";
/// mallory: revoked before the server starts.
const REVOKED: &str = "wr_test_mallory_revoked";

/// The tokens in every test server's store.
const TOKENS: [Token; 3] = [
    Token::read_write("alice", WRITER),
    Token::read_only("rita", READER),
    Token::revoked("mallory", REVOKED),
];

/// A test server and a client of its API.
struct Server {
    served: common::Server,
    http: Client,
}

/// What the server answered: the status and the body as JSON (Null if it was not JSON).
struct Answer {
    status: StatusCode,
    body: Value,
}

impl Answer {
    fn ok(self, expected: StatusCode) -> Value {
        assert_eq!(self.status, expected, "unexpected answer: {}", self.body);
        self.body
    }

    /// Asserts the status and the error body `{ "error": { "code", "message" } }`.
    fn error(self, expected: StatusCode, code: &str) -> String {
        assert_eq!(self.status, expected, "unexpected answer: {}", self.body);
        let obj = self
            .body
            .as_object()
            .unwrap_or_else(|| panic!("error body is not a JSON object: {}", self.body));
        assert_eq!(obj.len(), 1, "error body has only `error`: {}", self.body);
        let err = &self.body["error"];
        assert_eq!(err["code"], code, "error code in {}", self.body);
        let message = err["message"]
            .as_str()
            .unwrap_or_else(|| panic!("error message is not a string: {}", self.body));
        assert!(
            message.len() > 10,
            "the message should say what to do: {message:?}"
        );
        message.to_string()
    }
}

/// A server of its own on a new SQLite file, with alice's, rita's and mallory's tokens.
async fn start() -> Server {
    Server {
        served: common::Server::start(&TOKENS).await,
        http: Client::new(),
    }
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.served.url())
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Answer {
        let resp = req.send().await.expect("the server answers");
        let status = resp.status();
        let bytes = resp.bytes().await.expect("a body");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer { status, body }
    }

    async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        let mut req = self.http.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        self.send(req).await
    }

    async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Answer {
        self.post_raw(path, token, serde_json::to_vec(body).unwrap())
            .await
    }

    async fn post_raw(&self, path: &str, token: Option<&str>, body: Vec<u8>) -> Answer {
        let mut req = self
            .http
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        self.send(req).await
    }

    /// Declares an incident as alice; answers its id.
    async fn declare(&self, title: &str) -> Uuid {
        let id = Uuid::now_v7();
        let body = json!({ "id": id, "title": title, "severity": 2 });
        self.post("/api/v1/incidents", Some(WRITER), &body)
            .await
            .ok(StatusCode::CREATED);
        id
    }

    /// Appends a batch as alice; answers `accepted`.
    async fn append(&self, incident: &str, events: Value) -> Vec<(Uuid, i64)> {
        let path = format!("/api/v1/incidents/{incident}/events");
        let body = self
            .post(&path, Some(WRITER), &json!({ "events": events }))
            .await
            .ok(StatusCode::OK);
        accepted(&body)
    }

    async fn events(&self, incident: &str, query: &str) -> Value {
        let path = format!("/api/v1/incidents/{incident}/events{query}");
        self.get(&path, Some(WRITER)).await.ok(StatusCode::OK)
    }

    async fn stop(mut self) {
        self.served.stop().await;
    }
}

fn note(text: &str) -> Value {
    json!({ "id": Uuid::now_v7(), "type": "note", "text": text })
}

fn accepted(body: &Value) -> Vec<(Uuid, i64)> {
    body["accepted"]
        .as_array()
        .unwrap_or_else(|| panic!("no `accepted` in {body}"))
        .iter()
        .map(|a| {
            (
                a["id"].as_str().unwrap().parse().unwrap(),
                a["seq"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// A time in a JSON answer, parsed (the server writes them with microseconds).
fn time(v: &Value) -> DateTime<Utc> {
    let s = v.as_str().unwrap_or_else(|| panic!("not a time: {v}"));
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("{s}: {e}"))
        .with_timezone(&Utc)
}

fn seqs(page: &Value) -> Vec<i64> {
    page["events"]
        .as_array()
        .unwrap_or_else(|| panic!("no `events` in {page}"))
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn healthz_needs_no_token() {
    let s = start().await;
    let body = s.get("/healthz", None).await.ok(StatusCode::OK);
    assert_eq!(body["status"], "ok");
    s.stop().await;
}

#[tokio::test]
async fn malformed_json_is_400() {
    let s = start().await;
    let id = s.declare("db down").await;
    for path in [
        "/api/v1/incidents".to_string(),
        format!("/api/v1/incidents/{id}/events"),
    ] {
        s.post_raw(&path, Some(WRITER), b"{\"id\": ".to_vec())
            .await
            .error(StatusCode::BAD_REQUEST, "malformed_json");
        s.post_raw(&path, Some(WRITER), b"not json at all".to_vec())
            .await
            .error(StatusCode::BAD_REQUEST, "malformed_json");
    }
    // Nothing was written by the bad requests.
    assert_eq!(s.events(&id.to_string(), "").await["last_seq"], 1);
    s.stop().await;
}

#[tokio::test]
async fn missing_wrong_and_revoked_tokens_are_401() {
    let s = start().await;
    let id = s.declare("auth").await;
    let events = format!("/api/v1/incidents/{id}/events");
    for path in ["/api/v1/incidents", events.as_str(), "/api/v1/openapi.json"] {
        let msg = s
            .get(path, None)
            .await
            .error(StatusCode::UNAUTHORIZED, "unauthorized");
        assert!(msg.contains("Authorization"), "{msg}");
        s.get(path, Some("wr_not_a_token"))
            .await
            .error(StatusCode::UNAUTHORIZED, "unauthorized");
        s.get(path, Some(REVOKED))
            .await
            .error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    // Not a bearer token at all.
    let basic = s
        .http
        .get(s.url("/api/v1/incidents"))
        .basic_auth("alice", Some("pw"));
    s.send(basic)
        .await
        .error(StatusCode::UNAUTHORIZED, "unauthorized");
    // Writes with a revoked or unknown token are refused and write nothing.
    let body = json!({ "events": [note("from a revoked token")] });
    s.post(&events, Some(REVOKED), &body)
        .await
        .error(StatusCode::UNAUTHORIZED, "unauthorized");
    s.post(&events, None, &body)
        .await
        .error(StatusCode::UNAUTHORIZED, "unauthorized");
    let declare = json!({ "id": Uuid::now_v7(), "title": "sneaky", "severity": 1 });
    s.post("/api/v1/incidents", Some("wr_wrong"), &declare)
        .await
        .error(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(s.events(&id.to_string(), "").await["last_seq"], 1);
    let list = s.get("/api/v1/incidents", Some(WRITER)).await;
    assert_eq!(list.ok(StatusCode::OK).as_array().unwrap().len(), 1);
    s.stop().await;
}

#[tokio::test]
async fn read_only_token_reads_but_cannot_write() {
    let s = start().await;
    let id = s.declare("read only").await;
    let events = format!("/api/v1/incidents/{id}/events");
    let declare = json!({ "id": Uuid::now_v7(), "title": "by rita", "severity": 3 });
    let msg = s
        .post("/api/v1/incidents", Some(READER), &declare)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    assert!(msg.contains("read-only"), "{msg}");
    s.post(&events, Some(READER), &json!({ "events": [note("hi")] }))
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    // It reads everything.
    let list = s
        .get("/api/v1/incidents", Some(READER))
        .await
        .ok(StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    let page = s.get(&events, Some(READER)).await.ok(StatusCode::OK);
    assert_eq!(seqs(&page), vec![1]);
    s.get(&format!("/api/v1/incidents/{id}"), Some(READER))
        .await
        .ok(StatusCode::OK);
    s.stop().await;
}

#[tokio::test]
async fn unknown_incident_and_route_are_404() {
    let s = start().await;
    s.declare("exists").await;
    let nobody = Uuid::now_v7();
    for path in [
        format!("/api/v1/incidents/{nobody}"),
        format!("/api/v1/incidents/{nobody}/events"),
        "/api/v1/incidents/zzzzzz".to_string(),
        "/api/v1/incidents/zzzzzz/events".to_string(),
        "/api/v1/nothing-here".to_string(),
        "/api/v2/incidents".to_string(),
    ] {
        s.get(&path, Some(WRITER))
            .await
            .error(StatusCode::NOT_FOUND, "not_found");
    }
    // Appending to an incident that was never declared does not declare it.
    let path = format!("/api/v1/incidents/{nobody}/events");
    s.post(&path, Some(WRITER), &json!({ "events": [note("lost")] }))
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    let list = s.get("/api/v1/incidents", Some(WRITER)).await;
    assert_eq!(list.ok(StatusCode::OK).as_array().unwrap().len(), 1);
    s.stop().await;
}

#[tokio::test]
async fn oversized_bodies_and_batches_are_413() {
    let s = start().await;
    let id = s.declare("big").await;
    let path = format!("/api/v1/incidents/{id}/events");
    // A valid append just over 1 MiB.
    let big = json!({ "events": [note(&"x".repeat(1024 * 1024 + 10))] });
    s.post(&path, Some(WRITER), &big)
        .await
        .error(StatusCode::PAYLOAD_TOO_LARGE, "too_large");
    let declare = json!({
        "id": Uuid::now_v7(), "title": "t", "severity": 1, "summary": "y".repeat(1024 * 1024 + 10)
    });
    s.post("/api/v1/incidents", Some(WRITER), &declare)
        .await
        .error(StatusCode::PAYLOAD_TOO_LARGE, "too_large");
    // 1001 small events: well under 1 MiB, but more than a batch may hold.
    let many: Vec<Value> = (0..1001).map(|n| note(&n.to_string())).collect();
    let msg = s
        .post(&path, Some(WRITER), &json!({ "events": many }))
        .await
        .error(StatusCode::PAYLOAD_TOO_LARGE, "too_large");
    assert!(msg.contains("1000"), "{msg}");
    // Exactly 1000 is fine.
    let thousand: Vec<Value> = (0..1000).map(|n| note(&n.to_string())).collect();
    let got = s.append(&id.to_string(), json!(thousand)).await;
    assert_eq!(got.len(), 1000);
    assert_eq!(got.last().unwrap().1, 1001);
    assert_eq!(s.events(&id.to_string(), "").await["last_seq"], 1001);
    s.stop().await;
}

#[tokio::test]
async fn invalid_declarations_are_422() {
    let s = start().await;
    let bad = [
        json!({ "id": Uuid::now_v7(), "title": "t", "severity": 0 }),
        json!({ "id": Uuid::now_v7(), "title": "t", "severity": 4 }),
        json!({ "id": Uuid::now_v7(), "title": "t", "severity": "high" }),
        json!({ "id": Uuid::now_v7(), "severity": 2 }),
        json!({ "title": "no id", "severity": 2 }),
        json!({ "id": "not-a-uuid", "title": "t", "severity": 2 }),
        json!({ "id": Uuid::now_v7(), "title": "   ", "severity": 2 }),
        json!({ "id": Uuid::now_v7(), "title": "t", "severity": 2, "started_at": "yesterday" }),
        json!([1, 2, 3]),
    ];
    for body in &bad {
        s.post("/api/v1/incidents", Some(WRITER), body)
            .await
            .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_event");
    }
    let msg = s
        .post("/api/v1/incidents", Some(WRITER), &bad[1])
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_event");
    assert!(msg.contains("severity"), "{msg}");
    let list = s.get("/api/v1/incidents", Some(WRITER)).await;
    assert_eq!(list.ok(StatusCode::OK), json!([]), "nothing was declared");
    s.stop().await;
}

#[tokio::test]
async fn invalid_events_are_422_and_write_nothing() {
    let s = start().await;
    let id = s.declare("validation").await;
    let other = s.declare("another").await;
    let path = format!("/api/v1/incidents/{id}/events");
    let bad = [
        // Missing fields.
        json!({ "type": "note", "text": "no id" }),
        json!({ "id": Uuid::now_v7(), "text": "no type" }),
        json!({ "id": Uuid::now_v7(), "type": "note" }),
        // A known type with wrong fields.
        json!({ "id": Uuid::now_v7(), "type": "note", "text": 42 }),
        json!({ "id": Uuid::now_v7(), "type": "severity_changed", "severity": 9 }),
        json!({ "id": Uuid::now_v7(), "type": "role_assigned", "role": "nobody", "handle": "bo" }),
        // Not an event type at all.
        json!({ "id": Uuid::now_v7(), "type": "Not A Type!", "text": "x" }),
        // A bad time.
        json!({ "id": Uuid::now_v7(), "type": "note", "text": "x", "at": "teatime" }),
        // The incident in the body is not the one in the path.
        json!({ "id": Uuid::now_v7(), "type": "note", "text": "x", "incident": other }),
        // Declaring goes through POST /api/v1/incidents.
        json!({ "id": Uuid::now_v7(), "type": "incident_declared", "title": "t", "severity": 1 }),
        json!("just a string"),
    ];
    for ev in &bad {
        // A bad event fails the whole batch, even after a good one.
        let body = json!({ "events": [note("good"), ev] });
        s.post(&path, Some(WRITER), &body)
            .await
            .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_event");
    }
    for body in [json!({ "events": [] }), json!({ "notes": [] }), json!([])] {
        s.post(&path, Some(WRITER), &body)
            .await
            .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_event");
    }
    let msg = s
        .post(&path, Some(WRITER), &json!({ "events": [bad[8].clone()] }))
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_event");
    assert!(
        msg.contains(&id.to_string()),
        "names the path's incident: {msg}"
    );
    let msg = s
        .post(&path, Some(WRITER), &json!({ "events": [bad[9].clone()] }))
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_event");
    assert!(msg.contains("POST /api/v1/incidents"), "{msg}");
    // The same incident named in the body is fine.
    let ok = json!({ "id": Uuid::now_v7(), "type": "note", "text": "x", "incident": id });
    assert_eq!(s.append(&id.to_string(), json!([ok])).await[0].1, 2);
    assert_eq!(seqs(&s.events(&id.to_string(), "").await), vec![1, 2]);
    assert_eq!(seqs(&s.events(&other.to_string(), "").await), vec![1]);
    s.stop().await;
}

#[tokio::test]
async fn declaring_twice_is_idempotent() {
    let s = start().await;
    let id = Uuid::now_v7();
    let started = format_time(Utc::now() - chrono::Duration::hours(3));
    let body = json!({
        "id": id, "title": "checkout 500s", "severity": 1,
        "summary": "card payments failing", "started_at": started
    });
    let first = s
        .post("/api/v1/incidents", Some(WRITER), &body)
        .await
        .ok(StatusCode::CREATED);
    let second = s
        .post("/api/v1/incidents", Some(WRITER), &body)
        .await
        .ok(StatusCode::OK);
    assert_eq!(first, second);
    assert_eq!(first["id"], id.to_string());
    assert_eq!(first["title"], "checkout 500s");
    assert_eq!(first["severity"], 1);
    assert_eq!(first["status"], "active");
    let short = first["short_id"].as_str().unwrap();
    assert_eq!(short.len(), 6, "{first}");
    // incident_declared and impact_started, once each.
    let page = s.events(&id.to_string(), "").await;
    assert_eq!(seqs(&page), vec![1, 2], "{page}");
    assert_eq!(page["events"][0]["type"], "incident_declared");
    assert_eq!(page["events"][1]["type"], "impact_started");
    assert_eq!(time(&page["events"][1]["at"]), time(&json!(started)));
    let list = s.get("/api/v1/incidents", Some(WRITER)).await;
    assert_eq!(list.ok(StatusCode::OK).as_array().unwrap().len(), 1);
    s.stop().await;
}

#[tokio::test]
async fn appending_the_same_event_twice_is_idempotent() {
    let s = start().await;
    let id = s.declare("retries").await.to_string();
    let ev = note("the first time");
    let first = s.append(&id, json!([ev])).await;
    let other = s.append(&id, json!([note("between")])).await;
    let again = s.append(&id, json!([ev])).await;
    assert_eq!(first, again, "a retry answers the original seq");
    assert_eq!(first[0].1, 2);
    assert_eq!(other[0].1, 3);
    // A retried batch mixing old and new events: old ones keep their seq.
    let fresh = note("new");
    let mixed = s.append(&id, json!([ev, fresh, fresh])).await;
    assert_eq!(mixed[0], first[0]);
    assert_eq!(mixed[1].1, 4);
    assert_eq!(
        mixed[2], mixed[1],
        "a repeat inside one batch is the same event"
    );
    let page = s.events(&id, "").await;
    assert_eq!(seqs(&page), vec![1, 2, 3, 4], "{page}");
    assert_eq!(page["last_seq"], 4);
    // An event id is not reusable on another incident.
    let elsewhere = s.declare("elsewhere").await;
    let path = format!("/api/v1/incidents/{elsewhere}/events");
    let msg = s
        .post(&path, Some(WRITER), &json!({ "events": [ev] }))
        .await
        .error(StatusCode::CONFLICT, "conflict");
    assert!(
        msg.contains("#2") && msg.contains("another incident"),
        "{msg}"
    );
    s.stop().await;
}

#[tokio::test]
async fn the_same_id_with_other_content_is_a_409_naming_the_stored_seq() {
    let s = start().await;
    let id = s.declare("conflicts").await.to_string();
    let path = format!("/api/v1/incidents/{id}/events");
    let at = format_time(Utc::now() - chrono::Duration::minutes(1));
    let ev = json!({ "id": Uuid::now_v7(), "type": "note", "text": "pool at 100%", "at": at });
    assert_eq!(s.append(&id, json!([ev])).await[0].1, 2);
    // Exactly the same: the original seq.
    assert_eq!(s.append(&id, json!([ev])).await[0].1, 2);
    let mut changed = ev.clone();
    changed["text"] = json!("pool at 50%");
    let msg = s
        .post(&path, Some(WRITER), &json!({ "events": [changed] }))
        .await
        .error(StatusCode::CONFLICT, "conflict");
    assert!(
        msg.contains("#2") && msg.contains(ev["id"].as_str().unwrap()),
        "{msg}"
    );
    let mut moved = ev.clone();
    moved["at"] = json!(format_time(Utc::now()));
    s.post(&path, Some(WRITER), &json!({ "events": [moved] }))
        .await
        .error(StatusCode::CONFLICT, "conflict");
    // A conflicting batch stores nothing of itself.
    let fresh = note("fresh");
    s.post(&path, Some(WRITER), &json!({ "events": [fresh, changed] }))
        .await
        .error(StatusCode::CONFLICT, "conflict");
    assert_eq!(seqs(&s.events(&id, "").await), vec![1, 2]);
    // A declaration re-sent with another title conflicts too.
    let inc = Uuid::now_v7();
    let declare = |title: &str| json!({ "id": inc, "title": title, "severity": 2 });
    s.post("/api/v1/incidents", Some(WRITER), &declare("db down"))
        .await
        .ok(StatusCode::CREATED);
    s.post("/api/v1/incidents", Some(WRITER), &declare("db down"))
        .await
        .ok(StatusCode::OK);
    s.post("/api/v1/incidents", Some(WRITER), &declare("cache down"))
        .await
        .error(StatusCode::CONFLICT, "conflict");
    s.stop().await;
}

#[tokio::test]
async fn ids_times_and_sizes_out_of_bounds_are_422_naming_what_to_fix() {
    let s = start().await;
    let id = s.declare("bounds").await.to_string();
    let path = format!("/api/v1/incidents/{id}/events");
    let bad = |ev: Value| json!({ "events": [ev] });
    for (what, ev, expect) in [
        (
            "the nil id",
            json!({ "id": Uuid::nil(), "type": "note", "text": "x" }),
            "not an id",
        ),
        (
            "a random (v4) id",
            json!({ "id": "9b2c6f4e-3f1a-4c2d-9e8f-0a1b2c3d4e5f", "type": "note", "text": "x" }),
            "version 4",
        ),
        (
            "a time a day ahead",
            json!({ "id": Uuid::now_v7(), "type": "note", "text": "x",
                     "at": format_time(Utc::now() + chrono::Duration::days(1)) }),
            "ahead of the server's clock",
        ),
        (
            "year 1",
            json!({ "id": Uuid::now_v7(), "type": "impact_started",
                     "at": "0001-01-01T00:00:00Z" }),
            "before the incident was declared",
        ),
        (
            "a 17 KiB note",
            json!({ "id": Uuid::now_v7(), "type": "note", "text": "x".repeat(17 * 1024) }),
            "the text is 17408 characters long; at most 16384",
        ),
        (
            "a long handle",
            json!({ "id": Uuid::now_v7(), "type": "responder_joined", "handle": "h".repeat(65) }),
            "is not a usable handle: a handle is one word of 1 to 64",
        ),
        (
            "an action item due in 9999",
            json!({ "id": Uuid::now_v7(), "type": "action_item_added", "text": "x",
                     "owner_role": "ol", "due": "9999-01-01" }),
            "within five years",
        ),
    ] {
        let answer = s.post(&path, Some(WRITER), &bad(ev)).await;
        let status = answer.status;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{what}: {}",
            answer.body
        );
        let msg = answer.body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(msg.contains(expect), "{what}: {msg}");
    }
    let long_title = json!({ "id": Uuid::now_v7(), "title": "t".repeat(201), "severity": 2 });
    let msg = s
        .post("/api/v1/incidents", Some(WRITER), &long_title)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "refused");
    assert!(
        msg.contains("the title is 201 characters long; at most 200"),
        "{msg}"
    );
    // The nil incident is no incident.
    let nil = format!("/api/v1/incidents/{}/events", Uuid::nil());
    s.post(&nil, Some(WRITER), &json!({ "events": [note("x")] }))
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(
        seqs(&s.events(&id, "").await),
        vec![1],
        "nothing was stored"
    );
    s.stop().await;
}

#[tokio::test]
async fn the_author_is_the_tokens_handle() {
    let s = start().await;
    let id = s.declare("who").await.to_string();
    let mut ev = note("I am not mallory");
    ev["author"] = json!("mallory");
    ev["seq"] = json!(999);
    ev["recorded_at"] = json!("2001-01-01T00:00:00Z");
    let got = s.append(&id, json!([ev])).await;
    assert_eq!(got[0].1, 2, "the client's seq is ignored");
    let page = s.events(&id, "").await;
    for e in page["events"].as_array().unwrap() {
        assert_eq!(e["author"], "alice", "{e}");
        assert_ne!(e["recorded_at"], "2001-01-01T00:00:00Z", "{e}");
    }
    assert_eq!(page["events"][1]["text"], "I am not mallory");
    s.stop().await;
}

#[tokio::test]
async fn incidents_are_listed_and_shown_by_id_or_short_id() {
    let s = start().await;
    let a = s.declare("first").await;
    let b = s.declare("second").await;
    s.append(&a.to_string(), json!([note("one"), note("two")]))
        .await;
    let list = s
        .get("/api/v1/incidents", Some(WRITER))
        .await
        .ok(StatusCode::OK);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    let by_id: HashMap<String, &Value> = list
        .iter()
        .map(|i| (i["id"].as_str().unwrap().to_string(), i))
        .collect();
    for (id, title) in [(a, "first"), (b, "second")] {
        let summary = by_id[&id.to_string()];
        assert_eq!(summary["title"], title);
        assert_eq!(summary["severity"], 2);
        assert_eq!(summary["status"], "active");
        assert!(summary["declared_at"].is_string(), "{summary}");
    }
    assert_eq!(by_id[&a.to_string()]["last_seq"], 3);

    let short = by_id[&a.to_string()]["short_id"]
        .as_str()
        .unwrap()
        .to_string();
    let shown = s
        .get(&format!("/api/v1/incidents/{a}"), Some(WRITER))
        .await
        .ok(StatusCode::OK);
    let by_short = s
        .get(&format!("/api/v1/incidents/{short}"), Some(WRITER))
        .await
        .ok(StatusCode::OK);
    assert_eq!(shown, by_short);
    assert_eq!(shown["state"]["summary"]["title"], "first");
    assert_eq!(shown["state"]["summary"]["id"], a.to_string());
    assert_eq!(shown["state"]["declared_by"], "alice");
    assert_eq!(shown["state"]["notes"], 2);
    // The digest is the one a client gets folding the same events.
    let page = s.events(&short, "").await;
    let events: Vec<Event> = serde_json::from_value(page["events"].clone()).unwrap();
    assert_eq!(events.len(), 3);
    let digest = shown["digest"].as_str().unwrap();
    assert_eq!(digest.len(), 64);
    assert_eq!(digest, Incident::fold(a, &events).digest());
    // Short ids work for appending too.
    assert_eq!(s.append(&short, json!([note("three")])).await[0].1, 4);
    let again = s
        .get(&format!("/api/v1/incidents/{short}"), Some(WRITER))
        .await
        .ok(StatusCode::OK);
    assert_ne!(again["digest"], shown["digest"]);
    s.stop().await;
}

#[tokio::test]
async fn events_page_with_after_and_limit() {
    let s = start().await;
    let id = s.declare("paging").await.to_string();
    let notes: Vec<Value> = (0..9).map(|n| note(&format!("n{n}"))).collect();
    s.append(&id, json!(notes)).await;
    let all = s.events(&id, "").await;
    assert_eq!(seqs(&all), (1..=10).collect::<Vec<_>>());
    assert_eq!(all["last_seq"], 10);
    let page = s.events(&id, "?after=3&limit=4").await;
    assert_eq!(seqs(&page), vec![4, 5, 6, 7]);
    assert_eq!(page["last_seq"], 10, "tells the reader there is more");
    assert_eq!(page["events"][0]["text"], "n2");
    let tail = s.events(&id, "?after=8").await;
    assert_eq!(seqs(&tail), vec![9, 10]);
    let past = s.events(&id, "?after=10").await;
    assert_eq!(seqs(&past), Vec::<i64>::new());
    assert_eq!(past["last_seq"], 10);
    // Every envelope field is there.
    let e = &page["events"][0];
    for key in [
        "id",
        "incident",
        "seq",
        "at",
        "recorded_at",
        "author",
        "type",
    ] {
        assert!(!e[key].is_null(), "{key} missing in {e}");
    }
    assert_eq!(e["incident"], id);
    for bad in [
        "?limit=0",
        "?after=-1",
        "?limit=abc",
        "?limit=10001",
        "?wait=61",
        "?wait=-1",
    ] {
        let path = format!("/api/v1/incidents/{id}/events{bad}");
        s.get(&path, Some(WRITER))
            .await
            .error(StatusCode::BAD_REQUEST, "invalid_request");
    }
    s.stop().await;
}

#[tokio::test]
async fn unknown_event_types_are_kept_as_sent() {
    let s = start().await;
    let id = s.declare("future").await.to_string();
    let ev_id = Uuid::now_v7();
    let ev = json!({
        "id": ev_id,
        "type": "pager_escalated",
        "at": format_time(Utc::now() - chrono::Duration::minutes(7)),
        "level": 3,
        "targets": ["sre", "dba"],
        "detail": { "policy": "p1", "ack": null, "ratio": 0.5 }
    });
    assert_eq!(s.append(&id, json!([ev])).await, vec![(ev_id, 2)]);
    let page = s.events(&id, "?after=1").await;
    let got = &page["events"][0];
    for key in ["id", "type", "level", "targets", "detail"] {
        assert_eq!(got[key], ev[key], "{key} in {got}");
    }
    assert_eq!(time(&got["at"]), time(&ev["at"]));
    assert_eq!(got["author"], "alice");
    let shown = s
        .get(&format!("/api/v1/incidents/{id}"), Some(WRITER))
        .await
        .ok(StatusCode::OK);
    assert_eq!(shown["state"]["unknown_events"], 1);
    s.stop().await;
}

#[tokio::test]
async fn openapi_document_lists_every_path() {
    let s = start().await;
    let id = s.declare("documented").await;
    let doc = s
        .get("/api/v1/openapi.json", Some(READER))
        .await
        .ok(StatusCode::OK);
    let version = doc["openapi"].as_str().expect("an `openapi` version");
    assert!(version.starts_with("3."), "{version}");
    assert!(doc["info"]["title"].is_string());
    let paths = doc["paths"].as_object().expect("paths");
    // Every path of the v1 contract is documented with its methods.
    let contract: [(&str, &[&str]); 5] = [
        ("/healthz", &["get"]),
        ("/api/v1/openapi.json", &["get"]),
        ("/api/v1/incidents", &["get", "post"]),
        ("/api/v1/incidents/{id}", &["get"]),
        ("/api/v1/incidents/{id}/events", &["get", "post"]),
    ];
    for (path, methods) in contract {
        for m in methods {
            assert!(
                paths.get(path).is_some_and(|p| p[m].is_object()),
                "{m} {path} is not documented"
            );
        }
    }
    // And every documented operation is really served (not the 404/405 fallback).
    let mut probed = 0;
    for (path, item) in paths {
        let real = path.replace("{id}", &id.to_string());
        for method in ["get", "post"] {
            if !item[method].is_object() {
                continue;
            }
            let req = match method {
                "get" => s.http.get(s.url(&real)),
                _ => s.http.post(s.url(&real)).json(&json!({})),
            };
            let answer = s.send(req.bearer_auth(READER)).await;
            assert!(
                answer.status != StatusCode::NOT_FOUND
                    && answer.status != StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path} is documented but not served: {} {}",
                answer.status,
                answer.body
            );
            probed += 1;
        }
    }
    assert!(probed >= 7, "only {probed} operations documented");
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    s.stop().await;
}

#[tokio::test]
async fn method_not_allowed_has_a_json_error() {
    let s = start().await;
    let req = s
        .http
        .delete(s.url("/api/v1/incidents"))
        .bearer_auth(WRITER);
    s.send(req)
        .await
        .error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    s.stop().await;
}

#[tokio::test]
async fn long_poll_returns_when_an_event_is_appended() {
    let s = start().await;
    let id = s.declare("long poll").await.to_string();
    let poll = {
        let url = s.url(&format!("/api/v1/incidents/{id}/events"));
        let http = s.http.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let resp = http
                .get(url)
                .bearer_auth(WRITER)
                .query(&[("after", "1"), ("wait", "30")])
                .send()
                .await
                .expect("an answer");
            let status = resp.status();
            let body: Value = resp.json().await.expect("JSON");
            (started.elapsed(), status, body)
        })
    };
    // Whether the append lands before or after the poll subscribes, it must return it.
    let ev = note("wake up");
    let accepted = s.append(&id, json!([ev])).await;
    let (elapsed, status, body) = poll.await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["events"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(body["events"][0]["id"], ev["id"]);
    assert_eq!(body["events"][0]["seq"], accepted[0].1);
    assert_eq!(body["last_seq"], 2);
    assert!(
        elapsed < Duration::from_secs(5),
        "the append should end the wait, it took {elapsed:?}"
    );
    s.stop().await;
}

#[tokio::test]
async fn long_poll_with_nothing_new_answers_empty_after_the_wait() {
    let s = start().await;
    let id = s.declare("quiet").await.to_string();
    let started = Instant::now();
    let page = s.events(&id, "?after=1&wait=1").await;
    let elapsed = started.elapsed();
    assert_eq!(page["events"], json!([]));
    assert_eq!(page["last_seq"], 1);
    assert!(
        elapsed >= Duration::from_millis(900),
        "answered too early: {elapsed:?}"
    );
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    // With events already there, a wait answers at once.
    let started = Instant::now();
    let page = s.events(&id, "?after=0&wait=30").await;
    assert_eq!(seqs(&page), vec![1]);
    assert!(started.elapsed() < Duration::from_secs(5));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_clients_get_unique_contiguous_seqs() {
    const CLIENTS: usize = 50;
    const EACH: usize = 200;
    let s = start().await;
    let id = s.declare("stampede").await;
    let url = s.url(&format!("/api/v1/incidents/{id}/events"));
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            // One client each: its own connection pool.
            let http = Client::new();
            let mut acked = Vec::with_capacity(EACH);
            for n in 0..EACH {
                let ev = note(&format!("client {c} event {n}"));
                let resp = http
                    .post(&url)
                    .bearer_auth(WRITER)
                    .json(&json!({ "events": [ev] }))
                    .send()
                    .await
                    .expect("an answer");
                assert_eq!(resp.status(), StatusCode::OK);
                let body: Value = resp.json().await.unwrap();
                let got = accepted(&body);
                assert_eq!(got.len(), 1);
                assert_eq!(got[0].0.to_string(), ev["id"].as_str().unwrap());
                acked.push(got[0]);
            }
            acked
        }));
    }
    let mut acked: HashMap<Uuid, i64> = HashMap::new();
    for t in tasks {
        for (ev, seq) in t.await.unwrap() {
            assert!(acked.insert(ev, seq).is_none(), "{ev} acked twice");
        }
    }
    let total = CLIENTS * EACH;
    assert_eq!(acked.len(), total);
    let mut acked_seqs: Vec<i64> = acked.values().copied().collect();
    acked_seqs.sort_unstable();
    // seq 1 is the declaration.
    assert_eq!(acked_seqs, (2..=total as i64 + 1).collect::<Vec<_>>());

    let mut stored = Vec::new();
    let mut after = 0;
    loop {
        let page = s
            .events(&id.to_string(), &format!("?after={after}&limit=10000"))
            .await;
        let events = page["events"].as_array().unwrap().clone();
        if events.is_empty() {
            assert_eq!(page["last_seq"], total as i64 + 1);
            break;
        }
        after = events.last().unwrap()["seq"].as_i64().unwrap();
        stored.extend(events);
    }
    let stored_seqs: Vec<i64> = stored.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(stored_seqs, (1..=total as i64 + 1).collect::<Vec<_>>());
    let mut seen = HashSet::new();
    for e in &stored[1..] {
        let ev: Uuid = e["id"].as_str().unwrap().parse().unwrap();
        assert!(seen.insert(ev), "{ev} stored twice");
        assert_eq!(acked.get(&ev), e["seq"].as_i64().as_ref(), "{e}");
    }
    assert_eq!(seen.len(), total);
    s.stop().await;
}

/// The list as `token` sees it: the body and its `ETag`.
async fn list_tagged(s: &Server, token: &str, query: &[(&str, &str)]) -> (Value, String) {
    let resp = s
        .http
        .get(s.url("/api/v1/incidents"))
        .bearer_auth(token)
        .query(query)
        .send()
        .await
        .expect("an answer");
    assert_eq!(resp.status(), StatusCode::OK);
    let tag = resp
        .headers()
        .get("etag")
        .expect("the list carries an ETag")
        .to_str()
        .unwrap()
        .to_string();
    (resp.json().await.expect("JSON"), tag)
}

fn titles(list: &Value) -> Vec<String> {
    let mut titles: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["title"].as_str().unwrap().to_string())
        .collect();
    titles.sort();
    titles
}

#[tokio::test]
async fn a_waiting_list_answers_when_another_client_declares_an_incident() {
    let s = start().await;
    s.declare("first").await;
    let (_, tag) = list_tagged(&s, READER, &[]).await;
    let poll = {
        let (http, url, tag) = (s.http.clone(), s.url("/api/v1/incidents"), tag.clone());
        tokio::spawn(async move {
            let started = Instant::now();
            let resp = http
                .get(url)
                .bearer_auth(READER)
                .query(&[("wait", "30"), ("known", tag.as_str())])
                .send()
                .await
                .expect("an answer");
            let status = resp.status();
            let tag = resp.headers()["etag"].to_str().unwrap().to_string();
            let body: Value = resp.json().await.expect("JSON");
            (started.elapsed(), status, tag, body)
        })
    };
    // Whether the declaration lands before or after the poll starts waiting, the poll must
    // answer with it.
    s.declare("second").await;
    let (elapsed, status, new_tag, body) = poll.await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(titles(&body), vec!["first", "second"], "{body}");
    assert_ne!(new_tag, tag, "a new list has a new version");
    assert!(
        elapsed < Duration::from_secs(5),
        "the declaration should end the wait, it took {elapsed:?}"
    );
    // The version is of what the caller sees: asked again, the same list, the same tag.
    let (again, again_tag) = list_tagged(&s, READER, &[]).await;
    assert_eq!((titles(&again), again_tag), (titles(&body), new_tag));
    s.stop().await;
}

#[tokio::test]
async fn a_list_wait_with_a_stale_version_answers_at_once_and_a_current_one_waits() {
    let s = start().await;
    s.declare("first").await;
    let (_, old) = list_tagged(&s, WRITER, &[]).await;
    s.declare("second").await;
    for stale in [old.as_str(), "\"not-a-version\"", ""] {
        let started = Instant::now();
        let (list, tag) = list_tagged(&s, WRITER, &[("wait", "30"), ("known", stale)]).await;
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "known={stale:?} took {:?}",
            started.elapsed()
        );
        assert_eq!(titles(&list), vec!["first", "second"]);
        assert_ne!(tag, old);
    }
    // Current: nothing changes, so the wait runs out and the same list comes back. The
    // version may be passed back quoted, as the header has it, or bare.
    let (_, current) = list_tagged(&s, WRITER, &[]).await;
    for known in [current.clone(), current.trim_matches('"').to_string()] {
        let started = Instant::now();
        let (list, tag) = list_tagged(&s, WRITER, &[("wait", "1"), ("known", &known)]).await;
        let elapsed = started.elapsed();
        assert!(
            elapsed >= Duration::from_millis(900),
            "answered early: {elapsed:?}"
        );
        assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
        assert_eq!(
            (titles(&list), tag),
            (vec!["first".into(), "second".into()], current.clone())
        );
    }
    // A wait beyond the long-poll limit is refused.
    s.get("/api/v1/incidents?wait=61", Some(WRITER))
        .await
        .error(StatusCode::BAD_REQUEST, "invalid_request");
    s.stop().await;
}

#[tokio::test]
async fn a_restricted_incident_does_not_end_an_outsider_s_wait() {
    let s = start().await;
    s.declare("open one").await;
    let (_, tag) = list_tagged(&s, READER, &[]).await;
    let poll = {
        let (http, url, tag) = (s.http.clone(), s.url("/api/v1/incidents"), tag.clone());
        tokio::spawn(async move {
            let started = Instant::now();
            let resp = http
                .get(url)
                .bearer_auth(READER)
                .query(&[("wait", "2"), ("known", tag.as_str())])
                .send()
                .await
                .expect("an answer");
            let tag = resp.headers()["etag"].to_str().unwrap().to_string();
            let body: Value = resp.json().await.expect("JSON");
            (started.elapsed(), tag, body)
        })
    };
    let id = Uuid::now_v7();
    let body = json!({ "id": id, "title": "secret", "severity": 2, "visibility": "restricted" });
    s.post("/api/v1/incidents", Some(WRITER), &body)
        .await
        .ok(StatusCode::CREATED);
    let (elapsed, new_tag, list) = poll.await.unwrap();
    assert_eq!(titles(&list), vec!["open one"], "{list}");
    assert_eq!(new_tag, tag);
    assert!(
        elapsed >= Duration::from_millis(1900),
        "rita's wait ended at {elapsed:?} on an incident she may not know of"
    );
    // alice, who declared it, sees a list that differs from rita's.
    let (mine, my_tag) = list_tagged(&s, WRITER, &[]).await;
    assert_eq!(titles(&mine), vec!["open one", "secret"]);
    assert_ne!(my_tag, tag);
    s.stop().await;
}
