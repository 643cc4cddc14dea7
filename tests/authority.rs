//! The rule book as the server enforces it: who may append what (403 `forbidden`), what the
//! workflow allows now (422 `refused`), batches stored whole or not at all, restricted
//! incidents that do not exist for anyone but their members (404), redaction down to the
//! bytes left on the disks of the server and its replicas, and changes queued offline that
//! the server no longer accepts when they arrive.
//!
//! Servers run in this process on 127.0.0.1:0 over a SQLite file in a temp dir; the
//! authority table and the revoked member's retry also run over PostgreSQL:
//! `WARROOM_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/postgres cargo test --test authority -- --ignored`
//! Where silence matters the server's clock is a `ManualClock`. Nothing sleeps to wait for
//! anything: waits are on signals, bounded by a timeout.

// Tests fail by panicking, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::runtime::Runtime;
use tokio::sync::watch;
use uuid::Uuid;
use warroom::clock::{Clock, ManualClock, SystemClock};
use warroom::domain::event::{
    Audience, ChecklistResult, EventKind, PrivacyAssessment, Role, Severity, truncate_micros,
};
use warroom::domain::ids::short_id;
use warroom::domain::rules::Rules;
use warroom::server::Running;
use warroom::store::postgres::PgStore;
use warroom::store::{SqliteStore, Store};
use warroom::sync::engine::Link;
use warroom::sync::{Recorded, Replica};

use common::{TestDb, Token};

const ALICE: &str = "wr_authority_alice";
const BOB: &str = "wr_authority_bob";
const CAROL: &str = "wr_authority_carol";
const DAVE: &str = "wr_authority_dave";
const ERIN: &str = "wr_authority_erin";
/// Read-only: reads what it may see, changes nothing.
const RITA: &str = "wr_authority_rita_read_only";

/// The tokens in every test server's store.
const TOKENS: [Token; 6] = [
    Token::read_write("alice", ALICE),
    Token::read_write("bob", BOB),
    Token::read_write("carol", CAROL),
    Token::read_write("dave", DAVE),
    Token::read_write("erin", ERIN),
    Token::read_only("rita", RITA),
];

fn token(handle: &str) -> &'static str {
    TOKENS
        .iter()
        .find(|t| t.handle == handle)
        .map(|t| t.secret)
        .unwrap_or_else(|| panic!("no token for {handle}"))
}

/// How long the IC must be silent before command may be taken: not the default (15 min),
/// so a server that ignored its configured rules would fail the table.
const SILENCE_MINUTES: i64 = 20;

fn rules() -> Rules {
    Rules {
        take_command_after: chrono::Duration::minutes(SILENCE_MINUTES),
        ..Rules::default()
    }
}

fn manual_clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(truncate_micros(Utc::now())))
}

fn system_clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

/// What the server answered: the status and the body as JSON (Null if it was not JSON).
#[derive(Debug)]
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
        let err = &self.body["error"];
        assert_eq!(err["code"], code, "error code in {}", self.body);
        let message = err["message"]
            .as_str()
            .unwrap_or_else(|| panic!("error message is not a string: {}", self.body));
        assert!(
            !message.trim().is_empty(),
            "an empty message: {}",
            self.body
        );
        message.to_string()
    }
}

/// A client of one server's API v1.
#[derive(Clone)]
struct Api {
    base: String,
    http: Client,
}

