//! The rule book: whether an event may be appended to an incident, given the incident's
//! folded state and who is appending it. One function, [`check`], called by the console,
//! the CLI and the replica before they write, and by the server on every append inside the
//! lock that assigns the seq. History already stored is never judged again: the fold keeps
//! accepting the log as it is; these rules apply to new appends.
//!
//! Three kinds of refusal:
//! - **refused**: the workflow does not allow it now (close before resolve, an outcome for
//!   an experiment that does not exist, anything but a reopen on a closed incident...);
//! - **forbidden**: the author's role does not allow it (only the incident commander
//!   assigns roles, decides change requests, resolves, redacts...);
//! - **hidden**: the incident is restricted and the author is not a member; to them it does
//!   not exist, so the refusal reads like any unknown incident.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::event::{Event, EventKind, PrivacyAssessment, Role, Status};
use super::incident::{Decision, Incident, Responder};
use super::lang::{CommsVersion, Lang};
use super::metrics::Mark;

/// Why an event was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalCode {
    /// The workflow does not allow it in the incident's current state.
    Refused,
    /// The author's role does not allow it.
    Forbidden,
    /// The incident is restricted and the author is not a member: it does not exist for them.
    Hidden,
}

/// A refusal with a sentence a person can act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub code: RefusalCode,
    pub message: String,
}

