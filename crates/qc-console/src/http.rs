//! The console over HTTP, in the station's process and behind its TLS: the built page at
//! `/console/` and thin JSON handlers at `/console/api/` over [`Console`]. A session is a
//! cookie (HttpOnly, Secure, SameSite=Strict, path `/console`); every call but signing in and
//! reading the session also carries the session's CSRF token in `x-csrf-token`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use qc_server::http::AppState;
use qc_server::service::bureau::BureauKind;
use qc_station_storage::Storage;
use qc_station_storage::desk::DeskLogKind;
use qc_station_storage::rows::{CaseQuery, Period};
use rust_embed::RustEmbed;
use serde::{Deserialize, Serialize};

use crate::{Ask, Console, ConsoleError, EvidenceRead, Said, Session};

/// The session cookie's name.
pub const COOKIE: &str = "qc_console";
/// The header that carries the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The built page (`console/dist`, made by `npm run build` in `console/`, which
/// scripts/setup runs).
#[derive(RustEmbed)]
#[folder = "../../console/dist"]
#[allow_missing = true]
struct Page;

/// The console beside the station it serves.
pub struct Desk<S: Storage> {
    /// The station (its store and clock).
    pub station: Arc<AppState<S>>,
    /// The console's rules.
    pub console: Console,
}

/// The console's routes, to merge with the station's.
pub fn router<S: Storage>(desk: Arc<Desk<S>>) -> Router {
    Router::new()
        .route("/console/api/sign-in", post(sign_in::<S>))
        .route("/console/api/session", get(session::<S>))
        .route("/console/api/sign-out", post(sign_out::<S>))
        .route("/console/api/activation", post(enrolment::<S>))
        .route("/console/api/activate", post(activate::<S>))
        .route("/console/api/password", post(change_password::<S>))
        .route("/console/api/dashboard", get(dashboard::<S>))
        .route("/console/api/cases", get(cases::<S>))
        .route("/console/api/cases/{id}", get(case::<S>))
        .route(
            "/console/api/cases/{id}/evidence/{hash}",
            get(evidence::<S>),
        )
        .route(
            "/console/api/cases/{id}/play/{hash}/{token}",
            get(play::<S>),
        )
        .route("/console/api/cases/{id}/export", post(export::<S>))
        .route("/console/api/cases/{id}/reviews", post(review::<S>))
        .route("/console/api/devices", get(devices::<S>))
        .route("/console/api/people", get(people::<S>))
        .route(
            "/console/api/accounts",
            get(accounts::<S>).post(make_account::<S>),
        )
        .route(
            "/console/api/accounts/{login}/reset",
            post(reset_account::<S>),
        )
        .route(
            "/console/api/accounts/{login}/disable",
            post(disable_account::<S>),
        )
        .route(
            "/console/api/accounts/{login}/unlock",
            post(unlock_account::<S>),
        )
        .route("/console/api/devices/{id}/revoke", post(revoke_device::<S>))
        .route("/console/api/enrolment-codes", post(enrolment_code::<S>))
        .route("/console/api/bureau-files", get(bureau_files::<S>))
        .route(
            "/console/api/bureau-files/{kind}/preview",
            post(preview_bureau_file::<S>).layer(DefaultBodyLimit::max(BUREAU_BODY_MAX)),
        )
        .route(
            "/console/api/bureau-files/{kind}",
            post(import_bureau_file::<S>).layer(DefaultBodyLimit::max(BUREAU_BODY_MAX)),
        )
        .route("/console/api/logs", get(logs::<S>))
        .route("/console/api/admin-acts", get(admin_acts::<S>))
        .route(
            "/console/api/draws",
            get(draws::<S>)
                .post(plan_draw::<S>)
                .layer(DefaultBodyLimit::max(
                    qc_domain::draw::PLAN_MAX_BYTES + 64 * 1024,
                )),
        )
        .route(
            "/console/api/draws/register",
            post(preview_register::<S>)
                .layer(DefaultBodyLimit::max(crate::draw::REGISTER_MAX_BYTES + 1)),
        )
        .route("/console/api/draws/{id}/draw", post(make_draw::<S>))
        .route("/console/api/draws/{id}/reports", post(report_draw::<S>))
        .route("/console/api/public/disclosures", get(disclosures::<S>))
        .route("/console/api/public/draws", get(published_draws::<S>))
        .route("/console/api/public/draws/{id}/{file}", get(draw_file::<S>))
        .route("/console/api/{*rest}", get(no_such_call).post(no_such_call))
        .route(
            "/console",
            get(|| async { Redirect::permanent("/console/") }),
        )
        .route("/console/", get(index))
        .route("/console/{*path}", get(page))
        .with_state(desk)
}

