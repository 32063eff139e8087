//! A replica's task: one thread with a runtime of its own, owning the
//! [`concurrent::Writer`](privgraph::concurrent::Writer); it follows the log and runs
//! the group commit through the locked head.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc::SyncSender;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use privgraph::concurrent::{Committed, Reader, Writer};
use privgraph::graph::{Batch, CommittedBatch, Timestamp};
use privgraph::logic::{Auth, Operation};
use serde_json::Value;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use tokio::sync::oneshot;
use tokio_postgres::{AsyncMessage, GenericClient, IsolationLevel, NoTls, Row};

use super::schema::{self, revision_of, sql_revision};
use super::{Database, ReplicaConfig, Status};
use crate::backend::IdempotencyRecord;
use crate::error::{Damage, StoreError, WriteError};
use crate::format::{self, BATCH_FORMAT, Checksum};
use crate::recover::{Use, Verifier};
use crate::writer::{Job, encode_staged, new_checkpoint, stage_group};

/// Batches read per query while following the log.
const PAGE: i64 = 1000;

/// Requests of a replica's handles other than writes.
pub(crate) enum Control {
    /// Validate a write for a host's transaction, which holds the head at `head`.
    Host(HostRequest),
}

/// A write staged in a host's transaction: validated on the graph at `head` with the
/// transaction's `earlier` batches applied, then taken back (the host's transaction
/// stores it; every replica applies it once it commits).
pub(crate) struct HostRequest {
    pub head: u64,
    pub earlier: Vec<CommittedBatch>,
    pub write: HostOp,
    pub reply: oneshot::Sender<Result<HostStaged, WriteError>>,
}

pub(crate) enum HostOp {
    Execute {
        auth: Auth,
        op: Operation,
        body: Value,
    },
    Batch(Batch),
}

/// A host's write, validated: its answer and, for a write, its batch.
pub(crate) struct HostStaged {
    pub committed: Committed,
    pub batch: Option<CommittedBatch>,
}

struct Task {
    pool: Pool,
    writer: Writer,
    /// The chain value at the published head.
    chain: Checksum,
    status: Arc<Status>,
    config: ReplicaConfig,
    jobs: UnboundedReceiver<Job>,
    control: UnboundedReceiver<Control>,
    last_checkpoint: u64,
    /// Set when the log does not continue what this replica holds.
    stopped: Option<StoreError>,
}

type Ready = SyncSender<Result<(Reader, Arc<Status>, u64), StoreError>>;

/// The replica's thread: loads the graph, answers `ready`, then serves until stopped.
pub(crate) fn run(
    database: Database,
    config: ReplicaConfig,
    jobs: UnboundedReceiver<Job>,
    control: UnboundedReceiver<Control>,
    ready: Ready,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            let _ = ready.send(Err(StoreError::io(
                "cannot start the replica's runtime",
                &err,
            )));
            return;
        }
    };
    runtime.block_on(async move {
        match Task::start(database, config, jobs, control).await {
            Ok(task) => {
                let opened = (
                    task.writer.reader(),
                    Arc::clone(&task.status),
                    task.last_checkpoint,
                );
                let _ = ready.send(Ok(opened));
                task.serve().await;
            }
            Err(err) => {
                let _ = ready.send(Err(err));
            }
        }
    });
}

fn pool_error(context: &str, err: deadpool_postgres::PoolError) -> StoreError {
    match &err {
        deadpool_postgres::PoolError::Backend(e) => StoreError::postgres(context, e),
        other => StoreError::Io {
            context: context.to_owned(),
            message: other.to_string(),
        },
    }
}

