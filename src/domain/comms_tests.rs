//! Tests of `comms`.

use super::*;

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
