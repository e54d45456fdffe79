//! The scheduler replay's table of live processes (docs/metrics.md section 4): it answers
//! "which process is least loaded, the earliest spawned among equals?" while sessions
//! join and leave processes and processes start and exit.
//!
//! Processes get positions in spawn order, so the earliest spawned of a set is the one
//! at the lowest position. When positions run out, the live processes are packed to the
//! left (keeping their order) into a table with room for as many again: memory follows
//! the live processes, not the spawns. Two tables share that scheme:
//! - [`LevelSets`], when loads stay below 64 (the usual `max_conns` of 20 or so): one
//!   set of positions per load, each a bitset with summary layers, so every operation
//!   is a few word operations;
//! - [`LoadTree`], for any load: a binary tree of minimum loads over the positions,
//!   O(log p) a pick.

/// No slot: the position is free.
pub const NO_SLOT: u32 = u32::MAX;

/// What the replay asks of its table of live processes. Slots are the replay's stable
/// names for processes; a process is pushed when it starts (after every live one) with
/// load 0.
pub trait ProcTable {
    /// An empty table.
    fn new() -> Self;
    /// The least-loaded live process, the earliest spawned among equals: (load, slot).
    fn first(&self) -> Option<(u32, u32)>;
    /// Adds a process with load 0, spawned after every live one.
    fn push(&mut self, slot: u32);
    /// Changes the load of the process in `slot` from `old` to `new`.
    fn set_load(&mut self, slot: u32, old: u32, new: u32);
    /// Removes the process in `slot`, whose load is `load`.
    fn remove(&mut self, slot: u32, load: u32);
}

/// Spawn-ordered positions shared by both tables.
#[derive(Debug)]
struct Positions {
    /// Slot at each position (`NO_SLOT` for none).
    slot_at: Vec<u32>,
    /// Position by slot.
    pos: Vec<u32>,
    /// Positions handed out so far.
    used: usize,
    /// Live processes.
    live: usize,
}

impl Positions {
    fn with_capacity(cap: usize) -> Positions {
        Positions {
            slot_at: vec![NO_SLOT; cap],
            pos: Vec::new(),
            used: 0,
            live: 0,
        }
    }

    fn full(&self) -> bool {
        self.used == self.slot_at.len()
    }

    /// Hands the next position to `slot`.
    fn take(&mut self, slot: u32) -> usize {
        let s = slot as usize;
        if self.pos.len() <= s {
            self.pos.resize(s + 1, u32::MAX);
        }
        let at = self.used;
        self.used += 1;
        self.live += 1;
        self.pos[s] = at as u32;
        self.slot_at[at] = slot;
        at
    }

    fn of(&self, slot: u32) -> usize {
        self.pos[slot as usize] as usize
    }

    fn free(&mut self, at: usize) {
        self.slot_at[at] = NO_SLOT;
        self.live -= 1;
    }

    /// The positions packed into `cap` (at least the live count): calls `moved(from, to)`
    /// for each live process in order.
    fn repack(&mut self, cap: usize, mut moved: impl FnMut(usize, usize)) {
        let mut next = Positions::with_capacity(cap);
        next.pos = std::mem::take(&mut self.pos);
        for at in 0..self.used {
            let slot = self.slot_at[at];
            if slot != NO_SLOT {
                moved(at, next.take(slot));
            }
        }
        *self = next;
    }
}

/// The load of a free position in [`LoadTree`]: above any real load (one process never
/// holds more than the sessions replayed, far below `u32::MAX`).
const FREE: u32 = u32::MAX;

/// Live processes as the leaves of a binary tree whose every node holds the least load
/// below it: the pick walks down to the leftmost leaf holding the root's value, and a
/// change of load walks up only while it changes a node's minimum.
#[derive(Debug)]
pub struct LoadTree {
    /// Leaves (a power of two, at least 2).
    cap: usize,
    /// `tree[cap + pos]` is the load at `pos` (`FREE` for none); node `i` holds the least
    /// of `2i` and `2i + 1`; `tree[0]` is unused.
    tree: Vec<u32>,
    at: Positions,
}

impl LoadTree {
    fn with_capacity(cap: usize) -> LoadTree {
        let cap = cap.next_power_of_two().max(2);
        LoadTree {
            cap,
            tree: vec![FREE; 2 * cap],
            at: Positions::with_capacity(cap),
        }
    }

    /// Sets the leaf at `at` and mends the minima above it.
    fn set(&mut self, at: usize, load: u32) {
        let mut i = self.cap + at;
        self.tree[i] = load;
        while i > 1 {
            i /= 2;
            let least = self.tree[2 * i].min(self.tree[2 * i + 1]);
            if self.tree[i] == least {
                break;
            }
            self.tree[i] = least;
        }
    }
}

impl ProcTable for LoadTree {
    fn new() -> Self {
        LoadTree::with_capacity(2)
    }

