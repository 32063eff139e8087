//! Group commit: one thread drains the queue of writes, stages each on the
//! [`concurrent::Writer`], commits every staged batch in one transaction, then
//! publishes and answers.

use std::collections::HashMap;
use std::fs::File;
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::Duration;

use privgraph::concurrent::{Committed, Writer};
use privgraph::graph::{Batch, Timestamp};
use privgraph::logic::{Auth, Operation};
use serde_json::Value;

use crate::backend::{Backend, Durability, IdempotencyRecord, NewBatch, NewCheckpoint};
use crate::error::{StoreError, WriteError};
use crate::format::{self, BATCH_FORMAT, CHECKPOINT_FORMAT, Checksum};

/// An idempotency key for one write, with how to turn the write's result into the
/// answer stored with the key (what a retry gets back).
///
/// The answer is made on the writer's thread, after the write was staged and before it
/// is committed, so it is stored in the same transaction as the batch.
///
/// ```
/// use privgraph_store::Idempotency;
/// let key = Idempotency::new("request-7f3a", |committed| {
///     format!("{:?} at {}", committed.outcome, committed.revision).into_bytes()
/// });
/// assert_eq!(key.key(), "request-7f3a");
/// ```
pub struct Idempotency {
    key: String,
    answer: MakeAnswer,
}

/// Makes the answer stored with an idempotency key from the write's result.
type MakeAnswer = Box<dyn FnOnce(&Committed) -> Vec<u8> + Send>;

impl Idempotency {
    /// A key and the function that makes the answer stored with it.
    pub fn new(
        key: impl Into<String>,
        answer: impl FnOnce(&Committed) -> Vec<u8> + Send + 'static,
    ) -> Idempotency {
        Idempotency {
            key: key.into(),
            answer: Box::new(answer),
        }
    }

    /// The key.
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl std::fmt::Debug for Idempotency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Idempotency")
            .field("key", &self.key)
            .finish()
    }
}

/// The result of an operation submitted to a [`WriteHandle`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// The operation ran now: a write was committed durably at `revision` (a read was
    /// answered at the revision it read).
    Applied(Committed),
    /// Its idempotency key was seen before: nothing was applied now; this is the
    /// answer stored with the key by the first write.
    Repeated {
        /// The revision of the first write's batch.
        revision: u64,
        /// The answer made for it.
        answer: Vec<u8>,
    },
}

type Reply<T> = Box<dyn FnOnce(Result<T, WriteError>) + Send>;

pub(crate) enum Job {
    Execute {
        auth: Auth,
        op: Operation,
        body: Value,
        idempotency: Option<Idempotency>,
        reply: Reply<Written>,
    },
    Batch {
        batch: Batch,
        reply: Reply<u64>,
    },
    Checkpoint {
        reply: Box<dyn FnOnce(Result<u64, StoreError>) + Send>,
    },
    Durability {
        reply: Box<dyn FnOnce(Result<Durability, StoreError>) + Send>,
    },
    Stop,
}

/// A cloneable, `Send` handle that submits writes to the store's writer thread. Each
/// write is acknowledged (its call returns `Ok`, its callback is called with `Ok`)
/// only after its batch is committed durably and published to readers.
///
/// ```
/// use privgraph::graph::{Author, Batch, Change, EntityKind, Graph, User};
/// use privgraph_store::{Config, Store};
///
/// let dir = tempfile::tempdir()?;
/// privgraph_store::init(dir.path(), &Graph::new())?;
/// let store = Store::open(dir.path(), Config::default())?;
/// let threads: Vec<_> = (0..4).map(|i| {
///     let handle = store.handle();
///     std::thread::spawn(move || handle.commit(Batch::new(Author::Library, vec![
///         Change::Create { kind: EntityKind::User, id: format!("u{i}") },
///     ])))
/// }).collect();
/// let mut revisions: Vec<u64> = threads.into_iter().map(|t| t.join().unwrap()).collect::<Result<_, _>>()?;
/// revisions.sort();
/// assert_eq!(revisions, [1, 2, 3, 4]);
/// assert_eq!(store.reader().read().len::<User>(), 4);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct WriteHandle {
    jobs: Queue,
}

/// Where a [`WriteHandle`] sends its jobs: the SQLite store's writer thread, or a
/// PostgreSQL replica's task.
#[derive(Debug, Clone)]
pub(crate) enum Queue {
    Thread(Sender<Job>),
    #[cfg(feature = "postgres")]
    Replica(tokio::sync::mpsc::UnboundedSender<Job>),
}

