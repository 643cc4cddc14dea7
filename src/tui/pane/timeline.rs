//! The timeline pane (1): everything that happened on the incident, one line per entry
//! with its time, author, kind and text. Entries show in the order things happened (by
//! their time, so a start of impact found later sits where it belongs, marked with when
//! it was recorded), or as logged (`O` switches). Changes the server has not confirmed
//! yet are marked ⧗, refused ones ✗ with the reason until dismissed; a corrected impact
//! time reads "(fix)" and the one it replaced is struck through, naming its successor.
//! The incident commander follows it live (the newest recorded entry stays selected and
//! in sight), opens any entry whole (enter), searches and filters it by kind and author,
//! jumps to a time, adds notes, sets when impact started, was detected and ended, turns an
//! entry into an observation for the board, and redacts an entry's text everywhere when a
//! secret was pasted into it.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::board;
use crate::domain::describe::{self, clip, visible_line};
use crate::domain::event::{Event, EventKind};
use crate::domain::metrics::Mark;
use crate::tui::action::Action;
use crate::tui::ctx::{Ctx, Look};
use crate::tui::data::{Filter, IncidentData, Order, RowStatus, search_matches};
use crate::tui::effect::Effect;
use crate::tui::overlay::Overlay;
use crate::tui::overlay::detail::Detail;
use crate::tui::overlay::form::{Answers, Field, Purpose};

