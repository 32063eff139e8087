//! Building a graph from its direct relations in bulk: what a service that keeps its
//! memberships in its own database does at startup, in one pass instead of one
//! propagation per call (see [`GraphBuilder`]).

use crate::privileges::{Applied, GroupPrivileges, OzPrivileges, PrivilegeUpdate};

use super::bulk::BulkLoad;
use super::kinds::{Child, Group, Independent, Key, Kind, MemberKind, MemberOf, Parent, Target};
use super::{Graph, GraphError};

/// Builds a [`Graph`] from direct relations, computing every effective relation once, in
/// [`GraphBuilder::build`], in time proportional to the relations the graph ends up
/// holding; [`Graph::add_member`] and [`Graph::nest`] instead keep every effective
/// relation current after each call, which costs more when a whole graph is loaded.
///
/// The calls take the arguments of their [`Graph`] counterparts and refuse what those
/// refuse, with the same [`GraphError`], at the call: invalid or duplicate ids, keys of
/// another graph, a relation that exists, a group nested in itself. The one check left
/// for [`GraphBuilder::build`] is the nesting cycle, found in one pass over all
/// nestings: `build` fails with the [`GraphError::NestingCycle`] that [`Graph::nest`]
/// would have returned for the first nesting that closes a cycle with those before it.
/// Until then the builder records such a nesting like any other.
///
/// Keys the builder hands out are keys of the built graph. Shares and handles (created
/// from a space, a handle service and a share, not from an id alone), space owners and
/// harvester–space links are added after `build` with [`Graph::create_share`],
/// [`Graph::create_handle`], [`Graph::add_space_owner`] and
/// [`Graph::link_harvester_space`].
///
/// ```
/// use privgraph::graph::{Child, Graph, Group, HandleService, Parent, User};
/// use privgraph::privileges::{GroupPrivileges as G, HandleServicePrivileges as HS};
///
/// let mut builder = Graph::builder();
/// let alice = builder.create::<User>("alice")?;
/// let (team, org) = (builder.create::<Group>("team")?, builder.create::<Group>("org")?);
/// let hs = builder.create::<HandleService>("hs")?;
/// builder.add_member(team, alice, G::empty())?;
/// builder.nest(Child(team), Parent(org), G::GROUP_VIEW)?;
/// builder.add_member(hs, org, HS::HANDLE_SERVICE_VIEW)?;
/// let graph = builder.build()?;
///
/// assert!(graph.has_privilege(alice, hs, HS::HANDLE_SERVICE_VIEW));
/// assert_eq!(graph.effective_privileges(alice, org), Some(G::GROUP_VIEW));
/// # Ok::<(), privgraph::graph::GraphError>(())
/// ```
#[derive(Debug)]
pub struct GraphBuilder {
    bulk: BulkLoad,
    /// Every nesting recorded, `(child, parent)` in call order: where `build` finds the
    /// first one that closes a cycle.
    nestings: Vec<(Key<Group>, Key<Group>)>,
}

impl Default for GraphBuilder {
    /// An empty builder, as [`GraphBuilder::new`].
    ///
    /// ```
    /// use privgraph::graph::{GraphBuilder, User};
    /// assert_eq!(GraphBuilder::default().build()?.len::<User>(), 0);
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    fn default() -> Self {
        GraphBuilder::new()
    }
}

impl Graph {
    /// A builder of a new graph from direct relations in bulk; see [`GraphBuilder`].
    ///
    /// ```
    /// use privgraph::graph::{Graph, User};
    /// let mut builder = Graph::builder();
    /// let u = builder.create::<User>("u")?;
    /// assert_eq!(builder.build()?.id(u), Some("u"));
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn builder() -> GraphBuilder {
        GraphBuilder::new()
    }
}

