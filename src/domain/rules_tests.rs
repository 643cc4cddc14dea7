//! Tests of `rules`.

use super::*;
use crate::domain::event::{HandoverBrief, Severity};
use chrono::TimeZone;
use uuid::Uuid;

struct Log {
    id: Uuid,
    events: Vec<Event>,
    now: DateTime<Utc>,
}

impl Log {
    fn declared(restricted: bool) -> Log {
        let mut log = Log {
            id: Uuid::now_v7(),
            events: Vec::new(),
            now: Utc.with_ymd_and_hms(2026, 11, 27, 3, 0, 0).unwrap(),
        };
        log.push(
            "ana",
            EventKind::IncidentDeclared {
                title: "Checkout errors".into(),
                severity: Severity::MAJOR,
                summary: String::new(),
                drill: false,
                restricted,
            },
        );
        log
    }

    fn event(&self, author: &str, kind: EventKind) -> Event {
        Event {
            id: Uuid::now_v7(),
            incident: self.id,
            seq: None,
            at: self.now,
            recorded_at: Some(self.now),
            author: author.into(),
            persona: None,
            kind,
        }
    }

    fn push(&mut self, author: &str, kind: EventKind) -> Uuid {
        self.now += Duration::minutes(1);
        let mut e = self.event(author, kind);
        e.seq = Some(self.events.len() as i64 + 1);
        let state = self.state();
        check(&state, &e, author, &Rules::default())
            .unwrap_or_else(|r| panic!("{author} {}: {r}", e.kind.type_name()));
        let id = e.id;
        self.events.push(e);
        id
    }

    fn state(&self) -> Incident {
        Incident::fold(self.id, &self.events)
    }

    fn judge(&self, author: &str, kind: EventKind) -> Result<(), Refusal> {
        let e = self.event(author, kind);
        check(&self.state(), &e, author, &Rules::default())
    }
}

fn code(r: Result<(), Refusal>) -> Option<RefusalCode> {
    r.err().map(|r| r.code)
}

#[test]
fn the_commander_decides_and_delegates() {
    let mut log = Log::declared(false);
    log.push(
        "bo",
        EventKind::Note {
            text: "on it".into(),
        },
    );
    let cl = EventKind::RoleAssigned {
        role: Role::Cl,
        handle: "bo".into(),
    };
    assert_eq!(
        code(log.judge("bo", cl.clone())),
        Some(RefusalCode::Forbidden)
    );
    log.push("ana", cl);
    let update = EventKind::CommsSent {
        audience: crate::domain::event::Audience::Internal,
        text: "SEV2 – x".into(),
        checklist: Default::default(),
        override_reason: None,
        next_update_due: None,
        lang: None,
        versions: Vec::new(),
    };
    assert_eq!(code(log.judge("bo", update.clone())), None, "the CL sends");
    assert_eq!(
        code(log.judge("ana", update.clone())),
        None,
        "so does the IC"
    );
    assert_eq!(
        code(log.judge("cy", update)),
        Some(RefusalCode::Forbidden),
        "nobody else"
    );
    let joined = EventKind::ResponderJoined {
        handle: "bo".into(),
        skills: vec![],
    };
    assert_eq!(code(log.judge("bo", joined.clone())), None);
    assert_eq!(code(log.judge("cy", joined)), Some(RefusalCode::Forbidden));
    let severity = EventKind::SeverityChanged {
        severity: Severity::CRITICAL,
        reason: String::new(),
    };
    let refusal = log.judge("bo", severity).unwrap_err();
    assert!(
        refusal
            .message
            .contains("only the incident commander (ana)")
    );
}

