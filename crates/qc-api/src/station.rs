//! The base station (基站) from this data directory's side: the station a bureau directory
//! runs, a new tablet's enrolment with a station, and a device's sync: entries up with receipts
//! checked, case documents both ways, evidence files up (resumable) and down on demand.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use std::collections::{BTreeMap, BTreeSet};

use qc_casedoc::CaseDoc;
use qc_document::wording::Wording;
use qc_domain::Clock;
use qc_identity::{
    BureauKey, PinGuard, SignedCertificate, SigningKey, Subject, TrustAnchor, keywrap,
};
use qc_server::service::bureau::BureauKind;
use qc_server::storage::Grant;
use qc_server::{Identity, Service, ServiceError, SqliteStorage, Storage};
use qc_store::{OfficerRecord, Store};
use qc_sync::auth::RequestAuth;
use qc_sync::wire::{
    BlobStatus, BureauFiles, BureauSeen, CaseHeads, CaseLogResponse, ConsistencyResponse,
    DocChanges, DocsDown, DocsUp, DocsWant, EnrolRequest, EnrolResponse, ErrorBody,
    OfficerEnrolRequest, OfficerEnrolResponse, PushEntries, SyncRequest, SyncResponse,
};
use qc_sync::witness::Witness;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::records::unhex;
use crate::{
    ApiError, DataDir, Entropy, Quancheng, Unlocked, entropy, json_err, require_admin,
    stored_revocations,
};

/// Bytes of evidence sent per request: a cut connection loses at most this much.
pub const UPLOAD_CHUNK: usize = 8 * 1024 * 1024;

/// A base station a device syncs with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Station {
    /// Its address (`https://host:port`).
    pub url: String,
    /// Its TLS certificate (PEM), pinned: no other is trusted.
    pub cert_pem: String,
    /// Its log key, hex.
    pub log_key: String,
}

pub use qc_sync::wire::InspectionTask;

/// Where the tablet keeps the 双随机 tasks the last sync brought.
const TASKS_KEY: &str = "inspection_tasks";
/// Where the tablet keeps what it holds of the station's files, and the releases it refused.
const BUREAU_KEY: &str = "bureau_files_held";

/// What a sync did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// Entries uploaded.
    pub sent: usize,
    /// Case documents whose changes went up.
    pub docs_sent: usize,
    /// Case documents whose changes came down.
    pub docs_received: usize,
    /// Receipts received and checked.
    pub receipts: usize,
    /// Evidence files the station now holds whole that it lacked.
    pub blobs_sent: usize,
    /// Evidence bytes sent.
    pub blob_bytes: u64,
    /// The server log's size at the checkpoint now held.
    pub log_size: u64,
    /// 双随机 inspection tasks now held for the people of this device.
    pub tasks: usize,
    /// What became of the bureau's files (权责清单, 文书固定用语) the station sent, in
    /// Chinese: taken, or why not (none sent: nothing changed).
    pub bureau: Option<String>,
    /// Sheets of case-file reviews (案卷评查) fetched.
    pub sheets: usize,
}

/// What is waiting for the base station, for the sync screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncStatus {
    /// The station's address, if one is set.
    pub station: Option<String>,
    /// Entries the station has not given a receipt for.
    pub unsynced_entries: usize,
    /// Cases with changes the station has not acknowledged.
    pub unsynced_cases: usize,
    /// Evidence files still to go up.
    pub pending_files: usize,
    /// Entries in the station's log at the last checkpoint this device checked.
    pub log_size: u64,
    /// This device's entries the station refused at the last sync, by case: until they are
    /// set aside (搁置), no sync goes through.
    pub refused: Vec<crate::refused::RefusedCase>,
}

/// Where a sync is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncStage {
    /// Entries and case documents (one round trip).
    Records,
    /// Evidence files.
    Evidence,
    /// Finished.
    Done,
}

/// Progress of a sync, for a progress bar: items (entries and documents, then files) and bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SyncProgress {
    /// Stage.
    pub stage: SyncStage,
    /// Items done in this stage.
    pub items_done: usize,
    /// Items in this stage.
    pub items_total: usize,
    /// Bytes done in this stage.
    pub bytes_done: u64,
    /// Bytes in this stage.
    pub bytes_total: u64,
}

/// An evidence file still to go up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct PendingBlob {
    case: String,
    hash: String,
}

/// An HTTPS connection to a station, its certificate pinned (cheap to clone: the client is
/// shared).
#[derive(Clone)]
struct Link {
    client: reqwest::blocking::Client,
    url: String,
}

/// The link to a station, with the station (address and certificate) it was made for.
pub(crate) struct CachedLink {
    for_station: (String, String),
    link: Link,
}

fn unreachable(e: &dyn std::fmt::Display) -> ApiError {
    ApiError::Station {
        code: "station_unreachable".into(),
        message: "无法连接基站，请确认已连接基站网络后重试".into(),
        detail: e.to_string(),
    }
}

impl Link {
    fn new(station: &Station) -> Result<Link, ApiError> {
        // One TLS provider for the process (ring); a second install is a no-op.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let cert = reqwest::Certificate::from_pem(station.cert_pem.as_bytes())
            .map_err(|e| unreachable(&e))?;
        let protocol = [(
            reqwest::header::HeaderName::from_static(qc_sync::PROTOCOL_HEADER),
            reqwest::header::HeaderValue::from_static(qc_sync::PROTOCOL),
        )];
        let client = reqwest::blocking::Client::builder()
            .default_headers(protocol.into_iter().collect())
            .tls_certs_only([cert])
            .connect_timeout(std::time::Duration::from_secs(10))
            .timeout(std::time::Duration::from_secs(300))
            // Let go of an idle connection before the station closes it (30 s: qc_server
            // http::Limits), so a request never goes out on one being closed.
            .pool_idle_timeout(std::time::Duration::from_secs(20))
            .build()
            .map_err(|e| unreachable(&e))?;
        Ok(Link {
            client,
            url: station.url.trim_end_matches('/').to_owned(),
        })
    }
}

/// A station's answer: its JSON on success, else its error in plain words.
fn answer<T: DeserializeOwned>(resp: reqwest::blocking::Response) -> Result<T, ApiError> {
    let resp = checked(resp)?;
    resp.json().map_err(|e| unreachable(&e))
}

/// The response if it succeeded, else the station's error.
fn checked(resp: reqwest::blocking::Response) -> Result<reqwest::blocking::Response, ApiError> {
    if resp.status().is_success() {
        return Ok(resp);
    }
    let status = resp.status();
    let err: ErrorBody = resp.json().unwrap_or(ErrorBody {
        code: "station_error".into(),
        message: format!("基站返回错误（{status}）"),
        detail: status.to_string(),
        entries: Vec::new(),
        revocations: None,
    });
    if !err.entries.is_empty() {
        return Err(ApiError::EntriesRefused {
            message: err.message,
            detail: err.detail,
            entries: err.entries,
            revocations: err.revocations.map(Box::new),
        });
    }
    Err(ApiError::Station {
        code: err.code,
        message: err.message,
        detail: err.detail,
    })
}

/// What the station at `url` (its certificate `cert_pem` pinned) logged about `case`: an
/// unauthenticated read, for `quancheng verify --station`, which holds no device key.
pub fn case_log(url: &str, cert_pem: &str, case: &str) -> Result<CaseLogResponse, ApiError> {
    let link = Link::new(&Station {
        url: url.into(),
        cert_pem: cert_pem.into(),
        // The link needs only the address and the certificate.
        log_key: String::new(),
    })?;
    let mut target = reqwest::Url::parse(&link.url).map_err(|e| unreachable(&e))?;
    target
        .path_segments_mut()
        .map_err(|()| unreachable(&format!("{url} cannot take a path")))?
        .pop_if_empty()
        .extend(["v1", "cases", case, "log"]);
    answer(
        link.client
            .get(target)
            .send()
            .map_err(|e| unreachable(&e))?,
    )
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        let b = e.body();
        ApiError::Station {
            code: b.code,
            message: b.message,
            detail: b.detail,
        }
    }
}

impl Quancheng {
    fn secret_or_new(&mut self, name: &str) -> Result<[u8; 32], ApiError> {
        if let Some(s) = self.store.secret(name)? {
            return s
                .as_slice()
                .try_into()
                .map_err(|_| ApiError::Invalid(format!("stored {name} key is not 32 bytes")));
        }
        let k = entropy::random::<32>(self.entropy.as_mut());
        self.store.put_secret(name, &k)?;
        Ok(k)
    }

    /// Where a base station run from this directory keeps its files.
    pub fn station_dir(&self) -> PathBuf {
        self.dir.root().join("station")
    }

    /// The base station run from this (bureau) directory: its store under
    /// [`Self::station_dir`], the bureau key to enrol devices, its own log key, and this
    /// directory's own device registered with the people set up here.
    pub fn station_service(&mut self) -> Result<Service<SqliteStorage>, ApiError> {
        let storage = self.station_storage()?;
        self.station_service_on(storage)
    }

    /// Whether an embedded station was ever started from this directory.
    pub fn has_embedded_station(&self) -> bool {
        self.station_dir().join("station.db").exists()
    }

    /// The embedded station run from this directory, if it was ever started.
    pub fn embedded_station(&mut self) -> Result<Option<Service<SqliteStorage>>, ApiError> {
        if self.has_embedded_station() {
            Ok(Some(self.station_service()?))
        } else {
            Ok(None)
        }
    }

