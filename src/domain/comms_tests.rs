//! Tests of `comms`.

use super::*;
use crate::domain::lang::Lang;

const GOOD_INTERNAL: &str = "SEV2 – Card payments failing at checkout

About a third of card payments fail since 21:50; wallet payments work.

Current status:
- Error rate is around 38%
- Tokeniser calls are slow

Next steps:
- Raise the connection pool
- Watch the error rate

Impact: customers cannot pay by card; about 2,400 external customers affected, no internal users.
Root cause: unknown yet.
ETA for restoration: unknown.
Next update at 22:30 UTC in #inc-payments.
";

fn opts(audience: Audience, kind: DraftKind) -> Options {
    Options {
        audience,
        kind,
        severity: Some(Severity::MAJOR),
        lang: Lang::En,
    }
}

fn failed(text: &str, o: Options) -> Vec<&'static str> {
    validate(text, o).failed().map(|r| r.id).collect()
}

#[test]
fn a_complete_internal_update_passes_every_rule() {
    let v = validate(GOOD_INTERNAL, opts(Audience::Internal, DraftKind::Update));
    assert!(v.passed(), "{:#?}", v.failed().collect::<Vec<_>>());
    assert_eq!(v.rules.len(), 10);
}

#[test]
fn each_rule_fails_on_its_own_gap() {
    let o = opts(Audience::Internal, DraftKind::Update);
    let cases: &[(&str, &str, &str)] = &[
        (
            "SEV2 – Card payments failing at checkout",
            "Card payments failing at checkout",
            "title",
        ),
        ("SEV2 – Card", "SEV1 – Card", "title"),
        (
            "About a third of card payments fail since 21:50; wallet payments work.",
            "About a third fail. Wallets work. We are on it. More soon.",
            "summary",
        ),
        ("- Tokeniser calls are slow\n", "", "status"),
        (
            "- Watch the error rate\n",
            "- Watch the error rate\n- Page the DBA\n- Call the vendor\n- Wait\n",
            "next_steps",
        ),
        (
            "Next update at 22:30 UTC in #inc-payments.",
            "Next update in #inc-payments.",
            "next_update",
        ),
        (
            "Next update at 22:30 UTC in #inc-payments.",
            "Next update at 22:30 UTC.",
            "next_update",
        ),
        ("Root cause: unknown yet.\n", "", "root_cause"),
        ("ETA for restoration: unknown.\n", "", "eta"),
        (", no internal users", "", "affected"),
    ];
    for (from, to, rule) in cases {
        assert!(GOOD_INTERNAL.contains(from), "{from}");
        let text = GOOD_INTERNAL.replacen(from, to, 1);
        let f = failed(&text, o);
        assert!(
            f.contains(rule),
            "replacing {from:?} should fail {rule}, failed {f:?}"
        );
    }
}

#[test]
fn a_next_step_that_mentions_the_cause_or_restoring_does_not_state_them() {
    let text = GOOD_INTERNAL
        .replace("Root cause: unknown yet.\n", "")
        .replace("ETA for restoration: unknown.\n", "")
        .replace(
            "- Raise the connection pool",
            "- Find the root cause of pool exhaustion",
        )
        .replace(
            "- Watch the error rate",
            "- Restore the previous tokeniser config",
        );
    let f = failed(&text, opts(Audience::Internal, DraftKind::Update));
    assert!(f.contains(&"root_cause") && f.contains(&"eta"), "{f:?}");
    let stated = text.replace(
        "- Find the root cause",
        "The root cause is the pool size.\n- Find the root cause",
    );
    assert!(!failed(&stated, opts(Audience::Internal, DraftKind::Update)).contains(&"root_cause"));
}

#[test]
fn a_sev_dash_title_is_not_a_ticket_id() {
    let text = "SEV-2 – Card payments failing\n\nSome card payments fail.\n\nImpact: customers cannot pay by card; a third of payments are affected.\nRoot cause: unknown.\nETA: unknown.\nNext update in 30 mins on our status page.";
    let v = validate(text, opts(Audience::External, DraftKind::Update));
    assert!(v.passed(), "{:#?}", v.failed().collect::<Vec<_>>());
}

