//! Random sequences of API calls, checked against the invariants that hold whatever the order
//! (the header: order of handlers): every connect ends in exactly one of open / connect_error; close fires exactly
//! once and last for every opened socket; a closed handle is refused; the bytes a server receives
//! are a prefix of what its client wrote, in order.

mod common;

use bun_tcp::{ConnectOptions, EventLoop, ListenOptions, ReadyState, SocketId};
use common::{Event, Recorder};
use proptest::prelude::*;
use std::collections::HashMap;
use std::time::Duration;

#[derive(Clone, Debug)]
enum Op {
    Connect,
    Write(usize, usize),
    WriteAll(usize, usize),
    CorkWrite(usize, usize),
    End(usize),
    Close(usize),
    Terminate(usize),
    Pause(usize),
    Resume(usize),
    Timeout(usize, u32),
    ServerClose(usize),
    ServerEnd(usize),
    Poll(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => Just(Op::Connect),
        3 => (0..4usize, 1..200_000usize).prop_map(|(s, n)| Op::Write(s, n)),
        3 => (0..4usize, 1..200_000usize).prop_map(|(s, n)| Op::WriteAll(s, n)),
        2 => (0..4usize, 1..5_000usize).prop_map(|(s, n)| Op::CorkWrite(s, n)),
        1 => (0..4usize).prop_map(Op::End),
        1 => (0..4usize).prop_map(Op::Close),
        1 => (0..4usize).prop_map(Op::Terminate),
        1 => (0..4usize).prop_map(Op::Pause),
        1 => (0..4usize).prop_map(Op::Resume),
        1 => (0..4usize, 1..30u32).prop_map(|(s, ms)| Op::Timeout(s, ms)),
        1 => (0..4usize).prop_map(Op::ServerClose),
        1 => (0..4usize).prop_map(Op::ServerEnd),
        4 => (0..5u64).prop_map(Op::Poll),
    ]
}

/// Byte `i` of the stream of the client whose seed is `seed` (seed = its first byte).
fn pattern(seed: u8, i: usize) -> u8 {
    if i == 0 { seed } else { ((i * 7 + seed as usize) % 251) as u8 }
}

struct Client {
    id: SocketId,
    seed: u8,
    offset: usize,
}

fn check_lifecycle(name: &str, log: &[(SocketId, Event)]) -> Result<(), TestCaseError> {
    let mut per: HashMap<SocketId, Vec<&Event>> = HashMap::new();
    for (s, e) in log {
        per.entry(*s).or_default().push(e);
    }
    for (s, events) in per {
        let connect_errors = events.iter().filter(|e| matches!(e, Event::ConnectError(_))).count();
        let closes = events.iter().filter(|e| matches!(e, Event::Close(_))).count();
        if connect_errors > 0 {
            prop_assert_eq!(events.len(), 1, "{} {:?}: connect_error must be alone: {:?}", name, s, events);
            continue;
        }
        prop_assert!(matches!(events[0], Event::Open), "{} {:?}: first event {:?}", name, s, events[0]);
        prop_assert_eq!(closes, 1, "{} {:?}: close count in {:?}", name, s, events);
        prop_assert!(
            matches!(events.last(), Some(Event::Close(_))),
            "{} {:?}: close is not last: {:?}",
            name,
            s,
            events
        );
    }
    Ok(())
}

