//! Status updates: the checklist a draft must pass before it goes out.
//!
//! An update opens with a title `<severity> – <summary>`, then a one- or two-sentence
//! summary of where things stand, a current-status section and a next-steps section of two
//! to four bullets each, and says when and where the next update comes. It states the
//! impact on users and how many are affected, and the root cause and the ETA for
//! restoration, or says plainly that they are not known yet. External updates stay short
//! and leave out internal detail. Final updates recap the incident instead.

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::event::{Audience, ChecklistResult, Severity};

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
        r"(?i)^\s*(?:\[?\s*(sev(?:erity)?\s*-?\s*([123])|s([123])|(critical|major|minor))\s*\]?)\s*[–—:-]+\s*(\S.*)$",
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

fn parse(text: &str) -> Parsed<'_> {
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
        && !is_heading(lines[i])
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
        status_bullets: bullets_after(&STATUS_HEAD),
        next_bullets: bullets_after(&NEXT_HEAD),
        lines,
        blank_lines,
    }
}

fn is_heading(l: &str) -> bool {
    STATUS_HEAD.is_match(l) || NEXT_HEAD.is_match(l)
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
fn stated_or_unknown(lines: &[&str], subject: &Regex) -> Option<bool> {
    static STATES: LazyLock<Regex> = LazyLock::new(|| {
        re(
            r"(?i)\b(?:cause|eta)\b[^.:]{0,20}?\b(?:is|was|are|were|appears to be|looks like|seems to be)\s+\S|\bcaused\s+by\s+\S|\bbecause\s+\S",
        )
    });
    // A line states it when it labels a value ("Root cause: ..."), says what it is ("the
    // cause is ..."), gives a time (an ETA), or says plainly that it is not known.
    let says = |l: &&&str| {
        UNKNOWN.is_match(l)
            || l.split_once(':')
                .is_some_and(|(k, v)| subject.is_match(k) && v.trim().len() > 2)
            || STATES.is_match(l)
            || WHEN.is_match(l)
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
fn states_impact(lines: &[&str]) -> bool {
    lines.iter().any(|l| {
        if let Some(c) = IMPACT_LABEL.captures(l) {
            let value = c.get(1).map_or("", |m| m.as_str());
            let said = UNKNOWN.replace_all(value, " ");
            let words = said
                .split(|c: char| !c.is_alphanumeric() && c != '\'')
                .filter(|w| w.chars().any(char::is_alphabetic))
                .filter(|w| {
                    !matches!(
                        w.to_ascii_lowercase().as_str(),
                        "yet" | "still" | "so" | "far" | "tbd" | "tba" | "n" | "a" | "na" | "none"
                    )
                })
                .count();
            words >= 2
        } else {
            IMPACT.is_match(l) && PEOPLE.is_match(l)
        }
    })
}

/// The first line that still holds a blank and is about `subject`, if any.
fn blank_line<'a>(p: &Parsed<'a>, subject: &Regex) -> Option<&'a str> {
    p.blank_lines.iter().copied().find(|l| subject.is_match(l))
}

/// Checks a draft against every rule that applies to its audience and kind.
pub fn validate(text: &str, opts: Options) -> Verdict {
    let p = parse(text);
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
            "the title still holds a blank from the template: write it",
        ),
        None => rule(
            "title",
            "Title: <severity> – <summary>",
            false,
            "start with one line such as “SEV2 – Card payments failing at checkout”",
        ),
        Some(c) => {
            let level = c
                .get(2)
                .or_else(|| c.get(3))
                .and_then(|m| m.as_str().parse::<u8>().ok())
                .or_else(|| {
                    c.get(4)
                        .map(|m| match m.as_str().to_ascii_lowercase().as_str() {
                            "critical" => 1,
                            "major" => 2,
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
                    "title found",
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
        DraftKind::Update => update_rules(&p, body, opts, &mut rules),
        DraftKind::Final => final_rules(&p, body, opts, &mut rules),
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
        let found = internal_detail(text);
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

fn update_rules(p: &Parsed<'_>, body: &str, opts: Options, rules: &mut Vec<Rule>) {
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
        let (ok, hint) = bullets(p.status_bullets, "Current status");
        rules.push(rule("status", "Current status: 2-4 bullets", ok, hint));
        let (ok, hint) = bullets(p.next_bullets, "Next steps");
        rules.push(rule("next_steps", "Next steps: 2-4 bullets", ok, hint));
    }

    let next_line = p.lines.iter().find(|l| NEXT_UPDATE.is_match(l));
    let (ok, hint) = match next_line {
        None if blank_line(p, &NEXT_UPDATE).is_some() => (
            false,
            "the next-update line still holds a blank: say when and where".to_string(),
        ),
        None => (false, "say when and where the next update comes, e.g. “Next update at 22:30 UTC in #inc-payments”".to_string()),
        Some(l) if !WHEN.is_match(l) => (false, "the next-update line needs a time (e.g. 22:30 UTC, in 30 minutes)".to_string()),
        Some(l) if !WHERE.is_match(l) => (false, "the next-update line needs a place (a channel, the status page, email)".to_string()),
        Some(_) => (true, "when and where given".to_string()),
    };
    rules.push(rule(
        "next_update",
        "When and where the next update comes",
        ok,
        hint,
    ));

    let impact = states_impact(&p.lines);
    rules.push(rule(
        "impact",
        "The impact on users",
        impact,
        if impact {
            "impact described".to_string()
        } else if let Some(l) = blank_line(p, &IMPACT_LABEL) {
            format!(
                "the impact line still holds a blank: “{}”",
                l.trim().chars().take(80).collect::<String>()
            )
        } else {
            "say what users see or cannot do (e.g. “Impact: customers cannot pay by card”)"
                .to_string()
        },
    ));

    let counted: Vec<&&str> = p
        .lines
        .iter()
        .filter(|l| PEOPLE.is_match(l) && QUANTITY.is_match(l))
        .collect();
    let lower = body.to_ascii_lowercase();
    let (ok, hint) = if counted.is_empty() {
        (
            false,
            if p.blank_lines
                .iter()
                .any(|l| PEOPLE.is_match(l) || l.to_ascii_lowercase().contains("affected"))
            {
                "the affected line still holds a blank: say how many users are affected, or \
                 that the number is not known yet"
                    .to_string()
            } else {
                "say how many users are affected, or that the number is not known yet".to_string()
            },
        )
    } else if opts.audience == Audience::Internal
        && !(lower.contains("internal") && lower.contains("external"))
    {
        (
            false,
            "give both: how many internal and how many external users are affected".to_string(),
        )
    } else {
        (true, "numbers given".to_string())
    };
    rules.push(rule("affected", "How many users are affected", ok, hint));

    let rc = stated_or_unknown(&p.lines, &ROOT_CAUSE);
    rules.push(rule(
        "root_cause",
        "Root cause, or “unknown”",
        rc == Some(true),
        match rc {
            None if blank_line(p, &ROOT_CAUSE).is_some() => {
                "the root-cause line still holds a blank: state the cause, or say it is not known yet"
            }
            None => {
                "state the root cause, or say it is not known yet: silence leaves people guessing"
            }
            Some(false) => "the root-cause line says neither the cause nor that it is unknown",
            Some(true) => "root cause addressed",
        },
    ));
    let eta = stated_or_unknown(&p.lines, &ETA);
    rules.push(rule(
        "eta",
        "ETA for restoration, or “unknown”",
        eta == Some(true),
        match eta {
            None if blank_line(p, &ETA).is_some() => {
                "the ETA line still holds a blank: give a time, or say there is none yet"
            }
            None => "give an ETA for restoration, or say there is none yet",
            Some(false) => "the ETA line says neither a time nor that it is unknown",
            Some(true) => "ETA addressed",
        },
    ));
}

fn final_rules(p: &Parsed<'_>, body: &str, opts: Options, rules: &mut Vec<Rule>) {
    let has = |r: &Regex| p.lines.iter().any(|l| r.is_match(l));
    match opts.audience {
        Audience::Internal => {
            let impact = states_impact(&p.lines);
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
            let dur = DURATION.is_match(body);
            rules.push(rule(
                "duration",
                "How long it lasted",
                dur,
                if dur {
                    "duration given"
                } else {
                    "say how long the impact lasted (e.g. 1h 20m, from 21:40 to 23:00)"
                },
            ));
            let support = has(&SUPPORT);
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
            let resolved = has(&RESOLVED);
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
            let last = has(&NO_FURTHER);
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
            let restored = has(&RESTORED);
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
            let follow = has(&FOLLOW_UP);
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

/// The first piece of internal detail in a text, if any.
pub fn internal_detail(text: &str) -> Option<String> {
    for r in [&*IPV4, &*HOSTNAME, &*TICKET] {
        // `SEV-2` in a title is a severity, not a ticket.
        if let Some(m) = r
            .find_iter(text)
            .find(|m| !m.as_str().to_ascii_uppercase().starts_with("SEV-"))
        {
            return Some(m.as_str().to_string());
        }
    }
    for line in text.lines() {
        if STACK.is_match(line) {
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
