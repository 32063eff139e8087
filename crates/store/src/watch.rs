//! Watching a store: the watch events (see [`privgraph::watch`]) of every batch after
//! a revision, the past ones recomputed from the store's log, the coming ones from its
//! writer.
//!
//! A store keeps every batch and its checkpoint at revision 0, so it can serve the
//! events after any revision from 0 to its head: the graph at that revision is built
//! from the newest checkpoint at or before it and the batches after that checkpoint,
//! and each later batch is applied to it with its deltas. A revision past the head is
//! [`WatchError::NotServable`].
//!
//! - [`LogWatch`] reads the log of a store directory (no lock: it works while another
//!   process writes), by polling: `privgraph watch --data DIR`.
//! - [`Watcher::watch`] (from [`Store::watcher`](crate::Store::watcher)) is a watch in
//!   the writer's process: the events up to the head at the time it starts come from
//!   the log, every later one from a [`Subscription`] on the writer, so none is missed
//!   and none is given twice. The subscription's queue is bounded: a watcher that
//!   falls behind is cut off ([`WatchError::Live`] with
//!   [`privgraph::watch::WatchError::CutOff`]) and resumes after the revision it
//!   names; the writer never waits for it.
//!
//! ```
//! use std::num::NonZeroUsize;
//! use std::time::Duration;
//! use privgraph::graph::{Author, Batch, Change, EntityKind, Graph};
//! use privgraph_store::{Config, LogWatch, Store};
//!
//! let dir = tempfile::tempdir()?;
//! privgraph_store::init(dir.path(), &Graph::new())?;
//! let store = Store::open(dir.path(), Config::default())?;
//! let create = |id: &str| Batch::new(Author::Root, vec![Change::Create { kind: EntityKind::User, id: id.into() }]);
//! store.handle().commit(create("u1"))?;
//! // Revision 1 is in the past: it comes from the log; revision 2 from the writer.
//! let mut watch = store.watcher().watch(Some(0), NonZeroUsize::new(16).unwrap())?;
//! store.handle().commit(create("u2"))?;
//! let second = Duration::from_secs(1);
//! let revisions: Vec<u64> = (0..2).map(|_| Ok(watch.recv_timeout(second)?.map(|e| e.revision)))
//!     .collect::<Result<Vec<_>, privgraph_store::WatchError>>()?.into_iter().flatten().collect();
//! assert_eq!(revisions, [1, 2]);
//!
//! // The same events, read from the log alone.
//! let mut log = LogWatch::open(dir.path(), Some(0))?;
//! let events = log.next_events(100)?;
//! assert_eq!(events.iter().map(|e| e.revision).collect::<Vec<_>>(), [1, 2]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::VecDeque;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use privgraph::graph::{BatchError, CommittedBatch, Graph};
use privgraph::watch::{Subscription, WatchEvent};

use crate::error::{Damage, StoreError, WriteError};
use crate::format::{self, BATCH_FORMAT, Checksum};
use crate::recover::{Use, recover};
use crate::sqlite::SqliteBackend;
use crate::writer::WriteHandle;

/// Why a watch of a store cannot start or goes on no longer.
///
/// ```
/// use privgraph_store::WatchError;
/// let err = WatchError::NotServable { since: 9, head: 4 };
/// assert_eq!(err.to_string(),
///     "the store cannot serve the batches after revision 9: its head is revision 4");
/// assert_eq!(err.resume_after(), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WatchError {
    /// The revision asked for is past the store's head.
    #[error(
        "the store cannot serve the batches after revision {since}: its head is revision {head}"
    )]
    NotServable {
        /// The revision after which events were asked for.
        since: u64,
        /// The store's head when asked.
        head: u64,
    },
    /// The subscription on the writer ended: cut off for falling behind, or the store
    /// closed. Both name the revision to resume after.
    #[error(transparent)]
    Live(#[from] privgraph::watch::WatchError),
    /// The store could not be read, fails its integrity check, or its writer stopped.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl WatchError {
    /// The revision to resume after, when the watch ended on the writer's side.
    ///
    /// ```
    /// use privgraph::watch::WatchError as Live;
    /// use privgraph_store::WatchError;
    /// let err = WatchError::Live(Live::CutOff { resume_after: 12, capacity: 64 });
    /// assert_eq!(err.resume_after(), Some(12));
    /// ```
    pub fn resume_after(&self) -> Option<u64> {
        match self {
            WatchError::Live(live) => Some(live.resume_after()),
            _ => None,
        }
    }
}

