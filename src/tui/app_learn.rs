//! The Learn and Improve side of the console: resolving, the postmortem, action items,
//! privacy, the known-error database and the statistics overlay.

use chrono::NaiveDate;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui_textarea::TextArea;

use super::action::Action;
use super::app::{App, Effect, Overlay};
use super::form::{Field, Purpose};
use crate::domain::event::{Audience, EventKind, PrivacyAssessment, Role};
use crate::domain::kedb::{KnownError, search};
use crate::domain::privacy;
use crate::domain::templates::Template;

/// A known-error search in progress: the query, the ranked hits, the selection.
pub struct KedbSearch {
    pub query: TextArea<'static>,
    pub entries: Vec<KnownError>,
    pub hits: Vec<usize>,
    pub selected: usize,
}

impl KedbSearch {
    pub fn new(query: &str) -> Self {
        let mut q = TextArea::new(vec![query.to_string()]);
        q.move_cursor(ratatui_textarea::CursorMove::End);
        KedbSearch {
            query: q,
            entries: Vec::new(),
            hits: Vec::new(),
            selected: 0,
        }
    }

    pub fn refresh(&mut self) {
        let q = self.query.lines().join(" ");
        let ranked = search(self.entries.iter(), &q);
        self.hits = ranked
            .iter()
            .filter_map(|(_, e)| self.entries.iter().position(|x| x.key == e.key))
            .collect();
        self.selected = self.selected.min(self.hits.len().saturating_sub(1));
    }

    pub fn selected_entry(&self) -> Option<&KnownError> {
        self.hits
            .get(self.selected)
            .and_then(|i| self.entries.get(*i))
    }
}

