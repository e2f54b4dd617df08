//! The book being served: found already built, or built with the real
//! mdBook into a private folder; the file a URL names, found only inside
//! the book ([`Site::file`]; `http` serves it with tower-http's `ServeFile`),
//! and its pages given the live script and stylesheet on the way out (the
//! book on disk, and a static `mdbook build`, never contain them).

use std::path::{Component, Path, PathBuf};

use super::ServeError;

/// The script every page gets when served (from `book/theme/live.js`).
pub const LIVE_JS: &str = include_str!("../../book/theme/live.js");
/// The stylesheet every page gets when served (from `book/theme/live.css`).
pub const LIVE_CSS: &str = include_str!("../../book/theme/live.css");
/// Where the server answers with them.
pub const LIVE_PREFIX: &str = "/__nslab/";

/// The name of the folders books are built in: `nslab-serve-book-…`.
const BUILD_PREFIX: &str = "nslab-serve-book-";
/// The file in a build folder that its server holds locked while it runs.
const LOCK_FILE: &str = ".nslab-serve.lock";

/// Removes the build folders of servers that are gone without cleaning up
/// (killed with SIGKILL): only ours (same owner), and only those whose lock
/// nobody holds. A lock dies with its process whatever pid namespace that
/// process was in, so a live server's folder is never taken for a stale one.
fn remove_stale_builds() {
    use std::os::unix::fs::MetadataExt;
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else { return };
    let me = nix::unistd::geteuid().as_raw();
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_str().is_some_and(|n| n.starts_with(BUILD_PREFIX)) {
            continue;
        }
        let ours = entry.path().symlink_metadata().is_ok_and(|m| m.uid() == me && m.is_dir());
        if !ours {
            continue;
        }
        let Ok(lock) = std::fs::File::open(entry.path().join(LOCK_FILE)) else { continue };
        if nix::fcntl::Flock::lock(lock, nix::fcntl::FlockArg::LockExclusiveNonblock).is_ok() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// A built book on disk.
#[derive(Debug)]
pub struct Site {
    root: PathBuf,
    _built: Option<Build>,
}

/// A server's private build folder (mode 0700), locked while the server
/// runs and removed when it stops.
#[derive(Debug)]
struct Build {
    dir: tempfile::TempDir,
    _lock: nix::fcntl::Flock<std::fs::File>,
}

impl Build {
    fn new() -> Result<Build, ServeError> {
        use std::os::unix::fs::PermissionsExt;
        let fail = |e: &dyn std::fmt::Display| ServeError::Book(format!("cannot make a private folder to build the book in: {e}"));
        let dir = tempfile::Builder::new().prefix(BUILD_PREFIX).permissions(std::fs::Permissions::from_mode(0o700)).tempdir().map_err(|e| fail(&e))?;
        let file = std::fs::File::create(dir.path().join(LOCK_FILE)).map_err(|e| fail(&e))?;
        let lock = nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock).map_err(|(_, e)| fail(&e))?;
        Ok(Build { dir, _lock: lock })
    }
}

impl Site {
    /// The book in `dir`: an mdBook (`book.toml`) is built now, into a
    /// private folder removed on exit — with nslab's own preprocessor only,
    /// unless `trust` (`--trust-book`) lets the book's `book.toml` run what it
    /// names; a folder with `index.html` is served as it is.
    pub fn prepare(dir: &Path, trust: bool) -> Result<Site, ServeError> {
        if dir.join("book.toml").is_file() {
            remove_stale_builds();
            let build_dir = Build::new()?;
            let out = build_dir.dir.path().join("html");
            if trust {
                build(dir, &out, true)?;
            } else {
                let root = build_dir.dir.path().join("source");
                let left_out = vetted_root(dir, &root)?;
                if !left_out.is_empty() {
                    eprintln!(
                        "nslab serve: {} names programs that nslab serve does not run: {} (pass --trust-book to run them)",
                        dir.join("book.toml").display(),
                        left_out.join(", ")
                    );
                }
                build(&root, &out, false)?;
            }
            // With more than one renderer, mdBook gives each a folder of its own.
            let root = if out.join("html/index.html").is_file() { out.join("html") } else { out };
            return Ok(Site { root, _built: Some(build_dir) });
        }
        if dir.join("index.html").is_file() {
            return Ok(Site { root: dir.to_path_buf(), _built: None });
        }
        Err(ServeError::Book(format!("{} is neither an mdBook (no book.toml) nor a built book (no index.html)", dir.display())))
    }

