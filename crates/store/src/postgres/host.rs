//! Writes in the host's own transaction.

use privgraph::concurrent::Committed;
use privgraph::graph::{Batch, CommittedBatch};
use privgraph::logic::{Auth, Operation};
use serde_json::Value;
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::oneshot;
use tokio_postgres::Transaction;

use super::replica::{Control, HostOp, HostRequest};
use super::schema::{self, revision_of, sql_revision};
use super::{Replica, checksum};
use crate::error::{StoreError, WriteError};
use crate::format::{self, BATCH_FORMAT, Checksum};

/// privgraph writes staged in a host's own transaction: validated at the log's head,
/// stored by the host's transaction, so they commit with the host's rows or not at
/// all; every replica applies them once the transaction committed. Made by
/// [`Replica::write_in`].
///
/// # What it costs other writers
///
/// [`Replica::write_in`] locks the log's head row in the host's transaction, and
/// PostgreSQL holds a row lock until the transaction ends. From that moment until the
/// host commits or rolls back, **no other write commits anywhere**: every replica's
/// writer waits for the lock (at most [`ReplicaConfig::lock_timeout`], then its writes
/// are answered with a storage error), and so does every other host transaction that
/// writes privgraph. Writes are one ordered log: holding its head is holding all of it.
/// Reads and checks are never held: every replica keeps answering them from memory.
/// So keep such transactions short, do the host's slow work before `write_in`, and
/// set PostgreSQL's `idle_in_transaction_session_timeout` so that a host that stalls
/// cannot hold the log forever.
///
/// Each staged write is validated by this process's replica, on its graph at the
/// locked head plus the transaction's earlier privgraph writes, which it applies and
/// takes back each time (a transaction with `k` privgraph writes costs about `k²/2`
/// applications of a batch). One `HostWrite` per transaction. The transaction should
/// run at `READ COMMITTED` (PostgreSQL's default): at `REPEATABLE READ` or
/// `SERIALIZABLE` a privgraph write committed after its snapshot makes `write_in`
/// fail with a serialization error, to retry. A failed statement aborts the host's
/// transaction, as any failed statement does: roll it back.
///
/// ```no_run
/// use privgraph::logic::Auth;
/// use privgraph::rest::Request;
/// use privgraph_store::postgres::{Replica, ReplicaConfig};
/// # async fn run(replica: &Replica, client: &mut tokio_postgres::Client) -> Result<(), Box<dyn std::error::Error>> {
/// let tx = client.transaction().await?;
/// tx.execute("INSERT INTO memberships_audit (who) VALUES ('u1')", &[]).await?;
/// let mut privgraph = replica.write_in(&tx).await?;
/// let request = Request::parse("PUT", "/groups/g1/users/u1", b"").unwrap();
/// privgraph.execute(&Auth::Root, request.operation(), request.body()).await?;
/// let revision = privgraph.revision();
/// tx.commit().await?; // the audit row and the membership, together
/// let graph = replica.at_least(revision, std::time::Duration::from_secs(5))?;
/// # Ok(()) }
/// ```
///
/// [`ReplicaConfig::lock_timeout`]: super::ReplicaConfig::lock_timeout
pub struct HostWrite<'t, 'c> {
    tx: &'t Transaction<'c>,
    control: UnboundedSender<Control>,
    /// The head locked by the transaction.
    head: u64,
    /// The chain value after the transaction's last batch.
    chain: Checksum,
    batches: Vec<CommittedBatch>,
}

impl std::fmt::Debug for HostWrite<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostWrite")
            .field("head", &self.head)
            .field("batches", &self.batches.len())
            .finish()
    }
}

impl Replica {
    /// Locks the log's head in the host's transaction `tx` (waiting for any write in
    /// progress) and returns what stages privgraph writes in it. See [`HostWrite`] for
    /// what holding the head costs.
    pub async fn write_in<'t, 'c>(
        &self,
        tx: &'t Transaction<'c>,
    ) -> Result<HostWrite<'t, 'c>, StoreError> {
        let row = tx
            .query_one(schema::LOCK_HEAD, &[])
            .await
            .map_err(|e| StoreError::postgres("cannot lock the log's head", &e))?;
        let read =
            |e: tokio_postgres::Error| StoreError::postgres("cannot read the log's head", &e);
        let head = revision_of(row.try_get(0).map_err(read)?, "the head")?;
        let chain: &[u8] = row.try_get(1).map_err(read)?;
        Ok(HostWrite {
            tx,
            control: self.control.clone(),
            head,
            chain: checksum(chain, head)?,
            batches: Vec::new(),
        })
    }
}

impl HostWrite<'_, '_> {
    /// Runs one operation as `auth` at the head (after this transaction's earlier
    /// writes): a write's batch is stored in the transaction, at the next revision; a
    /// read or a refusal stores nothing.
    pub async fn execute(
        &mut self,
        auth: &Auth,
        op: &Operation,
        body: &Value,
    ) -> Result<Committed, WriteError> {
        self.stage(HostOp::Execute {
            auth: auth.clone(),
            op: op.clone(),
            body: body.clone(),
        })
        .await
    }

    /// Stores a batch made through the library API in the transaction, once it applies
    /// at the head; returns its revision.
    pub async fn commit_batch(&mut self, batch: Batch) -> Result<u64, WriteError> {
        self.stage(HostOp::Batch(batch))
            .await
            .map(|committed| committed.revision)
    }

    /// The revision of the log once the transaction commits: the last revision it
    /// wrote (the locked head when it wrote nothing). Wait for it with
    /// [`Replica::at_least`] to read the transaction's writes.
    pub fn revision(&self) -> u64 {
        self.head + self.batches.len() as u64
    }

    async fn stage(&mut self, write: HostOp) -> Result<Committed, WriteError> {
        let (reply, answer) = oneshot::channel();
        let request = HostRequest {
            head: self.head,
            earlier: self.batches.clone(),
            write,
            reply,
        };
        self.control
            .send(Control::Host(request))
            .map_err(|_| WriteError::Closed)?;
        let staged = answer.await.map_err(|_| WriteError::Closed)??;
        if let Some(batch) = staged.batch {
            self.store(batch).await.map_err(WriteError::Storage)?;
        }
        Ok(staged.committed)
    }

    /// The batch, the new head and the notification, in the host's transaction.
    async fn store(&mut self, batch: CommittedBatch) -> Result<(), StoreError> {
        let revision = batch.revision;
        let line = serde_json::to_string(&batch).map_err(|err| StoreError::Io {
            context: format!("cannot encode the batch of revision {revision}"),
            message: err.to_string(),
        })?;
        let chain = format::chain(&self.chain, revision, BATCH_FORMAT, line.as_bytes());
        let err = |e: tokio_postgres::Error| {
            StoreError::postgres(format!("cannot store revision {revision}"), &e)
        };
        let format = i32::try_from(BATCH_FORMAT).unwrap_or(i32::MAX);
        self.tx
            .execute(
                schema::INSERT_BATCH,
                &[&sql_revision(revision), &format, &line, &&chain[..]],
            )
            .await
            .map_err(err)?;
        self.tx
            .execute(schema::UPDATE_HEAD, &[&sql_revision(revision), &&chain[..]])
            .await
            .map_err(err)?;
        self.tx
            .query(schema::NOTIFY, &[&revision.to_string()])
            .await
            .map_err(err)?;
        self.chain = chain;
        self.batches.push(batch);
        Ok(())
    }
}
