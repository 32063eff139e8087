//! Who may do what: one table per entity kind, readable side by side with the
//! reference (`reference/*.md`, the "client rule / admin alt. / existence" columns).
//!
//! A [`Rule`] is a client rule (any of several alternatives, each a list of conditions
//! that must all hold), the oz privileges that are an admin alternative (all required),
//! and the existence check the pipeline runs before authorizing. Root passes every rule.
//! Harvesters, clusters and automation inventories follow one pattern
//! ([`PlainKind`]); the other kinds state their own tables.

use smallvec::{SmallVec, smallvec};

use crate::graph::{MemberType, TargetKind};
use crate::privileges::{
    AtmInventoryPrivileges as AI, ClusterPrivileges as C, GroupPrivileges as G,
    HandlePrivileges as H, HandleServicePrivileges as HS, HarvesterPrivileges as HV,
    OzPrivileges as Oz, SpacePrivileges as S,
};

use crate::graph::{Graph, Key};

use super::Error;
use super::ops::{CommonOp, OzOp};

/// One condition of a client rule, about the (user) client. `P` is the vocabulary of
/// the entity the path names first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cond<P> {
    /// Any authenticated user.
    AnyUser,
    /// The user the path names (second) is the client (Onezone's `self`).
    IsSelf,
    /// The client holds these privileges effectively in the path's entity (space owners
    /// hold all).
    Holds(P),
    /// As `Holds`, but only required when the body has a `privileges` key.
    HoldsIfPrivilegesKey(P),
    /// The client is an effective member of the path's entity.
    Member,
    /// The client holds these group privileges in the group the path names second.
    InGroup(G),
    /// The client is an effective member of the group the path names second.
    MemberOfGroup,
    /// The client holds these space privileges in the space the path names second.
    InSpace(S),
    /// The client holds these privileges in the handle service of the path's handle.
    InHandleService(HS),
    /// The client holds these oz privileges effectively.
    Oz(Oz),
    /// The client owns the path's space.
    Owner,
    /// The user the path names second does not own the path's space.
    SecondNotOwner,
}

/// A client rule: who, besides admins and root, may run an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Client<P> {
    /// No client rule: only the admin alternative (and root).
    None,
    /// Everyone, `nobody` included.
    Anyone,
    /// Allowed when all conditions of any one alternative hold.
    AnyOf(SmallVec<[SmallVec<[Cond<P>; 3]>; 2]>),
}

/// What must exist before authorization; a miss answers `404 notFound`, even to
/// `nobody` (reference §1: 404 beats 401/403).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existence {
    /// Nothing (lists, presets, creations of new entities).
    None,
    /// The entity the path names first.
    Entity,
    /// The entity, checked only when applying (after authorization and validation):
    /// creating on behalf of a group that does not exist answers 404 to admins and root
    /// but 403 to users, who hold nothing in a missing group.
    EntityAtApply,
    /// The entity and the direct relation the path names.
    Direct,
    /// The entity and the effective relation the path names.
    Effective,
    /// The space and its owner the path names.
    Owner,
}

/// The rule of one operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule<P> {
    /// Who may, besides admins and root.
    pub client: Client<P>,
    /// Oz privileges that allow the operation when all are held; empty = no admin path.
    pub admin: Oz,
    /// Oz privileges added to `admin` when the body has a `privileges` key.
    pub admin_if_privileges_key: Oz,
    /// The existence check.
    pub existence: Existence,
}

fn rule<P>(client: Client<P>, admin: Oz, existence: Existence) -> Rule<P> {
    Rule {
        client,
        admin,
        admin_if_privileges_key: Oz::empty(),
        existence,
    }
}

impl<P> Rule<P> {
    fn plus_if_privileges_key(mut self, oz: Oz) -> Self {
        self.admin_if_privileges_key = oz;
        self
    }
}

/// One alternative made of `conds`.
fn all<P: Copy>(conds: &[Cond<P>]) -> Client<P> {
    Client::AnyOf(smallvec![conds.iter().copied().collect()])
}

/// Alternatives `a` or `b`.
fn either<P: Copy>(a: &[Cond<P>], b: &[Cond<P>]) -> Client<P> {
    Client::AnyOf(smallvec![
        a.iter().copied().collect(),
        b.iter().copied().collect()
    ])
}

fn holds<P: Copy>(p: P) -> Client<P> {
    all(&[Cond::Holds(p)])
}

fn existence_of(effective: bool) -> Existence {
    if effective {
        Existence::Effective
    } else {
        Existence::Direct
    }
}

