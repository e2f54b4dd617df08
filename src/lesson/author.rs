//! Tools for lesson authors: check many lessons at once, and scaffold a new one.

use std::collections::HashMap;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::check_file;
use super::diagnostic::{Diagnostic, render};
use super::frontmatter::is_lesson_id;

/// Why a new lesson could not be written.
#[derive(Debug, thiserror::Error)]
pub enum NewLessonError {
    /// The name is not a valid lesson id.
    #[error("invalid lesson name `{0}`: use only a-z, 0-9 and `-`, e.g. `uts-basics`")]
    InvalidName(String),
    /// A file of that name is already there.
    #[error("{0} already exists; not overwriting it")]
    Exists(PathBuf),
    /// Creating the folder or writing the file failed.
    #[error("cannot write {path}")]
    Io {
        /// The file or folder being written.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

/// The lesson files named by `paths`: files as given, and every `*.md` under a
/// directory (recursively), sorted. Paths that cannot be read are returned
/// as diagnostics.
pub fn lesson_files(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<Diagnostic>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        match fs::metadata(path) {
            Ok(m) if m.is_dir() => {
                let before = files.len();
                collect_markdown(path, &mut files, &mut problems);
                files[before..].sort();
                if files.len() == before {
                    problems.push(Diagnostic::whole_file(path, crate::t!("check-no-lessons")));
                }
            }
            Ok(_) => files.push(path.clone()),
            Err(e) => problems.push(Diagnostic::whole_file(path, format!("cannot read: {e}"))),
        }
    }
    (files, problems)
}

fn collect_markdown(dir: &Path, files: &mut Vec<PathBuf>, problems: &mut Vec<Diagnostic>) {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            problems.push(Diagnostic::whole_file(dir, format!("cannot read the folder: {e}")));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        // `file_type` of a DirEntry does not follow symlinks; metadata does.
        match fs::metadata(&path) {
            Ok(m) if m.is_dir() => collect_markdown(&path, files, problems),
            Ok(m) if m.is_file() && path.extension().is_some_and(|e| e == "md") => files.push(path),
            _ => {}
        }
    }
}

/// Checks every lesson named by `paths` (see [`lesson_files`]), writes all
/// diagnostics and a summary line (`checked 3 lessons: 2 ok, 1 with 4 errors`)
/// to `out`, and returns true when every lesson is clean.
pub fn check_paths(paths: &[PathBuf], out: &mut impl Write, color: bool) -> io::Result<bool> {
    let (files, problems) = lesson_files(paths);
    let mut printed_any = false;
    let mut print = |out: &mut dyn Write, diags: &[Diagnostic]| -> io::Result<()> {
        if printed_any {
            writeln!(out)?;
        }
        printed_any = true;
        write!(out, "{}", render(diags, color))
    };
    if !problems.is_empty() {
        print(out, &problems)?;
    }
    let mut ok = 0;
    let mut failed = 0;
    let mut errors = 0;
    let mut warned = 0;
    // Translations are counted apart: they are the same lessons in another language.
    let mut translations = Tally::default();
    let mut ids: HashMap<String, PathBuf> = HashMap::new();
    for file in &files {
        let diags = match check_file(file) {
            Ok(lesson) if lesson.meta.translates.is_some() => {
                let mut diags = super::translation::check(&lesson);
                if diags.is_empty() {
                    diags = super::warnings(&lesson);
                    translations.warned += diags.len();
                    translations.ok += 1;
                } else {
                    translations.failed += 1;
                    translations.errors += diags.len();
                }
                if !diags.is_empty() {
                    print(out, &diags)?;
                }
                continue;
            }
            Ok(lesson) => match ids.get(&lesson.meta.id) {
                None if !super::warnings(&lesson).is_empty() => {
                    let warnings = super::warnings(&lesson);
                    warned += warnings.len();
                    print(out, &warnings)?;
                    ids.insert(lesson.meta.id, file.clone());
                    Vec::new()
                }
                Some(first) => vec![
                    Diagnostic::whole_file(file, crate::t!("check-id-taken", id = lesson.meta.id.as_str(), path = first.display().to_string()))
                        .with_help(crate::t!("check-id-taken-help")),
                ],
                None => {
                    ids.insert(lesson.meta.id, file.clone());
                    Vec::new()
                }
            },
            Err(diags) => diags,
        };
        if diags.is_empty() {
            ok += 1;
        } else {
            failed += 1;
            errors += diags.len();
            print(out, &diags)?;
        }
    }
    if printed_any {
        writeln!(out)?;
    }
    let lessons = Tally { ok, failed, errors, warned };
    writeln!(out, "{}", lessons.summary(false))?;
    if translations.ok + translations.failed > 0 {
        writeln!(out, "{}", translations.summary(true))?;
    }
    if !problems.is_empty() {
        writeln!(out, "{}", crate::t!("check-unchecked", count = problems.len()))?;
    }
    Ok(failed == 0 && translations.failed == 0 && problems.is_empty())
}

