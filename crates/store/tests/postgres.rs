//! The PostgreSQL store against a real server: a throwaway cluster per test
//! (`privgraph-testpg`), replicas in this process, the log read back and replayed.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use privgraph::graph::{Author, Batch, Change, CommittedBatch, EntityKind, Graph, Group, User};
use privgraph::logic::{Auth, Error as LogicError, Outcome};
use privgraph::rest::Request;
use privgraph_store::postgres::{self, Replica, ReplicaConfig};
use privgraph_store::{Damage, Idempotency, StoreError, WriteError, Written};
use privgraph_testpg::Cluster;

const WAIT: Duration = Duration::from_secs(10);

mod child;

/// The replica child of [`replica_process`], when that test started this process: it
/// opens a replica at URL (a checkpoint every 20 batches), reports `opened REVISION
/// CHECKPOINT` (its revision and the checkpoint it loaded from), then commits batches
/// each creating user `NONCE-I` and reports `ack REVISION NONCE-I` for each
/// acknowledged one, until killed.
#[test]
#[ignore = "the child process of this file's tests, which start it themselves"]
fn child() {
    let Some(args) = child::args() else {
        return;
    };
    let [url, nonce] = &args[..] else {
        std::process::exit(2);
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
            child::say(format_args!("error {err}"));
            std::process::exit(1);
        }
    };
    let (revision, from) = (replica.revision(), replica.opened_from());
    child::say(format_args!("opened {revision} {from}"));
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
            Ok(revision) => child::say(format_args!("ack {revision} {id}")),
            Err(err) => child::say(format_args!("error {err}")),
        }
    }
}

const SNAPSHOT: &str = r#"{"version": 1,
    "users": [{"id": "u1"}, {"id": "u2"}, {"id": "admin"}],
    "groups": [{"id": "g1", "users": {"admin": ["group_view", "group_add_user"]}}]}"#;

fn config() -> ReplicaConfig {
    ReplicaConfig {
        poll_interval: Duration::from_millis(200),
        ..ReplicaConfig::default()
    }
}

/// A cluster with a database holding the store of [`SNAPSHOT`].
fn store(name: &str) -> Option<(Cluster, String)> {
    let cluster = Cluster::start()?;
    let url = cluster.create_database(name);
    postgres::init(&url, &privgraph::snapshot::load(SNAPSHOT).unwrap()).unwrap();
    Some((cluster, url))
}

fn put(path: &str) -> Request {
    Request::parse("PUT", path, b"").unwrap()
}

/// Every log line, parsed.
fn log_of(url: &str) -> Vec<CommittedBatch> {
    let mut batches = Vec::new();
    postgres::log(url, 0, |line| {
        batches.push(serde_json::from_str(line).unwrap());
        Ok(())
    })
    .unwrap();
    batches
}

/// The starting snapshot with every batch of the log applied, in order.
fn replay(url: &str) -> Graph {
    let mut graph = privgraph::snapshot::load(SNAPSHOT).unwrap();
    for batch in log_of(url) {
        graph.apply_committed(&batch).unwrap();
    }
    graph
}

fn snapshot_at(replica: &Replica, revision: u64) -> String {
    privgraph::snapshot::save(&replica.at_least(revision, WAIT).unwrap())
}

