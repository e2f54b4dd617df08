//! The server's lab sessions: one per open lesson page, each with a worker
//! process of its own, bounded in number, ended by the page, by Reset, by an
//! idle time-out, or with the server.
//!
//! PR_SET_PDEATHSIG fires when the *thread* that created a child ends, not
//! the process. So each session has an owner thread that starts the worker
//! and then only waits: the worker lives exactly as long as that thread, and
//! ending the session is ending the thread (which kills the worker first).

use std::collections::HashMap;
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::AsyncBufReadExt;
use tokio::sync::{broadcast, mpsc, oneshot};

use super::protocol::{Line, Op, Request, WorkerLine};
use crate::ns::{Spawn, Stdio};

/// The longest line read from a worker; a step's output is bounded well below.
const MAX_LINE: u64 = 8 << 20;
/// Requests that may wait for their turn in one session.
const MAX_QUEUED: usize = 8;

/// What a session's page is sent (its event stream).
#[derive(Debug, Clone)]
pub enum Event {
    /// A line from the worker.
    Line(Line),
    /// The lab was torn down and a fresh one started (Reset).
    Reset,
    /// The session has ended; `why` says how.
    Ended(&'static str),
}

/// Why a request to a session was not done.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The worker ended (it could not set up its lab, or was killed).
    #[error("this session's lab has ended{0}; press Reset for a new one")]
    Gone(String),
    /// The worker refused the request.
    #[error("{0}")]
    Refused(String),
    /// Too many requests wait in this session.
    #[error("too many requests are waiting in this session")]
    Busy,
    /// The worker could not be started.
    #[error("cannot start the session's worker: {0}")]
    Start(String),
}

/// The answer to a request: the runner's events it produced, as JSON lines.
pub type Answer = Result<Vec<String>, SessionError>;

/// A running worker, owned by its thread.
struct Worker {
    /// Dropping it wakes the owner thread, which kills the worker.
    stop: Option<std::sync::mpsc::Sender<()>>,
    owner: Option<std::thread::JoinHandle<()>>,
    stdin: Arc<tokio::net::unix::pipe::Sender>,
    pending: Arc<Mutex<HashMap<u64, mpsc::UnboundedSender<Line>>>>,
    /// How the worker ended, once it has: its last word on stderr is not
    /// kept, but a `lesson_cannot_run` event is.
    ended: Arc<Mutex<Option<String>>>,
    /// True once the worker's lab is up.
    ready: Arc<std::sync::atomic::AtomicBool>,
}

impl Worker {
    /// Starts `nslab serve-worker SOURCE DIGEST` on a thread of its own, and
    /// a task that reads its lines.
    async fn start(source: String, digest: String, events: broadcast::Sender<Event>) -> Result<Worker, SessionError> {
        let (ready_tx, ready_rx) = oneshot::channel::<Result<(OwnedFd, OwnedFd), String>>();
        let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
        let owner = std::thread::Builder::new()
            .name("nslab-session".into())
            .spawn(move || {
                let mut spawn = Spawn::new("/proc/self/exe");
                spawn.args(["serve-worker", source.as_str(), digest.as_str()]).stdio(Stdio::Piped, Stdio::Piped, Stdio::Inherit).death_signal(libc::SIGKILL);
                match spawn.start() {
                    Ok(mut process) => {
                        let fds = process.stdin.take().zip(process.stdout.take()).ok_or_else(|| "no pipes".to_string());
                        if ready_tx.send(fds).is_ok() {
                            // Until the session ends (the sender is dropped).
                            let _ = stop_rx.recv();
                        }
                        let _ = process.kill();
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e.to_string()));
                    }
                }
            })
            .map_err(|e| SessionError::Start(e.to_string()))?;
        let (stdin, stdout) = match ready_rx.await {
            Ok(Ok(fds)) => fds,
            Ok(Err(e)) => return Err(SessionError::Start(e)),
            Err(_) => return Err(SessionError::Start("the session's thread ended".into())),
        };
        let stdin = tokio::net::unix::pipe::Sender::from_owned_fd(stdin).map_err(|e| SessionError::Start(e.to_string()))?;
        let stdout = tokio::net::unix::pipe::Receiver::from_owned_fd(stdout).map_err(|e| SessionError::Start(e.to_string()))?;
        let pending: Arc<Mutex<HashMap<u64, mpsc::UnboundedSender<Line>>>> = Arc::default();
        let ended: Arc<Mutex<Option<String>>> = Arc::default();
        let ready: Arc<std::sync::atomic::AtomicBool> = Arc::default();
        tokio::spawn(read_lines(stdout, pending.clone(), ended.clone(), ready.clone(), events));
        Ok(Worker { stop: Some(stop_tx), owner: Some(owner), stdin: Arc::new(stdin), pending, ended, ready })
    }

    /// Ends the worker and waits for its thread (which kills and reaps it).
    fn end(mut self) {
        self.stop.take();
        if let Some(t) = self.owner.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Without a join: the owner thread kills the worker on its own.
        self.stop.take();
    }
}

