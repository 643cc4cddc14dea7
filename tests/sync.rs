//! Sync between replicas and a real server: work done offline, a client killed in the
//! middle of a push, concurrent clients converging, a server restarted under a running
//! console, and the failures a person must be told about (bad token, nothing listening,
//! something that is not warroom, a refused change).
//!
//! Servers run in this process on 127.0.0.1 over a SQLite file in a temp dir (restarted on
//! the same file and the same address); CLI cases run the real `warroom` binary. Nothing
//! sleeps to wait for something: every wait polls a condition or a channel, bounded.

// Tests fail by panicking, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use tempfile::TempDir;
use tokio::runtime::Runtime;
use tokio::sync::{mpsc, watch};
use uuid::Uuid;
use warroom::clock::{Clock, SystemClock};
use warroom::domain::event::{
    Event, EventKind, HandoverBrief, Outcome, Role, Severity, TheoryStatus,
};
use warroom::domain::incident::Incident;
use warroom::store::outbox::Pending;
use warroom::store::{SqliteStore, Store, hash_token};
use warroom::sync::engine::{Link, LinkStatus};
use warroom::sync::{Recorded, Replica, shared_path};

use common::Token;

const ALICE: &str = "wr_test_sync_alice";
const BOB: &str = "wr_test_sync_bob";
const CAROL: &str = "wr_test_sync_carol";
const DAVE: &str = "wr_test_sync_dave";
const ERIN: &str = "wr_test_sync_erin";
/// Read-only: can read everything, change nothing.
const RITA: &str = "wr_test_sync_rita_read_only";
/// Revoked in the middle of a test.
const MALLORY: &str = "wr_test_sync_mallory";

/// The tokens in the test server's store.
const TOKENS: [Token; 7] = [
    Token::read_write("alice", ALICE),
    Token::read_write("bob", BOB),
    Token::read_write("carol", CAROL),
    Token::read_write("dave", DAVE),
    Token::read_write("erin", ERIN),
    Token::read_only("rita", RITA),
    Token::read_write("mallory", MALLORY),
];

/// The read-write responders, in order.
const CLIENTS: [(&str, &str); 5] = [
    ("alice", ALICE),
    ("bob", BOB),
    ("carol", CAROL),
    ("dave", DAVE),
    ("erin", ERIN),
];

fn clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

/// A seed from the environment (`SYNC_SEED`) or the clock, printed so a failure replays.
fn seed(test: &str) -> u64 {
    let seed = std::env::var("SYNC_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(7, |d| d.as_nanos() as u64)
        });
    eprintln!("{test}: SYNC_SEED={seed}");
    seed
}

/// Polls `done` until it holds, at most `limit`, with short waits between tries.
fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A warroom server in this process over a SQLite file, stoppable and restartable on the
/// same file and the same address, served by the test's runtime (its store, file, address
/// and URL are those of the shared [`common::Server`] inside).
struct Server(common::Server);

impl std::ops::Deref for Server {
    type Target = common::Server;

    fn deref(&self) -> &common::Server {
        &self.0
    }
}

impl Server {
    /// A fresh database in `dir` holding the test tokens, served on a free port.
    fn start(rt: &Runtime, dir: &Path) -> Server {
        Server(rt.block_on(common::Server::start_at(&dir.join("server.db"), &TOKENS)))
    }

    /// Stops the server: no more connections, long-polls ended. The database stays.
    fn stop(&mut self, rt: &Runtime) {
        rt.block_on(self.0.stop());
    }

    /// A new server process's worth of state (store, wakeups, token cache) on the same
    /// database and the same address.
    fn restart(&mut self, rt: &Runtime) {
        rt.block_on(self.0.restart());
    }

    fn events(&self, incident: Uuid) -> Vec<Event> {
        self.store
            .all_events(incident)
            .expect("read the server's log")
    }

    fn last_seq(&self, incident: Uuid) -> i64 {
        self.store
            .incidents_blocking()
            .expect("read the server's incidents")
            .iter()
            .find(|i| i.id == incident)
            .map_or(0, |i| i.last_seq)
    }

    /// The server's own answer to `GET /api/v1/incidents/{id}`.
    fn state(&self, rt: &Runtime, incident: Uuid) -> Value {
        let url = format!("{}/api/v1/incidents/{incident}", self.url());
        rt.block_on(async {
            reqwest::Client::new()
                .get(url)
                .bearer_auth(ALICE)
                .send()
                .await
                .expect("the server answers")
                .error_for_status()
                .expect("200")
                .json::<Value>()
                .await
                .expect("JSON")
        })
    }

    fn incident_by_short_id(&self, short: &str) -> Uuid {
        self.store
            .incidents_blocking()
            .expect("read the server's incidents")
            .into_iter()
            .find(|i| i.short_id == short)
            .unwrap_or_else(|| panic!("no incident {short} on the server"))
            .id
    }
}

/// The binary as a shared-mode client: its own data dir, this server and token, nothing
/// from the caller's environment.
fn cli(data_dir: &Path, url: &str, token: &str) -> Command {
    let mut cmd = common::warroom(data_dir);
    cmd.args(["--server", url, "--token", token])
        .stdin(Stdio::null());
    cmd
}

