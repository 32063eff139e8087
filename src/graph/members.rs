//! The membership maps every target keeps, and what users and groups keep as members.

use std::fmt;
use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable, hash_table};

use crate::privileges::OzPrivileges;

use super::kinds::{MemberType, TargetKind};
use super::slab::{IndexMap, IndexSet};

/// The effective users of one target, each with its effective privileges there. Kept
/// apart from the target's node, in the dense hot array of its kind's slab, because a
/// check reads nothing else.
///
/// No count of the paths supporting a relation is kept: a removal re-evaluates each
/// relation it touches from the target's direct relations (see `propagate`), which keeps
/// each entry at a key and a privilege set. The key is stored as bytes so that an entry
/// has no padding: 5 bytes for one-byte vocabularies (handle services, handles) instead
/// of 8, which is most of a large graph's memory.
#[derive(Clone, Default)]
pub struct EffUsers<P> {
    table: HashTable<EffUser<P>>,
    /// Seeded per table, as [`IndexMap`]'s hasher is (see there why).
    hasher: DefaultHashBuilder,
}

/// One entry of [`EffUsers`]: a user index (native byte order) and its privileges.
#[derive(Clone, Copy)]
struct EffUser<P> {
    user: [u8; 4],
    privileges: P,
}

impl<P> EffUser<P> {
    #[inline]
    fn user(&self) -> u32 {
        u32::from_ne_bytes(self.user)
    }
}

impl<P: Copy> EffUsers<P> {
    #[inline]
    fn hash(&self, user: u32) -> u64 {
        self.hasher.hash_one(user)
    }

    /// The effective users of a target with the given direct users and no groups.
    pub fn from_direct(users: &IndexMap<P>) -> Self {
        let mut eff = EffUsers {
            table: HashTable::with_capacity(users.len()),
            hasher: DefaultHashBuilder::default(),
        };
        for (&user, &privileges) in users {
            eff.insert_new(user, privileges);
        }
        eff
    }

    /// Makes room for `additional` more users without growing again.
    pub fn reserve(&mut self, additional: usize) {
        let hasher = &self.hasher;
        self.table
            .reserve(additional, |e| hasher.hash_one(e.user()));
    }

    /// Inserts `user`, which is not an effective member yet.
    pub fn insert_new(&mut self, user: u32, privileges: P) {
        let hasher = &self.hasher;
        let entry = EffUser {
            user: user.to_ne_bytes(),
            privileges,
        };
        self.table
            .insert_unique(hasher.hash_one(user), entry, |e| hasher.hash_one(e.user()));
    }

    /// The effective privileges of `user`, if it is an effective member.
    #[inline]
    pub fn get(&self, user: u32) -> Option<P> {
        self.table
            .find(self.hash(user), |e| e.user() == user)
            .map(|e| e.privileges)
    }

    pub fn contains(&self, user: u32) -> bool {
        self.get(user).is_some()
    }

    pub fn get_mut(&mut self, user: u32) -> Option<&mut P> {
        self.table
            .find_mut(self.hash(user), |e| e.user() == user)
            .map(|e| &mut e.privileges)
    }

    /// The privileges of `user`, inserted as `privileges` when it was not a member;
    /// true when it was inserted.
    pub fn get_or_insert(&mut self, user: u32, privileges: P) -> (&mut P, bool) {
        let hasher = &self.hasher;
        match self.table.entry(
            hasher.hash_one(user),
            |e| e.user() == user,
            |e| hasher.hash_one(e.user()),
        ) {
            hash_table::Entry::Occupied(entry) => (&mut entry.into_mut().privileges, false),
            hash_table::Entry::Vacant(entry) => {
                let entry = entry.insert(EffUser {
                    user: user.to_ne_bytes(),
                    privileges,
                });
                (&mut entry.into_mut().privileges, true)
            }
        }
    }

    pub fn remove(&mut self, user: u32) -> Option<P> {
        let hash = self.hash(user);
        match self.table.find_entry(hash, |e| e.user() == user) {
            Ok(entry) => Some(entry.remove().0.privileges),
            Err(_) => None,
        }
    }

    pub fn keys(&self) -> impl Iterator<Item = u32> + '_ {
        self.table.iter().map(EffUser::user)
    }

    pub fn iter(&self) -> impl Iterator<Item = (u32, P)> + '_ {
        self.table.iter().map(|e| (e.user(), e.privileges))
    }

    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }
}

impl<P: Copy + fmt::Debug> fmt::Debug for EffUsers<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Direct and effective members of one target, each with its privileges there.
///
/// Effective *users* are materialized for every target (the check path, in
/// [`EffUsers`]). Effective *groups* are materialized for resources only: a group's
/// effective privileges in a resource are its direct ones there ∪ those of its parents,
/// linear in the number of groups per resource. Inside groups (nesting) they are
/// computed by a search, because the transitive closure of nesting is quadratic in the
/// depth of a chain.
#[derive(Debug, Clone)]
pub struct Members<P> {
    pub users: IndexMap<P>,
    pub groups: IndexMap<P>,
    /// Resources only (empty for groups): every effective member group.
    pub eff_groups: IndexMap<P>,
}

impl<P> Default for Members<P> {
    fn default() -> Self {
        Members {
            users: IndexMap::default(),
            groups: IndexMap::default(),
            eff_groups: IndexMap::default(),
        }
    }
}

impl<P> Members<P> {
    #[inline]
    pub fn direct(&self, member: MemberType) -> &IndexMap<P> {
        match member {
            MemberType::User => &self.users,
            MemberType::Group => &self.groups,
        }
    }

    #[inline]
    pub fn direct_mut(&mut self, member: MemberType) -> &mut IndexMap<P> {
        match member {
            MemberType::User => &mut self.users,
            MemberType::Group => &mut self.groups,
        }
    }
}

/// A direct or effective membership seen from the member: which resource it is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TargetRef {
    pub kind: TargetKind,
    pub index: u32,
}

/// What users and groups keep as members: own oz privileges and direct memberships.
#[derive(Debug, Clone, Default)]
pub struct MemberSide {
    /// Own oz privileges.
    pub oz: OzPrivileges,
    /// Groups this member is a direct member of (a group's direct parents).
    pub groups: IndexSet,
    /// Direct memberships in targets other than groups.
    pub resources: IndexSet<TargetRef>,
}
