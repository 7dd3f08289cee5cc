//! The base station over real HTTPS on 127.0.0.1, with a client that pins its self-signed
//! certificate: enrolment, signed uploads with receipts the device accepts, and every kind of
//! bad request refused with a clear status and nothing changed.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use qc_chain::{Action, Entry, SignedEntry};
use qc_domain::{FixedClock, Timestamp};
use qc_identity::BureauKey;
use qc_server::http::{
    AppState, Limits, MAX_BODY, MAX_ENROL_BODY, fingerprint, router_with, self_signed,
    serve_tls_with,
};
use qc_server::{Identity, Service, SqliteStorage};
use qc_sync::auth::RequestAuth;
use qc_sync::wire::{
    DocsUp, EnrolRequest, EnrolResponse, ErrorBody, PushEntries, SyncRequest, SyncResponse,
};
use qc_sync::witness::Witness;

const NOW: Timestamp = Timestamp(1_795_000_000_000);

struct Station {
    url: String,
    cert: String,
    client: reqwest::blocking::Client,
    code: String,
    officer: (SigningKey, qc_identity::SignedCertificate),
    runtime: tokio::runtime::Runtime,
    running: qc_server::http::Running,
}

fn station() -> Station {
    station_with(&Limits::default())
}

fn station_with(limits: &Limits) -> Station {
    let bureau = BureauKey::from_seed(&[1; 32]);
    let (okey, ocert) = qc_server::fixtures::officer(
        &bureau,
        Timestamp(NOW.0 - 1000),
        Timestamp(NOW.0 + 86_400_000),
    );
    let service = Service::new(
        SqliteStorage::temporary().unwrap(),
        Identity {
            bureau,
            log_key: SigningKey::from_bytes(&[40; 32]),
            certificates: vec![ocert.clone()],
            revocations: None,
            desk_seed: [50; 32],
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
    let state = Arc::new(AppState::new(
        service,
        Arc::new(FixedClock(NOW)),
        qc_server::http::DEFAULT_WORKING,
    ));
    let (cert, key) = self_signed(&["localhost".into(), "127.0.0.1".into()]).unwrap();
    assert_eq!(fingerprint(&cert).unwrap().len(), 64);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (running, _task) = runtime
        .block_on(serve_tls_with(
            router_with(state, limits),
            "127.0.0.1:0".parse().unwrap(),
            cert.clone(),
            key,
            limits,
        ))
        .unwrap();
    // A device's client: it names its protocol with every request, as the app does.
    let protocol = [(
        reqwest::header::HeaderName::from_static(qc_sync::PROTOCOL_HEADER),
        reqwest::header::HeaderValue::from_static(qc_sync::PROTOCOL),
    )];
    let client = reqwest::blocking::Client::builder()
        .default_headers(protocol.into_iter().collect())
        .tls_certs_only([reqwest::Certificate::from_pem(cert.as_bytes()).unwrap()])
        .build()
        .unwrap();
    Station {
        url: format!("https://127.0.0.1:{}", running.addr.port()),
        cert,
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
            action: Action::RecordCreated,
            case: "case-1".into(),
            heads: vec![[seq as u8; 32]],
            blobs: vec![],
            records: vec![],
        };
        out.push(SignedEntry::sign(&e, device, &[&officer.0]));
    }
    out
}

/// What the station's health endpoint says.
fn health_of(s: &Station) -> serde_json::Value {
    s.client
        .get(format!("{}/v1/health", s.url))
        .send()
        .unwrap()
        .json()
        .unwrap()
}

/// A sync uploading `entries` with case-1's document (the station judges their scope by it).
fn upload(entries: &[SignedEntry]) -> SyncRequest {
    let mut doc = qc_server::fixtures::case("case-1", "一中队", NOW);
    SyncRequest {
        push: PushEntries {
            entries: entries.to_vec(),
            known_size: 0,
        },
        up: DocsUp {
            docs: vec![qc_sync::wire::DocChanges {
                case: "case-1".into(),
                changes: hex::encode(doc.changes_after(&[])),
            }],
        },
        want: None,
        bureau: None,
    }
}

fn post(s: &Station, key: &SigningKey, body: &[u8], nonce: u8) -> reqwest::blocking::Response {
    send(s, key, "POST", "/v1/sync", body, nonce)
}

/// A request signed by tablet-a's `key`.
fn send(
    s: &Station,
    key: &SigningKey,
    method: &str,
    path: &str,
    body: &[u8],
    nonce: u8,
) -> reqwest::blocking::Response {
    send_typed(s, key, (method, path), (body, None), nonce)
}

/// As [`send`], the body of the content type given.
fn send_typed(
    s: &Station,
    key: &SigningKey,
    (method, path): (&str, &str),
    (body, content_type): (&[u8], Option<&str>),
    nonce: u8,
) -> reqwest::blocking::Response {
    let auth = RequestAuth::sign("tablet-a", key, method, path, body, NOW, [nonce; 16]);
    let mut req = s
        .client
        .request(method.parse().unwrap(), format!("{}{path}", s.url))
        .body(body.to_vec());
    if let Some(t) = content_type {
        req = req.header("content-type", t);
    }
    for (k, v) in auth.headers() {
        req = req.header(k, v);
    }
    req.send().unwrap()
}

/// Enrols tablet-a with the station's code; returns its key and what the station answered.
fn enrol_tablet(s: &Station) -> (SigningKey, EnrolResponse) {
    let device = SigningKey::from_bytes(&[30; 32]);
    let r = s
        .client
        .post(format!("{}/v1/enrol", s.url))
        .json(&EnrolRequest {
            code: s.code.clone(),
            device_id: "tablet-a".into(),
            label: "一中队 平板1".into(),
            public_key: hex::encode(device.verifying_key().to_bytes()),
        })
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    (device, r.json().unwrap())
}

#[test]
fn a_device_enrols_uploads_and_gets_receipts_over_pinned_https() {
    let s = station();
    let health = health_of(&s);
    assert_eq!(health["status"], "ok");

    let (device, enrolled) = enrol_tablet(&s);
    let log_key: [u8; 32] = hex::decode(&enrolled.log_key).unwrap().try_into().unwrap();
    let mut witness = Witness::new(log_key);

    let f = feed(&s.officer, &device, 4);
    let body = serde_json::to_vec(&upload(&f)).unwrap();
    let r = post(&s, &device, &body, 1);
    assert_eq!(r.status(), 200);
    let resp: SyncResponse = r.json().unwrap();
    assert_eq!(witness.accept_push(&f, &resp.push).unwrap().len(), 4);

    anyone_checks_the_log_from_its_tiles(&s, &log_key, &f);
    let get = |path: &str| s.client.get(format!("{}{path}", s.url)).send().unwrap();
    assert_eq!(get("/v1/live").status(), 200);
    assert_eq!(get("/v1/ready").status(), 200);
    let metrics = get("/metrics").text().unwrap();
    for line in [
        "quancheng_log_entries 4",
        "quancheng_log_appended_entries_total 4",
        "quancheng_sequencer_uploads_total 1",
        r#"quancheng_http_requests_total{route="/v1/sync",method="POST",status="200"} 1"#,
        r#"quancheng_http_request_duration_seconds_count{route="/v1/sync"} 1"#,
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} in:\n{metrics}");
    }

    // The same request again is a replay.
    let r = post(&s, &device, &body, 1);
    assert_eq!(r.status(), 409);
    assert_eq!(r.json::<ErrorBody>().unwrap().code, "replay");

    // A stranger's key, a changed body, a missing header, bad JSON (an oversized body: see
    // a_stranger_cannot_make_the_station_read_or_hold_large_bodies).
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
    let health = health_of(&s);
    assert_eq!(health["log_size"], 4);
    s.running
        .handle
        .graceful_shutdown(Some(std::time::Duration::from_secs(5)));
    drop(s.runtime);
}

