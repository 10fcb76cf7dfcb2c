#!/usr/bin/env python3
"""Doxygen input filter for include/bun_tcp.h (docs/api/Doxyfile: FILTER_PATTERNS).

The header is cbindgen's output with `///` doc comments, in sections that start with a banner
(`/// --- Loop ---`). Doxygen needs three things the header does not say in its own syntax:
  - a `@file` block, so that its functions, types and macros are documented at all;
  - which group (one HTML page each: loop, listen, connect, socket, TLS, timers, errors, library)
    every declaration belongs to: an `@ingroup` line added to its comment, from its section
    (timers by name, since they sit in the loop section; types and error codes by name);
  - no banner text inside the first function's comment of a section.
Text that Doxygen would read as markup (`<sys/socket.h>`, `#include`, a `\\0`, `%`) is escaped.
Lines are never added or removed, so Doxygen's line numbers are the header's.
"""
import re
import sys

SECTION_GROUP = {
    "Loop": "loop",
    "Listen": "listen",
    "Connect": "connect",
    "Socket: I/O": "socket",
    "Socket: lifetime": "socket",
    "Socket: options": "socket",
    "Socket: queries": "socket",
    "Socket: transfer between loops": "socket",
    "TLS": "tls",
    "Errors": "errors",
    "Library": "library",
}

# Types (and the error codes) come before the first banner: their group is by name.
TYPE_GROUP = [
    (re.compile(r"^BUN_TCP_(OK|E[A-Z0-9_]+)$"), "errors"),
    (re.compile(r"^BUN_TCP_TLS"), "tls"),
    (re.compile(r"^BUN_TCP_STATE_"), "socket"),
    (re.compile(r"^bun_tcp_timer"), "timers"),
    (re.compile(r"^bun_tcp_(loop|trace_event|trace_fn|metrics)$"), "loop"),
    (re.compile(r"^bun_tcp_(listen_options|listener)$"), "listen"),
    (re.compile(r"^bun_tcp_connect_options$"), "connect"),
    (re.compile(r"^bun_tcp_(tls_options|bytes)$"), "tls"),
    (re.compile(r"^bun_tcp_error$"), "errors"),
    (re.compile(r"^bun_tcp_(socket|handlers)$"), "socket"),
]

BANNER = re.compile(r"^/// --- (.+) ---$")
FUNCTION = re.compile(r"\b(bun_tcp_[a-z0-9_]+)\(")
DEFINE = re.compile(r"^#define (BUN_TCP_[A-Z0-9_]+)\b")
TYPEDEF = re.compile(r"^typedef (?:struct|enum) (bun_tcp_[a-z0-9_]+)|^typedef .*\(\*(bun_tcp_[a-z0-9_]+)\)")

FILE_BLOCK = (
    "/** @file bun_tcp.h @brief Bun's TCP socket API for C. The rules at the top of the header "
    "(threads, handles, handlers, errors, NULL, panics) apply to every function. */"
)


def escape(text):
    # Doxygen commands start with \ or @; HTML-like tags with <. The header means them literally.
    text = text.replace("\\", "\\\\").replace("@", "\\@").replace("<", "\\<").replace(">", "\\>")
    text = text.replace("#", "\\#").replace("%", "\\%").replace("&", "\\&")
    return text


def group_of(line, section):
    m = FUNCTION.search(line)
    if m and not line.startswith("typedef"):
        name = m.group(1)
        if name.startswith("bun_tcp_timer_"):
            return "timers"
        return SECTION_GROUP.get(section)
    m = DEFINE.match(line) or TYPEDEF.match(line)
    if m:
        name = next(g for g in m.groups() if g)
        for pattern, group in TYPE_GROUP:
            if pattern.search(name):
                return group
    return None


def main():
    lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
    out = list(lines)
    section = None
    comment_start = None  # index of the first `///` line of the comment above the current line
    in_struct = False
    for i, line in enumerate(lines):
        if line.startswith("///"):
            m = BANNER.match(line)
            if m:
                section = m.group(1)
                out[i] = "///"  # the banner: not part of the function's documentation
            else:
                out[i] = "///" + escape(line[3:])
            if comment_start is None:
                comment_start = i
            continue
        stripped = line.strip()
        if stripped.startswith("///"):  # a struct field's comment
            out[i] = line[: len(line) - len(stripped)] + "///" + escape(stripped[3:])
            continue
        if line.startswith("typedef struct") and line.rstrip().endswith("{"):
            in_struct = True
        if in_struct and line.startswith("}"):
            in_struct = False
        if comment_start is not None and not in_struct or line.startswith("typedef"):
            group = group_of(line, section)
            if group and comment_start is not None:
                # Put the group on the comment's last line, which is always a text line.
                out[i - 1] = out[i - 1] + " @ingroup " + group
        comment_start = None
    if out and out[0].startswith("/*"):
        out[0] = FILE_BLOCK + " " + out[0]
    else:
        out.insert(0, FILE_BLOCK)
    sys.stdout.write("\n".join(out))


if __name__ == "__main__":
    main()
