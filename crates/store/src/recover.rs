//! Opening a store: every checksum verified, the newest checkpoint loaded, the batches
//! after it replayed.

use privgraph::graph::{CommittedBatch, Graph};

use crate::backend::{Backend, LoadVisitor, Meta, StoredBatch, StoredCheckpoint};
use crate::error::{Damage, StoreError};
use crate::format::{self, BATCH_FORMAT, CHECKPOINT_FORMAT, Checksum, SCHEMA_VERSION};

/// What a verified load gives, besides the lines it handed out.
pub(crate) struct Recovered {
    /// The head graph (when asked for), at the head revision.
    pub graph: Option<Graph>,
    /// The head revision.
    pub head: u64,
    /// The chain value at the head.
    pub chain: Checksum,
    /// The newest checkpoint's revision.
    pub checkpoint: u64,
}

/// What to do with the batches besides verifying them.
pub(crate) enum Use<'a> {
    /// Build the head graph.
    Graph,
    /// Hand every batch after `since` to `out`, as its stored line.
    Lines {
        since: u64,
        out: &'a mut dyn FnMut(&str) -> Result<(), StoreError>,
    },
}

/// Loads and verifies everything `backend` holds.
pub(crate) fn recover(backend: &mut dyn Backend, what: Use<'_>) -> Result<Recovered, StoreError> {
    let mut verifier = Verifier::new(what);
    backend.load(&mut verifier)?;
    verifier.finish()
}

/// Verifies what a backend hands over (as a [`LoadVisitor`]) and builds the graph; for
/// backends whose reads cannot run inside [`Backend::load`] (an asynchronous client).
pub(crate) struct Verifier<'a> {
    what: Use<'a>,
    meta: Option<Meta>,
    /// Every checkpoint's revision and chain value, by increasing revision.
    checkpoints: Vec<(u64, Checksum)>,
    /// The newest checkpoint's snapshot, until the graph is built from it.
    newest: Option<(u64, Vec<u8>)>,
    /// The chain value of the last batch verified (of revision 0 before any).
    chain: Option<Checksum>,
    /// The revision the next batch must have.
    next: u64,
    /// The index in `checkpoints` of the next checkpoint to match against the chain.
    next_checkpoint: usize,
    graph: Option<Graph>,
}

fn corrupt(revision: u64, damage: Damage) -> StoreError {
    StoreError::Corrupt {
        revision: Some(revision),
        damage,
    }
}

impl<'a> Verifier<'a> {
    pub(crate) fn new(what: Use<'a>) -> Verifier<'a> {
        Verifier {
            what,
            meta: None,
            checkpoints: Vec::new(),
            newest: None,
            chain: None,
            next: 1,
            next_checkpoint: 0,
            graph: None,
        }
    }

    fn newest_checkpoint(&self) -> u64 {
        self.checkpoints.last().map_or(0, |&(revision, _)| revision)
    }

    /// Builds the graph from the newest checkpoint once its chain value has been
    /// matched against the batches.
    fn build(&mut self) -> Result<(), StoreError> {
        if !matches!(self.what, Use::Graph) || self.graph.is_some() {
            return Ok(());
        }
        let Some((revision, snapshot)) = self.newest.take() else {
            return Ok(());
        };
        let text = std::str::from_utf8(&snapshot)
            .map_err(|err| corrupt(revision, Damage::BadSnapshot(err.to_string())))?;
        let mut graph = privgraph::snapshot::load(text)
            .map_err(|err| corrupt(revision, Damage::BadSnapshot(err.to_string())))?;
        graph.set_revision(revision);
        self.graph = Some(graph);
        Ok(())
    }

    /// Matches the chain value at `revision` against the checkpoint there, if any.
    fn match_checkpoint(&mut self, revision: u64, chain: &Checksum) -> Result<(), StoreError> {
        if let Some(&(at, expected)) = self.checkpoints.get(self.next_checkpoint)
            && at == revision
        {
            if &expected != chain {
                return Err(corrupt(revision, Damage::CheckpointChain));
            }
            self.next_checkpoint += 1;
        }
        Ok(())
    }

    /// The verdict once everything was visited.
    pub(crate) fn finish(mut self) -> Result<Recovered, StoreError> {
        let chain = self.chain.ok_or(StoreError::Corrupt {
            revision: Some(0),
            damage: Damage::NoGenesis,
        })?;
        let head = self.next - 1;
        if let Some(&(revision, _)) = self.checkpoints.get(self.next_checkpoint) {
            // A checkpoint beyond the last batch: batches were lost after it.
            return Err(corrupt(revision, Damage::CheckpointChain));
        }
        let meta = self.meta.as_ref().ok_or(StoreError::Corrupt {
            revision: None,
            damage: Damage::Meta("not read".to_owned()),
        })?;
        if meta.head_revision != head || meta.head_chain != chain {
            return Err(corrupt(meta.head_revision.max(head), Damage::Head));
        }
        let checkpoint = self.newest_checkpoint();
        self.build()?;
        Ok(Recovered {
            graph: self.graph,
            head,
            chain,
            checkpoint,
        })
    }
}

impl LoadVisitor for Verifier<'_> {
    fn meta(&mut self, meta: &Meta) -> Result<(), StoreError> {
        if meta.schema_version != SCHEMA_VERSION {
            return Err(StoreError::Version {
                what: "the store's schema".to_owned(),
                found: meta.schema_version,
                supported: SCHEMA_VERSION,
                advice: if meta.schema_version > SCHEMA_VERSION {
                    "it was written by a newer privgraph: open it with that version"
                } else {
                    "no migration from it exists: export it with the privgraph that wrote it"
                },
            });
        }
        self.meta = Some(meta.clone());
        Ok(())
    }

