//! The one API over Quancheng's libraries. The CLI, the Tauri commands and the scenario tests
//! all call this crate and nothing below it, so every act goes through the same checks.

pub mod datadir;
mod deletion;
pub mod demo;
pub mod documents;
pub mod entropy;
mod error;
pub mod footage;
pub mod import;
mod inspections;
pub mod keystore;
pub mod media;
pub mod recording;
pub mod records;
pub mod refused;
pub mod station;
pub mod view;

use std::sync::Arc;

use qc_casedoc::CaseDoc;
use qc_chain::{Action, Digest, Entry, FeedHead, SignedEntry};
use qc_domain::{
    Act, CaseHeader, CaseId, CaseSource, Catalogue, Clock, Context, GeoPoint, Location, Party,
    Person, Timestamp, WorkflowEvent, check_registration, validate,
};
use qc_identity::{
    BureauKey, CertId, KdfParams, PinGuard, SignedCertificate, SignedRevocationList, SigningKey,
    Subject, TrustAnchor, keywrap,
};
use qc_server::{Service, Storage};
use qc_store::{CaseFilter, CaseRow, OfficerRecord, Store};
use qc_store::{EntryContext, Touched};
use serde::{Deserialize, Serialize};

pub use datadir::DataDir;
pub use entropy::{Entropy, OsEntropy, SeededEntropy};
pub use error::{ApiError, WireError};
pub use view::{CaseDetail, EventView, TeamMember};

/// Logs to stderr, filtered by `QUANCHENG_LOG` (tracing env-filter syntax), else `default`;
/// one JSON object per line when `QUANCHENG_LOG_FORMAT=json` (for a station whose logs go to
/// a collector), else text.
pub fn init_logging(default: &str) {
    let logs = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("QUANCHENG_LOG")
                .unwrap_or_else(|_| default.into()),
        );
    if std::env::var("QUANCHENG_LOG_FORMAT").is_ok_and(|f| f == "json") {
        logs.json().init();
    } else {
        logs.init();
    }
}

/// The wall clock, for the app and the CLI (tests inject a fixed one).
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        Timestamp(ms)
    }
}

/// How long certificates issued at `init` stay valid.
const CERT_VALIDITY_MS: i64 = 3 * 365 * 86_400_000;
/// `init` enrols the demo squad, whose demo history reaches back weeks; their certificates
/// start this long before `init` so that the backdated history verifies.
const DEMO_CERT_BACKDATE_MS: i64 = 400 * 86_400_000;
/// The Argon2id cost officer keys are wrapped at, and re-wrapped at when unlocked.
const PIN_KDF: KdfParams = if cfg!(test) {
    // This crate's unit tests wrap ten keys per data directory; every other build, the CLI and
    // scenario tests included, wraps at the shipped cost.
    KdfParams {
        m_kib: 64,
        t: 1,
        p: 1,
    }
} else {
    KdfParams::CURRENT
};

/// A person to enrol at `init`, with the PIN that will wrap their key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Enrolment {
    /// Who.
    pub person: Person,
    /// Their first PIN.
    pub pin: String,
}

/// What `init` made.
#[derive(Debug, Clone, Serialize)]
pub struct InitReport {
    /// The bureau's public key (hex): what every verifier trusts.
    pub bureau_public: String,
    /// This device's id.
    pub device_id: String,
    /// The people enrolled, with their PINs.
    pub enrolled: Vec<Enrolment>,
}

/// Cases with deadlines needing attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DeadlineCounts {
    /// Cases with a deadline already passed.
    pub overdue: u64,
    /// Cases with a deadline within the due-soon window.
    pub due_soon: u64,
}

/// A case as an officer registers it (登记).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewCase {
    /// Where it came from.
    pub source: CaseSource,
    /// Violation type code; the domain follows from the catalogue.
    pub violation: String,
    /// Address.
    pub address: String,
    /// Grid unit.
    pub grid: String,
    /// GPS fix, if any.
    pub gps: Option<GeoPoint>,
    /// Parties known so far.
    pub parties: Vec<Party>,
    /// What was reported or seen.
    pub summary: String,
}

/// A case's whole-process record as people read it; see [`Quancheng::case_record`].
#[derive(Debug, Clone, Serialize)]
pub struct CaseRecord {
    /// Every signed entry about the case, in file order.
    pub items: Vec<qc_bundle::TocItem>,
    /// Whether every entry verifies ("完整、未被篡改").
    pub verified: bool,
    /// What is wrong, in Chinese.
    pub problems: Vec<String>,
}

/// An officer who has proven their PIN on this device just now, holding their signing key for
/// the acts they sign. It cannot be made any other way than [`Quancheng::unlock`], and the key
/// never leaves this process (the key is zeroed when dropped).
pub struct Unlocked {
    person: Person,
    cert: CertId,
    key: SigningKey,
}

impl Unlocked {
    /// Who.
    pub fn person(&self) -> &Person {
        &self.person
    }
}

