//! Snapshot format v1: the direct graph as JSON, loaded and saved. The format is a
//! contract, written out key by key in the repository's `docs/snapshot-format.md`.
//!
//! A [`Snapshot`] is the serde model of the format: every entity with its direct
//! relations, each carrying privileges as arrays of Onezone names. Effective relations
//! are not stored; [`Snapshot::to_graph`] rebuilds them. Keys are camelCase, unknown keys
//! are refused (so a typo is an error, not a silently empty relation), a member id
//! repeated inside one member map is refused, every record is a JSON object (a
//! positional array such as `["u1"]` for a user is refused), and every key but
//! `version` may be omitted.
//!
//! ```
//! use privgraph::graph::{Graph, HandleService, User};
//! use privgraph::privileges::HandleServicePrivileges as HS;
//! use privgraph::snapshot;
//!
//! let graph = snapshot::load(r#"{
//!     "version": 1,
//!     "users":  [{"id": "u1"}],
//!     "groups": [{"id": "g1", "users": {"u1": []}}],
//!     "handleServices": [{"id": "hs1", "groups": {"g1": ["handle_service_view"]}}]
//! }"#)?;
//! assert!(graph.has_privilege_by_id::<User, _>("u1", "hs1", HS::HANDLE_SERVICE_VIEW));
//!
//! // `save` then `load` gives back an identical graph.
//! let again = snapshot::load(&snapshot::save(&graph))?;
//! assert_eq!(again, graph);
//! # Ok::<(), privgraph::snapshot::SnapshotError>(())
//! ```
//!
//! # Loading
//!
//! [`Snapshot::to_graph`] validates everything and names the offender in its
//! [`SnapshotError`]: invalid or repeated ids, references to undeclared entities, nesting
//! cycles, a share named by two handles, a space owner who is not a member. It builds in
//! one pass: all entities (with their oz privileges), then every direct relation
//! recorded as it is (group nesting, then users into groups, then members of the other
//! targets), then every effective relation computed once, groups taken in nesting order,
//! then owners and harvester links. Entities and relations are taken in id order, so the
//! graph built does not depend on the order of the input, and each error is the one the
//! graph's own calls would give first in that order (a cycle is reported at the nesting
//! that closes it). `load(save(g))` equals `g` (graph equality compares entities and
//! relations, not layout) but is a new graph, with its own keys.
//!
//! # Costs
//!
//! Parsing is linear in the text. Building is linear in the entities and direct
//! relations plus the effective relations of the result: about what materializing the
//! effective relations alone costs, rather than what hundreds of thousands of single
//! mutations that each keep them current would. A snapshot of 100,000 users and 10,000
//! nested groups builds in about the time a flat table of its 24 million (user, service)
//! pairs takes (`BENCHMARKS.md`).
//! [`Snapshot::to_json`] sorts a copy of the snapshot, then writes it
//! (compact; [`Snapshot::to_json_pretty`] and [`save_pretty`] indent it).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::graph::bulk::BulkLoad;
use crate::graph::{
    EntityKind, EntityRef, Graph, GraphError, Group, Handle, HandleService, Harvester, IdProblem,
    Independent, Key, Kind, MAX_ID_LEN, MemberKind, MemberOf, Share, Space, Target, User,
};
use crate::objects::objects_only;
use crate::privileges::{
    GroupPrivileges, HandlePrivileges, HandleServicePrivileges, HarvesterPrivileges, OzPrivileges,
    PrivilegeUpdate, SpacePrivileges,
};

/// The only snapshot format version this build reads and writes.
///
/// ```
/// assert_eq!(privgraph::snapshot::VERSION, 1);
/// ```
pub const VERSION: u64 = 1;

/// Direct members of one kind (users, or groups) with their direct privileges, by id.
///
/// Read from a JSON object; an id repeated inside one object is refused
/// ([`SnapshotError::DuplicateKey`]). Written with keys sorted.
///
/// ```
/// use privgraph::privileges::SpacePrivileges as S;
/// use privgraph::snapshot::MemberMap;
/// let mut users: MemberMap<S> = MemberMap::new();
/// users.insert("u1".into(), S::SPACE_VIEW);
/// assert_eq!(serde_json::to_string(&users).unwrap(), r#"{"u1":["space_view"]}"#);
/// ```
pub type MemberMap<P> = BTreeMap<String, P>;

