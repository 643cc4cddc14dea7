//! The CLI through the real binary: each test gets a fresh data directory.

// Tests fail by panicking, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, Utc};
use serde_json::Value;
use tempfile::TempDir;

/// The short-id alphabet: digits and lower-case letters without i, l, o, u.
const SHORT_ID_ALPHABET: &str = "0123456789abcdefghjkmnpqrstvwxyz";

struct Room {
    dir: TempDir,
}

/// What one run of the binary left behind.
struct Run {
    ok: bool,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Room {
    fn new() -> Self {
        Room {
            dir: tempfile::tempdir().expect("a temp dir"),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn db(&self) -> PathBuf {
        self.path().join("solo.db")
    }

    /// The binary with this room's data dir, acting as `handle`, and nothing from the
    /// environment of whoever runs the tests.
    fn cmd(&self, handle: &str) -> Command {
        let mut cmd = common::warroom(self.path());
        cmd.arg("--as").arg(handle);
        cmd
    }

    fn run(&self, handle: &str, args: &[&str]) -> Run {
        let out = self
            .cmd(handle)
            .args(args)
            .output()
            .expect("the binary runs");
        Run {
            ok: out.status.success(),
            code: out.status.code(),
            stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
        }
    }

    /// Runs a command that must succeed; answers its stdout.
    fn ok(&self, handle: &str, args: &[&str]) -> String {
        let r = self.run(handle, args);
        assert!(
            r.ok,
            "`warroom {}` failed ({:?})\nstdout: {}\nstderr: {}",
            args.join(" "),
            r.code,
            r.stdout,
            r.stderr
        );
        r.stdout
    }

    /// Runs a command that must fail with exit code `code`; answers its stderr.
    fn fails(&self, handle: &str, args: &[&str], code: i32) -> String {
        let r = self.run(handle, args);
        assert_eq!(
            r.code,
            Some(code),
            "`warroom {}` should have failed with {code}\nstdout: {}\nstderr: {}",
            args.join(" "),
            r.stdout,
            r.stderr
        );
        assert!(
            r.stdout.is_empty(),
            "a failed command printed to stdout: {}",
            r.stdout
        );
        assert!(!r.stderr.trim().is_empty(), "a failure must say why");
        r.stderr
    }

    fn declare(&self, handle: &str, title: &str, severity: u8) -> String {
        let out = self.ok(
            handle,
            &[
                "declare",
                "--title",
                title,
                "--severity",
                &severity.to_string(),
            ],
        );
        out.trim_end_matches('\n').to_string()
    }

    fn events(&self, incident: &str) -> Vec<Value> {
        self.ok("reader", &["events", incident, "--json"])
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }

    fn show(&self, incident: &str) -> Value {
        let out = self.ok("reader", &["show", incident, "--json"]);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
    }

    fn incidents(&self) -> Vec<Value> {
        let out = self.ok("reader", &["incidents", "--json"]);
        match serde_json::from_str(&out) {
            Ok(Value::Array(list)) => list,
            other => panic!("`incidents --json` is not a JSON array: {other:?}\n{out}"),
        }
    }

    /// Every file name in the data dir, sorted.
    fn files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.path())
            .expect("the data dir is readable")
            .map(|e| e.expect("a dir entry").file_name().to_string_lossy().into())
            .collect();
        names.sort();
        names
    }
}

fn assert_short_id(s: &str) {
    assert_eq!(s.chars().count(), 6, "a short id is six characters: {s:?}");
    assert!(
        s.chars().all(|c| SHORT_ID_ALPHABET.contains(c)),
        "a short id uses the readable alphabet: {s:?}"
    );
}

fn time(v: &Value) -> DateTime<Utc> {
    let s = v.as_str().unwrap_or_else(|| panic!("not a time: {v}"));
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("{e}: {s}"))
        .with_timezone(&Utc)
}

fn utc(s: &str) -> DateTime<Utc> {
    time(&Value::String(s.into()))
}

#[test]
fn declare_prints_only_the_short_id() {
    let room = Room::new();
    let r = room.run(
        "ana",
        &[
            "declare",
            "--title",
            "Checkout errors",
            "--severity",
            "2",
            "--summary",
            "5xx on checkout",
        ],
    );
    assert!(r.ok, "{}", r.stderr);
    assert!(
        r.stdout.ends_with('\n') && r.stdout.lines().count() == 1,
        "one line on stdout: {:?}",
        r.stdout
    );
    let short = r.stdout.trim_end();
    assert_short_id(short);
    assert!(room.db().is_file(), "declare creates the solo database");

    let list = room.incidents();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["short_id"], short);
    assert_eq!(list[0]["title"], "Checkout errors");
    assert_eq!(list[0]["severity"], 2);
    assert_eq!(list[0]["status"], "active");
    assert_eq!(list[0]["commander"], "ana");
    assert_eq!(list[0]["event_count"], 1);
    let id = list[0]["id"].as_str().expect("an id");
    assert_eq!(
        id.len(),
        36,
        "the full id is a hyphenated UUID, not the short one"
    );
}

