//! The bureau's web console (监督平台): the desk staff's accounts (password hashed with
//! Argon2id, and a TOTP second factor), lock-out after wrong attempts, sessions with an idle
//! timeout and a CSRF token, the sign-in and operation logs, and what each desk role sees of
//! the cases (the rule of [`qc_domain::CaseView`], as on tablets).
//!
//! Architecture invariant: the console knows no SQL and no HTTP here. Rows come and go through
//! [`DeskStore`] and the station's [`Storage`]; [`http`] is a thin adapter over [`Console`].

mod accounts;
pub mod bureau;
mod case;
pub mod draw;
pub mod http;
mod people;
mod public;

pub use accounts::{
    AccountForm, AccountItem, AccountList, ActivationCode, ActivationForm, Enrolment, Invited,
    PasswordForm, ResetForm, activation_fragment,
};
pub use case::{
    Ask, CaseFacts, CasePage, DeadlineShown, EvidenceFile, EvidenceRead, PIECE, RecordCheck,
    ReviewSheet, ReviewShown, entity_tag, media_type,
};
pub use people::{KeyItem, KeyState, PeopleList, PersonItem};
pub use public::{CorrectionNote, Published, PublishedList, RevokedNote};

use std::collections::{BTreeMap, BTreeSet};

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use hmac::{Hmac, KeyInit as _, Mac as _};
use qc_domain::admin::{AdminAct, AdminKind};
use qc_domain::{CaseStatus, CaseView, DeadlinePolicy, Person, Role, Timestamp};
use qc_identity::Subject;
use qc_server::{Service, ServiceError};
use qc_station_storage::desk::{
    DeskAccountRow, DeskCredentials, DeskLogKind, DeskLogRow, DeskSessionRow, DeskStore,
};
use qc_station_storage::rows::{CaseQuery, Period};
use qc_station_storage::{PendingBlob, Storage, StorageError};
use serde::Serialize;
use sha2::{Digest as _, Sha256};
use thiserror::Error;
use totp_rs::{Algorithm, Builder, Secret, Totp};

/// What a desk account does at the bureau.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeskRole {
    /// 局领导 — the head: every case.
    Head,
    /// 法制科 — the legal department: the cases sent for review.
    LegalReviewer,
    /// 中队长 — a squad leader: their squads' cases.
    SquadLeader,
    /// 督察 — supervision: every case, read only, and the logs.
    Supervision,
    /// 管理员 — the administrator: accounts, devices and people; no case.
    Administrator,
}

impl DeskRole {
    /// Every role, as listed to users.
    pub const ALL: [DeskRole; 5] = [
        DeskRole::Head,
        DeskRole::LegalReviewer,
        DeskRole::SquadLeader,
        DeskRole::Supervision,
        DeskRole::Administrator,
    ];

    /// The role its signatures carry, for the roles that sign acts (supervision only reads).
    pub fn signs_as(self) -> Option<Role> {
        match self {
            DeskRole::Head => Some(Role::Head),
            DeskRole::LegalReviewer => Some(Role::LegalReviewer),
            DeskRole::SquadLeader => Some(Role::SquadLeader),
            DeskRole::Administrator => Some(Role::Administrator),
            DeskRole::Supervision => None,
        }
    }

    /// The role's code (kept in the store, sent to the page, typed on the command line).
    pub fn code(self) -> &'static str {
        match self {
            DeskRole::Head => "head",
            DeskRole::LegalReviewer => "legal_reviewer",
            DeskRole::SquadLeader => "squad_leader",
            DeskRole::Supervision => "supervision",
            DeskRole::Administrator => "administrator",
        }
    }

    /// The role named by `code`.
    pub fn from_code(code: &str) -> Option<DeskRole> {
        DeskRole::ALL.into_iter().find(|r| r.code() == code)
    }

    /// The role's name in Chinese.
    pub fn zh(self) -> &'static str {
        match self {
            DeskRole::Head => "局领导",
            DeskRole::LegalReviewer => "法制审核",
            DeskRole::SquadLeader => "中队长",
            DeskRole::Supervision => "督察",
            DeskRole::Administrator => "管理员",
        }
    }

    /// The role's name in English.
    pub fn en(self) -> &'static str {
        match self {
            DeskRole::Head => "head",
            DeskRole::LegalReviewer => "legal review",
            DeskRole::SquadLeader => "squad leader",
            DeskRole::Supervision => "supervision",
            DeskRole::Administrator => "administrator",
        }
    }

    /// Whether the role sees the devices (the administrator also manages them).
    pub fn sees_devices(self) -> bool {
        self.reads_logs()
    }

    /// Whether the role reads the sign-in and operation logs.
    pub fn reads_logs(self) -> bool {
        matches!(
            self,
            DeskRole::Head | DeskRole::Supervision | DeskRole::Administrator
        )
    }
}

/// A desk account as the console shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    /// The sign-in name.
    pub login: String,
    /// The person's name.
    pub name: String,
    /// The role's code.
    #[serde(serialize_with = "role_code")]
    pub role: DeskRole,
    /// The role in Chinese.
    pub role_label: &'static str,
    /// A squad leader's squads.
    pub squads: Vec<String>,
}

fn role_code<S: serde::Serializer>(role: &DeskRole, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(role.code())
}

impl Account {
    /// The cases the account sees.
    pub fn view(&self) -> CaseView {
        match self.role {
            DeskRole::Head | DeskRole::Supervision => CaseView {
                everything: true,
                ..CaseView::default()
            },
            DeskRole::LegalReviewer => CaseView {
                sent_for_review: true,
                ..CaseView::default()
            },
            DeskRole::SquadLeader => CaseView {
                squads: self.squads.iter().cloned().collect(),
                ..CaseView::default()
            },
            DeskRole::Administrator => CaseView::default(),
        }
    }

    /// What the account sees, in a sentence.
    pub fn view_zh(&self) -> String {
        match self.role {
            DeskRole::Head => "全部案件".into(),
            DeskRole::Supervision => "全部案件（只读）".into(),
            DeskRole::LegalReviewer => "送法制审核的案件".into(),
            DeskRole::SquadLeader => format!("{}的案件", self.squads.join("、")),
            DeskRole::Administrator => "管理员不查看案件".into(),
        }
    }

    fn from_row(row: &DeskAccountRow) -> Result<Account, ConsoleError> {
        let role = DeskRole::from_code(&row.role).ok_or_else(|| {
            StorageError::Damaged(format!(
                "desk account {} has role {:?}",
                row.login, row.role
            ))
        })?;
        Ok(Account {
            login: row.login.clone(),
            name: row.name.clone(),
            role,
            role_label: role.zh(),
            squads: row.squads.clone(),
        })
    }
}

/// A new desk account, as the administrator describes it.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// The sign-in name: letters, digits, `.`, `_` or `-`.
    pub login: String,
    /// The person's name.
    pub name: String,
    /// The role.
    pub role: DeskRole,
    /// The squads, for a squad leader (at least one); none for other roles.
    pub squads: Vec<String>,
    /// The bureau's person the account is, as their certificate names them: required for the
    /// head and a squad leader (what they sign carries their 执法证 number), of the role the
    /// account's signatures carry.
    pub person: Option<Person>,
}

