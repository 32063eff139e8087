//! The membership graph, with effective relations kept current on every change.
//!
//! A [`Graph`] holds entities of every [`EntityKind`]: users, groups, spaces, shares,
//! handle services, handles, harvesters and the other resource kinds. Users and groups
//! are *members* of *targets* ([`TargetKind`]: groups and the resource kinds), each
//! direct membership carrying a set of the target's privileges; groups nest (child →
//! parent) and stay acyclic. Members join with [`Graph::add_member`], groups join groups
//! with [`Graph::nest`], whose [`Child`] and [`Parent`] arguments cannot be swapped
//! silently.
//!
//! Effective relations follow Onezone's rule: a member's effective privileges in a
//! target are its direct ones there ∪ the direct privileges there of every direct member
//! group of the target that it belongs to effectively.
//! They are *materialized*: every target keeps a map from effective member to its
//! effective privileges, updated by each mutation, so a check is one hash-map probe and
//! allocates nothing.
//!
//! ```
//! use privgraph::graph::{Graph, Group, HandleService, User};
//! use privgraph::privileges::{GroupPrivileges, HandleServicePrivileges as HS};
//!
//! let mut graph = Graph::new();
//! let alice = graph.create::<User>("alice")?;
//! let team = graph.create::<Group>("team")?;
//! let hs = graph.create::<HandleService>("hs")?;
//! graph.add_member(team, alice, GroupPrivileges::empty())?;
//! graph.add_member(hs, team, HS::HANDLE_SERVICE_VIEW | HS::HANDLE_SERVICE_UPDATE)?;
//!
//! assert!(graph.has_privilege(alice, hs, HS::HANDLE_SERVICE_UPDATE));
//! assert!(graph.has_privilege_by_id::<User, _>("alice", "hs", HS::HANDLE_SERVICE_VIEW));
//! assert_eq!(graph.effective_privileges(alice, hs), Some(HS::HANDLE_SERVICE_VIEW | HS::HANDLE_SERVICE_UPDATE));
//! assert_eq!(graph.direct_privileges(alice, hs), None);
//! # Ok::<(), privgraph::graph::GraphError>(())
//! ```
//!
//! # Costs
//!
//! Checks ([`Graph::has_privilege`], [`Graph::effective_privileges`]) are O(1): for each
//! key a comparison of graph identity and generation, then one probe of the target's
//! effective users (kept in a dense array beside the slots, apart from the nodes); by
//! string ids, one probe of each kind's id table (whose entries hold ids of up to 34
//! bytes inline) instead of the key comparisons. A mutation's work is proportional to
//! the effective relations it changes: adding or removing a direct relation of member
//! `m` in target `t` visits `m` and, for a group, its effective members, in `t` and in
//! each ancestor group of `t` they enter or leave; a privilege update visits the same
//! members in `t` only. A removal re-evaluates each relation it visits in
//! O(min(direct groups of the target, effective groups of the member)). Every algorithm
//! on nesting uses an explicit worklist, so depth is bounded by memory, not by the
//! stack. Loading a snapshot builds every effective relation once, in one pass (see
//! [`crate::snapshot`]); so does a [`GraphBuilder`], which takes the same calls as the
//! graph for entities and direct relations.
//!
//! # Difference from Onezone
//!
//! Onezone accepts a nesting that closes a cycle: it checks only for a group nested in
//! itself and for an existing relation. Because it recomputes effective relations from
//! the neighbours' stored ones, a membership inside a cycle can then outlive the edge that
//! produced it. privgraph refuses a nesting that would close a cycle with
//! [`GraphError::NestingCycle`], an error Onezone does not have.

mod any_key;
pub(crate) mod apply;
mod builder;
pub(crate) mod bulk;
mod change;
mod equality;
mod error;
mod explain;
mod kinds;
mod members;
mod nodes;
mod propagate;
mod search;
mod slab;

use crate::privileges::{
    Applied, GroupPrivileges, HandlePrivileges, OzPrivileges, PrivilegeUpdate,
};
use bitflags::Flags;

pub(crate) use any_key::AnyKey;
pub use builder::GraphBuilder;
pub use change::{
    Author, BadAuthor, BadTimestamp, Batch, BatchError, Change, ChangeError, CommittedBatch,
    FORMAT, Timestamp,
};
pub use error::{EntityRef, GraphError, IdProblem};
pub use explain::{Intermediary, Path};
pub use kinds::{
    Child, EntityKind, Independent, Key, Kind, KindInfo, MemberKind, MemberOf, MemberType, Parent,
    Target, TargetKind, TargetVocabulary,
};
pub(crate) use kinds::{for_each_kind, match_kind, with_entity_kind, with_target_kind};

use members::TargetRef;
use nodes::{ResourceNode, ShareNode};
use propagate::MemberRef;
use slab::Slab;
use smallvec::SmallVec;

/// The longest external id accepted, in bytes.
pub const MAX_ID_LEN: usize = 256;

/// Defines [`Graph`], one slab per kind, and the constructors that name every slab.
macro_rules! graph {
    ([] all { $($Kind:ident $field:ident;)+ } targets $targets:tt plain $plain:tt) => {
        // The marker type of every kind.
        pub use kinds::{$($Kind),+};

        /// The membership graph. See the [module documentation](self).
        ///
        /// Every graph has an identity that the keys it issues carry (see [`Key`]): a graph
        /// made by [`Graph::new`], [`Default`], loading a snapshot or [`Clone`] has a fresh
        /// one, so it refuses the keys of every other graph, including the graph it was
        /// cloned from.
        ///
        /// Equality is semantic (see
        /// [`PartialEq for Graph`](#impl-PartialEq-for-Graph)): two graphs are equal when
        /// they hold the same entities and relations, whatever their identities and the
        /// order the entities were created in.
        #[derive(Debug)]
        pub struct Graph {
            identity: kinds::Identity,
            $(pub(crate) $field: Slab<<$Kind as Kind>::Node, <$Kind as Kind>::Hot>,)+
            /// The number of batches applied since the graph was created or loaded at a
            /// revision (see [`Graph::apply`]).
            pub(crate) revision: u64,
            /// While [`Graph::apply`] runs: every ownership that ended as a side effect of a
            /// change, as (space id, user id), so that undoing the batch can restore it.
            pub(crate) owner_journal: Option<Vec<(String, String)>>,
        }

        impl Graph {
            /// An empty graph.
            ///
            /// ```
            /// use privgraph::graph::{Graph, User};
            /// assert_eq!(Graph::new().len::<User>(), 0);
            /// ```
            pub fn new() -> Self {
                Graph {
                    identity: kinds::Identity::mint(),
                    $($field: Slab::default(),)+
                    revision: 0,
                    owner_journal: None,
                }
            }

            /// A copy that keeps this graph's identity, so keys issued by either work on both
            /// while both receive the same mutations (the two copies concurrent readers keep).
            /// The public [`Clone`] mints a new identity instead.
            pub(crate) fn duplicate(&self) -> Graph {
                Graph {
                    identity: self.identity,
                    $($field: self.$field.clone(),)+
                    revision: self.revision,
                    owner_journal: None,
                }
            }
        }
    };
}
for_each_kind!(graph);

fn check_id(kind: EntityKind, id: &str) -> Result<(), GraphError> {
    let problem = if id.is_empty() {
        IdProblem::Empty
    } else if id.len() > MAX_ID_LEN {
        IdProblem::TooLong { len: id.len() }
    } else {
        return Ok(());
    };
    let mut cut = id.len().min(64);
    while !id.is_char_boundary(cut) {
        cut -= 1;
    }
    Err(GraphError::InvalidId {
        kind,
        id: id[..cut].to_owned(),
        problem,
    })
}

impl Default for Graph {
    /// An empty graph with a fresh identity, as [`Graph::new`].
    ///
    /// ```
    /// use privgraph::graph::{Graph, User};
    /// assert_eq!(Graph::default().len::<User>(), 0);
    /// ```
    fn default() -> Self {
        Graph::new()
    }
}

impl Clone for Graph {
    /// A copy with a **new** identity: the copy refuses the original's keys and the
    /// original refuses the copy's, though both hold the same entities (and compare
    /// equal). Resolve ids again with [`Graph::key`] to work on the copy.
    ///
    /// ```
    /// use privgraph::graph::{Graph, User};
    /// let mut graph = Graph::new();
    /// let alice = graph.create::<User>("alice")?;
    /// let copy = graph.clone();
    /// assert_eq!(copy, graph);
    /// assert_eq!(copy.id(alice), None);
    /// assert_eq!(copy.key::<User>("alice").and_then(|k| copy.id(k)), Some("alice"));
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    fn clone(&self) -> Self {
        Graph {
            identity: kinds::Identity::mint(),
            ..self.duplicate()
        }
    }
}

