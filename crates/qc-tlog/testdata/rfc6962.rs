// The RFC 6962 reference data (Certificate Transparency's) for tests, included by qc-tlog's
// and qc-log's: leaves, roots for sizes 0 to 8, inclusion and consistency proofs.

#[derive(serde::Deserialize)]
struct Rfc6962 {
    leaves: Vec<String>,
    roots: Vec<String>,
    inclusion: Vec<(u64, u64, Vec<String>)>,
    consistency: Vec<(u64, u64, Vec<String>)>,
}

fn rfc() -> Rfc6962 {
    serde_json::from_str(include_str!("rfc6962.json")).unwrap()
}

/// The reference leaves' bytes.
fn rfc_leaves() -> Vec<Vec<u8>> {
    rfc()
        .leaves
        .iter()
        .map(|h| hex::decode(h).unwrap())
        .collect()
}
