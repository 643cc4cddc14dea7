//! The quick chooser: the common acts in as few keys as the words need. A small box asks
//! its questions one at a time, each answered by one key shown beside it (`T1: s
//! supports · r refutes · i inconclusive`, `o OL`), then takes one line of text, with Tab
//! completing it from a list (the responders on the incident) and Enter finishing.
//! Backspace goes back a question, Esc cancels, and a refused act says why in the box,
//! which stays open to fix it. Acts with more to say than a line (a handover's brief) offer
//! Ctrl-E to open their whole form instead.
//!
//! Like a form, a chooser names what it is for ([`Purpose`]); the pane that opens it reads
//! the answers back in [`Picked`].

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use ratatui_textarea::{CursorMove, TextArea};

use super::form::Purpose;
use crate::domain::describe::{clip, visible_line};

/// A question answered by one key.
pub struct Question {
    pub label: String,
    /// Each answer's key and what it means.
    pub options: Vec<(char, String)>,
}

impl Question {
    pub fn new(label: impl Into<String>, options: &[(char, &str)]) -> Question {
        Question {
            label: label.into(),
            options: options.iter().map(|(k, t)| (*k, t.to_string())).collect(),
        }
    }

    /// The answer `c` picks: its own key, else the same letter in the other case.
    fn pick(&self, c: char) -> Option<char> {
        self.options
            .iter()
            .find(|(k, _)| *k == c)
            .or_else(|| {
                self.options
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(&c))
            })
            .map(|(k, _)| *k)
    }

    fn meaning(&self, key: char) -> &str {
        self.options
            .iter()
            .find(|(k, _)| *k == key)
            .map_or("", |(_, t)| t.as_str())
    }
}

/// The line of text that closes a chooser.
pub struct Entry {
    pub label: &'static str,
    pub hint: String,
    pub editor: TextArea<'static>,
    /// What Tab completes to (handles), in the order offered.
    pub completions: Vec<String>,
    /// What was typed before Tab, and which of its completions is shown.
    cycle: Option<(String, usize)>,
}

impl Entry {
    pub fn new(label: &'static str, hint: impl Into<String>) -> Entry {
        Entry {
            label,
            hint: hint.into(),
            editor: TextArea::new(vec![String::new()]),
            completions: Vec::new(),
            cycle: None,
        }
    }

    /// Tab completes from `completions`.
    pub fn completing(mut self, completions: Vec<String>) -> Entry {
        self.completions = completions;
        self
    }

    pub fn value(&self) -> String {
        self.editor.lines().join(" ").trim().to_string()
    }

    fn set(&mut self, text: &str) {
        self.editor = TextArea::new(vec![text.to_string()]);
        self.editor.move_cursor(CursorMove::End);
    }

    /// The completions of `typed`: those it starts (any case), in order.
    fn matching(&self, typed: &str) -> Vec<&String> {
        let typed = typed.to_lowercase();
        self.completions
            .iter()
            .filter(|c| c.to_lowercase().starts_with(&typed))
            .collect()
    }

    /// Tab (or Shift-Tab, backwards): the next completion of what was typed.
    fn complete(&mut self, forward: bool) -> Result<(), String> {
        let value = self.value();
        let (typed, at) = match &self.cycle {
            Some((typed, i)) if self.matching(typed).get(*i).is_some_and(|m| **m == value) => {
                (typed.clone(), Some(*i))
            }
            _ => (value.clone(), None),
        };
        let found = self.matching(&typed);
        let n = found.len();
        if n == 0 {
            return Err(format!("nobody here starts with `{typed}`"));
        }
        let i = match (at, forward) {
            (None, true) => 0,
            (None, false) => n - 1,
            (Some(i), true) => (i + 1) % n,
            (Some(i), false) => (i + n - 1) % n,
        };
        let chosen = found[i].clone();
        self.set(&chosen);
        self.cycle = Some((typed, i));
        Ok(())
    }
}

