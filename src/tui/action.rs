//! Everything a key can do. Keymap files name these in snake_case.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Quit,
    Help,
    Back,
    FocusNext,
    FocusPrev,
    FocusTimeline,
    FocusRoster,
    FocusBoard,
    FocusComms,
    FocusFatigue,
    Zoom,
    ToggleTimeZone,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Top,
    Bottom,
    ChangeSeverity,
    ChangeStage,
    RequestChange,
    // Incident picker
    Open,
    Declare,
    /// On an alert above the list: declare an incident from it.
    DeclareFromAlert,
    /// On an alert above the list: attach it to the open (or last selected) incident.
    AttachAlert,
    /// Open the other incident that needs you most.
    JumpToNeed,
    // Timeline
    AddNote,
    Search,
    SearchNext,
    SearchPrev,
    Filter,
    ClearFilter,
    JumpToTime,
    Follow,
    SetImpactStart,
    SetDetected,
    SetImpactEnd,
    ToObservation,
    /// Timeline: open the selected entry whole.
    ShowEntry,
    /// Timeline: rows by time or as logged.
    ToggleOrder,
    // Roster
    AssignRole,
    ReleaseRole,
    Join,
    Leave,
    HandOver,
    ApproveChange,
    DenyChange,
    /// From any pane, the IC approves the change request that has waited longest.
    ApproveWaiting,
    /// From any pane, the IC denies the change request that has waited longest.
    DenyWaiting,
    AskCommand,
    TakeCommand,
    GrantAccess,
    RevokeAccess,
    /// Roster: page a team through its Opsgenie or PagerDuty (IC or OL).
    Page,
    // Timeline, on the selected entry
    Redact,
    DismissRejected,
    /// `:` — any act on the open incident, typed as on the command line.
    CommandLine,
    /// Timeline or board: correct the selected note, observation or theory.
    Amend,
    // Board
    AddObservation,
    AddTheory,
    AddExperiment,
    RecordOutcome,
    Discipline,
    // Comms
    EditDraft,
    ToggleAudience,
    InsertTemplate,
    ToggleFinal,
    SendUpdate,
    /// With several `[comms] languages`: the external draft's next language.
    SwitchLanguage,
    // Fatigue
    ApplySuggestion,
    HealthCheck,
    AwakeSince,
    /// Once the incident is resolved or closed, the IC ends everyone's duty.
    StandDown,
    // Learn and Improve
    Resolve,
    WritePostmortem,
    SearchKnownErrors,
    AddAction,
    Privacy,
    Stats,
}

