//! Subscribers of a `concurrent::Writer`: a subscriber cut off for lagging, or dropped,
//! resumes from its last revision through `watch::replay` and a new subscription, and
//! the joined stream equals the one an uninterrupted subscriber received, line for line.

use std::num::NonZeroUsize;
use std::sync::Arc;

use privgraph::concurrent::Writer;
use privgraph::graph::{
    Author, Batch, Change, CommittedBatch, EntityKind, Graph, MemberType, TargetKind,
};
use privgraph::privileges::{
    GroupPrivileges as G, HandleServicePrivileges as HS, OzPrivileges as Oz, SpacePrivileges as S,
};
use privgraph::watch::{Subscription, WatchError, WatchEvent, replay};

fn capacity(n: usize) -> NonZeroUsize {
    NonZeroUsize::new(n).expect("a capacity of at least one")
}

fn create(kind: EntityKind, id: &str) -> Change {
    Change::Create {
        kind,
        id: id.into(),
    }
}

fn join(
    kind: TargetKind,
    id: &str,
    member_type: MemberType,
    member: &str,
    privileges: privgraph::privileges::AnyPrivileges,
) -> Change {
    Change::AddMember {
        kind,
        id: id.into(),
        member_type,
        member_id: member.into(),
        privileges,
    }
}

/// A start graph and twelve batches touching memberships, nesting, privileges, oz
/// privileges, ownership and deletions, each changing some effective privileges.
fn scenario() -> (Graph, Vec<Vec<Change>>) {
    let mut graph = Graph::new();
    let mut setup = Vec::new();
    for u in ["u1", "u2", "u3"] {
        setup.push(create(EntityKind::User, u));
    }
    for g in ["g1", "g2"] {
        setup.push(create(EntityKind::Group, g));
    }
    setup.push(create(EntityKind::Space, "s1"));
    setup.push(create(EntityKind::HandleService, "hs1"));
    graph
        .apply(&Batch::new(Author::Library, setup))
        .expect("the start graph");
    let set = |kind, id: &str, member_type, member: &str, privileges| Change::SetMemberPrivileges {
        kind,
        id: id.into(),
        member_type,
        member_id: member.into(),
        privileges,
    };
    let batches = vec![
        vec![join(
            TargetKind::Group,
            "g1",
            MemberType::User,
            "u1",
            G::GROUP_VIEW.into(),
        )],
        vec![join(
            TargetKind::HandleService,
            "hs1",
            MemberType::Group,
            "g1",
            HS::HANDLE_SERVICE_VIEW.into(),
        )],
        vec![
            join(
                TargetKind::Group,
                "g2",
                MemberType::User,
                "u2",
                G::empty().into(),
            ),
            join(
                TargetKind::Group,
                "g1",
                MemberType::Group,
                "g2",
                G::GROUP_VIEW.into(),
            ),
        ],
        vec![set(
            TargetKind::HandleService,
            "hs1",
            MemberType::Group,
            "g1",
            HS::all().into(),
        )],
        vec![Change::SetOzPrivileges {
            member_type: MemberType::Group,
            id: "g1".into(),
            privileges: Oz::OZ_GROUPS_VIEW,
        }],
        vec![join(
            TargetKind::Space,
            "s1",
            MemberType::User,
            "u3",
            S::SPACE_VIEW.into(),
        )],
        vec![Change::AddSpaceOwner {
            space_id: "s1".into(),
            user_id: "u3".into(),
        }],
        vec![join(
            TargetKind::Space,
            "s1",
            MemberType::Group,
            "g2",
            S::SPACE_READ_DATA.into(),
        )],
        vec![Change::RemoveMember {
            kind: TargetKind::Group,
            id: "g1".into(),
            member_type: MemberType::Group,
            member_id: "g2".into(),
        }],
        vec![Change::RemoveSpaceOwner {
            space_id: "s1".into(),
            user_id: "u3".into(),
        }],
        vec![Change::Delete {
            kind: EntityKind::Group,
            id: "g1".into(),
        }],
        vec![Change::Delete {
            kind: EntityKind::Space,
            id: "s1".into(),
        }],
    ];
    (graph, batches)
}

/// Commits `changes` and keeps the committed batch in `log`, as a store would.
fn commit(writer: &mut Writer, log: &mut Vec<CommittedBatch>, changes: Vec<Change>) {
    let batch = Batch::new(Author::Library, changes);
    let revision = writer.commit(batch.clone()).expect("the batch applies");
    log.push(CommittedBatch { revision, batch });
}

/// Every event queued now.
fn drain(subscription: &mut Subscription) -> Vec<Arc<WatchEvent>> {
    let mut events = Vec::new();
    while let Ok(Some(event)) = subscription.try_recv() {
        events.push(event);
    }
    events
}

fn lines(events: &[WatchEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| serde_json::to_string(e).expect("an event serializes"))
        .collect()
}

fn owned(events: Vec<Arc<WatchEvent>>) -> Vec<WatchEvent> {
    events.into_iter().map(|e| (*e).clone()).collect()
}

