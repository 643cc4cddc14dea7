//! The open incident as the console holds it: the confirmed log, this replica's pending
//! changes, and the state folded from both. New events are folded in as they arrive, so
//! the cost of an update depends on what changed, not on how long the incident has run.
//!
//! Rows are numbered as recorded: the confirmed log in seq order, then the pending
//! changes. The timeline shows them in time order by default (by when each fact happened,
//! as [`describe::in_time_order`] sorts events), so the data also keeps the confirmed
//! rows sorted by time, inserting each new one where it belongs, and places the few
//! pending rows among them. Impact times corrected later are tracked the same way: each
//! start of impact, detection or end of impact replaces the one recorded before it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::describe;
use crate::domain::event::{Event, EventKind};
use crate::domain::incident::Incident;
use crate::sync::Pending;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowStatus<'a> {
    Confirmed,
    Pending,
    Rejected(&'a str),
}

/// The order the timeline shows its rows in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Order {
    /// By when each fact happened (its `at`), ties in the order they were recorded, so a
    /// back-dated entry sits at its time.
    #[default]
    Time,
    /// As recorded: the log's seq order, then this replica's pending changes.
    Recorded,
}

impl Order {
    pub fn toggled(self) -> Order {
        match self {
            Order::Time => Order::Recorded,
            Order::Recorded => Order::Time,
        }
    }

    /// How the pane's title names it.
    pub fn name(self) -> &'static str {
        match self {
            Order::Time => "by time",
            Order::Recorded => "as logged",
        }
    }
}

/// Where a row sorts in time order: its time, then its seq (pending rows, which have
/// none, after confirmed ones), then its row number. The same order as
/// [`describe::in_time_order`].
pub type TimeKey = (DateTime<Utc>, i64, usize);

/// Up to this many new rows are inserted one by one into the time order; more are sorted
/// and merged in.
const INSERT_ONE_BY_ONE: usize = 16;

/// The three impact times, by index, for tracking corrections.
fn impact_index(kind: &EventKind) -> Option<usize> {
    match kind {
        EventKind::ImpactStarted {} => Some(0),
        EventKind::Detected {} => Some(1),
        EventKind::ImpactEnded {} => Some(2),
        _ => None,
    }
}

/// Which impact-time events replaced which: each one replaces the last one recorded of
/// its kind before it.
#[derive(Clone, Debug, Default)]
struct Supersession {
    latest: [Option<Uuid>; 3],
    /// A correction and the event it corrected.
    corrects: HashMap<Uuid, Uuid>,
    /// A corrected event and the correction that replaced it.
    superseded_by: HashMap<Uuid, Uuid>,
}

impl Supersession {
    fn note(&mut self, ev: &Event) {
        let Some(i) = impact_index(&ev.kind) else {
            return;
        };
        if let Some(before) = self.latest[i] {
            self.corrects.insert(ev.id, before);
            self.superseded_by.insert(before, ev.id);
        }
        self.latest[i] = Some(ev.id);
    }
}

pub struct IncidentData {
    pub id: Uuid,
    /// The fold of the confirmed log alone, kept apart while changes are pending; `None`
    /// when nothing pending applies, and `state` is that fold (no copy is made).
    base: Option<Incident>,
    pub confirmed: Vec<Event>,
    pub pending: Vec<Pending>,
    /// Confirmed and pending together: what the panes show.
    pub state: Incident,
    /// Impact-time events that corrected an earlier value, with the event each corrected
    /// (pending changes included).
    pub corrections: HashMap<Uuid, Uuid>,
    /// Impact-time events a later-recorded one of the same kind replaced, with the event
    /// that replaced each (pending changes included).
    pub superseded: HashMap<Uuid, Uuid>,
    /// The same for the confirmed log alone.
    base_supersession: Supersession,
    /// Confirmed rows sorted by [`TimeKey`].
    by_time: Vec<usize>,
    /// Pending rows in time order: where each falls among `by_time` (before the
    /// confirmed row at that index) and its index in `pending`.
    pending_by_time: Vec<(usize, usize)>,
    /// The row of each confirmed event.
    rows_by_id: HashMap<Uuid, usize>,
    /// A redaction arrived while the start of the log was not read yet
    /// ([`IncidentData::from_recent`]): the state cannot be folded again from what is
    /// here, so the incident must be opened again.
    pub stale: bool,
}

