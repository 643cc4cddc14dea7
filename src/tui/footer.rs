//! The status line at the bottom of the screen: the last thing the console has to say
//! (green when done, red when refused or alarming), or else the keys of what has the
//! focus: as many as fit whole, in order, with help first and always there (read "more"
//! when keys are left out) so every other key is one away. Keys this responder may not
//! use are shown greyed and crossed out, so nobody types a form in vain.

use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};

use super::action::Action;
use super::ctx::Look;
use super::fit::{Part, fit};
use super::keymap::Section;

/// The message if there is one, else the keys of `actions` as bound in `section`: as
/// many as fit whole in `width` columns, in their order, and help always, read "? more"
/// when some are left out.
pub fn status_line(
    look: &Look,
    section: Section,
    actions: &[Action],
    width: usize,
) -> Line<'static> {
    if let Some((text, error)) = look.message {
        let style = if *error {
            Style::new().fg(Color::White).bg(Color::Red)
        } else {
            Style::new().fg(Color::Black).bg(Color::Green)
        };
        return Line::from(Span::styled(format!(" {text} "), style));
    }
    // Help first: whatever else is left out, the way to every other key stays.
    let ordered: Vec<(String, Action)> = std::iter::once(Action::Help)
        .chain(actions.iter().copied().filter(|a| *a != Action::Help))
        .map(|a| (look.keymap.hint(section, a), a))
        .filter(|(key, _)| key != "-")
        .collect();
    let hint = |key: &str, a: Action, label: &str| {
        if look.may(a) {
            vec![
                Span::styled(format!(" {key} "), Style::new().reversed()),
                Span::raw(format!(" {label} ")),
            ]
        } else {
            // Not this responder's to do: shown, greyed, so nobody types a form in vain.
            let grey = Style::new().fg(Color::DarkGray);
            vec![
                Span::styled(format!(" {key} "), grey.crossed_out()),
                Span::styled(format!(" {label} "), grey),
            ]
        }
    };
    // Each key lasts as long as its place in the list: the first ones go last.
    let n = ordered.len();
    let parts = |help_label: &str| -> Vec<Part> {
        ordered
            .iter()
            .enumerate()
            .map(|(i, (key, a))| {
                let label = if *a == Action::Help {
                    help_label
                } else {
                    a.short()
                };
                Part::one(hint(key, *a, label), (n - i) as u16, "")
            })
            .collect()
    };
    let (line, whole) = fit(parts("help"), width);
    if whole {
        return line;
    }
    fit(parts("more"), width).0
}
