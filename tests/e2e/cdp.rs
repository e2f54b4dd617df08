//! A headless Chromium driven through the DevTools protocol over
//! `--remote-debugging-pipe` (fd 3 in, fd 4 out, NUL-terminated JSON): no
//! WebDriver, no WebSocket, no Node — only the browser Debian ships.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Where Debian installs Chromium.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// A running browser and the protocol connection to it.
pub struct Browser {
    child: Child,
    to_browser: std::fs::File,
    from_browser: Receiver<Value>,
    /// Events received while waiting for a reply.
    pub events: VecDeque<Value>,
    next_id: u64,
    _profile: tempfile::TempDir,
}

fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: fds is a valid out-array of two ints.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: pipe2 just returned these two descriptors.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

impl Browser {
    /// Starts headless Chromium with a fresh profile.
    pub fn start(program: &Path) -> Browser {
        let profile = tempfile::Builder::new().prefix("nslab-chromium-").tempdir().unwrap();
        let (cmd_read, cmd_write) = pipe();
        let (res_read, res_write) = pipe();
        let (cmd_fd, res_fd) = (cmd_read.as_raw_fd(), res_write.as_raw_fd());
        let mut command = Command::new(program);
        command
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--remote-debugging-pipe",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own group, so its helper processes can be ended with it.
            .process_group(0);
        // SAFETY: dup2 and fcntl are async-signal-safe.
        unsafe {
            command.pre_exec(move || {
                // Move both out of the way first, so neither lands on the other.
                let (a, b) = (libc::dup(cmd_fd), libc::dup(res_fd));
                if a < 0 || b < 0 || libc::dup2(a, 3) < 0 || libc::dup2(b, 4) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn().expect("starting chromium");
        drop((cmd_read, res_write));
        let (tx, rx) = channel();
        let mut from = std::fs::File::from(res_read);
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 65536];
            loop {
                let n = match from.read(&mut chunk) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                buf.extend_from_slice(&chunk[..n]);
                while let Some(at) = buf.iter().position(|&b| b == 0) {
                    let msg: Vec<u8> = buf.drain(..=at).collect();
                    if let Ok(v) = serde_json::from_slice::<Value>(&msg[..msg.len() - 1])
                        && tx.send(v).is_err()
                    {
                        return;
                    }
                }
            }
        });
        Browser { child, to_browser: std::fs::File::from(cmd_write), from_browser: rx, events: VecDeque::new(), next_id: 0, _profile: profile }
    }

