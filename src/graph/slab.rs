//! Dense storage for the entities of one kind, with string ids interned to indices.

use hashbrown::HashMap;

/// Entities of one kind: index → node, plus id → index.
///
/// A slot freed by a deletion is reused with a new generation, so a stale key never
/// names the new occupant. `generations` is kept apart from the nodes so that checking a
/// key touches one small dense array.
#[derive(Debug, Clone)]
pub struct Slab<N> {
    nodes: Vec<Option<N>>,
    generations: Vec<u32>,
    free: Vec<u32>,
    ids: HashMap<Box<str>, u32>,
}

impl<N> Default for Slab<N> {
    fn default() -> Self {
        Slab {
            nodes: Vec::new(),
            generations: Vec::new(),
            free: Vec::new(),
            ids: HashMap::new(),
        }
    }
}

impl<N> Slab<N> {
    /// Index and generation of the entity called `id`.
    #[inline]
    pub fn resolve(&self, id: &str) -> Option<(u32, u32)> {
        let &index = self.ids.get(id)?;
        Some((index, self.generations[index as usize]))
    }

    /// Index of the live entity called `id`.
    #[inline]
    pub fn index_of(&self, id: &str) -> Option<u32> {
        self.ids.get(id).copied()
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

    pub fn contains_id(&self, id: &str) -> bool {
        self.ids.contains_key(id)
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
                self.generations.push(0);
                (self.nodes.len() - 1) as u32
            }
        };
        self.ids.insert(id.into(), index);
        (index, self.generations[index as usize])
    }

    /// Frees a live slot and returns its node.
    pub fn remove(&mut self, index: u32, id: &str) -> Option<N> {
        let node = self.nodes[index as usize].take()?;
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