#[test]
fn a_subscriber_cut_off_for_lagging_resumes_from_its_last_revision() {
    let (start, batches) = scenario();
    let start_revision = start.revision();
    let mut writer = Writer::new(start.clone());
    let mut uninterrupted = writer.subscribe(capacity(64));
    let mut slow = writer.subscribe(capacity(2));
    let mut log = Vec::new();
    let mut batches = batches.into_iter();

    // Three batches for a queue of two: the third cuts the slow subscriber off.
    for changes in batches.by_ref().take(3) {
        commit(&mut writer, &mut log, changes);
    }
    let mut joined = owned(drain(&mut slow));
    assert_eq!(joined.len(), 2);
    let cut = slow.recv().expect_err("the slow subscriber was cut off");
    assert_eq!(
        cut,
        WatchError::CutOff {
            resume_after: start_revision + 2,
            capacity: 2
        }
    );

    // The writer went on without it.
    for changes in batches.by_ref().take(5) {
        commit(&mut writer, &mut log, changes);
    }
    // Resuming: subscribe again first (so nothing published from now on is missed),
    // then replay the log from the start graph up to where the new subscription starts.
    let mut resumed = writer.subscribe(capacity(64));
    let caught_up = resumed.resume_after();
    assert_eq!(caught_up, start_revision + 8);
    let missed = log
        .iter()
        .take_while(|b| b.revision <= caught_up)
        .cloned()
        .collect::<Vec<_>>();
    let replayed: Vec<WatchEvent> = replay(start.clone(), cut.resume_after(), missed)
        .collect::<Result<_, _>>()
        .expect("the log replays");
    assert_eq!(replayed.len(), 6);
    joined.extend(replayed);
    for changes in batches {
        commit(&mut writer, &mut log, changes);
    }
    joined.extend(owned(drain(&mut resumed)));

    let expected = owned(drain(&mut uninterrupted));
    assert_eq!(expected.len(), 12);
    assert!(
        expected.iter().all(|e| !e.effective.is_empty()),
        "every batch changes something"
    );
    assert_eq!(lines(&joined), lines(&expected));
    // And the whole stream is the replay of the whole log.
    let from_log: Vec<WatchEvent> = replay(start, start_revision, log)
        .collect::<Result<_, _>>()
        .expect("the log replays");
    assert_eq!(lines(&from_log), lines(&expected));
}

#[test]
fn a_dropped_subscriber_resumes_from_its_last_revision() {
    let (start, batches) = scenario();
    let mut writer = Writer::new(start.clone());
    let mut uninterrupted = writer.subscribe(capacity(64));
    let mut log = Vec::new();
    let mut batches = batches.into_iter();

    let mut first = writer.subscribe(capacity(64));
    for changes in batches.by_ref().take(4) {
        commit(&mut writer, &mut log, changes);
    }
    let mut joined = vec![(*first.recv().expect("batch 1")).clone()];
    joined.push((*first.recv().expect("batch 2")).clone());
    let last = first.resume_after();
    drop(first); // Disconnected with two events unread.

    for changes in batches.by_ref().take(4) {
        commit(&mut writer, &mut log, changes);
    }
    let mut second = writer.subscribe(capacity(64));
    let replayed: Vec<WatchEvent> = replay(start, last, log.clone())
        .collect::<Result<_, _>>()
        .expect("the log replays");
    joined.extend(replayed);
    for changes in batches {
        commit(&mut writer, &mut log, changes);
    }
    joined.extend(owned(drain(&mut second)));
    assert_eq!(lines(&joined), lines(&owned(drain(&mut uninterrupted))));
}

/// A subscription taken while batches are staged starts after them; when they are
/// taken back, it starts before their revisions, which the next batches reuse.
#[test]
fn a_rollback_moves_the_start_of_a_subscription_back() {
    let (start, mut batches) = scenario();
    let base = start.revision();
    let mut writer = Writer::new(start);
    writer
        .stage_batch(Batch::new(Author::Library, batches.remove(0)))
        .expect("staged");
    let mut watch = writer.subscribe(capacity(8));
    assert_eq!(watch.resume_after(), base + 1);
    writer.rollback();
    assert_eq!(watch.resume_after(), base);
    let revision = writer
        .commit(Batch::new(Author::Library, batches.remove(0)))
        .expect("committed");
    assert_eq!(revision, base + 1);
    let event = watch
        .try_recv()
        .expect("open")
        .expect("the batch is delivered");
    assert_eq!(event.revision, base + 1);
}

#[test]
fn a_subscriber_learns_when_the_writer_is_gone() {
    let (start, _) = scenario();
    let base = start.revision();
    let mut writer = Writer::new(start);
    let mut watch = writer.subscribe(capacity(1));
    writer.commit_changes(vec![]).expect("an empty batch");
    drop(writer);
    assert_eq!(watch.recv().map(|e| e.revision), Ok(base + 1));
    assert_eq!(
        watch.recv(),
        Err(WatchError::Closed {
            resume_after: base + 1
        })
    );
}

#[test]
fn a_replay_from_a_graph_past_the_revision_asked_is_refused() {
    let (start, _) = scenario();
    let since = start.revision() - 1;
    let mut events = replay(start, since, Vec::new());
    assert!(matches!(
        events.next(),
        Some(Err(privgraph::watch::ReplayError::TooOld { .. }))
    ));
    assert!(events.next().is_none());
}
