//! A station's test officer and case documents, shared by this crate's tests, its HTTPS tests, the
//! load benchmark and the tablet's tests (each process makes the same ones from fixed seeds). Not
//! for production use.

use ed25519_dalek::SigningKey;
use qc_domain::{Role, Timestamp};
use qc_identity::{BureauKey, SignedCertificate, Subject};

/// 李明 of 一中队, an enforcement officer: his key (from a fixed seed) and the certificate
/// `bureau` issues him, valid from `from` until `until`.
pub fn officer(
    bureau: &BureauKey,
    from: Timestamp,
    until: Timestamp,
) -> (SigningKey, SignedCertificate) {
    let key = SigningKey::from_bytes(&[20; 32]);
    let cert = bureau
        .issue(
            20,
            Subject::Officer {
                person_id: "li.ming".into(),
                name: "李明".into(),
                cert_no: Some("41030021001".into()),
                role: Role::EnforcementOfficer,
                squad: "一中队".into(),
            },
            key.verifying_key().to_bytes(),
            from,
            until,
        )
        .unwrap_or_else(|e| panic!("the test officer's certificate: {e}"));
    (key, cert)
}

/// A road-occupation case `id` of `squad`, registered by 李明 at `at`, as a tablet makes it.
pub fn case(id: &str, squad: &str, at: Timestamp) -> qc_casedoc::CaseDoc {
    use qc_domain::{CaseHeader, CaseId, CaseSource, Location, PersonId};
    let header = CaseHeader {
        id: CaseId(id.into()),
        source: CaseSource::SelfDiscovered,
        domain: "transport".into(),
        violation: "transport.road_occupation".into(),
        location: Location {
            address: "景华路88号".into(),
            grid: "JX".into(),
            gps: None,
        },
        parties: vec![],
        summary: "占道堆放货物".into(),
        squad: squad.into(),
        registered_at: at,
        registered_by: PersonId("li.ming".into()),
    };
    qc_casedoc::CaseDoc::create(&header, b"tablet-a", at)
        .unwrap_or_else(|e| panic!("the test case document: {e}"))
}

/// A preservation notice `id` made by `by` at `at`: a record to change a case document with.
pub fn notice(id: &str, by: &str, at: Timestamp) -> qc_domain::Record {
    qc_domain::Record {
        id: id.into(),
        body: qc_domain::RecordBody::Preservation(qc_domain::Notice {
            items: vec![],
            kept_at: "仓库".into(),
            officers: vec![],
            party: None,
            issued_at: at,
        }),
        signoff: None,
        corrects: None,
        created_at: at,
        created_by: qc_domain::PersonId(by.into()),
    }
}