#[test]
fn writes_spread_over_two_replicas_form_one_log_and_a_conflict_is_refused_once() {
    let Some((_cluster, url)) = store("spread") else {
        return;
    };
    let (a, b) = (
        Arc::new(Replica::open(&url, config()).unwrap()),
        Arc::new(Replica::open(&url, config()).unwrap()),
    );
    // The same membership added on both replicas at once: one 201, one 409.
    let add = put("/groups/g1/users/u1");
    let racers: Vec<_> = [&a, &b]
        .into_iter()
        .map(|replica| {
            let (handle, add) = (replica.handle(), add.clone());
            std::thread::spawn(move || {
                handle.execute(&Auth::Root, add.operation(), add.body(), None)
            })
        })
        .collect();
    let results: Vec<_> = racers.into_iter().map(|t| t.join().unwrap()).collect();
    let created = results
        .iter()
        .filter(
            |r| matches!(r, Ok(Written::Applied(c)) if c.outcome == Outcome::Created { id: None }),
        )
        .count();
    let conflicts = results
        .iter()
        .filter(|r| matches!(r, Err(WriteError::Refused(e)) if e.http_status() == 409))
        .count();
    assert_eq!((created, conflicts), (1, 1), "{results:?}");

    // Then 4 threads per replica, each creating users and adding them to g1.
    let writers: Vec<_> = (0..8)
        .map(|t| {
            let handle = if t % 2 == 0 { a.handle() } else { b.handle() };
            std::thread::spawn(move || {
                (0..10)
                    .map(|i| {
                        let id = format!("w{t}-{i}");
                        handle
                            .commit(Batch::new(
                                Author::Library,
                                vec![Change::Create {
                                    kind: EntityKind::User,
                                    id: id.clone(),
                                }],
                            ))
                            .unwrap();
                        let add = put(&format!("/groups/g1/users/{id}"));
                        match handle.execute(&Auth::Root, add.operation(), add.body(), None) {
                            Ok(Written::Applied(c)) => c.revision,
                            other => panic!("{other:?}"),
                        }
                    })
                    .max()
                    .unwrap()
            })
        })
        .collect();
    let last = writers
        .into_iter()
        .map(|t| t.join().unwrap())
        .max()
        .unwrap();
    let head = 1 + 8 * 10 * 2;
    assert_eq!(last, head);
    let (on_a, on_b) = (snapshot_at(&a, head), snapshot_at(&b, head));
    assert_eq!(on_a, on_b);
    let exported = postgres::load(&url).unwrap();
    assert_eq!(privgraph::snapshot::save(&exported), on_a);
    assert_eq!(replay(&url), exported);
    assert_eq!(exported.len::<User>(), 3 + 80);
    let revisions: Vec<u64> = log_of(&url).iter().map(|b| b.revision).collect();
    assert_eq!(revisions, (1..=head).collect::<Vec<_>>());
}

#[test]
fn a_write_on_one_replica_is_read_on_the_other_at_its_revision() {
    let Some((_cluster, url)) = store("ryw") else {
        return;
    };
    // Polling rarely: the reader catches up on demand, not at its next poll.
    let slow = ReplicaConfig {
        poll_interval: Duration::from_secs(3600),
        ..ReplicaConfig::default()
    };
    let (a, b) = (
        Replica::open(&url, slow.clone()).unwrap(),
        Replica::open(&url, slow).unwrap(),
    );
    for (i, user) in ["u1", "u2"].into_iter().enumerate() {
        let (writer, reader) = if i == 0 { (&a, &b) } else { (&b, &a) };
        let add = put(&format!("/groups/g1/users/{user}"));
        let Written::Applied(committed) = writer
            .handle()
            .execute(&Auth::Root, add.operation(), add.body(), None)
            .unwrap()
        else {
            panic!("applied")
        };
        let graph = reader.at_least(committed.revision, WAIT).unwrap();
        assert!(graph.revision() >= committed.revision);
        let (u, g) = (
            graph.key::<User>(user).unwrap(),
            graph.key::<Group>("g1").unwrap(),
        );
        assert!(
            graph.is_effective_member(u, g),
            "{user} in g1 at revision {}",
            graph.revision()
        );
    }
    let replication = a.replication();
    assert_eq!((replication.revision, replication.lag_revisions), (2, 0));
}

