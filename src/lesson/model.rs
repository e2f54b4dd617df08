//! The parsed lesson: plain data with spans, ready for a runner. Nothing here runs.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Serialize, Serializer};

use super::output::OutputMatcher;
use super::span::{Span, Spanned};
use crate::ns::{KindSet, NsKind};
use crate::t;

/// A lesson: its metadata and its runnable steps, in document order.
#[derive(Debug, Clone, Serialize)]
pub struct Lesson {
    /// The file the lesson was read from.
    pub source_path: PathBuf,
    /// The front matter.
    pub meta: LessonMeta,
    /// The ```` ```nslab ```` blocks, in document order.
    pub steps: Vec<Step>,
    /// The Markdown after the last step (e.g. a "What you learned" section).
    pub outro: Span,
    /// The whole source text; spans index into it.
    #[serde(skip)]
    pub source: String,
}

impl Lesson {
    /// The source text covered by `span` (empty if the span is out of range).
    pub fn text(&self, span: Span) -> &str {
        self.source.get(span.range()).unwrap_or("")
    }

    /// The Markdown prose shown before `step`.
    pub fn prose(&self, step: &Step) -> &str {
        self.text(step.prose)
    }

    /// The step with id `id`.
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }
}

/// The lesson's front matter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LessonMeta {
    /// Short id, `[a-z0-9-]+`.
    pub id: String,
    /// Human title.
    pub title: String,
    /// What the machine must offer for the lesson to run.
    pub needs: Needs,
    /// Estimated duration in minutes.
    pub duration_minutes: Option<u32>,
    /// For a translation (`translates:`), the original it translates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub translates: Option<Translates>,
    /// The front matter block, from the first `---` to the last.
    pub span: Span,
}

/// A translation's link to its original: `translates: 01-observe.md` and
/// `source-steps: DIGEST`, the fingerprint of the original's steps it was
/// translated from (see `nslab check`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Translates {
    /// The original's file name, in the folder above the translation's.
    pub original: Spanned<String>,
    /// The fingerprint of the original's steps when it was translated.
    pub source_steps: Option<Spanned<String>>,
}

/// What a lesson needs from the machine (`needs:`); all false / `None` means nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Needs {
    /// The runner must be root.
    pub root: bool,
    /// Unprivileged user namespaces must be available.
    pub userns: bool,
    /// The least kernel version (`kernel 5.6`).
    pub min_kernel: Option<KernelVersion>,
    /// Programs of which at least one must be installed (`cc or python3`);
    /// empty when the lesson needs none.
    pub any_tool: ToolSet,
}

/// A program a lesson's steps may need, one of a known few.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// A C compiler, `cc`.
    Cc,
    /// Python 3, `python3`.
    Python3,
}

impl Tool {
    /// Every tool, in order.
    pub const ALL: [Tool; 2] = [Tool::Cc, Tool::Python3];

    /// The command's name.
    pub fn name(self) -> &'static str {
        match self {
            Tool::Cc => "cc",
            Tool::Python3 => "python3",
        }
    }

    /// The tool called `name`.
    pub fn from_name(name: &str) -> Option<Tool> {
        Tool::ALL.into_iter().find(|t| t.name() == name)
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// A set of [`Tool`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ToolSet(u8);

impl ToolSet {
    /// Adds `tool`.
    pub fn insert(&mut self, tool: Tool) {
        self.0 |= tool.bit();
    }

    /// True when `tool` is in the set.
    pub fn contains(self, tool: Tool) -> bool {
        self.0 & tool.bit() != 0
    }

    /// True for the empty set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The tools in the set, in order.
    pub fn iter(self) -> impl Iterator<Item = Tool> {
        Tool::ALL.into_iter().filter(move |t| self.contains(*t))
    }
}

impl FromIterator<Tool> for ToolSet {
    fn from_iter<I: IntoIterator<Item = Tool>>(iter: I) -> Self {
        let mut set = ToolSet::default();
        iter.into_iter().for_each(|t| set.insert(t));
        set
    }
}

impl fmt::Display for ToolSet {
    /// `cc or python3`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(Tool::name).collect();
        f.write_str(&names.join(" or "))
    }
}

