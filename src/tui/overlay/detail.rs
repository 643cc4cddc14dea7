//! One timeline entry, whole (enter on a row): the full text, wrapped, and every field of
//! its kind (an update's audience, checklist and next update; a handover's whole brief;
//! the request a decision answers...), who recorded it, when it happened and when it was
//! recorded, its seq or that it is still pending, what it corrects or was corrected by,
//! and, for a redacted entry, who redacted it and why. A handover naming this console's
//! responder as the new commander opens here by itself, so the brief is read, not missed.
//! Scrolls with the usual keys and j/k; esc or q closes.

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use uuid::Uuid;

use crate::domain::describe::{self, visible, visible_line};
use crate::domain::entry::{self, Lookup};
use crate::domain::event::{Event, EventKind};
use crate::domain::metrics::format_duration;
use crate::tui::action::Action;
use crate::tui::ctx::{Clock, Look};
use crate::tui::data::{IncidentData, RowStatus};
use crate::tui::keymap::{Key, Keymap, Section};
use crate::tui::layout::centered;

/// The entry shown and how far it is scrolled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detail {
    pub event: Uuid,
    /// The first line shown.
    pub scroll: usize,
}

/// What a key did to the detail view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DetailKey {
    Stay,
    Close,
    Quit,
}

/// Field names fit in this many columns; the text starts after them.
const NAME_WIDTH: usize = 17;

impl Detail {
    pub fn new(event: Uuid) -> Detail {
        Detail { event, scroll: 0 }
    }

    /// Scrolls, or closes; `size` is the terminal's, for how much a page is.
    pub fn handle_key(
        &mut self,
        key: KeyEvent,
        keymap: &Keymap,
        data: Option<&IncidentData>,
        clock: Clock,
        size: (u16, u16),
    ) -> DetailKey {
        let inner = inner(Rect::new(0, 0, size.0, size.1));
        let page = usize::from(inner.height).max(1);
        let total = data
            .map(|d| content(d, clock, self.event, usize::from(inner.width)).len())
            .unwrap_or(0);
        let last = total.saturating_sub(page);
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let action = keymap.lookup(Section::Global, Key::from_event(&key));
        match (key.code, action) {
            (KeyCode::Esc | KeyCode::Char('q') | KeyCode::Enter, _) if !ctrl => {
                return DetailKey::Close;
            }
            (_, Some(Action::Quit)) => return DetailKey::Quit,
            (KeyCode::Char('j') | KeyCode::Down, _) | (_, Some(Action::Down)) => self.scroll += 1,
            (KeyCode::Char('k') | KeyCode::Up, _) | (_, Some(Action::Up)) => {
                self.scroll = self.scroll.saturating_sub(1)
            }
            (KeyCode::PageDown | KeyCode::Char(' '), _) | (_, Some(Action::PageDown)) => {
                self.scroll += page
            }
            (KeyCode::PageUp, _) | (_, Some(Action::PageUp)) => {
                self.scroll = self.scroll.saturating_sub(page)
            }
            (KeyCode::Home | KeyCode::Char('g'), _) | (_, Some(Action::Top)) => self.scroll = 0,
            (KeyCode::End | KeyCode::Char('G'), _) | (_, Some(Action::Bottom)) => {
                self.scroll = last
            }
            (_, Some(Action::Back)) => return DetailKey::Close,
            _ => {}
        }
        self.scroll = self.scroll.min(last);
        DetailKey::Stay
    }
}

/// The box over the panes.
fn boxed(area: Rect) -> Rect {
    centered(
        area,
        area.width.saturating_sub(4).min(120),
        area.height.saturating_sub(2).max(3),
    )
}

/// Inside the box's border.
fn inner(area: Rect) -> Rect {
    Block::bordered().inner(boxed(area))
}

pub fn draw(look: &Look, detail: &Detail, f: &mut Frame, area: Rect) {
    let rect = boxed(area);
    let inside = inner(area);
    f.render_widget(Clear, rect);
    let lines = match look.data {
        Some(d) => content(d, look.clock, detail.event, usize::from(inside.width)),
        None => Vec::new(),
    };
    let page = usize::from(inside.height).max(1);
    let scroll = detail.scroll.min(lines.len().saturating_sub(page));
    let position = if lines.len() > page {
        format!(
            " · {}-{} of {} · j/k pgup/pgdn home/end",
            scroll + 1,
            (scroll + page).min(lines.len()),
            lines.len()
        )
    } else {
        String::new()
    };
    let block = Block::bordered()
        .title(" Timeline entry ")
        .title_bottom(format!(" esc closes{position} "));
    f.render_widget(block, rect);
    let shown: Vec<Line> = lines.into_iter().skip(scroll).take(page).collect();
    f.render_widget(Paragraph::new(shown), inside);
}

/// A time in full, in the zone the console shows.
fn full_time(clock: Clock, t: DateTime<Utc>) -> String {
    if clock.use_local {
        t.with_timezone(&clock.offset_at(t))
            .format("%Y-%m-%d %H:%M:%S (UTC%:z)")
            .to_string()
    } else {
        t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
    }
}

/// Another entry in a few words: "the start of impact of 21:40".
fn named(clock: Clock, ev: &Event) -> String {
    format!(
        "the {} of {}",
        describe::label(&ev.kind),
        clock.show(ev.at, true)
    )
}

