//! The status line at the bottom of the screen: the last thing the console has to say
//! (green when done, red when refused or alarming), or else the keys of what has the
//! focus, help first so it survives a narrow terminal. Keys this responder may not use
//! are shown greyed and crossed out, so nobody types a form in vain.

use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};

use super::action::Action;
use super::ctx::Look;
use super::keymap::Section;

/// The message if there is one, else the keys of `actions` as bound in `section`.
pub fn status_line(look: &Look, section: Section, actions: &[Action]) -> Line<'static> {
    if let Some((text, error)) = look.message {
        let style = if *error {
            Style::new().fg(Color::White).bg(Color::Red)
        } else {
            Style::new().fg(Color::Black).bg(Color::Green)
        };
        return Line::from(Span::styled(format!(" {text} "), style));
    }
    let mut spans = Vec::new();
    // Help first: when the line is cut short, the way to every other key survives.
    let ordered =
        std::iter::once(&Action::Help).chain(actions.iter().filter(|a| **a != Action::Help));
    for a in ordered {
        let key = look.keymap.hint(section, *a);
        if key == "-" {
            continue;
        }
        let label = a.short();
        if look.may(*a) {
            spans.push(Span::styled(format!(" {key} "), Style::new().reversed()));
            spans.push(Span::raw(format!(" {label} ")));
        } else {
            // Not this responder's to do: shown, greyed, so nobody types a form in vain.
            let grey = Style::new().fg(Color::DarkGray);
            spans.push(Span::styled(format!(" {key} "), grey.crossed_out()));
            spans.push(Span::styled(format!(" {label} "), grey));
        }
    }
    Line::from(spans)
}