impl Task {
    async fn start(
        database: Database,
        config: ReplicaConfig,
        jobs: UnboundedReceiver<Job>,
        control: UnboundedReceiver<Control>,
    ) -> Result<Task, StoreError> {
        let manager = Manager::from_config(
            database.config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(config.pool_size.max(2))
            .runtime(Runtime::Tokio1)
            .create_timeout(database.config.get_connect_timeout().copied())
            .build()
            .map_err(|err| StoreError::Io {
                context: "cannot make the connection pool".to_owned(),
                message: err.to_string(),
            })?;
        let context = format!("cannot open the store in {}", database.name);
        let mut client = pool.get().await.map_err(|e| pool_error(&context, e))?;
        schema::check_server(&client).await?;
        let mut verifier = Verifier::new(Use::Graph);
        schema::load(&mut client, &mut verifier, &database.name).await?;
        drop(client);
        let recovered = verifier.finish()?;
        let graph = recovered.graph.unwrap_or_default();
        let status = Arc::new(Status::new(recovered.head));
        tokio::spawn(listen(database.clone(), Arc::clone(&status)));
        Ok(Task {
            writer: Writer::with_ids(graph, Arc::clone(&config.store.ids)),
            pool,
            chain: recovered.chain,
            status,
            config,
            jobs,
            control,
            last_checkpoint: recovered.checkpoint,
            stopped: None,
        })
    }

    fn published(&self) -> u64 {
        self.writer.reader().revision()
    }

    async fn serve(mut self) {
        loop {
            let poll = tokio::time::sleep(self.config.poll_interval);
            tokio::select! {
                biased;
                job = self.jobs.recv() => {
                    let Some(job) = job else { break };
                    let mut group = vec![job];
                    while group.len() < self.config.store.max_group.max(1) {
                        match self.jobs.try_recv() {
                            Ok(job) => group.push(job),
                            Err(_) => break,
                        }
                    }
                    if self.write_group(group).await {
                        break;
                    }
                }
                Some(control) = self.control.recv() => self.serve_control(control).await,
                () = self.status.wake.notified() => self.follow().await,
                () = poll => self.follow().await,
            }
        }
        // Anything queued after a stop is answered: the replica is closed.
        self.jobs.close();
        while let Ok(job) = self.jobs.try_recv() {
            job.refuse();
        }
    }

    /// Reads the log after the published revision and applies it.
    async fn follow(&mut self) {
        if self.stopped.is_some() {
            return;
        }
        let client = match self.pool.get().await {
            Ok(client) => client,
            // Unreachable: tried again at the next wake or poll.
            Err(_) => return,
        };
        let _ = self.catch_up(&**client).await;
    }

    /// Applies every batch after the published revision that `client` sees, and
    /// publishes them. A batch that does not continue the chain stops the replica.
    async fn catch_up(&mut self, client: &impl GenericClient) -> Result<(), StoreError> {
        loop {
            let after = sql_revision(self.published());
            let rows = client
                .query(schema::BATCHES_AFTER, &[&after, &PAGE])
                .await
                .map_err(|e| StoreError::postgres("cannot read the log", &e))?;
            let applied = self.apply(&rows);
            self.writer.publish();
            let published = self.published();
            self.status.saw_head(published);
            self.status.published(published);
            if let Err(err) = applied {
                self.stopped = Some(err.clone());
                self.status.stopped(err.clone());
                return Err(err);
            }
            if (rows.len() as i64) < PAGE {
                return Ok(());
            }
        }
    }

    /// Stages `rows` (the batches right after the published revision, in order) after
    /// checking each against the chain.
    fn apply(&mut self, rows: &[Row]) -> Result<(), StoreError> {
        for (next, row) in (self.published() + 1..).zip(rows) {
            let stored = schema::stored_batch(row)?;
            let revision = stored.revision;
            let corrupt = |damage| StoreError::Corrupt {
                revision: Some(revision),
                damage,
            };
            if revision != next {
                return Err(StoreError::Corrupt {
                    revision: Some(next),
                    damage: Damage::Gap { expected: next },
                });
            }
            if stored.format != BATCH_FORMAT {
                return Err(StoreError::Version {
                    what: format!("the batch of revision {revision}"),
                    found: stored.format,
                    supported: BATCH_FORMAT,
                    advice: "it was written by another privgraph: run the replicas with that version",
                });
            }
            let chain = format::chain(&self.chain, revision, stored.format, stored.line);
            if stored.chain != chain {
                return Err(corrupt(Damage::Batch));
            }
            let committed: CommittedBatch = serde_json::from_slice(stored.line)
                .map_err(|err| corrupt(Damage::Unreadable(err.to_string())))?;
            if committed.revision != revision {
                return Err(corrupt(Damage::Unreadable(format!(
                    "its line says revision {}",
                    committed.revision
                ))));
            }
            self.writer
                .stage_batch(committed.batch)
                .map_err(|err| corrupt(Damage::Unreadable(err.to_string())))?;
            self.chain = chain;
        }
        Ok(())
    }

    /// Answers every write of `group` with `err`, and runs the rest.
    async fn refuse_group(&mut self, group: Vec<Job>, err: &StoreError) -> bool {
        let staged = stage_group(
            &mut self.writer,
            group,
            Some(err),
            self.config.store.idempotency_ttl,
            &mut |_, _| Ok(None),
        );
        let (after, stop) = staged.answer(None);
        self.run_after(after).await;
        stop
    }

    async fn run_after(&mut self, after: Vec<Job>) {
        for job in after {
            match job {
                Job::Checkpoint { reply } => {
                    self.follow().await;
                    let result = match &self.stopped {
                        Some(err) => Err(err.clone()),
                        None => self.checkpoint().await,
                    };
                    reply(result);
                }
                Job::Durability { reply } => reply(Err(StoreError::Io {
                    context: "the durability settings".to_owned(),
                    message:
                        "they are SQLite's; a PostgreSQL server's are checked when a replica opens"
                            .to_owned(),
                })),
                other => other.refuse(),
            }
        }
    }

    /// One group of jobs through one transaction holding the head; true when a stop
    /// was among them.
    async fn write_group(&mut self, mut group: Vec<Job>) -> bool {
        let writes = group
            .iter()
            .any(|job| matches!(job, Job::Execute { .. } | Job::Batch { .. }));
        if let Some(err) = self.stopped.clone() {
            return self.refuse_group(group, &err).await;
        }
        if !writes {
            let staged = stage_group(
                &mut self.writer,
                group,
                None,
                self.config.store.idempotency_ttl,
                &mut |_, _| Ok(None),
            );
            let (after, stop) = staged.answer(None);
            self.run_after(after).await;
            return stop;
        }
        let mut client = match self.pool.get().await {
            Ok(client) => client,
            Err(err) => {
                let err = pool_error("cannot reach the database to commit", err);
                return self.refuse_group(group, &err).await;
            }
        };
        let begun = client
            .build_transaction()
            .isolation_level(IsolationLevel::ReadCommitted)
            .start()
            .await;
        let tx = match begun {
            Ok(tx) => tx,
            Err(err) => {
                let err = StoreError::postgres("cannot begin the commit", &err);
                return self.refuse_group(group, &err).await;
            }
        };
        let timeout_ms = self.config.lock_timeout.as_millis().max(1);
        if let Err(err) = tx
            .batch_execute(&format!("SET LOCAL lock_timeout = {timeout_ms}"))
            .await
        {
            let err = StoreError::postgres("cannot begin the commit", &err);
            return self.refuse_group(group, &err).await;
        }
        // While the head is held by someone else, this task keeps serving: a host's
        // transaction holding it may need this replica to validate its writes, and
        // writes queued meanwhile join this group.
        let head = {
            let lock = tx.query_one(schema::LOCK_HEAD, &[]);
            tokio::pin!(lock);
            let max_group = self.config.store.max_group.max(1);
            loop {
                tokio::select! {
                    biased;
                    row = &mut lock => break row,
                    Some(control) = self.control.recv() => self.serve_control(control).await,
                    Some(job) = self.jobs.recv(), if group.len() < max_group => group.push(job),
                }
            }
        };
        let head = match head {
            Ok(row) => row,
            Err(err) => {
                let err = if err.code()
                    == Some(&tokio_postgres::error::SqlState::LOCK_NOT_AVAILABLE)
                {
                    StoreError::Io {
                        context: "cannot commit".to_owned(),
                        message: format!(
                            "the log's head was held by another transaction for longer than {} ms",
                            timeout_ms
                        ),
                    }
                } else {
                    StoreError::postgres("cannot lock the log's head", &err)
                };
                return self.refuse_group(group, &err).await;
            }
        };
        let head = match head.try_get::<_, i64>(0) {
            Ok(value) => revision_of(value, "the head"),
            Err(err) => Err(StoreError::postgres("cannot read the log's head", &err)),
        };
        let caught_up = match head {
            Ok(head) => self.catch_up_to(&tx, head).await,
            Err(err) => Err(err),
        };
        if let Err(err) = caught_up {
            return self.refuse_group(group, &err).await;
        }
        let found = match self.find_keys(&tx, &group).await {
            Ok(found) => found,
            Err(err) => return self.refuse_group(group, &err).await,
        };
        let first = self.published() + 1;
        let staged = stage_group(
            &mut self.writer,
            group,
            None,
            self.config.store.idempotency_ttl,
            &mut |key, not_before_ms| {
                Ok(found
                    .get(key)
                    .filter(|record| record.created_ms >= not_before_ms)
                    .cloned())
            },
        );
        let stored = match self.append(&tx, &staged.keys).await {
            Ok(None) => {
                // Nothing to store: the transaction only held the head.
                let _ = tx.rollback().await;
                Ok(None)
            }
            Ok(Some(chain)) => match tx.commit().await {
                Ok(()) => Ok(Some(chain)),
                Err(err) => Err(StoreError::postgres(
                    "the commit failed and its outcome is unknown (the batches may be stored; \
                     a retry with the same idempotency key is applied once)",
                    &err,
                )),
            },
            Err(err) => Err(err),
        };
        match &stored {
            Ok(Some(chain)) => {
                self.chain = *chain;
                let last = self.writer.publish();
                self.status.saw_head(last);
                self.status.published(last);
            }
            Ok(None) => {}
            Err(_) => self.writer.rollback(),
        }
        let failed = stored.as_ref().err();
        let (after, stop) = staged.answer(failed);
        if let Ok(Some(_)) = stored {
            self.maybe_checkpoint(first).await;
        }
        self.run_after(after).await;
        stop
    }

    /// Catches up, in the transaction holding the head, to exactly `head`.
    async fn catch_up_to(
        &mut self,
        tx: &tokio_postgres::Transaction<'_>,
        head: u64,
    ) -> Result<(), StoreError> {
        self.status.saw_head(head);
        let published = self.published();
        if published > head {
            let err = StoreError::Diverged {
                in_memory: published,
                stored: Some(head),
            };
            self.stopped = Some(err.clone());
            self.status.stopped(err.clone());
            return Err(err);
        }
        if published < head {
            self.catch_up(tx).await?;
        }
        match self.published() {
            reached if reached == head => Ok(()),
            reached => Err(StoreError::Corrupt {
                revision: Some(reached + 1),
                damage: Damage::Gap {
                    expected: reached + 1,
                },
            }),
        }
    }

    /// The stored records of the group's idempotency keys, read in one query.
    async fn find_keys(
        &self,
        tx: &tokio_postgres::Transaction<'_>,
        group: &[Job],
    ) -> Result<HashMap<String, IdempotencyRecord>, StoreError> {
        let keys: Vec<&str> = group
            .iter()
            .filter_map(|job| match job {
                Job::Execute {
                    idempotency: Some(key),
                    ..
                } => Some(key.key()),
                _ => None,
            })
            .collect();
        let mut found = HashMap::new();
        if keys.is_empty() {
            return Ok(found);
        }
        let read =
            |e: tokio_postgres::Error| StoreError::postgres("cannot read the idempotency keys", &e);
        let rows = tx
            .query(schema::FIND_KEYS, &[&keys, &0i64])
            .await
            .map_err(read)?;
        for row in rows {
            let key: String = row.try_get(0).map_err(read)?;
            let record = IdempotencyRecord {
                revision: revision_of(row.try_get(1).map_err(read)?, "an idempotency key")?,
                answer: row.try_get(2).map_err(read)?,
                created_ms: row.try_get(3).map_err(read)?,
                checksum: row.try_get(4).map_err(read)?,
                key: key.clone(),
            };
            found.insert(key, record);
        }
        Ok(found)
    }

    /// Inserts the staged batches, their keys, the new head and the notification in
    /// `tx`; the chain value at the new head, or `None` when nothing was staged.
    async fn append(
        &self,
        tx: &tokio_postgres::Transaction<'_>,
        keys: &[IdempotencyRecord],
    ) -> Result<Option<Checksum>, StoreError> {
        let (batches, chain) = encode_staged(&self.writer, self.chain)?;
        let Some(last) = batches.last() else {
            return Ok(None);
        };
        let context = format!(
            "cannot commit revisions {} to {}",
            batches[0].revision, last.revision
        );
        let err = |e: tokio_postgres::Error| StoreError::postgres(context.clone(), &e);
        let insert = tx.prepare(schema::INSERT_BATCH).await.map_err(err)?;
        // Sent together: the connection pipelines them.
        let inserts = batches.iter().map(|batch| {
            let format = i32::try_from(batch.format).unwrap_or(i32::MAX);
            let revision = sql_revision(batch.revision);
            let insert = &insert;
            async move {
                tx.execute(
                    insert,
                    &[&revision, &format, &batch.line, &&batch.chain[..]],
                )
                .await
            }
        });
        for result in futures_util::future::join_all(inserts).await {
            result.map_err(err)?;
        }
        if !keys.is_empty() {
            let remember = tx.prepare(schema::INSERT_KEY).await.map_err(err)?;
            let inserts = keys.iter().map(|key| {
                let revision = sql_revision(key.revision);
                let remember = &remember;
                async move {
                    tx.execute(
                        remember,
                        &[
                            &key.key,
                            &revision,
                            &key.answer,
                            &key.created_ms,
                            &key.checksum,
                        ],
                    )
                    .await
                }
            });
            for result in futures_util::future::join_all(inserts).await {
                result.map_err(err)?;
            }
        }
        tx.execute(
            schema::UPDATE_HEAD,
            &[&sql_revision(last.revision), &&chain[..]],
        )
        .await
        .map_err(err)?;
        tx.query(schema::NOTIFY, &[&last.revision.to_string()])
            .await
            .map_err(err)?;
        Ok(Some(chain))
    }

    /// Writes a checkpoint when the commit of revisions `first` to the published one
    /// crossed a multiple of `checkpoint_every`. A failure loses nothing.
    async fn maybe_checkpoint(&mut self, first: u64) {
        let every = self.config.store.checkpoint_every;
        let last = self.published();
        if every > 0 && last / every > (first - 1) / every {
            let _ = self.checkpoint().await;
        }
    }

    /// Writes a checkpoint of the published graph; returns its revision.
    async fn checkpoint(&mut self) -> Result<u64, StoreError> {
        let graph = self.writer.graph();
        let revision = graph.revision();
        if revision == self.last_checkpoint {
            return Ok(revision);
        }
        let checkpoint = new_checkpoint(graph, self.chain);
        let expired_before_ms = Timestamp::now().unix_millis().saturating_sub(
            i64::try_from(self.config.store.idempotency_ttl.as_millis()).unwrap_or(i64::MAX),
        );
        let keep = i64::try_from(self.config.store.checkpoints_kept).unwrap_or(i64::MAX);
        let context = format!("cannot write the checkpoint at revision {revision}");
        let err = |e: tokio_postgres::Error| StoreError::postgres(context.clone(), &e);
        let mut client = self.pool.get().await.map_err(|e| pool_error(&context, e))?;
        let tx = client.transaction().await.map_err(err)?;
        schema::insert_checkpoint(&*tx, &checkpoint)
            .await
            .map_err(err)?;
        tx.execute(
            "DELETE FROM privgraph_checkpoints WHERE revision <> 0 AND revision NOT IN
             (SELECT revision FROM privgraph_checkpoints WHERE revision <> 0
              ORDER BY revision DESC LIMIT $1)",
            &[&keep],
        )
        .await
        .map_err(err)?;
        tx.execute(
            "DELETE FROM privgraph_idempotency WHERE created_ms < $1",
            &[&expired_before_ms],
        )
        .await
        .map_err(err)?;
        tx.commit().await.map_err(err)?;
        self.last_checkpoint = revision;
        Ok(revision)
    }

    async fn serve_control(&mut self, control: Control) {
        match control {
            Control::Host(request) => {
                let answer = self
                    .stage_for_host(request.head, &request.earlier, request.write)
                    .await;
                let _ = request.reply.send(answer);
            }
        }
    }

    /// Validates a host's write at `head` (which its transaction holds, so everything
    /// up to it is committed) after its transaction's earlier batches, then takes
    /// everything back: the host's transaction stores the batch.
    async fn stage_for_host(
        &mut self,
        head: u64,
        earlier: &[CommittedBatch],
        write: HostOp,
    ) -> Result<HostStaged, WriteError> {
        if let Some(err) = &self.stopped {
            return Err(WriteError::Storage(err.clone()));
        }
        if self.published() < head {
            let client = self
                .pool
                .get()
                .await
                .map_err(|e| WriteError::Storage(pool_error("cannot read the log", e)))?;
            self.catch_up(&**client)
                .await
                .map_err(WriteError::Storage)?;
        }
        if self.published() != head {
            return Err(WriteError::Storage(StoreError::Io {
                context: format!("cannot validate at revision {head}"),
                message: format!(
                    "the replica is at revision {} (one transaction can hold one HostWrite)",
                    self.published()
                ),
            }));
        }
        for batch in earlier {
            if let Err(err) = self.writer.stage_batch(batch.batch.clone()) {
                self.writer.rollback();
                return Err(WriteError::Batch(err));
            }
        }
        let result = match write {
            HostOp::Execute { auth, op, body } => self
                .writer
                .stage(&auth, &op, &body)
                .map_err(WriteError::Refused),
            HostOp::Batch(batch) => self
                .writer
                .stage_batch(batch)
                .map(|revision| Committed {
                    outcome: privgraph::logic::Outcome::NoContent,
                    revision,
                })
                .map_err(WriteError::Batch),
        };
        let batch = if self.writer.staged().count() > earlier.len() {
            self.writer.staged().last().cloned()
        } else {
            None
        };
        self.writer.rollback();
        result.map(|committed| HostStaged { committed, batch })
    }
}

/// Listens for the notifications of commits on a connection of its own, reconnecting
/// after any failure; each one wakes the task, and so does every reconnection (commits
/// made while it was down told no one).
async fn listen(database: Database, status: Arc<Status>) {
    let mut backoff = Duration::from_millis(50);
    loop {
        if let Ok((client, mut connection)) = database.config.connect(NoTls).await {
            let (notifications, mut received) = unbounded_channel();
            // A query is answered only while its connection is polled: drive it, and
            // hand notifications over, in a task of their own.
            let driver = tokio::spawn(async move {
                while let Some(Ok(message)) =
                    std::future::poll_fn(|cx| connection.poll_message(cx)).await
                {
                    if let AsyncMessage::Notification(notification) = message
                        && notifications
                            .send(notification.payload().to_owned())
                            .is_err()
                    {
                        break;
                    }
                }
            });
            if client
                .batch_execute(&format!("LISTEN {}", schema::CHANNEL))
                .await
                .is_ok()
            {
                status.set_connected(true);
                backoff = Duration::from_millis(50);
                status.wake.notify_one();
                while let Some(payload) = received.recv().await {
                    if let Ok(revision) = payload.parse::<u64>() {
                        status.saw_head(revision);
                    }
                    status.wake.notify_one();
                }
            }
            status.set_connected(false);
            driver.abort();
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(2));
    }
}
