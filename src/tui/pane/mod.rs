//! The five panes of an open incident, each a place the incident commander looks at and
//! acts from: the timeline of what happened, the roles and responders, the board of
//! observations, theories and experiments, the status-update drafts, and the fatigue
//! clocks with their handover suggestions. A wide terminal shows all five, a medium one
//! the timeline beside one other, a narrow one the focused pane alone; the number keys,
//! Tab or a click move the focus, and the footer offers the focused pane's keys.

pub mod board;
pub mod comms;
pub mod fatigue;
pub mod roster;
pub mod timeline;

/// One of the five panes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
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

    /// The pane's section in keymap files, e.g. `[timeline]`.
    pub fn name(self) -> &'static str {
        match self {
            Pane::Timeline => "timeline",
            Pane::Roster => "roster",
            Pane::Board => "board",
            Pane::Comms => "comms",
            Pane::Fatigue => "fatigue",
        }
    }

    /// Its place in the tabs (0 for the timeline); the number key that focuses it is one
    /// more.
    pub fn index(self) -> usize {
        Pane::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }
}