/// A desk account made: what its holder enrols in an authenticator app.
#[derive(Debug, Clone)]
pub struct Enrolled {
    /// The account.
    pub account: Account,
    /// The TOTP secret in base32, to type into an authenticator.
    pub totp_secret: String,
    /// The `otpauth://` address, to show as a QR code.
    pub otpauth_url: String,
}

/// A signed-in session.
#[derive(Debug, Clone, Serialize)]
pub struct Session {
    /// Whose.
    pub account: Account,
    /// The token the page sends back in the `x-csrf-token` header.
    pub csrf: String,
}

/// A sign-in that succeeded: the session and its secret token (the cookie's value).
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The cookie's value; the store keeps only its SHA-256.
    pub token: String,
    /// The session.
    pub session: Session,
}

/// A count under a key, with its label, as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Keyed {
    /// The key (a status or domain code, a squad, a grid unit).
    pub key: String,
    /// What the page shows for it.
    pub label: String,
    /// How many.
    pub count: u64,
}

/// Open deadlines under a squad or a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadlineFigure {
    /// The squad or the person's id.
    pub key: String,
    /// What the page shows for it.
    pub label: String,
    /// 已逾期.
    pub overdue: u64,
    /// 即将到期.
    pub due_soon: u64,
}

/// A squad's 721 figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RatioFigure {
    /// The squad.
    pub squad: String,
    /// 服务.
    pub service: u64,
    /// 管理.
    pub management: u64,
    /// 执法.
    pub enforcement: u64,
}

/// The period a dashboard covers (ms since the epoch; open ends unbounded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PeriodShown {
    /// From, inclusive.
    pub from: Option<i64>,
    /// To, exclusive.
    pub to: Option<i64>,
}

/// The dashboard: the cases a person sees, counted; deadlines; the 721 ratio.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dashboard {
    /// The period asked for: cases registered in it; 721 outcomes in it.
    pub period: PeriodShown,
    /// Cases registered in the period.
    pub total: u64,
    /// By status.
    pub by_status: Vec<Keyed>,
    /// By domain.
    pub by_domain: Vec<Keyed>,
    /// By squad.
    pub by_squad: Vec<Keyed>,
    /// By grid unit.
    pub by_grid: Vec<Keyed>,
    /// Open deadlines now, by squad.
    pub deadlines_by_squad: Vec<DeadlineFigure>,
    /// Open deadlines now, by officer whose case it is.
    pub deadlines_by_officer: Vec<DeadlineFigure>,
    /// Matters by 721 outcome in the period, by squad.
    pub ratio721: Vec<RatioFigure>,
    /// What the person sees, in a sentence.
    pub scope: String,
    /// Whether the tablets in view sync.
    pub sync_health: SyncHealth,
}

/// A case in the console's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseItem {
    /// The case id.
    pub id: String,
    /// Its squad.
    pub squad: String,
    /// Its status's code.
    pub status: String,
    /// The status in Chinese.
    pub status_label: String,
    /// The domain's code.
    pub domain: String,
    /// The domain's name.
    pub domain_name: String,
    /// The violation's name.
    pub violation_name: String,
    /// Where.
    pub address: String,
    /// The parties.
    pub parties: String,
    /// What happened.
    pub summary: String,
    /// The grid unit.
    pub grid: String,
    /// When registered (ms).
    pub registered_at: i64,
    /// The latest act (ms).
    pub updated_at: i64,
    /// Open deadlines past due.
    pub overdue: u64,
}

/// A page of the console's case list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseList {
    /// Cases matching, in all.
    pub total: u64,
    /// This page.
    pub cases: Vec<CaseItem>,
}

/// An enrolled device as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceItem {
    /// The device id.
    pub id: String,
    /// Its label ("一中队 平板 3").
    pub label: String,
    /// The squad it is issued to.
    pub squad: String,
    /// Whether its certificate is revoked.
    pub revoked: bool,
    /// Since when (ms).
    pub revoked_at: Option<i64>,
    /// Why.
    pub reason: Option<String>,
    /// People's signing keys made on it.
    pub keys: u64,
    /// When it last synced (ms), if ever.
    pub last_seen: Option<i64>,
    /// A desk's device (a desk account acts through it; it never syncs), not a tablet.
    pub desk: bool,
    /// Whether the tablet took each of the catalogue and wording imported at the station, as
    /// it said at its last sync (on the devices page; none for a desk, or nothing imported).
    pub bureau: Option<Vec<bureau::FileState>>,
}

/// Days without a sync after which the dashboard lists a tablet.
pub const STALE_AFTER_DAYS: i64 = 3;

/// The tablets in a person's view and those not synced for [`STALE_AFTER_DAYS`] days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncHealth {
    /// The days.
    pub stale_after_days: i64,
    /// Tablets of the squads in view in service (not revoked).
    pub devices: u64,
    /// Those not synced for the days, the longest silent first (never synced first of all).
    pub stale: Vec<DeviceItem>,
    /// The tablets whose entries name files the station does not hold yet (cases in view),
    /// the longest waiting first.
    pub pending: Vec<PendingUploads>,
}

/// The files a tablet has named in its entries and not sent yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PendingUploads {
    /// The device.
    pub device: String,
    /// Its label.
    pub label: String,
    /// Its squad.
    pub squad: String,
    /// Files not held yet.
    pub files: u64,
    /// Of how many cases.
    pub cases: u64,
    /// Since when the oldest waits (ms).
    pub oldest: i64,
}

/// The devices, and whether this person may revoke them and issue codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceList {
    /// Every enrolled device.
    pub devices: Vec<DeviceItem>,
    /// Whether the person manages devices (the administrator).
    pub may_manage: bool,
}

/// A device revoked from the console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Revoked {
    /// The revocation list's number now in force.
    pub number: u64,
    /// Certificates it added (the device's and the keys made on it).
    pub revoked: u64,
}

/// A one-time code for a new tablet of a squad.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnrolmentCode {
    /// The code, read aloud or typed on the tablet.
    pub code: String,
    /// The squad the tablet is for.
    pub squad: String,
    /// Until when it can be used (ms).
    pub expires_at: i64,
    /// The code as a QR image (SVG).
    pub qr_svg: String,
}

/// A status's Chinese name from its code (the code itself if unknown).
fn status_zh(code: &str) -> String {
    CaseStatus::ALL
        .into_iter()
        .find(|s| s.code() == code)
        .map_or_else(|| code.to_owned(), |s| s.zh().to_owned())
}

/// How close a deadline is "due soon" (the tablets' window).
fn due_soon_ms() -> i64 {
    DeadlinePolicy::default().due_soon_days * 86_400_000
}

/// One line of a desk log, as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogLine {
    /// When (ms since the epoch).
    pub at: i64,
    /// The account named.
    pub login: String,
    /// What happened, in Chinese.
    pub what: String,
    /// Whether it succeeded.
    pub ok: bool,
    /// Where the request came from.
    pub source: String,
}

/// An administration act (管理操作) as the log holds it, as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdminActItem {
    /// When (ms since the epoch).
    pub at: i64,
    /// The administrator's desk login.
    pub by: String,
    /// What kind of change, in Chinese.
    pub kind: &'static str,
    /// What it changed.
    pub subject: String,
    /// The rest.
    pub detail: String,
    /// The hash of its entry on the log (hex).
    pub entry: String,
}

