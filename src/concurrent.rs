//! Checks that never wait for a write: one [`Writer`], any number of [`Reader`]s.
//!
//! The writer keeps two copies of the graph. Readers read the *published* copy through
//! an atomic pointer (wait-free: nothing a writer does blocks a reader). The writer
//! applies each batch to its *private* copy, so readers never see a batch half-applied;
//! publishing swaps the two, and the writer then brings the copy readers just left up
//! to date by applying the same batches to it (they are deterministic, so both copies
//! stay identical, down to the slots their keys name). This is the left-right scheme:
//! the writer can apply a batch to its private copy, check that it succeeds and make it
//! durable before anyone sees it.
//!
//! Guards ([`Reader::read`]) and [`Checker`]s hold the published copy through
//! `arc-swap`. A one-shot check ([`Reader::has_privilege`] and
//! [`Reader::has_privilege_by_id`]) takes no guard: it marks its thread as inside a
//! check, reads the copy and unmarks it, and the writer waits for the checks in flight
//! before it changes the copy they left. That costs the check no fence (the writer
//! issues one process-wide barrier per publish instead, `membarrier(2)` on Linux), so
//! consecutive checks on a thread overlap their memory reads as checks on a [`Graph`]
//! do. The code behind it
//! (`src/concurrent/in_flight.rs`) is the crate's only `unsafe` code, with the argument
//! for it.
//!
//! Every published state has a revision (the graph's); a reader can wait for "at least
//! revision N" (read-your-writes) without any lock unless it has to wait.
//!
//! ```
//! use privgraph::concurrent::Writer;
//! use privgraph::graph::{Graph, Group, User};
//! use privgraph::logic::Auth;
//! use privgraph::privileges::GroupPrivileges as G;
//! use privgraph::rest::Request;
//!
//! let mut graph = Graph::new();
//! let u = graph.create::<User>("u1")?;
//! let g = graph.create::<Group>("g1")?;
//! let mut writer = Writer::new(graph);
//! let reader = writer.reader();
//! let checker = reader.clone();
//! let thread = std::thread::spawn(move || {
//!     // Another thread checks while the writer writes; it sees revision 0 or 1, whole.
//!     let graph = checker.read();
//!     (graph.revision(), graph.has_privilege(u, g, G::GROUP_VIEW))
//! });
//! let request = Request::parse("PUT", "/groups/g1/users/u1", b"").unwrap();
//! let committed = writer.execute(&Auth::Root, request.operation(), request.body())?;
//! assert_eq!(committed.revision, 1);
//! assert!(matches!(thread.join().unwrap(), (0, false) | (1, true)));
//! assert!(reader.has_privilege(u, g, G::GROUP_VIEW));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Costs
//!
//! Two copies of the graph (twice the memory of one). A one-shot check through a reader
//! is the check on [`Graph`] plus two plain stores to its thread's slot; a thread takes
//! a slot at its first check (allocating one only when more threads than ever before
//! check at once) and frees it when it exits. A [`ReadGuard`] costs two atomic
//! read-modify-writes, which also stop the processor from overlapping the reads before
//! them with those after. Through a [`Checker`] (one per thread, see
//! [`Reader::checker`]) a check is the check plus one plain atomic load. A write applies
//! its batch twice (once to each copy), the second time just before the writer's next
//! write, after one process-wide barrier (a system call of a few microseconds) and once
//! the readers of that copy have moved on.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use arc_swap::cache::Cache;
use serde_json::Value;

use crate::graph::apply::Undo;
use crate::graph::{
    Author, Batch, BatchError, CommittedBatch, Graph, Key, MemberKind, Target, TargetVocabulary,
};
use crate::logic::{Auth, Error, IdSource, Operation, Outcome, Planned, RandomIds};
use crate::watch::{self, EffectiveDelta, Subscribers, Subscription, WatchEvent};

mod in_flight;

use in_flight::{Published, back_off, wait_for_checks_in_flight};

/// What readers and the writer share.
#[derive(Debug)]
struct Shared {
    current: ArcSwap<Graph>,
    /// The same graph as `current`, for one-shot checks (see [`in_flight`]).
    one_shot: Published,
    /// Readers waiting for a revision; the writer notifies only when there are some.
    waiting: AtomicUsize,
    lock: Mutex<()>,
    published: Condvar,
}

