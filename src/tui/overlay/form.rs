//! The form overlay: whenever the incident commander records something with words in it
//! (a note, a theory, a handover brief, a reason), a box opens over the panes with one or
//! more labelled fields, each a text editor. Enter moves on and submits (Ctrl-S in a
//! multi-line field), Esc cancels, and a refused submission says why under the fields while
//! the form stays open to fix it.
//!
//! A form names what it is for ([`Purpose`]); the pane that opens a form also declares its
//! fields and reads them back by label when it is submitted.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
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

pub struct Field {
    pub label: &'static str,
    pub hint: String,
    pub editor: TextArea<'static>,
    pub multiline: bool,
}

impl Field {
    pub fn line(label: &'static str, value: &str, hint: impl Into<String>) -> Field {
        let mut editor = TextArea::new(vec![value.to_string()]);
        editor.move_cursor(ratatui_textarea::CursorMove::End);
        Field {
            label,
            hint: hint.into(),
            editor,
            multiline: false,
        }
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
        }
    }

    pub fn value(&self) -> String {
        self.editor.lines().join("\n").trim().to_string()
    }
}

pub struct Form {
    pub title: String,
    pub purpose: Purpose,
    pub fields: Vec<Field>,
    pub focus: usize,
    /// Why the last submission was refused; the form stays open to fix it.
    pub error: Option<String>,
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
        Form {
            title: title.into(),
            purpose,
            fields,
            focus: 0,
            error: None,
        }
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
        match key.code {
            KeyCode::Esc => return FormOutcome::Cancel,
            KeyCode::Char('c') if ctrl => return FormOutcome::Cancel,
            KeyCode::Char('s') if ctrl => return FormOutcome::Submit,
            KeyCode::Enter if !multiline => {
                if self.focus + 1 < self.fields.len() {
                    self.focus += 1;
                    return FormOutcome::Editing;
                }
                return FormOutcome::Submit;
            }
            KeyCode::Tab | KeyCode::Down if !multiline || key.code == KeyCode::Tab => {
                self.focus = (self.focus + 1) % self.fields.len().max(1);
                return FormOutcome::Editing;
            }
            KeyCode::BackTab | KeyCode::Up if !multiline || key.code == KeyCode::BackTab => {
                let n = self.fields.len().max(1);
                self.focus = (self.focus + n - 1) % n;
                return FormOutcome::Editing;
            }
            _ => {}
        }
        if let Some(f) = self.fields.get_mut(self.focus) {
            f.editor.input(key);
            self.error = None;
        }
        FormOutcome::Editing
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
        }
        f.render_widget(
            &editor,
            Rect::new(inner.x + 1, y, inner.width.saturating_sub(1), rows),
        );
        y += rows;
    }
    if let Some(err) = &form.error
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
        f.handle_key(key(KeyCode::Char('y')));
        assert_eq!(f.handle_key(key(KeyCode::Enter)), FormOutcome::Submit);
        assert_eq!(f.values(), vec!["hi".to_string(), "xy".to_string()]);
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