/// The watch events of a store's log after a revision, read by polling; it takes no
/// lock, so another process may write the store meanwhile. Each call of
/// [`LogWatch::next_events`] reads the batches committed since the last one, verifies
/// their chained checksums and applies them with their deltas to its own graph.
#[derive(Debug)]
pub struct LogWatch {
    backend: SqliteBackend,
    graph: Graph,
    /// The chain value at the graph's revision.
    chain: Checksum,
}

impl LogWatch {
    /// Opens the store in `dir` to watch the batches after revision `since` (`None`:
    /// after its head). Verifies the whole store once, as opening it does, and builds
    /// the graph at `since` from the newest checkpoint at or before it.
    ///
    /// Errors: [`WatchError::NotServable`] for a revision past the head,
    /// [`WatchError::Store`] for a directory that holds no store or a damaged one.
    ///
    /// ```
    /// use privgraph_store::{LogWatch, WatchError};
    /// let dir = tempfile::tempdir()?;
    /// privgraph_store::init(dir.path(), &privgraph::graph::Graph::new())?;
    /// assert_eq!(LogWatch::open(dir.path(), None)?.revision(), 0);
    /// assert!(matches!(LogWatch::open(dir.path(), Some(1)),
    ///     Err(WatchError::NotServable { since: 1, head: 0 })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(dir: impl AsRef<Path>, since: Option<u64>) -> Result<LogWatch, WatchError> {
        let mut backend = SqliteBackend::open_read_only(dir.as_ref())?;
        let recovered = recover(&mut backend, Use::GraphAt(since.unwrap_or(u64::MAX)))?;
        if let Some(since) = since
            && since > recovered.head
        {
            return Err(WatchError::NotServable {
                since,
                head: recovered.head,
            });
        }
        let (Some(graph), Some(chain)) = (recovered.graph, recovered.graph_chain) else {
            return Err(StoreError::Corrupt {
                revision: since,
                damage: Damage::NoGenesis,
            }
            .into());
        };
        Ok(LogWatch {
            backend,
            graph,
            chain,
        })
    }

    /// The revision of the last event handed out (or the one the watch started after).
    ///
    /// ```
    /// use privgraph::graph::{Author, Batch, Graph};
    /// let dir = tempfile::tempdir()?;
    /// privgraph_store::init(dir.path(), &Graph::new())?;
    /// let store = privgraph_store::Store::open(dir.path(), Default::default())?;
    /// store.handle().commit(Batch::new(Author::Root, vec![]))?;
    /// let mut log = privgraph_store::LogWatch::open(dir.path(), Some(0))?;
    /// assert_eq!(log.revision(), 0);
    /// log.next_events(10)?;
    /// assert_eq!(log.revision(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn revision(&self) -> u64 {
        self.graph.revision()
    }

    /// The graph at [`LogWatch::revision`].
    ///
    /// ```
    /// use privgraph::graph::{Graph, User};
    /// let dir = tempfile::tempdir()?;
    /// let graph = privgraph::snapshot::load(r#"{"version": 1, "users": [{"id": "u1"}]}"#)?;
    /// privgraph_store::init(dir.path(), &graph)?;
    /// let log = privgraph_store::LogWatch::open(dir.path(), None)?;
    /// assert_eq!(log.graph().len::<User>(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// The events of the next batches committed after [`LogWatch::revision`], at most
    /// `limit`, in order; empty when there are none yet. An error ends the watch.
    ///
    /// Cost: one read of those batches, and applying each with its deltas (see
    /// [`privgraph::watch`]).
    ///
    /// ```
    /// use privgraph::graph::{Author, Batch, Change, Graph, MemberType};
    /// use privgraph::privileges::OzPrivileges as Oz;
    /// let dir = tempfile::tempdir()?;
    /// let graph = privgraph::snapshot::load(r#"{"version": 1, "users": [{"id": "u1"}]}"#)?;
    /// privgraph_store::init(dir.path(), &graph)?;
    /// let store = privgraph_store::Store::open(dir.path(), Default::default())?;
    /// let mut log = privgraph_store::LogWatch::open(dir.path(), None)?;
    /// assert!(log.next_events(10)?.is_empty());
    /// let grant = Change::SetOzPrivileges { member_type: MemberType::User, id: "u1".into(),
    ///     privileges: Oz::OZ_USERS_VIEW };
    /// store.handle().commit(Batch::new(Author::Root, vec![grant]))?;
    /// let events = log.next_events(10)?;
    /// assert_eq!(serde_json::to_string(&events[0].effective)?,
    ///     r#"[{"subject":"user:u1","resource":"oz","before":[],"after":["oz_users_view"]}]"#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn next_events(&mut self, limit: usize) -> Result<Vec<WatchEvent>, WatchError> {
        let mut events = Vec::new();
        let (graph, chain) = (&mut self.graph, &mut self.chain);
        self.backend
            .batches_after(graph.revision(), limit, &mut |batch| {
                let revision = batch.revision;
                let expected = graph.revision() + 1;
                let corrupt = |damage| StoreError::Corrupt {
                    revision: Some(revision),
                    damage,
                };
                if revision != expected {
                    return Err(corrupt(Damage::Gap { expected }));
                }
                if batch.format != BATCH_FORMAT {
                    return Err(StoreError::Version {
                        what: format!("the batch of revision {revision}"),
                        found: batch.format,
                        supported: BATCH_FORMAT,
                        advice: "it was written by another privgraph: watch with that version",
                    });
                }
                let next = format::chain(chain, revision, batch.format, batch.line);
                if batch.chain != next {
                    return Err(corrupt(Damage::Batch));
                }
                let committed: CommittedBatch = serde_json::from_slice(batch.line)
                    .map_err(|err| corrupt(Damage::Unreadable(err.to_string())))?;
                let effective = graph
                    .apply_with_deltas(&committed.batch)
                    .map_err(|err: BatchError| corrupt(Damage::Unreadable(err.to_string())))?;
                *chain = next;
                events.push(WatchEvent {
                    revision,
                    changes: committed.batch.changes,
                    effective,
                });
                Ok(())
            })?;
        Ok(events)
    }
}

