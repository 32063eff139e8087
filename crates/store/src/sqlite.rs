//! The SQLite backend: one database file in the store's directory, a lock file for
//! the one writer, WAL with `synchronous=FULL` on every connection that writes.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, params};

use crate::backend::{
    Backend, Durability, IdempotencyRecord, LoadVisitor, Meta, NewBatch, NewCheckpoint,
    StoredBatch, StoredCheckpoint,
};
use crate::error::{Damage, StoreError};
use crate::format::{BATCH_FORMAT, CHECKPOINT_FORMAT, SCHEMA_VERSION};

/// The database file in a store's directory.
pub(crate) const DB_FILE: &str = "privgraph.sqlite";
/// The file whose exclusive lock makes a process the store's writer.
pub(crate) const LOCK_FILE: &str = "privgraph.lock";
/// The database being created by `init` or `backup`, renamed to [`DB_FILE`] when whole.
const NEW_DB_FILE: &str = "privgraph.sqlite.new";

/// `PRAGMA application_id` of a privgraph store ("PGST"): tells a store from any other
/// SQLite file.
const APPLICATION_ID: i32 = 0x5047_5354;

/// How long a statement waits for SQLite's own locks (a WAL checkpoint of another
/// connection) before it fails.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

const SCHEMA: &str = "
CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE batches (
    revision INTEGER PRIMARY KEY,
    format   INTEGER NOT NULL,
    line     TEXT NOT NULL,
    chain    BLOB NOT NULL
);
CREATE TABLE checkpoints (
    revision INTEGER PRIMARY KEY,
    format   INTEGER NOT NULL,
    snapshot TEXT NOT NULL,
    checksum BLOB NOT NULL,
    chain    BLOB NOT NULL
);
CREATE TABLE idempotency (
    key        TEXT PRIMARY KEY NOT NULL,
    revision   INTEGER NOT NULL,
    answer     BLOB NOT NULL,
    created_ms INTEGER NOT NULL,
    checksum   BLOB NOT NULL
);
CREATE INDEX idempotency_by_age ON idempotency (created_ms);
";

pub(crate) fn db_path(dir: &Path) -> PathBuf {
    dir.join(DB_FILE)
}

/// How long [`lock`] keeps trying before it reports the store locked.
const LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);

/// Takes the writer's lock of `dir`: held until the returned file is dropped.
///
/// A lock held only for a moment is waited for: a process that forks while it holds
/// the lock (to start another program) lends it to the child until the child execs,
/// so a writer started right after a short-lived holder (`db init`, then `serve`) could
/// otherwise find the store locked by nobody who writes it.
pub(crate) fn lock(dir: &Path) -> Result<File, StoreError> {
    let path = dir.join(LOCK_FILE);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|err| StoreError::io(format!("cannot open {}", path.display()), &err))?;
    let started = std::time::Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) if started.elapsed() < LOCK_PATIENCE => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(StoreError::Locked {
                    dir: dir.to_owned(),
                });
            }
            Err(std::fs::TryLockError::Error(err)) => {
                return Err(StoreError::io(
                    format!("cannot lock {}", path.display()),
                    &err,
                ));
            }
        }
    }
}

/// The store's database must exist in `dir`.
pub(crate) fn existing_db(dir: &Path) -> Result<PathBuf, StoreError> {
    let path = db_path(dir);
    let not_a_store = |why: String| StoreError::NotAStore {
        dir: dir.to_owned(),
        why,
    };
    match std::fs::metadata(dir) {
        Err(err) => return Err(not_a_store(format!("cannot read the directory: {err}"))),
        Ok(meta) if !meta.is_dir() => return Err(not_a_store("not a directory".to_owned())),
        Ok(_) => {}
    }
    match std::fs::metadata(&path) {
        Ok(meta) if meta.is_file() => {}
        Ok(_) => return Err(not_a_store(format!("{DB_FILE} is not a file"))),
        Err(_) => return Err(not_a_store(format!("it has no {DB_FILE}"))),
    }
    // Told by the header before anything is opened or locked: SQLite would take
    // another file for a damaged database.
    let mut header = [0u8; 16];
    let read = File::open(&path).and_then(|mut file| {
        use std::io::Read;
        file.read_exact(&mut header)
    });
    match read {
        Err(err) if err.kind() != std::io::ErrorKind::UnexpectedEof => {
            return Err(not_a_store(format!("cannot read {DB_FILE}: {err}")));
        }
        Ok(()) if &header == b"SQLite format 3\0" => {}
        _ => return Err(not_a_store(format!("{DB_FILE} is not an SQLite database"))),
    }
    Ok(path)
}

