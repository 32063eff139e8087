//! Watch: for every batch, the effective privileges it changed, and subscribers that
//! receive them in revision order.
//!
//! An [`EffectiveDelta`] is one (subject, resource) pair whose privileges a batch
//! changed, with the privileges before and after, *as a check answers them*: a space
//! owner holds every space privilege there, and a subject that is no member holds
//! nothing (`[]`). The resource `oz` stands for the subject's effective Onezone admin
//! privileges. A membership gained or lost with no privilege change is not a delta.
//! [`Graph::apply_with_deltas`] applies a batch and answers its deltas; a
//! [`WatchEvent`] is a batch's revision, changes and deltas, one JSON line:
//!
//! ```json
//! {"revision": 7, "changes": [...],
//!  "effective": [{"subject": "user:u1", "resource": "handle_service:hs1",
//!                 "before": ["handle_service_view"], "after": []}]}
//! ```
//!
//! Deltas come in order of subject (users first, then groups, each by id), then of
//! resource (by kind, then id; `oz` last), so replaying the same batches from the same
//! graph gives the same lines, byte for byte.
//!
//! [`concurrent::Writer::subscribe`](crate::concurrent::Writer::subscribe) hands out a
//! [`Subscription`]: the events of every batch the writer publishes after it, in
//! revision order. [`replay`] gives the same events for batches read from a log,
//! starting from a graph at an earlier revision, which is how a subscriber that was
//! cut off, or that starts late, catches up.
//!
//! ```
//! use privgraph::graph::{Author, Batch, Change, EntityKind, Graph, MemberType, TargetKind};
//! use privgraph::privileges::ClusterPrivileges as C;
//!
//! let mut graph = Graph::new();
//! let create = |kind, id: &str| Change::Create { kind, id: id.into() };
//! graph.apply(&Batch::new(Author::Library, vec![create(EntityKind::User, "u1"), create(EntityKind::Cluster, "c1")]))?;
//! let join = Change::AddMember { kind: TargetKind::Cluster, id: "c1".into(),
//!     member_type: MemberType::User, member_id: "u1".into(), privileges: C::CLUSTER_VIEW.into() };
//! let deltas = graph.apply_with_deltas(&Batch::new(Author::Library, vec![join]))?;
//! assert_eq!(serde_json::to_string(&deltas)?,
//!     r#"[{"subject":"user:u1","resource":"cluster:c1","before":[],"after":["cluster_view"]}]"#);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Costs
//!
//! A write without subscribers pays nothing for watching: no delta is computed. With
//! one, before each change of a batch the pairs it can affect are listed from the
//! state it meets (the member and, for a group, everything below it, against the
//! target and, for a group, everything above it; the members of a deleted entity),
//! and the privileges of each pair not yet listed are read; after the batch each
//! listed pair is read again. So the cost grows with what the batch can change —
//! one grant to a group of 100,000 users in one service lists 100,000 pairs — never
//! with the size of the graph. Each read is a check (a search over ancestors for a
//! group in a group). Deltas are then sorted.
//!
//! Every subscriber has a bounded queue; the writer never waits for one: a subscriber
//! whose queue is full is cut off, and its next read past what it had received is
//! [`WatchError::CutOff`], naming the revision to resume after. Events are shared
//! between subscribers (one copy each batch, whatever their number).

use std::cmp::Ordering;
use std::fmt;
use std::num::NonZeroUsize;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{self, AtomicBool, AtomicU64};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TryRecvError, TrySendError};
use std::time::Duration;

use bitflags::Flags;
use hashbrown::HashMap;
use serde::de::{self, Deserializer};
use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};

use crate::graph::apply::Undo;
use crate::graph::{
    AnyKey, Batch, BatchError, Change, CommittedBatch, EntityKind, Graph, Group, Key, MemberKind,
    MemberType, Space, Target, TargetKind, User, with_target_kind,
};
use crate::lookup::Subject;
use crate::privileges::{AnyPrivileges, Privileges, Vocabulary};

/// What a delta is about besides its subject: an entity it may hold privileges in, or
/// its effective Onezone admin privileges (`oz`). Text: `KIND:ID` or `oz`.
///
/// ```
/// use privgraph::graph::TargetKind;
/// use privgraph::watch::Resource;
/// let r: Resource = "handle_service:hs1".parse()?;
/// assert_eq!(r, Resource::Entity { kind: TargetKind::HandleService, id: "hs1".into() });
/// assert_eq!("oz".parse::<Resource>()?, Resource::Oz);
/// assert!("share:sh1".parse::<Resource>().is_err());
/// # Ok::<(), privgraph::watch::BadResource>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Resource {
    /// An entity with members.
    Entity {
        /// Its kind.
        kind: TargetKind,
        /// Its id.
        id: String,
    },
    /// The subject's effective oz privileges.
    Oz,
}

