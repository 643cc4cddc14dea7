//! The console's costs: one frame, and start to first frame.
//!
//! - `frame_160x48/{100,100000}`: `view::view` of an incident of 100 and of 100,000 events
//!   into a 160x48 `TestBackend` terminal, every pane on screen. Goal: under 1 ms each, and
//!   the long incident at most 1.5 times the short one (render cost follows what is
//!   visible, not how long the incident has run).
//! - `start_to_first_frame/100000`: a 100,000-event incident in a real SQLite replica,
//!   opened, loaded as `tui::run` loads it (`events_blocking(id, 0, usize::MAX)` and
//!   `outbox(Some(id))`), fed to a new `App` as `Msg::Loaded`, and drawn once.
//! - Before the benches, peak memory (VmHWM from /proc/self/status) after loading the
//!   100,000-event incident that way is printed.
//!
//! The log starts with the demo scenario and goes on with a mix like a long incident's:
//! mostly notes and observations, with theories, experiments and outcomes, change
//! requests and decisions, comms updates, people joining and leaving.
//!
//! Run: `cargo bench --bench tui`

// A benchmark stops at the first thing that goes wrong: unwrapping is how it says so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, FixedOffset, TimeZone, Utc};
use criterion::{BenchmarkId, Criterion};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use uuid::Uuid;
use warroom::clock::SystemClock;
use warroom::domain::event::{Audience, ChecklistResult, Event, EventKind, Outcome};
use warroom::domain::scenario::{BUILT_IN, Scenario};
use warroom::store::{NewEvent, SqliteStore};
use warroom::tui::app::{App, Msg};
use warroom::tui::keymap::Keymap;
use warroom::tui::view;

const BIG: usize = 100_000;
const SMALL: usize = 100;
const W: u16 = 160;
const H: u16 = 48;

const INCIDENT: Uuid = Uuid::from_u128(0x0190_d5a0_0000_7000_8000_0000_0000_0001);

const HANDLES: [&str; 10] = [
    "maya", "tomas", "amira", "lee", "jonas", "priya", "sven", "kofi", "ines", "yuki",
];

const NOTES: [&str; 4] = [
    "Paged the payments on-call; they are joining the bridge.",
    "Pool change rolled out to two more payment nodes.",
    "Error rate on the canary is unchanged after the rollback.",
    "Vendor status page says all systems operational.",
];

const OBSERVATIONS: [&str; 4] = [
    "Card payment error rate is 38% since about nine minutes ago; wallets unaffected.",
    "p99 latency of calls to the tokenisation service went from 300 ms to 9 s.",
    "The tokeniser pool shows 200 of 200 connections busy and a growing wait queue.",
    "Only cards issued in the EU fail; US cards go through.",
];

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 21, 0, 0).unwrap()
}

/// `n` events of one incident, confirmed with seqs 1..=n, deterministic ids.
fn build_log(n: usize) -> Vec<Event> {
    let mut next_id = 0x1000_u128;
    let mut new_id = move || {
        next_id += 1;
        Uuid::from_u128(0x0190_d5a0_0000_7000_8000_0000_0000_0000 | next_id)
    };
    let text = BUILT_IN
        .iter()
        .find(|(name, _)| *name == "demo")
        .map(|(_, t)| *t)
        .expect("the demo scenario");
    let demo = Scenario::parse(text)
        .expect("the demo parses")
        .events(INCIDENT, start(), false, &mut new_id)
        .expect("the demo is valid");
    let mut events: Vec<Event> = Vec::with_capacity(n);
    for e in demo.into_iter().take(n) {
        events.push(Event {
            id: e.id,
            incident: INCIDENT,
            seq: Some(events.len() as i64 + 1),
            at: e.at,
            recorded_at: Some(e.at),
            author: e.author,
            persona: None,
            kind: e.kind,
        });
    }
    // After the demo's first hour, one event every two seconds.
    let after = start() + Duration::minutes(60);
    let mut theories: Vec<Uuid> = Vec::new();
    let mut running: Vec<Uuid> = Vec::new();
    let mut requests: Vec<Uuid> = Vec::new();
    let mut i = 0usize;
    while events.len() < n {
        i += 1;
        let author = HANDLES[i % HANDLES.len()];
        let other = HANDLES[(i / 7) % HANDLES.len()];
        let at = after + Duration::seconds(2 * i as i64);
        // Out of every 200: 110 notes, 60 observations, and a few of everything else.
        let kind = match i % 200 {
            0..=109 => EventKind::Note {
                text: NOTES[i % NOTES.len()].into(),
            },
            110..=169 => EventKind::Observation {
                text: OBSERVATIONS[i % OBSERVATIONS.len()].into(),
                from_event: None,
            },
            170..=173 => EventKind::Theory {
                text: format!("Theory {i}: evening traffic outgrew the tokeniser pool."),
            },
            174..=175 if !theories.is_empty() => EventKind::Experiment {
                plan: "Raise the pool on one node and watch the wait queue.".into(),
                tests: theories.iter().rev().take(2).copied().collect(),
            },
            176..=177 if !running.is_empty() => EventKind::ExperimentOutcome {
                experiment: running.pop().unwrap_or_default(),
                outcome: Some(if i.is_multiple_of(3) {
                    Outcome::Refutes
                } else {
                    Outcome::Supports
                }),
                verdicts: Vec::new(),
                notes: "The wait queue drained within two minutes.".into(),
            },
            178..=181 => EventKind::ResponderJoined {
                handle: other.into(),
                skills: vec!["payments".into()],
            },
            182 => EventKind::ResponderLeft {
                handle: other.into(),
            },
            183..=185 => EventKind::ChangeRequested {
                description: "Raise the tokeniser pool on the next node.".into(),
            },
            186..=188 if !requests.is_empty() => EventKind::ChangeDecided {
                request: requests.pop().unwrap_or_default(),
                approved: true,
                reason: String::new(),
            },
            189 => EventKind::CommsSent {
                audience: Audience::Internal,
                text: "SEV2 – Card payments failing at checkout\n\nStill recovering.".into(),
                checklist: ChecklistResult::default(),
                override_reason: None,
                next_update_due: Some(at + Duration::minutes(30)),
                lang: None,
                versions: Vec::new(),
            },
            _ => EventKind::Note {
                text: NOTES[0].into(),
            },
        };
        // Decisions are the commander's.
        let author = if matches!(kind, EventKind::ChangeDecided { .. }) {
            "jonas"
        } else {
            author
        };
        let id = new_id();
        match &kind {
            EventKind::Theory { .. } => theories.push(id),
            EventKind::Experiment { .. } => running.push(id),
            EventKind::ChangeRequested { .. } => requests.push(id),
            _ => {}
        }
        events.push(Event {
            id,
            incident: INCIDENT,
            seq: Some(events.len() as i64 + 1),
            at,
            recorded_at: Some(at),
            author: author.into(),
            persona: None,
            kind,
        });
    }
    events
}

