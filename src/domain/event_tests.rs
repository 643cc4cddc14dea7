//! Tests of `event`.

use super::*;
use serde_json::json;

fn sample_kinds() -> Vec<EventKind> {
    let u = Uuid::nil();
    let t = DateTime::<Utc>::UNIX_EPOCH;
    vec![
        EventKind::IncidentDeclared {
            title: "t".into(),
            severity: Severity::MAJOR,
            summary: String::new(),
            drill: false,
            restricted: false,
        },
        EventKind::SeverityChanged {
            severity: Severity::CRITICAL,
            reason: String::new(),
        },
        EventKind::StageChanged {
            stage: Stage::Recover,
        },
        EventKind::Resolved {
            summary: String::new(),
        },
        EventKind::Reopened {
            reason: String::new(),
        },
        EventKind::Closed {
            reason: String::new(),
        },
        EventKind::ImpactStarted {},
        EventKind::Detected {},
        EventKind::ImpactEnded {},
        EventKind::ResponderJoined {
            handle: "a".into(),
            skills: vec![],
        },
        EventKind::ResponderLeft { handle: "a".into() },
        EventKind::DutyStarted { handle: "a".into() },
        EventKind::DutyEnded { handle: "a".into() },
        EventKind::AwakeSince {
            handle: "a".into(),
            since: t,
        },
        EventKind::RoleAssigned {
            role: Role::Cl,
            handle: "a".into(),
        },
        EventKind::RoleReleased { role: Role::Cl },
        EventKind::CommandHandedOver {
            to: "b".into(),
            brief: HandoverBrief::default(),
        },
        EventKind::Note { text: "n".into() },
        EventKind::Observation {
            text: "o".into(),
            from_event: None,
        },
        EventKind::Theory { text: "t".into() },
        EventKind::TheoryStatusChanged {
            theory: u,
            status: TheoryStatus::Refuted,
            reason: String::new(),
        },
        EventKind::Experiment {
            plan: "p".into(),
            tests: vec![u],
        },
        EventKind::ExperimentOutcome {
            experiment: u,
            outcome: Some(Outcome::Supports),
            verdicts: Vec::new(),
            notes: String::new(),
        },
        EventKind::ChangeRequested {
            description: "d".into(),
        },
        EventKind::ChangeDecided {
            request: u,
            approved: true,
            reason: String::new(),
        },
        EventKind::CommsSent {
            audience: Audience::External,
            text: "x".into(),
            checklist: ChecklistResult::default(),
            override_reason: None,
            next_update_due: None,
            lang: None,
            versions: Vec::new(),
        },
        EventKind::ActionItemAdded {
            text: "a".into(),
            owner_role: Role::Ol,
            due: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        },
        EventKind::ActionItemDone { item: u },
        EventKind::PrivacyAssessed {
            assessment: PrivacyAssessment::PossibleBreach,
            notes: String::new(),
        },
        EventKind::KnownErrorLinked {
            known_error: "KE-1".into(),
            title: String::new(),
        },
        EventKind::HealthCheck {
            summary: "ok".into(),
        },
        EventKind::PrivacyStepDone {
            step: 1,
            note: String::new(),
        },
        EventKind::KnownErrorRecorded {
            key: "KE-1".into(),
            symptom: "s".into(),
            root_cause: String::new(),
            workaround: String::new(),
            incidents: vec![],
        },
        EventKind::CommandRequested {
            reason: "fresh".into(),
        },
        EventKind::CommandRequestDecided {
            request: u,
            accepted: false,
            reason: String::new(),
        },
        EventKind::CommandTaken {
            reason: "IC offline".into(),
        },
        EventKind::AccessGranted { handle: "a".into() },
        EventKind::AccessRevoked { handle: "a".into() },
        EventKind::EventRedacted {
            event: u,
            reason: "password".into(),
        },
        EventKind::Amended {
            event: u,
            text: "the pool, not the deploy".into(),
        },
        EventKind::AlertLinked {
            alert: u,
            fingerprint: "a1b2c3d4e5f60718".into(),
            name: "HighErrorRate".into(),
            summary: "5% of checkouts fail".into(),
        },
        EventKind::AlertObserved {
            alert: u,
            fingerprint: "a1b2c3d4e5f60718".into(),
            status: crate::domain::alert::AlertStatus::Resolved,
            name: "HighErrorRate".into(),
            summary: String::new(),
        },
        EventKind::PageRequested {
            team: "dba".into(),
            provider: Some(crate::domain::page::Provider::Opsgenie),
            message: "need a DBA for the failover".into(),
        },
        EventKind::PageDelivery {
            page: u,
            team: "dba".into(),
            provider: Some(crate::domain::page::Provider::Pagerduty),
            status: crate::domain::page::PageStatus::Failed,
            request_id: String::new(),
            error: "Invalid routing key".into(),
            attempts: 1,
        },
        EventKind::AlertUnlinked {
            alert: u,
            reason: "linked to the wrong incident".into(),
        },
    ]
}

