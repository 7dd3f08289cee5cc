//! Acts done at the bureau's desks, signed onto the log like a tablet's. Each desk account acts
//! through a device of its own that the station holds (`desk-<login>`, its key derived from the
//! station's desk seed, certified by the bureau key), and signs as a person with a key only its
//! password yields (the console derives it; the station certifies it the first time it signs).
//! So the log says which desk and which person did what, and a verifier checks it as any entry.
//!
//! The acts: the export of a case file (一案一档) as a bundle, the station's case as it keeps
//! it, bound to a signed export entry exactly as a tablet's export is; and the review of a
//! closed case's file (案卷评查), its sheet a file of the case that the entry names.

use std::collections::BTreeSet;

use ed25519_dalek::SigningKey;
use qc_bundle::{Contents, Report};
use qc_casedoc::CaseDoc;
use qc_chain::{Action, Entry, FeedHead, SignedEntry};
use qc_domain::review::{CaseFileReview, REVIEWERS};
use qc_domain::{CaseView, Person, SignersRequired, Timestamp};
use qc_identity::{IdentityError, SignedCertificate, Subject};
use qc_sync::wire::PushEntries;
use sha2::{Digest as _, Sha256};

use super::check::Keep;
use super::{Scope, Service, ServiceError};
use crate::storage::{Storage, StorageError};

/// How often a desk act is signed again when another instance appended to the same desk's feed
/// in between.
const DESK_ACT_TRIES: usize = 3;

/// Who signs a desk act: the account, the person it is (as their certificate will name them),
/// the cases the account sees, and the person's key the console derived.
pub struct DeskSigner<'a> {
    /// The desk account's login.
    pub login: &'a str,
    /// The person.
    pub person: &'a Person,
    /// The cases the account sees (a squad leader's desk may cover several squads).
    pub view: &'a CaseView,
    /// The person's key.
    pub key: &'a SigningKey,
}

impl DeskSigner<'_> {
    /// Refuses the act `what` unless this person holds a role it needs (`required`).
    pub(super) fn may(&self, required: SignersRequired, what: &str) -> Result<(), ServiceError> {
        if required.counts(self.person) {
            Ok(())
        } else {
            Err(ServiceError::Forbidden(format!(
                "{} may not {what}",
                self.login
            )))
        }
    }
}

/// A case file exported at a desk.
pub struct Exported {
    /// The bundle's bytes (docs/bundle-format.md).
    pub bundle: Vec<u8>,
    /// What verifying the bundle found (the same verifier as `quancheng verify`).
    pub report: Report,
}

/// How the id of every desk device begins (no tablet may enrol with such an id).
pub const DESK_PREFIX: &str = qc_chain::DESK_DEVICE_PREFIX;

/// Most bytes of evidence a bundle made here holds: it is built in memory (as on a tablet);
/// a bigger case is exported on a tablet.
pub const EXPORT_MAX_BYTES: u64 = 512 * 1024 * 1024;

/// The device a desk account acts through.
pub fn desk_device(login: &str) -> String {
    format!("{DESK_PREFIX}{login}")
}

impl<S: Storage> Service<S> {
    /// The salt of the key a desk account signs with: the station's secret seed, the login
    /// and the account's own random bytes (`own`, new with each password), so a certificate's
    /// public key (in every bundle) cannot be checked against guessed passwords without the
    /// station, and a password used again derives a key never revoked.
    pub fn desk_key_salt(&self, login: &str, own: &[u8]) -> [u8; 16] {
        let mut h = Sha256::new();
        h.update(b"quancheng desk signing key salt\0");
        h.update(self.identity.desk_seed);
        h.update(login.as_bytes());
        // Empty for an account made before: its key stays the one it had.
        h.update(own);
        let d: [u8; 32] = h.finalize().into();
        let mut salt = [0; 16];
        salt.copy_from_slice(&d[..16]);
        salt
    }