impl Serialize for ToolSet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter().map(Tool::name))
    }
}

impl Needs {
    /// True when the lesson runs anywhere.
    pub fn is_nothing(&self) -> bool {
        *self == Needs::default()
    }
}

impl fmt::Display for Needs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if self.root {
            parts.push("root".to_string());
        }
        if self.userns {
            parts.push("userns".to_string());
        }
        if let Some(k) = self.min_kernel {
            parts.push(format!("kernel {k}"));
        }
        if !self.any_tool.is_empty() {
            parts.push(self.any_tool.to_string());
        }
        if parts.is_empty() { f.write_str("nothing") } else { f.write_str(&parts.join(", ")) }
    }
}

/// A Linux kernel version, major and minor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct KernelVersion {
    /// e.g. 5 in 5.6.
    pub major: u32,
    /// e.g. 6 in 5.6.
    pub minor: u32,
}

impl fmt::Display for KernelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// Whether a block is a guided step (`nslab`) or an exercise (`nslab exercise`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepKind {
    /// The runner performs the action and checks the expectations.
    Step,
    /// The learner does the work; the block states a goal and a reference solution.
    Exercise,
}

/// The extra lines of an exercise block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exercise {
    /// What the learner must achieve (`goal:`).
    pub goal: String,
    /// The reference solution, shell commands (`solution:`, or `| ` lines).
    pub solution: String,
    /// Pins the learner is to create in the run folder (`creates: NAME KIND`),
    /// checked by the exercise and removed when it ends.
    pub creates: Vec<(String, NsKind)>,
    /// A command nslab runs in the namespaces of the learner's shell when it
    /// checks (`probe: hostname`); the exercise's status and output
    /// expectations are about it.
    pub probe: Option<String>,
}

/// One runnable block: an action, the identities to save after it, and what must
/// then be true.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// 1-based position among the lesson's steps.
    pub number: usize,
    /// Unique id in the lesson: `id:`, else the title's slug, else `step-N`.
    pub id: String,
    /// Step or exercise.
    pub kind: StepKind,
    /// `title:`, if given.
    pub title: Option<String>,
    /// The one thing the step does.
    pub action: Spanned<Action>,
    /// Namespace identities captured right after the action (`save`).
    pub saves: Vec<Spanned<Save>>,
    /// What must hold after the action, in order.
    pub expectations: Vec<Spanned<Expectation>>,
    /// Hints shown when the step fails, in order.
    pub hints: Vec<String>,
    /// How long the action may take (`timeout:`).
    #[serde(serialize_with = "serialize_millis")]
    pub timeout: Option<Duration>,
    /// Programs the step runs that a machine may lack (`needs: nft`): where
    /// one is not on the lab's PATH, the step is skipped with the reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub needs: Vec<String>,
    /// Text fed to a command's standard input; `None` means `/dev/null`.
    pub stdin: Option<String>,
    /// Goal and solution, for exercises.
    pub exercise: Option<Exercise>,
    /// The source files the lesson carries for this step (```` ```nslab file
    /// NAME ```` blocks in the prose before it), put in the run folder before
    /// the step runs.
    pub files: Vec<LessonFile>,
    /// Names of processes and pins, and `@captures`, that this step refers to
    /// (sorted). A runner skips the step when one of them came from a failed step.
    pub uses: Vec<String>,
    /// Names and `@captures` this step brings into being (sorted).
    pub defines: Vec<String>,
    /// The Markdown between the previous step (or the front matter) and this one.
    pub prose: Span,
    /// The whole fenced block, fences included.
    pub span: Span,
}

