//! What the incident commander does to the incident as a whole, from whichever pane has
//! the focus: change its severity or stage, resolve it once business impact has ended
//! (which drafts the final messages), write the blameless postmortem, link a known error,
//! add action items that keep it from happening again, and record the privacy assessment
//! and the six steps of a possible breach.

use chrono::NaiveDate;

use super::action::Action;
use super::ctx::Ctx;
use super::drafts::Draft;
use super::effect::Effect;
use super::overlay::Overlay;
use super::overlay::form::{Answers, Field, Purpose};
use super::overlay::kedb::KedbSearch;
use super::pane::comms;
use crate::domain::event::{EventKind, PrivacyAssessment, Role, Severity, Stage, Status};
use crate::domain::kedb::KnownError;
use crate::domain::privacy;

// The fields of the incident-wide forms.
const SEVERITY: &str = "Severity";
const WHY: &str = "Why";
const STAGE: &str = "Stage";
const SUMMARY: &str = "Summary";
const ACTION: &str = "Action";
const OWNER: &str = "Owner";
const DUE: &str = "Due";
const RECORD: &str = "Record";
const NOTE: &str = "Note";

/// The incident-wide acts.
pub fn act(ctx: &mut Ctx, action: Action) -> Vec<Effect> {
    let Some(d) = ctx.data else {
        return Vec::new();
    };
    let state = &d.state;
    match action {
        Action::ChangeSeverity => ctx.open_form(
            "Change severity",
            Purpose::Severity,
            vec![
                Field::line(
                    SEVERITY,
                    &state.summary.severity.level().to_string(),
                    "1 critical · 2 major · 3 minor",
                ),
                Field::line(WHY, "", "what changed"),
            ],
        ),
        Action::ChangeStage => ctx.open_form(
            "Move to stage",
            Purpose::Stage,
            vec![Field::line(
                STAGE,
                "",
                "detect · respond · recover · learn · improve",
            )],
        ),
        Action::Resolve => {
            let ended = state
                .impact
                .ended
                .map(|t| format!(" (impact ended {})", t.format("%H:%M UTC")))
                .unwrap_or_default();
            ctx.open_form(
                format!("Resolve: business impact has ended{ended}"),
                Purpose::Resolve,
                vec![Field::line(SUMMARY, "", "one line on how it ended")],
            );
        }
        Action::WritePostmortem => {
            let incident = d.id;
            ctx.say("checking the text for blame and writing the postmortem…");
            return vec![Effect::WritePostmortem {
                incident,
                force: false,
            }];
        }
        Action::SearchKnownErrors => {
            let mut search = KedbSearch::new(&state.summary.title);
            search.refresh();
            *ctx.overlay = Overlay::Kedb(Box::new(search));
            return vec![Effect::LoadKnownErrors];
        }
        Action::AddAction => ctx.open_form(
            "Action item",
            Purpose::AddAction,
            vec![
                Field::line(
                    ACTION,
                    "",
                    "a change that prevents or softens this class of incident",
                ),
                Field::line(OWNER, "PO", "the role that owns it: IC, CL, PL, OL or PO"),
                Field::line(DUE, "", "YYYY-MM-DD; empty: 8 weeks after resolution"),
            ],
        ),
        Action::Privacy => {
            // Nothing is filled in: an assessment is a choice someone makes, never a default.
            let next = privacy::next_step(&state.privacy_steps);
            let hint = match (state.privacy, next) {
                (PrivacyAssessment::PossibleBreach, Some(n)) => format!(
                    "step {n} records the next breach step: {}",
                    privacy::STEPS[usize::from(n) - 1]
                ),
                (PrivacyAssessment::PossibleBreach, None) => "all six breach steps are done".into(),
                _ => "none (no personal information) · breach (possible breach) · step N".into(),
            };
            ctx.open_form(
                "Privacy",
                Purpose::Privacy,
                vec![
                    Field::line(RECORD, "", hint),
                    Field::line(NOTE, "", "optional"),
                ],
            );
        }
        Action::Stats => *ctx.overlay = Overlay::Stats,
        _ => {}
    }
    Vec::new()
}

/// `y` over the blame check's findings: write the postmortem anyway.
pub fn write_postmortem_anyway(ctx: &mut Ctx) -> Vec<Effect> {
    ctx.close_overlay();
    match ctx.data {
        Some(d) => vec![Effect::WritePostmortem {
            incident: d.id,
            force: true,
        }],
        None => Vec::new(),
    }
}

