//! Alerts from monitoring: what Alertmanager's webhook (payload version 4) and warroom's
//! own small alert shape carry, how warroom keeps them (one record per fingerprint, from
//! firing to resolved), and how a new delivery changes a kept record.
//!
//! Alertmanager groups alerts and names each group by its group key; warroom keeps that
//! key with every alert, so once one alert of a group is linked to an incident, the others
//! of the same group follow it there. Pure: times come in as arguments.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::event::Severity;
use super::rules::limits;

/// Whether an alert is firing now or has resolved.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum AlertStatus {
    Firing,
    Resolved,
}

impl AlertStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Firing => "firing",
            AlertStatus::Resolved => "resolved",
        }
    }
}

/// An alert as warroom keeps it: one per fingerprint, updated as deliveries arrive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Alert {
    /// Made by the server the first time it saw the fingerprint.
    pub id: Uuid,
    /// Alertmanager's fingerprint of the label set (lower-case hex); for alerts sent to
    /// `POST /api/v1/alerts`, derived from the source and labels the same way every time.
    pub fingerprint: String,
    pub status: AlertStatus,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// When the current firing began.
    pub starts_at: DateTime<Utc>,
    /// When it resolved; `None` while it fires.
    pub ends_at: Option<DateTime<Utc>>,
    /// The incident it is linked to, directly or through its group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident: Option<Uuid>,
    /// Alertmanager's group key (`source/alertname` for the generic shape).
    pub group_key: String,
    /// The Alertmanager receiver that delivered it, or the generic shape's `source`.
    pub source: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub generator_url: String,
    /// When warroom last changed this record.
    pub updated_at: DateTime<Utc>,
}

impl Alert {
    /// The alert's name: its `alertname` label.
    pub fn name(&self) -> &str {
        name_of(&self.labels)
    }

    /// Its summary: the `summary` annotation, else `description`.
    pub fn summary(&self) -> &str {
        summary_of(&self.annotations)
    }

    /// The severity its `severity` label suggests, if it names one warroom reads.
    pub fn severity_hint(&self) -> Option<Severity> {
        self.labels.get("severity").and_then(|s| severity_hint(s))
    }

    /// A firing alert whose severity label reads critical.
    pub fn is_critical(&self) -> bool {
        self.status == AlertStatus::Firing && self.severity_hint() == Some(Severity::CRITICAL)
    }

    /// The event that links this alert to an incident.
    pub fn link(&self) -> super::event::EventKind {
        super::event::EventKind::AlertLinked {
            alert: self.id,
            fingerprint: self.fingerprint.clone(),
            name: clipped(self.name(), limits::TITLE),
            summary: clipped(self.summary(), limits::TEXT),
        }
    }

    /// What declaring an incident from this alert at `now` records after the declaration:
    /// the detection when it fired (when the rule book's window before a declaration
    /// reaches back that far; the second value says whether it did), then the link.
    pub fn declared_from(
        &self,
        now: DateTime<Utc>,
    ) -> (Vec<(DateTime<Utc>, super::event::EventKind)>, bool) {
        let fired = self.starts_at.min(now);
        let mut then = Vec::new();
        let detected = now - fired < super::rules::Rules::default().backdate_window;
        if detected {
            then.push((fired, super::event::EventKind::Detected {}));
        }
        then.push((now, self.link()));
        (then, detected)
    }

    /// The first characters of the fingerprint, as lists show it.
    pub fn short_fingerprint(&self) -> &str {
        let end = self
            .fingerprint
            .char_indices()
            .nth(8)
            .map_or(self.fingerprint.len(), |(i, _)| i);
        &self.fingerprint[..end]
    }
}

/// The `alertname` label, or a placeholder.
pub fn name_of(labels: &BTreeMap<String, String>) -> &str {
    labels
        .get("alertname")
        .map(|s| s.as_str())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or("unnamed alert")
}

/// The `summary` annotation, else `description`, else nothing.
pub fn summary_of(annotations: &BTreeMap<String, String>) -> &str {
    ["summary", "description"]
        .iter()
        .filter_map(|k| annotations.get(*k))
        .map(|s| s.as_str())
        .find(|s| !s.trim().is_empty())
        .unwrap_or("")
}

/// Reads a `severity` label: `critical` (or `page`, `sev1`, `p1`, `1`) is SEV1; `major`,
/// `error`, `high` (or `sev2`, `p2`, `2`) SEV2; `warning`, `minor`, `low`, `info` (or
/// `sev3`, `p3`, `3`) SEV3. Anything else suggests nothing.
pub fn severity_hint(label: &str) -> Option<Severity> {
    match label.trim().to_ascii_lowercase().as_str() {
        "critical" | "crit" | "page" | "sev1" | "p1" | "1" | "disaster" => Some(Severity::CRITICAL),
        "major" | "error" | "high" | "sev2" | "p2" | "2" => Some(Severity::MAJOR),
        "warning" | "warn" | "minor" | "low" | "info" | "sev3" | "p3" | "3" => {
            Some(Severity::MINOR)
        }
        _ => None,
    }
}

