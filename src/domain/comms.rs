//! Status updates: the checklist a draft must pass before it goes out.
//!
//! An update opens with a title `<severity> – <summary>`, then a one- or two-sentence
//! summary of where things stand, a current-status section and a next-steps section of two
//! to four bullets each, and says when and where the next update comes. It states the
//! impact on users and how many are affected, and the root cause and the ETA for
//! restoration, or says plainly that they are not known yet. External updates stay short
//! and leave out internal detail. Final updates recap the incident instead.
//!
//! The layout rules (title, summary, bullets, blanks, length, internal detail) read any
//! language; the rules about content look for their words in the language the draft is
//! written in ([`Options::lang`]): “Next update at 22:30 UTC in #inc-payments” in English,
//! « Prochaine mise à jour à 22h30 sur la page de statut » in French. When the team writes
//! external updates in more than one language, each version is checked on its own
//! ([`validate_version`]), and also for reading as its language.

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::event::{Audience, ChecklistResult, Severity};
use super::lang::Lang;

/// The longest external update, in characters: customers want to know whether it is fixed
/// and when, not the technical story.
pub const EXTERNAL_MAX_CHARS: usize = 600;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DraftKind {
    /// The first or a regular update while the incident is on.
    Update,
    /// The last message, sent when the incident is resolved.
    Final,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    pub audience: Audience,
    pub kind: DraftKind,
    /// The incident's severity, when known: the title must carry it.
    pub severity: Option<Severity>,
    /// The language the draft is written in: the words the content rules look for.
    pub lang: Lang,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub id: &'static str,
    pub label: &'static str,
    pub passed: bool,
    /// What to do to pass it (or, when passed, what was found).
    pub hint: String,
}

/// The verdict on a draft, rule by rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub rules: Vec<Rule>,
}

impl Verdict {
    pub fn passed(&self) -> bool {
        self.rules.iter().all(|r| r.passed)
    }

    pub fn failed(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(|r| !r.passed)
    }

    /// The record kept with a sent update.
    pub fn record(&self) -> ChecklistResult {
        ChecklistResult {
            passed: self
                .rules
                .iter()
                .filter(|r| r.passed)
                .map(|r| r.id.to_string())
                .collect(),
            failed: self
                .rules
                .iter()
                .filter(|r| !r.passed)
                .map(|r| r.id.to_string())
                .collect(),
        }
    }
}

#[expect(
    clippy::panic,
    reason = "the patterns are literals in this file, each compiled by the tests"
)]
fn re(p: &str) -> Regex {
    // Patterns are literals in this file, checked by the tests.
    Regex::new(p).unwrap_or_else(|e| panic!("bad pattern {p}: {e}"))
}

