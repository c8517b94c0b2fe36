//! Embeds the connector files of `connectors/` (the top level: the ones the embedded runtime
//! runs), so that `codeflix up` runs them from any working directory.

use std::fmt::Write;
use std::path::Path;

fn main() {
    // Read when the script runs, not baked in when it was compiled: cargo reuses a compiled
    // build script for a checkout that has moved.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR");
    let dir = Path::new(&manifest).join("../connectors");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading the connector files in {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    let mut out =
        String::from("/// The connector files this binary was built with: (file name, JSON).\n");
    out.push_str("pub(crate) const FILES: &[(&str, &str)] = &[\n");
    for path in paths {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let absolute = path.canonicalize().unwrap_or(path.clone());
        writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            absolute.display().to_string()
        )
        .expect("writing to a string");
    }
    out.push_str("];\n");
    let target = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("connectors.rs");
    std::fs::write(target, out).expect("writing the embedded connector files");
}
