//! The timeline pane (1): everything that happened on the incident, in order, one line per
//! entry with its time, author, kind and text. Changes the server has not confirmed yet are
//! marked ⧗, refused ones ✗ with the reason until dismissed. The incident commander
//! follows it live (the newest entry stays on the last line), searches and filters it by
//! kind and author, jumps to a time, adds notes, sets when impact started, was detected and
//! ended, turns an entry into an observation for the board, and redacts an entry's text
//! everywhere when a secret was pasted into it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::board;
use crate::domain::describe::{self, clip};
use crate::domain::event::{Event, EventKind};
use crate::domain::metrics::Mark;
use crate::tui::action::Action;
use crate::tui::ctx::{Ctx, Look};
use crate::tui::data::{Filter, IncidentData, RowStatus, search_matches};
use crate::tui::effect::Effect;
use crate::tui::overlay::form::{Answers, Field, Purpose};

/// What the footer offers while the timeline has the focus.
pub const HINTS: &[Action] = &[
    Action::AddNote,
    Action::SetImpactStart,
    Action::SetDetected,
    Action::SetImpactEnd,
    Action::Search,
    Action::Filter,
    Action::ToObservation,
    Action::FocusNext,
    Action::Help,
];

// The fields of the timeline's forms.
const NOTE: &str = "Note";
const FIND: &str = "Find";
const SHOW: &str = "Show";
const TIME: &str = "Time";
const WHEN: &str = "When";
const REASON: &str = "Reason";

/// Where the timeline stands: the selection, the scroll, following, filter and search.
#[derive(Clone, Debug, Default)]
pub struct TimelineState {
    /// Index into the visible rows.
    pub selected: usize,
    pub offset: usize,
    pub follow: bool,
    pub filter: Filter,
    /// Row indices that pass the filter; `None` when there is no filter.
    pub filtered: Option<Vec<usize>>,
    pub search: Option<String>,
}

impl TimelineState {
    /// A timeline as an incident opens: following, unfiltered.
    pub fn following() -> TimelineState {
        TimelineState {
            follow: true,
            ..TimelineState::default()
        }
    }

    /// How many rows the timeline shows (after the filter).
    pub fn visible_rows(&self, data: Option<&IncidentData>) -> usize {
        match (&self.filtered, data) {
            (Some(rows), _) => rows.len(),
            (None, Some(d)) => d.len(),
            (None, None) => 0,
        }
    }

    /// The data row behind visible row `i`.
    pub fn row_index(&self, i: usize) -> Option<usize> {
        match &self.filtered {
            Some(rows) => rows.get(i).copied(),
            None => Some(i),
        }
    }

    pub fn selected_event<'a>(&self, data: Option<&'a IncidentData>) -> Option<&'a Event> {
        let d = data?;
        d.row(self.row_index(self.selected)?).map(|(e, _)| e)
    }

    /// Scrolls so the selection is on screen, `height` rows high; following, the newest
    /// entry sits on the last line.
    pub fn keep_selection_visible(&mut self, data: Option<&IncidentData>, height: usize) {
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        let max_offset = self.visible_rows(data).saturating_sub(height);
        self.offset = self.offset.min(max_offset);
        if self.follow && self.selected + 1 >= self.visible_rows(data) {
            // Following: the newest entry sits on the last line.
            self.offset = max_offset;
        }
    }

    /// An incident's rows changed from confirmed row `first` on (pending rows confirmed,
    /// others added): the filter checks them again.
    pub fn refilter_from(&mut self, data: &IncidentData, first: usize) {
        if let Some(rows) = &mut self.filtered {
            rows.retain(|i| *i < first);
            let filter = &self.filter;
            rows.extend(
                (first..data.len())
                    .filter(|i| data.row(*i).is_some_and(|(e, _)| filter.matches(e))),
            );
        }
    }

    /// After a load: following selects the newest entry, and the selection stays on a row.
    pub fn after_load(&mut self, data: Option<&IncidentData>, height: usize) {
        if self.follow {
            self.selected = self.visible_rows(data).saturating_sub(1);
        }
        self.selected = self.selected.min(self.visible_rows(data).saturating_sub(1));
        self.keep_selection_visible(data, height);
    }

    /// Up, down, a page, first or last; the last entry follows again.
    pub fn navigate(
        &mut self,
        data: Option<&IncidentData>,
        height: usize,
        action: Action,
        delta: isize,
    ) {
        if action == Action::Bottom {
            self.follow = true;
        }
        self.move_by(data, height, delta);
    }

    fn move_by(&mut self, data: Option<&IncidentData>, height: usize, delta: isize) {
        let n = self.visible_rows(data);
        if n == 0 {
            return;
        }
        let sel = (self.selected as isize + delta).clamp(0, n as isize - 1) as usize;
        self.selected = sel;
        self.follow = sel == n - 1 && delta > 0 && self.follow;
        self.keep_selection_visible(data, height);
    }

    fn search_step(&mut self, ctx: &mut Ctx, height: usize, forward: bool) {
        let Some(needle) = self.search.as_ref().map(|s| s.to_lowercase()) else {
            ctx.complain("no search yet: press / to search");
            return;
        };
        let Some(d) = ctx.data else { return };
        let n = self.visible_rows(ctx.data);
        let start = self.selected;
        let found = (1..=n).find_map(|step| {
            let i = if forward {
                (start + step) % n
            } else {
                (start + n - step % n) % n
            };
            let row = self.row_index(i)?;
            d.row(row)
                .filter(|(e, _)| search_matches(e, &needle))
                .map(|_| i)
        });
        match found {
            Some(i) => {
                self.selected = i;
                self.follow = false;
                self.keep_selection_visible(ctx.data, height);
                *ctx.message = None;
            }
            None => ctx.complain(format!("no entry matches “{needle}”")),
        }
    }

    fn apply_filter(&mut self, data: Option<&IncidentData>, height: usize, filter: Filter) {
        self.filtered = if filter.is_empty() {
            None
        } else {
            data.map(|d| {
                (0..d.len())
                    .filter(|i| d.row(*i).is_some_and(|(e, _)| filter.matches(e)))
                    .collect()
            })
        };
        self.filter = filter;
        self.selected = self.visible_rows(data).saturating_sub(1);
        self.follow = true;
        self.keep_selection_visible(data, height);
    }
}