    /// Whether `signer` may sign an act that `required` roles sign, their desk's certificate
    /// in force (issued now if need be): what a desk act checks before it changes anything.
    pub fn desk_signer_ready(
        &self,
        signer: &DeskSigner<'_>,
        required: SignersRequired,
        now: Timestamp,
    ) -> Result<(), ServiceError> {
        signer.may(required, "sign this act")?;
        self.desk_certificate(signer, now).map(drop)
    }

    /// 管理操作: signs `act` as `signer`'s act on their desk device (an administrator's), its
    /// sheet kept under the day's administration id; the entry's hash.
    pub fn record_admin_act(
        &self,
        act: &qc_domain::admin::AdminAct,
        signer: &DeskSigner<'_>,
        now: Timestamp,
    ) -> Result<qc_chain::Digest, ServiceError> {
        signer.may(
            qc_domain::admin::ADMINISTRATORS,
            "record an administration act",
        )?;
        let hash = self.sign_sheet(
            signer,
            (Action::Administered, &act.log_id(), Vec::new()),
            &act.to_json(),
            now,
        )?;
        tracing::info!(login = signer.login, kind = ?act.kind, subject = act.subject, "administration act logged");
        Ok(hash)
    }

    /// The administration acts the log holds for the day `id` names (`admin-YYYYMMDD`), in
    /// log order, each with its entry: what an auditor reads back.
    pub fn admin_acts(
        &self,
        id: &str,
    ) -> Result<Vec<(SignedEntry, qc_domain::admin::AdminAct)>, ServiceError> {
        let mut acts = Vec::new();
        for signed in self.storage.case_entries(id)? {
            let entry = signed
                .entry()
                .map_err(|e| StorageError::Damaged(format!("an entry of {id}: {e}")))?;
            let [sheet] = entry.blobs.as_slice() else {
                return Err(
                    StorageError::Damaged(format!("an entry of {id} names no sheet")).into(),
                );
            };
            let json = self.sheet(sheet)?;
            let act = serde_json::from_slice(&json).map_err(|e| {
                StorageError::Damaged(format!("the sheet of an entry of {id}: {e}"))
            })?;
            acts.push((signed, act));
        }
        Ok(acts)
    }

    /// Revokes from `now` every signing key certified on `login`'s desk (its password changed
    /// or its account was reset: a key the old password derives must sign nothing more; what
    /// it signed before stays valid). How many certificates the list gained.
    pub fn revoke_desk_keys(
        &self,
        login: &str,
        reason: &str,
        now: Timestamp,
    ) -> Result<usize, ServiceError> {
        let certs = self.storage.officer_certs_of(&desk_device(login))?;
        let added = self
            .revoke_certificates(&certs, reason, now)?
            .map_or(0, |(_, added)| added);
        if added > 0 {
            tracing::warn!(login, added, "desk signing keys revoked");
        }
        Ok(added)
    }

    /// The key of the device a desk account acts through: derived, so every instance of the
    /// station holds the same one.
    fn desk_device_key(&self, login: &str) -> SigningKey {
        let mut h = Sha256::new();
        h.update(b"quancheng desk device key\0");
        h.update(self.identity.desk_seed);
        h.update(login.as_bytes());
        SigningKey::from_bytes(&h.finalize().into())
    }

