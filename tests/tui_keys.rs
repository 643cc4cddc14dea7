//! The common acts take at most three keys besides the words typed, from the pane where
//! the act lives (README, "Common acts and their keys"). Each test drives one act with
//! exactly its documented keys through `App::update`, counting every key that is not part
//! of the typed text, and checks the event it records.

// Tests fail by panicking, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::{DateTime, Duration, FixedOffset, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use uuid::Uuid;
use warroom::domain::event::{Audience, Event, EventKind, Outcome, Role, Severity, Verdict};
use warroom::tui::action::Action;
use warroom::tui::app::{App, Effect, Msg, Overlay, Pane};
use warroom::tui::keymap::{Key, Keymap, Section};
use warroom::tui::view;

use common::{DEMO_INCIDENT as INCIDENT, demo_start as start};

/// The console's clock: an hour into the incident.
fn now() -> DateTime<Utc> {
    start() + Duration::minutes(60)
}

/// The demo as confirmed events: jonas commands; tomas (OL), amira (CL) and lee (PL) are
/// on it with maya, who declared it.
fn demo_events() -> Vec<Event> {
    common::demo_events(INCIDENT, start(), common::demo_ids())
}

/// One more confirmed event after `events`, `ago` before the console's clock.
fn then(events: &mut Vec<Event>, author: &str, ago: Duration, kind: EventKind) -> Uuid {
    let seq = events.len() as i64 + 1;
    let id = Uuid::from_u128(0x0190_d5a0_0000_7000_8000_0000_0000_3000 | seq as u128);
    events.push(Event {
        id,
        incident: INCIDENT,
        seq: Some(seq),
        at: now() - ago,
        recorded_at: Some(now() - ago),
        author: author.into(),
        persona: None,
        kind,
    });
    id
}

/// The console as `handle` with `events` loaded, at 80x24, focused on `pane`.
fn console(handle: &str, events: Vec<Event>, pane: Pane) -> App {
    let keymap = Keymap::builtin("default").unwrap();
    let mut app = App::new(handle, keymap, now(), FixedOffset::east_opt(0).unwrap());
    app.update(Msg::Resize(80, 24));
    app.update(Msg::Loaded {
        id: INCIDENT,
        new: events,
        pending: vec![],
        full: true,
    });
    let digit = char::from(b'1' + pane.index() as u8);
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char(digit),
        KeyModifiers::NONE,
    )));
    assert_eq!(app.focus, pane);
    assert!(matches!(app.overlay, Overlay::None));
    app
}

/// Keys pressed for an act, counted; the words typed are not.
struct Keys<'a> {
    app: &'a mut App,
    count: usize,
    effects: Vec<Effect>,
}