/// Defines [`Snapshot`], with one section per kind, and what it does with the sections of
/// the plain kinds (members only; see the graph's table of kinds), from that table.
macro_rules! snapshot {
    (
        [] all $all:tt targets $targets:tt
        plain { $($(#[$doc:meta])* $Plain:ident $field:ident $P:ident $Entry:ident $name:literal;)* }
    ) => {
        /// The whole snapshot: format version and every entity with its direct relations.
        ///
        /// Build one with [`Snapshot::from_json`] or [`Snapshot::from_graph`], or field by field
        /// (`Default` gives an empty snapshot of version 1).
        ///
        /// ```
        /// use privgraph::snapshot::{Snapshot, UserEntry};
        /// let mut snapshot = Snapshot::default();
        /// snapshot.users.push(UserEntry { id: "u1".into(), ..Default::default() });
        /// let graph = snapshot.to_graph()?;
        /// assert_eq!(Snapshot::from_graph(&graph), snapshot);
        /// # Ok::<(), privgraph::snapshot::SnapshotError>(())
        /// ```
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(remote = "Self", rename_all = "camelCase", deny_unknown_fields)]
        pub struct Snapshot {
            /// Format version; must be [`VERSION`] (1).
            pub version: u64,
            /// Users.
            #[serde(default)]
            pub users: Vec<UserEntry>,
            /// Groups, with their users and child groups.
            #[serde(default)]
            pub groups: Vec<GroupEntry>,
            /// Spaces, with members and owners.
            #[serde(default)]
            pub spaces: Vec<SpaceEntry>,
            /// Shares, each in one space.
            #[serde(default)]
            pub shares: Vec<ShareEntry>,
            /// Handle services, with members.
            #[serde(default)]
            pub handle_services: Vec<HandleServiceEntry>,
            /// Handles, each registered in a handle service for a share, with members.
            #[serde(default)]
            pub handles: Vec<HandleEntry>,
            /// Harvesters, with members and linked spaces.
            #[serde(default)]
            pub harvesters: Vec<HarvesterEntry>,
            $(
                #[doc = concat!("Entities of kind `", $name, "`, with members.")]
                #[serde(default)]
                pub $field: Vec<$Entry>,
            )*
        }

        impl Default for Snapshot {
            fn default() -> Self {
                Snapshot {
                    version: VERSION,
                    users: Vec::new(),
                    groups: Vec::new(),
                    spaces: Vec::new(),
                    shares: Vec::new(),
                    handle_services: Vec::new(),
                    handles: Vec::new(),
                    harvesters: Vec::new(),
                    $($field: Vec::new(),)*
                }
            }
        }

        $(
            $(#[$doc])*
            ///
            #[doc = concat!("An entry of `", $name, "` in a snapshot: its id and its members.")]
            ///
            /// ```
            #[doc = concat!("use privgraph::snapshot::", stringify!($Entry), ";")]
            #[doc = concat!("let entry: ", stringify!($Entry), " = serde_json::from_str(r#\"{\"id\": \"x1\"}\"#).unwrap();")]
            /// assert_eq!(entry.id, "x1");
            /// assert!(entry.users.is_empty() && entry.groups.is_empty());
            /// ```
            pub type $Entry = ResourceEntry<crate::privileges::$P>;
        )*

        /// The entities of the plain kinds, created in step 1 of [`Snapshot::to_graph`],
        /// waiting for their members in step 4.
        struct PlainEntities<'a> {
            $($field: Vec<(Key<crate::graph::$Plain>, &'a $Entry)>,)*
        }

        impl<'a> PlainEntities<'a> {
            fn create(snapshot: &'a Snapshot, graph: &mut Graph) -> Result<Self, SnapshotError> {
                Ok(PlainEntities {
                    $($field: create_all(graph, &snapshot.$field, |e| &e.id)?,)*
                })
            }

            fn add_members(&self, bulk: &mut BulkLoad) -> Result<(), SnapshotError> {
                $(
                    for &(key, entry) in &self.$field {
                        add_members(bulk, key, &entry.id, &entry.users, &entry.groups)?;
                    }
                )*
                Ok(())
            }
        }

        impl Snapshot {
            /// Sorts the entries of the plain kinds by id.
            fn canonicalize_plain(&mut self) {
                $(self.$field.sort_by(|a, b| a.id.cmp(&b.id));)*
            }

            /// The entries of the plain kinds of `graph`, sorted by id.
            fn plain_from_graph(&mut self, graph: &Graph) {
                $(self.$field = entries(graph, resource::<crate::graph::$Plain>);)*
            }
        }
    };
}
crate::graph::for_each_kind!(snapshot);

/// A user and its own oz privileges.
///
/// ```
/// use privgraph::privileges::OzPrivileges as Oz;
/// use privgraph::snapshot::UserEntry;
/// let user: UserEntry = serde_json::from_str(r#"{"id": "u1", "ozPrivileges": ["oz_users_view"]}"#).unwrap();
/// assert_eq!(user.oz_privileges, Oz::OZ_USERS_VIEW);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase", deny_unknown_fields)]
pub struct UserEntry {
    /// The user's id.
    #[serde(default)]
    pub id: String,
    /// Its own oz privileges (not those it has through groups).
    #[serde(default)]
    pub oz_privileges: OzPrivileges,
}

/// A group: own oz privileges, direct users and direct child groups.
///
/// ```
/// use privgraph::privileges::GroupPrivileges as G;
/// use privgraph::snapshot::GroupEntry;
/// let group: GroupEntry = serde_json::from_str(r#"{"id": "g1", "children": {"g2": ["group_view"]}}"#).unwrap();
/// assert_eq!(group.children["g2"], G::GROUP_VIEW);
/// assert!(group.users.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase", deny_unknown_fields)]
pub struct GroupEntry {
    /// The group's id.
    #[serde(default)]
    pub id: String,
    /// Its own oz privileges (its effective members get them too).
    #[serde(default)]
    pub oz_privileges: OzPrivileges,
    /// Direct users and their privileges in this group.
    #[serde(default, deserialize_with = "unique_map")]
    pub users: MemberMap<GroupPrivileges>,
    /// Direct child groups and their privileges in this group.
    #[serde(default, deserialize_with = "unique_map")]
    pub children: MemberMap<GroupPrivileges>,
}

/// A space: owners, direct users and direct groups.
///
/// ```
/// use privgraph::snapshot::SpaceEntry;
/// let space: SpaceEntry = serde_json::from_str(r#"{"id": "s1", "owners": ["u1"], "users": {"u1": []}}"#).unwrap();
/// assert_eq!(space.owners, ["u1"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase", deny_unknown_fields)]
pub struct SpaceEntry {
    /// The space's id.
    #[serde(default)]
    pub id: String,
    /// Users owning the space; each must be a direct or effective member.
    #[serde(default)]
    pub owners: Vec<String>,
    /// Direct users and their privileges in this space.
    #[serde(default, deserialize_with = "unique_map")]
    pub users: MemberMap<SpacePrivileges>,
    /// Direct groups and their privileges in this space.
    #[serde(default, deserialize_with = "unique_map")]
    pub groups: MemberMap<SpacePrivileges>,
}

/// A share and the space it belongs to.
///
/// ```
/// use privgraph::snapshot::ShareEntry;
/// let share: ShareEntry = serde_json::from_str(r#"{"id": "sh1", "spaceId": "s1"}"#).unwrap();
/// assert_eq!(share.space_id, "s1");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase", deny_unknown_fields)]
pub struct ShareEntry {
    /// The share's id.
    #[serde(default)]
    pub id: String,
    /// The space it belongs to (must be declared).
    #[serde(default)]
    pub space_id: String,
}

/// A target with users and groups only, of vocabulary `P`: handle services, clusters and
/// automation inventories.
///
/// ```
/// use privgraph::privileges::ClusterPrivileges as C;
/// use privgraph::snapshot::ClusterEntry;
/// let cluster: ClusterEntry = serde_json::from_str(r#"{"id": "c1", "users": {"u1": ["cluster_view"]}}"#).unwrap();
/// assert_eq!(cluster.users["u1"], C::CLUSTER_VIEW);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(
    remote = "Self",
    rename_all = "camelCase",
    deny_unknown_fields,
    bound(serialize = "P: Serialize", deserialize = "P: Deserialize<'de>")
)]
pub struct ResourceEntry<P> {
    /// The entity's id.
    #[serde(default)]
    pub id: String,
    /// Direct users and their privileges.
    #[serde(default, deserialize_with = "unique_map")]
    pub users: MemberMap<P>,
    /// Direct groups and their privileges.
    #[serde(default, deserialize_with = "unique_map")]
    pub groups: MemberMap<P>,
}

/// A handle service with its members.
///
/// ```
/// use privgraph::snapshot::HandleServiceEntry;
/// let hs: HandleServiceEntry = serde_json::from_str(r#"{"id": "hs1"}"#).unwrap();
/// assert!(hs.users.is_empty() && hs.groups.is_empty());
/// ```
pub type HandleServiceEntry = ResourceEntry<HandleServicePrivileges>;

/// A handle: its handle service, its share and its members.
///
/// ```
/// use privgraph::snapshot::HandleEntry;
/// let h: HandleEntry = serde_json::from_str(
///     r#"{"id": "h1", "handleServiceId": "hs1", "shareId": "sh1"}"#).unwrap();
/// assert_eq!((h.handle_service_id.as_str(), h.share_id.as_str()), ("hs1", "sh1"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase", deny_unknown_fields)]
pub struct HandleEntry {
    /// The handle's id.
    #[serde(default)]
    pub id: String,
    /// The handle service it is registered in (must be declared).
    #[serde(default)]
    pub handle_service_id: String,
    /// The share it refers to (must be declared; a share has at most one handle).
    #[serde(default)]
    pub share_id: String,
    /// Direct users and their privileges in this handle.
    #[serde(default, deserialize_with = "unique_map")]
    pub users: MemberMap<HandlePrivileges>,
    /// Direct groups and their privileges in this handle.
    #[serde(default, deserialize_with = "unique_map")]
    pub groups: MemberMap<HandlePrivileges>,
}

/// A harvester: its members and the spaces linked to it (links carry no privileges).
///
/// ```
/// use privgraph::snapshot::HarvesterEntry;
/// let hv: HarvesterEntry = serde_json::from_str(r#"{"id": "hv1", "spaces": ["s1"]}"#).unwrap();
/// assert_eq!(hv.spaces, ["s1"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase", deny_unknown_fields)]
pub struct HarvesterEntry {
    /// The harvester's id.
    #[serde(default)]
    pub id: String,
    /// Direct users and their privileges in this harvester.
    #[serde(default, deserialize_with = "unique_map")]
    pub users: MemberMap<HarvesterPrivileges>,
    /// Direct groups and their privileges in this harvester.
    #[serde(default, deserialize_with = "unique_map")]
    pub groups: MemberMap<HarvesterPrivileges>,
    /// Spaces linked to this harvester (must be declared).
    #[serde(default)]
    pub spaces: Vec<String>,
}

objects_only!(serialize:
    Snapshot => "a snapshot",
    UserEntry => "a user entry",
    GroupEntry => "a group entry",
    SpaceEntry => "a space entry",
    ShareEntry => "a share entry",
    ResourceEntry<P> => "a handle service, cluster or automation inventory entry",
    HandleEntry => "a handle entry",
    HarvesterEntry => "a harvester entry",
);

// ----- errors ------------------------------------------------------------------------

/// Why a snapshot was refused. Each variant names the offending ids; nothing is built.
///
/// ```
/// use privgraph::graph::EntityKind;
/// use privgraph::snapshot::{self, SnapshotError};
///
/// let err = snapshot::load(r#"{"version": 1, "groups": [{"id": "g1", "users": {"u9": []}}]}"#).unwrap_err();
/// assert!(matches!(&err, SnapshotError::Undeclared { kind: EntityKind::User, id, .. } if id == "u9"));
/// assert_eq!(err.to_string(), "group `g1` names user `u9`, which is not declared in `users`");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    /// The text is not JSON, or not of the shape of format v1: a syntax error, an
    /// unknown key, a missing `version`, a value of the wrong type, or an unknown
    /// privilege name (the message names the value and its vocabulary).
    #[error("malformed snapshot at line {line}, column {column}: {message}")]
    Json {
        /// 1-based line of the error (0 when not known).
        line: usize,
        /// 1-based column of the error (0 when not known).
        column: usize,
        /// What is wrong, as serde reports it.
        message: String,
    },
    /// A member id appears twice inside one member map (`users`, `groups` or
    /// `children`): JSON readers would silently keep only one of them.
    #[error("member id `{key}` appears twice in one member map (line {line}, column {column})")]
    DuplicateKey {
        /// The repeated member id.
        key: String,
        /// 1-based line where the repetition was read.
        line: usize,
        /// 1-based column where the repetition was read.
        column: usize,
    },
    /// The snapshot's `version` is not 1.
    #[error("snapshot version {0} is not supported: this build reads version 1 only")]
    UnsupportedVersion(u64),
    /// A declared id is empty or longer than 256 bytes.
    #[error("invalid {kind} id {id:?}: {problem}")]
    InvalidId {
        /// The kind it was declared as.
        kind: EntityKind,
        /// The id (its first 64 bytes when longer than 256).
        id: String,
        /// What is wrong with it.
        problem: IdProblem,
    },
    /// An id is declared twice within one kind.
    #[error("{kind} `{id}` is declared more than once")]
    DuplicateId {
        /// The kind.
        kind: EntityKind,
        /// The repeated id.
        id: String,
    },
    /// A relation names an entity that is not declared.
    #[error("{referenced_by} names {kind} `{id}`, which is not declared in `{}`", section(*kind))]
    Undeclared {
        /// The kind of the missing entity.
        kind: EntityKind,
        /// Its id (its first 64 bytes when longer than 256).
        id: String,
        /// The entity whose entry names it.
        referenced_by: EntityRef,
    },
    /// Group nesting contains a cycle: nesting `child` in `parent` closes it (when
    /// `child == parent`, a group is nested in itself).
    #[error("{}", cycle_message(child, parent))]
    NestingCycle {
        /// The group listed as a child.
        child: String,
        /// The group listing it.
        parent: String,
    },
    /// Two handles refer to the same share; a share has at most one handle.
    #[error(
        "share `{share}` is named by two handles, `{first}` and `{second}`; a share has at most one"
    )]
    ShareHasTwoHandles {
        /// The share.
        share: String,
        /// The handle created first (in id order).
        first: String,
        /// The other handle.
        second: String,
    },
    /// A space owner is neither a direct nor an effective member of the space.
    #[error("user `{user}` owns space `{space}` but is not a direct or effective member of it")]
    OwnerNotMember {
        /// The space.
        space: String,
        /// The owner.
        user: String,
    },
    /// The graph refused a relation for another reason: an owner or a linked space
    /// listed twice ([`GraphError::OwnerExists`], [`GraphError::RelationExists`]).
    #[error("the snapshot repeats a relation: {0}")]
    Graph(#[from] GraphError),
}

