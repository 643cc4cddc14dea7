//! Hardening of the real `warroom serve` process and the CLI around it: slow and idle
//! connections cannot starve `/healthz`, HTTPS with a private CA works end to end, bad TLS
//! files and damaged databases are refused at start, the request log never holds a token,
//! plain http:// to another machine is warned about, and database files are private.
//!
//! Every server here listens on 127.0.0.1 (one binds 0.0.0.0 to check its warning, and is
//! never contacted); nothing else is ever contacted.

// A test fails by panicking, helpers included: clippy.toml allows it in `#[test]`
// functions, and these helpers are only ever called from them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

/// Longest any one command may take before the test calls it hung.
const COMMAND_LIMIT: Duration = Duration::from_secs(20);

/// The binary with `dir` as its data dir and nothing from the caller's environment: it
/// starts empty but for `PATH` and `TMPDIR`, with `HOME` and the XDG directories inside a
/// directory that does not exist, so no `WARROOM_*`, `RUST_LOG` or config file gets in.
fn warroom(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_warroom"));
    cmd.env_clear();
    for var in ["PATH", "TMPDIR", "RUST_BACKTRACE"] {
        if let Some(value) = std::env::var_os(var) {
            cmd.env(var, value);
        }
    }
    let home = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hardening-no-home");
    cmd.env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_DATA_HOME", home.join(".local").join("share"))
        .env("HOME", home);
    cmd.arg("--data-dir").arg(dir);
    cmd
}

/// What a finished command left behind.
struct Done {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Done {
    fn describe(&self) -> String {
        format!(
            "exit {:?}\n--- stdout\n{}--- stderr\n{}",
            self.status.code(),
            self.stdout,
            self.stderr
        )
    }

    /// The stderr lines that are not empty.
    fn stderr_lines(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect()
    }
}

/// Sends a signal with kill(1): `-KILL`, `-TERM`.
fn signal(pid: u32, sig: &str) -> bool {
    Command::new("kill")
        .arg(sig)
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Reads a pipe to its end on a thread.
fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Runs `cmd` to its end, at most `limit`: past it the process is killed and the test fails.
fn run_within(mut cmd: Command, limit: Duration) -> Done {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn warroom");
    let pid = child.id();
    let out = drain(child.stdout.take().unwrap());
    let err = drain(child.stderr.take().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    let status = match rx.recv_timeout(limit) {
        Ok(status) => status.expect("wait for warroom"),
        Err(_) => {
            signal(pid, "-KILL");
            let _ = rx.recv_timeout(Duration::from_secs(5));
            let (stdout, stderr) = (out.join().unwrap(), err.join().unwrap());
            panic!(
                "{cmd:?} did not finish within {limit:?}\n--- stdout\n{stdout}--- stderr\n{stderr}"
            );
        }
    };
    Done {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

fn run(cmd: Command) -> Done {
    run_within(cmd, COMMAND_LIMIT)
}

/// `warroom token create HANDLE` in `dir` (its server.db): the token alone on stdout.
fn create_token(dir: &Path, handle: &str) -> String {
    let mut cmd = warroom(dir);
    cmd.args(["token", "create", handle]);
    let done = run(cmd);
    assert!(done.status.success(), "token create: {}", done.describe());
    let token = done.stdout.trim().to_string();
    assert!(
        token.starts_with("wr_") && !token.contains(char::is_whitespace),
        "not a token: {token:?}"
    );
    token
}

/// A running `warroom serve`, its stderr read line by line as it comes.
struct Serve {
    pid: u32,
    addr: SocketAddr,
    https: bool,
    exited: mpsc::Receiver<std::io::Result<ExitStatus>>,
    status: Option<ExitStatus>,
    lines: mpsc::Receiver<String>,
    /// Every stderr line received so far.
    seen: Vec<String>,
}

impl Serve {
    /// `warroom serve --listen 127.0.0.1:0 ARGS` in `dir`, once its address is printed.
    fn start(dir: &Path, args: &[&str]) -> Serve {
        Self::start_on(dir, "127.0.0.1:0", args)
    }

    fn start_on(dir: &Path, listen: &str, args: &[&str]) -> Serve {
        let mut child = warroom(dir)
            .args(["serve", "--listen", listen])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn warroom serve");
        let pid = child.id();
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (line_tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { return };
                if line_tx.send(line).is_err() {
                    return;
                }
            }
        });
        let (first_tx, first) = mpsc::channel();
        std::thread::spawn(move || {
            let mut stdout = BufReader::new(stdout);
            let mut line = String::new();
            let _ = stdout.read_line(&mut line);
            let _ = first_tx.send(line);
            // Keep reading so the server never writes to a closed pipe.
            let _ = std::io::copy(&mut stdout, &mut std::io::sink());
        });
        let (exit_tx, exited) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = exit_tx.send(child.wait());
        });
        let line = first.recv_timeout(COMMAND_LIMIT).unwrap_or_default();
        let parsed = ["http", "https"].iter().find_map(|scheme| {
            line.strip_prefix(&format!("warroom serve: listening on {scheme}://"))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|a| a.parse::<SocketAddr>().ok())
                .map(|a| (a, *scheme == "https"))
        });
        let mut serve = Serve {
            pid,
            addr: "127.0.0.1:9".parse().unwrap(),
            https: false,
            exited,
            status: None,
            lines,
            seen: Vec::new(),
        };
        match parsed {
            Some((addr, https)) => {
                serve.addr = addr;
                serve.https = https;
                serve
            }
            None => {
                serve.kill();
                panic!(
                    "no address in the first line {line:?}; stderr:\n{}",
                    serve.seen.join("\n")
                );
            }
        }
    }

