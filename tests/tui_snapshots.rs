//! What the console draws, as text: the incident list and each pane of the demo incident,
//! at 80x24 and 160x48, on ratatui's `TestBackend`. Ids, start time and clock are fixed so
//! the snapshots are stable; `INSTA_UPDATE=always cargo test --test tui_snapshots` rewrites
//! them after an intended change.

// Tests fail by panicking, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::{DateTime, Duration, FixedOffset, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::CellWidth;
use uuid::Uuid;
use warroom::domain::event::{Event, Severity, Stage, Status};
use warroom::domain::incident::{Incident, IncidentSummary};
use warroom::tui::app::{App, Msg, Screen};
use warroom::tui::keymap::Keymap;
use warroom::tui::view;

// The demo incident, declared at `start()`: 21:00 UTC on 26 November 2026.
use common::{DEMO_INCIDENT as INCIDENT, demo_start as start};

/// The console's clock: an hour into the demo incident.
fn now() -> DateTime<Utc> {
    start() + Duration::minutes(60)
}

fn demo_events() -> Vec<Event> {
    common::demo_events(INCIDENT, start(), common::demo_ids())
}

/// The incident list: the demo, a resolved minor one, and a critical drill.
fn incident_list() -> Vec<IncidentSummary> {
    let demo = Incident::fold(INCIDENT, &demo_events()).summary;
    let mut minor =
        IncidentSummary::new(Uuid::from_u128(0x0190_d59f_0000_7000_8000_0000_0000_0002));
    minor.title = "Search results stale for EU shoppers".into();
    minor.severity = Severity::MINOR;
    minor.status = Status::Resolved;
    minor.stage = Stage::Learn;
    minor.declared_at = Some(start() - Duration::hours(26));
    minor.commander = Some("priya".into());
    let mut drill =
        IncidentSummary::new(Uuid::from_u128(0x0190_d59e_0000_7000_8000_0000_0000_0003));
    drill.title =
        "Primary database region lost: fail over the ledger and the card store to the standby region"
            .into();
    drill.severity = Severity::CRITICAL;
    drill.drill = true;
    drill.declared_at = Some(start() - Duration::days(9));
    drill.commander = Some("alexandrina".into());
    vec![demo, minor, drill]
}

fn app(w: u16, h: u16) -> App {
    let keymap = Keymap::builtin("default").expect("the default keymap");
    let mut app = App::new("maya", keymap, now(), FixedOffset::east_opt(0).unwrap());
    app.update(Msg::Resize(w, h));
    app
}