static TITLE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*(?:\[?\s*(sev(?:erity)?\s*-?\s*([123])|s([123])|(critical|major|minor|critique|majeure?|mineure?))\s*\]?)\s*[–—:-]+\s*(\S.*)$",
    )
});
static BULLET: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*(?:[-*•]|\d+[.)])\s+\S"));
static STATUS_HEAD: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^\s*(?:#+\s*)?(?:current\s+)?status\b[^:]*:?\s*$"));
static NEXT_HEAD: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^\s*(?:#+\s*)?next\s+steps?\b[^:]*:?\s*$"));
static WHEN: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(\b\d{1,2}[:h]\d{2}\b|\b\d{1,2}\s*(?:am|pm)\b|\bin\s+(?:about\s+|around\s+)?(?:\d+|an?|one|two|half\s+an)\s*(?:mins?|minutes?|hours?|hrs?|h|m)\b|\bevery\s+\d+\s*(?:mins?|minutes|hours?)\b|\btomorrow\b|\bnoon\b|\bmidnight\b)",
    )
});
static WHERE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(#[a-z0-9_-]+|\bstatus\s*page\b|\bin\s+(?:this|the)\s+(?:thread|channel)\b|\bon\s+(?:the\s+)?(?:status|incident)\b|\bslack\b|\bemail\b|\bby\s+e-?mail\b|\bhere\b|https?://\S+|\bwebsite\b|\bblog\b)",
    )
});
pub(super) static NEXT_UPDATE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\bnext\s+(?:update|communication|round)|\bwe\s+will\s+(?:post|send|update)|\bfurther\s+update",
    )
});
static IMPACT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\bimpacted\b|\bunable\s+to\b|\bcannot\b|\bcould\s*n[o']t\b|\bcan't\b|\bfail|\berrors?\b|\bslow|\bunavailable|\bdegraded|\bdown\b|\bdelay",
    )
});
static PEOPLE: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)\b(?:users?|customers?|clients?|people|accounts?|visitors?|staff|employees|teams?)\b")
});
static QUANTITY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(\b\d[\d,.]*\s*%?|\ball\b|\bnone\b|\bno\s+(?:internal|external)\b|\bevery\b|\bhalf\b|\bthird\b|\bquarter\b|\bfew\b|\bmost\b|\bsome\b|\bmany\b|\bnumber\b.*\b(?:unknown|not\s+(?:yet\s+)?known)\b|\b(?:unknown|not\s+(?:yet\s+)?known)\b)",
    )
});
static ROOT_CAUSE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\b(?:root\s+)?cause\b|\bcaused\s+by\b|\bbecause\b"));
static ETA: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\beta\b|\brestor|\bexpect(?:ed)?\b.*\b(?:back|fixed|resolved|recover)|\bback\s+(?:up|online|to\s+normal)\s+by\b|\bfix(?:ed)?\s+by\b|\btime\s+to\s+(?:fix|restore|recovery)\b",
    )
});
static UNKNOWN: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\bunknown\b|\bnot\s+(?:yet\s+)?(?:known|clear|determined|confirmed)\b|\bunder\s+investigation\b|\bstill\s+investigating\b|\bno\s+eta\b|\bunclear\b|\bcannot\s+(?:yet\s+)?(?:say|estimate)\b|\bdon'?t\s+know\b|\btbd\b",
    )
});
static IPV4: LazyLock<Regex> = LazyLock::new(|| re(r"\b(?:\d{1,3}\.){3}\d{1,3}\b"));
static HOSTNAME: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:internal|local|lan|corp|intra|cluster\.local|svc)\b|\b(?:ip|host|node|db|pod|srv)-[a-z0-9]+(?:-[a-z0-9]+)+\b|\b[a-z]+-?\d+\.[a-z0-9-]+\.[a-z]{2,}\b",
    )
});
static STACK: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)traceback \(most recent call last\)|^\s+at\s+[\w$.<>]+\(|panicked at|\bexception\b|\bstack\s*trace\b|\bsegfault\b|\b[\w/]+\.(?:rs|py|go|java|js|ts|rb):\d+\b|\bnullpointer",
    )
});
static STACK_FR: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)traceback \(most recent call last\)|^\s+at\s+[\w$.<>]+\(|panicked at|\w+exception\b|\bstack\s*trace\b|\bsegfault\b|\b[\w/]+\.(?:rs|py|go|java|js|ts|rb):\d+\b|\bnullpointer",
    )
});
static TICKET: LazyLock<Regex> = LazyLock::new(|| re(r"\b[A-Z][A-Z0-9]{1,9}-\d+\b"));
static DURATION: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b\d+\s*(?:h|hr|hrs|hours?|m|min|mins|minutes?|d|days?)\b|\bfrom\s+\d{1,2}[:h]\d{2}\b.*\bto\s+\d{1,2}[:h]\d{2}\b|\bbetween\s+\d{1,2}[:h]\d{2}\b|\blasted\b|\bduration\b",
    )
});
static SUPPORT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\bsupport\s+(?:cases?|tickets?|requests?)\b|\btickets?\b.*\b(?:raised|opened|received)\b|\bno\s+(?:support\s+)?(?:cases|tickets)\b",
    )
});
static RESOLVED: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\bresolved\b"));
static NO_FURTHER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\bno\s+further\s+(?:updates?|communications?|messages?)\b|\b(?:this\s+is\s+the\s+)?(?:final|last)\s+(?:update|communication|message)\b",
    )
});
static RESTORED: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\brestored\b|\bresolved\b|\bback\s+to\s+normal\b|\bworking\s+(?:again|normally)\b|\bfully\s+operational\b",
    )
});
static FOLLOW_UP: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\bpost-?\s?mortem\b|\bfollow\s+up\b|\bincident\s+(?:review|report)\b|\bwhat\s+happened\b",
    )
});

