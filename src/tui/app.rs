//! The console's state and its one `update`: messages in, effects out. Nothing here does
//! I/O or reads the clock; the loop in `tui::run` carries out the effects.

use chrono::{DateTime, FixedOffset, Utc};
use crossterm::event::{KeyEvent, KeyEventKind, MouseButton, MouseEvent, MouseEventKind};
use uuid::Uuid;

use super::action::Action;
use super::data::{Filter, IncidentData, search_matches};
use super::drafts::Draft;
use super::form::{Field, Form, FormOutcome, Purpose};
use super::keymap::{Key, Keymap, Section};
use super::view;
use crate::domain::event::{
    Event, EventKind, HandoverBrief, Outcome, Role, Severity, Stage, TheoryStatus,
};
use crate::domain::incident::{Decision, IncidentSummary};
use crate::domain::metrics::Mark;
use crate::domain::time::parse_when;
use crate::store::outbox::Pending;
use crate::sync::engine::LinkStatus;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pane {
    Timeline,
    Roster,
    Board,
    Comms,
    Fatigue,
}

impl Pane {
    pub const ALL: [Pane; 5] = [
        Pane::Timeline,
        Pane::Roster,
        Pane::Board,
        Pane::Comms,
        Pane::Fatigue,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Pane::Timeline => "Timeline",
            Pane::Roster => "Roles & responders",
            Pane::Board => "Observe · Theorize · Experiment",
            Pane::Comms => "Comms",
            Pane::Fatigue => "Fatigue & handover",
        }
    }

    pub fn section(self) -> Section {
        match self {
            Pane::Timeline => Section::Timeline,
            Pane::Roster => Section::Roster,
            Pane::Board => Section::Board,
            Pane::Comms => Section::Comms,
            Pane::Fatigue => Section::Fatigue,
        }
    }

    fn index(self) -> usize {
        Pane::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    Picker,
    Incident,
}

pub enum Overlay {
    None,
    Help,
    Discipline,
    Form(Box<Form>),
    /// TTD and TTR across incidents.
    Stats,
    /// The blame check's findings before the postmortem is written.
    Findings(Vec<crate::domain::postmortem::Finding>),
    /// Searching the known-error database.
    Kedb(Box<super::app_learn::KedbSearch>),
}

/// Messages into the console.
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    Tick(DateTime<Utc>),
    Incidents(Vec<IncidentSummary>),
    /// Events of `id` after what the console has, and the whole pending list.
    Loaded {
        id: Uuid,
        new: Vec<Event>,
        pending: Vec<Pending>,
        full: bool,
    },
    /// A change was recorded (the text to show) or refused (the reason).
    Recorded(Result<String, String>),
    Declared(Result<IncidentSummary, String>),
    Link(LinkStatus),
    /// Sync brought something new for this incident.
    Changed(Uuid),
    /// The known-error database, for a search.
    KnownErrors(Vec<crate::domain::kedb::KnownError>),
    /// The blame check stopped the postmortem: what to rephrase.
    Findings(Vec<crate::domain::postmortem::Finding>),
    /// The server told us who our token belongs to.
    Handle(String),
    /// Saved drafts of an incident, internal and external.
    Drafts {
        id: Uuid,
        internal: Option<String>,
        external: Option<String>,
    },
}

/// What the loop must do for the console.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    LoadIncidents,
    /// Load `id` after `after` (0: all of it).
    LoadIncident {
        id: Uuid,
        after: i64,
    },
    Record {
        incident: Uuid,
        kinds: Vec<(DateTime<Utc>, EventKind)>,
        what: String,
    },
    Declare {
        title: String,
        severity: Severity,
        summary: String,
        started_at: Option<DateTime<Utc>>,
    },
    /// The incident the sync engine should follow.
    Focus(Option<Uuid>),
    SaveDraft {
        incident: Uuid,
        audience: crate::domain::event::Audience,
        text: String,
    },
    LoadDrafts(Uuid),
    /// Deliver a sent update to the audience's webhook, if one is configured.
    Webhook {
        audience: crate::domain::event::Audience,
        text: String,
    },
    LoadKnownErrors,
    /// Link a known error to the incident (both sides record it).
    LinkKnownError {
        incident: Uuid,
        key: String,
        symptom: String,
    },
    /// Run the blame check and write the postmortem to the data dir.
    WritePostmortem {
        incident: Uuid,
        force: bool,
    },
    /// Forget a change the server refused (it stays shown until dismissed).
    DropRejected {
        incident: Uuid,
        id: Uuid,
    },
    /// Something needs the responder: a desktop notification, or the bell.
    Notify {
        title: String,
        body: String,
    },
    Quit,
}

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

pub struct App {
    pub now: DateTime<Utc>,
    pub local: FixedOffset,
    /// Read and show local times in the system's time zone (its offset on each date),
    /// rather than the fixed `local` offset (which tests use).
    pub system_zone: bool,
    pub use_local: bool,
    pub handle: String,
    pub keymap: Keymap,
    pub size: (u16, u16),
    pub screen: Screen,
    pub incidents: Vec<IncidentSummary>,
    pub picker_selected: usize,
    pub data: Option<IncidentData>,
    pub focus: Pane,
    /// The pane shown beside the timeline on medium-width screens.
    pub side: Pane,
    pub zoom: bool,
    pub overlay: Overlay,
    pub timeline: TimelineState,
    pub roster_selected: usize,
    pub board_column: usize,
    pub board_rows: [usize; 3],
    pub link: LinkStatus,
    pub message: Option<(String, bool)>,
    pub quit: bool,
    /// Drafts by audience: internal, external.
    pub drafts: [Draft; 2],
    pub audience: crate::domain::event::Audience,
    /// Keys go to the draft editor.
    pub editing: bool,
    pub thresholds: crate::domain::fatigue::Thresholds,
    pub fatigue_selected: usize,
    /// Alerts already raised, so each notifies once.
    pub raised: std::collections::HashSet<String>,
    /// How long after resolution an action item is due by default.
    pub action_due: chrono::Duration,
    /// Something unsafe about the link to the server (plain http:// to another machine),
    /// shown in the header for as long as the console runs.
    pub link_warning: Option<String>,
}

