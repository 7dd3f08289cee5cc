//! Argument parsing and the commands.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};
use qc_api::{DataDir, NewCase, OsEntropy, Quancheng, SystemClock, demo};
use qc_domain::{CaseSource, GeoPoint, Party, PartyKind};
use qc_server::storage::Grant;
use qc_store::{CaseFilter, DueFilter};

use crate::{acts, desk, documents, field, output, station};

/// 全程 Quancheng — whole-process records for urban-management enforcement.
#[derive(Debug, Parser)]
#[command(name = "quancheng", version, about)]
pub struct Args {
    /// Data directory (default: $QUANCHENG_DATA, else the user's data directory).
    #[arg(long, global = true, env = "QUANCHENG_DATA")]
    data_dir: Option<PathBuf>,
    /// Database key file (default: DATA_DIR/db.key).
    #[arg(long, global = true, env = "QUANCHENG_KEY_FILE")]
    key_file: Option<PathBuf>,
    /// Print JSON instead of tables.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a data directory: database key, encrypted database, bureau key, a demo squad and
    /// this device.
    Init,
    /// Fill the data directory with sample cases across the six domains (initialises it first
    /// if needed).
    Demo,
    /// Cases.
    #[command(subcommand)]
    Case(CaseCommand),
    /// The enforcement domains and violation types in force (权责清单).
    Catalogue {
        #[command(subcommand)]
        action: Option<CatalogueCommand>,
    },
    /// Export a case file (一案一档) as one bundle; the export is a signed act.
    Export {
        /// Case id or unique prefix.
        case: String,
        /// Where to write the bundle.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        who: Officer,
    },
    /// Check a case bundle offline; exit code 0 only when everything verifies. Reads only the
    /// bundle (no data directory). With --station, also asks that base station whether it
    /// logged anything about the case that the bundle lacks (then exit code 0 only if not).
    Verify {
        /// The bundle.
        file: PathBuf,
        /// The bureau public key to trust (hex). Without it the bundle's own key is used, which
        /// proves the bundle is consistent but not who issued it.
        #[arg(long)]
        bureau: Option<String>,
        /// The base station's log key to trust for the receipts (hex); without it the key the
        /// receipts name is used.
        #[arg(long)]
        log_key: Option<String>,
        /// A base station's address: is anything newer logged there for this case?
        #[arg(long, requires = "cert")]
        station: Option<String>,
        /// That station's TLS certificate (PEM), pinned.
        #[arg(long, requires = "station")]
        cert: Option<PathBuf>,
        /// Report language.
        #[arg(long, value_enum, default_value = "zh")]
        lang: Lang,
    },
    /// Field records (笔录): inspection records, questioning transcripts, preservation and
    /// sampling notices; signatures, sealing, corrections.
    #[command(subcommand)]
    Record(field::RecordCommand),
    /// Evidence (证据): capture files, co-sign, list.
    #[command(subcommand)]
    Evidence(field::EvidenceCommand),
    /// Workflow acts (立案 to 公开, 移送, 回避, 721), each signed by the people whose job it is;
    /// `case show` lists the acts that may come next.
    #[command(subcommand)]
    Act(acts::ActCommand),
    /// Documents (执法文书): list, issue, render, check a paper copy against a bundle, the
    /// printable case file, the bureau's wording.
    #[command(subcommand)]
    Document(documents::DocumentCommand),
    /// Run the base station (基站) from this bureau directory: HTTPS with a self-signed
    /// certificate devices pin; stops on Ctrl-C or SIGTERM after in-flight requests.
    Serve(station::ServeArgs),
    /// Sync with the base station: upload the entries it has not acknowledged, check its
    /// receipts and that its log still extends what this device saw.
    Sync {
        /// The station's address (first time, or when it changes; with --cert and --log-key).
        #[arg(long, requires_all = ["cert", "log_key"])]
        server: Option<String>,
        /// The station's TLS certificate (PEM), pinned.
        #[arg(long)]
        cert: Option<PathBuf>,
        /// The station's log key (hex).
        #[arg(long)]
        log_key: Option<String>,
    },
    /// 搁置: set aside this tablet's entries about a case that the station refused (a signer
    /// revoked while the tablet was offline, a case moved to another squad), so the rest goes
    /// up at the next sync. They stay whole on this tablet; the case goes back to what it was
    /// before them. `quancheng sync` lists what was refused.
    SetAside {
        /// The case (or draw) the refused entries are about.
        #[arg(long)]
        case: String,
        #[command(flatten)]
        who: Officer,
    },
    /// Enrol this tablet with a base station (a new data directory), or a person's key on it,
    /// with an administrator's one-time code.
    #[command(subcommand)]
    Enrol(EnrolCommand),
    /// Administration (管理员) by PIN on this bureau directory: enrolment codes, revoke
    /// credentials, the first desk accounts. These are not signed onto the log; once an
    /// administrator's desk account exists, `quancheng desk account|account-state|
    /// revoke-device|enrolment-code` signs a desk account's and a device's onto it.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// The bureau's desks (局端) at the station's command line, as a console account: 案卷评查,
    /// 双随机 (plan, draw, report), the catalogue and wording for every tablet, the
    /// administrator's acts, each signed onto the log like the console's.
    #[command(subcommand)]
    Desk(desk::DeskCommand),
    /// People enrolled on this device.
    People,
    /// 双随机抽查任务: the targets drawn for inspection by this device's people, as the last
    /// sync brought them.
    Tasks {
        #[command(subcommand)]
        report: Option<TasksCommand>,
    },
    /// This device: data directory, device id, the bureau key it trusts, counts.
    Info,
}

