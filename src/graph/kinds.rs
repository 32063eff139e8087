//! Entity kinds as types, and the keys that name entities inside a [`Graph`].

use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::privileges::{
    AtmInventoryPrivileges, ClusterPrivileges, GroupPrivileges, HandlePrivileges,
    HandleServicePrivileges, HarvesterPrivileges, Privileges, SpacePrivileges, Vocabulary,
};

use super::Graph;
use super::members::{EffUsers, Members};
use super::slab::Slab;

/// The nine kinds of entity a [`Graph`] holds.
///
/// ```
/// use privgraph::graph::EntityKind;
/// assert_eq!(EntityKind::HandleService.as_str(), "handle_service");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EntityKind {
    /// A user.
    User,
    /// A group (groups nest: a group is a member of its parent groups).
    Group,
    /// A space.
    Space,
    /// A share; it belongs to exactly one space and has no members.
    Share,
    /// A handle service.
    HandleService,
    /// A handle; it belongs to one handle service and refers to one share.
    Handle,
    /// A harvester (also linked to spaces, without privileges).
    Harvester,
    /// A cluster.
    Cluster,
    /// An automation inventory.
    AtmInventory,
}

/// What differs between entity kinds in names: one row per kind, read by every layer
/// (routes, answers, errors, snapshots, the CLI), so a kind's names live in one place.
///
/// ```
/// use privgraph::graph::EntityKind;
/// let row = EntityKind::HandleService.info();
/// assert_eq!((row.name, row.plural, row.section), ("handle_service", "handle_services", "handleServices"));
/// assert_eq!((row.record, row.relation_type, row.flag), ("od_handle_service", "handleService", "handle-service"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindInfo {
    /// Snake-case name, as in Onezone's `od_*` record names without the prefix; also the
    /// `type` of a direct ("self") intermediary and the kind in change batches.
    pub name: &'static str,
    /// The plural: the REST path segment (`/handle_services`) and the key of id lists
    /// in answers (`{"handle_services": [...]}`).
    pub plural: &'static str,
    /// The snapshot's top-level key that declares entities of the kind.
    pub section: &'static str,
    /// Onezone's record name (`od_space`), used by `relationDoesNotExist` details.
    pub record: &'static str,
    /// The `childType` / `parentType` name in `relationAlreadyExists` details.
    pub relation_type: &'static str,
    /// The CLI flag naming an entity of the kind (`--handle-service ID`).
    pub flag: &'static str,
}

const fn row(
    name: &'static str,
    plural: &'static str,
    section: &'static str,
    record: &'static str,
    relation_type: &'static str,
    flag: &'static str,
) -> KindInfo {
    KindInfo {
        name,
        plural,
        section,
        record,
        relation_type,
        flag,
    }
}

impl EntityKind {
    /// Every kind, in declaration order.
    pub const ALL: [EntityKind; 9] = [
        EntityKind::User,
        EntityKind::Group,
        EntityKind::Space,
        EntityKind::Share,
        EntityKind::HandleService,
        EntityKind::Handle,
        EntityKind::Harvester,
        EntityKind::Cluster,
        EntityKind::AtmInventory,
    ];

