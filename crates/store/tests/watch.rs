//! Watching a store: the events recomputed from the log after every revision (with
//! checkpoints at, before and after it) equal those of one uninterrupted watch; a
//! watcher cut off for falling behind resumes after the revision it was told and the
//! joined stream equals the uninterrupted one; a revision past the head is refused.

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;

use privgraph::graph::{Author, Batch, Change, Graph, MemberType, TargetKind};
use privgraph::privileges::{AnyPrivileges, GroupPrivileges, SpacePrivileges as S};
use privgraph::watch::{self as library, WatchEvent};
use privgraph_store::{Config, LogWatch, Store, WatchError, init};

const START: &str = r#"{"version": 1,
    "users": [{"id": "u0"}, {"id": "u1"}, {"id": "u2"}],
    "groups": [{"id": "g0", "users": {"u0": []}}, {"id": "g1", "users": {"u1": []}},
               {"id": "g2", "children": {"g0": []}}],
    "spaces": [{"id": "s0"}, {"id": "s1"}]
}"#;

fn start() -> Graph {
    privgraph::snapshot::load(START).expect("the starting snapshot loads")
}

/// A small deterministic generator (xorshift), so a failure repeats.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// A batch of one or two membership changes in spaces and groups, some of which may
/// be refused (the store keeps only the accepted ones).
fn random_batch(rng: &mut Rng) -> Batch {
    let mut changes = Vec::new();
    for _ in 0..=rng.below(2) {
        let space = format!("s{}", rng.below(2));
        let (member_type, member_id) = if rng.below(2) == 0 {
            (MemberType::User, format!("u{}", rng.below(3)))
        } else {
            (MemberType::Group, format!("g{}", rng.below(3)))
        };
        let privileges = [
            S::SPACE_VIEW,
            S::SPACE_VIEW | S::SPACE_WRITE_DATA,
            S::empty(),
        ][rng.below(3) as usize];
        let privileges = AnyPrivileges::from(privileges);
        changes.push(match rng.below(4) {
            0 => Change::AddMember {
                kind: TargetKind::Space,
                id: space,
                member_type,
                member_id,
                privileges,
            },
            1 => Change::RemoveMember {
                kind: TargetKind::Space,
                id: space,
                member_type,
                member_id,
            },
            2 => Change::SetMemberPrivileges {
                kind: TargetKind::Space,
                id: space,
                member_type,
                member_id,
                privileges,
            },
            _ => Change::AddMember {
                kind: TargetKind::Group,
                id: format!("g{}", rng.below(3)),
                member_type: MemberType::User,
                member_id: format!("u{}", rng.below(3)),
                privileges: AnyPrivileges::from(GroupPrivileges::empty()),
            },
        });
    }
    Batch::new(Author::Library, changes)
}

/// A store holding `count` accepted batches, with a checkpoint every 3 of them.
fn store_with(count: u64, seed: u64) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    init(dir.path(), &start()).expect("init");
    let config = Config {
        checkpoint_every: 3,
        checkpoints_kept: 100,
        ..Config::default()
    };
    let store = Store::open(dir.path(), config).expect("the store opens");
    let mut rng = Rng(seed);
    while store.revision() < count {
        // A refused batch is not stored and takes no revision.
        let _ = store.handle().commit(random_batch(&mut rng));
    }
    (dir, store)
}

/// Every event after `since`, from the library's replay of the whole log from the
/// starting graph: the uninterrupted watch.
fn uninterrupted(dir: &std::path::Path, since: u64) -> Vec<WatchEvent> {
    let mut batches = Vec::new();
    privgraph_store::log(dir, 0, |line| {
        batches.push(serde_json::from_str(line).map_err(std::io::Error::other)?);
        Ok(())
    })
    .expect("the log reads");
    library::replay(start(), since, batches)
        .collect::<Result<_, _>>()
        .expect("the log replays")
}

fn revisions(events: &[WatchEvent]) -> Vec<u64> {
    events.iter().map(|e| e.revision).collect()
}