#[test]
fn scrubbing_removes_every_written_word_and_nothing_else() {
    let secret = "hunter2-secret";
    let kinds = vec![
        EventKind::Note {
            text: secret.into(),
        },
        EventKind::CommsSent {
            audience: Audience::Internal,
            text: secret.into(),
            checklist: ChecklistResult {
                passed: vec![secret.into()],
                failed: vec![],
            },
            override_reason: Some(secret.into()),
            next_update_due: None,
            lang: None,
            versions: Vec::new(),
        },
        EventKind::CommandHandedOver {
            to: "bo".into(),
            brief: HandoverBrief {
                current_state: secret.into(),
                next_steps: vec![secret.into()],
                people: vec![],
            },
        },
        EventKind::IncidentDeclared {
            title: secret.into(),
            severity: Severity::MAJOR,
            summary: secret.into(),
            drill: false,
            restricted: true,
        },
        EventKind::AlertObserved {
            alert: Uuid::nil(),
            fingerprint: "ab".into(),
            status: crate::domain::alert::AlertStatus::Firing,
            name: secret.into(),
            summary: secret.into(),
        },
        EventKind::AlertUnlinked {
            alert: Uuid::nil(),
            reason: secret.into(),
        },
    ];
    for k in kinds {
        let s = k.scrubbed().expect("has text");
        let text = serde_json::to_string(&s).unwrap();
        assert!(!text.contains(secret), "{text}");
        assert_eq!(s.type_name(), k.type_name());
        assert_eq!(s.scrubbed().unwrap(), s, "scrubbing twice changes nothing");
    }
    let role = EventKind::RoleAssigned {
        role: Role::Cl,
        handle: "bo".into(),
    };
    assert_eq!(role.scrubbed(), None);
}

#[test]
fn known_types_list_matches_every_variant() {
    let kinds = sample_kinds();
    assert_eq!(kinds.len(), KNOWN_TYPES.len());
    for (kind, name) in kinds.iter().zip(KNOWN_TYPES) {
        let v = serde_json::to_value(kind).unwrap();
        assert_eq!(v["type"], json!(name), "{kind:?}");
        assert_eq!(kind.type_name(), *name);
    }
}

#[test]
fn every_kind_round_trips_through_the_envelope() {
    for kind in sample_kinds() {
        let ev = Event {
            id: Uuid::now_v7(),
            incident: Uuid::now_v7(),
            seq: Some(4),
            at: DateTime::<Utc>::UNIX_EPOCH,
            recorded_at: None,
            author: "sam".into(),
            persona: None,
            kind,
        };
        let text = serde_json::to_string(&ev).unwrap();
        let back: Event = serde_json::from_str(&text).unwrap();
        assert_eq!(back, ev, "{text}");
    }
}