#[test]
fn stated_causes_and_etas_pass_as_well_as_unknowns() {
    let text = GOOD_INTERNAL
        .replace(
            "Root cause: unknown yet.",
            "Root cause: the tokeniser pool was too small for evening traffic.",
        )
        .replace(
            "ETA for restoration: unknown.",
            "ETA for restoration: 22:15 UTC.",
        );
    assert!(validate(&text, opts(Audience::Internal, DraftKind::Update)).passed());
}

#[test]
fn missing_impact_is_caught() {
    let text = GOOD_INTERNAL.replace(
        "Impact: customers cannot pay by card; about 2,400 external customers affected, no internal users.",
        "Affected: 2,400 external customers and no internal users.",
    );
    let f = failed(&text, opts(Audience::Internal, DraftKind::Update));
    assert_eq!(f, vec!["impact"]);
}

#[test]
fn external_updates_are_short_and_free_of_internal_detail() {
    let o = opts(Audience::External, DraftKind::Update);
    let good = "SEV2 – Card payments failing

Some card payments are failing; other payment methods work.

Impact: customers cannot pay by card; about a third of card payments are affected.
Root cause: not yet known.
ETA: unknown.
Next update in 30 minutes on our status page.";
    let v = validate(good, o);
    assert!(v.passed(), "{:#?}", v.failed().collect::<Vec<_>>());
    for leak in [
        "pay-db-3.payments.internal is down",
        "10.2.3.4 refuses connections",
        "see PAY-1234",
        "Traceback (most recent call last)",
        "panicked at src/main.rs:10",
        "details in #inc-payments",
    ] {
        let text = good.replace(
            "other payment methods work.",
            &format!("other payment methods work. {leak}"),
        );
        assert!(failed(&text, o).contains(&"no_internal_detail"), "{leak}");
    }
    let long = format!("{good}\n{}", "More words. ".repeat(60));
    assert!(failed(&long, o).contains(&"short"));
}

#[test]
fn final_messages_follow_the_recap_rules() {
    let internal = "SEV2 – Card payments failing at checkout: resolved

The incident is resolved: card payments work again since 23:05.

Impact: customers could not pay by card for 1h 15m (21:50 to 23:05); about 2,400 external customers, no internal users.
Support cases raised: 37.
This is the final update; there will be no further updates on this incident.";
    let o = opts(Audience::Internal, DraftKind::Final);
    assert!(
        validate(internal, o).passed(),
        "{:#?}",
        validate(internal, o).failed().collect::<Vec<_>>()
    );
    let f = failed(&internal.replace("Support cases raised: 37.\n", ""), o);
    assert_eq!(f, vec!["support_cases"]);
    let f = failed(
        &internal.replace(
            "This is the final update; there will be no further updates on this incident.",
            "",
        ),
        o,
    );
    assert_eq!(f, vec!["no_further_updates"]);

    let external = "SEV2 – Card payments restored

Card payments are working again and service is restored.

We will publish a postmortem once we have looked into what happened.";
    let o = opts(Audience::External, DraftKind::Final);
    assert!(
        validate(external, o).passed(),
        "{:#?}",
        validate(external, o).failed().collect::<Vec<_>>()
    );
    assert!(
        failed(
            &external.replace("postmortem once we have looked into what happened", "note"),
            o
        )
        .contains(&"follow_up")
    );
}

#[test]
fn the_record_lists_passed_and_failed_rule_ids() {
    let v = validate(
        "nothing useful",
        opts(Audience::Internal, DraftKind::Update),
    );
    let r = v.record();
    assert!(r.failed.contains(&"title".to_string()));
    assert_eq!(r.passed.len() + r.failed.len(), v.rules.len());
}

/// The internal-update template as a person gets it, before writing anything.
const UNTOUCHED_UPDATE: &str = include_str!("../../assets/comms/update.txt");

