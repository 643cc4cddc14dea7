//! The IC's discipline questions (`i` on the board): the five questions an incident
//! commander keeps asking (is everyone hearing the same story, what do we see and think,
//! is anything stuck waiting for a decision, is every change deliberate, does everyone
//! know their role), each answered from the incident as it stands. Any key closes it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use crate::domain::event::Role;
use crate::domain::metrics::format_duration;
use crate::tui::ctx::Look;
use crate::tui::layout::centered;

pub fn draw(look: &Look, f: &mut Frame, area: Rect) {
    let rect = centered(area, 78, 20);
    f.render_widget(Clear, rect);
    let block = Block::bordered().title(" The IC's questions (any key closes) ");
    let inner = block.inner(rect);
    f.render_widget(block, rect);
    let Some(d) = look.data else { return };
    let s = &d.state;
    let now = look.now;
    let defaulted: Vec<&str> = Role::ALL
        .into_iter()
        .filter(|r| s.roster.is_defaulted_to_ic(*r))
        .map(|r| r.code())
        .collect();
    let q = |text: &str| Line::from(Span::styled(text.to_string(), Style::new().bold()));
    let a = |text: String| {
        Line::from(Span::styled(
            format!("   {text}"),
            Style::new().fg(Color::Cyan),
        ))
    };
    let lines = vec![
        q("1. Is everyone hearing the same story, inside the team and outside it?"),
        a(format!(
            "{} update(s) sent; {}",
            s.comms.len(),
            match s.next_update_due() {
                Some(due) if due < now => "the promised update is OVERDUE".to_string(),
                Some(due) => format!("next due in {}", format_duration(due - now)),
                None => "no next update promised".to_string(),
            }
        )),
        q("2. What are we seeing, what do we think explains it, who is on what?"),
        a(format!(
            "{} observations, {} open theories, {} experiments running",
            s.board.observations.len(),
            s.board.open_theories().count(),
            s.board.running_experiments().count()
        )),
        q("3. Are decisions being made, and is anything stuck waiting for one?"),
        a(format!(
            "{} change request(s) waiting for the IC",
            s.pending_change_requests().count()
        )),
        q("4. Is every change deliberate, approved and written down?"),
        a(format!(
            "{} change request(s) filed in all",
            s.change_requests.len()
        )),
        q("5. Does everyone know their role? Do we need more people or another team?"),
        a(if defaulted.is_empty() {
            "every role is delegated".to_string()
        } else {
            format!("the IC still holds: {}", defaulted.join(", "))
        }),
    ];
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