/// Starts watches of a store in its writer's process: see [`Watcher::watch`]. Cheap to
/// clone; made by [`Store::watcher`](crate::Store::watcher).
#[derive(Debug, Clone)]
pub struct Watcher {
    dir: PathBuf,
    writes: WriteHandle,
}

/// A watch of a store in its writer's process: the events after a revision, first
/// from the log up to the head it started at, then from the writer. Dropping it
/// unsubscribes.
#[derive(Debug)]
pub struct StoreWatch {
    /// The log, while it has events up to `live_after`.
    past: Option<LogWatch>,
    queued: VecDeque<WatchEvent>,
    live: Subscription,
    /// The revision the subscription starts after.
    live_after: u64,
    started_after: u64,
}

/// How many past batches one read of the log takes.
const PAST_PAGE: u64 = 64;

impl Watcher {
    pub(crate) fn new(dir: PathBuf, writes: WriteHandle) -> Watcher {
        Watcher { dir, writes }
    }

    /// A watch of every batch after revision `since` (`None`: after the head), whose
    /// subscription on the writer queues at most `capacity` events.
    ///
    /// Errors: [`WatchError::NotServable`] for a revision past the head;
    /// [`WatchError::Store`] when the store's writer has stopped or its log cannot be
    /// read.
    ///
    /// ```
    /// use std::num::NonZeroUsize;
    /// use privgraph_store::WatchError;
    /// let dir = tempfile::tempdir()?;
    /// privgraph_store::init(dir.path(), &privgraph::graph::Graph::new())?;
    /// let store = privgraph_store::Store::open(dir.path(), Default::default())?;
    /// let watcher = store.watcher();
    /// assert_eq!(watcher.watch(None, NonZeroUsize::MIN)?.started_after(), 0);
    /// assert!(matches!(watcher.watch(Some(1), NonZeroUsize::MIN),
    ///     Err(WatchError::NotServable { since: 1, head: 0 })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn watch(
        &self,
        since: Option<u64>,
        capacity: NonZeroUsize,
    ) -> Result<StoreWatch, WatchError> {
        let live = self.writes.subscribe(capacity).map_err(|err| match err {
            WriteError::Storage(err) => err,
            _ => crate::writer::closed(),
        })?;
        let head = live.resume_after();
        let since = since.unwrap_or(head);
        if since > head {
            return Err(WatchError::NotServable { since, head });
        }
        let past = if since < head {
            Some(LogWatch::open(&self.dir, Some(since))?)
        } else {
            None
        };
        Ok(StoreWatch {
            past,
            queued: VecDeque::new(),
            live,
            live_after: head,
            started_after: since,
        })
    }
}

