//! Outgoing webhooks for sent status updates: a Slack-compatible incoming-webhook body
//! (`{"text": "..."}`), delivered with retries on a task of its own so the console never
//! waits on it.

use std::time::Duration;

use serde_json::json;

/// How often delivery is tried, and the pause before the first retry (it doubles, up to
/// [`MAX_PAUSE`]).
pub const ATTEMPTS: u32 = 8;
pub const FIRST_PAUSE: Duration = Duration::from_millis(500);
pub const MAX_PAUSE: Duration = Duration::from_secs(60);

/// Posts `text` to `url` until it is accepted (2xx) or the attempts run out; answers the
/// number of attempts it took, or the last error. `pause` is how long to wait after
/// failed attempt `n` (1-based); the console passes [`backoff`].
pub async fn deliver(
    client: &reqwest::Client,
    url: &str,
    text: &str,
    attempts: u32,
    pause: impl Fn(u32) -> Duration,
) -> Result<u32, String> {
    let body = json!({ "text": text });
    let mut last = String::new();
    for n in 1..=attempts.max(1) {
        match client
            .post(url)
            .json(&body)
            .timeout(Duration::from_secs(15))
            .send()
            .await
        {
            Ok(r) if r.status().is_success() => return Ok(n),
            Ok(r) if r.status().is_client_error() && r.status().as_u16() != 429 => {
                return Err(format!("the webhook refused the update ({})", r.status()));
            }
            Ok(r) => last = format!("the webhook answered {}", r.status()),
            Err(e) => last = format!("the webhook is unreachable: {e}"),
        }
        if n < attempts {
            tokio::time::sleep(pause(n)).await;
        }
    }
    Err(format!("{last} (gave up after {attempts} attempts)"))
}

/// The pause after failed attempt `n`: 0.5 s, 1 s, 2 s, ... up to a minute.
pub fn backoff(n: u32) -> Duration {
    FIRST_PAUSE
        .saturating_mul(1 << n.saturating_sub(1).min(16))
        .min(MAX_PAUSE)
}
