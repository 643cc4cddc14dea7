//! The `:` command line: any act on the open incident, typed in the words of the command
//! line without the incident (`:assign ol tomas`, `:outcome E2 T2=supports`, `:log rolled
//! back pay-3`). Tab completes verbs, roles, handles and board labels; Up and Down walk
//! the history, which is kept across runs; a mistake is answered with the same sentence
//! the command line would print, and the line stays open to fix it.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::ctx::Ctx;
use super::data::IncidentData;
use super::effect::Effect;
use crate::domain::describe::visible_line;
use crate::domain::event::Role;
use crate::verbs::{NAMES, Scene, parse_line, split_words};

/// How many lines of history are kept.
pub const HISTORY: usize = 500;

/// The line being typed.
#[derive(Debug, Default)]
pub struct CommandLine {
    pub text: String,
    /// The cursor, in characters.
    pub cursor: usize,
    /// Where Up/Down stand in the history (`None`: the line being typed).
    browsing: Option<usize>,
    /// The line as typed before Up was pressed.
    typed: String,
    /// Why the last Enter did not go through.
    pub error: Option<String>,
    /// What Tab offered when several words fit.
    pub offers: Vec<String>,
}

/// What a key did to the command line.
#[derive(Debug, PartialEq, Eq)]
pub enum CommandKey {
    Typing,
    Close,
    Submit,
}

impl CommandLine {
    pub fn new() -> Self {
        CommandLine::default()
    }

    fn byte_at(&self, chars: usize) -> usize {
        self.text
            .char_indices()
            .nth(chars)
            .map_or(self.text.len(), |(i, _)| i)
    }

    fn set(&mut self, text: String) {
        self.cursor = text.chars().count();
        self.text = text;
    }

    pub fn handle_key(
        &mut self,
        key: KeyEvent,
        history: &[String],
        data: Option<&IncidentData>,
    ) -> CommandKey {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if !matches!(key.code, KeyCode::Tab) {
            self.offers.clear();
        }
        match key.code {
            KeyCode::Esc => return CommandKey::Close,
            KeyCode::Char('c') if ctrl => return CommandKey::Close,
            KeyCode::Enter => return CommandKey::Submit,
            KeyCode::Char('u') if ctrl => {
                self.set(String::new());
            }
            KeyCode::Char(c) => {
                let at = self.byte_at(self.cursor);
                self.text.insert(at, c);
                self.cursor += 1;
                self.error = None;
            }
            KeyCode::Backspace => {
                if self.cursor > 0 {
                    let at = self.byte_at(self.cursor - 1);
                    self.text.remove(at);
                    self.cursor -= 1;
                } else if self.text.is_empty() {
                    return CommandKey::Close;
                }
            }
            KeyCode::Delete if self.cursor < self.text.chars().count() => {
                let at = self.byte_at(self.cursor);
                self.text.remove(at);
            }
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(self.text.chars().count()),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = self.text.chars().count(),
            KeyCode::Up => {
                let next = match self.browsing {
                    None if history.is_empty() => return CommandKey::Typing,
                    None => {
                        self.typed = self.text.clone();
                        history.len() - 1
                    }
                    Some(i) => i.saturating_sub(1),
                };
                self.browsing = Some(next);
                self.set(history[next].clone());
            }
            KeyCode::Down => match self.browsing {
                Some(i) if i + 1 < history.len() => {
                    self.browsing = Some(i + 1);
                    self.set(history[i + 1].clone());
                }
                Some(_) => {
                    self.browsing = None;
                    let typed = std::mem::take(&mut self.typed);
                    self.set(typed);
                }
                None => {}
            },
            KeyCode::Tab => self.complete(data),
            _ => {}
        }
        CommandKey::Typing
    }

    /// Completes the word before the cursor: alone, it is filled in; several, their common
    /// start is, and they are offered.
    fn complete(&mut self, data: Option<&IncidentData>) {
        let at = self.byte_at(self.cursor);
        let before = &self.text[..at];
        let start = before.rfind(char::is_whitespace).map_or(0, |i| {
            i + before[i..].chars().next().map_or(1, char::len_utf8)
        });
        let word = &before[start..];
        let earlier = split_words(&before[..start]).unwrap_or_default();
        let candidates = candidates(&earlier, data);
        let lower = word.to_ascii_lowercase();
        let fits: Vec<String> = candidates
            .into_iter()
            .filter(|c| c.to_ascii_lowercase().starts_with(&lower))
            .collect();
        let fill = match fits.as_slice() {
            [] => return,
            [one] => format!("{one} "),
            many => {
                self.offers = many.to_vec();
                common_prefix(many)
            }
        };
        if fill.chars().count() < word.chars().count() {
            return;
        }
        let rest = self.text[at..].to_string();
        let mut text = self.text[..start].to_string();
        text.push_str(&fill);
        self.cursor = text.chars().count();
        text.push_str(&rest);
        self.text = text;
    }
}

fn common_prefix(words: &[String]) -> String {
    let Some(first) = words.first() else {
        return String::new();
    };
    let mut n = first.len();
    for w in &words[1..] {
        n = first
            .char_indices()
            .zip(w.chars())
            .take_while(|((_, a), b)| a.eq_ignore_ascii_case(b))
            .last()
            .map_or(0, |((i, a), _)| i + a.len_utf8())
            .min(n);
    }
    first[..n].to_string()
}

