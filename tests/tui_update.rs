//! The console's `update` without a terminal: crossterm key events in, state and effects
//! out. Time is fixed and the incident is the built-in demo scenario, confirmed with seqs
//! 1..N, so every test starts from the same state.

// Tests fail by panicking, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::{DateTime, Duration, FixedOffset, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use uuid::Uuid;
use warroom::domain::describe;
use warroom::domain::event::{Event, EventKind, Outcome, Verdict};
use warroom::tui::app::{App, Effect, Msg, Overlay, Pane, RosterRow, Screen};
use warroom::tui::keymap::Keymap;
use warroom::tui::view;

// The demo incident, declared at `start()`: 21:00 UTC on 26 November 2026.
use common::{DEMO_INCIDENT as INCIDENT, demo_start as start};

/// The console's clock: an hour into the incident.
fn now() -> DateTime<Utc> {
    start() + Duration::minutes(60)
}

/// The demo scenario as confirmed events with seqs 1..N and deterministic ids
/// (0190d5a0-0000-7000-8000-0000000010nn).
fn demo_events() -> Vec<Event> {
    common::demo_events(INCIDENT, start(), common::demo_ids())
}

/// One more confirmed event after `events`, with the next seq.
fn next_event(events: &[Event], id: u128, author: &str, kind: EventKind) -> Event {
    let seq = events.len() as i64 + 1;
    Event {
        id: Uuid::from_u128(0x0190_d5a0_0000_7000_8000_0000_0000_2000 | id),
        incident: INCIDENT,
        seq: Some(seq),
        at: now() - Duration::seconds(30),
        recorded_at: Some(now()),
        author: author.into(),
        persona: None,
        kind,
    }
}

fn app_as(handle: &str) -> App {
    let keymap = Keymap::builtin("default").expect("the default keymap");
    let mut app = App::new(handle, keymap, now(), FixedOffset::east_opt(0).unwrap());
    app.update(Msg::Resize(80, 24));
    app
}

/// The console as `handle`, with `events` loaded.
fn loaded_as(handle: &str, events: Vec<Event>) -> App {
    let mut app = app_as(handle);
    let effects = app.update(Msg::Loaded {
        id: INCIDENT,
        new: events,
        pending: vec![],
        full: true,
    });
    // Opening an incident asks for its saved drafts, and may raise alerts; nothing else.
    assert!(
        effects.contains(&Effect::LoadDrafts(INCIDENT)),
        "drafts are loaded: {effects:?}"
    );
    assert!(
        effects
            .iter()
            .all(|e| matches!(e, Effect::LoadDrafts(_) | Effect::Notify { .. })),
        "loading records nothing: {effects:?}"
    );
    assert_eq!(app.screen, Screen::Incident);
    app
}

/// The demo loaded, as maya (who declared it and has since handed command to jonas).
fn demo() -> App {
    loaded_as("maya", demo_events())
}

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn press(app: &mut App, c: char) -> Vec<Effect> {
    app.update(key(KeyCode::Char(c)))
}

fn enter(app: &mut App) -> Vec<Effect> {
    app.update(key(KeyCode::Enter))
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        let effects = press(app, c);
        assert!(effects.is_empty(), "typing {c:?} had effects: {effects:?}");
    }
}

fn form_error(app: &App) -> Option<String> {
    match &app.overlay {
        Overlay::Form(f) => f.error.clone(),
        _ => None,
    }
}

fn chooser_title(app: &App) -> Option<String> {
    match &app.overlay {
        Overlay::Choose(c) => Some(c.title.clone()),
        _ => None,
    }
}

fn form_title(app: &App) -> Option<String> {
    match &app.overlay {
        Overlay::Form(f) => Some(f.title.clone()),
        _ => None,
    }
}

/// The one event kind an effect list records, with its time.
fn recorded(effects: &[Effect]) -> (DateTime<Utc>, EventKind) {
    match effects {
        [
            Effect::Record {
                incident, kinds, ..
            },
        ] => {
            assert_eq!(*incident, INCIDENT);
            assert_eq!(kinds.len(), 1, "one event: {kinds:?}");
            kinds[0].clone()
        }
        other => panic!("expected exactly one Effect::Record, got {other:?}"),
    }
}

fn selected_text(app: &App) -> String {
    let ev = app.selected_event().expect("a selected entry");
    format!(
        "{} {} {}",
        ev.author,
        describe::label(&ev.kind),
        describe::text(&ev.kind)
    )
    .to_lowercase()
}

// ---- entries ------------------------------------------------------------------------

#[test]
fn a_note_takes_one_key_then_the_text_and_enter() {
    let mut app = demo();
    assert!(press(&mut app, 'n').is_empty());
    assert_eq!(form_title(&app).as_deref(), Some("Note"));
    type_text(&mut app, "Paged the DBA");
    let effects = enter(&mut app);
    let (at, kind) = recorded(&effects);
    assert_eq!(
        kind,
        EventKind::Note {
            text: "Paged the DBA".into()
        }
    );
    assert_eq!(at, now(), "a note is stamped with the injected clock");
    assert!(matches!(app.overlay, Overlay::None), "the form closes");
}

#[test]
fn an_empty_note_is_refused_in_the_form() {
    let mut app = demo();
    press(&mut app, 'n');
    let effects = enter(&mut app);
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(form_error(&app).as_deref(), Some("the note is empty"));
}

