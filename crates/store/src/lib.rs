//! The durable store of privgraph: every accepted write as a batch in an SQLite
//! database, checkpoints of the graph, verified recovery, and group commit.
//!
//! A store is a directory holding `privgraph.sqlite` (with its WAL files while it is
//! open) and `privgraph.lock`. [`init`] creates one from a graph (revision 0);
//! [`Store::open`] makes this process its one writer: it loads the newest checkpoint,
//! replays the batches after it and verifies every checksum on the way. Writes go
//! through a [`WriteHandle`] (cloneable, `Send`): one writer thread drains every
//! write queued, stages each on a [`concurrent::Writer`](privgraph::concurrent::Writer),
//! commits all the staged batches in one SQLite transaction, and only then publishes
//! them to readers and answers. Reads go through a
//! [`Reader`] and never wait for a write. [`load`],
//! [`log`] and [`backup`] read a store while another process writes it.
//!
//! ```
//! use privgraph::graph::{Author, Batch, Change, EntityKind, Graph, User};
//! use privgraph_store::{Config, Store};
//!
//! let dir = tempfile::tempdir()?;
//! privgraph_store::init(dir.path(), &Graph::new())?;
//! let store = Store::open(dir.path(), Config::default())?;
//! let create = Change::Create { kind: EntityKind::User, id: "u1".into() };
//! assert_eq!(store.handle().commit(Batch::new(Author::Library, vec![create]))?, 1);
//! store.close();
//!
//! // Reopened: the write is there, and so is its batch in the log.
//! let graph = privgraph_store::load(dir.path())?;
//! assert_eq!((graph.revision(), graph.len::<User>()), (1, 1));
//! let mut lines = Vec::new();
//! privgraph_store::log(dir.path(), 0, |line| Ok(lines.push(line.to_owned())))?;
//! assert!(lines[0].starts_with(r#"{"format":1,"revision":1,"by":"library""#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Durability
//!
//! A write is acknowledged (its [`WriteHandle`] call returns `Ok`) only after the SQLite
//! transaction holding its batch has committed on a connection in WAL mode with
//! `synchronous=FULL`, so the WAL was flushed to stable storage (`fsync`) before the
//! commit returned: an acknowledged write survives the process being killed at any
//! moment, and a power loss on storage that honours `fsync`; a write whose commit
//! failed is answered with [`WriteError::Storage`], was rolled back in memory, and is
//! neither visible to readers nor in the store. A batch is stored whole or not at all
//! (an SQLite transaction), and the store's head and chain value are written in the
//! same transaction.
//!
//! # Integrity
//!
//! Each batch carries a checksum chained to the one before it, each checkpoint a
//! checksum of its own and the chain value at its revision, and the head's chain
//! value is kept with every commit. Opening verifies all of them, so a flipped byte in
//! any batch, checkpoint or checksum gives [`StoreError::Corrupt`] naming the revision,
//! never a wrong graph.
//!
//! # Costs
//!
//! A group of writes costs one transaction (one WAL `fsync`), whatever its size.
//! Opening reads and hashes every batch and checkpoint (verification is linear in the
//! store's size), parses the newest checkpoint and replays the batches after it. A
//! checkpoint (every [`Config::checkpoint_every`] batches) serializes the graph on
//! the writer thread: writes wait for it.

