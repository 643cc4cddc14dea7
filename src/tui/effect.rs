//! What the console asks the world to do: load an incident, record a change, save a
//! draft, deliver an update to a webhook, notify the responder. The console's state never
//! waits on these; the loop carries them out and reports back as messages.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::event::{EventKind, Severity};

/// What the loop must do for the console.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    LoadIncidents,
    /// Load `id` after `after` (0: open it, from its state and latest entries).
    LoadIncident {
        id: Uuid,
        after: i64,
    },
    /// Read the start of `id`'s log, its events up to seq `upto`, once the incident is on
    /// screen (see `Msg::History`).
    LoadHistory {
        id: Uuid,
        upto: i64,
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
    /// Declare from an alert: detection when it fired, and the alert linked.
    DeclareFromAlert {
        title: String,
        severity: Severity,
        summary: String,
        alert: Box<crate::domain::alert::Alert>,
    },
    /// The incident the sync engine should follow.
    Focus(Option<Uuid>),
    SaveDraft {
        incident: Uuid,
        audience: crate::domain::event::Audience,
        /// The version in another language (`None`: the draft itself).
        lang: Option<crate::domain::lang::Lang>,
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
    /// Keep a line typed on the `:` command line in the history file.
    RememberCommand(String),
    Quit,
}