#[test]
fn detection_before_start_of_impact_is_refused_with_the_reason_in_the_form() {
    let mut app = demo();
    let started = app.data.as_ref().unwrap().state.impact.started;
    assert_eq!(started, Some(start() - Duration::minutes(9)));
    assert!(press(&mut app, 'd').is_empty());
    assert!(
        form_title(&app).unwrap().starts_with("Set detection"),
        "{:?}",
        form_title(&app)
    );
    type_text(&mut app, "2026-11-26T20:40:00Z");
    let effects = enter(&mut app);
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::Record { .. })),
        "nothing is recorded: {effects:?}"
    );
    let err = form_error(&app).expect("the form says why");
    assert!(
        err.contains("cannot come before start of impact"),
        "reason: {err}"
    );
    assert!(err.contains("20:40") && err.contains("20:51"), "{err}");
    // A sound time then goes through from the same form.
    for _ in 0.."2026-11-26T20:40:00Z".len() {
        app.update(key(KeyCode::Backspace));
    }
    type_text(&mut app, "20:55");
    let (at, kind) = recorded(&enter(&mut app));
    assert_eq!(kind, EventKind::Detected {});
    assert_eq!(at, start() - Duration::minutes(5));
}

// ---- panes, zoom, help --------------------------------------------------------------

#[test]
fn tab_and_digits_move_the_focus() {
    let mut app = demo();
    assert_eq!(app.focus, Pane::Timeline);
    let mut seen = vec![app.focus];
    for _ in 0..5 {
        app.update(key(KeyCode::Tab));
        seen.push(app.focus);
    }
    assert_eq!(
        seen,
        [
            Pane::Timeline,
            Pane::Roster,
            Pane::Board,
            Pane::Comms,
            Pane::Fatigue,
            Pane::Timeline
        ]
    );
    app.update(key(KeyCode::BackTab));
    assert_eq!(app.focus, Pane::Fatigue);
    for (c, pane) in [
        ('3', Pane::Board),
        ('1', Pane::Timeline),
        ('5', Pane::Fatigue),
        ('2', Pane::Roster),
        ('4', Pane::Comms),
    ] {
        press(&mut app, c);
        assert_eq!(app.focus, pane, "after {c}");
    }
}

#[test]
fn z_zooms_the_focused_pane_and_again_unzooms() {
    let mut app = demo();
    app.update(Msg::Resize(160, 48));
    assert_eq!(view::pane_rects(&app).len(), 5);
    press(&mut app, '3');
    press(&mut app, 'z');
    assert!(app.zoom);
    let rects = view::pane_rects(&app);
    assert_eq!(rects.len(), 1);
    assert_eq!(rects[0].0, Pane::Board);
    assert_eq!(rects[0].1.width, 160, "the zoomed pane takes the width");
    press(&mut app, 'z');
    assert!(!app.zoom);
    assert_eq!(view::pane_rects(&app).len(), 5);
    // Esc also unzooms, without leaving the incident.
    press(&mut app, 'z');
    app.update(key(KeyCode::Esc));
    assert!(!app.zoom);
    assert_eq!(app.screen, Screen::Incident);
}

#[test]
fn question_mark_opens_and_closes_help() {
    let mut app = demo();
    press(&mut app, '?');
    assert!(matches!(app.overlay, Overlay::Help));
    // Keys do nothing else while help is open.
    let effects = press(&mut app, '?');
    assert!(effects.is_empty());
    assert!(matches!(app.overlay, Overlay::None));
    assert!(!app.quit);
    press(&mut app, '?');
    press(&mut app, 'n');
    assert!(
        matches!(app.overlay, Overlay::None),
        "any key closes help, and n does not open a note behind it"
    );
}

// ---- timeline -----------------------------------------------------------------------

#[test]
fn follow_keeps_the_newest_entry_selected_until_the_user_moves_up() {
    let mut events = demo_events();
    let n = events.len();
    let mut app = loaded_as("maya", events.clone());
    assert!(app.timeline.follow);
    assert_eq!(app.timeline.selected, n - 1);

    let first = next_event(&events, 1, "tomas", EventKind::Note { text: "one".into() });
    events.push(first.clone());
    app.update(Msg::Loaded {
        id: INCIDENT,
        new: vec![first.clone()],
        pending: vec![],
        full: false,
    });
    assert_eq!(app.visible_rows(), n + 1);
    assert_eq!(
        app.timeline.selected, n,
        "following: the new entry is selected"
    );
    assert_eq!(app.selected_event().map(|e| e.id), Some(first.id));
    let h = view::pane_height(&app, Pane::Timeline) as usize;
    assert_eq!(
        app.timeline.offset,
        n + 1 - h,
        "the newest entry sits on the last line"
    );

    app.update(key(KeyCode::Up));
    assert!(!app.timeline.follow, "moving up stops following");
    assert_eq!(app.timeline.selected, n - 1);
    let second = next_event(&events, 2, "tomas", EventKind::Note { text: "two".into() });
    app.update(Msg::Loaded {
        id: INCIDENT,
        new: vec![second],
        pending: vec![],
        full: false,
    });
    assert_eq!(app.visible_rows(), n + 2);
    assert_eq!(
        app.timeline.selected,
        n - 1,
        "not following: the selection stays"
    );

    app.update(key(KeyCode::Home));
    assert_eq!(app.timeline.selected, 0);
    assert_eq!(app.timeline.offset, 0);
    app.update(key(KeyCode::Down));
    assert_eq!(app.timeline.selected, 1);
    app.update(key(KeyCode::PageDown));
    assert_eq!(app.timeline.selected, 1 + h);
    app.update(key(KeyCode::End));
    assert!(app.timeline.follow, "end follows again");
    assert_eq!(app.timeline.selected, n + 1);
    press(&mut app, ' ');
    assert!(!app.timeline.follow, "space toggles follow off");
    app.update(key(KeyCode::Home));
    press(&mut app, ' ');
    assert!(app.timeline.follow);
    assert_eq!(
        app.timeline.selected,
        n + 1,
        "following jumps to the newest"
    );
}