/// A handle that checks against the published graph. Clone it for every thread (a
/// clone is one reference count).
#[derive(Debug, Clone)]
pub struct Reader {
    shared: Arc<Shared>,
}

/// A published graph, held by a reader: every check through one guard sees the same
/// revision. Hold it briefly: the writer waits for the last guard of the copy it wants
/// to update before its next write.
pub struct ReadGuard(arc_swap::Guard<Arc<Graph>>);

impl std::ops::Deref for ReadGuard {
    type Target = Graph;
    fn deref(&self) -> &Graph {
        &self.0
    }
}

impl std::fmt::Debug for ReadGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ReadGuard(revision {})", self.0.revision())
    }
}

/// "At least revision N" was not reached in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("revision {wanted} was not reached within the timeout (the graph is at {current})")]
pub struct NotYet {
    /// The revision asked for.
    pub wanted: u64,
    /// The revision published when the wait ended.
    pub current: u64,
}

impl Reader {
    /// The published graph.
    #[inline]
    pub fn read(&self) -> ReadGuard {
        ReadGuard(self.shared.current.load())
    }

    /// The published revision.
    pub fn revision(&self) -> u64 {
        self.shared.current.load().revision()
    }

    /// The published graph once it is at `revision` or later, waiting at most
    /// `timeout`. Lock-free when the revision is already published.
    ///
    /// ```
    /// use std::time::Duration;
    /// use privgraph::concurrent::Writer;
    /// use privgraph::graph::{Author, Batch, Graph};
    /// let mut writer = Writer::new(Graph::new());
    /// let reader = writer.reader();
    /// assert!(reader.wait_for(1, Duration::from_millis(1)).is_err());
    /// writer.commit(Batch::new(Author::Library, vec![]))?;
    /// assert_eq!(reader.wait_for(1, Duration::from_secs(1))?.revision(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wait_for(&self, revision: u64, timeout: Duration) -> Result<ReadGuard, NotYet> {
        let guard = self.read();
        if guard.revision() >= revision {
            return Ok(guard);
        }
        drop(guard);
        let deadline = Instant::now() + timeout;
        self.shared.waiting.fetch_add(1, Ordering::SeqCst);
        let mut lock = self.shared.lock.lock().unwrap_or_else(|p| p.into_inner());
        let result = loop {
            let current = self.revision();
            if current >= revision {
                break Ok(self.read());
            }
            let now = Instant::now();
            if now >= deadline {
                break Err(NotYet {
                    wanted: revision,
                    current,
                });
            }
            lock = match self.shared.published.wait_timeout(lock, deadline - now) {
                Ok((lock, _)) => lock,
                Err(poisoned) => poisoned.into_inner().0,
            };
        };
        drop(lock);
        self.shared.waiting.fetch_sub(1, Ordering::SeqCst);
        result
    }

    /// A handle for a run of checks on one thread: each check sees the graph published
    /// at that moment, as through the reader, and costs one plain atomic load (where a
    /// reader's one-shot check marks its thread's slot twice). Its methods take
    /// `&mut self`; make one per thread.
    ///
    /// It holds the copy it checked last until its next check or its drop, as a
    /// [`ReadGuard`] would: the writer's next write after a publish waits until every
    /// checker has checked once more or been dropped. So keep one only while it checks
    /// (a request, a batch of work), not in an idle thread.
    ///
    /// ```
    /// use privgraph::concurrent::Writer;
    /// use privgraph::graph::{Change, Graph, Group, MemberType, TargetKind, User};
    /// use privgraph::privileges::GroupPrivileges as G;
    /// let mut graph = Graph::new();
    /// let (u, g) = (graph.create::<User>("u1")?, graph.create::<Group>("g1")?);
    /// let mut writer = Writer::new(graph);
    /// let reader = writer.reader();
    /// let mut checker = reader.checker();
    /// assert!(!checker.has_privilege(u, g, G::GROUP_VIEW));
    /// writer.commit_changes(vec![Change::AddMember { kind: TargetKind::Group,
    ///     id: "g1".into(), member_type: MemberType::User, member_id: "u1".into(),
    ///     privileges: G::GROUP_VIEW.into() }])?;
    /// assert!(checker.has_privilege(u, g, G::GROUP_VIEW));
    /// assert_eq!(checker.graph().revision(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn checker(&self) -> Checker<'_> {
        Checker(Cache::new(&self.shared.current))
    }

    /// [`Graph::has_privilege`] on the published graph, without a fence (see the
    /// [module docs](self)).
    #[inline]
    pub fn has_privilege<M: MemberKind, T: Target>(
        &self,
        member: Key<M>,
        target: Key<T>,
        privileges: T::Privileges,
    ) -> bool {
        self.one_shot().has_privilege(member, target, privileges)
    }

    /// [`Graph::has_privilege_by_id`] on the published graph, without a fence.
    #[inline]
    pub fn has_privilege_by_id<M: MemberKind, P: TargetVocabulary>(
        &self,
        member: &str,
        target: &str,
        privileges: P,
    ) -> bool {
        self.one_shot()
            .has_privilege_by_id::<M, P>(member, target, privileges)
    }

    /// The published graph for one check, entered without a fence (see [`in_flight`]);
    /// through a guard while the thread exits.
    #[inline]
    fn one_shot(&self) -> OneShot<'_> {
        match self.shared.one_shot.enter() {
            Some(entered) => OneShot::Entered(entered),
            None => OneShot::Guarded(self.read()),
        }
    }
}

