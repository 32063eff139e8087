//! Onezone's operation rules: every membership and privilege operation authorized,
//! validated and answered as Onezone does.
//!
//! An [`Engine`] owns a [`Graph`] and runs [`Operation`]s for an [`Auth`] through
//! Onezone's pipeline, in Onezone's order (reference §1):
//!
//! 1. the entity the path names exists, and the relation it names (direct or
//!    effective, per operation) — else `404 notFound`, to anyone;
//! 2. authorization: the operation's client rule, **or** every admin oz privilege it
//!    lists held effectively; root always passes — else `401 unauthorized` for `nobody`
//!    (and for a user the graph does not know, like an invalid token), `403 forbidden`
//!    for a user;
//! 3. the body is valid — else `400` with Onezone's error id and details;
//! 4. apply. A failure at any step changes nothing.
//!
//! The rules are data: one table per entity kind in [`rules`](self) (see the source of
//! `logic/rules.rs`), readable beside the reference.
//!
//! ```
//! use privgraph::graph::{Graph, Group, HandleService, MemberType, User};
//! use privgraph::logic::{Auth, CommonOp, Engine, Error, HandleServiceOp, Operation, Outcome};
//! use privgraph::privileges::{GroupPrivileges, HandleServicePrivileges as HS};
//! use serde_json::json;
//!
//! let mut graph = Graph::new();
//! let (u1, g1) = (graph.create::<User>("u1")?, graph.create::<Group>("g1")?);
//! let hs = graph.create::<HandleService>("hs1")?;
//! graph.add_member(hs, u1, HS::HANDLE_SERVICE_UPDATE)?;
//! graph.add_member(hs, g1, HS::empty())?;
//! let mut engine = Engine::new(graph);
//!
//! // PATCH /handle_services/hs1/groups/g1/privileges
//! let op = Operation::HandleService(HandleServiceOp::Common(CommonOp::UpdateMemberPrivileges {
//!     id: "hs1".into(), member: MemberType::Group, member_id: "g1".into(),
//! }));
//! let body = json!({"grant": ["handle_service_register_handle"]});
//! assert_eq!(engine.execute(&Auth::User("u1".into()), &op, &body), Ok(Outcome::NoContent));
//! assert_eq!(engine.execute(&Auth::Nobody, &op, &body), Err(Error::Unauthorized));
//! assert_eq!(engine.execute(&Auth::User("u1".into()), &op, &json!({})),
//!            Err(Error::MissingAtLeastOneValue { keys: &["grant", "revoke"] }));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod ops;
mod rules;
mod validate;

use serde_json::{Map, Value, json};

use crate::graph::{
    Child, Graph, Group, Handle, HandleService, Harvester, Intermediary, Key, MemberKind,
    MemberType, Parent, Space, Target, TargetKind, User,
};
use crate::privileges::{
    GroupPrivileges, OzPrivileges, PrivilegeUpdate, Privileges, SpacePrivileges,
};

pub use error::Error;
pub use ops::{
    AtmInventoryOp, ClusterOp, CommonOp, GroupOp, HandleOp, HandleServiceOp, HarvesterOp,
    Operation, OzOp, SpaceOp, UserOp, UserRef,
};
pub use rules::{Client, Cond, Existence, Rule};

use rules::KindRules;

/// Who sends a request: nobody (unauthenticated), root, or a user by id.
///
/// ```
/// use privgraph::logic::Auth;
/// assert_eq!("user:u1".parse::<Auth>(), Ok(Auth::User("u1".into())));
/// assert_eq!("root".parse::<Auth>(), Ok(Auth::Root));
/// assert!("admin".parse::<Auth>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Auth {
    /// No credentials.
    Nobody,
    /// Onezone's root: passes every authorization (not existence or validation).
    Root,
    /// An authenticated user.
    User(String),
}

/// `Auth` text that is not `nobody`, `root` or `user:ID`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad auth {0:?}: expected \"nobody\", \"root\" or \"user:ID\"")]
pub struct BadAuth(pub String);

impl std::str::FromStr for Auth {
    type Err = BadAuth;
    fn from_str(s: &str) -> Result<Auth, BadAuth> {
        match s {
            "nobody" => Ok(Auth::Nobody),
            "root" => Ok(Auth::Root),
            _ => match s.strip_prefix("user:") {
                Some(id) if !id.is_empty() => Ok(Auth::User(id.to_owned())),
                _ => Err(BadAuth(s.to_owned())),
            },
        }
    }
}

impl std::fmt::Display for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Nobody => f.write_str("nobody"),
            Auth::Root => f.write_str("root"),
            Auth::User(id) => write!(f, "user:{id}"),
        }
    }
}

/// A successful answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// `200` with this JSON body.
    Json(Value),
    /// `201`, no body; `id` is the new entity's id when one was created (the `rest`
    /// layer builds Onezone's `Location` from it).
    Created {
        /// The created entity, if the operation created one.
        id: Option<String>,
    },
    /// `204`, no body.
    NoContent,
}

impl Outcome {
    /// The HTTP status.
    ///
    /// ```
    /// assert_eq!(privgraph::logic::Outcome::NoContent.http_status(), 204);
    /// ```
    pub fn http_status(&self) -> u16 {
        match self {
            Outcome::Json(_) => 200,
            Outcome::Created { .. } => 201,
            Outcome::NoContent => 204,
        }
    }
}

