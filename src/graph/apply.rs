//! Applying batches atomically: each change records its inverse before it runs, and a
//! refused change undoes the ones before it, in reverse order.
//!
//! Inverses are changes themselves: `create` ↔ `delete`, `addMember` ↔ `removeMember`
//! with the privileges it had, `set…` back to the old set, and the inverse of `delete` is
//! the list of changes that rebuild the entity with every direct relation it had (a
//! space with its shares, their handles and the handles' members). Ownerships that end
//! as a side effect (a user leaving a space, an effective-only owner whose last group
//! membership ends) are journaled while a batch runs and restored last. Undo restores
//! the same entities and relations (graph equality holds); entities deleted and rebuilt
//! by an undone batch get fresh keys.

use crate::privileges::{PrivilegeUpdate, Privileges};

use super::Graph;
use super::change::{Batch, BatchError, Change, ChangeError, CommittedBatch};
use super::kinds::{
    EntityKind, Group, Handle, HandleService, Harvester, Key, Kind, MemberKind, MemberType, Share,
    Space, Target, User, match_kind, with_entity_kind, with_target_kind,
};
use super::members::TargetRef;
use super::propagate::MemberRef;

/// Runs `$body` with `$M` bound to the marker type of the [`MemberType`] `$member`.
macro_rules! with_member_type {
    ($member:expr, $M:ident => $body:expr) => {
        match $member {
            MemberType::User => {
                type $M = User;
                $body
            }
            MemberType::Group => {
                type $M = Group;
                $body
            }
        }
    };
}

/// What undoes the changes applied so far, newest last.
#[derive(Debug, Default)]
pub(crate) struct Undo {
    steps: Vec<UndoStep>,
}

#[derive(Debug)]
struct UndoStep {
    /// Changes that bring the graph back to the state before the change.
    inverse: Vec<Change>,
    /// Ownerships (space id, user id) the change ended as a side effect.
    owners: Vec<(String, String)>,
}

impl Graph {
    /// The graph's revision: how many batches were applied to it since it was created
    /// (or since [`Graph::set_revision`]). A graph loaded from a snapshot is at 0.
    ///
    /// ```
    /// use privgraph::graph::{Author, Batch, Graph};
    /// let mut graph = Graph::new();
    /// assert_eq!(graph.revision(), 0);
    /// graph.apply(&Batch::new(Author::Library, vec![]))?;
    /// assert_eq!(graph.revision(), 1);
    /// # Ok::<(), privgraph::graph::BatchError>(())
    /// ```
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Sets the revision, for stores that load a graph saved at a revision.
    ///
    /// ```
    /// use privgraph::graph::Graph;
    /// let mut graph = Graph::new();
    /// graph.set_revision(41);
    /// assert_eq!(graph.revision(), 41);
    /// ```
    pub fn set_revision(&mut self, revision: u64) {
        self.revision = revision;
    }

    /// Applies a batch atomically and returns its revision (the graph's revision + 1;
    /// an empty batch counts too). On an error the graph holds exactly the entities and
    /// relations it held before, and its revision is unchanged.
    ///
    /// Cost: the sum of the changes' costs (see each mutation), plus, for each
    /// `delete`, a copy of the entity's direct relations kept until the batch ends.
    ///
    /// ```
    /// use privgraph::graph::{Author, Batch, Change, EntityKind, Graph, MemberType, TargetKind};
    /// use privgraph::privileges::GroupPrivileges as G;
    /// let mut graph = Graph::new();
    /// let make = |kind, id: &str| Change::Create { kind, id: id.into() };
    /// graph.apply(&Batch::new(Author::Library, vec![make(EntityKind::User, "u"), make(EntityKind::Group, "g")]))?;
    /// let before = graph.clone();
    /// // The second change names a user that does not exist: the first is undone too.
    /// let add = |member: &str| Change::AddMember { kind: TargetKind::Group, id: "g".into(),
    ///     member_type: MemberType::User, member_id: member.into(), privileges: G::GROUP_VIEW.into() };
    /// assert!(graph.apply(&Batch::new(Author::Library, vec![add("u"), add("nobody")])).is_err());
    /// assert_eq!(graph, before);
    /// assert_eq!(graph.revision(), 1);
    /// # Ok::<(), privgraph::graph::BatchError>(())
    /// ```
    pub fn apply(&mut self, batch: &Batch) -> Result<u64, BatchError> {
        self.apply_changes(&batch.changes)?;
        self.revision += 1;
        Ok(self.revision)
    }