struct Ran {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut Command) -> Ran {
    let out = cmd.output().expect("run warroom");
    Ran {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn run_ok(cmd: &mut Command) -> Ran {
    let ran = run(cmd);
    assert!(
        ran.ok,
        "{cmd:?} failed\nstdout: {}\nstderr: {}",
        ran.stdout, ran.stderr
    );
    ran
}

fn run_failing(cmd: &mut Command) -> Ran {
    let ran = run(cmd);
    assert!(
        !ran.ok,
        "{cmd:?} should fail\nstdout: {}\nstderr: {}",
        ran.stdout, ran.stderr
    );
    ran
}

/// `warroom declare` through the server: answers the short id (confirmed, not pending).
fn declare(data_dir: &Path, url: &str, token: &str, title: &str) -> String {
    let ran =
        run_ok(cli(data_dir, url, token).args(["declare", "--title", title, "--severity", "2"]));
    assert!(
        !ran.stderr.contains("pending"),
        "the server is up: the declaration is confirmed at once: {}",
        ran.stderr
    );
    ran.stdout.trim().to_string()
}

/// What waits in a client's outbox for the server `url`, read from its replica file.
fn outbox(data_dir: &Path, url: &str) -> Vec<Pending> {
    let store = SqliteStore::open(shared_path(data_dir, url), clock()).expect("the replica");
    let pending = store.outbox(None).expect("read the outbox");
    store.close();
    pending
}

/// The `notes` of an experiment's outcome.
fn note_or_notes(e: &Event) -> &str {
    match &e.kind {
        EventKind::ExperimentOutcome { notes, .. } => notes,
        other => panic!("expected an outcome, got {other:?}"),
    }
}

fn note_text(e: &Event) -> &str {
    match &e.kind {
        EventKind::Note { text } => text,
        other => panic!("expected a note, got {other:?}"),
    }
}

fn assert_unique_ids<'a>(ids: impl IntoIterator<Item = &'a Uuid>) -> usize {
    let mut seen = HashSet::new();
    for id in ids {
        assert!(seen.insert(*id), "event {id} is stored twice");
    }
    seen.len()
}

/// The events of an incident as a second client sees them (`warroom events --json`).
fn events_seen_by(data_dir: &Path, url: &str, token: &str, short: &str) -> Vec<Value> {
    run_ok(cli(data_dir, url, token).args(["events", short, "--json"]))
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

#[test]
fn changes_made_offline_arrive_once_each_in_order() {
    const CHANGES: usize = 100;
    let rt = runtime();
    let dir = TempDir::new().unwrap();
    let mut server = Server::start(&rt, dir.path());
    let url = server.url();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let short = declare(&a, &url, ALICE, "Checkout failing");
    let incident = server.incident_by_short_id(&short);

    server.stop(&rt);
    for n in 0..CHANGES {
        let text = format!("text-{n}");
        let ran = run_ok(cli(&a, &url, ALICE).args(["log", &short, &text]));
        assert!(
            ran.stdout.contains("pending"),
            "change {n} offline says pending: {}",
            ran.stdout
        );
    }
    let waiting = outbox(&a, &url);
    assert_eq!(waiting.len(), CHANGES, "all of them wait in the outbox");
    assert!(waiting.iter().all(Pending::is_waiting));

    // Same database, same address: the client knows nothing changed.
    server.restart(&rt);
    let ran = run_ok(cli(&a, &url, ALICE).arg("sync"));
    assert!(ran.stdout.contains("in sync"), "{}", ran.stdout);
    assert!(outbox(&a, &url).is_empty());

    // The server has each once, in the order they were made.
    let stored = server.events(incident);
    assert_eq!(
        stored.len(),
        CHANGES + 1,
        "the declaration and every change"
    );
    assert_unique_ids(stored.iter().map(|e| &e.id));
    for (n, e) in stored[1..].iter().enumerate() {
        assert_eq!(note_text(e), format!("text-{n}"));
        assert_eq!(e.seq, Some(n as i64 + 2));
        assert_eq!(e.author, "alice");
    }
    let ids: Vec<Uuid> = waiting.iter().map(|p| p.event.id).collect();
    let stored_ids: Vec<Uuid> = stored[1..].iter().map(|e| e.id).collect();
    assert_eq!(stored_ids, ids, "the ids the client made, in its order");

    // And a second client reads the same log.
    let seen = events_seen_by(&b, &url, BOB, &short);
    assert_eq!(seen.len(), CHANGES + 1);
    for (n, e) in seen[1..].iter().enumerate() {
        assert_eq!(e["type"], "note");
        assert_eq!(e["text"], format!("text-{n}"));
        assert_eq!(e["seq"], n as i64 + 2);
        assert_eq!(e["id"], ids[n].to_string());
    }
}

#[test]
fn killing_the_client_mid_push_loses_nothing_and_duplicates_nothing() {
    // Enough changes for a few dozen kills: each must be likely to land, now and then,
    // between the server's answer and the client's record of it.
    const CHANGES: usize = 6000;
    let rt = runtime();
    let dir = TempDir::new().unwrap();
    let mut server = Server::start(&rt, dir.path());
    let url = server.url();
    let a = dir.path().join("a");
    let short = declare(&a, &url, ALICE, "Queue backlog");
    let incident = server.incident_by_short_id(&short);

    // Many changes made while the server is down: they wait in the outbox.
    server.stop(&rt);
    {
        let replica = Replica::open_shared(&a, &url, ALICE, "alice", clock()).unwrap();
        for chunk in 0..CHANGES / 500 {
            let kinds = (0..500)
                .map(|k| {
                    let text = format!("change-{}", chunk * 500 + k);
                    (replica.now(), EventKind::Note { text })
                })
                .collect();
            assert_eq!(replica.record(incident, kinds).unwrap(), Recorded::Pending);
        }
    }
    let made: Vec<Uuid> = outbox(&a, &url).iter().map(|p| p.event.id).collect();
    assert_eq!(made.len(), CHANGES);
    server.restart(&rt);

    // `warroom sync`, killed with SIGKILL at random points: just after the server has taken
    // a batch (the client may not have recorded the answer yet), and once everything is
    // delivered, somewhere in the pull.
    let total = CHANGES as i64 + 1;
    let mut rng = StdRng::seed_from_u64(seed("kill -9"));
    let (mut kills, mut in_doubt) = (0, 0);
    for attempt in 0..40 {
        let before = server.last_seq(incident);
        let target = before + rng.random_range(1..=500);
        let extra_polls = rng.random_range(0..40);
        let mut child = cli(&a, &url, ALICE)
            .arg("sync")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn warroom sync");
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut polls_after = None;
        let finished = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if polls_after.is_none() && (server.last_seq(incident) >= target || before == total) {
                polls_after = Some(extra_polls);
            }
            match polls_after {
                Some(0) => {
                    child.kill().expect("SIGKILL");
                    child.wait().unwrap();
                    break None;
                }
                Some(n) => polls_after = Some(n - 1),
                None => {}
            }
            assert!(Instant::now() < deadline, "warroom sync took over 30 s");
            std::thread::sleep(Duration::from_micros(250));
        };
        match finished {
            Some(status) => {
                assert!(status.success(), "attempt {attempt}: sync ended {status:?}");
                break;
            }
            None => kills += 1,
        }
        // Changes the server has but the client still thinks undelivered: a retry must not
        // duplicate them.
        let on_server: HashSet<Uuid> = server.events(incident).iter().map(|e| e.id).collect();
        in_doubt += outbox(&a, &url)
            .iter()
            .filter(|p| p.is_waiting() && on_server.contains(&p.event.id))
            .count();
    }
    eprintln!(
        "kill -9: {kills} kills; after them, {in_doubt} changes (summed over kills) were on \
         the server while the client still had them waiting"
    );
    assert!(kills > 0, "at least one sync was killed");
    // Whether a kill landed between the server's answer and the client's record of it is
    // down to timing (it usually does, `in_doubt` above says how often); the checks below
    // hold either way.

    let ran = run_ok(cli(&a, &url, ALICE).arg("sync"));
    assert!(ran.stdout.contains("in sync"), "{}", ran.stdout);

    let stored = server.events(incident);
    assert_eq!(stored.len() as i64, total, "every change exactly once");
    assert_eq!(
        assert_unique_ids(stored.iter().map(|e| &e.id)),
        stored.len()
    );
    let seqs: Vec<i64> = stored.iter().filter_map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=total).collect::<Vec<_>>());
    let stored_ids: Vec<Uuid> = stored[1..].iter().map(|e| e.id).collect();
    assert_eq!(
        stored_ids, made,
        "the changes the client made, in its order"
    );
    for (n, e) in stored[1..].iter().enumerate() {
        assert_eq!(note_text(e), format!("change-{n}"));
    }
    // The client's replica mirrors the server and waits for nothing.
    assert!(outbox(&a, &url).is_empty());
    let replica = SqliteStore::open(shared_path(&a, &url), clock()).unwrap();
    let mirrored = replica.all_events(incident).unwrap();
    assert_eq!(
        mirrored.iter().map(|e| e.id).collect::<Vec<_>>(),
        stored.iter().map(|e| e.id).collect::<Vec<_>>()
    );
}

