//! The comms pane (4): drafting status updates, one draft for the team inside and one for
//! customers outside. Each draft is a real editor, checked on every keystroke against the
//! checklist of a good update (the impact and who is affected, where things stand, next
//! steps, when the next update comes; short and free of internal detail outside), and
//! saved as typed so neither a crash nor a closed terminal loses it. Templates start a draft; sending records the update on the timeline with its
//! checklist (a reason is asked for when checks fail), promises the next one, and hands it
//! to the audience's webhook. The top line says when the next update is due, in red when
//! it is overdue.
//!
//! When the team writes external updates in several languages (`[comms] languages`), the
//! external draft holds one version per language: ctrl-l switches the version edited (the
//! pane's title names it), each is checked in its own language, the checklist ends with a
//! line on each other version, a template fills each from its own language's template, and
//! sending sends them all as one update, refused while any fails unless a reason is given.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui_textarea::{CursorMove, TextArea};

use super::Pane;
use crate::domain::comms::{DraftKind, Rule, Verdict, blank_columns, version_state};
use crate::domain::describe::visible;
use crate::domain::entry::wrap;
use crate::domain::event::{Audience, EventKind, Severity, Status};
use crate::domain::incident::Incident;
use crate::domain::lang::{CommsVersion, Lang};
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
    /// The external draft in the other configured languages, in their order.
    pub translations: &'a mut Vec<Draft>,
    /// Which version of the external draft is shown: 0 the primary language's, then each
    /// of `translations`.
    pub version: &'a mut usize,
    pub audience: &'a mut Audience,
    pub editing: &'a mut bool,
}

