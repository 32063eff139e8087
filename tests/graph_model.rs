//! Model-based test of `privgraph::graph::Graph`.
//!
//! [`Model`] (in `tests/support/model.rs`, shared with the lookup and watch tests) keeps
//! only direct relations (string ids, raw bit masks) and computes every effective
//! relation from scratch, by a plain graph search, each time it is asked (Onezone's
//! rules of effective privileges, oz privileges and space owners). A proptest
//! drives random operation sequences — successful and failing ones, through live and
//! stale keys — into both the model and a `Graph`, and after every step compares every
//! query of the graph's public API with the model's answer.
//!
//! Privileges: each vocabulary is exercised through four of its flags (three for
//! handles), chosen spread over its bit range; the model holds them as a `u8` mask,
//! bit `i` standing for the `i`-th chosen flag ([`chosen`]).
//!
//! Semantics the model encodes (and the graph must match): effective privileges =
//! direct ∪ those of every direct member group of the target the member belongs to;
//! effective oz = own ∪ those of every effective group; intermediaries = `Direct` if
//! direct, plus every such group; an owner is an effective member of its space, holds
//! every space privilege in checks, and stops owning when its direct membership is
//! removed or its effective membership ends; deleting a space deletes its shares and
//! their handles; a handle service with handles cannot be deleted; nesting stays
//! acyclic. Errors are compared whole (variant and fields).
//!
//! 1,000 cases of up to 200 operations take about 30 s of CPU in a debug build; more
//! with e.g. `PROPTEST_CASES=10000 cargo test --test graph_model`.

mod support;

use std::any::Any;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Debug};
use std::rc::Rc;
use std::sync::LazyLock;

use privgraph::graph::{
    Author, Batch, Change, Child, EntityKind, Graph, GraphError, Group, Handle, HandleService,
    Harvester, Independent, Intermediary, Key, Kind, MemberKind, MemberOf, MemberType, Parent,
    Share, Space, Target, TargetKind, TargetVocabulary, User,
};
use privgraph::privileges::{Applied, OzPrivileges, PrivilegeUpdate, Privileges};
use privgraph::{match_kind, match_target_kind, with_entity_kind, with_target_kind};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use support::model::*;

type TestResult = Result<(), TestCaseError>;

/// The privilege sets `has_privilege` is asked about (masked to the vocabulary).
const QUERIES: [u8; 4] = [0b0000, 0b0001, 0b0110, 0b1111];

// ----- the universe and keys ----------------------------------------------------------

/// A key of any kind, as the harness remembers it.
#[derive(Clone)]
struct AnyKey {
    kind: EntityKind,
    key: Rc<dyn Any>,
}

impl AnyKey {
    fn of<K: Kind>(key: Key<K>) -> AnyKey {
        AnyKey {
            kind: K::KIND,
            key: Rc::new(key),
        }
    }

    fn typed<K: Kind>(&self) -> Key<K> {
        match self.key.downcast_ref::<Key<K>>() {
            Some(&key) => key,
            None => panic!("harness bug: {self:?} is not a {}", K::KIND),
        }
    }
}

impl Debug for AnyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        with_entity_kind!(self.kind, K => self.typed::<K>().fmt(f))
    }
}

/// The ids of a kind in the test's universe (the one the lookup and watch tests share).
#[cfg(not(fuzzing))]
fn ids(kind: EntityKind) -> &'static [Id] {
    universe_ids(kind)
}

// The fuzz target's universe (`cfg(fuzzing)`): after every accepted step every query of
// every (member, target) pair is compared with the model, so the pairs are what an
// input costs. Three users and four groups still nest in chains, diamonds and refused
// cycles, and every resource kind is there; 7 members × 11 targets instead of 11 × 16
// pairs (and shorter inputs, see `FUZZ_OPS`) give about 1,000 inputs per second on 2
// shared cores without a sanitizer, 6 times fewer before, and 2,000 to 2,500 without
// comparison tracing as well (the way CI fuzzes this target, see `.ci/fuzz`).
#[cfg(fuzzing)]
fn ids(kind: EntityKind) -> &'static [Id] {
    match_kind!(kind, {
        User => &["u0", "u1", "u2"],
        Group => &["g0", "g1", "g2", "g3"],
        Space => &["s0", "s1"],
        Share => &["sh0", "sh1"],
        HandleService => &["hs0"],
        Handle => &["h0", "h1"],
        Harvester => &["hv0"],
    }, plain K => generated_ids(K::KIND, 1))
}

/// The graph calls by which a member of kind `M` joins, leaves and changes privileges
/// in targets of kind `T`: the `*_member` calls, or for a group in a group the nesting
/// calls.
struct Calls<M, T: Target> {
    add: Add<M, T>,
    remove: Remove<M, T>,
    update: Update<M, T>,
}

type Add<M, T> =
    fn(&mut Graph, Key<T>, Key<M>, <T as Target>::Privileges) -> Result<(), GraphError>;
type Remove<M, T> = fn(&mut Graph, Key<T>, Key<M>) -> Result<(), GraphError>;

type Update<M, T> = fn(
    &mut Graph,
    Key<T>,
    Key<M>,
    &PrivilegeUpdate<<T as Target>::Privileges>,
) -> Result<Applied<<T as Target>::Privileges>, GraphError>;

impl<M: MemberOf<T>, T: Target> Calls<M, T> {
    fn members() -> Self {
        Calls {
            add: Graph::add_member,
            remove: Graph::remove_member,
            update: Graph::update_member_privileges,
        }
    }
}

impl Calls<Group, Group> {
    fn nesting() -> Self {
        Calls {
            add: |g, t, m, p| g.nest(Child(m), Parent(t), p),
            remove: |g, t, m| g.unnest(Child(m), Parent(t)),
            update: |g, t, m, update| g.update_nesting_privileges(Child(m), Parent(t), update),
        }
    }
}

/// Runs `$e` with `$M` and `$T` bound to the marker types of member type `$mt` and
/// target kind `$tk`, and `$calls` to the [`Calls`] that relate them.
macro_rules! with_relation {
    ($tk:expr, $mt:expr, ($M:ident, $T:ident, $calls:ident) => $e:expr) => {
        match $mt {
            MemberType::User => with_target_kind!($tk, $T => {
                type $M = User;
                let $calls = Calls::<$M, $T>::members();
                $e
            }),
            MemberType::Group => {
                type $M = Group;
                match_target_kind!($tk, {
                    Group => {
                        type $T = Group;
                        let $calls = Calls::nesting();
                        $e
                    },
                    Space => {
                        type $T = Space;
                        let $calls = Calls::<$M, $T>::members();
                        $e
                    },
                    HandleService => {
                        type $T = HandleService;
                        let $calls = Calls::<$M, $T>::members();
                        $e
                    },
                    Handle => {
                        type $T = Handle;
                        let $calls = Calls::<$M, $T>::members();
                        $e
                    },
                    Harvester => {
                        type $T = Harvester;
                        let $calls = Calls::<$M, $T>::members();
                        $e
                    },
                }, plain $T => {
                    let $calls = Calls::<$M, $T>::members();
                    $e
                })
            }
        }
    };
}

macro_rules! with_member {
    ($mt:expr, $M:ident => $e:expr) => {
        match $mt {
            MemberType::User => {
                type $M = User;
                $e
            }
            MemberType::Group => {
                type $M = Group;
                $e
            }
        }
    };
}

/// Runs `$e` with `$K` bound to the marker type of `$kind`, a kind created from an id
/// alone.
macro_rules! with_independent {
    ($kind:expr, $K:ident => $e:expr) => {
        match_kind!($kind, {
            User => {
                type $K = User;
                $e
            },
            Group => {
                type $K = Group;
                $e
            },
            Space => {
                type $K = Space;
                $e
            },
            HandleService => {
                type $K = HandleService;
                $e
            },
            Harvester => {
                type $K = Harvester;
                $e
            },
            Share | Handle => panic!("harness bug: {} is not independent", $kind),
        }, plain $K => $e)
    };
}

// ----- operations -------------------------------------------------------------------

/// An entity reference: `idx` into the kind's ids, `back` how many incarnations back
/// (0 = the latest key; older keys are stale). A never-created id borrows a dead key of
/// another id of the kind, if there is one (else the operation is skipped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct R {
    idx: usize,
    back: usize,
}

/// The reference to the latest key of `id`.
fn r_for<K: Kind>(id: Id) -> R {
    match ids(K::KIND).iter().position(|&i| i == id) {
        Some(idx) => r(idx),
        None => panic!("harness bug: {id} is not a {}", K::KIND),
    }
}

const fn r(idx: usize) -> R {
    R { idx, back: 0 }
}

