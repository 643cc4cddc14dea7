//! Drawing: a pure function of the state. Only what is on screen is formatted, so a frame
//! costs the same for an incident of a hundred events or of a hundred thousand.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Wrap};

use super::action::Action;
use super::app::{App, Overlay, Pane, RosterRow, Screen};
use super::data::RowStatus;
use super::keymap::Section;
use crate::domain::describe::{self, clip};
use crate::domain::event::{Audience, Outcome, Role, Severity, TheoryStatus};
use crate::domain::incident::Decision;
use crate::domain::metrics::format_duration;

/// Smallest terminal the console draws into; smaller ones get a one-line notice.
const MIN_W: u16 = 20;
const MIN_H: u16 = 6;

pub fn severity_style(s: Severity) -> Style {
    match s.level() {
        1 => Style::new().fg(Color::White).bg(Color::Red).bold(),
        2 => Style::new().fg(Color::Black).bg(Color::Yellow).bold(),
        _ => Style::new().fg(Color::Black).bg(Color::Cyan).bold(),
    }
}

fn fmt_time(app: &App, t: DateTime<Utc>, with_date: bool) -> String {
    let f = if with_date { "%m-%d %H:%M" } else { "%H:%M:%S" };
    if app.use_local {
        t.with_timezone(&app.offset_at(t)).format(f).to_string()
    } else {
        t.format(f).to_string()
    }
}

struct Areas {
    header: Rect,
    tabs: Rect,
    body: Rect,
    status: Rect,
}

fn areas(app: &App) -> Areas {
    let area = Rect::new(0, 0, app.size.0, app.size.1);
    let [header, tabs, body, status] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    Areas {
        header,
        tabs,
        body,
        status,
    }
}

/// Where each visible pane is drawn, for the terminal size in `app`.
pub fn pane_rects(app: &App) -> Vec<(Pane, Rect)> {
    let body = areas(app).body;
    let (w, h) = app.size;
    if app.zoom {
        return vec![(app.focus, body)];
    }
    if w >= 150 && h >= 36 {
        let [left, mid, right] = Layout::horizontal([
            Constraint::Percentage(42),
            Constraint::Percentage(26),
            Constraint::Percentage(32),
        ])
        .areas(body);
        let [roster, fatigue] =
            Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(mid);
        let [board, comms] =
            Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(right);
        return vec![
            (Pane::Timeline, left),
            (Pane::Roster, roster),
            (Pane::Fatigue, fatigue),
            (Pane::Board, board),
            (Pane::Comms, comms),
        ];
    }
    if w >= 100 {
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                .areas(body);
        let side = if app.focus == Pane::Timeline {
            app.side
        } else {
            app.focus
        };
        return vec![(Pane::Timeline, left), (side, right)];
    }
    vec![(app.focus, body)]
}

/// Rows inside a pane's border.
pub fn pane_height(app: &App, pane: Pane) -> u16 {
    pane_rects(app)
        .into_iter()
        .find(|(p, _)| *p == pane)
        .map(|(_, r)| r.height.saturating_sub(2))
        .unwrap_or_else(|| areas(app).body.height.saturating_sub(2))
}

pub fn view(app: &App, f: &mut Frame) {
    let area = f.area();
    if area.width < MIN_W || area.height < MIN_H {
        let msg = Paragraph::new("warroom: enlarge the terminal").wrap(Wrap { trim: true });
        f.render_widget(msg, area);
        return;
    }
    match app.screen {
        Screen::Picker => picker(app, f, area),
        Screen::Incident => incident(app, f),
    }
    match &app.overlay {
        Overlay::None => {}
        Overlay::Help => help(app, f, area),
        Overlay::Discipline => discipline(app, f, area),
        Overlay::Form(form) => super::view_form::form(form, f, area),
        Overlay::Stats => super::view_learn::stats(app, f, area),
        Overlay::Findings(findings) => super::view_learn::findings(findings, f, area),
        Overlay::Kedb(search) => super::view_learn::kedb(search, f, area),
    }
}