fn key(app: &mut App, code: KeyCode) {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn picker(w: u16, h: u16, incidents: bool) -> App {
    let mut app = app(w, h);
    if incidents {
        app.update(Msg::Incidents(incident_list()));
    }
    app
}

/// The demo incident open, with `pane` (1-5) focused.
fn incident(w: u16, h: u16, pane: char) -> App {
    let mut app = app(w, h);
    app.update(Msg::Incidents(incident_list()));
    app.update(Msg::Loaded {
        id: INCIDENT,
        new: demo_events(),
        pending: vec![],
        full: true,
    });
    assert_eq!(app.screen, Screen::Incident);
    key(&mut app, KeyCode::Char(pane));
    app
}

fn draw(app: &App, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("a test terminal");
    terminal.draw(|f| view::view(app, f)).expect("a frame");
    terminal
}

/// The screen as text, one line per row, trailing spaces trimmed.
fn render(app: &App, w: u16, h: u16) -> String {
    let terminal = draw(app, w, h);
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let mut line = String::new();
        let mut skip = 0usize;
        for x in 0..buffer.area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let cell = &buffer[(x, y)];
            // A wide character covers the next cell too.
            skip = usize::from(cell.cell_width()).saturating_sub(1);
            line.push_str(cell.symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

#[test]
fn picker_without_incidents() {
    for (w, h) in SIZES {
        let text = render(&picker(w, h, false), w, h);
        assert!(text.contains("No incidents yet. Press n to declare one."));
        insta::assert_snapshot!(format!("picker_empty_{w}x{h}"), text);
    }
}

#[test]
fn picker_with_incidents() {
    for (w, h) in SIZES {
        let text = render(&picker(w, h, true), w, h);
        assert!(text.contains("Card payments"), "{text}");
        insta::assert_snapshot!(format!("picker_incidents_{w}x{h}"), text);
    }
}

#[test]
fn timeline_focused() {
    for (w, h) in SIZES {
        let text = render(&incident(w, h, '1'), w, h);
        assert!(text.contains("Timeline (34)"), "{text}");
        insta::assert_snapshot!(format!("timeline_{w}x{h}"), text);
    }
}

#[test]
fn roster_focused() {
    for (w, h) in SIZES {
        let text = render(&incident(w, h, '2'), w, h);
        assert!(text.contains("Roles & responders"), "{text}");
        insta::assert_snapshot!(format!("roster_{w}x{h}"), text);
    }
}

#[test]
fn board_focused() {
    for (w, h) in SIZES {
        let text = render(&incident(w, h, '3'), w, h);
        assert!(text.contains("Theories (3)"), "{text}");
        insta::assert_snapshot!(format!("board_{w}x{h}"), text);
    }
}

#[test]
fn comms_focused() {
    for (w, h) in SIZES {
        let text = render(&incident(w, h, '4'), w, h);
        assert!(text.contains("4 Comms"), "{text}");
        insta::assert_snapshot!(format!("comms_{w}x{h}"), text);
    }
}

#[test]
fn fatigue_focused() {
    for (w, h) in SIZES {
        let text = render(&incident(w, h, '5'), w, h);
        assert!(text.contains("responder"), "{text}");
        insta::assert_snapshot!(format!("fatigue_{w}x{h}"), text);
    }
}

#[test]
fn help_overlay() {
    for (w, h) in SIZES {
        let mut app = incident(w, h, '1');
        key(&mut app, KeyCode::Char('?'));
        let text = render(&app, w, h);
        assert!(text.contains("Keys (any key closes)"), "{text}");
        insta::assert_snapshot!(format!("help_{w}x{h}"), text);
    }
}

/// Every screen, pane and overlay, at sizes from a single cell to a very large terminal.
#[test]
fn no_size_panics() {
    type Setup = fn(u16, u16) -> App;
    let setups: Vec<(&str, Setup)> = vec![
        ("picker empty", |w, h| picker(w, h, false)),
        ("picker", |w, h| picker(w, h, true)),
        ("declare form", |w, h| {
            let mut app = picker(w, h, true);
            key(&mut app, KeyCode::Char('n'));
            app
        }),
        ("timeline", |w, h| incident(w, h, '1')),
        ("roster", |w, h| incident(w, h, '2')),
        ("board", |w, h| incident(w, h, '3')),
        ("comms", |w, h| incident(w, h, '4')),
        ("fatigue", |w, h| incident(w, h, '5')),
        ("zoomed board", |w, h| {
            let mut app = incident(w, h, '3');
            key(&mut app, KeyCode::Char('z'));
            app
        }),
        ("help", |w, h| {
            let mut app = incident(w, h, '1');
            key(&mut app, KeyCode::Char('?'));
            app
        }),
        ("discipline", |w, h| {
            let mut app = incident(w, h, '3');
            key(&mut app, KeyCode::Char('i'));
            app
        }),
        ("note form", |w, h| {
            let mut app = incident(w, h, '1');
            key(&mut app, KeyCode::Char('n'));
            app
        }),
        ("hand-over form", |w, h| {
            let mut app = incident(w, h, '2');
            key(&mut app, KeyCode::Char('h'));
            app
        }),
    ];
    let sizes = [
        (1, 1),
        (2, 2),
        (10, 3),
        (19, 5),
        (20, 6),
        (40, 10),
        (80, 24),
        (300, 100),
    ];
    for (name, setup) in &setups {
        for (w, h) in sizes {
            let app = setup(w, h);
            let result =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| render(&app, w, h)));
            let text = result.unwrap_or_else(|_| panic!("{name} at {w}x{h} panicked"));
            assert_eq!(text.lines().count(), h as usize, "{name} at {w}x{h}");
            if w < 20 || h < 6 {
                let first: String = "warroom:".chars().take(w as usize).collect();
                assert!(text.starts_with(&first), "{name} at {w}x{h}: {text}");
            } else {
                assert!(!text.contains("enlarge the terminal"), "{name} at {w}x{h}");
            }
        }
    }
}
