//! The form overlay: whenever the incident commander records something with words in it
//! (a note, a theory, a handover brief, a reason), a box opens over the panes with one or
//! more labelled fields, each a text editor. Enter moves on and submits (Ctrl-S in a
//! multi-line field), Esc cancels, and a refused submission says why under the fields while
//! the form stays open to fix it.
//!
//! A form does not trap the hand. A one-line field that holds something when it gets the
//! focus (a value filled in for you, or what you typed before moving on) is selected, shown
//! reversed: the first character typed replaces it, Backspace clears it, and an arrow key,
//! Home or End keeps it and puts the cursor there to edit it. A multi-line field (a drafted
//! brief, a prompt to fill in) is text to edit and is never selected whole, nor is a
//! one-line draft (an entry's text to restate as an observation). Esc on a form
//! whose fields changed asks "discard what you typed? y/n" in the form before throwing
//! anything away; Esc on an untouched form (or on a search, a filter or a jump, which are
//! quick to type again) closes it at once.
//!
//! A form names what it is for ([`Purpose`]); the pane that opens a form also declares its
//! fields and reads them back by label when it is submitted.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use ratatui_textarea::TextArea;
use uuid::Uuid;

/// What a submitted form becomes, grouped by who opens the form and handles its
/// submission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Purpose {
    // The incident list
    Declare,
    /// Declaring from an alert above the list.
    DeclareFromAlert {
        alert: Box<crate::domain::alert::Alert>,
    },
    // The timeline
    Note,
    Search,
    Filter,
    JumpToTime,
    Impact(crate::domain::metrics::Mark),
    Redact {
        event: Uuid,
    },
    // Roles and responders
    AssignRole,
    Join,
    HandOver,
    ChangeRequest,
    Decide {
        request: Uuid,
        approve: bool,
    },
    AskCommand,
    TakeCommand,
    GrantAccess,
    /// Paging a team (IC or OL).
    Page,
    /// The IC's answer to a request for command (accepting carries the brief).
    AnswerCommand {
        request: Uuid,
        accept: bool,
    },
    // The board
    Observation {
        from_event: Option<Uuid>,
    },
    Theory,
    Experiment,
    Outcome {
        experiment: Uuid,
    },
    /// Amending a note, observation or theory.
    Amend {
        event: Uuid,
    },
    // Comms
    /// Send a draft that fails checks: the reason is recorded with it.
    SendOverride {
        audience: crate::domain::event::Audience,
    },
    Template,
    // Fatigue
    HealthCheck,
    AwakeSince,
    /// Ending the duty of those listed (everyone on duty, unless names are taken out).
    StandDown,
    // The incident as a whole
    Severity,
    Stage,
    Resolve,
    AddAction,
    Privacy,
}

impl Purpose {
    /// Whether Esc asks before throwing away what was typed: everywhere but the timeline's
    /// search, filter and jump, which steer the view and are quick to type again.
    pub fn asks_before_discarding(&self) -> bool {
        !matches!(
            self,
            Purpose::Search | Purpose::Filter | Purpose::JumpToTime
        )
    }
}

/// How the selected value of a focused field shows: reversed, like a selection anywhere.
fn selection_style() -> Style {
    Style::new().add_modifier(Modifier::REVERSED)
}

pub struct Field {
    pub label: &'static str,
    pub hint: String,
    pub editor: TextArea<'static>,
    pub multiline: bool,
    /// The value is a draft to edit (an entry's text to restate), never selected whole.
    pub draft: bool,
}

impl Field {
    pub fn line(label: &'static str, value: &str, hint: impl Into<String>) -> Field {
        let mut editor = TextArea::new(vec![value.to_string()]);
        editor.move_cursor(ratatui_textarea::CursorMove::End);
        editor.set_selection_style(selection_style());
        Field {
            label,
            hint: hint.into(),
            editor,
            multiline: false,
            draft: false,
        }
    }

