//! The namespace engine: kinds, identities, the `/proc` scanner, and the
//! clone / setns / unshare / pin operations.

pub mod kind;

pub use kind::{KindSet, NsKind, UnknownKind};
pub mod id;
pub mod sys;

pub use id::{NsId, NsLink};
pub mod process;
pub mod scan;
pub mod view;

pub use process::{Creation, EngineError, JoinTarget, Process, Spawn, Stdio, TimeOffsets, pin, unpin};
pub use scan::{Details, Listing, Namespace, Scanner};
pub use sys::ExitStatus;
pub use view::NsView;
