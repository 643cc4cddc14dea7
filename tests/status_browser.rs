//! The public status page in a real browser: `warroom serve --config` on 127.0.0.1, and
//! headless Chromium rendering `/status`. The DOM Chromium built holds the external update
//! in both languages and nothing internal or restricted; a screenshot of the page as a
//! phone shows it is saved beside the test's build (`CARGO_TARGET_TMPDIR`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

/// Chromium: `WARROOM_TEST_CHROMIUM`, else one on the PATH.
fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("WARROOM_TEST_CHROMIUM") {
        return PathBuf::from(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!(
        "no Chromium: set WARROOM_TEST_CHROMIUM to its binary (on Debian: apt-get install chromium)"
    )
}

/// A child process killed when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs headless Chromium with `args` and `url`, for at most a minute; its standard output.
fn browse(profile: &Path, args: &[&str], url: &str) -> String {
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start Chromium");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match child.try_wait().expect("wait for Chromium") {
            Some(_) => break,
            None if Instant::now() > deadline => {
                let _ = child.kill();
                panic!("Chromium did not finish within a minute on {url}");
            }
            // Polling a child's exit: std has no wait with a timeout.
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    let out = child.wait_with_output().expect("Chromium's output");
    assert!(
        out.status.success(),
        "Chromium failed on {url}: {:?}",
        out.status
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "starts headless Chromium: set WARROOM_TEST_CHROMIUM to its binary"]
async fn chromium_renders_the_public_updates_in_both_languages_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("server.toml");
    std::fs::write(
        &config,
        "[comms]\nlanguages = [\"en\", \"fr\"]\n\n[status_page]\n\
         title = { en = \"Acme status\", fr = \"État d'Acme\" }\n\
         intro = { en = \"How our services are doing.\", fr = \"L'état de nos services.\" }\n",
    )
    .unwrap();
    let token = {
        let out = common::warroom(&data)
            .args(["token", "create", "ana"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let mut serve = common::warroom(&data)
        .arg("--config")
        .arg(&config)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = serve.stdout.take().unwrap();
    let _server = Killed(serve);
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).unwrap();
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();

    let http = reqwest::Client::new();
    let post = |path: String, body: Value| {
        let http = http.clone();
        let token = token.clone();
        let url = format!("{base}{path}");
        async move {
            let r = http
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = r.status();
            assert!(status.is_success(), "{status}: {}", r.text().await.unwrap());
        }
    };
    let declare = |title: &str, visibility: &str| {
        let id = Uuid::now_v7();
        (
            id,
            post(
                "/api/v1/incidents".into(),
                json!({ "id": id, "title": title, "severity": 1, "visibility": visibility }),
            ),
        )
    };
    let (open, declared) = declare("pay-db-3.internal out of connections", "open");
    declared.await;
    let (secret, declared) = declare("Customer export leaked", "restricted");
    declared.await;
    let events = |incident: Uuid, list: Value| {
        post(
            format!("/api/v1/incidents/{incident}/events"),
            json!({ "events": list }),
        )
    };
    events(
        open,
        json!([
            { "id": Uuid::now_v7(), "type": "comms_sent", "audience": "internal",
              "text": "SEV1 – pay-db-3.internal out of connections; @bo restarting the pool" },
            { "id": Uuid::now_v7(), "type": "comms_sent", "audience": "external", "lang": "en",
              "text": "SEV1 – Card payments failing <for some>\nSome customers cannot pay by card; a fix is rolling out.",
              "versions": [{ "lang": "fr",
                "text": "Critique – Échec de paiements par carte\nCertains clients ne peuvent pas payer par carte ; un correctif est en cours." }] }
        ]),
    )
    .await;
    events(
        secret,
        json!([{ "id": Uuid::now_v7(), "type": "comms_sent", "audience": "external",
                 "lang": "en", "text": "SEV1 – Restricted matter\nThis must never be public.",
                 "versions": [{ "lang": "fr",
                   "text": "Critique – Affaire réservée\nCeci ne doit jamais être public." }] }]),
    )
    .await;
    let page = http.get(format!("{base}/status")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);

    let profile = dir.path().join("chromium");
    let dom = tokio::task::spawn_blocking({
        let profile = profile.clone();
        let url = format!("{base}/status");
        move || browse(&profile, &["--dump-dom"], &url)
    })
    .await
    .unwrap();
    for shown in [
        "Acme status",
        "État d'Acme",
        "Card payments failing &lt;for some&gt;",
        "Some customers cannot pay by card; a fix is rolling out.",
        "Certains clients ne peuvent pas payer par carte ; un correctif est en cours.",
        "<div class=\"version\" lang=\"fr\">",
        "href=\"/status?lang=fr\"",
    ] {
        assert!(
            dom.contains(shown),
            "the rendered page lacks {shown:?}:\n{dom}"
        );
    }
    for hidden in [
        "Affaire réservée",
        "pay-db-3",
        "@bo",
        "restarting the pool",
        "Restricted matter",
        "Customer export",
        "ana",
    ] {
        assert!(
            !dom.contains(hidden),
            "the rendered page shows {hidden:?}:\n{dom}"
        );
    }

    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("status-page");
    std::fs::create_dir_all(&shots).unwrap();
    for (name, query, size) in [
        ("status-phone.png", "", "412,1200"),
        ("status-fr-desktop.png", "?lang=fr", "1280,900"),
    ] {
        let shot = shots.join(name);
        let _ = std::fs::remove_file(&shot);
        let url = format!("{base}/status{query}");
        let screenshot = format!("--screenshot={}", shot.display());
        let window = format!("--window-size={size}");
        let profile = profile.clone();
        tokio::task::spawn_blocking(move || browse(&profile, &[&screenshot, &window], &url))
            .await
            .unwrap();
        let png = std::fs::read(&shot).unwrap_or_else(|e| panic!("{}: {e}", shot.display()));
        assert!(
            png.starts_with(b"\x89PNG") && png.len() > 10_000,
            "{} is no page",
            shot.display()
        );
    }
}
