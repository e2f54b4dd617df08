//! The relay between the learner's terminal and an exercise shell's
//! pseudo-terminal: keystrokes in, output out, the window size kept in step.
//! The learner's terminal is in raw mode while the shell runs (the shell's
//! own terminal does the line editing and turns Ctrl-C into SIGINT for the
//! shell's job), and is given back as it was.

use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use nix::poll::{PollFd, PollFlags};
use nix::sys::termios::{self, SetArg, Termios};

/// A running relay. Dropping it restores the learner's terminal.
pub struct Relay {
    master: OwnedFd,
    saved: Option<Termios>,
    size: Option<libc::winsize>,
}

fn stdin() -> BorrowedFd<'static> {
    // SAFETY: fd 0 stays open for the life of the process.
    unsafe { BorrowedFd::borrow_raw(0) }
}

fn window_size(fd: BorrowedFd<'_>) -> Option<libc::winsize> {
    // SAFETY: TIOCGWINSZ fills a winsize we own.
    unsafe {
        let mut ws: libc::winsize = std::mem::zeroed();
        (libc::ioctl(fd.as_raw_fd(), libc::TIOCGWINSZ, &mut ws) == 0).then_some(ws)
    }
}

impl Relay {
    /// Starts relaying to `master`; puts the learner's terminal (stdin) in
    /// raw mode if it is one.
    pub fn new(master: OwnedFd) -> Relay {
        let saved = termios::tcgetattr(stdin()).ok();
        if let Some(t) = &saved {
            let mut raw = t.clone();
            termios::cfmakeraw(&mut raw);
            let _ = termios::tcsetattr(stdin(), SetArg::TCSANOW, &raw);
        }
        if let Ok(flags) = nix::fcntl::fcntl(&master, nix::fcntl::FcntlArg::F_GETFL) {
            let flags = nix::fcntl::OFlag::from_bits_truncate(flags) | nix::fcntl::OFlag::O_NONBLOCK;
            let _ = nix::fcntl::fcntl(&master, nix::fcntl::FcntlArg::F_SETFL(flags));
        }
        let mut relay = Relay { master, saved, size: None };
        relay.sync_size();
        relay
    }

    /// Gives the shell's terminal the learner's window size when it changed.
    fn sync_size(&mut self) {
        let now = window_size(stdin());
        if let Some(ws) = now
            && self.size.is_none_or(|old| (old.ws_row, old.ws_col) != (ws.ws_row, ws.ws_col))
        {
            // SAFETY: TIOCSWINSZ reads a winsize we own.
            unsafe { libc::ioctl(self.master.as_raw_fd(), libc::TIOCSWINSZ, &ws) };
            self.size = Some(ws);
        }
    }

    /// What to poll: the learner's terminal, then the shell's.
    pub fn poll_fds(&self) -> [PollFd<'_>; 2] {
        [PollFd::new(stdin(), PollFlags::POLLIN), PollFd::new(self.master.as_fd(), PollFlags::POLLIN)]
    }

    /// Moves what is ready (`ready`: the poll results of [`Relay::poll_fds`]).
    /// Fails when the learner's terminal is gone (end of file, EIO, hang-up):
    /// the caller must stop, never poll it again.
    pub fn pump(&mut self, ready: &[bool]) -> io::Result<()> {
        self.sync_size();
        let mut buf = [0u8; 4096];
        if ready.first() == Some(&true) {
            match nix::unistd::read(stdin(), &mut buf) {
                Ok(0) | Err(nix::errno::Errno::EIO) => return Err(io::Error::from(io::ErrorKind::UnexpectedEof)),
                Ok(n) => write_all(self.master.as_fd(), &buf[..n]),
                Err(nix::errno::Errno::EINTR | nix::errno::Errno::EAGAIN) => {}
                Err(e) => return Err(e.into()),
            }
        }
        if ready.get(1) == Some(&true) {
            self.drain();
        }
        Ok(())
    }

    /// Copies what the shell wrote to the learner's terminal.
    pub fn drain(&mut self) {
        let mut buf = [0u8; 4096];
        let mut out = io::stdout().lock();
        // Bounded: a shell that never stops writing cannot hold the relay.
        for _ in 0..256 {
            match nix::unistd::read(&self.master, &mut buf) {
                Ok(n) if n > 0 => {
                    let _ = out.write_all(&buf[..n]);
                }
                // EAGAIN: nothing more now; EIO: the shell's side is closed.
                _ => break,
            }
        }
        let _ = out.flush();
    }
}

fn write_all(fd: BorrowedFd<'_>, mut data: &[u8]) {
    for _ in 0..1000 {
        if data.is_empty() {
            return;
        }
        match nix::unistd::write(fd, data) {
            Ok(n) => data = &data[n..],
            Err(nix::errno::Errno::EAGAIN | nix::errno::Errno::EINTR) => std::thread::sleep(std::time::Duration::from_millis(1)),
            Err(_) => return,
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        if let Some(t) = &self.saved {
            let _ = termios::tcsetattr(stdin(), SetArg::TCSANOW, t);
        }
    }
}