impl StoreWatch {
    /// The revision the watch started after.
    ///
    /// ```
    /// use std::num::NonZeroUsize;
    /// let dir = tempfile::tempdir()?;
    /// privgraph_store::init(dir.path(), &privgraph::graph::Graph::new())?;
    /// let store = privgraph_store::Store::open(dir.path(), Default::default())?;
    /// let watch = store.watcher().watch(Some(0), NonZeroUsize::MIN)?;
    /// assert_eq!(watch.started_after(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn started_after(&self) -> u64 {
        self.started_after
    }

    /// The next event, waiting at most `timeout` for one from the writer (`None` if
    /// none came); past events are answered without waiting.
    ///
    /// Errors: [`WatchError::Live`] when the subscription was cut off or the store
    /// closed (each naming the revision to resume after), once every event before it
    /// was answered; [`WatchError::Store`] when the log fails to read.
    ///
    /// ```
    /// use std::num::NonZeroUsize;
    /// use std::time::Duration;
    /// use privgraph::graph::{Author, Batch};
    /// use privgraph::watch::WatchError as Live;
    /// use privgraph_store::WatchError;
    /// let dir = tempfile::tempdir()?;
    /// privgraph_store::init(dir.path(), &privgraph::graph::Graph::new())?;
    /// let store = privgraph_store::Store::open(dir.path(), Default::default())?;
    /// let mut watch = store.watcher().watch(None, NonZeroUsize::MIN)?;
    /// assert_eq!(watch.recv_timeout(Duration::from_millis(1))?, None);
    /// store.handle().commit(Batch::new(Author::Root, vec![]))?;
    /// store.handle().commit(Batch::new(Author::Root, vec![]))?;
    /// // A queue of one, not read: the second batch cut the watch off.
    /// assert_eq!(watch.recv_timeout(Duration::ZERO)?.map(|e| e.revision), Some(1));
    /// assert_eq!(watch.recv_timeout(Duration::ZERO),
    ///     Err(WatchError::Live(Live::CutOff { resume_after: 1, capacity: 1 })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn recv_timeout(
        &mut self,
        timeout: Duration,
    ) -> Result<Option<Arc<WatchEvent>>, WatchError> {
        if let Some(event) = self.next_past()? {
            return Ok(Some(Arc::new(event)));
        }
        Ok(self.live.recv_timeout(timeout)?)
    }

    fn next_past(&mut self) -> Result<Option<WatchEvent>, WatchError> {
        if let Some(event) = self.queued.pop_front() {
            return Ok(Some(event));
        }
        let Some(past) = &mut self.past else {
            return Ok(None);
        };
        let left = self.live_after.saturating_sub(past.revision());
        if left == 0 {
            self.past = None;
            return Ok(None);
        }
        let limit = usize::try_from(left.min(PAST_PAGE)).unwrap_or(1);
        let events = past.next_events(limit)?;
        if events.is_empty() {
            // Every published batch is durable: the log reaches the head the
            // subscription started at.
            return Err(StoreError::Corrupt {
                revision: Some(past.revision() + 1),
                damage: Damage::Gap {
                    expected: past.revision() + 1,
                },
            }
            .into());
        }
        self.queued.extend(events);
        Ok(self.queued.pop_front())
    }
}