/// How many files of one sort were checked, and how they fared.
#[derive(Debug, Default)]
struct Tally {
    ok: usize,
    failed: usize,
    errors: usize,
    warned: usize,
}

impl Tally {
    /// `checked 3 lessons: 2 ok, 1 with 4 errors, 1 warning` (of
    /// translations when `translations`).
    fn summary(&self, translations: bool) -> String {
        let total = self.ok + self.failed;
        let mut summary =
            if translations { crate::t!("check-translations", count = total, ok = self.ok) } else { crate::t!("check-lessons", count = total, ok = self.ok) };
        if self.failed > 0 {
            summary.push_str(&crate::t!("check-with-errors", failed = self.failed, errors = self.errors));
        }
        if self.warned > 0 {
            summary.push_str(&crate::t!("check-warnings", count = self.warned));
        }
        summary
    }
}

/// Writes a new lesson `DIR/NAME.md` with front matter, a short introduction,
/// one working step and a "What you learned" section. Refuses to overwrite.
pub fn new_lesson(name: &str, dir: &Path) -> Result<PathBuf, NewLessonError> {
    if !is_lesson_id(name) {
        return Err(NewLessonError::InvalidName(name.to_string()));
    }
    fs::create_dir_all(dir).map_err(|source| NewLessonError::Io { path: dir.to_path_buf(), source })?;
    let path = dir.join(format!("{name}.md"));
    let mut file = match OpenOptions::new().write(true).create_new(true).open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            return Err(NewLessonError::Exists(path));
        }
        Err(source) => return Err(NewLessonError::Io { path, source }),
    };
    file.write_all(template(name).as_bytes()).map_err(|source| NewLessonError::Io { path: path.clone(), source })?;
    Ok(path)
}

/// Writes a new lesson `DIR/NAME.md`, as [`new_lesson`] does, and its
/// Simplified Chinese translation `DIR/zh/NAME.md`: the same step, its title
/// and hint in Chinese, and the front matter that ties it to the original
/// (`translates:`, `source-steps:`). Refuses to overwrite either file.
pub fn new_lesson_zh(name: &str, dir: &Path) -> Result<(PathBuf, PathBuf), NewLessonError> {
    if !is_lesson_id(name) {
        return Err(NewLessonError::InvalidName(name.to_string()));
    }
    let translation = dir.join("zh").join(format!("{name}.md"));
    if translation.exists() {
        return Err(NewLessonError::Exists(translation));
    }
    let original = new_lesson(name, dir)?;
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| NewLessonError::Io { path, source }
    };
    fs::create_dir_all(dir.join("zh")).map_err(io(&dir.join("zh")))?;
    let steps = match super::parse_lesson(&template(name), &original) {
        Ok(lesson) => super::fingerprint(&lesson),
        // The template is a valid lesson; the tests parse it.
        Err(_) => String::new(),
    };
    let mut file = match OpenOptions::new().write(true).create_new(true).open(&translation) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(NewLessonError::Exists(translation)),
        Err(source) => return Err(NewLessonError::Io { path: translation, source }),
    };
    file.write_all(template_zh(name, &steps).as_bytes()).map_err(io(&translation))?;
    Ok((original, translation))
}