fn status_line(app: &App, section: Section, actions: &[Action]) -> Line<'static> {
    if let Some((text, error)) = &app.message {
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
        let key = app.keymap.hint(section, *a);
        if key == "-" {
            continue;
        }
        let label = a.short();
        if app.may(*a) {
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

fn picker(app: &App, f: &mut Frame, area: Rect) {
    let [title, list, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let link = app.link.describe(app.now);
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(" warroom ", Style::new().reversed().bold()),
            Span::raw(format!(" incidents · you are {} · {link}", app.handle)),
        ])),
        title,
    );
    let block = Block::bordered().title(" Incidents ");
    let inner = block.inner(list);
    f.render_widget(block, list);
    if app.incidents.is_empty() {
        let hint = format!(
            "No incidents yet. Press {} to declare one.",
            app.keymap.hint(Section::Picker, Action::Declare)
        );
        f.render_widget(Paragraph::new(hint).wrap(Wrap { trim: true }), inner);
    } else {
        let h = inner.height as usize;
        let offset = app.picker_selected.saturating_sub(h.saturating_sub(1));
        let mut lines = Vec::new();
        for (i, inc) in app.incidents.iter().enumerate().skip(offset).take(h) {
            let age = inc
                .declared_at
                .map(|d| format_duration(app.now - d))
                .unwrap_or_default();
            let ic = inc.commander.clone().unwrap_or_default();
            let drill = if inc.drill { "[DRILL] " } else { "" };
            let mut line = Line::from(vec![
                Span::raw(format!("{:<7}", inc.short_id)),
                Span::styled(format!(" {} ", inc.severity), severity_style(inc.severity)),
                Span::raw(format!(
                    " {:<8} {:<16} {:>7}  IC {:<10} {}",
                    inc.status.as_str(),
                    inc.stage.title(),
                    age,
                    clip(&ic, 10),
                    // The rest of the line is the title's; it ends in … when cut.
                    clip(
                        &format!("{drill}{}", inc.title),
                        (inner.width as usize).saturating_sub(64).max(8)
                    )
                )),
            ]);
            if i == app.picker_selected {
                line = line.style(Style::new().add_modifier(Modifier::REVERSED));
            }
            lines.push(line);
        }
        f.render_widget(Paragraph::new(lines), inner);
    }
    let hints = status_line(
        app,
        Section::Picker,
        &[Action::Open, Action::Declare, Action::Help, Action::Quit],
    );
    f.render_widget(Paragraph::new(hints), status);
}

fn incident(app: &App, f: &mut Frame) {
    let a = areas(app);
    header(app, f, a.header);
    tabs(app, f, a.tabs);
    for (pane, rect) in pane_rects(app) {
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
            .title(pane_title(app, pane));
        let inner = block.inner(rect);
        f.render_widget(block, rect);
        match pane {
            Pane::Timeline => timeline(app, f, inner, focused),
            Pane::Roster => roster(app, f, inner, focused),
            Pane::Board => board(app, f, inner, focused),
            Pane::Comms => comms(app, f, inner),
            Pane::Fatigue => fatigue(app, f, inner),
        }
    }
    let actions: &[Action] = match app.focus {
        Pane::Timeline => &[
            Action::AddNote,
            Action::SetImpactStart,
            Action::SetDetected,
            Action::SetImpactEnd,
            Action::Search,
            Action::Filter,
            Action::ToObservation,
            Action::FocusNext,
            Action::Help,
        ],
        Pane::Roster => &[
            Action::AssignRole,
            Action::ReleaseRole,
            Action::Join,
            Action::HandOver,
            Action::RequestChange,
            Action::ApproveChange,
            Action::DenyChange,
            Action::AskCommand,
            Action::Help,
        ],
        Pane::Board => &[
            Action::AddObservation,
            Action::AddTheory,
            Action::AddExperiment,
            Action::RecordOutcome,
            Action::Discipline,
            Action::Help,
        ],
        Pane::Comms => &[
            Action::EditDraft,
            Action::InsertTemplate,
            Action::ToggleAudience,
            Action::ToggleFinal,
            Action::SendUpdate,
            Action::Help,
        ],
        Pane::Fatigue => &[
            Action::ApplySuggestion,
            Action::HealthCheck,
            Action::FocusNext,
            Action::Help,
        ],
    };
    f.render_widget(
        Paragraph::new(status_line(app, app.focus.section(), actions)),
        a.status,
    );
}

