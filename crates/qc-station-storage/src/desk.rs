//! What the bureau's console keeps beside the station's records: desk accounts, their sessions,
//! and the sign-in and operation logs. Plain rows; the rules are in `qc-console`.

use crate::StorageError;

/// A desk account as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskAccountRow {
    /// The sign-in name (unique).
    pub login: String,
    /// The person's name.
    pub name: String,
    /// The desk role's code (`qc-console` names them).
    pub role: String,
    /// The squads a squad leader's account covers.
    pub squads: Vec<String>,
    /// What signing in takes.
    pub credentials: DeskCredentials,
    /// The last TOTP time step accepted (a code is good once).
    pub totp_last_step: i64,
    /// Failed sign-ins since the last good one.
    pub failures: u32,
    /// Milliseconds since the epoch until which sign-in is refused, if locked.
    pub locked_until: Option<i64>,
    /// The bureau's person the account belongs to (their id): what they sign at the desk
    /// names them as their certificate does.
    pub person: Option<String>,
}

/// What signing in to a desk account takes: a password and the authenticator's secret, or,
/// until its holder activates it, an activation code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskCredentials {
    /// The password's Argon2id hash, PHC string; empty while the account awaits activation.
    pub password_hash: String,
    /// The TOTP secret (RFC 6238).
    pub totp_secret: Vec<u8>,
    /// The activation its holder has yet to complete, if any.
    pub activation: Option<DeskActivation>,
    /// Random bytes new with every password, in the salt of the desk signing key: a password
    /// used again after a reset or change derives a new key, not a revoked one (empty for an
    /// account made before).
    pub key_salt: Vec<u8>,
    /// When they were set (ms since the epoch): a session begun before is over.
    pub changed_at: i64,
}

impl DeskCredentials {
    /// Disabled (停用): neither a password nor an activation; only a reset opens it again.
    pub fn disabled(&self) -> bool {
        self.password_hash.is_empty() && self.activation.is_none()
    }
}

/// An account's pending activation: its holder sets the password and enrols the
/// authenticator with a one-time code, so the administrator who made it knows neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeskActivation {
    /// SHA-256 of the code (the code itself is never kept).
    pub code_hash: [u8; 32],
    /// Until when the code is good (ms since the epoch).
    pub until: i64,
}

/// A desk session as kept: the SHA-256 of its token, never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskSessionRow {
    /// SHA-256 of the cookie's token.
    pub token_hash: [u8; 32],
    /// The account.
    pub login: String,
    /// The token the page sends back in a header (double submit against cross-site requests).
    pub csrf: String,
    /// When it began (ms since the epoch).
    pub started: i64,
    /// When it was last used (ms since the epoch).
    pub last_seen: i64,
}

/// Which log a line belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeskLogKind {
    /// 登录日志 — sign-ins, sign-outs and refusals.
    SignIn,
    /// 操作日志 — what signed-in people did.
    Operation,
}

impl DeskLogKind {
    /// The code kept in the store.
    pub fn code(self) -> &'static str {
        match self {
            DeskLogKind::SignIn => "sign_in",
            DeskLogKind::Operation => "operation",
        }
    }
}

/// One line of a desk log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskLogRow {
    /// When (ms since the epoch).
    pub at: i64,
    /// Which log.
    pub kind: DeskLogKind,
    /// The account named (as typed, for a refused sign-in).
    pub login: String,
    /// What happened, in Chinese.
    pub what: String,
    /// Whether it succeeded.
    pub ok: bool,
    /// Where the request came from.
    pub source: String,
}