/// Reads the worker's lines: each goes to the page's stream, and those
/// between `begin N` and `done N` to request N's waiter.
async fn read_lines(
    stdout: tokio::net::unix::pipe::Receiver,
    pending: Arc<Mutex<HashMap<u64, mpsc::UnboundedSender<Line>>>>,
    ended: Arc<Mutex<Option<String>>>,
    ready: Arc<std::sync::atomic::AtomicBool>,
    events: broadcast::Sender<Event>,
) {
    use tokio::io::AsyncReadExt;
    let mut reader = tokio::io::BufReader::new(stdout);
    let mut current: Option<u64> = None;
    loop {
        let mut buf = Vec::new();
        match (&mut reader).take(MAX_LINE).read_until(b'\n', &mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let Some(line) = Line::parse(String::from_utf8_lossy(&buf).trim_end()) else { continue };
        match &line {
            Line::Worker(WorkerLine::Begin { id }, _) => current = Some(*id),
            Line::Worker(WorkerLine::Ready, _) => ready.store(true, Ordering::SeqCst),
            Line::Report(event, _) => {
                if let crate::run::event::Event::LessonCannotRun { reason, .. } = &**event {
                    *ended.lock().unwrap_or_else(|p| p.into_inner()) = Some(reason.clone());
                }
            }
            _ => {}
        }
        let waiter = current.and_then(|id| pending.lock().unwrap_or_else(|p| p.into_inner()).get(&id).cloned());
        if let Some(w) = waiter {
            let _ = w.send(line.clone());
        }
        if let Line::Worker(WorkerLine::Done { id, .. }, _) = &line {
            pending.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
            current = None;
        }
        let _ = events.send(Event::Line(line));
    }
    // The worker is gone: whoever waits is told so (by their sender dropping).
    pending.lock().unwrap_or_else(|p| p.into_inner()).clear();
}

/// One lab session.
pub struct Session {
    /// Its id, as the page names it.
    pub id: String,
    /// The lesson it runs.
    pub lesson: String,
    source: String,
    /// The digest of the lesson text the server checked.
    digest: String,
    worker: Mutex<Option<Worker>>,
    turn: tokio::sync::Mutex<u64>,
    queued: AtomicUsize,
    events: broadcast::Sender<Event>,
    last_used: Mutex<Instant>,
    /// Event streams open on it.
    pub streams: AtomicUsize,
}

impl Session {
    /// Subscribes to the session's events.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// True when its lab is up (a page that connects late is told so).
    pub fn is_ready(&self) -> bool {
        self.worker.lock().unwrap_or_else(|p| p.into_inner()).as_ref().is_some_and(|w| w.ready.load(Ordering::SeqCst))
    }

    /// Marks the session as used now (for the idle time-out).
    pub fn touch(&self) {
        *self.last_used.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
    }

    fn idle_for(&self) -> Duration {
        self.last_used.lock().unwrap_or_else(|p| p.into_inner()).elapsed()
    }

    /// Asks the worker to do `op` on `step`, in turn after earlier requests,
    /// and returns the runner's events it produced.
    pub async fn request(&self, op: Op, step: &str) -> Answer {
        self.touch();
        /// Counts a request while it waits, also when its client goes away.
        struct Waiting<'a>(&'a AtomicUsize);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::SeqCst);
            }
        }
        let waiting = Waiting(&self.queued);
        if self.queued.fetch_add(1, Ordering::SeqCst) >= MAX_QUEUED {
            return Err(SessionError::Busy);
        }
        let mut turn = self.turn.lock().await;
        drop(waiting);
        *turn += 1;
        let id = *turn;
        let (tx, mut rx) = mpsc::unbounded_channel();
        let (stdin, ended) = {
            let guard = self.worker.lock().unwrap_or_else(|p| p.into_inner());
            let w = guard.as_ref().ok_or_else(|| SessionError::Gone(String::new()))?;
            w.pending.lock().unwrap_or_else(|p| p.into_inner()).insert(id, tx);
            (w.stdin.clone(), w.ended.clone())
        };
        let gone = || {
            let why = ended.lock().unwrap_or_else(|p| p.into_inner()).clone();
            SessionError::Gone(why.map(|w| format!(": {w}")).unwrap_or_default())
        };
        let mut text = serde_json::to_string(&Request { id, op, step: step.to_string() }).unwrap_or_default();
        text.push('\n');
        let mut written = 0;
        while written < text.len() {
            if stdin.writable().await.is_err() {
                return Err(gone());
            }
            match stdin.try_write(&text.as_bytes()[written..]) {
                Ok(n) => written += n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(_) => return Err(gone()),
            }
        }
        let mut events = Vec::new();
        while let Some(line) = rx.recv().await {
            match line {
                Line::Report(_, text) => events.push(text),
                Line::Worker(WorkerLine::Done { error: Some(e), .. }, _) => return Err(SessionError::Refused(e)),
                Line::Worker(WorkerLine::Done { .. }, _) => {
                    self.touch();
                    return Ok(events);
                }
                Line::Worker(..) => {}
            }
        }
        Err(gone())
    }

    /// Tears the lab down and starts a fresh one.
    pub async fn reset(&self) -> Result<(), SessionError> {
        self.touch();
        let old = self.worker.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(w) = old {
            // Killing and reaping a worker takes a few milliseconds.
            w.end();
        }
        let _ = self.events.send(Event::Reset);
        let fresh = Worker::start(self.source.clone(), self.digest.clone(), self.events.clone()).await?;
        *self.worker.lock().unwrap_or_else(|p| p.into_inner()) = Some(fresh);
        Ok(())
    }

    /// Ends the lab for good, waiting until its worker is dead.
    fn end(&self, why: &'static str) {
        let old = self.worker.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(w) = old {
            w.end();
        }
        let _ = self.events.send(Event::Ended(why));
    }
}

