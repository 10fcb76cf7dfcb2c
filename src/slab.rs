//! Storage with generations: the one place handles are minted and checked.
//!
//! A handle id packs `[loop: 20 bits][generation: 20 bits][slot: 24 bits]`, the slot being
//! `[kind: 2 bits][index: 22 bits]`. The loop part lets the C shell find the owning loop from a
//! handle alone; the generation makes a handle to a released slot stale instead of pointing at
//! whatever reuses the slot; the kind keeps a listener's or a timer's id from naming a
//! socket. Loop ids start at 1, so the zero id is never valid.
//!
//! Generations only grow, so no id is ever issued twice: a slot whose generation would wrap is
//! retired for good, and a loop id is handed out again (see [`LoopIds`]) only with a generation
//! floor above everything the earlier loops with that id issued. The slab is generic: sockets,
//! listeners and timers share it.

const SLOT_BITS: u32 = 24;
const GEN_BITS: u32 = 20;
const SLOT_MASK: u64 = (1 << SLOT_BITS) - 1;
/// The low bits of the slot field: the index in the slab (4 Mi values per kind and loop).
const INDEX_BITS: u32 = 22;
const INDEX_MASK: u32 = (1 << INDEX_BITS) - 1;
const GEN_MASK: u64 = (1 << GEN_BITS) - 1;
/// Loop ids fit in the remaining 20 bits.
pub const LOOP_ID_MAX: u32 = (1 << (64 - SLOT_BITS - GEN_BITS)) - 1;
/// The last generation a handle can carry.
pub(crate) const GENERATION_MAX: u32 = GEN_MASK as u32;
/// The generation of a retired slot: above every generation a handle can carry, so nothing
/// matches it again.
const RETIRED: u32 = GENERATION_MAX + 1;

/// The parts of a handle id.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub loop_id: u32,
    pub generation: u32,
    pub slot: u32,
}

impl Key {
    pub fn pack(self) -> u64 {
        debug_assert!(self.generation <= GENERATION_MAX && u64::from(self.slot) <= SLOT_MASK);
        (u64::from(self.loop_id) << (SLOT_BITS + GEN_BITS))
            | ((u64::from(self.generation) & GEN_MASK) << SLOT_BITS)
            | (u64::from(self.slot) & SLOT_MASK)
    }

    pub fn unpack(id: u64) -> Key {
        Key {
            loop_id: (id >> (SLOT_BITS + GEN_BITS)) as u32,
            generation: ((id >> SLOT_BITS) & GEN_MASK) as u32,
            slot: (id & SLOT_MASK) as u32,
        }
    }

    /// The position in its slab (the slot field without the kind bits).
    pub fn index(self) -> u32 {
        self.slot & INDEX_MASK
    }

    /// The loop id of a packed handle id.
    pub fn loop_of(id: u64) -> u32 {
        (id >> (SLOT_BITS + GEN_BITS)) as u32
    }
}

struct Entry<T> {
    /// The generation of the stored value; for a free slot, the next one to issue (RETIRED once
    /// every generation was issued).
    generation: u32,
    value: Option<T>,
}

/// What a slab stores. Part of every id it mints, so an id of one kind never names a value of
/// another: a listener's id passed as a socket is refused, not taken for the socket in the same
/// slot. Two bits leave room for four kinds.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SlabKind {
    Sockets = 0,
    Listeners = 1,
    Timers = 2,
}

/// A vector of slots; freed slots are reused with a new, higher generation.
pub struct Slab<T> {
    loop_id: u32,
    kind: SlabKind,
    /// The generation new slots start at: above every generation an earlier loop with the same
    /// id issued, so that loop's handles never name a value of this slab.
    first_generation: u32,
    entries: Vec<Entry<T>>,
    free: Vec<u32>,
    len: usize,
}

impl<T> Slab<T> {
    /// A slab of `kind` for the loop `loop_id` whose generations start at `first_generation`
    /// (>= 1).
    pub fn new(loop_id: u32, first_generation: u32, kind: SlabKind) -> Slab<T> {
        debug_assert!((1..=GENERATION_MAX).contains(&first_generation));
        Slab { loop_id, kind, first_generation: first_generation.max(1), entries: Vec::new(), free: Vec::new(), len: 0 }
    }

    /// The key of the value at `index`.
    fn key(&self, index: usize, generation: u32) -> Key {
        debug_assert!(index as u32 <= INDEX_MASK);
        Key { loop_id: self.loop_id, generation, slot: ((self.kind as u32) << INDEX_BITS) | index as u32 }
    }

    /// The entry position `id` names, if it is an id of this slab's loop and kind.
    fn index_of(&self, id: u64) -> Option<(Key, usize)> {
        let key = Key::unpack(id);
        (key.loop_id == self.loop_id && key.slot >> INDEX_BITS == self.kind as u32)
            .then_some((key, key.index() as usize))
    }