#[test]
fn command_is_asked_for_or_taken_only_after_silence() {
    let mut log = Log::declared(false);
    assert_eq!(
        code(log.judge(
            "ana",
            EventKind::CommandRequested {
                reason: String::new()
            }
        )),
        Some(RefusalCode::Refused)
    );
    let ask = log.push(
        "bo",
        EventKind::CommandRequested {
            reason: "fresh".into(),
        },
    );
    assert_eq!(log.state().pending_command_requests().count(), 1);
    let take = EventKind::CommandTaken {
        reason: "ana is not answering".into(),
    };
    assert_eq!(
        code(log.judge("bo", take.clone())),
        Some(RefusalCode::Forbidden)
    );
    // Fifteen minutes of silence from the IC (others keep writing).
    for _ in 0..15 {
        log.push(
            "cy",
            EventKind::Note {
                text: "still down".into(),
            },
        );
    }
    assert_eq!(code(log.judge("bo", take.clone())), None);
    log.push("bo", take);
    let s = log.state();
    assert_eq!(s.commander(), Some("bo"));
    assert_eq!(s.summary.commander.as_deref(), Some("bo"));
    let last = s.roster.handovers.last().unwrap();
    assert_eq!(last.from.as_deref(), Some("ana"));
    assert_eq!(last.taken_because.as_deref(), Some("ana is not answering"));
    assert_eq!(
        s.pending_command_requests().count(),
        0,
        "bo's request is settled"
    );
    assert!(s.command_requests.iter().any(|r| r.id == ask));
    // The old IC is now an ordinary responder.
    assert_eq!(
        code(log.judge(
            "ana",
            EventKind::CommandHandedOver {
                to: "ana".into(),
                brief: HandoverBrief::default()
            }
        )),
        Some(RefusalCode::Forbidden)
    );
}

#[test]
fn a_closed_incident_takes_only_what_follows_closing() {
    let mut log = Log::declared(false);
    log.push("ana", EventKind::ImpactStarted {});
    log.push("ana", EventKind::ImpactEnded {});
    log.push(
        "ana",
        EventKind::Resolved {
            summary: String::new(),
        },
    );
    log.push(
        "ana",
        EventKind::RoleAssigned {
            role: Role::Po,
            handle: "di".into(),
        },
    );
    log.push(
        "ana",
        EventKind::Closed {
            reason: String::new(),
        },
    );
    let note = EventKind::Note {
        text: "late".into(),
    };
    assert_eq!(code(log.judge("ana", note)), Some(RefusalCode::Refused));
    let item = EventKind::ActionItemAdded {
        text: "alert on pool".into(),
        owner_role: Role::Ol,
        due: chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
    };
    assert_eq!(code(log.judge("di", item)), None);
    assert_eq!(
        code(log.judge(
            "di",
            EventKind::Reopened {
                reason: String::new()
            }
        )),
        Some(RefusalCode::Forbidden)
    );
    assert_eq!(
        code(log.judge(
            "ana",
            EventKind::Reopened {
                reason: String::new()
            }
        )),
        None
    );
}

#[test]
fn a_restricted_incident_is_hidden_from_outsiders_until_granted() {
    let mut log = Log::declared(true);
    let note = EventKind::Note { text: "hi".into() };
    assert_eq!(
        code(log.judge("eve", note.clone())),
        Some(RefusalCode::Hidden)
    );
    assert!(!log.state().summary.can_see("eve"));
    log.push(
        "ana",
        EventKind::AccessGranted {
            handle: "eve".into(),
        },
    );
    assert_eq!(code(log.judge("eve", note.clone())), None);
    log.push(
        "ana",
        EventKind::AccessRevoked {
            handle: "eve".into(),
        },
    );
    assert_eq!(code(log.judge("eve", note)), Some(RefusalCode::Hidden));
    // A role brings access with it; the IC keeps theirs.
    log.push(
        "ana",
        EventKind::RoleAssigned {
            role: Role::Pl,
            handle: "pat".into(),
        },
    );
    assert!(log.state().summary.can_see("pat"));
    assert_eq!(
        code(log.judge(
            "ana",
            EventKind::AccessRevoked {
                handle: "ana".into()
            }
        )),
        Some(RefusalCode::Refused)
    );
}

