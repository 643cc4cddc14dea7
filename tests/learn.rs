//! Learn and Improve: the postmortem (golden file, blamelessness), the blame check,
//! stats, the known-error database, action items, privacy steps and drills.

// Tests fail by panicking, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration as StdDuration;

use assert_cmd::Command;
use chrono::{Duration, Utc};
use predicates::prelude::*;
use uuid::Uuid;
use warroom::clock::{Clock, ManualClock};
use warroom::domain::event::{Event, EventKind};
use warroom::domain::incident::Incident;
use warroom::domain::postmortem::{blame_check, report};

use common::demo_start as start;

/// The demo incident with fixed ids and times, resolved, with an action item.
fn fixed_incident() -> (Incident, Vec<Event>) {
    let incident = Uuid::from_u128(0xdead);
    let mut events = common::demo_events(incident, start(), common::numbered_ids(0x1001));
    let mut push = |minute: i64, author: &str, kind: EventKind| {
        events.push(Event {
            id: Uuid::from_u128(0x2000 + minute as u128),
            incident,
            seq: None,
            at: start() + Duration::minutes(minute),
            recorded_at: None,
            author: author.into(),
            persona: None,
            kind,
        });
    };
    push(70, "jonas", EventKind::ImpactEnded {});
    push(
        72,
        "jonas",
        EventKind::Resolved {
            summary: "Pool raised on every node.".into(),
        },
    );
    push(
        80,
        "jonas",
        EventKind::RoleAssigned {
            role: warroom::domain::event::Role::Po,
            handle: "amira".into(),
        },
    );
    push(
        85,
        "amira",
        EventKind::ActionItemAdded {
            text: "Alert when the tokeniser pool passes 80% for five minutes".into(),
            owner_role: warroom::domain::event::Role::Ol,
            due: chrono::NaiveDate::from_ymd_opt(2027, 1, 21).unwrap(),
        },
    );
    for (i, e) in events.iter_mut().enumerate() {
        e.seq = Some(i as i64 + 1);
    }
    (Incident::fold(incident, &events), events)
}

#[test]
fn the_postmortem_matches_its_golden_file_names_nobody_and_has_every_section() {
    let (state, events) = fixed_incident();
    let text = report(&state, &events, start() + Duration::hours(3));
    for handle in ["maya", "tomas", "amira", "lee", "jonas"] {
        assert!(
            !text.to_lowercase().contains(handle),
            "the report names {handle}"
        );
    }
    for section in [
        "This review is blameless",
        "## Summary",
        "## Impact",
        "## Key times",
        "Time to detect (TTD): 7m",
        "Time to recover (TTR): 1h 19m",
        "## Roles and handovers",
        "## What we saw, what we thought, what we tried",
        "### Theories",
        "### Experiments",
        "## Status updates sent",
        "## Action items",
        "## Timeline (UTC)",
        "## Meeting invitation",
    ] {
        assert!(text.contains(section), "missing {section:?}");
    }
    // The first commander, the second, and the others by their roles.
    assert!(text.contains(
        "command passed from the first incident commander to the second incident commander"
    ));
    let golden =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/postmortem_demo.md");
    if std::env::var_os("WARROOM_UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &text).unwrap();
    }
    let expected = std::fs::read_to_string(&golden).expect("tests/golden/postmortem_demo.md");
    assert_eq!(
        text, expected,
        "the report changed: set WARROOM_UPDATE_GOLDEN=1 to accept it"
    );
}

#[test]
fn the_blame_check_flags_blame_and_names_with_the_spot() {
    let (state, mut events) = fixed_incident();
    let id = state.id();
    let seq = events.len() as i64 + 1;
    for (i, text) in [
        "tomas should have checked the pool size",
        "It was human error during the deploy",
        "The pool size was set two years ago and never revisited",
    ]
    .iter()
    .enumerate()
    {
        events.push(Event {
            id: Uuid::from_u128(0x3000 + i as u128),
            incident: id,
            seq: Some(seq + i as i64),
            at: start() + Duration::minutes(90),
            recorded_at: None,
            author: "amira".into(),
            persona: None,
            kind: EventKind::Note {
                text: (*text).into(),
            },
        });
    }
    let findings = blame_check(&state, &events);
    let blocking: Vec<_> = findings.iter().filter(|f| f.blocking).collect();
    assert_eq!(blocking.len(), 2, "{findings:#?}");
    assert!(blocking[0].problem.contains("should have"));
    assert!(
        blocking[0].spot.starts_with(&format!("#{seq} note")),
        "{}",
        blocking[0].spot
    );
    assert!(blocking[1].problem.contains("human error"));
    let names: Vec<_> = findings
        .iter()
        .filter(|f| !f.blocking && f.excerpt.contains("tomas should"))
        .collect();
    assert_eq!(names.len(), 1, "{findings:#?}");
    assert!(names[0].problem.contains("the operations lead"));
    // The system-framed note is not flagged.
    assert!(
        !findings
            .iter()
            .any(|f| f.excerpt.contains("never revisited"))
    );
}

