//! `quancheng desk`: the acts of the bureau's desks (局端) made at the station's command line
//! as a console account, for scripts: 案卷评查, 双随机 (plan, draw, report), the catalogue and
//! the documents' wording for every tablet, and the administrator's acts (accounts, a lost
//! tablet revoked, an enrolment code), each signed onto the log as at the console. The same facade as the console, so the same rules,
//! signatures and logs.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use qc_console::draw::{PlanForm, ReportForm};
use qc_console::{AccountForm, Console, ConsoleError, ResetForm, ReviewSheet, Session};
use qc_domain::Timestamp;
use qc_server::service::bureau::BureauKind;
use qc_server::{Service, Storage};

use crate::station::{self, StoreArgs};

/// Where the operation log says a command-line act came from.
const SOURCE: &str = "命令行";

/// Where the acting account's password, which signs the act, comes from: the environment only,
/// never an argument (which `ps` and the shell's history would show).
const PASSWORD_VAR: &str = "QUANCHENG_DESK_PASSWORD";

/// The console account acting (its password in [`PASSWORD_VAR`]).
#[derive(Debug, clap::Args)]
pub struct DeskAccount {
    /// The console account's sign-in name.
    #[arg(long)]
    login: String,
    #[command(flatten)]
    store: StoreArgs,
}

/// The desks' acts.
#[derive(Debug, Subcommand)]
pub enum DeskCommand {
    /// 案卷评查: score a closed case's file against the checklist, signed (the legal
    /// department or the head). The sheet is JSON: `{"items": [{"key": …, "score": …,
    /// "comment": …}, …], "comment": …}`, every checklist line in order (authority, facts,
    /// evidence, law, procedure, documents, filing), a comment where points are taken off.
    Review {
        /// The case.
        #[arg(long)]
        case: String,
        /// The scored sheet (JSON).
        #[arg(long)]
        sheet: PathBuf,
        #[command(flatten)]
        desk: DeskAccount,
    },
    /// 双随机: plan a random inspection, signed by the head: the register of targets (CSV,
    /// UTF-8 or GBK, with 编号 and 名称 columns), how many to draw, the inspectors.
    Plan {
        /// What is inspected.
        #[arg(long)]
        title: String,
        /// How many targets to draw.
        #[arg(long)]
        count: u32,
        /// The register (CSV).
        #[arg(long)]
        register: PathBuf,
        /// An eligible inspector's person id (repeat; at least two).
        #[arg(long = "inspector", required = true)]
        inspectors: Vec<String>,
        /// Sign even when lines of the register were left out (each is said on stderr);
        /// without it such a register is refused, as a plan cannot be changed once signed.
        #[arg(long)]
        skip_bad_lines: bool,
        #[command(flatten)]
        desk: DeskAccount,
    },
    /// 双随机: draw a planned inspection, signed by the head, once the log holds an entry
    /// after its plan.
    Draw {
        /// The draw's id.
        #[arg(long)]
        draw: String,
        #[command(flatten)]
        desk: DeskAccount,
    },
    /// 检查结果: what the inspection of a drawn target found, signed (the head, or the leader
    /// of an inspector's squad).
    Report {
        #[command(flatten)]
        found: Found,
        #[command(flatten)]
        desk: DeskAccount,
    },
    /// 权责清单与文书固定用语: import a city's edited catalogue (JSON, the shape of
    /// `quancheng catalogue --json`) or wording (TOML, the shape of `quancheng document
    /// wording`) for every tablet, signed by the administrator; prints what it changes (with
    /// --preview only that). Tablets take it at their next sync.
    Bureau {
        /// `catalogue` or `wording`.
        #[arg(long)]
        kind: String,
        /// The file.
        #[arg(long)]
        file: PathBuf,
        /// Only say what it would change.
        #[arg(long)]
        preview: bool,
        #[command(flatten)]
        desk: DeskAccount,
    },
    /// 新建控制台账号: open a desk account for its holder to activate (prints the one-time
    /// code to hand over), signed onto the log by the administrator.
    Account {
        /// The new account's sign-in name.
        #[arg(long = "new")]
        new: String,
        /// The holder's name (a bureau person's account bears theirs).
        #[arg(long, default_value = "")]
        name: String,
        /// head, legal_reviewer, squad_leader, supervision or administrator.
        #[arg(long)]
        role: String,
        /// A squad leader's squad (repeat for several).
        #[arg(long = "squad")]
        squads: Vec<String>,
        /// The bureau's person the account is (required for head and squad_leader).
        #[arg(long)]
        person: Option<String>,
        #[command(flatten)]
        desk: DeskAccount,
    },
    /// 重置 / 停用 / 解锁 a desk account, signed onto the log by the administrator: a reset
    /// prints the code its holder activates it with again.
    AccountState {
        /// The account's sign-in name.
        #[arg(long)]
        account: String,
        /// reset, disable or unlock.
        #[arg(long)]
        to: String,
        #[command(flatten)]
        desk: DeskAccount,
    },
    /// 吊销设备: revoke a lost tablet and the keys made on it, signed onto the log by the
    /// administrator.
    RevokeDevice {
        /// The device's id.
        #[arg(long)]
        device: String,
        /// Why.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        desk: DeskAccount,
    },
    /// 签发设备注册码: a one-time code that enrols a new tablet of a squad, signed onto the
    /// log by the administrator.
    EnrolmentCode {
        /// The squad.
        #[arg(long)]
        squad: String,
        #[command(flatten)]
        desk: DeskAccount,
    },
}

