//! What the public status page may show of an incident: only what was sent to the external
//! audience, the severity and state in plain words, and times. Never internal updates,
//! restricted incidents, drills, handles, or anything else from the timeline.
//!
//! An incident goes public with its first external update. Its heading is the title of its
//! newest external update (the words after the severity), in each language; the incident's
//! own title, written for responders, is used only when no update has a title and it holds
//! no internal detail.

use std::sync::LazyLock;

use chrono::{DateTime, Duration, Utc};
use regex::Regex;
use serde::Serialize;
use uuid::Uuid;

use super::comms::internal_detail;
use super::event::{Audience, Severity, Status};
use super::incident::{Incident, IncidentSummary};
use super::lang::Lang;

/// How long a resolved incident stays on the page.
pub const RESOLVED_SHOWN_FOR_DAYS: i64 = 90;

/// An incident as the public sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PublicIncident {
    #[schema(value_type = String, format = Uuid)]
    pub id: Uuid,
    /// `ongoing` or `resolved`.
    pub status: PublicStatus,
    pub severity: u8,
    /// The heading in each language it was written in.
    pub title: Vec<Text>,
    /// When impact began (or, when not set, when the incident was declared).
    pub started_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// When its newest external update went out.
    pub updated_at: DateTime<Utc>,
    /// Its external updates, newest first.
    pub updates: Vec<PublicUpdate>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PublicStatus {
    Ongoing,
    Resolved,
}

/// One external update, in every language it was sent in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PublicUpdate {
    #[schema(value_type = String, format = Uuid)]
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub versions: Vec<Text>,
}

/// A text in one language.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Text {
    pub lang: Lang,
    pub text: String,
}

impl PublicIncident {
    /// The heading in `lang`, or the first one there is.
    pub fn title_in(&self, lang: Lang) -> &Text {
        pick(&self.title, lang)
    }
}

impl PublicUpdate {
    pub fn version_in(&self, lang: Lang) -> Option<&Text> {
        self.versions.iter().find(|v| v.lang == lang)
    }
}

fn pick(texts: &[Text], lang: Lang) -> &Text {
    texts
        .iter()
        .find(|t| t.lang == lang)
        .or_else(|| texts.first())
        .unwrap_or(&FALLBACK_TITLE)
}

static FALLBACK_TITLE: Text = Text {
    lang: Lang::En,
    text: String::new(),
};

/// Whether an incident can be on the page at all, judged from its summary alone: not
/// restricted, not a drill, and active or changed within the shown window. The stores'
/// lists are filtered with it before any state is read.
pub fn may_be_public(summary: &IncidentSummary, now: DateTime<Utc>) -> bool {
    !summary.restricted
        && !summary.drill
        && (summary.status == Status::Active
            || summary
                .updated_at
                .is_none_or(|t| t >= now - Duration::days(RESOLVED_SHOWN_FOR_DAYS)))
}

/// The public view of an incident, if it has one: `primary` is the language an update
/// that names none is written in.
pub fn public_view(
    summary: &IncidentSummary,
    state: &Incident,
    primary: Lang,
    now: DateTime<Utc>,
) -> Option<PublicIncident> {
    if !may_be_public(summary, now) || state.summary.restricted || state.summary.drill {
        return None;
    }
    let resolved_at = match state.summary.status {
        Status::Active => None,
        // Closed without a resolution: when impact ended, or else the last word customers
        // had; never the time of some internal note.
        _ => state.resolved_at.or(state.impact.ended).or_else(|| {
            state
                .comms
                .iter()
                .filter(|c| c.audience == Audience::External)
                .map(|c| c.at)
                .max()
        }),
    };
    if resolved_at.is_some_and(|t| t < now - Duration::days(RESOLVED_SHOWN_FOR_DAYS)) {
        return None;
    }
    let mut updates: Vec<PublicUpdate> = state
        .comms
        .iter()
        .filter(|c| c.audience == Audience::External && !state.redactions.contains_key(&c.id))
        .filter_map(|c| {
            let versions: Vec<Text> = std::iter::once(Text {
                lang: c.lang.unwrap_or(primary),
                text: c.text.trim().to_string(),
            })
            .chain(c.versions.iter().map(|v| Text {
                lang: v.lang,
                text: v.text.trim().to_string(),
            }))
            .filter(|t| !t.text.is_empty())
            .collect();
            (!versions.is_empty()).then_some(PublicUpdate {
                id: c.id,
                at: c.at,
                versions,
            })
        })
        .collect();
    updates.sort_by(|a, b| b.at.cmp(&a.at).then(b.id.cmp(&a.id)));
    let newest = updates.first()?;
    let ongoing = resolved_at.is_none();
    let mut title: Vec<Text> = newest
        .versions
        .iter()
        .filter_map(|v| {
            headline(&v.text).map(|h| Text {
                lang: v.lang,
                text: if ongoing {
                    without_final_words(&h).to_string()
                } else {
                    h
                },
            })
        })
        .collect();
    if title.is_empty() {
        let own = state.summary.title.trim();
        let text = if own.is_empty() || internal_detail(own).is_some() {
            String::new()
        } else {
            own.to_string()
        };
        title.push(Text {
            lang: primary,
            text,
        });
    }
    Some(PublicIncident {
        id: state.summary.id,
        status: if resolved_at.is_some() {
            PublicStatus::Resolved
        } else {
            PublicStatus::Ongoing
        },
        severity: state.summary.severity.level(),
        title,
        started_at: state.impact.started.or(state.summary.declared_at),
        resolved_at,
        updated_at: newest.at,
        updates,
    })
}

