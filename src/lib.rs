//! nslab: a lab runner that teaches Linux namespaces by doing.
//!
//! `ns` is the engine (kinds, identities, the `/proc` scanner, clone / setns /
//! unshare / pin); `lsns` prints listings; `lesson` parses and checks lessons;
//! `catalog` finds them; `run` runs them in a lab (the driver, its faces and
//! the sandbox); `ui` is what a learner at a terminal sees; `doctor` says
//! what this machine allows; `serve` is the live book, `picture` its SVG of
//! the namespaces, and `book` the mdBook preprocessor; `cli` and `cmd` are
//! the command line.

pub mod book;
pub mod catalog;
pub mod cli;
pub mod cmd;
pub mod doctor;
pub mod lesson;
pub mod lsns;
pub mod ns;
pub mod picture;
pub mod run;
pub mod serve;
pub mod ui;
