//! The reference model of the graph: direct relations only (string ids, small bit
//! masks), every effective relation computed from scratch by a plain search each time
//! it is asked. Shared by the tests that compare the graph (or what it derives, such as
//! lookups and effective deltas) with an independent computation.
//!
//! Privileges: each vocabulary is exercised through four of its flags (three for
//! handles), chosen spread over its bit range; the model holds them as a `u8` mask,
//! bit `i` standing for the `i`-th chosen flag ([`chosen`]).

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use privgraph::graph::{
    EntityKind, EntityRef, GraphError, IdProblem, Kind, MemberType, TargetKind,
};
use privgraph::match_kind;
use privgraph::privileges::{PrivilegeUpdate, Privileges};

// ----- kinds, generically ------------------------------------------------------------

/// `n` ids for the entities of kind `kind` in a test's universe, `{name}0`, `{name}1`, …
/// (`name` the kind's snake-case name), made at the first call for the kind; every
/// later call answers the same ids, whatever its `n`. The universes name the ids of
/// the special kinds by hand (their cases use them) and take these for the plain kinds,
/// so that a new plain kind is in every universe without an edit.
pub fn generated_ids(kind: EntityKind, n: usize) -> &'static [Id] {
    static IDS: [OnceLock<Vec<Id>>; EntityKind::ALL.len()] =
        [const { OnceLock::new() }; EntityKind::ALL.len()];
    IDS[kind as usize].get_or_init(|| {
        (0..n)
            .map(|i| &*format!("{}{i}", kind.info().name).leak())
            .collect()
    })
}

/// The ids of a kind in the model-based tests' universe: the special kinds' named here
/// (the hand-built cases use them), two generated ones for each plain kind.
pub fn universe_ids(kind: EntityKind) -> &'static [Id] {
    match_kind!(kind, {
        User => &["u0", "u1", "u2", "u3", "u4"],
        Group => &["g0", "g1", "g2", "g3", "g4", "g5"],
        Space => &["s0", "s1"],
        Share => &["sh0", "sh1", "sh2"],
        HandleService => &["hs0", "hs1"],
        Handle => &["h0", "h1"],
        Harvester => &["hv0", "hv1"],
    }, plain K => generated_ids(K::KIND, 2))
}

/// Every kind created from an id alone, in declaration order.
pub fn independent_kinds() -> Vec<EntityKind> {
    EntityKind::ALL
        .into_iter()
        .filter(|kind| kind.is_independent())
        .collect()
}

/// Draws one of `all`, each of `heavy` with its weight and every other with weight 1
/// (relative to the sum), so that a new kind is drawn without an edit.
pub fn weighted<K: Copy + PartialEq + std::fmt::Debug + 'static>(
    all: &[K],
    heavy: &[(K, usize)],
) -> impl proptest::strategy::Strategy<Value = K> + use<K> {
    let pool: Vec<K> = all
        .iter()
        .flat_map(|&k| {
            let weight = heavy.iter().find(|&&(h, _)| h == k).map_or(1, |&(_, w)| w);
            std::iter::repeat_n(k, weight)
        })
        .collect();
    proptest::sample::select(pool)
}

// ----- privileges as small masks ------------------------------------------------------

/// The flags of vocabulary `P` that the test uses (bit `i` of a mask = entry `i`), and
/// how many there are: indices 0, 1, n/2 and n−1 of the sorted table (all three of the
/// handle vocabulary).
pub fn chosen<P: Privileges>() -> ([P; 4], usize) {
    let t = P::TABLE;
    let n = t.len();
    if n >= 4 {
        ([t[0].1, t[1].1, t[n / 2].1, t[n - 1].1], 4)
    } else {
        assert_eq!(n, 3, "every vocabulary has at least three privileges");
        ([t[0].1, t[1].1, t[2].1, P::empty()], 3)
    }
}

pub fn full_mask<P: Privileges>() -> u8 {
    (1u8 << chosen::<P>().1) - 1
}

