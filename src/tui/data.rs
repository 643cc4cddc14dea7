//! The open incident as the console holds it: the confirmed log, this replica's pending
//! changes, and the state folded from both. New events are folded in as they arrive, so
//! the cost of an update depends on what changed, not on how long the incident has run.

use std::collections::HashSet;

use uuid::Uuid;

use crate::domain::describe;
use crate::domain::event::{Event, EventKind};
use crate::domain::incident::Incident;
use crate::domain::metrics::Mark;
use crate::sync::Pending;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowStatus<'a> {
    Confirmed,
    Pending,
    Rejected(&'a str),
}

pub struct IncidentData {
    pub id: Uuid,
    /// The fold of the confirmed log alone.
    base: Incident,
    pub confirmed: Vec<Event>,
    pub pending: Vec<Pending>,
    /// Confirmed and pending together: what the panes show.
    pub state: Incident,
    /// Impact-time events that corrected an earlier value.
    pub corrections: HashSet<Uuid>,
}

fn correction(state: &Incident, ev: &Event) -> bool {
    let mark = match ev.kind {
        EventKind::ImpactStarted {} => Mark::Started,
        EventKind::Detected {} => Mark::Detected,
        EventKind::ImpactEnded {} => Mark::Ended,
        _ => return false,
    };
    state.impact.get(mark).is_some()
}

impl IncidentData {
    pub fn new(id: Uuid, confirmed: Vec<Event>, pending: Vec<Pending>) -> Self {
        let empty = Incident::new(id);
        let mut data = IncidentData {
            id,
            state: empty.clone(),
            base: empty,
            confirmed: Vec::with_capacity(confirmed.len()),
            pending: Vec::new(),
            corrections: HashSet::new(),
        };
        data.extend(confirmed, pending);
        data
    }

    pub fn last_seq(&self) -> i64 {
        self.confirmed.last().and_then(|e| e.seq).unwrap_or(0)
    }

    /// Folds in newly confirmed events (in seq order) and replaces the pending list.
    pub fn extend(&mut self, new: Vec<Event>, pending: Vec<Pending>) {
        let last = self.last_seq();
        let mut refold = false;
        for ev in new {
            if ev.seq.is_some_and(|s| s > last) || ev.seq.is_none() {
                if correction(&self.base, &ev) {
                    self.corrections.insert(ev.id);
                }
                if let EventKind::EventRedacted { event: target, .. } = &ev.kind
                    && let Some(t) = self.confirmed.iter_mut().find(|e| e.id == *target)
                    && let Some(clean) = t.kind.scrubbed()
                {
                    // The text leaves memory too; the state is folded again from the
                    // scrubbed log, as every other machine folds it.
                    t.kind = clean;
                    refold = true;
                }
                self.base.apply(&ev);
                self.confirmed.push(ev);
            }
        }
        if refold {
            self.base = Incident::fold(self.id, &self.confirmed);
        }
        self.set_pending(pending);
    }

    fn set_pending(&mut self, pending: Vec<Pending>) {
        let last = self.last_seq();
        // Acknowledged changes already pulled would count twice.
        self.pending = pending
            .into_iter()
            .filter(|p| p.acked_seq.is_none_or(|s| s > last))
            .collect();
        self.state = self.base.clone();
        for p in self.pending.iter().filter(|p| p.rejected.is_none()) {
            if correction(&self.state, &p.event) {
                self.corrections.insert(p.event.id);
            }
            self.state.apply(&p.event);
        }
    }

    /// Rows of the timeline: confirmed events, then pending ones.
    pub fn len(&self) -> usize {
        self.confirmed.len() + self.pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn row(&self, i: usize) -> Option<(&Event, RowStatus<'_>)> {
        if i < self.confirmed.len() {
            return Some((&self.confirmed[i], RowStatus::Confirmed));
        }
        let p = self.pending.get(i - self.confirmed.len())?;
        let status = match &p.rejected {
            Some(reason) => RowStatus::Rejected(reason),
            None => RowStatus::Pending,
        };
        Some((&p.event, status))
    }
}

/// Which rows the timeline shows: by kind and author.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    pub kinds: Vec<String>,
    pub authors: Vec<String>,
}

impl Filter {
    /// `kind:note,theory author:maya` (a bare word is a kind).
    pub fn parse(s: &str) -> Filter {
        let mut f = Filter::default();
        for word in s.split_whitespace() {
            let (target, list) = if let Some(rest) = word.strip_prefix("author:") {
                (&mut f.authors, rest)
            } else if let Some(rest) = word.strip_prefix("kind:") {
                (&mut f.kinds, rest)
            } else {
                (&mut f.kinds, word)
            };
            target.extend(
                list.split(',')
                    .filter(|x| !x.is_empty())
                    .map(|x| x.to_ascii_lowercase()),
            );
        }
        f
    }

    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty() && self.authors.is_empty()
    }

    pub fn matches(&self, ev: &Event) -> bool {
        let kind_ok = self.kinds.is_empty() || {
            let t = ev.kind.type_name();
            let label = describe::label(&ev.kind);
            self.kinds
                .iter()
                .any(|k| t.contains(k.as_str()) || label.contains(k.as_str()))
        };
        let author_ok = self.authors.is_empty()
            || self
                .authors
                .iter()
                .any(|a| ev.author.to_ascii_lowercase() == *a);
        kind_ok && author_ok
    }

    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.kinds.is_empty() {
            parts.push(format!("kind:{}", self.kinds.join(",")));
        }
        if !self.authors.is_empty() {
            parts.push(format!("author:{}", self.authors.join(",")));
        }
        parts.join(" ")
    }
}

/// Whether a row matches a search (case-insensitive, over author, kind and text).
pub fn search_matches(ev: &Event, needle_lower: &str) -> bool {
    if needle_lower.is_empty() {
        return false;
    }
    ev.author.to_ascii_lowercase().contains(needle_lower)
        || describe::label(&ev.kind).contains(needle_lower)
        || describe::text(&ev.kind)
            .to_lowercase()
            .contains(needle_lower)
}
