//! The loop's tracing and metrics: the trace switch and sink, handler timing, and the metrics
//! snapshot (the types live in `observe.rs`).

use super::*;
use crate::observe::*;

impl EventLoop {
    /// Reports a handler call to the trace sink (if any), then makes it, timed.
    #[inline(never)]
    pub(crate) fn observe(&self, socket: SocketId, kind: TraceKind, error: Option<&NetError>, call: impl FnOnce()) {
        // A clone: the sink may replace itself (or turn tracing off) from inside its own call.
        let sink = self.trace_sink.borrow().clone();
        if let Some(sink) = sink {
            sink(&TraceRecord { loop_id: self.id, socket, kind, error });
        }
        let started = Instant::now();
        call();
        let spent = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let mut st = self.st.borrow_mut();
        st.books.counters.handler_ns = st.books.counters.handler_ns.saturating_add(spent);
    }

    /// Sends trace records to `sink` (None: tracing off, `BUN_TCP_TRACE` included).
    pub fn set_trace(&self, sink: Option<TraceSink>) {
        *self.trace_sink.borrow_mut() = sink;
        self.update_observing();
    }

    /// Times handler calls into `handler_ns` even without tracing.
    pub fn set_handler_timing(&self, timing: HandlerTiming) {
        self.handler_timing.set(timing);
        self.update_observing();
    }

    fn update_observing(&self) {
        let on = self.trace_sink.borrow().is_some() || self.handler_timing.get() == HandlerTiming::On;
        self.observing.set(on);
    }

    /// The loop's counters now.
    pub fn metrics(&self) -> LoopMetrics {
        let st = self.st.borrow();
        let c = st.books.counters;
        let (mut written, mut queued) = (c.bytes_written_released, 0u64);
        for id in st.sockets.ids() {
            if let Some(s) = st.sockets.get(id) {
                written = written.saturating_add(s.bytes_written);
                queued = queued.saturating_add(s.queue.len() as u64);
            }
        }
        LoopMetrics {
            iterations: c.iterations,
            events: c.events,
            accepts: c.accepts,
            connects: c.connects,
            connect_errors: c.connect_errors,
            closes: c.closes,
            handler_calls: c.handler_calls + u64::from(self.calls.get()),
            bytes_read: c.bytes_read,
            bytes_written: written,
            bytes_queued: queued,
            handler_ns: c.handler_ns,
        }
    }

    /// Counts bytes handed to a `data` handler outside the plain read path (TLS, held bytes).
    pub(crate) fn count_read(&self, n: usize) {
        let mut st = self.st.borrow_mut();
        st.books.counters.bytes_read += n as u64;
    }
}
