//! Why a member holds a privilege: first hops and full paths, computed on demand.
//!
//! Neither is materialized (they are not on the check path): both are searches guided by
//! the materialized effective memberships, so every branch they explore leads to the
//! member.

use bitflags::Flags;

use super::Graph;
use super::kinds::{Group, Key, MemberKind, Target};
use super::propagate::MemberRef;

/// One first hop of an effective relation (Onezone's membership "intermediaries").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Intermediary {
    /// The member is a direct member of the target (Onezone's `"self"`).
    Direct,
    /// The member belongs to this direct member group of the target.
    Group(Key<Group>),
}

/// One chain of direct memberships from a member up to a target.
///
/// `groups` lists the groups passed through, starting with the group the member is a
/// direct member of and ending with a direct member group of the target; it is empty
/// for a direct membership.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Path<P> {
    /// The groups on the way, member side first.
    pub groups: Vec<Key<Group>>,
    /// What the last hop holds in the target, of the privileges asked about.
    pub contributes: P,
}

impl Graph {
    /// The first hops of the effective relation of `member` in `target`: `Direct` when
    /// it is a direct member, and each direct member group of the target it belongs to.
    /// `None` when it is not an effective member. `Direct` comes first, then groups by
    /// id. O(min(direct groups of target, effective groups of member)).
    ///
    /// ```
    /// use privgraph::graph::{Child, Graph, Group, Intermediary, Parent, User};
    /// use privgraph::privileges::GroupPrivileges as G;
    /// let mut graph = Graph::new();
    /// let (top, mid, u) = (graph.create::<Group>("top")?, graph.create::<Group>("mid")?, graph.create::<User>("u")?);
    /// graph.add_member(mid, u, G::empty())?;
    /// graph.nest(Child(mid), Parent(top), G::GROUP_VIEW)?;
    /// graph.add_member(top, u, G::empty())?;
    /// assert_eq!(graph.intermediaries(u, top), Some(vec![Intermediary::Direct, Intermediary::Group(mid)]));
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn intermediaries<M: MemberKind, T: Target>(
        &self,
        member: Key<M>,
        target: Key<T>,
    ) -> Option<Vec<Intermediary>> {
        self.effective_privileges(member, target)?;
        let x = MemberRef {
            kind: M::MEMBER,
            index: member.index,
        };
        let members = T::members(T::slab(self).node(target.index));
        let mut hops = Vec::new();
        if members.direct(x.kind).contains_key(&x.index) {
            hops.push(Intermediary::Direct);
        }
        let mut groups = self.groups_of_target_containing::<T>(target.index, x);
        groups.sort_unstable_by(|a, b| self.group_id(*a).cmp(self.group_id(*b)));
        hops.extend(
            groups
                .into_iter()
                .map(|g| Intermediary::Group(self.key_of(g))),
        );
        Some(hops)
    }

    fn group_id(&self, g: u32) -> &str {
        &self.groups.node(g).id
    }

