//! The console around every pane and overlay: the clock (times shown and typed in UTC or
//! the responder's local time), who the responder is, the open incident, the status line,
//! and the one slot for a form or overlay. Every change the incident commander makes is
//! checked here against the incident's rule book before it is sent, so a refused change
//! says why in the open form (or chooser), which stays open to fix it, instead of failing
//! at the server.

use chrono::{DateTime, FixedOffset, Utc};
use ratatui::style::{Color, Style};
use uuid::Uuid;

use super::action::Action;
use super::authority;
use super::data::IncidentData;
use super::effect::Effect;
use super::keymap::Keymap;
use super::overlay::Overlay;
use super::overlay::choose::Chooser;
use super::overlay::form::{Field, Form, Purpose};
use super::pane::Pane;
use crate::domain::event::{Event, EventKind, Severity};
use crate::domain::fatigue::Thresholds;
use crate::domain::roles::Handover;
use crate::domain::time::parse_when;

/// How times are shown and read: in UTC or the responder's local time.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    /// Show local times rather than UTC.
    pub use_local: bool,
    pub local: FixedOffset,
    /// Read and show local times in the system's time zone (its offset on each date),
    /// rather than the fixed `local` offset (which tests use).
    pub system_zone: bool,
}

impl Clock {
    /// The local offset in force at `t`.
    pub fn offset_at(&self, t: DateTime<Utc>) -> FixedOffset {
        use chrono::{Offset, TimeZone};
        if self.system_zone {
            chrono::Local.offset_from_utc_datetime(&t.naive_utc()).fix()
        } else {
            self.local
        }
    }

    /// A time as the panes show it: `21:40:05`, or `11-26 21:40` with the date.
    pub fn show(&self, t: DateTime<Utc>, with_date: bool) -> String {
        let f = if with_date { "%m-%d %H:%M" } else { "%H:%M:%S" };
        if self.use_local {
            t.with_timezone(&self.offset_at(t)).format(f).to_string()
        } else {
            t.format(f).to_string()
        }
    }

    /// A typed time (empty: now). Times without a zone are the responder's local time.
    pub fn parse(&self, s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
        let s = if s.trim().is_empty() { "now" } else { s };
        if self.system_zone {
            parse_when(s, now, chrono::Local)
        } else {
            parse_when(s, now, self.local)
        }
    }
}

/// The console around a pane or overlay handling a key.
pub struct Ctx<'a> {
    pub now: DateTime<Utc>,
    pub handle: &'a str,
    pub data: Option<&'a IncidentData>,
    pub clock: Clock,
    pub thresholds: &'a Thresholds,
    /// How long after resolution an action item is due by default.
    pub action_due: chrono::Duration,
    /// The languages external updates are written in (`[comms] languages`), primary first.
    pub languages: &'a [crate::domain::lang::Lang],
    /// The teams that can be paged, as far as the console knows them (none: not known).
    pub teams: &'a [crate::paging::TeamInfo],
    pub overlay: &'a mut Overlay,
    pub message: &'a mut Option<(String, bool)>,
    pub focus: &'a mut Pane,
}

impl Ctx<'_> {
    pub fn say(&mut self, text: impl Into<String>) {
        *self.message = Some((text.into(), false));
    }

    pub fn complain(&mut self, text: impl Into<String>) {
        *self.message = Some((text.into(), true));
    }

    pub fn open_form(&mut self, title: impl Into<String>, purpose: Purpose, fields: Vec<Field>) {
        *self.overlay = Overlay::Form(Box::new(Form::new(title, purpose, fields)));
    }

    /// Opens a quick chooser: one key per answer, then a line of text.
    pub fn open_chooser(&mut self, chooser: Chooser) {
        *self.overlay = Overlay::Choose(Box::new(chooser));
    }

    pub fn close_overlay(&mut self) {
        *self.overlay = Overlay::None;
    }

    pub fn parse_time(&self, s: &str) -> Result<DateTime<Utc>, String> {
        self.clock.parse(s, self.now)
    }

    /// Checks the change against the state; refused: the reason goes to the open form.
    pub fn record(&mut self, kinds: Vec<(DateTime<Utc>, EventKind)>, what: String) -> Vec<Effect> {
        let Some(d) = self.data else {
            return Vec::new();
        };
        let mut probe = d.state.clone();
        for (at, kind) in &kinds {
            if let Err(reason) = probe.check(self.handle, *at, kind) {
                return self.refuse(reason.to_string());
            }
            probe.apply(&Event {
                id: Uuid::nil(),
                incident: d.id,
                seq: None,
                at: *at,
                recorded_at: None,
                author: self.handle.to_string(),
                persona: None,
                kind: kind.clone(),
            });
        }
        *self.overlay = Overlay::None;
        vec![Effect::Record {
            incident: d.id,
            kinds,
            what,
        }]
    }

    /// Says why a submission cannot go through: in the open form or chooser, or the status
    /// line.
    pub fn refuse(&mut self, reason: String) -> Vec<Effect> {
        match &mut *self.overlay {
            Overlay::Form(form) => form.error = Some(reason),
            Overlay::Choose(chooser) => chooser.error = Some(reason),
            _ => self.complain(reason),
        }
        Vec::new()
    }
}

/// The console as a pane or overlay sees it while drawing.
pub struct Look<'a> {
    pub now: DateTime<Utc>,
    pub handle: &'a str,
    pub data: Option<&'a IncidentData>,
    pub clock: Clock,
    pub thresholds: &'a Thresholds,
    pub keymap: &'a Keymap,
    /// The status line's message and whether it is an error.
    pub message: Option<&'a (String, bool)>,
}

impl Look<'_> {
    /// Whether the rule book lets this responder do `action` (see [`authority::may`]).
    pub fn may(&self, action: Action) -> bool {
        authority::may(self.data, self.handle, action)
    }

    pub fn waiting_for_me(&self) -> usize {
        authority::waiting_for_me(self.data, self.handle)
    }

    pub fn command_taken_recently(&self) -> Option<&Handover> {
        authority::command_taken_recently(self.data, self.now)
    }
}

/// The badge of a severity: red for 1, yellow for 2, cyan for 3.
pub fn severity_style(s: Severity) -> Style {
    match s.level() {
        1 => Style::new().fg(Color::White).bg(Color::Red).bold(),
        2 => Style::new().fg(Color::Black).bg(Color::Yellow).bold(),
        _ => Style::new().fg(Color::Black).bg(Color::Cyan).bold(),
    }
}