/// The published graph for one check through a [`Reader`].
enum OneShot<'r> {
    Entered(in_flight::Entered<'r>),
    Guarded(ReadGuard),
}

impl std::ops::Deref for OneShot<'_> {
    type Target = Graph;
    #[inline]
    fn deref(&self) -> &Graph {
        match self {
            OneShot::Entered(graph) => graph,
            OneShot::Guarded(graph) => graph,
        }
    }
}

/// A reader's handle for a run of checks on one thread; see [`Reader::checker`].
pub struct Checker<'r>(Cache<&'r ArcSwap<Graph>, Arc<Graph>>);

impl Checker<'_> {
    /// The graph published now (the one every check through this handle reads until the
    /// next publish).
    #[inline]
    pub fn graph(&mut self) -> &Graph {
        self.0.load()
    }

    /// [`Graph::has_privilege`] on the published graph.
    #[inline]
    pub fn has_privilege<M: MemberKind, T: Target>(
        &mut self,
        member: Key<M>,
        target: Key<T>,
        privileges: T::Privileges,
    ) -> bool {
        self.graph().has_privilege(member, target, privileges)
    }

    /// [`Graph::has_privilege_by_id`] on the published graph.
    #[inline]
    pub fn has_privilege_by_id<M: MemberKind, P: TargetVocabulary>(
        &mut self,
        member: &str,
        target: &str,
        privileges: P,
    ) -> bool {
        self.graph()
            .has_privilege_by_id::<M, P>(member, target, privileges)
    }
}

impl std::fmt::Debug for Checker<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Checker")
    }
}

/// A write that was applied: its answer and its revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    /// The operation's answer.
    pub outcome: Outcome,
    /// The revision of its batch (for a read, the revision it read).
    pub revision: u64,
}

/// The one writer of a graph shared with readers. See the [module docs](self).
#[derive(Debug)]
pub struct Writer {
    shared: Arc<Shared>,
    /// The copy no reader sees; holds every staged batch. `None` only between a
    /// publish and the next catch-up, while `retired` holds the other copy.
    private: Option<Graph>,
    /// The copy swapped out at the last publish, which readers may still hold.
    retired: Option<Arc<Graph>>,
    /// Published batches the retired copy has not had yet.
    lagging: Vec<CommittedBatch>,
    /// Batches applied to the private copy and not yet published, with their undo and,
    /// while someone subscribes, their effective deltas.
    staged: Vec<(CommittedBatch, Undo, Option<Vec<EffectiveDelta>>)>,
    ids: Arc<dyn IdSource>,
    subscribers: Subscribers,
}

impl Writer {
    /// A writer publishing `graph` (at its revision), with random ids for created
    /// entities.
    pub fn new(graph: Graph) -> Writer {
        Writer::with_ids(graph, Arc::new(RandomIds))
    }

