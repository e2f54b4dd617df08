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
    /// A line from the worker, and its number in the session (see [`PageState::seq`]).
    Line(Line, u64),
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

/// The answer to a request: the lines it produced (the runner's events, and
/// the worker's `view`, `quiet` and `exercise` lines), as JSON lines, and the
/// number of its last line.
pub type Answer = Result<(Vec<String>, u64), SessionError>;

/// What a page shows of one step, as the server last saw it: the latest of
/// each kind of line about it. A page that connects (or reconnects after a
/// lost stream) is sent all of it, so that it shows the server's state and
/// never its own guess.
#[derive(Debug, Clone, Default)]
pub struct StepState {
    /// The latest `step_started` or finishing event.
    pub report: Option<String>,
    /// The latest view (table, picture, hints).
    pub view: Option<String>,
    /// The open exercise's attach line.
    pub exercise: Option<String>,
    /// True when it last ran quietly (before a later step) and passed.
    pub quiet: bool,
}

/// Every step's [`StepState`], in the order they were first seen.
#[derive(Debug, Clone, Default)]
pub struct PageState {
    /// (step id, its state).
    pub steps: Vec<(String, StepState)>,
    /// The number of the last line taken in: every line a page is sent
    /// carries its number, so that a page that has the state up to N
    /// ignores older lines that reach it late.
    pub seq: u64,
}

impl PageState {
    fn step(&mut self, id: &str) -> &mut StepState {
        let at = match self.steps.iter().position(|(s, _)| s == id) {
            Some(at) => at,
            None => {
                self.steps.push((id.to_string(), StepState::default()));
                self.steps.len() - 1
            }
        };
        &mut self.steps[at].1
    }

    /// Takes in one line from the worker; returns its number.
    pub fn note(&mut self, line: &Line) -> u64 {
        self.seq += 1;
        self.take(line);
        self.seq
    }

    fn take(&mut self, line: &Line) {
        match line {
            Line::Report(event, text) => {
                use crate::run::event::Event as Run;
                let (step, started) = match &**event {
                    Run::StepStarted { step, .. } => (step, true),
                    Run::StepPassed(r) | Run::StepFailed(r) | Run::StepSkipped(r) => (&r.result.step, false),
                    _ => return,
                };
                let s = self.step(step);
                s.report = Some(text.clone());
                s.quiet = false;
                if started {
                    s.view = None;
                }
            }
            Line::Worker(WorkerLine::View(v), raw) => self.step(&v.step).view = Some(raw.clone()),
            Line::Worker(WorkerLine::Quiet { step }, _) => {
                let s = self.step(step);
                *s = StepState { quiet: true, ..StepState::default() };
            }
            Line::Worker(WorkerLine::Exercise { step, .. }, raw) => {
                // One exercise is open at a time.
                for (_, s) in &mut self.steps {
                    s.exercise = None;
                }
                self.step(step).exercise = Some(raw.clone());
            }
            Line::Worker(..) => {}
        }
    }
}

/// A running worker, owned by its thread.
struct Worker {
    /// Dropping it wakes the owner thread, which kills the worker.
    stop: Option<std::sync::mpsc::Sender<()>>,
    owner: Option<std::thread::JoinHandle<()>>,
    stdin: Arc<tokio::net::unix::pipe::Sender>,
    pending: Waiters,
    /// How the worker ended, once it has: its last word on stderr is not
    /// kept, but a `lesson_cannot_run` event is.
    ended: Arc<Mutex<Option<String>>>,
    /// True once the worker's lab is up.
    ready: Arc<std::sync::atomic::AtomicBool>,
}

/// Who waits for which request's lines (and their numbers), by request id.
type Waiters = Arc<Mutex<HashMap<u64, mpsc::UnboundedSender<(Line, u64)>>>>;

/// The page's state, shared by a session and its reader task.
type SharedState = Arc<Mutex<PageState>>;