/// A random change this responder could make now, given what its replica shows.
fn random_change(rng: &mut StdRng, state: &Incident, me: usize, n: usize) -> EventKind {
    let tag = format!("{} #{n}", CLIENTS[me].0);
    let someone = CLIENTS[rng.random_range(0..CLIENTS.len())].0.to_string();
    match rng.random_range(0..10) {
        0 => EventKind::Observation {
            text: format!("p99 up on {tag}"),
            from_event: None,
        },
        1 => EventKind::Theory {
            text: format!("cache stampede? ({tag})"),
        },
        2 if !state.board.theories.is_empty() => {
            let t = &state.board.theories[rng.random_range(0..state.board.theories.len())];
            EventKind::TheoryStatusChanged {
                theory: t.id,
                status: if rng.random_bool(0.5) {
                    TheoryStatus::Supported
                } else {
                    TheoryStatus::Refuted
                },
                reason: tag,
            }
        }
        3 if !state.board.theories.is_empty() => {
            let t = &state.board.theories[rng.random_range(0..state.board.theories.len())];
            EventKind::Experiment {
                plan: format!("flush the cache ({tag})"),
                tests: vec![t.id],
            }
        }
        // Two clients may conclude one experiment at once: both reach the log, and every
        // machine folds them in seq order to the same state.
        4 if state.board.running_experiments().next().is_some() => {
            let e = state.board.running_experiments().next().unwrap();
            EventKind::ExperimentOutcome {
                experiment: e.id,
                outcome: Some(
                    [Outcome::Supports, Outcome::Refutes, Outcome::Inconclusive]
                        [rng.random_range(0..3)],
                ),
                verdicts: Vec::new(),
                notes: tag,
            }
        }
        5 => EventKind::RoleAssigned {
            role: [Role::Cl, Role::Ol, Role::Pl, Role::Po][rng.random_range(0..4)],
            handle: someone,
        },
        6 if state.summary.commander.as_deref() != Some(someone.as_str()) => {
            EventKind::CommandHandedOver {
                to: someone,
                brief: HandoverBrief {
                    current_state: tag,
                    ..HandoverBrief::default()
                },
            }
        }
        7 => EventKind::ResponderJoined {
            handle: CLIENTS[me].0.to_string(),
            skills: vec!["db".into()],
        },
        8 => EventKind::SeverityChanged {
            severity: Severity::new(rng.random_range(1..=3)).unwrap(),
            reason: tag,
        },
        _ => EventKind::Note {
            text: format!("note {tag}"),
        },
    }
}

