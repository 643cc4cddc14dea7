//! The load client of `benches/e2e.sh`: talks plain HTTP/1.1 to a running `warroom serve`
//! (the release binary) and prints what it measured as `key=value` lines, which the script
//! sets beside their peers. It is a client a user could have written; nothing of warroom's
//! own client code is used, so the figures are the server's.
//!
//! ```text
//! e2e_load seed   --url U --token T --events N      declare an incident of N events; prints its id
//! e2e_load get    --url U --token T --incident ID   GET /api/v1/incidents/ID, p50 and p99
//! e2e_load fresh  --url U --token T --incident ID   GET /api/v1/incidents/ID right after an
//!                                                   append of one note (not timed), p50 and p99
//! e2e_load page   --url U --token T --incident ID   a plain paging client reading every event
//! e2e_load idle   --url U --token T --incident ID --dir D
//!                 durable appends back to back and after 20 ms idle; beside them, plain
//!                 SQLite inserts (WAL, synchronous=FULL, a file in D) and /healthz alike
//! e2e_load fanout --url U --token T --incident ID [--waiters 2000] [--rounds 3]
//!                 waiters long-polling the incident, one append, when each got it;
//!                 /healthz at rest and during it
//! e2e_load copy   --from DB --to DB                 a consistent copy of a live database
//! ```
//!
//! Run by `benches/e2e.sh`; alone: `cargo bench --bench e2e_load -- seed --url ...`.
//! Without a command it says how to use it (so `cargo bench` passes over it).

// A benchmark stops at the first thing that goes wrong: unwrapping is how it says so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let Some(command) = args.first().cloned() else {
        println!(
            "e2e_load: a load client for benches/e2e.sh (seed, get, fresh, page, idle, fanout, copy)"
        );
        return;
    };
    let mut opts = HashMap::new();
    for pair in args[1..].chunks(2) {
        let key = pair[0].trim_start_matches("--").to_string();
        opts.insert(key, pair.get(1).cloned().unwrap_or_default());
    }
    let opt = |k: &str| {
        opts.get(k)
            .cloned()
            .unwrap_or_else(|| panic!("--{k} is needed"))
    };
    let num = |k: &str, default: usize| opts.get(k).map_or(default, |v| v.parse().unwrap());
    if command == "copy" {
        // A consistent copy of a live database (the server's) as another data dir's
        // replica: `VACUUM INTO` reads one snapshot, WAL included.
        let from = rusqlite::Connection::open(opt("from")).unwrap();
        from.execute("VACUUM INTO ?1", [opt("to")]).unwrap();
        return;
    }
    let url = opt("url");
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let token = opt("token");
    match command.as_str() {
        "seed" => seed(&addr, &token, num("events", 100)),
        "get" => get(&addr, &token, &opt("incident"), num("n", 20)),
        "fresh" => fresh(&addr, &token, &opt("incident"), num("n", 20)),
        "page" => page(&addr, &token, &opt("incident")),
        "idle" => idle(
            &addr,
            &token,
            &opt("incident"),
            std::path::Path::new(&opt("dir")),
            num("n", 200),
        ),
        "fanout" => fanout(
            &addr,
            &token,
            &opt("incident"),
            num("waiters", 2000),
            num("rounds", 3),
        ),
        other => panic!("unknown command {other}"),
    }
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}

/// Prints `name_p50_ms=.. name_p99_ms=..` for a set of durations.
fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!("{name}_p50_ms={}", ms(pct(&samples, 0.5)));
    println!("{name}_p99_ms={}", ms(pct(&samples, 0.99)));
    println!("{name}_max_ms={}", ms(*samples.last().unwrap()));
    println!("{name}_n={}", samples.len());
}

fn request_head(method: &str, addr: &str, path: &str, token: &str, body: &[u8]) -> Vec<u8> {
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {token}\r\n\
         content-length: {}\r\n",
        body.len()
    );
    if !body.is_empty() {
        head.push_str("content-type: application/json\r\n");
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    out
}

/// The head's status and how the body is framed.
fn parse_head(lines: &[String]) -> (u16, Option<usize>, bool) {
    let status = lines[0].split(' ').nth(1).unwrap().parse().unwrap();
    let mut length = None;
    let mut chunked = false;
    for l in &lines[1..] {
        let lower = l.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = Some(v.trim().parse().unwrap());
        }
        if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
            chunked = true;
        }
    }
    (status, length, chunked)
}

/// A blocking keep-alive HTTP/1.1 connection.
struct Conn {
    addr: String,
    token: String,
    reader: BufReader<TcpStream>,
}

