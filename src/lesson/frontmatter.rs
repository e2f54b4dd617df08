//! The front matter: `key: value` lines between two `---` lines at the top of a
//! lesson, parsed by hand.

use std::ops::Range;

use super::diagnostic::Diagnostics;
use super::model::{KernelVersion, LessonMeta, Needs, Translates};
use super::span::{LineIndex, Spanned};
use super::syntax::{closest, lines, strip_comment};

/// The keys the front matter may hold.
const KEYS: [&str; 6] = ["id", "title", "needs", "duration", "translates", "source-steps"];

/// What the front matter parse found.
#[derive(Debug)]
pub(crate) struct FrontMatter {
    /// The metadata, when every required key was given and valid.
    pub meta: Option<LessonMeta>,
    /// Where the Markdown body starts.
    pub body_start: usize,
    /// False when the front matter was missing or not closed (later "no steps"
    /// style complaints would only repeat the problem).
    pub well_formed: bool,
}

/// Parses the front matter at the top of `source`.
pub(crate) fn parse(source: &str, index: &LineIndex<'_>, diags: &mut Diagnostics) -> FrontMatter {
    let mut all = lines(source, 0);
    let opening = all.next();
    let Some((first_start, first)) = opening.filter(|(_, l)| l.trim_end() == "---") else {
        let end = opening.map_or(0, |(s, l)| s + l.len());
        diags.error_help(0..end, crate::t!("fm-missing"), crate::t!("fm-missing-help"));
        return FrontMatter { meta: None, body_start: 0, well_formed: false };
    };
    let mut entries = Vec::new();
    let mut closing = None;
    for (start, line) in all.by_ref() {
        if line.trim_end() == "---" {
            closing = Some(start + line.len());
            break;
        }
        entries.push((start, line));
    }
    let Some(close_end) = closing else {
        diags.error_help(first_start..first_start + first.len(), crate::t!("fm-not-closed"), crate::t!("fm-not-closed-help"));
        return FrontMatter { meta: None, body_start: first_start + first.len(), well_formed: false };
    };
    let body_start = (close_end + 1).min(source.len());

    let mut id: Option<String> = None;
    let mut title: Option<String> = None;
    let mut needs = Some(Needs::default());
    let mut duration_minutes = None;
    let mut translates = None;
    let mut source_steps = None;
    let mut valid = true;
    let mut seen: Vec<&str> = Vec::new();
    for (start, raw) in entries {
        let line = strip_comment(raw);
        let trimmed = line.trim_start();
        if trimmed.is_empty() {
            continue;
        }
        let at = start + (line.len() - trimmed.len());
        let whole = at..start + line.trim_end().len();
        let Some((key, value)) = trimmed.split_once(':') else {
            diags.error_help(whole, crate::t!("fm-expected-key"), crate::t!("fm-keys"));
            valid = false;
            continue;
        };
        let key_range = at..at + key.trim_end().len();
        let key = key.trim_end();
        let value_at = at + key.len() + 1 + (value.len() - value.trim_start().len());
        let value = value.trim();
        let value_range = value_at..value_at + value.len();
        let Some(&known) = KEYS.iter().find(|k| **k == key) else {
            let help = match closest(key, &KEYS) {
                Some(k) => crate::t!("fm-did-you-mean", key = k),
                None => crate::t!("fm-keys"),
            };
            diags.error_help(key_range, crate::t!("fm-unknown-key", key = key), help);
            valid = false;
            continue;
        };
        if seen.contains(&known) {
            diags.error(key_range, crate::t!("fm-twice", key = known));
            valid = false;
            continue;
        }
        seen.push(known);
        match known {
            "id" => {
                if is_lesson_id(value) {
                    id = Some(value.to_string());
                } else {
                    diags.error_help(if value.is_empty() { key_range } else { value_range }, crate::t!("fm-bad-id", id = value), crate::t!("fm-bad-id-help"));
                    valid = false;
                }
            }
            "title" => {
                if value.is_empty() {
                    diags.error(key_range, crate::t!("fm-empty-title"));
                    valid = false;
                } else {
                    title = Some(value.to_string());
                }
            }
            "needs" => {
                needs = parse_needs(value, value_range, diags);
                valid &= needs.is_some();
            }
            "translates" | "source-steps" if value.is_empty() => {
                diags.error(key_range, crate::t!("fm-empty", key = known));
                valid = false;
            }
            "translates" => translates = Some(Spanned::new(value.to_string(), index.span(value_range))),
            "source-steps" => source_steps = Some(Spanned::new(value.to_string(), index.span(value_range))),
            _ => match parse_duration(value) {
                Some(m) => duration_minutes = Some(m),
                None => {
                    diags.error_help(
                        if value.is_empty() { key_range } else { value_range },
                        crate::t!("fm-bad-duration", duration = value),
                        crate::t!("fm-bad-duration-help"),
                    );
                    valid = false;
                }
            },
        }
    }
    let block = first_start..close_end;
    for (key, missing) in [("id", id.is_none()), ("title", title.is_none())] {
        if missing && !seen.contains(&key) {
            diags.error_help(first_start..first_start + first.len(), crate::t!("fm-no-key", key = key), crate::t!("fm-no-key-help", key = key));
            valid = false;
        }
    }
    if let (Some(steps), None) = (&source_steps, &translates) {
        diags.error_help(steps.span.range(), crate::t!("fm-steps-alone"), crate::t!("fm-steps-alone-help"));
        valid = false;
    }
    let translates = translates.map(|original| Translates { original, source_steps });
    let meta = match (id, title, needs) {
        (Some(id), Some(title), Some(needs)) if valid => Some(LessonMeta { id, title, needs, duration_minutes, translates, span: index.span(block) }),
        _ => None,
    };
    FrontMatter { meta, body_start, well_formed: true }
}