/// One alert of a delivery, read and checked, not yet merged with what is kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Incoming {
    pub fingerprint: String,
    pub status: AlertStatus,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// When it began firing, if the sender said.
    pub starts_at: Option<DateTime<Utc>>,
    /// When it resolved, if the sender said (only kept for a resolved alert).
    pub ends_at: Option<DateTime<Utc>>,
    pub group_key: String,
    pub source: String,
    pub generator_url: String,
}

/// Why a delivery was not taken: `malformed` when it is not the shape the endpoint reads
/// (answered 400), otherwise well-formed but unusable (answered 422).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub malformed: bool,
    pub message: String,
}

impl Rejection {
    fn malformed(message: impl Into<String>) -> Self {
        Rejection {
            malformed: true,
            message: message.into(),
        }
    }

    fn unusable(message: impl Into<String>) -> Self {
        Rejection {
            malformed: false,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The protocol version of Alertmanager's webhook warroom reads.
pub const ALERTMANAGER_VERSION: &str = "4";

/// Longest fingerprint taken (Alertmanager's are 16 hex digits).
pub const FINGERPRINT_MAX: usize = 64;

/// What a fingerprint must look like: hexadecimal digits.
pub const FINGERPRINT_PATTERN: &str = "^[0-9a-fA-F]{1,64}$";

/// The only protocol version of Alertmanager's webhook warroom reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
pub enum AlertmanagerVersion {
    #[serde(rename = "4")]
    V4,
}

/// Alertmanager's webhook message, protocol version 4, as Alertmanager sends it to a
/// `webhook_configs` receiver. Fields later Alertmanagers add are accepted and ignored.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({
    "version": "4",
    "groupKey": "{}:{alertname=\"HighErrorRate\"}",
    "truncatedAlerts": 0,
    "status": "firing",
    "receiver": "warroom",
    "groupLabels": {"alertname": "HighErrorRate"},
    "commonLabels": {"alertname": "HighErrorRate", "severity": "critical"},
    "commonAnnotations": {"summary": "5% of checkouts fail"},
    "externalURL": "http://alertmanager.example:9093",
    "alerts": [{
        "status": "firing",
        "labels": {"alertname": "HighErrorRate", "severity": "critical", "service": "checkout"},
        "annotations": {"summary": "5% of checkouts fail"},
        "startsAt": "2026-11-26T21:40:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.example:9090/graph",
        "fingerprint": "a1b2c3d4e5f60718"
    }]
}))]
pub struct AlertmanagerMessage {
    /// `"4"`: the protocol version.
    pub version: AlertmanagerVersion,
    /// The alert group this notification is for; later alerts of a group linked to an
    /// incident reach that incident.
    pub group_key: String,
    /// How many alerts Alertmanager left out (`max_alerts`).
    #[serde(deserialize_with = "count")]
    #[schema(value_type = i64, minimum = 0)]
    pub truncated_alerts: u64,
    /// The group's status: firing while any of its alerts fires.
    pub status: AlertStatus,
    /// The receiver's name in Alertmanager's configuration.
    pub receiver: String,
    pub group_labels: BTreeMap<String, String>,
    pub common_labels: BTreeMap<String, String>,
    pub common_annotations: BTreeMap<String, String>,
    #[serde(rename = "externalURL")]
    pub external_url: String,
    pub alerts: Vec<AlertmanagerAlert>,
}

/// One alert of Alertmanager's message.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlertmanagerAlert {
    pub status: AlertStatus,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub starts_at: DateTime<Utc>,
    /// `0001-01-01T00:00:00Z` (no time) or a time to come while the alert fires.
    pub ends_at: DateTime<Utc>,
    #[serde(rename = "generatorURL")]
    pub generator_url: String,
    /// The label set's fingerprint, hexadecimal.
    #[schema(pattern = "^[0-9a-fA-F]{1,64}$", example = "a1b2c3d4e5f60718")]
    pub fingerprint: String,
}