#[test]
fn incidents_lists_declared_incidents_as_a_table_and_as_json() {
    let room = Room::new();
    let a = room.declare("ana", "Card payments failing", 1);
    let b = room.declare("bo", "Search is slow", 3);

    let table = room.ok("reader", &["incidents"]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "a header and one row each:\n{table}");
    assert!(lines[0].starts_with("ID") && lines[0].contains("TITLE"));
    let row_a = lines
        .iter()
        .find(|l| l.starts_with(&a))
        .unwrap_or_else(|| panic!("{a} is listed:\n{table}"));
    assert!(row_a.contains("SEV1") && row_a.contains("active") && row_a.contains("ana"));
    assert!(row_a.ends_with("Card payments failing"), "{row_a}");
    let row_b = lines
        .iter()
        .find(|l| l.starts_with(&b))
        .unwrap_or_else(|| panic!("{b} is listed:\n{table}"));
    assert!(row_b.contains("SEV3") && row_b.contains("bo") && row_b.ends_with("Search is slow"));

    let list = room.incidents();
    let shorts: Vec<&str> = list.iter().filter_map(|i| i["short_id"].as_str()).collect();
    assert_eq!(shorts.len(), 2);
    assert!(shorts.contains(&a.as_str()) && shorts.contains(&b.as_str()));
    // Newest first.
    assert!(time(&list[0]["declared_at"]) >= time(&list[1]["declared_at"]));
}

#[test]
fn reading_commands_on_an_empty_data_dir_create_nothing() {
    let room = Room::new();
    assert_eq!(room.ok("reader", &["incidents", "--json"]).trim(), "[]");
    let r = room.run("reader", &["incidents"]);
    assert!(r.ok);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(r.stderr.contains("No incidents yet"), "{}", r.stderr);

    let err = room.fails("reader", &["show", "abc"], 1);
    assert!(err.contains("no incident matches `abc`"), "{err}");
    assert!(err.contains("there are no incidents in"), "{err}");
    let err = room.fails("ana", &["log", "abc", "hello"], 1);
    assert!(err.contains("no incident matches `abc`"), "{err}");
    assert!(
        room.files().is_empty(),
        "reads and refused writes left files: {:?}",
        room.files()
    );
}

#[test]
fn show_prints_the_folded_state_as_text_and_json() {
    let room = Room::new();
    let id = room.declare("ana", "Checkout errors", 2);

    let text = room.ok("reader", &["show", &id]);
    let first = text.lines().next().unwrap_or_default();
    assert!(
        first.starts_with(&id) && first.contains("SEV2") && first.contains("major"),
        "{text}"
    );
    assert!(text.contains("Checkout errors"), "{text}");
    assert!(text.contains("by ana"), "{text}");
    assert!(text.contains("Roles"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains("IC") && l.contains("Incident Commander") && l.contains("ana")),
        "{text}"
    );
    assert!(
        text.contains("Events            1 confirmed, 0 pending, 0 rejected"),
        "{text}"
    );

    let json = room.show(&id);
    assert_eq!(json["summary"]["short_id"], id.as_str());
    assert_eq!(json["summary"]["title"], "Checkout errors");
    assert_eq!(json["summary"]["severity"], 2);
    assert_eq!(json["declared_by"], "ana");
    assert_eq!(json["roster"]["commander"], "ana");
    assert_eq!(json["pending"], 0);
    let digest = json["digest"].as_str().expect("a digest");
    assert_eq!(digest.len(), 64, "{digest}");
    assert!(digest.chars().all(|c| c.is_ascii_hexdigit()), "{digest}");

    // The same log folds to the same digest; a new event changes it.
    assert_eq!(room.show(&id)["digest"], digest);
    room.ok("bo", &["log", &id, "looking"]);
    assert_ne!(room.show(&id)["digest"], digest);
}

#[test]
fn log_adds_notes_that_events_prints_as_json_lines_in_seq_order() {
    let room = Room::new();
    let id = room.declare("ana", "Checkout errors", 2);

    let out = room.ok("bo", &["log", &id, "rolled", "back", "the", "deploy"]);
    assert_eq!(out.trim(), format!("noted on {id} (#2)"));
    // A note that starts with a dash follows `--`, as with any Unix command.
    let out = room.ok("cy", &["log", &id, "--", "-- errors falling"]);
    assert_eq!(out.trim(), format!("noted on {id} (#3)"));

    let events = room.events(&id);
    assert_eq!(events.len(), 3);
    let seqs: Vec<i64> = events.iter().filter_map(|e| e["seq"].as_i64()).collect();
    assert_eq!(seqs, vec![1, 2, 3]);
    assert_eq!(events[0]["type"], "incident_declared");
    assert_eq!(events[0]["author"], "ana");
    assert_eq!(events[0]["title"], "Checkout errors");
    assert_eq!(events[1]["type"], "note");
    assert_eq!(events[1]["text"], "rolled back the deploy");
    assert_eq!(events[1]["author"], "bo");
    assert_eq!(events[2]["text"], "-- errors falling");
    assert_eq!(events[2]["author"], "cy");
    let incident = events[0]["id"].as_str().expect("an id");
    for e in &events {
        assert_eq!(e["incident"], incident, "{e}");
        assert!(
            e["recorded_at"].is_string(),
            "confirmed events carry recorded_at: {e}"
        );
    }
    assert!(time(&events[1]["at"]) <= time(&events[2]["at"]));

    let text = room.ok("reader", &["events", &id]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[1].trim_start().starts_with("#2"), "{text}");
    assert!(
        lines[1].contains("bo") && lines[1].contains("rolled back the deploy"),
        "{text}"
    );

    let err = room.fails("bo", &["log", &id, "   "], 1);
    assert!(err.contains("the note is empty"), "{err}");
    assert_eq!(room.events(&id).len(), 3);
}

