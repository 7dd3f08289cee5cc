//! The HTTPS face of the base station: thin axum handlers over [`Service`]. TLS uses a
//! self-signed certificate that enrolled devices pin.
//!
//! What a client that has not proven itself can make the station hold is bounded: the TLS
//! handshake, each request's headers and an idle connection are timed ([`Limits`]); a signed
//! request's headers are checked before its body is read; bodies are read within a time and
//! within a budget of bytes held at once.

use std::io::Read;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{ConnectInfo, FromRequest, Path, Query, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use qc_domain::{Clock, Timestamp};
use qc_sync::auth::AuthError;
use qc_sync::wire::{EnrolRequest, OfficerEnrolRequest, SyncRequest, SyncResponse};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::metrics::{Metrics, track};
use crate::service::{Chunk, Service, ServiceError, Standing, Verified};
use crate::storage::{Storage, StorageError};

/// Largest request body accepted (an upload of entries; blobs come in chunks of their own).
pub const MAX_BODY: usize = 16 * 1024 * 1024;
/// How soon the store must answer for the process to be ready.
const READY_WITHIN: Duration = Duration::from_secs(5);
/// Largest body of a device's enrolment request (a code, an id, a label and a key).
pub const MAX_ENROL_BODY: usize = 16 * 1024;

/// How long what a client sends may take, and how much of it the station holds at once.
#[derive(Debug, Clone)]
pub struct Limits {
    /// To finish the TLS handshake.
    pub handshake: Duration,
    /// To send a request's headers, and to start the next request on a kept-alive connection:
    /// a silent or trickling connection is closed after it.
    pub headers: Duration,
    /// To send a request's body (an 8 MiB chunk at 1 Mbit/s takes about 70 s).
    pub body: Duration,
    /// To wait for room among the bodies held before being refused as busy.
    pub wait_for_room: Duration,
    /// Bytes of request bodies held at once, being read or handled.
    pub bodies_held: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            handshake: Duration::from_secs(10),
            headers: Duration::from_secs(30),
            body: Duration::from_secs(120),
            wait_for_room: Duration::from_secs(30),
            bodies_held: 4 * MAX_BODY,
        }
    }
}

/// The budget of body bytes held at once, shared by the routes.
#[derive(Clone)]
struct Room {
    bytes: Arc<tokio::sync::Semaphore>,
    limits: Arc<Limits>,
}

impl Room {
    /// Reads a body of at most `limit` bytes, once there is room for it and in the time
    /// allowed; the permit holds that room until the request is answered.
    async fn read(
        &self,
        body: Body,
        limit: usize,
    ) -> Result<(Bytes, tokio::sync::OwnedSemaphorePermit), Failure> {
        let hint = body.size_hint();
        if hint.lower() > limit as u64 {
            return Err(ServiceError::TooLarge(limit).into());
        }
        // A body without a length may be as long as the limit.
        let size = hint.exact().unwrap_or(limit as u64);
        let want = u32::try_from(size.min(self.limits.bodies_held as u64)).unwrap_or(u32::MAX);
        let permit = tokio::time::timeout(
            self.limits.wait_for_room,
            self.bytes.clone().acquire_many_owned(want),
        )
        .await
        .map_err(|_| ServiceError::Busy)?
        .map_err(|_| ServiceError::Busy)?;
        let bytes = tokio::time::timeout(self.limits.body, axum::body::to_bytes(body, limit))
            .await
            .map_err(|_| ServiceError::SlowRequest)?
            .map_err(|e| ServiceError::BadRequest(format!("request body: {e}")))?;
        Ok((bytes, permit))
    }

    /// Reads a body of at most `limit` bytes to its end, in the time allowed, keeping none
    /// of it: a refused client still gets its answer instead of a connection cut mid-upload.
    async fn discard(&self, body: Body, limit: usize) {
        use futures_util::StreamExt as _;
        let mut data = body.into_data_stream();
        let mut read = 0;
        let _ = tokio::time::timeout(self.limits.body, async {
            while let Some(Ok(chunk)) = data.next().await {
                read += chunk.len();
                if read > limit {
                    return;
                }
            }
        })
        .await;
    }
}

