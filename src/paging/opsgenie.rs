//! Opsgenie's Alert API v2: a page is an alert created with `POST /v2/alerts`, known by
//! its alias; closing it is `POST /v2/alerts/{alias}/close?identifierType=alias`. Both
//! carry `Authorization: GenieKey KEY` (the key of the team's API integration) and are
//! answered 202 with the `requestId` Opsgenie processes them under. Opsgenie processes
//! them later and may still fail them (a disabled integration, a field it refuses):
//! `GET /v2/alerts/requests/{requestId}` says how it went (404 while not processed yet).

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

/// Asks how Opsgenie processed the request `request_id` (sent as a GET; no body).
pub fn status(base: &str, key: &str, request_id: &str) -> Request {
    Request {
        url: format!("{base}/v2/alerts/requests/{request_id}"),
        authorization: authorization(key),
        body: Value::Null,
    }
}

/// Whether `request_id` may go into a URL path as it is: Opsgenie's ids are UUIDs.
pub fn is_plain_id(request_id: &str) -> bool {
    !request_id.is_empty()
        && request_id.len() <= 100
        && request_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        && !request_id.starts_with('.')
}

/// What a 200 answer of the request status says: `Some(Ok(alert id))` when Opsgenie did
/// what was asked, `Some(Err(its words))` when it failed it, `None` when the answer does
/// not say.
pub fn processed(answer: &Value) -> Option<Result<String, String>> {
    let data = answer.get("data")?;
    let ok = data
        .get("isSuccess")
        .or_else(|| data.get("success"))
        .and_then(Value::as_bool)?;
    let text = |k: &str| {
        data.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .trim()
            .to_string()
    };
    if ok {
        Some(Ok(text("alertId")))
    } else {
        let said = text("status");
        Some(Err(if said.is_empty() {
            "no reason given".to_string()
        } else {
            page::clip(&said, 300)
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_status_says_done_failed_or_nothing() {
        let done = json!({"data": {"success": true, "action": "Create", "isSuccess": true,
            "status": "Created alert", "alertId": "a-1", "alias": "warroom-x"},
            "took": 0.01, "requestId": "r"});
        assert_eq!(processed(&done), Some(Ok("a-1".to_string())));
        let failed = json!({"data": {"success": false, "isSuccess": false,
            "status": "Integration [warroom] is disabled"}});
        assert_eq!(
            processed(&failed),
            Some(Err("Integration [warroom] is disabled".to_string()))
        );
        assert_eq!(processed(&json!({"message": "Request not found"})), None);
        assert!(is_plain_id("0c5d8e5d-1b1e-4c3f-9a4e-1f0e6b1c2d3e"));
        assert!(!is_plain_id("../x") && !is_plain_id("a/b") && !is_plain_id(""));
    }
}
