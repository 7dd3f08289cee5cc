//! `quancheng serve`, `quancheng admin enroll` and `quancheng sync`: the base station run from
//! a bureau's data directory, and a device syncing with it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;

use qc_api::station::{Station, SyncStage};
use qc_api::{Quancheng, SystemClock};
use qc_server::http::{
    AppState, UPKEEP_EVERY, fingerprint, router, self_signed, serve_tls, upkeep,
};
use qc_server::{Service, Storage};
use qc_station_pg::{Evidence, LocalEvidence, ObjectEvidence, S3Config};

use crate::output;

/// The station's TLS certificate and key, made on first use for `names`.
fn tls_files(dir: &Path, names: &[String]) -> anyhow::Result<(String, String)> {
    let (cert_path, key_path) = (dir.join("tls-cert.pem"), dir.join("tls-key.pem"));
    if !cert_path.exists() {
        let (cert, key) = self_signed(names).map_err(anyhow::Error::msg)?;
        write_private(&key_path, key.as_bytes())?;
        std::fs::write(&cert_path, cert)?;
    }
    Ok((
        std::fs::read_to_string(&cert_path)?,
        std::fs::read_to_string(&key_path)?,
    ))
}

fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(path)?.write_all(bytes)?;
    Ok(())
}

/// `quancheng serve`'s settings: flags, else the config file's, else the embedded defaults.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8443].
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Further host names for the certificate (the station's name on the network).
    #[arg(long)]
    name: Vec<String>,
    #[command(flatten)]
    store: StoreArgs,
}

/// Where the station run from this directory keeps its state, for `serve` and the
/// administrator's commands that reach into it.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct StoreArgs {
    /// Where the station keeps its log and state: `sqlite` (the default: a file in this
    /// directory) or a PostgreSQL URL (`postgres://user@host/db`) that several station
    /// processes share.
    #[arg(long, env = "QUANCHENG_DATABASE", hide_env_values = true)]
    database: Option<String>,
    /// Connections to PostgreSQL per process, and requests at work at once (the rest wait
    /// their turn) [default: 16].
    #[arg(long)]
    pool_size: Option<u32>,
    /// Where evidence files are kept, when not in object storage [default: `blobs/` in this
    /// directory's station folder].
    #[arg(long)]
    evidence_dir: Option<PathBuf>,
    /// Evidence files in this S3 bucket (with PostgreSQL: every process shares it); the keys
    /// come from QUANCHENG_S3_ACCESS_KEY and QUANCHENG_S3_SECRET_KEY.
    #[arg(long, env = "QUANCHENG_S3_BUCKET")]
    s3_bucket: Option<String>,
    /// The S3 endpoint (`https://…`; `http://` only on a private network).
    #[arg(long, env = "QUANCHENG_S3_ENDPOINT")]
    s3_endpoint: Option<String>,
    /// The S3 region to sign for [default: us-east-1].
    #[arg(long, env = "QUANCHENG_S3_REGION")]
    s3_region: Option<String>,
    /// A TOML file with any of the station's settings (`listen`, `names`, `database`,
    /// `pool_size`, `evidence_dir`, `s3_bucket`, `s3_endpoint`, `s3_region`); a flag given
    /// wins over it.
    #[arg(long)]
    config: Option<PathBuf>,
}

/// The settings a config file may hold, each optional.
#[derive(serde::Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct ServeFile {
    listen: Option<SocketAddr>,
    #[serde(default)]
    names: Vec<String>,
    database: Option<String>,
    pool_size: Option<u32>,
    evidence_dir: Option<PathBuf>,
    s3_bucket: Option<String>,
    s3_endpoint: Option<String>,
    s3_region: Option<String>,
}

/// Where the station keeps evidence files.
#[derive(Debug, PartialEq, Eq)]
enum EvidenceAt {
    /// A local directory (the default: `blobs/` in the station folder).
    Dir(Option<PathBuf>),
    /// An S3 bucket.
    S3 {
        endpoint: String,
        bucket: String,
        region: String,
    },
}

/// Where the station keeps its state.
#[derive(Debug, PartialEq, Eq)]
enum Database {
    /// The embedded file in the bureau directory.
    Sqlite,
    /// A PostgreSQL server, by URL.
    Postgres(String),
}

/// Settings resolved once: flags over the file over the defaults.
#[derive(Debug)]
struct ServeConfig {
    listen: SocketAddr,
    names: Vec<String>,
    database: Database,
    pool_size: u32,
    evidence: EvidenceAt,
}

