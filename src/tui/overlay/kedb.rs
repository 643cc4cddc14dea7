//! The known-error overlay: while an incident runs, the incident commander searches the
//! database of problems seen before (symptom, root cause, workaround), starting from the
//! incident's title, and links the one that matches so its workaround is at hand and the
//! postmortem names it. Typing narrows the list, the arrows choose, Enter links, Esc closes.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui_textarea::TextArea;

use crate::domain::describe::visible;
use crate::domain::entry::wrap;
use crate::domain::kedb::{KnownError, search};
use crate::tui::layout::centered;

/// A known-error search in progress: the query, the ranked hits, the selection.
pub struct KedbSearch {
    pub query: TextArea<'static>,
    pub entries: Vec<KnownError>,
    pub hits: Vec<usize>,
    pub selected: usize,
}

/// What a key did to the search.
pub enum KedbKey {
    /// Still searching.
    Searching,
    /// Esc: close the search.
    Close,
    /// Enter: link the selected entry (none when nothing is selected).
    Link(Option<KnownError>),
}

impl KedbSearch {
    pub fn new(query: &str) -> Self {
        let mut q = TextArea::new(vec![query.to_string()]);
        q.move_cursor(ratatui_textarea::CursorMove::End);
        KedbSearch {
            query: q,
            entries: Vec::new(),
            hits: Vec::new(),
            selected: 0,
        }
    }

    pub fn refresh(&mut self) {
        let q = self.query.lines().join(" ");
        let ranked = search(self.entries.iter(), &q);
        self.hits = ranked
            .iter()
            .filter_map(|(_, e)| self.entries.iter().position(|x| x.key == e.key))
            .collect();
        self.selected = self.selected.min(self.hits.len().saturating_sub(1));
    }

    pub fn selected_entry(&self) -> Option<&KnownError> {
        self.hits
            .get(self.selected)
            .and_then(|i| self.entries.get(*i))
    }

    /// The database arrived: search it.
    pub fn set_entries(&mut self, entries: Vec<KnownError>) {
        self.entries = entries;
        self.refresh();
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> KedbKey {
        match key.code {
            KeyCode::Esc => return KedbKey::Close,
            KeyCode::Up => self.selected = self.selected.saturating_sub(1),
            KeyCode::Down => {
                self.selected = (self.selected + 1).min(self.hits.len().saturating_sub(1))
            }
            KeyCode::Enter => return KedbKey::Link(self.selected_entry().cloned()),
            _ => {
                if self.query.input(key) {
                    self.refresh();
                }
            }
        }
        KedbKey::Searching
    }

    pub fn draw(&self, f: &mut Frame, area: Rect) {
        let rect = centered(
            area,
            area.width.saturating_sub(4).min(110),
            area.height.saturating_sub(2).max(5),
        );
        f.render_widget(Clear, rect);
        let block = Block::bordered().title(" Known errors ").title_bottom(
            " type to search · ↑↓ choose · enter links it to this incident · esc closes ",
        );
        let inner = block.inner(rect);
        f.render_widget(block, rect);
        let [q, list] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
        let mut editor = self.query.clone();
        editor.set_cursor_line_style(Style::new());
        f.render_widget(&editor, q);
        let mut lines = Vec::new();
        if self.hits.is_empty() {
            lines.push(Line::from(Span::styled(
                if self.entries.is_empty() {
                    "No known errors yet (add one with `warroom kedb add`)."
                } else {
                    "Nothing matches."
                },
                Style::new().fg(Color::DarkGray),
            )));
        }
        // Each entry wrapped under its key, so a workaround shows whole on 80 columns.
        let text = usize::from(list.width).saturating_sub(10).max(1);
        for (n, i) in self.hits.iter().enumerate() {
            let Some(e) = self.entries.get(*i) else {
                continue;
            };
            for (k, part) in wrap(&visible(&e.symptom), text).into_iter().enumerate() {
                let key = if k == 0 { e.key.as_str() } else { "" };
                let mut head = Line::from(vec![
                    Span::styled(format!("{key:<10}"), Style::new().bold()),
                    Span::raw(part),
                ]);
                if n == self.selected {
                    head = head.style(Style::new().add_modifier(Modifier::REVERSED));
                }
                lines.push(head);
            }
            for (label, value, style) in [
                ("workaround", &e.workaround, Style::new().fg(Color::Green)),
                ("cause", &e.root_cause, Style::new().fg(Color::DarkGray)),
            ] {
                if value.is_empty() {
                    continue;
                }
                let said = format!("{label}: {}", visible(value));
                lines.extend(
                    wrap(&said, text)
                        .into_iter()
                        .map(|l| Line::from(Span::styled(format!("{:10}{l}", ""), style))),
                );
            }
        }
        f.render_widget(Paragraph::new(lines), list);
    }
}
