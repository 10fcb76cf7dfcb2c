"""bun_tcp.Error and the helpers that turn the library's negative codes into it."""

from __future__ import annotations

import ctypes
from typing import Optional

from ._ffi import _CError, lib


def _text(raw: Optional[bytes]) -> Optional[str]:
    return raw.decode(errors="replace") if raw else None


class Error(Exception):
    """A bun_tcp failure: `code` (negative), `name` ("ECONNREFUSED"), `syscall`, `message`."""

    def __init__(self, code: int, message: Optional[str] = None, syscall: Optional[str] = None,
                 name: Optional[str] = None) -> None:
        self.code = code
        self.name: str = name or _text(lib.bun_tcp_err_name(code)) or str(code)
        self.syscall = syscall
        self.message: str = message or _text(lib.bun_tcp_strerror(code)) or ""
        super().__init__(f"{self.name}: {self.message}")

    @classmethod
    def _last(cls, code: int) -> "Error":
        """The error of the call that just returned `code` on this thread."""
        return cls(code, _text(lib.bun_tcp_last_error_message()))

    @classmethod
    def _from_c(cls, err_ptr: "ctypes._Pointer[_CError]") -> Optional["Error"]:
        if not err_ptr:
            return None
        err = err_ptr.contents
        return cls(err.code, _text(err.message), _text(err.syscall), _text(err.name))


def check(rc: int) -> int:
    """`rc` when it is not negative, else raises the Error of this thread's last call."""
    if rc < 0:
        raise Error._last(rc)
    return rc


def encode(text: Optional[str | bytes]) -> Optional[bytes]:
    return text.encode() if isinstance(text, str) else text
