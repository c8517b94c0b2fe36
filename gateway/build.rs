//! Release builds embed `web/dist` (the apps `npm run build` writes), so they are rebuilt when it
//! changes. Debug builds read `web/dist` from disk at run time and need no rebuild; telling Cargo
//! to watch a folder that does not exist yet would rebuild this crate on every build.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=PROFILE");
    if std::env::var("PROFILE").as_deref() == Ok("release") {
        println!("cargo:rerun-if-changed=../web/dist");
    }
}