/// The top-level key that declares entities of `kind`, for messages.
fn section(kind: EntityKind) -> &'static str {
    kind.info().section
}

fn cycle_message(child: &str, parent: &str) -> String {
    if child == parent {
        format!("group `{child}` is nested in itself")
    } else {
        format!(
            "nesting group `{child}` in group `{parent}` closes a cycle: \
             `{parent}` is already nested in `{child}`"
        )
    }
}

/// An id as errors show it: whole when it could be valid, else its first 64 bytes.
fn shown(id: &str) -> String {
    if id.len() <= MAX_ID_LEN {
        return id.to_owned();
    }
    let mut cut = 64;
    while !id.is_char_boundary(cut) {
        cut -= 1;
    }
    id[..cut].to_owned()
}

/// Maps the errors of entity creation to the snapshot's.
fn declared(err: GraphError) -> SnapshotError {
    match err {
        GraphError::InvalidId { kind, id, problem } => {
            SnapshotError::InvalidId { kind, id, problem }
        }
        GraphError::EntityExists { entity } => SnapshotError::DuplicateId {
            kind: entity.kind,
            id: entity.id,
        },
        other => SnapshotError::Graph(other),
    }
}

// ----- reading member maps -------------------------------------------------------------

thread_local! {
    /// The member id of the last duplicate found by [`unique_map`] on this thread, so
    /// that [`Snapshot::from_json`] can report it as a typed error.
    static DUPLICATE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Reads a JSON object into a map, refusing a key that appears twice.
fn unique_map<'de, D, P>(deserializer: D) -> Result<BTreeMap<String, P>, D::Error>
where
    D: Deserializer<'de>,
    P: Deserialize<'de>,
{
    struct UniqueMap<P>(PhantomData<P>);

    impl<'de, P: Deserialize<'de>> Visitor<'de> for UniqueMap<P> {
        type Value = BTreeMap<String, P>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object mapping member ids to privilege lists")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some(key) = map.next_key::<String>()? {
                match out.entry(key) {
                    std::collections::btree_map::Entry::Vacant(slot) => {
                        slot.insert(map.next_value()?);
                    }
                    std::collections::btree_map::Entry::Occupied(slot) => {
                        let key = shown(slot.key());
                        let message = format!("member id `{key}` appears twice in one object");
                        DUPLICATE.with(|d| *d.borrow_mut() = Some(key));
                        return Err(de::Error::custom(message));
                    }
                }
            }
            Ok(out)
        }
    }

    deserializer.deserialize_map(UniqueMap(PhantomData))
}