/// Creates a group as `admin` with idempotency key `key`, retrying until it is
/// acknowledged; returns the group's id and whether it was a repeat.
fn create_group(replica: &Replica, key: &str) -> (String, bool) {
    let create = Request::parse("POST", "/user/groups", br#"{"name": "team"}"#).unwrap();
    let auth = Auth::User("admin".into());
    for _ in 0..600 {
        let idempotency = Idempotency::new(key, |committed| match &committed.outcome {
            Outcome::Created { id: Some(id) } => id.clone().into_bytes(),
            other => format!("{other:?}").into_bytes(),
        });
        match replica
            .handle()
            .execute(&auth, create.operation(), create.body(), Some(idempotency))
        {
            Ok(Written::Applied(committed)) => match committed.outcome {
                Outcome::Created { id: Some(id) } => return (id, false),
                other => panic!("{other:?}"),
            },
            Ok(Written::Repeated { answer, .. }) => {
                return (String::from_utf8(answer).unwrap(), true);
            }
            Err(WriteError::Storage(_)) => std::thread::sleep(Duration::from_millis(50)),
            Err(other) => panic!("{other:?}"),
        }
    }
    panic!("{key} was never acknowledged")
}

/// Writes of each writer thread of the restart test.
const PER_WRITER: usize = 100;

#[test]
fn a_postgres_restart_under_load_loses_no_acknowledged_write_and_applies_none_twice() {
    let Some((cluster, url)) = store("restart") else {
        return;
    };
    let replicas: Vec<Arc<Replica>> = (0..2)
        .map(|_| Arc::new(Replica::open(&url, config()).unwrap()))
        .collect();
    let acks = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let writers: Vec<_> = (0..6)
        .map(|t| {
            let (replica, acks) = (Arc::clone(&replicas[t % 2]), Arc::clone(&acks));
            std::thread::spawn(move || {
                (0..PER_WRITER)
                    .map(|i| {
                        let acked = create_group(&replica, &format!("k-{t}-{i}"));
                        acks.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        acked
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    while acks.load(std::sync::atomic::Ordering::SeqCst) < 60 {
        std::thread::sleep(Duration::from_millis(5));
    }
    cluster.restart();
    // The load was still running when the server came back.
    assert!(acks.load(std::sync::atomic::Ordering::SeqCst) < 6 * PER_WRITER);
    let acknowledged: Vec<(String, bool)> = writers
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    assert_eq!(acknowledged.len(), 6 * PER_WRITER);

    // Every group in the log was created once, and they are the acknowledged ones.
    let mut created: BTreeMap<String, usize> = BTreeMap::new();
    for batch in log_of(&url) {
        for change in &batch.batch.changes {
            if let Change::Create {
                kind: EntityKind::Group,
                id,
            } = change
            {
                *created.entry(id.clone()).or_default() += 1;
            }
        }
    }
    assert!(
        created.values().all(|&n| n == 1),
        "created twice: {created:?}"
    );
    let acked: BTreeSet<String> = acknowledged.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(
        acked.len(),
        6 * PER_WRITER,
        "two keys were answered with one group"
    );
    assert_eq!(acked, created.keys().cloned().collect::<BTreeSet<_>>());

    // Both replicas reconnected by themselves: they write again and hold the head.
    let head = log_of(&url).len() as u64;
    for (i, replica) in replicas.iter().enumerate() {
        let (_, repeated) = create_group(replica, &format!("after-{i}"));
        assert!(!repeated);
    }
    let exported = privgraph::snapshot::save(&postgres::load(&url).unwrap());
    for replica in &replicas {
        assert_eq!(snapshot_at(replica, head + 2), exported);
        assert!(
            replica.replication().connected || {
                // The listener reconnects with a backoff; give it that time.
                std::thread::sleep(Duration::from_secs(3));
                replica.replication().connected
            }
        );
    }
}

#[test]
fn a_replica_opens_from_the_newest_checkpoint_and_the_batches_after_it() {
    let Some((_cluster, url)) = store("checkpoint") else {
        return;
    };
    let every = ReplicaConfig {
        store: privgraph_store::Config {
            checkpoint_every: 10,
            ..Default::default()
        },
        ..config()
    };
    let writer = Replica::open(&url, every.clone()).unwrap();
    for i in 0..25 {
        let create = Change::Create {
            kind: EntityKind::User,
            id: format!("c{i}"),
        };
        writer
            .handle()
            .commit(Batch::new(Author::Library, vec![create]))
            .unwrap();
    }
    writer.close();
    let reopened = Replica::open(&url, every).unwrap();
    assert_eq!((reopened.opened_from(), reopened.revision()), (20, 25));
    assert_eq!(reopened.reader().read().len::<User>(), 3 + 25);
    assert_eq!(&*reopened.reader().read(), &replay(&url));
    assert_eq!(reopened.checkpoint().unwrap(), 25);
}

#[test]
fn idempotency_keys_are_global_to_the_database() {
    let Some((_cluster, url)) = store("keys") else {
        return;
    };
    let (a, b) = (
        Replica::open(&url, config()).unwrap(),
        Replica::open(&url, config()).unwrap(),
    );
    let (first, repeated) = create_group(&a, "one-key");
    assert!(!repeated);
    assert_eq!(create_group(&b, "one-key"), (first, true));
    assert_eq!(log_of(&url).len(), 1);
}

#[test]
fn a_damaged_batch_is_refused_naming_its_revision() {
    let Some((cluster, url)) = store("damage") else {
        return;
    };
    let replica = Replica::open(&url, config()).unwrap();
    for id in ["d1", "d2", "d3"] {
        let create = Change::Create {
            kind: EntityKind::User,
            id: id.into(),
        };
        replica
            .handle()
            .commit(Batch::new(Author::Library, vec![create]))
            .unwrap();
    }
    replica.close();
    cluster.psql(
        "damage",
        "UPDATE privgraph_batches SET line = replace(line, 'd2', 'x2') WHERE revision = 2",
    );
    let expected = StoreError::Corrupt {
        revision: Some(2),
        damage: Damage::Batch,
    };
    assert_eq!(Replica::open(&url, config()).unwrap_err(), expected);
    assert_eq!(postgres::load(&url).unwrap_err(), expected);
    assert_eq!(postgres::log(&url, 0, |_| Ok(())).unwrap_err(), expected);
}

#[test]
fn init_refuses_a_database_holding_a_store_and_load_one_holding_none() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let url = cluster.create_database("init");
    assert!(matches!(
        postgres::load(&url),
        Err(StoreError::NoStoreInDatabase { .. })
    ));
    postgres::init(&url, &Graph::new()).unwrap();
    let again = postgres::init(&url, &Graph::new()).unwrap_err();
    assert_eq!(
        again.to_string(),
        format!(
            "the database postgresql://postgres@127.0.0.1:{}/init already holds a privgraph store",
            cluster.port()
        )
    );
    assert_eq!(postgres::load(&url).unwrap(), Graph::new());
    // A server that could lose an acknowledged commit is refused.
    cluster.psql("init", "ALTER SYSTEM SET synchronous_commit = off");
    cluster.psql("init", "SELECT pg_reload_conf()");
    assert!(matches!(
        Replica::open(&url, config()),
        Err(StoreError::DatabaseNotDurable { setting, .. }) if setting == "synchronous_commit"
    ));
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn host_client(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .batch_execute("CREATE TABLE IF NOT EXISTS orders (id text PRIMARY KEY)")
        .await
        .unwrap();
    client
}

async fn orders(client: &tokio_postgres::Client) -> Vec<String> {
    let rows = client
        .query("SELECT id FROM orders ORDER BY id", &[])
        .await
        .unwrap();
    rows.iter().map(|row| row.get(0)).collect()
}

fn member(graph: &Graph, user: &str) -> bool {
    graph.is_effective_member(
        graph.key::<User>(user).unwrap(),
        graph.key::<Group>("g1").unwrap(),
    )
}

#[test]
fn a_committed_host_transaction_stores_its_row_and_its_privgraph_write() {
    let Some((_cluster, url)) = store("host_commit") else {
        return;
    };
    let (host, other) = (
        Replica::open(&url, config()).unwrap(),
        Replica::open(&url, config()).unwrap(),
    );
    let revision = runtime().block_on(async {
        let mut client = host_client(&url).await;
        let tx = client.transaction().await.unwrap();
        tx.execute("INSERT INTO orders (id) VALUES ('o1')", &[])
            .await
            .unwrap();
        let mut privgraph = host.write_in(&tx).await.unwrap();
        let add = put("/groups/g1/users/u1");
        let committed = privgraph
            .execute(&Auth::Root, add.operation(), add.body())
            .await
            .unwrap();
        assert_eq!(committed.revision, 1);
        // A refused operation stores nothing and leaves the transaction usable.
        let again = privgraph
            .execute(&Auth::Root, add.operation(), add.body())
            .await;
        assert!(
            matches!(
                again,
                Err(WriteError::Refused(
                    LogicError::RelationAlreadyExists { .. }
                ))
            ),
            "{again:?}"
        );
        let add = put("/groups/g1/users/u2");
        privgraph
            .execute(&Auth::Root, add.operation(), add.body())
            .await
            .unwrap();
        let revision = privgraph.revision();
        tx.commit().await.unwrap();
        assert_eq!(orders(&client).await, ["o1"]);
        revision
    });
    assert_eq!(revision, 2);
    for replica in [&host, &other] {
        let graph = replica.at_least(revision, WAIT).unwrap();
        assert!(member(&graph, "u1") && member(&graph, "u2"));
    }
    assert_eq!(log_of(&url).len(), 2);
    assert_eq!(replay(&url), postgres::load(&url).unwrap());
}

#[test]
fn a_rolled_back_host_transaction_stores_neither_its_row_nor_its_privgraph_write() {
    let Some((_cluster, url)) = store("host_rollback") else {
        return;
    };
    let host = Replica::open(&url, config()).unwrap();
    runtime().block_on(async {
        let mut client = host_client(&url).await;
        let tx = client.transaction().await.unwrap();
        tx.execute("INSERT INTO orders (id) VALUES ('o1')", &[])
            .await
            .unwrap();
        let mut privgraph = host.write_in(&tx).await.unwrap();
        let add = put("/groups/g1/users/u1");
        privgraph
            .execute(&Auth::Root, add.operation(), add.body())
            .await
            .unwrap();
        tx.rollback().await.unwrap();
        assert!(orders(&client).await.is_empty());
    });
    // A later write takes revision 1: the rolled-back batch left no trace.
    let add = put("/groups/g1/users/u2");
    let written = host
        .handle()
        .execute(&Auth::Root, add.operation(), add.body(), None)
        .unwrap();
    assert!(matches!(written, Written::Applied(c) if c.revision == 1));
    let graph = host.at_least(1, WAIT).unwrap();
    assert!(!member(&graph, "u1") && member(&graph, "u2"));
    assert_eq!(log_of(&url).len(), 1);
}

#[test]
fn a_host_transaction_holds_every_other_write_until_it_ends() {
    let Some((_cluster, url)) = store("host_hold") else {
        return;
    };
    let (host, other) = (
        Replica::open(&url, config()).unwrap(),
        Arc::new(Replica::open(&url, config()).unwrap()),
    );
    let rt = runtime();
    let mut client = rt.block_on(host_client(&url));
    let tx = rt.block_on(client.transaction()).unwrap();
    let mut privgraph = rt.block_on(host.write_in(&tx)).unwrap();
    let add = put("/groups/g1/users/u1");
    rt.block_on(privgraph.execute(&Auth::Root, add.operation(), add.body()))
        .unwrap();
    let waiting = {
        let other = Arc::clone(&other);
        std::thread::spawn(move || {
            let add = put("/groups/g1/users/u2");
            other
                .handle()
                .execute(&Auth::Root, add.operation(), add.body(), None)
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    // It cannot have committed: the head is locked by the open transaction.
    assert!(!waiting.is_finished());
    assert_eq!(other.revision(), 0);
    rt.block_on(tx.commit()).unwrap();
    let written = waiting.join().unwrap().unwrap();
    assert!(
        matches!(&written, Written::Applied(c) if c.revision == 2),
        "{written:?}"
    );
}

/// Reads `opened R C` then `ack` lines of a replica child (see [`child`]) until it has
/// `acks` of them: (R, C, the acknowledged (revision, id) pairs).
fn replica_process(url: &str, nonce: &str, acks: usize) -> (u64, u64, Vec<(u64, String)>) {
    use std::io::BufRead;
    let mut child = child::command(&[url, nonce])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let opened = lines.next().unwrap().unwrap();
    let [_, revision, checkpoint] = opened.split(' ').collect::<Vec<_>>()[..] else {
        panic!("{opened}")
    };
    let mut acked = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let [_, revision, id] = line.split(' ').collect::<Vec<_>>()[..] else {
            panic!("{line}")
        };
        acked.push((revision.parse().unwrap(), id.to_owned()));
        if acked.len() == acks {
            break;
        }
    }
    // SIGKILL, in the middle of its next write.
    child.kill().unwrap();
    child.wait().unwrap();
    (
        revision.parse().unwrap(),
        checkpoint.parse().unwrap(),
        acked,
    )
}

#[test]
fn a_replica_killed_with_sigkill_restarts_from_its_checkpoint_and_the_log() {
    let Some((_cluster, url)) = store("sigkill") else {
        return;
    };
    let follower = Replica::open(&url, config()).unwrap();
    let (opened, from, first) = replica_process(&url, "first", 50);
    assert_eq!((opened, from), (0, 0));
    let (reopened, from, second) = replica_process(&url, "second", 10);
    // It loaded a checkpoint its first life wrote and replayed the log after it: every
    // acknowledged write is there, and it went on at the next revision.
    assert!(reopened >= 50, "{reopened}");
    assert!(from >= 40 && from <= reopened, "{from}");
    assert_eq!(second[0].0, reopened + 1);
    let head = log_of(&url).len() as u64;
    let graph = follower.at_least(head, WAIT).unwrap();
    for (_, id) in first.iter().chain(&second) {
        assert!(
            graph.key::<User>(id).is_some(),
            "{id} was acknowledged and lost"
        );
    }
    assert_eq!(&*graph, &replay(&url));
}
