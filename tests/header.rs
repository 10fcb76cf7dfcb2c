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
