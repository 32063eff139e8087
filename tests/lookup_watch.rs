//! Lookups and effective deltas against the reference model (`tests/support/model.rs`).
//!
//! A proptest applies random batches of changes — memberships, nesting, privileges, oz
//! privileges, ownerships, deletions with their cascades, some refused — both to a
//! `Graph` (through `apply_with_deltas`) and to the model, which keeps direct relations
//! only and searches for everything effective. After every batch:
//!
//! - **deltas:** the model's state before the batch, materialized as a map from
//!   (subject, resource) to what a check answers there (a space owner: every space
//!   privilege; `oz`: effective oz privileges), updated with every delta of the batch,
//!   equals the model's state after it; each delta's `before` is what the map held,
//!   and differs from its `after`; no pair is reported twice; deltas come in order; a
//!   refused batch changes nothing and answers nothing.
//! - **lookups:** for every subject (users and groups), every kind and every privilege
//!   of the test's flags, `resources_by_id` equals the filter of every entity of the
//!   kind by the model's answer (and, for users, by `check`); `subjects_by_id` equals
//!   the filter of every user and group; read page by page with a small limit, the
//!   pages join into the same answer. The typed lookups are asked about privilege
//!   sets (several flags, and none: any membership). Oz privileges never count.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::num::NonZeroUsize;

use privgraph::graph::{
    Author, Batch, Change, EntityKind, Graph, GraphError, Group, Key, MemberKind, MemberType,
    Target, TargetKind, User,
};
use privgraph::lookup::{PageRequest, Subject, resources_by_id, subjects_by_id};
use privgraph::privileges::{
    AnyPrivileges, ClusterPrivileges, OzPrivileges, Privileges, SpacePrivileges,
};
use privgraph::watch::{EffectiveDelta, Resource};
use privgraph::with_target_kind;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use support::model::{
    Id, Model, Upd, from_mask, full_mask, independent_kinds, member_kind, universe_ids as ids,
    weighted,
};

type TestResult = Result<(), TestCaseError>;

// ----- the universe -------------------------------------------------------------------

fn id(kind: EntityKind, i: usize) -> Id {
    let all = ids(kind);
    all[i % all.len()]
}

/// The model's mask as a set of the kind's vocabulary.
fn set_of(kind: TargetKind, mask: u8) -> AnyPrivileges {
    with_target_kind!(kind, T => from_mask::<<T as Target>::Privileges>(mask).into_any())
}

fn mask_width(kind: TargetKind) -> u8 {
    with_target_kind!(kind, T => full_mask::<<T as Target>::Privileges>())
}

// ----- operations ---------------------------------------------------------------------

/// An operation as generated: entity indices, masks, or "the n-th existing relation".
#[derive(Debug, Clone)]
enum Step {
    Create(EntityKind, usize),
    CreateShare(usize, usize),
    CreateHandle(usize, usize, usize),
    Delete(EntityKind, usize),
    Add(TargetKind, usize, MemberType, usize, u8),
    Remove(TargetKind, usize, MemberType, usize),
    Set(TargetKind, usize, MemberType, usize, u8),
    Oz(MemberType, usize, u8),
    Own(usize, usize),
    Disown(usize, usize),
    Link(usize, usize),
    RemoveExisting(usize),
    SetExisting(usize, u8),
    OwnEffective(usize),
}

/// An operation on named entities of the universe.
#[derive(Debug, Clone, Copy)]
enum Op {
    Create(EntityKind, Id),
    CreateShare(Id, Id),
    CreateHandle(Id, Id, Id),
    Delete(EntityKind, Id),
    Add(TargetKind, Id, MemberType, Id, u8),
    Remove(TargetKind, Id, MemberType, Id),
    Set(TargetKind, Id, MemberType, Id, u8),
    Oz(MemberType, Id, u8),
    Own(Id, Id),
    Disown(Id, Id),
    Link(Id, Id),
}

fn member_id(kind: MemberType, i: usize) -> Id {
    id(member_kind(kind), i)
}

