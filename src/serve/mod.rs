//! `nslab serve`: the book, live. Every step block of a lesson page gets Run,
//! Skip and Hint (and Check and Solution for exercises); the step runs on the
//! reader's machine through the runner's own code, and the verdicts and the
//! namespace table appear under it.
//!
//! The server is multithreaded, and namespace work must not be: each lab
//! session is a worker process of its own (`nslab serve-worker`, see
//! [`worker`]), spoken to in JSON lines ([`protocol`]) and owned by a thread
//! that lives exactly as long as the session ([`sessions`]).
//!
//! The server acts as the user who started it, maybe root, so it listens on
//! 127.0.0.1 only, wants a random token with every request, checks Host and
//! Origin ([`access`]), and takes only `{lesson, step}` — never a command — in
//! small JSON bodies ([`http`]).
//!
//! HTTP is axum on a current-thread tokio runtime: a well-kept stack with
//! Server-Sent Events built in, and tower-http's `ServeFile` for the book's
//! files; a single runtime thread is plenty for one reader on loopback, and
//! the blocking parts (the labs) live in processes.

pub mod access;
pub mod http;
pub mod protocol;
pub mod sessions;
pub mod site;
pub mod worker;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::lesson::Lesson;

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// An mdBook to build, or a built book.
    pub book: PathBuf,
    /// The port on 127.0.0.1 (0: any free one).
    pub port: u16,
    /// The lessons that may run (default: `BOOK/../lessons`, else the built-in ones).
    pub lessons: Option<PathBuf>,
    /// A session without a request for this long is torn down.
    pub idle: Duration,
    /// At most this many sessions at once.
    pub max_sessions: usize,
    /// Run every preprocessor and output the book's `book.toml` names, not
    /// only nslab's (`--trust-book`).
    pub trust_book: bool,
    /// A connection must send a request's head within this time.
    pub header_timeout: Duration,
    /// At most this many connections open at once; more are answered 503 and closed.
    pub max_connections: usize,
}

/// The default idle time-out of a session.
pub const DEFAULT_IDLE: Duration = Duration::from_secs(30 * 60);
/// The default bound on sessions.
pub const DEFAULT_MAX_SESSIONS: usize = 16;
/// The default time a connection has to send a request's head.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// The default bound on open connections: room for every session's event
/// streams ([`DEFAULT_MAX_SESSIONS`] × [`http::MAX_STREAMS_PER_SESSION`]) and
/// as many again for requests.
pub const DEFAULT_MAX_CONNECTIONS: usize = 128;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The book could not be found or built.
    #[error("{0}")]
    Book(String),
    /// The lessons do not parse.
    #[error("the lessons do not parse:\n{0}")]
    Lessons(String),
    /// The port could not be bound, or the runtime not made.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        source: std::io::Error,
    },
}

/// A lesson the server may run, and where its worker loads it from.
#[derive(Debug, Clone)]
pub struct Served {
    /// The lesson, parsed.
    pub lesson: Lesson,
    /// `builtin:ID` or the lesson's file.
    pub source: String,
}

/// The lessons to serve: those in `dir`, else next to the book, else the built-in ones.
pub fn served_lessons(dir: Option<&std::path::Path>, book: &std::path::Path) -> Result<Vec<Served>, ServeError> {
    let beside = book.join("../lessons");
    let dir = dir.map(std::path::Path::to_path_buf).or_else(|| beside.is_dir().then_some(beside));
    let from_files = dir.is_some();
    let paths: Vec<PathBuf> = dir.into_iter().collect();
    let lessons = crate::catalog::load(&paths).map_err(|d| ServeError::Lessons(crate::lesson::render(&d, false)))?;
    Ok(lessons
        .into_iter()
        .map(|lesson| {
            let source = if from_files {
                std::fs::canonicalize(&lesson.source_path).unwrap_or_else(|_| lesson.source_path.clone()).display().to_string()
            } else {
                format!("builtin:{}", lesson.meta.id)
            };
            Served { lesson, source }
        })
        .collect())
}

