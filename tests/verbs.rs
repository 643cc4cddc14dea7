//! Every act is a command-line verb (`warroom VERB INCIDENT …`), through the real binary:
//! a whole response scripted verb by verb, alone on one data dir and against a real server
//! with two responders, each verb answering with one line (or `--json`, the event), and
//! bad input answered with a sentence and nothing recorded.

// Tests fail by panicking, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::Output;

use serde_json::Value;

/// How to run the binary as one responder: solo on a data dir, or shared with a token.
struct Responder<'a> {
    data: std::path::PathBuf,
    handle: &'a str,
    server: Option<(String, &'a str)>,
}

impl Responder<'_> {
    fn run(&self, args: &[&str]) -> Output {
        let mut c = common::warroom(&self.data);
        match &self.server {
            None => {
                c.args(["--as", self.handle]);
            }
            Some((url, token)) => {
                c.args(["--server", url, "--token", token]);
            }
        }
        c.args(args).output().unwrap()
    }

    /// Runs a verb that must succeed; answers its standard output.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{} `{}` failed: {}",
            self.handle,
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs a verb that must fail; answers its standard error.
    fn refused(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            !out.status.success(),
            "{} `{}` should have failed: {}",
            self.handle,
            args.join(" "),
            String::from_utf8_lossy(&out.stdout)
        );
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(!err.contains("panicked"), "{err}");
        err
    }

    fn events(&self, id: &str) -> Vec<Value> {
        self.ok(&["events", id, "--json"])
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

/// A whole response in verbs, ana commanding and bo on operations.
fn script(ana: &Responder, bo: &Responder, dir: &Path) {
    let id = ana
        .ok(&["declare", "--title", "Checkout errors", "--severity", "2"])
        .trim()
        .to_string();
    let one_line = |out: String, words: &str| {
        assert_eq!(out.lines().count(), 1, "one line: {out}");
        assert!(out.contains(words), "`{words}` in: {out}");
        assert!(out.contains(&id) || out.contains("on "), "{out}");
    };
    one_line(
        bo.ok(&["join", &id, "--skills", "payments,postgres"]),
        "bo joined",
    );
    one_line(ana.ok(&["assign", &id, "ol", "bo"]), "Operations Lead");
    one_line(
        bo.ok(&["observe", &id, "card", "errors", "at", "38%"]),
        "observation O1 added",
    );
    one_line(bo.ok(&["theory", &id, "the", "deploy"]), "theory T1 added");
    one_line(bo.ok(&["theory", &id, "the", "pool"]), "theory T2 added");
    one_line(
        bo.ok(&[
            "experiment",
            &id,
            "roll",
            "back",
            "pay-3",
            "--tests",
            "T1,T2",
        ]),
        "experiment E1 planned",
    );
    // One verdict for two theories is refused, naming what to give.
    let err = bo.refused(&["outcome", &id, "supports"]);
    assert!(err.contains("T1=… T2=…"), "{err}");
    one_line(
        bo.ok(&[
            "outcome",
            &id,
            "E1",
            "T1=refutes",
            "T2=s",
            "--notes",
            "same errors",
        ]),
        "outcome of E1 recorded",
    );
    one_line(
        bo.ok(&["request-change", &id, "raise", "the", "pool", "to", "400"]),
        "change request C1",
    );
    // Only the IC decides; a denial needs a reason.
    let err = bo.refused(&["approve", &id]);
    assert!(err.contains("incident commander"), "{err}");
    let err = ana.refused(&["deny", &id, "C1"]);
    assert!(err.contains("--reason"), "{err}");
    one_line(ana.ok(&["approve", &id, "C1"]), "approved C1 (bo's change)");
    let err = ana.refused(&["approve", &id, "C1"]);
    assert!(err.contains("already decided"), "{err}");
    one_line(
        ana.ok(&["severity", &id, "1", "--reason", "all cards"]),
        "severity now SEV1",
    );
    one_line(ana.ok(&["stage", &id, "recover"]), "stage now Recover");
    one_line(
        ana.ok(&["health", &id, "team", "tired", "but", "focused"]),
        "team health check recorded",
    );
    one_line(bo.ok(&["awake", &id, "--since", "-10h"]), "bo awake since");
    one_line(
        ana.ok(&["impact", &id, "started", "--at", "-40m"]),
        "start of impact set",
    );
    // An update that fails its checks is refused without an override, and sent with one.
    let draft = dir.join("update.txt");
    std::fs::write(&draft, "SEV1 – Checkout errors\n\nCards fail.\n").unwrap();
    let draft = draft.to_str().unwrap();
    let err = ana.refused(&["send", &id, draft]);
    assert!(err.contains("--override"), "{err}");
    one_line(
        ana.ok(&["send", &id, draft, "--override", "first word out fast"]),
        "internal update sent",
    );
    // --json prints the recorded event.
    let json = bo.ok(&["log", &id, "pool", "raised", "on", "pay-3", "--json"]);
    let note: Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(note["type"], "note");
    assert_eq!(note["text"], "pool raised on pay-3");
    assert_eq!(note["author"], "bo");
    let brief = dir.join("brief.txt");
    std::fs::write(
        &brief,
        "Current state:\nErrors down to 0.4%.\n\nNext steps:\n- watch for 30 minutes\n",
    )
    .unwrap();
    one_line(
        ana.ok(&[
            "handover",
            &id,
            "bo",
            "--brief-file",
            brief.to_str().unwrap(),
        ]),
        "command handed over to bo",
    );
    one_line(ana.ok(&["leave", &id]), "ana left");

    let events = bo.events(&id);
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    for kind in [
        "responder_joined",
        "role_assigned",
        "observation",
        "theory",
        "experiment",
        "experiment_outcome",
        "change_requested",
        "change_decided",
        "severity_changed",
        "stage_changed",
        "health_check",
        "awake_since",
        "impact_started",
        "comms_sent",
        "command_handed_over",
        "responder_left",
    ] {
        assert!(kinds.contains(&kind), "no {kind} in {kinds:?}");
    }
    let outcome = events
        .iter()
        .find(|e| e["type"] == "experiment_outcome")
        .unwrap();
    assert_eq!(outcome["verdicts"][0]["outcome"], "refutes");
    assert_eq!(outcome["verdicts"][1]["outcome"], "supports");
    let handover = events
        .iter()
        .find(|e| e["type"] == "command_handed_over")
        .unwrap();
    assert_eq!(handover["brief"]["current_state"], "Errors down to 0.4%.");
    assert_eq!(handover["brief"]["next_steps"][0], "watch for 30 minutes");
    // Nothing refused was recorded: one outcome, one decision, one update.
    for (kind, n) in [
        ("experiment_outcome", 1),
        ("change_decided", 1),
        ("comms_sent", 1),
    ] {
        assert_eq!(kinds.iter().filter(|k| **k == kind).count(), n, "{kind}");
    }
}

#[test]
fn a_whole_response_in_verbs_alone_on_one_machine() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let ana = Responder {
        data: data.clone(),
        handle: "ana",
        server: None,
    };
    let bo = Responder {
        data,
        handle: "bo",
        server: None,
    };
    script(&ana, &bo, dir.path());
}