/// True for `[a-z0-9-]+`.
pub(crate) fn is_lesson_id(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Parses `root, userns, kernel 5.6` or `nothing`.
fn parse_needs(value: &str, range: Range<usize>, diags: &mut Diagnostics) -> Option<Needs> {
    let mut needs = Needs::default();
    let mut ok = true;
    let mut nothing = false;
    let mut items = 0;
    let mut offset = range.start;
    for part in value.split(',') {
        let item = part.trim();
        let at = offset + (part.len() - part.trim_start().len());
        let item_range = at..at + item.len();
        offset += part.len() + 1;
        items += 1;
        match item {
            "root" => needs.root = true,
            "userns" => needs.userns = true,
            "nothing" => nothing = true,
            _ if parse_tools(item).is_some() => needs.any_tool = parse_tools(item).unwrap_or_default(),
            _ => {
                let version = item.strip_prefix("kernel").map(str::trim).and_then(parse_kernel);
                match version {
                    Some(v) => needs.min_kernel = Some(v),
                    None => {
                        let (message, at) =
                            if item.is_empty() { (crate::t!("fm-empty-need"), range.clone()) } else { (crate::t!("fm-unknown-need", need = item), item_range) };
                        diags.error_help(at, message, crate::t!("fm-needs-help"));
                        ok = false;
                    }
                }
            }
        }
    }
    if nothing && items > 1 {
        diags.error(range, crate::t!("fm-nothing-combined"));
        ok = false;
    }
    ok.then_some(needs)
}

/// Parses `cc`, `python3` or `cc or python3`: programs of which one is needed.
fn parse_tools(item: &str) -> Option<super::model::ToolSet> {
    item.split(" or ").map(|name| super::model::Tool::from_name(name.trim())).collect::<Option<Vec<_>>>().map(|tools| tools.into_iter().collect())
}

/// Parses `5.6` (a patch level, `5.6.1`, is accepted and ignored).
fn parse_kernel(s: &str) -> Option<KernelVersion> {
    let mut parts = s.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    match parts.next() {
        None => {}
        Some(patch) => {
            patch.parse::<u32>().ok()?;
        }
    }
    parts.next().is_none().then_some(KernelVersion { major, minor })
}

/// Parses `10 min` into 10.
fn parse_duration(s: &str) -> Option<u32> {
    let n = s.strip_suffix("min")?.trim_end();
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse().ok().filter(|m| *m > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn run(src: &str) -> (FrontMatter, Vec<String>) {
        let index = LineIndex::new(src);
        let mut diags = Diagnostics::default();
        let fm = parse(src, &index, &mut diags);
        let msgs = diags
            .finish(Path::new("x"), &index)
            .into_iter()
            .map(|d| {
                let l = d.location.unwrap();
                format!("{}:{} {}", l.line, l.col, d.message)
            })
            .collect();
        (fm, msgs)
    }

    #[test]
    fn good_front_matter() {
        let src = "---\nid: uts   # the id\ntitle: The UTS#1 namespace\nneeds: userns, kernel 5.6\nduration: 10 min\n---\nbody";
        let (fm, msgs) = run(src);
        assert!(msgs.is_empty(), "{msgs:?}");
        let meta = fm.meta.unwrap();
        assert_eq!(meta.id, "uts");
        assert_eq!(meta.title, "The UTS#1 namespace");
        assert!(meta.needs.userns && !meta.needs.root);
        assert_eq!(meta.needs.min_kernel, Some(KernelVersion { major: 5, minor: 6 }));
        assert_eq!(meta.duration_minutes, Some(10));
        assert_eq!(&src[fm.body_start..], "body");
    }

    #[test]
    fn bad_front_matter() {
        let cases: &[(&str, &[&str])] = &[
            ("no front matter", &["1:1 missing front matter"]),
            ("---\nid: x\n", &["1:1 front matter is not closed"]),
            ("---\nid: Bad_Id\ntitle: t\n---\n", &["2:5 invalid lesson id `Bad_Id`"]),
            ("---\nid: x\ntitel: t\n---\n", &["1:1 the front matter has no `title`", "3:1 unknown front matter key `titel`"]),
            ("---\nid: x\ntitle: t\nneeds: root, wings, nothing\n---\n", &["4:8 `nothing` cannot be combined with other needs", "4:14 unknown need `wings`"]),
            ("---\nid: x\ntitle: t\nduration: ten minutes\n---\n", &["4:11 invalid duration `ten minutes`"]),
            ("---\nid: x\nid: y\ntitle: t\n---\n", &["3:1 `id` is given twice"]),
            ("---\nid x\ntitle: t\n---\n", &["1:1 the front matter has no `id`", "2:1 expected `key: value`"]),
        ];
        for (src, want) in cases {
            let (fm, msgs) = run(src);
            assert_eq!(&msgs, want, "{src:?}");
            assert!(fm.meta.is_none());
        }
    }

    #[test]
    fn needs_forms() {
        let mut d = Diagnostics::default();
        assert_eq!(parse_needs("nothing", 0..7, &mut d), Some(Needs::default()));
        let n = parse_needs("root,kernel 6.1.2", 0..17, &mut d).unwrap();
        assert!(n.root && n.min_kernel == Some(KernelVersion { major: 6, minor: 1 }));
        assert!(d.is_empty());
        assert!(parse_needs("kernel 6", 0..8, &mut d).is_none());
    }
}
