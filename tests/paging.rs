//! Pages out, through the real binary, to local stand-ins for Opsgenie and PagerDuty on
//! 127.0.0.1: every documented field of both request shapes, retries on 5xx and none on
//! 4xx (with the provider's message recorded), and the close when the incident is
//! resolved; alone (the CLI sends, with its config file) and shared (a real `warroom
//! serve --config FILE` sends, recording as `warroom`). Opsgenie's request status is
//! asked after each 202: a request it failed later fails the page in its words.

// Tests fail by panicking, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use serde_json::{Value, json};

const OG_KEY: &str = "og-secret-key-1234";
const PD_KEY: &str = "pd-secret-routing-key-0123456789";
/// How long anything may take before the test fails.
const PATIENCE: Duration = Duration::from_secs(60);

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Shape {
    Opsgenie,
    Pagerduty,
}

/// One request as the stand-in received it.
#[derive(Clone, Debug)]
struct Seen {
    path: String,
    query: String,
    authorization: Option<String>,
    content_type: Option<String>,
    body: Value,
}

/// How the Opsgenie stand-in processes a request it took: the status it answers from the
/// second ask on (the first is a 404, not processed yet).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Done,
    Failed(&'static str),
    /// Never processed: every ask is a 404.
    Never,
    /// The key may not read requests: every ask is a 403.
    Forbidden,
}