/// What is done with a 双随机 task.
#[derive(Debug, Subcommand)]
enum TasksCommand {
    /// 检查结果: what the inspection of a drawn target found, signed on this tablet by the two
    /// officers drawn for it (--officer and --second); sent up at the next sync, published
    /// with the draw.
    Report {
        #[command(flatten)]
        found: desk::Found,
        #[command(flatten)]
        who: field::Officers,
    },
}

/// Who is acting, proven by PIN.
#[derive(Debug, clap::Args)]
struct Officer {
    /// Acting person's id.
    #[arg(long)]
    officer: String,
    /// Their PIN (better: set QUANCHENG_PIN, which stays out of shell history).
    #[arg(long, env = "QUANCHENG_PIN", hide_env_values = true)]
    pin: String,
}

#[derive(Debug, Subcommand)]
enum CatalogueCommand {
    /// Replace the list with a city's edited JSON file (administrators).
    Import {
        /// The JSON file (same shape as `quancheng catalogue --json`).
        file: PathBuf,
        #[command(flatten)]
        who: Officer,
    },
}

#[derive(Debug, Subcommand)]
enum EnrolCommand {
    /// Enrol this tablet: makes the data directory and the device key, and receives the device
    /// certificate, the bureau key and the people's certificates.
    Device {
        /// The station's address (https://host:port).
        #[arg(long)]
        server: String,
        /// The station's TLS certificate (PEM), pinned from now on.
        #[arg(long)]
        cert: PathBuf,
        /// The administrator's one-time code.
        #[arg(long)]
        code: String,
        /// A name people recognise the tablet by.
        #[arg(long, default_value = "平板")]
        label: String,
    },
    /// Make a person's signing key on this tablet, certified by the station.
    Officer {
        /// The person's id.
        #[arg(long)]
        person: String,
        /// The administrator's one-time code for this person.
        #[arg(long)]
        code: String,
        /// The PIN that will unlock the key here (better: QUANCHENG_PIN).
        #[arg(long, env = "QUANCHENG_PIN", hide_env_values = true)]
        pin: String,
    },
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// A one-time code to enrol a new device of a squad, or a person's key on an enrolled
    /// device, with the base station run from this directory.
    Enroll {
        /// The squad a new device is for.
        #[arg(long, required_unless_present = "person", conflicts_with = "person")]
        squad: Option<String>,
        /// The person whose key is to be made on a device.
        #[arg(long)]
        person: Option<String>,
        #[command(flatten)]
        who: Officer,
        #[command(flatten)]
        store: station::StoreArgs,
    },
    /// A desk account for the bureau's web console: with --activation, prints the one-time
    /// code its holder activates it with (setting their own password and authenticator);
    /// otherwise the password is QUANCHENG_DESK_PASSWORD and the TOTP secret is printed.
    Desk {
        /// The sign-in name (letters, digits, `.`, `_`, `-`).
        #[arg(long)]
        login: String,
        /// The person's name.
        #[arg(long)]
        name: String,
        /// head, legal_reviewer, squad_leader, supervision or administrator.
        #[arg(long)]
        role: String,
        /// A squad leader's squad (repeat for several).
        #[arg(long)]
        squad: Vec<String>,
        /// The bureau's person the account is (their id; required for head and squad_leader):
        /// what they sign at the desk names them as their certificate does.
        #[arg(long)]
        person: Option<String>,
        /// The initial password (at least 10 characters), for an account made for oneself.
        #[arg(
            long,
            env = "QUANCHENG_DESK_PASSWORD",
            hide_env_values = true,
            required_unless_present = "activation"
        )]
        password: Option<String>,
        /// Make the account for its holder to activate (the administrator never knows the
        /// password): prints the activation code to hand over.
        #[arg(long)]
        activation: bool,
        #[command(flatten)]
        who: Officer,
        #[command(flatten)]
        store: station::StoreArgs,
    },
    /// Reset a desk account whose holder forgot the password or lost the authenticator: its
    /// sessions end, its desk signing keys are revoked, and it prints the code its holder
    /// activates it with again.
    DeskReset {
        /// The account's sign-in name.
        #[arg(long)]
        login: String,
        #[command(flatten)]
        who: Officer,
        #[command(flatten)]
        store: station::StoreArgs,
    },
    /// Disable a desk account (its holder left): nobody signs in with it until it is reset;
    /// its sessions end and its desk signing keys are revoked.
    DeskDisable {
        /// The account's sign-in name.
        #[arg(long)]
        login: String,
        #[command(flatten)]
        who: Officer,
        #[command(flatten)]
        store: station::StoreArgs,
    },
    /// Open a desk account locked by wrong attempts before its lock runs out.
    DeskUnlock {
        /// The account's sign-in name.
        #[arg(long)]
        login: String,
        #[command(flatten)]
        who: Officer,
        #[command(flatten)]
        store: station::StoreArgs,
    },
    /// List the evidence files an approved deletion (删除原件) removed from the station and no
    /// upload holds again, by SHA-256, one per line: a backup copy of the evidence removes
    /// them too (deploy/README.md §10). Reads only; no officer's PIN, so a backup job runs it.
    DeletedOriginals {
        #[command(flatten)]
        store: station::StoreArgs,
    },
    /// Revoke a person's certificate (left the bureau) or a device (lost tablet) from now on.
    Revoke {
        /// Person id.
        #[arg(required_unless_present = "device", conflicts_with = "device")]
        person: Option<String>,
        /// A device enrolled with the station run from this directory.
        #[arg(long)]
        device: Option<String>,
        /// Why.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        who: Officer,
        #[command(flatten)]
        store: station::StoreArgs,
    },
}