/// What the footer offers while the timeline has the focus.
pub const HINTS: &[Action] = &[
    Action::AddNote,
    Action::ShowEntry,
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

/// Where the timeline stands: the order, the selection, the scroll, following, filter
/// and search.
#[derive(Clone, Debug, Default)]
pub struct TimelineState {
    /// Index into the visible rows.
    pub selected: usize,
    pub offset: usize,
    pub follow: bool,
    /// By time (the default) or as logged.
    pub order: Order,
    pub filter: Filter,
    /// Row indices that pass the filter, in `order`; `None` when there is no filter.
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

    /// Whether a search or a filter is on (Esc clears them before leaving the incident).
    pub fn narrowed(&self) -> bool {
        self.search.is_some() || !self.filter.is_empty()
    }

    /// Drops the search and the filter; the selected entry stays selected (the newest,
    /// when following).
    pub fn widen(&mut self, data: Option<&IncidentData>, height: usize) {
        self.search = None;
        if self.filter.is_empty() {
            return;
        }
        let selected_row = self.row_index(data, self.selected);
        self.filter = Filter::default();
        self.filtered = None;
        if self.follow {
            self.select_newest(data);
        } else if let Some(i) = selected_row.and_then(|r| self.visible_index(data, r)) {
            self.selected = i;
        }
        self.keep_selection_visible(data, height);
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
    pub fn row_index(&self, data: Option<&IncidentData>, i: usize) -> Option<usize> {
        match &self.filtered {
            Some(rows) => rows.get(i).copied(),
            None => data?.ordered_row(self.order, i),
        }
    }

    /// The visible row showing data row `row`, if it is shown.
    pub fn visible_index(&self, data: Option<&IncidentData>, row: usize) -> Option<usize> {
        let d = data?;
        match &self.filtered {
            Some(rows) => {
                let key = d.order_key(self.order, row);
                let i = rows.partition_point(|&r| d.order_key(self.order, r) < key);
                (rows.get(i) == Some(&row)).then_some(i)
            }
            None => d.position(self.order, row),
        }
    }

    pub fn selected_event<'a>(&self, data: Option<&'a IncidentData>) -> Option<&'a Event> {
        let d = data?;
        d.row(self.row_index(data, self.selected)?).map(|(e, _)| e)
    }

    /// The visible row of the newest recorded entry that passes the filter: what
    /// following selects, wherever it falls in time.
    fn newest_visible(&self, data: Option<&IncidentData>) -> Option<usize> {
        let d = data?;
        let newest = d.newest_recorded()?;
        if self.filtered.is_none() {
            return d.position(self.order, newest);
        }
        (0..=newest)
            .rev()
            .filter(|r| d.row(*r).is_some_and(|(e, _)| self.filter.matches(e)))
            .find_map(|r| self.visible_index(data, r))
    }

    /// Following: the newest recorded entry is selected.
    fn select_newest(&mut self, data: Option<&IncidentData>) {
        self.selected = self
            .newest_visible(data)
            .unwrap_or_else(|| self.visible_rows(data).saturating_sub(1));
    }

    /// Scrolls so the selection is on screen, `height` rows high; following the last row,
    /// the newest entry sits on the last line.
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
    /// others added): the filter checks them again, and each that passes takes its place
    /// in the order shown.
    pub fn refilter_from(&mut self, data: &IncidentData, first: usize) {
        let order = self.order;
        if let Some(rows) = &mut self.filtered {
            rows.retain(|i| *i < first);
            for row in first..data.len() {
                if data.row(row).is_some_and(|(e, _)| self.filter.matches(e)) {
                    let key = data.order_key(order, row);
                    let at = rows.partition_point(|&r| data.order_key(order, r) < key);
                    rows.insert(at, row);
                }
            }
        }
    }

    /// After a load: following selects the newest entry, and the selection stays on a row.
    pub fn after_load(&mut self, data: Option<&IncidentData>, height: usize) {
        if self.follow {
            self.select_newest(data);
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
            let row = self.row_index(ctx.data, i)?;
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

    /// The rows passing `filter`, in the order shown.
    fn filtered_rows(&self, d: &IncidentData, filter: &Filter) -> Vec<usize> {
        (0..d.len())
            .filter_map(|k| d.ordered_row(self.order, k))
            .filter(|r| d.row(*r).is_some_and(|(e, _)| filter.matches(e)))
            .collect()
    }

    fn apply_filter(&mut self, data: Option<&IncidentData>, height: usize, filter: Filter) {
        self.filtered = if filter.is_empty() {
            None
        } else {
            data.map(|d| self.filtered_rows(d, &filter))
        };
        self.filter = filter;
        self.follow = true;
        self.select_newest(data);
        self.keep_selection_visible(data, height);
    }

    /// Shows the rows by time or as logged; the selected entry stays selected.
    pub fn toggle_order(&mut self, data: Option<&IncidentData>, height: usize) {
        let selected_row = self.row_index(data, self.selected);
        self.order = self.order.toggled();
        if let (Some(_), Some(d)) = (&self.filtered, data) {
            self.filtered = Some(self.filtered_rows(d, &self.filter));
        }
        if self.follow {
            self.select_newest(data);
        } else if let Some(i) = selected_row.and_then(|r| self.visible_index(data, r)) {
            self.selected = i;
        }
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
                t.select_newest(ctx.data);
                t.keep_selection_visible(ctx.data, height);
            }
        }
        Action::ToggleOrder => {
            t.toggle_order(ctx.data, height);
            ctx.say(match t.order {
                Order::Time => "timeline by time: back-dated entries sit at their time",
                Order::Recorded => "timeline as logged: entries in the order they were recorded",
            });
        }
        Action::ShowEntry => match t.selected_event(ctx.data) {
            Some(ev) => *ctx.overlay = Overlay::Detail(Box::new(Detail::new(ev.id))),
            None => ctx.complain("select a timeline entry first"),
        },
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
                let i = t.row_index(ctx.data, t.selected)?;
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
        ev.author_label()
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
                    t.row_index(d, *i)
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
    let mut title = format!(" 1 Timeline ({rows}) [{}] ", t.order.name());
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
/// than a short one). Each row reads: status mark, time, author, kind, then the marks that
/// must stay in sight (recorded later, a correction, replaced by a correction), then the
/// text, which is what gets cut on a narrow terminal.
pub fn draw(look: &Look, t: &TimelineState, f: &mut Frame, area: Rect, focused: bool) {
    let Some(d) = look.data else { return };
    let h = area.height as usize;
    let w = area.width as usize;
    let mut lines = Vec::with_capacity(h);
    let needle = t.search.as_ref().map(|s| s.to_lowercase());
    for vi in t.offset..(t.offset + h).min(t.visible_rows(look.data)) {
        let Some((ev, status)) = t.row_index(look.data, vi).and_then(|i| d.row(i)) else {
            continue;
        };
        let label = describe::label(&ev.kind);
        let text = describe::text_in(&d.state, ev);
        let superseded_by = d.superseded.get(&ev.id).and_then(|id| d.find(*id));
        let (mark, mut style) = match status {
            RowStatus::Confirmed => (" ", Style::new()),
            RowStatus::Pending => ("⧗", Style::new().fg(Color::DarkGray).italic()),
            RowStatus::Rejected(_) => ("✗", Style::new().fg(Color::Red)),
        };
        let mut kind_style = match &ev.kind {
            EventKind::ImpactStarted {} | EventKind::Detected {} | EventKind::ImpactEnded {} => {
                Style::new().fg(Color::Yellow).bold()
            }
            EventKind::CommandHandedOver { .. } => Style::new().fg(Color::Magenta).bold(),
            EventKind::ChangeRequested { .. } => Style::new().fg(Color::Yellow),
            EventKind::PageDelivery { status, .. } if status.is_failure() => {
                Style::new().fg(Color::Red).bold()
            }
            EventKind::Unknown { .. } => Style::new().fg(Color::DarkGray),
            _ => Style::new().fg(Color::Cyan),
        };
        if superseded_by.is_some() {
            style = style.fg(Color::DarkGray);
            kind_style = Style::new().fg(Color::DarkGray);
        }
        let mut body = visible_line(&text).into_owned();
        if let RowStatus::Rejected(reason) = status {
            body = format!("{body}  — REJECTED: {}", visible_line(reason));
        }
        let prefix = format!(
            "{mark}{} {:<9} ",
            look.clock.show(ev.at, false),
            clip(&visible_line(ev.shown_author()), 9)
        );
        let mut room = w.saturating_sub(prefix.chars().count() + 13);
        let mut spans = vec![
            Span::styled(prefix, style),
            Span::styled(format!("{:<12} ", clip(label, 12)), kind_style),
        ];
        for (text, mark_style) in marks(look, d, ev, superseded_by) {
            let shown = clip(&text, room);
            room = room.saturating_sub(shown.chars().count());
            spans.push(Span::styled(shown, mark_style));
        }
        let body_style = if superseded_by.is_some() {
            style.add_modifier(Modifier::CROSSED_OUT)
        } else {
            style
        };
        spans.push(Span::styled(clip(&body, room), body_style));
        let mut line = Line::from(spans);
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

/// The marks a row carries before its text: when a back-dated entry was recorded, that an
/// impact time corrects an earlier one, and what replaced a corrected one.
fn marks(
    look: &Look,
    d: &IncidentData,
    ev: &Event,
    superseded_by: Option<&Event>,
) -> Vec<(String, Style)> {
    let mut out = Vec::new();
    if let Some(by) = superseded_by {
        out.push((
            format!("superseded by {} ", short_time(look, by.at, ev.at)),
            Style::new().fg(Color::DarkGray).italic(),
        ));
    }
    if d.corrections.contains_key(&ev.id) {
        out.push(("(fix) ".to_string(), Style::new().fg(Color::Yellow).bold()));
    }
    if let Some(recorded) = describe::recorded_later(ev) {
        out.push((
            format!("↶ rec {} ", short_time(look, recorded, ev.at)),
            Style::new().fg(Color::Yellow),
        ));
    }
    out
}

/// `t` as hours and minutes, with the date when it is not the day of `beside`.
pub fn short_time(look: &Look, t: DateTime<Utc>, beside: DateTime<Utc>) -> String {
    let full = look.clock.show(t, true);
    let same_day = full.get(..5) == look.clock.show(beside, true).get(..5);
    match full.get(6..) {
        Some(hm) if same_day => hm.to_string(),
        _ => full,
    }
}
