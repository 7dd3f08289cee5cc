//! 权责清单与文书固定用语 at the desk: what every tablet uses now, a city's edited file
//! previewed as the changes it makes, and imported by the administrator as a signed act; the
//! tablets take it at their next sync.

use qc_document::wording::{self, Wording};
use qc_domain::Timestamp;
use qc_domain::admin::{AdminAct, AdminKind};
use qc_domain::catalogue::{self, Catalogue, Change, ChangeKind};
use qc_server::Service;
use qc_server::service::bureau::{Bureau, BureauKind};
use qc_station_storage::Storage;
use serde::Serialize;
use sha2::{Digest as _, Sha256};

use crate::{Console, ConsoleError, DeskRole, Said, Session};

/// Most bytes of a file imported (the built-in catalogue is some tens of KiB).
pub const FILE_MAX_BYTES: usize = 4 * 1024 * 1024;

/// A domain of the catalogue in force, for the page's table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DomainItem {
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// How many violation types it lists.
    pub violations: usize,
}

/// Who imported a file in force and when (none: the built-in file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    /// SHA-256 of the text, hex.
    pub digest: String,
    /// When imported (ms).
    pub imported_at: Option<i64>,
    /// The desk account that imported it.
    pub imported_by: Option<String>,
    /// The text itself, to download, edit and import again.
    pub text: String,
    /// Why the file kept is not used (its kind falls back to the built-in file), if so.
    pub problem: Option<String>,
}

/// The catalogue in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CatalogueInForce {
    /// Its version.
    pub version: u32,
    /// Its note.
    pub note: String,
    /// Its domains.
    pub domains: Vec<DomainItem>,
    /// Where it comes from.
    #[serde(flatten)]
    pub source: Source,
}

/// The documents' wording in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WordingInForce {
    /// The bureau's name it prints.
    pub bureau_name: String,
    /// Where it comes from.
    #[serde(flatten)]
    pub source: Source,
}

/// Both files in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BureauFilesView {
    /// 权责清单.
    pub catalogue: CatalogueInForce,
    /// 文书固定用语.
    pub wording: WordingInForce,
}

/// One line of a preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeItem {
    /// The change.
    #[serde(flatten)]
    pub change: Change,
    /// Its kind in Chinese.
    pub change_label: &'static str,
}

/// What importing a file would change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Preview {
    /// `catalogue` or `wording`.
    pub kind: &'static str,
    /// The file in force, in words (第 3 版).
    pub from: String,
    /// The new file, in words.
    pub to: String,
    /// SHA-256 of the file in force, hex: the import replaces only that one.
    pub replacing: String,
    /// SHA-256 of the new file, hex.
    pub digest: String,
    /// Each change (none: the same as the one in force).
    pub changes: Vec<ChangeItem>,
}

/// A file imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Imported {
    /// SHA-256 of the file now in force, hex.
    pub digest: String,
    /// The act as logged, in Chinese.
    pub summary: String,
}

/// A file in force: its text and where it comes from.
fn in_force(bureau: &Bureau, kind: BureauKind) -> Source {
    let problem = bureau.damage(kind).map(|why| {
        format!(
            "已存的{}不可用（{why}），现按内置文件执行，请重新导入",
            kind.zh()
        )
    });
    match bureau.row(kind) {
        Some(row) => Source {
            digest: hex::encode(row.digest),
            imported_at: Some(row.at.0),
            imported_by: Some(row.by.clone()),
            text: row.text.clone(),
            problem,
        },
        None => {
            let text = builtin(kind);
            Source {
                digest: digest_hex(text),
                imported_at: None,
                imported_by: None,
                text: text.to_owned(),
                problem,
            }
        }
    }
}

/// The file shipped with the app.
fn builtin(kind: BureauKind) -> &'static str {
    match kind {
        BureauKind::Catalogue => catalogue::BUILTIN_JSON,
        BureauKind::Wording => wording::BUILTIN,
    }
}