pub struct Chooser {
    pub title: String,
    pub purpose: Purpose,
    /// Lines shown under the title: what the act is about (the checks that fail, the
    /// start of a brief).
    pub about: Vec<String>,
    pub questions: Vec<Question>,
    /// The keys answered so far, one per question in order.
    pub picked: Vec<char>,
    /// The line of text after the questions, if the act takes one.
    pub entry: Option<Entry>,
    /// What Ctrl-E opens instead (the whole form), if anything.
    pub more: Option<&'static str>,
    /// Why the last answer or submission was refused; the chooser stays open to fix it.
    pub error: Option<String>,
}

/// What a key did to a chooser.
#[derive(Debug, PartialEq, Eq)]
pub enum ChooseOutcome {
    Choosing,
    Submit,
    Cancel,
    /// Ctrl-E: open the act's whole form instead.
    More,
}

/// A chooser's answers, for the code that handles them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Picked {
    pub purpose: Purpose,
    /// The key answered to each question, in order.
    pub keys: Vec<char>,
    /// The line of text (empty without one).
    pub text: String,
}

impl Chooser {
    pub fn new(title: impl Into<String>, purpose: Purpose) -> Chooser {
        Chooser {
            title: title.into(),
            purpose,
            about: Vec::new(),
            questions: Vec::new(),
            picked: Vec::new(),
            entry: None,
            more: None,
            error: None,
        }
    }

    pub fn about(mut self, lines: Vec<String>) -> Chooser {
        self.about = lines;
        self
    }

    pub fn ask(mut self, question: Question) -> Chooser {
        self.questions.push(question);
        self
    }

    pub fn then(mut self, entry: Entry) -> Chooser {
        self.entry = Some(entry);
        self
    }

    pub fn or_more(mut self, what: &'static str) -> Chooser {
        self.more = Some(what);
        self
    }

    pub fn picked(&self) -> Picked {
        Picked {
            purpose: self.purpose.clone(),
            keys: self.picked.clone(),
            text: self.entry.as_ref().map(Entry::value).unwrap_or_default(),
        }
    }

    /// The question waiting for its key, if any.
    fn asking(&self) -> Option<&Question> {
        self.questions.get(self.picked.len())
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> ChooseOutcome {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => return ChooseOutcome::Cancel,
            KeyCode::Char('c') if ctrl => return ChooseOutcome::Cancel,
            KeyCode::Char('e') if ctrl && self.more.is_some() => return ChooseOutcome::More,
            _ => {}
        }
        let asking = self.picked.len();
        if let Some(q) = self.questions.get(asking) {
            return match key.code {
                KeyCode::Backspace => {
                    self.picked.pop();
                    self.error = None;
                    ChooseOutcome::Choosing
                }
                KeyCode::Char(c) if !ctrl => match q.pick(c) {
                    Some(k) => {
                        self.picked.push(k);
                        self.error = None;
                        if self.asking().is_none() && self.entry.is_none() {
                            ChooseOutcome::Submit
                        } else {
                            ChooseOutcome::Choosing
                        }
                    }
                    None => {
                        let keys: Vec<String> =
                            q.options.iter().map(|(k, _)| k.to_string()).collect();
                        self.error = Some(format!("press one of {}", keys.join(", ")));
                        ChooseOutcome::Choosing
                    }
                },
                _ => ChooseOutcome::Choosing,
            };
        }
        let answered = !self.picked.is_empty();
        let Some(entry) = self.entry.as_mut() else {
            return ChooseOutcome::Submit;
        };
        match key.code {
            KeyCode::Enter => return ChooseOutcome::Submit,
            KeyCode::Char('s' | 'm') if ctrl => return ChooseOutcome::Submit,
            KeyCode::Tab | KeyCode::BackTab => {
                if !entry.completions.is_empty() {
                    self.error = entry.complete(key.code == KeyCode::Tab).err();
                }
                return ChooseOutcome::Choosing;
            }
            KeyCode::Backspace if answered && entry.value().is_empty() => {
                self.picked.pop();
                self.error = None;
                return ChooseOutcome::Choosing;
            }
            _ => {}
        }
        if entry.editor.input(key) {
            entry.cycle = None;
            self.error = None;
        }
        ChooseOutcome::Choosing
    }

