//! Keeping effective relations current: the one place that changes them.
//!
//! Two materializations, each updated only where a mutation changes something:
//!
//! - **Users in every target**. A user *gains* a path into a target when a direct
//!   relation or a direct member group of the target starts to include it (its
//!   privileges there grow by what the path carries); when it has just entered a
//!   *group*, it enters that group's parents and resources through it, and so on upward
//!   (a worklist, never recursion). When a path *ends*, the relation is re-evaluated
//!   from the target's direct relations: the user's own, and the direct groups of the
//!   target it still belongs to; with none left, it leaves. Losses are processed after
//!   the user left the groups below, and every departure schedules the targets above
//!   again, so the last evaluation of each relation sees the final state. No count of
//!   paths is stored: it would cost four bytes on each of the tens of millions of
//!   relations a large graph holds, and the re-evaluation it would spare is bounded by
//!   the smaller of the target's direct groups and the user's effective groups.
//! - **Groups in resources**: `E(X, r) = direct(X, r) ∪ ⋃ E(parent, r)`. A change at
//!   group `X` re-evaluates `X` and then, only where the value changed, its children —
//!   a monotone fixpoint on an acyclic graph, so it terminates after at most
//!   (bits + 1) changes per group. Updates that both add and remove bits run as two
//!   monotone phases.
//!
//! Groups inside groups are not materialized (the closure of a nesting chain is
//! quadratic in its depth); queries compute them by a search.

use smallvec::SmallVec;

use bitflags::Flags;

use super::Graph;
use super::kinds::{Group, Kind, Target, TargetKind, with_target_kind};
use super::members::TargetRef;

/// Users whose effective oz privileges must be recomputed when a mutation ends.
pub(crate) type OzDirty = Vec<u32>;

impl Graph {
    /// The users a direct relation of a member reaches: the user itself, or a group's
    /// effective users.
    pub(crate) fn users_reached(&self, member: super::propagate::MemberRef) -> Vec<u32> {
        match member.kind {
            super::MemberType::User => vec![member.index],
            super::MemberType::Group => self.groups.hot(member.index).keys().collect(),
        }
    }

    // ----- users ---------------------------------------------------------------------

    /// One more path for each of `users` into target `t`, contributing `contribution`;
    /// new group memberships are carried upward.
    pub(crate) fn users_gain<T: Target>(
        &mut self,
        t: u32,
        users: &[u32],
        contribution: T::Privileges,
    ) {
        let mut entered = Vec::new();
        if users.len() > 1 {
            // A group's users arriving at once: grow the table once, not by doublings.
            T::eff_mut(self, t).reserve(users.len());
        }
        for &u in users {
            if self.user_gain::<T>(t, u, contribution) && T::TARGET == TargetKind::Group {
                entered.push((u, t));
            }
        }
        self.propagate_user_gains(entered);
    }

    /// True when `u` was not an effective member of `t` before.
    ///
    /// For a group, whether `u` is new there is asked of `u`'s effective groups (which
    /// mirror the groups' effective users), not of the group's table: that set is small
    /// and stays in cache while one user's gains spread, so what to visit next does not
    /// wait for the table's cache miss, and the processor overlaps the misses of the
    /// groups along the way. The table is then written without a search for `u`.
    fn user_gain<T: Target>(&mut self, t: u32, u: u32, contribution: T::Privileges) -> bool {
        if T::TARGET == TargetKind::Group {
            let entered = self.users.node_mut(u).eff_groups.insert(t);
            let eff = T::eff_mut(self, t);
            if entered {
                debug_assert!(
                    !eff.contains(u),
                    "user {u} in group {t} but not in its groups"
                );
                eff.insert_new(u, contribution);
            } else if let Some(privileges) = eff.get_mut(u) {
                privileges.insert(contribution);
            }
            return entered;
        }
        let (privileges, entered) = T::eff_mut(self, t).get_or_insert(u, contribution);
        privileges.insert(contribution);
        entered
    }

    /// Work items: user `u` has just become an effective member of group `g`.
    fn propagate_user_gains(&mut self, mut work: Vec<(u32, u32)>) {
        while let Some((u, g)) = work.pop() {
            let group = self.groups.node(g);
            let oz = group.side.oz;
            let parents: SmallVec<[u32; 8]> = group.side.groups.iter().copied().collect();
            let resources: SmallVec<[TargetRef; 8]> =
                group.side.resources.iter().copied().collect();
            // `u` is in `g`'s effective users and `g` in `u`'s effective groups already.
            self.users.node_mut(u).eff_oz.insert(oz);
            for p in parents {
                let contribution = self.groups.node(p).members.groups[&g];
                if self.user_gain::<Group>(p, u, contribution) {
                    work.push((u, p));
                }
            }
            // Through `g`, `u` also enters every resource `g` is a direct member of.
            for r in resources {
                with_target_kind!(r.kind, R => {
                    let contribution = R::members(R::slab(self).node(r.index)).groups[&g];
                    self.user_gain::<R>(r.index, u, contribution);
                });
            }
        }
    }

    /// A path of each of `users` into target `t` has ended (the direct relation is
    /// already gone): each relation is re-evaluated; departures from groups are carried
    /// upward.
    pub(crate) fn users_lose<T: Target>(&mut self, t: u32, users: &[u32], oz_dirty: &mut OzDirty) {
        let mut left = Vec::new();
        for &u in users {
            if self.user_lose::<T>(t, u) && T::TARGET == TargetKind::Group {
                left.push((u, t));
            }
        }
        self.propagate_user_losses(left, oz_dirty);
    }