pub fn from_mask<P: Privileges>(mask: u8) -> P {
    let (flags, n) = chosen::<P>();
    let mut p = P::empty();
    for (i, flag) in flags.iter().enumerate().take(n) {
        if mask >> i & 1 == 1 {
            p.insert(*flag);
        }
    }
    p
}

/// The mask of `p`; bit 7 marks privileges outside the chosen flags (the model never
/// has any, so such a set never compares equal).
pub fn to_mask<P: Privileges>(p: P) -> u8 {
    let (flags, n) = chosen::<P>();
    let mut mask = 0;
    let mut rest = p;
    for (i, flag) in flags.iter().enumerate().take(n) {
        if p.contains(*flag) {
            mask |= 1 << i;
            rest.remove(*flag);
        }
    }
    if !rest.is_empty() {
        mask |= 0x80;
    }
    mask
}

/// A privilege update on masks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upd {
    Set(u8),
    GrantRevoke(u8, u8),
}

impl Upd {
    pub fn masked(self, mask: u8) -> Upd {
        match self {
            Upd::Set(x) => Upd::Set(x & mask),
            Upd::GrantRevoke(g, r) => Upd::GrantRevoke(g & mask, r & mask),
        }
    }

    /// `(new, changed)`: set replaces; grant ∪ (current − revoke).
    pub fn apply(self, current: u8) -> (u8, bool) {
        let new = match self {
            Upd::Set(x) => x,
            Upd::GrantRevoke(g, r) => g | (current & !r),
        };
        (new, new != current)
    }

    pub fn to_update<P: Privileges>(self) -> PrivilegeUpdate<P> {
        match self {
            Upd::Set(x) => PrivilegeUpdate::Set(from_mask(x)),
            Upd::GrantRevoke(g, r) => PrivilegeUpdate::GrantRevoke {
                grant: from_mask(g),
                revoke: from_mask(r),
            },
        }
    }
}

// ----- the reference model ----------------------------------------------------------

pub type Id = &'static str;
pub type Mem = (MemberType, Id);
pub type Tgt = (TargetKind, Id);

pub fn member_kind(m: MemberType) -> EntityKind {
    match m {
        MemberType::User => EntityKind::User,
        MemberType::Group => EntityKind::Group,
    }
}

pub fn entity(kind: EntityKind, id: &str) -> EntityRef {
    EntityRef {
        kind,
        id: id.to_owned(),
    }
}

pub fn long_id() -> Id {
    static LONG: OnceLock<String> = OnceLock::new();
    LONG.get_or_init(|| "x".repeat(300))
}

/// Direct relations only; everything effective is searched for on demand.
///
/// Operations take an entity as `Option<Id>`: `None` is a key that names no live entity
/// (stale, or borrowed from another id).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Model {
    pub live: BTreeSet<(EntityKind, Id)>,
    /// share → its space
    pub share_space: BTreeMap<Id, Id>,
    /// handle → (handle service, share)
    pub handle_of: BTreeMap<Id, (Id, Id)>,
    /// target → direct member → its direct privileges there (group nesting included:
    /// target `(Group, parent)`, member `(Group, child)`)
    pub direct: BTreeMap<Tgt, BTreeMap<Mem, u8>>,
    /// own oz privileges
    pub oz: BTreeMap<Mem, u8>,
    /// space → owners
    pub owners: BTreeMap<Id, BTreeSet<Id>>,
    /// (harvester, space)
    pub links: BTreeSet<(Id, Id)>,
}

impl Model {
    pub fn is_live(&self, kind: EntityKind, id: Id) -> bool {
        self.live.contains(&(kind, id))
    }

    pub fn need(kind: EntityKind, r: Option<Id>) -> Result<Id, GraphError> {
        r.ok_or(GraphError::UnknownEntity { kind })
    }

    /// Groups `m` is a direct member of.
    pub fn parents(&self, m: Mem) -> Vec<Id> {
        self.direct
            .iter()
            .filter(|((kind, _), members)| *kind == TargetKind::Group && members.contains_key(&m))
            .map(|((_, g), _)| *g)
            .collect()
    }