impl WriteHandle {
    pub(crate) fn new(jobs: Queue) -> WriteHandle {
        WriteHandle { jobs }
    }

    /// Runs one operation as `auth` with request body `body` and waits for its answer:
    /// a write is acknowledged once durable; a refused operation is answered without
    /// storing anything. With `idempotency`, a key already stored by an earlier write
    /// gets that write's answer ([`Written::Repeated`]) and nothing is applied.
    ///
    /// ```
    /// use privgraph::graph::Graph;
    /// use privgraph::logic::{Auth, Outcome};
    /// use privgraph::rest::Request;
    /// use privgraph_store::{Config, Idempotency, Store, Written};
    ///
    /// let dir = tempfile::tempdir()?;
    /// privgraph_store::init(dir.path(), &privgraph::snapshot::load(
    ///     r#"{"version": 1, "users": [{"id": "u1"}], "groups": [{"id": "g1"}]}"#)?)?;
    /// let store = Store::open(dir.path(), Config::default())?;
    /// let request = Request::parse("PUT", "/groups/g1/users/u1", b"").unwrap();
    /// let send = || store.handle().execute(&Auth::Root, request.operation(), request.body(),
    ///     Some(Idempotency::new("put-u1", |c| c.revision.to_string().into_bytes())));
    /// let Written::Applied(first) = send()? else { panic!("a first write is applied") };
    /// assert_eq!((first.outcome, first.revision), (Outcome::Created { id: None }, 1));
    /// assert_eq!(send()?, Written::Repeated { revision: 1, answer: b"1".to_vec() });
    /// assert_eq!(store.reader().revision(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn execute(
        &self,
        auth: &Auth,
        op: &Operation,
        body: &Value,
        idempotency: Option<Idempotency>,
    ) -> Result<Written, WriteError> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.submit(
            auth.clone(),
            op.clone(),
            body.clone(),
            idempotency,
            move |r| {
                // The submitter may have stopped waiting; the answer is then dropped.
                let _ = tx.send(r);
            },
        );
        rx.recv().unwrap_or(Err(WriteError::Closed))
    }

    /// [`WriteHandle::execute`] without waiting: `reply` is called on the writer's
    /// thread with the answer (keep it short: the next group waits for it).
    pub fn submit(
        &self,
        auth: Auth,
        op: Operation,
        body: Value,
        idempotency: Option<Idempotency>,
        reply: impl FnOnce(Result<Written, WriteError>) + Send + 'static,
    ) {
        let job = Job::Execute {
            auth,
            op,
            body,
            idempotency,
            reply: Box::new(reply),
        };
        self.send(job);
    }

    /// Commits a batch made through the library API and waits for its revision.
    ///
    /// ```
    /// use privgraph::graph::{Author, Batch, Change, EntityKind, Graph};
    /// use privgraph_store::{Config, Store, WriteError};
    /// let dir = tempfile::tempdir()?;
    /// privgraph_store::init(dir.path(), &Graph::new())?;
    /// let store = Store::open(dir.path(), Config::default())?;
    /// let create = Change::Create { kind: EntityKind::Cluster, id: "c1".into() };
    /// assert_eq!(store.handle().commit(Batch::new(Author::Library, vec![create.clone()]))?, 1);
    /// // The same change again is refused by the graph: nothing is stored.
    /// let again = store.handle().commit(Batch::new(Author::Library, vec![create]));
    /// assert!(matches!(again, Err(WriteError::Batch(_))));
    /// assert_eq!(store.reader().revision(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn commit(&self, batch: Batch) -> Result<u64, WriteError> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.submit_batch(batch, move |r| {
            let _ = tx.send(r);
        });
        rx.recv().unwrap_or(Err(WriteError::Closed))
    }

    /// [`WriteHandle::commit`] without waiting: `reply` is called on the writer's thread.
    pub fn submit_batch(
        &self,
        batch: Batch,
        reply: impl FnOnce(Result<u64, WriteError>) + Send + 'static,
    ) {
        self.send(Job::Batch {
            batch,
            reply: Box::new(reply),
        });
    }

    pub(crate) fn send(&self, job: Job) {
        let refused = match &self.jobs {
            Queue::Thread(jobs) => jobs.send(job).err().map(|mpsc::SendError(job)| job),
            #[cfg(feature = "postgres")]
            Queue::Replica(jobs) => jobs
                .send(job)
                .err()
                .map(|tokio::sync::mpsc::error::SendError(job)| job),
        };
        if let Some(job) = refused {
            job.refuse();
        }
    }
}

