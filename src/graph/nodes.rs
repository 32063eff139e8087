//! The node stored for each entity kind.

use smallvec::SmallVec;

use crate::privileges::{GroupPrivileges, OzPrivileges};

use super::members::{MemberSide, Members, TargetRef};
use super::slab::IndexSet;

#[derive(Debug, Clone)]
pub struct UserNode {
    pub id: Box<str>,
    pub side: MemberSide,
    /// Groups the user belongs to effectively.
    pub eff_groups: IndexSet,
    /// Own oz privileges ∪ those of every group in `eff_groups`.
    pub eff_oz: OzPrivileges,
}

#[derive(Debug, Clone)]
pub struct GroupNode {
    pub id: Box<str>,
    pub side: MemberSide,
    pub members: Members<GroupPrivileges>,
    /// Resources the group belongs to effectively (the keys of their `eff_groups`).
    pub eff_resources: IndexSet<TargetRef>,
}

/// A resource with members; `links` holds what only some kinds have.
#[derive(Debug, Clone)]
pub struct ResourceNode<P> {
    pub id: Box<str>,
    pub members: Members<P>,
    pub links: Links,
}

/// Kind-specific relations of a resource (all empty where the kind has none).
#[derive(Debug, Clone, Default)]
pub struct Links {
    /// Space: its owners (user indices), who hold every space privilege.
    pub owners: SmallVec<[u32; 2]>,
    /// Space: its shares. Handle service: its handles.
    pub children: Vec<u32>,
    /// Space: linked harvesters. Harvester: linked spaces.
    pub linked: Vec<u32>,
    /// Handle: its handle service and its share.
    pub handle_of: Option<(u32, u32)>,
}

#[derive(Debug, Clone)]
pub struct ShareNode {
    pub id: Box<str>,
    pub space: u32,
    pub handle: Option<u32>,
}

/// Whether `user` holds every privilege of the node regardless of its relations
/// (space owners).
pub trait Ownership {
    fn is_owner(&self, user: u32) -> bool;
    /// Ends `user`'s ownership; true when it was an owner.
    fn drop_owner(&mut self, user: u32) -> bool;
}

impl<P> Ownership for ResourceNode<P> {
    #[inline]
    fn is_owner(&self, user: u32) -> bool {
        self.links.owners.contains(&user)
    }

    fn drop_owner(&mut self, user: u32) -> bool {
        let before = self.links.owners.len();
        self.links.owners.retain(|o| *o != user);
        self.links.owners.len() != before
    }
}

impl Ownership for GroupNode {
    #[inline]
    fn is_owner(&self, _user: u32) -> bool {
        false
    }

    fn drop_owner(&mut self, _user: u32) -> bool {
        false
    }
}
