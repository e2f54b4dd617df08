//! nslab: a lab runner that teaches Linux namespaces by doing.
//!
//! `ns` is the engine (kinds, identities, the `/proc` scanner, clone / setns /
//! unshare / pin); `lsns` prints listings; `lesson` parses lessons; `cmd` and
//! `cli` are the command line.

pub mod book;
pub mod catalog;
pub mod cli;
pub mod cmd;
pub mod doctor;
pub mod i18n;
pub mod lesson;
pub mod lsns;
pub mod ns;
pub mod picture;
pub mod run;
pub mod serve;
pub mod ui;
