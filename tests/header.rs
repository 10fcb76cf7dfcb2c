//! The committed header must equal what cbindgen generates from src/ffi now.

#[test]
fn header_is_in_sync() {
    let fresh =
        std::fs::read_to_string(concat!(env!("OUT_DIR"), "/bun_tcp.h")).expect("build.rs writes OUT_DIR/bun_tcp.h");
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/bun_tcp.h"))
        .expect("include/bun_tcp.h exists");
    assert!(
        fresh == committed,
        "include/bun_tcp.h differs from a fresh cbindgen run: regenerate it with `BUN_TCP_WRITE_HEADER=1 cargo build`, then commit it"
    );
}

#[test]
fn every_exported_function_is_documented() {
    let header = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/bun_tcp.h")).unwrap();
    let lines: Vec<&str> = header.lines().collect();
    let mut checked = 0;
    for (i, line) in lines.iter().enumerate() {
        let is_decl = !line.starts_with(' ')
            && line.contains("bun_tcp_")
            && line.trim_end().ends_with(");")
            && line.contains('(');
        if is_decl && !line.starts_with("//") && !line.starts_with("typedef") {
            assert!(i > 0 && lines[i - 1].starts_with("//"), "undocumented declaration: {line}");
            checked += 1;
        }
    }
    assert!(checked > 40, "expected the whole API, found {checked} declarations");
}

/// Every negative `#define` is one parenthesised primary expression (`(-22)`, not `-22`), as
/// libuv writes its UV_E* codes: its expansion then reads the same in every context.
#[test]
fn negative_defines_are_parenthesised() {
    let header = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/bun_tcp.h")).unwrap();
    let mut negative = 0;
    for line in header.lines().filter(|l| l.starts_with("#define ")) {
        let value = line.split_whitespace().nth(2).unwrap_or("");
        assert!(!value.starts_with('-'), "unparenthesised negative define: {line}");
        if value.starts_with("(-") {
            assert!(value.ends_with(')'), "unbalanced define: {line}");
            negative += 1;
        }
    }
    assert!(negative >= 25, "expected the library's error codes, found {negative} negative defines");
}

/// The header defines every code of the error table, under its C name, with its value.
#[test]
fn the_header_defines_every_error_code() {
    let header = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/bun_tcp.h")).unwrap();
    for code in bun_tcp::error::LIBRARY_CODES {
        let value = if code.code < 0 { format!("({})", code.code) } else { code.code.to_string() };
        let define = format!("#define {} {}", code.c_name, value);
        assert!(header.lines().any(|l| l == define), "missing from the header: {define}");
    }
}
