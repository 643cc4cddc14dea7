//! The console's state and its one `update`: messages in, effects out. Nothing here does
//! I/O or reads the clock; the loop in `tui::run` carries out the effects. A key goes to
//! the overlay that is open, the draft being edited, or else to the pane, the incident
//! list or the incident-wide act its action belongs to, whichever pane has the focus.

use chrono::{DateTime, FixedOffset, Utc};
use crossterm::event::{KeyEvent, KeyEventKind, MouseButton, MouseEvent, MouseEventKind};
use uuid::Uuid;

use super::action::Action;
use super::alerts::{self, Alert};
use super::authority;
use super::command::CommandKey;
use super::ctx::{Clock, Ctx};
use super::data::{History, IncidentData};
use super::drafts::{Draft, audience_index};
use super::incident;
use super::keymap::{Key, Keymap, Section};
use super::layout::Geometry;
use super::overlay::choose::ChooseOutcome;
use super::overlay::detail::{self, DetailKey};
use super::overlay::findings;
use super::overlay::form::{FormOutcome, Purpose};
use super::overlay::kedb::KedbKey;
use super::pane::{board, comms, fatigue, roster, timeline};
use super::picker;
use crate::domain::attention::Need;
use crate::domain::event::{Audience, Event};
use crate::domain::fatigue::{Suggestion, Thresholds};
use crate::domain::incident::IncidentSummary;
use crate::domain::roles::Handover;
use crate::sync::Pending;
use crate::sync::engine::LinkStatus;

pub use super::effect::Effect;
pub use super::overlay::Overlay;
pub use super::pane::Pane;
pub use super::pane::roster::RosterRow;
pub use super::pane::timeline::TimelineState;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    Picker,
    Incident,
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
    /// An incident opened from its state and latest events; unless it is complete, the
    /// start of its log follows as `History`.
    Opened(Box<IncidentData>),
    /// The start of the open incident's log, to go in front of what is shown.
    History {
        id: Uuid,
        history: Box<History>,
    },
    /// A change was recorded (the text to show) or refused (the reason).
    Recorded(Result<String, String>),
    Declared(Result<IncidentSummary, String>),
    Link(LinkStatus),
    /// Sync brought something new for this incident.
    Changed(Uuid),
    /// Something was committed to the replica (solo mode: maybe by another process).
    StoreChanged,
    /// The known-error database, for a search.
    KnownErrors(Vec<crate::domain::kedb::KnownError>),
    /// The blame check stopped the postmortem: what to rephrase.
    Findings(Vec<crate::domain::postmortem::Finding>),
    /// The server told us who our token belongs to.
    Handle(String),
    /// The server's firing alerts (shared mode), fetched with the incident list.
    Alerts(Vec<crate::domain::alert::Alert>),
    /// The teams that can be paged (shared mode: the server's), for the page form.
    PagingTeams(Vec<crate::paging::TeamInfo>),
    /// Saved drafts of an incident, internal and external, and the external one's versions
    /// in the other configured languages.
    Drafts {
        id: Uuid,
        internal: Option<String>,
        external: Option<String>,
        versions: Vec<(crate::domain::lang::Lang, Option<String>)>,
    },
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
    // The incident list (`picker`).
    pub incidents: Vec<IncidentSummary>,
    pub picker_selected: usize,
    /// The incident under the list's cursor: the cursor follows it, not its row.
    pub picker_id: Option<Uuid>,
    pub data: Option<IncidentData>,
    pub focus: Pane,
    /// The pane shown beside the timeline on medium-width screens.
    pub side: Pane,
    pub zoom: bool,
    pub overlay: Overlay,
    // Each pane's own state, handled by its file in `pane/`.
    pub timeline: TimelineState,
    pub roster_selected: usize,
    pub board_column: usize,
    pub board_rows: [usize; 3],
    /// Each board column follows its newest item: nothing chosen in it yet, or its last
    /// item selected.
    pub board_follow: [bool; 3],
    pub link: LinkStatus,
    pub message: Option<(String, bool)>,
    pub quit: bool,
    /// Drafts by audience: internal, external.
    pub drafts: [Draft; 2],
    /// The external draft in the other configured languages, in their order (empty with
    /// one language; see [`App::set_languages`]).
    pub translations: Vec<Draft>,
    /// Which version of the external draft is shown: 0 the primary language's, then each
    /// of `translations`.
    pub version: usize,
    pub audience: Audience,
    /// Keys go to the draft editor.
    pub editing: bool,
    /// The open incident's log up to this seq is still to be read (see `after_draw`).
    pub history_wanted: Option<(Uuid, i64)>,
    /// Checks of the comms checklist scrolled above the first shown.
    pub comms_scroll: usize,
    pub thresholds: Thresholds,
    pub fatigue_selected: usize,
    /// Alerts already raised, so each notifies once.
    pub raised: std::collections::HashSet<String>,
    /// How long after resolution an action item is due by default.
    pub action_due: chrono::Duration,
    /// Something unsafe about the link to the server (plain http:// to another machine),
    /// shown in the header for as long as the console runs.
    pub link_warning: Option<String>,
    /// Ask this responder since when they have been awake when they join an incident (or
    /// open one they are on duty on) with no awake time recorded. Off in a bare `App`
    /// (tests drive the keys themselves); `tui::run` takes it from the config.
    pub ask_awake: bool,
    /// Incidents where that was asked already (Esc skips it for good).
    pub awake_asked: std::collections::HashSet<Uuid>,
    /// Lines typed on the `:` command line, oldest first (kept across runs).
    pub command_history: Vec<String>,
    /// The server's firing alerts; those no open incident took in show above the list.
    pub alerts: Vec<crate::domain::alert::Alert>,
    /// The list's cursor on one of those alerts (`None`: on the incidents).
    pub alert_row: Option<usize>,
    /// Whether alerts arrived before: the first ones are shown, not notified.
    pub alerts_known: bool,
    /// The languages external updates are written in (`[comms] languages`), primary
    /// first: with more than one, the external draft holds a version in each.
    pub languages: Vec<crate::domain::lang::Lang>,
    /// The teams that can be paged (solo: this machine's `[paging]`; shared: the
    /// server's, once it said), offered when a page is asked for.
    pub paging_teams: Vec<crate::paging::TeamInfo>,
}

