//! include/bun_tcp.h reads as a reference: the functions come in groups, in the order loop,
//! listen, connect, socket, TLS, errors, library; each group opens with a `--- Name ---` banner;
//! every function's comment gives its Returns, Errors and Fires lines.

/// One declared function with the comment right above it.
struct Entry {
    name: String,
    group: Option<String>,
    comment: Vec<String>,
}

fn entries() -> Vec<Entry> {
    let header = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/bun_tcp.h")).unwrap();
    let lines: Vec<&str> = header.lines().collect();
    let mut group = None;
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let is_decl = !line.starts_with(' ')
            && !line.starts_with("//")
            && !line.starts_with("typedef")
            && line.trim_end().ends_with(");")
            && line.contains('(');
        let Some(name) = is_decl.then(|| function_name(line)).flatten() else { continue };
        let mut start = i;
        while start > 0 && lines[start - 1].starts_with("//") {
            start -= 1;
        }
        let comment: Vec<String> =
            lines[start..i].iter().map(|l| l.trim_start_matches('/').trim().to_string()).collect();
        if let Some(banner) = comment.first().and_then(|c| c.strip_prefix("--- ")).and_then(|c| c.strip_suffix(" ---"))
        {
            group = Some(banner.to_string());
        }
        out.push(Entry { name, group: group.clone(), comment });
    }
    out
}

/// The `bun_tcp_*` name right before the declaration's '('.
fn function_name(line: &str) -> Option<String> {
    let before = &line[..line.find('(')?];
    let name = before.rsplit(|c: char| !(c.is_alphanumeric() || c == '_')).next()?;
    name.starts_with("bun_tcp_").then(|| name.to_string())
}

#[test]
fn groups_come_in_the_reference_order() {
    let entries = entries();
    assert!(entries.len() > 40, "expected the whole API, found {} declarations", entries.len());
    let mut groups: Vec<&str> = Vec::new();
    for e in &entries {
        let group = e.group.as_deref().unwrap_or_else(|| panic!("{} comes before the first banner", e.name));
        if groups.last() != Some(&group) {
            assert!(!groups.contains(&group), "group {group} appears twice");
            groups.push(group);
        }
    }
    assert_eq!(
        groups,
        [
            "Loop",
            "Listen",
            "Connect",
            "Socket: I/O",
            "Socket: lifetime",
            "Socket: options",
            "Socket: queries",
            "Socket: transfer between loops",
            "TLS",
            "Errors",
            "Library"
        ]
    );
    let group_of = |name: &str| entries.iter().find(|e| e.name == name).and_then(|e| e.group.clone()).unwrap();
    for e in &entries {
        let n = e.name.as_str();
        let expected = if n.starts_with("bun_tcp_loop_") || n == "bun_tcp_poll" || n == "bun_tcp_run" {
            "Loop"
        } else if n == "bun_tcp_listen" || n.starts_with("bun_tcp_listener_") {
            "Listen"
        } else if n == "bun_tcp_connect" {
            "Connect"
        } else if n == "bun_tcp_err_name" || n == "bun_tcp_strerror" || n == "bun_tcp_last_error_message" {
            "Errors"
        } else {
            continue;
        };
        assert_eq!(group_of(n), expected, "{n}");
    }
    assert_eq!(group_of("bun_tcp_socket_write"), "Socket: I/O");
    assert_eq!(group_of("bun_tcp_socket_close"), "Socket: lifetime");
    assert_eq!(group_of("bun_tcp_socket_set_no_delay"), "Socket: options");
    assert_eq!(group_of("bun_tcp_socket_remote_address"), "Socket: queries");
    assert_eq!(group_of("bun_tcp_socket_adopt"), "Socket: transfer between loops");
    assert_eq!(group_of("bun_tcp_socket_upgrade_tls"), "TLS");
}

#[test]
fn every_function_says_what_it_returns_its_errors_and_what_it_fires() {
    for e in entries() {
        // The banner (and the blank line after it) is not the summary.
        let body: Vec<&String> = e.comment.iter().skip_while(|c| c.starts_with("--- ") || c.is_empty()).collect();
        assert!(body.first().is_some_and(|c| !c.is_empty()), "{}: no summary line", e.name);
        for field in ["Returns:", "Errors", "Fires:"] {
            assert_eq!(
                body.iter().filter(|c| c.starts_with(field)).count(),
                1,
                "{}: its comment needs exactly one line starting with {field:?}",
                e.name
            );
        }
        let position = |field: &str| body.iter().position(|c| c.starts_with(field)).unwrap();
        assert!(
            position("Returns:") < position("Errors") && position("Errors") < position("Fires:"),
            "{}: Returns, Errors, Fires come in this order",
            e.name
        );
    }
}