    /// The embedded store of the station run from this directory (created if missing).
    pub fn station_storage(&mut self) -> Result<SqliteStorage, ApiError> {
        let storage_key = self.secret_or_new("station_db")?;
        let dir = self.station_dir();
        std::fs::create_dir_all(&dir).map_err(|source| ApiError::Io {
            path: dir.clone(),
            source,
        })?;
        Ok(SqliteStorage::open(&dir.join("station.db"), &storage_key)
            .map_err(ServiceError::from)?)
    }

    /// The key this station seals evidence files with, whatever keeps its other state: a
    /// station moved from SQLite to PostgreSQL still reads the files it kept.
    pub fn station_blob_key(&mut self) -> Result<[u8; 32], ApiError> {
        Ok(qc_server::blob_key(&self.secret_or_new("station_db")?))
    }

    /// The base station run from this (bureau) directory on `storage` (PostgreSQL, for a
    /// city's endpoint of several processes): the same keys and people as
    /// [`Self::station_service`].
    pub fn station_service_on<S: Storage>(&mut self, storage: S) -> Result<Service<S>, ApiError> {
        let seed: [u8; 32] = self
            .store
            .secret("bureau")?
            .and_then(|s| s.as_slice().try_into().ok())
            .ok_or_else(|| ApiError::Invalid("this data directory holds no bureau key".into()))?;
        let log = self.secret_or_new("log")?;
        let mut certificates = self.certificates()?;
        let own = certificates.remove(0);
        let people: Vec<SignedCertificate> = certificates
            .into_iter()
            .filter(|c| c.decode_unverified().is_ok_and(|c| c.person().is_some()))
            .collect();
        let service = Service::new(
            storage,
            Identity {
                bureau: BureauKey::from_seed(&seed),
                log_key: SigningKey::from_bytes(&log),
                certificates: people,
                revocations: stored_revocations(&self.store)?,
                desk_seed: desk_seed(&seed),
            },
        )?;
        service.register_device(&self.device_id, &own)?;
        Ok(service)
    }

    /// A one-time code (valid for a day) for enrolling a new device of a squad, or a person's
    /// key on an enrolled device. Administrators only.
    pub fn issue_enrolment_code(
        &mut self,
        grant: &Grant,
        admin: &Unlocked,
    ) -> Result<String, ApiError> {
        let service = self.station_service()?;
        self.issue_enrolment_code_on(&service, grant, admin)
    }

    /// [`Self::issue_enrolment_code`] at the station `service` (on whichever store it keeps).
    pub fn issue_enrolment_code_on<S: Storage>(
        &mut self,
        service: &Service<S>,
        grant: &Grant,
        admin: &Unlocked,
    ) -> Result<String, ApiError> {
        require_admin(admin, "issue enrolment codes")?;
        let random: [u8; 8] = entropy::random(self.entropy.as_mut());
        let code = service.issue_enrolment_code(grant, random, self.now())?;
        tracing::info!(?grant, by = %admin.person().id, "enrolment code issued");
        Ok(code)
    }

    /// A metadata value kept as JSON.
    pub(crate) fn meta_json<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, ApiError> {
        self.store
            .meta(key)?
            .map(|b| serde_json::from_slice(&b).map_err(json_err))
            .transpose()
    }

    /// Keeps a metadata value as JSON.
    pub(crate) fn set_meta_json<T: Serialize + ?Sized>(
        &self,
        key: &str,
        value: &T,
    ) -> Result<(), ApiError> {
        self.store
            .set_meta(key, &serde_json::to_vec(value).map_err(json_err)?)?;
        Ok(())
    }

    /// Takes the bureau's files the station sent, each on its own: released under the bureau's
    /// key for exactly that text, readable, a catalogue not older than the one held and keeping
    /// every violation type a case here uses. What became of each, in Chinese; what is held
    /// now, and each release refused, is noted for the station. A store that fails is an
    /// error (the sync is tried again), never a refusal.
    pub(crate) fn adopt_bureau(&mut self, files: &BureauFiles) -> Result<String, ApiError> {
        let mut said = Vec::new();
        for (kind, file) in [
            (BureauKind::Catalogue, &files.catalogue),
            (BureauKind::Wording, &files.wording),
        ] {
            let Some(file) = file else { continue };
            let (code, name) = (kind.code(), kind.zh());
            let mut seen = self.bureau_seen();
            match self.take_bureau_file(kind, file)? {
                Ok(what) => {
                    tracing::info!(file = code, "a bureau file taken from the station");
                    said.push(format!("已按基站更新{name}{what}"));
                    seen.hold(code, Some(file.digest()));
                }
                Err(why) => {
                    tracing::warn!(file = code, why, "a bureau file from the station refused");
                    said.push(format!("基站下发的{name}未被采用：{why}"));
                    seen.refuse(file.release.digest());
                }
            }
            self.set_meta_json(BUREAU_KEY, &seen)?;
        }
        Ok(said.join("；"))
    }

