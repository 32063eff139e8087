//! The operations of Onezone's API on memberships, privileges and the entities of the
//! graph: one enum per entity kind. Operations shared by every kind that has members
//! live in [`CommonOp`], which each kind's enum wraps.

use crate::graph::{MemberType, TargetKind};

/// Operations every target kind (groups, spaces, handle services, handles, harvesters,
/// clusters, automation inventories) has, on the entity `id` of that kind.
///
/// `member` says whether the member named in the path is a user or a group (for groups:
/// a child group). Path shapes are given for groups (`/groups/...`); other kinds are the
/// same under `/spaces`, `/handle_services`, … with `…/groups/{gid}` for group members.
///
/// ```
/// use privgraph::graph::MemberType;
/// use privgraph::logic::{CommonOp, HandleServiceOp, Operation};
/// // PATCH /handle_services/hs1/groups/g1/privileges
/// let op = Operation::HandleService(HandleServiceOp::Common(CommonOp::UpdateMemberPrivileges {
///     id: "hs1".into(), member: MemberType::Group, member_id: "g1".into(),
/// }));
/// assert_eq!(op.entity_id(), Some("hs1"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CommonOp {
    /// `GET /groups/privileges`: the presets.
    Presets,
    /// `GET /groups`: every id (oz admins).
    ListAll,
    /// `POST /groups`: create with no members (oz admins).
    Create,
    /// `DELETE /groups/{id}`.
    Delete {
        /// The entity.
        id: String,
    },
    /// `GET /groups/{id}/users`, `…/effective_users`, `…/children`, `…/effective_children`.
    ListMembers {
        /// The entity.
        id: String,
        /// Users or groups.
        member: MemberType,
        /// Effective (direct included) or direct only.
        effective: bool,
    },
    /// `PUT /groups/{id}/users/{uid}`, `PUT /groups/{id}/children/{cid}`.
    AddMember {
        /// The entity.
        id: String,
        /// Users or groups.
        member: MemberType,
        /// The member to add.
        member_id: String,
    },
    /// `DELETE /groups/{id}/users/{uid}`, `DELETE /groups/{id}/children/{cid}`.
    RemoveMember {
        /// The entity.
        id: String,
        /// Users or groups.
        member: MemberType,
        /// The member to remove.
        member_id: String,
    },
    /// `GET /groups/{id}/users/{uid}/privileges`, `…/effective_users/{uid}/privileges`.
    MemberPrivileges {
        /// The entity.
        id: String,
        /// Users or groups.
        member: MemberType,
        /// The member.
        member_id: String,
        /// Effective or direct privileges.
        effective: bool,
    },
    /// `PATCH /groups/{id}/users/{uid}/privileges` with `grant` / `revoke`.
    UpdateMemberPrivileges {
        /// The entity.
        id: String,
        /// Users or groups.
        member: MemberType,
        /// The member.
        member_id: String,
    },
    /// The v3 API's `PUT …/privileges` (handle services and handles): replace the
    /// whole set; legacy v3 names accepted.
    SetMemberPrivileges {
        /// The entity.
        id: String,
        /// Users or groups.
        member: MemberType,
        /// The member.
        member_id: String,
    },
    /// `GET /groups/{id}/effective_users/{uid}/membership` (and `…/effective_children/…`,
    /// `…/effective_groups/…`): the intermediaries.
    Membership {
        /// The entity.
        id: String,
        /// Users or groups.
        member: MemberType,
        /// The member.
        member_id: String,
    },
    /// `POST /spaces/{id}/groups` (groups: `POST /groups/{id}/children`): create a new
    /// group inside the entity, as the client.
    CreateGroup {
        /// The entity.
        id: String,
    },
}

