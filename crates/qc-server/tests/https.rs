//! The base station over real HTTPS on 127.0.0.1, with a client that pins its self-signed
//! certificate: enrolment, signed uploads with receipts the device accepts, and every kind of
//! bad request refused with a clear status and nothing changed.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use ed25519_dalek::SigningKey;
use qc_chain::{Action, Entry, SignedEntry};
use qc_domain::{FixedClock, Timestamp};
use qc_identity::BureauKey;
use qc_server::http::{AppState, fingerprint, router, self_signed, serve_tls};
use qc_server::{Identity, Service, SqliteStorage};
use qc_sync::auth::RequestAuth;
use qc_sync::wire::{
    DocsUp, EnrolRequest, EnrolResponse, ErrorBody, PushEntries, SyncRequest, SyncResponse,
};
use qc_sync::witness::Witness;

const NOW: Timestamp = Timestamp(1_795_000_000_000);

struct Station {
    url: String,
    client: reqwest::blocking::Client,
    code: String,
    officer: (SigningKey, qc_identity::SignedCertificate),
    runtime: tokio::runtime::Runtime,
    running: qc_server::http::Running,
}

fn station() -> Station {
    let bureau = BureauKey::from_seed(&[1; 32]);
    let (okey, ocert) = qc_server::fixtures::officer(
        &bureau,
        Timestamp(NOW.0 - 1000),
        Timestamp(NOW.0 + 86_400_000),
    );
    let mut service = Service::new(
        SqliteStorage::temporary().unwrap(),
        Identity {
            bureau,
            log_key: SigningKey::from_bytes(&[40; 32]),
            certificates: vec![ocert.clone()],
            revocations: None,
        },
    )
    .unwrap();
    let code = service
        .issue_enrolment_code(
            &qc_server::storage::Grant::Device {
                squad: "一中队".into(),
            },
            [3; 8],
            NOW,
        )
        .unwrap();
    let state = Arc::new(AppState {
        service: Mutex::new(service),
        clock: Arc::new(FixedClock(NOW)),
    });
    let (cert, key) = self_signed(&["localhost".into(), "127.0.0.1".into()]).unwrap();
    assert_eq!(fingerprint(&cert).unwrap().len(), 64);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (running, _task) = runtime
        .block_on(serve_tls(
            router(state),
            "127.0.0.1:0".parse().unwrap(),
            cert.clone(),
            key,
        ))
        .unwrap();
    let client = reqwest::blocking::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(cert.as_bytes()).unwrap()])
        .build()
        .unwrap();
    Station {
        url: format!("https://127.0.0.1:{}", running.addr.port()),
        client,
        code,
        officer: (okey, ocert),
        runtime,
        running,
    }
}

fn feed(
    officer: &(SigningKey, qc_identity::SignedCertificate),
    device: &SigningKey,
    n: u64,
) -> Vec<SignedEntry> {
    let mut out: Vec<SignedEntry> = Vec::new();
    for seq in 1..=n {
        let e = Entry {
            device: "tablet-a".into(),
            seq,
            prev: out.last().map_or([0; 32], SignedEntry::hash),
            time: Timestamp(NOW.0 + seq as i64),
            actors: vec![officer.1.id()],
            action: Action::Workflow { act: "file".into() },
            case: "case-1".into(),
            heads: vec![[seq as u8; 32]],
            blobs: vec![],
            records: vec![],
        };
        out.push(SignedEntry::sign(&e, device, &[&officer.0]));
    }
    out
}

fn post(s: &Station, key: &SigningKey, body: &[u8], nonce: u8) -> reqwest::blocking::Response {
    let auth = RequestAuth::sign("tablet-a", key, "POST", "/v1/sync", body, NOW, [nonce; 16]);
    let mut req = s
        .client
        .post(format!("{}/v1/sync", s.url))
        .body(body.to_vec());
    for (k, v) in auth.headers() {
        req = req.header(k, v);
    }
    req.send().unwrap()
}

#[test]
fn a_device_enrols_uploads_and_gets_receipts_over_pinned_https() {
    let s = station();
    let health: serde_json::Value = s
        .client
        .get(format!("{}/v1/health", s.url))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(health["status"], "ok");

    let device = SigningKey::from_bytes(&[30; 32]);
    let enrolled: EnrolResponse = s
        .client
        .post(format!("{}/v1/enrol", s.url))
        .json(&EnrolRequest {
            code: s.code.clone(),
            device_id: "tablet-a".into(),
            label: "一中队 平板1".into(),
            public_key: hex::encode(device.verifying_key().to_bytes()),
        })
        .send()
        .unwrap()
        .json()
        .unwrap();
    let log_key: [u8; 32] = hex::decode(&enrolled.log_key).unwrap().try_into().unwrap();
    let mut witness = Witness::new(log_key);

    let f = feed(&s.officer, &device, 4);
    let body = serde_json::to_vec(&SyncRequest {
        push: PushEntries {
            entries: f.clone(),
            known_size: 0,
        },
        up: DocsUp { docs: vec![] },
        want: None,
    })
    .unwrap();
    let r = post(&s, &device, &body, 1);
    assert_eq!(r.status(), 200);
    let resp: SyncResponse = r.json().unwrap();
    assert_eq!(witness.accept_push(&f, &resp.push).unwrap().len(), 4);

    // The same request again is a replay.
    let r = post(&s, &device, &body, 1);
    assert_eq!(r.status(), 409);
    assert_eq!(r.json::<ErrorBody>().unwrap().code, "replay");

    // A stranger's key, a changed body, a missing header, bad JSON, an oversized body.
    let stranger = SigningKey::from_bytes(&[31; 32]);
    assert_eq!(post(&s, &stranger, &body, 2).status(), 401);
    let auth = RequestAuth::sign("tablet-a", &device, "POST", "/v1/sync", &body, NOW, [3; 16]);
    let mut req = s
        .client
        .post(format!("{}/v1/sync", s.url))
        .body(b"{\"entries\":[],\"known_size\":0}".to_vec());
    for (k, v) in auth.headers() {
        req = req.header(k, v);
    }
    assert_eq!(
        req.send().unwrap().status(),
        401,
        "body changed after signing"
    );
    let r = s
        .client
        .post(format!("{}/v1/sync", s.url))
        .body(body.clone())
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<ErrorBody>().unwrap().code, "missing_header");
    assert_eq!(post(&s, &device, b"{not json", 4).status(), 400);
    let huge = vec![b' '; qc_server::http::MAX_BODY + 1];
    assert_eq!(post(&s, &device, &huge, 5).status(), 413);
    let r = s
        .client
        .post(format!("{}/v1/enrol", s.url))
        .json(&EnrolRequest {
            code: s.code.clone(),
            device_id: "tablet-x".into(),
            label: "x".into(),
            public_key: hex::encode(stranger.verifying_key().to_bytes()),
        })
        .send()
        .unwrap();
    assert_eq!(r.status(), 403, "a used code");

    // After all that, the server is up and its log is exactly the four entries.
    let health: serde_json::Value = s
        .client
        .get(format!("{}/v1/health", s.url))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(health["log_size"], 4);
    s.running
        .handle
        .graceful_shutdown(Some(std::time::Duration::from_secs(5)));
    drop(s.runtime);
}

#[test]
fn a_client_that_does_not_trust_the_pinned_certificate_cannot_connect() {
    let s = station();
    let (other, _) = self_signed(&["127.0.0.1".into()]).unwrap();
    let client = reqwest::blocking::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(other.as_bytes()).unwrap()])
        .build()
        .unwrap();
    assert!(client.get(format!("{}/v1/health", s.url)).send().is_err());
}