    /// The kind's names (see [`KindInfo`]): the one table of per-kind names.
    pub const fn info(self) -> &'static KindInfo {
        match self {
            EntityKind::User => &const { row("user", "users", "users", "od_user", "user", "user") },
            EntityKind::Group => {
                &const { row("group", "groups", "groups", "od_group", "group", "group") }
            }
            EntityKind::Space => {
                &const { row("space", "spaces", "spaces", "od_space", "space", "space") }
            }
            EntityKind::Share => {
                &const { row("share", "shares", "shares", "od_share", "share", "share") }
            }
            EntityKind::HandleService => {
                &const {
                    row(
                        "handle_service",
                        "handle_services",
                        "handleServices",
                        "od_handle_service",
                        "handleService",
                        "handle-service",
                    )
                }
            }
            EntityKind::Handle => {
                &const {
                    row(
                        "handle",
                        "handles",
                        "handles",
                        "od_handle",
                        "handle",
                        "handle",
                    )
                }
            }
            EntityKind::Harvester => {
                &const {
                    row(
                        "harvester",
                        "harvesters",
                        "harvesters",
                        "od_harvester",
                        "harvester",
                        "harvester",
                    )
                }
            }
            EntityKind::Cluster => {
                &const {
                    row(
                        "cluster",
                        "clusters",
                        "clusters",
                        "od_cluster",
                        "cluster",
                        "cluster",
                    )
                }
            }
            EntityKind::AtmInventory => {
                &const {
                    row(
                        "atm_inventory",
                        "atm_inventories",
                        "atmInventories",
                        "od_atm_inventory",
                        "atm_inventory",
                        "atm-inventory",
                    )
                }
            }
        }
    }

    /// Snake-case name (see [`KindInfo::name`]).
    ///
    /// ```
    /// use privgraph::graph::EntityKind;
    /// assert_eq!(EntityKind::AtmInventory.as_str(), "atm_inventory");
    /// ```
    pub const fn as_str(self) -> &'static str {
        self.info().name
    }

    /// The kind called `name` (its snake-case name).
    ///
    /// ```
    /// use privgraph::graph::EntityKind;
    /// assert_eq!(EntityKind::from_name("handle"), Some(EntityKind::Handle));
    /// assert_eq!(EntityKind::from_name("od_handle"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<EntityKind> {
        EntityKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The kind as a target kind, when entities of it have members.
    ///
    /// ```
    /// use privgraph::graph::{EntityKind, TargetKind};
    /// assert_eq!(EntityKind::Space.target(), Some(TargetKind::Space));
    /// assert_eq!(EntityKind::Share.target(), None);
    /// ```
    pub const fn target(self) -> Option<TargetKind> {
        Some(match self {
            EntityKind::Group => TargetKind::Group,
            EntityKind::Space => TargetKind::Space,
            EntityKind::HandleService => TargetKind::HandleService,
            EntityKind::Handle => TargetKind::Handle,
            EntityKind::Harvester => TargetKind::Harvester,
            EntityKind::Cluster => TargetKind::Cluster,
            EntityKind::AtmInventory => TargetKind::AtmInventory,
            EntityKind::User | EntityKind::Share => return None,
        })
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The seven kinds that have members holding privileges (every kind but users and
/// shares).
///
/// ```
/// use privgraph::graph::{EntityKind, TargetKind};
/// assert_eq!(TargetKind::ALL.len(), 7);
/// assert_eq!(EntityKind::from(TargetKind::Space), EntityKind::Space);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TargetKind {
    /// Groups (members: users and child groups).
    Group,
    /// Spaces.
    Space,
    /// Handle services.
    HandleService,
    /// Handles.
    Handle,
    /// Harvesters.
    Harvester,
    /// Clusters.
    Cluster,
    /// Automation inventories.
    AtmInventory,
}

impl TargetKind {
    /// Every target kind.
    pub const ALL: [TargetKind; 7] = [
        TargetKind::Group,
        TargetKind::Space,
        TargetKind::HandleService,
        TargetKind::Handle,
        TargetKind::Harvester,
        TargetKind::Cluster,
        TargetKind::AtmInventory,
    ];
}

impl TargetKind {
    /// The kind's names (see [`KindInfo`]).
    pub const fn info(self) -> &'static KindInfo {
        self.entity().info()
    }

    /// Snake-case name.
    ///
    /// ```
    /// use privgraph::graph::TargetKind;
    /// assert_eq!(TargetKind::HandleService.as_str(), "handle_service");
    /// ```
    pub const fn as_str(self) -> &'static str {
        self.info().name
    }

    /// The kind called `name` (its snake-case name).
    ///
    /// ```
    /// use privgraph::graph::TargetKind;
    /// assert_eq!(TargetKind::from_name("cluster"), Some(TargetKind::Cluster));
    /// assert_eq!(TargetKind::from_name("user"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<TargetKind> {
        TargetKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The vocabulary members hold in entities of this kind.
    ///
    /// ```
    /// use privgraph::graph::TargetKind;
    /// use privgraph::privileges::Vocabulary;
    /// assert_eq!(TargetKind::Handle.vocabulary(), Vocabulary::Handle);
    /// ```
    pub const fn vocabulary(self) -> Vocabulary {
        match self {
            TargetKind::Group => Vocabulary::Group,
            TargetKind::Space => Vocabulary::Space,
            TargetKind::HandleService => Vocabulary::HandleService,
            TargetKind::Handle => Vocabulary::Handle,
            TargetKind::Harvester => Vocabulary::Harvester,
            TargetKind::Cluster => Vocabulary::Cluster,
            TargetKind::AtmInventory => Vocabulary::AtmInventory,
        }
    }

    /// The kind as an entity kind.
    pub const fn entity(self) -> EntityKind {
        match self {
            TargetKind::Group => EntityKind::Group,
            TargetKind::Space => EntityKind::Space,
            TargetKind::HandleService => EntityKind::HandleService,
            TargetKind::Handle => EntityKind::Handle,
            TargetKind::Harvester => EntityKind::Harvester,
            TargetKind::Cluster => EntityKind::Cluster,
            TargetKind::AtmInventory => EntityKind::AtmInventory,
        }
    }
}

