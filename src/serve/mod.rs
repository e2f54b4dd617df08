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
//! Server-Sent Events built in; a single runtime thread is plenty for one
//! reader on loopback, and the blocking parts (the labs) live in processes.

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
}

/// The default idle time-out of a session.
pub const DEFAULT_IDLE: Duration = Duration::from_secs(30 * 60);
/// The default bound on sessions.
pub const DEFAULT_MAX_SESSIONS: usize = 16;

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
    let site = site::Site::prepare(&opts.book)?;
    let lessons = served_lessons(opts.lessons.as_deref(), &opts.book)?;
    let token = access::new_token().map_err(io("cannot read /dev/urandom"))?;
    let listener = std::net::TcpListener::bind(("127.0.0.1", opts.port)).map_err(io(&format!("cannot listen on 127.0.0.1:{}", opts.port)))?;
    listener.set_nonblocking(true).map_err(io("cannot set up the socket"))?;
    let port = listener.local_addr().map_err(io("cannot read the socket's address"))?.port();
    let access = access::Access::new(token, port);
    let sessions = Arc::new(sessions::Sessions::new(opts.max_sessions, opts.idle));
    let app = http::App::new(access.clone(), site, lessons, sessions.clone());

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
        // Without TCP_NODELAY, Nagle's algorithm holds a step's second small
        // event back until the first is acknowledged: tens of milliseconds.
        use axum::serve::ListenerExt;
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let server = axum::serve(listener, http::router(app));
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
