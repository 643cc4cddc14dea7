//! An incident's state at 100 and at 100,000 events, measured with the real binary
//! (`target/release/warroom`, which `cargo bench` builds):
//!
//! - `GET /api/v1/incidents/{id}`: `warroom serve` on a SQLite file holding the incident;
//!   the first answer after the server started (cold: from the stored snapshot and the
//!   events after it), then p50 and p90 of 200 answers in a row, and p50 of answers each
//!   right after an append (the digest is computed once per new seq), with the size of
//!   the answer;
//! - `warroom show INCIDENT`: wall time of the whole process, p50 of 9 runs;
//! - the console: `warroom --incident ID` started in tmux (160x48) until the newest
//!   entry's text is on screen, p50 of 7 launches, and the console's peak memory (VmHWM)
//!   once it has loaded the whole timeline.
//!
//! Every figure is printed for both sizes, with the ratio of the long incident to the
//! short one. The log is a long incident's mix: mostly notes and observations, with
//! theories, experiments and outcomes, change requests and decisions, comms updates and
//! people joining and leaving; the newest event is a note whose text the console waits for.
//!
//! Run: `cargo bench --bench state` (needs tmux for the console figures; without it they
//! are skipped). `WARROOM_BENCH_SIZES=100,20000` measures other sizes;
//! `WARROOM_BENCH_DIR=DIR` keeps the seeded data directories and server files in DIR.

// A benchmark stops at the first thing that goes wrong: unwrapping is how it says so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;
use uuid::Uuid;
use warroom::clock::SystemClock;
use warroom::domain::event::{Audience, ChecklistResult, EventKind, Outcome, Severity};
use warroom::store::{NewEvent, SqliteStore};

const BIN: &str = env!("CARGO_BIN_EXE_warroom");
const IC: &str = "jonas";
const OTHERS: [&str; 6] = ["maya", "tomas", "amira", "lee", "priya", "sven"];

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

/// When an `n`-event incident was declared: long enough ago that its last event, two
/// seconds after the one before, is not in the future.
fn start(n: usize) -> DateTime<Utc> {
    let begin = Utc::now() - chrono::Duration::seconds(2 * n as i64 + 3600);
    Utc.timestamp_opt(begin.timestamp(), 0).unwrap()
}

/// The text of the newest entry of an `n`-event incident: what the console waits for.
fn newest_text(n: usize) -> String {
    format!("END{n} the pool is back to normal.")
}

/// An incident of `n` events, all recorded by its commander.
fn build_log(incident: Uuid, n: usize) -> Vec<NewEvent> {
    let mut out = Vec::with_capacity(n);
    let mut next = 0u128;
    let mut new_id = || {
        next += 1;
        Uuid::from_u128(incident.as_u128() ^ (next << 16))
    };
    let begin = start(n);
    out.push(NewEvent {
        id: incident,
        at: begin,
        persona: None,
        kind: EventKind::IncidentDeclared {
            title: "Card payments failing at checkout".into(),
            severity: Severity::MAJOR,
            summary: "A third of card payments fail; wallets work.".into(),
            drill: false,
            restricted: false,
        },
    });
    let (mut theories, mut running, mut requests) = (Vec::new(), Vec::new(), Vec::new());
    let mut present: Vec<&str> = Vec::new();
    let mut i = 0usize;
    while out.len() < n.saturating_sub(1) {
        i += 1;
        let at = begin + chrono::Duration::seconds(2 * i as i64);
        let other = OTHERS[(i / 7) % OTHERS.len()];
        // Out of every 200: 110 notes, 60 observations, and a few of everything else.
        let kind = match i % 200 {
            110..=169 => EventKind::Observation {
                text: OBSERVATIONS[i % OBSERVATIONS.len()].into(),
                from_event: None,
            },
            170..=173 => EventKind::Theory {
                text: format!("Theory {i}: evening traffic outgrew the tokeniser pool."),
            },
            174..=175 if !theories.is_empty() => EventKind::Experiment {
                plan: "Raise the pool on one node and watch the wait queue.".into(),
                tests: vec![*theories.last().unwrap()],
            },
            176..=177 if !running.is_empty() => EventKind::ExperimentOutcome {
                experiment: running.pop().unwrap(),
                outcome: Some(if i.is_multiple_of(3) {
                    Outcome::Refutes
                } else {
                    Outcome::Supports
                }),
                verdicts: Vec::new(),
                notes: "The wait queue drained within two minutes.".into(),
            },
            178..=181 => {
                if !present.contains(&other) {
                    present.push(other);
                }
                EventKind::ResponderJoined {
                    handle: other.into(),
                    skills: vec!["payments".into()],
                }
            }
            182 if !present.is_empty() => EventKind::ResponderLeft {
                handle: present.remove(0).into(),
            },
            183..=185 => EventKind::ChangeRequested {
                description: "Raise the tokeniser pool on the next node.".into(),
            },
            186..=188 if !requests.is_empty() => EventKind::ChangeDecided {
                request: requests.pop().unwrap(),
                approved: true,
                reason: String::new(),
            },
            189 => EventKind::CommsSent {
                audience: Audience::Internal,
                text: "SEV2 – Card payments failing at checkout\n\nStill recovering.".into(),
                checklist: ChecklistResult::default(),
                override_reason: None,
                next_update_due: Some(at + chrono::Duration::minutes(30)),
                lang: None,
                versions: Vec::new(),
            },
            _ => EventKind::Note {
                text: NOTES[i % NOTES.len()].into(),
            },
        };
        let id = new_id();
        match &kind {
            EventKind::Theory { .. } => theories.push(id),
            EventKind::Experiment { .. } => running.push(id),
            EventKind::ChangeRequested { .. } => requests.push(id),
            _ => {}
        }
        out.push(NewEvent {
            id,
            at,
            persona: None,
            kind,
        });
    }
    out.push(NewEvent {
        id: new_id(),
        at: begin + chrono::Duration::seconds(2 * (i as i64 + 1)),
        persona: None,
        kind: EventKind::Note {
            text: newest_text(n),
        },
    });
    out
}

