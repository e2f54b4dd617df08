//! The semantic pass over parsed steps: one action and at least one expectation
//! per step, unique ids, names used only while defined (in document order), and
//! expectations that fit their step. It resolves names to processes or pins and
//! records what each step uses and defines.

use std::borrow::Cow;
use std::ops::Range;

use super::diagnostic::Diagnostics;
use super::model::{Action, Expectation, ExpectedStatus, RunTarget, Save, StepKind, Subject};
use super::step::{Item, StepDraft};
use super::syntax::{FastMap, closest, slug};
use crate::ns::NsKind;

/// A name that is currently defined.
#[derive(Debug, Clone, Copy)]
enum Def {
    /// A running process.
    Process,
    /// A pin of a namespace of `kind`.
    Pin { kind: NsKind },
    /// A capture of a namespace of `kind`.
    Capture { kind: NsKind },
    /// A name whose definition could not be parsed, or whose use was already
    /// reported as undefined: accepted quietly so one mistake gives one error.
    Unknown,
}

impl Def {
    fn noun(&self) -> String {
        match self {
            Def::Process => crate::t!("noun-process"),
            Def::Pin { .. } => crate::t!("noun-pin"),
            Def::Capture { .. } => crate::t!("noun-capture"),
            Def::Unknown => crate::t!("noun-error"),
        }
    }
}

/// Why a name is no longer defined; formatted only when an error shows it.
#[derive(Debug, Clone, Copy)]
enum Gone {
    /// An exercise's `creates:` pin, at the end of exercise N.
    Removed(usize),
    Unpinned(usize),
    Stopped(usize),
}

impl std::fmt::Display for Gone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Gone::Removed(n) => f.write_str(&crate::t!("gone-removed", number = *n)),
            Gone::Unpinned(n) => f.write_str(&crate::t!("gone-unpinned", number = *n)),
            Gone::Stopped(n) => f.write_str(&crate::t!("gone-stopped", number = *n)),
        }
    }
}

/// What a use of a name must refer to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    Process,
    Pin,
    ProcessOrPin,
    Capture,
}

/// A checked step's derived facts.
#[derive(Debug)]
pub(crate) struct Checked {
    pub id: String,
    pub uses: Vec<String>,
    pub defines: Vec<String>,
}

/// The running state of the names while walking the steps in order.
struct Scope<'d> {
    /// The lesson source the items' token ranges point into.
    source: &'d str,
    live: FastMap<String, Def>,
    /// Why a name is no longer defined (shown as "stopped in step 3").
    gone: FastMap<String, Gone>,
    /// Names used while undefined, reported after the walk (when the help can
    /// say where they are defined later).
    undefined: Vec<Undefined>,
    diags: &'d mut Diagnostics,
    /// True while checking an exercise (where `shell` is a subject).
    in_exercise: bool,
}

/// A use of an undefined name, waiting to be reported.
struct Undefined {
    /// The name as shown (`box`, `@old`).
    key: String,
    /// The bare name.
    name: String,
    want: Want,
    range: Range<usize>,
    step: usize,
    /// A live name it may be a typo of.
    similar: Option<String>,
}