/// Requests whose work runs at once by default: as many as the store's default connections
/// (`qc_station_pg::DEFAULT_POOL_SIZE`).
pub const DEFAULT_WORKING: usize = 16;

/// Shared state of the handlers.
pub struct AppState<S: Storage> {
    /// The service; requests use it at once (it orders what must be ordered itself).
    pub service: Service<S>,
    /// The server clock.
    pub clock: Arc<dyn Clock>,
    /// Turns at the station's work, taken in order of arrival ([`blocking`]).
    working: Arc<tokio::sync::Semaphore>,
}

impl<S: Storage> AppState<S> {
    /// The state of a station serving `service`, the work of at most `working` requests at
    /// once (at least one): those that would wait on the store's connections anyway wait here
    /// instead, without a thread each. With a thread per waiting request, 1,000 devices at
    /// once spent much of the CPU waking threads for the next free connection.
    pub fn new(service: Service<S>, clock: Arc<dyn Clock>, working: usize) -> AppState<S> {
        AppState {
            service,
            clock,
            working: Arc::new(tokio::sync::Semaphore::new(working.max(1))),
        }
    }
}

/// How often a serving station does its upkeep ([`upkeep`]).
pub const UPKEEP_EVERY: Duration = Duration::from_secs(600);

/// A serving station's upkeep, every `every` until its runtime stops: the approved deletions
/// (删除原件) still due are tried again ([`Service::finish_due_deletions`]), so one that failed
/// while the station serves (the object store unreachable) is done without waiting for a
/// restart. Taking a turn at the work like a request.
pub async fn upkeep<S: Storage>(state: Arc<AppState<S>>, every: Duration) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match blocking(&state, |s| Ok(s.service.finish_due_deletions()?)).await {
            Ok(0) => {}
            Ok(cases) => tracing::info!(cases, "approved deletions due tried again"),
            Err(Failure(e)) => tracing::warn!(error = %e, "approved deletions due not tried"),
        }
    }
}

struct Failure(ServiceError);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if status.is_server_error() {
            tracing::error!(error = %self.0, "request failed");
        } else {
            tracing::info!(status = status.as_u16(), error = %self.0, "request refused");
        }
        let mut response = (status, axum::Json(self.0.body())).into_response();
        if let ServiceError::TooManyAttempts { retry_after_s } = self.0 {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, retry_after_s.into());
        }
        response
    }
}

impl From<ServiceError> for Failure {
    fn from(e: ServiceError) -> Self {
        Failure(e)
    }
}

fn json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ServiceError> {
    serde_json::from_slice(body).map_err(|e| ServiceError::BadRequest(e.to_string()))
}

/// Runs the station's work for a request (store, signatures, merges: all blocking) on a
/// blocking thread, so the async threads keep serving connections meanwhile, once it is the
/// request's turn ([`AppState::new`]).
async fn blocking<S: Storage, R: Send + 'static>(
    state: &Arc<AppState<S>>,
    f: impl FnOnce(&AppState<S>) -> Result<R, ServiceError> + Send + 'static,
) -> Result<R, Failure> {
    // The turn goes with the work: a request given up on (its client gone) keeps it until
    // its work ends.
    let turn = state
        .working
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| ServiceError::Busy)?;
    let state = state.clone();
    tokio::task::spawn_blocking(move || {
        let _turn = turn;
        f(&state)
    })
    .await
    .map_err(|e| {
        ServiceError::Storage(StorageError::Backend(format!(
            "the request's task failed: {e}"
        )))
    })?
    .map_err(Failure)
}

/// What a device's request is signed over: method, path and query, the signature headers, and
/// the body (empty for a GET). Its body is read only after its headers name an enrolled
/// device and a fresh time.
struct Signed {
    /// What the precheck found of the device from the headers (taken by its authentication).
    standing: Option<Standing>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
    /// The body's SHA-256, taken once (on a blocking thread) for the signature and whoever
    /// else needs it: an evidence file's chunk is hashed once on its way in.
    body_sha256: std::sync::OnceLock<[u8; 32]>,
    /// The room the body takes among those held, until the request is answered.
    _room: tokio::sync::OwnedSemaphorePermit,
}