/// What an import of `kind` replaces, hex: the file kept (whole or not), else the built-in one.
fn replacing(bureau: &Bureau, kind: BureauKind) -> String {
    bureau
        .kept_digest(kind)
        .map_or_else(|| digest_hex(builtin(kind)), hex::encode)
}

/// The wording in force: the one kept if it reads, else the built-in one.
fn wording_in_force(bureau: &Bureau) -> Wording {
    bureau
        .row(BureauKind::Wording)
        .and_then(|r| Wording::parse(&r.text).ok())
        .unwrap_or_else(Wording::builtin)
}

/// The kind of file as the pages name it, in both languages.
fn kind_said(kind: BureauKind) -> Said {
    let en = match kind {
        BureauKind::Catalogue => "powers catalogue",
        BureauKind::Wording => "document wording",
    };
    Said::new(kind.zh(), en)
}

/// A file checked against the one in force: what it changes and how the page words both.
struct Checked {
    from: String,
    to: String,
    /// What the act names: the catalogue's version, the bureau the wording prints.
    subject: String,
    changes: Vec<Change>,
}

/// Checks a city's file of `kind` as it would replace the one in force: it parses, a
/// catalogue keeps every violation type some case is about and raises the version.
fn check<S: Storage>(
    station: &Service<S>,
    bureau: &Bureau,
    kind: BureauKind,
    text: &str,
) -> Result<Checked, ConsoleError> {
    if text.len() > FILE_MAX_BYTES {
        let mib = FILE_MAX_BYTES / 1024 / 1024;
        return Err(ConsoleError::bad(
            format!("文件超过 {mib} MiB"),
            format!("The file is over {mib} MiB"),
        ));
    }
    match kind {
        BureauKind::Catalogue => {
            let new =
                Catalogue::from_json(text).map_err(|e| ConsoleError::bad(e.zh(), e.to_string()))?;
            let old = &bureau.catalogue;
            let changes = old.changes(&new);
            // A tablet may hold cases of a type the station has not seen yet: a type once
            // listed stays listed (renamed or changed, never removed).
            let removed: Vec<&Change> = changes
                .iter()
                .filter(|c| c.change == ChangeKind::Removed && c.item.contains('.'))
                .collect();
            if !removed.is_empty() {
                let zh: Vec<String> = removed
                    .iter()
                    .map(|c| format!("{}（{}）", c.name, c.item))
                    .collect();
                let en: Vec<String> = removed
                    .iter()
                    .map(|c| format!("{} ({})", c.name, c.item))
                    .collect();
                return Err(ConsoleError::bad(
                    format!(
                        "违法行为类型只能新增或修改，不能删除（平板上可能有尚未同步的案件使用）：{}",
                        zh.join("、")
                    ),
                    format!(
                        "Violation types may be added or changed, never removed (a tablet may \
                         hold cases of them not synced yet): {}",
                        en.join(", ")
                    ),
                ));
            }
            let mut dropped: Vec<String> = station
                .storage()
                .violations_in_use()?
                .into_iter()
                .filter(|code| new.violation(code).is_none())
                .collect();
            if !dropped.is_empty() {
                dropped.sort();
                return Err(ConsoleError::bad(
                    format!(
                        "以下违法行为类型仍有案件使用，不能删除：{}",
                        dropped.join("、")
                    ),
                    format!(
                        "These violation types are used by cases and cannot be removed: {}",
                        dropped.join(", ")
                    ),
                ));
            }
            if !changes.is_empty() && new.version <= old.version {
                return Err(ConsoleError::bad(
                    format!(
                        "新权责清单的版本号（第 {} 版）应高于现行的第 {} 版",
                        new.version, old.version
                    ),
                    format!(
                        "The new powers catalogue's version ({}) must be higher than the \
                         version in force ({})",
                        new.version, old.version
                    ),
                ));
            }
            Ok(Checked {
                from: format!("第 {} 版", old.version),
                to: format!("第 {} 版", new.version),
                subject: format!("第 {} 版", new.version),
                changes,
            })
        }
        BureauKind::Wording => {
            let new = Wording::parse(text).map_err(|e| ConsoleError::bad(e.zh(), e.to_string()))?;
            Ok(Checked {
                from: if bureau.row(kind).is_some() {
                    "现行文件".into()
                } else {
                    "内置文件".into()
                },
                to: "新文件".into(),
                subject: new.bureau.clone(),
                changes: wording_in_force(bureau).changes(&new),
            })
        }
    }
}