/// A count: a whole number from 0 up to the largest 64-bit signed integer, written as an
/// integer or as a number with no fraction (`3.0`), both integers to JSON Schema. A large
/// one written with a fraction is read as a float, which may land a rounding step away
/// from the whole number it was; that step is not a fraction.
fn count<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    use serde::de::Error as _;
    let n = serde_json::Number::deserialize(d)?;
    let whole = match (n.as_u64(), n.as_f64()) {
        (Some(u), _) => Some(u),
        (None, Some(f))
            if (f - f.round()).abs() <= f.abs() * 4.0 * f64::EPSILON
                && (0.0..9.2e18).contains(&f) =>
        {
            Some(f.round() as u64)
        }
        _ => None,
    };
    whole
        .filter(|u| i64::try_from(*u).is_ok())
        .ok_or_else(|| D::Error::custom(format!("{n} is not a count from 0 to {}", i64::MAX)))
}

/// Years a time of an alert may fall in.
fn usable_time(what: &str, t: DateTime<Utc>) -> Result<(), Rejection> {
    if (1..=9999).contains(&t.year()) {
        Ok(())
    } else {
        Err(Rejection::unusable(format!(
            "{what} falls outside the years 1 to 9999"
        )))
    }
}

/// What a delivery from Alertmanager holds: its group key and its alerts. A payload that
/// is not one is answered with a sentence saying what is wrong.
pub fn parse_alertmanager(body: serde_json::Value) -> Result<(String, Vec<Incoming>), Rejection> {
    let m: AlertmanagerMessage = serde_json::from_value(body).map_err(|e| {
        Rejection::malformed(format!(
            "this is not an Alertmanager webhook message (version {ALERTMANAGER_VERSION}): {e}"
        ))
    })?;
    let mut out = Vec::with_capacity(m.alerts.len());
    for (n, a) in m.alerts.into_iter().enumerate() {
        let fingerprint = fingerprint(&a.fingerprint).ok_or_else(|| {
            Rejection::malformed(format!(
                "alert {}: the fingerprint must be 1 to {FINGERPRINT_MAX} hexadecimal digits",
                n + 1
            ))
        })?;
        usable_time(&format!("alert {}: `startsAt`", n + 1), a.starts_at)?;
        let ends_at = match a.status {
            AlertStatus::Resolved => Some(a.ends_at).filter(|t| !is_zero_time(*t)),
            AlertStatus::Firing => None,
        };
        if let Some(end) = ends_at {
            usable_time(&format!("alert {}: `endsAt`", n + 1), end)?;
        }
        out.push(Incoming {
            fingerprint,
            status: a.status,
            labels: a.labels,
            annotations: a.annotations,
            starts_at: Some(a.starts_at).filter(|t| !is_zero_time(*t)),
            ends_at,
            group_key: m.group_key.clone(),
            source: m.receiver.clone(),
            generator_url: a.generator_url,
        });
    }
    Ok((m.group_key, out))
}

/// Go's zero time (`0001-01-01T00:00:00Z`), which Alertmanager sends for a time not set.
fn is_zero_time(t: DateTime<Utc>) -> bool {
    t.year() <= 1
}

fn fingerprint(s: &str) -> Option<String> {
    let ok =
        !s.is_empty() && s.len() <= FINGERPRINT_MAX && s.bytes().all(|b| b.is_ascii_hexdigit());
    ok.then(|| s.to_ascii_lowercase())
}

/// warroom's own alert shape, for Grafana and scripts: one alert a request. Sending the
/// same source, title, severity and labels again updates the same alert; an `ends_at`
/// that has passed resolves it.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "source": "grafana",
    "title": "Checkout latency above 2 s",
    "severity": "critical",
    "summary": "p99 of POST /checkout is 2.4 s",
    "labels": {"service": "checkout", "region": "eu-west-1"},
    "starts_at": "2026-11-26T21:40:00Z"
}))]
pub struct GenericAlert {
    /// What sent it, e.g. `grafana` (default `api`).
    #[serde(default)]
    #[schema(max_length = 64)]
    pub source: Option<String>,
    /// What is wrong, in one line: the alert's name (its `alertname` label).
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub title: String,
    /// The alert's `severity` label, e.g. `critical`, `warning`.
    #[serde(default)]
    #[schema(max_length = 64)]
    pub severity: Option<String>,
    /// A sentence on what it means (its `summary` annotation).
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub labels: Option<BTreeMap<String, String>>,
    /// When it began (default: when warroom first heard of it).
    #[serde(default)]
    pub starts_at: Option<DateTime<Utc>>,
    /// When it ended; once this has passed, the alert is resolved.
    #[serde(default)]
    pub ends_at: Option<DateTime<Utc>>,
}

/// The source a generic alert names when it names none.
pub const DEFAULT_SOURCE: &str = "api";
/// Longest `source` and `severity` of a generic alert.
pub const SOURCE_MAX: usize = 64;

