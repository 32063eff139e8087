//! Building a graph in one pass from its direct relations: what loading a snapshot (or a
//! store's checkpoint) does, instead of hundreds of thousands of single mutations that
//! each keep effective relations current.
//!
//! The loader creates the entities through the ordinary calls, then records every
//! direct relation without propagating anything ([`BulkLoad::add_nesting`],
//! [`BulkLoad::add_direct`]), orders the groups by nesting ([`BulkLoad::sort_nesting`],
//! which also finds a cycle), and [`BulkLoad::finish`] computes every effective relation
//! once:
//!
//! 1. users in groups, children before parents: a group's effective users are its
//!    direct ones ∪ those of each direct child, with the child's privileges there;
//! 2. each user's effective groups (the same relation seen from the user) and its
//!    effective oz privileges;
//! 3. users in every other target: direct users ∪ the effective users of each direct
//!    group, with that group's privileges there;
//! 4. groups in resources, parents before children: direct ∪ the parents' there.
//!
//! The result is the graph the mutations would build, down to every materialized entry
//! (a test compares them entry by entry), in time proportional to the effective
//! relations it holds.

use bitflags::Flags;

use crate::privileges::GroupPrivileges;

use super::kinds::{Group, Key, MemberKind, MemberOf, Target, TargetKind, with_target_kind};
use super::members::{EffUsers, TargetRef};
use super::propagate::MemberRef;
use super::slab::IndexMap;
use super::{Graph, GraphError};

/// A graph under construction whose effective relations are not computed yet. Only the
/// snapshot loader uses it; until [`BulkLoad::finish`] its checks answer as if no
/// relation existed.
#[derive(Debug)]
pub(crate) struct BulkLoad {
    graph: Graph,
}

/// The groups in an order where every group comes after all its descendants (children
/// before parents), from [`BulkLoad::sort_nesting`].
#[derive(Debug)]
pub(crate) struct NestingOrder(Vec<u32>);

impl BulkLoad {
    pub(crate) fn new() -> Self {
        BulkLoad {
            graph: Graph::new(),
        }
    }

    /// The graph being built: ids resolve, relations are not there yet.
    pub(crate) fn graph(&self) -> &Graph {
        &self.graph
    }

    /// The graph being built, to create entities and set their own oz privileges; never
    /// to add relations through it (they would be counted twice by [`BulkLoad::finish`]).
    pub(crate) fn graph_mut(&mut self) -> &mut Graph {
        &mut self.graph
    }

    /// Records the nesting of `child` in `parent`, without checking for a cycle (see
    /// [`BulkLoad::sort_nesting`]). A group nested in itself is the caller's to refuse.
    pub(crate) fn add_nesting(
        &mut self,
        child: Key<Group>,
        parent: Key<Group>,
        privileges: GroupPrivileges,
    ) -> Result<(), GraphError> {
        self.record(parent, child, privileges)
    }

    /// Records a direct membership.
    pub(crate) fn add_direct<M: MemberOf<T>, T: Target>(
        &mut self,
        target: Key<T>,
        member: Key<M>,
        privileges: T::Privileges,
    ) -> Result<(), GraphError> {
        self.record(target, member, privileges)
    }

    fn record<M: MemberKind, T: Target>(
        &mut self,
        target: Key<T>,
        member: Key<M>,
        privileges: T::Privileges,
    ) -> Result<(), GraphError> {
        let graph = &mut self.graph;
        let t = graph.live(target)?;
        let m = MemberRef {
            kind: M::MEMBER,
            index: graph.live(member)?,
        };
        let direct = T::members_mut(T::slab_mut(graph).node_mut(t)).direct_mut(m.kind);
        if direct.contains_key(&m.index) {
            return Err(GraphError::RelationExists {
                child: graph.member_entity(m),
                parent: graph.entity::<T>(t),
            });
        }
        direct.insert(m.index, privileges);
        let side = graph.side_mut(m);
        if T::TARGET == super::TargetKind::Group {
            side.groups.insert(t);
        } else {
            side.resources.insert(TargetRef {
                kind: T::TARGET,
                index: t,
            });
        }
        Ok(())
    }

