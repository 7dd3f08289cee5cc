use super::*;

include!("../../qc-tlog/testdata/rfc6962.rs");

fn d(h: &str) -> Digest {
    hex::decode(h).unwrap().try_into().unwrap()
}

fn log_of(n: usize) -> Log<Vec<u8>> {
    Log::from_leaves(rfc_leaves().into_iter().take(n))
}

#[test]
fn roots_match_the_rfc_reference_for_every_size() {
    for (n, want) in rfc().roots.iter().enumerate() {
        assert_eq!(hex::encode(log_of(n).root()), *want, "size {n}");
    }
}

#[test]
fn inclusion_proofs_match_the_rfc_reference() {
    let (all, rfc) = (rfc_leaves(), rfc());
    for (index, size, path) in rfc.inclusion {
        let size = size as usize;
        let log = log_of(size);
        let proof = log.inclusion(index).unwrap();
        let want: Vec<Digest> = path.iter().map(|h| d(h)).collect();
        assert_eq!(proof, want, "leaf {index} of {size}");
        let root = d(&rfc.roots[size]);
        verify_inclusion(&all[index as usize], index, size as u64, &root, &proof).unwrap();
        assert_eq!(
            verify_inclusion(
                &all[index as usize],
                index,
                size as u64,
                &d(&rfc.roots[0]),
                &proof
            ),
            Err(LogError::NotIncluded)
        );
    }
}

#[test]
fn consistency_proofs_match_the_rfc_reference() {
    let rfc = rfc();
    for (old, size, path) in rfc.consistency {
        let size = size as usize;
        let proof = log_of(size).consistency(old).unwrap();
        let want: Vec<Digest> = path.iter().map(|h| d(h)).collect();
        assert_eq!(proof, want, "{old} -> {size}");
        verify_consistency(
            old,
            &d(&rfc.roots[old as usize]),
            size as u64,
            &d(&rfc.roots[size]),
            &proof,
        )
        .unwrap();
    }
}

/// Leaves made from a counter, for trees of any size.
fn counted(n: u64) -> Log<Vec<u8>> {
    Log::from_leaves((0..n).map(|i| i.to_le_bytes().to_vec()))
}

#[test]
fn every_proof_verifies_in_trees_of_every_shape_and_a_changed_leaf_does_not() {
    for size in 1..=33u64 {
        let log = counted(size);
        let root = log.root();
        for i in 0..size {
            let proof = log.inclusion(i).unwrap();
            verify_inclusion(&i.to_le_bytes(), i, size, &root, &proof).unwrap();
            assert!(verify_inclusion(&(i + 1000).to_le_bytes(), i, size, &root, &proof).is_err());
        }
        for old in 1..=size {
            let proof = log.consistency(old).unwrap();
            let old_root = counted(old).root();
            verify_consistency(old, &old_root, size, &root, &proof).unwrap();
        }
    }
}

#[test]
fn a_rewritten_log_fails_the_consistency_check() {
    let honest = counted(20);
    let old_root = counted(9).root();
    // The server rewrites entry 4 and keeps appending.
    let rewritten = Log::from_leaves((0..20u64).map(|i| {
        if i == 4 {
            b"forged".to_vec()
        } else {
            i.to_le_bytes().to_vec()
        }
    }));
    let proof = rewritten.consistency(9).unwrap();
    assert_eq!(
        verify_consistency(9, &old_root, 20, &rewritten.root(), &proof),
        Err(LogError::Inconsistent {
            old_size: 9,
            new_size: 20
        })
    );
    // Dropping entries is caught too: a shorter log cannot extend a longer one.
    let key = SigningKey::from_bytes(&[7; 32]);
    let at = |log: &Log<Vec<u8>>| {
        SignedCheckpoint::sign(&key, log, Timestamp(1))
            .verify(&key.verifying_key())
            .unwrap()
    };
    let (big, small) = (at(&honest), at(&counted(12)));
    assert!(matches!(
        check_extends(&big, &small, &[]),
        Err(LogError::Inconsistent { .. })
    ));
    check_extends(&small, &big, &honest.consistency(12).unwrap()).unwrap();
}

