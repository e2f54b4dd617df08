//! Lesson prose as the terminal shows it: snapshots of whole lessons at 40,
//! 80 and 120 columns, with and without colour, and the renderer's promises
//! checked on every shipped lesson.

use std::collections::HashSet;
use std::path::Path;

use nslab::lesson::{Lesson, parse_lesson};
use nslab::ui::markdown::render;
use unicode_width::UnicodeWidthStr;

fn lesson(path: &str) -> Lesson {
    let text = std::fs::read_to_string(path).unwrap();
    parse_lesson(&text, Path::new(path)).unwrap_or_else(|d| panic!("{path}: {d:?}"))
}

/// Every piece of prose of `lesson` rendered at `width`: before each step,
/// then after the last one.
fn rendered(lesson: &Lesson, width: usize, color: bool) -> String {
    let mut out = String::new();
    for step in &lesson.steps {
        out.push_str(&format!("〔before step {}〕\n", step.id));
        out.push_str(&render(lesson.prose(step), width, color));
    }
    out.push_str("〔after the last step〕\n");
    out.push_str(&render(lesson.text(lesson.outro), width, color));
    out
}

#[test]
fn lessons_render_at_three_widths_with_and_without_colour() {
    for name in ["observe", "syscalls", "zh"] {
        let l = lesson(&format!("tests/fixtures/render/{name}.md"));
        for width in [40, 80, 120] {
            for color in [false, true] {
                let text = rendered(&l, width, color);
                let tag = if color { "color" } else { "plain" };
                insta::assert_snapshot!(format!("{name}-{width}-{tag}"), text);
            }
        }
    }
}

#[test]
fn shipped_lessons_fit_their_width_and_keep_every_word_whole() {
    // The English lessons (translations, in lessons/zh, wrap between characters).
    let mut dir: Vec<_> = std::fs::read_dir("lessons").unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "md")).collect();
    dir.sort();
    for path in dir {
        let l = lesson(path.to_str().unwrap());
        for width in [40, 80, 120] {
            let text = rendered(&l, width, false);
            // (Lines in 〔…〕 are this test's own markers between the steps.)
            for line in text.lines().filter(|l| !l.starts_with('〔')) {
                // A line longer than the width is a single word (or code) too long for any line.
                assert!(line.width() <= width || line.split_whitespace().count() <= 2, "{} at {width}: {line:?}", path.display());
            }
            // Every word of the rendered prose is a whole word of the source: none was cut.
            let bare = |w: &str| w.trim_matches(|c: char| "|`*_()[],.;:!?\"'".contains(c)).to_string();
            let source_words: HashSet<String> = l.source.split_whitespace().map(bare).collect();
            for word in text.lines().filter(|l| !l.starts_with('〔')).flat_map(str::split_whitespace) {
                let w = bare(word);
                if w.is_empty() || w.chars().all(|c| "•◦│─═┼|0123456789".contains(c)) {
                    continue;
                }
                // Only a word longer than a whole line (less the indent of a
                // code block or a list) may be broken.
                let too_long = || source_words.iter().any(|s| s.width() > width.saturating_sub(8) && s.contains(&w));
                assert!(source_words.contains(&w) || too_long(), "{} at {width}: {word:?} is not a word of the lesson", path.display());
            }
        }
    }
}

#[test]
fn the_table_of_kinds_has_a_row_per_kind_with_its_flag() {
    let l = lesson("tests/fixtures/render/observe.md");
    let step = l.step("lsns-types").unwrap();
    for width in [40, 80, 120] {
        let text = render(l.prose(step), width, false);
        for (kind, flag) in [("mnt", "CLONE_NEWNS"), ("uts", "CLONE_NEWUTS"), ("cgroup", "CLONE_NEWCGROUP"), ("time", "CLONE_NEWTIME")] {
            let row = text.lines().position(|line| line.contains(&format!("`{kind}`"))).unwrap_or_else(|| panic!("no {kind} at {width}:\n{text}"));
            let line = text.lines().nth(row).unwrap();
            // In the grid the flag is on the kind's line; stacked (40 columns), on the next one.
            let near = if width >= 80 { line.to_string() } else { text.lines().skip(row).take(3).collect::<Vec<_>>().join("\n") };
            assert!(near.contains(flag), "{kind} without {flag} at {width}:\n{text}");
        }
    }
}