impl Api {
    fn new(base: String) -> Api {
        Api {
            base,
            http: Client::new(),
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Answer {
        let resp = req.send().await.expect("the server answers");
        let status = resp.status();
        let bytes = resp.bytes().await.expect("a body");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer { status, body }
    }

    async fn get(&self, path: &str, token: &str) -> Answer {
        let req = self.http.get(format!("{}{path}", self.base));
        self.send(req.bearer_auth(token)).await
    }

    async fn post(&self, path: &str, token: &str, body: &Value) -> Answer {
        let req = self.http.post(format!("{}{path}", self.base)).json(body);
        self.send(req.bearer_auth(token)).await
    }

    /// `POST /api/v1/incidents/{reference}/events` with `events`.
    async fn append(&self, reference: &str, token: &str, events: Value) -> Answer {
        let path = format!("/api/v1/incidents/{reference}/events");
        self.post(&path, token, &json!({ "events": events })).await
    }

    /// Declares an incident; answers its id and the summary the server answered.
    async fn declare(&self, token: &str, fields: Value) -> (Uuid, Value) {
        let id = Uuid::now_v7();
        let mut body = json!({ "id": id, "title": "Checkout failing", "severity": 2 });
        for (k, v) in fields.as_object().expect("fields are an object") {
            body[k] = v.clone();
        }
        let summary = self
            .post("/api/v1/incidents", token, &body)
            .await
            .ok(StatusCode::CREATED);
        (id, summary)
    }

    /// The events after `after`, as `token` reads them.
    async fn page(&self, incident: Uuid, token: &str, after: i64) -> Value {
        let path = format!("/api/v1/incidents/{incident}/events?after={after}");
        self.get(&path, token).await.ok(StatusCode::OK)
    }

    /// `GET /api/v1/incidents/{id}`: `{ digest, state }`.
    async fn state(&self, incident: Uuid, token: &str) -> Value {
        let path = format!("/api/v1/incidents/{incident}");
        self.get(&path, token).await.ok(StatusCode::OK)
    }

    /// The ids of the incidents `token` is shown in the list.
    async fn listed(&self, token: &str) -> HashSet<String> {
        let list = self
            .get("/api/v1/incidents", token)
            .await
            .ok(StatusCode::OK);
        list.as_array()
            .unwrap_or_else(|| panic!("the list is an array: {list}"))
            .iter()
            .map(|s| s["id"].as_str().expect("an id").to_string())
            .collect()
    }
}

fn accepted(body: &Value) -> Vec<(String, i64)> {
    body["accepted"]
        .as_array()
        .unwrap_or_else(|| panic!("no `accepted` in {body}"))
        .iter()
        .map(|a| {
            (
                a["id"].as_str().expect("an id").to_string(),
                a["seq"].as_i64().expect("a seq"),
            )
        })
        .collect()
}

fn events_of(page: &Value) -> &Vec<Value> {
    page["events"]
        .as_array()
        .unwrap_or_else(|| panic!("no `events` in {page}"))
}

/// A new event for the API: a fresh id, its type and its fields.
fn ev(kind: &str, fields: Value) -> Value {
    let mut m = fields.as_object().cloned().unwrap_or_default();
    m.insert("id".into(), json!(Uuid::now_v7()));
    m.insert("type".into(), json!(kind));
    Value::Object(m)
}

fn id_of(event: &Value) -> String {
    event["id"].as_str().expect("an id").to_string()
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// A server in this process with the test tokens.
struct Served {
    api: Api,
    running: Running,
}

async fn serve(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Served {
    let running = common::serve(store, clock, &TOKENS).await;
    Served {
        api: Api::new(format!("http://{}", running.addr)),
        running,
    }
}

impl Served {
    async fn stop(self) {
        self.running.shutdown().await.expect("a clean shutdown");
    }
}

// ---------------------------------------------------------------------------------------
// a) The authority table
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// 200, stored with the next seq.
    Ok,
    /// 403 `forbidden`: the author's role does not allow it.
    Forbidden,
    /// 422 `refused`: the workflow does not allow it now.
    Refused,
    /// 404: a restricted incident the author is not a member of.
    Hidden,
}

enum Step {
    Act {
        who: &'static str,
        expect: Expect,
        why: &'static str,
        event: Value,
    },
    /// The server's clock moves on.
    Advance(chrono::Duration),
}

fn act(who: &'static str, expect: Expect, why: &'static str, event: Value) -> Step {
    Step::Act {
        who,
        expect,
        why,
        event,
    }
}

/// Ids of events on another incident, which no event of the table's incident may refer to.
struct Foreign {
    note: Value,
    change: Value,
    theory: Value,
}

/// What the table's run must have left behind.
struct Marks {
    redacted: String,
    request_for_command: String,
    take_reason: String,
}

/// One incident's life, in order: each step by one responder, with the answer the rule book
/// gives in the state the steps before it left. The incident is restricted and declared
/// by alice (the IC) with impact started at `t0 - 30 min`.
fn authority_table(t0: DateTime<Utc>, foreign: &Foreign) -> (Vec<Step>, Marks) {
    use Expect::{Forbidden, Hidden, Ok, Refused};
    let bobs_note = ev("note", json!({ "text": "bob: the pool is exhausted" }));
    let carol_cl = ev("role_assigned", json!({ "role": "cl", "handle": "carol" }));
    let change = ev(
        "change_requested",
        json!({ "description": "restart the primary" }),
    );
    let ask = ev(
        "command_requested",
        json!({ "reason": "I know this system best" }),
    );
    let theory = ev("theory", json!({ "text": "a bad deploy" }));
    let experiment = ev(
        "experiment",
        json!({ "plan": "roll back one node", "tests": [theory["id"]] }),
    );
    let take_reason = "alice's laptop died; nobody has heard from her";
    let marks = Marks {
        redacted: id_of(&bobs_note),
        request_for_command: id_of(&ask),
        take_reason: take_reason.to_string(),
    };
    let note = |text: &str| ev("note", json!({ "text": text }));
    let comms = |text: &str| {
        ev(
            "comms_sent",
            json!({ "audience": "internal", "text": text }),
        )
    };
    let redact = |target: &Value| {
        ev(
            "event_redacted",
            json!({ "event": target, "reason": "a credential was pasted" }),
        )
    };
    let take = || ev("command_taken", json!({ "reason": take_reason }));
    let steps = vec![
        // Membership.
        act("erin", Hidden, "not a member", note("erin peeks")),
        act("bob", Hidden, "not a member yet", note("bob peeks")),
        act(
            "bob",
            Hidden,
            "cannot let himself into what he cannot see",
            ev("access_granted", json!({ "handle": "bob" })),
        ),
        act(
            "alice",
            Ok,
            "the IC grants access",
            ev("access_granted", json!({ "handle": "bob" })),
        ),
        act(
            "alice",
            Refused,
            "bob already has access",
            ev("access_granted", json!({ "handle": "bob" })),
        ),
        act(
            "bob",
            Forbidden,
            "only the IC grants access",
            ev("access_granted", json!({ "handle": "erin" })),
        ),
        act("bob", Ok, "anyone on the response notes", bobs_note.clone()),
        // Roles and comms.
        act(
            "bob",
            Forbidden,
            "only the IC assigns roles",
            ev("role_assigned", json!({ "role": "cl", "handle": "carol" })),
        ),
        act("alice", Ok, "the IC assigns roles", carol_cl.clone()),
        act(
            "carol",
            Ok,
            "a role makes carol a member",
            note("carol here"),
        ),
        act(
            "bob",
            Forbidden,
            "only the CL or the IC sends updates",
            comms("bob's update"),
        ),
        act("carol", Ok, "the CL sends updates", comms("carol's update")),
        act(
            "alice",
            Ok,
            "the IC sends updates too",
            comms("alice's update"),
        ),
        // Change requests.
        act("bob", Ok, "anyone requests a change", change.clone()),
        act(
            "bob",
            Forbidden,
            "only the IC decides changes",
            ev(
                "change_decided",
                json!({ "request": change["id"], "approved": true }),
            ),
        ),
        act(
            "alice",
            Refused,
            "no such change request",
            ev(
                "change_decided",
                json!({ "request": Uuid::now_v7(), "approved": true }),
            ),
        ),
        act(
            "alice",
            Ok,
            "the IC decides changes",
            ev(
                "change_decided",
                json!({ "request": change["id"], "approved": true }),
            ),
        ),
        act(
            "alice",
            Refused,
            "already decided",
            ev(
                "change_decided",
                json!({ "request": change["id"], "approved": false }),
            ),
        ),
        act(
            "alice",
            Refused,
            "a change request of another incident",
            ev(
                "change_decided",
                json!({ "request": foreign.change, "approved": true }),
            ),
        ),
        // The board.
        act("bob", Ok, "anyone states a theory", theory.clone()),
        act("bob", Ok, "anyone plans an experiment", experiment.clone()),
        act(
            "bob",
            Refused,
            "an experiment on another incident's theory",
            ev(
                "experiment",
                json!({ "plan": "look elsewhere", "tests": [foreign.theory] }),
            ),
        ),
        act(
            "bob",
            Refused,
            "another incident's theory",
            ev(
                "theory_status_changed",
                json!({ "theory": foreign.theory, "status": "refuted" }),
            ),
        ),
        act(
            "carol",
            Ok,
            "anyone concludes an experiment",
            ev(
                "experiment_outcome",
                json!({ "experiment": experiment["id"], "outcome": "supports" }),
            ),
        ),
        act(
            "bob",
            Refused,
            "the experiment already has an outcome",
            ev(
                "experiment_outcome",
                json!({ "experiment": experiment["id"], "outcome": "refutes" }),
            ),
        ),
        act(
            "bob",
            Refused,
            "no such experiment",
            ev(
                "experiment_outcome",
                json!({ "experiment": Uuid::now_v7(), "outcome": "refutes" }),
            ),
        ),
        act(
            "dave",
            Hidden,
            "dave has no role yet",
            ev(
                "theory_status_changed",
                json!({ "theory": theory["id"], "status": "supported" }),
            ),
        ),
        act(
            "bob",
            Ok,
            "anyone changes a theory's status",
            ev(
                "theory_status_changed",
                json!({ "theory": theory["id"], "status": "supported" }),
            ),
        ),
        // Severity and stage.
        act(
            "bob",
            Forbidden,
            "only the IC changes the severity",
            ev(
                "severity_changed",
                json!({ "severity": 1, "reason": "worse" }),
            ),
        ),
        act(
            "alice",
            Ok,
            "the IC changes the severity",
            ev(
                "severity_changed",
                json!({ "severity": 1, "reason": "worse" }),
            ),
        ),
        act(
            "bob",
            Forbidden,
            "only the IC changes the stage",
            ev("stage_changed", json!({ "stage": "recover" })),
        ),
        act(
            "alice",
            Ok,
            "the IC changes the stage",
            ev("stage_changed", json!({ "stage": "recover" })),
        ),
        // Privacy.
        act(
            "alice",
            Ok,
            "the IC assigns the PL",
            ev("role_assigned", json!({ "role": "pl", "handle": "dave" })),
        ),
        act(
            "bob",
            Forbidden,
            "only the PL or the IC assesses privacy",
            ev(
                "privacy_assessed",
                json!({ "assessment": "possible_breach" }),
            ),
        ),
        act(
            "dave",
            Ok,
            "the PL assesses privacy",
            ev(
                "privacy_assessed",
                json!({ "assessment": "possible_breach" }),
            ),
        ),
        act(
            "bob",
            Forbidden,
            "only the PL or the IC records breach steps",
            ev("privacy_step_done", json!({ "step": 1 })),
        ),
        act(
            "dave",
            Ok,
            "the PL records breach steps",
            ev("privacy_step_done", json!({ "step": 1 })),
        ),
        act(
            "alice",
            Ok,
            "the IC records breach steps too",
            ev("privacy_step_done", json!({ "step": 2 })),
        ),
        act(
            "dave",
            Refused,
            "step 2 is already done",
            ev("privacy_step_done", json!({ "step": 2 })),
        ),
        // Presence.
        act(
            "bob",
            Forbidden,
            "only carol or the IC records carol joining",
            ev("responder_joined", json!({ "handle": "carol" })),
        ),
        act(
            "bob",
            Ok,
            "bob records his own join",
            ev("responder_joined", json!({ "handle": "bob" })),
        ),
        act(
            "alice",
            Ok,
            "the IC records anyone's join",
            ev("responder_joined", json!({ "handle": "erin" })),
        ),
        act(
            "erin",
            Hidden,
            "being recorded as joined is no access",
            note("erin again"),
        ),
        act(
            "bob",
            Forbidden,
            "only carol or the IC records carol's duty",
            ev("duty_started", json!({ "handle": "carol" })),
        ),
        act(
            "bob",
            Ok,
            "bob records his own awake time",
            ev(
                "awake_since",
                json!({ "handle": "bob", "since": rfc3339(t0 - chrono::Duration::hours(20)) }),
            ),
        ),
        act(
            "bob",
            Forbidden,
            "only the IC releases roles",
            ev("role_released", json!({ "role": "cl" })),
        ),
        act(
            "bob",
            Forbidden,
            "only the IC hands over command",
            ev("command_handed_over", json!({ "to": "bob" })),
        ),
        // Redaction.
        act(
            "bob",
            Forbidden,
            "only the IC redacts",
            redact(&bobs_note["id"]),
        ),
        act(
            "alice",
            Refused,
            "no such event",
            redact(&json!(Uuid::now_v7())),
        ),
        act(
            "alice",
            Refused,
            "a role assignment holds no text",
            redact(&carol_cl["id"]),
        ),
        act(
            "alice",
            Refused,
            "a note of another incident",
            redact(&foreign.note),
        ),
        act("alice", Ok, "the IC redacts", redact(&bobs_note["id"])),
        act(
            "alice",
            Refused,
            "already redacted",
            redact(&bobs_note["id"]),
        ),
        act(
            "bob",
            Forbidden,
            "only the IC revokes access",
            ev("access_revoked", json!({ "handle": "carol" })),
        ),
        act(
            "alice",
            Refused,
            "carol holds a role",
            ev("access_revoked", json!({ "handle": "carol" })),
        ),
        // Resolve and close.
        act(
            "bob",
            Forbidden,
            "authority comes before the workflow",
            ev("closed", json!({ "reason": "done" })),
        ),
        act(
            "alice",
            Refused,
            "close only when resolved",
            ev("closed", json!({ "reason": "done" })),
        ),
        act(
            "bob",
            Forbidden,
            "only the IC resolves",
            ev("resolved", json!({ "summary": "fixed" })),
        ),
        act(
            "alice",
            Refused,
            "resolve only after impact ended",
            ev("resolved", json!({ "summary": "fixed" })),
        ),
        act(
            "bob",
            Refused,
            "impact cannot end before it started",
            ev(
                "impact_ended",
                json!({ "at": rfc3339(t0 - chrono::Duration::hours(1)) }),
            ),
        ),
        act(
            "bob",
            Ok,
            "anyone records impact times",
            ev("impact_ended", json!({})),
        ),
        act(
            "alice",
            Ok,
            "the IC resolves",
            ev("resolved", json!({ "summary": "fixed" })),
        ),
        act(
            "alice",
            Refused,
            "a SEV1 needs a Postmortem Owner",
            ev("closed", json!({ "reason": "done" })),
        ),
        act(
            "alice",
            Ok,
            "the IC assigns the PO",
            ev("role_assigned", json!({ "role": "po", "handle": "carol" })),
        ),
        act(
            "alice",
            Ok,
            "the IC closes",
            ev("closed", json!({ "reason": "done" })),
        ),
        act("bob", Refused, "closed: no notes", note("late thought")),
        act("alice", Refused, "closed: not even the IC's", note("late")),
        act(
            "bob",
            Ok,
            "closed: action items still",
            ev(
                "action_item_added",
                json!({ "text": "add a pool alarm", "owner_role": "po", "due": "2031-01-31" }),
            ),
        ),
        act(
            "bob",
            Forbidden,
            "only the IC reopens",
            ev("reopened", json!({ "reason": "it is back" })),
        ),
        act(
            "alice",
            Ok,
            "the IC reopens",
            ev("reopened", json!({ "reason": "it is back" })),
        ),
        // Command.
        act(
            "alice",
            Refused,
            "the IC cannot ask for command",
            ev("command_requested", json!({ "reason": "me" })),
        ),
        act("bob", Ok, "anyone else asks for command", ask.clone()),
        act(
            "bob",
            Refused,
            "bob already asked",
            ev("command_requested", json!({ "reason": "again" })),
        ),
        act(
            "bob",
            Forbidden,
            "only the IC answers requests for command",
            ev(
                "command_request_decided",
                json!({ "request": ask["id"], "accepted": true }),
            ),
        ),
        act(
            "alice",
            Refused,
            "no such request for command",
            ev(
                "command_request_decided",
                json!({ "request": Uuid::now_v7(), "accepted": false }),
            ),
        ),
        act(
            "alice",
            Ok,
            "the IC declines",
            ev(
                "command_request_decided",
                json!({ "request": ask["id"], "accepted": false, "reason": "not now" }),
            ),
        ),
        act("alice", Refused, "the IC cannot take command", take()),
        act("bob", Forbidden, "the IC acted just now", take()),
        Step::Advance(chrono::Duration::minutes(SILENCE_MINUTES - 4)),
        act(
            "carol",
            Ok,
            "others speaking does not make the IC less silent",
            note("still here"),
        ),
        act(
            "bob",
            Forbidden,
            "silent for less than the server's setting (though more than the default)",
            take(),
        ),
        Step::Advance(chrono::Duration::minutes(5)),
        act("bob", Ok, "the IC has been silent long enough", take()),
        act(
            "alice",
            Forbidden,
            "alice is no longer the IC",
            ev("severity_changed", json!({ "severity": 2 })),
        ),
        act(
            "bob",
            Ok,
            "bob is the IC now",
            ev("severity_changed", json!({ "severity": 2 })),
        ),
        act(
            "alice",
            Forbidden,
            "only the IC checks the team's health",
            ev("health_check", json!({ "summary": "tired" })),
        ),
        act(
            "bob",
            Ok,
            "the new IC checks the team's health",
            ev("health_check", json!({ "summary": "tired but fine" })),
        ),
        act(
            "alice",
            Ok,
            "alice may ask for command back",
            ev("command_requested", json!({ "reason": "laptop is back" })),
        ),
    ];
    (steps, marks)
}

/// Runs the authority table through the HTTP API of a server over `store`, whose clock is
/// `clock` (the store must judge with [`rules`]).
async fn run_authority_table(store: Arc<dyn Store>, clock: Arc<ManualClock>) {
    let served = serve(store, clock.clone()).await;
    let api = &served.api;
    let t0 = clock.now();
    let (incident, _) = api
        .declare(
            ALICE,
            json!({
                "title": "Payments double-charging",
                "visibility": "restricted",
                "started_at": rfc3339(t0 - chrono::Duration::minutes(30)),
            }),
        )
        .await;
    // Another incident, with events the table's acts must not be able to refer to.
    let (other, _) = api.declare(ALICE, json!({ "title": "Another one" })).await;
    let (note, change, theory) = (
        ev("note", json!({ "text": "elsewhere" })),
        ev("change_requested", json!({ "description": "elsewhere" })),
        ev("theory", json!({ "text": "elsewhere" })),
    );
    let events = json!([note.clone(), change.clone(), theory.clone()]);
    api.append(&other.to_string(), ALICE, events)
        .await
        .ok(StatusCode::OK);
    let foreign = Foreign {
        note: note["id"].clone(),
        change: change["id"].clone(),
        theory: theory["id"].clone(),
    };
    let first = api.page(incident, ALICE, 0).await;
    let mut last = first["last_seq"].as_i64().expect("a last_seq");
    let mut stored: Vec<String> = events_of(&first).iter().map(id_of).collect();
    assert_eq!(stored.len() as i64, last);
    // How an incident that does not exist is answered, to compare the hidden one with.
    let nobody = Uuid::now_v7();
    let absent = api
        .append(
            &nobody.to_string(),
            ERIN,
            json!([ev("note", json!({ "text": "x" }))]),
        )
        .await
        .error(StatusCode::NOT_FOUND, "not_found");

    let (steps, marks) = authority_table(t0, &foreign);
    let mut acts = 0;
    for (n, step) in steps.into_iter().enumerate() {
        let (who, expect, why, event) = match step {
            Step::Advance(by) => {
                clock.advance(by);
                continue;
            }
            Step::Act {
                who,
                expect,
                why,
                event,
            } => (who, expect, why, event),
        };
        acts += 1;
        let id = id_of(&event);
        let kind = event["type"].as_str().expect("a type").to_string();
        eprintln!("step {n}: {who} {kind}, expecting {expect:?}: {why}");
        let answer = api
            .append(&incident.to_string(), token(who), json!([event]))
            .await;
        match expect {
            Expect::Ok => {
                let body = answer.ok(StatusCode::OK);
                assert_eq!(accepted(&body), vec![(id.clone(), last + 1)], "{why}");
            }
            Expect::Forbidden => {
                let msg = answer.error(StatusCode::FORBIDDEN, "forbidden");
                assert!(msg.contains(&id), "the refusal names the event: {msg}");
            }
            Expect::Refused => {
                let msg = answer.error(StatusCode::UNPROCESSABLE_ENTITY, "refused");
                assert!(msg.contains(&id), "the refusal names the event: {msg}");
            }
            Expect::Hidden => {
                let msg = answer.error(StatusCode::NOT_FOUND, "not_found");
                assert_eq!(
                    msg.replace(&incident.to_string(), "<id>"),
                    absent.replace(&nobody.to_string(), "<id>"),
                    "answered like an incident that does not exist"
                );
            }
        }
        // Stored exactly when accepted, by its author, and nothing else was.
        let page = api.page(incident, ALICE, last).await;
        let new = events_of(&page);
        if expect == Expect::Ok {
            assert_eq!(new.len(), 1, "{why}: {page}");
            assert_eq!(new[0]["id"], id.as_str());
            assert_eq!(new[0]["type"], kind.as_str());
            assert_eq!(new[0]["author"], who);
            last += 1;
            stored.push(id);
        } else {
            assert!(new.is_empty(), "{why}: nothing is stored: {page}");
        }
        assert_eq!(page["last_seq"], last, "{why}");
    }
    assert!(acts > 70, "the table ran ({acts} acts)");

    // The whole log is the declaration and the accepted acts, in the order they were made.
    let all = api.page(incident, ALICE, 0).await;
    let ids: Vec<String> = events_of(&all).iter().map(id_of).collect();
    assert_eq!(ids, stored);

    // What the table did shows in the folded state.
    let shown = api.state(incident, BOB).await;
    let state = &shown["state"];
    assert_eq!(state["summary"]["commander"], "bob", "{state}");
    assert_eq!(state["roster"]["commander"], "bob");
    let handovers = state["roster"]["handovers"]["latest"]
        .as_array()
        .expect("handovers");
    let taken = handovers.last().expect("the take is a handover");
    assert_eq!(taken["from"], "alice");
    assert_eq!(taken["to"], "bob");
    assert_eq!(taken["taken_because"], marks.take_reason.as_str());
    assert_eq!(state["summary"]["severity"], 2);
    assert_eq!(state["summary"]["status"], "active");
    let redaction = state["redactions"]["latest"]
        .as_array()
        .expect("redactions")
        .iter()
        .find(|r| r["event"] == marks.redacted.as_str())
        .expect("the redaction");
    assert_eq!(redaction["by"], "alice", "{state}");
    assert_eq!(redaction["reason"], "a credential was pasted");
    let requests = state["command_requests"]["latest"]
        .as_array()
        .expect("requests");
    let declined = requests
        .iter()
        .find(|r| r["id"] == marks.request_for_command.as_str())
        .expect("bob's request");
    assert_eq!(declined["decision"], "denied");
    assert_eq!(declined["decided_by"], "alice");
    let members: BTreeSet<&str> = state["summary"]["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| m.as_str().expect("a handle"))
        .collect();
    assert_eq!(
        members,
        BTreeSet::from(["alice", "bob", "carol", "dave"]),
        "the declarer, the granted and the role holders"
    );
    // Erin was never let in: the incident is not there for her.
    api.get(&format!("/api/v1/incidents/{incident}"), ERIN)
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    assert!(!api.listed(ERIN).await.contains(&incident.to_string()));
    assert!(api.listed(BOB).await.contains(&incident.to_string()));
    served.stop().await;
}

#[tokio::test]
async fn the_authority_table_holds_over_sqlite() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let clock = manual_clock();
    let store = SqliteStore::open_with_rules(dir.path().join("server.db"), clock.clone(), rules())
        .expect("open the store");
    run_authority_table(Arc::new(store), clock).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL: set WARROOM_TEST_POSTGRES"]
async fn the_authority_table_holds_over_postgres() {
    let db = TestDb::create().await;
    let clock = manual_clock();
    let dyn_clock: Arc<dyn Clock> = clock.clone();
    let store = PgStore::connect(&db.url, dyn_clock, rules())
        .await
        .expect("connect to the test database");
    run_authority_table(Arc::new(store), clock).await;
    db.drop_db().await;
}

// ---------------------------------------------------------------------------------------
// b) Batches: whole or nothing
// ---------------------------------------------------------------------------------------

async fn sqlite_server(dir: &Path) -> Served {
    let clock = system_clock();
    let store = SqliteStore::open(dir.join("server.db"), clock.clone()).expect("open the store");
    serve(Arc::new(store), clock).await
}

#[tokio::test]
async fn a_batch_with_a_refused_event_stores_nothing() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let served = sqlite_server(dir.path()).await;
    let api = &served.api;
    let (incident, _) = api.declare(ALICE, json!({})).await;
    let reference = incident.to_string();
    let start = api.page(incident, ALICE, 0).await["last_seq"]
        .as_i64()
        .expect("a last_seq");

    // A good note, then an act bob may not do: neither is stored.
    let good = ev("note", json!({ "text": "the queue is backing up" }));
    let forbidden = ev("role_assigned", json!({ "role": "cl", "handle": "bob" }));
    let msg = api
        .append(&reference, BOB, json!([good.clone(), forbidden.clone()]))
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    assert!(
        msg.contains(&id_of(&forbidden)),
        "names the refused event: {msg}"
    );
    let page = api.page(incident, ALICE, start).await;
    assert!(events_of(&page).is_empty(), "nothing stored: {page}");
    assert_eq!(page["last_seq"], start);
    let everything = api.page(incident, BOB, 0).await;
    assert!(
        events_of(&everything).iter().all(|e| e["id"] != good["id"]),
        "the note is not on the log: {everything}"
    );

    // The note alone is fine, and takes the next seq.
    let body = api
        .append(&reference, BOB, json!([good.clone()]))
        .await
        .ok(StatusCode::OK);
    assert_eq!(accepted(&body), vec![(id_of(&good), start + 1)]);

    // Refused by the workflow (close before resolve): the role given before it in the same
    // batch does not stick, not even in the state the server keeps between appends.
    let give_cl = ev("role_assigned", json!({ "role": "cl", "handle": "bob" }));
    let close = ev("closed", json!({ "reason": "done" }));
    let msg = api
        .append(&reference, ALICE, json!([give_cl.clone(), close.clone()]))
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "refused");
    assert!(msg.contains(&id_of(&close)), "{msg}");
    let page = api.page(incident, ALICE, start + 1).await;
    assert!(events_of(&page).is_empty(), "nothing stored: {page}");
    let update = ev(
        "comms_sent",
        json!({ "audience": "internal", "text": "update" }),
    );
    api.append(&reference, BOB, json!([update.clone()]))
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");

    // The refused batch used up no id: the same role assignment goes through alone, and
    // then bob is the CL.
    let body = api
        .append(&reference, ALICE, json!([give_cl.clone()]))
        .await
        .ok(StatusCode::OK);
    assert_eq!(accepted(&body), vec![(id_of(&give_cl), start + 2)]);
    let body = api
        .append(&reference, BOB, json!([update.clone()]))
        .await
        .ok(StatusCode::OK);
    assert_eq!(accepted(&body), vec![(id_of(&update), start + 3)]);

    // Each event of a batch meets the state the ones before it left.
    let change = ev("change_requested", json!({ "description": "fail over" }));
    let decide = ev(
        "change_decided",
        json!({ "request": change["id"], "approved": true }),
    );
    let body = api
        .append(&reference, ALICE, json!([change.clone(), decide.clone()]))
        .await
        .ok(StatusCode::OK);
    assert_eq!(
        accepted(&body),
        vec![(id_of(&change), start + 4), (id_of(&decide), start + 5)]
    );
    served.stop().await;
}

// ---------------------------------------------------------------------------------------
// c) Restricted incidents
// ---------------------------------------------------------------------------------------

/// The server's real store, passed through untouched, telling the test each time a read of
/// events found nothing: the moment a long-poll starts waiting.
fn watched(inner: Arc<dyn Store>) -> (Arc<common::Watched>, watch::Receiver<Vec<(Uuid, i64)>>) {
    let (tx, rx) = watch::channel(Vec::new());
    let store = common::Watched::new(inner).after_read(move |incident, after, got| {
        if matches!(got, Ok(events) if events.is_empty()) {
            tx.send_modify(|v| v.push((incident, after)));
        }
    });
    (Arc::new(store), rx)
}

/// Asserts that `got` (asking about `reference`) is exactly what asking about an incident
/// that does not exist (`baseline`, about `nobody`) answers.
fn assert_absent(got: Answer, reference: &str, baseline: Answer, nobody: &str, what: &str) {
    assert_eq!(
        got.status, baseline.status,
        "{what}: {:?} vs {:?}",
        got, baseline
    );
    assert_eq!(
        got.body["error"]["code"], baseline.body["error"]["code"],
        "{what}"
    );
    let message = |a: &Answer, r: &str| {
        a.body["error"]["message"]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: no message in {}", a.body))
            .replace(r, "<ref>")
    };
    assert_eq!(
        message(&got, reference),
        message(&baseline, nobody),
        "{what}"
    );
}

/// Asks `path` (with `{ref}` in it) about `reference` and about an incident that does not
/// exist, each within 10 s, and asserts the answers are alike.
async fn assert_hidden_get(api: &Api, token: &str, path: &str, reference: &str, nobody: &str) {
    let ask = |r: &str| {
        let path = path.replace("{ref}", r);
        async move {
            tokio::time::timeout(Duration::from_secs(10), api.get(&path, token))
                .await
                .unwrap_or_else(|_| panic!("GET {path} is answered at once"))
        }
    };
    let got = ask(reference).await;
    assert_eq!(
        got.status,
        StatusCode::NOT_FOUND,
        "GET {path}: {}",
        got.body
    );
    let baseline = ask(nobody).await;
    assert_absent(got, reference, baseline, nobody, &format!("GET {path}"));
}

#[tokio::test]
async fn restricted_incidents_exist_only_for_their_members() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let clock = system_clock();
    let sqlite: Arc<dyn Store> = Arc::new(
        SqliteStore::open(dir.path().join("server.db"), clock.clone()).expect("open the store"),
    );
    let (watched, mut empty_reads) = watched(sqlite);
    let served = serve(watched, clock).await;
    let api = &served.api;

    // Visibility is `open` (the default) or `restricted`, nothing else.
    let bad = json!({ "id": Uuid::now_v7(), "title": "t", "severity": 2, "visibility": "secret" });
    let msg = api
        .post("/api/v1/incidents", ALICE, &bad)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_event");
    assert!(msg.contains("visibility"), "{msg}");
    assert!(
        !api.listed(ALICE)
            .await
            .contains(bad["id"].as_str().unwrap())
    );
    let (open, _) = api.declare(ALICE, json!({ "title": "Open one" })).await;
    let (hidden, summary) = api
        .declare(
            ALICE,
            json!({ "title": "Payroll leak", "visibility": "restricted" }),
        )
        .await;
    let short = summary["short_id"]
        .as_str()
        .expect("a short id")
        .to_string();
    assert_eq!(summary["restricted"], true, "{summary}");
    let (open_s, hidden_s) = (open.to_string(), hidden.to_string());
    let note = |text: &str| json!([ev("note", json!({ "text": text }))]);
    api.append(&hidden_s, ALICE, note("the declarer is a member"))
        .await
        .ok(StatusCode::OK);
    let last = api.page(hidden, ALICE, 0).await["last_seq"]
        .as_i64()
        .unwrap();

    let nobody = Uuid::now_v7();
    let (nobody_s, nobody_short) = (nobody.to_string(), short_id(&nobody));
    let paths = [
        "/api/v1/incidents/{ref}",
        "/api/v1/incidents/{ref}/events",
        "/api/v1/incidents/{ref}/events?after=0&wait=30",
    ];
    // Bob (read-write) and rita (read-only) are not members: it does not exist for them.
    for t in [BOB, RITA] {
        let listed = api.listed(t).await;
        assert!(
            listed.contains(&open_s) && !listed.contains(&hidden_s),
            "{listed:?}"
        );
        for (reference, unknown) in [(&hidden_s, &nobody_s), (&short, &nobody_short)] {
            for path in paths {
                assert_hidden_get(api, t, path, reference, unknown).await;
            }
        }
    }
    for reference in [&hidden_s, &short] {
        let unknown = if reference == &short {
            &nobody_short
        } else {
            &nobody_s
        };
        let got = api.append(reference, BOB, note("bob writes")).await;
        assert_eq!(got.status, StatusCode::NOT_FOUND, "{}", got.body);
        let baseline = api.append(unknown, BOB, note("bob writes")).await;
        assert_absent(got, reference, baseline, unknown, "bob's POST");
        // A read-only token writes nowhere; what it is told must not tell this incident
        // apart from one that does not exist.
        let got = api.append(reference, RITA, note("rita writes")).await;
        assert!(!got.status.is_success(), "{}", got.body);
        let baseline = api.append(unknown, RITA, note("rita writes")).await;
        assert_absent(got, reference, baseline, unknown, "rita's POST");
    }
    assert_eq!(api.page(hidden, ALICE, 0).await["last_seq"], last);

    // The IC lets bob and rita in; a role lets carol in.
    let grants = json!([
        ev("access_granted", json!({ "handle": "bob" })),
        ev("access_granted", json!({ "handle": "rita" })),
        ev("role_assigned", json!({ "role": "ol", "handle": "carol" })),
    ]);
    api.append(&hidden_s, ALICE, grants)
        .await
        .ok(StatusCode::OK);
    for t in [BOB, RITA, CAROL] {
        assert!(api.listed(t).await.contains(&hidden_s));
        let by_id = api
            .get(&format!("/api/v1/incidents/{hidden}"), t)
            .await
            .ok(StatusCode::OK);
        let by_short = api
            .get(&format!("/api/v1/incidents/{short}"), t)
            .await
            .ok(StatusCode::OK);
        assert_eq!(by_id, by_short);
        assert_eq!(by_id["state"]["summary"]["id"], hidden_s.as_str());
        api.get(&format!("/api/v1/incidents/{short}/events"), t)
            .await
            .ok(StatusCode::OK);
    }
    api.append(&short, BOB, note("bob is in"))
        .await
        .ok(StatusCode::OK);
    api.append(&hidden_s, RITA, note("still read-only"))
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    assert!(
        !api.listed(ERIN).await.contains(&hidden_s),
        "erin is still out"
    );

    // Bob waits for news; the IC takes his access away: the wait ends at once with 404.
    let last = api.page(hidden, ALICE, 0).await["last_seq"]
        .as_i64()
        .unwrap();
    let waiting = |reads: &Vec<(Uuid, i64)>| reads.iter().filter(|r| **r == (hidden, last)).count();
    let before = waiting(&empty_reads.borrow_and_update());
    let poll = {
        let (api, path) = (
            api.clone(),
            format!("/api/v1/incidents/{hidden}/events?after={last}&wait=30"),
        );
        tokio::spawn(async move {
            let started = Instant::now();
            let answer = api.get(&path, BOB).await;
            (started.elapsed(), answer)
        })
    };
    tokio::time::timeout(
        Duration::from_secs(10),
        empty_reads.wait_for(|reads| waiting(reads) > before),
    )
    .await
    .expect("bob's long-poll starts waiting")
    .expect("the store is alive");
    let revoke = ev("access_revoked", json!({ "handle": "bob" }));
    api.append(&hidden_s, ALICE, json!([revoke]))
        .await
        .ok(StatusCode::OK);
    let (elapsed, answer) = tokio::time::timeout(Duration::from_secs(10), poll)
        .await
        .expect("the revoke ends bob's wait well before its 30 s")
        .expect("the poll task");
    let msg = answer.error(StatusCode::NOT_FOUND, "not_found");
    assert!(msg.contains(&hidden_s), "{msg}");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");

    // From then on it does not exist for bob; for the others nothing changed.
    assert!(!api.listed(BOB).await.contains(&hidden_s));
    for (reference, unknown) in [(&hidden_s, &nobody_s), (&short, &nobody_short)] {
        for path in paths {
            assert_hidden_get(api, BOB, path, reference, unknown).await;
        }
    }
    api.append(&hidden_s, BOB, note("bob again"))
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    for t in [ALICE, RITA, CAROL] {
        api.get(&format!("/api/v1/incidents/{hidden}"), t)
            .await
            .ok(StatusCode::OK);
    }
    assert_eq!(
        api.page(hidden, ALICE, 0).await["last_seq"],
        last + 1,
        "only the revoke was stored"
    );
    served.stop().await;
}

/// A client whose access was taken away may still retry something it sent while it was a
/// member (its outbox does exactly that after a lost answer). The incident must still not
/// exist for it: 404, as for an incident that does not exist, not the stored event's seq.
async fn revoked_member_retries_an_old_event(store: Arc<dyn Store>) {
    let served = serve(store, system_clock()).await;
    let api = &served.api;
    let (hidden, _) = api
        .declare(ALICE, json!({ "visibility": "restricted" }))
        .await;
    let reference = hidden.to_string();
    api.append(
        &reference,
        ALICE,
        json!([ev("access_granted", json!({ "handle": "bob" }))]),
    )
    .await
    .ok(StatusCode::OK);
    let bobs = ev("note", json!({ "text": "bob's finding" }));
    api.append(&reference, BOB, json!([bobs.clone()]))
        .await
        .ok(StatusCode::OK);
    api.append(
        &reference,
        ALICE,
        json!([ev("access_revoked", json!({ "handle": "bob" }))]),
    )
    .await
    .ok(StatusCode::OK);
    let last = api.page(hidden, ALICE, 0).await["last_seq"].clone();

    let nobody = Uuid::now_v7();
    let got = api.append(&reference, BOB, json!([bobs.clone()])).await;
    let fresh = ev("note", json!({ "text": "bob's finding" }));
    let baseline = api.append(&nobody.to_string(), BOB, json!([fresh])).await;
    assert_eq!(baseline.status, StatusCode::NOT_FOUND, "{}", baseline.body);
    assert_absent(
        got,
        &reference,
        baseline,
        &nobody.to_string(),
        "bob retrying his old note after the revoke",
    );
    assert_eq!(api.page(hidden, ALICE, 0).await["last_seq"], last);
    served.stop().await;
}

#[tokio::test]
async fn a_revoked_member_retrying_an_old_event_is_told_nothing() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let store =
        SqliteStore::open(dir.path().join("server.db"), system_clock()).expect("open the store");
    revoked_member_retries_an_old_event(Arc::new(store)).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL: set WARROOM_TEST_POSTGRES"]
async fn a_revoked_member_retrying_an_old_event_is_told_nothing_over_postgres() {
    let db = TestDb::create().await;
    let store = PgStore::connect(&db.url, system_clock(), Rules::default())
        .await
        .expect("connect to the test database");
    revoked_member_retries_an_old_event(Arc::new(store)).await;
    db.drop_db().await;
}

// ---------------------------------------------------------------------------------------
// d) and e): replicas (synchronous: a replica runs its own runtime for the network)
// ---------------------------------------------------------------------------------------

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

/// A server database at `db` with the test tokens, served on a free port by `rt`.
fn start_server(rt: &Runtime, db: &Path) -> common::Server {
    rt.block_on(common::Server::start_at(db, &TOKENS))
}

fn replica(data_dir: &Path, url: &str, handle: &str) -> Replica {
    Replica::open_shared(data_dir, url, token(handle), handle, system_clock())
        .unwrap_or_else(|e| panic!("open {handle}'s replica: {e}"))
}

fn note(text: &str) -> EventKind {
    EventKind::Note { text: text.into() }
}

/// Every file under `root` (recursively) whose bytes contain `needle`.
fn files_containing(root: &Path, needle: &[u8]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("read a directory") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let bytes =
                    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
                if bytes.windows(needle.len()).any(|w| w == needle) {
                    found.push(path);
                }
            }
        }
    }
    found
}