    /// The address to talk to: always this machine.
    fn local(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.addr.port()))
    }

    /// Waits for a stderr line matching `wanted`, at most `limit`.
    fn wait_for_line(&mut self, limit: Duration, wanted: impl Fn(&str) -> bool) -> String {
        if let Some(l) = self.seen.iter().find(|l| wanted(l)) {
            return l.clone();
        }
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if wanted(&line) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no such line on the server's stderr within {limit:?}:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// Stops the server with SIGTERM once its handler for it is in place (the kernel says
    /// so in /proc): the server arms it only after printing its address (see
    /// `sigterm_right_after_the_address_line_stops_cleanly`), and the other tests are
    /// not about that.
    fn stop(&mut self) -> ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !catches_sigterm(self.pid) {
            assert!(
                Instant::now() < deadline,
                "the server never armed its SIGTERM handler; stderr:\n{}",
                self.log()
            );
            std::thread::yield_now();
        }
        self.terminate()
    }

    /// SIGTERM now, then waits for the exit and the end of stderr. Answers how it exited.
    fn terminate(&mut self) -> ExitStatus {
        assert!(signal(self.pid, "-TERM"), "kill -TERM {}", self.pid);
        let status = self.wait_exit(Duration::from_secs(15));
        status.unwrap_or_else(|| {
            self.kill();
            panic!(
                "the server did not exit within 15 s of SIGTERM; stderr:\n{}",
                self.seen.join("\n")
            )
        })
    }

    /// Waits for the process to exit and its stderr to close, at most `limit`.
    fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        if self.status.is_none() {
            let status = self.exited.recv_timeout(limit).ok()?.expect("wait");
            self.status = Some(status);
        }
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(mpsc::RecvTimeoutError::Disconnected) => return self.status,
                Err(mpsc::RecvTimeoutError::Timeout) => return None,
            }
        }
    }

    fn kill(&mut self) {
        if self.status.is_none() {
            if let Ok(status) = self.exited.try_recv() {
                self.status = status.ok();
                return;
            }
            signal(self.pid, "-KILL");
            let _ = self.wait_exit(Duration::from_secs(10));
        }
    }

    fn log(&self) -> String {
        self.seen.join("\n")
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        // A failing test must not leave a server behind.
        self.kill();
    }
}