impl Signed {
    /// The SHA-256 of the body.
    fn body_sha256(&self) -> [u8; 32] {
        *self
            .body_sha256
            .get_or_init(|| qc_sync::auth::body_digest(&self.body))
    }
}

impl<S: Storage> FromRequest<Arc<AppState<S>>> for Signed {
    type Rejection = Failure;

    async fn from_request(req: Request, state: &Arc<AppState<S>>) -> Result<Self, Failure> {
        let (parts, body) = req.into_parts();
        let room = parts.extensions.get::<Room>().cloned().ok_or_else(|| {
            Failure(ServiceError::BadRequest(
                "a route without a body budget".into(),
            ))
        })?;
        let headers = parts.headers.clone();
        let checked = blocking(state, move |st| {
            st.service.precheck(
                |h| headers.get(h).and_then(|v| v.to_str().ok()),
                st.clock.now(),
            )
        })
        .await;
        let standing = match checked {
            Ok(standing) => standing,
            Err(e) => {
                // An enrolled device whose clock is off is told so (it is the one refusal an
                // honest tablet meets); anyone else is refused without a byte more read.
                if matches!(e.0, ServiceError::Auth(AuthError::Skew { .. })) {
                    room.discard(body, MAX_BODY).await;
                }
                return Err(e);
            }
        };
        let (body, permit) = room.read(body, MAX_BODY).await?;
        Ok(Signed {
            standing: Some(standing),
            method: parts.method,
            uri: parts.uri,
            headers: parts.headers,
            body,
            body_sha256: std::sync::OnceLock::new(),
            _room: permit,
        })
    }
}

/// The query string of a signed request, read after the request is authenticated (so a bad
/// one is answered, not cut off while the body is still on its way).
fn query<T: DeserializeOwned>(request: &Signed) -> Result<T, ServiceError> {
    Query::try_from_uri(&request.uri)
        .map(|Query(q)| q)
        .map_err(|e| ServiceError::BadRequest(e.body_text()))
}

/// Authenticates a request by its signature headers; returns the device id.
fn authenticate<S: Storage>(
    state: &AppState<S>,
    request: &mut Signed,
) -> Result<String, ServiceError> {
    let verified = verify(state, request)?;
    state.service.take_nonce(&verified)?;
    Ok(verified.device().to_owned())
}

/// Checks a request's signature headers, its nonce still to be taken
/// ([`Service::verify_request`]).
fn verify<S: Storage>(state: &AppState<S>, request: &mut Signed) -> Result<Verified, ServiceError> {
    let prechecked = request.standing.take();
    let uri = &request.uri;
    let path = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
    state.service.verify_request(
        request.method.as_str(),
        path,
        |h| request.headers.get(h).and_then(|v| v.to_str().ok()),
        request.body_sha256(),
        state.clock.now(),
        prechecked,
    )
}

async fn health<S: Storage>(
    State(state): State<Arc<AppState<S>>>,
) -> Result<impl IntoResponse, Failure> {
    let size = blocking(&state, |st| st.service.log_size()).await?;
    Ok(axum::Json(
        serde_json::json!({ "status": "ok", "log_size": size }),
    ))
}

/// Whether this process can serve: its store answers in time. A load balancer sends requests
/// only to a ready instance.
async fn ready<S: Storage>(State(state): State<Arc<AppState<S>>>) -> Response {
    let answered =
        tokio::time::timeout(READY_WITHIN, blocking(&state, |st| st.service.log_size())).await;
    match answered {
        Ok(Ok(size)) => {
            axum::Json(serde_json::json!({ "status": "ready", "log_size": size })).into_response()
        }
        Ok(Err(Failure(e))) => {
            tracing::warn!(error = %e, "not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(serde_json::json!({ "status": "store failing" })),
            )
                .into_response()
        }
        Err(_) => {
            tracing::warn!("not ready: the store did not answer in time");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(serde_json::json!({ "status": "store not answering" })),
            )
                .into_response()
        }
    }
}