impl Refusal {
    pub fn refused(message: impl Into<String>) -> Self {
        Refusal {
            code: RefusalCode::Refused,
            message: message.into(),
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Refusal {
            code: RefusalCode::Forbidden,
            message: message.into(),
        }
    }

    pub fn hidden(incident: uuid::Uuid) -> Self {
        Refusal {
            code: RefusalCode::Hidden,
            message: format!("no incident {incident}"),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Refusal {}

impl Incident {
    /// Whether `handle` may record `kind` at `at` now, by the rule book with default
    /// settings (the server applies its own settings to the same rules).
    pub fn check(&self, author: &str, at: DateTime<Utc>, kind: &EventKind) -> Result<(), Refusal> {
        let ev = Event {
            id: uuid::Uuid::nil(),
            incident: self.id(),
            seq: None,
            at,
            recorded_at: None,
            author: author.to_string(),
            persona: None,
            kind: kind.clone(),
        };
        check(self, &ev, author, &Rules::default())
    }
}

/// Settings of the rule book that a team may tune.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rules {
    /// How long the incident commander must have been silent on the incident before
    /// someone else may take command without their consent.
    pub take_command_after: Duration,
    /// How far before its declaration an event of an incident may be dated (start of
    /// impact found late, notes written up afterwards).
    pub backdate_window: Duration,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            take_command_after: Duration::minutes(15),
            backdate_window: Duration::days(7),
        }
    }
}

/// How far ahead of the receiving clock an event may be dated (clocks drift).
pub const CLOCK_SKEW: i64 = 5;

/// The largest sizes of what people write, in characters.
pub mod limits {
    /// An incident's title, an action item's one line, a known-error key or title.
    pub const TITLE: usize = 200;
    /// A note, an observation, a theory, a plan, an update, a summary, a reason, a brief.
    pub const TEXT: usize = 16 * 1024;
    /// A responder's handle.
    pub const HANDLE: usize = 64;
    /// How many skills, checklist lines, brief steps or linked items one event lists.
    pub const ITEMS: usize = 64;
    /// All the fields of an event kind this version does not know, as JSON.
    pub const UNKNOWN_JSON: usize = 16 * 1024;
    /// A page's message (PagerDuty takes a summary of at most 1024 characters).
    pub const PAGE_MESSAGE: usize = 1024;
}

/// What makes a handle usable, said in every refusal of one.
pub const HANDLE_RULE: &str = "a handle is one word of 1 to 64 printable characters: no spaces, \
     no control characters, not starting with `-`";

/// The one rule for handles, wherever a handle is given: a console form (assign, join,
/// hand over, grant, awake since), the CLI's `--as` and its handle arguments, `warroom token
/// create`, and every event the rule book judges. A handle names a person: one word of
/// printable characters (nothing that [`visible_line`](super::describe::visible_line) would
/// have to show escaped), at most [`limits::HANDLE`] of them, and not starting with `-`, so
/// it can be typed as a command-line argument. `what` names it in the refusal ("the
/// responder", "--as").
pub fn check_handle(what: &str, handle: &str) -> Result<(), Refusal> {
    if handle.is_empty() {
        return Err(Refusal::refused(format!("{what} is empty: {HANDLE_RULE}")));
    }
    let shown = super::describe::visible_line(handle);
    let printable = matches!(shown, std::borrow::Cow::Borrowed(_));
    if !printable
        || handle.chars().count() > limits::HANDLE
        || handle.starts_with('-')
        || handle.contains(char::is_whitespace)
    {
        return Err(Refusal::refused(format!(
            "{what} `{shown}` is not a usable handle: {HANDLE_RULE}"
        )));
    }
    Ok(())
}

/// The versions of an update in other languages: each language once, none in the language
/// of the update's own text (which must be named when there are versions), none empty.
fn check_versions(lang: Option<Lang>, versions: &[CommsVersion]) -> Result<(), Refusal> {
    if versions.is_empty() {
        return Ok(());
    }
    let Some(primary) = lang else {
        return refuse(
            "an update with versions in other languages says which language its own text is \
             in (`lang`)"
                .into(),
        );
    };
    if versions.len() >= Lang::ALL.len() {
        return refuse(format!(
            "the update has {} versions besides its text; there is at most one per other \
             language",
            versions.len()
        ));
    }
    for (i, v) in versions.iter().enumerate() {
        let name = v.lang.english_name();
        if v.lang == primary {
            return refuse(format!(
                "the update's text is already in {name}: a version in {name} beside it says \
                 the same thing twice; put the other languages in `versions`"
            ));
        }
        if versions[..i].iter().any(|w| w.lang == v.lang) {
            return refuse(format!(
                "the update has two {name} versions: send one per language"
            ));
        }
        if v.text.trim().is_empty() {
            return refuse(format!("the {name} version is empty"));
        }
    }
    Ok(())
}

/// Whether an update carries a version in every language of `languages` (its text counts
/// for its own language; without a `lang`, for the first of `languages`, the primary one).
/// With one language there is nothing to require; internal updates are one text.
pub fn check_languages(kind: &EventKind, languages: &[Lang]) -> Result<(), Refusal> {
    let EventKind::CommsSent {
        audience: super::event::Audience::External,
        lang,
        versions,
        ..
    } = kind
    else {
        return Ok(());
    };
    if languages.len() < 2 {
        return Ok(());
    }
    let own = lang.or(languages.first().copied());
    let has = |l: Lang| own == Some(l) || versions.iter().any(|v| v.lang == l);
    let missing: Vec<&str> = languages
        .iter()
        .filter(|l| !has(**l))
        .map(|l| l.english_name())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let all: Vec<&str> = languages.iter().map(|l| l.english_name()).collect();
    refuse(format!(
        "external updates here are published in {}: this one has no {} version; write it \
         (`warroom send … --translation {}=FILE`, or the console's comms pane once \
         `[comms] languages` lists them)",
        join_and(&all),
        join_and(&missing),
        languages
            .iter()
            .find(|l| missing.contains(&l.english_name()))
            .map_or("fr", |l| l.code()),
    ))
}

/// `a`, `a and b`, `a, b and c`.
fn join_and(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn at_most(what: &str, s: &str, max: usize) -> Result<(), Refusal> {
    let n = s.chars().count();
    if n > max {
        Err(Refusal::refused(format!(
            "{what} is {n} characters long; at most {max} are kept (shorten it, or split it \
             into several entries)"
        )))
    } else {
        Ok(())
    }
}

fn few(what: &str, n: usize) -> Result<(), Refusal> {
    if n > limits::ITEMS {
        Err(Refusal::refused(format!(
            "{what} lists {n} items; at most {} are kept",
            limits::ITEMS
        )))
    } else {
        Ok(())
    }
}

/// Every field a person writes stays within its documented size.
pub fn check_sizes(kind: &EventKind) -> Result<(), Refusal> {
    use limits::{HANDLE, TEXT, TITLE};
    match kind {
        EventKind::IncidentDeclared { title, summary, .. } => {
            at_most("the title", title, TITLE)?;
            at_most("the summary", summary, TEXT)
        }
        EventKind::SeverityChanged { reason, .. }
        | EventKind::Reopened { reason }
        | EventKind::Closed { reason }
        | EventKind::TheoryStatusChanged { reason, .. }
        | EventKind::ChangeDecided { reason, .. }
        | EventKind::CommandRequested { reason }
        | EventKind::CommandRequestDecided { reason, .. }
        | EventKind::CommandTaken { reason }
        | EventKind::EventRedacted { reason, .. }
        | EventKind::AlertUnlinked { reason, .. } => at_most("the reason", reason, TEXT),
        EventKind::Resolved { summary } | EventKind::HealthCheck { summary } => {
            at_most("the summary", summary, TEXT)
        }
        EventKind::Note { text }
        | EventKind::Observation { text, .. }
        | EventKind::Theory { text } => at_most("the text", text, TEXT),
        EventKind::Experiment { plan, tests } => {
            at_most("the plan", plan, TEXT)?;
            few("the experiment's theories", tests.len())
        }
        EventKind::ExperimentOutcome {
            notes, verdicts, ..
        } => {
            at_most("the notes", notes, TEXT)?;
            few("the verdicts", verdicts.len())
        }
        EventKind::PrivacyAssessed { notes, .. } => at_most("the notes", notes, TEXT),
        EventKind::Amended { text, .. } => at_most("the text", text, TEXT),
        EventKind::PrivacyStepDone { note, .. } => at_most("the note", note, TEXT),
        EventKind::ChangeRequested { description } => at_most("the description", description, TEXT),
        EventKind::ResponderJoined { handle, skills } => {
            check_handle("the handle", handle)?;
            few("the skills", skills.len())?;
            skills
                .iter()
                .try_for_each(|s| at_most("a skill", s, HANDLE))
        }
        EventKind::ResponderLeft { handle }
        | EventKind::DutyStarted { handle }
        | EventKind::DutyEnded { handle }
        | EventKind::AwakeSince { handle, .. }
        | EventKind::RoleAssigned { handle, .. }
        | EventKind::AccessGranted { handle }
        | EventKind::AccessRevoked { handle } => check_handle("the handle", handle),
        EventKind::CommandHandedOver { to, brief } => {
            check_handle("the new commander's handle", to)?;
            at_most("the brief's current state", &brief.current_state, TEXT)?;
            few("the brief's next steps", brief.next_steps.len())?;
            few("the brief's people", brief.people.len())?;
            brief
                .next_steps
                .iter()
                .chain(&brief.people)
                .try_for_each(|s| at_most("a line of the brief", s, TITLE))
        }
        EventKind::CommsSent {
            text,
            checklist,
            override_reason,
            lang,
            versions,
            ..
        } => {
            at_most("the update", text, TEXT)?;
            at_most(
                "the override reason",
                override_reason.as_deref().unwrap_or(""),
                TEXT,
            )?;
            let sized = |checklist: &super::event::ChecklistResult| {
                few(
                    "the checklist",
                    checklist.passed.len() + checklist.failed.len(),
                )?;
                checklist
                    .passed
                    .iter()
                    .chain(&checklist.failed)
                    .try_for_each(|s| at_most("a checklist line", s, TITLE))
            };
            sized(checklist)?;
            check_versions(*lang, versions)?;
            for v in versions {
                let name = v.lang.english_name();
                at_most(&format!("the {name} version"), &v.text, TEXT)?;
                sized(&v.checklist)?;
            }
            Ok(())
        }
        EventKind::ActionItemAdded { text, .. } => at_most("the action item", text, TITLE),
        EventKind::KnownErrorLinked { known_error, title } => {
            at_most("the known-error key", known_error, HANDLE)?;
            at_most("the known error's title", title, TITLE)
        }
        EventKind::KnownErrorRecorded {
            key,
            symptom,
            root_cause,
            workaround,
            incidents,
        } => {
            at_most("the known-error key", key, HANDLE)?;
            at_most("the symptom", symptom, TEXT)?;
            at_most("the root cause", root_cause, TEXT)?;
            at_most("the workaround", workaround, TEXT)?;
            few("the linked incidents", incidents.len())
        }
        EventKind::AlertLinked {
            fingerprint,
            name,
            summary,
            ..
        }
        | EventKind::AlertObserved {
            fingerprint,
            name,
            summary,
            ..
        } => {
            at_most("the alert's fingerprint", fingerprint, HANDLE)?;
            at_most("the alert's name", name, TITLE)?;
            at_most("the alert's summary", summary, TEXT)
        }
        EventKind::PageRequested { team, message, .. } => {
            check_handle("the team", team)?;
            at_most("the page's message", message, limits::PAGE_MESSAGE)
        }
        EventKind::PageDelivery {
            team,
            request_id,
            error,
            ..
        } => {
            check_handle("the team", team)?;
            at_most("the provider's request id", request_id, TITLE)?;
            at_most("the delivery error", error, TEXT)
        }
        EventKind::Unknown { fields, .. } => {
            let n = serde_json::to_string(fields).map(|s| s.len()).unwrap_or(0);
            if n > limits::UNKNOWN_JSON {
                Err(Refusal::refused(format!(
                    "the event's fields take {n} bytes; at most {} are kept",
                    limits::UNKNOWN_JSON
                )))
            } else {
                Ok(())
            }
        }
        EventKind::StageChanged { .. }
        | EventKind::ImpactStarted {}
        | EventKind::Detected {}
        | EventKind::ImpactEnded {}
        | EventKind::RoleReleased { .. }
        | EventKind::ActionItemDone { .. } => Ok(()),
    }
}

/// Times an event carries must be ones that can have been: not ahead of the receiving
/// clock, not long before the incident began.
fn check_times(
    state: &Incident,
    ev: &Event,
    now: DateTime<Utc>,
    rules: &Rules,
) -> Result<(), Refusal> {
    use super::metrics::format_duration;
    let skew = Duration::minutes(CLOCK_SKEW);
    let stamp = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M:%S UTC").to_string();
    if ev.at > now + skew {
        return Err(Refusal::refused(format!(
            "the event is dated {}, ahead of the server's clock ({}); at most {} ahead is \
             taken for clock drift",
            stamp(ev.at),
            stamp(now),
            format_duration(skew)
        )));
    }
    let earliest = state.summary.declared_at.unwrap_or(now) - rules.backdate_window;
    if ev.at < earliest {
        return Err(Refusal::refused(format!(
            "the event is dated {}, more than {} before the incident was declared",
            stamp(ev.at),
            format_duration(rules.backdate_window)
        )));
    }
    match &ev.kind {
        EventKind::AwakeSince { since, .. } if *since > ev.at + skew => {
            Err(Refusal::refused(format!(
                "awake since {} is after the time it was said",
                stamp(*since)
            )))
        }
        EventKind::AwakeSince { since, .. } if *since < ev.at - Duration::days(7) => Err(
            Refusal::refused("awake for more than a week is not a time to record; check the date"),
        ),
        EventKind::CommsSent {
            next_update_due: Some(due),
            ..
        } if *due < ev.at - skew || *due > ev.at + Duration::days(7) => {
            Err(Refusal::refused(format!(
                "the next update is promised for {}; it must fall within a week after the update",
                stamp(*due)
            )))
        }
        EventKind::ActionItemAdded { due, .. } => {
            let day = ev.at.date_naive();
            if *due < day - Duration::days(366) || *due > day + Duration::days(5 * 366) {
                Err(Refusal::refused(format!(
                    "the action item is due {due}; give a date within five years"
                )))
            } else {
                Ok(())
            }
        }
        _ => Ok(()),
    }
}

/// A drill persona (the scripted person an act is shown as) is taken only on a drill, and
/// must read as a handle. It changes nothing about who may: that is the author's.
fn check_persona(state: &Incident, ev: &Event) -> Result<(), Refusal> {
    let Some(p) = &ev.persona else {
        return Ok(());
    };
    non_empty("the persona", p)?;
    check_handle("the persona", p)?;
    if matches!(ev.kind, EventKind::IncidentDeclared { .. }) {
        return refuse(
            "an incident is declared in its declarer's own name: send the declaration \
             without a persona"
                .into(),
        );
    }
    if !state.summary.drill {
        return refuse(format!(
            "only a drill's scripted acts carry a persona ({}), and this incident is not a \
             drill: record it without one, under your own name",
            super::describe::visible_line(p)
        ));
    }
    Ok(())
}

/// Who may do what, for the README and help: (act, who may).
pub const AUTHORITY: &[(&str, &str)] = &[
    (
        "note, observation, theory, experiment, outcome, theory status, change request, \
         impact times, action items, known-error links, alert links and unlinks",
        "anyone on the response",
    ),
    (
        "join or leave; awake-since and duty times",
        "the responder themselves, or the IC for anyone",
    ),
    ("ask for command", "anyone but the IC"),
    (
        "take command (with a reason)",
        "anyone, once the IC has been silent on the incident for 15 minutes (serve --take-command-after)",
    ),
    (
        "hand over command, assign and release roles, decide change requests and requests for \
         command, change severity or stage, resolve, close, reopen, redact, grant and revoke \
         access, team health check",
        "the incident commander",
    ),
    ("send a status update", "the Communications Lead or the IC"),
    (
        "page a team (Opsgenie, PagerDuty)",
        "the incident commander or the Operations Lead",
    ),
    (
        "privacy assessment and breach steps",
        "the Policy Lead or the IC",
    ),
];

/// Kinds that may still be recorded on a closed incident.
fn allowed_when_closed(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Reopened { .. }
            | EventKind::ActionItemAdded { .. }
            | EventKind::ActionItemDone { .. }
            | EventKind::KnownErrorLinked { .. }
            | EventKind::EventRedacted { .. }
            | EventKind::AccessGranted { .. }
            | EventKind::AccessRevoked { .. }
            | EventKind::Amended { .. }
            | EventKind::AlertUnlinked { .. }
            | EventKind::DutyEnded { .. }
            | EventKind::PageDelivery { .. }
    )
}

/// What only the incident commander may do, in words for a refusal.
fn commander_only(kind: &EventKind) -> Option<&'static str> {
    Some(match kind {
        EventKind::RoleAssigned { .. } => "assigns roles",
        EventKind::RoleReleased { .. } => "releases roles",
        EventKind::CommandHandedOver { .. } => "hands over command",
        EventKind::ChangeDecided { .. } => "decides change requests",
        EventKind::CommandRequestDecided { .. } => "answers requests for command",
        EventKind::SeverityChanged { .. } => "changes the severity",
        EventKind::StageChanged { .. } => "changes the stage",
        EventKind::Resolved { .. } => "resolves the incident",
        EventKind::Closed { .. } => "closes the incident",
        EventKind::Reopened { .. } => "reopens the incident",
        EventKind::EventRedacted { .. } => "redacts entries",
        EventKind::AccessGranted { .. } | EventKind::AccessRevoked { .. } => {
            "grants and revokes access"
        }
        EventKind::HealthCheck { .. } => "records the team health check",
        _ => return None,
    })
}