/// The entry as lines `width` wide: its envelope, then every part of its kind.
pub fn content(d: &IncidentData, clock: Clock, id: Uuid, width: usize) -> Vec<Line<'static>> {
    let Some((ev, status)) = d.row_of(id).and_then(|r| d.row(r)) else {
        return vec![Line::from(Span::styled(
            "This entry is no longer on the timeline.",
            Style::new().fg(Color::DarkGray),
        ))];
    };
    let name_style = Style::new().fg(Color::Cyan);
    let mut lines = Vec::new();
    lines.push(Line::from(vec![
        Span::styled(
            visible_line(describe::label(&ev.kind)).to_uppercase(),
            Style::new().fg(Color::Yellow).bold(),
        ),
        Span::raw("  "),
        Span::raw(visible_line(&describe::text_in(&d.state, ev)).into_owned()),
    ]));
    lines.push(Line::raw(""));

    let mut envelope: Vec<(&'static str, String)> = vec![
        ("by", visible_line(&ev.author_label()).into_owned()),
        ("happened", full_time(clock, ev.at)),
    ];
    let recorded = match ev.recorded_at {
        Some(r) => match describe::recorded_later(ev) {
            Some(_) => format!(
                "{}: back-dated, recorded {} after its time",
                full_time(clock, r),
                format_duration(r - ev.at)
            ),
            None => full_time(clock, r),
        },
        None => "not yet: waiting to reach the server".to_string(),
    };
    envelope.push(("recorded", recorded));
    envelope.push((
        "seq",
        match (ev.seq, status) {
            (Some(seq), _) => format!("#{seq}"),
            (None, RowStatus::Rejected(reason)) => {
                format!("none: REFUSED by the server: {}", visible_line(reason))
            }
            (None, _) => "pending: not yet confirmed by the server".to_string(),
        },
    ));
    if let Some(before) = d.corrections.get(&ev.id).and_then(|x| d.find(*x)) {
        envelope.push(("corrects", named(clock, before)));
    }
    if let Some(after) = d.superseded.get(&ev.id).and_then(|x| d.find(*x)) {
        let recorded = after
            .recorded_at
            .map(|r| format!(", recorded {}", clock.show(r, true)))
            .unwrap_or_else(|| ", still pending".into());
        envelope.push((
            "superseded by",
            format!("{}{recorded}", named(clock, after)),
        ));
    }
    for (name, text) in envelope {
        field(&mut lines, name, &text, width, name_style);
    }
    lines.push(Line::raw(""));

    let find = |x: Uuid| d.find(x);
    let time = |t: DateTime<Utc>| clock.show(t, true);
    let look = Lookup {
        state: &d.state,
        find: &find,
        time: &time,
    };
    for part in entry::parts(&look, ev) {
        let style = if part.name == "redacted" {
            Style::new().fg(Color::Red).bold()
        } else {
            name_style
        };
        let text = visible(&part.text).replace('\t', "    ");
        field(&mut lines, part.name, &text, width, style);
    }
    lines
}

/// One field: its name, then its text wrapped beside it (or under it when the name is
/// long or the box narrow).
fn field(lines: &mut Vec<Line<'static>>, name: &str, text: &str, width: usize, style: Style) {
    let beside = width >= NAME_WIDTH + 20 && name.chars().count() < NAME_WIDTH;
    let indent = if beside { NAME_WIDTH } else { 2 };
    let wrapped = entry::wrap(text, width.saturating_sub(indent).max(1));
    if beside {
        for (i, l) in wrapped.into_iter().enumerate() {
            let head = if i == 0 {
                format!("{name:<NAME_WIDTH$}")
            } else {
                " ".repeat(NAME_WIDTH)
            };
            lines.push(Line::from(vec![Span::styled(head, style), Span::raw(l)]));
        }
    } else {
        lines.push(Line::from(Span::styled(name.to_string(), style)));
        for l in wrapped {
            lines.push(Line::raw(format!("{}{l}", " ".repeat(indent))));
        }
    }
}

/// The newest of `new` that hands command to `me`, when someone else recorded it: the
/// brief to open by itself.
pub fn brief_for<'a>(new: impl IntoIterator<Item = &'a Event>, me: &str) -> Option<Uuid> {
    new.into_iter()
        .filter(|e| e.author != me)
        .filter(|e| matches!(&e.kind, EventKind::CommandHandedOver { to, .. } if to == me))
        .last()
        .map(|e| e.id)
}

/// Opens the handover `id` to this responder by itself, once: over the panes or a box that
/// only shows something, not over a form, a search or a draft being typed (the status line
/// says where the brief is instead).
pub fn open_brief(
    overlay: &mut super::Overlay,
    message: &mut Option<(String, bool)>,
    seen: &mut std::collections::HashSet<String>,
    typing: bool,
    id: Uuid,
) {
    use super::Overlay;
    if !seen.insert(format!("brief:{id}")) {
        return;
    }
    let free = matches!(
        overlay,
        Overlay::None | Overlay::Help | Overlay::Stats | Overlay::Discipline
    );
    if free && !typing {
        *overlay = Overlay::Detail(Box::new(Detail::new(id)));
    } else {
        *message = Some((
            "command is yours: enter on the handover row of the timeline shows the brief".into(),
            true,
        ));
    }
}