/// `clients` responders change one incident at random, at once, each through its own
/// replica; after a final sync every replica folds to the server's state.
fn clients_converge(clients: usize, changes_each: usize) {
    let rt = runtime();
    let dir = TempDir::new().unwrap();
    let server = Server::start(&rt, dir.path());
    let url = server.url();
    let dirs: Vec<PathBuf> = (0..clients)
        .map(|c| dir.path().join(CLIENTS[c].0))
        .collect();
    let (incident, experiment) = {
        let ic = Replica::open_shared(&dirs[0], &url, ALICE, "alice", clock()).unwrap();
        let (summary, outcome) = ic
            .declare("Search latency", Severity::MAJOR, "", None, false, false)
            .unwrap();
        assert!(matches!(outcome, Recorded::Confirmed(_)), "{outcome:?}");
        let incident = summary.id;
        // An experiment every client will conclude at the same moment.
        let theory = EventKind::Theory {
            text: "a bad deploy".into(),
        };
        ic.record(incident, vec![(ic.now(), theory)]).unwrap();
        let tests = vec![ic.view(incident).unwrap().state.board.theories[0].id];
        let plan = "roll back one node".to_string();
        let experiment = EventKind::Experiment { plan, tests };
        ic.record(incident, vec![(ic.now(), experiment)]).unwrap();
        let experiment = ic.view(incident).unwrap().state.board.experiments[0].id;
        (incident, experiment)
    };
    let seed = seed(&format!("{clients} clients"));
    let start = Arc::new(Barrier::new(clients));
    let workers: Vec<_> = (0..clients)
        .map(|c| {
            let (data_dir, url, start) = (dirs[c].clone(), url.clone(), start.clone());
            std::thread::spawn(move || {
                let (handle, token) = CLIENTS[c];
                let replica = Replica::open_shared(&data_dir, &url, token, handle, clock())
                    .expect("open the replica");
                replica.sync().expect("first sync");
                let mut rng = StdRng::seed_from_u64(seed.wrapping_add(c as u64));
                start.wait();
                // All conclude the experiment at once: each replica still shows it running,
                // so each change passes its own check and goes to the server, which takes
                // the first and refuses the rest.
                let outcome = EventKind::ExperimentOutcome {
                    experiment,
                    outcome: Some([Outcome::Supports, Outcome::Refutes][c % 2]),
                    verdicts: Vec::new(),
                    notes: handle.to_string(),
                };
                let r = replica.record(incident, vec![(replica.now(), outcome)]);
                let (mut refused, mut rejected) = (0, 0);
                match r {
                    Ok(Recorded::Confirmed(_)) => {}
                    Ok(Recorded::Rejected(why)) => {
                        assert!(why.contains("already has an outcome"), "{handle}: {why}");
                        rejected += 1;
                    }
                    other => panic!("{handle}: {other:?}"),
                }
                for n in 0..changes_each {
                    let state = replica.view(incident).unwrap().state;
                    let kind = random_change(&mut rng, &state, c, n);
                    match replica.record(incident, vec![(replica.now(), kind)]) {
                        Ok(Recorded::Confirmed(_) | Recorded::Pending) => {}
                        // The server saw a newer state (command moved, the experiment was
                        // concluded...): kept in the outbox, marked rejected with the reason.
                        Ok(Recorded::Rejected(why)) => {
                            assert!(!why.is_empty(), "{handle}: a rejection says why");
                            rejected += 1;
                        }
                        // What this replica saw made the change invalid; nothing was written.
                        Err(e) if e.is_refusal() => refused += 1,
                        Err(e) => panic!("{handle}: {e}"),
                    }
                    if rng.random_bool(0.2) {
                        replica.sync().expect("sync");
                    }
                }
                (refused, rejected)
            })
        })
        .collect();
    let (refused, rejected) = workers
        .into_iter()
        .map(|w| w.join().expect("a client failed"))
        .fold((0, 0), |(a, b), (r, j)| (a + r, b + j));

    // A final sync of each (twice round, so the first ones also get the last ones' changes).
    let replicas: Vec<Replica> = dirs
        .iter()
        .enumerate()
        .map(|(c, data_dir)| {
            let (handle, token) = CLIENTS[c];
            Replica::open_shared(data_dir, &url, token, handle, clock()).unwrap()
        })
        .collect();
    for replica in replicas.iter().chain(&replicas) {
        replica.sync().expect("final sync");
    }
    let expected = server.state(&rt, incident);
    let digest = expected["digest"].as_str().expect("a digest").to_string();
    let stored = server.events(incident);
    assert_eq!(
        stored.len() + refused + rejected,
        3 + clients * (changes_each + 1),
        "the declaration and every change not refused on the spot or by the server reached \
         the server once"
    );
    assert_eq!(
        assert_unique_ids(stored.iter().map(|e| &e.id)),
        stored.len()
    );
    // Of the concurrent conclusions the server took exactly one, and it stands.
    let conclusions: Vec<&Event> = stored
        .iter()
        .filter(|e| {
            matches!(&e.kind, EventKind::ExperimentOutcome { experiment: x, notes, .. }
                if *x == experiment && CLIENTS.iter().any(|(h, _)| h == notes))
        })
        .collect();
    assert_eq!(conclusions.len(), 1, "one conclusion stored");
    let last = conclusions.last().unwrap();
    for (c, replica) in replicas.iter().enumerate() {
        let handle = CLIENTS[c].0;
        let state = replica.view(incident).unwrap().state;
        let concluded = state.board.experiment(experiment).unwrap();
        assert_eq!(concluded.notes, note_or_notes(last), "{handle}");
        let view = replica.view(incident).unwrap();
        assert!(
            view.pending.iter().all(|p| p.rejected.is_some()),
            "{handle}: nothing left waiting: {:?}",
            view.pending
        );
        assert_eq!(
            view.confirmed.len(),
            stored.len(),
            "{handle}: the whole log"
        );
        assert_eq!(
            view.state.digest(),
            digest,
            "{handle}'s state differs from the server's\nclient: {}\nserver: {}",
            serde_json::to_string(&view.state).unwrap(),
            expected["state"]
        );
    }
    eprintln!(
        "{clients} clients: {} events, {refused} refused on the spot, {rejected} by the \
         server, {} ignored by the fold",
        stored.len(),
        expected["state"]["ignored_events"]
    );
}