fn refuse<T>(message: String) -> Result<T, Refusal> {
    Err(Refusal::refused(message))
}

fn non_empty(what: &str, s: &str) -> Result<(), Refusal> {
    if s.trim().is_empty() {
        Err(Refusal::refused(format!("{what} must not be empty")))
    } else {
        Ok(())
    }
}

/// Whether `author` may append `ev` to the incident whose folded state is `state`.
/// The time of the check is when the store received the event (`recorded_at`), or for a
/// client checking before it writes, the event's own time.
pub fn check(state: &Incident, ev: &Event, author: &str, rules: &Rules) -> Result<(), Refusal> {
    let kind = &ev.kind;
    let now = ev.recorded_at.unwrap_or(ev.at);
    let declared = state.summary.declared_at.is_some();
    // A page's delivery is recorded by whoever sends it: in shared mode the server itself,
    // which holds no membership (clients may not send one, `server/paging.rs`).
    if declared && !state.summary.can_see(author) && !matches!(kind, EventKind::PageDelivery { .. })
    {
        return Err(Refusal::hidden(state.id()));
    }
    check_sizes(kind)?;
    check_times(state, ev, now, rules)?;
    check_persona(state, ev)?;
    if let EventKind::IncidentDeclared { title, .. } = kind {
        if declared {
            return Err(Refusal::refused("the incident is already declared"));
        }
        return non_empty("the title", title);
    }
    if !declared {
        return Err(Refusal::refused("the incident has not been declared"));
    }
    if state.summary.status == Status::Closed && !allowed_when_closed(kind) {
        return Err(Refusal::refused(
            "the incident is closed: reopen it first (a closed incident takes only action \
             items, known-error links, alert unlinks, access changes, redactions and the \
             end of duty)",
        ));
    }
    authority(state, kind, author, now, rules)?;
    workflow(state, kind, author, ev.at)
}

