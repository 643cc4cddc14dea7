//! Loops the console closes: a decision names the request it answers, and the responder
//! who asked hears the answer.

// A test fails by panicking: unwrapping is how it says so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::{Duration, FixedOffset};
use uuid::Uuid;
use warroom::domain::describe;
use warroom::domain::event::{Event, EventKind};
use warroom::tui::app::{App, Effect, Msg};
use warroom::tui::keymap::Keymap;

fn now() -> chrono::DateTime<chrono::Utc> {
    common::demo_start() + Duration::minutes(60)
}

fn events_with(extra: Vec<(&str, EventKind)>) -> Vec<Event> {
    let mut events = common::demo_events(
        common::DEMO_INCIDENT,
        common::demo_start(),
        common::demo_ids(),
    );
    for (n, (author, kind)) in extra.into_iter().enumerate() {
        let seq = events.len() as i64 + 1;
        events.push(Event {
            id: Uuid::from_u128(0x0190_d5a0_0000_7000_8000_0000_0000_3000 | n as u128),
            incident: common::DEMO_INCIDENT,
            seq: Some(seq),
            at: now() - Duration::minutes(5) + Duration::seconds(n as i64),
            recorded_at: Some(now()),
            author: author.into(),
            persona: None,
            kind,
        });
    }
    events
}

fn loaded(handle: &str, events: Vec<Event>) -> (App, Vec<Effect>) {
    let keymap = Keymap::builtin("default").expect("the default keymap");
    let mut app = App::new(handle, keymap, now(), FixedOffset::east_opt(0).unwrap());
    app.update(Msg::Resize(120, 40));
    let effects = app.update(Msg::Loaded {
        id: common::DEMO_INCIDENT,
        new: events,
        pending: vec![],
        full: true,
    });
    (app, effects)
}

#[test]
fn a_decision_names_the_request_and_the_requester_hears_it() {
    let request = Uuid::from_u128(0x0190_d5a0_0000_7000_8000_0000_0000_3000);
    let asked = events_with(vec![(
        "tomas",
        EventKind::ChangeRequested {
            description: "Restart the tokeniser on pay-1".into(),
        },
    )]);
    // tomas's console is open while jonas (IC) decides.
    let (mut tomas, _) = loaded("tomas", asked.clone());
    let decided = events_with(vec![
        (
            "tomas",
            EventKind::ChangeRequested {
                description: "Restart the tokeniser on pay-1".into(),
            },
        ),
        (
            "jonas",
            EventKind::ChangeDecided {
                request,
                approved: false,
                reason: "wait for the canary".into(),
            },
        ),
    ]);
    let decision = decided.last().unwrap().clone();
    let effects = tomas.update(Msg::Loaded {
        id: common::DEMO_INCIDENT,
        new: vec![decision.clone()],
        pending: vec![],
        full: false,
    });
    let state = &tomas.data.as_ref().unwrap().state;
    let line = describe::text_in(state, &decision);
    assert_eq!(
        line,
        "denied tomas's change “Restart the tokeniser on pay-1”: wait for the canary"
    );
    let told = effects.iter().any(|e| {
        matches!(e, Effect::Notify { title, body }
            if title.contains("jonas denied your change") && body.contains("wait for the canary"))
    });
    let said = tomas
        .message
        .as_ref()
        .is_some_and(|(m, _)| m.contains("jonas denied your change"));
    assert!(told || said, "the requester is told: {effects:?}");

    // Opening the incident later does not announce old answers again.
    let (_, effects) = loaded("tomas", decided);
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::Notify { title, .. } if title.contains("your change"))),
        "{effects:?}"
    );
}
