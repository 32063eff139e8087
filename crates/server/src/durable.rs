//! The durable backend a server runs on: the embedded SQLite store, or a replica of a
//! graph kept in PostgreSQL. Both publish through a [`Reader`] and take writes through
//! a [`WriteHandle`]; what differs is how a revision written elsewhere arrives (never,
//! for the embedded store, its own primary) and how far behind the log the graph is.

use privgraph::concurrent::Reader;
use privgraph_store::{Store, StoreError, WriteHandle};

use crate::{Config, ServeError, Storage};

/// What `/metrics` reports of replication.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Lag {
    /// Batches committed in the log that this process has not published yet.
    pub revisions: u64,
    /// How long its published graph may have been missing batches.
    pub seconds: f64,
    /// Whether it is in contact with the database that orders the writes.
    pub connected: bool,
}

impl Lag {
    /// The embedded store's: it is its own primary.
    const NONE: Lag = Lag {
        revisions: 0,
        seconds: 0.0,
        connected: true,
    };
}

/// The store a server serves, opened. Dropping it closes it once every write queued
/// is answered.
#[derive(Debug)]
pub(crate) enum Durable {
    Store(Store),
    #[cfg(feature = "postgres")]
    Replica(privgraph_store::postgres::Replica),
}

impl Durable {
    /// Opens the store `config` names: as its one writer for a directory, as one more
    /// replica for a database.
    pub fn open(config: &Config) -> Result<Durable, ServeError> {
        match &config.storage {
            Storage::Dir(dir) => Store::open(dir, config.store.clone())
                .map(Durable::Store)
                .map_err(|err| match err {
                    StoreError::NotAStore { dir, .. } => ServeError::NoStore { dir },
                    StoreError::Locked { dir } => ServeError::Locked { dir },
                    other => ServeError::Store(other),
                }),
            #[cfg(feature = "postgres")]
            Storage::Postgres(url) => {
                use privgraph_store::postgres::{Replica, ReplicaConfig};
                let replica = ReplicaConfig {
                    store: config.store.clone(),
                    ..ReplicaConfig::default()
                };
                Replica::open(url, replica)
                    .map(Durable::Replica)
                    .map_err(ServeError::Store)
            }
            #[cfg(not(feature = "postgres"))]
            Storage::Postgres(_) => Err(ServeError::BadArgument(
                "--postgres: this build of the server has no PostgreSQL support \
                 (the cargo feature postgres of privgraph-server)"
                    .to_owned(),
            )),
        }
    }

    pub fn reader(&self) -> Reader {
        match self {
            Durable::Store(store) => store.reader(),
            #[cfg(feature = "postgres")]
            Durable::Replica(replica) => replica.reader(),
        }
    }

    pub fn handle(&self) -> WriteHandle {
        match self {
            Durable::Store(store) => store.handle(),
            #[cfg(feature = "postgres")]
            Durable::Replica(replica) => replica.handle(),
        }
    }

    /// A request waits for a revision this process has not published: a replica
    /// reads the log now (the revision may have been written on another one); the
    /// embedded store's writer publishes every revision by itself.
    pub fn follow_now(&self) {
        match self {
            Durable::Store(_) => {}
            #[cfg(feature = "postgres")]
            Durable::Replica(replica) => replica.follow_now(),
        }
    }

    pub fn lag(&self) -> Lag {
        match self {
            Durable::Store(_) => Lag::NONE,
            #[cfg(feature = "postgres")]
            Durable::Replica(replica) => {
                let replication = replica.replication();
                Lag {
                    revisions: replication.lag_revisions,
                    seconds: replication.lag_seconds,
                    connected: replication.connected,
                }
            }
        }
    }

    /// Starts watches of the store's batches: only an embedded store has its log and
    /// its writer in this process; a replica has none (`None`).
    pub fn watcher(&self) -> Option<privgraph_store::Watcher> {
        match self {
            Durable::Store(store) => Some(store.watcher()),
            #[cfg(feature = "postgres")]
            Durable::Replica(_) => None,
        }
    }

    /// What the start's log line names it by (never a password).
    pub fn name(&self) -> String {
        match self {
            Durable::Store(store) => store.dir().display().to_string(),
            #[cfg(feature = "postgres")]
            Durable::Replica(replica) => replica.database().to_owned(),
        }
    }
}
