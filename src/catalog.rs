//! Where lessons come from: the ones built into the binary, or the files and
//! folders given on the command line (which override them).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::lesson::{self, Diagnostic, Lesson};

include!(concat!(env!("OUT_DIR"), "/builtin_lessons.rs"));

pub use crate::i18n::Lang;

/// The built-in lessons, parsed. They are checked by the tests, so a parse
/// failure here is reported like any lesson's.
pub fn builtin() -> Result<Vec<Lesson>, Vec<Diagnostic>> {
    builtin_in(Lang::En)
}

/// The built-in lessons in `lang`: each lesson's translation where there is
/// one (it has the same steps, which `nslab check` verifies), else the original.
pub fn builtin_in(lang: Lang) -> Result<Vec<Lesson>, Vec<Diagnostic>> {
    let mut lessons = Vec::new();
    let mut problems = Vec::new();
    for (name, text) in BUILTIN {
        let translated = lang.folder().and_then(|folder| BUILTIN_ZH.iter().find(|(n, _)| n == name).map(|(_, t)| (Path::new("lessons").join(folder), *t)));
        let (dir, text) = translated.unwrap_or_else(|| (PathBuf::from("lessons"), *text));
        match lesson::parse_lesson(text, &dir.join(name)) {
            Ok(l) => lessons.push(l),
            Err(d) => problems.extend(d),
        }
    }
    if problems.is_empty() { Ok(lessons) } else { Err(problems) }
}

/// The lessons named by `paths` (files, and `*.md` in folders), or the
/// built-in ones when `paths` is empty, in English.
pub fn load(paths: &[PathBuf]) -> Result<Vec<Lesson>, Vec<Diagnostic>> {
    load_in(paths, Lang::En)
}

/// The lessons named by `paths` in `lang`: in a folder, an original is
/// replaced by its translation in `lang` found below it (`lessons/zh/`), and
/// translations in other languages are left out; a file named on its own is
/// taken as it is.
pub fn load_in(paths: &[PathBuf], lang: Lang) -> Result<Vec<Lesson>, Vec<Diagnostic>> {
    if paths.is_empty() {
        return builtin_in(lang);
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
        let all = builtins.get_or_insert_with(|| builtin_in(lang).unwrap_or_default());
        match find(all, &path.to_string_lossy()) {
            Some(l) => slots.push(Ok(l.clone())),
            None => problems.push(Diagnostic::whole_file(path, crate::t!("catalog-no-such"))),
        }
    }
    let mut lessons = Vec::new();
    for slot in slots {
        match slot {
            Ok(l) => lessons.push(l),
            Err(path) => {
                let (files, found) = lesson::lesson_files(std::slice::from_ref(&path));
                problems.extend(found);
                let mut here = Vec::new();
                for f in files {
                    match lesson::check_file(&f) {
                        Ok(l) => here.push(l),
                        Err(d) => problems.extend(d),
                    }
                }
                lessons.extend(if path.is_dir() { in_language(here, lang) } else { here });
            }
        }
    }
    if problems.is_empty() { Ok(lessons) } else { Err(problems) }
}

/// The lessons of one folder in `lang`: each original whose translation in
/// `lang` is among them is replaced by it, in its place; other translations of
/// an original that is there are dropped. A translation without its original
/// among them (`nslab run lessons/zh/`) stays.
fn in_language(lessons: Vec<Lesson>, lang: Lang) -> Vec<Lesson> {
    let originals: HashSet<PathBuf> = lessons.iter().filter(|l| l.meta.translates.is_none()).map(|l| l.source_path.clone()).collect();
    let mut chosen: HashMap<PathBuf, Lesson> = HashMap::new();
    let mut kept = Vec::with_capacity(lessons.len());
    for l in lessons {
        let Some(link) = &l.meta.translates else {
            kept.push(l);
            continue;
        };
        let original = lesson::original_path(&l.source_path, &link.original.value);
        let folder = l.source_path.parent().and_then(Path::file_name);
        if !originals.contains(&original) {
            kept.push(l);
        } else if lang.folder().is_some_and(|f| folder.is_some_and(|n| n == f)) {
            chosen.insert(original, l);
        }
    }
    kept.into_iter().map(|l| chosen.remove(&l.source_path).unwrap_or(l)).collect()
}

/// Finds a lesson by id or file name among `lessons`.
pub fn find<'a>(lessons: &'a [Lesson], name: &str) -> Option<&'a Lesson> {
    lessons.iter().find(|l| l.meta.id == name || l.source_path.file_stem().is_some_and(|s| s == name) || l.source_path.file_name().is_some_and(|s| s == name))
}