impl Resource {
    /// The vocabulary of the privileges held there.
    ///
    /// ```
    /// use privgraph::privileges::Vocabulary;
    /// use privgraph::watch::Resource;
    /// assert_eq!(Resource::Oz.vocabulary(), Vocabulary::Oz);
    /// ```
    pub fn vocabulary(&self) -> Vocabulary {
        match self {
            Resource::Entity { kind, .. } => kind.vocabulary(),
            Resource::Oz => Vocabulary::Oz,
        }
    }
}

/// Text that is not `oz` or `KIND:ID` with a kind that has members.
///
/// ```
/// use privgraph::watch::{BadResource, Resource};
/// assert_eq!("s1".parse::<Resource>(), Err(BadResource("s1".into())));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "bad resource {text:?}: expected \"oz\" or \"KIND:ID\" (KIND one of {kinds})",
    text = .0,
    kinds = target_kind_names()
)]
pub struct BadResource(pub String);

/// The names of the target kinds, joined by `", "`.
fn target_kind_names() -> String {
    let names: Vec<&str> = TargetKind::ALL.iter().map(|kind| kind.as_str()).collect();
    names.join(", ")
}

impl FromStr for Resource {
    type Err = BadResource;
    fn from_str(s: &str) -> Result<Resource, BadResource> {
        if s == "oz" {
            return Ok(Resource::Oz);
        }
        s.split_once(':')
            .and_then(|(kind, id)| {
                let kind = TargetKind::from_name(kind)?;
                (!id.is_empty()).then(|| Resource::Entity {
                    kind,
                    id: id.to_owned(),
                })
            })
            .ok_or_else(|| BadResource(s.chars().take(300).collect()))
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Resource::Entity { kind, id } => write!(f, "{kind}:{id}"),
            Resource::Oz => f.write_str("oz"),
        }
    }
}

/// One (subject, resource) pair whose privileges a batch changed, as a check answers
/// them (see the [module docs](self)). `before` and `after` differ and are of the
/// resource's vocabulary. Serialized as
/// `{"subject": "user:ID" | "group:ID", "resource": "KIND:ID" | "oz", "before": [...], "after": [...]}`.
///
/// ```
/// use privgraph::watch::EffectiveDelta;
/// let line = r#"{"subject":"group:g1","resource":"oz","before":["oz_groups_view"],"after":[]}"#;
/// let delta: EffectiveDelta = serde_json::from_str(line)?;
/// assert!(delta.after.is_empty());
/// assert_eq!(serde_json::to_string(&delta)?, line);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EffectiveDelta {
    /// Whose privileges changed.
    pub subject: Subject,
    /// Where.
    pub resource: Resource,
    /// What the subject held there before the batch (empty: nothing, or no member).
    pub before: AnyPrivileges,
    /// What it holds after.
    pub after: AnyPrivileges,
}

impl EffectiveDelta {
    fn order(&self, other: &Self) -> Ordering {
        (&self.subject, &self.resource).cmp(&(&other.subject, &other.resource))
    }
}

/// One published batch with its effective deltas: a line of a watch,
/// `{"revision": N, "changes": [...], "effective": [...]}`.
///
/// ```
/// use privgraph::watch::WatchEvent;
/// let event = WatchEvent { revision: 3, changes: vec![], effective: vec![] };
/// let line = serde_json::to_string(&event)?;
/// assert_eq!(line, r#"{"revision":3,"changes":[],"effective":[]}"#);
/// assert_eq!(serde_json::from_str::<WatchEvent>(&line)?, event);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchEvent {
    /// The batch's revision.
    pub revision: u64,
    /// Its changes, in order.
    pub changes: Vec<Change>,
    /// Every pair whose privileges it changed, in the documented order.
    pub effective: Vec<EffectiveDelta>,
}

// ----- serde --------------------------------------------------------------------------

