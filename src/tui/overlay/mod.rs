//! Boxes drawn over the panes, one at a time: the key help, a form being filled in, a
//! quick chooser (one key per answer, for the common acts), one timeline entry whole, and
//! the Learn side's overlays (the blame check's findings before a postmortem, the
//! known-error search, TTD and TTR statistics, the IC's discipline questions). While one
//! is open it has the keys; most close with any key, forms, choosers and the known-error
//! search with Esc, the entry with Esc or q (other keys scroll it).

pub mod choose;
pub mod detail;
pub mod discipline;
pub mod findings;
pub mod form;
pub mod help;
pub mod kedb;
pub mod stats;

/// The overlay open over the panes, if any.
pub enum Overlay {
    None,
    Help,
    Discipline,
    Form(Box<form::Form>),
    /// A quick chooser: one key per answer, then a line of text.
    Choose(Box<choose::Chooser>),
    /// TTD and TTR across incidents.
    Stats,
    /// The blame check's findings before the postmortem is written.
    Findings(Vec<crate::domain::postmortem::Finding>),
    /// Searching the known-error database.
    Kedb(Box<kedb::KedbSearch>),
    /// One timeline entry, whole.
    Detail(Box<detail::Detail>),
    /// The `:` command line.
    Command(Box<crate::tui::command::CommandLine>),
}