#[test]
fn search_selects_a_match_and_bracket_moves_to_the_next() {
    let mut app = demo();
    press(&mut app, '/');
    assert_eq!(form_title(&app).as_deref(), Some("Search the timeline"));
    type_text(&mut app, "Tokeniser");
    assert!(enter(&mut app).is_empty());
    assert!(matches!(app.overlay, Overlay::None));
    assert_eq!(app.timeline.search.as_deref(), Some("Tokeniser"));
    assert!(!app.timeline.follow);
    let first = app.timeline.selected;
    assert!(
        selected_text(&app).contains("tokeniser"),
        "{}",
        selected_text(&app)
    );

    press(&mut app, ']');
    let second = app.timeline.selected;
    assert_ne!(second, first, "] moves to another match");
    assert!(
        selected_text(&app).contains("tokeniser"),
        "{}",
        selected_text(&app)
    );
    // Every row between two matches going forward does not match.
    let d = app.data.as_ref().unwrap();
    let n = app.visible_rows();
    let mut i = (first + 1) % n;
    while i != second {
        let (ev, _) = d.row(i).unwrap();
        assert!(
            !describe::text(&ev.kind)
                .to_lowercase()
                .contains("tokeniser"),
            "row {i} matches but was skipped"
        );
        i = (i + 1) % n;
    }
    press(&mut app, '[');
    assert_eq!(app.timeline.selected, first, "[ goes back");

    press(&mut app, '/');
    for _ in 0.."Tokeniser".len() {
        app.update(key(KeyCode::Backspace));
    }
    type_text(&mut app, "no such words anywhere");
    enter(&mut app);
    assert_eq!(
        app.timeline.selected, first,
        "no match: the selection stays"
    );
    let (msg, error) = app.message.clone().expect("a message");
    assert!(error && msg.contains("no entry matches"), "{msg}");
}

#[test]
fn filter_by_kind_shows_only_theories() {
    let mut app = demo();
    let theories = app.data.as_ref().unwrap().state.board.theories.len();
    assert_eq!(theories, 3);
    press(&mut app, 'f');
    type_text(&mut app, "kind:theory");
    assert!(enter(&mut app).is_empty());
    assert_eq!(app.visible_rows(), theories);
    let d = app.data.as_ref().unwrap();
    for i in 0..app.visible_rows() {
        let row = app.row_index(i).unwrap();
        let (ev, _) = d.row(row).unwrap();
        assert!(
            matches!(ev.kind, EventKind::Theory { .. }),
            "row {i}: {:?}",
            ev.kind
        );
    }
    assert_eq!(app.timeline.selected, theories - 1);

    // The filter keeps applying to what arrives.
    let mut events = demo_events();
    let note = next_event(&events, 1, "lee", EventKind::Note { text: "n".into() });
    events.push(note.clone());
    let theory = next_event(
        &events,
        2,
        "lee",
        EventKind::Theory {
            text: "a fourth".into(),
        },
    );
    app.update(Msg::Loaded {
        id: INCIDENT,
        new: vec![note, theory.clone()],
        pending: vec![],
        full: false,
    });
    assert_eq!(app.visible_rows(), theories + 1);
    assert_eq!(app.selected_event().map(|e| e.id), Some(theory.id));

    press(&mut app, 'F');
    assert_eq!(app.visible_rows(), events.len() + 1, "F shows everything");
}

#[test]
fn g_jumps_to_the_first_entry_at_or_after_a_time() {
    let mut app = demo();
    press(&mut app, 'g');
    assert_eq!(form_title(&app).as_deref(), Some("Jump to time"));
    type_text(&mut app, "21:30");
    assert!(enter(&mut app).is_empty());
    assert!(!app.timeline.follow);
    let target = start() + Duration::minutes(30);
    let sel = app.timeline.selected;
    let d = app.data.as_ref().unwrap();
    let at = d.row(sel).unwrap().0.at;
    assert!(at >= target, "selected {at}");
    assert!(d.row(sel - 1).unwrap().0.at < target);
    assert_eq!(at, start() + Duration::minutes(31));
    let h = view::pane_height(&app, Pane::Timeline) as usize;
    assert!(
        (app.timeline.offset..app.timeline.offset + h).contains(&sel),
        "the selection is on screen"
    );

    press(&mut app, 'g');
    type_text(&mut app, "not a time");
    enter(&mut app);
    let err = form_error(&app).expect("a bad time is explained");
    assert!(err.contains("cannot read the time"), "{err}");
}

#[test]
fn o_on_the_timeline_turns_the_selected_entry_into_an_observation() {
    let mut app = demo();
    app.update(key(KeyCode::Up));
    let source = app.selected_event().unwrap().clone();
    assert!(matches!(source.kind, EventKind::Note { .. }), "{source:?}");
    press(&mut app, 'o');
    assert_eq!(
        form_title(&app).as_deref(),
        Some("Observation from the timeline")
    );
    type_text(&mut app, " (checked)");
    let (_, kind) = recorded(&enter(&mut app));
    assert_eq!(
        kind,
        EventKind::Observation {
            text: "Card error rate has stayed under 0.5% for ten minutes. (checked)".into(),
            from_event: Some(source.id),
        }
    );
}

// ---- board --------------------------------------------------------------------------

#[test]
fn an_experiment_testing_t1_names_the_first_theory() {
    let mut app = demo();
    let t1 = app.data.as_ref().unwrap().state.board.theories[0].id;
    press(&mut app, '3');
    assert_eq!(app.focus, Pane::Board);
    assert!(press(&mut app, 'x').is_empty());
    assert_eq!(form_title(&app).as_deref(), Some("Experiment"));
    type_text(&mut app, "Replay one failed request against pay-3");
    app.update(key(KeyCode::Tab));
    type_text(&mut app, "T1");
    let (_, kind) = recorded(&enter(&mut app));
    match kind {
        EventKind::Experiment { plan, tests } => {
            assert_eq!(plan, "Replay one failed request against pay-3");
            assert_eq!(tests, vec![t1]);
        }
        other => panic!("not an experiment: {other:?}"),
    }
}