impl Worker {
    /// Starts `nslab serve-worker SOURCE DIGEST` on a thread of its own, and
    /// a task that reads its lines.
    async fn start(source: String, digest: String, events: broadcast::Sender<Event>, state: SharedState) -> Result<Worker, SessionError> {
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
                        crate::run::cgroup::remove_of(process.pid() as u32);
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
        let pending: Waiters = Arc::default();
        let ended: Arc<Mutex<Option<String>>> = Arc::default();
        let ready: Arc<std::sync::atomic::AtomicBool> = Arc::default();
        tokio::spawn(read_lines(stdout, pending.clone(), ended.clone(), ready.clone(), events, state));
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
    pending: Waiters,
    ended: Arc<Mutex<Option<String>>>,
    ready: Arc<std::sync::atomic::AtomicBool>,
    events: broadcast::Sender<Event>,
    state: SharedState,
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
        // The state first, then the stream: a page that subscribes in
        // between sees the line twice (and ignores it by its number), never
        // not at all.
        let seq = state.lock().unwrap_or_else(|p| p.into_inner()).note(&line);
        let waiter = current.and_then(|id| pending.lock().unwrap_or_else(|p| p.into_inner()).get(&id).cloned());
        if let Some(w) = waiter {
            let _ = w.send((line.clone(), seq));
        }
        if let Line::Worker(WorkerLine::Done { id, .. }, _) = &line {
            pending.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
            current = None;
        }
        let _ = events.send(Event::Line(line, seq));
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
    state: SharedState,
    last_used: Mutex<Instant>,
    /// Event streams open on it.
    pub streams: AtomicUsize,
}

impl Session {
    /// Subscribes to the session's events.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// What the page should show now: every step's latest lines.
    pub fn page_state(&self) -> PageState {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).clone()
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
        while let Some((line, seq)) = rx.recv().await {
            match line {
                Line::Report(_, text) => events.push(text),
                Line::Worker(WorkerLine::Done { error: Some(e), .. }, _) => return Err(SessionError::Refused(e)),
                Line::Worker(WorkerLine::Done { .. }, _) => {
                    self.touch();
                    return Ok((events, seq));
                }
                Line::Worker(WorkerLine::View(_) | WorkerLine::Quiet { .. } | WorkerLine::Exercise { .. }, raw) => events.push(raw),
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
        {
            // Line numbers go on counting: a page ignores numbers it has seen.
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            *state = PageState { seq: state.seq, ..PageState::default() };
        }
        let _ = self.events.send(Event::Reset);
        let fresh = Worker::start(self.source.clone(), self.digest.clone(), self.events.clone(), self.state.clone()).await?;
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
            state: SharedState::default(),
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
        match Worker::start(source.to_string(), digest.to_string(), events, session.state.clone()).await {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str) -> Line {
        Line::parse(text).unwrap_or_else(|| panic!("not a line: {text}"))
    }

    #[test]
    fn the_page_state_keeps_each_steps_latest_lines() {
        let started = r#"{"event":"step_started","lesson":"l","step":"b","number":2,"total":2,"title":"B","action":"run: true"}"#;
        let view = r#"{"worker":"view","step":"b","kinds":[],"table":[],"hints":[]}"#;
        let mut state = PageState::default();
        assert_eq!(state.note(&line(r#"{"worker":"quiet","step":"a"}"#)), 1);
        assert_eq!(state.note(&line(started)), 2);
        assert_eq!(state.note(&line(view)), 3);
        assert_eq!(state.note(&line(r#"{"worker":"exercise","step":"c","attach":"nsenter …"}"#)), 4);
        assert_eq!(state.note(&line(r#"{"worker":"exercise","step":"d","attach":"nsenter …"}"#)), 5);
        assert_eq!(state.note(&line(r#"{"worker":"done","id":1}"#)), 6, "every line is numbered");
        fn get(state: &PageState, id: &str) -> StepState {
            state.steps.iter().find(|(s, _)| s == id).map(|(_, st)| st.clone()).unwrap()
        }
        assert!(get(&state, "a").quiet);
        assert_eq!(get(&state, "b").report.as_deref(), Some(started));
        assert_eq!(get(&state, "b").view.as_deref(), Some(view));
        assert!(get(&state, "c").exercise.is_none(), "one exercise is open at a time");
        assert!(get(&state, "d").exercise.is_some());
        // A step that starts again loses its old view; run quietly, it loses its report.
        state.note(&line(started));
        assert!(get(&state, "b").view.is_none());
        state.note(&line(r#"{"worker":"quiet","step":"b"}"#));
        assert!(get(&state, "b").quiet && get(&state, "b").report.is_none());
    }
}