    /// Sends a command (to a page when `session` is given) and returns its result.
    pub fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({ "id": id, "method": method, "params": params });
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        let mut bytes = serde_json::to_vec(&msg).unwrap();
        bytes.push(0);
        self.to_browser.write_all(&bytes).expect("writing to chromium");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.from_browser.recv_timeout(left) {
                Ok(v) if v["id"] == json!(id) => {
                    assert!(v.get("error").is_none(), "{method} failed: {v}");
                    return v["result"].clone();
                }
                Ok(v) => self.events.push_back(v),
                Err(RecvTimeoutError::Timeout) => panic!("chromium did not answer {method} within 30 s"),
                Err(RecvTimeoutError::Disconnected) => panic!("chromium went away during {method}"),
            }
        }
    }

    /// Opens a tab at `url` and attaches to it; returns (target id, session id).
    pub fn open(&mut self, url: &str) -> (String, String) {
        let target = self.call(None, "Target.createTarget", json!({ "url": url }))["targetId"].as_str().unwrap().to_string();
        let session = self.call(None, "Target.attachToTarget", json!({ "targetId": target, "flatten": true }))["sessionId"].as_str().unwrap().to_string();
        (target, session)
    }

    /// Evaluates `expression` in the page (awaiting a promise) and returns its value.
    pub fn eval(&mut self, session: &str, expression: &str) -> Value {
        let r = self.call(Some(session), "Runtime.evaluate", json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }));
        assert!(r.get("exceptionDetails").is_none(), "{expression}: {r}");
        r["result"]["value"].clone()
    }

    /// Waits until `expression` is truthy in the page; panics with `what` after `secs`.
    pub fn wait_for(&mut self, session: &str, expression: &str, secs: u64, what: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let v = self.eval(session, expression);
            if !(v.is_null() || v == json!(false) || v == json!("") || v == json!(0)) {
                return v;
            }
            assert!(Instant::now() < deadline, "waited {secs} s for {what}");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Clicks like a person: the element is scrolled into view, and a real
    /// mouse press and release land on its centre.
    pub fn click(&mut self, session: &str, selector: &str) {
        let at = self.eval(
            session,
            &format!(
                "(() => {{ const e = document.querySelector({sel}); if (!e) return null; e.scrollIntoView({{block: 'center'}}); const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }})()",
                sel = json!(selector)
            ),
        );
        let (x, y) = (at[0].as_f64().unwrap_or_else(|| panic!("no {selector} in the page")), at[1].as_f64().unwrap());
        for kind in ["mousePressed", "mouseReleased"] {
            self.call(Some(session), "Input.dispatchMouseEvent", json!({ "type": kind, "x": x, "y": y, "button": "left", "clickCount": 1 }));
        }
    }

    /// Waits for an event named `method` (of any page), taking it out of the
    /// queue; panics after `secs`.
    pub fn wait_event(&mut self, method: &str, secs: u64) -> Value {
        if let Some(at) = self.events.iter().position(|e| e["method"] == method) {
            return self.events.remove(at).unwrap_or_default();
        }
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.from_browser.recv_timeout(left) {
                Ok(v) if v["method"] == method => return v,
                Ok(v) => self.events.push_back(v),
                Err(_) => panic!("no {method} event within {secs} s"),
            }
        }
    }

    /// Opens a blank tab and attaches to it, so that the page can be set up
    /// (request interception, a phone's width, a colour scheme) before it
    /// loads; returns (target id, session id).
    pub fn open_blank(&mut self) -> (String, String) {
        let (target, session) = self.open("about:blank");
        self.call(Some(&session), "Page.enable", json!({}));
        (target, session)
    }

    /// Lays the page out as on a phone `width` CSS pixels wide.
    pub fn phone(&mut self, session: &str, width: u32) {
        self.call(Some(session), "Emulation.setDeviceMetricsOverride", json!({ "width": width, "height": 844, "deviceScaleFactor": 1, "mobile": true }));
    }

    /// Asks the page for a dark (or light) colour scheme.
    pub fn color_scheme(&mut self, session: &str, dark: bool) {
        let value = if dark { "dark" } else { "light" };
        self.call(Some(session), "Emulation.setEmulatedMedia", json!({ "features": [{ "name": "prefers-color-scheme", "value": value }] }));
    }

    /// A PNG of what the tab shows.
    pub fn screenshot(&mut self, session: &str) -> Vec<u8> {
        let r = self.call(Some(session), "Page.captureScreenshot", json!({ "format": "png" }));
        base64_decode(r["data"].as_str().unwrap_or_default())
    }

    /// Closes a tab (as a reader closing it: the page's pagehide runs).
    pub fn close_tab(&mut self, target: &str) {
        self.call(None, "Target.closeTarget", json!({ "targetId": target }));
    }
}

impl Drop for Browser {
    /// Ends Chromium and every helper it started, then removes the profile:
    /// a helper still writing there would leave it behind in /tmp.
    fn drop(&mut self) {
        // SAFETY: signalling the process group of our own child.
        unsafe { libc::kill(-(self.child.id() as i32), libc::SIGKILL) };
        let _ = self.child.wait();
        for _ in 0..100 {
            match std::fs::remove_dir_all(self._profile.path()) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => std::thread::sleep(std::time::Duration::from_millis(20)),
                _ => break,
            }
        }
    }
}

/// Standard base64 (the protocol's screenshots), decoded.
pub fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for v in text.bytes().filter_map(value) {
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

/// The Chromium to use: `NSLAB_CHROMIUM`, else Debian's.
pub fn chromium() -> Option<PathBuf> {
    let p = std::env::var_os("NSLAB_CHROMIUM").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(CHROMIUM));
    p.is_file().then_some(p)
}