/// The binary in `dir`, acting as ana.
fn warroom(dir: &std::path::Path) -> Command {
    let mut c = common::warroom_assert(dir);
    c.args(["--as", "ana"]);
    c
}

fn out(c: &mut Command) -> String {
    String::from_utf8(c.assert().success().get_output().stdout.clone())
        .unwrap()
        .trim()
        .to_string()
}

#[test]
fn resolving_closing_and_the_postmortem_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let id = out(warroom(dir.path()).args([
        "declare",
        "--title",
        "Login broken",
        "--severity",
        "2",
        "--started-at",
        "-50m",
    ]));
    warroom(dir.path())
        .args(["resolve", &id])
        .assert()
        .failure()
        .stderr(predicate::str::contains("end of impact"));
    warroom(dir.path())
        .args(["impact", &id, "detected", "--at", "-40m"])
        .assert()
        .success();
    warroom(dir.path())
        .args(["impact", &id, "ended", "--at", "-5m"])
        .assert()
        .success();
    warroom(dir.path())
        .args(["resolve", &id])
        .assert()
        .success()
        .stderr(predicate::str::contains("final-internal"));
    warroom(dir.path())
        .args(["close", &id])
        .assert()
        .failure()
        .stderr(predicate::str::contains("Postmortem Owner"));
    warroom(dir.path())
        .args(["assign", &id, "po", "bo"])
        .assert()
        .success();
    warroom(dir.path())
        .args(["log", &id, "ana should have paged the DBA sooner"])
        .assert()
        .success();
    // The blame check stops the report; --force writes it anyway.
    warroom(dir.path())
        .args(["postmortem", &id])
        .assert()
        .failure()
        .stderr(
            predicate::str::contains("should have").and(predicate::str::contains("read as blame")),
        );
    let file = dir.path().join("pm.md");
    warroom(dir.path())
        .args(["postmortem", &id, "--force", "--out"])
        .arg(&file)
        .assert()
        .success();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains("Time to detect (TTD): 10m") && text.contains("Time to recover (TTR): 45m"),
        "{text}"
    );
    assert!(!text.contains("ana ") && !text.contains(" bo "), "{text}");
    warroom(dir.path()).args(["close", &id]).assert().success();
}

#[test]
fn amending_the_passage_the_blame_check_names_lets_the_postmortem_through() {
    let dir = tempfile::tempdir().unwrap();
    let id =
        out(warroom(dir.path()).args(["declare", "--title", "Queue stuck", "--severity", "3"]));
    warroom(dir.path())
        .args(["log", &id, "bo forgot to drain the queue before the deploy"])
        .assert()
        .success();
    let stopped = warroom(dir.path())
        .args(["postmortem", &id])
        .assert()
        .failure()
        .get_output()
        .stderr
        .clone();
    let stopped = String::from_utf8(stopped).unwrap();
    assert!(stopped.contains("warroom amend"), "{stopped}");
    // The finding names its spot as #SEQ; amending that entry is the advice.
    let seq = stopped
        .lines()
        .find(|l| l.starts_with("blame:"))
        .and_then(|l| l.split_whitespace().find(|w| w.starts_with('#')))
        .unwrap_or_else(|| panic!("no #SEQ in {stopped}"))
        .to_string();
    // Only the author or the IC may amend: cy may not.
    common::warroom_assert(dir.path())
        .args(["--as", "cy", "amend", &id, &seq, "something else"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("incident commander can amend"));
    let said = out(warroom(dir.path()).args([
        "amend",
        &id,
        &seq,
        "the queue was not drained before the deploy: the runbook has no such step",
    ]));
    assert!(said.contains("amended the note"), "{said}");
    let events = out(warroom(dir.path()).args(["events", &id]));
    assert!(
        events.contains("[amended] the queue was not drained"),
        "{events}"
    );
    let file = dir.path().join("pm.md");
    warroom(dir.path())
        .args(["postmortem", &id, "--out"])
        .arg(&file)
        .assert()
        .success();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains("forgot"), "{text}");
    assert!(text.contains("the runbook has no such step"), "{text}");
}

