//! Dense storage for the entities of one kind, with string ids interned to indices.

use std::fmt;
use std::hash::BuildHasher;

use hashbrown::DefaultHashBuilder;

/// A map keyed by dense indices. The default hasher (foldhash, seeded per map) on
/// purpose: with one fixed hash for every map, copying the keys of a large map into a
/// smaller one in iteration order (which joining a group does) clusters them and makes
/// inserting quadratic.
pub type IndexMap<V> = hashbrown::HashMap<u32, V>;
/// A set of dense indices (or of small values made of them).
pub type IndexSet<T = u32> = hashbrown::HashSet<T>;

/// Ids up to this many bytes are kept inline in the id index's records (Onezone's ids
/// are 32 characters); longer ones go to a side map.
const INLINE: usize = 63;

/// One slot of the id index's table: the id's hash (30 bits of it, with [`OCCUPIED`]
/// set, and [`SHARED`] when another id's hash is equal; 0 marks an empty slot) and the
/// index it names. Eight to a cache line, so that the table stays small enough to be
/// cached and a probe reads one line.
#[derive(Clone, Copy, Default)]
struct Slot {
    hash: u32,
    index: u32,
}

/// Set in the hash of every occupied slot.
const OCCUPIED: u32 = 1 << 31;

/// Set in the slots of ids whose hashes are equal, as an insert finds them: a lookup by
/// hash alone cannot tell those ids apart (see [`IdIndex::candidate`]). A removal leaves
/// the flag on the other slot, which only sends its lookups the confirming way.
const SHARED: u32 = 1 << 30;

impl Slot {
    /// The hash without the [`SHARED`] flag: what an id's hash is compared with.
    #[inline(always)]
    fn key(self) -> u32 {
        self.hash & !SHARED
    }
}

/// Where an id's entity is by the id index, maybe before the id was compared with the
/// one stored there: see [`Slab::candidate`].
#[derive(Clone, Copy, Debug)]
pub struct Candidate {
    /// A live index: the id's, if the id is in the slab.
    pub index: u32,
    /// Whether the stored id was already compared with the one asked for.
    confirmed: bool,
}

/// An id, by the index it names: what a slot's match is confirmed against. Exactly one
/// cache line.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Record {
    len: u8,
    bytes: [u8; INLINE],
}

const _: () = assert!(std::mem::size_of::<Record>() == 64);

const NO_RECORD: Record = Record {
    len: 0,
    bytes: [0; INLINE],
};

impl Record {
    fn new(id: &[u8]) -> Record {
        let mut record = NO_RECORD;
        record.len = id.len() as u8;
        record.bytes[..id.len()].copy_from_slice(id);
        record
    }

    #[inline]
    fn holds(&self, id: &[u8]) -> bool {
        usize::from(self.len) == id.len() && same_bytes(&self.bytes, id)
    }
}

/// Whether `id` is the first `id.len()` bytes of `bytes` (`id.len() <= INLINE`): two
/// or a few overlapping word comparisons instead of a call to `memcmp`.
#[inline]
fn same_bytes(bytes: &[u8; INLINE], id: &[u8]) -> bool {
    let n = id.len();
    let u64_at = |s: &[u8], at: usize| {
        s.get(at..at + 8)
            .map(|w| w.iter().fold(0u64, |a, &b| a << 8 | u64::from(b)))
    };
    let u32_at = |s: &[u8], at: usize| {
        s.get(at..at + 4)
            .map(|w| w.iter().fold(0u32, |a, &b| a << 8 | u32::from(b)))
    };
    if n >= 8 {
        // The last word ends with the id, overlapping the one before.
        let mut at = 0;
        while at + 8 < n {
            if u64_at(bytes, at) != u64_at(id, at) {
                return false;
            }
            at += 8;
        }
        u64_at(bytes, n - 8) == u64_at(id, n - 8)
    } else if n >= 4 {
        u32_at(bytes, 0) == u32_at(id, 0) && u32_at(bytes, n - 4) == u32_at(id, n - 4)
    } else {
        bytes.iter().zip(id).all(|(a, b)| a == b)
    }
}