/// One row of the roster pane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RosterRow {
    Role(Role),
    Change(Uuid),
    /// A request for command waiting for the IC.
    CommandRequest(Uuid),
    Responder(String),
}

impl App {
    pub fn new(handle: &str, keymap: Keymap, now: DateTime<Utc>, local: FixedOffset) -> App {
        App {
            now,
            local,
            system_zone: false,
            use_local: false,
            handle: handle.to_string(),
            keymap,
            size: (80, 24),
            screen: Screen::Picker,
            incidents: Vec::new(),
            picker_selected: 0,
            data: None,
            focus: Pane::Timeline,
            side: Pane::Roster,
            zoom: false,
            overlay: Overlay::None,
            timeline: TimelineState {
                follow: true,
                ..TimelineState::default()
            },
            roster_selected: 0,
            board_column: 0,
            board_rows: [0; 3],
            link: LinkStatus::solo(),
            message: None,
            quit: false,
            drafts: [
                Draft::new(crate::domain::event::Audience::Internal, "", None),
                Draft::new(crate::domain::event::Audience::External, "", None),
            ],
            audience: crate::domain::event::Audience::Internal,
            editing: false,
            thresholds: crate::domain::fatigue::Thresholds::default(),
            fatigue_selected: 0,
            raised: std::collections::HashSet::new(),
            action_due: chrono::Duration::weeks(8),
            link_warning: None,
        }
    }

    pub(super) fn say(&mut self, text: impl Into<String>) {
        self.message = Some((text.into(), false));
    }

    pub(super) fn complain(&mut self, text: impl Into<String>) {
        self.message = Some((text.into(), true));
    }