    /// Every group `m` belongs to effectively (a group's effective parents).
    pub fn eff_groups(&self, m: Mem) -> BTreeSet<Id> {
        let mut seen = BTreeSet::new();
        let mut todo = self.parents(m);
        while let Some(g) = todo.pop() {
            if seen.insert(g) {
                todo.extend(self.parents((MemberType::Group, g)));
            }
        }
        seen
    }

    pub fn direct_privs(&self, m: Mem, t: Tgt) -> Option<u8> {
        self.direct.get(&t)?.get(&m).copied()
    }

    /// Direct privileges ∪ those of every direct member group of `t` that
    /// `m` belongs to (`eg` = `eff_groups(m)`); `None` when neither exists.
    pub fn eff_privs(&self, m: Mem, t: Tgt, eg: &BTreeSet<Id>) -> Option<u8> {
        let members = self.direct.get(&t)?;
        let mut found = false;
        let mut privs = 0;
        for (&(kind, id), &p) in members {
            if (kind, id) == m || (kind == MemberType::Group && eg.contains(id)) {
                found = true;
                privs |= p;
            }
        }
        found.then_some(privs)
    }

    /// First hops: `None` = direct, `Some(g)` = via direct member group `g` of `t`.
    pub fn intermediaries(&self, m: Mem, t: Tgt, eg: &BTreeSet<Id>) -> Option<Vec<Option<Id>>> {
        let members = self.direct.get(&t)?;
        let mut hops = Vec::new();
        for &(kind, id) in members.keys() {
            if (kind, id) == m {
                hops.push(None);
            } else if kind == MemberType::Group && eg.contains(id) {
                hops.push(Some(id));
            }
        }
        (!hops.is_empty()).then_some(hops)
    }

    pub fn eff_oz(&self, m: Mem, eg: &BTreeSet<Id>) -> u8 {
        let own = self.oz.get(&m).copied().unwrap_or(0);
        eg.iter().fold(own, |acc, g| {
            acc | self.oz.get(&(MemberType::Group, *g)).copied().unwrap_or(0)
        })
    }

    pub fn is_eff_member(&self, m: Mem, t: Tgt) -> bool {
        self.eff_privs(m, t, &self.eff_groups(m)).is_some()
    }

    pub fn is_owner(&self, space: Id, user: Id) -> bool {
        self.owners.get(space).is_some_and(|o| o.contains(user))
    }

    /// Ownership ends with effective membership.
    pub fn fix_owners(&mut self) {
        let keep: BTreeMap<Id, BTreeSet<Id>> = self
            .owners
            .iter()
            .map(|(&s, users)| {
                let kept = users
                    .iter()
                    .copied()
                    .filter(|&u| self.is_eff_member((MemberType::User, u), (TargetKind::Space, s)))
                    .collect();
                (s, kept)
            })
            .collect();
        self.owners = keep;
    }

    pub fn check_new(&self, kind: EntityKind, id: Id) -> Result<(), GraphError> {
        if id.is_empty() {
            return Err(GraphError::InvalidId {
                kind,
                id: String::new(),
                problem: IdProblem::Empty,
            });
        }
        if id.len() > 256 {
            return Err(GraphError::InvalidId {
                kind,
                id: id[..64].to_owned(),
                problem: IdProblem::TooLong { len: id.len() },
            });
        }
        if self.is_live(kind, id) {
            return Err(GraphError::EntityExists {
                entity: entity(kind, id),
            });
        }
        Ok(())
    }

    // ----- mutations (each checks everything before changing anything) -----

    pub fn create(&mut self, kind: EntityKind, id: Id) -> Result<(), GraphError> {
        self.check_new(kind, id)?;
        self.live.insert((kind, id));
        Ok(())
    }

    pub fn create_share(&mut self, id: Id, space: Option<Id>) -> Result<(), GraphError> {
        let s = Self::need(EntityKind::Space, space)?;
        self.check_new(EntityKind::Share, id)?;
        self.live.insert((EntityKind::Share, id));
        self.share_space.insert(id, s);
        Ok(())
    }