fn json_error(err: &serde_json::Error) -> SnapshotError {
    let (line, column) = (err.line(), err.column());
    if let Some(key) = DUPLICATE.with(|d| d.borrow_mut().take()) {
        return SnapshotError::DuplicateKey { key, line, column };
    }
    let text = err.to_string();
    let suffix = format!(" at line {line} column {column}");
    let message = text.strip_suffix(&suffix).unwrap_or(&text).to_owned();
    SnapshotError::Json {
        line,
        column,
        message,
    }
}

/// Just the version, to tell "another version" apart from "malformed" when a full parse
/// fails (a later version will likely have keys this one refuses).
#[derive(Deserialize)]
struct VersionProbe {
    #[serde(default)]
    version: Option<serde_json::Value>,
}

// ----- the snapshot --------------------------------------------------------------------

impl Snapshot {
    /// Parses a snapshot. Refuses malformed JSON, unknown keys, unknown privilege names
    /// ([`SnapshotError::Json`]), a member id repeated inside one map
    /// ([`SnapshotError::DuplicateKey`]) and a version other than 1
    /// ([`SnapshotError::UnsupportedVersion`]). Does not check references: see
    /// [`Snapshot::to_graph`].
    ///
    /// ```
    /// use privgraph::snapshot::{Snapshot, SnapshotError};
    /// let snapshot = Snapshot::from_json(r#"{"version": 1, "users": [{"id": "u1"}]}"#)?;
    /// assert_eq!(snapshot.users[0].id, "u1");
    ///
    /// let err = Snapshot::from_json(r#"{"version": 1, "usres": []}"#).unwrap_err();
    /// assert!(matches!(err, SnapshotError::Json { line: 1, .. }));
    /// let err = Snapshot::from_json(r#"{"version": 2}"#).unwrap_err();
    /// assert_eq!(err, SnapshotError::UnsupportedVersion(2));
    /// # Ok::<(), SnapshotError>(())
    /// ```
    pub fn from_json(json: &str) -> Result<Snapshot, SnapshotError> {
        DUPLICATE.with(|d| d.borrow_mut().take());
        match serde_json::from_str::<Snapshot>(json) {
            Ok(snapshot) => {
                snapshot.check_version()?;
                Ok(snapshot)
            }
            Err(err) => {
                let error = json_error(&err);
                if let Ok(VersionProbe {
                    version: Some(version),
                }) = serde_json::from_str::<VersionProbe>(json)
                    && let Some(v) = version.as_u64()
                    && v != VERSION
                {
                    return Err(SnapshotError::UnsupportedVersion(v));
                }
                Err(error)
            }
        }
    }

