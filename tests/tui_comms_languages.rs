//! The console's comms pane when the team writes external updates in English and French
//! (`[comms] languages = ["en", "fr"]`), driven through `App::update` with a fixed clock:
//! one editor per language, ctrl-l between them, each checked in its own language, and
//! one `comms_sent` carrying both.

// Tests fail by panicking, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::{Duration, FixedOffset};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::CellWidth;
use uuid::Uuid;
use warroom::domain::event::{Audience, EventKind};
use warroom::domain::lang::Lang;
use warroom::tui::app::{App, Effect, Msg, Overlay};
use warroom::tui::keymap::Keymap;
use warroom::tui::view;

use common::demo_start as start;

const ENGLISH: &str = "SEV2 – Card payments failing\n\nSome card payments are failing; other payment methods work.\n\nImpact: customers cannot pay by card; about a third of card payments are affected.\nRoot cause: not yet known.\nETA: unknown.\nNext update in 30 minutes on our status page.";

const FRENCH: &str = "SEV2 – Paiements par carte en échec\n\nUne partie des paiements par carte échoue ; les autres moyens de paiement fonctionnent.\n\nImpact : les clients ne peuvent pas payer par carte ; environ un tiers des paiements par carte sont concernés.\nCause : pas encore identifiée.\nRétablissement : aucune estimation pour l’instant.\nProchaine mise à jour dans 30 minutes sur notre page de statut.";

/// The demo incident, its first hour played, in a console of `w`×`h` configured for
/// English and French.
fn console(w: u16, h: u16) -> App {
    let incident = Uuid::from_u128(7);
    let events = common::demo_events(incident, start(), common::numbered_ids(1001));
    let mut app = App::new(
        "jonas",
        Keymap::builtin("default").unwrap(),
        start() + Duration::minutes(60),
        FixedOffset::east_opt(0).unwrap(),
    );
    app.set_languages(vec![Lang::En, Lang::Fr]);
    app.size = (w, h);
    app.update(Msg::Loaded {
        id: incident,
        new: events,
        pending: vec![],
        full: true,
    });
    app
}

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn ctrl(app: &mut App, c: char) -> Vec<Effect> {
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::CONTROL,
    )))
}

fn typed(app: &mut App, text: &str) -> Vec<Effect> {
    let mut all = Vec::new();
    for c in text.chars() {
        let code = if c == '\n' {
            KeyCode::Enter
        } else {
            KeyCode::Char(c)
        };
        all.extend(key(app, code));
    }
    all
}

fn screen(app: &App, w: u16, h: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| view::view(app, f)).unwrap();
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let mut skip = 0usize;
        for x in 0..buffer.area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let cell = &buffer[(x, y)];
            skip = usize::from(cell.cell_width()).saturating_sub(1);
            out.push_str(cell.symbol());
        }
        out.push('\n');
    }
    out
}

/// The external draft of the comms pane, open for writing its English version.
fn writing_external(app: &mut App) {
    key(app, KeyCode::Char('4'));
    key(app, KeyCode::Char('a'));
    key(app, KeyCode::Char('e'));
    assert!(app.editing);
}

#[test]
fn both_versions_are_written_checked_saved_and_sent_as_one_update() {
    let mut app = console(160, 48);
    writing_external(&mut app);
    typed(&mut app, ENGLISH);
    assert_eq!(app.draft().lang, Lang::En);
    assert!(
        app.draft().verdict.passed(),
        "{:?}",
        app.draft().verdict.failed().collect::<Vec<_>>()
    );
    // The French version is still empty: the line under the checklist says so.
    assert!(screen(&app, 160, 48).contains("French: empty"));

    // Ctrl-L, still in the editor: the French version, saved in a file of its own.
    ctrl(&mut app, 'l');
    assert!(app.editing);
    assert_eq!(app.draft().lang, Lang::Fr);
    assert!(app.draft().is_empty());
    let effects = typed(&mut app, FRENCH);
    match effects.last() {
        Some(Effect::SaveDraft {
            audience,
            lang,
            text,
            ..
        }) => {
            assert_eq!(*audience, Audience::External);
            assert_eq!(*lang, Some(Lang::Fr));
            assert_eq!(text, FRENCH);
        }
        other => panic!("expected the French draft saved, got {other:?}"),
    }
    assert!(
        app.draft().verdict.passed(),
        "{:?}",
        app.draft().verdict.failed().collect::<Vec<_>>()
    );
    assert!(
        app.draft()
            .verdict
            .rules
            .iter()
            .any(|r| r.label == "Written in French")
    );
    let shown = screen(&app, 160, 48);
    assert!(shown.contains("Comms · French version"), "{shown}");
    assert!(shown.contains("English: ready"), "{shown}");

    // Ctrl-S sends both as one update.
    let effects = ctrl(&mut app, 's');
    let sent = effects.iter().find_map(|e| match e {
        Effect::Record { kinds, .. } => Some(kinds[0].1.clone()),
        _ => None,
    });
    match sent {
        Some(EventKind::CommsSent {
            audience,
            text,
            checklist,
            override_reason,
            lang,
            versions,
            ..
        }) => {
            assert_eq!(audience, Audience::External);
            assert_eq!(text, ENGLISH);
            assert_eq!(lang, Some(Lang::En));
            assert!(checklist.failed.is_empty(), "{checklist:?}");
            assert_eq!(override_reason, None);
            assert_eq!(versions.len(), 1);
            assert_eq!(versions[0].lang, Lang::Fr);
            assert_eq!(versions[0].text, FRENCH);
            assert!(versions[0].checklist.failed.is_empty());
            assert!(
                versions[0]
                    .checklist
                    .passed
                    .contains(&"language".to_string())
            );
        }
        other => panic!("expected a comms_sent record, got {other:?}"),
    }
    // Both drafts are cleared, on screen and on disk.
    let cleared: Vec<Option<Lang>> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::SaveDraft { lang, text, .. } if text.is_empty() => Some(*lang),
            _ => None,
        })
        .collect();
    assert_eq!(cleared, vec![None, Some(Lang::Fr)]);
    assert!(app.draft().is_empty());
    assert_eq!(app.draft().lang, Lang::En);

    // The stored event carries both versions.
    let stored = match effects.iter().find(|e| matches!(e, Effect::Record { .. })) {
        Some(Effect::Record { kinds, .. }) => kinds[0].1.clone(),
        _ => unreachable!(),
    };
    let json = serde_json::to_value(&stored).unwrap();
    assert_eq!(json["lang"], "en");
    assert_eq!(json["versions"][0]["lang"], "fr");
    assert_eq!(json["versions"][0]["text"], FRENCH);
}