// The same words in French. Accents may be left out and apostrophes are either ’ or '.
static STATUS_HEAD_FR: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*(?:#+\s*)?(?:(?:[ée]tat|statut|situation)(?:\s+actuel(?:le)?)?|point\s+de\s+situation|o[ùu]\s+en\s+sommes-nous)\b[^:]*:?\s*$",
    )
});
static NEXT_HEAD_FR: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)^\s*(?:#+\s*)?(?:prochaines?\s+[ée]tapes?|[ée]tapes\s+suivantes)\b[^:]*:?\s*$")
});
static WHEN_FR: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(\b\d{1,2}\s?h\s?(?:\d{2})?\b|\b\d{1,2}:\d{2}\b|\bdans\s+(?:environ\s+|[àa]\s+peu\s+pr[èe]s\s+)?(?:\d+|une?|deux|trois)\s*(?:min(?:ute)?s?|heures?|h)\b|\bdans\s+une\s+demi-?\s*heure\b|\btou(?:te)?s\s+les\s+\d+\s*(?:min(?:ute)?s?|heures?)\b|\bdemain\b|\bmidi\b|\bminuit\b)",
    )
});
static WHERE_FR: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(#[a-z0-9_-]+|\bpage\s+(?:de\s+)?(?:statut|status|[ée]tat)\b|\bpage\s+d['’][ée]tat\b|\bstatus\s*page\b|\b(?:sur|dans)\s+(?:ce|le|cette|la)\s+(?:fil|canal|salon|discussion)\b|\bslack\b|\bcourriel\b|\be-?mail\b|\bici\b|https?://\S+|\bsite\b|\bblog\b)",
    )
});
static NEXT_UPDATE_FR: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\bprochaine?s?\s+(?:mise\s+[àa]\s+jour|communication|point|message|bulletin)|\bnouvelle\s+mise\s+[àa]\s+jour|\bmise\s+[àa]\s+jour\s+suivante|\bnous\s+(?:publierons|enverrons|communiquerons|reviendrons|ferons)\b",
    )
});
static IMPACT_FR: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\bimpact[ée]e?s?\b|\bne\s+(?:peu(?:ven)?t|pouvai(?:en)?t|pourront)\s+(?:pas|plus)\b|\bn['’](?:ont|a)\s+pas\s+pu\b|\bn['’]arriv|\bimpossible\b|\bincapables?\b|\b[ée]chou|\b[ée]checs?\b|\berreurs?\b|\blente?s?\b|\blenteurs?\b|\bindisponibles?\b|\binaccessibles?\b|\bd[ée]grad|\bpanne\b|\bretard|\bperturb",
    )
});
static PEOPLE_FR: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:utilisat(?:eur|rice)s?|cliente?s?|personnes?|comptes?|visiteurs?|usagers?|abonn[ée]e?s?|marchands?|collaborat(?:eur|rice)s?|salari[ée]e?s?|employ[ée]e?s?|[ée]quipes?)\b",
    )
});
static QUANTITY_FR: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(\b\d[\d,.]*(?:\s\d{3})*\s*%?|\btou(?:te)?s\b|\baucune?\b|\bchaque\b|\bmoiti[ée]\b|\btiers\b|\bquart\b|\bquelques\b|\bplupart\b|\bcertaine?s\b|\bbeaucoup\b|\bnombreu(?:x|ses)\b|\bnombre\b.*\b(?:inconnu|pas\s+(?:encore\s+)?connu|ind[ée]termin[ée])|\binconnue?s?\b|\bpas\s+encore\s+(?:connue?s?|chiffr[ée]e?s?|d[ée]termin[ée]e?s?))",
    )
});
static ROOT_CAUSE_FR: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)\bcauses?\b|\bcaus[ée]e?s?\s+par\b|\bparce\s+qu|\borigine\b|\bd[ûu]e?s?\s+[àa]\b")
});
static ETA_FR: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\beta\b|\bestimation\b|\bd[ée]lai\b|\br[ée]tabli|\brestaur|\bretour\s+[àa]\s+la\s+normale\b|\bheure\s+de\s+(?:r[ée]tablissement|retour|r[ée]solution)\b|\bpr[ée]vue?\b.*\b(?:r[ée]tabli|r[ée]solu|retour)",
    )
});
static UNKNOWN_FR: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\binconnue?s?\b|\bpas\s+(?:encore\s+)?(?:connue?s?|identifi[ée]e?s?|d[ée]termin[ée]e?s?|[ée]tablie?s?|claire?s?|confirm[ée]e?s?)\b|\ben\s+cours\s+d['’](?:analyse|investigation|identification)\b|\btoujours\s+(?:en\s+recherche|[àa]\s+l['’][ée]tude|inconnue?s?)\b|\baucune\s+estimation\b|\bpas\s+(?:encore\s+)?d['’](?:estimation|heure)\b|\bne\s+(?:pouvons|savons)\s+pas\s+(?:encore\s+)?(?:dire|estimer)\b|\bnous\s+ne\s+savons\s+pas\b|\bind[ée]termin[ée]e?s?\b|\b[àa]\s+d[ée]terminer\b",
    )
});
static STATES_FR: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:cause|origine|estimation)\b[^.:]{0,20}?\b(?:est|[ée]tait|semble\s+[êe]tre|serait|para[îi]t\s+[êe]tre)\s+\S|\bcaus[ée]e?s?\s+par\s+\S|\bparce\s+qu\S*\s*\S|\bd[ûu]e?s?\s+[àa]\s+\S",
    )
});
static IMPACT_LABEL_FR: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*(?:[-*•]\s+)?(?:\*\*)?(?:impact|cons[ée]quences?)(?:\s+(?:pour|sur)\s+[\p{L}' ]{1,30}?)?\s*(?:\*\*)?\s*:(?:\*\*)?\s*(.*)$",
    )
});
static DURATION_FR: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b\d+\s*(?:h|heures?|min|mins|minutes?|j|jours?)\b|\bde\s+\d{1,2}\s?[h:]\s?\d{2}\b.*\b[àa]\s+\d{1,2}\s?[h:]\s?\d{2}\b|\bentre\s+\d{1,2}\s?[h:]\s?\d{2}\b|\bdur[ée]e?\b|\bpendant\s+\d",
    )
});
static SUPPORT_FR: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:demandes?|tickets?|dossiers?|appels?|cas)\s+(?:au\s+|du\s+|de\s+|d['’]|ouverts?\s+au\s+)?(?:support|assistance)\b|\b(?:support|assistance)\b.*\b(?:demandes?|tickets?|appels?)\b|\baucune?\s+(?:demande|ticket|appel)s?\b",
    )
});
static RESOLVED_FR: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\br[ée]solue?s?\b"));
static NO_FURTHER_FR: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\bplus\s+de\s+(?:nouvelles?\s+)?(?:mises?\s+[àa]\s+jour|communications?|messages?)\b|\baucune\s+(?:autre\s+|nouvelle\s+)?(?:mise\s+[àa]\s+jour|communication)\b|\bderni(?:er|[èe]re)\s+(?:mise\s+[àa]\s+jour|communication|message|point)\b|\bmise\s+[àa]\s+jour\s+finale\b|\bmessage\s+final\b",
    )
});
static RESTORED_FR: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\br[ée]tablie?s?\b|\brestaur[ée]e?s?\b|\br[ée]solue?s?\b|\bretour\s+[àa]\s+la\s+normale\b|\bfonctionnent?\s+(?:[àa]\s+nouveau|de\s+nouveau|normalement)\b|\bpleinement\s+op[ée]rationnel",
    )
});
static FOLLOW_UP_FR: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\bpost-?\s?mortem\b|\brapport\s+d['’]incident\b|\bcompte[\s-]rendu\b|\bretour\s+d['’]exp[ée]rience\b|\bbilan\b|\bce\s+qui\s+s['’]est\s+pass[ée]\b|\bsuivra\b",
    )
});