/// Says on each tablet of `devices` in service whether it holds the files imported at the
/// station, as it said at its last sync: `权责清单已取用；文书固定用语待同步`. Best effort: the
/// page (where a lost tablet is revoked) is shown without it when it cannot be read.
pub(crate) fn taken_by<S: Storage>(station: &Service<S>, devices: &mut [crate::DeviceItem]) {
    let read = || -> Result<_, ConsoleError> {
        Ok((station.bureau()?, station.storage().devices_bureau()?))
    };
    let (bureau, told) = match read() {
        Ok(both) => both,
        Err(e) => {
            tracing::warn!(error = %e, "the tablets' bureau files not shown");
            return;
        }
    };
    let told: std::collections::BTreeMap<String, qc_station_storage::DeviceBureau> =
        told.into_iter().collect();
    for d in devices.iter_mut().filter(|d| !d.desk && !d.revoked) {
        let said = told.get(&d.id);
        let states: Vec<FileState> = BureauKind::ALL
            .into_iter()
            .filter_map(|kind| bureau.row(kind).map(|r| (kind, r)))
            .map(|(kind, row)| {
                let release = row.release.digest();
                let state = match said {
                    Some(t) if t.taken.contains(&row.digest) => Taken::Taken,
                    Some(t) if t.refused.contains(&release) => Taken::Refused,
                    _ => Taken::Waiting,
                };
                FileState {
                    kind: kind.code(),
                    state,
                    label: format!("{}{}", kind.zh(), state.zh()),
                }
            })
            .collect();
        d.bureau = (!states.is_empty()).then_some(states);
    }
}

/// Where a tablet stands with one of the bureau's files in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileState {
    /// `catalogue` or `wording`.
    pub kind: &'static str,
    /// Taken, refused, or not yet.
    pub state: Taken,
    /// The two in Chinese (`权责清单已取用`).
    pub label: String,
}

/// Whether a tablet took a file, as it said at its last sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Taken {
    /// 已取用 — it holds it.
    Taken,
    /// 已拒收 — it refused it (why is in its sync report).
    Refused,
    /// 待同步 — it has not said yet.
    Waiting,
}

impl Taken {
    /// In Chinese.
    pub fn zh(self) -> &'static str {
        match self {
            Taken::Taken => "已取用",
            Taken::Refused => "已拒收（见平板同步结果）",
            Taken::Waiting => "待同步",
        }
    }
}

/// `新增 1 项，删除 0 项，修改 2 项`.
fn counted(changes: &[Change]) -> String {
    let n = |k: ChangeKind| changes.iter().filter(|c| c.change == k).count();
    format!(
        "新增 {} 项，删除 {} 项，修改 {} 项",
        n(ChangeKind::Added),
        n(ChangeKind::Removed),
        n(ChangeKind::Changed)
    )
}

fn digest_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

impl Console {
    /// The catalogue and the wording every tablet uses now (the head, supervision, the
    /// administrator).
    pub fn bureau_files<S: Storage>(
        &self,
        station: &Service<S>,
        session: &Session,
        source: &str,
        now: Timestamp,
    ) -> Result<BureauFilesView, ConsoleError> {
        if !session.account.role.sees_devices() {
            return Err(ConsoleError::Forbidden);
        }
        let bureau = station.bureau()?;
        let wording_name = wording_in_force(&bureau).bureau;
        let c = &bureau.catalogue;
        let view = BureauFilesView {
            catalogue: CatalogueInForce {
                version: c.version,
                note: c.note.clone(),
                domains: c
                    .domains
                    .iter()
                    .map(|d| DomainItem {
                        code: d.code.clone(),
                        name: d.name.clone(),
                        violations: d.violations.len(),
                    })
                    .collect(),
                source: in_force(&bureau, BureauKind::Catalogue),
            },
            wording: WordingInForce {
                bureau_name: wording_name,
                source: in_force(&bureau, BureauKind::Wording),
            },
        };
        self.record(
            station.storage(),
            session,
            "查看权责清单与文书固定用语",
            source,
            now,
        )?;
        Ok(view)
    }