/// The id at `idx` (mod count) of kind `K` in the universe.
fn pick<K: Kind>(idx: usize) -> Id {
    let all = ids(K::KIND);
    all[idx % all.len()]
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    Create(EntityKind, usize),
    /// An empty id (false) or a 300-byte one (true).
    CreateBadId(EntityKind, bool),
    CreateShare(usize, R),
    CreateHandle(usize, R, R),
    Delete(EntityKind, R),
    AddMember(TargetKind, R, MemberType, R, u8),
    RemoveMember(TargetKind, R, MemberType, R),
    UpdatePrivileges(TargetKind, R, MemberType, R, Upd),
    UpdateOz(MemberType, R, Upd),
    AddOwner(R, R),
    RemoveOwner(R, R),
    Link(R, R),
    Unlink(R, R),
    /// Remove the n-th (mod count) existing direct relation, so that un-nesting and
    /// leaving happen often (random pairs rarely hold one).
    RemoveExisting(usize),
    /// Update the privileges of the n-th existing direct relation.
    UpdateExisting(usize, Upd),
    /// Make the n-th (space, effective user) pair an ownership.
    OwnEffective(usize),
    /// End the n-th existing ownership.
    DisownExisting(usize),
}

/// Every kind created from an id alone, in declaration order.
static INDEPENDENT: LazyLock<Vec<EntityKind>> = LazyLock::new(independent_kinds);

// ----- the harness ------------------------------------------------------------------

/// What one comparison needs, computed once per step: live keys (per the model) and
/// stale keys of every kind, by `EntityKind as usize`, and the effective groups of
/// every live member (by the model's search).
struct View {
    live: Vec<Vec<(Id, AnyKey)>>,
    stale: Vec<Vec<AnyKey>>,
    eg: BTreeMap<Mem, BTreeSet<Id>>,
}

impl View {
    fn live<K: Kind>(&self) -> impl Iterator<Item = (Id, Key<K>)> + '_ {
        self.live[K::KIND as usize]
            .iter()
            .map(|(id, key)| (*id, key.typed::<K>()))
    }

    fn stale<K: Kind>(&self) -> impl Iterator<Item = Key<K>> + '_ {
        self.stale[K::KIND as usize].iter().map(AnyKey::typed::<K>)
    }

    /// The key of a live entity.
    fn key<K: Kind>(&self, id: Id) -> Key<K> {
        match self.live::<K>().find(|&(i, _)| i == id) {
            Some((_, key)) => key,
            None => panic!("model bug: {} {id} is referenced but not live", K::KIND),
        }
    }
}

/// The privilege set `has_privilege_by_id` is asked about.
const BY_ID_QUERY: u8 = 0b0001;

/// A graph, the model, and every key the graph ever returned, per (kind, id), oldest
/// first.
struct Harness {
    graph: Graph,
    /// Built only by applying, as batches, the changes equivalent to the operations the
    /// graph accepted: it must equal `graph` after every step.
    replica: Graph,
    /// The change equivalent to the operation being run, when it names live entities.
    pending: Option<Change>,
    /// Batches applied to the replica.
    batches: usize,
    model: Model,
    hist: BTreeMap<(EntityKind, Id), Vec<AnyKey>>,
    /// Operations applied (for messages).
    steps: usize,
    /// Whether the last operation was refused or skipped (see [`Harness::step`]).
    unchanged: bool,
}

fn sorted<X: Ord>(mut items: Vec<X>) -> Vec<X> {
    items.sort_unstable();
    items
}

fn set_of<X: Ord + Debug>(items: Vec<X>, what: &str) -> Result<BTreeSet<X>, TestCaseError> {
    let n = items.len();
    let set: BTreeSet<X> = items.into_iter().collect();
    prop_assert_eq!(set.len(), n, "{} lists an entry twice", what);
    Ok(set)
}

impl Harness {
    fn new() -> Self {
        Harness {
            graph: Graph::new(),
            replica: Graph::new(),
            pending: None,
            batches: 0,
            model: Model::default(),
            hist: BTreeMap::new(),
            steps: 0,
            unchanged: false,
        }
    }

    /// The key for `r`, and the id it names if it names a live entity (per the model).
    fn resolve<K: Kind>(&self, r: R) -> Option<(Key<K>, Option<Id>)> {
        let id = pick::<K>(r.idx);
        if let Some(h) = self.hist.get(&(K::KIND, id)).filter(|h| !h.is_empty()) {
            let last = h.len() - 1;
            let i = last - r.back.min(last);
            let live = i == last && self.model.is_live(K::KIND, id);
            return Some((h[i].typed::<K>(), live.then_some(id)));
        }
        for (&(kind, other), h) in &self.hist {
            if kind != K::KIND {
                continue;
            }
            for (i, key) in h.iter().enumerate() {
                if i + 1 < h.len() || !self.model.is_live(kind, other) {
                    return Some((key.typed::<K>(), None));
                }
            }
        }
        None
    }

    /// The current key of a live entity.
    fn current<K: Kind>(&self, id: Id) -> Key<K> {
        let h = &self.hist[&(K::KIND, id)];
        h.last().expect("a live entity has a key").typed::<K>()
    }

    /// The n-th (mod count) existing direct relation, as references to live entities.
    fn existing(&self, n: usize) -> Option<(TargetKind, R, MemberType, R)> {
        let all: Vec<(Tgt, Mem)> = self
            .model
            .direct
            .iter()
            .flat_map(|(&t, members)| members.keys().map(move |&m| (t, m)))
            .collect();
        let &((tk, t), (mt, m)) = all.get(n % all.len().max(1))?;
        let t = with_target_kind!(tk, T => r_for::<T>(t));
        let m = with_member!(mt, M => r_for::<M>(m));
        Some((tk, t, mt, m))
    }

    /// Both sides answered; they must agree, and a refusal must change nothing.
    fn agree<X: PartialEq + Debug>(
        &mut self,
        op: &dyn Debug,
        got: Result<X, GraphError>,
        want: Result<X, GraphError>,
        before: &Graph,
    ) -> TestResult {
        prop_assert_eq!(&got, &want, "step {}: {:?}: graph vs model", self.steps, op);
        if got.is_err() {
            prop_assert!(
                self.graph == *before,
                "step {}: refused {:?} changed the graph",
                self.steps,
                op
            );
        }
        self.unchanged = got.is_err();
        self.replay_pending(op, got.is_ok())
    }

    /// Applies the operation's equivalent change to the replica as a batch that went
    /// through its JSON form, as a log would keep it: accepted by the replica exactly
    /// when the operation was by the graph, and leaving both equal.
    fn replay_pending(&mut self, op: &dyn Debug, accepted: bool) -> TestResult {
        let Some(change) = self.pending.take() else {
            return Ok(());
        };
        let batch = Batch::new(Author::Library, vec![change]);
        let line = serde_json::to_string(&batch).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let read: Batch =
            serde_json::from_str(&line).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(
            &read,
            &batch,
            "step {}: the batch's JSON round trip",
            self.steps
        );
        let replayed = self.replica.apply(&read);
        prop_assert_eq!(
            replayed.is_ok(),
            accepted,
            "step {}: {:?}: the batch {} was {:?}",
            self.steps,
            op,
            line,
            replayed
        );
        if replayed.is_ok() {
            self.batches += 1;
        }
        prop_assert_eq!(self.replica.revision(), self.batches as u64);
        prop_assert!(
            self.replica == self.graph,
            "step {}: {:?}: replaying the batch {} does not give the graph",
            self.steps,
            op,
            line
        );
        Ok(())
    }

