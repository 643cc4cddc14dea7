//! Attention across incidents in the console, through `App::update` with a fixed clock:
//! the list puts what needs you first and keeps the cursor on its incident as incidents
//! arrive, an open incident's header says when another one needs you and `!` opens it,
//! and each new need on another incident notifies once.

// Tests fail by panicking, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::{DateTime, Duration, FixedOffset, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::{Value, json};
use uuid::Uuid;
use warroom::domain::event::Event;
use warroom::domain::incident::IncidentSummary;
use warroom::tui::app::{App, Effect, Msg, Screen};
use warroom::tui::keymap::Keymap;
use warroom::tui::view;

use common::{DEMO_INCIDENT, demo_start};

/// The console's clock: an hour after the demo incident was declared.
fn now() -> DateTime<Utc> {
    demo_start() + Duration::minutes(60)
}

fn incident_id(n: u128) -> Uuid {
    Uuid::from_u128(0x0190_d5a1_0000_7000_8000_0000_0000_0000 | n)
}

/// A confirmed event on incident `n`, `minutes` after the demo's start, from its wire form.
fn event(n: u128, seq: i64, minutes: i64, author: &str, kind: Value) -> Event {
    let at = demo_start() + Duration::minutes(minutes);
    let mut ev = json!({
        "id": Uuid::from_u128(0x0190_d5a1_0000_7000_8000_0000_0001_0000 | (n << 8) | seq as u128),
        "incident": incident_id(n),
        "seq": seq,
        "at": at,
        "recorded_at": at,
        "author": author,
    });
    for (k, v) in kind.as_object().unwrap() {
        ev[k] = v.clone();
    }
    serde_json::from_value(ev).unwrap()
}

/// Incident `n` as the list shows it: declared by `ic` at severity `severity`, `minutes`
/// after the demo's start, then `more` events.
fn summary(
    n: u128,
    title: &str,
    severity: u8,
    ic: &str,
    minutes: i64,
    more: &[Value],
) -> IncidentSummary {
    let mut events = vec![event(
        n,
        1,
        minutes,
        ic,
        json!({ "type": "incident_declared", "title": title, "severity": severity }),
    )];
    for (i, kind) in more.iter().enumerate() {
        events.push(event(n, i as i64 + 2, minutes + 1, "bo", kind.clone()));
    }
    let mut s = IncidentSummary::new(incident_id(n));
    for ev in &events {
        s.apply(ev);
    }
    s
}

fn change_request() -> Value {
    json!({ "type": "change_requested", "description": "restart the ledger" })
}

fn app() -> App {
    let keymap = Keymap::builtin("default").expect("the default keymap");
    let mut app = App::new("maya", keymap, now(), FixedOffset::east_opt(0).unwrap());
    app.update(Msg::Resize(100, 24));
    app
}

fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn render(app: &App, w: u16, h: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| view::view(app, f)).unwrap();
    let buf = terminal.backend().buffer();
    (0..h)
        .map(|y| {
            (0..w)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn order(app: &App) -> Vec<Uuid> {
    app.incidents.iter().map(|s| s.id).collect()
}

fn selected(app: &App) -> Uuid {
    app.incidents[app.picker_selected].id
}

fn notified(effects: &[Effect]) -> Vec<String> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Notify { title, .. } => Some(title.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn the_cursor_stays_on_its_incident_as_incidents_arrive_and_what_needs_you_comes_first() {
    let mut app = app();
    let payments = summary(1, "Card payments failing", 2, "jonas", 0, &[]);
    let search = summary(2, "Search results stale", 3, "priya", 10, &[]);
    app.update(Msg::Incidents(vec![search.clone(), payments.clone()]));
    // SEV2 before SEV3, whatever order the replica listed them in.
    assert_eq!(order(&app), vec![payments.id, search.id]);
    assert_eq!(selected(&app), payments.id, "the cursor starts at the top");
    press(&mut app, KeyCode::Down);
    assert_eq!(selected(&app), search.id);

    // A SEV1 arrives and sorts above both: the cursor stays on the search incident.
    let ledger = summary(3, "Ledger writes time out", 1, "alex", 50, &[]);
    let effects = app.update(Msg::Incidents(vec![
        ledger.clone(),
        search.clone(),
        payments.clone(),
    ]));
    assert!(
        notified(&effects).is_empty(),
        "nothing needs maya: {effects:?}"
    );
    assert_eq!(order(&app), vec![ledger.id, payments.id, search.id]);
    assert_eq!(selected(&app), search.id);

    // An incident where maya commands and a change waits for her: first in the list, its
    // row says so, she is told once, and still the cursor does not move.
    let dns = summary(
        4,
        "Internal DNS flapping",
        3,
        "maya",
        5,
        &[change_request()],
    );
    let list = vec![
        dns.clone(),
        ledger.clone(),
        search.clone(),
        payments.clone(),
    ];
    let effects = app.update(Msg::Incidents(list.clone()));
    assert_eq!(
        notified(&effects),
        vec![format!("{}: bo asks to change production", dns.short_id)]
    );
    assert_eq!(order(&app), vec![dns.id, ledger.id, payments.id, search.id]);
    assert_eq!(selected(&app), search.id);
    let screen = render(&app, 100, 24);
    let first_row = screen.lines().nth(2).unwrap();
    assert!(
        first_row.contains(&dns.short_id) && first_row.contains("1 change waits"),
        "{screen}"
    );
    // The same list again raises nothing new.
    assert!(notified(&app.update(Msg::Incidents(list))).is_empty());

    // Enter opens the incident under the cursor, not whatever is on its old row.
    let effects = press(&mut app, KeyCode::Enter);
    assert!(
        effects.contains(&Effect::LoadIncident {
            id: search.id,
            after: 0
        }),
        "{effects:?}"
    );
}

#[test]
fn an_open_incident_shows_when_another_needs_you_and_bang_opens_it() {
    let mut app = app();
    let demo = warroom::domain::incident::Incident::fold(
        DEMO_INCIDENT,
        &common::demo_events(DEMO_INCIDENT, demo_start(), common::demo_ids()),
    )
    .summary;
    let quiet = summary(1, "Search results stale", 3, "priya", 10, &[]);
    app.update(Msg::Incidents(vec![demo.clone(), quiet.clone()]));
    app.update(Msg::Loaded {
        id: DEMO_INCIDENT,
        new: common::demo_events(DEMO_INCIDENT, demo_start(), common::demo_ids()),
        pending: vec![],
        full: true,
    });
    assert_eq!(app.screen, Screen::Incident);
    let screen = render(&app, 160, 48);
    assert!(!screen.contains("needs you:"), "{screen}");
    let effects = press(&mut app, KeyCode::Char('!'));
    assert!(effects.is_empty(), "nothing to open: {effects:?}");

    // Bo hands maya the Operations Lead role on another incident.
    let dns = summary(
        2,
        "Internal DNS flapping",
        3,
        "bo",
        5,
        &[json!({ "type": "role_assigned", "role": "ol", "handle": "maya" })],
    );
    let effects = app.update(Msg::Incidents(vec![demo, quiet, dns.clone()]));
    assert_eq!(
        notified(&effects),
        vec![format!("{}: you are now Operations Lead", dns.short_id)]
    );
    let screen = render(&app, 160, 48);
    let badge = format!(
        "⚑ 1 other needs you: {} you are now OL · ! opens",
        dns.short_id
    );
    assert!(screen.contains(&badge), "{screen}");

    let effects = press(&mut app, KeyCode::Char('!'));
    assert_eq!(
        effects,
        vec![
            Effect::LoadIncident {
                id: dns.id,
                after: 0
            },
            Effect::Focus(Some(dns.id)),
        ]
    );
}