use Cond::*;
use Existence as E;
use MemberType::{Group as AGroup, User as AUser};

/// The table of a target kind's shared operations; `None` where the kind has no such
/// route.
pub(crate) trait KindRules: crate::graph::Target {
    fn common(op: &CommonOp) -> Option<Rule<Self::Privileges>>;

    /// Creates an entity of this kind with no relations (handles cannot be: they
    /// belong to a share and a handle service).
    fn create(graph: &mut Graph, id: &str) -> Result<Key<Self>, Error>;
}

macro_rules! independent_create {
    () => {
        fn create(graph: &mut Graph, id: &str) -> Result<Key<Self>, Error> {
            graph.create::<Self>(id).map_err(Error::from)
        }
    };
}

// ----- groups (reference: groups-users-and-oz-privileges.md §2.1–§2.4) ----------------

impl KindRules for crate::graph::Group {
    independent_create!();

    fn common(op: &CommonOp) -> Option<Rule<G>> {
        use CommonOp::*;
        Some(match op {
            Presets => rule(Client::Anyone, Oz::empty(), E::None),
            ListAll => rule(Client::None, Oz::OZ_GROUPS_LIST, E::None),
            Create => rule(Client::None, Oz::OZ_GROUPS_CREATE, E::None),
            Delete { .. } => rule(holds(G::GROUP_DELETE), Oz::OZ_GROUPS_DELETE, E::Entity),
            ListMembers { .. } => rule(
                holds(G::GROUP_VIEW),
                Oz::OZ_GROUPS_LIST_RELATIONSHIPS,
                E::Entity,
            ),
            AddMember { member: AUser, .. } => rule(
                all(&[
                    IsSelf,
                    Holds(G::GROUP_ADD_USER),
                    HoldsIfPrivilegesKey(G::GROUP_SET_PRIVILEGES),
                ]),
                Oz::OZ_GROUPS_ADD_RELATIONSHIPS | Oz::OZ_USERS_ADD_RELATIONSHIPS,
                E::Entity,
            )
            .plus_if_privileges_key(Oz::OZ_GROUPS_SET_PRIVILEGES),
            AddMember { member: AGroup, .. } => rule(
                all(&[
                    Holds(G::GROUP_ADD_CHILD),
                    InGroup(G::GROUP_ADD_PARENT),
                    HoldsIfPrivilegesKey(G::GROUP_SET_PRIVILEGES),
                ]),
                Oz::OZ_GROUPS_ADD_RELATIONSHIPS,
                E::Entity,
            )
            .plus_if_privileges_key(Oz::OZ_GROUPS_SET_PRIVILEGES),
            RemoveMember { member: AUser, .. } => rule(
                holds(G::GROUP_REMOVE_USER),
                Oz::OZ_GROUPS_REMOVE_RELATIONSHIPS | Oz::OZ_USERS_REMOVE_RELATIONSHIPS,
                E::Direct,
            ),
            RemoveMember { member: AGroup, .. } => rule(
                holds(G::GROUP_REMOVE_CHILD),
                Oz::OZ_GROUPS_REMOVE_RELATIONSHIPS,
                E::Direct,
            ),
            MemberPrivileges {
                member: AUser,
                effective,
                ..
            } => rule(
                either(&[IsSelf], &[Holds(G::GROUP_VIEW_PRIVILEGES)]),
                Oz::OZ_GROUPS_VIEW_PRIVILEGES,
                existence_of(*effective),
            ),
            MemberPrivileges {
                member: AGroup,
                effective,
                ..
            } => rule(
                holds(G::GROUP_VIEW_PRIVILEGES),
                Oz::OZ_GROUPS_VIEW_PRIVILEGES,
                existence_of(*effective),
            ),
            UpdateMemberPrivileges { .. } => rule(
                holds(G::GROUP_SET_PRIVILEGES),
                Oz::OZ_GROUPS_SET_PRIVILEGES,
                E::Direct,
            ),
            SetMemberPrivileges { .. } => return None,
            Membership { member: AUser, .. } => rule(
                either(&[IsSelf], &[Holds(G::GROUP_VIEW)]),
                Oz::OZ_GROUPS_VIEW,
                E::Effective,
            ),
            Membership { member: AGroup, .. } => rule(
                either(&[MemberOfGroup], &[Holds(G::GROUP_VIEW)]),
                Oz::OZ_GROUPS_VIEW,
                E::Effective,
            ),
            CreateGroup { .. } => rule(
                holds(G::GROUP_ADD_CHILD),
                Oz::OZ_GROUPS_CREATE | Oz::OZ_GROUPS_ADD_RELATIONSHIPS,
                E::Entity,
            ),
        })
    }
}