#[test]
fn an_experiment_naming_no_theory_is_refused() {
    let mut app = demo();
    press(&mut app, '3');
    press(&mut app, 'x');
    type_text(&mut app, "Poke it");
    enter(&mut app); // to the Tests field
    type_text(&mut app, "T9");
    let effects = enter(&mut app);
    assert!(effects.is_empty(), "{effects:?}");
    let err = form_error(&app).unwrap();
    assert!(err.contains("`T9` is not a theory number"), "{err}");
}

#[test]
fn an_outcome_is_recorded_on_the_selected_running_experiment() {
    let mut events = demo_events();
    let t3 = {
        let app = loaded_as("maya", events.clone());
        app.data.as_ref().unwrap().state.board.theories[2].id
    };
    let exp = next_event(
        &events,
        1,
        "tomas",
        EventKind::Experiment {
            plan: "Halve the pool on pay-3 and watch the queue".into(),
            tests: vec![t3],
        },
    );
    events.push(exp.clone());
    let mut app = loaded_as("tomas", events);
    press(&mut app, '3');
    // A finished experiment has its outcome already.
    app.update(key(KeyCode::Right));
    app.update(key(KeyCode::Right));
    assert_eq!(app.board_column, 2);
    // The column opened on its newest experiment; the first one is finished.
    assert_eq!(app.board_rows[2], 2);
    app.update(key(KeyCode::Home));
    press(&mut app, 'r');
    assert!(matches!(app.overlay, Overlay::None));
    let (msg, error) = app.message.clone().unwrap();
    assert!(error && msg.contains("already has an outcome"), "{msg}");

    app.update(key(KeyCode::End));
    assert_eq!(app.board_rows[2], 2);
    press(&mut app, 'r');
    assert_eq!(
        chooser_title(&app).as_deref(),
        Some("Outcome of E3: Halve the pool on pay-3 and watch the queue")
    );
    // One key gives the verdict on the one theory it tests; then the notes.
    press(&mut app, 's');
    type_text(&mut app, "queue grew again");
    let (_, kind) = recorded(&enter(&mut app));
    // One theory tested: the one verdict is that theory's.
    assert_eq!(
        kind,
        EventKind::ExperimentOutcome {
            experiment: exp.id,
            outcome: None,
            verdicts: vec![Verdict {
                theory: t3,
                outcome: Outcome::Supports
            }],
            notes: "queue grew again".into(),
        }
    );
}

#[test]
fn an_experiment_testing_two_theories_takes_a_verdict_for_each() {
    let mut events = demo_events();
    let (t1, t3) = {
        let app = loaded_as("maya", events.clone());
        let b = &app.data.as_ref().unwrap().state.board;
        (b.theories[0].id, b.theories[2].id)
    };
    let exp = next_event(
        &events,
        1,
        "tomas",
        EventKind::Experiment {
            plan: "Roll back pay-3 and halve its pool".into(),
            tests: vec![t1, t3],
        },
    );
    events.push(exp.clone());
    let mut app = loaded_as("tomas", events);
    press(&mut app, '3');
    // From anywhere on the board, `r` takes the newest running experiment.
    press(&mut app, 'r');
    assert_eq!(
        chooser_title(&app).as_deref(),
        Some("Outcome of E3: Roll back pay-3 and halve its pool")
    );
    // A key per theory, in the order they are asked: T1, then T3.
    press(&mut app, 'x');
    let Overlay::Choose(chooser) = &app.overlay else {
        panic!("no chooser");
    };
    assert_eq!(chooser.error.as_deref(), Some("press one of s, r, i"));
    press(&mut app, 's');
    // Backspace takes an answer back.
    app.update(key(KeyCode::Backspace));
    press(&mut app, 'r');
    press(&mut app, 's');
    let (_, kind) = recorded(&enter(&mut app));
    assert_eq!(
        kind,
        EventKind::ExperimentOutcome {
            experiment: exp.id,
            outcome: None,
            verdicts: vec![
                Verdict {
                    theory: t1,
                    outcome: Outcome::Refutes
                },
                Verdict {
                    theory: t3,
                    outcome: Outcome::Supports
                }
            ],
            notes: String::new(),
        }
    );
}

#[test]
fn m_amends_the_selected_theory_and_the_board_shows_the_latest_text() {
    let events = demo_events();
    let mut app = loaded_as("jonas", events.clone());
    press(&mut app, '3');
    app.update(key(KeyCode::Right));
    assert_eq!(app.board_column, 1);
    // The column opened on its newest theory.
    let theory = app
        .data
        .as_ref()
        .unwrap()
        .state
        .board
        .theories
        .last()
        .unwrap()
        .clone();
    press(&mut app, 'm');
    let Overlay::Form(form) = &app.overlay else {
        panic!("no amend form: {:?}", app.message);
    };
    assert!(form.title.starts_with("Amend the theory"), "{}", form.title);
    assert_eq!(
        form.value(0),
        theory.text,
        "the form starts from the current text"
    );
    type_text(&mut app, " (ruled out by E1)");
    let (_, kind) = recorded(&app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('s'),
        KeyModifiers::CONTROL,
    ))));
    assert_eq!(
        kind,
        EventKind::Amended {
            event: theory.id,
            text: format!("{} (ruled out by E1)", theory.text),
        }
    );
}

// ---- roster -------------------------------------------------------------------------

