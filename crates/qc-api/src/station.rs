//! The base station (基站) from this data directory's side: the keys a bureau directory gives
//! the server it runs, and a device's sync with a server: upload the entries it has no receipt
//! for, check every receipt and that the server's log still extends the last checkpoint seen.

use std::path::PathBuf;

use qc_casedoc::CaseDoc;
use qc_identity::SigningKey;
use qc_identity::{BureauKey, SignedCertificate, SignedRevocationList};
use qc_sync::auth::RequestAuth;
use qc_sync::wire::{
    CaseHeads, DocChanges, DocsAck, DocsDown, DocsUp, DocsWant, ErrorBody, PushEntries,
    PushResponse,
};
use qc_sync::witness::Witness;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::{ApiError, Quancheng, entropy, json_err, stored_revocations};

/// What a server run from a bureau's data directory needs.
pub struct BaseStationKeys {
    /// The bureau key (issues device certificates at enrolment).
    pub bureau: BureauKey,
    /// The log key (signs checkpoints).
    pub log_key: SigningKey,
    /// Key of the server's own database.
    pub storage_key: [u8; 32],
    /// People's certificates.
    pub certificates: Vec<SignedCertificate>,
    /// This directory's own device certificate (the base station knows its own device).
    pub own_device: (String, SignedCertificate),
    /// The revocation list in force.
    pub revocations: Option<SignedRevocationList>,
}

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
    /// The server log's size at the checkpoint now held.
    pub log_size: u64,
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

    /// The keys and certificates for running the base station from this (bureau) directory.
    pub fn base_station_keys(&mut self) -> Result<BaseStationKeys, ApiError> {
        let seed: [u8; 32] = self
            .store
            .secret("bureau")?
            .and_then(|s| s.as_slice().try_into().ok())
            .ok_or_else(|| ApiError::Invalid("this data directory holds no bureau key".into()))?;
        let log = self.secret_or_new("log")?;
        let storage_key = self.secret_or_new("station_db")?;
        let mut certificates = self.certificates()?;
        let own = certificates.remove(0);
        Ok(BaseStationKeys {
            bureau: BureauKey::from_seed(&seed),
            log_key: SigningKey::from_bytes(&log),
            storage_key,
            certificates,
            own_device: (self.device_id.clone(), own),
            revocations: stored_revocations(&self.store)?,
        })
    }

    /// A metadata value kept as JSON.
    fn meta_json<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, ApiError> {
        self.store
            .meta(key)?
            .map(|b| serde_json::from_slice(&b).map_err(json_err))
            .transpose()
    }

    /// Keeps a metadata value as JSON.
    fn set_meta_json<T: Serialize + ?Sized>(&self, key: &str, value: &T) -> Result<(), ApiError> {
        self.store
            .set_meta(key, &serde_json::to_vec(value).map_err(json_err)?)?;
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

    /// Syncs with the base station: uploads every entry without a receipt, checks each receipt
    /// and the log's consistency with what this device saw before, and keeps both. If the
    /// server's answer does not hold up, nothing here changes and the error says why.
    pub fn sync(&mut self) -> Result<SyncReport, ApiError> {
        let station = self.station()?.ok_or_else(|| {
            ApiError::Invalid("no base station set; run sync with --server".into())
        })?;
        let log_key: [u8; 32] = hex::decode(&station.log_key)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| ApiError::Invalid("the station's log key is not 32 bytes".into()))?;
        let mut witness = self.witness(log_key)?;
        let entries = self.store.entries_without_receipt()?;
        let body = serde_json::to_vec(&PushEntries {
            entries: entries.clone(),
            known_size: witness.known_size(),
        })
        .map_err(json_err)?;
        let resp: PushResponse = self.post(&station, "/v1/entries", body)?;
        let receipts = witness.accept_push(&entries, &resp).map_err(|e| {
            tracing::error!(error = %e, "the base station's log does not hold up");
            ApiError::Station {
                code: "log_inconsistent".into(),
                message: e.message_zh(),
                detail: e.to_string(),
            }
        })?;
        let rows = receipts
            .iter()
            .map(|(h, r)| Ok((*h, serde_json::to_string(r)?)))
            .collect::<Result<Vec<_>, serde_json::Error>>()
            .map_err(json_err)?;
        self.store.put_receipts(&rows)?;
        self.set_meta_json("witness", &witness)?;
        let docs_sent = self.docs_up(&station)?;
        let want = DocsWant {
            have: self.case_heads()?,
        };
        let body = serde_json::to_vec(&want).map_err(json_err)?;
        let down: DocsDown = self.post(&station, "/v1/docs/down", body)?;
        let docs_received = self.apply_docs_down(&down)?;
        let report = SyncReport {
            docs_sent,
            docs_received,
            sent: entries.len(),
            receipts: rows.len(),
            log_size: witness.known_size(),
        };
        tracing::info!(sent = report.sent, log_size = report.log_size, "synced");
        Ok(report)
    }

    /// The squad this device is issued to.
    fn device_squad(&self) -> Result<String, ApiError> {
        let own = self.certificates()?.remove(0).decode_unverified()?;
        match own.subject {
            qc_identity::Subject::Device { squad, .. } => Ok(squad),
            qc_identity::Subject::Officer { .. } => Err(ApiError::Invalid(
                "this device has no device certificate".into(),
            )),
        }
    }

    /// Heads of every case held here, as the store keeps them.
    fn case_heads(&self) -> Result<Vec<CaseHeads>, ApiError> {
        Ok(self
            .store
            .case_heads()?
            .into_iter()
            .map(|(case, _, heads)| CaseHeads { case, heads })
            .collect())
    }

    fn acked(&self, case: &str) -> Result<Vec<[u8; 32]>, ApiError> {
        Ok(self
            .store
            .meta(&format!("acked:{case}"))?
            .and_then(|b| serde_json::from_slice::<Vec<String>>(&b).ok())
            .unwrap_or_default()
            .iter()
            .filter_map(|h| hex::decode(h).ok()?.try_into().ok())
            .collect())
    }

    fn set_acked(&self, case: &str, heads: &[String]) -> Result<(), ApiError> {
        self.set_meta_json(&format!("acked:{case}"), heads)
    }

    /// Sends the changes of every case the station has not acknowledged up to its current
    /// heads; returns how many cases went up.
    fn docs_up(&mut self, station: &Station) -> Result<usize, ApiError> {
        let squad = self.device_squad()?;
        let mut docs = Vec::new();
        let mut sent = Vec::new();
        for (case, owner, heads) in self.store.case_heads()? {
            if owner != squad {
                // Only a squad's own devices change its cases at the station.
                continue;
            }
            let acked = self.acked(&case)?;
            let mut known: Vec<String> = acked.iter().map(hex::encode).collect();
            known.sort();
            if known == heads {
                continue;
            }
            let mut doc = self.store.case_doc(&case, self.device_id.as_bytes())?;
            docs.push(DocChanges {
                case: case.clone(),
                changes: hex::encode(doc.changes_after(&acked)),
            });
            sent.push((case, heads));
        }
        if docs.is_empty() {
            return Ok(0);
        }
        let body = serde_json::to_vec(&DocsUp { docs }).map_err(json_err)?;
        let _ack: DocsAck = self.post(station, "/v1/docs/up", body)?;
        for (case, heads) in &sent {
            self.set_acked(case, heads)?;
        }
        Ok(sent.len())
    }

    /// Merges what came down from the station (its changes, verified with the entries and
    /// certificates that came with them); returns how many cases changed here.
    pub(crate) fn apply_docs_down(&mut self, down: &DocsDown) -> Result<usize, ApiError> {
        self.verify_foreign(&down.entries, &down.certificates)?;
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
            self.set_acked(&d.case, &heads)?;
        }
        Ok(down.docs.len())
    }

    /// A signed POST to the station; its JSON answer, or its error in plain words.
    fn post<T: DeserializeOwned>(
        &mut self,
        station: &Station,
        path: &str,
        body: Vec<u8>,
    ) -> Result<T, ApiError> {
        // One TLS provider for the process (ring); a second install is a no-op.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let unreachable = |e: &dyn std::fmt::Display| ApiError::Station {
            code: "station_unreachable".into(),
            message: "无法连接基站，请确认已连接基站网络后重试".into(),
            detail: e.to_string(),
        };
        let cert = reqwest::Certificate::from_pem(station.cert_pem.as_bytes())
            .map_err(|e| unreachable(&e))?;
        let client = reqwest::blocking::Client::builder()
            .tls_certs_only([cert])
            .timeout(std::time::Duration::from_secs(300))
            .build()
            .map_err(|e| unreachable(&e))?;
        let nonce = entropy::random::<16>(self.entropy.as_mut());
        let auth = RequestAuth::sign(
            &self.device_id,
            &self.device_key,
            "POST",
            path,
            &body,
            self.now(),
            nonce,
        );
        let mut req = client
            .post(format!("{}{path}", station.url.trim_end_matches('/')))
            .header("content-type", "application/json")
            .body(body);
        for (k, v) in auth.headers() {
            req = req.header(k, v);
        }
        let resp = req.send().map_err(|e| unreachable(&e))?;
        if resp.status().is_success() {
            return resp.json().map_err(|e| unreachable(&e));
        }
        let status = resp.status();
        let err: ErrorBody = resp.json().unwrap_or(ErrorBody {
            code: "station_error".into(),
            message: format!("基站返回错误（{status}）"),
            detail: status.to_string(),
        });
        Err(ApiError::Station {
            code: err.code,
            message: err.message,
            detail: err.detail,
        })
    }
}