impl Conn {
    fn open(addr: &str, token: &str) -> Conn {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_nodelay(true).unwrap();
        Conn {
            addr: addr.into(),
            token: token.into(),
            reader: BufReader::with_capacity(1 << 16, stream),
        }
    }

    fn call(&mut self, method: &str, path: &str, body: Option<&Value>) -> (u16, Vec<u8>) {
        let body = body
            .map(|b| serde_json::to_vec(b).unwrap())
            .unwrap_or_default();
        let req = request_head(method, &self.addr, path, &self.token, &body);
        self.reader.get_mut().write_all(&req).unwrap();
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).unwrap();
            let line = line.trim_end().to_string();
            if line.is_empty() {
                break;
            }
            lines.push(line);
        }
        let (status, length, chunked) = parse_head(&lines);
        let mut out = Vec::new();
        if chunked {
            loop {
                let mut size = String::new();
                self.reader.read_line(&mut size).unwrap();
                let n = usize::from_str_radix(size.trim(), 16).unwrap();
                let mut chunk = vec![0; n + 2];
                self.reader.read_exact(&mut chunk).unwrap();
                if n == 0 {
                    break;
                }
                out.extend_from_slice(&chunk[..n]);
            }
        } else {
            out.resize(length.unwrap_or(0), 0);
            self.reader.read_exact(&mut out).unwrap();
        }
        (status, out)
    }

    fn json(&mut self, method: &str, path: &str, body: Option<&Value>) -> Value {
        let (status, bytes) = self.call(method, path, body);
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {}",
            String::from_utf8_lossy(&bytes)
        );
        serde_json::from_slice(&bytes).unwrap()
    }
}

fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// One event of a long incident's mix: mostly notes, some observations and theories.
fn mixed(i: usize, at: &str) -> Value {
    let id = Uuid::now_v7();
    match i % 10 {
        0 | 5 => json!({ "id": id, "type": "observation", "at": at,
                         "text": format!("p99 of checkout at {} ms on shard {} (#{i})", 300 + i % 700, i % 64) }),
        7 => json!({ "id": id, "type": "theory", "at": at,
                     "text": format!("connection pool of shard {} exhausted by retries (#{i})", i % 64) }),
        _ => json!({ "id": id, "type": "note", "at": at,
                     "text": format!("replica lag on shard {} is {} s; watching (#{i})", i % 64, i % 90) }),
    }
}

/// Declares an incident and appends `n - 1` events to it in batches of 1000, the last a
/// note reading `newest entry N`; prints the incident's id.
fn seed(addr: &str, token: &str, n: usize) {
    let mut c = Conn::open(addr, token);
    let id = Uuid::now_v7();
    c.json(
        "POST",
        "/api/v1/incidents",
        Some(&json!({ "id": id, "title": format!("Checkout latency, {n} events"), "severity": 2 })),
    );
    let path = format!("/api/v1/incidents/{id}/events");
    let mut made = 1;
    while made < n {
        let at = now_text();
        let upto = (made + 1000).min(n);
        let events: Vec<Value> = (made..upto)
            .map(|i| {
                if i + 1 == n {
                    json!({ "id": Uuid::now_v7(), "type": "note", "at": at,
                            "text": format!("newest entry {n}") })
                } else {
                    mixed(i, &at)
                }
            })
            .collect();
        c.json("POST", &path, Some(&json!({ "events": events })));
        made = upto;
    }
    println!("{id}");
}

fn get(addr: &str, token: &str, incident: &str, n: usize) {
    let mut c = Conn::open(addr, token);
    let path = format!("/api/v1/incidents/{incident}");
    for _ in 0..2 {
        c.json("GET", &path, None);
    }
    let samples = (0..n)
        .map(|_| {
            let t = Instant::now();
            let (status, body) = c.call("GET", &path, None);
            assert_eq!(status, 200);
            std::hint::black_box(body);
            t.elapsed()
        })
        .collect();
    report("get", samples);
}

/// What a status screen polling after each change meets: one note appended (not timed),
/// then the incident read at once, its state new to the server's reader.
fn fresh(addr: &str, token: &str, incident: &str, n: usize) {
    let mut c = Conn::open(addr, token);
    let path = format!("/api/v1/incidents/{incident}");
    let events = format!("{path}/events");
    let mut samples = Vec::new();
    for i in 0..n + 2 {
        let (status, _) = c.call("POST", &events, Some(&note(format!("fresh {i}"))));
        assert_eq!(status, 200);
        let t = Instant::now();
        let (status, body) = c.call("GET", &path, None);
        let took = t.elapsed();
        assert_eq!(status, 200);
        std::hint::black_box(body);
        // The first two warm the connection and the kept state.
        if i >= 2 {
            samples.push(took);
        }
    }
    report("fresh_get", samples);
}