#[test]
fn every_blank_left_is_listed_by_its_text() {
    let cases: &[(&str, &[&str])] = &[
        (
            "Impact: <what users see or cannot do>.",
            &["<what users see or cannot do>"],
        ),
        (
            "Affected: <how many> external customers and <how many> internal users.",
            &["<how many>"],
        ),
        (
            "Root cause: <the cause, or: still unknown>.\nETA for restoration: <a time, or: not known yet>.",
            &[
                "<the cause, or: still unknown>",
                "<a time, or: not known yet>",
            ],
        ),
        (
            "Next update at 22:30 UTC in <channel or status page>.",
            &["<channel or status page>"],
        ),
        (
            "<One or two plain sentences: what customers may notice, and that we are working on it.>",
            &[
                "<One or two plain sentences: what customers may notice, and that we are working on it.>",
            ],
        ),
        (
            "<The service> is working normally again.",
            &["<The service>"],
        ),
        // Not blanks: comparisons, links and addresses in angle brackets.
        ("Latency < 200ms and > 100ms for most users.", &[]),
        (
            "See <https://status.example.com> or mail <ops@example.com>.",
            &[],
        ),
    ];
    let o = opts(Audience::Internal, DraftKind::Update);
    for (text, expected) in cases {
        let found: Vec<String> = blanks(text).into_iter().map(|(b, _)| b).collect();
        assert_eq!(&found, expected, "{text}");
        let rule = validate(&format!("{GOOD_INTERNAL}{text}\n"), o)
            .rules
            .into_iter()
            .find(|r| r.id == "filled_in")
            .unwrap();
        assert_eq!(rule.passed, expected.is_empty(), "{text}: {rule:?}");
        for b in *expected {
            assert!(rule.hint.contains(b), "{b} missing from {:?}", rule.hint);
        }
    }
}

#[test]
fn blank_columns_count_characters_and_skip_what_is_no_blank() {
    // “–” and “≥” are one character each, more than one byte.
    let line = "SEV2 – <how many> ≥ <a> and <https://x.example> then <what users see>";
    let cols = blank_columns(line);
    let found: Vec<String> = cols
        .iter()
        .map(|(a, b)| line.chars().skip(*a).take(b - a).collect())
        .collect();
    assert_eq!(found, vec!["<how many>", "<a>", "<what users see>"]);
    assert_eq!(cols[0], (7, 17));
    assert!(blank_columns("latency < 200ms and > 100ms").is_empty());
}

#[test]
fn an_untouched_template_names_every_blank() {
    let text = UNTOUCHED_UPDATE
        .replace("{severity}", "SEV2")
        .replace("{title}", "Card payments failing")
        // A summary that says nothing of the impact, so only the impact line could.
        .replace("{summary_or_prompt}", "We are looking into card payments.")
        .replace("{status_bullets}", "- <current status>\n- <current status>")
        .replace("{next_steps}", "- <next step>\n- <next step>")
        .replace("{duration}", "20m")
        .replace("{next_update}", "22:30 UTC");
    let v = validate(&text, opts(Audience::Internal, DraftKind::Update));
    let filled_in = v.rules.iter().find(|r| r.id == "filled_in").unwrap();
    assert!(!filled_in.passed);
    for blank in [
        "<current status> (2 times)",
        "<next step> (2 times)",
        "<what users see or cannot do>",
        "<how many> (2 times)",
        "<the cause, or: still unknown>",
        "<a time, or: not known yet>",
        "<channel or status page>",
    ] {
        assert!(
            filled_in.hint.contains(blank),
            "{blank}: {}",
            filled_in.hint
        );
    }
    // A line that still holds a blank satisfies no content rule.
    let f: Vec<&str> = v.failed().map(|r| r.id).collect();
    for id in [
        "status",
        "next_steps",
        "next_update",
        "impact",
        "affected",
        "root_cause",
        "eta",
    ] {
        assert!(f.contains(&id), "{id} passed on a blank: {f:?}");
    }
}

