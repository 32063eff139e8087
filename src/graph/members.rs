//! The membership maps every target keeps, and what users and groups keep as members.

use crate::privileges::OzPrivileges;

use super::kinds::{MemberType, TargetKind};
use super::slab::{IndexMap, IndexSet};

/// The effective users of one target, each with its effective privileges there. Kept
/// apart from the target's node, in the dense hot array of its kind's slab, because a
/// check reads nothing else.
///
/// No count of the paths supporting a relation is kept: a removal re-evaluates each
/// relation it touches from the target's direct relations (see `propagate`), which keeps
/// each entry at a key and a privilege set.
pub type EffUsers<P> = IndexMap<P>;

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
