//! The comms pane (4): drafting status updates, one draft for the team inside and one for
//! customers outside. Each draft is a real editor, checked on every keystroke against the
//! checklist of a good update (the impact and who is affected, where things stand, next
//! steps, when the next update comes; short and free of internal detail outside), and
//! saved as typed so neither a crash nor a closed terminal loses it. Templates start a draft; sending records the update on the timeline with its
//! checklist (a reason is asked for when checks fail), promises the next one, and hands it
//! to the audience's webhook. The top line says when the next update is due, in red when
//! it is overdue.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::Pane;
use crate::domain::comms::DraftKind;
use crate::domain::event::{Audience, EventKind, Severity, Status};
use crate::domain::incident::Incident;
use crate::domain::metrics::format_duration;
use crate::domain::templates::{Template, next_update_time};
use crate::tui::action::Action;
use crate::tui::ctx::{Ctx, Look};
use crate::tui::drafts::{Draft, audience_index};
use crate::tui::effect::Effect;
use crate::tui::overlay::form::{Answers, Field, Purpose};

/// What the footer offers while comms has the focus.
pub const HINTS: &[Action] = &[
    Action::EditDraft,
    Action::InsertTemplate,
    Action::ToggleAudience,
    Action::ToggleFinal,
    Action::SendUpdate,
    Action::Help,
];

// The fields of the comms forms.
const TEMPLATE: &str = "Template";
const REASON: &str = "Reason";

/// The drafts as the console holds them: one per audience (internal, external), which
/// one is shown, and whether keys go to its editor.
pub struct Comms<'a> {
    pub drafts: &'a mut [Draft; 2],
    pub audience: &'a mut Audience,
    pub editing: &'a mut bool,
}

impl Comms<'_> {
    fn draft(&self) -> &Draft {
        &self.drafts[audience_index(*self.audience)]
    }

    fn draft_mut(&mut self) -> &mut Draft {
        &mut self.drafts[audience_index(*self.audience)]
    }

    fn recheck(&mut self, severity: Option<Severity>) {
        let audience = *self.audience;
        self.draft_mut().recheck(audience, severity);
    }

    fn save_effect(&self, ctx: &Ctx) -> Vec<Effect> {
        match ctx.data {
            Some(d) => vec![Effect::SaveDraft {
                incident: d.id,
                audience: *self.audience,
                text: self.draft().text(),
            }],
            None => Vec::new(),
        }
    }
}

fn severity(ctx: &Ctx) -> Option<Severity> {
    ctx.data.map(|d| d.state.summary.severity)
}

/// Saved drafts arrived for the open incident.
pub fn set_drafts(
    drafts: &mut [Draft; 2],
    severity: Option<Severity>,
    internal: Option<String>,
    external: Option<String>,
) {
    drafts[0].replace(
        internal.as_deref().unwrap_or(""),
        Audience::Internal,
        severity,
    );
    drafts[1].replace(
        external.as_deref().unwrap_or(""),
        Audience::External,
        severity,
    );
}

/// On resolving, the final messages come next: empty drafts start from their templates.
pub fn start_final_messages(
    drafts: &mut [Draft; 2],
    resolved: &Incident,
    now: chrono::DateTime<chrono::Utc>,
) {
    let severity = Some(resolved.summary.severity);
    for (t, i, audience) in [
        (Template::FinalInternal, 0, Audience::Internal),
        (Template::FinalExternal, 1, Audience::External),
    ] {
        if drafts[i].is_empty() {
            drafts[i].kind = t.kind();
            drafts[i].replace(&t.render(resolved, now), audience, severity);
        }
    }
}

/// Keys while editing: all go to the editor but Esc, which stops editing.
pub fn edit_key(ctx: &mut Ctx, mut c: Comms, key: KeyEvent) -> Vec<Effect> {
    if key.code == KeyCode::Esc {
        *c.editing = false;
        return Vec::new();
    }
    let changed = c.draft_mut().editor.input(key);
    if !changed {
        return Vec::new();
    }
    c.recheck(severity(ctx));
    c.save_effect(ctx)
}

