//! Alerts in the console, through `App::update` with a fixed clock: the server's firing
//! alerts that no open incident took in show above the incident list, the cursor moves up
//! into them, `d` declares from one (its name and summary filled in, the severity asked),
//! `a` attaches one to the open incident, and a new critical alert notifies once.

// Tests fail by panicking, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, FixedOffset, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use uuid::Uuid;
use warroom::domain::alert::{Alert, AlertStatus};
use warroom::domain::event::{EventKind, Severity, Status};
use warroom::domain::incident::Incident;
use warroom::tui::app::{App, Effect, Msg, Overlay, Screen};
use warroom::tui::keymap::Keymap;
use warroom::tui::view;

use common::{DEMO_INCIDENT, demo_start};

fn now() -> DateTime<Utc> {
    demo_start() + Duration::minutes(60)
}

fn alert(n: u128, name: &str, severity: &str, minutes_ago: i64) -> Alert {
    Alert {
        id: Uuid::from_u128(0x0190_d5a2_0000_7000_8000_0000_0000_0000 | n),
        fingerprint: format!("f{n:015x}"),
        status: AlertStatus::Firing,
        labels: BTreeMap::from([
            ("alertname".to_string(), name.to_string()),
            ("severity".to_string(), severity.to_string()),
        ]),
        annotations: BTreeMap::from([("summary".to_string(), format!("{name} is bad"))]),
        starts_at: now() - Duration::minutes(minutes_ago),
        ends_at: None,
        incident: None,
        group_key: format!("{{}}:{{alertname=\"{name}\"}}"),
        source: "warroom".into(),
        generator_url: String::new(),
        updated_at: now(),
    }
}

/// The console as maya, with the demo incident in the list (not open).
fn app() -> App {
    let keymap = Keymap::builtin("default").expect("the default keymap");
    let mut app = App::new("maya", keymap, now(), FixedOffset::east_opt(0).unwrap());
    app.update(Msg::Resize(100, 30));
    let demo = Incident::fold(
        DEMO_INCIDENT,
        &common::demo_events(DEMO_INCIDENT, demo_start(), common::demo_ids()),
    );
    app.update(Msg::Incidents(vec![demo.summary]));
    app
}

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
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
fn unlinked_firing_alerts_show_above_the_incidents() {
    let mut app = app();
    let screen = render(&app, 100, 30);
    assert!(!screen.contains("Alerts firing"), "none yet:\n{screen}");

    let mut linked = alert(3, "Linked", "critical", 5);
    linked.incident = Some(DEMO_INCIDENT);
    let mut resolved = alert(4, "Over", "critical", 50);
    resolved.status = AlertStatus::Resolved;
    let mut closed_one = alert(5, "OnAClosedIncident", "warning", 7);
    closed_one.incident = Some(Uuid::from_u128(99));
    app.update(Msg::Alerts(vec![
        alert(1, "HighErrorRate", "critical", 10),
        alert(2, "DiskFilling", "warning", 30),
        linked,
        resolved,
        closed_one,
    ]));
    let shown: Vec<&str> = app.unlinked_alerts().iter().map(|a| a.name()).collect();
    assert_eq!(
        shown,
        vec!["HighErrorRate", "DiskFilling", "OnAClosedIncident"],
        "firing, and not taken in by an incident still in the list"
    );
    let screen = render(&app, 100, 30);
    let alerts_at = screen.find("Alerts firing, not taken in (3)").unwrap();
    let incidents_at = screen.find(" Incidents ").unwrap();
    assert!(alerts_at < incidents_at, "above the incidents:\n{screen}");
    assert!(
        screen.contains("HighErrorRate — HighErrorRate is bad"),
        "{screen}"
    );
    assert!(!screen.contains("Linked"), "{screen}");

    // An incident once open and then closed gives its alerts back.
    let mut closed = app.incidents[0].clone();
    closed.status = Status::Closed;
    app.update(Msg::Incidents(vec![closed]));
    assert_eq!(app.unlinked_alerts().len(), 4);
}