/// The operation a step names in the model's current state (`None`: nothing exists
/// that the step could pick).
fn concrete(model: &Model, step: &Step) -> Option<Op> {
    Some(match *step {
        Step::Create(kind, i) => Op::Create(kind, id(kind, i)),
        Step::CreateShare(i, s) => {
            Op::CreateShare(id(EntityKind::Share, i), id(EntityKind::Space, s))
        }
        Step::CreateHandle(i, hs, sh) => Op::CreateHandle(
            id(EntityKind::Handle, i),
            id(EntityKind::HandleService, hs),
            id(EntityKind::Share, sh),
        ),
        Step::Delete(kind, i) => Op::Delete(kind, id(kind, i)),
        Step::Add(tk, t, mt, m, p) => Op::Add(
            tk,
            id(tk.into(), t),
            mt,
            member_id(mt, m),
            p & mask_width(tk),
        ),
        Step::Remove(tk, t, mt, m) => Op::Remove(tk, id(tk.into(), t), mt, member_id(mt, m)),
        Step::Set(tk, t, mt, m, p) => Op::Set(
            tk,
            id(tk.into(), t),
            mt,
            member_id(mt, m),
            p & mask_width(tk),
        ),
        Step::Oz(mt, m, p) => Op::Oz(mt, member_id(mt, m), p & full_mask::<OzPrivileges>()),
        Step::Own(s, u) => Op::Own(id(EntityKind::Space, s), id(EntityKind::User, u)),
        Step::Disown(s, u) => Op::Disown(id(EntityKind::Space, s), id(EntityKind::User, u)),
        Step::Link(h, s) => Op::Link(id(EntityKind::Harvester, h), id(EntityKind::Space, s)),
        Step::RemoveExisting(n) | Step::SetExisting(n, _) => {
            let all: Vec<_> = model
                .direct
                .iter()
                .flat_map(|(&t, members)| members.keys().map(move |&m| (t, m)))
                .collect();
            let &((tk, t), (mt, m)) = all.get(n % all.len().max(1))?;
            match *step {
                Step::SetExisting(_, p) => Op::Set(tk, t, mt, m, p & mask_width(tk)),
                _ => Op::Remove(tk, t, mt, m),
            }
        }
        Step::OwnEffective(n) => {
            let pairs: Vec<(Id, Id)> = ids(EntityKind::Space)
                .iter()
                .flat_map(|&s| ids(EntityKind::User).iter().map(move |&u| (s, u)))
                .filter(|&(s, u)| {
                    model.is_live(EntityKind::Space, s)
                        && model.is_live(EntityKind::User, u)
                        && model.is_eff_member((MemberType::User, u), (TargetKind::Space, s))
                })
                .collect();
            let &(s, u) = pairs.get(n % pairs.len().max(1))?;
            Op::Own(s, u)
        }
    })
}

fn change(op: Op) -> Change {
    let own = |s: Id| s.to_owned();
    match op {
        Op::Create(kind, id) => Change::Create { kind, id: own(id) },
        Op::CreateShare(id, space) => Change::CreateShare {
            id: own(id),
            space_id: own(space),
        },
        Op::CreateHandle(id, hs, share) => Change::CreateHandle {
            id: own(id),
            handle_service_id: own(hs),
            share_id: own(share),
        },
        Op::Delete(kind, id) => Change::Delete { kind, id: own(id) },
        Op::Add(kind, t, member_type, m, p) => Change::AddMember {
            kind,
            id: own(t),
            member_type,
            member_id: own(m),
            privileges: set_of(kind, p),
        },
        Op::Remove(kind, t, member_type, m) => Change::RemoveMember {
            kind,
            id: own(t),
            member_type,
            member_id: own(m),
        },
        Op::Set(kind, t, member_type, m, p) => Change::SetMemberPrivileges {
            kind,
            id: own(t),
            member_type,
            member_id: own(m),
            privileges: set_of(kind, p),
        },
        Op::Oz(member_type, m, p) => Change::SetOzPrivileges {
            member_type,
            id: own(m),
            privileges: from_mask(p),
        },
        Op::Own(s, u) => Change::AddSpaceOwner {
            space_id: own(s),
            user_id: own(u),
        },
        Op::Disown(s, u) => Change::RemoveSpaceOwner {
            space_id: own(s),
            user_id: own(u),
        },
        Op::Link(h, s) => Change::LinkHarvesterSpace {
            harvester_id: own(h),
            space_id: own(s),
        },
    }
}

