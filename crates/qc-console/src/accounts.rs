//! Desk accounts as the administrator keeps them in the console: the list, and a new account
//! made for a person of the bureau, whose authenticator secret is shown once as a QR code.

use qc_domain::Timestamp;
use qc_server::Service;
use qc_station_storage::Storage;
use serde::{Deserialize, Serialize};

use qc_station_storage::desk::DeskLogKind;

use crate::{Console, ConsoleError, DeskRole, NewAccount, Session, line};

/// A desk account as the administrator's list shows it (never its secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountItem {
    /// The sign-in name.
    pub login: String,
    /// The person's name.
    pub name: String,
    /// The role's code.
    pub role: &'static str,
    /// The role in Chinese.
    pub role_label: &'static str,
    /// A squad leader's squads.
    pub squads: Vec<String>,
    /// The bureau's person the account is, by id.
    pub person: Option<String>,
    /// Until when sign-in is refused after wrong attempts (ms), if it is now.
    pub locked_until: Option<i64>,
}

/// The desk accounts.
#[derive(Debug, Clone, Serialize)]
pub struct AccountList {
    /// By login.
    pub accounts: Vec<AccountItem>,
}

/// What the administrator fills in for a new account.
#[derive(Debug, Clone, Deserialize)]
pub struct AccountForm {
    /// The sign-in name.
    pub login: String,
    /// The person's name.
    pub name: String,
    /// The role's code ([`DeskRole::code`]).
    pub role: String,
    /// A squad leader's squads.
    #[serde(default)]
    pub squads: Vec<String>,
    /// The bureau's person the account is, by id (the head's and a squad leader's must be).
    #[serde(default)]
    pub person: Option<String>,
    /// The first password, which the administrator hands over.
    pub password: String,
    /// The administrator's own password, typed again: making an account is a weighty act.
    #[serde(default)]
    pub confirm: String,
}

/// A new account: what its holder enrols in an authenticator app, shown once.
#[derive(Debug, Clone, Serialize)]
pub struct AccountMade {
    /// The sign-in name.
    pub login: String,
    /// The TOTP secret in base32.
    pub totp_secret: String,
    /// The `otpauth://` address.
    pub otpauth_url: String,
    /// The address as a QR code (SVG).
    pub qr_svg: String,
}

/// Refuses anyone but the administrator.
fn administrator(session: &Session) -> Result<(), ConsoleError> {
    if session.account.role == DeskRole::Administrator {
        Ok(())
    } else {
        Err(ConsoleError::Forbidden)
    }
}

impl Console {
    /// The desk accounts, for the administrator.
    pub fn accounts<S: Storage>(
        &self,
        station: &Service<S>,
        session: &Session,
        source: &str,
        now: Timestamp,
    ) -> Result<AccountList, ConsoleError> {
        administrator(session)?;
        let store = station.storage();
        let mut accounts = Vec::new();
        for row in store.desk_accounts()? {
            let role = DeskRole::from_code(&row.role).ok_or_else(|| {
                qc_station_storage::StorageError::Damaged(format!(
                    "desk account {}: role {}",
                    row.login, row.role
                ))
            })?;
            accounts.push(AccountItem {
                role: role.code(),
                role_label: role.zh(),
                locked_until: row.locked_until.filter(|until| *until > now.0),
                login: row.login,
                name: row.name,
                squads: row.squads,
                person: row.person,
            });
        }
        accounts.sort_by(|a, b| a.login.cmp(&b.login));
        self.record(store, session, "查看账号", source, now)?;
        Ok(AccountList { accounts })
    }

    /// Makes a desk account, the administrator's act, confirmed with their own password: the
    /// person it names must be one the bureau certified, their certificate in force, and
    /// without an account yet (the account's name is theirs). A refusal is in the operation
    /// log too.
    pub fn make_account<S: Storage>(
        &self,
        station: &Service<S>,
        session: &Session,
        form: AccountForm,
        source: &str,
        now: Timestamp,
    ) -> Result<AccountMade, ConsoleError> {
        let login = form.login.trim().to_owned();
        let made = self.try_make_account(station, session, form, source, now);
        if let Err(e) = &made {
            let refused = line(
                DeskLogKind::Operation,
                &session.account.login,
                &format!("新建账号 {login} 未成：{}", e.message_zh()),
                false,
                source,
                now,
            );
            if let Err(log) = station.storage().add_desk_log(&refused) {
                tracing::error!(error = %log, "the operation log refused a line");
            }
        }
        made
    }

    fn try_make_account<S: Storage>(
        &self,
        station: &Service<S>,
        session: &Session,
        form: AccountForm,
        source: &str,
        now: Timestamp,
    ) -> Result<AccountMade, ConsoleError> {
        administrator(session)?;
        let store = station.storage();
        self.confirm_password(store, session, &form.confirm, now)?;
        let role = DeskRole::from_code(&form.role)
            .ok_or_else(|| ConsoleError::BadRequest(format!("没有 {} 这种角色", form.role)))?;
        let person = match form.person.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(id) => Some(station.person_in_force(id, now).map_err(|_| {
                ConsoleError::BadRequest(format!("本局没有证书在有效期内的人员 {id}"))
            })?),
        };
        let new = NewAccount {
            login: form.login.trim().to_owned(),
            // A person's account bears their name as their certificate gives it.
            name: person
                .as_ref()
                .map_or_else(|| form.name.trim().to_owned(), |p| p.name.clone()),
            role,
            squads: form.squads,
            person,
        };
        let made = self.add_account(
            store,
            new,
            &form.password,
            (&session.account.login, source),
            now,
        )?;
        let qr_svg = qc_document::qr::svg_of(&made.otpauth_url)
            .ok_or_else(|| ConsoleError::BadRequest("无法生成二维码".into()))?;
        Ok(AccountMade {
            login: made.account.login,
            totp_secret: made.totp_secret,
            otpauth_url: made.otpauth_url,
            qr_svg,
        })
    }
}