    fn apply(&mut self, op: &Op) -> TestResult {
        match *op {
            Op::Create(kind, idx) => {
                with_independent!(kind, K => self.create::<K>(op, pick::<K>(idx)))
            }
            Op::CreateBadId(kind, long) => with_independent!(kind, K => {
                self.create::<K>(op, if long { long_id() } else { "" })
            }),
            Op::CreateShare(idx, space) => {
                let Some((sk, s)) = self.resolve::<Space>(space) else {
                    return Ok(());
                };
                let id = pick::<Share>(idx);
                self.pending = s.map(|s| Change::CreateShare {
                    id: id.to_owned(),
                    space_id: s.to_owned(),
                });
                let before = self.graph.clone();
                let got = self.graph.create_share(id, sk);
                let want = self.model.create_share(id, s);
                self.agree(
                    op,
                    got.as_ref().map(|_| ()).map_err(Clone::clone),
                    want,
                    &before,
                )?;
                if let Ok(key) = got {
                    self.hist
                        .entry((EntityKind::Share, id))
                        .or_default()
                        .push(AnyKey::of(key));
                }
                Ok(())
            }
            Op::CreateHandle(idx, hs, share) => {
                let (Some((hk, h)), Some((sk, s))) = (
                    self.resolve::<HandleService>(hs),
                    self.resolve::<Share>(share),
                ) else {
                    return Ok(());
                };
                let id = pick::<Handle>(idx);
                self.pending = h.zip(s).map(|(h, s)| Change::CreateHandle {
                    id: id.to_owned(),
                    handle_service_id: h.to_owned(),
                    share_id: s.to_owned(),
                });
                let before = self.graph.clone();
                let got = self.graph.create_handle(id, hk, sk);
                let want = self.model.create_handle(id, h, s);
                self.agree(
                    op,
                    got.as_ref().map(|_| ()).map_err(Clone::clone),
                    want,
                    &before,
                )?;
                if let Ok(key) = got {
                    self.hist
                        .entry((EntityKind::Handle, id))
                        .or_default()
                        .push(AnyKey::of(key));
                }
                Ok(())
            }
            Op::Delete(kind, e) => with_entity_kind!(kind, K => {
                let Some((key, id)) = self.resolve::<K>(e) else {
                    return Ok(());
                };
                self.pending = id.map(|id| Change::Delete { kind, id: id.to_owned() });
                let before = self.graph.clone();
                let got = self.graph.delete(key);
                let want = self.model.delete(kind, id);
                self.agree(op, got, want, &before)
            }),
            Op::AddMember(tk, t, mt, m, privs) => with_relation!(tk, mt, (M, T, calls) => {
                self.add_member::<M, T>(op, t, m, privs, calls.add)
            }),
            Op::RemoveMember(tk, t, mt, m) => with_relation!(tk, mt, (M, T, calls) => {
                self.remove_member::<M, T>(op, t, m, calls.remove)
            }),
            Op::UpdatePrivileges(tk, t, mt, m, upd) => {
                with_relation!(tk, mt, (M, T, calls) => {
                    self.update_privileges::<M, T>(op, t, m, upd, calls.update)
                })
            }
            Op::UpdateOz(mt, m, upd) => with_member!(mt, M => self.update_oz::<M>(op, m, upd)),
            Op::AddOwner(s, u) | Op::RemoveOwner(s, u) => {
                let (Some((sk, sid)), Some((uk, uid))) =
                    (self.resolve::<Space>(s), self.resolve::<User>(u))
                else {
                    return Ok(());
                };
                self.pending = sid.zip(uid).map(|(s, u)| {
                    let (space_id, user_id) = (s.to_owned(), u.to_owned());
                    if matches!(op, Op::AddOwner(..)) {
                        Change::AddSpaceOwner { space_id, user_id }
                    } else {
                        Change::RemoveSpaceOwner { space_id, user_id }
                    }
                });
                let before = self.graph.clone();
                let (got, want) = if matches!(op, Op::AddOwner(..)) {
                    (
                        self.graph.add_space_owner(sk, uk),
                        self.model.add_owner(sid, uid),
                    )
                } else {
                    (
                        self.graph.remove_space_owner(sk, uk),
                        self.model.remove_owner(sid, uid),
                    )
                };
                self.agree(op, got, want, &before)
            }
            Op::RemoveExisting(n) => match self.existing(n) {
                Some((tk, t, mt, m)) => self.apply(&Op::RemoveMember(tk, t, mt, m)),
                None => Ok(()),
            },
            Op::UpdateExisting(n, upd) => match self.existing(n) {
                Some((tk, t, mt, m)) => self.apply(&Op::UpdatePrivileges(tk, t, mt, m, upd)),
                None => Ok(()),
            },
            Op::OwnEffective(n) => {
                let pairs: Vec<(Id, Id)> = ids(EntityKind::Space)
                    .iter()
                    .filter(|&&s| self.model.is_live(EntityKind::Space, s))
                    .flat_map(|&s| ids(EntityKind::User).iter().map(move |&u| (s, u)))
                    .filter(|&(s, u)| {
                        self.model.is_live(EntityKind::User, u)
                            && self
                                .model
                                .is_eff_member((MemberType::User, u), (TargetKind::Space, s))
                    })
                    .collect();
                match pairs.get(n % pairs.len().max(1)) {
                    Some(&(s, u)) => self.apply(&Op::AddOwner(r_for::<Space>(s), r_for::<User>(u))),
                    None => Ok(()),
                }
            }
            Op::DisownExisting(n) => {
                let pairs: Vec<(Id, Id)> = self
                    .model
                    .owners
                    .iter()
                    .flat_map(|(&s, users)| users.iter().map(move |&u| (s, u)))
                    .collect();
                match pairs.get(n % pairs.len().max(1)) {
                    Some(&(s, u)) => {
                        self.apply(&Op::RemoveOwner(r_for::<Space>(s), r_for::<User>(u)))
                    }
                    None => Ok(()),
                }
            }
            Op::Link(h, s) | Op::Unlink(h, s) => {
                let (Some((hk, hid)), Some((sk, sid))) =
                    (self.resolve::<Harvester>(h), self.resolve::<Space>(s))
                else {
                    return Ok(());
                };
                self.pending = hid.zip(sid).map(|(h, s)| {
                    let (harvester_id, space_id) = (h.to_owned(), s.to_owned());
                    if matches!(op, Op::Link(..)) {
                        Change::LinkHarvesterSpace {
                            harvester_id,
                            space_id,
                        }
                    } else {
                        Change::UnlinkHarvesterSpace {
                            harvester_id,
                            space_id,
                        }
                    }
                });
                let before = self.graph.clone();
                let (got, want) = if matches!(op, Op::Link(..)) {
                    (
                        self.graph.link_harvester_space(hk, sk),
                        self.model.link(hid, sid),
                    )
                } else {
                    (
                        self.graph.unlink_harvester_space(hk, sk),
                        self.model.unlink(hid, sid),
                    )
                };
                self.agree(op, got, want, &before)
            }
        }
    }

    fn create<K: Independent>(&mut self, op: &Op, id: Id) -> TestResult {
        self.pending = Some(Change::Create {
            kind: K::KIND,
            id: id.to_owned(),
        });
        let before = self.graph.clone();
        let got = self.graph.create::<K>(id);
        let want = self.model.create(K::KIND, id);
        self.agree(
            op,
            got.as_ref().map(|_| ()).map_err(Clone::clone),
            want,
            &before,
        )?;
        if let Ok(key) = got {
            self.hist
                .entry((K::KIND, id))
                .or_default()
                .push(AnyKey::of(key));
        }
        Ok(())
    }

    fn add_member<M: MemberKind, T: Target>(
        &mut self,
        op: &Op,
        t: R,
        m: R,
        privs: u8,
        add: Add<M, T>,
    ) -> TestResult {
        let (Some((tk, tid)), Some((mk, mid))) = (self.resolve::<T>(t), self.resolve::<M>(m))
        else {
            return Ok(());
        };
        let privs = privs & full_mask::<T::Privileges>();
        self.pending = tid.zip(mid).map(|(t, m)| Change::AddMember {
            kind: T::TARGET,
            id: t.to_owned(),
            member_type: M::MEMBER,
            member_id: m.to_owned(),
            privileges: from_mask::<T::Privileges>(privs).into_any(),
        });
        let before = self.graph.clone();
        let got = add(&mut self.graph, tk, mk, from_mask(privs));
        let want = self.model.add_member(T::TARGET, tid, M::MEMBER, mid, privs);
        self.agree(op, got, want, &before)
    }

    fn remove_member<M: MemberKind, T: Target>(
        &mut self,
        op: &Op,
        t: R,
        m: R,
        remove: Remove<M, T>,
    ) -> TestResult {
        let (Some((tk, tid)), Some((mk, mid))) = (self.resolve::<T>(t), self.resolve::<M>(m))
        else {
            return Ok(());
        };
        self.pending = tid.zip(mid).map(|(t, m)| Change::RemoveMember {
            kind: T::TARGET,
            id: t.to_owned(),
            member_type: M::MEMBER,
            member_id: m.to_owned(),
        });
        let before = self.graph.clone();
        let got = remove(&mut self.graph, tk, mk);
        let want = self.model.remove_member(T::TARGET, tid, M::MEMBER, mid);
        self.agree(op, got, want, &before)
    }

    fn update_privileges<M: MemberKind, T: Target>(
        &mut self,
        op: &Op,
        t: R,
        m: R,
        upd: Upd,
        update: Update<M, T>,
    ) -> TestResult {
        let (Some((tk, tid)), Some((mk, mid))) = (self.resolve::<T>(t), self.resolve::<M>(m))
        else {
            return Ok(());
        };
        let upd = upd.masked(full_mask::<T::Privileges>());
        let before = self.graph.clone();
        let applied: Result<Applied<T::Privileges>, GraphError> =
            update(&mut self.graph, tk, mk, &upd.to_update());
        // The change records the set the member ends up with; a refused update has
        // none, so its change sets the model's current set (refused the same way).
        let left = match &applied {
            Ok(a) => Some(a.privileges),
            Err(_) => tid.zip(mid).and_then(|(t, m)| {
                let current = self
                    .model
                    .direct
                    .get(&(T::TARGET, t))?
                    .get(&(M::MEMBER, m))?;
                Some(from_mask::<T::Privileges>(*current))
            }),
        };
        self.pending = tid.zip(mid).map(|(t, m)| Change::SetMemberPrivileges {
            kind: T::TARGET,
            id: t.to_owned(),
            member_type: M::MEMBER,
            member_id: m.to_owned(),
            privileges: left
                .unwrap_or_else(<T::Privileges as bitflags::Flags>::empty)
                .into_any(),
        });
        let got = applied.map(|a| (to_mask(a.privileges), a.changed));
        let want = self.model.update_privs(T::TARGET, tid, M::MEMBER, mid, upd);
        self.agree(op, got, want, &before)
    }

    fn update_oz<M: MemberKind>(&mut self, op: &Op, m: R, upd: Upd) -> TestResult {
        let Some((mk, mid)) = self.resolve::<M>(m) else {
            return Ok(());
        };
        let upd = upd.masked(full_mask::<OzPrivileges>());
        let before = self.graph.clone();
        let applied = self.graph.update_oz_privileges(mk, &upd.to_update());
        if let (Some(id), Ok(a)) = (mid, &applied) {
            self.pending = Some(Change::SetOzPrivileges {
                member_type: M::MEMBER,
                id: id.to_owned(),
                privileges: a.privileges,
            });
        }
        let got = applied.map(|a| (to_mask(a.privileges), a.changed));
        let want = self.model.update_oz(M::MEMBER, mid, upd);
        self.agree(op, got, want, &before)
    }