#[test]
fn incidents_resolve_by_unique_prefix_and_refuse_ambiguous_or_unknown_references() {
    let room = Room::new();
    let a = room.declare("ana", "First", 2);
    let b = room.declare("ana", "Second", 2);
    assert_ne!(a, b);

    let list = room.incidents();
    let uuid_of = |short: &str| {
        list.iter()
            .find(|i| i["short_id"] == short)
            .and_then(|i| i["id"].as_str())
            .unwrap_or_else(|| panic!("{short} is listed"))
            .to_string()
    };
    let (uuid_a, uuid_b) = (uuid_of(&a), uuid_of(&b));

    // The shortest prefix of a short id that names nothing else: not the other short id,
    // and not the head of either UUID (a prefix such as `0` would match those too).
    let unique_prefix = |mine: &str, other: &str| -> String {
        let common = mine
            .chars()
            .zip(other.chars())
            .take_while(|(x, y)| x == y)
            .count();
        (common + 1..=6)
            .map(|k| mine[..k].to_string())
            .find(|p| !uuid_a.starts_with(p.as_str()) && !uuid_b.starts_with(p.as_str()))
            .unwrap_or_else(|| mine.to_string())
    };
    let prefix_a = unique_prefix(&a, &b);
    assert_eq!(room.show(&prefix_a)["summary"]["short_id"], a.as_str());
    assert_eq!(
        room.show(&a.to_uppercase())["summary"]["short_id"],
        a.as_str()
    );
    room.ok("bo", &["log", &unique_prefix(&b, &a), "on the second"]);
    assert_eq!(room.events(&b).len(), 2);
    assert_eq!(room.events(&a).len(), 1);

    // The full UUID works too, and a prefix of it.
    assert_eq!(room.show(&uuid_a)["summary"]["short_id"], a.as_str());
    assert_eq!(room.show(&uuid_b[..30])["summary"]["short_id"], b.as_str());

    // UUID v7 ids made moments apart share their timestamp head: that prefix names both.
    let shared: String = uuid_a
        .chars()
        .zip(uuid_b.chars())
        .take_while(|(x, y)| x == y)
        .map(|(x, _)| x)
        .collect();
    assert!(!shared.is_empty(), "{uuid_a} {uuid_b}");
    let before = room.events(&a).len() + room.events(&b).len();
    for args in [
        vec!["show", shared.as_str()],
        vec!["log", shared.as_str(), "which one?"],
    ] {
        let err = room.fails("bo", &args, 1);
        assert!(
            err.contains(&format!("`{shared}` matches 2 incidents")),
            "{err}"
        );
        assert!(err.contains(&a) && err.contains(&b), "{err}");
        assert!(err.contains("type more of the id"), "{err}");
    }

    // `u` is in neither alphabet (short ids skip it, UUIDs are hex): it names nothing.
    let err = room.fails("bo", &["log", "uuu", "lost"], 1);
    assert!(err.contains("no incident matches `uuu`"), "{err}");
    assert!(err.contains("warroom incidents"), "{err}");
    let err = room.fails("bo", &["events", "uuu"], 1);
    assert!(err.contains("no incident matches `uuu`"), "{err}");
    assert_eq!(
        room.events(&a).len() + room.events(&b).len(),
        before,
        "refused references wrote nothing"
    );
}

#[test]
fn impact_times_are_recorded_corrected_and_shown() {
    let room = Room::new();
    let id = room.declare("ana", "Checkout errors", 2);

    let out = room.ok(
        "ana",
        &[
            "impact",
            &id,
            "started",
            "--at",
            format!("{d}T10:00:00Z", d = day()).as_str(),
        ],
    );
    assert_eq!(out.trim(), format!("start of impact set on {id} (#2)"));
    let out = room.ok(
        "ana",
        &[
            "impact",
            &id,
            "detected",
            "--at",
            format!("{d}T10:12:00Z", d = day()).as_str(),
        ],
    );
    assert_eq!(out.trim(), format!("detection set on {id} (#3)"));
    let out = room.ok(
        "ana",
        &[
            "impact",
            &id,
            "ended",
            "--at",
            format!("{d}T11:30:00Z", d = day()).as_str(),
        ],
    );
    assert_eq!(out.trim(), format!("end of impact set on {id} (#4)"));

    let state = room.show(&id);
    assert_eq!(
        time(&state["impact"]["started"]),
        utc(format!("{d}T10:00:00Z", d = day()).as_str())
    );
    assert_eq!(
        time(&state["impact"]["detected"]),
        utc(format!("{d}T10:12:00Z", d = day()).as_str())
    );
    assert_eq!(
        time(&state["impact"]["ended"]),
        utc(format!("{d}T11:30:00Z", d = day()).as_str())
    );
    assert_eq!(state["impact"]["corrections"], 0);
    let text = room.ok("reader", &["show", &id]);
    assert!(
        text.contains(format!("Start of impact   {d} 10:00 UTC", d = day()).as_str()),
        "{text}"
    );
    assert!(text.contains("TTD 12m"), "{text}");

    // A correction is a new event, and the times follow it.
    room.ok(
        "ana",
        &[
            "impact",
            &id,
            "started",
            "--at",
            format!("{d}T09:55:00Z", d = day()).as_str(),
        ],
    );
    let state = room.show(&id);
    assert_eq!(
        time(&state["impact"]["started"]),
        utc(format!("{d}T09:55:00Z", d = day()).as_str())
    );
    assert_eq!(state["impact"]["corrections"], 1);
    let events = room.events(&id);
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(
        kinds,
        vec![
            "incident_declared",
            "impact_started",
            "detected",
            "impact_ended",
            "impact_started"
        ]
    );
    assert_eq!(
        events[1]["at"],
        *format!("{d}T10:00:00.000000Z", d = day()).as_str()
    );

    // Relative times work (and are not in the future).
    room.ok("ana", &["impact", &id, "ended", "--at", "-1m"]);
    let ended = time(&room.show(&id)["impact"]["ended"]);
    assert!(ended < Utc::now() && ended > Utc::now() - chrono::Duration::hours(1));
}

