//! The last steps of the pipeline, per operation: validate the body, then answer a read
//! or list the changes of a write. Only what is truly specific to an operation lives
//! here (space owners, harvester–space links, what a creation presets); existence and
//! authorization ran before.

use serde_json::Value;

use crate::graph::{
    AnyKey, Change, EntityKind, Graph, Group, HandleService, Harvester, Intermediary, Key, Kind,
    MemberKind, MemberType, Space, Target, TargetKind, User, with_target_kind,
};
use crate::privileges::{AnyPrivileges, OzPrivileges, Privileges, Vocabulary};

use super::ops::{CommonOp, GroupOp, HarvesterOp, Operation, OzOp, SpaceOp, UserOp, UserRef};
use super::outcome::{Outcome, Planned, Via, Write};
use super::pipeline::{Caller, Step};
use super::rules::Existence;
use super::{Error, IdSource, validate};

/// What one operation works on, once the pipeline has checked it.
struct Ctx<'a> {
    graph: &'a Graph,
    client: Caller<'a>,
    /// The entity the path names first (absent only for creations at apply time).
    entity: Option<AnyKey>,
    ids: &'a dyn IdSource,
}

impl Ctx<'_> {
    fn entity<K: Kind>(&self) -> Result<Key<K>, Error> {
        self.entity.and_then(AnyKey::typed).ok_or(Error::NotFound)
    }

    fn id_of<K: Kind>(&self, key: Key<K>) -> String {
        self.graph.id(key).unwrap_or_default().to_owned()
    }

    fn ids<K: Kind>(&self, keys: &[Key<K>]) -> Outcome {
        let mut ids: Vec<String> = keys.iter().map(|&k| self.id_of(k)).collect();
        ids.sort_unstable();
        Outcome::Ids { kind: K::KIND, ids }
    }

    /// A fresh id for a new entity of `kind`: random, and free in the graph.
    fn fresh_id(&self, kind: EntityKind) -> String {
        loop {
            let id = self.ids.new_id();
            if self.graph.any_key(kind, &id).is_none() {
                return id;
            }
        }
    }

    fn write(&self, changes: Vec<Change>, outcome: Outcome) -> Result<Planned, Error> {
        Ok(Planned::Write(Write {
            by: self.client.author(),
            changes,
            outcome,
        }))
    }

    fn acting_user(&self) -> Result<Key<User>, Error> {
        match self.client {
            Caller::User(user, _) => Ok(user),
            Caller::Nobody => Err(Error::Unauthorized),
            Caller::Root => Err(Error::NotSupported),
        }
    }
}

fn add_member(
    kind: TargetKind,
    id: &str,
    member_type: MemberType,
    member_id: &str,
    privileges: AnyPrivileges,
) -> Change {
    Change::AddMember {
        kind,
        id: id.to_owned(),
        member_type,
        member_id: member_id.to_owned(),
        privileges,
    }
}

fn remove_member(kind: TargetKind, id: &str, member_type: MemberType, member_id: &str) -> Change {
    Change::RemoveMember {
        kind,
        id: id.to_owned(),
        member_type,
        member_id: member_id.to_owned(),
    }
}

fn create(kind: EntityKind, id: &str) -> Change {
    Change::Create {
        kind,
        id: id.to_owned(),
    }
}

/// Validates the body, checks what must exist at apply time, and plans the operation.
pub(crate) fn plan(
    graph: &Graph,
    op: &Operation,
    step: &Step<'_>,
    client: Caller<'_>,
    entity: Option<AnyKey>,
    body: &Value,
    ids: &dyn IdSource,
) -> Result<Planned, Error> {
    let input = validate::input(graph, op, body)?;
    if step.rule.existence == Existence::EntityAtApply && entity.is_none() {
        return Err(Error::NotFound);
    }
    let ctx = Ctx {
        graph,
        client,
        entity,
        ids,
    };
    if let Some((kind, common)) = op.common() {
        return shared(&ctx, kind, common, input);
    }
    match op {
        Operation::OzPresets => Ok(Planned::Read(Outcome::Presets(Vocabulary::Oz))),
        Operation::Group(op) => group(&ctx, op, input),
        Operation::User(op) => user(&ctx, op, input),
        Operation::Space(op) => space(&ctx, op),
        Operation::HandleService(_) => {
            let service = ctx.entity::<HandleService>()?;
            Ok(Planned::Read(
                ctx.ids(&graph.handle_service_handles(service)),
            ))
        }
        Operation::Harvester(op) => harvester(&ctx, op, input),
        _ => Err(Error::NotSupported),
    }
}

