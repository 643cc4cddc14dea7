//! Drawing: a pure function of the state. The incident screen is the header (what the
//! incident is and what needs attention now), the pane tabs, the panes the terminal has
//! room for, and the status line with the focused pane's keys; overlays are drawn over
//! it. Only what is on screen is formatted, so a frame costs the same for an incident of
//! a hundred events or of a hundred thousand.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph, Wrap};

use super::action::Action;
use super::app::{App, Overlay, Pane, Screen};
use super::ctx::Look;
use super::footer::status_line;
use super::keymap::Section;
use super::overlay::{choose, detail, discipline, findings, form, help, stats};
use super::pane::{board, comms, fatigue, roster, timeline};
use super::picker;

/// Smallest terminal the console draws into; smaller ones get a one-line notice.
const MIN_W: u16 = 20;
const MIN_H: u16 = 6;

/// Where each visible pane is drawn, for the terminal size in `app`.
pub fn pane_rects(app: &App) -> Vec<(Pane, Rect)> {
    app.geometry().pane_rects()
}

/// Rows inside a pane's border.
pub fn pane_height(app: &App, pane: Pane) -> u16 {
    app.geometry().pane_height(pane)
}

/// The console as the panes and overlays see it while drawing.
fn look(app: &App) -> Look<'_> {
    Look {
        now: app.now,
        handle: &app.handle,
        data: app.data.as_ref(),
        clock: app.clock(),
        thresholds: &app.thresholds,
        keymap: &app.keymap,
        message: app.message.as_ref(),
    }
}

pub fn view(app: &App, f: &mut Frame) {
    let area = f.area();
    if area.width < MIN_W || area.height < MIN_H {
        let msg = Paragraph::new("warroom: enlarge the terminal").wrap(Wrap { trim: true });
        f.render_widget(msg, area);
        return;
    }
    let look = look(app);
    match app.screen {
        Screen::Picker => picker::draw(
            &look,
            &app.incidents,
            app.picker_selected,
            &app.unlinked_alerts(),
            app.alert_row,
            &app.link,
            f,
            area,
        ),
        Screen::Incident => incident(app, &look, f),
    }
    match &app.overlay {
        Overlay::None => {}
        Overlay::Help => help::draw(&look, app.section(), f, area),
        Overlay::Discipline => discipline::draw(&look, f, area),
        Overlay::Form(form) => form::draw(form, f, area),
        Overlay::Choose(chooser) => choose::draw(chooser, f, area),
        Overlay::Stats => stats::draw(&app.incidents, f, area),
        Overlay::Findings(list) => findings::draw(list, f, area),
        Overlay::Kedb(search) => search.draw(f, area),
        Overlay::Detail(entry) => detail::draw(&look, entry, f, area),
        Overlay::Command(line) => crate::tui::command::draw(line, f, area),
    }
}

fn incident(app: &App, look: &Look, f: &mut Frame) {
    let geometry = app.geometry();
    let a = geometry.areas();
    super::header::draw(app, look, f, a.header);
    tabs(app, f, a.tabs);
    for (pane, rect) in geometry.pane_rects() {
        let focused = pane == app.focus;
        let block = Block::bordered()
            .border_type(if focused {
                BorderType::Thick
            } else {
                BorderType::Plain
            })
            .border_style(if focused {
                Style::new().fg(Color::Cyan)
            } else {
                Style::new()
            })
            .title(pane_title(app, look, pane));
        let inner = block.inner(rect);
        f.render_widget(block, rect);
        match pane {
            Pane::Timeline => timeline::draw(look, &app.timeline, f, inner, focused),
            Pane::Roster => roster::draw(look, app.roster_selected, f, inner, focused),
            Pane::Board => board::draw(look, app.board_column, &app.board_rows, f, inner, focused),
            Pane::Comms => comms::draw(look, &comms_shown(app), f, inner),
            Pane::Fatigue => fatigue::draw(look, app.fatigue_selected, f, inner, focused),
        }
    }
    let hints = match app.focus {
        Pane::Timeline => timeline::HINTS,
        Pane::Roster => roster::HINTS,
        Pane::Board => board::HINTS,
        Pane::Comms => comms::HINTS,
        Pane::Fatigue => fatigue::HINTS,
    };
    // Once the incident is over, the stand-down is offered first, whatever has the focus.
    let hints: Vec<Action> = fatigue::stand_down_offered(look)
        .then_some(Action::StandDown)
        .into_iter()
        .chain(hints.iter().copied())
        .collect();
    f.render_widget(
        Paragraph::new(status_line(
            look,
            Section::Pane(app.focus),
            &hints,
            usize::from(a.status.width),
        )),
        a.status,
    );
}

fn pane_title(app: &App, look: &Look, pane: Pane) -> String {
    match pane {
        Pane::Timeline => timeline::title(look, &app.timeline),
        Pane::Roster => roster::title(look),
        Pane::Comms => comms::title(&comms_shown(app)),
        _ => format!(" {} {} ", pane.index() + 1, pane.title()),
    }
}

/// The comms pane's drafts, as drawn.
fn comms_shown(app: &App) -> comms::Shown<'_> {
    comms::Shown {
        drafts: &app.drafts,
        translations: &app.translations,
        version: app.version,
        audience: app.audience,
        editing: app.editing,
        scroll: app.comms_scroll,
    }
}

fn tabs(app: &App, f: &mut Frame, area: Rect) {
    let visible: Vec<Pane> = pane_rects(app).into_iter().map(|(p, _)| p).collect();
    let mut spans = Vec::new();
    for (i, pane) in Pane::ALL.iter().enumerate() {
        let label = format!(
            " {} {} ",
            i + 1,
            pane.title().split(' ').next().unwrap_or("")
        );
        let style = if *pane == app.focus {
            Style::new().fg(Color::Black).bg(Color::Cyan).bold()
        } else if visible.contains(pane) {
            Style::new().underlined()
        } else {
            Style::new().fg(Color::DarkGray)
        };
        spans.push(Span::styled(label, style));
    }
    if app.zoom {
        spans.push(Span::styled(" [zoom] ", Style::new().fg(Color::Yellow)));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}
