//! Drawing an open form: each field's editor, its hint, and why a submission was refused.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::form::Form;

pub fn form(form: &Form, f: &mut Frame, area: Rect) {
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
