//! The event envelope and every kind of fact warroom records.
//!
//! An event is immutable. The envelope (id, incident, seq, at, recorded_at, author) is the
//! same for every kind; the kind's own fields sit beside it in the same JSON object, named
//! by `"type"`. Kinds this version does not know are kept as [`EventKind::Unknown`] so an
//! older console keeps working against a newer server.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use uuid::Uuid;

/// Severity 1 (critical) to 3 (minor), as in the severity table in `assets/severity.toml`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Severity(u8);

impl Severity {
    pub const CRITICAL: Severity = Severity(1);
    pub const MAJOR: Severity = Severity(2);
    pub const MINOR: Severity = Severity(3);

    pub fn new(level: i64) -> Result<Severity, String> {
        if (1..=3).contains(&level) {
            Ok(Severity(level as u8))
        } else {
            Err(format!(
                "severity must be 1 (critical), 2 (major) or 3 (minor), not {level}"
            ))
        }
    }

    pub fn level(self) -> u8 {
        self.0
    }

    /// Severity 1 and 2 are "major": they always get a postmortem.
    pub fn is_major(self) -> bool {
        self.0 <= 2
    }

    pub fn label(self) -> &'static str {
        match self.0 {
            1 => "SEV1",
            2 => "SEV2",
            _ => "SEV3",
        }
    }

    pub fn name(self) -> &'static str {
        match self.0 {
            1 => "critical",
            2 => "major",
            _ => "minor",
        }
    }
}

impl<'de> Deserialize<'de> for Severity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let level = i64::deserialize(d)?;
        Severity::new(level).map_err(D::Error::custom)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The five incident roles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Incident Commander.
    Ic,
    /// Communications Lead.
    Cl,
    /// Policy Lead.
    Pl,
    /// Operations Lead.
    Ol,
    /// Postmortem Owner.
    Po,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::Ic, Role::Cl, Role::Pl, Role::Ol, Role::Po];

    pub fn code(self) -> &'static str {
        match self {
            Role::Ic => "IC",
            Role::Cl => "CL",
            Role::Pl => "PL",
            Role::Ol => "OL",
            Role::Po => "PO",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Role::Ic => "Incident Commander",
            Role::Cl => "Communications Lead",
            Role::Pl => "Policy Lead",
            Role::Ol => "Operations Lead",
            Role::Po => "Postmortem Owner",
        }
    }

    /// Accepts `ic`, `IC`, `commander`, `incident-commander`, `postmortem_owner`, ...
    pub fn parse(s: &str) -> Option<Role> {
        let k: String = s
            .trim()
            .to_ascii_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        match k.as_str() {
            "ic" | "commander" | "incidentcommander" => Some(Role::Ic),
            "cl" | "comms" | "communications" | "communicationslead" | "commslead" => {
                Some(Role::Cl)
            }
            "pl" | "policy" | "policylead" => Some(Role::Pl),
            "ol" | "ops" | "operations" | "operationslead" | "opslead" => Some(Role::Ol),
            "po" | "postmortem" | "postmortemowner" | "pmowner" => Some(Role::Po),
            _ => None,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The stages of an incident's life. Recovery ends when business impact has ended: the status then
/// becomes resolved, and the team moves on to Learn and Improve.
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
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Detect,
    Respond,
    Recover,
    Learn,
    Improve,
}

impl Stage {
    pub const ALL: [Stage; 5] = [
        Stage::Detect,
        Stage::Respond,
        Stage::Recover,
        Stage::Learn,
        Stage::Improve,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Stage::Detect => "Detect",
            Stage::Respond => "Respond & Assess",
            Stage::Recover => "Recover",
            Stage::Learn => "Learn",
            Stage::Improve => "Improve",
        }
    }

    pub fn parse(s: &str) -> Option<Stage> {
        let k: String = s
            .trim()
            .to_ascii_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphabetic())
            .collect();
        match k.as_str() {
            "detect" => Some(Stage::Detect),
            "respond" | "respondassess" | "respondandassess" | "assess" => Some(Stage::Respond),
            "recover" => Some(Stage::Recover),
            "learn" => Some(Stage::Learn),
            "improve" => Some(Stage::Improve),
            _ => None,
        }
    }
}

