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

// ---- 80x24, a laptop over SSH: every pane and overlay, whole ---------------------------

use crossterm::event::{MouseEvent, MouseEventKind};
use ratatui::style::Modifier;
use warroom::domain::kedb::KnownError;
use warroom::domain::postmortem::Finding;
use warroom::sync::engine::{Link, LinkStatus};
use warroom::tui::action::Action;
use warroom::tui::keymap::Section;
use warroom::tui::pane::{Pane, board, comms, fatigue, roster, timeline};
use warroom::tui::picker;

/// An event on the demo incident, `n` after its last, at `minutes` after its start.
fn demo_event(n: i64, minutes: i64, author: &str, kind: EventKind) -> Event {
    let seq = demo_events().len() as i64 + n;
    Event {
        id: Uuid::from_u128(0x0190_d5a0_0000_7000_8000_0000_0000_5000 + n as u128),
        incident: INCIDENT,
        seq: Some(seq),
        at: start() + Duration::minutes(minutes),
        recorded_at: Some(start() + Duration::minutes(minutes)),
        author: author.into(),
        persona: None,
        kind,
    }
}

/// Observation `k`, long enough to wrap over several rows of a board column; it ends in
/// `(#k)`.
fn observation(k: i64) -> EventKind {
    EventKind::Observation {
        text: format!(
            "Observation {k}: checkout errors on node pay-{k} at {k}0 per minute, wallet \
             payments unaffected (#{k})"
        ),
        from_event: None,
    }
}

/// Events arriving on the open demo incident, as sync brings them.
fn arrive(app: &mut App, events: Vec<Event>) {
    app.update(Msg::Loaded {
        id: INCIDENT,
        new: events,
        pending: vec![],
        full: false,
    });
}

/// Whether the cell where `needle` starts on screen is drawn reversed (selected).
fn reversed_at(app: &App, w: u16, h: u16, needle: &str) -> bool {
    let text = render(app, w, h);
    let terminal = draw(app, w, h);
    let buffer = terminal.backend().buffer();
    for (y, line) in text.lines().enumerate() {
        if let Some(at) = line.find(needle) {
            let x = line[..at].chars().count() as u16;
            return buffer[(x, y as u16)].modifier.contains(Modifier::REVERSED);
        }
    }
    panic!("{needle} is not on screen:\n{text}")
}

/// The demo's board with ten more observations, arrived one by one while nothing was
/// chosen on the board.
fn busy_board(w: u16, h: u16) -> App {
    let mut app = incident(w, h, '3');
    for k in 1..=10 {
        arrive(&mut app, vec![demo_event(k, 60, "tomas", observation(k))]);
    }
    app
}

#[test]
fn a_busy_board_follows_the_newest_observation() {
    let app = busy_board(80, 24);
    assert_eq!(app.board_rows[0], 12, "the newest of 13 is selected");
    let text = render(&app, 80, 24);
    assert!(text.contains("Observed (13) ↑"), "{text}");
    assert!(
        text.contains("(#10)"),
        "the newest shows to its end: {text}"
    );
    assert!(reversed_at(&app, 80, 24, "Observation 10:"), "{text}");
    insta::assert_snapshot!("board_busy_80x24", text);

    let mut zoomed = busy_board(80, 24);
    key(&mut zoomed, KeyCode::Char('z'));
    let text = render(&zoomed, 80, 24);
    assert!(text.contains("[zoom]") && text.contains("(#10)"), "{text}");
    insta::assert_snapshot!("board_busy_zoomed_80x24", text);
}

#[test]
fn every_observation_on_a_busy_board_can_be_reached_whole() {
    for zoom in [false, true] {
        let mut app = busy_board(80, 24);
        if zoom {
            key(&mut app, KeyCode::Char('z'));
        }
        let texts: Vec<String> = app
            .data
            .as_ref()
            .unwrap()
            .state
            .board
            .observations
            .iter()
            .map(|o| o.text.clone())
            .collect();
        for i in (0..texts.len()).rev() {
            assert_eq!(app.board_rows[0], i);
            let screen = render(&app, 80, 24);
            // Its first words and its last, so all of it between.
            let words: Vec<&str> = texts[i].split(' ').collect();
            let head = format!("• {} {}", words[0], words[1]);
            let tail = words[words.len() - 1];
            assert!(
                screen.contains(&head),
                "zoom {zoom}, item {i}: {head}\n{screen}"
            );
            assert!(
                screen.contains(tail),
                "zoom {zoom}, item {i}: {tail}\n{screen}"
            );
            assert!(reversed_at(&app, 80, 24, &head), "zoom {zoom}, item {i}");
            key(&mut app, KeyCode::Up);
        }
        assert_eq!(app.board_rows[0], 0);
    }
}