impl GraphBuilder {
    /// An empty builder, as [`Graph::builder`].
    ///
    /// ```
    /// use privgraph::graph::{Group, GraphBuilder};
    /// let mut builder = GraphBuilder::new();
    /// builder.create::<Group>("g")?;
    /// assert_eq!(builder.build()?.len::<Group>(), 1);
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn new() -> Self {
        GraphBuilder {
            bulk: BulkLoad::new(),
            nestings: Vec::new(),
        }
    }

    /// Creates a user, group, space, handle service, harvester, cluster or automation
    /// inventory, as [`Graph::create`], with its errors: [`GraphError::InvalidId`],
    /// [`GraphError::EntityExists`].
    ///
    /// ```
    /// use privgraph::graph::{GraphBuilder, GraphError, Space};
    /// let mut builder = GraphBuilder::new();
    /// let s = builder.create::<Space>("s")?;
    /// assert!(matches!(builder.create::<Space>("s"), Err(GraphError::EntityExists { .. })));
    /// assert!(matches!(builder.create::<Space>(""), Err(GraphError::InvalidId { .. })));
    /// assert_eq!(builder.build()?.key::<Space>("s"), Some(s));
    /// # Ok::<(), GraphError>(())
    /// ```
    pub fn create<K: Independent>(&mut self, id: &str) -> Result<Key<K>, GraphError> {
        self.bulk.graph_mut().create(id)
    }

    /// Records `member` as a direct member of `target` with `privileges`, as
    /// [`Graph::add_member`]: a user in any target, or a group in a resource. Errors:
    /// [`GraphError::UnknownEntity`] (a key of another graph or builder),
    /// [`GraphError::RelationExists`].
    ///
    /// ```
    /// use privgraph::graph::{GraphBuilder, GraphError, Space, User};
    /// use privgraph::privileges::SpacePrivileges as S;
    /// let mut builder = GraphBuilder::new();
    /// let (s, u) = (builder.create::<Space>("s")?, builder.create::<User>("u")?);
    /// builder.add_member(s, u, S::SPACE_VIEW)?;
    /// assert!(matches!(builder.add_member(s, u, S::empty()), Err(GraphError::RelationExists { .. })));
    /// assert_eq!(builder.build()?.direct_privileges(u, s), Some(S::SPACE_VIEW));
    /// # Ok::<(), GraphError>(())
    /// ```
    pub fn add_member<M: MemberOf<T>, T: Target>(
        &mut self,
        target: Key<T>,
        member: Key<M>,
        privileges: T::Privileges,
    ) -> Result<(), GraphError> {
        self.bulk.add_direct(target, member, privileges)
    }

    /// Records the nesting of `child` in `parent` with `privileges`, as [`Graph::nest`].
    /// Errors: [`GraphError::UnknownEntity`], [`GraphError::RelationToSelf`],
    /// [`GraphError::RelationExists`]; a cycle is reported by [`GraphBuilder::build`].
    ///
    /// ```
    /// use privgraph::graph::{Child, GraphBuilder, GraphError, Group, Parent};
    /// use privgraph::privileges::GroupPrivileges as G;
    /// let mut builder = GraphBuilder::new();
    /// let (p, c) = (builder.create::<Group>("p")?, builder.create::<Group>("c")?);
    /// builder.nest(Child(c), Parent(p), G::GROUP_VIEW)?;
    /// assert!(matches!(builder.nest(Child(c), Parent(c), G::empty()), Err(GraphError::RelationToSelf { .. })));
    /// assert_eq!(builder.build()?.direct_privileges(c, p), Some(G::GROUP_VIEW));
    /// # Ok::<(), GraphError>(())
    /// ```
    pub fn nest(
        &mut self,
        child: Child,
        parent: Parent,
        privileges: GroupPrivileges,
    ) -> Result<(), GraphError> {
        let (child, parent) = (child.0, parent.0);
        let graph = self.bulk.graph();
        // The order of `Graph::nest`'s checks: unknown keys, then the group itself.
        let p = graph.live(parent)?;
        if graph.live(child)? == p {
            return Err(GraphError::RelationToSelf {
                group: graph.entity::<Group>(p),
            });
        }
        self.bulk.add_nesting(child, parent, privileges)?;
        self.nestings.push((child, parent));
        Ok(())
    }

