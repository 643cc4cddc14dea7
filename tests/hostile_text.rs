//! Incident text is written by anyone on the response, so the CLI never prints it raw:
//! a title carrying `ESC ]0;...BEL` would retitle the terminal of whoever lists incidents,
//! `ESC [2J` would clear it, a C1 control or a bidi override would garble what is read.
//! Through the real binary, every command that prints such text shows those characters
//! visibly (`\x1b`, `\x07`, `\x0d`, `\u{9b}`, `\u{202e}`), keeps one entry on one line where
//! it lists entries, and `--json` still parses back to the exact text.

// Tests fail by panicking, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use serde_json::Value;
use tempfile::TempDir;

/// A title with a terminal retitle (OSC ... BEL), a clear screen, a carriage return, a C1
/// CSI, a bidi override and a line break and tab.
const TITLE: &str = "Checkout \u{1b}]0;owned\u{7}\u{1b}[2J down\rFAKE \u{9b}31m \u{202e}desrever\u{202c}\nsecond line\tend";
/// A summary over several lines, with colours and a CR.
const SUMMARY: &str = "Card payments fail.\r\n\u{1b}[31mred\u{1b}[0m and \u{2067}isolated\u{2069}";
/// A note with a retitle, a CR, a C1 NEL and a bidi isolate.
const NOTE: &str = "looked at \u{1b}]0;note\u{7} logs\r\u{85}done \u{2067}x\u{1b}[0m";
/// A handle may carry controls too: only whitespace is refused.
/// Who writes the hostile text.
const HANDLE: &str = "mallory";
/// A handle with a control sequence in it: refused wherever a handle is given.
const HOSTILE_HANDLE: &str = "mal\u{1b}[2Jlory";

/// The escapes every rendering of TITLE shows, whatever else it does.
const TITLE_SHOWN: [&str; 5] = [
    r"\x1b]0;owned\x07",
    r"\x1b[2J down",
    r"down\x0dFAKE",
    r"\u{9b}31m",
    r"\u{202e}desrever\u{202c}",
];

struct Room {
    dir: TempDir,
}

/// What one run of the binary left behind.
struct Run {
    ok: bool,
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

    /// The binary with this room's data dir, acting as `handle`, and nothing from the
    /// environment of whoever runs the tests.
    fn run_in(&self, data: &Path, handle: &str, args: &[&str]) -> Run {
        let out = common::warroom(data)
            .arg("--as")
            .arg(handle)
            .args(args)
            .output()
            .expect("the binary runs");
        Run {
            ok: out.status.success(),
            stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
        }
    }

    fn run(&self, handle: &str, args: &[&str]) -> Run {
        self.run_in(self.path(), handle, args)
    }

    /// Runs a command that must succeed; its stderr must be terminal-safe too.
    fn ok(&self, handle: &str, args: &[&str]) -> String {
        let r = self.run(handle, args);
        assert!(
            r.ok,
            "`warroom {args:?}` failed\nstdout: {}\nstderr: {}",
            r.stdout, r.stderr
        );
        assert_safe(&format!("stderr of {args:?}"), &r.stderr, Lines::Many);
        r.stdout
    }

    /// Runs a command that must fail; answers its stderr.
    fn fails(&self, handle: &str, args: &[&str]) -> String {
        let r = self.run(handle, args);
        assert!(!r.ok, "`warroom {args:?}` should have failed: {}", r.stdout);
        r.stderr
    }