    pub fn section(&self) -> Section {
        match self.screen {
            Screen::Picker => Section::Picker,
            Screen::Incident => self.focus.section(),
        }
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Key(key) if key.kind != KeyEventKind::Release => self.on_key(key),
            Msg::Key(_) => Vec::new(),
            Msg::Mouse(m) => self.on_mouse(m),
            Msg::Resize(w, h) => {
                self.size = (w, h);
                self.keep_timeline_selection_visible();
                Vec::new()
            }
            Msg::Tick(now) => {
                self.now = now;
                self.check_alerts(false)
            }
            Msg::Incidents(list) => {
                self.incidents = list;
                self.picker_selected = self
                    .picker_selected
                    .min(self.incidents.len().saturating_sub(1));
                Vec::new()
            }
            Msg::Loaded {
                id,
                new,
                pending,
                full,
            } => {
                let fresh = full;
                self.on_loaded(id, new, pending, full);
                let mut effects = self.check_alerts(fresh);
                if fresh {
                    effects.push(Effect::LoadDrafts(id));
                }
                effects
            }
            Msg::Handle(h) => {
                self.say(format!("you are {h} on this server"));
                self.handle = h;
                Vec::new()
            }
            Msg::KnownErrors(entries) => {
                if let Overlay::Kedb(search) = &mut self.overlay {
                    search.entries = entries;
                    search.refresh();
                }
                Vec::new()
            }
            Msg::Findings(findings) => {
                self.overlay = Overlay::Findings(findings);
                Vec::new()
            }
            Msg::Drafts {
                id,
                internal,
                external,
            } => {
                if self.data.as_ref().is_some_and(|d| d.id == id) {
                    self.set_drafts(internal, external);
                }
                Vec::new()
            }
            Msg::Recorded(Ok(text)) => {
                self.say(text);
                self.reload()
            }
            Msg::Recorded(Err(reason)) => {
                self.complain(reason);
                self.reload()
            }
            Msg::Declared(Ok(summary)) => {
                self.say(format!("declared {} {}", summary.short_id, summary.title));
                let id = summary.id;
                vec![
                    Effect::LoadIncidents,
                    Effect::LoadIncident { id, after: 0 },
                    Effect::Focus(Some(id)),
                ]
            }
            Msg::Declared(Err(reason)) => {
                self.complain(reason);
                Vec::new()
            }
            Msg::Link(status) => {
                self.link = status;
                Vec::new()
            }
            Msg::Changed(id) => {
                let mut effects = vec![Effect::LoadIncidents];
                if let Some(d) = &self.data
                    && d.id == id
                {
                    effects.push(Effect::LoadIncident {
                        id,
                        after: d.last_seq(),
                    });
                }
                effects
            }
        }
    }

    fn reload(&self) -> Vec<Effect> {
        let mut effects = vec![Effect::LoadIncidents];
        if let Some(d) = &self.data {
            effects.push(Effect::LoadIncident {
                id: d.id,
                after: d.last_seq(),
            });
        }
        effects
    }

    fn on_loaded(&mut self, id: Uuid, new: Vec<Event>, pending: Vec<Pending>, full: bool) {
        if !full && self.data.as_ref().is_none_or(|d| d.id != id) {
            // News of an incident that is no longer open: nothing to show.
            return;
        }
        let fresh = full;
        if fresh {
            self.data = Some(IncidentData::new(id, new, pending));
            self.screen = Screen::Incident;
            self.timeline = TimelineState {
                follow: true,
                ..TimelineState::default()
            };
            self.roster_selected = 0;
            self.board_rows = [0; 3];
        } else if let Some(d) = &mut self.data {
            let confirmed_before = d.confirmed.len();
            d.extend(new, pending);
            if let Some(rows) = &mut self.timeline.filtered {
                // Every row from the first new confirmed one on may have changed (pending
                // rows confirmed, others added): check them against the filter again.
                let first = confirmed_before;
                rows.retain(|i| *i < first);
                let filter = &self.timeline.filter;
                rows.extend(
                    (first..d.len()).filter(|i| d.row(*i).is_some_and(|(e, _)| filter.matches(e))),
                );
            }
        }
        if self.timeline.follow {
            self.timeline.selected = self.visible_rows().saturating_sub(1);
        }
        self.timeline.selected = self
            .timeline
            .selected
            .min(self.visible_rows().saturating_sub(1));
        self.keep_timeline_selection_visible();
        self.tell_new_rejections();
    }

    /// A change the server refused says why in the status line, once; its row stays
    /// marked ✗ until dismissed.
    fn tell_new_rejections(&mut self) {
        let Some(d) = &self.data else { return };
        let mut newest = None;
        for p in &d.pending {
            if let Some(reason) = &p.rejected
                && self.raised.insert(format!("rejected:{}", p.event.id))
            {
                newest = Some(format!(
                    "REFUSED {}: {reason} (x on the ✗ row dismisses it)",
                    crate::domain::describe::label(&p.event.kind)
                ));
            }
        }
        if let Some(text) = newest {
            self.message = Some((text, true));
        }
    }

    // ---- timeline rows -------------------------------------------------------------

    /// How many rows the timeline shows (after the filter).
    pub fn visible_rows(&self) -> usize {
        match (&self.timeline.filtered, &self.data) {
            (Some(rows), _) => rows.len(),
            (None, Some(d)) => d.len(),
            (None, None) => 0,
        }
    }

    /// The data row behind visible row `i`.
    pub fn row_index(&self, i: usize) -> Option<usize> {
        match &self.timeline.filtered {
            Some(rows) => rows.get(i).copied(),
            None => Some(i),
        }
    }

    pub fn selected_event(&self) -> Option<&Event> {
        let d = self.data.as_ref()?;
        d.row(self.row_index(self.timeline.selected)?)
            .map(|(e, _)| e)
    }

    fn timeline_height(&self) -> usize {
        view::pane_height(self, Pane::Timeline).max(1) as usize
    }

    fn keep_timeline_selection_visible(&mut self) {
        let h = self.timeline_height();
        let t = &mut self.timeline;
        if t.selected < t.offset {
            t.offset = t.selected;
        } else if t.selected >= t.offset + h {
            t.offset = t.selected + 1 - h;
        }
        let max_offset = self.visible_rows().saturating_sub(h);
        self.timeline.offset = self.timeline.offset.min(max_offset);
        if self.timeline.follow && self.timeline.selected + 1 >= self.visible_rows() {
            // Following: the newest entry sits on the last line.
            self.timeline.offset = max_offset;
        }
    }

    fn move_timeline(&mut self, delta: isize) {
        let n = self.visible_rows();
        if n == 0 {
            return;
        }
        let sel = (self.timeline.selected as isize + delta).clamp(0, n as isize - 1) as usize;
        self.timeline.selected = sel;
        self.timeline.follow = sel == n - 1 && delta > 0 && self.timeline.follow;
        self.keep_timeline_selection_visible();
    }

    fn search_step(&mut self, forward: bool) {
        let Some(needle) = self.timeline.search.as_ref().map(|s| s.to_lowercase()) else {
            self.complain("no search yet: press / to search");
            return;
        };
        let Some(d) = &self.data else { return };
        let n = self.visible_rows();
        let start = self.timeline.selected;
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
                self.timeline.selected = i;
                self.timeline.follow = false;
                self.keep_timeline_selection_visible();
                self.message = None;
            }
            None => self.complain(format!("no entry matches “{needle}”")),
        }
    }

    fn apply_filter(&mut self, filter: Filter) {
        self.timeline.filtered = if filter.is_empty() {
            None
        } else {
            self.data.as_ref().map(|d| {
                (0..d.len())
                    .filter(|i| d.row(*i).is_some_and(|(e, _)| filter.matches(e)))
                    .collect()
            })
        };
        self.timeline.filter = filter;
        self.timeline.selected = self.visible_rows().saturating_sub(1);
        self.timeline.follow = true;
        self.keep_timeline_selection_visible();
    }

    // ---- roster rows ---------------------------------------------------------------

    pub fn roster_rows(&self) -> Vec<RosterRow> {
        let Some(d) = &self.data else {
            return Vec::new();
        };
        let mut rows: Vec<RosterRow> = Role::ALL.into_iter().map(RosterRow::Role).collect();
        rows.extend(
            d.state
                .pending_change_requests()
                .map(|c| RosterRow::Change(c.id)),
        );
        rows.extend(
            d.state
                .pending_command_requests()
                .map(|r| RosterRow::CommandRequest(r.id)),
        );
        rows.extend(
            d.state
                .present_responders()
                .map(|r| RosterRow::Responder(r.handle.clone())),
        );
        rows
    }

    // ---- keys ----------------------------------------------------------------------

    fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if self.editing && self.screen == Screen::Incident && matches!(self.overlay, Overlay::None)
        {
            return self.edit_draft(key);
        }
        match &mut self.overlay {
            Overlay::Form(form) => {
                return match form.handle_key(key) {
                    FormOutcome::Editing => Vec::new(),
                    FormOutcome::Cancel => {
                        self.overlay = Overlay::None;
                        Vec::new()
                    }
                    FormOutcome::Submit => self.submit(),
                };
            }
            Overlay::Kedb(_) => return self.kedb_key(key),
            Overlay::Findings(_) if key.code == crossterm::event::KeyCode::Char('y') => {
                self.overlay = Overlay::None;
                return match &self.data {
                    Some(d) => vec![Effect::WritePostmortem {
                        incident: d.id,
                        force: true,
                    }],
                    None => Vec::new(),
                };
            }
            Overlay::Help | Overlay::Discipline | Overlay::Stats | Overlay::Findings(_) => {
                let action = self.keymap.lookup(Section::Global, Key::from_event(&key));
                if action == Some(Action::Quit) {
                    return self.act(Action::Quit);
                }
                self.overlay = Overlay::None;
                return Vec::new();
            }
            Overlay::None => {}
        }
        match self.keymap.lookup(self.section(), Key::from_event(&key)) {
            Some(action) => {
                self.message = None;
                self.act(action)
            }
            None => Vec::new(),
        }
    }

    fn on_mouse(&mut self, m: MouseEvent) -> Vec<Effect> {
        if self.screen != Screen::Incident || !matches!(self.overlay, Overlay::None) {
            return Vec::new();
        }
        let at = |p: Pane| {
            view::pane_rects(self)
                .into_iter()
                .find(|(_, r)| {
                    m.column >= r.x
                        && m.column < r.x + r.width
                        && m.row >= r.y
                        && m.row < r.y + r.height
                })
                .map(|(pane, _)| pane == p)
        };
        let hovered = Pane::ALL.into_iter().find(|p| at(*p) == Some(true));
        match m.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                if let Some(p) = hovered {
                    self.set_focus(p);
                }
            }
            MouseEventKind::ScrollUp | MouseEventKind::ScrollDown => {
                if let Some(p) = hovered {
                    self.set_focus(p);
                }
                let up = m.kind == MouseEventKind::ScrollUp;
                let _ = self.act(if up { Action::Up } else { Action::Down });
                let _ = self.act(if up { Action::Up } else { Action::Down });
                let _ = self.act(if up { Action::Up } else { Action::Down });
            }
            _ => {}
        }
        Vec::new()
    }

    fn set_focus(&mut self, pane: Pane) {
        self.focus = pane;
        if pane != Pane::Timeline {
            self.side = pane;
        }
    }

    pub(super) fn open_form(
        &mut self,
        title: impl Into<String>,
        purpose: Purpose,
        fields: Vec<Field>,
    ) {
        self.overlay = Overlay::Form(Box::new(Form::new(title, purpose, fields)));
    }

    fn act(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Quit => {
                self.quit = true;
                return vec![Effect::Quit];
            }
            Action::Help => {
                self.overlay = Overlay::Help;
                return Vec::new();
            }
            Action::ToggleTimeZone => {
                self.use_local = !self.use_local;
                return Vec::new();
            }
            _ => {}
        }
        match self.screen {
            Screen::Picker => self.act_picker(action),
            Screen::Incident => self.act_incident(action),
        }
    }

    fn act_picker(&mut self, action: Action) -> Vec<Effect> {
        let n = self.incidents.len();
        match action {
            Action::Up => self.picker_selected = self.picker_selected.saturating_sub(1),
            Action::Down => {
                self.picker_selected = (self.picker_selected + 1).min(n.saturating_sub(1))
            }
            Action::Top => self.picker_selected = 0,
            Action::Bottom => self.picker_selected = n.saturating_sub(1),
            Action::Open => {
                if let Some(i) = self.incidents.get(self.picker_selected) {
                    let id = i.id;
                    return vec![
                        Effect::LoadIncident { id, after: 0 },
                        Effect::Focus(Some(id)),
                    ];
                }
            }
            Action::Declare => self.open_form(
                "Declare an incident",
                Purpose::Declare,
                vec![
                    Field::line("Title", "", "what is wrong, in one line"),
                    Field::line("Severity", "2", "1 critical · 2 major · 3 minor"),
                    Field::line("Summary", "", "current state and impact, a sentence or two"),
                    Field::line("Impact started", "", "e.g. 21:40 or -15m; empty if unknown"),
                ],
            ),
            Action::Back if self.data.is_some() => self.screen = Screen::Incident,
            Action::Stats => self.overlay = Overlay::Stats,
            _ => {}
        }
        Vec::new()
    }

    fn act_incident(&mut self, action: Action) -> Vec<Effect> {
        let Some(data) = &self.data else {
            self.screen = Screen::Picker;
            return Vec::new();
        };
        let state = &data.state;
        match action {
            Action::Back => {
                if self.zoom {
                    self.zoom = false;
                } else {
                    self.screen = Screen::Picker;
                    return vec![Effect::LoadIncidents];
                }
            }
            Action::FocusNext => self.set_focus(Pane::ALL[(self.focus.index() + 1) % 5]),
            Action::FocusPrev => self.set_focus(Pane::ALL[(self.focus.index() + 4) % 5]),
            Action::FocusTimeline => self.set_focus(Pane::Timeline),
            Action::FocusRoster => self.set_focus(Pane::Roster),
            Action::FocusBoard => self.set_focus(Pane::Board),
            Action::FocusComms => self.set_focus(Pane::Comms),
            Action::FocusFatigue => self.set_focus(Pane::Fatigue),
            Action::Zoom => self.zoom = !self.zoom,
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom
            | Action::Left
            | Action::Right => self.navigate(action),
            Action::ChangeSeverity => self.open_form(
                "Change severity",
                Purpose::Severity,
                vec![
                    Field::line(
                        "Severity",
                        &state.summary.severity.level().to_string(),
                        "1 critical · 2 major · 3 minor",
                    ),
                    Field::line("Why", "", "what changed"),
                ],
            ),
            Action::ChangeStage => self.open_form(
                "Move to stage",
                Purpose::Stage,
                vec![Field::line(
                    "Stage",
                    "",
                    "detect · respond · recover · learn · improve",
                )],
            ),
            Action::RequestChange => self.open_form(
                "Ask the IC before touching production",
                Purpose::ChangeRequest,
                vec![Field::line(
                    "Change",
                    "",
                    "what you want to change, where, and how to undo it",
                )],
            ),
            Action::AddNote => {
                self.open_form("Note", Purpose::Note, vec![Field::line("Note", "", "")])
            }
            Action::Search => {
                let current = self.timeline.search.clone().unwrap_or_default();
                self.open_form(
                    "Search the timeline",
                    Purpose::Search,
                    vec![Field::line("Find", &current, "author, kind or text")],
                );
            }
            Action::SearchNext => self.search_step(true),
            Action::SearchPrev => self.search_step(false),
            Action::Filter => {
                let current = self.timeline.filter.describe();
                self.open_form(
                    "Filter the timeline",
                    Purpose::Filter,
                    vec![Field::line(
                        "Show",
                        &current,
                        "e.g. kind:theory,experiment author:maya; empty shows all",
                    )],
                );
            }
            Action::ClearFilter => {
                self.timeline.search = None;
                self.apply_filter(Filter::default());
                self.say("showing every entry");
            }
            Action::JumpToTime => self.open_form(
                "Jump to time",
                Purpose::JumpToTime,
                vec![Field::line(
                    "Time",
                    "",
                    "e.g. 21:40, -30m, 2026-11-26 21:40",
                )],
            ),
            Action::Follow => {
                self.timeline.follow = !self.timeline.follow;
                if self.timeline.follow {
                    self.timeline.selected = self.visible_rows().saturating_sub(1);
                    self.keep_timeline_selection_visible();
                }
            }
            Action::SetImpactStart | Action::SetDetected | Action::SetImpactEnd => {
                let mark = match action {
                    Action::SetImpactStart => Mark::Started,
                    Action::SetDetected => Mark::Detected,
                    _ => Mark::Ended,
                };
                let current = state
                    .impact
                    .get(mark)
                    .map(|t| format!(" (now {})", t.format("%H:%M UTC")))
                    .unwrap_or_default();
                self.open_form(
                    format!("Set {}{current}", mark.label()),
                    Purpose::Impact(mark),
                    vec![Field::line(
                        "When",
                        "",
                        "empty for now; 21:40 (local), -15m, 2026-11-26T21:40:00Z",
                    )],
                );
            }
            Action::ToObservation => {
                let Some(ev) = self.selected_event() else {
                    return Vec::new();
                };
                let text = crate::domain::describe::text(&ev.kind);
                let id = ev.id;
                self.open_form(
                    "Observation from the timeline",
                    Purpose::Observation {
                        from_event: Some(id),
                    },
                    vec![Field::line(
                        "Observed",
                        &text,
                        "edit to state what was seen",
                    )],
                );
            }
            Action::AddObservation => self.open_form(
                "Observation",
                Purpose::Observation { from_event: None },
                vec![Field::line("Observed", "", "what is going on, as seen")],
            ),
            Action::AddTheory => self.open_form(
                "Theory",
                Purpose::Theory,
                vec![Field::line("Theory", "", "why it might be happening")],
            ),
            Action::AddExperiment => {
                let open: Vec<String> = state
                    .board
                    .theories
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| t.status == TheoryStatus::Open)
                    .map(|(i, _)| format!("T{}", i + 1))
                    .collect();
                let preset = if self.board_column == 1 {
                    format!("T{}", self.board_rows[1] + 1)
                } else {
                    String::new()
                };
                self.open_form(
                    "Experiment",
                    Purpose::Experiment,
                    vec![
                        Field::line(
                            "Plan",
                            "",
                            "what you will do and what result would tell you",
                        ),
                        Field::line(
                            "Tests",
                            &preset,
                            format!("theories it tests, e.g. T1,T3 (open: {})", open.join(" ")),
                        ),
                    ],
                );
            }
            Action::RecordOutcome => {
                let exp = state
                    .board
                    .experiments
                    .get(self.board_rows[2])
                    .filter(|_| self.board_column == 2);
                match exp {
                    Some(e) if e.is_running() => {
                        let id = e.id;
                        self.open_form(
                            "Experiment outcome",
                            Purpose::Outcome { experiment: id },
                            vec![
                                Field::line("Outcome", "", "supports · refutes · inconclusive"),
                                Field::line("Notes", "", "what you saw"),
                            ],
                        );
                    }
                    Some(_) => self.complain("that experiment already has an outcome"),
                    None => self
                        .complain("select a running experiment in the board's third column first"),
                }
            }
            Action::Discipline => self.overlay = Overlay::Discipline,
            Action::AssignRole => {
                let role = match self.roster_rows().get(self.roster_selected) {
                    Some(RosterRow::Role(r)) => r.code().to_string(),
                    _ => String::new(),
                };
                self.open_form(
                    "Assign a role",
                    Purpose::AssignRole,
                    vec![
                        Field::line("Role", &role, "IC, CL, PL, OL or PO"),
                        Field::line("Responder", "", "their handle"),
                    ],
                );
            }
            Action::ReleaseRole => match self.roster_rows().get(self.roster_selected) {
                Some(RosterRow::Role(role)) => {
                    let role = *role;
                    return self.record(
                        vec![(self.now, EventKind::RoleReleased { role })],
                        format!("{} released", role.title()),
                    );
                }
                _ => self.complain("select a role first"),
            },
            Action::Join => self.open_form(
                "A responder joins",
                Purpose::Join,
                vec![
                    Field::line("Handle", &self.handle.clone(), "who joins"),
                    Field::line("Skills", "", "optional, e.g. postgres, networking"),
                ],
            ),
            Action::Leave => match self.roster_rows().get(self.roster_selected) {
                Some(RosterRow::Responder(h)) => {
                    let handle = h.clone();
                    return self.record(
                        vec![(
                            self.now,
                            EventKind::ResponderLeft {
                                handle: handle.clone(),
                            },
                        )],
                        format!("{handle} left"),
                    );
                }
                _ => self.complain("select a responder first"),
            },
            Action::HandOver => {
                let brief = state.draft_brief(self.now);
                self.open_form(
                    "Hand over command",
                    Purpose::HandOver,
                    vec![
                        Field::line("New IC", "", "who takes command"),
                        Field::text("Brief", &brief.to_text(), "edit freely; Ctrl-S posts it"),
                    ],
                );
            }
            Action::ApproveChange | Action::DenyChange => {
                match self.roster_rows().get(self.roster_selected) {
                    Some(RosterRow::Change(id)) => {
                        let approve = action == Action::ApproveChange;
                        let id = *id;
                        self.open_form(
                            if approve {
                                "Approve change"
                            } else {
                                "Deny change"
                            },
                            Purpose::Decide {
                                request: id,
                                approve,
                            },
                            vec![Field::line("Reason", "", "optional")],
                        );
                    }
                    Some(RosterRow::CommandRequest(id)) => {
                        let id = *id;
                        self.answer_command_request(id, action == Action::ApproveChange);
                    }
                    _ => self
                        .complain("select a waiting change request or request for command first"),
                }
            }
            Action::EditDraft
            | Action::ToggleAudience
            | Action::InsertTemplate
            | Action::ToggleFinal
            | Action::SendUpdate
            | Action::ApplySuggestion
            | Action::HealthCheck => return self.act_comms(action),
            Action::Resolve
            | Action::WritePostmortem
            | Action::SearchKnownErrors
            | Action::AddAction
            | Action::Privacy
            | Action::Stats => return self.act_learn(action),
            Action::AskCommand
            | Action::TakeCommand
            | Action::GrantAccess
            | Action::RevokeAccess
            | Action::Redact
            | Action::DismissRejected => return self.act_authority(action),
            Action::Quit
            | Action::Help
            | Action::ToggleTimeZone
            | Action::Open
            | Action::Declare => {}
        }
        Vec::new()
    }

    fn navigate(&mut self, action: Action) {
        let page = self.timeline_height() as isize;
        let delta: isize = match action {
            Action::Up => -1,
            Action::Down => 1,
            Action::PageUp => -page,
            Action::PageDown => page,
            Action::Top => isize::MIN / 2,
            Action::Bottom => isize::MAX / 2,
            _ => 0,
        };
        match self.focus {
            Pane::Timeline => {
                if action == Action::Bottom {
                    self.timeline.follow = true;
                }
                self.move_timeline(delta);
            }
            Pane::Roster => {
                let n = self.roster_rows().len() as isize;
                self.roster_selected =
                    (self.roster_selected as isize + delta).clamp(0, (n - 1).max(0)) as usize;
            }
            Pane::Board => {
                match action {
                    Action::Left => self.board_column = self.board_column.saturating_sub(1),
                    Action::Right => self.board_column = (self.board_column + 1).min(2),
                    _ => {}
                }
                let n = self.data.as_ref().map_or(0, |d| match self.board_column {
                    0 => d.state.board.observations.len(),
                    1 => d.state.board.theories.len(),
                    _ => d.state.board.experiments.len(),
                }) as isize;
                let c = self.board_column;
                self.board_rows[c] =
                    (self.board_rows[c] as isize + delta).clamp(0, (n - 1).max(0)) as usize;
            }
            Pane::Fatigue => {
                let n = self.suggestions().len() as isize;
                self.fatigue_selected =
                    (self.fatigue_selected as isize + delta).clamp(0, (n - 1).max(0)) as usize;
            }
            Pane::Comms => {}
        }
    }

    // ---- forms ---------------------------------------------------------------------

    pub(super) fn parse_time(&self, s: &str) -> Result<DateTime<Utc>, String> {
        let s = if s.trim().is_empty() { "now" } else { s };
        // Typed times without a zone are the responder's local time.
        if self.system_zone {
            parse_when(s, self.now, chrono::Local)
        } else {
            parse_when(s, self.now, self.local)
        }
    }

    /// Checks the change against the state; refused: the reason goes to the open form.
    pub(super) fn record(
        &mut self,
        kinds: Vec<(DateTime<Utc>, EventKind)>,
        what: String,
    ) -> Vec<Effect> {
        let Some(d) = &self.data else {
            return Vec::new();
        };
        let mut probe = d.state.clone();
        for (at, kind) in &kinds {
            if let Err(reason) = probe.check(&self.handle, *at, kind) {
                return self.refuse(reason.to_string());
            }
            probe.apply(&Event {
                id: Uuid::nil(),
                incident: d.id,
                seq: None,
                at: *at,
                recorded_at: None,
                author: self.handle.clone(),
                kind: kind.clone(),
            });
        }
        self.overlay = Overlay::None;
        vec![Effect::Record {
            incident: d.id,
            kinds,
            what,
        }]
    }

    pub(super) fn refuse(&mut self, reason: String) -> Vec<Effect> {
        match &mut self.overlay {
            Overlay::Form(form) => form.error = Some(reason),
            _ => self.complain(reason),
        }
        Vec::new()
    }

    fn submit(&mut self) -> Vec<Effect> {
        let Overlay::Form(form) = &self.overlay else {
            return Vec::new();
        };
        let purpose = form.purpose.clone();
        let v = form.values();
        let now = self.now;
        match purpose {
            Purpose::Declare => {
                let severity = match v[1]
                    .trim()
                    .parse::<i64>()
                    .map_err(|_| String::new())
                    .and_then(Severity::new)
                {
                    Ok(s) => s,
                    Err(_) => return self.refuse("severity must be 1, 2 or 3".into()),
                };
                if v[0].is_empty() {
                    return self.refuse("the title must not be empty".into());
                }
                let started_at = if v[3].is_empty() {
                    None
                } else {
                    match self.parse_time(&v[3]) {
                        Ok(t) => Some(t),
                        Err(e) => return self.refuse(e),
                    }
                };
                self.overlay = Overlay::None;
                vec![Effect::Declare {
                    title: v[0].clone(),
                    severity,
                    summary: v[2].clone(),
                    started_at,
                }]
            }
            Purpose::Note => {
                if v[0].is_empty() {
                    return self.refuse("the note is empty".into());
                }
                self.record(
                    vec![(now, EventKind::Note { text: v[0].clone() })],
                    "note added".into(),
                )
            }
            Purpose::Search => {
                self.overlay = Overlay::None;
                self.timeline.search = Some(v[0].clone()).filter(|s| !s.is_empty());
                if self.timeline.search.is_some() {
                    self.search_step(false);
                }
                Vec::new()
            }
            Purpose::Filter => {
                self.overlay = Overlay::None;
                self.apply_filter(Filter::parse(&v[0]));
                Vec::new()
            }
            Purpose::JumpToTime => match self.parse_time(&v[0]) {
                Ok(t) => {
                    self.overlay = Overlay::None;
                    let d = self.data.as_ref();
                    let target = (0..self.visible_rows()).find(|i| {
                        self.row_index(*i)
                            .and_then(|r| d.and_then(|d| d.row(r)))
                            .is_some_and(|(e, _)| e.at >= t)
                    });
                    self.timeline.selected =
                        target.unwrap_or(self.visible_rows().saturating_sub(1));
                    self.timeline.follow = false;
                    self.keep_timeline_selection_visible();
                    Vec::new()
                }
                Err(e) => self.refuse(e),
            },
            Purpose::Impact(mark) => match self.parse_time(&v[0]) {
                Ok(at) if at > now + chrono::Duration::minutes(1) => {
                    self.refuse("that time is in the future".into())
                }
                Ok(at) => {
                    let kind = match mark {
                        Mark::Started => EventKind::ImpactStarted {},
                        Mark::Detected => EventKind::Detected {},
                        Mark::Ended => EventKind::ImpactEnded {},
                    };
                    self.record(
                        vec![(at, kind)],
                        format!("{} set to {}", mark.label(), at.format("%H:%M UTC")),
                    )
                }
                Err(e) => self.refuse(e),
            },
            Purpose::Observation { from_event } => self.record(
                vec![(
                    now,
                    EventKind::Observation {
                        text: v[0].clone(),
                        from_event,
                    },
                )],
                "observation added".into(),
            ),
            Purpose::Theory => self.record(
                vec![(now, EventKind::Theory { text: v[0].clone() })],
                "theory added".into(),
            ),
            Purpose::Experiment => {
                let Some(d) = &self.data else {
                    return Vec::new();
                };
                let mut tests = Vec::new();
                for part in v[1].split([',', ' ']).filter(|p| !p.trim().is_empty()) {
                    let n = part
                        .trim()
                        .trim_start_matches(['T', 't'])
                        .parse::<usize>()
                        .ok();
                    match n.and_then(|n| d.state.board.theories.get(n.wrapping_sub(1))) {
                        Some(t) => tests.push(t.id),
                        None => {
                            return self
                                .refuse(format!("`{part}` is not a theory number (T1, T2, ...)"));
                        }
                    }
                }
                if tests.is_empty() {
                    return self.refuse("name the theories it tests, e.g. T1".into());
                }
                self.record(
                    vec![(
                        now,
                        EventKind::Experiment {
                            plan: v[0].clone(),
                            tests,
                        },
                    )],
                    "experiment added".into(),
                )
            }
            Purpose::Outcome { experiment } => {
                let outcome = match v[0].trim().to_ascii_lowercase().chars().next() {
                    Some('s') => Outcome::Supports,
                    Some('r') => Outcome::Refutes,
                    Some('i') => Outcome::Inconclusive,
                    _ => return self.refuse("outcome: supports, refutes or inconclusive".into()),
                };
                self.record(
                    vec![(
                        now,
                        EventKind::ExperimentOutcome {
                            experiment,
                            outcome,
                            notes: v[1].clone(),
                        },
                    )],
                    "outcome recorded".into(),
                )
            }
            Purpose::AssignRole => {
                let Some(role) = Role::parse(&v[0]) else {
                    return self.refuse(format!("`{}` is not a role: IC, CL, PL, OL or PO", v[0]));
                };
                if v[1].is_empty() || v[1].contains(char::is_whitespace) {
                    return self.refuse("give the responder's handle (no spaces)".into());
                }
                let kind = if role == Role::Ic {
                    EventKind::CommandHandedOver {
                        to: v[1].clone(),
                        brief: HandoverBrief::default(),
                    }
                } else {
                    EventKind::RoleAssigned {
                        role,
                        handle: v[1].clone(),
                    }
                };
                self.record(vec![(now, kind)], format!("{} → {}", role.title(), v[1]))
            }
            Purpose::Join => {
                if v[0].is_empty() || v[0].contains(char::is_whitespace) {
                    return self.refuse("give the responder's handle (no spaces)".into());
                }
                let skills = v[1]
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect();
                self.record(
                    vec![(
                        now,
                        EventKind::ResponderJoined {
                            handle: v[0].clone(),
                            skills,
                        },
                    )],
                    format!("{} joined", v[0]),
                )
            }
            Purpose::HandOver => {
                if v[0].is_empty() || v[0].contains(char::is_whitespace) {
                    return self.refuse("name the new incident commander (their handle)".into());
                }
                let brief = HandoverBrief::from_text(&v[1]);
                self.record(
                    vec![(
                        now,
                        EventKind::CommandHandedOver {
                            to: v[0].clone(),
                            brief,
                        },
                    )],
                    format!("command handed over to {}", v[0]),
                )
            }
            Purpose::ChangeRequest => self.record(
                vec![(
                    now,
                    EventKind::ChangeRequested {
                        description: v[0].clone(),
                    },
                )],
                "change request filed; the IC decides".into(),
            ),
            Purpose::Decide { request, approve } => self.record(
                vec![(
                    now,
                    EventKind::ChangeDecided {
                        request,
                        approved: approve,
                        reason: v[0].clone(),
                    },
                )],
                if approve {
                    "change approved".into()
                } else {
                    "change denied".into()
                },
            ),
            Purpose::Severity => match v[0]
                .trim()
                .parse::<i64>()
                .map_err(|_| String::new())
                .and_then(Severity::new)
            {
                Ok(severity) => self.record(
                    vec![(
                        now,
                        EventKind::SeverityChanged {
                            severity,
                            reason: v[1].clone(),
                        },
                    )],
                    format!("severity now {severity}"),
                ),
                Err(_) => self.refuse("severity must be 1, 2 or 3".into()),
            },
            Purpose::SendOverride { audience } => {
                if v[0].is_empty() {
                    return self.refuse("give the reason for sending with failed checks".into());
                }
                self.send(audience, Some(v[0].clone()))
            }
            Purpose::Template => self.apply_template(&v[0]),
            Purpose::HealthCheck => {
                if v[0].is_empty() {
                    return self.refuse("say how the team is doing".into());
                }
                self.record(
                    vec![(
                        now,
                        EventKind::HealthCheck {
                            summary: v[0].clone(),
                        },
                    )],
                    "health check logged".into(),
                )
            }
            Purpose::Resolve | Purpose::AddAction | Purpose::Privacy => {
                self.submit_learn(purpose, &v)
            }
            Purpose::AskCommand
            | Purpose::TakeCommand
            | Purpose::GrantAccess
            | Purpose::Redact { .. }
            | Purpose::AnswerCommand { .. } => self.submit_authority(purpose, &v),
            Purpose::Stage => match Stage::parse(&v[0]) {
                Some(stage) => self.record(
                    vec![(now, EventKind::StageChanged { stage })],
                    format!("stage now {}", stage.title()),
                ),
                None => self.refuse("stage: detect, respond, recover, learn or improve".into()),
            },
        }
    }

    /// The local offset in force at `t`.
    pub fn offset_at(&self, t: DateTime<Utc>) -> FixedOffset {
        use chrono::{Offset, TimeZone};
        if self.system_zone {
            chrono::Local.offset_from_utc_datetime(&t.naive_utc()).fix()
        } else {
            self.local
        }
    }

    /// Change requests and requests for command waiting for this responder, when they
    /// command.
    pub fn waiting_for_me(&self) -> usize {
        self.data
            .as_ref()
            .filter(|d| d.state.commander() == Some(self.handle.as_str()))
            .map_or(0, |d| {
                d.state
                    .change_requests
                    .iter()
                    .filter(|c| c.decision == Decision::Pending)
                    .count()
                    + d.state.pending_command_requests().count()
            })
    }
}