    pub fn create_handle(
        &mut self,
        id: Id,
        hs: Option<Id>,
        share: Option<Id>,
    ) -> Result<(), GraphError> {
        let hs = Self::need(EntityKind::HandleService, hs)?;
        let sh = Self::need(EntityKind::Share, share)?;
        self.check_new(EntityKind::Handle, id)?;
        if self.handle_of.values().any(|&(_, s)| s == sh) {
            return Err(GraphError::ShareHasHandle {
                share: entity(EntityKind::Share, sh),
            });
        }
        self.live.insert((EntityKind::Handle, id));
        self.handle_of.insert(id, (hs, sh));
        Ok(())
    }

    pub fn delete(&mut self, kind: EntityKind, r: Option<Id>) -> Result<(), GraphError> {
        let id = Self::need(kind, r)?;
        if kind == EntityKind::HandleService {
            let handles = self.handle_of.values().filter(|&&(hs, _)| hs == id).count();
            if handles > 0 {
                return Err(GraphError::HandleServiceNotEmpty {
                    handle_service: entity(kind, id),
                    handles,
                });
            }
        }
        self.remove_entity(kind, id);
        self.fix_owners();
        Ok(())
    }

    pub fn remove_entity(&mut self, kind: EntityKind, id: Id) {
        self.live.remove(&(kind, id));
        privgraph::match_kind!(kind, {
            User | Group => {
                let m = if kind == EntityKind::User {
                    (MemberType::User, id)
                } else {
                    (MemberType::Group, id)
                };
                for members in self.direct.values_mut() {
                    members.remove(&m);
                }
                self.oz.remove(&m);
            },
            Space => {
                let shares: Vec<Id> = self
                    .share_space
                    .iter()
                    .filter(|&(_, &s)| s == id)
                    .map(|(&sh, _)| sh)
                    .collect();
                for sh in shares {
                    self.remove_entity(EntityKind::Share, sh);
                }
                self.owners.remove(id);
                self.links.retain(|&(_, s)| s != id);
            },
            Share => {
                let handle = self
                    .handle_of
                    .iter()
                    .find(|&(_, &(_, sh))| sh == id)
                    .map(|(&h, _)| h);
                if let Some(h) = handle {
                    self.remove_entity(EntityKind::Handle, h);
                }
                self.share_space.remove(id);
            },
            Handle => {
                self.handle_of.remove(id);
            },
            Harvester => self.links.retain(|&(h, _)| h != id),
            // Nothing but its members refers to a handle service or a plain kind.
            HandleService => {},
        }, plain _K => {});
        // A target takes its direct members with it.
        if let Some(tk) = kind.target() {
            self.direct.remove(&(tk, id));
        }
    }

    pub fn add_member(
        &mut self,
        tk: TargetKind,
        target: Option<Id>,
        mt: MemberType,
        member: Option<Id>,
        privs: u8,
    ) -> Result<(), GraphError> {
        let t = Self::need(tk.into(), target)?;
        let m = Self::need(member_kind(mt), member)?;
        if tk == TargetKind::Group && mt == MemberType::Group {
            if t == m {
                return Err(GraphError::RelationToSelf {
                    group: entity(EntityKind::Group, t),
                });
            }
            if self.eff_groups((MemberType::Group, t)).contains(m) {
                return Err(GraphError::NestingCycle {
                    child: entity(EntityKind::Group, m),
                    parent: entity(EntityKind::Group, t),
                });
            }
        }
        if self.direct_privs((mt, m), (tk, t)).is_some() {
            return Err(GraphError::RelationExists {
                child: entity(member_kind(mt), m),
                parent: entity(tk.into(), t),
            });
        }
        self.direct
            .entry((tk, t))
            .or_default()
            .insert((mt, m), privs);
        self.fix_owners();
        Ok(())
    }