    /// Applies a batch read from a log: its revision must be the graph's next one.
    ///
    /// ```
    /// use privgraph::graph::{Author, Batch, BatchError, CommittedBatch, Graph};
    /// let mut graph = Graph::new();
    /// let batch = Batch::new(Author::Root, vec![]);
    /// let third = CommittedBatch { revision: 3, batch: batch.clone() };
    /// assert_eq!(graph.apply_committed(&third), Err(BatchError::RevisionGap { current: 0, found: 3 }));
    /// graph.apply_committed(&CommittedBatch { revision: 1, batch })?;
    /// # Ok::<(), BatchError>(())
    /// ```
    pub fn apply_committed(&mut self, committed: &CommittedBatch) -> Result<(), BatchError> {
        if committed.revision != self.revision + 1 {
            return Err(BatchError::RevisionGap {
                current: self.revision,
                found: committed.revision,
            });
        }
        self.apply(&committed.batch).map(drop)
    }

    /// Applies changes atomically without counting a revision, and returns what undoes
    /// them (for writers that must take a batch back when it cannot be made durable).
    pub(crate) fn apply_changes(&mut self, changes: &[Change]) -> Result<Undo, BatchError> {
        self.apply_changes_observed(changes, |_, _| ())
    }

    /// As [`Graph::apply_changes`], showing `observe` the graph just before each change
    /// is applied (effective deltas read what a change can affect there).
    pub(crate) fn apply_changes_observed(
        &mut self,
        changes: &[Change],
        mut observe: impl FnMut(&Graph, &Change),
    ) -> Result<Undo, BatchError> {
        let mut undo = Undo::default();
        for (index, change) in changes.iter().enumerate() {
            observe(self, change);
            self.owner_journal = Some(Vec::new());
            let result = self.apply_change(change);
            let owners = self.owner_journal.take().unwrap_or_default();
            match result {
                Ok(inverse) => undo.steps.push(UndoStep { inverse, owners }),
                Err(error) => {
                    // A refused change changed nothing, but may have journaled nothing
                    // either; what the earlier ones did is undone.
                    self.revert(undo);
                    return Err(BatchError::Change { index, error });
                }
            }
        }
        Ok(undo)
    }

    /// Undoes changes applied by [`Graph::apply_changes`], newest first.
    pub(crate) fn revert(&mut self, undo: Undo) {
        for step in undo.steps.into_iter().rev() {
            self.owner_journal = Some(Vec::new());
            for change in &step.inverse {
                // Each inverse restores a state the graph was in, so it applies.
                let restored = self.apply_change(change);
                debug_assert!(restored.is_ok(), "undo of {change:?} failed: {restored:?}");
            }
            let dropped = self.owner_journal.take().unwrap_or_default();
            // Owners dropped by the change or by its inverse owned the space before the
            // change (no change but `addSpaceOwner` makes an owner).
            for (space, user) in step.owners.iter().chain(&dropped) {
                if let (Some(s), Some(u)) = (self.key::<Space>(space), self.key::<User>(user))
                    && !self.is_space_owner(s, u)
                {
                    let restored = self.add_space_owner(s, u);
                    debug_assert!(restored.is_ok(), "owner {user} of {space}: {restored:?}");
                }
            }
        }
    }

    /// Notes an ownership that ends as a side effect, while a batch runs.
    pub(crate) fn journal_owner_drop(&mut self, space: u32, user: u32) {
        if self.owner_journal.is_some() {
            let entry = (
                Space::node_id(self.spaces.node(space)).to_owned(),
                User::node_id(self.users.node(user)).to_owned(),
            );
            if let Some(journal) = &mut self.owner_journal {
                journal.push(entry);
            }
        }
    }