impl App {
    pub(super) fn kedb_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Overlay::Kedb(s) = &mut self.overlay else {
            return Vec::new();
        };
        match key.code {
            KeyCode::Esc => self.overlay = Overlay::None,
            KeyCode::Up => s.selected = s.selected.saturating_sub(1),
            KeyCode::Down => s.selected = (s.selected + 1).min(s.hits.len().saturating_sub(1)),
            KeyCode::Enter => {
                let Some(e) = s.selected_entry().cloned() else {
                    self.complain("nothing selected to link");
                    return Vec::new();
                };
                let Some(d) = &self.data else {
                    return Vec::new();
                };
                let incident = d.id;
                self.overlay = Overlay::None;
                self.say(format!("linking {} to this incident", e.key));
                return vec![Effect::LinkKnownError {
                    incident,
                    key: e.key,
                    symptom: e.symptom,
                }];
            }
            _ => {
                if s.query.input(key) {
                    s.refresh();
                }
            }
        }
        Vec::new()
    }

    pub(super) fn act_learn(&mut self, action: Action) -> Vec<Effect> {
        let Some(d) = &self.data else {
            return Vec::new();
        };
        let state = &d.state;
        match action {
            Action::Resolve => {
                let ended = state
                    .impact
                    .ended
                    .map(|t| format!(" (impact ended {})", t.format("%H:%M UTC")))
                    .unwrap_or_default();
                self.open_form(
                    format!("Resolve: business impact has ended{ended}"),
                    Purpose::Resolve,
                    vec![Field::line("Summary", "", "one line on how it ended")],
                );
            }
            Action::WritePostmortem => {
                let incident = d.id;
                self.say("checking the text for blame and writing the postmortem…");
                return vec![Effect::WritePostmortem {
                    incident,
                    force: false,
                }];
            }
            Action::SearchKnownErrors => {
                let query = state.summary.title.clone();
                let mut search = KedbSearch::new(&query);
                search.refresh();
                self.overlay = Overlay::Kedb(Box::new(search));
                return vec![Effect::LoadKnownErrors];
            }
            Action::AddAction => self.open_form(
                "Action item",
                Purpose::AddAction,
                vec![
                    Field::line(
                        "Action",
                        "",
                        "a change that prevents or softens this class of incident",
                    ),
                    Field::line("Owner", "PO", "the role that owns it: IC, CL, PL, OL or PO"),
                    Field::line("Due", "", "YYYY-MM-DD; empty: 8 weeks after resolution"),
                ],
            ),
            Action::Privacy => {
                let next = privacy::next_step(&state.privacy_steps);
                let (value, hint) = match (state.privacy, next) {
                    (PrivacyAssessment::PossibleBreach, Some(n)) => (
                        format!("step {n}"),
                        format!(
                            "next breach step {n}: {}",
                            privacy::STEPS[usize::from(n) - 1]
                        ),
                    ),
                    (PrivacyAssessment::PossibleBreach, None) => {
                        ("".into(), "all six breach steps are done".into())
                    }
                    _ => (
                        "none".into(),
                        "none (no personal information) · breach (possible breach) · step N".into(),
                    ),
                };
                self.open_form(
                    "Privacy",
                    Purpose::Privacy,
                    vec![
                        Field::line("Record", &value, hint),
                        Field::line("Note", "", "optional"),
                    ],
                );
            }
            Action::Stats => self.overlay = Overlay::Stats,
            _ => {}
        }
        Vec::new()
    }

    pub(super) fn submit_learn(&mut self, purpose: Purpose, v: &[String]) -> Vec<Effect> {
        let now = self.now;
        match purpose {
            Purpose::Resolve => {
                let effects = self.record(
                    vec![(
                        now,
                        EventKind::Resolved {
                            summary: v[0].clone(),
                        },
                    )],
                    "resolved: the final internal and external messages are drafted in Comms (4)"
                        .into(),
                );
                if effects.is_empty() {
                    return effects;
                }
                // The final messages come next: both drafts start from their templates.
                if let Some(d) = &self.data {
                    let mut state = d.state.clone();
                    state.summary.status = crate::domain::event::Status::Resolved;
                    let severity = Some(state.summary.severity);
                    for (t, i, audience) in [
                        (Template::FinalInternal, 0, Audience::Internal),
                        (Template::FinalExternal, 1, Audience::External),
                    ] {
                        if self.drafts[i].is_empty() {
                            self.drafts[i].kind = t.kind();
                            self.drafts[i].replace(&t.render(&state, now), audience, severity);
                        }
                    }
                }
                effects
            }
            Purpose::AddAction => {
                let Some(owner_role) = Role::parse(&v[1]) else {
                    return self.refuse(format!("`{}` is not a role: IC, CL, PL, OL or PO", v[1]));
                };
                if v[0].is_empty() {
                    return self.refuse("say what the action is".into());
                }
                let due = if v[2].is_empty() {
                    let from = self
                        .data
                        .as_ref()
                        .and_then(|d| d.state.resolved_at)
                        .unwrap_or(now);
                    (from + self.action_due).date_naive()
                } else {
                    match NaiveDate::parse_from_str(v[2].trim(), "%Y-%m-%d") {
                        Ok(d) => d,
                        Err(_) => {
                            return self
                                .refuse(format!("`{}` is not a date like 2026-12-31", v[2]));
                        }
                    }
                };
                self.record(
                    vec![(
                        now,
                        EventKind::ActionItemAdded {
                            text: v[0].clone(),
                            owner_role,
                            due,
                        },
                    )],
                    format!("action item added (owner {owner_role}, due {due})"),
                )
            }
            Purpose::Privacy => {
                let word = v[0].trim().to_ascii_lowercase();
                let kind = if let Some(n) = word.strip_prefix("step").map(str::trim) {
                    match n.parse::<u8>() {
                        Ok(step) => EventKind::PrivacyStepDone {
                            step,
                            note: v[1].clone(),
                        },
                        Err(_) => return self.refuse("step 1 to step 6".into()),
                    }
                } else {
                    let assessment = match word.as_str() {
                        "none" | "no" => PrivacyAssessment::NoPersonalInformation,
                        "breach" | "possible breach" | "possible-breach" => {
                            PrivacyAssessment::PossibleBreach
                        }
                        "not assessed" | "not-assessed" => PrivacyAssessment::NotAssessed,
                        _ => return self.refuse("none, breach, or step N".into()),
                    };
                    EventKind::PrivacyAssessed {
                        assessment,
                        notes: v[1].clone(),
                    }
                };
                let breach = matches!(
                    kind,
                    EventKind::PrivacyAssessed {
                        assessment: PrivacyAssessment::PossibleBreach,
                        ..
                    }
                );
                let effects = self.record(vec![(now, kind)], "privacy recorded".into());
                if breach && !effects.is_empty() {
                    self.say(format!(
                        "possible breach: the Policy Lead leads the six steps; step 1: {}",
                        privacy::STEPS[0]
                    ));
                }
                effects
            }
            _ => Vec::new(),
        }
    }
}