/// `GET /groups/{id}/parents`, `…/effective_parents` (§2.3).
pub(crate) fn group_list_parents() -> Rule<G> {
    rule(
        holds(G::GROUP_VIEW),
        Oz::OZ_GROUPS_LIST_RELATIONSHIPS,
        E::Entity,
    )
}

/// `DELETE /groups/{id}/parents/{pid}` (§2.3).
pub(crate) fn group_leave_parent() -> Rule<G> {
    rule(
        holds(G::GROUP_LEAVE_PARENT),
        Oz::OZ_GROUPS_REMOVE_RELATIONSHIPS,
        E::Direct,
    )
}

/// `POST /groups/{id}/parents` (§2.3).
pub(crate) fn group_create_parent() -> Rule<G> {
    rule(
        holds(G::GROUP_ADD_PARENT),
        Oz::OZ_GROUPS_CREATE | Oz::OZ_GROUPS_ADD_RELATIONSHIPS,
        E::EntityAtApply,
    )
}

/// `GET|PATCH|DELETE /groups/{id}/privileges`, `GET …/effective_privileges` (§2.5):
/// membership gives nothing; only oz privileges.
pub(crate) fn group_oz(op: OzOp) -> Rule<G> {
    let needed = match op {
        OzOp::Get | OzOp::GetEffective => Oz::OZ_VIEW_PRIVILEGES,
        OzOp::Update | OzOp::Delete => Oz::OZ_SET_PRIVILEGES,
    };
    rule(all(&[Cond::Oz(needed)]), Oz::empty(), E::Entity)
}

/// `GET /groups/{id}/spaces` … (§2.7).
pub(crate) fn group_list_memberships() -> Rule<G> {
    rule(
        holds(G::GROUP_VIEW),
        Oz::OZ_GROUPS_LIST_RELATIONSHIPS,
        E::Entity,
    )
}

/// The oz privilege that removes relationships of a kind.
fn oz_remove_relationships(kind: TargetKind) -> Oz {
    match kind {
        TargetKind::Group => Oz::OZ_GROUPS_REMOVE_RELATIONSHIPS,
        TargetKind::Space => Oz::OZ_SPACES_REMOVE_RELATIONSHIPS,
        TargetKind::HandleService => Oz::OZ_HANDLE_SERVICES_REMOVE_RELATIONSHIPS,
        TargetKind::Handle => Oz::OZ_HANDLES_REMOVE_RELATIONSHIPS,
        TargetKind::Harvester => Oz::OZ_HARVESTERS_REMOVE_RELATIONSHIPS,
        TargetKind::Cluster => Oz::OZ_CLUSTERS_REMOVE_RELATIONSHIPS,
        TargetKind::AtmInventory => Oz::OZ_ATM_INVENTORIES_REMOVE_RELATIONSHIPS,
    }
}

/// `DELETE /groups/{id}/{kind}/{tid}`: the group leaves a target (§2.7; the privilege
/// names are the code's, not the route comments', see §8).
pub(crate) fn group_leave(kind: TargetKind) -> Option<Rule<G>> {
    let privilege = match kind {
        TargetKind::Group => return None,
        TargetKind::Space => G::GROUP_LEAVE_SPACE,
        TargetKind::HandleService => G::GROUP_LEAVE_HANDLE_SERVICE,
        TargetKind::Handle => G::GROUP_LEAVE_HANDLE,
        TargetKind::Harvester => G::GROUP_REMOVE_HARVESTER,
        TargetKind::Cluster => G::GROUP_LEAVE_CLUSTER,
        TargetKind::AtmInventory => G::GROUP_REMOVE_ATM_INVENTORY,
    };
    Some(rule(
        holds(privilege),
        Oz::OZ_GROUPS_REMOVE_RELATIONSHIPS | oz_remove_relationships(kind),
        E::Direct,
    ))
}

