//! The book being served: found already built, or built with the real
//! mdBook into a private folder; its files read safely, and its pages given
//! the live script and stylesheet on the way out (the book on disk, and a
//! static `mdbook build`, never contain them).

use std::path::{Component, Path, PathBuf};

use super::ServeError;

/// The script every page gets when served (from `book/theme/live.js`).
pub const LIVE_JS: &str = include_str!("../../book/theme/live.js");
/// The stylesheet every page gets when served (from `book/theme/live.css`).
pub const LIVE_CSS: &str = include_str!("../../book/theme/live.css");
/// Where the server answers with them.
pub const LIVE_PREFIX: &str = "/__nslab/";

/// The name of the folders books are built in: `nslab-serve-book-PID-…`.
const BUILD_PREFIX: &str = "nslab-serve-book-";

/// Removes the build folders of servers that are gone without cleaning up
/// (killed with SIGKILL): ours by owner, theirs by a pid that is not alive.
fn remove_stale_builds() {
    use std::os::unix::fs::MetadataExt;
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else { return };
    let me = nix::unistd::geteuid().as_raw();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(BUILD_PREFIX)) else { continue };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<i32>().ok()) else { continue };
        let ours = entry.metadata().is_ok_and(|m| m.uid() == me && m.is_dir());
        let alive = crate::ns::view::proc_root().join(pid.to_string()).exists();
        if ours && !alive {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// A built book on disk.
#[derive(Debug)]
pub struct Site {
    root: PathBuf,
    _built: Option<tempfile::TempDir>,
}

impl Site {
    /// The book in `dir`: an mdBook (`book.toml`) is built now, into a
    /// private folder removed on exit; a folder with `index.html` is served
    /// as it is.
    pub fn prepare(dir: &Path) -> Result<Site, ServeError> {
        if dir.join("book.toml").is_file() {
            remove_stale_builds();
            let prefix = format!("{BUILD_PREFIX}{}-", std::process::id());
            let out =
                tempfile::Builder::new().prefix(&prefix).tempdir().map_err(|e| ServeError::Book(format!("cannot make a folder to build the book in: {e}")))?;
            build(dir, out.path())?;
            return Ok(Site { root: out.path().to_path_buf(), _built: Some(out) });
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

/// Runs `mdbook build DIR -d OUT`, with this nslab first on PATH so that the
/// book's `nslab mdbook` preprocessor is this very binary.
fn build(dir: &Path, out: &Path) -> Result<(), ServeError> {
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
    let output = std::process::Command::new(&mdbook)
        .arg("build")
        .arg(dir)
        .arg("-d")
        .arg(out)
        .env("PATH", &path)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| ServeError::Book(format!("cannot run {}: {e}", mdbook.display())))?;
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

/// The content type of a file, by its extension.
pub fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "eot" => "application/vnd.ms-fontobject",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// A page with the live script and stylesheet added before `</head>`.
pub fn inject(html: &str) -> String {
    let tags = format!("<link rel=\"stylesheet\" href=\"{LIVE_PREFIX}live.css\">\n<script src=\"{LIVE_PREFIX}live.js\" defer></script>\n");
    match html.find("</head>") {
        Some(at) => format!("{}{tags}{}", &html[..at], &html[at..]),
        None => format!("{tags}{html}"),
    }
}

/// `%XX` escapes decoded; `None` for a bad escape or a result that is not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    let text = String::from_utf8(out).ok()?;
    (!text.contains('\0')).then_some(text)
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
        let site = Site::prepare(dir.path()).unwrap();
        assert_eq!(site.file("/").unwrap().file_name().unwrap(), "index.html");
        assert!(site.file("/lessons/a%20b.html").is_some());
        for bad in ["/../etc/passwd", "/%2e%2e/etc/passwd", "/lessons/../../x", "/sub/link", "/missing.html", "/%zz", "/a%00b"] {
            assert!(site.file(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn injection_goes_before_head_end() {
        let out = inject("<html><head><title>x</title></head><body></body></html>");
        assert!(out.contains("live.js\" defer></script>\n</head>"), "{out}");
        assert!(out.starts_with("<html><head><title>x</title><link"), "{out}");
    }
}