/// Opens a connection that writes, with WAL and `synchronous=FULL`, and checks that both
/// are in force (a file system without shared memory could refuse WAL).
pub(crate) fn writing_connection(path: &Path, create: bool) -> Result<Connection, StoreError> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let context = || format!("cannot open {} for writing", path.display());
    let conn =
        Connection::open_with_flags(path, flags).map_err(|e| StoreError::sqlite(context(), e))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| StoreError::sqlite(context(), e))?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(|e| StoreError::sqlite(context(), e))?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(|e| StoreError::sqlite(context(), e))?;
    let durability = durability(&conn)?;
    #[cfg(test)]
    tests::WRITING_CONNECTIONS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push((path.to_owned(), durability.clone()));
    if durability.journal_mode != "wal" || durability.synchronous != 2 {
        return Err(StoreError::NotDurable {
            journal_mode: durability.journal_mode,
            synchronous: durability.synchronous,
        });
    }
    Ok(conn)
}

/// The settings in force on `conn`, as SQLite reports them.
pub(crate) fn durability(conn: &Connection) -> Result<Durability, StoreError> {
    let context = "cannot read the connection's durability settings";
    let journal_mode: String = conn
        .pragma_query_value(None, "journal_mode", |row| row.get(0))
        .map_err(|e| StoreError::sqlite(context, e))?;
    let synchronous: i64 = conn
        .pragma_query_value(None, "synchronous", |row| row.get(0))
        .map_err(|e| StoreError::sqlite(context, e))?;
    Ok(Durability {
        journal_mode: journal_mode.to_ascii_lowercase(),
        synchronous,
    })
}

/// A store's database, opened for writing (by the holder of the lock) or for reading.
#[derive(Debug)]
pub(crate) struct SqliteBackend {
    conn: Connection,
    dir: PathBuf,
}

impl SqliteBackend {
    /// Opens the store in `dir` for writing; the caller holds the lock.
    pub(crate) fn open_writing(dir: &Path) -> Result<SqliteBackend, StoreError> {
        let path = existing_db(dir)?;
        let backend = SqliteBackend {
            conn: writing_connection(&path, false)?,
            dir: dir.to_owned(),
        };
        backend.check_application_id()?;
        Ok(backend)
    }

    /// Opens the store in `dir` for reading: works while a writer runs, sees the last
    /// commit made before each read begins.
    pub(crate) fn open_read_only(dir: &Path) -> Result<SqliteBackend, StoreError> {
        let path = existing_db(dir)?;
        let context = || format!("cannot open {} for reading", path.display());
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| StoreError::sqlite(context(), e))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| StoreError::sqlite(context(), e))?;
        let backend = SqliteBackend {
            conn,
            dir: dir.to_owned(),
        };
        backend.check_application_id()?;
        Ok(backend)
    }

    fn check_application_id(&self) -> Result<(), StoreError> {
        let id: i32 = self
            .conn
            .pragma_query_value(None, "application_id", |row| row.get(0))
            .map_err(|e| {
                match StoreError::sqlite(format!("cannot read {}", db_path(&self.dir).display()), e)
                {
                    corrupt @ StoreError::Corrupt { .. } => StoreError::NotAStore {
                        dir: self.dir.clone(),
                        why: format!("{DB_FILE} is not an SQLite database: {corrupt}"),
                    },
                    other => other,
                }
            })?;
        if id != APPLICATION_ID {
            return Err(StoreError::NotAStore {
                dir: self.dir.clone(),
                why: format!("{DB_FILE} is an SQLite database of another application"),
            });
        }
        Ok(())
    }

    /// A consistent copy of this store's database into `to`, a new directory or an
    /// empty one, made with SQLite's online backup in one step (one read transaction, so
    /// commits made meanwhile are not in the copy and do not disturb it).
    pub(crate) fn backup_into(&self, to: &Path) -> Result<(), StoreError> {
        let new = to.join(NEW_DB_FILE);
        remove_db_files(&new)?;
        let mut dest = writing_connection(&new, true)?;
        {
            let backup = rusqlite::backup::Backup::new(&self.conn, &mut dest)
                .map_err(|e| StoreError::sqlite("cannot start the backup", e))?;
            backup
                .step(-1)
                .map_err(|e| StoreError::sqlite("cannot copy the database", e))?;
        }
        // The copy's header comes from the source: journal mode WAL is kept; the
        // connection's own setting is the destination's again.
        dest.pragma_update(None, "synchronous", "FULL")
            .map_err(|e| StoreError::sqlite("cannot write the backup", e))?;
        close(dest, &new)?;
        publish_db(to, &new)
    }
}

