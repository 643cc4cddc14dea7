//! Alerts in: Alertmanager's webhook and warroom's own alert shape against a real server on
//! 127.0.0.1:0 over a real SQLite file, and the alert commands of the real binary.
//!
//! Alerts are kept by fingerprint (a repeated delivery changes nothing), a malformed
//! delivery is answered 400 with a sentence and stores nothing, and once an alert is
//! linked to an incident, later alerts of its group reach that incident's timeline as
//! observations by the token that delivered them. Nothing sleeps to wait: long-polls are
//! raced against deliveries with deadlines.

// Tests fail by panicking, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Output;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;
use warroom::domain::event::format_time;

use common::Token;

const AM: &str = "wr_test_alertmanager_delivers";
const ALICE: &str = "wr_test_alice_read_write";
const BO: &str = "wr_test_bo_read_write";
const RITA: &str = "wr_test_rita_read_only";

const TOKENS: [Token; 4] = [
    Token::read_write("alertmanager", AM),
    Token::read_write("alice", ALICE),
    Token::read_write("bo", BO),
    Token::read_only("rita", RITA),
];

const GROUP: &str = "{}/{severity=\"critical\"}:{alertname=\"HighErrorRate\"}";

struct Api {
    served: common::Server,
    http: Client,
}

struct Answer {
    status: StatusCode,
    body: Value,
}

impl Answer {
    fn ok(self) -> Value {
        assert_eq!(
            self.status,
            StatusCode::OK,
            "unexpected answer: {}",
            self.body
        );
        self.body
    }

    /// The status and a sentence of a message, with the error code.
    fn error(self, status: StatusCode, code: &str) -> String {
        assert_eq!(self.status, status, "unexpected answer: {}", self.body);
        assert_eq!(self.body["error"]["code"], code, "{}", self.body);
        let message = self.body["error"]["message"].as_str().unwrap().to_string();
        assert!(message.len() > 20, "a sentence: {message}");
        message
    }
}

async fn start() -> Api {
    Api {
        served: common::Server::start(&TOKENS).await,
        http: Client::new(),
    }
}

