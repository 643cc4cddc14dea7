//! The comms pane (4): drafting status updates, one draft for the team inside and one for
//! customers outside. Each draft is a real editor, checked on every keystroke against the
//! checklist of a good update (the impact and who is affected, where things stand, next
//! steps, when the next update comes; short and free of internal detail outside), and
//! saved as typed so neither a crash nor a closed terminal loses it. Templates start a draft; sending records the update on the timeline with its
//! checklist (a reason is asked for when checks fail), promises the next one, and hands it
//! to the audience's webhook. The top line says when the next update is due, in red when
//! it is overdue.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui_textarea::{CursorMove, TextArea};

use super::Pane;
use crate::domain::comms::{DraftKind, Rule, Verdict, blank_columns};
use crate::domain::describe::visible;
use crate::domain::entry::wrap;
use crate::domain::event::{Audience, EventKind, Severity, Status};
use crate::domain::incident::Incident;
use crate::domain::metrics::format_duration;
use crate::domain::templates::{Template, next_update_time};
use crate::tui::action::Action;
use crate::tui::ctx::{Ctx, Look};
use crate::tui::drafts::{Draft, audience_index};
use crate::tui::effect::Effect;
use crate::tui::fit;
use crate::tui::overlay::choose::{Chooser, Entry, Picked};
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

/// Keys while editing: all go to the editor but Esc, which stops editing, Tab and
/// Shift-Tab, which select the next or previous blank left from a template (`<how
/// many>`) so typing replaces it, and Ctrl-S, which sends.
pub fn edit_key(ctx: &mut Ctx, mut c: Comms, key: KeyEvent) -> Vec<Effect> {
    if key.code == KeyCode::Esc {
        *c.editing = false;
        return Vec::new();
    }
    if key.code == KeyCode::Char('s') && key.modifiers.contains(KeyModifiers::CONTROL) {
        *c.editing = false;
        return act(ctx, c, Action::SendUpdate);
    }
    if matches!(key.code, KeyCode::Tab | KeyCode::BackTab) {
        let forward = key.code == KeyCode::Tab;
        if !select_blank(&mut c.draft_mut().editor, forward) {
            ctx.say("no <…> blank left to fill in: ctrl-s sends");
        }
        return Vec::new();
    }
    let changed = c.draft_mut().editor.input(key);
    if !changed {
        return Vec::new();
    }
    c.recheck(severity(ctx));
    c.save_effect(ctx)
}

/// Selects the next blank after the cursor (or, backwards, the one before the selection
/// or cursor), round to the first (or last) at the end; false if none is left.
fn select_blank(editor: &mut TextArea<'static>, forward: bool) -> bool {
    let blanks: Vec<(usize, usize, usize)> = editor
        .lines()
        .iter()
        .enumerate()
        .flat_map(|(row, line)| {
            blank_columns(line)
                .into_iter()
                .map(move |(start, end)| (row, start, end))
        })
        .collect();
    let cursor = editor.cursor();
    let cursor = (cursor.0, cursor.1);
    let chosen = if forward {
        blanks
            .iter()
            .find(|(row, start, _)| (*row, *start) >= cursor)
            .or(blanks.first())
    } else {
        let from = editor.selection_range().map_or(cursor, |(start, _)| start);
        blanks
            .iter()
            .rev()
            .find(|(row, start, _)| (*row, *start) < from)
            .or(blanks.last())
    };
    let Some(&(row, start, end)) = chosen else {
        return false;
    };
    let at = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
    editor.cancel_selection();
    editor.move_cursor(CursorMove::Jump(at(row), at(start)));
    editor.start_selection();
    editor.move_cursor(CursorMove::Jump(at(row), at(end)));
    true
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
                vec![Field::line(
                    TEMPLATE,
                    suggested.name(),
                    format!(
                        "{}; update and external start from the last one sent",
                        names.join(" · ")
                    ),
                )],
            );
        }
        Action::SendUpdate => {
            if c.draft().is_empty() {
                ctx.complain("the draft is empty: press e to write, t for a template");
            } else if c.draft().verdict.passed() {
                let audience = *c.audience;
                return send(ctx, c, audience, None);
            } else {
                // Each failing check in words: what it wants, and what to do about it.
                let failed: Vec<String> = c
                    .draft()
                    .verdict
                    .failed()
                    .map(|r| format!("✗ {}: {}", r.label, r.hint))
                    .collect();
                let chooser = Chooser::new(
                    format!("Send with {} failing check(s)?", failed.len()),
                    Purpose::SendOverride {
                        audience: *c.audience,
                    },
                )
                .about(failed)
                .then(Entry::new(
                    REASON,
                    "why it goes out as it is; kept with the update",
                ));
                ctx.open_chooser(chooser);
            }
        }
        _ => {}
    }
    Vec::new()
}