/// External id → index: open addressing with linear probing over 8-byte slots of
/// (hash, index), at most three quarters full, and the ids themselves in records by
/// index. A lookup reads the slot's line, then the record of the index it found, to
/// confirm the id. A slot is an eighth of one that holds its id, so the table mostly
/// stays in cache, and the records, one per entity, take less than such slots at most
/// half full would.
///
/// A check by ids does not wait for the records ([`IdIndex::candidate`]): an insert
/// flags the slots of ids with equal hashes, so an unflagged slot with the asked id's
/// hash is the only one, and the id's if the id is here at all. The check runs on that
/// index, and only a yes reads the records to confirm both ids. Reading them first put
/// the record's cache miss before the check's own: 0.67–0.92× the two-map floor for
/// checks by ids on the large graph, against 0.40–0.52× now (five runs of each,
/// BENCHMARKS.md).
///
/// Seeded per table (a caller cannot aim ids at one slot without knowing the seeds):
/// ids up to 16 bytes are hashed by one folded multiply of their first and last words
/// with the seeds (what foldhash does for short input, without its per-call setup),
/// longer ones by foldhash.
#[derive(Clone)]
struct IdIndex {
    /// A power of two long, or empty.
    slots: Vec<Slot>,
    /// By index; an index with no inline id has an empty record.
    records: Vec<Record>,
    /// Ids in `slots`.
    inline: usize,
    /// Ids longer than [`INLINE`].
    long: hashbrown::HashMap<Box<[u8]>, u32>,
    hasher: DefaultHashBuilder,
    seeds: [u64; 2],
}

impl Default for IdIndex {
    fn default() -> Self {
        let hasher = DefaultHashBuilder::default();
        let seeds = [hasher.hash_one(0u64), hasher.hash_one(1u64)];
        IdIndex {
            slots: Vec::new(),
            records: Vec::new(),
            inline: 0,
            long: hashbrown::HashMap::default(),
            hasher,
            seeds,
        }
    }
}

/// The high and low halves of the 128-bit product, xored.
#[inline]
fn folded_multiply(a: u64, b: u64) -> u64 {
    let full = u128::from(a) * u128::from(b);
    (full as u64) ^ ((full >> 64) as u64)
}

/// The first and last (overlapping) words of an id of at most 16 bytes, little-endian.
#[inline]
fn short_words(id: &[u8]) -> (u64, u64) {
    let n = id.len();
    let u64_at = |at: usize| {
        id.get(at..at + 8).map_or(0, |w| {
            w.iter().rev().fold(0u64, |a, &b| a << 8 | u64::from(b))
        })
    };
    let u32_at = |at: usize| {
        id.get(at..at + 4).map_or(0, |w| {
            w.iter().rev().fold(0u64, |a, &b| a << 8 | u64::from(b))
        })
    };
    if n >= 8 {
        (u64_at(0), u64_at(n - 8))
    } else if n >= 4 {
        (u32_at(0), u32_at(n - 4))
    } else if n > 0 {
        let byte = |at: usize| id.get(at).map_or(0, |&b| u64::from(b));
        (byte(0) | byte(n / 2) << 8 | byte(n - 1) << 16, 0)
    } else {
        (0, 0)
    }
}

impl fmt::Debug for IdIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdIndex({} ids)", self.len())
    }
}

impl IdIndex {
    /// The slot hash of `id`: 30 bits with [`OCCUPIED`] set.
    #[inline]
    fn hash(&self, id: &[u8]) -> u32 {
        let hash = if id.len() <= 16 {
            let (first, last) = short_words(id);
            folded_multiply(
                first ^ self.seeds[0],
                last ^ self.seeds[1] ^ id.len() as u64,
            )
        } else {
            self.hasher.hash_one(id)
        };
        hash as u32 & !SHARED | OCCUPIED
    }

    #[inline]
    fn mask(&self) -> usize {
        self.slots.len().wrapping_sub(1)
    }

    /// The first slot from `hash`'s home that has that hash and that `accept` takes
    /// (the caller checked that the table is not empty).
    #[inline(always)]
    fn probe(&self, hash: u32, accept: impl Fn(Slot) -> bool) -> Option<usize> {
        let mask = self.mask();
        let mut at = hash as usize & mask;
        loop {
            let slot = self.slots[at];
            if slot.key() == hash && accept(slot) {
                return Some(at);
            }
            if slot.hash == 0 {
                return None;
            }
            at = (at + 1) & mask;
        }
    }