impl Serialize for EffectiveDelta {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("EffectiveDelta", 4)?;
        s.serialize_field("subject", &self.subject.to_string())?;
        s.serialize_field("resource", &self.resource.to_string())?;
        s.serialize_field("before", &self.before)?;
        s.serialize_field("after", &self.after)?;
        s.end()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeltaWire {
    subject: String,
    resource: String,
    before: Vec<String>,
    after: Vec<String>,
}

impl<'de> Deserialize<'de> for EffectiveDelta {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = DeltaWire::deserialize(deserializer)?;
        let subject: Subject = wire.subject.parse().map_err(de::Error::custom)?;
        let resource: Resource = wire.resource.parse().map_err(de::Error::custom)?;
        let vocabulary = resource.vocabulary();
        let set = |names: &[String]| {
            AnyPrivileges::from_names(vocabulary, names.iter().map(String::as_str))
                .map_err(de::Error::custom)
        };
        Ok(EffectiveDelta {
            before: set(&wire.before)?,
            after: set(&wire.after)?,
            subject,
            resource,
        })
    }
}

// ----- computing deltas ---------------------------------------------------------------

impl Graph {
    /// Applies a batch atomically, as [`Graph::apply`], and answers every pair whose
    /// effective privileges it changed (see the [module docs](self) for the order and
    /// the costs). On an error the graph is unchanged and nothing is answered.
    ///
    /// ```
    /// use privgraph::graph::{Author, Batch, Change, EntityKind, Graph, MemberType};
    /// use privgraph::privileges::OzPrivileges as Oz;
    /// let mut graph = Graph::new();
    /// let create = Change::Create { kind: EntityKind::Group, id: "admins".into() };
    /// // A new entity holds nothing: no delta.
    /// assert!(graph.apply_with_deltas(&Batch::new(Author::Root, vec![create]))?.is_empty());
    /// let grant = Change::SetOzPrivileges { member_type: MemberType::Group, id: "admins".into(),
    ///     privileges: Oz::OZ_USERS_VIEW };
    /// let deltas = graph.apply_with_deltas(&Batch::new(Author::Root, vec![grant]))?;
    /// assert_eq!(deltas[0].resource.to_string(), "oz");
    /// assert_eq!(deltas[0].after.names(), ["oz_users_view"]);
    /// assert_eq!(graph.revision(), 2);
    /// # Ok::<(), privgraph::graph::BatchError>(())
    /// ```
    pub fn apply_with_deltas(&mut self, batch: &Batch) -> Result<Vec<EffectiveDelta>, BatchError> {
        let (_, deltas) = apply_changes_with_deltas(self, &batch.changes)?;
        self.set_revision(self.revision() + 1);
        Ok(deltas)
    }
}

/// Applies changes atomically without counting a revision (see
/// [`Graph::apply_changes`]), and answers their effective deltas.
pub(crate) fn apply_changes_with_deltas(
    graph: &mut Graph,
    changes: &[Change],
) -> Result<(Undo, Vec<EffectiveDelta>), BatchError> {
    let mut tracker = Tracker::default();
    let undo = graph.apply_changes_observed(changes, |graph, change| {
        for block in affected(graph, change) {
            tracker.record(graph, &block);
        }
    })?;
    Ok((undo, tracker.finish(graph)))
}

/// A user or group the graph holds.
#[derive(Debug, Clone, Copy)]
enum Who {
    User(Key<User>),
    Group(Key<Group>),
}

/// Where a subject holds privileges: an entity with members, or oz.
#[derive(Debug, Clone, Copy)]
enum Where {
    Target(AnyKey),
    Oz,
}

/// Pairs a change may affect: every subject of `who` in every place of `wheres`.
#[derive(Debug, Default)]
struct Block {
    who: Vec<Who>,
    wheres: Vec<Where>,
}

/// The privileges each listed pair held before the batch, by resource, then subject
/// id. Listing a pair the first time reads it in the state the change meets, which is
/// still the state before the batch: a change that could have changed it earlier
/// would have listed it then.
#[derive(Debug, Default)]
struct Tracker {
    before: HashMap<Resource, Before>,
}

#[derive(Debug, Default)]
struct Before {
    users: HashMap<String, AnyPrivileges>,
    groups: HashMap<String, AnyPrivileges>,
}

impl Tracker {
    fn record(&mut self, graph: &Graph, block: &Block) {
        for &place in &block.wheres {
            let Some(resource) = resource_of(graph, place) else {
                continue;
            };
            let before = self.before.entry(resource).or_default();
            for &who in &block.who {
                let (listed, id) = match who {
                    Who::User(u) => (&mut before.users, graph.id(u)),
                    Who::Group(g) => (&mut before.groups, graph.id(g)),
                };
                if let Some(id) = id
                    && !listed.contains_key(id)
                {
                    listed.insert(id.to_owned(), held(graph, who, place));
                }
            }
        }
    }