    /// The lines drawn above the entry: what the act is about, and each question.
    fn lines(&self, width: usize) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
        let about: Vec<Line> = self
            .about
            .iter()
            .flat_map(|l| wrap(&visible_line(l), width))
            .map(Line::from)
            .collect();
        let mut lines: Vec<Line> = Vec::new();
        let key_style = Style::new().fg(Color::Black).bg(Color::Cyan).bold();
        for (i, q) in self.questions.iter().enumerate() {
            // The keys of the question asked keep their room; its label is cut to fit.
            let keys: usize = q
                .options
                .iter()
                .map(|(_, meaning)| 7 + meaning.chars().count())
                .sum();
            let room = if i == self.picked.len() {
                width.saturating_sub(keys + 2).max(8)
            } else {
                width.saturating_sub(2)
            };
            let label = Span::styled(
                format!("{}: ", clip(&visible_line(&q.label), room)),
                Style::new().bold(),
            );
            let line = match self.picked.get(i) {
                Some(k) => Line::from(vec![
                    label,
                    Span::styled(q.meaning(*k).to_string(), Style::new().fg(Color::Green)),
                ]),
                None if i == self.picked.len() => {
                    let mut spans = vec![label];
                    for (n, (k, meaning)) in q.options.iter().enumerate() {
                        if n > 0 {
                            spans.push(Span::raw(" · "));
                        }
                        spans.push(Span::styled(format!(" {k} "), key_style));
                        spans.push(Span::raw(format!(" {meaning}")));
                    }
                    Line::from(spans)
                }
                None => Line::from(Span::styled(
                    format!("{}: …", visible_line(&q.label)),
                    Style::new().fg(Color::DarkGray),
                )),
            };
            lines.push(line);
        }
        (about, lines)
    }

    /// How many screen rows the chooser wants, `width` columns inside its border.
    pub fn height(&self, width: usize) -> u16 {
        let about: usize = self.about.iter().map(|l| wrap(l, width).len()).sum();
        let rows = about + self.questions.len() + usize::from(self.tail_rows()) + 2;
        u16::try_from(rows).unwrap_or(u16::MAX)
    }

    /// The rows under the questions: the entry's label, its line and what Tab completes
    /// to, and the reason a key or submission was refused.
    fn tail_rows(&self) -> u16 {
        match &self.entry {
            Some(e) if !e.completions.is_empty() => 4,
            Some(_) => 3,
            None => 1,
        }
    }
}

/// `text` in lines of at most `width` columns, broken between words (a word longer than
/// a line is cut), the lines after the first indented by two.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(8);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let len = line.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if line.is_empty() {
            if !lines.is_empty() {
                line.push_str("  ");
            }
        } else {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines.into_iter().map(|l| clip(&l, width)).collect()
}