    fn find<K: Kind>(&self, id: &str) -> Result<Key<K>, ChangeError> {
        self.key::<K>(id).ok_or_else(|| ChangeError::Unknown {
            kind: K::KIND,
            id: id.to_owned(),
        })
    }

    /// Applies one change and returns its inverse.
    fn apply_change(&mut self, change: &Change) -> Result<Vec<Change>, ChangeError> {
        let delete = |kind, id: &str| Change::Delete {
            kind,
            id: id.to_owned(),
        };
        match change {
            Change::Create { kind, id } => {
                self.create_of_kind(*kind, id)?;
                Ok(vec![delete(*kind, id)])
            }
            Change::CreateShare { id, space_id } => {
                let space = self.find::<Space>(space_id)?;
                self.create_share(id, space)?;
                Ok(vec![delete(EntityKind::Share, id)])
            }
            Change::CreateHandle {
                id,
                handle_service_id,
                share_id,
            } => {
                let service = self.find::<HandleService>(handle_service_id)?;
                let share = self.find::<Share>(share_id)?;
                self.create_handle(id, service, share)?;
                Ok(vec![delete(EntityKind::Handle, id)])
            }
            Change::Delete { kind, id } => {
                let restore = self.restoring(*kind, id)?;
                self.delete_of_kind(*kind, id)?;
                Ok(restore)
            }
            Change::AddMember { .. }
            | Change::RemoveMember { .. }
            | Change::SetMemberPrivileges { .. } => self.apply_membership(change),
            Change::SetOzPrivileges {
                member_type,
                id,
                privileges,
            } => {
                let old = with_member_type!(member_type, M => {
                    let member = self.find::<M>(id)?;
                    let old = self.oz_privileges(member).unwrap_or_default();
                    self.update_oz_privileges(member, &PrivilegeUpdate::Set(*privileges))?;
                    old
                });
                Ok(vec![Change::SetOzPrivileges {
                    member_type: *member_type,
                    id: id.clone(),
                    privileges: old,
                }])
            }
            Change::AddSpaceOwner { space_id, user_id } => {
                let (s, u) = (self.find::<Space>(space_id)?, self.find::<User>(user_id)?);
                self.add_space_owner(s, u)?;
                Ok(vec![Change::RemoveSpaceOwner {
                    space_id: space_id.clone(),
                    user_id: user_id.clone(),
                }])
            }
            Change::RemoveSpaceOwner { space_id, user_id } => {
                let (s, u) = (self.find::<Space>(space_id)?, self.find::<User>(user_id)?);
                self.remove_space_owner(s, u)?;
                Ok(vec![Change::AddSpaceOwner {
                    space_id: space_id.clone(),
                    user_id: user_id.clone(),
                }])
            }
            Change::LinkHarvesterSpace {
                harvester_id,
                space_id,
            } => {
                let h = self.find::<Harvester>(harvester_id)?;
                let s = self.find::<Space>(space_id)?;
                self.link_harvester_space(h, s)?;
                Ok(vec![Change::UnlinkHarvesterSpace {
                    harvester_id: harvester_id.clone(),
                    space_id: space_id.clone(),
                }])
            }
            Change::UnlinkHarvesterSpace {
                harvester_id,
                space_id,
            } => {
                let h = self.find::<Harvester>(harvester_id)?;
                let s = self.find::<Space>(space_id)?;
                self.unlink_harvester_space(h, s)?;
                Ok(vec![Change::LinkHarvesterSpace {
                    harvester_id: harvester_id.clone(),
                    space_id: space_id.clone(),
                }])
            }
        }
    }
}