    /// Every listed pair whose privileges now differ, read by id in the final state
    /// (a subject or resource deleted since holds nothing), in the documented order.
    fn finish(self, graph: &Graph) -> Vec<EffectiveDelta> {
        let mut deltas = Vec::new();
        for (resource, before) in self.before {
            let place = match &resource {
                Resource::Oz => Some(Where::Oz),
                Resource::Entity { kind, id } => graph
                    .any_key(EntityKind::from(*kind), id)
                    .map(Where::Target),
            };
            let nothing = AnyPrivileges::empty(resource.vocabulary());
            let listed = [
                (MemberType::User, before.users),
                (MemberType::Group, before.groups),
            ];
            for (kind, subjects) in listed {
                for (id, before) in subjects {
                    let who = match kind {
                        MemberType::User => graph.key::<User>(&id).map(Who::User),
                        MemberType::Group => graph.key::<Group>(&id).map(Who::Group),
                    };
                    let after = match (who, place) {
                        (Some(who), Some(place)) => held(graph, who, place),
                        _ => nothing,
                    };
                    if after != before {
                        deltas.push(EffectiveDelta {
                            subject: Subject { kind, id },
                            resource: resource.clone(),
                            before,
                            after,
                        });
                    }
                }
            }
        }
        deltas.sort_unstable_by(EffectiveDelta::order);
        deltas
    }
}

fn resource_of(graph: &Graph, place: Where) -> Option<Resource> {
    match place {
        Where::Oz => Some(Resource::Oz),
        Where::Target(target) => {
            let kind = target.kind.target()?;
            let id = with_target_kind!(kind, T => graph.id(target.typed::<T>()?))?;
            Some(Resource::Entity {
                kind,
                id: id.to_owned(),
            })
        }
    }
}

/// What `who` holds in `place`, as a check answers.
fn held(graph: &Graph, who: Who, place: Where) -> AnyPrivileges {
    match place {
        Where::Oz => {
            let oz = match who {
                Who::User(u) => graph.effective_oz_privileges(u),
                Who::Group(g) => graph.effective_oz_privileges(g),
            };
            oz.unwrap_or_default().into_any()
        }
        Where::Target(target) => {
            let Some(kind) = target.kind.target() else {
                return AnyPrivileges::empty(Vocabulary::Oz);
            };
            with_target_kind!(kind, T => {
                let held = match (who, target.typed::<T>()) {
                    (Who::User(u), Some(t)) => held_in(graph, u, t),
                    (Who::Group(g), Some(t)) => held_in(graph, g, t),
                    (_, None) => <T as Target>::Privileges::empty(),
                };
                held.into_any()
            })
        }
    }
}

/// The effective privileges of `m` in `t`, every privilege of the kind for a space
/// owner (the one case where a check grants more than the stored set).
fn held_in<M: MemberKind, T: Target>(graph: &Graph, m: Key<M>, t: Key<T>) -> T::Privileges {
    let all = T::Privileges::all();
    let owner = M::MEMBER == MemberType::User
        && T::TARGET == TargetKind::Space
        && graph.has_privilege(m, t, all);
    if owner {
        all
    } else {
        graph.effective_privileges(m, t).unwrap_or_default()
    }
}

/// The pairs `change` may affect in the state it meets: a superset of those whose
/// privileges it changes. Empty when it names something that does not exist (it then
/// fails, and the batch with it).
fn affected(graph: &Graph, change: &Change) -> Vec<Block> {
    match change {
        Change::Create { .. }
        | Change::CreateShare { .. }
        | Change::CreateHandle { .. }
        | Change::LinkHarvesterSpace { .. }
        | Change::UnlinkHarvesterSpace { .. } => Vec::new(),
        Change::Delete { kind, id } => deleted(graph, *kind, id),
        Change::AddMember {
            kind,
            id,
            member_type,
            member_id,
            ..
        }
        | Change::RemoveMember {
            kind,
            id,
            member_type,
            member_id,
        } => {
            // Joining or leaving: the member and what is below it enter or leave the
            // target and what is above it, and a group's oz privileges flow down.
            let mut wheres = above(graph, *kind, id);
            if *kind == TargetKind::Group && !wheres.is_empty() {
                wheres.push(Where::Oz);
            }
            vec![Block {
                who: below(graph, *member_type, member_id),
                wheres,
            }]
        }
        Change::SetMemberPrivileges {
            kind,
            id,
            member_type,
            member_id,
            ..
        } => vec![Block {
            // The privileges change in the target only: what is above it receives
            // members through the relation, not privileges.
            who: below(graph, *member_type, member_id),
            wheres: target(graph, *kind, id)
                .map(Where::Target)
                .into_iter()
                .collect(),
        }],
        Change::SetOzPrivileges {
            member_type, id, ..
        } => vec![Block {
            who: below(graph, *member_type, id),
            wheres: vec![Where::Oz],
        }],
        Change::AddSpaceOwner { space_id, user_id }
        | Change::RemoveSpaceOwner { space_id, user_id } => vec![Block {
            who: graph
                .key::<User>(user_id)
                .map(Who::User)
                .into_iter()
                .collect(),
            wheres: graph
                .key::<Space>(space_id)
                .map(|s| Where::Target(AnyKey::of(s)))
                .into_iter()
                .collect(),
        }],
    }
}