impl Graph {
    // ----- ids and keys ---------------------------------------------------------------

    /// The key of the entity of kind `K` called `id`. One string hash and probe.
    ///
    /// ```
    /// use privgraph::graph::{Graph, Space};
    /// let mut graph = Graph::new();
    /// let s = graph.create::<Space>("s1")?;
    /// assert_eq!(graph.key::<Space>("s1"), Some(s));
    /// assert_eq!(graph.key::<Space>("s2"), None);
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    #[inline]
    pub fn key<K: Kind>(&self, id: &str) -> Option<Key<K>> {
        let (index, generation) = K::slab(self).resolve(id)?;
        Some(Key::new(self.identity, index, generation))
    }

    /// The external id of a live entity.
    ///
    /// ```
    /// use privgraph::graph::{Graph, User};
    /// let mut graph = Graph::new();
    /// let u = graph.create::<User>("u1")?;
    /// assert_eq!(graph.id(u), Some("u1"));
    /// graph.delete(u)?;
    /// assert_eq!(graph.id(u), None);
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn id<K: Kind>(&self, key: Key<K>) -> Option<&str> {
        self.node_of(key).map(|node| K::node_id(node))
    }

    /// Whether `key` names a live entity of this graph (false for a deleted entity's key
    /// and for every key of another graph).
    ///
    /// ```
    /// use privgraph::graph::{Graph, Group};
    /// let mut graph = Graph::new();
    /// let g = graph.create::<Group>("g")?;
    /// assert!(graph.contains(g));
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn contains<K: Kind>(&self, key: Key<K>) -> bool {
        self.is_live(key)
    }

    /// How many entities of kind `K` exist.
    ///
    /// ```
    /// use privgraph::graph::{Graph, User};
    /// let mut graph = Graph::new();
    /// graph.create::<User>("a")?;
    /// assert_eq!(graph.len::<User>(), 1);
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    #[allow(clippy::len_without_is_empty)] // per kind; a graph has no single length
    pub fn len<K: Kind>(&self) -> usize {
        K::slab(self).len()
    }

    /// How many entities of `kind` exist: [`Graph::len`] for a kind known at run time.
    ///
    /// ```
    /// use privgraph::graph::{EntityKind, Graph, User};
    /// let mut graph = Graph::new();
    /// graph.create::<User>("a")?;
    /// let counts: Vec<usize> = EntityKind::ALL.iter().map(|&kind| graph.len_of(kind)).collect();
    /// assert_eq!(counts.iter().sum::<usize>(), 1);
    /// assert_eq!(graph.len_of(EntityKind::User), 1);
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn len_of(&self, kind: EntityKind) -> usize {
        with_entity_kind!(kind, K => self.len::<K>())
    }

    /// Every live entity of kind `K`, in index order.
    ///
    /// ```
    /// use privgraph::graph::{Graph, User};
    /// let mut graph = Graph::new();
    /// let a = graph.create::<User>("a")?;
    /// assert_eq!(graph.keys::<User>(), vec![a]);
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn keys<K: Kind>(&self) -> Vec<Key<K>> {
        let slab = K::slab(self);
        slab.indices()
            .map(|i| Key::new(self.identity, i, slab.generation(i)))
            .collect()
    }

    /// Whether `key` was issued by this graph and its entity still lives. The first
    /// test of every operation that takes a key; two comparisons, no probe.
    #[inline]
    fn is_live<K: Kind>(&self, key: Key<K>) -> bool {
        key.graph == self.identity && K::slab(self).is_live(key.index, key.generation)
    }

    /// The node of a key that [`Graph::is_live`] accepts.
    #[inline]
    fn node_of<K: Kind>(&self, key: Key<K>) -> Option<&K::Node> {
        if key.graph == self.identity {
            K::slab(self).get(key.index, key.generation)
        } else {
            None
        }
    }

    /// The index of a live key of this graph, or the error every mutation answers for
    /// any other key.
    fn live<K: Kind>(&self, key: Key<K>) -> Result<u32, GraphError> {
        if self.is_live(key) {
            Ok(key.index)
        } else {
            Err(GraphError::UnknownEntity { kind: K::KIND })
        }
    }

    fn entity<K: Kind>(&self, index: u32) -> EntityRef {
        EntityRef {
            kind: K::KIND,
            id: K::node_id(K::slab(self).node(index)).to_owned(),
        }
    }

    fn member_entity(&self, member: MemberRef) -> EntityRef {
        match member.kind {
            MemberType::User => self.entity::<User>(member.index),
            MemberType::Group => self.entity::<Group>(member.index),
        }
    }

    pub(crate) fn side(&self, member: MemberRef) -> &members::MemberSide {
        match member.kind {
            MemberType::User => &self.users.node(member.index).side,
            MemberType::Group => &self.groups.node(member.index).side,
        }
    }

    pub(crate) fn side_mut(&mut self, member: MemberRef) -> &mut members::MemberSide {
        match member.kind {
            MemberType::User => &mut self.users.node_mut(member.index).side,
            MemberType::Group => &mut self.groups.node_mut(member.index).side,
        }
    }

    /// The effective privileges of live member `member` (of kind `M`) in live target
    /// `target`: a probe for users and for groups in resources, a search over ancestors
    /// for groups in groups.
    #[inline]
    fn effective_of<M: MemberKind, T: Target>(
        &self,
        member: u32,
        target: u32,
    ) -> Option<T::Privileges> {
        match M::MEMBER {
            MemberType::User => T::eff(self, target).get(member),
            MemberType::Group if T::TARGET == TargetKind::Group => {
                self.group_effective::<T>(member, target)
            }
            MemberType::Group => T::members(T::slab(self).node(target))
                .eff_groups
                .get(&member)
                .copied(),
        }
    }

    /// The keys of one link list of a resource (its shares, handles or linked
    /// harvesters/spaces); empty for an unknown key.
    fn link_keys<K: Kind<Node = ResourceNode<P>>, P, L: Kind>(
        &self,
        key: Key<K>,
        list: impl Fn(&nodes::Links) -> &Vec<u32>,
    ) -> Vec<Key<L>> {
        self.node_of(key)
            .map(|node| list(&node.links).iter().map(|&i| self.key_of(i)).collect())
            .unwrap_or_default()
    }

    fn key_of<K: Kind>(&self, index: u32) -> Key<K> {
        Key::new(self.identity, index, K::slab(self).generation(index))
    }

    // ----- entities -------------------------------------------------------------------

    fn check_new<K: Kind>(&self, id: &str) -> Result<(), GraphError> {
        check_id(K::KIND, id)?;
        if K::slab(self).contains_id(id) {
            return Err(GraphError::EntityExists {
                entity: EntityRef {
                    kind: K::KIND,
                    id: id.to_owned(),
                },
            });
        }
        Ok(())
    }

    /// Creates an entity of an [`Independent`] kind (every kind but shares and handles,
    /// which belong to other entities) with no relations. O(1) amortized.
    ///
    /// Errors: [`GraphError::InvalidId`] (empty, or over 256 bytes),
    /// [`GraphError::EntityExists`].
    ///
    /// ```
    /// use privgraph::graph::{Graph, GraphError, Cluster};
    /// let mut graph = Graph::new();
    /// graph.create::<Cluster>("c1")?;
    /// assert!(matches!(graph.create::<Cluster>("c1"), Err(GraphError::EntityExists { .. })));
    /// assert!(matches!(graph.create::<Cluster>(""), Err(GraphError::InvalidId { .. })));
    /// # Ok::<(), GraphError>(())
    /// ```
    pub fn create<K: Independent>(&mut self, id: &str) -> Result<Key<K>, GraphError> {
        self.check_new::<K>(id)?;
        let (index, generation) = K::slab_mut(self).insert(id, K::new_node(id));
        Ok(Key::new(self.identity, index, generation))
    }

    /// Creates a share of `space`. O(1) amortized.
    ///
    /// ```
    /// use privgraph::graph::{Graph, Space};
    /// let mut graph = Graph::new();
    /// let s = graph.create::<Space>("s")?;
    /// let sh = graph.create_share("sh", s)?;
    /// assert_eq!(graph.share_space(sh), Some(s));
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn create_share(&mut self, id: &str, space: Key<Space>) -> Result<Key<Share>, GraphError> {
        let s = self.live(space)?;
        self.check_new::<Share>(id)?;
        let node = ShareNode {
            id: id.into(),
            space: s,
            handle: None,
        };
        let (index, generation) = self.shares.insert(id, node);
        self.spaces.node_mut(s).links.children.push(index);
        Ok(Key::new(self.identity, index, generation))
    }