    /// This one-line field holds a draft to edit: the cursor waits at its end and nothing
    /// is selected, so what is typed adds to it.
    pub fn to_edit(mut self) -> Field {
        self.draft = true;
        self
    }

    pub fn text(label: &'static str, value: &str, hint: impl Into<String>) -> Field {
        let lines: Vec<String> = if value.is_empty() {
            vec![String::new()]
        } else {
            value.lines().map(str::to_string).collect()
        };
        let mut editor = TextArea::new(lines);
        // Start at the top, where the text begins, ready to edit its first line.
        editor.move_cursor(ratatui_textarea::CursorMove::Top);
        editor.move_cursor(ratatui_textarea::CursorMove::End);
        Field {
            label,
            hint: hint.into(),
            editor,
            multiline: true,
            draft: true,
        }
    }

    pub fn value(&self) -> String {
        self.editor.lines().join("\n").trim().to_string()
    }

    /// Whether the whole value is selected, to be replaced by what is typed next.
    pub fn selected(&self) -> bool {
        self.editor.is_selecting()
    }

    /// On getting the focus: a one-line field holding something is selected whole, unless
    /// it is a draft to edit.
    fn select(&mut self) {
        if !self.draft && !self.editor.lines().concat().is_empty() {
            self.editor.select_all();
        }
    }

    /// On losing the focus: nothing stays selected.
    fn deselect(&mut self) {
        self.editor.cancel_selection();
    }
}

pub struct Form {
    pub title: String,
    pub purpose: Purpose,
    pub fields: Vec<Field>,
    pub focus: usize,
    /// Why the last submission was refused; the form stays open to fix it.
    pub error: Option<String>,
    /// Esc was pressed on a changed form: it asks "discard what you typed? y/n".
    pub asking_to_discard: bool,
    /// What each field held when the form opened, to tell whether anything changed.
    initial: Vec<String>,
}

/// How a field is named when its value is read: by its label, or by its place.
pub trait FieldRef {
    fn find(self, fields: &[Field]) -> Option<usize>;
}

impl FieldRef for &str {
    fn find(self, fields: &[Field]) -> Option<usize> {
        fields.iter().position(|f| f.label == self)
    }
}

impl FieldRef for usize {
    fn find(self, _: &[Field]) -> Option<usize> {
        Some(self)
    }
}

/// A submitted form: its purpose and each field's value under its label.
pub struct Answers {
    pub purpose: Purpose,
    values: Vec<(&'static str, String)>,
}

impl Answers {
    /// The value of the field labelled `label`; empty if the form has no such field.
    pub fn value(&self, label: &str) -> String {
        self.values
            .iter()
            .find(|(l, _)| *l == label)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
}

/// What a key did to a form.
#[derive(Debug, PartialEq, Eq)]
pub enum FormOutcome {
    Editing,
    Submit,
    Cancel,
}

impl Form {
    pub fn new(title: impl Into<String>, purpose: Purpose, fields: Vec<Field>) -> Form {
        let initial = fields.iter().map(Field::value).collect();
        let mut form = Form {
            title: title.into(),
            purpose,
            fields,
            focus: 0,
            error: None,
            asking_to_discard: false,
            initial,
        };
        form.focus_on(0);
        form
    }

    /// Moves the focus to field `i`; a one-line field holding something is selected.
    pub fn focus_on(&mut self, i: usize) {
        if let Some(f) = self.fields.get_mut(self.focus) {
            f.deselect();
        }
        self.focus = i.min(self.fields.len().saturating_sub(1));
        if let Some(f) = self.fields.get_mut(self.focus) {
            f.select();
        }
    }

    /// Whether any field holds something other than what it held when the form opened.
    pub fn changed(&self) -> bool {
        self.values() != self.initial
    }

    pub fn values(&self) -> Vec<String> {
        self.fields.iter().map(Field::value).collect()
    }