    /// Orders the groups children first. When the nestings recorded close a cycle,
    /// returns the position in `nestings` (`(child, parent)` in the order they were
    /// recorded) of the first one that closes a cycle with those before it: the nesting
    /// [`Graph::nest`] would have refused, had they been added one by one.
    pub(crate) fn sort_nesting(
        &self,
        nestings: &[(Key<Group>, Key<Group>)],
    ) -> Result<NestingOrder, usize> {
        let groups = &self.graph.groups;
        let slots = groups.slots();
        // Kahn's algorithm from the leaves: a group is ready once all its children are.
        let mut waiting = vec![0usize; slots];
        let mut ready = Vec::new();
        for (g, node) in groups.iter() {
            waiting[g as usize] = node.members.groups.len();
            if node.members.groups.is_empty() {
                ready.push(g);
            }
        }
        let mut order = Vec::with_capacity(groups.len());
        while let Some(g) = ready.pop() {
            order.push(g);
            for &p in &groups.node(g).side.groups {
                waiting[p as usize] -= 1;
                if waiting[p as usize] == 0 {
                    ready.push(p);
                }
            }
        }
        if order.len() == groups.len() {
            return Ok(NestingOrder(order));
        }
        Err(first_cycle(slots, nestings).unwrap_or(nestings.len().saturating_sub(1)))
    }

    /// Computes every effective relation and returns the graph.
    pub(crate) fn finish(self, order: NestingOrder) -> Graph {
        let mut graph = self.graph;
        graph.users_in_groups(&order.0);
        graph.users_effective_groups();
        let resources = TargetKind::ALL
            .into_iter()
            .filter(|&kind| kind != TargetKind::Group);
        for kind in resources.clone() {
            with_target_kind!(kind, R => graph.users_in_resources::<R>());
        }
        // Parents before children for groups in resources.
        let mut rank = vec![0u32; graph.groups.slots()];
        for (position, &g) in order.0.iter().rev().enumerate() {
            rank[g as usize] = position as u32;
        }
        for kind in resources {
            with_target_kind!(kind, R => graph.groups_in_resources::<R>(&rank));
        }
        graph
    }
}

/// The first `(child, parent)` of `nestings` that closes a cycle with those before it:
/// the parent is already below the child. Only run when a cycle exists (a search per
/// nesting, on a refused snapshot).
fn first_cycle(slots: usize, nestings: &[(Key<Group>, Key<Group>)]) -> Option<usize> {
    let mut parents: Vec<Vec<u32>> = vec![Vec::new(); slots];
    let mut seen = vec![usize::MAX; slots];
    let mut stack = Vec::new();
    for (position, (child, parent)) in nestings.iter().enumerate() {
        let (c, p) = (child.index, parent.index);
        // Is `c` among `p` and its ancestors?
        stack.clear();
        stack.push(p);
        seen[p as usize] = position;
        while let Some(g) = stack.pop() {
            if g == c {
                return Some(position);
            }
            for &up in &parents[g as usize] {
                if seen[up as usize] != position {
                    seen[up as usize] = position;
                    stack.push(up);
                }
            }
        }
        parents[c as usize].push(p);
    }
    None
}

impl Graph {
    /// Step 1: every group's effective users, children first.
    fn users_in_groups(&mut self, children_first: &[u32]) {
        for &p in children_first {
            let node = self.groups.node(p);
            let mut eff = EffUsers::from_direct(&node.members.users);
            for (&c, &through) in &node.members.groups {
                for u in self.groups.hot(c).keys() {
                    eff.get_or_insert(u, GroupPrivileges::empty())
                        .0
                        .insert(through);
                }
            }
            *self.groups.hot_mut(p) = eff;
        }
    }

    /// Step 2: every user's effective groups and effective oz privileges.
    fn users_effective_groups(&mut self) {
        let mut count = vec![0usize; self.users.slots()];
        for g in self.groups.indices() {
            for u in self.groups.hot(g).keys() {
                count[u as usize] += 1;
            }
        }
        for u in self.users.indices().collect::<Vec<_>>() {
            self.users.node_mut(u).eff_groups.reserve(count[u as usize]);
        }
        for g in self.groups.indices().collect::<Vec<_>>() {
            for u in self.groups.hot(g).keys() {
                self.users.node_mut(u).eff_groups.insert(g);
            }
        }
        for u in self.users.indices().collect::<Vec<_>>() {
            let user = self.users.node(u);
            let mut oz = user.side.oz;
            for &g in &user.eff_groups {
                oz.insert(self.groups.node(g).side.oz);
            }
            self.users.node_mut(u).eff_oz = oz;
        }
    }