impl StoreArgs {
    fn file(&self) -> anyhow::Result<ServeFile> {
        let Some(path) = &self.config else {
            return Ok(ServeFile::default());
        };
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        toml::from_str(&text)
            .with_context(|| format!("{} is not a valid station config", path.display()))
    }
}

impl ServeArgs {
    fn resolve(&self) -> anyhow::Result<ServeConfig> {
        let file = self.store.file()?;
        let database = match self.store.database.as_deref().or(file.database.as_deref()) {
            None | Some("sqlite") => Database::Sqlite,
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Database::Postgres(url.to_owned())
            }
            // Only the scheme: the rest may hold a password.
            Some(other) => anyhow::bail!(
                "--database must be `sqlite` or a postgres:// URL, not {:?}",
                other.split(':').next().unwrap_or_default()
            ),
        };
        let mut names = file.names;
        names.extend(self.name.iter().cloned());
        Ok(ServeConfig {
            listen: self
                .listen
                .or(file.listen)
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8443))),
            names,
            database,
            pool_size: self.store.pool_size.or(file.pool_size).unwrap_or(16),
            evidence: match (
                self.store.s3_bucket.clone().or(file.s3_bucket),
                self.store.s3_endpoint.clone().or(file.s3_endpoint),
            ) {
                (Some(bucket), Some(endpoint)) => EvidenceAt::S3 {
                    endpoint,
                    bucket,
                    region: self
                        .store
                        .s3_region
                        .clone()
                        .or(file.s3_region)
                        .unwrap_or_else(|| "us-east-1".into()),
                },
                (None, None) => {
                    EvidenceAt::Dir(self.store.evidence_dir.clone().or(file.evidence_dir))
                }
                _ => anyhow::bail!("evidence in S3 needs both s3_bucket and s3_endpoint"),
            },
        })
    }
}

/// The station run from this directory on the store its settings name.
fn open_station(
    app: &mut Quancheng,
    config: &ServeConfig,
) -> anyhow::Result<Service<Box<dyn Storage>>> {
    // The station's certificate lives there whatever keeps its state.
    let dir = app.station_dir();
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let storage: Box<dyn Storage> = match &config.database {
        Database::Sqlite => Box::new(app.station_storage()?),
        Database::Postgres(url) => {
            let key = app.station_blob_key()?;
            let evidence: Box<dyn Evidence> = match &config.evidence {
                EvidenceAt::Dir(dir) => Box::new(LocalEvidence::open(
                    dir.clone()
                        .unwrap_or_else(|| app.station_dir().join("blobs")),
                    key,
                )?),
                EvidenceAt::S3 {
                    endpoint,
                    bucket,
                    region,
                } => {
                    let secret = |name: &str| {
                        std::env::var(name).with_context(|| format!("{name} is not set"))
                    };
                    if endpoint.starts_with("http://") {
                        tracing::warn!(endpoint, "evidence store over plain HTTP");
                    }
                    Box::new(ObjectEvidence::s3(
                        &S3Config {
                            endpoint: endpoint.clone(),
                            bucket: bucket.clone(),
                            region: region.clone(),
                            access_key: secret("QUANCHENG_S3_ACCESS_KEY")?,
                            secret_key: secret("QUANCHENG_S3_SECRET_KEY")?,
                            allow_http: endpoint.starts_with("http://"),
                            retry_timeout: None,
                        },
                        key,
                    )?)
                }
            };
            Box::new(
                qc_station_pg::PgStorage::open_with(url, config.pool_size, evidence)
                    .map_err(qc_server::ServiceError::from)?,
            )
        }
    };
    Ok(app.station_service_on(storage)?)
}

/// A console refusal as the command line says it: Chinese, then the English.
pub fn console_said(e: qc_console::ConsoleError) -> anyhow::Error {
    anyhow::anyhow!("{} ({e})", e.message_zh())
}

/// The station run from this directory, on `store`, for an act at its command line.
pub fn station_on(
    app: &mut Quancheng,
    store: &StoreArgs,
) -> anyhow::Result<Service<Box<dyn Storage>>> {
    open_station(app, &admin_config(store)?)
}