    /// Creates a handle registered in `handle_service` for `share`. O(1) amortized.
    ///
    /// Errors: unknown entities, [`GraphError::ShareHasHandle`] when the share already
    /// has one, and the id errors of [`Graph::create`].
    ///
    /// ```
    /// use privgraph::graph::{Graph, GraphError, HandleService, Space};
    /// let mut graph = Graph::new();
    /// let hs = graph.create::<HandleService>("hs")?;
    /// let s = graph.create::<Space>("s")?;
    /// let sh = graph.create_share("sh", s)?;
    /// let h = graph.create_handle("h", hs, sh)?;
    /// assert_eq!(graph.handle_service_of(h), Some(hs));
    /// assert!(matches!(graph.create_handle("h2", hs, sh), Err(GraphError::ShareHasHandle { .. })));
    /// # Ok::<(), GraphError>(())
    /// ```
    pub fn create_handle(
        &mut self,
        id: &str,
        handle_service: Key<HandleService>,
        share: Key<Share>,
    ) -> Result<Key<Handle>, GraphError> {
        let hs = self.live(handle_service)?;
        let sh = self.live(share)?;
        self.check_new::<Handle>(id)?;
        if self.shares.node(sh).handle.is_some() {
            return Err(GraphError::ShareHasHandle {
                share: self.entity::<Share>(sh),
            });
        }
        let mut node = kinds::resource_node::<HandlePrivileges>(id);
        node.links.handle_of = Some((hs, sh));
        let (index, generation) = self.handles.insert(id, node);
        self.handle_services.node_mut(hs).links.children.push(index);
        self.shares.node_mut(sh).handle = Some(index);
        Ok(Key::new(self.identity, index, generation))
    }

    /// Deletes an entity and every relation it has.
    ///
    /// Deleting a space deletes its shares and their handles; deleting a share deletes
    /// its handle; a handle service with handles is refused
    /// ([`GraphError::HandleServiceNotEmpty`]), as in Onezone. Cost: that of removing
    /// each of its direct relations (see [`Graph::remove_member`]).
    ///
    /// ```
    /// use privgraph::graph::{Graph, Group, User};
    /// use privgraph::privileges::GroupPrivileges;
    /// let mut graph = Graph::new();
    /// let (u, g) = (graph.create::<User>("u")?, graph.create::<Group>("g")?);
    /// graph.add_member(g, u, GroupPrivileges::GROUP_VIEW)?;
    /// graph.delete(g)?;
    /// assert!(graph.effective_memberships::<User, Group>(u).is_empty());
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn delete<K: Kind>(&mut self, key: Key<K>) -> Result<(), GraphError> {
        let index = self.live(key)?;
        match_kind!(K::KIND, {
            User => {
                self.delete_member(MemberRef::user(index));
                self.free::<User>(index);
            },
            Group => {
                self.clear_target::<Group>(index);
                self.delete_member(MemberRef::group(index));
                self.free::<Group>(index);
            },
            Space => self.delete_space(index),
            Share => self.delete_share(index),
            HandleService => {
                let handles = self.handle_services.node(index).links.children.len();
                if handles > 0 {
                    return Err(GraphError::HandleServiceNotEmpty {
                        handle_service: self.entity::<HandleService>(index),
                        handles,
                    });
                }
                self.clear_target::<HandleService>(index);
                self.free::<HandleService>(index);
            },
            Handle => self.delete_handle(index),
            Harvester => {
                self.clear_target::<Harvester>(index);
                for s in std::mem::take(&mut self.harvesters.node_mut(index).links.linked) {
                    self.spaces.node_mut(s).links.linked.retain(|h| *h != index);
                }
                self.free::<Harvester>(index);
            },
        }, plain T => {
            self.clear_target::<T>(index);
            self.free::<T>(index);
        });
        Ok(())
    }

    fn free<K: Kind>(&mut self, index: u32) {
        let id: Box<str> = K::node_id(K::slab(self).node(index)).into();
        K::slab_mut(self).remove(index, &id);
    }

    fn delete_space(&mut self, index: u32) {
        for share in self.spaces.node(index).links.children.clone() {
            self.delete_share(share);
        }
        for h in std::mem::take(&mut self.spaces.node_mut(index).links.linked) {
            self.harvesters
                .node_mut(h)
                .links
                .linked
                .retain(|s| *s != index);
        }
        for owner in std::mem::take(&mut self.spaces.node_mut(index).links.owners) {
            self.journal_owner_drop(index, owner);
        }
        self.clear_target::<Space>(index);
        self.free::<Space>(index);
    }

    fn delete_share(&mut self, index: u32) {
        if let Some(handle) = self.shares.node(index).handle {
            self.delete_handle(handle);
        }
        let space = self.shares.node(index).space;
        self.spaces
            .node_mut(space)
            .links
            .children
            .retain(|s| *s != index);
        self.free::<Share>(index);
    }

    fn delete_handle(&mut self, index: u32) {
        self.clear_target::<Handle>(index);
        if let Some((hs, share)) = self.handles.node(index).links.handle_of {
            self.handle_services
                .node_mut(hs)
                .links
                .children
                .retain(|h| *h != index);
            self.shares.node_mut(share).handle = None;
        }
        self.free::<Handle>(index);
    }

    /// Removes every direct member of target `t`.
    fn clear_target<T: Target>(&mut self, t: u32) {
        let members = T::members(T::slab(self).node(t));
        let users: Vec<u32> = members.users.keys().copied().collect();
        let groups: Vec<u32> = members.groups.keys().copied().collect();
        for u in users {
            self.unlink::<T>(t, MemberRef::user(u));
        }
        for g in groups {
            self.unlink::<T>(t, MemberRef::group(g));
        }
    }

    /// Removes every direct membership of `member`.
    fn delete_member(&mut self, member: MemberRef) {
        let side = self.side(member);
        let groups: Vec<u32> = side.groups.iter().copied().collect();
        let resources: Vec<TargetRef> = side.resources.iter().copied().collect();
        for g in groups {
            self.unlink::<Group>(g, member);
        }
        for r in resources {
            self.unlink_dyn(r, member);
        }
    }

    /// Runtime dispatch to the generic [`Graph::unlink`]: the one table of target kinds.
    fn unlink_dyn(&mut self, target: TargetRef, member: MemberRef) {
        kinds::with_target_kind!(target.kind, T => self.unlink::<T>(target.index, member));
    }

    // ----- relations --------------------------------------------------------------------

    /// Makes `member` a direct member of `target` with `privileges`: a user in any
    /// target, or a group in a resource. Nesting a group in a group is [`Graph::nest`],
    /// whose argument types say which group is the child; `add_member` does not compile
    /// for two groups (see [`MemberOf`]).
    ///
    /// Errors: [`GraphError::UnknownEntity`], [`GraphError::RelationExists`] (a direct
    /// relation exists; an effective-only one is fine).
    ///
    /// Cost: O(e · a), where e is 1 plus, for a group member, its effective members, and
    /// a is 1 plus the ancestor groups of `target` that they newly enter.
    ///
    /// ```
    /// use privgraph::graph::{Graph, GraphError, Group, Space, User};
    /// use privgraph::privileges::{GroupPrivileges as G, SpacePrivileges as S};
    /// let mut graph = Graph::new();
    /// let (team, s, u) = (graph.create::<Group>("team")?, graph.create::<Space>("s")?, graph.create::<User>("u")?);
    /// graph.add_member(team, u, G::GROUP_VIEW)?;
    /// graph.add_member(s, team, S::SPACE_VIEW)?;
    /// assert_eq!(graph.effective_privileges(u, s), Some(S::SPACE_VIEW));
    /// assert!(matches!(graph.add_member(s, team, S::empty()), Err(GraphError::RelationExists { .. })));
    /// # Ok::<(), GraphError>(())
    /// ```
    ///
    /// A group in a group does not compile:
    ///
    /// ```compile_fail
    /// use privgraph::graph::{Graph, Group};
    /// use privgraph::privileges::GroupPrivileges as G;
    /// let mut graph = Graph::new();
    /// let (parent, child) = (graph.create::<Group>("p")?, graph.create::<Group>("c")?);
    /// graph.add_member(parent, child, G::empty())?;
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn add_member<M: MemberOf<T>, T: Target>(
        &mut self,
        target: Key<T>,
        member: Key<M>,
        privileges: T::Privileges,
    ) -> Result<(), GraphError> {
        self.add_relation(target, member, privileges)
    }

