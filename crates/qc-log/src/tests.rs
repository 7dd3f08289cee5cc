use super::*;

/// The RFC 6962 reference leaves (Certificate Transparency's test data).
fn leaves() -> Vec<Vec<u8>> {
    [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
    .iter()
    .map(|h| hex::decode(h).unwrap())
    .collect()
}

/// Reference roots for sizes 0 to 8.
const ROOTS: [&str; 9] = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

fn d(h: &str) -> Digest {
    hex::decode(h).unwrap().try_into().unwrap()
}

fn log_of(n: usize) -> Log<Vec<u8>> {
    Log::from_leaves(leaves().into_iter().take(n))
}

#[test]
fn roots_match_the_rfc_reference_for_every_size() {
    for (n, want) in ROOTS.iter().enumerate() {
        assert_eq!(hex::encode(log_of(n).root()), *want, "size {n}");
    }
}

#[test]
fn inclusion_proofs_match_the_rfc_reference() {
    // (leaf index, tree size, audit path)
    let vectors: [(u64, usize, &[&str]); 4] = [
        (
            0,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            5,
            8,
            &[
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            3,
            &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
        ),
        (
            1,
            5,
            &[
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];
    let all = leaves();
    for (index, size, path) in vectors {
        let log = log_of(size);
        let proof = log.inclusion(index).unwrap();
        let want: Vec<Digest> = path.iter().map(|h| d(h)).collect();
        assert_eq!(proof, want, "leaf {index} of {size}");
        let root = d(ROOTS[size]);
        verify_inclusion(&all[index as usize], index, size as u64, &root, &proof).unwrap();
        assert_eq!(
            verify_inclusion(
                &all[index as usize],
                index,
                size as u64,
                &d(ROOTS[0]),
                &proof
            ),
            Err(LogError::NotIncluded)
        );
    }
}

#[test]
fn consistency_proofs_match_the_rfc_reference() {
    let vectors: [(u64, usize, &[&str]); 4] = [
        (1, 1, &[]),
        (
            1,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            5,
            &[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];
    for (old, size, path) in vectors {
        let proof = log_of(size).consistency(old).unwrap();
        let want: Vec<Digest> = path.iter().map(|h| d(h)).collect();
        assert_eq!(proof, want, "{old} -> {size}");
        verify_consistency(
            old,
            &d(ROOTS[old as usize]),
            size as u64,
            &d(ROOTS[size]),
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