/// Whether process `pid` has a handler for SIGTERM (signal 15), from the `SigCgt` mask in
/// /proc/PID/status.
fn catches_sigterm(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("SigCgt:"))
                .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
        })
        .is_some_and(|mask| mask & (1 << (15 - 1)) != 0)
}

/// One request over a fresh connection to this machine; answers the status and the body.
/// Five seconds is the bound past which the test fails, never a wait.
fn http(addr: SocketAddr, method: &str, path: &str, token: Option<&str>) -> (u16, String) {
    assert!(addr.ip().is_loopback());
    let limit = Duration::from_secs(5);
    let mut s = TcpStream::connect_timeout(&addr, limit)
        .unwrap_or_else(|e| panic!("connect to {addr} for {path}: {e}"));
    s.set_read_timeout(Some(limit)).unwrap();
    s.set_write_timeout(Some(limit)).unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Content-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap_or_else(|e| panic!("send {path}: {e}"));
    let mut answer = Vec::new();
    s.read_to_end(&mut answer)
        .unwrap_or_else(|e| panic!("no answer to {path} within {limit:?}: {e}"));
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .strip_prefix("HTTP/1.1 ")
        .and_then(|r| r.get(..3))
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer to {path}: {answer:?}"));
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// Reads `s` until the server closes it (EOF or reset) or `deadline` passes; answers
/// whether it was closed.
fn closed_by(s: &mut TcpStream, deadline: Instant) -> bool {
    let mut buf = [0u8; 512];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        s.set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .unwrap();
        match s.read(&mut buf) {
            Ok(0) => return true,
            // An answer to half a request (a 408, say) is fine; the close must follow.
            Ok(_) => continue,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                if Instant::now() >= deadline {
                    return false;
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return true,
        }
    }
}

/// How many of `sockets` are still open at `deadline`.
fn still_open(sockets: &mut [TcpStream], deadline: Instant) -> usize {
    sockets
        .iter_mut()
        .filter_map(|s| (!closed_by(s, deadline)).then_some(()))
        .count()
}

/// A private CA and a certificate it signed for `localhost` and `127.0.0.1`, as PEM files
/// in `dir`: (ca.pem, server.pem, server.key).
fn private_ca(dir: &Path, name: &str) -> (PathBuf, PathBuf, PathBuf) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, format!("warroom test CA {name}"));
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let mut leaf_params =
        CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    let leaf = leaf_params.signed_by(&leaf_key, &ca).unwrap();
    let paths = (
        dir.join(format!("{name}-ca.pem")),
        dir.join(format!("{name}-server.pem")),
        dir.join(format!("{name}-server.key")),
    );
    std::fs::write(&paths.0, ca.pem()).unwrap();
    std::fs::write(&paths.1, leaf.pem()).unwrap();
    std::fs::write(&paths.2, leaf_key.serialize_pem()).unwrap();
    paths
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn slow_and_idle_connections_cannot_starve_healthz() {
    const FLOOD: usize = 400;
    let dir = TempDir::new().unwrap();
    let mut server = Serve::start(
        dir.path(),
        &["--header-timeout", "1", "--max-connections", "100"],
    );
    let addr = server.local();
    let mut flood = Vec::with_capacity(FLOOD);
    for i in 0..FLOOD {
        let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
            .unwrap_or_else(|e| panic!("connection {i}: {e}"));
        if i % 2 == 0 {
            // Half a request head; the server may already have closed it to make room.
            let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nHo");
        }
        flood.push(s);
    }
    let (status, body) = http(addr, "GET", "/healthz", None);
    assert_eq!(status, 200, "/healthz during the flood: {body}");
    assert!(body.contains("ok"), "/healthz body: {body}");
    let (status, body) = http(addr, "GET", "/readyz", None);
    assert_eq!(status, 200, "/readyz during the flood: {body}");

    let open = still_open(&mut flood, Instant::now() + Duration::from_secs(10));
    assert_eq!(
        open, 0,
        "{open} of {FLOOD} slow or idle connections still open 10 s after a 1 s header timeout"
    );
    // The server is none the worse for it.
    assert_eq!(http(addr, "GET", "/healthz", None).0, 200);
    let exit = server.stop();
    assert!(exit.success(), "exit {exit:?}; log:\n{}", server.log());
}

