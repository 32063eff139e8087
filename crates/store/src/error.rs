//! What can go wrong: [`StoreError`] for the store, [`WriteError`] for one write.

use std::path::PathBuf;

use privgraph::graph::BatchError;

/// Why the store could not be opened, read or written.
///
/// Every variant is a whole sentence when displayed, and names the directory or the
/// revision concerned.
///
/// ```
/// use privgraph_store::{Damage, StoreError};
/// let err = StoreError::Corrupt { revision: Some(7), damage: Damage::Batch };
/// assert_eq!(
///     err.to_string(),
///     "the store fails its integrity check at revision 7: the batch or its chained checksum was altered"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The directory holds no store (no database file, or a database that is not a
    /// privgraph store).
    #[error("{} is not a privgraph store ({why}); create one with `privgraph db init`", dir.display())]
    NotAStore {
        /// The directory.
        dir: PathBuf,
        /// What is missing.
        why: String,
    },
    /// `init` or `backup` into a directory that already holds a store.
    #[error("{} already holds a privgraph store", dir.display())]
    AlreadyAStore {
        /// The directory.
        dir: PathBuf,
    },
    /// `init` or `backup` into a directory that holds other files.
    #[error("{} is not empty; a store is created in a new or empty directory", dir.display())]
    NotEmpty {
        /// The directory.
        dir: PathBuf,
    },
    /// Another process (or another [`Store`](crate::Store) in this one) is the store's
    /// writer.
    #[error("the store in {} is locked by another writer", dir.display())]
    Locked {
        /// The directory.
        dir: PathBuf,
    },
    /// A stored byte is not what was written: the store is refused, never misread.
    #[error("the store fails its integrity check at {}: {damage}", at(*revision))]
    Corrupt {
        /// The revision of the damaged batch or checkpoint (`None` when SQLite itself
        /// reports the file damaged and no revision can be told).
        revision: Option<u64>,
        /// What was found damaged.
        damage: Damage,
    },
    /// The store, a batch or a checkpoint was written in a format this build does not
    /// read.
    #[error("{what} is version {found}; this build reads version {supported} only ({advice})")]
    Version {
        /// What carries the version: "the store's schema", "the batch of revision 5", …
        what: String,
        /// The version found.
        found: i64,
        /// The version this build reads.
        supported: i64,
        /// What to do about it.
        advice: &'static str,
    },
    /// SQLite, PostgreSQL or the file system refused a read or write (a full disk, a
    /// file over its size limit, an unwritable directory, an I/O error, a database
    /// server that cannot be reached). Nothing was changed, except where the message
    /// says the outcome of a commit is unknown.
    #[error("{context}: {message}")]
    Io {
        /// What was being done.
        context: String,
        /// The system's or SQLite's message.
        message: String,
    },
    /// A writing connection does not have the durability settings the store promises.
    #[error(
        "the SQLite connection runs with journal_mode={journal_mode} and synchronous={synchronous}; the store needs wal and 2 (full)"
    )]
    NotDurable {
        /// The journal mode in force.
        journal_mode: String,
        /// The `synchronous` level in force (2 is FULL).
        synchronous: i64,
    },
    /// The PostgreSQL database holds no privgraph store (its tables are missing).
    #[error(
        "the database {database} holds no privgraph store ({why}); create one with `privgraph db init --postgres`"
    )]
    NoStoreInDatabase {
        /// The database, as `postgresql://USER@HOST:PORT/NAME` (never its password).
        database: String,
        /// What is missing.
        why: String,
    },
    /// `init --postgres` into a database that already holds a store.
    #[error("the database {database} already holds a privgraph store")]
    AlreadyInDatabase {
        /// The database, as `postgresql://USER@HOST:PORT/NAME`.
        database: String,
    },
    /// The PostgreSQL server runs with a setting under which a commit can be
    /// acknowledged and then lost.
    #[error("the PostgreSQL server runs with {setting}={value}; the store needs {needed}")]
    DatabaseNotDurable {
        /// The setting.
        setting: String,
        /// Its value.
        value: String,
        /// What the store needs.
        needed: &'static str,
    },
    /// After a failed commit, the database's head is not the revision the writer holds
    /// in memory; the writer refuses further writes until the store is opened again.
    #[error("after a failed commit the database's head is {} but the writer holds revision {in_memory}; open the store again", stored.map_or("unknown".to_owned(), |r| format!("revision {r}")))]
    Diverged {
        /// The revision in memory.
        in_memory: u64,
        /// The revision in the database (`None` when it could not be read).
        stored: Option<u64>,
    },
}