    /// The snapshot as compact JSON (no whitespace), deterministic: entities sorted by
    /// id, owners and linked spaces sorted, member maps by key, privileges by name.
    /// Every key is written, empty ones included. [`Snapshot::to_json_pretty`] writes
    /// the same with indentation.
    ///
    /// ```
    /// use privgraph::snapshot::Snapshot;
    /// let text = r#"{"version": 1, "users": [{"id": "b"}, {"id": "a"}]}"#;
    /// let json = Snapshot::from_json(text)?.to_json();
    /// assert!(json.starts_with(r#"{"version":1,"users":[{"id":"a","ozPrivileges":[]},{"id":"b""#));
    /// assert_eq!(Snapshot::from_json(&json)?.to_json(), json);
    /// # Ok::<(), privgraph::snapshot::SnapshotError>(())
    /// ```
    pub fn to_json(&self) -> String {
        self.write(serde_json::to_string)
    }

    /// [`Snapshot::to_json`] indented by two spaces, one key per line: for reading and
    /// diffing (about twice the size).
    ///
    /// ```
    /// use privgraph::snapshot::Snapshot;
    /// let snapshot = Snapshot::from_json(r#"{"version": 1, "users": [{"id": "u1"}]}"#)?;
    /// let pretty = snapshot.to_json_pretty();
    /// assert!(pretty.starts_with("{\n  \"version\": 1,\n"));
    /// assert_eq!(Snapshot::from_json(&pretty)?, snapshot);
    /// # Ok::<(), privgraph::snapshot::SnapshotError>(())
    /// ```
    pub fn to_json_pretty(&self) -> String {
        self.write(serde_json::to_string_pretty)
    }

    fn write(&self, to_string: fn(&Snapshot) -> serde_json::Result<String>) -> String {
        let mut sorted = self.clone();
        sorted.canonicalize();
        // Serializing this model cannot fail: every map key is a string and every value
        // a string, a number or a list of them.
        to_string(&sorted).expect("a snapshot always serializes")
    }

