//! A real Alertmanager delivering to a real warroom server: an alert posted to
//! Alertmanager's API arrives through its webhook (with the bearer token in
//! `http_config.authorization`), can be declared from, and its resolution reaches the
//! incident's timeline.
//!
//! Ignored unless asked for (`cargo test -- --ignored`): it needs Alertmanager's binary,
//! named by `WARROOM_TEST_ALERTMANAGER` (`.ci/run` installs Debian's
//! `prometheus-alertmanager` and sets it) or found on the PATH.

// Tests fail by panicking, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use reqwest::Client;
use serde_json::{Value, json};

use common::Token;

const AM_TOKEN: &str = "wr_test_alertmanager_webhook_credentials";
const ANA: &str = "wr_test_ana_declares_from_alerts";
const TOKENS: [Token; 2] = [
    Token::read_write("alertmanager", AM_TOKEN),
    Token::read_write("ana", ANA),
];

/// Alertmanager's binary: `WARROOM_TEST_ALERTMANAGER`, else one on the PATH.
fn binary() -> PathBuf {
    if let Some(p) = std::env::var_os("WARROOM_TEST_ALERTMANAGER") {
        return PathBuf::from(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for name in ["prometheus-alertmanager", "alertmanager"] {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!(
        "no Alertmanager: set WARROOM_TEST_ALERTMANAGER to its binary \
         (on Debian: apt-get install prometheus-alertmanager)"
    )
}

/// A free port on 127.0.0.1, for Alertmanager to listen on.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Alertmanager running as a child process, stopped when dropped.
struct Alertmanager {
    child: Child,
    url: String,
    log: PathBuf,
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Alertmanager {
    /// Starts Alertmanager with a webhook receiver pointing at `webhook`, grouping by alert
    /// name and flushing every second, and waits until it is ready.
    async fn start(dir: &Path, webhook: &str, http: &Client) -> Alertmanager {
        let config = format!(
            "route:\n  receiver: warroom\n  group_by: ['alertname']\n  group_wait: 1s\n  \
             group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: warroom\n    \
             webhook_configs:\n      - url: {webhook}\n        send_resolved: true\n        \
             http_config:\n          authorization:\n            type: Bearer\n            \
             credentials: {AM_TOKEN}\n"
        );
        std::fs::write(dir.join("alertmanager.yml"), config).unwrap();
        let port = free_port();
        let log = dir.join("alertmanager.log");
        let child = std::process::Command::new(binary())
            .arg(format!(
                "--config.file={}",
                dir.join("alertmanager.yml").display()
            ))
            .arg(format!("--storage.path={}", dir.join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--cluster.listen-address=")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start Alertmanager");
        let mut am = Alertmanager {
            child,
            url: format!("http://127.0.0.1:{port}"),
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(resp) = http.get(format!("{}/-/ready", am.url)).send().await
                && resp.status().is_success()
            {
                return am;
            }
            if let Ok(Some(status)) = am.child.try_wait() {
                panic!("Alertmanager exited ({status}): {}", am.log_text());
            }
            assert!(
                Instant::now() < deadline,
                "Alertmanager was not ready within 30 s: {}",
                am.log_text()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Posts alerts to Alertmanager's API v2.
    async fn post(&self, http: &Client, alerts: Value) {
        let resp = http
            .post(format!("{}/api/v2/alerts", self.url))
            .json(&alerts)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
    }

    /// The fingerprint Alertmanager gave the alert named `name`.
    async fn fingerprint(&self, http: &Client, name: &str) -> String {
        let all: Value = http
            .get(format!("{}/api/v2/alerts", self.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        all.as_array()
            .unwrap()
            .iter()
            .find(|a| a["labels"]["alertname"] == name)
            .unwrap_or_else(|| panic!("Alertmanager holds no {name}: {all}"))["fingerprint"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

/// Asks warroom for its alerts until `found` picks one, for at most 30 s.
async fn wait_for(
    http: &Client,
    server: &str,
    what: &str,
    am: &Alertmanager,
    found: impl Fn(&[Value]) -> Option<Value>,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let body: Value = http
            .get(format!("{server}/api/v1/alerts?all=true"))
            .bearer_auth(ANA)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if let Some(hit) = found(body["alerts"].as_array().unwrap()) {
            return hit;
        }
        assert!(
            Instant::now() < deadline,
            "{what} did not arrive within 30 s; warroom holds {body}; Alertmanager said: {}",
            am.log_text()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Runs the warroom binary as ana against `server`, off the runtime's threads.
async fn warroom(data: &Path, server: &str, args: &[&str]) -> (String, String) {
    let mut cmd = common::warroom(data);
    cmd.args(["--server", server, "--token", ANA]).args(args);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    );
    assert!(out.status.success(), "{args:?}: {stdout}{stderr}");
    (stdout, stderr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "starts a real Alertmanager: set WARROOM_TEST_ALERTMANAGER to its binary"]
async fn alerts_from_a_real_alertmanager_arrive_resolve_and_can_be_declared_from() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::Server::start(&TOKENS).await;
    let http = Client::new();
    let webhook = format!("{}/api/v1/alerts/alertmanager", server.url());
    let am = Alertmanager::start(dir.path(), &webhook, &http).await;

    let started = chrono::Utc::now() - chrono::Duration::minutes(3);
    let alert = json!({
        "labels": {"alertname": "CheckoutErrors", "severity": "critical", "service": "checkout"},
        "annotations": {"summary": "5% of checkouts fail"},
        "startsAt": started.to_rfc3339(),
        "generatorURL": "http://prometheus.example:9090/graph",
    });
    am.post(&http, json!([alert])).await;
    let fingerprint = am.fingerprint(&http, "CheckoutErrors").await;
    let arrived = wait_for(&http, &server.url(), "the firing alert", &am, |all| {
        all.iter()
            .find(|a| a["fingerprint"] == fingerprint)
            .cloned()
    })
    .await;
    assert_eq!(arrived["status"], "firing");
    assert_eq!(arrived["source"], "warroom", "the receiver's name");
    assert_eq!(arrived["annotations"]["summary"], "5% of checkouts fail");
    assert!(
        arrived["group_key"]
            .as_str()
            .unwrap()
            .contains("CheckoutErrors"),
        "{arrived}"
    );

    // Declared from, by a prefix of Alertmanager's fingerprint.
    let data = dir.path().join("ana");
    let (out, _) = warroom(
        &data,
        &server.url(),
        &["declare", "--from-alert", &fingerprint[..8]],
    )
    .await;
    let incident = out.trim().to_string();
    let (events, _) = warroom(&data, &server.url(), &["events", &incident, "--json"]).await;
    let kinds: Vec<String> = events
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["type"].to_string())
        .collect();
    assert_eq!(
        kinds,
        vec!["\"incident_declared\"", "\"detected\"", "\"alert_linked\""]
    );

    // Resolved: posted again, ended a minute ago.
    let mut ended = alert;
    ended["endsAt"] = json!((chrono::Utc::now() - chrono::Duration::minutes(1)).to_rfc3339());
    am.post(&http, json!([ended])).await;
    let resolved = wait_for(&http, &server.url(), "the resolution", &am, |all| {
        all.iter()
            .find(|a| a["fingerprint"] == fingerprint && a["status"] == "resolved")
            .cloned()
    })
    .await;
    assert_eq!(resolved["id"], arrived["id"], "the same alert, resolved");
    assert!(resolved["ends_at"].is_string(), "{resolved}");

    // The incident heard it, as an observation by Alertmanager's token.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (events, _) = warroom(&data, &server.url(), &["events", &incident, "--json"]).await;
        let observed: Vec<Value> = events
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|e| e["type"] == "alert_observed")
            .collect();
        if let [one] = observed.as_slice() {
            assert_eq!(one["status"], "resolved");
            assert_eq!(one["author"], "alertmanager");
            assert_eq!(one["fingerprint"], json!(fingerprint));
            break;
        }
        assert!(
            observed.is_empty() && Instant::now() < deadline,
            "one resolution on the timeline: {observed:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(am);
    server.close().await;
}
