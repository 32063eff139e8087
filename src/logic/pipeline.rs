//! The one pipeline every operation runs through, in Onezone's order: describe the
//! operation (its rule and the entities it names), resolve the client once, check
//! existence, authorize, validate the body, check what exists only at apply time, then
//! plan: answer a read, or list the changes of a write. Nothing here changes the graph.

use serde_json::Value;

use crate::graph::{
    AnyKey, Author, EntityKind, Graph, Handle, Harvester, Key, MemberType, Space, User,
};
use crate::graph::{Group, TargetKind};

use super::decision::{Decision, Denial, Reason};
use super::ops::{GroupOp, HandleServiceOp, HarvesterOp, Operation, SpaceOp, UserOp, UserRef};
use super::rules::{self, Client, Cond, Existence, Rule};
use super::{Auth, Error, IdSource, Planned};

/// The resolved client.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Caller<'a> {
    Nobody,
    Root,
    User(Key<User>, &'a str),
}

impl<'a> Caller<'a> {
    pub(crate) fn resolve(graph: &Graph, auth: &'a Auth) -> Caller<'a> {
        match auth {
            Auth::Nobody => Caller::Nobody,
            Auth::Root => Caller::Root,
            // A user the graph does not know is like an invalid token: unauthenticated.
            Auth::User(id) => match graph.key::<User>(id) {
                Some(key) => Caller::User(key, id),
                None => Caller::Nobody,
            },
        }
    }

    pub(crate) fn author(self) -> Author {
        match self {
            Caller::User(_, id) => Author::User(id.to_owned()),
            // Nobody writes nothing; root is the only other writer.
            Caller::Nobody | Caller::Root => Author::Root,
        }
    }
}

/// A user the path names: by id, or the client (`/user/…`).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Who<'o> {
    Id(&'o str),
    Client,
}

/// The entity an operation's rule is about: the one its path names first.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Subject<'o> {
    None,
    Entity(EntityKind, &'o str),
    /// The client as a user (`/user/…`).
    Client,
}

/// The relation an operation names, checked by [`Existence::Direct`],
/// [`Existence::Effective`], [`Existence::Owner`] and [`Existence::Link`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Relation<'o> {
    Member {
        kind: TargetKind,
        target: &'o str,
        member_type: MemberType,
        member: Who<'o>,
    },
    Owner {
        space: &'o str,
        user: &'o str,
    },
    Link {
        harvester: &'o str,
        space: &'o str,
    },
}

/// An operation, described for the pipeline.
#[derive(Debug)]
pub(crate) struct Step<'o> {
    pub(crate) rule: Rule,
    pub(crate) subject: Subject<'o>,
    /// The user, group or space the path names second.
    pub(crate) second: Option<Who<'o>>,
    pub(crate) relation: Option<Relation<'o>>,
}

fn step<'o>(rule: Option<Rule>, subject: Subject<'o>) -> Result<Step<'o>, Error> {
    Ok(Step {
        rule: rule.ok_or(Error::NotSupported)?,
        subject,
        second: None,
        relation: None,
    })
}

impl<'o> Step<'o> {
    fn second(mut self, who: Who<'o>) -> Self {
        self.second = Some(who);
        self
    }

    fn relation(mut self, relation: Relation<'o>) -> Self {
        self.relation = Some(relation);
        self
    }
}

fn entity(kind: EntityKind, id: &str) -> Subject<'_> {
    Subject::Entity(kind, id)
}

fn user_subject(user: &UserRef) -> (Subject<'_>, Who<'_>) {
    match user {
        UserRef::Id(id) => (entity(EntityKind::User, id), Who::Id(id)),
        UserRef::Client => (Subject::Client, Who::Client),
    }
}

/// The rule and subjects of an operation (`notSupported` for operations privgraph
/// does not serve).
pub(crate) fn describe(op: &Operation) -> Result<Step<'_>, Error> {
    if let Some((kind, common)) = op.common() {
        let subject = common
            .id()
            .map_or(Subject::None, |id| entity(kind.entity(), id));
        let mut described = step(rules::shared(kind, common), subject)?;
        if let (Some(id), Some((member_type, member_id))) = (common.id(), common.member()) {
            described = described
                .second(Who::Id(member_id))
                .relation(Relation::Member {
                    kind,
                    target: id,
                    member_type,
                    member: Who::Id(member_id),
                });
        }
        return Ok(described);
    }
    match op {
        Operation::OzPresets => step(Some(rules::presets()), Subject::None),
        Operation::Group(op) => describe_group(op),
        Operation::User(op) => describe_user(op),
        Operation::Space(op) => describe_space(op),
        Operation::HandleService(HandleServiceOp::ListHandles { id }) => step(
            Some(rules::handle_service_list_handles()),
            entity(EntityKind::HandleService, id),
        ),
        Operation::Harvester(op) => describe_harvester(op),
        // Every shared operation was described above.
        _ => Err(Error::NotSupported),
    }
}