/// With the cap reached, the oldest idle connection makes room at once: it is closed when
/// the newcomer arrives, not when its own header timeout runs out. `tls` adds a certificate.
fn evicted_connections_close_at_once(tls: bool) {
    const CAP: usize = 10;
    const OPEN: usize = 30;
    let dir = TempDir::new().unwrap();
    let (_, cert, key) = private_ca(dir.path(), "evict");
    let mut args = vec!["--header-timeout", "60", "--max-connections", "10"];
    if tls {
        args.extend(["--tls-cert", path_str(&cert), "--tls-key", path_str(&key)]);
    }
    let server = Serve::start(dir.path(), &args);
    assert_eq!(server.https, tls);
    let addr = server.local();
    let mut sockets: Vec<TcpStream> = (0..OPEN)
        .map(|i| {
            TcpStream::connect_timeout(&addr, Duration::from_secs(5))
                .unwrap_or_else(|e| panic!("connection {i}: {e}"))
        })
        .collect();
    // The first OPEN - CAP made room for the later ones: all closed long before 60 s.
    let open = still_open(
        &mut sockets[..OPEN - CAP],
        Instant::now() + Duration::from_secs(5),
    );
    assert_eq!(
        open,
        0,
        "{open} of the {} connections evicted by the cap of {CAP} are still open 5 s later \
         (tls: {tls}); the cap does not hold",
        OPEN - CAP
    );
    drop(server);
}

#[test]
fn the_connection_cap_closes_evicted_plain_connections_at_once() {
    evicted_connections_close_at_once(false);
}

#[test]
fn the_connection_cap_closes_evicted_tls_handshakes_at_once() {
    evicted_connections_close_at_once(true);
}