    /// Sorts entities by id and owner and linked-space lists by id: the order
    /// [`Snapshot::to_json`] and [`Snapshot::from_graph`] give.
    ///
    /// ```
    /// use privgraph::snapshot::{Snapshot, UserEntry};
    /// let mut snapshot = Snapshot::default();
    /// for id in ["b", "a"] {
    ///     snapshot.users.push(UserEntry { id: id.into(), ..Default::default() });
    /// }
    /// snapshot.canonicalize();
    /// assert_eq!(snapshot.users[0].id, "a");
    /// ```
    pub fn canonicalize(&mut self) {
        fn by_id<E>(entries: &mut [E], id: fn(&E) -> &str) {
            entries.sort_by(|a, b| id(a).cmp(id(b)));
        }
        by_id(&mut self.users, |e| &e.id);
        by_id(&mut self.groups, |e| &e.id);
        by_id(&mut self.spaces, |e| &e.id);
        by_id(&mut self.shares, |e| &e.id);
        by_id(&mut self.handle_services, |e| &e.id);
        by_id(&mut self.handles, |e| &e.id);
        by_id(&mut self.harvesters, |e| &e.id);
        self.canonicalize_plain();
        for space in &mut self.spaces {
            space.owners.sort();
        }
        for harvester in &mut self.harvesters {
            harvester.spaces.sort();
        }
    }

    fn check_version(&self) -> Result<(), SnapshotError> {
        if self.version == VERSION {
            Ok(())
        } else {
            Err(SnapshotError::UnsupportedVersion(self.version))
        }
    }

    /// Builds the graph, validating everything first-error-wins (see [`SnapshotError`]
    /// for what is refused). On an error nothing is returned but the error.
    ///
    /// Entities and relations are created in id order, so the result does not depend on
    /// the order of entries in the snapshot.
    ///
    /// ```
    /// use privgraph::graph::{Space, User};
    /// use privgraph::privileges::SpacePrivileges as S;
    /// use privgraph::snapshot::{Snapshot, SnapshotError};
    ///
    /// let snapshot = Snapshot::from_json(r#"{"version": 1, "users": [{"id": "u1"}],
    ///     "spaces": [{"id": "s1", "owners": ["u1"], "users": {"u1": []}}]}"#)?;
    /// let graph = snapshot.to_graph()?;
    /// assert!(graph.has_privilege_by_id::<User, _>("u1", "s1", S::SPACE_DELETE)); // an owner
    ///
    /// let bad = Snapshot::from_json(r#"{"version": 1, "users": [{"id": "u1"}],
    ///     "spaces": [{"id": "s1", "owners": ["u1"]}]}"#)?;
    /// assert_eq!(bad.to_graph().unwrap_err(),
    ///            SnapshotError::OwnerNotMember { space: "s1".into(), user: "u1".into() });
    /// # Ok::<(), SnapshotError>(())
    /// ```
    pub fn to_graph(&self) -> Result<Graph, SnapshotError> {
        self.check_version()?;
        let mut bulk = BulkLoad::new();
        let graph = bulk.graph_mut();

        // 1. Entities, with the oz privileges of users and groups (cheap now: nobody is
        //    below anybody yet).
        let users = create_all::<User, _>(graph, &self.users, |e| &e.id)?;
        for &(key, entry) in &users {
            set_oz(graph, key, entry.oz_privileges)?;
        }
        let groups = create_all::<Group, _>(graph, &self.groups, |e| &e.id)?;
        for &(key, entry) in &groups {
            set_oz(graph, key, entry.oz_privileges)?;
        }
        let spaces = create_all::<Space, _>(graph, &self.spaces, |e| &e.id)?;
        let handle_services =
            create_all::<HandleService, _>(graph, &self.handle_services, |e| &e.id)?;
        let harvesters = create_all::<Harvester, _>(graph, &self.harvesters, |e| &e.id)?;
        let plain = PlainEntities::create(self, graph)?;
        for share in sorted(&self.shares, |e| &e.id) {
            let by = || entity(EntityKind::Share, &share.id);
            let space = lookup::<Space>(graph, &share.space_id, by)?;
            graph.create_share(&share.id, space).map_err(declared)?;
        }
        let mut handles = Vec::with_capacity(self.handles.len());
        for handle in sorted(&self.handles, |e| &e.id) {
            let by = || entity(EntityKind::Handle, &handle.id);
            let service = lookup::<HandleService>(graph, &handle.handle_service_id, by)?;
            let share = lookup::<Share>(graph, &handle.share_id, by)?;
            let key = graph
                .create_handle(&handle.id, service, share)
                .map_err(|err| match err {
                    GraphError::ShareHasHandle { .. } => SnapshotError::ShareHasTwoHandles {
                        share: handle.share_id.clone(),
                        first: graph
                            .share_handle(share)
                            .and_then(|h| graph.id(h))
                            .unwrap_or_default()
                            .to_owned(),
                        second: handle.id.clone(),
                    },
                    other => declared(other),
                })?;
            handles.push((key, handle));
        }

        // 2. Group nesting, recorded in the order the graph API would have added it, so
        //    that a cycle is reported at the nesting that `Graph::nest` would refuse.
        let mut nestings = Vec::new();
        let mut names = Vec::new();
        let mut refused = None;
        'nesting: for &(parent, entry) in &groups {
            for (child_id, &privileges) in &entry.children {
                let by = || entity(EntityKind::Group, &entry.id);
                let child = match lookup::<Group>(bulk.graph(), child_id, by) {
                    Ok(child) => child,
                    Err(err) => {
                        refused = Some(err);
                        break 'nesting;
                    }
                };
                if child == parent {
                    refused = Some(SnapshotError::NestingCycle {
                        child: child_id.clone(),
                        parent: entry.id.clone(),
                    });
                    break 'nesting;
                }
                bulk.add_nesting(child, parent, privileges)?;
                nestings.push((child, parent));
                names.push((child_id, &entry.id));
            }
        }
        let order = bulk.sort_nesting(&nestings).map_err(|first| {
            let (child, parent) = names[first];
            SnapshotError::NestingCycle {
                child: child.clone(),
                parent: parent.clone(),
            }
        })?;
        if let Some(err) = refused {
            return Err(err);
        }