/// The resolved client.
#[derive(Debug, Clone, Copy)]
enum Caller<'a> {
    Nobody,
    Root,
    User(Key<User>, &'a str),
}

/// A [`Graph`] plus what running Onezone's operations needs: the id generator for
/// created entities.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Engine {
    graph: Graph,
    next_id: u64,
}

use crate::graph::with_target_kind as with_kind;

/// Whether privgraph serves `op` (every route of the `rest` table is, by construction:
/// the table asks this). Operations Onezone has but privgraph leaves out (handle
/// creation, cluster creation and deletion) are not.
///
/// ```
/// use privgraph::graph::TargetKind;
/// use privgraph::logic::{is_supported, CommonOp, Operation};
/// assert!(is_supported(&Operation::from_common(TargetKind::Space, CommonOp::Create)));
/// assert!(!is_supported(&Operation::from_common(TargetKind::Cluster, CommonOp::Create)));
/// ```
pub fn is_supported(op: &Operation) -> bool {
    if let Some((kind, common)) = op.common() {
        return with_kind!(kind, T => <T as KindRules>::common(common).is_some());
    }
    match op {
        Operation::Group(GroupOp::Leave { kind, .. }) => rules::group_leave(*kind).is_some(),
        Operation::Group(GroupOp::CreateAs { kind, .. }) => rules::group_create_as(*kind).is_some(),
        Operation::Group(GroupOp::ListMemberships { kind, .. }) => *kind != TargetKind::Group,
        Operation::User(UserOp::CreateAs { kind }) => rules::user_create_as(*kind).is_some(),
        _ => true,
    }
}

/// The key of lists of entities of a kind in answers (`{"spaces": [...]}`, …).
pub fn list_key(kind: TargetKind) -> &'static str {
    match kind {
        TargetKind::Group => "groups",
        TargetKind::Space => "spaces",
        TargetKind::HandleService => "handle_services",
        TargetKind::Handle => "handles",
        TargetKind::Harvester => "harvesters",
        TargetKind::Cluster => "clusters",
        TargetKind::AtmInventory => "atm_inventories",
    }
}

/// The `type` of a direct ("self") intermediary of a kind.
fn self_type(kind: TargetKind) -> &'static str {
    match kind {
        TargetKind::Group => "group",
        TargetKind::Space => "space",
        TargetKind::HandleService => "handle_service",
        TargetKind::Handle => "handle",
        TargetKind::Harvester => "harvester",
        TargetKind::Cluster => "cluster",
        TargetKind::AtmInventory => "atm_inventory",
    }
}

fn sorted_ids(mut ids: Vec<String>) -> Value {
    ids.sort_unstable();
    Value::from(ids)
}

/// `{"member": [...], "manager": [...], "admin": [...]}` (oz: viewer / admin).
fn presets_json<P: Privileges>() -> Value {
    let mut map = Map::new();
    for preset in P::PRESETS {
        map.insert(preset.name.to_owned(), preset.privileges.to_json());
    }
    Value::Object(map)
}

fn privileges_json<P: Privileges>(privileges: P) -> Value {
    json!({ "privileges": privileges.to_json() })
}

/// A mutation that the pipeline has already made sure cannot fail.
fn applied<T>(result: Result<T, crate::graph::GraphError>) -> Result<T, Error> {
    result.map_err(Error::from)
}

impl Engine {
    /// An engine over `graph`.
    ///
    /// ```
    /// use privgraph::graph::Graph;
    /// use privgraph::logic::Engine;
    /// let engine = Engine::new(Graph::new());
    /// assert_eq!(engine.graph(), &Graph::new());
    /// ```
    pub fn new(graph: Graph) -> Self {
        Engine { graph, next_id: 0 }
    }

    /// The graph.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// The graph, for changes outside Onezone's operations (loading, tests).
    pub fn graph_mut(&mut self) -> &mut Graph {
        &mut self.graph
    }

    /// Gives the graph back.
    pub fn into_graph(self) -> Graph {
        self.graph
    }

    /// A fresh id for a new entity of kind `K`: 32 hexadecimal digits, like Onezone's,
    /// and deterministic for a given history (so scenarios replay identically).
    fn fresh_id<K: crate::graph::Kind>(&mut self) -> String {
        loop {
            self.next_id += 1;
            let mut z = self.next_id.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            let id = format!("{:016x}{:016x}", z ^ (z >> 31), self.next_id);
            if self.graph.key::<K>(&id).is_none() {
                return id;
            }
        }
    }