/// A file a lesson carries (```` ```nslab file NAME ````), written into the run
/// folder before the step that follows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LessonFile {
    /// The file's name in the run folder: `uts.c`.
    pub name: String,
    /// Its text, every line ending in a newline.
    pub text: String,
    /// The whole fenced block.
    pub span: Span,
}

impl Step {
    /// The title if there is one, else the id.
    pub fn display_title(&self) -> &str {
        self.title.as_deref().unwrap_or(&self.id)
    }
}

/// The action of a step. Exactly one per step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// `start NAME: KIND… [in OTHER]`: clone a long-lived process `name` in new
    /// namespaces of `kinds`, from inside `inside`'s namespaces if given.
    Start {
        /// The new process's name.
        name: String,
        /// The namespaces it gets new copies of.
        #[serde(serialize_with = "serialize_kinds")]
        kinds: KindSet,
        /// The process whose namespaces it is created in; the lesson's own if `None`.
        inside: Option<String>,
    },
    /// `run: CMD` or `run in NAME: CMD`: run a shell command and capture its output.
    Run {
        /// Where the command runs.
        target: RunTarget,
        /// The shell command.
        command: String,
    },
    /// `unshare KIND…: CMD`: run a command after unsharing `kinds`.
    Unshare {
        /// The kinds unshared before the command runs.
        #[serde(serialize_with = "serialize_kinds")]
        kinds: KindSet,
        /// The shell command.
        command: String,
    },
    /// `pin NAME KIND as PIN`: bind-mount a namespace of `process` onto a file
    /// named `pin` in the run's folder, so it outlives its processes.
    Pin {
        /// The process (or `host`) whose namespace is pinned.
        process: String,
        /// Which of its namespaces.
        kind: NsKind,
        /// The pin's name (a file name in the run's folder).
        pin: String,
    },
    /// `unpin PIN`: unmount and remove the pin.
    Unpin {
        /// The pin's name.
        pin: String,
    },
    /// `stop NAME`: kill a named process and wait until it is gone.
    Stop {
        /// The process's name.
        name: String,
    },
    /// `lsns` or `lsns: -t KIND…`: show the namespace listing, limited to `kinds`
    /// when not empty.
    Lsns {
        /// The kinds to list; empty means all.
        #[serde(serialize_with = "serialize_kinds")]
        kinds: KindSet,
    },
    /// An exercise without a set-up action: the learner does the work.
    YourTurn,
}

impl Action {
    /// True for actions that run a shell command (`run`, `run in`, `unshare`),
    /// whose status and output can be checked.
    pub fn is_command(&self) -> bool {
        matches!(self, Action::Run { .. } | Action::Unshare { .. })
    }

    /// The keyword the action is written with, e.g. `run in`.
    pub fn keyword(&self) -> &'static str {
        match self {
            Action::Start { .. } => "start",
            Action::Run { target: RunTarget::Host, .. } => "run",
            Action::Run { .. } => "run in",
            Action::Unshare { .. } => "unshare",
            Action::Pin { .. } => "pin",
            Action::Unpin { .. } => "unpin",
            Action::Stop { .. } => "stop",
            Action::Lsns { .. } => "lsns",
            Action::YourTurn => "your turn",
        }
    }
}

impl fmt::Display for Action {
    /// Writes the action back in lesson syntax.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Start { name, kinds, inside } => {
                write!(f, "start {name}: {kinds}")?;
                if let Some(other) = inside {
                    write!(f, " in {other}")?;
                }
                Ok(())
            }
            Action::Run { target: RunTarget::Host, command } => write!(f, "run: {command}"),
            Action::Run { target: RunTarget::Process(n) | RunTarget::Pin(n), command } => write!(f, "run in {n}: {command}"),
            Action::Unshare { kinds, command } => write!(f, "unshare {kinds}: {command}"),
            Action::Pin { process, kind, pin } => write!(f, "pin {process} {kind} as {pin}"),
            Action::Unpin { pin } => write!(f, "unpin {pin}"),
            Action::Stop { name } => write!(f, "stop {name}"),
            Action::YourTurn => f.write_str("your turn"),
            Action::Lsns { kinds } if kinds.is_empty() => f.write_str("lsns"),
            Action::Lsns { kinds } => {
                f.write_str("lsns:")?;
                for k in kinds.iter() {
                    write!(f, " -t {k}")?;
                }
                Ok(())
            }
        }
    }
}

