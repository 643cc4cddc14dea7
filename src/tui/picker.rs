//! The incident list, where the console starts: every incident this replica knows, with
//! its short id, severity, status, stage, age, commander, what on it needs you and title,
//! drills marked. What needs you comes first, then active incidents by severity and the
//! most recently updated (`domain::attention`); the cursor stays on its incident while the
//! list reorders or grows. The incident commander opens one, declares a new one (title,
//! severity, summary and, if known, when impact started), or looks at TTD and TTR across
//! incidents.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::action::Action;
use super::ctx::{Ctx, Look, severity_style};
use super::effect::Effect;
use super::fit;
use super::footer::status_line;
use super::header;
use super::keymap::Section;
use super::overlay::Overlay;
use super::overlay::form::{Answers, Field, Purpose};
use crate::domain::attention::{self, Need};
use crate::domain::describe::visible_line;
use crate::domain::event::Severity;
use crate::domain::incident::IncidentSummary;
use crate::domain::metrics::format_duration;
use crate::sync::engine::LinkStatus;
use uuid::Uuid;

/// What the footer offers in the list.
pub const HINTS: &[Action] = &[Action::Open, Action::Declare, Action::Help, Action::Quit];
/// What it offers while alerts show above the list.
pub const ALERT_HINTS: &[Action] = &[
    Action::DeclareFromAlert,
    Action::AttachAlert,
    Action::Open,
    Action::Declare,
    Action::Help,
    Action::Quit,
];

// The fields of the declare form.
const TITLE: &str = "Title";
const SEVERITY: &str = "Severity";
const SUMMARY: &str = "Summary";
const STARTED: &str = "Impact started";

/// Widest the "needs you" column gets; longer text ends in …
const NEEDS_WIDTH: usize = 30;
/// Widest a commander's name gets in the list.
const NAME_WIDTH: usize = 12;

/// Orders `incidents` for `me` at `now` and keeps the cursor on its incident: `selected`
/// is the incident under the cursor and `row` where it now is. When that incident is gone
/// (or none was chosen yet) the cursor stays on its row and takes the incident there.
pub fn order(
    incidents: &mut [IncidentSummary],
    me: &str,
    now: DateTime<Utc>,
    selected: &mut Option<Uuid>,
    row: &mut usize,
) {
    attention::order(incidents, me, now);
    match selected.and_then(|id| incidents.iter().position(|i| i.id == id)) {
        Some(found) => *row = found,
        None => {
            *row = (*row).min(incidents.len().saturating_sub(1));
            *selected = incidents.get(*row).map(|i| i.id);
        }
    }
}

/// The incidents other than `open` on which something needs `me`, each with what, in the
/// list's order.
pub fn needing<'a>(
    incidents: &'a [IncidentSummary],
    me: &str,
    now: DateTime<Utc>,
    open: Option<Uuid>,
) -> Vec<(&'a IncidentSummary, Vec<Need>)> {
    let mut found: Vec<(&IncidentSummary, Vec<Need>)> = incidents
        .iter()
        .filter(|i| Some(i.id) != open)
        .map(|i| (i, attention::needs(i, me, now)))
        .filter(|(_, needs)| !needs.is_empty())
        .collect();
    found.sort_by_cached_key(|(i, _)| attention::rank(i, me, now));
    found
}