/// A JSON form the page sent, or why it is not one (`what` names the form in Chinese and in
/// English, as "the … form").
pub(crate) fn form<T: serde::de::DeserializeOwned>(
    body: &[u8],
    what: (&str, &str),
) -> Result<T, ConsoleError> {
    serde_json::from_slice(body).map_err(|e| {
        tracing::info!(form = what.1, error = %e, "a console form refused");
        ConsoleError::BadRequest(form_fault(&e, what))
    })
}

/// A form field's name as the pages label it, in Chinese and in English (the key itself when
/// it has no label).
fn field_label(key: &str) -> (&str, &str) {
    match key {
        "login" => ("登录名", "Login"),
        "password" | "confirm" => ("密码", "Password"),
        "code" | "totp" => ("动态验证码", "One-time code"),
        "name" => ("姓名", "Name"),
        "role" => ("角色", "Role"),
        "old" => ("原密码", "Current password"),
        "new" => ("新密码", "New password"),
        "reason" => ("理由", "Reason"),
        "squad" => ("中队", "Squad"),
        "title" => ("抽查事项", "Inspection subject"),
        "count" => ("抽取数量", "Number to draw"),
        "targets" => ("检查对象名录", "Register of targets"),
        "inspectors" => ("执法人员", "Enforcement officers"),
        "target" => ("检查对象", "Target"),
        "outcome" => ("检查结果", "Result"),
        "items" => ("评查项目", "Review items"),
        "comment" => ("意见", "Comment"),
        "text" => ("文件内容", "File content"),
        other => (other, other),
    }
}

/// What is wrong with the form `what` (named in Chinese and in English), said in both: serde's
/// own words name types and tokens, for the log, not for a desk user.
fn form_fault(e: &serde_json::Error, (zh, en): (&str, &str)) -> Said {
    use serde_json::error::Category;
    let text = e.to_string();
    // serde names the field between backticks: `login`.
    let named = || text.split('`').nth(1).unwrap_or("").to_owned();
    match e.classify() {
        Category::Data if text.starts_with("missing field") => {
            let key = named();
            let (field_zh, field_en) = field_label(&key);
            Said::new(
                format!("{zh}缺少“{field_zh}”"),
                format!("“{field_en}” is missing from {en}"),
            )
        }
        Category::Data if text.starts_with("unknown variant") => {
            let value = named();
            Said::new(
                format!("{zh}中“{value}”不是可选的值"),
                format!("“{value}” is not one of the choices in {en}"),
            )
        }
        Category::Data => Said::new(
            format!("{zh}中有内容的类型或取值不正确（第 {} 列）", e.column()),
            format!(
                "Something in {en} has the wrong type or value (column {})",
                e.column()
            ),
        ),
        Category::Syntax | Category::Eof | Category::Io => Said::new(
            format!("{zh}不是有效的 JSON"),
            format!("What was sent as {en} is not valid JSON"),
        ),
    }
}

/// A JSON form sent without a session (sign-in, activation), which no CSRF token guards: only
/// as `application/json`, which a cross-site HTML form cannot send without the browser asking
/// first, so no other site signs a browser in to an account of its choosing.
fn json_form<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: &[u8],
    what: (&str, &str),
) -> Result<T, ConsoleError> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(ConsoleError::bad(
            format!("{}须以 JSON 提交", what.0),
            format!("Only JSON is taken for {}", what.1),
        ));
    }
    form(body, what)
}

/// A console error as the page reads it: status, and `{code, message, message_en}`, the
/// message in Chinese and in English (the page shows the one of its language).
struct Failure(ConsoleError);

impl From<ConsoleError> for Failure {
    fn from(e: ConsoleError) -> Failure {
        Failure(e)
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let e = self.0;
        if e.status() >= 500 {
            tracing::error!(error = %e, "console request failed");
        } else {
            tracing::info!(error = %e, "console request refused");
        }
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = Json(serde_json::json!({
            "code": e.code(),
            "message": e.message_zh(),
            "message_en": e.message_en(),
        }));
        let mut answer = (status, guarded(), body).into_response();
        if let ConsoleError::RangeNotSatisfiable { size } = e
            && let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}"))
        {
            answer.headers_mut().insert(header::CONTENT_RANGE, v);
        }
        answer
    }
}

