//! Evidence uploads over a link that drops: a proxy between a tablet and the station cuts the
//! connection once at a random byte offset of what the tablet sends (TLS handshakes, the sync
//! request, chunk uploads alike), 50 times over. Every time the upload resumes where the
//! station's copy stopped (never from the start), and the station ends with the identical file,
//! once.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use qc_api::Quancheng;
use qc_api::records::NewEvidence;
use qc_api::station::Station;
use qc_evidence::sample::Video;
use qc_tests::Xorshift;
use qc_tests::fixtures::{new_case, open_investigation};
use qc_tests::station::{Bureau, pin};

/// Bytes the proxy lets through from the tablet before it cuts (negative: no cut pending).
struct Proxy {
    budget: Arc<AtomicI64>,
    upstream_bytes: Arc<AtomicU64>,
    port: u16,
}

impl Proxy {
    fn start(to: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let budget = Arc::new(AtomicI64::new(-1));
        let upstream_bytes = Arc::new(AtomicU64::new(0));
        let (b, u) = (budget.clone(), upstream_bytes.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(("127.0.0.1", to)) else {
                    continue;
                };
                let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let (b, u) = (b.clone(), u.clone());
                std::thread::spawn(move || forward(client, server, Some((b, u))));
                std::thread::spawn(move || forward(s2, c2, None));
            }
        });
        Proxy {
            budget,
            upstream_bytes,
            port,
        }
    }

    /// Cuts the next connection after `n` more bytes from the tablet.
    fn cut_after(&self, n: i64) {
        self.budget.store(n, Ordering::SeqCst);
    }
}

fn forward(
    mut from: TcpStream,
    mut to: TcpStream,
    count: Option<(Arc<AtomicI64>, Arc<AtomicU64>)>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut pass = n;
        let mut cut = false;
        if let Some((budget, total)) = &count {
            let left = budget.load(Ordering::SeqCst);
            if left >= 0 {
                pass = n.min(left as usize);
                cut = pass < n || left as usize == n;
                let after = if cut { -1 } else { left - n as i64 };
                budget.store(after, Ordering::SeqCst);
            }
            total.fetch_add(pass as u64, Ordering::SeqCst);
        }
        if to.write_all(&buf[..pass]).is_err() || cut {
            break;
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}

const CHUNK: usize = 64 * 1024;
const SIZE: u64 = 512 * 1024;

#[test]
fn an_upload_cut_at_random_offsets_resumes_and_ends_with_the_identical_file_once() {
    let tmp = tempfile::tempdir().unwrap();
    let bureau = Bureau::start(tmp.path()).unwrap();
    let mut home = bureau.app().unwrap();
    let li = home.unlock("li.ming", &pin("li.ming")).unwrap();
    let wang = home.unlock("wang.fang", &pin("wang.fang")).unwrap();
    let liu = home.unlock("liu.jianguo", &pin("liu.jianguo")).unwrap();
    let case = home
        .register_case(new_case("景华路88号", "执法记录仪全程录像"), &li)
        .unwrap()
        .0;
    open_investigation(&mut home, &case, &liu, [&li, &wang]).unwrap();
    home.sync().unwrap();
    let port: u16 = bureau
        .station
        .url
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let proxy = Proxy::start(port);
    home.set_station(&Station {
        url: format!("https://127.0.0.1:{}", proxy.port),
        ..bureau.station.clone()
    })
    .unwrap();
    home.set_upload_chunk(CHUNK);
    let mut reader: Quancheng = bureau
        .tablet(&tmp.path().join("reader"), "一中队", &[])
        .unwrap();

    let mut rng = Xorshift(0x5eed_2026_1123);
    for trial in 0..50u64 {
        let len = SIZE + trial * 4099;
        let item = home
            .add_evidence(
                &case,
                Video::new(len),
                NewEvidence {
                    file_name: format!("DSJ_{trial:03}.mp4"),
                    description: "现场执法录像".into(),
                    attestation: None,
                },
                &[&li, &wang],
            )
            .unwrap();
        // The cut falls anywhere in what the sync sends: a TLS handshake, the request with
        // the entries, a status query, or inside a chunk.
        let cut = 200 + rng.below(len) as i64;
        let before = proxy.upstream_bytes.load(Ordering::SeqCst);
        proxy.cut_after(cut);
        let mut attempts = 0;
        let report = loop {
            attempts += 1;
            match home.sync() {
                Ok(r) => break r,
                Err(e) if attempts < 3 => {
                    assert_eq!(
                        e.code(),
                        "station_unreachable",
                        "trial {trial}, cut {cut}: {e}"
                    );
                }
                Err(e) => panic!("trial {trial}, cut {cut}: {e}"),
            }
        };
        let sent = proxy.upstream_bytes.load(Ordering::SeqCst) - before;
        // Resumed, never restarted: at most the chunk in flight is sent twice (plus request
        // overhead), however late the cut came.
        assert!(
            sent < len + 2 * CHUNK as u64 + 200_000,
            "trial {trial}, cut {cut}: {sent} bytes sent for a file of {len}"
        );
        assert!(
            proxy.budget.load(Ordering::SeqCst) < 0,
            "trial {trial}: the cut happened"
        );
        let _ = report;

        // The station holds the identical file, once: another tablet reads it back.
        reader.sync().unwrap();
        let (_, evidence) = reader.case_file(&case).unwrap();
        let facts = &evidence.iter().find(|e| e.facts.id == item).unwrap().facts;
        let hash: [u8; 32] = hex::decode(&facts.sha256).unwrap().try_into().unwrap();
        assert!(reader.fetch_blob(&case, &hash).unwrap(), "trial {trial}");
        let mut original = Vec::new();
        Video::new(len).read_to_end(&mut original).unwrap();
        assert!(
            reader.read_blob(&hash).unwrap() == original,
            "trial {trial}: identical"
        );
    }
    let status = home.sync_status().unwrap();
    assert_eq!((status.unsynced_entries, status.pending_files), (0, 0));
}