impl Graph {
    /// `addMember`, `removeMember`, `setMemberPrivileges`.
    fn apply_membership(&mut self, change: &Change) -> Result<Vec<Change>, ChangeError> {
        let (Change::AddMember {
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
        }
        | Change::SetMemberPrivileges {
            kind,
            id,
            member_type,
            member_id,
            ..
        }) = change
        else {
            unreachable!("apply_membership is called with membership changes only")
        };
        let inverse = |change_of: fn(Change) -> Change, privileges| {
            change_of(Change::AddMember {
                kind: *kind,
                id: id.clone(),
                member_type: *member_type,
                member_id: member_id.clone(),
                privileges,
            })
        };
        with_target_kind!(*kind, T => with_member_type!(member_type, M => {
            let target = self.find::<T>(id)?;
            let member = self.find::<M>(member_id)?;
            let vocabulary = |privileges: &crate::privileges::AnyPrivileges| {
                <T as Target>::Privileges::from_any(*privileges).ok_or(ChangeError::WrongVocabulary {
                    kind: *kind,
                    found: privileges.vocabulary(),
                })
            };
            match change {
                Change::AddMember { privileges, .. } => {
                    self.add_relation(target, member, vocabulary(privileges)?)?;
                    Ok(vec![Change::RemoveMember {
                        kind: *kind,
                        id: id.clone(),
                        member_type: *member_type,
                        member_id: member_id.clone(),
                    }])
                }
                Change::RemoveMember { .. } => {
                    let old = self.direct_privileges(member, target);
                    self.remove_relation(target, member)?;
                    let old = old.unwrap_or_else(<T as Target>::Privileges::empty).into_any();
                    Ok(vec![inverse(|c| c, old)])
                }
                _ => {
                    let Change::SetMemberPrivileges { privileges, .. } = change else {
                        unreachable!("the three membership changes are matched above")
                    };
                    let new = vocabulary(privileges)?;
                    let old = self.direct_privileges(member, target);
                    self.update_relation_privileges(target, member, &PrivilegeUpdate::Set(new))?;
                    let old = old.unwrap_or_else(<T as Target>::Privileges::empty).into_any();
                    Ok(vec![inverse(set_privileges, old)])
                }
            }
        }))
    }

    fn create_of_kind(&mut self, kind: EntityKind, id: &str) -> Result<(), ChangeError> {
        match_kind!(kind, {
            User => self.create::<User>(id).map(drop),
            Group => self.create::<Group>(id).map(drop),
            Space => self.create::<Space>(id).map(drop),
            HandleService => self.create::<HandleService>(id).map(drop),
            Harvester => self.create::<Harvester>(id).map(drop),
            Share | Handle => return Err(ChangeError::NotIndependent { kind }),
        }, plain T => self.create::<T>(id).map(drop))
        .map_err(ChangeError::from)
    }

    fn delete_of_kind(&mut self, kind: EntityKind, id: &str) -> Result<(), ChangeError> {
        fn delete<K: Kind>(graph: &mut Graph, id: &str) -> Result<(), ChangeError> {
            let key = graph.find::<K>(id)?;
            Ok(graph.delete(key)?)
        }
        with_entity_kind!(kind, K => delete::<K>(self, id))
    }

    /// The changes that rebuild entity `id` of `kind` with every direct relation it has
    /// (and, for a space or share, what deleting it deletes with it).
    fn restoring(&self, kind: EntityKind, id: &str) -> Result<Vec<Change>, ChangeError> {
        let mut out = Vec::new();
        let create = Change::Create {
            kind,
            id: id.to_owned(),
        };
        match_kind!(kind, {
            User => {
                let user = self.find::<User>(id)?;
                out.push(create);
                self.restore_member(user, &mut out);
            },
            Group => {
                let group = self.find::<Group>(id)?;
                out.push(create);
                self.restore_members(group, &mut out);
                self.restore_member(group, &mut out);
            },
            Space => {
                let space = self.find::<Space>(id)?;
                out.push(create);
                self.restore_members(space, &mut out);
                for share in self.space_shares(space) {
                    self.restore_share(share, &mut out);
                }
                for harvester in self.space_harvesters(space) {
                    out.push(Change::LinkHarvesterSpace {
                        harvester_id: self.id_string(harvester),
                        space_id: id.to_owned(),
                    });
                }
            },
            Share => self.restore_share(self.find::<Share>(id)?, &mut out),
            Handle => self.restore_handle(self.find::<Handle>(id)?, &mut out),
            HandleService => {
                let service = self.find::<HandleService>(id)?;
                out.push(create);
                self.restore_members(service, &mut out);
            },
            Harvester => {
                let harvester = self.find::<Harvester>(id)?;
                out.push(create);
                self.restore_members(harvester, &mut out);
                for space in self.harvester_spaces(harvester) {
                    out.push(Change::LinkHarvesterSpace {
                        harvester_id: id.to_owned(),
                        space_id: self.id_string(space),
                    });
                }
            },
        }, plain T => {
            let target = self.find::<T>(id)?;
            out.push(create);
            self.restore_members(target, &mut out);
        });
        Ok(out)
    }

