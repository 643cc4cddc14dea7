//! An incident is the fold of its events: `Incident::fold(events)`, or `apply` one by one.
//!
//! The fold is total: an event that makes no sense in the current state (an outcome for an
//! experiment nobody planned, say) is counted and otherwise ignored, never a panic. Commands
//! are checked *before* an event is made, by [`Incident::check`], so a person is told why.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::attention::Attention;
use super::board::{Board, Experiment, Observation, Theory};
use super::event::{
    Audience, ChecklistResult, Event, EventKind, PrivacyAssessment, Role, Severity, Stage, Status,
    TheoryStatus,
};
use super::ids::short_id;
use super::metrics::{ImpactTimes, Mark};
use super::roles::Roster;

/// What an incident list shows; kept up to date by the store on every append.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IncidentSummary {
    pub id: Uuid,
    pub short_id: String,
    pub title: String,
    /// 1 critical, 2 major, 3 minor.
    #[schema(value_type = u8)]
    pub severity: Severity,
    pub status: Status,
    pub stage: Stage,
    #[serde(default)]
    pub drill: bool,
    pub declared_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub commander: Option<String>,
    pub impact_started: Option<DateTime<Utc>>,
    pub detected: Option<DateTime<Utc>>,
    pub impact_ended: Option<DateTime<Utc>>,
    pub last_seq: i64,
    pub event_count: u64,
    /// Only `members` know a restricted incident exists.
    #[serde(default, skip_serializing_if = "is_false")]
    pub restricted: bool,
    /// Who may see a restricted incident: the declarer, whoever the IC granted, and whoever
    /// was given a role. Empty on open incidents.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    #[schema(value_type = Vec<String>)]
    pub members: BTreeSet<String>,
    /// What waits for whom: roles, open requests, updates due, roles just handed over
    /// (`attention.rs`). A store refolds summaries stored before it existed.
    #[serde(default, skip_serializing_if = "Attention::is_empty")]
    pub attention: Box<Attention>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl IncidentSummary {
    pub fn new(id: Uuid) -> Self {
        IncidentSummary {
            id,
            short_id: short_id(&id),
            title: String::new(),
            severity: Severity::MINOR,
            status: Status::Active,
            stage: Stage::Respond,
            drill: false,
            declared_at: None,
            updated_at: None,
            commander: None,
            impact_started: None,
            detected: None,
            impact_ended: None,
            last_seq: 0,
            event_count: 0,
            restricted: false,
            members: BTreeSet::new(),
            attention: Box::default(),
        }
    }

    /// Whether `handle` may know this incident exists.
    pub fn can_see(&self, handle: &str) -> bool {
        !self.restricted || self.members.contains(handle)
    }

    fn admit(&mut self, handle: &str) {
        if self.restricted && !handle.is_empty() {
            self.members.insert(handle.to_string());
        }
    }

    /// The summary's share of the fold.
    pub fn apply(&mut self, ev: &Event) {
        self.event_count += 1;
        if let Some(seq) = ev.seq {
            self.last_seq = self.last_seq.max(seq);
        }
        let stamp = ev.recorded_at.unwrap_or(ev.at);
        self.updated_at = Some(self.updated_at.map_or(stamp, |u| u.max(stamp)));
        match &ev.kind {
            EventKind::IncidentDeclared {
                title,
                severity,
                drill,
                restricted,
                ..
            } => {
                self.title = title.clone();
                self.severity = *severity;
                self.drill = *drill;
                self.restricted = *restricted;
                self.admit(&ev.author);
                self.declared_at = Some(ev.at);
                if self.commander.is_none() {
                    self.commander = Some(ev.author.clone());
                }
            }
            EventKind::AccessGranted { handle } => self.admit(handle),
            EventKind::AccessRevoked { handle } => {
                self.members.remove(handle);
            }
            EventKind::CommandTaken { .. } => self.commander = Some(ev.author.clone()),
            EventKind::SeverityChanged { severity, .. } => self.severity = *severity,
            EventKind::StageChanged { stage } => self.stage = *stage,
            EventKind::Resolved { .. } => {
                self.status = Status::Resolved;
                if self.stage < Stage::Learn {
                    self.stage = Stage::Learn;
                }
            }
            EventKind::Reopened { .. } => {
                self.status = Status::Active;
                self.stage = Stage::Respond;
            }
            EventKind::Closed { .. } => self.status = Status::Closed,
            EventKind::ImpactStarted {} => self.impact_started = Some(ev.at),
            EventKind::Detected {} => self.detected = Some(ev.at),
            EventKind::ImpactEnded {} => self.impact_ended = Some(ev.at),
            EventKind::RoleAssigned {
                role: Role::Ic,
                handle,
            }
            | EventKind::CommandHandedOver { to: handle, .. } => {
                self.admit(handle);
                self.commander = Some(handle.clone())
            }
            EventKind::RoleAssigned { handle, .. } => self.admit(handle),
            _ => {}
        }
        super::attention::fold(self, ev);
    }
}