/// The console's rows, in each backend's own SQL.
pub trait DeskStore {
    /// Adds an account; `Ok(false)` if one of that login exists (nothing changed).
    fn add_desk_account(&self, account: &DeskAccountRow) -> Result<bool, StorageError>;
    /// An account by login.
    fn desk_account(&self, login: &str) -> Result<Option<DeskAccountRow>, StorageError>;
    /// Every account, by login.
    fn desk_accounts(&self) -> Result<Vec<DeskAccountRow>, StorageError>;
    /// Records a sign-in's outcome for an account: its failure count, lock and last TOTP step.
    fn set_desk_sign_in_state(
        &self,
        login: &str,
        failures: u32,
        locked_until: Option<i64>,
        totp_last_step: i64,
    ) -> Result<(), StorageError>;
    /// Replaces an account's credentials with `new` if they are still `was` (failures and
    /// lock reset; the last TOTP step `totp_last_step` for a new authenticator secret, or
    /// raised to it for the same one: a code used meanwhile stays used); `Ok(false)` if they changed meanwhile (nothing
    /// changed): a code, password or activation is used once even by two requests at a time.
    fn set_desk_credentials(
        &self,
        login: &str,
        was: &DeskCredentials,
        new: &DeskCredentials,
        totp_last_step: i64,
    ) -> Result<bool, StorageError>;
    /// Ends every session of an account; how many there were.
    fn drop_desk_sessions_of(&self, login: &str) -> Result<u64, StorageError>;
    /// Keeps a new session.
    fn add_desk_session(&self, session: &DeskSessionRow) -> Result<(), StorageError>;
    /// A session by its token's hash.
    fn desk_session(&self, token_hash: &[u8; 32]) -> Result<Option<DeskSessionRow>, StorageError>;
    /// Marks a session used at `at`.
    fn touch_desk_session(&self, token_hash: &[u8; 32], at: i64) -> Result<(), StorageError>;
    /// Ends a session.
    fn drop_desk_session(&self, token_hash: &[u8; 32]) -> Result<(), StorageError>;
    /// Appends a line to a log.
    fn add_desk_log(&self, row: &DeskLogRow) -> Result<(), StorageError>;
    /// The latest `limit` lines of a log, newest first.
    fn desk_log(&self, kind: DeskLogKind, limit: u32) -> Result<Vec<DeskLogRow>, StorageError>;
}

impl<T: DeskStore + ?Sized> DeskStore for Box<T> {
    fn add_desk_account(&self, account: &DeskAccountRow) -> Result<bool, StorageError> {
        (**self).add_desk_account(account)
    }
    fn desk_account(&self, login: &str) -> Result<Option<DeskAccountRow>, StorageError> {
        (**self).desk_account(login)
    }
    fn desk_accounts(&self) -> Result<Vec<DeskAccountRow>, StorageError> {
        (**self).desk_accounts()
    }
    fn set_desk_sign_in_state(
        &self,
        login: &str,
        failures: u32,
        locked_until: Option<i64>,
        totp_last_step: i64,
    ) -> Result<(), StorageError> {
        (**self).set_desk_sign_in_state(login, failures, locked_until, totp_last_step)
    }
    fn set_desk_credentials(
        &self,
        login: &str,
        was: &DeskCredentials,
        new: &DeskCredentials,
        totp_last_step: i64,
    ) -> Result<bool, StorageError> {
        (**self).set_desk_credentials(login, was, new, totp_last_step)
    }
    fn drop_desk_sessions_of(&self, login: &str) -> Result<u64, StorageError> {
        (**self).drop_desk_sessions_of(login)
    }
    fn add_desk_session(&self, session: &DeskSessionRow) -> Result<(), StorageError> {
        (**self).add_desk_session(session)
    }
    fn desk_session(&self, token_hash: &[u8; 32]) -> Result<Option<DeskSessionRow>, StorageError> {
        (**self).desk_session(token_hash)
    }
    fn touch_desk_session(&self, token_hash: &[u8; 32], at: i64) -> Result<(), StorageError> {
        (**self).touch_desk_session(token_hash, at)
    }
    fn drop_desk_session(&self, token_hash: &[u8; 32]) -> Result<(), StorageError> {
        (**self).drop_desk_session(token_hash)
    }
    fn add_desk_log(&self, row: &DeskLogRow) -> Result<(), StorageError> {
        (**self).add_desk_log(row)
    }
    fn desk_log(&self, kind: DeskLogKind, limit: u32) -> Result<Vec<DeskLogRow>, StorageError> {
        (**self).desk_log(kind, limit)
    }
}

/// The squads of an account as one column: one per line (a squad's name has no line break).
pub fn squads_column(squads: &[String]) -> String {
    squads.join("\n")
}