impl<'a> Keys<'a> {
    fn on(app: &'a mut App) -> Keys<'a> {
        Keys {
            app,
            count: 0,
            effects: Vec::new(),
        }
    }

    fn key(&mut self, code: KeyCode, mods: KeyModifiers) -> &mut Self {
        self.count += 1;
        let effects = self.app.update(Msg::Key(KeyEvent::new(code, mods)));
        self.effects.extend(effects);
        self
    }

    fn press(&mut self, c: char) -> &mut Self {
        self.key(KeyCode::Char(c), KeyModifiers::NONE)
    }

    fn enter(&mut self) -> &mut Self {
        self.key(KeyCode::Enter, KeyModifiers::NONE)
    }

    fn tab(&mut self) -> &mut Self {
        self.key(KeyCode::Tab, KeyModifiers::NONE)
    }

    fn ctrl(&mut self, c: char) -> &mut Self {
        self.key(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    /// Words: each character a key the terminal sends, none of them counted.
    fn type_text(&mut self, text: &str) -> &mut Self {
        for c in text.chars() {
            let effects = self.app.update(Msg::Key(KeyEvent::new(
                KeyCode::Char(c),
                KeyModifiers::NONE,
            )));
            self.effects.extend(effects);
        }
        self
    }

    /// The event kinds recorded, in order.
    fn recorded(&self) -> Vec<EventKind> {
        self.effects
            .iter()
            .flat_map(|e| match e {
                Effect::Record { kinds, .. } => kinds.iter().map(|(_, k)| k.clone()).collect(),
                _ => Vec::new(),
            })
            .collect()
    }

    /// The one event the act recorded, and how many keys it took.
    fn one(&self) -> (EventKind, usize) {
        match &self.recorded()[..] {
            [one] => (one.clone(), self.count),
            other => panic!(
                "expected one recorded event, got {other:?}; status: {:?}; overlay open: {}",
                self.app.message,
                !matches!(self.app.overlay, Overlay::None)
            ),
        }
    }
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

// ---- the timeline and the board: a key, the words, enter ----------------------------

#[test]
fn a_note_is_n_the_text_enter() {
    let mut app = console("tomas", demo_events(), Pane::Timeline);
    let mut keys = Keys::on(&mut app);
    keys.press('n').type_text("paged the DBA").enter();
    let (kind, count) = keys.one();
    assert_eq!(
        kind,
        EventKind::Note {
            text: "paged the DBA".into()
        }
    );
    assert_eq!(count, 2);
}

#[test]
fn an_observation_is_o_the_text_enter() {
    let mut app = console("tomas", demo_events(), Pane::Board);
    let mut keys = Keys::on(&mut app);
    keys.press('o').type_text("pool at 200/200").enter();
    let (kind, count) = keys.one();
    assert_eq!(
        kind,
        EventKind::Observation {
            text: "pool at 200/200".into(),
            from_event: None,
        }
    );
    assert_eq!(count, 2);
}

#[test]
fn a_theory_is_t_the_text_enter() {
    let mut app = console("tomas", demo_events(), Pane::Board);
    let mut keys = Keys::on(&mut app);
    keys.press('t')
        .type_text("the tokeniser leaks connections")
        .enter();
    let (kind, count) = keys.one();
    assert_eq!(
        kind,
        EventKind::Theory {
            text: "the tokeniser leaks connections".into()
        }
    );
    assert_eq!(count, 2);
}

/// The demo with one more experiment, by tomas, testing the given theories (by place).
fn with_experiment(theories: &[usize]) -> (Vec<Event>, Uuid, Vec<Uuid>) {
    let mut events = demo_events();
    let app = console("tomas", events.clone(), Pane::Board);
    let board = &app.data.as_ref().unwrap().state.board;
    let tests: Vec<Uuid> = theories.iter().map(|i| board.theories[*i].id).collect();
    let id = then(
        &mut events,
        "tomas",
        Duration::minutes(5),
        EventKind::Experiment {
            plan: "Halve the pool on pay-3 and watch the queue".into(),
            tests: tests.clone(),
        },
    );
    (events, id, tests)
}

#[test]
fn an_outcome_on_one_theory_is_r_a_verdict_key_enter() {
    let (events, experiment, tests) = with_experiment(&[2]);
    let mut app = console("tomas", events, Pane::Board);
    let mut keys = Keys::on(&mut app);
    // No experiment selected: `r` takes the newest running one.
    keys.press('r')
        .press('s')
        .type_text("queue grew again")
        .enter();
    let (kind, count) = keys.one();
    assert_eq!(
        kind,
        EventKind::ExperimentOutcome {
            experiment,
            outcome: None,
            verdicts: vec![Verdict {
                theory: tests[0],
                outcome: Outcome::Supports
            }],
            notes: "queue grew again".into(),
        }
    );
    assert_eq!(count, 3);
}

#[test]
fn an_outcome_on_two_theories_is_a_verdict_key_for_each() {
    let (events, experiment, tests) = with_experiment(&[0, 2]);
    let mut app = console("tomas", events, Pane::Board);
    let mut keys = Keys::on(&mut app);
    keys.press('r');
    {
        let Overlay::Choose(chooser) = &keys.app.overlay else {
            panic!("no chooser");
        };
        assert_eq!(
            chooser.title,
            "Outcome of E3: Halve the pool on pay-3 and watch the queue"
        );
        let asked: Vec<&str> = chooser.questions.iter().map(|q| &q.label[..2]).collect();
        assert_eq!(asked, vec!["T1", "T3"], "a question per theory, in order");
    }
    let screen = render(keys.app, 80, 24);
    assert!(
        screen.contains(" s  supports"),
        "the keys are shown:\n{screen}"
    );
    // T1 refuted, T3 inconclusive, no notes.
    keys.press('r').press('i').enter();
    let (kind, count) = keys.one();
    assert_eq!(
        kind,
        EventKind::ExperimentOutcome {
            experiment,
            outcome: None,
            verdicts: vec![
                Verdict {
                    theory: tests[0],
                    outcome: Outcome::Refutes
                },
                Verdict {
                    theory: tests[1],
                    outcome: Outcome::Inconclusive
                },
            ],
            notes: String::new(),
        }
    );
    assert_eq!(count, 4, "r, a key per theory, enter");
}

// ---- roles: assign and hand over --------------------------------------------------------

#[test]
fn assigning_a_role_is_a_a_role_key_the_handle_enter() {
    let mut app = console("jonas", demo_events(), Pane::Roster);
    let mut keys = Keys::on(&mut app);
    keys.press('a').press('m').type_text("amira").enter();
    let (kind, count) = keys.one();
    assert_eq!(
        kind,
        EventKind::RoleAssigned {
            role: Role::Po,
            handle: "amira".into()
        }
    );
    assert_eq!(count, 3);
}

#[test]
fn tab_completes_the_handle_from_the_responders() {
    let mut app = console("jonas", demo_events(), Pane::Roster);
    let mut keys = Keys::on(&mut app);
    keys.press('a').press('o').type_text("l").tab().enter();
    let (kind, count) = keys.one();
    assert_eq!(
        kind,
        EventKind::RoleAssigned {
            role: Role::Ol,
            handle: "lee".into()
        }
    );
    assert_eq!(count, 4, "a, o, tab, enter");
}

#[test]
fn handing_over_is_h_the_handle_enter_with_the_drafted_brief() {
    let mut app = console("jonas", demo_events(), Pane::Roster);
    let brief = app.data.as_ref().unwrap().state.draft_brief(now());
    assert!(!brief.next_steps.is_empty(), "a brief worth handing over");
    let mut keys = Keys::on(&mut app);
    keys.press('h').type_text("tomas").enter();
    let (kind, count) = keys.one();
    assert_eq!(
        kind,
        EventKind::CommandHandedOver {
            to: "tomas".into(),
            brief,
        }
    );
    assert_eq!(count, 2);
}

#[test]
fn ctrl_e_opens_the_whole_brief_with_the_handle_kept() {
    let mut app = console("jonas", demo_events(), Pane::Roster);
    let mut keys = Keys::on(&mut app);
    keys.press('h').type_text("tomas").ctrl('e');
    let Overlay::Form(form) = &app.overlay else {
        panic!("the handover form opens");
    };
    assert_eq!(form.title, "Hand over command");
    assert_eq!(form.value(0), "tomas");
    assert!(
        form.value(1).contains("Current state:"),
        "{}",
        form.value(1)
    );
}

// ---- change requests: from any pane, as IC -------------------------------------------

/// The demo with two change requests waiting for jonas: tomas's first, then lee's.
fn with_two_waiting() -> (Vec<Event>, Uuid, Uuid) {
    let mut events = demo_events();
    let first = then(
        &mut events,
        "tomas",
        Duration::minutes(4),
        EventKind::ChangeRequested {
            description: "raise the pool on pay-3 to 400".into(),
        },
    );
    let second = then(
        &mut events,
        "lee",
        Duration::minutes(1),
        EventKind::ChangeRequested {
            description: "turn off card retries".into(),
        },
    );
    (events, first, second)
}

#[test]
fn the_header_names_the_longest_waiting_change_and_its_keys() {
    let (events, _, _) = with_two_waiting();
    let mut app = console("jonas", events.clone(), Pane::Timeline);
    app.update(Msg::Resize(160, 48));
    let screen = render(&app, 160, 48);
    assert!(
        screen.contains("C4 waits: raise the pool on pay-3 to 400 · Y approve N deny"),
        "{screen}"
    );
    // Narrow, it keeps the label and the keys.
    app.update(Msg::Resize(80, 24));
    let screen = render(&app, 80, 24);
    assert!(screen.contains("C4 waits · Y approve N deny"), "{screen}");
    // Only the IC is asked.
    let mut app = console("tomas", events, Pane::Timeline);
    app.update(Msg::Resize(160, 48));
    let screen = render(&app, 160, 48);
    assert!(!screen.contains("C4 waits"), "{screen}");
}

#[test]
fn the_ic_approves_the_longest_waiting_change_from_the_timeline_with_y_enter() {
    let (events, first, _) = with_two_waiting();
    let mut app = console("jonas", events, Pane::Timeline);
    let mut keys = Keys::on(&mut app);
    keys.press('Y').enter();
    let (kind, count) = keys.one();
    assert_eq!(
        kind,
        EventKind::ChangeDecided {
            request: first,
            approved: true,
            reason: String::new(),
        }
    );
    assert_eq!(count, 2);
}

#[test]
fn the_ic_denies_it_from_the_board_with_n_a_reason_enter() {
    let (events, first, _) = with_two_waiting();
    let mut app = console("jonas", events, Pane::Board);
    let mut keys = Keys::on(&mut app);
    keys.press('N');
    assert!(
        matches!(&keys.app.overlay, Overlay::Form(f) if f.title.starts_with("Deny C4 tomas: raise the pool")),
        "the form names the request"
    );
    keys.type_text("pay-3 is at its memory limit").enter();
    let (kind, count) = keys.one();
    assert_eq!(
        kind,
        EventKind::ChangeDecided {
            request: first,
            approved: false,
            reason: "pay-3 is at its memory limit".into(),
        }
    );
    assert_eq!(count, 2);
}

#[test]
fn only_the_ic_decides_and_nothing_waiting_is_said() {
    let (events, _, _) = with_two_waiting();
    let mut app = console("tomas", events, Pane::Comms);
    let mut keys = Keys::on(&mut app);
    keys.press('Y').enter();
    assert!(keys.recorded().is_empty());
    let Overlay::Form(form) = &app.overlay else {
        panic!("the form stays open with the reason");
    };
    let err = form.error.clone().unwrap_or_default();
    assert!(err.contains("only the incident commander"), "{err}");

    let mut app = console("jonas", demo_events(), Pane::Fatigue);
    Keys::on(&mut app).press('Y');
    assert!(matches!(app.overlay, Overlay::None));
    assert_eq!(
        app.message,
        Some(("no change request is waiting".into(), false))
    );
}

#[test]
fn the_deciding_keys_are_free_in_every_pane_of_both_keymaps() {
    for (name, deny) in [("default", "N"), ("vim", "ctrl-n")] {
        let map = Keymap::builtin(name).unwrap();
        for section in Section::ALL {
            assert_eq!(
                map.lookup(section, Key::parse("Y").unwrap()),
                Some(Action::ApproveWaiting),
                "{name} [{}]",
                section.name()
            );
            assert_eq!(
                map.lookup(section, Key::parse(deny).unwrap()),
                Some(Action::DenyWaiting),
                "{name} [{}]",
                section.name()
            );
        }
    }
}

#[test]
fn help_lists_the_new_keys_from_the_keymap() {
    let (events, _, _) = with_two_waiting();
    let mut app = console("jonas", events, Pane::Timeline);
    Keys::on(&mut app).press('?');
    let screen = render(&app, 160, 48);
    assert!(
        screen.contains("approve the change request waiting longest"),
        "{screen}"
    );
    assert!(screen.contains(" Y "), "{screen}");
}

// ---- comms: a template, its blanks, send ------------------------------------------------

/// A fresh incident declared by ana, who commands it; impact began 20 minutes ago.
fn fresh_incident() -> Vec<Event> {
    let mut events = Vec::new();
    let mut push = |at: DateTime<Utc>, kind: EventKind| {
        let seq = events.len() as i64 + 1;
        events.push(Event {
            id: if seq == 1 {
                INCIDENT
            } else {
                Uuid::from_u128(0x0190_d5a0_0000_7000_8000_0000_0000_4000 | seq as u128)
            },
            incident: INCIDENT,
            seq: Some(seq),
            at,
            recorded_at: Some(at),
            author: "ana".into(),
            persona: None,
            kind,
        });
    };
    push(
        now() - Duration::minutes(20),
        EventKind::IncidentDeclared {
            title: "Card payments failing".into(),
            severity: Severity::MAJOR,
            summary: String::new(),
            drill: false,
            restricted: false,
        },
    );
    push(now() - Duration::minutes(20), EventKind::ImpactStarted {});
    events
}

/// What is selected in the draft editor.
fn selected(app: &App) -> String {
    let editor = &app.draft().editor;
    let Some(((r1, c1), (r2, c2))) = editor.selection_range() else {
        return String::new();
    };
    assert_eq!(r1, r2, "a blank is on one line");
    editor.lines()[r1].chars().skip(c1).take(c2 - c1).collect()
}

#[test]
fn a_template_is_t_enter_the_blanks_tab_between_them_then_ctrl_s() {
    let mut app = console("ana", fresh_incident(), Pane::Comms);
    let mut keys = Keys::on(&mut app);
    keys.press('t').enter();
    assert!(keys.app.editing, "the draft is open to type in");
    assert_eq!(
        selected(keys.app),
        "<One or two sentences: where things stand and what users feel.>",
        "the first blank is selected"
    );
    let fills = [
        "Card payments fail for a third of customers.",
        "Card errors at 38%",
        "Roll back tonight's release",
        "customers cannot pay by card",
        "2,400",
        "no",
        "#inc-payments",
    ];
    let mut blanks = Vec::new();
    for (i, fill) in fills.iter().enumerate() {
        if i > 0 {
            keys.tab();
        }
        blanks.push(selected(keys.app));
        keys.type_text(fill);
    }
    assert_eq!(
        blanks,
        vec![
            "<One or two sentences: where things stand and what users feel.>",
            "<what we have seen so far>",
            "<what the team is trying first>",
            "<what users see or cannot do>",
            "<how many>",
            "<how many>",
            "<channel or status page>",
        ]
    );
    assert!(
        keys.app.draft().verdict.passed(),
        "{:#?}",
        keys.app.draft().verdict.failed().collect::<Vec<_>>()
    );
    keys.ctrl('s');
    let (kind, count) = keys.one();
    let EventKind::CommsSent {
        audience,
        text,
        checklist,
        override_reason,
        ..
    } = kind
    else {
        panic!("not an update");
    };
    assert_eq!(audience, Audience::Internal);
    assert!(checklist.failed.is_empty(), "{checklist:?}");
    assert_eq!(override_reason, None);
    assert!(text.starts_with("SEV2 – Card payments failing\n"), "{text}");
    assert!(
        text.contains("Affected: 2,400 external customers and no internal users"),
        "{text}"
    );
    assert!(!text.contains('<'), "every blank filled: {text}");
    // t, enter, a tab between each two blanks, ctrl-s.
    assert_eq!(count, 3 + (fills.len() - 1));
    assert!(!app.editing);
}

#[test]
fn shift_tab_goes_back_a_blank_and_round_the_ends() {
    let mut app = console("ana", fresh_incident(), Pane::Comms);
    let mut keys = Keys::on(&mut app);
    keys.press('t').enter();
    keys.key(KeyCode::BackTab, KeyModifiers::SHIFT);
    assert_eq!(
        selected(keys.app),
        "<channel or status page>",
        "round to the last"
    );
    keys.key(KeyCode::BackTab, KeyModifiers::SHIFT);
    assert_eq!(selected(keys.app), "<how many>");
    keys.tab();
    assert_eq!(selected(keys.app), "<channel or status page>");
    keys.tab();
    assert_eq!(
        selected(keys.app),
        "<One or two sentences: where things stand and what users feel.>",
        "round to the first"
    );
    assert!(keys.recorded().is_empty());
}

#[test]
fn a_new_update_starts_from_the_last_one_sent_and_goes_out_in_three_keys() {
    let mut app = console("jonas", demo_events(), Pane::Comms);
    let last = app.data.as_ref().unwrap().state.comms[0].text.clone();
    let mut keys = Keys::on(&mut app);
    keys.press('t').enter();
    let draft = keys.app.draft().text();
    // The facts are kept...
    for kept in [
        "About a third of card payments have failed at checkout",
        "- Card payment error rate is around 38%",
        "roughly 2,400 external customers so far",
        "Next update: in 30 minutes in #inc-payments and on the status page.",
    ] {
        assert!(
            last.contains(kept) && draft.contains(kept),
            "{kept}: {draft}"
        );
    }
    assert!(!draft.contains('<'), "no blank template: {draft}");
    keys.ctrl('s');
    let (kind, count) = keys.one();
    match kind {
        EventKind::CommsSent {
            text, checklist, ..
        } => {
            assert_eq!(text, draft);
            assert!(checklist.failed.is_empty(), "{checklist:?}");
        }
        other => panic!("not an update: {other:?}"),
    }
    assert_eq!(count, 3);
}

#[test]
fn the_send_prompt_names_each_failing_check_in_words() {
    let mut app = console("jonas", demo_events(), Pane::Comms);
    let mut keys = Keys::on(&mut app);
    keys.press('e').type_text("Payments are broken");
    keys.key(KeyCode::Esc, KeyModifiers::NONE).press('s');
    let Overlay::Choose(chooser) = &keys.app.overlay else {
        panic!("the send prompt opens");
    };
    let about = chooser.about.join("\n");
    assert!(
        about.contains("✗ The impact on users: say what users see or cannot do"),
        "{about}"
    );
    assert!(
        about.contains("✗ How many users are affected: say how many users are affected"),
        "{about}"
    );
    assert!(!about.contains("root_cause"), "no rule ids: {about}");
    let screen = render(keys.app, 100, 30);
    assert!(screen.contains("The impact on users"), "{screen}");
    keys.type_text("the bridge asked for it").enter();
    let (kind, _) = keys.one();
    match kind {
        EventKind::CommsSent {
            override_reason, ..
        } => assert_eq!(override_reason.as_deref(), Some("the bridge asked for it")),
        other => panic!("not an update: {other:?}"),
    }
}