    /// Nests `child` in `parent` with `privileges` (what the child's members hold in the
    /// parent through it): the child's effective members become effective members of
    /// the parent and of every group and resource above it.
    ///
    /// Errors: [`GraphError::UnknownEntity`], [`GraphError::RelationExists`] (the child
    /// is already a direct child), [`GraphError::RelationToSelf`],
    /// [`GraphError::NestingCycle`] (the parent is already nested, directly or not, in
    /// the child).
    ///
    /// Cost: as [`Graph::add_member`] for a group member.
    ///
    /// ```
    /// use privgraph::graph::{Child, Graph, GraphError, Group, Parent, User};
    /// use privgraph::privileges::GroupPrivileges as G;
    /// let mut graph = Graph::new();
    /// let (parent, child, u) = (graph.create::<Group>("p")?, graph.create::<Group>("c")?, graph.create::<User>("u")?);
    /// graph.add_member(child, u, G::empty())?;
    /// graph.nest(Child(child), Parent(parent), G::GROUP_VIEW)?;
    /// assert_eq!(graph.effective_privileges(u, parent), Some(G::GROUP_VIEW));
    /// assert_eq!(graph.direct_privileges(child, parent), Some(G::GROUP_VIEW));
    /// assert!(matches!(
    ///     graph.nest(Child(parent), Parent(child), G::empty()),
    ///     Err(GraphError::NestingCycle { .. })
    /// ));
    /// # Ok::<(), GraphError>(())
    /// ```
    pub fn nest(
        &mut self,
        child: Child,
        parent: Parent,
        privileges: GroupPrivileges,
    ) -> Result<(), GraphError> {
        self.add_relation(parent.0, child.0, privileges)
    }

    /// [`Graph::add_member`] and [`Graph::nest`] for any pair of kinds, for generic code
    /// inside the crate that cannot name the kinds: with two groups, `member` is nested
    /// in `target`. Public callers use the typed calls.
    pub(crate) fn add_relation<M: MemberKind, T: Target>(
        &mut self,
        target: Key<T>,
        member: Key<M>,
        privileges: T::Privileges,
    ) -> Result<(), GraphError> {
        let t = self.live(target)?;
        let m = MemberRef {
            kind: M::MEMBER,
            index: self.live(member)?,
        };
        let nesting = T::TARGET == TargetKind::Group && m.kind == MemberType::Group;
        if nesting {
            if t == m.index {
                return Err(GraphError::RelationToSelf {
                    group: self.entity::<Group>(t),
                });
            }
            if self.would_close_cycle(m.index, t) {
                return Err(GraphError::NestingCycle {
                    child: self.entity::<Group>(m.index),
                    parent: self.entity::<Group>(t),
                });
            }
        }
        let direct = T::members_mut(T::slab_mut(self).node_mut(t)).direct_mut(m.kind);
        if direct.contains_key(&m.index) {
            return Err(GraphError::RelationExists {
                child: self.member_entity(m),
                parent: self.entity::<T>(t),
            });
        }
        direct.insert(m.index, privileges);
        let side = self.side_mut(m);
        if T::TARGET == TargetKind::Group {
            side.groups.insert(t);
        } else {
            side.resources.insert(TargetRef {
                kind: T::TARGET,
                index: t,
            });
        }
        let users = self.users_reached(m);
        self.users_gain::<T>(t, &users, privileges);
        if m.kind == MemberType::Group {
            self.refresh_group_below::<T>(t, m.index);
        }
        Ok(())
    }

    /// After a direct relation of group `g` in target `t` changed: re-evaluates `g`'s
    /// effective resources (for a resource `t`, `t` itself; for a group `t`, every
    /// resource `t` belongs to) and carries changes to `g`'s descendants.
    fn refresh_group_below<T: Target>(&mut self, t: u32, g: u32) {
        if T::TARGET == TargetKind::Group {
            let resources: Vec<TargetRef> =
                self.groups.node(t).eff_resources.iter().copied().collect();
            for r in resources {
                self.refresh_groups_dyn(r, g);
            }
        } else {
            self.refresh_groups::<T>(t, g);
        }
    }

    /// Ends the direct membership of `member` (a user in any target, or a group in a
    /// resource; see [`Graph::unnest`] for groups in groups). It may stay an effective
    /// member through groups. For a user in a space this also ends its ownership.
    ///
    /// Errors: [`GraphError::UnknownEntity`], [`GraphError::RelationMissing`].
    ///
    /// Cost: as [`Graph::add_member`], plus a re-evaluation of
    /// O(min(direct groups of the target, effective groups of the member)) for each
    /// relation it visits.
    ///
    /// ```
    /// use privgraph::graph::{Graph, Group, User};
    /// use privgraph::privileges::GroupPrivileges as G;
    /// let mut graph = Graph::new();
    /// let (g, u) = (graph.create::<Group>("g")?, graph.create::<User>("u")?);
    /// graph.add_member(g, u, G::GROUP_VIEW)?;
    /// graph.remove_member(g, u)?;
    /// assert!(!graph.is_effective_member(u, g));
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn remove_member<M: MemberOf<T>, T: Target>(
        &mut self,
        target: Key<T>,
        member: Key<M>,
    ) -> Result<(), GraphError> {
        self.remove_relation(target, member)
    }

    /// Ends the nesting of `child` in `parent`; the child's members leave the parent
    /// and what is above it, unless another path keeps them there.
    ///
    /// Errors: [`GraphError::UnknownEntity`], [`GraphError::RelationMissing`] (the child
    /// is not a direct child of the parent).
    ///
    /// Cost: as [`Graph::remove_member`] for a group member.
    ///
    /// ```
    /// use privgraph::graph::{Child, Graph, GraphError, Group, Parent, User};
    /// use privgraph::privileges::GroupPrivileges as G;
    /// let mut graph = Graph::new();
    /// let (parent, child, u) = (graph.create::<Group>("p")?, graph.create::<Group>("c")?, graph.create::<User>("u")?);
    /// graph.add_member(child, u, G::empty())?;
    /// graph.nest(Child(child), Parent(parent), G::GROUP_VIEW)?;
    /// assert!(matches!(
    ///     graph.unnest(Child(parent), Parent(child)),
    ///     Err(GraphError::RelationMissing { .. })
    /// ));
    /// graph.unnest(Child(child), Parent(parent))?;
    /// assert!(!graph.is_effective_member(u, parent));
    /// # Ok::<(), GraphError>(())
    /// ```
    pub fn unnest(&mut self, child: Child, parent: Parent) -> Result<(), GraphError> {
        self.remove_relation(parent.0, child.0)
    }

    /// [`Graph::remove_member`] and [`Graph::unnest`] for any pair of kinds (see
    /// [`Graph::add_relation`]).
    pub(crate) fn remove_relation<M: MemberKind, T: Target>(
        &mut self,
        target: Key<T>,
        member: Key<M>,
    ) -> Result<(), GraphError> {
        let t = self.live(target)?;
        let m = MemberRef {
            kind: M::MEMBER,
            index: self.live(member)?,
        };
        if !T::members(T::slab(self).node(t))
            .direct(m.kind)
            .contains_key(&m.index)
        {
            return Err(GraphError::RelationMissing {
                child: self.member_entity(m),
                parent: self.entity::<T>(t),
            });
        }
        self.unlink::<T>(t, m);
        Ok(())
    }

    /// Removes an existing direct relation and updates everything it supported.
    fn unlink<T: Target>(&mut self, t: u32, m: MemberRef) {
        let node = T::slab_mut(self).node_mut(t);
        if T::members_mut(node)
            .direct_mut(m.kind)
            .remove(&m.index)
            .is_none()
        {
            return;
        }
        if m.kind == MemberType::User {
            // Onezone ends a user's ownership of a space with its direct membership.
            if T::drop_owner(node, m.index) {
                self.journal_owner_drop(t, m.index);
            }
        }
        let side = self.side_mut(m);
        if T::TARGET == TargetKind::Group {
            side.groups.remove(&t);
        } else {
            side.resources.remove(&TargetRef {
                kind: T::TARGET,
                index: t,
            });
        }
        let users = self.users_reached(m);
        let mut oz_dirty = Vec::new();
        self.users_lose::<T>(t, &users, &mut oz_dirty);
        self.recompute_user_oz(oz_dirty);
        if m.kind == MemberType::Group {
            self.refresh_group_below::<T>(t, m.index);
        }
    }