impl fmt::Display for TargetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<TargetKind> for EntityKind {
    fn from(kind: TargetKind) -> EntityKind {
        kind.entity()
    }
}

impl MemberType {
    /// `user` or `group`.
    ///
    /// ```
    /// use privgraph::graph::MemberType;
    /// assert_eq!(MemberType::Group.as_str(), "group");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            MemberType::User => "user",
            MemberType::Group => "group",
        }
    }

    /// The member type called `name`.
    ///
    /// ```
    /// use privgraph::graph::MemberType;
    /// assert_eq!(MemberType::from_name("user"), Some(MemberType::User));
    /// ```
    pub fn from_name(name: &str) -> Option<MemberType> {
        [MemberType::User, MemberType::Group]
            .into_iter()
            .find(|m| m.as_str() == name)
    }

    /// The member type as an entity kind.
    pub const fn entity(self) -> EntityKind {
        match self {
            MemberType::User => EntityKind::User,
            MemberType::Group => EntityKind::Group,
        }
    }
}

impl fmt::Display for MemberType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Runs `$body` with `$T` bound to the marker type of the [`TargetKind`] `$kind`: the
/// one table from runtime target kinds to generic code, shared by every layer.
macro_rules! with_target_kind {
    ($kind:expr, $T:ident => $body:expr) => {
        match $kind {
            $crate::graph::TargetKind::Group => {
                type $T = $crate::graph::Group;
                $body
            }
            $crate::graph::TargetKind::Space => {
                type $T = $crate::graph::Space;
                $body
            }
            $crate::graph::TargetKind::HandleService => {
                type $T = $crate::graph::HandleService;
                $body
            }
            $crate::graph::TargetKind::Handle => {
                type $T = $crate::graph::Handle;
                $body
            }
            $crate::graph::TargetKind::Harvester => {
                type $T = $crate::graph::Harvester;
                $body
            }
            $crate::graph::TargetKind::Cluster => {
                type $T = $crate::graph::Cluster;
                $body
            }
            $crate::graph::TargetKind::AtmInventory => {
                type $T = $crate::graph::AtmInventory;
                $body
            }
        }
    };
}
pub(crate) use with_target_kind;

/// A kind of entity, as a type: `Key<User>` cannot be passed where a `Key<Group>` is
/// expected. Implemented by the nine marker types of this module.
pub trait Kind: sealed::Sealed + Sized + 'static {
    /// The kind as a value.
    const KIND: EntityKind;
    #[doc(hidden)]
    type Node;
    #[doc(hidden)]
    type Hot: Default;
    #[doc(hidden)]
    fn slab(graph: &Graph) -> &Slab<Self::Node, Self::Hot>;
    #[doc(hidden)]
    fn slab_mut(graph: &mut Graph) -> &mut Slab<Self::Node, Self::Hot>;
    #[doc(hidden)]
    fn node_id(node: &Self::Node) -> &str;
}

/// A kind whose entities have direct and effective members (users and groups) holding
/// privileges of one vocabulary.
pub trait Target: Kind {
    /// The vocabulary members hold in entities of this kind.
    type Privileges: Privileges;
    /// The kind as a value.
    const TARGET: TargetKind;
    #[doc(hidden)]
    fn members(node: &Self::Node) -> &Members<Self::Privileges>;
    #[doc(hidden)]
    fn members_mut(node: &mut Self::Node) -> &mut Members<Self::Privileges>;
    #[doc(hidden)]
    fn eff(graph: &Graph, index: u32) -> &EffUsers<Self::Privileges>;
    #[doc(hidden)]
    fn eff_mut(graph: &mut Graph, index: u32) -> &mut EffUsers<Self::Privileges>;
    #[doc(hidden)]
    fn node_eff_mut(
        graph: &mut Graph,
        index: u32,
    ) -> (&mut Self::Node, &mut EffUsers<Self::Privileges>);
    #[doc(hidden)]
    fn is_owner(node: &Self::Node, user: u32) -> bool;
    #[doc(hidden)]
    fn drop_owner(node: &mut Self::Node, user: u32) -> bool;
}

