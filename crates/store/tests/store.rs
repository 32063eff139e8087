//! The store on real SQLite files in temporary directories: recovery equals the replay
//! of the committed batches, idempotency across restarts, the writer's lock, reads and
//! backups while a writer writes, checkpoints, versions, and damage found on open.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use privgraph::graph::{
    Author, Batch, Change, CommittedBatch, EntityKind, Graph, Group, MemberType, TargetKind, User,
};
use privgraph::logic::{Auth, CountingIds, Error, Outcome};
use privgraph::privileges::GroupPrivileges;
use privgraph::rest::Request;
use privgraph::snapshot;
use privgraph_store::{
    Config, Damage, Idempotency, Store, StoreError, WriteError, Written, backup, init, load, log,
};

const START: &str = r#"{"version": 1,
    "users": [{"id": "u1"}, {"id": "u2"}],
    "groups": [{"id": "g0", "users": {"u1": ["group_view"]}}],
    "spaces": [{"id": "s1", "owners": ["u1"], "users": {"u1": []}, "groups": {"g0": ["space_view"]}}]
}"#;

fn start() -> Graph {
    snapshot::load(START).expect("the starting snapshot loads")
}

fn new_store() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    init(dir.path(), &start()).expect("init");
    dir
}

fn create_user(id: &str) -> Batch {
    Batch::new(
        Author::Library,
        vec![
            Change::Create {
                kind: EntityKind::User,
                id: id.to_owned(),
            },
            Change::AddMember {
                kind: TargetKind::Group,
                id: "g0".to_owned(),
                member_type: MemberType::User,
                member_id: id.to_owned(),
                privileges: GroupPrivileges::GROUP_VIEW.into(),
            },
        ],
    )
}

fn request(method: &str, path: &str, body: &str) -> Request {
    Request::parse(method, path, body.as_bytes()).expect("a routed request")
}

/// Every line of the log.
fn lines(dir: &Path) -> Vec<String> {
    let mut lines = Vec::new();
    log(dir, 0, |line| {
        lines.push(line.to_owned());
        Ok(())
    })
    .expect("the log reads");
    lines
}

/// The start graph with every logged batch applied, independently of the store's
/// recovery (which starts from its newest checkpoint).
fn replayed(dir: &Path) -> Graph {
    let mut graph = start();
    for line in lines(dir) {
        let batch: CommittedBatch = serde_json::from_str(&line).expect("a log line");
        graph
            .apply_committed(&batch)
            .expect("a logged batch applies");
    }
    graph
}

/// Same entities and relations, same revision.
fn assert_same(a: &Graph, b: &Graph) {
    assert_eq!(a.revision(), b.revision());
    assert_eq!(snapshot::save(a), snapshot::save(b));
}

fn config() -> Config {
    Config {
        checkpoint_every: 7,
        ids: Arc::new(CountingIds::default()),
        ..Config::default()
    }
}