#[test]
fn detection_before_start_of_impact_is_refused_and_writes_nothing() {
    let room = Room::new();
    let id = room.declare("ana", "Checkout errors", 2);
    room.ok(
        "ana",
        &[
            "impact",
            &id,
            "started",
            "--at",
            format!("{d}T10:00:00Z", d = day()).as_str(),
        ],
    );
    let before = room.events(&id);
    let digest = room.show(&id)["digest"].clone();

    let err = room.fails(
        "ana",
        &[
            "impact",
            &id,
            "detected",
            "--at",
            format!("{d}T09:00:00Z", d = day()).as_str(),
        ],
        1,
    );
    assert!(
        err.contains(
            format!(
                "detection ({d} 09:00 UTC) cannot come before start of impact",
                d = day()
            )
            .as_str()
        ),
        "{err}"
    );
    // Nor may start of impact move after a detection already recorded.
    room.ok(
        "ana",
        &[
            "impact",
            &id,
            "detected",
            "--at",
            format!("{d}T10:05:00Z", d = day()).as_str(),
        ],
    );
    let before_2 = room.events(&id);
    assert_eq!(before_2.len(), before.len() + 1);
    let err = room.fails(
        "ana",
        &[
            "impact",
            &id,
            "started",
            "--at",
            format!("{d}T10:30:00Z", d = day()).as_str(),
        ],
        1,
    );
    assert!(err.contains("cannot come before start of impact"), "{err}");
    let err = room.fails(
        "ana",
        &[
            "impact",
            &id,
            "ended",
            "--at",
            format!("{d}T09:59:00Z", d = day()).as_str(),
        ],
        1,
    );
    assert!(
        err.contains("end of impact") && err.contains("cannot come before"),
        "{err}"
    );

    let after = room.events(&id);
    assert_eq!(after, before_2, "refused changes wrote nothing");
    let state = room.show(&id);
    assert_eq!(state["pending"], 0, "nothing was left in the outbox");
    assert_eq!(
        time(&state["impact"]["started"]),
        utc(format!("{d}T10:00:00Z", d = day()).as_str())
    );
    assert_ne!(state["digest"], digest, "the one accepted detection counts");
    assert_eq!(room.incidents()[0]["event_count"], after.len() as u64);
}

#[test]
fn impact_in_the_future_is_refused() {
    let room = Room::new();
    let id = room.declare("ana", "Checkout errors", 2);
    let err = room.fails("ana", &["impact", &id, "ended", "--at", "in 2h"], 1);
    assert!(err.contains("in the future"), "{err}");
    assert_eq!(room.events(&id).len(), 1);
}

#[test]
fn a_severity_out_of_range_is_refused_and_creates_nothing() {
    let room = Room::new();
    let err = room.fails(
        "ana",
        &["declare", "--title", "Checkout errors", "--severity", "7"],
        2,
    );
    assert!(err.contains("--severity"), "{err}");
    assert!(err.contains('7'), "{err}");
    assert!(
        room.files().is_empty(),
        "nothing in the data dir: {:?}",
        room.files()
    );

    // Also when the data dir does not exist yet: it is not created.
    let missing = room.path().join("not-yet");
    let out = common::warroom(&missing)
        .args(["declare", "--title", "x", "--severity", "0"])
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(!missing.exists());
}

#[test]
fn a_time_that_does_not_parse_is_refused_and_writes_nothing() {
    let room = Room::new();
    let err = room.fails(
        "ana",
        &[
            "declare",
            "--title",
            "Checkout errors",
            "--severity",
            "2",
            "--started-at",
            "yesterday-ish",
        ],
        1,
    );
    assert!(
        err.contains("cannot read the time `yesterday-ish`"),
        "{err}"
    );
    assert!(
        room.files().is_empty(),
        "a refused declaration left files: {:?}",
        room.files()
    );

    let id = room.declare("ana", "Checkout errors", 2);
    let before = room.events(&id);
    for bad in ["25:99", "-15x", "soonish"] {
        let err = room.fails("ana", &["impact", &id, "started", "--at", bad], 1);
        assert!(
            err.contains(&format!("cannot read the time `{bad}`")),
            "{err}"
        );
    }
    assert_eq!(room.events(&id), before);
    assert!(room.show(&id)["impact"]["started"].is_null());
}

