//! Desk accounts as the administrator keeps them in the console: the list, a new account made
//! for a person of the bureau and a forgotten one reset, each handed over as a one-time
//! activation code with which the holder sets their own password and enrols the authenticator
//! (so the administrator never knows either, and cannot sign as them); and a password changed
//! by its holder. A changed password or a reset revokes the desk keys the old password derived.

use qc_domain::Timestamp;
use qc_domain::admin::{AdminAct, AdminKind};
use qc_server::Service;
use qc_station_storage::Storage;
use serde::{Deserialize, Serialize};

use qc_station_storage::desk::{DeskAccountRow, DeskCredentials, DeskLogKind, DeskStore};

use crate::{
    Account, Console, ConsoleError, DeskRole, NewAccount, Session, SignedIn, line, logged_after,
    token_hash, totp,
};

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
    /// Until when its activation code is good (ms), while its holder has not activated it
    /// (in the past once expired).
    pub activation_until: Option<i64>,
    /// Disabled (停用): nobody signs in with it until it is reset.
    pub disabled: bool,
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
    /// The administrator's own password, typed again: making an account is a weighty act.
    #[serde(default)]
    pub confirm: String,
}

/// What the administrator hands to an account's holder: the code that activates it (shown
/// once; the station keeps only its digest).
#[derive(Debug, Clone, Serialize)]
pub struct ActivationCode {
    /// The sign-in name.
    pub login: String,
    /// The one-time code (32 hex digits).
    pub code: String,
    /// Until when it is good (ms since the epoch).
    pub until: i64,
}

/// The part of the activation page's address after `#` that carries an activation code (a
/// browser never sends it, so no access log or proxy keeps the code).
pub fn activation_fragment(code: &ActivationCode) -> String {
    format!("login={}&code={}", code.login, code.code)
}

/// A desk account made for its holder to activate.
#[derive(Debug, Clone)]
pub struct Invited {
    /// The account.
    pub account: Account,
    /// What the administrator hands over.
    pub activation: ActivationCode,
}

/// What the activation page shows the holder: whose account, and the authenticator to enrol.
#[derive(Debug, Clone, Serialize)]
pub struct Enrolment {
    /// The sign-in name.
    pub login: String,
    /// The person's name.
    pub name: String,
    /// The role in Chinese.
    pub role_label: &'static str,
    /// The TOTP secret in base32.
    pub totp_secret: String,
    /// The `otpauth://` address.
    pub otpauth_url: String,
    /// The address as a QR code (SVG).
    pub qr_svg: String,
    /// Until when the code is good (ms since the epoch).
    pub until: i64,
}

/// What the holder sends to activate their account.
#[derive(Debug, Clone, Deserialize)]
pub struct ActivationForm {
    /// The sign-in name.
    pub login: String,
    /// The activation code.
    pub code: String,
    /// The password they chose.
    pub password: String,
    /// The authenticator's current code, which shows it was enrolled.
    pub totp: String,
}

/// The administrator's confirmation of a reset: their own password.
#[derive(Debug, Clone, Deserialize)]
pub struct ResetForm {
    /// The administrator's own password, typed again.
    #[serde(default)]
    pub confirm: String,
}