/// The words the content rules look for in one language, and the examples their hints
/// give (the hints themselves are in English, the console's language).
struct Vocab {
    status_head: &'static LazyLock<Regex>,
    next_head: &'static LazyLock<Regex>,
    when: &'static LazyLock<Regex>,
    place: &'static LazyLock<Regex>,
    next_update: &'static LazyLock<Regex>,
    impact: &'static LazyLock<Regex>,
    people: &'static LazyLock<Regex>,
    quantity: &'static LazyLock<Regex>,
    root_cause: &'static LazyLock<Regex>,
    eta: &'static LazyLock<Regex>,
    unknown: &'static LazyLock<Regex>,
    states: &'static LazyLock<Regex>,
    impact_label: &'static LazyLock<Regex>,
    duration: &'static LazyLock<Regex>,
    support: &'static LazyLock<Regex>,
    resolved: &'static LazyLock<Regex>,
    no_further: &'static LazyLock<Regex>,
    restored: &'static LazyLock<Regex>,
    follow_up: &'static LazyLock<Regex>,
    /// Words an impact line may hold beside “not known yet” and still say nothing.
    filler: &'static [&'static str],
    /// How the language says inside and outside the company, for the affected numbers.
    internal: &'static str,
    external: &'static str,
    /// A word a line about who is affected holds.
    affected: &'static [&'static str],
    ex_title: &'static str,
    status_heading: &'static str,
    next_heading: &'static str,
    ex_next_update: &'static str,
    ex_time: &'static str,
    ex_impact: &'static str,
    ex_duration: &'static str,
}

static ENGLISH: Vocab = Vocab {
    status_head: &STATUS_HEAD,
    next_head: &NEXT_HEAD,
    when: &WHEN,
    place: &WHERE,
    next_update: &NEXT_UPDATE,
    impact: &IMPACT,
    people: &PEOPLE,
    quantity: &QUANTITY,
    root_cause: &ROOT_CAUSE,
    eta: &ETA,
    unknown: &UNKNOWN,
    states: &STATES,
    impact_label: &IMPACT_LABEL,
    duration: &DURATION,
    support: &SUPPORT,
    resolved: &RESOLVED,
    no_further: &NO_FURTHER,
    restored: &RESTORED,
    follow_up: &FOLLOW_UP,
    filler: &[
        "yet", "still", "so", "far", "tbd", "tba", "n", "a", "na", "none",
    ],
    internal: "internal",
    external: "external",
    affected: &["affected"],
    ex_title: "SEV2 – Card payments failing at checkout",
    status_heading: "Current status",
    next_heading: "Next steps",
    ex_next_update: "Next update at 22:30 UTC in #inc-payments",
    ex_time: "22:30 UTC, in 30 minutes",
    ex_impact: "Impact: customers cannot pay by card",
    ex_duration: "1h 20m, from 21:40 to 23:00",
};

static FRENCH: Vocab = Vocab {
    status_head: &STATUS_HEAD_FR,
    next_head: &NEXT_HEAD_FR,
    when: &WHEN_FR,
    place: &WHERE_FR,
    next_update: &NEXT_UPDATE_FR,
    impact: &IMPACT_FR,
    people: &PEOPLE_FR,
    quantity: &QUANTITY_FR,
    root_cause: &ROOT_CAUSE_FR,
    eta: &ETA_FR,
    unknown: &UNKNOWN_FR,
    states: &STATES_FR,
    impact_label: &IMPACT_LABEL_FR,
    duration: &DURATION_FR,
    support: &SUPPORT_FR,
    resolved: &RESOLVED_FR,
    no_further: &NO_FURTHER_FR,
    restored: &RESTORED_FR,
    follow_up: &FOLLOW_UP_FR,
    filler: &[
        "encore",
        "toujours",
        "pour",
        "l",
        "instant",
        "l'instant",
        "le",
        "moment",
        "pas",
        "n",
        "d",
        "nd",
        "a",
        "aucun",
        "aucune",
        "néant",
        "neant",
        "tbd",
        "voir",
        "préciser",
        "preciser",
    ],
    internal: "interne",
    external: "externe",
    affected: &["concern", "touch", "affect"],
    ex_title: "SEV2 – Échec des paiements par carte",
    status_heading: "État actuel",
    next_heading: "Prochaines étapes",
    ex_next_update: "Prochaine mise à jour à 22h30 sur la page de statut",
    ex_time: "22h30, dans 30 minutes",
    ex_impact: "Impact : les clients ne peuvent pas payer par carte",
    ex_duration: "1 h 20, de 21h40 à 23h00",
};

fn vocab(lang: Lang) -> &'static Vocab {
    match lang {
        Lang::En => &ENGLISH,
        Lang::Fr => &FRENCH,
    }
}

/// Whether a next-update line in any language is found in `line`, and in which.
pub(super) fn next_update_lang(line: &str) -> Option<Lang> {
    Lang::ALL
        .into_iter()
        .find(|l| vocab(*l).next_update.is_match(line))
}

struct Parsed<'a> {
    title: Option<&'a str>,
    summary: Vec<&'a str>,
    status_bullets: Option<Bullets>,
    next_bullets: Option<Bullets>,
    /// The lines that hold no blank: the only ones a content rule may be satisfied by.
    lines: Vec<&'a str>,
    /// The lines that still hold a blank from the template.
    blank_lines: Vec<&'a str>,
}

/// The bullets under a heading: those written, and those still a blank.
#[derive(Clone, Copy, Debug, Default)]
struct Bullets {
    filled: usize,
    blank: usize,
}

