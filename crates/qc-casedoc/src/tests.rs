use qc_domain::*;

use crate::*;

const T0: Timestamp = Timestamp(1_772_409_600_000);

fn header() -> CaseHeader {
    CaseHeader {
        id: CaseId("c-1".into()),
        source: CaseSource::Complaint {
            complainant: "居民甲".into(),
            contact: "138****0000".into(),
            via_12319: true,
        },
        domain: "environment".into(),
        violation: "environment.open_air_barbecue".into(),
        location: Location {
            address: "解放路12号".into(),
            grid: "XG-03-07".into(),
            gps: Some(GeoPoint {
                lat: 34.6197,
                lon: 112.4540,
            }),
        },
        parties: vec![Party {
            kind: PartyKind::Person,
            name: "张三".into(),
            id_number: None,
            phone: Some("139****1111".into()),
        }],
        summary: "夜间露天烧烤，油烟扰民".into(),
        squad: "一中队".into(),
        registered_at: T0,
        registered_by: PersonId("li".into()),
    }
}

fn event(id: &str, at: i64, act: Act) -> WorkflowEvent {
    WorkflowEvent {
        id: id.into(),
        at: Timestamp(T0.0 + at),
        actors: vec![PersonId("liu".into())],
        act,
    }
}

#[test]
fn header_and_events_round_trip_through_save_and_load() {
    let mut d = CaseDoc::create(&header(), b"device-1", T0).unwrap();
    d.append_event(&event("e1", 1000, Act::File)).unwrap();
    let bytes = d.save();
    let back = CaseDoc::load(&bytes, b"device-1").unwrap();
    assert_eq!(back.header().unwrap(), header());
    assert_eq!(back.events().unwrap(), vec![event("e1", 1000, Act::File)]);
    assert_eq!(back.state().unwrap().status, CaseStatus::Filed);
}

#[test]
fn the_same_edits_give_the_same_bytes_and_heads() {
    // Actor, time and content are all injected: nothing depends on the machine.
    let mk = || {
        let mut d = CaseDoc::create(&header(), b"device-1", T0).unwrap();
        d.append_event(&event("e1", 1000, Act::File)).unwrap();
        d
    };
    let (mut a, mut b) = (mk(), mk());
    assert_eq!(a.heads_hex(), b.heads_hex());
    assert_eq!(a.save(), b.save());
}

#[test]
fn two_devices_appending_offline_merge_to_the_same_document() {
    let mut a = CaseDoc::create(&header(), b"device-a", T0).unwrap();
    a.append_event(&event("a1", 1000, Act::File)).unwrap();
    let mut b = CaseDoc::load(&a.save(), b"device-b").unwrap();
    // Offline: each records a different act.
    a.append_event(&event(
        "a2",
        2000,
        Act::StartInvestigation {
            team: vec![PersonId("li".into()), PersonId("wang".into())],
        },
    ))
    .unwrap();
    b.append_event(&event(
        "b1",
        3000,
        Act::InformComplainant {
            how: "电话告知".into(),
        },
    ))
    .unwrap();
    let mut b_copy = CaseDoc::load(&b.save(), b"device-b").unwrap();
    a.merge(&mut b).unwrap();
    b_copy.merge(&mut a).unwrap();
    assert_eq!(a.heads_hex(), b_copy.heads_hex());
    let ids: std::collections::BTreeSet<_> =
        a.events().unwrap().into_iter().map(|e| e.id).collect();
    assert_eq!(ids, ["a1", "a2", "b1"].map(String::from).into());
    let s = a.state().unwrap();
    assert_eq!(s.status, CaseStatus::Investigating);
    assert!(s.complainant_informed);
    // Merging again changes nothing.
    let before = a.heads_hex();
    a.merge(&mut b_copy).unwrap();
    assert_eq!(a.heads_hex(), before);
}

#[test]
fn documents_of_different_cases_do_not_merge() {
    let mut a = CaseDoc::create(&header(), b"device-a", T0).unwrap();
    let mut h = header();
    h.id = CaseId("c-2".into());
    let mut b = CaseDoc::create(&h, b"device-b", T0).unwrap();
    assert!(a.merge(&mut b).is_err());
}