#[test]
fn the_log_serves_every_revision_from_the_checkpoint_before_it() {
    let (dir, store) = store_with(20, 0x5eed);
    let all = uninterrupted(dir.path(), 0);
    assert_eq!(revisions(&all), (1..=20).collect::<Vec<_>>());
    assert!(
        all.iter().filter(|e| !e.effective.is_empty()).count() > 5,
        "the batches change privileges"
    );
    for since in 0..=20 {
        let mut watch = LogWatch::open(dir.path(), Some(since)).expect("the watch opens");
        assert_eq!(watch.revision(), since);
        let mut got = Vec::new();
        // Small pages: each read continues exactly where the last one ended.
        loop {
            let page = watch.next_events(4).expect("the log reads");
            if page.is_empty() {
                break;
            }
            got.extend(page);
        }
        assert_eq!(got, all[since as usize..], "after revision {since}");
        assert_eq!(
            watch.graph(),
            &*store.reader().read(),
            "after revision {since}"
        );
    }
    // Batches committed while a log watch is open are read by its next call.
    let mut watch = LogWatch::open(dir.path(), None).expect("the watch opens");
    assert_eq!(watch.revision(), 20);
    assert!(watch.next_events(10).expect("the log reads").is_empty());
    let mut rng = Rng(7);
    while store.revision() < 23 {
        let _ = store.handle().commit(random_batch(&mut rng));
    }
    let more = watch.next_events(10).expect("the log reads");
    assert_eq!(more, uninterrupted(dir.path(), 20));
}

#[test]
fn a_revision_past_the_head_is_refused_with_the_head() {
    let (dir, store) = store_with(2, 1);
    assert_eq!(
        LogWatch::open(dir.path(), Some(3)).map(|_| ()),
        Err(WatchError::NotServable { since: 3, head: 2 })
    );
    let capacity = NonZeroUsize::new(4).unwrap();
    let refused = store.watcher().watch(Some(9), capacity).map(|_| ());
    assert_eq!(refused, Err(WatchError::NotServable { since: 9, head: 2 }));
    let empty = tempfile::tempdir().unwrap();
    assert!(matches!(
        LogWatch::open(empty.path(), Some(0)),
        Err(WatchError::Store(
            privgraph_store::StoreError::NotAStore { .. }
        ))
    ));
}

/// Receives until `count` events came or the watch ended; answers them and the end.
fn receive(
    watch: &mut privgraph_store::StoreWatch,
    count: usize,
) -> (Vec<WatchEvent>, Option<WatchError>) {
    let mut got = Vec::new();
    while got.len() < count {
        match watch.recv_timeout(Duration::from_secs(10)) {
            Ok(Some(event)) => got.push(Arc::unwrap_or_clone(event)),
            Ok(None) => panic!("no event within 10 s after {:?}", revisions(&got)),
            Err(err) => return (got, Some(err)),
        }
    }
    (got, None)
}

#[test]
fn a_watcher_cut_off_resumes_after_its_last_revision_and_misses_nothing() {
    let (dir, store) = store_with(6, 42);
    let watcher = store.watcher();
    // A watcher from revision 2 with room for two live events, which reads three
    // events and then stops reading while ten more batches are committed.
    let mut slow = watcher
        .watch(Some(2), NonZeroUsize::new(2).unwrap())
        .expect("the watch starts");
    assert_eq!(slow.started_after(), 2);
    let (mut joined, end) = receive(&mut slow, 3);
    assert_eq!(end, None);
    let mut rng = Rng(99);
    while store.revision() < 16 {
        let _ = store.handle().commit(random_batch(&mut rng));
    }
    // It gets what was queued, then the cut.
    let (rest, end) = receive(&mut slow, usize::MAX);
    joined.extend(rest);
    let Some(WatchError::Live(library::WatchError::CutOff {
        resume_after,
        capacity: 2,
    })) = end
    else {
        panic!("the slow watcher is cut off, not {end:?}");
    };
    assert_eq!(resume_after, joined.last().map_or(2, |e| e.revision));
    assert!(resume_after < 16, "it fell behind");
    // The writer went on meanwhile; resuming gives the rest, from the log and live.
    let mut resumed = watcher
        .watch(Some(resume_after), NonZeroUsize::new(64).unwrap())
        .expect("the watch resumes");
    let (rest, end) = receive(&mut resumed, (16 - resume_after) as usize);
    assert_eq!(end, None);
    joined.extend(rest);
    while store.revision() < 18 {
        let _ = store.handle().commit(random_batch(&mut rng));
    }
    let (live, end) = receive(&mut resumed, 2);
    assert_eq!(end, None);
    joined.extend(live);
    assert_eq!(joined, uninterrupted(dir.path(), 2));
    // Closing the store ends the watch, naming where to resume.
    drop(watcher);
    store.close();
    let (none, end) = receive(&mut resumed, 1);
    assert!(none.is_empty());
    assert_eq!(
        end,
        Some(WatchError::Live(library::WatchError::Closed {
            resume_after: 18
        }))
    );
}