// ----- the operations every target kind has --------------------------------------------

fn shared(
    ctx: &Ctx<'_>,
    kind: TargetKind,
    op: &CommonOp,
    input: validate::Input,
) -> Result<Planned, Error> {
    let graph = ctx.graph;
    let read = |outcome| Ok(Planned::Read(outcome));
    match op {
        CommonOp::Presets => read(Outcome::Presets(kind.vocabulary())),
        CommonOp::ListAll => with_target_kind!(kind, T => read(ctx.ids(&graph.keys::<T>()))),
        CommonOp::ListMembers {
            member, effective, ..
        } => with_target_kind!(kind, T => read(list_members::<T>(ctx, *member, *effective)?)),
        CommonOp::MemberPrivileges {
            member,
            member_id,
            effective,
            ..
        } => with_target_kind!(kind, T => {
            read(Outcome::Privileges(privileges_of::<T>(ctx, *member, member_id, *effective)?))
        }),
        CommonOp::Membership {
            member, member_id, ..
        } => {
            with_target_kind!(kind, T => read(membership::<T>(ctx, *member, member_id)?))
        }
        CommonOp::Create => {
            let id = ctx.fresh_id(kind.entity());
            let created = Outcome::Created {
                id: Some(id.clone()),
            };
            ctx.write(vec![create(kind.entity(), &id)], created)
        }
        CommonOp::Delete { id } => {
            let delete = Change::Delete {
                kind: kind.entity(),
                id: id.clone(),
            };
            ctx.write(vec![delete], Outcome::NoContent)
        }
        CommonOp::AddMember {
            id,
            member,
            member_id,
        } => add(ctx, kind, id, *member, member_id, input),
        CommonOp::RemoveMember {
            id,
            member,
            member_id,
        } => {
            if kind == TargetKind::Space && *member == MemberType::User {
                let user = graph.key::<User>(member_id).ok_or(Error::NotFound)?;
                check_not_last_owner(graph, ctx.entity::<Space>()?, user)?;
            }
            let remove = remove_member(kind, id, *member, member_id);
            ctx.write(vec![remove], Outcome::NoContent)
        }
        CommonOp::UpdateMemberPrivileges {
            id,
            member,
            member_id,
        }
        | CommonOp::SetMemberPrivileges {
            id,
            member,
            member_id,
        } => update(ctx, kind, id, *member, member_id, input),
        CommonOp::CreateGroup { id } => create_group_in(ctx, kind, id),
    }
}

/// `PUT /{kind}/{id}/users/{uid}` and `…/groups/{gid}`.
fn add(
    ctx: &Ctx<'_>,
    kind: TargetKind,
    id: &str,
    member: MemberType,
    member_id: &str,
    input: validate::Input,
) -> Result<Planned, Error> {
    let validate::Input::Member(privileges) = input else {
        return Err(Error::MalformedData);
    };
    let privileges = privileges.unwrap_or_else(|| member_preset(kind));
    let mut changes = vec![add_member(kind, id, member, member_id, privileges)];
    // A user who becomes a direct member of an owner-less space becomes its owner.
    if kind == TargetKind::Space
        && member == MemberType::User
        && ctx.graph.space_owners(ctx.entity::<Space>()?).is_empty()
    {
        changes.push(Change::AddSpaceOwner {
            space_id: id.to_owned(),
            user_id: member_id.to_owned(),
        });
    }
    ctx.write(changes, Outcome::Created { id: None })
}