#[test]
fn two_clients_converge() {
    clients_converge(2, 40);
}

#[test]
fn five_clients_converge() {
    clients_converge(5, 30);
}

/// Waits on the status watch for a link matching `want`.
fn wait_for_link(
    rt: &Runtime,
    status: &mut watch::Receiver<LinkStatus>,
    what: &str,
    want: impl Fn(&Link) -> bool,
) -> LinkStatus {
    rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(20), status.wait_for(|s| want(&s.link)))
            .await
            .unwrap_or_else(|_| panic!("the link did not become {what} within 20 s"))
            .expect("the syncer is running")
            .clone()
    })
}

/// Waits on the `changed` channel until `done` holds.
fn wait_for_change(
    rt: &Runtime,
    changed: &mut mpsc::UnboundedReceiver<Uuid>,
    what: &str,
    mut done: impl FnMut() -> bool,
) {
    rt.block_on(async {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while !done() {
            match tokio::time::timeout_at(deadline, changed.recv()).await {
                Ok(Some(_)) => {}
                Ok(None) => panic!("the syncer stopped"),
                Err(_) => panic!("{what}: not within 20 s"),
            }
        }
    });
}

#[test]
fn a_console_rides_out_a_server_restart() {
    let rt = runtime();
    let dir = TempDir::new().unwrap();
    let mut server = Server::start(&rt, dir.path());
    let url = server.url();

    // Bob works from the command line; alice has the console open on the incident.
    let bob = Replica::open_shared(&dir.path().join("bob"), &url, BOB, "bob", clock()).unwrap();
    let (summary, _) = bob
        .declare("Login storm", Severity::CRITICAL, "", None, false, false)
        .unwrap();
    let incident = summary.id;
    let (alice, syncer, kick, _) = rt
        .block_on(Replica::open_shared_background(
            &dir.path().join("alice"),
            &url,
            ALICE,
            "alice",
            clock(),
        ))
        .unwrap();
    let (_focus, focus_rx) = watch::channel(Some(incident));
    let (changed_tx, mut changed) = mpsc::unbounded_channel();
    let (status_tx, mut status) = watch::channel(LinkStatus::solo());
    let task = rt.spawn(syncer.run(kick.clone(), focus_rx, changed_tx, status_tx));
    let count = |r: &Replica| r.view(incident).unwrap().confirmed.len();

    wait_for_link(&rt, &mut status, "connected", |l| *l == Link::Connected);
    wait_for_change(&rt, &mut changed, "alice gets the incident", || {
        count(&alice) == 1
    });
    // Live: bob's note reaches alice through her long-poll.
    let r = bob
        .record(incident, vec![(bob.now(), note("before the restart"))])
        .unwrap();
    assert!(matches!(r, Recorded::Confirmed(2)), "{r:?}");
    wait_for_change(&rt, &mut changed, "bob's note reaches alice", || {
        count(&alice) == 2
    });

    // The server goes away: the console says so.
    server.stop(&rt);
    let offline = wait_for_link(&rt, &mut status, "offline", |l| {
        matches!(l, Link::Offline { .. })
    });
    assert_eq!(offline.pending, 0);
    assert!(
        matches!(
            &offline.link,
            Link::Offline {
                retry_at: Some(_),
                ..
            }
        ),
        "offline with a retry time (backing off, not spinning): {:?}",
        offline.link
    );

    // Both keep working meanwhile.
    for n in 0..3 {
        let r = bob
            .record(
                incident,
                vec![(bob.now(), note(&format!("bob offline {n}")))],
            )
            .unwrap();
        assert_eq!(r, Recorded::Pending);
    }
    let r = alice
        .record(incident, vec![(alice.now(), note("alice offline"))])
        .unwrap();
    assert_eq!(r, Recorded::Pending);
    rt.block_on(async {
        tokio::time::timeout(
            Duration::from_secs(20),
            status.wait_for(|s| matches!(s.link, Link::Offline { .. }) && s.pending == 1),
        )
        .await
        .expect("the status shows alice's change pending while offline")
        .unwrap();
    });

    // A new server on the same database and address. Bob syncs by hand; alice's console
    // finds the server by itself, delivers her change and catches up on bob's.
    server.restart(&rt);
    bob.sync().expect("bob syncs");
    wait_for_link(&rt, &mut status, "connected again", |l| {
        *l == Link::Connected
    });
    wait_for_change(&rt, &mut changed, "alice catches up", || {
        let v = alice.view(incident).unwrap();
        v.confirmed.len() == 6 && v.pending.is_empty()
    });
    let mine = alice.view(incident).unwrap();
    let texts: Vec<&str> = mine.confirmed[1..].iter().map(note_text).collect();
    assert_eq!(texts[0], "before the restart");
    let mut offline_texts = texts[1..].to_vec();
    offline_texts.sort_unstable();
    assert_eq!(
        offline_texts,
        [
            "alice offline",
            "bob offline 0",
            "bob offline 1",
            "bob offline 2"
        ]
    );
    let server_state = server.state(&rt, incident);
    assert_eq!(
        mine.state.digest(),
        server_state["digest"].as_str().unwrap()
    );
    assert_eq!(server.events(incident).len(), 6);
    let s = status.borrow().clone();
    assert_eq!((s.pending, s.rejected), (0, 0), "{s:?}");

    // And live again: a new note from bob arrives through the long-poll.
    bob.record(incident, vec![(bob.now(), note("after the restart"))])
        .unwrap();
    wait_for_change(&rt, &mut changed, "live after the restart", || {
        count(&alice) == 7
    });
    task.abort();
}

