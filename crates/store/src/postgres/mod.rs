//! Replicas over PostgreSQL: many processes, one graph, one ordered log (the cargo
//! feature `postgres`).
//!
//! [`init`] creates the store's tables (`privgraph_*`) in a database; every
//! [`Replica::open`] on it is a replica of one graph. A replica keeps the graph in
//! memory (checks never leave the process) and follows the log: PostgreSQL's
//! `LISTEN`/`NOTIFY` wakes it when a batch commits, and it polls every
//! [`ReplicaConfig::poll_interval`] in case a notification was lost. It applies the
//! batches in order, checking their chained checksums.
//!
//! **Writes are linearizable on any replica.** The log's head is one row. A replica's
//! writer locks it (`SELECT … FOR UPDATE`), catches its graph up to the head, validates
//! every queued write there, appends them at the next revisions with the new head and a
//! notification in the same transaction, commits, and only then publishes and answers.
//! A writer on another replica waits for the lock, then catches up to the batches just
//! committed before it validates its own, so a conflict (two replicas adding the same
//! member) gives one success and one refusal, never a lost or duplicated batch.
//! Revision N + 1 can only commit after N did, so the batches a reader sees are always
//! the revisions 1 to N with no gap it could skip past. Idempotency keys are global to
//! the database.
//!
//! **Writes in the host's transaction.** A host keeping its own tables in the same
//! database stages privgraph writes inside its own `tokio_postgres::Transaction`
//! ([`Replica::write_in`]): they commit with its rows or not at all, and every replica
//! applies them once committed. This holds the log's head from the first staged write
//! until the host's transaction ends: every other writer, on every replica, waits
//! for it (see [`HostWrite`]).
//!
//! ```
//! use privgraph::graph::{Author, Batch, Change, EntityKind, Graph, User};
//! use privgraph_store::postgres::{self, Replica, ReplicaConfig};
//!
//! # // A throwaway server for this example (the repository's test support).
//! # let Some(cluster) = privgraph_testpg::Cluster::start() else { return Ok(()) };
//! # let url = &cluster.create_database("authz");
//! // let url = "postgresql://privgraph@127.0.0.1:5432/authz";
//! postgres::init(url, &Graph::new())?;
//! let (a, b) = (Replica::open(url, ReplicaConfig::default())?, Replica::open(url, ReplicaConfig::default())?);
//! let create = Change::Create { kind: EntityKind::User, id: "alice".into() };
//! let revision = a.handle().commit(Batch::new(Author::Library, vec![create]))?;
//! // Read-your-writes on the other replica: it catches up on demand.
//! let graph = b.at_least(revision, std::time::Duration::from_secs(5))?;
//! assert_eq!(graph.len::<User>(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! (The other examples of this module need a server and are only compiled.)
//!
//! # Durability
//!
//! A write is acknowledged only after PostgreSQL's `COMMIT` of the transaction holding
//! its batch returned. Opening a replica, and `init`, refuse a server whose `fsync`
//! is off or whose `synchronous_commit` is off
//! ([`StoreError::DatabaseNotDurable`]), since
//! either lets an acknowledged commit be lost. When the connection fails during the
//! `COMMIT` itself, the write is answered with a storage error that says its outcome
//! is unknown: the batch may have been stored, and the replica then applies it from
//! the log like any other. A retry with the same idempotency key gets the first answer
//! if it was stored and is applied once if it was not.

mod host;
mod replica;
mod schema;

use std::str::FromStr;
use std::sync::mpsc::sync_channel;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use privgraph::concurrent::{NotYet, ReadGuard, Reader};
use privgraph::graph::Graph;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use crate::error::StoreError;
use crate::recover::{Use, Verifier};
use crate::writer::{self, Job, Queue, WriteHandle};
use crate::{Config, format};

pub use host::HostWrite;
use replica::Control;

/// How a [`Replica`] writes and follows the log.
///
/// ```
/// use std::time::Duration;
/// use privgraph_store::postgres::ReplicaConfig;
/// let config = ReplicaConfig { poll_interval: Duration::from_millis(200), ..ReplicaConfig::default() };
/// assert_eq!(config.lock_timeout, Duration::from_secs(10));
/// ```
#[derive(Debug, Clone)]
pub struct ReplicaConfig {
    /// Checkpoints, idempotency keys, group size and ids, as for the SQLite store. A
    /// replica writes a checkpoint when a commit of its own crosses a multiple of
    /// `checkpoint_every`.
    pub store: Config,
    /// How often the replica reads the log when no notification woke it (the bound of
    /// its lag when notifications are lost). Default 1 s.
    pub poll_interval: Duration,
    /// How long a write waits for the log's head (held by another replica's commit or
    /// a host's open transaction) before it is answered with a storage error.
    /// Default 10 s.
    pub lock_timeout: Duration,
    /// Connections the replica keeps to the database besides the one that listens for
    /// notifications. Default 4.
    pub pool_size: usize,
}

