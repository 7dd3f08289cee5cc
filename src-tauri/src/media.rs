//! The window's audio and video players read evidence by byte range from a loopback HTTP
//! server in this process (`http://127.0.0.1:PORT/TOKEN/<case>/<sha256>`), so a clip plays and
//! seeks without ever being decrypted whole. WebKitGTK's media element plays nothing from a
//! custom URI scheme (WebKit bug 146351), hence plain HTTP; the token, random for each run,
//! keeps other programs on the machine out. A thin adapter over `Quancheng::media_part`.

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::StreamExt as _;
use qc_api::media::{MediaPart, MediaRefusal};
use tauri::{AppHandle, Manager};

use crate::AppState;

/// What the server needs: the app, and this run's token.
#[derive(Clone)]
struct Served {
    app: AppHandle,
    token: String,
}

/// Starts the server; returns the base address files are read under.
pub fn start(app: AppHandle) -> std::io::Result<String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let port = listener.local_addr()?.port();
    let mut secret = [0u8; 16];
    getrandom::fill(&mut secret).map_err(std::io::Error::other)?;
    let token = hex::encode(secret);
    let base = format!("http://127.0.0.1:{port}/{token}/");
    let router = Router::new()
        .route("/{token}/{case}/{sha256}", get(part))
        .with_state(Served { app, token });
    tauri::async_runtime::spawn(async move {
        let served = match tokio::net::TcpListener::from_std(listener) {
            Ok(l) => axum::serve(l, router).await,
            Err(e) => Err(e),
        };
        if let Err(e) = served {
            tracing::error!(error = %e, "the media server stopped");
        }
    });
    Ok(base)
}

/// `bytes=FROM-[TO]` (one range, as media players ask when they seek); `Ok(None)` when none.
fn range_of(headers: &HeaderMap) -> Result<Option<(u64, Option<u64>)>, ()> {
    let Some(value) = headers.get(header::RANGE) else {
        return Ok(None);
    };
    let parsed = || {
        let (from, to) = value
            .to_str()
            .ok()?
            .strip_prefix("bytes=")?
            .split_once('-')?;
        let to = if to.is_empty() {
            None
        } else {
            Some(to.parse().ok()?)
        };
        Some((from.parse().ok()?, to))
    };
    parsed().map(Some).ok_or(())
}

/// Reads part of a file off the async threads, under the app's lock for that read alone.
async fn read(
    served: &Served,
    (case, sha256): (&str, &str),
    range: (u64, Option<u64>),
) -> Option<Result<MediaPart, MediaRefusal>> {
    let (app, case, sha256) = (served.app.clone(), case.to_owned(), sha256.to_owned());
    tauri::async_runtime::spawn_blocking(move || {
        let state = app.state::<AppState>();
        let guard = state.0.lock().unwrap_or_else(|p| p.into_inner());
        let app = guard.as_ref().ok()?;
        app.media_part(&case, &sha256, range)
            .map_err(|e| tracing::warn!(code = e.code(), error = %e, "a media range not served"))
            .ok()
    })
    .await
    .ok()
    .flatten()
}

async fn part(
    State(served): State<Served>,
    Path((token, case, sha256)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    if token != served.token {
        return StatusCode::NOT_FOUND.into_response();
    }
    let Ok(range) = range_of(&headers) else {
        return StatusCode::RANGE_NOT_SATISFIABLE.into_response();
    };
    let Some(range) = range else {
        return whole(served, case, sha256).await;
    };
    match read(&served, (&case, &sha256), range).await {
        Some(Ok(part)) => {
            let last = part.start + part.bytes.len() as u64 - 1;
            (
                StatusCode::PARTIAL_CONTENT,
                [
                    (header::CONTENT_TYPE, part.mime),
                    (header::ACCEPT_RANGES, "bytes".into()),
                    (
                        header::CONTENT_RANGE,
                        format!("bytes {}-{last}/{}", part.start, part.total),
                    ),
                ],
                part.bytes,
            )
                .into_response()
        }
        Some(Err(MediaRefusal::Unsatisfiable(total))) => (
            StatusCode::RANGE_NOT_SATISFIABLE,
            [(header::CONTENT_RANGE, format!("bytes */{total}"))],
        )
            .into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The whole file, for a player that asks without a range (WebKitGTK's first request): sent
/// as it is read, a part at a time, never held whole.
async fn whole(served: Served, case: String, sha256: String) -> Response {
    let Some(Ok(first)) = read(&served, (&case, &sha256), (0, None)).await else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let (mime, total) = (first.mime.clone(), first.total);
    let rest = futures_util::stream::unfold(
        (first.bytes.len() as u64, served, case, sha256),
        move |(at, served, case, sha256)| async move {
            if at >= total {
                return None;
            }
            let part = match read(&served, (&case, &sha256), (at, None)).await {
                Some(Ok(part)) => Ok(part.bytes),
                _ => Err(std::io::Error::other("the file could not be read on")),
            };
            let next = at + part.as_ref().map_or(total, |b| b.len() as u64);
            Some((part, (next, served, case, sha256)))
        },
    );
    let body = futures_util::stream::once(async move { Ok(first.bytes) }).chain(rest);
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, mime),
            (header::ACCEPT_RANGES, "bytes".into()),
            (header::CONTENT_LENGTH, total.to_string()),
        ],
        Body::from_stream(body),
    )
        .into_response()
}