    /// A field's value, by label (or by place); empty if there is no such field.
    pub fn value(&self, field: impl FieldRef) -> String {
        field
            .find(&self.fields)
            .and_then(|i| self.fields.get(i))
            .map(Field::value)
            .unwrap_or_default()
    }

    /// What was typed, by label, for the code that handles the submission.
    pub fn answers(&self) -> Answers {
        Answers {
            purpose: self.purpose.clone(),
            values: self.fields.iter().map(|f| (f.label, f.value())).collect(),
        }
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> FormOutcome {
        let multiline = self.fields.get(self.focus).is_some_and(|f| f.multiline);
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if self.asking_to_discard {
            // Only y throws the typing away; n or Esc goes back to it.
            return match key.code {
                KeyCode::Char('y' | 'Y') if !ctrl => FormOutcome::Cancel,
                KeyCode::Char('n' | 'N') | KeyCode::Esc => {
                    self.asking_to_discard = false;
                    FormOutcome::Editing
                }
                _ => FormOutcome::Editing,
            };
        }
        match key.code {
            KeyCode::Esc => return self.cancel(),
            KeyCode::Char('c') if ctrl => return self.cancel(),
            KeyCode::Char('s') if ctrl => return FormOutcome::Submit,
            KeyCode::Enter if !multiline => {
                if self.focus + 1 < self.fields.len() {
                    self.focus_on(self.focus + 1);
                    return FormOutcome::Editing;
                }
                return FormOutcome::Submit;
            }
            KeyCode::Tab | KeyCode::Down if !multiline || key.code == KeyCode::Tab => {
                self.focus_on((self.focus + 1) % self.fields.len().max(1));
                return FormOutcome::Editing;
            }
            KeyCode::BackTab | KeyCode::Up if !multiline || key.code == KeyCode::BackTab => {
                let n = self.fields.len().max(1);
                self.focus_on((self.focus + n - 1) % n);
                return FormOutcome::Editing;
            }
            _ => {}
        }
        let Some(f) = self.fields.get_mut(self.focus) else {
            return FormOutcome::Editing;
        };
        let plain = !key.modifiers.contains(KeyModifiers::SHIFT) && !ctrl;
        let keep = match key.code {
            KeyCode::Left | KeyCode::Home => Some(ratatui_textarea::CursorMove::Head),
            KeyCode::Right | KeyCode::End => Some(ratatui_textarea::CursorMove::End),
            _ => None,
        };
        match keep {
            // A selected value is kept for editing: the cursor goes to its start or end.
            Some(to) if plain && f.selected() => {
                f.deselect();
                f.editor.move_cursor(to);
            }
            _ => {
                f.editor.input(key);
                self.error = None;
            }
        }
        FormOutcome::Editing
    }

    /// Esc: an untouched form closes; a changed one asks first (see [`Purpose`]).
    fn cancel(&mut self) -> FormOutcome {
        if self.purpose.asks_before_discarding() && self.changed() {
            self.asking_to_discard = true;
            FormOutcome::Editing
        } else {
            FormOutcome::Cancel
        }
    }

    /// How many screen rows the form wants.
    pub fn height(&self) -> u16 {
        let fields: usize = self
            .fields
            .iter()
            .map(|f| if f.multiline { 8 } else { 2 })
            .sum();
        (fields + 4) as u16
    }
}

/// Draws the form in the middle of `area`: each field's editor under its label and hint,
/// and why the last submission was refused.
pub fn draw(form: &Form, f: &mut Frame, area: Rect) {
    let w = area.width.saturating_sub(4).clamp(1, 100);
    let h = form.height().min(area.height);
    let rect = Rect::new(
        area.x + (area.width.saturating_sub(w)) / 2,
        area.y + (area.height.saturating_sub(h)) / 2,
        w,
        h,
    );
    f.render_widget(Clear, rect);
    let block = Block::bordered()
        .title(format!(" {} ", form.title))
        .title_bottom(" enter: next/submit · tab: next field · ctrl-s: submit · esc: cancel ");
    let inner = block.inner(rect);
    f.render_widget(block, rect);
    let mut y = inner.y;
    let bottom = inner.y + inner.height;
    for (i, field) in form.fields.iter().enumerate() {
        if y >= bottom {
            break;
        }
        let focused = i == form.focus;
        let label_style = if focused {
            Style::new().fg(Color::Cyan).bold()
        } else {
            Style::new().bold()
        };
        let hint = if field.hint.is_empty() {
            String::new()
        } else {
            format!("  ({})", field.hint)
        };
        f.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled(field.label, label_style),
                Span::styled(hint, Style::new().fg(Color::DarkGray)),
            ])),
            Rect::new(inner.x, y, inner.width, 1),
        );
        y += 1;
        let rows = if field.multiline { 7 } else { 1 };
        let rows = rows.min(bottom.saturating_sub(y));
        if rows == 0 {
            break;
        }
        let mut editor = field.editor.clone();
        editor.set_cursor_line_style(Style::new());
        if !focused {
            editor.set_cursor_style(Style::new());
            editor.cancel_selection();
        }
        f.render_widget(
            &editor,
            Rect::new(inner.x + 1, y, inner.width.saturating_sub(1), rows),
        );
        y += rows;
    }
    let said = if form.asking_to_discard {
        Some(Span::styled(
            "discard what you typed? y/n",
            Style::new().fg(Color::Yellow).bold(),
        ))
    } else {
        form.error
            .as_ref()
            .map(|err| Span::styled(err.clone(), Style::new().fg(Color::Red).bold()))
    };
    if let Some(said) = said
        && y < bottom
    {
        f.render_widget(
            Paragraph::new(said).wrap(Wrap { trim: true }),
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

    #[test]
    fn enter_moves_through_fields_then_submits() {
        let mut f = Form::new(
            "t",
            Purpose::Declare,
            vec![Field::line("a", "", ""), Field::line("b", "x", "")],
        );
        for c in "hi".chars() {
            f.handle_key(key(KeyCode::Char(c)));
        }
        assert_eq!(f.handle_key(key(KeyCode::Enter)), FormOutcome::Editing);
        f.handle_key(key(KeyCode::End));
        f.handle_key(key(KeyCode::Char('y')));
        assert_eq!(f.handle_key(key(KeyCode::Enter)), FormOutcome::Submit);
        assert_eq!(f.values(), vec!["hi".to_string(), "xy".to_string()]);
    }

    #[test]
    fn a_prefilled_field_is_replaced_by_typing_and_kept_by_moving() {
        let form =
            |value: &str| Form::new("t", Purpose::Severity, vec![Field::line("a", value, "")]);
        let mut f = form("2");
        assert!(f.fields[0].selected(), "selected on opening");
        f.handle_key(key(KeyCode::Char('1')));
        assert_eq!(f.value(0), "1");
        assert!(!f.fields[0].selected());

        for (moving, typed) in [
            (KeyCode::Left, "xIC"),
            (KeyCode::Home, "xIC"),
            (KeyCode::Right, "ICx"),
            (KeyCode::End, "ICx"),
        ] {
            let mut f = form("IC");
            f.handle_key(key(moving));
            assert!(!f.fields[0].selected(), "{moving:?} deselects");
            f.handle_key(key(KeyCode::Char('x')));
            assert_eq!(f.value(0), typed, "after {moving:?}");
        }

        let mut f = form("IC");
        f.handle_key(key(KeyCode::Backspace));
        assert_eq!(f.value(0), "", "backspace clears the selected value");

        // An empty field has nothing to select; a multi-line one is edited, not replaced.
        assert!(!form("").fields[0].selected());
        let brief = Form::new("t", Purpose::HandOver, vec![Field::text("b", "one", "")]);
        assert!(!brief.fields[0].selected());
        let mut draft = Form::new(
            "t",
            Purpose::Observation { from_event: None },
            vec![Field::line("o", "seen", "").to_edit()],
        );
        assert!(!draft.fields[0].selected(), "a draft is edited in place");
        draft.handle_key(key(KeyCode::Char('!')));
        assert_eq!(draft.value(0), "seen!");
    }

    #[test]
    fn moving_back_to_a_field_selects_it_and_leaving_deselects_it() {
        let mut f = Form::new(
            "t",
            Purpose::AssignRole,
            vec![Field::line("role", "IC", ""), Field::line("who", "", "")],
        );
        f.handle_key(key(KeyCode::Tab));
        assert!(!f.fields[0].selected(), "left behind unselected");
        f.handle_key(key(KeyCode::Char('b')));
        f.handle_key(key(KeyCode::BackTab));
        assert!(f.fields[0].selected());
        for c in "OL".chars() {
            f.handle_key(key(KeyCode::Char(c)));
        }
        f.handle_key(key(KeyCode::Tab));
        assert!(
            f.fields[1].selected(),
            "what was typed is selected on return"
        );
        f.handle_key(key(KeyCode::Char('o')));
        assert_eq!(f.values(), vec!["OL".to_string(), "o".to_string()]);
    }

    #[test]
    fn esc_asks_before_discarding_a_changed_form() {
        let mut f = Form::new("t", Purpose::Note, vec![Field::line("a", "", "")]);
        assert_eq!(
            f.handle_key(key(KeyCode::Esc)),
            FormOutcome::Cancel,
            "untouched"
        );

        let mut f = Form::new("t", Purpose::Note, vec![Field::line("a", "", "")]);
        f.handle_key(key(KeyCode::Char('h')));
        assert_eq!(f.handle_key(key(KeyCode::Esc)), FormOutcome::Editing);
        assert!(f.asking_to_discard);
        // n (or Esc) goes back to the typing, which is kept; other keys leave the question.
        assert_eq!(f.handle_key(key(KeyCode::Char('x'))), FormOutcome::Editing);
        assert!(f.asking_to_discard);
        assert_eq!(f.handle_key(key(KeyCode::Char('n'))), FormOutcome::Editing);
        assert!(!f.asking_to_discard);
        assert_eq!(f.value(0), "h");
        f.handle_key(key(KeyCode::Esc));
        assert_eq!(f.handle_key(key(KeyCode::Esc)), FormOutcome::Editing);
        assert!(!f.asking_to_discard);
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(f.handle_key(ctrl_c), FormOutcome::Editing);
        assert!(f.asking_to_discard, "ctrl-c asks too");
        assert_eq!(f.handle_key(key(KeyCode::Char('y'))), FormOutcome::Cancel);

        // Typed back to what it held: nothing changed, nothing to ask.
        let mut f = Form::new("t", Purpose::Note, vec![Field::line("a", "", "")]);
        f.handle_key(key(KeyCode::Char('h')));
        f.handle_key(key(KeyCode::Backspace));
        assert_eq!(f.handle_key(key(KeyCode::Esc)), FormOutcome::Cancel);

        // A search is quick to type again: Esc closes it at once.
        let mut f = Form::new("t", Purpose::Search, vec![Field::line("a", "db", "")]);
        f.handle_key(key(KeyCode::Char('x')));
        assert_eq!(f.handle_key(key(KeyCode::Esc)), FormOutcome::Cancel);
    }

    #[test]
    fn multiline_fields_take_enter_and_submit_on_ctrl_s() {
        let mut f = Form::new(
            "t",
            Purpose::HandOver,
            vec![Field::text("brief", "one", "")],
        );
        f.handle_key(key(KeyCode::Enter));
        f.handle_key(key(KeyCode::Char('2')));
        let out = f.handle_key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL));
        assert_eq!(out, FormOutcome::Submit);
        assert_eq!(f.value(0), "one\n2");
        assert_eq!(f.value("brief"), "one\n2");
        assert_eq!(f.value("nothing"), "");
    }
}