impl Job {
    /// Answers a job the writer will never run.
    pub(crate) fn refuse(self) {
        match self {
            Job::Execute { reply, .. } => reply(Err(WriteError::Closed)),
            Job::Batch { reply, .. } => reply(Err(WriteError::Closed)),
            Job::Checkpoint { reply } => reply(Err(closed())),
            Job::Durability { reply } => reply(Err(closed())),
            Job::Stop => {}
        }
    }
}

/// The error of a request to a writer thread that has stopped.
pub(crate) fn closed() -> StoreError {
    StoreError::Io {
        context: "the store's writer".to_owned(),
        message: "it has stopped".to_owned(),
    }
}

/// When and how the writer checkpoints, and what it keeps.
pub(crate) struct Policy {
    pub checkpoint_every: u64,
    pub checkpoints_kept: usize,
    pub idempotency_ttl: Duration,
    pub max_group: usize,
}

/// The writer thread's state.
pub(crate) struct WriterThread {
    pub backend: Box<dyn Backend>,
    pub writer: Writer,
    /// The chain value at the published head.
    pub chain: Checksum,
    pub last_checkpoint: u64,
    pub policy: Policy,
    /// Held while the thread runs: the store's writer lock.
    pub lock: File,
    /// Set when the database may hold what memory does not: every write is refused.
    pub diverged: Option<StoreError>,
}

/// An answer that waits for the group's commit.
enum Pending {
    /// An operation's result (a staged write, or a read or refusal that depends on
    /// what was staged before it in this group).
    Execute {
        result: Result<Committed, WriteError>,
        reply: Reply<Written>,
    },
    /// A retry, in the same group, of a key a staged write carries: gets that write's
    /// answer.
    SameKey {
        revision: u64,
        answer: Vec<u8>,
        reply: Reply<Written>,
    },
    Batch {
        result: Result<u64, WriteError>,
        reply: Reply<u64>,
    },
}

impl WriterThread {
    pub(crate) fn run(mut self, jobs: Receiver<Job>) {
        let mut group = Vec::new();
        'serve: while let Ok(first) = jobs.recv() {
            group.push(first);
            while group.len() < self.policy.max_group {
                match jobs.try_recv() {
                    Ok(job) => group.push(job),
                    Err(_) => break,
                }
            }
            let stop = self.commit_group(&mut group);
            if stop {
                break 'serve;
            }
        }
        // Anything queued after a stop is answered: the store is closed.
        while let Ok(job) = jobs.try_recv() {
            job.refuse();
        }
        drop(self.backend);
        drop(self.lock);
    }

    /// Runs one group of jobs; true when a stop was among them.
    fn commit_group(&mut self, group: &mut Vec<Job>) -> bool {
        let backend = &mut self.backend;
        let staged = stage_group(
            &mut self.writer,
            group.drain(..),
            self.diverged.as_ref(),
            self.policy.idempotency_ttl,
            &mut |key, not_before_ms| backend.idempotency(key, not_before_ms),
        );
        let stored = self.append(&staged.keys);
        match &stored {
            Ok(()) => {
                self.writer.publish();
            }
            Err(_) => self.writer.rollback(),
        }
        let (after, stop) = staged.answer(stored.as_ref().err());
        if stored.is_ok() {
            self.maybe_checkpoint();
        }
        for job in after {
            match job {
                Job::Checkpoint { reply } => reply(self.checkpoint()),
                Job::Durability { reply } => reply(self.backend.durability()),
                other => other.refuse(),
            }
        }
        stop
    }

    /// Makes every staged batch durable in one transaction, with `keys`.
    fn append(&mut self, keys: &[IdempotencyRecord]) -> Result<(), StoreError> {
        let (batches, chain) = encode_staged(&self.writer, self.chain)?;
        let Some(last) = batches.last() else {
            return Ok(());
        };
        let last_revision = last.revision;
        match self.backend.append(&batches, keys) {
            Ok(()) => {
                self.chain = chain;
                Ok(())
            }
            Err(err) => {
                // The transaction failed; make sure it left nothing behind, since the
                // graph is about to be rolled back to the published revision.
                let published = last_revision - batches.len() as u64;
                match self.backend.head() {
                    Ok(head) if head == published => {}
                    stored => {
                        self.diverged = Some(StoreError::Diverged {
                            in_memory: published,
                            stored: stored.ok(),
                        });
                    }
                }
                Err(err)
            }
        }
    }

    fn maybe_checkpoint(&mut self) {
        let every = self.policy.checkpoint_every;
        let head = self.writer.reader().revision();
        if every > 0 && head >= self.last_checkpoint + every {
            // A failed automatic checkpoint loses nothing (the batches are stored); it
            // is tried again after the next batch.
            let _ = self.checkpoint();
        }
    }

    /// Writes a checkpoint of the published graph; returns its revision.
    pub(crate) fn checkpoint(&mut self) -> Result<u64, StoreError> {
        if let Some(err) = &self.diverged {
            return Err(err.clone());
        }
        let graph = self.writer.graph();
        let revision = graph.revision();
        if revision == self.last_checkpoint {
            return Ok(revision);
        }
        let checkpoint = new_checkpoint(graph, self.chain);
        let expired_before_ms = Timestamp::now()
            .unix_millis()
            .saturating_sub(ttl_ms(self.policy.idempotency_ttl));
        self.backend.write_checkpoint(
            &checkpoint,
            self.policy.checkpoints_kept,
            expired_before_ms,
        )?;
        self.last_checkpoint = revision;
        Ok(revision)
    }
}