    /// What this tablet holds of the station's files (a record it cannot read: nothing, so the
    /// station sends them again).
    fn bureau_seen(&self) -> BureauSeen {
        self.meta_json(BUREAU_KEY)
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// Notes that the file of `kind` held here is no longer the station's (one imported here).
    pub(crate) fn forget_station_file(&self, kind: BureauKind) -> Result<(), ApiError> {
        let mut seen = self.bureau_seen();
        seen.hold(kind.code(), None);
        self.set_meta_json(BUREAU_KEY, &seen)
    }

    /// Puts a released file of `kind` in force here, checked: what it is, in words, or why it
    /// is refused (`Err` inside); the outer error is the store's.
    fn take_bureau_file(
        &mut self,
        kind: BureauKind,
        file: &qc_sync::wire::BureauFile,
    ) -> Result<Result<String, String>, ApiError> {
        if let Err(e) = self
            .anchor
            .verify_release(&file.release, (kind.code(), file.text.as_bytes()))
        {
            return Ok(Err(e.message_zh()));
        }
        if kind == BureauKind::Wording {
            if let Err(e) = Wording::parse(&file.text) {
                return Ok(Err(e.zh()));
            }
            self.keep_wording(&file.text)?;
            return Ok(Ok(String::new()));
        }
        let catalogue = match self.checked_catalogue(&file.text) {
            Ok(c) => c,
            Err(ApiError::Invalid(why)) => return Ok(Err(why)),
            Err(e) => return Err(e),
        };
        let held = self.catalogue().version;
        if catalogue.version < held {
            return Ok(Err(format!(
                "本机的权责清单（第 {held} 版）比基站的（第 {} 版）新",
                catalogue.version
            )));
        }
        let what = format!("（第 {} 版）", catalogue.version);
        self.replace_catalogue(catalogue)?;
        Ok(Ok(what))
    }

    /// The 双随机 inspection tasks of this device's people, as the last sync brought them:
    /// the newest draw first, each draw's targets in the order drawn.
    pub fn inspection_tasks(&self) -> Result<Vec<InspectionTask>, ApiError> {
        let mut tasks: Vec<InspectionTask> = self.meta_json(TASKS_KEY)?.unwrap_or_default();
        tasks.sort_by_key(|t| std::cmp::Reverse(t.drawn_at));
        Ok(tasks)
    }

    /// Certificates seen in other devices' uploads (their devices', people's keys on them),
    /// kept so this device can check those entries again later (case file, export).
    pub(crate) fn other_certificates(&self) -> Result<Vec<SignedCertificate>, ApiError> {
        Ok(self.meta_json("other_certs")?.unwrap_or_default())
    }

    /// Keeps certificates that came with other devices' entries, once each. One this device
    /// holds too is kept all the same: a person's key made here later replaces the
    /// certificate held here, and the entries signed under the old one still need it.
    pub(crate) fn keep_certificates(&self, certs: &[SignedCertificate]) -> Result<(), ApiError> {
        let mut held = self.other_certificates()?;
        let before = held.len();
        for c in certs {
            if !held.contains(c) {
                held.push(c.clone());
            }
        }
        if held.len() != before {
            self.set_meta_json("other_certs", &held)?;
        }
        Ok(())
    }

    /// Remembers the base station this device syncs with.
    pub fn set_station(&mut self, station: &Station) -> Result<(), ApiError> {
        self.set_meta_json("station", station)
    }

    /// The base station this device syncs with, if set.
    pub fn station(&self) -> Result<Option<Station>, ApiError> {
        self.meta_json("station")
    }

    fn witness(&self, log_key: [u8; 32]) -> Result<Witness, ApiError> {
        let held: Option<Witness> = self.meta_json("witness")?;
        Ok(held
            .filter(|w| w.server == log_key)
            .unwrap_or_else(|| Witness::new(log_key)))
    }

    fn configured_station(&self) -> Result<Station, ApiError> {
        self.station()?
            .ok_or_else(|| ApiError::Invalid("no base station set; run sync with --server".into()))
    }

    /// The connection to `station`, made once and reused while it stays the station (a new
    /// pinned TLS client costs about 40 ms).
    fn link_to(&mut self, station: &Station) -> Result<Link, ApiError> {
        let key = (station.url.clone(), station.cert_pem.clone());
        if let Some(c) = self.link.as_ref().filter(|c| c.for_station == key) {
            return Ok(c.link.clone());
        }
        let link = Link::new(station)?;
        self.link = Some(CachedLink {
            for_station: key,
            link: link.clone(),
        });
        Ok(link)
    }

    /// Enrols a new tablet with a base station, proving the administrator's one-time code:
    /// makes the data directory, the device key (it never leaves the tablet), and keeps the
    /// device certificate, the bureau key, the people's certificates and the station. Nothing
    /// is written if the station refuses.
    pub fn enrol_device(
        dir: &DataDir,
        station: &Station,
        code: &str,
        label: &str,
        clock: Arc<dyn Clock>,
        mut entropy: Box<dyn Entropy>,
    ) -> Result<Quancheng, ApiError> {
        if dir.is_initialised() {
            return Err(ApiError::AlreadyInitialised(dir.root().to_owned()));
        }
        let device_key = SigningKey::from_bytes(&entropy::random::<32>(entropy.as_mut()));
        let device_id = format!("device-{}", &entropy::uuid(entropy.as_mut())[..8]);
        let link = Link::new(station)?;
        let body = EnrolRequest {
            code: code.trim().into(),
            device_id: device_id.clone(),
            label: label.trim().into(),
            public_key: hex::encode(device_key.verifying_key().to_bytes()),
        };
        let resp: EnrolResponse = answer(
            link.client
                .post(format!("{}/v1/enrol", link.url))
                .json(&body)
                .send()
                .map_err(|e| unreachable(&e))?,
        )?;
        let bureau: [u8; 32] = unhex(&resp.bureau_public)?;
        let anchor = TrustAnchor::new(bureau, resp.revocations.as_ref())?;
        let cert = anchor.verify_issued(&resp.certificate)?;
        let ours = matches!(&cert.subject, Subject::Device { device_id: d, .. } if *d == device_id);
        if !ours || cert.public_key != device_key.verifying_key().to_bytes() {
            return Err(ApiError::Invalid(
                "the station issued a certificate for another device".into(),
            ));
        }
        std::fs::create_dir_all(dir.root()).map_err(|source| ApiError::Io {
            path: dir.root().to_owned(),
            source,
        })?;
        let key = dir.key_or_new(entropy.as_mut())?;
        let store = Store::create(&dir.db_path(), &key)?;
        store.set_meta("bureau_public", &bureau)?;
        store.put_secret("device", device_key.to_bytes().as_ref())?;
        store.set_meta("device_id", device_id.as_bytes())?;
        store.set_meta(
            "device_cert",
            &serde_json::to_vec(&resp.certificate).map_err(json_err)?,
        )?;
        if let Some(crl) = &resp.revocations {
            store.set_meta("revocations", &serde_json::to_vec(crl).map_err(json_err)?)?;
        }
        for c in &resp.certificates {
            let Some(person) = anchor.verify_issued(c).ok().and_then(|c| c.person()) else {
                continue;
            };
            store.put_officer(&OfficerRecord {
                person_id: person.id.0,
                cert: c.clone(),
                wrapped: None,
                guard: PinGuard::default(),
            })?;
        }
        drop(store);
        let mut app = Quancheng::open(dir, clock, entropy)?;
        app.set_station(&Station {
            log_key: resp.log_key,
            ..station.clone()
        })?;
        tracing::info!(device = %device_id, "device enrolled with the base station");
        Ok(app)
    }

    /// Makes a signing key on this device for a person, certified by the station with an
    /// administrator's one-time code for that person, and keeps it wrapped with their PIN.
    pub fn enrol_officer(&mut self, person: &str, code: &str, pin: &str) -> Result<(), ApiError> {
        keywrap::check_pin_strength(pin)?;
        let held = self.store.officer(person)?;
        let station = self.configured_station()?;
        let link = self.link_to(&station)?;
        let key = SigningKey::from_bytes(&entropy::random::<32>(self.entropy.as_mut()));
        let body = serde_json::to_vec(&OfficerEnrolRequest {
            code: code.trim().into(),
            person_id: person.into(),
            public_key: hex::encode(key.verifying_key().to_bytes()),
        })
        .map_err(json_err)?;
        let resp: OfficerEnrolResponse =
            answer(self.signed(&link, reqwest::Method::POST, "/v1/officers/enrol", body)?)?;
        let cert = self.anchor.verify_issued(&resp.certificate)?;
        if cert.public_key != key.verifying_key().to_bytes()
            || cert.person().is_none_or(|p| p.id.0 != person)
        {
            return Err(ApiError::Invalid(
                "the station certified another key or person".into(),
            ));
        }
        let wrapped = crate::wrap_key(&key, pin, self.entropy.as_mut())?;
        // The certificate this device held for them still checks their earlier acts.
        self.keep_certificates(std::slice::from_ref(&held.cert))?;
        self.store.put_officer(&OfficerRecord {
            person_id: person.into(),
            cert: resp.certificate,
            wrapped: Some(wrapped),
            guard: PinGuard::default(),
        })?;
        tracing::info!(person, "officer key enrolled on this device");
        Ok(())
    }

    /// What is waiting for the base station.
    pub fn sync_status(&self) -> Result<SyncStatus, ApiError> {
        let station = self.station()?;
        let log_size = match &station {
            Some(s) => self.witness(unhex(&s.log_key)?)?.known_size(),
            None => 0,
        };
        Ok(SyncStatus {
            station: station.map(|s| s.url),
            unsynced_entries: self.store.entries_without_receipt(&self.device_id)?.len(),
            unsynced_cases: self.unsynced_cases()?.len(),
            pending_files: self
                .meta_json::<Vec<PendingBlob>>("blobs_pending")?
                .map_or(0, |p| p.len()),
            log_size,
            refused: self.refused_cases()?,
        })
    }

    /// The cases with changes the base station has not acknowledged (the "未同步" mark), but
    /// those it declined as they are as out of this device's view (moved to another squad):
    /// nothing more can go up of them here.
    pub fn unsynced_cases(&self) -> Result<Vec<String>, ApiError> {
        let declined = self.store.declined_cases()?;
        Ok(self
            .store
            .unacknowledged_cases()?
            .into_iter()
            .map(|(case, _, _)| case)
            .filter(|case| !declined.contains(case))
            .collect())
    }

    /// Syncs with the base station; see [`Self::sync_with`].
    pub fn sync(&mut self) -> Result<SyncReport, ApiError> {
        self.sync_with(&mut |_| {})
    }

    /// Syncs with the base station in one round trip for records, then evidence files:
    /// uploads every entry without a receipt and checks each receipt and that the station's
    /// log extends what this device saw before (if not, nothing here changes and the error says
    /// why); sends the case documents' changes the station has not acknowledged and merges what
    /// it sends back (verified first); then uploads the evidence files the station lacks,
    /// resuming where a cut upload stopped. `progress` hears of each step.
    pub fn sync_with(
        &mut self,
        progress: &mut dyn FnMut(&SyncProgress),
    ) -> Result<SyncReport, ApiError> {
        let station = self.configured_station()?;
        let log_key = unhex(&station.log_key)?;
        let link = self.link_to(&station)?;
        let mut witness = self.witness(log_key)?;
        let entries = self.store.entries_without_receipt(&self.device_id)?;
        let sent = entries.len();
        // A long time offline is sent in several requests; each one that lands is kept, so a
        // cut sync resumes from there. The last one asks for what this device lacks.
        let batches = self.batches(entries)?;
        let docs_up: Vec<&str> = batches
            .iter()
            .flat_map(|(_, docs)| docs.iter().map(|d| d.0.case.as_str()))
            .collect();
        let docs_total = docs_up.len();
        let docs_sent = docs_up.into_iter().collect::<BTreeSet<_>>().len();
        let mut at = SyncProgress {
            stage: SyncStage::Records,
            items_done: 0,
            items_total: sent + docs_total,
            bytes_done: 0,
            bytes_total: 0,
        };
        progress(&at);
        let mut report = SyncReport {
            sent,
            docs_sent,
            docs_received: 0,
            receipts: 0,
            blobs_sent: 0,
            blob_bytes: 0,
            log_size: 0,
            tasks: 0,
            bureau: None,
            sheets: 0,
        };
        let count = batches.len();
        for (n, (entries, docs)) in batches.into_iter().enumerate() {
            let last = n + 1 == count;
            let (docs, heads): (Vec<DocChanges>, Vec<(String, Vec<String>)>) =
                docs.into_iter().unzip();
            let req = SyncRequest {
                push: PushEntries {
                    entries: entries.clone(),
                    known_size: witness.known_size(),
                },
                up: DocsUp { docs },
                want: last.then(|| self.docs_want()).transpose()?,
                // Asked for once, with what comes down.
                bureau: last.then(|| self.bureau_seen()),
            };
            let resp: SyncResponse = match self.sync_once(&link, &req) {
                Ok(r) => r,
                Err(refused) => {
                    // A station that refuses may have lost or rewritten its log: that is
                    // the louder news, so check before reporting the refusal.
                    self.check_consistency(&link, &mut witness.clone())?;
                    if let ApiError::EntriesRefused {
                        entries,
                        revocations,
                        ..
                    } = &refused
                    {
                        // Kept for the sync screen, where an officer may set them aside.
                        self.note_refused(entries)?;
                        // Whoever was revoked may not unlock to sign the setting aside; a
                        // list not taken leaves the refusal to be told all the same.
                        if let Some(crl) = revocations
                            && let Err(e) = self.adopt_revocations(crl)
                        {
                            tracing::warn!(error = %e, "a refusal's revocation list not taken");
                        }
                    }
                    return Err(refused);
                }
            };
            let receipts = witness
                .accept_push(&entries, &resp.push)
                .map_err(log_inconsistent)?;
            if let Some(crl) = &resp.revocations {
                // Revoked tablets and people are known here from now on.
                self.adopt_revocations(crl)?;
            }
            // Receipts for what came down too, so this device's exports carry them.
            let down = receipt_rows(
                &witness
                    .check_receipts(&resp.down.entries, &resp.down_receipts)
                    .map_err(log_inconsistent)?,
            )?;
            let rows = receipt_rows(&receipts)?;
            self.queue_blobs(&entries)?;
            self.store.put_receipts(&rows)?;
            self.set_meta_json("witness", &witness)?;
            // Only what the station took; a case out of this device's view there (moved to
            // another squad) it declines: not shown unsynced until it changes here, though
            // still sent, so the station takes it should the case come back into view.
            let sent_docs = heads.len();
            let (taken, rest): (Vec<_>, Vec<_>) = heads
                .into_iter()
                .partition(|(case, _)| resp.acked.heads.iter().any(|a| a.case == *case));
            let declined: Vec<(String, Vec<String>)> = rest
                .into_iter()
                .filter(|(case, _)| resp.acked.outside.contains(case))
                .collect();
            self.store.set_station_acks(&taken)?;
            self.store.set_station_outside(&declined)?;
            report.docs_received += self.apply_docs_down(&resp.down)?;
            self.store.put_receipts(&down)?;
            // The whole list replaces what is held; none sent, what is held stays.
            if let Some(tasks) = &resp.tasks {
                self.set_meta_json(TASKS_KEY, tasks)?;
            }
            report.tasks = self.inspection_tasks()?.len();
            if let Some(files) = &resp.bureau {
                report.bureau = Some(self.adopt_bureau(files)?);
            }
            report.receipts += rows.len();
            at.items_done += entries.len() + sent_docs;
            progress(&at);
        }
        if report.bureau.is_some() {
            // The station learns at once what this tablet took (its devices page says so),
            // not at the next sync: one more round trip, only when files came down.
            let req = SyncRequest {
                push: PushEntries {
                    entries: Vec::new(),
                    known_size: witness.known_size(),
                },
                up: DocsUp { docs: Vec::new() },
                want: None,
                bureau: Some(self.bureau_seen()),
            };
            let resp = self.sync_once(&link, &req)?;
            witness
                .accept_push(&[], &resp.push)
                .map_err(log_inconsistent)?;
            self.set_meta_json("witness", &witness)?;
        }
        self.clear_refused()?;
        let (blobs_sent, blob_bytes) = self.upload_blobs(&link, progress)?;
        report.blobs_sent = blobs_sent;
        report.blob_bytes = blob_bytes;
        report.sheets = self.fetch_sheets(&link);
        report.log_size = witness.known_size();
        progress(&SyncProgress {
            stage: SyncStage::Done,
            items_done: 0,
            items_total: 0,
            bytes_done: 0,
            bytes_total: 0,
        });
        tracing::info!(
            sent = report.sent,
            docs_sent = report.docs_sent,
            docs_received = report.docs_received,
            blobs = report.blobs_sent,
            log_size = report.log_size,
            "synced"
        );
        Ok(report)
    }

    /// Remembers the evidence files these entries (now at the station) name, to go up next;
    /// kept across a cut sync.
    fn queue_blobs(&self, entries: &[qc_chain::SignedEntry]) -> Result<(), ApiError> {
        let mut pending: Vec<PendingBlob> = self.meta_json("blobs_pending")?.unwrap_or_default();
        let before = pending.len();
        // An approval of a deletion names the files that go: none to send.
        for e in entries
            .iter()
            .filter_map(|e| e.entry().ok())
            .filter(|e| e.action != qc_chain::Action::EvidenceDeleted)
        {
            for h in &e.blobs {
                let p = PendingBlob {
                    case: e.case.clone(),
                    hash: hex::encode(h),
                };
                crate::push_new(&mut pending, p);
            }
        }
        if pending.len() != before {
            self.set_meta_json("blobs_pending", &pending)?;
        }
        Ok(())
    }

    /// Fetches the sheets of the case-file reviews (案卷评查) this device holds without them
    /// (those a sync just brought, or one an earlier sync could not fetch), each on its own:
    /// one the station cannot give now (the case moved away, a cut connection) waits for the
    /// next sync and the others still come. Returns how many came.
    fn fetch_sheets(&mut self, link: &Link) -> usize {
        let missing: Vec<(String, [u8; 32])> = match self.held_reviews(None) {
            Ok(reviews) => reviews
                .into_iter()
                .filter_map(|(_, e)| {
                    let hash = *e.blobs.first()?;
                    (!self.blobs.contains(&hash)).then_some((e.case, hash))
                })
                .collect(),
            Err(e) => {
                tracing::warn!(error = %e, "the reviews held here could not be read");
                return 0;
            }
        };
        let mut fetched = 0;
        for (case, hash) in missing {
            match self.fetch_over(link, &case, &hash) {
                Ok(()) => fetched += 1,
                Err(e) => tracing::warn!(
                    case,
                    sheet = hex::encode(hash),
                    error = %e,
                    "a review's sheet was not fetched; the next sync tries again"
                ),
            }
        }
        fetched
    }

    /// Asks the station to prove its log extends the last checkpoint this device saw.
    fn check_consistency(&mut self, link: &Link, witness: &mut Witness) -> Result<(), ApiError> {
        if witness.known_size() == 0 {
            return Ok(());
        }
        let path = format!("/v1/log/consistency?from={}", witness.known_size());
        let resp: ConsistencyResponse =
            answer(self.signed(link, reqwest::Method::GET, &path, Vec::new())?)?;
        witness
            .accept_consistency(&resp)
            .map(drop)
            .map_err(log_inconsistent)
    }

    /// What this device holds of its cases, as the store keeps it: each one's heads and the
    /// desks' acts about it, and how far it holds each feed.
    fn docs_want(&self) -> Result<DocsWant, ApiError> {
        Ok(DocsWant {
            have: self
                .store
                .case_heads()?
                .into_iter()
                .map(|(case, heads)| CaseHeads { case, heads })
                .collect(),
            desk_acts: Some(self.store.desk_acts_held()?),
            feeds: Some(
                self.store
                    .feeds_held()?
                    .into_iter()
                    .map(|(device, head)| (device, head.seq))
                    .collect(),
            ),
        })
    }

    /// What goes up, in requests of bounded size: the entries in feed order, and with each
    /// request the changes of every case its entries are about, up to the heads the last of
    /// them recorded; with the last request, every case's changes up to what this device
    /// holds. A case's document never goes ahead of the entries that record its changes:
    /// were a later request refused, the station would hold changes no logged entry covers.
    fn batches(&mut self, entries: Vec<qc_chain::SignedEntry>) -> Result<Vec<Batch>, ApiError> {
        self.batches_of(entries, BATCH_ENTRIES, BATCH_DOC_BYTES)
    }

    /// [`Self::batches`] of at most `max_entries` entries and, but for a request of one
    /// entry, `max_bytes` of documents' changes.
    fn batches_of(
        &mut self,
        entries: Vec<qc_chain::SignedEntry>,
        max_entries: usize,
        max_bytes: usize,
    ) -> Result<Vec<Batch>, ApiError> {
        let digests = |hs: &[String]| -> Vec<[u8; 32]> {
            let mut d: Vec<[u8; 32]> = hs
                .iter()
                .filter_map(|h| hex::decode(h).ok()?.try_into().ok())
                .collect();
            d.sort();
            d
        };
        let mut cases: BTreeMap<String, Unacked> = self
            .store
            .unacknowledged_cases()?
            .into_iter()
            .map(|(case, heads, acked)| {
                let planned = Unacked {
                    now: digests(&heads),
                    sent: digests(&acked),
                };
                (case, planned)
            })
            .collect();
        // A document is read when a request needs it, and not kept.
        let store = &self.store;
        let actor = self.device_id.as_bytes();
        let mut load = |case: &str| store.case_doc(case, actor).map_err(ApiError::from);
        let mut pending: Vec<Vec<qc_chain::SignedEntry>> = Vec::new();
        let mut entries = entries.into_iter().peekable();
        while entries.peek().is_some() {
            pending.push(entries.by_ref().take(max_entries).collect());
        }
        pending.reverse();
        let mut out = Vec::new();
        // What the station holds of each case before the last request of entries.
        let mut before_last = cases_snapshot(&cases);
        while let Some(chunk) = pending.pop() {
            let mut trial = cases_snapshot(&cases);
            let docs = docs_for(&mut cases, &chunk, &mut load)?;
            let bytes: usize = docs.iter().map(|d| d.0.changes.len()).sum();
            if bytes > max_bytes && chunk.len() > 1 {
                // Too much at once: half the entries, and their documents, first.
                restore(&mut cases, &mut trial);
                let mut chunk = chunk;
                let second = chunk.split_off(chunk.len() / 2);
                pending.push(second);
                pending.push(chunk);
                continue;
            }
            before_last = trial;
            out.push((chunk, docs));
        }
        // Then what no entry of this device records (changes merged from elsewhere, a
        // document set back), in requests of their own; the last request asks for what this
        // device lacks, so there is always one.
        let mut rest: Vec<DocUp> = Vec::new();
        for (case, planned) in cases.iter_mut().filter(|(_, p)| p.now != p.sent) {
            let changes = load(case)?.changes_after(&planned.sent);
            planned.sent = planned.now.clone();
            rest.push((
                DocChanges {
                    case: case.clone(),
                    changes: qc_sync::wire::to_hex(&changes),
                },
                (case.clone(), planned.now.iter().map(hex::encode).collect()),
            ));
        }
        // With the last request of entries while they fit (one request, as a rule); a case it
        // carries already goes once, from what the station held before it (the station takes
        // each case of a request on its own copy).
        let (mut chunk, mut docs) = out.pop().unwrap_or_default();
        let mut apart = Vec::new();
        for d in rest {
            match docs.iter().position(|x| x.0.case == d.0.case) {
                Some(i) => {
                    let from = before_last.get(&d.0.case).cloned().unwrap_or_default();
                    let changes = hex::encode(load(&d.0.case)?.changes_after(&from));
                    docs[i] = (DocChanges { changes, ..d.0 }, d.1);
                }
                None => apart.push(d),
            }
        }
        let mut bytes: usize = docs.iter().map(|d| d.0.changes.len()).sum();
        for d in apart {
            if !docs.is_empty() && bytes + d.0.changes.len() > max_bytes {
                out.push((std::mem::take(&mut chunk), std::mem::take(&mut docs)));
                bytes = 0;
            }
            bytes += d.0.changes.len();
            docs.push(d);
        }
        out.push((chunk, docs));
        Ok(out)
    }

    /// Merges what came down from the station (its changes, verified with the entries and
    /// certificates that came with them); returns how many cases changed here.
    pub(crate) fn apply_docs_down(&mut self, down: &DocsDown) -> Result<usize, ApiError> {
        if down.docs.is_empty() {
            return Ok(0);
        }
        self.verify_foreign(&down.entries, &down.certificates)?;
        self.keep_certificates(&down.certificates)?;
        // The entries cover all the cases: the first merge keeps them, in its transaction.
        let mut entries = down.entries.as_slice();
        for d in &down.docs {
            let changes = hex::decode(&d.changes)
                .map_err(|_| ApiError::Invalid(format!("changes of {} are not hex", d.case)))?;
            let mut remote = match self.store.case_doc(&d.case, self.device_id.as_bytes()) {
                Ok(mut local) => {
                    local.apply(&changes)?;
                    local
                }
                Err(qc_store::StoreError::UnknownCase(_)) => {
                    CaseDoc::load(&changes, self.device_id.as_bytes())?
                }
                Err(e) => return Err(e.into()),
            };
            let heads = remote.heads_hex();
            self.merge_remote(remote, entries)?;
            entries = &[];
            // The station holds everything up to these heads.
            self.store.set_station_acks(&[(d.case.clone(), heads)])?;
        }
        // Once every case is merged: an original deleted elsewhere with the head's approval
        // goes from here too.
        for d in &down.docs {
            self.drop_deleted(&d.case);
        }
        Ok(down.docs.len())
    }

    /// Uploads the evidence files the station still lacks, [`UPLOADS_AT_ONCE`] at a time (each
    /// file's requests wait on the station and its store; files in flight together overlap
    /// those waits); returns how many arrived whole and the bytes sent. A file goes off the
    /// list as soon as the station holds it; on a failure the files under way finish, no
    /// other starts, and the first error is returned.
    fn upload_blobs(
        &mut self,
        link: &Link,
        progress: &mut dyn FnMut(&SyncProgress),
    ) -> Result<(usize, u64), ApiError> {
        let pending: Vec<PendingBlob> = self.meta_json("blobs_pending")?.unwrap_or_default();
        let mut sizes = Vec::with_capacity(pending.len());
        for p in &pending {
            let hash = unhex(&p.hash)?;
            // A file this device never held (another device's evidence) is theirs to send.
            sizes.push(self.blobs.size(&hash).unwrap_or(0));
        }
        let mut at = SyncProgress {
            stage: SyncStage::Evidence,
            items_done: 0,
            items_total: pending.len(),
            bytes_done: 0,
            bytes_total: sizes.iter().sum(),
        };
        progress(&at);
        let io = self.blob_io();
        let signer = Signer::new(
            &self.device_id,
            &self.device_key,
            self.clock.as_ref(),
            self.entropy.as_mut(),
        );
        let upload = Upload {
            link,
            signer: &signer,
            blobs: &self.blobs,
            chunk: self.upload_chunk as u64,
            io: &io,
        };
        let store = &self.store;
        let (next, stop) = (Mutex::new(0), AtomicBool::new(false));
        let (mut sent, mut bytes, mut failed) = (0, 0, None);
        let mut done = vec![0; pending.len()];
        let mut left: Vec<bool> = vec![true; pending.len()];
        // The files still to send, kept for the next sync if this one stops.
        let keep_left = |left: &[bool]| -> Result<(), ApiError> {
            let still: Vec<&PendingBlob> = pending
                .iter()
                .zip(left)
                .filter(|(_, l)| **l)
                .map(|(p, _)| p)
                .collect();
            let v = serde_json::to_vec(&still).map_err(json_err)?;
            Ok(store.set_meta("blobs_pending", &v)?)
        };
        let (mut kept_at, mut unkept) = (Instant::now(), false);
        std::thread::scope(|s| {
            let (tx, rx) = std::sync::mpsc::channel();
            for _ in 0..UPLOADS_AT_ONCE.min(pending.len()) {
                let (tx, next, stop) = (tx.clone(), &next, &stop);
                let (pending, sizes, upload) = (&pending, &sizes, &upload);
                s.spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let i = {
                            let mut next = next.lock().unwrap_or_else(PoisonError::into_inner);
                            *next += 1;
                            *next - 1
                        };
                        let Some(p) = pending.get(i) else { break };
                        let result = match sizes[i] {
                            0 => Ok((false, 0)),
                            size => unhex(&p.hash).and_then(|hash| {
                                upload.upload_blob(&p.case, &hash, size, &mut |d| {
                                    let _ = tx.send(Uploading::Bytes(i, d));
                                })
                            }),
                        };
                        if result.is_err() {
                            stop.store(true, Ordering::Relaxed);
                        }
                        let _ = tx.send(Uploading::Done(i, result));
                    }
                });
            }
            drop(tx);
            for event in rx {
                match event {
                    Uploading::Bytes(i, d) => {
                        at.bytes_done = at.bytes_done - done[i] + d;
                        done[i] = d;
                    }
                    Uploading::Done(i, Ok((arrived, n))) => {
                        sent += usize::from(arrived);
                        bytes += n;
                        at.bytes_done = at.bytes_done - done[i] + sizes[i];
                        done[i] = sizes[i];
                        at.items_done += 1;
                        left[i] = false;
                        unkept = true;
                        // At most once a KEEP_LEFT_EVERY (and once at the end): the whole list
                        // rewritten after each file was quadratic in a long absence's files. A
                        // stop in between sends those files again, which the station takes
                        // without keeping them twice.
                        if kept_at.elapsed() >= KEEP_LEFT_EVERY {
                            (kept_at, unkept) = (Instant::now(), false);
                            if let Err(e) = keep_left(&left) {
                                stop.store(true, Ordering::Relaxed);
                                failed.get_or_insert(e);
                            }
                        }
                    }
                    Uploading::Done(_, Err(e)) => {
                        failed.get_or_insert(e);
                    }
                }
                progress(&at);
            }
        });
        if unkept && let Err(e) = keep_left(&left) {
            failed.get_or_insert(e);
        }
        match failed {
            Some(e) => Err(e),
            None => Ok((sent, bytes)),
        }
    }
}