#[test]
fn declare_with_a_start_of_impact_records_both() {
    let room = Room::new();
    let out = room.ok(
        "ana",
        &[
            "declare",
            "--title",
            "Checkout errors",
            "--severity",
            "1",
            "--started-at",
            format!("{d}T10:00:00Z", d = day()).as_str(),
        ],
    );
    let id = out.trim();
    assert_short_id(id);
    let events = room.events(id);
    assert_eq!(events.len(), 2);
    assert_eq!(events[1]["type"], "impact_started");
    assert_eq!(
        events[1]["at"],
        *format!("{d}T10:00:00.000000Z", d = day()).as_str()
    );
    // By convention the declaration's event id is the incident id.
    assert_eq!(events[0]["id"], events[0]["incident"]);
}

#[test]
fn a_garbage_database_is_reported_by_name_and_left_alone() {
    let room = Room::new();
    let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 7 + 3) as u8).collect();
    std::fs::write(room.db(), &garbage).expect("write the garbage");

    for args in [
        vec!["incidents"],
        vec!["show", "abc"],
        vec!["declare", "--title", "x", "--severity", "2"],
        vec!["log", "abc", "hello"],
    ] {
        let err = room.fails("ana", &args, 1);
        assert!(
            err.contains(&room.db().display().to_string()),
            "the error names the file: {err}"
        );
        assert!(err.contains("not a readable warroom database"), "{err}");
        assert!(err.contains("move it aside"), "{err}");
    }
    assert_eq!(std::fs::read(room.db()).expect("still there"), garbage);
    assert_eq!(room.files(), vec!["solo.db".to_string()]);
}

#[test]
fn demo_seeds_an_incident_with_roles_and_a_board() {
    let room = Room::new();
    let out = room.ok("ana", &["demo", "--no-tui"]);
    let id = out.trim_end_matches('\n');
    assert_eq!(out.lines().count(), 1, "{out}");
    assert_short_id(id);

    let text = room.ok("reader", &["show", id]);
    assert!(text.contains("Card payments failing at checkout"), "{text}");
    let role_line = |code: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(&format!("{code} ")))
            .unwrap_or_else(|| panic!("no {code} line:\n{text}"))
            .to_string()
    };
    // maya declared and later handed command to jonas; the delegated roles stayed put.
    assert!(text.contains("by maya"), "{text}");
    assert!(role_line("IC").contains("jonas"), "{text}");
    assert!(role_line("OL").contains("tomas"), "{text}");
    assert!(role_line("CL").contains("amira"), "{text}");
    assert!(role_line("PL").contains("lee"), "{text}");
    assert!(
        role_line("PO").contains("jonas") && role_line("PO").contains("(held by the IC)"),
        "{text}"
    );

    let state = room.show(id);
    assert_eq!(state["declared_by"], "maya");
    assert_eq!(state["roster"]["commander"], "jonas");
    assert_eq!(state["summary"]["commander"], "jonas");
    assert_eq!(state["roster"]["delegated"]["ol"], "tomas");
    assert_eq!(state["roster"]["delegated"]["cl"], "amira");
    assert_eq!(state["roster"]["delegated"]["pl"], "lee");
    let handovers = state["roster"]["handovers"].as_array().expect("handovers");
    assert_eq!(handovers.len(), 1, "{handovers:?}");
    assert_eq!(handovers[0]["from"], "maya");
    assert_eq!(handovers[0]["to"], "jonas");
    let observations = state["board"]["observations"]
        .as_array()
        .map_or(0, Vec::len);
    assert!(observations >= 2, "{}", state["board"]);
    assert!(state["impact"]["started"].is_string());
    assert!(time(&state["impact"]["started"]) < time(&state["summary"]["declared_at"]));
    assert_eq!(state["pending"], 0);
    assert_eq!(state["ignored_events"], 0, "every scripted step made sense");

    let events = room.events(id);
    assert!(events.len() > 10, "{}", events.len());
    let seqs: Vec<i64> = events.iter().filter_map(|e| e["seq"].as_i64()).collect();
    assert_eq!(seqs, (1..=events.len() as i64).collect::<Vec<_>>());
    assert!(events.iter().any(|e| e["author"] == "tomas"));
    assert_eq!(room.incidents()[0]["short_id"], id);
}

#[test]
fn severities_lists_the_three_levels_in_order() {
    let room = Room::new();
    let out = room.ok("ana", &["severities"]);
    let heads: Vec<&str> = out.lines().filter(|l| l.starts_with("SEV")).collect();
    assert_eq!(heads.len(), 3, "{out}");
    assert!(heads[0].starts_with("SEV1  critical: "), "{out}");
    assert!(heads[1].starts_with("SEV2  major: "), "{out}");
    assert!(heads[2].starts_with("SEV3  minor: "), "{out}");
    assert!(
        out.lines().any(|l| l.trim_start().starts_with("- ")),
        "{out}"
    );
    assert!(room.files().is_empty());
}