/// The comms pane's own acts.
pub fn act(ctx: &mut Ctx, mut c: Comms, action: Action) -> Vec<Effect> {
    match action {
        Action::EditDraft => {
            *ctx.focus = Pane::Comms;
            *c.editing = true;
        }
        Action::ToggleAudience => {
            *c.audience = match *c.audience {
                Audience::Internal => Audience::External,
                Audience::External => Audience::Internal,
            };
            c.recheck(severity(ctx));
        }
        Action::ToggleFinal => {
            let d = c.draft_mut();
            d.kind = match d.kind {
                DraftKind::Update => DraftKind::Final,
                DraftKind::Final => DraftKind::Update,
            };
            c.recheck(severity(ctx));
        }
        Action::InsertTemplate => {
            let suggested = match (*c.audience, ctx.data.map(|d| d.state.summary.status)) {
                (Audience::External, Some(Status::Active)) => Template::External,
                (Audience::External, _) => Template::FinalExternal,
                (Audience::Internal, Some(Status::Active)) => {
                    if ctx.data.is_some_and(|d| d.state.comms.is_empty()) {
                        Template::First
                    } else {
                        Template::Update
                    }
                }
                (Audience::Internal, _) => Template::FinalInternal,
            };
            let names: Vec<&str> = Template::ALL.iter().map(|t| t.name()).collect();
            let replacing = if c.draft().is_empty() {
                ""
            } else {
                " (replaces the draft)"
            };
            ctx.open_form(
                format!("Start from a template{replacing}"),
                Purpose::Template,
                vec![Field::line(TEMPLATE, suggested.name(), names.join(" · "))],
            );
        }
        Action::SendUpdate => {
            if c.draft().is_empty() {
                ctx.complain("the draft is empty: press e to write, t for a template");
            } else if c.draft().verdict.passed() {
                let audience = *c.audience;
                return send(ctx, c, audience, None);
            } else {
                let failed: Vec<&str> = c.draft().verdict.failed().map(|r| r.id).collect();
                ctx.open_form(
                    format!("Send with {} failed check(s)?", failed.len()),
                    Purpose::SendOverride {
                        audience: *c.audience,
                    },
                    vec![Field::line(
                        REASON,
                        "",
                        format!("why send without: {}", failed.join(", ")),
                    )],
                );
            }
        }
        _ => {}
    }
    Vec::new()
}

/// A submitted comms form.
pub fn submit(ctx: &mut Ctx, c: Comms, form: &Answers) -> Vec<Effect> {
    match form.purpose {
        Purpose::SendOverride { audience } => {
            let reason = form.value(REASON);
            if reason.is_empty() {
                return ctx.refuse("give the reason for sending with failed checks".into());
            }
            send(ctx, c, audience, Some(reason))
        }
        Purpose::Template => apply_template(ctx, c, &form.value(TEMPLATE)),
        _ => Vec::new(),
    }
}

fn apply_template(ctx: &mut Ctx, mut c: Comms, name: &str) -> Vec<Effect> {
    let Some(t) = Template::parse(name) else {
        let names: Vec<&str> = Template::ALL.iter().map(|t| t.name()).collect();
        return ctx.refuse(format!("templates: {}", names.join(", ")));
    };
    let Some(d) = ctx.data else {
        return Vec::new();
    };
    let text = t.render(&d.state, ctx.now);
    ctx.close_overlay();
    *c.audience = t.audience();
    let severity = severity(ctx);
    let audience = *c.audience;
    let draft = c.draft_mut();
    draft.kind = t.kind();
    draft.replace(&text, audience, severity);
    *ctx.focus = Pane::Comms;
    *c.editing = true;
    ctx.say(format!("{} template: fill in every <...>", t.name()));
    c.save_effect(ctx)
}

