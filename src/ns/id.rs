//! Namespace identity: the (nsfs device, inode) pair, and the `net:[4026531840]`
//! text the kernel shows for it.

use std::fmt;
use std::str::FromStr;

use super::NsKind;

/// The identity of one namespace: the device and inode of its nsfs file.
///
/// Humans see only the inode (`lsns` prints it as NS), but two files with the
/// same inode on different devices are different files, so both are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct NsId {
    /// `st_dev` of the nsfs file.
    pub dev: u64,
    /// `st_ino` of the nsfs file: the number `lsns` shows.
    pub ino: u64,
}

impl NsId {
    /// The identity of the open namespace file or `/proc/PID/ns` link `meta` describes.
    pub fn from_metadata(meta: &std::fs::Metadata) -> NsId {
        use std::os::unix::fs::MetadataExt;
        NsId { dev: meta.dev(), ino: meta.ino() }
    }
}

/// A namespace link as the kernel prints it: `net:[4026531840]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NsLink {
    /// The kind named before the colon.
    pub kind: NsKind,
    /// The inode between the brackets.
    pub ino: u64,
}

/// Text that is not of the form `KIND:[INODE]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a namespace link (expected KIND:[INODE], e.g. net:[4026531840])")]
pub struct BadLink(pub String);

impl NsLink {
    /// Parses `net:[4026531840]`; returns `None` for anything else, including the
    /// look-alikes `socket:[123]` and `pipe:[123]` that `/proc/PID/fd` shows.
    pub fn parse_bytes(text: &[u8]) -> Option<NsLink> {
        let colon = text.iter().position(|&b| b == b':')?;
        let (name, rest) = text.split_at(colon);
        let digits = rest.strip_prefix(b":[")?.strip_suffix(b"]")?;
        if digits.is_empty() || digits.len() > 20 || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let kind = NsKind::ALL.into_iter().find(|k| k.name().as_bytes() == name)?;
        let ino = std::str::from_utf8(digits).ok()?.parse().ok()?;
        Some(NsLink { kind, ino })
    }
}

impl FromStr for NsLink {
    type Err = BadLink;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NsLink::parse_bytes(s.as_bytes()).ok_or_else(|| BadLink(s.to_string()))
    }
}

impl fmt::Display for NsLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:[{}]", self.kind, self.ino)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_links() {
        let cases = [
            ("net:[4026531840]", Some((NsKind::Net, 4026531840))),
            ("time:[4026531834]", Some((NsKind::Time, 4026531834))),
            ("cgroup:[1]", Some((NsKind::Cgroup, 1))),
            ("socket:[4026531840]", None),
            ("pipe:[12]", None),
            ("net:[]", None),
            ("net:[12a]", None),
            ("net:4026531840", None),
            ("/net:[1]", None),
            ("net:[99999999999999999999999]", None),
            ("", None),
        ];
        for (text, want) in cases {
            let got = text.parse::<NsLink>().ok().map(|l| (l.kind, l.ino));
            assert_eq!(got, want, "{text}");
            if let Some((kind, ino)) = want {
                assert_eq!(NsLink { kind, ino }.to_string(), text);
            }
        }
    }
}