/// The pairs deleting an entity may affect.
fn deleted(graph: &Graph, kind: EntityKind, id: &str) -> Vec<Block> {
    match kind {
        EntityKind::User => match graph.key::<User>(id) {
            Some(u) => {
                let mut wheres = memberships(graph, Who::User(u));
                wheres.push(Where::Oz);
                vec![Block {
                    who: vec![Who::User(u)],
                    wheres,
                }]
            }
            None => Vec::new(),
        },
        EntityKind::Group => {
            // The group and everything below it leave the group and everything above.
            let mut wheres = above(graph, TargetKind::Group, id);
            if wheres.is_empty() {
                return Vec::new();
            }
            wheres.push(Where::Oz);
            vec![Block {
                who: below(graph, MemberType::Group, id),
                wheres,
            }]
        }
        EntityKind::Share => graph
            .key::<crate::graph::Share>(id)
            .and_then(|share| graph.share_handle(share))
            .map(|handle| members_block(graph, AnyKey::of(handle)))
            .into_iter()
            .collect(),
        EntityKind::Space => match graph.key::<Space>(id) {
            Some(space) => {
                // A space takes its shares and their handles with it.
                let handles = graph
                    .space_shares(space)
                    .into_iter()
                    .filter_map(|share| graph.share_handle(share));
                std::iter::once(members_block(graph, AnyKey::of(space)))
                    .chain(handles.map(|h| members_block(graph, AnyKey::of(h))))
                    .collect()
            }
            None => Vec::new(),
        },
        _ => kind
            .target()
            .and_then(|target_kind| target(graph, target_kind, id))
            .map(|t| members_block(graph, t))
            .into_iter()
            .collect(),
    }
}

/// Every effective member of `target`, in `target`.
fn members_block(graph: &Graph, target: AnyKey) -> Block {
    fn members<T: Target>(graph: &Graph, target: AnyKey) -> Vec<Who> {
        let Some(t) = target.typed::<T>() else {
            return Vec::new();
        };
        let users = graph
            .effective_members::<User, T>(t)
            .into_iter()
            .map(Who::User);
        let groups = graph
            .effective_members::<Group, T>(t)
            .into_iter()
            .map(Who::Group);
        users.chain(groups).collect()
    }
    let who = match target.kind.target() {
        Some(kind) => with_target_kind!(kind, T => members::<T>(graph, target)),
        None => Vec::new(),
    };
    Block {
        who,
        wheres: vec![Where::Target(target)],
    }
}

fn target(graph: &Graph, kind: TargetKind, id: &str) -> Option<AnyKey> {
    graph.any_key(EntityKind::from(kind), id)
}

/// A member and, for a group, every user and group below it.
fn below(graph: &Graph, kind: MemberType, id: &str) -> Vec<Who> {
    match kind {
        MemberType::User => graph.key::<User>(id).map(Who::User).into_iter().collect(),
        MemberType::Group => match graph.key::<Group>(id) {
            Some(g) => {
                let users = graph
                    .effective_members::<User, Group>(g)
                    .into_iter()
                    .map(Who::User);
                let groups = graph.effective_members::<Group, Group>(g).into_iter();
                std::iter::once(Who::Group(g))
                    .chain(users)
                    .chain(groups.map(Who::Group))
                    .collect()
            }
            None => Vec::new(),
        },
    }
}

/// A target and, for a group, every group and entity it belongs to effectively.
fn above(graph: &Graph, kind: TargetKind, id: &str) -> Vec<Where> {
    let Some(t) = target(graph, kind, id) else {
        return Vec::new();
    };
    let mut wheres = vec![Where::Target(t)];
    if let Some(group) = t.typed::<Group>() {
        wheres.extend(memberships(graph, Who::Group(group)));
    }
    wheres
}

