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

/// The range asked (RFC 9110, the first of several; `bytes=-N` the last N): `(from, to)`,
/// `to` inclusive and open when absent; the whole file when none is asked or it makes no sense
/// (then the answer is the whole file, as the standard says to ignore it).
fn range_of(headers: &HeaderMap) -> Option<(Option<u64>, Option<u64>)> {
    let value = headers.get(header::RANGE)?.to_str().ok()?.trim();
    let (unit, ranges) = value.split_once('=')?;
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        return None;
    }
    let first = ranges.split(',').next()?.trim();
    let (from, to) = first.split_once('-')?;
    let number = |s: &str| -> Option<Option<u64>> {
        let s = s.trim();
        if s.is_empty() {
            Some(None)
        } else {
            s.parse().ok().map(Some)
        }
    };
    let (from, to) = (number(from)?, number(to)?);
    match (from, to) {
        (None, None) | (None, Some(0)) => None,
        (Some(f), Some(t)) if t < f => None,
        _ => Some((from, to)),
    }
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
    let asked = range_of(&headers);
    // The file's size and type first (a first part read from where the answer begins).
    let from = match asked {
        Some((Some(from), _)) => from,
        _ => 0,
    };
    let first = match read(&served, (&case, &sha256), (from, None)).await {
        Some(Ok(part)) => part,
        Some(Err(MediaRefusal::Unsatisfiable(total))) if total > 0 => {
            return (
                StatusCode::RANGE_NOT_SATISFIABLE,
                [(header::CONTENT_RANGE, format!("bytes */{total}"))],
            )
                .into_response();
        }
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let total = first.total;
    let (start, end) = match asked {
        None => (0, total),
        Some((Some(from), to)) => (from, to.map_or(total, |t| (t + 1).min(total))),
        // The last N bytes.
        Some((None, Some(n))) => (total.saturating_sub(n), total),
        Some((None, None)) => (0, total),
    };
    let first = if start == first.start {
        first
    } else {
        match read(&served, (&case, &sha256), (start, None)).await {
            Some(Ok(part)) => part,
            _ => return StatusCode::NOT_FOUND.into_response(),
        }
    };
    let mime = first.mime.clone();
    let status = if asked.is_some() {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    let mut answer = (
        status,
        [
            (header::CONTENT_TYPE, mime),
            (header::ACCEPT_RANGES, "bytes".into()),
            (header::CONTENT_LENGTH, (end - start).to_string()),
            (header::CACHE_CONTROL, "no-store".into()),
        ],
        Body::from_stream(stream(served, (case, sha256), first, end)),
    )
        .into_response();
    if asked.is_some() {
        let range = format!("bytes {start}-{}/{total}", end - 1);
        if let Ok(value) = range.parse() {
            answer.headers_mut().insert(header::CONTENT_RANGE, value);
        }
    }
    answer
}

/// The bytes from `first` on to `end`, read a part at a time as the player takes them (to its
/// end: WebKit's player takes an answer's end for the file's), never held whole.
fn stream(
    served: Served,
    (case, sha256): (String, String),
    first: MediaPart,
    end: u64,
) -> impl futures_util::Stream<Item = std::io::Result<Vec<u8>>> {
    let mut bytes = first.bytes;
    bytes.truncate((end - first.start) as usize);
    let after = first.start + bytes.len() as u64;
    let rest = futures_util::stream::unfold(
        (after, served, case, sha256),
        move |(at, served, case, sha256)| async move {
            if at >= end {
                return None;
            }
            let part = match read(&served, (&case, &sha256), (at, Some(end - 1))).await {
                Some(Ok(part)) if !part.bytes.is_empty() => Ok(part.bytes),
                _ => Err(std::io::Error::other("the file could not be read on")),
            };
            let next = part.as_ref().map_or(end, |b| at + b.len() as u64);
            Some((part, (next, served, case, sha256)))
        },
    );
    futures_util::stream::once(async move { Ok(bytes) }).chain(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(value: &str) -> Option<(Option<u64>, Option<u64>)> {
        let mut headers = HeaderMap::new();
        headers.insert(header::RANGE, value.parse().unwrap());
        range_of(&headers)
    }

    #[test]
    fn ranges_are_read_as_the_standard_says_and_nonsense_is_ignored() {
        assert_eq!(range_of(&HeaderMap::new()), None);
        assert_eq!(asked("bytes=0-"), Some((Some(0), None)));
        assert_eq!(asked("bytes=100-199"), Some((Some(100), Some(199))));
        assert_eq!(asked("bytes=-500"), Some((None, Some(500))));
        assert_eq!(asked("Bytes = 5-9, 20-30"), Some((Some(5), Some(9))));
        for nonsense in [
            "bytes=500-100",
            "items=0-9",
            "bytes=x-",
            "bytes=-",
            "bytes=-0",
        ] {
            assert_eq!(asked(nonsense), None, "{nonsense}");
        }
    }
}