    /// Updates the direct privileges of `member` in `target` (set, or grant + revoke)
    /// and returns the new set and whether it changed: a user in any target, or a group
    /// in a resource (see [`Graph::update_nesting_privileges`] for groups in groups).
    ///
    /// Errors: [`GraphError::UnknownEntity`], [`GraphError::RelationMissing`].
    ///
    /// Cost: O(e) for granted bits, where e is 1 plus, for a group, its effective
    /// members; revoked bits add a recomputation per such member (see
    /// [`Graph::remove_member`]). No other target changes.
    ///
    /// ```
    /// use privgraph::graph::{Graph, Group, HandleService, User};
    /// use privgraph::privileges::{HandleServicePrivileges as HS, PrivilegeUpdate, GroupPrivileges};
    /// let mut graph = Graph::new();
    /// let (hs, g, u) = (graph.create::<HandleService>("hs")?, graph.create::<Group>("g")?, graph.create::<User>("u")?);
    /// graph.add_member(g, u, GroupPrivileges::empty())?;
    /// graph.add_member(hs, g, HS::HANDLE_SERVICE_VIEW)?;
    /// let update = PrivilegeUpdate::GrantRevoke { grant: HS::HANDLE_SERVICE_UPDATE, revoke: HS::HANDLE_SERVICE_VIEW };
    /// let applied = graph.update_member_privileges(hs, g, &update)?;
    /// assert_eq!(applied.privileges, HS::HANDLE_SERVICE_UPDATE);
    /// assert_eq!(graph.effective_privileges(u, hs), Some(HS::HANDLE_SERVICE_UPDATE));
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn update_member_privileges<M: MemberOf<T>, T: Target>(
        &mut self,
        target: Key<T>,
        member: Key<M>,
        update: &PrivilegeUpdate<T::Privileges>,
    ) -> Result<Applied<T::Privileges>, GraphError> {
        self.update_relation_privileges(target, member, update)
    }

    /// Updates the privileges `child` carries into `parent` (what its members hold there
    /// through it) and returns the new set and whether it changed.
    ///
    /// Errors: [`GraphError::UnknownEntity`], [`GraphError::RelationMissing`].
    ///
    /// Cost: as [`Graph::update_member_privileges`] for a group member: only the
    /// relations in `parent` change (groups above receive members, not privileges).
    ///
    /// ```
    /// use privgraph::graph::{Child, Graph, Group, Parent, User};
    /// use privgraph::privileges::{GroupPrivileges as G, PrivilegeUpdate};
    /// let mut graph = Graph::new();
    /// let (parent, child, u) = (graph.create::<Group>("p")?, graph.create::<Group>("c")?, graph.create::<User>("u")?);
    /// graph.add_member(child, u, G::empty())?;
    /// graph.nest(Child(child), Parent(parent), G::GROUP_VIEW)?;
    /// let update = PrivilegeUpdate::Set(G::GROUP_VIEW | G::GROUP_ADD_USER);
    /// let applied = graph.update_nesting_privileges(Child(child), Parent(parent), &update)?;
    /// assert!(applied.changed);
    /// assert!(graph.has_privilege(u, parent, G::GROUP_ADD_USER));
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn update_nesting_privileges(
        &mut self,
        child: Child,
        parent: Parent,
        update: &PrivilegeUpdate<GroupPrivileges>,
    ) -> Result<Applied<GroupPrivileges>, GraphError> {
        self.update_relation_privileges(parent.0, child.0, update)
    }

    /// [`Graph::update_member_privileges`] and [`Graph::update_nesting_privileges`] for
    /// any pair of kinds (see [`Graph::add_relation`]).
    pub(crate) fn update_relation_privileges<M: MemberKind, T: Target>(
        &mut self,
        target: Key<T>,
        member: Key<M>,
        update: &PrivilegeUpdate<T::Privileges>,
    ) -> Result<Applied<T::Privileges>, GraphError> {
        let t = self.live(target)?;
        let m = MemberRef {
            kind: M::MEMBER,
            index: self.live(member)?,
        };
        let direct = T::members_mut(T::slab_mut(self).node_mut(t)).direct_mut(m.kind);
        let Some(current) = direct.get_mut(&m.index) else {
            return Err(GraphError::RelationMissing {
                child: self.member_entity(m),
                parent: self.entity::<T>(t),
            });
        };
        let old = *current;
        let applied = update.apply(old);
        if !applied.changed {
            return Ok(applied);
        }
        let granted = applied.privileges.difference(old);
        let revoked = old.difference(applied.privileges);
        if m.kind == MemberType::Group && T::TARGET != TargetKind::Group {
            // Two monotone phases for the groups below: first drop, then add.
            *current = old.intersection(applied.privileges);
            self.refresh_groups::<T>(t, m.index);
        }
        let direct = T::members_mut(T::slab_mut(self).node_mut(t)).direct_mut(m.kind);
        if let Some(current) = direct.get_mut(&m.index) {
            *current = applied.privileges;
        }
        if m.kind == MemberType::Group && T::TARGET != TargetKind::Group {
            self.refresh_groups::<T>(t, m.index);
        }
        let users = self.users_reached(m);
        let eff = T::eff_mut(self, t);
        for u in &users {
            if let Some(privileges) = eff.get_mut(*u) {
                privileges.insert(granted);
            }
        }
        if !revoked.is_empty() {
            self.users_lose_privileges::<T>(t, m, revoked, &users);
        }
        Ok(applied)
    }

    /// After `revoked` was taken from the direct relation of `m` in `t`: each of
    /// `users` (those `m` reaches) keeps a revoked privilege only where another direct
    /// relation of `t` gives it, its own or that of another direct group it is in.
    ///
    /// When no other direct group of `t` gives any revoked privilege, a user keeps
    /// exactly what its own relation gives, so the users are updated in one pass
    /// without looking at their groups (the revoke on a big group: one clear per user
    /// instead of a recomputation from every source).
    fn users_lose_privileges<T: Target>(
        &mut self,
        t: u32,
        m: MemberRef,
        revoked: T::Privileges,
        users: &[u32],
    ) {
        let members = T::members(T::slab(self).node(t));
        // The one pass also visits `t`'s direct users and groups: worth it only for
        // many users (a user revoked alone is recomputed alone).
        let one_pass = users.len() > 1
            && members.users.len() <= users.len()
            && members.groups.len() <= users.len()
            && !members.groups.iter().any(|(g, p)| {
                (m.kind != MemberType::Group || *g != m.index)
                    && !p.intersection(revoked).is_empty()
            });
        if !one_pass {
            for &u in users {
                self.recompute_user::<T>(t, u);
            }
            return;
        }
        let own: SmallVec<[(u32, T::Privileges); 8]> = members
            .users
            .iter()
            .map(|(u, p)| (*u, p.intersection(revoked)))
            .filter(|(_, kept)| !kept.is_empty())
            .collect();
        let eff = T::eff_mut(self, t);
        for &u in users {
            if let Some(privileges) = eff.get_mut(u) {
                privileges.remove(revoked);
            }
        }
        for (u, kept) in own {
            if let Some(privileges) = eff.get_mut(u) {
                privileges.insert(kept);
            }
        }
    }

    /// Updates the own oz privileges of a user or group; effective oz privileges of the
    /// group's effective members follow.
    ///
    /// Errors: [`GraphError::UnknownEntity`]. Cost: O(e) to grant, O(e · g) to revoke,
    /// where e is 1 plus the group's effective members and g their effective groups.
    ///
    /// ```
    /// use privgraph::graph::{Graph, Group, User};
    /// use privgraph::privileges::{OzPrivileges as Oz, GroupPrivileges, PrivilegeUpdate};
    /// let mut graph = Graph::new();
    /// let (g, u) = (graph.create::<Group>("admins")?, graph.create::<User>("u")?);
    /// graph.add_member(g, u, GroupPrivileges::empty())?;
    /// graph.update_oz_privileges(g, &PrivilegeUpdate::Set(Oz::OZ_USERS_LIST))?;
    /// assert_eq!(graph.effective_oz_privileges(u), Some(Oz::OZ_USERS_LIST));
    /// assert_eq!(graph.oz_privileges(u), Some(Oz::empty()));
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn update_oz_privileges<M: MemberKind>(
        &mut self,
        member: Key<M>,
        update: &PrivilegeUpdate<OzPrivileges>,
    ) -> Result<Applied<OzPrivileges>, GraphError> {
        let m = MemberRef {
            kind: M::MEMBER,
            index: self.live(member)?,
        };
        let old = self.side(m).oz;
        let applied = update.apply(old);
        if !applied.changed {
            return Ok(applied);
        }
        self.side_mut(m).oz = applied.privileges;
        let users = self.users_reached(m);
        if old.difference(applied.privileges).is_empty() {
            let granted = applied.privileges.difference(old);
            for &u in &users {
                self.users.node_mut(u).eff_oz.insert(granted);
            }
        } else {
            self.recompute_user_oz(users);
        }
        Ok(applied)
    }