impl Action {
    /// What the help overlay says the action does.
    pub fn describe(self) -> &'static str {
        match self {
            Action::Quit => "quit warroom",
            Action::Help => "show or hide this help",
            Action::Back => "close, clear a timeline search or filter, or go to the list",
            Action::FocusNext => "focus the next pane",
            Action::FocusPrev => "focus the previous pane",
            Action::FocusTimeline => "focus the timeline",
            Action::FocusRoster => "focus the roles and responders",
            Action::FocusBoard => "focus the observe / theory / experiment board",
            Action::FocusComms => "focus status-update drafting",
            Action::FocusFatigue => "focus fatigue and handovers",
            Action::Zoom => "zoom the focused pane (again to unzoom)",
            Action::ToggleTimeZone => "show times in UTC or local time",
            Action::Up => "move up",
            Action::Down => "move down",
            Action::Left => "move left",
            Action::Right => "move right",
            Action::PageUp => "page up",
            Action::PageDown => "page down",
            Action::Top => "go to the first entry",
            Action::Bottom => "go to the last entry",
            Action::ChangeSeverity => "change the severity",
            Action::ChangeStage => "move the incident to another stage",
            Action::RequestChange => "ask the IC before touching production",
            Action::Open => "open the selected incident",
            Action::Declare => "declare a new incident",
            Action::DeclareFromAlert => "declare an incident from the selected alert",
            Action::AttachAlert => {
                "attach the selected alert to the open incident (or the one last selected)"
            }
            Action::JumpToNeed => "open the other incident where something needs you",
            Action::AddNote => "add a note to the timeline",
            Action::Search => "search the timeline",
            Action::SearchNext => "next search match",
            Action::SearchPrev => "previous search match",
            Action::Filter => "filter by kind and author (e.g. `kind:theory author:maya`)",
            Action::ClearFilter => "clear the filter and search",
            Action::JumpToTime => "jump to a time",
            Action::Follow => "follow new events (toggle)",
            Action::SetImpactStart => "set or correct the start of impact",
            Action::SetDetected => "set or correct the detection time",
            Action::SetImpactEnd => "set or correct the end of impact",
            Action::ToObservation => "turn the selected entry into an observation",
            Action::ShowEntry => "open the selected entry whole (every field, full text)",
            Action::ToggleOrder => "show entries by time or in the order they were logged",
            Action::AssignRole => "give a role to a responder",
            Action::ReleaseRole => "hand the selected role back to the IC",
            Action::Join => "add a responder to the incident",
            Action::Leave => "the selected responder leaves",
            Action::HandOver => "hand over command, with a brief",
            Action::ApproveChange => {
                "approve the selected change request, or hand command to who asked (IC)"
            }
            Action::DenyChange => "deny the selected change request or request for command (IC)",
            Action::ApproveWaiting => {
                "approve the change request waiting longest, from any pane (IC)"
            }
            Action::DenyWaiting => {
                "deny the change request waiting longest, with a reason, from any pane (IC)"
            }
            Action::AskCommand => "ask the IC for command",
            Action::TakeCommand => "take command, only after the IC has been silent a while",
            Action::GrantAccess => "let a responder see this restricted incident (IC)",
            Action::RevokeAccess => "take the selected responder's access away (IC)",
            Action::Page => "page a team through Opsgenie or PagerDuty (IC or OL)",
            Action::Redact => "redact the selected entry's text everywhere (IC)",
            Action::CommandLine => "type any act as on the command line (`:assign ol tomas`)",
            Action::Amend => {
                "amend the selected note, observation or theory (its author or the IC)"
            }
            Action::DismissRejected => "dismiss the selected refused change",
            Action::AddObservation => "add an observation",
            Action::AddTheory => "add a theory",
            Action::AddExperiment => "add an experiment testing theories",
            Action::RecordOutcome => "record the selected experiment's outcome",
            Action::Discipline => "the IC's discipline questions",
            Action::EditDraft => "edit the draft (esc stops editing)",
            Action::ToggleAudience => "switch between the internal and the external draft",
            Action::InsertTemplate => "start the draft from a template",
            Action::ToggleFinal => "check the draft as an update or as the final message",
            Action::SendUpdate => "send the update (with a reason if checks fail)",
            Action::SwitchLanguage => {
                "external draft: write the next language's version (also while editing)"
            }
            Action::ApplySuggestion => "carry out the selected handover suggestion",
            Action::HealthCheck => "run and log a team health check",
            Action::AwakeSince => {
                "record since when a responder has been awake (yourself, or anyone as IC)"
            }
            Action::StandDown => {
                "stand the team down: end everyone's duty once resolved or closed (IC)"
            }
            Action::Resolve => "resolve: business impact has ended",
            Action::WritePostmortem => "write the blameless postmortem (after a blame check)",
            Action::SearchKnownErrors => "search the known-error database and link an entry",
            Action::AddAction => "add an action item (owner role, due date)",
            Action::Privacy => "privacy assessment and breach steps",
            Action::Stats => "TTD and TTR across incidents",
        }
    }

    /// Two or three words, for the footer and narrow help columns.
    pub fn short(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Help => "help",
            Action::Back => "back / close",
            Action::FocusNext => "next pane",
            Action::FocusPrev => "previous pane",
            Action::FocusTimeline => "timeline",
            Action::FocusRoster => "roles",
            Action::FocusBoard => "board",
            Action::FocusComms => "comms",
            Action::FocusFatigue => "fatigue",
            Action::Zoom => "zoom pane",
            Action::ToggleTimeZone => "UTC / local",
            Action::Up => "up",
            Action::Down => "down",
            Action::Left => "left",
            Action::Right => "right",
            Action::PageUp => "page up",
            Action::PageDown => "page down",
            Action::Top => "first",
            Action::Bottom => "last",
            Action::ChangeSeverity => "severity",
            Action::ChangeStage => "stage",
            Action::RequestChange => "ask the IC",
            Action::Open => "open",
            Action::Declare => "declare",
            Action::DeclareFromAlert => "declare from alert",
            Action::AttachAlert => "attach alert",
            Action::JumpToNeed => "what needs you",
            Action::AddNote => "note",
            Action::Search => "search",
            Action::SearchNext => "next match",
            Action::SearchPrev => "prev match",
            Action::Filter => "filter",
            Action::ClearFilter => "clear filter",
            Action::JumpToTime => "jump to time",
            Action::Follow => "follow",
            Action::SetImpactStart => "impact start",
            Action::SetDetected => "detected",
            Action::SetImpactEnd => "impact end",
            Action::ToObservation => "→ observation",
            Action::ShowEntry => "entry",
            Action::ToggleOrder => "time / log order",
            Action::AssignRole => "assign role",
            Action::ReleaseRole => "release role",
            Action::Join => "join",
            Action::Leave => "leave",
            Action::HandOver => "hand over",
            Action::ApproveChange => "approve",
            Action::DenyChange => "deny",
            Action::ApproveWaiting => "approve waiting",
            Action::DenyWaiting => "deny waiting",
            Action::AskCommand => "ask command",
            Action::TakeCommand => "take command",
            Action::GrantAccess => "grant access",
            Action::RevokeAccess => "revoke access",
            Action::Page => "page a team",
            Action::Redact => "redact",
            Action::CommandLine => "command",
            Action::Amend => "amend",
            Action::DismissRejected => "dismiss refused",
            Action::AddObservation => "observation",
            Action::AddTheory => "theory",
            Action::AddExperiment => "experiment",
            Action::RecordOutcome => "outcome",
            Action::Discipline => "IC questions",
            Action::EditDraft => "edit draft",
            Action::ToggleAudience => "audience",
            Action::InsertTemplate => "template",
            Action::ToggleFinal => "update / final",
            Action::SendUpdate => "send",
            Action::SwitchLanguage => "language",
            Action::ApplySuggestion => "do handover",
            Action::HealthCheck => "health check",
            Action::AwakeSince => "awake since",
            Action::StandDown => "stand down",
            Action::Resolve => "resolve",
            Action::WritePostmortem => "postmortem",
            Action::SearchKnownErrors => "known errors",
            Action::AddAction => "action item",
            Action::Privacy => "privacy",
            Action::Stats => "statistics",
        }
    }
}