    /// Creates every entity of the universe (shares sh0, sh1 in s0 and sh2 in s1;
    /// handles h0 = (hs0, sh0), h1 = (hs1, sh2)), checking each step.
    fn populate(&mut self) -> TestResult {
        let mut ops = Vec::new();
        for &kind in INDEPENDENT.iter() {
            ops.extend((0..ids(kind).len()).map(|i| Op::Create(kind, i)));
        }
        ops.extend([
            Op::CreateShare(0, r(0)),
            Op::CreateShare(1, r(0)),
            Op::CreateShare(2, r(1)),
            Op::CreateHandle(0, r(0), r(0)),
            Op::CreateHandle(1, r(1), r(2)),
        ]);
        for op in &ops {
            self.steps += 1;
            self.apply(op)?;
        }
        self.check()
    }

    // ----- comparisons ----------------------------------------------------------------

    /// Live keys (per the model) and stale keys of every kind, and each live member's
    /// effective groups, computed once per comparison.
    fn view(&self) -> View {
        let mut view = View {
            live: vec![Vec::new(); EntityKind::ALL.len()],
            stale: vec![Vec::new(); EntityKind::ALL.len()],
            eg: BTreeMap::new(),
        };
        for (&(kind, id), hist) in &self.hist {
            let live = self.model.is_live(kind, id);
            for (i, key) in hist.iter().enumerate() {
                if live && i + 1 == hist.len() {
                    view.live[kind as usize].push((id, key.clone()));
                } else {
                    view.stale[kind as usize].push(key.clone());
                }
            }
        }
        let members: Vec<Mem> = view
            .live::<User>()
            .map(|(id, _)| (MemberType::User, id))
            .chain(view.live::<Group>().map(|(id, _)| (MemberType::Group, id)))
            .collect();
        for m in members {
            view.eg.insert(m, self.model.eff_groups(m));
        }
        view
    }

    fn check(&self) -> TestResult {
        for kind in EntityKind::ALL {
            with_entity_kind!(kind, K => self.check_kind::<K>())?;
        }
        let view = self.view();
        for mt in [MemberType::User, MemberType::Group] {
            for tk in TargetKind::ALL {
                with_target_kind!(tk, T => with_member!(mt, M => self.check_pairs::<M, T>(&view)?));
            }
        }
        self.check_member::<User>(&view)?;
        self.check_member::<Group>(&view)?;
        self.check_links(&view)
    }

    /// Ids ↔ keys: live entities have their latest key, every other key is dead.
    fn check_kind<K: Kind>(&self) -> TestResult {
        let mut live_keys = BTreeSet::new();
        for &id in ids(K::KIND) {
            let live = self.model.is_live(K::KIND, id);
            let hist = self
                .hist
                .get(&(K::KIND, id))
                .map(Vec::as_slice)
                .unwrap_or_default();
            let current = live.then(|| self.current::<K>(id));
            prop_assert_eq!(
                self.graph.key::<K>(id),
                current,
                "step {}: key of {} {}",
                self.steps,
                K::KIND,
                id
            );
            for (i, key) in hist.iter().enumerate() {
                let key = key.typed::<K>();
                let is_current = live && i + 1 == hist.len();
                prop_assert_eq!(
                    self.graph.contains(key),
                    is_current,
                    "step {}: contains {:?}",
                    self.steps,
                    key
                );
                prop_assert_eq!(self.graph.id(key), is_current.then_some(id));
            }
            live_keys.extend(current);
        }
        prop_assert_eq!(
            self.graph.len::<K>(),
            live_keys.len(),
            "step {}: len of {}",
            self.steps,
            K::KIND
        );
        prop_assert_eq!(set_of(self.graph.keys::<K>(), "keys")?, live_keys);
        Ok(())
    }

    /// Every relation query for every (member of kind M, target of kind T).
    fn check_pairs<M: MemberKind, T: Target>(&self, view: &View) -> TestResult
    where
        T::Privileges: TargetVocabulary<Target = T>,
    {
        let step = self.steps;
        let members: Vec<(Id, Key<M>)> = view.live::<M>().collect();
        let targets: Vec<(Id, Key<T>)> = view.live::<T>().collect();
        let full = full_mask::<T::Privileges>();
        let queries: Vec<(u8, T::Privileges)> = QUERIES
            .iter()
            .map(|&q| (q & full, from_mask(q & full)))
            .collect();
        // Expected member lists, by position in `targets`.
        let mut direct_members: Vec<Vec<Key<M>>> = vec![Vec::new(); targets.len()];
        let mut eff_members: Vec<Vec<Key<M>>> = vec![Vec::new(); targets.len()];
        // (member, target) pairs holding the privilege asked about by id.
        let mut by_id: BTreeSet<(Id, Id)> = BTreeSet::new();
        for &(mid, mk) in &members {
            let m = (M::MEMBER, mid);
            let groups = &view.eg[&m];
            let mut direct_of = Vec::new();
            let mut eff_of = Vec::new();
            for (i, &(tid, tk)) in targets.iter().enumerate() {
                let t = (T::TARGET, tid);
                let want_eff = self.model.eff_privs(m, t, groups);
                let got_eff = self.graph.effective_privileges(mk, tk).map(to_mask);
                prop_assert_eq!(
                    got_eff,
                    want_eff,
                    "step {}: effective privileges of {:?} in {:?}",
                    step,
                    m,
                    t
                );
                prop_assert_eq!(
                    self.graph.is_effective_member(mk, tk),
                    want_eff.is_some(),
                    "step {}: is_effective_member {:?} {:?}",
                    step,
                    m,
                    t
                );
                let want_direct = self.model.direct_privs(m, t);
                prop_assert_eq!(
                    self.graph.direct_privileges(mk, tk).map(to_mask),
                    want_direct,
                    "step {}: direct privileges of {:?} in {:?}",
                    step,
                    m,
                    t
                );
                let owner = M::MEMBER == MemberType::User
                    && T::TARGET == TargetKind::Space
                    && self.model.is_owner(tid, mid);
                for &(q, privileges) in &queries {
                    let want = owner || want_eff.is_some_and(|e| e & q == q);
                    prop_assert_eq!(
                        self.graph.has_privilege(mk, tk, privileges),
                        want,
                        "step {}: has_privilege {:?} {:?} {:#b}",
                        step,
                        m,
                        t,
                        q
                    );
                }
                if owner || want_eff.is_some_and(|e| e & BY_ID_QUERY == BY_ID_QUERY) {
                    by_id.insert((mid, tid));
                }
                // Intermediaries as sorted lists of Option<group key> (None = Direct): equal
                // as sets, and the graph's has no repeated entry (the model's has none).
                let want_hops = self.model.intermediaries(m, t, groups).map(|hops| {
                    let mut hops: Vec<Option<Key<Group>>> = hops
                        .into_iter()
                        .map(|g| g.map(|g| view.key::<Group>(g)))
                        .collect();
                    hops.sort_unstable();
                    hops
                });
                let got_hops = self.graph.intermediaries(mk, tk).map(|hops| {
                    let mut hops: Vec<Option<Key<Group>>> = hops
                        .into_iter()
                        .map(|hop| match hop {
                            Intermediary::Direct => None,
                            Intermediary::Group(g) => Some(g),
                        })
                        .collect();
                    hops.sort_unstable();
                    hops
                });
                prop_assert_eq!(
                    got_hops,
                    want_hops,
                    "step {}: intermediaries of {:?} in {:?}",
                    step,
                    m,
                    t
                );
                if want_direct.is_some() {
                    direct_of.push(tk);
                    direct_members[i].push(mk);
                }
                if want_eff.is_some() {
                    eff_of.push(tk);
                    eff_members[i].push(mk);
                }
            }
            // Lists compare as sorted vectors: equal as sets, and no entry twice (the
            // expected ones have none).
            prop_assert_eq!(
                sorted(self.graph.memberships::<M, T>(mk)),
                sorted(direct_of),
                "step {}: memberships of {:?} in {}",
                step,
                m,
                T::KIND
            );
            prop_assert_eq!(
                sorted(self.graph.effective_memberships::<M, T>(mk)),
                sorted(eff_of),
                "step {}: effective memberships of {:?} in {}",
                step,
                m,
                T::KIND
            );
        }
        let expected = direct_members.into_iter().zip(eff_members);
        for (&(tid, tk), (direct, effective)) in targets.iter().zip(expected) {
            prop_assert_eq!(
                sorted(self.graph.direct_members::<M, T>(tk)),
                sorted(direct),
                "step {}: direct {} members of {} {}",
                step,
                M::KIND,
                T::KIND,
                tid
            );
            prop_assert_eq!(
                sorted(self.graph.effective_members::<M, T>(tk)),
                sorted(effective),
                "step {}: effective {} members of {} {}",
                step,
                M::KIND,
                T::KIND,
                tid
            );
        }
        // By ids: every member id of the universe (never-created and deleted ones
        // included) against one target id, a different one at each step.
        let asked = from_mask::<T::Privileges>(BY_ID_QUERY);
        for &mid in ids(M::KIND) {
            {
                let tid = pick::<T>(step);
                prop_assert_eq!(
                    self.graph
                        .has_privilege_by_id::<M, T::Privileges>(mid, tid, asked),
                    by_id.contains(&(mid, tid)),
                    "step {}: has_privilege_by_id {} {}",
                    step,
                    mid,
                    tid
                );
            }
        }
        // Stale keys answer nothing.
        for stale in view.stale::<M>() {
            prop_assert!(self.graph.memberships::<M, T>(stale).is_empty());
            prop_assert!(self.graph.effective_memberships::<M, T>(stale).is_empty());
            if let Some(&(_, tk)) = targets.first() {
                prop_assert_eq!(self.graph.effective_privileges(stale, tk), None);
                prop_assert_eq!(self.graph.direct_privileges(stale, tk), None);
                prop_assert!(!self.graph.is_effective_member(stale, tk));
                prop_assert!(
                    !self
                        .graph
                        .has_privilege(stale, tk, from_mask::<T::Privileges>(0))
                );
                prop_assert_eq!(self.graph.intermediaries(stale, tk), None);
            }
        }
        for stale in view.stale::<T>() {
            prop_assert!(self.graph.direct_members::<M, T>(stale).is_empty());
            prop_assert!(self.graph.effective_members::<M, T>(stale).is_empty());
            if let Some(&(_, mk)) = members.first() {
                prop_assert_eq!(self.graph.effective_privileges(mk, stale), None);
                prop_assert_eq!(self.graph.direct_privileges(mk, stale), None);
                prop_assert!(
                    !self
                        .graph
                        .has_privilege(mk, stale, from_mask::<T::Privileges>(0))
                );
                prop_assert_eq!(self.graph.intermediaries(mk, stale), None);
            }
        }
        Ok(())
    }