/// Whether the emergency is still on.
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
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Business impact is ongoing or imminent.
    Active,
    /// Business impact has ended; clean-up and postmortem follow.
    Resolved,
    /// Nothing left to do on this incident.
    Closed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TheoryStatus {
    Open,
    Supported,
    Refuted,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Supports,
    Refutes,
    Inconclusive,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Supports => "supports",
            Outcome::Refutes => "refutes",
            Outcome::Inconclusive => "inconclusive",
        }
    }

    /// `supports`, `refutes` or `inconclusive`, or their first letters.
    pub fn parse(s: &str) -> Option<Outcome> {
        match s.trim().to_ascii_lowercase().as_str() {
            "supports" | "support" | "supported" | "s" => Some(Outcome::Supports),
            "refutes" | "refute" | "refuted" | "r" => Some(Outcome::Refutes),
            "inconclusive" | "i" => Some(Outcome::Inconclusive),
            _ => None,
        }
    }
}

/// What an experiment showed about one of the theories it tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Verdict {
    pub theory: Uuid,
    pub outcome: Outcome,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    Internal,
    External,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrivacyAssessment {
    #[default]
    NotAssessed,
    NoPersonalInformation,
    PossibleBreach,
}

impl PrivacyAssessment {
    /// How the assessment reads, with the breach steps done so far.
    pub fn describe(self, steps_done: usize) -> String {
        match self {
            PrivacyAssessment::NotAssessed => "not yet assessed".into(),
            PrivacyAssessment::NoPersonalInformation => "no personal information involved".into(),
            PrivacyAssessment::PossibleBreach => {
                format!("POSSIBLE BREACH, {steps_done} of 6 breach steps done")
            }
        }
    }
}

/// What the outgoing commander leaves the incoming one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoverBrief {
    #[serde(default)]
    pub current_state: String,
    #[serde(default)]
    pub next_steps: Vec<String>,
    #[serde(default)]
    pub people: Vec<String>,
}

/// The checklist verdict recorded with a sent status update.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistResult {
    #[serde(default)]
    pub passed: Vec<String>,
    #[serde(default)]
    pub failed: Vec<String>,
}