fn describe_group(op: &GroupOp) -> Result<Step<'_>, Error> {
    let group = |id| entity(EntityKind::Group, id);
    match op {
        GroupOp::Common(_) => Err(Error::NotSupported),
        GroupOp::ListParents { id, .. } => step(Some(rules::group_list_relations()), group(id)),
        GroupOp::ListMemberships { id, kind, .. } => step(
            (*kind != TargetKind::Group).then(rules::group_list_relations),
            group(id),
        ),
        GroupOp::LeaveParent { id, parent_id } => {
            Ok(
                step(Some(rules::group_leave_parent()), group(id))?.relation(Relation::Member {
                    kind: TargetKind::Group,
                    target: parent_id,
                    member_type: MemberType::Group,
                    member: Who::Id(id),
                }),
            )
        }
        GroupOp::Leave {
            id,
            kind,
            target_id,
        } => Ok(
            step(rules::group_leave(*kind), group(id))?.relation(Relation::Member {
                kind: *kind,
                target: target_id,
                member_type: MemberType::Group,
                member: Who::Id(id),
            }),
        ),
        GroupOp::CreateParent { id } => step(Some(rules::group_create_parent()), group(id)),
        GroupOp::Oz { id, op } => step(Some(rules::group_oz(*op)), group(id)),
        GroupOp::CreateAs { id, kind } => step(rules::group_create_as(*kind), group(id)),
    }
}

fn describe_user(op: &UserOp) -> Result<Step<'_>, Error> {
    match op {
        UserOp::Oz { user, op } => {
            let (subject, who) = user_subject(user);
            Ok(step(Some(rules::user_oz(*op)), subject)?.second(who))
        }
        UserOp::Delete { user } => {
            let (subject, who) = user_subject(user);
            Ok(step(Some(rules::user_delete()), subject)?.second(who))
        }
        UserOp::ListMemberships { .. } => step(Some(rules::user_list_own()), Subject::Client),
        UserOp::Leave { kind, target_id } => Ok(step(Some(rules::user_leave()), Subject::Client)?
            .relation(Relation::Member {
                kind: *kind,
                target: target_id,
                member_type: MemberType::User,
                member: Who::Client,
            })),
        UserOp::CreateAs { kind } => step(rules::user_create_as(*kind), Subject::Client),
    }
}

fn describe_space(op: &SpaceOp) -> Result<Step<'_>, Error> {
    let space = |id| entity(EntityKind::Space, id);
    match op {
        SpaceOp::Common(_) => Err(Error::NotSupported),
        SpaceOp::ListOwners { id } => step(Some(rules::space_list_owners()), space(id)),
        SpaceOp::AddOwner { id, user_id } => {
            Ok(step(Some(rules::space_add_owner()), space(id))?.second(Who::Id(user_id)))
        }
        SpaceOp::RemoveOwner { id, user_id } => {
            Ok(step(Some(rules::space_remove_owner()), space(id))?
                .second(Who::Id(user_id))
                .relation(Relation::Owner {
                    space: id,
                    user: user_id,
                }))
        }
        SpaceOp::ListShares { id } | SpaceOp::ListHarvesters { id } => {
            step(Some(rules::space_list_links()), space(id))
        }
        SpaceOp::RemoveHarvester { id, harvester_id } => {
            Ok(
                step(Some(rules::space_remove_harvester()), space(id))?.relation(Relation::Link {
                    harvester: harvester_id,
                    space: id,
                }),
            )
        }
    }
}

fn describe_harvester(op: &HarvesterOp) -> Result<Step<'_>, Error> {
    let harvester = |id| entity(EntityKind::Harvester, id);
    match op {
        HarvesterOp::Common(_) => Err(Error::NotSupported),
        HarvesterOp::ListSpaces { id } => step(Some(rules::harvester_list_spaces()), harvester(id)),
        HarvesterOp::AddSpace { id, space_id } => {
            Ok(step(Some(rules::harvester_add_space()), harvester(id))?.second(Who::Id(space_id)))
        }
        HarvesterOp::RemoveSpace { id, space_id } => Ok(step(
            Some(rules::harvester_remove_space()),
            harvester(id),
        )?
        .relation(Relation::Link {
            harvester: id,
            space: space_id,
        })),
    }
}