/// The operation on the model, which refuses exactly what the graph refuses.
fn apply_model(model: &mut Model, op: Op) -> Result<(), GraphError> {
    let live = |model: &Model, kind: EntityKind, id: Id| model.is_live(kind, id).then_some(id);
    match op {
        Op::Create(kind, id) => model.create(kind, id),
        Op::CreateShare(id, s) => {
            let s = live(model, EntityKind::Space, s);
            model.create_share(id, s)
        }
        Op::CreateHandle(id, hs, sh) => {
            let hs = live(model, EntityKind::HandleService, hs);
            let sh = live(model, EntityKind::Share, sh);
            model.create_handle(id, hs, sh)
        }
        Op::Delete(kind, id) => {
            let id = live(model, kind, id);
            model.delete(kind, id)
        }
        Op::Add(tk, t, mt, m, p) => {
            let (t, m) = (live(model, tk.into(), t), live(model, member_kind(mt), m));
            model.add_member(tk, t, mt, m, p)
        }
        Op::Remove(tk, t, mt, m) => {
            let (t, m) = (live(model, tk.into(), t), live(model, member_kind(mt), m));
            model.remove_member(tk, t, mt, m)
        }
        Op::Set(tk, t, mt, m, p) => {
            let (t, m) = (live(model, tk.into(), t), live(model, member_kind(mt), m));
            model.update_privs(tk, t, mt, m, Upd::Set(p)).map(drop)
        }
        Op::Oz(mt, m, p) => {
            let m = live(model, member_kind(mt), m);
            model.update_oz(mt, m, Upd::Set(p)).map(drop)
        }
        Op::Own(s, u) | Op::Disown(s, u) => {
            let s = live(model, EntityKind::Space, s);
            let u = live(model, EntityKind::User, u);
            if matches!(op, Op::Own(..)) {
                model.add_owner(s, u)
            } else {
                model.remove_owner(s, u)
            }
        }
        Op::Link(h, s) => {
            let h = live(model, EntityKind::Harvester, h);
            let s = live(model, EntityKind::Space, s);
            model.link(h, s)
        }
    }
}

// ----- what the model says a check answers --------------------------------------------

type Pair = (Subject, Resource);

fn live_subjects(model: &Model) -> Vec<(MemberType, Id)> {
    [MemberType::User, MemberType::Group]
        .into_iter()
        .flat_map(|mt| {
            ids(member_kind(mt))
                .iter()
                .filter(move |&&id| model.is_live(member_kind(mt), id))
                .map(move |&id| (mt, id))
        })
        .collect()
}

fn live_targets(model: &Model, kind: TargetKind) -> Vec<Id> {
    ids(kind.into())
        .iter()
        .copied()
        .filter(|&id| model.is_live(kind.into(), id))
        .collect()
}

/// What `m` holds in `t` as a mask (every bit for a space owner): `None` when it is no
/// member.
fn model_mask(model: &Model, m: (MemberType, Id), kind: TargetKind, t: Id) -> Option<u8> {
    if m.0 == MemberType::User && kind == TargetKind::Space && model.is_owner(t, m.1) {
        return Some(u8::MAX);
    }
    model.eff_privs(m, (kind, t), &model.eff_groups(m))
}

/// What `m` holds in `t` as a check answers: `None` when it is no member.
fn model_held(
    model: &Model,
    m: (MemberType, Id),
    kind: TargetKind,
    t: Id,
) -> Option<AnyPrivileges> {
    model_mask(model, m, kind, t).map(|mask| match mask {
        u8::MAX => AnyPrivileges::all(kind.vocabulary()),
        mask => set_of(kind, mask),
    })
}

/// Every pair holding something, as the model answers.
fn materialize(model: &Model) -> BTreeMap<Pair, AnyPrivileges> {
    let mut out = BTreeMap::new();
    for m in live_subjects(model) {
        let subject = Subject {
            kind: m.0,
            id: m.1.to_owned(),
        };
        for kind in TargetKind::ALL {
            for t in live_targets(model, kind) {
                if let Some(held) = model_held(model, m, kind, t).filter(|h| !h.is_empty()) {
                    let resource = Resource::Entity {
                        kind,
                        id: t.to_owned(),
                    };
                    out.insert((subject.clone(), resource), held);
                }
            }
        }
        let oz = model.eff_oz(m, &model.eff_groups(m));
        if oz != 0 {
            out.insert(
                (subject.clone(), Resource::Oz),
                from_mask::<OzPrivileges>(oz).into_any(),
            );
        }
    }
    out
}