    /// Makes `user` an owner of `space`: it then holds every space privilege in checks,
    /// whatever its stored privileges. The user must be an effective member; ownership
    /// ends when its direct membership (or its effective membership) ends.
    ///
    /// Errors: [`GraphError::UnknownEntity`], [`GraphError::NotEffectiveMember`],
    /// [`GraphError::OwnerExists`]. O(owners).
    ///
    /// ```
    /// use privgraph::graph::{Graph, Space, User};
    /// use privgraph::privileges::SpacePrivileges as S;
    /// let mut graph = Graph::new();
    /// let (s, u) = (graph.create::<Space>("s")?, graph.create::<User>("u")?);
    /// graph.add_member(s, u, S::empty())?;
    /// graph.add_space_owner(s, u)?;
    /// assert!(graph.has_privilege(u, s, S::SPACE_DELETE));
    /// assert_eq!(graph.effective_privileges(u, s), Some(S::empty()));
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn add_space_owner(
        &mut self,
        space: Key<Space>,
        user: Key<User>,
    ) -> Result<(), GraphError> {
        let s = self.live(space)?;
        let u = self.live(user)?;
        let node = self.spaces.node(s);
        if !self.spaces.hot(s).contains(u) {
            return Err(GraphError::NotEffectiveMember {
                user: self.entity::<User>(u),
                space: self.entity::<Space>(s),
            });
        }
        if node.links.owners.contains(&u) {
            return Err(GraphError::OwnerExists {
                user: self.entity::<User>(u),
                space: self.entity::<Space>(s),
            });
        }
        self.spaces.node_mut(s).links.owners.push(u);
        Ok(())
    }

    /// Ends `user`'s ownership of `space` (its membership stays).
    ///
    /// Errors: [`GraphError::UnknownEntity`], [`GraphError::NotOwner`]. O(owners).
    ///
    /// ```
    /// use privgraph::graph::{Graph, GraphError, Space, User};
    /// use privgraph::privileges::SpacePrivileges as S;
    /// let mut graph = Graph::new();
    /// let (s, u) = (graph.create::<Space>("s")?, graph.create::<User>("u")?);
    /// assert!(matches!(graph.remove_space_owner(s, u), Err(GraphError::NotOwner { .. })));
    /// # Ok::<(), GraphError>(())
    /// ```
    pub fn remove_space_owner(
        &mut self,
        space: Key<Space>,
        user: Key<User>,
    ) -> Result<(), GraphError> {
        let s = self.live(space)?;
        let u = self.live(user)?;
        if !self.spaces.node(s).links.owners.contains(&u) {
            return Err(GraphError::NotOwner {
                user: self.entity::<User>(u),
                space: self.entity::<Space>(s),
            });
        }
        self.spaces.node_mut(s).links.owners.retain(|o| *o != u);
        Ok(())
    }

    /// Links a harvester to a space (a link without privileges: nobody gains anything).
    ///
    /// Errors: [`GraphError::UnknownEntity`], [`GraphError::RelationExists`]. O(links).
    ///
    /// ```
    /// use privgraph::graph::{Graph, Harvester, Space};
    /// let mut graph = Graph::new();
    /// let (h, s) = (graph.create::<Harvester>("h")?, graph.create::<Space>("s")?);
    /// graph.link_harvester_space(h, s)?;
    /// assert_eq!(graph.harvester_spaces(h), vec![s]);
    /// assert_eq!(graph.space_harvesters(s), vec![h]);
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn link_harvester_space(
        &mut self,
        harvester: Key<Harvester>,
        space: Key<Space>,
    ) -> Result<(), GraphError> {
        let h = self.live(harvester)?;
        let s = self.live(space)?;
        if self.harvesters.node(h).links.linked.contains(&s) {
            return Err(GraphError::RelationExists {
                child: self.entity::<Harvester>(h),
                parent: self.entity::<Space>(s),
            });
        }
        self.harvesters.node_mut(h).links.linked.push(s);
        self.spaces.node_mut(s).links.linked.push(h);
        Ok(())
    }

    /// Whether a harvester and a space are linked. O(links), allocation-free.
    ///
    /// ```
    /// use privgraph::graph::{Graph, Harvester, Space};
    /// let mut graph = Graph::new();
    /// let (h, s) = (graph.create::<Harvester>("h")?, graph.create::<Space>("s")?);
    /// assert!(!graph.is_harvester_linked(h, s));
    /// graph.link_harvester_space(h, s)?;
    /// assert!(graph.is_harvester_linked(h, s));
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn is_harvester_linked(&self, harvester: Key<Harvester>, space: Key<Space>) -> bool {
        self.is_live(space)
            && self
                .node_of(harvester)
                .is_some_and(|node| node.links.linked.contains(&space.index))
    }

    /// Removes a harvester ↔ space link.
    ///
    /// Errors: [`GraphError::UnknownEntity`], [`GraphError::RelationMissing`]. O(links).
    ///
    /// ```
    /// use privgraph::graph::{Graph, GraphError, Harvester, Space};
    /// let mut graph = Graph::new();
    /// let (h, s) = (graph.create::<Harvester>("h")?, graph.create::<Space>("s")?);
    /// assert!(matches!(graph.unlink_harvester_space(h, s), Err(GraphError::RelationMissing { .. })));
    /// # Ok::<(), GraphError>(())
    /// ```
    pub fn unlink_harvester_space(
        &mut self,
        harvester: Key<Harvester>,
        space: Key<Space>,
    ) -> Result<(), GraphError> {
        let h = self.live(harvester)?;
        let s = self.live(space)?;
        if !self.harvesters.node(h).links.linked.contains(&s) {
            return Err(GraphError::RelationMissing {
                child: self.entity::<Harvester>(h),
                parent: self.entity::<Space>(s),
            });
        }
        self.harvesters.node_mut(h).links.linked.retain(|x| *x != s);
        self.spaces.node_mut(s).links.linked.retain(|x| *x != h);
        Ok(())
    }

    // ----- checks (the hot path) ------------------------------------------------------

    /// Whether `member` holds every privilege of `privileges` effectively in `target`
    /// (space owners hold all space privileges). An empty `privileges` asks for
    /// effective membership. False for unknown keys.
    ///
    /// O(1), allocation-free: for each key an identity and a generation comparison, then
    /// one hash-map probe.
    ///
    /// ```
    /// use privgraph::graph::{Graph, Group, User};
    /// use privgraph::privileges::GroupPrivileges as G;
    /// let mut graph = Graph::new();
    /// let (g, u) = (graph.create::<Group>("g")?, graph.create::<User>("u")?);
    /// graph.add_member(g, u, G::GROUP_VIEW)?;
    /// assert!(graph.has_privilege(u, g, G::GROUP_VIEW));
    /// assert!(!graph.has_privilege(u, g, G::GROUP_VIEW | G::GROUP_UPDATE));
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    #[inline]
    pub fn has_privilege<M: MemberKind, T: Target>(
        &self,
        member: Key<M>,
        target: Key<T>,
        privileges: T::Privileges,
    ) -> bool {
        self.is_live(target)
            && self.is_live(member)
            && self.holds::<M, T>(member.index, target.index, privileges)
    }

    /// The check itself, on live indices: one probe (plus the owner list for spaces).
    #[inline]
    fn holds<M: MemberKind, T: Target>(
        &self,
        member: u32,
        target: u32,
        privileges: T::Privileges,
    ) -> bool {
        self.effective_of::<M, T>(member, target)
            .is_some_and(|held| held.contains(privileges))
            // Only spaces have owners; both conditions are constants, so other kinds pay
            // nothing for this on a miss.
            || (M::MEMBER == MemberType::User
                && T::TARGET == TargetKind::Space
                && T::is_owner(T::slab(self).node(target), member))
    }

    /// [`Graph::has_privilege`] by external ids; the target kind follows from the
    /// vocabulary of `privileges`. Allocation-free: two id probes by hash and one check;
    /// the ids' bytes are compared with the stored ones only to confirm a yes.
    ///
    /// ```
    /// use privgraph::graph::{Graph, Handle, HandleService, Space, User};
    /// use privgraph::privileges::HandlePrivileges as H;
    /// let mut graph = Graph::new();
    /// let (hs, s, u) = (graph.create::<HandleService>("hs")?, graph.create::<Space>("s")?, graph.create::<User>("u")?);
    /// let sh = graph.create_share("sh", s)?;
    /// let h = graph.create_handle("h", hs, sh)?;
    /// graph.add_member(h, u, H::HANDLE_VIEW)?;
    /// assert!(graph.has_privilege_by_id::<User, _>("u", "h", H::HANDLE_VIEW));
    /// assert!(!graph.has_privilege_by_id::<User, _>("nobody", "h", H::HANDLE_VIEW));
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    #[inline]
    pub fn has_privilege_by_id<M: MemberKind, P: TargetVocabulary>(
        &self,
        member: &str,
        target: &str,
        privileges: P,
    ) -> bool {
        // Indices straight from the id index are live: no generation checks needed. A
        // candidate is the id's index if the id is in the graph, and if it is not, the
        // answer is false whatever the candidate holds: so only a yes compares the ids
        // with those stored, after the check instead of before it.
        let (members, targets) = (M::slab(self), P::Target::slab(self));
        match (members.candidate(member), targets.candidate(target)) {
            (Some(m), Some(t)) => {
                self.holds::<M, P::Target>(m.index, t.index, privileges)
                    && members.confirms(m, member)
                    && targets.confirms(t, target)
            }
            _ => false,
        }
    }

