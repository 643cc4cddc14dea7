//! Fatigue: how long each responder has been on the incident, awake, and in their role,
//! against thresholds; who is most at risk; and who could take over which role.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::event::{EventKind, Role};
use super::incident::{Incident, Responder};
use super::metrics::format_duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Thresholds {
    pub on_incident_warn: Duration,
    pub on_incident_limit: Duration,
    pub awake_warn: Duration,
    pub awake_limit: Duration,
    pub in_role_warn: Duration,
    pub in_role_limit: Duration,
    /// How often the IC is prompted for a team health check.
    pub health_check_every: Duration,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            on_incident_warn: Duration::hours(3),
            on_incident_limit: Duration::hours(5),
            awake_warn: Duration::hours(16),
            awake_limit: Duration::hours(20),
            in_role_warn: Duration::hours(3),
            in_role_limit: Duration::hours(4),
            health_check_every: Duration::minutes(30),
        }
    }
}

impl Thresholds {
    /// Every warning comes before its limit.
    pub fn check(&self) -> Result<(), String> {
        for (name, warn, limit) in [
            ("on_incident", self.on_incident_warn, self.on_incident_limit),
            ("awake", self.awake_warn, self.awake_limit),
            ("in_role", self.in_role_warn, self.in_role_limit),
        ] {
            if warn >= limit {
                return Err(format!(
                    "[fatigue] {name}_warn must be shorter than {name}_limit"
                ));
            }
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Ok,
    Warn,
    Over,
}

fn level(value: Duration, warn: Duration, limit: Duration) -> Level {
    if value >= limit {
        Level::Over
    } else if value >= warn {
        Level::Warn
    } else {
        Level::Ok
    }
}

/// One responder's clocks.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Clocks {
    pub handle: String,
    pub on_duty: bool,
    pub on_incident: Duration,
    pub awake: Option<Duration>,
    /// The longest a role this responder holds has been theirs.
    pub in_role: Option<Duration>,
    pub roles: Vec<Role>,
    pub is_commander: bool,
    pub level: Level,
    /// 0 is fresh; 1.0 is at a limit. The highest of the three clocks against its limit.
    pub risk: f64,
    /// Which clocks are past their warning, in words.
    pub reasons: Vec<String>,
}

pub fn clocks(incident: &Incident, r: &Responder, now: DateTime<Utc>, t: &Thresholds) -> Clocks {
    let on_incident = r.time_on_duty(now);
    let awake = r.awake_since.map(|a| (now - a).max(Duration::zero()));
    let roles = incident.roster.roles_of(&r.handle);
    let is_commander = incident.commander() == Some(r.handle.as_str());
    // A role held by default (the IC's) counts from when the IC took command.
    let in_role = roles
        .iter()
        .map(|role| {
            let key = if incident.roster.is_defaulted_to_ic(*role) {
                Role::Ic
            } else {
                *role
            };
            incident
                .roster
                .since
                .get(&key)
                .map(|s| (now - *s).max(Duration::zero()))
        })
        .max()
        .flatten();
    let ratio =
        |v: Duration, limit: Duration| v.num_seconds() as f64 / limit.num_seconds().max(1) as f64;
    let mut risk = ratio(on_incident, t.on_incident_limit);
    let mut lvl = level(on_incident, t.on_incident_warn, t.on_incident_limit);
    let mut reasons = Vec::new();
    if lvl > Level::Ok {
        reasons.push(format!("{} on the incident", format_duration(on_incident)));
    }
    if let Some(a) = awake {
        risk = risk.max(ratio(a, t.awake_limit));
        let l = level(a, t.awake_warn, t.awake_limit);
        if l > Level::Ok {
            reasons.push(format!("awake {}", format_duration(a)));
        }
        lvl = lvl.max(l);
    }
    if let Some(d) = in_role {
        risk = risk.max(ratio(d, t.in_role_limit));
        let l = level(d, t.in_role_warn, t.in_role_limit);
        if l > Level::Ok {
            reasons.push(format!("{} in role", format_duration(d)));
        }
        lvl = lvl.max(l);
    }
    if r.on_duty_since.is_none() {
        // Off duty: resting, so not at risk now whatever the clocks say.
        lvl = Level::Ok;
        risk = 0.0;
    }
    Clocks {
        handle: r.handle.clone(),
        on_duty: r.on_duty_since.is_some(),
        on_incident,
        awake,
        in_role,
        roles,
        is_commander,
        level: lvl,
        risk,
        reasons,
    }
}

/// Everyone present, most at risk first; the commander first among equals.
pub fn assess(incident: &Incident, now: DateTime<Utc>, t: &Thresholds) -> Vec<Clocks> {
    let mut all: Vec<Clocks> = incident
        .present_responders()
        .map(|r| clocks(incident, r, now, t))
        .collect();
    all.sort_by(|a, b| {
        b.level
            .cmp(&a.level)
            .then(
                b.risk
                    .partial_cmp(&a.risk)
                    .unwrap_or(std::cmp::Ordering::Equal),
            )
            .then(b.is_commander.cmp(&a.is_commander))
            .then(a.handle.cmp(&b.handle))
    });
    all
}

/// A proposed change of hands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    pub role: Role,
    pub from: String,
    pub to: String,
    pub why: String,
}

