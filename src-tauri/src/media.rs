//! The window's audio and video players read evidence by byte range from a loopback HTTP
//! server in this process (`http://127.0.0.1:PORT/TOKEN/<case>/<sha256>`), so a clip plays and
//! seeks without ever being decrypted whole. WebKitGTK's media element plays nothing from a
//! custom URI scheme (WebKit bug 146351), hence plain HTTP; the token, random for each run,
//! keeps other programs on the machine out, and only this address is answered (a page
//! elsewhere cannot reach it through a name of its own). A thin adapter over
//! `Quancheng::media_file` and `media_part`; ranges read as the console reads them
//! (`qc_api::media::asked_range`).

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::{Arc, Mutex};

use qc_api::media::{MediaFile, asked_range};
use qc_api::{ApiError, Quancheng};

/// The app as the window shares it: open, or why it did not open.
pub type SharedApp = Arc<Mutex<Result<Quancheng, ApiError>>>;

/// What the server needs: the app, this run's token, and the address it answers at.
#[derive(Clone)]
struct Served {
    app: SharedApp,
    token: String,
    host: String,
}

/// Starts the server; returns the base address files are read under.
pub fn start(app: SharedApp) -> std::io::Result<String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let port = listener.local_addr()?.port();
    let mut secret = [0u8; 16];
    getrandom::fill(&mut secret).map_err(std::io::Error::other)?;
    let token = hex::encode(secret);
    let base = format!("http://127.0.0.1:{port}/{token}/");
    let router = Router::new()
        .route("/{token}/{case}/{sha256}", get(part))
        .with_state(Served {
            app,
            token,
            host: format!("127.0.0.1:{port}"),
        });
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

/// Runs `f` on the open app off the async threads, under the app's lock for that call alone.
async fn with_app<T: Send + 'static>(
    served: &Served,
    f: impl FnOnce(&Quancheng) -> Result<T, ApiError> + Send + 'static,
) -> Option<T> {
    let app = served.app.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let guard = app.lock().unwrap_or_else(|p| p.into_inner());
        f(guard.as_ref().ok()?)
            .map_err(|e| tracing::warn!(code = e.code(), error = %e, "a media request not served"))
            .ok()
    })
    .await
    .ok()
    .flatten()
}

/// Whether a request names this run's token (compared in constant time) and this server's
/// own address.
fn admitted((ours, at): (&str, &str), token: &str, headers: &HeaderMap) -> bool {
    let same = token.len() == ours.len()
        && token
            .bytes()
            .zip(ours.bytes())
            .fold(0u8, |d, (a, b)| d | (a ^ b))
            == 0;
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    same && host == Some(at)
}

