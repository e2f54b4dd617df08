//! `nslab serve` over HTTP on loopback: the same events as `nslab run`,
//! refusals that run nothing, sessions that stay apart and leave nothing
//! behind, exercises checked from an attached shell, and a real headless
//! Chromium pressing Run (with the Run-to-result benchmark).

mod support;

#[path = "e2e/cdp.rs"]
mod cdp;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{HostState, nslab_path, serial};

// ---- a server under test ------------------------------------------------------------

struct Server {
    child: Child,
    port: u16,
    token: String,
}

impl Server {
    /// `nslab serve --port 0 ARGS`, waiting for the URL it prints.
    fn start(args: &[&str]) -> Server {
        Server::start_as(support::As::Caller, args)
    }

    /// `nslab serve --port 0 ARGS` as `who`.
    fn start_as(who: support::As, args: &[&str]) -> Server {
        Server::start_with(who, args, &[])
    }

    /// `nslab serve --port 0 ARGS` as `who`, with `env` added.
    fn start_with(who: support::As, args: &[&str], env: &[(&str, &Path)]) -> Server {
        let mut command = support::command_as(who, nslab_path(), &[&["serve", "--port", "0"], args].concat());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child =
            command.env("PATH", path_with_nslab()).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().expect("starting nslab serve");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = out.read_line(&mut line);
            let _ = tx.send(line);
            // Keep reading so the server never blocks on a full pipe.
            let _ = std::io::copy(&mut out, &mut std::io::sink());
        });
        let line = rx.recv_timeout(Duration::from_secs(120)).expect("nslab serve printed no URL");
        let url = line.split_whitespace().find(|w| w.starts_with("http://")).unwrap_or_else(|| panic!("no URL in {line:?}"));
        let port = url["http://127.0.0.1:".len()..].split('/').next().unwrap().parse().unwrap();
        let token = url.split("token=").nth(1).unwrap().to_string();
        Server { child, port, token }
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// A request with the token and the right Host.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        let mut headers = vec![("X-Nslab-Token".to_string(), self.token.clone())];
        if body.is_some() {
            headers.push(("Content-Type".into(), "application/json".into()));
        }
        http(self.port, method, path, &self.host(), &headers, body.map(|b| b.to_string()).unwrap_or_default().as_bytes())
    }

    fn open(&self, lesson: &str) -> String {
        let r = self.call("POST", "/api/sessions", Some(json!({ "lesson": lesson })));
        assert_eq!(r.status, 201, "{}", r.body);
        r.json()["session"].as_str().unwrap().to_string()
    }

    /// `op` on a step; the events it answered with.
    fn step(&self, session: &str, op: &str, lesson: &str, step: &str) -> Vec<Value> {
        let r = self.call("POST", &format!("/api/sessions/{session}/{op}"), Some(json!({ "lesson": lesson, "step": step })));
        assert_eq!(r.status, 200, "{op} {step}: {}", r.body);
        // The runner's events; the worker's own lines (view, quiet, exercise) are left out.
        r.body.lines().filter(|l| !l.is_empty()).map(|l| serde_json::from_str::<Value>(l).unwrap()).filter(|v| v.get("event").is_some()).collect()
    }

    /// The server's children (the sessions' workers).
    fn workers(&self) -> Vec<i32> {
        children(self.child.id() as i32)
    }

    /// Stops it as Ctrl-C would, and waits.
    fn stop(mut self) {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "nslab serve did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Server {
    /// Stops the server as Ctrl-C would (it then removes its built book),
    /// and kills it only if it does not stop.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            // SAFETY: signalling our own child.
            unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
            let deadline = Instant::now() + Duration::from_secs(10);
            while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn path_with_nslab() -> std::ffi::OsString {
    let mut dirs = vec![nslab_path().parent().unwrap().to_path_buf()];
    dirs.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(Path::new(&home).join(".cargo/bin"));
    }
    std::env::join_paths(dirs).unwrap()
}

fn children(pid: i32) -> Vec<i32> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|d| {
            d.flatten()
                .flat_map(|t| {
                    std::fs::read_to_string(t.path().join("children"))
                        .unwrap_or_default()
                        .split_whitespace()
                        .filter_map(|p| p.parse().ok())
                        .collect::<Vec<i32>>()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Waits until `f` holds (at most `secs`).
fn eventually(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "waited {secs} s for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---- a minimal HTTP/1.1 client ----------------------------------------------------

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

fn send_request(port: u16, method: &str, path: &str, host: &str, headers: &[(String, String)], body: &[u8]) -> TcpStream {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    s
}

fn http(port: u16, method: &str, path: &str, host: &str, headers: &[(String, String)], body: &[u8]) -> Reply {
    let mut s = send_request(port, method, path, host, headers, body);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split_whitespace().nth(1)).and_then(|c| c.parse().ok()).unwrap_or(0);
    let headers = lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_string(), v.trim().to_string())).collect();
    let chunked = text.to_ascii_lowercase().contains("transfer-encoding: chunked");
    Reply { status, headers, body: if chunked { dechunk(body) } else { body.to_string() } }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].strip_prefix("\r\n").unwrap_or(&rest[n..]);
    }
    out
}

/// An open event stream: (event name, data) pairs arrive on the channel.
struct EventStream {
    stream: TcpStream,
    rx: mpsc::Receiver<(String, Value)>,
}

impl EventStream {
    fn open(server: &Server, session: &str) -> EventStream {
        EventStream::open_with_hello(server, session).0
    }

    /// Opens a stream and returns it with its `hello`.
    fn open_with_hello(server: &Server, session: &str) -> (EventStream, Value) {
        let headers = vec![("X-Nslab-Token".to_string(), server.token.clone())];
        let s = send_request(server.port, "GET", &format!("/api/sessions/{session}/events"), &server.host(), &headers, b"");
        let reader = s.try_clone().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut name = String::new();
            for line in BufReader::new(reader).lines() {
                let Ok(line) = line else { return };
                if let Some(n) = line.strip_prefix("event: ") {
                    name = n.to_string();
                } else if let Some(d) = line.strip_prefix("data: ")
                    && let Ok(v) = serde_json::from_str(d)
                    && tx.send((name.clone(), v)).is_err()
                {
                    return;
                }
            }
        });
        let es = EventStream { stream: s, rx };
        let hello = es.wait_for(|n, _| n == "hello", "hello");
        (es, hello)
    }

    /// Waits for an event that `pick` accepts; returns it.
    fn wait_for(&self, pick: impl Fn(&str, &Value) -> bool, what: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok((n, v)) if pick(&n, &v) => return v,
                Ok(_) => {}
                Err(_) => panic!("no {what} event within 30 s"),
            }
        }
    }

    fn close(self) {
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
    }
}

// ---- fixtures ---------------------------------------------------------------------------

/// A folder with a stand-in built book and the given lessons.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new(lessons: &[(&str, &str)]) -> Fixture {
        let dir = tempfile::Builder::new().prefix("nslab-serve-").tempdir().unwrap();
        support::set_mode(dir.path(), 0o755);
        std::fs::create_dir_all(dir.path().join("site")).unwrap();
        std::fs::write(dir.path().join("site/index.html"), "<html><head><title>book</title></head><body>book</body></html>").unwrap();
        std::fs::write(dir.path().join("site/404.html"), "<html><head><title>lost</title></head><body>Document not found (404)</body></html>").unwrap();
        std::fs::create_dir_all(dir.path().join("lessons")).unwrap();
        for (name, text) in lessons {
            std::fs::write(dir.path().join("lessons").join(name), text).unwrap();
        }
        Fixture { dir }
    }

    fn with_repo_lesson(name: &str) -> Fixture {
        let text = std::fs::read_to_string(repo().join("lessons").join(name)).unwrap();
        Fixture::new(&[(name, &text)])
    }

    fn with_fixture(name: &str) -> Fixture {
        let text = std::fs::read_to_string(repo().join("tests/fixtures/run").join(name)).unwrap();
        Fixture::new(&[(name, &text)])
    }

    fn lessons(&self) -> PathBuf {
        self.dir.path().join("lessons")
    }

    fn server(&self, extra: &[&str]) -> Server {
        self.server_as(support::As::Caller, extra)
    }

    fn server_as(&self, who: support::As, extra: &[&str]) -> Server {
        let lessons = self.lessons();
        let site = self.dir.path().join("site");
        let mut args = vec!["--lessons", lessons.to_str().unwrap()];
        args.extend_from_slice(extra);
        args.push(site.to_str().unwrap());
        Server::start_as(who, &args)
    }
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Replaces what differs from lab to lab: inode numbers, timings.
fn redact(events: &[Value]) -> Vec<Value> {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(map) => {
                for (k, val) in map.iter_mut() {
                    if matches!(k.as_str(), "ino" | "duration_ms" | "overhead_us" | "elapsed_ms") {
                        *val = json!(0);
                    } else {
                        walk(val);
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(walk),
            Value::String(s) => {
                let re = regex::Regex::new(r"\d{6,}").unwrap();
                *s = re.replace_all(s, "[INO]").into_owned();
            }
            _ => {}
        }
    }
    events
        .iter()
        .cloned()
        .map(|mut v| {
            walk(&mut v);
            v
        })
        .collect()
}

// ---- the tests -------------------------------------------------------------------------------

#[test]
fn a_step_run_returns_the_same_events_as_nslab_run() {
    if !support::require_root("a_step_run_returns_the_same_events_as_nslab_run") {
        return;
    }
    let _guard = serial();
    let before = HostState::now();
    for (fixture, lesson) in [(Fixture::with_repo_lesson("03-uts.md"), "uts"), (Fixture::with_fixture("pass.md"), "fixture-pass")] {
        let file = std::fs::read_dir(fixture.lessons()).unwrap().next().unwrap().unwrap().path();
        // Exercises are the reader's to do (Start / Check in the page); `run
        // --yes` runs their reference solution instead, so they are compared
        // elsewhere.
        let exercises: Vec<String> =
            nslab::lesson::check_file(&file).unwrap().steps.iter().filter(|s| s.kind == nslab::lesson::StepKind::Exercise).map(|s| s.id.clone()).collect();
        let run = Command::new(nslab_path()).args(["run", "--yes", "--format", "json"]).arg(&file).env("XDG_STATE_HOME", fixture.dir.path()).output().unwrap();
        let expected: Vec<Value> = String::from_utf8_lossy(&run.stdout)
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|v| v["event"].as_str().is_some_and(|e| e.starts_with("step_")))
            .filter(|v| !exercises.iter().any(|x| v["step"] == x.as_str()))
            .collect();
        assert!(!expected.is_empty());
        let server = fixture.server(&[]);
        let session = server.open(lesson);
        let steps: Vec<String> = expected.iter().filter(|v| v["event"] == "step_started").map(|v| v["step"].as_str().unwrap().to_string()).collect();
        let mut got = Vec::new();
        for step in &steps {
            got.extend(server.step(&session, "run", lesson, step));
        }
        assert_eq!(redact(&got), redact(&expected), "{lesson}: nslab serve and nslab run disagree");
        assert!(got.iter().filter(|e| e["event"] == "step_passed").count() == steps.len(), "{lesson}: every step passes");

        // Running a later step first replays the earlier ones quietly.
        let fresh = server.open(lesson);
        let last = steps.last().unwrap();
        let events = server.step(&fresh, "run", lesson, last);
        let names: Vec<&str> = events.iter().map(|e| e["event"].as_str().unwrap()).collect();
        assert_eq!(names, ["step_started", "step_passed"], "{lesson}: {events:?}");
        assert_eq!(events[1]["step"], json!(last));
        server.stop();
        before.assert_restored("nslab serve");
    }
}

