//! The help overlay (`?`): every key that works where the incident commander is, the
//! focused pane's own first and then the global ones, each with what it does. Keys this
//! responder may not use are greyed. It flows into as many columns as the terminal's
//! height needs, so every key shows even on 80x24; any key closes it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::domain::describe::clip;
use crate::tui::action::Action;
use crate::tui::ctx::Look;
use crate::tui::keymap::Section;
use crate::tui::layout::centered;

/// Draws the keys of `section`, then the global ones.
pub fn draw(look: &Look, section: Section, f: &mut Frame, area: Rect) {
    let rect = centered(
        area,
        area.width.saturating_sub(2).min(150),
        area.height.saturating_sub(2).max(3),
    );
    f.render_widget(Clear, rect);
    let block = Block::bordered()
        .title(" Keys (any key closes) ")
        .title_bottom(format!(" keymap: {} ", look.keymap.name));
    let inner = block.inner(rect);
    f.render_widget(block, rect);
    // The pane's own keys first, then the global ones; flowing into as many columns as
    // the height needs, so every key shows on an 80x24 terminal.
    enum Row {
        Heading(String),
        Key(String, Action),
    }
    let mut entries: Vec<Row> = Vec::new();
    for section in [section, Section::Global] {
        let keys = look.keymap.section(section);
        if keys.is_empty() {
            continue;
        }
        entries.push(Row::Heading(format!("{} keys", section.name())));
        entries.extend(
            keys.into_iter()
                .map(|(key, action)| Row::Key(key.to_string(), action)),
        );
    }
    let h = inner.height.max(1) as usize;
    let columns = entries.len().div_ceil(h).max(1);
    let width = (inner.width as usize / columns).max(1);
    let rects =
        Layout::horizontal(vec![Constraint::Ratio(1, columns as u32); columns]).split(inner);
    for (c, chunk) in entries.chunks(h).enumerate() {
        let lines: Vec<Line> = chunk
            .iter()
            .map(|row| match row {
                Row::Heading(text) => Line::from(Span::styled(
                    clip(text, width),
                    Style::new().bold().underlined(),
                )),
                Row::Key(k, action) => {
                    let room = width.saturating_sub(12);
                    // Full descriptions where they fit, short ones in narrow columns.
                    let long = action.describe();
                    let text = if long.chars().count() <= room {
                        long
                    } else {
                        action.short()
                    };
                    let (key_style, text_style) = if look.may(*action) {
                        (Style::new().fg(Color::Cyan), Style::new())
                    } else {
                        let grey = Style::new().fg(Color::DarkGray);
                        (grey, grey)
                    };
                    Line::from(vec![
                        Span::styled(format!(" {:<9} ", clip(k, 9)), key_style),
                        Span::styled(clip(text, room), text_style),
                    ])
                }
            })
            .collect();
        if let Some(r) = rects.get(c) {
            f.render_widget(Paragraph::new(lines), *r);
        }
    }
}