impl DeskCommand {
    fn desk(&self) -> &DeskAccount {
        match self {
            DeskCommand::Review { desk, .. }
            | DeskCommand::Plan { desk, .. }
            | DeskCommand::Draw { desk, .. }
            | DeskCommand::Report { desk, .. }
            | DeskCommand::Bureau { desk, .. }
            | DeskCommand::Account { desk, .. }
            | DeskCommand::AccountState { desk, .. }
            | DeskCommand::RevokeDevice { desk, .. }
            | DeskCommand::EnrolmentCode { desk, .. } => desk,
        }
    }
}

/// Runs `cmd` at the station of `app`; what it made, as JSON.
pub fn run(app: &mut qc_api::Quancheng, cmd: &DeskCommand) -> anyhow::Result<Made> {
    let desk = cmd.desk();
    let service = station::station_on(app, &desk.store)?;
    let console = Console::new(Default::default(), qc_console::os_random());
    let now = qc_domain::Clock::now(&qc_api::SystemClock);
    let password = std::env::var(PASSWORD_VAR).with_context(|| {
        format!("请在环境变量 {PASSWORD_VAR} 中给出控制台账号的密码 (set {PASSWORD_VAR})")
    })?;
    let session = console
        .local_session(service.storage(), &desk.login, &password, now)
        .map_err(station::console_said)?;
    let acting = (&service, &session, password.as_str());
    act(&console, acting, cmd, now).map_err(|e| match e.downcast::<ConsoleError>() {
        Ok(e) => station::console_said(e),
        Err(e) => e,
    })
}