/// Checks `drafts` (numbered from 1 in order); returns the id, uses and
/// defines of each, and resolves process names that denote pins.
pub(crate) fn check(source: &str, drafts: &mut [StepDraft], diags: &mut Diagnostics) -> Vec<Checked> {
    let mut scope = Scope { source, live: FastMap::default(), gone: FastMap::default(), undefined: Vec::new(), diags, in_exercise: false };
    let ids = step_ids(drafts, scope.diags);
    let mut out = Vec::with_capacity(drafts.len());
    for ((i, step), id) in drafts.iter_mut().enumerate().zip(ids) {
        let number = i + 1;
        structure(step, scope.diags);
        let mut uses = Vec::new();
        let mut defines = Vec::new();
        scope.in_exercise = step.kind == StepKind::Exercise;
        // Pins the learner creates exist within the exercise only.
        let mut local = Vec::new();
        for (name, kind, range) in &step.creates {
            scope.define(name.clone(), Def::Pin { kind: *kind }, range.clone(), &mut local);
        }
        // Extra actions are an error, but their names count, to avoid follow-on errors.
        for action in &mut step.actions {
            scope.action(action, number, &mut uses, &mut defines);
        }
        for key in &step.tentative {
            scope.live.entry(key.clone()).or_insert(Def::Unknown);
        }
        let started = match step.actions.first().map(|a| &a.value) {
            Some(Action::Start { name, .. }) => Some(name.as_str()),
            _ => None,
        };
        for save in &mut step.saves {
            scope.save(save, number, &mut uses, &mut defines);
        }
        let is_command = step.actions.first().map(|a| a.value.is_command());
        let action_word = step.actions.first().map_or("", |a| a.value.keyword());
        for e in &mut step.expectations {
            if e.value.needs_command() && step.kind == StepKind::Exercise {
                if step.probe.is_none() {
                    scope.diags.error_help(e.range.clone(), crate::t!("ck-no-probe"), crate::t!("ck-no-probe-help"));
                }
            } else if e.value.needs_command() && is_command == Some(false) {
                scope.diags.error_help(e.range.clone(), crate::t!("ck-no-command"), crate::t!("ck-no-command-help", action = action_word));
            }
            scope.expectation(e, number, started, &mut uses);
        }
        if let Some((_, range)) = &step.stdin
            && is_command == Some(false)
        {
            scope.diags.error_help(range.clone(), crate::t!("ck-stdin"), crate::t!("ck-action-is", action = action_word));
        }
        for name in &local {
            scope.undefine(name, Gone::Removed(number));
        }
        defines.sort_unstable();
        defines.dedup();
        // What a step defines itself is not a dependency on earlier steps.
        uses.retain(|u| defines.binary_search(u).is_err());
        uses.sort_unstable();
        uses.dedup();
        out.push(Checked { id, uses, defines });
    }
    let undefined = std::mem::take(&mut scope.undefined);
    if !undefined.is_empty() {
        report_undefined(undefined, &first_definitions(drafts), scope.diags);
    }
    out
}

/// Reports uses of undefined names, saying where a name is defined later.
fn report_undefined(undefined: Vec<Undefined>, first_def: &FastMap<String, usize>, diags: &mut Diagnostics) {
    for u in undefined {
        let name = &u.name;
        let help = if let Some(later) = first_def.get(&u.key).filter(|s| **s >= u.step) {
            crate::t!("ck-defined-later", number = *later)
        } else if let Some(similar) = u.similar {
            crate::t!("did-you-mean", word = similar)
        } else {
            match u.want {
                Want::Capture => crate::t!("ck-save-first", name = name.as_str()),
                Want::Pin => crate::t!("ck-pin-first", name = name.as_str()),
                _ => crate::t!("ck-start-first", name = name.as_str()),
            }
        };
        diags.error_help(u.range, crate::t!("ck-undefined", name = u.key.as_str()), help);
    }
}

/// The step-level rules: one action, at least one expectation, exercise lines.
fn structure(step: &StepDraft, diags: &mut Diagnostics) {
    // A line that was not understood may be a misspelt action or `expect:`;
    // it is reported already.
    if step.action_lines == 0 && step.unknown_lines == 0 && step.kind != StepKind::Exercise {
        diags.error_help(step.opening.clone(), crate::t!("ck-no-action"), crate::t!("ck-no-action-help"));
    }
    if let Some(first) = step.actions.first() {
        for extra in &step.actions[1..] {
            diags.error_help(extra.range.clone(), crate::t!("ck-second-action", first = first.value.keyword()), crate::t!("ck-second-action-help"));
        }
    }
    if step.expectation_lines == 0 && step.unknown_lines == 0 {
        diags.error_help(step.opening.clone(), crate::t!("ck-no-expectation"), crate::t!("ck-no-expectation-help"));
    }
    if step.kind == StepKind::Exercise {
        for (key, value) in [("goal", &step.goal), ("solution", &step.solution)] {
            if value.is_none() {
                diags.error(step.opening.clone(), crate::t!("ck-exercise-lacks", key = key.to_string()));
            }
        }
    }
}