fn note(text: &str) -> EventKind {
    EventKind::Note { text: text.into() }
}

/// Stderr lines that say something (the binary prints each message once, prefixed).
fn messages(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| !l.trim().is_empty()).collect()
}

#[test]
fn a_refused_token_is_named_and_the_change_is_kept() {
    let rt = runtime();
    let dir = TempDir::new().unwrap();
    let server = Server::start(&rt, dir.path());
    let url = server.url();
    let (a, m) = (dir.path().join("a"), dir.path().join("m"));
    let short = declare(&a, &url, ALICE, "Billing export stuck");
    let incident = server.incident_by_short_id(&short);
    run_ok(cli(&m, &url, MALLORY).arg("sync"));

    // A token the server has never seen: told at once, nothing written.
    let fresh = dir.path().join("fresh");
    let ran = run_failing(cli(&fresh, &url, "wr_not_a_real_token").args([
        "declare",
        "--title",
        "x",
        "--severity",
        "3",
    ]));
    assert_eq!(messages(&ran.stderr).len(), 1, "{}", ran.stderr);
    assert!(ran.stderr.contains("refused the token"), "{}", ran.stderr);
    assert!(outbox(&fresh, &url).is_empty());

    // Mallory's token is revoked while she works.
    rt.block_on(server.store.revoke_tokens("mallory")).unwrap();
    wait_until(
        "the revocation takes effect",
        Duration::from_secs(10),
        || {
            rt.block_on(async {
                reqwest::Client::new()
                    .get(format!("{url}/api/v1/me"))
                    .bearer_auth(MALLORY)
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == reqwest::StatusCode::UNAUTHORIZED)
            })
        },
    );
    let ran = run_failing(cli(&m, &url, MALLORY).args(["log", &short, "mallory's finding"]));
    assert!(ran.stderr.contains("refused the token"), "{}", ran.stderr);
    assert!(ran.stderr.contains("kept"), "{}", ran.stderr);
    let kept = outbox(&m, &url);
    assert_eq!(kept.len(), 1);
    assert!(kept[0].is_waiting(), "waiting, not refused: {:?}", kept[0]);
    assert_eq!(note_text(&kept[0].event), "mallory's finding");
    let ran = run_failing(cli(&m, &url, MALLORY).arg("sync"));
    assert!(ran.stderr.contains("refused the token"), "{}", ran.stderr);
    assert!(
        ran.stderr.contains("1 change(s) still pending"),
        "{}",
        ran.stderr
    );
    assert_eq!(outbox(&m, &url).len(), 1);

    // With a new token, the kept change is delivered.
    let renewed = "wr_test_sync_mallory_renewed";
    rt.block_on(
        server
            .store
            .add_token("mallory", &hash_token(renewed), false),
    )
    .unwrap();
    run_ok(cli(&m, &url, renewed).arg("sync"));
    assert!(outbox(&m, &url).is_empty());
    let stored = server.events(incident);
    assert_eq!(stored.len(), 2);
    assert_eq!(note_text(&stored[1]), "mallory's finding");
    assert_eq!(stored[1].author, "mallory");
}

