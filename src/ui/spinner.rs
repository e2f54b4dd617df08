//! A spinner with the elapsed time, for a step that runs longer than half a
//! second. It draws from a thread of its own with plain `write(2)` calls on
//! a buffer on its stack: no allocation and no lock, because the worker it
//! runs in forks the step's processes meanwhile. It is joined before the step
//! is reported, so no thread is left when the worker next needs to be
//! single-threaded (a fresh lab after `b`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a step runs before the spinner shows.
pub const DELAY: Duration = Duration::from_millis(500);

const FRAMES: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// A running spinner; [`Spinner::stop`] ends it and wipes its line.
#[must_use = "a spinner draws until it is stopped"]
pub struct Spinner {
    fd: std::os::fd::RawFd,
    stop: Arc<AtomicBool>,
    drawn: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// Writes `frame`, "running", the seconds with one decimal, into `buf`;
/// returns the length.
fn frame_text(buf: &mut [u8; 64], frame: &str, elapsed: Duration) -> usize {
    let mut n = 0;
    let mut put = |bytes: &[u8]| {
        let take = bytes.len().min(buf.len() - n);
        buf[n..n + take].copy_from_slice(&bytes[..take]);
        n += take;
    };
    put(b"\r  ");
    put(frame.as_bytes());
    put(b" running ");
    let tenths = elapsed.as_millis() / 100;
    let mut digits = [0u8; 20];
    let mut d = digits.len();
    let mut whole = tenths / 10;
    loop {
        d -= 1;
        digits[d] = b'0' + (whole % 10) as u8;
        whole /= 10;
        if whole == 0 {
            break;
        }
    }
    put(&digits[d..]);
    put(&[b'.', b'0' + (tenths % 10) as u8]);
    put(b" s  (Ctrl-C stops it)");
    n
}

impl Spinner {
    /// Starts a spinner on file descriptor `fd` (the terminal); it shows
    /// after [`DELAY`].
    pub fn start(fd: std::os::fd::RawFd) -> Spinner {
        let stop = Arc::new(AtomicBool::new(false));
        let drawn = Arc::new(AtomicBool::new(false));
        let (s, d) = (stop.clone(), drawn.clone());
        let thread = std::thread::Builder::new()
            .name("spinner".into())
            .spawn(move || {
                let started = Instant::now();
                let mut i = 0;
                while !s.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(100));
                    if s.load(Ordering::SeqCst) {
                        break;
                    }
                    let elapsed = started.elapsed();
                    if elapsed < DELAY {
                        continue;
                    }
                    let mut buf = [0u8; 64];
                    let n = frame_text(&mut buf, FRAMES[i % FRAMES.len()], elapsed);
                    i += 1;
                    // SAFETY: writes n initialised bytes from a live buffer.
                    if unsafe { libc::write(fd, buf.as_ptr().cast(), n) } < 0 {
                        // The terminal is gone: nothing more to draw.
                        break;
                    }
                    d.store(true, Ordering::SeqCst);
                }
            })
            .ok();
        Spinner { fd, stop, drawn, thread }
    }

    /// Stops the spinner and wipes its line, if it drew one.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if self.drawn.swap(false, Ordering::SeqCst) {
            let wipe = b"\r\x1b[2K";
            // SAFETY: writes a constant buffer.
            unsafe { libc::write(self.fd, wipe.as_ptr().cast(), wipe.len()) };
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.halt();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_show_the_elapsed_time() {
        let mut buf = [0u8; 64];
        let n = frame_text(&mut buf, "⠋", Duration::from_millis(12_345));
        assert_eq!(std::str::from_utf8(&buf[..n]).unwrap(), "\r  ⠋ running 12.3 s  (Ctrl-C stops it)");
        let n = frame_text(&mut buf, "⠙", Duration::from_millis(600));
        assert_eq!(std::str::from_utf8(&buf[..n]).unwrap(), "\r  ⠙ running 0.6 s  (Ctrl-C stops it)");
    }

    #[test]
    fn a_spinner_draws_only_after_half_a_second_and_stops() {
        let (r, w) = nix::unistd::pipe().unwrap();
        use std::os::fd::AsRawFd;
        let quick = Spinner::start(w.as_raw_fd());
        std::thread::sleep(Duration::from_millis(200));
        quick.stop();
        let slow = Spinner::start(w.as_raw_fd());
        std::thread::sleep(Duration::from_millis(800));
        slow.stop();
        drop(w);
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::fs::File::from(r), &mut text).unwrap();
        assert!(text.contains("running 0.") && !text.contains("running 0.1") && !text.contains("running 0.2"), "{text:?}");
    }
}