/// The id of every step, reporting duplicates.
///
/// The ids written in the drafts are moved out (nothing reads them later).
fn step_ids(drafts: &mut [StepDraft], diags: &mut Diagnostics) -> Vec<String> {
    let ids: Vec<(String, Range<usize>, Option<&str>)> = drafts
        .iter_mut()
        .enumerate()
        .map(|(i, step)| {
            if let Some((id, r)) = &mut step.id {
                return (std::mem::take(id), r.clone(), None);
            }
            // The title's slug is only needed (and computed) without an `id:`.
            let title_slug = step.title.as_ref().map(|(t, r)| (slug(t), r)).filter(|(s, _)| !s.is_empty());
            match title_slug {
                // Put in words only when a duplicate is reported.
                Some((slug, r)) => (slug, r.clone(), Some("title")),
                None => (format!("step-{}", i + 1), step.opening.clone(), Some("number")),
            }
        })
        .collect();
    let mut seen: FastMap<&str, usize> = FastMap::with_capacity_and_hasher(ids.len(), Default::default());
    for (i, (id, range, derived)) in ids.iter().enumerate() {
        if let Some(first) = seen.get(id.as_str()) {
            let help = match derived {
                Some(from) => crate::t!("ck-derived-id", from = if *from == "title" { crate::t!("ck-from-title") } else { crate::t!("ck-from-number") }),
                None => crate::t!("ck-unique-ids"),
            };
            diags.error_help(range.clone(), crate::t!("ck-duplicate-id", id = id.as_str(), first = *first), help);
        } else {
            seen.insert(id, i + 1);
        }
    }
    ids.into_iter().map(|(id, _, _)| id).collect()
}

/// The first step defining each name (processes and pins by name, captures as `@name`).
fn first_definitions(drafts: &[StepDraft]) -> FastMap<String, usize> {
    let mut first = FastMap::default();
    for (i, step) in drafts.iter().enumerate() {
        let mut note = |name: String| {
            first.entry(name).or_insert(i + 1);
        };
        for a in &step.actions {
            match &a.value {
                Action::Start { name, .. } => note(name.clone()),
                Action::Pin { pin, .. } => note(pin.clone()),
                _ => {}
            }
        }
        for s in &step.saves {
            note(capture_key(&s.value.capture));
        }
    }
    first
}

