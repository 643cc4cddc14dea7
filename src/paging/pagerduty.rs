//! PagerDuty's Events API v2: a page is a `trigger` event sent to `POST /v2/enqueue` with
//! the team's routing key (an Events API v2 integration's key) and a `dedup_key`; closing
//! it is a `resolve` event with the same `dedup_key`. Both are answered 202 with
//! `{status, message, dedup_key}`.

use serde_json::{Value, json};

use super::Request;
use crate::domain::page::{self, Content};

/// PagerDuty's public endpoint (EU accounts: `https://events.eu.pagerduty.com`).
pub const DEFAULT_BASE: &str = "https://events.pagerduty.com";

/// The longest summary PagerDuty keeps.
pub const SUMMARY_MAX: usize = 1024;

/// The trigger event: the headline as summary, the severity from the incident's, the
/// incident's facts and the description as custom details.
pub fn trigger(base: &str, key: &str, c: &Content) -> Request {
    let mut details = serde_json::Map::new();
    for (k, v) in &c.details {
        details.insert(k.clone(), Value::String(v.clone()));
    }
    details.insert("description".into(), Value::String(c.description.clone()));
    Request {
        url: format!("{base}/v2/enqueue"),
        authorization: None,
        body: json!({
            "routing_key": key,
            "event_action": "trigger",
            "dedup_key": c.key,
            "payload": {
                "summary": page::clip(&c.headline, SUMMARY_MAX),
                "source": "warroom",
                "severity": page::pagerduty_severity(c.severity),
                "timestamp": crate::domain::event::format_time(c.requested_at),
                "class": "incident",
                "custom_details": details,
            },
            "client": "warroom",
        }),
    }
}

/// The resolve event for the alert triggered with `dedup_key`.
pub fn resolve(base: &str, key: &str, dedup_key: &str) -> Request {
    Request {
        url: format!("{base}/v2/enqueue"),
        authorization: None,
        body: json!({
            "routing_key": key,
            "event_action": "resolve",
            "dedup_key": dedup_key,
        }),
    }
}

/// PagerDuty's answer names the alert by its `dedup_key`, the one id it gives.
pub fn request_id(answer: &Value) -> String {
    answer
        .get("dedup_key")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}