/// `POST /groups/{id}/{kind}`: create an entity with the group as its member
/// (spaces §5, handle services §2.5). Handles and clusters are not created here.
pub(crate) fn group_create_as(kind: TargetKind) -> Option<Rule<G>> {
    let (client, created) = match kind {
        TargetKind::Space => (holds(G::GROUP_ADD_SPACE), Oz::OZ_SPACES_CREATE),
        TargetKind::HandleService => (
            all(&[
                Holds(G::GROUP_CREATE_HANDLE_SERVICE),
                Cond::Oz(Oz::OZ_HANDLE_SERVICES_CREATE),
            ]),
            Oz::OZ_HANDLE_SERVICES_CREATE,
        ),
        TargetKind::Harvester => (
            all(&[
                Holds(G::GROUP_ADD_HARVESTER),
                Cond::Oz(Oz::OZ_HARVESTERS_CREATE),
            ]),
            Oz::OZ_HARVESTERS_CREATE,
        ),
        TargetKind::AtmInventory => (
            holds(G::GROUP_ADD_ATM_INVENTORY),
            Oz::OZ_ATM_INVENTORIES_CREATE,
        ),
        TargetKind::Group | TargetKind::Handle | TargetKind::Cluster => return None,
    };
    Some(rule(
        client,
        created | Oz::OZ_GROUPS_ADD_RELATIONSHIPS,
        E::EntityAtApply,
    ))
}

// ----- users and the client's own view (groups file §2.5–§2.6) --------------------------

/// `GET|PATCH|DELETE /users/{id}/privileges`, `GET …/effective_privileges`: reading is
/// `self`, setting never is.
pub(crate) fn user_oz(op: OzOp) -> Rule<Oz> {
    match op {
        OzOp::Get | OzOp::GetEffective => rule(all(&[IsSelf]), Oz::OZ_VIEW_PRIVILEGES, E::Entity),
        OzOp::Update | OzOp::Delete => rule(Client::None, Oz::OZ_SET_PRIVILEGES, E::Entity),
    }
}

/// `GET /user/{kind}`, `DELETE /user/{kind}/{id}` (leave, direct membership required).
pub(crate) fn user_own(leave: bool) -> Rule<Oz> {
    rule(
        all(&[AnyUser]),
        Oz::empty(),
        if leave { E::Direct } else { E::None },
    )
}

/// `POST /user/{kind}`: harvesters and handle services need an oz privilege even for
/// oneself.
pub(crate) fn user_create_as(kind: TargetKind) -> Option<Rule<Oz>> {
    let client = match kind {
        TargetKind::Group | TargetKind::Space | TargetKind::AtmInventory => all(&[AnyUser]),
        TargetKind::HandleService => all(&[Cond::Oz(Oz::OZ_HANDLE_SERVICES_CREATE)]),
        TargetKind::Harvester => all(&[Cond::Oz(Oz::OZ_HARVESTERS_CREATE)]),
        TargetKind::Handle | TargetKind::Cluster => return None,
    };
    Some(rule(client, Oz::empty(), E::None))
}

/// `DELETE /users/{id}`, `DELETE /user`.
pub(crate) fn user_delete() -> Rule<Oz> {
    rule(all(&[IsSelf]), Oz::OZ_USERS_DELETE, E::Entity)
}

// ----- spaces (spaces file §1) -------------------------------------------------------

impl KindRules for crate::graph::Space {
    independent_create!();

    fn common(op: &CommonOp) -> Option<Rule<S>> {
        match op {
            // Owners pass every `Holds` (the graph's check includes them), but removing
            // an owner's membership needs an owner (§1.2).
            CommonOp::RemoveMember { member: AUser, .. } => Some(rule(
                either(&[SecondNotOwner, Holds(S::SPACE_REMOVE_USER)], &[Owner]),
                Oz::OZ_SPACES_REMOVE_RELATIONSHIPS | Oz::OZ_USERS_REMOVE_RELATIONSHIPS,
                E::Direct,
            )),
            _ => plain(op, &SPACE),
        }
    }
}

const SPACE: PlainKind<S> = PlainKind {
    view: S::SPACE_VIEW,
    view_privileges: S::SPACE_VIEW_PRIVILEGES,
    set_privileges: S::SPACE_SET_PRIVILEGES,
    add_user: S::SPACE_ADD_USER,
    add_group: S::SPACE_ADD_GROUP,
    remove_user: S::SPACE_REMOVE_USER,
    remove_group: S::SPACE_REMOVE_GROUP,
    delete: Some(S::SPACE_DELETE),
    group_add: G::GROUP_ADD_SPACE,
    oz: OzOfKind {
        list: Oz::OZ_SPACES_LIST,
        view: Oz::OZ_SPACES_VIEW,
        create: Some(Oz::OZ_SPACES_CREATE),
        delete: Oz::OZ_SPACES_DELETE,
        list_relationships: Oz::OZ_SPACES_LIST_RELATIONSHIPS,
        view_privileges: Oz::OZ_SPACES_VIEW_PRIVILEGES,
        set_privileges: Oz::OZ_SPACES_SET_PRIVILEGES,
        add_relationships: Oz::OZ_SPACES_ADD_RELATIONSHIPS,
        remove_relationships: Oz::OZ_SPACES_REMOVE_RELATIONSHIPS,
    },
};

