//! Unit tests of the loop: handles that never come back, loop ids, posters of dropped loops.

use super::*;
use crate::error::ECLOSED;
use crate::slab::{GENERATION_MAX, Key};
use crate::{ListenOptions, ListenerId};

use crate::handlers::DataOnly;

fn listen(lp: &EventLoop) -> ListenerId {
    let opts = ListenOptions { hostname: Some("127.0.0.1".into()), ..Default::default() };
    lp.listen(&opts, Rc::new(DataOnly)).unwrap()
}

fn stop_and_release(lp: &EventLoop, l: ListenerId) {
    lp.stop(l, false).unwrap();
    lp.poll(Some(Duration::ZERO)).unwrap();
}

#[test]
fn a_handle_never_comes_back_when_its_slot_runs_out_of_generations() {
    let lp = EventLoop::new().unwrap();
    let first = listen(&lp);
    stop_and_release(&lp, first);
    // As if slot 0 had been reused a million times (LIFO reuse puts every listen there).
    lp.st.borrow_mut().listeners.skip_generations(0, GENERATION_MAX);
    let last = listen(&lp);
    assert_eq!(Key::unpack(last.0).index(), 0);
    assert_eq!(Key::unpack(last.0).generation, GENERATION_MAX);
    stop_and_release(&lp, last);
    let next = listen(&lp);
    assert_eq!(Key::unpack(next.0).index(), 1, "slot 0 is retired, not wrapped back to generation 1");
    for stale in [first, last] {
        assert_eq!(lp.listener_port(stale).unwrap_err().code, ECLOSED);
        assert!(lp.stop(stale, false).is_ok(), "stop on a released listener stays a no-op");
    }
    assert!(lp.listener_port(next).is_ok());
}

#[test]
fn a_reused_loop_id_never_resolves_an_earlier_loops_handles() {
    // A table with a single id, so the second loop must get the first one's id back.
    static IDS: Mutex<LoopIds> = Mutex::new(LoopIds::new(1));
    let a = EventLoop::with_ids(&IDS).unwrap();
    assert_eq!(EventLoop::with_ids(&IDS).err().map(|e| e.code), Some(-libc::EMFILE), "the id is live");
    let stopped = listen(&a);
    stop_and_release(&a, stopped);
    let open = listen(&a);
    let id = a.id();
    drop(a);
    let b = EventLoop::with_ids(&IDS).unwrap();
    assert_eq!(b.id(), id);
    let fresh = listen(&b);
    assert!(Key::unpack(fresh.0).generation > Key::unpack(open.0).generation);
    for old in [stopped, open] {
        assert_ne!(old, fresh);
        assert_eq!(b.listener_port(old).unwrap_err().code, ECLOSED);
        // Never issued by b: refused, not taken for one of b's released listeners.
        assert_eq!(b.stop(old, false).unwrap_err().code, ECLOSED);
        assert_eq!(b.set_listener_ref(old, true).unwrap_err().code, ECLOSED);
    }
    assert!(b.listener_port(fresh).is_ok());
}

#[test]
fn a_poster_of_a_dropped_loop_fails_instead_of_queueing_forever() {
    let lp = EventLoop::new().unwrap();
    let poster = lp.poster();
    poster.post(Box::new(|_| {})).unwrap();
    drop(lp);
    let err = poster.post(Box::new(|_| unreachable!("a task of a dropped loop ran"))).unwrap_err();
    assert_eq!(err.code, crate::error::EINVAL);
}
