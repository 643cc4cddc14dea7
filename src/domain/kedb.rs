//! The known-error database: problems that caused incidents before, their root causes and
//! workarounds. Entries are events on a stream of their own (the stream with id
//! [`KEDB_ID`]), so they are stored, synced and replayed like everything else.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::event::{Event, EventKind};

/// The id of the known-error stream: the same on every machine, so every replica and
/// server agree on it and declaring it twice is a harmless retry.
pub const KEDB_ID: Uuid = Uuid::from_u128(0x7761_7272_6f6f_8000_8000_6b65_6462_0001);
pub const KEDB_TITLE: &str = "Known-error database";

pub fn is_kedb(id: Uuid) -> bool {
    id == KEDB_ID
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KnownError {
    pub key: String,
    pub symptom: String,
    pub root_cause: String,
    pub workaround: String,
    pub incidents: Vec<Uuid>,
    pub recorded_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Every entry, by key; a later record of the same key revises it and adds its incidents.
pub fn fold(events: &[Event]) -> BTreeMap<String, KnownError> {
    let mut out: BTreeMap<String, KnownError> = BTreeMap::new();
    for ev in events {
        let EventKind::KnownErrorRecorded {
            key,
            symptom,
            root_cause,
            workaround,
            incidents,
        } = &ev.kind
        else {
            continue;
        };
        let entry = out.entry(key.clone()).or_insert_with(|| KnownError {
            key: key.clone(),
            symptom: String::new(),
            root_cause: String::new(),
            workaround: String::new(),
            incidents: Vec::new(),
            recorded_at: ev.at,
            updated_at: ev.at,
        });
        for (field, value) in [
            (&mut entry.symptom, symptom),
            (&mut entry.root_cause, root_cause),
            (&mut entry.workaround, workaround),
        ] {
            if !value.trim().is_empty() {
                *field = value.clone();
            }
        }
        for i in incidents {
            if !entry.incidents.contains(i) {
                entry.incidents.push(*i);
            }
        }
        entry.updated_at = ev.at;
    }
    out
}

/// A key for a new entry, from the id of the event that records it (unique offline too).
pub fn new_key(event_id: &Uuid) -> String {
    format!("KE-{}", super::ids::short_id(event_id))
}

fn word_score(token: &str, text: &str) -> f64 {
    let text = text.to_lowercase();
    let mut best: f64 = 0.0;
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let s = if word == token {
            1.0
        } else if word.starts_with(token) {
            0.7
        } else if word.contains(token) {
            0.5
        } else if token.len() >= 3 && is_subsequence(token, word) {
            0.3
        } else if token.len() >= 4 && edit_distance_at_most_one(token, word) {
            0.6
        } else {
            0.0
        };
        best = best.max(s);
    }
    best
}

fn is_subsequence(needle: &str, hay: &str) -> bool {
    let mut it = hay.chars();
    needle.chars().all(|c| it.any(|h| h == c))
}

/// One typo: a letter more, less or different.
fn edit_distance_at_most_one(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let (mut i, mut j, mut edits) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            i += 1;
            j += 1;
            continue;
        }
        edits += 1;
        if edits > 1 {
            return false;
        }
        match a.len().cmp(&b.len()) {
            std::cmp::Ordering::Greater => i += 1,
            std::cmp::Ordering::Less => j += 1,
            std::cmp::Ordering::Equal => {
                i += 1;
                j += 1;
            }
        }
    }
    edits + (a.len() - i) + (b.len() - j) <= 1
}

/// Entries matching `query`, best first: words in the symptom count most, then the root
/// cause, then the workaround; exact words beat prefixes beat typos.
pub fn search<'a>(
    entries: impl IntoIterator<Item = &'a KnownError>,
    query: &str,
) -> Vec<(f64, &'a KnownError)> {
    let tokens: Vec<String> = query
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric() && c != '-')
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect();
    let mut hits: Vec<(f64, &KnownError)> = entries
        .into_iter()
        .filter_map(|e| {
            if tokens.is_empty() {
                return Some((0.0, e));
            }
            let mut score = 0.0;
            for t in &tokens {
                if e.key.to_lowercase() == *t {
                    score += 10.0;
                    continue;
                }
                score += 3.0 * word_score(t, &e.symptom)
                    + 2.0 * word_score(t, &e.root_cause)
                    + word_score(t, &e.workaround);
            }
            (score > 0.0).then_some((score, e))
        })
        .collect();
    hits.sort_by(|a, b| {
        b.0.partial_cmp(&a.0)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.1.key.cmp(&b.1.key))
    });
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str, symptom: &str, cause: &str, workaround: &str) -> KnownError {
        KnownError {
            key: key.into(),
            symptom: symptom.into(),
            root_cause: cause.into(),
            workaround: workaround.into(),
            incidents: vec![],
            recorded_at: DateTime::<Utc>::UNIX_EPOCH,
            updated_at: DateTime::<Utc>::UNIX_EPOCH,
        }
    }

    fn db() -> Vec<KnownError> {
        vec![
            entry(
                "KE-1",
                "Card payments fail at checkout",
                "Tokeniser connection pool too small",
                "Raise the pool to 400",
            ),
            entry(
                "KE-2",
                "Login page times out",
                "Session store evicts keys under memory pressure",
                "Restart the session store",
            ),
            entry(
                "KE-3",
                "Slow search results",
                "Missing index on payments table",
                "Add the index",
            ),
        ]
    }

    #[test]
    fn symptoms_rank_above_causes_and_workarounds() {
        let db = db();
        let hits = search(&db, "payments");
        let keys: Vec<&str> = hits.iter().map(|(_, e)| e.key.as_str()).collect();
        assert_eq!(
            keys,
            vec!["KE-1", "KE-3"],
            "a symptom match beats a root-cause match"
        );
    }

    #[test]
    fn typos_and_prefixes_still_find_the_entry() {
        let db = db();
        assert_eq!(search(&db, "logn timeout")[0].1.key, "KE-2");
        assert_eq!(search(&db, "tokenis")[0].1.key, "KE-1");
        assert_eq!(search(&db, "ke-3")[0].1.key, "KE-3");
        assert!(search(&db, "kubernetes").is_empty());
    }

    #[test]
    fn a_later_record_revises_and_links_incidents() {
        let mk = |kind| Event {
            id: Uuid::now_v7(),
            incident: KEDB_ID,
            seq: None,
            at: DateTime::<Utc>::UNIX_EPOCH,
            recorded_at: None,
            author: "a".into(),
            persona: None,
            kind,
        };
        let i1 = Uuid::now_v7();
        let events = vec![
            mk(EventKind::KnownErrorRecorded {
                key: "KE-1".into(),
                symptom: "Card payments fail".into(),
                root_cause: String::new(),
                workaround: String::new(),
                incidents: vec![i1],
            }),
            mk(EventKind::KnownErrorRecorded {
                key: "KE-1".into(),
                symptom: String::new(),
                root_cause: "Pool too small".into(),
                workaround: String::new(),
                incidents: vec![i1],
            }),
        ];
        let all = fold(&events);
        let e = &all["KE-1"];
        assert_eq!(
            (e.symptom.as_str(), e.root_cause.as_str()),
            ("Card payments fail", "Pool too small")
        );
        assert_eq!(e.incidents, vec![i1]);
    }
}