    /// Where the slot holding `id` is, if any.
    #[inline(always)]
    fn find(&self, id: &[u8]) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        self.find_by(self.hash(id), id)
    }

    /// [`IdIndex::find`] with `id`'s hash already taken (the table is not empty).
    #[inline(always)]
    fn find_by(&self, hash: u32, id: &[u8]) -> Option<usize> {
        self.probe(hash, |slot| self.record_holds(slot.index, id))
    }

    /// Whether the record at `index` is `id`'s.
    #[inline(always)]
    fn record_holds(&self, index: u32, id: &[u8]) -> bool {
        self.records
            .get(index as usize)
            .is_some_and(|record| record.holds(id))
    }

    #[inline(always)]
    fn get(&self, id: &str) -> Option<u32> {
        let id = id.as_bytes();
        if id.len() > INLINE {
            return self.long.get(id).copied();
        }
        self.find(id).map(|at| self.slots[at].index)
    }

    /// `id`'s index without reading its record when its hash is enough: the first slot
    /// with the id's hash, unconfirmed, when no other id has that hash (then the index is
    /// the id's if the id is here, and another id's if it is not); otherwise, and for
    /// long ids, the index found by comparing the ids, confirmed.
    #[inline(always)]
    fn candidate(&self, id: &str) -> Option<Candidate> {
        let bytes = id.as_bytes();
        if bytes.len() > INLINE || self.slots.is_empty() {
            return self.confirmed(id);
        }
        let hash = self.hash(bytes);
        let slot = self.slots[self.probe(hash, |_| true)?];
        if slot.hash & SHARED != 0 {
            return self.find_by(hash, bytes).map(|at| Candidate {
                index: self.slots[at].index,
                confirmed: true,
            });
        }
        Some(Candidate {
            index: slot.index,
            confirmed: false,
        })
    }

    fn confirmed(&self, id: &str) -> Option<Candidate> {
        self.get(id).map(|index| Candidate {
            index,
            confirmed: true,
        })
    }

    /// Whether `candidate` is where `id` is.
    #[inline(always)]
    fn confirms(&self, candidate: Candidate, id: &str) -> bool {
        candidate.confirmed || self.record_holds(candidate.index, id.as_bytes())
    }

    fn insert(&mut self, id: &str, index: u32) {
        let id = id.as_bytes();
        if id.len() > INLINE {
            self.long.insert(id.into(), index);
            return;
        }
        if (self.inline + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        let at = index as usize;
        if self.records.len() <= at {
            self.records.resize(at + 1, NO_RECORD);
        }
        self.records[at] = Record::new(id);
        self.place(Slot {
            hash: self.hash(id),
            index,
        });
        self.inline += 1;
    }

    /// Puts `slot` in the first empty slot from its home (the caller made room), flagging
    /// it and every slot on the way with an equal hash as [`SHARED`]. Ids with equal
    /// hashes have the same home, so every one of them is on that way.
    fn place(&mut self, mut slot: Slot) {
        let mask = self.mask();
        let mut at = slot.key() as usize & mask;
        while self.slots[at].hash != 0 {
            if self.slots[at].key() == slot.key() {
                self.slots[at].hash |= SHARED;
                slot.hash |= SHARED;
            }
            at = (at + 1) & mask;
        }
        self.slots[at] = slot;
    }

    fn grow(&mut self) {
        let capacity = (self.slots.len() * 2).max(16);
        let old = std::mem::replace(&mut self.slots, vec![Slot::default(); capacity]);
        for slot in old.into_iter().filter(|slot| slot.hash != 0) {
            self.place(slot);
        }
    }

    fn remove(&mut self, id: &str) {
        let id = id.as_bytes();
        if id.len() > INLINE {
            self.long.remove(id);
            return;
        }
        let Some(mut hole) = self.find(id) else {
            return;
        };
        if let Some(record) = self.records.get_mut(self.slots[hole].index as usize) {
            *record = NO_RECORD;
        }
        self.inline -= 1;
        // Backward shift: move up every later slot of the run that may live in the hole
        // (its home is not cyclically within (hole, at]), so no probe meets a gap.
        let mask = self.mask();
        let mut at = hole;
        loop {
            at = (at + 1) & mask;
            let slot = self.slots[at];
            if slot.hash == 0 {
                break;
            }
            let home = slot.key() as usize & mask;
            let stays = if hole <= at {
                hole < home && home <= at
            } else {
                hole < home || home <= at
            };
            if !stays {
                self.slots[hole] = slot;
                hole = at;
            }
        }
        self.slots[hole] = Slot::default();
    }

    fn len(&self) -> usize {
        self.inline + self.long.len()
    }
}