const TOKENS: [common::Token; 2] = [
    common::Token::read_write("ana", "ana-secret-token-0001"),
    common::Token::read_write("bo", "bo-secret-token-00002"),
];

#[test]
fn a_whole_response_in_verbs_against_a_server() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(common::Server::start(&TOKENS));
    let dir = tempfile::tempdir().unwrap();
    let ana = Responder {
        data: dir.path().join("ana"),
        handle: "ana",
        server: Some((server.url(), TOKENS[0].secret)),
    };
    let bo = Responder {
        data: dir.path().join("bo"),
        handle: "bo",
        server: Some((server.url(), TOKENS[1].secret)),
    };
    script(&ana, &bo, dir.path());
    rt.block_on(server.close());
}

#[test]
fn bad_input_gets_a_sentence_and_records_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let ana = Responder {
        data,
        handle: "ana",
        server: None,
    };
    let id = ana
        .ok(&["declare", "--title", "Queue stuck", "--severity", "3"])
        .trim()
        .to_string();
    let before = ana.events(&id).len();
    for (args, says) in [
        (vec!["assign", &id, "boss", "bo"], "`boss` is not a role"),
        (
            vec!["assign", &id, "ol", "two words"],
            "not a usable handle",
        ),
        (vec!["stage", &id, "panic"], "`panic` is not a stage"),
        (vec!["severity", &id, "7"], "7"),
        (vec!["approve", &id], "no change request is waiting"),
        (vec!["outcome", &id, "E1", "T1=s"], "no experiment E1"),
        (
            vec!["experiment", &id, "try", "--tests", "T4"],
            "`T4` is not a theory",
        ),
        (vec!["awake", &id, "--since", "+2h"], "in the future"),
        (vec!["send", &id, "/nonexistent/update.txt"], "cannot read"),
        (
            vec!["handover", &id, "ana"],
            "already the incident commander",
        ),
        (vec!["answer-command", &id, "accept"], "nobody is waiting"),
        (vec!["log", "nope", "hello"], "no incident"),
    ] {
        let err = ana.refused(&args);
        assert!(err.contains(says), "`{}`: {err}", args.join(" "));
        if !err.contains("Usage:") && !err.contains("--help") {
            // Ours, not the argument parser's: one sentence.
            assert_eq!(err.trim().lines().count(), 1, "one sentence: {err}");
        }
    }
    assert_eq!(ana.events(&id).len(), before, "nothing was recorded");
}
