//! Desktop notifications, where a notification service runs. Never fatal: over SSH or in
//! CI there is none, and the console falls back to its banner and the terminal bell.

use std::io::Write;

/// Shows a desktop notification; answers whether one was shown.
pub async fn desktop(title: &str, body: &str) -> bool {
    let mut n = notify_rust::Notification::new();
    n.summary(title).body(body).appname("warroom");
    match tokio::time::timeout(std::time::Duration::from_secs(3), n.show_async()).await {
        Ok(Ok(_)) => true,
        Ok(Err(e)) => {
            tracing::info!("no desktop notification ({e}); using the bell");
            false
        }
        Err(_) => false,
    }
}

/// Rings the terminal bell.
pub fn bell() {
    let mut out = std::io::stdout();
    let _ = out.write_all(b"\x07");
    let _ = out.flush();
}