#[test]
fn redaction_needs_the_ic_a_reason_and_a_target_with_text() {
    let mut log = Log::declared(false);
    let note = log.push(
        "bo",
        EventKind::Note {
            text: "pw hunter2".into(),
        },
    );
    let redact = |reason: &str| EventKind::EventRedacted {
        event: note,
        reason: reason.into(),
    };
    assert_eq!(
        code(log.judge("bo", redact("oops"))),
        Some(RefusalCode::Forbidden)
    );
    assert_eq!(
        code(log.judge("ana", redact(" "))),
        Some(RefusalCode::Refused)
    );
    let target = log.events.iter().find(|e| e.id == note);
    assert!(check_redaction_target(log.id, note, target).is_ok());
    assert!(check_redaction_target(log.id, Uuid::now_v7(), None).is_err());
    let role_event = &log.events[0];
    assert!(check_redaction_target(log.id, role_event.id, Some(role_event)).is_ok());
    log.push("ana", redact("a password"));
    assert_eq!(
        code(log.judge("ana", redact("again"))),
        Some(RefusalCode::Refused)
    );
    assert_eq!(log.state().redactions[&note].reason, "a password");
}

#[test]
fn a_future_dated_event_does_not_keep_the_commander_alive() {
    let mut log = Log::declared(false);
    // ana sends a note dated a year ahead; the store received it now.
    let mut note = log.event(
        "ana",
        EventKind::Note {
            text: "soon".into(),
        },
    );
    note.at = log.now + Duration::days(365);
    note.seq = Some(2);
    log.events.push(note);
    log.now += Duration::minutes(16);
    let take = EventKind::CommandTaken {
        reason: "ana is gone".into(),
    };
    assert_eq!(code(log.judge("bo", take)), None);
}

/// A board with two theories and an experiment testing both; returns (T1, T2, E1).
fn two_theory_experiment(log: &mut Log) -> (Uuid, Uuid, Uuid) {
    let t1 = log.push(
        "bo",
        EventKind::Theory {
            text: "the deploy".into(),
        },
    );
    let t2 = log.push(
        "bo",
        EventKind::Theory {
            text: "the pool".into(),
        },
    );
    let e = log.push(
        "bo",
        EventKind::Experiment {
            plan: "roll back pay-3".into(),
            tests: vec![t1, t2],
        },
    );
    (t1, t2, e)
}

#[test]
fn an_experiment_testing_several_theories_needs_a_verdict_for_each() {
    use crate::domain::event::{Outcome, Verdict};
    let mut log = Log::declared(false);
    let (t1, t2, e) = two_theory_experiment(&mut log);
    let single = EventKind::ExperimentOutcome {
        experiment: e,
        outcome: Some(Outcome::Supports),
        verdicts: vec![],
        notes: String::new(),
    };
    let refusal = log.judge("bo", single).unwrap_err();
    assert!(refusal.message.contains("T1 and T2"), "{refusal}");
    let stranger = log.push("bo", EventKind::Theory { text: "dns".into() });
    let wrong = EventKind::ExperimentOutcome {
        experiment: e,
        outcome: None,
        verdicts: vec![Verdict {
            theory: stranger,
            outcome: Outcome::Refutes,
        }],
        notes: String::new(),
    };
    let refusal = log.judge("bo", wrong).unwrap_err();
    assert!(refusal.message.contains("does not test T3"), "{refusal}");
    let twice = EventKind::ExperimentOutcome {
        experiment: e,
        outcome: None,
        verdicts: vec![
            Verdict {
                theory: t1,
                outcome: Outcome::Refutes,
            },
            Verdict {
                theory: t1,
                outcome: Outcome::Supports,
            },
        ],
        notes: String::new(),
    };
    assert!(log.judge("bo", twice).is_err());
    let each = EventKind::ExperimentOutcome {
        experiment: e,
        outcome: None,
        verdicts: vec![
            Verdict {
                theory: t1,
                outcome: Outcome::Refutes,
            },
            Verdict {
                theory: t2,
                outcome: Outcome::Supports,
            },
        ],
        notes: String::new(),
    };
    assert_eq!(log.judge("bo", each), Ok(()));
}