    /// Stores `value` and returns its id; when every slot is taken (or retired), hands `value`
    /// back.
    pub fn insert(&mut self, value: T) -> Result<u64, T> {
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                if self.entries.len() > INDEX_MASK as usize || self.first_generation > GENERATION_MAX {
                    return Err(value);
                }
                self.entries.push(Entry { generation: self.first_generation, value: None });
                (self.entries.len() - 1) as u32
            }
        };
        let entry = &mut self.entries[slot as usize];
        debug_assert!(entry.value.is_none() && entry.generation <= GENERATION_MAX);
        entry.value = Some(value);
        let generation = entry.generation;
        self.len += 1;
        Ok(self.key(slot as usize, generation).pack())
    }

    #[inline]
    fn entry_index(&self, id: u64) -> Option<usize> {
        let (key, index) = self.index_of(id)?;
        let entry = self.entries.get(index)?;
        (entry.generation == key.generation && entry.value.is_some()).then_some(index)
    }

    #[inline]
    pub fn get(&self, id: u64) -> Option<&T> {
        let index = self.entry_index(id)?;
        self.entries[index].value.as_ref()
    }

    #[inline]
    pub fn get_mut(&mut self, id: u64) -> Option<&mut T> {
        let index = self.entry_index(id)?;
        self.entries[index].value.as_mut()
    }

    /// Whether `id` is an id this slab issued and released since (a stale id of ours), as
    /// opposed to one it never issued (forged, or minted by an earlier loop with our id).
    /// Generations only grow, so "issued before" is "below the slot's current generation".
    pub fn was_released(&self, id: u64) -> bool {
        self.index_of(id).is_some_and(|(key, index)| {
            key.generation >= self.first_generation
                && self.entries.get(index).is_some_and(|e| key.generation < e.generation)
        })
    }

    /// Releases the slot: the id and every copy of it become stale. A slot that issued the last
    /// generation is retired instead of reused, so no id can ever come back.
    pub fn remove(&mut self, id: u64) -> Option<T> {
        let index = self.entry_index(id)?;
        let entry = &mut self.entries[index];
        let value = entry.value.take();
        if entry.generation >= GENERATION_MAX {
            entry.generation = RETIRED;
        } else {
            entry.generation += 1;
            self.free.push(index as u32);
        }
        self.len -= 1;
        value
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// The lowest generation this slab issues: ids below it were minted by earlier loops with
    /// the same loop id.
    pub fn first_generation(&self) -> u32 {
        self.first_generation
    }

    /// The lowest generation that no id of this slab carries: a later slab of the same loop id
    /// must start there.
    pub fn generation_ceiling(&self) -> u32 {
        self.entries
            .iter()
            .map(|e| if e.value.is_some() { e.generation + 1 } else { e.generation })
            .fold(self.first_generation, u32::max)
    }

    /// Ids of every stored value, in slot order.
    pub fn ids(&self) -> Vec<u64> {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.value.is_some())
            .map(|(index, e)| self.key(index, e.generation).pack())
            .collect()
    }

    /// Moves a free slot's next generation forward, as if it had been reused that often (tests
    /// of the generation wrap, which would otherwise need a million real sockets).
    #[cfg(test)]
    pub(crate) fn skip_generations(&mut self, index: u32, next_generation: u32) {
        let entry = &mut self.entries[index as usize];
        assert!(entry.value.is_none() && next_generation >= entry.generation && next_generation <= GENERATION_MAX);
        entry.generation = next_generation;
    }
}

/// The process-wide table of loop ids. An id is never handed out twice while its loop lives, and
/// a freed id comes back only with a generation floor above every generation its earlier loops
/// issued (written when the loop is freed). An id whose generations are used up is retired.
pub struct LoopIds {
    /// The largest id handed out (LOOP_ID_MAX, or less in tests).
    max: u32,
    /// Where the search for a free id starts (round robin, so ids are reused as late as possible).
    next: u32,
    /// Indexed by id; grows as ids are first handed out (ids[0] is unused: id 0 is never valid).
    ids: Vec<IdState>,
}

#[derive(Copy, Clone)]
struct IdState {
    live: bool,
    /// The first generation the next loop with this id may issue.
    floor: u32,
}

impl LoopIds {
    pub const fn new(max: u32) -> LoopIds {
        LoopIds { max, next: 1, ids: Vec::new() }
    }

    /// A free id and the generation its slabs start at, or None when every id is live or retired.
    pub fn acquire(&mut self) -> Option<(u32, u32)> {
        for _ in 0..self.max {
            let id = self.next;
            self.next = if self.next >= self.max { 1 } else { self.next + 1 };
            while self.ids.len() <= id as usize {
                self.ids.push(IdState { live: false, floor: 1 });
            }
            let state = &mut self.ids[id as usize];
            if !state.live && state.floor <= GENERATION_MAX {
                state.live = true;
                return Some((id, state.floor));
            }
        }
        None
    }

