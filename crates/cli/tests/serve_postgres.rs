//! `privgraph serve --postgres` as processes: two or three replicas of one graph over a
//! throwaway PostgreSQL cluster (`privgraph-testpg`), spoken to over loopback with a
//! real HTTP client. Writes spread over every replica form one log; a conflict between
//! replicas gets one success; every replica serves what `privgraph db export` prints
//! and the replay of `privgraph db log` gives; a revision from one replica is honoured
//! by another; PostgreSQL stopped under a write load and a replica killed with SIGKILL
//! lose nothing acknowledged and apply nothing twice.
//!
//! Without PostgreSQL's server binaries these tests fail under CI and, elsewhere, say
//! loudly that they did not run.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use privgraph::graph::{CommittedBatch, Graph};
use privgraph_testpg::Cluster;

mod http;

use http::{PATIENCE, Reply, Served, agent, get, send};

const PRIVGRAPH: &str = env!("CARGO_BIN_EXE_privgraph");

const SNAPSHOT: &str = r#"{"version": 1,
    "users": [{"id": "u1"}, {"id": "u2"}],
    "groups": [{"id": "g1"}]}"#;

const ROOT: [(&str, &str); 1] = [("X-Auth-Token", "root-token")];

/// A cluster, a database holding the store of [`SNAPSHOT`], and a root tokens file.
struct Database {
    cluster: Cluster,
    url: String,
    tokens: PathBuf,
    _dir: tempfile::TempDir,
}

