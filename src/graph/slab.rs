//! Dense storage for the entities of one kind, with string ids interned to indices.

use std::fmt;
use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

/// A map keyed by dense indices. The default hasher (foldhash, seeded per map) on
/// purpose: with one fixed hash for every map, copying the keys of a large map into a
/// smaller one in iteration order (which joining a group does) clusters them and makes
/// inserting quadratic.
pub type IndexMap<V> = hashbrown::HashMap<u32, V>;
/// A set of dense indices (or of small values made of them).
pub type IndexSet<T = u32> = hashbrown::HashSet<T>;

/// Ids up to this many bytes live inside their entry of the id index (Onezone's ids are
/// 32 characters), so resolving one reads no other memory than the table's.
const INLINE: usize = 34;

/// One id and its slot. 40 bytes: an inline id needs no pointer chase on a probe.
#[derive(Clone)]
enum IdEntry {
    Inline {
        index: u32,
        len: u8,
        bytes: [u8; INLINE],
    },
    Heap {
        index: u32,
        bytes: Box<[u8]>,
    },
}

const _: () = assert!(std::mem::size_of::<IdEntry>() == 40);

impl IdEntry {
    fn new(id: &[u8], index: u32) -> Self {
        if id.len() <= INLINE {
            let mut bytes = [0u8; INLINE];
            bytes[..id.len()].copy_from_slice(id);
            IdEntry::Inline {
                index,
                len: id.len() as u8,
                bytes,
            }
        } else {
            IdEntry::Heap {
                index,
                bytes: id.into(),
            }
        }
    }

    #[inline]
    fn bytes(&self) -> &[u8] {
        match self {
            IdEntry::Inline { len, bytes, .. } => &bytes[..usize::from(*len)],
            IdEntry::Heap { bytes, .. } => bytes,
        }
    }

    #[inline]
    fn index(&self) -> u32 {
        match self {
            IdEntry::Inline { index, .. } | IdEntry::Heap { index, .. } => *index,
        }
    }
}

/// External id → slot: one hash and one probe of a table whose entries hold the ids.
#[derive(Clone, Default)]
struct IdIndex {
    table: HashTable<IdEntry>,
    hasher: DefaultHashBuilder,
}

impl fmt::Debug for IdIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdIndex({} ids)", self.table.len())
    }
}

impl IdIndex {
    #[inline]
    fn hash(&self, id: &[u8]) -> u64 {
        self.hasher.hash_one(id)
    }

    #[inline]
    fn get(&self, id: &str) -> Option<u32> {
        let id = id.as_bytes();
        self.table
            .find(self.hash(id), |entry| entry.bytes() == id)
            .map(IdEntry::index)
    }

    fn insert(&mut self, id: &str, index: u32) {
        let id = id.as_bytes();
        let hash = self.hash(id);
        let hasher = &self.hasher;
        self.table
            .insert_unique(hash, IdEntry::new(id, index), |entry| {
                hasher.hash_one(entry.bytes())
            });
    }

    fn remove(&mut self, id: &str) {
        let id = id.as_bytes();
        if let Ok(entry) = self
            .table
            .find_entry(self.hash(id), |entry| entry.bytes() == id)
        {
            entry.remove();
        }
    }

    fn len(&self) -> usize {
        self.table.len()
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