#[test]
fn https_end_to_end_with_a_private_ca() {
    let dir = TempDir::new().unwrap();
    let (ca, cert, key) = private_ca(dir.path(), "e2e");
    let server_dir = dir.path().join("server");
    let token = create_token(&server_dir, "alice");
    let mut server = Serve::start(
        &server_dir,
        &["--tls-cert", path_str(&cert), "--tls-key", path_str(&key)],
    );
    assert!(server.https, "the first line must say https");
    let url = format!("https://localhost:{}", server.addr.port());
    let client = |name: &str| {
        let mut cmd = warroom(&dir.path().join(name));
        cmd.args(["--server", &url, "--token", &token]);
        cmd
    };

    let mut cmd = client("c1");
    cmd.arg("--ca-cert").arg(&ca);
    cmd.args(["declare", "--title", "TLS drill", "--severity", "3"]);
    let declared = run(cmd);
    assert!(
        declared.status.success(),
        "declare: {}",
        declared.describe()
    );
    let id = declared.stdout.trim().to_string();
    assert!(
        !id.is_empty() && id.len() <= 16 && !id.contains(char::is_whitespace),
        "declare printed {:?}",
        declared.stdout
    );
    assert!(
        !declared.stderr.contains("pending"),
        "declare: {}",
        declared.describe()
    );

    let mut cmd = client("c1");
    cmd.arg("--ca-cert").arg(&ca);
    cmd.args(["log", &id, "over", "https", "only"]);
    let logged = run(cmd);
    assert!(logged.status.success(), "log: {}", logged.describe());
    assert!(
        logged.stdout.contains("(#") && !logged.stdout.contains("pending"),
        "log was not recorded with a seq: {}",
        logged.describe()
    );

    let mut cmd = client("c1");
    cmd.arg("--ca-cert").arg(&ca);
    cmd.args(["events", &id]);
    let events = run(cmd);
    assert!(events.status.success(), "events: {}", events.describe());
    assert!(
        events.stdout.contains("over https only"),
        "events: {}",
        events.describe()
    );

    // Without the CA: refused, saying why and what to do.
    let mut cmd = client("c2");
    cmd.args(["declare", "--title", "untrusted", "--severity", "3"]);
    let untrusted = run(cmd);
    assert!(
        !untrusted.status.success(),
        "declare without --ca-cert: {}",
        untrusted.describe()
    );
    assert!(
        untrusted.stderr.contains("not trusted") && untrusted.stderr.contains("--ca-cert"),
        "declare without --ca-cert: {}",
        untrusted.describe()
    );

    // WARROOM_CA_CERT works like --ca-cert: the incident declared above is there.
    let mut cmd = client("c3");
    cmd.env("WARROOM_CA_CERT", &ca);
    cmd.args(["events", &id]);
    let by_env = run(cmd);
    assert!(
        by_env.status.success() && by_env.stdout.contains("over https only"),
        "events with WARROOM_CA_CERT: {}",
        by_env.describe()
    );

    // Plain http:// to the TLS port: nothing that looks like success.
    let mut cmd = warroom(&dir.path().join("c4"));
    let plain = format!("http://127.0.0.1:{}", server.addr.port());
    cmd.args(["--server", &plain, "--token", &token, "sync"]);
    let refused = run(cmd);
    assert!(
        !refused.status.success(),
        "sync over plain http to the TLS port: {}",
        refused.describe()
    );
    assert!(
        refused.stderr.starts_with("warroom: ") && !refused.stderr.contains("panicked"),
        "sync over plain http to the TLS port: {}",
        refused.describe()
    );

    let exit = server.stop();
    assert!(exit.success(), "exit {exit:?}; log:\n{}", server.log());
}

#[test]
fn tls_files_that_do_not_pair_are_refused_at_start() {
    let dir = TempDir::new().unwrap();
    let (_, cert, key) = private_ca(dir.path(), "a");
    let (_, _, other_key) = private_ca(dir.path(), "b");
    let missing = dir.path().join("missing.pem");
    let not_pem = dir.path().join("not-pem.txt");
    std::fs::write(&not_pem, "this is not a PEM file\n").unwrap();

    let cases: [(&str, &Path, &Path, &Path); 5] = [
        ("a key from another pair", &cert, &other_key, &other_key),
        ("a missing certificate", &missing, &key, &missing),
        ("a missing key", &cert, &missing, &missing),
        ("a certificate that is not PEM", &not_pem, &key, &not_pem),
        ("a key that is not PEM", &cert, &not_pem, &not_pem),
    ];
    for (what, cert, key, named) in cases {
        let mut cmd = warroom(&dir.path().join("data"));
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--tls-cert"])
            .arg(cert)
            .arg("--tls-key")
            .arg(key);
        let started = Instant::now();
        let done = run_within(cmd, Duration::from_secs(10));
        assert!(
            !done.status.success(),
            "{what}: serve started: {}",
            done.describe()
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{what}: took {:?} to refuse",
            started.elapsed()
        );
        assert!(
            done.stdout.is_empty(),
            "{what}: printed an address: {}",
            done.describe()
        );
        let lines = done.stderr_lines();
        assert_eq!(lines.len(), 1, "{what}: {}", done.describe());
        assert!(
            lines[0].contains(path_str(named)),
            "{what}: the line does not name {}: {}",
            named.display(),
            done.describe()
        );
    }
}

/// The request-log line of `route` with `status`, as text `key=value` fields.
fn text_request_line<'a>(log: &'a str, route: &str, status: u16) -> Option<&'a str> {
    log.lines().find(|l| {
        l.contains("request")
            && (l.contains(&format!("route={route} ")) || l.contains(&format!("route=\"{route}\"")))
            && l.contains(&format!("status={status}"))
    })
}