impl Scope<'_> {
    /// Checks that `name` is defined as `want` here, reporting at `range`.
    /// Returns its definition.
    fn lookup(&mut self, name: &str, want: Want, range: Range<usize>, step: usize) -> Option<Def> {
        let key: Cow<'_, str> = if want == Want::Capture { Cow::Owned(capture_key(name)) } else { Cow::Borrowed(name) };
        let shown = &*key;
        match (self.live.get(shown), want) {
            (Some(Def::Unknown), _) => Some(Def::Unknown),
            (Some(d @ Def::Process), Want::Process | Want::ProcessOrPin)
            | (Some(d @ Def::Pin { .. }), Want::Pin | Want::ProcessOrPin)
            | (Some(d @ Def::Capture { .. }), Want::Capture) => Some(*d),
            (Some(d), _) => {
                let wanted = match want {
                    Want::Process => crate::t!("noun-process"),
                    Want::Pin => crate::t!("noun-pin"),
                    Want::ProcessOrPin => crate::t!("noun-process-or-pin"),
                    Want::Capture => crate::t!("noun-capture"),
                };
                self.diags.error(range, crate::t!("ck-wrong-sort", name = shown, is = d.noun(), wanted = wanted));
                None
            }
            (None, _) => {
                if let Some(why) = self.gone.get(shown) {
                    self.diags.error_help(range, crate::t!("ck-undefined", name = shown), crate::t!("ck-it-was", why = why.to_string()));
                } else {
                    self.undefined.push(Undefined { key: shown.to_string(), name: name.to_string(), want, range, step, similar: self.similar(shown, want) });
                }
                // Report each undefined name once.
                self.live.insert(key.into_owned(), Def::Unknown);
                None
            }
        }
    }

    /// A live name (or `host`) close to the undefined `key`, as a typo fix.
    fn similar(&self, key: &str, want: Want) -> Option<String> {
        let mut names: Vec<&str> = self.live.iter().filter(|(_, d)| !matches!(d, Def::Unknown)).map(|(k, _)| k.as_str()).collect();
        if want != Want::Capture {
            names.push("host");
        }
        names.sort_unstable();
        closest(key, &names).map(str::to_string)
    }

    /// Defines `key`, reporting a clash with a live name.
    fn define(&mut self, key: String, def: Def, range: Range<usize>, defines: &mut Vec<String>) {
        if let Some(old) = self.live.get(&key).filter(|d| !matches!(d, Def::Unknown)) {
            let help = match old {
                Def::Process => crate::t!("ck-stop-first", name = key.as_str()),
                Def::Pin { .. } => crate::t!("ck-unpin-first", name = key.as_str()),
                Def::Capture { .. } | Def::Unknown => crate::t!("ck-other-capture-name"),
            };
            self.diags.error_help(range, crate::t!("ck-defined-as", name = key.as_str(), is = old.noun()), help);
            return;
        }
        self.gone.remove(&key);
        defines.push(key.clone());
        self.live.insert(key, def);
    }

    /// Removes `key`, remembering why.
    fn undefine(&mut self, key: &str, why: Gone) {
        let key = match self.live.remove_entry(key) {
            Some((owned, _)) => owned,
            None => key.to_string(),
        };
        self.gone.insert(key, why);
    }

    fn action(&mut self, item: &mut Item<Action>, step: usize, uses: &mut Vec<String>, defines: &mut Vec<String>) {
        let source = self.source;
        let at = |name: &str| item.at(source, name);
        match &item.value {
            Action::Start { name, inside, .. } => {
                if let Some(other) = inside {
                    note(uses, other);
                    self.lookup(other, Want::Process, at(other), step);
                }
                self.define(name.clone(), Def::Process, at(name), defines);
            }
            Action::Run { target: RunTarget::Process(name), .. } => {
                note(uses, name);
                let found = self.lookup(name, Want::ProcessOrPin, at(name), step);
                if let (Some(Def::Pin { .. }), Action::Run { target, .. }) = (found, &mut item.value)
                    && let RunTarget::Process(name) = target
                {
                    let name = std::mem::take(name);
                    *target = RunTarget::Pin(name);
                }
            }
            Action::Pin { process, kind, pin } => {
                if process != "host" {
                    note(uses, process);
                    self.lookup(process, Want::Process, at(process), step);
                }
                self.define(pin.clone(), Def::Pin { kind: *kind }, at(pin), defines);
            }
            Action::Unpin { pin } => {
                note(uses, pin);
                if self.lookup(pin, Want::Pin, at(pin), step).is_some() {
                    self.undefine(pin, Gone::Unpinned(step));
                }
            }
            Action::Stop { name } => {
                note(uses, name);
                if self.lookup(name, Want::Process, at(name), step).is_some() {
                    self.undefine(name, Gone::Stopped(step));
                }
            }
            Action::Run { .. } | Action::Unshare { .. } | Action::Lsns { .. } | Action::YourTurn => {}
        }
    }

    /// Resolves a subject in place: a name becomes a process, or a pin (whose
    /// kind must be `kind`); a capture is looked up and its kind compared.
    /// Returns the kind of namespace the subject denotes.
    fn subject(
        &mut self,
        subject: &mut Subject,
        kind: Option<NsKind>,
        token: impl Fn(&str) -> Range<usize>,
        step: usize,
        uses: &mut Vec<String>,
    ) -> Option<NsKind> {
        match subject {
            Subject::Host => kind,
            Subject::Shell => {
                if !self.in_exercise {
                    self.diags.error_help(token("shell"), crate::t!("ck-shell-outside"), crate::t!("ck-shell-outside-help"));
                }
                kind
            }
            Subject::Capture(name) => {
                let key = capture_key(name);
                let at = token(&key);
                let found = self.lookup(name, Want::Capture, at.clone(), step);
                note(uses, &key);
                match found {
                    Some(Def::Capture { kind: captured }) => {
                        if let Some(k) = kind.filter(|k| *k != captured) {
                            self.diags.error(at, crate::t!("ck-capture-kind", name = name.as_str(), captured = captured.name(), kind = k.name()));
                        }
                        Some(captured)
                    }
                    _ => kind,
                }
            }
            Subject::Process(name) | Subject::Pin(name) => {
                note(uses, name);
                let at = token(name);
                match self.lookup(name, Want::ProcessOrPin, at.clone(), step) {
                    Some(Def::Pin { kind: pinned }) => {
                        if let Some(k) = kind.filter(|k| *k != pinned) {
                            self.diags.error(at, crate::t!("ck-pin-kind", name = name.as_str(), pinned = pinned.name(), kind = k.name()));
                        }
                        let name = std::mem::take(name);
                        *subject = Subject::Pin(name);
                        Some(pinned)
                    }
                    _ => kind,
                }
            }
        }
    }

    fn save(&mut self, item: &mut Item<Save>, step: usize, uses: &mut Vec<String>, defines: &mut Vec<String>) {
        let source = self.source;
        let kind = item.value.kind;
        let (tokens, line) = (&item.tokens, &item.range);
        let token = |t: &str| tokens.find(source, t).unwrap_or_else(|| line.clone());
        self.subject(&mut item.value.subject, Some(kind), token, step, uses);
        let key = capture_key(&item.value.capture);
        let at = item.at(source, &key);
        self.define(key, Def::Capture { kind }, at, defines);
    }

    fn expectation(&mut self, item: &mut Item<Expectation>, step: usize, started: Option<&str>, uses: &mut Vec<String>) {
        // Take the value out to resolve it while the item's tokens are read.
        let placeholder = Expectation::Status { status: ExpectedStatus::Nonzero };
        let mut value = std::mem::replace(&mut item.value, placeholder);
        let range = item.range.clone();
        let source = self.source;
        let token = |t: &str| item.at(source, t);
        if let Some(ns) = value.ns_mut() {
            let kind = self.subject(&mut ns.subject, ns.kind, token, step, uses);
            if !matches!(ns.subject, Subject::Capture(_)) {
                ns.kind = kind;
            }
        }
        let changed = matches!(value, Expectation::Changed { .. });
        let ns_kind = value.ns().and_then(|ns| match &ns.subject {
            Subject::Capture(name) => match self.live.get(&capture_key(name)) {
                Some(Def::Capture { kind }) => Some(*kind),
                _ => None,
            },
            _ => ns.kind,
        });
        match &mut value {
            Expectation::Changed { ns } | Expectation::Unchanged { ns } => {
                let word = if changed { "changed" } else { "same" };
                match &ns.subject {
                    Subject::Capture(_) | Subject::Pin(_) => {
                        let what = if matches!(ns.subject, Subject::Capture(_)) { crate::t!("noun-capture") } else { crate::t!("noun-pin") };
                        self.diags.error_help(
                            range.clone(),
                            crate::t!("ck-never-changes", word = word, subject = ns.subject.to_string(), what = what),
                            crate::t!("ck-never-changes-help", subject = ns.subject.to_string()),
                        );
                    }
                    Subject::Process(name) if Some(name.as_str()) == started => {
                        self.diags.error_help(
                            token(name),
                            crate::t!("ck-starts-here", name = name.as_str()),
                            crate::t!("ck-starts-here-help", name = name.as_str(), kind = ns.kind.map_or("net", |k| k.name())),
                        );
                    }
                    _ => {}
                }
            }
            Expectation::SameAs { other, .. } | Expectation::DiffersFrom { other, .. } => {
                self.subject(other, ns_kind, token, step, uses);
            }
            Expectation::PinnedAt { ns, pin } => {
                note(uses, pin);
                if let Some(Def::Pin { kind }) = self.lookup(pin, Want::Pin, token(pin), step)
                    && let Some(k) = ns_kind.filter(|k| *k != kind)
                {
                    let message = match &ns.subject {
                        Subject::Capture(_) => {
                            crate::t!("ck-pin-capture-kind", name = pin.as_str(), pinned = kind.name(), ns = ns.to_string(), kind = k.name())
                        }
                        _ => crate::t!("ck-pin-kind", name = pin.as_str(), pinned = kind.name(), kind = k.name()),
                    };
                    self.diags.error(token(pin), message);
                }
            }
            _ => {}
        }
        item.value = value;
    }
}