/// How often a sync's uploads keep the list of the files they have yet to send.
const KEEP_LEFT_EVERY: Duration = Duration::from_secs(1);

/// Evidence files uploaded at once in a sync (figures in docs/benchmarks.md, issue 14). Each
/// holds at most two chunks in memory (the one on its way and the next, read ahead).
pub const UPLOADS_AT_ONCE: usize = 4;

/// What an upload thread tells the sync.
enum Uploading {
    /// File `i` is held by the station up to this many bytes.
    Bytes(usize, u64),
    /// File `i` is done: whether this upload completed it and the bytes sent, or why not.
    Done(usize, Result<(bool, u64), ApiError>),
}

/// Signs requests as this device; shared by the uploads in flight (the nonces' entropy is
/// taken in turn).
struct Signer<'a> {
    device_id: &'a str,
    device_key: &'a SigningKey,
    clock: &'a dyn Clock,
    entropy: Mutex<&'a mut dyn Entropy>,
}

impl<'a> Signer<'a> {
    fn new(
        device_id: &'a str,
        device_key: &'a SigningKey,
        clock: &'a dyn Clock,
        entropy: &'a mut dyn Entropy,
    ) -> Signer<'a> {
        Signer {
            device_id,
            device_key,
            clock,
            entropy: Mutex::new(entropy),
        }
    }

    /// Sends a request signed by this device (its nonce fresh, its time now).
    fn send(
        &self,
        link: &Link,
        method: reqwest::Method,
        path: &str,
        body: Vec<u8>,
    ) -> Result<reqwest::blocking::Response, ApiError> {
        self.send_typed(link, (method, path), body, OCTETS)
    }

    /// As [`Signer::send`], with the body's content type.
    fn send_typed(
        &self,
        link: &Link,
        (method, path): (reqwest::Method, &str),
        body: Vec<u8>,
        content_type: &str,
    ) -> Result<reqwest::blocking::Response, ApiError> {
        let digest = qc_sync::auth::body_digest(&body);
        self.send_hashed(link, (method, path), (body, digest), content_type)
    }

    /// As [`Signer::send_typed`], for a body whose SHA-256 is known.
    fn send_hashed(
        &self,
        link: &Link,
        (method, path): (reqwest::Method, &str),
        (body, body_sha256): (Vec<u8>, [u8; 32]),
        content_type: &str,
    ) -> Result<reqwest::blocking::Response, ApiError> {
        let nonce = {
            let mut entropy = self.entropy.lock().unwrap_or_else(PoisonError::into_inner);
            entropy::random::<16>(&mut **entropy)
        };
        let auth = RequestAuth::sign_digest(
            self.device_id,
            self.device_key,
            method.as_str(),
            path,
            body_sha256,
            self.clock.now(),
            nonce,
        );
        let mut req = link
            .client
            .request(method, format!("{}{path}", link.url))
            .header("content-type", content_type)
            .body(body);
        for (k, v) in auth.headers() {
            req = req.header(k, v);
        }
        req.send().map_err(|e| unreachable(&e))
    }
}