/// `PATCH …/privileges` (grant / revoke) and the v3 API's `PUT …/privileges`: the
/// change records the set the member ends up with.
fn update(
    ctx: &Ctx<'_>,
    kind: TargetKind,
    id: &str,
    member: MemberType,
    member_id: &str,
    input: validate::Input,
) -> Result<Planned, Error> {
    let validate::Input::Update(update) = input else {
        return Err(Error::MalformedData);
    };
    let current = with_target_kind!(kind, T => privileges_of::<T>(ctx, member, member_id, false)?);
    let privileges = current.updated(&update).ok_or(Error::MalformedData)?;
    let set = Change::SetMemberPrivileges {
        kind,
        id: id.to_owned(),
        member_type: member,
        member_id: member_id.to_owned(),
        privileges,
    };
    ctx.write(vec![set], Outcome::NoContent)
}

/// `POST /{kind}/{id}/groups` (`…/children` for groups): a new group, its creator its
/// admin, a member of the entity with the member preset.
fn create_group_in(ctx: &Ctx<'_>, kind: TargetKind, target_id: &str) -> Result<Planned, Error> {
    let id = ctx.fresh_id(EntityKind::Group);
    let mut changes = vec![create(EntityKind::Group, &id)];
    if let Caller::User(_, user) = ctx.client {
        let admin = AnyPrivileges::all(Vocabulary::Group);
        changes.push(add_member(
            TargetKind::Group,
            &id,
            MemberType::User,
            user,
            admin,
        ));
    }
    let preset = member_preset(kind);
    changes.push(add_member(kind, target_id, MemberType::Group, &id, preset));
    ctx.write(changes, Outcome::Created { id: Some(id) })
}

/// The preset a new member gets when no privileges are given.
fn member_preset(kind: TargetKind) -> AnyPrivileges {
    AnyPrivileges::presets(kind.vocabulary())
        .first()
        .map_or(AnyPrivileges::empty(kind.vocabulary()), |(_, set)| *set)
}

fn list_members<T: Target>(
    ctx: &Ctx<'_>,
    member: MemberType,
    effective: bool,
) -> Result<Outcome, Error> {
    let (graph, target) = (ctx.graph, ctx.entity::<T>()?);
    Ok(match (member, effective) {
        (MemberType::User, false) => ctx.ids(&graph.direct_members::<User, T>(target)),
        (MemberType::User, true) => ctx.ids(&graph.effective_members::<User, T>(target)),
        (MemberType::Group, false) => ctx.ids(&graph.direct_members::<Group, T>(target)),
        (MemberType::Group, true) => ctx.ids(&graph.effective_members::<Group, T>(target)),
    })
}

fn privileges_of<T: Target>(
    ctx: &Ctx<'_>,
    member: MemberType,
    member_id: &str,
    effective: bool,
) -> Result<AnyPrivileges, Error> {
    fn of<M: MemberKind, T: Target>(
        graph: &Graph,
        target: Key<T>,
        id: &str,
        effective: bool,
    ) -> Option<T::Privileges> {
        let member = graph.key::<M>(id)?;
        if effective {
            graph.effective_privileges(member, target)
        } else {
            graph.direct_privileges(member, target)
        }
    }
    let (graph, target) = (ctx.graph, ctx.entity::<T>()?);
    match member {
        MemberType::User => of::<User, T>(graph, target, member_id, effective),
        MemberType::Group => of::<Group, T>(graph, target, member_id, effective),
    }
    .map(Privileges::into_any)
    .ok_or(Error::NotFound)
}

