//! How warroom runs an incident, in code. Pure: no I/O and no clock reads; time is passed in.

pub mod alert;
pub mod attention;
pub mod board;
pub mod comms;
pub mod describe;
pub mod document;
pub mod entry;
pub mod event;
pub mod fatigue;
pub mod handover;
pub mod ids;
pub mod incident;
pub mod kedb;
pub mod lang;
pub mod metrics;
pub mod page;
pub mod postmortem;
pub mod privacy;
pub mod public;
pub mod redact;
pub mod roles;
pub mod rules;
pub mod scenario;
pub mod severity;
pub mod templates;
pub mod time;

pub use event::{Event, EventKind, Role, Severity, Stage, Status};
pub use incident::{Incident, IncidentSummary};