fn pane_title(app: &App, pane: Pane) -> String {
    let n = Pane::ALL.iter().position(|p| *p == pane).unwrap_or(0) + 1;
    let mut t = format!(" {n} {} ", pane.title());
    if pane == Pane::Timeline {
        let rows = app.visible_rows();
        t = format!(" 1 Timeline ({rows}) ");
        if !app.timeline.filter.is_empty() {
            t.push_str(&format!("[{}] ", app.timeline.filter.describe()));
        }
        if let Some(s) = &app.timeline.search {
            t.push_str(&format!("[/{s}] "));
        }
        if app.timeline.follow {
            t.push_str("[follow] ");
        }
        t.push_str(if app.use_local { "[local] " } else { "[UTC] " });
    }
    if pane == Pane::Roster && app.waiting_for_me() > 0 {
        t.push_str(&format!("⚠ {} waiting ", app.waiting_for_me()));
    }
    t
}

fn header(app: &App, f: &mut Frame, area: Rect) {
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
    if let Some(h) = app.command_taken_recently() {
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
    let waiting = app.waiting_for_me();
    if waiting > 0 {
        second.push(alarm(
            format!("⚠ {waiting} request(s) need you"),
            Style::new().fg(Color::Black).bg(Color::Yellow),
        ));
    }
    let active = sum.status == crate::domain::event::Status::Active;
    let overdue = s.next_update_due().filter(|due| *due < app.now && active);
    if let Some(due) = overdue {
        second.push(alarm(
            format!("UPDATE OVERDUE {}", format_duration(app.now - due)),
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
    if let Some(due) = s.next_update_due().filter(|d| *d >= app.now && active) {
        second.push(Span::raw(format!(
            " · next update {}",
            format_duration(due - app.now)
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

fn timeline(app: &App, f: &mut Frame, area: Rect, focused: bool) {
    let Some(d) = &app.data else { return };
    let h = area.height as usize;
    let w = area.width as usize;
    let mut lines = Vec::with_capacity(h);
    let needle = app.timeline.search.as_ref().map(|s| s.to_lowercase());
    for vi in app.timeline.offset..(app.timeline.offset + h).min(app.visible_rows()) {
        let Some((ev, status)) = app.row_index(vi).and_then(|i| d.row(i)) else {
            continue;
        };
        let mut label = describe::label(&ev.kind).to_string();
        if d.corrections.contains(&ev.id) {
            label.push_str(" (fix)");
        }
        let text = describe::text_in(&d.state, ev);
        let (mark, style) = match status {
            RowStatus::Confirmed => (" ", Style::new()),
            RowStatus::Pending => ("⧗", Style::new().fg(Color::DarkGray).italic()),
            RowStatus::Rejected(_) => ("✗", Style::new().fg(Color::Red)),
        };
        let kind_style = match &ev.kind {
            crate::domain::event::EventKind::ImpactStarted {}
            | crate::domain::event::EventKind::Detected {}
            | crate::domain::event::EventKind::ImpactEnded {} => {
                Style::new().fg(Color::Yellow).bold()
            }
            crate::domain::event::EventKind::CommandHandedOver { .. } => {
                Style::new().fg(Color::Magenta).bold()
            }
            crate::domain::event::EventKind::ChangeRequested { .. } => {
                Style::new().fg(Color::Yellow)
            }
            crate::domain::event::EventKind::Unknown { .. } => Style::new().fg(Color::DarkGray),
            _ => Style::new().fg(Color::Cyan),
        };
        let mut body = text;
        if let RowStatus::Rejected(reason) = status {
            body = format!("{body}  — REJECTED: {reason}");
        }
        let prefix = format!(
            "{mark}{} {:<9} ",
            fmt_time(app, ev.at, false),
            clip(&ev.author, 9)
        );
        let rest = w.saturating_sub(prefix.chars().count() + 13);
        let mut line = Line::from(vec![
            Span::styled(prefix, style),
            Span::styled(format!("{:<12} ", clip(&label, 12)), kind_style),
            Span::styled(clip(&body, rest), style),
        ]);
        let hit = needle
            .as_deref()
            .is_some_and(|n| crate::tui::data::search_matches(ev, n));
        if focused && vi == app.timeline.selected {
            line = line.style(Style::new().add_modifier(Modifier::REVERSED));
        } else if hit {
            line = line.style(Style::new().bg(Color::Blue));
        }
        lines.push(line);
    }
    if lines.is_empty() {
        lines.push(Line::from(Span::styled(
            "nothing to show",
            Style::new().fg(Color::DarkGray),
        )));
    }
    f.render_widget(Paragraph::new(lines), area);
}

fn roster(app: &App, f: &mut Frame, area: Rect, focused: bool) {
    let Some(d) = &app.data else { return };
    let s = &d.state;
    let w = area.width as usize;
    let mut lines = Vec::new();
    let rows = app.roster_rows();
    let h = area.height as usize;
    let offset = app.roster_selected.saturating_sub(h.saturating_sub(1));
    for (i, row) in rows.iter().enumerate().skip(offset).take(h) {
        let mut line = match row {
            RosterRow::Role(role) => {
                let holder = s.roster.holder(*role).unwrap_or("-").to_string();
                let since = s
                    .roster
                    .since
                    .get(role)
                    .map(|t| format!(" {}", format_duration(app.now - *t)))
                    .unwrap_or_default();
                let note = if s.roster.is_defaulted_to_ic(*role) {
                    " (IC holds it)"
                } else {
                    ""
                };
                let style = if s.roster.is_defaulted_to_ic(*role) {
                    Style::new().fg(Color::DarkGray)
                } else {
                    Style::new()
                };
                Line::from(vec![
                    Span::styled(format!("{:<3}", role.code()), Style::new().bold()),
                    Span::styled(
                        clip(&format!("{holder}{note}{since}"), w.saturating_sub(3)),
                        style,
                    ),
                ])
            }
            RosterRow::Change(id) => {
                let c = s.change_requests.iter().find(|c| c.id == *id);
                let text = c
                    .map(|c| format!("⚠ {} asks: {}", c.author, c.description))
                    .unwrap_or_default();
                Line::from(Span::styled(
                    clip(&text, w),
                    Style::new().fg(Color::Black).bg(Color::Yellow),
                ))
            }
            RosterRow::CommandRequest(id) => {
                let r = s.command_requests.iter().find(|r| r.id == *id);
                let text = r
                    .map(|r| {
                        let why = if r.reason.is_empty() {
                            String::new()
                        } else {
                            format!(": {}", r.reason)
                        };
                        format!("⚠ {} asks for command{why}", r.author)
                    })
                    .unwrap_or_default();
                Line::from(Span::styled(
                    clip(&text, w),
                    Style::new().fg(Color::Black).bg(Color::Yellow),
                ))
            }
            RosterRow::Responder(handle) => {
                let r = s.responders.get(handle);
                let duty = r
                    .map(|r| format_duration(r.time_on_duty(app.now)))
                    .unwrap_or_default();
                let roles: Vec<&str> = s.roster.roles_of(handle).iter().map(|r| r.code()).collect();
                let state = if r.is_some_and(|r| r.on_duty_since.is_some()) {
                    "on"
                } else {
                    "off"
                };
                Line::from(clip(
                    &format!(
                        "  {handle:<12} {state:<3} duty {duty:>7} {}",
                        roles.join(",")
                    ),
                    w,
                ))
            }
        };
        if focused && i == app.roster_selected {
            line = line.style(Style::new().add_modifier(Modifier::REVERSED));
        }
        lines.push(line);
    }
    let decided = s
        .change_requests
        .iter()
        .filter(|c| c.decision != Decision::Pending)
        .count();
    if lines.len() < h && decided > 0 {
        lines.push(Line::from(Span::styled(
            format!("  {decided} change request(s) decided"),
            Style::new().fg(Color::DarkGray),
        )));
    }
    if lines.len() < h && s.summary.restricted {
        let members: Vec<&str> = s.summary.members.iter().map(String::as_str).collect();
        lines.push(Line::from(Span::styled(
            clip(
                &format!("  restricted, seen only by: {}", members.join(", ")),
                w,
            ),
            Style::new().fg(Color::Blue),
        )));
    }
    // The rest of the incident's obligations, while there is room.
    let privacy_style = match s.privacy {
        crate::domain::event::PrivacyAssessment::NotAssessed => Style::new().fg(Color::Yellow),
        crate::domain::event::PrivacyAssessment::NoPersonalInformation => {
            Style::new().fg(Color::DarkGray)
        }
        crate::domain::event::PrivacyAssessment::PossibleBreach => {
            Style::new().fg(Color::White).bg(Color::Red)
        }
    };
    let privacy = Span::styled(
        format!("Privacy: {} (V)", s.privacy.describe(s.privacy_steps.len())),
        privacy_style,
    );
    let open_actions = s.open_action_items();
    let mut extra = vec![Line::from(privacy)];
    if !s.action_items.is_empty() {
        extra.push(Line::from(format!(
            "Action items: {open_actions} open of {}",
            s.action_items.len()
        )));
    }
    if !s.known_errors.is_empty() {
        extra.push(Line::from(clip(
            &format!("Known errors: {}", s.known_error_keys().join(", ")),
            w,
        )));
    }
    for line in extra {
        if lines.len() < h {
            lines.push(line);
        }
    }
    f.render_widget(Paragraph::new(lines), area);
}

fn board(app: &App, f: &mut Frame, area: Rect, focused: bool) {
    let Some(d) = &app.data else { return };
    let b = &d.state.board;
    let cols: [Rect; 3] = Layout::horizontal([Constraint::Ratio(1, 3); 3]).areas(area);
    let titles = [
        format!("Observed ({})", b.observations.len()),
        format!("Theories ({})", b.theories.len()),
        format!("Experiments ({})", b.experiments.len()),
    ];
    let theory_no = |id| {
        b.theories
            .iter()
            .position(|t| t.id == id)
            .map(|i| format!("T{}", i + 1))
    };
    for (c, rect) in cols.iter().enumerate() {
        let block = Block::new()
            .borders(Borders::RIGHT)
            .title(Span::styled(titles[c].clone(), Style::new().bold()));
        let inner = block.inner(*rect);
        f.render_widget(block, *rect);
        let len = match c {
            0 => b.observations.len(),
            1 => b.theories.len(),
            _ => b.experiments.len(),
        };
        // Only the items that can be on screen are formatted.
        let item = |i: usize| -> (String, Style) {
            match c {
                0 => (format!("• {}", b.observations[i].text), Style::new()),
                1 => {
                    let t = &b.theories[i];
                    let (tag, style) = match t.status {
                        TheoryStatus::Open => ("open", Style::new()),
                        TheoryStatus::Supported => {
                            ("SUPPORTED", Style::new().fg(Color::Green).bold())
                        }
                        TheoryStatus::Refuted => {
                            ("refuted", Style::new().fg(Color::DarkGray).crossed_out())
                        }
                    };
                    (format!("T{} [{tag}] {}", i + 1, t.text), style)
                }
                _ => {
                    let e = &b.experiments[i];
                    let tests: Vec<String> = e.tests.iter().filter_map(|t| theory_no(*t)).collect();
                    let (tag, style) = match e.outcome {
                        None => ("running", Style::new().fg(Color::Yellow)),
                        Some(Outcome::Supports) => ("supports", Style::new().fg(Color::Green)),
                        Some(Outcome::Refutes) => ("refutes", Style::new().fg(Color::Red)),
                        Some(Outcome::Inconclusive) => {
                            ("inconclusive", Style::new().fg(Color::DarkGray))
                        }
                    };
                    (
                        format!("E{} [{tag}] {}: {}", i + 1, tests.join(","), e.plan),
                        style,
                    )
                }
            }
        };
        let h = inner.height as usize;
        let sel = app.board_rows[c];
        // Wrapped items: keep the selected one in view by starting a little before it.
        let start = sel
            .saturating_sub(h.saturating_sub(1) / 2)
            .min(len.saturating_sub(1));
        let mut text = Text::default();
        for i in start..len.min(start + h) {
            let (s, mut style) = item(i);
            if focused && app.board_column == c && i == sel {
                style = style.add_modifier(Modifier::REVERSED);
            }
            text.lines.push(Line::from(Span::styled(s, style)));
        }
        f.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), inner);
    }
}

fn comms(app: &App, f: &mut Frame, area: Rect) {
    let Some(d) = &app.data else { return };
    let s = &d.state;
    let [top, rest] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    let due = match s.next_update_due() {
        Some(due) if due < app.now => Span::styled(
            format!("next update OVERDUE by {}", format_duration(app.now - due)),
            Style::new().fg(Color::White).bg(Color::Red).bold(),
        ),
        Some(due) => Span::raw(format!(
            "next update in {} ({})",
            format_duration(due - app.now),
            fmt_time(app, due, false)
        )),
        None => Span::styled("no update promised yet", Style::new().fg(Color::Yellow)),
    };
    let audience = match app.audience {
        Audience::Internal => "INTERNAL",
        Audience::External => "EXTERNAL",
    };
    let kind = match app.draft().kind {
        crate::domain::comms::DraftKind::Update => "update",
        crate::domain::comms::DraftKind::Final => "final message",
    };
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(format!(" {audience} {kind} "), Style::new().reversed()),
            Span::raw(format!(" {} sent · ", s.comms.len())),
            due,
        ])),
        top,
    );
    let wide = rest.width >= 70;
    let (editor_area, check_area) = if wide {
        let [l, r] = Layout::horizontal([Constraint::Min(30), Constraint::Length(38)]).areas(rest);
        (l, r)
    } else {
        let n = app.draft().verdict.rules.len() as u16;
        let [t, b] = Layout::vertical([
            Constraint::Min(3),
            Constraint::Length(n.min(rest.height / 2)),
        ])
        .areas(rest);
        (t, b)
    };
    let mut editor = app.draft().editor.clone();
    let title = if app.editing {
        " draft (editing: esc to stop) "
    } else {
        " draft (e to edit) "
    };
    editor.set_block(Block::bordered().title(title).border_style(if app.editing {
        Style::new().fg(Color::Green)
    } else {
        Style::new()
    }));
    editor.set_cursor_line_style(Style::new());
    if !app.editing {
        editor.set_cursor_style(Style::new());
    }
    f.render_widget(&editor, editor_area);
    let verdict = &app.draft().verdict;
    let mut lines = Vec::new();
    let passed = verdict.rules.iter().filter(|r| r.passed).count();
    if wide {
        let head = if verdict.passed() {
            Span::styled(
                format!("READY {passed}/{}", verdict.rules.len()),
                Style::new().fg(Color::Green).bold(),
            )
        } else {
            Span::styled(
                format!("{passed}/{} checks pass", verdict.rules.len()),
                Style::new().fg(Color::Yellow).bold(),
            )
        };
        lines.push(Line::from(head));
    }
    for r in &verdict.rules {
        let (mark, style) = if r.passed {
            ("✓", Style::new().fg(Color::Green))
        } else {
            ("✗", Style::new().fg(Color::Red))
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{mark} "), style),
            Span::raw(r.label),
        ]));
        if !r.passed && wide {
            lines.push(Line::from(Span::styled(
                format!("  {}", r.hint),
                Style::new().fg(Color::DarkGray),
            )));
        }
    }
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), check_area);
}