/// Reads one alert of warroom's own shape. It fires until `ends_at` has passed (at `now`).
/// Its fingerprint is derived from its source and labels (the title is its `alertname`
/// label, the severity its `severity` label), so sending it again updates the same alert;
/// its group is its source and title.
pub fn parse_generic(body: serde_json::Value, now: DateTime<Utc>) -> Result<Incoming, Rejection> {
    let a: GenericAlert = serde_json::from_value(body)
        .map_err(|e| Rejection::malformed(format!("this is not an alert warroom reads: {e}")))?;
    // The lengths as sent, as the API's schema states them.
    for (what, text, max) in [
        ("title", Some(&a.title), limits::TITLE),
        ("source", a.source.as_ref(), SOURCE_MAX),
        ("severity", a.severity.as_ref(), SOURCE_MAX),
    ] {
        let n = text.map_or(0, |t| t.chars().count());
        if n > max {
            return Err(Rejection::malformed(format!(
                "the alert's `{what}` is {n} characters long; at most {max} are taken"
            )));
        }
    }
    let title = a.title.trim().to_string();
    if title.is_empty() {
        return Err(Rejection::malformed(
            "the alert's `title` must not be empty",
        ));
    }
    let source = a
        .source
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_SOURCE.to_string());
    let mut labels = a.labels.unwrap_or_default();
    labels.insert("alertname".into(), title.clone());
    if let Some(sev) = a.severity.map(|s| s.trim().to_string())
        && !sev.is_empty()
    {
        labels.insert("severity".into(), sev);
    }
    let mut annotations = BTreeMap::new();
    if let Some(summary) = a.summary.filter(|s| !s.trim().is_empty()) {
        annotations.insert("summary".into(), summary);
    }
    for (what, t) in [("`starts_at`", a.starts_at), ("`ends_at`", a.ends_at)] {
        if let Some(t) = t {
            usable_time(&format!("the alert's {what}"), t)?;
        }
    }
    if let (Some(start), Some(end)) = (a.starts_at, a.ends_at)
        && end < start
    {
        return Err(Rejection::unusable(
            "the alert's `ends_at` is before its `starts_at`",
        ));
    }
    let resolved = a.ends_at.is_some_and(|end| end <= now);
    Ok(Incoming {
        fingerprint: generic_fingerprint(&source, &labels),
        status: if resolved {
            AlertStatus::Resolved
        } else {
            AlertStatus::Firing
        },
        labels,
        annotations,
        starts_at: a.starts_at,
        ends_at: if resolved { a.ends_at } else { None },
        group_key: format!("{source}/{title}"),
        source,
        generator_url: String::new(),
    })
}

/// 16 hex digits from the source and the label set, like Alertmanager's fingerprints.
fn generic_fingerprint(source: &str, labels: &BTreeMap<String, String>) -> String {
    let mut h = Sha256::new();
    h.update(b"warroom generic alert\0");
    h.update(source.as_bytes());
    for (k, v) in labels {
        h.update(b"\0");
        h.update(k.as_bytes());
        h.update(b"\xff");
        h.update(v.as_bytes());
    }
    hex::encode(&h.finalize()[..8])
}

/// What a delivery changed about one alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Seen for the first time, firing.
    New,
    /// Firing again after it had resolved.
    Refired,
    /// It resolved (or was first seen resolved).
    Resolved,
    /// Nothing a responder needs to hear (a repeat, new annotations, a stale delivery).
    Quiet,
}

impl Change {
    /// The status a responder is told of, if any.
    pub fn told(self) -> Option<AlertStatus> {
        match self {
            Change::New | Change::Refired => Some(AlertStatus::Firing),
            Change::Resolved => Some(AlertStatus::Resolved),
            Change::Quiet => None,
        }
    }
}