impl Default for ReplicaConfig {
    fn default() -> ReplicaConfig {
        ReplicaConfig {
            store: Config::default(),
            poll_interval: Duration::from_secs(1),
            lock_timeout: Duration::from_secs(10),
            pool_size: 4,
        }
    }
}

/// A database URL, parsed, with the name it is shown by (never its password).
#[derive(Clone)]
pub(crate) struct Database {
    pub config: tokio_postgres::Config,
    pub name: String,
}

impl Database {
    pub(crate) fn parse(url: &str) -> Result<Database, StoreError> {
        let mut config = tokio_postgres::Config::from_str(url).map_err(|err| StoreError::Io {
            context: "cannot read the database URL".to_owned(),
            message: err.to_string(),
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(5));
        }
        if config.get_application_name().is_none() {
            config.application_name("privgraph");
        }
        let host = match config.get_hosts().first() {
            Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
            #[cfg(unix)]
            Some(tokio_postgres::config::Host::Unix(path)) => path.display().to_string(),
            None => "localhost".to_owned(),
        };
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let user = config.get_user().unwrap_or("");
        let name = format!(
            "postgresql://{user}{}{host}:{port}/{}",
            if user.is_empty() { "" } else { "@" },
            config.get_dbname().unwrap_or(user)
        );
        Ok(Database { config, name })
    }

    pub(crate) async fn connect(&self) -> Result<tokio_postgres::Client, StoreError> {
        let (client, connection) = self
            .config
            .connect(tokio_postgres::NoTls)
            .await
            .map_err(|e| StoreError::postgres(format!("cannot connect to {}", self.name), &e))?;
        tokio::spawn(connection);
        Ok(client)
    }
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

/// Runs `work` on a thread of its own with a runtime of its own, so that the blocking
/// functions of this module work from any thread, inside an asynchronous runtime too.
fn blocking<T: Send>(
    work: impl FnOnce() -> std::pin::Pin<Box<dyn Future<Output = Result<T, StoreError>>>> + Send,
) -> Result<T, StoreError> {
    std::thread::scope(|scope| {
        let thread = scope.spawn(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|err| StoreError::io("cannot start a runtime for PostgreSQL", &err))?;
            runtime.block_on(work())
        });
        thread.join().unwrap_or_else(|_| Err(writer::closed()))
    })
}

/// Creates a store in the database at `url` holding `graph` at revision 0: the
/// `privgraph_*` tables, in one transaction
/// ([`StoreError::AlreadyInDatabase`] if they
/// exist). Blocks until done.
///
/// ```no_run
/// let graph = privgraph::snapshot::load(r#"{"version": 1, "users": [{"id": "u1"}]}"#)?;
/// privgraph_store::postgres::init("postgresql://privgraph@127.0.0.1/authz", &graph)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn init(url: &str, graph: &Graph) -> Result<(), StoreError> {
    let database = Database::parse(url)?;
    let genesis = crate::genesis(graph);
    blocking(|| {
        Box::pin(async move {
            let mut client = database.connect().await?;
            schema::create(&mut client, &genesis, &database.name).await
        })
    })
}

/// The head graph of the store in the database at `url`, verified like a store
/// directory's ([`crate::load`]). Blocks until done.
///
/// ```no_run
/// let graph = privgraph_store::postgres::load("postgresql://privgraph@127.0.0.1/authz")?;
/// println!("{}", privgraph::snapshot::save(&graph));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load(url: &str) -> Result<Graph, StoreError> {
    let database = Database::parse(url)?;
    blocking(|| {
        Box::pin(async move {
            let mut client = database.connect().await?;
            let mut verifier = Verifier::new(Use::Graph);
            schema::load(&mut client, &mut verifier, &database.name).await?;
            Ok(verifier.finish()?.graph.unwrap_or_default())
        })
    })
}