/// Records the update as sent, hands it to the webhook, and clears the draft.
fn send(
    ctx: &mut Ctx,
    c: Comms,
    audience: Audience,
    override_reason: Option<String>,
) -> Vec<Effect> {
    let now = ctx.now;
    let i = audience_index(audience);
    let text = c.drafts[i].text();
    let checklist = c.drafts[i].verdict.record();
    let next_update_due = next_update_time(&text, now, ctx.clock.offset_at(now));
    let mut effects = ctx.record(
        vec![(
            now,
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
    let severity = severity(ctx);
    c.drafts[i].replace("", audience, severity);
    c.drafts[i].kind = DraftKind::Update;
    *c.editing = false;
    if let Some(d) = ctx.data {
        effects.push(Effect::SaveDraft {
            incident: d.id,
            audience,
            text: String::new(),
        });
    }
    effects.push(Effect::Webhook { audience, text });
    effects
}

/// Draws the due line, the shown draft's editor and its checks (beside it when wide).
pub fn draw(
    look: &Look,
    drafts: &[Draft; 2],
    audience: Audience,
    editing: bool,
    f: &mut Frame,
    area: Rect,
) {
    let Some(d) = look.data else { return };
    let s = &d.state;
    let now = look.now;
    let draft = &drafts[audience_index(audience)];
    let [top, rest] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    let due = match s.next_update_due_for(audience) {
        Some(due) if due < now => Span::styled(
            format!("next update OVERDUE by {}", format_duration(now - due)),
            Style::new().fg(Color::White).bg(Color::Red).bold(),
        ),
        Some(due) => Span::raw(format!(
            "next update in {} ({})",
            format_duration(due - now),
            look.clock.show(due, false)
        )),
        None if s.summary.status != crate::domain::event::Status::Active => {
            Span::raw("no more updates owed: the incident is no longer active")
        }
        None => Span::styled("no update promised yet", Style::new().fg(Color::Yellow)),
    };
    let audience = match audience {
        Audience::Internal => "INTERNAL",
        Audience::External => "EXTERNAL",
    };
    let kind = match draft.kind {
        DraftKind::Update => "update",
        DraftKind::Final => "final message",
    };
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(format!(" {audience} {kind} "), Style::new().reversed()),
            Span::raw(format!(" {} sent · ", s.comms.len())),
            due,
        ])),
        top,
    );
    let wide = rest.width >= 70;
    let (editor_area, check_area) = if wide {
        let [l, r] = Layout::horizontal([Constraint::Min(30), Constraint::Length(38)]).areas(rest);
        (l, r)
    } else {
        let n = draft.verdict.rules.len() as u16;
        let [t, b] = Layout::vertical([
            Constraint::Min(3),
            Constraint::Length(n.min(rest.height / 2)),
        ])
        .areas(rest);
        (t, b)
    };
    let mut editor = draft.editor.clone();
    let title = if editing {
        " draft (editing: esc to stop) "
    } else {
        " draft (e to edit) "
    };
    editor.set_block(Block::bordered().title(title).border_style(if editing {
        Style::new().fg(Color::Green)
    } else {
        Style::new()
    }));
    editor.set_cursor_line_style(Style::new());
    if !editing {
        editor.set_cursor_style(Style::new());
    }
    f.render_widget(&editor, editor_area);
    let verdict = &draft.verdict;
    let mut lines = Vec::new();
    let passed = verdict.rules.iter().filter(|r| r.passed).count();
    if wide {
        let head = if verdict.passed() {
            Span::styled(
                format!("READY {passed}/{}", verdict.rules.len()),
                Style::new().fg(Color::Green).bold(),
            )
        } else {
            Span::styled(
                format!("{passed}/{} checks pass", verdict.rules.len()),
                Style::new().fg(Color::Yellow).bold(),
            )
        };
        lines.push(Line::from(head));
    }
    for r in &verdict.rules {
        let (mark, style) = if r.passed {
            ("✓", Style::new().fg(Color::Green))
        } else {
            ("✗", Style::new().fg(Color::Red))
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{mark} "), style),
            Span::raw(r.label),
        ]));
        if !r.passed && wide {
            lines.push(Line::from(Span::styled(
                format!("  {}", r.hint),
                Style::new().fg(Color::DarkGray),
            )));
        }
    }
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), check_area);
}