    /// The certificate of `signer`'s key on its desk device, issued (and the device
    /// registered) the first time it signs, and again once expired. A revoked one stays
    /// revoked: the account cannot sign until the administrator deals with it.
    fn desk_certificate(
        &self,
        signer: &DeskSigner<'_>,
        now: Timestamp,
    ) -> Result<SignedCertificate, ServiceError> {
        let device = desk_device(signer.login);
        let public = signer.key.verifying_key().to_bytes();
        let device_key = self
            .desk_device_key(signer.login)
            .verifying_key()
            .to_bytes();
        // Whether a certificate is in force (`false` once expired; an error once revoked).
        let in_force = |c: &SignedCertificate| -> Result<bool, ServiceError> {
            let trust = self.trust();
            let d = trust
                .anchor
                .verify_issued(c)
                .map_err(|e| StorageError::Damaged(format!("a desk certificate: {e}")))?;
            match trust.anchor.check_valid_at(&c.id(), &d, now) {
                Err(IdentityError::Revoked { .. }) => Err(ServiceError::Forbidden(format!(
                    "the desk of {} is revoked",
                    signer.login
                ))),
                Err(_) => Ok(false),
                Ok(()) => Ok(true),
            }
        };
        match self.storage.device(&device)? {
            Some(cert) => {
                if cert.decode_unverified().map(|d| d.public_key).ok() != Some(device_key) {
                    return Err(ServiceError::Forbidden(format!(
                        "device {device} is not the station's desk device"
                    )));
                }
                if !in_force(&cert)? {
                    self.register_desk_device(signer, &device, device_key, now)?;
                }
            }
            None => self.register_desk_device(signer, &device, device_key, now)?,
        }
        for cert in self.storage.officer_certs_of(&device)? {
            if cert
                .decode_unverified()
                .is_ok_and(|d| d.public_key == public)
                && in_force(&cert)?
            {
                return Ok(cert);
            }
        }
        let cert = self.certify(Subject::officer(signer.person), public, now)?;
        self.storage.add_officer_cert(&device, &cert)?;
        tracing::info!(login = signer.login, "desk signing key certified");
        Ok(cert)
    }

    /// Certifies and keeps the desk device of `signer` (its derived key).
    fn register_desk_device(
        &self,
        signer: &DeskSigner<'_>,
        device: &str,
        key: [u8; 32],
        now: Timestamp,
    ) -> Result<(), ServiceError> {
        let cert = self.certify(
            Subject::Device {
                device_id: device.to_owned(),
                squad: signer.person.squad.clone(),
                label: format!("局端控制台 {}", signer.person.name),
            },
            key,
            now,
        )?;
        Ok(self.storage.add_device(device, &cert)?)
    }

    /// Exports `case` as the station keeps it, as a bundle bound to an export entry `signer`
    /// signs on their desk device (logged like any entry); `None` for a case the station never
    /// received. Whether `signer` may see the case is the console's to check; the log refuses
    /// an act on a case out of the desk device's people's view all the same.
    pub fn export_case(
        &self,
        case: &str,
        signer: &DeskSigner<'_>,
        now: Timestamp,
    ) -> Result<Option<Exported>, ServiceError> {
        let cert = self.desk_certificate(signer, now)?;
        let device = desk_device(signer.login);
        let device_key = self.desk_device_key(signer.login);
        let keep = Keep::All {
            max_bytes: EXPORT_MAX_BYTES,
        };
        let signed = self.push_desk_act(signer, now, || {
            let Some(held) = self.held_case(case, now, keep)? else {
                return Ok(None);
            };
            let mut contents = held.contents;
            let export = self.sign_export(&mut contents, (&device, &device_key), &cert, signer)?;
            Ok(Some((export, contents)))
        })?;
        let Some((export, mut contents)) = signed else {
            return Ok(None);
        };
        contents.export = export.hash();
        contents.entries.push(export);
        let mut bundle = Vec::new();
        qc_bundle::write(&mut bundle, &contents)
            .map_err(|e| ServiceError::BadRequest(e.to_string()))?;
        let (read, integrity) =
            qc_bundle::read(&bundle[..]).map_err(|e| ServiceError::BadRequest(e.to_string()))?;
        let report = qc_bundle::verify(
            &read,
            &integrity,
            Some(self.identity.bureau.public()),
            Some(self.log_key()),
        );
        tracing::info!(
            case,
            login = signer.login,
            clean = report.is_clean(),
            "case exported at a desk"
        );
        Ok(Some(Exported { bundle, report }))
    }

