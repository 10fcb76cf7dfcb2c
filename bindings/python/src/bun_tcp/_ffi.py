"""The C ABI of include/bun_tcp.h, field for field, and the loaded library (`lib`).

The library is, in order: $BUN_TCP_LIB (a path) when set; the libbun_tcp.so that the wheel put
next to this file; else found like any shared library (ctypes.util.find_library, then
"libbun_tcp.so.0" through LD_LIBRARY_PATH and the ld.so cache).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from ctypes import (CFUNCTYPE, POINTER, Structure, c_bool, c_char_p, c_int, c_int32, c_int64,
                    c_size_t, c_uint16, c_uint32, c_uint64, c_uint8, c_void_p)


class _SocketHandle(Structure):
    _fields_ = [("id", c_uint64)]


class _ListenerHandle(Structure):
    _fields_ = [("id", c_uint64)]


class _TimerHandle(Structure):
    _fields_ = [("id", c_uint64)]


class _CError(Structure):
    _fields_ = [("code", c_int32), ("name", c_char_p), ("syscall", c_char_p),
                ("message", c_char_p)]


class _Bytes(Structure):
    _fields_ = [("ptr", POINTER(c_uint8)), ("len", c_size_t)]


class _TLSOptions(Structure):
    _fields_ = [("key", POINTER(_Bytes)), ("key_count", c_size_t),
                ("cert", POINTER(_Bytes)), ("cert_count", c_size_t),
                ("ca", POINTER(_Bytes)), ("ca_count", c_size_t),
                ("server_name", c_char_p), ("allow_unauthorized", c_bool),
                ("request_cert", c_bool), ("key_file", c_char_p), ("cert_file", c_char_p),
                ("ca_file", c_char_p), ("passphrase", c_char_p),
                ("alpn", POINTER(c_char_p)), ("alpn_count", c_size_t),
                ("min_version", c_uint16), ("max_version", c_uint16),
                ("keylog_file", c_char_p), ("disable_session_resumption", c_bool),
                ("cipher_suites", POINTER(c_char_p)), ("cipher_suites_count", c_size_t),
                ("groups", POINTER(c_char_p)), ("groups_count", c_size_t),
                ("crl", POINTER(_Bytes)), ("crl_count", c_size_t), ("crl_file", c_char_p)]


class _ListenOptions(Structure):
    _fields_ = [("hostname", c_char_p), ("port", c_uint16), ("data", c_void_p),
                ("tls", POINTER(_TLSOptions)), ("unix_path", c_char_p),
                ("allow_half_open", c_bool), ("reuse_port", c_bool), ("ipv6_only", c_bool),
                ("backlog", c_int32), ("unix_path_len", c_size_t),
                ("tls_handshake_timeout_ms", c_uint32)]


class _ConnectOptions(Structure):
    _fields_ = [("hostname", c_char_p), ("port", c_uint16), ("data", c_void_p),
                ("tls", POINTER(_TLSOptions)), ("unix_path", c_char_p),
                ("allow_half_open", c_bool), ("local_address", c_char_p),
                ("local_port", c_uint16), ("connect_timeout_ms", c_uint32),
                ("unix_path_len", c_size_t)]


class _Metrics(Structure):
    _fields_ = [(name, c_uint64) for name in (
        "iterations", "events", "accepts", "connects", "connect_errors", "closes",
        "handler_calls", "bytes_read", "bytes_written", "bytes_queued", "handler_ns")]


class _TraceEvent(Structure):
    _fields_ = [("socket", _SocketHandle), ("handler", c_char_p), ("len", c_size_t),
                ("success", c_bool), ("error", POINTER(_CError)), ("line", c_char_p)]


_SocketFn = CFUNCTYPE(None, _SocketHandle, c_void_p)
_DataFn = CFUNCTYPE(None, _SocketHandle, c_void_p, POINTER(c_uint8), c_size_t)
_ErrorFn = CFUNCTYPE(None, _SocketHandle, c_void_p, POINTER(_CError))
_HandshakeFn = CFUNCTYPE(None, _SocketHandle, c_void_p, c_bool, POINTER(_CError))
_TimerFn = CFUNCTYPE(None, _TimerHandle, c_void_p)
_PostFn = CFUNCTYPE(None, c_void_p)
_TraceFn = CFUNCTYPE(None, POINTER(_TraceEvent), c_void_p)


class _Handlers(Structure):
    _fields_ = [("open", _SocketFn), ("data", _DataFn), ("drain", _SocketFn), ("end", _SocketFn),
                ("close", _ErrorFn), ("error", _ErrorFn), ("timeout", _SocketFn),
                ("connect_error", _ErrorFn), ("handshake", _HandshakeFn)]


_S, _L, _T, _LOOP, _BUF = _SocketHandle, _ListenerHandle, _TimerHandle, c_void_p, POINTER(c_uint8)
_TLS, _H = POINTER(_TLSOptions), POINTER(_Handlers)
SIGNATURES = {  # name: (restype, argtypes)
    "bun_tcp_version": (c_char_p, []),
    "bun_tcp_tls_provider": (c_char_p, []),
    "bun_tcp_err_name": (c_char_p, [c_int32]),
    "bun_tcp_strerror": (c_char_p, [c_int32]),
    "bun_tcp_last_error_message": (c_char_p, []),
    # loop
    "bun_tcp_loop_new": (_LOOP, []),
    "bun_tcp_loop_free": (None, [_LOOP]),
    "bun_tcp_poll": (c_int32, [_LOOP, c_int32]),
    "bun_tcp_run": (c_int32, [_LOOP]),
    "bun_tcp_loop_alive": (c_bool, [_LOOP]),
    "bun_tcp_loop_wakeup": (c_int32, [_LOOP]),
    "bun_tcp_loop_post": (c_int32, [_LOOP, _PostFn, c_void_p]),
    "bun_tcp_loop_next_timeout_ms": (c_int32, [_LOOP]),
    "bun_tcp_loop_fd": (c_int32, [_LOOP]),
    "bun_tcp_loop_socket_count": (c_size_t, [_LOOP]),
    "bun_tcp_loop_listener_count": (c_size_t, [_LOOP]),
    "bun_tcp_loop_set_trace": (c_int32, [_LOOP, _TraceFn, c_void_p]),
    "bun_tcp_loop_time_handlers": (c_int32, [_LOOP, c_bool]),
    "bun_tcp_loop_metrics": (c_int32, [_LOOP, POINTER(_Metrics)]),
    "bun_tcp_timer_start": (c_int32, [_LOOP, c_uint64, c_uint64, _TimerFn, c_void_p,
                                      POINTER(_T)]),
    "bun_tcp_timer_stop": (c_int32, [_T]),
    "bun_tcp_timer_ref": (c_int32, [_T]),
    "bun_tcp_timer_unref": (c_int32, [_T]),
    # listen
    "bun_tcp_listen": (c_int32, [_LOOP, POINTER(_ListenOptions), _H, POINTER(_L)]),
    "bun_tcp_listen_fd": (c_int32, [_LOOP, c_int, POINTER(_ListenOptions), _H, POINTER(_L)]),
    "bun_tcp_listener_port": (c_uint16, [_L]),
    "bun_tcp_listener_address": (c_int32, [_L, c_char_p, c_size_t]),
    "bun_tcp_listener_family": (c_int32, [_L]),
    "bun_tcp_listener_stop": (c_int32, [_L, c_bool]),
    "bun_tcp_listener_reload": (c_int32, [_L, _H]),
    "bun_tcp_listener_ref": (c_int32, [_L]),
    "bun_tcp_listener_unref": (c_int32, [_L]),
    "bun_tcp_listener_set_tls": (c_int32, [_L, _TLS]),
    # connect
    "bun_tcp_connect": (c_int32, [_LOOP, POINTER(_ConnectOptions), _H, POINTER(_S)]),
    # socket
    "bun_tcp_socket_write": (c_int64, [_S, _BUF, c_size_t]),
    "bun_tcp_socket_write_all": (c_int64, [_S, _BUF, c_size_t]),
    "bun_tcp_socket_end": (c_int64, [_S, _BUF, c_size_t]),
    "bun_tcp_socket_shutdown": (c_int32, [_S, c_bool]),
    "bun_tcp_socket_cork": (c_int32, [_S]),
    "bun_tcp_socket_uncork": (c_int32, [_S]),
    "bun_tcp_socket_flush": (c_int32, [_S]),
    "bun_tcp_socket_pause": (c_int32, [_S]),
    "bun_tcp_socket_resume": (c_int32, [_S]),
    "bun_tcp_socket_close": (c_int32, [_S]),
    "bun_tcp_socket_terminate": (c_int32, [_S]),
    "bun_tcp_socket_ref": (c_int32, [_S]),
    "bun_tcp_socket_unref": (c_int32, [_S]),
    "bun_tcp_socket_timeout": (c_int32, [_S, c_uint32]),
    "bun_tcp_socket_timeout_ms": (c_int32, [_S, c_uint32]),
    "bun_tcp_socket_reload": (c_int32, [_S, _H]),
    "bun_tcp_socket_set_no_delay": (c_int32, [_S, c_bool]),
    "bun_tcp_socket_set_keep_alive": (c_int32, [_S, c_bool, c_uint32]),
    "bun_tcp_socket_set_keep_alive_ex": (c_int32, [_S, c_bool, c_uint32, c_uint32, c_uint32]),
    "bun_tcp_socket_set_write_limit": (c_int32, [_S, c_size_t]),
    "bun_tcp_socket_ready_state": (c_int32, [_S]),
    "bun_tcp_socket_buffered_amount": (c_size_t, [_S]),
    "bun_tcp_socket_bytes_written": (c_uint64, [_S]),
    "bun_tcp_socket_remote_address": (c_int32, [_S, c_char_p, c_size_t]),
    "bun_tcp_socket_remote_port": (c_int32, [_S]),
    "bun_tcp_socket_local_address": (c_int32, [_S, c_char_p, c_size_t]),
    "bun_tcp_socket_local_port": (c_int32, [_S]),
    "bun_tcp_socket_remote_family": (c_int32, [_S]),
    "bun_tcp_socket_local_family": (c_int32, [_S]),
    "bun_tcp_socket_fd": (c_int32, [_S]),
    "bun_tcp_socket_listener": (_L, [_S]),
    "bun_tcp_socket_detach": (c_int32, [_S, POINTER(c_int32)]),
    "bun_tcp_socket_adopt": (c_int32, [_LOOP, c_int32, _H, c_void_p, c_bool, POINTER(_S)]),
    # TLS
    "bun_tcp_socket_authorized": (c_bool, [_S]),
    "bun_tcp_socket_verify_error": (c_int32, [_S]),
    "bun_tcp_socket_alpn_protocol": (c_int32, [_S, c_char_p, c_size_t]),
    "bun_tcp_socket_server_name": (c_int32, [_S, c_char_p, c_size_t]),
    "bun_tcp_socket_tls_version": (c_char_p, [_S]),
    "bun_tcp_socket_cipher": (c_char_p, [_S]),
    "bun_tcp_socket_peer_certificate": (c_int32, [_S, _BUF, c_size_t]),
    "bun_tcp_socket_peer_certificate_at": (c_int32, [_S, c_size_t, _BUF, c_size_t]),
    "bun_tcp_socket_session_reused": (c_bool, [_S]),
    "bun_tcp_socket_export_keying_material": (c_int32, [_S, _BUF, c_size_t, c_char_p, _BUF,
                                                        c_size_t]),
    "bun_tcp_socket_upgrade_tls": (c_int32, [_S, _TLS, _H, c_bool]),
}


def _library_path() -> str:
    explicit = os.environ.get("BUN_TCP_LIB")
    if explicit:
        return explicit
    packaged = os.path.join(os.path.dirname(os.path.abspath(__file__)), "libbun_tcp.so")
    if os.path.exists(packaged):
        return packaged
    return ctypes.util.find_library("bun_tcp") or "libbun_tcp.so.0"


def _load_library() -> ctypes.CDLL:
    lib = ctypes.CDLL(_library_path())
    for name, (restype, argtypes) in SIGNATURES.items():
        func = getattr(lib, name)
        func.restype, func.argtypes = restype, argtypes
    return lib


lib = _load_library()
BUF = _BUF