        // 3. Users into groups.
        for &(group, entry) in &groups {
            add_direct::<User, Group>(&mut bulk, group, &entry.id, &entry.users)?;
        }

        // 4. Members of the other targets.
        for &(key, entry) in &spaces {
            add_members(&mut bulk, key, &entry.id, &entry.users, &entry.groups)?;
        }
        for &(key, entry) in &handle_services {
            add_members(&mut bulk, key, &entry.id, &entry.users, &entry.groups)?;
        }
        for &(key, entry) in &handles {
            add_members(&mut bulk, key, &entry.id, &entry.users, &entry.groups)?;
        }
        for &(key, entry) in &harvesters {
            add_members(&mut bulk, key, &entry.id, &entry.users, &entry.groups)?;
        }
        plain.add_members(&mut bulk)?;

        // Every effective relation, computed once.
        let mut graph = bulk.finish(order);

        // 5. Owners and harvester ↔ space links.
        for &(space, entry) in &spaces {
            let mut owners: Vec<&String> = entry.owners.iter().collect();
            owners.sort();
            for owner in owners {
                let by = || entity(EntityKind::Space, &entry.id);
                let user = lookup::<User>(&graph, owner, by)?;
                graph
                    .add_space_owner(space, user)
                    .map_err(|err| match err {
                        GraphError::NotEffectiveMember { .. } => SnapshotError::OwnerNotMember {
                            space: entry.id.clone(),
                            user: owner.clone(),
                        },
                        other => SnapshotError::Graph(other),
                    })?;
            }
        }
        for &(harvester, entry) in &harvesters {
            let mut linked: Vec<&String> = entry.spaces.iter().collect();
            linked.sort();
            for space_id in linked {
                let by = || entity(EntityKind::Harvester, &entry.id);
                let space = lookup::<Space>(&graph, space_id, by)?;
                graph.link_harvester_space(harvester, space)?;
            }
        }
        Ok(graph)
    }

    /// The snapshot of a graph: every live entity, its oz privileges and direct
    /// relations, space owners, shares, handles and harvester links, in id order.
    ///
    /// ```
    /// use privgraph::graph::{Graph, Group, User};
    /// use privgraph::privileges::GroupPrivileges as G;
    /// use privgraph::snapshot::Snapshot;
    /// let mut graph = Graph::new();
    /// let (g, u) = (graph.create::<Group>("g")?, graph.create::<User>("u")?);
    /// graph.add_member(g, u, G::GROUP_VIEW)?;
    /// let snapshot = Snapshot::from_graph(&graph);
    /// assert_eq!(snapshot.groups[0].users["u"], G::GROUP_VIEW);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_graph(graph: &Graph) -> Snapshot {
        let users = entries(graph, |graph, key: Key<User>, id| UserEntry {
            id,
            oz_privileges: graph.oz_privileges(key).unwrap_or_default(),
        });
        let groups = entries(graph, |graph, key: Key<Group>, id| GroupEntry {
            id,
            oz_privileges: graph.oz_privileges(key).unwrap_or_default(),
            users: direct::<User, Group>(graph, key),
            children: direct::<Group, Group>(graph, key),
        });
        let spaces = entries(graph, |graph, key: Key<Space>, id| SpaceEntry {
            id,
            owners: ids(graph, graph.space_owners(key)),
            users: direct::<User, Space>(graph, key),
            groups: direct::<Group, Space>(graph, key),
        });
        let shares = entries(graph, |graph, key: Key<Share>, id| ShareEntry {
            id,
            space_id: id_of(graph, graph.share_space(key)),
        });
        let handle_services = entries(graph, resource::<HandleService>);
        let handles = entries(graph, |graph, key: Key<Handle>, id| HandleEntry {
            id,
            handle_service_id: id_of(graph, graph.handle_service_of(key)),
            share_id: id_of(graph, graph.handle_share(key)),
            users: direct::<User, Handle>(graph, key),
            groups: direct::<Group, Handle>(graph, key),
        });
        let harvesters = entries(graph, |graph, key: Key<Harvester>, id| HarvesterEntry {
            id,
            users: direct::<User, Harvester>(graph, key),
            groups: direct::<Group, Harvester>(graph, key),
            spaces: ids(graph, graph.harvester_spaces(key)),
        });
        let mut snapshot = Snapshot {
            users,
            groups,
            spaces,
            shares,
            handle_services,
            handles,
            harvesters,
            ..Snapshot::default()
        };
        snapshot.plain_from_graph(graph);
        snapshot
    }
}

/// Parses and builds a graph: [`Snapshot::from_json`] then [`Snapshot::to_graph`].
///
/// ```
/// use privgraph::graph::{Group, User};
/// use privgraph::privileges::GroupPrivileges as G;
/// let graph = privgraph::snapshot::load(r#"{"version": 1, "users": [{"id": "u"}],
///     "groups": [{"id": "g", "users": {"u": ["group_view"]}}]}"#)?;
/// assert!(graph.has_privilege_by_id::<User, _>("u", "g", G::GROUP_VIEW));
/// # Ok::<(), privgraph::snapshot::SnapshotError>(())
/// ```
pub fn load(json: &str) -> Result<Graph, SnapshotError> {
    Snapshot::from_json(json)?.to_graph()
}

