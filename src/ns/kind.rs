//! The eight namespace kinds, as one closed type, and small sets of them.

use std::fmt;
use std::str::FromStr;

/// One kind of Linux namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NsKind {
    /// The cgroup root directory a process sees (`CLONE_NEWCGROUP`, Linux 4.6).
    Cgroup,
    /// System V IPC objects and POSIX message queues (`CLONE_NEWIPC`).
    Ipc,
    /// The mount table (`CLONE_NEWNS`, the first namespace, hence the odd flag name).
    Mnt,
    /// Network devices, addresses, routes, ports, firewall (`CLONE_NEWNET`).
    Net,
    /// Process ids (`CLONE_NEWPID`); only children of the caller enter it.
    Pid,
    /// The offsets of CLOCK_MONOTONIC and CLOCK_BOOTTIME (`CLONE_NEWTIME`, Linux 5.6);
    /// only children enter it.
    Time,
    /// User and group ids and capabilities (`CLONE_NEWUSER`); owns the other namespaces.
    User,
    /// Host name and NIS domain name (`CLONE_NEWUTS`).
    Uts,
}

impl NsKind {
    /// Every kind, in alphabetical order.
    pub const ALL: [NsKind; 8] = [NsKind::Cgroup, NsKind::Ipc, NsKind::Mnt, NsKind::Net, NsKind::Pid, NsKind::Time, NsKind::User, NsKind::Uts];

    /// The name used by `/proc/PID/ns/NAME`, by `lsns -t` and in `net:[4026531840]`.
    pub const fn name(self) -> &'static str {
        match self {
            NsKind::Cgroup => "cgroup",
            NsKind::Ipc => "ipc",
            NsKind::Mnt => "mnt",
            NsKind::Net => "net",
            NsKind::Pid => "pid",
            NsKind::Time => "time",
            NsKind::User => "user",
            NsKind::Uts => "uts",
        }
    }

    /// The `CLONE_NEW*` flag that creates a namespace of this kind.
    pub const fn clone_flag(self) -> libc::c_int {
        match self {
            NsKind::Cgroup => libc::CLONE_NEWCGROUP,
            NsKind::Ipc => libc::CLONE_NEWIPC,
            NsKind::Mnt => libc::CLONE_NEWNS,
            NsKind::Net => libc::CLONE_NEWNET,
            NsKind::Pid => libc::CLONE_NEWPID,
            // CLONE_NEWTIME (0x80) shares its bit with CSIGNAL in clone(2); it is
            // only meaningful to unshare(2), setns(2) and clone3(2).
            NsKind::Time => 0x0000_0080,
            NsKind::User => libc::CLONE_NEWUSER,
            NsKind::Uts => libc::CLONE_NEWUTS,
        }
    }

    /// The link under `/proc/PID/ns` that shows which namespace of this kind the
    /// process's *children* will be created in, where that can differ from the
    /// process's own (pid and time only).
    pub const fn for_children_name(self) -> Option<&'static str> {
        match self {
            NsKind::Pid => Some("pid_for_children"),
            NsKind::Time => Some("time_for_children"),
            _ => None,
        }
    }

    /// True for the kinds a process never enters itself by unshare(2): only its
    /// children do.
    pub const fn children_only(self) -> bool {
        matches!(self, NsKind::Pid | NsKind::Time)
    }

    /// The `unshare`/`nsenter` short option for this kind.
    pub const fn short_flag(self) -> char {
        match self {
            NsKind::Cgroup => 'C',
            NsKind::Ipc => 'i',
            NsKind::Mnt => 'm',
            NsKind::Net => 'n',
            NsKind::Pid => 'p',
            NsKind::Time => 'T',
            NsKind::User => 'U',
            NsKind::Uts => 'u',
        }
    }

    /// The kind whose `CLONE_NEW*` flag is `flag`, as returned by `NS_GET_NSTYPE`.
    pub fn from_clone_flag(flag: libc::c_int) -> Option<NsKind> {
        NsKind::ALL.into_iter().find(|k| k.clone_flag() == flag)
    }

    /// One line saying what this kind isolates, for help texts and the book.
    pub const fn isolates(self) -> &'static str {
        match self {
            NsKind::Cgroup => "the cgroup root directory",
            NsKind::Ipc => "System V IPC and POSIX message queues",
            NsKind::Mnt => "the mount table",
            NsKind::Net => "network devices, addresses, routes and ports",
            NsKind::Pid => "process ids",
            NsKind::Time => "the monotonic and boot-time clocks",
            NsKind::User => "user and group ids and capabilities",
            NsKind::Uts => "the host name and domain name",
        }
    }

    const fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for NsKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown namespace kind name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown namespace kind '{0}' (expected one of cgroup, ipc, mnt, net, pid, time, user, uts)")]
pub struct UnknownKind(pub String);

impl FromStr for NsKind {
    type Err = UnknownKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NsKind::ALL.into_iter().find(|k| k.name() == s).ok_or_else(|| UnknownKind(s.to_string()))
    }
}

/// A set of namespace kinds, e.g. the namespaces a clone creates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct KindSet(u8);

impl KindSet {
    /// No kinds.
    pub const EMPTY: KindSet = KindSet(0);
    /// All eight kinds.
    pub const ALL: KindSet = KindSet(0xff);

    /// True when `kind` is in the set.
    pub const fn contains(self, kind: NsKind) -> bool {
        self.0 & kind.bit() != 0
    }

    /// Adds `kind`.
    pub fn insert(&mut self, kind: NsKind) {
        self.0 |= kind.bit();
    }

    /// Removes `kind`.
    pub fn remove(&mut self, kind: NsKind) {
        self.0 &= !kind.bit();
    }

    /// True when the set holds no kind.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The kinds in the set, in `NsKind::ALL` order.
    pub fn iter(self) -> impl Iterator<Item = NsKind> {
        NsKind::ALL.into_iter().filter(move |k| self.contains(*k))
    }

    /// The `CLONE_NEW*` flags of every kind in the set, or-ed together.
    pub fn clone_flags(self) -> libc::c_int {
        self.iter().fold(0, |acc, k| acc | k.clone_flag())
    }
}

impl FromIterator<NsKind> for KindSet {
    fn from_iter<I: IntoIterator<Item = NsKind>>(iter: I) -> Self {
        let mut set = KindSet::EMPTY;
        for k in iter {
            set.insert(k);
        }
        set
    }
}

impl fmt::Display for KindSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for k in self.iter() {
            if !first {
                f.write_str(" ")?;
            }
            first = false;
            f.write_str(k.name())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in NsKind::ALL {
            assert_eq!(k.name().parse::<NsKind>(), Ok(k));
            assert_eq!(NsKind::from_clone_flag(k.clone_flag()), Some(k));
        }
        assert!("network".parse::<NsKind>().is_err());
    }

    #[test]
    fn clone_flags_are_distinct() {
        let all = KindSet::ALL.clone_flags();
        assert_eq!(all.count_ones(), 8);
        assert_eq!(all & libc::CSIGNAL, NsKind::Time.clone_flag());
    }

    #[test]
    fn kind_set_ops() {
        let mut s: KindSet = [NsKind::Net, NsKind::Uts].into_iter().collect();
        assert!(s.contains(NsKind::Net) && !s.contains(NsKind::Pid));
        assert_eq!(s.to_string(), "net uts");
        s.remove(NsKind::Net);
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![NsKind::Uts]);
    }
}