/// Headers on every console answer: no framing, no sniffing, scripts and styles from here.
fn guarded() -> [(header::HeaderName, &'static str); 4] {
    [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data: blob:; frame-src blob:; \
             style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; \
             form-action 'self'",
        ),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
    ]
}

/// Runs `f` on a blocking thread (the store and Argon2 block).
async fn blocking<S: Storage, R: Send + 'static>(
    desk: &Arc<Desk<S>>,
    f: impl FnOnce(&Desk<S>, qc_domain::Timestamp) -> Result<R, ConsoleError> + Send + 'static,
) -> Result<R, Failure> {
    let desk = desk.clone();
    tokio::task::spawn_blocking(move || {
        let now = desk.station.clock.now();
        f(&desk, now)
    })
    .await
    .map_err(|e| {
        Failure(ConsoleError::Storage(
            qc_station_storage::StorageError::Backend(format!("console task: {e}")),
        ))
    })?
    .map_err(Failure)
}

/// The session cookie's token, if the request has one.
fn token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// The session of a request that acts (cookie and CSRF header both).
fn acting<S: Storage>(
    desk: &Desk<S>,
    headers: &HeaderMap,
    now: qc_domain::Timestamp,
) -> Result<(String, Session), ConsoleError> {
    let token = token(headers).ok_or(ConsoleError::NoSession)?;
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let session = desk
        .console
        .acting(desk.station.service.storage(), &token, csrf, now)?;
    Ok((token, session))
}

/// A call of a signed-in person: the console, the request's headers and where it came from.
/// The session (cookie and CSRF token) is checked when the request's head arrives, before any
/// body is read, and again when the call runs (a slow body may outlast the session).
struct Caller<S: Storage> {
    desk: Arc<Desk<S>>,
    headers: HeaderMap,
    source: String,
}

impl<S: Storage> FromRequestParts<Arc<Desk<S>>> for Caller<S> {
    type Rejection = Failure;

    async fn from_request_parts(
        parts: &mut Parts,
        desk: &Arc<Desk<S>>,
    ) -> Result<Caller<S>, Failure> {
        let ConnectInfo(peer) = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .copied()
            .ok_or_else(|| {
                Failure(ConsoleError::Storage(
                    qc_station_storage::StorageError::Backend(
                        "served without the peer's address".into(),
                    ),
                ))
            })?;
        let headers = parts.headers.clone();
        let checked = headers.clone();
        blocking(desk, move |d, now| acting(d, &checked, now)).await?;
        Ok(Caller {
            desk: desk.clone(),
            headers,
            source: peer.ip().to_string(),
        })
    }
}

impl<S: Storage> Caller<S> {
    /// Runs `f` on a blocking thread with the caller's session (checked again now), its token
    /// and where the request came from, and the time.
    async fn run<R: Send + 'static>(
        self,
        f: impl FnOnce(
            &Desk<S>,
            &Session,
            (&str, &str),
            qc_domain::Timestamp,
        ) -> Result<R, ConsoleError>
        + Send
        + 'static,
    ) -> Result<R, Failure> {
        let Caller {
            desk,
            headers,
            source,
        } = self;
        blocking(&desk, move |d, now| {
            let (token, session) = acting(d, &headers, now)?;
            f(d, &session, (&token, &source), now)
        })
        .await
    }

    /// [`Caller::run`], `f` given the session, the source and the time; its answer goes back
    /// as JSON.
    async fn act<R: Serialize + Send + 'static>(
        self,
        f: impl FnOnce(&Desk<S>, &Session, &str, qc_domain::Timestamp) -> Result<R, ConsoleError>
        + Send
        + 'static,
    ) -> Result<Response, Failure> {
        let answer = self
            .run(move |d, session, (_, source), now| f(d, session, source, now))
            .await?;
        Ok((guarded(), Json(answer)).into_response())
    }
}

