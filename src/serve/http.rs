//! The HTTP surface: the book's files (pages get the live script), and a
//! small API that names lessons and steps, never commands.
//!
//! | request | does |
//! |---|---|
//! | `POST /api/sessions` `{"lesson":ID}` | opens a lab session for a lesson page |
//! | `GET /api/sessions/S/events` | its events (Server-Sent Events), after a `hello` with every step's latest state; closing it ends the session |
//! | `POST /api/sessions/S/run` (`skip`, `check`) `{"lesson":ID,"step":ID}` | does it; answers with the runner's JSON events and the worker's view lines |
//! | `GET /api/ping` | 204: the server is there |
//! | `POST /api/sessions/S/reset` | a fresh lab |
//! | `POST /api/sessions/S/close`, `DELETE /api/sessions/S` | ends the session |
//!
//! Every request passes `guard` first: Host, Origin, token, and a bound
//! on requests in flight.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tokio::sync::Semaphore;
use tower_http::services::ServeFile;

use super::Served;
use super::access::{Access, Credentials, TOKEN_HEADER};
use super::protocol::{Line, Op, WorkerLine, is_id};
use super::sessions::{Event, OpenError, Session, SessionError, Sessions};
use super::site::{self, Site};
use crate::lesson::StepKind;

/// The header that carries the number of a request's last line (see
/// [`super::sessions::PageState::seq`]).
pub const SEQ_HEADER: &str = "x-nslab-seq";

/// The largest request body accepted.
pub const MAX_BODY: usize = 4096;
/// Requests handled at once; more are answered 503.
pub const MAX_IN_FLIGHT: usize = 64;
/// Event streams open on one session at once (a tab needs one; a reload may
/// briefly hold two); more are answered 503. They outlive their request, so
/// the in-flight bound does not count them.
pub const MAX_STREAMS_PER_SESSION: usize = 4;

/// What the handlers share.
#[derive(Clone)]
pub struct App {
    access: Arc<Access>,
    site: Arc<Site>,
    lessons: Arc<Vec<Served>>,
    sessions: Arc<Sessions>,
    in_flight: Arc<Semaphore>,
    restart: Arc<str>,
}

impl App {
    /// The server's state; `restart` is the command line that starts it
    /// again, for a page to show once the server has stopped.
    pub fn new(access: Access, site: Site, lessons: Vec<Served>, sessions: Arc<Sessions>, restart: String) -> App {
        App {
            access: Arc::new(access),
            site: Arc::new(site),
            lessons: Arc::new(lessons),
            sessions,
            in_flight: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
            restart: restart.into(),
        }
    }

    fn lesson(&self, id: &str) -> Option<&Served> {
        self.lessons.iter().find(|s| s.lesson.meta.id == id)
    }
}

/// The routes, behind the guard.
pub fn router(app: App) -> Router {
    Router::new()
        .route("/api/ping", get(ping))
        .route("/api/sessions", post(open_session))
        .route("/api/sessions/{sid}", axum::routing::delete(close_session))
        .route("/api/sessions/{sid}/events", get(events))
        .route("/api/sessions/{sid}/{action}", post(act))
        .fallback(static_file)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn_with_state(app.clone(), guard))
        .with_state(app)
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let body = serde_json::json!({ "error": message.into() }).to_string();
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// A refusal in the form its asker reads: JSON for the API (the page shows
/// its `error` sentence), a short page for a browser loading a page.
fn refusal_for(path: &str, status: StatusCode, message: &str) -> Response {
    if path.starts_with("/api/") {
        return error(status, message);
    }
    let body = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>nslab serve</title></head><body><p>{}</p></body></html>\n",
        message.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
    );
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

/// Where the redirect that drops `?token=` goes: the same path, always on
/// this server. Leading slashes and backslashes are folded into one slash,
/// so that `//evil.example/` (which a browser reads as another host) cannot
/// make this server an open redirect.
pub fn local_location(path: &str) -> String {
    format!("/{}", path.trim_start_matches(['/', '\\']))
}

/// A request refused: its status, and the words for it.
struct Refused(StatusCode, String);

impl Refused {
    fn new(status: StatusCode, message: impl Into<String>) -> Refused {
        Refused(status, message.into())
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        error(self.0, self.1)
    }
}

