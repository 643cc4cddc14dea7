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
use super::ctx::{Look, severity_style};
use super::footer::status_line;
use super::keymap::Section;
use super::overlay::{detail, discipline, findings, form, help, stats};
use super::pane::{board, comms, fatigue, roster, timeline};
use super::picker;
use crate::domain::metrics::format_duration;

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
        Overlay::Stats => stats::draw(&app.incidents, f, area),
        Overlay::Findings(list) => findings::draw(list, f, area),
        Overlay::Kedb(search) => search.draw(f, area),
        Overlay::Detail(entry) => detail::draw(&look, entry, f, area),
    }
}

fn incident(app: &App, look: &Look, f: &mut Frame) {
    let geometry = app.geometry();
    let a = geometry.areas();
    header(app, look, f, a.header);
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
            Pane::Comms => comms::draw(look, &app.drafts, app.audience, app.editing, f, inner),
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
        Paragraph::new(status_line(look, Section::Pane(app.focus), &hints)),
        a.status,
    );
}

fn pane_title(app: &App, look: &Look, pane: Pane) -> String {
    match pane {
        Pane::Timeline => timeline::title(look, &app.timeline),
        Pane::Roster => roster::title(look),
        _ => format!(" {} {} ", pane.index() + 1, pane.title()),
    }
}

fn header(app: &App, look: &Look, f: &mut Frame, area: Rect) {
    let Some(d) = &app.data else { return };
    let s = &d.state;
    let sum = &s.summary;
    let mut top = vec![
        Span::styled(
            format!(" {} ", sum.short_id),
            Style::new().reversed().bold(),
        ),
        Span::raw(" "),
        Span::styled(format!(" {} ", sum.severity), severity_style(sum.severity)),
        Span::raw(" "),
    ];
    if sum.drill {
        top.push(Span::styled(
            " DRILL ",
            Style::new().fg(Color::Black).bg(Color::Magenta),
        ));
        top.push(Span::raw(" "));
    }
    if sum.restricted {
        top.push(Span::styled(
            " RESTRICTED ",
            Style::new().fg(Color::White).bg(Color::Blue),
        ));
        top.push(Span::raw(" "));
    }
    top.push(Span::styled(sum.title.clone(), Style::new().bold()));
    // What needs attention comes first, so a narrow terminal still shows it.
    let mut second: Vec<Span> = Vec::new();
    let alarm = |text: String, style: Style| Span::styled(format!(" {text} "), style);
    let offline = matches!(
        app.link.link,
        crate::sync::engine::Link::Offline { .. } | crate::sync::engine::Link::Broken(_)
    );
    if offline {
        second.push(alarm(
            app.link.describe(app.now),
            Style::new().fg(Color::White).bg(Color::Red).bold(),
        ));
    }
    if app.link_warning.is_some() {
        second.push(alarm(
            "PLAIN HTTP: token in clear".into(),
            Style::new().fg(Color::Black).bg(Color::Yellow).bold(),
        ));
    }
    if let Some(h) = look.command_taken_recently() {
        let from = h.from.as_deref().unwrap_or("the IC");
        let text = if from == app.handle {
            format!("COMMAND TAKEN FROM YOU by {}", h.to)
        } else {
            format!("COMMAND TAKEN by {} from {from}", h.to)
        };
        second.push(alarm(
            text,
            Style::new().fg(Color::White).bg(Color::Red).bold(),
        ));
    }
    let waiting = look.waiting_for_me();
    if waiting > 0 {
        second.push(alarm(
            format!("⚠ {waiting} request(s) need you"),
            Style::new().fg(Color::Black).bg(Color::Yellow),
        ));
    }
    if let Some(text) = others_badge(app) {
        second.push(alarm(
            text,
            Style::new().fg(Color::Black).bg(Color::Yellow).bold(),
        ));
    }
    let owed = s.next_updates();
    let word = |a: crate::domain::event::Audience| match a {
        crate::domain::event::Audience::Internal => "INT",
        crate::domain::event::Audience::External => "EXT",
    };
    for (audience, due) in owed.iter().filter(|(_, due)| *due < app.now) {
        second.push(alarm(
            format!(
                "{} UPDATE OVERDUE {}",
                word(*audience),
                format_duration(app.now - *due)
            ),
            Style::new().fg(Color::White).bg(Color::Red).bold(),
        ));
    }
    if s.privacy == crate::domain::event::PrivacyAssessment::PossibleBreach
        && s.privacy_steps.len() < 6
    {
        second.push(alarm(
            "PRIVACY BREACH?".into(),
            Style::new().fg(Color::White).bg(Color::Magenta).bold(),
        ));
    }
    let health_due = s.commander() == Some(app.handle.as_str())
        && crate::domain::fatigue::health_check_due(s, s.last_health_check, &app.thresholds)
            .is_some_and(|d| d < app.now);
    if health_due {
        second.push(alarm(
            "health check due".into(),
            Style::new().fg(Color::Black).bg(Color::Yellow),
        ));
    }
    second.push(Span::raw(format!(
        " {} · {}",
        sum.status.as_str(),
        sum.stage.title()
    )));
    match (s.impact.started, s.impact.ended) {
        (Some(start), None) => second.push(Span::raw(format!(
            " · impact {}",
            format_duration(app.now - start)
        ))),
        (Some(_), Some(_)) => second.push(Span::raw(" · impact ended")),
        (None, _) => second.push(Span::styled(
            " · start of impact unknown",
            Style::new().fg(Color::Yellow),
        )),
    }
    if let Some(ttd) = s.ttd() {
        second.push(Span::raw(format!(" · TTD {}", format_duration(ttd))));
    }
    if let Some(ttr) = s.ttr() {
        second.push(Span::raw(format!(" · TTR {}", format_duration(ttr))));
    }
    let ic = s.commander().unwrap_or("-");
    let you = if ic == app.handle { " (you)" } else { "" };
    second.push(Span::raw(format!(" · IC {ic}{you}")));
    for (audience, due) in owed.iter().filter(|(_, due)| *due >= app.now) {
        second.push(Span::raw(format!(
            " · next {} update {}",
            word(*audience).to_lowercase(),
            format_duration(*due - app.now)
        )));
    }
    if !offline {
        second.push(Span::styled(
            format!(" · {}", app.link.describe(app.now)),
            Style::new().fg(Color::DarkGray),
        ));
    }
    f.render_widget(
        Paragraph::new(vec![Line::from(top), Line::from(second)]),
        area,
    );
}

/// "⚑ 1 other needs you: k7m2qx 2 changes wait · ! opens": the incident that needs this
/// responder most among the others, and the key that opens it.
fn others_badge(app: &App) -> Option<String> {
    let others = app.others_needing_me();
    let (first, needs) = others.first()?;
    let count = match others.len() {
        1 => "1 other needs you".to_string(),
        n => format!("{n} others need you"),
    };
    let mut text = format!(
        "⚑ {count}: {} {}",
        first.short_id,
        picker::needs_text(needs)
    );
    let key = app
        .keymap
        .hint(Section::Global, super::action::Action::JumpToNeed);
    if key != "-" {
        text.push_str(&format!(" · {key} opens"));
    }
    Some(text)
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