#[test]
fn refused_requests_run_nothing() {
    if !support::require_root("refused_requests_run_nothing") {
        return;
    }
    let _guard = serial();
    // A step can no longer leave a mark on the machine (the lab is a
    // sandbox), so the mark is left in the session's lab, and a first step
    // looks for it: it passes only while no `touch` ever ran there.
    let marker = std::path::PathBuf::from("/run/nslab-marker");
    let lesson = format!(
        "---\nid: marker\ntitle: Marker\n---\n\n```nslab\nid: untouched\nrun: test ! -e {m}\nexpect: status 0\n```\n\n```nslab\nid: touch\nrun: touch {m}\nexpect: status 0\n```\n",
        m = marker.display()
    );
    let untouched = |server: &Server, session: &str| server.step(session, "run", "marker", "untouched")[1]["event"] == "step_passed";
    let fixture = Fixture::new(&[("marker.md", &lesson)]);
    let before = HostState::now();
    let server = fixture.server(&[]);
    let session = server.open("marker");
    let path = format!("/api/sessions/{session}/run");
    let good = json!({ "lesson": "marker", "step": "touch" }).to_string();
    let json_type = ("Content-Type".to_string(), "application/json".to_string());
    let token = ("X-Nslab-Token".to_string(), server.token.clone());
    let own_host = server.host();
    // (what, headers, Host, body, the status expected)
    type Case<'a> = (&'a str, Vec<(String, String)>, String, String, u16);
    let cases: Vec<Case> = vec![
        ("no token", vec![json_type.clone()], own_host.clone(), good.clone(), 403),
        ("a wrong token", vec![json_type.clone(), ("X-Nslab-Token".into(), "0".repeat(64))], own_host.clone(), good.clone(), 403),
        ("a token in the query of a POST", vec![json_type.clone()], own_host.clone(), good.clone(), 403),
        ("a foreign Origin", vec![json_type.clone(), token.clone(), ("Origin".into(), "http://evil.example".into())], own_host.clone(), good.clone(), 403),
        ("another port's Origin", vec![json_type.clone(), token.clone(), ("Origin".into(), "http://127.0.0.1:1".into())], own_host.clone(), good.clone(), 403),
        ("a cross-site fetch", vec![json_type.clone(), token.clone(), ("Sec-Fetch-Site".into(), "cross-site".into())], own_host.clone(), good.clone(), 403),
        ("a foreign Host (DNS rebinding)", vec![json_type.clone(), token.clone()], format!("evil.example:{}", server.port), good.clone(), 403),
        (
            "a command",
            vec![json_type.clone(), token.clone()],
            own_host.clone(),
            json!({ "lesson": "marker", "step": "touch", "command": "touch /tmp/x" }).to_string(),
            400,
        ),
        (
            "a command instead of a step",
            vec![json_type.clone(), token.clone()],
            own_host.clone(),
            json!({ "lesson": "marker", "command": format!("touch {}", marker.display()) }).to_string(),
            400,
        ),
        (
            "a command as the step",
            vec![json_type.clone(), token.clone()],
            own_host.clone(),
            json!({ "lesson": "marker", "step": format!("touch {}", marker.display()) }).to_string(),
            400,
        ),
        ("an unknown step", vec![json_type.clone(), token.clone()], own_host.clone(), json!({ "lesson": "marker", "step": "nope" }).to_string(), 404),
        ("another lesson", vec![json_type.clone(), token.clone()], own_host.clone(), json!({ "lesson": "uts", "step": "touch" }).to_string(), 400),
        ("not JSON", vec![("Content-Type".into(), "text/plain".into()), token.clone()], own_host.clone(), good.clone(), 415),
        (
            "a huge body",
            vec![json_type.clone(), token.clone()],
            own_host.clone(),
            format!("{{\"lesson\":\"marker\",\"step\":\"touch\",\"x\":\"{}\"}}", "a".repeat(10_000)),
            413,
        ),
    ];
    for (what, headers, host, body, status) in cases {
        let path = if what.contains("query") { format!("{path}?token={}", server.token) } else { path.clone() };
        let r = http(server.port, "POST", &path, &host, &headers, body.as_bytes());
        assert_eq!(r.status, status, "{what}: {}", r.body);
        assert!(untouched(&server, &session), "{what}: the step ran");
    }
    // Sessions too: no token, a lesson it does not serve, a bad id.
    let r = http(server.port, "POST", "/api/sessions", &own_host, std::slice::from_ref(&json_type), br#"{"lesson":"marker"}"#);
    assert_eq!(r.status, 403);
    let r = server.call("POST", "/api/sessions", Some(json!({ "lesson": "uts" })));
    assert_eq!(r.status, 404, "{}", r.body);
    let r = server.call("POST", "/api/sessions", Some(json!({ "lesson": "../../etc/passwd" })));
    assert_eq!(r.status, 400, "{}", r.body);
    // Pages too, and the token in the URL only turns into a cookie.
    assert_eq!(http(server.port, "GET", "/", &own_host, &[], b"").status, 403);
    assert_eq!(http(server.port, "GET", "/", &format!("localhost.evil.example:{}", server.port), std::slice::from_ref(&token), b"").status, 403);
    let r = http(server.port, "GET", &format!("/?token={}", server.token), &own_host, &[], b"");
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/"));
    let cookie = r.header("set-cookie").unwrap().split(';').next().unwrap().to_string();
    assert!(r.header("set-cookie").unwrap().contains("HttpOnly") && r.header("set-cookie").unwrap().contains("SameSite=Strict"));
    let page = http(server.port, "GET", "/", &own_host, &[("Cookie".into(), cookie.clone())], b"");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("/__nslab/live.js"), "{}", page.body);
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert_eq!(http(server.port, "GET", "/../../etc/passwd", &own_host, &[("Cookie".into(), cookie.clone())], b"").status, 404);
    assert!(untouched(&server, &session));
    // Event streams, which outlive their requests, are bounded per session.
    let mut streams: Vec<EventStream> = (0..4).map(|_| EventStream::open(&server, &session)).collect();
    let r = http(server.port, "GET", &format!("/api/sessions/{session}/events"), &own_host, std::slice::from_ref(&token), b"");
    assert_eq!(r.status, 503, "a fifth stream: {}", r.body);
    // Closing all but one keeps the session (its last stream closing would end it).
    let _kept = streams.remove(0);
    drop(streams);
    // The same request, done right, runs the step: the refusals were not vacuous.
    let events = server.step(&session, "run", "marker", "touch");
    assert_eq!(events[1]["event"], "step_passed");
    assert!(!untouched(&server, &session), "the mark is seen once made");
    // A lesson edited after the server checked it is not run: the page may
    // run only what was vetted (here a command that would leave a file).
    let edited = lesson.replace("run: touch", "run: echo edited > /dev/null; touch");
    std::fs::write(fixture.lessons().join("marker.md"), edited).unwrap();
    let fresh = server.open("marker");
    let r = server.call("POST", &format!("/api/sessions/{fresh}/run"), Some(json!({ "lesson": "marker", "step": "touch" })));
    assert_ne!(r.status, 200, "the edited lesson ran: {}", r.body);
    assert!(!r.body.contains("step_passed"), "the edited lesson's step ran: {}", r.body);
    server.stop();
    before.assert_restored("refused requests");
}

const APART: &str = "---\nid: apart\ntitle: Apart\n---\n\n\
```nslab\nid: fresh\nrun: test ! -e /run/mark && hostname\nexpect: status 0\n```\n\n\
```nslab\nid: mark\nrun: touch /run/mark && hostname marked\nexpect: status 0\n```\n\n\
```nslab\nid: box\nstart box: uts net\nexpect: box uts differs from host\n```\n\n\
```nslab\nid: see\nrun: test -e /run/mark && hostname\nexpect: stdout: marked\n```\n";

#[test]
fn many_sessions_at_once_stay_apart() {
    if !support::require_root("many_sessions_at_once_stay_apart") {
        return;
    }
    let _guard = serial();
    let fixture = Fixture::new(&[("apart.md", APART)]);
    let before = HostState::now();
    let server = fixture.server(&[]);
    // One session marks its lab; another, fresh, sees nothing of it.
    let a = server.open("apart");
    assert_eq!(server.step(&a, "run", "apart", "see")[1]["event"], "step_passed");
    let b = server.open("apart");
    assert_eq!(server.step(&b, "run", "apart", "fresh")[1]["event"], "step_passed", "b sees a's mark");
    // Fourteen more at once: sixteen in all, each with labs of its own.
    let ids: Vec<String> = (0..14).map(|_| server.open("apart")).collect();
    let labs: Vec<Value> = std::thread::scope(|s| {
        let handles: Vec<_> = ids.iter().map(|id| s.spawn(|| server.step(id, "run", "apart", "see"))).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect::<Vec<_>>()
            .into_iter()
            .map(|events| {
                assert_eq!(events[1]["event"], "step_passed", "{events:?}");
                events[1]["observed"]["host"]["current"].clone()
            })
            .collect()
    });
    for kind in ["uts", "net", "mnt", "pid", "ipc"] {
        let mut inos: Vec<u64> = labs.iter().map(|l| l[kind]["ino"].as_u64().unwrap()).collect();
        inos.sort();
        inos.dedup();
        assert_eq!(inos.len(), labs.len(), "every session has its own {kind} namespace");
    }
    // The seventeenth is refused, and runs nothing.
    let workers = server.workers().len();
    let r = server.call("POST", "/api/sessions", Some(json!({ "lesson": "apart" })));
    assert_eq!(r.status, 429, "{}", r.body);
    assert_eq!(server.workers().len(), workers);
    assert_eq!(workers, 16);
    server.stop();
    before.assert_restored("sixteen sessions");
}

