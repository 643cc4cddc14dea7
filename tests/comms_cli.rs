//! `warroom comms check` and `warroom comms template` through the real binary.

// Tests fail by panicking, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use predicates::prelude::*;

const GOOD: &str = "SEV2 – Card payments failing at checkout

A third of card payments fail since 21:50; wallets work.

Current status:
- Error rate near 38%
- Tokeniser calls are slow

Next steps:
- Raise the connection pool
- Watch the error rate

Impact: customers cannot pay by card; about 2,400 external customers and no internal users affected.
Root cause: not known yet.
ETA for restoration: unknown.
Next update at 22:30 UTC in #inc-payments.
";

#[test]
fn a_complete_draft_passes_from_a_file_and_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("draft.txt");
    std::fs::write(&file, GOOD).unwrap();
    common::warroom_assert(dir.path())
        .args(["comms", "check"])
        .arg(&file)
        .assert()
        .success()
        .stdout(
            predicate::str::contains("pass  Title").and(predicate::str::contains("FAIL").not()),
        );
    common::warroom_assert(dir.path())
        .args(["comms", "check", "-", "--severity", "2"])
        .write_stdin(GOOD)
        .assert()
        .success();
}

#[test]
fn a_failing_draft_lists_each_rule_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let draft = GOOD.replace("Root cause: not known yet.\n", "");
    common::warroom_assert(dir.path())
        .args(["comms", "check", "-"])
        .write_stdin(draft)
        .assert()
        .failure()
        .stdout(predicate::str::contains("FAIL  Root cause"))
        .stderr(predicate::str::contains("1 of 10 checks failed"));
    // The wrong severity in the title.
    common::warroom_assert(dir.path())
        .args(["comms", "check", "-", "--severity", "1"])
        .write_stdin(GOOD)
        .assert()
        .failure()
        .stdout(predicate::str::contains("the incident is SEV1"));
}

#[test]
fn external_drafts_must_be_short_and_keep_internal_detail_out() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::warroom_assert(dir.path())
        .args(["comms", "check", "-", "--audience", "external", "--json"])
        .write_stdin(GOOD.replace(
            "Tokeniser calls are slow",
            "tok-3.payments.internal is slow",
        ))
        .assert()
        .failure()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let failed: Vec<&str> = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["passed"] == false)
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(failed.contains(&"no_internal_detail"), "{failed:?}");
}

#[test]
fn final_messages_are_checked_with_the_recap_rules() {
    let dir = tempfile::tempdir().unwrap();
    let final_msg = "SEV2 – Card payments: resolved

The incident is resolved and card payments work again.

Impact: customers could not pay by card for 1h 15m; 2,400 external customers, no internal users.
Support cases raised: 12.
This is the final update: there will be no further updates.
";
    common::warroom_assert(dir.path())
        .args(["comms", "check", "-", "--final"])
        .write_stdin(final_msg)
        .assert()
        .success();
    common::warroom_assert(dir.path())
        .args(["comms", "check", "-", "--final"])
        .write_stdin(final_msg.replace("Support cases raised: 12.\n", ""))
        .assert()
        .failure()
        .stdout(predicate::str::contains("FAIL  Support cases raised"));
}