    fn first(&self) -> Option<(u32, u32)> {
        let least = self.tree[1];
        if least == FREE {
            return None;
        }
        let mut i = 1;
        while i < self.cap {
            i *= 2;
            if self.tree[i] != least {
                i += 1;
            }
        }
        Some((least, self.at.slot_at[i - self.cap]))
    }

    fn push(&mut self, slot: u32) {
        if self.at.full() {
            let mut next = LoadTree::with_capacity(2 * self.at.live.max(1));
            let (old, new) = (&self.tree, &mut next.tree);
            let (old_cap, new_cap) = (self.cap, next.cap);
            self.at
                .repack(next.cap, |from, to| new[new_cap + to] = old[old_cap + from]);
            for i in (1..next.cap).rev() {
                next.tree[i] = next.tree[2 * i].min(next.tree[2 * i + 1]);
            }
            next.at = std::mem::replace(&mut self.at, Positions::with_capacity(0));
            *self = next;
        }
        let at = self.at.take(slot);
        self.set(at, 0);
    }

    fn set_load(&mut self, slot: u32, _old: u32, new: u32) {
        let at = self.at.of(slot);
        self.set(at, new);
    }

    fn remove(&mut self, slot: u32, _load: u32) {
        let at = self.at.of(slot);
        self.at.free(at);
        self.set(at, FREE);
    }
}

/// Most load levels [`LevelSets`] keeps (one bit each in a word).
pub const MAX_LEVELS: u32 = 64;

/// Live processes as one set of positions per load (0 to 63), each a bitset with summary
/// layers above it (a bit per non-zero word of the layer below, up to one word per load),
/// plus one word saying which loads have a process. The pick is the lowest load's lowest
/// position; a change of load clears one bit and sets another, touching a summary only
/// when a word empties or fills.
#[derive(Debug)]
pub struct LevelSets {
    /// Positions (a power of two, at least 64).
    cap: usize,
    /// Layer 0 has a bit per position, each next layer a bit per word of the one below;
    /// the last has one word per load. Each layer is load-major: load `l`'s words are
    /// `l * width ..`.
    layers: Vec<Vec<u64>>,
    /// Words per load in each layer.
    widths: Vec<usize>,
    /// Bit `l` set: some process has load `l`.
    loads: u64,
    at: Positions,
}

impl LevelSets {
    fn with_capacity(cap: usize) -> LevelSets {
        let cap = cap.next_power_of_two().max(64);
        let mut widths = vec![cap / 64];
        while let Some(&w) = widths.last().filter(|&&w| w > 1) {
            widths.push(w.div_ceil(64));
        }
        let levels = MAX_LEVELS as usize;
        LevelSets {
            cap,
            layers: widths.iter().map(|w| vec![0; w * levels]).collect(),
            widths,
            loads: 0,
            at: Positions::with_capacity(cap),
        }
    }

    fn insert(&mut self, load: u32, mut at: usize) {
        let l = load as usize;
        for (layer, &width) in self.layers.iter_mut().zip(&self.widths) {
            let word = &mut layer[l * width + at / 64];
            let was = *word;
            *word |= 1 << (at % 64);
            if was != 0 {
                break;
            }
            at /= 64;
        }
        self.loads |= 1 << l;
    }

    fn erase(&mut self, load: u32, mut at: usize) {
        let l = load as usize;
        for (layer, &width) in self.layers.iter_mut().zip(&self.widths) {
            let word = &mut layer[l * width + at / 64];
            *word &= !(1 << (at % 64));
            if *word != 0 {
                return;
            }
            at /= 64;
        }
        self.loads &= !(1 << l);
    }

    /// The lowest position with load `load` (which must have one).
    fn lowest(&self, load: u32) -> usize {
        let l = load as usize;
        let mut at = 0;
        for (layer, &width) in self.layers.iter().zip(&self.widths).rev() {
            at = at * 64 + layer[l * width + at].trailing_zeros() as usize;
        }
        at
    }
}

impl ProcTable for LevelSets {
    fn new() -> Self {
        LevelSets::with_capacity(64)
    }

    fn first(&self) -> Option<(u32, u32)> {
        if self.loads == 0 {
            return None;
        }
        let load = self.loads.trailing_zeros();
        Some((load, self.at.slot_at[self.lowest(load)]))
    }

    fn push(&mut self, slot: u32) {
        if self.at.full() {
            let mut next = LevelSets::with_capacity(2 * self.at.live.max(1));
            // Each live position's load, found from the bitsets.
            let mut load_at = vec![0u32; self.at.used];
            for l in 0..MAX_LEVELS as usize {
                if self.loads & (1 << l) == 0 {
                    continue;
                }
                let w = self.widths[0];
                for (i, &word) in self.layers[0][l * w..(l + 1) * w].iter().enumerate() {
                    let mut bits = word;
                    while bits != 0 {
                        load_at[i * 64 + bits.trailing_zeros() as usize] = l as u32;
                        bits &= bits - 1;
                    }
                }
            }
            let mut moves = Vec::with_capacity(self.at.live);
            self.at
                .repack(next.cap, |from, to| moves.push((to, load_at[from])));
            for (to, load) in moves {
                next.insert(load, to);
            }
            next.at = std::mem::replace(&mut self.at, Positions::with_capacity(0));
            *self = next;
        }
        let at = self.at.take(slot);
        self.insert(0, at);
    }