    /// Whether `member` is an effective member of `target` (directly or through groups;
    /// for a group target and a group member: an effective child). O(1).
    ///
    /// ```
    /// use privgraph::graph::{Graph, Group, User};
    /// use privgraph::privileges::GroupPrivileges as G;
    /// let mut graph = Graph::new();
    /// let (g, u) = (graph.create::<Group>("g")?, graph.create::<User>("u")?);
    /// graph.add_member(g, u, G::empty())?;
    /// assert!(graph.is_effective_member(u, g));
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    #[inline]
    pub fn is_effective_member<M: MemberKind, T: Target>(
        &self,
        member: Key<M>,
        target: Key<T>,
    ) -> bool {
        self.effective_privileges(member, target).is_some()
    }

    /// The effective privileges of `member` in `target` as stored (a space owner's
    /// implicit privileges are not added, as in Onezone's answers), or `None` when it is
    /// not an effective member. O(1), allocation-free.
    ///
    /// ```
    /// use privgraph::graph::{Graph, Group, User};
    /// use privgraph::privileges::GroupPrivileges as G;
    /// let mut graph = Graph::new();
    /// let (g, u) = (graph.create::<Group>("g")?, graph.create::<User>("u")?);
    /// assert_eq!(graph.effective_privileges(u, g), None);
    /// graph.add_member(g, u, G::empty())?;
    /// assert_eq!(graph.effective_privileges(u, g), Some(G::empty()));
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    #[inline]
    pub fn effective_privileges<M: MemberKind, T: Target>(
        &self,
        member: Key<M>,
        target: Key<T>,
    ) -> Option<T::Privileges> {
        if !self.is_live(target) || !self.is_live(member) {
            return None;
        }
        self.effective_of::<M, T>(member.index, target.index)
    }

    /// The direct privileges of `member` in `target`, or `None` when it is not a direct
    /// member. O(1).
    ///
    /// ```
    /// use privgraph::graph::{Graph, Cluster, User};
    /// use privgraph::privileges::ClusterPrivileges as C;
    /// let mut graph = Graph::new();
    /// let (c, u) = (graph.create::<Cluster>("c")?, graph.create::<User>("u")?);
    /// graph.add_member(c, u, C::CLUSTER_VIEW)?;
    /// assert_eq!(graph.direct_privileges(u, c), Some(C::CLUSTER_VIEW));
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn direct_privileges<M: MemberKind, T: Target>(
        &self,
        member: Key<M>,
        target: Key<T>,
    ) -> Option<T::Privileges> {
        let node = self.node_of(target)?;
        if !self.is_live(member) {
            return None;
        }
        T::members(node)
            .direct(M::MEMBER)
            .get(&member.index)
            .copied()
    }

    // ----- lists ----------------------------------------------------------------------

    /// The direct members of kind `M` of `target` (users, or groups = direct children
    /// for a group target), in no particular order; empty for an unknown target.
    /// O(result).
    ///
    /// ```
    /// use privgraph::graph::{Graph, Group, User};
    /// use privgraph::privileges::GroupPrivileges as G;
    /// let mut graph = Graph::new();
    /// let (g, u) = (graph.create::<Group>("g")?, graph.create::<User>("u")?);
    /// graph.add_member(g, u, G::empty())?;
    /// assert_eq!(graph.direct_members::<User, Group>(g), vec![u]);
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn direct_members<M: MemberKind, T: Target>(&self, target: Key<T>) -> Vec<Key<M>> {
        match self.node_of(target) {
            Some(node) => T::members(node)
                .direct(M::MEMBER)
                .keys()
                .map(|&i| self.key_of::<M>(i))
                .collect(),
            None => Vec::new(),
        }
    }

    /// The effective members of kind `M` of `target`, direct ones included (for a group
    /// target and group members: its effective children). O(result).
    ///
    /// ```
    /// use privgraph::graph::{Child, Graph, Group, Parent, User};
    /// use privgraph::privileges::GroupPrivileges as G;
    /// let mut graph = Graph::new();
    /// let (p, c, u) = (graph.create::<Group>("p")?, graph.create::<Group>("c")?, graph.create::<User>("u")?);
    /// graph.add_member(c, u, G::empty())?;
    /// graph.nest(Child(c), Parent(p), G::empty())?;
    /// assert_eq!(graph.effective_members::<User, Group>(p), vec![u]);
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn effective_members<M: MemberKind, T: Target>(&self, target: Key<T>) -> Vec<Key<M>> {
        let Some(node) = self.node_of(target) else {
            return Vec::new();
        };
        let indices: Vec<u32> = match M::MEMBER {
            MemberType::User => T::eff(self, target.index).keys().collect(),
            MemberType::Group if T::TARGET == TargetKind::Group => {
                self.descendants(target.index).into_iter().collect()
            }
            MemberType::Group => T::members(node).eff_groups.keys().copied().collect(),
        };
        indices.into_iter().map(|i| self.key_of::<M>(i)).collect()
    }

    /// The targets of kind `T` that `member` is a direct member of (for `T = Group` and
    /// a group member: its direct parents). O(direct memberships).
    ///
    /// ```
    /// use privgraph::graph::{Graph, Space, User};
    /// use privgraph::privileges::SpacePrivileges as S;
    /// let mut graph = Graph::new();
    /// let (s, u) = (graph.create::<Space>("s")?, graph.create::<User>("u")?);
    /// graph.add_member(s, u, S::SPACE_VIEW)?;
    /// assert_eq!(graph.memberships::<User, Space>(u), vec![s]);
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn memberships<M: MemberKind, T: Target>(&self, member: Key<M>) -> Vec<Key<T>> {
        let Some(node) = self.node_of(member) else {
            return Vec::new();
        };
        let side = M::member_side(node);
        if T::TARGET == TargetKind::Group {
            side.groups.iter().map(|&g| self.key_of::<T>(g)).collect()
        } else {
            side.resources
                .iter()
                .filter(|r| r.kind == T::TARGET)
                .map(|r| self.key_of::<T>(r.index))
                .collect()
        }
    }

    /// The targets of kind `T` that `member` is an effective member of: its direct ones
    /// and those of every group it belongs to effectively (for `T = Group` and a group
    /// member: its effective parents). Computed by a search: O(effective groups ·
    /// their direct memberships).
    ///
    /// ```
    /// use privgraph::graph::{Graph, Group, HandleService, User};
    /// use privgraph::privileges::{GroupPrivileges as G, HandleServicePrivileges as HS};
    /// let mut graph = Graph::new();
    /// let (g, u, hs) = (graph.create::<Group>("g")?, graph.create::<User>("u")?, graph.create::<HandleService>("hs")?);
    /// graph.add_member(g, u, G::empty())?;
    /// graph.add_member(hs, g, HS::empty())?;
    /// assert_eq!(graph.effective_memberships::<User, HandleService>(u), vec![hs]);
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn effective_memberships<M: MemberKind, T: Target>(&self, member: Key<M>) -> Vec<Key<T>> {
        if !self.is_live(member) {
            return Vec::new();
        }
        let x = member.index;
        let indices: Vec<u32> = match (M::MEMBER, T::TARGET) {
            (MemberType::User, TargetKind::Group) => {
                self.users.node(x).eff_groups.iter().copied().collect()
            }
            (MemberType::User, _) => {
                let user = self.users.node(x);
                let mut found: slab::IndexSet = user
                    .side
                    .resources
                    .iter()
                    .filter(|r| r.kind == T::TARGET)
                    .map(|r| r.index)
                    .collect();
                for &g in &user.eff_groups {
                    found.extend(
                        self.groups
                            .node(g)
                            .side
                            .resources
                            .iter()
                            .filter(|r| r.kind == T::TARGET)
                            .map(|r| r.index),
                    );
                }
                found.into_iter().collect()
            }
            (MemberType::Group, TargetKind::Group) => self.ancestors(x).into_iter().collect(),
            (MemberType::Group, _) => self
                .groups
                .node(x)
                .eff_resources
                .iter()
                .filter(|r| r.kind == T::TARGET)
                .map(|r| r.index)
                .collect(),
        };
        indices.into_iter().map(|t| self.key_of::<T>(t)).collect()
    }

