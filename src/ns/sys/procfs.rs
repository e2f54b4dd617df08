//! Fast /proc reading for the scanner: one O_PATH handle per process, names
//! read relative to it, and the fd directory read with raw getdents64 (glibc's
//! opendir adds an fstat per directory).

use std::ffi::CStr;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;

use super::raw::{cpath, cvt};

/// A directory opened with O_PATH, to resolve names relative to it.
pub struct DirHandle(OwnedFd);

impl DirHandle {
    /// Opens `path` (a directory).
    pub fn open(path: &Path) -> io::Result<DirHandle> {
        let c = cpath(path)?;
        // SAFETY: a valid C string; the fd is ours.
        let fd = cvt(unsafe { libc::open(c.as_ptr(), libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC) })?;
        // SAFETY: open returned a fresh fd.
        Ok(DirHandle(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    /// Opens the subdirectory `name` (e.g. a pid) relative to this one.
    pub fn open_child(&self, name: &CStr) -> Option<DirHandle> {
        // SAFETY: a valid dirfd and C string; the fd is ours.
        let fd = unsafe { libc::openat(self.0.as_raw_fd(), name.as_ptr(), libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC) };
        // SAFETY: openat returned a fresh fd.
        (fd >= 0).then(|| DirHandle(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    /// The target of the symlink `name` relative to this directory, read into
    /// `buf`; `None` when it cannot be read (gone, EACCES, not a link).
    pub fn readlink<'b>(&self, name: &CStr, buf: &'b mut [u8]) -> Option<&'b [u8]> {
        // SAFETY: a valid dirfd, C string and writable buffer of its length.
        let n = unsafe { libc::readlinkat(self.0.as_raw_fd(), name.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
        (n > 0).then(|| &buf[..n as usize])
    }

    /// Calls `f(name, link)` for every symlink in the subdirectory `sub` (such
    /// as a process's `fd`), skipping what cannot be read.
    pub fn for_each_link(&self, sub: &CStr, dents: &mut [u8], link: &mut [u8], mut f: impl FnMut(&[u8], &[u8])) {
        // SAFETY: a valid dirfd and C string; the fd is ours.
        let fd = unsafe { libc::openat(self.0.as_raw_fd(), sub.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC) };
        if fd < 0 {
            return;
        }
        // SAFETY: openat returned a fresh fd.
        let dir = unsafe { OwnedFd::from_raw_fd(fd) };
        loop {
            // SAFETY: getdents64 fills at most dents.len() bytes of dents.
            let n = unsafe { libc::syscall(libc::SYS_getdents64, dir.as_raw_fd(), dents.as_mut_ptr(), dents.len()) };
            if n <= 0 {
                return;
            }
            let mut off = 0usize;
            while off + 19 < n as usize {
                // struct linux_dirent64: u64 ino, i64 off, u16 reclen, u8 type, name…
                let reclen = u16::from_ne_bytes([dents[off + 16], dents[off + 17]]) as usize;
                if reclen == 0 {
                    return;
                }
                let d_type = dents[off + 18];
                let name_area = &dents[off + 19..off + reclen];
                let name_len = name_area.iter().position(|&b| b == 0).unwrap_or(name_area.len());
                if d_type == libc::DT_LNK || d_type == libc::DT_UNKNOWN {
                    let name = &name_area[..=name_len.min(name_area.len() - 1)];
                    if let Ok(cname) = CStr::from_bytes_with_nul(name) {
                        // SAFETY: a valid dirfd, C string and writable buffer.
                        let l = unsafe { libc::readlinkat(dir.as_raw_fd(), cname.as_ptr(), link.as_mut_ptr().cast(), link.len()) };
                        if l > 0 {
                            f(&name_area[..name_len], &link[..l as usize]);
                        }
                    }
                }
                off += reclen;
            }
            // procfs fills the buffer until the directory is exhausted, so
            // room left for another entry means there is none: this saves
            // the final empty getdents64 per process.
            if n as usize + 512 < dents.len() {
                return;
            }
        }
    }
}

impl DirHandle {
    /// The device and inode of what `name` in this directory leads to (a
    /// `/proc/PID/fd/N` entry: the open file itself), one fstatat.
    pub fn stat_child(&self, name: &CStr) -> Option<(u64, u64)> {
        // SAFETY: a zeroed stat is a valid out-buffer.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: a valid dirfd, C string and out-buffer.
        let r = unsafe { libc::fstatat(self.0.as_raw_fd(), name.as_ptr(), &mut st, 0) };
        (r == 0).then_some((st.st_dev, st.st_ino))
    }

    /// Opens what `name` in this directory leads to, read-only.
    pub fn open_file(&self, name: &CStr) -> Option<OwnedFd> {
        // SAFETY: a valid dirfd and C string; the fd is ours.
        let fd = unsafe { libc::openat(self.0.as_raw_fd(), name.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
        // SAFETY: openat returned a fresh fd.
        (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd) })
    }
}
