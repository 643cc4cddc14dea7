//! Duty at both ends of a response: standing the team down once the incident is over
//! (`warroom stand-down`, and `D` in the console), and the console asking a responder who
//! joins since when they have been awake.

// Tests fail by panicking, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use chrono::{DateTime, Duration, FixedOffset, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::Value;
use uuid::Uuid;
use warroom::domain::event::{Event, EventKind, Status};
use warroom::domain::fatigue;
use warroom::domain::incident::Incident;
use warroom::tui::action::Action;
use warroom::tui::app::{App, Effect, Msg, Overlay};
use warroom::tui::keymap::Keymap;
use warroom::tui::overlay::form::Purpose;
use warroom::tui::view;

use common::{DEMO_INCIDENT as INCIDENT, demo_start as start};

// ---- the command line ---------------------------------------------------------------

struct Ran {
    ok: bool,
    stdout: String,
    stderr: String,
}

/// The binary in solo mode, acting as `handle` in `data`.
fn run(data: &Path, handle: &str, args: &[&str]) -> Ran {
    let out = common::warroom(data)
        .args(["--as", handle])
        .args(args)
        .output()
        .expect("the warroom binary runs");
    Ran {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn ok(data: &Path, handle: &str, args: &[&str]) -> Ran {
    let r = run(data, handle, args);
    assert!(r.ok, "warroom {args:?} as {handle} failed: {}", r.stderr);
    r
}

/// Who is on duty on `id`, from `show --json`.
fn on_duty(data: &Path, id: &str) -> Vec<String> {
    let shown: Value = serde_json::from_str(&ok(data, "ana", &["show", id, "--json"]).stdout)
        .expect("show --json is JSON");
    let responders = shown["state"]["responders"]
        .as_object()
        .or_else(|| shown["responders"].as_object())
        .unwrap_or_else(|| panic!("responders in {shown}"))
        .clone();
    responders
        .iter()
        .filter(|(_, r)| r["left_at"].is_null() && !r["on_duty_since"].is_null())
        .map(|(h, _)| h.clone())
        .collect()
}

#[test]
fn stand_down_ends_everyones_duty_once_the_incident_is_over() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let id = ok(
        data,
        "ana",
        &["declare", "--title", "Search is slow", "--severity", "3"],
    )
    .stdout
    .trim()
    .to_string();
    // Writing on the incident puts tomas and lee on its response.
    ok(data, "tomas", &["log", &id, "looking at the index"]);
    ok(data, "lee", &["log", &id, "cache hit rate is down"]);
    assert_eq!(on_duty(data, &id), ["ana", "lee", "tomas"]);

    // While the incident is active, nobody is stood down.
    let active = run(data, "ana", &["stand-down", &id]);
    assert!(!active.ok);
    assert!(
        active.stderr.contains("still active") && active.stderr.contains("resolve it first"),
        "{}",
        active.stderr
    );
    assert_eq!(on_duty(data, &id), ["ana", "lee", "tomas"]);

    ok(data, "ana", &["impact", &id, "ended"]);
    let resolved = ok(data, "ana", &["resolve", &id]);
    assert!(
        resolved.stderr.contains("Still on duty: ana, lee, tomas")
            && resolved
                .stderr
                .contains(&format!("warroom stand-down {id}")),
        "resolving offers the stand-down: {}",
        resolved.stderr
    );

    // Only the IC calls it.
    let not_ic = run(data, "tomas", &["stand-down", &id]);
    assert!(!not_ic.ok);
    assert!(
        not_ic.stderr.contains("only the incident commander (ana)"),
        "{}",
        not_ic.stderr
    );

    let done = ok(data, "ana", &["stand-down", &id]);
    assert_eq!(done.stdout, "ana\nlee\ntomas\n", "who was stood down");
    assert!(done.stderr.contains("stood down 3"), "{}", done.stderr);
    assert!(on_duty(data, &id).is_empty());
    let events = ok(data, "ana", &["events", &id, "--json"]).stdout;
    let ended: Vec<String> = events
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["type"] == "duty_ended")
        .map(|e| {
            assert_eq!(e["author"], "ana", "the IC ends everyone's duty");
            e["handle"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(ended, ["ana", "lee", "tomas"]);

    // Nobody left: said so, and nothing is written.
    let again = ok(data, "ana", &["stand-down", &id]);
    assert!(again.stdout.is_empty());
    assert!(
        again.stderr.contains("nobody is on duty"),
        "{}",
        again.stderr
    );
}

#[test]
fn a_closed_incident_can_still_be_stood_down() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let id = ok(
        data,
        "ana",
        &["declare", "--title", "Mail is queued", "--severity", "3"],
    )
    .stdout
    .trim()
    .to_string();
    ok(data, "kai", &["log", &id, "queue drains slowly"]);
    ok(data, "ana", &["impact", &id, "ended"]);
    ok(data, "ana", &["resolve", &id]);
    let closed = ok(data, "ana", &["close", &id]);
    assert!(closed.stderr.contains("Still on duty"), "{}", closed.stderr);
    let done = ok(data, "ana", &["stand-down", &id]);
    assert_eq!(done.stdout, "ana\nkai\n");
    assert!(on_duty(data, &id).is_empty());
}

// ---- the console --------------------------------------------------------------------

/// The console's clock: an hour into the demo incident.
fn now() -> DateTime<Utc> {
    start() + Duration::minutes(60)
}

fn demo_events() -> Vec<Event> {
    common::demo_events(INCIDENT, start(), common::demo_ids())
}

/// `events` and one more confirmed event by `author`.
fn with(mut events: Vec<Event>, author: &str, kind: EventKind) -> Vec<Event> {
    let seq = events.len() as i64 + 1;
    events.push(Event {
        id: Uuid::from_u128(0x0190_d5a0_0000_7000_8000_0000_0000_3000 | seq as u128),
        incident: INCIDENT,
        seq: Some(seq),
        at: now() - Duration::seconds(60 - seq),
        recorded_at: Some(now()),
        author: author.into(),
        persona: None,
        kind,
    });
    events
}

/// The demo with the end of impact and the resolution recorded by its IC.
fn resolved_demo() -> Vec<Event> {
    let events = demo_events();
    let ic = Incident::fold(INCIDENT, &events)
        .commander()
        .unwrap()
        .to_string();
    let events = with(events, &ic, EventKind::ImpactEnded {});
    with(
        events,
        &ic,
        EventKind::Resolved {
            summary: "payments flow again".into(),
        },
    )
}

fn console(handle: &str, events: Vec<Event>, ask_awake: bool) -> App {
    let keymap = Keymap::builtin("default").expect("the default keymap");
    let mut app = App::new(handle, keymap, now(), FixedOffset::east_opt(0).unwrap());
    app.ask_awake = ask_awake;
    app.update(Msg::Resize(80, 24));
    app.update(Msg::Loaded {
        id: INCIDENT,
        new: events,
        pending: vec![],
        full: true,
    });
    app
}

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn press(app: &mut App, c: char) -> Vec<Effect> {
    app.update(key(KeyCode::Char(c)))
}

fn form(app: &App) -> Option<(String, Purpose, Vec<String>)> {
    match &app.overlay {
        Overlay::Form(f) => Some((f.title.clone(), f.purpose.clone(), f.values())),
        _ => None,
    }
}

fn message(app: &App) -> String {
    app.message.clone().map(|(m, _)| m).unwrap_or_default()
}

/// The bottom row of the screen at 80x24: the status line.
fn footer(app: &App) -> String {
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).expect("a terminal");
    terminal.draw(|f| view::view(app, f)).expect("a frame");
    let buffer = terminal.backend().buffer();
    (0..80).map(|x| buffer[(x, 23)].symbol()).collect()
}

/// The events an effect list records.
fn recorded(effects: &[Effect]) -> Vec<EventKind> {
    effects
        .iter()
        .flat_map(|e| match e {
            Effect::Record { kinds, .. } => kinds.iter().map(|(_, k)| k.clone()).collect(),
            _ => Vec::new(),
        })
        .collect()
}

#[test]
fn the_ic_stands_the_team_down_with_one_key_after_resolving() {
    let events = resolved_demo();
    let state = Incident::fold(INCIDENT, &events);
    assert_eq!(state.summary.status, Status::Resolved);
    let ic = state.commander().unwrap().to_string();
    let on = fatigue::on_duty(&state);
    assert!(
        on.contains(&ic) && on.contains(&"tomas".to_string()),
        "{on:?}"
    );
    assert!(
        !on.contains(&"maya".to_string()),
        "maya went off duty: {on:?}"
    );

    let mut app = console(&ic, events.clone(), false);
    assert!(
        app.may(Action::StandDown),
        "offered to the IC once resolved"
    );
    let offer = footer(&app);
    assert!(
        offer.contains("D  stand down"),
        "the footer offers it: {offer}"
    );
    // One key, from whichever pane: a form listing who will be stood down.
    assert!(press(&mut app, 'D').is_empty());
    let (title, purpose, values) = form(&app).expect("the stand-down form");
    assert_eq!(purpose, Purpose::StandDown);
    for h in &on {
        assert!(title.contains(h.as_str()), "{title} names {h}");
    }
    assert_eq!(values, [on.join(" ")]);
    let effects = app.update(key(KeyCode::Enter));
    let kinds = recorded(&effects);
    let expected: Vec<EventKind> = on
        .iter()
        .map(|h| EventKind::DutyEnded { handle: h.clone() })
        .collect();
    assert_eq!(kinds, expected, "one duty_ended per responder on duty");
    assert!(matches!(app.overlay, Overlay::None), "the form closes");

    // Folded, nobody is on duty; whoever joins again is back on.
    let mut after = events;
    for k in kinds {
        after = with(after, &ic, k);
    }
    after = with(
        after,
        "tomas",
        EventKind::ResponderJoined {
            handle: "tomas".into(),
            skills: vec![],
        },
    );
    let state = Incident::fold(INCIDENT, &after);
    assert_eq!(fatigue::on_duty(&state), ["tomas"]);
}

#[test]
fn a_name_taken_out_of_the_stand_down_stays_on_duty() {
    let events = resolved_demo();
    let state = Incident::fold(INCIDENT, &events);
    let ic = state.commander().unwrap().to_string();
    let mut app = console(&ic, events, false);
    press(&mut app, 'D');
    // Clear the list and name only tomas, and someone who is not on duty.
    let (_, _, values) = form(&app).unwrap();
    for _ in 0..values[0].chars().count() {
        app.update(key(KeyCode::Backspace));
    }
    for c in "tomas maya".chars() {
        press(&mut app, c);
    }
    let effects = app.update(key(KeyCode::Enter));
    assert!(recorded(&effects).is_empty());
    match &app.overlay {
        Overlay::Form(f) => assert!(
            f.error
                .as_deref()
                .unwrap_or("")
                .contains("maya is not on duty"),
            "{:?}",
            f.error
        ),
        _ => panic!("the form stays open with the reason"),
    }
    for _ in 0.." maya".len() {
        app.update(key(KeyCode::Backspace));
    }
    let effects = app.update(key(KeyCode::Enter));
    assert_eq!(
        recorded(&effects),
        [EventKind::DutyEnded {
            handle: "tomas".into()
        }]
    );
}

#[test]
fn no_stand_down_while_active_or_for_anyone_but_the_ic() {
    // Active: refused with the reason, no form.
    let events = demo_events();
    let ic = Incident::fold(INCIDENT, &events)
        .commander()
        .unwrap()
        .to_string();
    let mut app = console(&ic, events, false);
    assert!(!app.may(Action::StandDown));
    assert!(!footer(&app).contains("stand down"), "{}", footer(&app));
    assert!(press(&mut app, 'D').is_empty());
    assert!(form(&app).is_none());
    assert!(message(&app).contains("still active"), "{}", message(&app));

    // Resolved, but not the IC.
    let mut app = console("tomas", resolved_demo(), false);
    assert!(!app.may(Action::StandDown));
    press(&mut app, 'D');
    assert!(form(&app).is_none());
    assert!(
        message(&app).contains("only the incident commander"),
        "{}",
        message(&app)
    );
}

#[test]
fn a_responder_on_duty_with_no_awake_time_is_asked_once() {
    // tomas is on the demo's response and never said when he woke up.
    let mut app = console("tomas", demo_events(), true);
    let (title, purpose, values) = form(&app).expect("asked on opening the incident");
    assert_eq!(purpose, Purpose::AwakeSince);
    assert!(title.contains("awake"), "{title}");
    assert_eq!(values, ["tomas", ""], "for tomas, the time to type");
    // Esc skips it, and it is not asked again on this incident.
    assert!(app.update(key(KeyCode::Esc)).is_empty());
    assert!(matches!(app.overlay, Overlay::None));
    app.update(Msg::Tick(now() + Duration::seconds(1)));
    app.update(Msg::Loaded {
        id: INCIDENT,
        new: vec![],
        pending: vec![],
        full: false,
    });
    assert!(form(&app).is_none(), "asked once");

    // maya recorded her awake time (and is off duty): nothing to ask.
    let app = console("maya", demo_events(), true);
    assert!(form(&app).is_none());
    // Off unless the console turns it on.
    let app = console("tomas", demo_events(), false);
    assert!(form(&app).is_none());
}

#[test]
fn joining_asks_since_when_and_the_answer_is_recorded() {
    let events = demo_events();
    let mut app = console("kim", events.clone(), true);
    assert!(form(&app).is_none(), "kim is not on the incident yet");
    // kim joins (from this console or another): the join arrives, and kim is asked.
    let joined = with(
        events,
        "kim",
        EventKind::ResponderJoined {
            handle: "kim".into(),
            skills: vec![],
        },
    );
    let join = joined.last().unwrap().clone();
    app.update(Msg::Loaded {
        id: INCIDENT,
        new: vec![join],
        pending: vec![],
        full: false,
    });
    let (_, purpose, values) = form(&app).expect("asked on joining");
    assert_eq!(purpose, Purpose::AwakeSince);
    assert_eq!(values[0], "kim");
    for c in "-16h".chars() {
        press(&mut app, c);
    }
    let effects = app.update(key(KeyCode::Enter));
    assert_eq!(
        recorded(&effects),
        [EventKind::AwakeSince {
            handle: "kim".into(),
            since: now() - Duration::hours(16),
        }]
    );
}