/// One group of jobs staged on a [`Writer`]: what to store with the batches, and what
/// to answer once the store's commit has ended.
pub(crate) struct StagedGroup {
    /// The idempotency records of the staged writes.
    pub keys: Vec<IdempotencyRecord>,
    pending: Vec<Pending>,
    /// Jobs that run after the commit (checkpoints, settings), in order.
    after: Vec<Job>,
    stop: bool,
}

impl StagedGroup {
    /// Answers every staged job now that the commit ended (`failed` when it did not
    /// store); returns the jobs to run after it and whether a stop was among the jobs.
    pub(crate) fn answer(self, failed: Option<&StoreError>) -> (Vec<Job>, bool) {
        for answer in self.pending {
            answer.send(failed);
        }
        (self.after, self.stop)
    }
}

/// Finds the stored record of an idempotency key created at or after a time (Unix
/// milliseconds).
pub(crate) type KeyLookup<'a> =
    dyn FnMut(&str, i64) -> Result<Option<IdempotencyRecord>, StoreError> + 'a;

/// Stores' shared group commit, its first half: stages every write of `jobs` on
/// `writer`, in order (each sees the ones staged before it). A job whose idempotency
/// key `lookup` finds stored is answered with the first write's answer; a refusal or a
/// read that depends on nothing staged is answered at once. With `refuse_all`, every
/// write is answered with that error. Jobs after a stop are refused.
pub(crate) fn stage_group(
    writer: &mut Writer,
    jobs: impl IntoIterator<Item = Job>,
    refuse_all: Option<&StoreError>,
    ttl: Duration,
    lookup: &mut KeyLookup<'_>,
) -> StagedGroup {
    let mut group = StagedGroup {
        keys: Vec::new(),
        pending: Vec::new(),
        after: Vec::new(),
        stop: false,
    };
    let mut keys_in_group: HashMap<String, usize> = HashMap::new();
    let now_ms = Timestamp::now().unix_millis();
    let not_before_ms = now_ms.saturating_sub(ttl_ms(ttl));
    let mut jobs = jobs.into_iter();
    for job in jobs.by_ref() {
        let staged_before = writer.staged().count();
        match job {
            Job::Execute {
                auth,
                op,
                body,
                idempotency,
                reply,
            } => {
                if let Some(err) = refuse_all {
                    reply(Err(WriteError::Storage(err.clone())));
                    continue;
                }
                if let Some(key) = &idempotency {
                    if let Some(&index) = keys_in_group.get(&key.key) {
                        let record: &IdempotencyRecord = &group.keys[index];
                        group.pending.push(Pending::SameKey {
                            revision: record.revision,
                            answer: record.answer.clone(),
                            reply,
                        });
                        continue;
                    }
                    match lookup(&key.key, not_before_ms) {
                        Ok(None) => {}
                        Ok(Some(record)) => {
                            reply(repeated(record));
                            continue;
                        }
                        Err(err) => {
                            reply(Err(WriteError::Storage(err)));
                            continue;
                        }
                    }
                }
                let result = writer.stage(&auth, &op, &body);
                let staged = writer.staged().count() > staged_before;
                if let (Ok(committed), true, Some(key)) = (&result, staged, idempotency) {
                    let answer = (key.answer)(committed);
                    keys_in_group.insert(key.key.clone(), group.keys.len());
                    group.keys.push(IdempotencyRecord {
                        checksum: format::idempotency(&key.key, committed.revision, &answer)
                            .to_vec(),
                        key: key.key,
                        revision: committed.revision,
                        answer,
                        created_ms: now_ms,
                    });
                }
                let result = result.map_err(WriteError::Refused);
                if staged_before == 0 && !staged {
                    // A refusal or a read on durable state only: answered at once.
                    reply(result.map(Written::Applied));
                } else {
                    group.pending.push(Pending::Execute { result, reply });
                }
            }
            Job::Batch { batch, reply } => {
                if let Some(err) = refuse_all {
                    reply(Err(WriteError::Storage(err.clone())));
                    continue;
                }
                let result = writer.stage_batch(batch).map_err(WriteError::Batch);
                if staged_before == 0 && result.is_err() {
                    reply(result);
                } else {
                    group.pending.push(Pending::Batch { result, reply });
                }
            }
            // Run after this group's commit, so they see it.
            job @ (Job::Checkpoint { .. } | Job::Durability { .. }) => group.after.push(job),
            Job::Stop => {
                group.stop = true;
                break;
            }
        }
    }
    // Jobs behind a stop in this group are refused like those queued after it.
    for job in jobs {
        job.refuse();
    }
    group
}