/// What any client reading an incident does: pages of 10,000 events until the last seq,
/// each parsed as JSON.
fn page(addr: &str, token: &str, incident: &str) {
    let t = Instant::now();
    let mut c = Conn::open(addr, token);
    let mut after = 0;
    let mut count = 0;
    loop {
        let v = c.json(
            "GET",
            &format!("/api/v1/incidents/{incident}/events?after={after}&limit=10000"),
            None,
        );
        let events = v["events"].as_array().unwrap();
        count += events.len();
        let Some(last) = events.last().and_then(|e| e["seq"].as_i64()) else {
            break;
        };
        after = last;
        if last >= v["last_seq"].as_i64().unwrap() {
            break;
        }
    }
    println!("page_events={count}");
    println!("page_s={:.3}", t.elapsed().as_secs_f64());
}

fn note(text: String) -> Value {
    json!({ "events": [ { "id": Uuid::now_v7(), "type": "note", "at": now_text(), "text": text } ] })
}

/// Runs `one` back to back and after `gap` of idleness, in alternating rounds.
fn alternate(
    mut one: impl FnMut() -> Duration,
    n: usize,
    gap: Duration,
) -> (Vec<Duration>, Vec<Duration>) {
    let (mut busy, mut idle) = (Vec::new(), Vec::new());
    for _ in 0..10 {
        one();
    }
    let per_round = (n / 4).max(1);
    for _ in 0..4 {
        for _ in 0..per_round {
            busy.push(one());
        }
        for _ in 0..per_round {
            std::thread::sleep(gap);
            idle.push(one());
        }
    }
    (busy, idle)
}

fn idle(addr: &str, token: &str, incident: &str, dir: &std::path::Path, n: usize) {
    let gap = Duration::from_millis(20);
    let mut c = Conn::open(addr, token);
    let path = format!("/api/v1/incidents/{incident}/events");
    let mut i = 0;
    let (busy, idle) = alternate(
        || {
            i += 1;
            let body = note(format!("append {i}"));
            let t = Instant::now();
            let (status, _) = c.call("POST", &path, Some(&body));
            let took = t.elapsed();
            assert_eq!(status, 200);
            took
        },
        n,
        gap,
    );
    report("append_busy", busy);
    report("append_idle", idle);

    let (busy, idle) = alternate(
        || {
            let t = Instant::now();
            let (status, _) = c.call("GET", "/healthz", None);
            let took = t.elapsed();
            assert_eq!(status, 200);
            took
        },
        n,
        gap,
    );
    report("healthz_busy", busy);
    report("healthz_idle", idle);

    // The peer: plain SQLite, one durable insert per transaction, as the store writes.
    let db = dir.join("plain-sqlite.db");
    let _ = std::fs::remove_file(&db);
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    conn.execute_batch("CREATE TABLE t (id TEXT PRIMARY KEY, body TEXT NOT NULL)")
        .unwrap();
    let mut k = 0;
    let (busy, idle) = alternate(
        || {
            k += 1;
            let t = Instant::now();
            conn.execute(
                "INSERT INTO t (id, body) VALUES (?1, ?2)",
                rusqlite::params![Uuid::now_v7().to_string(), format!("note {k}")],
            )
            .unwrap();
            t.elapsed()
        },
        n,
        gap,
    );
    report("sqlite_busy", busy);
    report("sqlite_idle", idle);
}

/// An async keep-alive connection for the waiters.
struct AsyncConn {
    reader: tokio::io::BufReader<tokio::net::TcpStream>,
}

impl AsyncConn {
    async fn open(addr: &str) -> AsyncConn {
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        AsyncConn {
            reader: tokio::io::BufReader::with_capacity(1 << 14, stream),
        }
    }

    async fn send(&mut self, req: &[u8]) {
        self.reader.get_mut().write_all(req).await.unwrap();
    }

    async fn answer(&mut self) -> (u16, Vec<u8>) {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).await.unwrap();
            let line = line.trim_end().to_string();
            if line.is_empty() {
                break;
            }
            lines.push(line);
        }
        let (status, length, chunked) = parse_head(&lines);
        assert!(!chunked, "the waiters' answers carry a length");
        let mut out = vec![0; length.unwrap_or(0)];
        self.reader.read_exact(&mut out).await.unwrap();
        (status, out)
    }
}