/// Prometheus' scrape.
async fn scrape(State(metrics): State<Arc<Metrics>>) -> Result<impl IntoResponse, Failure> {
    let text = tokio::task::spawn_blocking(move || metrics.encode())
        .await
        .ok()
        .and_then(Result::ok)
        .ok_or_else(|| {
            ServiceError::Storage(StorageError::Backend("metrics could not be encoded".into()))
        })?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    ))
}

async fn enrol<S: Storage>(
    State(state): State<Arc<AppState<S>>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Extension(room): Extension<Room>,
    request: Request,
) -> Result<impl IntoResponse, Failure> {
    let (body, _room) = room.read(request.into_body(), MAX_ENROL_BODY).await?;
    let req: EnrolRequest = json(&body)?;
    blocking(&state, move |st| {
        st.service.enrol(&req, peer.ip(), st.clock.now())
    })
    .await
    .map(axum::Json)
}

/// An authenticated call: checks the request's signature and runs `f` with the device's id
/// and the request.
async fn authed_raw<S: Storage, R: Send + 'static>(
    state: &Arc<AppState<S>>,
    mut request: Signed,
    f: impl FnOnce(&Service<S>, &str, &Signed, Timestamp) -> Result<R, ServiceError> + Send + 'static,
) -> Result<R, Failure> {
    blocking(state, move |st| {
        let device = authenticate(st, &mut request)?;
        f(&st.service, &device, &request, st.clock.now())
    })
    .await
}

/// An authenticated JSON call: as [`authed_raw`], with the body decoded and the answer encoded.
async fn authed<S: Storage, Q: DeserializeOwned, R: Serialize + Send + 'static>(
    state: &Arc<AppState<S>>,
    request: Signed,
    f: impl FnOnce(&Service<S>, &str, Q, Timestamp) -> Result<R, ServiceError> + Send + 'static,
) -> Result<axum::Json<R>, Failure> {
    authed_raw(state, request, |s, device, request, now| {
        f(s, device, json(&request.body)?, now)
    })
    .await
    .map(axum::Json)
}

/// A sync in CBOR (a device of protocol 3 on, [`qc_sync::body`]) is answered in CBOR, one in
/// JSON in JSON. Its nonce is taken with its first read ([`Service::sync_verified`]).
async fn sync<S: Storage>(
    State(state): State<Arc<AppState<S>>>,
    mut request: Signed,
) -> Result<Response, Failure> {
    let cbor = qc_sync::body::is_cbor(
        request
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
    );
    let answer = blocking(&state, move |st| {
        let verified = verify(st, &mut request)?;
        let req: SyncRequest = if cbor {
            qc_sync::body::from_cbor(&request.body).map_err(ServiceError::BadRequest)?
        } else {
            json(&request.body)?
        };
        let r = synced(&st.service, &verified, &req)?;
        if cbor {
            Ok(qc_sync::body::to_cbor(&r))
        } else {
            serde_json::to_vec(&r).map_err(|e| {
                ServiceError::Storage(StorageError::Backend(format!("encoding an answer: {e}")))
            })
        }
    })
    .await?;
    let kind = if cbor {
        qc_sync::body::CBOR
    } else {
        "application/json"
    };
    Ok(([(header::CONTENT_TYPE, kind)], answer).into_response())
}

/// Runs a device's sync, and logs what it did.
fn synced<S: Storage>(
    s: &Service<S>,
    verified: &Verified,
    req: &SyncRequest,
) -> Result<SyncResponse, ServiceError> {
    let r = s.sync_verified(verified, req)?;
    tracing::info!(
        device = verified.device(),
        entries = req.push.entries.len(),
        docs_up = req.up.docs.len(),
        docs_down = r.down.docs.len(),
        log_size = r.push.checkpoint.decode_unverified().map_or(0, |c| c.size),
        "synced"
    );
    Ok(r)
}

async fn officer_enrol<S: Storage>(
    State(state): State<Arc<AppState<S>>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Signed,
) -> Result<impl IntoResponse, Failure> {
    authed(
        &state,
        request,
        move |s, device, req: OfficerEnrolRequest, now| {
            s.enrol_officer(device, &req, peer.ip(), now)
        },
    )
    .await
}