#[test]
fn a_failing_version_holds_the_update_back_until_a_reason_is_given() {
    let mut app = console(160, 48);
    writing_external(&mut app);
    typed(&mut app, ENGLISH);
    ctrl(&mut app, 'l');
    // English left in the French slot.
    typed(&mut app, ENGLISH);
    assert!(!app.draft().verdict.passed());
    key(&mut app, KeyCode::Esc);
    let effects = key(&mut app, KeyCode::Char('s'));
    assert!(effects.iter().all(|e| !matches!(e, Effect::Record { .. })));
    match &app.overlay {
        Overlay::Choose(chooser) => {
            assert!(
                chooser
                    .about
                    .iter()
                    .any(|l| l.contains("French · Written in French")),
                "{:?}",
                chooser.about
            );
            assert!(!chooser.about.iter().any(|l| l.contains("English ·")));
        }
        _ => panic!("the send prompt should be open"),
    }
    typed(&mut app, "the translator is on the way");
    let effects = key(&mut app, KeyCode::Enter);
    match effects.iter().find_map(|e| match e {
        Effect::Record { kinds, .. } => Some(kinds[0].1.clone()),
        _ => None,
    }) {
        Some(EventKind::CommsSent {
            override_reason,
            versions,
            ..
        }) => {
            assert_eq!(
                override_reason.as_deref(),
                Some("the translator is on the way")
            );
            assert!(
                versions[0]
                    .checklist
                    .failed
                    .contains(&"language".to_string())
            );
        }
        other => panic!("expected a comms_sent record, got {other:?}"),
    }
}

#[test]
fn a_template_fills_each_version_in_its_language_and_80_by_24_still_reads() {
    let mut app = console(80, 24);
    key(&mut app, KeyCode::Char('4'));
    key(&mut app, KeyCode::Char('a'));
    key(&mut app, KeyCode::Char('t'));
    // The chooser suggests the external template; enter takes it.
    key(&mut app, KeyCode::Enter);
    assert!(app.editing);
    assert!(
        app.draft().text().contains("Next update at"),
        "{}",
        app.draft().text()
    );
    ctrl(&mut app, 'l');
    let french = app.draft().text();
    assert!(french.contains("Prochaine mise à jour à"), "{french}");
    assert!(french.contains("<Une ou deux phrases simples"), "{french}");
    let shown = screen(&app, 80, 24);
    assert!(shown.contains("French"), "{shown}");
    assert!(shown.contains("English:"), "{shown}");
    // Internal updates stay one text: ctrl-l says so.
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('a'));
    key(&mut app, KeyCode::Char('e'));
    ctrl(&mut app, 'l');
    assert_eq!(app.draft().lang, Lang::En);
    assert!(!screen(&app, 80, 24).contains("French"));
}

#[test]
fn with_one_language_nothing_changes() {
    let mut app = console(160, 48);
    app.set_languages(vec![Lang::En]);
    writing_external(&mut app);
    typed(&mut app, ENGLISH);
    ctrl(&mut app, 'l');
    assert_eq!(app.draft().lang, Lang::En);
    assert!(!app.draft().verdict.rules.iter().any(|r| r.id == "language"));
    let effects = ctrl(&mut app, 's');
    match effects.iter().find_map(|e| match e {
        Effect::Record { kinds, .. } => Some(kinds[0].1.clone()),
        _ => None,
    }) {
        Some(EventKind::CommsSent { lang, versions, .. }) => {
            // One text, marked with its language as every external update is.
            assert_eq!(lang, Some(Lang::En));
            assert!(versions.is_empty());
        }
        other => panic!("expected a comms_sent record, got {other:?}"),
    }
}
