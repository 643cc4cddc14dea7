//! The acts on an incident, as words. One grammar serves the command line (`warroom VERB
//! INCIDENT ARGS…`) and the console's `:` line (`:VERB ARGS…`, on the incident it has open),
//! so a script, a chat bridge and a responder at the console say the same thing the same
//! way. Each verb is planned against the incident's folded state into the events it
//! records and one sentence saying what was recorded; the rule book then judges the events
//! as it judges any other (in the console, the replica and the server alike).
//!
//! Board items are named by the labels the console shows: T1, T2 for theories, E1 for
//! experiments, C1 for change requests, in the order they were recorded.

use chrono::{DateTime, FixedOffset, Utc};
use clap::{Parser, Subcommand, ValueEnum};
use uuid::Uuid;

use crate::domain::board::parse_verdicts;
use crate::domain::comms::{DraftKind, Options, Verdict, validate, validate_version};
use crate::domain::event::{
    Audience, Event, EventKind, HandoverBrief, PrivacyAssessment, Role, Severity, Stage,
};
use crate::domain::incident::{AlertLink, ChangeRequest, CommandRequest, Decision, Incident};
use crate::domain::lang::{CommsVersion, Lang};
use crate::domain::time::parse_when;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ImpactMark {
    Started,
    Detected,
    Ended,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CommandAnswer {
    Accept,
    Decline,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AudienceArg {
    Internal,
    External,
}

impl From<AudienceArg> for Audience {
    fn from(a: AudienceArg) -> Audience {
        match a {
            AudienceArg::Internal => Audience::Internal,
            AudienceArg::External => Audience::External,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PrivacyArg {
    /// Not assessed yet
    NotAssessed,
    /// No personal information involved
    None,
    /// A possible breach of personal information
    PossibleBreach,
}

/// Every act on one incident. The incident comes first (a short id, UUID or unique prefix);
/// the console's `:` line leaves it out.
#[derive(Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum Verb {
    /// Add a note to an incident's timeline
    Log {
        incident: String,
        /// The note (several words are joined with spaces)
        #[arg(required = true, num_args = 1..)]
        text: Vec<String>,
    },
    /// Record an observation: what is going on, as seen
    Observe {
        incident: String,
        #[arg(required = true, num_args = 1..)]
        text: Vec<String>,
    },
    /// Record a theory: why it might be happening
    Theory {
        incident: String,
        #[arg(required = true, num_args = 1..)]
        text: Vec<String>,
    },
    /// Plan an experiment that tests theories (named T1, T2… as on the board)
    Experiment {
        incident: String,
        /// What you will do and what result would tell you what
        #[arg(required = true, num_args = 1..)]
        plan: Vec<String>,
        /// The theories it tests, e.g. T1,T2
        #[arg(long, required = true, value_delimiter = ',')]
        tests: Vec<String>,
    },
    /// Record what an experiment showed: `[E1] T1=supports T2=refutes`, or one verdict when
    /// it tests one theory (supports, refutes, inconclusive; s, r, i). Without E1, the
    /// newest running experiment
    Outcome {
        incident: String,
        #[arg(required = true, num_args = 1..)]
        verdicts: Vec<String>,
        /// What you saw
        #[arg(long, default_value = "")]
        notes: String,
    },
    /// Ask the IC before touching production
    RequestChange {
        incident: String,
        #[arg(required = true, num_args = 1..)]
        text: Vec<String>,
    },
    /// IC: approve a change request (C1…; without one, the one waiting longest)
    Approve {
        incident: String,
        request: Option<String>,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// IC: deny a change request, saying why (C1…; without one, the one waiting longest)
    Deny {
        incident: String,
        request: Option<String>,
        #[arg(long)]
        reason: String,
    },
    /// IC: hand over command to HANDLE, with a brief (drafted from the incident unless
    /// --brief-file gives one: sections `Current state:`, `Next steps:` and `People in the
    /// incident:`, steps and people one per line)
    Handover {
        incident: String,
        handle: String,
        #[arg(long, value_name = "FILE")]
        brief_file: Option<String>,
    },
    /// IC: give a role to a responder (IC hands over command with a drafted brief)
    Assign {
        incident: String,
        /// IC, CL, PL, OL or PO
        role: String,
        handle: String,
    },
    /// IC: hand a delegated role back to the IC
    Release {
        incident: String,
        /// CL, PL, OL or PO
        role: String,
    },
    /// Ask the incident commander for command (they accept or decline)
    AskCommand {
        incident: String,
        /// Why you should take over (fresh, closer to the problem...)
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Take command without the IC's consent: only after the IC has been silent on the
    /// incident for a while (15 minutes unless the server says otherwise); everyone is told
    TakeCommand {
        incident: String,
        /// Why (e.g. "the IC's laptop died")
        #[arg(long)]
        reason: String,
    },
    /// IC: accept (hand over command, with a drafted brief) or decline a request for command
    AnswerCommand {
        incident: String,
        #[arg(value_enum)]
        answer: CommandAnswer,
        /// Whose request, when several are waiting
        #[arg(long, value_name = "HANDLE")]
        from: Option<String>,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Join the response (yourself; as IC, someone else with --who)
    Join {
        incident: String,
        /// What you bring, e.g. payments,postgres
        #[arg(long, value_delimiter = ',')]
        skills: Vec<String>,
        #[arg(long, value_name = "HANDLE")]
        who: Option<String>,
    },
    /// Leave the response (yourself; as IC, someone else with --who)
    Leave {
        incident: String,
        #[arg(long, value_name = "HANDLE")]
        who: Option<String>,
    },
    /// IC: change the severity (1 critical, 2 major, 3 minor)
    Severity {
        incident: String,
        #[arg(value_parser = clap::value_parser!(u8).range(1..=3))]
        level: u8,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// IC: move the incident to another stage (detect, respond, recover, learn, improve)
    Stage { incident: String, stage: String },
    /// Send a status update (CL or IC) from a file, or - for standard input; it is checked
    /// as the console checks it, and refused while checks fail unless --override says why.
    /// With several `[comms] languages`, an external update is written in each: FILE in the
    /// first, the others with --translation
    Send {
        incident: String,
        /// The update, or - to read it from standard input
        file: String,
        #[arg(long, value_enum, default_value = "internal")]
        audience: AudienceArg,
        /// The external update in another configured language, as LANG=FILE (e.g.
        /// fr=update-fr.txt; FILE may be - once); repeat it for each language
        #[arg(long, value_name = "LANG=FILE")]
        translation: Vec<String>,
        /// Check it as the final message at resolution
        #[arg(long = "final")]
        final_message: bool,
        /// Send it although checks fail, saying why
        #[arg(long = "override", value_name = "REASON")]
        override_reason: Option<String>,
    },
    /// IC: record the team health check (energy, emotions, noise, who needs relief)
    Health {
        incident: String,
        #[arg(required = true, num_args = 1..)]
        text: Vec<String>,
    },
    /// Record since when a responder has been awake (yourself, or anyone as IC), for the
    /// fatigue clocks
    Awake {
        incident: String,
        /// When they woke up: `06:30`, `-18h`, `2026-11-27T06:30:00Z`, ... (not in the future,
        /// at most a week ago)
        #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
        since: String,
        /// Whose time it is [default: yourself]; another's needs the IC
        #[arg(long, value_name = "HANDLE")]
        who: Option<String>,
    },
    /// Set or correct start of impact, detection or end of impact
    Impact {
        incident: String,
        #[arg(value_enum)]
        mark: ImpactMark,
        /// When it happened [default: now]; back-dating is fine
        #[arg(
            long,
            value_name = "TIME",
            default_value = "now",
            allow_hyphen_values = true
        )]
        at: String,
    },
    /// PL or IC: assess privacy (none, possible-breach) or mark a breach step done
    Privacy {
        incident: String,
        #[arg(long, value_enum)]
        assess: Option<PrivacyArg>,
        /// A breach step done, 1 to 6
        #[arg(long, value_parser = clap::value_parser!(u8).range(1..=6))]
        step: Option<u8>,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// IC: let a responder see a restricted incident
    Grant { incident: String, handle: String },
    /// IC: take a restricted incident away from a responder
    RevokeAccess { incident: String, handle: String },
    /// IC: remove the text of an entry everywhere (a secret, personal data); the entry stays
    /// on the timeline marked redacted with the reason
    Redact {
        incident: String,
        /// The event: its id, a unique prefix of it, or #SEQ (see `warroom events`)
        event: String,
        #[arg(long)]
        reason: String,
    },
    /// Correct the text of a note, observation or theory (its author or the IC); the entry
    /// keeps its place and reads as the new text, marked amended
    Amend {
        incident: String,
        /// The event: its id, a unique prefix of it, or #SEQ (see `warroom events`)
        event: String,
        /// The corrected text (`-` reads it from standard input)
        #[arg(required = true, num_args = 1..)]
        text: Vec<String>,
    },
    /// Detach an alert linked by mistake (the wrong incident, a noisy group): its group's
    /// later changes no longer reach the incident, and it is listed unlinked again
    UnlinkAlert {
        incident: String,
        /// The alert's id or a unique prefix of its fingerprint (as `warroom alerts` and
        /// the timeline's “alert linked” entry show them)
        alert: String,
        /// Why it does not belong to this incident
        #[arg(long, value_name = "TEXT", default_value = "")]
        reason: String,
    },
    /// IC: resolve an incident: business impact has ended (needs the end of impact)
    Resolve {
        incident: String,
        #[arg(long, default_value = "")]
        summary: String,
    },
    /// IC: close a resolved incident (severity 1 and 2 need a Postmortem Owner first)
    Close {
        incident: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// IC: reopen a resolved or closed incident
    Reopen {
        incident: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// IC: end the duty of everyone still on a resolved or closed incident; joining again
    /// starts a responder's duty again
    StandDown { incident: String },
    /// IC or OL: page a team through its Opsgenie or PagerDuty ([paging.teams.TEAM] in the
    /// config: yours in solo mode, the server's in shared mode); resolving the incident
    /// closes the page
    Page {
        incident: String,
        team: String,
        /// What the page says [default: the incident's title]
        #[arg(long, value_name = "TEXT")]
        message: Option<String>,
    },
}

/// Every verb's name, as typed: for completion and for telling acts from other commands.
pub const NAMES: &[&str] = &[
    "log",
    "observe",
    "theory",
    "experiment",
    "outcome",
    "request-change",
    "approve",
    "deny",
    "handover",
    "assign",
    "release",
    "ask-command",
    "take-command",
    "answer-command",
    "join",
    "leave",
    "severity",
    "stage",
    "send",
    "health",
    "awake",
    "impact",
    "privacy",
    "grant",
    "revoke-access",
    "redact",
    "amend",
    "unlink-alert",
    "resolve",
    "close",
    "reopen",
    "stand-down",
    "page",
];

/// What the planner needs besides the verb: the incident as this machine holds it, who
/// acts, the time, and how to read a file the verb names.
pub struct Scene<'a> {
    pub state: &'a Incident,
    /// Confirmed and pending events, in log order.
    pub events: Vec<&'a Event>,
    pub me: &'a str,
    pub now: DateTime<Utc>,
    /// The responder's zone, for times typed without one.
    pub local: FixedOffset,
    /// Reads the file a verb names (`-`: standard input).
    pub read: &'a dyn Fn(&str) -> Result<String, String>,
    /// The languages external updates are written in (`[comms] languages`), the primary
    /// first: with more than one, `send` needs an external update in each.
    pub languages: &'a [Lang],
}

/// What a verb records, and the sentence that says so.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub events: Vec<(DateTime<Utc>, EventKind)>,
    pub said: String,
}

impl Plan {
    fn one(at: DateTime<Utc>, kind: EventKind, said: impl Into<String>) -> Plan {
        Plan {
            events: vec![(at, kind)],
            said: said.into(),
        }
    }
}

fn words(text: &[String], what: &str) -> Result<String, String> {
    let t = text.join(" ").trim().to_string();
    if t.is_empty() {
        Err(format!("{what} is empty"))
    } else {
        Ok(t)
    }
}

fn handle_arg(what: &str, h: &str) -> Result<String, String> {
    let h = h.trim();
    crate::domain::rules::check_handle(what, h).map_err(|r| r.message)?;
    Ok(h.to_string())
}

fn role_arg(role: &str) -> Result<Role, String> {
    Role::parse(role).ok_or_else(|| format!("`{role}` is not a role: IC, CL, PL, OL or PO"))
}

/// The label of a change request (C1, C2… in the order they were asked).
pub fn change_label(state: &Incident, id: Uuid) -> Option<String> {
    state
        .change_requests
        .iter()
        .position(|c| c.id == id)
        .map(|i| format!("C{}", i + 1))
}

/// The change request `label` names, or without one the undecided one waiting longest.
fn change_request<'a>(
    state: &'a Incident,
    label: Option<&str>,
) -> Result<&'a ChangeRequest, String> {
    match label {
        Some(l) => {
            let n = l
                .trim()
                .trim_start_matches(['C', 'c'])
                .parse::<usize>()
                .map_err(|_| format!("`{l}` is not a change request label (C1, C2…)"))?;
            state
                .change_requests
                .get(n.wrapping_sub(1))
                .ok_or_else(|| format!("there is no change request {l} on this incident"))
        }
        None => state
            .change_requests
            .iter()
            .find(|c| c.decision == Decision::Pending)
            .ok_or_else(|| "no change request is waiting for a decision".to_string()),
    }
}

fn theory_id(state: &Incident, label: &str) -> Result<Uuid, String> {
    let n = label
        .trim()
        .trim_start_matches(['T', 't'])
        .parse::<usize>()
        .ok();
    n.and_then(|n| state.board.theories.get(n.wrapping_sub(1)))
        .map(|t| t.id)
        .ok_or_else(|| format!("`{label}` is not a theory on the board (T1, T2…)"))
}

/// The request for command the IC answers: the only one waiting, or the one by `from`.
pub fn pending_request<'a>(
    state: &'a Incident,
    from: Option<&str>,
) -> Result<&'a CommandRequest, String> {
    let waiting: Vec<&CommandRequest> = state
        .pending_command_requests()
        .filter(|r| from.is_none_or(|f| r.author == f))
        .collect();
    match (waiting.as_slice(), from) {
        ([one], _) => Ok(one),
        ([], Some(f)) => Err(format!("{f} has no request for command waiting")),
        ([], None) => Err("nobody is waiting for an answer about command".into()),
        (many, _) => Err(format!(
            "{} requests for command are waiting ({}); name one with --from",
            many.len(),
            many.iter()
                .map(|r| r.author.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// The one event `reference` names: its id, a unique prefix of it, or `#SEQ`.
pub fn find_event<'a>(events: &[&'a Event], reference: &str) -> Result<&'a Event, String> {
    let r = reference.trim().to_ascii_lowercase();
    if let Some(seq) = r.strip_prefix('#').and_then(|s| s.parse::<i64>().ok()) {
        return events
            .iter()
            .find(|e| e.seq == Some(seq))
            .copied()
            .ok_or_else(|| format!("no event #{seq} on this incident"));
    }
    if r.len() < 4 {
        return Err(format!(
            "`{reference}` is too short to name an event: give #SEQ or at least 4 characters \
             of its id"
        ));
    }
    let found: Vec<&Event> = events
        .iter()
        .filter(|e| {
            let id = e.id.to_string();
            id.starts_with(&r) || id.replace('-', "").starts_with(&r.replace('-', ""))
        })
        .copied()
        .collect();
    match found.as_slice() {
        [one] => Ok(one),
        [] => Err(format!(
            "no event on this incident has an id starting with `{reference}` (see `warroom events`)"
        )),
        many => Err(format!(
            "`{reference}` matches {} events; give more of the id or #SEQ",
            many.len()
        )),
    }
}

/// The alert linked to the incident that `reference` names: its id, or a prefix of its
/// fingerprint only it has among the alerts linked now.
pub fn linked_alert<'a>(state: &'a Incident, reference: &str) -> Result<&'a AlertLink, String> {
    let r = reference.trim().to_ascii_lowercase();
    let shown = crate::domain::describe::visible_line(reference.trim());
    if r.is_empty() {
        return Err("name the alert: its id or the start of its fingerprint".into());
    }
    let linked: Vec<&AlertLink> = state.linked_alerts().collect();
    let by_id = Uuid::parse_str(&r).ok();
    let found: Vec<&AlertLink> = match linked.iter().find(|l| Some(l.alert) == by_id) {
        Some(l) => vec![*l],
        None => linked
            .iter()
            .filter(|l| l.fingerprint.starts_with(&r))
            .copied()
            .collect(),
    };
    let list = |links: &[&AlertLink]| {
        links
            .iter()
            .map(|l| {
                format!(
                    "{} ({})",
                    crate::domain::describe::visible_line(l.name.trim()),
                    crate::domain::describe::visible_line(&l.fingerprint)
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    match found.as_slice() {
        [one] => Ok(one),
        [] if linked.is_empty() => Err("no alert is linked to this incident".into()),
        [] => Err(format!(
            "no alert linked to this incident matches `{shown}`; linked: {} (an alert that \
             reached it through its group is unlinked with the alert it was linked through)",
            list(&linked)
        )),
        many => Err(format!(
            "`{shown}` matches {} linked alerts: {}; type more of the fingerprint",
            many.len(),
            list(many)
        )),
    }
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

impl Verb {
    /// The incident the verb acts on, as typed.
    pub fn incident(&self) -> &str {
        match self {
            Verb::Log { incident, .. }
            | Verb::Observe { incident, .. }
            | Verb::Theory { incident, .. }
            | Verb::Experiment { incident, .. }
            | Verb::Outcome { incident, .. }
            | Verb::RequestChange { incident, .. }
            | Verb::Approve { incident, .. }
            | Verb::Deny { incident, .. }
            | Verb::Handover { incident, .. }
            | Verb::Assign { incident, .. }
            | Verb::Release { incident, .. }
            | Verb::AskCommand { incident, .. }
            | Verb::TakeCommand { incident, .. }
            | Verb::AnswerCommand { incident, .. }
            | Verb::Join { incident, .. }
            | Verb::Leave { incident, .. }
            | Verb::Severity { incident, .. }
            | Verb::Stage { incident, .. }
            | Verb::Send { incident, .. }
            | Verb::Health { incident, .. }
            | Verb::Awake { incident, .. }
            | Verb::Impact { incident, .. }
            | Verb::Privacy { incident, .. }
            | Verb::Grant { incident, .. }
            | Verb::RevokeAccess { incident, .. }
            | Verb::Redact { incident, .. }
            | Verb::Amend { incident, .. }
            | Verb::UnlinkAlert { incident, .. }
            | Verb::Resolve { incident, .. }
            | Verb::Close { incident, .. }
            | Verb::Reopen { incident, .. }
            | Verb::Page { incident, .. }
            | Verb::StandDown { incident } => incident,
        }
    }

    /// The events the verb records on the incident, and what to say about them; or why
    /// it cannot be done, in a sentence. The rule book judges the events afterwards.
    pub fn plan(&self, scene: &Scene) -> Result<Plan, String> {
        let s = scene.state;
        let now = scene.now;
        let time = |input: &str| parse_when(input, now, scene.local);
        Ok(match self {
            Verb::Log { text, .. } => Plan::one(
                now,
                EventKind::Note {
                    text: words(text, "the note")?,
                },
                "noted",
            ),
            Verb::Observe { text, .. } => Plan::one(
                now,
                EventKind::Observation {
                    text: words(text, "the observation")?,
                    from_event: None,
                },
                format!("observation O{} added", s.board.observations.len() + 1),
            ),
            Verb::Theory { text, .. } => Plan::one(
                now,
                EventKind::Theory {
                    text: words(text, "the theory")?,
                },
                format!("theory T{} added", s.board.theories.len() + 1),
            ),
            Verb::Experiment { plan, tests, .. } => {
                let ids = tests
                    .iter()
                    .filter(|t| !t.trim().is_empty())
                    .map(|t| theory_id(s, t))
                    .collect::<Result<Vec<_>, _>>()?;
                if ids.is_empty() {
                    return Err("name the theories it tests, e.g. --tests T1,T2".into());
                }
                Plan::one(
                    now,
                    EventKind::Experiment {
                        plan: words(plan, "the plan")?,
                        tests: ids,
                    },
                    format!("experiment E{} planned", s.board.experiments.len() + 1),
                )
            }
            Verb::Outcome {
                verdicts, notes, ..
            } => {
                let (label, rest) = match verdicts.split_first() {
                    Some((first, rest))
                        if first.len() > 1
                            && first.starts_with(['E', 'e'])
                            && first[1..].chars().all(|c| c.is_ascii_digit()) =>
                    {
                        (Some(first.as_str()), rest)
                    }
                    _ => (None, verdicts.as_slice()),
                };
                let e = match label {
                    Some(l) => {
                        let n = l[1..].parse::<usize>().unwrap_or(0);
                        s.board
                            .experiments
                            .get(n.wrapping_sub(1))
                            .ok_or_else(|| format!("there is no experiment {l} on the board"))?
                    }
                    None => s
                        .board
                        .experiments
                        .iter()
                        .rev()
                        .find(|e| e.is_running())
                        .ok_or("no experiment is running: name one (E1…) or plan one first")?,
                };
                if !e.is_running() {
                    return Err(format!(
                        "{} already has an outcome",
                        s.board.experiment_label(e.id).unwrap_or_default()
                    ));
                }
                let (outcome, verdicts) = parse_verdicts(&s.board, e, &rest.join(" "))?;
                let label = s.board.experiment_label(e.id).unwrap_or_default();
                Plan::one(
                    now,
                    EventKind::ExperimentOutcome {
                        experiment: e.id,
                        outcome,
                        verdicts,
                        notes: notes.trim().to_string(),
                    },
                    format!("outcome of {label} recorded"),
                )
            }
            Verb::RequestChange { text, .. } => Plan::one(
                now,
                EventKind::ChangeRequested {
                    description: words(text, "the change")?,
                },
                format!(
                    "change request C{} sent to the IC",
                    s.change_requests.len() + 1
                ),
            ),
            Verb::Approve {
                request, reason, ..
            }
            | Verb::Deny {
                request, reason, ..
            } => {
                let approved = matches!(self, Verb::Approve { .. });
                let c = change_request(s, request.as_deref())?;
                if c.decision != Decision::Pending {
                    return Err(format!(
                        "{} is already decided",
                        change_label(s, c.id).unwrap_or_default()
                    ));
                }
                if !approved && reason.trim().is_empty() {
                    return Err("say why the change is denied (--reason)".into());
                }
                let label = change_label(s, c.id).unwrap_or_default();
                Plan::one(
                    now,
                    EventKind::ChangeDecided {
                        request: c.id,
                        approved,
                        reason: reason.trim().to_string(),
                    },
                    format!(
                        "{} {label} ({}'s change)",
                        if approved { "approved" } else { "denied" },
                        c.author
                    ),
                )
            }
            Verb::Handover {
                handle, brief_file, ..
            } => {
                let to = handle_arg("the new commander", handle)?;
                let brief = match brief_file {
                    Some(f) => HandoverBrief::from_text(&(scene.read)(f)?),
                    None => s.draft_brief(now),
                };
                Plan::one(
                    now,
                    EventKind::CommandHandedOver {
                        to: to.clone(),
                        brief,
                    },
                    format!("command handed over to {to}"),
                )
            }
            Verb::Assign { role, handle, .. } => {
                let role = role_arg(role)?;
                let handle = handle_arg("the handle", handle)?;
                let kind = if role == Role::Ic {
                    EventKind::CommandHandedOver {
                        to: handle.clone(),
                        brief: s.draft_brief(now),
                    }
                } else {
                    EventKind::RoleAssigned {
                        role,
                        handle: handle.clone(),
                    }
                };
                Plan::one(now, kind, format!("{} → {handle}", role.title()))
            }
            Verb::Release { role, .. } => {
                let role = role_arg(role)?;
                Plan::one(
                    now,
                    EventKind::RoleReleased { role },
                    format!("{} back with the IC", role.title()),
                )
            }
            Verb::AskCommand { reason, .. } => Plan::one(
                now,
                EventKind::CommandRequested {
                    reason: reason.trim().to_string(),
                },
                format!("asked {} for command", s.commander().unwrap_or("the IC")),
            ),
            Verb::TakeCommand { reason, .. } => Plan::one(
                now,
                EventKind::CommandTaken {
                    reason: reason.trim().to_string(),
                },
                "you took command; everyone on the response is told",
            ),
            Verb::AnswerCommand {
                answer,
                from,
                reason,
                ..
            } => {
                let accept = *answer == CommandAnswer::Accept;
                let request = pending_request(s, from.as_deref())?;
                let who = request.author.clone();
                Plan {
                    events: crate::domain::handover::answer_request(
                        request,
                        accept,
                        reason,
                        s.draft_brief(now),
                        now,
                    ),
                    said: if accept {
                        format!("command handed over to {who}")
                    } else {
                        format!("declined {who}'s request for command")
                    },
                }
            }
            Verb::Join { skills, who, .. } => {
                let handle = match who {
                    Some(h) => handle_arg("the handle", h)?,
                    None => scene.me.to_string(),
                };
                let skills: Vec<String> = skills
                    .iter()
                    .map(|k| k.trim().to_string())
                    .filter(|k| !k.is_empty())
                    .collect();
                Plan::one(
                    now,
                    EventKind::ResponderJoined {
                        handle: handle.clone(),
                        skills,
                    },
                    format!("{handle} joined"),
                )
            }
            Verb::Leave { who, .. } => {
                let handle = match who {
                    Some(h) => handle_arg("the handle", h)?,
                    None => scene.me.to_string(),
                };
                Plan::one(
                    now,
                    EventKind::ResponderLeft {
                        handle: handle.clone(),
                    },
                    format!("{handle} left"),
                )
            }
            Verb::Severity { level, reason, .. } => {
                let severity = Severity::new(i64::from(*level))?;
                Plan::one(
                    now,
                    EventKind::SeverityChanged {
                        severity,
                        reason: reason.trim().to_string(),
                    },
                    format!("severity now {severity}"),
                )
            }
            Verb::Stage { stage, .. } => {
                let stage = Stage::parse(stage).ok_or_else(|| {
                    format!("`{stage}` is not a stage: detect, respond, recover, learn or improve")
                })?;
                Plan::one(
                    now,
                    EventKind::StageChanged { stage },
                    format!("stage now {}", stage.title()),
                )
            }
            Verb::Send {
                file,
                audience,
                final_message,
                override_reason,
                translation,
                ..
            } => plan_send(
                scene,
                &SendArgs {
                    file,
                    audience: Audience::from(*audience),
                    final_message: *final_message,
                    override_reason: override_reason.as_deref(),
                    translation,
                },
            )?,
            Verb::Health { text, .. } => Plan::one(
                now,
                EventKind::HealthCheck {
                    summary: words(text, "the health check")?,
                },
                "team health check recorded",
            ),
            Verb::Awake { since, who, .. } => {
                let handle = match who {
                    Some(h) => handle_arg("the handle", h)?,
                    None => scene.me.to_string(),
                };
                let since = time(since)?;
                if since > now {
                    return Err(format!(
                        "{} is in the future: say since when {handle} has been awake, e.g. \
                         06:30 or -16h",
                        stamp(since)
                    ));
                }
                Plan::one(
                    now,
                    EventKind::AwakeSince {
                        handle: handle.clone(),
                        since,
                    },
                    format!("{handle} awake since {}", stamp(since)),
                )
            }
            Verb::Impact { mark, at, .. } => {
                let at = time(at)?;
                if at > now + chrono::Duration::minutes(1) {
                    return Err(
                        "that time is in the future; impact times record what has happened".into(),
                    );
                }
                let (kind, what) = match mark {
                    ImpactMark::Started => (EventKind::ImpactStarted {}, "start of impact set"),
                    ImpactMark::Detected => (EventKind::Detected {}, "detection set"),
                    ImpactMark::Ended => (EventKind::ImpactEnded {}, "end of impact set"),
                };
                Plan::one(at, kind, what)
            }
            Verb::Privacy {
                assess, step, note, ..
            } => {
                let mut events = Vec::new();
                let mut said = Vec::new();
                if let Some(a) = assess {
                    let assessment = match a {
                        PrivacyArg::NotAssessed => PrivacyAssessment::NotAssessed,
                        PrivacyArg::None => PrivacyAssessment::NoPersonalInformation,
                        PrivacyArg::PossibleBreach => PrivacyAssessment::PossibleBreach,
                    };
                    events.push((
                        now,
                        EventKind::PrivacyAssessed {
                            assessment,
                            notes: note.trim().to_string(),
                        },
                    ));
                    said.push("privacy assessed".to_string());
                }
                if let Some(n) = step {
                    events.push((
                        now,
                        EventKind::PrivacyStepDone {
                            step: *n,
                            note: note.trim().to_string(),
                        },
                    ));
                    said.push(format!("privacy step {n}"));
                }
                Plan {
                    events,
                    said: said.join(", "),
                }
            }
            Verb::Grant { handle, .. } => {
                let handle = handle_arg("the handle", handle)?;
                Plan::one(
                    now,
                    EventKind::AccessGranted {
                        handle: handle.clone(),
                    },
                    format!("{handle} may now see it"),
                )
            }
            Verb::RevokeAccess { handle, .. } => {
                let handle = handle_arg("the handle", handle)?;
                Plan::one(
                    now,
                    EventKind::AccessRevoked {
                        handle: handle.clone(),
                    },
                    format!("{handle} may no longer see it"),
                )
            }
            Verb::Redact { event, reason, .. } => {
                let target = find_event(&scene.events, event)?;
                crate::domain::rules::check_redaction_target(s.id(), target.id, Some(target))
                    .map_err(|r| r.message)?;
                Plan::one(
                    now,
                    EventKind::EventRedacted {
                        event: target.id,
                        reason: reason.trim().to_string(),
                    },
                    format!(
                        "redacted the {} at {}",
                        crate::domain::describe::label(&target.kind),
                        target.at.format("%H:%M:%S UTC")
                    ),
                )
            }
            Verb::Amend { event, text, .. } => {
                let target = find_event(&scene.events, event)?;
                crate::domain::rules::check_amend_target(s, scene.me, target.id, Some(target))
                    .map_err(|r| r.message)?;
                let text = if text.len() == 1 && text[0] == "-" {
                    (scene.read)("-")?
                } else {
                    text.join(" ")
                };
                let text = text.trim_end().to_string();
                if text.trim().is_empty() {
                    return Err(
                        "the amended text must not be empty (redact the entry instead)".into(),
                    );
                }
                Plan::one(
                    now,
                    EventKind::Amended {
                        event: target.id,
                        text,
                    },
                    format!(
                        "amended the {} at {}",
                        crate::domain::describe::label(&target.kind),
                        target.at.format("%H:%M:%S UTC")
                    ),
                )
            }
            Verb::UnlinkAlert { alert, reason, .. } => {
                let link = linked_alert(s, alert)?;
                Plan::one(
                    now,
                    EventKind::AlertUnlinked {
                        alert: link.alert,
                        reason: reason.trim().to_string(),
                    },
                    format!(
                        "alert {} ({}) unlinked",
                        crate::domain::describe::visible_line(link.name.trim()),
                        crate::domain::describe::visible_line(
                            &link.fingerprint.chars().take(8).collect::<String>()
                        )
                    ),
                )
            }
            Verb::Resolve { summary, .. } => Plan::one(
                now,
                EventKind::Resolved {
                    summary: summary.trim().to_string(),
                },
                "resolved",
            ),
            Verb::Close { reason, .. } => Plan::one(
                now,
                EventKind::Closed {
                    reason: reason.trim().to_string(),
                },
                "closed",
            ),
            Verb::Reopen { reason, .. } => Plan::one(
                now,
                EventKind::Reopened {
                    reason: reason.trim().to_string(),
                },
                "reopened",
            ),
            Verb::Page { team, message, .. } => {
                let team = team.trim().to_string();
                crate::domain::rules::check_handle("the team", &team).map_err(|r| r.message)?;
                let message = message
                    .as_deref()
                    .map(str::trim)
                    .filter(|m| !m.is_empty())
                    .unwrap_or(s.summary.title.trim())
                    .to_string();
                Plan::one(
                    now,
                    EventKind::PageRequested {
                        team: team.clone(),
                        provider: None,
                        message,
                    },
                    format!("paged {team}"),
                )
            }
            Verb::StandDown { .. } => {
                if let Some(why) = crate::domain::fatigue::stand_down_refusal(s, scene.me) {
                    return Err(why);
                }
                let who = crate::domain::fatigue::on_duty(s);
                if who.is_empty() {
                    return Ok(Plan {
                        events: Vec::new(),
                        said: "nobody is on duty: there is no one to stand down".into(),
                    });
                }
                Plan {
                    events: crate::domain::fatigue::stand_down(s)
                        .into_iter()
                        .map(|k| (now, k))
                        .collect(),
                    said: format!(
                        "stood down {} ({}); a responder who joins again is back on duty",
                        who.len(),
                        who.join(", ")
                    ),
                }
            }
        })
    }
}

/// What `send` was given.
struct SendArgs<'a> {
    file: &'a str,
    audience: Audience,
    final_message: bool,
    override_reason: Option<&'a str>,
    translation: &'a [String],
}

/// The failing checks of one verdict, in words: "label: hint; label: hint".
fn failing_checks(verdict: &Verdict) -> Vec<String> {
    verdict
        .failed()
        .map(|r| format!("{}: {}", r.label, r.hint))
        .collect()
}

/// `send`: the update read and checked (each version in its own language when the team
/// writes external updates in several), refused while checks fail unless overridden.
fn plan_send(scene: &Scene, args: &SendArgs) -> Result<Plan, String> {
    let s = scene.state;
    let now = scene.now;
    let languages = if scene.languages.is_empty() {
        &[Lang::En][..]
    } else {
        scene.languages
    };
    let primary = languages[0];
    let several = languages.len() > 1;
    if !args.translation.is_empty() && !several {
        return Err(
            "--translation needs more than one language: list them in the config file, e.g. \
             `[comms] languages = [\"en\", \"fr\"]` (the first is the language of FILE)"
                .into(),
        );
    }
    if !args.translation.is_empty() && args.audience == Audience::Internal {
        return Err(
            "internal updates are one text: --translation goes with --audience external".into(),
        );
    }
    let read = |path: &str, what: &str| -> Result<String, String> {
        let text = (scene.read)(path)?.trim_end().to_string();
        if text.trim().is_empty() {
            Err(format!("{what} is empty"))
        } else {
            Ok(text)
        }
    };
    let text = read(args.file, "the update")?;
    let mut stdin_read = args.file == "-";
    let mut others: Vec<(Lang, String)> = Vec::new();
    for t in args.translation {
        let Some((code, path)) = t.split_once('=') else {
            return Err(format!(
                "`--translation {t}`: give it as LANG=FILE, e.g. --translation fr=update-fr.txt"
            ));
        };
        let lang = Lang::parse(code)?;
        let name = lang.english_name();
        if lang == primary {
            return Err(format!(
                "FILE is already the {name} version ({name} comes first in `[comms] \
                 languages`): --translation gives the other languages"
            ));
        }
        if !languages.contains(&lang) {
            return Err(format!(
                "{name} is not among the configured languages ({}): add `{}` to `[comms] \
                 languages` in the config file first",
                names(languages),
                lang.code()
            ));
        }
        if others.iter().any(|(l, _)| *l == lang) {
            return Err(format!("two {name} versions given: give one"));
        }
        if path.trim() == "-" {
            if stdin_read {
                return Err(
                    "standard input (-) can be read once: give the other versions as files".into(),
                );
            }
            stdin_read = true;
        }
        others.push((lang, read(path.trim(), &format!("the {name} version"))?));
    }
    let multilingual = several && args.audience == Audience::External;
    if multilingual {
        let missing: Vec<Lang> = languages[1..]
            .iter()
            .copied()
            .filter(|l| !others.iter().any(|(o, _)| o == l))
            .collect();
        if let Some(first) = missing.first() {
            return Err(format!(
                "external updates here are written in {}: add the {} version{} with \
                 --translation {}=FILE",
                names(languages),
                names(&missing),
                if missing.len() > 1 { "s" } else { "" },
                first.code()
            ));
        }
        // In the configured order.
        others.sort_by_key(|(l, _)| languages.iter().position(|c| c == l));
    }
    let options = |lang: Lang| Options {
        audience: args.audience,
        kind: if args.final_message {
            DraftKind::Final
        } else {
            DraftKind::Update
        },
        severity: Some(s.summary.severity),
        lang,
    };
    let check = |text: &str, lang: Lang| {
        if multilingual {
            validate_version(text, options(lang))
        } else {
            validate(text, options(lang))
        }
    };
    let verdict = check(&text, primary);
    let versions: Vec<(Lang, String, Verdict)> = others
        .into_iter()
        .map(|(lang, t)| {
            let v = check(&t, lang);
            (lang, t, v)
        })
        .collect();
    let all_passed = verdict.passed() && versions.iter().all(|(_, _, v)| v.passed());
    let reason = args
        .override_reason
        .map(str::trim)
        .filter(|r| !r.is_empty());
    if !all_passed && reason.is_none() {
        let failing = if multilingual {
            std::iter::once((primary, &verdict))
                .chain(versions.iter().map(|(l, _, v)| (*l, v)))
                .filter(|(_, v)| !v.passed())
                .map(|(l, v)| {
                    let f = failing_checks(v);
                    format!(
                        "the {} version fails {} check(s) — {}",
                        l.english_name(),
                        f.len(),
                        f.join("; ")
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        } else {
            let f = failing_checks(&verdict);
            format!("the update fails {} check(s) — {}", f.len(), f.join("; "))
        };
        return Err(format!(
            "{failing}; fix it, or send it anyway with --override REASON"
        ));
    }
    let next_update_due = crate::domain::templates::next_update_time(&text, now, scene.local);
    let what = if multilingual {
        format!(
            "{} update sent in {}",
            audience_name(args.audience),
            names(languages)
        )
    } else {
        format!("{} update sent", audience_name(args.audience))
    };
    let said = match next_update_due {
        Some(t) => format!("{what}; next one due {}", t.format("%H:%M UTC")),
        None => what,
    };
    Ok(Plan::one(
        now,
        EventKind::CommsSent {
            audience: args.audience,
            text,
            checklist: verdict.record(),
            override_reason: if all_passed {
                None
            } else {
                reason.map(str::to_string)
            },
            next_update_due,
            lang: (multilingual || args.audience == Audience::External).then_some(primary),
            versions: versions
                .into_iter()
                .map(|(lang, text, v)| CommsVersion {
                    lang,
                    text,
                    checklist: v.record(),
                })
                .collect(),
        },
        said,
    ))
}

/// "English", "English and French".
fn names(languages: &[Lang]) -> String {
    let names: Vec<&str> = languages.iter().map(|l| l.english_name()).collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn audience_name(a: Audience) -> &'static str {
    match a {
        Audience::Internal => "internal",
        Audience::External => "external",
    }
}

/// The console's `:` line: the verbs without the program name, the incident supplied.
#[derive(clap::Parser, Debug)]
#[command(
    name = ":",
    no_binary_name = true,
    disable_help_subcommand = true,
    disable_version_flag = true
)]
struct Line {
    #[command(subcommand)]
    verb: Verb,
}

/// Splits a typed line into words as a shell would: spaces separate, quotes ('…' or "…")
/// keep spaces inside a word, a backslash keeps the next character.
pub fn split_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), '\\') | (None, '\\') => {
                if let Some(n) = chars.next() {
                    word.push(n);
                }
                in_word = true;
            }
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if let Some(q) = quote {
        return Err(format!("a quote ({q}) is left open"));
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// Reads a `:` line typed in the console, on the incident `incident`, with the command
/// line's own grammar; the error is clap's, in one sentence.
pub fn parse_line(line: &str, incident: &str) -> Result<Verb, String> {
    let mut words = split_words(line)?;
    let Some(first) = words.first_mut() else {
        return Err(
            "type a verb and its words, e.g. `log rolled back pay-3` (Tab completes)".into(),
        );
    };
    *first = first.to_ascii_lowercase();
    if !NAMES.contains(&first.as_str()) {
        return Err(format!(
            "`{}` is not an act on this incident; Tab lists them (log, observe, theory, outcome, \
             assign, approve, send…)",
            crate::domain::describe::visible_line(first)
        ));
    }
    words.insert(1, incident.to_string());
    Line::try_parse_from(words)
        .map(|l| l.verb)
        .map_err(|e| one_sentence(&e.render().to_string(), incident))
}

/// Clap's message without its usage block, on one line, the incident left out.
fn one_sentence(message: &str, incident: &str) -> String {
    let text: Vec<&str> = message
        .lines()
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    text.join(" ")
        .trim_start_matches("error: ")
        .replace(&format!("{incident} "), "")
        .replace("<INCIDENT> ", "")
}

#[cfg(test)]
#[path = "verbs_tests.rs"]
mod tests;
