//! Who may do what. A [`Rule`] is a client rule (any of several alternatives, each a
//! list of conditions that must all hold), the oz privileges that are an admin
//! alternative (all required), and the existence check the pipeline runs before
//! authorizing. Root passes every rule.
//!
//! Every target kind has one row, [`KindRules`], holding what differs between kinds:
//! which privilege each shared operation needs, the admin privileges of the kind, and
//! the few places where a kind departs from the shared pattern (handle services and
//! handles let any holder of their update privilege manage members; spaces have
//! owners; handles can also be deleted from their handle service). [`shared`] turns a
//! row and an operation into a rule, so "who may set a group's privileges in a handle
//! service" is the `set_privileges` field of the handle-service row (and its
//! `oz.set_privileges`). The operations that only one kind has (parents of groups,
//! owners of spaces, harvester–space links, the client's own `/user` view) have their
//! rules in the functions below the rows.

use smallvec::{SmallVec, smallvec};

use crate::graph::{MemberType, TargetKind};
use crate::privileges::{
    AnyPrivileges, AtmInventoryPrivileges as AI, ClusterPrivileges as C, GroupPrivileges as G,
    HandlePrivileges as H, HandleServicePrivileges as HS, HarvesterPrivileges as HV,
    OzPrivileges as Oz, SpacePrivileges as S,
};

use super::ops::{CommonOp, OzOp};

/// One condition of a client rule, about the (user) client.
///
/// ```
/// use privgraph::logic::Cond;
/// use privgraph::privileges::SpacePrivileges as S;
/// assert_eq!(Cond::Holds(S::SPACE_VIEW.into()).to_string(), "holds space_view in the entity");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cond {
    /// Any authenticated user.
    AnyUser,
    /// The user the path names (second) is the client (Onezone's `self`).
    IsSelf,
    /// The client holds these privileges effectively in the path's entity (space
    /// owners hold all).
    Holds(AnyPrivileges),
    /// As `Holds`, but only required when the body has a `privileges` key.
    HoldsIfPrivilegesKey(AnyPrivileges),
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

impl std::fmt::Display for Cond {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cond::AnyUser => f.write_str("is an authenticated user"),
            Cond::IsSelf => f.write_str("is the user the path names"),
            Cond::Holds(p) => write!(f, "holds {p} in the entity"),
            Cond::HoldsIfPrivilegesKey(p) => {
                write!(f, "holds {p} in the entity (the body sets privileges)")
            }
            Cond::InGroup(p) => write!(f, "holds {p} in the group the path names"),
            Cond::MemberOfGroup => f.write_str("is a member of the group the path names"),
            Cond::InSpace(p) => write!(f, "holds {p} in the space the path names"),
            Cond::InHandleService(p) => write!(f, "holds {p} in the handle's handle service"),
            Cond::Oz(p) => write!(f, "holds the oz privileges {p}"),
            Cond::Owner => f.write_str("owns the space"),
            Cond::SecondNotOwner => f.write_str("the user the path names does not own the space"),
        }
    }
}

/// A client rule: who, besides admins and root, may run an operation.
// Rules are built on the stack for each request; boxing the alternatives would
// allocate on every authorization.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Client {
    /// No client rule: only the admin alternative (and root).
    None,
    /// Everyone, `nobody` included.
    Anyone,
    /// Allowed when all conditions of any one alternative hold.
    AnyOf(SmallVec<[SmallVec<[Cond; 3]>; 2]>),
}

/// What must exist before authorization; a miss answers `404 notFound`, even to
/// `nobody` (Onezone checks existence first: 404 beats 401 and 403).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existence {
    /// Nothing (lists, presets, creations of new entities).
    None,
    /// The entity the path names first.
    Entity,
    /// The entity, checked only after authorization and validation: creating on behalf
    /// of a group that does not exist answers 404 to admins and root but 403 to users,
    /// who hold nothing in a missing group.
    EntityAtApply,
    /// The entity and the direct relation the path names.
    Direct,
    /// The entity and the effective relation the path names.
    Effective,
    /// The space and the owner the path names.
    Owner,
    /// The harvester–space link the path names.
    Link,
}

/// The rule of one operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Who may, besides admins and root.
    pub client: Client,
    /// Oz privileges that allow the operation when all are held; empty = no admin path.
    pub admin: Oz,
    /// Oz privileges added to `admin` when the body has a `privileges` key.
    pub admin_if_privileges_key: Oz,
    /// The existence check.
    pub existence: Existence,
}