    /// What importing `text` as the bureau's file of `kind` would change (the administrator).
    pub fn preview_bureau_file<S: Storage>(
        &self,
        station: &Service<S>,
        session: &Session,
        (kind, text): (BureauKind, &str),
        source: &str,
        now: Timestamp,
    ) -> Result<Preview, ConsoleError> {
        if session.account.role != DeskRole::Administrator {
            return Err(ConsoleError::Forbidden);
        }
        let bureau = station.bureau()?;
        let checked = check(station, &bureau, kind, text)?;
        self.record(
            station.storage(),
            session,
            &format!("预览导入{}（{}）", kind.zh(), counted(&checked.changes)),
            source,
            now,
        )?;
        Ok(Preview {
            kind: kind.code(),
            from: checked.from,
            to: checked.to,
            replacing: replacing(&bureau, kind),
            digest: digest_hex(text),
            changes: checked
                .changes
                .into_iter()
                .map(|change| ChangeItem {
                    change_label: change.change.zh(),
                    change,
                })
                .collect(),
        })
    }

    /// Imports `text` as the bureau's file of `kind` in place of the one of digest
    /// `replacing` (the one previewed against): the administrator's act is signed onto the
    /// log first (their password typed again), then the file is put in force under the
    /// bureau's release naming that act, so no tablet takes a file whose import is not on
    /// the log. The tablets take it at their next sync.
    pub fn import_bureau_file<S: Storage>(
        &self,
        station: &Service<S>,
        session: &Session,
        (kind, text, replacing, password): (BureauKind, &str, &str, &str),
        source: &str,
        now: Timestamp,
    ) -> Result<Imported, ConsoleError> {
        let admin = self.administrator(station, session, password, now)?;
        let bureau = station.bureau()?;
        let checked = check(station, &bureau, kind, text)?;
        if self::replacing(&bureau, kind) != replacing.trim() {
            return Err(ConsoleError::Stale(kind_said(kind)));
        }
        if checked.changes.is_empty() {
            return Err(ConsoleError::bad(
                format!("与现行{}相同，无需导入", kind.zh()),
                format!(
                    "Same as the {} in force; nothing to import",
                    kind_said(kind).en
                ),
            ));
        }
        let by = session.account.login.as_str();
        let act = AdminAct {
            kind: match kind {
                BureauKind::Catalogue => AdminKind::CatalogueReplaced,
                BureauKind::Wording => AdminKind::WordingReplaced,
            },
            subject: checked.subject,
            detail: format!(
                "SHA-256 {}；{}",
                digest_hex(text),
                counted(&checked.changes)
            ),
            by: by.to_owned(),
            at: now,
        };
        let entry = admin.log(station, &act, source, now)?;
        let kept = bureau.kept_digest(kind);
        if !station.replace_bureau_file((kind, text), kept.as_ref(), (by, now), entry)? {
            // Another import came between the check and now: this one's act is on the log,
            // its file is not in force (the releases name the act of each file in force).
            let said = format!("{}（已记入日志，但他人已先更新，未生效）", act.zh());
            self.recorded(station.storage(), session, &said, source, now);
            return Err(ConsoleError::Stale(kind_said(kind)));
        }
        let summary = act.zh();
        self.recorded(station.storage(), session, &summary, source, now);
        Ok(Imported {
            digest: digest_hex(text),
            summary,
        })
    }
}