/// Runs the server until SIGINT or SIGTERM; every lab is torn down before
/// it returns. `announce` is told the URL to open.
pub fn serve(opts: &ServeOptions, announce: impl FnOnce(&str)) -> Result<i32, ServeError> {
    let io = |what: &str| {
        let what = what.to_string();
        move |source| ServeError::Io { what, source }
    };
    let site = site::Site::prepare(&opts.book, opts.trust_book)?;
    let lessons = served_lessons(opts.lessons.as_deref(), &opts.book)?;
    let token = access::new_token().map_err(io("cannot read /dev/urandom"))?;
    let listener = std::net::TcpListener::bind(("127.0.0.1", opts.port)).map_err(io(&format!("cannot listen on 127.0.0.1:{}", opts.port)))?;
    listener.set_nonblocking(true).map_err(io("cannot set up the socket"))?;
    let port = listener.local_addr().map_err(io("cannot read the socket's address"))?.port();
    let access = access::Access::new(token, port);
    let sessions = Arc::new(sessions::Sessions::new(opts.max_sessions, opts.idle));
    let app = http::App::new(access.clone(), site, lessons, sessions.clone(), restart_command());

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(io("cannot start the runtime"))?;
    let result = runtime.block_on(async {
        let listener = tokio::net::TcpListener::from_std(listener).map_err(io("cannot set up the socket"))?;
        announce(&format!("http://127.0.0.1:{port}/?token={}", access.token()));
        let reaper = {
            let sessions = sessions.clone();
            let every = (opts.idle / 4).clamp(Duration::from_millis(100), Duration::from_secs(5));
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                loop {
                    tick.tick().await;
                    sessions.reap_idle();
                }
            })
        };
        let server = accept_loop(listener, http::router(app), opts.header_timeout, opts.max_connections);
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).map_err(io("cannot catch SIGTERM"))?;
        tokio::select! {
            r = server => r.map_err(io("the server failed"))?,
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        reaper.abort();
        Ok::<_, ServeError>(())
    });
    sessions.close_all();
    drop(runtime);
    result.map(|()| 0)
}

/// The command line this server was started with, quoted for a shell: what
/// a page tells its reader to run once the server has stopped.
fn restart_command() -> String {
    let quote = |s: String| {
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"/._-:=@,+".contains(&b)) { s } else { format!("'{}'", s.replace('\'', "'\\''")) }
    };
    let mut args = std::env::args();
    let program = args.next().map(|p| if p.ends_with("/nslab") && which_nslab().is_some_and(|w| w == std::path::Path::new(&p)) { "nslab".into() } else { p });
    program.into_iter().chain(args).map(quote).collect::<Vec<_>>().join(" ")
}

/// The `nslab` a shell finds on PATH.
fn which_nslab() -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join("nslab")).find(|p| p.is_file())
}

/// What a connection over the bound is told before it is closed.
const TOO_MANY_CONNECTIONS: &[u8] =
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 37\r\nConnection: close\r\n\r\ntoo many connections to nslab serve\r\n";

/// Accepts connections and serves each with HTTP/1.1: at most `max` at
/// once (the next is answered 503 and closed at once, so idle sockets
/// cannot pile up), each given `header_timeout` to send every request's
/// head (a connection that sends nothing is closed, and frees its place).
async fn accept_loop(listener: tokio::net::TcpListener, router: axum::Router, header_timeout: Duration, max: usize) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;
    let slots = Arc::new(tokio::sync::Semaphore::new(max));
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(s) => s,
            // Out of descriptors, or a connection reset before it was taken:
            // wait a moment rather than spin, and go on.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            let _ = stream.try_write(TOO_MANY_CONNECTIONS);
            drop(stream);
            continue;
        };
        // Without TCP_NODELAY, Nagle's algorithm holds a step's second small
        // event back until the first is acknowledged: tens of milliseconds.
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        tokio::spawn(async move {
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .serve_connection(TokioIo::new(stream), service)
                .await;
            drop(slot);
        });
    }
}