/// Closes a connection, so that its WAL is folded into the database file.
fn close(conn: Connection, path: &Path) -> Result<(), StoreError> {
    conn.close()
        .map_err(|(_, e)| StoreError::sqlite(format!("cannot close {}", path.display()), e))
}

/// Removes a half-made database and its WAL files, left by an interrupted `init`.
fn remove_db_files(path: &Path) -> Result<(), StoreError> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        match std::fs::remove_file(&name) {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => {
                return Err(StoreError::io(
                    format!("cannot remove {}", Path::new(&name).display()),
                    &err,
                ));
            }
        }
    }
    Ok(())
}

/// Makes the whole database `new` the store of `dir`: flushed, renamed, the rename
/// flushed.
fn publish_db(dir: &Path, new: &Path) -> Result<(), StoreError> {
    let flush = |path: &Path| -> Result<(), StoreError> {
        File::open(path)
            .and_then(|file| file.sync_all())
            .map_err(|err| StoreError::io(format!("cannot flush {}", path.display()), &err))
    };
    flush(new)?;
    let path = db_path(dir);
    std::fs::rename(new, &path)
        .map_err(|err| StoreError::io(format!("cannot create {}", path.display()), &err))?;
    flush(dir)
}

/// Prepares `dir` to receive a new store: creates it, takes its lock, and checks that
/// it holds no store and nothing else.
pub(crate) fn prepare_new(dir: &Path) -> Result<File, StoreError> {
    std::fs::create_dir_all(dir)
        .map_err(|err| StoreError::io(format!("cannot create {}", dir.display()), &err))?;
    let lock = lock(dir)?;
    if db_path(dir).exists() {
        return Err(StoreError::AlreadyAStore {
            dir: dir.to_owned(),
        });
    }
    let entries = std::fs::read_dir(dir)
        .map_err(|err| StoreError::io(format!("cannot read {}", dir.display()), &err))?;
    for entry in entries {
        let entry =
            entry.map_err(|err| StoreError::io(format!("cannot read {}", dir.display()), &err))?;
        let name = entry.file_name();
        let ours = name == LOCK_FILE
            || name
                .to_str()
                .is_some_and(|name| name.starts_with(NEW_DB_FILE));
        if !ours {
            return Err(StoreError::NotEmpty {
                dir: dir.to_owned(),
            });
        }
    }
    Ok(lock)
}

/// Creates the store's database in `dir` (prepared by [`prepare_new`]) holding
/// `genesis` as the checkpoint at revision 0. Built under another name and renamed when
/// whole, so an interrupted `init` leaves no store behind.
pub(crate) fn create(dir: &Path, genesis: &NewCheckpoint) -> Result<(), StoreError> {
    let new = dir.join(NEW_DB_FILE);
    remove_db_files(&new)?;
    let mut conn = writing_connection(&new, true)?;
    let context = "cannot create the store's tables";
    conn.pragma_update(None, "application_id", APPLICATION_ID)
        .map_err(|e| StoreError::sqlite(context, e))?;
    let tx = conn
        .transaction()
        .map_err(|e| StoreError::sqlite(context, e))?;
    tx.execute_batch(SCHEMA)
        .map_err(|e| StoreError::sqlite(context, e))?;
    for (key, value) in [
        ("schema_version", SCHEMA_VERSION.to_string()),
        ("batch_format", BATCH_FORMAT.to_string()),
        ("checkpoint_format", CHECKPOINT_FORMAT.to_string()),
        ("head_revision", "0".to_owned()),
        ("head_chain", hex(&genesis.chain)),
    ] {
        tx.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)",
            params![key, value],
        )
        .map_err(|e| StoreError::sqlite(context, e))?;
    }
    insert_checkpoint(&tx, genesis).map_err(|e| StoreError::sqlite(context, e))?;
    tx.commit().map_err(|e| StoreError::sqlite(context, e))?;
    close(conn, &new)?;
    publish_db(dir, &new)
}