/// Where `run` executes its command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "in", content = "name", rename_all = "snake_case")]
pub enum RunTarget {
    /// The lesson's own namespaces (`run:`).
    Host,
    /// All the namespaces of a named process (`run in box:`).
    Process(String),
    /// The one namespace held by a pin (`run in mypin:`).
    Pin(String),
}

/// `save NAME KIND as @cap`: remember a namespace identity for later steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Save {
    /// Whose namespace: a process, a pin or the host.
    pub subject: Subject,
    /// Which kind.
    pub kind: NsKind,
    /// The capture's name, without the `@`.
    pub capture: String,
}

/// Something that has namespaces, as written in a step.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "type", content = "name", rename_all = "snake_case")]
pub enum Subject {
    /// The lesson's own namespaces (`host`).
    Host,
    /// A process started by `start`.
    Process(String),
    /// A namespace identity saved with `save … as @name` (name without `@`).
    Capture(String),
    /// A namespace pinned with `pin … as NAME`.
    Pin(String),
    /// The learner's shell, in an exercise: the shell from which they typed
    /// `check` (or the one nslab opened for them).
    Shell,
}

impl Subject {
    /// The name as it is used in a step's `uses`, e.g. `box` or `@old`; `None` for host.
    pub fn reference(&self) -> Option<String> {
        match self {
            Subject::Host | Subject::Shell => None,
            Subject::Process(n) | Subject::Pin(n) => Some(n.clone()),
            Subject::Capture(n) => Some(format!("@{n}")),
        }
    }

    /// "box's", "the lab's", "the one saved as @old": how the subject's
    /// namespace is named as the second term of a comparison.
    fn possessive(&self) -> String {
        match self {
            Subject::Host => t!("owner-lab"),
            Subject::Shell => t!("owner-shell"),
            Subject::Process(n) => t!("owner-process", name = n.as_str()),
            Subject::Capture(n) => t!("owner-capture", name = n.as_str()),
            Subject::Pin(n) => t!("owner-pin", pin = n.as_str()),
        }
    }
}

impl fmt::Display for Subject {
    /// Writes the subject in lesson syntax (`lab`, `box`, `@old`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Host => f.write_str("lab"),
            Subject::Shell => f.write_str("shell"),
            Subject::Process(n) | Subject::Pin(n) => f.write_str(n),
            Subject::Capture(n) => write!(f, "@{n}"),
        }
    }
}

/// A namespace an expectation talks about: `box net`, `host uts`, or `@old`
/// (a capture already knows its kind, so `kind` is `None` for it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NsRef {
    /// Whose namespace.
    pub subject: Subject,
    /// Which kind; `None` only for captures.
    pub kind: Option<NsKind>,
}

impl NsRef {
    /// Plain words: "the net namespace of box", "the lab's uts namespace",
    /// "the namespace saved as @old".
    pub fn describe(&self) -> String {
        match (&self.subject, self.kind) {
            (Subject::Capture(n), _) => t!("ns-capture", name = n.as_str()),
            (Subject::Host, Some(k)) => t!("ns-lab", kind = k.name()),
            (Subject::Shell, Some(k)) => t!("ns-shell", kind = k.name()),
            (Subject::Process(n), Some(k)) => t!("ns-process", kind = k.name(), name = n.as_str()),
            (Subject::Pin(n), Some(k)) => t!("ns-pin", kind = k.name(), pin = n.as_str()),
            (s, None) => t!("ns-of", subject = s.to_string()),
        }
    }
}