/// The start of an incident's log, read while the console already shows its newest
/// entries, and made ready to go in front of them ([`IncidentData::prepend`]) off the
/// console's thread: its rows sorted by time and indexed by event id.
pub struct History {
    events: Vec<Event>,
    by_time: Vec<usize>,
    rows_by_id: HashMap<Uuid, usize>,
}

impl History {
    /// `events`: the log from seq 1, in seq order.
    pub fn new(events: Vec<Event>) -> History {
        let mut keyed: Vec<(TimeKey, usize)> = events
            .iter()
            .enumerate()
            .map(|(row, e)| ((e.at, e.seq.unwrap_or(i64::MAX), row), row))
            .collect();
        keyed.sort_unstable();
        let rows_by_id = events.iter().enumerate().map(|(r, e)| (e.id, r)).collect();
        History {
            by_time: keyed.into_iter().map(|(_, r)| r).collect(),
            rows_by_id,
            events,
        }
    }
}

impl IncidentData {
    pub fn new(id: Uuid, confirmed: Vec<Event>, pending: Vec<Pending>) -> Self {
        let empty = Incident::new(id);
        let mut data = IncidentData {
            id,
            state: empty,
            base: None,
            confirmed: Vec::with_capacity(confirmed.len()),
            pending: Vec::new(),
            corrections: HashMap::new(),
            superseded: HashMap::new(),
            base_supersession: Supersession::default(),
            by_time: Vec::with_capacity(confirmed.len()),
            pending_by_time: Vec::new(),
            rows_by_id: HashMap::with_capacity(confirmed.len()),
            stale: false,
        };
        data.extend(confirmed, pending);
        data
    }

    /// An incident opened from its confirmed state and only its latest events (`tail`,
    /// in seq order, the state's last among them): the start of its log follows with
    /// [`IncidentData::prepend`].
    pub fn from_recent(id: Uuid, state: Incident, tail: Vec<Event>, pending: Vec<Pending>) -> Self {
        let mut data = IncidentData {
            id,
            state,
            base: None,
            confirmed: tail,
            pending: Vec::new(),
            corrections: HashMap::new(),
            superseded: HashMap::new(),
            base_supersession: Supersession::default(),
            by_time: Vec::new(),
            pending_by_time: Vec::new(),
            rows_by_id: HashMap::new(),
            stale: false,
        };
        for (row, ev) in data.confirmed.iter().enumerate() {
            data.base_supersession.note(ev);
            data.rows_by_id.insert(ev.id, row);
        }
        data.place_in_time(0);
        data.set_pending(pending);
        data
    }

    /// Whether the whole log is here (not only its latest events).
    pub fn complete(&self) -> bool {
        self.confirmed
            .first()
            .is_none_or(|e| e.seq.is_none_or(|s| s <= 1))
    }