#[test]
fn a_closed_session_leaves_nothing_behind() {
    if !support::require_root("a_closed_session_leaves_nothing_behind") {
        return;
    }
    let _guard = serial();
    let fixture = Fixture::with_fixture("pass.md");
    let before = HostState::now();
    let server = fixture.server(&["--idle-timeout", "2"]);
    let lesson = "fixture-pass";
    // The lesson's fifth step pins a namespace: a mount and a namespace to leave behind.
    let pin_step = "pin-the-box-s-net";
    let mounts = || std::fs::read_to_string("/proc/self/mountinfo").unwrap().lines().filter(|l| l.contains(" - nsfs ")).count();
    let nsfs_before = mounts();
    let opened = |server: &Server| {
        let s = server.open(lesson);
        let events = server.step(&s, "run", lesson, pin_step);
        assert_eq!(events[1]["event"], "step_passed", "{events:?}");
        s
    };
    let gone = |server: &Server, what: &str| {
        eventually(10, &format!("{what}: the worker to go"), || server.workers().is_empty());
    };
    // Closed by the page (DELETE, and the beacon's POST .../close).
    let s = opened(&server);
    assert_eq!(server.call("DELETE", &format!("/api/sessions/{s}"), None).status, 204);
    gone(&server, "DELETE");
    let s = opened(&server);
    assert_eq!(server.call("POST", &format!("/api/sessions/{s}/close"), None).status, 204);
    gone(&server, "close");
    assert_eq!(server.call("POST", &format!("/api/sessions/{s}/run"), Some(json!({ "lesson": lesson, "step": pin_step }))).status, 404);
    // Closed with the tab: its event stream goes away.
    let s = opened(&server);
    let stream = EventStream::open(&server, &s);
    stream.close();
    gone(&server, "the event stream closing");
    // Reset: a new worker, and the old lab gone with the old one.
    let s = opened(&server);
    let old = server.workers();
    let stream = EventStream::open(&server, &s);
    assert_eq!(server.call("POST", &format!("/api/sessions/{s}/reset"), None).status, 204);
    stream.wait_for(|n, _| n == "reset", "reset");
    stream.wait_for(|n, _| n == "ready", "ready");
    let new = server.workers();
    assert_eq!(new.len(), 1);
    assert_ne!(new, old);
    // The fresh lab has no box: running the step after the pin replays from the start.
    assert_eq!(server.step(&s, "run", lesson, "stop-the-box")[1]["event"], "step_passed");
    stream.close();
    gone(&server, "reset, then close");
    // The idle time-out (2 s here).
    let s = opened(&server);
    let started = Instant::now();
    gone(&server, "the idle time-out");
    assert!(started.elapsed() >= Duration::from_millis(1500), "ended before it was idle");
    assert_eq!(server.call("POST", &format!("/api/sessions/{s}/run"), Some(json!({ "lesson": lesson, "step": pin_step }))).status, 404);
    // The server stopping.
    let _s = opened(&server);
    assert_eq!(mounts(), nsfs_before, "pins live in the lab's own mount namespace");
    server.stop();
    before.assert_restored("closed sessions");
}

const EXERCISE: &str = "tests/fixtures/run/exercise.md";

#[test]
fn exercises_are_checked_in_a_shell_attached_to_the_lab() {
    if !support::require_root("exercises_are_checked_in_a_shell_attached_to_the_lab") {
        return;
    }
    let _guard = serial();
    let text = std::fs::read_to_string(repo().join(EXERCISE)).unwrap();
    let fixture = Fixture::new(&[("exercise.md", &text)]);
    let before = HostState::now();
    let server = fixture.server(&[]);
    let lesson = "fixture-exercise";
    let s = server.open(lesson);
    let stream = EventStream::open(&server, &s);
    let exercise = "a-shell-with-a-host-name-of-its-own";
    // Check with nothing done: it fails, and says why.
    let events = server.step(&s, "check", lesson, exercise);
    assert_eq!(events.last().unwrap()["event"], "step_failed", "{events:?}");
    let attach = stream.wait_for(|n, _| n == "exercise", "exercise")["attach"].as_str().unwrap().to_string();
    assert!(attach.starts_with("nsenter -t "), "{attach}");
    let view = stream.wait_for(|n, v| n == "view" && v["step"] == exercise, "view");
    assert!(view["hints"][0].as_str().unwrap().contains("type `check`"), "{view}");
    // The learner opens a shell with the printed command and types `check` there.
    let mut shell =
        Command::new("sh").args(["-c", &attach]).env("SHELL", "/bin/sh").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut input = shell.stdin.take().unwrap();
    input.write_all(b"unshare -u sh -c 'hostname lab && check; sleep 60'\n").unwrap();
    // Its `check` reaches the page too.
    let passed = stream.wait_for(|n, v| n == "report" && v["event"] != "step_started" && v["step"] == exercise, "the shell's check");
    assert_eq!(passed["event"], "step_passed", "{passed}");
    // Check in the page, while that shell lives: the same verdict.
    let events = server.step(&s, "check", lesson, exercise);
    assert_eq!(events.last().unwrap()["event"], "step_passed", "{events:?}");
    // Moving on ends what the learner started there.
    let pin_exercise = "keep-one-alive";
    let events = server.step(&s, "run", lesson, pin_exercise);
    assert!(events.is_empty(), "opening an exercise reports no verdict: {events:?}");
    eventually(10, "the attached shell to be ended", || shell.try_wait().unwrap().is_some());
    drop(input);
    // A pin the learner makes from a shell that has since exited counts.
    let attach = stream.wait_for(|n, v| n == "exercise" && v["step"] == pin_exercise, "exercise")["attach"].as_str().unwrap().to_string();
    let out = Command::new("sh")
        .args(["-c", &format!("echo \"touch mynet; unshare -n sh -c 'mount --bind /proc/\\$\\$/ns/net mynet'\" | {attach}")])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let events = server.step(&s, "check", lesson, pin_exercise);
    assert_eq!(events.last().unwrap()["event"], "step_passed", "{events:?}");
    stream.close();
    eventually(10, "the session to end", || server.workers().is_empty());
    server.stop();
    before.assert_restored("exercises");
}

#[test]
fn rootless_serve_runs_steps_and_attaches_shells() {
    if !support::require_root("rootless_serve_runs_steps_and_attaches_shells") {
        return;
    }
    let _guard = serial();
    let text = std::fs::read_to_string(repo().join(EXERCISE)).unwrap();
    let fixture = Fixture::new(&[("exercise.md", &text)]);
    let before = HostState::now();
    let server = fixture.server_as(support::As::Nobody, &[]);
    let lesson = "fixture-exercise";
    let s = server.open(lesson);
    let stream = EventStream::open(&server, &s);
    let exercise = "join-the-box";
    let events = server.step(&s, "run", lesson, exercise);
    assert!(events.is_empty(), "{events:?}");
    let attach = stream.wait_for(|n, _| n == "exercise", "exercise")["attach"].as_str().unwrap().to_string();
    assert!(attach.contains(" -U "), "a rootless lab is entered through its user namespace: {attach}");
    let out = support::command_as(support::As::Nobody, Path::new("sh"), &["-c", &format!("echo 'nsenter -t $NSLAB_PID_BOX -n sh -c check' | {attach}")])
        .env("SHELL", "/bin/sh")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("✔ the net namespace of your shell"),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let passed = stream.wait_for(|n, v| n == "report" && v["event"] != "step_started" && v["step"] == exercise, "the shell's check");
    assert_eq!(passed["event"], "step_passed", "{passed}");
    stream.close();
    eventually(10, "the session to end", || server.workers().is_empty());
    server.stop();
    before.assert_restored("a rootless server");
}

// ---- the browser ------------------------------------------------------------------------------

/// The repository's book, built once with the real mdBook (and this nslab
/// as its preprocessor); `None` (a skip) outside CI when mdBook is missing.
fn built_book() -> Option<&'static Path> {
    static BOOK: std::sync::OnceLock<Option<tempfile::TempDir>> = std::sync::OnceLock::new();
    // A static is never dropped: remove the built book when the tests exit.
    extern "C" fn remove_book() {
        if let Some(Some(dir)) = BOOK.get() {
            let _ = std::fs::remove_dir_all(dir.path());
        }
    }
    BOOK.get_or_init(|| {
        // SAFETY: registers a plain function with no arguments.
        unsafe { libc::atexit(remove_book) };
        let out = tempfile::Builder::new().prefix("nslab-test-book-").tempdir().unwrap();
        let built = Command::new("mdbook").arg("build").arg(repo().join("book")).arg("-d").arg(out.path()).env("PATH", path_with_nslab()).output();
        match built {
            Ok(o) if o.status.success() => Some(out),
            other => {
                assert!(std::env::var_os("CI").is_none(), "CI needs mdBook to build the book: {other:?}");
                eprintln!("skipping: mdBook is not installed");
                None
            }
        }
    })
    .as_ref()
    .map(|d| d.path())
}

fn browser_or_skip(test: &str) -> Option<PathBuf> {
    let found = cdp::chromium();
    if found.is_none() {
        assert!(std::env::var_os("CI").is_none(), "{test}: CI needs Chromium at {} (apt-get install chromium)", cdp::CHROMIUM);
        eprintln!("skipping {test}: no Chromium");
    }
    found
}