/// A field of a JSON log line, nested under "fields" or at the top.
fn json_field<'a>(line: &'a Value, name: &str) -> Option<&'a Value> {
    line.get("fields")
        .and_then(|f| f.get(name))
        .or_else(|| line.get(name))
}

#[test]
fn the_request_log_names_route_status_and_caller_never_the_token() {
    let dir = TempDir::new().unwrap();
    let token = create_token(dir.path(), "alice");
    let bogus = "wr_0123456789abcdef0123456789abcdef-not-a-real-token";

    // Text.
    let mut server = Serve::start(dir.path(), &[]);
    let addr = server.local();
    let (status, body) = http(addr, "GET", "/api/v1/incidents", Some(&token));
    assert_eq!(status, 200, "{body}");
    let (status, body) = http(addr, "GET", "/api/v1/incidents", None);
    assert_eq!(status, 401, "{body}");
    let (status, body) = http(addr, "GET", "/api/v1/incidents", Some(bogus));
    assert_eq!(status, 401, "{body}");
    let exit = server.stop();
    let log = server.log();
    assert!(exit.success(), "exit {exit:?}; log:\n{log}");
    let ok = text_request_line(&log, "/api/v1/incidents", 200)
        .unwrap_or_else(|| panic!("no line for the 200 in the log:\n{log}"));
    assert!(
        ok.contains("who=\"alice\"") || ok.contains("who=alice"),
        "the 200 line does not say alice: {ok}"
    );
    assert!(
        text_request_line(&log, "/api/v1/incidents", 401).is_some(),
        "no line for the 401 in the log:\n{log}"
    );
    assert!(log.contains("listening on"), "no start line:\n{log}");
    assert!(log.contains("stopped"), "no stop line:\n{log}");
    assert!(!log.contains(&token), "the token is in the log:\n{log}");
    assert!(
        !log.contains(bogus),
        "a refused token is in the log:\n{log}"
    );
    assert!(
        !log.contains("Bearer"),
        "an Authorization header is in the log"
    );

    // JSON: every line an object; the request lines carry route, status and who.
    let mut server = Serve::start(dir.path(), &["--log-format", "json"]);
    let addr = server.local();
    assert_eq!(http(addr, "GET", "/api/v1/incidents", Some(&token)).0, 200);
    assert_eq!(http(addr, "GET", "/api/v1/incidents", None).0, 401);
    let exit = server.stop();
    let log = server.log();
    assert!(exit.success(), "exit {exit:?}; log:\n{log}");
    assert!(
        !log.contains(&token),
        "the token is in the JSON log:\n{log}"
    );
    let lines: Vec<Value> = log
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let request = |status: u64| {
        lines.iter().find(|v| {
            json_field(v, "route").and_then(Value::as_str) == Some("/api/v1/incidents")
                && json_field(v, "status").and_then(Value::as_u64) == Some(status)
        })
    };
    let ok = request(200).unwrap_or_else(|| panic!("no JSON line for the 200:\n{log}"));
    assert_eq!(
        json_field(ok, "who").and_then(Value::as_str),
        Some("alice"),
        "{ok}"
    );
    let refused = request(401).unwrap_or_else(|| panic!("no JSON line for the 401:\n{log}"));
    assert!(json_field(refused, "who").is_some(), "{refused}");
}

#[test]
fn requests_to_unknown_paths_are_logged_too() {
    // "One log line per request": a scan of paths that do not exist is worth seeing.
    let dir = TempDir::new().unwrap();
    let mut server = Serve::start(dir.path(), &[]);
    let addr = server.local();
    let (status, _) = http(addr, "GET", "/wp-login.php", None);
    assert_eq!(status, 404);
    let (status, _) = http(addr, "DELETE", "/healthz", None);
    assert_eq!(status, 405);
    let exit = server.stop();
    let log = server.log();
    assert!(exit.success(), "exit {exit:?}; log:\n{log}");
    assert!(
        log.lines()
            .any(|l| l.contains("request") && l.contains("status=404")),
        "no request line for the 404:\n{log}"
    );
    assert!(
        log.lines()
            .any(|l| l.contains("request") && l.contains("status=405")),
        "no request line for the 405:\n{log}"
    );
}