/// Words in a responder's skills that fit a role.
fn fits(role: Role, skills: &[String]) -> bool {
    let wanted: &[&str] = match role {
        Role::Ic => &["command", "ic", "incident"],
        Role::Cl => &["comms", "communication", "outreach", "writing"],
        Role::Pl => &["policy", "privacy", "legal"],
        Role::Ol => &[
            "ops",
            "operations",
            "sre",
            "infra",
            "payments",
            "database",
            "postgres",
            "network",
        ],
        Role::Po => &["postmortem", "review", "facilitat"],
    };
    skills
        .iter()
        .any(|s| wanted.iter().any(|w| s.to_ascii_lowercase().contains(w)))
}

/// For each role whose holder is past a warning, the least tired on-duty responder who
/// holds no role, preferring one whose skills fit it.
pub fn suggestions(incident: &Incident, now: DateTime<Utc>, t: &Thresholds) -> Vec<Suggestion> {
    let all = assess(incident, now, t);
    let mut free: Vec<&Clocks> = all
        .iter()
        .filter(|c| c.on_duty && c.roles.is_empty() && c.level == Level::Ok)
        .collect();
    free.sort_by(|a, b| {
        a.risk
            .partial_cmp(&b.risk)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.handle.cmp(&b.handle))
    });
    let mut out = Vec::new();
    let mut taken: Vec<String> = Vec::new();
    // The commander's relief comes first: command matters most, and the defaulted roles
    // move with it.
    let mut tired: Vec<&Clocks> = all
        .iter()
        .filter(|c| c.level > Level::Ok && !c.roles.is_empty())
        .collect();
    tired.sort_by_key(|c| !c.is_commander);
    for tired in tired {
        // Hand over command first: the other defaulted roles go with it.
        let roles: Vec<Role> = if tired.is_commander {
            vec![Role::Ic]
        } else {
            tired.roles.clone()
        };
        for role in roles {
            let skills = |h: &str| {
                incident
                    .responders
                    .get(h)
                    .map(|r| r.skills.clone())
                    .unwrap_or_default()
            };
            let pick = free
                .iter()
                .filter(|c| !taken.contains(&c.handle))
                .find(|c| fits(role, &skills(&c.handle)))
                .or_else(|| free.iter().find(|c| !taken.contains(&c.handle)));
            if let Some(p) = pick {
                taken.push(p.handle.clone());
                out.push(Suggestion {
                    role,
                    from: tired.handle.clone(),
                    to: p.handle.clone(),
                    why: tired.reasons.join(", "),
                });
            }
        }
    }
    out
}

/// When the IC's next team health check is due: a cadence after the last one (or after
/// the declaration).
pub fn health_check_due(
    incident: &Incident,
    last_check: Option<DateTime<Utc>>,
    t: &Thresholds,
) -> Option<DateTime<Utc>> {
    if incident.summary.status != super::event::Status::Active {
        return None;
    }
    let from = last_check.or(incident.summary.declared_at)?;
    Some(from + t.health_check_every)
}

/// Who is on duty now (present, their duty clock running), by handle: whom a stand-down
/// sends to rest.
pub fn on_duty(incident: &Incident) -> Vec<String> {
    incident
        .present_responders()
        .filter(|r| r.on_duty_since.is_some())
        .map(|r| r.handle.clone())
        .collect()
}

/// Why a stand-down cannot be offered now, if it cannot: it ends everyone's duty, which is
/// for when the emergency is over, and only the incident commander calls it.
pub fn stand_down_refusal(incident: &Incident, handle: &str) -> Option<String> {
    let short = &incident.summary.short_id;
    if incident.summary.status == super::event::Status::Active {
        return Some(format!(
            "{short} is still active: the team stands down once it is resolved or closed \
             (resolve it first; a responder leaving early ends their own duty)"
        ));
    }
    let ic = incident.commander().unwrap_or("");
    if ic != handle {
        return Some(format!(
            "only the incident commander ({ic}) stands the team down; ask them"
        ));
    }
    None
}