    fn id_string<K: Kind>(&self, key: Key<K>) -> String {
        self.id(key).unwrap_or_default().to_owned()
    }

    fn restore_share(&self, share: Key<Share>, out: &mut Vec<Change>) {
        out.push(Change::CreateShare {
            id: self.id_string(share),
            space_id: self
                .share_space(share)
                .map(|s| self.id_string(s))
                .unwrap_or_default(),
        });
        if let Some(handle) = self.share_handle(share) {
            self.restore_handle(handle, out);
        }
    }

    fn restore_handle(&self, handle: Key<Handle>, out: &mut Vec<Change>) {
        out.push(Change::CreateHandle {
            id: self.id_string(handle),
            handle_service_id: self
                .handle_service_of(handle)
                .map(|s| self.id_string(s))
                .unwrap_or_default(),
            share_id: self
                .handle_share(handle)
                .map(|s| self.id_string(s))
                .unwrap_or_default(),
        });
        self.restore_members(handle, out);
    }

    /// `addMember` for every direct member of `target`.
    fn restore_members<T: Target>(&self, target: Key<T>, out: &mut Vec<Change>) {
        let id = self.id_string(target);
        let members = T::members(T::slab(self).node(target.index));
        for (member_type, direct) in [
            (MemberType::User, &members.users),
            (MemberType::Group, &members.groups),
        ] {
            for (&member, &privileges) in direct {
                let member_id = match member_type {
                    MemberType::User => User::node_id(self.users.node(member)),
                    MemberType::Group => Group::node_id(self.groups.node(member)),
                };
                out.push(Change::AddMember {
                    kind: T::TARGET,
                    id: id.clone(),
                    member_type,
                    member_id: member_id.to_owned(),
                    privileges: privileges.into_any(),
                });
            }
        }
    }

    /// The own oz privileges of `member` and `addMember` for each of its direct
    /// memberships.
    fn restore_member<M: MemberKind>(&self, member: Key<M>, out: &mut Vec<Change>) {
        let id = self.id_string(member);
        let node = M::slab(self).node(member.index);
        let side = M::member_side(node);
        let m = MemberRef {
            kind: M::MEMBER,
            index: member.index,
        };
        if !side.oz.is_empty() {
            out.push(Change::SetOzPrivileges {
                member_type: M::MEMBER,
                id: id.clone(),
                privileges: side.oz,
            });
        }
        let targets = side
            .groups
            .iter()
            .map(|&g| TargetRef {
                kind: super::TargetKind::Group,
                index: g,
            })
            .chain(side.resources.iter().copied());
        for target in targets {
            with_target_kind!(target.kind, T => {
                let node = T::slab(self).node(target.index);
                if let Some(&privileges) = T::members(node).direct(m.kind).get(&m.index) {
                    out.push(Change::AddMember {
                        kind: T::TARGET,
                        id: T::node_id(node).to_owned(),
                        member_type: M::MEMBER,
                        member_id: id.clone(),
                        privileges: privileges.into_any(),
                    });
                }
            });
        }
    }
}

/// `addMember` turned into `setMemberPrivileges` with the same fields.
fn set_privileges(change: Change) -> Change {
    match change {
        Change::AddMember {
            kind,
            id,
            member_type,
            member_id,
            privileges,
        } => Change::SetMemberPrivileges {
            kind,
            id,
            member_type,
            member_id,
            privileges,
        },
        other => other,
    }
}
