//! Where lessons come from: the ones built into the binary, or the files and
//! folders given on the command line (which override them).

use std::path::{Path, PathBuf};

use crate::lesson::{self, Diagnostic, Lesson};

include!(concat!(env!("OUT_DIR"), "/builtin_lessons.rs"));

/// The built-in lessons, parsed. They are checked by the tests, so a parse
/// failure here is reported like any lesson's.
pub fn builtin() -> Result<Vec<Lesson>, Vec<Diagnostic>> {
    let mut lessons = Vec::new();
    let mut problems = Vec::new();
    for (name, text) in BUILTIN {
        match lesson::parse_lesson(text, &Path::new("lessons").join(name)) {
            Ok(l) => lessons.push(l),
            Err(d) => problems.extend(d),
        }
    }
    if problems.is_empty() { Ok(lessons) } else { Err(problems) }
}

/// The lessons named by `paths` (files, and `*.md` in folders), or the
/// built-in ones when `paths` is empty.
pub fn load(paths: &[PathBuf]) -> Result<Vec<Lesson>, Vec<Diagnostic>> {
    if paths.is_empty() {
        return builtin();
    }
    let (files, mut problems) = lesson::lesson_files(paths);
    let mut lessons = Vec::new();
    for f in files {
        match lesson::check_file(&f) {
            Ok(l) => lessons.push(l),
            Err(d) => problems.extend(d),
        }
    }
    if problems.is_empty() { Ok(lessons) } else { Err(problems) }
}

/// Finds a lesson by id or file name among `lessons`.
pub fn find<'a>(lessons: &'a [Lesson], name: &str) -> Option<&'a Lesson> {
    lessons.iter().find(|l| l.meta.id == name || l.source_path.file_stem().is_some_and(|s| s == name) || l.source_path.file_name().is_some_and(|s| s == name))
}
