//! The base station (基站) from this data directory's side: the keys a bureau directory gives
//! the server it runs, and a device's sync with a server: upload the entries it has no receipt
//! for, check every receipt and that the server's log still extends the last checkpoint seen.

use std::path::PathBuf;

use qc_identity::SigningKey;
use qc_identity::{BureauKey, SignedCertificate, SignedRevocationList};
use qc_sync::auth::RequestAuth;
use qc_sync::wire::{ErrorBody, PushEntries, PushResponse};
use qc_sync::witness::Witness;
use serde::{Deserialize, Serialize};

use crate::{ApiError, Quancheng, entropy, stored_revocations};

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

    /// Remembers the base station this device syncs with.
    pub fn set_station(&mut self, station: &Station) -> Result<(), ApiError> {
        let json = serde_json::to_vec(station).map_err(|e| ApiError::Invalid(e.to_string()))?;
        self.store.set_meta("station", &json)?;
        Ok(())
    }

    /// The base station this device syncs with, if set.
    pub fn station(&self) -> Result<Option<Station>, ApiError> {
        self.store
            .meta("station")?
            .map(|b| serde_json::from_slice(&b).map_err(|e| ApiError::Invalid(e.to_string())))
            .transpose()
    }

    fn witness(&self, log_key: [u8; 32]) -> Result<Witness, ApiError> {
        let held: Option<Witness> = self
            .store
            .meta("witness")?
            .map(|b| serde_json::from_slice(&b).map_err(|e| ApiError::Invalid(e.to_string())))
            .transpose()?;
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
        .map_err(|e| ApiError::Invalid(e.to_string()))?;
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
            .map_err(|e| ApiError::Invalid(e.to_string()))?;
        self.store.put_receipts(&rows)?;
        let w = serde_json::to_vec(&witness).map_err(|e| ApiError::Invalid(e.to_string()))?;
        self.store.set_meta("witness", &w)?;
        let report = SyncReport {
            sent: entries.len(),
            receipts: rows.len(),
            log_size: witness.known_size(),
        };
        tracing::info!(sent = report.sent, log_size = report.log_size, "synced");
        Ok(report)
    }

    /// A signed POST to the station; its JSON answer, or its error in plain words.
    fn post<T: serde::de::DeserializeOwned>(
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