mod backend;
mod error;
mod format;
#[cfg(feature = "postgres")]
pub mod postgres;
mod recover;
mod sqlite;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{self, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use privgraph::concurrent::{Reader, Writer};
use privgraph::graph::Graph;
use privgraph::logic::{IdSource, RandomIds};

pub use backend::Durability;
pub use error::{Damage, StoreError, WriteError};
pub use format::{BATCH_FORMAT, CHECKPOINT_FORMAT, SCHEMA_VERSION};
pub use writer::{Idempotency, WriteHandle, Written};

use recover::{Use, recover};
use sqlite::SqliteBackend;
use writer::{Job, Policy, WriterThread};

/// How a [`Store`] writes.
///
/// ```
/// use privgraph_store::Config;
/// let config = Config { checkpoint_every: 500, ..Config::default() };
/// assert_eq!(config.checkpoints_kept, 2);
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    /// The writer writes a checkpoint of the graph once this many batches were
    /// committed since the last one (0: only when asked, by [`Store::checkpoint`]).
    /// Default 10,000.
    pub checkpoint_every: u64,
    /// Checkpoints kept besides the one at revision 0, newest first. Batches are never
    /// deleted. Default 2.
    pub checkpoints_kept: usize,
    /// How long an idempotency key is remembered. Default 24 hours.
    pub idempotency_ttl: Duration,
    /// The most writes one transaction commits. Default 4,096.
    pub max_group: usize,
    /// Where ids of entities created by operations come from. Default [`RandomIds`].
    pub ids: Arc<dyn IdSource>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            checkpoint_every: 10_000,
            checkpoints_kept: 2,
            idempotency_ttl: Duration::from_secs(24 * 60 * 60),
            max_group: 4096,
            ids: Arc::new(RandomIds),
        }
    }
}

/// A store opened by its one writer: the graph in memory, kept by a writer thread that
/// commits every write before it is seen. Dropping it (or [`Store::close`]) lets the
/// writer finish what is queued, then releases the store.
///
/// ```
/// use privgraph::graph::Graph;
/// use privgraph_store::{Config, Store, StoreError};
/// let dir = tempfile::tempdir()?;
/// privgraph_store::init(dir.path(), &Graph::new())?;
/// let store = Store::open(dir.path(), Config::default())?;
/// // One writer at a time.
/// assert!(matches!(Store::open(dir.path(), Config::default()), Err(StoreError::Locked { .. })));
/// store.close();
/// assert!(Store::open(dir.path(), Config::default()).is_ok());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Store {
    jobs: Sender<Job>,
    reader: Reader,
    thread: Option<JoinHandle<()>>,
    dir: PathBuf,
}