#[test]
fn lines_that_still_hold_a_blank_satisfy_no_rule() {
    let o = opts(Audience::Internal, DraftKind::Update);
    let cases: &[(&str, &str, &str)] = &[
        (
            "Impact: customers cannot pay by card; about 2,400 external customers affected, no internal users.\n",
            "Impact: <what users see or cannot do>.\nAffected: 2,400 external customers, no internal users.\n",
            "impact",
        ),
        (
            "Impact: customers cannot pay by card; about 2,400 external customers affected, no internal users.\n",
            "Impact: customers cannot pay by card.\nAffected: <how many> external customers and <how many> internal users (or: the number is not known yet).\n",
            "affected",
        ),
        (
            "Root cause: unknown yet.",
            "Root cause: <the cause, or: still unknown>.",
            "root_cause",
        ),
        (
            "ETA for restoration: unknown.",
            "ETA for restoration: <a time, or: not known yet>.",
            "eta",
        ),
        (
            "Next update at 22:30 UTC in #inc-payments.",
            "Next update at 22:30 UTC in <channel or status page>.",
            "next_update",
        ),
        ("- Error rate is around 38%", "- <current status>", "status"),
        ("- Watch the error rate", "- <next step>", "next_steps"),
        (
            "About a third of card payments fail since 21:50; wallet payments work.",
            "<One or two sentences: where things stand and what users feel.>",
            "summary",
        ),
    ];
    for (from, to, rule) in cases {
        assert!(GOOD_INTERNAL.contains(from), "{from}");
        let text = GOOD_INTERNAL.replacen(from, to, 1);
        let f = failed(&text, o);
        assert!(f.contains(rule), "{to:?} should fail {rule}, failed {f:?}");
    }
}

#[test]
fn a_plain_statement_of_impact_passes_and_an_empty_one_does_not() {
    let o = opts(Audience::Internal, DraftKind::Update);
    let line = "Impact: customers cannot pay by card; about 2,400 external customers affected, no internal users.";
    let affected = "\nAffected: 2,400 external customers, no internal users.";
    let cases: &[(&str, bool)] = &[
        ("Impact: one card payment in three fails at checkout.", true),
        ("Impact: checkout is down.", true),
        (
            "Impact: search results are slow for everyone in Europe.",
            true,
        ),
        ("User impact: login takes over a minute.", true),
        (
            "- Impact on customers: orders are delayed by an hour.",
            true,
        ),
        ("**Impact:** card payments fail.", true),
        ("Customers cannot pay by card.", true),
        ("Users are unable to log in.", true),
        ("Impact: customers could not pay by card.", true),
        ("Impact: <what users see or cannot do>.", false),
        (
            "Impact: <what users see or cannot do> (ongoing for 20m).",
            false,
        ),
        ("Impact:", false),
        ("Impact: .", false),
        ("Impact: TBD", false),
        ("Impact: n/a", false),
        ("Impact: unknown.", false),
        ("Impact: not known yet.", false),
        ("Impact: users.", false),
        ("Impact: still under investigation.", false),
        ("The tokeniser is slow.", false),
    ];
    for (impact, passes) in cases {
        let text = GOOD_INTERNAL.replace(line, &format!("{impact}{affected}"));
        let f = failed(&text, o);
        assert_eq!(!f.contains(&"impact"), *passes, "{impact}: failed {f:?}");
    }
}

// French: the same rules, with the words a French update uses.

const BON_INTERNE: &str = "SEV2 – Échec des paiements par carte

Environ un tiers des paiements par carte échouent depuis 21h50 ; les paiements par portefeuille fonctionnent.

État actuel :
- Le taux d’erreur est d’environ 38 %
- Les appels au service de tokenisation sont lents

Prochaines étapes :
- Augmenter la taille du pool de connexions
- Surveiller le taux d’erreur

Impact : les clients ne peuvent pas payer par carte ; environ 2 400 clients externes concernés, aucun utilisateur interne.
Cause : pas encore identifiée.
Rétablissement : aucune estimation pour l’instant.
Prochaine mise à jour à 22h30 dans #inc-paiements.
";