/// A kind whose entities are created from an id alone (every kind but shares and
/// handles, which belong to other entities).
pub trait Independent: Kind {
    #[doc(hidden)]
    fn new_node(id: &str) -> Self::Node;
}

/// A kind that can be a member of targets: users and groups.
pub trait MemberKind: Kind {
    /// The member kind as a value.
    const MEMBER: MemberType;
    #[doc(hidden)]
    fn member_side(node: &Self::Node) -> &super::members::MemberSide;
    #[doc(hidden)]
    fn member_side_mut(node: &mut Self::Node) -> &mut super::members::MemberSide;
}

/// Member kinds that [`Graph::add_member`], [`Graph::remove_member`] and
/// [`Graph::update_member_privileges`] accept in targets of kind `T`: users in every
/// target, groups in every target but groups.
///
/// A group in a group is a nesting, with its own calls ([`Graph::nest`],
/// [`Graph::unnest`], [`Graph::update_nesting_privileges`]) whose arguments are typed
/// [`Child`] and [`Parent`], so the two groups cannot be swapped by accident.
///
/// ```
/// use privgraph::graph::{Group, MemberOf, Space, User};
/// fn accepts<M: MemberOf<T>, T: privgraph::graph::Target>() {}
/// accepts::<User, Group>();
/// accepts::<User, Space>();
/// accepts::<Group, Space>();
/// ```
///
/// ```compile_fail
/// use privgraph::graph::{Group, MemberOf};
/// fn accepts<M: MemberOf<T>, T: privgraph::graph::Target>() {}
/// accepts::<Group, Group>();
/// ```
pub trait MemberOf<T: Target>: MemberKind {}

impl<T: Target> MemberOf<T> for User {}
impl MemberOf<Space> for Group {}
impl MemberOf<HandleService> for Group {}
impl MemberOf<Handle> for Group {}
impl MemberOf<Harvester> for Group {}
impl MemberOf<Cluster> for Group {}
impl MemberOf<AtmInventory> for Group {}

/// The group that is (or is to be) nested in a [`Parent`]: the group whose members
/// gain the parent's relations. See [`Graph::nest`].
///
/// ```
/// use privgraph::graph::{Child, Graph, Group, Parent};
/// use privgraph::privileges::GroupPrivileges as G;
/// let mut graph = Graph::new();
/// let (org, team) = (graph.create::<Group>("org")?, graph.create::<Group>("team")?);
/// graph.nest(Child(team), Parent(org), G::GROUP_VIEW)?;
/// assert_eq!(graph.memberships::<Group, Group>(team), vec![org]);
/// # Ok::<(), privgraph::graph::GraphError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Child(pub Key<Group>);

/// The group a [`Child`] is (or is to be) nested in. See [`Graph::nest`].
///
/// ```
/// use privgraph::graph::{Child, Graph, Group, Parent};
/// use privgraph::privileges::GroupPrivileges as G;
/// let mut graph = Graph::new();
/// let (org, team) = (graph.create::<Group>("org")?, graph.create::<Group>("team")?);
/// graph.nest(Child(team), Parent(org), G::GROUP_VIEW)?;
/// assert_eq!(graph.direct_members::<Group, Group>(org), vec![team]);
/// # Ok::<(), privgraph::graph::GraphError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Parent(pub Key<Group>);

/// Whether a member is a user or a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MemberType {
    /// A user.
    User,
    /// A group.
    Group,
}

/// The vocabulary of a target kind, mapped back to the kind, so that a check by string
/// ids can infer the kind from the privilege it asks about.
pub trait TargetVocabulary: Privileges {
    /// The kind whose members hold this vocabulary.
    type Target: Target<Privileges = Self>;
}

mod sealed {
    pub trait Sealed {}
}