/// Applies one batch's deltas to `state`, checking each against it.
fn apply_deltas(
    state: &mut BTreeMap<Pair, AnyPrivileges>,
    deltas: &[EffectiveDelta],
) -> TestResult {
    let mut seen = BTreeSet::new();
    for window in deltas.windows(2) {
        prop_assert!(
            (&window[0].subject, &window[0].resource) < (&window[1].subject, &window[1].resource),
            "deltas out of order: {:?} then {:?}",
            window[0],
            window[1]
        );
    }
    for delta in deltas {
        let pair = (delta.subject.clone(), delta.resource.clone());
        prop_assert!(
            seen.insert(pair.clone()),
            "pair reported twice: {:?}",
            delta
        );
        prop_assert!(
            delta.before != delta.after,
            "no change reported: {:?}",
            delta
        );
        let vocabulary = delta.resource.vocabulary();
        prop_assert_eq!(delta.before.vocabulary(), vocabulary);
        prop_assert_eq!(delta.after.vocabulary(), vocabulary);
        let held = state
            .get(&pair)
            .copied()
            .unwrap_or_else(|| AnyPrivileges::empty(vocabulary));
        prop_assert_eq!(held, delta.before, "before of {:?}", delta);
        if delta.after.is_empty() {
            state.remove(&pair);
        } else {
            state.insert(pair, delta.after);
        }
    }
    Ok(())
}

// ----- lookups --------------------------------------------------------------------------

/// The single privileges of the test's flags of `kind`, with their masks.
fn privileges_of(kind: TargetKind) -> Vec<(&'static str, u8)> {
    (0..8)
        .map(|bit| 1u8 << bit)
        .filter(|&mask| mask & mask_width(kind) != 0)
        .filter_map(|mask| Some((set_of(kind, mask).names().first().copied()?, mask)))
        .collect()
}

/// Whether a check grants every privilege of `wanted` (a mask) to what is held.
fn holds(held: Option<u8>, wanted: u8) -> bool {
    held.is_some_and(|held| held & wanted == wanted)
}

/// Every page of a by-id lookup, joined.
fn pages<T>(
    limit: usize,
    mut page: impl FnMut(PageRequest) -> (T, Option<privgraph::lookup::Cursor>),
) -> Vec<T> {
    let mut out = Vec::new();
    let mut request = PageRequest {
        cursor: None,
        limit: NonZeroUsize::new(limit),
    };
    // More pages than entries would be a cursor that does not advance.
    for _ in 0..64 {
        let (items, next) = page(request.clone());
        out.push(items);
        match next {
            Some(cursor) => request.cursor = Some(cursor),
            None => return out,
        }
    }
    panic!("the cursor never reached the end");
}

fn check_lookups(graph: &Graph, model: &Model, limit: usize) -> TestResult {
    let subjects = live_subjects(model);
    for kind in TargetKind::ALL {
        let targets = live_targets(model, kind);
        for (name, mask) in privileges_of(kind) {
            // Resources of every subject.
            for &(mt, m) in &subjects {
                let subject = Subject {
                    kind: mt,
                    id: m.to_owned(),
                };
                let want: Vec<String> = targets
                    .iter()
                    .filter(|&&t| holds(model_mask(model, (mt, m), kind, t), mask))
                    .map(|t| t.to_string())
                    .collect();
                let all = resources_by_id(graph, &subject, kind, name, &PageRequest::default())
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(
                    &all.ids,
                    &want,
                    "resources of {} ({} {})",
                    subject,
                    kind,
                    name
                );
                prop_assert!(all.next.is_none());
                if mt == MemberType::User {
                    let checked: Vec<String> = targets
                        .iter()
                        .filter(|&&t| {
                            privgraph::inspect::check(graph, m, kind, t, name) == Ok(true)
                        })
                        .map(|t| t.to_string())
                        .collect();
                    prop_assert_eq!(&checked, &want, "check disagrees for {}", subject);
                }
                let paged: Vec<String> = pages(limit, |request| {
                    let page = resources_by_id(graph, &subject, kind, name, &request)
                        .expect("a cursor this lookup handed out");
                    assert!(page.ids.len() <= limit);
                    (page.ids, page.next)
                })
                .concat();
                prop_assert_eq!(&paged, &want, "pages of resources of {}", subject);
            }
            // Subjects of every entity.
            for &t in &targets {
                let who = |mt: MemberType| -> Vec<String> {
                    subjects
                        .iter()
                        .filter(|&&(k, m)| {
                            k == mt && holds(model_mask(model, (k, m), kind, t), mask)
                        })
                        .map(|(_, m)| m.to_string())
                        .collect()
                };
                let (users, groups) = (who(MemberType::User), who(MemberType::Group));
                let all = subjects_by_id(graph, kind, t, name, &PageRequest::default())
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(&all.users, &users, "users of {}:{} ({})", kind, t, name);
                prop_assert_eq!(&all.groups, &groups, "groups of {}:{} ({})", kind, t, name);
                let paged = pages(limit, |request| {
                    let page = subjects_by_id(graph, kind, t, name, &request)
                        .expect("a cursor this lookup handed out");
                    assert!(page.users.len() + page.groups.len() <= limit);
                    ((page.users, page.groups), page.next)
                });
                let paged_users: Vec<String> = paged.iter().flat_map(|p| p.0.clone()).collect();
                let paged_groups: Vec<String> = paged.iter().flat_map(|p| p.1.clone()).collect();
                prop_assert_eq!(&paged_users, &users);
                prop_assert_eq!(&paged_groups, &groups);
            }
        }
        with_target_kind!(kind, T => check_typed::<T>(graph, model, &subjects, &targets)?);
    }
    Ok(())
}