/// One sync's evidence uploads: where to, signed by whom, read from where.
struct Upload<'a> {
    link: &'a Link,
    signer: &'a Signer<'a>,
    blobs: &'a qc_blobs::BlobStore,
    chunk: u64,
    io: &'a (dyn Fn(std::io::Error) -> ApiError + Sync),
}

impl Upload<'_> {
    /// Sends one evidence file from where the station's copy stops, in chunks; a chunk whose
    /// answer is lost is found out by asking again. Returns whether this upload completed it
    /// and the bytes sent.
    fn upload_blob(
        &self,
        case: &str,
        hash: &[u8; 32],
        size: u64,
        on_bytes: &mut dyn FnMut(u64),
    ) -> Result<(bool, u64), ApiError> {
        let path = format!("/v1/blobs/{case}/{}", hex::encode(hash));
        let mut sent = 0;
        let mut failures = 0;
        // A file that goes in one request is sent without asking first: the station keeps a
        // request's bytes whole or not at all, so it holds none of such a file or all of it,
        // and its answer to the upload says which (an out-of-step answer sends us asking).
        let mut ask = size > self.chunk;
        loop {
            let asked = if ask {
                self.signer
                    .send(self.link, reqwest::Method::GET, &path, Vec::new())
                    .and_then(answer)
            } else {
                Ok(BlobStatus {
                    received: 0,
                    complete: false,
                })
            };
            ask = true;
            let status: BlobStatus = match asked {
                Ok(s) => s,
                Err(e) if failures < 3 && is_transient(&e) => {
                    failures += 1;
                    continue;
                }
                Err(e) => return Err(e),
            };
            if status.complete {
                return Ok((sent > 0, sent));
            }
            on_bytes(status.received);
            match self.send_chunks(&path, hash, size, status.received, on_bytes) {
                Ok((n, true)) => return Ok((true, sent + n)),
                // Everything went, but only the station's word that it kept the file whole
                // takes it off the list (it may have stopped before keeping it): ask again.
                Ok((n, false)) => {
                    sent += n;
                    failures += 1;
                    if failures > 3 {
                        return Err(ApiError::Station {
                            code: "upload_incomplete".into(),
                            message: "基站尚未确认收到完整的证据文件，下次同步时重新上传".into(),
                            detail: format!(
                                "{} was sent whole but the station does not hold it complete",
                                hex::encode(hash)
                            ),
                        });
                    }
                }
                Err((n, e)) => {
                    sent += n;
                    // A cut after progress starts the count again: only a link that stays
                    // down, or bytes that keep failing their hash, give up.
                    let mismatch =
                        matches!(&e, ApiError::Station { code, .. } if code == "blob_mismatch");
                    failures = if n > 0 && !mismatch { 1 } else { failures + 1 };
                    if failures > 3 || !is_transient(&e) {
                        return Err(e);
                    }
                    tracing::info!(error = %e, "evidence upload interrupted; resuming");
                }
            }
        }
    }

    /// Sends the file's bytes from `offset` to the end; returns what was sent and whether the
    /// station said it holds the file complete; on failure, what was sent and why. The next
    /// chunk is read (and decrypted) while the current one is on its way.
    fn send_chunks(
        &self,
        path: &str,
        hash: &[u8; 32],
        size: u64,
        offset: u64,
        on_bytes: &mut dyn FnMut(u64),
    ) -> Result<(u64, bool), (u64, ApiError)> {
        let io = self.io;
        // The station checks the whole file's hash; the reader still authenticates each chunk.
        let mut reader = self.blobs.read_for_copy(hash).map_err(|e| (0, io(e)))?;
        let chunk = self.chunk;
        let (tx, rx) = std::sync::mpsc::sync_channel::<std::io::Result<Vec<u8>>>(1);
        let reading = std::thread::spawn(move || {
            let skipped = std::io::copy(&mut (&mut reader).take(offset), &mut std::io::sink());
            if let Err(e) = skipped {
                let _ = tx.send(Err(e));
                return;
            }
            let mut at = offset;
            while at < size {
                // Exactly the chunk's length, zeroed by the allocator: `read_to_end` into a
                // chunk's capacity cleared all of it first (8 MiB for a file of 2.5 MB), a
                // tenth of a sync's processor time (docs/benchmarks.md, stop 44).
                let mut buf = vec![0; chunk.min(size - at) as usize];
                if let Err(e) = reader.read_exact(&mut buf) {
                    let _ = tx.send(Err(e));
                    return;
                }
                at += buf.len() as u64;
                if tx.send(Ok(buf)).is_err() {
                    return;
                }
            }
        });
        let mut at = offset;
        let mut sent = 0;
        let result = loop {
            if at >= size {
                break Ok((sent, false));
            }
            let buf = match rx.recv() {
                Ok(Ok(b)) => b,
                Ok(Err(e)) => break Err((sent, io(e))),
                Err(_) => break Err((sent, io(std::io::ErrorKind::UnexpectedEof.into()))),
            };
            let target = format!("{path}?size={size}&offset={at}");
            let len = buf.len() as u64;
            // The whole file is the file named by its hash (the store's reader authenticated
            // its bytes): not hashed again for the signature.
            let digest = if at == 0 && len == size {
                *hash
            } else {
                qc_sync::auth::body_digest(&buf)
            };
            let status: BlobStatus = match self
                .signer
                .send_hashed(
                    self.link,
                    (reqwest::Method::PUT, &target),
                    (buf, digest),
                    OCTETS,
                )
                .and_then(answer)
            {
                Ok(s) => s,
                Err(e) => break Err((sent, e)),
            };
            sent += len;
            if !status.complete && status.received != at + len {
                // The station holds something else than this reader's position: ask again.
                break Err((
                    sent,
                    ApiError::Station {
                        code: "upload_out_of_step".into(),
                        message: "上传进度不一致，将从断点续传".into(),
                        detail: format!(
                            "sent up to {}, the station holds {}",
                            at + len,
                            status.received
                        ),
                    },
                ));
            }
            at = status.received;
            on_bytes(at);
            if status.complete {
                break Ok((sent, true));
            }
        };
        drop(rx);
        let _ = reading.join();
        result
    }
}

