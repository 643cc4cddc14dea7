//! `warroom demo` leaves real data alone: its incident is a drill (labelled so, and left
//! out of the statistics), and running it again opens the same incident instead of piling
//! up new ones. Through the real binary, each test in a fresh data directory.

// Tests fail by panicking, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Output;

use serde_json::Value;
use tempfile::TempDir;

/// The binary with `dir` as its data dir, acting as `handle`, in a clean environment.
fn warroom(dir: &TempDir, handle: &str, args: &[&str]) -> Output {
    common::warroom(dir.path())
        .args(["--as", handle])
        .args(args)
        .output()
        .expect("the binary runs")
}

/// Runs a command that must succeed; answers its stdout.
fn ok(dir: &TempDir, handle: &str, args: &[&str]) -> String {
    let out = warroom(dir, handle, args);
    let stdout = String::from_utf8(out.stdout).expect("stdout is UTF-8");
    assert!(
        out.status.success(),
        "`warroom {}` failed ({:?})\nstdout: {stdout}\nstderr: {}",
        args.join(" "),
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// `demo --no-tui`: its stdout is the short id alone.
fn demo(dir: &TempDir) -> String {
    let out = ok(dir, "ana", &["demo", "--no-tui"]);
    assert_eq!(out.lines().count(), 1, "only the short id: {out:?}");
    let id = out.trim_end_matches('\n').to_string();
    assert_eq!(id.len(), 6, "a short id: {out:?}");
    id
}

fn json(dir: &TempDir, args: &[&str]) -> Value {
    let out = ok(dir, "reader", args);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn incidents(dir: &TempDir) -> Vec<Value> {
    json(dir, &["incidents", "--json"])
        .as_array()
        .expect("a list")
        .clone()
}

#[test]
fn the_demo_incident_is_a_drill_and_says_so() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let id = demo(&dir);

    let state = json(&dir, &["show", &id, "--json"]);
    assert_eq!(state["summary"]["drill"], true, "{}", state["summary"]);
    let listed = incidents(&dir);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["short_id"], id.as_str());
    assert_eq!(listed[0]["drill"], true);

    // People see it marked as one.
    let table = ok(&dir, "reader", &["incidents"]);
    assert!(
        table.contains("[DRILL] Card payments failing at checkout"),
        "{table}"
    );
    let report = ok(&dir, "reader", &["show", &id]);
    assert!(
        report.lines().next().unwrap_or("").contains("[DRILL]"),
        "{report}"
    );
}

#[test]
fn stats_leave_the_demo_out() {
    let dir = tempfile::tempdir().expect("a temp dir");
    demo(&dir);

    let stats = json(&dir, &["stats", "--json"]);
    assert_eq!(stats["all"]["incidents"], 0, "{stats}");
    assert_eq!(stats["drills_excluded"], 1, "{stats}");
    assert!(
        stats["by_severity"]
            .as_object()
            .is_none_or(|m| m.is_empty()),
        "{stats}"
    );
    assert_eq!(stats["missing"], serde_json::json!([]), "{stats}");

    // A real incident beside it is counted, the demo still is not.
    ok(
        &dir,
        "ana",
        &["declare", "--title", "Checkout down", "--severity", "2"],
    );
    let stats = json(&dir, &["stats", "--json"]);
    assert_eq!(stats["all"]["incidents"], 1, "{stats}");
    assert_eq!(stats["drills_excluded"], 1, "{stats}");
    let text = ok(&dir, "reader", &["stats"]);
    assert!(text.contains("1 drill(s) left out"), "{text}");
}

#[test]
fn running_the_demo_twice_opens_the_same_incident() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let first = demo(&dir);
    let events_before = json(&dir, &["show", &first, "--json"])["summary"]["event_count"].clone();

    let again = warroom(&dir, "ana", &["demo", "--no-tui"]);
    assert!(again.status.success());
    let second = String::from_utf8(again.stdout).expect("UTF-8");
    assert_eq!(second, format!("{first}\n"), "the same short id, alone");
    let said = String::from_utf8(again.stderr).expect("UTF-8");
    assert!(said.contains(&first) && said.contains("resolve"), "{said}");

    let listed = incidents(&dir);
    assert_eq!(listed.len(), 1, "one demo incident: {listed:?}");
    assert_eq!(
        json(&dir, &["show", &first, "--json"])["summary"]["event_count"],
        events_before,
        "nothing was seeded again"
    );
}

#[test]
fn a_resolved_demo_makes_way_for_a_fresh_one_and_a_real_incident_is_never_taken_for_it() {
    let dir = tempfile::tempdir().expect("a temp dir");
    // A real incident with the demo's very title is not the demo.
    let real = ok(
        &dir,
        "maya",
        &[
            "declare",
            "--title",
            "Card payments failing at checkout",
            "--severity",
            "2",
        ],
    );
    let first = demo(&dir);
    assert_ne!(first, real.trim());

    // As the hint says: its IC ends the impact and resolves it.
    let ic = json(&dir, &["show", &first, "--json"])["summary"]["commander"]
        .as_str()
        .expect("the demo has an IC")
        .to_string();
    ok(&dir, &ic, &["impact", &first, "ended"]);
    ok(&dir, &ic, &["resolve", &first]);

    let second = demo(&dir);
    assert_ne!(second, first, "a resolved demo is not reopened");
    assert_eq!(demo(&dir), second, "the fresh one is reused in turn");
    assert_eq!(incidents(&dir).len(), 3);

    // A restricted demo is its own: asking for one does not open the open one.
    let restricted = ok(&dir, "ana", &["demo", "--no-tui", "--restricted"]);
    assert_ne!(restricted.trim(), second);
    assert_eq!(
        ok(&dir, "ana", &["demo", "--no-tui", "--restricted"]),
        restricted
    );
}