/// Writes a graph as compact snapshot JSON: [`Snapshot::from_graph`] then
/// [`Snapshot::to_json`].
///
/// ```
/// use privgraph::graph::{Graph, Cluster};
/// use privgraph::snapshot::{load, save};
/// let mut graph = Graph::new();
/// graph.create::<Cluster>("c1")?;
/// let json = save(&graph);
/// assert!(!json.contains('\n'));
/// assert_eq!(load(&json)?, graph);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn save(graph: &Graph) -> String {
    Snapshot::from_graph(graph).to_json()
}

/// [`save`], indented for people: [`Snapshot::from_graph`] then
/// [`Snapshot::to_json_pretty`].
///
/// ```
/// use privgraph::graph::{Graph, Cluster};
/// use privgraph::snapshot::{load, save, save_pretty};
/// let mut graph = Graph::new();
/// graph.create::<Cluster>("c1")?;
/// let pretty = save_pretty(&graph);
/// assert!(pretty.lines().count() > 1 && pretty.len() > save(&graph).len());
/// assert_eq!(load(&pretty)?, graph);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn save_pretty(graph: &Graph) -> String {
    Snapshot::from_graph(graph).to_json_pretty()
}

// ----- building helpers ----------------------------------------------------------------

fn entity(kind: EntityKind, id: &str) -> EntityRef {
    EntityRef {
        kind,
        id: shown(id),
    }
}

/// The entries in id order (the order the graph is built in).
fn sorted<E>(entries: &[E], id: fn(&E) -> &str) -> Vec<&E> {
    let mut out: Vec<&E> = entries.iter().collect();
    out.sort_by(|a, b| id(a).cmp(id(b)));
    out
}

fn create_all<'a, K: Independent, E>(
    graph: &mut Graph,
    entries: &'a [E],
    id: fn(&E) -> &str,
) -> Result<Vec<(Key<K>, &'a E)>, SnapshotError> {
    let mut out = Vec::with_capacity(entries.len());
    for entry in sorted(entries, id) {
        let key = graph.create::<K>(id(entry)).map_err(declared)?;
        out.push((key, entry));
    }
    Ok(out)
}

fn set_oz<M: MemberKind>(
    graph: &mut Graph,
    key: Key<M>,
    privileges: OzPrivileges,
) -> Result<(), SnapshotError> {
    if !privileges.is_empty() {
        graph.update_oz_privileges(key, &PrivilegeUpdate::Set(privileges))?;
    }
    Ok(())
}

/// The key of a declared entity named in a relation of `referenced_by`.
fn lookup<K: Kind>(
    graph: &Graph,
    id: &str,
    referenced_by: impl FnOnce() -> EntityRef,
) -> Result<Key<K>, SnapshotError> {
    graph.key::<K>(id).ok_or_else(|| SnapshotError::Undeclared {
        kind: K::KIND,
        id: shown(id),
        referenced_by: referenced_by(),
    })
}

fn add_direct<M: MemberOf<T> + Independent, T: Target>(
    bulk: &mut BulkLoad,
    target: Key<T>,
    target_id: &str,
    members: &MemberMap<T::Privileges>,
) -> Result<(), SnapshotError> {
    for (member_id, &privileges) in members {
        let member = lookup::<M>(bulk.graph(), member_id, || entity(T::KIND, target_id))?;
        bulk.add_direct(target, member, privileges)?;
    }
    Ok(())
}

fn add_members<T: Target>(
    bulk: &mut BulkLoad,
    target: Key<T>,
    target_id: &str,
    users: &MemberMap<T::Privileges>,
    groups: &MemberMap<T::Privileges>,
) -> Result<(), SnapshotError>
where
    Group: MemberOf<T>,
{
    add_direct::<User, T>(bulk, target, target_id, users)?;
    add_direct::<Group, T>(bulk, target, target_id, groups)
}

// ----- saving helpers ------------------------------------------------------------------

/// One entry per live entity of kind `K`, sorted by id.
fn entries<K: Kind, E>(graph: &Graph, entry: impl Fn(&Graph, Key<K>, String) -> E) -> Vec<E> {
    let mut keyed: Vec<(String, Key<K>)> = graph
        .keys::<K>()
        .into_iter()
        .filter_map(|key| graph.id(key).map(|id| (id.to_owned(), key)))
        .collect();
    keyed.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    keyed
        .into_iter()
        .map(|(id, key)| entry(graph, key, id))
        .collect()
}

fn resource<T: Target>(graph: &Graph, key: Key<T>, id: String) -> ResourceEntry<T::Privileges> {
    ResourceEntry {
        id,
        users: direct::<User, T>(graph, key),
        groups: direct::<Group, T>(graph, key),
    }
}

fn direct<M: MemberKind, T: Target>(graph: &Graph, target: Key<T>) -> MemberMap<T::Privileges> {
    graph
        .direct_members::<M, T>(target)
        .into_iter()
        .filter_map(|member| {
            let id = graph.id(member)?;
            let privileges = graph.direct_privileges(member, target)?;
            Some((id.to_owned(), privileges))
        })
        .collect()
}

fn ids<K: Kind>(graph: &Graph, keys: Vec<Key<K>>) -> Vec<String> {
    let mut out: Vec<String> = keys
        .into_iter()
        .filter_map(|key| graph.id(key).map(str::to_owned))
        .collect();
    out.sort();
    out
}

fn id_of<K: Kind>(graph: &Graph, key: Option<Key<K>>) -> String {
    key.and_then(|key| graph.id(key))
        .unwrap_or_default()
        .to_owned()
}
