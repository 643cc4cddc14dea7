//! The header: two lines over the panes. The first says which incident this is (its short
//! id, severity, DRILL and RESTRICTED marks and title) with the incident commander and the
//! link to the server at its right. The second says what needs attention now, alarms first
//! (command taken, an overdue update, requests waiting for you, another incident that needs
//! you), then where the incident stands (impact, the next update, status and stage, TTD,
//! TTR). Each line is fitted to the terminal (`fit`): decorations and details go first and
//! nothing is cut, so alarms, the severity, the commander and the link state stay whole on
//! any terminal they fit on.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::app::App;
use super::ctx::{Clock, Look, severity_style};
use super::fit::{self, Part};
use super::keymap::Section;
use super::picker;
use crate::domain::describe::visible_line;
use crate::domain::event::{Audience, PrivacyAssessment};
use crate::domain::metrics::format_duration;
use crate::sync::engine::{Link, LinkStatus};

// How long each part of the first line lasts as it is squeezed: higher lasts longer.
const SEVERITY: u16 = 200;
const IC_SHORT: u16 = 150;
const LINK_SHORT: u16 = 140;
const DRILL: u16 = 130;
const RESTRICTED: u16 = 125;
const LINK_MID: u16 = 120;
const IC_FULL: u16 = 110;
const TITLE_MIN: u16 = 100;
const SHORT_ID: u16 = 90;
const TITLE_FULL: u16 = 20;
const LINK_FULL: u16 = 10;
/// The title keeps at least this many columns while it shows.
const TITLE_COLUMNS: usize = 12;

// And of the second: each alarm's shortest form lasts longest (the first alarm longest of
// all), its longer forms go once the details have gone.
const ALARM_SHORT: u16 = 180;
const ALARM_MID: u16 = 120;
const ALARM_FULL: u16 = 100;
const IMPACT: u16 = 60;
const NEXT_UPDATE: u16 = 55;
const STAGE: u16 = 50;
const TTD: u16 = 45;
const TTR: u16 = 40;

pub fn draw(app: &App, look: &Look, f: &mut Frame, area: Rect) {
    if let Some(lines) = lines(app, look, usize::from(area.width)) {
        f.render_widget(Paragraph::new(lines.to_vec()), area);
    }
}

/// The header's two lines, `width` columns wide, for the open incident.
pub fn lines(app: &App, look: &Look, width: usize) -> Option<[Line<'static>; 2]> {
    let d = app.data.as_ref()?;
    let s = &d.state;
    let sum = &s.summary;
    let badge = |text: &str, style: Style| vec![Span::styled(format!(" {text} "), style)];

    // Which incident, and who commands it over which link.
    let mut first = vec![
        Part::one(
            badge(&sum.short_id, Style::new().reversed().bold()),
            SHORT_ID,
            " ",
        ),
        Part::one(
            badge(&sum.severity.to_string(), severity_style(sum.severity)),
            SEVERITY,
            " ",
        ),
    ];
    if sum.drill {
        first.push(Part::one(
            badge("DRILL", Style::new().fg(Color::Black).bg(Color::Magenta)),
            DRILL,
            " ",
        ));
    }
    if sum.restricted {
        first.push(Part::one(
            badge("RESTRICTED", Style::new().fg(Color::White).bg(Color::Blue)),
            RESTRICTED,
            " ",
        ));
    }
    let title = visible_line(&sum.title).into_owned();
    let bold = Style::new().bold();
    let mut title_part = Part::forms(
        vec![
            (vec![Span::styled(title.clone(), bold)], TITLE_FULL),
            (
                vec![Span::styled(fit::clip(&title, TITLE_COLUMNS), bold)],
                TITLE_MIN,
            ),
        ],
        " ",
    );
    title_part.grow = true;
    first.push(title_part);
    let ic = s.commander().unwrap_or("-");
    let ic = visible_line(ic).into_owned();
    let mut ic_forms = Vec::new();
    if s.commander() == Some(app.handle.as_str()) {
        ic_forms.push((vec![Span::raw(format!("IC {ic} (you)"))], IC_FULL));
    }
    ic_forms.push((vec![Span::raw(format!("IC {ic}"))], IC_SHORT));
    first.push(Part::forms(ic_forms, " · "));
    first.push(link_part(&app.link, look.clock, app.now));

    // What needs attention now, then where the incident stands.
    let alarms = alarms(app, look);
    let mut second: Vec<Part> = Vec::new();
    for (i, (forms, style)) in alarms.into_iter().enumerate() {
        let i = i as u16;
        let n = forms.len();
        let lasts = |k: usize| match (k + 1 == n, k) {
            (true, _) => ALARM_SHORT.saturating_sub(i),
            (false, 0) => ALARM_FULL.saturating_sub(i),
            _ => ALARM_MID.saturating_sub(i),
        };
        second.push(Part::forms(
            forms
                .iter()
                .enumerate()
                .map(|(k, text)| (badge(text, style), lasts(k)))
                .collect(),
            " ",
        ));
    }
    let now = app.now;
    let plain = |text: String, lasts: u16| Part::one(vec![Span::raw(text)], lasts, " · ");
    match (s.impact.started, s.impact.ended) {
        (Some(start), None) => {
            second.push(plain(
                format!("impact {}", format_duration(now - start)),
                IMPACT,
            ));
        }
        (Some(_), Some(_)) => second.push(plain("impact ended".into(), IMPACT)),
        (None, _) => second.push(Part::one(
            vec![Span::styled(
                "start of impact unknown",
                Style::new().fg(Color::Yellow),
            )],
            IMPACT,
            " · ",
        )),
    }
    for (audience, due) in s.next_updates().into_iter().filter(|(_, due)| *due >= now) {
        second.push(plain(
            format!(
                "next {} update {}",
                word(audience).to_lowercase(),
                format_duration(due - now)
            ),
            NEXT_UPDATE,
        ));
    }
    second.push(plain(
        format!("{} · {}", sum.status.as_str(), sum.stage.title()),
        STAGE,
    ));
    if let Some(ttd) = s.ttd() {
        second.push(plain(format!("TTD {}", format_duration(ttd)), TTD));
    }
    if let Some(ttr) = s.ttr() {
        second.push(plain(format!("TTR {}", format_duration(ttr)), TTR));
    }

    let (first, _) = fit::fit(first, width);
    // The second line keeps a column of margin unless it opens with an alarm.
    let (mut second, _) = fit::fit(second, width.saturating_sub(1));
    if second.spans.first().is_none_or(|s| s.style.bg.is_none()) {
        second.spans.insert(0, Span::raw(" "));
    }
    Some([first, second])
}