#[test]
fn the_cursor_moves_into_the_alerts_and_d_declares_from_one() {
    let mut app = app();
    app.update(Msg::Alerts(vec![
        alert(1, "HighErrorRate", "critical", 10),
        alert(2, "DiskFilling", "warning", 30),
    ]));
    assert_eq!(app.alert_row, None, "the cursor starts on the incidents");
    key(&mut app, KeyCode::Up);
    assert_eq!(
        app.alert_row,
        Some(1),
        "up from the first incident: the last alert"
    );
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Up);
    assert_eq!(app.alert_row, Some(0));
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    assert_eq!(
        app.alert_row, None,
        "down past the last alert: the incidents"
    );
    assert_eq!(app.picker_selected, 0);
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Up);
    assert_eq!(app.alert_row, Some(0));

    let effects = key(&mut app, KeyCode::Char('d'));
    assert!(effects.is_empty(), "{effects:?}");
    let Overlay::Form(form) = &app.overlay else {
        panic!("the declaration form opens");
    };
    assert_eq!(form.value("Title"), "HighErrorRate");
    assert_eq!(form.value("Summary"), "HighErrorRate is bad");
    assert_eq!(
        form.value("Severity"),
        "",
        "the severity is the responder's to choose"
    );

    // Enter without a severity: asked for, nothing declared.
    for _ in 0..3 {
        let effects = key(&mut app, KeyCode::Enter);
        assert!(effects.is_empty(), "{effects:?}");
    }
    let Overlay::Form(form) = &app.overlay else {
        panic!("the form stays open");
    };
    assert_eq!(
        form.error.as_deref(),
        Some("choose the severity: 1, 2 or 3")
    );
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Char('1'));
    let effects = key(&mut app, KeyCode::Enter);
    let effects = if effects.is_empty() {
        key(&mut app, KeyCode::Enter)
    } else {
        effects
    };
    match effects.as_slice() {
        [
            Effect::DeclareFromAlert {
                title,
                severity,
                summary,
                alert,
            },
        ] => {
            assert_eq!(title, "HighErrorRate");
            assert_eq!(*severity, Severity::CRITICAL);
            assert_eq!(summary, "HighErrorRate is bad");
            assert_eq!(alert.fingerprint, "f000000000000001");
        }
        other => panic!("a declaration from the alert: {other:?}"),
    }
}

#[test]
fn enter_on_an_alert_declares_from_it_and_keys_elsewhere_still_work() {
    let mut app = app();
    app.update(Msg::Alerts(vec![alert(1, "HighErrorRate", "critical", 10)]));
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Enter);
    assert!(
        matches!(&app.overlay, Overlay::Form(f) if f.value("Title") == "HighErrorRate"),
        "enter on an alert declares from it"
    );
    key(&mut app, KeyCode::Esc);
    assert!(matches!(app.overlay, Overlay::None));
    key(&mut app, KeyCode::Down);
    let effects = key(&mut app, KeyCode::Enter);
    assert!(
        effects.contains(&Effect::LoadIncident {
            id: DEMO_INCIDENT,
            after: 0
        }),
        "enter on an incident opens it: {effects:?}"
    );
}

#[test]
fn a_attaches_the_alert_to_the_open_incident() {
    let mut app = app();
    app.update(Msg::Loaded {
        id: DEMO_INCIDENT,
        new: common::demo_events(DEMO_INCIDENT, demo_start(), common::demo_ids()),
        pending: vec![],
        full: true,
    });
    assert_eq!(app.screen, Screen::Incident);
    key(&mut app, KeyCode::Esc);
    assert_eq!(
        app.screen,
        Screen::Picker,
        "back to the list, the incident still open"
    );
    let one = alert(1, "HighErrorRate", "critical", 10);
    app.update(Msg::Alerts(vec![one.clone()]));
    // One alert: `a` needs no choosing.
    let effects = key(&mut app, KeyCode::Char('a'));
    match effects.as_slice() {
        [
            Effect::Record {
                incident,
                kinds,
                what,
            },
        ] => {
            assert_eq!(*incident, DEMO_INCIDENT);
            assert_eq!(kinds.len(), 1);
            assert_eq!(kinds[0].1, one.link());
            assert!(
                matches!(&kinds[0].1, EventKind::AlertLinked { fingerprint, .. } if fingerprint == "f000000000000001")
            );
            assert!(what.contains("alert HighErrorRate linked to"), "{what}");
        }
        other => panic!("the link is recorded: {other:?}"),
    }
}

#[test]
fn a_new_critical_alert_notifies_once_and_those_already_firing_do_not() {
    let mut app = app();
    let old = alert(1, "AlreadyFiring", "critical", 40);
    let effects = app.update(Msg::Alerts(vec![old.clone()]));
    assert!(
        notified(&effects).is_empty(),
        "firing before the console started: shown, not news: {effects:?}"
    );
    let new = alert(2, "HighErrorRate", "critical", 1);
    let minor = alert(3, "DiskFilling", "warning", 1);
    let effects = app.update(Msg::Alerts(vec![new.clone(), minor.clone(), old.clone()]));
    assert_eq!(notified(&effects), vec!["ALERT critical: HighErrorRate"]);
    let effects = app.update(Msg::Alerts(vec![new.clone(), minor, old]));
    assert!(notified(&effects).is_empty(), "once: {effects:?}");
    let effects = app.update(Msg::Tick(now() + Duration::seconds(1)));
    assert!(notified(&effects).is_empty(), "once: {effects:?}");
    // The same alert firing again later is news again.
    let mut again = new;
    again.starts_at = now() + Duration::minutes(30);
    let effects = app.update(Msg::Alerts(vec![again]));
    assert_eq!(notified(&effects), vec!["ALERT critical: HighErrorRate"]);
}