/// Entities of one kind: index → node, plus id → index, plus `H`, what the check path
/// reads for each slot (a target's effective users), kept in a dense array of its own
/// so that a check touches no node.
///
/// A slot freed by a deletion is reused with a new generation, so a stale key never
/// names the new occupant. `generations` is kept apart from the nodes so that checking a
/// key touches one small dense array.
#[derive(Debug, Clone)]
pub struct Slab<N, H = ()> {
    nodes: Vec<Option<N>>,
    hot: Vec<H>,
    generations: Vec<u32>,
    free: Vec<u32>,
    ids: IdIndex,
}

impl<N, H> Default for Slab<N, H> {
    fn default() -> Self {
        Slab {
            nodes: Vec::new(),
            hot: Vec::new(),
            generations: Vec::new(),
            free: Vec::new(),
            ids: IdIndex::default(),
        }
    }
}

impl<N, H: Default> Slab<N, H> {
    /// Index and generation of the entity called `id`.
    #[inline]
    pub fn resolve(&self, id: &str) -> Option<(u32, u32)> {
        let index = self.ids.get(id)?;
        Some((index, self.generations[index as usize]))
    }

    /// Index of the live entity called `id`.
    #[inline]
    pub fn index_of(&self, id: &str) -> Option<u32> {
        self.ids.get(id)
    }

    /// Where the entity called `id` is if there is one, maybe without comparing `id`
    /// with the id stored there: `None` when there is none; otherwise a live index that
    /// is the entity's if `id` is in the slab, and that [`Slab::confirms`] tells about.
    /// So an answer that is false for an absent id needs no confirmation.
    #[inline(always)]
    pub fn candidate(&self, id: &str) -> Option<Candidate> {
        self.ids.candidate(id)
    }

    /// Whether `candidate` (from [`Slab::candidate`] of `id`) is the entity called `id`.
    #[inline(always)]
    pub fn confirms(&self, candidate: Candidate, id: &str) -> bool {
        self.ids.confirms(candidate, id)
    }

    /// Whether `(index, generation)` names a live entity.
    #[inline]
    pub fn is_live(&self, index: u32, generation: u32) -> bool {
        self.generations.get(index as usize) == Some(&generation)
    }

    /// The generation of a live index (callers hold an index taken from a relation).
    #[inline]
    pub fn generation(&self, index: u32) -> u32 {
        self.generations[index as usize]
    }

    #[inline]
    pub fn get(&self, index: u32, generation: u32) -> Option<&N> {
        if self.is_live(index, generation) {
            self.nodes[index as usize].as_ref()
        } else {
            None
        }
    }

    /// The node at a live index (indices stored in relations are always live).
    #[inline]
    pub fn node(&self, index: u32) -> &N {
        match &self.nodes[index as usize] {
            Some(node) => node,
            None => unreachable!("relation names a freed slot"),
        }
    }

    #[inline]
    pub fn node_mut(&mut self, index: u32) -> &mut N {
        match &mut self.nodes[index as usize] {
            Some(node) => node,
            None => unreachable!("relation names a freed slot"),
        }
    }

    /// The hot part of a live index.
    #[inline]
    pub fn hot(&self, index: u32) -> &H {
        &self.hot[index as usize]
    }

    #[inline]
    pub fn hot_mut(&mut self, index: u32) -> &mut H {
        &mut self.hot[index as usize]
    }

    /// The node and the hot part of a live index, both writable.
    #[inline]
    pub fn node_hot_mut(&mut self, index: u32) -> (&mut N, &mut H) {
        let node = match &mut self.nodes[index as usize] {
            Some(node) => node,
            None => unreachable!("relation names a freed slot"),
        };
        (node, &mut self.hot[index as usize])
    }