/// A stand-in provider: answers the scripted statuses first, then 202 as its provider
/// does, keeping every request. The Opsgenie one also answers request statuses
/// (`GET /v2/alerts/requests/{id}`), kept apart: `seen` and the count are the alerts and
/// closes only.
struct Receiver {
    shape: Shape,
    seen: Mutex<Vec<Seen>>,
    script: Mutex<VecDeque<(u16, String)>>,
    count: tokio::sync::watch::Sender<usize>,
    /// How each request taken is processed, in order (then `Done`).
    verdicts: Mutex<VecDeque<Verdict>>,
    /// The requests taken: their verdict, what they did, and how often they were asked
    /// about.
    taken: Mutex<HashMap<String, (Verdict, &'static str, u32)>>,
    statuses: Mutex<Vec<Seen>>,
}

type Answer = (StatusCode, [(header::HeaderName, &'static str); 1], String);

fn answer(status: u16, body: String) -> Answer {
    (
        StatusCode::from_u16(status).unwrap(),
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
}

/// Opsgenie's `GET /v2/alerts/requests/{id}`: 404 while the request is not processed
/// (always on its first ask), then how it went.
fn request_status(r: &Receiver, id: &str, seen: Seen) -> Answer {
    r.statuses.lock().unwrap().push(seen);
    let mut taken = r.taken.lock().unwrap();
    let not_yet = || {
        answer(
            404,
            json!({"message": "Request not found. It might not be processed, yet.",
                   "took": 0.0, "requestId": "status-ask"})
            .to_string(),
        )
    };
    let Some((verdict, action, asked)) = taken.get_mut(id) else {
        return not_yet();
    };
    *asked += 1;
    let (ok, status) = match *verdict {
        Verdict::Forbidden => {
            return answer(
                403,
                json!({"message": "Key has no access to requests", "took": 0.0,
                       "requestId": "status-ask"})
                .to_string(),
            );
        }
        _ if *asked == 1 => return not_yet(),
        Verdict::Never => return not_yet(),
        Verdict::Done => (true, format!("{action}d alert")),
        Verdict::Failed(why) => (false, why.to_string()),
    };
    answer(
        200,
        json!({"data": {"success": ok, "action": action,
                        "processedAt": "2026-11-26T21:40:00.123Z",
                        "integrationId": "int-1", "isSuccess": ok, "status": status,
                        "alertId": if ok { format!("alert-{id}") } else { String::new() },
                        "alias": "warroom-alias"},
               "took": 0.01, "requestId": "status-ask"})
        .to_string(),
    )
}

async fn receive(
    State(r): State<Arc<Receiver>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let text = |h: header::HeaderName| {
        headers
            .get(h)
            .map(|v| v.to_str().unwrap_or("(not text)").to_string())
    };
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let seen = Seen {
        path: uri.path().to_string(),
        query: uri.query().unwrap_or("").to_string(),
        authorization: text(header::AUTHORIZATION),
        content_type: text(header::CONTENT_TYPE),
        body: body.clone(),
    };
    if let (Shape::Opsgenie, &Method::GET, Some(id)) = (
        r.shape,
        &method,
        uri.path().strip_prefix("/v2/alerts/requests/"),
    ) {
        return request_status(&r, id, seen);
    }
    let action = if seen.path.ends_with("/close") {
        "Close"
    } else {
        "Create"
    };
    let n = {
        let mut all = r.seen.lock().unwrap();
        all.push(seen);
        all.len()
    };
    let scripted = r.script.lock().unwrap().pop_front();
    let (status, answer) = match scripted {
        Some((status, answer)) => (status, answer),
        None => match r.shape {
            Shape::Opsgenie => {
                let id = format!("og-req-{n}");
                let verdict = r
                    .verdicts
                    .lock()
                    .unwrap()
                    .pop_front()
                    .unwrap_or(Verdict::Done);
                r.taken
                    .lock()
                    .unwrap()
                    .insert(id.clone(), (verdict, action, 0));
                (
                    202,
                    json!({"result": "Request will be processed", "took": 0.01,
                           "requestId": id})
                    .to_string(),
                )
            }
            Shape::Pagerduty => (
                202,
                json!({"status": "success", "message": "Event processed",
                       "dedup_key": body["dedup_key"]})
                .to_string(),
            ),
        },
    };
    r.count.send_replace(n);
    self::answer(status, answer)
}

impl Receiver {
    async fn start(shape: Shape, script: &[(u16, &str)]) -> (String, Arc<Receiver>) {
        Receiver::start_with(shape, script, &[]).await
    }

    /// As [`Receiver::start`], Opsgenie processing the requests it takes as `verdicts` say.
    async fn start_with(
        shape: Shape,
        script: &[(u16, &str)],
        verdicts: &[Verdict],
    ) -> (String, Arc<Receiver>) {
        let r = Arc::new(Receiver {
            shape,
            seen: Mutex::new(Vec::new()),
            script: Mutex::new(script.iter().map(|(s, b)| (*s, b.to_string())).collect()),
            count: tokio::sync::watch::channel(0).0,
            verdicts: Mutex::new(verdicts.iter().copied().collect()),
            taken: Mutex::default(),
            statuses: Mutex::default(),
        });
        let app = Router::new().fallback(receive).with_state(r.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (format!("http://{addr}"), r)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// The asks about request `id`'s status.
    fn asked(&self, id: &str) -> Vec<Seen> {
        let path = format!("/v2/alerts/requests/{id}");
        self.statuses
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.path == path)
            .cloned()
            .collect()
    }

    /// Waits until at least `n` requests arrived.
    async fn wait_for(&self, n: usize) {
        let mut rx = self.count.subscribe();
        tokio::time::timeout(PATIENCE, rx.wait_for(|c| *c >= n))
            .await
            .unwrap_or_else(|_| panic!("{n} requests never came: {:?}", self.seen()))
            .unwrap();
    }
}

/// A config file paging `dba` through the Opsgenie stand-in and `payments` through the
/// PagerDuty one, retrying quickly.
fn config(dir: &Path, og: &str, pd: &str) -> PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        format!(
            "[paging]\nattempts = 3\nretry_after = \"20ms\"\n\
             [paging.teams.dba]\nprovider = \"opsgenie\"\napi_key = \"{OG_KEY}\"\nbase_url = \"{og}\"\n\
             [paging.teams.payments]\nprovider = \"pagerduty\"\nrouting_key = \"{PD_KEY}\"\nbase_url = \"{pd}\"\n"
        ),
    )
    .unwrap();
    path
}

/// Runs the binary (off the runtime, which serves the stand-ins meanwhile).
async fn run(mut cmd: std::process::Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

/// A responder running the binary: solo on their own data dir with a config, or shared.
struct Who {
    data: PathBuf,
    handle: &'static str,
    config: Option<PathBuf>,
    server: Option<(String, String)>,
}

impl Who {
    /// maya alone, in a data dir under `dir`, paging through the stand-ins at `og` and `pd`.
    fn solo(dir: &Path, og: &str, pd: &str) -> Who {
        Who {
            data: dir.join("data"),
            handle: "maya",
            config: Some(config(dir, og, pd)),
            server: None,
        }
    }

    fn command(&self, args: &[&str]) -> std::process::Command {
        let mut c = common::warroom(&self.data);
        if let Some(config) = &self.config {
            c.arg("--config").arg(config);
        }
        match &self.server {
            None => {
                c.args(["--as", self.handle]);
            }
            Some((url, token)) => {
                c.args(["--server", url.as_str(), "--token", token.as_str()]);
            }
        }
        c.args(args);
        c
    }

    async fn run(&self, args: &[&str]) -> Output {
        run(self.command(args)).await
    }

    /// A command that must succeed: its standard output and error.
    async fn ok(&self, args: &[&str]) -> (String, String) {
        let out = self.run(args).await;
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        );
        assert!(
            out.status.success(),
            "{} `{}` failed: {stderr}",
            self.handle,
            args.join(" ")
        );
        (stdout, stderr)
    }

    /// A command that must fail: its standard error.
    async fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args).await;
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            !out.status.success(),
            "{} `{}` should have failed: {}",
            self.handle,
            args.join(" "),
            String::from_utf8_lossy(&out.stdout)
        );
        stderr
    }

    async fn declare(&self, severity: &str) -> String {
        let (out, _) = self
            .ok(&[
                "declare",
                "--title",
                "Card payments failing at checkout",
                "--summary",
                "A third of card payments fail.",
                "--severity",
                severity,
            ])
            .await;
        out.trim().to_string()
    }

    /// The incident's events as JSON, in seq order.
    async fn events(&self, id: &str) -> Vec<Value> {
        let (out, _) = self.ok(&["events", id, "--json"]).await;
        out.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

fn of_type<'a>(events: &'a [Value], t: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["type"] == t).collect()
}

fn no_key_in(what: &str, text: &str) {
    assert!(
        !text.contains(OG_KEY) && !text.contains(PD_KEY),
        "a key shows in {what}: {text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn solo_an_opsgenie_page_carries_every_field_and_closes_on_resolve() {
    let (og, ogr) = Receiver::start(Shape::Opsgenie, &[]).await;
    let (pd, _) = Receiver::start(Shape::Pagerduty, &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let maya = Who::solo(dir.path(), &og, &pd);
    let id = maya.declare("1").await;

    let (out, err) = maya
        .ok(&[
            "page",
            &id,
            "dba",
            "--message",
            "need a DBA for the failover",
        ])
        .await;
    assert!(out.contains("paged dba"), "{out}");
    assert!(err.contains("delivered through Opsgenie"), "{err}");

    let events = maya.events(&id).await;
    let requested = of_type(&events, "page_requested");
    assert_eq!(requested.len(), 1, "{events:?}");
    let page = requested[0];
    assert_eq!(page["team"], "dba");
    assert_eq!(page["provider"], "opsgenie");
    assert_eq!(page["author"], "maya");
    let page_id = page["id"].as_str().unwrap();

    let seen = ogr.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    let create = &seen[0];
    assert_eq!(create.path, "/v2/alerts");
    assert_eq!(
        create.authorization.as_deref(),
        Some(&*format!("GenieKey {OG_KEY}"))
    );
    assert!(
        create
            .content_type
            .as_deref()
            .is_some_and(|c| c.starts_with("application/json")),
        "{create:?}"
    );
    let b = &create.body;
    assert_eq!(
        b["message"],
        format!("SEV1 {id}: need a DBA for the failover")
    );
    assert_eq!(b["alias"], format!("warroom-{page_id}"));
    assert_eq!(b["priority"], "P1");
    assert_eq!(b["source"], "warroom");
    assert_eq!(b["user"], "maya");
    let description = b["description"].as_str().unwrap();
    assert!(
        description.contains("need a DBA for the failover")
            && description.contains("Card payments failing at checkout")
            && description.contains("A third of card payments fail."),
        "{description}"
    );
    let tags: Vec<&str> = b["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(
        tags.contains(&"warroom") && tags.contains(&"SEV1"),
        "{tags:?}"
    );
    assert_eq!(b["details"]["incident"], id.as_str());
    assert_eq!(b["details"]["team"], "dba");
    assert_eq!(b["details"]["paged_by"], "maya");
    assert_eq!(b["details"]["severity"], "SEV1");

    let delivered = of_type(&events, "page_delivery");
    assert_eq!(delivered.len(), 1, "{events:?}");
    assert_eq!(delivered[0]["status"], "delivered");
    assert_eq!(delivered[0]["page"], page_id);
    assert_eq!(delivered[0]["provider"], "opsgenie");
    assert_eq!(delivered[0]["request_id"], "og-req-1");
    assert_eq!(delivered[0]["attempts"], 1);
    assert_eq!(delivered[0]["error"], "", "confirmed: {:?}", delivered[0]);
    // Opsgenie was asked how it processed the request: not yet, then done.
    let asked = ogr.asked("og-req-1");
    assert_eq!(asked.len(), 2, "{asked:?}");
    for a in &asked {
        assert_eq!(
            a.authorization.as_deref(),
            Some(&*format!("GenieKey {OG_KEY}"))
        );
    }

    // Resolving closes the page by its alias.
    maya.ok(&["impact", &id, "ended"]).await;
    let (_, err) = maya.ok(&["resolve", &id]).await;
    assert!(err.contains("page to dba closed"), "{err}");
    let seen = ogr.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    let close = &seen[1];
    assert_eq!(close.path, format!("/v2/alerts/warroom-{page_id}/close"));
    assert_eq!(close.query, "identifierType=alias");
    assert_eq!(
        close.authorization.as_deref(),
        Some(&*format!("GenieKey {OG_KEY}"))
    );
    assert_eq!(close.body["source"], "warroom");
    let events = maya.events(&id).await;
    let outcomes = of_type(&events, "page_delivery");
    assert_eq!(outcomes.len(), 2, "{events:?}");
    assert_eq!(outcomes[1]["status"], "resolved");
    assert_eq!(outcomes[1]["request_id"], "og-req-2");
    assert_eq!(ogr.asked("og-req-2").len(), 2, "the close is confirmed too");
    for e in &events {
        no_key_in("an event", &e.to_string());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn solo_a_pagerduty_page_is_retried_on_5xx_and_resolved_with_its_dedup_key() {
    let (og, _) = Receiver::start(Shape::Opsgenie, &[]).await;
    let (pd, pdr) = Receiver::start(
        Shape::Pagerduty,
        &[(503, "Service Unavailable"), (500, r#"{"message":"oops"}"#)],
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let maya = Who::solo(dir.path(), &og, &pd);
    let id = maya.declare("2").await;
    let (_, err) = maya.ok(&["page", &id, "payments"]).await;
    assert!(err.contains("after 3 attempts"), "{err}");

    let seen = pdr.seen();
    assert_eq!(seen.len(), 3, "two failures, then taken: {seen:?}");
    let events = maya.events(&id).await;
    let page_id = of_type(&events, "page_requested")[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let dedup = format!("warroom-{page_id}");
    for s in &seen {
        assert_eq!(s.path, "/v2/enqueue");
        assert_eq!(s.authorization, None, "the key travels in the body");
        let b = &s.body;
        assert_eq!(b["routing_key"], PD_KEY);
        assert_eq!(b["event_action"], "trigger");
        assert_eq!(b["dedup_key"], dedup);
        let p = &b["payload"];
        assert_eq!(
            p["summary"],
            format!("SEV2 {id}: Card payments failing at checkout"),
            "the title, without a message"
        );
        assert_eq!(p["source"], "warroom");
        assert_eq!(p["severity"], "error");
        assert!(p["timestamp"].as_str().is_some(), "{p}");
        assert_eq!(p["custom_details"]["incident"], id.as_str());
        assert_eq!(p["custom_details"]["team"], "payments");
    }
    let delivered = of_type(&events, "page_delivery");
    assert_eq!(delivered[0]["status"], "delivered");
    assert_eq!(delivered[0]["attempts"], 3);
    assert_eq!(
        delivered[0]["request_id"], dedup,
        "PagerDuty answers its dedup_key"
    );

    maya.ok(&["impact", &id, "ended"]).await;
    maya.ok(&["resolve", &id]).await;
    let seen = pdr.seen();
    assert_eq!(seen.len(), 4, "{seen:?}");
    let b = &seen[3].body;
    assert_eq!(b["event_action"], "resolve");
    assert_eq!(b["dedup_key"], dedup);
    assert_eq!(b["routing_key"], PD_KEY);
    let events = maya.events(&id).await;
    assert_eq!(of_type(&events, "page_delivery")[1]["status"], "resolved");
}

#[tokio::test(flavor = "multi_thread")]
async fn solo_a_refused_page_is_not_retried_and_says_why() {
    let (og, ogr) = Receiver::start(
        Shape::Opsgenie,
        &[(
            422,
            r#"{"message":"Request body is not processable. Please check the errors.","errors":{"message":"Message can not be empty."},"took":0.0,"requestId":"og-bad"}"#,
        )],
    )
    .await;
    let (pd, pdr) = Receiver::start(Shape::Pagerduty, &[(502, ""), (503, ""), (504, "")]).await;
    let dir = tempfile::tempdir().unwrap();
    let maya = Who::solo(dir.path(), &og, &pd);
    let id = maya.declare("3").await;

    let err = maya.fails(&["page", &id, "dba"]).await;
    assert!(
        err.contains("Opsgenie refused it (422)") && err.contains("Message can not be empty."),
        "{err}"
    );
    assert_eq!(ogr.seen().len(), 1, "a 4xx is not tried again");
    let events = maya.events(&id).await;
    let failed = of_type(&events, "page_delivery");
    assert_eq!(failed[0]["status"], "failed");
    assert_eq!(failed[0]["attempts"], 1);
    assert!(
        failed[0]["error"]
            .as_str()
            .unwrap()
            .contains("Message can not be empty."),
        "{failed:?}"
    );

    // Errors to the end: every attempt made, then failed with the last answer.
    let err = maya.fails(&["page", &id, "payments"]).await;
    assert!(err.contains("gave up after 3 attempts"), "{err}");
    assert_eq!(pdr.seen().len(), 3);

    // A team the config does not have, a key it lacks, a responder who may not page:
    // said, and nothing recorded.
    let err = maya.fails(&["page", &id, "network"]).await;
    assert!(
        err.contains("no team `network`") && err.contains("dba, payments"),
        "{err}"
    );
    let broken = dir.path().join("broken.toml");
    std::fs::write(&broken, "[paging.teams.dba]\nprovider = \"opsgenie\"\n").unwrap();
    let mut cmd = maya.command(&["page", &id, "dba"]);
    cmd.arg("--config").arg(&broken);
    let out = run(cmd).await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("[paging.teams.dba]") && err.contains("api_key"),
        "{err}"
    );
    let bo = Who {
        data: maya.data.clone(),
        handle: "bo",
        config: maya.config.clone(),
        server: None,
    };
    let err = bo.fails(&["page", &id, "dba"]).await;
    assert!(err.contains("Operations Lead"), "{err}");
    let events = maya.events(&id).await;
    assert_eq!(
        of_type(&events, "page_requested").len(),
        2,
        "only the two pages sent: {events:?}"
    );
    for e in &events {
        no_key_in("an event", &e.to_string());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn solo_teams_come_from_the_config_and_none_says_where_to_add_them() {
    let dir = tempfile::tempdir().unwrap();
    let maya = Who {
        data: dir.path().join("data"),
        handle: "maya",
        config: Some(config(
            dir.path(),
            "https://og.example",
            "https://pd.example",
        )),
        server: None,
    };
    let (out, _) = maya.ok(&["teams"]).await;
    assert!(
        out.starts_with("TEAM") && out.contains("dba") && out.contains("Opsgenie"),
        "{out}"
    );
    assert!(
        out.contains("payments") && out.contains("PagerDuty"),
        "{out}"
    );
    no_key_in("the teams", &out);
    assert!(!out.contains("example"), "no endpoint: {out}");
    let (out, _) = maya.ok(&["teams", "--json"]).await;
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap(),
        json!({"teams": [{"name": "dba", "provider": "opsgenie"},
                         {"name": "payments", "provider": "pagerduty"}]})
    );

    let empty = dir.path().join("empty.toml");
    std::fs::write(&empty, "").unwrap();
    let nobody = Who {
        config: Some(empty.clone()),
        ..maya
    };
    let (out, err) = nobody.ok(&["teams"]).await;
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("No team is configured for paging")
            && err.contains("[paging.teams.NAME]")
            && err.contains(&*empty.display().to_string()),
        "{err}"
    );
    let (out, _) = nobody.ok(&["teams", "--json"]).await;
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap(),
        json!({"teams": []})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn solo_opsgenie_takes_a_page_then_fails_it_never_confirms_it_or_will_not_say() {
    let (og, ogr) = Receiver::start_with(
        Shape::Opsgenie,
        &[],
        &[
            Verdict::Failed("Integration [warroom-dba] is disabled"),
            Verdict::Never,
            Verdict::Forbidden,
        ],
    )
    .await;
    let (pd, _) = Receiver::start(Shape::Pagerduty, &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let maya = Who::solo(dir.path(), &og, &pd);
    let id = maya.declare("1").await;

    // Taken (202), then failed by Opsgenie: failed in its words, and not sent again.
    let err = maya.fails(&["page", &id, "dba"]).await;
    assert!(
        err.contains("PAGE TO dba FAILED") && err.contains("Integration [warroom-dba] is disabled"),
        "{err}"
    );
    assert_eq!(ogr.seen().len(), 1, "not tried again: {:?}", ogr.seen());
    assert_eq!(ogr.asked("og-req-1").len(), 2);
    let events = maya.events(&id).await;
    let failed = of_type(&events, "page_delivery");
    assert_eq!(failed.len(), 1, "{events:?}");
    assert_eq!(failed[0]["status"], "failed");
    assert_eq!(failed[0]["attempts"], 1);
    let error = failed[0]["error"].as_str().unwrap();
    assert!(
        error.contains("Opsgenie")
            && error.contains("Integration [warroom-dba] is disabled")
            && error.contains("og-req-1"),
        "the request id stays, for Opsgenie's support: {error}"
    );
    let (shown, _) = maya.ok(&["events", &id]).await;
    assert!(
        shown.contains("PAGE TO dba FAILED through Opsgenie"),
        "{shown}"
    );

    // Taken, and still not processed after every ask: delivered, saying so.
    let (_, err) = maya.ok(&["page", &id, "dba", "--message", "again"]).await;
    assert!(
        err.contains("delivered through Opsgenie") && err.contains("had not confirmed it yet"),
        "{err}"
    );
    assert_eq!(ogr.seen().len(), 2);
    assert_eq!(ogr.asked("og-req-2").len(), 5, "a few asks, then no more");
    let events = maya.events(&id).await;
    let outcomes = of_type(&events, "page_delivery");
    assert_eq!(outcomes[1]["status"], "delivered");
    assert_eq!(outcomes[1]["request_id"], "og-req-2");
    assert_eq!(outcomes[1]["error"], "Opsgenie had not confirmed it yet");

    // A key that may not read requests: asked once, delivered, saying why it is unconfirmed.
    let (_, err) = maya.ok(&["page", &id, "dba", "--message", "third"]).await;
    assert!(err.contains("delivered through Opsgenie"), "{err}");
    assert_eq!(ogr.asked("og-req-3").len(), 1, "a 403 is not asked again");
    let events = maya.events(&id).await;
    let outcomes = of_type(&events, "page_delivery");
    let note = outcomes[2]["error"].as_str().unwrap();
    assert!(
        note.contains("could not confirm it: Opsgenie answered 403")
            && note.contains("Key has no access to requests"),
        "{note}"
    );
    for e in &events {
        no_key_in("an event", &e.to_string());
    }
}

/// `warroom serve --config FILE` on a data dir of its own, its stderr kept.
struct Serve {
    child: Child,
    url: String,
    stderr: Arc<Mutex<String>>,
}

impl Serve {
    async fn start(data: &Path, config: &Path) -> Serve {
        let mut cmd = common::warroom(data);
        cmd.arg("--config")
            .arg(config)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut err_pipe = child.stderr.take().unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let kept = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err_pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                kept.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let line = tokio::task::spawn_blocking(move || {
            let mut out = BufReader::new(stdout);
            let mut line = String::new();
            out.read_line(&mut line).unwrap();
            std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
            line
        })
        .await
        .unwrap();
        let url = line
            .strip_prefix("warroom serve: listening on ")
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("no address in {line:?}: {}", stderr.lock().unwrap()))
            .to_string();
        Serve { child, url, stderr }
    }

    /// The events the server holds after `after`, waiting (long-polling) until `done`
    /// holds for them all.
    async fn wait_until(
        &self,
        token: &str,
        id: &str,
        done: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        let client = reqwest::Client::new();
        let mut all: Vec<Value> = Vec::new();
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if done(&all) {
                return all;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "never came; events: {all:#?}\nserver: {}",
                self.stderr.lock().unwrap()
            );
            let after = all.last().and_then(|e| e["seq"].as_i64()).unwrap_or(0);
            let page: Value = client
                .get(format!(
                    "{}/api/v1/incidents/{id}/events?after={after}&wait=10",
                    self.url
                ))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            all.extend(page["events"].as_array().unwrap().iter().cloned());
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn deliveries<'a>(events: &'a [Value], status: &str) -> Vec<&'a Value> {
    events
        .iter()
        .filter(|e| e["type"] == "page_delivery" && e["status"] == status)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn shared_the_server_sends_retries_records_as_warroom_and_closes_on_resolve() {
    let (og, ogr) = Receiver::start(Shape::Opsgenie, &[(500, r#"{"message":"try later"}"#)]).await;
    let (pd, pdr) = Receiver::start(
        Shape::Pagerduty,
        &[(
            400,
            r#"{"status":"invalid event","message":"Event object is invalid","errors":["Length of 'routing_key' is incorrect (should be 32 characters)"]}"#,
        )],
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let server_data = dir.path().join("server");
    let token = |who: &str| {
        let mut c = common::warroom(&server_data);
        c.args(["token", "create", who]);
        run(c)
    };
    let maya_token = String::from_utf8(token("maya").await.stdout).unwrap();
    let bo_token = String::from_utf8(token("bo").await.stdout).unwrap();
    let (maya_token, bo_token) = (maya_token.trim(), bo_token.trim());
    assert!(!maya_token.is_empty() && !bo_token.is_empty());
    let serve = Serve::start(&server_data, &config(dir.path(), &og, &pd)).await;
    // The clients have no paging config of their own: the server's is used.
    let maya = Who {
        data: dir.path().join("maya"),
        handle: "maya",
        config: None,
        server: Some((serve.url.clone(), maya_token.to_string())),
    };
    let bo = Who {
        data: dir.path().join("bo"),
        handle: "bo",
        config: None,
        server: Some((serve.url.clone(), bo_token.to_string())),
    };
    // Who may be paged: names and providers, never a key or an endpoint.
    let client = reqwest::Client::new();
    let teams_url = format!("{}/api/v1/paging/teams", serve.url);
    let answer = client
        .get(&teams_url)
        .bearer_auth(bo_token)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let body = answer.text().await.unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"teams": [{"name": "dba", "provider": "opsgenie"},
                         {"name": "payments", "provider": "pagerduty"}]})
    );
    no_key_in("the teams", &body);
    assert!(!body.contains(&og) && !body.contains(&pd), "{body}");
    let anonymous = client.get(&teams_url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let (out, _) = bo.ok(&["teams"]).await;
    assert!(
        out.contains("TEAM") && out.contains("dba") && out.contains("Opsgenie"),
        "{out}"
    );
    assert!(
        out.contains("payments") && out.contains("PagerDuty"),
        "{out}"
    );
    let (out, _) = bo.ok(&["teams", "--json"]).await;
    let listed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(listed["teams"][1]["name"], "payments");
    assert_eq!(listed["teams"][1]["provider"], "pagerduty");

    let id = maya.declare("1").await;
    bo.ok(&["join", &id]).await;
    let err = bo.fails(&["page", &id, "dba"]).await;
    assert!(err.contains("Operations Lead"), "{err}");

    let (_, err) = maya.ok(&["page", &id, "dba"]).await;
    assert!(err.contains("The server sends the page"), "{err}");
    let events = serve
        .wait_until(maya_token, &id, |e| !deliveries(e, "delivered").is_empty())
        .await;
    let delivered = deliveries(&events, "delivered")[0];
    assert_eq!(delivered["author"], "warroom");
    assert_eq!(delivered["attempts"], 2, "a 500, then taken");
    assert_eq!(delivered["request_id"], "og-req-2");
    let page = of_type(&events, "page_requested")[0];
    assert_eq!(page["author"], "maya");
    let seen = ogr.seen();
    assert_eq!(seen.len(), 2);
    for s in &seen {
        assert_eq!(s.path, "/v2/alerts");
        assert_eq!(
            s.authorization.as_deref(),
            Some(&*format!("GenieKey {OG_KEY}"))
        );
        assert_eq!(
            s.body["alias"],
            format!("warroom-{}", page["id"].as_str().unwrap())
        );
        assert_eq!(s.body["priority"], "P1");
    }

    // A 4xx: tried once, the provider's words recorded.
    maya.ok(&["page", &id, "payments"]).await;
    let events = serve
        .wait_until(maya_token, &id, |e| !deliveries(e, "failed").is_empty())
        .await;
    let failed = deliveries(&events, "failed")[0];
    let error = failed["error"].as_str().unwrap();
    assert!(
        error.contains("PagerDuty refused it (400)")
            && error.contains("Event object is invalid")
            && error.contains("Length of 'routing_key' is incorrect"),
        "{error}"
    );
    assert_eq!(failed["attempts"], 1);
    assert_eq!(pdr.seen().len(), 1);
    // The client reads the failure like any event.
    let (shown, _) = maya.ok(&["events", &id]).await;
    assert!(shown.contains("PAGE TO payments FAILED"), "{shown}");

    // Resolving closes the delivered page; the failed one has nothing to close.
    maya.ok(&["impact", &id, "ended"]).await;
    maya.ok(&["resolve", &id]).await;
    let events = serve
        .wait_until(maya_token, &id, |e| !deliveries(e, "resolved").is_empty())
        .await;
    assert_eq!(deliveries(&events, "resolved")[0]["author"], "warroom");
    ogr.wait_for(3).await;
    let close = &ogr.seen()[2];
    assert_eq!(
        close.path,
        format!("/v2/alerts/warroom-{}/close", page["id"].as_str().unwrap())
    );
    assert_eq!(close.query, "identifierType=alias");
    assert_eq!(pdr.seen().len(), 1, "nothing to close at PagerDuty");

    for e in &events {
        no_key_in("an event", &e.to_string());
    }
    no_key_in("the server's log", &serve.stderr.lock().unwrap());
}

#[tokio::test(flavor = "multi_thread")]
async fn shared_a_server_without_paging_says_so_and_deliveries_come_only_from_the_server() {
    let server = common::Server::start(&[common::Token::read_write("maya", "t-maya")]).await;
    let dir = tempfile::tempdir().unwrap();
    let maya = Who {
        data: dir.path().join("maya"),
        handle: "maya",
        config: None,
        server: Some((server.url(), "t-maya".to_string())),
    };
    // Nobody to page: an empty list, and the CLI says where teams are configured.
    let answer: Value = reqwest::Client::new()
        .get(format!("{}/api/v1/paging/teams", server.url()))
        .bearer_auth("t-maya")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer, json!({"teams": []}));
    let doc: Value = reqwest::Client::new()
        .get(format!("{}/api/v1/openapi.json", server.url()))
        .bearer_auth("t-maya")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let documented = &doc["paths"]["/api/v1/paging/teams"]["get"];
    assert!(
        documented["responses"]["200"].is_object() && documented["responses"]["401"].is_object(),
        "{documented}"
    );
    assert!(doc["components"]["schemas"]["PagingTeams"].is_object());
    let (out, err) = maya.ok(&["teams"]).await;
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("No team can be paged") && err.contains("serve --config"),
        "{err}"
    );
    let (out, _) = maya.ok(&["teams", "--json"]).await;
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap(),
        json!({"teams": []})
    );

    let id = maya.declare("2").await;
    let err = maya.fails(&["page", &id, "dba"]).await;
    assert!(
        err.contains("this server has no paging configured") && err.contains("serve --config"),
        "{err}"
    );

    let events = maya.events(&id).await;
    let declared = events[0]["incident"].as_str().unwrap().to_string();
    let forged = reqwest::Client::new()
        .post(format!(
            "{}/api/v1/incidents/{declared}/events",
            server.url()
        ))
        .bearer_auth("t-maya")
        .json(&json!({"events": [{
            "id": uuid::Uuid::now_v7(),
            "type": "page_delivery",
            "page": uuid::Uuid::now_v7(),
            "team": "dba",
            "status": "delivered",
        }]}))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let body: Value = forged.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("recorded by the server"),
        "{body}"
    );
}

#[test]
fn serve_refuses_a_config_it_cannot_use() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[paging.teams.payments]\nprovider = \"pagerduty\"\n").unwrap();
    let mut child = common::warroom(dir.path())
        .arg("--config")
        .arg(&bad)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The first line comes when it listens; none comes when it stops at once.
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    if !line.is_empty() {
        let _ = child.kill();
        let _ = child.wait();
        panic!("serve started with a broken config: {line}");
    }
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("[paging.teams.payments]") && err.contains("routing_key"),
        "{err}"
    );
}