impl Api {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.served.url())
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Answer {
        let resp = req.send().await.expect("the server answers");
        let status = resp.status();
        let bytes = resp.bytes().await.expect("a body");
        Answer {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    async fn get(&self, path: &str, token: &str) -> Answer {
        self.send(self.http.get(self.url(path)).bearer_auth(token))
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

    async fn post(&self, path: &str, token: &str, body: &Value) -> Answer {
        self.post_raw(path, Some(token), serde_json::to_vec(body).unwrap())
            .await
    }

    /// Delivers an Alertmanager message as Alertmanager's token.
    async fn deliver(&self, message: &Value) -> Vec<Value> {
        let body = self
            .post("/api/v1/alerts/alertmanager", AM, message)
            .await
            .ok();
        body["alerts"].as_array().unwrap().clone()
    }

    async fn alerts(&self, token: &str, all: bool) -> Vec<Value> {
        let path = if all {
            "/api/v1/alerts?all=true"
        } else {
            "/api/v1/alerts"
        };
        let body = self.get(path, token).await.ok();
        body["alerts"].as_array().unwrap().clone()
    }

    /// Declares as `token`; answers the incident's id.
    async fn declare(&self, token: &str, title: &str, restricted: bool) -> Uuid {
        let id = Uuid::now_v7();
        let body = json!({ "id": id, "title": title, "severity": 2,
                           "visibility": if restricted { "restricted" } else { "open" } });
        let a = self.post("/api/v1/incidents", token, &body).await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        id
    }

    async fn append(&self, token: &str, incident: Uuid, events: Value) -> Answer {
        self.post(
            &format!("/api/v1/incidents/{incident}/events"),
            token,
            &json!({ "events": events }),
        )
        .await
    }

    /// Links `alert` (as the list gave it) to `incident`, as `token`.
    async fn link(&self, token: &str, incident: Uuid, alert: &Value) {
        let ev = json!({
            "id": Uuid::now_v7(), "type": "alert_linked", "alert": alert["id"],
            "fingerprint": alert["fingerprint"], "name": alert["labels"]["alertname"],
        });
        self.append(token, incident, json!([ev])).await.ok();
    }

    async fn events(&self, incident: Uuid) -> Vec<Value> {
        let body = self
            .get(&format!("/api/v1/incidents/{incident}/events"), ALICE)
            .await
            .ok();
        body["events"].as_array().unwrap().clone()
    }
}

fn ago(minutes: i64) -> String {
    format_time(Utc::now() - chrono::Duration::minutes(minutes))
}

/// One alert as Alertmanager sends it; `ends` is Go's zero time while it fires.
fn am_alert(fp: &str, name: &str, status: &str, starts: &str, ends: Option<&str>) -> Value {
    json!({
        "status": status,
        "labels": {"alertname": name, "severity": "critical", "pod": fp},
        "annotations": {"summary": format!("{name} on {fp}")},
        "startsAt": starts,
        "endsAt": ends.unwrap_or("0001-01-01T00:00:00Z"),
        "generatorURL": "http://prometheus.example:9090/graph",
        "fingerprint": fp,
    })
}

/// Alertmanager's webhook message, version 4, for `group`.
fn am_message(group: &str, alerts: Vec<Value>) -> Value {
    let status = if alerts.iter().any(|a| a["status"] == "firing") {
        "firing"
    } else {
        "resolved"
    };
    json!({
        "version": "4",
        "groupKey": group,
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "warroom",
        "groupLabels": {"alertname": "HighErrorRate"},
        "commonLabels": {"alertname": "HighErrorRate"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example:9093",
        "alerts": alerts,
    })
}

/// The items of a collection in the folded state as the API shows it: a list, a map by
/// key, or the newest items with a total (`{"latest": [...], "total": N}`).
fn items(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        Value::Object(m) if m.contains_key("latest") => items(&m["latest"]),
        Value::Object(m) => m
            .iter()
            .map(|(k, item)| {
                let mut item = item.clone();
                if let Some(o) = item.as_object_mut() {
                    o.entry("handle").or_insert_with(|| json!(k));
                }
                item
            })
            .collect(),
        other => panic!("not a collection: {other}"),
    }
}

fn fingerprints(alerts: &[Value]) -> Vec<&str> {
    alerts
        .iter()
        .map(|a| a["fingerprint"].as_str().unwrap())
        .collect()
}

fn observations(events: &[Value]) -> Vec<(String, String, String)> {
    events
        .iter()
        .filter(|e| e["type"] == "alert_observed")
        .map(|e| {
            (
                e["fingerprint"].as_str().unwrap().to_string(),
                e["status"].as_str().unwrap().to_string(),
                e["author"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn alertmanager_deliveries_are_kept_by_fingerprint_and_listed_firing_first() {
    let s = start().await;
    let (t_a, t_b) = (ago(30), ago(10));
    let first = s
        .deliver(&am_message(
            GROUP,
            vec![
                am_alert("aaaa000000000001", "HighErrorRate", "firing", &t_a, None),
                am_alert("BBBB000000000002", "HighErrorRate", "firing", &t_b, None),
            ],
        ))
        .await;
    assert_eq!(
        fingerprints(&first),
        vec!["bbbb000000000002", "aaaa000000000001"],
        "lower-cased, the newest firing first"
    );
    assert_eq!(first[0]["status"], "firing");
    assert_eq!(first[0]["ends_at"], Value::Null, "no end while it fires");
    assert_eq!(first[0]["group_key"], GROUP);
    assert_eq!(first[0]["source"], "warroom", "the receiver");
    assert!(first[0].get("incident").is_none(), "not linked");

    // Alertmanager repeats a group every repeat_interval: the same records, unchanged.
    let again = s
        .deliver(&am_message(
            GROUP,
            vec![
                am_alert("aaaa000000000001", "HighErrorRate", "firing", &t_a, None),
                am_alert("BBBB000000000002", "HighErrorRate", "firing", &t_b, None),
            ],
        ))
        .await;
    assert_eq!(
        again, first,
        "a repeat changes nothing, not even when it changed"
    );
    assert_eq!(
        s.alerts(ALICE, true).await.len(),
        2,
        "one record per fingerprint"
    );

    let end = ago(1);
    let resolved = s
        .deliver(&am_message(
            GROUP,
            vec![am_alert(
                "aaaa000000000001",
                "HighErrorRate",
                "resolved",
                &t_a,
                Some(&end),
            )],
        ))
        .await;
    assert_eq!(resolved[0]["id"], first[1]["id"], "the same record");
    assert_eq!(resolved[0]["status"], "resolved");
    let ends: DateTime<Utc> = serde_json::from_value(resolved[0]["ends_at"].clone()).unwrap();
    assert_eq!(format_time(ends), end);

    let firing = s.alerts(RITA, false).await;
    assert_eq!(
        fingerprints(&firing),
        vec!["bbbb000000000002"],
        "a read-only token reads"
    );
    let all = s.alerts(ALICE, true).await;
    assert_eq!(
        fingerprints(&all),
        vec!["bbbb000000000002", "aaaa000000000001"],
        "firing first, then resolved"
    );
    s.served.close().await;
}

#[tokio::test]
async fn generic_alerts_fire_resolve_and_keep_one_record() {
    let s = start().await;
    let alert = json!({
        "source": "grafana", "title": "Checkout latency above 2 s", "severity": "warning",
        "summary": "p99 of POST /checkout is 2.4 s", "labels": {"service": "checkout"},
        "starts_at": ago(5),
    });
    let first = s.post("/api/v1/alerts", ALICE, &alert).await.ok()["alerts"][0].clone();
    assert_eq!(first["status"], "firing");
    assert_eq!(first["labels"]["alertname"], "Checkout latency above 2 s");
    assert_eq!(first["labels"]["severity"], "warning");
    assert_eq!(first["labels"]["service"], "checkout");
    assert_eq!(
        first["annotations"]["summary"],
        "p99 of POST /checkout is 2.4 s"
    );
    assert_eq!(first["source"], "grafana");
    assert_eq!(first["fingerprint"].as_str().unwrap().len(), 16);

    let again = s.post("/api/v1/alerts", ALICE, &alert).await.ok()["alerts"][0].clone();
    assert_eq!(again, first, "the same alert again");

    let mut elsewhere = alert.clone();
    elsewhere["labels"] = json!({"service": "search"});
    let other = s.post("/api/v1/alerts", ALICE, &elsewhere).await.ok()["alerts"][0].clone();
    assert_ne!(
        other["fingerprint"], first["fingerprint"],
        "other labels, another alert"
    );

    let mut ended = alert.clone();
    ended["ends_at"] = json!(ago(1));
    let resolved = s.post("/api/v1/alerts", ALICE, &ended).await.ok()["alerts"][0].clone();
    assert_eq!(resolved["id"], first["id"]);
    assert_eq!(resolved["status"], "resolved");

    // Just a title will do.
    let bare = s
        .post(
            "/api/v1/alerts",
            ALICE,
            &json!({"title": "Disk full on db-1"}),
        )
        .await
        .ok()["alerts"][0]
        .clone();
    assert_eq!(bare["source"], "api");
    assert_eq!(
        fingerprints(&s.alerts(ALICE, false).await).len(),
        2,
        "the search alert and the bare one fire"
    );
    s.served.close().await;
}

#[tokio::test]
async fn malformed_deliveries_are_answered_400_with_a_sentence_and_store_nothing() {
    let s = start().await;
    let good = am_message(
        GROUP,
        vec![am_alert("aaaa", "HighErrorRate", "firing", &ago(5), None)],
    );
    let am_path = "/api/v1/alerts/alertmanager";
    let mut cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (am_path, b"{not json".to_vec(), "malformed_json"),
        (am_path, b"[]".to_vec(), "invalid_request"),
        ("/api/v1/alerts", b"".to_vec(), "malformed_json"),
    ];
    let mut bad: Vec<(&str, Value)> = Vec::new();
    let mut v3 = good.clone();
    v3["version"] = json!("3");
    bad.push((am_path, v3));
    let mut no_group = good.clone();
    no_group.as_object_mut().unwrap().remove("groupKey");
    bad.push((am_path, no_group));
    let mut not_hex = good.clone();
    not_hex["alerts"][0]["fingerprint"] = json!("not-a-fingerprint");
    bad.push((am_path, not_hex));
    let mut status = good.clone();
    status["alerts"][0]["status"] = json!("pending");
    bad.push((am_path, status));
    let mut label = good.clone();
    label["alerts"][0]["labels"]["replicas"] = json!(3);
    bad.push((am_path, label));
    let mut time = good.clone();
    time["alerts"][0]["startsAt"] = json!("yesterday");
    bad.push((am_path, time));
    bad.push(("/api/v1/alerts", json!({"source": "grafana"})));
    bad.push(("/api/v1/alerts", json!({"title": "   "})));
    bad.push((
        "/api/v1/alerts",
        json!({"title": "x", "severty": "critical"}),
    ));
    bad.push(("/api/v1/alerts", json!({"title": "x", "labels": ["a"]})));
    bad.push(("/api/v1/alerts", json!({"title": "x".repeat(201)})));
    for (path, body) in &bad {
        cases.push((path, serde_json::to_vec(body).unwrap(), "invalid_request"));
    }
    for (path, body, code) in cases {
        let answer = s.post_raw(path, Some(ALICE), body.clone()).await;
        let message = answer.error(StatusCode::BAD_REQUEST, code);
        assert!(
            !message.contains('\n'),
            "{}: one sentence: {message}",
            String::from_utf8_lossy(&body)
        );
    }
    // Well-formed, but times that cannot be.
    let backwards = json!({"title": "x", "starts_at": ago(1), "ends_at": ago(5)});
    let m = s
        .post("/api/v1/alerts", ALICE, &backwards)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_alert");
    assert!(m.contains("before its `starts_at`"), "{m}");

    // Too large, read-only, no token.
    let huge = vec![b' '; 2 * 1024 * 1024];
    s.post_raw(am_path, Some(ALICE), huge)
        .await
        .error(StatusCode::PAYLOAD_TOO_LARGE, "too_large");
    s.post(am_path, RITA, &good)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    s.post_raw(am_path, None, serde_json::to_vec(&good).unwrap())
        .await
        .error(StatusCode::UNAUTHORIZED, "unauthorized");
    s.get("/api/v1/alerts?all=maybe", ALICE)
        .await
        .error(StatusCode::BAD_REQUEST, "invalid_request");

    assert!(s.alerts(ALICE, true).await.is_empty(), "nothing was stored");
    // And the good one is taken.
    assert_eq!(s.deliver(&good).await.len(), 1);
    s.served.close().await;
}

#[tokio::test]
async fn later_alerts_of_a_linked_group_reach_the_incident_as_observations() {
    let s = start().await;
    let first = s
        .deliver(&am_message(
            GROUP,
            vec![am_alert("a1", "HighErrorRate", "firing", &ago(20), None)],
        ))
        .await;
    let other_group = s
        .deliver(&am_message(
            "{}:{alertname=\"DiskFull\"}",
            vec![am_alert("d1", "DiskFull", "firing", &ago(20), None)],
        ))
        .await;
    let incident = s.declare(ALICE, "Checkout errors", false).await;
    s.link(ALICE, incident, &first[0]).await;
    let listed = s.alerts(BO, false).await;
    let a1 = listed.iter().find(|a| a["fingerprint"] == "a1").unwrap();
    assert_eq!(a1["incident"], json!(incident), "linked");
    let d1 = listed.iter().find(|a| a["fingerprint"] == "d1").unwrap();
    assert!(d1.get("incident").is_none(), "another group stays apart");
    assert!(
        observations(&s.events(incident).await).is_empty(),
        "linking records no observation"
    );

    // A new alert of the group fires, the first resolves, the other group changes.
    let t_b2 = ago(5);
    let message = am_message(
        GROUP,
        vec![
            am_alert("a1", "HighErrorRate", "resolved", &ago(20), Some(&ago(2))),
            am_alert("b2", "HighErrorRate", "firing", &t_b2, None),
        ],
    );
    let got = s.deliver(&message).await;
    assert!(
        got.iter().all(|a| a["incident"] == json!(incident)),
        "the group's new alert follows it: {got:?}"
    );
    s.deliver(&am_message(
        "{}:{alertname=\"DiskFull\"}",
        vec![am_alert(
            "d1",
            "DiskFull",
            "resolved",
            &ago(20),
            Some(&ago(1)),
        )],
    ))
    .await;
    let _ = other_group;
    // Alertmanager sends a group again and again: each change is recorded once.
    s.deliver(&message).await;
    let events = s.events(incident).await;
    let mut seen = observations(&events);
    seen.sort();
    assert_eq!(
        seen,
        vec![
            ("a1".into(), "resolved".into(), "alertmanager".into()),
            ("b2".into(), "firing".into(), "alertmanager".into()),
        ],
        "{events:?}"
    );
    let b2 = events
        .iter()
        .find(|e| e["type"] == "alert_observed" && e["fingerprint"] == "b2")
        .unwrap();
    let at: DateTime<Utc> = serde_json::from_value(b2["at"].clone()).unwrap();
    assert_eq!(format_time(at), t_b2, "dated when it began firing");
    assert_eq!(b2["name"], "HighErrorRate");
    assert_eq!(b2["summary"], "HighErrorRate on b2");

    // On the board as observations; the monitoring is not a responder.
    let shown = s
        .get(&format!("/api/v1/incidents/{incident}"), ALICE)
        .await
        .ok();
    let board: Vec<String> = items(&shown["state"]["board"]["observations"])
        .iter()
        .map(|o| o["text"].as_str().unwrap().to_string())
        .collect();
    assert!(
        board.contains(&"alert firing: HighErrorRate — HighErrorRate on b2".to_string())
            && board.contains(&"alert resolved: HighErrorRate".to_string()),
        "{board:?}"
    );
    let responders: Vec<Value> = items(&shown["state"]["responders"]);
    assert!(!responders.is_empty(), "{shown}");
    assert!(
        responders
            .iter()
            .all(|r| r["handle"] != "alertmanager" && r != "alertmanager"),
        "{responders:?}"
    );
    s.served.close().await;
}

#[tokio::test]
async fn a_restricted_incident_keeps_its_link_and_its_alerts_to_its_members() {
    let s = start().await;
    let alert = s
        .deliver(&am_message(
            GROUP,
            vec![am_alert("c3", "HighErrorRate", "firing", &ago(20), None)],
        ))
        .await;
    let incident = s.declare(ALICE, "Leaked credentials", true).await;
    s.link(ALICE, incident, &alert[0]).await;
    let to_bo = s.alerts(BO, false).await;
    assert!(
        to_bo[0].get("incident").is_none(),
        "bo may not know of it: {to_bo:?}"
    );
    let to_alice = s.alerts(ALICE, false).await;
    assert_eq!(to_alice[0]["incident"], json!(incident));

    // Alertmanager's token is no member: its observation is not recorded.
    s.deliver(&am_message(
        GROUP,
        vec![am_alert("c4", "HighErrorRate", "firing", &ago(3), None)],
    ))
    .await;
    assert!(observations(&s.events(incident).await).is_empty());
    // Once the IC grants it access, the next change is.
    let grant = json!({"id": Uuid::now_v7(), "type": "access_granted", "handle": "alertmanager"});
    s.append(ALICE, incident, json!([grant])).await.ok();
    s.deliver(&am_message(
        GROUP,
        vec![am_alert(
            "c4",
            "HighErrorRate",
            "resolved",
            &ago(3),
            Some(&ago(1)),
        )],
    ))
    .await;
    let seen = observations(&s.events(incident).await);
    assert_eq!(
        seen,
        vec![("c4".into(), "resolved".into(), "alertmanager".into())]
    );
    s.served.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_alert_wakes_the_incident_lists_long_poll() {
    let s = start().await;
    let first = s.get("/api/v1/incidents", ALICE).await;
    assert_eq!(first.status, StatusCode::OK);
    let resp = s
        .http
        .get(s.url("/api/v1/incidents"))
        .bearer_auth(ALICE)
        .send()
        .await
        .unwrap();
    let tag = resp.headers()["etag"].to_str().unwrap().to_string();
    let url = s.url("/api/v1/incidents");
    let http = s.http.clone();
    let known = tag.clone();
    let started = Instant::now();
    let poll = tokio::spawn(async move {
        let resp = http
            .get(url)
            .query(&[("wait", "30"), ("known", known.as_str())])
            .bearer_auth(ALICE)
            .send()
            .await
            .unwrap();
        resp.headers()["etag"].to_str().unwrap().to_string()
    });
    // Deliver until the long-poll answers (a delivery before it waits is news too).
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut n = 0;
    while !poll.is_finished() {
        assert!(Instant::now() < deadline, "the long-poll never woke");
        n += 1;
        s.post(
            "/api/v1/alerts",
            ALICE,
            &json!({"title": format!("alert {n}")}),
        )
        .await
        .ok();
        tokio::time::timeout(Duration::from_millis(500), async {
            while !poll.is_finished() {
                tokio::task::yield_now().await;
            }
        })
        .await
        .ok();
    }
    let new_tag = poll.await.unwrap();
    assert_ne!(new_tag, tag, "the list's version counts the firing alerts");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "woken by the alert, not by the end of the wait"
    );
    s.served.close().await;
}

#[tokio::test]
async fn the_openapi_document_describes_the_alert_endpoints() {
    let s = start().await;
    let doc = s.get("/api/v1/openapi.json", ALICE).await.ok();
    for path in ["/api/v1/alerts", "/api/v1/alerts/alertmanager"] {
        assert!(doc["paths"].get(path).is_some(), "{path}");
    }
    let schemas = &doc["components"]["schemas"];
    let message = &schemas["AlertmanagerMessage"];
    let required: Vec<&str> = message["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for field in [
        "version",
        "groupKey",
        "truncatedAlerts",
        "status",
        "receiver",
        "groupLabels",
        "commonLabels",
        "commonAnnotations",
        "externalURL",
        "alerts",
    ] {
        assert!(required.contains(&field), "{field} in {required:?}");
    }
    assert_eq!(
        schemas["GenericAlert"]["additionalProperties"],
        json!(false),
        "unknown fields are refused, as documented"
    );
    s.served.close().await;
}

// ---- the commands -------------------------------------------------------------------------

/// One responder running the real binary against the server.
struct Cli {
    data: std::path::PathBuf,
    server: Option<(String, &'static str)>,
}

impl Cli {
    fn run(&self, args: &[&str]) -> Output {
        let mut c = common::warroom(&self.data);
        match &self.server {
            Some((url, token)) => {
                c.args(["--server", url, "--token", token]);
            }
            None => {
                c.args(["--as", "ana"]);
            }
        }
        c.args(args).output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> (String, String) {
        let out = self.run(args);
        let (stdout, stderr) = (
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        );
        assert!(out.status.success(), "{args:?}: {stdout}{stderr}");
        (stdout, stderr)
    }

    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(out.stdout.is_empty(), "nothing on stdout");
        String::from_utf8(out.stderr).unwrap()
    }

    fn events(&self, incident: &str) -> Vec<Value> {
        self.ok(&["events", incident, "--json"])
            .0
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

#[test]
fn alert_commands_say_alerts_need_a_server_in_solo_mode() {
    let dir = tempfile::tempdir().unwrap();
    let solo = Cli {
        data: dir.path().join("solo"),
        server: None,
    };
    let id = solo
        .ok(&["declare", "--title", "Checkout down", "--severity", "2"])
        .0;
    for args in [
        vec!["alerts"],
        vec!["alerts", "--all", "--json"],
        vec!["declare", "--from-alert", "a1"],
        vec!["link-alert", id.trim(), "a1"],
    ] {
        let said = solo.fails(&args);
        assert!(said.contains("alerts need a server"), "{args:?}: {said}");
    }
    assert_eq!(
        solo.ok(&["incidents", "--json"])
            .0
            .matches("\"id\"")
            .count(),
        1,
        "nothing was declared"
    );
}

#[test]
fn the_cli_lists_alerts_declares_from_one_and_links_another() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s = rt.block_on(start());
    let fired = ago(25);
    rt.block_on(async {
        s.deliver(&am_message(
            GROUP,
            vec![
                am_alert("f00d000000000001", "HighErrorRate", "firing", &fired, None),
                am_alert("f00e000000000002", "HighErrorRate", "firing", &ago(3), None),
            ],
        ))
        .await;
        s.post(
            "/api/v1/alerts",
            ALICE,
            &json!({"title": "Queue backlog", "source": "cron", "starts_at": ago(2)}),
        )
        .await
        .ok();
    });
    let dir = tempfile::tempdir().unwrap();
    let ana = Cli {
        data: dir.path().join("ana"),
        server: Some((s.served.url(), ALICE)),
    };

    let (table, _) = ana.ok(&["alerts"]);
    assert!(table.starts_with("STATUS"), "{table}");
    assert!(
        table.contains("f00d000000000001") && table.contains("HighErrorRate — HighErrorRate on"),
        "{table}"
    );
    let json: Value = serde_json::from_str(&ana.ok(&["alerts", "--json"]).0).unwrap();
    assert_eq!(json["alerts"].as_array().unwrap().len(), 3, "{json}");

    // A prefix two fingerprints share names neither.
    let said = ana.fails(&["declare", "--from-alert", "f00"]);
    assert!(said.contains("matches 2 alerts"), "{said}");
    let said = ana.fails(&["declare", "--from-alert", "beef"]);
    assert!(said.contains("no alert matches `beef`"), "{said}");
    // A generic alert with no severity label: the severity must be chosen.
    let backlog = json["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["labels"]["alertname"] == "Queue backlog")
        .unwrap()
        .clone();
    let said = ana.fails(&[
        "declare",
        "--from-alert",
        backlog["fingerprint"].as_str().unwrap(),
    ]);
    assert!(said.contains("--severity"), "{said}");

    let (out, told) = ana.ok(&["declare", "--from-alert", "f00d"]);
    let id = out.trim().to_string();
    assert_eq!(id.len(), 6, "the short id alone: {out}");
    assert!(
        told.contains("SEV1 from the alert's severity label `critical`")
            && told.contains("the start of impact is not set")
            && told.contains(&format!("warroom impact {id} started --at {fired}")),
        "{told}"
    );
    let events = ana.events(&id);
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        vec!["incident_declared", "detected", "alert_linked"],
        "{events:?}"
    );
    assert_eq!(events[0]["title"], "HighErrorRate");
    assert_eq!(events[0]["severity"], 1);
    assert_eq!(events[0]["summary"], "HighErrorRate on f00d000000000001");
    let detected: DateTime<Utc> = serde_json::from_value(events[1]["at"].clone()).unwrap();
    assert_eq!(
        format_time(detected),
        fired,
        "detection when the alert fired"
    );
    assert_eq!(events[2]["fingerprint"], "f00d000000000001");
    let shown: Value = serde_json::from_str(&ana.ok(&["show", &id, "--json"]).0).unwrap();
    assert_eq!(
        shown["summary"]["impact_started"],
        Value::Null,
        "not set for you"
    );

    // The other alert goes to a second incident, declared by hand.
    let other = ana
        .ok(&["declare", "--title", "Search slow", "--severity", "3"])
        .0;
    let other = other.trim();
    let said = ana.ok(&["link-alert", other, "f00e"]).0;
    assert!(
        said.contains("alert HighErrorRate (f00e0000) linked on"),
        "{said}"
    );
    let said = ana.fails(&["link-alert", other, "nope"]);
    assert!(said.contains("no alert matches"), "{said}");

    let json: Value = serde_json::from_str(&ana.ok(&["alerts", "--json"]).0).unwrap();
    let incident_of = |fp: &str| {
        json["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["fingerprint"] == fp)
            .unwrap()["incident"]
            .clone()
    };
    let short = |v: Value| warroom::domain::ids::short_id(&serde_json::from_value(v).unwrap());
    assert_eq!(short(incident_of("f00d000000000001")), id);
    assert_eq!(short(incident_of("f00e000000000002")), other);
    let (table, _) = ana.ok(&["alerts"]);
    assert!(table.contains(&id) && table.contains(other), "{table}");

    // With a severity chosen, a generic alert declares too.
    let (out, _) = ana.ok(&[
        "declare",
        "--from-alert",
        backlog["id"].as_str().unwrap(),
        "--severity",
        "2",
    ]);
    let third = ana.events(out.trim());
    assert_eq!(third[0]["title"], "Queue backlog");
    assert_eq!(third[0]["severity"], 2);
    rt.block_on(s.served.close());
}

#[tokio::test]
async fn an_unlinked_alert_and_its_group_stop_reaching_the_incident() {
    let s = start().await;
    let first = s
        .deliver(&am_message(
            GROUP,
            vec![
                am_alert("a1", "HighErrorRate", "firing", &ago(20), None),
                am_alert("b2", "HighErrorRate", "firing", &ago(10), None),
            ],
        ))
        .await;
    let a1 = first.iter().find(|a| a["fingerprint"] == "a1").unwrap();
    let incident = s.declare(ALICE, "Checkout errors", false).await;
    let link = json!({
        "id": Uuid::now_v7(), "type": "alert_linked", "alert": a1["id"],
        "fingerprint": "a1", "name": "HighErrorRate",
    });
    s.append(ALICE, incident, json!([link.clone()])).await.ok();
    let listed = s.alerts(BO, false).await;
    assert!(
        listed.iter().all(|a| a["incident"] == json!(incident)),
        "the group follows the link: {listed:?}"
    );

    // Unlinking an alert the incident does not link is refused with a sentence.
    let said = s
        .append(
            BO,
            incident,
            json!([{"id": Uuid::now_v7(), "type": "alert_unlinked", "alert": Uuid::now_v7()}]),
        )
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "refused");
    assert!(
        said.contains("is not linked to this incident") && said.contains("HighErrorRate"),
        "{said}"
    );

    // bo, not the IC, unlinks it: the alert and its group are listed unlinked again.
    let unlink = json!([{"id": Uuid::now_v7(), "type": "alert_unlinked", "alert": a1["id"],
                         "reason": "wrong incident"}]);
    s.append(BO, incident, unlink).await.ok();
    let listed = s.alerts(BO, true).await;
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(
        listed.iter().all(|a| a.get("incident").is_none()),
        "unlinked: {listed:?}"
    );
    // A retry of the old link changes nothing: the incident no longer links the alert.
    s.append(ALICE, incident, json!([link])).await.ok();
    assert!(
        s.alerts(BO, true)
            .await
            .iter()
            .all(|a| a.get("incident").is_none())
    );

    // The group fires again, a new alert starts and one resolves: nothing reaches it.
    let got = s
        .deliver(&am_message(
            GROUP,
            vec![
                am_alert("a1", "HighErrorRate", "resolved", &ago(20), Some(&ago(1))),
                am_alert("b2", "HighErrorRate", "firing", &ago(10), None),
                am_alert("c3", "HighErrorRate", "firing", &ago(2), None),
            ],
        ))
        .await;
    assert!(
        got.iter().all(|a| a.get("incident").is_none()),
        "no alert of the group is linked: {got:?}"
    );
    let events = s.events(incident).await;
    assert!(observations(&events).is_empty(), "{events:?}");
    let last = events.last().unwrap();
    assert_eq!(last["type"], "alert_unlinked", "{events:?}");
    assert_eq!(
        (&last["author"], &last["reason"]),
        (&json!("bo"), &json!("wrong incident"))
    );

    // Free again, it is attached elsewhere, and that incident hears of its group.
    let other = s.declare(BO, "Search slow", false).await;
    let b2 = got.iter().find(|a| a["fingerprint"] == "b2").unwrap();
    s.link(BO, other, b2).await;
    s.deliver(&am_message(
        GROUP,
        vec![am_alert(
            "c3",
            "HighErrorRate",
            "resolved",
            &ago(2),
            Some(&ago(0)),
        )],
    ))
    .await;
    assert_eq!(
        observations(&s.events(other).await),
        vec![("c3".into(), "resolved".into(), "alertmanager".into())]
    );
    assert!(observations(&s.events(incident).await).is_empty());
    s.served.close().await;
}

#[tokio::test]
async fn unlinking_one_alert_keeps_the_group_linked_through_another() {
    let s = start().await;
    let got = s
        .deliver(&am_message(
            GROUP,
            vec![
                am_alert("a1", "HighErrorRate", "firing", &ago(20), None),
                am_alert("b2", "HighErrorRate", "firing", &ago(10), None),
            ],
        ))
        .await;
    let incident = s.declare(ALICE, "Checkout errors", false).await;
    for a in &got {
        s.link(ALICE, incident, a).await;
    }
    let a1 = got.iter().find(|a| a["fingerprint"] == "a1").unwrap();
    let unlink = json!([{"id": Uuid::now_v7(), "type": "alert_unlinked", "alert": a1["id"]}]);
    s.append(ALICE, incident, unlink).await.ok();
    let listed = s.alerts(ALICE, true).await;
    let incident_of =
        |fp: &str| listed.iter().find(|a| a["fingerprint"] == fp).unwrap()["incident"].clone();
    assert_eq!(incident_of("a1"), Value::Null, "{listed:?}");
    assert_eq!(incident_of("b2"), json!(incident), "still linked itself");
    s.served.close().await;
}

#[test]
fn the_cli_unlinks_an_alert_linked_by_mistake() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s = rt.block_on(start());
    rt.block_on(async {
        s.deliver(&am_message(
            GROUP,
            vec![am_alert(
                "f00d000000000001",
                "HighErrorRate",
                "firing",
                &ago(5),
                None,
            )],
        ))
        .await;
    });
    let dir = tempfile::tempdir().unwrap();
    let ana = Cli {
        data: dir.path().join("ana"),
        server: Some((s.served.url(), ALICE)),
    };
    let id = ana
        .ok(&["declare", "--title", "Search slow", "--severity", "3"])
        .0;
    let id = id.trim();
    let said = ana.fails(&["unlink-alert", id, "f00d"]);
    assert!(
        said.contains("no alert is linked to this incident"),
        "{said}"
    );
    ana.ok(&["link-alert", id, "f00d"]);
    let said = ana.fails(&["unlink-alert", id, "beef"]);
    assert!(
        said.contains("no alert linked to this incident matches `beef`")
            && said.contains("HighErrorRate (f00d000000000001)"),
        "{said}"
    );
    let said = ana
        .ok(&["unlink-alert", id, "f00d", "--reason", "wrong incident"])
        .0;
    assert!(
        said.contains("alert HighErrorRate (f00d0000) unlinked on"),
        "{said}"
    );
    let events = ana.events(id);
    let last = events.last().unwrap();
    assert_eq!(last["type"], "alert_unlinked", "{events:?}");
    assert_eq!(last["reason"], "wrong incident");
    let json: Value = serde_json::from_str(&ana.ok(&["alerts", "--json"]).0).unwrap();
    assert!(
        json["alerts"][0].get("incident").is_none(),
        "listed unlinked: {json}"
    );
    // The timeline reads it by the alert's name.
    let (text, _) = ana.ok(&["events", id]);
    assert!(
        text.contains("alert unlinked: HighErrorRate (f00d000000000001): wrong incident"),
        "{text}"
    );
    let said = ana.fails(&["unlink-alert", id, "f00d"]);
    assert!(said.contains("no alert is linked"), "{said}");
    rt.block_on(s.served.close());
}

#[test]
fn a_server_started_past_the_window_prunes_an_old_resolved_alert() {
    const DISK: &str = "{}:{alertname=\"DiskFull\"}";
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut s = rt.block_on(start());
    let (incident, gone) = rt.block_on(async {
        let incident = s.declare(ALICE, "Checkout errors", false).await;
        // dead and beef: one group, linked through dead, which resolves; beef fires on.
        let fired = s
            .deliver(&am_message(
                GROUP,
                vec![
                    am_alert(
                        "dead000000000001",
                        "HighErrorRate",
                        "firing",
                        &ago(30),
                        None,
                    ),
                    am_alert(
                        "beef000000000002",
                        "HighErrorRate",
                        "firing",
                        &ago(20),
                        None,
                    ),
                ],
            ))
            .await;
        s.link(ALICE, incident, &fired[0]).await;
        // cafe: a group of its own, linked too, then resolved.
        let disk = s
            .deliver(&am_message(
                DISK,
                vec![am_alert(
                    "cafe000000000003",
                    "DiskFull",
                    "firing",
                    &ago(40),
                    None,
                )],
            ))
            .await;
        s.link(ALICE, incident, &disk[0]).await;
        for (group, fp, name) in [
            (GROUP, "dead000000000001", "HighErrorRate"),
            (DISK, "cafe000000000003", "DiskFull"),
        ] {
            s.deliver(&am_message(
                group,
                vec![am_alert(fp, name, "resolved", &ago(40), Some(&ago(1)))],
            ))
            .await;
        }
        // Within the window the resolved alerts are kept.
        s.served.serve_again().await;
        assert_eq!(s.alerts(ALICE, true).await.len(), 3);

        // Started 31 days on: cafe goes; dead stays, its group still firing on the
        // incident through it; beef, as old, fires on.
        let later = Utc::now() + chrono::Duration::days(31);
        s.served
            .serve_again_on(std::sync::Arc::new(warroom::clock::ManualClock::new(later)))
            .await;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let all = s.alerts(ALICE, true).await;
            if fingerprints(&all) == ["beef000000000002", "dead000000000001"] {
                assert!(all.iter().all(|a| a["incident"] == json!(incident)));
                break;
            }
            assert!(Instant::now() < deadline, "never pruned: {all:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        (incident, disk[0]["id"].as_str().unwrap().to_string())
    });

    let dir = tempfile::tempdir().unwrap();
    let ana = Cli {
        data: dir.path().join("ana"),
        server: Some((s.served.url(), ALICE)),
    };
    let id = incident.to_string();
    let said = ana.fails(&["link-alert", &id, &gone]);
    assert!(
        said.contains(&format!("no alert matches `{gone}`: no alert has that id"))
            && said.contains("keep_resolved"),
        "{said}"
    );
    // The incident's link reads as it did, and the pruned alert can still be unlinked.
    let events = ana.events(&id);
    let linked = events
        .iter()
        .find(|e| e["type"] == "alert_linked" && e["alert"] == json!(gone))
        .unwrap();
    assert_eq!(linked["name"], "DiskFull");
    let said = ana.ok(&["unlink-alert", &id, "cafe"]).0;
    assert!(
        said.contains("alert DiskFull (cafe0000) unlinked on"),
        "{said}"
    );
    let json: Value = serde_json::from_str(&ana.ok(&["alerts", "--all", "--json"]).0).unwrap();
    assert_eq!(json["alerts"].as_array().unwrap().len(), 2, "{json}");
    assert!(
        json["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["incident"] == json!(id)),
        "HighErrorRate stays linked: {json}"
    );
    rt.block_on(s.served.close());
}