/// A blank left from a template: `<what users see or cannot do>`. It starts and ends with
/// something other than a space (so `latency < 200ms and > 100` is no blank) and is not a
/// link or address in angle brackets (`<https://status.example.com>`).
static BLANK: LazyLock<Regex> = LazyLock::new(|| re(r"<[^<>\s](?:[^<>\n]{0,198}[^<>\s])?>"));

fn blank_matches(text: &str) -> impl Iterator<Item = regex::Match<'_>> {
    BLANK.find_iter(text).filter(|m| {
        let b = m.as_str();
        let inner = &b[1..b.len() - 1];
        let lower = inner.to_ascii_lowercase();
        !(lower.starts_with("http://")
            || lower.starts_with("https://")
            || lower.starts_with("mailto:")
            || (!inner.contains(char::is_whitespace) && inner.contains('@')))
            && inner.chars().any(char::is_alphabetic)
    })
}

fn blanks_in(text: &str) -> impl Iterator<Item = &str> {
    blank_matches(text).map(|m| m.as_str())
}

/// Where each blank sits in `line`, as character columns from its `<` to just past its
/// `>`, in order: what the draft editor's Tab jumps to and selects.
pub fn blank_columns(line: &str) -> Vec<(usize, usize)> {
    blank_matches(line)
        .map(|m| {
            (
                line[..m.start()].chars().count(),
                line[..m.end()].chars().count(),
            )
        })
        .collect()
}

fn has_blank(line: &str) -> bool {
    blanks_in(line).next().is_some()
}

/// Every blank still in a draft, by its text, each once, in the order they first appear,
/// with how many times it appears.
pub fn blanks(text: &str) -> Vec<(String, usize)> {
    let mut found: Vec<(String, usize)> = Vec::new();
    for b in blanks_in(text) {
        match found.iter_mut().find(|(t, _)| t == b) {
            Some((_, n)) => *n += 1,
            None => found.push((b.to_string(), 1)),
        }
    }
    found
}

fn parse<'a>(text: &'a str, v: &Vocab) -> Parsed<'a> {
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() && lines[i].trim().is_empty() {
        i += 1;
    }
    let title = lines.get(i).map(|l| l.trim());
    i += 1;
    while i < lines.len() && lines[i].trim().is_empty() {
        i += 1;
    }
    let mut summary = Vec::new();
    while i < lines.len()
        && !lines[i].trim().is_empty()
        && !is_heading(lines[i], v)
        && !BULLET.is_match(lines[i])
    {
        summary.push(lines[i].trim());
        i += 1;
    }
    let bullets_after = |head: &Regex| -> Option<Bullets> {
        let start = lines.iter().position(|l| head.is_match(l))?;
        let mut n = Bullets::default();
        for l in &lines[start + 1..] {
            if BULLET.is_match(l) {
                if has_blank(l) {
                    n.blank += 1;
                } else {
                    n.filled += 1;
                }
            } else if l.trim().is_empty() && n.filled + n.blank == 0 {
                continue;
            } else {
                break;
            }
        }
        Some(n)
    };
    let (blank_lines, lines): (Vec<&str>, Vec<&str>) = lines.iter().partition(|l| has_blank(l));
    Parsed {
        title,
        summary,
        status_bullets: bullets_after(v.status_head),
        next_bullets: bullets_after(v.next_head),
        lines,
        blank_lines,
    }
}

fn is_heading(l: &str, v: &Vocab) -> bool {
    v.status_head.is_match(l) || v.next_head.is_match(l)
}

fn sentences(paragraph: &str) -> usize {
    let mut n = 0;
    let chars: Vec<char> = paragraph.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if matches!(c, '.' | '!' | '?') {
            let next = chars.get(i + 1);
            let prev_digit = i > 0 && chars[i - 1].is_ascii_digit();
            let next_digit = next.is_some_and(|c| c.is_ascii_digit());
            if (next.is_none() || next.is_some_and(|c| c.is_whitespace()))
                && !(prev_digit && next_digit)
            {
                n += 1;
            }
        }
    }
    if n == 0 && !paragraph.trim().is_empty() {
        1
    } else {
        n
    }
}

fn rule(id: &'static str, label: &'static str, passed: bool, hint: impl Into<String>) -> Rule {
    Rule {
        id,
        label,
        passed,
        hint: hint.into(),
    }
}

/// A line that names a subject (root cause, ETA) and either states it or says it is unknown.
fn stated_or_unknown(lines: &[&str], subject: &Regex, v: &Vocab) -> Option<bool> {
    // A line states it when it labels a value ("Root cause: ..."), says what it is ("the
    // cause is ..."), gives a time (an ETA), or says plainly that it is not known.
    let says = |l: &&&str| {
        v.unknown.is_match(l)
            || l.split_once(':')
                .is_some_and(|(k, said)| subject.is_match(k) && said.trim().len() > 2)
            || v.states.is_match(l)
            || v.when.is_match(l)
    };
    let mentions: Vec<&&str> = lines.iter().filter(|l| subject.is_match(l)).collect();
    if mentions.is_empty() {
        None
    } else {
        // Any line that states it (or that it is unknown) will do: "find the cause" in
        // the next steps does not spoil "Root cause: unknown".
        Some(mentions.iter().any(says))
    }
}

static STATES: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:cause|eta)\b[^.:]{0,20}?\b(?:is|was|are|were|appears to be|looks like|seems to be)\s+\S|\bcaused\s+by\s+\S|\bbecause\s+\S",
    )
});

