//! The HTTPS face of the base station: thin axum handlers over [`Service`]. TLS uses a
//! self-signed certificate that enrolled devices pin.

use std::io::Read;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Path, Query, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use qc_domain::{Clock, Timestamp};
use qc_sync::wire::{EnrolRequest, OfficerEnrolRequest, SyncRequest};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::service::{Service, ServiceError};
use crate::storage::Storage;

/// Largest request body accepted (an upload of entries; blobs come in chunks of their own).
pub const MAX_BODY: usize = 16 * 1024 * 1024;

/// Shared state of the handlers.
pub struct AppState<S: Storage> {
    /// The service (one writer at a time: SQLite serialises writes anyway).
    pub service: Mutex<Service<S>>,
    /// The server clock.
    pub clock: Arc<dyn Clock>,
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
        (status, axum::Json(self.0.body())).into_response()
    }
}

impl From<ServiceError> for Failure {
    fn from(e: ServiceError) -> Self {
        Failure(e)
    }
}

fn json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Failure> {
    serde_json::from_slice(body).map_err(|e| Failure(ServiceError::BadRequest(e.to_string())))
}

fn lock<S: Storage>(state: &AppState<S>) -> std::sync::MutexGuard<'_, Service<S>> {
    // A handler that panicked left the service as it was between requests; carry on.
    state.service.lock().unwrap_or_else(|p| p.into_inner())
}

/// What a device's request is signed over: method, path and query, the signature headers, and
/// the body (empty for a GET).
struct Signed {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
}

impl<S: Send + Sync> FromRequest<S> for Signed {
    type Rejection = <Bytes as FromRequest<S>>::Rejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let (method, uri, headers) = (
            parts.method.clone(),
            parts.uri.clone(),
            parts.headers.clone(),
        );
        // The body limit travels in the parts' extensions.
        let body = Bytes::from_request(Request::from_parts(parts, body), state).await?;
        Ok(Signed {
            method,
            uri,
            headers,
            body,
        })
    }
}

/// Authenticates a request by its signature headers; returns the device id.
fn authenticate<S: Storage>(
    state: &AppState<S>,
    service: &mut Service<S>,
    request: &Signed,
) -> Result<String, Failure> {
    let uri = &request.uri;
    let path = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
    Ok(service.authenticate(
        request.method.as_str(),
        path,
        |h| request.headers.get(h).and_then(|v| v.to_str().ok()),
        &request.body,
        state.clock.now(),
    )?)
}

async fn health<S: Storage>(State(state): State<Arc<AppState<S>>>) -> impl IntoResponse {
    let size = lock(&state).log_size();
    axum::Json(serde_json::json!({ "status": "ok", "log_size": size }))
}

async fn enrol<S: Storage>(
    State(state): State<Arc<AppState<S>>>,
    body: Bytes,
) -> Result<impl IntoResponse, Failure> {
    let req: EnrolRequest = json(&body)?;
    let now = state.clock.now();
    Ok(axum::Json(lock(&state).enrol(&req, now)?))
}

/// An authenticated call: checks the request's signature and runs `f` with the device's id
/// and the body.
fn authed_raw<S: Storage, R>(
    state: &AppState<S>,
    request: &Signed,
    f: impl FnOnce(&mut Service<S>, &str, &[u8], Timestamp) -> Result<R, ServiceError>,
) -> Result<R, Failure> {
    let mut service = lock(state);
    let device = authenticate(state, &mut service, request)?;
    Ok(f(&mut service, &device, &request.body, state.clock.now())?)
}

/// An authenticated JSON call: as [`authed_raw`], with the body decoded and the answer encoded.
fn authed<S: Storage, Q: DeserializeOwned, R: Serialize>(
    state: &AppState<S>,
    request: &Signed,
    f: impl FnOnce(&mut Service<S>, &str, Q, Timestamp) -> Result<R, ServiceError>,
) -> Result<axum::Json<R>, Failure> {
    authed_raw(state, request, |s, device, body, now| {
        let req: Q =
            serde_json::from_slice(body).map_err(|e| ServiceError::BadRequest(e.to_string()))?;
        f(s, device, req, now)
    })
    .map(axum::Json)
}

async fn sync<S: Storage>(
    State(state): State<Arc<AppState<S>>>,
    request: Signed,
) -> Result<impl IntoResponse, Failure> {
    authed(&state, &request, |s, device, req: SyncRequest, now| {
        let r = s.sync(device, &req, now)?;
        tracing::info!(
            device,
            entries = req.push.entries.len(),
            docs_up = req.up.docs.len(),
            docs_down = r.down.docs.len(),
            log_size = s.log_size(),
            "synced"
        );
        Ok(r)
    })
}