/// A blob's name: its SHA-256 in lower-case hex, the one spelling (so one file has one URL).
fn blob_hash(sha: &str) -> Result<[u8; 32], ServiceError> {
    Some(sha)
        .filter(|s| s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
        .and_then(|s| hex::decode(s).ok())
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            ServiceError::BadRequest("a blob is named by its SHA-256 in lower-case hex".into())
        })
}

/// An authenticated request about one blob of a case.
async fn on_blob<S: Storage, R: Send + 'static>(
    state: &Arc<AppState<S>>,
    (case, sha): (String, String),
    request: Signed,
    f: impl FnOnce(&Service<S>, &str, &str, &[u8; 32], &Signed) -> Result<R, ServiceError>
    + Send
    + 'static,
) -> Result<R, Failure> {
    authed_raw(state, request, move |s, device, request, _| {
        f(s, device, &case, &blob_hash(&sha)?, request)
    })
    .await
}

async fn blob_status<S: Storage>(
    State(state): State<Arc<AppState<S>>>,
    Path(blob): Path<(String, String)>,
    request: Signed,
) -> Result<impl IntoResponse, Failure> {
    on_blob(&state, blob, request, |s, device, case, hash, _| {
        s.blob_status(device, case, hash)
    })
    .await
    .map(axum::Json)
}

async fn blob_chunk<S: Storage>(
    State(state): State<Arc<AppState<S>>>,
    Path(blob): Path<(String, String)>,
    request: Signed,
) -> Result<impl IntoResponse, Failure> {
    // The request's signature covers the chunk's SHA-256: a chunk changed on the way is
    // refused before it is written.
    on_blob(&state, blob, request, |s, device, case, hash, request| {
        let q: qc_sync::wire::ChunkQuery = query(request)?;
        let chunk = Chunk::hashed(&request.body, request.body_sha256());
        s.put_blob_chunk(device, case, hash, (q.size, q.offset), chunk)
    })
    .await
    .map(axum::Json)
}

async fn blob_data<S: Storage>(
    State(state): State<Arc<AppState<S>>>,
    Path(blob): Path<(String, String)>,
    request: Signed,
) -> Result<impl IntoResponse, Failure> {
    let (size, reader) = on_blob(&state, blob, request, |s, device, case, hash, _| {
        s.open_blob(device, case, hash)
    })
    .await?;
    Ok((
        [(axum::http::header::CONTENT_LENGTH, size.to_string())],
        streamed(reader),
    ))
}

/// A body read from `reader` on a blocking thread, a few chunks ahead of the network: memory
/// stays bounded however large the file.
pub fn streamed(mut reader: Box<dyn Read + Send>) -> axum::body::Body {
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(4);
    tokio::task::spawn_blocking(move || {
        loop {
            let mut buf = vec![0u8; 1 << 20];
            let chunk = match reader.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => {
                    buf.truncate(n);
                    Ok(Bytes::from(buf))
                }
                Err(e) => Err(e),
            };
            let failed = chunk.is_err();
            if tx.blocking_send(chunk).is_err() || failed {
                return;
            }
        }
    });
    let stream =
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|c| (c, rx)) });
    axum::body::Body::from_stream(stream)
}

#[derive(Deserialize)]
struct FromSize {
    from: u64,
}

async fn consistency<S: Storage>(
    State(state): State<Arc<AppState<S>>>,
    request: Signed,
) -> Result<impl IntoResponse, Failure> {
    authed_raw(&state, request, |s, _, request, now| {
        let q: FromSize = query(request)?;
        s.consistency(q.from, now)
    })
    .await
    .map(axum::Json)
}

/// What the station logged about a case, for an outside verifier (who holds no device key, so
/// unauthenticated): everything in the answer is signed by the log key or proven under it.
async fn case_log<S: Storage>(
    State(state): State<Arc<AppState<S>>>,
    Path(case): Path<String>,
) -> Result<impl IntoResponse, Failure> {
    blocking(&state, move |st| st.service.case_log(&case, st.clock.now()))
        .await
        .map(axum::Json)
}