#[test]
fn nothing_listening_is_named_and_the_changes_are_kept() {
    let dir = TempDir::new().unwrap();
    // A port that was free a moment ago and has no listener now.
    let url = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let a = dir.path().join("a");
    let ran =
        run_ok(cli(&a, &url, ALICE).args(["declare", "--title", "DNS flaps", "--severity", "2"]));
    let short = ran.stdout.trim().to_string();
    assert!(ran.stderr.contains("pending"), "{}", ran.stderr);
    let ran = run_ok(cli(&a, &url, ALICE).args(["log", &short, "resolver timeouts"]));
    assert!(ran.stdout.contains("pending"), "{}", ran.stdout);

    let ran = run_failing(cli(&a, &url, ALICE).arg("sync"));
    let said = messages(&ran.stderr);
    assert_eq!(said.len(), 1, "one message: {}", ran.stderr);
    assert!(said[0].contains("unreachable"), "{}", said[0]);
    assert!(said[0].contains("2 change(s) still pending"), "{}", said[0]);
    let kept = outbox(&a, &url);
    assert_eq!(kept.len(), 2);
    assert!(kept.iter().all(Pending::is_waiting));
}

/// A web server that is not warroom: every request gets a small HTML page.
async fn not_warroom(listener: tokio::net::TcpListener) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    loop {
        let Ok((mut conn, _)) = listener.accept().await else {
            return;
        };
        tokio::spawn(async move {
            // Read the head and any body, so closing does not reset the connection.
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            loop {
                let Ok(n) = conn.read(&mut chunk).await else {
                    return;
                };
                if n == 0 {
                    return;
                }
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf).to_ascii_lowercase();
                if let Some(end) = text.find("\r\n\r\n") {
                    let length = text[..end]
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if buf.len() >= end + 4 + length {
                        break;
                    }
                }
            }
            let page = "<html><body><h1>Welcome to nginx!</h1></body></html>";
            let reply = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                page.len()
            );
            let _ = conn.write_all(reply.as_bytes()).await;
            let _ = conn.shutdown().await;
        });
    }
}