impl fmt::Display for NsRef {
    /// Writes the reference in lesson syntax (`box net`, `@old`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            Some(k) if !matches!(self.subject, Subject::Capture(_)) => {
                write!(f, "{} {k}", self.subject)
            }
            _ => write!(f, "{}", self.subject),
        }
    }
}

/// Which output stream an expectation reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

impl fmt::Display for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        })
    }
}

/// The exit status a command must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ExpectedStatus {
    /// Exactly this code (0–255).
    Code(u8),
    /// Anything but 0 (including death by a signal).
    Nonzero,
}

/// One `expect:` line: a fact about the state after the action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Expectation {
    /// `SUBJ KIND changed`: a different namespace than before the step.
    Changed {
        /// The namespace.
        ns: NsRef,
    },
    /// `SUBJ KIND same`: the same namespace as before the step.
    Unchanged {
        /// The namespace.
        ns: NsRef,
    },
    /// `SUBJ KIND same as OTHER`: one namespace, shared with `other`.
    SameAs {
        /// The namespace.
        ns: NsRef,
        /// Whose namespace of the same kind it must be.
        other: Subject,
    },
    /// `SUBJ KIND differs from OTHER`: not the namespace `other` has.
    DiffersFrom {
        /// The namespace.
        ns: NsRef,
        /// Whose namespace of the same kind it must not be.
        other: Subject,
    },
    /// `… in lsns`: the namespace is listed by the scanner.
    InLsns {
        /// The namespace.
        ns: NsRef,
    },
    /// `… gone from lsns`: the namespace is no longer listed.
    GoneFromLsns {
        /// The namespace.
        ns: NsRef,
    },
    /// `… nprocs N`: exactly `count` processes are in the namespace.
    Nprocs {
        /// The namespace.
        ns: NsRef,
        /// How many processes.
        count: u32,
    },
    /// `… pinned at PIN`: the namespace is held by the bind mount `pin`.
    PinnedAt {
        /// The namespace.
        ns: NsRef,
        /// The pin's name.
        pin: String,
    },
    /// `status N` / `status nonzero`.
    Status {
        /// The expected status.
        status: ExpectedStatus,
    },
    /// `stdout: …`, `stderr contains: …`, `stdout matches: …`.
    Output {
        /// Which stream.
        stream: Stream,
        /// How it must look.
        matcher: OutputMatcher,
    },
}

impl Expectation {
    /// True for expectations about a command's status or output.
    pub fn needs_command(&self) -> bool {
        matches!(self, Expectation::Status { .. } | Expectation::Output { .. })
    }

    /// The namespace this expectation is about, if any.
    pub fn ns(&self) -> Option<&NsRef> {
        match self {
            Expectation::Changed { ns }
            | Expectation::Unchanged { ns }
            | Expectation::SameAs { ns, .. }
            | Expectation::DiffersFrom { ns, .. }
            | Expectation::InLsns { ns }
            | Expectation::GoneFromLsns { ns }
            | Expectation::Nprocs { ns, .. }
            | Expectation::PinnedAt { ns, .. } => Some(ns),
            Expectation::Status { .. } | Expectation::Output { .. } => None,
        }
    }

    /// The namespace this expectation is about, for the checker to resolve
    /// in place.
    pub(crate) fn ns_mut(&mut self) -> Option<&mut NsRef> {
        match self {
            Expectation::Changed { ns }
            | Expectation::Unchanged { ns }
            | Expectation::SameAs { ns, .. }
            | Expectation::DiffersFrom { ns, .. }
            | Expectation::InLsns { ns }
            | Expectation::GoneFromLsns { ns }
            | Expectation::Nprocs { ns, .. }
            | Expectation::PinnedAt { ns, .. } => Some(ns),
            Expectation::Status { .. } | Expectation::Output { .. } => None,
        }
    }