async fn part(
    State(served): State<Served>,
    Path((token, case, sha256)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    if !admitted((&served.token, &served.host), &token, &headers) {
        return StatusCode::NOT_FOUND.into_response();
    }
    // The file's type and size, once for the whole answer.
    let Some(Some(file)) = with_app(&served, move |a| a.media_file(&case, &sha256)).await else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let asked = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let Ok(range) = asked_range(asked, file.size) else {
        return (
            StatusCode::RANGE_NOT_SATISFIABLE,
            [(header::CONTENT_RANGE, format!("bytes */{}", file.size))],
        )
            .into_response();
    };
    let partial = range.is_some();
    let range = range.unwrap_or(0..file.size);
    let mut answer = (
        if partial {
            StatusCode::PARTIAL_CONTENT
        } else {
            StatusCode::OK
        },
        [
            (header::CONTENT_TYPE, file.mime.clone()),
            (header::ACCEPT_RANGES, "bytes".into()),
            (
                header::CONTENT_LENGTH,
                (range.end - range.start).to_string(),
            ),
            (header::CACHE_CONTROL, "no-store".into()),
        ],
        Body::from_stream(stream(served, file.clone(), range.clone())),
    )
        .into_response();
    if partial {
        let value = format!("bytes {}-{}/{}", range.start, range.end - 1, file.size);
        if let Ok(value) = value.parse() {
            answer.headers_mut().insert(header::CONTENT_RANGE, value);
        }
    }
    answer
}

/// The bytes `range` of `file`, read a part at a time as the player takes them (to its end:
/// WebKit's player takes an answer's end for the file's), never held whole.
fn stream(
    served: Served,
    file: MediaFile,
    range: std::ops::Range<u64>,
) -> impl futures_util::Stream<Item = std::io::Result<Vec<u8>>> {
    futures_util::stream::unfold(range.start, move |at| {
        let (served, file, end) = (served.clone(), file.clone(), range.end);
        async move {
            if at >= end {
                return None;
            }
            let part = with_app(&served, move |a| a.media_part(&file, at..end)).await;
            let part = match part {
                Some(bytes) if !bytes.is_empty() => Ok(bytes),
                _ => Err(std::io::Error::other("the file could not be read on")),
            };
            let next = part.as_ref().map_or(end, |b| at + b.len() as u64);
            Some((part, next))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The player's requests over HTTP: a range of a case's file as it was stored, the whole
    /// file, and nothing past its end, for another token or address, or for another file.
    #[test]
    fn a_file_is_served_by_ranges_over_http_to_this_run_s_token_only() {
        use qc_api::{DataDir, OsEntropy, SystemClock};
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::new(dir.path());
        let people = qc_api::demo::demo_people();
        Quancheng::init(&data, &people, Arc::new(SystemClock), Box::new(OsEntropy)).unwrap();
        let mut app = Quancheng::open(&data, Arc::new(SystemClock), Box::new(OsEntropy)).unwrap();
        qc_api::demo::load(&mut app).unwrap();
        let (case, file) = app
            .list_cases(&Default::default())
            .unwrap()
            .into_iter()
            .find_map(|c| Some((c.id.clone(), app.case_file(&c.id).ok()?.1.pop()?.facts)))
            .expect("a demo case with evidence");
        let hash: [u8; 32] = hex::decode(&file.sha256).unwrap().try_into().unwrap();
        let bytes = app.read_blob(&hash).unwrap();
        let base = start(Arc::new(Mutex::new(Ok(app)))).unwrap();
        let _ = rustls::crypto::ring::default_provider().install_default();
        let url = format!("{base}{case}/{}", file.sha256);
        let http = reqwest::blocking::Client::new();
        let get = |url: &str, headers: &[(&str, String)]| {
            let mut req = http.get(url);
            for (k, v) in headers {
                req = req.header(*k, v);
            }
            req.send().unwrap()
        };

        let part = get(&url, &[("range", "bytes=10-19".into())]);
        assert_eq!(part.status(), 206);
        let said = part.headers()["content-range"].to_str().unwrap().to_owned();
        assert_eq!(said, format!("bytes 10-19/{}", bytes.len()));
        assert_eq!(part.bytes().unwrap()[..], bytes[10..20]);
        let whole = get(&url, &[]);
        assert_eq!(whole.status(), 200);
        assert_eq!(whole.bytes().unwrap()[..], bytes[..]);
        let past = get(&url, &[("range", format!("bytes={}-", bytes.len()))]);
        assert_eq!(past.status(), 416);

        let token = base.trim_end_matches('/').rsplit('/').next().unwrap();
        let other = url.replace(token, &"0".repeat(token.len()));
        assert_eq!(get(&other, &[]).status(), 404, "another token");
        let port = base.split(':').nth(2).unwrap().split('/').next().unwrap();
        let named = [("host", format!("evil.example:{port}"))];
        assert_eq!(get(&url, &named).status(), 404, "another address");
        let unknown = format!("{base}{case}/{}", "0".repeat(64));
        assert_eq!(get(&unknown, &[]).status(), 404, "not this case's file");
    }

    #[test]
    fn only_this_run_s_token_at_this_address_is_answered() {
        let ours = ("ab12", "127.0.0.1:4321");
        let host = |h: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::HOST, h.parse().unwrap());
            headers
        };
        assert!(admitted(ours, "ab12", &host("127.0.0.1:4321")));
        assert!(!admitted(ours, "ab13", &host("127.0.0.1:4321")));
        assert!(!admitted(ours, "ab1", &host("127.0.0.1:4321")));
        // A page that named this address by a name of its own (DNS rebinding).
        assert!(!admitted(ours, "ab12", &host("evil.example:4321")));
        assert!(!admitted(ours, "ab12", &HeaderMap::new()));
    }
}
