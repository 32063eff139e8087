//! Searches over group nesting, for what is not materialized: groups inside groups.
//!
//! All are iterative (an explicit stack), so nesting depth is bounded by memory, not by
//! the call stack. Searches on the check path reuse a per-thread scratch buffer, so
//! after their first call on a thread they allocate nothing.

use std::cell::RefCell;

use crate::privileges::OzPrivileges;

use super::Graph;
use super::kinds::Target;
use super::slab::IndexSet;

#[derive(Default)]
struct Scratch {
    stack: Vec<u32>,
    seen: IndexSet,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

impl Graph {
    /// Calls `visit` once for every proper ancestor of group `x` (its parents, their
    /// parents, …), not expanding above `stop` (whose ancestors cannot matter to the
    /// caller). O(ancestors).
    fn for_each_ancestor(&self, x: u32, stop: Option<u32>, mut visit: impl FnMut(u32)) {
        let mut walk = |scratch: &mut Scratch| {
            scratch.stack.clear();
            scratch.seen.clear();
            scratch.stack.push(x);
            while let Some(g) = scratch.stack.pop() {
                for &p in &self.groups.node(g).side.groups {
                    if scratch.seen.insert(p) {
                        visit(p);
                        if Some(p) != stop {
                            scratch.stack.push(p);
                        }
                    }
                }
            }
        };
        // A nested call (never made today) falls back to a fresh buffer.
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut scratch) => walk(&mut scratch),
            Err(_) => walk(&mut Scratch::default()),
        });
    }

    /// The proper ancestors of group `x`. O(ancestors).
    pub(crate) fn ancestors(&self, x: u32) -> IndexSet {
        let mut all = IndexSet::default();
        self.for_each_ancestor(x, None, |a| {
            all.insert(a);
        });
        all
    }

    /// The proper descendants of group `x` (its effective children). O(descendants).
    pub(crate) fn descendants(&self, x: u32) -> IndexSet {
        let mut all = IndexSet::default();
        let mut stack = vec![x];
        while let Some(g) = stack.pop() {
            for &c in self.groups.node(g).members.groups.keys() {
                if all.insert(c) {
                    stack.push(c);
                }
            }
        }
        all
    }

    /// Whether nesting `child` in `parent` would close a cycle, i.e. `parent` is
    /// already below `child`. Searches up from `parent` and down from `child` in
    /// lockstep and stops when either side is exhausted, so the cost is about twice the
    /// smaller of the two neighbourhoods.
    pub(crate) fn would_close_cycle(&self, child: u32, parent: u32) -> bool {
        let (mut up, mut down) = (vec![parent], vec![child]);
        let (mut seen_up, mut seen_down) = (IndexSet::default(), IndexSet::default());
        loop {
            let Some(g) = up.pop() else { return false };
            for &p in &self.groups.node(g).side.groups {
                if p == child {
                    return true;
                }
                if seen_up.insert(p) {
                    up.push(p);
                }
            }
            let Some(g) = down.pop() else { return false };
            for &c in self.groups.node(g).members.groups.keys() {
                if c == parent {
                    return true;
                }
                if seen_down.insert(c) {
                    down.push(c);
                }
            }
        }
    }

    /// The effective privileges of group `x` in target `t` (of kind `T`), computed from
    /// the direct relations: `x`'s own there ∪ those of every direct member group of
    /// `t` among `x`'s ancestors. `None` when `x` is not an effective member.
    /// O(ancestors of `x`); allocation-free after the first call on a thread.
    pub(crate) fn group_effective<T: Target>(&self, x: u32, t: u32) -> Option<T::Privileges> {
        let members = T::members(T::slab(self).node(t));
        let direct = members.groups.get(&x).copied();
        let mut member = direct.is_some();
        let mut privileges = direct.unwrap_or_else(<T::Privileges as bitflags::Flags>::empty);
        let stop = (T::TARGET == super::TargetKind::Group).then_some(t);
        self.for_each_ancestor(x, stop, |a| {
            if let Some(p) = members.groups.get(&a) {
                member = true;
                bitflags::Flags::insert(&mut privileges, *p);
            }
        });
        member.then_some(privileges)
    }

    /// Effective oz privileges of group `x`: own ∪ every ancestor's. O(ancestors).
    pub(crate) fn group_effective_oz(&self, x: u32) -> OzPrivileges {
        let mut oz = self.groups.node(x).side.oz;
        self.for_each_ancestor(x, None, |a| oz.insert(self.groups.node(a).side.oz));
        oz
    }
}
