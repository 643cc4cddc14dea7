//! Redaction: what of an event's text the IC can remove, the same way on every machine.

use super::event::{ChecklistResult, EventKind, HandoverBrief};

/// What a redacted declaration's title reads.
pub const REDACTED_TITLE: &str = "(title redacted)";

impl EventKind {
    /// This kind with every word a person wrote in it removed, for redaction; `None` when
    /// it carries no free text (ids, roles, times and handles are the incident's structure
    /// and stay). Deterministic, so every machine scrubs an event to the same thing.
    pub fn scrubbed(&self) -> Option<EventKind> {
        let gone = String::new;
        let mut k = self.clone();
        let had_text = match &mut k {
            EventKind::IncidentDeclared { title, summary, .. } => {
                *title = REDACTED_TITLE.into();
                *summary = gone();
                true
            }
            EventKind::SeverityChanged { reason, .. }
            | EventKind::Resolved { summary: reason }
            | EventKind::Reopened { reason }
            | EventKind::Closed { reason }
            | EventKind::TheoryStatusChanged { reason, .. }
            | EventKind::ChangeDecided { reason, .. }
            | EventKind::CommandRequested { reason }
            | EventKind::CommandRequestDecided { reason, .. }
            | EventKind::CommandTaken { reason }
            | EventKind::AlertUnlinked { reason, .. }
            | EventKind::Note { text: reason }
            | EventKind::Observation { text: reason, .. }
            | EventKind::Theory { text: reason }
            | EventKind::Amended { text: reason, .. }
            | EventKind::ActionItemAdded { text: reason, .. }
            | EventKind::HealthCheck { summary: reason }
            | EventKind::PrivacyStepDone { note: reason, .. }
            | EventKind::PrivacyAssessed { notes: reason, .. }
            | EventKind::Experiment { plan: reason, .. }
            | EventKind::ExperimentOutcome { notes: reason, .. }
            | EventKind::ChangeRequested {
                description: reason,
            } => {
                *reason = gone();
                true
            }
            EventKind::CommandHandedOver { brief, .. } => {
                *brief = HandoverBrief::default();
                true
            }
            EventKind::ResponderJoined { skills, .. } => {
                skills.clear();
                true
            }
            EventKind::CommsSent {
                text,
                checklist,
                override_reason,
                versions,
                ..
            } => {
                *text = gone();
                *checklist = ChecklistResult::default();
                *override_reason = None;
                for v in versions {
                    v.text = gone();
                    v.checklist = ChecklistResult::default();
                }
                true
            }
            EventKind::KnownErrorLinked { title, .. } => {
                *title = gone();
                true
            }
            EventKind::KnownErrorRecorded {
                symptom,
                root_cause,
                workaround,
                ..
            } => {
                *symptom = gone();
                *root_cause = gone();
                *workaround = gone();
                true
            }
            EventKind::PageRequested { message, .. } => {
                *message = gone();
                true
            }
            EventKind::AlertLinked { name, summary, .. }
            | EventKind::AlertObserved { name, summary, .. } => {
                *name = gone();
                *summary = gone();
                true
            }
            EventKind::Unknown { fields, .. } => {
                fields.clear();
                true
            }
            EventKind::StageChanged { .. }
            | EventKind::ImpactStarted {}
            | EventKind::Detected {}
            | EventKind::ImpactEnded {}
            | EventKind::ResponderLeft { .. }
            | EventKind::DutyStarted { .. }
            | EventKind::DutyEnded { .. }
            | EventKind::AwakeSince { .. }
            | EventKind::RoleAssigned { .. }
            | EventKind::RoleReleased { .. }
            | EventKind::ActionItemDone { .. }
            | EventKind::AccessGranted { .. }
            | EventKind::AccessRevoked { .. }
            | EventKind::EventRedacted { .. }
            | EventKind::PageDelivery { .. } => false,
        };
        had_text.then_some(k)
    }
}
