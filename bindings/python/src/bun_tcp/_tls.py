"""TLSOptions: the Python face of bun_tcp_tls_options (rustls underneath)."""

from __future__ import annotations

import ctypes
from dataclasses import dataclass, field
from typing import Any, List, Optional, Sequence, Union

from ._errors import encode
from ._ffi import _Bytes, _TLSOptions

TLS1_2 = 0x0303
TLS1_3 = 0x0304

Pem = Union[str, bytes]
PemList = Union[Pem, Sequence[Pem], None]


def _pem_list(value: PemList) -> List[bytes]:
    if value is None:
        return []
    if isinstance(value, (str, bytes)):
        value = [value]
    return [encode(item) or b"" for item in value]


@dataclass
class TLSOptions:
    """TLS for Loop.listen / Loop.connect (tls=...), Listener.set_tls and Socket.upgrade_tls.

    PEM contents (`cert`, `key`, `ca`: str or bytes, or a list of them: key i belongs to chain
    i) and/or file paths (`cert_file`, `key_file`, `ca_file`). A client verifies the server
    against `ca`, else the system trust store; `server_name` is the SNI and the name verified
    (default: the connect hostname). `allow_unauthorized=True` accepts an unverified peer (it
    still reports it: Socket.authorized, Socket.verify_error). `request_cert` asks a client for
    a certificate (mTLS). `min_version` / `max_version`: TLS1_2 or TLS1_3 (0 = default).
    """

    cert: PemList = None
    key: PemList = None
    ca: PemList = None
    server_name: Optional[str] = None
    allow_unauthorized: bool = False
    request_cert: bool = False
    cert_file: Optional[str] = None
    key_file: Optional[str] = None
    ca_file: Optional[str] = None
    passphrase: Optional[str] = None
    alpn: Sequence[str] = field(default_factory=list)
    min_version: int = 0
    max_version: int = 0
    keylog_file: Optional[str] = None
    disable_session_resumption: bool = False
    cipher_suites: Sequence[str] = field(default_factory=list)
    groups: Sequence[str] = field(default_factory=list)
    crl: PemList = None
    crl_file: Optional[str] = None

    def _to_c(self) -> "tuple[_TLSOptions, list[Any]]":
        """The C struct and the ctypes objects it points into (keep them until the call has
        returned: the library copies what it reads)."""
        keep: List[Any] = []

        def byte_array(items: List[bytes]) -> "tuple[Any, int]":
            if not items:
                return None, 0
            array = (_Bytes * len(items))()
            for i, item in enumerate(items):
                buf = ctypes.create_string_buffer(item, len(item))
                keep.append(buf)
                array[i].ptr = ctypes.cast(buf, ctypes.POINTER(ctypes.c_uint8))
                array[i].len = len(item)
            keep.append(array)
            return array, len(items)

        opts = _TLSOptions()
        opts.key, opts.key_count = byte_array(_pem_list(self.key))
        opts.cert, opts.cert_count = byte_array(_pem_list(self.cert))
        opts.ca, opts.ca_count = byte_array(_pem_list(self.ca))
        opts.server_name = encode(self.server_name)
        opts.allow_unauthorized = self.allow_unauthorized
        opts.request_cert = self.request_cert
        opts.key_file = encode(self.key_file)
        opts.cert_file = encode(self.cert_file)
        opts.ca_file = encode(self.ca_file)
        opts.passphrase = encode(self.passphrase)
        def name_array(items: Sequence[str]) -> "tuple[Any, int]":
            if not items:
                return None, 0
            names = (ctypes.c_char_p * len(items))(*[encode(n) for n in items])
            keep.append(names)
            return names, len(items)

        opts.alpn, opts.alpn_count = name_array(self.alpn)
        opts.cipher_suites, opts.cipher_suites_count = name_array(self.cipher_suites)
        opts.groups, opts.groups_count = name_array(self.groups)
        opts.crl, opts.crl_count = byte_array(_pem_list(self.crl))
        opts.crl_file = encode(self.crl_file)
        opts.min_version, opts.max_version = self.min_version, self.max_version
        opts.keylog_file = encode(self.keylog_file)
        opts.disable_session_resumption = self.disable_session_resumption
        return opts, keep


def tls_pointer(tls: Optional[TLSOptions], keep: List[Any]) -> Any:
    """A pointer to `tls` as C (None for plain TCP); what it points into is added to `keep`."""
    if tls is None:
        return None
    opts, owned = tls._to_c()
    keep.extend(owned)
    keep.append(opts)
    return ctypes.pointer(opts)