/// `GET /spaces/{id}/owners` (its admin alternative is `oz_spaces_view`, §8).
pub(crate) fn space_list_owners() -> Rule<S> {
    rule(holds(S::SPACE_VIEW), Oz::OZ_SPACES_VIEW, E::Entity)
}

/// `PUT /spaces/{id}/owners/{uid}` and `DELETE …`: owners only (§1.2).
pub(crate) fn space_change_owner(remove: bool) -> Rule<S> {
    rule(
        all(&[Owner]),
        Oz::OZ_SPACES_SET_PRIVILEGES,
        if remove { E::Owner } else { E::Entity },
    )
}

/// `GET /spaces/{id}/shares`, `GET /spaces/{id}/harvesters`.
pub(crate) fn space_list_links() -> Rule<S> {
    rule(
        holds(S::SPACE_VIEW),
        Oz::OZ_SPACES_LIST_RELATIONSHIPS,
        E::Entity,
    )
}

/// `DELETE /spaces/{sid}/harvesters/{id}` (§2.2).
pub(crate) fn space_remove_harvester() -> Rule<S> {
    rule(
        holds(S::SPACE_REMOVE_HARVESTER),
        Oz::OZ_SPACES_REMOVE_RELATIONSHIPS | Oz::OZ_HARVESTERS_REMOVE_RELATIONSHIPS,
        E::Direct,
    )
}

// ----- handle services and handles (handles file §2) ----------------------------------

impl KindRules for crate::graph::HandleService {
    independent_create!();

    fn common(op: &CommonOp) -> Option<Rule<HS>> {
        use CommonOp::*;
        // No privilege for viewing or setting privileges: reading members and privileges
        // is `handle_service_view`, changing them `handle_service_update` (§2.2).
        Some(match op {
            Presets => rule(Client::Anyone, Oz::empty(), E::None),
            ListAll => rule(
                all(&[Cond::Oz(Oz::OZ_HANDLE_SERVICES_LIST)]),
                Oz::OZ_HANDLE_SERVICES_LIST,
                E::None,
            ),
            Create => rule(Client::None, Oz::OZ_HANDLE_SERVICES_CREATE, E::None),
            Delete { .. } => rule(
                holds(HS::HANDLE_SERVICE_DELETE),
                Oz::OZ_HANDLE_SERVICES_DELETE,
                E::Entity,
            ),
            ListMembers { .. } => rule(
                holds(HS::HANDLE_SERVICE_VIEW),
                Oz::OZ_HANDLE_SERVICES_LIST_RELATIONSHIPS,
                E::Entity,
            ),
            AddMember { member, .. } => rule(
                holds(HS::HANDLE_SERVICE_UPDATE),
                Oz::OZ_HANDLE_SERVICES_ADD_RELATIONSHIPS | oz_add_relationships_of(*member),
                E::Entity,
            ),
            RemoveMember { member, .. } => rule(
                holds(HS::HANDLE_SERVICE_UPDATE),
                Oz::OZ_HANDLE_SERVICES_REMOVE_RELATIONSHIPS | oz_remove_relationships_of(*member),
                E::Direct,
            ),
            MemberPrivileges {
                member: AUser,
                effective,
                ..
            } => rule(
                either(&[IsSelf], &[Holds(HS::HANDLE_SERVICE_VIEW)]),
                Oz::OZ_HANDLE_SERVICES_VIEW_PRIVILEGES,
                existence_of(*effective),
            ),
            MemberPrivileges {
                member: AGroup,
                effective,
                ..
            } => rule(
                holds(HS::HANDLE_SERVICE_VIEW),
                Oz::OZ_HANDLE_SERVICES_VIEW_PRIVILEGES,
                existence_of(*effective),
            ),
            // The seed page's PUT (set, legacy names) exists for groups only (seed 000).
            UpdateMemberPrivileges { .. } | SetMemberPrivileges { member: AGroup, .. } => rule(
                holds(HS::HANDLE_SERVICE_UPDATE),
                Oz::OZ_HANDLE_SERVICES_SET_PRIVILEGES,
                E::Direct,
            ),
            SetMemberPrivileges { member: AUser, .. } => return None,
            Membership { .. } | CreateGroup { .. } => return None,
        })
    }
}