#[derive(Debug, Subcommand)]
enum CaseCommand {
    /// Register a new case (登记).
    New(Box<NewArgs>),
    /// List cases, newest activity first.
    List(ListArgs),
    /// Show one case with its timeline, deadlines and next steps (id or a unique prefix of it).
    Show {
        /// Case id or unique prefix.
        id: String,
    },
    /// The 721 ratio (服务 : 管理 : 执法) of a squad, or of all squads, over a period.
    Ratio {
        /// Squad (default: all squads).
        #[arg(long)]
        squad: Option<String>,
        /// First day, YYYY-MM-DD (default: the first day of the current month).
        #[arg(long, value_name = "YYYY-MM-DD")]
        from: Option<String>,
        /// Last day, YYYY-MM-DD (default: today), Beijing time.
        #[arg(long, value_name = "YYYY-MM-DD")]
        to: Option<String>,
    },
}

/// Language of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    /// 中文
    Zh,
    /// English
    En,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SourceArg {
    /// 自主发现
    SelfDiscovered,
    /// 投诉举报
    Complaint,
    /// 部门移送
    Referral,
    /// 上级交办
    Assigned,
    /// 数字城管
    Platform,
}

#[derive(Debug, clap::Args)]
struct NewArgs {
    /// The registering officer.
    #[command(flatten)]
    who: Officer,
    /// Violation type code (see `quancheng catalogue`).
    #[arg(long)]
    violation: String,
    /// Address.
    #[arg(long)]
    address: String,
    /// Grid unit (网格).
    #[arg(long)]
    grid: String,
    /// What was seen or reported.
    #[arg(long)]
    summary: String,
    /// GPS fix as LAT,LON.
    #[arg(long)]
    gps: Option<String>,
    /// Party name (repeatable).
    #[arg(long)]
    party: Vec<String>,
    /// The parties are businesses rather than persons.
    #[arg(long)]
    business: bool,
    /// Where the case came from.
    #[arg(long, value_enum, default_value = "self-discovered")]
    source: SourceArg,
    /// Complainant (with --source complaint).
    #[arg(long)]
    complainant: Option<String>,
    /// Complainant contact.
    #[arg(long, default_value = "")]
    contact: String,
    /// Came through the 12319 hotline.
    #[arg(long)]
    hotline: bool,
    /// Referring department, assigning authority or platform ticket.
    #[arg(long)]
    from: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum DueArg {
    /// 已逾期
    Overdue,
    /// 即将到期
    Soon,
    /// either
    Urgent,
}

#[derive(Debug, clap::Args)]
struct ListArgs {
    /// Only cases waiting on this role's act (squad_leader, legal_reviewer, head, …): a queue.
    #[arg(long)]
    waiting_on: Option<String>,
    /// Status code (registered, filed, investigating, ...).
    #[arg(long)]
    status: Option<String>,
    /// Domain code.
    #[arg(long)]
    domain: Option<String>,
    /// Grid unit.
    #[arg(long)]
    grid: Option<String>,
    /// Squad.
    #[arg(long)]
    squad: Option<String>,
    /// A person's own cases (registered or investigated by them), by person id.
    #[arg(long)]
    person: Option<String>,
    /// Text to search for.
    #[arg(long, short = 's')]
    search: Option<String>,
    /// Only cases with a deadline overdue or due soon.
    #[arg(long, value_enum)]
    due: Option<DueArg>,
    /// At most this many rows.
    #[arg(long, default_value_t = 200)]
    limit: u32,
}

fn data_dir(args: &Args) -> anyhow::Result<DataDir> {
    let root = match &args.data_dir {
        Some(d) => d.clone(),
        None => directories::ProjectDirs::from("cn", "quancheng", "quancheng")
            .map(|p| p.data_dir().to_owned())
            .context("no home directory; pass --data-dir")?,
    };
    let dir = DataDir::new(root);
    Ok(match &args.key_file {
        Some(k) => dir.with_key_file(k),
        None => dir,
    })
}

fn open(dir: &DataDir) -> Result<Quancheng, qc_api::ApiError> {
    Quancheng::open(dir, Arc::new(SystemClock), Box::new(OsEntropy))
}

/// Runs one command; returns whether it succeeded in full (a verification can run and fail).
pub fn run(args: Args) -> anyhow::Result<bool> {
    if let Command::Document(cmd) = &args.command {
        return documents::document(|| Ok(open(&data_dir(&args)?)?), cmd, args.json);
    }
    if let Command::Verify {
        file,
        bureau,
        log_key,
        station,
        cert,
        lang,
    } = &args.command
    {
        let station = match (station, cert) {
            (Some(url), Some(cert)) => Some((
                url.as_str(),
                std::fs::read_to_string(cert)
                    .with_context(|| format!("无法读取 {} (cannot read)", cert.display()))?,
            )),
            _ => None,
        };
        return verify(
            file,
            (
                public_key(bureau.as_deref(), "--bureau")?,
                public_key(log_key.as_deref(), "--log-key")?,
            ),
            station,
            *lang,
            args.json,
        );
    }
    run_on_data_dir(&args).map(|()| true)
}

fn run_on_data_dir(args: &Args) -> anyhow::Result<()> {
    let dir = data_dir(args)?;
    match &args.command {
        Command::Verify { .. } | Command::Document(_) => unreachable!("handled above"),
        Command::SetAside { case, who } => {
            let mut app = open(&dir)?;
            let by = app.unlock(&who.officer, &who.pin)?;
            let done = app.set_aside(case, &by)?;
            output::set_aside(&done, args.json)
        }
        Command::Export { case, out, who } => {
            let mut app = open(&dir)?;
            let by = app.unlock(&who.officer, &who.pin)?;
            let contents = app.export_case_file(case, &by, out)?;
            output::done(
                &format!(
                    "已导出案卷 {} 到 {}（{} 项目录，{} 条签名记录）",
                    contents.case,
                    out.display(),
                    contents.toc.len(),
                    contents.entries.len()
                ),
                args.json,
            )
        }
        Command::Init => {
            let report = Quancheng::init(
                &dir,
                &demo::demo_people(),
                Arc::new(SystemClock),
                Box::new(OsEntropy),
            )?;
            output::init(&dir, &report, args.json)
        }
        Command::Demo => {
            let init = if dir.is_initialised() {
                None
            } else {
                Some(Quancheng::init(
                    &dir,
                    &demo::demo_people(),
                    Arc::new(SystemClock),
                    Box::new(OsEntropy),
                )?)
            };
            let mut app = open(&dir)?;
            let report = demo::load(&mut app)?;
            output::demo(&dir, init.as_ref(), &report, args.json)
        }
        Command::Catalogue { action: None } => {
            let app = open(&dir)?;
            output::catalogue(app.catalogue(), args.json)
        }
        Command::Catalogue {
            action: Some(CatalogueCommand::Import { file, who }),
        } => {
            let json = std::fs::read_to_string(file)
                .with_context(|| format!("无法读取 {} (cannot read file)", file.display()))?;
            let mut app = open(&dir)?;
            let admin = app.unlock(&who.officer, &who.pin)?;
            let c = app.import_catalogue(&json, &admin)?;
            output::done(
                &format!(
                    "已更新权责清单（第 {} 版，{} 个领域）",
                    c.version,
                    c.domains.len()
                ),
                args.json,
            )
        }
        Command::Admin(AdminCommand::DeletedOriginals { store }) => {
            let mut app = open(&dir)?;
            let station = station::existing_station_on(&mut app, store)?;
            let deleted = station
                .storage()
                .deleted_blobs()
                .map_err(qc_server::ServiceError::from)?;
            output::deleted_originals(&deleted, args.json)
        }
        Command::Admin(AdminCommand::Revoke {
            person,
            device,
            reason,
            who,
            store,
        }) => {
            let mut app = open(&dir)?;
            let admin = app.unlock(&who.officer, &who.pin)?;
            let (revoked, whose) = match (person, device) {
                (_, Some(device)) => (station::Revoked::Device(device), format!("设备 {device}")),
                (Some(person), None) => (station::Revoked::Person(person), person.clone()),
                (None, None) => bail!("a person or --device is required"),
            };
            station::revoke(&mut app, store, revoked, reason, &admin)?;
            output::done(&format!("已吊销 {whose} 的证书"), args.json)
        }
        Command::Admin(AdminCommand::Desk {
            login,
            name,
            role,
            squad,
            person,
            password,
            activation,
            who,
            store,
        }) => {
            let mut app = open(&dir)?;
            let admin = app.unlock(&who.officer, &who.pin)?;
            let role = qc_console::DeskRole::from_code(role).with_context(|| {
                format!(
                    "没有角色 {role} (no such role; one of: {})",
                    qc_console::DeskRole::ALL.map(|r| r.code()).join(", ")
                )
            })?;
            let new = qc_console::NewAccount {
                login: login.clone(),
                name: name.clone(),
                role,
                squads: squad.clone(),
                person: None,
            };
            // With --activation clap leaves no password; without, it requires one.
            let first = password.as_deref().filter(|_| !activation);
            match station::add_desk_account(
                &mut app,
                store,
                (new, person.as_deref()),
                first,
                &admin,
            )? {
                station::DeskMade::Enrolled(made) => output::desk_account(&made, args.json),
                station::DeskMade::Invited(made) => {
                    output::activation(&made.activation, "已建立控制台账号，待本人激活", args.json)
                }
            }
        }
        Command::Admin(
            AdminCommand::DeskReset { login, who, store }
            | AdminCommand::DeskDisable { login, who, store }
            | AdminCommand::DeskUnlock { login, who, store },
        ) => {
            let mut app = open(&dir)?;
            let admin = app.unlock(&who.officer, &who.pin)?;
            let act = match &args.command {
                Command::Admin(AdminCommand::DeskReset { .. }) => station::DeskAct::Reset,
                Command::Admin(AdminCommand::DeskDisable { .. }) => station::DeskAct::Disable,
                _ => station::DeskAct::Unlock,
            };
            match station::act_on_desk_account(&mut app, store, (login, act), &admin)? {
                station::DeskActDone::Reset(code) => {
                    output::activation(&code, "已重置控制台账号，待本人重新激活", args.json)
                }
                station::DeskActDone::Disabled(revoked) => output::done(
                    &format!("已停用控制台账号 {login}（吊销其控制台签名证书 {revoked} 张）"),
                    args.json,
                ),
                station::DeskActDone::Unlocked => {
                    output::done(&format!("已解除控制台账号 {login} 的锁定"), args.json)
                }
            }
        }
        Command::Serve(args) => station::serve(open(&dir)?, args),
        Command::Desk(cmd) => match desk::run(&mut open(&dir)?, cmd)? {
            desk::Made::Act(made) => output::desk_act(&made, args.json),
            desk::Made::Activation(code, what) => output::activation(&code, what, args.json),
            desk::Made::Code(code) => output::signed_enrolment_code(&code, args.json),
        },
        Command::Sync {
            server,
            cert,
            log_key,
        } => {
            let mut app = open(&dir)?;
            let given = match (server, cert, log_key) {
                (Some(url), Some(cert), Some(key)) => Some(qc_api::station::Station {
                    url: url.clone(),
                    cert_pem: std::fs::read_to_string(cert)
                        .with_context(|| format!("无法读取 {} (cannot read)", cert.display()))?,
                    log_key: key.clone(),
                }),
                _ => None,
            };
            station::sync(&mut app, given.as_ref(), args.json)
        }
        Command::Admin(AdminCommand::Enroll {
            squad,
            person,
            who,
            store,
        }) => {
            let mut app = open(&dir)?;
            let admin = app.unlock(&who.officer, &who.pin)?;
            let grant = match (squad, person) {
                (Some(squad), _) => Grant::Device {
                    squad: squad.clone(),
                },
                (None, Some(person)) => Grant::Officer {
                    person: person.clone(),
                },
                (None, None) => bail!("--squad or --person is required"),
            };
            let code = station::issue_enrolment_code(&mut app, store, &grant, &admin)?;
            output::enrolment_code(&code, &grant, args.json)
        }
        Command::Enrol(EnrolCommand::Device {
            server,
            cert,
            code,
            label,
        }) => {
            let station = qc_api::station::Station {
                url: server.clone(),
                cert_pem: std::fs::read_to_string(cert)
                    .with_context(|| format!("无法读取 {} (cannot read)", cert.display()))?,
                log_key: String::new(),
            };
            let app = Quancheng::enrol_device(
                &dir,
                &station,
                code,
                label,
                Arc::new(SystemClock),
                Box::new(OsEntropy),
            )?;
            output::done(
                &format!(
                    "本机已在基站登记：设备 {}，数据目录 {}",
                    app.device_id(),
                    dir.root().display()
                ),
                args.json,
            )
        }
        Command::Enrol(EnrolCommand::Officer { person, code, pin }) => {
            let mut app = open(&dir)?;
            app.enrol_officer(person, code, pin)?;
            output::done(
                &format!("已在本机为 {person} 生成并登记签名密钥"),
                args.json,
            )
        }
        Command::Record(cmd) => field::record(&mut open(&dir)?, cmd, args.json),
        Command::Evidence(cmd) => field::evidence(&mut open(&dir)?, cmd, args.json),
        Command::Act(cmd) => acts::act(&mut open(&dir)?, cmd, args.json),
        Command::People => {
            let app = open(&dir)?;
            output::people(&app.people()?, args.json)
        }
        Command::Tasks { report: None } => {
            let app = open(&dir)?;
            output::tasks(
                &app.inspection_tasks()?,
                &app.inspection_reports()?,
                args.json,
            )
        }
        Command::Tasks {
            report: Some(TasksCommand::Report { found, who }),
        } => {
            let mut app = open(&dir)?;
            let outcome = found.outcome()?;
            let who = who.unlock(&mut app)?;
            let signers: Vec<&qc_api::Unlocked> = who.iter().collect();
            let said = (outcome, found.case.as_str(), found.note.as_str());
            let report = app.report_inspection((&found.draw, &found.target), said, &signers)?;
            output::done(
                &format!(
                    "已签名记录检查结果：{}（{}），下次同步时上报",
                    outcome.zh(),
                    report.target
                ),
                args.json,
            )
        }
        Command::Info => {
            let app = open(&dir)?;
            output::info(
                &output::Info {
                    data_dir: dir.root().display().to_string(),
                    device_id: app.device_id().into(),
                    bureau_key: app.bureau_public_hex(),
                    station_log_key: app.station()?.map(|s| s.log_key),
                    cases: app.case_count()?,
                    entries: app.ledger_len()?,
                },
                args.json,
            )
        }
        Command::Case(CaseCommand::New(n)) => {
            let mut app = open(&dir)?;
            let officer = app.unlock(&n.who.officer, &n.who.pin)?;
            let id = app.register_case(new_case(n)?, &officer)?;
            output::created("已登记案件", &id.0, args.json)
        }
        Command::Case(CaseCommand::List(l)) => {
            if let Some(role) = l.waiting_on.as_deref()
                && qc_domain::Role::from_code(role).is_none()
            {
                let known: Vec<&str> = qc_domain::Role::ALL.iter().map(|r| r.code()).collect();
                bail!(
                    "没有这个角色：{role}（可选：{}）(unknown role)",
                    known.join(", ")
                );
            }
            let app = open(&dir)?;
            let filter = CaseFilter {
                status: l.status.clone(),
                domain: l.domain.clone(),
                grid: l.grid.clone(),
                squad: l.squad.clone(),
                person: l.person.clone(),
                text: l.search.clone(),
                due: l.due.map(|d| match d {
                    DueArg::Overdue => DueFilter::Overdue,
                    DueArg::Soon => DueFilter::DueSoon,
                    DueArg::Urgent => DueFilter::Urgent,
                }),
                waiting_on: l.waiting_on.clone(),
                limit: Some(l.limit),
                offset: None,
            };
            let rows = app.list_cases(&filter)?;
            output::list(&rows, app.case_count()?, args.json)
        }
        Command::Case(CaseCommand::Show { id }) => {
            let app = open(&dir)?;
            output::show(&app.case_detail(id)?, args.json)
        }
        Command::Case(CaseCommand::Ratio { squad, from, to }) => {
            let app = open(&dir)?;
            let today = app.now().china_date();
            let to = to
                .as_deref()
                .map(acts::parse_date)
                .transpose()?
                .unwrap_or(today);
            let from = match from {
                Some(f) => acts::parse_date(f)?,
                None => to.replace_day(1).context("first day of the month")?,
            };
            if from > to {
                bail!("--from 不能晚于 --to (the period ends before it starts)");
            }
            let ratio = app.ratio_721(
                squad.as_deref(),
                acts::start_of_china_day(from),
                qc_domain::Timestamp::end_of_china_day(to),
            )?;
            output::ratio(squad.as_deref(), (from, to), &ratio, args.json)
        }
    }
}

/// A public key given on the command line (`--bureau`, `--log-key`): 32 bytes in hex.
pub(crate) fn public_key(hex_key: Option<&str>, what: &str) -> anyhow::Result<Option<[u8; 32]>> {
    hex_key
        .map(|b| {
            hex::decode(b.trim())
                .ok()
                .and_then(|v| <[u8; 32]>::try_from(v).ok())
                .with_context(|| format!("{what} 应为64位十六进制公钥 (expected 32 bytes of hex)"))
        })
        .transpose()
}

/// A case bundle read from a file (not yet verified).
pub(crate) fn read_bundle(
    file: &std::path::Path,
) -> anyhow::Result<(qc_bundle::Contents, qc_bundle::Integrity)> {
    let f = std::fs::File::open(file)
        .with_context(|| format!("无法打开 {} (cannot open)", file.display()))?;
    qc_bundle::read(std::io::BufReader::new(f))
        .map_err(|e| anyhow::anyhow!("{}\n(error: {e})", e.message_zh()))
}

fn verify(
    file: &std::path::Path,
    (trusted, trusted_log): (Option<[u8; 32]>, Option<[u8; 32]>),
    station: Option<(&str, String)>,
    lang: Lang,
    as_json: bool,
) -> anyhow::Result<bool> {
    let (contents, integrity) = read_bundle(file)?;
    let report = qc_bundle::verify(&contents, &integrity, trusted, trusted_log);
    let freshness = match station {
        Some((url, cert_pem)) => {
            let answer = qc_api::station::case_log(url, &cert_pem, &contents.case)?;
            let logged: Vec<_> = answer
                .entries
                .into_iter()
                .map(|r| (r.entry, r.receipt))
                .collect();
            Some(
                qc_bundle::check_freshness(&contents, &answer.checkpoint, &logged, trusted_log)
                    .map_err(|e| anyhow::anyhow!("{}\n(error: {e})", e.message_zh()))?,
            )
        }
        None => None,
    };
    output::verify_report(&report, freshness.as_ref(), lang, as_json)?;
    // Beside the offline verdict: every issued document rendered again from its data must give
    // the issued PDF's bytes (needs the pinned fonts; reported, not failed, without them).
    let reproduced = qc_api::documents::reproduce(&contents, &report);
    if !as_json {
        output::reproductions(&reproduced, lang == Lang::Zh)?;
    }
    let documents_hold = reproduced
        .as_ref()
        .map_or(true, |r| r.iter().all(|d| d.same));
    Ok(report.is_clean() && documents_hold && freshness.is_none_or(|f| f.is_current()))
}

fn new_case(n: &NewArgs) -> anyhow::Result<NewCase> {
    let from = || {
        n.from
            .clone()
            .filter(|f| !f.trim().is_empty())
            .context("--from is required for this --source")
    };
    let source = match n.source {
        SourceArg::SelfDiscovered => CaseSource::SelfDiscovered,
        SourceArg::Complaint => CaseSource::Complaint {
            complainant: n
                .complainant
                .clone()
                .context("--complainant is required with --source complaint")?,
            contact: n.contact.clone(),
            via_12319: n.hotline,
        },
        SourceArg::Referral => CaseSource::Referral {
            department: from()?,
        },
        SourceArg::Assigned => CaseSource::Assigned { authority: from()? },
        SourceArg::Platform => CaseSource::DigitalPlatform { ticket: from()? },
    };
    let gps = n.gps.as_deref().map(parse_gps).transpose()?;
    Ok(NewCase {
        source,
        violation: n.violation.clone(),
        address: n.address.clone(),
        grid: n.grid.clone(),
        gps,
        parties: n
            .party
            .iter()
            .map(|name| Party {
                kind: if n.business {
                    PartyKind::Business
                } else {
                    PartyKind::Person
                },
                name: name.clone(),
                id_number: None,
                phone: None,
            })
            .collect(),
        summary: n.summary.clone(),
    })
}

fn parse_gps(s: &str) -> anyhow::Result<GeoPoint> {
    let (lat, lon) = s
        .split_once(',')
        .context("GPS 格式应为 纬度,经度 (--gps LAT,LON)")?;
    let lat: f64 = lat.trim().parse().context("纬度不是数字 (latitude)")?;
    let lon: f64 = lon.trim().parse().context("经度不是数字 (longitude)")?;
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        bail!("GPS 坐标超出范围 (coordinates out of range)");
    }
    Ok(GeoPoint { lat, lon })
}