async fn officer_enrol<S: Storage>(
    State(state): State<Arc<AppState<S>>>,
    request: Signed,
) -> Result<impl IntoResponse, Failure> {
    authed(
        &state,
        &request,
        |s, device, req: OfficerEnrolRequest, now| s.enrol_officer(device, &req, now),
    )
}

fn blob_hash(sha: &str) -> Result<[u8; 32], ServiceError> {
    hex::decode(sha)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| ServiceError::BadRequest("a blob is named by its SHA-256 in hex".into()))
}

/// An authenticated request without a body about one blob of a case.
fn on_blob<S: Storage, R>(
    state: &AppState<S>,
    (case, sha): &(String, String),
    request: &Signed,
    f: impl FnOnce(&mut Service<S>, &str, &str, &[u8; 32]) -> Result<R, ServiceError>,
) -> Result<R, Failure> {
    authed_raw(state, request, |s, device, _, _| {
        f(s, device, case, &blob_hash(sha)?)
    })
}

async fn blob_status<S: Storage>(
    State(state): State<Arc<AppState<S>>>,
    Path(blob): Path<(String, String)>,
    request: Signed,
) -> Result<impl IntoResponse, Failure> {
    on_blob(&state, &blob, &request, |s, device, case, hash| {
        s.blob_status(device, case, hash)
    })
    .map(axum::Json)
}

#[derive(Deserialize)]
struct Chunk {
    size: u64,
    offset: u64,
}

async fn blob_chunk<S: Storage>(
    State(state): State<Arc<AppState<S>>>,
    Path((case, sha)): Path<(String, String)>,
    Query(q): Query<Chunk>,
    request: Signed,
) -> Result<impl IntoResponse, Failure> {
    // The request's signature covers the chunk's SHA-256: a chunk changed on the way is
    // refused before it is written.
    authed_raw(&state, &request, |s, device, body, _| {
        s.put_blob_chunk(device, &case, &blob_hash(&sha)?, (q.size, q.offset), body)
    })
    .map(axum::Json)
}

async fn blob_data<S: Storage>(
    State(state): State<Arc<AppState<S>>>,
    Path(blob): Path<(String, String)>,
    request: Signed,
) -> Result<impl IntoResponse, Failure> {
    let (size, mut reader) = on_blob(&state, &blob, &request, |s, device, case, hash| {
        s.open_blob(device, case, hash)
    })?;
    // Read on a blocking thread, a few chunks ahead of the network: memory stays bounded.
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
    Ok((
        [(axum::http::header::CONTENT_LENGTH, size.to_string())],
        axum::body::Body::from_stream(stream),
    ))
}

#[derive(Deserialize)]
struct FromSize {
    from: u64,
}

async fn consistency<S: Storage>(
    State(state): State<Arc<AppState<S>>>,
    Query(q): Query<FromSize>,
    request: Signed,
) -> Result<impl IntoResponse, Failure> {
    let mut service = lock(&state);
    authenticate(&state, &mut service, &request)?;
    Ok(axum::Json(service.consistency(q.from, state.clock.now())?))
}

/// The routes.
pub fn router<S: Storage>(state: Arc<AppState<S>>) -> Router {
    Router::new()
        .route("/v1/health", get(health::<S>))
        .route("/v1/enrol", post(enrol::<S>))
        .route("/v1/officers/enrol", post(officer_enrol::<S>))
        .route("/v1/sync", post(sync::<S>))
        .route("/v1/log/consistency", get(consistency::<S>))
        .route(
            "/v1/blobs/{case}/{sha}",
            get(blob_status::<S>).put(blob_chunk::<S>),
        )
        .route("/v1/blobs/{case}/{sha}/data", get(blob_data::<S>))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
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

/// Serves `router` over TLS on `addr` (port 0 picks one) until the handle shuts it down.
pub async fn serve_tls(
    router: Router,
    addr: SocketAddr,
    cert_pem: String,
    key_pem: String,
) -> Result<(Running, tokio::task::JoinHandle<std::io::Result<()>>), String> {
    // One process-wide TLS provider (ring: no C toolchain beyond cc needed).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config = axum_server::tls_rustls::RustlsConfig::from_pem(
        cert_pem.into_bytes(),
        key_pem.into_bytes(),
    )
    .await
    .map_err(|e| format!("TLS certificate: {e}"))?;
    let handle = axum_server::Handle::new();
    let task = tokio::spawn(
        axum_server::bind_rustls(addr, config)
            .handle(handle.clone())
            .serve(router.into_make_service()),
    );
    let addr = handle
        .listening()
        .await
        .ok_or_else(|| format!("cannot listen on {addr}"))?;
    Ok((Running { addr, handle }, task))
}
