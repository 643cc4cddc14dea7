//! The real `warroom serve` process: acknowledged writes survive `kill -9`, and SIGTERM
//! ends in-flight long-polls with an answer and exits 0.

// Tests fail by panicking, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use tempfile::TempDir;
use uuid::Uuid;

use common::warroom;

fn db(dir: &Path) -> PathBuf {
    dir.join("server.db")
}

/// `warroom token create HANDLE`: the token is printed alone on stdout.
fn create_token(dir: &Path, handle: &str) -> String {
    let out = warroom(dir)
        .args(["token", "create", handle, "--db"])
        .arg(db(dir))
        .output()
        .expect("run warroom token create");
    assert!(
        out.status.success(),
        "token create failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(token.starts_with("wr_") && !token.contains(char::is_whitespace));
    token
}

/// A running `warroom serve`.
struct Serve {
    /// Taken by [`Serve::wait`].
    child: Option<Child>,
    pid: u32,
    addr: SocketAddr,
    log: PathBuf,
    // Kept open so the server never writes to a closed pipe.
    _stdout: BufReader<ChildStdout>,
}

impl Serve {
    /// Starts the server on a free port and reads its address from its first stdout line.
    fn start(dir: &Path, run: usize) -> Serve {
        let log = dir.join(format!("serve-{run}.log"));
        let mut child = warroom(dir)
            .args(["serve", "--listen", "127.0.0.1:0", "--db"])
            .arg(db(dir))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("spawn warroom serve");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let addr = line
            .strip_prefix("warroom serve: listening on http://")
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| {
                let _ = child.kill();
                panic!(
                    "no address in the first line {line:?}; log: {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                )
            });
        Serve {
            pid: child.id(),
            child: Some(child),
            addr,
            log,
            _stdout: stdout,
        }
    }

    fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends a signal with kill(1): `-KILL`, `-TERM`.
    fn signal(&self, sig: &str) {
        let sent = Command::new("kill")
            .arg(sig)
            .arg(self.pid.to_string())
            .status()
            .unwrap();
        assert!(sent.success(), "kill {sig} {}", self.pid);
    }

    /// Waits for the process to exit, at most `limit`.
    fn wait(mut self, limit: Duration) -> (ExitStatus, String) {
        let mut child = self.child.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(child.wait());
        });
        let status = rx
            .recv_timeout(limit)
            .unwrap_or_else(|_| panic!("the server did not exit within {limit:?}"))
            .expect("wait for the server");
        (status, self.log())
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        // A failing test must not leave a server behind.
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

async fn declare(http: &Client, base: &str, token: &str) -> Uuid {
    let id = Uuid::now_v7();
    let resp = http
        .post(format!("{base}/api/v1/incidents"))
        .bearer_auth(token)
        .json(&json!({ "id": id, "title": "disk fire", "severity": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    id
}

/// Every stored event of an incident, paging through the API.
async fn all_events(http: &Client, base: &str, token: &str, incident: Uuid) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page: Value = http
            .get(format!("{base}/api/v1/incidents/{incident}/events"))
            .bearer_auth(token)
            .query(&[("after", after.to_string()), ("limit", "10000".into())])
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap();
        let events = page["events"].as_array().unwrap();
        match events.last() {
            None => return out,
            Some(last) => after = last["seq"].as_i64().unwrap(),
        }
        out.extend(events.iter().cloned());
    }
}

#[test]
fn acknowledged_writes_survive_kill_9() {
    const WORKERS: usize = 8;
    const KILL_AFTER: usize = 2000;
    let dir = TempDir::new().unwrap();
    let token = create_token(dir.path(), "alice");
    let mut server = Serve::start(dir.path(), 1);
    let base = server.base();
    let rt = runtime();
    let http = Client::new();
    let incident = rt.block_on(declare(&http, &base, &token));

    // Every event id that got a 2xx, with the seq it was given.
    let acked: Arc<Mutex<HashMap<Uuid, i64>>> = Arc::default();
    let killed = Arc::new(AtomicBool::new(false));
    let (count_tx, mut count_rx) = tokio::sync::watch::channel(0usize);
    let count_tx = Arc::new(count_tx);
    let status = rt.block_on(async {
        let mut workers = Vec::new();
        for w in 0..WORKERS {
            let (acked, killed, count_tx) = (acked.clone(), killed.clone(), count_tx.clone());
            let (base, token) = (base.clone(), token.clone());
            workers.push(tokio::spawn(async move {
                let http = Client::new();
                let url = format!("{base}/api/v1/incidents/{incident}/events");
                for n in 0.. {
                    // Batches of 1 to 4 events.
                    let batch: Vec<Value> = (0..n % 4 + 1)
                        .map(|k| {
                            json!({ "id": Uuid::now_v7(), "type": "note", "text": format!("w{w} n{n} k{k}") })
                        })
                        .collect();
                    let sent = http
                        .post(&url)
                        .bearer_auth(&token)
                        .json(&json!({ "events": batch }))
                        .send()
                        .await;
                    let body = match sent {
                        Ok(resp) if resp.status().is_success() => resp.json::<Value>().await,
                        Ok(resp) => panic!("worker {w}: the server answered {}", resp.status()),
                        Err(e) => Err(e),
                    };
                    let body = match body {
                        Ok(body) => body,
                        // The server is gone: this batch may or may not be stored.
                        Err(_) if killed.load(Ordering::SeqCst) => return,
                        Err(e) => panic!("worker {w}: {e} before the kill"),
                    };
                    let accepted = body["accepted"].as_array().unwrap();
                    assert_eq!(accepted.len(), batch.len());
                    let mut acked = acked.lock().unwrap();
                    for (a, ev) in accepted.iter().zip(&batch) {
                        assert_eq!(a["id"], ev["id"]);
                        let id: Uuid = a["id"].as_str().unwrap().parse().unwrap();
                        assert!(acked.insert(id, a["seq"].as_i64().unwrap()).is_none());
                    }
                    count_tx.send_modify(|c| *c += batch.len());
                }
            }));
        }
        tokio::time::timeout(
            Duration::from_secs(60),
            count_rx.wait_for(|c| *c >= KILL_AFTER),
        )
        .await
        .expect("2000 acknowledged events within 60 s")
        .unwrap();
        // Writers are mid-flight: kill -9 now.
        killed.store(true, Ordering::SeqCst);
        let mut child = server.child.take().unwrap();
        child.kill().unwrap();
        let status = child.wait().unwrap();
        for w in workers {
            w.await.expect("a worker failed");
        }
        (status, server.log())
    });
    let (status, log) = status;
    assert_eq!(status.signal(), Some(9), "died of SIGKILL; log: {log}");

    let acked = Arc::try_unwrap(acked).unwrap().into_inner().unwrap();
    assert!(acked.len() >= KILL_AFTER);
    let server = Serve::start(dir.path(), 2);
    let base = server.base();
    let stored = rt.block_on(all_events(&http, &base, &token, incident));
    let seqs: Vec<i64> = stored.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(
        seqs,
        (1..=stored.len() as i64).collect::<Vec<_>>(),
        "seqs are contiguous from 1 after the crash"
    );
    let mut by_id: HashMap<Uuid, i64> = HashMap::new();
    for e in &stored {
        let id: Uuid = e["id"].as_str().unwrap().parse().unwrap();
        assert!(
            by_id.insert(id, e["seq"].as_i64().unwrap()).is_none(),
            "{id} twice"
        );
    }
    let mut missing = 0;
    for (id, seq) in &acked {
        match by_id.get(id) {
            Some(s) => assert_eq!(s, seq, "{id} has another seq than acknowledged"),
            None => missing += 1,
        }
    }
    assert_eq!(missing, 0, "{missing} acknowledged events lost by kill -9");
    // In-flight batches at the kill may have landed or not, nothing else.
    assert!(
        stored.len() > acked.len(),
        "the declaration and every acknowledged event"
    );
    assert!(
        stored.len() - 1 - acked.len() <= WORKERS * 4,
        "unexplained events"
    );

    // The restarted server carries on: a retry of an acknowledged event keeps its seq,
    // a new one comes next.
    let (old, old_seq) = acked.iter().next().map(|(i, s)| (*i, *s)).unwrap();
    let original = stored
        .iter()
        .find(|e| e["id"] == json!(old))
        .expect("the acknowledged event is stored");
    let answer: Value = rt.block_on(async {
        http.post(format!("{base}/api/v1/incidents/{incident}/events"))
            .bearer_auth(&token)
            .json(&json!({ "events": [
                { "id": old, "type": "note", "text": original["text"], "at": original["at"] },
                { "id": Uuid::now_v7(), "type": "note", "text": "after the crash" }
            ] }))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert_eq!(answer["accepted"][0]["seq"], old_seq);
    assert_eq!(answer["accepted"][1]["seq"], stored.len() as i64 + 1);
    server.signal("-TERM");
    let (status, log) = server.wait(Duration::from_secs(10));
    assert!(status.success(), "exit {status:?}; log: {log}");
}

/// One TCP socket as `/proc/net/tcp` shows it.
struct Socket {
    local_port: u16,
    remote_port: u16,
    tx_queue: u64,
    rx_queue: u64,
}

fn tcp_sockets() -> Vec<Socket> {
    let table = std::fs::read_to_string("/proc/net/tcp").expect("/proc/net/tcp");
    let port = |addr: &str| u16::from_str_radix(addr.rsplit(':').next().unwrap(), 16).unwrap();
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let (tx, rx) = f.get(4)?.split_once(':')?;
            Some(Socket {
                local_port: port(f[1]),
                remote_port: port(f[2]),
                tx_queue: u64::from_str_radix(tx, 16).ok()?,
                rx_queue: u64::from_str_radix(rx, 16).ok()?,
            })
        })
        .collect()
}

/// Blocks until the server process has read everything `client` sent it: first the
/// server's kernel has acknowledged every byte (the client's send queue is empty), then
/// the server has taken them off its socket (its receive queue is empty). Once hyper has
/// read a request head the request is in flight, and a graceful shutdown lets it finish.
/// This waits on a fact the kernel reports, never on a guessed duration.
fn wait_until_server_read(server: SocketAddr, client: SocketAddr) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let (s, c) = (server.port(), client.port());
    let mut delivered = false;
    loop {
        let table = tcp_sockets();
        if !delivered {
            delivered = table
                .iter()
                .any(|k| k.local_port == c && k.remote_port == s && k.tx_queue == 0);
        } else if table
            .iter()
            .any(|k| k.local_port == s && k.remote_port == c && k.rx_queue == 0)
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not read the request within 10 s"
        );
        std::thread::yield_now();
    }
}