/// Operations on groups.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum GroupOp {
    /// The operations every kind has (members = users and child groups).
    Common(CommonOp),
    /// `GET /groups/{id}/parents`, `…/effective_parents`.
    ListParents {
        /// The group.
        id: String,
        /// Effective or direct parents.
        effective: bool,
    },
    /// `DELETE /groups/{id}/parents/{pid}`: the group leaves a parent.
    LeaveParent {
        /// The group.
        id: String,
        /// The parent.
        parent_id: String,
    },
    /// `POST /groups/{id}/parents`: create a new parent group of `id`.
    CreateParent {
        /// The group.
        id: String,
    },
    /// `GET|PATCH|DELETE /groups/{id}/privileges`, `GET /groups/{id}/effective_privileges`.
    Oz {
        /// The group.
        id: String,
        /// What to do with its oz privileges.
        op: OzOp,
    },
    /// `GET /groups/{id}/spaces`, `…/effective_spaces`, and so on for every kind.
    ListMemberships {
        /// The group.
        id: String,
        /// Which kind of target.
        kind: TargetKind,
        /// Effective or direct memberships.
        effective: bool,
    },
    /// `DELETE /groups/{id}/spaces/{sid}` and so on: the group leaves a target.
    Leave {
        /// The group.
        id: String,
        /// Which kind of target.
        kind: TargetKind,
        /// The target.
        target_id: String,
    },
    /// `POST /groups/{id}/spaces` and so on: create an entity with the group as member.
    CreateAs {
        /// The group.
        id: String,
        /// Which kind to create.
        kind: TargetKind,
    },
}

/// Operations on spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SpaceOp {
    /// The operations every kind has.
    Common(CommonOp),
    /// `GET /spaces/{id}/owners`.
    ListOwners {
        /// The space.
        id: String,
    },
    /// `PUT /spaces/{id}/owners/{uid}`.
    AddOwner {
        /// The space.
        id: String,
        /// The user.
        user_id: String,
    },
    /// `DELETE /spaces/{id}/owners/{uid}`.
    RemoveOwner {
        /// The space.
        id: String,
        /// The user.
        user_id: String,
    },
    /// `GET /spaces/{id}/shares`.
    ListShares {
        /// The space.
        id: String,
    },
    /// `GET /spaces/{id}/harvesters`.
    ListHarvesters {
        /// The space.
        id: String,
    },
    /// `DELETE /spaces/{id}/harvesters/{hid}`.
    RemoveHarvester {
        /// The space.
        id: String,
        /// The harvester.
        harvester_id: String,
    },
}

/// Operations on handle services.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HandleServiceOp {
    /// The operations every kind has.
    Common(CommonOp),
    /// `GET /handle_services/{id}/handles`.
    ListHandles {
        /// The handle service.
        id: String,
    },
}

/// Operations on handles.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HandleOp {
    /// The operations every kind has.
    Common(CommonOp),
}

/// Operations on harvesters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HarvesterOp {
    /// The operations every kind has.
    Common(CommonOp),
    /// `GET /harvesters/{id}/spaces`.
    ListSpaces {
        /// The harvester.
        id: String,
    },
    /// `PUT /harvesters/{id}/spaces/{sid}`.
    AddSpace {
        /// The harvester.
        id: String,
        /// The space.
        space_id: String,
    },
    /// `DELETE /harvesters/{id}/spaces/{sid}`.
    RemoveSpace {
        /// The harvester.
        id: String,
        /// The space.
        space_id: String,
    },
}

/// Operations on clusters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ClusterOp {
    /// The operations every kind has (clusters have no create or delete routes).
    Common(CommonOp),
}

/// Operations on automation inventories.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AtmInventoryOp {
    /// The operations every kind has.
    Common(CommonOp),
}

/// Which user an operation on users addresses: `/users/{id}/…` or the client's own
/// `/user/…`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UserRef {
    /// `/users/{id}`.
    Id(String),
    /// `/user`: the client.
    Client,
}

/// Operations on users (and the client's own view, `/user/…`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UserOp {
    /// `GET|PATCH|DELETE /users/{id}/privileges`, `GET /users/{id}/effective_privileges`,
    /// and the same under `/user`.
    Oz {
        /// Whose.
        user: UserRef,
        /// What to do with the oz privileges.
        op: OzOp,
    },
    /// `GET /user/groups`, `/user/effective_groups`, `/user/spaces`, … .
    ListMemberships {
        /// Which kind of target.
        kind: TargetKind,
        /// Effective or direct memberships.
        effective: bool,
    },
    /// `DELETE /user/groups/{id}`, `/user/spaces/{id}`, …: the client leaves.
    Leave {
        /// Which kind of target.
        kind: TargetKind,
        /// The target.
        target_id: String,
    },
    /// `POST /user/groups`, `/user/spaces`, …: create an entity with the client as
    /// member.
    CreateAs {
        /// Which kind to create.
        kind: TargetKind,
    },
    /// `DELETE /users/{id}`, `DELETE /user`: delete a user account and its relations.
    Delete {
        /// Whose.
        user: UserRef,
    },
}