/// The IC commands and delegates; the CL and PL act in their own fields.
fn authority(
    state: &Incident,
    kind: &EventKind,
    author: &str,
    now: DateTime<Utc>,
    rules: &Rules,
) -> Result<(), Refusal> {
    let ic = state.commander().unwrap_or("");
    let is_ic = ic == author;
    if let Some(what) = commander_only(kind) {
        if is_ic {
            return Ok(());
        }
        return Err(Refusal::forbidden(format!(
            "only the incident commander ({ic}) {what}; ask them, or ask for command"
        )));
    }
    let holds = |role: Role| state.roster.holder(role) == Some(author);
    let self_or_ic = |handle: &str, what: &str| {
        if handle == author || is_ic {
            Ok(())
        } else {
            Err(Refusal::forbidden(format!(
                "only {handle} or the incident commander ({ic}) can {what} for {handle}"
            )))
        }
    };
    match kind {
        EventKind::CommsSent { .. } if !holds(Role::Cl) && !is_ic => {
            Err(Refusal::forbidden(format!(
                "only the Communications Lead ({}) or the incident commander ({ic}) sends updates",
                state.roster.holder(Role::Cl).unwrap_or(ic)
            )))
        }
        EventKind::PrivacyAssessed { .. } | EventKind::PrivacyStepDone { .. }
            if !holds(Role::Pl) && !is_ic =>
        {
            Err(Refusal::forbidden(format!(
                "only the Policy Lead ({}) or the incident commander ({ic}) records privacy steps",
                state.roster.holder(Role::Pl).unwrap_or(ic)
            )))
        }
        EventKind::PageRequested { .. } if !holds(Role::Ol) && !is_ic => {
            Err(Refusal::forbidden(format!(
                "only the incident commander ({ic}) or the Operations Lead ({}) pages a team; \
                 ask them",
                state.roster.holder(Role::Ol).unwrap_or(ic)
            )))
        }
        EventKind::ResponderJoined { handle, .. } => self_or_ic(handle, "record a join"),
        EventKind::ResponderLeft { handle } => self_or_ic(handle, "record leaving"),
        EventKind::AwakeSince { handle, .. } => self_or_ic(handle, "record awake time"),
        EventKind::DutyStarted { handle } | EventKind::DutyEnded { handle } => {
            self_or_ic(handle, "record duty time")
        }
        EventKind::CommandRequested { .. } => {
            if is_ic {
                Err(Refusal::refused("you are already the incident commander"))
            } else if state.pending_command_requests().any(|r| r.author == author) {
                Err(Refusal::refused(format!(
                    "you already asked {ic} for command; wait for their answer"
                )))
            } else {
                Ok(())
            }
        }
        EventKind::CommandTaken { reason } => {
            if is_ic {
                return Err(Refusal::refused("you are already the incident commander"));
            }
            non_empty("the reason for taking command", reason)?;
            let silent_since = state.commander_active_at.unwrap_or(now);
            let silent = now - silent_since;
            if silent < rules.take_command_after {
                let wait = rules.take_command_after - silent;
                Err(Refusal::forbidden(format!(
                    "{ic} acted on this incident {} ago; command can be taken without their \
                     consent only after {} of silence ({} from now). Ask for command instead",
                    super::metrics::format_duration(silent),
                    super::metrics::format_duration(rules.take_command_after),
                    super::metrics::format_duration(wait),
                )))
            } else {
                Ok(())
            }
        }
        _ => Ok(()),
    }
}