/// The timeline's own acts; `height` is how many rows it shows.
pub fn act(ctx: &mut Ctx, t: &mut TimelineState, height: usize, action: Action) -> Vec<Effect> {
    match action {
        Action::AddNote => ctx.open_form("Note", Purpose::Note, vec![Field::line(NOTE, "", "")]),
        Action::Search => {
            let current = t.search.clone().unwrap_or_default();
            ctx.open_form(
                "Search the timeline",
                Purpose::Search,
                vec![Field::line(FIND, &current, "author, kind or text")],
            );
        }
        Action::SearchNext => t.search_step(ctx, height, true),
        Action::SearchPrev => t.search_step(ctx, height, false),
        Action::Filter => {
            let current = t.filter.describe();
            ctx.open_form(
                "Filter the timeline",
                Purpose::Filter,
                vec![Field::line(
                    SHOW,
                    &current,
                    "e.g. kind:theory,experiment author:maya; empty shows all",
                )],
            );
        }
        Action::ClearFilter => {
            t.search = None;
            t.apply_filter(ctx.data, height, Filter::default());
            ctx.say("showing every entry");
        }
        Action::JumpToTime => ctx.open_form(
            "Jump to time",
            Purpose::JumpToTime,
            vec![Field::line(TIME, "", "e.g. 21:40, -30m, 2026-11-26 21:40")],
        ),
        Action::Follow => {
            t.follow = !t.follow;
            if t.follow {
                t.selected = t.visible_rows(ctx.data).saturating_sub(1);
                t.keep_selection_visible(ctx.data, height);
            }
        }
        Action::SetImpactStart | Action::SetDetected | Action::SetImpactEnd => {
            let Some(d) = ctx.data else {
                return Vec::new();
            };
            let mark = match action {
                Action::SetImpactStart => Mark::Started,
                Action::SetDetected => Mark::Detected,
                _ => Mark::Ended,
            };
            let current = d
                .state
                .impact
                .get(mark)
                .map(|t| format!(" (now {})", t.format("%H:%M UTC")))
                .unwrap_or_default();
            ctx.open_form(
                format!("Set {}{current}", mark.label()),
                Purpose::Impact(mark),
                vec![Field::line(
                    WHEN,
                    "",
                    "empty for now; 21:40 (local), -15m, 2026-11-26T21:40:00Z",
                )],
            );
        }
        Action::ToObservation => {
            if let Some(ev) = t.selected_event(ctx.data) {
                board::observe_entry(ctx, ev);
            }
        }
        Action::Redact => return redact(ctx, t),
        Action::DismissRejected => {
            let rejected = ctx.data.and_then(|d| {
                let i = t.row_index(t.selected)?;
                match d.row(i)? {
                    (ev, RowStatus::Rejected(_)) => Some((d.id, ev.id)),
                    _ => None,
                }
            });
            match rejected {
                Some((incident, id)) => return vec![Effect::DropRejected { incident, id }],
                None => ctx.complain("select a refused (✗) entry to dismiss it"),
            }
        }
        _ => {}
    }
    Vec::new()
}

/// X on an entry: the IC gives a reason, and every copy drops the entry's text.
fn redact(ctx: &mut Ctx, t: &TimelineState) -> Vec<Effect> {
    let Some(d) = ctx.data else {
        return Vec::new();
    };
    let Some(ev) = t.selected_event(ctx.data) else {
        ctx.complain("select a timeline entry first");
        return Vec::new();
    };
    let target = ev.id;
    if let Err(r) = crate::domain::rules::check_redaction_target(d.id, target, Some(ev)) {
        ctx.complain(r.message);
        return Vec::new();
    }
    let what = format!(
        "Redact the {} at {} by {}",
        describe::label(&ev.kind),
        ev.at.format("%H:%M"),
        ev.author
    );
    ctx.open_form(
        what,
        Purpose::Redact { event: target },
        vec![Field::line(
            REASON,
            "",
            "required, shown in its place (say what, not the secret)",
        )],
    );
    Vec::new()
}