/// The identity of one [`Graph`], carried by every key it issues, so that a key is
/// refused by every other graph (one loaded from the same snapshot included).
///
/// Minted from a process-wide 64-bit counter: identities never repeat within a process
/// (2⁶⁴ graphs would take centuries to create), so a key can never alias an entity of a
/// later graph, however many graphs a service creates, loads or clones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Identity(u64);

impl Identity {
    /// A fresh identity. Relaxed ordering suffices: every `fetch_add` on one atomic
    /// returns a distinct value whatever the ordering.
    pub(crate) fn mint() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        Identity(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// The key of one entity of kind `K` in a [`Graph`]: a dense index, a generation and the
/// identity of the graph that issued it.
///
/// The generation makes a key kept after its entity was deleted refer to nothing, even
/// when the slot is reused; the graph identity makes a key refer to nothing in any other
/// graph, a clone or a graph loaded from the same snapshot included. Every query answers
/// `false`, `None` or an empty list for such a key, and every mutation refuses it with
/// [`GraphError::UnknownEntity`](super::GraphError::UnknownEntity). So a key cached by a
/// service never names another entity than the one it was issued for.
///
/// Keys are `Copy` and 16 bytes. Equality, hashing and ordering compare all three parts
/// (ordering by graph first, then by index), so keys of different graphs never compare
/// equal.
///
/// ```
/// use privgraph::graph::{Graph, User};
/// let mut graph = Graph::new();
/// let alice = graph.create::<User>("alice")?;
/// assert_eq!(graph.key::<User>("alice"), Some(alice));
/// assert_eq!(graph.id(alice), Some("alice"));
///
/// // Another graph with the same entities does not know this key.
/// let mut other = Graph::new();
/// other.create::<User>("alice")?;
/// assert_eq!(other.id(alice), None);
/// assert_ne!(other.key::<User>("alice"), Some(alice));
/// # Ok::<(), privgraph::graph::GraphError>(())
/// ```
pub struct Key<K> {
    pub(crate) graph: Identity,
    pub(crate) index: u32,
    pub(crate) generation: u32,
    _kind: PhantomData<fn() -> K>,
}

impl<K> Key<K> {
    pub(crate) const fn new(graph: Identity, index: u32, generation: u32) -> Self {
        Key {
            graph,
            index,
            generation,
            _kind: PhantomData,
        }
    }

    /// The dense index (stable while the entity lives; reused after deletion with a new
    /// generation).
    ///
    /// ```
    /// use privgraph::graph::{Graph, Space};
    /// let mut graph = Graph::new();
    /// let s = graph.create::<Space>("s")?;
    /// assert_eq!(s.index(), 0);
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub const fn index(self) -> u32 {
        self.index
    }

    /// The parts that identify the key, in comparison order.
    const fn parts(&self) -> (Identity, u32, u32) {
        (self.graph, self.index, self.generation)
    }
}

// Keys are passed by value on the check path: keep them two machine words.
const _: () = assert!(std::mem::size_of::<Key<User>>() == 16);

impl<K> Clone for Key<K> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<K> Copy for Key<K> {}
impl<K> PartialEq for Key<K> {
    fn eq(&self, other: &Self) -> bool {
        self.parts() == other.parts()
    }
}
impl<K> Eq for Key<K> {}
impl<K> Hash for Key<K> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.parts().hash(state);
    }
}
impl<K> PartialOrd for Key<K> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<K> Ord for Key<K> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.parts().cmp(&other.parts())
    }
}
/// `kind#index.generation@graph`, e.g. `user#3.0@g12`.
impl<K: Kind> fmt::Debug for Key<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}#{}.{}@g{}",
            K::KIND,
            self.index,
            self.generation,
            self.graph.0
        )
    }
}