    /// Runs one operation for `auth` with request body `body` (`{}` when the request
    /// has none). The body is only looked at by operations that take one; a body that
    /// is valid JSON but not an object is `malformedData` for those.
    ///
    /// On `Err`, the graph is exactly as before.
    pub fn execute(&mut self, auth: &Auth, op: &Operation, body: &Value) -> Result<Outcome, Error> {
        if let Some((kind, common)) = op.common() {
            return with_kind!(kind, T => self.common::<T>(auth, common, body));
        }
        match op {
            Operation::OzPresets => Ok(Outcome::Json(presets_json::<OzPrivileges>())),
            Operation::Group(op) => self.group(auth, op, body),
            Operation::User(op) => self.user(auth, op, body),
            Operation::Space(op) => self.space(auth, op, body),
            Operation::HandleService(HandleServiceOp::ListHandles { id }) => {
                let hs = self.entity::<HandleService>(id)?;
                self.authorize(
                    auth,
                    &rules::handle_service_list_handles(),
                    Some(hs),
                    None,
                    false,
                )?;
                let handles = self.graph.handle_service_handles(hs);
                Ok(self.list_json("handles", &handles))
            }
            Operation::Harvester(op) => self.harvester(auth, op, body),
            // Every shared operation was handled above.
            _ => Err(Error::NotSupported),
        }
    }

    // ----- shared steps -------------------------------------------------------------

