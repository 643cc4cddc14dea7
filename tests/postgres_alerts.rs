//! Alerts on PostgreSQL: two servers on one database take Alertmanager's deliveries, keep
//! one record per fingerprint, link a group through an incident, record the group's later
//! alerts on it, and a list long-poll on one instance wakes for an alert the other took.
//! Ignored unless `WARROOM_TEST_POSTGRES` names a server (`.ci/run` sets it).

// Tests fail by panicking, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;
use warroom::clock::SystemClock;
use warroom::domain::event::format_time;
use warroom::domain::rules::Rules;
use warroom::store::Store;

use common::{TestDb, Token};

const AM: &str = "wr_test_pg_alertmanager";
const ALICE: &str = "wr_test_pg_alice";
const TOKENS: [Token; 2] = [
    Token::read_write("alertmanager", AM),
    Token::read_write("alice", ALICE),
];
const GROUP: &str = "{}:{alertname=\"HighErrorRate\"}";

async fn instance(db: &TestDb, tokens: &[Token]) -> (warroom::server::Running, Arc<dyn Store>) {
    let store: Arc<dyn Store> =
        warroom::store::open(&db.url, Arc::new(SystemClock), Rules::default())
            .await
            .unwrap();
    let running = common::serve(store.clone(), Arc::new(SystemClock), tokens).await;
    (running, store)
}

fn ago(minutes: i64) -> String {
    format_time(chrono::Utc::now() - chrono::Duration::minutes(minutes))
}

fn message(alerts: Value) -> Value {
    json!({
        "version": "4", "groupKey": GROUP, "truncatedAlerts": 0, "status": "firing",
        "receiver": "warroom", "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
        "externalURL": "http://am", "alerts": alerts,
    })
}

fn firing(fp: &str, starts: &str) -> Value {
    json!({
        "status": "firing", "labels": {"alertname": "HighErrorRate", "pod": fp},
        "annotations": {"summary": "errors"}, "startsAt": starts,
        "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "", "fingerprint": fp,
    })
}