#[test]
fn templates_are_filled_from_the_incident() {
    let dir = tempfile::tempdir().unwrap();
    let id = common::warroom_assert(dir.path())
        .args([
            "--as",
            "ana",
            "declare",
            "--title",
            "Login broken",
            "--severity",
            "1",
            "--started-at",
            "-20m",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let id = String::from_utf8(id).unwrap().trim().to_string();
    common::warroom_assert(dir.path())
        .args(["comms", "template", "first", "--incident", &id])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("SEV1 – Login broken"));
    common::warroom_assert(dir.path())
        .args(["comms", "template", "nonsense"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "first, update, external, final-internal, final-external",
        ));
    common::warroom_assert(dir.path())
        .args(["comms", "check", "/nonexistent/draft.txt"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("cannot read the draft"));
}

#[test]
fn checking_an_untouched_template_lists_every_blank_in_it() {
    let dir = tempfile::tempdir().unwrap();
    let id = common::warroom_assert(dir.path())
        .args([
            "--as",
            "ana",
            "declare",
            "--title",
            "Login broken",
            "--severity",
            "2",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let id = String::from_utf8(id).unwrap().trim().to_string();
    for (template, blanks) in [
        (
            "first",
            &[
                "<One or two sentences: where things stand and what users feel.>",
                "<what we have seen so far>",
                "<what the team is trying first>",
                "<what users see or cannot do>",
                "<how many> (2 times)",
                "<channel or status page>",
            ][..],
        ),
        (
            "update",
            &[
                "<current status> (2 times)",
                "<next step> (2 times)",
                "<what users see or cannot do>",
                "<how many> (2 times)",
                "<the cause, or: still unknown>",
                "<a time, or: not known yet>",
                "<channel or status page>",
            ][..],
        ),
    ] {
        let draft = common::warroom_assert(dir.path())
            .args(["comms", "template", template, "--incident", &id])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let out = common::warroom_assert(dir.path())
            .args(["comms", "check", "-"])
            .write_stdin(draft)
            .assert()
            .failure()
            .get_output()
            .stdout
            .clone();
        let out = String::from_utf8(out).unwrap();
        let line = out
            .lines()
            .find(|l| l.contains("No blanks left"))
            .unwrap_or_else(|| panic!("no blanks rule in {out}"));
        assert!(line.starts_with("FAIL"), "{line}");
        for blank in blanks {
            assert!(
                line.contains(blank),
                "{template}: {blank} missing from {line}"
            );
        }
        // The impact line is still a blank: it does not pass for an impact.
        assert!(
            out.lines()
                .any(|l| l.starts_with("FAIL") && l.contains("The impact on users")),
            "{template}: {out}"
        );
    }
}

const FRENCH: &str = "SEV2 – Échec des paiements par carte

Un tiers des paiements par carte échoue depuis 21h50 ; les portefeuilles fonctionnent.

État actuel :
- Taux d’erreur proche de 38 %
- Les appels au service de jetons sont lents

Prochaines étapes :
- Augmenter le pool de connexions
- Surveiller le taux d’erreur

Impact : les clients ne peuvent pas payer par carte ; environ 2 400 clients externes et aucun utilisateur interne concernés.
Cause : pas encore identifiée.
Rétablissement : aucune estimation pour l’instant.
Prochaine mise à jour à 22h30 UTC dans #inc-paiements.
";

#[test]
fn a_french_draft_is_checked_in_french_by_flag_or_by_the_first_configured_language() {
    let dir = tempfile::tempdir().unwrap();
    // In English, the French words say nothing the checks look for.
    common::warroom_assert(dir.path())
        .args(["comms", "check", "-"])
        .write_stdin(FRENCH)
        .assert()
        .failure();
    common::warroom_assert(dir.path())
        .args(["comms", "check", "-", "--lang", "fr"])
        .write_stdin(FRENCH)
        .assert()
        .success()
        .stdout(predicate::str::contains("FAIL").not());
    // A team that writes French first needs no flag.
    let config = dir.path().join("fr.toml");
    std::fs::write(&config, "[comms]\nlanguages = [\"fr\", \"en\"]\n").unwrap();
    common::warroom_assert(dir.path())
        .arg("--config")
        .arg(&config)
        .args(["comms", "check", "-"])
        .write_stdin(FRENCH)
        .assert()
        .success();
    common::warroom_assert(dir.path())
        .args(["comms", "template", "external", "--lang", "fr"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Prochaine mise à jour"));
    common::warroom_assert(dir.path())
        .args(["comms", "check", "-", "--lang", "de"])
        .write_stdin(FRENCH)
        .assert()
        .failure()
        .stderr(predicate::str::contains("`de`"));
}
