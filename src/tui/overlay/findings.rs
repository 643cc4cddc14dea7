//! The blame check's findings (after `W`): the postmortem names people by role, never by
//! name, so before it is written its free text is checked for names and blame. What the
//! check flags is listed here with where it stands and an excerpt, so the incident
//! commander can amend the passage and write again, or press `y` to write it anyway.
//! Any other key closes it.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use crate::domain::postmortem::Finding;
use crate::tui::layout::centered;

/// Whether the key writes the postmortem despite the findings.
pub fn writes_anyway(key: &KeyEvent) -> bool {
    key.code == KeyCode::Char('y')
}

pub fn draw(findings: &[Finding], f: &mut Frame, area: Rect) {
    let rect = centered(
        area,
        area.width.saturating_sub(4).min(110),
        area.height.saturating_sub(2).max(3),
    );
    f.render_widget(Clear, rect);
    // The keys in full where they fit, in short on a narrow terminal.
    let keys = [
        " amend the passage (m on its row), then W again · y writes it anyway · any other key closes ",
        " m amends a passage, then W · y writes it anyway · any other key closes ",
        " y writes it anyway · any other key closes ",
    ];
    let room = usize::from(rect.width.saturating_sub(2));
    let keys = keys
        .iter()
        .find(|k| crate::tui::fit::text_width(k) <= room)
        .unwrap_or(&keys[2]);
    let block = Block::bordered()
        .title(" The blame check stopped the postmortem ")
        .title_bottom(*keys);
    let inner = block.inner(rect);
    f.render_widget(block, rect);
    let mut lines = Vec::new();
    for x in findings {
        let style = if x.blocking {
            Style::new().fg(Color::Red)
        } else {
            Style::new().fg(Color::Yellow)
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{}: ", x.spot), style.bold()),
            Span::raw(x.problem.clone()),
        ]));
        lines.push(Line::from(Span::styled(
            format!("    “{}”", x.excerpt),
            Style::new().fg(Color::DarkGray),
        )));
    }
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