#[test]
fn serve_builds_the_book_it_is_given() {
    let _guard = serial();
    if built_book().is_none() {
        return;
    }
    let before = HostState::now();
    let server = Server::start(&["--lessons", repo().join("lessons").to_str().unwrap(), repo().join("book").to_str().unwrap()]);
    let page = server.call("GET", "/lessons/03-uts.html", None);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("data-step=\"name-the-lab\""), "the preprocessor ran");
    assert!(page.body.contains("<script src=\"/__nslab/live.js\" defer></script>"));
    let js = server.call("GET", "/__nslab/live.js", None);
    assert!(js.status == 200 && js.body.contains("nslabLive"));
    // The Chinese book beside it, under /zh/, each linking to the other.
    let zh = server.call("GET", "/zh/lessons/03-uts.html", None);
    assert_eq!(zh.status, 200);
    assert!(zh.body.contains("<html lang=\"zh\"") && zh.body.contains("data-step=\"name-the-lab\"") && zh.body.contains("第 1 步"), "the Chinese lesson page");
    assert!(zh.body.contains("href=\"../../lessons/03-uts.html\"") && page.body.contains("href=\"../zh/lessons/03-uts.html\""), "the language switch");
    // A Chinese page's lab runs the translation, and its verdicts come in Chinese.
    for (lang, words) in [(None, "the command exits with status 0"), (Some("zh"), "命令的退出状态是 0")] {
        let body = match lang {
            Some(l) => json!({ "lesson": "uts", "lang": l }),
            None => json!({ "lesson": "uts" }),
        };
        let r = server.call("POST", "/api/sessions", Some(body));
        assert_eq!(r.status, 201, "{}", r.body);
        let session = r.json()["session"].as_str().unwrap().to_string();
        let events = server.step(&session, "run", "uts", "name-the-lab");
        let passed = events.iter().find(|e| e["event"] == "step_passed").unwrap_or_else(|| panic!("{lang:?}: {events:?}"));
        let verdicts = passed["verdicts"].to_string();
        assert!(verdicts.contains(words), "{lang:?}: {verdicts}");
        assert_eq!(server.call("DELETE", &format!("/api/sessions/{session}"), None).status, 204);
    }
    server.stop();
    before.assert_restored("serving the book");
}

/// Opens a lesson page in Chromium and waits for its lab.
fn open_page(browser: &mut cdp::Browser, server: &Server, page: &str) -> (String, String) {
    let (target, session) = browser.open(&format!("{}?token={}", server.url(page), server.token));
    browser.wait_for(&session, "document.readyState === 'complete'", 30, "the page to load");
    let deadline = Instant::now() + Duration::from_secs(30);
    while browser.eval(&session, "!!(window.nslabLive && window.nslabLive.ready)") != json!(true) {
        let state = browser.eval(&session, "location.href + ' | ' + (document.querySelector('.nslab-live-state') || {}).textContent");
        assert!(Instant::now() < deadline, "the page's lab is not ready: {state}");
        std::thread::sleep(Duration::from_millis(10));
    }
    (target, session)
}

const RESULT: &str = "document.querySelector('#step-name-the-lab .nslab-live-result')";
const BLOCK: &str = "document.querySelector('#step-name-the-lab')";

#[test]
fn e2e_run_in_a_real_browser_shows_the_verified_result() {
    if !support::require_root("e2e_run_in_a_real_browser_shows_the_verified_result") {
        return;
    }
    let _guard = serial();
    let Some(chromium) = browser_or_skip("e2e") else { return };
    let Some(book) = built_book() else { return };
    let before = HostState::now();
    let server = Server::start(&["--lessons", repo().join("lessons").to_str().unwrap(), book.to_str().unwrap()]);
    let mut browser = cdp::Browser::start(&chromium);
    let (target, page) = open_page(&mut browser, &server, "/lessons/03-uts.html");
    assert_eq!(server.workers().len(), 1, "the page has a lab");
    browser.click(&page, "#step-name-the-lab .nslab-live-run");
    let text = browser.wait_for(&page, &format!("{RESULT}.querySelector('table') && {BLOCK}.innerText"), 30, "the result in the page");
    let text = text.as_str().unwrap();
    for words in ["✔ passed", "the command exits with status 0", "stdout is", "the lab's uts namespace stays the same", "│ lab.example", "uts\nlab\n"] {
        assert!(text.contains(words), "{words:?} not in:\n{text}");
    }
    // Each check of the page is marked where it stands: all held.
    let marks = browser.eval(&page, &format!("Array.from({BLOCK}.querySelectorAll('.nslab-expect > li')).map(li => li.dataset.mark || 'none').join(' ')"));
    assert_eq!(marks, json!("holds holds holds"), "{text}");
    // Running a later step first: its table shows box, with the new namespace marked.
    browser.click(&page, "#step-start-box .nslab-live-run");
    let table = browser.wait_for(&page, "document.querySelector('#step-start-box .nslab-live-result table')?.textContent", 30, "start-box's table");
    let table = table.as_str().unwrap();
    assert!(table.contains("box") && table.contains('*'), "{table}");
    let changed = browser.eval(&page, "Array.from(document.querySelectorAll('#step-start-box td.changed')).length");
    assert_eq!(changed, json!(1), "only box's uts cell changed:\n{table}");
    // A hint, and a failure's words: nothing hidden shows until asked.
    assert_eq!(browser.eval(&page, "getComputedStyle(document.querySelector('#step-start-box .nslab-hint')).display"), json!("none"));
    browser.click(&page, "#step-start-box .nslab-live-hint");
    assert_ne!(browser.eval(&page, "getComputedStyle(document.querySelector('#step-start-box .nslab-hint')).display"), json!("none"));
    // Closing the tab ends the lab.
    browser.close_tab(&target);
    eventually(10, "the tab's lab to end", || server.workers().is_empty());
    drop(browser);
    server.stop();
    before.assert_restored("the browser test");
}

#[test]
fn e2e_a_chinese_page_runs_the_translation_and_speaks_chinese() {
    if !support::require_root("e2e_a_chinese_page_runs_the_translation_and_speaks_chinese") {
        return;
    }
    let _guard = serial();
    let Some(chromium) = browser_or_skip("e2e zh") else { return };
    if built_book().is_none() {
        return;
    }
    let before = HostState::now();
    // The book's folder: the server builds the English book and the Chinese one.
    let server = Server::start(&["--lessons", repo().join("lessons").to_str().unwrap(), repo().join("book").to_str().unwrap()]);
    let mut browser = cdp::Browser::start(&chromium);
    let (target, page) = open_page(&mut browser, &server, "/zh/lessons/03-uts.html");
    let button = browser.eval(&page, "document.querySelector('#step-name-the-lab .nslab-live-run').textContent");
    assert_eq!(button, json!("运行"), "the buttons speak Chinese");
    browser.click(&page, "#step-name-the-lab .nslab-live-run");
    let text = browser.wait_for(&page, &format!("{RESULT}.querySelector('table') && {BLOCK}.innerText"), 30, "the result in the page");
    let text = text.as_str().unwrap();
    for words in ["✔ 通过", "命令的退出状态是 0", "实验环境的 uts 命名空间保持不变", "│ lab.example"] {
        assert!(text.contains(words), "{words:?} not in:\n{text}");
    }
    let marks = browser.eval(&page, &format!("Array.from({BLOCK}.querySelectorAll('.nslab-expect > li')).map(li => li.dataset.mark || 'none').join(' ')"));
    assert_eq!(marks, json!("holds holds holds"), "{text}");
    browser.close_tab(&target);
    eventually(10, "the tab's lab to end", || server.workers().is_empty());
    drop(browser);
    server.stop();
    before.assert_restored("the Chinese page in a browser");
}

/// The benchmark: from the Run button's click to the verified result shown,
/// against `nslab run --yes` of the same step. Goal: at most 50 ms more.
#[test]
fn benchmark_run_button_against_nslab_run() {
    if !support::require_root("benchmark_run_button_against_nslab_run") {
        return;
    }
    let _guard = serial();
    let Some(chromium) = browser_or_skip("benchmark") else { return };
    let Some(book) = built_book() else { return };
    const ROUNDS: usize = 15;
    let before = HostState::now();
    // The same step alone in a lesson, for nslab run.
    let uts = std::fs::read_to_string(repo().join("lessons/03-uts.md")).unwrap();
    let first_step_end = uts.find("```\n\n## A copy").unwrap() + 4;
    let alone = tempfile::tempdir().unwrap();
    let file = alone.path().join("one-step.md");
    std::fs::write(&file, &uts[..first_step_end]).unwrap();
    let mut cli = Vec::new();
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let out = Command::new(nslab_path()).args(["run", "--yes", "--format", "json"]).arg(&file).env("XDG_STATE_HOME", alone.path()).output().unwrap();
        cli.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(String::from_utf8_lossy(&out.stdout).contains("step_passed"));
    }
    let server = Server::start(&["--lessons", repo().join("lessons").to_str().unwrap(), book.to_str().unwrap()]);
    let mut browser = cdp::Browser::start(&chromium);
    let (_target, page) = open_page(&mut browser, &server, "/lessons/03-uts.html");
    let mut web = Vec::new();
    for _ in 0..ROUNDS {
        browser.wait_for(&page, "!document.querySelector('#step-name-the-lab .nslab-live-run').disabled", 30, "the Run button");
        browser.eval(&page, "delete window.nslabLive.timings['name-the-lab']; true");
        browser.click(&page, "#step-name-the-lab .nslab-live-run");
        let t = browser.wait_for(&page, "(t => t && t.shown !== undefined && t.shown - t.clicked)(window.nslabLive.timings['name-the-lab'])", 30, "the result");
        web.push(t.as_f64().unwrap());
    }
    drop(browser);
    server.stop();
    let median = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v[v.len() / 2]
    };
    let (web_ms, cli_ms) = (median(&mut web), median(&mut cli));
    eprintln!(
        "benchmark: Run button to result in the page: median {web_ms:.1} ms; nslab run --yes of the same step: median {cli_ms:.1} ms ({ROUNDS} rounds each; page minus run: {:+.1} ms)",
        web_ms - cli_ms
    );
    before.assert_restored("the benchmark");
    assert!(web_ms < cli_ms + 50.0, "the page takes {web_ms:.1} ms, nslab run {cli_ms:.1} ms: more than 50 ms more");
}

