//! Generates include/bun_tcp.h from src/ffi with cbindgen, and its error codes from the one error
//! table, src/error_table.rs.
//!
//! The fresh header always goes to $OUT_DIR/bun_tcp.h. An ordinary build never touches the
//! committed include/bun_tcp.h: the test `header_is_in_sync` fails when the two differ, and
//! `BUN_TCP_WRITE_HEADER=1 cargo build` writes the fresh one there (then commit it).

use std::path::{Path, PathBuf};

fn main() {
    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=src/error_table.rs");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=BUN_TCP_WRITE_HEADER");

    let table = std::fs::read_to_string(crate_dir.join("src").join("error_table.rs")).expect("read src/error_table.rs");
    let codes = parse_library_codes(&table);

    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml is valid");
    // Only the ffi module tree: the core's own constants never reach the header, so cbindgen.toml
    // needs no list of names to exclude.
    let bindings = cbindgen::Builder::new()
        .with_src(crate_dir.join("src").join("ffi").join("mod.rs"))
        .with_config(config)
        .with_after_include(error_defines(&codes))
        .generate()
        .expect("cbindgen can read src/ffi");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let fresh_text = parenthesise_negative_defines(&String::from_utf8(generated).expect("cbindgen writes UTF-8"));
    let fresh = out_dir.join("bun_tcp.h");
    write_if_changed(&fresh, &fresh_text);

    let committed = crate_dir.join("include").join("bun_tcp.h");
    let write_committed = std::env::var("BUN_TCP_WRITE_HEADER").is_ok_and(|v| v == "1");
    if write_committed {
        std::fs::create_dir_all(committed.parent().expect("include/ has a parent")).expect("create include/");
        write_if_changed(&committed, &fresh_text);
    }

    // The shared library gets a SONAME so that hosts link against the ABI version.
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libbun_tcp.so.0");
}

fn write_if_changed(path: &Path, text: &str) {
    if std::fs::read(path).ok().as_deref() != Some(text.as_bytes()) {
        std::fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }
}

/// One row of the `library_codes!` table: what the header needs of it.
struct LibraryCode {
    doc: Vec<String>,
    c_name: String,
    value: i32,
}

/// Reads the rows of the `library_codes! { ... }` block (see the format at the top of
/// src/error_table.rs). Panics, naming the row, on anything it does not understand: a table the
/// header cannot be generated from must not build.
fn parse_library_codes(table: &str) -> Vec<LibraryCode> {
    let start = table.find("library_codes! {").expect("error_table.rs has a library_codes! block");
    let body = &table[start + "library_codes! {".len()..];
    let end = body.find("\n}").expect("the library_codes! block ends with a `}` line");
    let mut codes: Vec<LibraryCode> = Vec::new();
    let mut doc = Vec::new();
    let mut row = String::new();
    for line in body[..end].lines().map(str::trim) {
        if row.is_empty() {
            if let Some(text) = line.strip_prefix("///") {
                doc.push(text.strip_prefix(' ').unwrap_or(text).to_string());
                continue;
            }
            if line.is_empty() || line.starts_with("//") {
                continue;
            }
        }
        row.push(' ');
        row.push_str(line);
        if ends_row(&row) {
            let code = parse_row(row.trim(), std::mem::take(&mut doc));
            if let Some(twin) = codes.iter().find(|c| c.value == code.value || c.c_name == code.c_name) {
                panic!("error_table.rs: {} and {} share a value or a name", twin.c_name, code.c_name);
            }
            codes.push(code);
            row.clear();
        }
    }
    assert!(row.trim().is_empty(), "error_table.rs: unfinished row (no `;`): {row}");
    assert!(!codes.is_empty(), "error_table.rs: no rows");
    codes
}

/// A row ends at a `;` outside its string literals.
fn ends_row(row: &str) -> bool {
    let mut in_string = false;
    let mut escaped = false;
    for ch in row.chars() {
        match (in_string, escaped, ch) {
            (true, false, '\\') => escaped = true,
            (true, false, '"') => in_string = false,
            (true, true, _) => escaped = false,
            (false, _, '"') => in_string = true,
            (false, _, ';') => return true,
            _ => {}
        }
    }
    false
}

/// `RUST_NAME = VALUE => C_NAME, "name", "message";`: the header needs the value and C name.
fn parse_row(row: &str, doc: Vec<String>) -> LibraryCode {
    let bad = |why: &str| -> ! { panic!("error_table.rs: {why}: {row}") };
    let (rust_name, rest) = row.split_once('=').unwrap_or_else(|| bad("no `=`"));
    let (value, rest) = rest.split_once("=>").unwrap_or_else(|| bad("no `=>`"));
    let (c_name, _strings) = rest.split_once(',').unwrap_or_else(|| bad("no `,` after the C name"));
    let (rust_name, c_name) = (rust_name.trim(), c_name.trim());
    let value: i32 = value.trim().parse().unwrap_or_else(|_| bad("the value is not a decimal literal"));
    if c_name.strip_prefix("BUN_TCP_") != Some(rust_name) {
        bad("the C name must be BUN_TCP_ + the Rust name");
    }
    if value > 0 {
        bad("codes are 0 or negative");
    }
    if doc.is_empty() {
        bad("a code needs its `///` line for the header");
    }
    LibraryCode { doc, c_name: c_name.to_string(), value }
}

/// The header's block of error codes, in cbindgen's layout (`///` docs, a blank line between
/// defines). Negative values are parenthesised, as libuv's UV_E* are: `(-22)` reads as one value
/// wherever the macro lands.
fn error_defines(codes: &[LibraryCode]) -> String {
    let mut block = String::new();
    for code in codes {
        block.push('\n');
        for line in &code.doc {
            block.push_str(if line.is_empty() { "///" } else { "/// " });
            block.push_str(line);
            block.push('\n');
        }
        block.push_str(&format!("#define {} {}\n", code.c_name, c_value(code.value)));
    }
    // cbindgen ends the block with its own newline.
    block.pop();
    block
}

fn c_value(value: i32) -> String {
    if value < 0 { format!("({value})") } else { value.to_string() }
}

/// cbindgen writes a negative constant of src/ffi (a ready state) as `#define X -1`; give it the
/// parentheses the error codes have. Only whole `#define NAME -DIGITS` lines are touched.
fn parenthesise_negative_defines(header: &str) -> String {
    let mut out = String::with_capacity(header.len() + 64);
    for line in header.split_inclusive('\n') {
        let text = line.trim_end_matches('\n');
        let mut parts = text.splitn(3, ' ');
        let fixed = match (parts.next(), parts.next(), parts.next()) {
            (Some("#define"), Some(name), Some(value))
                if value.strip_prefix('-').is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())) =>
            {
                Some(format!("#define {name} ({value})"))
            }
            _ => None,
        };
        match fixed {
            Some(fixed) => {
                out.push_str(&fixed);
                out.push_str(&line[text.len()..]);
            }
            None => out.push_str(line),
        }
    }
    out
}