    /// Own and effective oz privileges.
    fn check_member<M: MemberKind>(&self, view: &View) -> TestResult {
        for (mid, mk) in view.live::<M>() {
            let m = (M::MEMBER, mid);
            let own = self.model.oz.get(&m).copied().unwrap_or(0);
            let eff = self.model.eff_oz(m, &view.eg[&m]);
            prop_assert_eq!(
                self.graph.oz_privileges(mk).map(to_mask),
                Some(own),
                "step {}: oz of {:?}",
                self.steps,
                m
            );
            prop_assert_eq!(
                self.graph.effective_oz_privileges(mk).map(to_mask),
                Some(eff),
                "step {}: effective oz of {:?}",
                self.steps,
                m
            );
            for q in QUERIES {
                prop_assert_eq!(
                    self.graph.has_oz_privilege(mk, from_mask(q)),
                    eff & q == q,
                    "step {}: has_oz_privilege {:?} {:#b}",
                    self.steps,
                    m,
                    q
                );
            }
        }
        for stale in view.stale::<M>() {
            prop_assert_eq!(self.graph.oz_privileges(stale), None);
            prop_assert_eq!(self.graph.effective_oz_privileges(stale), None);
            prop_assert!(!self.graph.has_oz_privilege(stale, OzPrivileges::empty()));
        }
        Ok(())
    }

    /// Owners, shares, handles and harvester links.
    fn check_links(&self, view: &View) -> TestResult {
        let step = self.steps;
        let users: Vec<(Id, Key<User>)> = view.live::<User>().collect();
        for (sid, sk) in view.live::<Space>() {
            let owners: BTreeSet<Key<User>> = self
                .model
                .owners
                .get(sid)
                .into_iter()
                .flatten()
                .map(|&u| view.key::<User>(u))
                .collect();
            prop_assert_eq!(
                set_of(self.graph.space_owners(sk), "owners")?,
                owners,
                "step {}: owners of {}",
                step,
                sid
            );
            for &(uid, uk) in &users {
                prop_assert_eq!(
                    self.graph.is_space_owner(sk, uk),
                    self.model.is_owner(sid, uid),
                    "step {}: is_space_owner {} {}",
                    step,
                    sid,
                    uid
                );
            }
            let shares: BTreeSet<Key<Share>> = self
                .model
                .share_space
                .iter()
                .filter(|&(_, &s)| s == sid)
                .map(|(&sh, _)| view.key::<Share>(sh))
                .collect();
            prop_assert_eq!(
                set_of(self.graph.space_shares(sk), "shares")?,
                shares,
                "step {}: shares of {}",
                step,
                sid
            );
            let harvesters: BTreeSet<Key<Harvester>> = self
                .model
                .links
                .iter()
                .filter(|&&(_, s)| s == sid)
                .map(|&(h, _)| view.key::<Harvester>(h))
                .collect();
            prop_assert_eq!(
                set_of(self.graph.space_harvesters(sk), "space_harvesters")?,
                harvesters,
                "step {}: harvesters of {}",
                step,
                sid
            );
        }
        for (shid, shk) in view.live::<Share>() {
            let space = self.model.share_space[shid];
            prop_assert_eq!(self.graph.share_space(shk), Some(view.key::<Space>(space)));
            let handle = self
                .model
                .handle_of
                .iter()
                .find(|&(_, &(_, sh))| sh == shid)
                .map(|(&h, _)| view.key::<Handle>(h));
            prop_assert_eq!(
                self.graph.share_handle(shk),
                handle,
                "step {}: handle of {}",
                step,
                shid
            );
        }
        for (hid, hk) in view.live::<Handle>() {
            let (hs, sh) = self.model.handle_of[hid];
            prop_assert_eq!(
                self.graph.handle_service_of(hk),
                Some(view.key::<HandleService>(hs))
            );
            prop_assert_eq!(self.graph.handle_share(hk), Some(view.key::<Share>(sh)));
        }
        for (hsid, hsk) in view.live::<HandleService>() {
            let handles: BTreeSet<Key<Handle>> = self
                .model
                .handle_of
                .iter()
                .filter(|&(_, &(hs, _))| hs == hsid)
                .map(|(&h, _)| view.key::<Handle>(h))
                .collect();
            prop_assert_eq!(
                set_of(self.graph.handle_service_handles(hsk), "handles")?,
                handles
            );
        }
        for (hvid, hvk) in view.live::<Harvester>() {
            let spaces: BTreeSet<Key<Space>> = self
                .model
                .links
                .iter()
                .filter(|&&(h, _)| h == hvid)
                .map(|&(_, s)| view.key::<Space>(s))
                .collect();
            prop_assert_eq!(
                set_of(self.graph.harvester_spaces(hvk), "harvester_spaces")?,
                spaces
            );
        }
        for stale in view.stale::<Space>() {
            prop_assert!(self.graph.space_owners(stale).is_empty());
            prop_assert!(self.graph.space_shares(stale).is_empty());
            prop_assert!(self.graph.space_harvesters(stale).is_empty());
            for &(_, uk) in &users {
                prop_assert!(!self.graph.is_space_owner(stale, uk));
            }
        }
        for stale in view.stale::<User>() {
            for (_, sk) in view.live::<Space>() {
                prop_assert!(!self.graph.is_space_owner(sk, stale));
            }
        }
        for stale in view.stale::<Share>() {
            prop_assert_eq!(self.graph.share_space(stale), None);
            prop_assert_eq!(self.graph.share_handle(stale), None);
        }
        for stale in view.stale::<Handle>() {
            prop_assert_eq!(self.graph.handle_service_of(stale), None);
            prop_assert_eq!(self.graph.handle_share(stale), None);
        }
        for stale in view.stale::<HandleService>() {
            prop_assert!(self.graph.handle_service_handles(stale).is_empty());
        }
        for stale in view.stale::<Harvester>() {
            prop_assert!(self.graph.harvester_spaces(stale).is_empty());
        }
        Ok(())
    }

    /// Applies `op` and compares everything.
    ///
    /// After a refused (or skipped) operation the graph is asserted equal to its
    /// previous state — `Graph: PartialEq` compares the whole state, and every query is
    /// a function of it — and the model is asserted unchanged, so every comparison would
    /// repeat the previous step's exactly; it is skipped, which halves the runtime.
    fn step(&mut self, op: &Op) -> TestResult {
        let model_before = self.model.clone();
        self.steps += 1;
        self.unchanged = true;
        self.apply(op)?;
        if self.unchanged {
            prop_assert!(
                self.model == model_before,
                "model bug: refused {:?} changed it",
                op
            );
            return Ok(());
        }
        self.check()
    }

    // ----- helpers for the hand-built cases -----

    fn eff<M: MemberKind, T: Target>(&self, m: Id, t: Id) -> Option<u8> {
        self.graph
            .effective_privileges(self.current::<M>(m), self.current::<T>(t))
            .map(to_mask)
    }
}

/// Runs `ops` with a comparison after each; panics on the first disagreement.
fn run(ops: &[Op]) -> Harness {
    let mut h = Harness::new();
    h.check().unwrap();
    for op in ops {
        if let Err(e) = h.step(op) {
            panic!("{e}");
        }
    }
    h
}

