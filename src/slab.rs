//! Storage with generations: the one place handles are minted and checked.
//!
//! A handle id packs `[loop: 20 bits][generation: 20 bits][slot: 24 bits]`. The loop part lets the
//! C shell find the owning loop from a handle alone; the generation makes a handle to a released
//! slot stale instead of pointing at whatever reuses the slot. Loop ids start at 1, so the zero id
//! is never valid.

const SLOT_BITS: u32 = 24;
const GEN_BITS: u32 = 20;
const SLOT_MASK: u64 = (1 << SLOT_BITS) - 1;
const GEN_MASK: u64 = (1 << GEN_BITS) - 1;
/// Loop ids fit in the remaining 20 bits.
pub const LOOP_ID_MAX: u32 = (1 << (64 - SLOT_BITS - GEN_BITS)) - 1;

/// The parts of a handle id.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub loop_id: u32,
    pub generation: u32,
    pub slot: u32,
}

impl Key {
    pub fn pack(self) -> u64 {
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

    /// The loop id of a packed handle id.
    pub fn loop_of(id: u64) -> u32 {
        (id >> (SLOT_BITS + GEN_BITS)) as u32
    }
}

struct Entry<T> {
    generation: u32,
    value: Option<T>,
}

/// A vector of slots; freed slots are reused with a new generation.
pub struct Slab<T> {
    loop_id: u32,
    entries: Vec<Entry<T>>,
    free: Vec<u32>,
    len: usize,
}

impl<T> Slab<T> {
    pub fn new(loop_id: u32) -> Slab<T> {
        Slab { loop_id, entries: Vec::new(), free: Vec::new(), len: 0 }
    }

    /// Stores `value` and returns its packed id, or None when every slot is taken.
    /// Stores `value` and returns its id; when every slot is taken, hands `value` back.
    pub fn insert(&mut self, value: T) -> Result<u64, T> {
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                if self.entries.len() as u64 > SLOT_MASK {
                    return Err(value);
                }
                self.entries.push(Entry { generation: 1, value: None });
                (self.entries.len() - 1) as u32
            }
        };
        let entry = &mut self.entries[slot as usize];
        entry.value = Some(value);
        self.len += 1;
        Ok(Key { loop_id: self.loop_id, generation: entry.generation, slot }.pack())
    }

    fn entry_index(&self, id: u64) -> Option<usize> {
        let key = Key::unpack(id);
        if key.loop_id != self.loop_id {
            return None;
        }
        let entry = self.entries.get(key.slot as usize)?;
        (entry.generation == key.generation && entry.value.is_some()).then_some(key.slot as usize)
    }

    pub fn get(&self, id: u64) -> Option<&T> {
        let index = self.entry_index(id)?;
        self.entries[index].value.as_ref()
    }

    pub fn get_mut(&mut self, id: u64) -> Option<&mut T> {
        let index = self.entry_index(id)?;
        self.entries[index].value.as_mut()
    }

    /// Whether `id` names a slot of this slab that has been released since (a stale id of
    /// ours, not an unknown one).
    pub fn was_released(&self, id: u64) -> bool {
        let key = Key::unpack(id);
        key.loop_id == self.loop_id
            && self.entries.get(key.slot as usize).is_some_and(|e| e.generation != key.generation || e.value.is_none())
    }

    /// Releases the slot: the id and every copy of it become stale.
    pub fn remove(&mut self, id: u64) -> Option<T> {
        let index = self.entry_index(id)?;
        let entry = &mut self.entries[index];
        let value = entry.value.take();
        entry.generation = (entry.generation + 1) & GEN_MASK as u32;
        if entry.generation == 0 {
            entry.generation = 1;
        }
        self.free.push(index as u32);
        self.len -= 1;
        value
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Ids of every stored value, in slot order.
    pub fn ids(&self) -> Vec<u64> {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.value.is_some())
            .map(|(slot, e)| Key { loop_id: self.loop_id, generation: e.generation, slot: slot as u32 }.pack())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removed_ids_become_stale_even_when_the_slot_is_reused() {
        let mut slab = Slab::new(7);
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
        let mut slab = Slab::new(1);
        let a = slab.insert(1).ok().unwrap();
        let mut key = Key::unpack(a);
        key.loop_id = 2;
        assert_eq!(slab.get(key.pack()), None);
        assert_eq!(slab.get(0), None);
    }
}
