//! Entity kinds as types, and the keys that name entities inside a [`Graph`].
//!
//! Every kind is declared once, in [`kind_table!`]; the marker types, [`EntityKind`],
//! [`TargetKind`], the [`KindInfo`] rows, the graph's storage and equality, the dispatch
//! from runtime kinds to types ([`with_target_kind!`], [`with_entity_kind!`],
//! [`match_kind!`], [`match_target_kind!`](crate::match_target_kind), all public) and the
//! snapshot's sections are generated from it.
//!
//! # Adding a kind
//!
//! A *plain* resource kind (members with privileges of its own vocabulary, no other
//! relation, like clusters and automation inventories) touches four source files:
//!
//! | file | what it gets | lines |
//! |---|---|---|
//! | `src/privileges/vocabularies.rs` | the kind's `vocabulary!` block (names, presets) and its row in `for_each_vocabulary!` | about 25 + one per name |
//! | `src/graph/kinds.rs` | one `plain` row of [`kind_table!`]: marker, slab field, vocabulary, snapshot entry type, names | 3 |
//! | `src/logic/rules.rs` | its `KindRules` row (who may do what, its oz privileges), a `const fn` tagging its privileges, an arm of `rules()` | about 38 |
//! | `src/logic/ops.rs` | its operation enum, its `Operation` variant, arms of `common`, `from_common` and `is_write` | about 15 |
//!
//! Its REST routes, snapshot section (`Snapshot` field, entry alias, load and save), CLI
//! counts and presets, graph storage, equality, deletion and batch undo then follow.
//! Group or oz privileges about the kind (as `group_add_cluster` or `oz_clusters_*`)
//! extend those vocabularies in the same `vocabularies.rs`. Measured with a made-up
//! `Workflow` kind of nine privileges: 90 added lines (2 changed) in those four files.
//!
//! The tests that pin the surface to the specification name every kind's facts by hand
//! on purpose, and fail until they have the new kind's: the reference's routes family
//! and presets (`tests/support/mod.rs`, `tests/routes.rs`), the REST surface list
//! (`tests/rest_surface.rs`), the snapshot example (`tests/snapshot.rs`) and the CLI
//! presets count (`crates/cli/tests/cli.rs`); for `Workflow` about 280 lines, most of
//! them its route family. The model-based tests (`tests/graph_model.rs`,
//! `tests/lookup_watch.rs`, the model in `tests/support/model.rs`, and the fuzz target
//! that shares the first) cover the new kind without an edit: they dispatch through
//! the macros above, iterate [`EntityKind::ALL`] and [`TargetKind::ALL`], generate the
//! kind's ids from its name and draw it like every other kind of weight 1.
//!
//! A *special* kind (relations or rules of its own) is a `special` row; every `match`
//! that names the special kinds then fails to compile until it handles the new one.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::privileges::{
    GroupPrivileges, HandlePrivileges, HandleServicePrivileges, HarvesterPrivileges, Privileges,
    SpacePrivileges, Vocabulary,
};

use super::Graph;
use super::members::{EffUsers, Members};
use super::slab::Slab;