    /// Step 3: the effective users of every target of kind `R` (not groups).
    fn users_in_resources<R: Target>(&mut self) {
        for r in R::slab(self).indices().collect::<Vec<_>>() {
            let members = R::members(R::slab(self).node(r));
            let mut eff = EffUsers::from_direct(&members.users);
            for (&g, &through) in &members.groups {
                for u in self.groups.hot(g).keys() {
                    eff.get_or_insert(u, R::Privileges::empty())
                        .0
                        .insert(through);
                }
            }
            *R::eff_mut(self, r) = eff;
        }
    }

    /// Step 4: the effective groups of every target of kind `R` (not groups): the
    /// descendants of its direct groups, evaluated parents first (`rank`).
    fn groups_in_resources<R: Target>(&mut self, rank: &[u32]) {
        let mut reached: Vec<u32> = Vec::new();
        let mut seen = vec![u32::MAX; self.groups.slots()];
        for r in R::slab(self).indices().collect::<Vec<_>>() {
            let members = R::members(R::slab(self).node(r));
            if members.groups.is_empty() {
                continue;
            }
            reached.clear();
            let mut stack: Vec<u32> = members.groups.keys().copied().collect();
            for &g in &stack {
                seen[g as usize] = r;
            }
            reached.extend_from_slice(&stack);
            while let Some(g) = stack.pop() {
                for &c in self.groups.node(g).members.groups.keys() {
                    if seen[c as usize] != r {
                        seen[c as usize] = r;
                        reached.push(c);
                        stack.push(c);
                    }
                }
            }
            reached.sort_unstable_by_key(|&g| rank[g as usize]);
            let mut eff: IndexMap<R::Privileges> = IndexMap::default();
            eff.reserve(reached.len());
            for &x in &reached {
                let mut privileges = members
                    .groups
                    .get(&x)
                    .copied()
                    .unwrap_or_else(R::Privileges::empty);
                for p in &self.groups.node(x).side.groups {
                    if let Some(inherited) = eff.get(p) {
                        privileges.insert(*inherited);
                    }
                }
                eff.insert(x, privileges);
            }
            let here = TargetRef {
                kind: R::TARGET,
                index: r,
            };
            for &x in &reached {
                self.groups.node_mut(x).eff_resources.insert(here);
            }
            R::members_mut(R::slab_mut(self).node_mut(r)).eff_groups = eff;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{Child, HandleService, Parent, Space, User};
    use crate::privileges::{
        HandleServicePrivileges as HS, OzPrivileges as Oz, PrivilegeUpdate, SpacePrivileges as S,
    };
    use crate::snapshot::Snapshot;

    /// Everything materialized, slot by slot, in a comparable form.
    fn materialized(graph: &Graph) -> Vec<String> {
        fn sorted<T: Ord + std::fmt::Debug>(items: impl Iterator<Item = T>) -> String {
            let mut items: Vec<T> = items.collect();
            items.sort();
            format!("{items:?}")
        }
        fn targets<T: Target>(graph: &Graph, out: &mut Vec<String>)
        where
            T::Privileges: Ord,
        {
            for (t, node) in T::slab(graph).iter() {
                let eff = T::eff(graph, t).iter();
                let groups = T::members(node).eff_groups.iter().map(|(&g, &p)| (g, p));
                out.push(format!(
                    "{} {t}: users {} groups {}",
                    T::KIND,
                    sorted(eff),
                    sorted(groups)
                ));
            }
        }
        let mut out = Vec::new();
        for (u, node) in graph.users.iter() {
            out.push(format!(
                "user {u}: groups {} oz {:?}",
                sorted(node.eff_groups.iter()),
                node.eff_oz
            ));
        }
        for (g, node) in graph.groups.iter() {
            let resources = node.eff_resources.iter().map(|r| (r.kind, r.index));
            out.push(format!("group {g}: resources {}", sorted(resources)));
        }
        for kind in TargetKind::ALL {
            with_target_kind!(kind, T => targets::<T>(graph, &mut out));
        }
        out
    }

    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            ((z ^ (z >> 31)) % n as u64) as usize
        }
    }

