//! A drill played into a shared server keeps its scripted people: the server writes every
//! act under the token of whoever plays it, and the acts of the script's other people carry
//! them as a persona, shown as theirs everywhere (`priya (drill)`), folded as theirs (the
//! change request is priya's, not the trainee's), and judged as the trainee's. Outside a
//! drill the server takes no persona.

// Tests fail by panicking, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use tokio::runtime::Runtime;
use uuid::Uuid;
use warroom::clock::{Clock, ManualClock, SystemClock};
use warroom::domain::event::{Event, EventKind, Severity};
use warroom::drill::Drill;
use warroom::store::{NewEvent, Store};
use warroom::sync::{Recorded, Replica};

use common::Token;

const KIM: &str = "wr_test_drill_kim";
const LEE: &str = "wr_test_drill_lee";

const TOKENS: [Token; 2] = [Token::read_write("kim", KIM), Token::read_write("lee", LEE)];

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

/// The binary as a shared-mode client with its own data dir.
fn cli(data: &Path, url: &str, token: &str, args: &[&str]) -> String {
    let out = common::warroom(data)
        .args(["--server", url, "--token", token])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the warroom binary runs");
    assert!(
        out.status.success(),
        "warroom {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// kim plays the database-failover drill against `url` (on a clock the test moves), then
/// redacts priya's first observation; answers kim's replica and the drill.
fn play_and_redact(url: &str, data: &Path) -> (Replica, Drill) {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let dyn_clock: Arc<dyn Clock> = clock.clone();
    let kim = Replica::open_shared(data, url, KIM, "kim", dyn_clock.clone()).unwrap();
    assert_eq!(kim.handle(), "kim");
    let drill = warroom::drill::prepare(
        "database-failover",
        &kim.handle(),
        clock.as_ref(),
        10.0,
        false,
    )
    .unwrap();
    let mut not_confirmed = Vec::new();
    warroom::drill::play(
        &kim,
        &drill,
        &dyn_clock,
        |d| clock.advance(Duration::from_std(d).unwrap()),
        |e, r| {
            if !matches!(r, Recorded::Confirmed(_)) {
                not_confirmed.push(format!("{} by {}: {r:?}", e.kind.type_name(), e.author));
            }
        },
    )
    .unwrap();
    assert!(not_confirmed.is_empty(), "{not_confirmed:?}");
    let observation = drill
        .events
        .iter()
        .find(|e| matches!(e.kind, EventKind::Observation { .. }))
        .unwrap();
    let redacted = kim
        .record(
            drill.incident,
            vec![(
                clock.now(),
                EventKind::EventRedacted {
                    event: observation.id,
                    reason: "pasted a hostname".into(),
                },
            )],
        )
        .unwrap();
    assert!(matches!(redacted, Recorded::Confirmed(_)), "{redacted:?}");
    (kim, drill)
}

/// What the server stored: every act under kim's token, the scripted people as personas,
/// a redacted one's too.
fn check_stored(stored: &[Event], drill: &Drill) {
    assert_eq!(
        stored.len(),
        drill.events.len() + 1,
        "the drill and a redaction"
    );
    for (ev, scripted) in stored.iter().zip(&drill.events) {
        assert_eq!(ev.author, "kim", "{}", ev.kind.type_name());
        let expected = (scripted.author != "kim").then(|| scripted.author.clone());
        assert_eq!(ev.persona, expected, "{}", ev.kind.type_name());
    }
    let scrubbed = stored
        .iter()
        .find(|e| matches!(e.kind, EventKind::Observation { .. }))
        .unwrap();
    assert_eq!(scrubbed.kind.text(), Some(""), "the text is gone");
    assert_eq!(
        scrubbed.persona.as_deref(),
        Some("priya"),
        "the persona stays"
    );
}

#[test]
fn a_drill_played_into_a_server_shows_its_scripted_people() {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let server = rt.block_on(common::Server::start(&TOKENS));
    let url = server.url();
    let (_kim, drill) = play_and_redact(&url, &dir.path().join("kim"));
    let stored = server.store.all_events(drill.incident).unwrap();
    check_stored(&stored, &drill);
    let request = stored
        .iter()
        .find(|e| matches!(e.kind, EventKind::ChangeRequested { .. }))
        .expect("the scripted change request");
    assert_eq!(request.persona.as_deref(), Some("priya"));
    assert_eq!(request.shown_author(), "priya");
    assert_eq!(request.author_label(), "priya (drill)");

    // Another responder's replica pulls the personas too, and folds the change request
    // as priya's: the IC (kim) decides it, rather than being asked to approve their own.
    let lee = Replica::open_shared(
        &dir.path().join("lee"),
        &url,
        LEE,
        "lee",
        Arc::new(SystemClock),
    )
    .unwrap();
    assert!(lee.refresh().is_none(), "lee's replica syncs");
    let view = lee.view(drill.incident).unwrap();
    let pulled = view
        .confirmed
        .iter()
        .find(|e| e.id == request.id)
        .expect("lee has the change request");
    assert_eq!(pulled.persona.as_deref(), Some("priya"));
    let requests: Vec<&str> = view
        .state
        .pending_change_requests()
        .map(|c| c.author.as_str())
        .collect();
    assert_eq!(requests, ["priya"]);
    assert_eq!(view.state.commander(), Some("kim"));
    let theory = &view.state.board.theories[0];
    assert_eq!(theory.author, "priya", "board items are the persona's");
    assert!(view.state.responders.contains_key("marc"));

    // `warroom events`, from a machine of its own: the persona, marked as a drill's.
    let id = drill.incident.to_string();
    let text = cli(&dir.path().join("cli"), &url, LEE, &["events", &id]);
    let line = |needle: &str| {
        text.lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle:?} in:\n{text}"))
            .to_string()
    };
    assert!(
        line("Promote the replica").contains("priya (drill)"),
        "{text}"
    );
    assert!(line("Customer support").contains("marc (drill)"), "{text}");
    assert!(
        !line("declared").contains("(drill)"),
        "the trainee is themselves"
    );
    let json = cli(
        &dir.path().join("cli"),
        &url,
        LEE,
        &["events", &id, "--json"],
    );
    let envelopes: Vec<Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let change = envelopes
        .iter()
        .find(|e| e["type"] == "change_requested")
        .unwrap();
    assert_eq!(change["author"], "kim");
    assert_eq!(change["persona"], "priya");
    let declared = envelopes
        .iter()
        .find(|e| e["type"] == "incident_declared")
        .unwrap();
    assert!(
        declared.get("persona").is_none(),
        "no key without a persona"
    );
    let shown: Value = serde_json::from_str(&cli(
        &dir.path().join("cli"),
        &url,
        LEE,
        &["show", &id, "--json"],
    ))
    .unwrap();
    let state = if shown["state"].is_object() {
        &shown["state"]
    } else {
        &shown
    };
    assert_eq!(state["change_requests"][0]["author"], "priya", "{shown}");
}

#[test]
fn the_server_takes_a_persona_only_on_a_drill() {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let server = rt.block_on(common::Server::start(&TOKENS));
    let url = server.url();
    let kim = Replica::open_shared(
        &dir.path().join("kim"),
        &url,
        KIM,
        "kim",
        Arc::new(SystemClock),
    )
    .unwrap();
    let (real, _) = kim
        .declare("Disk full on db-2", Severity::MAJOR, "", None, false, false)
        .unwrap();
    let (drill, _) = kim
        .declare("Practice", Severity::MINOR, "", None, true, false)
        .unwrap();

    let post = |incident: Uuid, event: Value| -> (u16, Value) {
        let url = format!("{url}/api/v1/incidents/{incident}/events");
        rt.block_on(async {
            let r = reqwest::Client::new()
                .post(url)
                .bearer_auth(KIM)
                .json(&json!({ "events": [event] }))
                .send()
                .await
                .expect("the server answers");
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.expect("JSON"))
        })
    };
    let note = |persona: &str| json!({ "id": Uuid::now_v7(), "type": "note", "text": "disk at 97%", "persona": persona });

    // Not a drill: refused with a sentence saying why.
    let (status, body) = post(real.id, note("priya"));
    assert_eq!(status, 422, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("not a drill") && message.contains("priya"),
        "{message}"
    );
    // On a drill: taken, as long as it reads as a handle.
    let (status, body) = post(drill.id, note("priya"));
    assert_eq!(status, 200, "{body}");
    let (status, body) = post(drill.id, note("priya two"));
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("one word"),
        "{body}"
    );
    let (status, body) = post(
        drill.id,
        json!({ "id": Uuid::now_v7(), "type": "note", "text": "x", "persona": 7 }),
    );
    assert_eq!(status, 422, "{body}");

    // The replica says no before it writes anything.
    let refused = kim
        .record_as(
            real.id,
            "kim",
            vec![NewEvent {
                id: Uuid::now_v7(),
                at: Utc::now(),
                persona: Some("priya".into()),
                kind: EventKind::Note {
                    text: "disk at 98%".into(),
                },
            }],
        )
        .unwrap_err();
    assert!(refused.is_refusal(), "{refused}");
    assert!(refused.to_string().contains("not a drill"), "{refused}");
    assert!(kim.store().outbox(Some(real.id)).unwrap().is_empty());
}

#[test]
#[ignore = "needs PostgreSQL: set WARROOM_TEST_POSTGRES"]
fn personas_round_trip_through_postgres() {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let db = rt.block_on(common::TestDb::create());
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store: Arc<dyn Store> = Arc::new(
        rt.block_on(warroom::store::postgres::PgStore::connect(
            &db.url,
            clock.clone(),
            warroom::domain::rules::Rules::default(),
        ))
        .expect("connect to the test database"),
    );
    let running = rt.block_on(common::serve(store.clone(), clock, &TOKENS));
    let url = format!("http://{}", running.addr);
    let (_kim, drill) = play_and_redact(&url, &dir.path().join("kim"));
    let stored = rt
        .block_on(store.events_after(drill.incident, 0, 10_000))
        .unwrap();
    check_stored(&stored, &drill);
    rt.block_on(running.shutdown()).expect("a clean shutdown");
    rt.block_on(db.drop_db());
}
