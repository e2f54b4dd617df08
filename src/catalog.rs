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
    // A name that is no file here but a built-in lesson's id (`uts`) or file
    // name (`02-uts`) opens that lesson.
    let mut slots: Vec<Result<Lesson, PathBuf>> = Vec::new();
    let mut problems = Vec::new();
    let mut builtins: Option<Vec<Lesson>> = None;
    for path in paths {
        if path.exists() || path.components().count() != 1 {
            slots.push(Err(path.clone()));
            continue;
        }
        let all = builtins.get_or_insert_with(|| builtin().unwrap_or_default());
        match find(all, &path.to_string_lossy()) {
            Some(l) => slots.push(Ok(l.clone())),
            None => problems.push(Diagnostic::whole_file(path, "no such file, and no built-in lesson has this id (`nslab list` shows them)")),
        }
    }
    let mut lessons = Vec::new();
    for slot in slots {
        match slot {
            Ok(l) => lessons.push(l),
            Err(path) => {
                let (files, found) = lesson::lesson_files(std::slice::from_ref(&path));
                problems.extend(found);
                for f in files {
                    match lesson::check_file(&f) {
                        Ok(l) => lessons.push(l),
                        Err(d) => problems.extend(d),
                    }
                }
            }
        }
    }
    if problems.is_empty() { Ok(lessons) } else { Err(problems) }
}

/// Finds a lesson by id or file name among `lessons`.
pub fn find<'a>(lessons: &'a [Lesson], name: &str) -> Option<&'a Lesson> {
    lessons.iter().find(|l| l.meta.id == name || l.source_path.file_stem().is_some_and(|s| s == name) || l.source_path.file_name().is_some_and(|s| s == name))
}