#[test]
fn checkpoint_bytes_are_frozen_and_signed_by_the_server_only() {
    let key = SigningKey::from_bytes(&[7; 32]);
    let log = counted(3);
    let c = SignedCheckpoint::sign(&key, &log, Timestamp(1_795_000_000_000));
    assert_eq!(
        hex::encode(&c.bytes),
        format!(
            "514343484b500001{}03{}{}",
            hex::encode(key.verifying_key().to_bytes()),
            hex::encode(log.root()),
            "80f8b2e5bd68"
        ),
        "checkpoint encoding changed: bump CHECKPOINT_TAG's version"
    );
    let checked = c.verify(&key.verifying_key()).unwrap();
    assert_eq!((checked.size, checked.root), (3, log.root()));
    let other = SigningKey::from_bytes(&[8; 32]).verifying_key();
    assert_eq!(c.verify(&other), Err(LogError::BadCheckpointSignature));
    let mut forged = c.clone();
    forged.bytes[20] ^= 1;
    assert_eq!(
        forged.verify(&key.verifying_key()),
        Err(LogError::BadCheckpointSignature)
    );
}

#[test]
fn a_receipt_proves_its_entry_and_nothing_else() {
    let key = SigningKey::from_bytes(&[7; 32]);
    let entries: Vec<Digest> = (0..11u8).map(|i| [i; 32]).collect();
    let log = Log::from_leaves(entries.clone());
    let checkpoint = SignedCheckpoint::sign(&key, &log, Timestamp(5));
    for (i, e) in entries.iter().enumerate() {
        let r = Receipt {
            checkpoint: checkpoint.clone(),
            index: i as u64,
            proof: log.inclusion(i as u64).unwrap(),
        };
        assert_eq!(r.verify(&key.verifying_key(), e).unwrap().size, 11);
        assert_eq!(
            r.verify(&key.verifying_key(), &[99; 32]),
            Err(LogError::NotIncluded)
        );
    }
}

/// Sizes and indexes at the edges of ct-merkle's arithmetic (2^62, 2^63, u64::MAX).
const EDGES: [u64; 11] = [
    0,
    1,
    2,
    3,
    1 << 62,
    (1 << 62) + 1,
    (1 << 63) - 1,
    1 << 63,
    (1 << 63) + 1,
    u64::MAX - 1,
    u64::MAX,
];

#[test]
fn hostile_sizes_indexes_and_proofs_are_errors_never_panics() {
    let root = [3; 32];
    for size in EDGES {
        for index in EDGES
            .iter()
            .copied()
            .chain([size / 2, size.wrapping_sub(1)])
        {
            for len in 0..=65 {
                let proof = vec![[5; 32]; len];
                assert!(verify_inclusion(b"leaf", index, size, &root, &proof).is_err());
            }
        }
        for old in EDGES {
            for len in 0..=65 {
                let proof = vec![[5; 32]; len];
                let _ = verify_consistency(old, &root, size, &root, &proof);
            }
        }
    }
}

#[test]
fn a_receipt_claiming_a_leaf_index_of_2_to_the_63_is_refused() {
    let key = SigningKey::from_bytes(&[7; 32]);
    let huge = Checkpoint {
        log: key.verifying_key().to_bytes(),
        size: u64::MAX,
        root: [1; 32],
        time: Timestamp(5),
    };
    let r = Receipt {
        checkpoint: SignedCheckpoint::of(&key, &huge),
        index: 1 << 63,
        proof: vec![[2; 32]; 63],
    };
    assert_eq!(
        r.verify(&key.verifying_key(), &[9; 32]),
        Err(LogError::NotIncluded)
    );
}