    /// As [`Writer::new`], with ids from `ids`.
    pub fn with_ids(graph: Graph, ids: Arc<dyn IdSource>) -> Writer {
        let private = Some(graph.duplicate());
        let graph = Arc::new(graph);
        Writer {
            shared: Arc::new(Shared {
                one_shot: Published::new(&graph),
                current: ArcSwap::new(graph),
                waiting: AtomicUsize::new(0),
                lock: Mutex::new(()),
                published: Condvar::new(),
            }),
            private,
            retired: None,
            lagging: Vec::new(),
            staged: Vec::new(),
            ids,
            subscribers: Subscribers::default(),
        }
    }

    /// A reader of this writer's published graph.
    pub fn reader(&self) -> Reader {
        Reader {
            shared: Arc::clone(&self.shared),
        }
    }

    /// The writer's own copy: the published graph plus every staged batch.
    pub fn graph(&mut self) -> &Graph {
        self.private_mut()
    }

    /// The private copy, caught up with everything published.
    fn private_mut(&mut self) -> &mut Graph {
        if let Some(mut retired) = self.retired.take() {
            // Readers that loaded this copy before it was swapped out may still hold
            // it; they finish their checks and leave.
            wait_for_checks_in_flight();
            let started = Instant::now();
            let mut graph = loop {
                match Arc::try_unwrap(retired) {
                    Ok(graph) => break graph,
                    Err(shared) => retired = shared,
                }
                back_off(started);
            };
            for batch in self.lagging.drain(..) {
                // The published copy accepted this batch in the same state: so does
                // this one.
                let applied = graph.apply_committed(&batch);
                debug_assert!(applied.is_ok(), "catching up with {batch:?}: {applied:?}");
            }
            self.private = Some(graph);
        }
        let shared = &self.shared;
        // Either copy is always here: `private`, or `retired` just unwrapped.
        self.private
            .get_or_insert_with(|| shared.current.load().duplicate())
    }

    /// Runs one operation on the private copy: a read is answered there; a write is
    /// applied there as a staged batch, visible to readers at the next
    /// [`Writer::publish`]. On an error nothing is staged.
    pub fn stage(&mut self, auth: &Auth, op: &Operation, body: &Value) -> Result<Committed, Error> {
        let ids = Arc::clone(&self.ids);
        let planned = crate::logic::evaluate(self.private_mut(), auth, op, body, &*ids)?;
        match planned {
            Planned::Read(outcome) => Ok(Committed {
                outcome,
                revision: self.private_mut().revision(),
            }),
            Planned::Write(write) => {
                let revision = self
                    .stage_batch(Batch::new(write.by, write.changes))
                    .map_err(|err| match err {
                        BatchError::Change { error, .. } => Error::from(error),
                        BatchError::RevisionGap { .. } => Error::NotSupported,
                    })?;
                Ok(Committed {
                    outcome: write.outcome,
                    revision,
                })
            }
        }
    }

    /// Applies a batch to the private copy as the next staged one and returns its
    /// revision. On an error nothing is staged.
    ///
    /// While someone subscribes (see [`Writer::subscribe`]), this also computes the
    /// batch's effective deltas; otherwise it pays nothing for watching.
    pub fn stage_batch(&mut self, batch: Batch) -> Result<u64, BatchError> {
        let watched = self.subscribers.any();
        let graph = self.private_mut();
        let (undo, effective) = if watched {
            let (undo, effective) = watch::apply_changes_with_deltas(graph, &batch.changes)?;
            (undo, Some(effective))
        } else {
            (graph.apply_changes(&batch.changes)?, None)
        };
        graph.revision += 1;
        let revision = graph.revision;
        self.staged
            .push((CommittedBatch { revision, batch }, undo, effective));
        Ok(revision)
    }

    /// The staged batches, oldest first: what a store makes durable before
    /// [`Writer::publish`].
    pub fn staged(&self) -> impl Iterator<Item = &CommittedBatch> {
        self.staged.iter().map(|(batch, _, _)| batch)
    }