#[test]
fn garbage_and_foreign_documents_are_refused() {
    assert!(CaseDoc::load(b"not an automerge document", b"d").is_err());
    let mut other = automerge::AutoCommit::new();
    other.put(automerge::ROOT, "hello", "world").unwrap();
    assert!(matches!(
        CaseDoc::load(&other.save(), b"d"),
        Err(DocError::Malformed(_))
    ));
    let mut newer = automerge::AutoCommit::new();
    newer.put(automerge::ROOT, "schema", 99u64).unwrap();
    assert!(matches!(
        CaseDoc::load(&newer.save(), b"d"),
        Err(DocError::NewerSchema(99))
    ));
}

#[test]
fn summary_row_is_derived_from_the_document() {
    let mut d = CaseDoc::create(&header(), b"device-1", T0).unwrap();
    d.append_event(&event("e1", 86_400_000, Act::File)).unwrap();
    let row = CaseSummary::from_doc(
        &d,
        &Catalogue::default_zh(),
        &DeadlinePolicy::default(),
        Timestamp(T0.0 + 2 * 86_400_000),
    )
    .unwrap();
    assert_eq!(row.status, "filed");
    assert_eq!(row.domain_name, "环境保护");
    assert_eq!(row.violation_name, "露天烧烤");
    assert_eq!(row.parties, "张三");
    assert_eq!(row.updated_at, Timestamp(T0.0 + 86_400_000));
    let kinds: Vec<_> = row.deadlines.iter().map(|d| d.kind.code()).collect();
    assert_eq!(kinds, ["inform_complainant", "decision"]);
    assert_eq!(row.people, ["li"]);
    // The investigating officers become the case's people too, each once.
    let team = vec![PersonId("li".into()), PersonId("wang".into())];
    d.append_event(&event(
        "e2",
        2 * 86_400_000,
        Act::StartInvestigation { team },
    ))
    .unwrap();
    let row = CaseSummary::from_doc(&d, &Catalogue::default_zh(), &DeadlinePolicy::default(), T0)
        .unwrap();
    assert_eq!(row.people, ["li", "wang"]);
}

#[test]
fn conflicting_offline_acts_resolve_the_same_way_on_every_device() {
    let base = CaseDoc::create(&header(), b"device-a", T0).unwrap();
    let bytes = {
        let mut b = base;
        b.save()
    };
    let mut a = CaseDoc::load(&bytes, b"device-a").unwrap();
    let mut b = CaseDoc::load(&bytes, b"device-b").unwrap();
    a.append_event(&event("a1", 1000, Act::File)).unwrap();
    b.append_event(&event(
        "b1",
        1000,
        Act::DeclineFiling {
            reason: "不属于管辖范围".into(),
        },
    ))
    .unwrap();
    let mut a2 = CaseDoc::load(&a.save(), b"device-a").unwrap();
    let mut b2 = CaseDoc::load(&b.save(), b"device-b").unwrap();
    a2.merge(&mut b).unwrap();
    b2.merge(&mut a).unwrap();
    let (sa, sb) = (a2.state().unwrap(), b2.state().unwrap());
    assert_eq!(sa, sb);
    assert_eq!(sa.anomalies.len(), 1, "the losing act is kept and flagged");
    assert_eq!(a2.events().unwrap().len(), 2);
}