    pub fn remove_member(
        &mut self,
        tk: TargetKind,
        target: Option<Id>,
        mt: MemberType,
        member: Option<Id>,
    ) -> Result<(), GraphError> {
        let t = Self::need(tk.into(), target)?;
        let m = Self::need(member_kind(mt), member)?;
        let removed = self
            .direct
            .get_mut(&(tk, t))
            .and_then(|ms| ms.remove(&(mt, m)));
        if removed.is_none() {
            return Err(GraphError::RelationMissing {
                child: entity(member_kind(mt), m),
                parent: entity(tk.into(), t),
            });
        }
        if tk == TargetKind::Space && mt == MemberType::User {
            // Onezone keeps an owner a direct member.
            if let Some(owners) = self.owners.get_mut(t) {
                owners.remove(m);
            }
        }
        self.fix_owners();
        Ok(())
    }

    pub fn update_privs(
        &mut self,
        tk: TargetKind,
        target: Option<Id>,
        mt: MemberType,
        member: Option<Id>,
        upd: Upd,
    ) -> Result<(u8, bool), GraphError> {
        let t = Self::need(tk.into(), target)?;
        let m = Self::need(member_kind(mt), member)?;
        let Some(current) = self
            .direct
            .get_mut(&(tk, t))
            .and_then(|ms| ms.get_mut(&(mt, m)))
        else {
            return Err(GraphError::RelationMissing {
                child: entity(member_kind(mt), m),
                parent: entity(tk.into(), t),
            });
        };
        let (new, changed) = upd.apply(*current);
        *current = new;
        Ok((new, changed))
    }

    pub fn update_oz(
        &mut self,
        mt: MemberType,
        member: Option<Id>,
        upd: Upd,
    ) -> Result<(u8, bool), GraphError> {
        let m = Self::need(member_kind(mt), member)?;
        let current = self.oz.entry((mt, m)).or_insert(0);
        let (new, changed) = upd.apply(*current);
        *current = new;
        Ok((new, changed))
    }

    pub fn add_owner(&mut self, space: Option<Id>, user: Option<Id>) -> Result<(), GraphError> {
        let s = Self::need(EntityKind::Space, space)?;
        let u = Self::need(EntityKind::User, user)?;
        if !self.is_eff_member((MemberType::User, u), (TargetKind::Space, s)) {
            return Err(GraphError::NotEffectiveMember {
                user: entity(EntityKind::User, u),
                space: entity(EntityKind::Space, s),
            });
        }
        if !self.owners.entry(s).or_default().insert(u) {
            return Err(GraphError::OwnerExists {
                user: entity(EntityKind::User, u),
                space: entity(EntityKind::Space, s),
            });
        }
        Ok(())
    }

    pub fn remove_owner(&mut self, space: Option<Id>, user: Option<Id>) -> Result<(), GraphError> {
        let s = Self::need(EntityKind::Space, space)?;
        let u = Self::need(EntityKind::User, user)?;
        if !self.owners.get_mut(s).is_some_and(|o| o.remove(u)) {
            return Err(GraphError::NotOwner {
                user: entity(EntityKind::User, u),
                space: entity(EntityKind::Space, s),
            });
        }
        Ok(())
    }

    pub fn link(&mut self, harvester: Option<Id>, space: Option<Id>) -> Result<(), GraphError> {
        let h = Self::need(EntityKind::Harvester, harvester)?;
        let s = Self::need(EntityKind::Space, space)?;
        if !self.links.insert((h, s)) {
            return Err(GraphError::RelationExists {
                child: entity(EntityKind::Harvester, h),
                parent: entity(EntityKind::Space, s),
            });
        }
        Ok(())
    }

    pub fn unlink(&mut self, harvester: Option<Id>, space: Option<Id>) -> Result<(), GraphError> {
        let h = Self::need(EntityKind::Harvester, harvester)?;
        let s = Self::need(EntityKind::Space, space)?;
        if !self.links.remove(&(h, s)) {
            return Err(GraphError::RelationMissing {
                child: entity(EntityKind::Harvester, h),
                parent: entity(EntityKind::Space, s),
            });
        }
        Ok(())
    }
}