/// One responder's presence on the incident: the basis of the fatigue clocks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Responder {
    pub handle: String,
    pub joined_at: DateTime<Utc>,
    pub left_at: Option<DateTime<Utc>>,
    /// Start of the current stretch on duty, if on duty now.
    pub on_duty_since: Option<DateTime<Utc>>,
    /// Seconds on duty in stretches that have ended.
    pub duty_secs_done: i64,
    pub awake_since: Option<DateTime<Utc>>,
    pub skills: Vec<String>,
}

impl Responder {
    pub fn is_present(&self) -> bool {
        self.left_at.is_none()
    }

    /// Total time on duty up to `now`.
    pub fn time_on_duty(&self, now: DateTime<Utc>) -> Duration {
        let current = self
            .on_duty_since
            .map(|s| (now - s).max(Duration::zero()))
            .unwrap_or_else(Duration::zero);
        Duration::seconds(self.duty_secs_done) + current
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Pending,
    Approved,
    Denied,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeRequest {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub author: String,
    pub description: String,
    pub decision: Decision,
    pub decided_by: Option<String>,
    pub reason: String,
}

/// A responder's request to take over command, answered by the IC.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandRequest {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub author: String,
    pub reason: String,
    pub decision: Decision,
    pub decided_by: Option<String>,
}

/// The latest text of an amended note, observation or theory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amendment {
    pub text: String,
    pub by: String,
    pub at: DateTime<Utc>,
    /// The amendment event that set this text.
    pub id: Uuid,
    /// How many times the entry was amended.
    pub times: u32,
}

/// An entry whose text the IC removed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redaction {
    pub at: DateTime<Utc>,
    pub by: String,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommsRecord {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub author: String,
    pub audience: Audience,
    pub text: String,
    pub checklist: ChecklistResult,
    pub override_reason: Option<String>,
    pub next_update_due: Option<DateTime<Utc>>,
    /// The language `text` is written in, when the team writes in more than one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<super::lang::Lang>,
    /// The update in the team's other languages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<super::lang::CommsVersion>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionItem {
    pub id: Uuid,
    pub text: String,
    pub owner_role: Role,
    pub due: NaiveDate,
    pub done_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownErrorLink {
    pub known_error: String,
    pub title: String,
    pub at: DateTime<Utc>,
}

/// An alert linked to the incident by an `alert_linked` event, and whether a later
/// `alert_unlinked` detached it again (linking it once more attaches it again).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertLink {
    /// The server's id of the alert.
    pub alert: Uuid,
    pub fingerprint: String,
    pub name: String,
    pub linked_at: DateTime<Utc>,
    pub linked_by: String,
    /// When it was unlinked, by whom and why; `None` while it is linked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unlinked: Option<AlertUnlink>,
}

/// How a linked alert was detached.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertUnlink {
    pub at: DateTime<Utc>,
    pub by: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

impl AlertLink {
    /// Whether the alert is linked now (not unlinked since).
    pub fn is_linked(&self) -> bool {
        self.unlinked.is_none()
    }
}

/// The format of the folded state: what `Incident` holds and what the fold makes of each
/// event. It names the state a snapshot stores (`store/snapshot.rs`) and is part of every
/// digest, so states of different formats never pass for equal. Raise it whenever either
/// changes (the test `the_snapshot_format_names_the_shape_of_the_state` says when).
pub const STATE_FORMAT: i64 = 3;

