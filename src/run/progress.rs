//! Learner progress, saved per lesson under `$XDG_STATE_HOME/nslab`
//! (default `~/.local/state/nslab`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::report::LessonResult;
use crate::lesson::Lesson;

/// What a learner has done in one lesson.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonProgress {
    /// Steps that passed, by id.
    pub passed: Vec<String>,
    /// True once every step has passed.
    pub finished: bool,
}

/// Every lesson's progress, kept in one JSON file.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    path: Option<PathBuf>,
    lessons: BTreeMap<String, LessonProgress>,
    /// What this process changed, in order, to apply to the file as it is
    /// when saving: runs in parallel each save only their own changes.
    changes: Vec<Change>,
}

/// One change to the progress file.
#[derive(Debug, Clone)]
enum Change {
    /// Steps of this lesson passed (merged with what the file has).
    Recorded(String),
    /// This lesson was reset, or (`None`) all of them.
    Reset(Option<String>),
}

/// The state folder: `$XDG_STATE_HOME/nslab`, else `~/.local/state/nslab`.
pub fn state_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))?;
    Some(base.join("nslab"))
}

impl Progress {
    /// Loads progress from `dir/progress.json` (missing or unreadable: empty).
    pub fn load(dir: Option<&Path>) -> Progress {
        let path = dir.map(|d| d.join("progress.json"));
        let lessons = path.as_ref().and_then(|p| std::fs::read(p).ok()).and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
        Progress { path, lessons, changes: Vec::new() }
    }

    /// A progress that is never saved (for graders and tests).
    pub fn ephemeral() -> Progress {
        Progress::default()
    }

    /// Applies this process's changes to the progress file as it is now,
    /// under a lock, and writes it atomically (a temporary file, then
    /// rename): a run never undoes what a parallel run saved meanwhile.
    pub fn save(&mut self) -> std::io::Result<()> {
        let Some(path) = self.path.clone() else { return Ok(()) };
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let lock = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(dir.join("progress.lock"))?;
        let _locked = nix::fcntl::Flock::lock(lock, nix::fcntl::FlockArg::LockExclusive).map_err(|(_, e)| std::io::Error::from(e))?;
        let mut fresh = Progress::load(Some(dir)).lessons;
        for change in std::mem::take(&mut self.changes) {
            match change {
                Change::Reset(None) => fresh.clear(),
                Change::Reset(Some(id)) => {
                    fresh.remove(&id);
                }
                Change::Recorded(id) => {
                    let Some(ours) = self.lessons.get(&id) else { continue };
                    let entry = fresh.entry(id).or_default();
                    for step in &ours.passed {
                        if !entry.passed.contains(step) {
                            entry.passed.push(step.clone());
                        }
                    }
                    entry.finished |= ours.finished;
                }
            }
        }
        self.lessons = fresh;
        // tempfile: a name of its own beside the file (mode 0600), removed
        // again if writing fails, then renamed over the file.
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        std::io::Write::write_all(&mut tmp, &serde_json::to_vec_pretty(&self.lessons).unwrap_or_default())?;
        tmp.persist(path).map(drop).map_err(|e| e.error)
    }

    /// Adds what a run of `lesson` achieved.
    pub fn record(&mut self, lesson: &Lesson, result: &LessonResult) {
        if self.path.is_none() {
            return;
        }
        let entry = self.lessons.entry(lesson.meta.id.clone()).or_default();
        for s in result.steps.iter().filter(|s| s.outcome == super::event::OutcomeKind::Passed) {
            if !entry.passed.contains(&s.id) {
                entry.passed.push(s.id.clone());
            }
        }
        entry.finished = lesson.steps.iter().all(|s| entry.passed.contains(&s.id));
        self.changes.push(Change::Recorded(lesson.meta.id.clone()));
    }

    /// The progress of the lesson with id `id`.
    pub fn get(&self, id: &str) -> Option<&LessonProgress> {
        self.lessons.get(id)
    }

    /// The first step of `lesson` that has not passed yet.
    pub fn next_step<'a>(&self, lesson: &'a Lesson) -> Option<&'a crate::lesson::Step> {
        let done = self.get(&lesson.meta.id);
        lesson.steps.iter().find(|s| done.is_none_or(|d| !d.passed.contains(&s.id)))
    }

    /// Forgets one lesson's progress, or all of it.
    pub fn reset(&mut self, id: Option<&str>) -> bool {
        self.changes.push(Change::Reset(id.map(str::to_owned)));
        match id {
            Some(id) => self.lessons.remove(id).is_some(),
            None => {
                let had = !self.lessons.is_empty();
                self.lessons.clear();
                had
            }
        }
    }
}