    /// Updates the own oz privileges of a user or group, as
    /// [`Graph::update_oz_privileges`]; the group's effective members get them in
    /// [`GraphBuilder::build`]. Errors: [`GraphError::UnknownEntity`].
    ///
    /// ```
    /// use privgraph::graph::{GraphBuilder, Group, User};
    /// use privgraph::privileges::{GroupPrivileges, OzPrivileges as Oz, PrivilegeUpdate};
    /// let mut builder = GraphBuilder::new();
    /// let (g, u) = (builder.create::<Group>("admins")?, builder.create::<User>("u")?);
    /// builder.update_oz_privileges(g, &PrivilegeUpdate::Set(Oz::OZ_USERS_LIST))?;
    /// builder.add_member(g, u, GroupPrivileges::empty())?;
    /// assert_eq!(builder.build()?.effective_oz_privileges(u), Some(Oz::OZ_USERS_LIST));
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn update_oz_privileges<M: MemberKind>(
        &mut self,
        member: Key<M>,
        update: &PrivilegeUpdate<OzPrivileges>,
    ) -> Result<Applied<OzPrivileges>, GraphError> {
        // Before `build` no group has effective members, so this changes the member's
        // own privileges only; `build` derives every effective set from them.
        self.bulk.graph_mut().update_oz_privileges(member, update)
    }

    /// The key of the entity of kind `K` called `id`, as [`Graph::key`].
    ///
    /// ```
    /// use privgraph::graph::{GraphBuilder, User};
    /// let mut builder = GraphBuilder::new();
    /// let u = builder.create::<User>("u")?;
    /// assert_eq!(builder.key::<User>("u"), Some(u));
    /// assert_eq!(builder.key::<User>("v"), None);
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn key<K: Kind>(&self, id: &str) -> Option<Key<K>> {
        self.bulk.graph().key(id)
    }

    /// Computes every effective relation and returns the graph, whose keys are those the
    /// builder handed out.
    ///
    /// Errors: [`GraphError::NestingCycle`] when the nestings close a cycle, naming the
    /// first nesting (in call order) that closes one with those before it: the call
    /// [`Graph::nest`] would have refused, had the same calls been made on a graph.
    ///
    /// ```
    /// use privgraph::graph::{Child, EntityKind, EntityRef, GraphBuilder, GraphError, Group, Parent};
    /// use privgraph::privileges::GroupPrivileges as G;
    /// let mut builder = GraphBuilder::new();
    /// let (a, b) = (builder.create::<Group>("a")?, builder.create::<Group>("b")?);
    /// builder.nest(Child(a), Parent(b), G::empty())?;
    /// builder.nest(Child(b), Parent(a), G::empty())?; // recorded; refused by `build`
    /// let group = |id: &str| EntityRef { kind: EntityKind::Group, id: id.into() };
    /// assert_eq!(
    ///     builder.build().unwrap_err(),
    ///     GraphError::NestingCycle { child: group("b"), parent: group("a") }
    /// );
    /// # Ok::<(), GraphError>(())
    /// ```
    pub fn build(self) -> Result<Graph, GraphError> {
        let GraphBuilder { bulk, nestings } = self;
        match bulk.sort_nesting(&nestings) {
            Ok(order) => Ok(bulk.finish(order)),
            Err(first) => {
                let graph = bulk.graph();
                // `sort_nesting` names a position of `nestings`, whose keys are live.
                let (child, parent) = nestings
                    .get(first)
                    .map_or((None, None), |&(c, p)| (graph.id(c), graph.id(p)));
                let group = |id: Option<&str>| super::EntityRef {
                    kind: super::EntityKind::Group,
                    id: id.unwrap_or_default().to_owned(),
                };
                Err(GraphError::NestingCycle {
                    child: group(child),
                    parent: group(parent),
                })
            }
        }
    }
}