/// The order of things in a response, whoever asks.
fn workflow(
    state: &Incident,
    kind: &EventKind,
    author: &str,
    at: DateTime<Utc>,
) -> Result<(), Refusal> {
    let refused = |m: String| Err(Refusal::refused(m));
    match kind {
        EventKind::ImpactStarted {} => state
            .impact
            .check(Mark::Started, at)
            .map_err(Refusal::refused),
        EventKind::Detected {} => state
            .impact
            .check(Mark::Detected, at)
            .map_err(Refusal::refused),
        EventKind::ImpactEnded {} => state
            .impact
            .check(Mark::Ended, at)
            .map_err(Refusal::refused),
        EventKind::Resolved { .. } => {
            if state.summary.status != Status::Active {
                refused(format!(
                    "the incident is already {}",
                    state.summary.status.as_str()
                ))
            } else if state.impact.ended.is_none() {
                refused(
                    "record the end of impact before resolving: an incident is resolved \
                     when business impact has ended"
                        .into(),
                )
            } else {
                Ok(())
            }
        }
        EventKind::Reopened { .. } if state.summary.status == Status::Active => {
            refused("the incident is still active".into())
        }
        EventKind::Closed { .. } => {
            if state.summary.status == Status::Active {
                refused("resolve the incident before closing it".into())
            } else if state.summary.status == Status::Closed {
                refused("the incident is already closed".into())
            } else if state.summary.severity.is_major() && state.roster.is_defaulted_to_ic(Role::Po)
            {
                refused(format!(
                    "a {} incident needs a Postmortem Owner before it can be closed \
                     (assign the PO role)",
                    state.summary.severity
                ))
            } else {
                Ok(())
            }
        }
        EventKind::RoleAssigned { handle, .. } => non_empty("the handle", handle),
        EventKind::RoleReleased { role } => {
            if *role == Role::Ic {
                refused("command cannot be released, only handed over".into())
            } else if state.roster.is_defaulted_to_ic(*role) {
                refused(format!(
                    "{} is not delegated; the IC already holds it",
                    role.title()
                ))
            } else {
                Ok(())
            }
        }
        EventKind::CommandHandedOver { to, .. } => {
            non_empty("the new commander", to)?;
            if state.commander() == Some(to.as_str()) {
                refused(format!("{to} is already the incident commander"))
            } else {
                Ok(())
            }
        }
        EventKind::CommandRequestDecided { request, .. } => {
            match state.command_requests.iter().find(|r| r.id == *request) {
                None => refused(format!("no request for command {request} on this incident")),
                Some(r) if r.decision != Decision::Pending => {
                    refused("that request for command is already answered".into())
                }
                Some(_) => Ok(()),
            }
        }
        EventKind::ResponderLeft { handle } => {
            if !state
                .responders
                .get(handle)
                .is_some_and(Responder::is_present)
            {
                refused(format!("{handle} is not on the incident"))
            } else if state.commander() == Some(handle.as_str()) {
                refused(format!(
                    "{handle} is the incident commander: hand over command before leaving"
                ))
            } else {
                Ok(())
            }
        }
        EventKind::Note { text }
        | EventKind::Observation { text, .. }
        | EventKind::Theory { text } => non_empty("the text", text),
        EventKind::TheoryStatusChanged { theory, .. } => state
            .board
            .theory(*theory)
            .map(|_| ())
            .ok_or_else(|| Refusal::refused(format!("no theory {theory} on this incident"))),
        EventKind::Experiment { plan, tests } => {
            non_empty("the plan", plan)?;
            match tests.iter().find(|t| state.board.theory(**t).is_none()) {
                Some(t) => refused(format!("no theory {t} on this incident")),
                None => Ok(()),
            }
        }
        EventKind::ExperimentOutcome {
            experiment,
            outcome,
            verdicts,
            ..
        } => match state.board.experiment(*experiment) {
            None => refused(format!("no experiment {experiment} on this incident")),
            Some(e) if !e.is_running() => refused("that experiment already has an outcome".into()),
            Some(e) => check_verdicts(state, e, *outcome, verdicts),
        },
        EventKind::Amended { text, .. } => non_empty("the amended text", text),
        EventKind::ChangeRequested { description } => non_empty("the description", description),
        EventKind::ChangeDecided { request, .. } => {
            match state.change_requests.iter().find(|c| c.id == *request) {
                None => refused(format!("no change request {request} on this incident")),
                Some(c) if c.decision != Decision::Pending => {
                    refused("that change request is already decided".into())
                }
                Some(_) => Ok(()),
            }
        }
        EventKind::ActionItemAdded { text, .. } => non_empty("the action item", text),
        EventKind::ActionItemDone { item } => {
            match state.action_items.iter().find(|a| a.id == *item) {
                None => refused(format!("no action item {item} on this incident")),
                Some(a) if a.done_at.is_some() => {
                    refused("that action item is already done".into())
                }
                Some(_) => Ok(()),
            }
        }
        EventKind::CommsSent { text, .. } => non_empty("the update", text),
        EventKind::HealthCheck { summary } => non_empty("the health check", summary),
        EventKind::PrivacyStepDone { step, .. } => {
            if !(1..=6).contains(step) {
                refused(format!("privacy steps are numbered 1 to 6, not {step}"))
            } else if state.privacy != PrivacyAssessment::PossibleBreach {
                refused(
                    "the privacy steps apply once the incident is assessed as a possible breach"
                        .into(),
                )
            } else if state.privacy_steps.contains_key(step) {
                refused(format!("privacy step {step} is already done"))
            } else {
                Ok(())
            }
        }
        EventKind::AccessGranted { handle } => {
            non_empty("the handle", handle)?;
            if !state.summary.restricted {
                refused(
                    "the incident is open to everyone; access matters only on restricted incidents"
                        .into(),
                )
            } else if state.summary.members.contains(handle) {
                refused(format!("{handle} already has access"))
            } else {
                Ok(())
            }
        }
        EventKind::AccessRevoked { handle } => {
            if !state.summary.restricted {
                refused(
                    "the incident is open to everyone; access matters only on restricted incidents"
                        .into(),
                )
            } else if !state.summary.members.contains(handle) {
                refused(format!("{handle} has no access to take away"))
            } else if handle == author || state.commander() == Some(handle.as_str()) {
                refused("the incident commander keeps access: hand over command first".into())
            } else if !state.roster.roles_of(handle).is_empty() {
                refused(format!(
                    "{handle} holds a role: release it before taking their access away"
                ))
            } else {
                Ok(())
            }
        }
        EventKind::PageRequested { team, .. } => {
            non_empty("the team", team)?;
            if state.summary.status != Status::Active {
                refused(format!(
                    "the incident is {}: reopen it before paging a team",
                    state.summary.status.as_str()
                ))
            } else {
                Ok(())
            }
        }
        EventKind::AlertUnlinked { alert, .. } => check_unlink(state, *alert),
        EventKind::PageDelivery { page, .. } => {
            if state.pages.iter().any(|p| p.id == *page) {
                Ok(())
            } else {
                refused(format!("no page {page} on this incident"))
            }
        }
        EventKind::EventRedacted { event, reason } => {
            non_empty("the reason for the redaction", reason)?;
            if state.redactions.contains_key(event) {
                refused("that entry is already redacted".into())
            } else {
                Ok(())
            }
        }
        _ => Ok(()),
    }
}

