//! The console's `:` line without a terminal: the command line's verbs typed on the open
//! incident, Tab completion, the history, and mistakes answered in the line itself.

// Tests fail by panicking, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::{DateTime, Duration, FixedOffset, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use warroom::domain::event::{Event, EventKind, Role};
use warroom::tui::app::{App, Effect, Msg, Overlay};
use warroom::tui::keymap::Keymap;

use common::{DEMO_INCIDENT as INCIDENT, demo_start as start};

fn now() -> DateTime<Utc> {
    start() + Duration::minutes(60)
}

fn demo_events() -> Vec<Event> {
    common::demo_events(INCIDENT, start(), common::demo_ids())
}

/// The demo open as `handle` (jonas commands it after maya's handover).
fn demo_as(handle: &str) -> App {
    let keymap = Keymap::builtin("default").expect("the default keymap");
    let mut app = App::new(handle, keymap, now(), FixedOffset::east_opt(0).unwrap());
    app.update(Msg::Resize(120, 40));
    app.update(Msg::Loaded {
        id: INCIDENT,
        new: demo_events(),
        pending: vec![],
        full: true,
    });
    app
}

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        assert!(key(app, KeyCode::Char(c)).is_empty(), "typing {c:?}");
    }
}

fn line(app: &App) -> (String, Option<String>, Vec<String>) {
    match &app.overlay {
        Overlay::Command(l) => (l.text.clone(), l.error.clone(), l.offers.clone()),
        _ => panic!("the command line is not open"),
    }
}

fn recorded(effects: &[Effect]) -> Vec<EventKind> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Record { kinds, .. } => Some(kinds.iter().map(|(_, k)| k.clone())),
            _ => None,
        })
        .flatten()
        .collect()
}

#[test]
fn a_verb_typed_after_colon_is_recorded_and_remembered() {
    let mut app = demo_as("tomas");
    key(&mut app, KeyCode::Char(':'));
    typed(&mut app, "log rolled back pay-3");
    let effects = key(&mut app, KeyCode::Enter);
    assert_eq!(
        recorded(&effects),
        vec![EventKind::Note {
            text: "rolled back pay-3".into()
        }]
    );
    assert!(
        effects.contains(&Effect::RememberCommand("log rolled back pay-3".into())),
        "{effects:?}"
    );
    assert!(matches!(app.overlay, Overlay::None));
    // Up brings it back, Down returns to what was being typed.
    key(&mut app, KeyCode::Char(':'));
    typed(&mut app, "obs");
    key(&mut app, KeyCode::Up);
    assert_eq!(line(&app).0, "log rolled back pay-3");
    key(&mut app, KeyCode::Down);
    assert_eq!(line(&app).0, "obs");
}

#[test]
fn tab_completes_verbs_roles_and_handles() {
    let mut app = demo_as("jonas");
    key(&mut app, KeyCode::Char(':'));
    typed(&mut app, "ass");
    key(&mut app, KeyCode::Tab);
    assert_eq!(line(&app).0, "assign ");
    typed(&mut app, "o");
    key(&mut app, KeyCode::Tab);
    assert_eq!(line(&app).0, "assign OL ");
    typed(&mut app, "to");
    key(&mut app, KeyCode::Tab);
    assert_eq!(line(&app).0, "assign OL tomas ");
    // Several fit: their common start, and they are offered.
    let mut app = demo_as("jonas");
    key(&mut app, KeyCode::Char(':'));
    typed(&mut app, "re");
    key(&mut app, KeyCode::Tab);
    let (text, _, offers) = line(&app);
    assert_eq!(text, "re");
    for verb in ["release", "request-change", "redact", "reopen", "resolve"] {
        assert!(offers.iter().any(|o| o == verb), "{verb} in {offers:?}");
    }
    let effects = {
        typed(&mut app, "lease cl");
        key(&mut app, KeyCode::Enter)
    };
    assert_eq!(
        recorded(&effects),
        vec![EventKind::RoleReleased { role: Role::Cl }]
    );
}

#[test]
fn mistakes_are_answered_in_the_line_which_stays_open() {
    let mut app = demo_as("tomas");
    key(&mut app, KeyCode::Char(':'));
    typed(&mut app, "frobnicate it");
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    let (text, error, _) = line(&app);
    assert_eq!(text, "frobnicate it", "the line is kept to fix");
    assert!(error.unwrap().contains("`frobnicate` is not an act"));
    // The rule book's refusal: only the IC decides change requests.
    key(&mut app, KeyCode::Char('u'));
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('u'),
        KeyModifiers::CONTROL,
    )));
    typed(&mut app, "severity 1 --reason worse");
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    let error = line(&app).1.unwrap();
    assert!(error.contains("incident commander"), "{error}");
    // A missing argument: the command line's own sentence.
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('u'),
        KeyModifiers::CONTROL,
    )));
    typed(&mut app, "deny C1");
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    let error = line(&app).1.unwrap();
    assert!(error.contains("--reason"), "{error}");
    assert!(!error.contains('\n'), "{error}");
    // Esc closes it without recording anything.
    assert!(key(&mut app, KeyCode::Esc).is_empty());
    assert!(matches!(app.overlay, Overlay::None));
}

#[test]
fn the_ic_outcome_and_approval_take_the_same_words_as_the_cli() {
    let mut events = demo_events();
    let t1 = {
        let app = demo_as("jonas");
        app.data.as_ref().unwrap().state.board.theories[2].id
    };
    let n = events.len() as i64;
    events.push(Event {
        id: uuid::Uuid::now_v7(),
        incident: INCIDENT,
        seq: Some(n + 1),
        at: now() - Duration::minutes(1),
        recorded_at: Some(now() - Duration::minutes(1)),
        author: "tomas".into(),
        persona: None,
        kind: EventKind::Experiment {
            plan: "halve the pool".into(),
            tests: vec![t1],
        },
    });
    let keymap = Keymap::builtin("default").unwrap();
    let mut app = App::new("tomas", keymap, now(), FixedOffset::east_opt(0).unwrap());
    app.update(Msg::Resize(120, 40));
    app.update(Msg::Loaded {
        id: INCIDENT,
        new: events,
        pending: vec![],
        full: true,
    });
    key(&mut app, KeyCode::Char(':'));
    typed(&mut app, "outcome E3 T3=refutes --notes 'queue grew'");
    let kinds = recorded(&key(&mut app, KeyCode::Enter));
    let [
        EventKind::ExperimentOutcome {
            verdicts, notes, ..
        },
    ] = kinds.as_slice()
    else {
        panic!("{kinds:?}");
    };
    assert_eq!(notes, "queue grew");
    assert_eq!(verdicts.len(), 1);
    assert_eq!(verdicts[0].theory, t1);
}
