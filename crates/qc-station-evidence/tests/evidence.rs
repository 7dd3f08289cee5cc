//! The evidence suite on every store (local files, object_store's local files, SeaweedFS's S3
//! with signatures enforced), and what only an object store has: S3's part sizes and a store
//! that dies mid-upload.
#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use object_store::ObjectStoreExt as _;
use object_store::multipart::{MultipartStore, PartId};
use object_store::path::Path;
use qc_station_evidence::suite::{self, Place, data, read_all, send, sha256};
use qc_station_evidence::{Evidence, LocalEvidence, ObjectEvidence, S3Config};
use qc_test_services::Seaweed;

const KEY: [u8; 32] = [7; 32];
const K: usize = 64 * 1024;
const MIB: usize = 1024 * 1024;

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// Flips a byte of `blobs/<hex>` through the store itself.
fn flip_object(e: &ObjectEvidence, hash: &[u8; 32], at: u64) {
    let key = Path::from(format!("blobs/{}", hex::encode(hash)));
    let store = e.store().clone();
    block_on(async move {
        let mut bytes = store
            .get(&key)
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .to_vec();
        bytes[at as usize] ^= 1;
        store.put(&key, bytes.into()).await.unwrap();
    });
}

fn s3_config(s3: &Seaweed, bucket: &str) -> S3Config {
    S3Config {
        endpoint: s3.endpoint(),
        bucket: bucket.to_string(),
        region: s3.region().to_string(),
        access_key: s3.access_key().to_string(),
        secret_key: s3.secret_key().to_string(),
        allow_http: true,
        retry_timeout: None,
    }
}

#[test]
fn local_evidence_passes_the_suite() {
    suite::run(|| {
        let dir = Arc::new(tempfile::tempdir().unwrap());
        let at = dir.clone();
        Place {
            open: Box::new(move || LocalEvidence::open(at.path(), KEY).unwrap()),
            flip: Box::new(move |_, hash, at| {
                let name = hex::encode(hash);
                let path = dir.path().join(&name[..2]).join(&name);
                let mut bytes = std::fs::read(&path).unwrap();
                bytes[at as usize] ^= 1;
                std::fs::write(&path, bytes).unwrap();
            }),
        }
    });
}

#[test]
fn object_evidence_on_local_files_passes_the_suite() {
    suite::run(|| {
        let dir = Arc::new(tempfile::tempdir().unwrap());
        Place {
            open: Box::new(move || ObjectEvidence::local(dir.path(), KEY).unwrap()),
            flip: Box::new(flip_object),
        }
    });
}

#[test]
fn object_evidence_on_seaweed_s3_passes_the_suite() {
    let s3 = Arc::new(Seaweed::start_with_credentials().unwrap());
    suite::run(|| {
        let config = s3_config(&s3, &s3.new_bucket().unwrap());
        let s3 = s3.clone();
        Place {
            open: Box::new(move || {
                let _alive = &s3;
                ObjectEvidence::s3(&config, KEY).unwrap()
            }),
            flip: Box::new(flip_object),
        }
    });
}

#[test]
fn wrong_credentials_are_refused() {
    let s3 = Seaweed::start_with_credentials().unwrap();
    let mut config = s3_config(&s3, s3.bucket());
    config.secret_key = "wrong".into();
    config.retry_timeout = Some(Duration::from_secs(2));
    let e = ObjectEvidence::s3(&config, KEY).unwrap();
    assert!(
        e.contains(&[1; 32]).is_err(),
        "a wrong signature is refused"
    );
    assert!(e.begin(&[1; 32], 10).is_err());
}

#[derive(serde::Deserialize)]
struct Manifest {
    parts: Vec<Part>,
    pending: Vec<Part>,
}

#[derive(serde::Deserialize)]
struct Part {
    offset: u64,
    len: u64,
}

fn manifest(e: &ObjectEvidence, hash: &[u8; 32]) -> Manifest {
    let key = Path::from(format!("uploads/{}.json", hex::encode(hash)));
    let store = e.store().clone();
    let bytes = block_on(async move { store.get(&key).await.unwrap().bytes().await.unwrap() });
    serde_json::from_slice(&bytes).unwrap()
}