/// [`station_on`] for a command that only reads the station: where no station ever ran (no
/// database named, no embedded store here) it is refused rather than made, empty.
pub fn existing_station_on(
    app: &mut Quancheng,
    store: &StoreArgs,
) -> anyhow::Result<Service<Box<dyn Storage>>> {
    let config = admin_config(store)?;
    if config.database == Database::Sqlite && !app.has_embedded_station() {
        anyhow::bail!(
            "这里没有基站数据：请在运行 quancheng serve 的目录中执行，或用 --database 指明基站的数据库 (no station has run from {}: run this where `quancheng serve` runs, or name its --database)",
            app.station_dir().display()
        );
    }
    open_station(app, &config)
}

/// The settings of the station an administrator's command reaches into.
fn admin_config(store: &StoreArgs) -> anyhow::Result<ServeConfig> {
    ServeArgs {
        listen: None,
        name: Vec::new(),
        store: store.clone(),
    }
    .resolve()
}

/// `quancheng admin enroll`: an enrolment code issued at the station on `store`.
pub fn issue_enrolment_code(
    app: &mut Quancheng,
    store: &StoreArgs,
    grant: &qc_server::storage::Grant,
    admin: &qc_api::Unlocked,
) -> anyhow::Result<String> {
    let service = open_station(app, &admin_config(store)?)?;
    Ok(app.issue_enrolment_code_on(&service, grant, admin)?)
}

/// `quancheng admin revoke`: a person (and the keys made for them on tablets) or a device
/// revoked here and at the station on `store`, which puts the list in force at once.
pub fn revoke(
    app: &mut Quancheng,
    store: &StoreArgs,
    whose: Revoked<'_>,
    reason: &str,
    admin: &qc_api::Unlocked,
) -> anyhow::Result<()> {
    let config = admin_config(store)?;
    // An embedded station never started has no devices, and the list reaches it at start.
    let station = if config.database == Database::Sqlite && !app.has_embedded_station() {
        None
    } else {
        Some(open_station(app, &config)?)
    };
    match whose {
        Revoked::Person(person) => app.revoke_on(station.as_ref(), person, reason, admin)?,
        Revoked::Device(device) => {
            let station = station.with_context(|| {
                format!("no station runs from this directory, so no device {device} is enrolled")
            })?;
            app.revoke_device_on(&station, device, reason, admin)?;
        }
    }
    Ok(())
}

/// A desk account made at the command line.
pub enum DeskMade {
    /// With the password given: its authenticator to enrol.
    Enrolled(qc_console::Enrolled),
    /// For its holder to activate.
    Invited(qc_console::Invited),
}

/// `quancheng admin desk`: a desk account for the console, made at the station on `store`,
/// with `password` or (none) for its holder to activate.
pub fn add_desk_account(
    app: &mut Quancheng,
    store: &StoreArgs,
    (mut new, person): (qc_console::NewAccount, Option<&str>),
    password: Option<&str>,
    admin: &qc_api::Unlocked,
) -> anyhow::Result<DeskMade> {
    app.require_admin(admin, "make desk accounts")?;
    let service = open_station(app, &admin_config(store)?)?;
    if let Some(id) = person {
        new.person = Some(
            service
                .bureau_person(id)
                .map_err(|e| anyhow::anyhow!("本局没有人员 {id} ({e})"))?,
        );
    }
    let console = qc_console::Console::new(Default::default(), qc_console::os_random());
    let by = (admin.person().id.0.as_str(), "命令行");
    let now = qc_domain::Clock::now(&SystemClock);
    let store = service.storage();
    match password {
        Some(password) => console
            .add_account(store, new, password, by, now)
            .map(DeskMade::Enrolled),
        None => console
            .invite_account(store, new, by, now)
            .map(DeskMade::Invited),
    }
    .map_err(console_said)
}

/// What `admin desk-reset`, `desk-disable` and `desk-unlock` do to a desk account.
pub enum DeskAct {
    /// A new activation for its holder.
    Reset,
    /// Nobody signs in with it until it is reset.
    Disable,
    /// Its lock lifted.
    Unlock,
}

/// What was done to a desk account.
pub enum DeskActDone {
    /// Reset: the code its holder activates it with again.
    Reset(qc_console::ActivationCode),
    /// Disabled: how many of its desk keys were revoked.
    Disabled(usize),
    /// Unlocked.
    Unlocked,
}