fn membership<T: Target>(
    ctx: &Ctx<'_>,
    member: MemberType,
    member_id: &str,
) -> Result<Outcome, Error> {
    let (graph, target) = (ctx.graph, ctx.entity::<T>()?);
    let hops = match member {
        MemberType::User => graph
            .key::<User>(member_id)
            .and_then(|m| graph.intermediaries(m, target)),
        MemberType::Group => graph
            .key::<Group>(member_id)
            .and_then(|m| graph.intermediaries(m, target)),
    }
    .ok_or(Error::NotFound)?;
    let mut via: Vec<Via> = hops
        .iter()
        .map(|hop| match hop {
            Intermediary::Direct => Via::Direct,
            Intermediary::Group(g) => Via::Group(ctx.id_of(*g)),
        })
        .collect();
    // Sorted by id bytes with "self" in its place; a group called "self" goes by type.
    fn key(via: &Via, kind: TargetKind) -> (&str, &'static str) {
        match via {
            Via::Direct => ("self", kind.as_str()),
            Via::Group(id) => (id.as_str(), "group"),
        }
    }
    via.sort_by(|a, b| key(a, T::TARGET).cmp(&key(b, T::TARGET)));
    Ok(Outcome::Intermediaries {
        kind: T::TARGET,
        via,
    })
}

/// Ending the direct membership of a space's only owner is refused while any other
/// user is a member.
fn check_not_last_owner(graph: &Graph, space: Key<Space>, user: Key<User>) -> Result<(), Error> {
    let owners = graph.space_owners(space);
    if owners == [user] && graph.effective_members::<User, Space>(space).len() > 1 {
        return Err(Error::CannotRemoveLastOwner {
            entity_type: EntityKind::Space.info().record,
            entity_id: graph.id(space).unwrap_or_default().to_owned(),
        });
    }
    Ok(())
}

// ----- groups --------------------------------------------------------------------------

fn group(ctx: &Ctx<'_>, op: &GroupOp, input: validate::Input) -> Result<Planned, Error> {
    let graph = ctx.graph;
    match op {
        GroupOp::Common(_) => Err(Error::NotSupported),
        GroupOp::ListParents { effective, .. } => {
            let g = ctx.entity::<Group>()?;
            let parents = if *effective {
                graph.effective_memberships::<Group, Group>(g)
            } else {
                graph.memberships::<Group, Group>(g)
            };
            Ok(Planned::Read(ctx.ids(&parents)))
        }
        GroupOp::ListMemberships {
            kind, effective, ..
        } => memberships(ctx, ctx.entity::<Group>()?, *kind, *effective),
        GroupOp::LeaveParent { id, parent_id } => ctx.write(
            vec![remove_member(
                TargetKind::Group,
                parent_id,
                MemberType::Group,
                id,
            )],
            Outcome::NoContent,
        ),
        GroupOp::Leave {
            id,
            kind,
            target_id,
        } => ctx.write(
            vec![remove_member(*kind, target_id, MemberType::Group, id)],
            Outcome::NoContent,
        ),
        GroupOp::CreateParent { id } => {
            let parent = ctx.fresh_id(EntityKind::Group);
            ctx.write(
                vec![
                    create(EntityKind::Group, &parent),
                    add_member(
                        TargetKind::Group,
                        &parent,
                        MemberType::Group,
                        id,
                        AnyPrivileges::all(Vocabulary::Group),
                    ),
                ],
                Outcome::Created { id: Some(parent) },
            )
        }
        GroupOp::Oz { id, op } => oz(ctx, MemberType::Group, id, *op, input),
        GroupOp::CreateAs { id, kind } => create_as_group(ctx, id, *kind),
    }
}

/// Creates an entity of `kind` with group `group_id` as member (admin preset); for
/// spaces the client, if an effective member of the group, becomes a direct member with
/// the admin preset and the owner.
fn create_as_group(ctx: &Ctx<'_>, group_id: &str, kind: TargetKind) -> Result<Planned, Error> {
    let id = ctx.fresh_id(kind.entity());
    let admin = AnyPrivileges::all(kind.vocabulary());
    let mut changes = vec![
        create(kind.entity(), &id),
        add_member(kind, &id, MemberType::Group, group_id, admin),
    ];
    if kind == TargetKind::Space
        && let Caller::User(user, user_id) = ctx.client
        && ctx.graph.is_effective_member(user, ctx.entity::<Group>()?)
    {
        changes.push(add_member(kind, &id, MemberType::User, user_id, admin));
        changes.push(Change::AddSpaceOwner {
            space_id: id.clone(),
            user_id: user_id.to_owned(),
        });
    }
    ctx.write(changes, Outcome::Created { id: Some(id) })
}

