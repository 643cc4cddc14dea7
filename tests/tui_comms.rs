//! The console's comms and fatigue behaviour, driven through `App::update` with an
//! injected clock: drafting with a live checklist, sending, alerts.

// Tests fail by panicking, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::{Duration, FixedOffset, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use uuid::Uuid;
use warroom::domain::event::{Audience, Event, EventKind, Role};
use warroom::tui::app::{App, Effect, Msg};
use warroom::tui::keymap::Keymap;

use common::demo_start as start;

/// The demo incident, its first hour played, opened in a console as `handle`.
fn console(handle: &str, minutes_after: i64) -> (App, Vec<Effect>) {
    let incident = Uuid::from_u128(7);
    let events = common::demo_events(incident, start(), common::numbered_ids(1001));
    let now = start() + Duration::minutes(minutes_after);
    let mut app = App::new(
        handle,
        Keymap::builtin("default").unwrap(),
        now,
        FixedOffset::east_opt(0).unwrap(),
    );
    app.size = (160, 48);
    let effects = app.update(Msg::Loaded {
        id: incident,
        new: events,
        pending: vec![],
        full: true,
    });
    (app, effects)
}

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn typed(app: &mut App, text: &str) -> Vec<Effect> {
    let mut all = Vec::new();
    for c in text.chars() {
        let code = if c == '\n' {
            KeyCode::Enter
        } else {
            KeyCode::Char(c)
        };
        all.extend(key(app, code));
    }
    all
}

#[test]
fn the_checklist_follows_every_keystroke_and_the_draft_is_saved_as_typed() {
    let (mut app, _) = console("jonas", 60);
    key(&mut app, KeyCode::Char('4'));
    key(&mut app, KeyCode::Char('e'));
    assert!(app.editing);
    let effects = typed(&mut app, "SEV2 – Card payments failing");
    let title = app
        .draft()
        .verdict
        .rules
        .iter()
        .find(|r| r.id == "title")
        .unwrap();
    assert!(title.passed);
    // Every keystroke saved the draft; the last save holds the whole text.
    let saves: Vec<&Effect> = effects
        .iter()
        .filter(|e| matches!(e, Effect::SaveDraft { .. }))
        .collect();
    assert_eq!(saves.len(), "SEV2 – Card payments failing".chars().count());
    match saves.last().unwrap() {
        Effect::SaveDraft { text, audience, .. } => {
            assert_eq!(text, "SEV2 – Card payments failing");
            assert_eq!(*audience, Audience::Internal);
        }
        _ => unreachable!(),
    }
    // Esc leaves the editor; then keys are commands again.
    key(&mut app, KeyCode::Esc);
    assert!(!app.editing);
}

#[test]
fn a_passing_update_is_sent_with_its_checklist_and_next_update_time() {
    let (mut app, _) = console("jonas", 60);
    key(&mut app, KeyCode::Char('4'));
    key(&mut app, KeyCode::Char('e'));
    typed(
        &mut app,
        "SEV2 – Card payments failing\n\nA third of card payments fail; wallets work.\n\nCurrent status:\n- Errors near 38%\n- Pool raised\n\nNext steps:\n- Watch errors\n- Find the cause\n\nImpact: customers cannot pay by card; 2,400 external customers and no internal users affected.\nRoot cause: unknown.\nETA: unknown.\nNext update at 22:30 UTC in #inc-payments.",
    );
    assert!(
        app.draft().verdict.passed(),
        "{:?}",
        app.draft().verdict.failed().collect::<Vec<_>>()
    );
    key(&mut app, KeyCode::Esc);
    let effects = key(&mut app, KeyCode::Char('s'));
    let sent = effects.iter().find_map(|e| match e {
        Effect::Record { kinds, .. } => Some(kinds[0].1.clone()),
        _ => None,
    });
    match sent {
        Some(EventKind::CommsSent {
            audience,
            checklist,
            override_reason,
            next_update_due,
            ..
        }) => {
            assert_eq!(audience, Audience::Internal);
            assert!(checklist.failed.is_empty());
            assert_eq!(override_reason, None);
            assert_eq!(
                next_update_due,
                Some(Utc.with_ymd_and_hms(2026, 11, 26, 22, 30, 0).unwrap())
            );
        }
        other => panic!("expected a comms_sent record, got {other:?}"),
    }
    assert!(effects.iter().any(|e| matches!(
        e,
        Effect::Webhook {
            audience: Audience::Internal,
            ..
        }
    )));
    assert!(app.draft().is_empty(), "the sent draft is cleared");
}

