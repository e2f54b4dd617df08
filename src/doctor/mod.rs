//! `nslab doctor`: what this machine lets lessons do, found by trying each
//! capability for real in a throwaway child, with the kernel settings that
//! explain a failure, the one command that fixes it, and which lessons will
//! run here as root and rootless.
//!
//! Reading the settings ([`Settings::read`], `settings.rs`) and trying the
//! capabilities ([`Probe::run`], `probe.rs`) are the only parts that look at
//! the machine; explaining ([`explain`], `explain.rs`), judging lessons
//! ([`Probe::verdict`], `lessons.rs`) and rendering ([`Report::render`],
//! `report.rs`) are plain functions of their inputs. What is tried and found
//! is in `check.rs`.

mod check;
mod explain;
#[cfg(test)]
mod fixtures;
mod lessons;
mod probe;
mod report;
mod settings;

pub use check::{Capability, Check, Explanation, Outcome, PartResult, SandboxPart, Way};
pub use explain::{explain, missing_kind, unprivileged_block};
pub use lessons::{LessonReport, Requirements, Verdict, missing_tools, tools_on_path};
pub use probe::Probe;
pub use report::Report;
pub use settings::{ContainerHint, Settings, Sources, container_in_cgroup, covered_proc_mounts, parse_kernel_release};

use crate::lesson::KernelVersion;

/// The exit status of `nslab doctor` when some lesson cannot run here as the
/// user who ran it (0 when every one can).
pub const EXIT_SOME_CANNOT_RUN: i32 = 3;

/// The value the fix for a zero or exhausted `user.max_user_namespaces` sets.
pub const MAX_USER_NAMESPACES_FIX: u64 = 15000;

/// The first kernel with time namespaces.
pub const TIME_NS_KERNEL: KernelVersion = KernelVersion { major: 5, minor: 6 };