/// A labelled impact line: `Impact:`, `User impact:`, `Impact on customers:`, also as a
/// bullet or in bold.
static IMPACT_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*(?:[-*•]\s+)?(?:\*\*)?(?:(?:user|customer|client|business)\s+)?impact(?:\s+on\s+[a-z ]{1,30}?)?\s*(?:\*\*)?\s*:(?:\*\*)?\s*(.*)$",
    )
});

/// Whether the lines say what the impact is: a labelled impact line with real content (at
/// least two words once any “not known yet” is set aside: “Impact: one card payment in
/// three fails at checkout.”), or a sentence naming who is hit and how (“customers cannot
/// pay by card”). The lines given hold no blank (see [`Parsed::lines`]).
fn states_impact(lines: &[&str], v: &Vocab) -> bool {
    lines.iter().any(|l| {
        if let Some(c) = v.impact_label.captures(l) {
            let value = c.get(1).map_or("", |m| m.as_str());
            let said = v.unknown.replace_all(value, " ");
            let words = said
                .split(|c: char| !c.is_alphanumeric() && c != '\'')
                .filter(|w| w.chars().any(char::is_alphabetic))
                .filter(|w| !v.filler.contains(&w.to_lowercase().as_str()))
                .count();
            words >= 2
        } else {
            v.impact.is_match(l) && v.people.is_match(l)
        }
    })
}

/// The first line that still holds a blank and is about `subject`, if any.
fn blank_line<'a>(p: &Parsed<'a>, subject: &Regex) -> Option<&'a str> {
    p.blank_lines.iter().copied().find(|l| subject.is_match(l))
}

/// Checks a draft against every rule that applies to its audience and kind.
pub fn validate(text: &str, opts: Options) -> Verdict {
    let v = vocab(opts.lang);
    let p = parse(text, v);
    // Content rules read only what has been written: a line that still holds a blank
    // says nothing yet.
    let body = p.lines.join("\n");
    let body = body.as_str();
    let mut rules = Vec::new();

    // Title: `<severity> – <summary>`.
    let title_rule = match p.title.and_then(|t| TITLE.captures(t)) {
        _ if p.title.is_some_and(has_blank) => rule(
            "title",
            "Title: <severity> – <summary>",
            false,
            "the title still holds a blank from the template: write it".to_string(),
        ),
        None => rule(
            "title",
            "Title: <severity> – <summary>",
            false,
            format!("start with one line such as “{}”", v.ex_title),
        ),
        Some(c) => {
            let level = c
                .get(2)
                .or_else(|| c.get(3))
                .and_then(|m| m.as_str().parse::<u8>().ok())
                .or_else(|| {
                    c.get(4)
                        .map(|m| match m.as_str().to_ascii_lowercase().as_str() {
                            "critical" | "critique" => 1,
                            "major" | "majeur" | "majeure" => 2,
                            _ => 3,
                        })
                });
            match (opts.severity, level) {
                (Some(s), Some(l)) if s.level() != l => rule(
                    "title",
                    "Title: <severity> – <summary>",
                    false,
                    format!("the incident is {s}, the title says SEV{l}"),
                ),
                _ => rule(
                    "title",
                    "Title: <severity> – <summary>",
                    true,
                    "title found".to_string(),
                ),
            }
        }
    };
    rules.push(title_rule);

    let summary = p.summary.join(" ");
    let n = sentences(&summary);
    let summary_blank = has_blank(&summary);
    rules.push(rule(
        "summary",
        "Opening summary of 1-2 sentences",
        !summary.is_empty() && !summary_blank && (1..=2).contains(&n),
        if summary_blank {
            "the opening summary is still a blank: say in a sentence or two where things stand"
                .to_string()
        } else if summary.is_empty() {
            "after the title, say in a sentence or two where things stand and what users feel"
                .to_string()
        } else if n > 2 {
            format!("the opening has {n} sentences: keep it to one or two")
        } else {
            "summary found".to_string()
        },
    ));

    let left = blanks(text);
    rules.push(rule(
        "filled_in",
        "No blanks left from the template",
        left.is_empty(),
        if left.is_empty() {
            "nothing left to fill in".to_string()
        } else {
            let listed: Vec<String> = left
                .iter()
                .map(|(b, n)| {
                    if *n > 1 {
                        format!("{b} ({n} times)")
                    } else {
                        b.clone()
                    }
                })
                .collect();
            let total: usize = left.iter().map(|(_, n)| n).sum();
            format!("fill in {total} blank(s): {}", listed.join(", "))
        },
    ));

    match opts.kind {
        DraftKind::Update => update_rules(&p, body, opts, v, &mut rules),
        DraftKind::Final => final_rules(&p, body, opts, v, &mut rules),
    }

    if opts.audience == Audience::External {
        let chars = text.trim().chars().count();
        rules.push(rule(
            "short",
            "External: short",
            chars <= EXTERNAL_MAX_CHARS,
            if chars <= EXTERNAL_MAX_CHARS {
                format!("{chars} of {EXTERNAL_MAX_CHARS} characters")
            } else {
                format!("{chars} characters; cut to {EXTERNAL_MAX_CHARS} or fewer (keep the technical story for the postmortem)")
            },
        ));
        let found = internal_detail_in(text, opts.lang);
        rules.push(rule(
            "no_internal_detail",
            "External: no internal detail",
            found.is_none(),
            found.map_or("no hostnames, addresses, traces or ticket ids".to_string(), |f| {
                format!("remove “{f}”: customers should not see hostnames, IPs, traces, channels or ticket ids")
            }),
        ));
    }
    Verdict { rules }
}

