//! Handing over command: the brief the outgoing commander leaves, as text a person edits
//! and as drafted from the incident's state.

use chrono::{DateTime, Utc};

use super::event::HandoverBrief;
use super::incident::Incident;

impl HandoverBrief {
    /// The brief as editable text: three headed sections, steps and people one per line.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "Current state:\n{}\n\nNext steps:\n",
            self.current_state.trim()
        );
        for s in &self.next_steps {
            out.push_str(&format!("- {s}\n"));
        }
        out.push_str("\nPeople in the incident:\n");
        for p in &self.people {
            out.push_str(&format!("- {p}\n"));
        }
        out
    }

    /// Reads text written by [`HandoverBrief::to_text`] (and edited by a person).
    pub fn from_text(text: &str) -> HandoverBrief {
        let mut brief = HandoverBrief::default();
        let mut section = 0;
        let mut state = Vec::new();
        for line in text.lines() {
            let t = line.trim();
            let lower = t.to_ascii_lowercase();
            if lower.starts_with("current state") {
                section = 0;
                continue;
            } else if lower.starts_with("next steps") {
                section = 1;
                continue;
            } else if lower.starts_with("people") {
                section = 2;
                continue;
            }
            if t.is_empty() {
                continue;
            }
            let item = t.trim_start_matches(['-', '*', '•']).trim().to_string();
            match section {
                0 => state.push(t.to_string()),
                1 => brief.next_steps.push(item),
                _ => brief.people.push(item),
            }
        }
        brief.current_state = state.join(" ");
        brief
    }
}

impl Incident {
    /// A handover brief drafted from the state: where things stand, what comes next
    /// (open theories, running experiments, open action items) and who is on the incident.
    pub fn draft_brief(&self, now: DateTime<Utc>) -> HandoverBrief {
        use super::metrics::format_duration;
        let s = &self.summary;
        let mut state = format!(
            "{} ({}), {} in {}.",
            s.title,
            s.severity,
            s.status.as_str(),
            s.stage.title()
        );
        match (self.impact.started, self.impact.ended) {
            (Some(start), None) => state.push_str(&format!(
                " Impact ongoing for {}.",
                format_duration(now - start)
            )),
            (Some(_), Some(_)) => state.push_str(" Impact has ended."),
            _ => state.push_str(" Start of impact not yet known."),
        }
        if let Some(d) = self.next_update_due() {
            state.push_str(&format!(" Next update due {}.", d.format("%H:%M UTC")));
        }
        let mut next_steps: Vec<String> = self
            .board
            .running_experiments()
            .map(|e| format!("Finish experiment: {}", e.plan))
            .collect();
        next_steps.extend(
            self.board
                .open_theories()
                .map(|t| format!("Test theory: {}", t.text)),
        );
        next_steps.extend(
            self.pending_change_requests()
                .map(|c| format!("Decide change request: {}", c.description)),
        );
        next_steps.extend(
            self.action_items
                .iter()
                .filter(|a| a.done_at.is_none())
                .map(|a| format!("Action ({}): {}", a.owner_role, a.text)),
        );
        let people = self
            .present_responders()
            .map(|r| {
                let roles = self.roster.roles_of(&r.handle);
                if roles.is_empty() {
                    r.handle.clone()
                } else {
                    let codes: Vec<&str> = roles.iter().map(|r| r.code()).collect();
                    format!("{} ({})", r.handle, codes.join(", "))
                }
            })
            .collect();
        HandoverBrief {
            current_state: state,
            next_steps,
            people,
        }
    }
}

/// The events that answer a request for command: the answer, and when it is yes, command
/// handed over to whoever asked with `brief`.
pub fn answer_request(
    request: &super::incident::CommandRequest,
    accept: bool,
    reason: &str,
    brief: HandoverBrief,
    now: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, super::event::EventKind)> {
    use super::event::EventKind;
    let mut kinds = vec![(
        now,
        EventKind::CommandRequestDecided {
            request: request.id,
            accepted: accept,
            reason: reason.trim().to_string(),
        },
    )];
    if accept {
        kinds.push((
            now,
            EventKind::CommandHandedOver {
                to: request.author.clone(),
                brief,
            },
        ));
    }
    kinds
}