/// Every entity `who` belongs to effectively, of every kind.
fn memberships(graph: &Graph, who: Who) -> Vec<Where> {
    fn of<M: MemberKind, T: Target>(graph: &Graph, member: Key<M>, out: &mut Vec<Where>) {
        out.extend(
            graph
                .effective_memberships::<M, T>(member)
                .into_iter()
                .map(|t| Where::Target(AnyKey::of(t))),
        );
    }
    let mut out = Vec::new();
    for kind in TargetKind::ALL {
        with_target_kind!(kind, T => match who {
            Who::User(u) => of::<User, T>(graph, u, &mut out),
            Who::Group(g) => of::<Group, T>(graph, g, &mut out),
        });
    }
    out
}

// ----- replaying a log --------------------------------------------------------------

/// Why [`replay`] stopped.
///
/// ```
/// use privgraph::watch::ReplayError;
/// let err = ReplayError::TooOld { since: 3, graph: 5 };
/// assert_eq!(err.to_string(), "cannot replay from revision 3: the graph given is at revision 5, later");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    /// The graph is past the first revision asked for: start from an older one.
    #[error("cannot replay from revision {since}: the graph given is at revision {graph}, later")]
    TooOld {
        /// The revision after which events were asked for.
        since: u64,
        /// The graph's revision.
        graph: u64,
    },
    /// A batch does not follow the graph's revision, or does not apply.
    #[error(transparent)]
    Batch(#[from] BatchError),
}

/// The watch events of batches read from a log: see [`replay`].
#[derive(Debug)]
pub struct Replay<I> {
    graph: Graph,
    since: u64,
    batches: I,
    /// Set when the graph given is already past `since`.
    too_old: Option<ReplayError>,
    stopped: bool,
}

/// The events a subscriber would have received for every batch after revision
/// `since`: `graph` is at a revision at or before `since` (a checkpoint), `batches`
/// are the batches after the graph's revision, in order. Batches up to `since` are
/// applied without computing deltas; each later one yields its event, exactly as the
/// writer hands it to subscribers. The first error ends the replay.
///
/// Cost: applying every batch, plus computing the deltas of those after `since` (see
/// the [module docs](self)).
///
/// ```
/// use privgraph::graph::{Author, Batch, Change, CommittedBatch, EntityKind, Graph, MemberType};
/// use privgraph::privileges::OzPrivileges as Oz;
/// use privgraph::watch::replay;
/// let log = vec![
///     CommittedBatch { revision: 1, batch: Batch::new(Author::Root,
///         vec![Change::Create { kind: EntityKind::User, id: "u1".into() }]) },
///     CommittedBatch { revision: 2, batch: Batch::new(Author::Root,
///         vec![Change::SetOzPrivileges { member_type: MemberType::User, id: "u1".into(), privileges: Oz::OZ_USERS_LIST }]) },
/// ];
/// let events: Vec<_> = replay(Graph::new(), 1, log).collect::<Result<_, _>>()?;
/// assert_eq!(events.len(), 1);
/// assert_eq!(events[0].revision, 2);
/// assert_eq!(events[0].effective[0].subject.to_string(), "user:u1");
/// # Ok::<(), privgraph::watch::ReplayError>(())
/// ```
pub fn replay<I: IntoIterator<Item = CommittedBatch>>(
    graph: Graph,
    since: u64,
    batches: I,
) -> Replay<I::IntoIter> {
    let too_old = (graph.revision() > since).then(|| ReplayError::TooOld {
        since,
        graph: graph.revision(),
    });
    Replay {
        graph,
        since,
        batches: batches.into_iter(),
        too_old,
        stopped: false,
    }
}

impl<I> Replay<I> {
    /// The graph, at the revision of the last batch replayed.
    ///
    /// ```
    /// use privgraph::graph::Graph;
    /// let replay = privgraph::watch::replay(Graph::new(), 0, Vec::new());
    /// assert_eq!(replay.graph().revision(), 0);
    /// ```
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// The graph, at the revision of the last batch replayed.
    ///
    /// ```
    /// use privgraph::graph::Graph;
    /// let graph = privgraph::watch::replay(Graph::new(), 0, Vec::new()).into_graph();
    /// assert_eq!(graph.revision(), 0);
    /// ```
    pub fn into_graph(self) -> Graph {
        self.graph
    }

    fn stop<T>(&mut self, err: impl Into<ReplayError>) -> Option<Result<T, ReplayError>> {
        self.stopped = true;
        Some(Err(err.into()))
    }
}

