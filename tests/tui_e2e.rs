//! The real console in a real terminal: `warroom` runs inside a detached tmux session, keys
//! go in with `tmux send-keys`, and the screen comes back with `tmux capture-pane`. The
//! test waits by polling the screen for a condition, never by sleeping a fixed time.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_warroom");
const TMUX: &str = "tmux";
const PATIENCE: Duration = Duration::from_secs(20);

/// A tmux server of its own (its own socket), killed when the test ends, however it ends.
struct Tmux {
    /// The server's socket, inside the test's temp dir so nothing is left behind.
    socket: String,
    session: String,
    env: Vec<(&'static str, String)>,
}

impl Tmux {
    fn command(&self) -> Command {
        let mut cmd = Command::new(TMUX);
        cmd.args(["-S", &self.socket]);
        for var in [
            "WARROOM_DATA_DIR",
            "WARROOM_AS",
            "WARROOM_SERVER",
            "WARROOM_TOKEN",
        ] {
            cmd.env_remove(var);
        }
        cmd.env_remove("TMUX");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
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

    /// `#{pane_dead} #{pane_dead_status}` of the session's pane.
    fn pane_state(&self) -> String {
        let out = self.run(&[
            "display-message",
            "-p",
            "-t",
            &self.session,
            "#{pane_dead} #{pane_dead_status}",
        ]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Polls `what` until it holds, for at most `PATIENCE`; panics with the last screen.
    fn wait_until(&self, description: &str, what: impl Fn(&Tmux, &str) -> bool) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let screen = self.screen();
            if what(self, &screen) {
                return screen;
            }
            if Instant::now() > deadline {
                // "1 <status>": the console has exited (remain-on-exit keeps its screen).
                panic!(
                    "gave up after {PATIENCE:?} waiting for {description} (pane dead/status: \
                     {:?}); the screen:\n{screen}",
                    self.pane_state()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.command().arg("kill-server").output();
    }
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The CLI, acting as `handle` in `data`, with nothing from the caller's environment.
fn cli(data: &Path, handle: &str, args: &[&str]) -> String {
    let mut cmd = Command::new(BIN);
    for var in [
        "WARROOM_DATA_DIR",
        "WARROOM_AS",
        "WARROOM_SERVER",
        "WARROOM_TOKEN",
    ] {
        cmd.env_remove(var);
    }
    let out = cmd
        .arg("--data-dir")
        .arg(data)
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

#[test]
fn a_note_typed_in_the_console_is_on_the_record() {
    let tmux_ok = Command::new(TMUX)
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        tmux_ok,
        "this test drives the console through tmux, and `tmux` is not installed or not on \
         PATH (install it, e.g. `apt-get install tmux`)"
    );

    let dir = tempfile::tempdir().expect("a temp dir");
    let data = dir.path().join("data");
    let config = dir.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
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

    // remain-on-exit keeps the pane after the console quits, to read its exit status.
    let conf = dir.path().join("tmux.conf");
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
        socket: dir.path().join("tmux.sock").to_str().unwrap().to_string(),
        session: unique,
        env: vec![
            ("XDG_CONFIG_HOME", config.to_str().unwrap().to_string()),
            ("TERM", "xterm-256color".to_string()),
        ],
    };
    let console = format!(
        "{} --data-dir {} --as ana --incident {}",
        quote(BIN),
        quote(data_s),
        quote(&short)
    );
    tmux.run(&[
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
        &console,
    ]);

    tmux.wait_until("the timeline", |_, s| {
        s.contains("Timeline (1)") && s.contains("Checkout latency spikes")
    });

    tmux.send_keys(&["n"]);
    tmux.wait_until("the note form", |_, s| s.contains("┌ Note "));
    // Short enough to show whole in the timeline's text column at 100 columns.
    let note = "pool full 200/200";
    tmux.send_text(note);
    tmux.send_keys(&["Enter"]);
    let screen = tmux.wait_until("the note on the timeline", |_, s| {
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
    // tmux marks the pane dead a moment before it knows the exit status.
    tmux.wait_until("the console to quit", |t, _| {
        t.pane_state()
            .strip_prefix("1 ")
            .is_some_and(|status| !status.is_empty())
    });
    assert_eq!(tmux.pane_state(), "1 0", "the console exits with status 0");

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