/// `GET /handle_services/{id}/handles`.
pub(crate) fn handle_service_list_handles() -> Rule<HS> {
    rule(
        holds(HS::HANDLE_SERVICE_LIST_HANDLES),
        Oz::OZ_HANDLE_SERVICES_LIST_RELATIONSHIPS,
        E::Entity,
    )
}

impl KindRules for crate::graph::Handle {
    fn create(_: &mut Graph, _: &str) -> Result<Key<Self>, Error> {
        Err(Error::NotSupported)
    }

    fn common(op: &CommonOp) -> Option<Rule<H>> {
        use CommonOp::*;
        Some(match op {
            Presets => rule(Client::Anyone, Oz::empty(), E::None),
            ListAll => rule(Client::None, Oz::OZ_HANDLES_LIST, E::None),
            // Handle creation needs share metadata (out of scope, see the README).
            Create | Membership { .. } | CreateGroup { .. } => return None,
            Delete { .. } => rule(
                either(
                    &[Holds(H::HANDLE_DELETE)],
                    &[InHandleService(HS::HANDLE_SERVICE_MANAGE_HANDLES)],
                ),
                Oz::OZ_HANDLES_DELETE,
                E::Entity,
            ),
            ListMembers { .. } => rule(
                holds(H::HANDLE_VIEW),
                Oz::OZ_HANDLES_LIST_RELATIONSHIPS,
                E::Entity,
            ),
            AddMember { member, .. } => rule(
                holds(H::HANDLE_UPDATE),
                Oz::OZ_HANDLES_ADD_RELATIONSHIPS | oz_add_relationships_of(*member),
                E::Entity,
            ),
            RemoveMember { member, .. } => rule(
                holds(H::HANDLE_UPDATE),
                Oz::OZ_HANDLES_REMOVE_RELATIONSHIPS | oz_remove_relationships_of(*member),
                E::Direct,
            ),
            MemberPrivileges {
                member: AUser,
                effective,
                ..
            } => rule(
                either(&[IsSelf], &[Holds(H::HANDLE_VIEW)]),
                Oz::OZ_HANDLES_VIEW_PRIVILEGES,
                existence_of(*effective),
            ),
            MemberPrivileges {
                member: AGroup,
                effective,
                ..
            } => rule(
                holds(H::HANDLE_VIEW),
                Oz::OZ_HANDLES_VIEW_PRIVILEGES,
                existence_of(*effective),
            ),
            // The seed page's PUT (set, legacy names) exists for users only (seed 003).
            UpdateMemberPrivileges { .. } | SetMemberPrivileges { member: AUser, .. } => rule(
                holds(H::HANDLE_UPDATE),
                Oz::OZ_HANDLES_SET_PRIVILEGES,
                E::Direct,
            ),
            SetMemberPrivileges { member: AGroup, .. } => return None,
        })
    }
}

fn oz_add_relationships_of(member: MemberType) -> Oz {
    match member {
        AUser => Oz::OZ_USERS_ADD_RELATIONSHIPS,
        AGroup => Oz::OZ_GROUPS_ADD_RELATIONSHIPS,
    }
}

fn oz_remove_relationships_of(member: MemberType) -> Oz {
    match member {
        AUser => Oz::OZ_USERS_REMOVE_RELATIONSHIPS,
        AGroup => Oz::OZ_GROUPS_REMOVE_RELATIONSHIPS,
    }
}

// ----- the plain pattern: harvesters, clusters, inventories (spaces file §2–§4) --------

/// The oz privileges of one kind.
pub(crate) struct OzOfKind {
    list: Oz,
    view: Oz,
    create: Option<Oz>,
    delete: Oz,
    list_relationships: Oz,
    view_privileges: Oz,
    set_privileges: Oz,
    add_relationships: Oz,
    remove_relationships: Oz,
}

/// A kind that follows the plain "`X_p` privilege or `oz_Xs_p`" pattern (spaces file
/// §8 lists the exceptions, which the other tables state).
pub(crate) struct PlainKind<P> {
    view: P,
    view_privileges: P,
    set_privileges: P,
    add_user: P,
    add_group: P,
    remove_user: P,
    remove_group: P,
    /// `None`: no delete route (clusters go with their provider).
    delete: Option<P>,
    /// What the client needs in a group to add it.
    group_add: G,
    oz: OzOfKind,
}

