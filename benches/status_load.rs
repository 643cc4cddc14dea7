//! A load client for benches/status.sh: many keep-alive HTTP/1.1 connections asking one
//! path as fast as the server answers, counting answers per second; and, beside them, one
//! writer appending notes to an incident, timing each append. Plain std, no warroom code.
//!
//!   status_load rps --url http://127.0.0.1:PORT --path /status [--conns 32] [--secs 5]
//!                   [--header 'If-None-Match: "..."'] [--token T --incident ID]
//!
//! Prints `rps=N`, `status=CODE` (the last answer's), and with --incident the appends'
//! `append_p50_ms`, `append_p99_ms`, `append_n`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if args.first().map(String::as_str) != Some("rps") {
        println!(
            "status_load rps --url URL --path PATH [--conns N] [--secs S] [--header H] [--token T --incident ID]"
        );
        return;
    }
    let mut opts = HashMap::new();
    for pair in args[1..].chunks(2) {
        opts.insert(
            pair[0].trim_start_matches("--").to_string(),
            pair.get(1).cloned().unwrap_or_default(),
        );
    }
    let addr = opts["url"]
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let path = opts
        .get("path")
        .cloned()
        .unwrap_or_else(|| "/healthz".into());
    let conns: usize = opts.get("conns").map_or(32, |v| v.parse().unwrap());
    let secs: f64 = opts.get("secs").map_or(5.0, |v| v.parse().unwrap());
    let extra = opts.get("header").cloned();

    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let last_status = Arc::new(AtomicU64::new(0));
    let mut threads = Vec::new();
    for _ in 0..conns {
        let (addr, path, extra) = (addr.clone(), path.clone(), extra.clone());
        let (stop, count, last_status) = (stop.clone(), count.clone(), last_status.clone());
        threads.push(std::thread::spawn(move || {
            let mut conn = Conn::open(&addr);
            let mut head = format!("GET {path} HTTP/1.1\r\nhost: {addr}\r\n");
            if let Some(h) = &extra {
                head.push_str(h);
                head.push_str("\r\n");
            }
            head.push_str("\r\n");
            while !stop.load(Ordering::Relaxed) {
                let (status, _) = conn.call(head.as_bytes());
                last_status.store(u64::from(status), Ordering::Relaxed);
                count.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let writer = opts.get("incident").map(|incident| {
        let (addr, stop) = (addr.clone(), stop.clone());
        let token = opts["token"].clone();
        let incident = incident.clone();
        std::thread::spawn(move || {
            let mut conn = Conn::open(&addr);
            let mut samples = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let body = format!(
                    "{{\"events\":[{{\"id\":\"{}\",\"type\":\"note\",\"text\":\"load\"}}]}}",
                    uuid::Uuid::now_v7()
                );
                let req = format!(
                    "POST /api/v1/incidents/{incident}/events HTTP/1.1\r\nhost: {addr}\r\n\
                     authorization: Bearer {token}\r\ncontent-type: application/json\r\n\
                     content-length: {}\r\n\r\n{body}",
                    body.len()
                );
                let started = Instant::now();
                let (status, _) = conn.call(req.as_bytes());
                samples.push(started.elapsed());
                assert_eq!(status, 200, "an append failed");
                // One append every 20 ms: a responder's pace, not a flood.
                std::thread::sleep(Duration::from_millis(20));
            }
            samples
        })
    });
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs_f64(secs));
    stop.store(true, Ordering::Relaxed);
    let elapsed = started.elapsed().as_secs_f64();
    for t in threads {
        t.join().unwrap();
    }
    println!("rps={:.0}", count.load(Ordering::Relaxed) as f64 / elapsed);
    println!("status={}", last_status.load(Ordering::Relaxed));
    if let Some(w) = writer {
        let mut samples = w.join().unwrap();
        samples.sort();
        let at = |p: f64| samples[((samples.len() - 1) as f64 * p).round() as usize];
        println!("append_p50_ms={:.3}", at(0.5).as_secs_f64() * 1000.0);
        println!("append_p99_ms={:.3}", at(0.99).as_secs_f64() * 1000.0);
        println!("append_n={}", samples.len());
    }
}

/// A blocking keep-alive HTTP/1.1 connection.
struct Conn {
    reader: BufReader<TcpStream>,
}

impl Conn {
    fn open(addr: &str) -> Conn {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_nodelay(true).unwrap();
        Conn {
            reader: BufReader::with_capacity(1 << 16, stream),
        }
    }

    /// Sends a whole request; the answer's status and body.
    fn call(&mut self, request: &[u8]) -> (u16, Vec<u8>) {
        self.reader.get_mut().write_all(request).unwrap();
        let mut status = 0;
        let mut length = 0;
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let lower = line.to_ascii_lowercase();
            if status == 0 {
                status = line.split(' ').nth(1).unwrap().parse().unwrap();
            } else if let Some(v) = lower.strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body).unwrap();
        (status, body)
    }
}
