//! An incident's state as the API answers it: bounded whatever the length of its history.
//!
//! [`Incident`] keeps every board item, change request, update, handover, redaction and
//! amendment the log ever made, so it grows with the incident. [`IncidentDocument`] keeps
//! everything else whole and, of each of those lists, how many there are and the latest
//! [`LATEST`]; the events endpoint pages through the rest. Its size is bounded by the
//! size limits of the rule book, whatever the number of events.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::board::{Experiment, Observation, Theory};
use super::event::{PrivacyAssessment, Role};
use super::incident::{
    ActionItem, ChangeRequest, CommandRequest, CommsRecord, Incident, IncidentSummary,
    KnownErrorLink, Responder,
};
use super::metrics::ImpactTimes;
use super::roles::Handover;

/// How many of the latest items of each list a document holds.
pub const LATEST: usize = 20;

/// How many responders a document holds: those on the response now first, then those
/// who left, the latest to join first within each.
pub const RESPONDERS: usize = 100;

/// How many items a list of the state has, and the latest of them (oldest first).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Latest<T> {
    pub total: usize,
    pub latest: Vec<T>,
}

impl<T: Clone> Latest<T> {
    /// The last `k` of `items`, which are in the order they were recorded.
    fn of(items: &[T], k: usize) -> Self {
        Latest {
            total: items.len(),
            latest: items[items.len().saturating_sub(k)..].to_vec(),
        }
    }
}

/// The schema of every [`Latest`] list in the OpenAPI document.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct LatestItems {
    /// How many there are in all.
    pub total: u64,
    /// The latest of them, at most 20 (100 for responders), oldest first; the events
    /// endpoint has every one.
    #[schema(value_type = Vec<Object>)]
    pub latest: Vec<()>,
}

/// Who holds which role, and the latest changes of command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterDocument {
    pub commander: Option<String>,
    pub delegated: BTreeMap<Role, String>,
    pub since: BTreeMap<Role, DateTime<Utc>>,
    pub handovers: Latest<Handover>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardDocument {
    pub observations: Latest<Observation>,
    pub theories: Latest<Theory>,
    pub experiments: Latest<Experiment>,
}

/// A redacted entry: which event, when, by whom and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedactedEntry {
    pub event: Uuid,
    pub at: DateTime<Utc>,
    pub by: String,
    pub reason: String,
}

/// An amended entry and its latest text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AmendedEntry {
    pub event: Uuid,
    pub text: String,
    pub by: String,
    pub at: DateTime<Utc>,
    /// The amendment event that set this text.
    pub id: Uuid,
    pub times: u32,
}

/// The folded state of an incident, bounded: see the module's documentation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IncidentDocument {
    pub summary: IncidentSummary,
    pub description: String,
    pub declared_by: Option<String>,
    /// Start of impact, detection, end of impact, and how often they were corrected.
    #[schema(value_type = Object)]
    pub impact: ImpactTimes,
    /// `commander`, `delegated` and `since` (by role), and `handovers` (total, latest).
    #[schema(value_type = Object)]
    pub roster: RosterDocument,
    /// At most 100: those on the response now first.
    #[schema(value_type = LatestItems)]
    pub responders: Latest<Responder>,
    /// `observations`, `theories` and `experiments`, each as total and latest.
    #[schema(value_type = Object)]
    pub board: BoardDocument,
    #[schema(value_type = LatestItems)]
    pub change_requests: Latest<ChangeRequest>,
    #[schema(value_type = LatestItems)]
    pub command_requests: Latest<CommandRequest>,
    /// Status updates sent.
    #[schema(value_type = LatestItems)]
    pub comms: Latest<CommsRecord>,
    #[schema(value_type = LatestItems)]
    pub action_items: Latest<ActionItem>,
    /// Action items not done yet, of all of them.
    pub open_action_items: u64,
    #[schema(value_type = String)]
    pub privacy: PrivacyAssessment,
    /// Privacy-breach steps done (1 to 6), with when.
    #[schema(value_type = Object)]
    pub privacy_steps: BTreeMap<u8, DateTime<Utc>>,
    #[schema(value_type = LatestItems)]
    pub known_errors: Latest<KnownErrorLink>,
    /// Redacted entries, the latest redacted last.
    #[schema(value_type = LatestItems)]
    pub redactions: Latest<RedactedEntry>,
    /// Amended entries with their latest text, the latest amended last.
    #[schema(value_type = LatestItems)]
    pub amendments: Latest<AmendedEntry>,
    pub notes: u64,
    pub unknown_events: u64,
    /// Events that made no sense in the state they met (kept on the timeline, not folded).
    pub ignored_events: u64,
    pub resolved_at: Option<DateTime<Utc>>,
    pub last_health_check: Option<DateTime<Utc>>,
    pub commander_active_at: Option<DateTime<Utc>>,
}