    /// The folder the built book is in.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file a URL path names, if it is inside the book: no `..`, no
    /// absolute parts; a folder means its `index.html`.
    pub fn file(&self, url_path: &str) -> Option<PathBuf> {
        let decoded = percent_decode(url_path)?;
        let mut path = self.root.clone();
        for part in Path::new(decoded.trim_start_matches('/')).components() {
            match part {
                Component::Normal(p) => path.push(p),
                Component::CurDir => {}
                _ => return None,
            }
        }
        if path.is_dir() {
            path.push("index.html");
        }
        // Refuse symbolic links that lead out of the book.
        let real = path.canonicalize().ok()?;
        let root = self.root.canonicalize().ok()?;
        (real.starts_with(&root) && real.is_file()).then_some(real)
    }
}

/// Makes `root` a stand-in for the book in `dir` that runs nothing but
/// nslab: a `book.toml` of its own, the book's with every preprocessor but
/// nslab's (and mdBook's built-in `links` and `index`) and every output but
/// `html` left out, nslab's command set to this very binary, and nothing
/// written into the book's sources; every other entry of `dir` is a symbolic
/// link to the original, so that includes and themes resolve as before.
pub fn vetted_root(dir: &Path, root: &Path) -> Result<Vec<String>, ServeError> {
    let fail = |what: String| ServeError::Book(what);
    let text = std::fs::read_to_string(dir.join("book.toml")).map_err(|e| fail(format!("cannot read {}: {e}", dir.join("book.toml").display())))?;
    let mut config: toml::Table = text.parse().map_err(|e| fail(format!("{} is not valid TOML: {e}", dir.join("book.toml").display())))?;
    let vetted = vet_config(&mut config);
    std::fs::create_dir(root).map_err(|e| fail(format!("cannot make {}: {e}", root.display())))?;
    let dir = std::fs::canonicalize(dir).map_err(|e| fail(format!("cannot read {}: {e}", dir.display())))?;
    for entry in std::fs::read_dir(&dir).map_err(|e| fail(format!("cannot read {}: {e}", dir.display())))?.flatten() {
        if entry.file_name() == "book.toml" {
            continue;
        }
        std::os::unix::fs::symlink(entry.path(), root.join(entry.file_name())).map_err(|e| fail(format!("cannot link {}: {e}", entry.path().display())))?;
    }
    std::fs::write(root.join("book.toml"), config.to_string()).map_err(|e| fail(format!("cannot write the vetted book.toml: {e}")))?;
    Ok(vetted)
}

/// Leaves in a parsed `book.toml` only what runs no program but nslab:
/// returns the names of the preprocessors and outputs left out.
pub fn vet_config(config: &mut toml::Table) -> Vec<String> {
    let mut dropped = Vec::new();
    let exe = std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_else(|_| "nslab".into());
    if let Some(toml::Value::Table(pre)) = config.get_mut("preprocessor") {
        pre.retain(|name, _| {
            let keep = matches!(name, "nslab" | "links" | "index");
            if !keep {
                dropped.push(format!("preprocessor.{name}"));
            }
            keep
        });
        for (name, table) in pre.iter_mut() {
            if let toml::Value::Table(t) = table {
                if name == "nslab" {
                    // Quoted for mdBook's shell-words split: the path may hold spaces.
                    t.insert("command".into(), toml::Value::String(format!("'{}' mdbook", exe.replace('\'', "'\\''"))));
                } else {
                    // Built in whatever it says; a command here would be ignored anyway.
                    t.remove("command");
                }
            }
        }
    } else if config.contains_key("preprocessor") {
        config.remove("preprocessor");
        dropped.push("preprocessor".into());
    }
    if let Some(toml::Value::Table(out)) = config.get_mut("output") {
        out.retain(|name, _| {
            let keep = name == "html";
            if !keep {
                dropped.push(format!("output.{name}"));
            }
            keep
        });
    } else if config.contains_key("output") {
        config.remove("output");
        dropped.push("output".into());
    }
    // mdBook would write missing chapters into the book's own sources.
    if let Some(toml::Value::Table(b)) = config.get_mut("build") {
        b.insert("create-missing".into(), toml::Value::Boolean(false));
    } else {
        let mut b = toml::Table::new();
        b.insert("create-missing".into(), toml::Value::Boolean(false));
        config.insert("build".into(), toml::Value::Table(b));
    }
    dropped
}