// ---- serve hardening (issue 13, part 4) ----------------------------------------------------

/// A small mdBook whose book.toml names programs of its own: a preprocessor
/// and a renderer that leave a marker. One lesson chapter.
fn hostile_book(marker: &Path) -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix("nslab-serve-book-src-").tempdir().unwrap();
    // The preprocessor says it supports no renderer (exit 1); the renderer succeeds.
    let touch = format!("sh -c 'touch {}; exit 1'", marker.display());
    let render = format!("sh -c 'touch {}'", marker.display());
    let toml = format!(
        "[book]\ntitle = \"hostile\"\nsrc = \"src\"\n\n[preprocessor.nslab]\ncommand = \"nslab mdbook\"\n\n\
         [preprocessor.evil]\ncommand = \"{touch}\"\n\n[output.html]\n\n[output.evil]\ncommand = \"{render}\"\noptional = true\n"
    );
    std::fs::write(dir.path().join("book.toml"), toml).unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/SUMMARY.md"), "# Summary\n\n- [Pass](pass.md)\n").unwrap();
    let lesson = std::fs::read_to_string(repo().join("tests/fixtures/run/pass.md")).unwrap();
    std::fs::write(dir.path().join("src/pass.md"), lesson).unwrap();
    dir
}

/// The build folders of servers in `tmp`.
fn build_folders(tmp: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(tmp)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("nslab-serve-book-") && e.path().is_dir())
        .map(|e| e.path())
        .collect();
    v.sort();
    v
}

#[test]
fn serve_runs_only_its_own_preprocessor_unless_the_book_is_trusted() {
    let _guard = serial();
    if built_book().is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let marker = tmp.path().join("ran");
    let book = hostile_book(&marker);
    let lessons = repo().join("tests/fixtures/run");
    let server = Server::start_with(support::As::Caller, &["--lessons", lessons.to_str().unwrap(), book.path().to_str().unwrap()], &[("TMPDIR", tmp.path())]);
    let page = server.call("GET", "/pass.html", None);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("data-step="), "nslab's own preprocessor rendered the lesson");
    assert!(!marker.exists(), "a preprocessor or renderer named in book.toml ran without --trust-book");
    assert!(!book.path().join("book").exists(), "nothing is written into the book's folder");
    server.stop();
    assert!(build_folders(tmp.path()).is_empty(), "the build folder is removed");
    // With --trust-book they run: the refusal above was not vacuous.
    let trusted = Server::start_with(
        support::As::Caller,
        &["--trust-book", "--lessons", lessons.to_str().unwrap(), book.path().to_str().unwrap()],
        &[("TMPDIR", tmp.path())],
    );
    assert!(marker.exists(), "--trust-book runs what book.toml names");
    assert_eq!(trusted.call("GET", "/pass.html", None).status, 200, "the html output is served among others");
    trusted.stop();
}

#[test]
fn every_server_builds_in_a_private_folder_of_its_own() {
    use std::os::unix::fs::PermissionsExt;
    let _guard = serial();
    if built_book().is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let book = hostile_book(&tmp.path().join("ran"));
    let lessons = repo().join("tests/fixtures/run");
    let args = ["--lessons", lessons.to_str().unwrap(), book.path().to_str().unwrap()];
    let env = [("TMPDIR", tmp.path())];
    let a = Server::start_with(support::As::Caller, &args, &env);
    let b = Server::start_with(support::As::Caller, &args, &env);
    let folders = build_folders(tmp.path());
    assert_eq!(folders.len(), 2, "{folders:?}");
    for f in &folders {
        assert_eq!(std::fs::metadata(f).unwrap().permissions().mode() & 0o777, 0o700, "{} is private", f.display());
    }
    // The second server's start left the first one's pages alone.
    assert_eq!(a.call("GET", "/pass.html", None).status, 200);
    // A server killed outright leaves its folder; the next start removes it,
    // and only it: a running server's folder is locked.
    let mut a = a;
    a.child.kill().unwrap();
    a.child.wait().unwrap();
    let c = Server::start_with(support::As::Caller, &args, &env);
    let now = build_folders(tmp.path());
    assert_eq!(now.len(), 2, "the killed server's folder is gone, b's and c's remain: {now:?}");
    assert_eq!(b.call("GET", "/pass.html", None).status, 200, "b still serves its pages");
    assert_eq!(c.call("GET", "/pass.html", None).status, 200);
    b.stop();
    c.stop();
    assert!(build_folders(tmp.path()).is_empty());
}

/// Reads what the server sends until it closes the connection (or `secs` pass).
fn read_until_closed(mut s: TcpStream, secs: u64) -> Option<(String, Duration)> {
    let started = Instant::now();
    s.set_read_timeout(Some(Duration::from_secs(secs))).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return Some((String::from_utf8_lossy(&got).into_owned(), started.elapsed())),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return Some((String::from_utf8_lossy(&got).into_owned(), started.elapsed())),
            Err(_) => return None,
        }
    }
}

#[test]
fn idle_and_slow_connections_are_closed_and_bounded() {
    let _guard = serial();
    let fixture = Fixture::with_fixture("pass.md");
    let server = fixture.server(&["--header-timeout-ms", "700", "--max-connections", "4"]);
    let connect = || TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    // Four connections that send nothing (or half a request head) fill the bound.
    let mut idle: Vec<TcpStream> = (0..4).map(|_| connect()).collect();
    idle[1].write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1").unwrap();
    std::thread::sleep(Duration::from_millis(100));
    // The fifth is told so and closed at once.
    let (answer, took) = read_until_closed(connect(), 5).expect("the fifth connection was left open");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer:?}");
    assert!(took < Duration::from_millis(500), "{took:?}");
    // The idle ones are closed by the header time limit, and free their places.
    for s in idle.drain(..) {
        let (_, took) = read_until_closed(s, 10).expect("an idle connection was never closed");
        assert!(took < Duration::from_secs(5), "closed only after {took:?}");
    }
    let r = server.call("GET", "/", None);
    assert_eq!(r.status, 200, "{}", r.body);
    server.stop();
}

#[test]
fn the_token_redirect_stays_on_this_server_and_unknown_pages_get_the_books_404() {
    let _guard = serial();
    let fixture = Fixture::with_fixture("pass.md");
    let server = fixture.server(&[]);
    let host = server.host();
    for (path, to) in [("/", "/"), ("//evil.example/", "/evil.example/"), ("///evil.example", "/evil.example"), ("/lessons/x.html", "/lessons/x.html")] {
        let r = http(server.port, "GET", &format!("{path}?token={}", server.token), &host, &[], b"");
        assert_eq!(r.status, 303, "{path}: {}", r.body);
        assert_eq!(r.header("location"), Some(to), "{path}");
    }
    // A backslash some browsers read as a slash: refused or made local, never echoed.
    let r = http(server.port, "GET", &format!("/\\evil.example/?token={}", server.token), &host, &[], b"");
    if r.status == 303 {
        let to = r.header("location").unwrap();
        assert!(to.starts_with('/') && !to.starts_with("//") && !to.starts_with("/\\"), "{to}");
    }
    // An unknown page is the book's 404 page, live; the API answers JSON.
    let r = server.call("GET", "/no-such-page.html", None);
    assert_eq!(r.status, 404);
    assert!(r.header("content-type").unwrap().starts_with("text/html"), "{:?}", r.headers);
    assert!(r.body.contains("Document not found") && r.body.contains("/__nslab/live.js"), "{}", r.body);
    let r = server.call("POST", "/api/sessions/nope/run", Some(json!({ "lesson": "x", "step": "y" })));
    assert_eq!(r.status, 404);
    assert!(r.json()["error"].as_str().is_some());
    // A page without the token is refused in words, not JSON.
    let r = http(server.port, "GET", "/", &host, &[], b"");
    assert_eq!(r.status, 403);
    assert!(r.body.contains("<p>refused: this server needs its token"), "{}", r.body);
    server.stop();
}

#[test]
fn the_books_files_are_served_from_inside_the_book_only() {
    let _guard = serial();
    let fixture = Fixture::with_fixture("pass.md");
    let site = fixture.dir.path().join("site");
    std::fs::write(site.join("style.css"), "body { color: red }").unwrap();
    std::fs::write(site.join("a b.js"), "console.log(1)").unwrap();
    std::fs::write(fixture.dir.path().join("secret.txt"), "secret").unwrap();
    std::fs::create_dir(site.join("sub")).unwrap();
    std::os::unix::fs::symlink(fixture.dir.path().join("secret.txt"), site.join("sub/link")).unwrap();
    let server = fixture.server(&[]);
    let with = |extra: &[(&str, &str)]| {
        let mut h = vec![("X-Nslab-Token".to_string(), server.token.clone())];
        h.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        h
    };
    let get = |method: &str, path: &str, extra: &[(&str, &str)]| http(server.port, method, path, &server.host(), &with(extra), b"");

    let r = get("GET", "/style.css", &[]);
    assert_eq!((r.status, r.header("content-type"), r.body.as_str()), (200, Some("text/css; charset=utf-8"), "body { color: red }"));
    let r = get("GET", "/a%20b.js", &[]);
    assert_eq!((r.status, r.body.as_str()), (200, "console.log(1)"));
    assert!(r.header("content-type").unwrap().contains("javascript"), "{:?}", r.headers);
    // Part of a file, as a browser asks for a font or a video.
    let r = get("GET", "/style.css", &[("Range", "bytes=0-3")]);
    assert_eq!((r.status, r.body.as_str()), (206, "body"));
    // Nothing outside the book: not through `..`, escaped or not, nor through a link.
    for path in ["/../secret.txt", "/%2e%2e/secret.txt", "/sub/link", "/sub/../../secret.txt"] {
        let r = get("GET", path, &[]);
        assert_eq!(r.status, 404, "{path}: {}", r.body);
        assert!(!r.body.contains("secret"), "{path}: {}", r.body);
    }
    // A page is sent whole with the live script, whatever range is asked,
    // and HEAD says the length of the page as sent, not of the file.
    let page = get("GET", "/", &[]);
    assert!(page.status == 200 && page.body.contains("/__nslab/live.js"), "{}", page.body);
    assert_eq!(page.header("content-length").map(str::to_string), Some(page.body.len().to_string()));
    let head = get("HEAD", "/", &[]);
    assert_eq!(head.header("content-length"), page.header("content-length"));
    let ranged = get("GET", "/index.html", &[("Range", "bytes=0-5")]);
    assert_eq!((ranged.status, ranged.body.as_str()), (200, page.body.as_str()));
    assert_eq!(get("POST", "/style.css", &[]).status, 405);
    server.stop();
}