#[test]
fn action_items_default_to_eight_weeks_after_resolution() {
    let dir = tempfile::tempdir().unwrap();
    let id = out(warroom(dir.path()).args([
        "declare",
        "--title",
        "Disk full",
        "--severity",
        "3",
        "--started-at",
        "-30m",
    ]));
    warroom(dir.path())
        .args(["impact", &id, "ended"])
        .assert()
        .success();
    warroom(dir.path())
        .args(["resolve", &id])
        .assert()
        .success();
    warroom(dir.path())
        .args(["action", "add", &id, "Alert at 80% disk", "--owner", "ol"])
        .assert()
        .success();
    // Overdue already: due ten days ago.
    let overdue = (Utc::now() - Duration::days(10)).date_naive().to_string();
    warroom(dir.path())
        .args(["action", "add", &id, "Old one", "--due", &overdue])
        .assert()
        .success();
    let json: serde_json::Value =
        serde_json::from_str(&out(warroom(dir.path()).args(["actions", "--json"]))).unwrap();
    let items = json.as_array().unwrap();
    assert_eq!(items.len(), 2);
    let due =
        chrono::NaiveDate::parse_from_str(items[0]["due"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    let expected = (Utc::now() + Duration::weeks(8)).date_naive();
    assert!(
        (due - expected).num_days().abs() <= 1,
        "{due} vs {expected}"
    );
    assert_eq!(items[0]["owner_role"], "ol");
    let overdue: serde_json::Value = serde_json::from_str(&out(warroom(dir.path()).args([
        "actions",
        "--overdue",
        "--json",
    ])))
    .unwrap();
    assert_eq!(overdue.as_array().unwrap().len(), 1);
    warroom(dir.path())
        .args(["action", "done", &id, "A2"])
        .assert()
        .success();
    let overdue: serde_json::Value = serde_json::from_str(&out(warroom(dir.path()).args([
        "actions",
        "--overdue",
        "--json",
    ])))
    .unwrap();
    assert!(overdue.as_array().unwrap().is_empty());
}

#[test]
fn stats_through_the_cli_group_by_severity_and_list_gaps() {
    let dir = tempfile::tempdir().unwrap();
    for (ttd, ttr) in [(5, 60), (15, 120)] {
        let id = out(warroom(dir.path()).args([
            "declare",
            "--title",
            "x",
            "--severity",
            "1",
            "--started-at",
            "-180m",
        ]));
        warroom(dir.path())
            .args([
                "impact",
                &id,
                "detected",
                "--at",
                &format!("-{}m", 180 - ttd),
            ])
            .assert()
            .success();
        warroom(dir.path())
            .args(["impact", &id, "ended", "--at", &format!("-{}m", 180 - ttr)])
            .assert()
            .success();
    }
    out(warroom(dir.path()).args(["declare", "--title", "open one", "--severity", "1"]));
    let json: serde_json::Value =
        serde_json::from_str(&out(warroom(dir.path()).args(["stats", "--json"]))).unwrap();
    let sev1 = &json["by_severity"]["1"];
    assert_eq!(sev1["incidents"], 3);
    assert_eq!(sev1["ttd"]["count"], 2);
    assert_eq!(sev1["ttd"]["p50"], 300);
    assert_eq!(sev1["ttd"]["max"], 900);
    assert_eq!(sev1["ttr"]["p90"], 7200);
    assert_eq!(json["missing"].as_array().unwrap().len(), 1);
    let text = out(warroom(dir.path()).arg("stats"));
    assert!(
        text.contains("open one") && text.contains("Time to recover"),
        "{text}"
    );
}

#[test]
fn the_known_error_database_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let id = out(warroom(dir.path()).args([
        "declare",
        "--title",
        "Checkout failing",
        "--severity",
        "2",
    ]));
    let k1 = out(warroom(dir.path()).args([
        "kedb",
        "add",
        "--symptom",
        "Card payments fail at checkout",
        "--root-cause",
        "Tokeniser pool too small",
        "--workaround",
        "Raise the pool",
    ]));
    let k2 = out(warroom(dir.path()).args([
        "kedb",
        "add",
        "--symptom",
        "Search is slow",
        "--root-cause",
        "Missing index on payments",
    ]));
    assert!(k1.starts_with("KE-") && k2.starts_with("KE-") && k1 != k2);
    let json: serde_json::Value = serde_json::from_str(&out(
        warroom(dir.path()).args(["kedb", "search", "payments", "--json"])
    ))
    .unwrap();
    let keys: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["entry"]["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        vec![k1.as_str(), k2.as_str()],
        "the symptom match ranks first"
    );
    warroom(dir.path())
        .args(["kedb", "link", &k1, &id])
        .assert()
        .success();
    let shown = out(warroom(dir.path()).args(["kedb", "show", &k1]));
    assert!(
        shown.contains(&id) && shown.contains("Raise the pool"),
        "{shown}"
    );
    // The known-error stream never shows up as an incident.
    let list: serde_json::Value =
        serde_json::from_str(&out(warroom(dir.path()).args(["incidents", "--json"]))).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
}

#[test]
fn privacy_steps_are_tracked_after_a_possible_breach() {
    let dir = tempfile::tempdir().unwrap();
    let id =
        out(warroom(dir.path()).args(["declare", "--title", "Export leaked", "--severity", "1"]));
    warroom(dir.path())
        .args(["privacy", &id, "--step", "1"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("possible breach"));
    warroom(dir.path())
        .args(["privacy", &id, "--assess", "possible-breach"])
        .assert()
        .success()
        .stderr(predicate::str::contains("Policy Lead"));
    let shown =
        out(warroom(dir.path()).args(["privacy", &id, "--step", "1", "--note", "link revoked"]));
    assert!(
        shown.contains("1. preliminary assessment and containment: done"),
        "{shown}"
    );
    assert!(shown.contains("2. full assessment: open"), "{shown}");
    warroom(dir.path())
        .args(["privacy", &id, "--step", "1"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("already done"));
}

#[test]
fn a_drill_plays_its_events_over_time_on_an_injected_clock() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(start()));
    let dyn_clock: Arc<dyn Clock> = clock.clone();
    let replica = warroom::sync::Replica::open_solo(dir.path(), "kim", dyn_clock.clone()).unwrap();
    let drill =
        warroom::drill::prepare("database-failover", "kim", clock.as_ref(), 2.0, false).unwrap();
    let mut waits = Vec::new();
    let mut played = Vec::new();
    warroom::drill::play(
        &replica,
        &drill,
        &dyn_clock,
        |d: StdDuration| {
            waits.push(d);
            clock.advance(Duration::from_std(d).unwrap());
        },
        |e, _| played.push((clock.now(), e.author.clone())),
    )
    .unwrap();
    // Played at double speed: the last step (minute 15) arrives 7.5 minutes in.
    assert_eq!(played.last().unwrap().0, start() + Duration::seconds(450));
    assert_eq!(played[0].1, "kim", "the trainee declares and commands");
    let total: StdDuration = waits.iter().sum();
    assert_eq!(total, StdDuration::from_secs(450));
    let list = replica.incidents().unwrap();
    assert_eq!(list.len(), 1);
    assert!(list[0].drill);
    assert_eq!(list[0].commander.as_deref(), Some("kim"));
    let view = replica.view(list[0].id).unwrap();
    assert_eq!(view.confirmed.len(), drill.events.len());
    // Back-dated start of impact: four scenario minutes before, at double speed.
    assert_eq!(
        view.state.impact.started,
        Some(start() - Duration::minutes(2))
    );
    // Drills stay out of the statistics.
    let s = warroom::domain::metrics::stats(&list, None);
    assert_eq!((s.all.incidents, s.drills_excluded), (0, 1));
}

#[test]
fn unknown_drills_and_bad_speeds_are_refused() {
    let clock = ManualClock::new(start());
    assert!(warroom::drill::prepare("nope", "kim", &clock, 1.0, false).is_err());
    assert!(warroom::drill::prepare("privacy-leak", "kim", &clock, 0.0, false).is_err());
    let dir = tempfile::tempdir().unwrap();
    let listing = out(warroom(dir.path()).arg("drill"));
    assert!(
        listing.contains("database-failover") && listing.contains("privacy-leak"),
        "{listing}"
    );
}