    /// 案卷评查: signs `review` of its (closed) case as `signer`'s act on their desk device, its
    /// sheet kept as a file of the case; the entry's hash, or `None` for a case the station
    /// never received. Whether `signer` sees the case is the console's to check.
    pub fn review_case(
        &self,
        review: &CaseFileReview,
        signer: &DeskSigner<'_>,
        now: Timestamp,
    ) -> Result<Option<qc_chain::Digest>, ServiceError> {
        let case = review.case.as_str();
        signer.may(REVIEWERS, "review case files")?;
        let Some((meta, document)) = self.storage.case_doc(case)? else {
            return Ok(None);
        };
        if !qc_domain::review::reviewable(meta.status) {
            return Err(ServiceError::BadRequest(format!(
                "case {case} is not closed ({})",
                meta.status.code()
            )));
        }
        let heads = CaseDoc::load(&document, b"station")
            .map_err(|e| ServiceError::BadRequest(format!("case {case}: {e}")))?
            .heads_digests();
        let sheet = serde_json::to_vec(review)
            .map_err(|e| ServiceError::BadRequest(format!("review of {case}: {e}")))?;
        let entry =
            self.sign_sheet(signer, (Action::CaseFileReviewed, case, heads), &sheet, now)?;
        tracing::info!(
            case,
            login = signer.login,
            total = review.total,
            "case file reviewed at a desk"
        );
        Ok(Some(entry))
    }

    /// Signs `signer`'s act naming one JSON `sheet` as both its file and its record, on `case`
    /// (a case, or a draw) with `heads`: the sheet kept first (an entry naming a file the
    /// station lacks would be a fault) and made a file of `case` once the entry is logged.
    /// The entry's hash.
    pub(super) fn sign_sheet(
        &self,
        signer: &DeskSigner<'_>,
        (action, case, heads): (Action, &str, Vec<qc_chain::Digest>),
        sheet: &[u8],
        now: Timestamp,
    ) -> Result<qc_chain::Digest, ServiceError> {
        let cert = self.desk_certificate(signer, now)?;
        let hash: qc_chain::Digest = Sha256::digest(sheet).into();
        if self.storage.blob_state(&hash)?.is_none() {
            self.storage.keep_whole_blob(&hash, sheet, None)?;
        }
        let device = desk_device(signer.login);
        let device_key = self.desk_device_key(signer.login);
        let signed = self.push_desk_act(signer, now, || {
            let (_, head) = self.desk_feed(&device)?;
            let entry = Entry {
                device: device.clone(),
                seq: head.seq + 1,
                prev: head.hash,
                time: now,
                actors: vec![cert.id()],
                action: action.clone(),
                case: case.to_owned(),
                heads: heads.clone(),
                blobs: vec![hash],
                records: vec![hash],
            };
            Ok(Some((
                SignedEntry::sign(&entry, &device_key, &[signer.key]),
                (),
            )))
        })?;
        self.storage.link_blob(&hash, case)?;
        // Kept before it was logged, linked after: never a file the desk has yet to send.
        self.held_now(&hash, case);
        signed.map(|(e, ())| e.hash()).ok_or_else(|| {
            StorageError::Damaged(format!("a desk act on {case} signed nothing")).into()
        })
    }

