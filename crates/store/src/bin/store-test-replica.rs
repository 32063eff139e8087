//! A test helper of privgraph-store, run as a child process by the PostgreSQL tests
//! (it is not a tool for users): a replica that writes until it is killed.
//!
//! `store-test-replica URL NONCE` opens a replica (a checkpoint every 20 batches),
//! prints `opened REVISION CHECKPOINT` (its revision and the checkpoint it loaded
//! from), then commits batches each creating user `NONCE-I` and prints
//! `ack REVISION NONCE-I` for each acknowledged one, until killed.

use std::io::Write;
use std::process::ExitCode;

use privgraph::graph::{Author, Batch, Change, EntityKind};
use privgraph_store::postgres::{Replica, ReplicaConfig};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(url), Some(nonce)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: store-test-replica URL NONCE");
        return ExitCode::from(2);
    };
    let config = ReplicaConfig {
        store: privgraph_store::Config {
            checkpoint_every: 20,
            ..Default::default()
        },
        ..ReplicaConfig::default()
    };
    let replica = match Replica::open(url, config) {
        Ok(replica) => replica,
        Err(err) => {
            eprintln!("store-test-replica: {err}");
            return ExitCode::from(1);
        }
    };
    let mut out = std::io::stdout().lock();
    // The parent reads every line; a closed pipe means it no longer does.
    let _ = writeln!(
        out,
        "opened {} {}",
        replica.revision(),
        replica.opened_from()
    );
    let _ = out.flush();
    for i in 0u64.. {
        let id = format!("{nonce}-{i}");
        let create = Change::Create {
            kind: EntityKind::User,
            id: id.clone(),
        };
        match replica
            .handle()
            .commit(Batch::new(Author::Library, vec![create]))
        {
            Ok(revision) => {
                let _ = writeln!(out, "ack {revision} {id}");
                let _ = out.flush();
            }
            Err(err) => eprintln!("store-test-replica: {err}"),
        }
    }
    ExitCode::SUCCESS
}