const BON_EXTERNE: &str = "SEV2 – Paiements par carte en échec

Une partie des paiements par carte échoue ; les autres moyens de paiement fonctionnent.

Impact : les clients ne peuvent pas payer par carte ; environ un tiers des paiements par carte sont concernés.
Cause : pas encore identifiée.
Rétablissement : aucune estimation de rétablissement pour l'instant.
Prochaine mise à jour dans 30 minutes sur notre page de statut.";

fn fr(audience: Audience, kind: DraftKind) -> Options {
    Options {
        lang: Lang::Fr,
        ..opts(audience, kind)
    }
}

#[test]
fn a_complete_french_update_passes_every_rule() {
    let v = validate(BON_INTERNE, fr(Audience::Internal, DraftKind::Update));
    assert!(v.passed(), "{:#?}", v.failed().collect::<Vec<_>>());
    assert_eq!(v.rules.len(), 10);
    let v = validate_version(BON_EXTERNE, fr(Audience::External, DraftKind::Update));
    assert!(v.passed(), "{:#?}", v.failed().collect::<Vec<_>>());
    // The English words are not what a French update is read for.
    let f = failed(BON_INTERNE, opts(Audience::Internal, DraftKind::Update));
    for id in ["status", "next_steps", "next_update", "eta"] {
        assert!(f.contains(&id), "{id} passed in English: {f:?}");
    }
}

#[test]
fn each_rule_fails_on_its_own_gap_in_french() {
    let o = fr(Audience::Internal, DraftKind::Update);
    let cases: &[(&str, &str, &str)] = &[
        (
            "SEV2 – Échec des paiements par carte",
            "Échec des paiements par carte",
            "title",
        ),
        ("SEV2 – Échec", "Critique – Échec", "title"),
        (
            "Environ un tiers des paiements par carte échouent depuis 21h50 ; les paiements par portefeuille fonctionnent.",
            "Un tiers échoue. Les portefeuilles marchent. Nous sommes dessus. La suite bientôt.",
            "summary",
        ),
        (
            "- Les appels au service de tokenisation sont lents\n",
            "",
            "status",
        ),
        (
            "- Surveiller le taux d’erreur\n",
            "- Surveiller le taux d’erreur\n- Appeler le DBA\n- Appeler le fournisseur\n- Attendre\n",
            "next_steps",
        ),
        (
            "Prochaine mise à jour à 22h30 dans #inc-paiements.",
            "Prochaine mise à jour dans #inc-paiements.",
            "next_update",
        ),
        (
            "Prochaine mise à jour à 22h30 dans #inc-paiements.",
            "Prochaine mise à jour à 22h30.",
            "next_update",
        ),
        (
            "Prochaine mise à jour à 22h30 dans #inc-paiements.",
            "À bientôt.",
            "next_update",
        ),
        ("Cause : pas encore identifiée.\n", "", "root_cause"),
        (
            "Rétablissement : aucune estimation pour l’instant.\n",
            "",
            "eta",
        ),
        (", aucun utilisateur interne", "", "affected"),
        (
            "; environ 2 400 clients externes concernés, aucun utilisateur interne",
            "",
            "affected",
        ),
        (
            "Impact : les clients ne peuvent pas payer par carte ; environ 2 400 clients externes concernés, aucun utilisateur interne.",
            "Concernés : 2 400 clients externes, aucun utilisateur interne.",
            "impact",
        ),
        (
            "Impact : les clients ne peuvent pas payer par carte ; environ 2 400 clients externes concernés, aucun utilisateur interne.",
            "Impact : à déterminer.\nConcernés : 2 400 clients externes, aucun utilisateur interne.",
            "impact",
        ),
    ];
    for (from, to, rule) in cases {
        assert!(BON_INTERNE.contains(from), "{from}");
        let text = BON_INTERNE.replacen(from, to, 1);
        let f = failed(&text, o);
        assert!(
            f.contains(rule),
            "replacing {from:?} should fail {rule}, failed {f:?}"
        );
    }
}

