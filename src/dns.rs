//! Host-name resolution off the loop thread.
//!
//! getaddrinfo blocks, so each look-up runs on a short-lived thread that sends its answer back
//! through a channel and wakes the loop. IP literals never come here.

use crate::error::{ENOTFOUND, NetError};
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::sync::mpsc::Sender;

/// The answer for socket `id`: its addresses, or ENOTFOUND.
pub struct Resolved {
    pub id: u64,
    pub result: Result<Vec<SocketAddr>, NetError>,
}

/// Resolves `host` synchronously (used by listen, which is synchronous by contract).
pub fn resolve_now(host: &str, port: u16) -> Result<Vec<SocketAddr>, NetError> {
    let not_found = |detail: String| {
        let mut e = NetError::new(ENOTFOUND, format!("getaddrinfo ENOTFOUND {host}{detail}"));
        e.syscall = Some(c"getaddrinfo");
        e
    };
    match (host, port).to_socket_addrs() {
        Ok(addrs) => {
            let addrs: Vec<SocketAddr> = addrs.collect();
            if addrs.is_empty() { Err(not_found(String::new())) } else { Ok(addrs) }
        }
        Err(e) => Err(not_found(format!(" ({e})"))),
    }
}

/// A name resolver: host and port to addresses, most preferred first. Runs on a resolver thread.
pub type Resolver = Arc<dyn Fn(&str, u16) -> Result<Vec<SocketAddr>, NetError> + Send + Sync>;

/// Starts a look-up on a new thread (getaddrinfo, or `custom`); `wake` runs after the answer
/// is sent.
pub fn resolve_async(
    id: u64,
    host: String,
    port: u16,
    custom: Option<Resolver>,
    answers: Sender<Resolved>,
    waker: Arc<mio::Waker>,
) -> Result<(), NetError> {
    std::thread::Builder::new()
        .name("bun_tcp-dns".into())
        .spawn(move || {
            let result = match custom {
                Some(resolve) => resolve(&host, port),
                None => resolve_now(&host, port),
            };
            // The loop may be gone: then nobody waits for the answer.
            if answers.send(Resolved { id, result }).is_ok() {
                let _ = waker.wake();
            }
        })
        .map(|_| ())
        .map_err(|e| NetError::io(&e, c"getaddrinfo", "(could not start the resolver thread)"))
}
