//! The shared, reloadable handler table.
//!
//! A listener and every socket it accepted share one [`HandlerCell`], so a listener reload reaches
//! all of them from their next event; a socket reload gives that socket a cell of its own.
//! Dispatch is one `Rc` clone and a virtual call: no per-socket closures, no look-ups by name.

use crate::error::NetError;
use crate::event_loop::EventLoop;
use crate::{SocketId, UserData};
use std::cell::RefCell;
use std::rc::Rc;

/// Which handlers a table has. Missing ones change semantics (no `end` handler: a peer FIN closes
/// the socket; no `handshake` handler: `open` waits for the TLS handshake; no `error` handler:
/// write errors go to `close`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct HandlerSet {
    pub open: bool,
    pub data: bool,
    pub drain: bool,
    pub end: bool,
    pub close: bool,
    pub error: bool,
    pub timeout: bool,
    pub connect_error: bool,
    pub handshake: bool,
}

/// The handlers of a listener or a client socket. Every method has an empty default; `present`
/// must tell which ones are meant to be there. Handlers may call any `EventLoop` method.
pub trait Handlers {
    fn present(&self) -> HandlerSet;
    fn open(&self, _lp: &EventLoop, _s: SocketId, _data: UserData) {}
    fn data(&self, _lp: &EventLoop, _s: SocketId, _data: UserData, _bytes: &[u8]) {}
    fn drain(&self, _lp: &EventLoop, _s: SocketId, _data: UserData) {}
    fn end(&self, _lp: &EventLoop, _s: SocketId, _data: UserData) {}
    fn close(&self, _lp: &EventLoop, _s: SocketId, _data: UserData, _err: Option<&NetError>) {}
    fn error(&self, _lp: &EventLoop, _s: SocketId, _data: UserData, _err: &NetError) {}
    fn timeout(&self, _lp: &EventLoop, _s: SocketId, _data: UserData) {}
    fn connect_error(&self, _lp: &EventLoop, _s: SocketId, _data: UserData, _err: &NetError) {}
    fn handshake(
        &self,
        _lp: &EventLoop,
        _s: SocketId,
        _data: UserData,
        _success: bool,
        _verify_error: Option<&NetError>,
    ) {
    }
}

/// A table behind a cell that `reload` can swap while sockets hold it.
#[derive(Clone)]
pub struct HandlerCell(Rc<RefCell<Rc<dyn Handlers>>>);

impl HandlerCell {
    pub fn new(table: Rc<dyn Handlers>) -> HandlerCell {
        HandlerCell(Rc::new(RefCell::new(table)))
    }

    /// The current table (an `Rc` clone: the caller may run handlers while a reload happens).
    pub fn get(&self) -> Rc<dyn Handlers> {
        self.0.borrow().clone()
    }

    pub fn replace(&self, table: Rc<dyn Handlers>) {
        *self.0.borrow_mut() = table;
    }
}

/// Checks the one rule every table must satisfy: as in Bun, `data` or `drain` must be set.
pub fn validate(table: &dyn Handlers) -> Result<(), NetError> {
    let set = table.present();
    if set.data || set.drain { Ok(()) } else { Err(NetError::invalid("handlers must set at least `data` or `drain`")) }
}

/// A table with only `data`: the smallest valid one, for the unit tests of the loop.
#[cfg(test)]
pub(crate) struct DataOnly;

#[cfg(test)]
impl Handlers for DataOnly {
    fn present(&self) -> HandlerSet {
        HandlerSet { data: true, ..HandlerSet::default() }
    }
}