#[test]
fn handing_over_prefills_a_brief_with_open_theories_and_people() {
    let mut app = loaded_as("jonas", demo_events());
    press(&mut app, '2');
    assert!(press(&mut app, 'h').is_empty());
    // `h` asks who takes command; Ctrl-E opens the whole brief to edit first.
    type_text(&mut app, "tomas");
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('e'),
        KeyModifiers::CONTROL,
    )));
    let Overlay::Form(form) = &app.overlay else {
        panic!("no form");
    };
    assert_eq!(form.title, "Hand over command");
    assert_eq!(form.value(0), "tomas", "the new IC as typed");
    let brief = form.value(1);
    let open = app.data.as_ref().unwrap().state.board.theories[2]
        .text
        .clone();
    assert!(
        brief.contains(&format!("Test theory: {open}")),
        "open theory in: {brief}"
    );
    assert!(
        !brief.contains("This evening's payments-api release"),
        "refuted theory in: {brief}"
    );
    for person in ["jonas (IC", "tomas (OL)", "amira (CL)", "lee (PL)"] {
        assert!(brief.contains(person), "{person} in: {brief}");
    }
    assert!(
        brief.contains("Card payments failing at checkout"),
        "{brief}"
    );

    // Ctrl-S from the brief posts it.
    app.update(key(KeyCode::Tab));
    let effects = app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('s'),
        KeyModifiers::CONTROL,
    )));
    match recorded(&effects).1 {
        EventKind::CommandHandedOver { to, brief } => {
            assert_eq!(to, "tomas");
            assert!(
                brief.next_steps.iter().any(|s| s.contains(open.as_str())),
                "{brief:?}"
            );
        }
        other => panic!("not a handover: {other:?}"),
    }
}

/// The demo with one more change request from tomas, waiting for the IC (jonas).
fn with_waiting_change() -> (Vec<Event>, Uuid) {
    let mut events = demo_events();
    let cr = next_event(
        &events,
        1,
        "tomas",
        EventKind::ChangeRequested {
            description: "Restart the tokeniser on pay-1".into(),
        },
    );
    let id = cr.id;
    events.push(cr);
    (events, id)
}

/// Selects the first waiting change request in the roster and approves it.
fn approve_first_change(app: &mut App, request: Uuid) -> Vec<Effect> {
    press(app, '2');
    let rows = app.roster_rows();
    let at = rows
        .iter()
        .position(|r| *r == RosterRow::Change(request))
        .expect("the request is listed");
    for _ in 0..at {
        app.update(key(KeyCode::Down));
    }
    assert_eq!(app.roster_selected, at);
    press(app, 'y');
    assert_eq!(form_title(app).as_deref(), Some("Approve change"));
    type_text(app, "ok");
    enter(app)
}

#[test]
fn the_ic_approves_a_change_request() {
    let (events, request) = with_waiting_change();
    let mut app = loaded_as("jonas", events);
    assert_eq!(app.waiting_for_me(), 1);
    let (_, kind) = recorded(&approve_first_change(&mut app, request));
    assert_eq!(
        kind,
        EventKind::ChangeDecided {
            request,
            approved: true,
            reason: "ok".into(),
        }
    );
}

#[test]
fn only_the_ic_may_approve_a_change_request() {
    let (events, request) = with_waiting_change();
    // maya declared the incident but handed command to jonas.
    let mut app = loaded_as("maya", events);
    assert_eq!(app.waiting_for_me(), 0);
    let effects = approve_first_change(&mut app, request);
    assert!(effects.is_empty(), "{effects:?}");
    let err = form_error(&app).expect("the form says why");
    assert!(
        err.contains("only the incident commander (jonas) decides"),
        "{err}"
    );
}

#[test]
fn y_on_a_role_row_asks_for_a_change_request() {
    let (events, _) = with_waiting_change();
    let mut app = loaded_as("jonas", events);
    press(&mut app, '2');
    press(&mut app, 'y');
    assert!(matches!(app.overlay, Overlay::None));
    let (msg, error) = app.message.clone().unwrap();
    assert!(
        error && msg.contains("select a waiting change request"),
        "{msg}"
    );
}

// ---- picker, quitting ---------------------------------------------------------------

#[test]
fn q_quits_and_esc_goes_back_to_the_list() {
    let mut app = demo();
    let effects = app.update(key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::Picker);
    assert_eq!(effects, vec![Effect::LoadIncidents]);
    app.update(key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::Incident, "esc in the list returns");
    assert_eq!(press(&mut app, 'q'), vec![Effect::Quit]);
    assert!(app.quit);
}

#[test]
fn key_releases_are_ignored() {
    let mut app = demo();
    let mut release = KeyEvent::new(KeyCode::Char('n'), KeyModifiers::NONE);
    release.kind = crossterm::event::KeyEventKind::Release;
    app.update(Msg::Key(release));
    assert!(matches!(app.overlay, Overlay::None));
}

// ---- command, access, redaction ------------------------------------------------------

fn ctrl_s(app: &mut App) -> Vec<Effect> {
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('s'),
        KeyModifiers::CONTROL,
    )))
}

/// Every event an effect list records, in order.
fn all_recorded(effects: &[Effect]) -> Vec<EventKind> {
    effects
        .iter()
        .flat_map(|e| match e {
            Effect::Record { kinds, .. } => kinds.iter().map(|(_, k)| k.clone()).collect(),
            _ => Vec::new(),
        })
        .collect()
}