    /// Takes back every staged batch (a store could not make them durable).
    pub fn rollback(&mut self) {
        let staged = std::mem::take(&mut self.staged);
        let graph = self.private_mut();
        for (batch, undo, _) in staged.into_iter().rev() {
            graph.revert(undo);
            graph.revision = batch.revision - 1;
        }
        let revision = graph.revision;
        self.subscribers.taken_back(revision);
    }

    /// Makes every staged batch visible to readers at once and returns the published
    /// revision.
    pub fn publish(&mut self) -> u64 {
        let revision = self.private_mut().revision();
        if self.staged.is_empty() {
            return revision;
        }
        let Some(graph) = self.private.take() else {
            return revision;
        };
        let graph = Arc::new(graph);
        self.shared.one_shot.set(&graph);
        self.retired = Some(self.shared.current.swap(graph));
        let mut lagging = Vec::with_capacity(self.staged.len());
        for (batch, _, effective) in self.staged.drain(..) {
            // Readers see the batch before its subscribers hear of it.
            if let Some(effective) = effective {
                self.subscribers.publish(&Arc::new(WatchEvent {
                    revision: batch.revision,
                    changes: batch.batch.changes.clone(),
                    effective,
                }));
            }
            lagging.push(batch);
        }
        self.lagging = lagging;
        if self.shared.waiting.load(Ordering::SeqCst) > 0 {
            let _lock = self.shared.lock.lock().unwrap_or_else(|p| p.into_inner());
            self.shared.published.notify_all();
        }
        revision
    }

    /// A subscription to the events of every batch staged after this call, received
    /// once published, in revision order (see [`crate::watch`]): the batch and its
    /// effective deltas. It starts after the writer's revision (the published one plus
    /// every staged batch); to get earlier events, [`watch::replay`] the batches up to
    /// [`Subscription::resume_after`] from a graph at an earlier revision.
    ///
    /// Each subscriber has a queue of `capacity` events. Publishing never waits for
    /// one: a subscriber whose queue is full is cut off (its reads end with
    /// [`watch::WatchError::CutOff`] naming the revision to resume after). Deltas are
    /// computed only while a subscription lives; dropping one unsubscribes.
    ///
    /// ```
    /// use std::num::NonZeroUsize;
    /// use privgraph::concurrent::Writer;
    /// use privgraph::graph::{Change, EntityKind, Graph, MemberType};
    /// use privgraph::privileges::OzPrivileges as Oz;
    /// let mut graph = Graph::new();
    /// graph.create::<privgraph::graph::User>("u1")?;
    /// let mut writer = Writer::new(graph);
    /// let mut watch = writer.subscribe(NonZeroUsize::new(16).unwrap());
    /// writer.commit_changes(vec![Change::SetOzPrivileges { member_type: MemberType::User,
    ///     id: "u1".into(), privileges: Oz::OZ_GROUPS_VIEW }])?;
    /// let event = watch.recv()?;
    /// assert_eq!(serde_json::to_string(&event.effective)?,
    ///     r#"[{"subject":"user:u1","resource":"oz","before":[],"after":["oz_groups_view"]}]"#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn subscribe(&mut self, capacity: std::num::NonZeroUsize) -> Subscription {
        let start = self.private_mut().revision();
        self.subscribers.subscribe(start, capacity)
    }

    /// [`Writer::stage`] then [`Writer::publish`]: the in-memory writer.
    pub fn execute(
        &mut self,
        auth: &Auth,
        op: &Operation,
        body: &Value,
    ) -> Result<Committed, Error> {
        let committed = self.stage(auth, op, body)?;
        self.publish();
        Ok(committed)
    }

    /// [`Writer::stage_batch`] then [`Writer::publish`].
    pub fn commit(&mut self, batch: Batch) -> Result<u64, BatchError> {
        let revision = self.stage_batch(batch)?;
        self.publish();
        Ok(revision)
    }

    /// Changes made through the library API, as one batch by `library`.
    pub fn commit_changes(
        &mut self,
        changes: Vec<crate::graph::Change>,
    ) -> Result<u64, BatchError> {
        self.commit(Batch::new(Author::Library, changes))
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // One-shot checks may still read the copy swapped out last; it is freed with
        // the writer.
        if self.retired.is_some() {
            wait_for_checks_in_flight();
        }
    }
}