    /// Puts the start of the log in front of the rows: `history` must end right before the
    /// first row held. Rows are renumbered (each confirmed and pending row moves down by
    /// the number of events added); answers whether it fit.
    pub fn prepend(&mut self, history: History) -> bool {
        let first = self.confirmed.first().and_then(|e| e.seq);
        let last = history.events.last().and_then(|e| e.seq);
        if history.events.is_empty() || last.map(|s| s + 1) != first {
            return false;
        }
        let k = history.events.len();
        let mut confirmed = history.events;
        confirmed.append(&mut self.confirmed);
        self.confirmed = confirmed;
        let mut rows_by_id = history.rows_by_id;
        rows_by_id.extend(self.rows_by_id.drain().map(|(id, row)| (id, row + k)));
        self.rows_by_id = rows_by_id;
        let old: Vec<usize> = self.by_time.iter().map(|r| r + k).collect();
        let mut merged = Vec::with_capacity(old.len() + k);
        let (mut a, mut b) = (
            history.by_time.into_iter().peekable(),
            old.into_iter().peekable(),
        );
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(&x), Some(&y)) if self.time_key(x) <= self.time_key(y) => a.next(),
                (Some(_), Some(_)) => b.next(),
                (Some(_), None) => a.next(),
                (None, Some(_)) => b.next(),
                (None, None) => break,
            };
            merged.extend(next);
        }
        self.by_time = merged;
        // Which impact times corrected which: the earlier ones are here now.
        self.base_supersession = Supersession::default();
        for ev in &self.confirmed {
            self.base_supersession.note(ev);
        }
        let pending = std::mem::take(&mut self.pending);
        self.set_pending(pending);
        true
    }

    pub fn last_seq(&self) -> i64 {
        self.confirmed.last().and_then(|e| e.seq).unwrap_or(0)
    }

    /// Folds in newly confirmed events (in seq order) and replaces the pending list.
    pub fn extend(&mut self, new: Vec<Event>, pending: Vec<Pending>) {
        let last = self.last_seq();
        let first_new = self.confirmed.len();
        let mut refold = false;
        for ev in new {
            if ev.seq.is_some_and(|s| s > last) || ev.seq.is_none() {
                self.base_supersession.note(&ev);
                if matches!(ev.kind, EventKind::EventRedacted { .. }) && !self.complete() {
                    // Its target may be in the start of the log, not read yet.
                    self.stale = true;
                }
                if let EventKind::EventRedacted { event: target, .. } = &ev.kind
                    && let Some(row) = self.rows_by_id.get(target).copied()
                    && let Some(t) = self.confirmed.get_mut(row)
                    && let Some(clean) = t.kind.scrubbed()
                {
                    // The text leaves memory too; the state is folded again from the
                    // scrubbed log, as every other machine folds it.
                    t.kind = clean;
                    refold = true;
                }
                self.confirmed_state().apply(&ev);
                self.rows_by_id.insert(ev.id, self.confirmed.len());
                self.confirmed.push(ev);
            }
        }
        if refold && !self.stale {
            *self.confirmed_state() = Incident::fold(self.id, &self.confirmed);
        }
        self.place_in_time(first_new);
        self.set_pending(pending);
    }

    /// The fold of the confirmed log alone.
    fn confirmed_state(&mut self) -> &mut Incident {
        match &mut self.base {
            Some(base) => base,
            None => &mut self.state,
        }
    }

    /// Puts confirmed rows `first..` into the time order.
    fn place_in_time(&mut self, first: usize) {
        let new = first..self.confirmed.len();
        if new.len() <= INSERT_ONE_BY_ONE {
            for row in new {
                let key = self.time_key(row);
                let at = self.by_time.partition_point(|&r| self.time_key(r) < key);
                self.by_time.insert(at, row);
            }
            return;
        }
        // Many at once (opening an incident, catching up): sort them, then merge.
        let mut keyed: Vec<(TimeKey, usize)> = new.map(|r| (self.time_key(r), r)).collect();
        keyed.sort_unstable();
        let added: Vec<usize> = keyed.into_iter().map(|(_, r)| r).collect();
        let old = std::mem::take(&mut self.by_time);
        let mut merged = Vec::with_capacity(old.len() + added.len());
        let (mut a, mut b) = (old.into_iter().peekable(), added.into_iter().peekable());
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(&x), Some(&y)) if self.time_key(x) <= self.time_key(y) => a.next(),
                (Some(_), Some(_)) => b.next(),
                (Some(_), None) => a.next(),
                (None, Some(_)) => b.next(),
                (None, None) => break,
            };
            merged.extend(next);
        }
        self.by_time = merged;
    }

    fn set_pending(&mut self, pending: Vec<Pending>) {
        let last = self.last_seq();
        // Acknowledged changes already pulled would count twice.
        self.pending = pending
            .into_iter()
            .filter(|p| p.acked_seq.is_none_or(|s| s > last))
            .collect();
        let mut supersession = self.base_supersession.clone();
        if self.pending.iter().all(|p| p.rejected.is_some()) {
            if let Some(base) = self.base.take() {
                self.state = base;
            }
        } else {
            let base = match self.base.take() {
                Some(base) => base,
                None => std::mem::replace(&mut self.state, Incident::new(self.id)),
            };
            self.state = base.clone();
            self.base = Some(base);
            for p in self.pending.iter().filter(|p| p.rejected.is_none()) {
                supersession.note(&p.event);
                self.state.apply(&p.event);
            }
        }
        self.corrections = supersession.corrects;
        self.superseded = supersession.superseded_by;
        let n = self.confirmed.len();
        let mut placed: Vec<(usize, usize)> = (0..self.pending.len())
            .map(|j| {
                let key = self.time_key(n + j);
                (self.by_time.partition_point(|&r| self.time_key(r) < key), j)
            })
            .collect();
        placed.sort_by_key(|&(at, j)| (at, self.time_key(n + j)));
        self.pending_by_time = placed;
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

    /// Where row `row` sorts in time order.
    pub fn time_key(&self, row: usize) -> TimeKey {
        match self.row(row) {
            Some((ev, _)) => (ev.at, ev.seq.unwrap_or(i64::MAX), row),
            None => (DateTime::<Utc>::MAX_UTC, i64::MAX, row),
        }
    }

    /// Where row `row` sorts in `order` (rows sort by these keys in that order).
    pub fn order_key(&self, order: Order, row: usize) -> TimeKey {
        match order {
            Order::Time => self.time_key(row),
            Order::Recorded => (DateTime::<Utc>::MIN_UTC, 0, row),
        }
    }

    /// The row shown `k`-th in `order`.
    pub fn ordered_row(&self, order: Order, k: usize) -> Option<usize> {
        if k >= self.len() {
            return None;
        }
        if order == Order::Recorded {
            return Some(k);
        }
        let mut before = 0;
        for (i, &(at, j)) in self.pending_by_time.iter().enumerate() {
            match (at + i).cmp(&k) {
                std::cmp::Ordering::Equal => return Some(self.confirmed.len() + j),
                std::cmp::Ordering::Greater => break,
                std::cmp::Ordering::Less => before += 1,
            }
        }
        self.by_time.get(k - before).copied()
    }

    /// Where row `row` is shown in `order`: the inverse of [`IncidentData::ordered_row`].
    pub fn position(&self, order: Order, row: usize) -> Option<usize> {
        if row >= self.len() {
            return None;
        }
        if order == Order::Recorded {
            return Some(row);
        }
        let n = self.confirmed.len();
        if row >= n {
            let i = self
                .pending_by_time
                .iter()
                .position(|&(_, j)| n + j == row)?;
            return Some(self.pending_by_time[i].0 + i);
        }
        let key = self.time_key(row);
        let c = self.by_time.partition_point(|&r| self.time_key(r) < key);
        if self.by_time.get(c) != Some(&row) {
            return None;
        }
        Some(c + self.pending_by_time.partition_point(|&(at, _)| at <= c))
    }

    /// The row of the newest recorded entry: this replica's latest change still on its
    /// way, else the log's last entry (a refused change is not news).
    pub fn newest_recorded(&self) -> Option<usize> {
        let n = self.confirmed.len();
        self.pending
            .iter()
            .rposition(|p| p.rejected.is_none())
            .map(|j| n + j)
            .or_else(|| n.checked_sub(1))
            .or_else(|| self.len().checked_sub(1))
    }

    /// The row of an event, confirmed or pending.
    pub fn row_of(&self, id: Uuid) -> Option<usize> {
        self.rows_by_id.get(&id).copied().or_else(|| {
            self.pending
                .iter()
                .position(|p| p.event.id == id)
                .map(|j| self.confirmed.len() + j)
        })
    }

    /// An event of the incident by its id, confirmed or pending.
    pub fn find(&self, id: Uuid) -> Option<&Event> {
        self.row_of(id).and_then(|r| self.row(r)).map(|(e, _)| e)
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
                .any(|a| ev.shown_author().to_ascii_lowercase() == *a);
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
    ev.shown_author()
        .to_ascii_lowercase()
        .contains(needle_lower)
        || describe::label(&ev.kind).contains(needle_lower)
        || describe::text(&ev.kind)
            .to_lowercase()
            .contains(needle_lower)
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::domain::event::Severity;

    const INCIDENT: Uuid = Uuid::from_u128(7);

    fn t(minute: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 26, 21, 0, 0).unwrap() + Duration::minutes(minute)
    }

    /// Event `seq`, happened at `at` minutes and recorded at `recorded` minutes.
    fn ev(seq: i64, at: i64, recorded: i64, kind: EventKind) -> Event {
        Event {
            id: Uuid::from_u128(1000 + seq as u128),
            incident: INCIDENT,
            seq: Some(seq),
            at: t(at),
            recorded_at: Some(t(recorded)),
            author: "maya".into(),
            persona: None,
            kind,
        }
    }

    fn note(seq: i64, at: i64, recorded: i64) -> Event {
        ev(
            seq,
            at,
            recorded,
            EventKind::Note {
                text: format!("note {seq}"),
            },
        )
    }

    fn pending(id: u128, at: i64, kind: EventKind, rejected: bool) -> Pending {
        Pending {
            event: Event {
                id: Uuid::from_u128(id),
                incident: INCIDENT,
                seq: None,
                at: t(at),
                recorded_at: None,
                author: "maya".into(),
                persona: None,
                kind,
            },
            rejected: rejected.then(|| "refused".to_string()),
            attempts: 0,
            acked_seq: None,
        }
    }

    fn declared() -> Event {
        ev(
            1,
            0,
            0,
            EventKind::IncidentDeclared {
                title: "Payments".into(),
                severity: Severity::MAJOR,
                summary: String::new(),
                drill: false,
                restricted: false,
            },
        )
    }

    /// The rows in time order, as their seqs (pending: 0).
    fn seqs(d: &IncidentData, order: Order) -> Vec<i64> {
        (0..d.len())
            .map(|k| {
                let row = d.ordered_row(order, k).unwrap();
                d.row(row).unwrap().0.seq.unwrap_or(0)
            })
            .collect()
    }

    /// `ordered_row` and `position` are each other's inverse, and the time order is the
    /// one `describe::in_time_order` gives the same events.
    fn check_order(d: &IncidentData) {
        for order in [Order::Time, Order::Recorded] {
            for k in 0..d.len() {
                let row = d.ordered_row(order, k).unwrap();
                assert_eq!(d.position(order, row), Some(k), "{order:?} row {row}");
            }
            assert_eq!(d.ordered_row(order, d.len()), None);
        }
        let all = d.confirmed.iter().chain(d.pending.iter().map(|p| &p.event));
        let expected: Vec<Uuid> = describe::in_time_order(all).iter().map(|e| e.id).collect();
        let shown: Vec<Uuid> = (0..d.len())
            .map(|k| d.row(d.ordered_row(Order::Time, k).unwrap()).unwrap().0.id)
            .collect();
        assert_eq!(shown, expected);
    }

    #[test]
    fn back_dated_events_arriving_one_by_one_slot_in_at_their_time() {
        let mut d = IncidentData::new(INCIDENT, vec![declared()], vec![]);
        // Each arrives in its own load, recorded in seq order but happened out of order.
        for e in [
            note(2, 10, 10),
            note(3, 5, 30),
            note(4, 20, 31),
            note(5, -3, 32),
            note(6, 10, 33),
        ] {
            d.extend(vec![e], vec![]);
            check_order(&d);
        }
        assert_eq!(seqs(&d, Order::Time), vec![5, 1, 3, 2, 6, 4]);
        assert_eq!(seqs(&d, Order::Recorded), vec![1, 2, 3, 4, 5, 6]);
        assert_eq!(d.newest_recorded(), Some(5), "seq 6 is the newest recorded");
        assert_eq!(d.position(Order::Time, 5), Some(4));
    }

    #[test]
    fn a_large_batch_is_merged_into_the_same_order() {
        let mut one_by_one = IncidentData::new(INCIDENT, vec![declared()], vec![]);
        let batch: Vec<Event> = (2..60).map(|s| note(s, (s * 37) % 50 - 10, s)).collect();
        for e in batch.clone() {
            one_by_one.extend(vec![e], vec![]);
        }
        let at_once = IncidentData::new(INCIDENT, [vec![declared()], batch].concat(), vec![]);
        check_order(&one_by_one);
        check_order(&at_once);
        assert_eq!(seqs(&one_by_one, Order::Time), seqs(&at_once, Order::Time));
    }

    #[test]
    fn pending_rows_sit_at_their_time_after_confirmed_ones_of_the_same_time() {
        let d = IncidentData::new(
            INCIDENT,
            vec![declared(), note(2, 10, 10), note(3, 20, 20)],
            vec![
                pending(1, 10, EventKind::Note { text: "a".into() }, false),
                pending(2, -5, EventKind::Note { text: "b".into() }, false),
                pending(3, 30, EventKind::Note { text: "c".into() }, true),
            ],
        );
        check_order(&d);
        assert_eq!(seqs(&d, Order::Time), vec![0, 1, 2, 0, 3, 0]);
        let first = d.ordered_row(Order::Time, 0).unwrap();
        assert_eq!(d.row(first).unwrap().0.id, Uuid::from_u128(2));
        // The newest recorded is the last pending change not refused.
        assert_eq!(d.newest_recorded(), Some(4));
    }

    #[test]
    fn opened_from_its_latest_events_then_its_start_it_is_as_if_opened_whole() {
        // Back-dated entries and impact corrections on both sides of every split.
        let log = vec![
            declared(),
            ev(2, -10, 1, EventKind::ImpactStarted {}),
            note(3, 5, 3),
            ev(4, -2, 4, EventKind::Detected {}),
            note(5, -20, 5),
            ev(6, -15, 40, EventKind::ImpactStarted {}),
            note(7, 30, 41),
            note(8, 1, 42),
            ev(9, -12, 43, EventKind::ImpactStarted {}),
            note(10, 50, 44),
        ];
        let pending = vec![
            pending(1, 2, EventKind::Note { text: "a".into() }, false),
            pending(2, -11, EventKind::ImpactStarted {}, false),
            pending(3, 60, EventKind::Note { text: "c".into() }, true),
        ];
        let whole = IncidentData::new(INCIDENT, log.clone(), pending.clone());
        let state = Incident::fold(INCIDENT, &log);
        for split in 1..log.len() {
            let mut d = IncidentData::from_recent(
                INCIDENT,
                state.clone(),
                log[split..].to_vec(),
                pending.clone(),
            );
            assert!(!d.complete());
            assert_eq!(d.len(), log.len() - split + pending.len());
            assert_eq!(d.state, whole.state, "the state is whole from the start");
            check_order(&d);
            // A start that does not end right before the rows is not taken.
            assert!(!d.prepend(History::new(log[..split - 1].to_vec())) || split == 1);
            assert!(
                d.prepend(History::new(log[..split].to_vec())),
                "split {split}"
            );
            assert!(d.complete());
            check_order(&d);
            for order in [Order::Time, Order::Recorded] {
                assert_eq!(seqs(&d, order), seqs(&whole, order), "split {split}");
            }
            assert_eq!(d.superseded, whole.superseded, "split {split}");
            assert_eq!(d.corrections, whole.corrections, "split {split}");
            assert_eq!(d.state, whole.state);
            for e in &log {
                assert_eq!(d.row_of(e.id), whole.row_of(e.id));
            }
            assert_eq!(d.newest_recorded(), whole.newest_recorded());
        }
    }

    #[test]
    fn the_state_is_the_log_with_the_pending_changes_whatever_came_when() {
        let expected = |d: &IncidentData| {
            let pending = d.pending.iter().filter(|p| p.rejected.is_none());
            let all: Vec<Event> = d
                .confirmed
                .iter()
                .cloned()
                .chain(pending.map(|p| p.event.clone()))
                .collect();
            Incident::fold(INCIDENT, &all)
        };
        let mut d = IncidentData::new(INCIDENT, vec![declared(), note(2, 2, 2)], vec![]);
        assert_eq!(d.state, expected(&d));
        let waiting = pending(1, 3, EventKind::Note { text: "a".into() }, false);
        let refused = pending(2, 4, EventKind::Note { text: "b".into() }, true);
        d.extend(vec![note(3, 3, 3)], vec![waiting.clone(), refused.clone()]);
        assert_eq!(d.state.notes, 3, "two confirmed, one pending");
        assert_eq!(d.state, expected(&d));
        d.extend(vec![note(4, 4, 4)], vec![waiting.clone()]);
        assert_eq!(d.state, expected(&d));
        // The pending change is confirmed; only the refused one is left.
        let mut confirmed = waiting.event.clone();
        confirmed.seq = Some(5);
        d.extend(vec![confirmed], vec![refused.clone()]);
        assert_eq!(d.state.notes, 4);
        assert_eq!(d.state, expected(&d));
        d.extend(vec![note(6, 6, 6)], vec![]);
        assert_eq!(d.state, expected(&d));
        d.extend(vec![], vec![waiting]);
        assert_eq!(d.state.notes, 6);
        assert_eq!(d.state, expected(&d));
    }

    #[test]
    fn a_redaction_before_the_start_is_read_asks_for_the_incident_again() {
        let log: Vec<Event> = std::iter::once(declared())
            .chain((2..6).map(|s| note(s, s, s)))
            .collect();
        let state = Incident::fold(INCIDENT, &log);
        let mut d = IncidentData::from_recent(INCIDENT, state, log[3..].to_vec(), vec![]);
        assert!(!d.stale);
        d.extend(vec![note(6, 6, 6)], vec![]);
        assert!(!d.stale, "news is folded in");
        let redaction = ev(
            7,
            7,
            7,
            EventKind::EventRedacted {
                event: log[1].id,
                reason: "a secret".into(),
            },
        );
        d.extend(vec![redaction], vec![]);
        assert!(
            d.stale,
            "the target is not here: the state cannot be folded again"
        );
        // Whole, the same redaction is folded in place.
        let mut whole = IncidentData::new(INCIDENT, log.clone(), vec![]);
        whole.extend(vec![note(6, 6, 6)], vec![]);
        whole.extend(
            vec![ev(
                7,
                7,
                7,
                EventKind::EventRedacted {
                    event: log[1].id,
                    reason: "a secret".into(),
                },
            )],
            vec![],
        );
        assert!(!whole.stale);
        assert_eq!(
            whole.confirmed[1].kind,
            EventKind::Note {
                text: String::new()
            }
        );
    }

    #[test]
    fn a_corrected_impact_time_marks_the_one_it_replaced() {
        let started = ev(2, -10, 1, EventKind::ImpactStarted {});
        let detected = ev(3, -2, 2, EventKind::Detected {});
        let mut d = IncidentData::new(
            INCIDENT,
            vec![declared(), started.clone(), detected],
            vec![],
        );
        assert!(d.superseded.is_empty() && d.corrections.is_empty());

        // The correction is recorded later but happened earlier: it sorts first.
        let fix = ev(4, -15, 40, EventKind::ImpactStarted {});
        d.extend(vec![fix.clone()], vec![]);
        check_order(&d);
        assert_eq!(d.superseded.get(&started.id), Some(&fix.id));
        assert_eq!(d.corrections.get(&fix.id), Some(&started.id));
        assert_eq!(seqs(&d, Order::Time), vec![4, 2, 3, 1]);

        // A pending correction of the correction: marked at once, and gone with it.
        let again = pending(9, -12, EventKind::ImpactStarted {}, false);
        d.extend(vec![], vec![again.clone()]);
        assert_eq!(d.superseded.get(&fix.id), Some(&again.event.id));
        assert_eq!(d.corrections.get(&again.event.id), Some(&fix.id));
        assert_eq!(d.superseded.get(&started.id), Some(&fix.id));
        d.extend(vec![], vec![]);
        assert_eq!(d.superseded.get(&fix.id), None);
        assert_eq!(d.corrections.get(&again.event.id), None);

        // A refused one replaces nothing.
        d.extend(
            vec![],
            vec![pending(10, -11, EventKind::ImpactStarted {}, true)],
        );
        assert_eq!(d.superseded.get(&fix.id), None);
    }
}
