//! Reading commands whose reader goes away (`warroom events x | head -c1`) end quietly: no
//! panic, no "broken pipe" message, an exit status of 0 (or 1 when the command itself
//! failed, as `comms check` on a draft that fails its checks).

// Tests fail by panicking, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Read;
use std::path::Path;
use std::process::Stdio;

/// Runs `warroom args` with stdout piped into a reader that takes one byte and then
/// closes the pipe; fails the test if the binary panicked or exited other than 0 or 1.
fn run_into_closed_pipe(data_dir: &Path, args: &[&str]) {
    let mut child = common::warroom(data_dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 1];
    let n = stdout.read(&mut first).unwrap();
    assert_eq!(n, 1, "`warroom {}` printed nothing", args.join(" "));
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked"),
        "`warroom {}` panicked on a closed pipe: {stderr}",
        args.join(" ")
    );
    assert!(
        !stderr.to_ascii_lowercase().contains("broken pipe"),
        "`warroom {}` complained about the closed pipe: {stderr}",
        args.join(" ")
    );
    let code = out.status.code();
    assert!(
        matches!(code, Some(0 | 1)),
        "`warroom {}` ended with {:?}: {stderr}",
        args.join(" "),
        out.status
    );
}

#[test]
fn reading_commands_end_quietly_when_their_reader_goes_away() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let declared = common::warroom(&data)
        .args(["--as", "ana", "declare", "--title", "x", "--severity", "3"])
        .output()
        .unwrap();
    assert!(declared.status.success(), "{declared:?}");
    let id = String::from_utf8(declared.stdout)
        .unwrap()
        .trim()
        .to_string();
    // Enough notes that the timeline outgrows a pipe's buffer: the writer is still
    // writing when the reader goes away, whatever the timing.
    let note = "checkout errors climbing again after the rollback, ".repeat(30);
    for i in 0..60 {
        let out = common::warroom(&data)
            .args(["--as", "ana", "log", &id, &format!("note {i}: {note}")])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    }
    // An action item, so `actions` has something to print.
    let action = common::warroom(&data)
        .args([
            "--as",
            "ana",
            "action",
            "add",
            &id,
            "Alert on checkout errors",
        ])
        .output()
        .unwrap();
    assert!(action.status.success(), "{action:?}");
    let draft = dir.path().join("draft.txt");
    let template = common::warroom(&data)
        .args(["comms", "template", "update", "--incident", &id])
        .output()
        .unwrap();
    assert!(template.status.success(), "{template:?}");
    std::fs::write(&draft, &template.stdout).unwrap();
    let draft = draft.to_str().unwrap();

    let commands: &[&[&str]] = &[
        &["incidents"],
        &["show", &id],
        &["events", &id],
        &["events", &id, "--json"],
        &["comms", "template", "first", "--incident", &id],
        &["comms", "check", draft],
        &["comms", "check", draft, "--json"],
        &["severities"],
        &["postmortem", &id, "--force"],
        &["stats"],
        &["actions"],
    ];
    // A few rounds: with short outputs whether the write meets the closed pipe is a race.
    for _ in 0..3 {
        for args in commands {
            run_into_closed_pipe(&data, args);
        }
    }
}