#[test]
fn sigterm_answers_long_polls_and_exits_zero() {
    let dir = TempDir::new().unwrap();
    let token = create_token(dir.path(), "alice");
    let server = Serve::start(dir.path(), 1);
    let base = server.base();
    let rt = runtime();
    let http = Client::new();
    let incident = rt.block_on(declare(&http, &base, &token));

    // A long-poll for events after the declaration: nothing comes, so it waits 30 s.
    let mut conn = TcpStream::connect(server.addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        conn,
        "GET /api/v1/incidents/{incident}/events?after=1&wait=30 HTTP/1.1\r\n\
         Host: {}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n",
        server.addr
    )
    .unwrap();
    conn.flush().unwrap();
    wait_until_server_read(server.addr, conn.local_addr().unwrap());

    let asked = Instant::now();
    server.signal("-TERM");
    let mut response = String::new();
    conn.read_to_string(&mut response)
        .expect("the long-poll gets an answer");
    let answered = asked.elapsed();
    let (status, log) = server.wait(Duration::from_secs(10));
    let exited = asked.elapsed();

    assert!(
        response.starts_with("HTTP/1.1 200"),
        "response: {response:?}; log: {log}"
    );
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b).unwrap();
    let page: Value = serde_json::from_str(body).unwrap();
    assert_eq!(page["events"], json!([]));
    assert_eq!(page["last_seq"], 1);
    assert!(
        answered < Duration::from_secs(5),
        "answered {answered:?} after SIGTERM"
    );
    assert_eq!(status.code(), Some(0), "exit status; log: {log}");
    assert!(
        exited < Duration::from_secs(5),
        "exited {exited:?} after SIGTERM"
    );
    assert!(log.contains("stopped"), "log: {log}");

    // Nothing was lost: the incident is there after a restart.
    let server = Serve::start(dir.path(), 2);
    let stored = rt.block_on(all_events(&http, &server.base(), &token, incident));
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["type"], "incident_declared");
}