fn insert_checkpoint(tx: &Transaction<'_>, checkpoint: &NewCheckpoint) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO checkpoints (revision, format, snapshot, checksum, chain)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        sql_revision(checkpoint.revision),
        checkpoint.format,
        checkpoint.snapshot,
        &checkpoint.checksum[..],
        &checkpoint.chain[..],
    ])?;
    Ok(())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

/// Revisions are `u64`; SQLite integers are `i64`. A store reaches neither bound.
fn sql_revision(revision: u64) -> i64 {
    i64::try_from(revision).unwrap_or(i64::MAX)
}

/// A revision read back: a negative one is damage.
fn revision_of(value: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt {
        revision: None,
        damage: Damage::File(format!("{what} has the negative revision {value}")),
    })
}

/// An error while reading rows: SQLite's damage reports and values of the wrong type
/// are damage; the rest are I/O.
fn read_error(what: &str, revision: Option<u64>, err: rusqlite::Error) -> StoreError {
    match err {
        rusqlite::Error::InvalidColumnType(..)
        | rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::IntegralValueOutOfRange(..) => StoreError::Corrupt {
            revision,
            damage: Damage::File(format!("{what}: {err}")),
        },
        err => match StoreError::sqlite(format!("cannot read {what}"), err) {
            StoreError::Corrupt { damage, .. } => StoreError::Corrupt { revision, damage },
            other => other,
        },
    }
}

fn read_meta(tx: &Transaction<'_>) -> Result<Meta, StoreError> {
    let value = |key: &str| -> Result<String, StoreError> {
        tx.query_row("SELECT value FROM meta WHERE key = ?1", [key], |row| {
            row.get::<_, String>(0)
        })
        .optional()
        .map_err(|e| read_error("the metadata", None, e))?
        .ok_or_else(|| StoreError::Corrupt {
            revision: None,
            damage: Damage::Meta(format!("no {key}")),
        })
    };
    let number = |key: &str| -> Result<i64, StoreError> {
        let text = value(key)?;
        text.parse().map_err(|_| StoreError::Corrupt {
            revision: None,
            damage: Damage::Meta(format!("{key} is {text:?}, not a number")),
        })
    };
    let schema_version = number("schema_version")?;
    if schema_version != SCHEMA_VERSION {
        // Read nothing else: a schema of another version may keep its metadata
        // differently.
        return Ok(Meta {
            schema_version,
            head_revision: 0,
            head_chain: Vec::new(),
        });
    }
    let head_revision = revision_of(number("head_revision")?, "the head")?;
    let chain_text = value("head_chain")?;
    let head_chain = unhex(&chain_text).ok_or_else(|| StoreError::Corrupt {
        revision: Some(head_revision),
        damage: Damage::Meta(format!("head_chain is {chain_text:?}, not hexadecimal")),
    })?;
    Ok(Meta {
        schema_version,
        head_revision,
        head_chain,
    })
}

/// A row of `SELECT revision, format, line, chain FROM batches`, borrowed.
fn stored_batch<'a>(row: &'a rusqlite::Row<'_>) -> Result<StoredBatch<'a>, StoreError> {
    let revision = revision_of(
        row.get(0).map_err(|e| read_error("a batch", None, e))?,
        "a batch",
    )?;
    let err = |e| read_error("a batch", Some(revision), e);
    let bytes = |i: usize| -> Result<&'a [u8], StoreError> {
        row.get_ref(i)
            .map_err(err)?
            .as_bytes()
            .map_err(|e| err(e.into()))
    };
    Ok(StoredBatch {
        revision,
        format: row.get(1).map_err(err)?,
        line: bytes(2)?,
        chain: bytes(3)?,
    })
}