/// What needs `me` on an incident, as one short line.
pub fn needs_text(needs: &[Need]) -> String {
    needs
        .iter()
        .map(|n| n.label())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The list's own acts, on the selected incident.
pub fn act(
    ctx: &mut Ctx,
    incidents: &[IncidentSummary],
    selected: &mut usize,
    action: Action,
) -> Vec<Effect> {
    let n = incidents.len();
    match action {
        Action::Up => *selected = selected.saturating_sub(1),
        Action::Down => *selected = (*selected + 1).min(n.saturating_sub(1)),
        Action::Top => *selected = 0,
        Action::Bottom => *selected = n.saturating_sub(1),
        Action::Open => {
            if let Some(i) = incidents.get(*selected) {
                let id = i.id;
                return vec![
                    Effect::LoadIncident { id, after: 0 },
                    Effect::Focus(Some(id)),
                ];
            }
        }
        Action::Declare => ctx.open_form(
            "Declare an incident",
            Purpose::Declare,
            vec![
                Field::line(TITLE, "", "what is wrong, in one line"),
                Field::line(SEVERITY, "", "1 critical · 2 major · 3 minor: choose one"),
                Field::line(SUMMARY, "", "current state and impact, a sentence or two"),
                Field::line(STARTED, "", "e.g. 21:40 or -15m; empty if unknown"),
            ],
        ),
        Action::Stats => *ctx.overlay = Overlay::Stats,
        _ => {}
    }
    Vec::new()
}

/// A submitted declaration.
pub fn submit(ctx: &mut Ctx, form: &Answers) -> Vec<Effect> {
    if form.purpose != Purpose::Declare {
        return Vec::new();
    }
    let severity = match form
        .value(SEVERITY)
        .trim()
        .parse::<i64>()
        .map_err(|_| String::new())
        .and_then(Severity::new)
    {
        Ok(s) => s,
        Err(_) => return ctx.refuse("choose the severity: 1, 2 or 3".into()),
    };
    let title = form.value(TITLE);
    if title.is_empty() {
        return ctx.refuse("the title must not be empty".into());
    }
    let started = form.value(STARTED);
    let started_at = if started.is_empty() {
        None
    } else {
        match ctx.parse_time(&started) {
            Ok(t) => Some(t),
            Err(e) => return ctx.refuse(e),
        }
    };
    ctx.close_overlay();
    vec![Effect::Declare {
        title,
        severity,
        summary: form.value(SUMMARY),
        started_at,
    }]
}

// The list's columns, in order.
const COL_ID: usize = 0;
const COL_SEV: usize = 1;
const COL_STATUS: usize = 2;
const COL_STAGE: usize = 3;
const COL_AGE: usize = 4;
const COL_IC: usize = 5;
const COL_NEEDS: usize = 6;
const COL_TITLE: usize = 7;

/// One incident's row, column by column, as text.
type Cells = [String; 8];

fn cells(look: &Look, inc: &IncidentSummary) -> Cells {
    let age = inc
        .declared_at
        .map(|d| format_duration(look.now - d))
        .unwrap_or_default();
    let ic = inc
        .commander
        .as_deref()
        .map(|c| format!("IC {}", visible_line(c)))
        .unwrap_or_default();
    let drill = if inc.drill { "[DRILL] " } else { "" };
    [
        inc.short_id.clone(),
        inc.severity.to_string(),
        inc.status.as_str().to_string(),
        inc.stage.title().to_string(),
        age,
        ic,
        needs_text(&attention::needs(inc, look.handle, look.now)),
        format!("{drill}{}", visible_line(&inc.title)),
    ]
}

/// How wide each column is drawn (`None`: left out) for `rows` in `width` columns: each as
/// wide as its widest cell, what needs you and the commander's name capped, and the title
/// taking the rest. When a row does not fit, the stage goes first, then the age, names and
/// what needs you are cut shorter and the status goes, so the title keeps 30 columns;
/// then the title is cut to 20; the severity and the id go last.
fn columns(rows: &[Cells], width: usize) -> [Option<usize>; 8] {
    let widest = |c: usize| {
        rows.iter()
            .map(|r| fit::text_width(&r[c]))
            .max()
            .unwrap_or(0)
    };
    let cap = |c: usize, most: usize| widest(c).min(most);
    let mut forms: Vec<Vec<(usize, u16)>> = vec![
        vec![(widest(COL_ID), 95)],
        vec![(widest(COL_SEV) + 2, 100)],
        vec![(widest(COL_STATUS), 60)],
        vec![(widest(COL_STAGE), 30)],
        vec![(widest(COL_AGE), 40)],
        vec![(cap(COL_IC, 3 + NAME_WIDTH), 50), (cap(COL_IC, 3 + 8), 70)],
        vec![(cap(COL_NEEDS, NEEDS_WIDTH), 55), (cap(COL_NEEDS, 16), 90)],
        vec![
            (widest(COL_TITLE), 10),
            (cap(COL_TITLE, 30), 65),
            (cap(COL_TITLE, 20), 85),
        ],
    ];
    // A column with nothing in it takes no room.
    for f in forms.iter_mut() {
        if f.iter().all(|(w, _)| *w == 0) {
            f.clear();
        }
    }
    let measures: Vec<fit::Measure> = forms
        .into_iter()
        .map(|forms| fit::Measure { forms, join: 1 })
        .collect();
    let chosen = fit::choose(&measures, width);
    let spare = width.saturating_sub(fit::used(&measures, &chosen));
    let mut out = [None; 8];
    for (c, choice) in chosen.into_iter().enumerate() {
        out[c] = choice.map(|k| measures[c].forms[k].0);
    }
    if let Some(w) = &mut out[COL_TITLE] {
        *w += spare;
    }
    out
}

/// Draws the list with its title line and footer, and above it the firing alerts no open
/// incident took in (`alerts`), the cursor on one of them when `alert_row` says so.
#[allow(clippy::too_many_arguments)]
pub fn draw(
    look: &Look,
    incidents: &[IncidentSummary],
    selected: usize,
    alerts: &[&crate::domain::alert::Alert],
    alert_row: Option<usize>,
    link: &LinkStatus,
    f: &mut Frame,
    area: Rect,
) {
    let [title, alert_area, list, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(super::picker_alerts::height(alerts.len())),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    if !alerts.is_empty() {
        super::picker_alerts::draw(look, alerts, alert_row, f, alert_area);
    }
    // The incidents' cursor shows while it is not on an alert.
    let highlight = alert_row.is_none();
    let now = look.now;
    // Who you are and the link to the server stay whole, the rest goes first.
    let (line, _) = fit::fit(
        vec![
            fit::Part::one(
                vec![Span::styled(" warroom ", Style::new().reversed().bold())],
                60,
                " ",
            ),
            fit::Part::one(vec![Span::raw("incidents")], 20, " · "),
            fit::Part::one(
                vec![Span::raw(format!("you are {}", visible_line(look.handle)))],
                130,
                " · ",
            ),
            header::link_part(link, look.clock, now),
        ],
        usize::from(title.width),
    );
    f.render_widget(Paragraph::new(line), title);
    let block = Block::bordered().title(" Incidents ");
    let inner = block.inner(list);
    f.render_widget(block, list);
    if incidents.is_empty() {
        let hint = format!(
            "No incidents yet. Press {} to declare one.",
            look.keymap.hint(Section::Picker, Action::Declare)
        );
        f.render_widget(Paragraph::new(hint).wrap(Wrap { trim: true }), inner);
    } else {
        let h = inner.height as usize;
        let offset = selected.saturating_sub(h.saturating_sub(1));
        let rows: Vec<Cells> = incidents.iter().map(|i| cells(look, i)).collect();
        let widths = columns(&rows, usize::from(inner.width));
        let mut lines = Vec::new();
        for (i, row) in rows.iter().enumerate().skip(offset).take(h) {
            let inc = &incidents[i];
            let mut spans = Vec::new();
            for (c, w) in widths.iter().enumerate() {
                let Some(w) = *w else { continue };
                let text = &row[c];
                let span = match c {
                    COL_SEV => Span::styled(format!(" {text} "), severity_style(inc.severity)),
                    COL_AGE => Span::raw(format!("{:>w$}", fit::clip(text, w))),
                    COL_NEEDS => Span::styled(
                        format!("{:<w$}", fit::clip(text, w)),
                        Style::new().fg(Color::Yellow).bold(),
                    ),
                    // The title's cell is the rest of the line; it ends in … when cut.
                    _ => Span::raw(format!("{:<w$}", fit::clip(text, w))),
                };
                if !spans.is_empty() {
                    spans.push(Span::raw(" "));
                }
                spans.push(span);
            }
            let mut line = Line::from(spans);
            if i == selected && highlight {
                line = line.style(Style::new().add_modifier(Modifier::REVERSED));
            }
            lines.push(line);
        }
        f.render_widget(Paragraph::new(lines), inner);
    }
    let hints = if alerts.is_empty() {
        HINTS
    } else {
        ALERT_HINTS
    };
    let hints = status_line(look, Section::Picker, hints, usize::from(status.width));
    f.render_widget(Paragraph::new(hints), status);
}
