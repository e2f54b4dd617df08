//! Embeds the lessons in `lessons/` into the binary, so an installed `nslab`
//! works outside the repository.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    // Read when the script runs, not when it is compiled: a compiled build
    // script may be reused for a checkout at another path.
    let dir = Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("lessons");
    let mut code = String::new();
    embed(&mut code, &dir, "BUILTIN", "The lessons built into the binary: (file name, text).");
    embed(&mut code, &dir.join("zh"), "BUILTIN_ZH", "Their Simplified Chinese translations, in `lessons/zh/`: (file name, text).");
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("builtin_lessons.rs");
    std::fs::write(out, code).unwrap();
}

/// Writes `static NAME`, the `*.md` files of `dir` with their text.
fn embed(code: &mut String, dir: &Path, name: &str, doc: &str) {
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "md")).collect())
        .unwrap_or_default();
    files.sort();
    let _ = writeln!(code, "/// {doc}\npub static {name}: &[(&str, &str)] = &[");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let file = f.file_name().unwrap().to_string_lossy();
        let _ = writeln!(code, "    ({file:?}, include_str!({:?})),", f.display().to_string());
    }
    code.push_str("];\n");
}