/// Applies `op`, which must be refused with `expected` (compared by the harness too).
fn refused(h: &mut Harness, op: Op, expected: &GraphError) {
    let before = h.graph.clone();
    h.step(&op).unwrap();
    assert!(h.graph == before, "{op:?} changed the graph");
    // Replay on a copy of the model to see which error it was.
    let mut model = h.model.clone();
    let got = match op {
        Op::AddMember(tk, t, mt, m, p) => {
            let tid = with_target_kind!(tk, T => h.resolve::<T>(t).unwrap().1);
            let mid = with_member!(mt, M => h.resolve::<M>(m).unwrap().1);
            model.add_member(tk, tid, mt, mid, p)
        }
        Op::Delete(kind, e) => {
            let id = with_entity_kind!(kind, K => h.resolve::<K>(e).unwrap().1);
            model.delete(kind, id)
        }
        _ => panic!("unsupported in refused(): {op:?}"),
    };
    assert_eq!(got.as_ref(), Err(expected));
}

// ----- the property -------------------------------------------------------------------

fn any_r() -> impl Strategy<Value = R> {
    (0..6usize, prop_oneof![8 => Just(0usize), 2 => 1..3usize])
        .prop_map(|(idx, back)| R { idx, back })
}

fn target_kind() -> impl Strategy<Value = TargetKind> {
    weighted(
        &TargetKind::ALL,
        &[(TargetKind::Group, 6), (TargetKind::Space, 2)],
    )
}

fn member_type() -> impl Strategy<Value = MemberType> {
    prop_oneof![Just(MemberType::User), Just(MemberType::Group)]
}

fn independent_kind() -> impl Strategy<Value = EntityKind> {
    weighted(
        &INDEPENDENT,
        &[(EntityKind::User, 3), (EntityKind::Group, 3)],
    )
}

/// An independent kind a third of the time, else a share or a handle (the kinds that
/// belong to other entities), alike.
fn any_kind() -> impl Strategy<Value = EntityKind> {
    let dependent: Vec<EntityKind> = EntityKind::ALL
        .into_iter()
        .filter(|kind| !kind.is_independent())
        .collect();
    let n = dependent.len() as u32;
    prop_oneof![
        1 => independent_kind(),
        n => prop::sample::select(dependent),
    ]
}

fn update() -> impl Strategy<Value = Upd> {
    prop_oneof![
        (0..16u8).prop_map(Upd::Set),
        (0..16u8, 0..16u8).prop_map(|(g, r)| Upd::GrantRevoke(g, r)),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (independent_kind(), 0..6usize).prop_map(|(k, i)| Op::Create(k, i)),
        1 => (independent_kind(), any::<bool>()).prop_map(|(k, l)| Op::CreateBadId(k, l)),
        2 => (0..3usize, any_r()).prop_map(|(i, s)| Op::CreateShare(i, s)),
        2 => (0..2usize, any_r(), any_r()).prop_map(|(i, hs, s)| Op::CreateHandle(i, hs, s)),
        4 => (any_kind(), any_r()).prop_map(|(k, e)| Op::Delete(k, e)),
        16 => (target_kind(), any_r(), member_type(), any_r(), 0..16u8)
            .prop_map(|(tk, t, mt, m, p)| Op::AddMember(tk, t, mt, m, p)),
        6 => (target_kind(), any_r(), member_type(), any_r())
            .prop_map(|(tk, t, mt, m)| Op::RemoveMember(tk, t, mt, m)),
        5 => (target_kind(), any_r(), member_type(), any_r(), update())
            .prop_map(|(tk, t, mt, m, u)| Op::UpdatePrivileges(tk, t, mt, m, u)),
        3 => (member_type(), any_r(), update()).prop_map(|(mt, m, u)| Op::UpdateOz(mt, m, u)),
        3 => (any_r(), any_r()).prop_map(|(s, u)| Op::AddOwner(s, u)),
        1 => (any_r(), any_r()).prop_map(|(s, u)| Op::RemoveOwner(s, u)),
        1 => (any_r(), any_r()).prop_map(|(h, s)| Op::Link(h, s)),
        1 => (any_r(), any_r()).prop_map(|(h, s)| Op::Unlink(h, s)),
        5 => any::<usize>().prop_map(Op::RemoveExisting),
        4 => (any::<usize>(), update()).prop_map(|(n, u)| Op::UpdateExisting(n, u)),
        2 => any::<usize>().prop_map(Op::OwnEffective),
        1 => any::<usize>().prop_map(Op::DisownExisting),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 1000,
        failure_persistence: None,
        max_shrink_iters: 4096,
        ..ProptestConfig::default()
    })]

    /// Random sequences of up to 200 operations: graph and model agree on every result
    /// and on every query after every step.
    #[test]
    fn graph_agrees_with_model(populate in any::<bool>(), ops in vec(op(), 0..=200)) {
        let mut h = Harness::new();
        if populate {
            h.populate()?;
        }
        h.check()?;
        for op in &ops {
            h.step(op)?;
        }
    }
}

// ----- hand-built cases ---------------------------------------------------------------

fn create_all() -> Vec<Op> {
    let mut ops = Vec::new();
    for &kind in INDEPENDENT.iter() {
        ops.extend((0..ids(kind).len()).map(|i| Op::Create(kind, i)));
    }
    ops
}

fn nest(parent: usize, child: usize, privs: u8) -> Op {
    Op::AddMember(
        TargetKind::Group,
        r(parent),
        MemberType::Group,
        r(child),
        privs,
    )
}

fn join(group: usize, user: usize, privs: u8) -> Op {
    Op::AddMember(
        TargetKind::Group,
        r(group),
        MemberType::User,
        r(user),
        privs,
    )
}

/// Onezone's handle-service example: `hs0` has user alice (u0) [view], groups teamA (g0)
/// [list, register] and teamB (g1) [update‑ish]; core (g2) in both teams; alice and bob
/// (u1) in core; carol (u2) in teamB. Masks over the chosen handle-service flags:
/// bit0 delete, bit1 list_handles, bit2 register_handle, bit3 view.
#[test]
fn diamond_of_nested_groups() {
    use MemberType as M;
    use TargetKind as T;
    let mut ops = create_all();
    ops.extend([
        Op::AddMember(T::HandleService, r(0), M::User, r(0), 0b1000),
        Op::AddMember(T::HandleService, r(0), M::Group, r(0), 0b0110),
        Op::AddMember(T::HandleService, r(0), M::Group, r(1), 0b0001),
        nest(0, 2, 0),
        nest(1, 2, 0),
        join(2, 0, 0b1111),
        join(2, 1, 0),
        join(1, 2, 0),
    ]);
    let mut h = run(&ops);
    assert_eq!(h.eff::<User, HandleService>("u0", "hs0"), Some(0b1111));
    assert_eq!(h.eff::<User, HandleService>("u1", "hs0"), Some(0b0111));
    assert_eq!(h.eff::<User, HandleService>("u2", "hs0"), Some(0b0001));
    assert_eq!(h.eff::<Group, HandleService>("g2", "hs0"), Some(0b0111));
    assert_eq!(h.eff::<User, HandleService>("u3", "hs0"), None);
    let hs = h.current::<HandleService>("hs0");
    let (u0, g0, g1) = (
        h.current::<User>("u0"),
        h.current::<Group>("g0"),
        h.current::<Group>("g1"),
    );
    // Documented order: Direct first, then groups by id.
    assert_eq!(
        h.graph.intermediaries(u0, hs),
        Some(vec![
            Intermediary::Direct,
            Intermediary::Group(g0),
            Intermediary::Group(g1)
        ])
    );
    // Removing one side of the diamond keeps the other.
    h.step(&nest(0, 2, 0).clone_as_removal()).unwrap();
    assert_eq!(h.eff::<User, HandleService>("u1", "hs0"), Some(0b0001));
    assert_eq!(h.eff::<Group, HandleService>("g2", "hs0"), Some(0b0001));
    assert_eq!(
        h.graph.intermediaries(u0, hs),
        Some(vec![Intermediary::Direct, Intermediary::Group(g1)])
    );
    // A diamond edge cannot be closed into a cycle.
    refused(
        &mut h,
        nest(2, 1, 0),
        &GraphError::NestingCycle {
            child: entity(EntityKind::Group, "g1"),
            parent: entity(EntityKind::Group, "g2"),
        },
    );
    refused(
        &mut h,
        nest(2, 2, 0),
        &GraphError::RelationToSelf {
            group: entity(EntityKind::Group, "g2"),
        },
    );
}

impl Op {
    /// The removal of the relation an `AddMember` adds.
    fn clone_as_removal(&self) -> Op {
        match *self {
            Op::AddMember(tk, t, mt, m, _) => Op::RemoveMember(tk, t, mt, m),
            ref other => panic!("not an AddMember: {other:?}"),
        }
    }
}