// ---- the live page: every click answered, honest marks (issue 17) ---------------------------

/// A lesson for the live page's tests: a step that passes once and fails
/// after, and a step that starts a box in new namespaces.
const LIVE_LESSON: &str = "---\nid: live\ntitle: Live\n---\n\n# Live\n\nA page to press buttons on.\n\n\
```nslab\nid: once\ntitle: A step that passes once\nrun: test ! -e /run/once && touch /run/once\nexpect: status 0\n```\n\n\
```nslab\nid: box\ntitle: A box\nstart box: net uts\nexpect: box net differs from host\nexpect: box uts differs from host\nexpect: box ipc same as host\n```\n\n\
```nslab\nid: rename\ntitle: Rename the box\nrun in box: hostname boxed && hostname\nexpect: stdout: boxed\nexpect: box uts same\n```\n";

/// A small book with [`LIVE_LESSON`] as its one chapter, built once with the
/// real mdBook; (the built book, its lessons folder).
fn live_book() -> Option<(&'static Path, &'static Path)> {
    static BOOK: std::sync::OnceLock<Option<tempfile::TempDir>> = std::sync::OnceLock::new();
    extern "C" fn remove_live_book() {
        if let Some(Some(dir)) = BOOK.get() {
            let _ = std::fs::remove_dir_all(dir.path());
        }
    }
    BOOK.get_or_init(|| {
        built_book()?;
        // SAFETY: registers a plain function with no arguments.
        unsafe { libc::atexit(remove_live_book) };
        let dir = tempfile::Builder::new().prefix("nslab-test-live-book-").tempdir().unwrap();
        support::set_mode(dir.path(), 0o755);
        let src = dir.path().join("src");
        std::fs::create_dir_all(&src).unwrap();
        std::fs::create_dir_all(dir.path().join("lessons")).unwrap();
        std::fs::write(dir.path().join("lessons/live.md"), LIVE_LESSON).unwrap();
        std::fs::write(src.join("live.md"), LIVE_LESSON).unwrap();
        std::fs::write(src.join("SUMMARY.md"), "# Summary\n\n- [Live](live.md)\n").unwrap();
        std::fs::create_dir_all(dir.path().join("theme")).unwrap();
        std::fs::copy(repo().join("book/theme/nslab.css"), dir.path().join("theme/nslab.css")).unwrap();
        std::fs::write(
            dir.path().join("book.toml"),
            "[book]\ntitle = \"live\"\nsrc = \"src\"\n\n[preprocessor.nslab]\ncommand = \"nslab mdbook\"\n\n[output.html]\nadditional-css = [\"theme/nslab.css\"]\n",
        )
        .unwrap();
        let built =
            Command::new("mdbook").arg("build").arg(dir.path()).arg("-d").arg(dir.path().join("site")).env("PATH", path_with_nslab()).output().unwrap();
        assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
        Some(dir)
    })
    .as_ref()
    .map(|d| -> (&'static Path, &'static Path) {
        // SAFETY-free: both live as long as the static.
        let site: &'static Path = Box::leak(d.path().join("site").into_boxed_path());
        let lessons: &'static Path = Box::leak(d.path().join("lessons").into_boxed_path());
        (site, lessons)
    })
}

/// The live book's server, a browser, and the lesson page open in a tab
/// (not yet waited on: each test decides what it waits for).
struct LivePage {
    server: Server,
    browser: cdp::Browser,
    page: String,
}

impl LivePage {
    /// Opens `path` of the live book (or of the repository's book with
    /// `repo_book`), after `setup` has prepared the blank tab.
    fn open(test: &str, repo_book: bool, path: &str, setup: impl FnOnce(&mut cdp::Browser, &str)) -> Option<LivePage> {
        let chromium = browser_or_skip(test)?;
        let server = if repo_book {
            let book = built_book()?;
            Server::start(&["--lessons", repo().join("lessons").to_str().unwrap(), book.to_str().unwrap()])
        } else {
            let (site, lessons) = live_book()?;
            Server::start(&["--lessons", lessons.to_str().unwrap(), site.to_str().unwrap()])
        };
        let mut browser = cdp::Browser::start(&chromium);
        let (_target, page) = browser.open_blank();
        setup(&mut browser, &page);
        let url = format!("{}?token={}", server.url(path), server.token);
        browser.call(Some(&page), "Page.navigate", json!({ "url": url }));
        Some(LivePage { server, browser, page })
    }

    fn eval(&mut self, js: &str) -> Value {
        self.browser.eval(&self.page, js)
    }

    fn wait(&mut self, js: &str, secs: u64, what: &str) -> Value {
        self.browser.wait_for(&self.page, js, secs, what)
    }

    fn ready(&mut self) {
        self.wait("window.nslabLive && window.nslabLive.ready", 30, "the page's lab");
    }

    fn click(&mut self, selector: &str) {
        self.browser.click(&self.page, selector);
    }

    /// The marks of a step's checks, in order.
    fn marks(&mut self, step: &str) -> Value {
        self.eval(&format!("Array.from(document.querySelectorAll('#step-{step} .nslab-expect > li')).map(li => li.dataset.mark || 'none').join(' ')"))
    }
}

#[test]
fn e2e_a_run_answers_when_the_event_stream_is_a_second_late() {
    if !support::require_root("e2e_a_run_answers_when_the_event_stream_is_a_second_late") {
        return;
    }
    let _guard = serial();
    // The page's event stream is held back by the browser itself.
    let Some(mut p) = LivePage::open("late stream", false, "/live.html", |b, page| {
        b.call(Some(page), "Fetch.enable", json!({ "patterns": [{ "urlPattern": "*/events*", "requestStage": "Request" }] }));
    }) else {
        return;
    };
    let paused = p.browser.wait_event("Fetch.requestPaused", 30);
    p.wait("document.readyState === 'complete'", 30, "the page");
    p.click("#step-once .nslab-live-run");
    std::thread::sleep(Duration::from_secs(1));
    p.browser.call(Some(&p.page.clone()), "Fetch.continueRequest", json!({ "requestId": paused["params"]["requestId"] }));
    let text = p.wait("document.querySelector('#step-once .nslab-live-outcome')?.innerText", 30, "the result");
    assert!(text.as_str().unwrap().contains("✔ passed"), "{text}");
    assert_eq!(p.marks("once"), json!("holds"));
    // The stream's copy of the same lines changes nothing: still one result.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(p.eval("document.querySelectorAll('#step-once .nslab-live-outcome').length"), json!(1));
    p.server.stop();
}

#[test]
fn e2e_a_stopped_server_is_shown_within_two_seconds() {
    if !support::require_root("e2e_a_stopped_server_is_shown_within_two_seconds") {
        return;
    }
    let _guard = serial();
    let Some(mut p) = LivePage::open("stopped server", false, "/live.html", |_, _| {}) else { return };
    p.ready();
    p.server.child.kill().unwrap();
    p.server.child.wait().unwrap();
    let killed = Instant::now();
    // The page notices by itself (its event stream breaks), within two seconds.
    let status =
        p.wait("(s => s.includes('has stopped') && s)(document.querySelector('.nslab-live-state').innerText)", 2, "the page to say the server stopped");
    eprintln!("the page said the server stopped {} ms after it was killed", killed.elapsed().as_millis());
    let status = status.as_str().unwrap();
    assert!(status.contains("nslab serve has stopped: start it again with") && status.contains("serve"), "{status}");
    // Run is disabled, and says why.
    let run = p.eval("(b => [b.disabled, b.title])(document.querySelector('#step-once .nslab-live-run'))");
    assert_eq!(run[0], json!(true));
    assert!(run[1].as_str().unwrap().contains("nslab serve has stopped"), "{run}");
    assert!(p.eval("document.querySelector('#step-once .nslab-live-why').innerText").as_str().unwrap().contains("has stopped"));
}

#[test]
fn e2e_a_failed_run_after_a_pass_marks_each_check_once() {
    if !support::require_root("e2e_a_failed_run_after_a_pass_marks_each_check_once") {
        return;
    }
    let _guard = serial();
    let Some(mut p) = LivePage::open("failed after a pass", false, "/live.html", |_, _| {}) else { return };
    p.ready();
    // Neutral before anything ran.
    assert_eq!(p.marks("once"), json!("none"));
    let neutral = p.eval("getComputedStyle(document.querySelector('#step-once .nslab-expect > li')).listStyleType");
    assert!(neutral.as_str().unwrap().contains('○'), "{neutral}");
    p.click("#step-once .nslab-live-run");
    p.wait("document.querySelector('#step-once').classList.contains('nslab-passed')", 30, "the pass");
    assert_eq!(p.marks("once"), json!("holds"));
    // The button comes back once the page has the result: a click before
    // that is not a second run.
    p.wait("!document.querySelector('#step-once .nslab-live-run').disabled", 30, "Run enabled again");
    p.click("#step-once .nslab-live-run");
    p.wait("document.querySelector('#step-once').classList.contains('nslab-failed')", 30, "the failure");
    assert_eq!(p.marks("once"), json!("fails"));
    let styles = p.eval("Array.from(document.querySelectorAll('#step-once li')).map(li => getComputedStyle(li).listStyleType).join(' ')");
    assert!(styles.as_str().unwrap().contains('✘') && !styles.as_str().unwrap().contains('✓') && !styles.as_str().unwrap().contains('✔'), "{styles}");
    let text = p.eval("document.querySelector('#step-once').innerText");
    let text = text.as_str().unwrap();
    assert!(!text.contains('✓') && text.contains("✘ failed") && !text.contains("✔ passed"), "{text}");
    assert!(text.contains("observed:"), "{text}");
    // A later step run first: the ones before it ran quietly, and say so.
    p.click("#step-rename .nslab-live-run");
    p.wait("document.querySelector('#step-rename').classList.contains('nslab-passed')", 30, "rename");
    let quiet = p.wait("document.querySelector('#step-box .nslab-live-quiet')?.innerText", 5, "box's quiet mark");
    assert!(quiet.as_str().unwrap().contains("ran before this one"), "{quiet}");
    assert_eq!(p.marks("box"), json!("holds holds holds"));
    // Markdown in a verdict renders: no backticks shown.
    assert!(!p.eval("document.querySelector('#step-rename').innerText").as_str().unwrap().contains('`'));
    p.server.stop();
}