/// Every kind of fact. Times of the fact itself are the envelope's `at`
/// (e.g. `impact_started` at 21:40 back-dated); a later event of the same kind corrects it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    IncidentDeclared {
        title: String,
        severity: Severity,
        #[serde(default)]
        summary: String,
        #[serde(default, skip_serializing_if = "is_false")]
        drill: bool,
        /// Only its members (the declarer and whoever the IC grants) know it exists.
        #[serde(default, skip_serializing_if = "is_false")]
        restricted: bool,
    },
    SeverityChanged {
        severity: Severity,
        #[serde(default)]
        reason: String,
    },
    StageChanged {
        stage: Stage,
    },
    Resolved {
        #[serde(default)]
        summary: String,
    },
    Reopened {
        #[serde(default)]
        reason: String,
    },
    Closed {
        #[serde(default)]
        reason: String,
    },
    ImpactStarted {},
    Detected {},
    ImpactEnded {},
    ResponderJoined {
        handle: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        skills: Vec<String>,
    },
    ResponderLeft {
        handle: String,
    },
    DutyStarted {
        handle: String,
    },
    DutyEnded {
        handle: String,
    },
    AwakeSince {
        handle: String,
        since: DateTime<Utc>,
    },
    RoleAssigned {
        role: Role,
        handle: String,
    },
    RoleReleased {
        role: Role,
    },
    CommandHandedOver {
        to: String,
        #[serde(default)]
        brief: HandoverBrief,
    },
    Note {
        text: String,
    },
    Observation {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from_event: Option<Uuid>,
    },
    Theory {
        text: String,
    },
    TheoryStatusChanged {
        theory: Uuid,
        status: TheoryStatus,
        #[serde(default)]
        reason: String,
    },
    Experiment {
        plan: String,
        #[serde(default)]
        tests: Vec<Uuid>,
    },
    /// What an experiment showed: a verdict per theory it tests. An experiment that tests
    /// one theory (or none) may carry a single `outcome` instead; outcomes recorded before
    /// per-theory verdicts existed carry only `outcome`, which for an experiment testing
    /// several theories moves none of them.
    ExperimentOutcome {
        experiment: Uuid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        outcome: Option<Outcome>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        verdicts: Vec<Verdict>,
        #[serde(default)]
        notes: String,
    },
    ChangeRequested {
        description: String,
    },
    ChangeDecided {
        request: Uuid,
        approved: bool,
        #[serde(default)]
        reason: String,
    },
    CommsSent {
        audience: Audience,
        text: String,
        #[serde(default)]
        checklist: ChecklistResult,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        override_reason: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next_update_due: Option<DateTime<Utc>>,
        /// The language `text` is written in, when the team writes in more than one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lang: Option<super::lang::Lang>,
        /// The same update in the team's other languages, each checked on its own.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        versions: Vec<super::lang::CommsVersion>,
    },
    ActionItemAdded {
        text: String,
        owner_role: Role,
        due: NaiveDate,
    },
    ActionItemDone {
        item: Uuid,
    },
    PrivacyAssessed {
        assessment: PrivacyAssessment,
        #[serde(default)]
        notes: String,
    },
    KnownErrorLinked {
        known_error: String,
        #[serde(default)]
        title: String,
    },
    /// The IC's check on the team: energy, strong emotions, noise, who needs relief.
    HealthCheck {
        summary: String,
    },
    /// One of the six steps of handling a possible privacy breach is done.
    PrivacyStepDone {
        step: u8,
        #[serde(default)]
        note: String,
    },
    /// An entry of the known-error database (recorded on its own stream, see `kedb`).
    /// Recording the same `key` again revises the entry.
    KnownErrorRecorded {
        key: String,
        symptom: String,
        #[serde(default)]
        root_cause: String,
        #[serde(default)]
        workaround: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        incidents: Vec<Uuid>,
    },
    /// A responder asks the IC for command; the IC accepts (handing over) or declines.
    CommandRequested {
        #[serde(default)]
        reason: String,
    },
    /// The IC's answer to a request for command.
    CommandRequestDecided {
        request: Uuid,
        accepted: bool,
        #[serde(default)]
        reason: String,
    },
    /// The author takes command without the IC's consent, allowed only when the IC has
    /// been silent on the incident for a while (their laptop died, say).
    CommandTaken {
        reason: String,
    },
    /// The IC lets `handle` see a restricted incident.
    AccessGranted {
        handle: String,
    },
    /// The IC takes a restricted incident away from `handle`.
    AccessRevoked {
        handle: String,
    },
    /// The IC removes the text of an earlier event (a secret, personal data) everywhere;
    /// the event keeps its place on the timeline, marked redacted with the reason.
    EventRedacted {
        event: Uuid,
        reason: String,
    },
    /// The author of a note, observation or theory (or the IC) corrects its text; the
    /// latest amendment is what the timeline, the board and the postmortem show.
    Amended {
        event: Uuid,
        text: String,
    },
    /// A responder attaches an alert (see `domain::alert`) to the incident: alerts of its
    /// group that fire or resolve later reach the incident's timeline.
    AlertLinked {
        alert: Uuid,
        fingerprint: String,
        #[serde(default)]
        name: String,
        #[serde(default)]
        summary: String,
    },
    /// An alert of a group linked to the incident fired or resolved: recorded by the server
    /// under the handle of the token that delivered the alert, and shown as an observation.
    /// Unlike an observation a person writes, it does not put its author on the response.
    AlertObserved {
        alert: Uuid,
        fingerprint: String,
        status: super::alert::AlertStatus,
        #[serde(default)]
        name: String,
        #[serde(default)]
        summary: String,
    },
    /// The IC (or the Operations Lead) pages a team through its paging provider. Whoever
    /// holds the team's keys sends it (see `domain::page`): the provider is the one the
    /// requester knew of, if any.
    PageRequested {
        team: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        provider: Option<super::page::Provider>,
        #[serde(default)]
        message: String,
    },
    /// What became of sending a page (or of closing it once the incident was resolved),
    /// recorded by whoever sent it: the server, as `warroom`, in shared mode.
    PageDelivery {
        page: Uuid,
        team: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        provider: Option<super::page::Provider>,
        status: super::page::PageStatus,
        /// The provider's id of the request (Opsgenie's `requestId`, PagerDuty's
        /// `dedup_key`).
        #[serde(default)]
        request_id: String,
        /// Why it failed, in the provider's words where it gave some; on a page delivered
        /// or closed, what is not known of it yet (Opsgenie had not confirmed it).
        #[serde(default)]
        error: String,
        #[serde(default)]
        attempts: u32,
    },
    /// A responder detaches an alert linked by mistake (the wrong incident, a noisy group):
    /// the server stops recording its group's changes on the incident, and the alert is
    /// listed unlinked again, free to be declared from or linked elsewhere.
    AlertUnlinked {
        alert: Uuid,
        #[serde(default)]
        reason: String,
    },
    /// A kind this version does not know: kept whole, shown as unknown.
    #[serde(skip)]
    Unknown {
        kind: String,
        fields: Map<String, Value>,
    },
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Every `"type"` this version knows, in declaration order.
pub const KNOWN_TYPES: &[&str] = &[
    "incident_declared",
    "severity_changed",
    "stage_changed",
    "resolved",
    "reopened",
    "closed",
    "impact_started",
    "detected",
    "impact_ended",
    "responder_joined",
    "responder_left",
    "duty_started",
    "duty_ended",
    "awake_since",
    "role_assigned",
    "role_released",
    "command_handed_over",
    "note",
    "observation",
    "theory",
    "theory_status_changed",
    "experiment",
    "experiment_outcome",
    "change_requested",
    "change_decided",
    "comms_sent",
    "action_item_added",
    "action_item_done",
    "privacy_assessed",
    "known_error_linked",
    "health_check",
    "privacy_step_done",
    "known_error_recorded",
    "command_requested",
    "command_request_decided",
    "command_taken",
    "access_granted",
    "access_revoked",
    "event_redacted",
    "amended",
    "alert_linked",
    "alert_observed",
    "page_requested",
    "page_delivery",
    "alert_unlinked",
];