/// The digest of the log a state was folded from: a chain over its events in the order
/// they were folded, each link the SHA-256 of the state format, the previous link, the
/// event's id and its seq. The store never gives one id two contents nor one seq two
/// events, so equal chains mean the same events folded in the same order, and by the same
/// format of the fold, the same state. Each event adds one hash of a fixed size, whatever
/// the length of the history; reading it hashes nothing. A redaction rewrites an event's
/// text, never its id or seq: the scrubbed log folds to the same digest. Pending events
/// (no seq yet) are linked as such, after the confirmed log they were folded on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct LogDigest([u8; 32]);

impl LogDigest {
    /// Names what the chain hashes, before the state format.
    const TAG: &'static [u8; 16] = b"warroom-log-v1\0\0";

    /// The link after this one for `ev`.
    fn then(&self, ev: &Event) -> LogDigest {
        let mut link = [0u8; 16 + 8 + 32 + 16 + 9];
        let (tag, rest) = link.split_at_mut(16);
        tag.copy_from_slice(Self::TAG);
        let (format, rest) = rest.split_at_mut(8);
        format.copy_from_slice(&STATE_FORMAT.to_be_bytes());
        let (prev, rest) = rest.split_at_mut(32);
        prev.copy_from_slice(&self.0);
        let (id, seq) = rest.split_at_mut(16);
        id.copy_from_slice(ev.id.as_bytes());
        if let Some(n) = ev.seq {
            seq[0] = 1;
            seq[1..].copy_from_slice(&n.to_be_bytes());
        }
        #[cfg(test)]
        tests::HASHED.with(|h| h.set(h.get() + link.len()));
        LogDigest(Sha256::digest(link).into())
    }
}

impl From<LogDigest> for String {
    fn from(d: LogDigest) -> String {
        hex::encode(d.0)
    }
}

impl TryFrom<String> for LogDigest {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(&text, &mut out)
            .map_err(|e| format!("a digest is 64 hex digits: {e}"))?;
        Ok(LogDigest(out))
    }
}

/// The whole folded state of one incident, as every console shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// The digest of the log folded so far ([`Incident::digest`]).
    digest: LogDigest,
    pub summary: IncidentSummary,
    pub description: String,
    pub declared_by: Option<String>,
    pub impact: ImpactTimes,
    pub roster: Roster,
    pub responders: BTreeMap<String, Responder>,
    pub board: Board,
    pub change_requests: Vec<ChangeRequest>,
    pub comms: Vec<CommsRecord>,
    pub action_items: Vec<ActionItem>,
    pub privacy: PrivacyAssessment,
    pub known_errors: Vec<KnownErrorLink>,
    pub notes: u64,
    pub unknown_events: u64,
    /// Events that made no sense in the state they met (kept on the timeline, not folded).
    pub ignored_events: u64,
    pub resolved_at: Option<DateTime<Utc>>,
    /// When the IC last checked on the team.
    pub last_health_check: Option<DateTime<Utc>>,
    /// Privacy-breach steps done (1 to 6), with when.
    pub privacy_steps: BTreeMap<u8, DateTime<Utc>>,
    /// Requests for command, answered or not.
    #[serde(default)]
    pub command_requests: Vec<CommandRequest>,
    /// When the current commander last acted on the incident (or took command).
    #[serde(default)]
    pub commander_active_at: Option<DateTime<Utc>>,
    /// Redacted entries by event id.
    #[serde(default)]
    pub redactions: BTreeMap<Uuid, Redaction>,
    /// Amended entries by event id: their latest text.
    #[serde(default)]
    pub amendments: BTreeMap<Uuid, Amendment>,
    /// Teams paged, in the order they were paged, with what became of each page.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pages: Vec<super::page::Page>,
    /// Every alert ever linked, in the order each was first linked; those unlinked since
    /// say so ([`Incident::linked_alerts`] has those still linked).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alert_links: Vec<AlertLink>,
}