#[test]
fn e2e_check_before_check_was_typed_says_the_shell_was_not_seen() {
    if !support::require_root("e2e_check_before_check_was_typed_says_the_shell_was_not_seen") {
        return;
    }
    let _guard = serial();
    let Some(mut p) = LivePage::open("check before check", true, "/lessons/05-net.html", |_, _| {}) else { return };
    p.ready();
    p.click("#step-cable-target .nslab-live-check");
    let text = p.wait(
        "document.querySelector('#step-cable-target').classList.contains('nslab-failed') && document.querySelector('#step-cable-target').innerText",
        60,
        "the check's verdict",
    );
    let text = text.as_str().unwrap();
    assert!(text.contains("nslab could not see your shell"), "{text}");
    assert!(!text.contains("is not in the") && !text.contains("nothing (gone"), "a wrong hint or a raw observation:\n{text}");
    assert_eq!(p.marks("cable-target"), json!("fails fails"));
    // The attach command works under dash: no `\w \$` left for it to show.
    let attach = p.eval("document.querySelector('#step-cable-target .nslab-live-attach').innerText");
    let attach = attach.as_str().unwrap().to_string();
    let out = Command::new("sh").args(["-c", &format!("echo 'echo prompt-was:\"$PS1\"' | {attach}")]).env("SHELL", "/bin/dash").output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("prompt-was:[nslab net · cable-target] $ "), "{said}\n{}", String::from_utf8_lossy(&out.stderr));
    p.server.stop();
}

#[test]
fn e2e_a_phone_width_scrolls_only_inside_boxes() {
    if !support::require_root("e2e_a_phone_width_scrolls_only_inside_boxes") {
        return;
    }
    let _guard = serial();
    let Some(mut p) = LivePage::open("390 px", true, "/lessons/05-net.html", |b, page| b.phone(page, 390)) else { return };
    p.ready();
    p.click("#step-veth .nslab-live-run");
    p.wait("document.querySelector('#step-veth').classList.contains('nslab-passed')", 60, "veth");
    assert_eq!(p.eval("window.innerWidth"), json!(390));
    let wide = p.eval("document.documentElement.scrollWidth - window.innerWidth");
    assert!(wide.as_i64().unwrap() <= 0, "the page scrolls sideways by {wide} px at 390 px");
    // The pictures shrink to fit: none needs its own scroll bar either.
    let boxes = p.eval("Array.from(document.querySelectorAll('.nslab-picture, .nslab-picture-art')).map(b => b.scrollWidth - b.clientWidth)");
    assert!(boxes.as_array().unwrap().len() > 1 && boxes.as_array().unwrap().iter().all(|d| d.as_i64().unwrap() <= 0), "{boxes}");
    p.server.stop();
}

/// Screenshots of lessons 4 and 12 after a few steps, light and dark, for a
/// person to look at: `NSLAB_SCREENSHOTS=DIR cargo test --test serve -- --ignored screenshots`
/// (`NSLAB_SCREENSHOTS_WIDTH=390` for a phone's width; 900 px by default).
#[test]
#[ignore = "writes screenshots for a person to look at"]
fn screenshots() {
    let Some(dir) = std::env::var_os("NSLAB_SCREENSHOTS").map(PathBuf::from) else { return };
    let _guard = serial();
    for (page, steps) in [("/lessons/05-net.html", ["start-box", "veth", "address-box"]), ("/lessons/13-container.html", ["", "", ""])] {
        for dark in [false, true] {
            let Some(mut p) = LivePage::open("screenshots", true, page, |b, pg| {
                b.phone(pg, std::env::var("NSLAB_SCREENSHOTS_WIDTH").ok().and_then(|w| w.parse().ok()).unwrap_or(900));
                b.color_scheme(pg, dark);
            }) else {
                return;
            };
            p.ready();
            let ids: Vec<String> = if steps[0].is_empty() {
                let all = p.eval("Array.from(document.querySelectorAll('.nslab-step:not(.nslab-exercise)')).map(s => s.dataset.step).slice(0, 4).join(' ')");
                all.as_str().unwrap().split(' ').map(str::to_string).collect()
            } else {
                steps.iter().map(|s| s.to_string()).collect()
            };
            for id in &ids {
                p.click(&format!("#step-{id} .nslab-live-run"));
                p.wait(&format!("document.querySelector('#step-{id}').matches('.nslab-passed, .nslab-failed, .nslab-skipped')"), 60, id);
            }
            for (n, id) in [ids[0].clone(), ids[ids.len() - 1].clone()].iter().enumerate() {
                p.eval(&format!("document.querySelector('#step-{id} .nslab-live-result').scrollIntoView({{block: 'center'}}); true"));
                std::thread::sleep(Duration::from_millis(200));
                let png = p.browser.screenshot(&p.page.clone());
                let name = format!("{}-{}-{n}.png", page.trim_start_matches("/lessons/").trim_end_matches(".html"), if dark { "dark" } else { "light" });
                std::fs::write(dir.join(name), png).unwrap();
            }
            p.server.stop();
        }
    }
}

#[test]
fn e2e_the_picture_after_a_step_outlines_what_changed() {
    if !support::require_root("e2e_the_picture_after_a_step_outlines_what_changed") {
        return;
    }
    let _guard = serial();
    let Some(mut p) = LivePage::open("picture", false, "/live.html", |_, _| {}) else { return };
    p.ready();
    // The book's expected picture is in the card before anything ran.
    assert_eq!(p.eval("document.querySelectorAll('#step-box .nslab-picture svg .nslab-cell.changed').length"), json!(2));
    p.click("#step-box .nslab-live-run");
    p.wait("document.querySelector('#step-box .nslab-live-picture svg')", 30, "the picture");
    let changed = p.eval("Array.from(document.querySelectorAll('#step-box .nslab-live-picture .nslab-cell.changed')).map(g => g.dataset.kind).join(' ')");
    assert_eq!(changed, json!("net uts"), "box's new namespaces, and only they, are outlined");
    // Hovering a cell names its inode and who holds it.
    let title = p.eval("document.querySelector('#step-box .nslab-live-picture .nslab-cell.changed title').textContent");
    let title = title.as_str().unwrap();
    assert!(title.starts_with("net namespace 40") && title.contains("held by box"), "{title}");
    // Rows: host and box; box shares the host's ipc (one colour in a column).
    let fills = p.eval(
        "(() => { const rows = {}; for (const g of document.querySelectorAll('#step-box .nslab-live-picture .nslab-cell')) { (rows[g.dataset.kind] = rows[g.dataset.kind] || []).push(g.querySelector('rect').getAttribute('fill')); } return [rows.ipc[0] === rows.ipc[1], rows.net[0] !== rows.net[1]]; })()",
    );
    assert_eq!(fills, json!([true, true]));
    // The next step changes nothing: nothing outlined.
    p.click("#step-rename .nslab-live-run");
    p.wait("document.querySelector('#step-rename .nslab-live-picture svg')", 30, "rename's picture");
    assert_eq!(p.eval("document.querySelectorAll('#step-rename .nslab-live-picture .nslab-cell.changed').length"), json!(0));
    p.server.stop();
}

#[test]
fn a_page_that_connects_late_is_sent_what_it_missed() {
    if !support::require_root("a_page_that_connects_late_is_sent_what_it_missed") {
        return;
    }
    let _guard = serial();
    let fixture = Fixture::with_fixture("pass.md");
    let server = fixture.server(&[]);
    let lesson = "fixture-pass";
    let s = server.open(lesson);
    // Run the second step with no stream open: the first runs quietly.
    let r = server.call("POST", &format!("/api/sessions/{s}/run"), Some(json!({ "lesson": lesson, "step": "run-inside-it" })));
    assert_eq!(r.status, 200, "{}", r.body);
    let seq: u64 = r.header("x-nslab-seq").unwrap().parse().unwrap();
    let lines: Vec<Value> = r.body.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(lines.iter().any(|l| l["worker"] == "quiet" && l["step"] == "start-a-box"), "the answer says which ran quietly: {lines:?}");
    let view = lines.iter().find(|l| l["worker"] == "view").expect("the answer carries the view");
    assert!(view["picture"].as_str().unwrap().starts_with("<svg "), "{view}");
    // A stream opened now starts with all of it, numbered.
    let (stream, hello) = EventStream::open_with_hello(&server, &s);
    assert_eq!(hello["seq"].as_u64(), Some(seq), "{hello}");
    assert!(hello["restart"].as_str().unwrap().contains("serve"), "{hello}");
    let state = hello["state"].as_array().unwrap();
    let step = |id: &str| state.iter().find(|st| st["step"] == id).cloned().unwrap_or_else(|| panic!("{id} not in {hello}"));
    assert_eq!(step("start-a-box")["quiet"], json!(true));
    let ran = step("run-inside-it");
    assert_eq!(ran["report"]["event"], "step_passed");
    assert!(ran["view"]["picture"].as_str().is_some());
    // Lines after it carry higher numbers (the page ignores older ones).
    server.step(&s, "run", lesson, "run-inside-it");
    let again = stream.wait_for(|n, v| n == "report" && v["event"] == "step_passed", "the next run");
    assert_eq!(again["step"], "run-inside-it");
    stream.close();
    server.stop();
}