impl Store {
    /// Opens the store in `dir` as its writer: takes the writer's lock
    /// ([`StoreError::Locked`] if another writer holds it), verifies and loads it, and
    /// starts the writer thread.
    ///
    /// ```
    /// use privgraph::graph::{Author, Batch, Change, EntityKind, User};
    /// use privgraph_store::{Config, Store};
    ///
    /// let dir = tempfile::tempdir()?;
    /// privgraph_store::init(dir.path(), &privgraph::snapshot::load(r#"{"version": 1}"#)?)?;
    /// let store = Store::open(dir.path(), Config::default())?;   // locks, verifies, loads
    /// let create = Change::Create { kind: EntityKind::User, id: "alice".into() };
    /// let revision = store.handle().commit(Batch::new(Author::Library, vec![create]))?;  // durable
    /// assert_eq!(revision, 1);
    /// assert_eq!(store.reader().read().len::<User>(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(dir: impl AsRef<Path>, config: Config) -> Result<Store, StoreError> {
        let dir = dir.as_ref();
        // Refuse a directory that is not a store before leaving a lock file in it.
        sqlite::existing_db(dir)?;
        let lock = sqlite::lock(dir)?;
        let mut backend = SqliteBackend::open_writing(dir)?;
        let recovered = recover(&mut backend, Use::Graph)?;
        let graph = recovered.graph.unwrap_or_default();
        let writer = Writer::with_ids(graph, Arc::clone(&config.ids));
        let reader = writer.reader();
        let thread = WriterThread {
            backend: Box::new(backend),
            writer,
            chain: recovered.chain,
            last_checkpoint: recovered.checkpoint,
            policy: Policy {
                checkpoint_every: config.checkpoint_every,
                checkpoints_kept: config.checkpoints_kept,
                idempotency_ttl: config.idempotency_ttl,
                max_group: config.max_group.max(1),
            },
            lock,
            diverged: None,
        };
        let (jobs, queue) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("privgraph-store-writer".to_owned())
            .spawn(move || thread.run(queue))
            .map_err(|err| StoreError::io("cannot start the writer thread", &err))?;
        Ok(Store {
            jobs,
            reader,
            thread: Some(thread),
            dir: dir.to_owned(),
        })
    }

    /// A reader of the published graph (clone it for every thread).
    pub fn reader(&self) -> Reader {
        self.reader.clone()
    }

    /// A handle to submit writes (clone it for every thread).
    pub fn handle(&self) -> WriteHandle {
        WriteHandle::new(writer::Queue::Thread(self.jobs.clone()))
    }

    /// The published revision: every batch up to it is durable.
    pub fn revision(&self) -> u64 {
        self.reader.revision()
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes a checkpoint at the published head now (after every write queued before
    /// this call) and returns its revision.
    ///
    /// ```
    /// use privgraph::graph::{Author, Batch, Graph};
    /// use privgraph_store::{Config, Store};
    /// let dir = tempfile::tempdir()?;
    /// privgraph_store::init(dir.path(), &Graph::new())?;
    /// let store = Store::open(dir.path(), Config::default())?;
    /// store.handle().commit(Batch::new(Author::Library, vec![]))?;
    /// assert_eq!(store.checkpoint()?, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn checkpoint(&self) -> Result<u64, StoreError> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.handle().send(Job::Checkpoint {
            reply: Box::new(move |r| {
                let _ = tx.send(r);
            }),
        });
        rx.recv().unwrap_or_else(|_| Err(writer::closed()))
    }

    /// The durability settings in force on the writer's connection, as SQLite reports
    /// them (see [`Durability`]).
    pub fn durability(&self) -> Result<Durability, StoreError> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.handle().send(Job::Durability {
            reply: Box::new(move |r| {
                let _ = tx.send(r);
            }),
        });
        rx.recv().unwrap_or_else(|_| Err(writer::closed()))
    }

    /// Stops the writer once every write queued before this call is answered, and
    /// releases the store (its lock and its database connection).
    pub fn close(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(thread) = self.thread.take() {
            self.handle().send(Job::Stop);
            // A panic of the writer thread has nothing left to release.
            let _ = thread.join();
        }
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Creates a store in `dir` holding `graph` at revision 0. `dir` is created if needed
/// and must otherwise be empty ([`StoreError::AlreadyAStore`] if it holds a store,
/// [`StoreError::NotEmpty`] if it holds anything else). The database is built under
/// another name and renamed when complete, so an interrupted `init` leaves no store.
///
/// ```
/// use privgraph_store::StoreError;
/// let dir = tempfile::tempdir()?;
/// let graph = privgraph::snapshot::load(r#"{"version": 1, "users": [{"id": "u1"}]}"#)?;
/// privgraph_store::init(dir.path(), &graph)?;
/// assert_eq!(privgraph_store::load(dir.path())?, graph);
/// assert!(matches!(privgraph_store::init(dir.path(), &graph), Err(StoreError::AlreadyAStore { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn init(dir: impl AsRef<Path>, graph: &Graph) -> Result<(), StoreError> {
    let dir = dir.as_ref();
    let _lock = sqlite::prepare_new(dir)?;
    sqlite::create(dir, &genesis(graph))
}

/// The checkpoint at revision 0 of a new store holding `graph`.
pub(crate) fn genesis(graph: &Graph) -> backend::NewCheckpoint {
    let mut genesis = writer::new_checkpoint(graph, [0; 32]);
    // A new store starts at revision 0, whatever the graph counted before.
    genesis.revision = 0;
    genesis.checksum = format::checkpoint(0, genesis.format, genesis.snapshot.as_bytes());
    genesis.chain = format::genesis(&genesis.checksum);
    genesis
}

/// The head graph of the store in `dir`, verified, without taking the writer's lock: it
/// works while another process writes the store, and gives the state of the last commit
/// made before it began.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// assert!(matches!(privgraph_store::load(dir.path()), Err(privgraph_store::StoreError::NotAStore { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load(dir: impl AsRef<Path>) -> Result<Graph, StoreError> {
    let mut backend = SqliteBackend::open_read_only(dir.as_ref())?;
    let recovered = recover(&mut backend, Use::Graph)?;
    Ok(recovered.graph.unwrap_or_default())
}