// ----- existence ---------------------------------------------------------------------

/// Pipeline step 1: the entity the path names (its key, or `None` when it may be
/// missing until apply time or there is none) and the relation the rule's existence
/// asks for.
pub(crate) fn existence(
    graph: &Graph,
    step: &Step<'_>,
    client: Caller<'_>,
) -> Result<Option<AnyKey>, Error> {
    let entity = match step.subject {
        Subject::None => None,
        // `/user/…` names the client: nobody has no user record, root none either.
        Subject::Client => match client {
            Caller::User(key, _) => Some(AnyKey::of(key)),
            Caller::Nobody => return Err(Error::Unauthorized),
            Caller::Root => return Err(Error::NotSupported),
        },
        Subject::Entity(kind, id) => match graph.any_key(kind, id) {
            Some(key) => Some(key),
            None if step.rule.existence == Existence::EntityAtApply => None,
            None => return Err(Error::NotFound),
        },
    };
    let exists = match (step.rule.existence, step.relation) {
        (Existence::None | Existence::Entity | Existence::EntityAtApply, _) => true,
        (
            Existence::Direct | Existence::Effective,
            Some(Relation::Member {
                kind,
                target,
                member_type,
                member,
            }),
        ) => {
            let member_id = match (member, client) {
                (Who::Id(id), _) | (Who::Client, Caller::User(_, id)) => id,
                (Who::Client, _) => return Err(Error::Unauthorized),
            };
            graph.any_key(kind.entity(), target).is_some_and(|t| {
                let effective = step.rule.existence == Existence::Effective;
                graph.is_member_any(t, member_type, member_id, effective)
            })
        }
        (Existence::Owner, Some(Relation::Owner { space, user })) => {
            match (graph.key::<Space>(space), graph.key::<User>(user)) {
                (Some(s), Some(u)) => graph.is_space_owner(s, u),
                _ => false,
            }
        }
        (Existence::Link, Some(Relation::Link { harvester, space })) => {
            match (graph.key::<Harvester>(harvester), graph.key::<Space>(space)) {
                (Some(h), Some(s)) => graph.is_harvester_linked(h, s),
                _ => false,
            }
        }
        // A rule asking for a relation its operation does not name: nothing matches.
        (Existence::Direct | Existence::Effective | Existence::Owner | Existence::Link, _) => false,
    };
    if exists {
        Ok(entity)
    } else {
        Err(Error::NotFound)
    }
}

// ----- authorization -----------------------------------------------------------------

/// What conditions are evaluated against.
struct Facts<'a> {
    graph: &'a Graph,
    user: Key<User>,
    user_id: &'a str,
    entity: Option<AnyKey>,
    second: Option<&'a str>,
    privileges_key: bool,
}

impl Facts<'_> {
    fn holds(&self, cond: &Cond) -> bool {
        let graph = self.graph;
        let second = |kind: EntityKind| self.second.and_then(|id| graph.any_key(kind, id));
        let in_entity = |p| {
            self.entity
                .is_some_and(|e| graph.holds_any(self.user, e, p))
        };
        let space = || self.entity.and_then(|e| e.typed::<Space>());
        match *cond {
            Cond::AnyUser => true,
            Cond::IsSelf => self.second == Some(self.user_id),
            Cond::Holds(p) => in_entity(p),
            Cond::HoldsIfPrivilegesKey(p) => !self.privileges_key || in_entity(p),
            Cond::InGroup(p) => {
                second(EntityKind::Group).is_some_and(|g| graph.holds_any(self.user, g, p.into()))
            }
            Cond::MemberOfGroup => second(EntityKind::Group)
                .and_then(|g| g.typed::<Group>())
                .is_some_and(|g| graph.is_effective_member(self.user, g)),
            Cond::InSpace(p) => {
                second(EntityKind::Space).is_some_and(|s| graph.holds_any(self.user, s, p.into()))
            }
            Cond::InHandleService(p) => self
                .entity
                .and_then(|e| e.typed::<Handle>())
                .and_then(|h| graph.handle_service_of(h))
                .is_some_and(|hs| graph.has_privilege(self.user, hs, p)),
            Cond::Oz(p) => graph.has_oz_privilege(self.user, p),
            Cond::Owner => space().is_some_and(|s| graph.is_space_owner(s, self.user)),
            Cond::SecondNotOwner => !space().is_some_and(|s| {
                second(EntityKind::User)
                    .and_then(|u| u.typed::<User>())
                    .is_some_and(|u| graph.is_space_owner(s, u))
            }),
        }
    }
}