fn write_file(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("make the folder");
    std::fs::write(path, text).expect("write the file");
}

#[test]
fn a_redaction_leaves_no_trace_on_the_server_or_any_replica() {
    let rt = runtime();
    let dir = TempDir::new().unwrap();
    let (server_dir, alice_dir, bob_dir) = (
        dir.path().join("server"),
        dir.path().join("alice"),
        dir.path().join("bob"),
    );
    let server = start_server(&rt, &server_dir.join("server.db"));
    let url = server.url();
    let api = Api::new(url.clone());
    let alice = replica(&alice_dir, &url, "alice");
    let bob = replica(&bob_dir, &url, "bob");

    let (summary, outcome) = alice
        .declare(
            "Primary database unreachable",
            Severity::MAJOR,
            "",
            None,
            false,
            false,
        )
        .expect("declare");
    assert!(matches!(outcome, Recorded::Confirmed(_)), "{outcome:?}");
    let incident = summary.id;
    bob.sync().expect("bob syncs");
    let secret = format!("hunter2-{}", Uuid::now_v7().simple());
    let text = format!("db password is {secret}");
    let kept = "replica lag is 40s on db-2";
    for t in [text.as_str(), kept] {
        let got = bob
            .record(incident, vec![(bob.now(), note(t))])
            .expect("note");
        assert!(matches!(got, Recorded::Confirmed(_)), "{got:?}");
    }
    alice.sync().expect("alice syncs");
    bob.sync().expect("bob syncs");
    let note_id = bob
        .view(incident)
        .expect("bob's view")
        .confirmed
        .iter()
        .find(|e| matches!(&e.kind, EventKind::Note { text: t } if *t == text))
        .expect("bob's note is confirmed")
        .id;

    // Text written from the incident beside each replica: drafts and a postmortem.
    let bob_draft = bob_dir
        .join("drafts")
        .join(format!("{incident}-internal.txt"));
    let bob_draft_text = format!("Internal update\n\nWhat we know:\n{text}\n{kept}\n");
    let bob_report = bob_dir
        .join("postmortems")
        .join(format!("{}.md", summary.short_id));
    let bob_report_text = format!("# Postmortem\n\n| 10:02 | bob | {text} (pasted by mistake) |\n");
    let alice_draft = alice_dir
        .join("drafts")
        .join(format!("{incident}-external.txt"));
    let alice_draft_text = format!("We are investigating.\n> {text}\n");
    let unrelated = bob_dir.join("drafts").join("unrelated.txt");
    let unrelated_text = format!("{kept}\nnothing secret here\n");
    for (path, content) in [
        (&bob_draft, &bob_draft_text),
        (&bob_report, &bob_report_text),
        (&alice_draft, &alice_draft_text),
        (&unrelated, &unrelated_text),
    ] {
        write_file(path, content);
    }
    // The secret is on every machine's disk now, so the search below can find it.
    let before = files_containing(dir.path(), secret.as_bytes());
    for place in [
        &server_dir,
        &alice_dir.join("replicas"),
        &bob_dir.join("replicas"),
    ] {
        assert!(
            before.iter().any(|p| p.starts_with(place)),
            "the secret is stored under {}: {before:?}",
            place.display()
        );
    }

    // The IC redacts bob's note; both replicas sync.
    let reason = "a credential was pasted";
    let redaction = EventKind::EventRedacted {
        event: note_id,
        reason: reason.into(),
    };
    let got = alice
        .record(incident, vec![(alice.now(), redaction)])
        .expect("redact");
    assert!(matches!(got, Recorded::Confirmed(_)), "{got:?}");
    alice.sync().expect("alice syncs");
    bob.sync().expect("bob syncs");

    // The server: the entry keeps its place, without its text, marked redacted.
    let shown = rt.block_on(api.state(incident, ALICE));
    let digest = shown["digest"].as_str().expect("a digest").to_string();
    let marked = shown["state"]["redactions"]["latest"]
        .as_array()
        .expect("redactions")
        .iter()
        .find(|r| r["event"] == note_id.to_string())
        .expect("the redacted note");
    assert_eq!(marked["by"], "alice", "{}", shown["state"]);
    assert_eq!(marked["reason"], reason);
    let page = rt.block_on(api.page(incident, BOB, 0));
    let on_log = events_of(&page)
        .iter()
        .find(|e| e["id"] == note_id.to_string())
        .expect("the redacted note is still on the timeline");
    assert_eq!(on_log["type"], "note");
    assert_eq!(on_log["author"], "bob");
    assert_eq!(on_log["text"], "", "{on_log}");
    assert!(
        events_of(&page).iter().any(|e| e["text"] == kept),
        "the other note is untouched"
    );

    // Each replica: the same, and the same state as the server's.
    for (who, r) in [("alice", &alice), ("bob", &bob)] {
        let view = r.view(incident).expect("a view");
        assert!(view.pending.is_empty(), "{who}: {:?}", view.pending);
        let e = view
            .confirmed
            .iter()
            .find(|e| e.id == note_id)
            .unwrap_or_else(|| panic!("{who}: the note keeps its place"));
        assert!(
            matches!(&e.kind, EventKind::Note { text } if text.is_empty()),
            "{who}: {:?}",
            e.kind
        );
        let r = view
            .state
            .redactions
            .get(&note_id)
            .unwrap_or_else(|| panic!("{who}: marked redacted"));
        assert_eq!(
            (r.by.as_str(), r.reason.as_str()),
            ("alice", reason),
            "{who}"
        );
        assert_eq!(view.state.digest(), digest, "{who}'s state is the server's");
    }

    // The files beside the replicas have the text replaced; others are left alone.
    for (path, content) in [
        (&bob_draft, &bob_draft_text),
        (&bob_report, &bob_report_text),
        (&alice_draft, &alice_draft_text),
    ] {
        let now = std::fs::read_to_string(path).expect("read");
        assert_eq!(
            now,
            content.replace(&text, "[redacted]"),
            "{}",
            path.display()
        );
    }
    assert_eq!(std::fs::read_to_string(&unrelated).unwrap(), unrelated_text);

    // Everything stopped and closed: not one byte of the secret is left on any disk.
    drop(alice);
    drop(bob);
    rt.block_on(server.close());
    let after = files_containing(dir.path(), secret.as_bytes());
    assert!(after.is_empty(), "the secret is still in {after:?}");
}