fn cookie(value: &str, max_age: Option<u32>) -> HeaderValue {
    let age = max_age.map_or(String::new(), |s| format!("; Max-Age={s}"));
    HeaderValue::from_str(&format!(
        "{COOKIE}={value}; Path=/console; HttpOnly; Secure; SameSite=Strict{age}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("qc_console=; Path=/console; Max-Age=0"))
}

/// What the sign-in form sends.
#[derive(Deserialize)]
struct SignInForm {
    login: String,
    password: String,
    code: String,
}

async fn sign_in<S: Storage>(
    State(desk): State<Arc<Desk<S>>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Failure> {
    let form: SignInForm = json_form(&headers, &body, ("登录表单", "the sign-in form"))?;
    let signed_in = blocking(&desk, move |d, now| {
        d.console.sign_in(
            d.station.service.storage(),
            &form.login,
            &form.password,
            form.code.trim(),
            &peer.ip().to_string(),
            now,
        )
    })
    .await?;
    Ok(session_begun(&signed_in))
}

/// The answer that begins a session: its cookie, and the session for the page.
fn session_begun(signed_in: &crate::SignedIn) -> Response {
    let mut answer = (guarded(), Json(&signed_in.session)).into_response();
    answer
        .headers_mut()
        .insert(header::SET_COOKIE, cookie(&signed_in.token, None));
    answer
}

/// What the activation page sends to see the authenticator to enrol.
#[derive(Deserialize)]
struct EnrolmentForm {
    login: String,
    code: String,
}

/// Whose account an activation code opens, and the authenticator to enrol (no session yet:
/// the code is the holder's proof).
async fn enrolment<S: Storage>(
    State(desk): State<Arc<Desk<S>>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Failure> {
    let form: EnrolmentForm = json_form(&headers, &body, ("激活表单", "the activation form"))?;
    let shown = blocking(&desk, move |d, now| {
        let store = d.station.service.storage();
        let code = (form.login.as_str(), form.code.as_str());
        d.console
            .enrolment(store, code, &peer.ip().to_string(), now)
    })
    .await?;
    Ok(kept_nowhere((guarded(), Json(shown)).into_response()))
}

/// An account activated by its holder, who is then signed in.
async fn activate<S: Storage>(
    State(desk): State<Arc<Desk<S>>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Failure> {
    let form: crate::ActivationForm =
        json_form(&headers, &body, ("激活表单", "the activation form"))?;
    let signed_in = blocking(&desk, move |d, now| {
        let store = d.station.service.storage();
        d.console.activate(store, form, &peer.ip().to_string(), now)
    })
    .await?;
    Ok(session_begun(&signed_in))
}

/// The signed-in person's password changed; every session of theirs ends, this one too.
async fn change_password<S: Storage>(
    caller: Caller<S>,
    body: axum::body::Bytes,
) -> Result<Response, Failure> {
    caller
        .run(move |d, session, (_, source), now| {
            let form: crate::PasswordForm =
                form(&body, ("修改密码表单", "the password change form"))?;
            d.console
                .change_password(&d.station.service, session, form, source, now)
        })
        .await?;
    Ok(session_ended())
}

async fn session<S: Storage>(
    State(desk): State<Arc<Desk<S>>>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let token = token(&headers).ok_or(ConsoleError::NoSession)?;
    let session = blocking(&desk, move |d, now| {
        d.console.session(d.station.service.storage(), &token, now)
    })
    .await?;
    Ok((guarded(), Json(session)).into_response())
}

async fn sign_out<S: Storage>(caller: Caller<S>) -> Result<Response, Failure> {
    caller
        .run(|d, session, (token, source), now| {
            let store = d.station.service.storage();
            d.console.sign_out(store, token, session, source, now)
        })
        .await?;
    Ok(session_ended())
}

/// The answer that ends a session: its cookie cleared.
fn session_ended() -> Response {
    let mut answer = (StatusCode::NO_CONTENT, guarded()).into_response();
    answer
        .headers_mut()
        .insert(header::SET_COOKIE, cookie("", Some(0)));
    answer
}

/// The dashboard's period (ms since the epoch; either end open).
#[derive(Deserialize)]
struct PeriodQuery {
    from: Option<i64>,
    to: Option<i64>,
}

async fn dashboard<S: Storage>(
    caller: Caller<S>,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, Failure> {
    let period = Period {
        from: q.from,
        to: q.to,
    };
    caller
        .act(move |d, session, source, now| {
            d.console
                .dashboard(&d.station.service, session, period, source, now)
        })
        .await
}

/// A search of the case list.
#[derive(Deserialize)]
struct CasesQuery {
    q: Option<String>,
    status: Option<String>,
    squad: Option<String>,
    domain: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
}

async fn cases<S: Storage>(
    caller: Caller<S>,
    Query(q): Query<CasesQuery>,
) -> Result<Response, Failure> {
    let query = CaseQuery {
        text: q.q,
        status: q.status,
        squad: q.squad,
        domain: q.domain,
        limit: q.limit.unwrap_or(50),
        offset: q.offset.unwrap_or(0),
    };
    caller
        .act(move |d, session, source, now| {
            let store = d.station.service.storage();
            d.console.cases(store, session, query, source, now)
        })
        .await
}

async fn case<S: Storage>(caller: Caller<S>, Path(id): Path<String>) -> Result<Response, Failure> {
    caller
        .act(move |d, session, source, now| {
            d.console
                .case(&d.station.service, session, &id, source, now)
        })
        .await
}

/// An evidence file, streamed from the store with its type (the page fetches it with the CSRF
/// header like any call, and shows it from a blob URL); the part a `Range` header asks for.
async fn evidence<S: Storage>(
    caller: Caller<S>,
    method: Method,
    Path((id, hash)): Path<(String, String)>,
) -> Result<Response, Failure> {
    let (range, if_range) = asked(&method, &caller.headers);
    let file = caller
        .run(move |d, session, (_, source), now| {
            let ask = Ask {
                range: range.as_deref(),
                if_range: if_range.as_deref(),
            };
            let file = (id.as_str(), hash.as_str(), ask);
            d.console
                .evidence(&d.station.service, session, file, source, now)
        })
        .await?;
    Ok(file_answer(file))
}

/// An audio or video file for the page's player (a media element: it sends the cookie and
/// `Range` headers, never the CSRF header, so the address carries the file's play token).
async fn play<S: Storage>(
    State(desk): State<Arc<Desk<S>>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    headers: HeaderMap,
    Path((id, hash, play)): Path<(String, String, String)>,
) -> Result<Response, Failure> {
    let file = blocking(&desk, move |d, now| {
        let token = token(&headers).ok_or(ConsoleError::NoSession)?;
        let store = d.station.service.storage();
        let session = d.console.playing(store, &token, (&id, &hash, &play), now)?;
        let (range, if_range) = asked(&method, &headers);
        let ask = Ask {
            range: range.as_deref(),
            if_range: if_range.as_deref(),
        };
        let file = (id.as_str(), hash.as_str(), ask);
        let source = peer.ip().to_string();
        d.console
            .evidence(&d.station.service, &session, file, &source, now)
    })
    .await?;
    Ok(file_answer(file))
}

/// The `Range` and `If-Range` headers of a request, if readable: none but for a GET, the one
/// method ranges are defined for (a HEAD with `Range` answers as for the whole file).
fn asked(method: &Method, headers: &HeaderMap) -> (Option<String>, Option<String>) {
    if method != Method::GET {
        return (None, None);
    }
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    (text(header::RANGE), text(header::IF_RANGE))
}

/// An evidence file's answer: all of it (200), or the range asked for (206), streamed.
fn file_answer(file: EvidenceRead) -> Response {
    let (status, length) = match &file.range {
        Some(r) => (StatusCode::PARTIAL_CONTENT, r.end - r.start),
        None => (StatusCode::OK, file.size),
    };
    let mut answer = (
        status,
        guarded(),
        [
            (header::CONTENT_TYPE, file.media.to_owned()),
            (header::CONTENT_LENGTH, length.to_string()),
            (header::ACCEPT_RANGES, "bytes".to_owned()),
            (header::ETAG, file.tag.clone()),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        qc_server::http::streamed(file.bytes),
    )
        .into_response();
    if let Some(r) = file.range {
        let range = format!("bytes {}-{}/{}", r.start, r.end - 1, file.size);
        if let Ok(v) = HeaderValue::from_str(&range) {
            answer.headers_mut().insert(header::CONTENT_RANGE, v);
        }
    }
    answer
}

/// What confirms a signature: the account's password, typed again.
#[derive(Deserialize)]
struct Confirmed {
    password: String,
}

/// The verdict on an exported bundle, in headers beside its bytes: `intact` or `problems`.
pub const VERDICT_HEADER: &str = "x-quancheng-verdict";
/// How many problems verifying the exported bundle found.
pub const PROBLEMS_HEADER: &str = "x-quancheng-problems";

/// A case file exported and signed at the desk: the bundle's bytes to save, with the
/// verifier's verdict on them in headers.
async fn export<S: Storage>(
    caller: Caller<S>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, Failure> {
    let case = id.clone();
    let (exported, at) = caller
        .run(move |d, session, (_, source), now| {
            let form: Confirmed = form(&body, ("导出确认", "the export confirmation"))?;
            let case = (case.as_str(), form.password.as_str());
            let exported = d
                .console
                .export(&d.station.service, session, case, source, now)?;
            Ok((exported, now))
        })
        .await?;
    let verdict = if exported.report.is_clean() {
        "intact"
    } else {
        "problems"
    };
    // The case id is the station's own (checked to exist); only safe characters go into
    // the file name all the same.
    let name: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    Ok((
        guarded(),
        [
            (header::CONTENT_TYPE, "application/x-tar".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}-{}.qcbundle\"", at.0),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
            (
                header::HeaderName::from_static(VERDICT_HEADER),
                verdict.to_owned(),
            ),
            (
                header::HeaderName::from_static(PROBLEMS_HEADER),
                exported.report.problems.len().to_string(),
            ),
        ],
        exported.bundle,
    )
        .into_response())
}

/// Which page of a public list.
#[derive(Deserialize)]
struct PageQuery {
    limit: Option<u32>,
    offset: Option<u32>,
}

impl PageQuery {
    /// How many from where: `limit` by default, from the first.
    fn page(&self, limit: u32) -> (u32, u32) {
        (self.limit.unwrap_or(limit), self.offset.unwrap_or(0))
    }
}

/// The published penalty results: for anyone, without a session.
async fn disclosures<S: Storage>(
    State(desk): State<Arc<Desk<S>>>,
    Query(q): Query<PageQuery>,
) -> Result<Response, Failure> {
    let list = blocking(&desk, move |d, _| {
        d.console.published(d.station.service.storage(), q.page(20))
    })
    .await?;
    Ok((guarded(), Json(list)).into_response())
}

/// Which log, and how many lines.
#[derive(Deserialize)]
struct LogQuery {
    kind: String,
    limit: Option<u32>,
}

/// The log lines, as the page reads them.
#[derive(Serialize)]
struct LogLines {
    entries: Vec<crate::LogLine>,
}

/// The day whose administration acts are asked for (`YYYYMMDD`).
#[derive(Deserialize)]
struct DayQuery {
    day: Option<String>,
}

/// The administration acts of a day, as the page reads them.
#[derive(Serialize)]
struct AdminActs {
    acts: Vec<crate::AdminActItem>,
}

async fn admin_acts<S: Storage>(
    caller: Caller<S>,
    Query(q): Query<DayQuery>,
) -> Result<Response, Failure> {
    caller
        .act(move |d, session, source, now| {
            let day = q.day.as_deref();
            let acts = d
                .console
                .admin_acts(&d.station.service, session, day, source, now)?;
            Ok(AdminActs { acts })
        })
        .await
}

async fn logs<S: Storage>(
    caller: Caller<S>,
    Query(q): Query<LogQuery>,
) -> Result<Response, Failure> {
    let kind = match q.kind.as_str() {
        "login" => DeskLogKind::SignIn,
        "operation" => DeskLogKind::Operation,
        other => {
            return Err(ConsoleError::bad(
                format!("没有 {other} 这种日志"),
                format!("There is no log called {other}"),
            )
            .into());
        }
    };
    let limit = q.limit.unwrap_or(200);
    caller
        .act(move |d, session, source, now| {
            let store = d.station.service.storage();
            let entries = d.console.logs(store, session, (kind, limit), source, now)?;
            Ok(LogLines { entries })
        })
        .await
}

async fn devices<S: Storage>(caller: Caller<S>) -> Result<Response, Failure> {
    caller
        .act(|d, session, source, now| d.console.devices(&d.station.service, session, source, now))
        .await
}

async fn people<S: Storage>(caller: Caller<S>) -> Result<Response, Failure> {
    caller
        .act(|d, session, source, now| d.console.people(&d.station.service, session, source, now))
        .await
}

/// A form carrying a bureau's file: its text escaped in JSON takes at most twice its bytes.
const BUREAU_BODY_MAX: usize = 2 * crate::bureau::FILE_MAX_BYTES + 64 * 1024;

async fn bureau_files<S: Storage>(caller: Caller<S>) -> Result<Response, Failure> {
    caller
        .act(|d, session, source, now| {
            d.console
                .bureau_files(&d.station.service, session, source, now)
        })
        .await
}

/// A city's edited file, and for an import the digest previewed against and the
/// administrator's password that signs it.
#[derive(Deserialize)]
struct BureauFileForm {
    text: String,
    #[serde(default)]
    replacing: String,
    #[serde(default)]
    password: String,
}

/// The kind of file a path names.
fn bureau_kind(code: &str) -> Result<BureauKind, ConsoleError> {
    BureauKind::from_code(code).ok_or(ConsoleError::NotFound)
}

async fn preview_bureau_file<S: Storage>(
    caller: Caller<S>,
    Path(kind): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, Failure> {
    caller
        .act(move |d, session, source, now| {
            let kind = bureau_kind(&kind)?;
            let form: BureauFileForm = form(&body, ("导入文件表单", "the file import form"))?;
            let file = (kind, form.text.as_str());
            d.console
                .preview_bureau_file(&d.station.service, session, file, source, now)
        })
        .await
}

async fn import_bureau_file<S: Storage>(
    caller: Caller<S>,
    Path(kind): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, Failure> {
    caller
        .act(move |d, session, source, now| {
            let kind = bureau_kind(&kind)?;
            let form: BureauFileForm = form(&body, ("导入文件表单", "the file import form"))?;
            let file = (
                kind,
                form.text.as_str(),
                form.replacing.as_str(),
                form.password.as_str(),
            );
            d.console
                .import_bureau_file(&d.station.service, session, file, source, now)
        })
        .await
}

async fn accounts<S: Storage>(caller: Caller<S>) -> Result<Response, Failure> {
    let answer = caller
        .act(|d, session, source, now| d.console.accounts(&d.station.service, session, source, now))
        .await?;
    Ok(kept_nowhere(answer))
}

async fn make_account<S: Storage>(
    caller: Caller<S>,
    body: axum::body::Bytes,
) -> Result<Response, Failure> {
    let answer = caller
        .act(move |d, session, source, now| {
            let form: crate::AccountForm = form(&body, ("账号表单", "the account form"))?;
            d.console
                .make_account(&d.station.service, session, form, source, now)
        })
        .await?;
    Ok(kept_nowhere(answer))
}

/// A desk account reset by the administrator: the code its holder activates it with again.
async fn reset_account<S: Storage>(
    caller: Caller<S>,
    Path(login): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, Failure> {
    let answer = caller
        .act(move |d, session, source, now| {
            let form: crate::ResetForm = form(&body, ("重置账号表单", "the account reset form"))?;
            let reset = (login.as_str(), form);
            d.console
                .reset_account(&d.station.service, session, reset, source, now)
        })
        .await?;
    Ok(kept_nowhere(answer))
}

/// A desk account disabled by the administrator (its holder left).
async fn disable_account<S: Storage>(
    caller: Caller<S>,
    Path(login): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, Failure> {
    caller
        .act(move |d, session, source, now| {
            let form: crate::ResetForm =
                form(&body, ("停用账号表单", "the account disabling form"))?;
            d.console
                .disable_account(&d.station.service, session, (&login, form), source, now)
        })
        .await
}

/// A desk account locked by wrong attempts, opened again by the administrator.
async fn unlock_account<S: Storage>(
    caller: Caller<S>,
    Path(login): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, Failure> {
    caller
        .act(move |d, session, source, now| {
            let form: crate::ResetForm = form(&body, ("解除锁定表单", "the unlock form"))?;
            d.console
                .unlock_account(&d.station.service, session, (&login, form), source, now)
        })
        .await
}

/// An answer no cache keeps (an activation code or secret, the list of accounts).
fn kept_nowhere(mut answer: Response) -> Response {
    answer.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    answer
}

/// Why a device is revoked, and the administrator's password that signs it.
#[derive(Deserialize)]
struct RevokeForm {
    reason: String,
    #[serde(default)]
    password: String,
}

async fn revoke_device<S: Storage>(
    caller: Caller<S>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, Failure> {
    caller
        .act(move |d, session, source, now| {
            let form: RevokeForm = form(&body, ("吊销表单", "the revocation form"))?;
            let device = (id.as_str(), form.reason.as_str(), form.password.as_str());
            d.console
                .revoke_device(&d.station.service, session, device, source, now)
        })
        .await
}

/// A case-file review as filled in, and the password that signs it.
#[derive(Deserialize)]
struct ReviewForm {
    #[serde(flatten)]
    sheet: crate::ReviewSheet,
    password: String,
}

async fn review<S: Storage>(
    caller: Caller<S>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, Failure> {
    caller
        .act(move |d, session, source, now| {
            let form: ReviewForm = form(&body, ("评查表", "the review sheet"))?;
            let sheet = (id.as_str(), form.sheet, form.password.as_str());
            d.console
                .review(&d.station.service, session, sheet, source, now)
        })
        .await
}

/// The squad a new tablet is for, and the administrator's password that signs the code.
#[derive(Deserialize)]
struct CodeForm {
    squad: String,
    #[serde(default)]
    password: String,
}

async fn enrolment_code<S: Storage>(
    caller: Caller<S>,
    body: axum::body::Bytes,
) -> Result<Response, Failure> {
    caller
        .act(move |d, session, source, now| {
            let form: CodeForm = form(&body, ("登记码表单", "the enrolment code form"))?;
            let code = (form.squad.as_str(), form.password.as_str());
            d.console
                .enrolment_code(&d.station.service, session, code, source, now)
        })
        .await
}

async fn draws<S: Storage>(
    caller: Caller<S>,
    Query(q): Query<PageQuery>,
) -> Result<Response, Failure> {
    let page = q.page(20);
    caller
        .act(move |d, session, _, _| d.console.draws(&d.station.service, session, page))
        .await
}

/// A register file, as its bytes: read for a preview, nothing kept.
async fn preview_register<S: Storage>(
    caller: Caller<S>,
    body: axum::body::Bytes,
) -> Result<Response, Failure> {
    caller
        .act(move |d, session, _, _| d.console.preview_register(session, &body))
        .await
}

/// A plan, with the password that signs it.
#[derive(Deserialize)]
struct PlanDrawForm {
    #[serde(flatten)]
    plan: crate::draw::PlanForm,
    password: String,
}

async fn plan_draw<S: Storage>(
    caller: Caller<S>,
    body: axum::body::Bytes,
) -> Result<Response, Failure> {
    caller
        .act(move |d, session, source, now| {
            let form: PlanDrawForm = form(&body, ("抽查计划", "the inspection plan"))?;
            let plan = (form.plan, form.password.as_str());
            d.console
                .plan_draw(&d.station.service, session, plan, source, now)
        })
        .await
}

async fn make_draw<S: Storage>(
    caller: Caller<S>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, Failure> {
    caller
        .act(move |d, session, source, now| {
            let form: Confirmed = form(&body, ("抽取确认", "the draw confirmation"))?;
            let draw = (id.as_str(), form.password.as_str());
            d.console
                .make_draw(&d.station.service, session, draw, source, now)
        })
        .await
}

/// A report of an inspection, with the password that signs it.
#[derive(Deserialize)]
struct ReportDrawForm {
    #[serde(flatten)]
    report: crate::draw::ReportForm,
    password: String,
}

async fn report_draw<S: Storage>(
    caller: Caller<S>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, Failure> {
    caller
        .act(move |d, session, source, now| {
            let form: ReportDrawForm = form(&body, ("检查结果", "the inspection result"))?;
            let report = (id.as_str(), form.report, form.password.as_str());
            d.console
                .report_draw(&d.station.service, session, report, source, now)
        })
        .await
}

async fn published_draws<S: Storage>(
    State(desk): State<Arc<Desk<S>>>,
    Query(q): Query<PageQuery>,
) -> Result<Response, Failure> {
    let page = q.page(10);
    let list = blocking(&desk, move |d, _| {
        d.console.published_draws(&d.station.service, page)
    })
    .await?;
    Ok((guarded(), Json(list)).into_response())
}

async fn draw_file<S: Storage>(
    State(desk): State<Arc<Desk<S>>>,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, Failure> {
    let bytes = blocking(&desk, move |d, _| {
        d.console.draw_file(&d.station.service, &id, &file)
    })
    .await?;
    Ok((
        guarded(),
        [(header::CONTENT_TYPE, "application/json")],
        bytes,
    )
        .into_response())
}

async fn no_such_call() -> Failure {
    Failure(ConsoleError::bad("没有这个接口", "There is no such call"))
}

async fn index() -> Response {
    file("index.html")
}

/// A file of the page; any other path is the page itself (its router shows the view).
async fn page(Path(path): Path<String>) -> Response {
    if Page::get(&path).is_some() {
        file(&path)
    } else {
        file("index.html")
    }
}

fn file(path: &str) -> Response {
    let Some(f) = Page::get(path) else {
        tracing::error!(path, "the console page is not built (run scripts/setup)");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            guarded(),
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "控制台页面尚未构建，请运行 scripts/setup",
        )
            .into_response();
    };
    let mime = match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("woff2") => "font/woff2",
        Some("woff") => "font/woff",
        Some("ttf") => "font/ttf",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    };
    // Hashed asset names change with their content; the page itself is asked for each time.
    let cache = if path == "index.html" {
        "no-cache"
    } else {
        "public, max-age=31536000, immutable"
    };
    (
        guarded(),
        [(header::CONTENT_TYPE, mime), (header::CACHE_CONTROL, cache)],
        f.data.into_owned(),
    )
        .into_response()
}