/// An open data directory.
pub struct Quancheng {
    dir: DataDir,
    store: Store,
    clock: Arc<dyn Clock>,
    entropy: Box<dyn Entropy>,
    device_id: String,
    device_key: SigningKey,
    anchor: TrustAnchor,
    /// Shared with the work done without the app (an import's files).
    blobs: Arc<qc_blobs::BlobStore>,
    upload_chunk: usize,
    /// The connection to the station, made once per station and reused.
    link: Option<station::CachedLink>,
}

impl Quancheng {
    /// Initialises a data directory: database key, encrypted database, bureau root key, this
    /// device's key and certificate, and the given people with PIN-wrapped keys.
    pub fn init(
        dir: &DataDir,
        people: &[Enrolment],
        clock: Arc<dyn Clock>,
        mut entropy: Box<dyn Entropy>,
    ) -> Result<InitReport, ApiError> {
        if dir.is_initialised() {
            return Err(ApiError::AlreadyInitialised(dir.root().to_owned()));
        }
        std::fs::create_dir_all(dir.root()).map_err(|source| ApiError::Io {
            path: dir.root().to_owned(),
            source,
        })?;
        for e in people {
            // Check every PIN before writing anything.
            keywrap::check_pin_strength(&e.pin)?;
        }
        let key = dir.key_or_new(entropy.as_mut())?;
        let store = Store::create(&dir.db_path(), &key)?;
        let now = clock.now();
        let from = Timestamp(now.0 - DEMO_CERT_BACKDATE_MS);
        let until = Timestamp(now.0 + CERT_VALIDITY_MS);

        let bureau = BureauKey::from_seed(&entropy::random::<32>(entropy.as_mut()));
        store.put_secret("bureau", bureau.seed().as_ref())?;
        store.set_meta("bureau_public", &bureau.public())?;

        let device_id = format!("device-{}", &entropy::uuid(entropy.as_mut())[..8]);
        let device_key = SigningKey::from_bytes(&entropy::random::<32>(entropy.as_mut()));
        store.put_secret("device", device_key.to_bytes().as_ref())?;
        let device_cert = bureau.issue(
            1,
            Subject::Device {
                device_id: device_id.clone(),
                squad: people
                    .first()
                    .map(|e| e.person.squad.clone())
                    .unwrap_or_default(),
                label: "本机".into(),
            },
            device_key.verifying_key().to_bytes(),
            from,
            until,
        )?;
        store.set_meta("device_id", device_id.as_bytes())?;
        store.set_meta(
            "device_cert",
            &serde_json::to_vec(&device_cert).map_err(json_err)?,
        )?;

        for (i, e) in people.iter().enumerate() {
            let key = SigningKey::from_bytes(&entropy::random::<32>(entropy.as_mut()));
            let cert = bureau.issue(
                i as u64 + 2,
                Subject::officer(&e.person),
                key.verifying_key().to_bytes(),
                from,
                until,
            )?;
            store.put_officer(&OfficerRecord {
                person_id: e.person.id.0.clone(),
                cert,
                wrapped: Some(wrap_key(&key, &e.pin, entropy.as_mut())?),
                guard: PinGuard::default(),
            })?;
        }
        tracing::info!(dir = %dir.root().display(), device = %device_id, people = people.len(), "initialised data directory");
        Ok(InitReport {
            bureau_public: hex::encode(bureau.public()),
            device_id,
            enrolled: people.to_vec(),
        })
    }