#[test]
fn a_responder_asks_for_command_and_the_ic_hands_it_over_with_a_brief() {
    // tomas (OL) asks.
    let mut tomas = loaded_as("tomas", demo_events());
    assert!(tomas.may(warroom::tui::action::Action::AskCommand));
    assert!(!tomas.may(warroom::tui::action::Action::AssignRole));
    press(&mut tomas, '2');
    press(&mut tomas, 'k');
    assert_eq!(form_title(&tomas).as_deref(), Some("Ask jonas for command"));
    type_text(&mut tomas, "I have the context");
    let asked = recorded(&enter(&mut tomas)).1;
    assert_eq!(
        asked,
        EventKind::CommandRequested {
            reason: "I have the context".into()
        }
    );

    // jonas (IC) sees it waiting, like a change request, and accepts with y.
    let mut events = demo_events();
    let request = next_event(&events, 7, "tomas", asked);
    let request_id = request.id;
    events.push(request);
    let mut jonas = loaded_as("jonas", events);
    assert_eq!(jonas.waiting_for_me(), 1);
    assert!(!jonas.may(warroom::tui::action::Action::AskCommand));
    press(&mut jonas, '2');
    let at = jonas
        .roster_rows()
        .iter()
        .position(|r| *r == RosterRow::CommandRequest(request_id))
        .expect("the request is listed in the roster");
    for _ in 0..at {
        jonas.update(key(KeyCode::Down));
    }
    press(&mut jonas, 'y');
    assert_eq!(form_title(&jonas).as_deref(), Some("Hand command to tomas"));
    let kinds = all_recorded(&ctrl_s(&mut jonas));
    assert_eq!(kinds.len(), 2, "{kinds:?}");
    assert_eq!(
        kinds[0],
        EventKind::CommandRequestDecided {
            request: request_id,
            accepted: true,
            reason: String::new(),
        }
    );
    match &kinds[1] {
        EventKind::CommandHandedOver { to, brief } => {
            assert_eq!(to, "tomas");
            assert!(
                !brief.current_state.is_empty(),
                "a drafted brief: {brief:?}"
            );
        }
        other => panic!("not a handover: {other:?}"),
    }
}

#[test]
fn taking_command_too_early_is_refused_with_the_wait_in_the_form() {
    let mut events = demo_events();
    // jonas (IC) acted half a minute ago.
    let mut recent = next_event(
        &events,
        12,
        "jonas",
        EventKind::Note {
            text: "checking the pool".into(),
        },
    );
    recent.recorded_at = Some(recent.at);
    events.push(recent);
    let mut tomas = loaded_as("tomas", events);
    press(&mut tomas, '2');
    press(&mut tomas, 'T');
    assert!(
        form_title(&tomas).is_some_and(|t| t.starts_with("Take command from jonas")),
        "{:?}",
        form_title(&tomas)
    );
    // No reason: refused in the form.
    assert!(enter(&mut tomas).is_empty());
    assert!(form_error(&tomas).is_some_and(|e| e.contains("say why")));
    type_text(&mut tomas, "jonas is not answering");
    let effects = enter(&mut tomas);
    assert!(effects.is_empty(), "{effects:?}");
    let err = form_error(&tomas).expect("the form says why");
    assert!(
        err.contains("jonas acted on this incident 30s ago") && err.contains("Ask for command"),
        "{err}"
    );
}

#[test]
fn command_taken_is_an_alarm_and_tells_the_previous_ic() {
    let mut events = demo_events();
    // jonas has been silent for more than fifteen minutes of the console's clock.
    let mut taken = next_event(
        &events,
        8,
        "tomas",
        EventKind::CommandTaken {
            reason: "jonas's laptop died".into(),
        },
    );
    taken.at = now() - Duration::minutes(2);
    events.push(taken);
    let jonas = loaded_as("jonas", events.clone());
    assert_eq!(
        jonas.data.as_ref().unwrap().state.commander(),
        Some("tomas")
    );
    let screen = render(&jonas, 120, 30);
    assert!(
        screen.contains("COMMAND TAKEN FROM YOU by tomas"),
        "the header says so:\n{screen}"
    );
    let alerts = jonas.alerts();
    assert!(
        alerts.iter().any(
            |(_, title, body)| title.contains("tomas took command from you")
                && body.contains("laptop died")
        ),
        "{alerts:?}"
    );
    let amira = loaded_as("amira", events);
    let screen = render(&amira, 120, 30);
    assert!(
        screen.contains("COMMAND TAKEN by tomas from jonas"),
        "{screen}"
    );
}