/// `quancheng admin desk-reset|desk-disable|desk-unlock`: `act` done to the desk account
/// `login` at the station on `store` (the operation log says by whom, from the command line).
pub fn act_on_desk_account(
    app: &mut Quancheng,
    store: &StoreArgs,
    (login, act): (&str, DeskAct),
    admin: &qc_api::Unlocked,
) -> anyhow::Result<DeskActDone> {
    app.require_admin(admin, "manage desk accounts")?;
    let service = open_station(app, &admin_config(store)?)?;
    let console = qc_console::Console::new(Default::default(), qc_console::os_random());
    let by = (admin.person().id.0.as_str(), "命令行");
    let now = qc_domain::Clock::now(&SystemClock);
    match act {
        DeskAct::Reset => console
            .reset(&service, login, by, now)
            .map(DeskActDone::Reset),
        DeskAct::Disable => console
            .disable(&service, login, by, now)
            .map(DeskActDone::Disabled),
        DeskAct::Unlock => console
            .unlock(&service, login, by, now)
            .map(|()| DeskActDone::Unlocked),
    }
    .map_err(console_said)
}

/// Whose certificates `admin revoke` revokes.
pub enum Revoked<'a> {
    /// A person's, by id.
    Person(&'a str),
    /// A device's, by id.
    Device(&'a str),
}

/// `quancheng serve`: runs until Ctrl-C or SIGTERM; in-flight requests finish first.
pub fn serve(mut app: Quancheng, args: &ServeArgs) -> anyhow::Result<()> {
    let config = args.resolve()?;
    let service = open_station(&mut app, &config)?;
    run(app, service, &config)
}

/// Serves `service` as `config` says.
fn run<S: Storage>(
    mut app: Quancheng,
    service: Service<S>,
    config: &ServeConfig,
) -> anyhow::Result<()> {
    let (listen, names) = (config.listen, &config.names);
    service.finish_interrupted()?;
    let log_key = hex::encode(service.log_key());
    let mut all_names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    all_names.push(listen.ip().to_string());
    all_names.extend(names.iter().cloned());
    all_names.dedup();
    let (cert, key) = tls_files(&app.station_dir(), &all_names)?;
    let size = service.log_size()?;
    // As many requests at work as the store has connections.
    let state = Arc::new(AppState::new(
        service,
        Arc::new(SystemClock),
        config.pool_size as usize,
    ));
    let runtime = tokio::runtime::Runtime::new()?;
    let desk = Arc::new(qc_console::http::Desk {
        station: state.clone(),
        console: qc_console::Console::new(Default::default(), qc_console::os_random()),
    });
    let routes = router(state.clone()).merge(qc_console::http::router(desk));
    runtime.spawn(upkeep(state.clone(), UPKEEP_EVERY));
    let served = runtime.block_on(async move {
        let (running, task) = serve_tls(routes, listen, cert.clone(), key)
            .await
            .map_err(anyhow::Error::msg)?;
        let url = format!("https://{}", running.addr);
        // This directory's own device syncs with its own station without further setup.
        app.set_station(&Station {
            url: url.clone(),
            cert_pem: cert.clone(),
            log_key: log_key.clone(),
        })?;
        drop(app);
        println!("基站已启动：{url}");
        println!(
            "证书指纹（SHA-256）：{}",
            fingerprint(&cert).map_err(anyhow::Error::msg)?
        );
        output::log_key(&log_key)?;
        println!("日志现有 {size} 条记录。按 Ctrl-C 停止。");
        tracing::info!(%url, "base station listening");
        stopped().await;
        running
            .handle
            .graceful_shutdown(Some(std::time::Duration::from_secs(30)));
        task.await??;
        println!("基站已停止");
        anyhow::Ok(())
    });
    // The store goes last, outside the runtime: PostgreSQL's blocking client and the object
    // store's own runtime cannot be closed on a thread that drives async tasks (it aborts).
    drop(runtime);
    drop(state);
    served
}

async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// `quancheng sync`.
pub fn sync(app: &mut Quancheng, server: Option<&Station>, as_json: bool) -> anyhow::Result<()> {
    if let Some(s) = server {
        app.set_station(s)?;
    }
    let show = !as_json && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let synced = app.sync_with(&mut |p| {
        if show && p.stage == SyncStage::Evidence {
            eprint!(
                "\r上传证据 {}/{} 个文件，{:.1}/{:.1} MB",
                p.items_done,
                p.items_total,
                p.bytes_done as f64 / 1e6,
                p.bytes_total as f64 / 1e6
            );
        }
    });
    if show {
        eprintln!();
    }
    let r = match synced {
        Ok(r) => r,
        Err(e @ qc_api::ApiError::EntriesRefused { .. }) => {
            for c in app.refused_cases()? {
                let next = if c.case.is_empty() {
                    "  本机无法搁置，请联系管理员".to_owned()
                } else if c.can_set_aside {
                    format!(
                        "  搁置后其余记录方可上传：quancheng set-aside --case {} --officer <执法人员>",
                        c.case
                    )
                } else {
                    "  系上传途中出错，下次同步将重新上传；如仍被拒收，请联系管理员".to_owned()
                };
                eprintln!(
                    "基站拒收本机关于 {} {} 的 {} 条记录：{}\n{next}",
                    c.case,
                    c.address,
                    c.entries,
                    c.reasons.join("；"),
                );
            }
            return Err(e.into());
        }
        Err(e) => return Err(e.into()),
    };
    let log_key = app.station()?.map(|s| s.log_key).unwrap_or_default();
    if as_json {
        let mut report = serde_json::to_value(&r)?;
        report["log_key"] = log_key.into();
        println!("{report}");
        return Ok(());
    }
    output::log_key(&log_key)?;
    if let Some(said) = &r.bureau {
        output::done(said, false)?;
    }
    output::done(
        &format!(
            "同步完成：上传 {} 条记录，收到并核验 {} 份回执；案件文档上传 {} 件、接收 {} 件；证据文件上传 {} 个（{:.1} MB）；基站日志共 {} 条；双随机抽查任务 {} 项",
            r.sent,
            r.receipts,
            r.docs_sent,
            r.docs_received,
            r.blobs_sent,
            r.blob_bytes as f64 / 1e6,
            r.log_size,
            r.tasks
        ),
        false,
    )
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }

    fn resolve(args: &[&str]) -> anyhow::Result<ServeConfig> {
        Cli::try_parse_from(std::iter::once("serve").chain(args.iter().copied()))?
            .serve
            .resolve()
    }

    #[test]
    fn flags_win_over_the_file_which_wins_over_the_defaults() {
        let defaults = resolve(&[]).unwrap();
        assert_eq!(defaults.database, Database::Sqlite);
        assert_eq!(defaults.listen.to_string(), "127.0.0.1:8443");
        assert_eq!(defaults.pool_size, 16);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("station.toml");
        std::fs::write(
            &file,
            "listen = \"0.0.0.0:9443\"\nnames = [\"station-a\"]\n\
             database = \"postgres://quancheng@db/quancheng\"\npool_size = 32\n",
        )
        .unwrap();
        let config = file.to_str().unwrap();
        let from_file = resolve(&["--config", config]).unwrap();
        assert_eq!(from_file.listen.to_string(), "0.0.0.0:9443");
        assert_eq!(
            from_file.database,
            Database::Postgres("postgres://quancheng@db/quancheng".into())
        );
        assert_eq!(from_file.pool_size, 32);
        let flags = resolve(&[
            "--config",
            config,
            "--listen",
            "127.0.0.1:1",
            "--database",
            "sqlite",
            "--name",
            "b",
        ])
        .unwrap();
        assert_eq!(flags.listen.to_string(), "127.0.0.1:1");
        assert_eq!(flags.database, Database::Sqlite);
        assert_eq!(flags.names, ["station-a", "b"]);
    }

    /// The example deployment's files stay what `serve` reads.
    #[test]
    fn the_deployment_examples_are_valid_configs() {
        for name in ["station-a.toml", "station-b.toml"] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../deploy")
                .join(name);
            let config = resolve(&["--config", path.to_str().unwrap()]).unwrap();
            assert!(!config.names.is_empty(), "{name}");
            assert_ne!(config.listen.port(), 0, "{name}");
        }
    }

    #[test]
    fn a_wrong_setting_is_refused_without_showing_a_password() {
        let e = resolve(&["--database", "mysql://root:secret@db"]).unwrap_err();
        assert!(!format!("{e:#}").contains("secret"), "{e:#}");
        assert!(
            resolve(&["--s3-bucket", "evidence"]).is_err(),
            "a bucket needs its endpoint"
        );
        let s3 = resolve(&[
            "--s3-bucket",
            "evidence",
            "--s3-endpoint",
            "https://s3.internal",
        ])
        .unwrap();
        assert_eq!(
            s3.evidence,
            EvidenceAt::S3 {
                endpoint: "https://s3.internal".into(),
                bucket: "evidence".into(),
                region: "us-east-1".into(),
            }
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("station.toml");
        std::fs::write(&file, "databse = \"sqlite\"\n").unwrap();
        let e = resolve(&["--config", file.to_str().unwrap()]).unwrap_err();
        assert!(format!("{e:#}").contains("databse"), "{e:#}");
    }
}
