//! Generates include/bun_tcp.h from src/ffi with cbindgen.
//!
//! The fresh header always goes to $OUT_DIR/bun_tcp.h. An ordinary build never touches the
//! committed include/bun_tcp.h: the test `header_is_in_sync` fails when the two differ, and
//! `BUN_TCP_WRITE_HEADER=1 cargo build` writes the fresh one there (then commit it).

use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=BUN_TCP_WRITE_HEADER");

    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml is valid");
    let bindings = cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen can read src/ffi");
    let fresh = out_dir.join("bun_tcp.h");
    bindings.write_to_file(&fresh);

    let committed = crate_dir.join("include").join("bun_tcp.h");
    let write_committed = std::env::var("BUN_TCP_WRITE_HEADER").is_ok_and(|v| v == "1");
    let fresh_text = std::fs::read(&fresh).expect("header just written");
    if write_committed && std::fs::read(&committed).ok().as_deref() != Some(fresh_text.as_slice()) {
        std::fs::create_dir_all(committed.parent().expect("include/ has a parent")).expect("create include/");
        std::fs::write(&committed, &fresh_text).expect("write include/bun_tcp.h");
    }

    // The shared library gets a SONAME so that hosts link against the ABI version.
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libbun_tcp.so.0");
}