fn update_rules(p: &Parsed<'_>, body: &str, opts: Options, v: &Vocab, rules: &mut Vec<Rule>) {
    let bullets = |n: Option<Bullets>, what: &str| match n {
        None => (
            false,
            format!("add a “{what}:” line followed by 2-4 bullets (“- ...”)"),
        ),
        Some(Bullets { filled, blank: 0 }) if (2..=4).contains(&filled) => {
            (true, format!("{filled} bullets"))
        }
        Some(Bullets { filled, blank: 0 }) => {
            (false, format!("{what} has {filled} bullet(s): give 2 to 4"))
        }
        Some(Bullets { filled, blank }) => (
            false,
            format!("{what} has {blank} bullet(s) still blank and {filled} written: write 2 to 4"),
        ),
    };
    // External updates may drop the sections; internal ones must have them.
    if opts.audience == Audience::Internal {
        let (ok, hint) = bullets(p.status_bullets, v.status_heading);
        rules.push(rule("status", "Current status: 2-4 bullets", ok, hint));
        let (ok, hint) = bullets(p.next_bullets, v.next_heading);
        rules.push(rule("next_steps", "Next steps: 2-4 bullets", ok, hint));
    }

    let next_line = p.lines.iter().find(|l| v.next_update.is_match(l));
    let (ok, hint) = match next_line {
        None if blank_line(p, v.next_update).is_some() => (
            false,
            "the next-update line still holds a blank: say when and where".to_string(),
        ),
        None => (
            false,
            format!(
                "say when and where the next update comes, e.g. “{}”",
                v.ex_next_update
            ),
        ),
        Some(l) if !v.when.is_match(l) => (
            false,
            format!("the next-update line needs a time (e.g. {})", v.ex_time),
        ),
        Some(l) if !v.place.is_match(l) => (
            false,
            "the next-update line needs a place (a channel, the status page, email)".to_string(),
        ),
        Some(_) => (true, "when and where given".to_string()),
    };
    rules.push(rule(
        "next_update",
        "When and where the next update comes",
        ok,
        hint,
    ));

    let impact = states_impact(&p.lines, v);
    rules.push(rule(
        "impact",
        "The impact on users",
        impact,
        if impact {
            "impact described".to_string()
        } else if let Some(l) = blank_line(p, v.impact_label) {
            format!(
                "the impact line still holds a blank: “{}”",
                l.trim().chars().take(80).collect::<String>()
            )
        } else {
            format!("say what users see or cannot do (e.g. “{}”)", v.ex_impact)
        },
    ));

    let counted: Vec<&&str> = p
        .lines
        .iter()
        .filter(|l| v.people.is_match(l) && v.quantity.is_match(l))
        .collect();
    let lower = body.to_lowercase();
    let (ok, hint) = if counted.is_empty() {
        (
            false,
            if p.blank_lines.iter().any(|l| {
                let lower = l.to_lowercase();
                v.people.is_match(l) || v.affected.iter().any(|w| lower.contains(w))
            }) {
                "the affected line still holds a blank: say how many users are affected, or \
                 that the number is not known yet"
                    .to_string()
            } else {
                "say how many users are affected, or that the number is not known yet".to_string()
            },
        )
    } else if opts.audience == Audience::Internal
        && !(lower.contains(v.internal) && lower.contains(v.external))
    {
        (
            false,
            "give both: how many internal and how many external users are affected".to_string(),
        )
    } else {
        (true, "numbers given".to_string())
    };
    rules.push(rule("affected", "How many users are affected", ok, hint));

    let rc = stated_or_unknown(&p.lines, v.root_cause, v);
    rules.push(rule(
        "root_cause",
        "Root cause, or “unknown”",
        rc == Some(true),
        match rc {
            None if blank_line(p, v.root_cause).is_some() => {
                "the root-cause line still holds a blank: state the cause, or say it is not known yet"
            }
            None => {
                "state the root cause, or say it is not known yet: silence leaves people guessing"
            }
            Some(false) => "the root-cause line says neither the cause nor that it is unknown",
            Some(true) => "root cause addressed",
        },
    ));
    let eta = stated_or_unknown(&p.lines, v.eta, v);
    rules.push(rule(
        "eta",
        "ETA for restoration, or “unknown”",
        eta == Some(true),
        match eta {
            None if blank_line(p, v.eta).is_some() => {
                "the ETA line still holds a blank: give a time, or say there is none yet"
            }
            None => "give an ETA for restoration, or say there is none yet",
            Some(false) => "the ETA line says neither a time nor that it is unknown",
            Some(true) => "ETA addressed",
        },
    ));
}