#[test]
fn a_server_that_is_not_warroom_is_named_and_the_change_is_kept() {
    let rt = runtime();
    let dir = TempDir::new().unwrap();
    let mut server = Server::start(&rt, dir.path());
    let url = server.url();
    let a = dir.path().join("a");
    let short = declare(&a, &url, ALICE, "CDN purge failing");
    let incident = server.incident_by_short_id(&short);

    // A fresh client pointed at a plain web server is told at once; nothing is written.
    let web = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let web_url = format!("http://{}", web.local_addr().unwrap());
    let web_task = rt.spawn(not_warroom(web));
    let fresh = dir.path().join("fresh");
    let ran = run_failing(cli(&fresh, &web_url, ALICE).args([
        "declare",
        "--title",
        "x",
        "--severity",
        "3",
    ]));
    assert_eq!(messages(&ran.stderr).len(), 1, "{}", ran.stderr);
    assert!(ran.stderr.contains("warroom server"), "{}", ran.stderr);
    assert!(outbox(&fresh, &web_url).is_empty());
    web_task.abort();

    // The warroom server's address is taken over by something else.
    server.stop(&rt);
    // The port may take a moment to be free again (a closing socket still holds it).
    let web = rt.block_on(async {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            match tokio::net::TcpListener::bind(server.addr).await {
                Ok(l) => break l,
                Err(e) if tokio::time::Instant::now() < deadline => {
                    assert_eq!(e.kind(), std::io::ErrorKind::AddrInUse, "{e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("bind the old address: {e}"),
            }
        }
    });
    let web_task = rt.spawn(not_warroom(web));
    let ran = run_failing(cli(&a, &url, ALICE).args(["log", &short, "edge 503s"]));
    assert!(ran.stderr.contains("warroom server"), "{}", ran.stderr);
    assert!(ran.stderr.contains("kept"), "{}", ran.stderr);
    let ran = run_failing(cli(&a, &url, ALICE).arg("sync"));
    let said = messages(&ran.stderr);
    assert_eq!(said.len(), 1, "one message: {}", ran.stderr);
    assert!(said[0].contains("warroom server"), "{}", said[0]);
    assert!(said[0].contains("1 change(s) still pending"), "{}", said[0]);
    let kept = outbox(&a, &url);
    assert_eq!(kept.len(), 1);
    assert!(kept[0].is_waiting());

    // warroom is back: the change is delivered.
    rt.block_on(async {
        web_task.abort();
        let _ = web_task.await;
    });
    server.restart(&rt);
    run_ok(cli(&a, &url, ALICE).arg("sync"));
    let stored = server.events(incident);
    assert_eq!(stored.len(), 2);
    assert_eq!(note_text(&stored[1]), "edge 503s");
}

#[test]
fn a_refused_change_is_kept_shown_and_dropped_only_on_request() {
    let rt = runtime();
    let dir = TempDir::new().unwrap();
    let server = Server::start(&rt, dir.path());
    let url = server.url();
    let (a, r) = (dir.path().join("a"), dir.path().join("r"));
    let short = declare(&a, &url, ALICE, "Payments double-charging");
    let incident = server.incident_by_short_id(&short);

    // Rita's token reads but does not write.
    let ran = run_failing(cli(&r, &url, RITA).args(["log", &short, "customers complaining"]));
    assert!(ran.stderr.contains("refused"), "{}", ran.stderr);
    assert!(ran.stderr.contains("read-only"), "{}", ran.stderr);
    let kept = outbox(&r, &url);
    assert_eq!(kept.len(), 1, "kept, not dropped");
    let reason = kept[0].rejected.clone().expect("marked refused");
    assert!(reason.contains("read-only"), "{reason}");
    let refused_id = kept[0].event.id;

    // Shown as refused on the timeline.
    let ran = run_ok(cli(&r, &url, RITA).args(["events", &short]));
    let line = ran
        .stdout
        .lines()
        .find(|l| l.contains("customers complaining"))
        .unwrap_or_else(|| panic!("the refused change is shown: {}", ran.stdout));
    assert!(line.contains("REJECTED"), "{line}");

    // `warroom sync` fails naming it, and keeps it, however often it runs.
    for _ in 0..2 {
        let ran = run_failing(cli(&r, &url, RITA).arg("sync"));
        assert!(
            ran.stderr.contains(&refused_id.to_string()),
            "{}",
            ran.stderr
        );
        assert!(ran.stderr.contains("read-only"), "{}", ran.stderr);
        assert!(ran.stderr.contains("--drop-rejected"), "{}", ran.stderr);
        assert_eq!(outbox(&r, &url).len(), 1);
    }
    assert_eq!(server.events(incident).len(), 1, "nothing reached the log");

    // Only when asked is it dropped.
    let ran = run_ok(cli(&r, &url, RITA).args(["sync", "--drop-rejected"]));
    assert!(ran.stderr.contains("dropped"), "{}", ran.stderr);
    assert!(ran.stdout.contains("in sync"), "{}", ran.stdout);
    assert!(outbox(&r, &url).is_empty());
    run_ok(cli(&r, &url, RITA).arg("sync"));
}

#[test]
fn a_console_gets_new_incidents_and_their_changes_from_another_client_within_seconds() {
    let rt = runtime();
    let dir = TempDir::new().unwrap();
    let server = Server::start(&rt, dir.path());
    let url = server.url();
    let bob = Replica::open_shared(&dir.path().join("bob"), &url, BOB, "bob", clock()).unwrap();
    let (alice, syncer, kick, _) = rt
        .block_on(Replica::open_shared_background(
            &dir.path().join("alice"),
            &url,
            ALICE,
            "alice",
            clock(),
        ))
        .unwrap();
    // Alice's console shows the list: no incident is open, so only the list is watched.
    let (_focus, focus_rx) = watch::channel(None);
    let (changed_tx, mut changed) = mpsc::unbounded_channel();
    let (status_tx, mut status) = watch::channel(LinkStatus::solo());
    let task = rt.spawn(syncer.run(kick, focus_rx, changed_tx, status_tx));
    wait_for_link(&rt, &mut status, "connected", |l| *l == Link::Connected);

    // Well inside the half minute the list used to be refreshed on.
    let within = Duration::from_secs(10);
    let listed = |id: Uuid| alice.incidents().unwrap().into_iter().find(|s| s.id == id);
    let (declared, _) = bob
        .declare(
            "Ledger writes time out",
            Severity::CRITICAL,
            "",
            None,
            false,
            false,
        )
        .unwrap();
    wait_for_change_within(&rt, &mut changed, within, "the new incident", || {
        listed(declared.id).is_some()
    });
    let r = bob
        .record(
            declared.id,
            vec![(
                bob.now(),
                EventKind::RoleAssigned {
                    role: Role::Ol,
                    handle: "alice".into(),
                },
            )],
        )
        .unwrap();
    assert!(matches!(r, Recorded::Confirmed(_)), "{r:?}");
    wait_for_change_within(&rt, &mut changed, within, "the role given to alice", || {
        listed(declared.id).is_some_and(|s| {
            s.attention
                .handed
                .get(&Role::Ol)
                .is_some_and(|h| h.handle == "alice")
        })
    });
    task.abort();
}

/// Waits on the `changed` channel until `done` holds, at most `limit`.
fn wait_for_change_within(
    rt: &Runtime,
    changed: &mut mpsc::UnboundedReceiver<Uuid>,
    limit: Duration,
    what: &str,
    mut done: impl FnMut() -> bool,
) {
    rt.block_on(async {
        let deadline = tokio::time::Instant::now() + limit;
        while !done() {
            match tokio::time::timeout_at(deadline, changed.recv()).await {
                Ok(Some(_)) => {}
                Ok(None) => panic!("the syncer stopped"),
                Err(_) => panic!("{what}: not within {limit:?}"),
            }
        }
    });
}