fn word(a: Audience) -> &'static str {
    match a {
        Audience::Internal => "INT",
        Audience::External => "EXT",
    }
}

/// The alarms, most pressing first, each with its forms (longest first) and style.
fn alarms(app: &App, look: &Look) -> Vec<(Vec<String>, Style)> {
    let Some(d) = &app.data else {
        return Vec::new();
    };
    let s = &d.state;
    let red = Style::new().fg(Color::White).bg(Color::Red).bold();
    let yellow = Style::new().fg(Color::Black).bg(Color::Yellow);
    let mut out = Vec::new();
    if let Some(h) = look.command_taken_recently() {
        let to = visible_line(&h.to).into_owned();
        let from = visible_line(h.from.as_deref().unwrap_or("the IC")).into_owned();
        let forms = if h.from.as_deref() == Some(app.handle.as_str()) {
            vec![
                format!("COMMAND TAKEN FROM YOU by {to}"),
                format!("TAKEN FROM YOU by {to}"),
            ]
        } else {
            vec![
                format!("COMMAND TAKEN by {to} from {from}"),
                format!("COMMAND TAKEN by {to}"),
            ]
        };
        out.push((forms, red));
    }
    for (audience, due) in s
        .next_updates()
        .into_iter()
        .filter(|(_, due)| *due < app.now)
    {
        let late = format_duration(app.now - due);
        out.push((
            vec![
                format!("{} UPDATE OVERDUE {late}", word(audience)),
                format!("{} OVERDUE {late}", word(audience)),
            ],
            red,
        ));
    }
    out.extend(page_alarms(s, red, yellow));
    let waiting = look.waiting_for_me();
    if waiting > 0 {
        out.push((
            vec![
                format!("⚠ {waiting} request(s) need you"),
                format!("⚠ {waiting} for you"),
            ],
            yellow,
        ));
    }
    if let Some(forms) = super::pane::roster::waiting_change_alarm(look, app.section()) {
        out.push((forms, yellow.bold()));
    }
    if s.privacy == PrivacyAssessment::PossibleBreach && s.privacy_steps.len() < 6 {
        out.push((
            vec!["PRIVACY BREACH?".into()],
            Style::new().fg(Color::White).bg(Color::Magenta).bold(),
        ));
    }
    if let Some(forms) = others_badge(app) {
        out.push((forms, yellow.bold()));
    }
    if app.link_warning.is_some() {
        out.push((
            vec!["PLAIN HTTP: token in clear".into(), "PLAIN HTTP".into()],
            yellow.bold(),
        ));
    }
    let health_due = s.commander() == Some(app.handle.as_str())
        && crate::domain::fatigue::health_check_due(s, s.last_health_check, &app.thresholds)
            .is_some_and(|d| d < app.now);
    if health_due {
        out.push((
            vec!["health check due".into(), "health check".into()],
            yellow,
        ));
    }
    out
}