/// Only an alert linked to the incident now can be unlinked from it; the refusal names
/// those that are.
fn check_unlink(state: &Incident, alert: uuid::Uuid) -> Result<(), Refusal> {
    if state.links_alert(alert) {
        return Ok(());
    }
    let unlinked_before = state
        .alert_links
        .iter()
        .any(|l| l.alert == alert && !l.is_linked());
    let head = if unlinked_before {
        format!("alert {alert} is already unlinked from this incident")
    } else {
        format!("alert {alert} is not linked to this incident")
    };
    let linked: Vec<String> = state
        .linked_alerts()
        .map(|l| {
            format!(
                "{} ({}, id {})",
                super::describe::visible_line(l.name.trim()),
                super::describe::visible_line(&l.fingerprint),
                l.alert
            )
        })
        .collect();
    refuse(if linked.is_empty() {
        format!("{head}, and no alert is linked to it: there is none to unlink")
    } else {
        format!(
            "{head}; the alerts linked to it are {} (an alert that reached it through its \
             group is unlinked with the alert it was linked through)",
            linked.join(", ")
        )
    })
}

/// An outcome gives each tested theory its own verdict; a single outcome is enough only
/// for an experiment that tests one theory or none.
fn check_verdicts(
    state: &Incident,
    e: &super::board::Experiment,
    outcome: Option<super::event::Outcome>,
    verdicts: &[super::event::Verdict],
) -> Result<(), Refusal> {
    let label = |t: uuid::Uuid| state.board.theory_label(t).unwrap_or_else(|| t.to_string());
    let tested: Vec<String> = e.tests.iter().map(|t| label(*t)).collect();
    if !verdicts.is_empty() && outcome.is_some() {
        return refuse("give either one outcome or a verdict per theory, not both".into());
    }
    for (i, v) in verdicts.iter().enumerate() {
        if !e.tests.contains(&v.theory) {
            return refuse(format!(
                "the experiment does not test {} (it tests {})",
                label(v.theory),
                if tested.is_empty() {
                    "no theory".to_string()
                } else {
                    tested.join(", ")
                }
            ));
        }
        if verdicts[..i].iter().any(|w| w.theory == v.theory) {
            return refuse(format!("{} has two verdicts; give one", label(v.theory)));
        }
    }
    match (verdicts.is_empty(), outcome) {
        (true, None) => refuse("say what the experiment showed: a verdict per theory".into()),
        (true, Some(_)) if e.tests.len() > 1 => refuse(format!(
            "the experiment tests {}: give a verdict for each (e.g. {}=supports {}=refutes), \
             since one outcome for all would move a theory it may contradict",
            tested.join(" and "),
            tested[0],
            tested[1]
        )),
        _ => Ok(()),
    }
}