/// Verifies the store in the database at `url` and hands every batch after revision
/// `since` to `out`, in order, as its log line; returns the head revision (as
/// [`crate::log`] does for a directory). Blocks until done.
///
/// ```no_run
/// let head = privgraph_store::postgres::log("postgresql://privgraph@127.0.0.1/authz", 0, |line| {
///     println!("{line}");
///     Ok(())
/// })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn log(
    url: &str,
    since: u64,
    mut out: impl FnMut(&str) -> std::io::Result<()>,
) -> Result<u64, StoreError> {
    let database = Database::parse(url)?;
    let (lines, received) = sync_channel::<String>(1024);
    std::thread::scope(|scope| {
        // The database is read on a thread of its own; `out` runs here, so it need not
        // be `Send`. Dropping the receiver stops the reader.
        let reading = scope.spawn(move || {
            blocking(|| {
                Box::pin(async move {
                    let mut client = database.connect().await?;
                    let mut send = |line: &str| {
                        lines.send(line.to_owned()).map_err(|_| StoreError::Io {
                            context: "cannot write the log".to_owned(),
                            message: "the output was closed".to_owned(),
                        })
                    };
                    let mut verifier = Verifier::new(Use::Lines {
                        since,
                        out: &mut send,
                    });
                    schema::load(&mut client, &mut verifier, &database.name).await?;
                    Ok(verifier.finish()?.head)
                })
            })
        });
        let mut failed = None;
        for line in received.iter() {
            if let Err(err) = out(&line) {
                failed = Some(err);
                break;
            }
        }
        drop(received);
        let head = reading.join().unwrap_or_else(|_| Err(writer::closed()));
        match failed {
            Some(err) => Err(StoreError::io("cannot write the log", &err)),
            None => head,
        }
    })
}

/// How far a replica is behind the log, as `/metrics` reports it.
///
/// ```
/// use privgraph_store::postgres::Replication;
/// let caught_up = Replication { revision: 7, head: 7, lag_revisions: 0, lag_seconds: 0.0, connected: true, stopped: None };
/// assert_eq!(caught_up.lag_revisions, caught_up.head - caught_up.revision);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Replication {
    /// The revision this replica publishes.
    pub revision: u64,
    /// The newest head of the log it has seen (from a notification, a poll, or a
    /// write's lock).
    pub head: u64,
    /// `head − revision`: batches committed that it has not applied yet.
    pub lag_revisions: u64,
    /// How long its published state may have been missing batches: 0 when it holds
    /// the newest head it knows of and is in contact with the database; since when it
    /// learned of a head it does not hold yet, or since its last contact with the
    /// database when it has none, whichever is longer.
    pub lag_seconds: f64,
    /// Whether its notification connection is up.
    pub connected: bool,
    /// Set when the log does not continue what the replica holds (a batch that fails
    /// its checksum, a database restored to an older state): it stopped following and
    /// refuses writes until opened again.
    pub stopped: Option<StoreError>,
}

/// What a replica's task shares with its handles.
#[derive(Debug)]
pub(crate) struct Status {
    progress: Mutex<Progress>,
    connected: std::sync::atomic::AtomicBool,
    /// Wakes the task to read the log now (a notification, or a reader waiting for a
    /// revision); wakes coalesce.
    wake: tokio::sync::Notify,
}

#[derive(Debug)]
struct Progress {
    published: u64,
    head_seen: u64,
    behind_since: Option<Instant>,
    last_contact: Instant,
    stopped: Option<StoreError>,
}

impl Status {
    fn new(revision: u64) -> Status {
        Status {
            progress: Mutex::new(Progress {
                published: revision,
                head_seen: revision,
                behind_since: None,
                last_contact: Instant::now(),
                stopped: None,
            }),
            connected: std::sync::atomic::AtomicBool::new(false),
            wake: tokio::sync::Notify::new(),
        }
    }

    fn progress(&self) -> std::sync::MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The database told of head `revision` (the database was reached).
    pub(crate) fn saw_head(&self, revision: u64) {
        let mut progress = self.progress();
        progress.last_contact = Instant::now();
        progress.head_seen = progress.head_seen.max(revision);
        if progress.head_seen > progress.published && progress.behind_since.is_none() {
            progress.behind_since = Some(Instant::now());
        }
    }

    /// The replica published `revision`.
    pub(crate) fn published(&self, revision: u64) {
        let mut progress = self.progress();
        progress.published = revision;
        progress.head_seen = progress.head_seen.max(revision);
        if revision >= progress.head_seen {
            progress.behind_since = None;
        }
    }

    pub(crate) fn stopped(&self, err: StoreError) {
        self.progress().stopped = Some(err);
    }

    pub(crate) fn set_connected(&self, connected: bool) {
        self.connected
            .store(connected, std::sync::atomic::Ordering::SeqCst);
        if connected {
            self.progress().last_contact = Instant::now();
        }
    }
}

/// A replica of the graph kept in a PostgreSQL database: the graph in memory, a task
/// that follows the log and writes through it. Dropping it (or [`Replica::close`])
/// lets it finish what is queued and stops it.
///
/// ```no_run
/// use std::time::Duration;
/// use privgraph::logic::Auth;
/// use privgraph::rest::Request;
/// use privgraph_store::postgres::{Replica, ReplicaConfig};
/// use privgraph_store::Written;
///
/// let replica = Replica::open("postgresql://privgraph@127.0.0.1/authz", ReplicaConfig::default())?;
/// let request = Request::parse("PUT", "/groups/g1/users/u1", b"").unwrap();
/// let written = replica.handle().execute(&Auth::Root, request.operation(), request.body(), None)?;
/// if let Written::Applied(committed) = written {
///     println!("stored at revision {}", committed.revision);
/// }
/// println!("{:?}", replica.replication());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Replica {
    jobs: UnboundedSender<Job>,
    control: UnboundedSender<Control>,
    reader: Reader,
    status: Arc<Status>,
    thread: Option<JoinHandle<()>>,
    database: String,
    opened_from: u64,
}