fn plain<P: Copy>(op: &CommonOp, k: &PlainKind<P>) -> Option<Rule<P>> {
    use CommonOp::*;
    let oz = &k.oz;
    Some(match op {
        Presets => rule(Client::Anyone, Oz::empty(), E::None),
        ListAll => rule(Client::None, oz.list, E::None),
        Create => rule(Client::None, oz.create?, E::None),
        Delete { .. } => rule(holds(k.delete?), oz.delete, E::Entity),
        ListMembers { .. } => rule(holds(k.view), oz.list_relationships, E::Entity),
        // Adding a user: only oneself, never someone else (§8).
        AddMember { member: AUser, .. } => rule(
            all(&[
                IsSelf,
                Holds(k.add_user),
                HoldsIfPrivilegesKey(k.set_privileges),
            ]),
            oz.add_relationships | Oz::OZ_USERS_ADD_RELATIONSHIPS,
            E::Entity,
        )
        .plus_if_privileges_key(oz.set_privileges),
        AddMember { member: AGroup, .. } => rule(
            all(&[
                Holds(k.add_group),
                InGroup(k.group_add),
                HoldsIfPrivilegesKey(k.set_privileges),
            ]),
            oz.add_relationships | Oz::OZ_GROUPS_ADD_RELATIONSHIPS,
            E::Entity,
        )
        .plus_if_privileges_key(oz.set_privileges),
        RemoveMember { member: AUser, .. } => rule(
            holds(k.remove_user),
            oz.remove_relationships | Oz::OZ_USERS_REMOVE_RELATIONSHIPS,
            E::Direct,
        ),
        RemoveMember { member: AGroup, .. } => rule(
            holds(k.remove_group),
            oz.remove_relationships | Oz::OZ_GROUPS_REMOVE_RELATIONSHIPS,
            E::Direct,
        ),
        MemberPrivileges {
            member: AUser,
            effective,
            ..
        } => rule(
            either(&[IsSelf], &[Holds(k.view_privileges)]),
            oz.view_privileges,
            existence_of(*effective),
        ),
        MemberPrivileges {
            member: AGroup,
            effective,
            ..
        } => rule(
            holds(k.view_privileges),
            oz.view_privileges,
            existence_of(*effective),
        ),
        UpdateMemberPrivileges { .. } => {
            rule(holds(k.set_privileges), oz.set_privileges, E::Direct)
        }
        SetMemberPrivileges { .. } => return None,
        Membership { member: AUser, .. } => {
            rule(either(&[IsSelf], &[Holds(k.view)]), oz.view, E::Effective)
        }
        Membership { member: AGroup, .. } => rule(
            either(&[MemberOfGroup], &[Holds(k.view)]),
            oz.view,
            E::Effective,
        ),
        CreateGroup { .. } => rule(
            holds(k.add_group),
            Oz::OZ_GROUPS_CREATE | oz.add_relationships,
            E::Entity,
        ),
    })
}

impl KindRules for crate::graph::Harvester {
    independent_create!();

    fn common(op: &CommonOp) -> Option<Rule<HV>> {
        plain(op, &HARVESTER)
    }
}

const HARVESTER: PlainKind<HV> = PlainKind {
    view: HV::HARVESTER_VIEW,
    view_privileges: HV::HARVESTER_VIEW_PRIVILEGES,
    set_privileges: HV::HARVESTER_SET_PRIVILEGES,
    add_user: HV::HARVESTER_ADD_USER,
    add_group: HV::HARVESTER_ADD_GROUP,
    remove_user: HV::HARVESTER_REMOVE_USER,
    remove_group: HV::HARVESTER_REMOVE_GROUP,
    delete: Some(HV::HARVESTER_DELETE),
    group_add: G::GROUP_ADD_HARVESTER,
    oz: OzOfKind {
        list: Oz::OZ_HARVESTERS_LIST,
        view: Oz::OZ_HARVESTERS_VIEW,
        create: Some(Oz::OZ_HARVESTERS_CREATE),
        delete: Oz::OZ_HARVESTERS_DELETE,
        list_relationships: Oz::OZ_HARVESTERS_LIST_RELATIONSHIPS,
        view_privileges: Oz::OZ_HARVESTERS_VIEW_PRIVILEGES,
        set_privileges: Oz::OZ_HARVESTERS_SET_PRIVILEGES,
        add_relationships: Oz::OZ_HARVESTERS_ADD_RELATIONSHIPS,
        remove_relationships: Oz::OZ_HARVESTERS_REMOVE_RELATIONSHIPS,
    },
};