#[test]
fn only_the_author_or_the_ic_amends_and_only_text_entries() {
    let mut log = Log::declared(false);
    let note = log.push(
        "bo",
        EventKind::Note {
            text: "cy broke it".into(),
        },
    );
    let role = log.push(
        "ana",
        EventKind::RoleAssigned {
            role: Role::Ol,
            handle: "bo".into(),
        },
    );
    let state = log.state();
    let find = |id: Uuid| log.events.iter().find(|e| e.id == id);
    assert!(check_amend_target(&state, "bo", note, find(note)).is_ok());
    assert!(
        check_amend_target(&state, "ana", note, find(note)).is_ok(),
        "the IC"
    );
    let other = check_amend_target(&state, "cy", note, find(note)).unwrap_err();
    assert_eq!(other.code, RefusalCode::Forbidden);
    assert!(other.message.contains("bo"), "{other}");
    assert!(check_amend_target(&state, "ana", role, find(role)).is_err());
    assert!(check_amend_target(&state, "ana", Uuid::now_v7(), None).is_err());
    let empty = EventKind::Amended {
        event: note,
        text: "  ".into(),
    };
    assert!(log.judge("bo", empty).is_err());
    log.push(
        "ana",
        EventKind::EventRedacted {
            event: note,
            reason: "names a person".into(),
        },
    );
    let state = log.state();
    let target = log.events.iter().find(|e| e.id == note);
    assert!(check_amend_target(&state, "bo", note, target).is_err());
}

#[test]
fn a_persona_only_on_a_drill_and_only_a_handle() {
    let with_persona = |log: &Log, persona: &str| {
        let mut e = log.event("ana", EventKind::Note { text: "n".into() });
        e.persona = Some(persona.into());
        check(&log.state(), &e, "ana", &Rules::default())
    };
    let log = Log::declared(false);
    let refused = with_persona(&log, "ops1").unwrap_err();
    assert_eq!(refused.code, RefusalCode::Refused);
    assert!(refused.message.contains("not a drill"), "{refused}");

    let mut drill = Log {
        id: Uuid::now_v7(),
        events: Vec::new(),
        now: log.now,
    };
    drill.push(
        "ana",
        EventKind::IncidentDeclared {
            title: "Practice".into(),
            severity: Severity::MINOR,
            summary: String::new(),
            drill: true,
            restricted: false,
        },
    );
    assert_eq!(with_persona(&drill, "ops1"), Ok(()));
    assert!(with_persona(&drill, "two words").is_err());
    assert!(with_persona(&drill, "").is_err());
    // Authority stays the author's: a persona does not make an IC act anyone's.
    let mut e = drill.event(
        "bo",
        EventKind::SeverityChanged {
            severity: Severity::MAJOR,
            reason: String::new(),
        },
    );
    e.persona = Some("ana".into());
    assert_eq!(
        code(check(&drill.state(), &e, "bo", &Rules::default())),
        Some(RefusalCode::Forbidden)
    );
}

