//! Two tablets of one squad hold the same case in their own encrypted stores, edit it offline,
//! and merge each other's copies: the signed version of a sealed record stays authoritative on
//! both, the concurrent edit is kept and flagged, the merge that finds it appends a signed
//! entry (once: the flag travels with the document), and both devices' feeds verify together.
#![allow(clippy::unwrap_used)]

use ed25519_dalek::SigningKey;
use qc_casedoc::{CaseDoc, Seal, snapshot};
use qc_chain::{Action, Entry, SignedEntry};
use qc_domain::*;
use qc_identity::{BureauKey, SignedCertificate, Subject, TrustAnchor};
use qc_store::{DbKey, EntryContext, Store, StoreError, Touched};

const T0: Timestamp = Timestamp(1_795_000_000_000);
const YEAR: i64 = 365 * 86_400_000;

struct Device {
    id: &'static str,
    key: SigningKey,
    store: Store,
    _dir: tempfile::TempDir,
}

impl Device {
    fn me(&self) -> (&'static str, SigningKey) {
        (self.id, self.key.clone())
    }
}

struct Squad {
    bureau: BureauKey,
    certs: Vec<SignedCertificate>,
    officers: Vec<(SigningKey, SignedCertificate, Person)>,
}

fn squad() -> Squad {
    let bureau = BureauKey::from_seed(&[3; 32]);
    let mut certs = Vec::new();
    for (n, id) in [(10u8, "tablet-a"), (11, "tablet-b")] {
        let key = SigningKey::from_bytes(&[n; 32]);
        let subject = Subject::Device {
            device_id: id.into(),
            squad: "一中队".into(),
            label: id.into(),
        };
        let pk = key.verifying_key().to_bytes();
        certs.push(
            bureau
                .issue(n.into(), subject, pk, T0, Timestamp(T0.0 + YEAR))
                .unwrap(),
        );
    }
    let mut officers = Vec::new();
    for (n, id, name) in [(20u8, "li.ming", "李明"), (21, "wang.fang", "王芳")] {
        let key = SigningKey::from_bytes(&[n; 32]);
        let person = Person {
            id: PersonId(id.into()),
            name: name.into(),
            role: Role::EnforcementOfficer,
            cert_no: Some(CertNo(format!("4103{n:04}"))),
            squad: "一中队".into(),
        };
        let subject = Subject::Officer {
            person_id: id.into(),
            name: name.into(),
            cert_no: person.cert_no.clone().map(|c| c.0),
            role: person.role,
            squad: person.squad.clone(),
        };
        let pk = key.verifying_key().to_bytes();
        let cert = bureau
            .issue(n.into(), subject, pk, T0, Timestamp(T0.0 + YEAR))
            .unwrap();
        certs.push(cert.clone());
        officers.push((key, cert, person));
    }
    Squad {
        bureau,
        certs,
        officers,
    }
}

fn device(id: &'static str, seed: u8) -> Device {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create(&dir.path().join("q.db"), &DbKey::new([seed; 32])).unwrap();
    Device {
        id,
        key: SigningKey::from_bytes(&[seed; 32]),
        store,
        _dir: dir,
    }
}

/// The signer of one act on `d` by the officers `who` (indexes into the squad).
fn signer<'a>(
    s: &'a Squad,
    (device, key): (&'static str, SigningKey),
    action: Action,
    who: &'a [usize],
    minute: i64,
) -> impl FnOnce(&EntryContext) -> Result<SignedEntry, StoreError> + 'a {
    move |ctx| {
        let e = Entry {
            device: device.into(),
            seq: ctx.head.seq + 1,
            prev: ctx.head.hash,
            time: Timestamp(T0.0 + minute * 60_000),
            actors: who.iter().map(|&i| s.officers[i].1.id()).collect(),
            action,
            case: ctx.case_id.clone(),
            heads: ctx.heads.clone(),
            blobs: ctx.touched.blobs.clone(),
            records: ctx.touched.records.clone(),
        };
        let keys: Vec<&SigningKey> = who.iter().map(|&i| &s.officers[i].0).collect();
        Ok(SignedEntry::sign(&e, &key, &keys))
    }
}