#[test]
fn changes_queued_offline_are_judged_when_they_arrive() {
    let rt = runtime();
    let dir = TempDir::new().unwrap();
    let mut server = start_server(&rt, &dir.path().join("server.db"));
    let url = server.url();
    let api = Api::new(url.clone());
    let alice = replica(&dir.path().join("alice"), &url, "alice");
    let bob = replica(&dir.path().join("bob"), &url, "bob");
    let (summary, _) = alice
        .declare("Checkout latency", Severity::MAJOR, "", None, false, false)
        .expect("declare");
    let incident = summary.id;
    let roles = [Role::Cl, Role::Pl].map(|role| {
        (
            alice.now(),
            EventKind::RoleAssigned {
                role,
                handle: "bob".into(),
            },
        )
    });
    let got = alice.record(incident, roles.to_vec()).expect("assign");
    assert!(matches!(got, Recorded::Confirmed(_)), "{got:?}");
    bob.sync().expect("bob syncs");
    let roster = bob.view(incident).unwrap().state.roster;
    assert_eq!(roster.holder(Role::Cl), Some("bob"));
    assert_eq!(roster.holder(Role::Pl), Some("bob"));

    // Bob loses the server and carries on as the CL and PL.
    rt.block_on(server.stop());
    let update = EventKind::CommsSent {
        audience: Audience::Internal,
        text: "Checkout is slow; next update at 10:30".into(),
        checklist: ChecklistResult::default(),
        override_reason: None,
        next_update_due: None,
        lang: None,
        versions: Vec::new(),
    };
    let assessed = EventKind::PrivacyAssessed {
        assessment: PrivacyAssessment::PossibleBreach,
        notes: "card numbers in a log".into(),
    };
    for kind in [
        note("rolled back the canary"),
        update,
        note("p99 back under 300ms"),
        assessed,
    ] {
        let got = bob
            .record(incident, vec![(bob.now(), kind)])
            .expect("record");
        assert_eq!(got, Recorded::Pending, "offline, it waits");
    }
    let queued: Vec<Uuid> = bob
        .store()
        .outbox(Some(incident))
        .unwrap()
        .iter()
        .map(|p| p.event.id)
        .collect();
    assert_eq!(queued.len(), 4);
    let update_id = queued[1];

    // The server is back; before bob reconnects, the IC takes the CL role back (through
    // the API: her replica would hold a connection to the old server and may leave the
    // change pending, which is not what is tested here).
    rt.block_on(server.serve_again());
    let release = ev("role_released", json!({ "role": "cl" }));
    let body = rt
        .block_on(api.append(&incident.to_string(), ALICE, json!([release.clone()])))
        .ok(StatusCode::OK);
    let released = accepted(&body);
    assert_eq!(released.len(), 1, "{body}");
    assert_eq!(released[0].0, id_of(&release));
    let released_seq = released[0].1;

    // Bob reconnects: his update is refused, the rest arrive once each, in his order.
    let pushed = bob.sync().expect("bob syncs");
    assert_eq!(pushed.delivered, 3, "{pushed:?}");
    assert_eq!(pushed.rejected.len(), 1, "{pushed:?}");
    let (refused, why) = &pushed.rejected[0];
    assert_eq!(*refused, update_id);
    assert!(why.contains(&update_id.to_string()), "{why}");
    assert!(why.contains("Communications Lead"), "{why}");
    let outbox = bob.store().outbox(None).unwrap();
    assert_eq!(
        outbox.len(),
        1,
        "only the refused change is kept: {outbox:?}"
    );
    assert_eq!(outbox[0].event.id, update_id);
    assert_eq!(outbox[0].rejected.as_deref(), Some(why.as_str()));
    // The reason kept is the server's own sentence for that change.
    let resent = serde_json::to_value(&outbox[0].event).expect("the change as JSON");
    let said = rt
        .block_on(api.append(&incident.to_string(), BOB, json!([resent])))
        .error(StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(&said, why);
    let status = bob.link_status(Link::Connected).unwrap();
    assert_eq!((status.pending, status.rejected), (0, 1));
    assert!(
        status.describe(Utc::now()).contains("1 REJECTED"),
        "{}",
        status.describe(Utc::now())
    );

    let log = server.store.all_events(incident).unwrap();
    let ids: Vec<Uuid> = log.iter().map(|e| e.id).collect();
    assert_eq!(
        ids.iter().collect::<HashSet<_>>().len(),
        ids.len(),
        "no duplicates"
    );
    assert!(
        !ids.contains(&update_id),
        "the refused update is not on the log"
    );
    let delivered: Vec<(Uuid, i64)> = log
        .iter()
        .filter(|e| queued.contains(&e.id))
        .map(|e| (e.id, e.seq.expect("a seq")))
        .collect();
    let expected: Vec<(Uuid, i64)> = [queued[0], queued[2], queued[3]]
        .into_iter()
        .zip(released_seq + 1..)
        .collect();
    assert_eq!(delivered, expected, "after the release, in bob's order");

    // Syncing again sends nothing twice and keeps the refusal.
    let again = bob.sync().expect("bob syncs again");
    assert_eq!((again.delivered, again.rejected.len()), (0, 0), "{again:?}");
    assert_eq!(server.store.all_events(incident).unwrap().len(), log.len());
    assert_eq!(bob.store().outbox(None).unwrap(), outbox);

    // Bob's state is the server's: the CL is back with alice, the assessment stands.
    let shown = rt.block_on(api.state(incident, ALICE));
    let view = bob.view(incident).unwrap();
    assert_eq!(view.state.roster.holder(Role::Cl), Some("alice"));
    assert_eq!(view.state.privacy, PrivacyAssessment::PossibleBreach);
    assert_eq!(view.state.digest(), shown["digest"].as_str().unwrap());
    rt.block_on(server.stop());
}

/// Redacting the declaration itself: its title is text a person wrote, and every copy of it
/// goes, including the incident lists the server and each replica keep.
#[test]
fn a_redacted_title_leaves_no_trace_on_the_server_or_any_replica() {
    let rt = runtime();
    let dir = TempDir::new().unwrap();
    let server = start_server(&rt, &dir.path().join("server").join("server.db"));
    let url = server.url();
    let api = Api::new(url.clone());
    let alice = replica(&dir.path().join("alice"), &url, "alice");
    let bob = replica(&dir.path().join("bob"), &url, "bob");
    let secret = format!("AKIA{}", Uuid::now_v7().simple());
    let title = format!("Key {secret} leaked on the status page");
    let (summary, outcome) = alice
        .declare(&title, Severity::MAJOR, "", None, false, false)
        .expect("declare");
    assert!(matches!(outcome, Recorded::Confirmed(_)), "{outcome:?}");
    let incident = summary.id;
    bob.sync().expect("bob syncs");
    let declaration = bob
        .view(incident)
        .expect("bob's view")
        .confirmed
        .first()
        .expect("the declaration")
        .id;
    assert!(!files_containing(dir.path(), secret.as_bytes()).is_empty());

    let redaction = EventKind::EventRedacted {
        event: declaration,
        reason: "a key in the title".into(),
    };
    let got = alice
        .record(incident, vec![(alice.now(), redaction)])
        .expect("redact");
    assert!(matches!(got, Recorded::Confirmed(_)), "{got:?}");
    alice.sync().expect("alice syncs");
    bob.sync().expect("bob syncs");

    let shown = rt.block_on(api.state(incident, ALICE));
    let server_title = shown["state"]["summary"]["title"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!server_title.contains(&secret), "{server_title}");
    let listed = rt
        .block_on(api.get("/api/v1/incidents", BOB))
        .ok(StatusCode::OK);
    assert!(!listed.to_string().contains(&secret), "{listed}");
    for (who, r) in [("alice", &alice), ("bob", &bob)] {
        let view = r.view(incident).expect("a view");
        assert_eq!(view.state.summary.title, server_title, "{who}'s view");
        assert_eq!(
            view.state.digest(),
            shown["digest"].as_str().unwrap(),
            "{who}"
        );
        let mine = r.resolve(&incident.to_string()).expect("listed");
        assert_eq!(mine.title, server_title, "{who}'s incident list");
    }

    drop(alice);
    drop(bob);
    rt.block_on(server.close());
    let after = files_containing(dir.path(), secret.as_bytes());
    assert!(after.is_empty(), "the secret is still in {after:?}");
}