/// A password change: the current one and the new.
#[derive(Debug, Clone, Deserialize)]
pub struct PasswordForm {
    /// The password now.
    pub old: String,
    /// The password from now on.
    pub new: String,
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
                activation_until: row.credentials.activation.map(|a| a.until),
                disabled: row.credentials.disabled(),
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
    ) -> Result<ActivationCode, ConsoleError> {
        let what = format!("新建账号 {}", form.login.trim());
        let made = self.try_make_account(station, session, form, source, now);
        let by = (DeskLogKind::Operation, session.account.login.as_str());
        refusal_logged(station.storage(), by, &what, (source, now), made)
    }

    fn try_make_account<S: Storage>(
        &self,
        station: &Service<S>,
        session: &Session,
        form: AccountForm,
        source: &str,
        now: Timestamp,
    ) -> Result<ActivationCode, ConsoleError> {
        // `administer` lets only the administrator through.
        let confirm = form.confirm.clone();
        self.administer(station, (session, source), &confirm, now, || {
            self.open_account(station, session, form, source, now)
        })
    }

    /// Opens the account `form` describes (the administrator's password checked already): the
    /// code its holder activates it with, and the act to sign.
    fn open_account<S: Storage>(
        &self,
        station: &Service<S>,
        session: &Session,
        form: AccountForm,
        source: &str,
        now: Timestamp,
    ) -> Result<(ActivationCode, AdminAct), ConsoleError> {
        let store = station.storage();
        let role = DeskRole::from_code(&form.role).ok_or_else(|| {
            ConsoleError::bad(
                format!("没有 {} 这种角色", form.role),
                format!("There is no role {}", form.role),
            )
        })?;
        let person_id = form
            .person
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned);
        let person = match form.person.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(id) => Some(station.person_in_force(id, now).map_err(|_| {
                ConsoleError::bad(
                    format!("本局没有证书在有效期内的人员 {id}"),
                    format!("The bureau has no person {id} with a certificate in force"),
                )
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
        let invited = self.invite_account(store, new, (&session.account.login, source), now)?;
        let a = &invited.account;
        let act = AdminAct {
            kind: AdminKind::AccountOpened,
            subject: a.login.clone(),
            detail: account_detail(a, person_id.as_deref()),
            by: session.account.login.clone(),
            at: now,
        };
        Ok((invited.activation, act))
    }

    /// Resets a desk account whose holder forgot the password or lost the authenticator: the
    /// administrator's act, confirmed with their own password. The account signs nobody in
    /// until its holder activates it again with the code returned; its sessions end, and the
    /// desk keys its old password derived are revoked.
    pub fn reset_account<S: Storage>(
        &self,
        station: &Service<S>,
        session: &Session,
        (login, form): (&str, ResetForm),
        source: &str,
        now: Timestamp,
    ) -> Result<ActivationCode, ConsoleError> {
        let act = (AdminKind::AccountReset, "重置账号");
        self.on_account(station, session, (login, form), act, source, now, |by| {
            let code = self.reset(station, login, by, now)?;
            Ok((code, "原密码和验证器作废，待本人重新激活".into()))
        })
    }

    /// Disables a desk account (停用: its holder left, or must not sign in): the
    /// administrator's act, confirmed with their own password. Nobody signs in with it, nor
    /// activates it, until it is reset; its sessions end and its desk keys are revoked.
    pub fn disable_account<S: Storage>(
        &self,
        station: &Service<S>,
        session: &Session,
        (login, form): (&str, ResetForm),
        source: &str,
        now: Timestamp,
    ) -> Result<(), ConsoleError> {
        let act = (AdminKind::AccountDisabled, "停用账号");
        self.on_account(station, session, (login, form), act, source, now, |by| {
            let revoked = self.disable(station, login, by, now)?;
            Ok(((), format!("吊销其控制台签名证书 {revoked} 张")))
        })
    }

    /// Opens a desk account locked by wrong attempts before its lock runs out: the
    /// administrator's act, confirmed with their own password.
    pub fn unlock_account<S: Storage>(
        &self,
        station: &Service<S>,
        session: &Session,
        (login, form): (&str, ResetForm),
        source: &str,
        now: Timestamp,
    ) -> Result<(), ConsoleError> {
        let act = (AdminKind::AccountUnlocked, "解除锁定");
        self.on_account(station, session, (login, form), act, source, now, |by| {
            self.unlock(station, login, by, now)?;
            Ok(((), String::new()))
        })
    }

    /// An administrator's act on another's desk account `login` (never their own): their
    /// password typed again, `change` made (given who and where from, for the operation log;
    /// it says the act's detail), then signed onto the log as `kind`. A refusal is in the
    /// operation log as `what` refused.
    #[allow(clippy::too_many_arguments)]
    fn on_account<S: Storage, T>(
        &self,
        station: &Service<S>,
        session: &Session,
        (login, form): (&str, ResetForm),
        (kind, what): (AdminKind, &str),
        source: &str,
        now: Timestamp,
        change: impl FnOnce((&str, &str)) -> Result<(T, String), ConsoleError>,
    ) -> Result<T, ConsoleError> {
        let by = session.account.login.as_str();
        let done = administrator(session).and_then(|()| {
            if login == by {
                // Resetting, disabling or unlocking oneself would leave the bureau without a
                // way in.
                return Err(ConsoleError::bad(
                    "不能对自己的账号进行此操作",
                    "You cannot do this to your own account",
                ));
            }
            self.administer(station, (session, source), &form.confirm, now, || {
                let (made, detail) = change((by, source))?;
                let act = AdminAct {
                    kind,
                    subject: login.to_owned(),
                    detail,
                    by: by.to_owned(),
                    at: now,
                };
                Ok((made, act))
            })
        });
        let log = (DeskLogKind::Operation, by);
        refusal_logged(
            station.storage(),
            log,
            &format!("{what} {login}"),
            (source, now),
            done,
        )
    }

    /// Resets the desk account `login` (the administrator's act, from the command line or
    /// the console): a fresh authenticator secret and no password until its holder activates
    /// it with the code returned; its sessions end and its desk keys are revoked. `by` is who
    /// did it, `source` where from (the operation log says both).
    pub fn reset<S: Storage>(
        &self,
        station: &Service<S>,
        login: &str,
        (by, source): (&str, &str),
        now: Timestamp,
    ) -> Result<ActivationCode, ConsoleError> {
        let row = station
            .storage()
            .desk_account(login)?
            .ok_or(ConsoleError::NotFound)?;
        let (credentials, activation) = self.awaiting_activation(login, now);
        let said = |n| format!("重置账号 {login}，待本人重新激活（吊销其控制台签名证书 {n} 张）");
        let why = ("控制台账号已重置", &said as &dyn Fn(usize) -> String);
        self.replace_logged(station, (&row, &credentials), why, (by, source), now)?;
        Ok(activation)
    }

    /// Disables the desk account `login` (from the command line or the console): no password,
    /// no activation, a new authenticator secret nobody holds; its sessions end and its desk
    /// keys are revoked. How many certificates were revoked.
    pub fn disable<S: Storage>(
        &self,
        station: &Service<S>,
        login: &str,
        (by, source): (&str, &str),
        now: Timestamp,
    ) -> Result<usize, ConsoleError> {
        let row = station
            .storage()
            .desk_account(login)?
            .ok_or(ConsoleError::NotFound)?;
        if row.credentials.disabled() {
            return Err(ConsoleError::bad(
                format!("账号 {login} 已停用"),
                format!("The account {login} is disabled"),
            ));
        }
        let credentials = DeskCredentials {
            password_hash: String::new(),
            totp_secret: self.random::<20>().to_vec(),
            activation: None,
            key_salt: Vec::new(),
            changed_at: now.0,
        };
        let said = |n| format!("停用账号 {login}（吊销其控制台签名证书 {n} 张）");
        let why = ("控制台账号已停用", &said as &dyn Fn(usize) -> String);
        self.replace_logged(station, (&row, &credentials), why, (by, source), now)
    }

    /// [`Console::replace_credentials`] with a new authenticator (its last step afresh), the
    /// operation log told `said` of the certificates revoked (`reason` on the list).
    fn replace_logged<S: Storage>(
        &self,
        station: &Service<S>,
        (row, credentials): (&DeskAccountRow, &DeskCredentials),
        (reason, said): (&str, &dyn Fn(usize) -> String),
        (by, source): (&str, &str),
        now: Timestamp,
    ) -> Result<usize, ConsoleError> {
        let revoked = self.replace_credentials(station, row, (credentials, 0), reason, now)?;
        let done = line(
            DeskLogKind::Operation,
            by,
            &said(revoked),
            true,
            source,
            now,
        );
        logged_after(station.storage(), &done);
        Ok(revoked)
    }

    /// Opens the desk account `login`, locked by wrong attempts (from the command line or the
    /// console).
    pub fn unlock<S: Storage>(
        &self,
        station: &Service<S>,
        login: &str,
        (by, source): (&str, &str),
        now: Timestamp,
    ) -> Result<(), ConsoleError> {
        let store = station.storage();
        let row = store.desk_account(login)?.ok_or(ConsoleError::NotFound)?;
        if row.locked_until.is_none_or(|until| until <= now.0) {
            return Err(ConsoleError::bad(
                format!("账号 {login} 未被锁定"),
                format!("The account {login} is not locked"),
            ));
        }
        store.set_desk_sign_in_state(login, 0, None, row.totp_last_step)?;
        let done = format!("解除账号 {login} 的锁定");
        logged_after(
            store,
            &line(DeskLogKind::Operation, by, &done, true, source, now),
        );
        Ok(())
    }

    /// Changes the signed-in person's password, the current one typed again (wrong ones count
    /// towards the lock). Every session of the account ends (theirs too: they sign in again),
    /// and the desk keys the old password derived are revoked.
    pub fn change_password<S: Storage>(
        &self,
        station: &Service<S>,
        session: &Session,
        form: PasswordForm,
        source: &str,
        now: Timestamp,
    ) -> Result<(), ConsoleError> {
        let changed = self.try_change_password(station, session, form, source, now);
        let by = (DeskLogKind::Operation, session.account.login.as_str());
        refusal_logged(station.storage(), by, "修改密码", (source, now), changed)
    }

    fn try_change_password<S: Storage>(
        &self,
        station: &Service<S>,
        session: &Session,
        form: PasswordForm,
        source: &str,
        now: Timestamp,
    ) -> Result<(), ConsoleError> {
        let store = station.storage();
        let row = self.confirm_password(store, session, &form.old, now)?;
        if form.new == form.old {
            return Err(ConsoleError::bad(
                "新密码不能与原密码相同",
                "The new password must differ from the current one",
            ));
        }
        let credentials = DeskCredentials {
            password_hash: self.password_hash(&form.new)?,
            key_salt: self.random::<16>().to_vec(),
            changed_at: now.0,
            ..row.credentials.clone()
        };
        // The same authenticator: a code used already stays used.
        let kept = (&credentials, row.totp_last_step);
        let revoked = self.replace_credentials(station, &row, kept, "控制台密码已更改", now)?;
        let done = format!("修改密码（吊销原密码的控制台签名证书 {revoked} 张）");
        let by = &session.account.login;
        logged_after(
            store,
            &line(DeskLogKind::Operation, by, &done, true, source, now),
        );
        Ok(())
    }

    /// Replaces `row`'s credentials (and its last TOTP step), ends its sessions and revokes the
    /// desk keys its old password derived (`reason` on the list); how many certificates were
    /// revoked. Refused if the credentials changed since `row` was read. Once they are
    /// replaced the act stands: the sessions are over already (each began before the change),
    /// and a revocation that fails is logged, not undone (the old key needs the old password,
    /// which no longer signs in).
    fn replace_credentials<S: Storage>(
        &self,
        station: &Service<S>,
        row: &DeskAccountRow,
        (credentials, totp_last_step): (&DeskCredentials, i64),
        reason: &str,
        now: Timestamp,
    ) -> Result<usize, ConsoleError> {
        let store = station.storage();
        if !store.set_desk_credentials(&row.login, &row.credentials, credentials, totp_last_step)? {
            return Err(ConsoleError::bad(
                "账号刚被改动过，请刷新后重试",
                "The account was changed just now; reload the page and try again",
            ));
        }
        if let Err(e) = store.drop_desk_sessions_of(&row.login) {
            tracing::error!(login = %row.login, error = %e, "sessions not dropped; they are over all the same");
        }
        Ok(station
            .revoke_desk_keys(&row.login, reason, now)
            .unwrap_or_else(|e| {
                tracing::error!(login = %row.login, error = %e, "desk keys not revoked");
                0
            }))
    }

    /// What the activation page shows the holder of a good code: their account and the
    /// authenticator to enrol. Each look, and each refusal, is in the sign-in log.
    pub fn enrolment<S: DeskStore + ?Sized>(
        &self,
        store: &S,
        (login, code): (&str, &str),
        source: &str,
        now: Timestamp,
    ) -> Result<Enrolment, ConsoleError> {
        let shown = activating(store, login, code, now).and_then(|row| {
            let role = DeskRole::from_code(&row.role).ok_or(ConsoleError::BadActivation)?;
            let otp = totp(&row.credentials.totp_secret, login)?;
            let otpauth_url = otp.to_url().map_err(|e| {
                ConsoleError::bad(
                    format!("TOTP: {e}"),
                    format!("The authenticator could not be set up (TOTP: {e})"),
                )
            })?;
            let qr_svg = qc_document::qr::svg_of(&otpauth_url).ok_or_else(|| {
                ConsoleError::bad("无法生成二维码", "The QR code could not be made")
            })?;
            store.add_desk_log(&line(
                DeskLogKind::SignIn,
                login,
                "打开激活页面",
                true,
                source,
                now,
            ))?;
            Ok(Enrolment {
                login: row.login,
                name: row.name,
                role_label: role.zh(),
                totp_secret: otp.secret().to_base32(),
                otpauth_url,
                qr_svg,
                until: row.credentials.activation.map_or(0, |a| a.until),
            })
        });
        refusal_logged(
            store,
            (DeskLogKind::SignIn, login),
            "打开激活页面",
            (source, now),
            shown,
        )
    }

    /// Activates an account with its code: the password the holder chose, and a code of the
    /// authenticator they enrolled (which shows it works). The code is used up; the holder is
    /// signed in.
    pub fn activate<S: DeskStore + ?Sized>(
        &self,
        store: &S,
        form: ActivationForm,
        source: &str,
        now: Timestamp,
    ) -> Result<SignedIn, ConsoleError> {
        let login = form.login.clone();
        let activated = self.try_activate(store, form, source, now);
        refusal_logged(
            store,
            (DeskLogKind::SignIn, &login),
            "激活账号",
            (source, now),
            activated,
        )
    }

    fn try_activate<S: DeskStore + ?Sized>(
        &self,
        store: &S,
        form: ActivationForm,
        source: &str,
        now: Timestamp,
    ) -> Result<SignedIn, ConsoleError> {
        let row = activating(store, &form.login, &form.code, now)?;
        let step = self
            .code_step(&row, form.totp.trim(), now)?
            .ok_or_else(|| {
                ConsoleError::bad(
                    "动态验证码不正确，请核对验证器后重试",
                    "The one-time code is wrong; check the authenticator app and try again",
                )
            })?;
        let credentials = DeskCredentials {
            password_hash: self.password_hash(&form.password)?,
            totp_secret: row.credentials.totp_secret.clone(),
            activation: None,
            key_salt: self.random::<16>().to_vec(),
            changed_at: now.0,
        };
        if !store.set_desk_credentials(&row.login, &row.credentials, &credentials, step)? {
            return Err(ConsoleError::BadActivation);
        }
        let done = "激活账号：本人设置密码并绑定验证器";
        logged_after(
            store,
            &line(DeskLogKind::SignIn, &row.login, done, true, source, now),
        );
        tracing::info!(login = %row.login, source, "desk account activated");
        self.open_session(store, &row, source, now)
    }
}

/// What an opened account is, as its administration act says it: role, person and squads.
fn account_detail(a: &Account, person: Option<&str>) -> String {
    let mut detail = a.role_label.to_owned();
    if let Some(p) = person {
        detail.push_str(&format!("，关联人员 {p}"));
    }
    if !a.squads.is_empty() {
        detail.push_str(&format!("，所辖 {}", a.squads.join("、")));
    }
    detail
}

/// The account a good activation code opens (wrong, used and expired codes alike refused).
fn activating<S: DeskStore + ?Sized>(
    store: &S,
    login: &str,
    code: &str,
    now: Timestamp,
) -> Result<DeskAccountRow, ConsoleError> {
    let row = store
        .desk_account(login)?
        .ok_or(ConsoleError::BadActivation)?;
    match row.credentials.activation {
        // Digests compared: equal time whatever the first differing byte.
        Some(a)
            if a.until > now.0 && a.code_hash == token_hash(&code.trim().to_ascii_lowercase()) =>
        {
            Ok(row)
        }
        _ => Err(ConsoleError::BadActivation),
    }
}

/// `result`, its refusal written to the log `kind` as `what` refused, by `login`, with why.
fn refusal_logged<S: DeskStore + ?Sized, T>(
    store: &S,
    (kind, login): (DeskLogKind, &str),
    what: &str,
    (source, now): (&str, Timestamp),
    result: Result<T, ConsoleError>,
) -> Result<T, ConsoleError> {
    // An act made but not signed is no refusal: it wrote its own line.
    if let Err(e) = &result
        && !matches!(e, ConsoleError::Unlogged { .. })
    {
        let refused = line(
            kind,
            login,
            &format!("{what} 未成：{}", e.message_zh()),
            false,
            source,
            now,
        );
        if let Err(log) = store.add_desk_log(&refused) {
            tracing::error!(error = %log, "a desk log refused a line");
        }
        tracing::warn!(login, what, error = %e, "console act refused");
    }
    result
}