#[test]
fn a_board_column_stays_where_it_was_chosen_and_follows_again_from_its_end() {
    let mut app = busy_board(80, 24);
    key(&mut app, KeyCode::Up);
    assert_eq!(app.board_rows[0], 11);
    arrive(&mut app, vec![demo_event(11, 61, "tomas", observation(11))]);
    assert_eq!(app.board_rows[0], 11, "a chosen observation stays selected");
    key(&mut app, KeyCode::End);
    assert_eq!(app.board_rows[0], 13);
    arrive(&mut app, vec![demo_event(12, 62, "tomas", observation(12))]);
    assert_eq!(
        app.board_rows[0], 14,
        "the last selected follows the newest"
    );
    // Nothing was chosen among the theories: a new one is selected too.
    arrive(
        &mut app,
        vec![demo_event(
            13,
            63,
            "jonas",
            EventKind::Theory {
                text: "The new pool size is still too small at peak".into(),
            },
        )],
    );
    assert_eq!(app.board_rows[1], 3);
}

#[test]
fn the_comms_checklist_lists_failing_checks_first_and_scrolls() {
    let mut app = incident(80, 24, '4');
    let text = render(&app, 80, 24);
    let checks: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split('│').nth(2))
        .map(str::trim)
        .filter(|c| c.starts_with('✗') || c.starts_with('✓'))
        .collect();
    assert!(!checks.is_empty(), "{text}");
    assert!(
        checks.iter().all(|c| c.starts_with('✗')),
        "failing first: {checks:?}"
    );
    assert!(text.contains("1/10 checks pass"), "{text}");
    assert!(text.contains("↓ 6 more"), "{text}");
    assert!(!text.contains("✓ No blanks left"), "{text}");

    // The wheel over the pane scrolls it to its end, and no further.
    let wheel = |app: &mut App, kind| {
        app.update(Msg::Mouse(MouseEvent {
            kind,
            column: 60,
            row: 12,
            modifiers: KeyModifiers::NONE,
        }));
    };
    for _ in 0..5 {
        wheel(&mut app, MouseEventKind::ScrollDown);
    }
    let end = app.comms_scroll;
    assert!(end > 0);
    let text = render(&app, 80, 24);
    assert!(
        text.contains("✓ No blanks left from the template"),
        "{text}"
    );
    assert!(text.contains(&format!("↑ {end} more")), "{text}");
    assert!(!text.contains("↓ "), "nothing more below: {text}");
    key(&mut app, KeyCode::Down);
    assert_eq!(app.comms_scroll, end, "not past the end");
    // The keys scroll back.
    key(&mut app, KeyCode::Up);
    assert_eq!(app.comms_scroll, end - 1);
    key(&mut app, KeyCode::Home);
    assert_eq!(app.comms_scroll, 0);
    assert_eq!(render(&app, 80, 24), render(&incident(80, 24, '4'), 80, 24));
    key(&mut app, KeyCode::PageDown);
    assert_eq!(app.comms_scroll, end, "a page down goes to the end");
    insta::assert_snapshot!("comms_checks_scrolled_80x24", render(&app, 80, 24));
}

