//! A spinner with the elapsed time, for a step that runs longer than half a
//! second. The worker that runs the step cannot start a thread (a process
//! that has unshared a pid namespace gets EINVAL from clone with
//! CLONE_THREAD), so the spinner is an interval timer: SIGALRM every 100 ms,
//! whose handler draws a frame with plain `write(2)` from a buffer on its
//! stack — async-signal-safe, no allocation, no lock. The handler is
//! installed with SA_RESTART, and the step's own waits already take EINTR in
//! their stride. Forked children do not inherit the timer.

use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

/// How long a step runs before the spinner shows.
pub const DELAY: Duration = Duration::from_millis(500);

const FRAMES: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

static FD: AtomicI32 = AtomicI32::new(-1);
static STARTED_NS: AtomicU64 = AtomicU64::new(0);
static FRAME: AtomicUsize = AtomicUsize::new(0);
static DRAWN: AtomicBool = AtomicBool::new(false);

/// A running spinner; [`Spinner::stop`] (or dropping it) ends it and wipes its line.
#[must_use = "a spinner draws until it is stopped"]
pub struct Spinner {
    fd: std::os::fd::RawFd,
    previous: Option<nix::sys::signal::SigAction>,
}

/// CLOCK_MONOTONIC in nanoseconds (async-signal-safe).
fn now_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    (ts.tv_sec as u64).saturating_mul(1_000_000_000).saturating_add(ts.tv_nsec as u64)
}

extern "C" fn on_alarm(_: libc::c_int) {
    let fd = FD.load(Ordering::SeqCst);
    if fd < 0 {
        return;
    }
    let elapsed = Duration::from_nanos(now_ns().saturating_sub(STARTED_NS.load(Ordering::SeqCst)));
    let i = FRAME.fetch_add(1, Ordering::SeqCst);
    let mut buf = [0u8; 64];
    let n = frame_text(&mut buf, FRAMES[i % FRAMES.len()], elapsed);
    // SAFETY: write is async-signal-safe; the buffer is live and n bytes long.
    if unsafe { libc::write(fd, buf.as_ptr().cast(), n) } > 0 {
        DRAWN.store(true, Ordering::SeqCst);
    }
}

/// Arms (`Some`) or disarms (`None`) the interval timer.
fn set_timer(first_and_every: Option<(Duration, Duration)>) {
    let tv = |d: Duration| libc::timeval { tv_sec: d.as_secs() as libc::time_t, tv_usec: d.subsec_micros() as libc::suseconds_t };
    let (first, every) = first_and_every.unwrap_or((Duration::ZERO, Duration::ZERO));
    let value = libc::itimerval { it_interval: tv(every), it_value: tv(first) };
    // SAFETY: setitimer reads the value it is given; the old one is not wanted.
    unsafe { libc::setitimer(libc::ITIMER_REAL, &value, std::ptr::null_mut()) };
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
        use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
        FD.store(fd, Ordering::SeqCst);
        STARTED_NS.store(now_ns(), Ordering::SeqCst);
        FRAME.store(0, Ordering::SeqCst);
        DRAWN.store(false, Ordering::SeqCst);
        let action = SigAction::new(SigHandler::Handler(on_alarm), SaFlags::SA_RESTART, SigSet::empty());
        // SAFETY: the handler only reads atomics, the clock, and writes.
        let previous = unsafe { sigaction(Signal::SIGALRM, &action) }.ok();
        set_timer(Some((DELAY, Duration::from_millis(100))));
        Spinner { fd, previous }
    }

    /// Stops the spinner and wipes its line, if it drew one.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        set_timer(None);
        FD.store(-1, Ordering::SeqCst);
        if let Some(previous) = self.previous.take() {
            use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
            // A SIGALRM the timer raised just before it was disarmed may
            // still be pending: ignoring the signal discards it (POSIX), so
            // that the default disposition put back next cannot end the
            // process with it (seen: a test run killed by SIGALRM).
            let ignore = SigAction::new(SigHandler::SigIgn, SaFlags::empty(), SigSet::empty());
            // SAFETY: SIG_IGN installs no code; then the disposition found at
            // start is put back.
            unsafe {
                let _ = sigaction(Signal::SIGALRM, &ignore);
                let _ = sigaction(Signal::SIGALRM, &previous);
            }
        }
        if DRAWN.swap(false, Ordering::SeqCst) {
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
