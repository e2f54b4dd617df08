//! The interface's words in the learner's language: Fluent message
//! catalogues (`i18n/en/nslab.ftl`, `i18n/zh/nslab.ftl`), built into the
//! binary and looked up by message id with [`t!`](crate::t).
//!
//! The language is chosen once per process ([`set`]: `--lang`, else
//! `LC_ALL`/`LC_MESSAGES`/`LANG`), and a message the Chinese catalogue lacks
//! falls back to the English one. Placeables are not wrapped in Unicode
//! isolation marks: the words go to terminals and pages, not to bidirectional
//! text.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering};

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentResource, FluentValue};

pub use fluent_bundle::FluentArgs;

/// The language lessons are shown in: the originals (English), or their
/// translations where there are some.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Lang {
    /// English, the original lessons.
    #[default]
    En,
    /// Simplified Chinese, `lessons/zh/`.
    Zh,
}

impl Lang {
    /// The folder beside the originals that holds this language's translations.
    pub fn folder(self) -> Option<&'static str> {
        match self {
            Lang::En => None,
            Lang::Zh => Some("zh"),
        }
    }

    /// The language of a locale name: `zh_CN.UTF-8` (or any `zh…`) is Chinese, anything else English.
    pub fn from_locale(locale: &str) -> Lang {
        if locale.starts_with("zh") { Lang::Zh } else { Lang::En }
    }

    /// The language the environment asks for: the first of `LC_ALL`,
    /// `LC_MESSAGES` and `LANG` that is set and not empty, as POSIX orders them.
    pub fn from_env() -> Lang {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .into_iter()
            .find_map(|var| std::env::var(var).ok().filter(|v| !v.is_empty()))
            .map_or(Lang::En, |v| Lang::from_locale(&v))
    }
}

/// The English catalogue: every message, the fallback for the others.
pub const EN_FTL: &str = include_str!("../i18n/en/nslab.ftl");
/// The Simplified Chinese catalogue.
pub const ZH_FTL: &str = include_str!("../i18n/zh/nslab.ftl");

static CURRENT: AtomicU8 = AtomicU8::new(0);

/// Sets the language of every message this process writes from now on.
pub fn set(lang: Lang) {
    CURRENT.store(
        match lang {
            Lang::En => 0,
            Lang::Zh => 1,
        },
        Ordering::Relaxed,
    );
}

thread_local! {
    /// A language for this thread only ([`with_lang`]): tests in one process
    /// render in both languages side by side.
    static THIS_THREAD: std::cell::Cell<Option<Lang>> = const { std::cell::Cell::new(None) };
}

/// The language messages are written in.
pub fn lang() -> Lang {
    THIS_THREAD.with(std::cell::Cell::get).unwrap_or_else(|| if CURRENT.load(Ordering::Relaxed) == 1 { Lang::Zh } else { Lang::En })
}

/// Runs `f` with this thread's messages in `lang`, whatever the process's language.
pub fn with_lang<R>(lang: Lang, f: impl FnOnce() -> R) -> R {
    let before = THIS_THREAD.with(|t| t.replace(Some(lang)));
    let out = f();
    THIS_THREAD.with(|t| t.set(before));
    out
}

/// The catalogue text of `lang`.
pub fn source(lang: Lang) -> &'static str {
    match lang {
        Lang::En => EN_FTL,
        Lang::Zh => ZH_FTL,
    }
}

