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
use warroom::domain::event::{Event, EventKind, HandoverBrief, Severity, Stage, Status};
use warroom::domain::incident::{Incident, IncidentSummary};
use warroom::tui::app::{App, Msg, Overlay, Screen};
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

// ---- the timeline in time order, and one entry whole ---------------------------------

/// The demo with two entries recorded late in its hour: a note written up after the fact
/// (it happened at 21:05, recorded at 21:58) and a correction of the start of impact from
/// 20:51 to 20:48 (recorded at 21:59).
fn late_events() -> Vec<Event> {
    let mut events = demo_events();
    let seq = events.len() as i64;
    let late = |n: i64, at: i64, recorded: i64, author: &str, kind: EventKind| Event {
        id: Uuid::from_u128(0x0190_d5a0_0000_7000_8000_0000_0000_3000 + n as u128),
        incident: INCIDENT,
        seq: Some(seq + n),
        at: start() + Duration::minutes(at),
        recorded_at: Some(start() + Duration::minutes(recorded)),
        author: author.into(),
        persona: None,
        kind,
    };
    let note = late(
        1,
        5,
        58,
        "tomas",
        EventKind::Note {
            text: "Gateway logs show the first card declines at 21:05, before the alert fired; \
                   the pool wait queue was already growing."
                .into(),
        },
    );
    let fix = late(2, -12, 59, "maya", EventKind::ImpactStarted {});
    events.extend([note, fix]);
    events
}

/// The demo with the late entries open, the timeline focused.
fn late_incident(w: u16, h: u16) -> App {
    let mut app = app(w, h);
    app.update(Msg::Incidents(incident_list()));
    app.update(Msg::Loaded {
        id: INCIDENT,
        new: late_events(),
        pending: vec![],
        full: true,
    });
    key(&mut app, KeyCode::Char('1'));
    app
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

/// The event shown in visible row `i` of the timeline.
fn shown(app: &App, i: usize) -> Event {
    let row = app.row_index(i).expect("a visible row");
    let (ev, _) = app.data.as_ref().unwrap().row(row).expect("a row");
    ev.clone()
}

#[test]
fn timeline_by_time_with_a_late_note_and_a_correction() {
    for (w, h) in SIZES {
        let app = late_incident(w, h);
        let text = render(&app, w, h);
        assert!(text.contains("[by time]"), "{text}");
        // Following selects the newest recorded entry, the correction, at the top.
        assert_eq!(app.selected_event().map(|e| e.seq), Some(Some(36)));
        assert!(text.contains("(fix) ↶ rec 21:59"), "{text}");
        assert!(text.contains("superseded by 20:48"), "{text}");
        assert!(text.contains("↶ rec 21:58 Gateway logs"), "{text}");
        insta::assert_snapshot!(format!("timeline_by_time_{w}x{h}"), text);
    }
}

#[test]
fn marks_stay_in_sight_on_a_narrow_timeline() {
    // At 100 columns the timeline shares the screen with the focused pane.
    let mut app = late_incident(100, 30);
    key(&mut app, KeyCode::Char('2'));
    let text = render(&app, 100, 30);
    let note = text
        .lines()
        .find(|l| l.contains("21:05:00") && l.contains(" note "))
        .unwrap_or_else(|| panic!("the late note is on screen: {text}"));
    assert!(note.contains("↶ rec 21:58"), "{note}");
    assert!(note.contains('…'), "the text is cut, not the mark: {note}");
    let fix = text.lines().find(|l| l.contains("20:48:00")).unwrap();
    assert!(fix.contains("(fix)"), "{fix}");
}

#[test]
fn toggling_the_order_shows_rows_as_logged_and_back() {
    let mut app = late_incident(80, 24);
    // By time: the corrected start of impact (20:48) comes first, the one it replaced
    // (20:51) next, then detection and the declaration.
    let by_time: Vec<i64> = (0..4).map(|i| shown(&app, i).seq.unwrap()).collect();
    assert_eq!(by_time, vec![36, 2, 3, 1]);
    let note_at = (0..app.visible_rows())
        .position(|i| shown(&app, i).seq == Some(35))
        .unwrap();
    let note = shown(&app, note_at);
    assert!(
        shown(&app, note_at - 1).at <= note.at && note.at < shown(&app, note_at + 1).at,
        "the late note sits at 21:05, row {note_at}"
    );
    assert!(note_at < 20, "row {note_at}");

    key(&mut app, KeyCode::Char('O'));
    let as_logged: Vec<i64> = (0..app.visible_rows())
        .map(|i| shown(&app, i).seq.unwrap())
        .collect();
    assert_eq!(as_logged, (1..=36).collect::<Vec<_>>());
    assert!(render(&app, 80, 24).contains("[as logged]"));
    assert_eq!(
        app.selected_event().map(|e| e.seq),
        Some(Some(36)),
        "following: still the newest recorded"
    );

    key(&mut app, KeyCode::Char('O'));
    assert_eq!(shown(&app, 0).seq, Some(36));
    assert!(render(&app, 80, 24).contains("[by time]"));
}

/// The demo's first internal update, opened whole with enter.
fn comms_entry(w: u16, h: u16) -> App {
    let mut app = incident(w, h, '1');
    key(&mut app, KeyCode::Char('g'));
    type_text(&mut app, "21:12");
    key(&mut app, KeyCode::Enter);
    assert!(
        matches!(
            app.selected_event().map(|e| &e.kind),
            Some(EventKind::CommsSent { .. })
        ),
        "g 21:12 selects the update"
    );
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.overlay, Overlay::Detail(_)));
    app
}