/// The log's latest checkpoint as a C2SP signed note, for anyone.
async fn log_checkpoint<S: Storage>(
    State(state): State<Arc<AppState<S>>>,
) -> Result<impl IntoResponse, Failure> {
    let note = blocking(&state, |st| st.service.log_note())
        .await?
        .ok_or_else(|| ServiceError::NotFound("the log is empty".into()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        note,
    ))
}

/// A C2SP tile or entry bundle of the log, for anyone; it never changes once served.
async fn log_tile<S: Storage>(
    State(state): State<Arc<AppState<S>>>,
    Path(path): Path<String>,
) -> Result<impl IntoResponse, Failure> {
    let bytes = blocking(&state, move |st| {
        st.service.log_tile(&format!("tile/{path}"))
    })
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        bytes,
    ))
}

/// Refuses a request from a device whose app is older than the station serves
/// ([`qc_sync::protocol_served`]) before anything of it is read. The 426 names the protocol
/// to upgrade to, as HTTP requires of it, and closes the connection: the body left unread
/// is not read to reuse it.
async fn device_protocol(request: Request, next: axum::middleware::Next) -> Response {
    let sent = request
        .headers()
        .get(qc_sync::PROTOCOL_HEADER)
        .map(|h| h.to_str().unwrap_or("(not text)"));
    if !qc_sync::protocol_served(sent) {
        let sent = sent.unwrap_or("quancheng-sync/1 (no header)").to_owned();
        let mut refused = Failure(ServiceError::Outdated(sent)).into_response();
        let headers = refused.headers_mut();
        headers.insert(
            header::UPGRADE,
            header::HeaderValue::from_static(qc_sync::PROTOCOL),
        );
        headers.insert(
            header::CONNECTION,
            header::HeaderValue::from_static("upgrade, close"),
        );
        return refused;
    }
    next.run(request).await
}

/// The routes, with the default [`Limits`].
pub fn router<S: Storage>(state: Arc<AppState<S>>) -> Router {
    router_with(state, &Limits::default())
}

/// The routes, holding request bodies within `limits`.
pub fn router_with<S: Storage>(state: Arc<AppState<S>>, limits: &Limits) -> Router {
    let room = Room {
        bytes: Arc::new(tokio::sync::Semaphore::new(limits.bodies_held)),
        limits: Arc::new(limits.clone()),
    };
    let metrics = Arc::new(Metrics::new(state.clone()));
    let scraped = Router::new()
        .route("/metrics", get(scrape))
        .with_state(metrics.clone());
    Router::new()
        .route("/v1/health", get(health::<S>))
        .route(
            "/v1/live",
            get(|| async { axum::Json(serde_json::json!({ "status": "live" })) }),
        )
        .route("/v1/ready", get(ready::<S>))
        .route("/v1/log/consistency", get(consistency::<S>))
        .route("/v1/log/checkpoint", get(log_checkpoint::<S>))
        .route("/v1/log/tile/{*path}", get(log_tile::<S>))
        .route("/v1/cases/{case}/log", get(case_log::<S>))
        .merge(
            // What devices do, for devices of a protocol the station serves only.
            Router::new()
                .route("/v1/enrol", post(enrol::<S>))
                .route("/v1/officers/enrol", post(officer_enrol::<S>))
                .route("/v1/sync", post(sync::<S>))
                .route(
                    "/v1/blobs/{case}/{sha}",
                    get(blob_status::<S>).put(blob_chunk::<S>),
                )
                .route("/v1/blobs/{case}/{sha}/data", get(blob_data::<S>))
                .route_layer(axum::middleware::from_fn(device_protocol)),
        )
        .layer(Extension(room))
        .with_state(state)
        .merge(scraped)
        .layer(axum::middleware::from_fn_with_state(metrics, track))
}