/// One language's catalogue, parsed a message at a time: a run asks for a
/// few dozen of its hundreds of messages, and a whole parsed catalogue costs
/// megabytes (the reliability test bounds nslab's memory).
struct Catalogue {
    /// Where each message's text is in the catalogue, by id.
    index: std::collections::HashMap<&'static str, std::ops::Range<usize>>,
    /// The messages parsed so far, and their ids.
    bundle: std::sync::Mutex<(FluentBundle<FluentResource>, std::collections::HashSet<&'static str>)>,
    source: &'static str,
}

/// Where each message of `ftl` starts and ends: an entry starts at a line
/// beginning with its id and `=`, and runs to the next entry or comment at
/// the start of a line (a select's closing `}` at the start of a line belongs
/// to it).
fn message_ranges(ftl: &str) -> std::collections::HashMap<&str, std::ops::Range<usize>> {
    let mut starts: Vec<(Option<&str>, usize)> = Vec::new();
    let mut at = 0;
    for line in ftl.split_inclusive('\n') {
        let id = line.split_once(" =").map(|(id, _)| id).filter(|id| {
            id.bytes().next().is_some_and(|b| b.is_ascii_lowercase()) && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        });
        if id.is_some() || line.starts_with('#') {
            starts.push((id, at));
        }
        at += line.len();
    }
    let mut out = std::collections::HashMap::new();
    for (i, (id, start)) in starts.iter().enumerate() {
        if let Some(id) = id {
            let end = starts.get(i + 1).map_or(ftl.len(), |(_, s)| *s);
            out.insert(*id, *start..end);
        }
    }
    out
}

impl Catalogue {
    fn new(lang: Lang) -> Catalogue {
        let id: unic_langid::LanguageIdentifier = match lang {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
        .parse()
        .unwrap_or_default();
        let mut bundle = FluentBundle::new_concurrent(vec![id]);
        bundle.set_use_isolating(false);
        let source = source(lang);
        Catalogue { index: message_ranges(source), bundle: std::sync::Mutex::new((bundle, std::collections::HashSet::new())), source }
    }

    /// The message `id` formatted, or `None` when this catalogue lacks it (or
    /// it does not parse or format: the catalogue tests fail on that).
    fn format(&self, id: &str, args: Option<&FluentArgs>) -> Option<String> {
        let (&key, range) = self.index.get_key_value(id)?;
        let mut guard = self.bundle.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (bundle, loaded) = &mut *guard;
        if !loaded.contains(key) {
            let resource = FluentResource::try_new(self.source[range.clone()].to_string()).ok()?;
            bundle.add_resource(resource).ok()?;
            loaded.insert(key);
        }
        let pattern = bundle.get_message(id)?.value()?;
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, args, &mut errors);
        errors.is_empty().then(|| text.into_owned())
    }
}

fn catalogue(lang: Lang) -> &'static Catalogue {
    static EN: OnceLock<Catalogue> = OnceLock::new();
    static ZH: OnceLock<Catalogue> = OnceLock::new();
    match lang {
        Lang::En => EN.get_or_init(|| Catalogue::new(Lang::En)),
        Lang::Zh => ZH.get_or_init(|| Catalogue::new(Lang::Zh)),
    }
}

/// The message `id` in `lang`, or `None` when its catalogue lacks it.
pub fn lookup(lang: Lang, id: &str, args: Option<&FluentArgs>) -> Option<String> {
    let text = catalogue(lang).format(id, args)?;
    Some(if lang == Lang::Zh { spaced(&text) } else { text })
}

/// A Chinese ideograph (the unified blocks), beside which Latin words take a space.
fn ideograph(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}')
}

/// Chinese text with a space between an ideograph and a Latin letter, digit,
/// `@`, `/` or `` ` `` beside it ("与 box 的", "在 /run/nslab"), as Chinese
/// technical writing spaces them; a variable's text meets the message's
/// words without the translator knowing which it starts with. Nothing inside
/// backticks changes: that is code or expected output.
pub fn spaced(text: &str) -> String {
    let latin = |c: char| c.is_ascii_alphanumeric() || matches!(c, '@' | '/' | '`');
    let mut out = String::with_capacity(text.len() + 8);
    let mut in_code = false;
    let mut prev: Option<char> = None;
    for c in text.chars() {
        if let Some(p) = prev
            && ((ideograph(p) && latin(c) && !in_code) || (latin(p) && ideograph(c) && !in_code && p != '`') || (p == '`' && !in_code && ideograph(c)))
        {
            out.push(' ');
        }
        if c == '`' {
            in_code = !in_code;
        }
        out.push(c);
        prev = Some(c);
    }
    out
}

