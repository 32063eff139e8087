//! Semantic equality of graphs: the same entities and the same direct relations,
//! whatever the slots they occupy.
//!
//! Two graphs built from the same relations in different orders, or one with free slots
//! left by deletions, place entities at different indices; equality therefore maps every
//! slot of one graph to the slot holding the same id in the other, and compares what is
//! stored there through that map. Effective relations are derived from the direct ones
//! and are not compared, nor are graph identities, slot generations or free slots.

use hashbrown::HashSet;

use super::kinds::{EntityKind, Kind, Target, TargetKind, with_target_kind};
use super::nodes::{Links, ResourceNode};
use super::{Graph, Group, Handle, Harvester, Share, Space, User};

/// Where each live slot of one graph's slab of kind `K` is in the other graph: the slot
/// holding the same id. Free slots map to `u32::MAX`, never looked up.
struct Translation(Vec<u32>);

impl Translation {
    /// `None` when the two graphs do not hold the same ids of kind `K`.
    fn new<K: Kind>(a: &Graph, b: &Graph) -> Option<Translation> {
        let (from, to) = (K::slab(a), K::slab(b));
        if from.len() != to.len() {
            return None;
        }
        let mut slots = vec![u32::MAX; from.slots()];
        for (index, node) in from.iter() {
            slots[index as usize] = to.index_of(K::node_id(node))?;
        }
        Some(Translation(slots))
    }

    #[inline]
    fn at(&self, index: u32) -> u32 {
        self.0[index as usize]
    }
}

/// Defines [`Translations`], one translation per kind, from the table of kinds.
macro_rules! translations {
    ([] all { $($Kind:ident $field:ident;)+ } targets $targets:tt plain $plain:tt) => {
        /// One translation per kind.
        struct Translations {
            $($field: Translation,)+
        }

        impl Translations {
            fn new(a: &Graph, b: &Graph) -> Option<Translations> {
                Some(Translations {
                    $($field: Translation::new::<super::$Kind>(a, b)?,)+
                })
            }

            fn of<K: Kind>(&self) -> &Translation {
                match K::KIND {
                    $(EntityKind::$Kind => &self.$field,)+
                }
            }
        }
    };
}
super::for_each_kind!(translations);

impl Translations {
    /// Every live node of kind `K` in `a` beside the node of the same id in `b`.
    fn pairs<'g, K: Kind>(
        &'g self,
        a: &'g Graph,
        b: &'g Graph,
    ) -> impl Iterator<Item = (&'g K::Node, &'g K::Node)> + 'g {
        let to = K::slab(b);
        K::slab(a)
            .iter()
            .map(move |(index, node)| (node, to.node(self.of::<K>().at(index))))
    }

    /// The same direct users and groups, with the same privileges, in every target of
    /// kind `T`.
    fn same_members<T: Target>(&self, a: &Graph, b: &Graph) -> bool {
        self.pairs::<T>(a, b).all(|(x, y)| {
            let (x, y) = (T::members(x), T::members(y));
            same_direct(&x.users, &y.users, &self.users)
                && same_direct(&x.groups, &y.groups, &self.groups)
        })
    }

    /// The same pairs in a relation without privileges that resources of kind `K` keep
    /// as a list of entities of kind `L` (space owners, harvester links).
    fn same_link_sets<K: Kind<Node = ResourceNode<P>>, P, L: Kind>(
        &self,
        a: &Graph,
        b: &Graph,
        list: fn(&Links) -> &[u32],
    ) -> bool {
        let (from, to) = (self.of::<K>(), self.of::<L>());
        same_pairs(
            K::slab(a).iter().flat_map(|(x, node)| {
                list(&node.links)
                    .iter()
                    .map(move |&y| (from.at(x), to.at(y)))
            }),
            K::slab(b)
                .iter()
                .flat_map(|(x, node)| list(&node.links).iter().map(move |&y| (x, y))),
        )
    }
}

/// Whether two direct-member maps hold the same members (through `members`) with the
/// same privileges.
fn same_direct<P: PartialEq>(
    a: &super::slab::IndexMap<P>,
    b: &super::slab::IndexMap<P>,
    members: &Translation,
) -> bool {
    a.len() == b.len()
        && a.iter()
            .all(|(&member, privileges)| b.get(&members.at(member)) == Some(privileges))
}

/// Whether two relations without privileges hold the same pairs, `a`'s already
/// translated into `b`'s slots. Neither side repeats a pair (the graph refuses a second
/// owner entry or link), so equal counts and inclusion mean equal sets.
fn same_pairs(a: impl Iterator<Item = (u32, u32)>, b: impl Iterator<Item = (u32, u32)>) -> bool {
    let b: HashSet<(u32, u32)> = b.collect();
    let mut count = 0;
    for pair in a {
        if !b.contains(&pair) {
            return false;
        }
        count += 1;
    }
    count == b.len()
}

/// Two graphs are equal when they hold the same entities and relations: the same ids of
/// every kind; the same direct memberships of users and groups in every target, with the
/// same privileges (nesting included); the same own oz privileges; the same space owners;
/// every share in the same space; every handle in the same handle service for the same
/// share; the same harvester ↔ space links.
///
/// Slot layout (creation order, deletions and the free slots they leave), graph
/// identities and everything derived from the direct relations (effective memberships
/// and privileges) do not take part: a graph equals the graph loaded from its snapshot.
///
/// Cost: O(size of the graph), entities plus direct relations, with one hash probe per
/// entity and relation; it allocates one index map per kind and a set of the owners and
/// of the links.
///
/// ```
/// use privgraph::graph::{Graph, Group, User};
/// use privgraph::privileges::GroupPrivileges as G;
///
/// // Created in opposite orders, so every entity sits at another slot.
/// let mut a = Graph::new();
/// let (u, g) = (a.create::<User>("u")?, a.create::<Group>("g")?);
/// a.add_member(g, u, G::GROUP_VIEW)?;
/// let mut b = Graph::new();
/// let temp = b.create::<User>("temp")?;
/// let (g2, u2) = (b.create::<Group>("g")?, b.create::<User>("u")?);
/// b.delete(temp)?;
/// b.add_member(g2, u2, G::GROUP_VIEW)?;
/// assert_eq!(a, b);
///
/// b.update_member_privileges(g2, u2, &privgraph::privileges::PrivilegeUpdate::Set(G::empty()))?;
/// assert_ne!(a, b);
/// # Ok::<(), privgraph::graph::GraphError>(())
/// ```
impl PartialEq for Graph {
    fn eq(&self, other: &Graph) -> bool {
        if std::ptr::eq(self, other) {
            return true;
        }
        let Some(t) = Translations::new(self, other) else {
            return false;
        };
        let (a, b) = (self, other);
        TargetKind::ALL
            .iter()
            .all(|&kind| with_target_kind!(kind, T => t.same_members::<T>(a, b)))
            && t.pairs::<User>(a, b).all(|(x, y)| x.side.oz == y.side.oz)
            && t.pairs::<Group>(a, b).all(|(x, y)| x.side.oz == y.side.oz)
            && t.pairs::<Share>(a, b)
                .all(|(x, y)| t.spaces.at(x.space) == y.space)
            && t.pairs::<Handle>(a, b).all(|(x, y)| {
                x.links
                    .handle_of
                    .map(|(hs, share)| (t.handle_services.at(hs), t.shares.at(share)))
                    == y.links.handle_of
            })
            && t.same_link_sets::<Space, _, User>(a, b, |links| &links.owners)
            && t.same_link_sets::<Harvester, _, Space>(a, b, |links| &links.linked)
    }
}
