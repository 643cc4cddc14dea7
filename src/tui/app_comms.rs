//! The comms and fatigue side of the console: drafting and sending updates, handover
//! suggestions, health checks, and the alerts that notify the responder.

use crossterm::event::{KeyCode, KeyEvent};

use super::action::Action;
use super::app::{App, Effect, Pane};
use super::drafts::{Draft, audience_index};
use super::form::{Field, Purpose};
use crate::domain::comms::DraftKind;
use crate::domain::event::{Audience, EventKind, Role};
use crate::domain::fatigue::{self, Level, Suggestion};
use crate::domain::metrics::format_duration;
use crate::domain::templates::{Template, next_update_time};

impl App {
    pub fn draft(&self) -> &Draft {
        &self.drafts[audience_index(self.audience)]
    }

    fn draft_mut(&mut self) -> &mut Draft {
        &mut self.drafts[audience_index(self.audience)]
    }

    fn severity(&self) -> Option<crate::domain::event::Severity> {
        self.data.as_ref().map(|d| d.state.summary.severity)
    }

    pub(super) fn set_drafts(&mut self, internal: Option<String>, external: Option<String>) {
        let severity = self.severity();
        self.drafts[0].replace(
            internal.as_deref().unwrap_or(""),
            Audience::Internal,
            severity,
        );
        self.drafts[1].replace(
            external.as_deref().unwrap_or(""),
            Audience::External,
            severity,
        );
    }

    fn recheck(&mut self) {
        let (audience, severity) = (self.audience, self.severity());
        self.draft_mut().recheck(audience, severity);
    }

    fn save_effect(&self) -> Vec<Effect> {
        match &self.data {
            Some(d) => vec![Effect::SaveDraft {
                incident: d.id,
                audience: self.audience,
                text: self.draft().text(),
            }],
            None => Vec::new(),
        }
    }

    /// Keys while editing: all go to the editor but Esc, which stops editing.
    pub(super) fn edit_draft(&mut self, key: KeyEvent) -> Vec<Effect> {
        if key.code == KeyCode::Esc {
            self.editing = false;
            return Vec::new();
        }
        let changed = self.draft_mut().editor.input(key);
        if !changed {
            return Vec::new();
        }
        self.recheck();
        self.save_effect()
    }