impl Quancheng {
    /// Fetches an evidence file of a case from the station if this device lacks it (a
    /// reviewer opening another squad's evidence); returns whether it was fetched. The file is
    /// kept only if its bytes match its hash.
    pub fn fetch_blob(&mut self, case: &str, hash: &[u8; 32]) -> Result<bool, ApiError> {
        Ok(self.fetch_blobs(case, &[*hash])? > 0)
    }

    /// Fetches those of a case's evidence files this device lacks, over one connection to the
    /// station (made only if one is missing); returns how many were fetched.
    pub fn fetch_blobs(&mut self, case: &str, hashes: &[[u8; 32]]) -> Result<usize, ApiError> {
        let missing: Vec<&[u8; 32]> = hashes.iter().filter(|h| !self.blobs.contains(h)).collect();
        if missing.is_empty() {
            return Ok(0);
        }
        let station = self.configured_station()?;
        let link = self.link_to(&station)?;
        for hash in &missing {
            self.fetch_over(&link, case, hash)?;
        }
        Ok(missing.len())
    }

    /// Fetches one evidence file over `link`, kept only if its bytes match its hash.
    fn fetch_over(&mut self, link: &Link, case: &str, hash: &[u8; 32]) -> Result<(), ApiError> {
        let path = format!("/v1/blobs/{case}/{}/data", hex::encode(hash));
        let mut resp = checked(self.signed(link, reqwest::Method::GET, &path, Vec::new())?)?;
        let io = self.blob_io();
        self.write_blob(|w| {
            std::io::copy(&mut resp, w).map_err(|e| unreachable(&e))?;
            w.flush().map_err(io)?;
            Ok(((), *hash))
        })
        .map_err(|e| match e {
            ApiError::Io { .. } => ApiError::Station {
                code: "blob_mismatch".into(),
                message: "基站发来的证据文件与其哈希值不符，未保存".into(),
                detail: e.to_string(),
            },
            other => other,
        })?;
        tracing::info!(
            case,
            blob = hex::encode(hash),
            "evidence fetched from the station"
        );
        Ok(())
    }

    /// One sync round trip, its request and answer in CBOR ([`qc_sync::body`]).
    fn sync_once(&mut self, link: &Link, req: &SyncRequest) -> Result<SyncResponse, ApiError> {
        let resp = self.signer().send_typed(
            link,
            (reqwest::Method::POST, "/v1/sync"),
            qc_sync::body::to_cbor(req),
            qc_sync::body::CBOR,
        )?;
        let bytes = checked(resp)?.bytes().map_err(|e| unreachable(&e))?;
        qc_sync::body::from_cbor(&bytes).map_err(|e| unreachable(&e))
    }

    /// A request signed with this device's key.
    fn signed(
        &mut self,
        link: &Link,
        method: reqwest::Method,
        path: &str,
        body: Vec<u8>,
    ) -> Result<reqwest::blocking::Response, ApiError> {
        self.signer().send(link, method, path, body)
    }