/// How sign-in and sessions behave.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Wrong attempts in a row that lock an account.
    pub max_failures: u32,
    /// How long a lock lasts (ms).
    pub lock_ms: i64,
    /// A session unused this long ends (ms).
    pub idle_ms: i64,
    /// A session ends this long after sign-in whatever its use (ms).
    pub max_session_ms: i64,
    /// An account's activation code is good this long (ms).
    pub activation_ms: i64,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            max_failures: 5,
            lock_ms: 15 * 60 * 1000,
            idle_ms: 30 * 60 * 1000,
            max_session_ms: 12 * 60 * 60 * 1000,
            activation_ms: 72 * 60 * 60 * 1000,
        }
    }
}

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// TOTP: a code every 30 seconds, one step of clock drift either way.
const TOTP_STEP_SECS: u64 = 30;
/// The issuer an authenticator app shows.
const ISSUER: &str = "Quancheng";

/// Words in both of the page's languages, saying the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    /// In Chinese.
    pub zh: String,
    /// In English.
    pub en: String,
}

impl Said {
    /// `zh` and its English, `en`.
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Said {
        Said {
            zh: zh.into(),
            en: en.into(),
        }
    }
}

/// A bureau role's name in English (the domain names it in Chinese only).
fn role_en(role: Role) -> &'static str {
    match role {
        Role::EnforcementOfficer => "an enforcement officer",
        Role::Assistant => "an assistant",
        Role::SquadLeader => "a squad leader",
        Role::LegalReviewer => "a legal reviewer",
        Role::Head => "the head",
        Role::Administrator => "an administrator",
    }
}

/// What went wrong in the console.
#[derive(Debug, Error)]
pub enum ConsoleError {
    /// Wrong login, password or code (which one is not said).
    #[error("wrong login, password or code")]
    BadCredentials,
    /// Too many wrong attempts: sign-in refused until then.
    #[error("account locked until {until_ms}")]
    Locked {
        /// When the lock ends (ms since the epoch).
        until_ms: i64,
    },
    /// No session, or it ended.
    #[error("not signed in")]
    NoSession,
    /// The request did not carry the session's CSRF token.
    #[error("missing or wrong CSRF token")]
    Csrf,
    /// The account may not do this.
    #[error("not allowed for this account")]
    Forbidden,
    /// The password typed to confirm a signature is not the account's.
    #[error("wrong password for the signature")]
    WrongPassword,
    /// No such case or file, or none the account sees.
    #[error("no such case or file in view")]
    NotFound,
    /// The request is not acceptable, and why.
    #[error("bad request: {}", .0.en)]
    BadRequest(Said),
    /// An account of that login exists.
    #[error("desk account {0} exists")]
    LoginTaken(String),
    /// An activation code that is wrong, used or expired.
    #[error("no such activation, or it was used or has expired")]
    BadActivation,
    /// An administration act was made but could not be signed onto the log.
    #[error("act '{}' was made but not logged: {why}", .what.en)]
    Unlogged {
        /// The act.
        what: Said,
        /// Why the signature failed.
        why: String,
    },
    /// The station refused or failed.
    #[error(transparent)]
    Station(#[from] ServiceError),
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The file (named here) was replaced by someone else since it was read.
    #[error("the {} was replaced meanwhile", .0.en)]
    Stale(Said),
    /// The part of a file asked for lies outside it.
    #[error("range outside a file of {size} bytes")]
    RangeNotSatisfiable {
        /// The file's size.
        size: u64,
    },
}

impl ConsoleError {
    /// A request refused for a reason said in Chinese (`zh`) and in English (`en`).
    pub fn bad(zh: impl Into<String>, en: impl Into<String>) -> ConsoleError {
        ConsoleError::BadRequest(Said::new(zh, en))
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            ConsoleError::BadCredentials | ConsoleError::NoSession => 401,
            ConsoleError::Csrf | ConsoleError::Forbidden => 403,
            ConsoleError::BadRequest(_) => 400,
            ConsoleError::NotFound => 404,
            ConsoleError::WrongPassword => 422,
            ConsoleError::LoginTaken(_) | ConsoleError::Stale(_) => 409,
            ConsoleError::BadActivation => 400,
            ConsoleError::Unlogged { .. } => 500,
            ConsoleError::Locked { .. } => 423,
            ConsoleError::Station(e) => e.status(),
            ConsoleError::Storage(_) => 500,
            ConsoleError::RangeNotSatisfiable { .. } => 416,
        }
    }

    /// A stable code for the page.
    pub fn code(&self) -> &'static str {
        match self {
            ConsoleError::BadCredentials => "bad_credentials",
            ConsoleError::Locked { .. } => "locked",
            ConsoleError::NoSession => "no_session",
            ConsoleError::Csrf => "csrf",
            ConsoleError::Forbidden => "forbidden",
            ConsoleError::BadRequest(_) => "bad_request",
            ConsoleError::NotFound => "not_found",
            ConsoleError::WrongPassword => "wrong_password",
            ConsoleError::LoginTaken(_) => "login_taken",
            ConsoleError::Stale(_) => "stale",
            ConsoleError::BadActivation => "bad_activation",
            ConsoleError::Unlogged { .. } => "unlogged",
            ConsoleError::Station(_) => "station",
            ConsoleError::Storage(_) => "storage",
            ConsoleError::RangeNotSatisfiable { .. } => "range",
        }
    }

    /// What the person is told, in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            ConsoleError::BadCredentials => "登录名、密码或动态验证码不正确".into(),
            ConsoleError::Locked { .. } => "连续输错次数过多，账号已暂时锁定，请稍后再试".into(),
            ConsoleError::NoSession => "请先登录".into(),
            ConsoleError::Csrf => "请求缺少安全令牌，请刷新页面后重试".into(),
            ConsoleError::Forbidden => "当前账号无权进行此操作".into(),
            ConsoleError::BadRequest(why) => format!("请求有误：{}", why.zh),
            ConsoleError::NotFound => "没有该案件或文件，或当前账号无权查看".into(),
            ConsoleError::WrongPassword => "密码不正确，未签名，也未作任何更改".into(),
            ConsoleError::LoginTaken(login) => format!("登录名 {login} 已被使用"),
            ConsoleError::Stale(what) => format!("{}已被他人更新，请重新预览后再导入", what.zh),
            ConsoleError::BadActivation => {
                "激活链接无效、已使用或已过期，请联系管理员重新生成".into()
            }
            ConsoleError::Unlogged { what, .. } => {
                format!(
                    "{}已完成，但未能签名记入执法全过程记录，请联系系统运维人员",
                    what.zh
                )
            }
            ConsoleError::Station(e) => e.body().message,
            ConsoleError::Storage(_) => "服务器存储出错，请联系管理员".into(),
            ConsoleError::RangeNotSatisfiable { size } => {
                format!("请求的文件范围超出文件大小（{size} 字节）")
            }
        }
    }

    /// What the person is told, in English (for a page shown in English).
    pub fn message_en(&self) -> String {
        match self {
            ConsoleError::BadCredentials => "The login, password or one-time code is wrong".into(),
            ConsoleError::Locked { .. } => {
                "Too many wrong attempts: the account is locked for a while; try again later".into()
            }
            ConsoleError::NoSession => "Please sign in first".into(),
            ConsoleError::Csrf => {
                "The request lacks its security token; reload the page and try again".into()
            }
            ConsoleError::Forbidden => "Your account may not do this".into(),
            ConsoleError::BadRequest(why) => why.en.clone(),
            ConsoleError::NotFound => "No such case or file, or your account may not see it".into(),
            ConsoleError::WrongPassword => {
                "Wrong password: nothing was signed and nothing was changed".into()
            }
            ConsoleError::LoginTaken(login) => format!("The login {login} is already in use"),
            ConsoleError::Stale(what) => format!(
                "The {} was updated by someone else meanwhile; preview it again, then import",
                what.en
            ),
            ConsoleError::BadActivation => "The activation link is wrong, already used or \
                 expired; ask the administrator for a new one"
                .into(),
            ConsoleError::Unlogged { what, .. } => format!(
                "“{}” was done, but could not be signed onto the whole-process record; \
                 contact the system's maintainers",
                what.en
            ),
            ConsoleError::Station(e) => e.message_en(),
            ConsoleError::Storage(_) => {
                "The server's storage failed; contact the administrator".into()
            }
            ConsoleError::RangeNotSatisfiable { size } => {
                format!("The part of the file asked for lies beyond its size ({size} bytes)")
            }
        }
    }
}

