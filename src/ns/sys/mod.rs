//! The one module that talks to the kernel with raw system calls: clone3, setns,
//! unshare, mount, the nsfs ioctls and the netlink NSID query. Everything above
//! it is plain Rust.
//!
//! - `raw`: one function per system call or ioctl (namespace files, mounts,
//!   pidfds, waiting, signals, limits, pseudo-terminals).
//! - `spawn`: starting a process in namespaces: the plan prepared in the
//!   parent, clone3, and the parent's end of the conversation with the child.
//! - `child`: what the child runs between clone3 and execve.
//! - `lab`: the lab's worker and its init's root file system.
//! - `procfs`: fast `/proc` reading for the scanner.
//!
//! The child side of a spawn runs between clone3 and execve in a copy of a
//! process that may have had other threads, so it only makes system calls on
//! data prepared beforehand: no allocation, no locks, no `std::io`.
//!
//! The submodules are private: the rest of the crate names everything as
//! `ns::sys::…`, re-exported below.

mod child;
mod lab;
mod procfs;
mod raw;
mod spawn;

pub use lab::{LabRoot, enter_lab, fork_worker, map_self_to_root};
pub use procfs::DirHandle;
pub use raw::{
    ExitStatus, bind, bind_mount, kill_process_group, make_read_only_tree, mount_devpts, mount_tmpfs, mount_tmpfs_with, netnsid, no_new_privs, ns_id_of_fd,
    ns_kind_of_fd, ns_owner_uid, ns_serial, ns_serial_of, nsfs_dev, open_ns, open_pty, owner_userns, parent_ns, pidfd_getfd, pidfd_open, pidfd_send_signal,
    set_child_subreaper, set_propagation, set_rlimit, setns_path, signal_name, socket_netns, unmount, unmount_detached, unshare, wait_pid,
};
pub use spawn::{ChildFailure, ChildPlan, Extra, Pending, ProcWrite, SpawnFailure, Stage, spawn};