fn at(revision: Option<u64>) -> String {
    match revision {
        Some(revision) => format!("revision {revision}"),
        None => "an unknown revision".to_owned(),
    }
}

/// What a failed integrity check found.
///
/// ```
/// use privgraph_store::Damage;
/// assert_eq!(Damage::Gap { expected: 4 }.to_string(), "revision 4 is missing from the batches");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Damage {
    /// A batch's bytes or its chained checksum differ from what was written.
    #[error("the batch or its chained checksum was altered")]
    Batch,
    /// A checkpoint's bytes or its own checksum differ from what was written.
    #[error("the checkpoint or its checksum was altered")]
    Checkpoint,
    /// A checkpoint's chain value is not the chain of the batches up to its revision.
    #[error("the checkpoint does not match the batches before it")]
    CheckpointChain,
    /// The revisions of the batches are not contiguous.
    #[error("revision {expected} is missing from the batches")]
    Gap {
        /// The revision expected next.
        expected: u64,
    },
    /// The head recorded with the last commit is not the last batch.
    #[error("the head recorded with the last commit is not the last batch (batches lost or added)")]
    Head,
    /// There is no checkpoint at revision 0, which every chain starts from.
    #[error("the checkpoint at revision 0, which the chain starts from, is missing")]
    NoGenesis,
    /// A batch's checksum holds but its content does not read as a batch, or does not
    /// apply to the graph before it.
    #[error("the batch is not valid: {0}")]
    Unreadable(String),
    /// A checkpoint's checksum holds but its content is not a valid snapshot.
    #[error("the checkpoint is not a valid snapshot: {0}")]
    BadSnapshot(String),
    /// An idempotency record's checksum does not hold.
    #[error("the idempotency record of key {0:?} was altered")]
    Idempotency(String),
    /// SQLite reports the database file damaged.
    #[error("the database file is damaged ({0})")]
    File(String),
    /// The store's metadata is missing or not readable.
    #[error("the metadata is damaged ({0})")]
    Meta(String),
}

/// Why one write submitted to a [`WriteHandle`](crate::WriteHandle) was not applied.
/// In every case the graph is unchanged and nothing was stored.
///
/// ```
/// use privgraph_store::{StoreError, WriteError};
/// let err = WriteError::Storage(StoreError::Io { context: "commit".into(), message: "disk full".into() });
/// assert_eq!(err.to_string(), "the write was not stored: commit: disk full");
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WriteError {
    /// The operation was refused by Onezone's rules (its HTTP code is
    /// [`Error::http_status`](privgraph::logic::Error::http_status)).
    #[error("the operation was refused: {0}")]
    Refused(privgraph::logic::Error),
    /// The library batch does not apply to the graph.
    #[error("the batch was refused: {0}")]
    Batch(BatchError),
    /// The batch could not be made durable.
    #[error("the write was not stored: {0}")]
    Storage(StoreError),
    /// The store's writer has stopped (the store was closed).
    #[error("the store is closed")]
    Closed,
}

impl StoreError {
    /// An SQLite error while doing `context`, as a [`StoreError`]: SQLite's reports of
    /// a damaged file become [`StoreError::Corrupt`], the rest [`StoreError::Io`].
    pub(crate) fn sqlite(context: impl Into<String>, err: rusqlite::Error) -> StoreError {
        use rusqlite::ErrorCode;
        if let rusqlite::Error::SqliteFailure(failure, _) = &err
            && matches!(
                failure.code,
                ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase
            )
        {
            return StoreError::Corrupt {
                revision: None,
                damage: Damage::File(err.to_string()),
            };
        }
        StoreError::Io {
            context: context.into(),
            message: err.to_string(),
        }
    }

    /// A file-system error while doing `context`.
    pub(crate) fn io(context: impl Into<String>, err: &std::io::Error) -> StoreError {
        StoreError::Io {
            context: context.into(),
            message: err.to_string(),
        }
    }
}

#[cfg(feature = "postgres")]
impl StoreError {
    /// A PostgreSQL error while doing `context`, with the server's message and code
    /// when it sent one, else the client's and its causes.
    pub(crate) fn postgres(context: impl Into<String>, err: &tokio_postgres::Error) -> StoreError {
        let message = match err.as_db_error() {
            Some(db) => format!("{} (SQLSTATE {})", db.message(), db.code().code()),
            None => {
                let mut message = err.to_string();
                let mut source = std::error::Error::source(err);
                while let Some(cause) = source {
                    message.push_str(": ");
                    message.push_str(&cause.to_string());
                    source = cause.source();
                }
                message
            }
        };
        StoreError::Io {
            context: context.into(),
            message,
        }
    }
}