/// Brings `from`'s copy of the case and its feed into `to`; a disturbed seal is flagged and
/// recorded by `to`'s own signed entry. Returns how many records were flagged.
fn merge(s: &Squad, from: &Device, to: &mut Device, case: &str, minute: i64) -> usize {
    let mut remote = from.store.case_doc(case, from.id.as_bytes()).unwrap();
    let feed = from.store.feeds_for_case(case).unwrap();
    let mut flagged = 0;
    let at = Timestamp(T0.0 + minute * 60_000);
    let sign = signer(s, to.me(), Action::MergeConflict, &[], minute);
    let to_id = to.id;
    to.store
        .merge_case(
            to_id,
            &mut remote,
            &feed,
            |doc| -> Result<Option<Touched>, StoreError> {
                let records = doc.flag_disturbed_records(at)?;
                flagged = records.len() / 2;
                Ok((!records.is_empty()).then_some(Touched {
                    blobs: vec![],
                    records,
                }))
            },
            sign,
        )
        .unwrap();
    flagged
}

fn inspection_record(s: &Squad) -> Record {
    let refs = s
        .officers
        .iter()
        .map(|(_, _, p)| OfficerRef::from(&EnforcementOfficer::try_from(p.clone()).unwrap()))
        .collect();
    Record {
        id: "rec-1".into(),
        body: RecordBody::Inspection(Inspection {
            place: Location {
                address: "景华路88号".into(),
                grid: "JX-02-04".into(),
                gps: None,
            },
            started_at: T0,
            ended_at: None,
            officers: refs,
            party: None,
            party_notified: true,
            party_present: true,
            found: "店外堆放货物".into(),
            outcome: None,
        }),
        signoff: None,
        corrects: None,
        created_at: T0,
        created_by: PersonId("li.ming".into()),
    }
}

fn edit(
    d: &mut Device,
    s: &Squad,
    case: &str,
    who: usize,
    minute: i64,
    f: impl FnOnce(&mut Record),
) {
    let sign = signer(
        s,
        d.me(),
        Action::RecordEdited,
        std::slice::from_ref(&[0, 1][who]),
        minute,
    );
    let id = d.id;
    d.store
        .update_case(
            case,
            id,
            |doc| {
                let mut r = doc.record("rec-1")?.unwrap().live;
                f(&mut r);
                doc.put_record(&r, Timestamp(T0.0 + minute * 60_000))?;
                Ok::<_, StoreError>(Touched::default())
            },
            sign,
        )
        .unwrap();
}

