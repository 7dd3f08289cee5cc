//! `quancheng serve`, `quancheng admin enroll` and `quancheng sync`: the base station run from
//! a bureau's data directory, and a device syncing with it.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use qc_api::station::{Station, SyncStage};
use qc_api::{Quancheng, SystemClock};
use qc_server::http::{AppState, fingerprint, router, self_signed, serve_tls};

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

/// `quancheng serve`: runs until Ctrl-C or SIGTERM; in-flight requests finish first.
pub fn serve(mut app: Quancheng, listen: SocketAddr, names: &[String]) -> anyhow::Result<()> {
    let service = app.station_service()?;
    service.finish_interrupted_uploads()?;
    let log_key = hex::encode(service.log_key());
    let mut all_names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    all_names.push(listen.ip().to_string());
    all_names.extend(names.iter().cloned());
    all_names.dedup();
    let (cert, key) = tls_files(&app.station_dir(), &all_names)?;
    let size = service.log_size()?;
    let state = Arc::new(AppState {
        service,
        clock: Arc::new(SystemClock),
    });
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let (running, task) = serve_tls(router(state), listen, cert.clone(), key)
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
    })
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
    let r = app.sync_with(&mut |p| {
        if show && p.stage == SyncStage::Evidence {
            eprint!(
                "\r上传证据 {}/{} 个文件，{:.1}/{:.1} MB",
                p.items_done,
                p.items_total,
                p.bytes_done as f64 / 1e6,
                p.bytes_total as f64 / 1e6
            );
        }
    })?;
    if show {
        eprintln!();
    }
    let log_key = app.station()?.map(|s| s.log_key).unwrap_or_default();
    if as_json {
        let mut report = serde_json::to_value(&r)?;
        report["log_key"] = log_key.into();
        println!("{report}");
        return Ok(());
    }
    output::log_key(&log_key)?;
    output::done(
        &format!(
            "同步完成：上传 {} 条记录，收到并核验 {} 份回执；案件文档上传 {} 件、接收 {} 件；证据文件上传 {} 个（{:.1} MB）；基站日志共 {} 条",
            r.sent,
            r.receipts,
            r.docs_sent,
            r.docs_received,
            r.blobs_sent,
            r.blob_bytes as f64 / 1e6,
            r.log_size
        ),
        false,
    )
}
