//! The membership maps every target keeps, and what users and groups keep as members.

use hashbrown::{HashMap, HashSet};

use crate::privileges::OzPrivileges;

use super::kinds::{MemberType, TargetKind};

/// One effective relation of a user: the privileges it carries and how many first hops
/// (the direct relation itself, and each direct member group of the target the user
/// belongs to) support it. The relation exists while `hops > 0`; because nesting is
/// acyclic, counting first hops is exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Eff<P> {
    pub privileges: P,
    pub hops: u32,
}

/// Direct and effective members of one target, each with its privileges there.
///
/// Effective *users* are materialized for every target (the check path). Effective
/// *groups* are materialized for resources only: a group's effective privileges in a
/// resource are its direct ones there ∪ those of its parents, linear in the number of
/// groups per resource. Inside groups (nesting) they are computed by a search, because
/// the transitive closure of nesting is quadratic in the depth of a chain.
#[derive(Debug, Clone)]
pub struct Members<P> {
    pub users: HashMap<u32, P>,
    pub groups: HashMap<u32, P>,
    pub eff_users: HashMap<u32, Eff<P>>,
    /// Resources only (empty for groups): every effective member group.
    pub eff_groups: HashMap<u32, P>,
}

impl<P> Default for Members<P> {
    fn default() -> Self {
        Members {
            users: HashMap::new(),
            groups: HashMap::new(),
            eff_users: HashMap::new(),
            eff_groups: HashMap::new(),
        }
    }
}

impl<P> Members<P> {
    #[inline]
    pub fn direct(&self, member: MemberType) -> &HashMap<u32, P> {
        match member {
            MemberType::User => &self.users,
            MemberType::Group => &self.groups,
        }
    }

    #[inline]
    pub fn direct_mut(&mut self, member: MemberType) -> &mut HashMap<u32, P> {
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
    pub groups: HashSet<u32>,
    /// Direct memberships in targets other than groups.
    pub resources: HashSet<TargetRef>,
}