/// A `"type"` name must look like one of ours to be kept as unknown: lower snake case.
pub fn is_plausible_type(t: &str) -> bool {
    let mut chars = t.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && t.len() <= 64
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl EventKind {
    /// The `"type"` tag of this kind.
    pub fn type_name(&self) -> &str {
        match self {
            EventKind::Unknown { kind, .. } => kind,
            known => KNOWN_TYPES[known.known_index()],
        }
    }

    fn known_index(&self) -> usize {
        match self {
            EventKind::IncidentDeclared { .. } => 0,
            EventKind::SeverityChanged { .. } => 1,
            EventKind::StageChanged { .. } => 2,
            EventKind::Resolved { .. } => 3,
            EventKind::Reopened { .. } => 4,
            EventKind::Closed { .. } => 5,
            EventKind::ImpactStarted {} => 6,
            EventKind::Detected {} => 7,
            EventKind::ImpactEnded {} => 8,
            EventKind::ResponderJoined { .. } => 9,
            EventKind::ResponderLeft { .. } => 10,
            EventKind::DutyStarted { .. } => 11,
            EventKind::DutyEnded { .. } => 12,
            EventKind::AwakeSince { .. } => 13,
            EventKind::RoleAssigned { .. } => 14,
            EventKind::RoleReleased { .. } => 15,
            EventKind::CommandHandedOver { .. } => 16,
            EventKind::Note { .. } => 17,
            EventKind::Observation { .. } => 18,
            EventKind::Theory { .. } => 19,
            EventKind::TheoryStatusChanged { .. } => 20,
            EventKind::Experiment { .. } => 21,
            EventKind::ExperimentOutcome { .. } => 22,
            EventKind::ChangeRequested { .. } => 23,
            EventKind::ChangeDecided { .. } => 24,
            EventKind::CommsSent { .. } => 25,
            EventKind::ActionItemAdded { .. } => 26,
            EventKind::ActionItemDone { .. } => 27,
            EventKind::PrivacyAssessed { .. } => 28,
            EventKind::KnownErrorLinked { .. } => 29,
            EventKind::HealthCheck { .. } => 30,
            EventKind::PrivacyStepDone { .. } => 31,
            EventKind::KnownErrorRecorded { .. } => 32,
            EventKind::CommandRequested { .. } => 33,
            EventKind::CommandRequestDecided { .. } => 34,
            EventKind::CommandTaken { .. } => 35,
            EventKind::AccessGranted { .. } => 36,
            EventKind::AccessRevoked { .. } => 37,
            EventKind::EventRedacted { .. } => 38,
            EventKind::Amended { .. } => 39,
            EventKind::AlertLinked { .. } => 40,
            EventKind::AlertObserved { .. } => 41,
            EventKind::PageRequested { .. } => 42,
            EventKind::PageDelivery { .. } => 43,
            EventKind::AlertUnlinked { .. } => 44,
            EventKind::Unknown { .. } => usize::MAX,
        }
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, EventKind::Unknown { .. })
    }

    /// Builds a kind from its `"type"` and its own fields (the envelope removed).
    /// A known type with wrong fields is an error; an unknown but plausible type is kept.
    pub fn from_parts(type_name: &str, mut fields: Map<String, Value>) -> Result<Self, String> {
        if KNOWN_TYPES.contains(&type_name) {
            fields.insert("type".into(), Value::String(type_name.to_string()));
            serde_json::from_value(Value::Object(fields))
                .map_err(|e| format!("invalid `{type_name}` event: {e}"))
        } else if is_plausible_type(type_name) {
            Ok(EventKind::Unknown {
                kind: type_name.to_string(),
                fields,
            })
        } else {
            Err(format!(
                "`{type_name}` is not an event type (expected lower_snake_case, e.g. `note`)"
            ))
        }
    }

    /// As [`EventKind::from_parts`], for what a store kept: never an error. Fields that do
    /// not make the known kind they name, or a type this version cannot take, are kept
    /// whole as [`EventKind::Unknown`]. Reads borrow the fields, so they are not copied.
    pub fn from_stored(type_name: &str, mut fields: Map<String, Value>) -> Self {
        if KNOWN_TYPES.contains(&type_name) {
            fields.insert("type".into(), Value::String(type_name.to_string()));
            let value = Value::Object(fields);
            if let Ok(kind) = EventKind::deserialize(&value) {
                return kind;
            }
            fields = match value {
                Value::Object(mut m) => {
                    m.remove("type");
                    m
                }
                _ => Map::new(),
            };
        }
        EventKind::Unknown {
            kind: type_name.to_string(),
            fields,
        }
    }

    /// The kind's own fields without the `"type"` tag, as stored in the `body` column.
    pub fn fields(&self) -> Map<String, Value> {
        match self {
            EventKind::Unknown { fields, .. } => fields.clone(),
            known => match serde_json::to_value(known) {
                Ok(Value::Object(mut m)) => {
                    m.remove("type");
                    m
                }
                _ => Map::new(),
            },
        }
    }

    /// The earlier event this one acts on (a redaction, an amendment).
    pub fn refers_to(&self) -> Option<Uuid> {
        match self {
            EventKind::EventRedacted { event, .. } | EventKind::Amended { event, .. } => {
                Some(*event)
            }
            _ => None,
        }
    }

    /// The free text a person wrote in this event, if any (for search and blame checks).
    pub fn text(&self) -> Option<&str> {
        match self {
            EventKind::Note { text }
            | EventKind::Observation { text, .. }
            | EventKind::Theory { text }
            | EventKind::CommsSent { text, .. }
            | EventKind::ActionItemAdded { text, .. }
            | EventKind::HealthCheck { summary: text }
            | EventKind::PageRequested { message: text, .. }
            | EventKind::Amended { text, .. } => Some(text),
            EventKind::Experiment { plan, .. } => Some(plan),
            EventKind::ChangeRequested { description } => Some(description),
            EventKind::IncidentDeclared { title, .. } => Some(title),
            _ => None,
        }
    }
}