fn render(app: &App, w: u16, h: u16) -> String {
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).expect("a terminal");
    terminal.draw(|f| view::view(app, f)).expect("draws");
    let buf = terminal.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        for x in 0..w {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

#[test]
fn the_ic_redacts_the_selected_entry_with_a_reason() {
    let mut events = demo_events();
    let secret = next_event(
        &events,
        9,
        "tomas",
        EventKind::Note {
            text: "db password is hunter2".into(),
        },
    );
    let target = secret.id;
    events.push(secret);
    // Not the IC: greyed, and refused if pressed anyway.
    let tomas = loaded_as("tomas", events.clone());
    assert!(!tomas.may(warroom::tui::action::Action::Redact));

    let mut jonas = loaded_as("jonas", events);
    assert!(jonas.may(warroom::tui::action::Action::Redact));
    // Following: the newest entry, the note, is selected.
    assert_eq!(jonas.selected_event().map(|e| e.id), Some(target));
    press(&mut jonas, 'X');
    assert!(
        form_title(&jonas).is_some_and(|t| t.starts_with("Redact the note")),
        "{:?}",
        form_title(&jonas)
    );
    assert!(enter(&mut jonas).is_empty(), "a reason is required");
    type_text(&mut jonas, "a credential");
    assert_eq!(
        recorded(&enter(&mut jonas)).1,
        EventKind::EventRedacted {
            event: target,
            reason: "a credential".into()
        }
    );
}

#[test]
fn a_redaction_arriving_scrubs_the_entry_and_its_row_says_who_and_why() {
    let mut events = demo_events();
    let secret = next_event(
        &events,
        10,
        "tomas",
        EventKind::Note {
            text: "db password is hunter2".into(),
        },
    );
    let target = secret.id;
    events.push(secret);
    let mut app = loaded_as("amira", events.clone());
    let mut redaction = next_event(
        &events,
        11,
        "jonas",
        EventKind::EventRedacted {
            event: target,
            reason: "a credential".into(),
        },
    );
    redaction.seq = Some(events.len() as i64 + 1);
    app.update(Msg::Loaded {
        id: INCIDENT,
        new: vec![redaction],
        pending: vec![],
        full: false,
    });
    let d = app.data.as_ref().unwrap();
    let kept = d.confirmed.iter().find(|e| e.id == target).unwrap();
    assert_eq!(
        kept.kind,
        EventKind::Note {
            text: String::new()
        }
    );
    let screen = render(&app, 160, 48);
    assert!(!screen.contains("hunter2"), "{screen}");
    assert!(
        screen.contains("redacted by the IC (jonas): a credential"),
        "{screen}"
    );
}

#[test]
fn plain_http_to_another_machine_is_an_alarm_in_the_header() {
    let mut app = loaded_as("amira", demo_events());
    assert!(!render(&app, 120, 30).contains("PLAIN HTTP"));
    app.link_warning =
        warroom::sync::remote::plain_http_warning("http://incident-box.example:7878");
    assert!(
        render(&app, 120, 30).contains("PLAIN HTTP: token in clear"),
        "the header warns"
    );
    assert_eq!(
        warroom::sync::remote::plain_http_warning("http://127.0.0.1:7878"),
        None
    );
    assert_eq!(
        warroom::sync::remote::plain_http_warning("https://incident-box.example"),
        None
    );
    assert_eq!(
        warroom::sync::remote::plain_http_warning("http://[::1]:7878"),
        None
    );
}

// ---- fatigue: awake since ------------------------------------------------------------

#[test]
fn w_on_fatigue_records_since_when_you_have_been_awake() {
    let mut app = demo();
    press(&mut app, '5');
    assert_eq!(app.focus, Pane::Fatigue);
    assert!(press(&mut app, 'w').is_empty());
    assert_eq!(form_title(&app).as_deref(), Some("Awake since"));
    // The responder is prefilled with yourself; the cursor waits in the time.
    type_text(&mut app, "-16h");
    let (at, kind) = recorded(&enter(&mut app));
    assert_eq!(at, now(), "said now");
    assert_eq!(
        kind,
        EventKind::AwakeSince {
            handle: "maya".into(),
            since: now() - Duration::hours(16),
        }
    );
    assert!(matches!(app.overlay, Overlay::None), "the form closed");
}

#[test]
fn awake_since_in_the_future_or_for_another_non_ic_is_refused_in_the_form() {
    let mut app = demo();
    press(&mut app, '5');
    press(&mut app, 'w');
    type_text(&mut app, "in 2h");
    assert!(enter(&mut app).is_empty());
    let err = form_error(&app).expect("a refusal in the form");
    assert!(err.contains("in the future"), "{err}");

    // maya is not the IC: another responder's time is theirs or the IC's to record.
    for _ in 0.."in 2h".len() {
        app.update(key(KeyCode::Backspace));
    }
    type_text(&mut app, "-3h");
    app.update(key(KeyCode::BackTab));
    for _ in 0.."maya".len() {
        app.update(key(KeyCode::Backspace));
    }
    type_text(&mut app, "jonas");
    app.update(key(KeyCode::Tab));
    assert!(enter(&mut app).is_empty());
    let err = form_error(&app).expect("a refusal in the form");
    assert!(err.contains("awake time for jonas"), "{err}");

    // The IC may record it for anyone.
    let mut app = loaded_as("jonas", demo_events());
    press(&mut app, '5');
    press(&mut app, 'w');
    app.update(key(KeyCode::BackTab));
    for _ in 0.."jonas".len() {
        app.update(key(KeyCode::Backspace));
    }
    type_text(&mut app, "maya");
    app.update(key(KeyCode::Tab));
    type_text(&mut app, "-3h");
    let (_, kind) = recorded(&enter(&mut app));
    assert_eq!(
        kind,
        EventKind::AwakeSince {
            handle: "maya".into(),
            since: now() - Duration::hours(3),
        }
    );
}

// ---- forms that do not trap the hand ------------------------------------------------

/// The open form's value of the field labelled `label`.
fn form_value(app: &App, label: &str) -> String {
    match &app.overlay {
        Overlay::Form(f) => f.value(label),
        _ => panic!("no form is open"),
    }
}

/// The symbols drawn reversed on the screen row below the one holding `label`.
fn reversed_below(app: &App, label: &str, w: u16, h: u16) -> String {
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).expect("a terminal");
    terminal.draw(|f| view::view(app, f)).expect("draws");
    let buf = terminal.backend().buffer().clone();
    let row = |y: u16| (0..w).map(|x| buf[(x, y)].symbol()).collect::<String>();
    let y = (0..h)
        .find(|y| row(*y).contains(label))
        .unwrap_or_else(|| panic!("no {label} on screen"));
    (0..w)
        .filter(|x| {
            buf[(*x, y + 1)]
                .modifier
                .contains(ratatui::style::Modifier::REVERSED)
        })
        .map(|x| buf[(x, y + 1)].symbol())
        .collect::<String>()
}