    /// Logs the act `sign` makes within `signer`'s view, signing it again when another
    /// instance appended to the same desk feed in between (the log refuses the fork).
    /// `None` when `sign` finds nothing to act on.
    fn push_desk_act<T>(
        &self,
        signer: &DeskSigner<'_>,
        now: Timestamp,
        mut sign: impl FnMut() -> Result<Option<(SignedEntry, T)>, ServiceError>,
    ) -> Result<Option<(SignedEntry, T)>, ServiceError> {
        let mut tries = 0;
        loop {
            tries += 1;
            let Some((entry, made)) = sign()? else {
                return Ok(None);
            };
            // Logged within the account's view (the desk device's own people name one squad;
            // a squad leader's desk may cover several).
            let pushed = self.push_within(
                (
                    &desk_device(signer.login),
                    &Scope(signer.view.clone(), Vec::new()),
                ),
                (&mut [], &[]),
                (
                    &PushEntries {
                        entries: vec![entry.clone()],
                        known_size: 0,
                    },
                    None,
                ),
                now,
            );
            match pushed {
                Ok(_) => return Ok(Some((entry, made))),
                Err(ServiceError::Refused(r))
                    if tries < DESK_ACT_TRIES && appended(&r.problems) =>
                {
                    continue;
                }
                // A case out of the account's view: not the desk's to set aside.
                Err(ServiceError::Refused(r)) if r.problems.is_empty() => {
                    return Err(ServiceError::Forbidden(format!(
                        "{} may not act on this case",
                        signer.login
                    )));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// A desk device's feed as kept, and the head its next entry follows.
    fn desk_feed(&self, device: &str) -> Result<(Vec<SignedEntry>, FeedHead), ServiceError> {
        let own = self.storage.device_feed(device)?;
        let head = match own.last() {
            Some(last) => {
                let e = last
                    .entry()
                    .map_err(|e| StorageError::Damaged(format!("desk feed {device}: {e}")))?;
                FeedHead::after(last, &e)
            }
            None => FeedHead::default(),
        };
        Ok((own, head))
    }

    /// Makes `contents` (as [`Service::held_case`] gathered them) what a bundle holds beside its
    /// export entry, and signs that entry: the desk device's whole feed (a bundle carries
    /// complete feeds), other cases' entries without their bodies, the certificates they need,
    /// the table of contents; the entry commits to all of it.
    fn sign_export(
        &self,
        contents: &mut Contents,
        (device, device_key): (&str, &SigningKey),
        cert: &SignedCertificate,
        signer: &DeskSigner<'_>,
    ) -> Result<SignedEntry, ServiceError> {
        // The entry follows the feed as read: if another instance appends meanwhile, the log
        // refuses it as a fork and it is signed again after theirs.
        let (own, head) = self.desk_feed(device)?;
        contents
            .entries
            .retain(|e| e.head().is_ok_and(|h| h.device != device));
        contents.entries.extend(own);
        let case = contents.case.clone();
        let this_case = qc_chain::case_commitment(&case);
        for e in &mut contents.entries {
            if e.head().is_ok_and(|h| h.case != this_case) {
                *e = e.elided();
            }
        }
        let devices: BTreeSet<String> = contents
            .entries
            .iter()
            .filter_map(|e| e.head().ok())
            .map(|h| h.device)
            .chain([device.to_owned()])
            .collect();
        contents.certificates = self.certificates_for(&devices)?;
        let feed = qc_chain::verify_feed(
            &self.trust().anchor,
            &contents.certificates,
            &contents.entries,
        );
        contents.toc = qc_bundle::table_of_contents(&case, &feed.entries);
        let commitment = qc_bundle::export_commitment(contents)
            .map_err(|e| ServiceError::BadRequest(e.to_string()))?;
        let mut doc = CaseDoc::load(&contents.document, b"station")
            .map_err(|e| ServiceError::BadRequest(format!("case {case}: {e}")))?;
        let entry = Entry {
            device: device.to_owned(),
            seq: head.seq + 1,
            prev: head.hash,
            time: contents.exported_at,
            actors: vec![cert.id()],
            action: Action::Export,
            case,
            heads: doc.heads_digests(),
            blobs: Vec::new(),
            records: vec![commitment],
        };
        Ok(SignedEntry::sign(&entry, device_key, &[signer.key]))
    }
}

/// Whether a refusal says the desk feed moved on under the act (another instance appended):
/// signed again after it, the act goes in. Any other refusal would come back the same.
fn appended(problems: &[qc_chain::Problem]) -> bool {
    use qc_chain::Problem;
    problems.iter().any(|p| {
        matches!(
            p,
            Problem::Fork { .. } | Problem::Gap { .. } | Problem::BrokenLink { .. }
        )
    })
}