/// The kept record after `incoming` arrives at `now`, and what changed. `kept` is the
/// record of the same fingerprint, if any; `id` is used for a new record; `group_incident`
/// is the incident another alert of the same group is linked to, which a record not
/// linked yet joins. A firing delivery of an occurrence that already resolved (same
/// start) is stale and changes nothing.
pub fn merge(
    kept: Option<&Alert>,
    incoming: &Incoming,
    id: Uuid,
    group_incident: Option<Uuid>,
    now: DateTime<Utc>,
) -> (Alert, Change) {
    let now = super::event::truncate_micros(now);
    let fresh =
        |status: AlertStatus, starts_at: DateTime<Utc>, ends_at: Option<DateTime<Utc>>| Alert {
            id: kept.map_or(id, |k| k.id),
            fingerprint: incoming.fingerprint.clone(),
            status,
            labels: incoming.labels.clone(),
            annotations: incoming.annotations.clone(),
            starts_at: super::event::truncate_micros(starts_at),
            ends_at: ends_at.map(super::event::truncate_micros),
            incident: kept.and_then(|k| k.incident).or(group_incident),
            group_key: incoming.group_key.clone(),
            source: incoming.source.clone(),
            generator_url: incoming.generator_url.clone(),
            updated_at: now,
        };
    let start = incoming.starts_at.unwrap_or(now);
    let end = incoming.ends_at.unwrap_or(now).max(start);
    let (mut alert, change) = match (kept, incoming.status) {
        (None, AlertStatus::Firing) => (fresh(AlertStatus::Firing, start, None), Change::New),
        (None, AlertStatus::Resolved) => (
            fresh(AlertStatus::Resolved, start, Some(end)),
            Change::Resolved,
        ),
        (Some(k), AlertStatus::Firing) if k.status == AlertStatus::Firing => {
            let began = incoming
                .starts_at
                .map_or(k.starts_at, |s| s.min(k.starts_at));
            (fresh(AlertStatus::Firing, began, None), Change::Quiet)
        }
        (Some(k), AlertStatus::Firing) => {
            if incoming
                .starts_at
                .is_some_and(|s| super::event::truncate_micros(s) <= k.starts_at)
            {
                return (k.clone(), Change::Quiet);
            }
            (fresh(AlertStatus::Firing, start, None), Change::Refired)
        }
        (Some(k), AlertStatus::Resolved) if k.status == AlertStatus::Firing => {
            let end = incoming.ends_at.unwrap_or(now).max(k.starts_at);
            (
                fresh(AlertStatus::Resolved, k.starts_at, Some(end)),
                Change::Resolved,
            )
        }
        (Some(k), AlertStatus::Resolved) => (
            fresh(AlertStatus::Resolved, k.starts_at, k.ends_at),
            Change::Quiet,
        ),
    };
    if let Some(k) = kept
        && change == Change::Quiet
    {
        // Nothing new at all: the record keeps when it last changed.
        let mut unchanged = alert.clone();
        unchanged.updated_at = k.updated_at;
        if &unchanged == k {
            alert = unchanged;
        }
    }
    (alert, change)
}