#[cfg(test)]
mod tests {
    use qc_domain::Timestamp;

    use super::*;
    use crate::tests::{init_at, new_case, pin};

    #[test]
    fn changes_from_the_station_merge_into_this_device_and_new_cases_arrive_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let (_d, mut app) = init_at(tmp.path());
        let li = app.unlock("li.ming", &pin("li.ming")).unwrap();
        let case = app.register_case(new_case(), &li).unwrap().0;
        // What another tablet did to the case, as the station sends it: only the new changes.
        let mut theirs = app.store.case_doc(&case, b"tablet-b").unwrap();
        let before = theirs.heads_digests();
        let mut header = theirs.header().unwrap();
        header.summary = "other".into();
        let record = qc_domain::Record {
            id: "r1".into(),
            body: qc_domain::RecordBody::Preservation(qc_domain::Notice {
                items: vec![],
                kept_at: "仓库".into(),
                officers: vec![],
                party: None,
                issued_at: Timestamp(0),
            }),
            signoff: None,
            corrects: None,
            created_at: Timestamp(0),
            created_by: li.person().id.clone(),
        };
        theirs.put_record(&record, Timestamp(0)).unwrap();
        let down = DocsDown {
            docs: vec![DocChanges {
                case: case.clone(),
                changes: hex::encode(theirs.changes_after(&before)),
            }],
            entries: vec![],
            certificates: vec![],
        };
        assert_eq!(app.apply_docs_down(&down).unwrap(), 1);
        let (records, _) = app.case_file(&case).unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(
            app.acked(&case).unwrap(),
            theirs.heads_digests(),
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
                changes: hex::encode(whole.changes_after(&[])),
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