#[test]
fn damaged_or_unanchored_changes_are_refused_not_dropped() {
    let mut base = CaseDoc::create(&header(), b"device-1", T0).unwrap();
    let start = base.heads_digests();
    let mut held = CaseDoc::load(&base.save(), b"station").unwrap();
    base.append_event(&event("e1", 1000, Act::File)).unwrap();
    let middle = base.heads_digests();
    base.append_event(&event(
        "e2",
        2000,
        Act::Close {
            report: "结案".into(),
        },
    ))
    .unwrap();
    let good = base.changes_after(&start);
    // Cut short, or with garbage after the real changes: refused, nothing applied.
    for bad in [
        good[..good.len() - 3].to_vec(),
        [good.clone(), b"garbage".to_vec()].concat(),
    ] {
        assert!(held.apply(&bad).is_err());
    }
    // Only the later change, without the one it depends on: refused.
    let orphan = base.changes_after(&middle);
    let mut other = CaseDoc::load(&held.save(), b"station").unwrap();
    assert!(other.apply(&orphan).is_err());
    let mut fresh = CaseDoc::load(&held.save(), b"station").unwrap();
    fresh.apply(&good).unwrap();
    assert_eq!(fresh.heads_digests(), base.heads_digests());
    fresh.apply(&[]).unwrap();
}

/// Changes the fuzzer found (`fuzz/doc_changes`) on which Automerge 0.12 panics while parsing
/// (hexane unwraps a truncated number): a hostile device crashed the station's handling of its
/// sync with them, a hostile station a tablet's.
const CHANGES_AUTOMERGE_PANICS_ON: &str = "856f4a833aa2ce020373000000022102232a34fffffffe2d57b50180b6\
    02450006fefffffffff52d0103030303030349494900000010000100000000000009000000000000003b000000\
    00fa0000000000008165670261697e677269640402450088fefffffffff52d010303030303034949490000001000\
    0000000000000000000000000000000000040000fa0000007ebcbcbc61";

#[test]
fn changes_that_make_automerge_panic_are_refused() {
    let bytes = hex::decode(CHANGES_AUTOMERGE_PANICS_ON).unwrap();
    let mut held = CaseDoc::create(&header(), b"device-1", T0).unwrap();
    let heads = held.heads_digests();
    assert!(matches!(held.apply(&bytes), Err(DocError::Malformed(_))));
    assert_eq!(held.heads_digests(), heads, "nothing applied");
    assert!(CaseDoc::load(&bytes, b"station").is_err());
}

#[test]
fn concurrent_writes_read_as_a_look_up_of_each_key_and_place_gives_them() {
    // Maps and lists are read in one pass (`json::read`): a field two devices set at once,
    // and events both appended, must read as looking up each key and each place gives them.
    let mut a = CaseDoc::create(&header(), b"device-1", T0).unwrap();
    let mut b = CaseDoc::load(&a.save(), b"device-2").unwrap();
    for (d, who) in [(&mut a, "a"), (&mut b, "b")] {
        let (_, h) = d.doc.get(ROOT, "header").unwrap().unwrap();
        d.doc.put(&h, "domain", format!("domain-{who}")).unwrap();
        d.doc.put(&h, "squad", format!("squad-{who}")).unwrap();
        for i in 0..3 {
            d.append_event(&event(&format!("{who}{i}"), 1000 + i, Act::File))
                .unwrap();
        }
    }
    a.merge(&mut b).unwrap();
    let header = a.header().unwrap();
    let (_, h) = a.doc.get(ROOT, "header").unwrap().unwrap();
    let looked_up = |key: &str| text_at(&a, &h, key);
    assert_eq!(header.domain, looked_up("domain"));
    assert_eq!(header.squad, looked_up("squad"));
    let (_, list) = a.doc.get(ROOT, "events").unwrap().unwrap();
    let placed: Vec<String> = (0..a.doc.length(&list))
        .map(|i| {
            let (_, e) = a.doc.get(&list, i).unwrap().unwrap();
            text_at(&a, &e, "id")
        })
        .collect();
    let read: Vec<String> = a.events().unwrap().into_iter().map(|e| e.id).collect();
    assert_eq!(read.len(), 6);
    assert_eq!(read, placed);
}

/// The string at `key` of map `obj`, looked up on its own.
fn text_at(d: &CaseDoc, obj: &automerge::ObjId, key: &str) -> String {
    match d.doc.get(obj, key).unwrap() {
        Some((automerge::Value::Scalar(s), _)) => s.as_str().unwrap().to_owned(),
        other => panic!("{key}: {other:?}"),
    }
}