/// The typed lookups, asked about sets of several privileges and about none.
fn check_typed<T: Target>(
    graph: &Graph,
    model: &Model,
    subjects: &[(MemberType, Id)],
    targets: &[Id],
) -> TestResult {
    let width = mask_width(T::TARGET);
    for mask in [0, 0b0110 & width, width] {
        let wanted = with_target_kind!(T::TARGET, U => T::Privileges::from_any(from_mask::<<U as Target>::Privileges>(mask).into_any()))
            .ok_or_else(|| TestCaseError::fail("vocabulary"))?;
        for &(mt, m) in subjects {
            let want: Vec<&str> = targets
                .iter()
                .copied()
                .filter(|&t| holds(model_mask(model, (mt, m), T::TARGET, t), mask))
                .collect();
            let got = match mt {
                MemberType::User => typed_resources::<User, T>(graph, m, wanted),
                MemberType::Group => typed_resources::<Group, T>(graph, m, wanted),
            };
            prop_assert_eq!(got, want, "typed resources of {} {} ({:#b})", mt, m, mask);
        }
        for &t in targets {
            let key = graph
                .key::<T>(t)
                .ok_or_else(|| TestCaseError::fail("live target"))?;
            let found = graph.lookup_subjects(key, wanted);
            let users: Vec<&str> = found
                .users
                .into_iter()
                .filter_map(|u| graph.id(u))
                .collect();
            let groups: Vec<&str> = found
                .groups
                .into_iter()
                .filter_map(|g| graph.id(g))
                .collect();
            let want = |kind: MemberType| -> Vec<&str> {
                subjects
                    .iter()
                    .filter(|&&(k, m)| {
                        k == kind && holds(model_mask(model, (k, m), T::TARGET, t), mask)
                    })
                    .map(|&(_, m)| m)
                    .collect()
            };
            prop_assert_eq!(users, want(MemberType::User), "typed users of {}", t);
            prop_assert_eq!(groups, want(MemberType::Group), "typed groups of {}", t);
        }
    }
    Ok(())
}

fn typed_resources<'g, M: MemberKind, T: Target>(
    graph: &'g Graph,
    m: &str,
    wanted: T::Privileges,
) -> Vec<&'g str> {
    let Some(key): Option<Key<M>> = graph.key::<M>(m) else {
        return Vec::new();
    };
    let found = graph.lookup_resources::<M, T>(key, wanted);
    found.into_iter().filter_map(|t| graph.id(t)).collect()
}

// ----- the property ---------------------------------------------------------------------

/// Every entity of the universe, two shares in s0 and one in s1, a handle per service.
fn universe() -> Vec<Op> {
    let mut ops: Vec<Op> = independent_kinds()
        .into_iter()
        .flat_map(|kind| ids(kind).iter().map(move |&id| Op::Create(kind, id)))
        .collect();
    ops.extend([
        Op::CreateShare("sh0", "s0"),
        Op::CreateShare("sh1", "s0"),
        Op::CreateShare("sh2", "s1"),
        Op::CreateHandle("h0", "hs0", "sh0"),
        Op::CreateHandle("h1", "hs1", "sh2"),
    ]);
    ops
}