/// The events of a stand-down: the end of duty of everyone on it now.
pub fn stand_down(incident: &Incident) -> Vec<EventKind> {
    on_duty(incident)
        .into_iter()
        .map(|handle| EventKind::DutyEnded { handle })
        .collect()
}

/// Whether an event is a health check (for finding the last one).
pub fn is_health_check(kind: &EventKind) -> bool {
    matches!(kind, EventKind::HealthCheck { .. })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::{Event, Severity};
    use chrono::TimeZone;
    use uuid::Uuid;

    fn at(h: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 0).unwrap() + Duration::minutes(h)
    }

    fn incident(events: &[(i64, &str, EventKind)]) -> Incident {
        let id = Uuid::now_v7();
        let mut all = vec![Event {
            id,
            incident: id,
            seq: Some(1),
            at: at(0),
            recorded_at: None,
            author: "ana".into(),
            persona: None,
            kind: EventKind::IncidentDeclared {
                title: "t".into(),
                severity: Severity::MAJOR,
                summary: String::new(),
                drill: false,
                restricted: false,
            },
        }];
        for (i, (m, who, kind)) in events.iter().enumerate() {
            all.push(Event {
                id: Uuid::now_v7(),
                incident: id,
                seq: Some(i as i64 + 2),
                at: at(*m),
                recorded_at: None,
                author: (*who).into(),
                persona: None,
                kind: kind.clone(),
            });
        }
        Incident::fold(id, &all)
    }

    fn join(h: &str, skills: &[&str]) -> EventKind {
        EventKind::ResponderJoined {
            handle: h.into(),
            skills: skills.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn clocks_cross_warning_then_limit() {
        let inc = incident(&[(
            0,
            "ana",
            EventKind::AwakeSince {
                handle: "ana".into(),
                since: at(-10 * 60),
            },
        )]);
        let t = Thresholds::default();
        let r = &inc.responders["ana"];
        let c = clocks(&inc, r, at(60), &t);
        assert_eq!(c.level, Level::Ok);
        let patient = Thresholds {
            on_incident_warn: Duration::hours(10),
            on_incident_limit: Duration::hours(12),
            in_role_warn: Duration::hours(10),
            in_role_limit: Duration::hours(12),
            ..t
        };
        let c = clocks(&inc, r, at(6 * 60 + 1), &patient); // awake 16h01
        assert_eq!(c.level, Level::Warn);
        assert!(
            c.reasons.iter().any(|x| x.contains("awake")),
            "{:?}",
            c.reasons
        );
        let c = clocks(
            &inc,
            r,
            at(5 * 60 + 1),
            &Thresholds {
                awake_warn: Duration::hours(30),
                awake_limit: Duration::hours(40),
                ..t
            },
        );
        // Five hours in: over the on-incident limit and the in-role limit.
        assert_eq!(c.level, Level::Over);
        assert!(c.is_commander);
    }

    #[test]
    fn off_duty_responders_are_resting() {
        let inc = incident(&[
            (10, "ana", join("bo", &[])),
            (
                20,
                "bo",
                EventKind::DutyEnded {
                    handle: "bo".into(),
                },
            ),
        ]);
        let c = clocks(&inc, &inc.responders["bo"], at(600), &Thresholds::default());
        assert_eq!(c.level, Level::Ok);
        assert!(!c.on_duty);
    }

    #[test]
    fn the_tired_commander_is_offered_the_freshest_fitting_responder() {
        let inc = incident(&[
            (10, "ana", join("bo", &["postgres"])),
            (20, "ana", join("cy", &["incident-command"])),
            (30, "ana", join("di", &[])),
        ]);
        let t = Thresholds::default();
        let now = at(3 * 60 + 5);
        let ranked = assess(&inc, now, &t);
        assert_eq!(
            ranked[0].handle, "ana",
            "the IC, past the on-incident warning, comes first"
        );
        let s = suggestions(&inc, now, &t);
        assert_eq!(s.len(), 1);
        assert_eq!(
            (s[0].role, s[0].from.as_str(), s[0].to.as_str()),
            (Role::Ic, "ana", "cy")
        );
        assert!(s[0].why.contains("on the incident"), "{}", s[0].why);
    }

    #[test]
    fn health_checks_come_round_on_the_cadence() {
        let inc = incident(&[]);
        let t = Thresholds::default();
        assert_eq!(health_check_due(&inc, None, &t), Some(at(30)));
        assert_eq!(health_check_due(&inc, Some(at(40)), &t), Some(at(70)));
    }
}