    /// A random graph built through the mutations, entities created in id order (the
    /// order the loader creates them in, so both graphs use the same slots).
    fn random_graph(seed: u64) -> Result<Graph, GraphError> {
        let mut rng = Rng(seed);
        let mut graph = Graph::new();
        let users: Vec<Key<User>> = (0..30)
            .map(|i| graph.create::<User>(&format!("u{i:02}")))
            .collect::<Result<_, _>>()?;
        let groups: Vec<Key<Group>> = (0..15)
            .map(|i| graph.create::<Group>(&format!("g{i:02}")))
            .collect::<Result<_, _>>()?;
        let spaces: Vec<Key<Space>> = (0..4)
            .map(|i| graph.create::<Space>(&format!("s{i}")))
            .collect::<Result<_, _>>()?;
        let services: Vec<Key<HandleService>> = (0..4)
            .map(|i| graph.create::<HandleService>(&format!("hs{i}")))
            .collect::<Result<_, _>>()?;
        // Mutations in a random order: nesting (refused cycles skipped), users into
        // groups, members of resources, oz privileges.
        for _ in 0..120 {
            let privileges = GroupPrivileges::from_bits_truncate(rng.below(16) as u32);
            match rng.below(5) {
                0 | 1 => {
                    let (c, p) = (groups[rng.below(15)], groups[rng.below(15)]);
                    let _ = graph.nest(Child(c), Parent(p), privileges);
                }
                2 => {
                    let _ =
                        graph.add_member(groups[rng.below(15)], users[rng.below(30)], privileges);
                }
                3 => {
                    let s = spaces[rng.below(4)];
                    let p = S::from_bits_truncate(rng.below(64) as u64);
                    let _ = match rng.below(2) {
                        0 => graph.add_member(s, users[rng.below(30)], p),
                        _ => graph.add_member(s, groups[rng.below(15)], p),
                    };
                    let hs = services[rng.below(4)];
                    let p = HS::from_bits_truncate(rng.below(64) as u8);
                    let _ = match rng.below(2) {
                        0 => graph.add_member(hs, users[rng.below(30)], p),
                        _ => graph.add_member(hs, groups[rng.below(15)], p),
                    };
                }
                _ => {
                    let oz = PrivilegeUpdate::Set(Oz::from_bits_truncate(1 << rng.below(8)));
                    graph.update_oz_privileges(groups[rng.below(15)], &oz)?;
                    graph.update_oz_privileges(users[rng.below(30)], &oz)?;
                }
            }
        }
        Ok(graph)
    }

    #[test]
    fn the_loader_materializes_what_the_mutations_do() -> Result<(), Box<dyn std::error::Error>> {
        for seed in 0..40 {
            let built = random_graph(seed)?;
            let loaded = Snapshot::from_graph(&built).to_graph()?;
            assert_eq!(loaded, built, "seed {seed}");
            let (a, b) = (materialized(&built), materialized(&loaded));
            assert!(a.len() > 60, "seed {seed}: {} slots", a.len());
            assert_eq!(a, b, "seed {seed}");
            // Something was materialized beyond the direct relations.
            assert!(
                a.iter()
                    .any(|line| line.starts_with("user") && !line.contains("groups []")),
                "seed {seed}"
            );
        }
        Ok(())
    }

    #[test]
    fn a_cycle_is_reported_at_the_nesting_that_closes_it() -> Result<(), GraphError> {
        let mut bulk = BulkLoad::new();
        let graph = bulk.graph_mut();
        let (a, b, c) = (
            graph.create::<Group>("a")?,
            graph.create::<Group>("b")?,
            graph.create::<Group>("c")?,
        );
        // b in a, c in b, then a in c closes a → b → c → a; the fourth is never reached
        // by a one-by-one build.
        let nestings = [(b, a), (c, b), (a, c), (c, a)];
        for &(child, parent) in &nestings[..2] {
            bulk.add_nesting(child, parent, GroupPrivileges::empty())?;
        }
        let order = bulk.sort_nesting(&nestings[..2]).map(|order| order.0);
        assert_eq!(order, Ok(vec![c.index, b.index, a.index]));
        for &(child, parent) in &nestings[2..] {
            bulk.add_nesting(child, parent, GroupPrivileges::empty())?;
        }
        assert_eq!(bulk.sort_nesting(&nestings).err(), Some(2));
        Ok(())
    }
}