#[test]
fn s3_parts_are_at_least_5_mib_but_the_last() {
    let s3 = Seaweed::start_with_credentials().unwrap();
    let e = ObjectEvidence::s3(&s3_config(&s3, s3.bucket()), KEY).unwrap();
    let blob = data(11 * MIB + 3 * K + 9, 10);
    let hash = sha256(&blob);
    let size = blob.len() as u64;
    e.begin(&hash, size).unwrap();
    // 64 KiB pieces only: every part is made of waiting pieces.
    send(&e, &hash, &blob, &[K; 170]);
    let m = manifest(&e, &hash);
    assert_eq!(m.parts.len(), 2);
    let mut at = 0;
    for p in &m.parts {
        assert_eq!(p.offset, at, "parts follow each other");
        assert!(
            p.len >= 5 * MIB as u64,
            "a part but the last is at least 5 MiB"
        );
        at += p.len;
    }
    assert_eq!(m.pending.len(), (170 * K - at as usize) / K);
    send(&e, &hash, &blob, &[K; 10]);
    assert!(e.finish(&hash, size, true).unwrap());
    assert!(read_all(&e, &hash) == blob);
    // Nothing of the upload is left: only the blob.
    assert_eq!(keys_in(&e), [format!("blobs/{}", hex::encode(hash))]);
}

#[test]
fn an_upload_survives_the_store_being_killed_and_restarted() {
    let mut s3 = Seaweed::start_with_credentials().unwrap();
    let mut config = s3_config(&s3, s3.bucket());
    config.retry_timeout = Some(Duration::from_secs(3));
    let blob = data(14 * MIB + 5, 11);
    let hash = sha256(&blob);
    let size = blob.len() as u64;
    let a = ObjectEvidence::s3(&config, KEY).unwrap();
    a.begin(&hash, size).unwrap();
    // A part, and pieces waiting.
    send(&a, &hash, &blob, &[6 * MIB, K, K]);
    let held = a.received(&hash, size).unwrap();

    s3.kill();
    let at = held as usize;
    let cut = a.receive(&hash, size, held, &blob[at..at + 5 * MIB]);
    assert!(cut.is_err(), "the store is down");
    s3.restart().unwrap();

    // Another process carries on from what the manifest says.
    let b = ObjectEvidence::s3(&config, KEY).unwrap();
    assert_eq!(b.received(&hash, size).unwrap(), held);
    send(&b, &hash, &blob, &[5 * MIB, K, 8 * MIB]);
    assert!(b.finish(&hash, size, false).unwrap());
    assert!(
        read_all(&a, &hash) == blob,
        "the first instance reads it too"
    );
}

/// A process that put a part (or a waiting piece) and died before rewriting the manifest: the
/// manifest is put back as it was before, and the device sends the same piece again.
fn a_piece_put_but_not_in_the_manifest_is_harmless(e: &ObjectEvidence) {
    let blob = data(13 * MIB + 11, 12);
    let hash = sha256(&blob);
    let size = blob.len() as u64;
    let key = Path::from(format!("uploads/{}.json", hex::encode(hash)));
    let store = e.store().clone();
    let snapshot = || {
        let (store, key) = (store.clone(), key.clone());
        block_on(async move { store.get(&key).await.unwrap().bytes().await.unwrap() })
    };
    let restore = |bytes: Vec<u8>| {
        let (store, key) = (store.clone(), key.clone());
        block_on(async move { store.put(&key, bytes.into()).await.unwrap() });
    };
    e.begin(&hash, size).unwrap();
    // A part lost from the manifest (no pieces were waiting, so nothing else changed).
    let before = snapshot().to_vec();
    send(e, &hash, &blob, &[6 * MIB]);
    restore(before);
    assert_eq!(e.received(&hash, size).unwrap(), 0);
    send(e, &hash, &blob, &[K, 2 * K]);
    // A waiting piece lost from the manifest.
    let before = snapshot().to_vec();
    send(e, &hash, &blob, &[K]);
    restore(before);
    assert_eq!(e.received(&hash, size).unwrap(), 3 * K as u64);
    // Sent again: the first part is put again under its number, now of other bytes.
    send(e, &hash, &blob, &[K, 6 * MIB]);
    send(e, &hash, &blob, &[5 * MIB + K, 8 * MIB]);
    assert!(e.finish(&hash, size, false).unwrap());
    assert!(read_all(e, &hash) == blob);
}

#[test]
fn a_piece_lost_from_the_manifest_is_harmless_on_local_objects() {
    let dir = tempfile::tempdir().unwrap();
    a_piece_put_but_not_in_the_manifest_is_harmless(
        &ObjectEvidence::local(dir.path(), KEY).unwrap(),
    );
}

#[test]
fn a_piece_lost_from_the_manifest_is_harmless_on_s3() {
    let s3 = Seaweed::start_with_credentials().unwrap();
    a_piece_put_but_not_in_the_manifest_is_harmless(
        &ObjectEvidence::s3(&s3_config(&s3, s3.bucket()), KEY).unwrap(),
    );
}