/// Every session of the server.
pub struct Sessions {
    map: Mutex<HashMap<String, Arc<Session>>>,
    max: usize,
    idle: Duration,
}

/// Why a session could not be made.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The limit is reached.
    #[error("too many lab sessions are open ({0}): close a tab, or wait for an idle one to time out")]
    TooMany(usize),
    /// The worker could not be started.
    #[error(transparent)]
    Start(#[from] SessionError),
}

impl Sessions {
    /// At most `max` sessions, each ended after `idle` without a request.
    pub fn new(max: usize, idle: Duration) -> Sessions {
        Sessions { map: Mutex::new(HashMap::new()), max, idle }
    }

    /// Opens a session for `lesson`, whose worker loads `source` and refuses
    /// it unless its text still has `digest`.
    pub async fn open(&self, lesson: &str, source: &str, digest: &str) -> Result<Arc<Session>, OpenError> {
        let id = super::access::new_id().map_err(|e| SessionError::Start(e.to_string()))?;
        let (events, _) = broadcast::channel(1024);
        let session = Arc::new(Session {
            id: id.clone(),
            lesson: lesson.to_string(),
            source: source.to_string(),
            digest: digest.to_string(),
            worker: Mutex::new(None),
            turn: tokio::sync::Mutex::new(0),
            queued: AtomicUsize::new(0),
            events: events.clone(),
            last_used: Mutex::new(Instant::now()),
            streams: AtomicUsize::new(0),
        });
        {
            // Count it before starting its worker, so that a burst of opens
            // cannot exceed the limit.
            let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
            if map.len() >= self.max {
                return Err(OpenError::TooMany(self.max));
            }
            map.insert(id.clone(), session.clone());
        }
        match Worker::start(source.to_string(), digest.to_string(), events).await {
            Ok(w) => {
                *session.worker.lock().unwrap_or_else(|p| p.into_inner()) = Some(w);
                Ok(session)
            }
            Err(e) => {
                self.map.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
                Err(e.into())
            }
        }
    }

    /// The session with this id.
    pub fn get(&self, id: &str) -> Option<Arc<Session>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).get(id).cloned()
    }

    /// How many are open.
    pub fn len(&self) -> usize {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// True when none is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Ends a session; false when there was none.
    pub fn close(&self, id: &str, why: &'static str) -> bool {
        let session = self.map.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
        match session {
            Some(s) => {
                s.end(why);
                true
            }
            None => false,
        }
    }

    /// Ends the sessions idle for longer than the time-out.
    pub fn reap_idle(&self) {
        let idle: Vec<String> = {
            let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
            map.values().filter(|s| s.idle_for() > self.idle).map(|s| s.id.clone()).collect()
        };
        for id in idle {
            self.close(&id, "idle");
        }
    }

    /// Ends every session (the server is stopping).
    pub fn close_all(&self) {
        let all: Vec<Arc<Session>> = self.map.lock().unwrap_or_else(|p| p.into_inner()).drain().map(|(_, s)| s).collect();
        for s in all {
            s.end("the server stopped");
        }
    }
}
