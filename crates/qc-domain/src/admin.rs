//! 管理操作 — what the administrator changes at the bureau's desk about who may do what: a desk
//! account opened or reset, a lost tablet revoked, a new tablet's enrolment code issued, the
//! catalogue or the documents' wording every tablet uses replaced. Each is
//! signed onto the log like any act (its record a small JSON sheet), so an auditor finds every
//! change of access in the same tamper-evident record as the cases.

use serde::{Deserialize, Serialize};

use crate::{Role, SignersRequired, Timestamp};

/// How the id every administration entry names begins (`admin-YYYYMMDD`, the day in Beijing
/// time), where other entries name a case.
pub const ADMIN_PREFIX: &str = "admin-";

/// Who signs an administration act: the administrator (管理员).
pub const ADMINISTRATORS: SignersRequired = SignersRequired {
    roles: &[Role::Administrator],
    officers: 0,
};

/// What kind of change an administration act made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdminKind {
    /// 新建控制台账号 — a desk account opened, for its holder to activate.
    AccountOpened,
    /// 重置控制台账号 — a desk account reset: its password and authenticator void, its desk
    /// keys revoked.
    AccountReset,
    /// 停用控制台账号 — a desk account disabled (its holder left): nobody signs in with it
    /// until it is reset, its sessions end and its desk keys are revoked.
    AccountDisabled,
    /// 解除账号锁定 — a desk account locked by wrong attempts opened again.
    AccountUnlocked,
    /// 吊销设备 — a lost tablet revoked with the keys made on it.
    DeviceRevoked,
    /// 签发设备注册码 — a one-time code that enrols a new tablet.
    EnrolmentCodeIssued,
    /// 更新权责清单 — the catalogue every tablet uses replaced (the new file's SHA-256 in
    /// the detail).
    CatalogueReplaced,
    /// 更新文书固定用语 — the wording printed on the bureau's documents replaced (the new
    /// file's SHA-256 in the detail).
    WordingReplaced,
}

impl AdminKind {
    /// In Chinese.
    pub fn zh(self) -> &'static str {
        match self {
            AdminKind::AccountOpened => "新建控制台账号",
            AdminKind::AccountReset => "重置控制台账号",
            AdminKind::AccountDisabled => "停用控制台账号",
            AdminKind::AccountUnlocked => "解除账号锁定",
            AdminKind::DeviceRevoked => "吊销设备",
            AdminKind::EnrolmentCodeIssued => "签发设备注册码",
            AdminKind::CatalogueReplaced => "更新权责清单",
            AdminKind::WordingReplaced => "更新文书固定用语",
        }
    }
}

/// An administration act as signed: what changed, of what, and why or how, by whom, when.
/// Never a secret: an enrolment or activation code is not in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminAct {
    /// The kind of change.
    pub kind: AdminKind,
    /// What it changed: a desk account's login, a device's id, a squad for a code, a new
    /// catalogue's version, the bureau's name a new wording prints.
    pub subject: String,
    /// The rest, in Chinese (the role and squads of an account, a revocation's reason).
    pub detail: String,
    /// The desk account that did it.
    pub by: String,
    /// When.
    pub at: Timestamp,
}

impl AdminAct {
    /// The id the act's entry names: its day's.
    pub fn log_id(&self) -> String {
        log_id(self.at)
    }

    /// The sheet the entry names: its JSON.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_else(|e| unreachable!("an act serializes: {e}"))
    }

    /// How the operation log and the console say it.
    pub fn zh(&self) -> String {
        if self.detail.is_empty() {
            format!("{} {}", self.kind.zh(), self.subject)
        } else {
            format!("{} {}（{}）", self.kind.zh(), self.subject, self.detail)
        }
    }
}

/// The id the administration acts of the day of `at` name (`admin-YYYYMMDD`, Beijing time).
pub fn log_id(at: Timestamp) -> String {
    let d = at.china_date();
    format!(
        "{ADMIN_PREFIX}{:04}{:02}{:02}",
        d.year(),
        u8::from(d.month()),
        d.day()
    )
}

/// Whether `id` is an administration entry's (`admin-` and eight digits).
pub fn is_admin_id(id: &str) -> bool {
    id.strip_prefix(ADMIN_PREFIX)
        .is_some_and(|day| day.len() == 8 && day.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_act_names_its_day_and_reads_back() {
        // 2026-12-01 23:30 UTC is 12-02 07:30 in Beijing.
        let act = AdminAct {
            kind: AdminKind::DeviceRevoked,
            subject: "tab-01".into(),
            detail: "平板丢失".into(),
            by: "wu".into(),
            at: Timestamp(1_796_167_800_000),
        };
        assert_eq!(act.log_id(), "admin-20261202");
        assert!(is_admin_id(&act.log_id()));
        for id in [
            "admin-",
            "admin-2026120",
            "admin-2026120x",
            "draw-20261202",
            "C-1",
        ] {
            assert!(!is_admin_id(id), "{id}");
        }
        let back: AdminAct = serde_json::from_slice(&act.to_json()).unwrap();
        assert_eq!(back, act);
        assert_eq!(act.zh(), "吊销设备 tab-01（平板丢失）");
    }
}
