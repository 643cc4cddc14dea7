//! Tests of `verbs`: the `:` line's grammar and what each verb plans.

use super::*;
use crate::domain::event::{Outcome, Verdict};
use crate::domain::lang::Lang;
use chrono::{Duration, TimeZone};

fn at(minute: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 3, 0, 0).unwrap() + Duration::minutes(minute)
}

/// An incident with a theory pair, an experiment testing both, a change request and a
/// responder, commanded by ana.
fn incident() -> (Incident, Vec<Event>) {
    let id = Uuid::now_v7();
    let mut events = Vec::new();
    let mut push = |author: &str, kind: EventKind| {
        let n = events.len() as i64;
        events.push(Event {
            id: Uuid::now_v7(),
            incident: id,
            seq: Some(n + 1),
            at: at(n),
            recorded_at: Some(at(n)),
            author: author.into(),
            persona: None,
            kind,
        });
        events.last().map(|e| e.id).unwrap()
    };
    push(
        "ana",
        EventKind::IncidentDeclared {
            title: "Checkout errors".into(),
            severity: Severity::MAJOR,
            summary: String::new(),
            drill: false,
            restricted: false,
        },
    );
    push(
        "bo",
        EventKind::ResponderJoined {
            handle: "bo".into(),
            skills: vec![],
        },
    );
    let t1 = push(
        "bo",
        EventKind::Theory {
            text: "deploy".into(),
        },
    );
    let t2 = push(
        "bo",
        EventKind::Theory {
            text: "pool".into(),
        },
    );
    push(
        "bo",
        EventKind::Experiment {
            plan: "roll back".into(),
            tests: vec![t1, t2],
        },
    );
    push(
        "bo",
        EventKind::ChangeRequested {
            description: "roll back pay-3".into(),
        },
    );
    (Incident::fold(id, &events), events)
}

fn plan_as(me: &str, line: &str) -> Result<Plan, String> {
    let (state, events) = incident();
    let verb = parse_line(line, &state.id().to_string())?;
    let no_files = |p: &str| Err(format!("no file {p} here"));
    let scene = Scene {
        state: &state,
        events: events.iter().collect(),
        me,
        now: at(30),
        local: FixedOffset::east_opt(0).unwrap(),
        read: &no_files,
        languages: &[Lang::En],
    };
    verb.plan(&scene)
}

fn one_kind(plan: Plan) -> EventKind {
    assert_eq!(plan.events.len(), 1, "{plan:?}");
    plan.events.into_iter().next().unwrap().1
}

