//! Opening a long incident: the console shows its state and its latest entries first
//! (`Msg::Opened`), asks for the start of the log only once that is on screen
//! (`App::after_draw`), and puts it in front when it arrives (`Msg::History`), the
//! selection staying on its entry.

// Tests fail by panicking, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::{DateTime, Duration, FixedOffset, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use uuid::Uuid;
use warroom::domain::event::{Event, EventKind};
use warroom::domain::incident::Incident;
use warroom::tui::app::{App, Effect, Msg};
use warroom::tui::data::{History, IncidentData};
use warroom::tui::keymap::Keymap;

use common::{DEMO_INCIDENT as INCIDENT, demo_start as start};

/// The demo scenario, then notes up to `n` events, one a minute after it.
fn long_log(n: usize) -> Vec<Event> {
    let mut events = common::demo_events(INCIDENT, start(), common::demo_ids());
    while events.len() < n {
        let seq = events.len() as i64 + 1;
        let at = start() + Duration::hours(2) + Duration::minutes(seq);
        events.push(Event {
            id: Uuid::from_u128(0x0190_d5a0_0000_7000_8000_0001_0000_0000 | seq as u128),
            incident: INCIDENT,
            seq: Some(seq),
            at,
            recorded_at: Some(at),
            author: "maya".into(),
            persona: None,
            kind: EventKind::Note {
                text: format!("note {seq}"),
            },
        });
    }
    events
}

fn now(log: &[Event]) -> DateTime<Utc> {
    log.last().unwrap().at + Duration::minutes(1)
}

fn app(log: &[Event]) -> App {
    let keymap = Keymap::builtin("default").expect("the default keymap");
    let mut app = App::new(
        "viewer",
        keymap,
        now(log),
        FixedOffset::east_opt(0).unwrap(),
    );
    app.update(Msg::Resize(160, 48));
    app
}

/// The console opened on the latest `tail` events of `log`, as the worker opens it.
fn opened(log: &[Event], tail: usize) -> App {
    let mut app = app(log);
    let state = Incident::fold(INCIDENT, log);
    let from = log.len() - tail;
    let data = IncidentData::from_recent(INCIDENT, state, log[from..].to_vec(), vec![]);
    let effects = app.update(Msg::Opened(Box::new(data)));
    assert!(
        effects.contains(&Effect::LoadDrafts(INCIDENT)),
        "{effects:?}"
    );
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::LoadHistory { .. })),
        "the start of the log is not read before the screen shows the newest entries"
    );
    app
}

fn history(log: &[Event], tail: usize) -> Msg {
    Msg::History {
        id: INCIDENT,
        history: Box::new(History::new(log[..log.len() - tail].to_vec())),
    }
}

#[test]
fn the_start_of_a_long_log_is_asked_for_once_the_newest_entries_are_drawn() {
    let log = long_log(3_000);
    let mut app = opened(&log, 500);
    assert_eq!(app.visible_rows(), 500);
    assert_eq!(app.selected_event().map(|e| e.id), Some(log[2_999].id));
    assert_eq!(
        app.after_draw(),
        vec![Effect::LoadHistory {
            id: INCIDENT,
            upto: 2_500
        }]
    );
    assert_eq!(app.after_draw(), vec![], "asked once");

    app.update(history(&log, 500));
    assert_eq!(app.visible_rows(), 3_000);
    assert_eq!(
        app.selected_event().map(|e| e.id),
        Some(log[2_999].id),
        "still following the newest"
    );
    assert!(app.data.as_ref().unwrap().complete());
    // A second copy of the same start does not fit any more.
    app.update(history(&log, 500));
    assert_eq!(app.visible_rows(), 3_000);
}

#[test]
fn the_selection_stays_on_its_entry_when_the_start_of_the_log_arrives() {
    let log = long_log(2_000);
    let mut app = opened(&log, 500);
    for _ in 0..7 {
        app.update(Msg::Key(KeyEvent::new(KeyCode::Up, KeyModifiers::NONE)));
    }
    let chosen = app.selected_event().map(|e| e.id);
    assert_eq!(chosen, Some(log[1_992].id));
    app.update(history(&log, 500));
    assert_eq!(app.visible_rows(), 2_000);
    assert_eq!(app.selected_event().map(|e| e.id), chosen);
}

#[test]
fn a_complete_incident_asks_for_nothing_more() {
    let log = long_log(300);
    let mut app = opened(&log, 300);
    assert_eq!(app.after_draw(), vec![]);
    assert_eq!(app.visible_rows(), 300);
}