    /// Re-evaluates `u` in `t` after one of its paths there ended; true when it left.
    ///
    /// While a departure spreads, `u`'s effective groups may still list groups it is
    /// about to leave (they are removed as their work items are taken), so an evaluation
    /// may keep `u` through such a group; each departure re-evaluates every target
    /// above the group it leaves, so the last evaluation of each relation sees the final
    /// state.
    fn user_lose<T: Target>(&mut self, t: u32, u: u32) -> bool {
        match self.user_support::<T>(t, u) {
            Some(privileges) => {
                if let Some(entry) = T::eff_mut(self, t).get_mut(u) {
                    *entry = privileges;
                }
                false
            }
            None => {
                let (node, eff) = T::node_eff_mut(self, t);
                if eff.remove(u).is_none() {
                    return false;
                }
                // Ownership of a space ends with the owner's membership.
                if T::drop_owner(node, u) {
                    self.journal_owner_drop(t, u);
                }
                true
            }
        }
    }

    /// Work items: user `u` has just left group `g`.
    fn propagate_user_losses(&mut self, mut work: Vec<(u32, u32)>, oz_dirty: &mut OzDirty) {
        while let Some((u, g)) = work.pop() {
            let group = self.groups.node(g);
            let had_oz = !group.side.oz.is_empty();
            let parents: SmallVec<[u32; 8]> = group.side.groups.iter().copied().collect();
            let resources: SmallVec<[TargetRef; 8]> =
                group.side.resources.iter().copied().collect();
            self.users.node_mut(u).eff_groups.remove(&g);
            if had_oz {
                oz_dirty.push(u);
            }
            for p in parents {
                if self.user_lose::<Group>(p, u) {
                    work.push((u, p));
                }
            }
            for r in resources {
                with_target_kind!(r.kind, R => {
                    self.user_lose::<R>(r.index, u);
                });
            }
        }
    }

    /// The effective privileges user `u` has in `t` by the direct relations: its own,
    /// plus those of every direct group of `t` it belongs to; `None` when neither
    /// exists. Iterates the smaller of `t`'s direct groups and `u`'s effective groups.
    fn user_support<T: Target>(&self, t: u32, u: u32) -> Option<T::Privileges> {
        let u_groups = &self.users.node(u).eff_groups;
        let members = T::members(T::slab(self).node(t));
        let own = members.users.get(&u).copied();
        let mut present = own.is_some();
        let mut privileges = own.unwrap_or_else(T::Privileges::empty);
        if members.groups.len() <= u_groups.len() {
            for (g, p) in &members.groups {
                if u_groups.contains(g) {
                    present = true;
                    privileges.insert(*p);
                }
            }
        } else {
            for g in u_groups {
                if let Some(p) = members.groups.get(g) {
                    present = true;
                    privileges.insert(*p);
                }
            }
        }
        present.then_some(privileges)
    }

    /// Recomputes the effective privileges of user `u` in `t`, which stays an
    /// effective member, from the direct relations (see [`Graph::user_support`]).
    pub(crate) fn recompute_user<T: Target>(&mut self, t: u32, u: u32) {
        if let Some(privileges) = self.user_support::<T>(t, u)
            && let Some(entry) = T::eff_mut(self, t).get_mut(u)
        {
            *entry = privileges;
        }
    }

    /// Recomputes effective oz privileges of `users`: own ∪ every effective group's.
    pub(crate) fn recompute_user_oz(&mut self, mut users: OzDirty) {
        users.sort_unstable();
        users.dedup();
        for u in users {
            let user = self.users.node(u);
            let mut eff = user.side.oz;
            for &g in &user.eff_groups {
                eff.insert(self.groups.node(g).side.oz);
            }
            self.users.node_mut(u).eff_oz = eff;
        }
    }

    // ----- groups in resources ---------------------------------------------------------

    /// Re-evaluates the effective privileges of group `start` in resource `r` and
    /// carries every change down to its child groups.
    pub(crate) fn refresh_groups_dyn(&mut self, r: TargetRef, start: u32) {
        with_target_kind!(r.kind, R => self.refresh_groups::<R>(r.index, start))
    }

    /// See [`Graph::refresh_groups_dyn`]; `R` is a resource kind.
    pub(crate) fn refresh_groups<R: Target>(&mut self, r: u32, start: u32) {
        let here = TargetRef {
            kind: R::TARGET,
            index: r,
        };
        let mut work = std::collections::VecDeque::from([start]);
        while let Some(x) = work.pop_front() {
            let members = R::members(R::slab(self).node(r));
            let group = self.groups.node(x);
            let direct = members.groups.get(&x).copied();
            let mut present = direct.is_some();
            let mut privileges = direct.unwrap_or_else(R::Privileges::empty);
            for p in &group.side.groups {
                if let Some(inherited) = members.eff_groups.get(p) {
                    present = true;
                    privileges.insert(*inherited);
                }
            }
            let old = members.eff_groups.get(&x).copied();
            let new = present.then_some(privileges);
            if old == new {
                continue;
            }
            let children: SmallVec<[u32; 8]> = group.members.groups.keys().copied().collect();
            let map = &mut R::members_mut(R::slab_mut(self).node_mut(r)).eff_groups;
            match new {
                Some(privileges) => {
                    map.insert(x, privileges);
                    self.groups.node_mut(x).eff_resources.insert(here);
                }
                None => {
                    map.remove(&x);
                    self.groups.node_mut(x).eff_resources.remove(&here);
                }
            }
            work.extend(children);
        }
    }
}

/// A user or group, by index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct MemberRef {
    pub kind: super::MemberType,
    pub index: u32,
}

impl MemberRef {
    pub fn user(index: u32) -> Self {
        MemberRef {
            kind: super::MemberType::User,
            index,
        }
    }

    pub fn group(index: u32) -> Self {
        MemberRef {
            kind: super::MemberType::Group,
            index,
        }
    }
}