    /// The own oz privileges of a user or group (`None` for an unknown key). O(1).
    ///
    /// ```
    /// use privgraph::graph::{Graph, User};
    /// use privgraph::privileges::{OzPrivileges as Oz, PrivilegeUpdate};
    /// let mut graph = Graph::new();
    /// let u = graph.create::<User>("u")?;
    /// graph.update_oz_privileges(u, &PrivilegeUpdate::Set(Oz::OZ_USERS_VIEW))?;
    /// assert_eq!(graph.oz_privileges(u), Some(Oz::OZ_USERS_VIEW));
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn oz_privileges<M: MemberKind>(&self, member: Key<M>) -> Option<OzPrivileges> {
        self.node_of(member).map(|node| M::member_side(node).oz)
    }

    /// Own oz privileges ∪ those of every group the member belongs to effectively (for a
    /// group: of every effective parent). O(1) for users; for groups a search over
    /// ancestors. Allocation-free after the first call on a thread.
    ///
    /// ```
    /// use privgraph::graph::{Graph, User};
    /// let mut graph = Graph::new();
    /// let u = graph.create::<User>("u")?;
    /// assert!(graph.effective_oz_privileges(u).unwrap().is_empty());
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    #[inline]
    pub fn effective_oz_privileges<M: MemberKind>(&self, member: Key<M>) -> Option<OzPrivileges> {
        if !self.is_live(member) {
            return None;
        }
        Some(match M::MEMBER {
            MemberType::User => self.users.node(member.index).eff_oz,
            MemberType::Group => self.group_effective_oz(member.index),
        })
    }

    /// Whether the user holds every oz privilege of `privileges` effectively. O(1).
    ///
    /// ```
    /// use privgraph::graph::{Graph, User};
    /// use privgraph::privileges::OzPrivileges as Oz;
    /// let mut graph = Graph::new();
    /// let u = graph.create::<User>("u")?;
    /// assert!(!graph.has_oz_privilege(u, Oz::OZ_GROUPS_VIEW));
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    #[inline]
    pub fn has_oz_privilege<M: MemberKind>(
        &self,
        member: Key<M>,
        privileges: OzPrivileges,
    ) -> bool {
        self.effective_oz_privileges(member)
            .is_some_and(|eff| eff.contains(privileges))
    }

    // ----- entity links ---------------------------------------------------------------

    /// The owners of a space. O(owners).
    ///
    /// ```
    /// use privgraph::graph::{Graph, Space};
    /// let mut graph = Graph::new();
    /// let s = graph.create::<Space>("s")?;
    /// assert!(graph.space_owners(s).is_empty());
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn space_owners(&self, space: Key<Space>) -> Vec<Key<User>> {
        self.node_of(space)
            .map(|node| node.links.owners.iter().map(|&u| self.key_of(u)).collect())
            .unwrap_or_default()
    }

    /// Whether `user` owns `space`. O(owners).
    ///
    /// ```
    /// use privgraph::graph::{Graph, Space, User};
    /// let mut graph = Graph::new();
    /// let (s, u) = (graph.create::<Space>("s")?, graph.create::<User>("u")?);
    /// assert!(!graph.is_space_owner(s, u));
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn is_space_owner(&self, space: Key<Space>, user: Key<User>) -> bool {
        self.is_live(user)
            && self
                .node_of(space)
                .is_some_and(|node| node.links.owners.contains(&user.index))
    }

    /// The shares of a space.
    ///
    /// ```
    /// use privgraph::graph::{Graph, Space};
    /// let mut graph = Graph::new();
    /// let s = graph.create::<Space>("s")?;
    /// let sh = graph.create_share("sh", s)?;
    /// assert_eq!(graph.space_shares(s), vec![sh]);
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn space_shares(&self, space: Key<Space>) -> Vec<Key<Share>> {
        self.link_keys(space, |links| &links.children)
    }

    /// The space a share belongs to.
    ///
    /// ```
    /// use privgraph::graph::{Graph, Space};
    /// let mut graph = Graph::new();
    /// let s = graph.create::<Space>("s")?;
    /// let sh = graph.create_share("sh", s)?;
    /// assert_eq!(graph.share_space(sh), Some(s));
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn share_space(&self, share: Key<Share>) -> Option<Key<Space>> {
        self.node_of(share).map(|node| self.key_of(node.space))
    }

    /// The handle of a share, if it has one.
    ///
    /// ```
    /// use privgraph::graph::{Graph, Space};
    /// let mut graph = Graph::new();
    /// let s = graph.create::<Space>("s")?;
    /// let sh = graph.create_share("sh", s)?;
    /// assert_eq!(graph.share_handle(sh), None);
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn share_handle(&self, share: Key<Share>) -> Option<Key<Handle>> {
        self.node_of(share)
            .and_then(|node| node.handle)
            .map(|h| self.key_of(h))
    }

    /// The handles registered in a handle service.
    ///
    /// ```
    /// use privgraph::graph::{Graph, HandleService};
    /// let mut graph = Graph::new();
    /// let hs = graph.create::<HandleService>("hs")?;
    /// assert!(graph.handle_service_handles(hs).is_empty());
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn handle_service_handles(&self, handle_service: Key<HandleService>) -> Vec<Key<Handle>> {
        self.link_keys(handle_service, |links| &links.children)
    }

    /// The handle service a handle is registered in.
    ///
    /// ```
    /// use privgraph::graph::{Graph, HandleService, Space};
    /// let mut graph = Graph::new();
    /// let hs = graph.create::<HandleService>("hs")?;
    /// let s = graph.create::<Space>("s")?;
    /// let sh = graph.create_share("sh", s)?;
    /// let h = graph.create_handle("h", hs, sh)?;
    /// assert_eq!(graph.handle_service_of(h), Some(hs));
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn handle_service_of(&self, handle: Key<Handle>) -> Option<Key<HandleService>> {
        self.node_of(handle)
            .and_then(|node| node.links.handle_of)
            .map(|(hs, _)| self.key_of(hs))
    }

    /// The share a handle refers to.
    ///
    /// ```
    /// use privgraph::graph::{Graph, HandleService, Space};
    /// let mut graph = Graph::new();
    /// let hs = graph.create::<HandleService>("hs")?;
    /// let s = graph.create::<Space>("s")?;
    /// let sh = graph.create_share("sh", s)?;
    /// let h = graph.create_handle("h", hs, sh)?;
    /// assert_eq!(graph.handle_share(h), Some(sh));
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn handle_share(&self, handle: Key<Handle>) -> Option<Key<Share>> {
        self.node_of(handle)
            .and_then(|node| node.links.handle_of)
            .map(|(_, share)| self.key_of(share))
    }

    /// The spaces a harvester is linked to.
    ///
    /// ```
    /// use privgraph::graph::{Graph, Harvester};
    /// let mut graph = Graph::new();
    /// let h = graph.create::<Harvester>("h")?;
    /// assert!(graph.harvester_spaces(h).is_empty());
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn harvester_spaces(&self, harvester: Key<Harvester>) -> Vec<Key<Space>> {
        self.link_keys(harvester, |links| &links.linked)
    }

    /// The harvesters a space is linked to.
    ///
    /// ```
    /// use privgraph::graph::{Graph, Space};
    /// let mut graph = Graph::new();
    /// let s = graph.create::<Space>("s")?;
    /// assert!(graph.space_harvesters(s).is_empty());
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn space_harvesters(&self, space: Key<Space>) -> Vec<Key<Harvester>> {
        self.link_keys(space, |links| &links.linked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privileges::GroupPrivileges as G;

    /// The two copies concurrent readers keep: the same mutations applied to both leave
    /// them with one layout, so a key issued by either works on both.
    #[test]
    fn a_duplicate_keeps_the_identity_and_the_keys() -> Result<(), GraphError> {
        let mut graph = Graph::new();
        let alice = graph.create::<User>("alice")?;
        let team = graph.create::<Group>("team")?;
        graph.add_member(team, alice, G::GROUP_VIEW)?;

        let mut copy = graph.duplicate();
        assert_eq!(copy.id(alice), Some("alice"));
        assert!(copy.has_privilege(alice, team, G::GROUP_VIEW));
        assert_eq!(copy.key::<User>("alice"), Some(alice));

        // One more step on both: keys issued by either copy name the same entity in both.
        let bob_here = graph.create::<User>("bob")?;
        let bob_there = copy.create::<User>("bob")?;
        assert_eq!(bob_here, bob_there);
        copy.add_member(team, bob_here, G::GROUP_UPDATE)?;
        graph.add_member(team, bob_there, G::GROUP_UPDATE)?;
        assert!(graph.has_privilege(bob_there, team, G::GROUP_UPDATE));
        assert!(copy.has_privilege(bob_here, team, G::GROUP_UPDATE));

        // The public clone is another graph.
        let clone = graph.clone();
        assert_eq!(clone.id(alice), None);
        assert_ne!(clone.key::<User>("alice"), Some(alice));
        assert_eq!(
            clone.duplicate().key::<User>("bob"),
            clone.key::<User>("bob")
        );
        Ok(())
    }
}