fn target_kind() -> impl Strategy<Value = TargetKind> {
    weighted(
        &TargetKind::ALL,
        &[(TargetKind::Group, 5), (TargetKind::Space, 2)],
    )
}

fn member_type() -> impl Strategy<Value = MemberType> {
    prop_oneof![Just(MemberType::User), Just(MemberType::Group)]
}

fn any_kind() -> impl Strategy<Value = EntityKind> {
    weighted(
        &EntityKind::ALL,
        &[
            (EntityKind::User, 3),
            (EntityKind::Group, 3),
            (EntityKind::Space, 2),
            (EntityKind::Share, 2),
        ],
    )
}

fn step() -> impl Strategy<Value = Step> {
    let index = || 0..6usize;
    prop_oneof![
        3 => (prop::sample::select(independent_kinds()), index()).prop_map(|(k, i)| Step::Create(k, i)),
        1 => (index(), index()).prop_map(|(i, s)| Step::CreateShare(i, s)),
        1 => (index(), index(), index()).prop_map(|(i, hs, sh)| Step::CreateHandle(i, hs, sh)),
        3 => (any_kind(), index()).prop_map(|(k, i)| Step::Delete(k, i)),
        16 => (target_kind(), index(), member_type(), index(), any::<u8>())
            .prop_map(|(tk, t, mt, m, p)| Step::Add(tk, t, mt, m, p)),
        2 => (target_kind(), index(), member_type(), index())
            .prop_map(|(tk, t, mt, m)| Step::Remove(tk, t, mt, m)),
        2 => (target_kind(), index(), member_type(), index(), any::<u8>())
            .prop_map(|(tk, t, mt, m, p)| Step::Set(tk, t, mt, m, p)),
        4 => (member_type(), index(), any::<u8>()).prop_map(|(mt, m, p)| Step::Oz(mt, m, p)),
        1 => (index(), index()).prop_map(|(s, u)| Step::Own(s, u)),
        1 => (index(), index()).prop_map(|(s, u)| Step::Disown(s, u)),
        1 => (index(), index()).prop_map(|(h, s)| Step::Link(h, s)),
        5 => any::<usize>().prop_map(Step::RemoveExisting),
        4 => (any::<usize>(), any::<u8>()).prop_map(|(n, p)| Step::SetExisting(n, p)),
        3 => any::<usize>().prop_map(Step::OwnEffective),
    ]
}