#[test]
fn reopening_gives_the_graph_of_exactly_the_committed_batches() {
    let dir = new_store();
    let store = Store::open(dir.path(), config()).unwrap();
    let handle = store.handle();
    for i in 0..20 {
        handle.commit(create_user(&format!("x{i}"))).unwrap();
        let put = request("PUT", &format!("/spaces/s1/users/x{i}"), "");
        handle
            .execute(&Auth::Root, put.operation(), put.body(), None)
            .unwrap();
    }
    let create = request("POST", "/groups", r#"{"name": "made"}"#);
    let Written::Applied(made) = handle
        .execute(&Auth::Root, create.operation(), create.body(), None)
        .unwrap()
    else {
        panic!("a new write is applied");
    };
    assert!(matches!(made.outcome, Outcome::Created { id: Some(_) }));
    let published = store.reader().read().clone();
    assert_eq!(published.revision(), 41);
    store.close();

    let loaded = load(dir.path()).unwrap();
    assert_same(&loaded, &published);
    assert_same(&loaded, &replayed(dir.path()));
    assert_eq!(loaded.len::<Group>(), 2);
    assert_eq!(loaded.len::<User>(), 22);
    // Reopened as the writer: the same graph, and writing goes on at the next revision.
    let store = Store::open(dir.path(), config()).unwrap();
    assert_same(&store.reader().read(), &published);
    assert_eq!(store.handle().commit(create_user("after")).unwrap(), 42);
}

#[test]
fn a_refused_write_stores_nothing_and_the_next_write_takes_the_next_revision() {
    let dir = new_store();
    let store = Store::open(dir.path(), config()).unwrap();
    let handle = store.handle();
    let put = request("PUT", "/groups/g0/users/u2", "");
    let refused = handle.execute(&Auth::User("u2".into()), put.operation(), put.body(), None);
    assert_eq!(refused, Err(WriteError::Refused(Error::Forbidden)));
    let missing = handle.commit(Batch::new(
        Author::Library,
        vec![Change::Delete {
            kind: EntityKind::Group,
            id: "nope".into(),
        }],
    ));
    assert!(matches!(missing, Err(WriteError::Batch(_))));
    // A read through the write handle is answered at the published revision.
    let get = request("GET", "/groups/g0/users", "");
    let read = handle
        .execute(&Auth::Root, get.operation(), get.body(), None)
        .unwrap();
    assert_eq!(
        read,
        Written::Applied(privgraph::concurrent::Committed {
            outcome: Outcome::Ids {
                kind: EntityKind::User,
                ids: vec!["u1".into()]
            },
            revision: 0
        })
    );
    assert_eq!(store.revision(), 0);
    assert!(lines(dir.path()).is_empty());
    let ok = handle
        .execute(&Auth::Root, put.operation(), put.body(), None)
        .unwrap();
    assert!(matches!(ok, Written::Applied(c) if c.revision == 1));
    assert_eq!(lines(dir.path()).len(), 1);
}

#[test]
fn an_idempotency_key_gets_the_first_answer_across_restarts_and_within_one_group() {
    let dir = new_store();
    let create = request("POST", "/groups", r#"{"name": "once"}"#);
    let send = |store: &Store, key: &str| {
        let answer = Idempotency::new(key, |c| match &c.outcome {
            Outcome::Created { id } => {
                format!("{}:{}", c.revision, id.as_deref().unwrap_or("")).into_bytes()
            }
            _ => b"other".to_vec(),
        });
        store
            .handle()
            .execute(&Auth::Root, create.operation(), create.body(), Some(answer))
            .unwrap()
    };
    let store = Store::open(dir.path(), Config::default()).unwrap();
    let Written::Applied(first) = send(&store, "k1") else {
        panic!("the first write is applied");
    };
    let Outcome::Created { id: Some(id) } = &first.outcome else {
        panic!("a group is created");
    };
    let expected = Written::Repeated {
        revision: 1,
        answer: format!("1:{id}").into_bytes(),
    };
    assert_eq!(send(&store, "k1"), expected);
    store.close();

    let store = Store::open(dir.path(), Config::default()).unwrap();
    assert_eq!(send(&store, "k1"), expected);
    assert_eq!(store.revision(), 1);
    assert_eq!(store.reader().read().len::<Group>(), 2);
    // Another key is another write.
    assert!(matches!(send(&store, "k2"), Written::Applied(c) if c.revision == 2));

    // Many submissions of one new key at once: one write, every other gets its answer.
    let (tx, rx) = std::sync::mpsc::channel();
    for _ in 0..50 {
        let tx = tx.clone();
        let key = Idempotency::new("k3", |c| c.revision.to_string().into_bytes());
        store.handle().submit(
            Auth::Root,
            create.operation().clone(),
            create.body().clone(),
            Some(key),
            move |r| tx.send(r).unwrap(),
        );
    }
    drop(tx);
    let answers: Vec<Written> = rx.iter().map(Result::unwrap).collect();
    let applied = answers
        .iter()
        .filter(|w| matches!(w, Written::Applied(_)))
        .count();
    assert_eq!(applied, 1);
    assert!(answers.contains(&Written::Repeated {
        revision: 3,
        answer: b"3".to_vec()
    }));
    assert_eq!(store.revision(), 3);
}

#[test]
fn a_second_writer_is_locked_out_while_readers_read() {
    let dir = new_store();
    let store = Store::open(dir.path(), Config::default()).unwrap();
    assert_eq!(
        Store::open(dir.path(), Config::default()).unwrap_err(),
        StoreError::Locked {
            dir: dir.path().to_owned()
        }
    );
    assert!(matches!(
        privgraph_store::compact(dir.path()),
        Err(StoreError::Locked { .. })
    ));
    store.handle().commit(create_user("seen")).unwrap();
    // Read-only access while the writer holds the store.
    let graph = load(dir.path()).unwrap();
    assert_eq!(graph.revision(), 1);
    assert!(graph.key::<User>("seen").is_some());
    assert_eq!(lines(dir.path()).len(), 1);
    drop(store);
    Store::open(dir.path(), Config::default()).unwrap();
}

#[test]
fn the_writer_runs_wal_with_synchronous_full_and_the_files_say_wal() {
    let dir = new_store();
    let store = Store::open(dir.path(), Config::default()).unwrap();
    let durability = store.durability().unwrap();
    assert_eq!(durability.journal_mode, "wal");
    assert_eq!(durability.synchronous, 2);
    store.handle().commit(create_user("w")).unwrap();
    let copy = tempfile::tempdir().unwrap();
    backup(dir.path(), copy.path().join("b")).unwrap();
    drop(store);
    // Bytes 18 and 19 of an SQLite file are its write and read versions: 2 is WAL.
    for file in [
        dir.path().join("privgraph.sqlite"),
        copy.path().join("b/privgraph.sqlite"),
    ] {
        let header = std::fs::read(&file).unwrap();
        assert_eq!(&header[..16], b"SQLite format 3\0");
        assert_eq!((header[18], header[19]), (2, 2), "{}", file.display());
    }
}

#[test]
fn readers_see_whole_batches_while_many_threads_write() {
    let dir = new_store();
    let store = Store::open(dir.path(), config()).unwrap();
    let reader = store.reader();
    let done = Arc::new(AtomicBool::new(false));
    let checker = {
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            let mut seen = 0;
            while !done.load(Ordering::Relaxed) {
                let graph = reader.read();
                // Each batch adds one user and its membership, together.
                let users = graph.len::<User>();
                let members = graph
                    .key::<Group>("g0")
                    .map(|g| graph.direct_members::<User, Group>(g).len())
                    .unwrap_or(0);
                assert_eq!(users, members + 1, "at revision {}", graph.revision());
                seen = seen.max(graph.revision());
            }
            seen
        })
    };
    let writers: Vec<_> = (0..8)
        .map(|t| {
            let handle = store.handle();
            std::thread::spawn(move || {
                (0..25)
                    .map(|i| handle.commit(create_user(&format!("t{t}-{i}"))).unwrap())
                    .collect::<Vec<u64>>()
            })
        })
        .collect();
    let mut revisions: Vec<u64> = writers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    done.store(true, Ordering::Relaxed);
    assert!(checker.join().unwrap() <= 200);
    revisions.sort_unstable();
    assert_eq!(revisions, (1..=200).collect::<Vec<u64>>());
    let published = store.reader().read().clone();
    drop(store);
    assert_same(&load(dir.path()).unwrap(), &published);
    assert_same(&replayed(dir.path()), &published);
}

