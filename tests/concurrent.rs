//! Readers and one writer: readers see whole batches, never part of one.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use privgraph::concurrent::{Reader, Writer};
use privgraph::graph::{
    Author, Batch, Change, EntityKind, Graph, Group, HandleService, MemberType, TargetKind, User,
};
use privgraph::privileges::{GroupPrivileges as G, HandleServicePrivileges as HS};

const USERS: usize = 100;

fn start() -> Graph {
    let mut graph = Graph::new();
    let hs = graph.create::<HandleService>("hs").unwrap();
    for i in 0..USERS {
        graph.create::<User>(&format!("u{i}")).unwrap();
    }
    let _ = hs;
    graph
}

/// Creating group `g`, putting every user in it and making it a member of `hs`.
fn group_in(changes_per_batch: usize) -> Vec<Batch> {
    let mut changes = vec![
        Change::Create {
            kind: EntityKind::Group,
            id: "g".into(),
        },
        Change::AddMember {
            kind: TargetKind::HandleService,
            id: "hs".into(),
            member_type: MemberType::Group,
            member_id: "g".into(),
            privileges: HS::HANDLE_SERVICE_VIEW.into(),
        },
    ];
    for i in 0..USERS {
        changes.push(Change::AddMember {
            kind: TargetKind::Group,
            id: "g".into(),
            member_type: MemberType::User,
            member_id: format!("u{i}"),
            privileges: G::GROUP_VIEW.into(),
        });
    }
    changes
        .chunks(changes_per_batch)
        .map(|chunk| Batch::new(Author::Library, chunk.to_vec()))
        .collect()
}

fn group_out() -> Batch {
    Batch::new(
        Author::Library,
        vec![Change::Delete {
            kind: EntityKind::Group,
            id: "g".into(),
        }],
    )
}

/// What a reader checks: the group exists with all its users holding the privilege
/// through it, or it does not exist and nobody holds it. Returns false for any other
/// state (a batch seen in part).
fn whole(reader: &Reader) -> bool {
    let graph = reader.read();
    let holders = (0..USERS)
        .filter(|i| {
            graph.has_privilege_by_id::<User, _>(&format!("u{i}"), "hs", HS::HANDLE_SERVICE_VIEW)
        })
        .count();
    let group = graph.key::<Group>("g");
    let in_group = group.map_or(0, |g| graph.direct_members::<User, Group>(g).len());
    match group {
        Some(_) => holders == USERS && in_group == USERS,
        None => holders == 0,
    }
}

