//! Verifying a device feed against raw ed25519 batch verification of the same signatures, in
//! the same run. `QC_BENCH_ENTRIES` sets the feed length (default 1,000,000).

#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
use qc_chain::{Action, Entry, FeedHead, SignedEntry, verify_feed};
use qc_domain::{Role, Timestamp};
use qc_identity::cert::signed_message;
use qc_identity::{BureauKey, SignedCertificate, Subject, TrustAnchor};

const T0: Timestamp = Timestamp(1_772_409_600_000);

struct Fixture {
    anchor: TrustAnchor,
    certs: Vec<SignedCertificate>,
    feed: Vec<SignedEntry>,
    raw: (Vec<Vec<u8>>, Vec<Signature>, Vec<VerifyingKey>),
}

fn fixture(n: usize) -> Fixture {
    let bureau = BureauKey::from_seed(&[1; 32]);
    let year = Timestamp(T0.0 + 365 * 86_400_000);
    let device = SigningKey::from_bytes(&[2; 32]);
    let mut certs = vec![
        bureau
            .issue(
                1,
                Subject::Device {
                    device_id: "tablet-1".into(),
                    squad: "一中队".into(),
                    label: "平板".into(),
                },
                device.verifying_key().to_bytes(),
                T0,
                year,
            )
            .unwrap(),
    ];
    let officers: Vec<SigningKey> = (0..2u8)
        .map(|i| {
            let key = SigningKey::from_bytes(&[10 + i; 32]);
            certs.push(
                bureau
                    .issue(
                        2 + u64::from(i),
                        Subject::Officer {
                            person_id: format!("p{i}"),
                            name: format!("执法人员{i}"),
                            cert_no: Some(format!("4103000{i}")),
                            role: Role::EnforcementOfficer,
                            squad: "一中队".into(),
                        },
                        key.verifying_key().to_bytes(),
                        T0,
                        year,
                    )
                    .unwrap(),
            );
            key
        })
        .collect();
    let ids = [certs[1].id(), certs[2].id()];
    let mut feed = Vec::with_capacity(n);
    let mut head = FeedHead::default();
    for i in 0..n {
        // Like real work: most acts by one officer, evidence and sealing by two.
        let two = i % 10 < 3;
        let entry = Entry {
            device: "tablet-1".into(),
            seq: head.seq + 1,
            prev: head.hash,
            time: Timestamp(T0.0 + i as i64),
            actors: if two { ids.to_vec() } else { vec![ids[0]] },
            action: if two {
                Action::EvidenceCaptured
            } else {
                Action::Workflow {
                    act: "notify".into(),
                }
            },
            case: format!("case-{}", i / 20),
            heads: vec![[i as u8; 32]],
            blobs: if two { vec![[7; 32]] } else { vec![] },
            records: vec![],
        };
        let keys: Vec<&SigningKey> = if two {
            officers.iter().collect()
        } else {
            vec![&officers[0]]
        };
        let signed = SignedEntry::sign(&entry, &device, &keys);
        head = FeedHead::after(&signed, &entry);
        feed.push(signed);
    }
    // The same signatures, for the raw baseline.
    let (mut msgs, mut sigs, mut keys) = (Vec::new(), Vec::new(), Vec::new());
    let officer_keys: Vec<VerifyingKey> = officers.iter().map(|k| k.verifying_key()).collect();
    for e in &feed {
        let m = signed_message(&e.bytes);
        let s = |b: &[u8]| Signature::from_bytes(&b.try_into().unwrap());
        msgs.push(m.clone());
        sigs.push(s(&e.device_sig));
        keys.push(device.verifying_key());
        for (i, a) in e.actor_sigs.iter().enumerate() {
            msgs.push(m.clone());
            sigs.push(s(a));
            keys.push(officer_keys[i]);
        }
    }
    Fixture {
        anchor: TrustAnchor::new(bureau.public(), None).unwrap(),
        certs,
        feed,
        raw: (msgs, sigs, keys),
    }
}

fn bench(c: &mut Criterion) {
    let n: usize = std::env::var("QC_BENCH_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let f = fixture(n);
    let signatures = f.raw.1.len();
    let mut g = c.benchmark_group(format!("feed_of_{n}_entries"));
    g.sample_size(10);
    g.throughput(Throughput::Elements(signatures as u64));
    g.bench_function("raw_ed25519_batch_verify", |b| {
        b.iter(|| {
            let (msgs, sigs, keys) = &f.raw;
            for ((m, s), k) in msgs.chunks(256).zip(sigs.chunks(256)).zip(keys.chunks(256)) {
                let m: Vec<&[u8]> = m.iter().map(Vec::as_slice).collect();
                ed25519_dalek::verify_batch(&m, s, k).unwrap();
            }
        })
    });
    g.bench_function("verify_feed", |b| {
        b.iter(|| {
            let r = verify_feed(&f.anchor, &f.certs, &f.feed);
            assert!(r.is_clean());
            r.entries.len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
