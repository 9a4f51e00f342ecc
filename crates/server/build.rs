//! Rebuilds the server when anything under `web/` changes. rust-embed notices edits to files it
//! embedded, but not a file added or removed; without this a build could ship yesterday's app.

fn main() {
    // A directory here means: rerun when any file inside it changes (cargo scans it).
    println!("cargo:rerun-if-changed=../../web");
}