    /// Gives `id` back; `ceiling` is the lowest generation none of its loop's handles carries.
    pub fn release(&mut self, id: u32, ceiling: u32) {
        let Some(state) = self.ids.get_mut(id as usize) else { return };
        debug_assert!(state.live, "loop id {id} released twice");
        state.live = false;
        state.floor = state.floor.max(ceiling);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removed_ids_become_stale_even_when_the_slot_is_reused() {
        let mut slab = Slab::new(7, 1, SlabKind::Sockets);
        let a = slab.insert("a").ok().unwrap();
        assert_eq!(Key::loop_of(a), 7);
        assert_eq!(slab.get(a), Some(&"a"));
        assert_eq!(slab.remove(a), Some("a"));
        assert_eq!(slab.get(a), None);
        let b = slab.insert("b").ok().unwrap();
        assert_eq!(Key::unpack(a).slot, Key::unpack(b).slot);
        assert_ne!(a, b);
        assert_eq!(slab.get(a), None);
        assert_eq!(slab.get(b), Some(&"b"));
        assert_eq!(slab.remove(a), None);
        assert_eq!(slab.len(), 1);
    }

    #[test]
    fn ids_of_other_loops_and_zero_are_rejected() {
        let mut slab = Slab::new(1, 1, SlabKind::Sockets);
        let a = slab.insert(1).ok().unwrap();
        let mut key = Key::unpack(a);
        key.loop_id = 2;
        assert_eq!(slab.get(key.pack()), None);
        assert_eq!(slab.get(0), None);
    }

    #[test]
    fn a_slot_is_retired_when_its_generation_would_wrap() {
        let mut slab = Slab::new(3, 1, SlabKind::Sockets);
        let first = slab.insert(0u32).ok().unwrap();
        slab.remove(first);
        // LIFO reuse puts every insert in slot 0: drive it through all 2^20 - 1 generations.
        let mut last = first;
        for n in 1..GENERATION_MAX {
            let id = slab.insert(n).ok().unwrap();
            assert_eq!(Key::unpack(id).slot, 0);
            assert_eq!(Key::unpack(id).generation, n + 1);
            assert_eq!(slab.get(first), None, "the first id came back at reuse {n}");
            slab.remove(id);
            last = id;
        }
        assert_eq!(Key::unpack(last).generation, GENERATION_MAX);
        // Slot 0 issued its last generation: it is retired, the next value goes to slot 1.
        let next = slab.insert(7).ok().unwrap();
        assert_eq!(Key::unpack(next).slot, 1);
        assert_eq!(slab.get(first), None);
        assert_eq!(slab.get(last), None);
        assert!(slab.was_released(first) && slab.was_released(last));
        let mut forged = Key::unpack(first);
        forged.generation = 0;
        assert!(!slab.was_released(forged.pack()));
        assert_eq!(slab.generation_ceiling(), RETIRED);
    }

    #[test]
    fn only_issued_generations_count_as_released() {
        let mut slab = Slab::new(2, 10, SlabKind::Listeners);
        let a = slab.insert('a').ok().unwrap();
        assert_eq!(Key::unpack(a).generation, 10);
        assert!(!slab.was_released(a), "a live id is not released");
        slab.remove(a);
        assert!(slab.was_released(a));
        let mut key = Key::unpack(a);
        key.generation = 11; // the slot's next generation: never issued
        assert!(!slab.was_released(key.pack()));
        key.generation = 9; // below the floor: an earlier loop's, not ours
        assert!(!slab.was_released(key.pack()));
        key.generation = 10;
        key.slot = 5; // a slot that does not exist
        assert!(!slab.was_released(key.pack()));
        assert!(!slab.was_released(0));
        assert_eq!(slab.generation_ceiling(), 11);
    }

    #[test]
    fn loop_ids_are_not_reused_while_live_and_come_back_above_their_floor() {
        let mut ids = LoopIds::new(2);
        assert_eq!(ids.acquire(), Some((1, 1)));
        assert_eq!(ids.acquire(), Some((2, 1)));
        assert_eq!(ids.acquire(), None, "both ids are live");
        ids.release(1, 40);
        assert_eq!(ids.acquire(), Some((1, 40)));
        ids.release(1, 5); // a floor never goes down
        ids.release(2, RETIRED); // every generation used: retired for good
        assert_eq!(ids.acquire(), Some((1, 40)));
        assert_eq!(ids.acquire(), None);
    }

    #[test]
    fn an_id_of_one_kind_never_names_a_value_of_another() {
        let mut sockets = Slab::new(4, 1, SlabKind::Sockets);
        let mut listeners = Slab::new(4, 1, SlabKind::Listeners);
        let s = sockets.insert("socket").ok().unwrap();
        let l = listeners.insert("listener").ok().unwrap();
        assert_eq!((Key::unpack(s).index(), Key::unpack(l).index()), (0, 0));
        assert_ne!(s, l);
        assert_eq!(sockets.get(l), None);
        assert_eq!(listeners.get(s), None);
        listeners.remove(l);
        assert!(listeners.was_released(l));
        assert!(!sockets.was_released(l));
    }
}