/// `GET /harvesters/{id}/spaces`.
pub(crate) fn harvester_list_spaces() -> Rule<HV> {
    rule(
        holds(HV::HARVESTER_VIEW),
        Oz::OZ_HARVESTERS_LIST_RELATIONSHIPS,
        E::Entity,
    )
}

/// `PUT /harvesters/{id}/spaces/{sid}`: privileges on both sides (§2.2).
pub(crate) fn harvester_add_space() -> Rule<HV> {
    rule(
        all(&[
            Holds(HV::HARVESTER_ADD_SPACE),
            InSpace(S::SPACE_ADD_HARVESTER),
        ]),
        Oz::OZ_HARVESTERS_ADD_RELATIONSHIPS | Oz::OZ_SPACES_ADD_RELATIONSHIPS,
        E::Entity,
    )
}

/// `DELETE /harvesters/{id}/spaces/{sid}`: the admin alternative is the harvester's
/// privilege only (§2.2).
pub(crate) fn harvester_remove_space() -> Rule<HV> {
    rule(
        holds(HV::HARVESTER_REMOVE_SPACE),
        Oz::OZ_HARVESTERS_REMOVE_RELATIONSHIPS,
        E::Direct,
    )
}

impl KindRules for crate::graph::Cluster {
    independent_create!();

    fn common(op: &CommonOp) -> Option<Rule<C>> {
        plain(op, &CLUSTER)
    }
}

const CLUSTER: PlainKind<C> = PlainKind {
    view: C::CLUSTER_VIEW,
    view_privileges: C::CLUSTER_VIEW_PRIVILEGES,
    set_privileges: C::CLUSTER_SET_PRIVILEGES,
    add_user: C::CLUSTER_ADD_USER,
    add_group: C::CLUSTER_ADD_GROUP,
    remove_user: C::CLUSTER_REMOVE_USER,
    remove_group: C::CLUSTER_REMOVE_GROUP,
    delete: None,
    group_add: G::GROUP_ADD_CLUSTER,
    oz: OzOfKind {
        list: Oz::OZ_CLUSTERS_LIST,
        view: Oz::OZ_CLUSTERS_VIEW,
        create: None,
        delete: Oz::empty(),
        list_relationships: Oz::OZ_CLUSTERS_LIST_RELATIONSHIPS,
        view_privileges: Oz::OZ_CLUSTERS_VIEW_PRIVILEGES,
        set_privileges: Oz::OZ_CLUSTERS_SET_PRIVILEGES,
        add_relationships: Oz::OZ_CLUSTERS_ADD_RELATIONSHIPS,
        remove_relationships: Oz::OZ_CLUSTERS_REMOVE_RELATIONSHIPS,
    },
};

impl KindRules for crate::graph::AtmInventory {
    independent_create!();

    fn common(op: &CommonOp) -> Option<Rule<AI>> {
        plain(op, &ATM_INVENTORY)
    }
}

const ATM_INVENTORY: PlainKind<AI> = PlainKind {
    view: AI::ATM_INVENTORY_VIEW,
    view_privileges: AI::ATM_INVENTORY_VIEW_PRIVILEGES,
    set_privileges: AI::ATM_INVENTORY_SET_PRIVILEGES,
    add_user: AI::ATM_INVENTORY_ADD_USER,
    add_group: AI::ATM_INVENTORY_ADD_GROUP,
    remove_user: AI::ATM_INVENTORY_REMOVE_USER,
    remove_group: AI::ATM_INVENTORY_REMOVE_GROUP,
    delete: Some(AI::ATM_INVENTORY_DELETE),
    group_add: G::GROUP_ADD_ATM_INVENTORY,
    oz: OzOfKind {
        list: Oz::OZ_ATM_INVENTORIES_LIST,
        view: Oz::OZ_ATM_INVENTORIES_VIEW,
        create: Some(Oz::OZ_ATM_INVENTORIES_CREATE),
        delete: Oz::OZ_ATM_INVENTORIES_DELETE,
        list_relationships: Oz::OZ_ATM_INVENTORIES_LIST_RELATIONSHIPS,
        view_privileges: Oz::OZ_ATM_INVENTORIES_VIEW_PRIVILEGES,
        set_privileges: Oz::OZ_ATM_INVENTORIES_SET_PRIVILEGES,
        add_relationships: Oz::OZ_ATM_INVENTORIES_ADD_RELATIONSHIPS,
        remove_relationships: Oz::OZ_ATM_INVENTORIES_REMOVE_RELATIONSHIPS,
    },
};