impl SqliteBackend {
    /// Hands at most `limit` batches after revision `after` to `visit`, by increasing
    /// revision, from one read (batches are only ever appended, so later reads extend
    /// what earlier ones saw).
    pub(crate) fn batches_after(
        &mut self,
        after: u64,
        limit: usize,
        visit: &mut dyn FnMut(StoredBatch<'_>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut batches = self
            .conn
            .prepare_cached(
                "SELECT revision, format, line, chain FROM batches
                 WHERE revision > ?1 ORDER BY revision LIMIT ?2",
            )
            .map_err(|e| read_error("the batches", None, e))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut rows = batches
            .query(params![sql_revision(after), limit])
            .map_err(|e| read_error("the batches", None, e))?;
        while let Some(row) = rows
            .next()
            .map_err(|e| read_error("the batches", None, e))?
        {
            visit(stored_batch(row)?)?;
        }
        Ok(())
    }
}

impl Backend for SqliteBackend {
    fn load(&mut self, visitor: &mut dyn LoadVisitor) -> Result<(), StoreError> {
        // One read transaction: the checkpoints and batches are those of one commit,
        // whatever a writer does meanwhile.
        let tx = self
            .conn
            .transaction()
            .map_err(|e| read_error("the store", None, e))?;
        let meta = read_meta(&tx)?;
        visitor.meta(&meta)?;
        {
            let mut checkpoints = tx
                .prepare(
                    "SELECT revision, format, snapshot, checksum, chain
                     FROM checkpoints ORDER BY revision",
                )
                .map_err(|e| read_error("the checkpoints", None, e))?;
            let mut rows = checkpoints
                .query([])
                .map_err(|e| read_error("the checkpoints", None, e))?;
            while let Some(row) = rows
                .next()
                .map_err(|e| read_error("the checkpoints", None, e))?
            {
                let revision = revision_of(
                    row.get(0)
                        .map_err(|e| read_error("a checkpoint", None, e))?,
                    "a checkpoint",
                )?;
                let err = |e| read_error("a checkpoint", Some(revision), e);
                let bytes = |i: usize| -> Result<&[u8], StoreError> {
                    row.get_ref(i)
                        .map_err(err)?
                        .as_bytes()
                        .map_err(|e| err(e.into()))
                };
                visitor.checkpoint(StoredCheckpoint {
                    revision,
                    format: row.get(1).map_err(err)?,
                    snapshot: bytes(2)?,
                    checksum: bytes(3)?,
                    chain: bytes(4)?,
                })?;
            }
        }
        let mut batches = tx
            .prepare("SELECT revision, format, line, chain FROM batches ORDER BY revision")
            .map_err(|e| read_error("the batches", None, e))?;
        let mut rows = batches
            .query([])
            .map_err(|e| read_error("the batches", None, e))?;
        while let Some(row) = rows
            .next()
            .map_err(|e| read_error("the batches", None, e))?
        {
            visitor.batch(stored_batch(row)?)?;
        }
        Ok(())
    }

    fn append(
        &mut self,
        batches: &[NewBatch],
        keys: &[IdempotencyRecord],
    ) -> Result<(), StoreError> {
        let Some(last) = batches.last() else {
            return Ok(());
        };
        let context = || {
            format!(
                "cannot commit revisions {} to {}",
                batches[0].revision, last.revision
            )
        };
        let write = |conn: &mut Connection| -> rusqlite::Result<()> {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO batches (revision, format, line, chain) VALUES (?1, ?2, ?3, ?4)",
                )?;
                for batch in batches {
                    insert.execute(params![
                        sql_revision(batch.revision),
                        batch.format,
                        batch.line,
                        &batch.chain[..],
                    ])?;
                }
                let mut remember = tx.prepare_cached(
                    "INSERT OR REPLACE INTO idempotency (key, revision, answer, created_ms, checksum)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?;
                for key in keys {
                    remember.execute(params![
                        key.key,
                        sql_revision(key.revision),
                        key.answer,
                        key.created_ms,
                        key.checksum,
                    ])?;
                }
                let mut head = tx.prepare_cached("UPDATE meta SET value = ?2 WHERE key = ?1")?;
                head.execute(params!["head_revision", last.revision.to_string()])?;
                head.execute(params!["head_chain", hex(&last.chain)])?;
            }
            tx.commit()
        };
        write(&mut self.conn).map_err(|e| StoreError::sqlite(context(), e))
    }