/// Where random bytes come from (the operating system's generator; a fixed one in tests).
pub type Random = Box<dyn Fn(&mut [u8]) + Send + Sync>;

/// The operating system's random generator.
pub fn os_random() -> Random {
    Box::new(|buf| getrandom::fill(buf).unwrap_or_else(|e| panic!("no randomness: {e}")))
}

/// The console's rules; each act is given the store it works on (the station's own).
pub struct Console {
    policy: Policy,
    random: Random,
}

/// Whether a secret sent equals the one kept, compared as digests: equal time whatever the
/// first differing byte.
fn same_secret(sent: &str, kept: &str) -> bool {
    Sha256::digest(sent.as_bytes()) == Sha256::digest(kept.as_bytes())
}

/// A line of a desk log.
fn line(
    kind: DeskLogKind,
    login: &str,
    what: &str,
    ok: bool,
    source: &str,
    now: Timestamp,
) -> DeskLogRow {
    DeskLogRow {
        at: now.0,
        kind,
        // A login as typed at a refused sign-in may be anything: no longer than a login.
        login: login.chars().take(64).collect(),
        what: what.into(),
        ok,
        source: source.into(),
    }
}

/// Writes `done`, a line about an act that stands already: one that cannot be written is
/// reported, not returned (the act is not undone, nor to be made again).
fn logged_after<S: DeskStore + ?Sized>(store: &S, done: &DeskLogRow) {
    if let Err(e) = store.add_desk_log(done) {
        tracing::error!(what = %done.what, error = %e, "a desk log refused a line about an act made");
    }
}

fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The account's TOTP generator (RFC 6238: HMAC-SHA1, six digits, 30 seconds, what every
/// authenticator app takes).
pub fn totp(secret: &[u8], login: &str) -> Result<Totp, ConsoleError> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(0)
        .with_step_duration(TOTP_STEP_SECS)
        .with_secret(Secret::new(secret.into()))
        .with_issuer(Some(ISSUER))
        .with_account_name(login)
        .build()
        .map_err(|e| {
            ConsoleError::bad(
                format!("TOTP: {e}"),
                format!("The authenticator could not be set up (TOTP: {e})"),
            )
        })
}

/// The key a desk account signs acts with: derived from its password (Argon2id, with a salt
/// from the station's secret and the login: `Service::desk_key_salt`), so only someone who
/// types the password can sign as the account; the station certifies its public half the first
/// time it signs.
fn signing_key_of(
    password: &str,
    salt: &[u8; 16],
) -> Result<ed25519_dalek::SigningKey, ConsoleError> {
    let mut seed = [0u8; 32];
    Argon2::default()
        .hash_password_into(password.as_bytes(), salt, &mut seed)
        .map_err(|e| {
            ConsoleError::bad(
                format!("key: {e}"),
                format!("No signing key could be made from the password ({e})"),
            )
        })?;
    Ok(ed25519_dalek::SigningKey::from_bytes(&seed))
}

/// A device's label and squad as its certificate names them (its id and no squad when it
/// does not).
fn device_label_squad(id: &str, cert: &qc_identity::SignedCertificate) -> (String, String) {
    match cert.decode_unverified().map(|c| c.subject) {
        Ok(Subject::Device { label, squad, .. }) => (label, squad),
        _ => (id.to_owned(), String::new()),
    }
}

/// Every enrolled device as the console lists it: label and squad from its certificate,
/// whether the revocation list in force names it, its keys, its last sync.
fn device_items<S: Storage>(station: &Service<S>) -> Result<Vec<DeviceItem>, ConsoleError> {
    let store = station.storage();
    let revocations = station.revocations()?;
    let list = revocations
        .as_ref()
        .and_then(|l| l.decode_unverified().ok());
    let seen: std::collections::BTreeMap<String, Timestamp> =
        store.devices_seen()?.into_iter().collect();
    // Every device's keys counted from one read (the dashboard lists devices too).
    let mut keys: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
    for (device, _) in store.officer_certs()? {
        *keys.entry(device).or_default() += 1;
    }
    let mut devices = Vec::new();
    for (id, cert) in store.devices()? {
        let (label, squad) = device_label_squad(&id, &cert);
        let revocation = list.as_ref().and_then(|l| {
            let cert_id = cert.id();
            l.revoked.iter().find(|r| r.cert == cert_id).cloned()
        });
        devices.push(DeviceItem {
            desk: id.starts_with(qc_server::service::DESK_PREFIX),
            keys: keys.get(&id).copied().unwrap_or(0),
            last_seen: seen.get(&id).map(|t| t.0),
            id,
            label,
            squad,
            revoked: revocation.is_some(),
            revoked_at: revocation.as_ref().map(|r| r.revoked_at.0),
            reason: revocation.map(|r| r.reason),
            bureau: None,
        });
    }
    // The tablets first; the desks' devices after them.
    devices.sort_by(|a, b| (a.desk, &a.id).cmp(&(b.desk, &b.id)));
    Ok(devices)
}

/// The tablets of the squads `view` covers that are in service, and those of them silent for
/// [`STALE_AFTER_DAYS`] days at `now`.
/// The tablets in view, those silent for days, and the files not yet sent from each
/// (`pending`: of cases in view already).
fn sync_health(
    devices: Vec<DeviceItem>,
    pending: &[PendingBlob],
    view: &CaseView,
    now: Timestamp,
) -> SyncHealth {
    // By device: its rows (one per file and case), the cases, the oldest.
    let mut waiting: BTreeMap<&str, (u64, BTreeSet<&str>, i64)> = BTreeMap::new();
    for p in pending {
        let w = waiting
            .entry(p.device.as_str())
            .or_insert((0, BTreeSet::new(), p.since.0));
        w.0 += 1;
        w.1.insert(p.case.as_str());
        w.2 = w.2.min(p.since.0);
    }
    let mut pending: Vec<PendingUploads> = waiting
        .into_iter()
        .map(|(device, (files, cases, oldest))| {
            let known = devices.iter().find(|d| d.id == device);
            PendingUploads {
                device: device.to_owned(),
                label: known.map_or_else(|| device.to_owned(), |d| d.label.clone()),
                squad: known.map(|d| d.squad.clone()).unwrap_or_default(),
                files,
                cases: cases.len() as u64,
                oldest,
            }
        })
        .collect();
    pending.sort_by_key(|p| (p.oldest, p.device.clone()));
    let since = now.0 - STALE_AFTER_DAYS * 24 * 3600 * 1000;
    let in_service: Vec<DeviceItem> = devices
        .into_iter()
        .filter(|d| !d.revoked && !d.desk)
        .filter(|d| view.everything || view.squads.contains(&d.squad))
        .collect();
    let count = in_service.len() as u64;
    let mut stale: Vec<DeviceItem> = in_service
        .into_iter()
        .filter(|d| d.last_seen.is_none_or(|t| t < since))
        .collect();
    stale.sort_by_key(|d| (d.last_seen, d.id.clone()));
    SyncHealth {
        stale_after_days: STALE_AFTER_DAYS,
        devices: count,
        stale,
        pending,
    }
}