fn act<S: Storage>(
    console: &Console,
    (station, session, password): (&Service<S>, &Session, &str),
    cmd: &DeskCommand,
    now: Timestamp,
) -> anyhow::Result<Made> {
    Ok(Made::Act(match cmd {
        DeskCommand::Review { case, sheet, .. } => {
            let sheet: ReviewSheet = read_json(sheet)?;
            let review = console.review(station, session, (case, sheet, password), SOURCE, now)?;
            serde_json::to_value(review)?
        }
        DeskCommand::Plan {
            title,
            count,
            register,
            inspectors,
            skip_bad_lines,
            ..
        } => {
            let bytes = std::fs::read(register)
                .with_context(|| format!("无法读取 {} (cannot read)", register.display()))?;
            let preview = console.preview_register(session, &bytes)?;
            for problem in &preview.problems {
                eprintln!("{}：{problem}", register.display());
            }
            if !preview.problems.is_empty() && !skip_bad_lines {
                anyhow::bail!(
                    "名录有 {} 行未能读入，计划签名后不能修改；核对后重试，或加 --skip-bad-lines                      ({} lines of the register were left out)",
                    preview.problems.len(),
                    preview.problems.len()
                );
            }
            let targets = preview.targets;
            let form = PlanForm {
                title: title.clone(),
                count: *count,
                targets,
                inspectors: inspectors.clone(),
            };
            serde_json::to_value(console.plan_draw(
                station,
                session,
                (form, password),
                SOURCE,
                now,
            )?)?
        }
        DeskCommand::Draw { draw, .. } => serde_json::to_value(console.make_draw(
            station,
            session,
            (draw, password),
            SOURCE,
            now,
        )?)?,
        DeskCommand::Report { found, .. } => {
            let form = ReportForm {
                target: found.target.clone(),
                outcome: found.outcome()?,
                case: found.case.clone(),
                note: found.note.clone(),
            };
            let report = (found.draw.as_str(), form, password);
            serde_json::to_value(console.report_draw(station, session, report, SOURCE, now)?)?
        }
        DeskCommand::Bureau {
            kind,
            file,
            preview,
            ..
        } => {
            let kind = BureauKind::from_code(kind).with_context(|| {
                format!("没有 {kind} 这种文件：catalogue 或 wording (no such kind)")
            })?;
            let text = std::fs::read_to_string(file).with_context(|| {
                format!(
                    "无法以 UTF-8 读取 {} (cannot read as UTF-8)",
                    file.display()
                )
            })?;
            // As the console's page reads a file: a byte-order mark (Notepad's) is not text.
            let text = text.strip_prefix('\u{feff}').unwrap_or(&text).to_owned();
            let shown =
                console.preview_bureau_file(station, session, (kind, &text), SOURCE, now)?;
            if *preview {
                return Ok(Made::Act(serde_json::to_value(shown)?));
            }
            let file = (kind, text.as_str(), shown.replacing.as_str(), password);
            let imported = console.import_bureau_file(station, session, file, SOURCE, now)?;
            serde_json::json!({ "preview": shown, "imported": imported })
        }
        DeskCommand::Account {
            new,
            name,
            role,
            squads,
            person,
            ..
        } => {
            let form = AccountForm {
                login: new.clone(),
                name: name.clone(),
                role: role.clone(),
                squads: squads.clone(),
                person: person.clone(),
                confirm: password.to_owned(),
            };
            let code = console.make_account(station, session, form, SOURCE, now)?;
            return Ok(Made::Activation(code, "已新建控制台账号，待本人激活"));
        }
        DeskCommand::AccountState { account, to, .. } => {
            let form = || ResetForm {
                confirm: password.to_owned(),
            };
            let login = account.as_str();
            match to.as_str() {
                "reset" => {
                    let code =
                        console.reset_account(station, session, (login, form()), SOURCE, now)?;
                    return Ok(Made::Activation(code, "已重置控制台账号，待本人重新激活"));
                }
                "disable" => {
                    console.disable_account(station, session, (login, form()), SOURCE, now)?;
                    serde_json::json!({ "login": login, "disabled": true })
                }
                "unlock" => {
                    console.unlock_account(station, session, (login, form()), SOURCE, now)?;
                    serde_json::json!({ "login": login, "unlocked": true })
                }
                other => anyhow::bail!(
                    "没有 {other} 这种操作：reset、disable 或 unlock (no such change)"
                ),
            }
        }
        DeskCommand::RevokeDevice { device, reason, .. } => {
            let revoke = (device.as_str(), reason.as_str(), password);
            serde_json::to_value(console.revoke_device(station, session, revoke, SOURCE, now)?)?
        }
        DeskCommand::EnrolmentCode { squad, .. } => {
            let code = console.enrolment_code(station, session, (squad, password), SOURCE, now)?;
            return Ok(Made::Code(code));
        }
    }))
}

/// What a desk act made, as the command line says it.
pub enum Made {
    /// An act's answer, as the console gives it.
    Act(serde_json::Value),
    /// An account's activation code to hand over, and what was done.
    Activation(qc_console::ActivationCode, &'static str),
    /// A new tablet's enrolment code.
    Code(qc_console::EnrolmentCode),
}

/// What the inspection of a drawn target found, as the command line says it (at a desk or
/// on the tablet).
#[derive(Debug, clap::Args)]
pub struct Found {
    /// The draw's id.
    #[arg(long)]
    pub draw: String,
    /// The target's id.
    #[arg(long)]
    pub target: String,
    /// compliant, corrected, case_filed or not_found.
    #[arg(long)]
    outcome: String,
    /// The case filed for it, if any.
    #[arg(long, default_value = "")]
    pub case: String,
    /// What the inspectors noted.
    #[arg(long, default_value = "")]
    pub note: String,
}

impl Found {
    /// The outcome named (`compliant`, `corrected`, …).
    pub fn outcome(&self) -> anyhow::Result<qc_domain::draw::Outcome> {
        let name = &self.outcome;
        serde_json::from_value(serde_json::Value::String(name.clone()))
            .with_context(|| format!("没有 {name} 这种检查结果 (no such outcome)"))
    }
}

fn read_json<T: serde::de::DeserializeOwned>(path: &std::path::Path) -> anyhow::Result<T> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("无法读取 {} (cannot read)", path.display()))?;
    serde_json::from_slice(&bytes)
        .with_context(|| format!("{} 不是有效的 JSON (not valid JSON)", path.display()))
}