    pub(super) fn act_comms(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::EditDraft => {
                self.focus = Pane::Comms;
                self.editing = true;
            }
            Action::ToggleAudience => {
                self.audience = match self.audience {
                    Audience::Internal => Audience::External,
                    Audience::External => Audience::Internal,
                };
                self.recheck();
            }
            Action::ToggleFinal => {
                let d = self.draft_mut();
                d.kind = match d.kind {
                    DraftKind::Update => DraftKind::Final,
                    DraftKind::Final => DraftKind::Update,
                };
                self.recheck();
            }
            Action::InsertTemplate => {
                let suggested = match (
                    self.audience,
                    self.data.as_ref().map(|d| d.state.summary.status),
                ) {
                    (Audience::External, Some(crate::domain::event::Status::Active)) => {
                        Template::External
                    }
                    (Audience::External, _) => Template::FinalExternal,
                    (Audience::Internal, Some(crate::domain::event::Status::Active)) => {
                        if self.data.as_ref().is_some_and(|d| d.state.comms.is_empty()) {
                            Template::First
                        } else {
                            Template::Update
                        }
                    }
                    (Audience::Internal, _) => Template::FinalInternal,
                };
                let names: Vec<&str> = Template::ALL.iter().map(|t| t.name()).collect();
                let replacing = if self.draft().is_empty() {
                    ""
                } else {
                    " (replaces the draft)"
                };
                self.open_form(
                    format!("Start from a template{replacing}"),
                    Purpose::Template,
                    vec![Field::line("Template", suggested.name(), names.join(" · "))],
                );
            }
            Action::SendUpdate => {
                if self.draft().is_empty() {
                    self.complain("the draft is empty: press e to write, t for a template");
                } else if self.draft().verdict.passed() {
                    return self.send(self.audience, None);
                } else {
                    let failed: Vec<&str> = self.draft().verdict.failed().map(|r| r.id).collect();
                    self.open_form(
                        format!("Send with {} failed check(s)?", failed.len()),
                        Purpose::SendOverride {
                            audience: self.audience,
                        },
                        vec![Field::line(
                            "Reason",
                            "",
                            format!("why send without: {}", failed.join(", ")),
                        )],
                    );
                }
            }
            Action::ApplySuggestion => {
                let Some(s) = self.suggestions().into_iter().nth(self.fatigue_selected) else {
                    self.complain(
                        "no handover to suggest: nobody is past a warning, or nobody is free",
                    );
                    return Vec::new();
                };
                if s.role == Role::Ic {
                    let brief = self
                        .data
                        .as_ref()
                        .map(|d| d.state.draft_brief(self.now))
                        .unwrap_or_default();
                    self.open_form(
                        "Hand over command",
                        Purpose::HandOver,
                        vec![
                            Field::line("New IC", &s.to, "who takes command"),
                            Field::text("Brief", &brief.to_text(), "edit freely; Ctrl-S posts it"),
                        ],
                    );
                } else {
                    let what = format!("{} ({}) → {}", s.role.title(), s.from, s.to);
                    return self.record(
                        vec![(
                            self.now,
                            EventKind::RoleAssigned {
                                role: s.role,
                                handle: s.to.clone(),
                            },
                        )],
                        what,
                    );
                }
            }
            Action::HealthCheck => {
                let prompt = "Energy: \nStrong emotions or noise: \nWho needs relief: \n";
                self.open_form(
                    "Team health check",
                    Purpose::HealthCheck,
                    vec![Field::text("How is the team?", prompt, "Ctrl-S logs it")],
                );
            }
            _ => {}
        }
        Vec::new()
    }

    pub(super) fn apply_template(&mut self, name: &str) -> Vec<Effect> {
        let Some(t) = Template::parse(name) else {
            let names: Vec<&str> = Template::ALL.iter().map(|t| t.name()).collect();
            return self.refuse(format!("templates: {}", names.join(", ")));
        };
        let Some(d) = &self.data else {
            return Vec::new();
        };
        let text = t.render(&d.state, self.now);
        self.overlay = super::app::Overlay::None;
        self.audience = t.audience();
        let severity = self.severity();
        let audience = self.audience;
        let draft = self.draft_mut();
        draft.kind = t.kind();
        draft.replace(&text, audience, severity);
        self.focus = Pane::Comms;
        self.editing = true;
        self.say(format!("{} template: fill in every <...>", t.name()));
        self.save_effect()
    }

    /// Records the update as sent, hands it to the webhook, and clears the draft.
    pub(super) fn send(
        &mut self,
        audience: Audience,
        override_reason: Option<String>,
    ) -> Vec<Effect> {
        let i = audience_index(audience);
        let text = self.drafts[i].text();
        let checklist = self.drafts[i].verdict.record();
        let next_update_due = next_update_time(&text, self.now, self.offset_at(self.now));
        let mut effects = self.record(
            vec![(
                self.now,
                EventKind::CommsSent {
                    audience,
                    text: text.clone(),
                    checklist,
                    override_reason,
                    next_update_due,
                },
            )],
            match next_update_due {
                Some(t) => format!("update sent; next one due {}", t.format("%H:%M UTC")),
                None => "update sent".into(),
            },
        );
        if effects.is_empty() {
            return effects;
        }
        let severity = self.severity();
        self.drafts[i].replace("", audience, severity);
        self.drafts[i].kind = DraftKind::Update;
        self.editing = false;
        if let Some(d) = &self.data {
            effects.push(Effect::SaveDraft {
                incident: d.id,
                audience,
                text: String::new(),
            });
        }
        effects.push(Effect::Webhook { audience, text });
        effects
    }

    pub fn suggestions(&self) -> Vec<Suggestion> {
        self.data
            .as_ref()
            .map(|d| fatigue::suggestions(&d.state, self.now, &self.thresholds))
            .unwrap_or_default()
    }

    /// What needs this responder now, each with a key so it is raised once.
    pub fn alerts(&self) -> Vec<(String, String, String)> {
        let Some(d) = &self.data else {
            return Vec::new();
        };
        let s = &d.state;
        let me = self.handle.as_str();
        let short = &s.summary.short_id;
        let mut out = Vec::new();
        if let Some(due) = s.next_update_due()
            && due < self.now
            && s.summary.status == crate::domain::event::Status::Active
        {
            out.push((
                format!("overdue:{short}:{due}"),
                format!("{short}: status update overdue"),
                format!("The next update was due at {}.", due.format("%H:%M UTC")),
            ));
        }
        for c in fatigue::assess(s, self.now, &self.thresholds) {
            if c.level > Level::Ok {
                let word = if c.level == Level::Over {
                    "past the limit"
                } else {
                    "past the warning"
                };
                out.push((
                    format!("fatigue:{short}:{}:{:?}", c.handle, c.level),
                    format!("{short}: {} is {word}", c.handle),
                    c.reasons.join(", "),
                ));
            }
        }
        if s.commander() == Some(me) {
            for c in s.pending_change_requests() {
                out.push((
                    format!("change:{}", c.id),
                    format!("{short}: {} asks to change production", c.author),
                    c.description.clone(),
                ));
            }
            if let Some(due) = fatigue::health_check_due(s, s.last_health_check, &self.thresholds)
                && due < self.now
            {
                out.push((
                    format!("health:{short}:{due}"),
                    format!("{short}: time for a team health check"),
                    format!(
                        "Last one {} ago.",
                        format_duration(
                            self.now
                                - s.last_health_check
                                    .or(s.summary.declared_at)
                                    .unwrap_or(self.now)
                        )
                    ),
                ));
            }
        }
        if s.privacy == crate::domain::event::PrivacyAssessment::PossibleBreach
            && s.roster.holder(Role::Pl) == Some(me)
            && let Some(step) = crate::domain::privacy::next_step(&s.privacy_steps)
        {
            out.push((
                format!("privacy:{short}:{step}"),
                format!("{short}: possible privacy breach, step {step} is next"),
                format!(
                    "As Policy Lead you lead the breach steps; next: {} (V records it).",
                    crate::domain::privacy::STEPS[usize::from(step) - 1]
                ),
            ));
        }
        for role in s.roster.roles_of(me) {
            if !s.roster.is_defaulted_to_ic(role) || role == Role::Ic {
                let since = s
                    .roster
                    .since
                    .get(&role)
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_default();
                out.push((
                    format!("role:{short}:{role}:{since}"),
                    format!("{short}: you are now {}", role.title()),
                    format!(
                        "You hold the {} role on “{}”.",
                        role.code(),
                        s.summary.title
                    ),
                ));
            }
        }
        self.command_alerts(&mut out);
        out
    }

    /// Raises alerts not raised before. On first opening an incident, the roles one
    /// already holds are taken as known rather than announced.
    pub(super) fn check_alerts(&mut self, opening: bool) -> Vec<Effect> {
        let mut effects = Vec::new();
        for (key, title, body) in self.alerts() {
            if self.raised.contains(&key) {
                continue;
            }
            self.raised.insert(key.clone());
            if opening && key.starts_with("role:") {
                continue;
            }
            self.message = Some((title.clone(), true));
            effects.push(Effect::Notify { title, body });
        }
        effects
    }
}