/// Calls the macro `$callback` with the table of entity kinds: the one place a kind is
/// declared. Every per-kind item of the graph (marker types, [`EntityKind`],
/// [`TargetKind`], [`KindInfo`] rows, the graph's storage, equality, dispatch from
/// runtime kinds to types) and of the snapshot is generated from it.
///
/// `special` kinds have relations or rules of their own, and every `match` that has to
/// handle them names them; `plain` kinds are targets whose members hold one
/// vocabulary and nothing else, and code handles them all alike (through
/// [`match_kind!`]'s `plain` arm, [`with_target_kind!`] and the views of
/// [`for_each_kind!`]).
///
/// A special row is `Kind => field: Node, Hot, names(..)` followed by `new node_fn`
/// (created from an id alone), `target Kind: Privileges` (has members) and
/// `member Kind` (is a member of targets), as they apply. A plain row is
/// `Kind => field: Privileges, SnapshotEntry, names(..)`. `names` are the [`KindInfo`]
/// fields in order; `field` is the graph's slab and the snapshot's section in snake
/// case.
#[doc(hidden)]
#[macro_export]
macro_rules! kind_table {
    ($($callback:ident)::+ [$($args:tt)*]) => {
        $($callback)::+! {
            [$($args)*]
            special {
                /// A user.
                User => users: UserNode, (),
                    names("user", "users", "users", "od_user", "user", "user"),
                    new user_node, member User;
                /// A group (groups nest: a group is a member of its parent groups).
                Group => groups: GroupNode, EffUsers<GroupPrivileges>,
                    names("group", "groups", "groups", "od_group", "group", "group"),
                    new group_node, target Group: GroupPrivileges, member Group;
                /// A space.
                Space => spaces: ResourceNode<SpacePrivileges>, EffUsers<SpacePrivileges>,
                    names("space", "spaces", "spaces", "od_space", "space", "space"),
                    new resource_node, target Space: SpacePrivileges;
                /// A share; it belongs to exactly one space and has no members.
                Share => shares: ShareNode, (),
                    names("share", "shares", "shares", "od_share", "share", "share");
                /// A handle service.
                HandleService => handle_services: ResourceNode<HandleServicePrivileges>,
                    EffUsers<HandleServicePrivileges>,
                    names("handle_service", "handle_services", "handleServices",
                        "od_handle_service", "handleService", "handle-service"),
                    new resource_node, target HandleService: HandleServicePrivileges;
                /// A handle; it belongs to one handle service and refers to one share.
                Handle => handles: ResourceNode<HandlePrivileges>, EffUsers<HandlePrivileges>,
                    names("handle", "handles", "handles", "od_handle", "handle", "handle"),
                    target Handle: HandlePrivileges;
                /// A harvester (also linked to spaces, without privileges).
                Harvester => harvesters: ResourceNode<HarvesterPrivileges>,
                    EffUsers<HarvesterPrivileges>,
                    names("harvester", "harvesters", "harvesters", "od_harvester",
                        "harvester", "harvester"),
                    new resource_node, target Harvester: HarvesterPrivileges;
            }
            plain {
                /// A cluster.
                Cluster => clusters: ClusterPrivileges, ClusterEntry,
                    names("cluster", "clusters", "clusters", "od_cluster", "cluster", "cluster");
                /// An automation inventory.
                AtmInventory => atm_inventories: AtmInventoryPrivileges, AtmInventoryEntry,
                    names("atm_inventory", "atm_inventories", "atmInventories",
                        "od_atm_inventory", "atm_inventory", "atm-inventory");
            }
        }
    };
}

/// Calls the macro `$callback` with three views of the [table of kinds](kind_table),
/// after `[$args]`:
///
/// - `all { Kind field; ... }`: every kind with its slab field, in declaration order;
/// - `targets { Kind; ... }`: every kind with members, in declaration order;
/// - `plain { #[doc] Kind field Privileges SnapshotEntry "name"; ... }`: the plain
///   kinds (see [`kind_table!`]), with their vocabulary type (in
///   `crate::privileges`), the name of their snapshot entry type and their snake-case
///   name.
///
/// Kinds are marker types of `crate::graph`.
#[doc(hidden)]
#[macro_export]
macro_rules! for_each_kind {
    ($($callback:ident)::+ $([$($args:tt)*])?) => {
        $crate::kind_table! {
            $crate::kind_views [[$($callback)::+] $($($args)*)?]
        }
    };
}