/// Healthz round trips on a connection of its own, from a thread of its own (so the
/// waiters' tasks in this process do not delay it), until `stop`; each with when it started.
fn healthz_probe(
    addr: &str,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<Vec<(Instant, Duration)>> {
    let mut c = Conn::open(addr, "");
    std::thread::spawn(move || {
        let mut out = Vec::new();
        while !stop.load(Ordering::Acquire) {
            let t = Instant::now();
            let (status, _) = c.call("GET", "/healthz", None);
            assert_eq!(status, 200);
            out.push((t, t.elapsed()));
            // One probe a millisecond, as a monitor polling hard would.
            std::thread::sleep(Duration::from_millis(1));
        }
        out
    })
}

fn fanout(addr: &str, token: &str, incident: &str, waiters: usize, rounds: usize) {
    if let Ok(limit) = rlimit::increase_nofile_limit(u64::MAX) {
        assert!(limit as usize > waiters + 64, "open-file limit {limit}");
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(fanout_async(addr, token, incident, waiters, rounds));
}

async fn fanout_async(addr: &str, token: &str, incident: &str, waiters: usize, rounds: usize) {
    let mut admin = Conn::open(addr, token);
    let events_path = format!("/api/v1/incidents/{incident}/events");
    let mut wake_all = Vec::new();
    let mut rest_all = Vec::new();
    let mut during_all = Vec::new();
    let mut acks = Vec::new();
    // Every waiter keeps its connection across rounds, as a console does.
    let mut conns = Vec::with_capacity(waiters);
    for _ in 0..waiters {
        conns.push(AsyncConn::open(addr).await);
    }
    for round in 0..rounds {
        let last = admin.json("GET", &format!("{events_path}?after=0&limit=1"), None)["last_seq"]
            .as_i64()
            .unwrap();
        let req = request_head(
            "GET",
            addr,
            &format!("{events_path}?after={last}&wait=60"),
            token,
            b"",
        );
        let sent = Arc::new(AtomicUsize::new(0));
        let req = Arc::new(req);
        let tasks: Vec<_> = conns
            .drain(..)
            .map(|mut c| {
                let (req, sent) = (req.clone(), sent.clone());
                tokio::spawn(async move {
                    c.send(&req).await;
                    sent.fetch_add(1, Ordering::AcqRel);
                    let (status, body) = c.answer().await;
                    (Instant::now(), status, body, c)
                })
            })
            .collect();
        while sent.load(Ordering::Acquire) < waiters {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Every request is written; let the server take them all in and start waiting
        // (one arriving after the append would answer at once and flatter the figure),
        // probing /healthz at rest meanwhile.
        let stop = Arc::new(AtomicBool::new(false));
        let probe = healthz_probe(addr, stop.clone());
        tokio::time::sleep(Duration::from_millis(1500)).await;
        stop.store(true, Ordering::Release);
        rest_all.extend(probe.join().unwrap().into_iter().skip(50).map(|(_, d)| d));

        let stop = Arc::new(AtomicBool::new(false));
        let probe = healthz_probe(addr, stop.clone());
        tokio::time::sleep(Duration::from_millis(20)).await;
        let text = format!("fan-out round {round}");
        let body = note(text.clone());
        let t0 = Instant::now();
        let (status, _) = admin.call("POST", &events_path, Some(&body));
        acks.push(t0.elapsed());
        assert_eq!(status, 200);
        let mut woke = Vec::with_capacity(waiters);
        for t in tasks {
            let (at, status, body, c) = t.await.unwrap();
            assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
            woke.push((at, body));
            conns.push(c);
        }
        let done = woke.iter().map(|(at, _)| *at).max().unwrap();
        stop.store(true, Ordering::Release);
        let probes = probe.join().unwrap();
        during_all.extend(
            probes
                .iter()
                .filter(|(at, _)| *at >= t0 && *at <= done)
                .map(|(_, d)| *d),
        );
        // Every waiter got the one new event, with its text.
        for (at, body) in &woke {
            let v: Value = serde_json::from_slice(body).unwrap();
            let events = v["events"].as_array().unwrap();
            assert_eq!(events.len(), 1, "one new event");
            assert_eq!(events[0]["text"], text.as_str());
            assert!(*at >= t0, "a waiter answered before the append");
            wake_all.push(at.duration_since(t0));
        }
    }
    println!("waiters={waiters}");
    println!("rounds={rounds}");
    report("wake", wake_all);
    report("fanout_append", acks);
    report("healthz_rest", rest_all);
    report("healthz_during", during_all);
}
