//! The observe / theorize / experiment loop.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::event::{Outcome, TheoryStatus};

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
    pub outcome: Option<Outcome>,
    pub notes: String,
    pub concluded_at: Option<DateTime<Utc>>,
}

impl Experiment {
    pub fn is_running(&self) -> bool {
        self.outcome.is_none()
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

    /// Records an outcome; `supports` and `refutes` move every tested theory with it.
    pub fn conclude(&mut self, id: Uuid, outcome: Outcome, notes: &str, at: DateTime<Utc>) {
        let Some(exp) = self.experiments.iter_mut().find(|e| e.id == id) else {
            return;
        };
        exp.outcome = Some(outcome);
        exp.notes = notes.to_string();
        exp.concluded_at = Some(at);
        let status = match outcome {
            Outcome::Supports => TheoryStatus::Supported,
            Outcome::Refutes => TheoryStatus::Refuted,
            Outcome::Inconclusive => return,
        };
        let tests = exp.tests.clone();
        let reason = if notes.is_empty() {
            format!("experiment: {}", exp.plan)
        } else {
            notes.to_string()
        };
        for theory in tests {
            self.set_theory_status(theory, status, &reason);
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