#[test]
fn a_prefilled_value_is_selected_and_the_first_key_replaces_it() {
    let mut app = loaded_as("jonas", demo_events());
    let severity = app.data.as_ref().unwrap().state.summary.severity.level();
    assert_eq!(severity, 2, "the demo is a SEV2");
    press(&mut app, 'S');
    assert_eq!(form_value(&app, "Severity"), "2");
    // The selection shows: the value is drawn reversed.
    let shown = reversed_below(&app, "Severity", 80, 24);
    assert!(shown.starts_with('2'), "reversed: {shown:?}");
    press(&mut app, '1');
    assert_eq!(form_value(&app, "Severity"), "1", "replaced, not 21");
    let shown = reversed_below(&app, "Severity", 80, 24);
    assert!(!shown.contains('1'), "no longer selected: {shown:?}");
    enter(&mut app);
    let (_, kind) = recorded(&enter(&mut app));
    assert!(
        matches!(kind, EventKind::SeverityChanged { severity, .. } if severity.level() == 1),
        "{kind:?}"
    );

    // An arrow key, Home or End keeps the value to edit it.
    press(&mut app, 'S');
    app.update(key(KeyCode::End));
    press(&mut app, '1');
    assert_eq!(form_value(&app, "Severity"), "21");
    app.update(key(KeyCode::Home));
    press(&mut app, '3');
    assert_eq!(form_value(&app, "Severity"), "321");

    // A handle filled in for you goes the same way: jonas's own handle, replaced.
    let mut app = loaded_as("jonas", demo_events());
    press(&mut app, '2');
    press(&mut app, 'j');
    assert_eq!(form_value(&app, "Handle"), "jonas");
    type_text(&mut app, "lee");
    assert_eq!(form_value(&app, "Handle"), "lee");
    enter(&mut app);
    let (_, kind) = recorded(&enter(&mut app));
    assert_eq!(
        kind,
        EventKind::ResponderJoined {
            handle: "lee".into(),
            skills: vec![],
        }
    );
}

#[test]
fn esc_on_a_changed_form_asks_before_discarding_and_an_untouched_one_closes() {
    let mut app = demo();
    press(&mut app, 'n');
    assert!(app.update(key(KeyCode::Esc)).is_empty());
    assert!(
        matches!(app.overlay, Overlay::None),
        "untouched: closed at once"
    );
    assert_eq!(app.screen, Screen::Incident);

    press(&mut app, 'n');
    type_text(&mut app, "pool full");
    assert!(app.update(key(KeyCode::Esc)).is_empty());
    let Overlay::Form(form) = &app.overlay else {
        panic!("the form stays open to ask")
    };
    assert!(form.asking_to_discard);
    assert!(
        render(&app, 80, 24).contains("discard what you typed? y/n"),
        "{}",
        render(&app, 80, 24)
    );
    // n goes back to the text, kept whole.
    press(&mut app, 'n');
    assert_eq!(form_value(&app, "Note"), "pool full");
    assert!(!render(&app, 80, 24).contains("discard what you typed"));
    type_text(&mut app, " again");
    // y discards: closed, nothing recorded, still in the incident.
    app.update(key(KeyCode::Esc));
    assert!(press(&mut app, 'y').is_empty());
    assert!(matches!(app.overlay, Overlay::None));
    assert_eq!(app.screen, Screen::Incident);
}

#[test]
fn esc_in_a_timeline_search_or_filter_clears_it_and_stays_in_the_incident() {
    let mut app = demo();
    let all = app.visible_rows();
    press(&mut app, '/');
    type_text(&mut app, "Tokeniser");
    enter(&mut app);
    assert_eq!(app.timeline.search.as_deref(), Some("Tokeniser"));
    let found = app.selected_event().map(|e| e.id);
    assert!(
        app.update(key(KeyCode::Esc)).is_empty(),
        "no reload, no list"
    );
    assert_eq!(app.screen, Screen::Incident, "still in the incident");
    assert_eq!(app.timeline.search, None);
    assert_eq!(app.selected_event().map(|e| e.id), found, "selection kept");

    press(&mut app, 'f');
    type_text(&mut app, "kind:theory");
    enter(&mut app);
    assert_eq!(app.visible_rows(), 3);
    app.update(key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::Incident);
    assert_eq!(app.visible_rows(), all, "every entry again");
    let (msg, _) = app.message.clone().expect("a message");
    assert!(msg.contains("cleared"), "{msg}");

    // With nothing to clear, Esc goes back to the list as before.
    assert_eq!(app.update(key(KeyCode::Esc)), vec![Effect::LoadIncidents]);
    assert_eq!(app.screen, Screen::Picker);
}

#[test]
fn the_privacy_assessment_starts_empty_and_needs_a_choice() {
    let mut app = loaded_as("jonas", demo_events());
    press(&mut app, 'V');
    assert_eq!(form_title(&app).as_deref(), Some("Privacy"));
    assert_eq!(form_value(&app, "Record"), "", "no answer is given for you");
    enter(&mut app);
    assert!(
        enter(&mut app).is_empty(),
        "nothing recorded without a choice"
    );
    let err = form_error(&app).expect("the form says what to choose");
    assert!(err.contains("choose") && err.contains("none"), "{err}");
    app.update(key(KeyCode::BackTab));
    type_text(&mut app, "none");
    enter(&mut app);
    let (_, kind) = recorded(&enter(&mut app));
    assert!(
        matches!(
            kind,
            EventKind::PrivacyAssessed {
                assessment: warroom::domain::event::PrivacyAssessment::NoPersonalInformation,
                ..
            }
        ),
        "{kind:?}"
    );
}

#[test]
fn a_handle_typed_in_a_form_is_judged_by_the_one_rule() {
    for bad in ["two words", "-rf", "mal\u{1b}[2Jlory"] {
        let mut app = loaded_as("jonas", demo_events());
        press(&mut app, '2');
        press(&mut app, 'j');
        type_text(&mut app, bad);
        enter(&mut app);
        assert!(enter(&mut app).is_empty(), "{bad:?} is not recorded");
        let rule = warroom::domain::rules::check_handle("the responder", bad).unwrap_err();
        assert_eq!(form_error(&app), Some(rule.message), "{bad:?}");
    }
}