/// The Chinese translation of [`template`]`(name)`, whose steps have the fingerprint `steps`.
fn template_zh(name: &str, steps: &str) -> String {
    format!(
        r#"---
id: {name}
title: {name}
needs: userns
duration: 10 min
translates: {name}.md
source-steps: {steps}
---

# {name}

用两三句话说明这一课要看到什么，以及它为什么重要。下面每个 `nslab` 代码块都是一个
步骤：nslab 执行它的动作，再对照内核的实际状态逐条检查期望。

译文只翻译正文、标题、提示和目标；步骤里的其他内容必须与原文完全一致，`nslab check`
会逐步核对。原文的步骤改了之后，`nslab check` 会报告译文已过期，并给出新的
`source-steps`。用词请参照书中的术语表。

## 一个有自己主机名的进程

这一步克隆出一个常驻进程（这里叫 `box`），让它进入所列种类的新命名空间。这里只要了
一个新的 UTS 命名空间，所以 `box` 有自己的主机名，其余一切（比如网络）都与实验环境
（也就是这一课自己的那组命名空间）共享。

```nslab
id: start-box
title: 在新的 UTS 命名空间里启动一个进程
start box: uts
expect: box uts differs from lab
expect: box net same as lab
hint: 启动 box 时只用了 CLONE_NEWUTS；其余各种命名空间都与实验环境共享。
```

## 学到了什么

- 命名空间由传给 clone(2) 的标志创建，这里是 CLONE_NEWUTS。
- 进程只会得到它要求的那几种新命名空间，其余的都与父进程共享。
"#
    )
}

/// The text of a new lesson called `name`.
fn template(name: &str) -> String {
    let mut title: String = name.replace('-', " ");
    if let Some(first) = title.get(..1) {
        title = first.to_ascii_uppercase() + &title[1..];
    }
    format!(
        r#"---
id: {name}
title: {title}
needs: userns
duration: 10 min
---

# {title}

Say in two or three sentences what the learner will see, and why it matters.
Each fenced `nslab` block below is a step: the runner performs its action, then
checks each expectation against what the kernel reports.

## A process with its own host name

The step clones a long-lived process, here called `box`, into new namespaces of
the kinds it lists. Only a new UTS namespace is asked for, so `box` gets its
own host name while sharing everything else, such as the network, with the
lab, the lesson's own namespaces.

```nslab
id: start-box
title: Start a process in a new UTS namespace
start box: uts
expect: box uts differs from lab
expect: box net same as lab
hint: box was started with CLONE_NEWUTS only; every other namespace is shared with the lab.
```

## What you learned

- A namespace is created by a flag given to clone(2): here CLONE_NEWUTS.
- A process gets new namespaces only of the kinds it asks for; it shares the others.
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chinese_template_translates_the_english_one() {
        let path = Path::new("lessons/zh/uts-basics.md");
        let original = crate::lesson::parse_lesson(&template("uts-basics"), Path::new("lessons/uts-basics.md")).unwrap();
        let steps = crate::lesson::fingerprint(&original);
        let zh = crate::lesson::parse_lesson(&template_zh("uts-basics", &steps), path).unwrap();
        assert_eq!(crate::lesson::fingerprint(&zh), steps);
        assert_eq!(zh.meta.id, original.meta.id);
    }

    #[test]
    fn titles_from_names() {
        assert!(template("uts-basics").contains("title: Uts basics\n"));
        assert!(template("9p").contains("title: 9p\n"));
    }
}