/// The console around a pane for one act: every field of `$app` a pane may use, borrowed
/// apart from the pane's own state so both can be handed over together.
macro_rules! ctx {
    ($app:ident) => {
        Ctx {
            now: $app.now,
            handle: &$app.handle,
            data: $app.data.as_ref(),
            clock: Clock {
                use_local: $app.use_local,
                local: $app.local,
                system_zone: $app.system_zone,
            },
            thresholds: &$app.thresholds,
            action_due: $app.action_due,
            languages: &$app.languages,
            teams: &$app.paging_teams,
            overlay: &mut $app.overlay,
            message: &mut $app.message,
            focus: &mut $app.focus,
        }
    };
}

/// The comms pane's state, borrowed from `$app`.
macro_rules! comms {
    ($app:ident) => {
        comms::Comms {
            drafts: &mut $app.drafts,
            translations: &mut $app.translations,
            version: &mut $app.version,
            audience: &mut $app.audience,
            editing: &mut $app.editing,
        }
    };
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
            picker_id: None,
            data: None,
            focus: Pane::Timeline,
            side: Pane::Roster,
            zoom: false,
            overlay: Overlay::None,
            timeline: TimelineState::following(),
            roster_selected: 0,
            board_column: 0,
            board_rows: [0; 3],
            board_follow: [true; 3],
            link: LinkStatus::solo(),
            message: None,
            quit: false,
            drafts: [
                Draft::new(Audience::Internal, "", None),
                Draft::new(Audience::External, "", None),
            ],
            translations: Vec::new(),
            version: 0,
            audience: Audience::Internal,
            editing: false,
            history_wanted: None,
            comms_scroll: 0,
            thresholds: Thresholds::default(),
            fatigue_selected: 0,
            raised: std::collections::HashSet::new(),
            action_due: chrono::Duration::weeks(8),
            link_warning: None,
            ask_awake: false,
            awake_asked: std::collections::HashSet::new(),
            command_history: Vec::new(),
            alerts: Vec::new(),
            alert_row: None,
            alerts_known: false,
            languages: vec![crate::domain::lang::Lang::En],
            paging_teams: Vec::new(),
        }
    }

    fn say(&mut self, text: impl Into<String>) {
        self.message = Some((text.into(), false));
    }

    fn complain(&mut self, text: impl Into<String>) {
        self.message = Some((text.into(), true));
    }

    /// How times are shown and read.
    pub fn clock(&self) -> Clock {
        Clock {
            use_local: self.use_local,
            local: self.local,
            system_zone: self.system_zone,
        }
    }

    /// What the layout depends on, as the console stands.
    pub fn geometry(&self) -> Geometry {
        Geometry {
            size: self.size,
            zoom: self.zoom,
            focus: self.focus,
            side: self.side,
        }
    }

    pub fn section(&self) -> Section {
        match self.screen {
            Screen::Picker => Section::Picker,
            Screen::Incident => Section::Pane(self.focus),
        }
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Key(key) if key.kind != KeyEventKind::Release => self.on_key(key),
            Msg::Key(_) => Vec::new(),
            Msg::Mouse(m) => self.on_mouse(m),
            Msg::Resize(w, h) => {
                self.size = (w, h);
                let height = self.timeline_height();
                self.timeline
                    .keep_selection_visible(self.data.as_ref(), height);
                Vec::new()
            }
            Msg::Tick(now) => {
                self.now = now;
                self.order_incidents();
                self.maybe_ask_awake();
                self.check_alerts(false)
            }
            Msg::Incidents(list) => {
                self.incidents = list;
                self.order_incidents();
                self.keep_alert_row();
                self.check_alerts(false)
            }
            Msg::Alerts(list) => {
                self.alerts = list;
                self.keep_alert_row();
                if !self.alerts_known {
                    // Already firing when the console started: on the list, not news.
                    self.alerts_known = true;
                    self.raised.extend(
                        super::picker_alerts::notices(&self.alerts)
                            .into_iter()
                            .map(|(key, _, _)| key),
                    );
                }
                self.check_alerts(false)
            }
            Msg::PagingTeams(teams) => {
                self.paging_teams = teams;
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
                self.maybe_ask_awake();
                let mut effects = self.check_alerts(fresh);
                if fresh {
                    effects.push(Effect::LoadDrafts(id));
                }
                if self.data.as_ref().is_some_and(|d| d.id == id && d.stale) {
                    // A redaction reached entries not read yet: open it again, folded anew.
                    effects.push(Effect::LoadIncident { id, after: 0 });
                }
                effects
            }
            Msg::Opened(data) => {
                let id = data.id;
                // The start of the log is read once the screen shows the newest entries.
                let missing = data.confirmed.first().and_then(|e| e.seq).unwrap_or(1) - 1;
                self.history_wanted = (missing > 0).then_some((id, missing));
                self.data = Some(*data);
                self.opened();
                let height = self.timeline_height();
                self.timeline.after_load(self.data.as_ref(), height);
                self.tell_new_rejections();
                self.maybe_ask_awake();
                let mut effects = self.check_alerts(true);
                effects.push(Effect::LoadDrafts(id));
                effects
            }
            Msg::History { id, history } => {
                self.on_history(id, *history);
                Vec::new()
            }
            Msg::Handle(h) => {
                self.say(format!("you are {h} on this server"));
                self.handle = h;
                Vec::new()
            }
            Msg::KnownErrors(entries) => {
                if let Overlay::Kedb(search) = &mut self.overlay {
                    search.set_entries(entries);
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
                versions,
            } => {
                if let Some(d) = self.data.as_ref().filter(|d| d.id == id) {
                    let severity = Some(d.state.summary.severity);
                    comms::set_drafts(&mut self.drafts, severity, internal, external);
                    comms::set_versions(&mut self.translations, severity, versions);
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
            Msg::StoreChanged => self.reload(),
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
        let mut brief = None;
        if full {
            self.data = Some(IncidentData::new(id, new, pending));
            self.opened();
        } else if let Some(d) = &mut self.data {
            let confirmed_before = d.confirmed.len();
            let board_before = board::lens(Some(d));
            brief = detail::brief_for(&new, &self.handle);
            d.extend(new, pending);
            board::follow_new(
                Some(d),
                board_before,
                &mut self.board_rows,
                &self.board_follow,
            );
            self.timeline.refilter_from(d, confirmed_before);
        }
        let height = self.timeline_height();
        self.timeline.after_load(self.data.as_ref(), height);
        self.tell_new_rejections();
        if let Some(id) = brief {
            // A handover to this responder opens its brief by itself.
            let typing = self.editing;
            detail::open_brief(
                &mut self.overlay,
                &mut self.message,
                &mut self.raised,
                typing,
                id,
            );
        }
    }

    /// What waits until the screen shows what is there: reading the start of a long log
    /// (which would otherwise hold up the first frame of the incident). The loop calls it
    /// after each frame.
    pub fn after_draw(&mut self) -> Vec<Effect> {
        match self.history_wanted.take() {
            Some((id, upto)) if self.data.as_ref().is_some_and(|d| d.id == id) => {
                vec![Effect::LoadHistory { id, upto }]
            }
            _ => Vec::new(),
        }
    }

    /// The incident just put in `data` is shown from its start: panes on their newest.
    fn opened(&mut self) {
        self.screen = Screen::Incident;
        self.timeline = TimelineState::following();
        self.roster_selected = 0;
        // Each board column opens on its newest item, and follows what arrives.
        self.board_rows = board::lens(self.data.as_ref()).map(|n| n.saturating_sub(1));
        self.board_follow = [true; 3];
        self.comms_scroll = 0;
    }

    /// The start of the open incident's log arrived: it goes in front of the rows shown,
    /// and the selection stays on its entry (or on the newest, when following).
    fn on_history(&mut self, id: Uuid, history: History) {
        let height = self.timeline_height();
        let Some(d) = self.data.as_mut().filter(|d| d.id == id) else {
            return;
        };
        let selected = self.timeline.selected_event(Some(d)).map(|e| e.id);
        if !d.prepend(history) {
            return;
        }
        let d = &*d;
        if self.timeline.filtered.is_some() {
            self.timeline.filtered = Some(Vec::new());
            self.timeline.refilter_from(d, 0);
        }
        if !self.timeline.follow
            && let Some(i) = selected
                .and_then(|e| d.row_of(e))
                .and_then(|row| self.timeline.visible_index(Some(d), row))
        {
            self.timeline.selected = i;
        }
        self.timeline.after_load(self.data.as_ref(), height);
    }

    /// Once per incident, asks this responder since when they have been awake when they
    /// are on duty on it with no awake time recorded (having just joined, from here or
    /// elsewhere, or opened it). Waits while a form, an overlay or a draft has the keys.
    fn maybe_ask_awake(&mut self) {
        if !self.ask_awake
            || self.screen != Screen::Incident
            || self.editing
            || !matches!(self.overlay, Overlay::None)
        {
            return;
        }
        let Some(d) = &self.data else { return };
        if self.awake_asked.contains(&d.id) || !fatigue::awake_unknown(d, &self.handle) {
            return;
        }
        self.awake_asked.insert(d.id);
        fatigue::ask_awake(&mut ctx!(self));
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

    // ---- what the panes show, for the loop and tests ---------------------------------

    /// How many rows the timeline shows (after the filter).
    pub fn visible_rows(&self) -> usize {
        self.timeline.visible_rows(self.data.as_ref())
    }

    /// The data row behind visible row `i`.
    pub fn row_index(&self, i: usize) -> Option<usize> {
        self.timeline.row_index(self.data.as_ref(), i)
    }

    pub fn selected_event(&self) -> Option<&Event> {
        self.timeline.selected_event(self.data.as_ref())
    }

    pub fn roster_rows(&self) -> Vec<RosterRow> {
        roster::rows(self.data.as_ref())
    }

    /// The draft shown: the audience's, or the external one's version being edited.
    pub fn draft(&self) -> &Draft {
        match self.version.checked_sub(1) {
            Some(i) if self.audience == Audience::External && i < self.translations.len() => {
                &self.translations[i]
            }
            _ => &self.drafts[audience_index(self.audience)],
        }
    }

    /// The languages external updates are written in (`[comms] languages`, primary first):
    /// the drafts are written in the primary one and, with more, the external draft gets a
    /// version in each of the others.
    pub fn set_languages(&mut self, languages: Vec<crate::domain::lang::Lang>) {
        let languages = if languages.is_empty() {
            vec![crate::domain::lang::Lang::En]
        } else {
            languages
        };
        let several = languages.len() > 1;
        for (draft, audience) in self
            .drafts
            .iter_mut()
            .zip([Audience::Internal, Audience::External])
        {
            draft.lang = languages[0];
            draft.versioned = several && audience == Audience::External;
            draft.recheck(audience, None);
        }
        self.translations = languages[1..]
            .iter()
            .map(|l| Draft::in_lang(Audience::External, *l, true))
            .collect();
        self.version = 0;
        self.languages = languages;
    }

    pub fn suggestions(&self) -> Vec<Suggestion> {
        fatigue::suggestions(self.data.as_ref(), self.now, &self.thresholds)
    }

    /// Whether the rule book lets this responder do `action` on the open incident; the
    /// footer and help grey what it does not, so nobody types a form only to be refused.
    pub fn may(&self, action: Action) -> bool {
        authority::may(self.data.as_ref(), &self.handle, action)
    }

    /// The newest change of command made without the IC's consent, while it is news.
    pub fn command_taken_recently(&self) -> Option<&Handover> {
        authority::command_taken_recently(self.data.as_ref(), self.now)
    }

    /// Change requests and requests for command waiting for this responder, when they
    /// command.
    pub fn waiting_for_me(&self) -> usize {
        authority::waiting_for_me(self.data.as_ref(), &self.handle)
    }

    /// What needs this responder now, each with a key so it is raised once.
    pub fn alerts(&self) -> Vec<Alert> {
        alerts::alerts(self.data.as_ref(), &self.handle, self.now, &self.thresholds)
    }

    /// The local offset in force at `t`.
    pub fn offset_at(&self, t: DateTime<Utc>) -> FixedOffset {
        self.clock().offset_at(t)
    }

    /// Rows of the timeline on screen: a page, wherever the focus is.
    fn timeline_height(&self) -> usize {
        self.geometry().pane_height(Pane::Timeline).max(1) as usize
    }

    /// The firing alerts shown above the incident list.
    pub fn unlinked_alerts(&self) -> Vec<&crate::domain::alert::Alert> {
        super::picker_alerts::unlinked(&self.alerts, &self.incidents)
    }

    /// Keeps the list's cursor on an alert row that still exists.
    fn keep_alert_row(&mut self) {
        let n = self.unlinked_alerts().len();
        self.alert_row = self.alert_row.filter(|_| n > 0).map(|r| r.min(n - 1));
    }

    /// Raises alerts not raised before. On first opening an incident, the roles one
    /// already holds are taken as known rather than announced.
    fn check_alerts(&mut self, opening: bool) -> Vec<Effect> {
        let mut effects = Vec::new();
        let open = self.data.as_ref().map(|d| d.id);
        let others = alerts::list_alerts(&self.incidents, open, &self.handle, self.now);
        let firing = super::picker_alerts::notices(&self.alerts);
        for (key, title, body) in self.alerts().into_iter().chain(others).chain(firing) {
            if self.raised.contains(&key) {
                continue;
            }
            self.raised.insert(key.clone());
            if opening && (key.starts_with("role:") || key.starts_with("decided:")) {
                continue;
            }
            self.message = Some((title.clone(), true));
            effects.push(Effect::Notify { title, body });
        }
        effects
    }

    // ---- keys and the mouse --------------------------------------------------------

    fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if self.editing && self.screen == Screen::Incident && matches!(self.overlay, Overlay::None)
        {
            return comms::edit_key(&mut ctx!(self), comms!(self), key);
        }
        let clock = self.clock();
        match &mut self.overlay {
            Overlay::Detail(entry) => {
                let data = self.data.as_ref();
                return match entry.handle_key(key, &self.keymap, data, clock, self.size) {
                    DetailKey::Stay => Vec::new(),
                    DetailKey::Close => {
                        self.overlay = Overlay::None;
                        Vec::new()
                    }
                    DetailKey::Quit => self.act(Action::Quit),
                };
            }
            Overlay::Command(line) => {
                let data = self.data.as_ref();
                return match line.handle_key(key, &self.command_history, data) {
                    CommandKey::Typing => Vec::new(),
                    CommandKey::Close => {
                        self.overlay = Overlay::None;
                        Vec::new()
                    }
                    CommandKey::Submit => self.submit_command(),
                };
            }
            Overlay::Choose(chooser) => {
                return match chooser.handle_key(key) {
                    ChooseOutcome::Choosing => Vec::new(),
                    ChooseOutcome::Cancel => {
                        self.overlay = Overlay::None;
                        Vec::new()
                    }
                    ChooseOutcome::Submit => self.submit_chosen(false),
                    ChooseOutcome::More => self.submit_chosen(true),
                };
            }
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
            Overlay::Kedb(search) => {
                return match search.handle_key(key) {
                    KedbKey::Searching => Vec::new(),
                    KedbKey::Close => {
                        self.overlay = Overlay::None;
                        Vec::new()
                    }
                    KedbKey::Link(chosen) => incident::link_known_error(&mut ctx!(self), chosen),
                };
            }
            Overlay::Findings(_) if findings::writes_anyway(&key) => {
                return incident::write_postmortem_anyway(&mut ctx!(self));
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
        let hovered = self.geometry().pane_at(m.column, m.row);
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
            Action::JumpToNeed => return self.jump_to_need(),
            Action::CommandLine if self.data.is_some() => {
                self.overlay = Overlay::Command(Box::default());
                return Vec::new();
            }
            _ => {}
        }
        match self.screen {
            Screen::Picker if action == Action::Back && self.data.is_some() => {
                self.screen = Screen::Incident;
                Vec::new()
            }
            Screen::Picker => {
                let shown = super::picker_alerts::unlinked(&self.alerts, &self.incidents);
                let target = super::picker_alerts::target(
                    &self.incidents,
                    self.data.as_ref().map(|d| d.id),
                    self.picker_id,
                );
                if let Some(effects) = super::picker_alerts::act(
                    &mut ctx!(self),
                    &shown,
                    &mut self.alert_row,
                    self.picker_selected,
                    target,
                    action,
                ) {
                    return effects;
                }
                let effects = picker::act(
                    &mut ctx!(self),
                    &self.incidents,
                    &mut self.picker_selected,
                    action,
                );
                self.picker_id = self.incidents.get(self.picker_selected).map(|i| i.id);
                effects
            }
            Screen::Incident => self.act_incident(action),
        }
    }

    /// An action on the open incident goes to the pane, or the incident-wide act, that
    /// owns it, whichever pane has the focus.
    fn act_incident(&mut self, action: Action) -> Vec<Effect> {
        if self.data.is_none() {
            self.screen = Screen::Picker;
            return Vec::new();
        }
        let height = self.timeline_height();
        match action {
            Action::Back => {
                if self.focus == Pane::Timeline && self.timeline.narrowed() {
                    // Esc in a search or filter clears it; the incident stays open.
                    self.timeline.widen(self.data.as_ref(), height);
                    self.say("search and filter cleared: showing every entry");
                } else if self.zoom {
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
            Action::AddNote
            | Action::Search
            | Action::SearchNext
            | Action::SearchPrev
            | Action::Filter
            | Action::ClearFilter
            | Action::JumpToTime
            | Action::Follow
            | Action::SetImpactStart
            | Action::SetDetected
            | Action::SetImpactEnd
            | Action::ToObservation
            | Action::ShowEntry
            | Action::ToggleOrder
            | Action::Redact
            | Action::DismissRejected => {
                return timeline::act(&mut ctx!(self), &mut self.timeline, height, action);
            }
            Action::AssignRole
            | Action::ReleaseRole
            | Action::Join
            | Action::Leave
            | Action::HandOver
            | Action::ApproveChange
            | Action::DenyChange
            | Action::ApproveWaiting
            | Action::DenyWaiting
            | Action::RequestChange
            | Action::AskCommand
            | Action::TakeCommand
            | Action::GrantAccess
            | Action::RevokeAccess
            | Action::Page => {
                return roster::act(&mut ctx!(self), self.roster_selected, action);
            }
            Action::AddObservation
            | Action::AddTheory
            | Action::AddExperiment
            | Action::RecordOutcome
            | Action::Discipline => {
                return board::act(&mut ctx!(self), self.board_column, &self.board_rows, action);
            }
            Action::EditDraft
            | Action::ToggleAudience
            | Action::InsertTemplate
            | Action::ToggleFinal
            | Action::SwitchLanguage
            | Action::SendUpdate => return comms::act(&mut ctx!(self), comms!(self), action),
            Action::ApplySuggestion
            | Action::HealthCheck
            | Action::AwakeSince
            | Action::StandDown => {
                return fatigue::act(&mut ctx!(self), self.fatigue_selected, action);
            }
            Action::ChangeSeverity
            | Action::ChangeStage
            | Action::Resolve
            | Action::WritePostmortem
            | Action::SearchKnownErrors
            | Action::AddAction
            | Action::Privacy
            | Action::Stats => return incident::act(&mut ctx!(self), action),
            Action::Amend => {
                let target = match self.focus {
                    Pane::Board => {
                        board::selected_id(self.data.as_ref(), self.board_column, &self.board_rows)
                    }
                    _ => self
                        .timeline
                        .selected_event(self.data.as_ref())
                        .map(|e| e.id),
                };
                match target {
                    Some(id) => super::amend::open(&mut ctx!(self), id),
                    None => ctx!(self).complain("select a note, observation or theory first"),
                }
            }
            Action::Quit
            | Action::Help
            | Action::ToggleTimeZone
            | Action::JumpToNeed
            | Action::CommandLine
            | Action::Open
            | Action::Declare
            | Action::DeclareFromAlert
            | Action::AttachAlert => {}
        }
        Vec::new()
    }

    /// The list in the order it is shown (what needs this responder first), the cursor
    /// kept on its incident.
    fn order_incidents(&mut self) {
        picker::order(
            &mut self.incidents,
            &self.handle,
            self.now,
            &mut self.picker_id,
            &mut self.picker_selected,
        );
    }

    /// The incidents other than the one on screen where something needs this responder,
    /// each with what, most pressing first.
    pub fn others_needing_me(&self) -> Vec<(&IncidentSummary, Vec<Need>)> {
        let open = match self.screen {
            Screen::Incident => self.data.as_ref().map(|d| d.id),
            Screen::Picker => None,
        };
        picker::needing(&self.incidents, &self.handle, self.now, open)
    }

    /// Opens the incident, other than the one on screen, that needs this responder most.
    fn jump_to_need(&mut self) -> Vec<Effect> {
        let Some(id) = self.others_needing_me().first().map(|(s, _)| s.id) else {
            self.say("nothing on another incident needs you");
            return Vec::new();
        };
        self.picker_id = Some(id);
        self.order_incidents();
        vec![
            Effect::LoadIncident { id, after: 0 },
            Effect::Focus(Some(id)),
        ]
    }

    /// Moving in the focused pane; a page is the timeline's height.
    fn navigate(&mut self, action: Action) {
        let height = self.timeline_height();
        let page = height as isize;
        let delta: isize = match action {
            Action::Up => -1,
            Action::Down => 1,
            Action::PageUp => -page,
            Action::PageDown => page,
            Action::Top => isize::MIN / 2,
            Action::Bottom => isize::MAX / 2,
            _ => 0,
        };
        let data = self.data.as_ref();
        match self.focus {
            Pane::Timeline => self.timeline.navigate(data, height, action, delta),
            Pane::Roster => roster::navigate(data, &mut self.roster_selected, delta),
            Pane::Board => board::navigate(
                data,
                &mut self.board_column,
                &mut self.board_rows,
                &mut self.board_follow,
                action,
                delta,
            ),
            Pane::Fatigue => {
                let n = fatigue::suggestions(data, self.now, &self.thresholds).len();
                fatigue::navigate(n, &mut self.fatigue_selected, delta);
            }
            Pane::Comms => {
                let pane = self
                    .geometry()
                    .pane_rects()
                    .into_iter()
                    .find(|(p, _)| *p == Pane::Comms);
                if let Some((_, rect)) = pane {
                    let draft = self.draft();
                    let mut scroll = self.comms_scroll;
                    comms::scroll_checks(draft, self.editing, rect, &mut scroll, delta);
                    self.comms_scroll = scroll;
                }
            }
        }
    }

    /// Enter on the `:` line: the act is planned and recorded, and the line remembered.
    fn submit_command(&mut self) -> Vec<Effect> {
        let mut overlay = std::mem::replace(&mut self.overlay, Overlay::None);
        match &mut overlay {
            Overlay::Command(line) => {
                let effects = super::command::submit(&mut ctx!(self), line);
                if effects.is_empty() {
                    // Not done: the line stays open with its reason.
                    self.overlay = overlay;
                } else {
                    let typed = line.text.trim().to_string();
                    if self.command_history.last() != Some(&typed) {
                        self.command_history.push(typed);
                    }
                    let excess = self
                        .command_history
                        .len()
                        .saturating_sub(super::command::HISTORY);
                    self.command_history.drain(..excess);
                }
                effects
            }
            _ => Vec::new(),
        }
    }

    /// An answered chooser goes to whoever opened it; `more` (Ctrl-E) asks for the act's
    /// whole form instead.
    fn submit_chosen(&mut self, more: bool) -> Vec<Effect> {
        let Overlay::Choose(chooser) = &self.overlay else {
            return Vec::new();
        };
        let picked = chooser.picked();
        match picked.purpose {
            Purpose::Outcome { .. } => board::submit_picked(&mut ctx!(self), &picked),
            Purpose::SendOverride { .. } => {
                comms::submit_picked(&mut ctx!(self), comms!(self), &picked)
            }
            _ if more => {
                roster::expand_picked(&mut ctx!(self), &picked);
                Vec::new()
            }
            _ => roster::submit_picked(&mut ctx!(self), &picked),
        }
    }

    /// A submitted form goes to whoever opened it.
    fn submit(&mut self) -> Vec<Effect> {
        let Overlay::Form(form) = &self.overlay else {
            return Vec::new();
        };
        let form = form.answers();
        let height = self.timeline_height();
        match form.purpose {
            Purpose::Declare => picker::submit(&mut ctx!(self), &form),
            Purpose::DeclareFromAlert { .. } => {
                super::picker_alerts::submit(&mut ctx!(self), &form)
            }
            Purpose::Note
            | Purpose::Search
            | Purpose::Filter
            | Purpose::JumpToTime
            | Purpose::Impact(_)
            | Purpose::Redact { .. } => {
                timeline::submit(&mut ctx!(self), &mut self.timeline, height, &form)
            }
            Purpose::AssignRole
            | Purpose::Join
            | Purpose::HandOver
            | Purpose::ChangeRequest
            | Purpose::Decide { .. }
            | Purpose::AskCommand
            | Purpose::TakeCommand
            | Purpose::GrantAccess
            | Purpose::Page
            | Purpose::AnswerCommand { .. } => roster::submit(&mut ctx!(self), &form),
            Purpose::Observation { .. }
            | Purpose::Theory
            | Purpose::Experiment
            | Purpose::Outcome { .. } => board::submit(&mut ctx!(self), &form),
            Purpose::Amend { .. } => super::amend::submit(&mut ctx!(self), &form),
            Purpose::SendOverride { .. } | Purpose::Template => {
                comms::submit(&mut ctx!(self), comms!(self), &form)
            }
            Purpose::HealthCheck | Purpose::AwakeSince | Purpose::StandDown => {
                fatigue::submit(&mut ctx!(self), &form)
            }
            Purpose::Severity
            | Purpose::Stage
            | Purpose::Resolve
            | Purpose::AddAction
            | Purpose::Privacy => incident::submit(
                &mut ctx!(self),
                &mut self.drafts,
                &mut self.translations,
                &form,
            ),
        }
    }
}