/// The key of capture `name` among the live names: `@name` (built without
/// `format!`, which costs several times more here).
fn capture_key(name: &str) -> String {
    let mut key = String::with_capacity(name.len() + 1);
    key.push('@');
    key.push_str(name);
    key
}

/// Adds `name` to a step's uses unless it is there already.
fn note(uses: &mut Vec<String>, name: &str) {
    if !uses.iter().any(|u| u == name) {
        uses.push(name.to_string());
    }
}

/// Lesson syntax quoted where the learner reads it: `start box: net` or
/// `run in box` in a hint, a goal or the prose. The learner sees no step
/// syntax (the terminal and the book say what a step does in words), so such
/// text should say what happens: "box was started with a new net namespace".
static STEP_SYNTAX: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    let name = r"[a-z][a-z0-9_-]*";
    let kinds = r"(?:cgroup|ipc|mnt|net|pid|time|user|uts)";
    regex::Regex::new(&format!(
        r"^(?:start {name}:|run(?: in {name})?:|run in {name}$|pin {name} {kinds} as |unpin {name}$|stop {name}$|save (?:{name}|@{name}) {kinds} as @|unshare(?: {kinds})+:|expect:|lsns:|{name} {kinds} (?:same|changed|differs from|same as|in lsns|gone from lsns|nprocs))"
    ))
    .expect("the step syntax pattern compiles")
});