#[test]
fn a_bad_handle_is_refused_by_as_and_by_token_create_with_the_rule_books_message() {
    let room = Room::new();
    let long = "h".repeat(65);
    for bad in ["two words", "-rf", "mal\u{1b}[2Jlory", "", long.as_str()] {
        // `--as=` so that a handle starting with `-` reaches warroom, not the parser.
        let out = common::warroom(room.path())
            .arg(format!("--as={bad}"))
            .args(["declare", "--title", "x", "--severity", "2"])
            .output()
            .expect("the binary runs");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(1), "--as {bad:?}: {err}");
        let rule = warroom::domain::rules::check_handle("--as", bad).unwrap_err();
        assert_eq!(err, format!("warroom: {}\n", rule.message), "--as {bad:?}");

        if bad.is_empty() {
            continue;
        }
        let out = common::warroom(room.path())
            .args(["--as", "ana", "token", "create", "--", bad])
            .output()
            .expect("the binary runs");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(1), "token create {bad:?}: {err}");
        let rule = warroom::domain::rules::check_handle("the token's handle", bad).unwrap_err();
        assert_eq!(
            err,
            format!("warroom: {}\n", rule.message),
            "token create {bad:?}"
        );
        assert!(!err.contains('\u{1b}'), "shown visibly: {err}");
    }
    assert!(room.files().is_empty(), "nothing made: {:?}", room.files());
}

#[test]
fn a_handle_with_spaces_is_refused() {
    let room = Room::new();
    let err = room.fails(
        "two words",
        &["declare", "--title", "x", "--severity", "2"],
        1,
    );
    assert!(err.contains("is not a usable handle"), "{err}");
    assert!(room.files().is_empty());
}