/// The views of [`for_each_kind!`], made from the table.
#[doc(hidden)]
#[macro_export]
macro_rules! kind_views {
    (
        [[$($callback:ident)::+] $($args:tt)*]
        special {$(
            $(#[$doc:meta])*
            $Kind:ident => $field:ident: $Node:ty, $Hot:ty, names $names:tt
            $(, new $new:ident)? $(, target $Target:ident: $P:ty)? $(, member $Member:ident)?;
        )+}
        plain {$(
            $(#[$plain_doc:meta])*
            $Plain:ident => $plain_field:ident: $PlainP:ident, $Entry:ident,
                names($name:literal, $($other_names:literal),+);
        )*}
    ) => {
        $($callback)::+! {
            [$($args)*]
            all { $($Kind $field;)+ $($Plain $plain_field;)* }
            targets { $($($Target;)?)+ $($Plain;)* }
            plain { $($(#[$plain_doc])* $Plain $plain_field $PlainP $Entry $name;)* }
        }
    };
}

/// Defines the kinds from the table: marker types with their trait impls,
/// [`EntityKind`], [`TargetKind`] and the [`KindInfo`] rows.
macro_rules! kinds {
    (
        []
        special {$(
            $(#[$doc:meta])*
            $Kind:ident => $field:ident: $Node:ty, $Hot:ty, names $names:tt
            $(, new $new:ident)? $(, target $Target:ident: $P:ty)? $(, member $Member:ident)?;
        )+}
        plain {$(
            $(#[$plain_doc:meta])*
            $Plain:ident => $plain_field:ident: $PlainP:ident, $Entry:ident, names $plain_names:tt;
        )*}
    ) => {
        $(
            kinds!(@marker $(#[$doc])* $Kind => $field: $Node, $Hot $(, new $new)?
                $(, target $Target: $P)? $(, member $Member)?);
        )+
        $(
            kinds!(@marker $(#[$plain_doc])* $Plain => $plain_field:
                ResourceNode<crate::privileges::$PlainP>, EffUsers<crate::privileges::$PlainP>,
                new resource_node, target $Plain: crate::privileges::$PlainP);
            impl MemberOf<$Plain> for Group {}
        )*

        /// The kinds of entity a [`Graph`] holds, and their names ([`KindInfo`]): the
        /// snake-case name is how change batches, batch queries, `watch` resources and
        /// the CLI's `--kind` name a kind.
        ///
        /// | kind | name | plural (REST) | snapshot section | Onezone record | relation type | flag (`check --FLAG ID`) |
        /// |---|---|---|---|---|---|---|
        $(#[doc = kinds!(@names_row $Kind $names)])+
        $(#[doc = kinds!(@names_row $Plain $plain_names)])*
        ///
        /// ```
        /// use privgraph::graph::EntityKind;
        /// assert_eq!(EntityKind::HandleService.as_str(), "handle_service");
        /// assert_eq!(EntityKind::ALL[0], EntityKind::User);
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum EntityKind {
            $($(#[$doc])* $Kind,)+
            $($(#[$plain_doc])* $Plain,)*
        }

        impl EntityKind {
            /// Every kind, in declaration order.
            pub const ALL: [EntityKind; <[&str]>::len(&[
                $(stringify!($Kind),)+ $(stringify!($Plain),)*
            ])] = [$(EntityKind::$Kind,)+ $(EntityKind::$Plain,)*];

            /// The kind's names (see [`KindInfo`]): the one table of per-kind names.
            pub const fn info(self) -> &'static KindInfo {
                match self {
                    $(EntityKind::$Kind => &const { row $names },)+
                    $(EntityKind::$Plain => &const { row $plain_names },)*
                }
            }

            /// Whether entities of the kind are created from an id alone (the kind
            /// implements [`Independent`]): every kind but shares and handles, which
            /// belong to other entities.
            ///
            /// ```
            /// use privgraph::graph::EntityKind;
            /// assert!(EntityKind::Cluster.is_independent());
            /// assert!(!EntityKind::Handle.is_independent());
            /// ```
            pub const fn is_independent(self) -> bool {
                match self {
                    $(EntityKind::$Kind => kinds!(@independent $($new)?),)+
                    $(EntityKind::$Plain => true,)*
                }
            }

            /// The kind as a target kind, when entities of it have members.
            ///
            /// ```
            /// use privgraph::graph::{EntityKind, TargetKind};
            /// assert_eq!(EntityKind::Space.target(), Some(TargetKind::Space));
            /// assert_eq!(EntityKind::Share.target(), None);
            /// ```
            pub const fn target(self) -> Option<TargetKind> {
                match self {
                    $(EntityKind::$Kind => kinds!(@target $($Target)?),)+
                    $(EntityKind::$Plain => Some(TargetKind::$Plain),)*
                }
            }
        }

        /// The kinds that have members holding privileges (every kind but users and
        /// shares).
        ///
        /// ```
        /// use privgraph::graph::{EntityKind, TargetKind};
        /// assert_eq!(TargetKind::ALL.len(), EntityKind::ALL.len() - 2);
        /// assert_eq!(EntityKind::from(TargetKind::Space), EntityKind::Space);
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum TargetKind {
            $($(
                #[doc = concat!("Entities of kind [`EntityKind::", stringify!($Target), "`].")]
                $Target,
            )?)+
            $(
                #[doc = concat!("Entities of kind [`EntityKind::", stringify!($Plain), "`].")]
                $Plain,
            )*
        }

        impl TargetKind {
            /// Every target kind, in declaration order.
            pub const ALL: [TargetKind; <[&str]>::len(&[
                $($(stringify!($Target),)?)+ $(stringify!($Plain),)*
            ])] = [$($(TargetKind::$Target,)?)+ $(TargetKind::$Plain,)*];

            /// The vocabulary members hold in entities of this kind.
            ///
            /// ```
            /// use privgraph::graph::TargetKind;
            /// use privgraph::privileges::Vocabulary;
            /// assert_eq!(TargetKind::Handle.vocabulary(), Vocabulary::Handle);
            /// ```
            pub const fn vocabulary(self) -> Vocabulary {
                match self {
                    $($(TargetKind::$Target => <$P as Privileges>::VOCABULARY,)?)+
                    $(TargetKind::$Plain => <crate::privileges::$PlainP as Privileges>::VOCABULARY,)*
                }
            }

            /// The kind as an entity kind.
            pub const fn entity(self) -> EntityKind {
                match self {
                    $($(TargetKind::$Target => EntityKind::$Target,)?)+
                    $(TargetKind::$Plain => EntityKind::$Plain,)*
                }
            }
        }
    };
    (@target $Target:ident) => { Some(TargetKind::$Target) };
    (@names_row $Kind:ident ($name:literal, $plural:literal, $section:literal,
        $record:literal, $relation:literal, $flag:literal)) => {
        concat!("| `", stringify!($Kind), "` | `", $name, "` | `", $plural, "` | `", $section,
            "` | `", $record, "` | `", $relation, "` | `", $flag, "` |")
    };
    (@independent $new:ident) => { true };
    (@independent) => { false };
    (@target) => { None };
    (@marker
        $(#[$doc:meta])*
        $Kind:ident => $field:ident: $Node:ty, $Hot:ty $(, new $new:expr)?
        $(, target $target:ident: $P:ty)?
        $(, member $member:ident)?
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $Kind {}
        impl sealed::Sealed for $Kind {}
        impl Kind for $Kind {
            const KIND: EntityKind = EntityKind::$Kind;
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
    };
}

/// Runs `$body` with `$T` bound to the marker type of the [`TargetKind`] `$kind`: the
/// one table from runtime target kinds to generic code, shared by every layer and open to
/// users (the `match` it expands to names every target kind, so a new kind needs no
/// edit).
///
/// `$body` is compiled once per kind, with `$T` a type alias of that kind's marker type
/// (it implements [`Target`](crate::graph::Target)).
///
/// ```
/// use privgraph::graph::{Graph, TargetKind, User};
/// use privgraph::privileges::Privileges;
///
/// /// How many privileges a member of `kind` can hold.
/// fn vocabulary_size(kind: TargetKind) -> usize {
///     privgraph::with_target_kind!(kind, T => {
///         <<T as privgraph::graph::Target>::Privileges as Privileges>::NAMES.len()
///     })
/// }
/// assert_eq!(vocabulary_size(TargetKind::Handle), 3);
///
/// // Typed calls on a kind known at run time only.
/// let mut graph = privgraph::snapshot::load(
///     r#"{"version": 1, "users": [{"id": "u"}], "clusters": [{"id": "c"}]}"#,
/// )?;
/// let user = graph.key::<User>("u").unwrap();
/// let kind = TargetKind::from_name("cluster").unwrap();
/// let members = privgraph::with_target_kind!(kind, T => {
///     let target = graph.key::<T>("c").unwrap();
///     graph.add_member(target, user, Default::default())?;
///     graph.direct_members::<User, T>(target).len()
/// });
/// assert_eq!(members, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[macro_export]
macro_rules! with_target_kind {
    ($kind:expr, $T:ident => $body:expr) => {
        $crate::for_each_kind! {
            $crate::target_arms [$kind, $T => $body]
        }
    };
}

/// The `match` of [`with_target_kind!`].
#[doc(hidden)]
#[macro_export]
macro_rules! target_arms {
    ([$kind:expr, $T:ident => $body:expr] all $all:tt targets { $($Target:ident;)+ } plain $plain:tt) => {
        match $kind {
            $(
                $crate::graph::TargetKind::$Target => {
                    type $T = $crate::graph::$Target;
                    $body
                }
            )+
        }
    };
}

/// Runs `$body` with `$K` bound to the marker type of the [`EntityKind`] `$kind` (it
/// implements [`Kind`](crate::graph::Kind)); see [`with_target_kind!`].
///
/// ```
/// use privgraph::graph::{EntityKind, Graph, Space};
///
/// let mut graph = Graph::new();
/// let space = graph.create::<Space>("s")?;
/// graph.create_share("sh", space)?;
/// let ids: Vec<String> = EntityKind::ALL
///     .into_iter()
///     .flat_map(|kind| privgraph::with_entity_kind!(kind, K => {
///         graph.keys::<K>().into_iter().filter_map(|key| graph.id(key).map(str::to_owned)).collect::<Vec<_>>()
///     }))
///     .collect();
/// assert_eq!(ids, ["s", "sh"]);
/// # Ok::<(), privgraph::graph::GraphError>(())
/// ```
#[macro_export]
macro_rules! with_entity_kind {
    ($kind:expr, $K:ident => $body:expr) => {
        $crate::for_each_kind! {
            $crate::entity_arms [$kind, $K => $body]
        }
    };
}

/// The `match` of [`with_entity_kind!`].
#[doc(hidden)]
#[macro_export]
macro_rules! entity_arms {
    ([$kind:expr, $K:ident => $body:expr] all { $($Kind:ident $field:ident;)+ } targets $targets:tt plain $plain:tt) => {
        match $kind {
            $(
                $crate::graph::EntityKind::$Kind => {
                    type $K = $crate::graph::$Kind;
                    $body
                }
            )+
        }
    };
}

/// A `match` on an [`EntityKind`] whose arms name the *special* kinds (users, groups,
/// spaces, shares, handle services, handles, harvesters: the kinds with relations or
/// rules of their own) and whose last arm, `plain K => body`, runs `body` with `K`
/// bound to the marker type of each *plain* kind (a target whose members hold one
/// vocabulary and nothing else, like clusters). A special kind left out is a compile
/// error; a new plain kind needs no edit.
///
/// Every special arm ends with a comma.
///
/// ```
/// use privgraph::graph::{EntityKind, Graph, GraphError};
///
/// /// Creates an entity of a kind created from an id alone.
/// fn create(graph: &mut Graph, kind: EntityKind, id: &str) -> Result<bool, GraphError> {
///     use privgraph::graph::{Group, HandleService, Harvester, Space, User};
///     Ok(privgraph::match_kind!(kind, {
///         User => graph.create::<User>(id).is_ok(),
///         Group => graph.create::<Group>(id).is_ok(),
///         Space => graph.create::<Space>(id).is_ok(),
///         HandleService => graph.create::<HandleService>(id).is_ok(),
///         Harvester => graph.create::<Harvester>(id).is_ok(),
///         Share | Handle => false,
///     }, plain K => graph.create::<K>(id).is_ok()))
/// }
/// let mut graph = Graph::new();
/// assert!(create(&mut graph, EntityKind::AtmInventory, "ai")?);
/// assert!(!create(&mut graph, EntityKind::Share, "sh")?);
/// assert_eq!(graph.len_of(EntityKind::AtmInventory), 1);
/// # Ok::<(), GraphError>(())
/// ```
#[macro_export]
macro_rules! match_kind {
    ($kind:expr, { $($($Special:ident)|+ => $arm:expr,)+ }, plain $T:ident => $body:expr) => {
        $crate::for_each_kind! {
            $crate::match_kind_arms [EntityKind $kind; $($($Special)|+ => $arm,)+; $T => $body]
        }
    };
}

/// [`match_kind!`] on a [`TargetKind`]: arms name the special target kinds (groups,
/// spaces, handle services, handles, harvesters), `plain T => body` runs for each plain
/// kind with `T` bound to its marker type.
///
/// ```
/// use privgraph::graph::{Graph, GraphError, Group, Key, TargetKind};
///
/// /// Makes `group` a direct member of target `id` of `kind`: a nesting in groups.
/// fn add_group(graph: &mut Graph, kind: TargetKind, id: &str, group: Key<Group>) -> Result<(), GraphError> {
///     use privgraph::graph::{Child, Handle, HandleService, Harvester, Parent, Space};
///     fn by_member<T: privgraph::graph::Target>(graph: &mut Graph, id: &str, group: Key<Group>) -> Result<(), GraphError>
///     where
///         Group: privgraph::graph::MemberOf<T>,
///     {
///         match graph.key::<T>(id) {
///             Some(target) => graph.add_member(target, group, Default::default()),
///             None => Ok(()),
///         }
///     }
///     privgraph::match_target_kind!(kind, {
///         Group => match graph.key::<Group>(id) {
///             Some(parent) => graph.nest(Child(group), Parent(parent), Default::default()),
///             None => Ok(()),
///         },
///         Space => by_member::<Space>(graph, id, group),
///         HandleService => by_member::<HandleService>(graph, id, group),
///         Handle => by_member::<Handle>(graph, id, group),
///         Harvester => by_member::<Harvester>(graph, id, group),
///     }, plain T => by_member::<T>(graph, id, group))
/// }
/// let mut graph = Graph::new();
/// let team = graph.create::<Group>("team")?;
/// graph.create::<Group>("org")?;
/// graph.create::<privgraph::graph::Cluster>("c")?;
/// add_group(&mut graph, TargetKind::Group, "org", team)?;
/// add_group(&mut graph, TargetKind::Cluster, "c", team)?;
/// assert_eq!(graph.memberships::<Group, privgraph::graph::Cluster>(team).len(), 1);
/// assert_eq!(graph.memberships::<Group, Group>(team).len(), 1);
/// # Ok::<(), GraphError>(())
/// ```
#[macro_export]
macro_rules! match_target_kind {
    ($kind:expr, { $($($Special:ident)|+ => $arm:expr,)+ }, plain $T:ident => $body:expr) => {
        $crate::for_each_kind! {
            $crate::match_kind_arms [TargetKind $kind; $($($Special)|+ => $arm,)+; $T => $body]
        }
    };
}

/// The `match` of [`match_kind!`] and [`match_target_kind!`].
#[doc(hidden)]
#[macro_export]
macro_rules! match_kind_arms {
    (
        [$Enum:ident $kind:expr; $($($Special:ident)|+ => $arm:expr,)+; $T:ident => $body:expr]
        all $all:tt targets $targets:tt
        plain { $($(#[$doc:meta])* $Plain:ident $field:ident $P:ident $Entry:ident $name:literal;)* }
    ) => {
        match $kind {
            $($($crate::graph::$Enum::$Special)|+ => $arm,)+
            $(
                $crate::graph::$Enum::$Plain => {
                    type $T = $crate::graph::$Plain;
                    $body
                }
            )*
        }
    };
}

pub(crate) use crate::{for_each_kind, match_kind, with_entity_kind, with_target_kind};

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

kind_table!(kinds []);

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
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
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

/// A kind of entity, as a type: `Key<User>` cannot be passed where a `Key<Group>` is
/// expected. Implemented by the marker type of each [`EntityKind`].
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