/// Pages that failed to go out or to close (red, with the provider's reason while there
/// is room), and pages being sent (yellow).
fn page_alarms(
    s: &crate::domain::incident::Incident,
    red: Style,
    yellow: Style,
) -> Vec<(Vec<String>, Style)> {
    use crate::domain::page::{self, PageStatus};
    let mut out = Vec::new();
    for p in page::failed(s) {
        let team = visible_line(&p.team).into_owned();
        let what = if p.status == Some(PageStatus::ResolveFailed) {
            "NOT CLOSED"
        } else {
            "FAILED"
        };
        let why = fit::clip(&visible_line(&p.error), 48);
        out.push((
            vec![
                format!("PAGE TO {team} {what}: {why}"),
                format!("PAGE TO {team} {what}"),
                format!("PAGE {what}"),
            ],
            red,
        ));
    }
    let sending: Vec<String> = page::sending(s)
        .iter()
        .map(|p| visible_line(&p.team).into_owned())
        .collect();
    if !sending.is_empty() {
        out.push((
            vec![format!("paging {}…", sending.join(", ")), "paging…".into()],
            yellow,
        ));
    }
    out
}

/// "⚑ 1 other needs you: k7m2qx 2 changes wait · ! opens": the incident that needs this
/// responder most among the others, and the key that opens it; shorter, "⚑ k7m2qx 2
/// changes wait · !" and "⚑ k7m2qx · !".
fn others_badge(app: &App) -> Option<Vec<String>> {
    let others = app.others_needing_me();
    let (first, needs) = others.first()?;
    let count = match others.len() {
        1 => "1 other needs you".to_string(),
        n => format!("{n} others need you"),
    };
    let needs = picker::needs_text(needs);
    let key = app
        .keymap
        .hint(Section::Global, super::action::Action::JumpToNeed);
    let (opens, key) = if key == "-" {
        (String::new(), String::new())
    } else {
        (format!(" · {key} opens"), format!(" · {key}"))
    };
    let id = &first.short_id;
    Some(vec![
        format!("⚑ {count}: {id} {needs}{opens}"),
        format!("⚑ {id} {needs}{key}"),
        format!("⚑ {id}{key}"),
    ])
}

/// The link to the server, as a part of a line (the header's, the incident list's): in
/// full (`LinkStatus::describe`), then its state, since when and what waits to be sent,
/// then its state and what waits alone.
pub fn link_part(link: &LinkStatus, clock: Clock, now: chrono::DateTime<chrono::Utc>) -> Part {
    let counts = if link.link == Link::Solo {
        String::new()
    } else {
        let mut c = format!(" · {} pending", link.pending);
        if link.rejected > 0 {
            c.push_str(&format!(" · {} REJECTED", link.rejected));
        }
        c
    };
    let mut short_counts = String::new();
    if link.pending > 0 {
        short_counts.push_str(&format!(" · {} pending", link.pending));
    }
    if link.rejected > 0 {
        short_counts.push_str(&format!(" · {} REJECTED", link.rejected));
    }
    let (mid, short, style) = match &link.link {
        Link::Solo => (
            "solo (no server)".to_string(),
            "solo".to_string(),
            Style::new().fg(Color::DarkGray),
        ),
        Link::Connecting => (
            format!("connecting{counts}"),
            format!("connecting{short_counts}"),
            Style::new().fg(Color::DarkGray),
        ),
        Link::Connected => (
            format!("connected{counts}"),
            format!("connected{short_counts}"),
            Style::new().fg(Color::DarkGray),
        ),
        Link::Offline { since, .. } => (
            format!("OFFLINE since {}{counts}", clock.show(*since, false)),
            format!("OFFLINE{short_counts}"),
            Style::new().fg(Color::White).bg(Color::Red).bold(),
        ),
        Link::Broken(why) => (
            format!("NOT SYNCING: {}{counts}", fit::clip(&visible_line(why), 24)),
            format!("NOT SYNCING{short_counts}"),
            Style::new().fg(Color::White).bg(Color::Red).bold(),
        ),
    };
    let full = visible_line(&link.describe(now)).into_owned();
    Part::forms(
        vec![
            (vec![Span::styled(full, style)], LINK_FULL),
            (vec![Span::styled(mid, style)], LINK_MID),
            (vec![Span::styled(short, style)], LINK_SHORT),
        ],
        "",
    )
}
