//! Keys whose kind is a value, for the layers that handle kinds at run time.

use super::kinds::{EntityKind, Key, Kind, Share, Target, User, with_target_kind};
use super::{Graph, Group};

/// The key of an entity of any kind: what generic code learns about an entity when the
/// kind comes from a request rather than a type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct AnyKey {
    pub(crate) kind: EntityKind,
    graph: super::kinds::Identity,
    index: u32,
    generation: u32,
}

impl AnyKey {
    pub(crate) fn of<K: Kind>(key: Key<K>) -> AnyKey {
        AnyKey {
            kind: K::KIND,
            graph: key.graph,
            index: key.index,
            generation: key.generation,
        }
    }

    /// The key as a `Key<K>` when it is of kind `K`.
    pub(crate) fn typed<K: Kind>(self) -> Option<Key<K>> {
        (self.kind == K::KIND).then(|| Key::new(self.graph, self.index, self.generation))
    }
}

impl Graph {
    /// The key of the entity of `kind` called `id`.
    pub(crate) fn any_key(&self, kind: EntityKind, id: &str) -> Option<AnyKey> {
        fn find<K: Kind>(graph: &Graph, id: &str) -> Option<AnyKey> {
            graph.key::<K>(id).map(AnyKey::of)
        }
        match kind.target() {
            Some(target) => with_target_kind!(target, T => find::<T>(self, id)),
            None if kind == EntityKind::User => find::<User>(self, id),
            None => find::<Share>(self, id),
        }
    }

    /// Whether `user` holds `privileges` in the target `target` (false when `target` is
    /// not a target, or the privileges are of another vocabulary).
    pub(crate) fn holds_any(
        &self,
        user: Key<User>,
        target: AnyKey,
        privileges: crate::privileges::AnyPrivileges,
    ) -> bool {
        fn check<T: Target>(
            graph: &Graph,
            user: Key<User>,
            target: AnyKey,
            privileges: crate::privileges::AnyPrivileges,
        ) -> bool {
            match (
                target.typed::<T>(),
                <T::Privileges as crate::privileges::Privileges>::from_any(privileges),
            ) {
                (Some(t), Some(p)) => graph.has_privilege(user, t, p),
                _ => false,
            }
        }
        let Some(kind) = target.kind.target() else {
            return false;
        };
        with_target_kind!(kind, T => check::<T>(self, user, target, privileges))
    }

    /// Whether `member` (of `member_kind`, by id) is a direct (or, with `effective`, an
    /// effective) member of `target`.
    pub(crate) fn is_member_any(
        &self,
        target: AnyKey,
        member: super::MemberType,
        member_id: &str,
        effective: bool,
    ) -> bool {
        fn check<M: super::MemberKind, T: Target>(
            graph: &Graph,
            target: Key<T>,
            member_id: &str,
            effective: bool,
        ) -> bool {
            graph.key::<M>(member_id).is_some_and(|m| {
                if effective {
                    graph.effective_privileges(m, target).is_some()
                } else {
                    graph.direct_privileges(m, target).is_some()
                }
            })
        }
        let Some(kind) = target.kind.target() else {
            return false;
        };
        with_target_kind!(kind, T => match (target.typed::<T>(), member) {
            (Some(t), super::MemberType::User) => check::<User, T>(self, t, member_id, effective),
            (Some(t), super::MemberType::Group) => check::<Group, T>(self, t, member_id, effective),
            (None, _) => false,
        })
    }
}