#[test]
fn a_backup_taken_while_writers_write_is_a_consistent_store_at_its_revision() {
    let dir = new_store();
    let store = Store::open(dir.path(), config()).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|t| {
            let handle = store.handle();
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    handle.commit(create_user(&format!("b{t}-{i}"))).unwrap();
                    i += 1;
                }
            })
        })
        .collect();
    while store.revision() < 20 {
        std::thread::yield_now();
    }
    let copies = tempfile::tempdir().unwrap();
    let mut revisions = Vec::new();
    for n in 0..3 {
        let to = copies.path().join(format!("copy{n}"));
        revisions.push((backup(dir.path(), &to).unwrap(), to));
    }
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.join().unwrap();
    }
    let head = store.revision();
    drop(store);
    let all = lines(dir.path());
    for (revision, to) in revisions {
        assert!(revision >= 20 && revision <= head);
        let copy = load(&to).unwrap();
        assert_eq!(copy.revision(), revision);
        // The copy is the original's history cut at its revision.
        let mut expected = start();
        for line in &all[..revision as usize] {
            expected
                .apply_committed(&serde_json::from_str(line).unwrap())
                .unwrap();
        }
        assert_same(&copy, &expected);
        assert_eq!(lines(&to)[..], all[..revision as usize]);
        // A backup is a store of its own: it can be written.
        let store = Store::open(&to, Config::default()).unwrap();
        assert_eq!(
            store.handle().commit(create_user("own")).unwrap(),
            revision + 1
        );
    }
}