/// Enter in the known-error search: link the chosen entry to the incident.
pub fn link_known_error(ctx: &mut Ctx, chosen: Option<KnownError>) -> Vec<Effect> {
    let Some(e) = chosen else {
        ctx.complain("nothing selected to link");
        return Vec::new();
    };
    let Some(d) = ctx.data else {
        return Vec::new();
    };
    let incident = d.id;
    ctx.close_overlay();
    ctx.say(format!("linking {} to this incident", e.key));
    vec![Effect::LinkKnownError {
        incident,
        key: e.key,
        symptom: e.symptom,
    }]
}

/// A submitted incident-wide form; resolving drafts the final messages in `drafts`.
pub fn submit(
    ctx: &mut Ctx,
    drafts: &mut [Draft; 2],
    translations: &mut [Draft],
    form: &Answers,
) -> Vec<Effect> {
    let now = ctx.now;
    match form.purpose {
        Purpose::Severity => match form
            .value(SEVERITY)
            .trim()
            .parse::<i64>()
            .map_err(|_| String::new())
            .and_then(Severity::new)
        {
            Ok(severity) => ctx.record(
                vec![(
                    now,
                    EventKind::SeverityChanged {
                        severity,
                        reason: form.value(WHY),
                    },
                )],
                format!("severity now {severity}"),
            ),
            Err(_) => ctx.refuse("severity must be 1, 2 or 3".into()),
        },
        Purpose::Stage => match Stage::parse(&form.value(STAGE)) {
            Some(stage) => ctx.record(
                vec![(now, EventKind::StageChanged { stage })],
                format!("stage now {}", stage.title()),
            ),
            None => ctx.refuse("stage: detect, respond, recover, learn or improve".into()),
        },
        Purpose::Resolve => {
            let effects = ctx.record(
                vec![(
                    now,
                    EventKind::Resolved {
                        summary: form.value(SUMMARY),
                    },
                )],
                "resolved: the final internal and external messages are drafted in Comms (4); \
                 stand the team down from Fatigue (5) once they are done"
                    .into(),
            );
            if effects.is_empty() {
                return effects;
            }
            // The final messages come next: both drafts start from their templates.
            if let Some(d) = ctx.data {
                let mut state = d.state.clone();
                state.summary.status = Status::Resolved;
                comms::start_final_messages(drafts, translations, &state, now);
            }
            effects
        }
        Purpose::AddAction => {
            let (text, owner, due) = (form.value(ACTION), form.value(OWNER), form.value(DUE));
            let Some(owner_role) = Role::parse(&owner) else {
                return ctx.refuse(format!("`{owner}` is not a role: IC, CL, PL, OL or PO"));
            };
            if text.is_empty() {
                return ctx.refuse("say what the action is".into());
            }
            let due = if due.is_empty() {
                let from = ctx.data.and_then(|d| d.state.resolved_at).unwrap_or(now);
                (from + ctx.action_due).date_naive()
            } else {
                match NaiveDate::parse_from_str(due.trim(), "%Y-%m-%d") {
                    Ok(d) => d,
                    Err(_) => {
                        return ctx.refuse(format!("`{due}` is not a date like 2026-12-31"));
                    }
                }
            };
            ctx.record(
                vec![(
                    now,
                    EventKind::ActionItemAdded {
                        text,
                        owner_role,
                        due,
                    },
                )],
                format!("action item added (owner {owner_role}, due {due})"),
            )
        }
        Purpose::Privacy => {
            let word = form.value(RECORD).trim().to_ascii_lowercase();
            if word.is_empty() {
                return ctx.refuse(
                    "choose: none (no personal information), breach (possible breach), \
                     or step N"
                        .into(),
                );
            }
            let kind = if let Some(n) = word.strip_prefix("step").map(str::trim) {
                match n.parse::<u8>() {
                    Ok(step) => EventKind::PrivacyStepDone {
                        step,
                        note: form.value(NOTE),
                    },
                    Err(_) => return ctx.refuse("step 1 to step 6".into()),
                }
            } else {
                let assessment = match word.as_str() {
                    "none" | "no" => PrivacyAssessment::NoPersonalInformation,
                    "breach" | "possible breach" | "possible-breach" => {
                        PrivacyAssessment::PossibleBreach
                    }
                    "not assessed" | "not-assessed" => PrivacyAssessment::NotAssessed,
                    _ => return ctx.refuse("none, breach, or step N".into()),
                };
                EventKind::PrivacyAssessed {
                    assessment,
                    notes: form.value(NOTE),
                }
            };
            let breach = matches!(
                kind,
                EventKind::PrivacyAssessed {
                    assessment: PrivacyAssessment::PossibleBreach,
                    ..
                }
            );
            let effects = ctx.record(vec![(now, kind)], "privacy recorded".into());
            if breach && !effects.is_empty() {
                ctx.say(format!(
                    "possible breach: the Policy Lead leads the six steps; step 1: {}",
                    privacy::STEPS[0]
                ));
            }
            effects
        }
        _ => Vec::new(),
    }
}