/// What to do with oz privileges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OzOp {
    /// `GET …/privileges`: own.
    Get,
    /// `GET …/effective_privileges`.
    GetEffective,
    /// `PATCH …/privileges` with `grant` / `revoke`.
    Update,
    /// `DELETE …/privileges`: revoke all.
    Delete,
}

/// One operation of Onezone's API, by entity kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Operation {
    /// On groups.
    Group(GroupOp),
    /// On spaces.
    Space(SpaceOp),
    /// On handle services.
    HandleService(HandleServiceOp),
    /// On handles.
    Handle(HandleOp),
    /// On harvesters.
    Harvester(HarvesterOp),
    /// On clusters.
    Cluster(ClusterOp),
    /// On automation inventories.
    AtmInventory(AtmInventoryOp),
    /// On users.
    User(UserOp),
    /// `GET /privileges`: the oz presets.
    OzPresets,
}

impl CommonOp {
    /// The entity id the path names, if any.
    pub(crate) fn id(&self) -> Option<&str> {
        match self {
            CommonOp::Presets | CommonOp::ListAll | CommonOp::Create => None,
            CommonOp::Delete { id }
            | CommonOp::ListMembers { id, .. }
            | CommonOp::AddMember { id, .. }
            | CommonOp::RemoveMember { id, .. }
            | CommonOp::MemberPrivileges { id, .. }
            | CommonOp::UpdateMemberPrivileges { id, .. }
            | CommonOp::SetMemberPrivileges { id, .. }
            | CommonOp::Membership { id, .. }
            | CommonOp::CreateGroup { id } => Some(id),
        }
    }

    /// The member the path names second, if any.
    pub(crate) fn member(&self) -> Option<(MemberType, &str)> {
        match self {
            CommonOp::AddMember {
                member, member_id, ..
            }
            | CommonOp::RemoveMember {
                member, member_id, ..
            }
            | CommonOp::MemberPrivileges {
                member, member_id, ..
            }
            | CommonOp::UpdateMemberPrivileges {
                member, member_id, ..
            }
            | CommonOp::SetMemberPrivileges {
                member, member_id, ..
            }
            | CommonOp::Membership {
                member, member_id, ..
            } => Some((*member, member_id)),
            _ => None,
        }
    }
}

impl Operation {
    /// The target kind and the shared operation, when this is one.
    pub fn common(&self) -> Option<(TargetKind, &CommonOp)> {
        Some(match self {
            Operation::Group(GroupOp::Common(op)) => (TargetKind::Group, op),
            Operation::Space(SpaceOp::Common(op)) => (TargetKind::Space, op),
            Operation::HandleService(HandleServiceOp::Common(op)) => {
                (TargetKind::HandleService, op)
            }
            Operation::Handle(HandleOp::Common(op)) => (TargetKind::Handle, op),
            Operation::Harvester(HarvesterOp::Common(op)) => (TargetKind::Harvester, op),
            Operation::Cluster(ClusterOp::Common(op)) => (TargetKind::Cluster, op),
            Operation::AtmInventory(AtmInventoryOp::Common(op)) => (TargetKind::AtmInventory, op),
            _ => return None,
        })
    }