fn valid_login(login: &str) -> bool {
    !login.is_empty()
        && login.len() <= 64
        && login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

impl Console {
    /// The console with `policy`, drawing tokens, salts and secrets from `random`.
    pub fn new(policy: Policy, random: Random) -> Console {
        Console { policy, random }
    }

    fn random<const N: usize>(&self) -> [u8; N] {
        let mut b = [0; N];
        (self.random)(&mut b);
        b
    }

    /// Makes a desk account whose first password is `password` (the holder types it at the
    /// station: the command line's way, for the first administrator); `by` is who made it,
    /// `source` where from (the operation log says both).
    pub fn add_account<S: DeskStore + ?Sized>(
        &self,
        store: &S,
        new: NewAccount,
        password: &str,
        by: (&str, &str),
        now: Timestamp,
    ) -> Result<Enrolled, ConsoleError> {
        let secret: [u8; 20] = self.random();
        let credentials = DeskCredentials {
            password_hash: self.password_hash(password)?,
            totp_secret: secret.to_vec(),
            activation: None,
            key_salt: self.random::<16>().to_vec(),
            changed_at: now.0,
        };
        let account = self.keep_account(store, new, credentials, by, now)?;
        let otp = totp(&secret, &account.login)?;
        Ok(Enrolled {
            account,
            totp_secret: otp.secret().to_base32(),
            otpauth_url: otp.to_url().map_err(|e| {
                ConsoleError::bad(
                    format!("TOTP: {e}"),
                    format!("The authenticator could not be set up (TOTP: {e})"),
                )
            })?,
        })
    }

    /// Makes a desk account its holder activates with the code returned (setting their own
    /// password and enrolling the authenticator), so whoever made it knows neither.
    pub fn invite_account<S: DeskStore + ?Sized>(
        &self,
        store: &S,
        new: NewAccount,
        by: (&str, &str),
        now: Timestamp,
    ) -> Result<Invited, ConsoleError> {
        let (credentials, activation) = self.awaiting_activation(&new.login, now);
        let account = self.keep_account(store, new, credentials, by, now)?;
        Ok(Invited {
            account,
            activation,
        })
    }

    /// Credentials that sign nobody in until activated with the code returned: a fresh
    /// authenticator secret and no password.
    fn awaiting_activation(
        &self,
        login: &str,
        now: Timestamp,
    ) -> (DeskCredentials, ActivationCode) {
        let code = hex::encode(self.random::<16>());
        let until = now.0 + self.policy.activation_ms;
        let credentials = DeskCredentials {
            password_hash: String::new(),
            totp_secret: self.random::<20>().to_vec(),
            activation: Some(qc_station_storage::desk::DeskActivation {
                code_hash: token_hash(&code),
                until,
            }),
            key_salt: Vec::new(),
            changed_at: now.0,
        };
        let code = ActivationCode {
            login: login.to_owned(),
            code,
            until,
        };
        (credentials, code)
    }

    /// A password's Argon2id hash, once it is long enough.
    fn password_hash(&self, password: &str) -> Result<String, ConsoleError> {
        if password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(ConsoleError::bad(
                format!("密码至少 {MIN_PASSWORD_CHARS} 位"),
                format!("The password needs at least {MIN_PASSWORD_CHARS} characters"),
            ));
        }
        let salt: [u8; 16] = self.random();
        Ok(Argon2::default()
            .hash_password_with_salt(password.as_bytes(), &salt)
            .map_err(|e| {
                ConsoleError::bad(
                    format!("password: {e}"),
                    format!("The password could not be kept ({e})"),
                )
            })?
            .to_string())
    }

    /// Checks a new account and keeps it with `credentials`, writing the operation log's line.
    fn keep_account<S: DeskStore + ?Sized>(
        &self,
        store: &S,
        new: NewAccount,
        credentials: DeskCredentials,
        (by, source): (&str, &str),
        now: Timestamp,
    ) -> Result<Account, ConsoleError> {
        if !valid_login(&new.login) {
            return Err(ConsoleError::bad(
                "登录名只能包含字母、数字和 . _ -",
                "A login may hold only letters, digits and . _ -",
            ));
        }
        if new.name.trim().is_empty() {
            return Err(ConsoleError::bad(
                "姓名不能为空",
                "The name may not be empty",
            ));
        }
        let squads: Vec<String> = new
            .squads
            .iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        if (new.role == DeskRole::SquadLeader) == squads.is_empty() {
            return Err(ConsoleError::bad(
                "中队长须指定所辖中队，其他角色不指定中队",
                "A squad leader's account names the squads they lead; other roles name no squad",
            ));
        }
        match (&new.person, new.role.signs_as()) {
            (Some(p), Some(role)) if p.role == role => {}
            (Some(p), _) => {
                return Err(ConsoleError::bad(
                    format!(
                        "{}（{}）是{}，与账号角色{}不符",
                        p.name,
                        p.id,
                        p.role.zh(),
                        new.role.zh()
                    ),
                    format!(
                        "{} ({}) is {}, which does not match the account's role ({})",
                        p.name,
                        p.id,
                        role_en(p.role),
                        new.role.en()
                    ),
                ));
            }
            (None, Some(role)) if role.enforces() => {
                return Err(ConsoleError::bad(
                    "局领导、中队长账号须关联本局人员（签名须带执法证号）",
                    "A head's or squad leader's account must be linked to a person of the \
                     bureau (their signatures carry their enforcement certificate number)",
                ));
            }
            (None, _) => {}
        }
        if let Some(p) = &new.person
            && let Some(other) = store
                .desk_accounts()?
                .into_iter()
                .find(|a| a.person.as_deref() == Some(p.id.0.as_str()) && a.login != new.login)
        {
            // One account per person: a second would sign as them too.
            return Err(ConsoleError::bad(
                format!("{}（{}）已有控制台账号 {}", p.name, p.id, other.login),
                format!(
                    "{} ({}) already has the console account {}",
                    p.name, p.id, other.login
                ),
            ));
        }
        let pending = credentials.activation.is_some();
        let row = DeskAccountRow {
            login: new.login.clone(),
            name: new.name.trim().to_owned(),
            role: new.role.code().into(),
            squads,
            credentials,
            totp_last_step: 0,
            failures: 0,
            locked_until: None,
            person: new.person.as_ref().map(|p| p.id.0.clone()),
        };
        if !store.add_desk_account(&row)? {
            return Err(ConsoleError::LoginTaken(new.login));
        }
        store.add_desk_log(&line(
            DeskLogKind::Operation,
            by,
            &format!(
                "新建账号 {}（{}，{}{}{}）{}",
                row.login,
                row.name,
                new.role.zh(),
                row.person
                    .as_deref()
                    .map_or(String::new(), |p| format!("，关联人员 {p}")),
                if row.squads.is_empty() {
                    String::new()
                } else {
                    format!("，所辖 {}", row.squads.join("、"))
                },
                if pending { "，待本人激活" } else { "" }
            ),
            true,
            source,
            now,
        ))?;
        Account::from_row(&row)
    }

    /// Signs in with a password and the authenticator's current code.
    pub fn sign_in<S: DeskStore + ?Sized>(
        &self,
        store: &S,
        login: &str,
        password: &str,
        code: &str,
        source: &str,
        now: Timestamp,
    ) -> Result<SignedIn, ConsoleError> {
        let refused = |what: &str, e: ConsoleError| {
            store.add_desk_log(&line(DeskLogKind::SignIn, login, what, false, source, now))?;
            tracing::warn!(login, source, error = %e, "console sign-in refused");
            Err(e)
        };
        let Some(row) = store.desk_account(login)? else {
            // The same work as for an account, so timing does not tell which logins exist.
            let _ = Argon2::default().verify_password(
                password.as_bytes(),
                "$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            );
            return refused("登录失败：无此账号", ConsoleError::BadCredentials);
        };
        if let Some(until_ms) = row.locked_until.filter(|&u| u > now.0) {
            return refused("登录被拒：账号已锁定", ConsoleError::Locked { until_ms });
        }
        let password_ok = Argon2::default()
            .verify_password(password.as_bytes(), row.credentials.password_hash.as_str())
            .is_ok();
        let step = self.code_step(&row, code, now)?;
        let (Some(step), true) = (step, password_ok) else {
            return match self.count_failure(store, &row, now)? {
                Some(until_ms) => refused(
                    "登录失败，连续输错过多，账号锁定",
                    ConsoleError::Locked { until_ms },
                ),
                None => refused("登录失败：密码或验证码错误", ConsoleError::BadCredentials),
            };
        };
        store.set_desk_sign_in_state(login, 0, None, step)?;
        let signed_in = self.open_session(store, &row, source, now)?;
        tracing::info!(login, source, "console sign-in");
        Ok(signed_in)
    }

    /// A new session of the account `row`, its sign-in logged.
    fn open_session<S: DeskStore + ?Sized>(
        &self,
        store: &S,
        row: &DeskAccountRow,
        source: &str,
        now: Timestamp,
    ) -> Result<SignedIn, ConsoleError> {
        let login = row.login.as_str();
        let token = hex::encode(self.random::<32>());
        let csrf = hex::encode(self.random::<32>());
        store.add_desk_session(&DeskSessionRow {
            token_hash: token_hash(&token),
            login: login.into(),
            csrf: csrf.clone(),
            started: now.0,
            last_seen: now.0,
        })?;
        store.add_desk_log(&line(
            DeskLogKind::SignIn,
            login,
            "登录成功",
            true,
            source,
            now,
        ))?;
        Ok(SignedIn {
            token,
            session: Session {
                account: Account::from_row(row)?,
                csrf,
            },
        })
    }

    /// The desk account `login` acting at the station's command line: its password checked as
    /// for a signature (wrong ones count towards the lock), no session kept and no second
    /// factor asked: whoever can open the station's store could write a session of the
    /// account as well, so the second factor guards nothing there (the command line reaches a
    /// PostgreSQL store from anywhere its address and credentials are known: guard those).
    /// Each act still needs the password, and the sign-in log says who used the account so,
    /// or why not.
    pub fn local_session<S: DeskStore + ?Sized>(
        &self,
        store: &S,
        login: &str,
        password: &str,
        now: Timestamp,
    ) -> Result<Session, ConsoleError> {
        let checked = store
            .desk_account(login)?
            .ok_or(ConsoleError::BadCredentials)
            .and_then(|row| {
                // Nobody may use it (disabled, or its holder has yet to activate it): said as
                // such, and no guess counted.
                if row.credentials.activation.is_some() || row.credentials.disabled() {
                    return Err(ConsoleError::bad(
                        format!("账号 {login} 已停用或尚未激活"),
                        format!("The account {login} is disabled or not yet activated"),
                    ));
                }
                let session = Session {
                    account: Account::from_row(&row)?,
                    csrf: String::new(),
                };
                self.confirm_password(store, &session, password, now)?;
                Ok(session)
            });
        let said = match &checked {
            Ok(_) => "在基站命令行使用账号".to_owned(),
            Err(e) => format!("在基站命令行使用账号未成：{}", e.message_zh()),
        };
        let row = line(
            DeskLogKind::SignIn,
            login,
            &said,
            checked.is_ok(),
            "命令行",
            now,
        );
        store.add_desk_log(&row)?;
        checked
    }

    /// Counts a wrong attempt against an account; when the account is locked by it, until
    /// when. Wrong passwords at sign-in and when confirming a signature count alike, so
    /// neither is a way round the lock.
    fn count_failure<S: DeskStore + ?Sized>(
        &self,
        store: &S,
        row: &DeskAccountRow,
        now: Timestamp,
    ) -> Result<Option<i64>, ConsoleError> {
        let failures = row.failures + 1;
        let locked_until =
            (failures >= self.policy.max_failures).then_some(now.0 + self.policy.lock_ms);
        store.set_desk_sign_in_state(&row.login, failures, locked_until, row.totp_last_step)?;
        Ok(locked_until)
    }

    /// The signed-in person's key for signing an act, from their password typed again (the
    /// station keeps no copy of it): wrong passwords count towards the lock like at sign-in.
    /// `salt` makes the key's salt of the account's own (`key_salt`, new with each password).
    fn signing_key<S: DeskStore + ?Sized>(
        &self,
        store: &S,
        (session, salt): (&Session, impl FnOnce(&[u8]) -> [u8; 16]),
        password: &str,
        now: Timestamp,
    ) -> Result<(ed25519_dalek::SigningKey, DeskAccountRow), ConsoleError> {
        let row = self.confirm_password(store, session, password, now)?;
        let salt = salt(&row.credentials.key_salt);
        Ok((signing_key_of(password, &salt)?, row))
    }

    /// The signed-in person's password, typed again to confirm a weighty act: wrong ones
    /// count towards the lock like at sign-in. Their account as kept.
    fn confirm_password<S: DeskStore + ?Sized>(
        &self,
        store: &S,
        session: &Session,
        password: &str,
        now: Timestamp,
    ) -> Result<DeskAccountRow, ConsoleError> {
        let login = &session.account.login;
        if password.is_empty() {
            // Nothing typed (an old page, a slip): not a wrong guess towards the lock.
            return Err(ConsoleError::bad(
                "请输入您的登录密码",
                "Enter your sign-in password",
            ));
        }
        let row = store.desk_account(login)?.ok_or(ConsoleError::NoSession)?;
        if let Some(until_ms) = row.locked_until.filter(|&u| u > now.0) {
            return Err(ConsoleError::Locked { until_ms });
        }
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), row.credentials.password_hash.as_str())
            .is_ok();
        if !ok {
            let locked = self.count_failure(store, &row, now)?;
            tracing::warn!(login = %login, "wrong password confirming an act");
            return Err(match locked {
                Some(until_ms) => ConsoleError::Locked { until_ms },
                None => ConsoleError::WrongPassword,
            });
        }
        if row.failures > 0 {
            store.set_desk_sign_in_state(login, 0, None, row.totp_last_step)?;
        }
        Ok(row)
    }

    /// The time step of `code` if it is the account's current code (one step of drift either
    /// way) and newer than the last one used: a code is good once.
    fn code_step(
        &self,
        row: &DeskAccountRow,
        code: &str,
        now: Timestamp,
    ) -> Result<Option<i64>, ConsoleError> {
        let otp = totp(&row.credentials.totp_secret, &row.login)?;
        let current = now.0.max(0) as u64 / 1000 / TOTP_STEP_SECS;
        Ok([current.saturating_sub(1), current, current + 1]
            .into_iter()
            .filter(|&step| step as i64 > row.totp_last_step)
            .find(|&step| otp.check(code, step * TOTP_STEP_SECS).is_some())
            .map(|step| step as i64))
    }

    /// The session of a cookie's token, if it is live; marks it used.
    pub fn session<S: DeskStore + ?Sized>(
        &self,
        store: &S,
        token: &str,
        now: Timestamp,
    ) -> Result<Session, ConsoleError> {
        let hash = token_hash(token);
        let row = store.desk_session(&hash)?.ok_or(ConsoleError::NoSession)?;
        if now.0 - row.last_seen > self.policy.idle_ms
            || now.0 - row.started > self.policy.max_session_ms
        {
            store.drop_desk_session(&hash)?;
            return Err(ConsoleError::NoSession);
        }
        let account = store
            .desk_account(&row.login)?
            .ok_or(ConsoleError::NoSession)?;
        // Begun before the account's password changed or it was reset (a sign-in racing
        // either), or while it awaits activation: over.
        if row.started < account.credentials.changed_at || account.credentials.activation.is_some()
        {
            store.drop_desk_session(&hash)?;
            return Err(ConsoleError::NoSession);
        }
        store.touch_desk_session(&hash, now.0)?;
        Ok(Session {
            account: Account::from_row(&account)?,
            csrf: row.csrf,
        })
    }

    /// The session of a request that acts: its token and the CSRF header it carried.
    pub fn acting<S: DeskStore + ?Sized>(
        &self,
        store: &S,
        token: &str,
        csrf: Option<&str>,
        now: Timestamp,
    ) -> Result<Session, ConsoleError> {
        let session = self.session(store, token, now)?;
        let sent = csrf.ok_or(ConsoleError::Csrf)?;
        if !same_secret(sent, &session.csrf) {
            return Err(ConsoleError::Csrf);
        }
        Ok(session)
    }

    /// The token of the address that plays a case's audio or video file in this session: a
    /// media element fetches it itself, without the CSRF header, so the address carries a
    /// MAC of the case and file under the session's CSRF token instead (valid for that file,
    /// in that session only).
    pub fn play_token(session: &Session, case: &str, hash: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(session.csrf.as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
        for part in ["quancheng-play", case, hash] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        hex::encode(mac.finalize().into_bytes())
    }

    /// The session of a request from a player: its cookie's token and the address's
    /// [`Console::play_token`] for `(case, hash)`.
    pub fn playing<S: DeskStore + ?Sized>(
        &self,
        store: &S,
        token: &str,
        (case, hash, play): (&str, &str, &str),
        now: Timestamp,
    ) -> Result<Session, ConsoleError> {
        let session = self.session(store, token, now)?;
        if !same_secret(play, &Self::play_token(&session, case, hash)) {
            return Err(ConsoleError::Csrf);
        }
        Ok(session)
    }

    /// Ends a session.
    pub fn sign_out<S: DeskStore + ?Sized>(
        &self,
        store: &S,
        token: &str,
        session: &Session,
        source: &str,
        now: Timestamp,
    ) -> Result<(), ConsoleError> {
        store.drop_desk_session(&token_hash(token))?;
        store.add_desk_log(&line(
            DeskLogKind::SignIn,
            &session.account.login,
            "退出登录",
            true,
            source,
            now,
        ))?;
        Ok(())
    }

    /// Records what a signed-in person did (the operation log).
    fn record<S: DeskStore + ?Sized>(
        &self,
        store: &S,
        session: &Session,
        what: &str,
        source: &str,
        now: Timestamp,
    ) -> Result<(), ConsoleError> {
        store.add_desk_log(&line(
            DeskLogKind::Operation,
            &session.account.login,
            what,
            true,
            source,
            now,
        ))?;
        Ok(())
    }

    /// Records an act already signed onto the log (the operation log): a line that cannot be
    /// written is reported, not returned, so the person is not told to sign again what is signed.
    fn recorded<S: DeskStore + ?Sized>(
        &self,
        store: &S,
        session: &Session,
        what: &str,
        source: &str,
        now: Timestamp,
    ) {
        let by = &session.account.login;
        logged_after(
            store,
            &line(DeskLogKind::Operation, by, what, true, source, now),
        );
    }

    /// The latest lines of a log, for the roles that read them (the reading is logged too,
    /// as every console act is: `source` is where the request came from).
    pub fn logs<S: DeskStore + ?Sized>(
        &self,
        store: &S,
        session: &Session,
        (kind, limit): (DeskLogKind, u32),
        source: &str,
        now: Timestamp,
    ) -> Result<Vec<LogLine>, ConsoleError> {
        if !session.account.role.reads_logs() {
            return Err(ConsoleError::Forbidden);
        }
        let lines = store.desk_log(kind, limit.clamp(1, 1000))?;
        let what = match kind {
            DeskLogKind::SignIn => "查看登录日志",
            DeskLogKind::Operation => "查看操作日志",
        };
        self.record(store, session, what, source, now)?;
        Ok(lines
            .into_iter()
            .map(|r| LogLine {
                at: r.at,
                login: r.login,
                what: r.what,
                ok: r.ok,
                source: r.source,
            })
            .collect())
    }

    /// The administration acts the log holds for a day (`YYYYMMDD`, Beijing time; today when
    /// none), each read back with its sheet checked against its entry, for the roles that
    /// read the logs.
    pub fn admin_acts<S: Storage>(
        &self,
        station: &Service<S>,
        session: &Session,
        day: Option<&str>,
        source: &str,
        now: Timestamp,
    ) -> Result<Vec<AdminActItem>, ConsoleError> {
        if !session.account.role.reads_logs() {
            return Err(ConsoleError::Forbidden);
        }
        let id = match day.map(str::trim).filter(|d| !d.is_empty()) {
            None => qc_domain::admin::log_id(now),
            Some(d) => format!("{}{d}", qc_domain::admin::ADMIN_PREFIX),
        };
        if !qc_domain::admin::is_admin_id(&id) {
            return Err(ConsoleError::bad(
                "日期应为 8 位数字，如 20261202",
                "The date is 8 digits, such as 20261202",
            ));
        }
        let acts = station.admin_acts(&id)?;
        self.record(
            station.storage(),
            session,
            &format!("查看管理操作记录（{id}）"),
            source,
            now,
        )?;
        Ok(acts
            .into_iter()
            .map(|(entry, act)| AdminActItem {
                at: act.at.0,
                by: act.by,
                kind: act.kind.zh(),
                subject: act.subject,
                detail: act.detail,
                entry: hex::encode(entry.hash()),
            })
            .collect())
    }

    /// The enrolled devices, for the roles that see them.
    pub fn devices<S: Storage>(
        &self,
        station: &Service<S>,
        session: &Session,
        source: &str,
        now: Timestamp,
    ) -> Result<DeviceList, ConsoleError> {
        if !session.account.role.sees_devices() {
            return Err(ConsoleError::Forbidden);
        }
        let store = station.storage();
        let mut devices = device_items(station)?;
        bureau::taken_by(station, &mut devices);
        self.record(store, session, "查看设备", source, now)?;
        Ok(DeviceList {
            devices,
            may_manage: session.account.role == DeskRole::Administrator,
        })
    }

    /// Revokes a lost device and the keys made on it (the administrator's act, signed onto the
    /// log with their password typed again).
    pub fn revoke_device<S: Storage>(
        &self,
        station: &Service<S>,
        session: &Session,
        (device, reason, password): (&str, &str, &str),
        source: &str,
        now: Timestamp,
    ) -> Result<Revoked, ConsoleError> {
        if device.starts_with(qc_server::service::DESK_PREFIX) {
            // A desk's device goes with its account: disabling the account revokes its keys.
            return Err(ConsoleError::bad(
                "控制台账号的设备不能在此吊销，请在账号页停用该账号",
                "A console account's device is not revoked here: disable the account on the \
                 Accounts page",
            ));
        }
        let (crl, added) = self.administer(station, (session, source), password, now, || {
            let revoked = station.revoke_device(device, reason, now)?;
            let act = AdminAct {
                kind: AdminKind::DeviceRevoked,
                subject: device.to_owned(),
                detail: reason.trim().to_owned(),
                by: session.account.login.clone(),
                at: now,
            };
            Ok((revoked, act))
        })?;
        let number = crl
            .decode_unverified()
            .map_err(|e| StorageError::Damaged(format!("the list just signed: {e}")))?
            .number;
        self.recorded(
            station.storage(),
            session,
            &format!(
                "吊销设备 {device}（{}），第 {number} 号吊销清单",
                reason.trim()
            ),
            source,
            now,
        );
        Ok(Revoked {
            number,
            revoked: added as u64,
        })
    }

    /// A one-time code to enrol a new tablet of `squad` (the administrator's act, signed onto
    /// the log with their password typed again; the code itself is not in the act).
    pub fn enrolment_code<S: Storage>(
        &self,
        station: &Service<S>,
        session: &Session,
        (squad, password): (&str, &str),
        source: &str,
        now: Timestamp,
    ) -> Result<EnrolmentCode, ConsoleError> {
        let squad = squad.trim();
        if session.account.role == DeskRole::Administrator && squad.is_empty() {
            return Err(ConsoleError::bad("请填写中队", "Enter the squad"));
        }
        let code = self.administer(station, (session, source), password, now, || {
            let grant = qc_station_storage::Grant::Device {
                squad: squad.to_owned(),
            };
            let code = station.issue_enrolment_code(&grant, self.random(), now)?;
            let act = AdminAct {
                kind: AdminKind::EnrolmentCodeIssued,
                subject: squad.to_owned(),
                detail: String::new(),
                by: session.account.login.clone(),
                at: now,
            };
            Ok((code, act))
        })?;
        let qr_svg = qc_document::qr::svg_of(&code).ok_or_else(|| {
            ConsoleError::bad(
                "登记码无法生成二维码",
                "No QR code could be made of the enrolment code",
            )
        })?;
        self.recorded(
            station.storage(),
            session,
            &format!("生成{squad}的设备登记码"),
            source,
            now,
        );
        Ok(EnrolmentCode {
            code,
            squad: squad.to_owned(),
            expires_at: now.0 + qc_server::service::CODE_VALID_MS,
            qr_svg,
        })
    }

    /// The dashboard of the cases the person sees over `period`.
    pub fn dashboard<S: Storage>(
        &self,
        station: &Service<S>,
        session: &Session,
        period: Period,
        source: &str,
        now: Timestamp,
    ) -> Result<Dashboard, ConsoleError> {
        let store = station.storage();
        let view = session.account.view();
        let f = store.case_figures(&view, period, now, due_soon_ms())?;
        self.record(store, session, "查看统计", source, now)?;
        let keyed = |v: Vec<qc_station_storage::rows::Count>, status: bool| -> Vec<Keyed> {
            v.into_iter()
                .map(|c| Keyed {
                    label: if status { status_zh(&c.key) } else { c.label },
                    key: c.key,
                    count: c.count,
                })
                .collect()
        };
        // Officers by name, as the bureau's certificates name them (an id the station does not
        // know, as it is).
        let name = |id: &str| {
            station
                .bureau_person(id)
                .map_or_else(|_| id.to_owned(), |p| p.name)
        };
        let deadlines = |v: Vec<qc_station_storage::rows::DeadlineCount>, people: bool| {
            v.into_iter()
                .map(|d| DeadlineFigure {
                    label: if people { name(&d.key) } else { d.key.clone() },
                    key: d.key,
                    overdue: d.overdue,
                    due_soon: d.due_soon,
                })
                .collect()
        };
        Ok(Dashboard {
            period: PeriodShown {
                from: period.from,
                to: period.to,
            },
            total: f.total,
            by_status: keyed(f.by_status, true),
            by_domain: keyed(f.by_domain, false),
            by_squad: keyed(f.by_squad, false),
            by_grid: keyed(f.by_grid, false),
            deadlines_by_squad: deadlines(f.deadlines_by_squad, false),
            deadlines_by_officer: deadlines(f.deadlines_by_person, true),
            ratio721: f
                .ratio721
                .into_iter()
                .map(|r| RatioFigure {
                    squad: r.squad,
                    service: r.service,
                    management: r.management,
                    enforcement: r.enforcement,
                })
                .collect(),
            scope: session.account.view_zh(),
            sync_health: sync_health(
                device_items(station)?,
                &station.pending_uploads_seen(&view)?,
                &view,
                now,
            ),
        })
    }

    /// A page of the cases the person sees that match `query` (at most 200 a page).
    pub fn cases<S: Storage + ?Sized>(
        &self,
        store: &S,
        session: &Session,
        mut query: CaseQuery,
        source: &str,
        now: Timestamp,
    ) -> Result<CaseList, ConsoleError> {
        query.limit = query.limit.clamp(1, 200);
        let page = store.case_page(&session.account.view(), &query, now)?;
        let what = match query
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            Some(text) => format!("查询案件：{text}"),
            None => "查看案件列表".to_owned(),
        };
        self.record(store, session, &what, source, now)?;
        Ok(CaseList {
            total: page.total,
            cases: page
                .rows
                .into_iter()
                .map(|(r, overdue)| CaseItem {
                    status_label: status_zh(&r.status),
                    id: r.id,
                    squad: r.squad,
                    status: r.status,
                    domain: r.domain,
                    domain_name: r.domain_name,
                    violation_name: r.violation_name,
                    address: r.address,
                    parties: r.parties,
                    summary: r.summary,
                    grid: r.grid,
                    registered_at: r.registered_at,
                    updated_at: r.updated_at,
                    overdue,
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests;