#[test]
fn french_is_read_with_or_without_accents_and_with_either_apostrophe() {
    let o = fr(Audience::Internal, DraftKind::Update);
    let plain = BON_INTERNE
        .replace("État actuel :", "Etat actuel:")
        .replace("Prochaines étapes :", "Prochaines etapes :")
        .replace("’", "'")
        .replace(
            "Prochaine mise à jour à 22h30",
            "Prochaine mise a jour a 22 h 30",
        )
        .replace(
            "Rétablissement : aucune estimation pour l'instant.",
            "ETA : pas d'estimation pour l'instant.",
        )
        .replace(
            "Cause : pas encore identifiée.",
            "Cause : pas encore identifiee.",
        );
    let v = validate(&plain, o);
    assert!(v.passed(), "{:#?}", v.failed().collect::<Vec<_>>());
    // French severity words stand for the level in the title.
    let majeur = BON_INTERNE.replace("SEV2 –", "Majeur –");
    assert!(validate(&majeur, o).passed());
    // A cause or a time stated passes as well as “not known yet”.
    let stated = BON_INTERNE
        .replace(
            "Cause : pas encore identifiée.",
            "La cause est un pool de connexions trop petit pour le trafic du soir.",
        )
        .replace(
            "Rétablissement : aucune estimation pour l’instant.",
            "Rétablissement prévu vers 23h00.",
        )
        .replace("environ 2 400 clients", "environ 2\u{a0}000 utilisateurs");
    let v = validate(&stated, o);
    assert!(v.passed(), "{:#?}", v.failed().collect::<Vec<_>>());
    // “dans 30 minutes”, “sur la page de statut”.
    let later = BON_INTERNE.replace(
        "Prochaine mise à jour à 22h30 dans #inc-paiements.",
        "Prochaine mise à jour dans 30 minutes sur la page de statut.",
    );
    assert!(validate(&later, o).passed());
}

#[test]
fn french_external_updates_are_short_and_free_of_internal_detail() {
    let o = fr(Audience::External, DraftKind::Update);
    // An everyday French word is no stack trace.
    let text = BON_EXTERNE.replace(
        "les autres moyens de paiement fonctionnent.",
        "tous les moyens de paiement fonctionnent, à l’exception de la carte.",
    );
    let v = validate(&text, o);
    assert!(v.passed(), "{:#?}", v.failed().collect::<Vec<_>>());
    for leak in [
        "pay-db-3.payments.internal ne répond plus",
        "10.2.3.4 refuse les connexions",
        "voir PAY-1234",
        "détails dans #inc-paiements",
        "java.lang.NullPointerException",
    ] {
        let text = BON_EXTERNE.replace(
            "les autres moyens de paiement fonctionnent.",
            &format!("les autres moyens de paiement fonctionnent. {leak}"),
        );
        assert!(failed(&text, o).contains(&"no_internal_detail"), "{leak}");
    }
    let long = format!("{BON_EXTERNE}\n{}", "Encore des mots. ".repeat(40));
    assert!(failed(&long, o).contains(&"short"));
}