/// Pipeline step 2: the client rule, or every admin oz privilege; root always.
pub(crate) fn authorize(
    graph: &Graph,
    step: &Step<'_>,
    client: Caller<'_>,
    entity: Option<AnyKey>,
    privileges_key: bool,
) -> Result<Reason, Denial> {
    let rule = &step.rule;
    let (user, user_id) = match client {
        Caller::Root => return Ok(Reason::Root),
        Caller::Nobody if rule.client == Client::Anyone => return Ok(Reason::Anyone),
        Caller::Nobody => {
            return Err(Denial {
                unauthenticated: true,
                unmet: Vec::new(),
                admin_missing: None,
            });
        }
        Caller::User(user, id) => (user, id),
    };
    let second = match step.second {
        Some(Who::Id(id)) => Some(id),
        Some(Who::Client) => Some(user_id),
        None => None,
    };
    let facts = Facts {
        graph,
        user,
        user_id,
        entity,
        second,
        privileges_key,
    };
    let mut unmet = Vec::new();
    match &rule.client {
        Client::None => {}
        Client::Anyone => return Ok(Reason::Anyone),
        Client::AnyOf(alternatives) => {
            for conds in alternatives {
                let failing: Vec<Cond> =
                    conds.iter().filter(|c| !facts.holds(c)).copied().collect();
                if failing.is_empty() {
                    return Ok(Reason::Rule(conds.to_vec()));
                }
                unmet.push(failing);
            }
        }
    }
    let mut admin = rule.admin;
    if privileges_key {
        admin.insert(rule.admin_if_privileges_key);
    }
    if rule.admin.is_empty() {
        return Err(Denial {
            unauthenticated: false,
            unmet,
            admin_missing: None,
        });
    }
    let held = graph.effective_oz_privileges(user).unwrap_or_default();
    if held.contains(admin) {
        Ok(Reason::Admin(admin))
    } else {
        Err(Denial {
            unauthenticated: false,
            unmet,
            admin_missing: Some(admin.difference(held)),
        })
    }
}

// ----- the pipeline --------------------------------------------------------------------

/// Whether the body has a `privileges` key, for the rules of adding members.
fn privileges_key(op: &Operation, body: &Value) -> bool {
    matches!(op.common(), Some((_, super::CommonOp::AddMember { .. })))
        && body
            .as_object()
            .is_some_and(|b| b.contains_key("privileges"))
}

/// Runs the pipeline; the authorization outcome is returned beside the result, for
/// dry runs that want the reason.
pub(crate) fn run(
    graph: &Graph,
    auth: &Auth,
    op: &Operation,
    body: &Value,
    ids: &dyn IdSource,
) -> (Option<Result<Reason, Denial>>, Result<Planned, Error>) {
    let client = Caller::resolve(graph, auth);
    let step = match describe(op) {
        Ok(step) => step,
        Err(err) => return (None, Err(err)),
    };
    let entity = match existence(graph, &step, client) {
        Ok(entity) => entity,
        Err(err) => return (None, Err(err)),
    };
    let authorized = authorize(graph, &step, client, entity, privileges_key(op, body));
    let result = match &authorized {
        Ok(_) => super::plan::plan(graph, op, &step, client, entity, body, ids),
        Err(denial) => Err(denial.error()),
    };
    (Some(authorized), result)
}

/// The decision of a dry run, from the pipeline's result.
pub(crate) fn decide(
    auth: &Auth,
    authorized: Option<Result<Reason, Denial>>,
    result: Result<Planned, Error>,
) -> Decision {
    let problem = match result {
        Ok(_) => None,
        Err(Error::NotFound) => return Decision::NotFound,
        Err(Error::Unauthorized | Error::Forbidden) => {
            return Decision::Denied(match authorized {
                Some(Err(denial)) => denial,
                _ => Denial {
                    unauthenticated: true,
                    unmet: Vec::new(),
                    admin_missing: None,
                },
            });
        }
        Err(other) => Some(other),
    };
    let reason = match authorized {
        Some(Ok(reason)) => reason,
        // Refused before authorization for another reason (an unsupported operation,
        // root on `/user/…`): only root gets there unauthorized.
        _ if *auth == Auth::Root => Reason::Root,
        _ => Reason::Anyone,
    };
    Decision::Allowed { reason, problem }
}