/// Runs `mdbook build DIR -d OUT`, with this nslab first on PATH so that the
/// book's `nslab mdbook` preprocessor is this very binary. Unless `trusted`,
/// mdBook is given none of the `MDBOOK_*` variables, which could add
/// preprocessors of their own.
fn build(dir: &Path, out: &Path, trusted: bool) -> Result<(), ServeError> {
    let exe_dir = std::env::current_exe().ok().and_then(|p| p.parent().map(Path::to_path_buf));
    let mut path: Vec<PathBuf> = exe_dir.into_iter().collect();
    path.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
    if let Some(home) = std::env::var_os("HOME") {
        path.push(Path::new(&home).join(".cargo/bin"));
    }
    let path = std::env::join_paths(path).map_err(|e| ServeError::Book(e.to_string()))?;
    let mdbook = std::env::split_paths(&path).map(|d| d.join("mdbook")).find(|p| p.is_file());
    let Some(mdbook) = mdbook else {
        return Err(ServeError::Book(
            "mdbook is not installed: `cargo install mdbook --locked --version 0.5.4`, or give nslab serve a folder with a built book".into(),
        ));
    };
    let mut command = std::process::Command::new(&mdbook);
    command.arg("build").arg(dir).arg("-d").arg(out).env("PATH", &path).stdin(std::process::Stdio::null());
    if !trusted {
        for (key, _) in std::env::vars_os() {
            if key.to_str().is_some_and(|k| k.to_ascii_uppercase().starts_with("MDBOOK_")) {
                command.env_remove(key);
            }
        }
    }
    let output = command.output().map_err(|e| ServeError::Book(format!("cannot run {}: {e}", mdbook.display())))?;
    if !output.status.success() {
        return Err(ServeError::Book(format!(
            "mdbook build {} failed ({}):\n{}",
            dir.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim_end()
        )));
    }
    Ok(())
}

/// A page with the live script and stylesheet added before `</head>`.
pub fn inject(html: &str) -> String {
    let tags = format!("<link rel=\"stylesheet\" href=\"{LIVE_PREFIX}live.css\">\n<script src=\"{LIVE_PREFIX}live.js\" defer></script>\n");
    match html.find("</head>") {
        Some(at) => format!("{}{tags}{}", &html[..at], &html[at..]),
        None => format!("{tags}{html}"),
    }
}

/// `%XX` escapes decoded (percent-encoding); `None` for a result that is not
/// UTF-8 or holds a NUL. A `%` not followed by two hex digits stays as it is.
fn percent_decode(s: &str) -> Option<String> {
    let text = percent_encoding::percent_decode_str(s).decode_utf8().ok()?;
    (!text.contains('\0')).then(|| text.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_stay_inside_the_book() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.html"), "<html><head></head></html>").unwrap();
        std::fs::create_dir(dir.path().join("lessons")).unwrap();
        std::fs::write(dir.path().join("lessons/a b.html"), "x").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("sub/link")).unwrap();
        let site = Site::prepare(dir.path(), false).unwrap();
        assert_eq!(site.file("/").unwrap().file_name().unwrap(), "index.html");
        assert!(site.file("/lessons/a%20b.html").is_some());
        for bad in ["/../etc/passwd", "/%2e%2e/etc/passwd", "/lessons/../../x", "/sub/link", "/missing.html", "/%zz", "/a%00b"] {
            assert!(site.file(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn a_vetted_config_runs_nothing_but_nslab() {
        let mut config: toml::Table = r#"
            [book]
            title = "t"
            [preprocessor.nslab]
            command = "evil-nslab"
            after = ["links"]
            [preprocessor.links]
            command = "evil-links"
            [preprocessor.katex]
            [preprocessor.evil]
            command = "sh -c 'touch /tmp/x'"
            [output.html]
            additional-css = ["a.css"]
            [output.pdf]
            command = "evil"
            [build]
            create-missing = true
        "#
        .parse()
        .unwrap();
        let mut dropped = vet_config(&mut config);
        dropped.sort();
        assert_eq!(dropped, ["output.pdf", "preprocessor.evil", "preprocessor.katex"]);
        let pre = config["preprocessor"].as_table().unwrap();
        assert!(pre["nslab"]["command"].as_str().unwrap().ends_with("' mdbook"), "{pre:?}");
        assert_eq!(pre["nslab"]["after"][0].as_str(), Some("links"));
        assert!(pre["links"].get("command").is_none());
        assert_eq!(config["output"]["html"]["additional-css"][0].as_str(), Some("a.css"));
        assert_eq!(config["build"]["create-missing"].as_bool(), Some(false));
        assert_eq!(config["book"]["title"].as_str(), Some("t"));
    }

    #[test]
    fn injection_goes_before_head_end() {
        let out = inject("<html><head><title>x</title></head><body></body></html>");
        assert!(out.contains("live.js\" defer></script>\n</head>"), "{out}");
        assert!(out.starts_with("<html><head><title>x</title><link"), "{out}");
    }
}