/// g0 ← g1 ← g2 ← g3 ← g4 ← g5 ∋ u0; g0 is in space s0 and has oz privileges; then the
/// chain is cut in the middle, and joined again.
#[test]
fn deep_chain_and_unnesting_in_the_middle() {
    let mut ops = create_all();
    ops.extend([
        Op::AddMember(TargetKind::Space, r(0), MemberType::Group, r(0), 0b0101),
        Op::UpdateOz(MemberType::Group, r(0), Upd::Set(0b0010)),
        Op::UpdateOz(MemberType::Group, r(3), Upd::Set(0b1000)),
        join(5, 0, 0),
    ]);
    for i in 0..5 {
        ops.push(nest(i, i + 1, 1 << (i % 4)));
    }
    let mut h = run(&ops);
    assert_eq!(h.eff::<User, Space>("u0", "s0"), Some(0b0101));
    assert_eq!(h.eff::<Group, Space>("g5", "s0"), Some(0b0101));
    assert_eq!(h.eff::<User, Group>("u0", "g0"), Some(0b0001));
    assert_eq!(h.eff::<User, Group>("u0", "g4"), Some(0b0001));
    let u0 = h.current::<User>("u0");
    assert_eq!(
        h.graph.effective_oz_privileges(u0).map(to_mask),
        Some(0b1010)
    );
    // g1 is above g5: nesting it under g5 would close a cycle.
    refused(
        &mut h,
        nest(5, 1, 0),
        &GraphError::NestingCycle {
            child: entity(EntityKind::Group, "g1"),
            parent: entity(EntityKind::Group, "g5"),
        },
    );
    // Cut g2 out of g1: u0 and g2..g5 leave g0, g1 and s0.
    h.step(&nest(1, 2, 0).clone_as_removal()).unwrap();
    assert_eq!(h.eff::<User, Space>("u0", "s0"), None);
    assert_eq!(h.eff::<Group, Space>("g3", "s0"), None);
    assert_eq!(h.eff::<User, Group>("u0", "g1"), None);
    assert_eq!(h.eff::<User, Group>("u0", "g2"), Some(0b0100));
    assert_eq!(
        h.graph.effective_oz_privileges(u0).map(to_mask),
        Some(0b1000)
    );
    // g1 is no longer above g5, so it may now be nested under it.
    h.step(&nest(5, 1, 0)).unwrap();
    assert!(
        h.graph
            .is_effective_member(h.current::<Group>("g1"), h.current::<Group>("g3"))
    );
    h.step(&nest(5, 1, 0).clone_as_removal()).unwrap();
    // Re-attach the lower half directly under g0.
    h.step(&nest(0, 2, 0b1000)).unwrap();
    assert_eq!(h.eff::<User, Space>("u0", "s0"), Some(0b0101));
    assert_eq!(h.eff::<User, Group>("u0", "g0"), Some(0b1000));
    assert_eq!(
        h.graph.effective_oz_privileges(u0).map(to_mask),
        Some(0b1010)
    );
    // Deleting a group in the middle cuts everything above it.
    h.step(&Op::Delete(EntityKind::Group, r(3))).unwrap();
    assert_eq!(h.eff::<User, Space>("u0", "s0"), None);
    assert_eq!(h.graph.effective_oz_privileges(u0).map(to_mask), Some(0));
}

/// u0 is in hs0 through g0 and g1 (both direct groups of hs0); privileges revoked on one
/// path stay while the other path grants them.
#[test]
fn revocation_through_one_of_two_paths() {
    use MemberType as M;
    use TargetKind as T;
    let mut ops = create_all();
    ops.extend([
        join(2, 0, 0),
        nest(0, 2, 0),
        nest(1, 2, 0),
        Op::AddMember(T::HandleService, r(0), M::Group, r(0), 0b0011),
        Op::AddMember(T::HandleService, r(0), M::Group, r(1), 0b0110),
        Op::UpdateOz(M::Group, r(0), Upd::Set(0b0001)),
        Op::UpdateOz(M::Group, r(1), Upd::Set(0b0001)),
    ]);
    let mut h = run(&ops);
    let u0 = h.current::<User>("u0");
    assert_eq!(h.eff::<User, HandleService>("u0", "hs0"), Some(0b0111));
    // Revoke bit1 on g0's path: g1 still grants it.
    h.step(&Op::UpdatePrivileges(
        T::HandleService,
        r(0),
        M::Group,
        r(0),
        Upd::GrantRevoke(0, 0b0010),
    ))
    .unwrap();
    assert_eq!(h.eff::<User, HandleService>("u0", "hs0"), Some(0b0111));
    // Revoke it on the other path too: gone.
    h.step(&Op::UpdatePrivileges(
        T::HandleService,
        r(0),
        M::Group,
        r(1),
        Upd::Set(0b0100),
    ))
    .unwrap();
    assert_eq!(h.eff::<User, HandleService>("u0", "hs0"), Some(0b0101));
    // Oz privileges: revoked in g0, still held through g1.
    h.step(&Op::UpdateOz(M::Group, r(0), Upd::Set(0))).unwrap();
    assert_eq!(
        h.graph.effective_oz_privileges(u0).map(to_mask),
        Some(0b0001)
    );
    h.step(&Op::UpdateOz(M::Group, r(1), Upd::GrantRevoke(0, 0b0001)))
        .unwrap();
    assert_eq!(h.graph.effective_oz_privileges(u0).map(to_mask), Some(0));
    // Grant beats revoke.
    h.step(&Op::UpdatePrivileges(
        T::HandleService,
        r(0),
        M::Group,
        r(1),
        Upd::GrantRevoke(0b1000, 0b1100),
    ))
    .unwrap();
    assert_eq!(h.eff::<User, HandleService>("u0", "hs0"), Some(0b1001));
    // Removing one path keeps membership; removing the other ends it.
    h.step(&nest(0, 2, 0).clone_as_removal()).unwrap();
    assert_eq!(h.eff::<User, HandleService>("u0", "hs0"), Some(0b1000));
    h.step(&nest(1, 2, 0).clone_as_removal()).unwrap();
    assert_eq!(h.eff::<User, HandleService>("u0", "hs0"), None);
}

/// Owners, cascades, refusals and stale keys.
#[test]
fn owners_cascades_and_stale_keys() {
    use MemberType as M;
    use TargetKind as T;
    let mut ops = create_all();
    ops.extend([
        Op::CreateShare(0, r(0)),
        Op::CreateShare(1, r(0)),
        Op::CreateHandle(0, r(0), r(0)),
        Op::AddMember(T::Handle, r(0), M::User, r(1), 0b001),
        Op::AddMember(T::Space, r(0), M::User, r(0), 0),
        Op::AddOwner(r(0), r(0)),
        Op::AddMember(T::Space, r(0), M::Group, r(0), 0b0001),
        join(0, 1, 0),
        Op::AddOwner(r(0), r(1)),
        Op::Link(r(0), r(0)),
    ]);
    let mut h = run(&ops);
    let (s0, u0, u1) = (
        h.current::<Space>("s0"),
        h.current::<User>("u0"),
        h.current::<User>("u1"),
    );
    assert!(h.graph.has_privilege(u0, s0, from_mask(0b1111)));
    assert!(h.graph.has_privilege(u1, s0, from_mask(0b1111)));
    assert_eq!(h.graph.effective_privileges(u0, s0).map(to_mask), Some(0));
    // Refusals.
    refused(
        &mut h,
        Op::Delete(EntityKind::HandleService, r(0)),
        &GraphError::HandleServiceNotEmpty {
            handle_service: entity(EntityKind::HandleService, "hs0"),
            handles: 1,
        },
    );
    refused(
        &mut h,
        Op::AddMember(T::Space, r(0), M::User, r(0), 0),
        &GraphError::RelationExists {
            child: entity(EntityKind::User, "u0"),
            parent: entity(EntityKind::Space, "s0"),
        },
    );
    for op in [
        Op::CreateHandle(1, r(1), r(0)),
        Op::AddOwner(r(0), r(0)),
        Op::AddOwner(r(0), r(2)),
        Op::RemoveOwner(r(1), r(0)),
        Op::Link(r(0), r(0)),
        Op::Unlink(r(1), r(0)),
    ] {
        let before = h.graph.clone();
        h.step(&op).unwrap();
        assert!(h.graph == before, "{op:?} should have been refused");
    }
    // u1 leaves g0: its ownership (held through g0 only) ends.
    h.step(&join(0, 1, 0).clone_as_removal()).unwrap();
    assert!(!h.graph.is_space_owner(s0, u1));
    assert!(!h.graph.has_privilege(u1, s0, from_mask(0)));
    // Deleting the space deletes its shares and their handle; hs0 can go afterwards.
    h.step(&Op::Delete(EntityKind::Space, r(0))).unwrap();
    assert_eq!(h.graph.len::<Share>(), 0);
    assert_eq!(h.graph.len::<Handle>(), 0);
    h.step(&Op::Delete(EntityKind::HandleService, r(0)))
        .unwrap();
    // Recreate s0 and u0: the old keys are stale and rejected.
    h.step(&Op::Create(EntityKind::Space, 0)).unwrap();
    h.step(&Op::Delete(EntityKind::User, r(0))).unwrap();
    h.step(&Op::Create(EntityKind::User, 0)).unwrap();
    assert_ne!(h.current::<Space>("s0"), s0);
    assert_eq!(
        h.graph
            .add_member(s0, h.current::<User>("u0"), from_mask(0)),
        Err(GraphError::UnknownEntity {
            kind: EntityKind::Space
        })
    );
    assert_eq!(
        h.graph
            .add_member(h.current::<Space>("s0"), u0, from_mask(0)),
        Err(GraphError::UnknownEntity {
            kind: EntityKind::User
        })
    );
    h.step(&Op::AddMember(
        T::Space,
        r(0),
        M::User,
        R { idx: 0, back: 1 },
        0,
    ))
    .unwrap();
    h.step(&Op::AddMember(T::Space, r(0), M::User, r(0), 0))
        .unwrap();
    assert!(
        h.graph
            .is_effective_member(h.current::<User>("u0"), h.current::<Space>("s0"))
    );
    assert!(!h.graph.is_effective_member(u0, h.current::<Space>("s0")));
}