#[test]
fn an_entry_opens_whole() {
    for (w, h) in SIZES {
        let app = comms_entry(w, h);
        let text = render(&app, w, h);
        assert!(text.contains("Timeline entry"), "{text}");
        assert!(text.contains("audience"), "{text}");
        assert!(text.contains("Current status:"), "the full text: {text}");
        insta::assert_snapshot!(format!("entry_{w}x{h}"), text);
    }
}

#[test]
fn an_entry_scrolls_and_closes() {
    let mut app = comms_entry(80, 24);
    assert!(!render(&app, 80, 24).contains("next update due"));
    key(&mut app, KeyCode::End);
    let end = render(&app, 80, 24);
    assert!(end.contains("next update due"), "{end}");
    assert!(end.contains("• eta"), "{end}");
    let Overlay::Detail(entry) = &app.overlay else {
        panic!("still open")
    };
    let last = entry.scroll;
    assert!(last > 0);
    key(&mut app, KeyCode::Char('j'));
    let Overlay::Detail(entry) = &app.overlay else {
        panic!("still open")
    };
    assert_eq!(entry.scroll, last, "no scrolling past the end");
    key(&mut app, KeyCode::Char('k'));
    key(&mut app, KeyCode::PageUp);
    key(&mut app, KeyCode::Home);
    let Overlay::Detail(entry) = &app.overlay else {
        panic!("still open")
    };
    assert_eq!(entry.scroll, 0);
    key(&mut app, KeyCode::Char('q'));
    assert!(matches!(app.overlay, Overlay::None), "q closes");
    assert!(!app.quit, "and does not quit");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Esc);
    assert!(matches!(app.overlay, Overlay::None), "esc closes");
    assert_eq!(app.screen, Screen::Incident);
}

#[test]
fn a_handover_to_me_opens_its_brief_once() {
    let mut app = incident(80, 24, '1');
    let events = demo_events();
    let handover = Event {
        id: Uuid::from_u128(0x0190_d5a0_0000_7000_8000_0000_0000_4001),
        incident: INCIDENT,
        seq: Some(events.len() as i64 + 1),
        at: now(),
        recorded_at: Some(now()),
        author: "jonas".into(),
        persona: None,
        kind: EventKind::CommandHandedOver {
            to: "maya".into(),
            brief: HandoverBrief {
                current_state: "Errors are back to normal.".into(),
                next_steps: vec!["Call end of impact at 22:15 if it holds".into()],
                people: vec!["tomas".into()],
            },
        },
    };
    app.update(Msg::Loaded {
        id: INCIDENT,
        new: vec![handover.clone()],
        pending: vec![],
        full: false,
    });
    let Overlay::Detail(entry) = &app.overlay else {
        panic!("the brief opens by itself")
    };
    assert_eq!(entry.event, handover.id);
    let text = render(&app, 80, 24);
    assert!(text.contains("Call end of impact at 22:15"), "{text}");
    key(&mut app, KeyCode::Esc);
    // The same event again (a reload) does not open it a second time.
    app.update(Msg::Loaded {
        id: INCIDENT,
        new: vec![handover],
        pending: vec![],
        full: false,
    });
    assert!(matches!(app.overlay, Overlay::None));
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
        ("entry", |w, h| {
            let mut app = late_incident(w, h);
            key(&mut app, KeyCode::Enter);
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