/// A submitted comms form.
pub fn submit(ctx: &mut Ctx, c: Comms, form: &Answers) -> Vec<Effect> {
    match form.purpose {
        Purpose::SendOverride { audience } => send_anyway(ctx, c, audience, form.value(REASON)),
        Purpose::Template => apply_template(ctx, c, &form.value(TEMPLATE)),
        _ => Vec::new(),
    }
}

/// An answered send prompt: the reason to send a draft that fails checks.
pub fn submit_picked(ctx: &mut Ctx, c: Comms, picked: &Picked) -> Vec<Effect> {
    let Purpose::SendOverride { audience } = picked.purpose else {
        return Vec::new();
    };
    send_anyway(ctx, c, audience, picked.text.clone())
}

/// Sends a draft that fails checks, the reason kept with it.
fn send_anyway(ctx: &mut Ctx, c: Comms, audience: Audience, reason: String) -> Vec<Effect> {
    if reason.is_empty() {
        return ctx.refuse("give the reason for sending with failed checks".into());
    }
    send(ctx, c, audience, Some(reason))
}

/// Starts the draft from template `name`; an update to an audience already written to
/// starts from the last update sent to it instead, its facts kept and its title and times
/// brought up to date. The first blank is selected, so typing replaces it.
fn apply_template(ctx: &mut Ctx, mut c: Comms, name: &str) -> Vec<Effect> {
    let Some(t) = Template::parse(name) else {
        let names: Vec<&str> = Template::ALL.iter().map(|t| t.name()).collect();
        return ctx.refuse(format!("templates: {}", names.join(", ")));
    };
    let Some(d) = ctx.data else {
        return Vec::new();
    };
    let last = d
        .state
        .comms
        .iter()
        .rev()
        .find(|sent| sent.audience == t.audience())
        .filter(|_| t.kind() == DraftKind::Update && t != Template::First);
    let (text, said) = match last {
        Some(sent) => (
            t.follow_up(&sent.text, &d.state, ctx.now),
            format!(
                "started from the update sent at {}: its title and times brought up to \
                 date; change what has changed",
                ctx.clock.show(sent.at, false)
            ),
        ),
        None => (
            t.render(&d.state, ctx.now),
            format!(
                "{} template: type over each <…>, tab to the next, ctrl-s sends",
                t.name()
            ),
        ),
    };
    ctx.close_overlay();
    *c.audience = t.audience();
    let severity = severity(ctx);
    let audience = *c.audience;
    let draft = c.draft_mut();
    draft.kind = t.kind();
    draft.replace(&text, audience, severity);
    select_blank(&mut draft.editor, true);
    *ctx.focus = Pane::Comms;
    *c.editing = true;
    ctx.say(said);
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
                lang: None,
                versions: Vec::new(),
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

/// Draws the due line, the shown draft's editor and its checks: beside it when wide,
/// under it when narrow, failing ones first and scrolled by `scroll`; while the draft is
/// edited on a narrow pane, the editor takes the width and the checks a line above it.
pub fn draw(
    look: &Look,
    drafts: &[Draft; 2],
    audience: Audience,
    editing: bool,
    scroll: usize,
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
    let at = areas(rest, draft.verdict.rules.len(), editing);
    let (editor_area, check_area) = (at.editor, at.checks);
    let mut editor = draft.editor.clone();
    let title = if editing {
        " draft (editing: tab next <…> · ctrl-s send · esc stop) "
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
    if at.summary {
        f.render_widget(
            Paragraph::new(summary(&draft.verdict, check_area.width)),
            check_area,
        );
    } else {
        let lines = checklist(&draft.verdict, check_area, at.beside, scroll);
        f.render_widget(Paragraph::new(lines), check_area);
    }
}

/// The checklist beside the editor from this width, under it on narrower panes.
const BESIDE: u16 = 70;
/// While the draft is being edited on a pane narrower than this, the editor takes the
/// whole width and the checks one line.
const EDITING_BESIDE: u16 = 100;
/// The width of the checklist beside the editor.
const CHECKS_WIDTH: u16 = 38;

/// Where the editor and the checks go below the due line.
struct Areas {
    editor: Rect,
    checks: Rect,
    /// The checks beside the editor, each failing one with what to do about it.
    beside: bool,
    /// The checks as one line: how many pass, and which fail.
    summary: bool,
}

fn areas(rest: Rect, rules: usize, editing: bool) -> Areas {
    if editing && rest.width < EDITING_BESIDE {
        let [checks, editor] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(rest);
        return Areas {
            editor,
            checks,
            beside: false,
            summary: true,
        };
    }
    if rest.width >= BESIDE {
        let [editor, checks] =
            Layout::horizontal([Constraint::Min(30), Constraint::Length(CHECKS_WIDTH)]).areas(rest);
        return Areas {
            editor,
            checks,
            beside: true,
            summary: false,
        };
    }
    // The count line and one line per check, in at most half the height.
    let n = u16::try_from(rules + 1).unwrap_or(u16::MAX);
    let [editor, checks] = Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(n.min(rest.height / 2)),
    ])
    .areas(rest);
    Areas {
        editor,
        checks,
        beside: false,
        summary: false,
    }
}