/// A solo data directory whose replica holds one `n`-event incident; answers its id.
fn seed(data_dir: &Path, n: usize) -> Uuid {
    let incident = Uuid::from_u128(0x0190_d5a0_0000_7000_8000_0000_0000_0000 | n as u128);
    let store =
        SqliteStore::open(warroom::sync::solo_path(data_dir), Arc::new(SystemClock)).unwrap();
    for batch in build_log(incident, n).chunks(1000) {
        store
            .append_blocking(incident, IC, batch.to_vec())
            .expect("the batch is appended");
    }
    store.close();
    incident
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A clean environment for the binary: no user config, no desktop.
fn warroom(home: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("TERM", "xterm-256color")
        .env("LANG", "C.UTF-8");
    c
}

#[derive(Default, Clone, Copy)]
struct Figures {
    get_cold: f64,
    get_p50: f64,
    get_p90: f64,
    get_after_append_p50: f64,
    get_bytes: usize,
    show_p50: f64,
    console_p50: f64,
    console_peak_mib: f64,
}

struct Server {
    child: std::process::Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(home: &Path, db: &Path) -> (Server, Instant) {
    let started = Instant::now();
    let mut child = warroom(home)
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(db)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("warroom serve starts");
    let out = child.stdout.take().unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(out), &mut line).unwrap();
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    (Server { child, base }, started)
}

fn get_figures(rt: &tokio::runtime::Runtime, home: &Path, db: &Path, id: Uuid) -> Figures {
    let token = String::from_utf8(
        warroom(home)
            .args(["token", "create", IC, "--db"])
            .arg(db)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .to_string();
    let (server, _) = serve(home, db);
    let client = reqwest::Client::new();
    let url = format!("{}/api/v1/incidents/{id}", server.base);
    let get = |client: &reqwest::Client| {
        let (url, token) = (url.clone(), token.clone());
        let client = client.clone();
        async move {
            let t = Instant::now();
            let r = client.get(&url).bearer_auth(&token).send().await.unwrap();
            assert!(r.status().is_success(), "GET answered {}", r.status());
            let body = r.bytes().await.unwrap();
            (t.elapsed(), body.len())
        }
    };
    rt.block_on(async {
        let (cold, bytes) = get(&client).await;
        for _ in 0..20 {
            get(&client).await;
        }
        let mut warm = Vec::new();
        for _ in 0..200 {
            warm.push(get(&client).await.0);
        }
        warm.sort();
        let mut after_append = Vec::new();
        for k in 0..40 {
            let body = json!({ "events": [ {
                "id": Uuid::now_v7(), "type": "note", "text": format!("appended {k}")
            } ] });
            let r = client
                .post(format!("{url}/events"))
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success(), "append answered {}", r.status());
            after_append.push(get(&client).await.0);
        }
        after_append.sort();
        Figures {
            get_cold: ms(cold),
            get_p50: ms(pct(&warm, 0.5)),
            get_p90: ms(pct(&warm, 0.9)),
            get_after_append_p50: ms(pct(&after_append, 0.5)),
            get_bytes: bytes,
            ..Figures::default()
        }
    })
}

fn show_p50(home: &Path, data_dir: &Path, id: Uuid) -> f64 {
    let mut runs = Vec::new();
    for _ in 0..9 {
        let t = Instant::now();
        let out = warroom(home)
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--as", "viewer", "show", &id.to_string()])
            .output()
            .unwrap();
        runs.push(t.elapsed());
        assert!(
            out.status.success(),
            "show failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    runs.sort();
    ms(pct(&runs, 0.5))
}

fn tmux(socket: &str, args: &[&str]) -> std::process::Output {
    Command::new("tmux")
        .arg("-L")
        .arg(socket)
        .args(args)
        .output()
        .expect("tmux runs")
}

fn status_kb(pid: &str, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Console launches until the newest entry shows: p50 of 7, and the peak memory of the
/// last one once it stopped growing.
fn console(home: &Path, data_dir: &Path, id: Uuid, n: usize) -> Option<(f64, f64)> {
    if Command::new("tmux").arg("-V").output().is_err() {
        return None;
    }
    let newest = newest_text(n);
    let command = format!(
        "exec env -i HOME={h} PATH=/usr/bin:/bin TERM=xterm-256color LANG=C.UTF-8 \
         XDG_CONFIG_HOME={h}/.config {bin} --data-dir {d} --as viewer --incident {id}",
        h = home.display(),
        bin = BIN,
        d = data_dir.display(),
    );
    /// A tmux server of one launch, stopped however the launch ends.
    struct Session(String);
    impl Drop for Session {
        fn drop(&mut self) {
            tmux(&self.0, &["kill-server"]);
        }
    }
    let mut runs = Vec::new();
    let mut peak = 0.0;
    for run in 0..7 {
        // A server of its own for each launch, so none waits on the last one's exit.
        let session = Session(format!(
            "warroom-state-bench-{}-{n}-{run}",
            std::process::id()
        ));
        let socket = session.0.as_str();
        let t = Instant::now();
        let out = tmux(
            socket,
            &[
                "new-session",
                "-d",
                "-s",
                "c",
                "-x",
                "160",
                "-y",
                "48",
                &command,
            ],
        );
        assert!(out.status.success(), "tmux: {out:?}");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let screen = tmux(socket, &["capture-pane", "-p", "-t", "c"]);
            let text = String::from_utf8_lossy(&screen.stdout);
            // The row may be cut at the pane's width: its first word is enough.
            if text.contains(newest.split(' ').next().unwrap_or_default()) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the newest entry never showed:\n{text}"
            );
        }
        runs.push(t.elapsed());
        if run == 6 {
            let pid = String::from_utf8_lossy(
                &tmux(socket, &["list-panes", "-t", "c", "-F", "#{pane_pid}"]).stdout,
            )
            .trim()
            .to_string();
            // The peak after the rest of the timeline has loaded: read until it holds still
            // for a second.
            let mut last = 0;
            let mut still_since = Instant::now();
            while still_since.elapsed() < Duration::from_secs(1) {
                let now = status_kb(&pid, "VmHWM:").unwrap_or(0);
                if now != last {
                    last = now;
                    still_since = Instant::now();
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            peak = last as f64 / 1024.0;
        }
        drop(session);
    }
    runs.sort();
    Some((ms(pct(&runs, 0.5)), peak))
}

/// Where the time of opening an incident goes, in this process (the binary's own paths,
/// called as the console and `show` call them), printed to standard error.
fn breakdown(data_dir: &Path, id: Uuid, n: usize) {
    let time = |what: &str, t: Instant| eprintln!("  {n:>7} {what}: {:.1} ms", ms(t.elapsed()));
    let t = Instant::now();
    let replica = warroom::sync::Replica::open_solo(data_dir, "viewer", Arc::new(SystemClock))
        .expect("the replica opens");
    time("open the replica", t);
    let t = Instant::now();
    replica.incidents().unwrap();
    time("the incident list", t);
    let t = Instant::now();
    let (recent, pending) = replica.recent(id, 1000).unwrap();
    let tail = recent.tail.len();
    time(&format!("state and latest {tail} events"), t);
    let t = Instant::now();
    let data =
        warroom::tui::data::IncidentData::from_recent(id, recent.state, recent.tail, pending);
    time("the console's rows of them", t);
    drop(data);
    let t = Instant::now();
    let events = replica.store().all_events(id).unwrap();
    time("read the whole log", t);
    let t = Instant::now();
    let state = warroom::domain::incident::Incident::fold(id, &events);
    time("fold the whole log", t);
    let t = Instant::now();
    let json = serde_json::to_string(&state).unwrap();
    time(&format!("serialize the state ({} bytes)", json.len()), t);
    let t = Instant::now();
    let back: warroom::domain::incident::Incident = serde_json::from_str(&json).unwrap();
    time("parse it back", t);
    let t = Instant::now();
    let digest = back.digest();
    time(&format!("digest {}", &digest[..8]), t);
    let t = Instant::now();
    replica.current(id).unwrap();
    time("the state as `show` reads it", t);
}

fn main() {
    let sizes: Vec<usize> = std::env::var("WARROOM_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![100, 100_000]);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    // `WARROOM_BENCH_DIR=DIR` keeps the seeded files there, to look at afterwards.
    let tmp = tempfile::tempdir().unwrap();
    let kept = std::env::var_os("WARROOM_BENCH_DIR").map(PathBuf::from);
    let root = kept.as_deref().unwrap_or(tmp.path());
    std::fs::create_dir_all(root).unwrap();
    let home = root.join("home");
    std::fs::create_dir_all(&home).unwrap();
    let mut all: Vec<(usize, Figures)> = Vec::new();
    for &n in &sizes {
        let data_dir: PathBuf = root.join(format!("data-{n}"));
        let _ = std::fs::remove_dir_all(&data_dir);
        let t = Instant::now();
        let id = seed(&data_dir, n);
        eprintln!("seeded {n} events in {:.1} s", t.elapsed().as_secs_f64());
        // The server gets its own copy of the same file.
        let db = root.join(format!("server-{n}.db"));
        let _ = std::fs::remove_file(&db);
        std::fs::copy(warroom::sync::solo_path(&data_dir), &db).unwrap();
        breakdown(&data_dir, id, n);
        eprintln!("measuring GET at {n} events");
        let mut f = get_figures(&rt, &home, &db, id);
        eprintln!("measuring show and the console at {n} events");
        f.show_p50 = show_p50(&home, &data_dir, id);
        if let Some((launch, peak)) = console(&home, &data_dir, id, n) {
            f.console_p50 = launch;
            f.console_peak_mib = peak;
        }
        all.push((n, f));
    }
    let base = all[0].1;
    println!(
        "{:>8}  {:>9} {:>9} {:>9} {:>10} {:>9}  {:>9}  {:>10} {:>9}",
        "events",
        "GET cold",
        "GET p50",
        "GET p90",
        "GET+apnd",
        "GET size",
        "show p50",
        "console",
        "peak"
    );
    for (n, f) in &all {
        println!(
            "{n:>8}  {:>6.2} ms {:>6.2} ms {:>6.2} ms {:>7.2} ms {:>7} B  {:>6.1} ms  {:>7.1} ms {:>5.1} MiB",
            f.get_cold,
            f.get_p50,
            f.get_p90,
            f.get_after_append_p50,
            f.get_bytes,
            f.show_p50,
            f.console_p50,
            f.console_peak_mib
        );
    }
    for (n, f) in all.iter().skip(1) {
        println!(
            "ratio {n}/{}: GET p50 {:.2}x, GET after an append {:.2}x, show {:.2}x, console {:.2}x \
             (goal: GET within 5x and under 25 ms; console within 1.5x + 30 ms = {:.1} ms; peak under 100 MB)",
            all[0].0,
            f.get_p50 / base.get_p50,
            f.get_after_append_p50 / base.get_after_append_p50,
            f.show_p50 / base.show_p50,
            f.console_p50 / base.console_p50.max(f64::MIN_POSITIVE),
            base.console_p50 * 1.5 + 30.0,
        );
    }
}