impl Replica {
    /// Connects to the store in the database at `url`, verifies and loads it (the
    /// newest checkpoint, then the batches after it, every checksum checked), and
    /// starts following the log. Blocks until the graph is loaded.
    pub fn open(url: &str, config: ReplicaConfig) -> Result<Replica, StoreError> {
        let database = Database::parse(url)?;
        let name = database.name.clone();
        let (jobs, job_queue) = unbounded_channel();
        let (control, control_queue) = unbounded_channel();
        let (ready, opened) = sync_channel(1);
        let thread = std::thread::Builder::new()
            .name("privgraph-replica".to_owned())
            .spawn(move || replica::run(database, config, job_queue, control_queue, ready))
            .map_err(|err| StoreError::io("cannot start the replica's thread", &err))?;
        match opened.recv() {
            Ok(Ok((reader, status, checkpoint))) => Ok(Replica {
                opened_from: checkpoint,
                jobs,
                control,
                reader,
                status,
                thread: Some(thread),
                database: name,
            }),
            Ok(Err(err)) => {
                let _ = thread.join();
                Err(err)
            }
            Err(_) => {
                let _ = thread.join();
                Err(writer::closed())
            }
        }
    }

    /// A reader of the published graph (clone it for every thread).
    pub fn reader(&self) -> Reader {
        self.reader.clone()
    }

    /// A handle to submit writes (clone it for every thread): each is validated at the
    /// log's head and acknowledged once committed in the database.
    pub fn handle(&self) -> WriteHandle {
        WriteHandle::new(Queue::Replica(self.jobs.clone()))
    }

    /// The published revision.
    pub fn revision(&self) -> u64 {
        self.reader.revision()
    }

    /// The revision of the checkpoint the graph was loaded from when the replica
    /// opened (the batches after it were replayed).
    pub fn opened_from(&self) -> u64 {
        self.opened_from
    }

    /// The database, as `postgresql://USER@HOST:PORT/NAME`.
    pub fn database(&self) -> &str {
        &self.database
    }

    /// The published graph once it is at `revision` or later (a revision another
    /// replica answered with): the replica reads the log now rather than at its next
    /// notification or poll, and waits at most `timeout`.
    pub fn at_least(&self, revision: u64, timeout: Duration) -> Result<ReadGuard, NotYet> {
        let graph = self.reader.read();
        if graph.revision() >= revision {
            return Ok(graph);
        }
        drop(graph);
        self.status.wake.notify_one();
        self.reader.wait_for(revision, timeout)
    }

    /// How far behind the log this replica is.
    pub fn replication(&self) -> Replication {
        let revision = self.reader.revision();
        let connected = self
            .status
            .connected
            .load(std::sync::atomic::Ordering::SeqCst);
        let progress = self.status.progress();
        let head = progress.head_seen.max(revision);
        let lag_revisions = head - revision;
        let mut lag = Duration::ZERO;
        if lag_revisions > 0
            && let Some(since) = progress.behind_since
        {
            lag = since.elapsed();
        }
        if !connected {
            lag = lag.max(progress.last_contact.elapsed());
        }
        Replication {
            revision,
            head,
            lag_revisions,
            lag_seconds: lag.as_secs_f64(),
            connected,
            stopped: progress.stopped.clone(),
        }
    }

    /// Reads the log up to its head, then writes a checkpoint of the graph there (if
    /// none is) and returns its revision.
    pub fn checkpoint(&self) -> Result<u64, StoreError> {
        let (tx, rx) = sync_channel(1);
        self.handle().send(Job::Checkpoint {
            reply: Box::new(move |r| {
                let _ = tx.send(r);
            }),
        });
        rx.recv().unwrap_or_else(|_| Err(writer::closed()))
    }

    /// Stops the replica once every write queued before this call is answered.
    pub fn close(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(thread) = self.thread.take() {
            self.handle().send(Job::Stop);
            let _ = thread.join();
        }
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The chain value that a checkpoint read from the database carries, as 32 bytes.
pub(crate) fn checksum(bytes: &[u8], revision: u64) -> Result<format::Checksum, StoreError> {
    format::checksum_of(bytes).ok_or(StoreError::Corrupt {
        revision: Some(revision),
        damage: crate::error::Damage::Head,
    })
}