    fn client<'a>(&self, auth: &'a Auth) -> Caller<'a> {
        match auth {
            Auth::Nobody => Caller::Nobody,
            Auth::Root => Caller::Root,
            // A user the graph does not know is like an invalid token: unauthenticated.
            Auth::User(id) => match self.graph.key::<User>(id) {
                Some(key) => Caller::User(key, id),
                None => Caller::Nobody,
            },
        }
    }

    fn entity<K: crate::graph::Kind>(&self, id: &str) -> Result<Key<K>, Error> {
        self.graph.key::<K>(id).ok_or(Error::NotFound)
    }

    /// Authorization (pipeline step 2) of a rule about entity `entity` of kind `T`;
    /// `second` is the id the path names second (member, space, owner…).
    fn authorize<T: Target>(
        &self,
        auth: &Auth,
        rule: &Rule<T::Privileges>,
        entity: Option<Key<T>>,
        second: Option<&str>,
        privileges_key: bool,
    ) -> Result<(), Error> {
        self.authorize_with(
            auth,
            rule,
            second,
            privileges_key,
            |user, p| entity.is_some_and(|e| self.graph.has_privilege(user, e, p)),
            |user| entity.is_some_and(|e| self.graph.is_effective_member(user, e)),
            self.as_space(entity),
            self.handle_service_of(entity),
        )
    }

    /// The entity as a space key, when `T` is spaces (no id lookup: same slot).
    fn as_space<T: Target>(&self, entity: Option<Key<T>>) -> Option<Key<Space>> {
        (T::TARGET == TargetKind::Space)
            .then_some(entity?)
            .map(Key::same_kind_as)
    }

    /// The handle service of the entity, when `T` is handles.
    fn handle_service_of<T: Target>(&self, entity: Option<Key<T>>) -> Option<Key<HandleService>> {
        let handle: Key<Handle> = (T::TARGET == TargetKind::Handle)
            .then_some(entity?)
            .map(Key::same_kind_as)?;
        self.graph.handle_service_of(handle)
    }

    #[allow(clippy::too_many_arguments)] // the facts a rule may ask about
    fn authorize_with<P: Copy>(
        &self,
        auth: &Auth,
        rule: &Rule<P>,
        second: Option<&str>,
        privileges_key: bool,
        holds: impl Fn(Key<User>, P) -> bool,
        member: impl Fn(Key<User>) -> bool,
        space: Option<Key<Space>>,
        handle_service: Option<Key<HandleService>>,
    ) -> Result<(), Error> {
        let (user, user_id) = match self.client(auth) {
            Caller::Root => return Ok(()),
            Caller::Nobody if matches!(rule.client, Client::Anyone) => return Ok(()),
            Caller::Nobody => return Err(Error::Unauthorized),
            Caller::User(user, id) => (user, id),
        };
        let graph = &self.graph;
        let second_group = || second.and_then(|id| graph.key::<Group>(id));
        let fact = |cond: &Cond<P>| match *cond {
            Cond::AnyUser => true,
            Cond::IsSelf => second == Some(user_id),
            Cond::Holds(p) => holds(user, p),
            Cond::HoldsIfPrivilegesKey(p) => !privileges_key || holds(user, p),
            Cond::Member => member(user),
            Cond::InGroup(p) => second_group().is_some_and(|g| graph.has_privilege(user, g, p)),
            Cond::MemberOfGroup => {
                second_group().is_some_and(|g| graph.is_effective_member(user, g))
            }
            Cond::InSpace(p) => second
                .and_then(|id| graph.key::<Space>(id))
                .is_some_and(|s| graph.has_privilege(user, s, p)),
            Cond::InHandleService(p) => {
                handle_service.is_some_and(|hs| graph.has_privilege(user, hs, p))
            }
            Cond::Oz(p) => graph.has_oz_privilege(user, p),
            Cond::Owner => space.is_some_and(|s| graph.is_space_owner(s, user)),
            Cond::SecondNotOwner => !space.is_some_and(|s| {
                second
                    .and_then(|id| graph.key::<User>(id))
                    .is_some_and(|u| graph.is_space_owner(s, u))
            }),
        };
        let by_client = match &rule.client {
            Client::None => false,
            Client::Anyone => true,
            Client::AnyOf(alternatives) => alternatives.iter().any(|conds| conds.iter().all(&fact)),
        };
        let mut admin = rule.admin;
        if privileges_key {
            admin.insert(rule.admin_if_privileges_key);
        }
        let by_admin = !rule.admin.is_empty() && graph.has_oz_privilege(user, admin);
        if by_client || by_admin {
            Ok(())
        } else {
            Err(Error::Forbidden)
        }
    }

    /// The client as a user, for operations that act as the client (`/user/…`,
    /// creations that make the client a member). Root has no user record.
    fn acting_user(&self, auth: &Auth) -> Result<Key<User>, Error> {
        match self.client(auth) {
            Caller::User(user, _) => Ok(user),
            Caller::Nobody => Err(Error::Unauthorized),
            Caller::Root => Err(Error::NotSupported),
        }
    }

    fn list_json<K: crate::graph::Kind>(&self, key: &str, keys: &[Key<K>]) -> Outcome {
        let ids = keys
            .iter()
            .filter_map(|k| self.graph.id(*k).map(str::to_owned))
            .collect();
        Outcome::Json(json!({ key: sorted_ids(ids) }))
    }

    /// The member named in a path, by kind, as a key (for relation checks).
    fn member_is<T: Target>(
        &self,
        entity: Key<T>,
        member: MemberType,
        id: &str,
        effective: bool,
    ) -> bool {
        fn check<M: MemberKind, T: Target>(
            g: &Graph,
            e: Key<T>,
            id: &str,
            effective: bool,
        ) -> bool {
            g.key::<M>(id).is_some_and(|m| {
                if effective {
                    g.effective_privileges(m, e).is_some()
                } else {
                    g.direct_privileges(m, e).is_some()
                }
            })
        }
        match member {
            MemberType::User => check::<User, T>(&self.graph, entity, id, effective),
            MemberType::Group => check::<Group, T>(&self.graph, entity, id, effective),
        }
    }

    /// Pipeline step 1 for rules about a relation of `entity`.
    fn check_relation<T: Target>(
        &self,
        existence: Existence,
        entity: Key<T>,
        member: MemberType,
        member_id: &str,
    ) -> Result<(), Error> {
        let exists = match existence {
            Existence::Direct => self.member_is(entity, member, member_id, false),
            Existence::Effective => self.member_is(entity, member, member_id, true),
            _ => true,
        };
        if exists { Ok(()) } else { Err(Error::NotFound) }
    }

    // ----- the operations every target kind has --------------------------------------

    fn common<T: KindRules>(
        &mut self,
        auth: &Auth,
        op: &CommonOp,
        body: &Value,
    ) -> Result<Outcome, Error> {
        let rule = T::common(op).ok_or(Error::NotSupported)?;
        let entity = match op.id() {
            Some(id) => Some(self.entity::<T>(id)?),
            None => None,
        };
        if let (Some(e), Some((member, member_id))) = (entity, op.member()) {
            self.check_relation(rule.existence, e, member, member_id)?;
        }
        let privileges_key = matches!(op, CommonOp::AddMember { .. })
            && body
                .as_object()
                .is_some_and(|b| b.contains_key("privileges"));
        let second = op.member().map(|(_, id)| id);
        self.authorize(auth, &rule, entity, second, privileges_key)?;

        let graph = &self.graph;
        match op {
            CommonOp::Presets => Ok(Outcome::Json(presets_json::<T::Privileges>())),
            CommonOp::ListAll => Ok(self.list_json(list_key(T::TARGET), &graph.keys::<T>())),
            CommonOp::Create => {
                creation_body(T::TARGET, body)?;
                let id = self.fresh_id::<T>();
                T::create(&mut self.graph, &id)?;
                Ok(Outcome::Created { id: Some(id) })
            }
            CommonOp::Delete { .. } => {
                let entity = entity.ok_or(Error::NotFound)?;
                applied(self.graph.delete(entity))?;
                Ok(Outcome::NoContent)
            }
            CommonOp::ListMembers {
                member, effective, ..
            } => {
                let e = entity.ok_or(Error::NotFound)?;
                Ok(match (member, effective) {
                    (MemberType::User, false) => {
                        self.list_json("users", &graph.direct_members::<User, T>(e))
                    }
                    (MemberType::User, true) => {
                        self.list_json("users", &graph.effective_members::<User, T>(e))
                    }
                    (MemberType::Group, false) => {
                        self.list_json("groups", &graph.direct_members::<Group, T>(e))
                    }
                    (MemberType::Group, true) => {
                        self.list_json("groups", &graph.effective_members::<Group, T>(e))
                    }
                })
            }
            CommonOp::AddMember {
                member, member_id, ..
            } => {
                let e = entity.ok_or(Error::NotFound)?;
                let body = validate::object(body)?;
                match member {
                    MemberType::User => {
                        let user = graph
                            .key::<User>(member_id)
                            .ok_or(Error::BadValueIdNotFound { key: "userId" })?;
                        let privileges = validate::optional_privileges(body)?
                            .unwrap_or_else(T::Privileges::member);
                        applied(self.graph.add_member(e, user, privileges))?;
                        self.first_direct_user_owns(e, user);
                    }
                    MemberType::Group => {
                        let group = graph
                            .key::<Group>(member_id)
                            .ok_or(Error::BadValueIdNotFound { key: "groupId" })?;
                        let privileges = validate::optional_privileges(body)?
                            .unwrap_or_else(T::Privileges::member);
                        applied(self.graph.add_relation(e, group, privileges))?;
                    }
                }
                Ok(Outcome::Created { id: None })
            }
            CommonOp::RemoveMember {
                member, member_id, ..
            } => {
                let e = entity.ok_or(Error::NotFound)?;
                match member {
                    MemberType::User => {
                        let user = graph.key::<User>(member_id).ok_or(Error::NotFound)?;
                        if let Some(space) = self.as_space(Some(e)) {
                            self.check_not_last_owner(space, user)?;
                        }
                        applied(self.graph.remove_member(e, user))?;
                    }
                    MemberType::Group => {
                        let group = graph.key::<Group>(member_id).ok_or(Error::NotFound)?;
                        applied(self.graph.remove_relation(e, group))?;
                    }
                }
                Ok(Outcome::NoContent)
            }
            CommonOp::MemberPrivileges {
                member,
                member_id,
                effective,
                ..
            } => {
                let e = entity.ok_or(Error::NotFound)?;
                let privileges = match member {
                    MemberType::User => self.privileges_of::<User, T>(e, member_id, *effective),
                    MemberType::Group => self.privileges_of::<Group, T>(e, member_id, *effective),
                }
                .ok_or(Error::NotFound)?;
                Ok(Outcome::Json(privileges_json(privileges)))
            }
            CommonOp::UpdateMemberPrivileges {
                member, member_id, ..
            } => {
                let update = validate::grant_revoke(validate::object(body)?)?;
                self.update_member::<T>(entity, *member, member_id, &update)
            }
            CommonOp::SetMemberPrivileges {
                member, member_id, ..
            } => {
                let privileges = validate::required_legacy_privileges(validate::object(body)?)?;
                self.update_member::<T>(
                    entity,
                    *member,
                    member_id,
                    &PrivilegeUpdate::Set(privileges),
                )
            }
            CommonOp::Membership {
                member, member_id, ..
            } => {
                let e = entity.ok_or(Error::NotFound)?;
                let hops = match member {
                    MemberType::User => graph
                        .key::<User>(member_id)
                        .and_then(|m| graph.intermediaries(m, e)),
                    MemberType::Group => graph
                        .key::<Group>(member_id)
                        .and_then(|m| graph.intermediaries(m, e)),
                }
                .ok_or(Error::NotFound)?;
                Ok(Outcome::Json(self.intermediaries_json(T::TARGET, &hops)))
            }
            CommonOp::CreateGroup { .. } => {
                let e = entity.ok_or(Error::NotFound)?;
                validate::group_body(body)?;
                let client = self.client_if_user(auth);
                let id = self.fresh_id::<Group>();
                let group = Group::create(&mut self.graph, &id)?;
                if let Some(user) = client {
                    applied(self.graph.add_member(group, user, GroupPrivileges::admin()))?;
                }
                applied(self.graph.add_relation(e, group, T::Privileges::member()))?;
                Ok(Outcome::Created { id: Some(id) })
            }
        }
    }

    fn client_if_user(&self, auth: &Auth) -> Option<Key<User>> {
        match self.client(auth) {
            Caller::User(user, _) => Some(user),
            _ => None,
        }
    }

    fn privileges_of<M: MemberKind, T: Target>(
        &self,
        entity: Key<T>,
        member_id: &str,
        effective: bool,
    ) -> Option<T::Privileges> {
        let member = self.graph.key::<M>(member_id)?;
        if effective {
            self.graph.effective_privileges(member, entity)
        } else {
            self.graph.direct_privileges(member, entity)
        }
    }

    fn update_member<T: Target>(
        &mut self,
        entity: Option<Key<T>>,
        member: MemberType,
        member_id: &str,
        update: &PrivilegeUpdate<T::Privileges>,
    ) -> Result<Outcome, Error> {
        let e = entity.ok_or(Error::NotFound)?;
        match member {
            MemberType::User => {
                let user = self.graph.key::<User>(member_id).ok_or(Error::NotFound)?;
                applied(self.graph.update_member_privileges(e, user, update))?;
            }
            MemberType::Group => {
                let group = self.graph.key::<Group>(member_id).ok_or(Error::NotFound)?;
                applied(self.graph.update_relation_privileges(e, group, update))?;
            }
        }
        Ok(Outcome::NoContent)
    }

    /// `{"intermediaries": [{"type", "id"}, ...]}`, sorted by id as bytes with `"self"`
    /// in its place (reference §5.4).
    fn intermediaries_json(&self, kind: TargetKind, hops: &[Intermediary]) -> Value {
        let mut entries: Vec<(String, &'static str)> = hops
            .iter()
            .map(|hop| match hop {
                Intermediary::Direct => ("self".to_owned(), self_type(kind)),
                Intermediary::Group(g) => {
                    (self.graph.id(*g).unwrap_or_default().to_owned(), "group")
                }
            })
            .collect();
        entries.sort_unstable();
        let list: Vec<Value> = entries
            .into_iter()
            .map(|(id, kind)| json!({ "type": kind, "id": id }))
            .collect();
        json!({ "intermediaries": list })
    }

    /// A user who becomes a direct member of an owner-less space becomes its owner
    /// (reference: spaces §1.2).
    fn first_direct_user_owns<T: Target>(&mut self, entity: Key<T>, user: Key<User>) {
        if let Some(space) = self.as_space(Some(entity))
            && self.graph.space_owners(space).is_empty()
        {
            // The user was just made a direct member, so this cannot fail.
            let _ = self.graph.add_space_owner(space, user);
        }
    }

    /// Ending the direct membership of a space's only owner is refused while any other
    /// user is a member (reference: spaces §1.2).
    fn check_not_last_owner(&self, space: Key<Space>, user: Key<User>) -> Result<(), Error> {
        let owners = self.graph.space_owners(space);
        if owners == [user] && self.graph.effective_members::<User, Space>(space).len() > 1 {
            return Err(Error::CannotRemoveLastOwner {
                entity_type: "od_space",
                entity_id: self.graph.id(space).unwrap_or_default().to_owned(),
            });
        }
        Ok(())
    }

    // ----- groups ----------------------------------------------------------------------

    fn group(&mut self, auth: &Auth, op: &GroupOp, body: &Value) -> Result<Outcome, Error> {
        match op {
            GroupOp::Common(_) => Err(Error::NotSupported),
            GroupOp::ListParents { id, effective } => {
                let g = self.entity::<Group>(id)?;
                self.authorize(auth, &rules::group_list_parents(), Some(g), None, false)?;
                let parents = if *effective {
                    self.graph.effective_memberships::<Group, Group>(g)
                } else {
                    self.graph.memberships::<Group, Group>(g)
                };
                Ok(self.list_json("groups", &parents))
            }
            GroupOp::LeaveParent { id, parent_id } => {
                let g = self.entity::<Group>(id)?;
                let parent = self.graph.key::<Group>(parent_id).ok_or(Error::NotFound)?;
                if self.graph.direct_privileges(g, parent).is_none() {
                    return Err(Error::NotFound);
                }
                self.authorize(auth, &rules::group_leave_parent(), Some(g), None, false)?;
                applied(self.graph.unnest(Child(g), Parent(parent)))?;
                Ok(Outcome::NoContent)
            }
            GroupOp::CreateParent { id } => {
                let child = self.graph.key::<Group>(id);
                self.authorize(auth, &rules::group_create_parent(), child, None, false)?;
                validate::group_body(body)?;
                let child = child.ok_or(Error::NotFound)?;
                let new_id = self.fresh_id::<Group>();
                let parent = Group::create(&mut self.graph, &new_id)?;
                applied(
                    self.graph
                        .nest(Child(child), Parent(parent), GroupPrivileges::admin()),
                )?;
                Ok(Outcome::Created { id: Some(new_id) })
            }
            GroupOp::Oz { id, op } => {
                let g = self.entity::<Group>(id)?;
                self.authorize(auth, &rules::group_oz(*op), Some(g), None, false)?;
                self.oz(g, *op, body)
            }
            GroupOp::ListMemberships {
                id,
                kind,
                effective,
            } => {
                let g = self.entity::<Group>(id)?;
                self.authorize(auth, &rules::group_list_memberships(), Some(g), None, false)?;
                Ok(with_kind!(*kind, T => self.memberships_json::<Group, T>(g, *effective)))
            }
            GroupOp::Leave {
                id,
                kind,
                target_id,
            } => {
                let rule = rules::group_leave(*kind).ok_or(Error::NotSupported)?;
                let g = self.entity::<Group>(id)?;
                with_kind!(*kind, T => {
                    let target = self.graph.key::<T>(target_id).ok_or(Error::NotFound)?;
                    if self.graph.direct_privileges(g, target).is_none() {
                        return Err(Error::NotFound);
                    }
                    self.authorize(auth, &rule, Some(g), None, false)?;
                    applied(self.graph.remove_relation(target, g))?;
                });
                Ok(Outcome::NoContent)
            }
            GroupOp::CreateAs { id, kind } => {
                let rule = rules::group_create_as(*kind).ok_or(Error::NotSupported)?;
                let g = self.graph.key::<Group>(id);
                self.authorize(auth, &rule, g, None, false)?;
                creation_body(*kind, body)?;
                let g = g.ok_or(Error::NotFound)?;
                let client = self.client_if_user(auth);
                with_kind!(*kind, T => self.create_as::<T>(g, client))
            }
        }
    }

    /// Creates an entity of kind `T` with group `g` as member (admin preset); for
    /// spaces the client, if an effective member of `g`, becomes a direct member with
    /// the admin preset and the owner (reference: spaces §5, §7).
    fn create_as<T: KindRules>(
        &mut self,
        g: Key<Group>,
        client: Option<Key<User>>,
    ) -> Result<Outcome, Error> {
        let id = self.fresh_id::<T>();
        let entity = T::create(&mut self.graph, &id)?;
        applied(self.graph.add_relation(entity, g, T::Privileges::admin()))?;
        if let (Some(space), Some(user)) = (self.as_space(Some(entity)), client)
            && self.graph.is_effective_member(user, g)
        {
            applied(self.graph.add_member(space, user, SpacePrivileges::admin()))?;
            applied(self.graph.add_space_owner(space, user))?;
        }
        Ok(Outcome::Created { id: Some(id) })
    }

    fn memberships_json<M: MemberKind, T: Target>(
        &self,
        member: Key<M>,
        effective: bool,
    ) -> Outcome {
        let keys = if effective {
            self.graph.effective_memberships::<M, T>(member)
        } else {
            self.graph.memberships::<M, T>(member)
        };
        self.list_json(list_key(T::TARGET), &keys)
    }

    /// Oz privileges of a user or group: read, update (`grant` / `revoke`), delete.
    fn oz<M: MemberKind>(
        &mut self,
        member: Key<M>,
        op: OzOp,
        body: &Value,
    ) -> Result<Outcome, Error> {
        match op {
            OzOp::Get => Ok(Outcome::Json(privileges_json(
                self.graph.oz_privileges(member).ok_or(Error::NotFound)?,
            ))),
            OzOp::GetEffective => Ok(Outcome::Json(privileges_json(
                self.graph
                    .effective_oz_privileges(member)
                    .ok_or(Error::NotFound)?,
            ))),
            OzOp::Update => {
                let update = validate::grant_revoke::<OzPrivileges>(validate::object(body)?)?;
                applied(self.graph.update_oz_privileges(member, &update))?;
                Ok(Outcome::NoContent)
            }
            OzOp::Delete => {
                applied(
                    self.graph
                        .update_oz_privileges(member, &PrivilegeUpdate::Set(OzPrivileges::empty())),
                )?;
                Ok(Outcome::NoContent)
            }
        }
    }

    // ----- users and the client's own view -------------------------------------------

    fn user(&mut self, auth: &Auth, op: &UserOp, body: &Value) -> Result<Outcome, Error> {
        let no_holds = |_: Key<User>, _: OzPrivileges| false;
        let no_member = |_: Key<User>| false;
        match op {
            UserOp::Oz { user, op } => {
                let (target, second) = self.user_ref(auth, user)?;
                self.authorize_with(
                    auth,
                    &rules::user_oz(*op),
                    Some(&second),
                    false,
                    no_holds,
                    no_member,
                    None,
                    None,
                )?;
                self.oz(target, *op, body)
            }
            UserOp::ListMemberships { kind, effective } => {
                let user = self.acting_user(auth)?;
                self.authorize_with(
                    auth,
                    &rules::user_own(false),
                    None,
                    false,
                    no_holds,
                    no_member,
                    None,
                    None,
                )?;
                Ok(with_kind!(*kind, T => self.memberships_json::<User, T>(user, *effective)))
            }
            UserOp::Leave { kind, target_id } => {
                let user = self.acting_user(auth)?;
                with_kind!(*kind, T => {
                    let target = self.graph.key::<T>(target_id).ok_or(Error::NotFound)?;
                    if self.graph.direct_privileges(user, target).is_none() {
                        return Err(Error::NotFound);
                    }
                    self.authorize_with(auth, &rules::user_own(true), None, false, no_holds, no_member, None, None)?;
                    if let Some(space) = self.as_space(Some(target)) {
                        self.check_not_last_owner(space, user)?;
                    }
                    applied(self.graph.remove_member(target, user))?;
                });
                Ok(Outcome::NoContent)
            }
            UserOp::CreateAs { kind } => {
                let rule = rules::user_create_as(*kind).ok_or(Error::NotSupported)?;
                let user = self.acting_user(auth)?;
                self.authorize_with(auth, &rule, None, false, no_holds, no_member, None, None)?;
                creation_body(*kind, body)?;
                with_kind!(*kind, T => {
                    let id = self.fresh_id::<T>();
                    let entity = <T as KindRules>::create(&mut self.graph, &id)?;
                    let admin = <T as Target>::Privileges::admin();
                    applied(self.graph.add_member(entity, user, admin))?;
                    self.first_direct_user_owns(entity, user);
                    Ok(Outcome::Created { id: Some(id) })
                })
            }
            UserOp::Delete { user } => {
                let (target, second) = self.user_ref(auth, user)?;
                self.authorize_with(
                    auth,
                    &rules::user_delete(),
                    Some(&second),
                    false,
                    no_holds,
                    no_member,
                    None,
                    None,
                )?;
                for space in self.graph.memberships::<User, Space>(target) {
                    self.check_not_last_owner(space, target)?;
                }
                applied(self.graph.delete(target))?;
                Ok(Outcome::NoContent)
            }
        }
    }

    /// The user a `/users/{id}` or `/user` path addresses, and its id.
    fn user_ref(&self, auth: &Auth, user: &UserRef) -> Result<(Key<User>, String), Error> {
        match user {
            UserRef::Id(id) => Ok((self.entity::<User>(id)?, id.clone())),
            UserRef::Client => {
                let key = self.acting_user(auth)?;
                let id = self.graph.id(key).unwrap_or_default().to_owned();
                Ok((key, id))
            }
        }
    }

    // ----- spaces ----------------------------------------------------------------------

    fn space(&mut self, auth: &Auth, op: &SpaceOp, _body: &Value) -> Result<Outcome, Error> {
        match op {
            SpaceOp::Common(_) => Err(Error::NotSupported),
            SpaceOp::ListOwners { id } => {
                let s = self.entity::<Space>(id)?;
                self.authorize(auth, &rules::space_list_owners(), Some(s), None, false)?;
                Ok(self.list_json("users", &self.graph.space_owners(s)))
            }
            SpaceOp::AddOwner { id, user_id } => {
                let s = self.entity::<Space>(id)?;
                self.authorize(
                    auth,
                    &rules::space_change_owner(false),
                    Some(s),
                    Some(user_id),
                    false,
                )?;
                let not_member = Error::RelationDoesNotExist {
                    child_type: "od_space",
                    child_id: id.clone(),
                    parent_type: "od_user",
                    parent_id: user_id.clone(),
                };
                let user = self.graph.key::<User>(user_id).ok_or(not_member.clone())?;
                if !self.graph.is_effective_member(user, s) {
                    return Err(not_member);
                }
                if self.graph.is_space_owner(s, user) {
                    return Err(Error::AlreadyExists);
                }
                if self.graph.direct_privileges(user, s).is_none() {
                    applied(self.graph.add_member(s, user, SpacePrivileges::admin()))?;
                }
                applied(self.graph.add_space_owner(s, user))?;
                Ok(Outcome::NoContent)
            }
            SpaceOp::RemoveOwner { id, user_id } => {
                let s = self.entity::<Space>(id)?;
                let user = self.graph.key::<User>(user_id).ok_or(Error::NotFound)?;
                if !self.graph.is_space_owner(s, user) {
                    return Err(Error::NotFound);
                }
                self.authorize(
                    auth,
                    &rules::space_change_owner(true),
                    Some(s),
                    Some(user_id),
                    false,
                )?;
                if self.graph.space_owners(s).len() == 1 {
                    return Err(Error::CannotRemoveLastOwner {
                        entity_type: "od_space",
                        entity_id: id.clone(),
                    });
                }
                applied(self.graph.remove_space_owner(s, user))?;
                Ok(Outcome::NoContent)
            }
            SpaceOp::ListShares { id } => {
                let s = self.entity::<Space>(id)?;
                self.authorize(auth, &rules::space_list_links(), Some(s), None, false)?;
                Ok(self.list_json("shares", &self.graph.space_shares(s)))
            }
            SpaceOp::ListHarvesters { id } => {
                let s = self.entity::<Space>(id)?;
                self.authorize(auth, &rules::space_list_links(), Some(s), None, false)?;
                Ok(self.list_json("harvesters", &self.graph.space_harvesters(s)))
            }
            SpaceOp::RemoveHarvester { id, harvester_id } => {
                let s = self.entity::<Space>(id)?;
                let h = self.entity::<Harvester>(harvester_id)?;
                self.check_link(h, s)?;
                self.authorize(auth, &rules::space_remove_harvester(), Some(s), None, false)?;
                applied(self.graph.unlink_harvester_space(h, s))?;
                Ok(Outcome::NoContent)
            }
        }
    }

    /// Pipeline step 1 for the harvester ↔ space link routes: the link must exist.
    fn check_link(&self, harvester: Key<Harvester>, space: Key<Space>) -> Result<(), Error> {
        if self.graph.is_harvester_linked(harvester, space) {
            Ok(())
        } else {
            Err(Error::NotFound)
        }
    }

    // ----- harvesters ------------------------------------------------------------------

    fn harvester(&mut self, auth: &Auth, op: &HarvesterOp, body: &Value) -> Result<Outcome, Error> {
        match op {
            HarvesterOp::Common(_) => Err(Error::NotSupported),
            HarvesterOp::ListSpaces { id } => {
                let h = self.entity::<Harvester>(id)?;
                self.authorize(auth, &rules::harvester_list_spaces(), Some(h), None, false)?;
                Ok(self.list_json("spaces", &self.graph.harvester_spaces(h)))
            }
            HarvesterOp::AddSpace { id, space_id } => {
                let h = self.entity::<Harvester>(id)?;
                self.authorize(
                    auth,
                    &rules::harvester_add_space(),
                    Some(h),
                    Some(space_id),
                    false,
                )?;
                validate::object(body)?;
                let s = self
                    .graph
                    .key::<Space>(space_id)
                    .ok_or(Error::BadValueIdNotFound { key: "spaceId" })?;
                applied(self.graph.link_harvester_space(h, s))?;
                Ok(Outcome::Created { id: None })
            }
            HarvesterOp::RemoveSpace { id, space_id } => {
                let h = self.entity::<Harvester>(id)?;
                let s = self.entity::<Space>(space_id)?;
                self.check_link(h, s)?;
                self.authorize(auth, &rules::harvester_remove_space(), Some(h), None, false)?;
                applied(self.graph.unlink_harvester_space(h, s))?;
                Ok(Outcome::NoContent)
            }
        }
    }
}

/// Validates the body of creating an entity of `kind` (names and service data are
/// validated as Onezone does, then discarded: privgraph keeps ids and relations only).
fn creation_body(kind: TargetKind, body: &Value) -> Result<(), Error> {
    match kind {
        TargetKind::Group => validate::group_body(body),
        TargetKind::HandleService => validate::handle_service_body(body),
        _ => validate::named_body(body),
    }
}