/// Host, Origin and token; then a permit among the requests in flight.
/// A page load with `?token=` (the URL `nslab serve` printed) is answered
/// with the token as a cookie and a redirect to the same page without it.
async fn guard(State(app): State<App>, req: Request, next: Next) -> Response {
    let h = req.headers();
    let text = |name: &str| h.get(name).and_then(|v| v.to_str().ok());
    let cookies: Vec<&str> = h.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).collect();
    let cookies = cookies.join("; ");
    let creds = Credentials {
        host: text("host"),
        origin: text("origin"),
        fetch_site: text("sec-fetch-site"),
        token_header: text(TOKEN_HEADER),
        cookies: Some(cookies.as_str()),
    };
    if let Err(refusal) = app.access.check_site(&creds) {
        return refusal_for(req.uri().path(), StatusCode::FORBIDDEN, refusal.message());
    }
    if !app.access.has_token(&creds) {
        let query_token = req.uri().query().and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("token=")));
        if req.method() == Method::GET && query_token.is_some_and(|t| app.access.is_token(t)) {
            let mut res = Response::new(Body::empty());
            *res.status_mut() = StatusCode::SEE_OTHER;
            let to = HeaderValue::from_str(&local_location(req.uri().path())).unwrap_or(HeaderValue::from_static("/"));
            res.headers_mut().insert(header::LOCATION, to);
            if let Ok(v) = HeaderValue::from_str(&app.access.set_cookie()) {
                res.headers_mut().insert(header::SET_COOKIE, v);
            }
            return res;
        }
        return refusal_for(req.uri().path(), StatusCode::FORBIDDEN, super::access::Refusal::Token.message());
    }
    let Ok(_permit) = app.in_flight.clone().try_acquire_owned() else {
        return error(StatusCode::SERVICE_UNAVAILABLE, "too many requests at once");
    };
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert("cross-origin-resource-policy", HeaderValue::from_static("same-origin"));
    res
}