impl Comms<'_> {
    /// Whether the draft shown is written in several languages.
    fn multilingual(&self) -> bool {
        *self.audience == Audience::External && !self.translations.is_empty()
    }

    /// The translation shown, if one is.
    fn translation(&self) -> Option<usize> {
        self.version
            .checked_sub(1)
            .filter(|i| self.multilingual() && *i < self.translations.len())
    }

    fn draft(&self) -> &Draft {
        match self.translation() {
            Some(i) => &self.translations[i],
            None => &self.drafts[audience_index(*self.audience)],
        }
    }

    fn draft_mut(&mut self) -> &mut Draft {
        match self.translation() {
            Some(i) => &mut self.translations[i],
            None => &mut self.drafts[audience_index(*self.audience)],
        }
    }

    /// Every version of the draft shown, its primary language's first.
    fn versions(&self) -> Vec<&Draft> {
        let main = &self.drafts[audience_index(*self.audience)];
        if self.multilingual() {
            std::iter::once(main)
                .chain(self.translations.iter())
                .collect()
        } else {
            vec![main]
        }
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
                lang: self.translation().map(|i| self.translations[i].lang),
                text: self.draft().text(),
            }],
            None => Vec::new(),
        }
    }

    /// Saves every version of the draft shown.
    fn save_all(&self, ctx: &Ctx) -> Vec<Effect> {
        let Some(d) = ctx.data else {
            return Vec::new();
        };
        self.versions()
            .into_iter()
            .enumerate()
            .map(|(i, v)| Effect::SaveDraft {
                incident: d.id,
                audience: *self.audience,
                lang: (i > 0).then_some(v.lang),
                text: v.text(),
            })
            .collect()
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

/// Saved versions of the external draft arrived for the open incident.
pub fn set_versions(
    translations: &mut [Draft],
    severity: Option<Severity>,
    versions: Vec<(Lang, Option<String>)>,
) {
    for draft in translations.iter_mut() {
        let text = versions
            .iter()
            .find(|(l, _)| *l == draft.lang)
            .and_then(|(_, t)| t.as_deref())
            .unwrap_or("");
        draft.replace(text, Audience::External, severity);
    }
}

/// On resolving, the final messages come next: empty drafts (and versions) start from
/// their templates, each in its language.
pub fn start_final_messages(
    drafts: &mut [Draft; 2],
    translations: &mut [Draft],
    resolved: &Incident,
    now: chrono::DateTime<chrono::Utc>,
) {
    let severity = Some(resolved.summary.severity);
    let [internal, external] = drafts;
    let primary = external.lang;
    for (t, draft, audience) in
        std::iter::once((Template::FinalInternal, internal, Audience::Internal))
            .chain(std::iter::once((
                Template::FinalExternal,
                external,
                Audience::External,
            )))
            .chain(
                translations
                    .iter_mut()
                    .map(|d| (Template::FinalExternal, d, Audience::External)),
            )
    {
        if draft.is_empty() {
            draft.kind = t.kind();
            let text = t.render_version(resolved, now, draft.lang, primary);
            draft.replace(&text, audience, severity);
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
    if key.code == KeyCode::Char('l') && key.modifiers.contains(KeyModifiers::CONTROL) {
        return act(ctx, c, Action::SwitchLanguage);
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
            let kind = match c.draft().kind {
                DraftKind::Update => DraftKind::Final,
                DraftKind::Final => DraftKind::Update,
            };
            // Every version of an update is the same kind of message.
            let (audience, severity) = (*c.audience, severity(ctx));
            let multilingual = c.multilingual();
            let main = &mut c.drafts[audience_index(audience)];
            main.kind = kind;
            main.recheck(audience, severity);
            if multilingual {
                for d in c.translations.iter_mut() {
                    d.kind = kind;
                    d.recheck(audience, severity);
                }
            }
        }
        Action::SwitchLanguage => {
            if c.translations.is_empty() {
                ctx.say(
                    "external updates are written in one language: list more in the config \
                     file, e.g. [comms] languages = [\"en\", \"fr\"]",
                );
            } else if *c.audience == Audience::Internal {
                ctx.say("internal updates are one text: press a for the external draft");
            } else {
                *c.version = (*c.version + 1) % (c.translations.len() + 1);
                let lang = c.draft().lang;
                ctx.say(format!(
                    "writing the {} version of the external update",
                    lang.english_name()
                ));
            }
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
            let versions = c.versions();
            let several = versions.len() > 1;
            if let Some(empty) = versions.iter().find(|d| d.is_empty()) {
                if several {
                    ctx.complain(format!(
                        "the {} version is empty: ctrl-l to it, e to write, t for a template",
                        empty.lang.english_name()
                    ));
                } else {
                    ctx.complain("the draft is empty: press e to write, t for a template");
                }
            } else if versions.iter().all(|d| d.verdict.passed()) {
                let audience = *c.audience;
                return send(ctx, c, audience, None);
            } else {
                // Each failing check in words: what it wants, and what to do about it
                // (and, with several languages, in which version).
                let failed: Vec<String> = versions
                    .iter()
                    .flat_map(|d| {
                        let lang = several.then(|| format!("{} · ", d.lang.english_name()));
                        d.verdict.failed().map(move |r| {
                            format!("✗ {}{}: {}", lang.as_deref().unwrap_or(""), r.label, r.hint)
                        })
                    })
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
fn apply_template(ctx: &mut Ctx, c: Comms, name: &str) -> Vec<Effect> {
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
    *c.audience = t.audience();
    // Each version from its own language: the last update's version in it, or the
    // template in it.
    let langs: Vec<Lang> = c.versions().iter().map(|v| v.lang).collect();
    let texts: Vec<String> = langs
        .iter()
        .enumerate()
        .map(|(i, lang)| {
            let sent_text = last.and_then(|sent| {
                if sent.lang == Some(*lang) || (sent.lang.is_none() && i == 0) {
                    Some(sent.text.as_str())
                } else {
                    sent.versions
                        .iter()
                        .find(|v| v.lang == *lang)
                        .map(|v| v.text.as_str())
                }
            });
            match sent_text {
                Some(text) => t.follow_up(text, &d.state, ctx.now, *lang),
                None => t.render_version(
                    &d.state,
                    ctx.now,
                    *lang,
                    langs.first().copied().unwrap_or(*lang),
                ),
            }
        })
        .collect();
    let said = match last {
        Some(sent) => format!(
            "started from the update sent at {}: its title and times brought up to \
             date; change what has changed",
            ctx.clock.show(sent.at, false)
        ),
        None if langs.len() > 1 => format!(
            "{} template in each language: type over each <…>, tab to the next, ctrl-l \
             to the next language, ctrl-s sends",
            t.name()
        ),
        None => format!(
            "{} template: type over each <…>, tab to the next, ctrl-s sends",
            t.name()
        ),
    };
    ctx.close_overlay();
    let severity = severity(ctx);
    let audience = *c.audience;
    let multilingual = c.multilingual();
    for (i, text) in texts.iter().enumerate() {
        let draft = match i.checked_sub(1) {
            Some(k) if multilingual => &mut c.translations[k],
            _ => &mut c.drafts[audience_index(audience)],
        };
        draft.kind = t.kind();
        draft.replace(text, audience, severity);
        select_blank(&mut draft.editor, true);
    }
    *ctx.focus = Pane::Comms;
    *c.editing = true;
    ctx.say(said);
    c.save_all(ctx)
}

/// Records the update as sent (with its versions in the other languages, when the team
/// writes external updates in several), hands it to the webhook, and clears the draft.
fn send(
    ctx: &mut Ctx,
    c: Comms,
    audience: Audience,
    override_reason: Option<String>,
) -> Vec<Effect> {
    let now = ctx.now;
    let i = audience_index(audience);
    let multilingual = audience == Audience::External && !c.translations.is_empty();
    let text = c.drafts[i].text();
    let checklist = c.drafts[i].verdict.record();
    let versions: Vec<CommsVersion> = if multilingual {
        c.translations
            .iter()
            .map(|d| CommsVersion {
                lang: d.lang,
                text: d.text(),
                checklist: d.verdict.record(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let next_update_due = next_update_time(&text, now, ctx.clock.offset_at(now));
    let what = if multilingual {
        let names: Vec<&str> = std::iter::once(c.drafts[i].lang)
            .chain(versions.iter().map(|v| v.lang))
            .map(|l| l.english_name())
            .collect();
        format!("update sent in {}", names.join(" and "))
    } else {
        "update sent".to_string()
    };
    // The webhook gets every version, one after the other.
    let delivered = std::iter::once(text.clone())
        .chain(versions.iter().map(|v| v.text.clone()))
        .collect::<Vec<_>>()
        .join("\n\n———\n\n");
    let mut effects = ctx.record(
        vec![(
            now,
            EventKind::CommsSent {
                audience,
                text,
                checklist,
                override_reason,
                next_update_due,
                lang: (multilingual || audience == Audience::External).then_some(c.drafts[i].lang),
                versions,
            },
        )],
        match next_update_due {
            Some(t) => format!("{what}; next one due {}", t.format("%H:%M UTC")),
            None => what,
        },
    );
    if effects.is_empty() {
        return effects;
    }
    let severity = severity(ctx);
    *c.audience = audience;
    for d in
        std::iter::once(&mut c.drafts[i]).chain(c.translations.iter_mut().filter(|_| multilingual))
    {
        d.replace("", audience, severity);
        d.kind = DraftKind::Update;
    }
    *c.version = 0;
    *c.editing = false;
    effects.extend(c.save_all(ctx));
    effects.push(Effect::Webhook {
        audience,
        text: delivered,
    });
    effects
}

/// The comms pane's title: with several languages, which version of the external draft
/// is being written.
pub fn title(shown: &Shown) -> String {
    match shown.lang() {
        Some(lang) => format!(" 4 Comms · {} version ", lang.english_name()),
        None => " 4 Comms ".to_string(),
    }
}

/// The drafts as drawn.
pub struct Shown<'a> {
    pub drafts: &'a [Draft; 2],
    pub translations: &'a [Draft],
    pub version: usize,
    pub audience: Audience,
    pub editing: bool,
    pub scroll: usize,
}

impl Shown<'_> {
    fn multilingual(&self) -> bool {
        self.audience == Audience::External && !self.translations.is_empty()
    }

    /// The draft shown.
    fn draft(&self) -> &Draft {
        match self.version.checked_sub(1) {
            Some(i) if self.multilingual() && i < self.translations.len() => &self.translations[i],
            _ => &self.drafts[audience_index(self.audience)],
        }
    }

    /// The language of the version shown, when there are several.
    fn lang(&self) -> Option<Lang> {
        self.multilingual().then(|| self.draft().lang)
    }

    /// One line on each other version: “French: 2 checks failing”.
    fn others(&self) -> Option<String> {
        if !self.multilingual() {
            return None;
        }
        let shown = self.draft().lang;
        let main = &self.drafts[audience_index(self.audience)];
        let states: Vec<String> = std::iter::once(main)
            .chain(self.translations.iter())
            .filter(|d| d.lang != shown)
            .map(|d| {
                if d.is_empty() {
                    format!("{}: empty", d.lang.english_name())
                } else {
                    version_state(d.lang, &d.verdict)
                }
            })
            .collect();
        Some(states.join(" · "))
    }
}

/// Draws the due line, the shown draft's editor and its checks: beside it when wide,
/// under it when narrow, failing ones first and scrolled by `scroll`; while the draft is
/// edited on a narrow pane, the editor takes the width and the checks a line above it.
/// With several languages, the last line tells how each other version stands.
pub fn draw(look: &Look, shown: &Shown, f: &mut Frame, area: Rect) {
    let Some(d) = look.data else { return };
    let (audience, editing, scroll) = (shown.audience, shown.editing, shown.scroll);
    let s = &d.state;
    let now = look.now;
    let draft = shown.draft();
    let [top, rest] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    let others = shown.others();
    let (rest, others_area) = if others.is_some() {
        let [rest, line] =
            Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(rest);
        (rest, Some(line))
    } else {
        (rest, None)
    };
    if let (Some(text), Some(line)) = (others, others_area) {
        let ready = shown
            .translations
            .iter()
            .chain(std::iter::once(&shown.drafts[1]))
            .filter(|v| v.lang != draft.lang)
            .all(|v| !v.is_empty() && v.verdict.passed());
        let style = if ready {
            Style::new().fg(Color::Green)
        } else {
            Style::new().fg(Color::Yellow)
        };
        f.render_widget(
            Paragraph::new(Line::from(Span::styled(
                fit::clip(
                    &format!("also: {text} · ctrl-l switch"),
                    usize::from(line.width),
                ),
                style,
            ))),
            line,
        );
    }
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
    let lang = shown
        .lang()
        .map(|l| format!("· {} ", l.english_name()))
        .unwrap_or_default();
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(
                format!(" {audience} {kind} {lang}"),
                Style::new().reversed(),
            ),
            Span::raw(format!(" {} sent · ", s.comms.len())),
            due,
        ])),
        top,
    );
    let at = areas(rest, draft.verdict.rules.len(), editing);
    let (editor_area, check_area) = (at.editor, at.checks);
    let mut editor = draft.editor.clone();
    let title = match (editing, shown.lang()) {
        (true, None) => " draft (editing: tab next <…> · ctrl-s send · esc stop) ".to_string(),
        (false, None) => " draft (e to edit) ".to_string(),
        (true, Some(l)) => format!(
            " {} (editing: tab next <…> · ctrl-l language · ctrl-s send · esc stop) ",
            l.english_name()
        ),
        (false, Some(l)) => format!(" {} draft (e to edit · ctrl-l language) ", l.english_name()),
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