/// Runs `write` on the writer while two reader threads call `right` in a loop; returns
/// how many of their calls answered false.
fn wrong_while_writing(
    writer: &mut Writer,
    right: impl Fn(&Reader) -> bool + Sync,
    write: impl FnOnce(&mut Writer),
) -> usize {
    let done = AtomicBool::new(false);
    let wrong = AtomicUsize::new(0);
    let checks = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..2 {
            let reader = writer.reader();
            let (done, wrong, checks, right) = (&done, &wrong, &checks, &right);
            scope.spawn(move || {
                while !done.load(Ordering::Relaxed) {
                    if !right(&reader) {
                        wrong.fetch_add(1, Ordering::Relaxed);
                    }
                    checks.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        write(writer);
        done.store(true, Ordering::Relaxed);
    });
    assert!(checks.load(Ordering::Relaxed) > 0, "the readers ran");
    wrong.load(Ordering::Relaxed)
}

/// Runs `rounds` of the group appearing and disappearing, `changes_per_batch` changes
/// to a batch, while two readers check; returns how many partial states they saw.
fn partial_states_seen(changes_per_batch: usize, rounds: usize) -> usize {
    wrong_while_writing(&mut Writer::new(start()), whole, |writer| {
        for _ in 0..rounds {
            for batch in group_in(changes_per_batch) {
                writer.commit(batch).expect("the group goes in");
            }
            writer.commit(group_out()).expect("and out");
        }
    })
}

#[test]
fn readers_never_see_half_a_batch() {
    assert_eq!(partial_states_seen(usize::MAX, 100), 0);
}

#[test]
fn both_copies_agree_after_every_publish() {
    let mut writer = Writer::new(start());
    let reader = writer.reader();
    for (round, batch) in group_in(7).into_iter().chain([group_out()]).enumerate() {
        let revision = writer.commit(batch).unwrap();
        assert_eq!(revision, round as u64 + 1);
        assert_eq!(reader.revision(), revision);
        let published = privgraph::snapshot::save(&reader.read());
        assert_eq!(
            privgraph::snapshot::save(writer.graph()),
            published,
            "round {round}"
        );
    }
}

#[test]
fn staged_batches_are_invisible_until_published_and_can_be_taken_back() {
    let mut writer = Writer::new(start());
    let reader = writer.reader();
    let before = privgraph::snapshot::save(&reader.read());
    for batch in group_in(usize::MAX) {
        assert_eq!(writer.stage_batch(batch).unwrap(), 1);
    }
    assert_eq!(writer.staged().count(), 1);
    assert_eq!(reader.revision(), 0);
    assert!(
        reader.read().key::<Group>("g").is_none(),
        "staged, not published"
    );
    writer.rollback();
    assert_eq!(writer.staged().count(), 0);
    assert_eq!(privgraph::snapshot::save(writer.graph()), before);
    assert_eq!(writer.graph().revision(), 0);
    assert_eq!(writer.publish(), 0);
    // A refused batch is not staged.
    let refused = Batch::new(
        Author::Library,
        vec![Change::Delete {
            kind: EntityKind::Group,
            id: "g".into(),
        }],
    );
    assert!(writer.stage_batch(refused).is_err());
    assert_eq!(writer.staged().count(), 0);
}

#[test]
fn a_reader_waits_for_a_revision() {
    let mut writer = Writer::new(start());
    let reader = writer.reader();
    let waiter = std::thread::spawn(move || {
        reader
            .wait_for(2, Duration::from_secs(30))
            .map(|g| g.revision())
    });
    for batch in group_in(usize::MAX).into_iter().chain([group_out()]) {
        writer.commit(batch).unwrap();
    }
    assert_eq!(waiter.join().unwrap(), Ok(2));
    let late = writer
        .reader()
        .wait_for(9, Duration::from_millis(10))
        .unwrap_err();
    assert_eq!((late.wanted, late.current), (9, 2));
}

/// Keys taken from the published copy work on the writer's copy and on later
/// published ones: both copies share one identity and one slot layout.
#[test]
fn keys_from_a_reader_stay_valid_across_publishes() {
    let mut writer = Writer::new(start());
    let reader = writer.reader();
    let u0 = reader.read().key::<User>("u0").unwrap();
    let hs = reader.read().key::<HandleService>("hs").unwrap();
    for batch in group_in(usize::MAX) {
        writer.commit(batch).unwrap();
    }
    assert!(reader.has_privilege(u0, hs, HS::HANDLE_SERVICE_VIEW));
    assert!(
        writer
            .graph()
            .has_privilege(u0, hs, HS::HANDLE_SERVICE_VIEW)
    );
    writer.commit(group_out()).unwrap();
    assert!(!reader.has_privilege(u0, hs, HS::HANDLE_SERVICE_VIEW));
}

/// A checker sees each publish at its next check and lets go of the copy it read
/// before: the writer's next write, which needs that copy back, goes through (it would
/// wait forever for a checker still holding it).
#[test]
fn a_checker_follows_publishes_and_releases_the_copy_it_left() {
    let mut writer = Writer::new(start());
    let reader = writer.reader();
    let mut checker = reader.checker();
    let u0 = reader.read().key::<User>("u0").unwrap();
    let hs = reader.read().key::<HandleService>("hs").unwrap();
    assert!(!checker.has_privilege(u0, hs, HS::HANDLE_SERVICE_VIEW));
    for batch in group_in(usize::MAX) {
        writer.commit(batch).unwrap();
        assert_eq!(checker.graph().revision(), writer.graph().revision());
    }
    assert!(checker.has_privilege(u0, hs, HS::HANDLE_SERVICE_VIEW));
    assert!(checker.has_privilege_by_id::<User, _>("u0", "hs", HS::HANDLE_SERVICE_VIEW));
    writer.commit(group_out()).unwrap();
    assert!(!checker.has_privilege(u0, hs, HS::HANDLE_SERVICE_VIEW));
    assert!(!checker.has_privilege_by_id::<User, _>("u0", "hs", HS::HANDLE_SERVICE_VIEW));
    assert_eq!(checker.graph().revision(), reader.revision());
}

/// One-shot checks (`Reader::has_privilege*`, which take no guard) never read a copy
/// while the writer changes it: the writer's catch-up after each publish rebuilds the
/// tables a check reads (thousands of users come and go at once, so the target's
/// effective users and the id index grow, shrink and move), and a user who stays a
/// member throughout must be found by every check.
#[test]
fn one_shot_checks_never_read_a_copy_being_changed() {
    const CROWD: usize = 2_000;
    let mut graph = Graph::new();
    let hs = graph.create::<HandleService>("hs").unwrap();
    let stays = graph.create::<User>("stays").unwrap();
    graph
        .add_member(hs, stays, HS::HANDLE_SERVICE_VIEW)
        .unwrap();
    let mut writer = Writer::new(graph);
    let crowd = |join: bool| {
        let mut changes = Vec::new();
        for i in 0..CROWD {
            let id = format!("crowd{i}");
            if join {
                changes.push(Change::Create {
                    kind: EntityKind::User,
                    id: id.clone(),
                });
                changes.push(Change::AddMember {
                    kind: TargetKind::HandleService,
                    id: "hs".into(),
                    member_type: MemberType::User,
                    member_id: id,
                    privileges: HS::HANDLE_SERVICE_VIEW.into(),
                });
            } else {
                changes.push(Change::Delete {
                    kind: EntityKind::User,
                    id,
                });
            }
        }
        Batch::new(Author::Library, changes)
    };
    let right = |reader: &Reader| {
        reader.has_privilege(stays, hs, HS::HANDLE_SERVICE_VIEW)
            && reader.has_privilege_by_id::<User, _>("stays", "hs", HS::HANDLE_SERVICE_VIEW)
            && !reader.has_privilege_by_id::<User, _>("nobody", "hs", HS::HANDLE_SERVICE_VIEW)
    };
    let wrong = wrong_while_writing(&mut writer, right, |writer| {
        for _ in 0..40 {
            writer.commit(crowd(true)).expect("the crowd joins");
            writer.commit(crowd(false)).expect("and leaves");
        }
    });
    assert_eq!(wrong, 0);
}