/// "checks 5/10 — failing: title, summary, status, …", fitted to `width`.
fn summary(verdict: &Verdict, width: u16) -> Line<'static> {
    let passed = verdict.rules.iter().filter(|r| r.passed).count();
    let total = verdict.rules.len();
    let (text, style) = if verdict.passed() {
        (
            format!("checks {passed}/{total} — ready to send"),
            Style::new().fg(Color::Green).bold(),
        )
    } else {
        let failing: Vec<String> = verdict.failed().map(|r| r.id.replace('_', " ")).collect();
        (
            format!("checks {passed}/{total} — failing: {}", failing.join(", ")),
            Style::new().fg(Color::Yellow).bold(),
        )
    };
    Line::from(Span::styled(fit::clip(&text, usize::from(width)), style))
}

/// Each check as drawn `width` wide, failing ones first: its mark and label and, with
/// `hints`, what a failing one asks for.
fn check_lines(verdict: &Verdict, width: usize, hints: bool) -> Vec<Vec<Line<'static>>> {
    let mut rules: Vec<&Rule> = verdict.rules.iter().collect();
    rules.sort_by_key(|r| r.passed);
    let text = width.saturating_sub(2).max(1);
    rules
        .into_iter()
        .map(|r| {
            let (mark, style) = if r.passed {
                ("✓", Style::new().fg(Color::Green))
            } else {
                ("✗", Style::new().fg(Color::Red))
            };
            let mut lines: Vec<Line> = wrap(r.label, text)
                .into_iter()
                .enumerate()
                .map(|(i, l)| {
                    let lead = if i == 0 {
                        format!("{mark} ")
                    } else {
                        "  ".into()
                    };
                    Line::from(vec![Span::styled(lead, style), Span::raw(l)])
                })
                .collect();
            if hints && !r.passed {
                let grey = Style::new().fg(Color::DarkGray);
                lines.extend(
                    wrap(&visible(&r.hint), text)
                        .into_iter()
                        .map(|l| Line::from(Span::styled(format!("  {l}"), grey))),
                );
            }
            lines
        })
        .collect()
}

