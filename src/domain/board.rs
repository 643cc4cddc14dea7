//! The observe / theorize / experiment loop.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::event::{Outcome, TheoryStatus, Verdict};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub author: String,
    pub text: String,
    pub from_event: Option<Uuid>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Theory {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub author: String,
    pub text: String,
    pub status: TheoryStatus,
    /// Why the status is what it is (the experiment's notes or the stated reason).
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Experiment {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub author: String,
    pub plan: String,
    pub tests: Vec<Uuid>,
    /// What it showed, per theory it tests (empty while it runs).
    pub verdicts: Vec<Verdict>,
    /// The one outcome of an experiment that tests no theory.
    pub outcome: Option<Outcome>,
    /// An outcome recorded before per-theory verdicts existed, for an experiment testing
    /// several theories: shown as such, and moving none of them.
    pub outcome_before_verdicts: Option<Outcome>,
    pub notes: String,
    pub concluded_at: Option<DateTime<Utc>>,
}

impl Experiment {
    pub fn is_running(&self) -> bool {
        self.concluded_at.is_none()
    }

    /// The verdict on `theory`: inconclusive when it was not given one.
    pub fn verdict_on(&self, theory: Uuid) -> Option<Outcome> {
        self.concluded_at?;
        Some(
            self.verdicts
                .iter()
                .find(|v| v.theory == theory)
                .map_or(Outcome::Inconclusive, |v| v.outcome),
        )
    }
}

/// How an outcome event reads once the experiment it concludes is known: the verdicts to
/// apply, per theory tested. A single outcome on an experiment testing one theory is that
/// theory's verdict; on several, it is recorded but applies to none (returned as `Err`).
pub fn verdicts_of(
    tests: &[Uuid],
    outcome: Option<Outcome>,
    verdicts: &[Verdict],
) -> Result<Vec<Verdict>, Outcome> {
    if !verdicts.is_empty() {
        return Ok(verdicts
            .iter()
            .filter(|v| tests.contains(&v.theory))
            .copied()
            .collect());
    }
    match (tests, outcome) {
        ([one], Some(outcome)) => Ok(vec![Verdict {
            theory: *one,
            outcome,
        }]),
        ([_, _, ..], Some(outcome)) => Err(outcome),
        _ => Ok(Vec::new()),
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Board {
    pub observations: Vec<Observation>,
    pub theories: Vec<Theory>,
    pub experiments: Vec<Experiment>,
}

impl Board {
    pub fn theory(&self, id: Uuid) -> Option<&Theory> {
        self.theories.iter().find(|t| t.id == id)
    }

    pub fn experiment(&self, id: Uuid) -> Option<&Experiment> {
        self.experiments.iter().find(|e| e.id == id)
    }

    pub fn set_theory_status(&mut self, id: Uuid, status: TheoryStatus, reason: &str) {
        if let Some(t) = self.theories.iter_mut().find(|t| t.id == id) {
            t.status = status;
            t.reason = reason.to_string();
        }
    }

    /// Records an outcome; each theory moves with its own verdict (`supports` or
    /// `refutes`); an inconclusive verdict leaves it where it was.
    pub fn conclude(
        &mut self,
        id: Uuid,
        outcome: Option<Outcome>,
        verdicts: &[Verdict],
        notes: &str,
        at: DateTime<Utc>,
    ) {
        let Some(exp) = self.experiments.iter_mut().find(|e| e.id == id) else {
            return;
        };
        exp.notes = notes.to_string();
        exp.concluded_at = Some(at);
        let apply = match verdicts_of(&exp.tests, outcome, verdicts) {
            Ok(v) => v,
            Err(before) => {
                exp.outcome_before_verdicts = Some(before);
                Vec::new()
            }
        };
        if exp.tests.is_empty() {
            exp.outcome = outcome;
        }
        exp.verdicts = apply.clone();
        let reason = if notes.is_empty() {
            format!("experiment: {}", exp.plan)
        } else {
            notes.to_string()
        };
        for v in apply {
            let status = match v.outcome {
                Outcome::Supports => TheoryStatus::Supported,
                Outcome::Refutes => TheoryStatus::Refuted,
                Outcome::Inconclusive => continue,
            };
            self.set_theory_status(v.theory, status, &reason);
        }
    }

    /// The board's label of a theory (T1, T2...), in the order they were recorded.
    pub fn theory_label(&self, id: Uuid) -> Option<String> {
        self.theories
            .iter()
            .position(|t| t.id == id)
            .map(|i| format!("T{}", i + 1))
    }

    /// The board's label of an experiment (E1, E2...).
    pub fn experiment_label(&self, id: Uuid) -> Option<String> {
        self.experiments
            .iter()
            .position(|e| e.id == id)
            .map(|i| format!("E{}", i + 1))
    }

    /// How an experiment's result reads: "refutes T1, supports T2", or for an outcome
    /// recorded before per-theory verdicts, says so.
    pub fn result_of(&self, e: &Experiment) -> Option<String> {
        e.concluded_at?;
        if let Some(before) = e.outcome_before_verdicts {
            return Some(format!(
                "{} (outcome recorded before per-theory verdicts: applied to no theory)",
                before.as_str()
            ));
        }
        if e.tests.is_empty() {
            return Some(e.outcome.unwrap_or(Outcome::Inconclusive).as_str().into());
        }
        let parts: Vec<String> = e
            .tests
            .iter()
            .map(|t| {
                let label = self.theory_label(*t).unwrap_or_else(|| "T?".into());
                let verdict = e.verdict_on(*t).unwrap_or(Outcome::Inconclusive);
                match verdict {
                    Outcome::Inconclusive => format!("inconclusive on {label}"),
                    v => format!("{} {label}", v.as_str()),
                }
            })
            .collect();
        Some(parts.join(", "))
    }

    /// Updates the text of an amended observation or theory.
    pub fn amend(&mut self, id: Uuid, text: &str) {
        if let Some(o) = self.observations.iter_mut().find(|o| o.id == id) {
            o.text = text.to_string();
        } else if let Some(t) = self.theories.iter_mut().find(|t| t.id == id) {
            t.text = text.to_string();
        }
    }

    pub fn open_theories(&self) -> impl Iterator<Item = &Theory> {
        self.theories
            .iter()
            .filter(|t| t.status == TheoryStatus::Open)
    }

    pub fn running_experiments(&self) -> impl Iterator<Item = &Experiment> {
        self.experiments.iter().filter(|e| e.is_running())
    }
}

/// Reads what a person typed as an experiment's result: `T1=supports T2=refutes` (or the
/// first letters, `T1=s`), or one bare verdict when the experiment tests one theory or
/// none. Every tested theory needs a verdict.
pub fn parse_verdicts(
    board: &Board,
    e: &Experiment,
    input: &str,
) -> Result<(Option<Outcome>, Vec<Verdict>), String> {
    let parts: Vec<&str> = input
        .split([',', ' ', ';'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let label = |t: Uuid| board.theory_label(t).unwrap_or_else(|| "T?".into());
    let hint = || {
        let each: Vec<String> = e.tests.iter().map(|t| format!("{}=…", label(*t))).collect();
        format!(
            "give a verdict per theory: {} (supports, refutes or inconclusive)",
            each.join(" ")
        )
    };
    if let [one] = parts[..]
        && !one.contains('=')
    {
        let outcome = Outcome::parse(one).ok_or_else(|| {
            format!("`{one}` is not a verdict: supports, refutes or inconclusive")
        })?;
        return match e.tests[..] {
            [] => Ok((Some(outcome), Vec::new())),
            [t] => Ok((None, vec![Verdict { theory: t, outcome }])),
            _ => Err(hint()),
        };
    }
    if parts.is_empty() {
        return Err(hint());
    }
    let mut verdicts: Vec<Verdict> = Vec::new();
    for p in parts {
        let Some((name, verdict)) = p.split_once('=') else {
            return Err(format!("`{p}`: write THEORY=VERDICT, e.g. T1=supports"));
        };
        let theory = e
            .tests
            .iter()
            .copied()
            .find(|t| label(*t).eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| {
                let tested: Vec<String> = e.tests.iter().map(|t| label(*t)).collect();
                format!(
                    "`{}` is not a theory this experiment tests ({})",
                    name.trim(),
                    if tested.is_empty() {
                        "it tests none".to_string()
                    } else {
                        tested.join(", ")
                    }
                )
            })?;
        let outcome = Outcome::parse(verdict).ok_or_else(|| {
            format!("`{verdict}` is not a verdict: supports, refutes or inconclusive")
        })?;
        if verdicts.iter().any(|v| v.theory == theory) {
            return Err(format!("{} is given two verdicts", label(theory)));
        }
        verdicts.push(Verdict { theory, outcome });
    }
    if let Some(missing) = e
        .tests
        .iter()
        .find(|t| !verdicts.iter().any(|v| v.theory == **t))
    {
        return Err(format!(
            "no verdict for {}: add {}=inconclusive if it showed nothing about it",
            label(*missing),
            label(*missing)
        ));
    }
    Ok((None, verdicts))
}
