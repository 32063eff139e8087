//! The tables of a store in PostgreSQL, creating them, and reading them back whole
//! for a verified load.

use futures_util::{StreamExt, pin_mut};
use tokio_postgres::{Client, GenericClient, IsolationLevel};

use crate::backend::{LoadVisitor, Meta, NewCheckpoint, StoredBatch, StoredCheckpoint};
use crate::error::{Damage, StoreError};
use crate::format::{BATCH_FORMAT, CHECKPOINT_FORMAT, SCHEMA_VERSION};

/// Every table is named `privgraph_*`, so a host's own tables can live beside them.
/// The head is one row: a writer locks it (`FOR UPDATE`) from validation to commit,
/// which orders every write.
const SCHEMA: &str = "
CREATE TABLE privgraph_meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);
CREATE TABLE privgraph_head (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    revision bigint NOT NULL,
    chain    bytea NOT NULL
);
CREATE TABLE privgraph_batches (
    revision     bigint PRIMARY KEY,
    format       integer NOT NULL,
    line         text NOT NULL,
    chain        bytea NOT NULL,
    committed_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE privgraph_checkpoints (
    revision bigint PRIMARY KEY,
    format   integer NOT NULL,
    snapshot text NOT NULL,
    checksum bytea NOT NULL,
    chain    bytea NOT NULL
);
CREATE TABLE privgraph_idempotency (
    key        text PRIMARY KEY,
    revision   bigint NOT NULL,
    answer     bytea NOT NULL,
    created_ms bigint NOT NULL,
    checksum   bytea NOT NULL
);
CREATE INDEX privgraph_idempotency_by_age ON privgraph_idempotency (created_ms);
";

/// The channel every commit notifies, with its revision as the payload.
pub(crate) const CHANNEL: &str = "privgraph_log";

pub(crate) const LOCK_HEAD: &str = "SELECT revision, chain FROM privgraph_head FOR UPDATE";
pub(crate) const INSERT_BATCH: &str =
    "INSERT INTO privgraph_batches (revision, format, line, chain) VALUES ($1, $2, $3, $4)";
pub(crate) const UPDATE_HEAD: &str = "UPDATE privgraph_head SET revision = $1, chain = $2";
pub(crate) const NOTIFY: &str = "SELECT pg_notify('privgraph_log', $1)";
pub(crate) const BATCHES_AFTER: &str = "SELECT revision, format, line, chain FROM privgraph_batches
     WHERE revision > $1 ORDER BY revision LIMIT $2";
pub(crate) const INSERT_KEY: &str = "INSERT INTO privgraph_idempotency
     (key, revision, answer, created_ms, checksum) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (key) DO UPDATE SET revision = EXCLUDED.revision, answer = EXCLUDED.answer,
     created_ms = EXCLUDED.created_ms, checksum = EXCLUDED.checksum";
pub(crate) const FIND_KEYS: &str = "SELECT key, revision, answer, created_ms, checksum
     FROM privgraph_idempotency WHERE key = ANY($1) AND created_ms >= $2";

/// Revisions are `u64`; PostgreSQL's `bigint` is `i64`. A store reaches neither bound.
pub(crate) fn sql_revision(revision: u64) -> i64 {
    i64::try_from(revision).unwrap_or(i64::MAX)
}

/// A revision read back: a negative one is damage.
pub(crate) fn revision_of(value: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt {
        revision: None,
        damage: Damage::File(format!("{what} has the negative revision {value}")),
    })
}