fn rule(client: Client, admin: Oz, existence: Existence) -> Rule {
    Rule {
        client,
        admin,
        admin_if_privileges_key: Oz::empty(),
        existence,
    }
}

impl Rule {
    fn plus_if_privileges_key(mut self, oz: Oz) -> Self {
        self.admin_if_privileges_key = oz;
        self
    }
}

/// One alternative made of `conds`.
fn all(conds: &[Cond]) -> Client {
    Client::AnyOf(smallvec![conds.iter().copied().collect()])
}

/// Alternatives `a` or `b`.
fn either(a: &[Cond], b: &[Cond]) -> Client {
    Client::AnyOf(smallvec![
        a.iter().copied().collect(),
        b.iter().copied().collect()
    ])
}

fn holds(p: AnyPrivileges) -> Client {
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

// ----- the rows ------------------------------------------------------------------------

/// The oz privileges of one kind.
#[derive(Debug)]
pub(crate) struct OzOfKind {
    list: Oz,
    view: Oz,
    /// `None`: entities of the kind are not created through the API (clusters, handles).
    create: Option<Oz>,
    delete: Oz,
    list_relationships: Oz,
    view_privileges: Oz,
    set_privileges: Oz,
    add_relationships: Oz,
    pub(crate) remove_relationships: Oz,
}

/// How members are added to a kind.
#[derive(Debug)]
enum Adding {
    /// The shared pattern: a user may add only itself (holding `add_user`); adding a
    /// group also needs `group_add` in that group; a body with `privileges` also needs
    /// `set_privileges` (and its admin privilege).
    SelfAndGroupConsent { group_add: G },
    /// Handle services and handles: holding `add_user` / `add_group` is enough, for
    /// anyone, and a `privileges` key needs nothing more.
    ByPrivilege,
}

/// What differs between target kinds, one row per kind (see the module docs).
#[derive(Debug)]
pub(crate) struct KindRules {
    view: AnyPrivileges,
    view_privileges: AnyPrivileges,
    set_privileges: AnyPrivileges,
    add_user: AnyPrivileges,
    add_group: AnyPrivileges,
    remove_user: AnyPrivileges,
    remove_group: AnyPrivileges,
    /// `None`: no delete route (clusters go with their provider).
    delete: Option<AnyPrivileges>,
    /// Another way to delete (handles: managing handles in their handle service).
    delete_alternative: Option<Cond>,
    adding: Adding,
    /// Spaces: removing an owner's membership needs an owner.
    owners: bool,
    /// Whether `…/effective_users/{id}/membership` and `POST …/groups` exist.
    membership_routes: bool,
    /// The member type whose seed-page `PUT …/privileges` route exists.
    seed_put: Option<MemberType>,
    /// The group privilege that lets a group leave an entity of this kind.
    pub(crate) group_leave: Option<G>,
    /// The group privilege that lets a group create an entity of this kind
    /// (`POST /groups/{id}/{kind}`).
    group_create: Option<G>,
    /// Whether users may create entities of this kind for themselves
    /// (`POST /user/{kind}`).
    user_create: bool,
    /// Whether creating one as a user or group also needs the oz create privilege
    /// (handle services and harvesters).
    create_needs_oz: bool,
    pub(crate) oz: OzOfKind,
}

const fn g(p: G) -> AnyPrivileges {
    AnyPrivileges::Group(p)
}
const fn s(p: S) -> AnyPrivileges {
    AnyPrivileges::Space(p)
}
const fn hs(p: HS) -> AnyPrivileges {
    AnyPrivileges::HandleService(p)
}
const fn h(p: H) -> AnyPrivileges {
    AnyPrivileges::Handle(p)
}
const fn hv(p: HV) -> AnyPrivileges {
    AnyPrivileges::Harvester(p)
}
const fn c(p: C) -> AnyPrivileges {
    AnyPrivileges::Cluster(p)
}
const fn ai(p: AI) -> AnyPrivileges {
    AnyPrivileges::AtmInventory(p)
}

/// Groups: members are users and child groups; adding a child also needs
/// `group_add_parent` in the child.
const GROUP: KindRules = KindRules {
    view: g(G::GROUP_VIEW),
    view_privileges: g(G::GROUP_VIEW_PRIVILEGES),
    set_privileges: g(G::GROUP_SET_PRIVILEGES),
    add_user: g(G::GROUP_ADD_USER),
    add_group: g(G::GROUP_ADD_CHILD),
    remove_user: g(G::GROUP_REMOVE_USER),
    remove_group: g(G::GROUP_REMOVE_CHILD),
    delete: Some(g(G::GROUP_DELETE)),
    delete_alternative: None,
    adding: Adding::SelfAndGroupConsent {
        group_add: G::GROUP_ADD_PARENT,
    },
    owners: false,
    membership_routes: true,
    seed_put: None,
    group_leave: None,
    group_create: None,
    user_create: true,
    create_needs_oz: false,
    oz: OzOfKind {
        list: Oz::OZ_GROUPS_LIST,
        view: Oz::OZ_GROUPS_VIEW,
        create: Some(Oz::OZ_GROUPS_CREATE),
        delete: Oz::OZ_GROUPS_DELETE,
        list_relationships: Oz::OZ_GROUPS_LIST_RELATIONSHIPS,
        view_privileges: Oz::OZ_GROUPS_VIEW_PRIVILEGES,
        set_privileges: Oz::OZ_GROUPS_SET_PRIVILEGES,
        add_relationships: Oz::OZ_GROUPS_ADD_RELATIONSHIPS,
        remove_relationships: Oz::OZ_GROUPS_REMOVE_RELATIONSHIPS,
    },
};

/// Spaces: the shared pattern plus owners, who hold every space privilege (the graph's
/// check includes them) and alone may remove another owner's membership.
const SPACE: KindRules = KindRules {
    view: s(S::SPACE_VIEW),
    view_privileges: s(S::SPACE_VIEW_PRIVILEGES),
    set_privileges: s(S::SPACE_SET_PRIVILEGES),
    add_user: s(S::SPACE_ADD_USER),
    add_group: s(S::SPACE_ADD_GROUP),
    remove_user: s(S::SPACE_REMOVE_USER),
    remove_group: s(S::SPACE_REMOVE_GROUP),
    delete: Some(s(S::SPACE_DELETE)),
    delete_alternative: None,
    adding: Adding::SelfAndGroupConsent {
        group_add: G::GROUP_ADD_SPACE,
    },
    owners: true,
    membership_routes: true,
    seed_put: None,
    group_leave: Some(G::GROUP_LEAVE_SPACE),
    group_create: Some(G::GROUP_ADD_SPACE),
    user_create: true,
    create_needs_oz: false,
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

/// Handle services: no privilege for viewing or setting privileges of their own;
/// reading members and privileges is `handle_service_view`, changing them
/// `handle_service_update`, for anyone holding it. The v3 API's `PUT` exists for
/// groups.
const HANDLE_SERVICE: KindRules = KindRules {
    view: hs(HS::HANDLE_SERVICE_VIEW),
    view_privileges: hs(HS::HANDLE_SERVICE_VIEW),
    set_privileges: hs(HS::HANDLE_SERVICE_UPDATE),
    add_user: hs(HS::HANDLE_SERVICE_UPDATE),
    add_group: hs(HS::HANDLE_SERVICE_UPDATE),
    remove_user: hs(HS::HANDLE_SERVICE_UPDATE),
    remove_group: hs(HS::HANDLE_SERVICE_UPDATE),
    delete: Some(hs(HS::HANDLE_SERVICE_DELETE)),
    delete_alternative: None,
    adding: Adding::ByPrivilege,
    owners: false,
    membership_routes: false,
    seed_put: Some(AGroup),
    group_leave: Some(G::GROUP_LEAVE_HANDLE_SERVICE),
    group_create: Some(G::GROUP_CREATE_HANDLE_SERVICE),
    user_create: true,
    create_needs_oz: true,
    oz: OzOfKind {
        list: Oz::OZ_HANDLE_SERVICES_LIST,
        view: Oz::OZ_HANDLE_SERVICES_VIEW,
        create: Some(Oz::OZ_HANDLE_SERVICES_CREATE),
        delete: Oz::OZ_HANDLE_SERVICES_DELETE,
        list_relationships: Oz::OZ_HANDLE_SERVICES_LIST_RELATIONSHIPS,
        view_privileges: Oz::OZ_HANDLE_SERVICES_VIEW_PRIVILEGES,
        set_privileges: Oz::OZ_HANDLE_SERVICES_SET_PRIVILEGES,
        add_relationships: Oz::OZ_HANDLE_SERVICES_ADD_RELATIONSHIPS,
        remove_relationships: Oz::OZ_HANDLE_SERVICES_REMOVE_RELATIONSHIPS,
    },
};

/// Handles: as handle services with their own names; also deletable by a holder of
/// `handle_service_manage_handles` in the handle's service; not created through the
/// API (handle creation needs share metadata). The v3 API's `PUT` exists for users.
const HANDLE: KindRules = KindRules {
    view: h(H::HANDLE_VIEW),
    view_privileges: h(H::HANDLE_VIEW),
    set_privileges: h(H::HANDLE_UPDATE),
    add_user: h(H::HANDLE_UPDATE),
    add_group: h(H::HANDLE_UPDATE),
    remove_user: h(H::HANDLE_UPDATE),
    remove_group: h(H::HANDLE_UPDATE),
    delete: Some(h(H::HANDLE_DELETE)),
    delete_alternative: Some(InHandleService(HS::HANDLE_SERVICE_MANAGE_HANDLES)),
    adding: Adding::ByPrivilege,
    owners: false,
    membership_routes: false,
    seed_put: Some(AUser),
    group_leave: Some(G::GROUP_LEAVE_HANDLE),
    group_create: None,
    user_create: false,
    create_needs_oz: false,
    oz: OzOfKind {
        list: Oz::OZ_HANDLES_LIST,
        view: Oz::OZ_HANDLES_VIEW,
        create: None,
        delete: Oz::OZ_HANDLES_DELETE,
        list_relationships: Oz::OZ_HANDLES_LIST_RELATIONSHIPS,
        view_privileges: Oz::OZ_HANDLES_VIEW_PRIVILEGES,
        set_privileges: Oz::OZ_HANDLES_SET_PRIVILEGES,
        add_relationships: Oz::OZ_HANDLES_ADD_RELATIONSHIPS,
        remove_relationships: Oz::OZ_HANDLES_REMOVE_RELATIONSHIPS,
    },
};

/// Harvesters: the shared pattern; creating one needs `oz_harvesters_create` even for
/// oneself.
const HARVESTER: KindRules = KindRules {
    view: hv(HV::HARVESTER_VIEW),
    view_privileges: hv(HV::HARVESTER_VIEW_PRIVILEGES),
    set_privileges: hv(HV::HARVESTER_SET_PRIVILEGES),
    add_user: hv(HV::HARVESTER_ADD_USER),
    add_group: hv(HV::HARVESTER_ADD_GROUP),
    remove_user: hv(HV::HARVESTER_REMOVE_USER),
    remove_group: hv(HV::HARVESTER_REMOVE_GROUP),
    delete: Some(hv(HV::HARVESTER_DELETE)),
    delete_alternative: None,
    adding: Adding::SelfAndGroupConsent {
        group_add: G::GROUP_ADD_HARVESTER,
    },
    owners: false,
    membership_routes: true,
    seed_put: None,
    // The code's privilege, not the route comments' `group_leave_harvester`.
    group_leave: Some(G::GROUP_REMOVE_HARVESTER),
    group_create: Some(G::GROUP_ADD_HARVESTER),
    user_create: true,
    create_needs_oz: true,
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

/// Clusters: the shared pattern; they come and go with their provider, so there is no
/// create or delete route.
const CLUSTER: KindRules = KindRules {
    view: c(C::CLUSTER_VIEW),
    view_privileges: c(C::CLUSTER_VIEW_PRIVILEGES),
    set_privileges: c(C::CLUSTER_SET_PRIVILEGES),
    add_user: c(C::CLUSTER_ADD_USER),
    add_group: c(C::CLUSTER_ADD_GROUP),
    remove_user: c(C::CLUSTER_REMOVE_USER),
    remove_group: c(C::CLUSTER_REMOVE_GROUP),
    delete: None,
    delete_alternative: None,
    adding: Adding::SelfAndGroupConsent {
        group_add: G::GROUP_ADD_CLUSTER,
    },
    owners: false,
    membership_routes: true,
    seed_put: None,
    group_leave: Some(G::GROUP_LEAVE_CLUSTER),
    group_create: None,
    user_create: false,
    create_needs_oz: false,
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

/// Automation inventories: the shared pattern.
const ATM_INVENTORY: KindRules = KindRules {
    view: ai(AI::ATM_INVENTORY_VIEW),
    view_privileges: ai(AI::ATM_INVENTORY_VIEW_PRIVILEGES),
    set_privileges: ai(AI::ATM_INVENTORY_SET_PRIVILEGES),
    add_user: ai(AI::ATM_INVENTORY_ADD_USER),
    add_group: ai(AI::ATM_INVENTORY_ADD_GROUP),
    remove_user: ai(AI::ATM_INVENTORY_REMOVE_USER),
    remove_group: ai(AI::ATM_INVENTORY_REMOVE_GROUP),
    delete: Some(ai(AI::ATM_INVENTORY_DELETE)),
    delete_alternative: None,
    adding: Adding::SelfAndGroupConsent {
        group_add: G::GROUP_ADD_ATM_INVENTORY,
    },
    owners: false,
    membership_routes: true,
    seed_put: None,
    // The code's privilege, not the route comments' `group_leave_atm_inventory`.
    group_leave: Some(G::GROUP_REMOVE_ATM_INVENTORY),
    group_create: Some(G::GROUP_ADD_ATM_INVENTORY),
    user_create: true,
    create_needs_oz: false,
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

/// The row of a kind.
pub(crate) const fn rules(kind: TargetKind) -> &'static KindRules {
    match kind {
        TargetKind::Group => &GROUP,
        TargetKind::Space => &SPACE,
        TargetKind::HandleService => &HANDLE_SERVICE,
        TargetKind::Handle => &HANDLE,
        TargetKind::Harvester => &HARVESTER,
        TargetKind::Cluster => &CLUSTER,
        TargetKind::AtmInventory => &ATM_INVENTORY,
    }
}

fn oz_add_relationships_of(member: MemberType) -> Oz {
    match member {
        AUser => Oz::OZ_USERS_ADD_RELATIONSHIPS,
        AGroup => Oz::OZ_GROUPS_ADD_RELATIONSHIPS,
    }
}

/// The rule of a shared operation on a kind, or `None` where the kind has no such
/// route.
pub(crate) fn shared(kind: TargetKind, op: &CommonOp) -> Option<Rule> {
    use CommonOp::*;
    let k = rules(kind);
    let oz = &k.oz;
    Some(match op {
        Presets => rule(Client::Anyone, Oz::empty(), E::None),
        ListAll => rule(Client::None, oz.list, E::None),
        Create => rule(Client::None, oz.create?, E::None),
        Delete { .. } => {
            let own = Holds(k.delete?);
            let client = match k.delete_alternative {
                Some(alternative) => either(&[own], &[alternative]),
                None => all(&[own]),
            };
            rule(client, oz.delete, E::Entity)
        }
        ListMembers { .. } => rule(holds(k.view), oz.list_relationships, E::Entity),
        AddMember { member, .. } => add_member(k, *member),
        RemoveMember { member, .. } => {
            let (privilege, admin) = match member {
                AUser => (k.remove_user, Oz::OZ_USERS_REMOVE_RELATIONSHIPS),
                AGroup => (k.remove_group, Oz::OZ_GROUPS_REMOVE_RELATIONSHIPS),
            };
            let client = if k.owners && *member == AUser {
                either(&[SecondNotOwner, Holds(privilege)], &[Owner])
            } else {
                holds(privilege)
            };
            rule(client, oz.remove_relationships | admin, E::Direct)
        }
        MemberPrivileges {
            member, effective, ..
        } => {
            let client = match member {
                AUser => either(&[IsSelf], &[Holds(k.view_privileges)]),
                AGroup => holds(k.view_privileges),
            };
            rule(client, oz.view_privileges, existence_of(*effective))
        }
        UpdateMemberPrivileges { .. } => {
            rule(holds(k.set_privileges), oz.set_privileges, E::Direct)
        }
        SetMemberPrivileges { member, .. } if k.seed_put == Some(*member) => {
            rule(holds(k.set_privileges), oz.set_privileges, E::Direct)
        }
        SetMemberPrivileges { .. } => return None,
        Membership { .. } | CreateGroup { .. } if !k.membership_routes => return None,
        Membership { member, .. } => {
            let own = match member {
                AUser => IsSelf,
                AGroup => MemberOfGroup,
            };
            rule(either(&[own], &[Holds(k.view)]), oz.view, E::Effective)
        }
        CreateGroup { .. } => rule(
            holds(k.add_group),
            Oz::OZ_GROUPS_CREATE | oz.add_relationships,
            E::Entity,
        ),
    })
}

fn add_member(k: &KindRules, member: MemberType) -> Rule {
    let admin = k.oz.add_relationships | oz_add_relationships_of(member);
    let privilege = match member {
        AUser => k.add_user,
        AGroup => k.add_group,
    };
    match (&k.adding, member) {
        (Adding::ByPrivilege, _) => rule(holds(privilege), admin, E::Entity),
        // Adding a user: only oneself, never someone else.
        (Adding::SelfAndGroupConsent { .. }, AUser) => rule(
            all(&[
                IsSelf,
                Holds(privilege),
                HoldsIfPrivilegesKey(k.set_privileges),
            ]),
            admin,
            E::Entity,
        )
        .plus_if_privileges_key(k.oz.set_privileges),
        (Adding::SelfAndGroupConsent { group_add }, AGroup) => rule(
            all(&[
                Holds(privilege),
                InGroup(*group_add),
                HoldsIfPrivilegesKey(k.set_privileges),
            ]),
            admin,
            E::Entity,
        )
        .plus_if_privileges_key(k.oz.set_privileges),
    }
}

/// `GET /privileges`: the oz presets, open to everyone.
pub(crate) fn presets() -> Rule {
    rule(Client::Anyone, Oz::empty(), E::None)
}

// ----- groups ----------------------------------------------------------------------------

/// `GET /groups/{id}/parents`, `…/effective_parents`, and the group's memberships
/// (`GET /groups/{id}/spaces`, …).
pub(crate) fn group_list_relations() -> Rule {
    rule(
        holds(g(G::GROUP_VIEW)),
        Oz::OZ_GROUPS_LIST_RELATIONSHIPS,
        E::Entity,
    )
}

/// `DELETE /groups/{id}/parents/{pid}`.
pub(crate) fn group_leave_parent() -> Rule {
    rule(
        holds(g(G::GROUP_LEAVE_PARENT)),
        Oz::OZ_GROUPS_REMOVE_RELATIONSHIPS,
        E::Direct,
    )
}

/// `POST /groups/{id}/parents`: create a parent of the group.
pub(crate) fn group_create_parent() -> Rule {
    rule(
        holds(g(G::GROUP_ADD_PARENT)),
        Oz::OZ_GROUPS_CREATE | Oz::OZ_GROUPS_ADD_RELATIONSHIPS,
        E::EntityAtApply,
    )
}

/// `GET|PATCH|DELETE /groups/{id}/privileges`, `GET …/effective_privileges`:
/// membership gives nothing; only oz privileges.
pub(crate) fn group_oz(op: OzOp) -> Rule {
    let needed = match op {
        OzOp::Get | OzOp::GetEffective => Oz::OZ_VIEW_PRIVILEGES,
        OzOp::Update | OzOp::Delete => Oz::OZ_SET_PRIVILEGES,
    };
    rule(all(&[Cond::Oz(needed)]), Oz::empty(), E::Entity)
}

/// `DELETE /groups/{id}/{kind}/{tid}`: the group leaves a target.
pub(crate) fn group_leave(kind: TargetKind) -> Option<Rule> {
    let k = rules(kind);
    Some(rule(
        holds(g(k.group_leave?)),
        Oz::OZ_GROUPS_REMOVE_RELATIONSHIPS | k.oz.remove_relationships,
        E::Direct,
    ))
}

/// `POST /groups/{id}/{kind}`: create an entity with the group as its member.
pub(crate) fn group_create_as(kind: TargetKind) -> Option<Rule> {
    let k = rules(kind);
    let create = k.oz.create?;
    let own = Holds(g(k.group_create?));
    let client = if k.create_needs_oz {
        all(&[own, Cond::Oz(create)])
    } else {
        all(&[own])
    };
    Some(rule(
        client,
        create | Oz::OZ_GROUPS_ADD_RELATIONSHIPS,
        E::EntityAtApply,
    ))
}

// ----- users and the client's own view ---------------------------------------------------

/// `GET|PATCH|DELETE /users/{id}/privileges`, `GET …/effective_privileges`: reading is
/// `self`, setting never is.
pub(crate) fn user_oz(op: OzOp) -> Rule {
    match op {
        OzOp::Get | OzOp::GetEffective => rule(all(&[IsSelf]), Oz::OZ_VIEW_PRIVILEGES, E::Entity),
        OzOp::Update | OzOp::Delete => rule(Client::None, Oz::OZ_SET_PRIVILEGES, E::Entity),
    }
}

/// `GET /user/{kind}`.
pub(crate) fn user_list_own() -> Rule {
    rule(all(&[AnyUser]), Oz::empty(), E::None)
}

/// `DELETE /user/{kind}/{id}`: leave, the direct membership must exist.
pub(crate) fn user_leave() -> Rule {
    rule(all(&[AnyUser]), Oz::empty(), E::Direct)
}

/// `POST /user/{kind}`: handle services and harvesters need their oz create privilege
/// even for oneself.
pub(crate) fn user_create_as(kind: TargetKind) -> Option<Rule> {
    let k = rules(kind);
    if !k.user_create {
        return None;
    }
    let client = match k.oz.create {
        Some(create) if k.create_needs_oz => all(&[Cond::Oz(create)]),
        _ => all(&[AnyUser]),
    };
    Some(rule(client, Oz::empty(), E::None))
}

/// `DELETE /users/{id}`, `DELETE /user`.
pub(crate) fn user_delete() -> Rule {
    rule(all(&[IsSelf]), Oz::OZ_USERS_DELETE, E::Entity)
}

// ----- spaces, handle services, harvesters ------------------------------------------------

/// `GET /spaces/{id}/owners` (its admin alternative is `oz_spaces_view`).
pub(crate) fn space_list_owners() -> Rule {
    rule(holds(s(S::SPACE_VIEW)), Oz::OZ_SPACES_VIEW, E::Entity)
}

/// `PUT /spaces/{id}/owners/{uid}`: owners only.
pub(crate) fn space_add_owner() -> Rule {
    rule(all(&[Owner]), Oz::OZ_SPACES_SET_PRIVILEGES, E::Entity)
}

/// `DELETE /spaces/{id}/owners/{uid}`: owners only; the owner must exist.
pub(crate) fn space_remove_owner() -> Rule {
    rule(all(&[Owner]), Oz::OZ_SPACES_SET_PRIVILEGES, E::Owner)
}

/// `GET /spaces/{id}/shares`, `GET /spaces/{id}/harvesters`.
pub(crate) fn space_list_links() -> Rule {
    rule(
        holds(s(S::SPACE_VIEW)),
        Oz::OZ_SPACES_LIST_RELATIONSHIPS,
        E::Entity,
    )
}

/// `DELETE /spaces/{sid}/harvesters/{id}`.
pub(crate) fn space_remove_harvester() -> Rule {
    rule(
        holds(s(S::SPACE_REMOVE_HARVESTER)),
        Oz::OZ_SPACES_REMOVE_RELATIONSHIPS | Oz::OZ_HARVESTERS_REMOVE_RELATIONSHIPS,
        E::Link,
    )
}

/// `GET /handle_services/{id}/handles`.
pub(crate) fn handle_service_list_handles() -> Rule {
    rule(
        holds(hs(HS::HANDLE_SERVICE_LIST_HANDLES)),
        Oz::OZ_HANDLE_SERVICES_LIST_RELATIONSHIPS,
        E::Entity,
    )
}

/// `GET /harvesters/{id}/spaces`.
pub(crate) fn harvester_list_spaces() -> Rule {
    rule(
        holds(hv(HV::HARVESTER_VIEW)),
        Oz::OZ_HARVESTERS_LIST_RELATIONSHIPS,
        E::Entity,
    )
}

/// `PUT /harvesters/{id}/spaces/{sid}`: privileges on both sides.
pub(crate) fn harvester_add_space() -> Rule {
    rule(
        all(&[
            Holds(hv(HV::HARVESTER_ADD_SPACE)),
            InSpace(S::SPACE_ADD_HARVESTER),
        ]),
        Oz::OZ_HARVESTERS_ADD_RELATIONSHIPS | Oz::OZ_SPACES_ADD_RELATIONSHIPS,
        E::Entity,
    )
}

/// `DELETE /harvesters/{id}/spaces/{sid}`: the admin alternative is the harvester's
/// privilege only.
pub(crate) fn harvester_remove_space() -> Rule {
    rule(
        holds(hv(HV::HARVESTER_REMOVE_SPACE)),
        Oz::OZ_HARVESTERS_REMOVE_RELATIONSHIPS,
        E::Link,
    )
}