/// True when `code` (the text of an inline code span) is lesson step syntax.
pub(crate) fn is_step_syntax(code: &str) -> bool {
    STEP_SYNTAX.is_match(code.trim())
}

/// Warns about every inline code span in `lesson`'s prose, hints and goals
/// that quotes step syntax.
/// A command that plainly aims at the machine (`kill -1`, `mount` over `/`,
/// `rm -rf /`, `reboot`) is a warning, as a courtesy to the author: the lab
/// is a sandbox, so it reaches only the lab (and a detector could never be
/// the wall: too many spellings get past it).
pub(crate) fn hostile_commands(lesson: &super::model::Lesson, diags: &mut Diagnostics) {
    use super::model::Action;
    let source = lesson.source.as_str();
    let note = |why: &str| crate::t!("hostile-note", why = why);
    for step in &lesson.steps {
        if let Action::Run { command, .. } | Action::Unshare { command, .. } = &step.action.value
            && let Some(hostile) = super::hostile::refusal(command)
        {
            let (why, help) = hostile.words();
            diags.warn(step.action.span.range(), note(&why), help);
        }
        let Some(exercise) = &step.exercise else { continue };
        for (word, text) in [("solution:", Some(exercise.solution.as_str())), ("probe:", exercise.probe.as_deref())] {
            let Some(hostile) = text.and_then(super::hostile::refusal) else { continue };
            let (why, help) = hostile.words();
            // Point at the line that gives it, or at the step.
            let block = source.get(step.span.range()).unwrap_or("");
            let at = block.find(word).map_or(step.span.range(), |i| step.span.start + i..step.span.start + i + word.len());
            diags.warn(at, note(&crate::t!("hostile-in", line = word.trim_end_matches(':'), why = why)), help);
        }
    }
}