    fn checkpoint(&mut self, checkpoint: StoredCheckpoint<'_>) -> Result<(), StoreError> {
        let revision = checkpoint.revision;
        if checkpoint.format != CHECKPOINT_FORMAT {
            return Err(StoreError::Version {
                what: format!("the checkpoint at revision {revision}"),
                found: checkpoint.format,
                supported: CHECKPOINT_FORMAT,
                advice: "it was written by another privgraph: open the store with that version",
            });
        }
        let expected = format::checkpoint(revision, checkpoint.format, checkpoint.snapshot);
        let chain = format::checksum_of(checkpoint.chain);
        let (Some(chain), true) = (chain, checkpoint.checksum == expected) else {
            return Err(corrupt(revision, Damage::Checkpoint));
        };
        if self.checkpoints.is_empty() {
            if revision != 0 {
                return Err(corrupt(0, Damage::NoGenesis));
            }
            let genesis = format::genesis(&expected);
            if chain != genesis {
                return Err(corrupt(0, Damage::CheckpointChain));
            }
            self.chain = Some(genesis);
            self.next_checkpoint = 1;
        }
        self.checkpoints.push((revision, chain));
        if matches!(self.what, Use::Graph) {
            self.newest = Some((revision, checkpoint.snapshot.to_vec()));
        }
        Ok(())
    }

    fn batch(&mut self, batch: StoredBatch<'_>) -> Result<(), StoreError> {
        let revision = batch.revision;
        let Some(previous) = self.chain else {
            return Err(corrupt(0, Damage::NoGenesis));
        };
        if revision != self.next {
            return Err(corrupt(
                self.next,
                Damage::Gap {
                    expected: self.next,
                },
            ));
        }
        if batch.format != BATCH_FORMAT {
            return Err(StoreError::Version {
                what: format!("the batch of revision {revision}"),
                found: batch.format,
                supported: BATCH_FORMAT,
                advice: "it was written by another privgraph: open the store with that version",
            });
        }
        let chain = format::chain(&previous, revision, batch.format, batch.line);
        if batch.chain != chain {
            return Err(corrupt(revision, Damage::Batch));
        }
        self.match_checkpoint(revision, &chain)?;
        self.chain = Some(chain);
        self.next += 1;
        match &mut self.what {
            Use::Graph => {
                if revision <= self.newest_checkpoint() {
                    return Ok(());
                }
                self.build()?;
                let committed: CommittedBatch = serde_json::from_slice(batch.line)
                    .map_err(|err| corrupt(revision, Damage::Unreadable(err.to_string())))?;
                if let Some(graph) = &mut self.graph {
                    graph
                        .apply_committed(&committed)
                        .map_err(|err| corrupt(revision, Damage::Unreadable(err.to_string())))?;
                }
            }
            Use::Lines { since, out } => {
                if revision > *since {
                    let line = std::str::from_utf8(batch.line)
                        .map_err(|err| corrupt(revision, Damage::Unreadable(err.to_string())))?;
                    out(line)?;
                }
            }
        }
        Ok(())
    }
}