    /// Opens an initialised data directory.
    pub fn open(
        dir: &DataDir,
        clock: Arc<dyn Clock>,
        entropy: Box<dyn Entropy>,
    ) -> Result<Quancheng, ApiError> {
        if !dir.is_initialised() {
            return Err(ApiError::NotInitialised(dir.root().to_owned()));
        }
        let store = Store::open(&dir.db_path(), &dir.key()?)?;
        let missing = |what: &str| {
            ApiError::from(qc_store::StoreError::Malformed(format!(
                "no {what} in database"
            )))
        };
        let bureau: [u8; 32] = store
            .meta("bureau_public")?
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| missing("bureau key"))?;
        let device_id = store
            .meta("device_id")?
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| missing("device id"))?;
        let crl = stored_revocations(&store)?;
        let device_seed: [u8; 32] = store
            .secret("device")?
            .and_then(|s| s.as_slice().try_into().ok())
            .ok_or_else(|| missing("device key"))?;
        let mut entropy = entropy;
        let blobs = Arc::new(open_blobs(dir, &store, entropy.as_mut())?);
        Ok(Quancheng {
            dir: dir.clone(),
            store,
            clock,
            entropy,
            device_id,
            device_key: SigningKey::from_bytes(&device_seed),
            anchor: TrustAnchor::new(bureau, crl.as_ref())?,
            blobs,
            upload_chunk: station::UPLOAD_CHUNK,
            link: None,
        })
    }

    /// Replaces the catalogue (权责清单) with a city's edited list. Administrators only. A
    /// violation type that a case on this device still uses cannot be removed.
    pub fn import_catalogue(
        &mut self,
        json: &str,
        admin: &Unlocked,
    ) -> Result<Catalogue, ApiError> {
        require_admin(admin, "import catalogue")?;
        let catalogue = self.checked_catalogue(json)?;
        self.forget_station_file(qc_server::service::bureau::BureauKind::Catalogue)?;
        self.replace_catalogue(catalogue.clone())?;
        tracing::info!(version = catalogue.version, by = %admin.person.id, "catalogue replaced");
        Ok(catalogue)
    }

    /// A catalogue that may replace this device's: it parses and keeps every violation type
    /// a case here uses.
    fn checked_catalogue(&self, json: &str) -> Result<Catalogue, ApiError> {
        let catalogue = Catalogue::from_json(json).map_err(|e| ApiError::Invalid(e.zh()))?;
        let orphaned: Vec<String> = self
            .store
            .violation_codes_in_use()?
            .into_iter()
            .filter(|code| catalogue.violation(code).is_none())
            .collect();
        if !orphaned.is_empty() {
            return Err(ApiError::Invalid(format!(
                "以下违法行为类型仍有本机案件使用，不能删除：{}",
                orphaned.join("、")
            )));
        }
        Ok(catalogue)
    }

    /// Revokes a person's certificate from now on, by the bureau key held in this data
    /// directory, at the embedded station run from here if there is one. Administrators only.
    /// Their acts before now stay valid.
    pub fn revoke(
        &mut self,
        person_id: &str,
        reason: &str,
        admin: &Unlocked,
    ) -> Result<(), ApiError> {
        let station = self.embedded_station()?;
        self.revoke_on(station.as_ref(), person_id, reason, admin)
    }

    /// [`Self::revoke`] at the station `station` (on whichever store it keeps; none: only
    /// here): keys made on tablets for the person are revoked too, and the station and every
    /// process on its store refuse them at once.
    pub fn revoke_on<S: Storage>(
        &mut self,
        station: Option<&Service<S>>,
        person_id: &str,
        reason: &str,
        admin: &Unlocked,
    ) -> Result<(), ApiError> {
        let mut certs = vec![self.store.officer(person_id)?.cert];
        if let Some(station) = station {
            certs.extend(station.person_certificates(person_id)?);
        }
        self.revoke_certificates(station, &certs, person_id, reason, admin)
    }

    /// Revokes an enrolled device (a lost or stolen tablet) from now on: the station refuses
    /// it at once. Administrators only, on the bureau directory that runs the station.
    pub fn revoke_device(
        &mut self,
        device_id: &str,
        reason: &str,
        admin: &Unlocked,
    ) -> Result<(), ApiError> {
        let station = self.station_service()?;
        self.revoke_device_on(&station, device_id, reason, admin)
    }

    /// [`Self::revoke_device`] at the station `station` (on whichever store it keeps).
    pub fn revoke_device_on<S: Storage>(
        &mut self,
        station: &Service<S>,
        device_id: &str,
        reason: &str,
        admin: &Unlocked,
    ) -> Result<(), ApiError> {
        require_admin(admin, "revoke")?;
        let cert = station
            .device_certificate(device_id)?
            .ok_or_else(|| ApiError::Invalid(format!("no device {device_id} is enrolled")))?;
        self.revoke_certificates(Some(station), &[cert], device_id, reason, admin)
    }

    /// Adds certificates to the bureau's revocation list and puts the new list in force here
    /// and at `station`.
    fn revoke_certificates<S: Storage>(
        &mut self,
        station: Option<&Service<S>>,
        certs: &[SignedCertificate],
        whose: &str,
        reason: &str,
        admin: &Unlocked,
    ) -> Result<(), ApiError> {
        require_admin(admin, "revoke")?;
        if reason.trim().is_empty() {
            return Err(qc_domain::RuleViolation::EmptyField {
                field: "吊销理由"
            }
            .into());
        }
        let now = self.now();
        let seed: [u8; 32] = self
            .store
            .secret("bureau")?
            .and_then(|s| s.as_slice().try_into().ok())
            .ok_or_else(|| ApiError::Invalid("this data directory holds no bureau key".into()))?;
        let already = || ApiError::Invalid(format!("{whose} is already revoked"));
        let crl = match station {
            // Built on the list the station keeps, by compare-and-set: a revocation made there
            // meanwhile (a desk's keys, another process) is kept, not overwritten. A running
            // station process takes it up with its next request.
            Some(station) => {
                station
                    .revoke_certificates(certs, reason, now)?
                    .ok_or_else(already)?
                    .0
            }
            None => {
                let bureau = BureauKey::from_seed(&seed);
                bureau
                    .revoke_more(self.anchor.revocations(), certs, reason, now)
                    .ok_or_else(already)?
                    .0
            }
        };
        self.adopt_revocations(&crl)?;
        tracing::warn!(whose, by = %admin.person.id, "certificate revoked");
        Ok(())
    }

    /// Puts a revocation list signed by the bureau in force here, if newer than the one held.
    pub(crate) fn adopt_revocations(&mut self, crl: &SignedRevocationList) -> Result<(), ApiError> {
        let anchor = TrustAnchor::new(self.anchor.bureau_public(), Some(crl))?;
        if anchor.revocations().number <= self.anchor.revocations().number
            && self.store.meta("revocations")?.is_some()
        {
            return Ok(());
        }
        self.store
            .set_meta("revocations", &serde_json::to_vec(crl).map_err(json_err)?)?;
        self.anchor = anchor;
        Ok(())
    }

    /// Sets how many bytes of evidence go per upload request (smaller chunks lose less to a
    /// poor link; the default is [`station::UPLOAD_CHUNK`]).
    pub fn set_upload_chunk(&mut self, bytes: usize) {
        let align = qc_sync::wire::BLOB_ALIGN as usize;
        self.upload_chunk = bytes.clamp(align, qc_server::http::MAX_BODY) / align * align;
    }

    /// The data directory.
    pub fn data_dir(&self) -> &DataDir {
        &self.dir
    }

    /// The bureau public key this device trusts (hex): what `quancheng verify --bureau` takes.
    pub fn bureau_public_hex(&self) -> String {
        hex::encode(self.anchor.bureau_public())
    }

    /// This device's id.
    pub fn device_id(&self) -> &str {
        &self.device_id
    }

    /// The catalogue of domains and violation types in force.
    pub fn catalogue(&self) -> &Catalogue {
        self.store.catalogue()
    }

    /// The current time by the injected clock.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Everyone enrolled on this device whose certificate is valid now.
    pub fn people(&self) -> Result<Vec<Person>, ApiError> {
        let now = self.now();
        Ok(self
            .store
            .officers()?
            .iter()
            .filter_map(|r| self.anchor.verify(&r.cert, now).ok())
            .filter_map(|c| c.person())
            .collect())
    }

    fn certified_person(&self, cert: &SignedCertificate) -> Result<Person, ApiError> {
        self.anchor
            .verify(cert, self.now())?
            .person()
            .ok_or_else(|| ApiError::Invalid("certificate is not an officer's".into()))
    }

    /// The people whose signing keys are on this device (who can sign in here).
    pub fn signers_here(&self) -> Result<Vec<Person>, ApiError> {
        let now = self.now();
        Ok(self
            .store
            .officers()?
            .iter()
            .filter(|r| r.wrapped.is_some())
            .filter_map(|r| self.anchor.verify(&r.cert, now).ok())
            .filter_map(|c| c.person())
            .collect())
    }

    /// The whole-process record of a case (执法全过程记录) as people read it: every signed entry
    /// about it in file order (who, what, when, signed by whom), and whether all of it verifies.
    pub fn case_record(&self, case: &str) -> Result<CaseRecord, ApiError> {
        let id = self.resolve_case(case)?;
        let report = self.verify_case_feeds(&id)?;
        Ok(CaseRecord {
            items: qc_bundle::table_of_contents(&id, &report.entries),
            verified: report.is_clean(),
            problems: report.problems.iter().map(qc_chain::Problem::zh).collect(),
        })
    }

    /// Unlocks an officer's key with their PIN. Wrong PINs are counted and persisted; too many
    /// lock the key out. An expired or revoked certificate is refused before the PIN is tried.
    /// A key wrapped at a lower cost than today's is wrapped again at today's.
    pub fn unlock(&mut self, person_id: &str, pin: &str) -> Result<Unlocked, ApiError> {
        let rec = self.store.officer(person_id)?;
        let person = self.certified_person(&rec.cert)?;
        let wrapped = rec.wrapped.as_ref().ok_or_else(|| {
            ApiError::Invalid(format!("{person_id} has no signing key on this device"))
        })?;
        let mut guard = rec.guard;
        let now = self.now();
        let entropy = self.entropy.as_mut();
        let (outcome, upgraded) =
            match keywrap::unwrap_upgrading(wrapped, pin, &mut guard, now, PIN_KDF, || {
                (entropy::random(entropy), entropy::random(entropy))
            }) {
                Ok((key, upgraded)) => (Ok(key), upgraded),
                Err(e) => (Err(e), None),
            };
        let cert = rec.cert.id();
        match upgraded {
            Some(upgraded) => {
                // The new wrap and the reset count in one write.
                self.store.put_officer(&OfficerRecord {
                    wrapped: Some(upgraded),
                    guard,
                    ..rec
                })?;
                tracing::info!(
                    person = person_id,
                    "officer key wrapped again at today's cost"
                );
            }
            None if guard != rec.guard => self.store.save_pin_guard(person_id, &guard)?,
            None => {}
        }
        match outcome {
            Ok(key) => Ok(Unlocked { person, cert, key }),
            Err(e) => {
                tracing::warn!(person = person_id, error = %e, "unlock refused");
                Err(e.into())
            }
        }
    }

    /// Registers a new case (登记) by an unlocked officer.
    pub fn register_case(
        &mut self,
        new: NewCase,
        registrar: &Unlocked,
    ) -> Result<CaseId, ApiError> {
        let at = self.now();
        self.register_case_at(new, registrar, at)
    }

    pub(crate) fn register_case_at(
        &mut self,
        new: NewCase,
        registrar: &Unlocked,
        at: Timestamp,
    ) -> Result<CaseId, ApiError> {
        let domain = self
            .catalogue()
            .violation(&new.violation)
            .map(|(d, _)| d.code.clone())
            .ok_or_else(|| qc_domain::RuleViolation::UnknownViolationType {
                code: new.violation.clone(),
            })?;
        let header = CaseHeader {
            id: CaseId(entropy::uuid(self.entropy.as_mut())),
            source: new.source,
            domain,
            violation: new.violation,
            location: Location {
                address: new.address.trim().into(),
                grid: new.grid.trim().into(),
                gps: new.gps,
            },
            parties: new.parties,
            summary: new.summary.trim().into(),
            squad: registrar.person.squad.clone(),
            registered_at: at,
            registered_by: registrar.person.id.clone(),
        };
        check_registration(&header, &registrar.person, self.catalogue())?;
        let mut doc = CaseDoc::create(&header, self.device_id.as_bytes(), at)?;
        let who = [registrar];
        let sign = signer(
            &self.device_id,
            &self.device_key,
            at,
            Action::CaseRegistered,
            &who,
        );
        self.store.insert_case(&mut doc, &self.device_id, sign)?;
        tracing::info!(case = %header.id, by = %registrar.person.id, "case registered");
        Ok(header.id)
    }

    /// Records a workflow act on a case, done or approved by the unlocked officers.
    pub fn record_act(
        &mut self,
        case: &str,
        act: Act,
        actors: &[&Unlocked],
    ) -> Result<(), ApiError> {
        let at = self.now();
        self.record_act_at(case, act, actors, at, Vec::new())
    }

    /// 送达 with the recipient's signature drawn on the tablet (签收): the image is kept as a
    /// blob named in the act's entry and goes onto the 送达回证.
    pub fn deliver_signed(
        &mut self,
        case: &str,
        mut act: Act,
        signature: &[u8],
        actors: &[&Unlocked],
    ) -> Result<(), ApiError> {
        let Act::Deliver {
            receipt: Some(receipt),
            ..
        } = &mut act
        else {
            return Err(ApiError::Invalid(
                "a signature goes with a delivery and its receipt".into(),
            ));
        };
        if receipt.refused {
            return Err(ApiError::Invalid(
                "a recipient who refused did not sign (留置送达)".into(),
            ));
        }
        let hash = self.put_signature_image(signature)?;
        receipt.signature = Some(hex::encode(hash));
        let at = self.now();
        self.record_act_at(case, act, actors, at, vec![hash])
    }

    /// Records `act` at `at`; the entry names `blobs` (a signature image the act carries).
    pub(crate) fn record_act_at(
        &mut self,
        case: &str,
        act: Act,
        actors: &[&Unlocked],
        at: Timestamp,
        blobs: Vec<[u8; 32]>,
    ) -> Result<(), ApiError> {
        let case_id = self.resolve_case(case)?;
        let signers = actors;
        let actors: Vec<Person> = actors.iter().map(|u| u.person.clone()).collect();
        let directory = self.people()?;
        let catalogue = self.catalogue().clone();
        let event = WorkflowEvent {
            id: entropy::uuid(self.entropy.as_mut()),
            at,
            actors: actors.iter().map(|p| p.id.clone()).collect(),
            act,
        };
        let sign = signer(
            &self.device_id,
            &self.device_key,
            at,
            Action::Workflow {
                act: event.act.name().into(),
            },
            signers,
        );
        self.store.update_case(
            &case_id,
            &self.device_id,
            |doc| -> Result<Touched, ApiError> {
                let state = doc.state()?;
                let ctx = Context {
                    directory: &directory,
                    catalogue: &catalogue,
                    now: at,
                };
                validate(&state, &event.act, &actors, &ctx)?;
                doc.append_event(&event)?;
                Ok(Touched {
                    blobs,
                    records: Vec::new(),
                })
            },
            sign,
        )?;
        tracing::info!(case = %case_id, act = event.act.name(), "act recorded");
        Ok(())
    }

    /// The full id of the one case whose id starts with `prefix`.
    pub fn resolve_case(&self, prefix: &str) -> Result<String, ApiError> {
        let prefix = prefix.trim();
        if prefix.is_empty() {
            return Err(ApiError::UnknownCase(prefix.into()));
        }
        let ids = self.store.case_ids_with_prefix(prefix, 2)?;
        match ids.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(ApiError::UnknownCase(prefix.into())),
            _ => Err(ApiError::AmbiguousCase(prefix.into())),
        }
    }

    /// The case list.
    pub fn list_cases(&self, filter: &CaseFilter) -> Result<Vec<CaseRow>, ApiError> {
        Ok(self.store.list_cases(filter, self.now())?)
    }

    /// Every certificate known here: this device's first, each enrolled person's, and those
    /// that came with other devices' entries.
    pub fn certificates(&self) -> Result<Vec<SignedCertificate>, ApiError> {
        let mut certs = self.certificates_held_here()?;
        for c in self.other_certificates()? {
            push_new(&mut certs, c);
        }
        Ok(certs)
    }

    /// This device's certificate and each enrolled person's.
    fn certificates_held_here(&self) -> Result<Vec<SignedCertificate>, ApiError> {
        let device: SignedCertificate = self
            .store
            .meta("device_cert")?
            .map(|b| serde_json::from_slice(&b))
            .transpose()
            .map_err(json_err)?
            .ok_or_else(|| ApiError::Invalid("no device certificate".into()))?;
        let mut certs = vec![device];
        certs.extend(self.store.officers()?.into_iter().map(|r| r.cert));
        Ok(certs)
    }

    /// Checks the chain entries of every device that touched the case, against the bureau key.
    pub fn verify_case_feeds(&self, case: &str) -> Result<qc_chain::FeedReport, ApiError> {
        let id = self.resolve_case(case)?;
        let feeds = self.store.feeds_for_case(&id)?;
        Ok(qc_chain::verify_feed(
            &self.anchor,
            &self.certificates()?,
            &feeds,
        ))
    }

    /// Exports the case file to `out`, written whole or not at all (a temporary file beside
    /// it, synced, then renamed); see [`Self::export_case`].
    pub fn export_case_file(
        &mut self,
        case: &str,
        by: &Unlocked,
        out: &std::path::Path,
    ) -> Result<qc_bundle::Contents, ApiError> {
        let io = |source| ApiError::Io {
            path: out.to_owned(),
            source,
        };
        if let Some(parent) = out.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let tmp = out.with_extension("partial");
        let mut writer = std::io::BufWriter::new(std::fs::File::create(&tmp).map_err(io)?);
        let written = self.export_case(case, by, &mut writer);
        let finished = written.and_then(|contents| {
            writer
                .into_inner()
                .map_err(|e| e.into_error())
                .and_then(|f| f.sync_all())
                .and_then(|()| std::fs::rename(&tmp, out))
                .map_err(io)?;
            Ok(contents)
        });
        if finished.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        finished
    }

    /// Where the app puts exported case files.
    pub fn exports_dir(&self) -> std::path::PathBuf {
        self.dir.root().join("exports")
    }

    /// Exports the case file (一案一档) as a bundle. The export is itself an act: `by` signs an
    /// entry for it that commits to everything else in the bundle (so a bundle cut back to an
    /// earlier state does not verify), and the bundle includes that entry.
    pub fn export_case(
        &mut self,
        case: &str,
        by: &Unlocked,
        out: impl std::io::Write,
    ) -> Result<qc_bundle::Contents, ApiError> {
        let id = self.resolve_case(case)?;
        let at = self.now();
        let mut doc = self.store.case_doc(&id, self.device_id.as_bytes())?;
        let heads = doc.heads_digests();
        let entries = self.store.feeds_for_export(&id, &self.device_id)?;
        let certificates = self.certificates()?;
        let feed = qc_chain::verify_feed(&self.anchor, &certificates, &entries);
        let case_entries: Vec<qc_chain::Entry> = entries
            .iter()
            .filter_map(|e| e.entry().ok())
            .filter(|e| e.case == id)
            .collect();
        // Files deleted with the head's approval (删除原件) are named, not carried: by the
        // verified entries, as the verifier decides.
        let deleted = qc_chain::deleted_files(
            feed.entries
                .iter()
                .map(|v| &v.entry)
                .filter(|e| e.case == id),
        );
        let hashes: std::collections::BTreeSet<[u8; 32]> = case_entries
            .into_iter()
            .flat_map(|e| e.blobs)
            .filter(|h| !deleted.contains(h))
            .collect();
        // A reviewer's tablet may not hold another squad's files yet: fetch them from the
        // station, if there is one.
        if self.station()?.is_some() {
            self.fetch_blobs(&id, &hashes.iter().copied().collect::<Vec<_>>())?;
        }
        let mut blobs = std::collections::BTreeMap::new();
        for hash in hashes {
            blobs.insert(hash, self.read_blob(&hash)?);
        }
        let mut receipts = Vec::new();
        for e in &entries {
            if let Some(json) = self.store.receipt(&e.hash())? {
                receipts.push((e.hash(), serde_json::from_str(&json).map_err(json_err)?));
            }
        }
        // Where this device's feed stands in the bundle: the export entry follows it.
        let ours = entries
            .iter()
            .rposition(|e| e.entry().is_ok_and(|e| e.device == self.device_id));
        let head = ours.map_or(Ok(FeedHead::default()), |i| {
            let e = &entries[i];
            e.entry()
                .map(|entry| FeedHead::after(e, &entry))
                .map_err(|e| ApiError::Invalid(e.to_string()))
        })?;
        let mut contents = qc_bundle::Contents {
            case: id.clone(),
            exported_at: at,
            bureau_public: self.anchor.bureau_public(),
            document: doc.save(),
            toc: qc_bundle::table_of_contents(&id, &feed.entries),
            entries,
            certificates,
            revocations: stored_revocations(&self.store)?,
            blobs,
            receipts,
            export: [0; 32],
        };
        let commitment = qc_bundle::export_commitment(&contents)
            .map_err(|e| ApiError::Invalid(e.to_string()))?;
        let who = [by];
        let sign = signer(&self.device_id, &self.device_key, at, Action::Export, &who);
        let mut export = None;
        self.store.update_case(
            &id,
            &self.device_id,
            |_| {
                Ok::<_, ApiError>(Touched {
                    blobs: Vec::new(),
                    records: vec![commitment],
                })
            },
            |ctx| {
                // The entry commits to what was read above; nothing may have moved since.
                if ctx.heads != heads || ctx.head != head {
                    return Err(qc_store::StoreError::Malformed(
                        "the case changed while it was being exported".into(),
                    ));
                }
                let signed = sign(ctx)?;
                export = Some(signed.clone());
                Ok(signed)
            },
        )?;
        let export = export.ok_or_else(|| ApiError::Invalid("the export was not signed".into()))?;
        contents.export = export.hash();
        contents
            .entries
            .insert(ours.map_or(contents.entries.len(), |i| i + 1), export);
        qc_bundle::write(out, &contents).map_err(|e| ApiError::Invalid(e.to_string()))?;
        tracing::info!(case = %id, by = %by.person.id, "case exported");
        Ok(contents)
    }

    /// Number of entries in the feeds held here.
    pub fn ledger_len(&self) -> Result<u64, ApiError> {
        Ok(self.store.ledger_len()?)
    }

    /// How many cases match a filter (its page ignored): the list's "N 件".
    pub fn count_cases(&self, filter: &CaseFilter) -> Result<u64, ApiError> {
        Ok(self.store.count_cases(filter, self.now())?)
    }

    /// Grid units that some case on this device lies in.
    pub fn grids(&self) -> Result<Vec<String>, ApiError> {
        Ok(self.store.grids_in_use()?)
    }

    /// Number of cases on this device.
    pub fn case_count(&self) -> Result<u64, ApiError> {
        Ok(self.store.case_count()?)
    }

    /// How many cases have a deadline overdue, and how many one due soon (the "to do" counts).
    pub fn deadline_counts(&self) -> Result<DeadlineCounts, ApiError> {
        let count = |due| {
            self.store.count_cases(
                &CaseFilter {
                    due: Some(due),
                    ..Default::default()
                },
                self.now(),
            )
        };
        Ok(DeadlineCounts {
            overdue: count(qc_store::DueFilter::Overdue)?,
            due_soon: count(qc_store::DueFilter::DueSoon)?,
        })
    }

    /// Refuses unless `who` is an administrator (管理员).
    pub fn require_admin(&self, who: &Unlocked, act: &'static str) -> Result<(), ApiError> {
        require_admin(who, act)
    }

    /// How many matters of `squad` (or all squads) were handled by service, management and
    /// enforcement between `from` and `to` (721 工作法).
    pub fn ratio_721(
        &self,
        squad: Option<&str>,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<qc_store::Ratio721, ApiError> {
        Ok(self.store.ratio_721(squad, from, to)?)
    }

    /// Everything about one case (id or unique id prefix).
    pub fn case_detail(&self, case: &str) -> Result<CaseDetail, ApiError> {
        let id = self.resolve_case(case)?;
        let mut doc = self.store.case_doc(&id, self.device_id.as_bytes())?;
        let people = self.store.officers()?;
        let names = people
            .iter()
            .filter_map(|r| r.cert.decode_unverified().ok()?.person())
            .map(|p| (p.id.0.clone(), p.name))
            .collect();
        view::detail(
            &mut doc,
            self.catalogue(),
            &names,
            (
                &self.store.deadlines(&id, self.now())?,
                self.case_reviews(&id)?,
                match self.store.set_aside_about(&id)? {
                    (0, _) => None,
                    (entries, reason) => Some(view::SetAsideView {
                        entries,
                        reason: reason.unwrap_or_default(),
                    }),
                },
            ),
            self.now(),
        )
    }

    /// The case-file reviews (案卷评查) desks signed that this device holds (verified when
    /// they came down), about `case` or about any, each with its entry's hash.
    pub(crate) fn held_reviews(
        &self,
        case: Option<&str>,
    ) -> Result<Vec<(Digest, Entry)>, ApiError> {
        Ok(self
            .store
            .desk_entries(case)?
            .iter()
            .filter_map(|s| Some((s.hash(), s.entry().ok()?)))
            .filter(|(_, e)| e.action == Action::CaseFileReviewed)
            .collect())
    }

    /// The case-file reviews (案卷评查) desks signed about `case` that this device holds,
    /// oldest first, each with its sheet once fetched and read as its entry names it.
    fn case_reviews(&self, case: &str) -> Result<Vec<view::ReviewView>, ApiError> {
        let reviews = self.held_reviews(Some(case))?;
        if reviews.is_empty() {
            return Ok(Vec::new());
        }
        let certificates = self.certificates()?;
        let name = |actor: &CertId| {
            certificates
                .iter()
                .find(|c| c.id() == *actor)
                .and_then(|c| c.decode_unverified().ok()?.person())
                .map_or_else(|| actor.to_hex(), |p| p.name)
        };
        let mut out: Vec<view::ReviewView> = reviews
            .into_iter()
            .map(|(hash, e)| {
                // Read from the blob store, which checks the bytes against their hash.
                let bytes = e
                    .blobs
                    .first()
                    .filter(|h| self.blobs.contains(h))
                    .and_then(|h| self.read_blob(h).ok());
                let sheet = match qc_bundle::review_sheet(&e, case, bytes.as_deref()) {
                    Ok(Some(review)) => view::SheetState::Read {
                        sheet: view::ReviewSheet::of(&review),
                    },
                    Ok(None) if bytes.is_none() => view::SheetState::Pending,
                    Ok(None) => view::SheetState::Unreadable {
                        why: "the sheet does not read as a review".into(),
                    },
                    Err(why) => view::SheetState::Unreadable { why },
                };
                view::ReviewView {
                    entry: hex::encode(hash),
                    at: e.time,
                    reviewers: e.actors.iter().map(name).collect(),
                    sheet,
                }
            })
            .collect();
        out.sort_by_key(|r| r.at);
        Ok(out)
    }
}