/// Yesterday's date in UTC: impact times in these tests are set then (recent enough to be
/// accepted, and surely in the past).
fn day() -> String {
    (Utc::now() - chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string()
}

/// Runs the binary as `Room::cmd` does, in `data`, under umask 022 (the common default),
/// so that a file created with default permissions would be readable by everyone.
#[cfg(unix)]
fn run_with_umask_022(data: &Path, extra: &[&str], args: &[&str]) -> Run {
    let out = common::clean_command("sh")
        .arg("-c")
        .arg("umask 022 && exec \"$@\"")
        .arg("sh")
        .arg(common::BIN)
        .arg("--data-dir")
        .arg(data)
        .args(["--as", "ana"])
        .args(extra)
        .args(args)
        .output()
        .expect("the binary runs");
    Run {
        ok: out.status.success(),
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[cfg(unix)]
#[test]
fn the_data_dir_and_a_written_postmortem_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let room = Room::new();
    // The directory the user chose to put it in is theirs: its mode stays.
    std::fs::set_permissions(room.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let data = room.path().join("data");
    let declared = run_with_umask_022(
        &data,
        &[],
        &["declare", "--title", "Checkout down", "--severity", "2"],
    );
    assert!(declared.ok, "{}", declared.stderr);
    let id = declared.stdout.trim();
    assert_eq!(mode(&data), 0o700, "the data directory warroom made");
    assert_eq!(
        mode(room.path()),
        0o755,
        "the directory that was there already"
    );

    let report = room.path().join("report.md");
    let written = run_with_umask_022(
        &data,
        &[],
        &[
            "postmortem",
            id,
            "--force",
            "--out",
            report.to_str().unwrap(),
        ],
    );
    assert!(written.ok, "{}", written.stderr);
    assert!(
        std::fs::read_to_string(&report)
            .unwrap()
            .contains("Checkout down")
    );
    assert_eq!(mode(&report), 0o600, "the postmortem written with --out");
}

#[cfg(unix)]
#[test]
fn the_console_log_is_readable_by_its_owner_only() {
    let room = Room::new();
    let data = room.path().join("data");
    // Without a terminal the console refuses to start, after opening its log.
    let r = run_with_umask_022(&data, &[], &[]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(r.stderr.contains("needs a terminal"), "{}", r.stderr);
    assert_eq!(mode(&data), 0o700, "the data directory");
    assert_eq!(mode(&data.join("warroom.log")), 0o600, "the log");
}

#[cfg(unix)]
#[test]
fn a_shared_replica_is_kept_in_an_owner_only_directory() {
    // A server address nobody answers on: the declaration waits on this machine.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let server = format!("http://127.0.0.1:{port}");
    let room = Room::new();
    let data = room.path().join("data");
    let r = run_with_umask_022(
        &data,
        &["--server", &server, "--token", "t0ken"],
        &["declare", "--title", "Checkout down", "--severity", "2"],
    );
    assert!(r.ok, "{}", r.stderr);
    assert!(r.stderr.contains("pending"), "{}", r.stderr);
    assert_eq!(mode(&data), 0o700, "the data directory");
    assert_eq!(
        mode(&data.join("replicas")),
        0o700,
        "the replicas directory"
    );
}

#[test]
fn awake_records_since_when_a_responder_has_been_awake() {
    let room = Room::new();
    let id = room.declare("ana", "Checkout errors", 2);
    let out = room.ok("ana", &["awake", &id, "--since", "-16h"]);
    assert!(
        out.starts_with("ana awake since ") && out.contains(&format!(" on {id} (#2)")),
        "{out}"
    );
    let state = room.show(&id);
    let awake = time(&state["responders"]["ana"]["awake_since"]);
    let ago = Utc::now() - awake;
    assert!(
        ago > chrono::Duration::hours(16) - chrono::Duration::minutes(1)
            && ago < chrono::Duration::hours(16) + chrono::Duration::minutes(1),
        "awake since about 16 hours ago: {awake}"
    );

    // Another responder's time: refused for a non-IC, in one line...
    let before = room.events(&id);
    let err = room.fails("bob", &["awake", &id, "--since", "-2h", "--who", "ana"], 1);
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(err.contains("awake time for ana"), "{err}");
    assert_eq!(room.events(&id), before, "the refusal wrote nothing");

    // ...accepted for the IC.
    let out = room.ok("ana", &["awake", &id, "--since", "-2h", "--who", "bob"]);
    assert!(out.starts_with("bob awake since "), "{out}");
    assert!(room.show(&id)["responders"]["bob"]["awake_since"].is_string());

    // A time in the future is refused before anything is written.
    let before = room.events(&id);
    let err = room.fails("ana", &["awake", &id, "--since", "in 2h"], 1);
    assert!(err.contains("in the future"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    // So is more than a week ago (the rule book's bound).
    let err = room.fails("ana", &["awake", &id, "--since", "-9d"], 1);
    assert!(err.contains("more than a week"), "{err}");
    assert_eq!(room.events(&id), before, "the refusals wrote nothing");
    assert_eq!(room.show(&id)["pending"], 0);
}

#[test]
fn events_for_people_follow_the_time_things_happened_and_mark_what_was_back_dated() {
    let room = Room::new();
    let id = room.declare("ana", "Checkout errors", 2);
    room.ok("ana", &["log", &id, "looking at the pool"]);
    room.ok("ana", &["impact", &id, "started", "--at", "-2h"]);
    let text = room.ok("ana", &["events", &id]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].contains("impact start") && lines[0].contains("[recorded "),
        "the back-dated start of impact comes first, marked: {text}"
    );
    assert!(lines[1].contains("declared"), "{text}");
    assert!(lines[2].contains("looking at the pool"), "{text}");
    // The log itself stays in the order it was recorded.
    let json = room.events(&id);
    let kinds: Vec<&str> = json.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(kinds, vec!["incident_declared", "note", "impact_started"]);
}

#[test]
fn events_for_people_print_each_entry_whole_under_its_row() {
    let room = Room::new();
    let id = room.ok("ana", &["demo", "--no-tui"]).trim().to_string();
    room.ok(
        "ana",
        &[
            "log",
            &id,
            "pool is full\nwait queue at 1,800\n\tretries \u{1b}]0;pwned\u{7} doubling it",
        ],
    );
    let text = room.ok("ana", &["events", &id]);
    let lines: Vec<&str> = text.lines().collect();
    let row = |needle: &str| {
        lines
            .iter()
            .position(|l| l.starts_with(' ') && l.contains(needle) && l.contains('#'))
            .unwrap_or_else(|| panic!("no row with {needle:?}:\n{text}"))
    };

    // The update's row, then its whole text, checklist and next update, indented.
    let comms = row("internal update: SEV2");
    let block: Vec<&str> = lines[comms + 1..]
        .iter()
        .take_while(|l| l.is_empty() || l.starts_with("        "))
        .copied()
        .collect();
    let shown = block.join("\n");
    for line in [
        "Current status:",
        "- Calls to the tokenisation service have slowed sharply",
        "- Check the tokeniser's connection pool",
        "Root cause: currently unknown.",
        "Next update: in 30 minutes in #inc-payments and on the status page.",
    ] {
        assert!(shown.contains(line), "{line:?} is under the row:\n{shown}");
    }
    assert!(
        shown.contains("checks passed") && shown.contains("• root_cause"),
        "{shown}"
    );
    assert!(shown.contains("next update due"), "{shown}");
    assert!(
        block.iter().all(|l| l.chars().count() <= 100),
        "wrapped to 100 columns when not a terminal:\n{shown}"
    );

    // The handover's brief, every step and person.
    let handover = row("command handed over to jonas");
    let brief = lines[handover + 1..handover + 12].join("\n");
    assert!(
        brief.contains("• Find out why the pool was sized at 200") && brief.contains("• lee"),
        "{brief}"
    );

    // A note of several lines: the first on its row, the rest under it, shown safely.
    let note = row("pool is full");
    assert!(lines[note + 1].contains("wait queue at 1,800"), "{text}");
    assert!(
        lines[note + 2].contains("retries \\x1b]0;pwned\\x07 doubling it"),
        "{text}"
    );
    assert!(!text.contains('\u{1b}') && !text.contains('\t'), "{text}");

    // A one-line entry has nothing under it.
    let joined = row("tomas joined (payments, postgres)");
    assert!(lines[joined + 1].contains('#'), "{text}");
}

/// Texts the long log cycles through: plain, non-ASCII that is safe to print, text that
/// would steer a terminal (escape, C1 and bidi controls), and two lines.
const LONG_LOG_TEXTS: [&str; 4] = [
    "replica lag on shard 12, failing over",
    "café – “quoted” 日本語 → ok",
    "owned\u{1b}]0;title\u{7} then \u{9b}31m and \u{202e}reversed",
    "first line of a note\nits second line",
];

/// A solo data dir holding one incident of `notes` notes after its declaration, written
/// straight through the store (seconds apart from 2026-11-26 21:00 UTC, each recorded
/// within a minute of it, so none reads as back-dated), and a resolution its rule book
/// refuses, left in the outbox.
/// Answers the short id and the confirmed events as the store holds them.
fn long_log(room: &Room, notes: usize) -> (String, Vec<warroom::domain::event::Event>) {
    use std::sync::Arc;
    use warroom::clock::ManualClock;
    use warroom::domain::event::{EventKind, Severity};
    use warroom::store::{NewEvent, SqliteStore};

    let start: DateTime<Utc> = "2026-11-26T21:00:00Z".parse().unwrap();
    let at = |i: usize| start + chrono::Duration::seconds(i as i64);
    let clock = Arc::new(ManualClock::new(start));
    let store = SqliteStore::open(room.db(), clock.clone()).unwrap();
    let incident = uuid::Uuid::now_v7();
    let mut kinds = vec![EventKind::IncidentDeclared {
        title: "A long night".into(),
        severity: Severity::MAJOR,
        summary: String::new(),
        drill: false,
        restricted: false,
    }];
    kinds.extend((0..notes).map(|i| EventKind::Note {
        text: format!("{} #{i}", LONG_LOG_TEXTS[i % LONG_LOG_TEXTS.len()]),
    }));
    let events: Vec<NewEvent> = kinds
        .into_iter()
        .enumerate()
        .map(|(i, kind)| NewEvent {
            id: if i == 0 {
                incident
            } else {
                uuid::Uuid::now_v7()
            },
            at: at(i),
            persona: None,
            kind,
        })
        .collect();
    for (n, batch) in events.chunks(50).enumerate() {
        clock.set(at(n * 50 + batch.len() - 1) + chrono::Duration::seconds(1));
        store
            .append_blocking(incident, "ana", batch.to_vec())
            .unwrap();
    }
    let refused = NewEvent {
        id: uuid::Uuid::now_v7(),
        at: at(notes + 1),
        persona: None,
        kind: EventKind::Resolved {
            summary: "done".into(),
        },
    };
    store.outbox_add(incident, "ana", vec![refused]).unwrap();
    let stored = store.all_events(incident).unwrap();
    store.close();
    let short = warroom::domain::ids::short_id(&incident);
    (short, stored)
}

/// Whether `text` holds a character that would steer a terminal.
fn steers(text: &str) -> bool {
    text.chars().any(|c| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    })
}

#[test]
fn events_json_prints_a_long_log_whole_one_line_per_event_in_order() {
    let room = Room::new();
    let notes = 3000;
    let (id, stored) = long_log(&room, notes);
    let out = room.ok("reader", &["events", &id, "--json"]);
    assert!(out.ends_with('\n'));
    assert!(!steers(&out), "raw control characters in the JSON");
    let lines: Vec<&str> = out.lines().collect();
    // Every confirmed event once, in seq order, then the refused change still kept here.
    assert_eq!(lines.len(), notes + 2, "one line per event");
    for (line, want) in lines.iter().zip(&stored) {
        let got: warroom::domain::event::Event =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not an event ({e}): {line}"));
        assert_eq!(&got, want);
        // The line is the envelope as the API writes it.
        assert_eq!(
            serde_json::from_str::<Value>(line).unwrap(),
            serde_json::to_value(want).unwrap()
        );
    }
    let refused: Value = serde_json::from_str(lines[notes + 1]).unwrap();
    assert_eq!(refused["type"], "resolved");
    assert_eq!(refused["seq"], Value::Null);
    // Text that would steer a terminal is escaped, and parses back to exactly what was
    // written.
    let hostile: Value = serde_json::from_str(lines[3]).unwrap();
    assert_eq!(hostile["text"], format!("{} #2", LONG_LOG_TEXTS[2]));
    assert!(lines[3].contains("\\u009b31m"), "{}", lines[3]);
    assert!(lines[2].contains("“quoted” 日本語"), "{}", lines[2]);
}

#[test]
fn events_text_prints_a_long_log_as_before_one_row_per_event_in_time_order() {
    let room = Room::new();
    let notes = 3000;
    let (id, _) = long_log(&room, notes);
    let out = room.ok("reader", &["events", &id]);
    assert!(!steers(&out), "raw control characters in the text");
    let head: Vec<&str> = out.lines().take(7).collect();
    assert_eq!(
        head,
        [
            "    #1  2026-11-26 21:00:00  ana        declared     declared SEV2 (major): A long night",
            "    #2  2026-11-26 21:00:01  ana        note         replica lag on shard 12, failing over #0",
            "    #3  2026-11-26 21:00:02  ana        note         café – “quoted” 日本語 → ok #1",
            "    #4  2026-11-26 21:00:03  ana        note         owned\\x1b]0;title\\x07 then \\u{9b}31m and \\u{202e}reversed #2",
            "    #5  2026-11-26 21:00:04  ana        note         first line of a note",
            "        text              its second line #3",
            "    #6  2026-11-26 21:00:05  ana        note         replica lag on shard 12, failing over #4",
        ]
    );
    // One row per event, in the order things happened (here seq order), the refused
    // resolution last with its reason; under each two-line note, its second line.
    let rows: Vec<&str> = out
        .lines()
        .filter(|l| l.trim_start().starts_with('#'))
        .collect();
    assert_eq!(rows.len(), notes + 2);
    for (i, row) in rows.iter().take(notes + 1).enumerate() {
        assert!(
            row.trim_start().starts_with(&format!("#{} ", i + 1)),
            "row {i}: {row}"
        );
    }
    let last = rows[notes + 1];
    assert!(last.trim_start().starts_with("#-"), "{last}");
    assert!(
        last.contains("[REJECTED: event ")
            && last.contains(": record the end of impact before resolving"),
        "{last}"
    );
    let blocks = out
        .lines()
        .filter(|l| l.starts_with("        text              its second line #"))
        .count();
    assert_eq!(blocks, notes / LONG_LOG_TEXTS.len());
    assert_eq!(out.lines().count(), rows.len() + blocks);
}