#[test]
fn french_final_messages_follow_the_recap_rules() {
    let internal = "SEV2 – Échec des paiements par carte : résolu

L’incident est résolu : les paiements par carte fonctionnent de nouveau depuis 23h05.

Impact : les clients n’ont pas pu payer par carte pendant 1 h 15 (de 21h50 à 23h05) ; environ 2 400 clients externes, aucun utilisateur interne.
Demandes au support : 37.
Ceci est la dernière mise à jour : il n’y aura plus de mises à jour sur cet incident.";
    let o = fr(Audience::Internal, DraftKind::Final);
    let v = validate(internal, o);
    assert!(v.passed(), "{:#?}", v.failed().collect::<Vec<_>>());
    let f = failed(&internal.replace("Demandes au support : 37.\n", ""), o);
    assert_eq!(f, vec!["support_cases"]);
    let f = failed(
        &internal.replace(
            "Ceci est la dernière mise à jour : il n’y aura plus de mises à jour sur cet incident.",
            "",
        ),
        o,
    );
    assert_eq!(f, vec!["no_further_updates"]);
    let f = failed(
        &internal.replace("pendant 1 h 15 (de 21h50 à 23h05) ", ""),
        o,
    );
    assert_eq!(f, vec!["duration"]);
    let f = failed(
        &internal
            .replace(" : résolu", "")
            .replace("L’incident est résolu : les", "Les"),
        o,
    );
    assert_eq!(f, vec!["resolved"]);

    let external = "SEV2 – Paiements par carte rétablis

Les paiements par carte fonctionnent de nouveau : le service est rétabli.

Un rapport d’incident suivra pour expliquer ce qui s’est passé.";
    let o = fr(Audience::External, DraftKind::Final);
    let v = validate_version(external, o);
    assert!(v.passed(), "{:#?}", v.failed().collect::<Vec<_>>());
    let f = failed(
        &external.replace(
            "Un rapport d’incident suivra pour expliquer ce qui s’est passé.",
            "Merci de votre patience.",
        ),
        o,
    );
    assert_eq!(f, vec!["follow_up"]);
    let f = failed(
        &external.replace("rétablis", "en cours").replace(
            "Les paiements par carte fonctionnent de nouveau : le service est rétabli.",
            "Nous suivons la situation de près.",
        ),
        o,
    );
    assert!(f.contains(&"restored"), "{f:?}");
}

#[test]
fn a_version_must_read_as_its_language() {
    let english = "SEV2 – Card payments failing

Some card payments are failing; other payment methods work.

Impact: customers cannot pay by card; about a third of card payments are affected.
Root cause: not yet known.
ETA: unknown.
Next update in 30 minutes on our status page.";
    // English left in the French slot.
    let v = validate_version(english, fr(Audience::External, DraftKind::Update));
    let rule = v.rules.iter().find(|r| r.id == "language").unwrap();
    assert!(!rule.passed);
    assert_eq!(rule.label, "Written in French");
    assert!(
        rule.hint.contains("French version reads as English"),
        "{}",
        rule.hint
    );
    // Each language passes in its own slot and fails in the other.
    let en = opts(Audience::External, DraftKind::Update);
    assert!(validate_version(english, en).passed());
    let v = validate_version(BON_EXTERNE, en);
    let rule = v.rules.iter().find(|r| r.id == "language").unwrap();
    assert!(
        !rule.passed && rule.label == "Written in English",
        "{rule:?}"
    );
    // Too little to tell.
    assert!(
        validate_version("SEV2 – x", fr(Audience::External, DraftKind::Update))
            .failed()
            .any(|r| r.id == "language")
    );
    // One language configured: no such rule.
    assert!(
        !validate(english, en)
            .rules
            .iter()
            .any(|r| r.id == "language")
    );
    assert_eq!(
        version_state(
            Lang::Fr,
            &validate_version(english, fr(Audience::External, DraftKind::Update))
        ),
        format!(
            "French: {} checks failing",
            validate_version(english, fr(Audience::External, DraftKind::Update))
                .failed()
                .count()
        )
    );
    assert_eq!(
        version_state(
            Lang::Fr,
            &validate_version(BON_EXTERNE, fr(Audience::External, DraftKind::Update))
        ),
        "French: ready"
    );
}

#[test]
fn french_hints_stay_in_english_and_give_french_examples() {
    let v = validate("rien", fr(Audience::Internal, DraftKind::Update));
    let hint = |id: &str| v.rules.iter().find(|r| r.id == id).unwrap().hint.clone();
    assert!(
        hint("next_update").contains("Prochaine mise à jour à 22h30"),
        "{}",
        hint("next_update")
    );
    assert!(hint("status").contains("État actuel"), "{}", hint("status"));
    assert!(
        hint("impact").starts_with("say what users see"),
        "{}",
        hint("impact")
    );
}