pub(crate) fn quoted_syntax(lesson: &super::model::Lesson, diags: &mut Diagnostics) {
    use pulldown_cmark::{Event, Parser};
    let help = "the learner never sees step syntax: say what happens instead, e.g. \"box was started with a new net namespace only\"";
    let source = lesson.source.as_str();
    let mut prose: Vec<Range<usize>> = lesson.steps.iter().map(|s| s.prose.range()).collect();
    prose.push(lesson.outro.range());
    for range in prose {
        let Some(text) = source.get(range.clone()) else { continue };
        for (event, at) in Parser::new(text).into_offset_iter() {
            if let Event::Code(code) = event
                && is_step_syntax(&code)
            {
                diags.warn(range.start + at.start..range.start + at.end, format!("the prose quotes step syntax `{code}`"), help);
            }
        }
    }
    for step in &lesson.steps {
        let Some(block) = source.get(step.span.range()) else { continue };
        let mut offset = step.span.start;
        for line in block.split_inclusive('\n') {
            let trimmed = line.trim_start();
            let start = offset + (line.len() - trimmed.len());
            offset += line.len();
            let Some(word) = ["hint:", "goal:"].into_iter().find(|w| trimmed.starts_with(w)) else { continue };
            // The code spans of the line: the text between pairs of backticks.
            let mut at = 0;
            let mut pieces = trimmed.split('`');
            while let Some(outside) = pieces.next() {
                at += outside.len() + 1;
                let Some(code) = pieces.next() else { break };
                if is_step_syntax(code) {
                    let what = &word[..word.len() - 1];
                    diags.warn(start + at - 1..start + at + code.len() + 1, format!("a {what} quotes step syntax `{code}`"), help);
                }
                at += code.len() + 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lesson::{Action, RunTarget, Subject, parse_lesson};
    use std::path::Path;

    const FRONT: &str = "---\nid: t\ntitle: T\n---\n";

    /// Parses `steps` (blocks separated by `===` lines) and returns the
    /// diagnostics as `line:col message`, lines counted from the first block line.
    fn problems(steps: &str) -> Vec<String> {
        let body: String = steps.split("===").map(|s| format!("```nslab\n{s}```\n")).collect();
        match parse_lesson(&format!("{FRONT}{body}"), Path::new("t.md")) {
            Ok(_) => Vec::new(),
            Err(diags) => diags
                .into_iter()
                .map(|d| {
                    let l = d.location.expect("located");
                    format!("{}:{} {}", l.line - 4, l.col, d.message)
                })
                .collect(),
        }
    }

    #[test]
    fn name_flow() {
        let cases: &[(&str, &[&str])] = &[
            ("start a: uts\nexpect: a uts differs from host\n===stop a\nexpect: host uts same\n", &[]),
            ("run in a: x\nexpect: status 0\n", &["2:8 `a` is not defined here"]),
            ("stop a\nexpect: host uts same\n===start a: uts\nexpect: a uts differs from host\n", &["2:6 `a` is not defined here"]),
            ("start a: uts\nexpect: a uts differs from host\n===start a: net\nexpect: a net differs from host\n", &["6:7 `a` is already defined as a process"]),
            ("start a: uts\nexpect: a uts differs from host\n===stop a\nexpect: a uts same\n", &["7:9 `a` is not defined here"]),
            ("start a: uts in b\nexpect: a uts differs from host\n", &["2:17 `b` is not defined here"]),
            ("unpin p\nexpect: host net same\n", &["2:7 `p` is not defined here"]),
            (
                "start a: net\nexpect: a net differs from host\n===pin a net as p\nexpect: @x in lsns\n===unpin a\nexpect: host net same\n",
                &["7:9 `@x` is not defined here", "10:7 `a` is a process, not a pin"],
            ),
            (
                "save host net as @h\nlsns\nexpect: @h in lsns\n===lsns\nsave host uts as @h\nexpect: @h in lsns\n",
                &["8:18 `@h` is already defined as a capture"],
            ),
            ("start a: uts\nexpect: a uts changed\n", &["3:9 `a` starts in this step, so there is no `before` to compare with"]),
            ("save host net as @h\nlsns\nexpect: @h changed\n", &["4:1 `changed` compares with before the step, but @h is a capture, which never changes"]),
            // Each undefined name is reported once.
            ("lsns\nexpect: x net same\nexpect: x uts same\n", &["3:9 `x` is not defined here"]),
            // A definition with an error does not cascade.
            ("start a: bogus\nexpect: a uts same as host\n===stop a\nexpect: host uts same\n", &["2:10 unknown namespace kind `bogus`"]),
            ("strat a: uts\nexpect: a uts same as host\n", &["2:1 unknown step line `strat`"]),
        ];
        for (steps, want) in cases {
            assert_eq!(&problems(steps), want, "{steps}");
        }
    }

    #[test]
    fn step_rules() {
        let cases: &[(&str, &[&str])] = &[
            ("lsns\n", &["1:1 this step has no expectation"]),
            ("expect: host net same\n", &["1:1 this step has no action"]),
            ("lsns\nlsns\nexpect: host net same\n", &["3:1 a second action in one step (the first is `lsns`)"]),
            ("lsns\nexpect: status 0\n", &["3:1 status and output can only be checked after a command"]),
            ("lsns\nstdin: x\nexpect: host net same\n", &["3:1 `stdin:` is only for a step that runs a command"]),
            ("title: A\nlsns\nexpect: host net same\n===title: a!\nlsns\nexpect: host net same\n", &["7:8 duplicate step id `a` (step 1 has it too)"]),
            ("lsns\nexpect: host net same\n===id: step-1\nlsns\nexpect: host net same\n", &["6:5 duplicate step id `step-1` (step 1 has it too)"]),
        ];
        for (steps, want) in cases {
            assert_eq!(&problems(steps), want, "{steps}");
        }
    }

    #[test]
    fn names_resolve_to_pins_and_record_uses() {
        let text = format!(
            "{FRONT}```nslab\nstart a: net\nexpect: a net differs from host\n```\n```nslab\npin a net as p\nsave p net as @n\nexpect: @n pinned at p\n```\n```nslab\nrun in p: ip link\nexpect: p net same as a\n```\n"
        );
        let lesson = parse_lesson(&text, Path::new("t.md")).expect("parses");
        let [start, pin, run] = lesson.steps.as_slice() else {
            panic!("three steps");
        };
        assert_eq!((start.uses.clone(), start.defines.clone()), (vec![], vec!["a".to_string()]));
        assert_eq!(pin.uses, ["a"]);
        assert_eq!(pin.defines, ["@n", "p"]);
        assert_eq!(pin.saves[0].value.subject, Subject::Pin("p".into()));
        assert_eq!(run.action.value, Action::Run { target: RunTarget::Pin("p".into()), command: "ip link".into() });
        assert_eq!(run.uses, ["a", "p"]);
        assert_eq!(run.expectations[0].value.describe(), "the net namespace pinned at p is the same as a's");
    }
}