/// A device of protocol 3 sends its sync in CBOR and reads the answer in CBOR; one of
/// protocol 2 still sends and reads JSON, and both are told the same.
#[test]
fn a_sync_in_cbor_is_answered_in_cbor_and_one_in_json_in_json() {
    let s = station();
    let (device, enrolled) = enrol_tablet(&s);
    let log_key: [u8; 32] = hex::decode(&enrolled.log_key).unwrap().try_into().unwrap();
    let mut witness = Witness::new(log_key);
    let f = feed(&s.officer, &device, 3);
    let req = upload(&f);
    let sync = |body: &[u8], content_type, nonce| {
        send_typed(
            &s,
            &device,
            ("POST", "/v1/sync"),
            (body, content_type),
            nonce,
        )
    };
    let cbor = qc_sync::body::CBOR;
    let r = sync(&qc_sync::body::to_cbor(&req), Some(cbor), 1);
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], cbor);
    let resp: SyncResponse = qc_sync::body::from_cbor(&r.bytes().unwrap()).unwrap();
    assert_eq!(witness.accept_push(&f, &resp.push).unwrap().len(), 3);

    // The same entries again in JSON: the same receipts, in JSON.
    let r = sync(&serde_json::to_vec(&req).unwrap(), None, 2);
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    let again: SyncResponse = r.json().unwrap();
    assert_eq!(again.push.receipts, resp.push.receipts);

    // Bytes that are not CBOR of a sync are refused, as bad JSON is; nothing is taken.
    let r = sync(b"{\"push\": 1}", Some(cbor), 3);
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<ErrorBody>().unwrap().code, "bad_request");
    let health = health_of(&s);
    assert_eq!(health["log_size"], 3);
}