/// The words after the severity on an update's first line (`SEV2 – Card payments failing`
/// gives `Card payments failing`), or the whole line when it starts with no severity;
/// `None` when there are no words.
pub fn headline(update: &str) -> Option<String> {
    // A literal, compiled by the tests.
    static SEVERITY: LazyLock<Option<Regex>> = LazyLock::new(|| {
        Regex::new(
            r"(?i)^\[?\s*(?:sev(?:erity)?\s*-?\s*[123]|s[123]|critical|major|minor|critique|majeure?|mineure?)\s*\]?\s*(?:[–—:]|-)+\s*",
        )
        .ok()
    });
    let first = update.lines().map(str::trim).find(|l| !l.is_empty())?;
    let first = first.trim_start_matches('#').trim();
    let words = match SEVERITY.as_ref().and_then(|r| r.find(first)) {
        Some(m) => first[m.end()..].trim(),
        None => first,
    };
    (!words.is_empty()).then(|| words.to_string())
}

/// A heading without the words a final message adds to its title (`: restored`), for an
/// incident that is ongoing again after it.
fn without_final_words(heading: &str) -> &str {
    const ENDINGS: [&str; 7] = [
        "restored",
        "resolved",
        "rétabli",
        "résolu",
        "service rétabli",
        "incident résolu",
        "service restored",
    ];
    for sep in [":", "–", "—", " - "] {
        if let Some((head, tail)) = heading.rsplit_once(sep)
            && ENDINGS.contains(&tail.trim().to_lowercase().as_str())
            && !head.trim().is_empty()
        {
            return head.trim();
        }
    }
    heading
}

/// The severity in plain words.
pub fn severity_words(severity: u8, lang: Lang) -> &'static str {
    match (
        Severity::new(i64::from(severity)).map_or(3, Severity::level),
        lang,
    ) {
        (1, Lang::En) => "Critical",
        (2, Lang::En) => "Major",
        (_, Lang::En) => "Minor",
        (1, Lang::Fr) => "Critique",
        (2, Lang::Fr) => "Majeur",
        (_, Lang::Fr) => "Mineur",
    }
}

/// Ongoing or resolved, in plain words.
pub fn status_words(status: PublicStatus, lang: Lang) -> &'static str {
    match (status, lang) {
        (PublicStatus::Ongoing, Lang::En) => "Ongoing",
        (PublicStatus::Resolved, Lang::En) => "Resolved",
        (PublicStatus::Ongoing, Lang::Fr) => "En cours",
        (PublicStatus::Resolved, Lang::Fr) => "Résolu",
    }
}

/// The page's incidents in the order it shows them: ongoing ones first, most severe first;
/// then resolved ones, the latest resolved first.
pub fn order(incidents: &mut [PublicIncident]) {
    incidents.sort_by(|a, b| {
        let rank = |i: &PublicIncident| match i.status {
            PublicStatus::Ongoing => (0, i.severity),
            PublicStatus::Resolved => (1, 0),
        };
        rank(a)
            .cmp(&rank(b))
            .then(b.resolved_at.cmp(&a.resolved_at))
            .then(b.updated_at.cmp(&a.updated_at))
            .then(a.id.cmp(&b.id))
    });
}

#[cfg(test)]
#[path = "public_tests.rs"]
mod tests;