/// The answer to a write whose key is stored: the first write's answer, once the
/// record's checksum holds.
fn repeated(record: IdempotencyRecord) -> Result<Written, WriteError> {
    let expected = format::idempotency(&record.key, record.revision, &record.answer);
    if record.checksum == expected {
        Ok(Written::Repeated {
            revision: record.revision,
            answer: record.answer,
        })
    } else {
        Err(WriteError::Storage(StoreError::Corrupt {
            revision: Some(record.revision),
            damage: crate::error::Damage::Idempotency(record.key),
        }))
    }
}

/// The staged batches of `writer` as rows to append after the chain value `chain`,
/// and the chain value at the last of them.
pub(crate) fn encode_staged(
    writer: &Writer,
    mut chain: Checksum,
) -> Result<(Vec<NewBatch>, Checksum), StoreError> {
    let mut batches = Vec::new();
    for committed in writer.staged() {
        let line = serde_json::to_string(committed).map_err(|err| StoreError::Io {
            context: format!("cannot encode the batch of revision {}", committed.revision),
            message: err.to_string(),
        })?;
        chain = format::chain(&chain, committed.revision, BATCH_FORMAT, line.as_bytes());
        batches.push(NewBatch {
            revision: committed.revision,
            format: BATCH_FORMAT,
            line,
            chain,
        });
    }
    Ok((batches, chain))
}

impl Pending {
    /// Sends the answer, now that the group's commit ended (`failed` when it did not
    /// store): what depended on the staged batches fails with it.
    fn send(self, failed: Option<&StoreError>) {
        let storage = |err: &StoreError| WriteError::Storage(err.clone());
        match self {
            // A refusal or a read that saw batches which were not stored fails too.
            Pending::Execute { result, reply } => reply(match failed {
                Some(err) => Err(storage(err)),
                None => result.map(Written::Applied),
            }),
            Pending::SameKey {
                revision,
                answer,
                reply,
            } => reply(match failed {
                Some(err) => Err(storage(err)),
                None => Ok(Written::Repeated { revision, answer }),
            }),
            Pending::Batch { result, reply } => reply(match failed {
                Some(err) => Err(storage(err)),
                None => result,
            }),
        }
    }
}

/// A checkpoint of `graph` whose chain value is `chain`.
pub(crate) fn new_checkpoint(graph: &privgraph::graph::Graph, chain: Checksum) -> NewCheckpoint {
    let revision = graph.revision();
    let snapshot = privgraph::snapshot::save(graph);
    NewCheckpoint {
        revision,
        format: CHECKPOINT_FORMAT,
        checksum: format::checkpoint(revision, CHECKPOINT_FORMAT, snapshot.as_bytes()),
        snapshot,
        chain,
    }
}

fn ttl_ms(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX)
}