/// An app older than the station serves (protocol 1 sent no header; it cannot decode the
/// chain actions of protocol 2) is told to update before anything of its request is taken;
/// what is anyone's to read stays open.
#[test]
fn a_device_of_an_older_protocol_is_told_to_update() {
    let s = station();
    let (key, _) = enrol_tablet(&s);
    let old = reqwest::blocking::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(s.cert.as_bytes()).unwrap()])
        .build()
        .unwrap();
    let body = serde_json::to_vec(&SyncRequest {
        push: PushEntries {
            entries: Vec::new(),
            known_size: 0,
        },
        up: DocsUp { docs: Vec::new() },
        want: None,
        bureau: None,
    })
    .unwrap();
    let auth = RequestAuth::sign("tablet-a", &key, "POST", "/v1/sync", &body, NOW, [40; 16]);
    for sent in [None, Some("quancheng-sync/1")] {
        let mut req = old.post(format!("{}/v1/sync", s.url)).body(body.clone());
        for (k, v) in auth.headers() {
            req = req.header(k, v);
        }
        if let Some(sent) = sent {
            req = req.header(qc_sync::PROTOCOL_HEADER, sent);
        }
        let r = req.send().unwrap();
        assert_eq!(r.status(), 426, "{sent:?}");
        assert_eq!(
            r.headers()[reqwest::header::UPGRADE],
            qc_sync::PROTOCOL,
            "a 426 names the protocol to upgrade to"
        );
        let said: serde_json::Value = r.json().unwrap();
        assert_eq!(said["code"], "app_outdated");
        assert!(
            said["message"].as_str().unwrap().contains("请先更新应用"),
            "{said}"
        );
    }
    let enrol = old
        .post(format!("{}/v1/enrol", s.url))
        .body("{}")
        .send()
        .unwrap();
    assert_eq!(enrol.status(), 426);
    let blob = old
        .get(format!("{}/v1/blobs/case-1/{}", s.url, "0".repeat(64)))
        .send()
        .unwrap();
    assert_eq!(blob.status(), 426);
    let health = old.get(format!("{}/v1/health", s.url)).send().unwrap();
    assert_eq!(health.status(), 200, "what is anyone's to read stays open");
    // The same request from an app of this protocol goes through (the nonce was not spent).
    assert_eq!(post(&s, &key, &body, 40).status(), 200);
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

/// A TLS connection to the station that pins its certificate, to send what no well-behaved
/// client would.
type Raw = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

fn raw_tcp(s: &Station) -> TcpStream {
    let tcp = TcpStream::connect(s.running.addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    tcp
}

fn raw_tls(s: &Station) -> Raw {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(s.cert.as_bytes()).unwrap())
        .unwrap();
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let conn =
        rustls::ClientConnection::new(Arc::new(config), "127.0.0.1".try_into().unwrap()).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, raw_tcp(s));
    while tls.conn.is_handshaking() {
        tls.conn.complete_io(&mut tls.sock).unwrap();
    }
    tls
}

/// Whether the station closed the connection (rather than the read timing out).
fn closed(read: std::io::Result<usize>) -> bool {
    match read {
        Ok(n) => n == 0,
        Err(e) => !matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
    }
}

/// Sends a request's head and the first `sent` bytes of a body of `length`; headers signed by
/// tablet-a's `key` (over another body: the signature is never checked this far).
/// The header line by which a device names its protocol.
fn protocol_line() -> String {
    format!("{}: {}\r\n", qc_sync::PROTOCOL_HEADER, qc_sync::PROTOCOL)
}