/// Draws the chooser in the middle of `area`: what it is about, each question with its
/// keys (or the answer given), the line of text with what Tab completes to, and why the
/// last answer was refused.
pub fn draw(chooser: &Chooser, f: &mut Frame, area: Rect) {
    let w = area.width.saturating_sub(4).clamp(1, 100);
    let h = chooser
        .height(usize::from(w.saturating_sub(2)))
        .min(area.height);
    let rect = Rect::new(
        area.x + (area.width.saturating_sub(w)) / 2,
        area.y + (area.height.saturating_sub(h)) / 2,
        w,
        h,
    );
    f.render_widget(Clear, rect);
    let typing = chooser.asking().is_none();
    let mut keys = if typing {
        let mut k = String::from(" enter: done");
        if chooser
            .entry
            .as_ref()
            .is_some_and(|e| !e.completions.is_empty())
        {
            k.push_str(" · tab: complete");
        }
        k
    } else {
        String::from(" a key answers")
    };
    if !chooser.picked.is_empty() {
        keys.push_str(" · backspace: back");
    }
    if let Some(more) = chooser.more {
        keys.push_str(&format!(" · ctrl-e: {more}"));
    }
    keys.push_str(" · esc: cancel ");
    let block = Block::bordered()
        .title(format!(" {} ", visible_line(&chooser.title)))
        .title_bottom(keys);
    let inner = block.inner(rect);
    f.render_widget(block, rect);
    let width = inner.width as usize;
    let bottom = inner.y + inner.height;
    // The questions and the entry keep their rows; what the act is about gets the rest.
    let (about, questions) = chooser.lines(width);
    let room = usize::from(inner.height.saturating_sub(chooser.tail_rows()));
    let keep = room.saturating_sub(questions.len()).min(about.len());
    let mut lines: Vec<Line> = about.into_iter().take(keep).collect();
    lines.extend(questions);
    let n = u16::try_from(lines.len())
        .unwrap_or(u16::MAX)
        .min(inner.height);
    f.render_widget(
        Paragraph::new(lines),
        Rect::new(inner.x, inner.y, inner.width, n),
    );
    let mut y = inner.y + n;
    if let Some(entry) = &chooser.entry
        && y < bottom
    {
        let label_style = if typing {
            Style::new().fg(Color::Cyan).bold()
        } else {
            Style::new().fg(Color::DarkGray)
        };
        let hint = if entry.hint.is_empty() {
            String::new()
        } else {
            format!("  ({})", entry.hint)
        };
        f.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled(entry.label, label_style),
                Span::styled(hint, Style::new().fg(Color::DarkGray)),
            ])),
            Rect::new(inner.x, y, inner.width, 1),
        );
        y += 1;
        if y < bottom {
            let mut editor = entry.editor.clone();
            editor.set_cursor_line_style(Style::new());
            if !typing {
                editor.set_cursor_style(Style::new());
            }
            f.render_widget(
                &editor,
                Rect::new(inner.x + 1, y, inner.width.saturating_sub(1), 1),
            );
            y += 1;
        }
        let offered = entry.matching(&entry.value());
        if y < bottom && typing && !offered.is_empty() {
            let names: Vec<&str> = offered.iter().map(|s| s.as_str()).collect();
            f.render_widget(
                Paragraph::new(Span::styled(
                    clip(&visible_line(&format!("tab: {}", names.join(" · "))), width),
                    Style::new().fg(Color::DarkGray),
                )),
                Rect::new(inner.x, y, inner.width, 1),
            );
        }
        if !entry.completions.is_empty() {
            y += 1;
        }
    }
    if let Some(err) = &chooser.error
        && y < bottom
    {
        f.render_widget(
            Paragraph::new(Span::styled(
                err.clone(),
                Style::new().fg(Color::Red).bold(),
            ))
            .wrap(Wrap { trim: true }),
            Rect::new(inner.x, y, inner.width, bottom - y),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    fn verdicts() -> Chooser {
        let options = [('s', "supports"), ('r', "refutes"), ('i', "inconclusive")];
        Chooser::new("Outcome", Purpose::Theory)
            .ask(Question::new("T1", &options))
            .ask(Question::new("T3", &options))
            .then(Entry::new("Notes", "optional"))
    }

    #[test]
    fn one_key_answers_each_question_then_enter_finishes() {
        let mut c = verdicts();
        assert_eq!(
            c.handle_key(key(KeyCode::Char('x'))),
            ChooseOutcome::Choosing
        );
        assert_eq!(c.error.as_deref(), Some("press one of s, r, i"));
        assert!(
            c.picked.is_empty(),
            "a key that answers nothing is no answer"
        );
        assert_eq!(
            c.handle_key(key(KeyCode::Char('r'))),
            ChooseOutcome::Choosing
        );
        assert_eq!(c.error, None);
        // Capitals answer too.
        assert_eq!(
            c.handle_key(key(KeyCode::Char('S'))),
            ChooseOutcome::Choosing
        );
        // From here the keys are words: `r` is a letter of the notes.
        for ch in "rs".chars() {
            c.handle_key(key(KeyCode::Char(ch)));
        }
        assert_eq!(c.handle_key(key(KeyCode::Enter)), ChooseOutcome::Submit);
        let picked = c.picked();
        assert_eq!(picked.keys, vec!['r', 's']);
        assert_eq!(picked.text, "rs");
    }

    #[test]
    fn backspace_goes_back_a_question_once_the_line_is_empty() {
        let mut c = verdicts();
        c.handle_key(key(KeyCode::Char('s')));
        c.handle_key(key(KeyCode::Char('i')));
        c.handle_key(key(KeyCode::Char('a')));
        c.handle_key(key(KeyCode::Backspace));
        assert_eq!(
            c.picked,
            vec!['s', 'i'],
            "the first backspace deletes the text"
        );
        c.handle_key(key(KeyCode::Backspace));
        assert_eq!(c.picked, vec!['s']);
        c.handle_key(key(KeyCode::Backspace));
        c.handle_key(key(KeyCode::Backspace));
        assert!(c.picked.is_empty());
        assert_eq!(c.handle_key(key(KeyCode::Esc)), ChooseOutcome::Cancel);
    }

    #[test]
    fn questions_alone_finish_on_the_last_key() {
        let mut c = Chooser::new("Role", Purpose::AssignRole)
            .ask(Question::new("Role", &[('o', "OL"), ('c', "CL")]));
        assert_eq!(c.handle_key(key(KeyCode::Char('c'))), ChooseOutcome::Submit);
        assert_eq!(c.picked().keys, vec!['c']);
    }

    #[test]
    fn tab_completes_from_the_list_and_cycles_through_the_matches() {
        let names = vec!["tomas".to_string(), "tanya".into(), "amira".into()];
        let mut c = Chooser::new("Assign", Purpose::AssignRole)
            .then(Entry::new("Responder", "").completing(names));
        c.handle_key(key(KeyCode::Char('t')));
        c.handle_key(key(KeyCode::Tab));
        assert_eq!(c.picked().text, "tomas");
        c.handle_key(key(KeyCode::Tab));
        assert_eq!(
            c.picked().text,
            "tanya",
            "again: the next that starts with t"
        );
        c.handle_key(key(KeyCode::Tab));
        assert_eq!(c.picked().text, "tomas", "and round again");
        c.handle_key(key(KeyCode::BackTab));
        assert_eq!(c.picked().text, "tanya");
        // Typing starts a new completion from what is there.
        for _ in 0.."tanya".len() {
            c.handle_key(key(KeyCode::Backspace));
        }
        c.handle_key(key(KeyCode::Char('A')));
        c.handle_key(key(KeyCode::Tab));
        assert_eq!(c.picked().text, "amira");
        c.handle_key(key(KeyCode::Char('x')));
        c.handle_key(key(KeyCode::Tab));
        assert_eq!(c.error.as_deref(), Some("nobody here starts with `amirax`"));
        assert_eq!(c.picked().text, "amirax");
    }

    #[test]
    fn long_lines_about_the_act_wrap_between_words() {
        assert_eq!(
            wrap("✗ The impact on users: say what users see", 20),
            vec!["✗ The impact on", "  users: say what", "  users see"]
        );
        assert_eq!(wrap("", 20), vec![""]);
        let c = Chooser::new("Send?", Purpose::Theory)
            .about(vec!["one two three four".into()])
            .then(Entry::new("Reason", ""));
        // The lines, the entry's label and line, the error's row, the border.
        assert_eq!(c.height(100), 1 + 2 + 1 + 2);
        assert_eq!(c.height(9), 3 + 2 + 1 + 2, "one two / three / four");
    }

    #[test]
    fn ctrl_e_opens_the_whole_form_only_when_offered() {
        let mut c = Chooser::new("Hand over", Purpose::HandOver).then(Entry::new("New IC", ""));
        let ctrl_e = KeyEvent::new(KeyCode::Char('e'), KeyModifiers::CONTROL);
        assert_eq!(c.handle_key(ctrl_e), ChooseOutcome::Choosing);
        let mut c = c.or_more("edit the brief");
        assert_eq!(c.handle_key(ctrl_e), ChooseOutcome::More);
    }
}