/// An event acting on an earlier one (a redaction, an amendment) must find it on this
/// incident, of a kind it applies to; the store (or replica) looks the target up.
pub fn check_target(
    state: &Incident,
    ev: &Event,
    author: &str,
    target_id: uuid::Uuid,
    target: Option<&Event>,
) -> Result<(), Refusal> {
    match &ev.kind {
        EventKind::EventRedacted { .. } => check_redaction_target(state.id(), target_id, target),
        EventKind::Amended { .. } => check_amend_target(state, author, target_id, target),
        _ => Ok(()),
    }
}

/// Notes, observations and theories can be amended, by whoever wrote them or the IC.
pub fn check_amend_target(
    state: &Incident,
    author: &str,
    target_id: uuid::Uuid,
    target: Option<&Event>,
) -> Result<(), Refusal> {
    let Some(t) = target.filter(|t| t.incident == state.id()) else {
        return refuse(format!("no event {target_id} on this incident"));
    };
    if !matches!(
        t.kind,
        EventKind::Note { .. } | EventKind::Observation { .. } | EventKind::Theory { .. }
    ) {
        return refuse(format!(
            "only notes, observations and theories can be amended, not a {}",
            super::describe::label(&t.kind)
        ));
    }
    if state.redactions.contains_key(&t.id) {
        return refuse("that entry is redacted; record a new one instead".into());
    }
    let ic = state.commander() == Some(author);
    if t.author != author && !ic {
        return Err(Refusal::forbidden(format!(
            "only {} (who wrote it) or the incident commander can amend it",
            t.author
        )));
    }
    Ok(())
}

/// The redaction's target must be an event of this incident that carries text; the store
/// (or replica) looks it up and passes it here.
pub fn check_redaction_target(
    incident: uuid::Uuid,
    target_id: uuid::Uuid,
    target: Option<&Event>,
) -> Result<(), Refusal> {
    match target {
        Some(t) if t.incident == incident => match &t.kind {
            EventKind::EventRedacted { .. } => {
                Err(Refusal::refused("a redaction cannot itself be redacted"))
            }
            k if k.scrubbed().is_none() => Err(Refusal::refused(format!(
                "that entry ({}) holds no text to redact",
                k.type_name()
            ))),
            _ => Ok(()),
        },
        _ => Err(Refusal::refused(format!(
            "no event {target_id} on this incident"
        ))),
    }
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