fn run(ops: &[Op]) -> Result<(), TestCaseError> {
    let lp = EventLoop::new().unwrap();
    let server = Recorder::new(&[]);
    let client_h = Recorder::new(&[]);
    let l =
        lp.listen(&ListenOptions { hostname: Some("127.0.0.1".into()), ..Default::default() }, server.clone()).unwrap();
    let port = lp.listener_port(l).unwrap();
    let mut clients: Vec<Client> = Vec::new();
    let mut next_seed = 1u8;
    for op in ops {
        let client =
            |i: usize, clients: &mut Vec<Client>| -> Option<usize> { (!clients.is_empty()).then(|| i % clients.len()) };
        match op.clone() {
            Op::Connect => {
                if clients.len() < 8 {
                    let to = ConnectOptions { hostname: Some("127.0.0.1".into()), port, ..Default::default() };
                    let id = lp.connect(&to, client_h.clone()).unwrap();
                    clients.push(Client { id, seed: next_seed, offset: 0 });
                    next_seed += 1;
                }
            }
            Op::Write(i, n) | Op::WriteAll(i, n) | Op::CorkWrite(i, n) => {
                if let Some(i) = client(i, &mut clients) {
                    let c = &mut clients[i];
                    let bytes: Vec<u8> = (c.offset..c.offset + n).map(|k| pattern(c.seed, k)).collect();
                    let result = match op {
                        Op::Write(..) => lp.write(c.id, &bytes),
                        Op::WriteAll(..) => lp.write_all(c.id, &bytes),
                        _ => lp.cork(c.id).and_then(|()| lp.write(c.id, &bytes)),
                    };
                    if let Ok(k) = result {
                        prop_assert!(k <= n);
                        c.offset += k;
                    }
                }
            }
            Op::End(i) => {
                if let Some(i) = client(i, &mut clients) {
                    let _ = lp.end(clients[i].id, b"");
                }
            }
            Op::Close(i) | Op::Terminate(i) => {
                if let Some(i) = client(i, &mut clients) {
                    let id = clients[i].id;
                    let r = if matches!(op, Op::Close(_)) { lp.close(id) } else { lp.terminate(id) };
                    if r.is_ok() {
                        // Closed: every later call on the handle is refused.
                        prop_assert!(lp.write(id, b"x").is_err());
                        prop_assert!(lp.close(id).is_err());
                        lp.poll(Some(Duration::ZERO)).unwrap();
                        prop_assert_eq!(lp.ready_state(id), ReadyState::Closed);
                    }
                }
            }
            Op::Pause(i) => {
                if let Some(i) = client(i, &mut clients) {
                    let _ = lp.pause(clients[i].id);
                }
            }
            Op::Resume(i) => {
                if let Some(i) = client(i, &mut clients) {
                    let _ = lp.resume(clients[i].id);
                }
            }
            Op::Timeout(i, ms) => {
                if let Some(i) = client(i, &mut clients) {
                    let _ = lp.set_timeout(clients[i].id, Some(Duration::from_millis(ms.into())));
                }
            }
            Op::ServerClose(i) | Op::ServerEnd(i) => {
                let accepted: Vec<SocketId> =
                    server.log.borrow().iter().filter(|(_, e)| *e == Event::Open).map(|(s, _)| *s).collect();
                if !accepted.is_empty() {
                    let s = accepted[i % accepted.len()];
                    let _ = if matches!(op, Op::ServerClose(_)) { lp.close(s) } else { lp.end(s, b"bye").map(|_| ()) };
                }
            }
            Op::Poll(ms) => {
                lp.poll(Some(Duration::from_millis(ms))).unwrap();
            }
        }
    }
    // Let in-flight bytes arrive, then free the loop: every remaining close runs.
    for _ in 0..20 {
        lp.poll(Some(Duration::from_millis(2))).unwrap();
    }
    lp.close_all();
    check_lifecycle("client", &client_h.log.borrow())?;
    check_lifecycle("server", &server.log.borrow())?;
    let client_events: usize = clients.len();
    let resolved = {
        let log = client_h.log.borrow();
        clients
            .iter()
            .filter(|c| log.iter().any(|(s, e)| *s == c.id && matches!(e, Event::Open | Event::ConnectError(_))))
            .count()
    };
    prop_assert_eq!(resolved, client_events, "every connect ends in open or connect_error");
    // Each server socket received a prefix of one client's stream, in order.
    let mut received: HashMap<SocketId, Vec<u8>> = HashMap::new();
    for (s, e) in server.log.borrow().iter() {
        if let Event::Data(d) = e {
            received.entry(*s).or_default().extend_from_slice(d);
        }
    }
    for (s, bytes) in received {
        let seed = bytes[0];
        let writer = clients.iter().find(|c| c.seed == seed);
        prop_assert!(writer.is_some(), "{:?}: unknown stream seed {}", s, seed);
        let writer = writer.unwrap();
        prop_assert!(bytes.len() <= writer.offset, "{:?}: received {} of {} written", s, bytes.len(), writer.offset);
        for (k, b) in bytes.iter().enumerate() {
            prop_assert_eq!(*b, pattern(seed, k), "{:?}: byte {} out of order", s, k);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn api_sequences_keep_the_lifecycle_and_byte_order_invariants(ops in prop::collection::vec(op(), 1..60)) {
        run(&ops)?;
    }
}