fn fatigue(app: &App, f: &mut Frame, area: Rect) {
    let Some(d) = &app.data else { return };
    let s = &d.state;
    let clocks = crate::domain::fatigue::assess(s, app.now, &app.thresholds);
    let w = area.width as usize;
    let mut lines = vec![Line::from(Span::styled(
        format!(
            "{:<12} {:>8} {:>8} {:>8}  roles",
            "responder", "on inc.", "awake", "in role"
        ),
        Style::new().bold(),
    ))];
    // The commander's clocks come first, whatever their level.
    let ic = clocks.iter().filter(|c| c.is_commander);
    let others = clocks.iter().filter(|c| !c.is_commander);
    for c in ic.chain(others) {
        let style = match c.level {
            crate::domain::fatigue::Level::Over => Style::new().fg(Color::White).bg(Color::Red),
            crate::domain::fatigue::Level::Warn => Style::new().fg(Color::Black).bg(Color::Yellow),
            crate::domain::fatigue::Level::Ok if !c.on_duty => Style::new().fg(Color::DarkGray),
            crate::domain::fatigue::Level::Ok => Style::new(),
        };
        let roles: Vec<&str> = c.roles.iter().map(|r| r.code()).collect();
        let opt =
            |d: Option<chrono::Duration>| d.map(format_duration).unwrap_or_else(|| "?".into());
        let mut style = style;
        if c.is_commander {
            style = style.bold();
        }
        lines.push(Line::from(Span::styled(
            clip(
                &format!(
                    "{:<12} {:>8} {:>8} {:>8}  {}{}",
                    clip(&c.handle, 12),
                    format_duration(c.on_incident),
                    opt(c.awake),
                    opt(c.in_role),
                    roles.join(","),
                    if c.on_duty { "" } else { "(off duty)" }
                ),
                w,
            ),
            style,
        )));
    }
    let suggestions = app.suggestions();
    lines.push(Line::from(""));
    if suggestions.is_empty() {
        lines.push(Line::from(Span::styled(
            "No handover needed now.",
            Style::new().fg(Color::DarkGray),
        )));
    } else {
        lines.push(Line::from(Span::styled(
            "Suggested handovers (enter carries one out)",
            Style::new().bold(),
        )));
        for (i, sg) in suggestions.iter().enumerate() {
            let mut line = Line::from(clip(
                &format!("{} {} → {}  ({})", sg.role.code(), sg.from, sg.to, sg.why),
                w,
            ));
            if app.focus == Pane::Fatigue && i == app.fatigue_selected {
                line = line.style(Style::new().add_modifier(Modifier::REVERSED));
            }
            lines.push(line);
        }
    }
    if let Some(due) =
        crate::domain::fatigue::health_check_due(s, s.last_health_check, &app.thresholds)
    {
        let text = if due < app.now {
            Span::styled(
                "Team health check due now (H)",
                Style::new().fg(Color::Black).bg(Color::Yellow),
            )
        } else {
            Span::raw(format!(
                "Next team health check in {}",
                format_duration(due - app.now)
            ))
        };
        lines.push(Line::from(text));
    }
    f.render_widget(Paragraph::new(lines), area);
}