// ----- regressions: minimal cases of bugs the property found ---------------------------

/// Found by `graph_agrees_with_model` (step 28 of its first failing case): a user who
/// joins a group *after* the group became a member of a resource did not become an
/// effective member of the resource — `propagate_gains` carried a new group membership
/// up to the group's parent groups only, never to the group's resources.
#[test]
fn regression_user_joining_a_group_enters_the_groups_resources() {
    use privgraph::privileges::{GroupPrivileges as G, HandleServicePrivileges as HS};
    let mut graph = Graph::new();
    let u = graph.create::<User>("u").unwrap();
    let team = graph.create::<Group>("team").unwrap();
    let hs = graph.create::<HandleService>("hs").unwrap();
    graph.add_member(hs, team, HS::HANDLE_SERVICE_VIEW).unwrap();
    graph.add_member(team, u, G::empty()).unwrap();
    assert_eq!(
        graph.effective_privileges(u, hs),
        Some(HS::HANDLE_SERVICE_VIEW)
    );
    assert_eq!(graph.effective_members::<User, HandleService>(hs), vec![u]);
    assert_eq!(
        graph.effective_memberships::<User, HandleService>(u),
        vec![hs]
    );
}

/// The same through nesting: a group (with its user) nested under a group that is
/// already in a space must enter the space, with the parent's privileges there.
#[test]
fn regression_nesting_under_a_group_enters_the_parents_resources() {
    use privgraph::privileges::{GroupPrivileges as G, SpacePrivileges as S};
    let mut graph = Graph::new();
    let u = graph.create::<User>("u").unwrap();
    let (parent, child) = (
        graph.create::<Group>("parent").unwrap(),
        graph.create::<Group>("child").unwrap(),
    );
    let space = graph.create::<Space>("s").unwrap();
    graph.add_member(space, parent, S::SPACE_VIEW).unwrap();
    graph.add_member(child, u, G::empty()).unwrap();
    graph
        .nest(Child(child), Parent(parent), G::empty())
        .unwrap();
    assert_eq!(graph.effective_privileges(u, space), Some(S::SPACE_VIEW));
    assert_eq!(
        graph.effective_privileges(child, space),
        Some(S::SPACE_VIEW)
    );
    assert_eq!(
        graph.intermediaries(u, space),
        Some(vec![Intermediary::Group(parent)])
    );
}

/// The loss side of the same bug: a user who leaves the group kept a stale effective
/// membership (and privileges, and ownership) in the group's resources —
/// `propagate_losses` also followed parent groups only.
#[test]
fn regression_user_leaving_a_group_leaves_the_groups_resources() {
    use privgraph::privileges::{GroupPrivileges as G, SpacePrivileges as S};
    let mut graph = Graph::new();
    let u = graph.create::<User>("u").unwrap();
    let team = graph.create::<Group>("team").unwrap();
    let space = graph.create::<Space>("s").unwrap();
    graph.add_member(team, u, G::empty()).unwrap();
    graph.add_member(space, team, S::SPACE_VIEW).unwrap();
    graph.add_space_owner(space, u).unwrap();
    graph.remove_member(team, u).unwrap();
    assert_eq!(graph.effective_privileges(u, space), None);
    assert!(!graph.has_privilege(u, space, S::empty()));
    assert!(graph.space_owners(space).is_empty());
    assert!(graph.effective_members::<User, Space>(space).is_empty());
}

// ----- the fuzz target's entry point ---------------------------------------------------

/// Runs the operations that `data` decodes to through the model and the graph and
/// panics on any disagreement. The cargo-fuzz target `operations`
/// (`fuzz/fuzz_targets/operations.rs`) includes this file as a module and calls this,
/// so the fuzzer and the proptest share one reference model.
#[allow(dead_code)] // used by the fuzz target only
pub fn fuzz_operations(data: &[u8]) {
    let ops = decode_ops(data);
    let _ = run(&ops);
}

/// A cursor over fuzz input; `None` when the bytes run out.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&first, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(first)
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> Option<T> {
        Some(items[self.byte()? as usize % items.len()])
    }

    fn below(&mut self, n: usize) -> Option<usize> {
        Some(self.byte()? as usize % n)
    }

    fn r(&mut self) -> Option<R> {
        Some(R {
            idx: self.below(6)?,
            back: self.below(3)?,
        })
    }

    fn mask(&mut self) -> Option<u8> {
        Some(self.byte()? & 0x0f)
    }

    fn update(&mut self) -> Option<Upd> {
        Some(if self.byte()? % 2 == 0 {
            Upd::Set(self.mask()?)
        } else {
            Upd::GrantRevoke(self.mask()?, self.mask()?)
        })
    }
}

const MEMBER_TYPES: [MemberType; 2] = [MemberType::User, MemberType::Group];

/// How many operations one fuzz input decodes to at most. Every accepted step is
/// followed by a comparison of every query with the model, so an input costs about its
/// length times the pairs of the universe; 32 operations create every entity of the
/// fuzzing universe and relate them, and the proptest above runs the long sequences (up
/// to 200 operations) on the larger universe.
const FUZZ_OPS: usize = 32;

/// Decodes up to [`FUZZ_OPS`] operations, with the same ranges as the proptest
/// strategies.
fn decode_ops(data: &[u8]) -> Vec<Op> {
    let mut b = Bytes(data);
    let mut ops = Vec::new();
    while ops.len() < FUZZ_OPS {
        let Some(op) = decode_op(&mut b) else { break };
        ops.push(op);
    }
    ops
}

fn decode_op(b: &mut Bytes<'_>) -> Option<Op> {
    Some(match b.below(17)? {
        0 => Op::Create(b.pick(&INDEPENDENT)?, b.below(6)?),
        1 => Op::CreateBadId(b.pick(&INDEPENDENT)?, b.byte()? % 2 == 0),
        2 => Op::CreateShare(b.below(3)?, b.r()?),
        3 => Op::CreateHandle(b.below(2)?, b.r()?, b.r()?),
        4 => Op::Delete(b.pick(&EntityKind::ALL)?, b.r()?),
        5 => Op::AddMember(
            b.pick(&TargetKind::ALL)?,
            b.r()?,
            b.pick(&MEMBER_TYPES)?,
            b.r()?,
            b.mask()?,
        ),
        6 => Op::RemoveMember(
            b.pick(&TargetKind::ALL)?,
            b.r()?,
            b.pick(&MEMBER_TYPES)?,
            b.r()?,
        ),
        7 => Op::UpdatePrivileges(
            b.pick(&TargetKind::ALL)?,
            b.r()?,
            b.pick(&MEMBER_TYPES)?,
            b.r()?,
            b.update()?,
        ),
        8 => Op::UpdateOz(b.pick(&MEMBER_TYPES)?, b.r()?, b.update()?),
        9 => Op::AddOwner(b.r()?, b.r()?),
        10 => Op::RemoveOwner(b.r()?, b.r()?),
        11 => Op::Link(b.r()?, b.r()?),
        12 => Op::Unlink(b.r()?, b.r()?),
        13 => Op::RemoveExisting(b.byte()? as usize),
        14 => Op::UpdateExisting(b.byte()? as usize, b.update()?),
        15 => Op::OwnEffective(b.byte()? as usize),
        _ => Op::DisownExisting(b.byte()? as usize),
    })
}

#[test]
fn fuzz_entry_point_decodes_and_runs_operations() {
    // Create two entities of each kind, nest group 1 under group 0, put user 0 in
    // group 1.
    let mut data = Vec::new();
    let kinds = INDEPENDENT.len();
    for kind in 0..kinds as u8 {
        for idx in 0..2u8 {
            data.extend([0, kind, idx]);
        }
    }
    data.extend([5, 0, 0, 0, 1, 1, 0, 0b0011]); // AddMember(Group g0 <- Group g1)
    data.extend([5, 0, 1, 0, 0, 0, 0, 0b0001]); // AddMember(Group g1 <- User u0)
    let ops = decode_ops(&data);
    assert_eq!(ops.len(), 2 * kinds + 2);
    // An input never decodes to more than FUZZ_OPS operations.
    assert_eq!(decode_ops(&data.repeat(FUZZ_OPS)).len(), FUZZ_OPS);
    assert_eq!(
        ops[2 * kinds],
        Op::AddMember(TargetKind::Group, r(0), MemberType::Group, r(1), 0b0011)
    );
    let h = run(&ops);
    let (u0, g0) = (
        h.graph.key::<User>(ids(EntityKind::User)[0]).expect("u0"),
        h.graph.key::<Group>(ids(EntityKind::Group)[0]).expect("g0"),
    );
    assert!(h.graph.is_effective_member(u0, g0));
    fuzz_operations(&data);
}