    /// The groups `x` belongs to effectively: a user's (materialized), or a group's
    /// ancestors (searched).
    fn groups_containing(&self, x: MemberRef) -> std::borrow::Cow<'_, super::slab::IndexSet> {
        match x.kind {
            super::MemberType::User => {
                std::borrow::Cow::Borrowed(&self.users.node(x.index).eff_groups)
            }
            super::MemberType::Group => std::borrow::Cow::Owned(self.ancestors(x.index)),
        }
    }

    /// Direct member groups of target `t` that `x` belongs to effectively.
    fn groups_of_target_containing<T: Target>(&self, t: u32, x: MemberRef) -> Vec<u32> {
        let direct_groups = &T::members(T::slab(self).node(t)).groups;
        let x_groups = self.groups_containing(x);
        let x_groups = x_groups.as_ref();
        if direct_groups.len() <= x_groups.len() {
            direct_groups
                .keys()
                .filter(|g| x_groups.contains(*g))
                .copied()
                .collect()
        } else {
            x_groups
                .iter()
                .filter(|g| direct_groups.contains_key(*g))
                .copied()
                .collect()
        }
    }

    /// Every chain of direct memberships through which `member` gets any of
    /// `privileges` in `target`, at most `limit` of them (a DAG can have exponentially
    /// many). Deterministic: the direct membership first, then chains in the order of
    /// their groups' ids. Empty when the member holds none of them.
    ///
    /// Cost: O(paths · depth) plus the branches pruned on the way; iterative, so deep
    /// nesting does not grow the stack.
    ///
    /// ```
    /// use privgraph::graph::{Child, Graph, Group, HandleService, Parent, User};
    /// use privgraph::privileges::{GroupPrivileges as G, HandleServicePrivileges as HS};
    /// let mut graph = Graph::new();
    /// let (team, core, u) = (graph.create::<Group>("team")?, graph.create::<Group>("core")?, graph.create::<User>("u")?);
    /// let hs = graph.create::<HandleService>("hs")?;
    /// graph.add_member(core, u, G::empty())?;
    /// graph.nest(Child(core), Parent(team), G::empty())?;
    /// graph.add_member(hs, team, HS::HANDLE_SERVICE_UPDATE)?;
    /// let paths = graph.explain(u, hs, HS::HANDLE_SERVICE_UPDATE, 10);
    /// assert_eq!(paths.len(), 1);
    /// assert_eq!(paths[0].groups, vec![core, team]);
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn explain<M: MemberKind, T: Target>(
        &self,
        member: Key<M>,
        target: Key<T>,
        privileges: T::Privileges,
        limit: usize,
    ) -> Vec<Path<T::Privileges>> {
        let mut paths = Vec::new();
        if limit == 0 || self.effective_privileges(member, target).is_none() {
            return paths;
        }
        let x = MemberRef {
            kind: M::MEMBER,
            index: member.index,
        };
        let members = T::members(T::slab(self).node(target.index));
        if let Some(direct) = members.direct(x.kind).get(&x.index) {
            let contributes = direct.intersection(privileges);
            if !contributes.is_empty() {
                paths.push(Path {
                    groups: Vec::new(),
                    contributes,
                });
                if paths.len() == limit {
                    return paths;
                }
            }
        }
        let mut tops: Vec<(u32, T::Privileges)> = self
            .groups_of_target_containing::<T>(target.index, x)
            .into_iter()
            .map(|g| (g, members.groups[&g].intersection(privileges)))
            .filter(|(_, contributes)| !contributes.is_empty())
            .collect();
        tops.sort_unstable_by(|a, b| self.group_id(a.0).cmp(self.group_id(b.0)));
        let x_groups = self.groups_containing(x);
        let x_groups = x_groups.as_ref();
        for (top, contributes) in tops {
            // Depth-first from `top` down to the member, backtracking over one shared
            // chain (entries are (group, depth)); children are pushed in reverse id
            // order so that chains come out in id order. Only emitted chains are copied.
            let mut chain: Vec<u32> = Vec::new();
            let mut stack = vec![(top, 0usize)];
            while let Some((here, depth)) = stack.pop() {
                chain.truncate(depth);
                chain.push(here);
                let group = &self.groups.node(here).members;
                if group.direct(x.kind).contains_key(&x.index) {
                    paths.push(Path {
                        groups: chain.iter().rev().map(|&g| self.key_of(g)).collect(),
                        contributes,
                    });
                    if paths.len() == limit {
                        return paths;
                    }
                }
                let mut below: Vec<u32> = group
                    .groups
                    .keys()
                    .filter(|c| x_groups.contains(*c))
                    .copied()
                    .collect();
                below.sort_unstable_by(|a, b| self.group_id(*b).cmp(self.group_id(*a)));
                stack.extend(below.into_iter().map(|c| (c, depth + 1)));
            }
        }
        paths
    }
}
