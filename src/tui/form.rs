//! Forms for entries: one or more labelled fields, each a text editor, submitted with
//! Enter (Ctrl-S in a multi-line field), cancelled with Esc.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;
use uuid::Uuid;

/// What a submitted form becomes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Purpose {
    Declare,
    Note,
    Search,
    Filter,
    JumpToTime,
    Impact(crate::domain::metrics::Mark),
    Observation {
        from_event: Option<Uuid>,
    },
    Theory,
    Experiment,
    Outcome {
        experiment: Uuid,
    },
    AssignRole,
    Join,
    HandOver,
    ChangeRequest,
    Decide {
        request: Uuid,
        approve: bool,
    },
    Severity,
    Stage,
    /// Send a draft that fails checks: the reason is recorded with it.
    SendOverride {
        audience: crate::domain::event::Audience,
    },
    Template,
    HealthCheck,
    Resolve,
    AddAction,
    Privacy,
    AskCommand,
    TakeCommand,
    GrantAccess,
    Redact {
        event: Uuid,
    },
    /// The IC's answer to a request for command (accepting carries the brief).
    AnswerCommand {
        request: Uuid,
        accept: bool,
    },
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

    pub fn value(&self, i: usize) -> String {
        self.fields.get(i).map(Field::value).unwrap_or_default()
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
    }
}