/// The squads of an account read back from [`squads_column`].
pub fn squads_from_column(column: &str) -> Vec<String> {
    column
        .lines()
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// An account's pending activation read back from its two columns (both set or neither).
pub fn activation_from_columns(
    code_hash: Option<Vec<u8>>,
    until: Option<i64>,
) -> Result<Option<DeskActivation>, StorageError> {
    match (code_hash, until) {
        (None, None) => Ok(None),
        (Some(hash), Some(until)) => Ok(Some(DeskActivation {
            code_hash: hash.try_into().map_err(|h: Vec<u8>| {
                StorageError::Damaged(format!("an activation code hash of {} bytes", h.len()))
            })?,
            until,
        })),
        _ => Err(StorageError::Damaged(
            "an activation without its code or its time".into(),
        )),
    }
}

/// A log kind read back from its code.
pub fn log_kind_from_code(code: &str) -> Result<DeskLogKind, StorageError> {
    match code {
        "sign_in" => Ok(DeskLogKind::SignIn),
        "operation" => Ok(DeskLogKind::Operation),
        other => Err(StorageError::Damaged(format!("a desk log kind {other:?}"))),
    }
}

/// The checks every backend must pass, run by each backend's tests on a fresh store.
#[doc(hidden)]
// A test suite: failing loudly is its job.
#[allow(clippy::unwrap_used)]
pub mod suite {
    use super::*;

    fn account(login: &str) -> DeskAccountRow {
        DeskAccountRow {
            login: login.into(),
            name: "王督察".into(),
            role: "squad_leader".into(),
            squads: vec!["一中队".into(), "二中队".into()],
            credentials: DeskCredentials {
                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
                totp_secret: vec![7; 20],
                activation: None,
                key_salt: vec![3; 16],
                changed_at: 5,
            },
            totp_last_step: 0,
            failures: 0,
            locked_until: None,
            person: None,
        }
    }

    /// Runs every check on `store`, which must be empty of desk rows.
    pub fn run<S: DeskStore>(store: &S) {
        let a = account("wang");
        assert!(store.add_desk_account(&a).unwrap());
        let mut linked = account("zhou");
        linked.person = Some("zhou.wen".into());
        assert!(store.add_desk_account(&linked).unwrap());
        assert_eq!(store.desk_account("zhou").unwrap(), Some(linked));
        let mut other = account("wang");
        other.name = "别人".into();
        assert!(
            !store.add_desk_account(&other).unwrap(),
            "a login is taken once"
        );
        assert_eq!(store.desk_account("wang").unwrap(), Some(a.clone()));
        assert_eq!(store.desk_account("nobody").unwrap(), None);
        store.add_desk_account(&account("li")).unwrap();
        let logins: Vec<_> = store
            .desk_accounts()
            .unwrap()
            .into_iter()
            .map(|a| a.login)
            .collect();
        assert_eq!(logins, ["li", "wang", "zhou"]);

        store
            .set_desk_sign_in_state("wang", 3, Some(1_000), 42)
            .unwrap();
        let got = store.desk_account("wang").unwrap().unwrap();
        assert_eq!(
            (got.failures, got.locked_until, got.totp_last_step),
            (3, Some(1_000), 42)
        );
        store.set_desk_sign_in_state("wang", 0, None, 43).unwrap();
        let got = store.desk_account("wang").unwrap().unwrap();
        assert_eq!((got.failures, got.locked_until), (0, None));

        credentials(store);

        let s = DeskSessionRow {
            token_hash: [9; 32],
            login: "wang".into(),
            csrf: "c".repeat(64),
            started: 10,
            last_seen: 10,
        };
        store.add_desk_session(&s).unwrap();
        assert_eq!(store.desk_session(&[9; 32]).unwrap(), Some(s.clone()));
        assert_eq!(store.desk_session(&[8; 32]).unwrap(), None);
        store.touch_desk_session(&[9; 32], 20).unwrap();
        assert_eq!(store.desk_session(&[9; 32]).unwrap().unwrap().last_seen, 20);
        store.drop_desk_session(&[9; 32]).unwrap();
        assert_eq!(store.desk_session(&[9; 32]).unwrap(), None);
        for (hash, login) in [([1; 32], "wang"), ([2; 32], "wang"), ([3; 32], "li")] {
            store
                .add_desk_session(&DeskSessionRow {
                    token_hash: hash,
                    login: login.into(),
                    ..s.clone()
                })
                .unwrap();
        }
        assert_eq!(store.drop_desk_sessions_of("wang").unwrap(), 2);
        assert_eq!(store.desk_session(&[1; 32]).unwrap(), None);
        assert_eq!(store.desk_session(&[2; 32]).unwrap(), None);
        assert!(
            store.desk_session(&[3; 32]).unwrap().is_some(),
            "another's stays"
        );
        assert_eq!(store.drop_desk_sessions_of("wang").unwrap(), 0);

        for (i, kind) in [
            DeskLogKind::SignIn,
            DeskLogKind::Operation,
            DeskLogKind::SignIn,
        ]
        .into_iter()
        .enumerate()
        {
            store
                .add_desk_log(&DeskLogRow {
                    at: 100 + i as i64,
                    kind,
                    login: "wang".into(),
                    what: format!("第{i}条"),
                    ok: i != 2,
                    source: "127.0.0.1".into(),
                })
                .unwrap();
        }
        let sign_ins = store.desk_log(DeskLogKind::SignIn, 10).unwrap();
        assert_eq!(
            sign_ins.iter().map(|r| r.at).collect::<Vec<_>>(),
            [102, 100],
            "newest first, one log"
        );
        assert!(!sign_ins[0].ok && sign_ins[1].ok);
        assert_eq!(store.desk_log(DeskLogKind::SignIn, 1).unwrap().len(), 1);
        assert_eq!(
            store.desk_log(DeskLogKind::Operation, 10).unwrap()[0].what,
            "第1条"
        );
    }

    /// An account awaiting activation is activated once; a password changed only from the
    /// credentials last read.
    fn credentials<S: DeskStore>(store: &S) {
        let pending = DeskCredentials {
            password_hash: String::new(),
            totp_secret: vec![5; 20],
            activation: Some(DeskActivation {
                code_hash: [4; 32],
                until: 5_000,
            }),
            key_salt: Vec::new(),
            changed_at: 10,
        };
        let mut a = account("new");
        a.credentials = pending.clone();
        assert!(store.add_desk_account(&a).unwrap());
        assert_eq!(store.desk_account("new").unwrap(), Some(a.clone()));
        store.set_desk_sign_in_state("new", 2, Some(9), 3).unwrap();
        let active = DeskCredentials {
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$bmV3".into(),
            activation: None,
            key_salt: vec![9; 16],
            changed_at: 20,
            ..pending.clone()
        };
        assert!(
            store
                .set_desk_credentials("new", &pending, &active, 77)
                .unwrap()
        );
        assert!(
            !store
                .set_desk_credentials("new", &pending, &active, 78)
                .unwrap(),
            "an activation is completed once"
        );
        let got = store.desk_account("new").unwrap().unwrap();
        assert_eq!(got.credentials, active);
        assert_eq!(
            (got.totp_last_step, got.failures, got.locked_until),
            (77, 0, None),
            "new credentials start afresh"
        );
        let mut stale = active.clone();
        stale.totp_secret = vec![6; 20];
        assert!(
            !store
                .set_desk_credentials("new", &stale, &pending, 0)
                .unwrap(),
            "a secret changed meanwhile"
        );
        assert!(
            !store
                .set_desk_credentials("nobody", &active, &pending, 0)
                .unwrap()
        );
        assert_eq!(
            store.desk_account("new").unwrap().unwrap().credentials,
            active
        );
        // The same authenticator: a step used meanwhile stays used. A new one: its own step.
        let changed = DeskCredentials {
            key_salt: vec![8; 16],
            ..active.clone()
        };
        assert!(
            store
                .set_desk_credentials("new", &active, &changed, 50)
                .unwrap()
        );
        let step = || store.desk_account("new").unwrap().unwrap().totp_last_step;
        assert_eq!(step(), 77);
        let renewed = DeskCredentials {
            totp_secret: vec![4; 20],
            ..changed.clone()
        };
        assert!(
            store
                .set_desk_credentials("new", &changed, &renewed, 0)
                .unwrap()
        );
        assert_eq!(step(), 0);
    }
}