    /// An incident with TITLE and SUMMARY, declared by ana, and NOTE logged by HANDLE.
    fn hostile_incident(&self) -> String {
        let id = self.ok(
            "ana",
            &[
                "declare",
                "--title",
                TITLE,
                "--severity",
                "2",
                "--summary",
                SUMMARY,
            ],
        );
        let id = id.trim().to_string();
        let noted = self.ok(HANDLE, &["log", &id, NOTE]);
        assert!(noted.starts_with("noted on "), "{noted}");
        id
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Lines {
    /// Each entry is one line: no line break or tab may come from user text.
    One,
    /// Text meant to run over several lines: line breaks and tabs may stay.
    Many,
}

/// A character that steers a terminal: a C0 control, DEL, a C1 control, a bidi override
/// or isolate.
fn steers(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Nothing in `out` steers the terminal it is printed on (line breaks aside, and tabs
/// where the text runs over several lines).
fn assert_safe(what: &str, out: &str, lines: Lines) {
    let allowed = |c: char| c == '\n' || (c == '\t' && lines == Lines::Many);
    let bad: Vec<char> = out.chars().filter(|&c| steers(c) && !allowed(c)).collect();
    assert!(
        bad.is_empty(),
        "{what} passes {bad:?} to the terminal:\n{out:?}"
    );
    for byte in [0x1b, 0x07, 0x0d, 0x00, 0x7f] {
        assert!(!out.as_bytes().contains(&byte), "{what} has byte {byte:#x}");
    }
    // U+009B (CSI) is the bytes C2 9B in UTF-8.
    assert!(!out.as_bytes().windows(2).any(|w| w == [0xc2, 0x9b]));
}

fn assert_shows_title(what: &str, out: &str) {
    for shown in TITLE_SHOWN {
        assert!(out.contains(shown), "{what} does not show {shown}:\n{out}");
    }
}

fn json_lines(out: &str) -> Vec<Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn incidents_lists_a_hostile_title_on_one_visible_line() {
    let room = Room::new();
    let id = room.hostile_incident();
    let out = room.ok("reader", &["incidents"]);
    assert_safe("incidents", &out, Lines::One);
    assert_shows_title("incidents", &out);
    assert!(out.contains(r"\x0asecond line\x09end"), "{out}");
    assert_eq!(out.lines().count(), 2, "a header and one row:\n{out}");
    let row = out.lines().nth(1).unwrap();
    assert!(row.starts_with(&id), "{row}");

    let json = room.ok("reader", &["incidents", "--json"]);
    assert_safe("incidents --json", &json, Lines::One);
    let list: Value = serde_json::from_str(&json).expect("incidents --json parses");
    assert_eq!(list[0]["title"], TITLE, "JSON keeps the exact title");
}

#[test]
fn show_prints_every_hostile_field_visibly() {
    let room = Room::new();
    let id = room.hostile_incident();
    room.ok("ana", &["assign", &id, "ol", HANDLE]);
    let out = room.ok("reader", &["show", &id]);
    assert_safe("show", &out, Lines::Many);
    assert_shows_title("show", &out);
    // The title stays on its own line; the summary is an indented block.
    let title_line = out.lines().nth(1).unwrap();
    assert!(
        title_line.starts_with(r"Checkout \x1b]0;owned\x07")
            && title_line.ends_with(r"\x0asecond line\x09end"),
        "{out}"
    );
    assert!(
        out.contains("  Card payments fail.\\x0d\n  \\x1b[31mred"),
        "{out}"
    );
    assert!(out.contains(r"\u{2067}isolated\u{2069}"), "{out}");
    // The handle, as the Operations Lead and as a responder.
    let ol = out
        .lines()
        .find(|l| l.trim_start().starts_with("OL "))
        .unwrap_or_else(|| panic!("no OL line:\n{out}"));
    assert!(ol.contains("mallory"), "{ol}");
    // A handle carrying control characters is refused, and shown visibly in the refusal.
    let err = room.fails("ana", &["assign", &id, "pl", HOSTILE_HANDLE]);
    assert_safe("assign a hostile handle", &err, Lines::Many);
    assert!(err.contains(r"mal\x1b[2Jlory"), "{err}");

    let json = room.ok("reader", &["show", &id, "--json"]);
    assert_safe("show --json", &json, Lines::Many);
    let state: Value = serde_json::from_str(&json).expect("show --json parses");
    assert_eq!(state["summary"]["title"], TITLE);
    assert_eq!(state["description"], SUMMARY);
}

#[test]
fn events_keeps_one_event_per_line_and_json_round_trips_the_exact_text() {
    let room = Room::new();
    let id = room.hostile_incident();

    let json = room.ok("reader", &["events", &id, "--json"]);
    assert_safe("events --json", &json, Lines::One);
    let events = json_lines(&json);
    let declared = events
        .iter()
        .find(|e| e["type"] == "incident_declared")
        .expect("the declaration");
    assert_eq!(declared["title"], TITLE);
    assert_eq!(declared["summary"], SUMMARY);
    let note = events
        .iter()
        .find(|e| e["type"] == "note")
        .expect("the note");
    assert_eq!(note["text"], NOTE);
    assert_eq!(note["author"], HANDLE);
    // serde_json escapes C0 controls itself; C1 controls and bidi overrides are escaped too.
    assert!(json.contains(r"\u001b]0;owned\u0007"), "{json}");
    assert!(
        json.contains(r"\u009b31m") && json.contains(r"\u202edesrever"),
        "{json}"
    );

    let out = room.ok("reader", &["events", &id]);
    assert_safe("events", &out, Lines::One);
    // One row per event; what a row leaves out is indented under it, never a row itself.
    let rows = out
        .lines()
        .filter(|l| l.trim_start().starts_with('#'))
        .count();
    assert_eq!(rows, events.len(), "one row per event:\n{out}");
    assert!(
        out.lines()
            .all(|l| l.trim_start().starts_with('#') || l.starts_with("        ")),
        "every other line is indented under its row:\n{out}"
    );
    assert_shows_title("events", &out);
    let note_line = out
        .lines()
        .find(|l| l.contains("looked at"))
        .unwrap_or_else(|| panic!("no note line:\n{out}"));
    assert!(
        note_line.contains(r"looked at \x1b]0;note\x07 logs\x0d\u{85}done \u{2067}x\x1b[0m"),
        "{note_line}"
    );
    assert!(note_line.contains("mallory"), "{note_line}");
}

#[test]
fn the_postmortem_shows_hostile_text_visibly_on_stdout_and_in_its_file() {
    let room = Room::new();
    let id = room.hostile_incident();
    let r = room.run("ana", &["postmortem", &id, "--force"]);
    assert!(r.ok, "{}", r.stderr);
    assert_safe("postmortem", &r.stdout, Lines::Many);
    assert_safe("postmortem's stderr", &r.stderr, Lines::Many);
    assert_shows_title("postmortem", &r.stdout);
    assert!(r.stdout.contains("\\x1b[31mred"), "{}", r.stdout);

    let file = room.path().join("report.md");
    let file_arg = file.to_str().unwrap();
    room.ok("ana", &["postmortem", &id, "--force", "--out", file_arg]);
    let written = std::fs::read_to_string(&file).expect("the report was written");
    assert_safe("postmortem --out", &written, Lines::Many);
    assert_shows_title("postmortem --out", &written);
}

#[test]
fn action_items_list_hostile_text_one_per_line() {
    let room = Room::new();
    let id = room.hostile_incident();
    let text = "Alert on \u{1b}]0;x\u{7}retries\nand\tmore \u{202e}x";
    room.ok("ana", &["action", "add", &id, text, "--due", "2030-01-01"]);
    room.ok(
        "ana",
        &["action", "add", &id, "Plain item", "--due", "2030-01-02"],
    );
    let out = room.ok("reader", &["actions"]);
    assert_safe("actions", &out, Lines::One);
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(
        out.contains(r"Alert on \x1b]0;x\x07retries\x0aand\x09more \u{202e}x"),
        "{out}"
    );
    let json = room.ok("reader", &["actions", "--json"]);
    assert_safe("actions --json", &json, Lines::Many);
    let rows: Value = serde_json::from_str(&json).expect("actions --json parses");
    assert_eq!(rows[0]["text"], text);
}

#[test]
fn known_errors_show_hostile_entries_visibly() {
    let room = Room::new();
    let id = room.hostile_incident();
    let key = room.ok(
        "ana",
        &[
            "kedb",
            "add",
            "--symptom",
            "Checkout \u{1b}[2Jtimeouts\nsecond",
            "--root-cause",
            "Pool \u{9b}exhausted",
            "--workaround",
            "Restart \u{7}pods\r\nthen wait",
            "--incident",
            &id,
        ],
    );
    let key = key.trim();

    let found = room.ok("reader", &["kedb", "search", "checkout", "timeouts"]);
    assert_safe("kedb search", &found, Lines::One);
    assert!(
        found.contains(r"Checkout \x1b[2Jtimeouts\x0asecond"),
        "{found}"
    );
    assert!(
        found.contains(r"Restart \x07pods\x0d\x0athen wait"),
        "{found}"
    );
    assert_eq!(
        found.lines().count(),
        2,
        "the entry and its workaround:\n{found}"
    );

    let json = room.ok("reader", &["kedb", "search", "checkout", "--json"]);
    let hits: Value = serde_json::from_str(&json).expect("kedb search --json parses");
    assert_eq!(
        hits[0]["entry"]["symptom"],
        "Checkout \u{1b}[2Jtimeouts\nsecond"
    );

    let shown = room.ok("reader", &["kedb", "show", key]);
    assert_safe("kedb show", &shown, Lines::Many);
    assert!(
        shown.contains("Symptom:    Checkout \\x1b[2Jtimeouts\n            second"),
        "{shown}"
    );
    assert!(
        shown.contains(r"Root cause: Pool \u{9b}exhausted"),
        "{shown}"
    );
    assert!(
        shown.contains("Workaround: Restart \\x07pods\\x0d\n            then wait"),
        "{shown}"
    );
    // The linked incident's title.
    assert_shows_title("kedb show", &shown);
}

#[test]
fn a_comms_template_filled_from_a_hostile_incident_is_safe_to_print() {
    let room = Room::new();
    let id = room.hostile_incident();
    let out = room.ok("ana", &["comms", "template", "update", "--incident", &id]);
    assert_safe("comms template", &out, Lines::Many);
    assert!(out.contains(r"\x1b]0;owned\x07"), "{out}");
    assert!(
        out.lines().count() > 3,
        "a template still runs over several lines:\n{out}"
    );
}

#[test]
fn a_hostile_handle_is_refused_and_shown_visibly() {
    let room = Room::new();
    let err = room.fails(
        HOSTILE_HANDLE,
        &["drill", "database-failover", "--speed", "1000000"],
    );
    assert_safe("drill as a hostile handle", &err, Lines::Many);
    assert!(
        err.contains(r"mal\x1b[2Jlory") && err.contains("control characters"),
        "{err}"
    );
    let out = room.ok(
        HANDLE,
        &["drill", "database-failover", "--speed", "1000000"],
    );
    assert_safe("drill", &out, Lines::One);
    assert!(out.contains("mallory"), "{out}");
}

#[test]
fn status_shows_a_hostile_data_directory_name_visibly() {
    let room = Room::new();
    let data = room.path().join("data\u{1b}]0;dir\u{7}");
    let r = room.run_in(&data, "ana", &["status"]);
    assert!(r.ok, "{}", r.stderr);
    assert_safe("status", &r.stdout, Lines::One);
    assert!(r.stdout.contains(r"data\x1b]0;dir\x07"), "{}", r.stdout);
}

#[test]
fn errors_that_quote_typed_text_show_it_visibly() {
    let room = Room::new();
    let id = room.hostile_incident();
    let typed = "\u{1b}]0;owned\u{7}\u{1b}[2Jnope\nwarroom: all good";
    for args in [
        vec!["show", typed],
        vec!["events", typed],
        vec!["log", typed, "a note"],
        vec!["postmortem", typed],
        vec!["action", "done", &id, typed],
        vec!["assign", &id, typed, "bob"],
        vec!["kedb", "show", typed],
        vec!["drill", typed],
        vec!["comms", "template", typed],
        vec!["impact", &id, "started", "--at", typed],
    ] {
        let err = room.fails("ana", &args);
        assert_safe(&format!("the error of {args:?}"), &err, Lines::One);
        assert!(
            err.contains(r"\x1b]0;owned\x07\x1b[2Jnope\x0awarroom: all good"),
            "{args:?}: {err}"
        );
        assert_eq!(
            err.lines().count(),
            1,
            "one line, no forged second one: {err}"
        );
    }
}