    pub fn contains_id(&self, id: &str) -> bool {
        self.ids.get(id).is_some()
    }

    /// Stores a new node under `id` (the caller checked that `id` is free).
    pub fn insert(&mut self, id: &str, node: N) -> (u32, u32) {
        let index = match self.free.pop() {
            Some(index) => {
                self.nodes[index as usize] = Some(node);
                index
            }
            None => {
                self.nodes.push(Some(node));
                self.hot.push(H::default());
                self.generations.push(0);
                (self.nodes.len() - 1) as u32
            }
        };
        self.ids.insert(id, index);
        (index, self.generations[index as usize])
    }

    /// Frees a live slot and returns its node.
    pub fn remove(&mut self, index: u32, id: &str) -> Option<N> {
        let node = self.nodes[index as usize].take()?;
        self.hot[index as usize] = H::default();
        self.ids.remove(id);
        self.generations[index as usize] = self.generations[index as usize].wrapping_add(1);
        self.free.push(index);
        Some(node)
    }

    /// Live indices, in index order.
    pub fn indices(&self) -> impl Iterator<Item = u32> + '_ {
        self.iter().map(|(i, _)| i)
    }

    /// Live indices with their nodes, in index order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &N)> + '_ {
        self.nodes
            .iter()
            .enumerate()
            .filter_map(|(i, n)| n.as_ref().map(|n| (i as u32, n)))
    }

    /// How many slots exist, live or free (one past the highest index).
    pub fn slots(&self) -> usize {
        self.nodes.len()
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Inserts and removes ids of every length class (short, word-sized, longest inline,
    /// long) in an order that makes long probe runs and wrap-arounds, checking every id
    /// against a model after each step.
    #[test]
    fn id_index_agrees_with_a_map_through_inserts_and_removals() {
        let mut index = IdIndex::default();
        let mut model: HashMap<String, u32> = HashMap::new();
        let id_of = |i: u32| match i % 4 {
            0 => format!("{i}"),
            1 => format!("id-{i:08}"),
            2 => format!("{i:0>width$}", width = INLINE),
            _ => format!("{i:0>width$}", width = INLINE + 1),
        };
        // A deterministic shuffle of inserts and removals.
        let mut state = 0x9e37_79b9_u32;
        for step in 0..4000u32 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let id = id_of(state % 600);
            if let Some(&index_of) = model.get(&id) {
                if step % 3 != 0 {
                    index.remove(&id);
                    model.remove(&id);
                } else {
                    assert_eq!(index.get(&id), Some(index_of));
                }
            } else {
                index.insert(&id, step);
                model.insert(id, step);
            }
            assert_eq!(index.len(), model.len());
            if step % 97 == 0 {
                for i in 0..600 {
                    let id = id_of(i);
                    assert_eq!(index.get(&id), model.get(&id).copied(), "id {id}");
                }
            }
        }
        for i in 0..600 {
            let id = id_of(i);
            assert_eq!(index.get(&id), model.get(&id).copied(), "id {id}");
        }
    }

    /// Two ids whose slot hashes in `index` are equal, found by trying ids until two
    /// collide (about 40,000 tries for 30-bit hashes), each of `len` bytes.
    fn colliding_ids(index: &IdIndex, len: usize) -> (String, String) {
        let mut seen: HashMap<u32, String> = HashMap::new();
        for i in 0u64.. {
            let id = format!("{i:0>len$}");
            if let Some(other) = seen.insert(index.hash(id.as_bytes()), id.clone()) {
                return (other, id);
            }
        }
        unreachable!("the hashes have 30 bits")
    }

    #[test]
    fn an_unshared_hash_gives_an_unconfirmed_candidate_that_tells_ids_apart() {
        for len in [6, 12, 32] {
            let mut index = IdIndex::default();
            let (a, b) = colliding_ids(&index, len);
            index.insert(&a, 7);
            index.insert("other", 8);
            // `b` is absent but has `a`'s hash: its candidate is `a`'s slot, unconfirmed,
            // and confirming it fails; `a`'s own candidate confirms.
            let of_b = index.candidate(&b).expect("a has b's hash");
            assert_eq!((of_b.index, of_b.confirmed), (7, false));
            assert!(!index.confirms(of_b, &b));
            let of_a = index.candidate(&a).expect("a is here");
            assert_eq!((of_a.index, of_a.confirmed), (7, false));
            assert!(index.confirms(of_a, &a));
            assert_eq!(index.get(&b), None);
            assert!(
                index
                    .candidate("absent")
                    .is_none_or(|c| !index.confirms(c, "absent"))
            );
        }
    }

    #[test]
    fn ids_sharing_a_hash_are_found_by_comparing_them() {
        let mut index = IdIndex::default();
        let (a, b) = colliding_ids(&index, 10);
        index.insert(&a, 1);
        index.insert(&b, 2);
        for (id, at) in [(&a, 1), (&b, 2)] {
            let candidate = index.candidate(id).expect("present");
            assert_eq!((candidate.index, candidate.confirmed), (at, true), "{id}");
            assert_eq!(index.get(id), Some(at));
        }
        // Growing the table keeps both flagged; removing one leaves the other found.
        for i in 0..100 {
            index.insert(&format!("filler-{i}"), 10 + i);
        }
        let of_b = index.candidate(&b).expect("present");
        assert_eq!((of_b.index, of_b.confirmed), (2, true));
        index.remove(&a);
        assert!(index.candidate(&a).is_none());
        assert_eq!(index.get(&a), None);
        let of_b = index.candidate(&b).expect("present");
        assert_eq!(of_b.index, 2);
        assert!(index.confirms(of_b, &b));
    }

    /// `Graph::has_privilege_by_id` answers false for an absent id whose hash is a
    /// member's, and right for both once the second id is an entity too.
    #[test]
    fn a_check_by_ids_tells_an_absent_id_from_the_member_whose_hash_it_has() {
        use crate::graph::{Graph, HandleService, Kind, User};
        use crate::privileges::HandleServicePrivileges as Hs;

        let mut graph = Graph::new();
        let probe = IdIndex {
            seeds: User::slab(&graph).ids.seeds,
            ..IdIndex::default()
        };
        let (member, twin) = colliding_ids(&probe, 8);
        let u = graph.create::<User>(&member).unwrap();
        let hs = graph.create::<HandleService>("hs").unwrap();
        graph.add_member(hs, u, Hs::HANDLE_SERVICE_VIEW).unwrap();
        let check = |graph: &Graph, user: &str| {
            graph.has_privilege_by_id::<User, _>(user, "hs", Hs::HANDLE_SERVICE_VIEW)
        };
        assert!(check(&graph, &member));
        assert!(
            !check(&graph, &twin),
            "an absent id answered as its hash's owner"
        );
        let t = graph.create::<User>(&twin).unwrap();
        assert!(check(&graph, &member));
        assert!(!check(&graph, &twin));
        graph.add_member(hs, t, Hs::HANDLE_SERVICE_VIEW).unwrap();
        graph.remove_member(hs, u).unwrap();
        assert!(!check(&graph, &member));
        assert!(check(&graph, &twin));

        // The same on the target's side: an absent service id with a service's hash.
        let probe = IdIndex {
            seeds: HandleService::slab(&graph).ids.seeds,
            ..IdIndex::default()
        };
        let (service, service_twin) = colliding_ids(&probe, 7);
        let other = graph.create::<HandleService>(&service).unwrap();
        graph.add_member(other, t, Hs::HANDLE_SERVICE_VIEW).unwrap();
        let check = |service: &str| {
            graph.has_privilege_by_id::<User, _>(&twin, service, Hs::HANDLE_SERVICE_VIEW)
        };
        assert!(check(&service));
        assert!(
            !check(&service_twin),
            "an absent id answered as its hash's owner"
        );
    }

    #[test]
    fn ids_differing_only_in_their_last_byte_or_length_are_told_apart() {
        let mut index = IdIndex::default();
        let ids = [
            "a",
            "ab",
            "abc",
            "abcd",
            "abcde",
            "abcdefgh",
            "abcdefgi",
            "abcdefghi",
        ];
        for (i, id) in ids.iter().enumerate() {
            index.insert(id, i as u32);
        }
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(index.get(id), Some(i as u32), "{id}");
        }
        assert_eq!(index.get(""), None);
        assert_eq!(index.get("abcdefgj"), None);
        assert_eq!(index.get("b"), None);
    }
}
