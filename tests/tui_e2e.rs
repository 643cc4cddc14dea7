//! The real console in a real terminal: `warroom` runs inside a detached tmux session, keys
//! go in with `tmux send-keys`, and the screen comes back with `tmux capture-pane`. The
//! test waits by polling the screen until what it expects is there or a deadline passes,
//! never by sleeping a fixed time. tmux runs as a server of its own (`tmux -L`, a socket
//! name no other test or person uses, in the test's temp dir) in a cleared environment, so
//! neither a tmux the developer runs nor their settings can get in, and the server is
//! killed however the test ends.
//!
//! The console runs under `sh`, which prints the console's exit status on the screen when
//! it quits and then waits, so the pane lives on until the test ends. tmux's own
//! `#{pane_dead_status}` is not used: a tmux built with utempter (as the tmux 3.3a these
//! tests were proven with is) runs a helper when a pane's terminal closes, with SIGCHLD at
//! its default meanwhile, and when the console's exit lands in that moment tmux never
//! learns the status (3 to 8 runs in 30 while a build kept both cores busy). Nor may the
//! pane's program end right after its last words: tmux 3.3a can close the pane before
//! reading what was written last.

// Tests fail by panicking, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

const TMUX: &str = "tmux";
/// How long any one thing may take to show on the screen. Generous: on a loaded machine a
/// process can wait seconds for a CPU, and a pass only ever waits as long as it must.
const PATIENCE: Duration = Duration::from_secs(30);
/// The pause between two looks at the screen.
const POLL: Duration = Duration::from_millis(50);
/// What the pane shows once the console has quit: this, its exit status, and a full stop.
const EXITED: &str = "warroom exited with status ";
/// The pane's program, run by `sh -c` with the console's command line as `"$@"`: the
/// console, then its exit status on the screen, then a wait for a line that never comes
/// (the test's tmux server is killed first).
const RUN_AND_SAY_HOW_IT_ENDED: &str =
    r#""$@"; echo "warroom exited with status $?."; read -r never"#;

/// A tmux server of its own, reached by a socket name no one else uses, and killed when the
/// test ends, however it ends.
struct Tmux {
    /// The server's socket name (`tmux -L`).
    socket: String,
    /// Where tmux keeps its sockets (`TMUX_TMPDIR`): the test's temp dir, so the socket,
    /// which tmux leaves behind when its server is killed, goes with the temp dir.
    socket_dir: PathBuf,
    session: String,
}