fn memberships<M: MemberKind>(
    ctx: &Ctx<'_>,
    member: Key<M>,
    kind: TargetKind,
    effective: bool,
) -> Result<Planned, Error> {
    let graph = ctx.graph;
    Ok(Planned::Read(with_target_kind!(kind, T => {
        let keys = if effective {
            graph.effective_memberships::<M, T>(member)
        } else {
            graph.memberships::<M, T>(member)
        };
        ctx.ids(&keys)
    })))
}

/// Oz privileges of a user or group: read, update (`grant` / `revoke`), delete.
fn oz(
    ctx: &Ctx<'_>,
    member_type: MemberType,
    id: &str,
    op: OzOp,
    input: validate::Input,
) -> Result<Planned, Error> {
    fn own<M: MemberKind>(graph: &Graph, id: &str, effective: bool) -> Option<OzPrivileges> {
        let member = graph.key::<M>(id)?;
        if effective {
            graph.effective_oz_privileges(member)
        } else {
            graph.oz_privileges(member)
        }
    }
    let of = |effective| match member_type {
        MemberType::User => own::<User>(ctx.graph, id, effective),
        MemberType::Group => own::<Group>(ctx.graph, id, effective),
    };
    let set = |privileges| {
        ctx.write(
            vec![Change::SetOzPrivileges {
                member_type,
                id: id.to_owned(),
                privileges,
            }],
            Outcome::NoContent,
        )
    };
    match op {
        OzOp::Get | OzOp::GetEffective => {
            let held = of(op == OzOp::GetEffective).ok_or(Error::NotFound)?;
            Ok(Planned::Read(Outcome::Privileges(held.into_any())))
        }
        OzOp::Update => {
            let validate::Input::Oz(update) = input else {
                return Err(Error::MalformedData);
            };
            set(update.apply(of(false).ok_or(Error::NotFound)?).privileges)
        }
        OzOp::Delete => set(OzPrivileges::empty()),
    }
}

// ----- users and the client's own view -----------------------------------------------

fn user(ctx: &Ctx<'_>, op: &UserOp, input: validate::Input) -> Result<Planned, Error> {
    let graph = ctx.graph;
    let addressed = |user: &UserRef| -> Result<(Key<User>, String), Error> {
        match user {
            UserRef::Id(_) => {
                let key = ctx.entity::<User>()?;
                Ok((key, ctx.id_of(key)))
            }
            UserRef::Client => {
                let key = ctx.acting_user()?;
                Ok((key, ctx.id_of(key)))
            }
        }
    };
    match op {
        UserOp::Oz { user, op } => {
            let (_, id) = addressed(user)?;
            oz(ctx, MemberType::User, &id, *op, input)
        }
        UserOp::ListMemberships { kind, effective } => {
            memberships(ctx, ctx.acting_user()?, *kind, *effective)
        }
        UserOp::Leave { kind, target_id } => {
            let user = ctx.acting_user()?;
            if *kind == TargetKind::Space {
                let space = graph.key::<Space>(target_id).ok_or(Error::NotFound)?;
                check_not_last_owner(graph, space, user)?;
            }
            ctx.write(
                vec![remove_member(
                    *kind,
                    target_id,
                    MemberType::User,
                    &ctx.id_of(user),
                )],
                Outcome::NoContent,
            )
        }
        UserOp::CreateAs { kind } => {
            let user = ctx.id_of(ctx.acting_user()?);
            let id = ctx.fresh_id(kind.entity());
            let mut changes = vec![
                create(kind.entity(), &id),
                add_member(
                    *kind,
                    &id,
                    MemberType::User,
                    &user,
                    AnyPrivileges::all(kind.vocabulary()),
                ),
            ];
            // The creator of a space is its first direct user, so its owner.
            if *kind == TargetKind::Space {
                changes.push(Change::AddSpaceOwner {
                    space_id: id.clone(),
                    user_id: user,
                });
            }
            ctx.write(changes, Outcome::Created { id: Some(id) })
        }
        UserOp::Delete { user } => {
            let (key, id) = addressed(user)?;
            for space in graph.memberships::<User, Space>(key) {
                check_not_last_owner(graph, space, key)?;
            }
            ctx.write(
                vec![Change::Delete {
                    kind: EntityKind::User,
                    id,
                }],
                Outcome::NoContent,
            )
        }
    }
}