/// Refuses a server on which an acknowledged commit could be lost, or one whose text
/// would not hold a batch's bytes exactly.
pub(crate) async fn check_server(client: &Client) -> Result<(), StoreError> {
    let checks: [(&str, &[&str], &'static str); 3] = [
        ("fsync", &["on"], "on"),
        (
            "synchronous_commit",
            &["on", "remote_write", "remote_apply", "local"],
            "on (or local, remote_write, remote_apply)",
        ),
        ("server_encoding", &["UTF8"], "UTF8"),
    ];
    for (setting, accepted, needed) in checks {
        let row = client
            .query_one(&format!("SHOW {setting}"), &[])
            .await
            .map_err(|e| StoreError::postgres(format!("cannot read the setting {setting}"), &e))?;
        let value: String = row.get(0);
        if !accepted.contains(&value.as_str()) {
            return Err(StoreError::DatabaseNotDurable {
                setting: setting.to_owned(),
                value,
                needed,
            });
        }
    }
    Ok(())
}

/// Whether the store's tables exist.
async fn has_store(client: &impl GenericClient) -> Result<bool, tokio_postgres::Error> {
    let row = client
        .query_one("SELECT to_regclass('privgraph_meta') IS NOT NULL", &[])
        .await?;
    Ok(row.get(0))
}

/// Creates the tables holding `genesis` as the checkpoint at revision 0, in one
/// transaction: all of it, or nothing.
pub(crate) async fn create(
    client: &mut Client,
    genesis: &NewCheckpoint,
    database: &str,
) -> Result<(), StoreError> {
    check_server(client).await?;
    let context = "cannot create the store's tables";
    let err = |e: tokio_postgres::Error| {
        if e.code() == Some(&tokio_postgres::error::SqlState::DUPLICATE_TABLE) {
            // Another init won the race.
            StoreError::AlreadyInDatabase {
                database: database.to_owned(),
            }
        } else {
            StoreError::postgres(context, &e)
        }
    };
    let tx = client.transaction().await.map_err(err)?;
    if has_store(&tx).await.map_err(err)? {
        return Err(StoreError::AlreadyInDatabase {
            database: database.to_owned(),
        });
    }
    tx.batch_execute(SCHEMA).await.map_err(err)?;
    for (key, value) in [
        ("schema_version", SCHEMA_VERSION.to_string()),
        ("batch_format", BATCH_FORMAT.to_string()),
        ("checkpoint_format", CHECKPOINT_FORMAT.to_string()),
    ] {
        tx.execute(
            "INSERT INTO privgraph_meta (key, value) VALUES ($1, $2)",
            &[&key, &value],
        )
        .await
        .map_err(err)?;
    }
    tx.execute(
        "INSERT INTO privgraph_head (revision, chain) VALUES (0, $1)",
        &[&&genesis.chain[..]],
    )
    .await
    .map_err(err)?;
    insert_checkpoint(&tx, genesis).await.map_err(err)?;
    tx.commit().await.map_err(err)
}

pub(crate) async fn insert_checkpoint(
    client: &impl GenericClient,
    checkpoint: &NewCheckpoint,
) -> Result<u64, tokio_postgres::Error> {
    let format = i32::try_from(checkpoint.format).unwrap_or(i32::MAX);
    client
        .execute(
            "INSERT INTO privgraph_checkpoints (revision, format, snapshot, checksum, chain)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (revision) DO NOTHING",
            &[
                &sql_revision(checkpoint.revision),
                &format,
                &checkpoint.snapshot,
                &&checkpoint.checksum[..],
                &&checkpoint.chain[..],
            ],
        )
        .await
}

/// Hands the metadata, every checkpoint and every batch to `visitor` from one
/// consistent snapshot of the database (a read-only repeatable-read transaction).
pub(crate) async fn load(
    client: &mut Client,
    visitor: &mut dyn LoadVisitor,
    database: &str,
) -> Result<(), StoreError> {
    let read = |what: &'static str| {
        move |e: tokio_postgres::Error| StoreError::postgres(format!("cannot read {what}"), &e)
    };
    let tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .map_err(read("the store"))?;
    if !has_store(&tx).await.map_err(read("the store"))? {
        return Err(StoreError::NoStoreInDatabase {
            database: database.to_owned(),
            why: "it has no table privgraph_meta".to_owned(),
        });
    }
    let version = tx
        .query_opt(
            "SELECT value FROM privgraph_meta WHERE key = 'schema_version'",
            &[],
        )
        .await
        .map_err(read("the metadata"))?;
    let meta_damage = |why: String| StoreError::Corrupt {
        revision: None,
        damage: Damage::Meta(why),
    };
    let version: String = version
        .ok_or_else(|| meta_damage("no schema_version".to_owned()))?
        .try_get(0)
        .map_err(read("the metadata"))?;
    let schema_version: i64 = version
        .parse()
        .map_err(|_| meta_damage(format!("schema_version is {version:?}, not a number")))?;
    if schema_version != SCHEMA_VERSION {
        // Read nothing else: another schema may keep the rest differently.
        return visitor.meta(&Meta {
            schema_version,
            head_revision: 0,
            head_chain: Vec::new(),
        });
    }
    let heads = tx
        .query("SELECT revision, chain FROM privgraph_head", &[])
        .await
        .map_err(read("the head"))?;
    let [head] = &heads[..] else {
        return Err(meta_damage(format!(
            "privgraph_head holds {} rows, not one",
            heads.len()
        )));
    };
    visitor.meta(&Meta {
        schema_version,
        head_revision: revision_of(head.try_get(0).map_err(read("the head"))?, "the head")?,
        head_chain: head.try_get(1).map_err(read("the head"))?,
    })?;

    let no_params: [&(dyn tokio_postgres::types::ToSql + Sync); 0] = [];
    let checkpoints = tx
        .query_raw(
            "SELECT revision, format, snapshot, checksum, chain FROM privgraph_checkpoints ORDER BY revision",
            no_params,
        )
        .await
        .map_err(read("the checkpoints"))?;
    pin_mut!(checkpoints);
    while let Some(row) = checkpoints.next().await {
        let row = row.map_err(read("the checkpoints"))?;
        let revision = revision_of(
            row.try_get(0).map_err(read("a checkpoint"))?,
            "a checkpoint",
        )?;
        let damaged = |e: tokio_postgres::Error| StoreError::Corrupt {
            revision: Some(revision),
            damage: Damage::File(format!("a checkpoint: {e}")),
        };
        let format: i32 = row.try_get(1).map_err(damaged)?;
        let snapshot: &str = row.try_get(2).map_err(damaged)?;
        visitor.checkpoint(StoredCheckpoint {
            revision,
            format: format.into(),
            snapshot: snapshot.as_bytes(),
            checksum: row.try_get(3).map_err(damaged)?,
            chain: row.try_get(4).map_err(damaged)?,
        })?;
    }
    let batches = tx
        .query_raw(
            "SELECT revision, format, line, chain FROM privgraph_batches ORDER BY revision",
            no_params,
        )
        .await
        .map_err(read("the batches"))?;
    pin_mut!(batches);
    while let Some(row) = batches.next().await {
        let row = row.map_err(read("the batches"))?;
        let stored = stored_batch(&row)?;
        visitor.batch(stored)?;
    }
    // A read-only transaction: ending it changes nothing.
    tx.rollback().await.map_err(read("the store"))
}

/// A row of `privgraph_batches` (revision, format, line, chain), borrowed.
pub(crate) fn stored_batch(row: &tokio_postgres::Row) -> Result<StoredBatch<'_>, StoreError> {
    let revision = revision_of(
        row.try_get(0)
            .map_err(|e| StoreError::postgres("cannot read a batch", &e))?,
        "a batch",
    )?;
    let damaged = |e: tokio_postgres::Error| StoreError::Corrupt {
        revision: Some(revision),
        damage: Damage::File(format!("a batch: {e}")),
    };
    let format: i32 = row.try_get(1).map_err(damaged)?;
    let line: &str = row.try_get(2).map_err(damaged)?;
    Ok(StoredBatch {
        revision,
        format: format.into(),
        line: line.as_bytes(),
        chain: row.try_get(3).map_err(damaged)?,
    })
}