#[test]
fn a_concurrent_edit_of_a_sealed_record_is_kept_flagged_and_on_the_chain_on_both_devices() {
    let s = squad();
    let mut a = device("tablet-a", 10);
    let mut b = device("tablet-b", 11);

    // Tablet A registers the case and starts the inspection record; tablet B receives both.
    let header = CaseHeader {
        id: CaseId("case-1".into()),
        source: CaseSource::SelfDiscovered,
        domain: "transport".into(),
        violation: "transport.road_occupation".into(),
        location: Location {
            address: "景华路88号".into(),
            grid: "JX-02-04".into(),
            gps: None,
        },
        parties: vec![],
        summary: "占道堆放货物".into(),
        squad: "一中队".into(),
        registered_at: T0,
        registered_by: PersonId("li.ming".into()),
    };
    let mut doc = CaseDoc::create(&header, b"tablet-a", T0).unwrap();
    let sign = signer(&s, a.me(), Action::CaseRegistered, &[0], 0);
    a.store.insert_case(&mut doc, "tablet-a", sign).unwrap();
    let sign = signer(&s, a.me(), Action::RecordCreated, &[0, 1], 1);
    a.store
        .update_case(
            "case-1",
            "tablet-a",
            |doc| {
                doc.put_record(&inspection_record(&s), T0)?;
                Ok::<_, StoreError>(Touched::default())
            },
            sign,
        )
        .unwrap();
    assert_eq!(merge(&s, &a, &mut b, "case-1", 2), 0);

    // Offline: A completes and seals it; B, not knowing, rewrites the findings.
    edit(&mut a, &s, "case-1", 0, 3, |r| {
        if let RecordBody::Inspection(i) = &mut r.body {
            i.ended_at = Some(Timestamp(T0.0 + 3 * 60_000));
            i.outcome = Some(Outcome721::Management);
        }
        r.signoff = Some(PartySignoff::OfficersNote {
            note: "当事人拒绝签名，现场无见证人".into(),
            party_did_not_sign: Some(NoPartySignature::Refused),
            at: T0,
        });
    });
    let sealed = a
        .store
        .case_doc("case-1", b"tablet-a")
        .unwrap()
        .record("rec-1")
        .unwrap()
        .unwrap()
        .live;
    let (content, digest) = snapshot(&sealed).unwrap();
    let sign = signer(&s, a.me(), Action::RecordSealed, &[0, 1], 4);
    a.store
        .update_case(
            "case-1",
            "tablet-a",
            |doc| {
                doc.seal_record(
                    "rec-1",
                    &Seal {
                        digest: hex::encode(digest),
                        content: content.clone(),
                        at: Timestamp(T0.0 + 4 * 60_000),
                        by: vec![PersonId("li.ming".into()), PersonId("wang.fang".into())],
                    },
                )?;
                Ok::<_, StoreError>(Touched {
                    blobs: vec![],
                    records: vec![digest],
                })
            },
            sign,
        )
        .unwrap();
    edit(&mut b, &s, "case-1", 1, 5, |r| {
        if let RecordBody::Inspection(i) = &mut r.body {
            i.found = "店外堆放货物约30平方米，另有广告牌一块".into();
        }
    });

    // Back at the base station, each merges the other's copy.
    assert_eq!(merge(&s, &b, &mut a, "case-1", 6), 1, "A finds B's edit");
    assert_eq!(
        merge(&s, &a, &mut b, "case-1", 7),
        0,
        "B receives the seal with A's flag: one conflict, recorded once"
    );
    // Once both hold everything, merging again finds nothing new and records nothing.
    assert_eq!(merge(&s, &b, &mut a, "case-1", 8), 0);
    assert_eq!(merge(&s, &a, &mut b, "case-1", 9), 0);

    let mut da = a.store.case_doc("case-1", b"tablet-a").unwrap();
    let mut db = b.store.case_doc("case-1", b"tablet-b").unwrap();
    assert_eq!(
        da.heads_digests(),
        db.heads_digests(),
        "the copies converge"
    );
    for doc in [&da, &db] {
        let r = doc.record("rec-1").unwrap().unwrap();
        assert_eq!(
            r.authoritative().unwrap(),
            sealed,
            "the signed version stays authoritative"
        );
        assert_eq!(r.conflicts.len(), 1);
        assert!(
            r.conflicts[0].content.contains("30平方米"),
            "the edit is kept"
        );
    }

    // Both feeds, held by either device now, verify against the bureau, and the conflict
    // entry names the sealed digest first.
    let anchor = TrustAnchor::new(s.bureau.public(), None).unwrap();
    let feeds = a.store.feeds_for_case("case-1").unwrap();
    let report = qc_chain::verify_feed(&anchor, &s.certs, &feeds);
    assert!(report.is_clean(), "{:?}", report.problems);
    let conflicts: Vec<&Entry> = report
        .entries
        .iter()
        .map(|v| &v.entry)
        .filter(|e| e.action == Action::MergeConflict)
        .collect();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].device, "tablet-a");
    assert_eq!(conflicts[0].records[0], digest);
    assert_eq!(
        b.store.feeds_for_case("case-1").unwrap().len(),
        feeds.len(),
        "both devices hold the same entries"
    );
}