async fn post(http: &Client, base: &str, path: &str, token: &str, body: &Value) -> Value {
    let resp = http
        .post(format!("http://{base}{path}"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let body: Value = resp.json().await.unwrap();
    assert!(
        status == StatusCode::OK || status == StatusCode::CREATED,
        "{status}: {body}"
    );
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: set WARROOM_TEST_POSTGRES"]
async fn two_instances_share_alerts_links_and_wake_each_others_lists() {
    let db = TestDb::create().await;
    let (a, store) = instance(&db, &TOKENS).await;
    let (b, _) = instance(&db, &[]).await;
    let (a_addr, b_addr) = (a.addr.to_string(), b.addr.to_string());
    let http = Client::new();

    let start = ago(10);
    let first = post(
        &http,
        &a_addr,
        "/api/v1/alerts/alertmanager",
        AM,
        &message(json!([firing("aa01", &start)])),
    )
    .await;
    let again = post(
        &http,
        &b_addr,
        "/api/v1/alerts/alertmanager",
        AM,
        &message(json!([firing("aa01", &start)])),
    )
    .await;
    assert_eq!(first, again, "one record, whichever instance took it");

    let incident = Uuid::now_v7();
    post(
        &http,
        &a_addr,
        "/api/v1/incidents",
        ALICE,
        &json!({"id": incident, "title": "Errors", "severity": 2}),
    )
    .await;
    let alert = &first["alerts"][0];
    post(
        &http,
        &b_addr,
        &format!("/api/v1/incidents/{incident}/events"),
        ALICE,
        &json!({"events": [{"id": Uuid::now_v7(), "type": "alert_linked", "alert": alert["id"],
                            "fingerprint": "aa01", "name": "HighErrorRate"}]}),
    )
    .await;
    let kept = store.alert_store().unwrap().alerts(true).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(
        kept[0].incident,
        Some(incident),
        "linked on the shared database"
    );

    // A list long-poll on A wakes for an alert B takes.
    let resp = http
        .get(format!("http://{a_addr}/api/v1/incidents"))
        .bearer_auth(ALICE)
        .send()
        .await
        .unwrap();
    let tag = resp.headers()["etag"].to_str().unwrap().to_string();
    let (h, url, known) = (
        http.clone(),
        format!("http://{a_addr}/api/v1/incidents"),
        tag.clone(),
    );
    let mut poll = tokio::spawn(async move {
        h.get(url)
            .query(&[("wait", "30"), ("known", known.as_str())])
            .bearer_auth(ALICE)
            .send()
            .await
            .unwrap()
            .headers()["etag"]
            .to_str()
            .unwrap()
            .to_string()
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut n = 0;
    let woke = loop {
        assert!(Instant::now() < deadline, "A's long-poll never woke");
        n += 1;
        post(
            &http,
            &b_addr,
            "/api/v1/alerts/alertmanager",
            AM,
            &message(json!([firing(&format!("bb{n:02}"), &ago(2))])),
        )
        .await;
        if let Ok(joined) = tokio::time::timeout(Duration::from_millis(500), &mut poll).await {
            break joined.unwrap();
        }
    };
    assert_ne!(woke, tag);

    // The group's new alerts reached the incident once each.
    let events: Value = http
        .get(format!(
            "http://{a_addr}/api/v1/incidents/{incident}/events"
        ))
        .bearer_auth(ALICE)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let observed: Vec<&Value> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "alert_observed")
        .collect();
    assert_eq!(observed.len(), n, "{events}");
    assert!(observed.iter().all(|e| e["author"] == "alertmanager"));
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
    db.drop_db().await;
}

/// A kept alert of `group`, linked to `incident` if any, last changed at `updated_at`.
fn kept(
    fp: &str,
    group: &str,
    status: warroom::domain::alert::AlertStatus,
    updated_at: chrono::DateTime<chrono::Utc>,
    incident: Option<Uuid>,
) -> warroom::domain::alert::Alert {
    use warroom::domain::alert::{Alert, AlertStatus};
    Alert {
        id: Uuid::now_v7(),
        fingerprint: fp.into(),
        status,
        labels: [("alertname".to_string(), "HighErrorRate".to_string())].into(),
        annotations: Default::default(),
        starts_at: updated_at - chrono::Duration::hours(1),
        ends_at: (status == AlertStatus::Resolved).then_some(updated_at),
        incident,
        group_key: group.into(),
        source: "warroom".into(),
        generator_url: String::new(),
        updated_at,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set WARROOM_TEST_POSTGRES"]
async fn old_resolved_alerts_are_pruned_and_firing_ones_kept() {
    use warroom::domain::alert::AlertStatus::{Firing, Resolved};
    let db = TestDb::create().await;
    let store: Arc<dyn Store> =
        warroom::store::open(&db.url, Arc::new(SystemClock), Rules::default())
            .await
            .unwrap();
    let alerts = store.alert_store().unwrap();
    let now = chrono::Utc::now();
    let old = now - chrono::Duration::days(40);
    let incident = Uuid::now_v7();
    alerts
        .save_alerts(vec![
            kept("aa01", "g1", Resolved, old, None),
            kept(
                "aa02",
                "g2",
                Resolved,
                now - chrono::Duration::days(2),
                None,
            ),
            kept("aa03", "g3", Firing, old, None),
            // Linked: aa04 stays while aa05 of its group fires on the same incident.
            kept("aa04", GROUP, Resolved, old, Some(incident)),
            kept("aa05", GROUP, Firing, old, Some(incident)),
        ])
        .await
        .unwrap();
    let cutoff = now - chrono::Duration::days(30);
    assert_eq!(alerts.prune_resolved(cutoff).await.unwrap(), 1);
    let mut left: Vec<String> = alerts
        .alerts(true)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.fingerprint)
        .collect();
    left.sort();
    assert_eq!(left, ["aa02", "aa03", "aa04", "aa05"]);
    assert_eq!(alerts.prune_resolved(cutoff).await.unwrap(), 0);
    drop(store);
    db.drop_db().await;
}