/// The last `k` of `items` once sorted by `key` (ties by their place in `items`), oldest
/// first, without sorting them all.
fn latest_by<T: Clone, K: Ord>(items: &[T], k: usize, key: impl Fn(&T) -> K) -> Vec<T> {
    let mut picked: Vec<(K, usize)> = Vec::with_capacity(k + 1);
    for (i, item) in items.iter().enumerate() {
        let entry = (key(item), i);
        let at = picked.partition_point(|p| *p < entry);
        if picked.len() < k {
            picked.insert(at, entry);
        } else if at > 0 {
            picked.insert(at, entry);
            picked.remove(0);
        }
    }
    picked.into_iter().map(|(_, i)| items[i].clone()).collect()
}

impl Incident {
    /// The bounded document of this state: every list as its total and its latest `k`.
    pub fn document(&self, k: usize) -> IncidentDocument {
        let responders: Vec<Responder> = self.responders.values().cloned().collect();
        // Present ones after those who left, so the latest kept are the present ones.
        let responders = latest_by(&responders, RESPONDERS.max(k), |r| {
            (r.is_present(), r.joined_at)
        });
        let redactions: Vec<RedactedEntry> = self
            .redactions
            .iter()
            .map(|(event, r)| RedactedEntry {
                event: *event,
                at: r.at,
                by: r.by.clone(),
                reason: r.reason.clone(),
            })
            .collect();
        let amendments: Vec<AmendedEntry> = self
            .amendments
            .iter()
            .map(|(event, a)| AmendedEntry {
                event: *event,
                text: a.text.clone(),
                by: a.by.clone(),
                at: a.at,
                id: a.id,
                times: a.times,
            })
            .collect();
        IncidentDocument {
            summary: self.summary.clone(),
            description: self.description.clone(),
            declared_by: self.declared_by.clone(),
            impact: self.impact,
            roster: RosterDocument {
                commander: self.roster.commander.clone(),
                delegated: self.roster.delegated.clone(),
                since: self.roster.since.clone(),
                handovers: Latest::of(&self.roster.handovers, k),
            },
            responders: Latest {
                total: self.responders.len(),
                latest: responders,
            },
            board: BoardDocument {
                observations: Latest::of(&self.board.observations, k),
                theories: Latest::of(&self.board.theories, k),
                experiments: Latest::of(&self.board.experiments, k),
            },
            change_requests: Latest::of(&self.change_requests, k),
            command_requests: Latest::of(&self.command_requests, k),
            comms: Latest::of(&self.comms, k),
            action_items: Latest::of(&self.action_items, k),
            open_action_items: self.open_action_items() as u64,
            privacy: self.privacy,
            privacy_steps: self.privacy_steps.clone(),
            known_errors: Latest::of(&self.known_errors, k),
            redactions: Latest {
                total: redactions.len(),
                latest: latest_by(&redactions, k, |r| r.at),
            },
            amendments: Latest {
                total: amendments.len(),
                latest: latest_by(&amendments, k, |a| a.at),
            },
            notes: self.notes,
            unknown_events: self.unknown_events,
            ignored_events: self.ignored_events,
            resolved_at: self.resolved_at,
            last_health_check: self.last_health_check,
            commander_active_at: self.commander_active_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::domain::event::{
        Audience, ChecklistResult, Event, EventKind, HandoverBrief, Severity,
    };

    /// A long incident's log: every list of the state grows with it, and people keep
    /// joining (a new handle every tenth event).
    fn long_log(incident: Uuid, n: usize) -> Vec<Event> {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 26, 21, 0, 0).unwrap();
        let mut out = Vec::with_capacity(n);
        let push = |out: &mut Vec<Event>, author: &str, kind: EventKind| {
            let seq = out.len() as i64 + 1;
            let at = t0 + chrono::Duration::seconds(seq);
            out.push(Event {
                id: Uuid::from_u128(incident.as_u128() + seq as u128),
                incident,
                seq: Some(seq),
                at,
                recorded_at: Some(at),
                author: author.into(),
                persona: None,
                kind,
            });
        };
        push(
            &mut out,
            "ana",
            EventKind::IncidentDeclared {
                title: "Checkout errors".into(),
                severity: Severity::MAJOR,
                summary: "5xx on checkout".into(),
                drill: false,
                restricted: false,
            },
        );
        while out.len() < n {
            let i = out.len();
            // Same-length texts, so sizes compare.
            let text = format!("entry {i:06}");
            let kind = match i % 10 {
                0 => EventKind::ResponderJoined {
                    handle: format!("r{i:06}"),
                    skills: vec![],
                },
                1 => EventKind::Observation {
                    text,
                    from_event: None,
                },
                2 => EventKind::Theory { text },
                3 => EventKind::ChangeRequested { description: text },
                4 => EventKind::CommsSent {
                    audience: Audience::Internal,
                    text,
                    checklist: ChecklistResult::default(),
                    override_reason: None,
                    next_update_due: None,
                    lang: None,
                    versions: Vec::new(),
                },
                5 => EventKind::CommandHandedOver {
                    to: if i % 20 == 5 { "bo" } else { "ana" }.into(),
                    brief: HandoverBrief::default(),
                },
                6 => EventKind::Amended {
                    event: out[i - 5].id,
                    text,
                },
                7 => EventKind::EventRedacted {
                    event: out[i - 1].id,
                    reason: text,
                },
                _ => EventKind::Note { text },
            };
            push(&mut out, "ana", kind);
        }
        out
    }

    #[test]
    fn the_document_stays_bounded_while_the_state_grows() {
        let incident = Uuid::from_u128(1 << 100);
        let log = long_log(incident, 12_000);
        let size_at = |n: usize| {
            let state = Incident::fold(incident, &log[..n]);
            let doc = serde_json::to_vec(&state.document(LATEST)).unwrap();
            (serde_json::to_vec(&state).unwrap().len(), doc.len(), state)
        };
        // Every list is full (and 100 responders joined) by 2,000 events.
        let (state_2k, doc_2k, _) = size_at(2_000);
        let (state_12k, doc_12k, state) = size_at(12_000);
        assert!(
            state_12k > state_2k * 5,
            "the state grows with the log: {state_2k} -> {state_12k} bytes"
        );
        // Only the totals' digits may grow.
        assert!(
            doc_12k <= doc_2k + 64,
            "10,000 more events grew the document from {doc_2k} to {doc_12k} bytes"
        );
        let doc = state.document(LATEST);
        assert_eq!(doc.board.observations.total, 1_200);
        assert_eq!(doc.board.observations.latest.len(), LATEST);
        assert_eq!(
            doc.board.observations.latest.last(),
            state.board.observations.last(),
            "the newest is kept"
        );
        assert_eq!(doc.responders.total, 1_201);
        assert_eq!(doc.responders.latest.len(), RESPONDERS);
        assert_eq!(doc.redactions.total, state.redactions.len());
        assert_eq!(doc.amendments.latest.len(), LATEST);
        assert_eq!(doc.roster.handovers.total, state.roster.handovers.len());
        assert_eq!(doc.notes, state.notes);
    }

    #[test]
    fn latest_by_keeps_the_last_k_in_key_order_ties_in_list_order() {
        let items = [5, 1, 9, 3, 9, 7, 2];
        assert_eq!(latest_by(&items, 3, |x| *x), vec![7, 9, 9]);
        assert_eq!(latest_by(&items, 0, |x| *x), Vec::<i32>::new());
        assert_eq!(latest_by(&items, 10, |x| *x), vec![1, 2, 3, 5, 7, 9, 9]);
        // Ties keep the list's order: the second of two equal keys is the later one.
        let pairs = [(1, 'a'), (2, 'b'), (1, 'c'), (2, 'd')];
        assert_eq!(
            latest_by(&pairs, 2, |p| p.0),
            vec![(2, 'b'), (2, 'd')],
            "both 2s, in list order"
        );
        assert_eq!(
            latest_by(&pairs, 3, |p| p.0),
            vec![(1, 'c'), (2, 'b'), (2, 'd')]
        );
    }

    #[test]
    fn a_list_keeps_its_total_and_its_latest_items_oldest_first() {
        let l = Latest::of(&[1, 2, 3, 4, 5], 2);
        assert_eq!((l.total, l.latest), (5, vec![4, 5]));
        let short = Latest::of(&[1], 2);
        assert_eq!((short.total, short.latest), (1, vec![1]));
    }
}