impl Incident {
    pub fn new(id: Uuid) -> Self {
        Incident {
            digest: LogDigest::default(),
            summary: IncidentSummary::new(id),
            description: String::new(),
            declared_by: None,
            impact: ImpactTimes::default(),
            roster: Roster::default(),
            responders: BTreeMap::new(),
            board: Board::default(),
            change_requests: Vec::new(),
            comms: Vec::new(),
            action_items: Vec::new(),
            privacy: PrivacyAssessment::NotAssessed,
            known_errors: Vec::new(),
            notes: 0,
            unknown_events: 0,
            ignored_events: 0,
            resolved_at: None,
            last_health_check: None,
            privacy_steps: BTreeMap::new(),
            command_requests: Vec::new(),
            commander_active_at: None,
            redactions: BTreeMap::new(),
            amendments: BTreeMap::new(),
            pages: Vec::new(),
            alert_links: Vec::new(),
        }
    }

    pub fn fold<'a>(id: Uuid, events: impl IntoIterator<Item = &'a Event>) -> Self {
        let mut state = Incident::new(id);
        for ev in events {
            state.apply(ev);
        }
        state
    }

    pub fn id(&self) -> Uuid {
        self.summary.id
    }

    pub fn commander(&self) -> Option<&str> {
        self.roster.commander.as_deref()
    }

    fn join(&mut self, handle: &str, at: DateTime<Utc>) -> &mut Responder {
        let r = self
            .responders
            .entry(handle.to_string())
            .or_insert_with(|| Responder {
                handle: handle.to_string(),
                joined_at: at,
                left_at: None,
                on_duty_since: None,
                duty_secs_done: 0,
                awake_since: None,
                skills: Vec::new(),
            });
        if r.left_at.take().is_some() || r.on_duty_since.is_none() {
            r.on_duty_since = Some(at);
        }
        r
    }

    fn end_duty(&mut self, handle: &str, at: DateTime<Utc>) {
        if let Some(r) = self.responders.get_mut(handle)
            && let Some(since) = r.on_duty_since.take()
        {
            r.duty_secs_done += (at - since).num_seconds().max(0);
        }
    }

    /// Folds one event in. Never fails: nonsense is counted in `ignored_events`.
    pub fn apply(&mut self, ev: &Event) {
        self.digest = self.digest.then(ev);
        self.summary.apply(ev);
        let at = ev.at;
        // Whoever records something on an incident is on its response from then on (a
        // responder who left and writes again is not rejoined by it: that takes a join).
        // On a drill, that is the scripted person the act is shown as.
        let shown = ev.shown_author();
        // An alert's observation is the monitoring's, and a page's delivery its sender's,
        // not a person's: they join nobody.
        if !shown.is_empty()
            && self.summary.declared_at.is_some()
            && !self.responders.contains_key(shown)
            && !matches!(
                ev.kind,
                EventKind::AlertObserved { .. } | EventKind::PageDelivery { .. }
            )
        {
            self.join(shown, at);
        }
        // When the commander was last heard from: when the store received their event (a
        // client chooses `at`, and back-dates facts), or for a pending one its own time.
        let heard = ev.recorded_at.unwrap_or(at);
        if !ev.author.is_empty() && self.roster.commander.as_deref() == Some(ev.author.as_str()) {
            self.commander_active_at =
                Some(self.commander_active_at.map_or(heard, |t| t.max(heard)));
        }
        let commander_before = self.roster.commander.clone();
        let ok = match &ev.kind {
            EventKind::IncidentDeclared { summary, .. } => {
                self.description = summary.clone();
                self.declared_by = Some(ev.author.clone());
                if self.roster.commander.is_none() {
                    self.roster.take_command(&ev.author, at, None);
                }
                self.join(&ev.author, at);
                true
            }
            EventKind::SeverityChanged { .. } | EventKind::StageChanged { .. } => true,
            EventKind::Resolved { .. } => {
                self.resolved_at = Some(at);
                true
            }
            EventKind::Reopened { .. } => {
                self.resolved_at = None;
                true
            }
            EventKind::Closed { .. } => true,
            EventKind::ImpactStarted {} => {
                self.impact.set(Mark::Started, at);
                true
            }
            EventKind::Detected {} => {
                self.impact.set(Mark::Detected, at);
                true
            }
            EventKind::ImpactEnded {} => {
                self.impact.set(Mark::Ended, at);
                true
            }
            EventKind::ResponderJoined { handle, skills } => {
                let r = self.join(handle, at);
                if !skills.is_empty() {
                    r.skills = skills.clone();
                }
                true
            }
            EventKind::ResponderLeft { handle } => {
                self.end_duty(handle, at);
                self.roster.release_all_of(handle, at);
                match self.responders.get_mut(handle) {
                    Some(r) => {
                        r.left_at = Some(at);
                        true
                    }
                    None => false,
                }
            }
            EventKind::DutyStarted { handle } => {
                let r = self.join(handle, at);
                if r.on_duty_since.is_none() {
                    r.on_duty_since = Some(at);
                }
                true
            }
            EventKind::DutyEnded { handle } => {
                let known = self.responders.contains_key(handle);
                self.end_duty(handle, at);
                known
            }
            EventKind::AwakeSince { handle, since } => {
                self.join(handle, at).awake_since = Some(*since);
                true
            }
            EventKind::RoleAssigned { role, handle } => {
                self.join(handle, at);
                self.roster.assign(*role, handle, at);
                true
            }
            EventKind::RoleReleased { role } => {
                self.roster.release(*role, at);
                *role != Role::Ic
            }
            EventKind::CommandHandedOver { to, brief } => {
                self.join(to, at);
                self.roster.take_command(to, at, Some(brief.clone()));
                true
            }
            EventKind::Note { .. } => {
                self.notes += 1;
                true
            }
            EventKind::Observation { text, from_event } => {
                self.board.observations.push(Observation {
                    id: ev.id,
                    at,
                    author: shown.to_string(),
                    text: text.clone(),
                    from_event: *from_event,
                });
                true
            }
            EventKind::Theory { text } => {
                self.board.theories.push(Theory {
                    id: ev.id,
                    at,
                    author: shown.to_string(),
                    text: text.clone(),
                    status: TheoryStatus::Open,
                    reason: String::new(),
                });
                true
            }
            EventKind::TheoryStatusChanged {
                theory,
                status,
                reason,
            } => {
                let known = self.board.theory(*theory).is_some();
                self.board.set_theory_status(*theory, *status, reason);
                known
            }
            EventKind::Experiment { plan, tests } => {
                self.board.experiments.push(Experiment {
                    id: ev.id,
                    at,
                    author: shown.to_string(),
                    plan: plan.clone(),
                    tests: tests.clone(),
                    verdicts: Vec::new(),
                    outcome: None,
                    outcome_before_verdicts: None,
                    notes: String::new(),
                    concluded_at: None,
                });
                true
            }
            EventKind::ExperimentOutcome {
                experiment,
                outcome,
                verdicts,
                notes,
            } => {
                let known = self.board.experiment(*experiment).is_some();
                self.board
                    .conclude(*experiment, *outcome, verdicts, notes, at);
                known
            }
            EventKind::ChangeRequested { description } => {
                self.change_requests.push(ChangeRequest {
                    id: ev.id,
                    at,
                    author: shown.to_string(),
                    description: description.clone(),
                    decision: Decision::Pending,
                    decided_by: None,
                    reason: String::new(),
                });
                true
            }
            EventKind::ChangeDecided {
                request,
                approved,
                reason,
            } => match self.change_requests.iter_mut().find(|c| c.id == *request) {
                Some(c) => {
                    c.decision = if *approved {
                        Decision::Approved
                    } else {
                        Decision::Denied
                    };
                    c.decided_by = Some(shown.to_string());
                    c.reason = reason.clone();
                    true
                }
                None => false,
            },
            EventKind::CommsSent {
                audience,
                text,
                checklist,
                override_reason,
                next_update_due,
                lang,
                versions,
            } => {
                self.comms.push(CommsRecord {
                    id: ev.id,
                    at,
                    author: shown.to_string(),
                    audience: *audience,
                    text: text.clone(),
                    checklist: checklist.clone(),
                    override_reason: override_reason.clone(),
                    next_update_due: *next_update_due,
                    lang: *lang,
                    versions: versions.clone(),
                });
                true
            }
            EventKind::ActionItemAdded {
                text,
                owner_role,
                due,
            } => {
                self.action_items.push(ActionItem {
                    id: ev.id,
                    text: text.clone(),
                    owner_role: *owner_role,
                    due: *due,
                    done_at: None,
                });
                true
            }
            EventKind::ActionItemDone { item } => {
                match self.action_items.iter_mut().find(|a| a.id == *item) {
                    Some(a) => {
                        a.done_at = Some(at);
                        true
                    }
                    None => false,
                }
            }
            EventKind::PrivacyAssessed { assessment, .. } => {
                self.privacy = *assessment;
                true
            }
            EventKind::KnownErrorLinked { known_error, title } => {
                self.known_errors.push(KnownErrorLink {
                    known_error: known_error.clone(),
                    title: title.clone(),
                    at,
                });
                true
            }
            EventKind::HealthCheck { .. } => {
                self.last_health_check = Some(at);
                true
            }
            EventKind::PrivacyStepDone { step, .. } => {
                if (1..=6).contains(step) {
                    self.privacy_steps.entry(*step).or_insert(at);
                    true
                } else {
                    false
                }
            }
            // Known-error entries live on the known-error stream, not on incidents.
            EventKind::KnownErrorRecorded { .. } => true,
            EventKind::CommandRequested { reason } => {
                self.command_requests.push(CommandRequest {
                    id: ev.id,
                    at,
                    author: ev.author.clone(),
                    reason: reason.clone(),
                    decision: Decision::Pending,
                    decided_by: None,
                });
                true
            }
            EventKind::CommandRequestDecided {
                request, accepted, ..
            } => match self.command_requests.iter_mut().find(|r| r.id == *request) {
                Some(r) => {
                    r.decision = if *accepted {
                        Decision::Approved
                    } else {
                        Decision::Denied
                    };
                    r.decided_by = Some(ev.author.clone());
                    true
                }
                None => false,
            },
            EventKind::CommandTaken { reason } => {
                self.roster.take_command(&ev.author, at, None);
                self.roster.handovers.push(super::roles::Handover {
                    at,
                    from: commander_before.clone(),
                    to: ev.author.clone(),
                    brief: Default::default(),
                    taken_because: Some(reason.clone()),
                });
                true
            }
            EventKind::AccessGranted { .. } | EventKind::AccessRevoked { .. } => true,
            EventKind::EventRedacted { event, reason } => {
                self.redactions.insert(
                    *event,
                    Redaction {
                        at,
                        by: shown.to_string(),
                        reason: reason.clone(),
                    },
                );
                true
            }
            EventKind::Amended { event, text } => {
                let times = self.amendments.get(event).map_or(0, |a| a.times) + 1;
                self.board.amend(*event, text);
                self.amendments.insert(
                    *event,
                    Amendment {
                        text: text.clone(),
                        by: shown.to_string(),
                        at,
                        id: ev.id,
                        times,
                    },
                );
                true
            }
            EventKind::AlertLinked {
                alert,
                fingerprint,
                name,
                ..
            } => {
                let link = AlertLink {
                    alert: *alert,
                    fingerprint: fingerprint.clone(),
                    name: name.clone(),
                    linked_at: at,
                    linked_by: shown.to_string(),
                    unlinked: None,
                };
                match self.alert_links.iter_mut().find(|l| l.alert == *alert) {
                    Some(l) => *l = link,
                    None => self.alert_links.push(link),
                }
                true
            }
            EventKind::AlertUnlinked { alert, reason } => {
                match self
                    .alert_links
                    .iter_mut()
                    .find(|l| l.alert == *alert && l.is_linked())
                {
                    Some(l) => {
                        l.unlinked = Some(AlertUnlink {
                            at,
                            by: shown.to_string(),
                            reason: reason.clone(),
                        });
                        true
                    }
                    None => false,
                }
            }
            EventKind::AlertObserved {
                status,
                name,
                summary,
                ..
            } => {
                self.board.observations.push(Observation {
                    id: ev.id,
                    at,
                    author: shown.to_string(),
                    text: super::describe::alert_observed(*status, name, summary),
                    from_event: None,
                });
                true
            }
            EventKind::PageRequested {
                team,
                provider,
                message,
            } => {
                super::page::requested(&mut self.pages, ev, team, *provider, message);
                true
            }
            EventKind::PageDelivery {
                page,
                provider,
                status,
                request_id,
                error,
                attempts,
                ..
            } => super::page::delivered(
                &mut self.pages,
                ev,
                super::page::Delivery {
                    page: *page,
                    provider: *provider,
                    status: *status,
                    request_id,
                    error,
                    attempts: *attempts,
                },
            ),
            EventKind::Unknown { .. } => {
                self.unknown_events += 1;
                true
            }
        };
        if !ok {
            self.ignored_events += 1;
        }
        // A new commander starts their clock; a request for command they made is settled.
        if self.roster.commander != commander_before
            && let Some(now_ic) = self.roster.commander.clone()
        {
            self.commander_active_at = Some(heard);
            for r in &mut self.command_requests {
                if r.author == now_ic && r.decision == Decision::Pending {
                    r.decision = Decision::Approved;
                }
            }
        }
    }

    /// The text of `ev` as it reads now: an amended entry's latest text.
    pub fn current_text<'a>(&'a self, ev: &'a Event) -> Option<&'a str> {
        match self.amendments.get(&ev.id) {
            Some(a) => Some(&a.text),
            None => ev.kind.text(),
        }
    }

    /// The alerts linked to the incident now, in the order they were first linked.
    pub fn linked_alerts(&self) -> impl Iterator<Item = &AlertLink> {
        self.alert_links.iter().filter(|l| l.is_linked())
    }

    /// Whether the alert with this id is linked to the incident now.
    pub fn links_alert(&self, alert: Uuid) -> bool {
        self.linked_alerts().any(|l| l.alert == alert)
    }

    /// Requests for command the IC has not answered.
    pub fn pending_command_requests(&self) -> impl Iterator<Item = &CommandRequest> {
        self.command_requests
            .iter()
            .filter(|r| r.decision == Decision::Pending)
    }

    /// The digest of the state: equal on every machine that folded the same log in the
    /// same order with the same format of the fold ([`LogDigest`]), so equal digests mean
    /// equal states. Kept up to date by [`Incident::apply`]; reading it costs the same at
    /// any length of history.
    pub fn digest(&self) -> String {
        hex::encode(self.digest.0)
    }

    pub fn ttd(&self) -> Option<Duration> {
        self.impact.ttd()
    }

    pub fn ttr(&self) -> Option<Duration> {
        self.impact.ttr()
    }

    /// When the next update to `audience` was promised: by the newest update sent to that
    /// audience. Internal and external promises run separately; once the incident is no
    /// longer active nothing is owed.
    pub fn next_update_due_for(&self, audience: Audience) -> Option<DateTime<Utc>> {
        if self.summary.status != Status::Active {
            return None;
        }
        self.comms
            .iter()
            .rev()
            .find(|c| c.audience == audience)
            .and_then(|c| c.next_update_due)
    }

    /// Every update still owed, soonest first, with its audience.
    pub fn next_updates(&self) -> Vec<(Audience, DateTime<Utc>)> {
        let mut owed: Vec<(Audience, DateTime<Utc>)> = [Audience::Internal, Audience::External]
            .into_iter()
            .filter_map(|a| self.next_update_due_for(a).map(|d| (a, d)))
            .collect();
        owed.sort_by_key(|(_, d)| *d);
        owed
    }

    /// The soonest update still owed, to either audience.
    pub fn next_update_due(&self) -> Option<DateTime<Utc>> {
        self.next_updates().first().map(|(_, d)| *d)
    }

    pub fn pending_change_requests(&self) -> impl Iterator<Item = &ChangeRequest> {
        self.change_requests
            .iter()
            .filter(|c| c.decision == Decision::Pending)
    }

    /// Action items not yet done.
    pub fn open_action_items(&self) -> usize {
        self.action_items
            .iter()
            .filter(|a| a.done_at.is_none())
            .count()
    }

    /// The keys of the known errors linked to this incident, each once.
    pub fn known_error_keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = Vec::new();
        for k in &self.known_errors {
            if !keys.contains(&k.known_error.as_str()) {
                keys.push(&k.known_error);
            }
        }
        keys
    }

    pub fn present_responders(&self) -> impl Iterator<Item = &Responder> {
        self.responders.values().filter(|r| r.is_present())
    }
}

#[cfg(test)]
#[path = "incident_tests.rs"]
mod tests;