    fn set_load(&mut self, slot: u32, old: u32, new: u32) {
        let at = self.at.of(slot);
        self.erase(old, at);
        self.insert(new, at);
    }

    fn remove(&mut self, slot: u32, load: u32) {
        let at = self.at.of(slot);
        self.at.free(at);
        self.erase(load, at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// One step of a random history: start a process, add or remove a connection at the
    /// process picked by index among the live ones, or end an idle one.
    #[derive(Debug, Clone)]
    enum Op {
        Start,
        Join(usize),
        Leave(usize),
        End(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            2 => Just(Op::Start),
            4 => (0..1000_usize).prop_map(Op::Join),
            3 => (0..1000_usize).prop_map(Op::Leave),
            1 => (0..1000_usize).prop_map(Op::End),
        ]
    }

    /// Replays `ops` on a table and on a plain list in spawn order (the oracle: the
    /// first of the least loaded by a linear scan), comparing picks after every step.
    /// Loads stay below `top`; slots are reused as processes end.
    fn check<T: ProcTable>(ops: &[Op], top: u32) -> Result<(), TestCaseError> {
        let mut table = T::new();
        // (slot, load) of live processes in spawn order.
        let mut live: Vec<(u32, u32)> = Vec::new();
        let mut free: Vec<u32> = Vec::new();
        let mut next_slot = 0;
        for op in ops {
            match *op {
                Op::Start => {
                    let slot = free.pop().unwrap_or_else(|| {
                        next_slot += 1;
                        next_slot - 1
                    });
                    table.push(slot);
                    live.push((slot, 0));
                }
                Op::Join(i) if !live.is_empty() => {
                    let n = live.len();
                    let (slot, load) = &mut live[i % n];
                    if *load + 1 < top {
                        table.set_load(*slot, *load, *load + 1);
                        *load += 1;
                    }
                }
                Op::Leave(i) if !live.is_empty() => {
                    let n = live.len();
                    let (slot, load) = &mut live[i % n];
                    if *load > 0 {
                        table.set_load(*slot, *load, *load - 1);
                        *load -= 1;
                    }
                }
                Op::End(i) if !live.is_empty() => {
                    let (slot, load) = live.remove(i % live.len());
                    table.remove(slot, load);
                    free.push(slot);
                }
                _ => {}
            }
            let want = live
                .iter()
                .min_by_key(|(_, load)| *load)
                .map(|&(slot, load)| (load, slot));
            prop_assert_eq!(table.first(), want);
        }
        Ok(())
    }

    /// Few processes and mostly joins: loads climb to the top (63 for the bitsets).
    fn crowding_op() -> impl Strategy<Value = Op> {
        prop_oneof![
            1 => Just(Op::Start),
            14 => (0..1000_usize).prop_map(Op::Join),
            3 => (0..1000_usize).prop_map(Op::Leave),
            1 => (0..1000_usize).prop_map(Op::End),
        ]
    }

    proptest! {
        #[test]
        fn crowded_tables_pick_the_first_least_loaded(
            ops in prop::collection::vec(crowding_op(), 0..1500),
        ) {
            check::<LevelSets>(&ops, MAX_LEVELS)?;
            check::<LoadTree>(&ops, 200)?;
        }

        #[test]
        fn level_sets_pick_the_first_least_loaded(ops in prop::collection::vec(op(), 0..600)) {
            check::<LevelSets>(&ops, MAX_LEVELS)?;
        }

        #[test]
        fn load_tree_picks_the_first_least_loaded(ops in prop::collection::vec(op(), 0..600)) {
            check::<LoadTree>(&ops, u32::MAX)?;
        }
    }

    /// Hundreds of processes: the bitsets grow a summary layer (64 positions per word,
    /// so more than 64 live processes need two layers) and repack many times.
    #[test]
    fn level_sets_keep_order_across_layers_and_repacks() {
        let mut t = LevelSets::new();
        for slot in 0..5000 {
            t.push(slot);
            t.set_load(slot, 0, 1 + slot % 3);
        }
        // Least load 1 is first reached by slot 0, the earliest spawned.
        assert_eq!(t.first(), Some((1, 0)));
        // Remove every slot with load 1 except the last one spawned (4998).
        for slot in (0..4998).filter(|s| s % 3 == 0) {
            t.remove(slot, 1);
        }
        assert_eq!(t.first(), Some((1, 4998)));
        t.remove(4998, 1);
        // Load 2 next: slot 1.
        assert_eq!(t.first(), Some((2, 1)));
        // A new process has load 0 and comes first despite being spawned last.
        t.push(9999);
        assert_eq!(t.first(), Some((0, 9999)));
    }
}