fn now_for(events: &[Event]) -> DateTime<Utc> {
    events.last().map_or(start(), |e| e.at) + Duration::minutes(1)
}

fn new_app(now: DateTime<Utc>) -> App {
    let keymap = Keymap::builtin("default").expect("the default keymap");
    let mut app = App::new("jonas", keymap, now, FixedOffset::east_opt(0).unwrap());
    app.update(Msg::Resize(W, H));
    app
}

fn terminal() -> Terminal<TestBackend> {
    Terminal::new(TestBackend::new(W, H)).expect("a test terminal")
}

/// A solo replica holding the `BIG`-event incident, written in batches of 1000.
fn build_replica(dir: &Path) -> DateTime<Utc> {
    let events = build_log(BIG);
    let store = SqliteStore::open(warroom::sync::solo_path(dir), Arc::new(SystemClock))
        .expect("a new store");
    for batch in events.chunks(1000) {
        let author = batch[0].author.clone();
        let new: Vec<NewEvent> = batch
            .iter()
            .map(|e| NewEvent {
                id: e.id,
                at: e.at,
                persona: None,
                kind: e.kind.clone(),
            })
            .collect();
        store
            .append_blocking(INCIDENT, &author, new)
            .expect("the batch is appended");
    }
    store.close();
    now_for(&events)
}

/// Start to first frame, the way `tui::run` does it: open the replica's store, load the
/// incident and its pending changes, fold them into a new console, draw.
fn load_and_draw(dir: &Path, now: DateTime<Utc>) -> (App, Terminal<TestBackend>) {
    let store =
        SqliteStore::open(warroom::sync::solo_path(dir), Arc::new(SystemClock)).expect("open");
    let new = store
        .events_blocking(INCIDENT, 0, usize::MAX)
        .expect("the events");
    let pending = store.outbox(Some(INCIDENT)).expect("the outbox");
    let mut app = new_app(now);
    app.update(Msg::Loaded {
        id: INCIDENT,
        new,
        pending,
        full: true,
    });
    let mut terminal = terminal();
    terminal
        .draw(|f| view::view(&app, f))
        .expect("the first frame");
    (app, terminal)
}

fn status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Peak resident memory after loading the big incident from SQLite and drawing it.
fn peak_memory(dir: &Path, now: DateTime<Utc>) {
    // Writing 5 to clear_refs resets the peak to the current RSS (Linux 4.0 and later), so
    // building the replica does not count.
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let before = status_kb("VmHWM:");
    let (app, terminal) = load_and_draw(dir, now);
    let after = status_kb("VmHWM:");
    let rss = status_kb("VmRSS:");
    let rows = app.visible_rows();
    drop((app, terminal));
    match (before, after) {
        (Some(b), Some(a)) => println!(
            "peak memory: VmHWM {a} kB ({:.1} MiB) after loading and drawing {rows} events \
             (VmHWM before loading {b} kB{}; VmRSS after {} kB)",
            a as f64 / 1024.0,
            if reset {
                ", peak reset"
            } else {
                ", peak NOT reset"
            },
            rss.unwrap_or_default(),
        ),
        _ => println!("peak memory: /proc/self/status has no VmHWM here"),
    }
}

fn frame(c: &mut Criterion) {
    let mut group = c.benchmark_group("frame_160x48");
    for n in [SMALL, BIG] {
        let events = build_log(n);
        let mut app = new_app(now_for(&events));
        app.update(Msg::Loaded {
            id: INCIDENT,
            new: events,
            pending: vec![],
            full: true,
        });
        assert_eq!(app.visible_rows(), n);
        let mut terminal = terminal();
        group.bench_with_input(BenchmarkId::from_parameter(n), &app, |b, app| {
            b.iter(|| {
                terminal
                    .draw(|f| view::view(black_box(app), f))
                    .expect("a frame");
            })
        });
    }
    group.finish();
}

fn start_to_first_frame(c: &mut Criterion, dir: &Path, now: DateTime<Utc>) {
    let mut group = c.benchmark_group("start_to_first_frame");
    group.sample_size(10);
    group.measurement_time(std::time::Duration::from_secs(20));
    group.bench_function(BenchmarkId::from_parameter(BIG), |b| {
        b.iter(|| black_box(load_and_draw(dir, now)))
    });
    group.finish();
}

fn main() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let now = build_replica(dir.path());
    peak_memory(dir.path(), now);
    let mut c = Criterion::default().configure_from_args();
    frame(&mut c);
    start_to_first_frame(&mut c, dir.path(), now);
    c.final_summary();
}