/// Verifies the store in `dir` and hands every batch after revision `since` to `out`,
/// in order, as its log line (`{"format": 1, "revision": N, "by", "at", "changes"}`);
/// returns the head revision. Works while another process writes the store. A batch
/// is handed out only once its checksum held; an error of `out` stops the log.
///
/// ```
/// use privgraph::graph::{Author, Batch, CommittedBatch, Graph};
/// use privgraph_store::{Config, Store};
/// let dir = tempfile::tempdir()?;
/// privgraph_store::init(dir.path(), &Graph::new())?;
/// let store = Store::open(dir.path(), Config::default())?;
/// for _ in 0..3 {
///     store.handle().commit(Batch::new(Author::Root, vec![]))?;
/// }
/// let mut revisions = Vec::new();
/// let head = privgraph_store::log(dir.path(), 1, |line| {
///     let batch: CommittedBatch = serde_json::from_str(line)?;
///     Ok(revisions.push(batch.revision))
/// })?;
/// assert_eq!((head, revisions), (3, vec![2, 3]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn log(
    dir: impl AsRef<Path>,
    since: u64,
    mut out: impl FnMut(&str) -> std::io::Result<()>,
) -> Result<u64, StoreError> {
    let mut backend = SqliteBackend::open_read_only(dir.as_ref())?;
    let mut out =
        |line: &str| out(line).map_err(|err| StoreError::io("cannot write the log", &err));
    let recovered = recover(
        &mut backend,
        Use::Lines {
            since,
            out: &mut out,
        },
    )?;
    Ok(recovered.head)
}

/// Copies the store in `dir` into `to` (a new or empty directory) with SQLite's online
/// backup, consistent at one commit even while a writer runs, verifies the copy and
/// returns its head revision.
///
/// ```
/// use privgraph::graph::{Author, Batch, Graph};
/// let (dir, to) = (tempfile::tempdir()?, tempfile::tempdir()?);
/// privgraph_store::init(dir.path(), &Graph::new())?;
/// let store = privgraph_store::Store::open(dir.path(), Default::default())?;
/// store.handle().commit(Batch::new(Author::Root, vec![]))?;
/// assert_eq!(privgraph_store::backup(dir.path(), to.path().join("copy"))?, 1);
/// assert_eq!(privgraph_store::load(to.path().join("copy"))?.revision(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn backup(dir: impl AsRef<Path>, to: impl AsRef<Path>) -> Result<u64, StoreError> {
    let (dir, to) = (dir.as_ref(), to.as_ref());
    let source = SqliteBackend::open_read_only(dir)?;
    let _lock = sqlite::prepare_new(to)?;
    source.backup_into(to)?;
    let mut copy = SqliteBackend::open_read_only(to)?;
    let verified = recover(
        &mut copy,
        Use::Lines {
            since: u64::MAX,
            out: &mut |_| Ok(()),
        },
    );
    match verified {
        Ok(recovered) => Ok(recovered.head),
        Err(err) => {
            // A copy that fails its check is not left behind as a store.
            drop(copy);
            let _ = std::fs::remove_file(sqlite::db_path(to));
            Err(err)
        }
    }
}

/// Writes a checkpoint at the head of the store in `dir` (taking the writer's lock
/// for it) and returns its revision; nothing is written when the newest checkpoint is
/// already at the head.
///
/// ```
/// use privgraph::graph::{Author, Batch, Graph};
/// let dir = tempfile::tempdir()?;
/// privgraph_store::init(dir.path(), &Graph::new())?;
/// let store = privgraph_store::Store::open(dir.path(), Default::default())?;
/// store.handle().commit(Batch::new(Author::Root, vec![]))?;
/// store.close();
/// assert_eq!(privgraph_store::compact(dir.path())?, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn compact(dir: impl AsRef<Path>) -> Result<u64, StoreError> {
    let config = Config {
        checkpoint_every: 0,
        ..Config::default()
    };
    let store = Store::open(dir, config)?;
    store.checkpoint()
}