fn start_upload(raw: &mut Raw, device: &str, key: &SigningKey, length: usize, sent: usize) {
    let auth = RequestAuth::sign(device, key, "POST", "/v1/sync", b"", NOW, [9; 16]);
    let mut head = format!(
        "POST /v1/sync HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: {length}\r\n{}",
        protocol_line()
    );
    for (k, v) in auth.headers() {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    raw.write_all(head.as_bytes()).unwrap();
    raw.write_all(&vec![b' '; sent]).unwrap();
    raw.flush().unwrap();
}

/// The status of the answer on a raw connection (its first line), or None if none came.
fn status(raw: &mut Raw) -> Option<u16> {
    let mut got = Vec::new();
    let mut buf = [0u8; 512];
    while !got.windows(2).any(|w| w == b"\r\n") {
        match raw.read(&mut buf) {
            Ok(n) if n > 0 => got.extend_from_slice(&buf[..n]),
            _ => return None,
        }
    }
    String::from_utf8_lossy(&got)
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
}

#[test]
fn silent_idle_and_trickling_connections_are_closed() {
    let s = station_with(&Limits {
        handshake: Duration::from_secs(1),
        headers: Duration::from_secs(1),
        ..Limits::default()
    });
    let silent: Vec<TcpStream> = (0..20).map(|_| raw_tcp(&s)).collect();
    let mut idle: Vec<Raw> = (0..20).map(|_| raw_tls(&s)).collect();
    // One that asked once and keeps the connection, one that trickles its headers.
    let mut kept = raw_tls(&s);
    kept.write_all(b"GET /v1/health HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
        .unwrap();
    assert_eq!(status(&mut kept), Some(200));
    let mut trickling = raw_tls(&s);
    trickling.write_all(b"GET /v1/health HTTP/1.1\r\n").unwrap();
    let start = Instant::now();
    let mut cut = false;
    while start.elapsed() < Duration::from_secs(4) && !cut {
        std::thread::sleep(Duration::from_millis(200));
        cut = trickling
            .write_all(b"x-a: b\r\n")
            .and_then(|()| trickling.flush())
            .is_err();
    }
    assert!(
        cut || closed(trickling.read(&mut [0; 64])),
        "a trickle is cut off"
    );
    for mut c in silent {
        assert!(closed(c.read(&mut [0; 64])), "no handshake: closed");
    }
    for c in &mut idle {
        assert!(closed(c.read(&mut [0; 64])), "no request: closed");
    }
    let mut rest = Vec::new();
    assert!(
        closed(kept.read_to_end(&mut rest)),
        "idle after a request: closed"
    );
    assert!(start.elapsed() < Duration::from_secs(8));
}

#[test]
fn a_stranger_cannot_make_the_station_read_or_hold_large_bodies() {
    let s = station_with(&Limits {
        body: Duration::from_secs(1),
        wait_for_room: Duration::from_millis(500),
        bodies_held: 2 << 20,
        ..Limits::default()
    });
    let (device, _) = enrol_tablet(&s);
    // A device the station does not know, or over the limits: refused on its headers, while
    // almost all of the body is still to come.
    let mut stranger = raw_tls(&s);
    start_upload(&mut stranger, "tablet-zz", &device, MAX_BODY, 64 << 10);
    assert_eq!(status(&mut stranger), Some(401));
    // A device in good standing whose clock is off is told so, its body read but not kept.
    let stale = Timestamp(NOW.0 - 10 * 60 * 1000);
    let big = vec![b' '; 8 << 20];
    let auth = RequestAuth::sign(
        "tablet-a", &device, "POST", "/v1/sync", &big, stale, [8; 16],
    );
    let mut req = s.client.post(format!("{}/v1/sync", s.url)).body(big);
    for (k, v) in auth.headers() {
        req = req.header(k, v);
    }
    let r = req.send().unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<ErrorBody>().unwrap().code, "clock_skew");
    let mut huge = raw_tls(&s);
    start_upload(&mut huge, "tablet-a", &device, MAX_BODY + 1, 64 << 10);
    assert_eq!(status(&mut huge), Some(413));
    let mut enrol = raw_tls(&s);
    enrol
        .write_all(
            format!(
                "POST /v1/enrol HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: {}\r\n{}\r\n",
                8 << 20,
                protocol_line()
            )
            .as_bytes(),
        )
        .unwrap();
    assert_eq!(status(&mut enrol), Some(413), "over {MAX_ENROL_BODY} bytes");
    // Whoever claims a known device (its id is no secret) gets room for its body only within
    // the budget, and only for a while.
    let mut holding: Vec<Raw> = (0..2).map(|_| raw_tls(&s)).collect();
    for h in &mut holding {
        start_upload(h, "tablet-a", &device, 1 << 20, 1000);
    }
    std::thread::sleep(Duration::from_millis(200));
    let mut third = raw_tls(&s);
    start_upload(&mut third, "tablet-a", &device, 1 << 20, 1000);
    let waited = Instant::now();
    assert_eq!(status(&mut third), Some(503), "no room: busy");
    assert!(waited.elapsed() < Duration::from_secs(3));
    for h in &mut holding {
        assert_eq!(status(h), Some(408), "a body too slow to arrive");
    }
    // The room is free again.
    let r = send(&s, &device, "GET", "/v1/log/consistency?from=0", b"", 1);
    assert_eq!(r.status(), 200);
}

#[test]
fn wrong_codes_are_answered_429_with_when_to_retry() {
    let s = station();
    let enrol = |code: &str| {
        s.client
            .post(format!("{}/v1/enrol", s.url))
            .json(&EnrolRequest {
                code: code.into(),
                device_id: "tablet-a".into(),
                label: "平板".into(),
                public_key: hex::encode(
                    SigningKey::from_bytes(&[30; 32]).verifying_key().to_bytes(),
                ),
            })
            .send()
            .unwrap()
    };
    for _ in 0..qc_server::service::WRONG_CODES_PER_SOURCE {
        assert_eq!(enrol("AAAA-BBBB-CCCC").status(), 403);
    }
    let r = enrol(&s.code);
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=600).contains(&retry), "{retry}");
    let body: ErrorBody = r.json().unwrap();
    assert_eq!(body.code, "too_many_attempts");
    assert!(body.message.contains("分钟后再试"), "{}", body.message);
}