#[test]
fn a_failing_draft_needs_a_reason_to_go_out() {
    let (mut app, _) = console("jonas", 60);
    key(&mut app, KeyCode::Char('4'));
    key(&mut app, KeyCode::Char('e'));
    typed(&mut app, "Payments are broken");
    key(&mut app, KeyCode::Esc);
    let effects = key(&mut app, KeyCode::Char('s'));
    assert!(
        effects.iter().all(|e| !matches!(e, Effect::Record { .. })),
        "not sent without a reason"
    );
    // An empty reason is refused; a reason sends it, recorded with the failures.
    assert!(
        key(&mut app, KeyCode::Enter)
            .iter()
            .all(|e| !matches!(e, Effect::Record { .. }))
    );
    typed(&mut app, "the bridge asked for it now");
    let effects = key(&mut app, KeyCode::Enter);
    let sent = effects.iter().find_map(|e| match e {
        Effect::Record { kinds, .. } => Some(kinds[0].1.clone()),
        _ => None,
    });
    match sent {
        Some(EventKind::CommsSent {
            checklist,
            override_reason,
            ..
        }) => {
            assert!(checklist.failed.contains(&"title".to_string()));
            assert_eq!(
                override_reason.as_deref(),
                Some("the bridge asked for it now")
            );
        }
        other => panic!("expected a comms_sent record, got {other:?}"),
    }
}

#[test]
fn an_overdue_update_notifies_once() {
    // The demo promises its next update 42 minutes in; at 60 it is overdue.
    let (mut app, opening) = console("jonas", 60);
    let overdue = |effects: &[Effect]| {
        effects
            .iter()
            .filter(|e| matches!(e, Effect::Notify { title, .. } if title.contains("overdue")))
            .count()
    };
    assert_eq!(overdue(&opening), 1);
    let later = app.update(Msg::Tick(start() + Duration::minutes(61)));
    assert_eq!(overdue(&later), 0, "raised once, not on every tick");
}

#[test]
fn a_role_handed_to_you_notifies_but_roles_you_had_do_not() {
    let (mut app, opening) = console("amira", 60);
    assert!(
        !opening
            .iter()
            .any(|e| matches!(e, Effect::Notify { title, .. } if title.contains("you are now")))
    );
    let id = app.data.as_ref().unwrap().id;
    let seq = app.data.as_ref().unwrap().last_seq() + 1;
    let ev = Event {
        id: Uuid::from_u128(99),
        incident: id,
        seq: Some(seq),
        at: start() + Duration::minutes(61),
        recorded_at: None,
        author: "jonas".into(),
        persona: None,
        kind: EventKind::RoleAssigned {
            role: Role::Po,
            handle: "amira".into(),
        },
    };
    let effects = app.update(Msg::Loaded {
        id,
        new: vec![ev],
        pending: vec![],
        full: false,
    });
    assert!(
        effects.iter().any(
            |e| matches!(e, Effect::Notify { title, .. } if title.contains("Postmortem Owner"))
        ),
        "{effects:?}"
    );
}

#[test]
fn a_tired_commander_gets_a_suggested_relief_and_one_key_opens_the_handover() {
    // Three hours after taking command, jonas is past the in-role warning.
    let (mut app, _) = console("jonas", 48 + 3 * 60 + 5);
    assert!(
        app.suggestions().is_empty(),
        "nobody is free to take over yet"
    );
    let id = app.data.as_ref().unwrap().id;
    let seq = app.data.as_ref().unwrap().last_seq() + 1;
    let fresh = Event {
        id: Uuid::from_u128(98),
        incident: id,
        seq: Some(seq),
        at: start() + Duration::minutes(200),
        recorded_at: None,
        author: "kai".into(),
        persona: None,
        kind: EventKind::ResponderJoined {
            handle: "kai".into(),
            skills: vec!["incident-command".into()],
        },
    };
    app.update(Msg::Loaded {
        id,
        new: vec![fresh],
        pending: vec![],
        full: false,
    });
    let suggestions = app.suggestions();
    assert!(
        suggestions
            .iter()
            .any(|s| s.role == Role::Ic && s.from == "jonas"),
        "{suggestions:?}"
    );
    key(&mut app, KeyCode::Char('5'));
    key(&mut app, KeyCode::Enter);
    match &app.overlay {
        warroom::tui::app::Overlay::Form(form) => {
            assert_eq!(form.title, "Hand over command");
            let to = suggestions
                .iter()
                .find(|s| s.role == Role::Ic)
                .unwrap()
                .to
                .clone();
            assert_eq!(form.value(0), to);
            assert!(form.value(1).contains("Current state:"));
        }
        _ => panic!("the handover form should be open"),
    }
}