#[test]
fn unknown_kinds_are_kept_whole() {
    let text = r#"{"id":"0190d5a0-0000-7000-8000-000000000001","incident":"0190d5a0-0000-7000-8000-000000000002","seq":9,"at":"2026-11-26T21:00:00Z","recorded_at":null,"author":"kim","type":"pager_escalated","team":"db","level":2}"#;
    let ev: Event = serde_json::from_str(text).unwrap();
    assert!(ev.kind.is_unknown());
    assert_eq!(ev.kind.type_name(), "pager_escalated");
    let again = serde_json::to_value(&ev).unwrap();
    assert_eq!(again["team"], json!("db"));
    assert_eq!(again["level"], json!(2));
    assert_eq!(again["type"], json!("pager_escalated"));
}

#[test]
fn a_known_kind_with_bad_fields_is_an_error() {
    let mut m = Map::new();
    m.insert("severity".into(), json!(7));
    m.insert("title".into(), json!("x"));
    let err = EventKind::from_parts("incident_declared", m).unwrap_err();
    assert!(err.contains("severity"), "{err}");
    assert!(EventKind::from_parts("Not A Type!", Map::new()).is_err());
}

#[test]
fn a_stored_kind_reads_back_as_itself_or_whole_as_unknown() {
    for kind in sample_kinds() {
        let name = kind.type_name().to_string();
        assert_eq!(EventKind::from_stored(&name, kind.fields()), kind);
    }
    let mut bad = Map::new();
    bad.insert("severity".into(), json!(7));
    bad.insert("title".into(), json!("x"));
    assert_eq!(
        EventKind::from_stored("incident_declared", bad.clone()),
        EventKind::Unknown {
            kind: "incident_declared".into(),
            fields: bad.clone()
        }
    );
    assert_eq!(
        EventKind::from_stored("Not A Type!", bad.clone()),
        EventKind::Unknown {
            kind: "Not A Type!".into(),
            fields: bad
        }
    );
}

#[test]
fn a_brief_survives_its_text_form() {
    let b = HandoverBrief {
        current_state: "Stable, watching.".into(),
        next_steps: vec!["Check pool".into(), "Send update".into()],
        people: vec!["ana (IC)".into(), "bo".into()],
    };
    assert_eq!(HandoverBrief::from_text(&b.to_text()), b);
}

#[test]
fn roles_and_stages_parse_loosely() {
    assert_eq!(Role::parse("Incident-Commander"), Some(Role::Ic));
    assert_eq!(Role::parse("ops"), Some(Role::Ol));
    assert_eq!(Role::parse("nobody"), None);
    assert_eq!(Stage::parse("Respond & Assess"), Some(Stage::Respond));
}

#[test]
fn a_persona_is_an_envelope_key_only_when_there_is_one() {
    let mut ev = Event {
        id: Uuid::now_v7(),
        incident: Uuid::now_v7(),
        seq: Some(2),
        at: DateTime::<Utc>::UNIX_EPOCH,
        recorded_at: None,
        author: "kim".into(),
        persona: None,
        kind: EventKind::Note { text: "n".into() },
    };
    let plain = serde_json::to_value(&ev).unwrap();
    assert!(plain.get("persona").is_none(), "{plain}");
    assert_eq!(
        (ev.shown_author(), ev.author_label().as_ref()),
        ("kim", "kim")
    );
    ev.persona = Some("ops1".into());
    let v = serde_json::to_value(&ev).unwrap();
    assert_eq!(v["persona"], json!("ops1"));
    assert_eq!(v["author"], json!("kim"));
    let back: Event = serde_json::from_value(v).unwrap();
    assert_eq!(back, ev);
    assert!(
        !back.kind.fields().contains_key("persona"),
        "not a field of the kind"
    );
    assert_eq!(back.shown_author(), "ops1");
    assert_eq!(back.author_label(), "ops1 (drill)");
}