/// An object store that notes each request made to it (the method and whether the key is a
/// blob, a manifest or something else), both as a store and as multipart uploads.
#[derive(Debug)]
struct Counting {
    inner: Arc<object_store::aws::AmazonS3>,
    seen: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Counting {
    fn note(&self, what: &str, key: &Path) {
        let kind = if key.as_ref().starts_with("blobs/") {
            "blob"
        } else if key.as_ref().ends_with(".json") {
            "manifest"
        } else {
            "other"
        };
        self.seen.lock().unwrap().push(format!("{what} {kind}"));
    }

    fn take(&self) -> Vec<String> {
        std::mem::take(&mut self.seen.lock().unwrap())
    }
}

impl std::fmt::Display for Counting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Counting({})", self.inner)
    }
}

#[async_trait::async_trait]
impl object_store::ObjectStore for Counting {
    async fn put_opts(
        &self,
        location: &Path,
        payload: object_store::PutPayload,
        opts: object_store::PutOptions,
    ) -> object_store::Result<object_store::PutResult> {
        self.note("put", location);
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: object_store::PutMultipartOptions,
    ) -> object_store::Result<Box<dyn object_store::MultipartUpload>> {
        self.note("streamed put", location);
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(
        &self,
        location: &Path,
        options: object_store::GetOptions,
    ) -> object_store::Result<object_store::GetResult> {
        self.note(if options.head { "head" } else { "get" }, location);
        self.inner.get_opts(location, options).await
    }

    fn delete_stream(
        &self,
        locations: futures_util::stream::BoxStream<'static, object_store::Result<Path>>,
    ) -> futures_util::stream::BoxStream<'static, object_store::Result<Path>> {
        self.seen.lock().unwrap().push("delete".into());
        self.inner.delete_stream(locations)
    }