/// Parses a small JSON body strictly: JSON content type, known fields only
/// (a body naming a command has an unknown field, and is refused).
fn parse_body<T: for<'de> Deserialize<'de>>(headers: &HeaderMap, body: &Bytes) -> Result<T, Refused> {
    let json =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.split(';').next().is_some_and(|t| t.trim() == "application/json"));
    if !json {
        return Err(Refused::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "send JSON (Content-Type: application/json)"));
    }
    serde_json::from_slice(body).map_err(|e| Refused::new(StatusCode::BAD_REQUEST, format!("a request names a lesson and a step, nothing else: {e}")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OpenBody {
    lesson: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepBody {
    lesson: String,
    step: String,
}

/// Answers 204: a page asks, when its event stream breaks, whether the
/// server is still there.
async fn ping() -> StatusCode {
    StatusCode::NO_CONTENT
}

async fn open_session(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let req: OpenBody = match parse_body(&headers, &body) {
        Ok(r) => r,
        Err(res) => return res.into_response(),
    };
    if !is_id(&req.lesson) {
        return error(StatusCode::BAD_REQUEST, "not a lesson id");
    }
    let Some(served) = app.lesson(&req.lesson) else {
        return error(StatusCode::NOT_FOUND, format!("this server has no lesson {}", req.lesson));
    };
    match app.sessions.open(&served.lesson.meta.id, &served.source, &crate::lesson::digest(&served.lesson.source)).await {
        Ok(s) => {
            let body = serde_json::json!({ "session": s.id, "lesson": s.lesson }).to_string();
            (StatusCode::CREATED, [(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
        Err(e @ OpenError::TooMany(_)) => error(StatusCode::TOO_MANY_REQUESTS, e.to_string()),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

fn session(app: &App, sid: &str) -> Result<Arc<Session>, Refused> {
    app.sessions.get(sid).ok_or_else(|| Refused::new(StatusCode::NOT_FOUND, "no such session (it may have ended: idle, closed, or the server restarted)"))
}

async fn close_session(State(app): State<App>, Path(sid): Path<String>) -> Response {
    if app.sessions.close(&sid, "closed") { StatusCode::NO_CONTENT.into_response() } else { error(StatusCode::NOT_FOUND, "no such session") }
}

async fn act(State(app): State<App>, Path((sid, action)): Path<(String, String)>, headers: HeaderMap, body: Bytes) -> Response {
    let op = match action.as_str() {
        "run" => Op::Run,
        "skip" => Op::Skip,
        "check" => Op::Check,
        "close" => return close_session(State(app), Path(sid)).await,
        "reset" => {
            let s = match session(&app, &sid) {
                Ok(s) => s,
                Err(res) => return res.into_response(),
            };
            return match s.reset().await {
                Ok(()) => StatusCode::NO_CONTENT.into_response(),
                Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
            };
        }
        _ => return error(StatusCode::NOT_FOUND, "no such action: run, skip, check, reset or close"),
    };
    let req: StepBody = match parse_body(&headers, &body) {
        Ok(r) => r,
        Err(res) => return res.into_response(),
    };
    if !is_id(&req.lesson) || !is_id(&req.step) {
        return error(StatusCode::BAD_REQUEST, "a request names a lesson id and a step id, nothing else");
    }
    let s = match session(&app, &sid) {
        Ok(s) => s,
        Err(res) => return res.into_response(),
    };
    if req.lesson != s.lesson {
        return error(StatusCode::BAD_REQUEST, format!("this session runs lesson {}, not {}", s.lesson, req.lesson));
    }
    let Some(step) = app.lesson(&s.lesson).and_then(|l| l.lesson.step(&req.step)) else {
        return error(StatusCode::NOT_FOUND, format!("lesson {} has no step {}", s.lesson, req.step));
    };
    if op == Op::Check && step.kind != StepKind::Exercise {
        return error(StatusCode::BAD_REQUEST, format!("step {} is not an exercise: there is nothing to check", step.id));
    }
    match s.request(op, &req.step).await {
        Ok((events, seq)) => {
            let body: String = events.iter().map(|e| format!("{e}\n")).collect();
            (StatusCode::OK, [(header::CONTENT_TYPE, "application/x-ndjson".to_string()), (header::HeaderName::from_static(SEQ_HEADER), seq.to_string())], body)
                .into_response()
        }
        Err(e @ SessionError::Busy) => error(StatusCode::TOO_MANY_REQUESTS, e.to_string()),
        Err(e @ SessionError::Refused(_)) => error(StatusCode::CONFLICT, e.to_string()),
        Err(e @ SessionError::Gone(_)) => error(StatusCode::GONE, e.to_string()),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// How long a session outlives its page's last event stream: a stream lost
/// for a moment (a network hiccup, a suspended laptop) reconnects to the
/// same lab within it; a closed tab has also sent its close beacon.
pub const RECONNECT_GRACE: Duration = Duration::from_secs(5);

/// Ends the session when the last event stream of its page has been gone
/// for [`RECONNECT_GRACE`] (the tab was closed or left).
struct StreamGuard {
    sessions: Arc<Sessions>,
    session: Arc<Session>,
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        if self.session.streams.fetch_sub(1, std::sync::atomic::Ordering::SeqCst) == 1 {
            let (sessions, session) = (self.sessions.clone(), self.session.clone());
            tokio::spawn(async move {
                tokio::time::sleep(RECONNECT_GRACE).await;
                if session.streams.load(std::sync::atomic::Ordering::SeqCst) == 0 {
                    sessions.close(&session.id, "the page was closed");
                }
            });
        }
    }
}

/// The `hello` a stream starts with: whether the lab is up, how to start the
/// server again, and every step's latest lines (a reconnecting page catches
/// up on what it missed).
fn hello(s: &Session, restart: &str) -> SseEvent {
    let parse = |t: &Option<String>| t.as_deref().and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok()).unwrap_or(serde_json::Value::Null);
    let state = s.page_state();
    let steps: Vec<serde_json::Value> = state
        .steps
        .iter()
        .map(|(id, st)| serde_json::json!({ "step": id, "report": parse(&st.report), "view": parse(&st.view), "exercise": parse(&st.exercise), "quiet": st.quiet }))
        .collect();
    // A retry of one second: a lost stream is back (or the server known
    // gone) well within the two seconds a reader waits.
    SseEvent::default()
        .event("hello")
        .retry(Duration::from_secs(1))
        .data(serde_json::json!({ "ready": s.is_ready(), "restart": restart, "state": steps, "seq": state.seq }).to_string())
}

fn sse_event(event: Event) -> (SseEvent, bool) {
    match event {
        Event::Line(Line::Report(_, text), seq) => (SseEvent::default().event("report").id(seq.to_string()).data(text), false),
        Event::Line(Line::Worker(w, raw), seq) => {
            let name = match w {
                WorkerLine::Ready => "ready",
                WorkerLine::Begin { .. } => "begin",
                WorkerLine::Done { .. } => "done",
                WorkerLine::View(_) => "view",
                WorkerLine::Quiet { .. } => "quiet",
                WorkerLine::Exercise { .. } => "exercise",
            };
            (SseEvent::default().event(name).id(seq.to_string()).data(raw), false)
        }
        Event::Reset => (SseEvent::default().event("reset").data("{}"), false),
        Event::Ended(why) => (SseEvent::default().event("ended").data(serde_json::json!({ "why": why }).to_string()), true),
    }
}

async fn events(State(app): State<App>, Path(sid): Path<String>) -> Response {
    let s = match session(&app, &sid) {
        Ok(s) => s,
        Err(res) => return res.into_response(),
    };
    s.touch();
    if s.streams.fetch_add(1, std::sync::atomic::Ordering::SeqCst) >= MAX_STREAMS_PER_SESSION {
        s.streams.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        return error(StatusCode::SERVICE_UNAVAILABLE, "too many event streams on this session").into_response();
    }
    // Subscribe first, then read the state: a line in between comes twice, never not at all.
    let rx = s.subscribe();
    let hello = hello(&s, &app.restart);
    let guard = StreamGuard { sessions: app.sessions.clone(), session: s };
    let stream = futures_util::stream::unfold((rx, guard, Some(hello), false), |(mut rx, guard, first, over)| async move {
        if let Some(hello) = first {
            return Some((Ok::<_, Infallible>(hello), (rx, guard, None, false)));
        }
        if over {
            return None;
        }
        loop {
            match rx.recv().await {
                Ok(ev) => {
                    let (sse, last) = sse_event(ev);
                    return Some((Ok(sse), (rx, guard, None, last)));
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(5))).into_response()
}

/// An unknown page: the book's own 404 page (mdBook writes `404.html`), live
/// like every page; JSON for the API.
fn not_found(app: &App, path: &str) -> Response {
    if !path.starts_with("/api/")
        && let Some(page) = app.site.file("/404.html").and_then(|f| std::fs::read_to_string(f).ok())
    {
        return (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], site::inject(&page)).into_response();
    }
    refusal_for(path, StatusCode::NOT_FOUND, "no such page in the book")
}

/// The largest page the live script is added to (mdBook's pages are a few
/// hundred kilobytes; the whole book's print page is the largest).
const MAX_PAGE: usize = 64 * 1024 * 1024;

/// The book's files, served by tower-http's `ServeFile` (content type,
/// `HEAD`, ranges, `Last-Modified`, streamed from disk) once [`Site::file`]
/// has found the path inside the book; pages get the live script on the way.
async fn static_file(State(app): State<App>, mut req: Request) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return refusal_for(req.uri().path(), StatusCode::METHOD_NOT_ALLOWED, "the book is read with GET");
    }
    let path = req.uri().path().to_string();
    if let Some(name) = path.strip_prefix(site::LIVE_PREFIX) {
        return match name {
            "live.js" => ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], site::LIVE_JS).into_response(),
            "live.css" => ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], site::LIVE_CSS).into_response(),
            _ => error(StatusCode::NOT_FOUND, "no such file"),
        };
    }
    let Some(file) = app.site.file(&path) else {
        return not_found(&app, &path);
    };
    let page = mime_guess::from_path(&file).first().is_some_and(|m| m.essence_str() == "text/html");
    if page {
        // A page is changed on the way out: ranges, dates and tags of the
        // file on disk do not describe what is sent. It is read whole even
        // for HEAD, so that the length said is the length of the page sent.
        for name in [header::RANGE, header::IF_RANGE, header::IF_MODIFIED_SINCE, header::IF_UNMODIFIED_SINCE, header::IF_MATCH, header::IF_NONE_MATCH] {
            req.headers_mut().remove(name);
        }
        *req.method_mut() = Method::GET;
    }
    let res = match ServeFile::new(&file).try_call(req).await {
        Ok(res) => res,
        Err(_) => return not_found(&app, &path),
    };
    let (mut parts, body) = res.map(Body::new).into_parts();
    with_charset(&mut parts.headers);
    if !page || parts.status != StatusCode::OK {
        return Response::from_parts(parts, body);
    }
    let Ok(bytes) = axum::body::to_bytes(body, MAX_PAGE).await else {
        return refusal_for(&path, StatusCode::INTERNAL_SERVER_ERROR, "cannot read this page of the book");
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::ACCEPT_RANGES);
    parts.headers.remove(header::LAST_MODIFIED);
    parts.headers.remove(header::ETAG);
    Response::from_parts(parts, Body::from(site::inject(&String::from_utf8_lossy(&bytes))))
}

/// Text sent without a charset is said to be UTF-8, which the book's files
/// are (a browser would otherwise guess).
fn with_charset(headers: &mut HeaderMap) {
    let Some(kind) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else { return };
    if (kind.starts_with("text/") || kind == "application/javascript")
        && !kind.contains("charset")
        && let Ok(v) = HeaderValue::from_str(&format!("{kind}; charset=utf-8"))
    {
        headers.insert(header::CONTENT_TYPE, v);
    }
}

#[cfg(test)]
mod tests {
    use super::local_location;

    #[test]
    fn redirects_stay_local() {
        for (path, to) in
            [("/", "/"), ("//evil.example/x", "/evil.example/x"), ("/\\evil.example", "/evil.example"), ("/\\/x", "/x"), ("/a/b.html", "/a/b.html"), ("", "/")]
        {
            assert_eq!(local_location(path), to, "{path}");
        }
    }
}