fn final_rules(p: &Parsed<'_>, body: &str, opts: Options, v: &Vocab, rules: &mut Vec<Rule>) {
    let has = |r: &Regex| p.lines.iter().any(|l| r.is_match(l));
    match opts.audience {
        Audience::Internal => {
            let impact = states_impact(&p.lines, v);
            rules.push(rule(
                "recap_impact",
                "Recap of the impact",
                impact,
                if impact {
                    "impact recapped"
                } else {
                    "recap who was affected and how"
                },
            ));
            let dur = v.duration.is_match(body);
            rules.push(rule(
                "duration",
                "How long it lasted",
                dur,
                if dur {
                    "duration given".to_string()
                } else {
                    format!("say how long the impact lasted (e.g. {})", v.ex_duration)
                },
            ));
            let support = has(v.support);
            rules.push(rule(
                "support_cases",
                "Support cases raised",
                support,
                if support {
                    "support cases given"
                } else {
                    "say how many support cases were raised (or none)"
                },
            ));
            let resolved = has(v.resolved);
            rules.push(rule(
                "resolved",
                "Says it is resolved",
                resolved,
                if resolved {
                    "says resolved"
                } else {
                    "say plainly that the incident is resolved"
                },
            ));
            let last = has(v.no_further);
            rules.push(rule(
                "no_further_updates",
                "No further updates",
                last,
                if last {
                    "says this is the last update"
                } else {
                    "say there will be no further updates on this incident"
                },
            ));
        }
        Audience::External => {
            let restored = has(v.restored);
            rules.push(rule(
                "restored",
                "Service restored",
                restored,
                if restored {
                    "says restored"
                } else {
                    "tell customers the service is restored"
                },
            ));
            let follow = has(v.follow_up);
            rules.push(rule(
                "follow_up",
                "Postmortem follow-up",
                follow,
                if follow {
                    "follow-up promised"
                } else {
                    "say a postmortem (or write-up) will follow"
                },
            ));
        }
    }
}

/// Checks one version of an update the team writes in several languages: every rule of
/// [`validate`] with the words of `opts.lang`, and that the version reads as that language
/// (an English text left in the French version fails “Written in French”).
pub fn validate_version(text: &str, opts: Options) -> Verdict {
    let mut verdict = validate(text, opts);
    verdict.rules.push(written_in(text, opts.lang));
    verdict
}

/// Short words every running text of a language is full of, and the other language
/// hardly uses: enough to tell which language a version is written in.
fn common_words(lang: Lang) -> &'static [&'static str] {
    match lang {
        Lang::En => &[
            "the", "and", "is", "are", "we", "our", "to", "of", "for", "with", "not", "yet", "at",
            "by", "be", "this", "that", "will", "have", "has", "can", "cannot", "it", "from",
            "been", "was", "were", "they", "their", "in", "update", "next", "while", "unknown",
            "working", "some", "all",
        ],
        Lang::Fr => &[
            "le",
            "la",
            "les",
            "des",
            "du",
            "de",
            "et",
            "est",
            "sont",
            "nous",
            "notre",
            "nos",
            "pour",
            "avec",
            "pas",
            "encore",
            "à",
            "au",
            "aux",
            "sur",
            "dans",
            "une",
            "un",
            "ce",
            "cette",
            "ces",
            "qui",
            "que",
            "ne",
            "sera",
            "été",
            "par",
            "plus",
            "mise",
            "jour",
            "prochaine",
            "peuvent",
            "depuis",
            "vers",
            "aucune",
            "l",
            "d",
            "qu",
            "n",
        ],
    }
}

/// How many of `lang`'s common words `text` holds.
fn common_word_count(text: &str, lang: Lang) -> usize {
    let words = common_words(lang);
    text.split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .filter(|w| words.contains(&w.to_lowercase().as_str()))
        .count()
}

/// The rule that a version reads as its language: more of that language's common words
/// than of any other's, and at least two.
fn written_in(text: &str, lang: Lang) -> Rule {
    let label = match lang {
        Lang::En => "Written in English",
        Lang::Fr => "Written in French",
    };
    let own = common_word_count(text, lang);
    let rival = Lang::ALL
        .into_iter()
        .filter(|l| *l != lang)
        .map(|l| (l, common_word_count(text, l)))
        .max_by_key(|(_, n)| *n);
    let name = lang.english_name();
    match rival {
        Some((other, n)) if n >= own && n > 0 => rule(
            "language",
            label,
            false,
            format!(
                "the {name} version reads as {} ({n} common {} words, {own} {name}): write it in {name}",
                other.english_name(),
                other.english_name(),
            ),
        ),
        _ if own < 2 => rule(
            "language",
            label,
            false,
            format!("too few words to tell the language: write the {name} version in {name}"),
        ),
        _ => rule("language", label, true, format!("reads as {name}")),
    }
}

/// One line on a version of an update: “French: ready” or “French: 2 checks failing”.
pub fn version_state(lang: Lang, verdict: &Verdict) -> String {
    match verdict.failed().count() {
        0 => format!("{}: ready", lang.english_name()),
        1 => format!("{}: 1 check failing", lang.english_name()),
        n => format!("{}: {n} checks failing", lang.english_name()),
    }
}

/// The first piece of internal detail in a text, if any.
pub fn internal_detail(text: &str) -> Option<String> {
    internal_detail_in(text, Lang::En)
}

/// As [`internal_detail`], for a text in `lang`: in French “exception” is an everyday word
/// (« à l’exception des paiements par carte »), not a sign of a stack trace.
pub fn internal_detail_in(text: &str, lang: Lang) -> Option<String> {
    for r in [&*IPV4, &*HOSTNAME, &*TICKET] {
        // `SEV-2` in a title is a severity, not a ticket.
        if let Some(m) = r
            .find_iter(text)
            .find(|m| !m.as_str().to_ascii_uppercase().starts_with("SEV-"))
        {
            return Some(m.as_str().to_string());
        }
    }
    let stack: &Regex = match lang {
        Lang::En => &STACK,
        Lang::Fr => &STACK_FR,
    };
    for line in text.lines() {
        if stack.is_match(line) {
            return Some(line.trim().chars().take(60).collect());
        }
    }
    static CHANNEL: LazyLock<Regex> = LazyLock::new(|| re(r"(?:^|\s)(#[a-z0-9][a-z0-9_-]+)"));
    CHANNEL
        .captures(text)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().to_string())
}

#[cfg(test)]
#[path = "comms_tests.rs"]
mod tests;