/// A self-signed TLS certificate for the base station's names: (certificate PEM, key PEM).
pub fn self_signed(names: &[String]) -> Result<(String, String), String> {
    let c = rcgen::generate_simple_self_signed(names.to_vec()).map_err(|e| e.to_string())?;
    Ok((c.cert.pem(), c.signing_key.serialize_pem()))
}

/// SHA-256 of a PEM certificate's DER bytes, hex: what devices pin.
pub fn fingerprint(cert_pem: &str) -> Result<String, String> {
    let der = rustls_pki_der(cert_pem)?;
    Ok(hex::encode(Sha256::digest(der)))
}

fn rustls_pki_der(pem: &str) -> Result<Vec<u8>, String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    CertificateDer::from_pem_slice(pem.as_bytes())
        .map(|c| c.to_vec())
        .map_err(|e| format!("not a PEM certificate: {e:?}"))
}

/// A running server: its address, and a handle to stop it gracefully.
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Stops it: in-flight requests finish first.
    pub handle: axum_server::Handle<SocketAddr>,
}

/// Serves `router` over TLS on `addr` (port 0 picks one) until the handle shuts it down, with
/// the default [`Limits`].
pub async fn serve_tls(
    router: Router,
    addr: SocketAddr,
    cert_pem: String,
    key_pem: String,
) -> Result<(Running, tokio::task::JoinHandle<std::io::Result<()>>), String> {
    serve_tls_with(router, addr, cert_pem, key_pem, &Limits::default()).await
}

/// Serves `router` over TLS on `addr`, closing connections that do not finish their handshake
/// or send their headers within `limits`, or stay idle longer.
pub async fn serve_tls_with(
    router: Router,
    addr: SocketAddr,
    cert_pem: String,
    key_pem: String,
    limits: &Limits,
) -> Result<(Running, tokio::task::JoinHandle<std::io::Result<()>>), String> {
    // One process-wide TLS provider (ring: no C toolchain beyond cc needed).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config = axum_server::tls_rustls::RustlsConfig::from_pem(
        cert_pem.into_bytes(),
        key_pem.into_bytes(),
    )
    .await
    .map_err(|e| format!("TLS certificate: {e}"))?;
    // HTTP/1.1 only, which is what devices speak: hyper times its headers and its idle
    // kept-alive connections, while an HTTP/2 connection could stay open idle for ever.
    let mut tls = (*config.get_inner()).clone();
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    config.reload_from_config(Arc::new(tls));
    let handle = axum_server::Handle::new();
    let handshake = limits.handshake;
    let mut server = axum_server::bind_rustls(addr, config)
        .map(|tls| tls.handshake_timeout(handshake))
        .http1_only()
        .handle(handle.clone());
    server
        .http_builder()
        .http1()
        .header_read_timeout(limits.headers);
    let task =
        tokio::spawn(server.serve(router.into_make_service_with_connect_info::<SocketAddr>()));
    let addr = handle
        .listening()
        .await
        .ok_or_else(|| format!("cannot listen on {addr}"))?;
    Ok((Running { addr, handle }, task))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn requests_take_turns_at_the_work_at_most_as_many_at_once_as_allowed() {
        let identity = crate::Identity {
            bureau: qc_identity::BureauKey::from_seed(&[1; 32]),
            log_key: ed25519_dalek::SigningKey::from_bytes(&[2; 32]),
            certificates: Vec::new(),
            revocations: None,
            desk_seed: [3; 32],
        };
        let service = Service::new(crate::SqliteStorage::temporary().unwrap(), identity).unwrap();
        let clock = Arc::new(qc_domain::FixedClock(Timestamp(1_700_000_000_000)));
        let state = Arc::new(AppState::new(service, clock, 2));
        let (working, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let requests: Vec<_> = (0..8)
            .map(|_| {
                let (state, working, most) = (state.clone(), working.clone(), most.clone());
                tokio::spawn(async move {
                    blocking(&state, move |_| {
                        let now = working.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(30));
                        working.fetch_sub(1, Ordering::SeqCst);
                        Ok(())
                    })
                    .await
                    .map_err(|f| f.0)
                })
            })
            .collect();
        for r in requests {
            r.await.unwrap().unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 2, "two at once, never more");
    }
}