    /// The expectation in plain English, e.g. "the net namespace of box changes".
    pub fn describe(&self) -> String {
        match self {
            Expectation::Changed { ns } => t!("expect-changed", ns = ns.describe()),
            Expectation::Unchanged { ns } => t!("expect-unchanged", ns = ns.describe()),
            Expectation::SameAs { ns, other } => t!("expect-same-as", ns = ns.describe(), other = other.possessive()),
            Expectation::DiffersFrom { ns, other } => t!("expect-differs-from", ns = ns.describe(), other = other.possessive()),
            Expectation::InLsns { ns } => t!("expect-in-lsns", ns = ns.describe()),
            Expectation::GoneFromLsns { ns } => t!("expect-gone-from-lsns", ns = ns.describe()),
            Expectation::Nprocs { ns, count } => t!("expect-nprocs", ns = ns.describe(), count = *count),
            Expectation::PinnedAt { ns, pin } => t!("expect-pinned-at", ns = ns.describe(), pin = pin.as_str()),
            Expectation::Status { status: ExpectedStatus::Code(c) } => t!("expect-status", code = *c),
            Expectation::Status { status: ExpectedStatus::Nonzero } => t!("expect-status-nonzero"),
            Expectation::Output { stream, matcher } => matcher.describe(*stream),
        }
    }
}

/// Serializes a [`KindSet`] as a list of kind names.
fn serialize_kinds<S: Serializer>(kinds: &KindSet, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(kinds.iter())
}

/// Serializes an optional duration as whole milliseconds.
fn serialize_millis<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_some(&(d.as_millis() as u64)),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::output::LinePattern;

    fn proc_ns(name: &str, kind: NsKind) -> NsRef {
        NsRef { subject: Subject::Process(name.into()), kind: Some(kind) }
    }

    #[test]
    fn descriptions_read_as_english() {
        let cap = NsRef { subject: Subject::Capture("old".into()), kind: None };
        let host_net = NsRef { subject: Subject::Host, kind: Some(NsKind::Net) };
        let cases = [
            (Expectation::Changed { ns: proc_ns("box", NsKind::Net) }, "the net namespace of box changes"),
            (Expectation::Unchanged { ns: host_net }, "the lab's net namespace stays the same"),
            (Expectation::SameAs { ns: proc_ns("box", NsKind::Uts), other: Subject::Host }, "the uts namespace of box is the same as the lab's"),
            (
                Expectation::DiffersFrom { ns: proc_ns("box", NsKind::Net), other: Subject::Capture("old".into()) },
                "the net namespace of box differs from the one saved as @old",
            ),
            (Expectation::GoneFromLsns { ns: cap.clone() }, "the namespace saved as @old is gone from lsns"),
            (Expectation::Nprocs { ns: cap.clone(), count: 1 }, "the namespace saved as @old holds 1 process"),
            (Expectation::PinnedAt { ns: cap, pin: "netns1".into() }, "the namespace saved as @old is pinned at netns1"),
            (Expectation::Status { status: ExpectedStatus::Nonzero }, "the command exits with a nonzero status"),
            (Expectation::Output { stream: Stream::Stdout, matcher: OutputMatcher::Lines(vec![LinePattern::Text("hi".into())]) }, "stdout is `hi`"),
        ];
        for (e, want) in cases {
            assert_eq!(e.describe(), want);
        }
    }

    #[test]
    fn actions_print_back_as_written() {
        let kinds: KindSet = [NsKind::Net, NsKind::Uts].into_iter().collect();
        let cases = [
            (Action::Start { name: "inner".into(), kinds, inside: Some("box".into()) }, "start inner: net uts in box"),
            (Action::Run { target: RunTarget::Process("box".into()), command: "hostname".into() }, "run in box: hostname"),
            (Action::Lsns { kinds }, "lsns: -t net -t uts"),
            (Action::Lsns { kinds: KindSet::EMPTY }, "lsns"),
        ];
        for (a, want) in cases {
            assert_eq!(a.to_string(), want);
        }
    }
}