#[test]
fn one_rule_for_handles_with_one_message() {
    for good in ["ana", "maya.k", "o'brien", "ops-1", "名前", &"h".repeat(64)] {
        assert_eq!(check_handle("the responder", good), Ok(()), "{good}");
    }
    for bad in [
        "two words",
        "tab\there",
        "mal\u{1b}[2Jlory",
        "rtl\u{202e}x",
        "-rf",
        &"h".repeat(65),
    ] {
        let refusal = check_handle("the responder", bad).unwrap_err();
        assert_eq!(refusal.code, RefusalCode::Refused);
        assert!(
            refusal.message.starts_with("the responder `")
                && refusal.message.contains("is not a usable handle")
                && refusal.message.ends_with(HANDLE_RULE),
            "{bad:?}: {}",
            refusal.message
        );
        assert!(
            !refusal.message.contains(['\u{1b}', '\u{202e}', '\t']),
            "shown visibly: {}",
            refusal.message
        );
    }
    let empty = check_handle("--as", "").unwrap_err();
    assert_eq!(empty.message, format!("--as is empty: {HANDLE_RULE}"));
    // The rule book judges the handles events carry by the same rule.
    let joined = EventKind::ResponderJoined {
        handle: "-rf".into(),
        skills: vec![],
    };
    let refusal = check_sizes(&joined).unwrap_err();
    assert_eq!(
        refusal,
        check_handle("the handle", "-rf").unwrap_err(),
        "the same refusal"
    );
}

fn page_to(team: &str) -> EventKind {
    EventKind::PageRequested {
        team: team.into(),
        provider: None,
        message: "need a DBA".into(),
    }
}

fn delivery(page: Uuid, status: crate::domain::page::PageStatus) -> EventKind {
    EventKind::PageDelivery {
        page,
        team: "dba".into(),
        provider: Some(crate::domain::page::Provider::Opsgenie),
        status,
        request_id: "r1".into(),
        error: String::new(),
        attempts: 1,
    }
}

#[test]
fn only_the_ic_or_the_operations_lead_pages_and_only_while_active() {
    use crate::domain::page::PageStatus;
    let mut log = Log::declared(false);
    log.push(
        "bo",
        EventKind::Note {
            text: "here".into(),
        },
    );
    let refused = log.judge("bo", page_to("dba")).unwrap_err();
    assert_eq!(refused.code, RefusalCode::Forbidden);
    assert!(
        refused.message.contains("Operations Lead"),
        "{}",
        refused.message
    );
    log.push(
        "ana",
        EventKind::RoleAssigned {
            role: Role::Ol,
            handle: "bo".into(),
        },
    );
    assert_eq!(log.judge("bo", page_to("dba")), Ok(()), "the OL pages");
    let page = log.push("ana", page_to("dba"));
    assert_eq!(
        code(log.judge("ana", page_to("two words"))),
        Some(RefusalCode::Refused),
        "a team is one word"
    );
    let long = EventKind::PageRequested {
        team: "dba".into(),
        provider: None,
        message: "x".repeat(limits::PAGE_MESSAGE + 1),
    };
    assert_eq!(code(log.judge("ana", long)), Some(RefusalCode::Refused));

    // The sender records the outcome, whoever it is; only of a page that exists.
    assert_eq!(
        code(log.judge("warroom", delivery(Uuid::now_v7(), PageStatus::Delivered))),
        Some(RefusalCode::Refused)
    );
    log.push("warroom", delivery(page, PageStatus::Delivered));

    log.push("ana", EventKind::ImpactEnded {});
    log.push(
        "ana",
        EventKind::Resolved {
            summary: String::new(),
        },
    );
    let refused = log.judge("ana", page_to("dba")).unwrap_err();
    assert!(refused.message.contains("reopen"), "{}", refused.message);
    log.push(
        "ana",
        EventKind::RoleAssigned {
            role: Role::Po,
            handle: "bo".into(),
        },
    );
    log.push(
        "ana",
        EventKind::Closed {
            reason: String::new(),
        },
    );
    // A close at the provider may come after the incident was closed.
    assert_eq!(
        log.judge("warroom", delivery(page, PageStatus::Resolved)),
        Ok(())
    );
}