/// The revisions of the stored checkpoints.
fn checkpoints(dir: &Path) -> Vec<i64> {
    let conn = rusqlite::Connection::open(dir.join("privgraph.sqlite")).unwrap();
    let mut statement = conn
        .prepare("SELECT revision FROM checkpoints ORDER BY revision")
        .unwrap();
    statement
        .query_map([], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn the_writer_checkpoints_every_n_batches_and_keeps_the_newest() {
    let dir = new_store();
    let store = Store::open(
        dir.path(),
        Config {
            checkpoint_every: 10,
            checkpoints_kept: 2,
            ..Config::default()
        },
    )
    .unwrap();
    for i in 0..55 {
        store
            .handle()
            .commit(create_user(&format!("c{i}")))
            .unwrap();
    }
    assert_eq!(store.checkpoint().unwrap(), 55);
    drop(store);
    assert_eq!(checkpoints(dir.path()), [0, 50, 55]);
    // Batches are never deleted.
    assert_eq!(lines(dir.path()).len(), 55);
    assert_same(&load(dir.path()).unwrap(), &replayed(dir.path()));
    assert_eq!(privgraph_store::compact(dir.path()).unwrap(), 55);
    assert_eq!(checkpoints(dir.path()), [0, 50, 55]);
}

#[test]
fn directories_that_hold_no_store_are_told_apart() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_store = |path: &Path| matches!(load(path), Err(StoreError::NotAStore { .. }));
    assert!(not_a_store(dir.path()));
    assert!(not_a_store(&dir.path().join("missing")));
    std::fs::write(
        dir.path().join("privgraph.sqlite"),
        b"not a database at all, just text",
    )
    .unwrap();
    assert!(not_a_store(dir.path()));
    assert!(matches!(
        Store::open(dir.path(), Config::default()),
        Err(StoreError::NotAStore { .. })
    ));
    // Opening a directory that is not a store leaves no lock file in it.
    assert!(!dir.path().join("privgraph.lock").exists());
    let other = tempfile::tempdir().unwrap();
    rusqlite::Connection::open(other.path().join("privgraph.sqlite"))
        .unwrap()
        .execute_batch("CREATE TABLE t (x INTEGER)")
        .unwrap();
    assert!(not_a_store(other.path()));

    // init refuses a store and a directory holding anything else.
    assert!(matches!(
        init(dir.path(), &start()),
        Err(StoreError::AlreadyAStore { .. })
    ));
    let busy = tempfile::tempdir().unwrap();
    std::fs::write(busy.path().join("notes.txt"), b"mine").unwrap();
    assert!(matches!(
        init(busy.path(), &start()),
        Err(StoreError::NotEmpty { .. })
    ));
    assert!(!busy.path().join("privgraph.sqlite").exists());
}

// ----- damage -----------------------------------------------------------------------

/// Flips one bit of the first occurrence of `needle` in the store's database file (the
/// store is closed, so everything is in that file).
fn flip(dir: &Path, needle: &[u8]) {
    let path = dir.join("privgraph.sqlite");
    let mut bytes = std::fs::read(&path).unwrap();
    let found: Vec<usize> = bytes
        .windows(needle.len())
        .enumerate()
        .filter_map(|(i, w)| (w == needle).then_some(i))
        .collect();
    let [at] = found[..] else {
        panic!(
            "{:?} is in the file {} times, not once",
            String::from_utf8_lossy(needle),
            found.len()
        );
    };
    bytes[at + needle.len() / 2] ^= 0x01;
    std::fs::write(&path, bytes).unwrap();
}

fn sql(dir: &Path, statement: &str) {
    rusqlite::Connection::open(dir.join("privgraph.sqlite"))
        .unwrap()
        .execute_batch(statement)
        .unwrap();
}

fn blob(dir: &Path, query: &str) -> Vec<u8> {
    rusqlite::Connection::open(dir.join("privgraph.sqlite"))
        .unwrap()
        .query_row(query, [], |row| row.get(0))
        .unwrap()
}

/// A closed store of 12 batches, each creating user `marker-N`, with checkpoints at 0,
/// 5 and 10.
fn written_store() -> tempfile::TempDir {
    let dir = new_store();
    let store = Store::open(
        dir.path(),
        Config {
            checkpoint_every: 5,
            ..Config::default()
        },
    )
    .unwrap();
    for i in 1..=12 {
        store
            .handle()
            .commit(create_user(&format!("marker-{i:02}")))
            .unwrap();
    }
    drop(store);
    assert_eq!(checkpoints(dir.path()), [0, 5, 10]);
    dir
}

fn assert_refused(dir: &Path, revision: u64, damage: Damage) {
    let expected = StoreError::Corrupt {
        revision: Some(revision),
        damage,
    };
    assert_eq!(load(dir).unwrap_err(), expected);
    assert_eq!(Store::open(dir, Config::default()).unwrap_err(), expected);
    assert_eq!(log(dir, 0, |_| Ok(())).unwrap_err(), expected);
    let copy = tempfile::tempdir().unwrap();
    assert_eq!(backup(dir, copy.path()).unwrap_err(), expected);
    assert!(!copy.path().join("privgraph.sqlite").exists());
    let message = expected.to_string();
    assert!(
        message.contains(&format!("revision {revision}")),
        "{message}"
    );
}

#[test]
fn a_flipped_byte_in_a_batch_is_refused_naming_its_revision() {
    for revision in [3, 7, 12] {
        let dir = written_store();
        flip(
            dir.path(),
            format!("\"memberId\":\"marker-{revision:02}\"").as_bytes(),
        );
        assert_refused(dir.path(), revision, Damage::Batch);
    }
}

#[test]
fn a_flipped_byte_in_a_checkpoint_is_refused_naming_its_revision() {
    // Bytes only the checkpoint at each revision holds: g0's users as they were then.
    for (revision, needle) in [
        (0, r#""users":{"u1":["group_view"]}"#.to_owned()),
        (5, r#""marker-05":["group_view"],"u1""#.to_owned()),
        (10, r#""marker-10":["group_view"],"u1""#.to_owned()),
    ] {
        let dir = written_store();
        flip(dir.path(), needle.as_bytes());
        assert_refused(dir.path(), revision, Damage::Checkpoint);
    }
}

#[test]
fn a_flipped_chain_value_or_checksum_is_refused_naming_its_revision() {
    let dir = written_store();
    flip(
        dir.path(),
        &blob(dir.path(), "SELECT chain FROM batches WHERE revision = 8"),
    );
    assert_refused(dir.path(), 8, Damage::Batch);

    let dir = written_store();
    flip(
        dir.path(),
        &blob(
            dir.path(),
            "SELECT checksum FROM checkpoints WHERE revision = 5",
        ),
    );
    assert_refused(dir.path(), 5, Damage::Checkpoint);

    // A checkpoint's chain value is the batch's at its revision: the bytes are in the
    // file twice, so this one is altered through SQLite.
    let dir = written_store();
    let mut chain = blob(
        dir.path(),
        "SELECT chain FROM checkpoints WHERE revision = 10",
    );
    chain[7] ^= 0x10;
    rusqlite::Connection::open(dir.path().join("privgraph.sqlite"))
        .unwrap()
        .execute(
            "UPDATE checkpoints SET chain = ?1 WHERE revision = 10",
            [chain],
        )
        .unwrap();
    assert_refused(dir.path(), 10, Damage::CheckpointChain);
}

#[test]
fn lost_and_missing_batches_are_refused_naming_the_revision() {
    let dir = written_store();
    sql(dir.path(), "DELETE FROM batches WHERE revision = 12");
    assert_refused(dir.path(), 12, Damage::Head);

    let dir = written_store();
    sql(dir.path(), "DELETE FROM batches WHERE revision = 4");
    assert_refused(dir.path(), 4, Damage::Gap { expected: 4 });

    // Batches lost after the newest checkpoint, head rewritten to match.
    let dir = written_store();
    let chain9: Vec<u8> = blob(dir.path(), "SELECT chain FROM batches WHERE revision = 9");
    let hex: String = chain9.iter().map(|b| format!("{b:02x}")).collect();
    sql(
        dir.path(),
        &format!(
            "DELETE FROM batches WHERE revision >= 10;
             UPDATE meta SET value = '9' WHERE key = 'head_revision';
             UPDATE meta SET value = '{hex}' WHERE key = 'head_chain';"
        ),
    );
    assert_refused(dir.path(), 10, Damage::CheckpointChain);
}

#[test]
fn formats_of_other_versions_are_refused_with_a_clear_message() {
    let cases = [
        (
            "UPDATE meta SET value = '2' WHERE key = 'schema_version'",
            "the store's schema is version 2",
            "newer privgraph",
        ),
        (
            "UPDATE meta SET value = '0' WHERE key = 'schema_version'",
            "the store's schema is version 0",
            "no migration",
        ),
        (
            "UPDATE batches SET format = 2 WHERE revision = 6",
            "the batch of revision 6 is version 2",
            "another privgraph",
        ),
        (
            "UPDATE checkpoints SET format = 3 WHERE revision = 5",
            "the checkpoint at revision 5 is version 3",
            "another privgraph",
        ),
    ];
    for (statement, what, advice) in cases {
        let dir = written_store();
        sql(dir.path(), statement);
        let err = load(dir.path()).unwrap_err();
        assert!(matches!(err, StoreError::Version { .. }), "{err:?}");
        let message = err.to_string();
        assert!(
            message.starts_with(what) && message.contains(advice),
            "{message}"
        );
        assert_eq!(Store::open(dir.path(), Config::default()).unwrap_err(), err);
    }
}

#[test]
fn an_altered_idempotency_record_is_refused_not_answered() {
    let dir = new_store();
    let store = Store::open(dir.path(), Config::default()).unwrap();
    let create = request("POST", "/groups", r#"{"name": "some group"}"#);
    let key = || Some(Idempotency::new("kk", |_| b"first answer".to_vec()));
    let handle = store.handle();
    handle
        .execute(&Auth::Root, create.operation(), create.body(), key())
        .unwrap();
    drop(store);
    flip(dir.path(), b"first answer");
    let store = Store::open(dir.path(), Config::default()).unwrap();
    let answer = store
        .handle()
        .execute(&Auth::Root, create.operation(), create.body(), key());
    assert_eq!(
        answer,
        Err(WriteError::Storage(StoreError::Corrupt {
            revision: Some(1),
            damage: Damage::Idempotency("kk".into())
        }))
    );
    assert_eq!(store.revision(), 1);
}