    /// Wraps a shared operation into the enum of `kind`.
    ///
    /// ```
    /// use privgraph::graph::TargetKind;
    /// use privgraph::logic::{CommonOp, Operation, SpaceOp};
    /// assert_eq!(Operation::from_common(TargetKind::Space, CommonOp::Presets),
    ///            Operation::Space(SpaceOp::Common(CommonOp::Presets)));
    /// ```
    pub fn from_common(kind: TargetKind, op: CommonOp) -> Operation {
        match kind {
            TargetKind::Group => Operation::Group(GroupOp::Common(op)),
            TargetKind::Space => Operation::Space(SpaceOp::Common(op)),
            TargetKind::HandleService => Operation::HandleService(HandleServiceOp::Common(op)),
            TargetKind::Handle => Operation::Handle(HandleOp::Common(op)),
            TargetKind::Harvester => Operation::Harvester(HarvesterOp::Common(op)),
            TargetKind::Cluster => Operation::Cluster(ClusterOp::Common(op)),
            TargetKind::AtmInventory => Operation::AtmInventory(AtmInventoryOp::Common(op)),
        }
    }

    /// The id of the entity the path names first, if any (`None` for lists, presets,
    /// creations and the client's own `/user` view).
    pub fn entity_id(&self) -> Option<&str> {
        if let Some((_, op)) = self.common() {
            return op.id();
        }
        match self {
            Operation::Group(
                GroupOp::ListParents { id, .. }
                | GroupOp::LeaveParent { id, .. }
                | GroupOp::CreateParent { id }
                | GroupOp::Oz { id, .. }
                | GroupOp::ListMemberships { id, .. }
                | GroupOp::Leave { id, .. }
                | GroupOp::CreateAs { id, .. },
            )
            | Operation::Space(
                SpaceOp::ListOwners { id }
                | SpaceOp::AddOwner { id, .. }
                | SpaceOp::RemoveOwner { id, .. }
                | SpaceOp::ListShares { id }
                | SpaceOp::ListHarvesters { id }
                | SpaceOp::RemoveHarvester { id, .. },
            )
            | Operation::HandleService(HandleServiceOp::ListHandles { id })
            | Operation::Harvester(
                HarvesterOp::ListSpaces { id }
                | HarvesterOp::AddSpace { id, .. }
                | HarvesterOp::RemoveSpace { id, .. },
            ) => Some(id),
            Operation::User(UserOp::Oz {
                user: UserRef::Id(id),
                ..
            })
            | Operation::User(UserOp::Delete {
                user: UserRef::Id(id),
            }) => Some(id),
            _ => None,
        }
    }
}

impl CommonOp {
    /// Whether the operation changes the graph.
    fn is_write(&self) -> bool {
        !matches!(
            self,
            CommonOp::Presets
                | CommonOp::ListAll
                | CommonOp::ListMembers { .. }
                | CommonOp::MemberPrivileges { .. }
                | CommonOp::Membership { .. }
        )
    }
}

impl OzOp {
    /// Whether the operation changes oz privileges.
    fn is_write(self) -> bool {
        matches!(self, OzOp::Update | OzOp::Delete)
    }
}

impl Operation {
    /// Whether the operation changes the graph (every `POST`, `PUT`, `PATCH` and
    /// `DELETE` route's does; no `GET` route's does).
    ///
    /// ```
    /// use privgraph::graph::TargetKind;
    /// use privgraph::logic::{CommonOp, Operation};
    /// assert!(!Operation::from_common(TargetKind::Group, CommonOp::ListAll).is_write());
    /// assert!(Operation::from_common(TargetKind::Group, CommonOp::Create).is_write());
    /// ```
    pub fn is_write(&self) -> bool {
        if let Some((_, common)) = self.common() {
            return common.is_write();
        }
        match self {
            Operation::Group(op) => match op {
                GroupOp::ListParents { .. } | GroupOp::ListMemberships { .. } => false,
                GroupOp::Oz { op, .. } => op.is_write(),
                _ => true,
            },
            Operation::Space(op) => !matches!(
                op,
                SpaceOp::ListOwners { .. }
                    | SpaceOp::ListShares { .. }
                    | SpaceOp::ListHarvesters { .. }
            ),
            Operation::Harvester(op) => !matches!(op, HarvesterOp::ListSpaces { .. }),
            Operation::User(op) => match op {
                UserOp::Oz { op, .. } => op.is_write(),
                UserOp::ListMemberships { .. } => false,
                _ => true,
            },
            Operation::HandleService(_) | Operation::OzPresets => false,
            // Wrappers of shared operations were answered above.
            Operation::Handle(_) | Operation::Cluster(_) | Operation::AtmInventory(_) => false,
        }
    }
}