/// A submitted timeline form.
pub fn submit(ctx: &mut Ctx, t: &mut TimelineState, height: usize, form: &Answers) -> Vec<Effect> {
    let now = ctx.now;
    match form.purpose {
        Purpose::Note => {
            let text = form.value(NOTE);
            if text.is_empty() {
                return ctx.refuse("the note is empty".into());
            }
            ctx.record(vec![(now, EventKind::Note { text })], "note added".into())
        }
        Purpose::Search => {
            ctx.close_overlay();
            t.search = Some(form.value(FIND)).filter(|s| !s.is_empty());
            if t.search.is_some() {
                t.search_step(ctx, height, false);
            }
            Vec::new()
        }
        Purpose::Filter => {
            ctx.close_overlay();
            t.apply_filter(ctx.data, height, Filter::parse(&form.value(SHOW)));
            Vec::new()
        }
        Purpose::JumpToTime => match ctx.parse_time(&form.value(TIME)) {
            Ok(at) => {
                ctx.close_overlay();
                let d = ctx.data;
                let target = (0..t.visible_rows(d)).find(|i| {
                    t.row_index(*i)
                        .and_then(|r| d.and_then(|d| d.row(r)))
                        .is_some_and(|(e, _)| e.at >= at)
                });
                t.selected = target.unwrap_or(t.visible_rows(d).saturating_sub(1));
                t.follow = false;
                t.keep_selection_visible(d, height);
                Vec::new()
            }
            Err(e) => ctx.refuse(e),
        },
        Purpose::Impact(mark) => match ctx.parse_time(&form.value(WHEN)) {
            Ok(at) if at > now + chrono::Duration::minutes(1) => {
                ctx.refuse("that time is in the future".into())
            }
            Ok(at) => {
                let kind = match mark {
                    Mark::Started => EventKind::ImpactStarted {},
                    Mark::Detected => EventKind::Detected {},
                    Mark::Ended => EventKind::ImpactEnded {},
                };
                ctx.record(
                    vec![(at, kind)],
                    format!("{} set to {}", mark.label(), at.format("%H:%M UTC")),
                )
            }
            Err(e) => ctx.refuse(e),
        },
        Purpose::Redact { event } => {
            let reason = form.value(REASON);
            if reason.is_empty() {
                return ctx.refuse("give the reason for the redaction".into());
            }
            ctx.record(
                vec![(now, EventKind::EventRedacted { event, reason })],
                "entry redacted; every copy drops its text".into(),
            )
        }
        _ => Vec::new(),
    }
}

/// The pane's title: how many rows it shows, the filter and search, following, the zone.
pub fn title(look: &Look, t: &TimelineState) -> String {
    let rows = t.visible_rows(look.data);
    let mut title = format!(" 1 Timeline ({rows}) ");
    if !t.filter.is_empty() {
        title.push_str(&format!("[{}] ", t.filter.describe()));
    }
    if let Some(s) = &t.search {
        title.push_str(&format!("[/{s}] "));
    }
    if t.follow {
        title.push_str("[follow] ");
    }
    title.push_str(if look.clock.use_local {
        "[local] "
    } else {
        "[UTC] "
    });
    title
}

/// Draws the rows on screen (only those are formatted, so a long incident costs no more
/// than a short one).
pub fn draw(look: &Look, t: &TimelineState, f: &mut Frame, area: Rect, focused: bool) {
    let Some(d) = look.data else { return };
    let h = area.height as usize;
    let w = area.width as usize;
    let mut lines = Vec::with_capacity(h);
    let needle = t.search.as_ref().map(|s| s.to_lowercase());
    for vi in t.offset..(t.offset + h).min(t.visible_rows(look.data)) {
        let Some((ev, status)) = t.row_index(vi).and_then(|i| d.row(i)) else {
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
            EventKind::ImpactStarted {} | EventKind::Detected {} | EventKind::ImpactEnded {} => {
                Style::new().fg(Color::Yellow).bold()
            }
            EventKind::CommandHandedOver { .. } => Style::new().fg(Color::Magenta).bold(),
            EventKind::ChangeRequested { .. } => Style::new().fg(Color::Yellow),
            EventKind::Unknown { .. } => Style::new().fg(Color::DarkGray),
            _ => Style::new().fg(Color::Cyan),
        };
        let mut body = text;
        if let RowStatus::Rejected(reason) = status {
            body = format!("{body}  — REJECTED: {reason}");
        }
        let prefix = format!(
            "{mark}{} {:<9} ",
            look.clock.show(ev.at, false),
            clip(&ev.author, 9)
        );
        let rest = w.saturating_sub(prefix.chars().count() + 13);
        let mut line = Line::from(vec![
            Span::styled(prefix, style),
            Span::styled(format!("{:<12} ", clip(&label, 12)), kind_style),
            Span::styled(clip(&body, rest), style),
        ]);
        let hit = needle.as_deref().is_some_and(|n| search_matches(ev, n));
        if focused && vi == t.selected {
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