    fn write_checkpoint(
        &mut self,
        checkpoint: &NewCheckpoint,
        keep: usize,
        expired_before_ms: i64,
    ) -> Result<(), StoreError> {
        let write = |conn: &mut Connection| -> rusqlite::Result<()> {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            insert_checkpoint(&tx, checkpoint)?;
            tx.execute(
                "DELETE FROM checkpoints WHERE revision <> 0 AND revision NOT IN
                 (SELECT revision FROM checkpoints WHERE revision <> 0 ORDER BY revision DESC LIMIT ?1)",
                [i64::try_from(keep).unwrap_or(i64::MAX)],
            )?;
            tx.execute(
                "DELETE FROM idempotency WHERE created_ms < ?1",
                [expired_before_ms],
            )?;
            tx.commit()
        };
        write(&mut self.conn).map_err(|e| {
            StoreError::sqlite(
                format!(
                    "cannot write the checkpoint at revision {}",
                    checkpoint.revision
                ),
                e,
            )
        })
    }

    fn idempotency(
        &mut self,
        key: &str,
        not_before_ms: i64,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT revision, answer, created_ms, checksum FROM idempotency
                 WHERE key = ?1 AND created_ms >= ?2",
            )
            .map_err(|e| read_error("an idempotency key", None, e))?;
        let row = statement
            .query_row(params![key, not_before_ms], |row| {
                Ok((row.get::<_, i64>(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })
            .optional()
            .map_err(|e| read_error("an idempotency key", None, e))?;
        row.map(|(revision, answer, created_ms, checksum)| {
            Ok(IdempotencyRecord {
                key: key.to_owned(),
                revision: revision_of(revision, "an idempotency key")?,
                answer,
                created_ms,
                checksum,
            })
        })
        .transpose()
    }

    fn head(&mut self) -> Result<u64, StoreError> {
        let head: Option<i64> = self
            .conn
            .query_row("SELECT MAX(revision) FROM batches", [], |row| row.get(0))
            .map_err(|e| read_error("the head", None, e))?;
        revision_of(head.unwrap_or(0), "the head")
    }

    fn durability(&mut self) -> Result<Durability, StoreError> {
        durability(&self.conn)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Every writing connection opened by this test binary, with the settings SQLite
    /// reported on it.
    pub(crate) static WRITING_CONNECTIONS: Mutex<Vec<(PathBuf, Durability)>> =
        Mutex::new(Vec::new());

    fn opened_under(dir: &Path) -> Vec<(PathBuf, Durability)> {
        let all = WRITING_CONNECTIONS.lock().unwrap();
        all.iter()
            .filter(|(path, _)| path.starts_with(dir))
            .cloned()
            .collect()
    }

    #[test]
    fn every_connection_that_writes_runs_wal_with_synchronous_full() {
        use privgraph::graph::{Author, Batch};
        let dir = tempfile::tempdir().unwrap();
        let (store, copy) = (dir.path().join("store"), dir.path().join("copy"));
        crate::init(&store, &privgraph::graph::Graph::new()).unwrap();
        let writer = crate::Store::open(&store, crate::Config::default()).unwrap();
        writer
            .handle()
            .commit(Batch::new(Author::Root, vec![]))
            .unwrap();
        crate::backup(&store, &copy).unwrap();
        writer.close();
        crate::compact(&store).unwrap();
        let opened = opened_under(dir.path());
        let names: Vec<String> = opened
            .iter()
            .map(|(path, _)| path.strip_prefix(dir.path()).unwrap().display().to_string())
            .collect();
        // init builds the new file, the writer and compact open the store, backup
        // writes its copy: each through a writing connection.
        assert_eq!(
            names,
            [
                "store/privgraph.sqlite.new",
                "store/privgraph.sqlite",
                "copy/privgraph.sqlite.new",
                "store/privgraph.sqlite",
            ]
        );
        for (path, durability) in opened {
            assert_eq!(durability.journal_mode, "wal", "{}", path.display());
            assert_eq!(durability.synchronous, 2, "{}", path.display());
        }
    }

    #[test]
    fn hex_round_trips_and_refuses_what_is_not_hex() {
        let bytes = [0u8, 1, 0xab, 0xff];
        assert_eq!(hex(&bytes), "0001abff");
        assert_eq!(unhex("0001abff"), Some(bytes.to_vec()));
        assert_eq!(unhex("0g"), None);
        assert_eq!(unhex("abc"), None);
        assert_eq!(unhex("é1"), None);
    }
}