#[test]
fn the_sender_records_deliveries_on_a_restricted_incident_it_is_no_member_of() {
    use crate::domain::page::PageStatus;
    let mut log = Log::declared(true);
    let page = log.push("ana", page_to("dba"));
    assert_eq!(
        log.judge("warroom", delivery(page, PageStatus::Delivered)),
        Ok(())
    );
    assert_eq!(
        code(log.judge("warroom", page_to("dba"))),
        Some(RefusalCode::Hidden),
        "nothing else"
    );
}

fn external_update(lang: Option<Lang>, versions: &[(Lang, &str)]) -> EventKind {
    EventKind::CommsSent {
        audience: crate::domain::event::Audience::External,
        text: "SEV2 – Card payments failing".into(),
        checklist: Default::default(),
        override_reason: None,
        next_update_due: None,
        lang,
        versions: versions
            .iter()
            .map(|(lang, text)| CommsVersion {
                lang: *lang,
                text: text.to_string(),
                checklist: Default::default(),
            })
            .collect(),
    }
}

#[test]
fn versions_of_an_update_are_sized_and_each_language_comes_once() {
    let fr = "SEV2 – Paiements par carte en échec";
    assert!(check_sizes(&external_update(Some(Lang::En), &[(Lang::Fr, fr)])).is_ok());
    assert!(check_sizes(&external_update(None, &[])).is_ok());
    let long = "é".repeat(limits::TEXT + 1);
    let e = check_sizes(&external_update(Some(Lang::En), &[(Lang::Fr, &long)])).unwrap_err();
    assert!(e.message.contains("the French version is"), "{}", e.message);
    let e = check_sizes(&external_update(Some(Lang::En), &[(Lang::En, fr)])).unwrap_err();
    assert!(e.message.contains("already in English"), "{}", e.message);
    let e = check_sizes(&external_update(
        Some(Lang::Fr),
        &[(Lang::En, fr), (Lang::En, fr)],
    ))
    .unwrap_err();
    assert!(
        e.message.contains("versions") || e.message.contains("two English"),
        "{}",
        e.message
    );
    let e = check_sizes(&external_update(None, &[(Lang::Fr, fr)])).unwrap_err();
    assert!(e.message.contains("`lang`"), "{}", e.message);
    let e = check_sizes(&external_update(Some(Lang::En), &[(Lang::Fr, "  ")])).unwrap_err();
    assert!(
        e.message.contains("French version is empty"),
        "{}",
        e.message
    );
}

#[test]
fn with_two_languages_an_external_update_needs_a_version_in_each() {
    let both = [Lang::En, Lang::Fr];
    let fr = "SEV2 – Paiements par carte en échec";
    // One language: nothing is required.
    assert!(check_languages(&external_update(None, &[]), &[Lang::En]).is_ok());
    assert!(check_languages(&external_update(Some(Lang::En), &[(Lang::Fr, fr)]), &both).is_ok());
    // The primary language may be either, as long as every language is there.
    assert!(check_languages(&external_update(Some(Lang::Fr), &[(Lang::En, fr)]), &both).is_ok());
    for missing in [
        external_update(None, &[]),
        external_update(Some(Lang::En), &[]),
    ] {
        let e = check_languages(&missing, &both).unwrap_err();
        assert!(
            e.message.contains("published in English and French")
                && e.message.contains("no French version")
                && e.message.contains("--translation fr=FILE"),
            "{}",
            e.message
        );
    }
    let e = check_languages(&external_update(Some(Lang::Fr), &[]), &both).unwrap_err();
    assert!(e.message.contains("no English version"), "{}", e.message);
    // Internal updates stay one text.
    let internal = EventKind::CommsSent {
        audience: crate::domain::event::Audience::Internal,
        text: "SEV2 – x".into(),
        checklist: Default::default(),
        override_reason: None,
        next_update_due: None,
        lang: None,
        versions: Vec::new(),
    };
    assert!(check_languages(&internal, &both).is_ok());
}