impl<I: Iterator<Item = CommittedBatch>> Iterator for Replay<I> {
    type Item = Result<WatchEvent, ReplayError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.stopped {
            return None;
        }
        if let Some(err) = self.too_old.take() {
            return self.stop(err);
        }
        loop {
            let committed = self.batches.next()?;
            if committed.revision > self.since {
                let current = self.graph.revision();
                if committed.revision != current + 1 {
                    return self.stop(BatchError::RevisionGap {
                        current,
                        found: committed.revision,
                    });
                }
                return match self.graph.apply_with_deltas(&committed.batch) {
                    Ok(effective) => Some(Ok(WatchEvent {
                        revision: committed.revision,
                        changes: committed.batch.changes,
                        effective,
                    })),
                    Err(err) => self.stop(err),
                };
            }
            if let Err(err) = self.graph.apply_committed(&committed) {
                return self.stop(err);
            }
        }
    }
}

// ----- subscribers ------------------------------------------------------------------

/// Why a [`Subscription`] ends. Both name the revision to resume after: every event up
/// to it was received, none after it.
///
/// ```
/// use privgraph::watch::WatchError;
/// let err = WatchError::CutOff { resume_after: 41, capacity: 64 };
/// assert_eq!(err.to_string(), "cut off for falling 64 batches behind the writer; \
///     resume after revision 41");
/// assert_eq!(err.resume_after(), 41);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WatchError {
    /// The subscriber's queue was full when the writer published: it was dropped
    /// rather than make the writer wait or the queue grow.
    #[error(
        "cut off for falling {capacity} batches behind the writer; resume after revision {resume_after}"
    )]
    CutOff {
        /// The last revision received.
        resume_after: u64,
        /// The queue's capacity, in batches.
        capacity: usize,
    },
    /// The writer is gone.
    #[error("the writer stopped; resume after revision {resume_after}")]
    Closed {
        /// The last revision received.
        resume_after: u64,
    },
}

impl WatchError {
    /// The revision to resume after.
    ///
    /// ```
    /// use privgraph::watch::WatchError;
    /// assert_eq!(WatchError::Closed { resume_after: 7 }.resume_after(), 7);
    /// ```
    pub fn resume_after(self) -> u64 {
        match self {
            WatchError::CutOff { resume_after, .. } | WatchError::Closed { resume_after } => {
                resume_after
            }
        }
    }
}

/// What a subscriber and the writer share.
#[derive(Debug)]
struct Shared {
    /// The revision the subscription starts after (lowered when staged batches are
    /// taken back).
    start: AtomicU64,
    /// Set by the writer when it drops the subscriber for a full queue.
    cut_off: AtomicBool,
    capacity: usize,
}

/// The events of every batch a [`Writer`](crate::concurrent::Writer) publishes after
/// [`Writer::subscribe`](crate::concurrent::Writer::subscribe), in revision order,
/// through a bounded queue. Dropping it unsubscribes.
///
/// ```
/// use std::num::NonZeroUsize;
/// use privgraph::concurrent::Writer;
/// use privgraph::graph::{Change, EntityKind, Graph};
/// use privgraph::watch::WatchError;
///
/// let mut writer = Writer::new(Graph::new());
/// let mut watch = writer.subscribe(NonZeroUsize::new(1).unwrap());
/// writer.commit_changes(vec![Change::Create { kind: EntityKind::User, id: "u1".into() }])?;
/// assert_eq!(watch.recv()?.revision, 1);
/// // Two batches for a queue of one: the writer cuts the subscriber off.
/// writer.commit_changes(vec![])?;
/// writer.commit_changes(vec![])?;
/// assert_eq!(watch.recv()?.revision, 2);
/// assert_eq!(watch.recv(), Err(WatchError::CutOff { resume_after: 2, capacity: 1 }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Subscription {
    events: Receiver<Arc<WatchEvent>>,
    shared: Arc<Shared>,
    last: Option<u64>,
}

impl Subscription {
    /// The revision to resume after if the subscription ended now: the last one
    /// received, or the one it started after.
    ///
    /// ```
    /// use std::num::NonZeroUsize;
    /// use privgraph::concurrent::Writer;
    /// use privgraph::graph::Graph;
    /// let mut writer = Writer::new(Graph::new());
    /// writer.commit_changes(vec![])?;
    /// assert_eq!(writer.subscribe(NonZeroUsize::MIN).resume_after(), 1);
    /// # Ok::<(), privgraph::graph::BatchError>(())
    /// ```
    pub fn resume_after(&self) -> u64 {
        self.last
            .unwrap_or_else(|| self.shared.start.load(atomic::Ordering::Acquire))
    }

    /// The next event, waiting for it.
    ///
    /// Errors: [`WatchError::CutOff`] once every event received before the cut is
    /// read, [`WatchError::Closed`] once the writer is gone.
    pub fn recv(&mut self) -> Result<Arc<WatchEvent>, WatchError> {
        match self.events.recv() {
            Ok(event) => Ok(self.received(event)),
            Err(mpsc::RecvError) => Err(self.ended()),
        }
    }