fn database(name: &str) -> Option<Database> {
    let cluster = Cluster::start()?;
    let url = cluster.create_database(name);
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("snapshot.json");
    std::fs::write(&snapshot, SNAPSHOT).unwrap();
    let init = privgraph(&["db", "init", "--postgres", &url, "--from"], &[&snapshot]);
    assert!(init.status.success(), "{init:?}");
    let tokens = dir.path().join("tokens.json");
    write_private(&tokens, r#"{"root-token": "root"}"#);
    Some(Database {
        cluster,
        url,
        tokens,
        _dir: dir,
    })
}

fn write_private(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

fn privgraph(args: &[&str], paths: &[&Path]) -> Output {
    Command::new(PRIVGRAPH)
        .args(args)
        .args(paths)
        .output()
        .expect("privgraph runs")
}

// ---------------------------------------------------------------------------
// Replica processes and a client
// ---------------------------------------------------------------------------

impl Served {
    /// Starts a replica of `db` and waits until it listens.
    fn start(db: &Database, extra: &[&str]) -> Served {
        let mut command = Command::new(PRIVGRAPH);
        command
            .args(["serve", "--postgres", &db.url, "--listen", "127.0.0.1:0"])
            .arg("--tokens")
            .arg(&db.tokens)
            .args(extra);
        Served::spawn(command)
    }
}

/// Creates a group on `server` as root.
fn create_group(agent: &ureq::Agent, server: &str, key: Option<&str>) -> Result<Reply, String> {
    let mut headers = ROOT.to_vec();
    if let Some(key) = key {
        headers.push(("Idempotency-Key", key));
    }
    send(
        agent,
        "POST",
        &format!("{server}/groups"),
        &headers,
        br#"{"name": "replicated"}"#,
    )
    .map_err(|err| err.to_string())
}

/// One series of a replica's `/metrics`.
fn metric(agent: &ureq::Agent, server: &Served, series: &str) -> f64 {
    let metrics = get(agent, &server.url("/metrics"), &[]);
    metrics
        .body
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no {series} in\n{}", metrics.body))
        .parse()
        .unwrap()
}

/// Waits until `ok` holds, at most [`PATIENCE`].
fn until(what: &str, ok: impl Fn() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !ok() {
        assert!(Instant::now() < deadline, "never: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------------------
// What the database holds
// ---------------------------------------------------------------------------

/// `privgraph db export --postgres URL`.
fn export(db: &Database) -> String {
    let out = privgraph(&["db", "export", "--postgres", &db.url], &[]);
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap().trim_end().to_owned()
}

/// `privgraph db log --postgres URL`, parsed.
fn log(db: &Database) -> Vec<CommittedBatch> {
    let out = privgraph(&["db", "log", "--postgres", &db.url], &[]);
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// [`SNAPSHOT`] with every batch of `log` applied in order, as snapshot v1.
fn replay(log: &[CommittedBatch]) -> String {
    let mut graph: Graph = privgraph::snapshot::load(SNAPSHOT).unwrap();
    for batch in log {
        graph.apply_committed(batch).unwrap();
    }
    privgraph::snapshot::save(&graph)
}

/// The ids of the groups the log creates, with how many times each is created.
fn created_groups(log: &[CommittedBatch]) -> BTreeMap<String, usize> {
    let mut created = BTreeMap::new();
    for batch in log {
        let line = serde_json::to_value(batch).unwrap();
        for change in line["changes"].as_array().unwrap() {
            if change["op"] == "create" && change["kind"] == "group" {
                *created
                    .entry(change["id"].as_str().unwrap().to_owned())
                    .or_insert(0) += 1;
            }
        }
    }
    created
}

/// The log is revisions 1 to its head, each once; returns the head.
fn head_of(log: &[CommittedBatch]) -> u64 {
    let revisions: Vec<u64> = log.iter().map(|batch| batch.revision).collect();
    let head = revisions.len() as u64;
    assert_eq!(revisions, (1..=head).collect::<Vec<_>>());
    head
}

/// Every replica's `GET /privgraph/snapshot` at `head` is the export, which is the
/// replay of the log.
fn assert_replicas_serve_the_export(db: &Database, replicas: &[&Served]) -> Vec<CommittedBatch> {
    let log = log(db);
    let head = head_of(&log);
    let exported = export(db);
    assert_eq!(exported, replay(&log), "the export is not the log's replay");
    let agent = agent();
    let at_least = head.to_string();
    for replica in replicas {
        let mut headers = ROOT.to_vec();
        headers.push(("X-Privgraph-At-Least", &at_least));
        let served = get(&agent, &replica.url("/privgraph/snapshot"), &headers);
        assert_eq!(
            (served.status, served.revision()),
            (200, head),
            "{served:?}"
        );
        assert_eq!(served.body, exported, "replica {}", replica.addr);
    }
    log
}

// ---------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------

#[test]
fn writes_spread_over_three_replicas_form_one_log_that_every_replica_serves() {
    let Some(db) = database("spread") else {
        return;
    };
    let replicas: Vec<Served> = (0..3).map(|_| Served::start(&db, &[])).collect();
    let urls: Vec<String> = replicas.iter().map(|r| r.url("")).collect();

    // The same member added on two replicas at once: one 201, one 409.
    let barrier = Arc::new(Barrier::new(2));
    let racers: Vec<_> = urls[..2]
        .iter()
        .map(|url| {
            let (url, barrier) = (url.clone(), Arc::clone(&barrier));
            std::thread::spawn(move || {
                let agent = agent();
                barrier.wait();
                send(
                    &agent,
                    "PUT",
                    &format!("{url}/groups/g1/users/u1"),
                    &ROOT,
                    b"",
                )
                .unwrap()
                .status
            })
        })
        .collect();
    let mut statuses: Vec<u16> = racers.into_iter().map(|t| t.join().unwrap()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409]);

    // Two clients per replica, each creating groups and adding u2 to them.
    let clients: Vec<_> = (0..6)
        .map(|c| {
            let url = urls[c % 3].clone();
            std::thread::spawn(move || {
                let agent = agent();
                (0..8)
                    .map(|_| {
                        let id = create_group(&agent, &url, None).unwrap().created_id();
                        let add = format!("{url}/groups/{id}/users/u2");
                        let added = send(&agent, "PUT", &add, &ROOT, b"").unwrap();
                        assert_eq!(added.status, 201, "{added:?}");
                        id
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let acknowledged: BTreeSet<String> = clients
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    assert_eq!(acknowledged.len(), 48);

    let replicas: Vec<&Served> = replicas.iter().collect();
    let log = assert_replicas_serve_the_export(&db, &replicas);
    // The membership, then two batches per group: nothing lost, nothing twice.
    assert_eq!(head_of(&log), 1 + 2 * 48);
    let created = created_groups(&log);
    assert_eq!(
        created.keys().cloned().collect::<BTreeSet<_>>(),
        acknowledged
    );
    assert!(created.values().all(|&n| n == 1), "{created:?}");
}

#[test]
fn a_revision_written_on_one_replica_is_read_on_another_with_at_least() {
    let Some(db) = database("ryw") else {
        return;
    };
    let pair = [
        Served::start(&db, &["--at-least-timeout", "0.5"]),
        Served::start(&db, &["--at-least-timeout", "0.5"]),
    ];
    let agent = agent();
    let mut last = 0;
    for i in 0..20 {
        let (writer, reader) = (&pair[i % 2], &pair[1 - i % 2]);
        let created = create_group(&agent, &writer.url(""), None).unwrap();
        let (id, revision) = (created.created_id(), created.revision());
        assert!(revision > last, "revisions are global and increase");
        last = revision;
        let at_least = revision.to_string();
        let read = get(
            &agent,
            &reader.url(&format!("/groups/{id}/users")),
            &[ROOT[0], ("X-Privgraph-At-Least", &at_least)],
        );
        assert_eq!(read.status, 200, "{read:?}");
        assert!(read.revision() >= revision, "{read:?}");
    }

    // A revision no replica reaches: 503 once the timeout passed.
    let far = (last + 1000).to_string();
    let refused = get(
        &agent,
        &pair[0].url("/groups/g1/users"),
        &[ROOT[0], ("X-Privgraph-At-Least", &far)],
    );
    assert_eq!(refused.status, 503, "{refused:?}");
    assert_eq!(refused.header("retry-after"), Some("1"));

    for replica in &pair {
        until("the replica reports no lag at the head", || {
            metric(&agent, replica, "privgraph_revision") == last as f64
                && metric(&agent, replica, "privgraph_replication_lag_revisions") == 0.0
        });
        assert_eq!(
            metric(&agent, replica, "privgraph_replication_lag_seconds"),
            0.0
        );
        assert_eq!(
            metric(&agent, replica, "privgraph_replication_connected"),
            1.0
        );
    }
}

/// A logical write of the restart test: its key, the replica that acknowledged it
/// (0 or 1), the group it created, and whether it was acknowledged after PostgreSQL
/// was started again.
type Ack = (String, usize, String, bool);

#[test]
fn postgres_stopped_under_a_write_load_loses_nothing_and_applies_nothing_twice() {
    let Some(db) = database("restart") else {
        return;
    };
    let pair = [Served::start(&db, &[]), Served::start(&db, &[])];
    let urls: Vec<String> = pair.iter().map(|r| r.url("")).collect();
    let stop = Arc::new(AtomicBool::new(false));
    let restarted = Arc::new(AtomicBool::new(false));
    let acks: Arc<Mutex<Vec<Ack>>> = Arc::default();
    // Four clients, each retrying every write with its key until it is acknowledged,
    // on the other replica every second attempt.
    let clients: Vec<_> = (0..4)
        .map(|c| {
            let (urls, stop, restarted, acks) = (
                urls.clone(),
                Arc::clone(&stop),
                Arc::clone(&restarted),
                Arc::clone(&acks),
            );
            std::thread::spawn(move || {
                let agent = agent();
                for w in 0.. {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let key = format!("client{c}-write{w}");
                    let deadline = Instant::now() + PATIENCE;
                    for attempt in 0.. {
                        let on = (c + attempt / 2) % 2;
                        match create_group(&agent, &urls[on], Some(&key)) {
                            Ok(reply) if reply.status == 201 => {
                                let after = restarted.load(Ordering::SeqCst);
                                let id = reply.created_id();
                                acks.lock().unwrap().push((key.clone(), on, id, after));
                                break;
                            }
                            Ok(reply) => assert!(
                                reply.status >= 500,
                                "a write refused for another reason: {reply:?}"
                            ),
                            Err(_) => {}
                        }
                        assert!(Instant::now() < deadline, "{key} never acknowledged");
                        std::thread::sleep(Duration::from_millis(50));
                    }
                }
            })
        })
        .collect();
    let acked = || acks.lock().unwrap().len();
    until("writes are acknowledged before the stop", || acked() >= 8);

    db.cluster.stop();
    let agent = agent();
    // Reads are answered while the database is down; the replica says it lost it.
    let read = get(&agent, &pair[0].url("/groups/g1/users"), &ROOT);
    assert_eq!(read.status, 200, "{read:?}");
    until("a replica reports it lost its database", || {
        metric(&agent, &pair[0], "privgraph_replication_connected") == 0.0
            && metric(&agent, &pair[0], "privgraph_replication_lag_seconds") > 0.0
    });
    std::thread::sleep(Duration::from_millis(300));
    db.cluster.start_again();
    restarted.store(true, Ordering::SeqCst);

    // Both replicas write again, by themselves.
    until("both replicas acknowledge writes after the restart", || {
        let acks = acks.lock().unwrap();
        (0..2).all(|on| acks.iter().any(|a| a.1 == on && a.3))
    });
    stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.join().unwrap();
    }
    for replica in &pair {
        until("the replica hears of commits again", || {
            metric(&agent, replica, "privgraph_replication_connected") == 1.0
        });
    }

    let acks = acks.lock().unwrap().clone();
    let keys: BTreeSet<&String> = acks.iter().map(|a| &a.0).collect();
    assert_eq!(keys.len(), acks.len(), "a key acknowledged twice");
    let acknowledged: BTreeSet<String> = acks.iter().map(|a| a.2.clone()).collect();
    assert_eq!(acknowledged.len(), acks.len());
    let log = assert_replicas_serve_the_export(&db, &[&pair[0], &pair[1]]);
    let created = created_groups(&log);
    // Every write acknowledged is in the log once, and the log holds no other.
    assert_eq!(
        created.keys().cloned().collect::<BTreeSet<_>>(),
        acknowledged
    );
    assert!(created.values().all(|&n| n == 1), "{created:?}");
    assert_eq!(head_of(&log), acks.len() as u64);
}

#[test]
fn a_replica_killed_with_sigkill_restarts_and_catches_up() {
    let Some(db) = database("sigkill") else {
        return;
    };
    let a = Served::start(&db, &[]);
    let mut b = Served::start(&db, &[]);
    let agent = agent();
    // A client writing on b until b is gone.
    let writer = {
        let url = b.url("");
        std::thread::spawn(move || {
            let agent = self::agent();
            let mut acknowledged = Vec::new();
            while let Ok(reply) = create_group(&agent, &url, None) {
                if reply.status != 201 {
                    break;
                }
                acknowledged.push(reply.created_id());
            }
            acknowledged
        })
    };
    until("b acknowledges writes", || {
        metric(&agent, &a, "privgraph_revision") >= 5.0
    });
    b.kill();
    let mut acknowledged = writer.join().unwrap();
    assert!(!acknowledged.is_empty());
    // The log goes on without b.
    for _ in 0..10 {
        acknowledged.push(create_group(&agent, &a.url(""), None).unwrap().created_id());
    }

    let b = Served::start(&db, &[]);
    let log = assert_replicas_serve_the_export(&db, &[&a, &b]);
    let created = created_groups(&log);
    for id in &acknowledged {
        assert_eq!(created.get(id), Some(&1), "{id}");
    }
    // The restarted replica writes, and its write is read on the other.
    let created = create_group(&agent, &b.url(""), None).unwrap();
    let at_least = created.revision().to_string();
    let read = get(
        &agent,
        &a.url(&format!("/groups/{}/users", created.created_id())),
        &[ROOT[0], ("X-Privgraph-At-Least", &at_least)],
    );
    assert_eq!(read.status, 200, "{read:?}");
}

#[test]
fn serve_postgres_exits_2_without_a_store_or_with_both_stores() {
    let both = privgraph(
        &[
            "serve",
            "--data",
            "data",
            "--postgres",
            "postgresql://x@127.0.0.1/x",
        ],
        &[],
    );
    assert_eq!(both.status.code(), Some(2), "{both:?}");
    let neither = privgraph(&["serve"], &[]);
    assert_eq!(neither.status.code(), Some(2), "{neither:?}");

    let Some(cluster) = Cluster::start() else {
        return;
    };
    let empty = cluster.create_database("empty");
    let out = privgraph(
        &["serve", "--postgres", &empty, "--listen", "127.0.0.1:0"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("create one with `privgraph db init --postgres`"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "it never served");
}