/// One fact on an incident's timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Made by the client (UUID v7); the key for idempotent retries.
    pub id: Uuid,
    pub incident: Uuid,
    /// Assigned by the store that confirmed it; `None` while pending in an outbox.
    pub seq: Option<i64>,
    /// When the fact happened; may be back-dated.
    pub at: DateTime<Utc>,
    /// When the confirming store received it; `None` while pending.
    pub recorded_at: Option<DateTime<Utc>>,
    /// Set by the confirming store from the credentials, never from the body.
    pub author: String,
    /// On a drill, the scripted person this act belongs to, when whoever's token recorded
    /// it (the author) is playing the script: shown in place of the author. The rule book
    /// takes one only on drills; authority is still the author's.
    pub persona: Option<String>,
    pub kind: EventKind,
}

const ENVELOPE: [&str; 7] = [
    "id",
    "incident",
    "seq",
    "at",
    "recorded_at",
    "author",
    "persona",
];

impl Event {
    /// Who the event is shown as: the drill persona when there is one, else the author.
    pub fn shown_author(&self) -> &str {
        self.persona.as_deref().unwrap_or(&self.author)
    }

    /// The person as a line of text names them: `ops1 (drill)` for a drill persona, else
    /// the author's handle.
    pub fn author_label(&self) -> std::borrow::Cow<'_, str> {
        match &self.persona {
            Some(p) => std::borrow::Cow::Owned(format!("{p} (drill)")),
            None => std::borrow::Cow::Borrowed(&self.author),
        }
    }
}

