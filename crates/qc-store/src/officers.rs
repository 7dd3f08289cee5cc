//! Officers enrolled on this device: their certificate, their PIN-wrapped key and PIN attempts.

use qc_identity::{PinGuard, SignedCertificate, WrappedKey};
use rusqlite::{OptionalExtension, Row, params};

use crate::{Store, StoreError};

/// One enrolled officer as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficerRecord {
    /// Person id (from the certificate).
    pub person_id: String,
    /// The bureau-issued certificate.
    pub cert: SignedCertificate,
    /// The officer's signing key wrapped by their PIN (absent for people who never sign here).
    pub wrapped: Option<WrappedKey>,
    /// PIN attempts.
    pub guard: PinGuard,
}

/// An `officers` row as read: id, certificate bytes and signature, wrapped key, PIN failures,
/// lock-out end.
type RawOfficer = (String, Vec<u8>, Vec<u8>, Option<String>, u32, Option<i64>);

fn from_row(r: &Row<'_>) -> rusqlite::Result<RawOfficer> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

fn decode(
    (person_id, bytes, signature, wrapped, failures, locked_until): RawOfficer,
) -> Result<OfficerRecord, StoreError> {
    let wrapped = wrapped
        .map(|w| serde_json::from_str(&w))
        .transpose()
        .map_err(|e| StoreError::Malformed(format!("wrapped key of {person_id}: {e}")))?;
    Ok(OfficerRecord {
        person_id,
        cert: SignedCertificate { bytes, signature },
        wrapped,
        guard: PinGuard {
            failures,
            locked_until: locked_until.map(qc_domain::Timestamp),
        },
    })
}

const COLUMNS: &str = "person_id, cert, cert_sig, wrapped_key, pin_failures, locked_until";

impl Store {
    /// Enrols (or re-enrols, after a re-issue) an officer on this device.
    pub fn put_officer(&self, rec: &OfficerRecord) -> Result<(), StoreError> {
        let wrapped = rec
            .wrapped
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| StoreError::Malformed(e.to_string()))?;
        self.conn.execute(
            "INSERT INTO officers(person_id, cert, cert_sig, wrapped_key, pin_failures, locked_until)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT(person_id) DO UPDATE SET cert = excluded.cert, cert_sig = excluded.cert_sig,
               wrapped_key = excluded.wrapped_key, pin_failures = excluded.pin_failures,
               locked_until = excluded.locked_until",
            params![
                rec.person_id,
                rec.cert.bytes,
                rec.cert.signature,
                wrapped,
                rec.guard.failures,
                rec.guard.locked_until.map(|t| t.0)
            ],
        )?;
        Ok(())
    }

    /// The officer with this person id.
    pub fn officer(&self, person_id: &str) -> Result<OfficerRecord, StoreError> {
        let row = self
            .conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM officers WHERE person_id = ?1"),
                [person_id],
                from_row,
            )
            .optional()?
            .ok_or_else(|| StoreError::UnknownOfficer(person_id.to_owned()))?;
        decode(row)
    }

    /// Every officer enrolled here, by person id.
    pub fn officers(&self) -> Result<Vec<OfficerRecord>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {COLUMNS} FROM officers ORDER BY person_id"
        ))?;
        let rows = stmt.query_map([], from_row)?;
        rows.map(|r| decode(r?)).collect()
    }

    /// Persists PIN attempts after every unlock try, whatever its outcome.
    pub fn save_pin_guard(&self, person_id: &str, guard: &PinGuard) -> Result<(), StoreError> {
        let n = self.conn.execute(
            "UPDATE officers SET pin_failures = ?2, locked_until = ?3 WHERE person_id = ?1",
            params![person_id, guard.failures, guard.locked_until.map(|t| t.0)],
        )?;
        if n == 0 {
            return Err(StoreError::UnknownOfficer(person_id.to_owned()));
        }
        Ok(())
    }
}