    /// This device's signer of requests.
    fn signer(&mut self) -> Signer<'_> {
        Signer::new(
            &self.device_id,
            &self.device_key,
            self.clock.as_ref(),
            self.entropy.as_mut(),
        )
    }
}

/// The content type of a body sent as it is (an evidence chunk; JSON requests say nothing
/// more).
const OCTETS: &str = "application/octet-stream";

/// Entries per sync request.
const BATCH_ENTRIES: usize = 2000;
/// Bytes of document changes (hex) per sync request.
const BATCH_DOC_BYTES: usize = 4 * 1024 * 1024;

/// A document's changes and the heads they bring the station to.
type DocUp = (DocChanges, (String, Vec<String>));

/// One request's entries and documents.
type Batch = (Vec<qc_chain::SignedEntry>, Vec<DocUp>);

/// A case whose changes the station has not acknowledged, as a sync plans them.
struct Unacked {
    /// Its heads here, sorted.
    now: Vec<[u8; 32]>,
    /// The heads the station holds once what is planned so far lands, sorted.
    sent: Vec<[u8; 32]>,
}

/// Where each case's planned changes stand, to take back a plan that is split.
fn cases_snapshot(cases: &BTreeMap<String, Unacked>) -> BTreeMap<String, Vec<[u8; 32]>> {
    cases
        .iter()
        .map(|(c, u)| (c.clone(), u.sent.clone()))
        .collect()
}

/// Takes back what was planned since `snapshot`.
fn restore(cases: &mut BTreeMap<String, Unacked>, snapshot: &mut BTreeMap<String, Vec<[u8; 32]>>) {
    for (c, u) in cases.iter_mut() {
        if let Some(sent) = snapshot.remove(c) {
            u.sent = sent;
        }
    }
}

/// The documents that go with `chunk`: each case its entries are about, up to the heads the
/// last of them recorded, when those are changes of the document here that hold what was sent
/// before (else its changes wait for the requests after the entries).
fn docs_for(
    cases: &mut BTreeMap<String, Unacked>,
    chunk: &[qc_chain::SignedEntry],
    load: &mut dyn FnMut(&str) -> Result<CaseDoc, ApiError>,
) -> Result<Vec<DocUp>, ApiError> {
    let mut targets: BTreeMap<String, Vec<[u8; 32]>> = BTreeMap::new();
    for e in chunk.iter().filter_map(|e| e.entry().ok()) {
        if cases.contains_key(&e.case) && !e.heads.is_empty() {
            let mut heads = e.heads;
            heads.sort();
            targets.insert(e.case, heads);
        }
    }
    let mut out = Vec::new();
    for (case, target) in targets {
        let Some(u) = cases.get_mut(&case) else {
            continue;
        };
        if target == u.sent {
            continue;
        }
        let mut doc = load(&case)?;
        // An entry whose state the document no longer holds (set aside) sends nothing.
        if !target.iter().all(|h| doc.has_change(h)) {
            continue;
        }
        let changes = if target == u.now {
            doc.changes_after(&u.sent)
        } else {
            let mut at = doc.at(&target, b"plan")?;
            // Heads the station holds that this state lacks (an entry older than the last
            // acknowledgement): its changes wait for the requests after the entries.
            if !u.sent.iter().all(|h| at.has_change(h)) {
                continue;
            }
            at.changes_after(&u.sent)
        };
        u.sent = target.clone();
        out.push((
            DocChanges {
                case: case.clone(),
                changes: qc_sync::wire::to_hex(&changes),
            },
            (case, target.iter().map(hex::encode).collect()),
        ));
    }
    Ok(out)
}

/// Receipts as the store keeps them (JSON by entry hash).
fn receipt_rows(
    receipts: &[([u8; 32], qc_log::Receipt)],
) -> Result<Vec<([u8; 32], String)>, ApiError> {
    receipts
        .iter()
        .map(|(h, r)| Ok((*h, serde_json::to_string(r).map_err(json_err)?)))
        .collect()
}

fn log_inconsistent(e: qc_sync::witness::WitnessError) -> ApiError {
    tracing::error!(error = %e, "the base station's log does not hold up");
    ApiError::Station {
        code: "log_inconsistent".into(),
        message: e.message_zh(),
        detail: e.to_string(),
    }
}

/// Whether trying again may help: the link failed, or an upload was out of step.
fn is_transient(e: &ApiError) -> bool {
    matches!(e, ApiError::Station { code, .. }
        if code == "station_unreachable" || code == "upload_out_of_step" || code == "blob_mismatch")
}

