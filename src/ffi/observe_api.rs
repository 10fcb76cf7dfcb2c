//! Seeing what a loop does: tracing handler calls and the metrics snapshot (loop section).

use super::c_handlers::with_c_error;
use super::types::{bun_tcp_loop, bun_tcp_metrics, bun_tcp_socket, bun_tcp_trace_event, bun_tcp_trace_fn};
use super::{code_of, ffi_call, registry};
use crate::error::NetError;
use crate::observe::{HandlerTiming, TraceKind, TraceRecord, TraceSink};
use std::ffi::{CString, c_void};
use std::rc::Rc;

/// The sink that hands each record to a C callback.
fn c_sink(func: unsafe extern "C" fn(*const bun_tcp_trace_event, *mut c_void), data: *mut c_void) -> TraceSink {
    Rc::new(move |record: &TraceRecord<'_>| {
        let line = CString::new(record.line().replace('\0', " ")).unwrap_or_default();
        let (len, success) = match record.kind {
            TraceKind::Data(len) => (len, false),
            TraceKind::Handshake(success) => (0, success),
            _ => (0, false),
        };
        with_c_error(record.error, |error| {
            let event = bun_tcp_trace_event {
                socket: bun_tcp_socket { id: record.socket.0 },
                handler: record.kind.name().as_ptr(),
                len,
                success,
                error,
                line: line.as_ptr(),
            };
            // SAFETY: the host's callback of the declared type; the event lives during the call.
            unsafe { func(&event, data) }
        });
    })
}

/// Traces the loop (beyond Bun): one event per handler call of its sockets, with the socket, the
/// handler's name and the error it gets, so you can see why a connection closed.
///
/// `func(event, data)` runs on the loop's thread right before each handler (also when the table has
/// no such handler: a `close` without a `close` handler is traced too). NULL `func` turns tracing
/// off. Setting the environment variable `BUN_TCP_TRACE=1` before `bun_tcp_loop_new` traces
/// that loop to stderr instead (one `event->line` per line); this call replaces that. While
/// tracing is on, handler time is measured (`bun_tcp_metrics.handler_ns`). Off, it costs one
/// branch per handler call. The callback may call this function (to stop tracing, say) and the
/// query functions; it must not close sockets or poll.
/// Returns: 0.
/// Errors: BUN_TCP_EINVAL (NULL or freed loop), BUN_TCP_EWRONGTHREAD.
/// Fires: nothing now; `func` later, from the loop, before each handler call.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_loop_set_trace(loop_: *mut bun_tcp_loop, func: bun_tcp_trace_fn, data: *mut c_void) -> i32 {
    ffi_call(|| code_of(registry::by_ptr(loop_).map(|core| core.set_trace(func.map(|f| c_sink(f, data)))), |()| 0))
}

/// Measures the time spent in socket handlers (`bun_tcp_metrics.handler_ns`) without tracing:
/// two clock reads per handler call while on.
///
/// Returns: 0.
/// Errors: BUN_TCP_EINVAL (NULL or freed loop), BUN_TCP_EWRONGTHREAD.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_loop_time_handlers(loop_: *mut bun_tcp_loop, enable: bool) -> i32 {
    let timing = if enable { HandlerTiming::On } else { HandlerTiming::Off };
    ffi_call(|| code_of(registry::by_ptr(loop_).map(|core| core.set_handler_timing(timing)), |()| 0))
}

/// Writes a snapshot of the loop's counters (beyond Bun; see `bun_tcp_metrics`) to `*out`.
///
/// Returns: 0, with `*out` filled.
/// Errors: BUN_TCP_EINVAL (NULL or freed loop, NULL out: `*out` untouched), BUN_TCP_EWRONGTHREAD.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_loop_metrics(loop_: *const bun_tcp_loop, out: *mut bun_tcp_metrics) -> i32 {
    ffi_call(|| {
        let result = registry::by_ptr(loop_).and_then(|core| {
            if out.is_null() {
                return Err(NetError::invalid("out is NULL"));
            }
            let m = core.metrics();
            let snapshot = bun_tcp_metrics {
                iterations: m.iterations,
                events: m.events,
                accepts: m.accepts,
                connects: m.connects,
                connect_errors: m.connect_errors,
                closes: m.closes,
                handler_calls: m.handler_calls,
                bytes_read: m.bytes_read,
                bytes_written: m.bytes_written,
                bytes_queued: m.bytes_queued,
                handler_ns: m.handler_ns,
            };
            // SAFETY: non-NULL output pointer from the caller, written only on success.
            unsafe { *out = snapshot };
            Ok(())
        });
        code_of(result, |()| 0)
    })
}