#[test]
fn bad_query_strings_and_upper_case_hashes_are_answered_400() {
    let s = station();
    let (device, _) = enrol_tablet(&s);
    let chunk = vec![7u8; 1 << 20];
    let hash = "ab".repeat(32);
    for (nonce, path) in [
        (1, format!("/v1/blobs/case-1/{hash}?size=many&offset=0")),
        (2, format!("/v1/blobs/case-1/{hash}?offset=0")),
        (
            3,
            format!(
                "/v1/blobs/case-1/{}?size=1048576&offset=0",
                hash.to_uppercase()
            ),
        ),
    ] {
        let r = send(&s, &device, "PUT", &path, &chunk, nonce);
        assert_eq!(r.status(), 400, "{path}");
        assert_eq!(r.json::<ErrorBody>().unwrap().code, "bad_request");
    }
    let r = send(&s, &device, "GET", "/v1/log/consistency?from=x", b"", 4);
    assert_eq!(r.status(), 400);
}

/// What an outside witness does with standard tooling, without a device key: fetch the signed
/// note, check it under the log key, rebuild the tree from the entry bundle and compare it
/// with the hash tile and the note's root.
fn anyone_checks_the_log_from_its_tiles(s: &Station, log_key: &[u8; 32], logged: &[SignedEntry]) {
    let get = |path: &str| {
        s.client
            .get(format!("{}/v1/log/{path}", s.url))
            .send()
            .unwrap()
    };
    let note = get("checkpoint").text().unwrap();
    let key = ed25519_dalek::VerifyingKey::from_bytes(log_key).unwrap();
    let origin = format!("quancheng.station/{}", hex::encode(&log_key[..8]));
    let checkpoint = qc_tlog::note::NoteCheckpoint::open(&note, &origin, &key).unwrap();
    assert_eq!(checkpoint.size, logged.len() as u64);
    let bundle = get(&format!("tile/entries/000.p/{}", logged.len()));
    assert_eq!(bundle.status(), 200);
    let hashes = qc_tlog::parse_entry_bundle(&bundle.bytes().unwrap()).unwrap();
    assert_eq!(
        hashes,
        logged.iter().map(SignedEntry::hash).collect::<Vec<_>>()
    );
    let mut tiles = qc_tlog::MemTiles::new();
    let built = qc_tlog::integrate(&qc_tlog::TreeState::EMPTY, &tiles, &hashes).unwrap();
    tiles.apply(&built);
    assert_eq!(
        built.state.root, checkpoint.root,
        "the entries make the signed root"
    );
    let tile = get(&format!("tile/0/000.p/{}", logged.len()))
        .bytes()
        .unwrap();
    assert_eq!(
        Some(&tile.to_vec()),
        tiles.tiles.get(&qc_tlog::TileId { level: 0, index: 0 })
    );
    // Past the log's end, or spelt otherwise, there is nothing.
    for path in [
        "tile/0/000",
        "tile/0/000.p/9",
        "tile/entries/001.p/1",
        "tile/0/0",
    ] {
        assert_eq!(get(path).status(), 404, "{path}");
    }
}