/// Applies one batch to the graph and the model and compares what it did.
fn run_batch(graph: &mut Graph, model: &mut Model, steps: &[Step]) -> TestResult {
    let mut trial = model.clone();
    let mut changes = Vec::new();
    let mut accepted = true;
    for step in steps {
        let Some(op) = concrete(&trial, step) else {
            continue;
        };
        changes.push(change(op));
        if apply_model(&mut trial, op).is_err() {
            // The model refuses here: so must the graph, undoing the batch.
            accepted = false;
            break;
        }
    }
    let graph_before = graph.clone();
    let revision = graph.revision();
    let batch = Batch::new(Author::Library, changes);
    match graph.apply_with_deltas(&batch) {
        Ok(deltas) => {
            prop_assert!(
                accepted,
                "the graph accepted {:?}, the model refused it",
                batch.changes
            );
            prop_assert_eq!(graph.revision(), revision + 1);
            let mut state = materialize(model);
            apply_deltas(&mut state, &deltas)?;
            prop_assert_eq!(
                state,
                materialize(&trial),
                "the deltas of {:?} do not give the new state",
                batch.changes
            );
            *model = trial;
        }
        Err(err) => {
            prop_assert!(
                !accepted,
                "the graph refused {:?} ({}), the model accepted it",
                batch.changes,
                err
            );
            prop_assert!(*graph == graph_before, "a refused batch changed the graph");
            prop_assert_eq!(graph.revision(), revision);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 500,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Random batches: deltas move the model's state from before to after, and every
    /// lookup equals the brute-force filter, after every batch.
    #[test]
    fn deltas_and_lookups_agree_with_the_model(
        populate in any::<bool>(),
        batches in vec(vec(step(), 1..5), 1..20),
        limit in 1..4usize,
    ) {
        let mut graph = Graph::new();
        let mut model = Model::default();
        if populate {
            let mut trial = model.clone();
            let ops = universe();
            for &op in &ops {
                prop_assert!(apply_model(&mut trial, op).is_ok());
            }
            let batch = Batch::new(Author::Library, ops.into_iter().map(change).collect());
            let deltas = graph.apply_with_deltas(&batch).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(deltas.is_empty(), "creating entities changes no privilege");
            model = trial;
        }
        check_lookups(&graph, &model, limit)?;
        for steps in &batches {
            run_batch(&mut graph, &mut model, steps)?;
            check_lookups(&graph, &model, limit)?;
        }
    }
}

// ----- hand-built cases -----------------------------------------------------------------

fn load(json: &str) -> Graph {
    privgraph::snapshot::load(json).expect("a valid snapshot")
}

fn subject(text: &str) -> Subject {
    text.parse().expect("a subject")
}

/// An owner holds every space privilege; an Onezone admin holds nothing it is not a
/// member of; a user inherits through nested groups.
#[test]
fn owners_count_and_oz_privileges_never_do() {
    let graph = load(
        r#"{"version": 1,
        "users": [{"id": "owner"}, {"id": "admin", "ozPrivileges": ["oz_spaces_view", "oz_spaces_set_privileges"]},
                  {"id": "deep"}],
        "groups": [{"id": "top", "ozPrivileges": ["oz_spaces_view"]},
                   {"id": "mid", "children": {}},
                   {"id": "low", "users": {"deep": []}}],
        "spaces": [{"id": "s1", "owners": ["owner"], "users": {"owner": []},
                    "groups": {"top": ["space_view"]}},
                   {"id": "s2", "users": {"deep": ["space_delete"]}}]}"#,
    );
    let all = PageRequest::default();
    let spaces = |who: &str, privilege: &str| {
        resources_by_id(&graph, &subject(who), TargetKind::Space, privilege, &all)
            .expect("a lookup")
            .ids
    };
    assert_eq!(spaces("user:owner", "space_delete"), ["s1"]);
    assert_eq!(spaces("user:owner", "space_view"), ["s1"]);
    assert!(spaces("user:admin", "space_view").is_empty());
    assert_eq!(spaces("user:deep", "space_delete"), ["s2"]);
    assert!(spaces("user:deep", "space_view").is_empty());
    assert_eq!(spaces("group:top", "space_view"), ["s1"]);

    let holders =
        subjects_by_id(&graph, TargetKind::Space, "s1", "space_view", &all).expect("a lookup");
    assert_eq!(holders.users, ["owner"]);
    assert_eq!(holders.groups, ["top"]);
    let holders =
        subjects_by_id(&graph, TargetKind::Space, "s1", "space_delete", &all).expect("a lookup");
    assert_eq!(holders.users, ["owner"]);
    assert!(holders.groups.is_empty());
}

/// Nesting low → mid → top, each hop with its own privileges: a group holds in an
/// ancestor what the ancestor's direct children among its own ancestors hold there.
#[test]
fn groups_in_groups_inherit_along_the_chain() {
    let graph = load(
        r#"{"version": 1, "users": [{"id": "u"}],
        "groups": [{"id": "top", "children": {"mid": ["group_view", "group_update"]}},
                   {"id": "mid", "children": {"low": ["group_view"]}},
                   {"id": "low", "users": {"u": []}},
                   {"id": "side", "children": {"low": ["group_delete"]}}]}"#,
    );
    let all = PageRequest::default();
    let groups = |who: &str, privilege: &str| {
        resources_by_id(&graph, &subject(who), TargetKind::Group, privilege, &all)
            .expect("a lookup")
            .ids
    };
    assert_eq!(groups("group:low", "group_view"), ["mid", "top"]);
    assert_eq!(groups("group:low", "group_update"), ["top"]);
    assert_eq!(groups("group:low", "group_delete"), ["side"]);
    assert_eq!(groups("user:u", "group_update"), ["top"]);
    let below_top =
        subjects_by_id(&graph, TargetKind::Group, "top", "group_update", &all).expect("a lookup");
    assert_eq!(below_top.users, ["u"]);
    assert_eq!(below_top.groups, ["low", "mid"]);
}