#[test]
fn sigterm_right_after_the_address_line_stops_cleanly() {
    // Scripts (and supervisors) take the address line to mean the server is up; a SIGTERM
    // from then on must stop it the graceful way: exit 0, "stopped" in the log. Two
    // witnesses of the contrary, neither possible when the handler is armed before the
    // line is printed: no SIGTERM handler yet when the line is read, or a SIGTERM that
    // kills the process outright.
    const RUNS: usize = 20;
    let dir = TempDir::new().unwrap();
    let mut unarmed = 0;
    let mut abrupt = Vec::new();
    for _ in 0..RUNS {
        let mut server = Serve::start(dir.path(), &[]);
        if !catches_sigterm(server.pid) {
            unarmed += 1;
        }
        let exit = server.terminate();
        let log = server.log();
        if !exit.success() || !log.contains("stopped") {
            abrupt.push(format!("{exit:?}, log: {log:?}"));
        }
    }
    assert!(
        unarmed == 0 && abrupt.is_empty(),
        "of {RUNS} servers, {unarmed} had no SIGTERM handler when their address line was \
         read, and {} did not stop cleanly on a SIGTERM sent then:\n{}",
        abrupt.len(),
        abrupt.join("\n")
    );
}

#[test]
fn plain_http_to_another_machine_is_warned_once() {
    // `severities` opens no replica and makes no connection (see src/cli/mod.rs): the
    // documentation address 192.0.2.10 is only parsed, never contacted.
    let dir = TempDir::new().unwrap();
    let severities = |server: &str| {
        let mut cmd = warroom(&dir.path().join("client"));
        cmd.args(["--server", server, "--token", "x", "severities"]);
        let done = run(cmd);
        assert!(done.status.success(), "{server}: {}", done.describe());
        assert!(!done.stdout.is_empty(), "{server}: no severities printed");
        done
    };
    let warned = severities("http://192.0.2.10:7878");
    let warnings: Vec<&str> = warned
        .stderr_lines()
        .into_iter()
        .filter(|l| l.contains("warning"))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", warned.describe());
    assert!(
        warnings[0].contains("plain http") && warnings[0].contains("192.0.2.10"),
        "{}",
        warned.describe()
    );
    for quiet in [
        "http://127.0.0.1:7878",
        "http://localhost:7878",
        "https://192.0.2.10:7878",
    ] {
        let done = severities(quiet);
        assert!(
            !done.stderr.contains("warning") && !done.stderr.contains("plain http"),
            "{quiet}: {}",
            done.describe()
        );
    }
    // The client made no files of its own for a command that needs no replica.
    assert!(
        !dir.path().join("client").exists()
            || std::fs::read_dir(dir.path().join("client"))
                .unwrap()
                .next()
                .is_none(),
        "severities wrote into the data dir"
    );

    // A server on every interface without TLS says so at start. Nothing connects to it.
    let mut server = Serve::start_on(dir.path(), "0.0.0.0:0", &[]);
    let warning = server.wait_for_line(Duration::from_secs(10), |l| l.contains("WARN"));
    assert!(
        warning.contains("without TLS") && warning.contains("--tls-cert"),
        "{warning}"
    );
    let exit = server.stop();
    let log = server.log();
    assert!(exit.success(), "exit {exit:?}; log:\n{log}");
    assert_eq!(
        log.lines().filter(|l| l.contains("without TLS")).count(),
        1,
        "{log}"
    );

    // On 127.0.0.1 it does not.
    let mut server = Serve::start(dir.path(), &[]);
    let exit = server.stop();
    let log = server.log();
    assert!(exit.success(), "exit {exit:?}; log:\n{log}");
    assert!(!log.contains("without TLS"), "{log}");
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// `warroom serve` that must refuse to start: exits 1 with one line naming `file` and
/// containing `why`.
fn assert_refused(what: &str, done: &Done, file: &Path, why: &str) {
    assert_eq!(done.status.code(), Some(1), "{what}: {}", done.describe());
    let lines: Vec<&str> = done
        .stderr_lines()
        .into_iter()
        .filter(|l| !l.contains(" INFO "))
        .collect();
    assert_eq!(lines.len(), 1, "{what}: {}", done.describe());
    assert!(
        lines[0].contains(path_str(file)) && lines[0].contains(why),
        "{what}: the line does not name {} with {why:?}: {}",
        file.display(),
        done.describe()
    );
}

#[test]
fn database_files_are_private_and_damage_is_refused_at_start() {
    let root = TempDir::new().unwrap();
    // Created by the command: owner-only directories and file.
    let data = root.path().join("made").join("data");
    let token = create_token(&data, "alice");
    let db = data.join("server.db");
    assert_eq!(mode(&db), 0o600, "{}", db.display());
    assert_eq!(mode(&data), 0o700, "{}", data.display());
    assert_eq!(mode(&root.path().join("made")), 0o700);

    // An empty file is not a database.
    let empty_dir = root.path().join("empty");
    std::fs::create_dir(&empty_dir).unwrap();
    let empty = empty_dir.join("server.db");
    std::fs::File::create(&empty).unwrap();
    let mut cmd = warroom(&empty_dir);
    cmd.args(["serve", "--listen", "127.0.0.1:0"]);
    assert_refused("serve on an empty file", &run(cmd), &empty, "empty");
    let mut cmd = warroom(&empty_dir);
    cmd.args(["token", "list"]);
    assert_refused("token list on an empty file", &run(cmd), &empty, "empty");
    assert_eq!(
        std::fs::metadata(&empty).unwrap().len(),
        0,
        "the empty file was written to"
    );

    // A database that served and stopped cleanly, then damaged on pages 2 to 4.
    let mut server = Serve::start(&data, &[]);
    assert_eq!(
        http(server.local(), "GET", "/api/v1/incidents", Some(&token)).0,
        200
    );
    let exit = server.stop();
    assert!(exit.success(), "exit {exit:?}; log:\n{}", server.log());
    drop(server);
    let len = std::fs::metadata(&db).unwrap().len();
    assert!(len >= 4 * 4096, "server.db is only {len} bytes");
    let wal = data.join("server.db-wal");
    assert!(
        !wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0,
        "a clean stop left a write-ahead log that would hide the damage"
    );
    {
        use std::os::unix::fs::FileExt;
        let file = std::fs::OpenOptions::new().write(true).open(&db).unwrap();
        let garbage: Vec<u8> = (0..64u32).map(|i| (i * 37 + 11) as u8 | 0x80).collect();
        for page in 1..=3u64 {
            file.write_all_at(&garbage, 4096 * page).unwrap();
        }
        file.sync_all().unwrap();
    }
    let mut cmd = warroom(&data);
    cmd.args(["serve", "--listen", "127.0.0.1:0"]);
    let done = run_within(cmd, Duration::from_secs(15));
    assert_eq!(
        done.status.code(),
        Some(1),
        "serve on a damaged database: {}",
        done.describe()
    );
    assert!(done.stdout.is_empty(), "it listened: {}", done.describe());
    let lines: Vec<&str> = done
        .stderr_lines()
        .into_iter()
        .filter(|l| !l.contains(" INFO "))
        .collect();
    assert_eq!(lines.len(), 1, "{}", done.describe());
    assert!(
        lines[0].contains(path_str(&db)),
        "the line does not name {}: {}",
        db.display(),
        done.describe()
    );
}