/// The message `id` in `lang`, falling back to English, and to the id itself
/// when no catalogue has it (the catalogue tests make sure every one does).
pub fn message_in(lang: Lang, id: &str, args: Option<&FluentArgs>) -> String {
    lookup(lang, id, args).or_else(|| lookup(Lang::En, id, args)).unwrap_or_else(|| id.to_string())
}

/// The message `id` in the current language.
pub fn message(id: &str, args: Option<&FluentArgs>) -> String {
    message_in(lang(), id, args)
}

/// `label` (ending in `:`, or in Chinese `：`) and then `text`: a space
/// between them after an ASCII colon, none after a full-width one.
pub fn labelled(label: &str, text: &str) -> String {
    if label.ends_with('：') { format!("{label}{text}") } else { format!("{label} {text}") }
}

/// `text` followed by spaces to `width` columns of display width (a wide
/// character takes two, an ANSI colour none); text already as wide is left
/// as it is. For table columns whose words the catalogue gives.
pub fn pad(text: &str, width: usize) -> String {
    let w = console::measure_text_width(text);
    format!("{text}{}", " ".repeat(width.saturating_sub(w)))
}

/// The display width of `text`.
pub fn width(text: &str) -> usize {
    console::measure_text_width(text)
}

/// A value for a message's variable: text, or a number (which plural
/// selectors can choose on).
pub fn arg<'a>(v: impl Into<FluentValue<'a>>) -> FluentValue<'a> {
    v.into()
}

/// The message with id `$id` in the current language, with variables:
/// `t!("step-of", number = 3, total = 12)`. Text variables take anything
/// that turns into a `FluentValue` (`&str`, `String`, numbers).
#[macro_export]
macro_rules! t {
    ($id:literal) => {
        $crate::i18n::message($id, None)
    };
    ($id:literal, $($k:ident = $v:expr),+ $(,)?) => {{
        let mut args = $crate::i18n::FluentArgs::new();
        $( args.set(stringify!($k), $crate::i18n::arg($v)); )+
        $crate::i18n::message($id, Some(&args))
    }};
}

