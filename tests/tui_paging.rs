//! Paging from the console without a terminal: `p` in the roles pane and `:page` record a
//! page for the IC or the Operations Lead (anyone else is told who may), and the header
//! says when a page is being sent and, in red, when one failed.

// Tests fail by panicking, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::{DateTime, Duration, FixedOffset, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use uuid::Uuid;
use warroom::domain::event::{Event, EventKind};
use warroom::domain::page::{PageStatus, Provider};
use warroom::tui::app::{App, Effect, Msg, Overlay};
use warroom::tui::keymap::Keymap;
use warroom::tui::view;

use common::{DEMO_INCIDENT as INCIDENT, demo_start as start};

fn now() -> DateTime<Utc> {
    start() + Duration::minutes(60)
}

fn events() -> Vec<Event> {
    common::demo_events(INCIDENT, start(), common::demo_ids())
}

fn push(events: &mut Vec<Event>, id: u128, author: &str, kind: EventKind) -> Uuid {
    let e = Event {
        id: Uuid::from_u128(0x0190_d5a0_0000_7000_8000_0000_0000_3000 | id),
        incident: INCIDENT,
        seq: Some(events.len() as i64 + 1),
        at: now() - Duration::seconds(30),
        recorded_at: Some(now()),
        author: author.into(),
        persona: None,
        kind,
    };
    let id = e.id;
    events.push(e);
    id
}

/// The demo (jonas commands, tomas is the Operations Lead, amira the Communications
/// Lead) as `handle` sees it, the roles pane focused.
fn console(handle: &str, events: Vec<Event>) -> App {
    let keymap = Keymap::builtin("default").expect("the default keymap");
    let mut app = App::new(handle, keymap, now(), FixedOffset::east_opt(0).unwrap());
    app.update(Msg::Resize(120, 30));
    app.update(Msg::Loaded {
        id: INCIDENT,
        new: events,
        pending: vec![],
        full: true,
    });
    press(&mut app, '2');
    app
}

fn press(app: &mut App, c: char) -> Vec<Effect> {
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::NONE,
    )))
}

fn enter(app: &mut App) -> Vec<Effect> {
    app.update(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)))
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, c);
    }
}

/// The one event recorded among `effects` (the `:` line also keeps the line typed).
fn recorded(effects: &[Effect]) -> EventKind {
    let records: Vec<&Vec<_>> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Record { kinds, .. } => Some(kinds),
            _ => None,
        })
        .collect();
    match records.as_slice() {
        [kinds] => {
            assert_eq!(kinds.len(), 1, "{kinds:?}");
            kinds[0].1.clone()
        }
        _ => panic!("expected one Effect::Record, got {effects:?}"),
    }
}

