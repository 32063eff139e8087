//! The storage a store needs, as one small trait, so that another database can hold
//! the same log: append batches, read a checkpoint and the batches, write a
//! checkpoint, look idempotency keys up. Checksums, verification, replay and group
//! commit live above it and are shared by every backend.

use crate::error::StoreError;
use crate::format::Checksum;

/// The store's metadata, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Meta {
    pub schema_version: i64,
    pub head_revision: u64,
    pub head_chain: Vec<u8>,
}

/// One stored batch, borrowed from the backend while it is visited.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StoredBatch<'a> {
    pub revision: u64,
    pub format: i64,
    /// The batch's JSON log line, byte for byte as appended.
    pub line: &'a [u8],
    pub chain: &'a [u8],
}

/// One stored checkpoint, borrowed from the backend while it is visited.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StoredCheckpoint<'a> {
    pub revision: u64,
    pub format: i64,
    /// Compact snapshot JSON.
    pub snapshot: &'a [u8],
    pub checksum: &'a [u8],
    pub chain: &'a [u8],
}

/// What [`Backend::load`] hands over, in this order: the metadata, every checkpoint by
/// increasing revision, every batch by increasing revision. An error stops the load.
pub(crate) trait LoadVisitor {
    fn meta(&mut self, meta: &Meta) -> Result<(), StoreError>;
    fn checkpoint(&mut self, checkpoint: StoredCheckpoint<'_>) -> Result<(), StoreError>;
    fn batch(&mut self, batch: StoredBatch<'_>) -> Result<(), StoreError>;
}

/// A batch to append.
#[derive(Debug, Clone)]
pub(crate) struct NewBatch {
    pub revision: u64,
    pub format: i64,
    pub line: String,
    pub chain: Checksum,
}

/// A checkpoint to write.
#[derive(Debug, Clone)]
pub(crate) struct NewCheckpoint {
    pub revision: u64,
    pub format: i64,
    pub snapshot: String,
    pub checksum: Checksum,
    pub chain: Checksum,
}

/// An idempotency key's record: the revision of the write it was first sent with and
/// the answer given then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IdempotencyRecord {
    pub key: String,
    pub revision: u64,
    pub answer: Vec<u8>,
    /// When it was written (Unix milliseconds).
    pub created_ms: i64,
    pub checksum: Vec<u8>,
}

/// The durability settings in force on a writing connection.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// privgraph_store::init(dir.path(), &privgraph::graph::Graph::new())?;
/// let store = privgraph_store::Store::open(dir.path(), Default::default())?;
/// let durability = store.durability()?;
/// assert_eq!(durability.journal_mode, "wal");
/// assert_eq!(durability.synchronous, 2); // FULL
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Durability {
    /// SQLite's `journal_mode` (`wal`).
    pub journal_mode: String,
    /// SQLite's `synchronous` level (2 is FULL).
    pub synchronous: i64,
}

/// Where a store keeps its log. Every method runs in one transaction of the backend.
pub(crate) trait Backend: Send {
    /// Hands the metadata, the checkpoints and the batches to `visitor`, all from one
    /// consistent read.
    fn load(&mut self, visitor: &mut dyn LoadVisitor) -> Result<(), StoreError>;

    /// Appends `batches` (consecutive revisions after the head) and `keys`, and makes
    /// the last batch the head, in one durable transaction: all of it or none.
    fn append(
        &mut self,
        batches: &[NewBatch],
        keys: &[IdempotencyRecord],
    ) -> Result<(), StoreError>;

    /// Writes a checkpoint; keeps the one at revision 0 and the newest `keep` others,
    /// and drops idempotency records created before `expired_before_ms`.
    fn write_checkpoint(
        &mut self,
        checkpoint: &NewCheckpoint,
        keep: usize,
        expired_before_ms: i64,
    ) -> Result<(), StoreError>;

    /// The record of `key` created at or after `not_before_ms`, if any.
    fn idempotency(
        &mut self,
        key: &str,
        not_before_ms: i64,
    ) -> Result<Option<IdempotencyRecord>, StoreError>;

    /// The revision of the last stored batch (0 when there is none).
    fn head(&mut self) -> Result<u64, StoreError>;

    /// The durability settings in force on the writing connection.
    fn durability(&mut self) -> Result<Durability, StoreError>;
}