#[test]
fn editing_a_draft_at_80x24_gives_the_editor_the_width_and_wraps_words() {
    let mut app = incident(80, 24, '4');
    key(&mut app, KeyCode::Char('e'));
    assert!(app.editing);
    let draft = "SEV2 – Card payments failing at checkout. About a third of card payments \
                 fail for customers since 21:40; wallets work. We are rolling the payments \
                 release back on every node and watching the error rate.";
    type_text(&mut app, draft);
    let text = render(&app, 80, 24);
    let summary = text
        .lines()
        .find(|l| l.contains("checks "))
        .unwrap_or_else(|| panic!("a one-line summary: {text}"));
    assert!(
        summary.contains("— failing: ") && summary.contains("status"),
        "{summary}"
    );
    let lines: Vec<&str> = text.lines().collect();
    let top = lines
        .iter()
        .position(|l| l.contains("draft (editing"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        lines[top].starts_with("┃┌") && lines[top].ends_with("┐┃"),
        "the editor takes the pane's width: {}",
        lines[top]
    );
    let editor: Vec<&str> = lines[top + 1..]
        .iter()
        .take_while(|l| !l.contains('└'))
        .copied()
        .collect();
    let editor = editor.join("\n");
    // Wrapped at word boundaries: every word shows whole.
    for word in draft.split(' ') {
        assert!(editor.contains(word), "{word} is cut:\n{editor}");
    }
    insta::assert_snapshot!("comms_editing_80x24", text);
}

/// An incident other than the demo where maya is the IC and a change request waits.
fn waiting_incident() -> IncidentSummary {
    let id = Uuid::from_u128(0x0190_d5a1_0000_7000_8000_0000_0000_0004);
    let mut s = IncidentSummary::new(id);
    let kinds = [
        EventKind::IncidentDeclared {
            title: "Internal DNS flapping in the eu-west region after the resolver upgrade".into(),
            severity: Severity::MINOR,
            summary: String::new(),
            drill: false,
            restricted: false,
        },
        EventKind::ChangeRequested {
            description: "restart the resolvers".into(),
        },
    ];
    for (i, kind) in kinds.into_iter().enumerate() {
        s.apply(&Event {
            id: Uuid::from_u128(0x0190_d5a1_0000_7000_8000_0000_0004_0000 + i as u128),
            incident: id,
            seq: Some(i as i64 + 1),
            at: start() + Duration::minutes(30 + i as i64),
            recorded_at: Some(start() + Duration::minutes(30 + i as i64)),
            author: if i == 0 { "maya" } else { "bo" }.into(),
            persona: None,
            kind,
        });
    }
    s
}

#[test]
fn the_list_gives_titles_the_room_left() {
    let mut list = incident_list();
    list.push(waiting_incident());
    let mut long = IncidentSummary::new(Uuid::from_u128(0x0190_d5a1_0000_7000_8000_0000_0000_0005));
    long.title = "Card payments declined for every customer paying with a co-branded card".into();
    long.severity = Severity::MAJOR;
    long.declared_at = Some(start() - Duration::minutes(20));
    long.commander = Some("tomas".into());
    list.push(long);
    let mut app = app(80, 24);
    app.update(Msg::Incidents(list.clone()));
    let text = render(&app, 80, 24);
    for inc in &list {
        let mark = if inc.drill { "[DRILL] " } else { "" };
        let shown: String = format!("{mark}{}", inc.title).chars().take(30).collect();
        assert!(text.contains(&shown), "{shown}:\n{text}");
    }
    assert!(text.contains("1 change waits"), "{text}");
    insta::assert_snapshot!("picker_long_titles_80x24", text);
}

/// Whether `part` shows whole in `text`: where it shows, the line ends after it or the
/// next part starts (after a badge's padding or a " · ").
fn whole(text: &str, part: &str) -> bool {
    text.lines().any(|line| {
        line.match_indices(part).any(|(at, _)| {
            let rest = &line[at + part.len()..];
            rest.is_empty() || rest.starts_with("  ") || rest.starts_with(" · ")
        })
    })
}

/// The demo as maya sees it with every alarm the header has: command taken by tomas, the
/// internal update overdue, another incident waiting for her, a plain-http link, and the
/// link offline with changes waiting.
fn alarmed() -> App {
    let mut app = incident(200, 24, '1');
    app.update(Msg::Incidents(vec![
        Incident::fold(INCIDENT, &demo_events()).summary,
        waiting_incident(),
    ]));
    arrive(
        &mut app,
        vec![demo_event(
            1,
            58,
            "tomas",
            EventKind::CommandTaken {
                reason: "jonas's laptop died".into(),
            },
        )],
    );
    app.link_warning = Some("http://10.0.0.7:8080 sends the token in clear".into());
    app.update(Msg::Link(LinkStatus {
        link: Link::Offline {
            since: now() - Duration::minutes(3),
            retry_at: Some(now() + Duration::seconds(20)),
            reason: "connection refused".into(),
        },
        pending: 3,
        rejected: 0,
        last_sync: Some(now() - Duration::minutes(4)),
    }));
    app.message = None;
    app
}

#[test]
fn no_header_cuts_the_commander_or_the_link_at_any_width() {
    // What each part of the header may read; when any of it shows, one of these does whole.
    let parts: [(&str, &[&str]); 6] = [
        ("IC", &["IC tomas"]),
        (
            "OFFL",
            &[
                "OFFLINE since 21:57:00 · 3 pending",
                "OFFLINE · 3 pending",
                "OFFLINE since 21:57:00 UTC (connection refused), retrying in 20s · 3 pending \
                 · synced 21:56:00 UTC",
            ],
        ),
        (
            "COMMAND",
            &[
                "COMMAND TAKEN by tomas from jonas",
                "COMMAND TAKEN by tomas",
            ],
        ),
        ("OVERDUE", &["INT UPDATE OVERDUE 18m", "INT OVERDUE 18m"]),
        (
            "⚑",
            &[
                "⚑ 1 other needs you: 000004 1 change waits · ! opens",
                "⚑ 000004 1 change waits · !",
                "⚑ 000004 · !",
            ],
        ),
        ("PLAIN", &["PLAIN HTTP: token in clear", "PLAIN HTTP"]),
    ];
    let mut app = alarmed();
    for w in 40..=200u16 {
        app.update(Msg::Resize(w, 24));
        let text = render(&app, w, 24);
        let header: String = text.lines().take(2).collect::<Vec<_>>().join("\n");
        for (sign, forms) in &parts {
            if header.contains(sign) {
                assert!(
                    forms.iter().any(|f| whole(&header, f)),
                    "at {w}: {sign} is cut:\n{header}"
                );
            }
        }
        // The severity, the commander, the link and the first alarm fit at every width
        // from 40 columns, so they show.
        for always in ["SEV2", "IC tomas", "OFFLINE", "3 pending", "COMMAND TAKEN"] {
            assert!(header.contains(always), "at {w}: no {always}:\n{header}");
        }
        if w >= 80 {
            assert!(
                header.contains("OVERDUE") && header.contains("⚑"),
                "at {w}:\n{header}"
            );
        }
        if w >= 160 {
            assert!(
                header.contains(parts[4].1[0]),
                "at {w}: the badge in full:\n{header}"
            );
        }
    }
    app.update(Msg::Resize(80, 24));
    insta::assert_snapshot!("header_alarms_80x24", render(&app, 80, 24));
}

/// The hints a footer may show for `actions` in `section`, whole, help read either way.
fn whole_hints(app: &App, section: Section, actions: &[Action]) -> Vec<String> {
    let mut hints: Vec<String> = actions
        .iter()
        .chain([&Action::Help, &Action::StandDown])
        .map(|a| format!("{}  {}", app.keymap.hint(section, *a), a.short()))
        .collect();
    hints.push(format!("{}  more", app.keymap.hint(section, Action::Help)));
    hints
}

#[test]
fn no_footer_shows_a_cut_hint() {
    let panes: [(char, Pane, &[Action]); 5] = [
        ('1', Pane::Timeline, timeline::HINTS),
        ('2', Pane::Roster, roster::HINTS),
        ('3', Pane::Board, board::HINTS),
        ('4', Pane::Comms, comms::HINTS),
        ('5', Pane::Fatigue, fatigue::HINTS),
    ];
    for w in 40..=200u16 {
        let mut screens: Vec<(App, Section, &[Action])> = panes
            .iter()
            .map(|(k, p, hints)| (incident(w, 24, *k), Section::Pane(*p), *hints))
            .collect();
        screens.push((picker(w, 24, true), Section::Picker, picker::HINTS));
        for (app, section, actions) in &screens {
            let text = render(app, w, 24);
            let footer = text.lines().last().unwrap().trim().to_string();
            let hints = whole_hints(app, *section, actions);
            assert!(
                footer.starts_with("?  help") || footer.starts_with("?  more"),
                "at {w}: {footer}"
            );
            // The footer is whole hints, one after another.
            let mut rest = footer.as_str();
            while !rest.is_empty() {
                let hint = hints
                    .iter()
                    .filter(|h| rest.starts_with(h.as_str()))
                    .max_by_key(|h| h.len())
                    .unwrap_or_else(|| panic!("at {w}, {section:?}: a cut hint in {footer}"));
                rest = rest[hint.len()..].trim_start();
            }
        }
    }
}

#[test]
fn overlays_at_80x24() {
    let (w, h) = (80, 24);
    let shot = |name: &str, app: &App, sign: &str| {
        let text = render(app, w, h);
        assert!(text.contains(sign), "{name}: {sign}\n{text}");
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), text);
    };

    let mut app = incident(w, h, '1');
    key(&mut app, KeyCode::Char('n'));
    shot("form_note", &app, "┌ Note ");

    let mut app = picker(w, h, true);
    key(&mut app, KeyCode::Char('n'));
    shot("form_declare", &app, "Declare an incident");

    let mut app = picker(w, h, true);
    key(&mut app, KeyCode::Char('s'));
    shot("stats", &app, "TTD and TTR across incidents");

    let mut app = incident(w, h, '3');
    key(&mut app, KeyCode::Char('i'));
    shot("discipline", &app, "The IC's questions");

    let mut app = incident(w, h, '1');
    key(&mut app, KeyCode::Char('K'));
    app.update(Msg::KnownErrors(vec![KnownError {
        key: "KE-12".into(),
        symptom: "Card payments fail at checkout while wallets work".into(),
        root_cause: "The tokeniser connection pool is exhausted under evening traffic".into(),
        workaround: "Raise the pool to 400 connections on every payment node".into(),
        incidents: vec![],
        recorded_at: start() - Duration::days(30),
        updated_at: start() - Duration::days(30),
    }]));
    // The workaround and the cause wrap rather than being cut: their last words show.
    shot("kedb", &app, "KE-12");
    let text = render(&app, w, h);
    assert!(
        text.contains(" node ") && text.contains(" traffic "),
        "{text}"
    );

    // A quick chooser: sending a draft that fails checks asks why.
    let mut app = incident(w, h, '4');
    key(&mut app, KeyCode::Char('e'));
    type_text(&mut app, "SEV2 – Card payments failing at checkout");
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('s'));
    assert!(matches!(app.overlay, Overlay::Choose(_)));
    shot("choose_send", &app, "failing check");

    // The `:` command line.
    let mut app = incident(w, h, '1');
    key(&mut app, KeyCode::Char(':'));
    assert!(matches!(app.overlay, Overlay::Command(_)));
    insta::assert_snapshot!(format!("command_line_{w}x{h}"), render(&app, w, h));

    let app_findings = |w, h| {
        let mut app = incident(w, h, '1');
        app.update(Msg::Findings(vec![
            Finding {
                spot: "#17 note".into(),
                excerpt: "tomas should have checked the pool size before the release".into(),
                problem: "second-guesses a person (“should have”)".into(),
                blocking: true,
            },
            Finding {
                spot: "summary".into(),
                excerpt: "jonas rolled back pay-3".into(),
                problem: "names a person: say their role".into(),
                blocking: false,
            },
        ]));
        app
    };
    shot(
        "findings",
        &app_findings(w, h),
        "The blame check stopped the postmortem",
    );
    assert!(render(&app_findings(w, h), w, h).contains("any other key closes"));
}

#[test]
fn the_list_keeps_who_you_are_and_the_link_whole() {
    let offline = alarmed().link;
    let mut app = picker(80, 24, true);
    app.update(Msg::Link(offline));
    let forms = [
        "OFFLINE since 21:57:00 · 3 pending",
        "OFFLINE · 3 pending",
        "OFFLINE since 21:57:00 UTC (connection refused), retrying in 20s · 3 pending \
         · synced 21:56:00 UTC",
    ];
    for w in 40..=200u16 {
        app.update(Msg::Resize(w, 24));
        let text = render(&app, w, 24);
        let top = text.lines().next().unwrap();
        assert!(top.contains("you are maya"), "at {w}: {top}");
        assert!(forms.iter().any(|f| whole(top, f)), "at {w}: {top}");
    }
}