/// How many checks, of `heights` rows each, show from `scroll` in `rows` rows, keeping a
/// row for "N more" while any are left below.
fn shown_checks(heights: &[usize], scroll: usize, rows: usize) -> usize {
    let mut used = 0;
    let mut shown = 0;
    for (k, h) in heights.iter().enumerate().skip(scroll) {
        let more = usize::from(k + 1 < heights.len());
        if used + h + more > rows {
            break;
        }
        used += h;
        shown += 1;
    }
    shown
}

/// The furthest the checklist scrolls: to where the last checks fill its `rows`.
fn max_scroll(heights: &[usize], rows: usize) -> usize {
    let mut used = 0;
    let mut first = heights.len();
    while first > 0 && used + heights[first - 1] <= rows {
        used += heights[first - 1];
        first -= 1;
    }
    first.min(heights.len().saturating_sub(1))
}

/// The checklist in `area`: how many pass, then the checks from `scroll` on, failing ones
/// first, and how many more are above or below.
fn checklist(verdict: &Verdict, area: Rect, hints: bool, scroll: usize) -> Vec<Line<'static>> {
    let checks = check_lines(verdict, usize::from(area.width), hints);
    let heights: Vec<usize> = checks.iter().map(Vec::len).collect();
    let rows = usize::from(area.height).saturating_sub(1);
    let scroll = scroll.min(max_scroll(&heights, rows));
    let passed = verdict.rules.iter().filter(|r| r.passed).count();
    let total = verdict.rules.len();
    let mut head = vec![if verdict.passed() {
        Span::styled(
            format!("READY {passed}/{total}"),
            Style::new().fg(Color::Green).bold(),
        )
    } else {
        Span::styled(
            format!("{passed}/{total} checks pass"),
            Style::new().fg(Color::Yellow).bold(),
        )
    }];
    let grey = Style::new().fg(Color::DarkGray);
    if scroll > 0 {
        head.push(Span::styled(format!(" · ↑ {scroll} more"), grey));
    }
    let mut lines = vec![Line::from(head)];
    let mut shown = shown_checks(&heights, scroll, rows);
    for check in checks.iter().skip(scroll).take(shown) {
        lines.extend(check.iter().cloned());
    }
    if shown == 0 && scroll < checks.len() {
        // A check taller than the list: as much of it as fits.
        lines.extend(checks[scroll].iter().take(rows.saturating_sub(1)).cloned());
        shown = 1;
    }
    let below = checks.len().saturating_sub(scroll + shown);
    if below > 0 {
        lines.push(Line::from(Span::styled(
            format!("↓ {below} more · ↑↓ scroll"),
            grey,
        )));
    }
    lines
}

/// Scrolls the checklist of `draft` by `delta` checks, as far as there are checks to
/// show, in the comms pane at `pane` (its border included).
pub fn scroll_checks(draft: &Draft, editing: bool, pane: Rect, scroll: &mut usize, delta: isize) {
    let inner = Block::bordered().inner(pane);
    let [_, rest] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
    let at = areas(rest, draft.verdict.rules.len(), editing);
    if at.summary {
        return;
    }
    let heights: Vec<usize> = check_lines(&draft.verdict, usize::from(at.checks.width), at.beside)
        .iter()
        .map(Vec::len)
        .collect();
    let most = max_scroll(&heights, usize::from(at.checks.height).saturating_sub(1));
    let now = (*scroll).min(most) as isize;
    *scroll = now.saturating_add(delta).clamp(0, most as isize) as usize;
}