/// Pages of one: every subject once, users first, and a cursor of the other lookup is
/// refused.
#[test]
fn pages_resume_after_the_last_id() {
    let graph = load(
        r#"{"version": 1, "users": [{"id": "b"}, {"id": "a"}],
        "groups": [{"id": "z", "users": {"a": []}}, {"id": "y"}],
        "clusters": [{"id": "c", "users": {"b": ["cluster_view"]},
                      "groups": {"z": ["cluster_view"], "y": ["cluster_view"]}}]}"#,
    );
    let one = NonZeroUsize::new(1);
    let mut request = PageRequest {
        cursor: None,
        limit: one,
    };
    let mut seen = Vec::new();
    loop {
        let page = subjects_by_id(&graph, TargetKind::Cluster, "c", "cluster_view", &request)
            .expect("a lookup");
        seen.extend(page.users.iter().map(|u| format!("user:{u}")));
        seen.extend(page.groups.iter().map(|g| format!("group:{g}")));
        let Some(next) = page.next else { break };
        let wrong = PageRequest {
            cursor: Some(next.clone()),
            limit: one,
        };
        let refused = resources_by_id(
            &graph,
            &subject("user:a"),
            TargetKind::Cluster,
            "cluster_view",
            &wrong,
        );
        assert!(matches!(
            refused,
            Err(privgraph::lookup::LookupError::BadCursor(_))
        ));
        request.cursor = Some(next);
    }
    assert_eq!(seen, ["user:a", "user:b", "group:y", "group:z"]);
}

/// Deleting a space deletes its shares and their handles: every member of each loses
/// what it held there, and nobody else is reported.
#[test]
fn deleting_a_space_reports_its_handles_and_owners() {
    let mut graph = load(
        r#"{"version": 1, "users": [{"id": "u1"}, {"id": "u2"}, {"id": "u3"}],
        "groups": [{"id": "g1", "users": {"u2": []}}],
        "spaces": [{"id": "s1", "owners": ["u3"], "users": {"u3": []}, "groups": {"g1": ["space_view"]}}],
        "shares": [{"id": "sh1", "spaceId": "s1"}],
        "handleServices": [{"id": "hs1", "users": {"u1": ["handle_service_view"]}}],
        "handles": [{"id": "h1", "handleServiceId": "hs1", "shareId": "sh1",
                     "users": {"u1": ["handle_view"]}, "groups": {}}]}"#,
    );
    let batch = Batch::new(
        Author::Root,
        vec![Change::Delete {
            kind: EntityKind::Space,
            id: "s1".into(),
        }],
    );
    let deltas = graph
        .apply_with_deltas(&batch)
        .expect("the space is deleted");
    let lines: Vec<String> = deltas
        .iter()
        .map(|d| serde_json::to_string(d).expect("a delta serializes"))
        .collect();
    let every_space_privilege = serde_json::to_string(&SpacePrivileges::all()).expect("names");
    assert_eq!(
        lines,
        [
            r#"{"subject":"user:u1","resource":"handle:h1","before":["handle_view"],"after":[]}"#
                .to_owned(),
            r#"{"subject":"user:u2","resource":"space:s1","before":["space_view"],"after":[]}"#
                .to_owned(),
            format!(
                r#"{{"subject":"user:u3","resource":"space:s1","before":{every_space_privilege},"after":[]}}"#
            ),
            r#"{"subject":"group:g1","resource":"space:s1","before":["space_view"],"after":[]}"#
                .to_owned(),
        ]
    );
}

/// A membership gained with no privileges is no delta; gaining privileges through it
/// later is one.
#[test]
fn a_membership_without_privileges_is_no_delta() {
    let mut graph = load(r#"{"version": 1, "users": [{"id": "u1"}], "clusters": [{"id": "c1"}]}"#);
    let join = Change::AddMember {
        kind: TargetKind::Cluster,
        id: "c1".into(),
        member_type: MemberType::User,
        member_id: "u1".into(),
        privileges: ClusterPrivileges::empty().into(),
    };
    let deltas = graph
        .apply_with_deltas(&Batch::new(Author::Library, vec![join]))
        .expect("u1 joins");
    assert!(deltas.is_empty(), "{deltas:?}");
    let grant = Change::SetMemberPrivileges {
        kind: TargetKind::Cluster,
        id: "c1".into(),
        member_type: MemberType::User,
        member_id: "u1".into(),
        privileges: ClusterPrivileges::CLUSTER_VIEW.into(),
    };
    let deltas = graph
        .apply_with_deltas(&Batch::new(Author::Library, vec![grant]))
        .expect("u1 gets cluster_view");
    assert_eq!(
        serde_json::to_string(&deltas).expect("deltas serialize"),
        r#"[{"subject":"user:u1","resource":"cluster:c1","before":[],"after":["cluster_view"]}]"#
    );
}