/// The id of the observation a change of `alert` puts on its incident: the same for every
/// delivery telling the same change, so a repeated delivery records it once.
pub fn observation_id(alert: &Alert, told: AlertStatus) -> Uuid {
    let mut h = Sha256::new();
    h.update(b"warroom alert observation\0");
    h.update(alert.fingerprint.as_bytes());
    h.update(b"\0");
    h.update(told.as_str().as_bytes());
    h.update(b"\0");
    h.update(super::event::format_time(alert.starts_at).as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&h.finalize()[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// When the change of `alert` happened, for its observation: when it began firing, or when
/// it resolved; never later than `now`.
pub fn observed_at(alert: &Alert, told: AlertStatus, now: DateTime<Utc>) -> DateTime<Utc> {
    let at = match told {
        AlertStatus::Firing => alert.starts_at,
        AlertStatus::Resolved => alert.ends_at.unwrap_or(now),
    };
    at.min(now)
}

/// `text` cut to at most `max` characters, for event fields with a size limit.
pub fn clipped(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// Firing first, the most recently started first; then by fingerprint.
pub fn sort(alerts: &mut [Alert]) {
    alerts.sort_by(|a, b| {
        a.status
            .cmp(&b.status)
            .then(b.starts_at.cmp(&a.starts_at))
            .then(a.fingerprint.cmp(&b.fingerprint))
    });
}

/// The one alert `reference` names: its id, or a prefix of its fingerprint that only it
/// has. A sentence says why when none or several match.
pub fn find<'a>(alerts: &'a [Alert], reference: &str) -> Result<&'a Alert, String> {
    let r = reference.trim().to_ascii_lowercase();
    if r.is_empty() {
        return Err("name an alert: its id or the start of its fingerprint".into());
    }
    if let Ok(id) = Uuid::parse_str(&r)
        && let Some(a) = alerts.iter().find(|a| a.id == id)
    {
        return Ok(a);
    }
    let found: Vec<&Alert> = alerts
        .iter()
        .filter(|a| a.fingerprint.starts_with(&r))
        .collect();
    match found.as_slice() {
        [one] => Ok(one),
        [] if Uuid::parse_str(&r).is_ok() => Err(format!(
            "no alert matches `{}`: no alert has that id. A server removes a resolved alert \
             once it has been unchanged for its `[alerts] keep_resolved` (30 days unless \
             set); see `warroom alerts --all`",
            super::describe::visible_line(reference.trim())
        )),
        [] => Err(format!(
            "no alert matches `{}` (see `warroom alerts --all`)",
            super::describe::visible_line(reference.trim())
        )),
        many => Err(format!(
            "`{}` matches {} alerts: {}; type more of the fingerprint",
            super::describe::visible_line(reference.trim()),
            many.len(),
            many.iter()
                .map(|a| format!(
                    "{} ({})",
                    a.fingerprint,
                    super::describe::visible_line(a.name())
                ))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn am(status: &str, alerts: serde_json::Value) -> serde_json::Value {
        json!({
            "version": "4",
            "groupKey": "{}:{alertname=\"HighErrorRate\"}",
            "truncatedAlerts": 0,
            "status": status,
            "receiver": "warroom",
            "groupLabels": {"alertname": "HighErrorRate"},
            "commonLabels": {"alertname": "HighErrorRate"},
            "commonAnnotations": {},
            "externalURL": "http://am.example:9093",
            "alerts": alerts,
        })
    }

    fn firing(fp: &str) -> serde_json::Value {
        json!({
            "status": "firing",
            "labels": {"alertname": "HighErrorRate", "severity": "critical", "pod": fp},
            "annotations": {"summary": "5% of checkouts fail"},
            "startsAt": "2026-11-26T21:40:00.123456789+01:00",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prom.example/graph",
            "fingerprint": fp,
        })
    }

    #[test]
    fn alertmanager_payloads_are_read_with_their_group_and_times() {
        let (group, alerts) =
            parse_alertmanager(am("firing", json!([firing("A1b2c3d4e5f60718")]))).unwrap();
        assert_eq!(group, "{}:{alertname=\"HighErrorRate\"}");
        let a = &alerts[0];
        assert_eq!(a.fingerprint, "a1b2c3d4e5f60718", "lower-cased");
        assert_eq!(a.status, AlertStatus::Firing);
        assert_eq!(a.starts_at, Some(t("2026-11-26T20:40:00.123456789Z")));
        assert_eq!(a.ends_at, None, "Go's zero time is no time");
        assert_eq!(a.source, "warroom");
        assert_eq!(a.generator_url, "http://prom.example/graph");
        assert_eq!(name_of(&a.labels), "HighErrorRate");
        assert_eq!(summary_of(&a.annotations), "5% of checkouts fail");
    }

    #[test]
    fn later_alertmanager_fields_are_ignored_and_wrong_payloads_say_why() {
        let mut body = am("firing", json!([firing("ab")]));
        body["notification_reason"] = json!("new");
        body["routeLabels"] = json!({});
        assert!(parse_alertmanager(body).is_ok());

        let mut v3 = am("firing", json!([]));
        v3["version"] = json!("3");
        let e = parse_alertmanager(v3).unwrap_err();
        assert!(e.message.contains("expected `4`"), "{e}");
        assert!(e.malformed);

        let e = parse_alertmanager(json!({"alerts": []})).unwrap_err();
        assert!(e.message.contains("missing field"), "{e}");

        let e = parse_alertmanager(am("firing", json!([firing("not-hex")]))).unwrap_err();
        assert!(
            e.message.contains("alert 1") && e.message.contains("hexadecimal"),
            "{e}"
        );

        let mut far = firing("ab");
        far["startsAt"] = json!("9999-12-31T23:59:59-01:00");
        let e = parse_alertmanager(am("firing", json!([far]))).unwrap_err();
        assert!(!e.malformed && e.message.contains("years 1 to 9999"), "{e}");

        let mut whole = am("firing", json!([]));
        whole["truncatedAlerts"] = json!(3.0);
        assert!(parse_alertmanager(whole).is_ok(), "3.0 is a whole number");
        let text = serde_json::to_string(&am("firing", json!([])))
            .unwrap()
            .replace(
                "\"truncatedAlerts\":0",
                "\"truncatedAlerts\":2251799813685247.0",
            );
        assert!(
            parse_alertmanager(serde_json::from_str(&text).unwrap()).is_ok(),
            "a whole number however it parses: {text}"
        );
        for n in [json!(-1), json!(2.5), json!(9223372036854775808u64)] {
            let mut count = am("firing", json!([]));
            count["truncatedAlerts"] = n.clone();
            let e = parse_alertmanager(count).unwrap_err();
            assert!(e.malformed && e.message.contains("not a count"), "{n}: {e}");
        }

        let mut bad_status = firing("ab");
        bad_status["status"] = json!("pending");
        assert!(parse_alertmanager(am("firing", json!([bad_status]))).is_err());
    }

    #[test]
    fn generic_alerts_fire_until_their_end_and_keep_one_fingerprint() {
        let now = t("2026-11-26T22:00:00Z");
        let body = json!({"source": "grafana", "title": "Disk full", "severity": "critical",
                          "labels": {"host": "db-1"}, "summary": "/var at 100%"});
        let a = parse_generic(body.clone(), now).unwrap();
        assert_eq!(a.status, AlertStatus::Firing);
        assert_eq!(a.labels["alertname"], "Disk full");
        assert_eq!(a.labels["severity"], "critical");
        assert_eq!(a.annotations["summary"], "/var at 100%");
        assert_eq!(a.group_key, "grafana/Disk full");
        assert_eq!(a.fingerprint.len(), 16);
        let again = parse_generic(body.clone(), now).unwrap();
        assert_eq!(a.fingerprint, again.fingerprint, "the same alert twice");
        let mut other = body.clone();
        other["labels"] = json!({"host": "db-2"});
        assert_ne!(
            parse_generic(other, now).unwrap().fingerprint,
            a.fingerprint,
            "other labels, another alert"
        );

        let mut ended = body.clone();
        ended["ends_at"] = json!("2026-11-26T21:59:00Z");
        let r = parse_generic(ended, now).unwrap();
        assert_eq!(r.status, AlertStatus::Resolved);
        assert_eq!(
            r.fingerprint, a.fingerprint,
            "resolving keeps the fingerprint"
        );
        let mut later = body;
        later["ends_at"] = json!("2026-11-26T23:00:00Z");
        assert_eq!(
            parse_generic(later, now).unwrap().status,
            AlertStatus::Firing
        );
    }

    #[test]
    fn generic_alerts_that_are_not_say_why() {
        let now = t("2026-11-26T22:00:00Z");
        for (body, words) in [
            (json!({"source": "x"}), "missing field `title`"),
            (json!({"title": "  "}), "must not be empty"),
            (json!({"title": "x", "tittle": "y"}), "unknown field"),
            (json!({"title": "x", "severity": 1}), "invalid type"),
            (json!({"title": "x".repeat(201)}), "at most 200"),
            (
                json!({"title": "x", "starts_at": "2026-11-26T22:00:00Z", "ends_at": "2026-11-26T21:00:00Z"}),
                "before its `starts_at`",
            ),
            (
                json!({"title": "x", "starts_at": "yesterday"}),
                "input contains invalid",
            ),
            (json!({"title": "x", "labels": {"a": 1}}), "invalid type"),
        ] {
            let e = parse_generic(body.clone(), now).unwrap_err();
            assert!(e.message.contains(words), "{body}: {e}");
            assert_eq!(
                e.malformed,
                !words.contains("before"),
                "a well-formed alert that cannot be is not malformed: {e}"
            );
        }
    }

    fn incoming(status: AlertStatus, start: &str, end: Option<&str>) -> Incoming {
        Incoming {
            fingerprint: "ab12".into(),
            status,
            labels: BTreeMap::from([("alertname".into(), "HighErrorRate".into())]),
            annotations: BTreeMap::new(),
            starts_at: Some(t(start)),
            ends_at: end.map(t),
            group_key: "g".into(),
            source: "warroom".into(),
            generator_url: String::new(),
        }
    }

    #[test]
    fn an_alert_goes_from_firing_to_resolved_once_and_repeats_are_quiet() {
        let now = t("2026-11-26T22:00:00Z");
        let id = Uuid::now_v7();
        let (a, c) = merge(
            None,
            &incoming(AlertStatus::Firing, "2026-11-26T21:40:00Z", None),
            id,
            None,
            now,
        );
        assert_eq!((c, a.id, a.status), (Change::New, id, AlertStatus::Firing));
        let (b, c) = merge(
            Some(&a),
            &incoming(AlertStatus::Firing, "2026-11-26T21:40:00Z", None),
            Uuid::now_v7(),
            None,
            now + chrono::Duration::minutes(5),
        );
        assert_eq!(c, Change::Quiet, "a repeat");
        assert_eq!(b, a, "a repeat changes nothing, not even when it changed");
        let (r, c) = merge(
            Some(&b),
            &incoming(
                AlertStatus::Resolved,
                "2026-11-26T21:40:00Z",
                Some("2026-11-26T21:55:00Z"),
            ),
            Uuid::now_v7(),
            None,
            now,
        );
        assert_eq!(c, Change::Resolved);
        assert_eq!(r.id, id, "the same record");
        assert_eq!(r.ends_at, Some(t("2026-11-26T21:55:00Z")));
        let (stale, c) = merge(
            Some(&r),
            &incoming(AlertStatus::Firing, "2026-11-26T21:40:00Z", None),
            Uuid::now_v7(),
            None,
            now,
        );
        assert_eq!((c, stale.status), (Change::Quiet, AlertStatus::Resolved));
        let (again, c) = merge(
            Some(&r),
            &incoming(AlertStatus::Firing, "2026-11-26T23:00:00Z", None),
            Uuid::now_v7(),
            None,
            now,
        );
        assert_eq!((c, again.status), (Change::Refired, AlertStatus::Firing));
        assert_eq!(again.ends_at, None);
        assert_ne!(
            observation_id(&again, AlertStatus::Firing),
            observation_id(&a, AlertStatus::Firing),
            "a new firing is a new observation"
        );
        assert_eq!(
            observation_id(&r, AlertStatus::Resolved),
            observation_id(&a, AlertStatus::Resolved),
            "one resolution per firing"
        );
    }

    #[test]
    fn a_new_alert_joins_its_groups_incident_and_a_linked_one_stays_linked() {
        let now = t("2026-11-26T22:00:00Z");
        let (inc1, inc2) = (Uuid::now_v7(), Uuid::now_v7());
        let fire = incoming(AlertStatus::Firing, "2026-11-26T21:40:00Z", None);
        let (a, _) = merge(None, &fire, Uuid::now_v7(), Some(inc1), now);
        assert_eq!(a.incident, Some(inc1));
        let (b, _) = merge(Some(&a), &fire, Uuid::now_v7(), Some(inc2), now);
        assert_eq!(b.incident, Some(inc1));
    }

    #[test]
    fn alerts_are_found_by_id_or_a_unique_fingerprint_prefix() {
        let now = t("2026-11-26T22:00:00Z");
        let mk = |fp: &str, status| {
            let mut i = incoming(status, "2026-11-26T21:40:00Z", None);
            i.fingerprint = fp.into();
            merge(None, &i, Uuid::now_v7(), None, now).0
        };
        let mut all = vec![
            mk("abc123", AlertStatus::Resolved),
            mk("abd456", AlertStatus::Firing),
        ];
        sort(&mut all);
        assert_eq!(all[0].fingerprint, "abd456", "firing first");
        assert_eq!(find(&all, "ABC").unwrap().fingerprint, "abc123");
        assert_eq!(
            find(&all, &all[1].id.to_string()).unwrap().fingerprint,
            "abc123"
        );
        let e = find(&all, "ab").unwrap_err();
        assert!(
            e.contains("matches 2 alerts") && e.contains("abc123"),
            "{e}"
        );
        let e = find(&all, "ff").unwrap_err();
        assert!(e.contains("no alert matches `ff`"), "{e}");
        // An id no alert has: one removed after it resolved, say.
        let gone = Uuid::now_v7().to_string();
        let e = find(&all, &gone).unwrap_err();
        assert!(
            e.contains(&format!("no alert matches `{gone}`: no alert has that id"))
                && e.contains("keep_resolved"),
            "{e}"
        );
    }

    #[test]
    fn an_alert_observation_reads_as_one_and_puts_nobody_on_the_response() {
        use crate::domain::event::{Event, EventKind};
        use crate::domain::incident::Incident;
        use crate::domain::rules::{self, Rules};
        let inc = Uuid::now_v7();
        let t = t("2026-11-26T22:00:00Z");
        let event = |author: &str, kind: EventKind| Event {
            id: Uuid::now_v7(),
            incident: inc,
            seq: None,
            at: t,
            recorded_at: Some(t),
            author: author.into(),
            persona: None,
            kind,
        };
        let declared = event(
            "ana",
            EventKind::IncidentDeclared {
                title: "Checkout errors".into(),
                severity: Severity::MAJOR,
                summary: String::new(),
                drill: false,
                restricted: false,
            },
        );
        let mut state = Incident::fold(inc, &[declared]);
        let observed = |name: String| {
            event(
                "alertmanager",
                EventKind::AlertObserved {
                    alert: Uuid::now_v7(),
                    fingerprint: "a1b2".into(),
                    status: AlertStatus::Firing,
                    name,
                    summary: "5% of checkouts fail".into(),
                },
            )
        };
        let ok = observed("HighErrorRate".into());
        rules::check(&state, &ok, "alertmanager", &Rules::default()).unwrap();
        state.apply(&ok);
        assert!(!state.responders.contains_key("alertmanager"));
        assert_eq!(
            state.board.observations[0].text,
            "alert firing: HighErrorRate — 5% of checkouts fail"
        );
        assert_eq!(state.ignored_events, 0);
        let long = observed("x".repeat(limits::TITLE + 1));
        let refused = rules::check(&state, &long, "alertmanager", &Rules::default());
        assert!(
            refused.is_err_and(|r| r.message.contains("the alert's name")),
            "sizes are the rule book's"
        );
    }

    #[test]
    fn severity_labels_suggest_a_severity() {
        assert_eq!(severity_hint("Critical"), Some(Severity::CRITICAL));
        assert_eq!(severity_hint("warning"), Some(Severity::MINOR));
        assert_eq!(severity_hint("error"), Some(Severity::MAJOR));
        assert_eq!(severity_hint("whatever"), None);
    }
}
