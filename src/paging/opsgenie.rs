//! Opsgenie's Alert API v2: a page is an alert created with `POST /v2/alerts`, known by
//! its alias; closing it is `POST /v2/alerts/{alias}/close?identifierType=alias`. Both
//! carry `Authorization: GenieKey KEY` (the key of the team's API integration) and are
//! answered 202 with the `requestId` Opsgenie processes them under.

use serde_json::{Value, json};

use super::Request;
use crate::domain::page::{self, Content};

/// Opsgenie's public endpoint (EU accounts: `https://api.eu.opsgenie.com`).
pub const DEFAULT_BASE: &str = "https://api.opsgenie.com";

/// The longest alert message Opsgenie keeps.
pub const MESSAGE_MAX: usize = 130;
/// The longest description.
pub const DESCRIPTION_MAX: usize = 15_000;

fn authorization(key: &str) -> Option<String> {
    Some(format!("GenieKey {key}"))
}

/// Creates the alert: the headline as its message, the priority from the incident's
/// severity, the incident's facts as details.
pub fn trigger(base: &str, key: &str, c: &Content) -> Request {
    Request {
        url: format!("{base}/v2/alerts"),
        authorization: authorization(key),
        body: json!({
            "message": page::clip(&c.headline, MESSAGE_MAX),
            "alias": c.key,
            "description": page::clip(&c.description, DESCRIPTION_MAX),
            "priority": page::priority(c.severity),
            "source": "warroom",
            "user": page::clip(&c.requested_by, 100),
            "tags": c.tags,
            "details": c.details,
        }),
    }
}

/// Closes the alert known by `alias`.
pub fn close(base: &str, key: &str, alias: &str) -> Request {
    Request {
        url: format!("{base}/v2/alerts/{alias}/close?identifierType=alias"),
        authorization: authorization(key),
        body: json!({
            "source": "warroom",
            "user": "warroom",
            "note": "The incident was resolved in warroom.",
        }),
    }
}

/// The id Opsgenie gave the request (`requestId`).
pub fn request_id(answer: &Value) -> String {
    answer
        .get("requestId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}