    fn list(
        &self,
        prefix: Option<&Path>,
    ) -> futures_util::stream::BoxStream<'static, object_store::Result<object_store::ObjectMeta>>
    {
        self.seen.lock().unwrap().push("list".into());
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(
        &self,
        prefix: Option<&Path>,
    ) -> object_store::Result<object_store::ListResult> {
        self.seen.lock().unwrap().push("list".into());
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(
        &self,
        from: &Path,
        to: &Path,
        options: object_store::CopyOptions,
    ) -> object_store::Result<()> {
        self.note("copy", to);
        self.inner.copy_opts(from, to, options).await
    }
}

#[async_trait::async_trait]
impl MultipartStore for Counting {
    async fn create_multipart(
        &self,
        path: &Path,
    ) -> object_store::Result<object_store::MultipartId> {
        self.note("create multipart", path);
        self.inner.create_multipart(path).await
    }

    async fn put_part(
        &self,
        path: &Path,
        id: &object_store::MultipartId,
        part_idx: usize,
        data: object_store::PutPayload,
    ) -> object_store::Result<PartId> {
        self.note("put part", path);
        self.inner.put_part(path, id, part_idx, data).await
    }

    async fn complete_multipart(
        &self,
        path: &Path,
        id: &object_store::MultipartId,
        parts: Vec<PartId>,
    ) -> object_store::Result<object_store::PutResult> {
        self.note("complete multipart", path);
        self.inner.complete_multipart(path, id, parts).await
    }

    async fn abort_multipart(
        &self,
        path: &Path,
        id: &object_store::MultipartId,
    ) -> object_store::Result<()> {
        self.note("abort multipart", path);
        self.inner.abort_multipart(path, id).await
    }
}

/// Everything in the bucket but SeaweedFS's own object named after it.
fn keys_in(e: &ObjectEvidence) -> Vec<String> {
    use futures_util::TryStreamExt as _;
    let store = e.store().clone();
    let mut keys: Vec<String> = block_on(async move {
        store
            .list(None)
            .map_ok(|m| m.location.to_string())
            .try_collect()
            .await
            .unwrap()
    });
    keys.retain(|k| k.contains('/'));
    keys
}

#[test]
fn a_blob_in_one_piece_is_put_whole_in_one_request() {
    let s3 = Seaweed::start_with_credentials().unwrap();
    let config = s3_config(&s3, s3.bucket());
    let _ = rustls::crypto::ring::default_provider().install_default();
    let inner = object_store::aws::AmazonS3Builder::new()
        .with_endpoint(&config.endpoint)
        .with_bucket_name(&config.bucket)
        .with_region(&config.region)
        .with_access_key_id(&config.access_key)
        .with_secret_access_key(&config.secret_key)
        .with_allow_http(true)
        .with_virtual_hosted_style_request(false)
        .build()
        .unwrap();
    let counting = Arc::new(Counting {
        inner: Arc::new(inner),
        seen: Arc::default(),
    });
    let e = ObjectEvidence::with_store(counting.clone(), counting.clone(), KEY).unwrap();

    // A file under a device's chunk size, sent in one piece.
    let blob = data(2 * MIB + 500 * K + 7, 13);
    let hash = sha256(&blob);
    let size = blob.len() as u64;
    e.begin(&hash, size).unwrap();
    assert_eq!(
        counting.take(),
        ["get manifest", "put manifest"],
        "begin: no multipart upload yet"
    );
    e.receive(&hash, size, 0, &blob).unwrap();
    assert_eq!(
        counting.take(),
        ["get manifest", "put blob", "delete"],
        "the piece: the sealed blob put whole, the manifest dropped"
    );
    assert!(e.contains(&hash).unwrap(), "kept as it arrived");
    assert!(
        e.finish(&hash, size, false).unwrap(),
        "finishing finds it kept"
    );
    assert!(read_all(&e, &hash) == blob);
    assert_eq!(keys_in(&e), [format!("blobs/{}", hex::encode(hash))]);

    // The wrong bytes in one piece: stored as any piece, never visible, refused.
    counting.take();
    let claimed = sha256(b"not these bytes");
    let wrong = data(blob.len(), 14);
    e.begin(&claimed, size).unwrap();
    e.receive(&claimed, size, 0, &wrong).unwrap();
    assert!(
        counting.take().contains(&"put part blob".to_string()),
        "put as a part"
    );
    assert!(!e.contains(&claimed).unwrap(), "not visible");
    assert_eq!(e.received(&claimed, size).unwrap(), size);
    assert!(!e.finish(&claimed, size, false).unwrap(), "refused");
    assert!(!e.contains(&claimed).unwrap(), "nothing visible");
    assert!(matches!(
        e.open(&claimed),
        Err(qc_station_evidence::EvidenceError::NotFound(_))
    ));
    assert!(
        e.finish(&claimed, size, false).is_err(),
        "nothing to finish"
    );
    assert_eq!(
        keys_in(&e),
        [format!("blobs/{}", hex::encode(hash))],
        "nothing of the refused upload is left"
    );

    // A file the caller checked as it arrived whole, with no upload begun: one request.
    counting.take();
    let other = data(blob.len(), 15);
    let other_hash = sha256(&other);
    e.put_whole(&other_hash, &other).unwrap();
    assert_eq!(counting.take(), ["put blob"], "kept in one request");
    assert!(read_all(&e, &other_hash) == other);
    assert_eq!(keys_in(&e).len(), 2, "the blob alone, no manifest");
}

/// Reads an object of the store whole.
fn object(e: &ObjectEvidence, key: &str) -> Vec<u8> {
    let (store, key) = (e.store().clone(), Path::from(key));
    block_on(async move { store.get(&key).await.unwrap().bytes().await.unwrap() }).to_vec()
}

/// An upload a station began before format 2 (its manifest naming a ChaCha20 nonce prefix)
/// goes on in format 1 after the upgrade, whichever instance continues it, and reads back;
/// uploads begun after it are sealed in format 2.
#[test]
fn an_upload_begun_before_format_2_goes_on_in_format_1() {
    let dir = tempfile::tempdir().unwrap();
    let e = ObjectEvidence::local(dir.path(), KEY).unwrap();
    let blob = data(7 * MIB + 3 * K + 9, 15);
    let hash = sha256(&blob);
    let size = blob.len() as u64;
    e.begin(&hash, size).unwrap();
    // The manifest as the code before format 2 wrote it.
    let key = format!("uploads/{}.json", hex::encode(hash));
    let mut m: serde_json::Value = serde_json::from_slice(&object(&e, &key)).unwrap();
    let fields = m.as_object_mut().unwrap();
    assert!(fields.remove("header").is_some());
    fields.insert("nonce_prefix".into(), "0102030405060a".into());
    let (store, path) = (e.store().clone(), Path::from(key));
    block_on(async move {
        let json = serde_json::to_vec(&m).unwrap();
        store.put(&path, json.into()).await.unwrap();
    });
    send(&e, &hash, &blob, &[K, 6 * MIB]);
    let other = ObjectEvidence::local(dir.path(), KEY).unwrap();
    send(&other, &hash, &blob, &[2 * K, 2 * MIB]);
    assert!(other.finish(&hash, size, false).unwrap());
    let sealed = object(&e, &format!("blobs/{}", hex::encode(hash)));
    assert_eq!(sealed[..15], *b"QCBLOB\0\x01\x01\x02\x03\x04\x05\x06\x0a");
    assert!(read_all(&e, &hash) == blob);

    let again = data(MIB + 5, 16);
    let hash = sha256(&again);
    e.put_whole(&hash, &again).unwrap();
    assert_eq!(
        object(&e, &format!("blobs/{}", hex::encode(hash)))[..4],
        *b"QCB\x02"
    );
}