    /// The next event if one comes within `timeout` (`None` if not).
    ///
    /// ```
    /// use std::num::NonZeroUsize;
    /// use std::time::Duration;
    /// use privgraph::concurrent::Writer;
    /// use privgraph::graph::Graph;
    /// let mut writer = Writer::new(Graph::new());
    /// let mut watch = writer.subscribe(NonZeroUsize::MIN);
    /// assert_eq!(watch.recv_timeout(Duration::from_millis(1)), Ok(None));
    /// # Ok::<(), privgraph::watch::WatchError>(())
    /// ```
    pub fn recv_timeout(
        &mut self,
        timeout: Duration,
    ) -> Result<Option<Arc<WatchEvent>>, WatchError> {
        match self.events.recv_timeout(timeout) {
            Ok(event) => Ok(Some(self.received(event))),
            Err(RecvTimeoutError::Timeout) => Ok(None),
            Err(RecvTimeoutError::Disconnected) => Err(self.ended()),
        }
    }

    /// The next event if one is queued (`None` if not).
    ///
    /// ```
    /// use std::num::NonZeroUsize;
    /// use privgraph::concurrent::Writer;
    /// use privgraph::graph::Graph;
    /// let mut writer = Writer::new(Graph::new());
    /// let mut watch = writer.subscribe(NonZeroUsize::MIN);
    /// assert_eq!(watch.try_recv(), Ok(None));
    /// writer.commit_changes(vec![])?;
    /// assert_eq!(watch.try_recv()?.map(|e| e.revision), Some(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_recv(&mut self) -> Result<Option<Arc<WatchEvent>>, WatchError> {
        match self.events.try_recv() {
            Ok(event) => Ok(Some(self.received(event))),
            Err(TryRecvError::Empty) => Ok(None),
            Err(TryRecvError::Disconnected) => Err(self.ended()),
        }
    }

    fn received(&mut self, event: Arc<WatchEvent>) -> Arc<WatchEvent> {
        self.last = Some(event.revision);
        event
    }

    fn ended(&self) -> WatchError {
        let resume_after = self.resume_after();
        if self.shared.cut_off.load(atomic::Ordering::Acquire) {
            WatchError::CutOff {
                resume_after,
                capacity: self.shared.capacity,
            }
        } else {
            WatchError::Closed { resume_after }
        }
    }
}

/// The writer's side: one bounded queue per subscriber.
#[derive(Debug, Default)]
pub(crate) struct Subscribers {
    list: Vec<Subscriber>,
}

#[derive(Debug)]
struct Subscriber {
    events: SyncSender<Arc<WatchEvent>>,
    shared: Arc<Shared>,
}

impl Subscribers {
    /// A new subscriber of every event after revision `start`.
    pub(crate) fn subscribe(&mut self, start: u64, capacity: NonZeroUsize) -> Subscription {
        let (events, receiver) = mpsc::sync_channel(capacity.get());
        let shared = Arc::new(Shared {
            start: AtomicU64::new(start),
            cut_off: AtomicBool::new(false),
            capacity: capacity.get(),
        });
        self.list.push(Subscriber {
            events,
            shared: Arc::clone(&shared),
        });
        Subscription {
            events: receiver,
            shared,
            last: None,
        }
    }

    /// Whether anyone still subscribes (forgetting subscriptions dropped since).
    pub(crate) fn any(&mut self) -> bool {
        self.list.retain(|s| Arc::strong_count(&s.shared) > 1);
        !self.list.is_empty()
    }

    /// Queues `event` for every subscriber that started before it, without waiting:
    /// a full queue cuts its subscriber off.
    pub(crate) fn publish(&mut self, event: &Arc<WatchEvent>) {
        self.list.retain(|s| {
            if event.revision <= s.shared.start.load(atomic::Ordering::Acquire) {
                return true;
            }
            match s.events.try_send(Arc::clone(event)) {
                Ok(()) => true,
                Err(TrySendError::Full(_)) => {
                    s.shared.cut_off.store(true, atomic::Ordering::Release);
                    false
                }
                Err(TrySendError::Disconnected(_)) => false,
            }
        });
    }

    /// Staged batches after `revision` were taken back: subscriptions that started
    /// after one of them start at `revision` instead (the revisions will be reused).
    pub(crate) fn taken_back(&self, revision: u64) {
        for s in &self.list {
            s.shared.start.fetch_min(revision, atomic::Ordering::AcqRel);
        }
    }
}