// ----- spaces and harvesters -----------------------------------------------------------

fn space(ctx: &Ctx<'_>, op: &SpaceOp) -> Result<Planned, Error> {
    let graph = ctx.graph;
    let s = ctx.entity::<Space>()?;
    match op {
        SpaceOp::Common(_) => Err(Error::NotSupported),
        SpaceOp::ListOwners { .. } => Ok(Planned::Read(ctx.ids(&graph.space_owners(s)))),
        SpaceOp::ListShares { .. } => Ok(Planned::Read(ctx.ids(&graph.space_shares(s)))),
        SpaceOp::ListHarvesters { .. } => Ok(Planned::Read(ctx.ids(&graph.space_harvesters(s)))),
        SpaceOp::AddOwner { id, user_id } => {
            // Onezone reports a missing membership with the relation reversed.
            let not_member = Error::RelationDoesNotExist {
                child_type: EntityKind::Space.info().record,
                child_id: id.clone(),
                parent_type: EntityKind::User.info().record,
                parent_id: user_id.clone(),
            };
            let user = graph.key::<User>(user_id).ok_or(not_member.clone())?;
            if !graph.is_effective_member(user, s) {
                return Err(not_member);
            }
            if graph.is_space_owner(s, user) {
                return Err(Error::AlreadyExists);
            }
            let mut changes = Vec::new();
            if graph.direct_privileges(user, s).is_none() {
                changes.push(add_member(
                    TargetKind::Space,
                    id,
                    MemberType::User,
                    user_id,
                    AnyPrivileges::all(Vocabulary::Space),
                ));
            }
            changes.push(Change::AddSpaceOwner {
                space_id: id.clone(),
                user_id: user_id.clone(),
            });
            ctx.write(changes, Outcome::NoContent)
        }
        SpaceOp::RemoveOwner { id, user_id } => {
            if graph.space_owners(s).len() == 1 {
                return Err(Error::CannotRemoveLastOwner {
                    entity_type: EntityKind::Space.info().record,
                    entity_id: id.clone(),
                });
            }
            ctx.write(
                vec![Change::RemoveSpaceOwner {
                    space_id: id.clone(),
                    user_id: user_id.clone(),
                }],
                Outcome::NoContent,
            )
        }
        SpaceOp::RemoveHarvester { id, harvester_id } => ctx.write(
            vec![Change::UnlinkHarvesterSpace {
                harvester_id: harvester_id.clone(),
                space_id: id.clone(),
            }],
            Outcome::NoContent,
        ),
    }
}

fn harvester(ctx: &Ctx<'_>, op: &HarvesterOp, input: validate::Input) -> Result<Planned, Error> {
    let h = ctx.entity::<Harvester>()?;
    match op {
        HarvesterOp::Common(_) => Err(Error::NotSupported),
        HarvesterOp::ListSpaces { .. } => {
            Ok(Planned::Read(ctx.ids(&ctx.graph.harvester_spaces(h))))
        }
        HarvesterOp::AddSpace { id, space_id } => {
            let validate::Input::Space = input else {
                return Err(Error::MalformedData);
            };
            ctx.write(
                vec![Change::LinkHarvesterSpace {
                    harvester_id: id.clone(),
                    space_id: space_id.clone(),
                }],
                Outcome::Created { id: None },
            )
        }
        HarvesterOp::RemoveSpace { id, space_id } => ctx.write(
            vec![Change::UnlinkHarvesterSpace {
                harvester_id: id.clone(),
                space_id: space_id.clone(),
            }],
            Outcome::NoContent,
        ),
    }
}