/// One value of the envelope as [`Event`] writes it.
enum Envelope<'a> {
    Text(&'a str),
    Id(Uuid),
    Seq(i64),
    Null,
    /// Left out (an event with no persona).
    Absent,
}

impl Serialize for Envelope<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Envelope::Text(t) => s.serialize_str(t),
            Envelope::Id(id) => {
                s.serialize_str(id.hyphenated().encode_lower(&mut Uuid::encode_buffer()))
            }
            Envelope::Seq(n) => s.serialize_i64(*n),
            Envelope::Null | Envelope::Absent => s.serialize_unit(),
        }
    }
}

/// One JSON object: the envelope and the kind's own fields side by side, keys in sorted
/// order (as a JSON map keeps them), a field named like an envelope key left out. Written
/// straight to the serializer: a page of events or `warroom events --json` makes no map
/// per event.
impl Serialize for Event {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let at = format_time(self.at);
        let recorded_at = self.recorded_at.map(format_time);
        // In key order.
        let envelope = [
            ("at", Envelope::Text(&at)),
            ("author", Envelope::Text(&self.author)),
            ("id", Envelope::Id(self.id)),
            ("incident", Envelope::Id(self.incident)),
            (
                "persona",
                self.persona
                    .as_deref()
                    .map_or(Envelope::Absent, Envelope::Text),
            ),
            (
                "recorded_at",
                recorded_at
                    .as_deref()
                    .map_or(Envelope::Null, Envelope::Text),
            ),
            ("seq", self.seq.map_or(Envelope::Null, Envelope::Seq)),
            ("type", Envelope::Text(self.kind.type_name())),
        ];
        let fields = self.kind.fields();
        let mut fields = fields
            .iter()
            .filter(|(k, _)| !ENVELOPE.contains(&k.as_str()) && *k != "type")
            .peekable();
        let mut m = s.serialize_map(None)?;
        for (key, value) in &envelope {
            while let Some((k, v)) = fields.next_if(|(k, _)| k.as_str() < *key) {
                m.serialize_entry(k, v)?;
            }
            if !matches!(value, Envelope::Absent) {
                m.serialize_entry(key, value)?;
            }
        }
        for (k, v) in fields {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut m = Map::<String, Value>::deserialize(d)?;
        let field = |m: &mut Map<String, Value>, k: &str| m.remove(k).filter(|v| !v.is_null());
        let id = field(&mut m, "id").ok_or_else(|| D::Error::missing_field("id"))?;
        let id = Uuid::deserialize(id).map_err(D::Error::custom)?;
        let incident =
            field(&mut m, "incident").ok_or_else(|| D::Error::missing_field("incident"))?;
        let incident = Uuid::deserialize(incident).map_err(D::Error::custom)?;
        let seq = field(&mut m, "seq")
            .map(|v| {
                v.as_i64()
                    .ok_or_else(|| D::Error::custom("seq must be an integer"))
            })
            .transpose()?;
        let at = field(&mut m, "at").ok_or_else(|| D::Error::missing_field("at"))?;
        let at = DateTime::<Utc>::deserialize(at).map_err(D::Error::custom)?;
        let recorded_at = field(&mut m, "recorded_at")
            .map(DateTime::<Utc>::deserialize)
            .transpose()
            .map_err(D::Error::custom)?;
        let author = match field(&mut m, "author") {
            Some(Value::String(s)) => s,
            Some(_) => return Err(D::Error::custom("author must be a string")),
            None => String::new(),
        };
        let persona = match field(&mut m, "persona") {
            Some(Value::String(s)) => Some(s),
            Some(_) => return Err(D::Error::custom("persona must be a string")),
            None => None,
        };
        let type_name = match m.remove("type") {
            Some(Value::String(s)) => s,
            _ => return Err(D::Error::missing_field("type")),
        };
        let kind = EventKind::from_parts(&type_name, m).map_err(D::Error::custom)?;
        Ok(Event {
            id,
            incident,
            seq,
            at,
            recorded_at,
            author,
            persona,
            kind,
        })
    }
}

/// The time as stored: to the microsecond.
pub fn truncate_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::{DurationRound, TimeDelta};
    t.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(t)
}

/// RFC 3339 in UTC with microseconds: fixed width, so text order is time order.
pub fn format_time(t: DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    let (year, nanos) = (t.year(), t.nanosecond());
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
        // A year chrono writes with a sign or more digits, or a leap second.
        return t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    }
    // Every event is written with two times (stores, pages, `events --json`): digits by
    // hand, the same text as the format above at a fraction of its cost.
    let mut out = String::with_capacity(27);
    let mut digits = |n: u32, width: u32, then: char| {
        for place in (0..width).rev() {
            out.push(char::from(b'0' + (n / 10u32.pow(place) % 10) as u8));
        }
        out.push(then);
    };
    digits(year.unsigned_abs(), 4, '-');
    digits(t.month(), 2, '-');
    digits(t.day(), 2, 'T');
    digits(t.hour(), 2, ':');
    digits(t.minute(), 2, ':');
    digits(t.second(), 2, '.');
    digits(nanos / 1000, 6, 'Z');
    out
}

#[cfg(test)]
#[path = "event_tests.rs"]
mod tests;