/// What the keys of the desk devices are derived from: the bureau key's seed, hashed, so every
/// instance run from a copy of the bureau's directory derives the same ones.
fn desk_seed(bureau_seed: &[u8; 32]) -> [u8; 32] {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    h.update(b"quancheng desk devices\0");
    h.update(bureau_seed);
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use qc_domain::Timestamp;

    use super::*;

    /// A long time offline goes up in bounded requests, the feed in order; each request
    /// carries each case only as far as its entries in it and before recorded (a station that
    /// took the first requests holds no change whose entry it has not logged), the last one
    /// every case as held here; the changes build on each other at the station.
    #[test]
    fn a_long_time_offline_goes_up_in_bounded_requests_its_documents_never_ahead() {
        use qc_domain::Act;
        let tmp = tempfile::tempdir().unwrap();
        let (_d, mut app) = crate::tests::init_at(tmp.path());
        let [li, liu] = ["li.ming", "liu.jianguo"].map(|p| app.unlock(p, &pin(p)).unwrap());
        let mut cases = Vec::new();
        for _ in 0..3 {
            cases.push(app.register_case(new_case(), &li).unwrap().0);
        }
        for c in &cases {
            app.record_act(c, Act::File, &[&liu]).unwrap();
        }
        let entries = app.store.entries_without_receipt(&app.device_id).unwrap();
        assert_eq!(entries.len(), 6);
        for (max, limit) in [(4, usize::MAX), (2, usize::MAX), (6, 1)] {
            let b = app.batches_of(entries.clone(), max, limit).unwrap();
            let back: Vec<_> = b.iter().flat_map(|(e, _)| e.clone()).collect();
            assert_eq!(back, entries, "feed order kept");
            assert!(b.iter().all(|(e, _)| e.len() <= max));
            // The station's copy of each case, as the requests build it.
            let mut station: BTreeMap<String, CaseDoc> = BTreeMap::new();
            let mut logged: BTreeMap<String, Vec<[u8; 32]>> = BTreeMap::new();
            for (n, (chunk, docs)) in b.iter().enumerate() {
                for e in chunk.iter().filter_map(|e| e.entry().ok()) {
                    let mut heads = e.heads;
                    heads.sort();
                    logged.insert(e.case, heads);
                }
                for (changes, (case, heads)) in docs {
                    let bytes = hex::decode(&changes.changes).unwrap();
                    let doc = match station.get_mut(case) {
                        Some(d) => {
                            d.apply(&bytes).unwrap();
                            d
                        }
                        None => station
                            .entry(case.clone())
                            .or_insert(CaseDoc::load(&bytes, b"station").unwrap()),
                    };
                    assert_eq!(doc.heads_hex(), *heads, "the heads the changes bring");
                    if n + 1 < b.len() {
                        assert_eq!(
                            doc.heads_digests(),
                            logged[case],
                            "never ahead of the entries sent so far ({max}, {limit})"
                        );
                    }
                }
                // A new case's document comes no later than its first entry.
                for e in chunk.iter().filter_map(|e| e.entry().ok()) {
                    assert!(
                        station.contains_key(&e.case),
                        "{} before its document",
                        e.case
                    );
                }
            }
            for c in &cases {
                let here = app.store.case_doc(c, b"x").unwrap().heads_digests();
                assert_eq!(station.get_mut(c).unwrap().heads_digests(), here);
            }
        }
        // Too many bytes for one request: one entry at a time, still.
        assert_eq!(app.batches_of(entries.clone(), 6, 1).unwrap().len(), 6);
        // Nothing to send is still one request (it asks for what the device lacks).
        let tmp = tempfile::tempdir().unwrap();
        let (_d, mut idle) = crate::tests::init_at(tmp.path());
        assert_eq!(idle.batches_of(Vec::new(), 4, usize::MAX).unwrap().len(), 1);
    }
    use crate::tests::{init_at, new_case, pin};

    /// A preservation notice `id` by `by`: a record to change a document with.
    fn notice(id: &str, by: &crate::Unlocked) -> qc_domain::Record {
        qc_server::fixtures::notice(id, &by.person().id.0, Timestamp(0))
    }

    /// Changes no entry of this device records (another tablet's copy merged here, not yet at
    /// the station) go after the entries: with the last request while they fit, else in
    /// requests of their own; each brings its case to what this device holds.
    #[test]
    fn changes_no_entry_records_go_up_after_the_entries() {
        let tmp = tempfile::tempdir().unwrap();
        let (_d, mut app) = init_at(tmp.path());
        let li = app.unlock("li.ming", &pin("li.ming")).unwrap();
        let cases: Vec<String> = (0..2)
            .map(|_| app.register_case(new_case(), &li).unwrap().0)
            .collect();
        let device = app.device_id.clone();
        // Another tablet's record merged here: a change no entry of this device records.
        let merge_as = |app: &mut Quancheng, case: &str, record: &str| {
            let mut theirs = app.store.case_doc(case, b"tablet-b").unwrap();
            theirs
                .put_record(&notice(record, &li), Timestamp(0))
                .unwrap();
            app.store
                .merge_case(
                    &device,
                    &mut theirs,
                    &[],
                    |_| Ok::<_, ApiError>(None),
                    |_| Err(qc_store::StoreError::Malformed("no act".into())),
                )
                .unwrap();
        };
        let merge_theirs = |app: &mut Quancheng, case: &str| merge_as(app, case, "r1");
        for c in &cases {
            // The station took the case; then the merge.
            let heads = app.store.case_doc(c, b"x").unwrap().heads_hex();
            app.store.set_station_acks(&[(c.clone(), heads)]).unwrap();
            merge_theirs(&mut app, c);
        }
        // A case the station has not taken yet, merged after its registration: it goes once,
        // whole, to what this device holds.
        let fresh = app.register_case(new_case(), &li).unwrap().0;
        merge_theirs(&mut app, &fresh);
        let entries = app.store.entries_without_receipt(&device).unwrap();
        let together = app.batches_of(entries.clone(), 4, usize::MAX).unwrap();
        assert_eq!(together.len(), 1);
        let sent: Vec<&str> = together[0].1.iter().map(|d| d.0.case.as_str()).collect();
        assert_eq!(sent.len(), 3, "each case once: {sent:?}");
        let (changes, (_, heads)) = together[0].1.iter().find(|d| d.0.case == fresh).unwrap();
        let mut whole = CaseDoc::load(&hex::decode(&changes.changes).unwrap(), b"s").unwrap();
        assert_eq!(whole.heads_hex(), *heads);
        assert_eq!(
            *heads,
            app.store.case_doc(&fresh, b"x").unwrap().heads_hex()
        );
        // The rest of this test is about the two the station took.
        app.store
            .set_station_acks(&[(fresh.clone(), heads.clone())])
            .unwrap();
        let entries: Vec<_> = entries
            .into_iter()
            .filter(|e| e.entry().is_ok_and(|x| x.case != fresh))
            .collect();
        let apart = app.batches_of(entries, 4, 1).unwrap();
        let shape: Vec<(usize, usize)> = apart.iter().map(|(e, d)| (e.len(), d.len())).collect();
        assert_eq!(
            shape,
            [(2, 1), (0, 1)],
            "one request each, the entries with the first"
        );
        for (_, docs) in &apart {
            let (changes, (case, heads)) = &docs[0];
            let mut here = app.store.case_doc(case, b"x").unwrap();
            assert_eq!(*heads, here.heads_hex());
            assert!(!changes.changes.is_empty());
        }

        // The station declined one as out of this device's view: not unsynced until it
        // changes here, yet still sent (the case may come back into view there, and nothing
        // else would take these changes up); acknowledged later, the declining ends.
        let (_, (declined, heads)) = &apart[1].1[0];
        app.store
            .set_station_outside(&[(declined.clone(), heads.clone())])
            .unwrap();
        assert!(!app.unsynced_cases().unwrap().contains(declined));
        assert_eq!(app.sync_status().unwrap().unsynced_cases, 1);
        let planned = |app: &mut Quancheng| -> Vec<String> {
            app.batches_of(Vec::new(), 4, usize::MAX).unwrap()[0]
                .1
                .iter()
                .map(|d| d.0.case.clone())
                .collect()
        };
        assert!(planned(&mut app).contains(declined));
        merge_as(&mut app, declined, "r2");
        assert!(app.unsynced_cases().unwrap().contains(declined));
        let now = app.store.case_doc(declined, b"x").unwrap().heads_hex();
        app.store
            .set_station_outside(&[(declined.clone(), now.clone())])
            .unwrap();
        assert!(!app.unsynced_cases().unwrap().contains(declined));
        app.store
            .set_station_acks(&[(declined.clone(), heads.clone())])
            .unwrap();
        assert!(
            app.unsynced_cases().unwrap().contains(declined),
            "an acknowledgement ends the declining"
        );
    }

    /// Another tablet's feed comes down on from what this one holds of it: the rest is taken
    /// as continuing it, a gap or another entry where one is held is refused with nothing
    /// kept, the whole feed again changes nothing, and the sync says how far each feed is
    /// held.
    #[test]
    fn a_feed_taken_whole_then_on_from_its_last_entry_held() {
        use qc_chain::{Action, Entry, SignedEntry};
        let tmp = tempfile::tempdir().unwrap();
        let (_d, mut app) = init_at(tmp.path());
        let li = app.unlock("li.ming", &pin("li.ming")).unwrap();
        let case = app.register_case(new_case(), &li).unwrap().0;
        // Tablet B, certified by this device's bureau, records acts about the case.
        let seed: [u8; 32] = app.store.secret("bureau").unwrap().unwrap()[..]
            .try_into()
            .unwrap();
        let key = SigningKey::from_bytes(&[9; 32]);
        let subject = qc_identity::Subject::Device {
            device_id: "tablet-b".into(),
            squad: li.person().squad.clone(),
            label: "B".into(),
        };
        let until = Timestamp(crate::tests::NOW.0 + 86_400_000);
        let cert = qc_identity::BureauKey::from_seed(&seed)
            .issue(
                90,
                subject,
                key.verifying_key().to_bytes(),
                Timestamp(0),
                until,
            )
            .unwrap();
        let entry = |seq: u64, prev: [u8; 32], n: u8| {
            let e = Entry {
                device: "tablet-b".into(),
                seq,
                prev,
                time: crate::tests::NOW,
                actors: vec![li.cert],
                action: Action::RecordCreated,
                case: case.clone(),
                heads: vec![[n; 32]],
                blobs: vec![],
                records: vec![],
            };
            SignedEntry::sign(&e, &key, &[&li.key])
        };
        let mut feed: Vec<SignedEntry> = Vec::new();
        for seq in 1..=5 {
            let prev = feed.last().map_or([0; 32], SignedEntry::hash);
            feed.push(entry(seq, prev, seq as u8));
        }
        let fork = entry(3, feed[1].hash(), 33);
        let down = |entries: &[SignedEntry]| DocsDown {
            docs: vec![DocChanges {
                case: case.clone(),
                changes: String::new(),
            }],
            entries: entries.to_vec(),
            certificates: vec![cert.clone()],
        };
        let held = |app: &Quancheng| {
            app.docs_want()
                .unwrap()
                .feeds
                .unwrap()
                .get("tablet-b")
                .copied()
        };
        let kept = |app: &Quancheng| {
            let entries = app.store.case_entries(&case).unwrap();
            entries
                .into_iter()
                .filter(|e| e.head().unwrap().device == "tablet-b")
                .count()
        };
        app.apply_docs_down(&down(&feed[..3])).unwrap();
        assert_eq!(held(&app), Some(3));
        assert_eq!(
            app.docs_want().unwrap().feeds.unwrap().get(&app.device_id),
            Some(&1),
            "its own"
        );

        assert!(app.apply_docs_down(&down(&feed[4..])).is_err(), "a gap");
        assert_eq!((held(&app), kept(&app)), (Some(3), 3), "nothing kept");
        let refused = app.apply_docs_down(&down(&[fork])).unwrap_err();
        assert!(refused.to_string().contains("fork"), "{refused}");
        assert_eq!(kept(&app), 3);

        app.apply_docs_down(&down(&feed[3..])).unwrap();
        assert_eq!((held(&app), kept(&app)), (Some(5), 5));
        app.apply_docs_down(&down(&feed)).unwrap();
        assert_eq!(
            (held(&app), kept(&app)),
            (Some(5), 5),
            "whole again: nothing new"
        );
    }

    #[test]
    fn changes_from_the_station_merge_into_this_device_and_new_cases_arrive_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let (_d, mut app) = init_at(tmp.path());
        let li = app.unlock("li.ming", &pin("li.ming")).unwrap();
        let case = app.register_case(new_case(), &li).unwrap().0;
        // What another tablet did to the case, as the station sends it: only the new changes.
        let mut theirs = app.store.case_doc(&case, b"tablet-b").unwrap();
        let before = theirs.heads_digests();
        theirs.put_record(&notice("r1", &li), Timestamp(0)).unwrap();
        let down = DocsDown {
            docs: vec![DocChanges {
                case: case.clone(),
                changes: qc_sync::wire::to_hex(&theirs.changes_after(&before)),
            }],
            entries: vec![],
            certificates: vec![],
        };
        assert_eq!(app.apply_docs_down(&down).unwrap(), 1);
        let (records, _) = app.case_file(&case).unwrap();
        assert_eq!(records.len(), 1);
        assert!(
            app.store.unacknowledged_cases().unwrap().is_empty(),
            "the station holds what came down"
        );
        // Applying the same again changes nothing.
        let heads = app.store.case_doc(&case, b"x").unwrap().heads_digests();
        app.apply_docs_down(&down).unwrap();
        assert_eq!(
            app.store.case_doc(&case, b"x").unwrap().heads_digests(),
            heads
        );

        // A case this device never had arrives whole and shows in the list.
        let mut header = app.store.case_doc(&case, b"x").unwrap().header().unwrap();
        header.id = qc_domain::CaseId("case-from-b".into());
        header.summary = "另一台设备登记的案件".into();
        let id2 = header.id.0.clone();
        let mut whole = CaseDoc::create(&header, b"tablet-b", Timestamp(0)).unwrap();
        let down = DocsDown {
            docs: vec![DocChanges {
                case: id2.clone(),
                changes: qc_sync::wire::to_hex(&whole.changes_after(&[])),
            }],
            entries: vec![],
            certificates: vec![],
        };
        app.apply_docs_down(&down).unwrap();
        assert_eq!(app.case_count().unwrap(), 2);
        assert_eq!(
            app.case_detail(&id2).unwrap().header.summary,
            "另一台设备登记的案件"
        );
    }
}