fn linked(alert: Uuid, name: &str) -> EventKind {
    EventKind::AlertLinked {
        alert,
        fingerprint: format!("f{:015x}", alert.as_u128() & 0xfff),
        name: name.into(),
        summary: String::new(),
    }
}

fn unlinked(alert: Uuid, reason: &str) -> EventKind {
    EventKind::AlertUnlinked {
        alert,
        reason: reason.into(),
    }
}

#[test]
fn anyone_who_may_link_an_alert_may_unlink_it_and_only_a_linked_one() {
    let (a, b, stranger) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let mut log = Log::declared(false);
    // Nothing linked yet: the refusal says there is nothing to unlink.
    let none = log.judge("ana", unlinked(a, "")).unwrap_err();
    assert_eq!(none.code, RefusalCode::Refused);
    assert!(
        none.message.contains("no alert is linked"),
        "{}",
        none.message
    );
    // A responder who is not the IC links and unlinks, as with any alert link.
    log.push("bo", linked(a, "HighErrorRate"));
    log.push("bo", linked(b, "DiskFull"));
    let other = log.judge("bo", unlinked(stranger, "")).unwrap_err();
    assert_eq!(other.code, RefusalCode::Refused);
    assert!(
        other
            .message
            .contains(&format!("alert {stranger} is not linked"))
            && other.message.contains("HighErrorRate")
            && other.message.contains("DiskFull"),
        "{}",
        other.message
    );
    assert_eq!(code(log.judge("cy", unlinked(a, "wrong incident"))), None);
    log.push("cy", unlinked(a, "wrong incident"));
    let state = log.state();
    assert!(!state.links_alert(a) && state.links_alert(b));
    assert_eq!(
        state.linked_alerts().map(|l| l.alert).collect::<Vec<_>>(),
        vec![b]
    );
    let gone = &state.alert_links[0];
    let how = gone.unlinked.as_ref().expect("unlinked");
    assert_eq!(
        (how.by.as_str(), how.reason.as_str()),
        ("cy", "wrong incident")
    );
    // Twice is refused, with a sentence saying it already is.
    let twice = log.judge("cy", unlinked(a, "")).unwrap_err();
    assert!(
        twice.message.contains("already unlinked") && twice.message.contains("DiskFull"),
        "{}",
        twice.message
    );
    // Linked again, it may be unlinked again.
    log.push("bo", linked(a, "HighErrorRate"));
    assert!(log.state().links_alert(a));
    assert_eq!(code(log.judge("bo", unlinked(a, ""))), None);
    // The reason is sized like any other.
    let long = "x".repeat(limits::TEXT + 1);
    assert_eq!(
        code(log.judge("bo", unlinked(a, &long))),
        Some(RefusalCode::Refused)
    );
}

#[test]
fn an_alert_is_unlinked_from_a_restricted_or_closed_incident_only_by_who_may_see_it() {
    let a = Uuid::now_v7();
    let mut log = Log::declared(true);
    log.push("ana", linked(a, "HighErrorRate"));
    assert_eq!(
        code(log.judge("eve", unlinked(a, ""))),
        Some(RefusalCode::Hidden)
    );
    log.push("ana", EventKind::ImpactStarted {});
    log.push("ana", EventKind::ImpactEnded {});
    log.push(
        "ana",
        EventKind::Resolved {
            summary: String::new(),
        },
    );
    log.push(
        "ana",
        EventKind::RoleAssigned {
            role: Role::Po,
            handle: "ana".into(),
        },
    );
    log.push(
        "ana",
        EventKind::Closed {
            reason: String::new(),
        },
    );
    // A closed incident takes no new link, but an alert can still be taken off it.
    assert_eq!(
        code(log.judge("ana", linked(Uuid::now_v7(), "Other"))),
        Some(RefusalCode::Refused)
    );
    assert_eq!(
        code(log.judge("ana", unlinked(a, "belongs elsewhere"))),
        None
    );
}