#[test]
fn times_are_written_as_the_rfc_3339_format_writes_them() {
    use chrono::TimeZone;
    let by_format = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    let mut times = vec![
        Utc.with_ymd_and_hms(2026, 11, 26, 21, 40, 0).unwrap(),
        Utc.with_ymd_and_hms(1970, 1, 1, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap()
            + chrono::Duration::nanoseconds(999_999_999),
        Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(-1, 1, 1, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).unwrap(),
        // A leap second.
        Utc.from_utc_datetime(
            &NaiveDate::from_ymd_opt(2016, 12, 31)
                .unwrap()
                .and_hms_nano_opt(23, 59, 59, 1_500_000_000)
                .unwrap(),
        ),
    ];
    let mut t = Utc.with_ymd_and_hms(2026, 2, 27, 23, 59, 58).unwrap();
    for i in 0..5000 {
        t += chrono::Duration::microseconds(7_919_993 * i + 1) + chrono::Duration::nanoseconds(i);
        times.push(t);
    }
    for t in times {
        assert_eq!(format_time(t), by_format(t), "{t:?}");
    }
    assert_eq!(
        format_time(
            Utc.with_ymd_and_hms(2026, 3, 4, 5, 6, 7).unwrap() + chrono::Duration::microseconds(89)
        ),
        "2026-03-04T05:06:07.000089Z"
    );
}

/// The envelope and the kind's fields gathered in one map, as events were written before
/// `Event` wrote them straight to the serializer.
fn through_a_map(ev: &Event) -> String {
    let mut m = Map::new();
    m.insert("id".into(), json!(ev.id.to_string()));
    m.insert("incident".into(), json!(ev.incident.to_string()));
    m.insert("seq".into(), ev.seq.map(Value::from).unwrap_or(Value::Null));
    m.insert("at".into(), json!(format_time(ev.at)));
    m.insert(
        "recorded_at".into(),
        ev.recorded_at
            .map(|t| json!(format_time(t)))
            .unwrap_or(Value::Null),
    );
    m.insert("author".into(), json!(ev.author));
    if let Some(p) = &ev.persona {
        m.insert("persona".into(), json!(p));
    }
    m.insert("type".into(), json!(ev.kind.type_name()));
    for (k, v) in ev.kind.fields() {
        if !ENVELOPE.contains(&k.as_str()) && k != "type" {
            m.insert(k, v);
        }
    }
    serde_json::to_string(&Value::Object(m)).unwrap()
}

#[test]
fn an_event_is_written_as_one_sorted_object_of_envelope_and_fields() {
    let mut kinds = sample_kinds();
    // Fields named like envelope keys, and fields sorting before, between and after them.
    let fields = json!({
        "a": 1, "at": "x", "author": "x", "b": [1, "two"], "id": "x", "incident": "x",
        "j": null, "persona": "x", "q": {"z": 1, "a": 2}, "recorded_at": "x", "seq": 9,
        "t": "\u{1b}[2J", "type": "x", "zz": true
    });
    kinds.push(EventKind::Unknown {
        kind: "future_kind".into(),
        fields: fields.as_object().unwrap().clone(),
    });
    kinds.push(EventKind::Unknown {
        kind: "bare".into(),
        fields: Map::new(),
    });
    let t = DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::microseconds(1_234_567);
    for kind in kinds {
        for (seq, recorded_at, persona) in [
            (Some(12), Some(t), None),
            (None, None, Some("ops1".to_string())),
            (Some(1), Some(t), Some("maya".to_string())),
        ] {
            let ev = Event {
                id: Uuid::now_v7(),
                incident: Uuid::now_v7(),
                seq,
                at: t,
                recorded_at,
                author: "kim".into(),
                persona,
                kind: kind.clone(),
            };
            let written = serde_json::to_string(&ev).unwrap();
            assert_eq!(written, through_a_map(&ev));
            let shadowed = ev
                .kind
                .fields()
                .keys()
                .any(|k| ENVELOPE.contains(&k.as_str()) || k == "type");
            if !shadowed {
                assert_eq!(serde_json::from_str::<Event>(&written).unwrap(), ev);
            }
            let pretty = serde_json::to_string_pretty(&ev).unwrap();
            assert_eq!(
                serde_json::from_str::<Value>(&pretty).unwrap(),
                serde_json::from_str::<Value>(&written).unwrap()
            );
        }
    }
}