macro_rules! kinds {
    ($(
        $(#[$doc:meta])*
        $Kind:ident => $field:ident: $Node:ty, $Hot:ty, $entity:ident $(, new $new:expr)?
        $(, target $target:ident: $P:ty)?
        $(, member $member:ident)?;
    )+) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $Kind {}
        impl sealed::Sealed for $Kind {}
        impl Kind for $Kind {
            const KIND: EntityKind = EntityKind::$entity;
            type Node = $Node;
            type Hot = $Hot;
            #[inline]
            fn slab(graph: &Graph) -> &Slab<$Node, $Hot> {
                &graph.$field
            }
            #[inline]
            fn slab_mut(graph: &mut Graph) -> &mut Slab<$Node, $Hot> {
                &mut graph.$field
            }
            fn node_id(node: &$Node) -> &str {
                &node.id
            }
        }
        $(
            impl Target for $Kind {
                type Privileges = $P;
                const TARGET: TargetKind = TargetKind::$target;
                fn members(node: &$Node) -> &Members<$P> {
                    &node.members
                }
                fn members_mut(node: &mut $Node) -> &mut Members<$P> {
                    &mut node.members
                }
                #[inline]
                fn eff(graph: &Graph, index: u32) -> &EffUsers<$P> {
                    graph.$field.hot(index)
                }
                #[inline]
                fn eff_mut(graph: &mut Graph, index: u32) -> &mut EffUsers<$P> {
                    graph.$field.hot_mut(index)
                }
                #[inline]
                fn node_eff_mut(graph: &mut Graph, index: u32) -> (&mut $Node, &mut EffUsers<$P>) {
                    graph.$field.node_hot_mut(index)
                }
                #[inline]
                fn is_owner(node: &$Node, user: u32) -> bool {
                    super::nodes::Ownership::is_owner(node, user)
                }
                fn drop_owner(node: &mut $Node, user: u32) -> bool {
                    super::nodes::Ownership::drop_owner(node, user)
                }
            }
            impl TargetVocabulary for $P {
                type Target = $Kind;
            }
        )?
        $(
            impl Independent for $Kind {
                fn new_node(id: &str) -> $Node {
                    ($new)(id)
                }
            }
        )?
        $(
            impl MemberKind for $Kind {
                const MEMBER: MemberType = MemberType::$member;
                fn member_side(node: &$Node) -> &super::members::MemberSide {
                    &node.side
                }
                fn member_side_mut(node: &mut $Node) -> &mut super::members::MemberSide {
                    &mut node.side
                }
            }
        )?
    )+};
}

use super::nodes::{GroupNode, ResourceNode, ShareNode, UserNode};

fn user_node(id: &str) -> UserNode {
    UserNode {
        id: id.into(),
        side: Default::default(),
        eff_groups: Default::default(),
        eff_oz: Default::default(),
    }
}
fn group_node(id: &str) -> GroupNode {
    GroupNode {
        id: id.into(),
        side: Default::default(),
        members: Members::default(),
        eff_resources: Default::default(),
    }
}
pub(crate) fn resource_node<P>(id: &str) -> ResourceNode<P> {
    ResourceNode {
        id: id.into(),
        members: Members::default(),
        links: Default::default(),
    }
}

kinds! {
    /// Marker for users.
    User => users: UserNode, (), User, new user_node, member User;
    /// Marker for groups: targets (of users and child groups) and members (of parents
    /// and resources) at once.
    Group => groups: GroupNode, EffUsers<GroupPrivileges>, Group, new group_node, target Group: GroupPrivileges, member Group;
    /// Marker for spaces.
    Space => spaces: ResourceNode<SpacePrivileges>, EffUsers<SpacePrivileges>, Space, new resource_node, target Space: SpacePrivileges;
    /// Marker for shares.
    Share => shares: ShareNode, (), Share;
    /// Marker for handle services.
    HandleService => handle_services: ResourceNode<HandleServicePrivileges>,
        EffUsers<HandleServicePrivileges>, HandleService, new resource_node,
        target HandleService: HandleServicePrivileges;
    /// Marker for handles.
    Handle => handles: ResourceNode<HandlePrivileges>, EffUsers<HandlePrivileges>, Handle, target Handle: HandlePrivileges;
    /// Marker for harvesters.
    Harvester => harvesters: ResourceNode<HarvesterPrivileges>, EffUsers<HarvesterPrivileges>,
        Harvester, new resource_node,
        target Harvester: HarvesterPrivileges;
    /// Marker for clusters.
    Cluster => clusters: ResourceNode<ClusterPrivileges>, EffUsers<ClusterPrivileges>, Cluster, new resource_node, target Cluster: ClusterPrivileges;
    /// Marker for automation inventories.
    AtmInventory => atm_inventories: ResourceNode<AtmInventoryPrivileges>,
        EffUsers<AtmInventoryPrivileges>, AtmInventory, new resource_node,
        target AtmInventory: AtmInventoryPrivileges;
}
