//! People of the bureau and their certificates: who may sign, with which keys on which
//! tablets (or desks), valid until when, and which were revoked with a lost tablet.

use std::collections::BTreeMap;

use qc_domain::{Person, Role, Timestamp};
use qc_server::Service;
use qc_station_storage::Storage;
use serde::Serialize;

use crate::{Console, ConsoleError, Session, device_label_squad};

/// Where a signing key's certificate stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyState {
    /// In force.
    Valid,
    /// Past its end: the person makes a new key on the tablet.
    Expired,
    /// On the revocation list (its tablet was revoked).
    Revoked,
}

impl KeyState {
    /// In Chinese.
    pub fn zh(self) -> &'static str {
        match self {
            KeyState::Valid => "有效",
            KeyState::Expired => "已过期",
            KeyState::Revoked => "已吊销",
        }
    }
}

/// A person's signing key as the station certified it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyItem {
    /// The device that holds the key.
    pub device: String,
    /// Its label.
    pub device_label: String,
    /// Valid from (ms).
    pub not_before: i64,
    /// Valid until (ms).
    pub not_after: i64,
    /// Where it stands now.
    pub state: KeyState,
    /// The state in Chinese.
    pub state_label: &'static str,
    /// When revoked (ms).
    pub revoked_at: Option<i64>,
    /// Why.
    pub reason: Option<String>,
}

/// A person of the bureau and their keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonItem {
    /// The person's id.
    pub id: String,
    /// Their name.
    pub name: String,
    /// Their role.
    pub role: Role,
    /// Their role in Chinese.
    pub role_label: &'static str,
    /// Their squad.
    pub squad: String,
    /// 执法证 number, for those who enforce.
    pub cert_no: Option<String>,
    /// Their signing keys, oldest first.
    pub keys: Vec<KeyItem>,
}

/// The people of the bureau.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeopleList {
    /// By squad, then name.
    pub people: Vec<PersonItem>,
}

fn item(p: Person) -> PersonItem {
    PersonItem {
        role: p.role,
        role_label: p.role.zh(),
        cert_no: p.cert_no.map(|c| c.0),
        id: p.id.0,
        name: p.name,
        squad: p.squad,
        keys: Vec::new(),
    }
}

impl Console {
    /// The bureau's people (its directory) with every signing key the station certified for
    /// them, each valid, expired or revoked at `now` (the head, supervision, the administrator).
    pub fn people<S: Storage>(
        &self,
        station: &Service<S>,
        session: &Session,
        source: &str,
        now: Timestamp,
    ) -> Result<PeopleList, ConsoleError> {
        if !session.account.role.sees_devices() {
            return Err(ConsoleError::Forbidden);
        }
        let store = station.storage();
        let labels: BTreeMap<String, String> = store
            .devices()?
            .into_iter()
            .map(|(id, cert)| (id.clone(), device_label_squad(&id, &cert).0))
            .collect();
        let revoked = station
            .revocations()?
            .and_then(|l| l.decode_unverified().ok())
            .map(|l| l.revoked)
            .unwrap_or_default();
        let mut people: BTreeMap<String, PersonItem> = station
            .bureau_people()
            .into_iter()
            .map(|p| (p.id.0.clone(), item(p)))
            .collect();
        for (device, signed) in store.officer_certs()? {
            let Ok(cert) = signed.decode_unverified() else {
                continue;
            };
            let Some(person) = cert.person() else {
                continue;
            };
            let id = signed.id();
            let revocation = revoked.iter().find(|r| r.cert == id);
            let state = match revocation {
                Some(_) => KeyState::Revoked,
                None if cert.not_after <= now => KeyState::Expired,
                None => KeyState::Valid,
            };
            people
                .entry(person.id.0.clone())
                .or_insert_with(|| item(person))
                .keys
                .push(KeyItem {
                    device_label: labels
                        .get(&device)
                        .cloned()
                        .unwrap_or_else(|| device.clone()),
                    device,
                    not_before: cert.not_before.0,
                    not_after: cert.not_after.0,
                    state,
                    state_label: state.zh(),
                    revoked_at: revocation.map(|r| r.revoked_at.0),
                    reason: revocation.map(|r| r.reason.clone()),
                });
        }
        self.record(store, session, "查看人员与证书", source, now)?;
        let mut people: Vec<PersonItem> = people.into_values().collect();
        for p in &mut people {
            p.keys.sort_by_key(|k| (k.not_before, k.device.clone()));
        }
        people.sort_by(|a, b| (&a.squad, &a.name, &a.id).cmp(&(&b.squad, &b.name, &b.id)));
        Ok(PeopleList { people })
    }
}