/// The ids of the messages in a catalogue, in order.
pub fn ids(ftl: &str) -> Vec<String> {
    let resource = FluentResource::try_new(ftl.to_string()).unwrap_or_else(|(partial, _)| partial);
    resource
        .entries()
        .filter_map(|e| match e {
            fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_string()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The variables a catalogue's message uses, by message id.
    fn variables(ftl: &str) -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
        let re = regex::Regex::new(r"\{\s*\$([A-Za-z0-9_-]+)").unwrap();
        let mut out = std::collections::BTreeMap::new();
        let mut current = String::new();
        for line in ftl.lines() {
            if let Some((id, _)) = line.split_once(" =").filter(|(id, _)| !id.starts_with([' ', '#']) && !id.is_empty()) {
                current = id.to_string();
            }
            let vars: &mut std::collections::BTreeSet<String> = out.entry(current.clone()).or_default();
            vars.extend(re.captures_iter(line).map(|c| c[1].to_string()));
        }
        out
    }

    #[test]
    fn both_catalogues_parse_and_chinese_has_only_english_ids_and_variables() {
        for lang in [Lang::En, Lang::Zh] {
            if let Err((_, errors)) = FluentResource::try_new(source(lang).to_string()) {
                panic!("{lang:?} catalogue: {errors:?}");
            }
            let ids = ids(source(lang));
            let unique: std::collections::BTreeSet<&String> = ids.iter().collect();
            assert_eq!(unique.len(), ids.len(), "{lang:?}: an id appears twice");
        }
        let en = ids(EN_FTL);
        let (en_vars, zh_vars) = (variables(EN_FTL), variables(ZH_FTL));
        for id in ids(ZH_FTL) {
            assert!(en.contains(&id), "zh has {id}, which en lacks");
            assert!(zh_vars[&id].is_subset(&en_vars[&id]), "zh {id} uses {:?}, en only {:?}", zh_vars[&id], en_vars[&id]);
        }
    }

    /// Messages are parsed one at a time: each one's slice of the catalogue
    /// parses alone, holds just that message, and every message is found.
    #[test]
    fn each_message_parses_alone() {
        for lang in [Lang::En, Lang::Zh] {
            let ranges = message_ranges(source(lang));
            let ids = ids(source(lang));
            assert_eq!(ranges.len(), ids.len(), "{lang:?}");
            for id in &ids {
                let text = &source(lang)[ranges[id.as_str()].clone()];
                let resource = FluentResource::try_new(text.to_string()).unwrap_or_else(|(_, e)| panic!("{lang:?} {id}: {e:?}\n{text}"));
                let found: Vec<String> = resource
                    .entries()
                    .filter_map(|e| match e {
                        fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_string()),
                        _ => None,
                    })
                    .collect();
                assert_eq!(found, std::slice::from_ref(id), "{lang:?}: {text:?}");
            }
        }
    }

    #[test]
    fn chinese_falls_back_to_english_and_variables_are_not_isolated() {
        let mut args = FluentArgs::new();
        args.set("number", arg(3));
        args.set("total", arg(12));
        assert_eq!(message_in(Lang::En, "card-head", Some(&args)), "Step 3 of 12");
        assert_eq!(message_in(Lang::Zh, "card-head", Some(&args)), "第 3 步，共 12 步");
        // An id the Chinese catalogue lacks: the English text; one no catalogue has: the id.
        let only_english: Vec<String> = ids(EN_FTL).into_iter().filter(|id| !ids(ZH_FTL).contains(id)).collect();
        for id in &only_english {
            assert_eq!(lookup(Lang::Zh, id, None), None);
        }
        assert!(lookup(Lang::Zh, "no-such-message", None).is_none());
        assert_eq!(message_in(Lang::Zh, "no-such-message", None), "no-such-message");
        // Plural selection in English.
        let mut one = FluentArgs::new();
        one.set("ns", arg("x"));
        one.set("count", arg(1));
        assert_eq!(message_in(Lang::En, "expect-nprocs", Some(&one)), "x holds 1 process");
        one.set("count", arg(2));
        assert_eq!(message_in(Lang::En, "expect-nprocs", Some(&one)), "x holds 2 processes");
    }

    /// Every id the code asks for with `t!` is in the English catalogue, and
    /// every English message is asked for somewhere (no dead words).
    #[test]
    fn every_message_the_code_asks_for_exists_and_none_is_unused() {
        let re = regex::Regex::new(r#"\bt!\(\s*"([a-z0-9-]+)""#).unwrap();
        let mut used = std::collections::BTreeSet::new();
        let mut stack = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src"))];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
                        used.extend(re.captures_iter(line).map(|c| c[1].to_string()));
                    }
                }
            }
        }
        let en: std::collections::BTreeSet<String> = ids(EN_FTL).into_iter().collect();
        let missing: Vec<&String> = used.difference(&en).collect();
        assert!(missing.is_empty(), "asked for but not in i18n/en/nslab.ftl: {missing:?}");
        let unused: Vec<&String> = en.difference(&used).filter(|id| !id.starts_with("page-")).collect();
        assert!(unused.is_empty(), "in i18n/en/nslab.ftl but never asked for: {unused:?}");
    }

    #[test]
    fn chinese_words_and_latin_words_are_spaced_but_code_is_not() {
        assert_eq!(spaced("box 的 net 命名空间与box 的相同"), "box 的 net 命名空间与 box 的相同");
        assert_eq!(spaced("持久化在/run/p的那个"), "持久化在 /run/p 的那个");
        assert_eq!(spaced("stdout 是`你好a`，对"), "stdout 是 `你好a`，对");
        assert_eq!(spaced("（box）：3 步"), "（box）：3 步");
    }

    #[test]
    fn the_locale_chooses_the_language() {
        assert_eq!(Lang::from_locale("zh_CN.UTF-8"), Lang::Zh);
        assert_eq!(Lang::from_locale("zh_TW"), Lang::Zh);
        assert_eq!(Lang::from_locale("en_US.UTF-8"), Lang::En);
        assert_eq!(Lang::from_locale("C"), Lang::En);
    }
}