/// Adds `item` to `list` unless it holds it already (the lists are short; their order is kept).
fn push_new<T: PartialEq>(list: &mut Vec<T>, item: T) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// Builds the signer of the entry recording a change: the device's next entry, committing to the
/// document's heads after the change, signed by the device and by each actor.
fn signer<'a>(
    device: &'a str,
    device_key: &'a SigningKey,
    at: Timestamp,
    action: Action,
    actors: &'a [&'a Unlocked],
) -> impl FnOnce(&EntryContext) -> Result<SignedEntry, qc_store::StoreError> + 'a {
    move |ctx| {
        let entry = Entry {
            device: device.to_owned(),
            seq: ctx.head.seq + 1,
            prev: ctx.head.hash,
            time: at,
            actors: actors.iter().map(|u| u.cert).collect(),
            action,
            case: ctx.case_id.clone(),
            heads: ctx.heads.clone(),
            blobs: ctx.touched.blobs.clone(),
            records: ctx.touched.records.clone(),
        };
        let keys: Vec<&SigningKey> = actors.iter().map(|u| &u.key).collect();
        Ok(SignedEntry::sign(&entry, device_key, &keys))
    }
}

/// The evidence blob store under `DATA_DIR/blobs`, with its key from the encrypted database
/// (made on first use, never replaced).
fn open_blobs(
    dir: &DataDir,
    store: &Store,
    entropy: &mut dyn Entropy,
) -> Result<qc_blobs::BlobStore, ApiError> {
    let key: [u8; 32] = match store.secret("blobs")? {
        Some(k) => k
            .as_slice()
            .try_into()
            .map_err(|_| ApiError::Invalid("stored blob key is not 32 bytes".into()))?,
        None => {
            let k = entropy::random::<32>(entropy);
            store.put_secret("blobs", &k)?;
            k
        }
    };
    let path = dir.root().join("blobs");
    qc_blobs::BlobStore::open(&path, key).map_err(|source| ApiError::Io { path, source })
}

/// An officer's key wrapped under their new PIN at [`PIN_KDF`], with a fresh salt and nonce.
pub(crate) fn wrap_key(
    key: &SigningKey,
    pin: &str,
    entropy: &mut dyn Entropy,
) -> Result<qc_identity::WrappedKey, ApiError> {
    let (salt, nonce) = (entropy::random(entropy), entropy::random(entropy));
    Ok(keywrap::wrap(key, pin, salt, nonce, PIN_KDF)?)
}

/// The bureau's signed revocation list as last stored here.
fn stored_revocations(store: &Store) -> Result<Option<SignedRevocationList>, ApiError> {
    store
        .meta("revocations")?
        .map(|b| serde_json::from_slice(&b))
        .transpose()
        .map_err(json_err)
}

fn require_admin(who: &Unlocked, act: &'static str) -> Result<(), ApiError> {
    if who.person.role == qc_domain::Role::Administrator {
        Ok(())
    } else {
        Err(qc_domain::RuleViolation::RoleRequired {
            act,
            roles: &[qc_domain::Role::Administrator],
        }
        .into())
    }
}

fn json_err(e: serde_json::Error) -> ApiError {
    ApiError::Invalid(e.to_string())
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod documents_tests;