pub(super) fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

fn help(app: &App, f: &mut Frame, area: Rect) {
    let rect = centered(
        area,
        area.width.saturating_sub(2).min(150),
        area.height.saturating_sub(2).max(3),
    );
    f.render_widget(Clear, rect);
    let block = Block::bordered()
        .title(" Keys (any key closes) ")
        .title_bottom(format!(" keymap: {} ", app.keymap.name));
    let inner = block.inner(rect);
    f.render_widget(block, rect);
    // The pane's own keys first, then the global ones; flowing into as many columns as
    // the height needs, so every key shows on an 80x24 terminal.
    enum Row {
        Heading(String),
        Key(String, Action),
    }
    let mut entries: Vec<Row> = Vec::new();
    for section in [app.section(), Section::Global] {
        let keys = app.keymap.section(section);
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
                    let (key_style, text_style) = if app.may(*action) {
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

fn discipline(app: &App, f: &mut Frame, area: Rect) {
    let rect = centered(area, 78, 20);
    f.render_widget(Clear, rect);
    let block = Block::bordered().title(" The IC's questions (any key closes) ");
    let inner = block.inner(rect);
    f.render_widget(block, rect);
    let Some(d) = &app.data else { return };
    let s = &d.state;
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
                Some(due) if due < app.now => "the promised update is OVERDUE".to_string(),
                Some(due) => format!("next due in {}", format_duration(due - app.now)),
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