#[test]
fn e2e_a_lost_stream_reconnects_and_catches_up() {
    if !support::require_root("e2e_a_lost_stream_reconnects_and_catches_up") {
        return;
    }
    let _guard = serial();
    let Some(mut p) = LivePage::open("lost stream", false, "/live.html", |_, _| {}) else { return };
    p.ready();
    let session = p.eval("window.nslabLive.session").as_str().unwrap().to_string();
    // The page's connections to this server are cut (ss -K: the kernel
    // aborts the browser's sockets), its event stream with them.
    let cut = Command::new("ss").args(["-K", "dst", "127.0.0.1", "dport", "=", &p.server.port.to_string()]).output().unwrap();
    let cut = String::from_utf8_lossy(&cut.stdout).into_owned();
    assert!(cut.contains("ESTAB"), "no connection was cut: {cut}");
    // Meanwhile the step runs (as from another tab of the same session).
    let events = p.server.step(&session, "run", "live", "once");
    assert_eq!(events[1]["event"], "step_passed");
    // The page reconnects to the same lab and shows what it missed.
    p.wait("document.querySelector('#step-once').classList.contains('nslab-passed')", 10, "the missed result");
    assert_eq!(p.eval("window.nslabLive.session"), json!(session), "the same lab");
    assert_eq!(p.marks("once"), json!("holds"));
    p.server.stop();
}

/// `step:outcome:skip` of every finished step among `events`, in order.
fn outcomes(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["event"].as_str().is_some_and(|n| ["step_passed", "step_failed", "step_skipped"].contains(&n)))
        .map(|e| format!("{}:{}:{}", e["step"].as_str().unwrap(), e["outcome"].as_str().unwrap(), e.get("skip").map_or(String::new(), Value::to_string)))
        .collect()
}

/// The terminal (`nslab run --yes --format json`) and the live book's worker
/// drive the same lesson driver, so every step ends the same way in both: a
/// failed setup step, a setup step skipped because of it and the step that
/// needs that one, a failure followed by a pass, and a step that still needs
/// what failed after that pass.
#[test]
fn the_terminal_and_the_page_agree_on_every_outcome() {
    if !support::require_root("the_terminal_and_the_page_agree_on_every_outcome") {
        return;
    }
    let _guard = serial();
    let before = HostState::now();
    let fixture = Fixture::with_fixture("skips.md");
    let file = fixture.lessons().join("skips.md");
    let run = Command::new(nslab_path()).args(["run", "--yes", "--format", "json"]).arg(&file).env("XDG_STATE_HOME", fixture.dir.path()).output().unwrap();
    assert_eq!(run.status.code(), Some(1), "{}", String::from_utf8_lossy(&run.stderr));
    let terminal: Vec<Value> = String::from_utf8_lossy(&run.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let needs = |name: &str, step: &str, setup: &str| json!({"why": "needs", "name": name, "step": step, "setup": setup}).to_string();
    let expected = [
        "start-a:failed:".to_string(),
        format!("start-b-in-a:skipped:{}", needs("a", "start-a", "failed")),
        format!("use-b:skipped:{}", needs("b", "start-b-in-a", "skipped")),
        "wrong:failed:".into(),
        "right:passed:".into(),
        format!("use-a:skipped:{}", needs("a", "start-a", "failed")),
        "start-c:passed:".into(),
        "use-c:passed:".into(),
    ];
    assert_eq!(outcomes(&terminal), expected);

    let server = fixture.server(&[]);
    let session = server.open("fixture-skips");
    let mut page = Vec::new();
    for step in ["start-a", "start-b-in-a", "use-b", "wrong", "right", "use-a", "start-c", "use-c"] {
        page.extend(server.step(&session, "run", "fixture-skips", step));
    }
    assert_eq!(outcomes(&page), expected, "the page and the terminal agree");

    // On the page the learner may go on in any order: a step run first
    // replays what comes before it quietly, with the same outcomes (only
    // what did not pass is reported).
    let fresh = server.open("fixture-skips");
    let events = server.step(&fresh, "run", "fixture-skips", "use-a");
    let quiet: Vec<String> = expected[..6].iter().filter(|o| !o.starts_with("right:")).cloned().collect();
    assert_eq!(outcomes(&events), quiet, "{events:?}");

    // A setup step the learner skipped is named by the step that needs it,
    // and may be run afterwards; then that step runs.
    let skipping = server.open("fixture-skips");
    let mut events = server.step(&skipping, "skip", "fixture-skips", "start-c");
    events.extend(server.step(&skipping, "run", "fixture-skips", "use-c"));
    events.extend(server.step(&skipping, "run", "fixture-skips", "start-c"));
    events.extend(server.step(&skipping, "run", "fixture-skips", "use-c"));
    let tail: Vec<String> = outcomes(&events).into_iter().filter(|o| o.contains("-c:")).collect();
    let learner = json!({"why": "learner"}).to_string();
    assert_eq!(
        tail,
        [format!("start-c:skipped:{learner}"), format!("use-c:skipped:{}", needs("c", "start-c", "skipped")), "start-c:passed:".into(), "use-c:passed:".into()]
    );
    server.stop();
    before.assert_restored("the terminal and the page");
}

#[test]
fn the_live_picture_draws_owners_and_parents_read_from_the_kernel() {
    if !support::require_root("the_live_picture_draws_owners_and_parents_read_from_the_kernel") {
        return;
    }
    let _guard = serial();
    let fixture = Fixture::with_repo_lesson("13-container.md");
    for who in [support::As::Caller, support::As::Nobody] {
        let server = fixture.server_as(who, &[]);
        let s = server.open("container");
        let r = server.call("POST", &format!("/api/sessions/{s}/run"), Some(json!({ "lesson": "container", "step": "start" })));
        assert_eq!(r.status, 200, "{}", r.body);
        let view: Value = r.body.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()).find(|l| l["worker"] == "view").expect("a view");
        let svg = view["picture"].as_str().unwrap();
        // box's five other new namespaces are owned by its new user namespace
        // (NS_GET_USERNS), and its pid namespace is a child of the lab's (NS_GET_PARENT).
        assert_eq!(svg.matches("data-relation=\"owned-by\"").count(), 5, "{who:?}: {svg}");
        assert_eq!(svg.matches("data-relation=\"child-of\"").count(), 1, "{who:?}: {svg}");
        assert_eq!(svg.matches("class=\"nslab-cell changed\"").count(), 6, "{who:?}: box's six new namespaces are outlined: {svg}");
        server.stop();
    }
}

#[test]
fn e2e_a_refused_lab_is_said_in_the_step_and_the_next_run_gets_one() {
    if !support::require_root("e2e_a_refused_lab_is_said_in_the_step_and_the_next_run_gets_one") {
        return;
    }
    let _guard = serial();
    let Some(mut p) = LivePage::open("refused lab", false, "/404.html", |_, _| {}) else { return };
    // Every lab is taken before the page opens.
    let taken: Vec<String> = (0..16).map(|_| p.server.open("live")).collect();
    let url = format!("{}?token={}", p.server.url("/live.html"), p.server.token);
    p.browser.call(Some(&p.page.clone()), "Page.navigate", json!({ "url": url }));
    let state = p.wait("(s => s.includes('Too many') && s)(document.querySelector('.nslab-live-state')?.innerText || '')", 30, "the refusal");
    assert!(state.as_str().unwrap().contains("Too many lab sessions are open (16)"), "{state}");
    p.click("#step-once .nslab-live-run");
    let said = p.wait("document.querySelector('#step-once .nslab-live-error')?.innerText", 30, "the step's answer");
    assert!(said.as_str().unwrap().contains("No lab could be started: Too many lab sessions"), "{said}");
    // One is closed: the next Run starts a lab and runs.
    assert_eq!(p.server.call("DELETE", &format!("/api/sessions/{}", taken[0]), None).status, 204);
    p.click("#step-once .nslab-live-run");
    p.wait("document.querySelector('#step-once').classList.contains('nslab-passed')", 30, "the run");
    p.server.stop();
}

/// Every step of the shipped curriculum ends the same way at the terminal
/// (`nslab run --yes --format json`) and on the page, which drives the same
/// lesson driver through a session's worker, step by step as a reader
/// clicks Run. An exercise is done at the terminal with its reference
/// solution; on the page it needs a learner at a shell, so there it is
/// skipped, and the steps after it are compared all the same.
#[test]
fn the_terminal_and_the_page_agree_on_the_whole_curriculum() {
    if !support::require_root("the_terminal_and_the_page_agree_on_the_whole_curriculum") {
        return;
    }
    let _guard = serial();
    let before = HostState::now();
    let mut texts = Vec::new();
    for entry in std::fs::read_dir(repo().join("lessons")).unwrap().flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|x| x == "md") {
            texts.push((path.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&path).unwrap()));
        }
    }
    texts.sort();
    assert!(texts.len() >= 13, "the curriculum: {texts:?}");
    let named: Vec<(&str, &str)> = texts.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    let fixture = Fixture::new(&named);
    let server = fixture.server(&[]);
    for (name, _) in &texts {
        let file = fixture.lessons().join(name);
        let json = Command::new(nslab_path()).args(["lesson-json"]).arg(&file).output().unwrap();
        let lesson: Value = serde_json::from_slice(&json.stdout).unwrap();
        let lesson = &lesson[0];
        let id = lesson["meta"]["id"].as_str().unwrap().to_string();
        let run = Command::new(nslab_path()).args(["run", "--yes", "--format", "json"]).arg(&file).env("XDG_STATE_HOME", fixture.dir.path()).output().unwrap();
        let terminal: Vec<Value> = String::from_utf8_lossy(&run.stdout).lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
        let session = server.open(&id);
        let mut page = Vec::new();
        let mut exercises = Vec::new();
        for step in lesson["steps"].as_array().unwrap() {
            let step_id = step["id"].as_str().unwrap();
            if step["exercise"].is_null() {
                page.extend(server.step(&session, "run", &id, step_id));
            } else {
                exercises.push(step_id.to_string());
                page.extend(server.step(&session, "skip", &id, step_id));
            }
        }
        let not_exercise = |o: &String| !exercises.iter().any(|e| o.starts_with(&format!("{e}:")));
        let (t, p): (Vec<String>, Vec<String>) = (outcomes(&terminal), outcomes(&page));
        assert_eq!(t.len(), lesson["steps"].as_array().unwrap().len(), "{id}: every step ended at the terminal: {t:?}");
        assert_eq!(
            t.iter().filter(|o| not_exercise(o)).collect::<Vec<_>>(),
            p.iter().filter(|o| not_exercise(o)).collect::<Vec<_>>(),
            "{id}: the terminal and the page disagree"
        );
        assert!(t.iter().all(|o| o.contains(":passed:")), "{id}: the curriculum passes at the terminal: {t:?}");
    }
    server.stop();
    before.assert_restored("the curriculum at the terminal and on the page");
}