impl Tmux {
    /// `tmux -L <socket>` in a cleared environment (see `common::clean_command`): no
    /// `TMUX` of an enclosing session, no config from a home directory. The console
    /// started in the session gets this environment too.
    fn command(&self) -> Command {
        let mut cmd = common::clean_command(TMUX);
        cmd.env("TERM", "xterm-256color")
            .env("TMUX_TMPDIR", &self.socket_dir)
            .args(["-L", &self.socket]);
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        let out = self
            .command()
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run tmux {args:?}: {e}"));
        assert!(
            out.status.success(),
            "tmux {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    fn screen(&self) -> String {
        let out = self.run(&["capture-pane", "-p", "-t", &self.session]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn send_keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.session];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    fn send_text(&self, text: &str) {
        self.run(&["send-keys", "-t", &self.session, "-l", text]);
    }

    /// Whether the pane's program has ended (`#{pane_dead}`: "1" or "0"), for a failure
    /// message; remain-on-exit keeps the pane and its last screen.
    fn pane_dead(&self) -> String {
        let out = self.run(&["display-message", "-p", "-t", &self.session, "#{pane_dead}"]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Looks at the screen until `what` holds, for at most `PATIENCE`, pausing `POLL`
    /// between looks; answers the screen it held on, or panics with the last one.
    fn wait_until(&self, description: &str, what: impl Fn(&str) -> bool) -> String {
        self.wait_within(PATIENCE, description, what)
    }

    /// As [`Tmux::wait_until`], for at most `patience`.
    fn wait_within(
        &self,
        patience: Duration,
        description: &str,
        what: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + patience;
        loop {
            let screen = self.screen();
            if what(&screen) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!(
                    "gave up after {patience:?} waiting for {description} (pane dead: {}); \
                     the screen:\n{screen}",
                    self.pane_dead()
                );
            }
            std::thread::sleep(POLL);
        }
    }

    /// A console in a detached session of a server of its own, 100×30, in `dir` (where
    /// the server's socket and config go): `warroom ARGS`, under `sh` so that its exit
    /// status shows on the screen when it quits.
    fn console(dir: &Path, args: &[&str]) -> Tmux {
        // Should the pane's program end all the same, remain-on-exit keeps its last screen.
        let conf = dir.join("tmux.conf");
        std::fs::write(&conf, "set -g remain-on-exit on\n").unwrap();
        let unique = format!(
            "warroom-e2e-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        );
        let tmux = Tmux {
            socket: unique.clone(),
            socket_dir: dir.to_path_buf(),
            session: unique,
        };
        // Given as separate arguments, tmux runs the program itself, with no shell in between.
        let mut command = vec![
            "-f",
            conf.to_str().unwrap(),
            "new-session",
            "-d",
            "-s",
            &tmux.session,
            "-x",
            "100",
            "-y",
            "30",
            "sh",
            "-c",
            RUN_AND_SAY_HOW_IT_ENDED,
            "sh",
            common::BIN,
        ];
        command.extend_from_slice(args);
        tmux.run(&command);
        tmux
    }
}

impl Drop for Tmux {
    /// Kills the private server, and with it the session and the console if still running.
    fn drop(&mut self) {
        let _ = self.command().arg("kill-server").output();
    }
}

/// The exit status the pane printed after the console quit, if it has yet.
fn exit_status(screen: &str) -> Option<&str> {
    screen
        .lines()
        .find_map(|l| l.trim().strip_prefix(EXITED)?.strip_suffix('.'))
}

/// The CLI, acting as `handle` in `data`, with nothing from the caller's environment.
fn cli(data: &Path, handle: &str, args: &[&str]) -> String {
    let out = common::warroom(data)
        .args(["--as", handle])
        .args(args)
        .output()
        .expect("the warroom binary runs");
    assert!(
        out.status.success(),
        "warroom {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// These tests drive the console through tmux: without it, they say so and fail.
fn require_tmux() {
    let tmux_ok = common::clean_command(TMUX)
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        tmux_ok,
        "this test drives the console through tmux, and `tmux` is not installed or not on \
         PATH (install it, e.g. `apt-get install tmux`)"
    );
}

#[test]
fn a_note_typed_in_the_console_is_on_the_record() {
    require_tmux();

    let dir = tempfile::tempdir().expect("a temp dir");
    let data = dir.path().join("data");
    let data_s = data.to_str().expect("a UTF-8 temp path");

    let short = cli(
        &data,
        "ana",
        &[
            "declare",
            "--title",
            "Checkout latency spikes",
            "--severity",
            "2",
        ],
    );
    let short = short.trim().to_string();
    assert!(!short.is_empty(), "declare prints the short id");

    let tmux = Tmux::console(
        dir.path(),
        &["--data-dir", data_s, "--as", "ana", "--incident", &short],
    );

    tmux.wait_until("the timeline", |s| {
        s.contains("Timeline (1)") && s.contains("Checkout latency spikes")
    });

    // ana is on duty with no awake time recorded: asked once, and Esc skips it.
    tmux.wait_until("the awake-since question", |s| {
        s.contains("since when have you been awake")
    });
    tmux.send_keys(&["Escape"]);
    tmux.wait_until("the question gone", |s| {
        !s.contains("since when have you been awake")
    });

    tmux.send_keys(&["n"]);
    tmux.wait_until("the note form", |s| s.contains("┌ Note "));
    // Short enough to show whole in the timeline's text column at 100 columns.
    let note = "pool full 200/200";
    tmux.send_text(note);
    tmux.send_keys(&["Enter"]);
    let screen = tmux.wait_until("the note on the timeline", |s| {
        s.contains("Timeline (2)")
            && s.contains("note added")
            && !s.contains("┌ Note ")
            && s.contains(note)
    });
    let row = screen
        .lines()
        .find(|l| l.contains(note))
        .unwrap_or_else(|| panic!("no timeline row with the note:\n{screen}"));
    assert!(
        row.contains("ana") && row.contains("note"),
        "the row names its author and kind: {row}"
    );

    tmux.send_keys(&["q"]);
    let screen = tmux.wait_until("the console to quit", |s| exit_status(s).is_some());
    assert_eq!(
        exit_status(&screen),
        Some("0"),
        "the console exits with status 0; the screen:\n{screen}"
    );

    let lines = cli(&data, "ana", &["events", &short, "--json"]);
    let events: Vec<Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let notes: Vec<&Value> = events.iter().filter(|e| e["type"] == "note").collect();
    assert_eq!(notes.len(), 1, "one note: {events:#?}");
    assert_eq!(notes[0]["text"], note);
    assert_eq!(notes[0]["author"], "ana");
    assert!(
        notes[0]["seq"].as_i64().is_some(),
        "confirmed: {:?}",
        notes[0]
    );
}

/// How soon what another process wrote must be on the console's screen, counted from the
/// moment that process finished: the console looks four times a second, so this leaves
/// room for a machine busy with other work.
const LIVE: Duration = Duration::from_secs(5);

#[test]
fn a_solo_console_shows_what_another_process_writes_to_its_data_dir() {
    require_tmux();
    let dir = tempfile::tempdir().expect("a temp dir");
    let data = dir.path().join("data");
    let data_s = data.to_str().expect("a UTF-8 temp path");
    let short = cli(
        &data,
        "ana",
        &[
            "declare",
            "--title",
            "Checkout latency spikes",
            "--severity",
            "2",
        ],
    );
    let short = short.trim().to_string();

    let tmux = Tmux::console(
        dir.path(),
        &["--data-dir", data_s, "--as", "ana", "--incident", &short],
    );
    tmux.wait_until("the timeline", |s| {
        s.contains("Timeline (1)") && s.contains("Checkout latency spikes")
    });
    tmux.wait_until("the awake-since question", |s| {
        s.contains("since when have you been awake")
    });
    tmux.send_keys(&["Escape"]);
    tmux.wait_until("the question gone", |s| {
        !s.contains("since when have you been awake")
    });

    // Another terminal on the same data dir: a note, then a role.
    let note = "pool full 200/200";
    cli(&data, "ana", &["log", &short, note]);
    let written = Instant::now();
    tmux.wait_within(LIVE, "the note written elsewhere", |s| {
        s.contains("Timeline (2)") && s.contains(note)
    });
    let note_shown = written.elapsed();
    cli(&data, "ana", &["assign", &short, "ol", "tomas"]);
    tmux.send_keys(&["2"]);
    tmux.wait_within(LIVE, "the role given elsewhere", |s| {
        s.contains("Timeline (3)") && s.lines().any(|l| l.contains("OL") && l.contains("tomas"))
    });

    // The incident list too: an incident declared elsewhere joins it.
    tmux.send_keys(&["Escape"]);
    tmux.wait_until("the incident list", |s| s.contains(" Incidents "));
    let other = cli(
        &data,
        "bo",
        &[
            "declare",
            "--title",
            "Search index stale",
            "--severity",
            "3",
        ],
    );
    let written = Instant::now();
    tmux.wait_within(LIVE, "the incident declared elsewhere", |s| {
        s.contains("Search index stale") && s.contains(other.trim())
    });
    eprintln!(
        "shown after {note_shown:?} (the note) and {:?} (the new incident)",
        written.elapsed()
    );

    tmux.send_keys(&["q"]);
    let screen = tmux.wait_until("the console to quit", |s| exit_status(s).is_some());
    assert_eq!(exit_status(&screen), Some("0"), "the screen:\n{screen}");
}