fn render(app: &App) -> String {
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 30)).expect("a terminal");
    terminal.draw(|f| view::view(app, f)).expect("draws");
    let buf = terminal.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..30 {
        for x in 0..120 {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

#[test]
fn the_operations_lead_pages_a_team_from_the_roles_pane() {
    let mut app = console("tomas", events());
    press(&mut app, 'p');
    match &app.overlay {
        Overlay::Form(f) => {
            assert!(f.title.starts_with("Page a team"), "{}", f.title);
            assert_eq!(f.value("Message"), "Card payments failing at checkout");
        }
        _ => panic!("no form is open"),
    }
    type_text(&mut app, "dba");
    enter(&mut app);
    let kind = recorded(&enter(&mut app));
    assert_eq!(
        kind,
        EventKind::PageRequested {
            team: "dba".into(),
            provider: None,
            message: "Card payments failing at checkout".into(),
        }
    );
}

#[test]
fn the_command_line_pages_too_and_others_are_told_who_may() {
    let mut app = console("jonas", events());
    press(&mut app, ':');
    type_text(&mut app, "page dba --message 'need a DBA'");
    let kind = recorded(&enter(&mut app));
    assert!(
        matches!(&kind, EventKind::PageRequested { team, message, .. }
            if team == "dba" && message == "need a DBA"),
        "{kind:?}"
    );

    let mut app = console("amira", events());
    press(&mut app, 'p');
    type_text(&mut app, "dba");
    enter(&mut app);
    let effects = enter(&mut app);
    assert!(effects.is_empty(), "nothing recorded: {effects:?}");
    let refused = match &app.overlay {
        Overlay::Form(f) => f.error.clone().unwrap_or_default(),
        _ => app.message.clone().map(|m| m.0).unwrap_or_default(),
    };
    assert!(refused.contains("Operations Lead"), "{refused}");
}

#[test]
fn the_header_says_a_page_is_being_sent_and_shouts_when_it_failed() {
    let mut log = events();
    let page = push(
        &mut log,
        1,
        "jonas",
        EventKind::PageRequested {
            team: "dba".into(),
            provider: Some(Provider::Opsgenie),
            message: "need a DBA".into(),
        },
    );
    let screen = render(&console("jonas", log.clone()));
    assert!(screen.contains("paging dba…"), "{screen}");

    push(
        &mut log,
        2,
        "warroom",
        EventKind::PageDelivery {
            page,
            team: "dba".into(),
            provider: Some(Provider::Opsgenie),
            status: PageStatus::Failed,
            request_id: String::new(),
            error: "Opsgenie refused it (422): Key format is not valid!".into(),
            attempts: 1,
        },
    );
    let app = console("jonas", log);
    let screen = render(&app);
    assert!(screen.contains("PAGE TO dba FAILED"), "{screen}");
    assert!(
        app.alerts()
            .iter()
            .any(|(_, title, body)| title.contains("the page to dba failed")
                && body.contains("Key format is not valid!")),
        "the IC is notified: {:?}",
        app.alerts()
    );
    assert!(!screen.contains("paging dba…"), "{screen}");
    assert!(
        screen.contains("PAGE TO dba FAILED through Ops"),
        "and on the timeline: {screen}"
    );
}

#[test]
fn known_teams_are_offered_and_a_typed_one_still_pages() {
    use warroom::paging::TeamInfo;
    let teams = vec![
        TeamInfo {
            name: "dba".into(),
            provider: Provider::Opsgenie,
        },
        TeamInfo {
            name: "payments".into(),
            provider: Provider::Pagerduty,
        },
    ];
    let mut app = console("tomas", events());
    app.update(Msg::PagingTeams(teams.clone()));
    press(&mut app, 'p');
    assert!(
        matches!(&app.overlay, Overlay::Choose(c) if c.title.starts_with("Page a team")),
        "a chooser offers the teams"
    );
    let screen = render(&app);
    assert!(
        screen.contains("dba (Opsgenie)") && screen.contains("payments (PagerDuty)"),
        "{screen}"
    );
    // `p` then Tab completes to `payments`; Enter pages with the incident's title.
    press(&mut app, 'p');
    app.update(Msg::Key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE)));
    let kind = recorded(&enter(&mut app));
    assert_eq!(
        kind,
        EventKind::PageRequested {
            team: "payments".into(),
            provider: None,
            message: "Card payments failing at checkout".into(),
        }
    );

    // A name not offered is taken as typed; Ctrl-E opens the form to write the message.
    let mut app = console("tomas", events());
    app.update(Msg::PagingTeams(teams));
    press(&mut app, 'p');
    type_text(&mut app, "network");
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('e'),
        KeyModifiers::CONTROL,
    )));
    match &app.overlay {
        Overlay::Form(f) => {
            assert_eq!(f.value("Team"), "network");
            assert_eq!(f.focus, 1, "the message is next");
        }
        _ => panic!("no form is open"),
    }
    type_text(&mut app, "need the network team");
    let kind = recorded(&enter(&mut app));
    assert_eq!(
        kind,
        EventKind::PageRequested {
            team: "network".into(),
            provider: None,
            message: "need the network team".into(),
        }
    );
}