/// What may come next after `earlier` words: verbs first, then what the verb takes.
fn candidates(earlier: &[String], data: Option<&IncidentData>) -> Vec<String> {
    let Some(verb) = earlier.first() else {
        return NAMES.iter().map(|s| s.to_string()).collect();
    };
    let Some(d) = data else {
        return Vec::new();
    };
    let s = &d.state;
    let handles = || {
        let mut h: Vec<String> = s.responders.keys().cloned().collect();
        h.extend(s.roster.commander.iter().cloned());
        h.sort();
        h.dedup();
        h
    };
    let labels = |prefix: &str, n: usize| (1..=n).map(|i| format!("{prefix}{i}")).collect();
    let args = earlier.len() - 1;
    match (verb.as_str(), args) {
        ("assign" | "release", 0) => Role::ALL.iter().map(|r| r.code().to_string()).collect(),
        ("assign", 1)
        | ("handover" | "grant" | "revoke-access", 0)
        | ("join" | "leave" | "awake" | "answer-command", _) => handles(),
        ("approve" | "deny", 0) => labels("C", s.change_requests.len()),
        ("outcome", _) => {
            let mut v: Vec<String> = labels("E", s.board.experiments.len());
            for (i, _) in s.board.theories.iter().enumerate() {
                for verdict in ["supports", "refutes", "inconclusive"] {
                    v.push(format!("T{}={verdict}", i + 1));
                }
            }
            v
        }
        ("experiment", _) => {
            let mut v = vec!["--tests".to_string()];
            v.extend(labels("T", s.board.theories.len()));
            v
        }
        ("stage", 0) => ["detect", "respond", "recover", "learn", "improve"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        ("unlink-alert", 0) => s
            .linked_alerts()
            .map(|l| l.fingerprint.clone())
            .filter(|f| !f.chars().any(|c| c.is_whitespace() || c.is_control()))
            .collect(),
        ("unlink-alert", _) => vec!["--reason".into()],
        ("severity", 0) => vec!["1".into(), "2".into(), "3".into()],
        ("impact", 0) => vec!["started".into(), "detected".into(), "ended".into()],
        ("send", _) => vec![
            "--audience".into(),
            "internal".into(),
            "external".into(),
            "--final".into(),
            "--override".into(),
        ],
        _ => handles(),
    }
}

/// Enter: plans the line on the open incident and records it, or says what is wrong.
pub fn submit(ctx: &mut Ctx, line: &mut CommandLine) -> Vec<Effect> {
    let Some(d) = ctx.data else {
        line.error = Some("open an incident first".into());
        return Vec::new();
    };
    let typed = line.text.trim().to_string();
    let verb = match parse_line(&typed, &d.id.to_string()) {
        Ok(v) => v,
        Err(e) => {
            line.error = Some(e);
            return Vec::new();
        }
    };
    let events: Vec<&crate::domain::event::Event> = d
        .confirmed
        .iter()
        .chain(
            d.pending
                .iter()
                .filter(|p| p.rejected.is_none())
                .map(|p| &p.event),
        )
        .collect();
    let read = |path: &str| {
        if path == "-" {
            Err("the console has no standard input: name a file".to_string())
        } else {
            std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))
        }
    };
    let scene = Scene {
        state: &d.state,
        events,
        me: ctx.handle,
        now: ctx.now,
        local: ctx.clock.offset_at(ctx.now),
        read: &read,
        languages: ctx.languages,
    };
    let plan = match verb.plan(&scene) {
        Ok(p) => p,
        Err(e) => {
            line.error = Some(e);
            return Vec::new();
        }
    };
    let remember = Effect::RememberCommand(typed);
    if plan.events.is_empty() {
        ctx.close_overlay();
        ctx.say(plan.said);
        return vec![remember];
    }
    let mut effects = ctx.record(plan.events, plan.said);
    if effects.is_empty() {
        // The rule book refused it: the reason stays in the line, which stays open.
        line.error = ctx.message.take().map(|(m, _)| m);
        return Vec::new();
    }
    effects.push(remember);
    effects
}

/// Draws the line at the bottom of `area`, with its error or what Tab offers above it.
pub fn draw(line: &CommandLine, f: &mut Frame, area: Rect) {
    let note = match (&line.error, line.offers.is_empty()) {
        (Some(e), _) => Some(Line::from(Span::styled(
            visible_line(e).into_owned(),
            Style::new().fg(Color::Red),
        ))),
        (None, false) => Some(Line::from(Span::styled(
            line.offers.join("  "),
            Style::new().fg(Color::DarkGray),
        ))),
        (None, true) => None,
    };
    let note_height = match &note {
        Some(n) => (n.width() as u16)
            .div_ceil(area.width.saturating_sub(2).max(1))
            .clamp(1, 4),
        None => 0,
    };
    let height = (note_height + 3).min(area.height);
    let rect = Rect {
        x: area.x,
        y: area.y + area.height.saturating_sub(height),
        width: area.width,
        height,
    };
    f.render_widget(Clear, rect);
    let block = Block::bordered()
        .title(" : act on this incident · Tab completes · ↑↓ history · Esc closes ");
    let inner = block.inner(rect);
    f.render_widget(block, rect);
    let mut lines = Vec::new();
    if let Some(n) = note {
        lines.push(n);
    }
    // The typed line, scrolled so the cursor shows.
    let width = inner.width.saturating_sub(2) as usize;
    let shown: String = visible_line(&line.text).into_owned();
    let skip = line.cursor.saturating_sub(width.saturating_sub(1));
    let visible: String = shown.chars().skip(skip).take(width).collect();
    lines.push(Line::from(vec![Span::raw(":"), Span::raw(visible)]));
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
    let cursor_x = inner.x + 1 + (line.cursor - skip) as u16;
    f.set_cursor_position((
        cursor_x.min(inner.right().saturating_sub(1)),
        inner.bottom().saturating_sub(1),
    ));
}