#[test]
fn words_split_as_a_shell_would() {
    assert_eq!(
        split_words(r#"log "rolled back" pay-3 'it''s' a\ b"#).unwrap(),
        vec!["log", "rolled back", "pay-3", "its", "a b"]
    );
    assert!(split_words("log \"open").is_err());
    assert!(split_words("   ").unwrap().is_empty());
}

#[test]
fn the_line_takes_the_command_lines_words_without_the_incident() {
    let kind = one_kind(plan_as("ana", "log rolled back pay-3").unwrap());
    assert_eq!(
        kind,
        EventKind::Note {
            text: "rolled back pay-3".into()
        }
    );
    let kind = one_kind(plan_as("ana", "assign ol bo").unwrap());
    assert_eq!(
        kind,
        EventKind::RoleAssigned {
            role: Role::Ol,
            handle: "bo".into()
        }
    );
    let plan = plan_as("ana", "approve").unwrap();
    assert!(
        plan.said.contains("approved C1 (bo's change)"),
        "{}",
        plan.said
    );
    let kind = one_kind(plan_as("bo", "outcome E1 T1=refutes T2=s --notes 'same errors'").unwrap());
    let EventKind::ExperimentOutcome {
        verdicts, notes, ..
    } = kind
    else {
        panic!("not an outcome");
    };
    assert_eq!(notes, "same errors");
    assert_eq!(
        verdicts.iter().map(|v| v.outcome).collect::<Vec<_>>(),
        vec![Outcome::Refutes, Outcome::Supports]
    );
    let _: Vec<Verdict> = verdicts;
}

#[test]
fn mistakes_get_one_sentence() {
    let unknown = plan_as("ana", "frobnicate now").unwrap_err();
    assert!(unknown.contains("`frobnicate` is not an act"), "{unknown}");
    let missing = plan_as("ana", "deny C1").unwrap_err();
    assert!(missing.contains("--reason"), "{missing}");
    assert!(!missing.contains('\n'), "{missing}");
    let role = plan_as("ana", "assign boss bo").unwrap_err();
    assert!(role.contains("`boss` is not a role"), "{role}");
    let one = plan_as("bo", "outcome supports").unwrap_err();
    assert!(one.contains("T1=… T2=…"), "{one}");
    let theory = plan_as("bo", "experiment try it --tests T9").unwrap_err();
    assert!(theory.contains("`T9` is not a theory"), "{theory}");
    let none = plan_as("ana", "approve C7").unwrap_err();
    assert!(none.contains("no change request C7"), "{none}");
    let file = plan_as("ana", "send update.txt").unwrap_err();
    assert!(file.contains("no file update.txt"), "{file}");
    let empty = plan_as("ana", "").unwrap_err();
    assert!(empty.contains("type a verb"), "{empty}");
}

#[test]
fn every_name_is_a_verb_the_parser_knows() {
    let (state, _) = incident();
    for name in NAMES {
        let e = parse_line(name, &state.id().to_string());
        if let Err(e) = e {
            assert!(!e.contains("is not an act"), "{name}: {e}");
            assert!(!e.contains("unrecognized subcommand"), "{name}: {e}");
        }
    }
}

#[test]
fn an_update_that_fails_its_checks_needs_an_override() {
    let (state, events) = incident();
    let draft = "SEV2 – Checkout errors\n\nSomething is wrong.\n";
    let read = |_: &str| Ok(draft.to_string());
    let scene = Scene {
        state: &state,
        events: events.iter().collect(),
        me: "ana",
        now: at(30),
        local: FixedOffset::east_opt(0).unwrap(),
        read: &read,
        languages: &[Lang::En],
    };
    let refused = parse_line("send u.txt", &state.id().to_string())
        .unwrap()
        .plan(&scene)
        .unwrap_err();
    assert!(refused.contains("--override"), "{refused}");
    let sent = parse_line("send u.txt --override 'the checker is wrong'", "x")
        .unwrap()
        .plan(&scene)
        .unwrap();
    let EventKind::CommsSent {
        override_reason,
        checklist,
        ..
    } = one_kind(sent)
    else {
        panic!("not an update");
    };
    assert_eq!(override_reason.as_deref(), Some("the checker is wrong"));
    assert!(!checklist.failed.is_empty());
}

#[test]
fn a_page_names_its_team_and_says_the_title_unless_told_otherwise() {
    let kind = one_kind(plan_as("ana", "page dba").unwrap());
    assert_eq!(
        kind,
        EventKind::PageRequested {
            team: "dba".into(),
            provider: None,
            message: "Checkout errors".into(),
        }
    );
    let kind = one_kind(plan_as("ana", "page dba --message 'need a DBA now'").unwrap());
    assert!(
        matches!(&kind, EventKind::PageRequested { message, .. } if message == "need a DBA now"),
        "{kind:?}"
    );
    let e = plan_as("ana", "page 'two words'").unwrap_err();
    assert!(e.contains("the team"), "{e}");
}

const EXTERNAL_EN: &str = "SEV2 – Checkout errors

Some card payments are failing; other payment methods work.

Impact: customers cannot pay by card; about a third of card payments are affected.
Root cause: not yet known.
ETA: unknown.
Next update in 30 minutes on our status page.
";

const EXTERNAL_FR: &str = "SEV2 – Erreurs au paiement

Une partie des paiements par carte échoue ; les autres moyens de paiement fonctionnent.

Impact : les clients ne peuvent pas payer par carte ; environ un tiers des paiements par carte sont concernés.
Cause : pas encore identifiée.
Rétablissement : aucune estimation pour l’instant.
Prochaine mise à jour dans 30 minutes sur notre page de statut.
";

/// `send …` planned with `languages` configured, reading en.txt, fr.txt and, for a
/// French version left in English, en-as-fr.txt; `-` reads the French one.
fn send_in(languages: &[Lang], line: &str) -> Result<Plan, String> {
    let (state, events) = incident();
    let read = |p: &str| match p {
        "en.txt" | "en-as-fr.txt" => Ok(EXTERNAL_EN.to_string()),
        "fr.txt" | "-" => Ok(EXTERNAL_FR.to_string()),
        other => Err(format!("no file {other} here")),
    };
    let scene = Scene {
        state: &state,
        events: events.iter().collect(),
        me: "ana",
        now: at(30),
        local: FixedOffset::east_opt(0).unwrap(),
        read: &read,
        languages,
    };
    parse_line(line, "x").unwrap().plan(&scene)
}

#[test]
fn an_external_update_in_two_languages_carries_both_each_checked_in_its_own() {
    let both = [Lang::En, Lang::Fr];
    let plan = send_in(
        &both,
        "send en.txt --audience external --translation fr=fr.txt",
    )
    .unwrap();
    assert!(plan.said.contains("in English and French"), "{}", plan.said);
    match one_kind(plan) {
        EventKind::CommsSent {
            text,
            checklist,
            lang,
            versions,
            override_reason,
            ..
        } => {
            assert_eq!(text, EXTERNAL_EN.trim_end());
            assert!(checklist.failed.is_empty(), "{checklist:?}");
            assert!(checklist.passed.contains(&"language".to_string()));
            assert_eq!(lang, Some(Lang::En));
            assert_eq!(versions.len(), 1);
            assert_eq!(versions[0].lang, Lang::Fr);
            assert_eq!(versions[0].text, EXTERNAL_FR.trim_end());
            assert!(
                versions[0].checklist.failed.is_empty(),
                "{:?}",
                versions[0].checklist
            );
            assert_eq!(override_reason, None);
        }
        other => panic!("{other:?}"),
    }
    // French first: FILE is French, the English one a translation.
    let plan = send_in(
        &[Lang::Fr, Lang::En],
        "send fr.txt --audience external --translation en=en.txt",
    )
    .unwrap();
    assert!(matches!(
        one_kind(plan),
        EventKind::CommsSent { lang: Some(Lang::Fr), ref versions, .. } if versions[0].lang == Lang::En
    ));
    // Standard input serves one of them.
    assert!(send_in(&both, "send en.txt --audience external --translation fr=-").is_ok());
}

#[test]
fn a_missing_or_failing_version_is_refused_naming_its_language() {
    let both = [Lang::En, Lang::Fr];
    let e = send_in(&both, "send en.txt --audience external").unwrap_err();
    assert!(
        e.contains("written in English and French") && e.contains("--translation fr=FILE"),
        "{e}"
    );
    let e = send_in(
        &both,
        "send en.txt --audience external --translation fr=en-as-fr.txt",
    )
    .unwrap_err();
    assert!(
        e.contains("the French version fails") && e.contains("Written in French"),
        "{e}"
    );
    assert!(!e.contains("the English version"), "{e}");
    assert!(e.contains("--override"), "{e}");
    let sent = send_in(
        &both,
        "send en.txt --audience external --translation fr=en-as-fr.txt --override 'translator asleep'",
    )
    .unwrap();
    match one_kind(sent) {
        EventKind::CommsSent {
            override_reason,
            versions,
            ..
        } => {
            assert_eq!(override_reason.as_deref(), Some("translator asleep"));
            assert!(
                versions[0]
                    .checklist
                    .failed
                    .contains(&"language".to_string())
            );
        }
        other => panic!("{other:?}"),
    }
    for (line, says) in [
        (
            "send en.txt --audience external --translation fr=fr.txt --translation fr=fr.txt",
            "two French versions",
        ),
        (
            "send en.txt --audience external --translation en=fr.txt",
            "already the English version",
        ),
        (
            "send en.txt --audience external --translation fr:fr.txt",
            "LANG=FILE",
        ),
        (
            "send en.txt --audience external --translation de=fr.txt",
            "`de`",
        ),
        (
            "send - --audience external --translation fr=-",
            "standard input",
        ),
        (
            "send en.txt --audience internal --translation fr=fr.txt",
            "internal updates are one text",
        ),
    ] {
        let e = send_in(&both, line).unwrap_err();
        assert!(e.contains(says), "{line}: {e}");
    }
}

#[test]
fn with_one_language_an_update_stays_one_text_and_translations_are_refused() {
    let e = send_in(
        &[Lang::En],
        "send en.txt --audience external --translation fr=fr.txt",
    )
    .unwrap_err();
    assert!(e.contains("[comms] languages = [\"en\", \"fr\"]"), "{e}");
    let plan = send_in(&[Lang::En], "send en.txt --audience external").unwrap();
    assert!(matches!(
        one_kind(plan),
        // An external update names its language, so the status page marks it right
        // whatever languages come later.
        EventKind::CommsSent { lang: Some(Lang::En), ref versions, ref checklist, .. }
            if versions.is_empty() && !checklist.passed.contains(&"language".to_string())
    ));
    // Internal updates stay one text whatever is configured.
    let e = send_in(&[Lang::En, Lang::Fr], "send en.txt").unwrap_err();
    assert!(e.starts_with("the update fails"), "{e}");
}

#[test]
fn unlink_alert_names_a_linked_alert_by_id_or_fingerprint() {
    let (mut state, mut events) = incident();
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    for (alert, fingerprint, name) in [
        (a, "f00d000000000001", "HighErrorRate"),
        (b, "f00e000000000002", "HighErrorRate"),
    ] {
        let ev = Event {
            id: Uuid::now_v7(),
            incident: state.id(),
            seq: Some(events.len() as i64 + 1),
            at: at(20),
            recorded_at: Some(at(20)),
            author: "bo".into(),
            persona: None,
            kind: EventKind::AlertLinked {
                alert,
                fingerprint: fingerprint.into(),
                name: name.into(),
                summary: String::new(),
            },
        };
        state.apply(&ev);
        events.push(ev);
    }
    let no_files = |p: &str| Err(format!("no file {p} here"));
    let plan = |line: &str| {
        let scene = Scene {
            state: &state,
            events: events.iter().collect(),
            me: "bo",
            now: at(30),
            local: FixedOffset::east_opt(0).unwrap(),
            read: &no_files,
            languages: &[Lang::En],
        };
        parse_line(line, &state.id().to_string())?.plan(&scene)
    };
    let p = plan("unlink-alert F00E --reason 'wrong incident'").unwrap();
    assert_eq!(p.said, "alert HighErrorRate (f00e0000) unlinked");
    assert_eq!(
        one_kind(p),
        EventKind::AlertUnlinked {
            alert: b,
            reason: "wrong incident".into()
        }
    );
    let p = plan(&format!("unlink-alert {a}")).unwrap();
    assert_eq!(
        one_kind(p),
        EventKind::AlertUnlinked {
            alert: a,
            reason: String::new()
        }
    );
    let both = plan("unlink-alert f00").unwrap_err();
    assert!(both.contains("matches 2 linked alerts"), "{both}");
    let none = plan("unlink-alert beef").unwrap_err();
    assert!(
        none.contains("no alert linked to this incident matches `beef`"),
        "{none}"
    );
    let missing = plan("unlink-alert").unwrap_err();
    assert!(missing.contains("<ALERT>"), "{missing}");
    // Nothing linked: said so.
    let nothing = plan_as("bo", "unlink-alert f00d").unwrap_err();
    assert_eq!(nothing, "no alert is linked to this incident");
}
